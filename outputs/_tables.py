"""Plain-text tables: what a command prints when its output is piped, or with ``--plain``.

One function per result type, found by ``plain(result)``. Columns are aligned
by display width, so names in any script line up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..engine import (
    Change,
    OutOfOrder,
    PenaltyListing,
    Row,
    StageResult,
    StageRow,
    Standings,
    Unclassified,
    WhatIf,
)
from ..events import Record, format_signed, format_time
from . import _views as views
from ._text import (
    NO_NUMBER_NOTE,
    Move,
    Reference,
    cancelled_note,
    component_amount,
    component_note,
    crew_text,
    describe,
    empty_note,
    event_line,
    gap_text,
    group_heading,
    group_name,
    group_of,
    grouped,
    move_legend,
    moves,
    number_cell,
    out_of_order_text,
    partial_note,
    prints_text,
    source_text,
    stage_partial_note,
    status_reason,
    table,
    title,
    to_reference,
    what_if_move,
    what_if_notes,
    who,
)
from ._whatif import headline, labels

__all__ = [
    "CLASS_HEADERS",
    "PENALTY_SOURCE_NOTE",
    "RECORD_NOTE",
    "STATED",
    "change_words",
    "class_cells",
    "event_words",
    "grouped",
    "history_note",
    "in_class",
    "move_note",
    "numbers_note",
    "penalty_cells",
    "penalty_source",
    "penalty_status",
    "plain",
    "reference_cell",
    "reference_row",
    "shows_classes",
    "stage_heading",
    "standings_heading",
    "unclassified_summary",
    "waypoint_groups",
]

RECORD_NOTE = "Record: the event's number in the log (standings events lists them in order)."
"""The one footnote that explains a record number."""


def move_note(since: int, moved: Mapping[str, Move]) -> str:
    """The legend of a Move column showing the moves ``moved``: its symbols only."""
    return move_legend(f"stage {since}", {item.kind for item in moved.values()})


def numbers_note(items: Sequence[Row | StageRow | Unclassified]) -> list[str]:
    """The legend of a No. cell without a number, if a table shows one."""
    return ["", NO_NUMBER_NOTE] if any(item.number is None for item in items) else []


def _unclassified_lines(
    items: Sequence[Unclassified], known_rows: int | None, as_of: int | None = None
) -> list[str]:
    """The crews missing from a classification, in their plain groups (retired or excluded;
    time not in the source; no result), each group under its own heading (ending in a
    colon, one only)."""
    lines: list[str] = []
    for group, members in grouped(items):
        heading = group_heading(group, known_rows, len(members), as_of=as_of)
        lines += ["", heading if group == "unknown" else f"{heading}:"]  # one colon only
        rows = [
            [number_cell(item.number), crew_text(item.crew), status_reason(item)]
            for item in members
        ]
        lines += ["  " + line for line in table(["No.", "Crew", "Why"], rows, right={0})]
    return lines


def reference_cell(time_ms: int, reference_ms: int | None, is_reference: bool) -> str:
    """A time against the reference crew's: ``-0:10:00`` ahead, ``(ref)`` for the crew itself."""
    if is_reference:
        return "(ref)"
    delta = to_reference(time_ms, reference_ms)
    return "" if delta is None else format_signed(delta)


def _reference_note(reference: Reference, found: bool, where: str) -> list[str]:
    who_text = who(reference.number, reference.crew)
    if found:
        return ["", f"To {reference.label}: time against {who_text} (negative: ahead of it)."]
    return ["", f"{who_text} has no time {where}, so no gap to it can be given."]


def standings_heading(standings: Standings) -> str:
    """What a classification is: ``general classification [of class X] after stage N`` or
    ``… at waypoint K of stage N``."""
    of = f" of class {standings.entry_class}" if standings.entry_class is not None else ""
    if standings.waypoint is not None:
        return (
            f"general classification{of} at waypoint {standings.waypoint} of stage "
            f"{standings.after_stage}"
        )
    return f"general classification{of} after stage {standings.after_stage}"


def stage_heading(result: StageResult) -> str:
    """What a stage ranking is: ``stage N (special)[, class X][ at waypoint K]``."""
    of = f", class {result.entry_class}" if result.entry_class is not None else ""
    at = f" at waypoint {result.waypoint}" if result.waypoint is not None else ""
    return f"stage {result.stage} ({result.kind}){of}{at}"


def shows_classes(rows: Sequence[Row | StageRow], entry_class: str | None) -> bool:
    """Whether a table gets Class columns: some crew has a class and no class is chosen."""
    return entry_class is None and any(row.entry_class is not None for row in rows)


def class_cells(row: Row | StageRow) -> list[str]:
    """A row's class and its position within it (empty without a class)."""
    position = "" if row.class_position is None else str(row.class_position)
    return [row.entry_class or "", position]


CLASS_HEADERS = ["Class", "Class pos"]


def waypoint_groups(items: Sequence[Unclassified]) -> list[tuple[str, list[Unclassified]]]:
    """Crews without a time at a waypoint: those not yet there, then those that missed it."""
    out = []
    for status, heading in (("not-yet", "Not yet at the waypoint"), ("no-result", "No time there")):
        members = [item for item in items if item.status == status]
        if members:
            out.append((heading, members))
    return out


def _not_at_waypoint_lines(waypoint: int | None, items: Sequence[Unclassified]) -> list[str]:
    if waypoint is None or not items:
        return []
    lines = []
    for heading, members in waypoint_groups(items):
        lines += ["", f"{heading.replace('the waypoint', f'waypoint {waypoint}')}: {len(members)}"]
        rows = [[number_cell(item.number), crew_text(item.crew), item.reason] for item in members]
        lines += ["  " + line for line in table(["No.", "Crew", "Why"], rows, right={0})]
    return lines


def _out_of_order_lines(items: Sequence[OutOfOrder]) -> list[str]:
    return ["", out_of_order_text(items)] if items else []


def in_class(standings: Standings) -> str:
    """`` in class X`` for a classification of one class, else nothing."""
    return "" if standings.entry_class is None else f" in class {standings.entry_class}"


def _standings_title(standings: Standings, what: str) -> str:
    """The title of a table about ``what`` in ``standings``: rally, category, as-of."""
    return title(standings.rally, standings.category, what, standings.as_of)


def _classification(view: views.Classification) -> str:
    standings, previous, reference = view.standings, view.previous, view.reference
    lines = [
        _standings_title(standings, standings_heading(standings)),
        "",
    ]
    with_classes = shows_classes(standings.rows, standings.entry_class)
    moved = moves(previous, standings) if previous is not None else {}
    ref_row = standings.row_for(reference.entry_id) if reference is not None else None
    ref_ms = ref_row.time_ms if ref_row is not None else None
    rows = []
    for row in standings.rows:
        cells = [row.position_text]
        if previous is not None:
            cells.append(moved[row.entry_id].text)
        cells += [number_cell(row.number), crew_text(row.crew), row.make or ""]
        if with_classes:
            cells += class_cells(row)
        cells += [format_time(row.time_ms), gap_text(row.gap_ms)]
        if reference is not None:
            cells.append(reference_cell(row.time_ms, ref_ms, row.entry_id == reference.entry_id))
        rows.append(cells)
    headers = ["Pos", *(["Move"] if previous is not None else []), "No.", "Crew", "Make"]
    headers += CLASS_HEADERS if with_classes else []
    headers += ["Time", "Gap", *([f"To {reference.label}"] if reference is not None else [])]
    right = {i for i, h in enumerate(headers) if h in ("Pos", "No.", "Time", "Gap", "Class pos")}
    right |= {len(headers) - 1} if reference is not None else set()
    if rows:
        lines += table(headers, rows, right=right)
    else:
        lines.append(empty_note(standings))
    if previous is not None and rows:
        lines += ["", move_note(previous.after_stage, moved)]
    cancelled = cancelled_note(standings)
    if cancelled:
        lines += ["", cancelled]
    if any(not row.position_certain for row in standings.rows):
        lines += ["", partial_note(standings.known_rows)]
    if reference is not None:
        lines += _reference_note(
            reference, ref_row is not None, f"after stage {standings.after_stage}"
        )
    lines += _not_at_waypoint_lines(standings.waypoint, standings.not_at_waypoint)
    lines += _out_of_order_lines(standings.out_of_order)
    lines += _unclassified_lines(standings.unclassified, standings.known_rows, standings.as_of)
    lines += numbers_note([*standings.rows, *standings.unclassified, *standings.not_at_waypoint])
    return "\n".join(lines) + "\n"


def _standings(standings: Standings) -> str:
    return _classification(views.Classification(standings))


def _replay(replay: views.Replay) -> str:
    out = []
    previous: Standings | None = None
    for standings in replay.snapshots:
        out.append(_classification(views.Classification(standings, previous, replay.reference)))
        previous = standings
    return "\n".join(out)


def _cancelled_line(result: StageResult) -> str:
    awarded = (
        "no time awarded"
        if result.awarded_ms is None
        else f"time awarded to all: {format_time(result.awarded_ms)}"
    )
    return f"Cancelled: {result.cancelled_reason} ({awarded})."


def reference_row(result: StageResult, reference: Reference | None) -> StageRow | None:
    """The stage row of the reference crew, if there is one and it has a time."""
    if reference is None:
        return None
    return next((row for row in result.rows if row.entry_id == reference.entry_id), None)


def _stage_ranking(view: views.StageRanking) -> str:
    result, reference = view.result, view.reference
    lines = [title(result.rally, result.category, stage_heading(result), result.as_of), ""]
    with_classes = shows_classes(result.rows, result.entry_class)
    ref_row = reference_row(result, reference)
    ref_ms = ref_row.time_ms if ref_row is not None else None
    if result.cancelled_reason is not None:
        lines.append(_cancelled_line(result))
    elif result.rows:
        rows = []
        for row in result.rows:
            cells = [row.position_text, number_cell(row.number), crew_text(row.crew)]
            cells += [row.make or "", *(class_cells(row) if with_classes else [])]
            cells += [format_time(row.time_ms), gap_text(row.gap_ms)]
            if result.waypoint is None:
                cells.append(format_signed(row.penalty_ms) if row.penalty_ms else "")
            if reference is not None:
                cells.append(
                    reference_cell(row.time_ms, ref_ms, row.entry_id == reference.entry_id)
                )
            rows.append(cells)
        headers = ["Pos", "No.", "Crew", "Make", *(CLASS_HEADERS if with_classes else [])]
        headers += ["Time", "Gap", *(["Penalty"] if result.waypoint is None else [])]
        if reference is not None:
            headers.append(f"To {reference.label}")
        right = {i for i, h in enumerate(headers) if h not in ("Crew", "Make", "Class")}
        lines += table(headers, rows, right=right)
    elif result.waypoint is not None:
        lines.append(f"No crew has a time at waypoint {result.waypoint} yet.")
    else:
        lines.append("No results recorded for this stage.")
    if said := stage_partial_note(result):
        lines += ["", said]
    if reference is not None and result.cancelled_reason is None:
        lines += _reference_note(reference, ref_row is not None, f"on stage {result.stage}")
    if result.combined:
        lines += ["", "Combined times ending at this stage:"]
        rows = [
            [
                number_cell(c.number),
                crew_text(c.crew),
                f"stages {c.first_stage}–{c.stage}",
                format_time(c.time_ms),
            ]
            for c in result.combined
        ]
        lines += [
            "  " + line for line in table(["No.", "Crew", "Span", "Time"], rows, right={0, 3})
        ]
    lines += _not_at_waypoint_lines(result.waypoint, result.not_at_waypoint)
    lines += _out_of_order_lines(result.out_of_order)
    lines += _unclassified_lines([*result.retired, *result.withdrawn], None)
    lines += numbers_note(
        [*result.rows, *result.retired, *result.withdrawn, *result.not_at_waypoint]
    )
    return "\n".join(lines) + "\n"


def _stage(result: StageResult) -> str:
    return _stage_ranking(views.StageRanking(result))


_SOURCE_WIDTH = 100


def _explanation(explanation: views.Explanation) -> str:
    standings, row = explanation.standings, explanation.row
    lines = [
        _standings_title(
            standings, f"time of {who(row.number, row.crew)} after stage {standings.after_stage}"
        ),
        f"{crew_text(row.crew)} ({row.make or 'make unknown'}): position {row.position_text}"
        f"{in_class(standings)}, {format_time(row.time_ms)}",
        "",
    ]
    rows = []
    truncated = False
    for part in row.components:
        source = str(part.provenance.kind)
        cited = source_text(part.provenance, standings.rally)
        if cited:
            source += f": {cited}"
        if len(source) > _SOURCE_WIDTH:
            source = source[: _SOURCE_WIDTH - 1] + "…"
            truncated = True
        amount = component_amount(part)
        rows.append([str(part.stage), component_note(part), amount, f"#{part.seq}", source])
    lines += table(["Stage", "What", "Time", "Record", "Source"], rows, right={0, 2, 3})
    lines += ["", RECORD_NOTE]
    if truncated:
        lines.append("(Sources shortened with …; --format json gives them whole.)")
    lines += ["", f"Total: {format_time(row.time_ms)}"]
    return "\n".join(lines) + "\n"


def unclassified_summary(view: views.UnclassifiedExplanation) -> list[str]:
    """What is known of an unclassified entry, as sentences (plain and rich share them)."""
    item, standings = view.item, view.standings
    group = group_of(item.status, item.withdrawn)
    heading = group_name(group)
    if group == "unknown":
        heading += f" ({prints_text(standings.known_rows)})"
    lines = [
        f"{who(item.number, item.crew)} is not in the standings after stage "
        f"{standings.after_stage}: {heading[0].lower()}{heading[1:]}; {status_reason(item)}."
    ]
    last, row = view.last_classified, view.last_row
    if last is not None and row is not None:
        lines.append(
            f"Last in the standings after stage {last.after_stage}: position "
            f"{row.position_text}, {format_time(row.time_ms)}"
            + (f" ({format_time(row.gap_ms)} behind the leader)." if row.gap_ms else ".")
        )
    else:
        lines.append(f"In no standings up to stage {standings.after_stage}.")
    lines += [
        f"One combined time for stages {span.first_stage}–{span.stage}: "
        f"{format_time(span.time_ms)} (no time of its own for each of them)."
        for span in view.combined
    ]
    if not view.stage_times and not view.combined:
        lines.append("No stage time is recorded for this crew up to this stage.")
    return lines


def _unclassified_explanation(view: views.UnclassifiedExplanation) -> str:
    standings, item = view.standings, view.item
    lines = [
        _standings_title(
            standings,
            f"what is known of {who(item.number, item.crew)} after stage {standings.after_stage}",
        ),
        "",
        *unclassified_summary(view),
    ]
    if view.stage_times:
        lines += ["", "Stage times so far:"]
        rows = [
            [str(stage), row.position_text, format_time(row.time_ms), gap_text(row.gap_ms)]
            for stage, row in view.stage_times
        ]
        lines += [
            "  " + line for line in table(["Stage", "Pos", "Time", "Gap"], rows, right={0, 1, 2, 3})
        ]
    return "\n".join(lines) + "\n"


def _time_change(time_ms: int, actual_ms: int | None) -> str:
    if actual_ms is None or actual_ms == time_ms:
        return ""
    return format_signed(time_ms - actual_ms)


def _hypothetical(view: views.Hypothetical) -> str:
    whatif, reference = view.whatif, view.reference
    standings = whatif.hypothetical
    lines = [
        _standings_title(standings, f"what if, {standings_heading(standings)}"),
        "Hypothesis: " + "; ".join(labels(whatif)),
        headline(whatif),
        "",
    ]
    ref_row = standings.row_for(reference.entry_id) if reference is not None else None
    ref_ms = ref_row.time_ms if ref_row is not None else None
    rows = []
    for item in whatif.rows:
        row = item.row
        cells = [
            row.position_text,
            item.actual_position_text,
            "new" if (moved := what_if_move(item)) is None else moved.text,
            number_cell(row.number),
            crew_text(row.crew),
            format_time(row.time_ms),
            gap_text(row.gap_ms),
            _time_change(row.time_ms, item.actual_time_ms),
        ]
        if reference is not None:
            cells.append(reference_cell(row.time_ms, ref_ms, row.entry_id == reference.entry_id))
        rows.append(cells)
    headers = ["Pos", "Was", "Move", "No.", "Crew", "Time", "Gap", "Time change"]
    if reference is not None:
        headers.append(f"To {reference.label}")
    lines += table(headers, rows, right={0, 1, 3, 5, 6, 7, 8})
    lines += [
        "",
        "Was: the actual position. Time change: the crew's own time in the hypothesis "
        "against its actual time (gaps also move with the leader's time).",
    ]
    for said in what_if_notes(whatif.rows, standings.known_rows):
        lines += ["", said]
    if reference is not None:
        lines += _reference_note(
            reference, ref_row is not None, f"after stage {standings.after_stage}"
        )
    lines += _unclassified_lines(standings.unclassified, standings.known_rows, standings.as_of)
    lines += numbers_note([*standings.rows, *standings.unclassified])
    return "\n".join(lines) + "\n"


def _what_if(whatif: WhatIf) -> str:
    return _hypothetical(views.Hypothetical(whatif))


def _leader_comparison(view: views.LeaderComparison) -> str:
    comparisons = view.comparisons
    if not comparisons:
        return "The hypothesis touches no stage with a general classification.\n"
    first = comparisons[0].comparison
    lines = [
        title(
            first.hypothetical.rally,
            first.hypothetical.category,
            "what if, leader after every stage",
            first.hypothetical.as_of,
        ),
        "Hypothesis: " + "; ".join(labels(first)),
        "",
    ]
    rows = []
    for item in comparisons:
        real, imagined = item.comparison.actual.leader, item.comparison.hypothetical.leader
        rows.append(
            [
                str(item.stage),
                "-" if real is None else who(real.number, real.crew),
                "-" if imagined is None else who(imagined.number, imagined.crew),
                "changes" if item.comparison.leader_changed else "",
            ]
        )
    lines += table(["Stage", "Actual leader", "Hypothetical leader", "Lead"], rows, right={0})
    lines += ["", headline(comparisons[-1].comparison)]
    return "\n".join(lines) + "\n"


def penalty_status(in_force: bool, rescinded_seq: int | None, reason: str | None) -> str:
    """A penalty's status in words: ``in force`` or ``rescinded (record #65): why``."""
    if in_force:
        return "in force"
    return f"rescinded (record #{rescinded_seq}): {reason}"


STATED = frozenset({"printed", "note", "recorded", "erratum", "synthetic"})
"""Provenances that state a penalty (an official recorded it, the source prints or says it);
any other (derived, inferred, …) is worked out, and shown as such."""


def penalty_source(item: PenaltyListing) -> str:
    """How a penalty is known: ``stated`` (recorded, printed, in a note), ``derived from the
    arithmetic`` (the source states no penalty: its numbers only add up with one), ``inferred``
    (the importer's guess, not reviewed) or ``hypothetical``."""
    kind = str(item.state.event.provenance.kind)
    if kind in STATED:
        return "stated"
    return {
        "derived": "derived from the arithmetic",
        "inferred": "inferred, not reviewed",
    }.get(kind, kind)


def penalty_cells(item: PenaltyListing) -> list[str]:
    """A penalty's row: id, category, No., driver, stage, amount, counts in, record, status,
    reason and how it is known (``penalty_source``)."""
    state, event = item.state, item.state.event
    return [
        event.adjustment_id,
        item.category,
        number_cell(item.number),
        item.crew[0].name,
        str(event.stage),
        format_signed(event.delta_ms),
        "stage+GC" if event.in_stage else "GC only",
        f"#{state.seq}",
        penalty_status(state.in_force, state.rescinded_seq, state.rescinded_reason),
        event.reason,
        penalty_source(item),
    ]


def _penalties(view: views.PenaltyList) -> str:
    lines = [f"{view.rally} · penalties", ""]
    if not view.listings:
        return "\n".join([*lines, "No penalties."]) + "\n"
    rows = [penalty_cells(item) for item in view.listings]
    headers = ["Id", "Category", "No.", "Driver", "Stage", "Amount", "Counts in", "Record"]
    lines += table([*headers, "Status", "Reason", "Known"], rows, right={2, 4, 5, 7})
    lines += ["", RECORD_NOTE, PENALTY_SOURCE_NOTE]
    return "\n".join(lines) + "\n"


def history_note(view: views.StandingsHistory) -> str:
    """What the order of the history means for this log."""
    if view.imported:
        return (
            "This log was imported from its source after the rally: the records are in the "
            "order of the import, not the order in which the facts became known."
        )
    return "Each line is a record of the log, in the order it was recorded."


_EVENT_WORDS = {
    "rally-declared": "rally",
    "entry-registered": "entry",
    "stage-scheduled": "stage",
    "stage-result-recorded": "stage time",
    "result-corrected": "corrected time",
    "penalty-imposed": "penalty",
    "penalty-rescinded": "penalty rescinded",
    "stage-cancelled": "stage cancelled",
    "entry-retired": "out of the rally",
    "field-coverage-declared": "what the source prints",
    "waypoint-recorded": "waypoint time",
}
"""Each event type in a fan's words (``standings history``)."""


def event_words(record: Record, names: Mapping[str, str]) -> tuple[str, str]:
    """An event in a fan's words: what kind of fact it is, and the fact, each entry id
    replaced by the crew's name (``No. 201 Hiroshi Masuoka``) from ``names``."""
    text = describe(record.event, source=False)
    for entry_id in sorted(names, key=len, reverse=True):
        text = text.replace(entry_id, names[entry_id])
    return _EVENT_WORDS.get(record.type, record.type.replace("-", " ")), text


def change_words(change: Change) -> str:
    """How one crew moved, in a fan's words: ``No. 201 Hiroshi Masuoka 1st → 2nd``, ``No. 203
    Stéphane Peterhansel stays 1st, +0:05:00``."""
    name = who(change.number, change.crew)
    if change.before_position is None:
        assert change.after_ms is not None
        return f"{name} enters the standings {_ordinal(change.after_position or 0)}, " + (
            format_time(change.after_ms)
        )
    if change.after_position is None:
        return f"{name} leaves the standings (was {_ordinal(change.before_position)})"
    before, after = _ordinal(change.before_position), _ordinal(change.after_position)
    text = f"{name} stays {after}" if before == after else f"{name} {before} → {after}"
    if None not in (change.before_ms, change.after_ms) and change.before_ms != change.after_ms:
        assert change.before_ms is not None
        assert change.after_ms is not None
        text += f", {format_signed(change.after_ms - change.before_ms)}"
    return text


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _history(view: views.StandingsHistory) -> str:
    lines = [
        f"{view.rally} · {view.category} · how the general classification after stage "
        f"{view.after} changed as events were recorded",
        history_note(view),
        "",
    ]
    for item in view.entries:
        kind, text = event_words(item.record, view.names)
        lines.append(f"{item.record.seq:>6}  {kind}: {text}")
        lines += [f"{'':>8}{change_words(change)}" for change in item.changes]
    if not view.entries:
        lines.append("Nothing recorded changes it.")
    else:
        lines += [
            "",
            "The first column is each event's record number in the log (--as-of takes it).",
        ]
    return "\n".join(lines) + "\n"


def _event_log(view: views.EventLog) -> str:
    return "".join(event_line(record) for record in view.records)


PENALTY_SOURCE_NOTE = (
    "Known: stated (recorded by an official, printed or said in the source); derived from the "
    "arithmetic (the source states no such penalty: only its numbers reveal it)."
)
"""The legend of the penalties' Known column."""


_PLAIN: dict[type, Callable[[Any], str]] = {
    Standings: _standings,
    views.Classification: _classification,
    views.Replay: _replay,
    StageResult: _stage,
    views.StageRanking: _stage_ranking,
    views.Explanation: _explanation,
    views.UnclassifiedExplanation: _unclassified_explanation,
    WhatIf: _what_if,
    views.Hypothetical: _hypothetical,
    views.LeaderComparison: _leader_comparison,
    views.PenaltyList: _penalties,
    views.StandingsHistory: _history,
    views.EventLog: _event_log,
}


def plain(result: object) -> str:
    """A result as a plain-text table."""
    return _PLAIN[type(result)](result)
