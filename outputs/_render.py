"""Turning standings, stage results and events into text: tables, CSV, JSON lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rally_standings.engine import Row, StageResult, StageRow, Standings, Unclassified

if TYPE_CHECKING:
    from rally_standings.engine import HistoryEntry, PenaltyListing, StageComparison, WhatIf
from rally_standings.events import (
    CODEC,
    Event,
    Person,
    Record,
    format_signed,
    format_time,
)

__all__ = [
    "crew_text",
    "describe",
    "event_json",
    "explanation_json",
    "explanation_table",
    "history_table",
    "penalties_table",
    "stage_csv",
    "stage_table",
    "standings_csv",
    "standings_table",
    "table",
    "to_json",
    "whatif_csv",
    "whatif_stages_table",
    "whatif_table",
]


def crew_text(crew: Sequence[Person]) -> str:
    """Crew names, driver first, joined with slashes."""
    return " / ".join(person.name for person in crew)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: set[int]) -> list[str]:
    """Aligned plain-text columns; columns whose index is in ``right`` align right."""
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def _title(rally: str, category: str, what: str, as_of: int | None) -> str:
    known = f" (as known at log seq {as_of})" if as_of is not None else ""
    return f"{rally} · {category} · {what}{known}"


def _unclassified_lines(items: Sequence[Unclassified]) -> list[str]:
    if not items:
        return []
    lines = ["", f"Not classified ({len(items)}):"]
    rows = [[item.number or "-", crew_text(item.crew), item.reason] for item in items]
    lines += ["  " + line for line in table(["No.", "Crew", "Reason"], rows, right={0})]
    return lines


def standings_table(standings: Standings) -> str:
    """The GC as an aligned table: positions, crews, time, gap to the leader."""
    lines = [
        _title(
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
            "" if row.gap_ms is None else format_signed(row.gap_ms),
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


def stage_table(result: StageResult) -> str:
    """A stage ranking as an aligned table."""
    lines = [
        _title(
            result.rally, result.category, f"stage {result.stage} ({result.kind})", result.as_of
        ),
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
                "" if row.gap_ms is None else format_signed(row.gap_ms),
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


def explanation_table(standings: Standings, row: Row) -> str:
    """How one entry's cumulative time is made up: each result, penalty and awarded time."""
    lines = [
        _title(
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


def explanation_json(standings: Standings, row: Row) -> dict[str, Any]:
    """The explanation as JSON: the row and its components."""
    return {
        "rally": standings.rally,
        "category": standings.category,
        "after_stage": standings.after_stage,
        "as_of": standings.as_of,
        "number": row.number,
        "crew": [person.name for person in row.crew],
        "position": row.position,
        "position_certain": row.position_certain,
        "time_ms": row.time_ms,
        "time": format_time(row.time_ms),
        "components": [
            {
                "kind": part.kind,
                "stage": part.stage,
                "first_stage": part.first_stage,
                "time_ms": part.time_ms,
                "seq": part.seq,
                "note": part.note,
                "penalty_id": part.penalty_id,
                "recorded_ms": part.recorded_ms,
                "provenance": {"kind": str(part.provenance.kind), "detail": part.provenance.detail},
            }
            for part in row.components
        ],
    }


def _move(change: int, actual: int | None) -> str:
    if actual is None:
        return "new"
    if change > 0:
        return f"▲{change}"
    if change < 0:
        return f"▼{-change}"
    return "="


def whatif_table(whatif: WhatIf) -> str:
    """Hypothetical standings beside the actual ones, with moves and gap changes."""
    standings = whatif.hypothetical
    lines = [
        _title(
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
                _move(item.position_change, item.actual_position),
                row.number or "-",
                crew_text(row.crew),
                format_time(row.time_ms),
                "" if row.gap_ms is None else format_signed(row.gap_ms),
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


def whatif_stages_table(comparisons: Sequence[StageComparison]) -> str:
    """Who would have led after each stage, beside who did."""
    if not comparisons:
        return "The hypothesis touches no stage with a general classification.\n"
    first = comparisons[0].comparison
    lines = [
        _title(
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
                "-" if real is None else f"{real.number or '-'} {real.crew[0].name}",
                "-" if imagined is None else f"{imagined.number or '-'} {imagined.crew[0].name}",
                "LEAD CHANGES" if item.comparison.leader_changed else "",
            ]
        )
    lines += table(["Stage", "Actual leader", "Hypothetical leader", ""], rows, right={0})
    lines += ["", comparisons[-1].comparison.headline]
    return "\n".join(lines) + "\n"


def _row_cells(row: Row | StageRow) -> list[object]:
    """The CSV cells every ranked row has: position … gap_ms."""
    return [
        row.position,
        str(row.position_certain).lower(),
        row.number or "",
        crew_text(row.crew),
        row.make or "",
        format_time(row.time_ms),
        "" if row.gap_ms is None else format_signed(row.gap_ms),
        row.time_ms,
        "" if row.gap_ms is None else row.gap_ms,
    ]


def whatif_csv(whatif: WhatIf) -> str:
    """The hypothetical standings as CSV, with the actual position and the move."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "after_stage",
            "position",
            "position_certain",
            "number",
            "crew",
            "make",
            "time",
            "gap",
            "time_ms",
            "gap_ms",
            "actual_position",
            "position_change",
            "gap_change_ms",
        ]
    )
    for item in whatif.rows:
        row = item.row
        writer.writerow(
            [
                whatif.hypothetical.after_stage,
                *_row_cells(row),
                "" if item.actual_position is None else item.actual_position,
                item.position_change,
                "" if item.gap_change_ms is None else item.gap_change_ms,
            ]
        )
    return buffer.getvalue()


def penalties_table(listings: Sequence[PenaltyListing], rally: str) -> str:
    """Every penalty with its id, entry, stage, amount and whether it still counts."""
    lines = [f"{rally} · penalties", ""]
    if not listings:
        return "\n".join([*lines, "No penalties."]) + "\n"
    rows = []
    for item in listings:
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
                item.crew[0].name,
                str(event.stage),
                format_signed(event.amount_ms),
                "GC only" if event.gc_only else "stage+GC",
                str(item.state.seq),
                status,
                event.reason,
            ]
        )
    lines += table(
        [
            "Id",
            "Category",
            "No.",
            "Driver",
            "Stage",
            "Amount",
            "Counts in",
            "Seq",
            "Status",
            "Reason",
        ],
        rows,
        right={2, 4, 5, 7},
    )
    return "\n".join(lines) + "\n"


def history_table(entries: Sequence[HistoryEntry], category: str, after: int, rally: str) -> str:
    """One line per event that changed the GC after a stage, and what moved."""
    lines = [
        f"{rally} · {category} · how the general classification after stage {after} "
        "changed as events were recorded",
        "",
    ]
    for item in entries:
        lines.append(
            f"{item.record.seq:>6}  {item.record.type:<23}  "
            f"{describe(item.record.event, source=False)}"
        )
        lines += [f"{'':>8}{change.describe()}" for change in item.changes]
    if not entries:
        lines.append("Nothing recorded changes it.")
    return "\n".join(lines) + "\n"


_CSV_FIELDS = [
    "after_stage",
    "position",
    "position_certain",
    "number",
    "crew",
    "make",
    "time",
    "gap",
    "time_ms",
    "gap_ms",
    "reason",
]


def standings_csv(snapshots: Sequence[Standings]) -> str:
    """One CSV row per classified or unclassified entry, for one or more snapshots."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_FIELDS)
    for standings in snapshots:
        for row in standings.rows:
            writer.writerow(
                [
                    standings.after_stage,
                    *_row_cells(row),
                    "",
                ]
            )
        for item in standings.unclassified:
            writer.writerow(
                [
                    standings.after_stage,
                    "",
                    "",
                    item.number or "",
                    crew_text(item.crew),
                    item.make or "",
                    "",
                    "",
                    "",
                    "",
                    item.reason,
                ]
            )
    return buffer.getvalue()


def stage_csv(result: StageResult) -> str:
    """A stage ranking as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "stage",
            "position",
            "position_certain",
            "number",
            "crew",
            "make",
            "time",
            "gap",
            "time_ms",
            "gap_ms",
            "penalty_ms",
        ]
    )
    for row in result.rows:
        writer.writerow(
            [
                result.stage,
                *_row_cells(row),
                row.penalty_ms,
            ]
        )
    return buffer.getvalue()


def to_json(data: Any) -> str:
    """Pretty, stable JSON (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def event_json(record: Record) -> dict[str, Any]:
    """One record as a JSON object: ``seq``, ``type``, ``recorded_at`` and the event's fields."""
    fields = CODEC.unstructure(record.event)
    fields.pop("type")
    return {"seq": record.seq, "type": record.type, "recorded_at": record.recorded_at, **fields}


def _source(event: Event) -> str:
    provenance = event.provenance
    if provenance.kind == "recorded" and provenance.detail is None:
        return ""
    detail = f": {provenance.detail}" if provenance.detail else ""
    return f"  [{provenance.kind}{detail}]"


def describe(event: Event, *, source: bool = True) -> str:
    """One line saying what an event records (and, unless ``source`` is off, where from)."""
    return event.describe() + (_source(event) if source else "")
