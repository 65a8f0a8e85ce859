"""Timing sheets: an entry list, a stage's results and its waypoint splits, from files.

``import_sheet`` reads a file (``read_sheet``: a *format*, such as CSV, turns
its bytes into a table), turns its rows into events (a *kind*: ``entries``,
``results`` or ``waypoints``), and appends them to a log as one batch: one
frame, one write, one fsync. A bad row refuses the whole file with its line,
its column, what was expected and what was found, and nothing is written.

Adding an input format is one module with a ``SheetFormat`` and one
``register_format`` call (``_csv`` is the example); every kind reads it.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from ...engine import Recorder, View, now_iso, require_stage
from ...events import QueryError, Record, RuleViolationError
from ._csv import CsvFormat
from ._kinds import KINDS, Placed, Request, SheetKind
from ._sheet import (
    FORMATS,
    Row,
    Sheet,
    SheetError,
    SheetFormat,
    format_for,
    read_sheet,
    refused,
    register_format,
)
from ._slips import noted, slips_of_event

__all__ = [
    "FORMATS",
    "KINDS",
    "ImportSummary",
    "Placed",
    "Request",
    "Row",
    "Sheet",
    "SheetError",
    "SheetFormat",
    "SheetKind",
    "format_for",
    "import_sheet",
    "noted",
    "read_sheet",
    "register_format",
    "sheet_events",
    "slips_of_event",
]

register_format(CsvFormat())


@attrs.frozen
class ImportSummary:
    """What an import appended: the records, from how many rows of which sheet."""

    sheet: str
    kind: str
    rows: int
    records: tuple[Record, ...]
    corrections: bool = False

    def describe(self) -> str:
        """One line saying what was recorded (the command prints it)."""
        counts: dict[str, int] = {}
        for record in self.records:
            excluded = getattr(record.event, "excluded", False)
            kind = "entry-excluded" if excluded else record.type
            counts[kind] = counts.get(kind, 0) + 1
        words = {
            "entry-registered": ("entry", "entries"),
            "stage-result-recorded": ("result", "results"),
            "penalty-imposed": ("penalty", "penalties"),
            "entry-retired": ("retirement", "retirements"),
            "entry-excluded": ("exclusion", "exclusions"),
            "waypoint-recorded": ("waypoint time", "waypoint times"),
            "result-corrected": ("corrected time", "corrected times"),
            "waypoint-corrected": ("corrected waypoint time", "corrected waypoint times"),
        }
        parts = [
            f"{count} {words[tag][0] if count == 1 else words[tag][1]}"
            for tag, count in counts.items()
        ]
        if not self.records:
            return (
                f"nothing to record: every time in {self.sheet} is as the log has it "
                f"({_counted(self.rows, 'row')})\n"
            )
        first, last = self.records[0].seq, self.records[-1].seq
        seqs = f"record #{first}" if first == last else f"records #{first}-#{last}"
        kept = self.rows - len(self.records)
        unchanged = f"; {_counted(kept, 'row')} unchanged" if self.corrections else ""
        return (
            f"recorded {', '.join(parts)} from {self.sheet} "
            f"({_counted(self.rows, 'row')}{unchanged}), {seqs}\n"
        )


def _counted(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def sheet_events(fold: View, kind: str, sheet: Sheet, request: Request) -> list[Placed]:
    """The events a sheet stands for (not yet checked by the fold's rules), with their lines."""
    sheet_kind = KINDS[kind]
    if sheet_kind.needs_stage:
        _check_stage(fold, request.stage)
    if request.corrections and not sheet_kind.corrects:
        raise SheetError(
            "--corrections applies to a results or waypoints sheet only",
            where=sheet.name,
            expected="a results or waypoints sheet",
            received=f"a sheet of {kind}",
        )
    return sheet_kind.events(sheet, fold, request)


def _check_stage(fold: View, stage: int | None) -> None:
    try:
        require_stage(fold, stage)
    except QueryError as error:
        raise SheetError(
            "unscheduled stage",
            where="--stage; nothing was written",
            expected=error.expected,
            received=stage,
        ) from None


def import_sheet(
    recorder: Recorder,
    kind: str,
    path: str | os.PathLike[str],
    *,
    request: Request | None = None,
    format_name: str | None = None,
    recorded_at: str | None = None,
) -> ImportSummary:
    """Read a timing sheet and append what it records to the recorder's log, as one batch.

    Refused with a ``SheetError`` (nothing written) at the first row that does not read,
    or whose event the rules refuse, naming its line and column.
    """
    request = request or Request()
    sheet = read_sheet(path, format_name)
    placed = sheet_events(recorder.fold, kind, sheet, request)
    if not placed and not request.corrections:
        raise refused(
            sheet.name, "no rows", expected="a header line and at least one row", received="none"
        )
    if not placed:
        return ImportSummary(Path(path).name, kind, len(sheet.rows), (), request.corrections)
    try:
        records = recorder.append_many(
            [item.event for item in placed], recorded_at=recorded_at or now_iso()
        )
    except RuleViolationError as error:
        if error.index is None or not 0 <= error.index < len(placed):
            raise
        raise refused(
            sheet.name,
            error.what,
            line=placed[error.index].line,
            expected=error.expected,
            received=error.received,
        ) from error
    return ImportSummary(Path(path).name, kind, len(sheet.rows), records, request.corrections)
