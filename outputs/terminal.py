"""Tables for a terminal, drawn with rich: aligned, the leader in bold, moves in colour.

Used by the command line only when standard output is a terminal; piped or
redirected output keeps the plain text of ``outputs._tables`` byte for byte.
This module imports rich at the top, so the command line imports it lazily,
only when it draws a table on a terminal. rich honours ``NO_COLOR`` (no
colours; bold and dim stay).

Tables fit the terminal without cutting a value: ids, numbers, positions,
times and gaps are never wrapped or shortened; free text (crews, reasons,
sources) wraps. When even that does not fit, the table is drawn stacked, one
record per block of ``label  value`` lines, so nothing is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..engine import COMPONENT_KINDS, Row, StageResult, StageRow, Standings, Unclassified, WhatIf
from ..events import format_signed, format_time
from . import _text
from . import _views as views
from ._tables import (
    PENALTY_SOURCE_NOTE,
    RECORD_NOTE,
    change_words,
    class_cells,
    event_words,
    grouped,
    history_note,
    in_class,
    move_note,
    penalty_cells,
    penalty_source,
    plain,
    reference_cell,
    reference_row,
    shows_classes,
    stage_heading,
    standings_heading,
    unclassified_summary,
    waypoint_groups,
)
from ._whatif import headline, labels

__all__ = [
    "MAIN_MIN",
    "TEXT_MIN",
    "Column",
    "draw",
    "fitted",
    "make_console",
    "renderable",
    "widths",
]

_MOVE_STYLE = {
    "up": "bold green",
    "down": "bold red",
    "same": "dim",
    "new": "dim",
    "unknown": "dim",
    "tied": "dim",
}

TEXT_MIN = 10
"""The narrowest a free-text column is squeezed to before the table is stacked instead."""

MAIN_MIN = 24
"""The narrowest the main free text (a crew, a reason) is drawn in a table: narrower, each
record is drawn as a block instead, where it reads whole."""

_GAP = 2
"""Columns between two table columns (rich's padding of one on each side)."""


def make_console() -> Console:
    """A console on standard output (rich detects the terminal, its width and NO_COLOR)."""
    return Console(highlight=False, emoji=False, markup=False)


# ---------------------------------------------------------------------- fitting


@attrs.frozen
class Column:
    """A table column: ``wrap`` for free text; any other column is never cut.

    ``main``: the free text a reader reads the table for (a crew, a reason): it keeps
    its width while the other free-text columns give way, and gets the slack first.
    """

    header: str
    justify: Literal["left", "right", "center"] = "left"
    wrap: bool = False
    main: bool = False


Cell = Text | str
Record = tuple[Sequence[Cell], str | None]
"""A row's cells and its style."""


def _width(cell: Cell) -> int:
    plain = cell.plain if isinstance(cell, Text) else cell
    return max(Text(line).cell_len for line in plain.split("\n"))


_GLUED = re.compile(r" (?=/ )")
"""The space before a crew's slash: a line never begins with "/" (``A /`` then ``B``)."""


def _words(text: str) -> list[str]:
    """The words a cell wraps between; a crew's " / " stays at the end of the name before it."""
    return _GLUED.sub("\0", text).split()


def _longest_word(cell: Cell) -> int:
    plain = cell.plain if isinstance(cell, Text) else cell
    return max((Text(word.replace("\0", " ")).cell_len for word in _words(plain)), default=0)


def _wrapped(cell: Cell, width: int) -> Cell:
    """A free-text cell broken into lines of at most ``width`` between its words, a crew's
    slash kept at the end of a line (``Stéphane Peterhansel /`` then ``Jean-Paul Cottret``)."""
    plain = cell.plain if isinstance(cell, Text) else cell
    if "\n" in plain:
        first, rest = plain.split("\n", 1)
        head = _wrapped(first, width)
        text = Text(str(head))
        text.append("\n")
        text.append(rest, style="dim")
        return text
    if " / " not in plain or Text(plain).cell_len <= width:
        return cell
    names = plain.split(" / ")
    parts = [f"{name} /" for name in names[:-1]] + names[-1:]
    lines: list[str] = []
    for part in parts:  # whole names where they fit, a name's words where it does not
        pieces = [part] if Text(part).cell_len <= width else part.split(" ")
        for piece in pieces:
            if lines and Text(f"{lines[-1]} {piece}").cell_len <= width:
                lines[-1] += f" {piece}"
            else:
                lines.append(piece)
    joined = "\n".join(lines)
    if isinstance(cell, Text):
        return Text(joined, style=cell.style)
    return joined


def widths(columns: Sequence[Column], rows: Sequence[Record], width: int) -> list[int] | None:
    """Each column's width so that the table fits ``width``; None if it cannot.

    A column that is not free text keeps its natural width (its longest value:
    nothing is ever cut). Free-text columns give way down to the larger of
    ``TEXT_MIN`` (or their natural width, if narrower) and their longest word, so
    that text wraps between words, never inside one: first the secondary ones (a
    make, a status), the widest first, and only then the ``main`` one (a crew, a
    reason), which so gets the slack first at every width.
    """
    natural = [
        max([_width(column.header), *(_width(cells[index]) for cells, _ in rows)])
        for index, column in enumerate(columns)
    ]
    values = [
        max((_width(cells[index]) for cells, _ in rows), default=0) for index in range(len(columns))
    ]
    floors = [
        max(
            min(values[index], TEXT_MIN),
            _longest_word(column.header),
            *(_longest_word(cells[index]) for cells, _ in rows),
        )
        if column.wrap
        else natural[index]
        for index, column in enumerate(columns)
    ]
    available = width - _GAP * (len(columns) - 1)
    sizes = list(natural)
    excess = sum(sizes) - available
    for main in (False, True):
        while excess > 0:
            candidates = [
                i
                for i, column in enumerate(columns)
                if column.wrap and column.main == main and sizes[i] > floors[i]
            ]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: sizes[i])
            sizes[widest] -= 1
            excess -= 1
    if excess > 0:
        return None
    squeezed = any(
        column.main and sizes[i] < min(natural[i], MAIN_MIN) for i, column in enumerate(columns)
    )
    return None if squeezed else sizes


def fitted(
    columns: Sequence[Column],
    rows: Sequence[Record],
    width: int,
    *,
    title: str | None = None,
    caption: Text | None = None,
    under: tuple[int, int] | None = None,
) -> RenderableType:
    """A table that fits ``width`` columns without cutting a value; stacked if it cannot.

    ``under``: (main column, secondary column): when the main column (a crew) would have
    to wrap beside the secondary one (its make), the secondary values go under the main
    ones, dimmed, in one column: fewer columns, and the crew keeps its width.
    """
    heading = Text(title, style="bold") if title else None
    sizes = widths(columns, rows, width)
    if under is not None and rows:
        main, other = under
        natural = max(_width(cells[main]) for cells, _ in rows)
        if sizes is None or sizes[main] < natural:
            merged_columns, merged_rows = _merged(columns, rows, main, other)
            merged = widths(merged_columns, merged_rows, width)
            if merged is not None:
                columns, rows, sizes = merged_columns, merged_rows, merged
            elif _CLASS_POS in [column.header for column in merged_columns]:
                # still too wide: the class and the place in it, one column ("Stock 2")
                joined_columns, joined_rows = _class_joined(merged_columns, merged_rows)
                joined = widths(joined_columns, joined_rows, width)
                if joined is not None:
                    columns, rows, sizes = joined_columns, joined_rows, joined
    if sizes is None:
        return _stacked(columns, rows, heading, caption)
    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        padding=(0, 1, 0, 0),
        pad_edge=False,
        show_edge=False,
        title=heading,
        title_justify="left",
    )
    for column, size in zip(columns, sizes, strict=True):
        table.add_column(
            column.header,
            justify=column.justify,
            no_wrap=not column.wrap,
            overflow="fold",
            width=size,
        )
    for cells, style in rows:
        table.add_row(
            *(
                _wrapped(cell, size) if column.wrap else cell
                for column, size, cell in zip(columns, sizes, cells, strict=True)
            ),
            style=style,
        )
    # the caption is a paragraph of the page, as wide as the terminal, not the table
    return table if caption is None else Group(table, caption)


def _merged(
    columns: Sequence[Column], rows: Sequence[Record], main: int, other: int
) -> tuple[list[Column], list[Record]]:
    """``columns`` and ``rows`` with column ``other``'s values under column ``main``'s."""
    head = columns[main]
    merged_columns = [
        attrs.evolve(head, header=f"{head.header}, {columns[other].header.lower()}")
        if index == main
        else column
        for index, column in enumerate(columns)
        if index != other
    ]
    merged_rows: list[Record] = []
    for cells, style in rows:
        under, above = cells[other], cells[main]
        below = under.plain if isinstance(under, Text) else str(under)
        first = above.copy() if isinstance(above, Text) else Text(str(above))
        if below:
            first.append("\n")
            first.append(below, style="dim")
        merged_rows.append(
            (
                [first if i == main else cell for i, cell in enumerate(cells) if i != other],
                style,
            )
        )
    return merged_columns, merged_rows


_CLASS_POS = "Class pos"


def _class_joined(
    columns: Sequence[Column], rows: Sequence[Record]
) -> tuple[list[Column], list[Record]]:
    """``columns`` and ``rows`` with the class's position after the class, in one column
    (``Stock 2``: second in Stock), for a terminal too narrow for both."""
    headers = [column.header for column in columns]
    name, place = headers.index("Class"), headers.index(_CLASS_POS)
    joined_columns = [
        attrs.evolve(column, header="Class, pos") if index == name else column
        for index, column in enumerate(columns)
        if index != place
    ]
    joined_rows: list[Record] = []
    for cells, style in rows:
        text = " ".join(str(cells[i]) for i in (name, place) if str(cells[i]))
        joined_rows.append(
            ([text if i == name else cell for i, cell in enumerate(cells) if i != place], style)
        )
    return joined_columns, joined_rows


def _stacked(
    columns: Sequence[Column], rows: Sequence[Record], heading: Text | None, caption: Text | None
) -> RenderableType:
    """One block per record: each non-empty value on its own line, after its column's name."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True, justify="right")
    grid.add_column(overflow="fold")
    for number, (cells, style) in enumerate(rows):
        if number:
            grid.add_row("", "")
        for column, cell in zip(columns, cells, strict=True):
            if _width(cell):
                value = cell.copy() if isinstance(cell, Text) else Text(cell)
                if style:
                    value.stylize(style)
                grid.add_row(column.header or "·", value)
    parts: list[RenderableType] = [heading] if heading is not None else []
    parts.append(grid)
    if caption is not None:
        parts.append(caption)
    return Group(*parts)


# ---------------------------------------------------------------------- pieces


def _title(rally: str, category: str, what: str, as_of: int | None) -> Text:
    whole = _text.title(rally, category, what, as_of)
    head = _text.title(rally, category, "", None)
    text = Text()
    text.append(head, style="bold")
    text.append(what, style="bold cyan")
    text.append(whole[len(head) + len(what) :], style="dim")
    return text


def _position(text: str, certain: bool) -> Text:
    return Text(text) if certain else Text(text, style="dim italic")


def _move(item: _text.Move) -> Text:
    return Text(item.text, style=_MOVE_STYLE[item.kind])


def _note(text: str) -> list[RenderableType]:
    return [Text(""), Text(text, style="dim italic")]


def _unclassified(
    items: Sequence[Unclassified], known_rows: int | None, width: int, as_of: int | None = None
) -> list[RenderableType]:
    """The crews missing from a classification, in their plain groups, each its own table."""
    parts: list[RenderableType] = []
    for group, members in grouped(items):
        rows: list[Record] = [
            (
                [
                    _text.number_cell(item.number),
                    _text.crew_text(item.crew),
                    _text.status_reason(item),
                ],
                "dim",
            )
            for item in members
        ]
        title = _text.group_heading(group, known_rows, len(members), as_of=as_of)
        parts += [Text(""), _why_table(rows, width, title)]
    return parts


def _numbers_note(items: Sequence[Row | StageRow | Unclassified]) -> list[RenderableType]:
    return _note(_text.NO_NUMBER_NOTE) if any(item.number is None for item in items) else []


def _why_table(rows: list[Record], width: int, title: str) -> RenderableType:
    """Crews and why each is where it is (not classified, not at a waypoint)."""
    columns = [
        Column("No.", "right"),
        Column("Crew", wrap=True, main=True),
        Column("Why", wrap=True, main=True),
    ]
    return fitted(columns, rows, width, title=title)


def _reference_column(reference: _text.Reference | None) -> list[Column]:
    return [Column(f"To {reference.label}", "right")] if reference is not None else []


def _reference_cell(time_ms: int, reference_ms: int | None, is_reference: bool) -> Text:
    text = reference_cell(time_ms, reference_ms, is_reference)
    if is_reference:
        return Text(text, style="bold")
    return Text(text, style="green" if text.startswith("-") else "")


def _reference_note(reference: _text.Reference, found: bool, where: str) -> list[RenderableType]:
    name = _text.who(reference.number, reference.crew)
    if found:
        return _note(f"To {reference.label}: time against {name} (negative: ahead of it).")
    return _note(f"{name} has no time {where}, so no gap to it can be given.")


# ---------------------------------------------------------------------- results


def _not_at_waypoint(
    waypoint: int | None, items: Sequence[Unclassified], width: int
) -> list[RenderableType]:
    if waypoint is None or not items:
        return []
    parts: list[RenderableType] = []
    for heading, members in waypoint_groups(items):
        rows: list[Record] = [
            ([_text.number_cell(item.number), _text.crew_text(item.crew), item.reason], "dim")
            for item in members
        ]
        title = f"{heading.replace('the waypoint', f'waypoint {waypoint}')}: {len(members)}"
        parts += [Text(""), _why_table(rows, width, title)]
    return parts


def _class_columns(shown: bool) -> list[Column]:
    return [Column("Class", wrap=True), Column(_CLASS_POS, "right")] if shown else []


def _time_columns(with_classes: bool) -> list[Column]:
    """No., crew, make, the class columns if shown, time and gap: a ranked row's middle."""
    return [
        Column("No.", "right"),
        Column("Crew", wrap=True, main=True),
        Column("Make", wrap=True),
        *_class_columns(with_classes),
        Column("Time", "right"),
        Column("Gap", "right"),
    ]


def _crew_make(columns: Sequence[Column]) -> tuple[int, int]:
    """Where the crew and the make stand among ``columns`` (the make may go under the crew)."""
    headers = [column.header for column in columns]
    return headers.index("Crew"), headers.index("Make")


def _time_cells(row: Row | StageRow, with_classes: bool) -> list[Cell]:
    """The cells of ``_time_columns`` for one ranked row."""
    return [
        _text.number_cell(row.number),
        _text.crew_text(row.crew),
        Text(row.make or "", style="dim"),
        *(class_cells(row) if with_classes else []),
        format_time(row.time_ms),
        _text.gap_text(row.gap_ms),
    ]


def _classification(view: views.Classification, width: int) -> Group:
    standings, previous, reference = view.standings, view.previous, view.reference
    parts: list[RenderableType] = [
        _title(standings.rally, standings.category, standings_heading(standings), standings.as_of),
    ]
    with_classes = shows_classes(standings.rows, standings.entry_class)
    ref_row = standings.row_for(reference.entry_id) if reference is not None else None
    ref_ms = ref_row.time_ms if ref_row is not None else None
    if not standings.rows:
        parts.append(Text(_text.empty_note(standings)))
    else:
        moved = _text.moves(previous, standings) if previous is not None else {}
        columns = [Column("Pos", "right")]
        if previous is not None:
            columns.append(Column("Move", "center"))
        columns += [*_time_columns(with_classes), *_reference_column(reference)]
        rows: list[Record] = []
        alone = _text.sole_leader(standings.rows)
        for row in standings.rows:
            cells: list[Cell] = [_position(row.position_text, row.position_certain)]
            if previous is not None:
                cells.append(_move(moved[row.entry_id]))
            cells += _time_cells(row, with_classes)
            if reference is not None:
                cells.append(
                    _reference_cell(row.time_ms, ref_ms, row.entry_id == reference.entry_id)
                )
            rows.append((cells, "bold" if row is alone else None))
        caption = (
            Text(move_note(previous.after_stage, moved), style="dim")
            if previous is not None
            else None
        )
        parts.append(fitted(columns, rows, width, caption=caption, under=_crew_make(columns)))
    cancelled = _text.cancelled_note(standings)
    if cancelled:
        parts += _note(cancelled)
    if any(not row.position_certain for row in standings.rows):
        parts += _note(_text.partial_note(standings.known_rows))
    if reference is not None:
        parts += _reference_note(
            reference, ref_row is not None, f"after stage {standings.after_stage}"
        )
    parts += _not_at_waypoint(standings.waypoint, standings.not_at_waypoint, width)
    if standings.out_of_order:
        parts += _note(_text.out_of_order_text(standings.out_of_order))
    parts += _unclassified(standings.unclassified, standings.known_rows, width, standings.as_of)
    parts += _numbers_note([*standings.rows, *standings.unclassified, *standings.not_at_waypoint])
    return Group(*parts)


def _replay(view: views.Replay, width: int) -> Group:
    parts: list[RenderableType] = []
    previous: Standings | None = None
    for index, standings in enumerate(view.snapshots):
        if index:
            parts.append(Text(""))
        parts.append(
            _classification(views.Classification(standings, previous, view.reference), width)
        )
        previous = standings
    return Group(*parts)


def _stage(view: views.StageRanking, width: int) -> Group:
    result, reference = view.result, view.reference
    parts: list[RenderableType] = [
        _title(result.rally, result.category, stage_heading(result), result.as_of)
    ]
    with_classes = shows_classes(result.rows, result.entry_class)
    ref_row = reference_row(result, reference)
    ref_ms = ref_row.time_ms if ref_row is not None else None
    if result.cancelled_reason is not None:
        awarded = (
            "no time awarded"
            if result.awarded_ms is None
            else f"time awarded to all: {format_time(result.awarded_ms)}"
        )
        parts.append(Text(f"Cancelled: {result.cancelled_reason} ({awarded}).", style="yellow"))
    elif result.rows:
        columns = [
            Column("Pos", "right"),
            *_time_columns(with_classes),
            *([Column("Penalty", "right")] if result.waypoint is None else []),
            *_reference_column(reference),
        ]
        rows: list[Record] = []
        alone = _text.sole_leader(result.rows)
        for row in result.rows:
            cells: list[Cell] = [
                _position(row.position_text, row.position_certain),
                *_time_cells(row, with_classes),
            ]
            if result.waypoint is None:
                cells.append(
                    Text(format_signed(row.penalty_ms), style="red") if row.penalty_ms else ""
                )
            if reference is not None:
                cells.append(
                    _reference_cell(row.time_ms, ref_ms, row.entry_id == reference.entry_id)
                )
            rows.append((cells, "bold" if row is alone else None))
        parts.append(fitted(columns, rows, width, under=_crew_make(columns)))
    elif result.waypoint is not None:
        parts.append(Text(f"No crew has a time at waypoint {result.waypoint} yet."))
    else:
        parts.append(Text("No results recorded for this stage."))
    if said := _text.stage_partial_note(result):
        parts += _note(said)
    if reference is not None and result.cancelled_reason is None:
        parts += _reference_note(reference, ref_row is not None, f"on stage {result.stage}")
    if result.combined:
        combined: list[Record] = [
            (
                [
                    _text.number_cell(c.number),
                    _text.crew_text(c.crew),
                    f"stages {c.first_stage}–{c.stage}",
                    format_time(c.time_ms),
                ],
                None,
            )
            for c in result.combined
        ]
        parts += [
            Text(""),
            fitted(
                [
                    Column("No.", "right"),
                    Column("Crew", wrap=True, main=True),
                    Column("Span"),
                    Column("Time", "right"),
                ],
                combined,
                width,
                title="Combined times ending at this stage",
            ),
        ]
    parts += _not_at_waypoint(result.waypoint, result.not_at_waypoint, width)
    parts += _unclassified([*result.retired, *result.withdrawn], None, width)
    parts += _numbers_note(
        [*result.rows, *result.retired, *result.withdrawn, *result.not_at_waypoint]
    )
    return Group(*parts)


def _explanation(view: views.Explanation, width: int) -> Group:
    standings, row = view.standings, view.row
    rows: list[Record] = []
    for part in row.components:
        signed = COMPONENT_KINDS[part.kind].signed
        amount = Text(_text.component_amount(part), style="red" if signed else "")
        source = Text(str(part.provenance.kind), style="bold")
        cited = _text.source_text(part.provenance, standings.rally)
        if cited:
            source.append(f": {cited}", style="")
        note = _text.component_note(part)
        rows.append(([str(part.stage), note, amount, f"#{part.seq}", source], None))
    return Group(
        _title(
            standings.rally,
            standings.category,
            f"time of {_text.who(row.number, row.crew)} after stage {standings.after_stage}",
            standings.as_of,
        ),
        Text(
            f"{_text.crew_text(row.crew)} ({row.make or 'make unknown'}): position "
            f"{row.position_text}{in_class(standings)}, {format_time(row.time_ms)}"
        ),
        Text(""),
        fitted(
            [
                Column("Stage", "right"),
                Column("What", wrap=True),
                Column("Time", "right"),
                Column("Record", "right"),
                Column("Source", wrap=True, main=True),
            ],
            rows,
            width,
            caption=Text(RECORD_NOTE, style="dim"),
        ),
        Text(""),
        Text(f"Total: {format_time(row.time_ms)}", style="bold"),
    )


def _unclassified_explanation(view: views.UnclassifiedExplanation, width: int) -> Group:
    standings, item = view.standings, view.item
    name = _text.who(item.number, item.crew)
    parts: list[RenderableType] = [
        _title(
            standings.rally,
            standings.category,
            f"what is known of {name} after stage {standings.after_stage}",
            standings.as_of,
        ),
        Text(""),
        *(Text(line) for line in unclassified_summary(view)),
    ]
    if view.stage_times:
        rows: list[Record] = [
            (
                [
                    str(stage),
                    _position(row.position_text, row.position_certain),
                    format_time(row.time_ms),
                    _text.gap_text(row.gap_ms),
                ],
                None,
            )
            for stage, row in view.stage_times
        ]
        parts += [
            Text(""),
            fitted(
                [
                    Column("Stage", "right"),
                    Column("Pos", "right"),
                    Column("Time", "right"),
                    Column("Gap", "right"),
                ],
                rows,
                width,
                title="Stage times so far",
            ),
        ]
    return Group(*parts)


def _hypothetical(view: views.Hypothetical, width: int) -> Group:
    whatif, reference = view.whatif, view.reference
    standings = whatif.hypothetical
    ref_row = standings.row_for(reference.entry_id) if reference is not None else None
    ref_ms = ref_row.time_ms if ref_row is not None else None
    rows: list[Record] = []
    alone = _text.sole_leader([item.row for item in whatif.rows])
    for item in whatif.rows:
        row = item.row
        change = None if item.actual_time_ms is None else row.time_ms - item.actual_time_ms
        cells: list[Cell] = [
            _position(row.position_text, row.position_certain),
            item.actual_position_text,
            Text("new", style="dim")
            if (moved := _text.what_if_move(item)) is None
            else _move(moved),
            _text.number_cell(row.number),
            _text.crew_text(row.crew),
            format_time(row.time_ms),
            _text.gap_text(row.gap_ms),
            Text(format_signed(change), style="red" if change > 0 else "green") if change else "",
        ]
        if reference is not None:
            cells.append(_reference_cell(row.time_ms, ref_ms, row.entry_id == reference.entry_id))
        rows.append((cells, "bold" if row is alone else None))
    columns = [
        Column("Pos", "right"),
        Column("Was", "right"),
        Column("Move", "center"),
        Column("No.", "right"),
        Column("Crew", wrap=True, main=True),
        Column("Time", "right"),
        Column("Gap", "right"),
        Column("Time change", "right"),
        *_reference_column(reference),
    ]
    parts: list[RenderableType] = [
        _title(
            standings.rally,
            standings.category,
            f"what if, {standings_heading(standings)}",
            standings.as_of,
        ),
        Text("Hypothesis: " + "; ".join(labels(whatif)), style="italic"),
        Text(headline(whatif), style="bold red" if whatif.leader_changed else "bold"),
        Text(""),
        fitted(
            columns,
            rows,
            width,
            caption=Text(
                "Was: the actual position. Time change: the crew's own time in the hypothesis "
                "against its actual time (gaps also move with the leader's time).",
                style="dim",
            ),
        ),
    ]
    for said in _text.what_if_notes(whatif.rows, standings.known_rows):
        parts += _note(said)
    if reference is not None:
        parts += _reference_note(
            reference, ref_row is not None, f"after stage {standings.after_stage}"
        )
    parts += _unclassified(standings.unclassified, standings.known_rows, width, standings.as_of)
    parts += _numbers_note([*standings.rows, *standings.unclassified])
    return Group(*parts)


def _leader_comparison(view: views.LeaderComparison, width: int) -> RenderableType:
    comparisons = view.comparisons
    if not comparisons:
        return Text("The hypothesis touches no stage with a general classification.")
    first = comparisons[0].comparison
    rows: list[Record] = []
    for item in comparisons:
        real, imagined = item.comparison.actual.leader, item.comparison.hypothetical.leader
        changed = item.comparison.leader_changed
        rows.append(
            (
                [
                    str(item.stage),
                    "-" if real is None else _text.who(real.number, real.crew),
                    "-" if imagined is None else _text.who(imagined.number, imagined.crew),
                    Text("changes", style="bold red") if changed else "",
                ],
                None,
            )
        )
    return Group(
        _title(
            first.hypothetical.rally,
            first.hypothetical.category,
            "what if, leader after every stage",
            first.hypothetical.as_of,
        ),
        Text("Hypothesis: " + "; ".join(labels(first)), style="italic"),
        Text(""),
        fitted(
            [
                Column("Stage", "right"),
                Column("Actual leader", wrap=True, main=True),
                Column("Hypothetical leader", wrap=True, main=True),
                Column("Lead"),
            ],
            rows,
            width,
        ),
        Text(headline(comparisons[-1].comparison), style="bold"),
    )


_AMOUNT, _STATUS, _KNOWN = 5, 8, 10
"""Where a penalty's amount, status and how it is known stand among its cells
(``penalty_cells``)."""


def _penalties(view: views.PenaltyList, width: int) -> RenderableType:
    title = Text(f"{view.rally} · penalties", style="bold")
    if not view.listings:
        return Group(title, Text(""), Text("No penalties."))
    rows: list[Record] = []
    for item in view.listings:
        in_force = item.state.in_force
        stated = penalty_source(item) == "stated"
        cells: list[Cell] = [*penalty_cells(item)]
        # a penalty the source states is red; one worked out from its numbers is not
        amount = ("red" if stated else "yellow") if in_force else "dim strike"
        cells[_AMOUNT] = Text(str(cells[_AMOUNT]), style=amount)
        cells[_STATUS] = Text(str(cells[_STATUS]), style="" if in_force else "green")
        cells[_KNOWN] = Text(str(cells[_KNOWN]), style="" if stated else "italic yellow")
        rows.append((cells, None))
    columns = [
        Column("Id"),
        Column("Category"),
        Column("No.", "right"),
        Column("Driver", wrap=True),
        Column("Stage", "right"),
        Column("Amount", "right"),
        Column("Counts in", wrap=True),
        Column("Record", "right"),
        Column("Status", wrap=True),
        Column("Reason", wrap=True, main=True),
        Column("Known", wrap=True),
    ]
    return Group(
        title,
        Text(""),
        fitted(
            columns,
            rows,
            width,
            caption=Text(f"{RECORD_NOTE}\n{PENALTY_SOURCE_NOTE}", style="dim"),
        ),
    )


def _history(view: views.StandingsHistory, width: int) -> RenderableType:
    """Each event that moved the standings, then how each crew moved: a list as wide as
    the terminal (no table rule of its own width)."""
    parts: list[RenderableType] = [
        Text(
            f"{view.rally} · {view.category} · how the general classification after stage "
            f"{view.after} changed as events were recorded",
            style="bold",
        ),
        Text(history_note(view), style="yellow" if view.imported else "dim"),
        Text(""),
    ]
    if not view.entries:
        parts.append(Text("Nothing recorded changes it."))
        return Group(*parts)
    grid = Table.grid(padding=(0, 2, 0, 0))
    grid.add_column(justify="right", no_wrap=True, style="dim")
    grid.add_column(overflow="fold")
    for item in view.entries:
        kind, words = event_words(item.record, view.names)
        event = Text(f"{kind}: ", style="bold")
        event.append(words)
        grid.add_row(f"#{item.record.seq}", event)
        for change in item.changes:
            grid.add_row("", Text("→ " + change_words(change), style="cyan"))
    parts += [
        grid,
        Text(""),
        Text(
            "#N: the event's record number in the log (--as-of N shows the standings as the "
            "log stood then; standings events lists them in order).",
            style="dim",
        ),
    ]
    return Group(*parts)


_RICH: dict[type, Callable[[Any, int], RenderableType]] = {
    views.Classification: _classification,
    views.Replay: _replay,
    views.StageRanking: _stage,
    views.Explanation: _explanation,
    views.UnclassifiedExplanation: _unclassified_explanation,
    views.Hypothetical: _hypothetical,
    views.LeaderComparison: _leader_comparison,
    views.PenaltyList: _penalties,
    views.StandingsHistory: _history,
}
"""The rich form of each view that has one."""


def renderable(result: object, width: int) -> RenderableType | None:
    """A result as a rich renderable fitting ``width`` columns (None: it has no rich form)."""
    if isinstance(result, Standings):
        result = views.Classification(result)
    elif isinstance(result, StageResult):
        result = views.StageRanking(result)
    elif isinstance(result, WhatIf):
        result = views.Hypothetical(result)
    draw = _RICH.get(type(result))
    return None if draw is None else draw(result, width)


def draw(
    result: object, *, previous: Standings | None = None, console: Console | None = None
) -> None:
    """Print a result as rich tables (a result without a rich form: its plain table).

    ``previous``: for bare standings, the GC before them, to show each crew's move.
    """
    out = console or make_console()
    if isinstance(result, Standings) and previous is not None:
        result = views.Classification(result, previous)
    drawn = renderable(result, out.width)
    if drawn is None:
        out.file.write(plain(result))
    else:
        out.print(drawn)
