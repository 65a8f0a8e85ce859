"""The report's sections: per category (or per what-if), their tables, charts and lists.

The summary of a category (facts, charts, final standings, stage winners,
penalties and cancellations) is always shown and printed; the long lists
(who is not classified, stage by stage, how each time is made up) are
collapsible sections, printed only when the reader opened them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

import attrs

from ...engine import (
    COMPONENT_KINDS,
    Component,
    StageComparison,
    StageResult,
    StageRow,
    Standings,
    WhatIf,
)
from ...events import StageKind, StageScheduled, format_signed, format_time
from .._tables import STATED
from .._text import (
    GROUPS,
    INTERVAL_WORDS,
    Move,
    Reference,
    all_tied,
    component_amount,
    component_counts,
    crew_text,
    empty_note,
    gap_text,
    group_heading,
    group_of,
    missing_summary,
    move_legend,
    moves,
    prints_text,
    sole_leader,
    status_reason,
    to_reference,
    what_if_move,
    who,
)
from .._whatif import headline, labels
from ._charts import (
    ChartSpec,
    Series,
    chart_series,
    colors_for,
    render_chart,
)
from ._html import (
    PROVENANCE,
    badge,
    crew_cell,
    escape,
    move_cell,
    number_td,
    pos_cell,
    source_html,
    table,
)
from ._model import View

__all__ = [
    "Advance",
    "category_section",
    "chart_spec",
    "waypoint_chart",
    "whatif_section",
]

Advance = Callable[[str], None]
"""Called once per step of the work with what was just done (for a progress bar)."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _ranges(stages: Sequence[int]) -> str:
    """``2–9, 11, 13–17`` (consecutive in the list, not in number)."""
    parts: list[str] = []
    for stage in stages:
        if parts and parts[-1].split("–")[-1] == str(stage - 1):
            parts[-1] = parts[-1].split("–")[0] + f"–{stage}"
        else:
            parts.append(str(stage))
    return ", ".join(parts)


_COUNTRY_SLASH = re.compile(r"^([A-Z]{2,3})/\s*")
"""A place printed ``MAR/ Smara``: the country code, then the place (``MAR Smara``)."""


def _place(place: str | None) -> str:
    return _COUNTRY_SLASH.sub(r"\1 ", place.strip()) if place else ""


def _stage_route(event: StageScheduled | None) -> str:
    if event is None:
        return ""
    route = " → ".join(_place(part) for part in (event.start, event.finish) if part)
    parts = [event.date or "", route, f"{event.distance_km} km" if event.distance_km else ""]
    return " · ".join(part for part in parts if part)


# ---------------------------------------------------------------------- standings tables


_TIME_GAP = [("Time", "num time"), ("Gap", "num gap")]
"""The time and gap columns of a ranked table (``_time_gap_cells``)."""
_DRIVER_TIME_GAP = [("No.", "num no"), ("Driver", "crew"), *_TIME_GAP]
"""A compact ranked table's columns after the position: the driver, time and gap."""
_INTERVAL = ("Interval", "num interval")
"""The time behind the crew one place ahead (``interval_td``)."""


def _time_gap_cells(time_ms: int, gap_ms: int | None, interval_ms: int | None = None) -> str:
    """A ranked row's time and gap cells (``_TIME_GAP``); ``interval_ms``: the interval,
    repeated under the gap for a phone, where the Interval column is not shown."""
    under = (
        f'<span class="iv">{escape(_interval_text(interval_ms))}</span>'
        if interval_ms is not None
        else ""
    )
    return (
        f'<td class="num time">{escape(format_time(time_ms))}</td>'
        f'<td class="num gap">{escape(gap_text(gap_ms))}{under}</td>'
    )


def _interval_text(interval_ms: int | None) -> str:
    if interval_ms is None:
        return ""
    return format_signed(interval_ms) if interval_ms else "tie"


def interval_td(interval_ms: int | None) -> str:
    """The Interval cell: the time behind the row one place ahead (a tie: ``tie``)."""
    return f'<td class="num interval">{escape(_interval_text(interval_ms))}</td>'


def _kind_of(provenance: str) -> str:
    """``stated`` for a penalty the source states; else how it is known."""
    return "stated" if provenance in STATED else provenance


def penalty_notes(parts: Sequence[Component]) -> str:
    """The penalties (and bonuses) in a crew's time, as small lines under its name: a stated
    one red, one derived from the arithmetic marked as such (never red)."""
    out = []
    for part in parts:
        if part.kind != "penalty":
            continue
        kind = _kind_of(str(part.provenance.kind))
        what = "bonus" if part.time_ms < 0 else "penalty"
        tag = (
            ""
            if kind == "stated"
            else f' <span class="tag {escape(kind)}">{escape(_TAGS.get(kind, kind))}</span>'
        )
        out.append(
            f'<span class="pen {escape(kind)}">incl. {what} {escape(format_signed(part.time_ms))} '
            f"(stage {part.stage}){tag}</span>"
        )
    return "".join(out)


_TAGS = {
    "derived": "derived from the arithmetic",
    "inferred": "inferred, not reviewed",
    "hypothetical": "hypothetical",
}
"""The tag of a penalty the source does not state."""


def standings_table(
    standings: Standings,
    previous: Standings | None,
    *,
    caption: str = "",
    was_label: str = "",
    compact: bool = False,
    reference: Reference | None = None,
) -> str:
    """A GC table; ``previous``: the earlier GC (moves), or with ``was_label`` the actual one.

    ``compact``: the driver only (the crew in a tooltip) and no make, for two tables abreast.
    Each row shows its gap to the leader and its interval to the crew one place ahead, and
    the penalties in its time; a shared first place is a tie, never drawn as a lead.
    """
    if not standings.rows:
        said = empty_note(standings) if standings.before_gc else "No crew is in these standings."
        return f'<p class="empty">{escape(said)}</p>'
    before = {row.entry_id: row for row in previous.rows} if previous is not None else {}
    moved = moves(previous, standings) if previous is not None and not was_label else {}
    ref_row = standings.row_for(reference.entry_id) if reference is not None else None
    headers: list[tuple[str, str]] = [("Pos", "num")]
    if was_label:
        headers.append((was_label, "num"))
    headers += [("Move", "move")] if moved else []
    headers += [("No.", "num no")]
    headers += [("Driver", "crew")] if compact else [("Crew", "crew"), ("Make", "make")]
    headers += [*_TIME_GAP, _INTERVAL]
    if reference is not None:
        headers.append((f"To {reference.label}", "num ref"))
    body = []
    alone = sole_leader(standings.rows)
    rows = standings.rows
    for index, row in enumerate(rows):
        interval = None if index == 0 else row.time_ms - rows[index - 1].time_ms
        was = before.get(row.entry_id)
        cells = [pos_cell(row.position, row.position_certain)]
        if was_label:
            cells.append(
                '<td class="num"></td>'
                if was is None
                else pos_cell(was.position, was.position_certain)
            )
        if moved:
            cells.append(move_cell(moved[row.entry_id]))
        cells += [
            number_td(row.number),
            crew_cell(row.crew, row.make, compact=compact, extra=penalty_notes(row.components)),
            _time_gap_cells(row.time_ms, row.gap_ms, interval),
            interval_td(interval),
        ]
        if reference is not None:
            is_ref = row.entry_id == reference.entry_id
            delta = to_reference(row.time_ms, ref_row.time_ms if ref_row else None)
            text = "(ref)" if is_ref else "" if delta is None else format_signed(delta)
            cells.append(f'<td class="num ref">{escape(text)}</td>')
        klass = ' class="leader"' if row is alone else ""
        body.append(f"<tr{klass}>{''.join(cells)}</tr>")
    cls = "standings with-ref" if reference is not None else "standings"
    return table(headers, body, caption=caption, cls=cls)


def move_legend_html(standings: Standings, previous: Standings | None) -> str:
    """The legend under a standings table: its Move column's symbols only (none without
    one), and the interval where one is shown (two crews or more); nothing where neither."""
    moved = moves(previous, standings) if previous is not None else {}
    said = escape(move_legend("the stage before", {item.kind for item in moved.values()}))
    said = said.replace("▲", '<span class="up">▲</span>', 1).replace(
        "▼", '<span class="down">▼</span>', 1
    )
    parts = [said] if said else []
    if len(standings.rows) > 1:
        parts.append(escape(INTERVAL_WORDS))
    return f'<p class="small legend-move">{" ".join(parts)}</p>' if parts else ""


def _unclassified_line(view: View, standings: Standings) -> str:
    """One line under a standings table: who is missing from it, by plain group, with a link
    to the list (on screen only: the list is printed only when opened)."""
    summary = missing_summary(standings.unclassified, standings.known_rows)
    if not summary:
        return ""
    return (
        f'<p class="small missing">{escape(summary)}'
        f' <a class="screen-only" href="#{escape(view.category)}-unclassified">Who, and why</a></p>'
    )


def _missing_item(view: View, entry_id: str) -> tuple[str, str]:
    """One crew missing from some standings: its plain group and its sentence, every stage
    in it derived from the snapshots (where it is missing, where it is in the standings)."""
    missing: list[tuple[int, Standings]] = []
    present: list[int] = []
    for standings in view.snapshots:
        item = next((u for u in standings.unclassified if u.entry_id == entry_id), None)
        if item is not None:
            missing.append((standings.after_stage, standings))
        elif standings.row_for(entry_id) is not None:
            present.append(standings.after_stage)
    _, last_standings = missing[-1]
    item = next(u for u in last_standings.unclassified if u.entry_id == entry_id)
    group = group_of(item.status, item.withdrawn)
    stages = [stage for stage, _ in missing]
    number = f"No. {escape(item.number)} " if item.number else ""
    plural = "s" if len(stages) > 1 else ""
    if group in ("retired", "excluded", "withdrawn"):
        what = f"{status_reason(item)}; not in the standings after stage{plural} {_ranges(stages)}"
    else:
        combined = f" ({status_reason(item)})" if item.known_after is not None else ""
        what = (
            f"{prints_text(last_standings.known_rows)}; time not known after stage{plural} "
            if group == "unknown"
            else f"no result recorded after stage{plural} "
        ) + f"{_ranges(stages)}{combined}"
    if present:
        what += (
            f"; in the standings after stage{'s' if len(present) > 1 else ''} {_ranges(present)}"
        )
    return group, f"<li>{number}<b>{escape(crew_text(item.crew))}</b>: {escape(what)}</li>"


def _unclassified_section(view: View) -> str:
    """Each crew missing from the standings after some stage, once, in its plain group
    (``GROUPS``: retired, excluded, time not in the source, withdrawn, no result)."""
    seen: dict[str, None] = {}
    for standings in view.snapshots:
        for item in standings.unclassified:
            seen.setdefault(item.entry_id, None)
    if not seen:
        if all(standings.before_gc for standings in view.snapshots):
            return f'<p class="empty">{escape(empty_note(view.snapshots[-1]))}</p>'
        return '<p class="empty">Every crew is in the standings after every stage.</p>'
    by_group: dict[str, list[str]] = {}
    for entry_id in seen:
        group, line = _missing_item(view, entry_id)
        by_group.setdefault(group, []).append(line)
    known = {s.known_rows for s in view.snapshots if s.known_rows is not None}
    single = next(iter(known)) if len(known) == 1 else None
    blocks = []
    for group in GROUPS:
        items = by_group.get(group)
        if items:
            heading = group_heading(group, single, len(items))
            blocks.append(
                f'<h4 data-group="{escape(group)}">{escape(heading)}</h4>'
                f'<ul class="compact">{"".join(items)}</ul>'
            )
    return "".join(blocks)


# ---------------------------------------------------------------------- stages


def _stage_penalty(view: View, result: StageResult, row: StageRow) -> str:
    """The penalty in a stage time, under the crew's name: stated ones red, worked-out ones
    tagged (from the penalties of the log that count in this stage's ranking)."""
    if not row.penalty_ms:
        return ""
    known = {
        _kind_of(str(item.state.event.provenance.kind))
        for item in view.listings
        if item.state.in_force
        and item.state.event.in_stage
        and item.state.event.stage == result.stage
        and item.number == row.number
        and item.crew == row.crew
    }
    kind = "stated" if known in (set(), {"stated"}) else sorted(known - {"stated"})[0]
    what = "bonus" if row.penalty_ms < 0 else "penalty"
    tag = (
        ""
        if kind == "stated"
        else f' <span class="tag {escape(kind)}">{escape(_TAGS.get(kind, kind))}</span>'
    )
    return (
        f'<span class="pen {escape(kind)}">incl. {what} '
        f"{escape(format_signed(row.penalty_ms))}{tag}</span>"
    )


def _stage_table(view: View, result: StageResult) -> str:
    if result.cancelled_reason is not None:
        awarded = (
            "no time awarded"
            if result.awarded_ms is None
            else f"{format_time(result.awarded_ms)} awarded to every crew still in the rally: a tie"
        )
        return (
            f'<p class="cancel">Cancelled: {escape(result.cancelled_reason)} '
            f"({escape(awarded)}).</p>"
        )
    if not result.rows and not result.combined:
        return '<p class="empty">No result recorded for this stage.</p>'
    body = []
    for row in result.rows:
        body.append(
            "<tr>"
            + pos_cell(row.position, row.position_certain)
            + number_td(row.number)
            + crew_cell(row.crew, None, compact=True, extra=_stage_penalty(view, result, row))
            + _time_gap_cells(row.time_ms, row.gap_ms)
            + "</tr>"
        )
    out = (
        table(
            [("Pos", "num"), *_DRIVER_TIME_GAP],
            body,
            caption=f"Stage {result.stage} ranking",
            cls="stage",
        )
        if body
        else ""
    )
    if result.combined:
        items = "".join(
            f"<li>{who(c.number, c.crew)}: "
            f"{escape(format_time(c.time_ms))} over stages {c.first_stage}–{c.stage}</li>"
            for c in result.combined
        )
        out += (
            '<p class="small">Combined times ending at this stage (the source gives only '
            f'their sum):</p><ul class="compact">{items}</ul>'
        )
    return out


def _winners(result: StageResult) -> list[str]:
    return [who(row.number, row.crew) for row in result.rows if row.position == 1]


def _stage_winners(view: View) -> str:
    body = []
    for result in view.stage_results:
        route = escape(_stage_route(view.schedule.get(result.stage)))
        kind = "" if result.kind == StageKind.SPECIAL else f" ({result.kind}, not counted)"
        if result.cancelled_reason is not None:
            award = (
                ""
                if result.awarded_ms is None
                else f": {format_time(result.awarded_ms)} awarded to all, a tie"
            )
            winner, time, note = "—", "", f"cancelled{award}"
        else:
            winners = _winners(result)
            if winners:
                winner = "<br>".join(escape(name) for name in winners)
                time = escape(format_time(result.rows[0].time_ms))
                note = "tie" if len(winners) > 1 else ""
            else:
                winner, time, note = "—", "", "no stage time recorded"
        body.append(
            f'<tr><td class="num">{result.stage}</td><td class="small route">{route}</td>'
            f'<td class="winner">{winner}</td><td class="num time">{time}</td>'
            f'<td class="small">{escape(note)}{escape(kind)}</td></tr>'
        )
    return table(
        [
            ("Stage", "num"),
            ("Date · route", "route"),
            ("Winner", "winner"),
            ("Time", "num time"),
            ("", ""),
        ],
        body,
        cls="winners",
    )


def _stage_by_stage(view: View, actual: View | None) -> str:
    blocks = []
    previous: Standings | None = None
    for result in view.stage_results:
        standings = view.snapshot(result.stage)
        winners = _winners(result)
        if result.cancelled_reason is not None:
            headline = "cancelled: same time to all, a tie" if result.awarded_ms else "cancelled"
        elif winners:
            headline = "won by " + ", ".join(winners)
        else:
            headline = "no stage time"
        if standings is not None and standings.rows:
            alone = sole_leader(standings.rows)
            if all_tied(standings):
                headline += " · GC: every crew tied"
            elif alone is None:
                headline += " · GC: tied for the lead"
            else:
                margin, _ = lead_margin(standings)
                by = f" by {margin}" if margin not in ("", "tied", "not known") else ""
                headline += f" · GC leader {who(alone.number, alone.crew)}{by}"
        gc = ""
        if standings is not None:
            if actual is not None:
                gc = standings_table(
                    standings,
                    actual.snapshot(result.stage),
                    caption=f"Hypothetical GC after stage {result.stage} (Was: actual)",
                    was_label="Was",
                    compact=True,
                )
            else:
                gc = standings_table(
                    standings,
                    previous,
                    caption=f"General classification after stage {result.stage}",
                    compact=True,
                )
                if standings.rows:  # each box can be opened alone: its own legend
                    gc += move_legend_html(standings, previous)
            gc += _unclassified_line(view, standings)
            previous = standings
        route = _stage_route(view.schedule.get(result.stage))
        blocks.append(
            f'<details class="stage" id="{escape(view.category)}-stage-{result.stage}">'
            f"<summary><b>Stage {result.stage}</b>"
            f"{' · ' + escape(route) if route else ''}"
            f'<span class="headline">{escape(headline)}</span></summary>'
            f'<div class="abreast"><div>{_stage_table(view, result)}</div><div>{gc}</div></div>'
            "</details>"
        )
    return "".join(blocks)


def crew_grid(view: View) -> str:
    """Every crew, stage by stage (as results sites give it): per stage its place and time on
    the stage, and its place in the general classification after it. Crews in the order of
    the last standings, then the others as the stages first name them."""
    order: dict[str, tuple[str | None, str]] = {}
    for row in view.final.rows:
        order[row.entry_id] = (row.number, crew_text(row.crew))
    for result in view.stage_results:
        for stage_row in result.rows:
            order.setdefault(stage_row.entry_id, (stage_row.number, crew_text(stage_row.crew)))
    if not order:
        return '<p class="empty">No stage time is recorded.</p>'
    results = [r for r in view.stage_results if r.kind == StageKind.SPECIAL or r.rows]
    head = "".join(f'<th scope="col" class="num">{r.stage}</th>' for r in results)
    body = []
    for entry_id, (number, names) in order.items():
        cells = []
        for result in results:
            gc = view.snapshot(result.stage)
            gc_row = gc.row_for(entry_id) if gc is not None else None
            own = next((r for r in result.rows if r.entry_id == entry_id), None)
            if result.cancelled_reason is not None:
                parts = ['<span class="small">cancelled</span>']
            elif own is None:
                parts = ['<span class="small">–</span>']
            else:
                parts = [
                    f"<b>{escape(own.position_text)}</b>",
                    f'<span class="t">{escape(format_time(own.time_ms))}</span>',
                ]
            if gc_row is not None:
                parts.append(f'<span class="small">GC {escape(gc_row.position_text)}</span>')
            cells.append(f'<td class="stagecell">{" <br>".join(parts)}</td>')
        label = f"{escape(number)} " if number else ""
        body.append(
            f'<tr><th scope="row" class="who">{label}{escape(names.split(" / ")[0])}</th>'
            + "".join(cells)
            + "</tr>"
        )
    return (
        '<div class="grid-wrap"><table class="grid"><thead><tr>'
        f'<th scope="col" class="who">Stage</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
        '<p class="small">In each cell: the place on the stage (bold) and the stage time, then '
        "the place in the general classification after the stage (GC). – no stage time "
        "recorded or printed; ≥N a place known only as N-th or lower.</p>"
    )


# ---------------------------------------------------------------------- facts


def _leader_after(view: View, standings: Standings) -> str:
    if all_tied(standings):
        return "tied (awarded time)" if standings.after_stage in view.awarded_stages else "tied"
    leader = sole_leader(standings.rows)
    if leader is None:
        return "tied: " + ", ".join(
            who(row.number, row.crew) for row in standings.rows if row.position == 1
        )
    return who(leader.number, leader.crew)


def lead_margin(standings: Standings) -> tuple[str, str]:
    """The leader's margin after a stage and over whom: (``0:49:24``, ``No. 201 Hiroshi
    Masuoka``); ``tied`` when first place is shared; ``not known`` when the source does not
    vouch for the second place (the true runner-up may be missing from it)."""
    rows = standings.rows
    if len(rows) < 2:
        return "", ""
    second = rows[1]
    if second.position == rows[0].position:
        return "tied", ""
    if not second.position_certain:
        return "not known", ""
    return format_time(second.gap_ms or 0), who(second.number, second.crew)


def leaders_table(view: View) -> str:
    """Who led after each stage and by how much, over whom (a tie is a tie)."""
    body = []
    for standings in view.snapshots:
        if not standings.rows:
            continue
        margin, over = lead_margin(standings)
        body.append(
            f'<tr><td class="num">{standings.after_stage}</td>'
            f"<td>{escape(_leader_after(view, standings))}</td>"
            f'<td class="num margin">{escape(margin)}</td>'
            f'<td class="small">{escape(over)}</td></tr>'
        )
    return table(
        [("After stage", "num"), ("Leader", ""), ("By", "num"), ("Over", "")],
        body,
        cls="leaders",
    )


def leaders_text(view: View) -> str:
    """Who led after each stage, runs merged: ``No. 203 … (stages 3–17)``."""
    runs: list[tuple[str, int, int]] = []
    for standings in view.snapshots:
        if standings.leader is None:
            continue
        name = _leader_after(view, standings)
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1], standings.after_stage)
        else:
            runs.append((name, standings.after_stage, standings.after_stage))
    return " · ".join(
        f"{name} (stage {a})" if a == b else f"{name} (stages {a}–{b})" for name, a, b in runs
    )


_WIDE = ' class="wide"'


def _facts(view: View) -> str:
    final = view.final
    facts: list[tuple[str, str]] = []
    leader = sole_leader(final.rows)
    last = max((result.stage for result in view.stage_results), default=0)
    if leader is None and final.rows:
        facts.append(
            (
                "Winners (a tie)" if final.after_stage == last else "Tied for the lead",
                escape(_leader_after(view, final)),
            )
        )
    if leader is not None:
        facts.append(
            (
                "Winner"
                if final.after_stage == last
                else f"Leader after stage {final.after_stage}",
                (f"No. {escape(leader.number)} " if leader.number else "")
                + f"<b>{escape(crew_text(leader.crew))}</b>"
                + (f" · {escape(leader.make)}" if leader.make else "")
                + f" · {escape(format_time(leader.time_ms))}",
            )
        )
        margin, over = lead_margin(final)
        if margin:
            facts.append(
                (
                    "Margin",
                    f"<b>{escape(margin)}</b>"
                    + (f" over {escape(over)}" if over else "")
                    + ("" if over else " (the source does not print the runner-up)"),
                )
            )
    wins: dict[str, int] = {}
    for result in view.stage_results:
        if result.cancelled_reason is None and result.kind == StageKind.SPECIAL:
            for name in _winners(result):
                wins[name] = wins.get(name, 0) + 1
    if wins:
        ranked = sorted(wins.items(), key=lambda kv: (-kv[1], kv[0]))
        facts.append(("Stage wins", escape(" · ".join(f"{n} ×{c}" for n, c in ranked))))
    kinds = [result.kind for result in view.stage_results]
    cancelled = {c.stage for c in view.cancelled}
    specials = sum(
        1
        for result in view.stage_results
        if result.kind == StageKind.SPECIAL and result.stage not in cancelled
    )
    parts = [_plural(specials, "timed special")]
    if kinds.count(StageKind.PROLOGUE):
        parts.insert(0, _plural(kinds.count(StageKind.PROLOGUE), "prologue"))
    if cancelled:
        parts.append(f"{len(cancelled)} cancelled ({_ranges(sorted(cancelled))})")
    facts.append(("Stages", escape(f"{len(view.stage_results)}: {', '.join(parts)}")))
    facts.append(("Leader after each stage, and by how much", leaders_table(view)))
    return (
        '<dl class="facts">'
        + "".join(
            f"<div{_WIDE if '<table' in v else ''}><dt>{escape(k)}</dt><dd>{v}</dd></div>"
            for k, v in facts
        )
        + "</dl>"
    )


def partial_note(snapshots: Sequence[Standings]) -> str:
    """What the source leaves out, when it prints only the leading rows."""
    unsure = sum(1 for s in snapshots for row in s.rows if not row.position_certain)
    partial = [s for s in snapshots if s.known_rows is not None]
    if not partial and not unsure:
        return ""
    by_known: dict[int, list[int]] = {}
    for standings in partial:
        if standings.known_rows is not None:
            by_known.setdefault(standings.known_rows, []).append(standings.after_stage)
    tops = "; ".join(
        f"after stage{'s' if len(stages) > 1 else ''} {_ranges(stages)}, "
        + ("only the leader" if known == 1 else f"the top {known}")
        for known, stages in sorted(by_known.items(), key=lambda kv: kv[1][0])
    )
    return (
        '<aside class="partial" role="note"><b>Partial data.</b> The source prints only the '
        f"leading rows of the general classification ({escape(tops)}). "
        "A place beyond them is shown as "
        '<span class="uncertain">≥N</span>: N-th or lower (that many crews known to the log '
        f"are ahead); {_plural(unsure, 'place')} in the standings after the stages "
        f"{'is' if unsure == 1 else 'are'} shown so. The position chart draws only the places "
        "the source vouches for: a line breaks where a crew's place is not known, and no move "
        "is drawn into or out of a gap; the gap chart draws every time that is known.</aside>"
    )


# ---------------------------------------------------------------------- penalties and make-up


def _timeline(view: View) -> str:
    items: list[tuple[int, int, str]] = []
    rally = view.rally.name
    for listing in view.listings:
        event = listing.state.event
        scope = "stage and GC" if event.in_stage else "GC only"
        name = escape(who(listing.number, listing.crew))
        amount = escape(format_signed(event.delta_ms))
        kind = "bonus" if event.delta_ms < 0 and event.component == "penalty" else event.component
        known = _kind_of(str(event.provenance.kind))
        status = ""
        # a penalty the source states is red; one worked out from its numbers is not
        klass = "penalty" if known == "stated" else f"penalty {known}"
        if not listing.state.in_force:
            klass += " rescinded"
            amount = f"<del>{amount}</del>"
            seq = listing.state.rescinded_seq
            when = " (hypothetically)" if seq is None or not view.real(seq) else ""
            status = (
                f' <span class="rescinded-note">Rescinded{escape(when)}: '
                f"{escape(listing.state.rescinded_reason or '')}</span>"
            )
        tag = (
            ""
            if known == "stated"
            else f' <span class="tag {escape(known)}">{escape(_TAGS.get(known, known))}</span>'
        )
        source = source_html(event.provenance, rally)
        items.append(
            (
                event.stage,
                listing.state.seq,
                f'<li class="{klass}"><span class="when">Stage {event.stage}</span> '
                f'<span class="what">{kind.capitalize()} {amount}</span>{tag} for <b>{name}</b> '
                f"({scope}): {escape(event.reason)}{status} "
                f'<span class="small">· {escape(event.adjustment_id)}'
                + (f" · {source}" if source else "")
                + "</span></li>",
            )
        )
    for cancel in view.cancelled:
        award = (
            "no time awarded, so the stage does not count"
            if cancel.awarded_ms is None
            else f"<b>{escape(format_time(cancel.awarded_ms))}</b> awarded to every crew still in "
            "the rally, so the stage is a tie"
        )
        items.append(
            (
                cancel.stage,
                cancel.seq,
                f'<li class="cancel"><span class="when">Stage {cancel.stage}</span> '
                f'<span class="what">cancelled</span> ({escape(cancel.reason.rstrip("."))}): '
                f"{award}</li>",
            )
        )
    for result in view.stage_results:
        for item in result.retired:
            items.append(
                (
                    result.stage,
                    0,
                    f'<li class="retired"><span class="when">Stage {result.stage}</span> '
                    f'<span class="what">Out</span>: <b>{escape(who(item.number, item.crew))}</b>, '
                    f"{escape(item.reason)}</li>",
                )
            )
        for item in result.withdrawn:
            items.append(
                (
                    result.stage,
                    0,
                    f'<li class="retired"><span class="when">Stage {result.stage}</span> '
                    '<span class="what">Time withdrawn</span>: '
                    f"<b>{escape(who(item.number, item.crew))}</b>, {escape(item.reason)}</li>",
                )
            )
    if not items:
        return (
            '<p class="empty">No penalty, cancellation or retirement is recorded for '
            f"{escape(view.category)}.</p>"
        )
    items.sort(key=lambda item: (item[0], item[1]))
    return '<ol class="timeline">' + "".join(text for _, _, text in items) + "</ol>"


def _replaced(part: Component) -> str:
    """What a corrected time replaced, in words (no record number: the report names sources,
    ``standings explain`` the records), and the time first recorded where that differs."""
    if part.recorded_ms is None or part.replaced_ms is None:
        return ""
    said = f"replaces {format_time(part.replaced_ms)}"
    if part.recorded_ms != part.replaced_ms:
        said += f"; first recorded {format_time(part.recorded_ms)}"
    return f' <span class="small">({escape(said)})</span>'


def _component_row(view: View, part: Component) -> str:
    amount = component_amount(part)
    recorded = _replaced(part)
    stage = f"{part.first_stage}–{part.stage}" if part.first_stage is not None else str(part.stage)
    klass: str = part.kind
    if COMPONENT_KINDS[part.kind].signed and _kind_of(str(part.provenance.kind)) != "stated":
        klass = f"{part.kind} {_kind_of(str(part.provenance.kind))}"
    return (
        f'<tr class="{escape(klass)}"><td class="num">{escape(stage)}</td>'
        f"<td>{escape(part.note)}{recorded}</td>"
        f'<td class="num">{escape(amount)}</td>'
        f"<td>{badge(str(part.provenance.kind))} "
        f"{source_html(part.provenance, view.rally.name)}</td></tr>"
    )


def _makeup(view: View, standings: Standings) -> str:
    if not standings.rows:
        return ""
    blocks = []
    used: set[str] = set()
    for row in standings.rows:
        counts = component_counts(row.components)
        sources = sorted({str(part.provenance.kind) for part in row.components})
        used.update(sources)
        body = [_component_row(view, part) for part in row.components]
        body.append(
            f'<tr class="total"><td></td><td>Total</td>'
            f'<td class="num">{escape(format_time(row.time_ms))}</td><td></td></tr>'
        )
        blocks.append(
            f'<details class="makeup" data-entry="{escape(row.number or row.entry_id)}">'
            f'<summary><span class="pos-chip">{escape(row.position_text)}</span> '
            + (f"No. <b>{escape(row.number)}</b> " if row.number else "")
            + f"{escape(crew_text(row.crew))} · "
            f"{escape(format_time(row.time_ms))} "
            f'<span class="small">({escape(counts)}; {" ".join(badge(s) for s in sources)})'
            f"</span></summary>"
            + table(
                [
                    ("Stage", "num"),
                    ("What", ""),
                    ("Time", "num"),
                    ("Source", ""),
                ],
                body,
            )
            + "</details>"
        )
    legend = "".join(
        f"<li>{badge(kind)} {escape(text)}</li>"
        for kind, text in PROVENANCE.items()
        if kind in used  # only the kinds of source the times shown come from
    )
    return f'<ul class="legend inline">{legend}</ul>' + "".join(blocks)


# ---------------------------------------------------------------------- charts


_CHART_TITLES = {
    "positions": "Place after each stage",
    "gaps": "Gap to the leader after each stage",
    "relative": "Time to {ref} after each stage",
}


def _drawn_thick(view: View) -> str:
    """Which line the charts draw thick, in words: the winner once the last stage run is in
    the standings, else the leader after the last stage shown; none where first place is
    shared."""
    final = view.final
    if sole_leader(final.rows) is None:
        return ""
    last = max((result.stage for result in view.stage_results), default=0)
    if final.after_stage == last:
        return "the winner is drawn thick"
    return f"the leader after stage {final.after_stage} is drawn thick"


def _partial(view: View) -> bool:
    """Whether the log holds only part of some classification (a source that prints only the
    leading rows): places beyond them are lower bounds, not drawn."""
    return any(
        s.known_rows is not None or any(not row.position_certain for row in s.rows)
        for s in view.snapshots
    )


def _shared_place(view: View) -> bool:
    """Whether two crews share a known place in some classification (a tie)."""
    for standings in view.snapshots:
        places = [row.position for row in standings.rows if row.position_certain]
        if len(set(places)) < len(places):
            return True
    return False


def caption(view: View, kind: str, *, zoomed: bool = False) -> str:
    """A chart's caption, true of the rally shown: the line drawn thick (the winner, or the
    leader so far), places the source vouches for only where it holds part of a
    classification, ties and cancelled stages only where there are some."""
    thick = _drawn_thick(view)
    if kind == "positions":
        said = "Place in the general classification after each stage"
        said += f"; {thick}. " if thick else ". "
        partial, tie = _partial(view), _shared_place(view)
        if partial:
            said += (
                "Only places the source vouches for are drawn: a line breaks where a crew is "
                "not in the standings or its place is uncertain (≥N)"
            )
        else:
            said += "A line breaks where a crew is not in the standings"
        if tie:
            said += ", and no move is drawn into, out of or within a tie (a hollow marker)"
        said += ", so no move is drawn that the data does not show." if partial or tie else "."
        if view.void_stages or view.awarded_stages:
            said += " Shaded: a stage cancelled for this category."
        return said
    if kind == "gaps":
        said = "Time behind the leader after each stage, in hours and minutes"
        said += f"; {thick}." if thick else "."
        if zoomed:
            said += " The lower panel is the same chart cut to the fight for the lead."
        return said + " A line breaks where a crew's time is not known."
    label = view.reference.label if view.reference is not None else ""
    said = (
        f"Each crew's time against {label} after each stage: {label} is the dashed zero line; "
        f"above it, ahead of {label} (-), below it, behind (+)."
    )
    if thick:
        said += f" {thick[0].upper()}{thick[1:]}."
    return said + " A line breaks where either time is not known."


_SCREEN_HINT = (
    '<span class="screen-only hover-hint"> Hover a line for its crew.</span>'
    '<span class="print-only"> Each line is named at its end or in the legend.</span>'
)
"""How a reader finds a line's crew: on a screen by hovering, on paper by its label."""


def chart_spec(
    view: View,
    series: tuple[Series, ...],
    colors: dict[str, str],
    kind: Literal["positions", "gaps", "relative"],
    *,
    chart_id: str,
    title_prefix: str = "",
    width: float = 11.0,
    narrow: bool = False,
) -> ChartSpec:
    """The spec of one chart of ``view``."""
    reference = view.reference
    alone = sole_leader(view.final.rows)
    leader = alone.entry_id if alone is not None else None
    label = reference.label if reference is not None else ""
    height = 4.6 if kind == "positions" else 4.2
    if narrow:
        height = 5.4 if kind == "positions" else 6.6
    spec = ChartSpec(
        chart_id=chart_id,
        kind=kind,
        stages=tuple(s.after_stage for s in view.snapshots),
        series=series,
        colors=colors,
        leader=leader,
        cancelled=view.void_stages,
        awarded=view.awarded_stages,
        title=title_prefix + _CHART_TITLES[kind].format(ref=label),
        width=width,
        height=height,
        narrow=narrow,
        reference_label=label,
        reference=reference.entry_id if kind == "relative" and reference is not None else None,
    )
    if kind == "gaps" and spec.zoom_ms() is not None:
        return attrs.evolve(spec, height=height + (3.0 if not narrow else 2.6))
    return spec


def _figure(spec: ChartSpec, narrow: ChartSpec, caption: str) -> str:
    def svg(item: ChartSpec, cls: str) -> str:
        label = f"{item.title or item.kind} chart, {len(item.drawn)} series"
        markup = render_chart(item)
        return markup.replace(
            "<svg ", f'<svg class="{cls}" role="img" aria-label="{escape(label)}" ', 1
        )

    return (
        f'<figure class="chart" data-chart="{escape(spec.chart_id)}" '
        f'data-kind="{escape(spec.kind)}" '
        f'data-series="{len(spec.drawn)}">{svg(spec, "wide")}{svg(narrow, "narrow")}'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def charts(
    view: View,
    series: tuple[Series, ...],
    colors: dict[str, str],
    *,
    suffix: str,
    title_prefix: str,
    width: float,
    advance: Advance,
    kinds: Sequence[Literal["positions", "gaps", "relative"]] = ("positions", "gaps"),
) -> list[str]:
    """The charts of a view (wide and narrow each), as figures."""
    plotted = len(series)
    total = len({row.entry_id for s in view.snapshots for row in s.rows})
    left_out = (
        f" The {plotted} best placed of the {total} crews the data classifies are drawn."
        if total > plotted
        else ""
    )
    out = []
    for kind in kinds:
        chart_id = f"{view.category}-{kind}{suffix}"
        spec = chart_spec(
            view, series, colors, kind, chart_id=chart_id, title_prefix=title_prefix, width=width
        )
        narrow = chart_spec(
            view,
            series,
            colors,
            kind,
            chart_id=f"{chart_id}-narrow",
            title_prefix=title_prefix,
            width=4.2,
            narrow=True,
        )
        said = caption(view, kind, zoomed=kind == "gaps" and spec.zoom_ms() is not None)
        out.append(_figure(spec, narrow, escape(said + left_out) + _SCREEN_HINT))
        advance(f"{view.category}: {kind} chart{suffix.replace('-', ' ')}")
    return out


def _with_reference(series: tuple[Series, ...], view: View) -> tuple[Series, ...]:
    """``series`` with the reference crew's line added if it is not among them."""
    reference = view.reference
    if reference is None or any(s.entry_id == reference.entry_id for s in series):
        return series
    every = chart_series(view.snapshots, limit=10_000)
    extra = [s for s in every if s.entry_id == reference.entry_id]
    return (*series, *extra)


# ---------------------------------------------------------------------- sections


def _menu(category: str, links: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f'<a href="#{escape(category)}-{escape(anchor)}">{escape(text)}</a>'
        for anchor, text in links
    )
    return f'<nav class="sections" aria-label="{escape(category)} sections">{items}</nav>'


_TOP = '<p class="to-top"><a href="#top">↑ Back to top</a></p>'


def _collapsible(anchor: str, title: str, intro: str, body: str) -> str:
    return (
        f'<details class="more" id="{escape(anchor)}"><summary><h3>{escape(title)}</h3>'
        '<span class="small hint">(open to read or to print)</span></summary>'
        f"{intro}{body}</details>"
    )


def waypoint_chart(view: View) -> str:
    """The positions at each waypoint of one stage (the virtual GC there), wide and narrow."""
    snapshots = view.waypoints
    if not snapshots:
        return ""
    stage = snapshots[0].after_stage
    series = chart_series(snapshots)
    last = sole_leader(snapshots[-1].rows)
    colors = colors_for([s.entry_id for s in series], last.entry_id if last else None)
    numbers = tuple(s.waypoint or 0 for s in snapshots)
    chart_id = f"{view.category}-waypoints-{stage}"
    wide = ChartSpec(
        chart_id=chart_id,
        kind="positions",
        stages=numbers,
        series=series,
        colors=colors,
        leader=last.entry_id if last else None,
        title=f"Place at each waypoint of stage {stage}",
        x_label=f"at waypoint (stage {stage})",
    )
    narrow = attrs.evolve(wide, chart_id=f"{chart_id}-narrow", width=4.2, height=5.4, narrow=True)
    caption = (
        f"Place in the general classification at each waypoint of stage {stage}: the GC after "
        "the stage before, the penalties in force and the time at the waypoint. A line breaks "
        "where a crew has no time at a waypoint."
    )
    return (
        f'<h3 id="{escape(view.category)}-waypoints">Stage {stage}, waypoint by waypoint</h3>'
        + _figure(wide, narrow, escape(caption) + _SCREEN_HINT)
    )


def category_section(view: View, advance: Advance) -> str:
    """One category: summary, charts, final standings, winners, timeline; then the long lists."""
    series = _with_reference(chart_series(view.snapshots), view)
    alone = sole_leader(view.final.rows)
    colors = colors_for([s.entry_id for s in series], alone.entry_id if alone else None)
    kinds: list[Literal["positions", "gaps", "relative"]] = ["positions", "gaps"]
    if view.reference is not None:
        kinds.append("relative")
    figures = charts(
        view,
        series,
        colors,
        suffix="",
        title_prefix="",
        width=11.0,
        advance=advance,
        kinds=kinds,
    )
    previous = view.snapshots[-2] if len(view.snapshots) > 1 else None
    final = view.final
    category = view.category
    menu = _menu(
        category,
        [
            ("charts", "Charts"),
            ("final", "Standings"),
            ("winners", "Stage winners"),
            ("timeline", "Penalties"),
            ("unclassified", "Who is missing"),
            ("grid", "Every crew"),
            ("stages", "Stage by stage"),
            ("makeup", "Time make-up"),
        ],
    )
    of = f" · class {view.entry_class}" if view.entry_class is not None else ""
    section = (
        f'<section class="category" id="{escape(category)}">'
        f"<h2>{escape(category.capitalize() + of)}</h2>"
        + menu
        + _facts(view)
        + f'<div class="charts" id="{escape(category)}-charts">{"".join(figures)}</div>'
        + waypoint_chart(view)
        + partial_note(view.snapshots)
        + f'<h3 id="{escape(category)}-final">Standings after stage {final.after_stage}</h3>'
        + standings_table(
            final,
            previous,
            caption=f"General classification{of.replace(' · ', ' of ')} after stage "
            f"{final.after_stage}; moves against "
            f"stage {previous.after_stage if previous else final.after_stage}",
            reference=view.reference,
        )
        + move_legend_html(final, previous)
        + _unclassified_line(view, final)
        + f'<h3 id="{escape(category)}-winners">Stage winners</h3>'
        + _stage_winners(view)
        + f'<h3 id="{escape(category)}-timeline">Penalties, cancellations and retirements</h3>'
        + _timeline(view)
        + _collapsible(
            f"{category}-unclassified",
            "Who is missing from the standings, and why",
            '<p class="small">Each crew missing from the standings after some stage, once: '
            "retired or excluded, its time not in the source, or no result recorded; with the "
            "stages it is missing after and those it is in the standings after.</p>",
            _unclassified_section(view),
        )
        + _collapsible(
            f"{category}-grid",
            "Every crew, stage by stage",
            "",
            crew_grid(view),
        )
        + _collapsible(
            f"{category}-stages",
            "Stage by stage",
            '<p class="small">Open a stage for its ranking and the general classification '
            "after it, with each crew's move since the stage before.</p>",
            _stage_by_stage(view, None),
        )
        + _collapsible(
            f"{category}-makeup",
            "How each time is made up",
            '<p class="small">Every part of each classified crew\'s time after stage '
            f"{final.after_stage}, with the record of the log it comes from and its source.</p>",
            _makeup(view, final),
        )
        + _TOP
        + "</section>"
    )
    advance(f"{category}: tables")
    return section


def _time_change(time_ms: int, actual_ms: int | None) -> str:
    if actual_ms is None or actual_ms == time_ms:
        return ""
    return format_signed(time_ms - actual_ms)


def whatif_section(
    actual: View,
    imagined: View,
    result: WhatIf,
    comparisons: Sequence[StageComparison],
    advance: Advance,
) -> str:
    """A what-if: actual and hypothetical charts and standings side by side."""
    series_actual = chart_series(actual.snapshots)
    series_imagined = chart_series(imagined.snapshots)
    alone = sole_leader(actual.final.rows)
    winner = alone.entry_id if alone is not None else None
    colors = colors_for(
        [s.entry_id for s in series_actual] + [s.entry_id for s in series_imagined], winner
    )
    a_pos, a_gap = charts(
        actual,
        series_actual,
        colors,
        suffix="-actual",
        title_prefix="Actual: ",
        width=6.4,
        advance=advance,
    )
    h_pos, h_gap = charts(
        imagined,
        series_imagined,
        colors,
        suffix="-hypothetical",
        title_prefix="Hypothesis: ",
        width=6.4,
        advance=advance,
    )
    hypothesis = "".join(f"<li>{escape(text)}</li>" for text in labels(result))
    headline_class = "headline lead-change" if result.leader_changed else "headline"
    leaders = []
    for item in comparisons:
        real = item.comparison.actual.leader
        fancy = item.comparison.hypothetical.leader
        changed = item.comparison.leader_changed
        leaders.append(
            ('<tr class="changed">' if changed else "<tr>") + f'<td class="num">{item.stage}</td>'
            f"<td>{escape(who(real.number, real.crew) if real else '-')}</td>"
            f"<td>{escape(who(fancy.number, fancy.crew) if fancy else '-')}</td>"
            f"<td>{'lead changes' if changed else ''}</td></tr>"
        )
    category = actual.category
    final_rows = []
    for index_row, entry in enumerate(result.rows):
        row = entry.row
        was = (
            '<td class="num"></td>'
            if entry.actual_position is None
            else pos_cell(entry.actual_position, entry.actual_position_certain)
        )
        mv = what_if_move(entry) or Move("new")
        final_rows.append(
            ('<tr class="leader">' if index_row == 0 else "<tr>")
            + pos_cell(row.position, row.position_certain)
            + was
            + move_cell(mv)
            + number_td(row.number)
            + crew_cell(row.crew, None, compact=True)
            + _time_gap_cells(row.time_ms, row.gap_ms)
            + f'<td class="num">{escape(_time_change(row.time_ms, entry.actual_time_ms))}</td></tr>'
        )
    hyp_table = table(
        [
            ("Pos", "num"),
            ("Was", "num"),
            ("Move", "move"),
            *_DRIVER_TIME_GAP,
            ("Time change", "num"),
        ],
        final_rows,
        caption=f"Hypothesis: GC after stage {result.hypothetical.after_stage}",
        cls="standings hypothetical",
    )
    menu = _menu(
        category,
        [
            ("final", "Standings"),
            ("leaders", "Leaders"),
            ("timeline", "Penalties"),
            ("stages", "Stage by stage"),
            ("makeup", "Time make-up"),
        ],
    )
    section = (
        f'<section class="category whatif" id="{escape(category)}">'
        f"<h2>{escape(category.capitalize())}: what if</h2>"
        + menu
        + f'<div class="hypothesis"><h3>The hypothesis</h3><ul>{hypothesis}</ul>'
        f'<p class="{headline_class}">{escape(headline(result))}</p>'
        '<p class="small">Hypothetical events are checked by the same rules as real ones and '
        "applied in memory; the log is not changed, and they have no record number.</p></div>"
        + partial_note(actual.snapshots)
        + f'<div class="charts pair">{a_pos}{h_pos}</div>'
        + f'<div class="charts pair">{a_gap}{h_gap}</div>'
        + f'<h3 id="{escape(category)}-final">Standings after stage '
        f"{result.hypothetical.after_stage}: actual and hypothetical</h3>"
        + '<div class="abreast">'
        + standings_table(
            result.actual,
            None,
            caption=f"Actual: GC after stage {result.actual.after_stage}",
            compact=True,
        )
        + hyp_table
        + "</div>"
        + '<p class="small">Was: the actual position. Time change: the crew\'s own time in the '
        "hypothesis against its actual time (every gap also moves with the leader's time).</p>"
        + f'<h3 id="{escape(category)}-leaders">'
        + "Leader after every stage the hypothesis touches</h3>"
        + table(
            [("Stage", "num"), ("Actual leader", ""), ("Hypothetical leader", ""), ("", "")],
            leaders,
            cls="leaders",
        )
        + f'<h3 id="{escape(category)}-timeline">Penalties, cancellations and retirements, in the '
        "hypothesis</h3>"
        + _timeline(imagined)
        + _collapsible(
            f"{category}-stages",
            "Stage by stage, in the hypothesis",
            '<p class="small">Open a stage for its ranking and the hypothetical general '
            "classification after it; <i>Was</i> is the actual position after the same "
            "stage.</p>",
            _stage_by_stage(imagined, actual),
        )
        + _collapsible(
            f"{category}-makeup",
            "How each time is made up, in the hypothesis",
            "",
            _makeup(imagined, imagined.final),
        )
        + _TOP
        + "</section>"
    )
    advance(f"{category}: tables")
    return section
