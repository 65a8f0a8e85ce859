"""Tables for a terminal, drawn with rich: aligned, the leader in bold, moves in colour.

Used by the command line only when standard output is a terminal; piped or
redirected output keeps the plain text of ``outputs._render`` byte for byte.
This module imports rich at the top, so the command line imports it lazily,
only when it draws a table on a terminal. rich honours ``NO_COLOR`` (no
colours; bold and dim stay).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from rally_standings.engine import (
    PenaltyListing,
    Row,
    StageComparison,
    StageResult,
    Standings,
    Unclassified,
    WhatIf,
)
from rally_standings.events import format_signed, format_time
from rally_standings.outputs._tables import plain
from rally_standings.outputs._text import Move, crew_text, driver, gap_text, move, move_by
from rally_standings.outputs._text import title as title_text
from rally_standings.outputs._views import LeaderComparison, PenaltyList, Replay

__all__ = [
    "draw",
    "make_console",
    "print_penalties",
    "print_replay",
    "print_stage",
    "print_standings",
    "print_whatif",
    "print_whatif_stages",
    "standings_renderable",
]

_MOVE_STYLE = {
    "up": "bold green",
    "down": "bold red",
    "same": "dim",
    "new": "dim",
    "unknown": "dim",
}


def make_console() -> Console:
    """A console on standard output (rich detects the terminal, its width and NO_COLOR)."""
    return Console(highlight=False, emoji=False, markup=False)


def _title(rally: str, category: str, what: str, as_of: int | None) -> Text:
    whole = title_text(rally, category, what, as_of)
    head = title_text(rally, category, "", None)
    text = Text()
    text.append(head, style="bold")
    text.append(what, style="bold cyan")
    text.append(whole[len(head) + len(what) :], style="dim")
    return text


def _table(*columns: tuple[str, str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
    for header, justify in columns:
        table.add_column(
            header,
            justify="right" if justify == "r" else "center" if justify == "c" else "left",
            no_wrap=header not in ("Crew", "Reason", "Status"),
            overflow="fold",
        )
    return table


def _position(position: int, certain: bool) -> Text:
    if certain:
        return Text(str(position))
    return Text(f"≥{position}", style="dim italic")


def _move(item: Move) -> Text:
    return Text(item.text, style=_MOVE_STYLE[item.kind])


def _unclassified(items: Sequence[Unclassified]) -> list[RenderableType]:
    if not items:
        return []
    table = _table(("No.", "r"), ("Crew", "l"), ("Reason", "l"))
    table.title = Text(f"Not classified ({len(items)})", style="bold")
    table.title_justify = "left"
    for item in items:
        table.add_row(item.number or "-", crew_text(item.crew), item.reason, style="dim")
    return [Text(""), table]


def _uncertain_note(text: str) -> list[RenderableType]:
    return [Text(""), Text(text, style="dim italic")]


def standings_renderable(standings: Standings, previous: Standings | None = None) -> Group:
    """The GC as a rich table; with ``previous`` (the GC before), a ▲/▼ column."""
    parts: list[RenderableType] = [
        _title(
            standings.rally,
            standings.category,
            f"general classification after stage {standings.after_stage}",
            standings.as_of,
        ),
    ]
    if not standings.rows:
        parts.append(Text("No entry is classified."))
    else:
        before: dict[str, Row] = (
            {row.entry_id: row for row in previous.rows} if previous is not None else {}
        )
        columns = [("Pos", "r")]
        if previous is not None:
            columns.append(("Move", "c"))
        columns += [("No.", "r"), ("Crew", "l"), ("Make", "l"), ("Time", "r"), ("Gap", "r")]
        table = _table(*columns)
        for index, row in enumerate(standings.rows):
            cells: list[Text | str] = [_position(row.position, row.position_certain)]
            if previous is not None:
                cells.append(_move(move(before.get(row.entry_id), row)))
            cells += [
                row.number or "-",
                crew_text(row.crew),
                Text(row.make or "", style="dim"),
                format_time(row.time_ms),
                gap_text(row.gap_ms),
            ]
            table.add_row(*cells, style="bold" if index == 0 else None)
        if previous is not None:
            table.caption = Text(
                f"Move: since stage {previous.after_stage} (– not classified then, "
                "? a position is uncertain)",
                style="dim",
            )
            table.caption_justify = "left"
        parts.append(table)
    if any(not row.position_certain for row in standings.rows):
        parts += _uncertain_note(
            f"≥N: the log holds only the first {standings.known_rows} rows of this "
            "classification; the position is at least N."
        )
    parts += _unclassified(standings.unclassified)
    return Group(*parts)


def print_standings(
    standings: Standings, previous: Standings | None = None, *, console: Console | None = None
) -> None:
    """Print the GC (``standings show``)."""
    (console or make_console()).print(standings_renderable(standings, previous))


def print_replay(snapshots: Sequence[Standings], *, console: Console | None = None) -> None:
    """Print the GC after every stage, each with its moves since the one before."""
    out = console or make_console()
    previous: Standings | None = None
    for index, standings in enumerate(snapshots):
        if index:
            out.print()
        out.print(standings_renderable(standings, previous))
        previous = standings


def print_stage(result: StageResult, *, console: Console | None = None) -> None:
    """Print one stage's ranking (``standings stage``)."""
    out = console or make_console()
    parts: list[RenderableType] = [
        _title(result.rally, result.category, f"stage {result.stage} ({result.kind})", result.as_of)
    ]
    if result.cancelled_reason is not None:
        awarded = (
            "no time awarded"
            if result.awarded_ms is None
            else f"time awarded to all: {format_time(result.awarded_ms)}"
        )
        parts.append(Text(f"Cancelled: {result.cancelled_reason} ({awarded}).", style="yellow"))
    elif result.rows:
        table = _table(
            ("Pos", "r"),
            ("No.", "r"),
            ("Crew", "l"),
            ("Make", "l"),
            ("Time", "r"),
            ("Gap", "r"),
            ("Penalty", "r"),
        )
        for index, row in enumerate(result.rows):
            table.add_row(
                _position(row.position, row.position_certain),
                row.number or "-",
                crew_text(row.crew),
                Text(row.make or "", style="dim"),
                format_time(row.time_ms),
                gap_text(row.gap_ms),
                Text(format_signed(row.penalty_ms), style="red") if row.penalty_ms else "",
                style="bold" if index == 0 else None,
            )
        parts.append(table)
    else:
        parts.append(Text("No results recorded for this stage."))
    if any(not row.position_certain for row in result.rows):
        parts += _uncertain_note(
            "≥N: the log holds only part of this stage's ranking; the position is at least N."
        )
    if result.combined:
        table = _table(("No.", "r"), ("Crew", "l"), ("Span", "l"), ("Time", "r"))
        table.title = Text("Combined times ending at this stage", style="bold")
        table.title_justify = "left"
        for c in result.combined:
            table.add_row(
                c.number or "-",
                crew_text(c.crew),
                f"stages {c.first_stage}-{c.stage}",
                format_time(c.time_ms),
            )
        parts += [Text(""), table]
    parts += _unclassified(result.retired)
    out.print(Group(*parts))


def _whatif_move(change: int, actual: int | None) -> Text:
    if actual is None:
        return Text("new", style="dim")
    return _move(move_by(change))


def print_whatif(whatif: WhatIf, *, console: Console | None = None) -> None:
    """Print hypothetical standings beside the actual ones (``standings whatif``)."""
    out = console or make_console()
    standings = whatif.hypothetical
    headline = Text(whatif.headline, style="bold red" if whatif.leader_changed else "bold")
    table = _table(
        ("Pos", "r"),
        ("Was", "r"),
        ("Move", "c"),
        ("No.", "r"),
        ("Crew", "l"),
        ("Time", "r"),
        ("Gap", "r"),
        ("Gap change", "r"),
    )
    for index, item in enumerate(whatif.rows):
        row = item.row
        change = item.gap_change_ms
        table.add_row(
            _position(row.position, row.position_certain),
            "-" if item.actual_position is None else str(item.actual_position),
            _whatif_move(item.position_change, item.actual_position),
            row.number or "-",
            crew_text(row.crew),
            format_time(row.time_ms),
            gap_text(row.gap_ms),
            ""
            if not change
            else Text(format_signed(change), style="red" if change > 0 else "green"),
            style="bold" if index == 0 else None,
        )
    out.print(
        Group(
            _title(
                standings.rally,
                standings.category,
                f"what if, general classification after stage {standings.after_stage}",
                standings.as_of,
            ),
            Text("Hypothesis: " + "; ".join(whatif.labels), style="italic"),
            headline,
            Text(""),
            table,
            *_unclassified(standings.unclassified),
        )
    )


def print_whatif_stages(
    comparisons: Sequence[StageComparison], *, console: Console | None = None
) -> None:
    """Print who would have led after each stage, beside who did (``whatif --all-stages``)."""
    out = console or make_console()
    if not comparisons:
        out.print("The hypothesis touches no stage with a general classification.")
        return
    first = comparisons[0].comparison
    table = _table(("Stage", "r"), ("Actual leader", "l"), ("Hypothetical leader", "l"), ("", "l"))
    for item in comparisons:
        real, imagined = item.comparison.actual.leader, item.comparison.hypothetical.leader
        changed = item.comparison.leader_changed
        table.add_row(
            str(item.stage),
            "-" if real is None else f"{real.number or '-'} {driver(real.crew)}",
            "-" if imagined is None else f"{imagined.number or '-'} {driver(imagined.crew)}",
            Text("LEAD CHANGES", style="bold red") if changed else "",
        )
    out.print(
        Group(
            _title(
                first.hypothetical.rally,
                first.hypothetical.category,
                "what if, leader after every stage",
                first.hypothetical.as_of,
            ),
            Text("Hypothesis: " + "; ".join(first.labels), style="italic"),
            Text(""),
            table,
            Text(comparisons[-1].comparison.headline, style="bold"),
        )
    )


def print_penalties(
    listings: Sequence[PenaltyListing], rally: str, *, console: Console | None = None
) -> None:
    """Print every penalty (``standings penalties``); rescinded ones struck through."""
    out = console or make_console()
    title = Text(f"{rally} · penalties", style="bold")
    if not listings:
        out.print(Group(title, Text(""), Text("No penalties.")))
        return
    table = _table(
        ("Id", "l"),
        ("Category", "l"),
        ("No.", "r"),
        ("Driver", "l"),
        ("Stage", "r"),
        ("Amount", "r"),
        ("Counts in", "l"),
        ("Seq", "r"),
        ("Status", "l"),
        ("Reason", "l"),
    )
    for item in listings:
        event = item.state.event
        in_force = item.state.in_force
        status = (
            Text("in force")
            if in_force
            else Text(
                f"rescinded (seq {item.state.rescinded_seq}): {item.state.rescinded_reason}",
                style="green",
            )
        )
        table.add_row(
            event.penalty_id,
            item.category,
            item.number or "-",
            driver(item.crew),
            str(event.stage),
            Text(format_signed(event.amount_ms), style="red" if in_force else "dim strike"),
            "GC only" if event.gc_only else "stage+GC",
            str(item.state.seq),
            status,
            event.reason,
        )
    out.print(Group(title, Text(""), table))


def draw(
    result: object, *, previous: Standings | None = None, console: Console | None = None
) -> None:
    """Print a result as rich tables (a result without a rich form: its plain table).

    ``previous``: for standings, the GC before them, to show each crew's move.
    """
    out = console or make_console()
    if isinstance(result, Standings):
        print_standings(result, previous, console=out)
    elif isinstance(result, Replay):
        print_replay(result.snapshots, console=out)
    elif isinstance(result, StageResult):
        print_stage(result, console=out)
    elif isinstance(result, WhatIf):
        print_whatif(result, console=out)
    elif isinstance(result, LeaderComparison):
        print_whatif_stages(result.comparisons, console=out)
    elif isinstance(result, PenaltyList):
        print_penalties(result.listings, result.rally, console=out)
    else:
        out.file.write(plain(result))
