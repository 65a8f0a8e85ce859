"""Plain-text tables: what a command prints when its output is piped, or with ``--plain``.

One function per result type, found by ``plain(result)``. Columns are aligned
by display width, so names in any script line up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rally_standings.engine import StageResult, Standings, Unclassified, WhatIf
from rally_standings.events import Event, Record, format_signed, format_time
from rally_standings.outputs._text import (
    crew_text,
    driver,
    gap_text,
    move_by,
    table,
    title,
)
from rally_standings.outputs._views import (
    EventLog,
    Explanation,
    LeaderComparison,
    PenaltyList,
    Replay,
    StandingsHistory,
)

__all__ = ["describe", "event_line", "plain"]


def _unclassified_lines(items: Sequence[Unclassified]) -> list[str]:
    if not items:
        return []
    lines = ["", f"Not classified ({len(items)}):"]
    rows = [[item.number or "-", crew_text(item.crew), item.reason] for item in items]
    lines += ["  " + line for line in table(["No.", "Crew", "Reason"], rows, right={0})]
    return lines


def _standings(standings: Standings) -> str:
    lines = [
        title(
            standings.rally,
            standings.category,
            f"general classification after stage {standings.after_stage}",
            standings.as_of,
        ),
        "",
    ]
    rows = [
        [
            row.position_text,
            row.number or "-",
            crew_text(row.crew),
            row.make or "",
            format_time(row.time_ms),
            gap_text(row.gap_ms),
        ]
        for row in standings.rows
    ]
    if rows:
        lines += table(["Pos", "No.", "Crew", "Make", "Time", "Gap"], rows, right={0, 1, 4, 5})
    else:
        lines.append("No entry is classified.")
    if any(not row.position_certain for row in standings.rows):
        lines += [
            "",
            f"≥N: the log holds only the first {standings.known_rows} rows of this "
            "classification; the position is at least N.",
        ]
    lines += _unclassified_lines(standings.unclassified)
    return "\n".join(lines) + "\n"


def _replay(replay: Replay) -> str:
    return "\n".join(_standings(s) for s in replay.snapshots)


def _stage(result: StageResult) -> str:
    lines = [
        title(result.rally, result.category, f"stage {result.stage} ({result.kind})", result.as_of),
        "",
    ]
    if result.cancelled_reason is not None:
        awarded = (
            "no time awarded"
            if result.awarded_ms is None
            else f"time awarded to all: {format_time(result.awarded_ms)}"
        )
        lines.append(f"Cancelled: {result.cancelled_reason} ({awarded}).")
    elif result.rows:
        rows = [
            [
                row.position_text,
                row.number or "-",
                crew_text(row.crew),
                row.make or "",
                format_time(row.time_ms),
                gap_text(row.gap_ms),
                format_signed(row.penalty_ms) if row.penalty_ms else "",
            ]
            for row in result.rows
        ]
        lines += table(
            ["Pos", "No.", "Crew", "Make", "Time", "Gap", "Penalty"], rows, right={0, 1, 4, 5, 6}
        )
    else:
        lines.append("No results recorded for this stage.")
    if any(not row.position_certain for row in result.rows):
        lines += [
            "",
            "≥N: the log holds only part of this stage's ranking; the position is at least N.",
        ]
    if result.combined:
        lines += ["", "Combined times ending at this stage:"]
        rows = [
            [
                c.number or "-",
                crew_text(c.crew),
                f"stages {c.first_stage}-{c.stage}",
                format_time(c.time_ms),
            ]
            for c in result.combined
        ]
        lines += [
            "  " + line for line in table(["No.", "Crew", "Span", "Time"], rows, right={0, 3})
        ]
    lines += _unclassified_lines(result.retired)
    return "\n".join(lines) + "\n"


_SOURCE_WIDTH = 100


def _explanation(explanation: Explanation) -> str:
    standings, row = explanation.standings, explanation.row
    lines = [
        title(
            standings.rally,
            standings.category,
            f"time of No. {row.number or row.entry_id} after stage {standings.after_stage}",
            standings.as_of,
        ),
        f"{crew_text(row.crew)} ({row.make or 'make unknown'}): position {row.position_text}, "
        f"{format_time(row.time_ms)}",
        "",
    ]
    rows = []
    truncated = False
    for part in row.components:
        source = str(part.provenance.kind)
        if part.provenance.detail:
            source += f": {part.provenance.detail}"
        if len(source) > _SOURCE_WIDTH:
            source = source[: _SOURCE_WIDTH - 1] + "…"
            truncated = True
        amount = (
            format_signed(part.time_ms) if part.kind == "penalty" else format_time(part.time_ms)
        )
        rows.append([str(part.stage), part.note, amount, str(part.seq), source])
    lines += table(["Stage", "What", "Time", "Seq", "Source"], rows, right={0, 2, 3})
    lines += ["", f"Total: {format_time(row.time_ms)}"]
    if truncated:
        lines.append("(Sources shortened with …; --format json gives them whole.)")
    return "\n".join(lines) + "\n"


def _what_if(whatif: WhatIf) -> str:
    standings = whatif.hypothetical
    lines = [
        title(
            standings.rally,
            standings.category,
            f"what if, general classification after stage {standings.after_stage}",
            standings.as_of,
        ),
        "Hypothesis: " + "; ".join(whatif.labels),
        whatif.headline,
        "",
    ]
    rows = []
    for item in whatif.rows:
        row = item.row
        gap_change = item.gap_change_ms
        rows.append(
            [
                row.position_text,
                "-" if item.actual_position is None else str(item.actual_position),
                "new" if item.actual_position is None else move_by(item.position_change).text,
                row.number or "-",
                crew_text(row.crew),
                format_time(row.time_ms),
                gap_text(row.gap_ms),
                "" if not gap_change else format_signed(gap_change),
            ]
        )
    lines += table(
        ["Pos", "Was", "Move", "No.", "Crew", "Time", "Gap", "Gap change"],
        rows,
        right={0, 1, 3, 5, 6, 7},
    )
    lines += _unclassified_lines(standings.unclassified)
    return "\n".join(lines) + "\n"


def _leader_comparison(view: LeaderComparison) -> str:
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
        "Hypothesis: " + "; ".join(first.labels),
        "",
    ]
    rows = []
    for item in comparisons:
        real, imagined = item.comparison.actual.leader, item.comparison.hypothetical.leader
        rows.append(
            [
                str(item.stage),
                "-" if real is None else f"{real.number or '-'} {driver(real.crew)}",
                "-" if imagined is None else f"{imagined.number or '-'} {driver(imagined.crew)}",
                "LEAD CHANGES" if item.comparison.leader_changed else "",
            ]
        )
    lines += table(["Stage", "Actual leader", "Hypothetical leader", ""], rows, right={0})
    lines += ["", comparisons[-1].comparison.headline]
    return "\n".join(lines) + "\n"


def _penalties(view: PenaltyList) -> str:
    lines = [f"{view.rally} · penalties", ""]
    if not view.listings:
        return "\n".join([*lines, "No penalties."]) + "\n"
    rows = []
    for item in view.listings:
        event = item.state.event
        status = (
            "in force"
            if item.state.in_force
            else f"rescinded (seq {item.state.rescinded_seq}): {item.state.rescinded_reason}"
        )
        rows.append(
            [
                event.penalty_id,
                item.category,
                item.number or "-",
                driver(item.crew),
                str(event.stage),
                format_signed(event.amount_ms),
                "GC only" if event.gc_only else "stage+GC",
                str(item.state.seq),
                status,
                event.reason,
            ]
        )
    headers = ["Id", "Category", "No.", "Driver", "Stage", "Amount", "Counts in", "Seq"]
    lines += table([*headers, "Status", "Reason"], rows, right={2, 4, 5, 7})
    return "\n".join(lines) + "\n"


def _history(view: StandingsHistory) -> str:
    lines = [
        f"{view.rally} · {view.category} · how the general classification after stage "
        f"{view.after} changed as events were recorded",
        "",
    ]
    for item in view.entries:
        lines.append(
            f"{item.record.seq:>6}  {item.record.type:<23}  "
            f"{describe(item.record.event, source=False)}"
        )
        lines += [f"{'':>8}{change.describe()}" for change in item.changes]
    if not view.entries:
        lines.append("Nothing recorded changes it.")
    return "\n".join(lines) + "\n"


def _source(event: Event) -> str:
    provenance = event.provenance
    if provenance.kind == "recorded" and provenance.detail is None:
        return ""
    detail = f": {provenance.detail}" if provenance.detail else ""
    return f"  [{provenance.kind}{detail}]"


def describe(event: Event, *, source: bool = True) -> str:
    """One line saying what an event records (and, unless ``source`` is off, where from)."""
    return event.describe() + (_source(event) if source else "")


def event_line(record: Record) -> str:
    """A record as one line of ``standings events``: seq, type, what it records."""
    return f"{record.seq:>6}  {record.type:<23}  {describe(record.event)}\n"


def _event_log(view: EventLog) -> str:
    return "".join(event_line(record) for record in view.records)


_PLAIN: dict[type, Callable[[Any], str]] = {
    Standings: _standings,
    Replay: _replay,
    StageResult: _stage,
    Explanation: _explanation,
    WhatIf: _what_if,
    LeaderComparison: _leader_comparison,
    PenaltyList: _penalties,
    StandingsHistory: _history,
    EventLog: _event_log,
}


def plain(result: object) -> str:
    """A result as a plain-text table."""
    return _PLAIN[type(result)](result)
