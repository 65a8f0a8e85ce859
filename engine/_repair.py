"""Checking a log from end to end, and repairing a damaged one into a new file."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from engine._fold import Fold
from events import RallyError, RuleViolationError
from events._log import LogCheck, check_file, write_new_file

__all__ = ["CheckReport", "RepairReport", "check_log", "repair_log"]


@attrs.frozen
class CheckReport:
    """What `standings log check` found: framing problems and the first rule violation."""

    check: LogCheck
    violation: RuleViolationError | None
    violation_index: int | None
    """Index (0-based) in ``check.records`` of the first record the rules refuse."""

    @property
    def ok(self) -> bool:
        """No damage and no rule violation (a torn tail alone is a normal crash outcome)."""
        return not self.check.damaged and self.violation is None

    @property
    def usable(self) -> int:
        """How many leading records are sound and accepted by the rules."""
        return self.violation_index if self.violation_index is not None else len(self.check.records)


def check_log(path: str | os.PathLike[str]) -> CheckReport:
    """Check every frame, checksum and sequence number, then the rules, of a log file."""
    check = check_file(path)
    fold = Fold()
    for index, record in enumerate(check.records):
        try:
            fold.apply(record)
        except RuleViolationError as error:
            return CheckReport(check=check, violation=error, violation_index=index)
    return CheckReport(check=check, violation=None, violation_index=None)


@attrs.frozen
class RepairReport:
    """What `standings log repair` kept and dropped."""

    kept: int
    dropped_readable: int
    """Records after the first problem that could still be read, dropped all the same."""
    dropped_bytes: int
    """Bytes of the original after the last kept record."""
    output: Path


def repair_log(path: str | os.PathLike[str], output: str | os.PathLike[str]) -> RepairReport:
    """Write to ``output`` every event before the first damage or rule violation.

    The original is only read. The new log is created atomically and holds the
    kept records byte for byte.
    """
    source = Path(path)
    report = check_log(source)
    check = report.check
    if not check.records and check.problems and check.problems[0].offset == 0:
        raise RallyError(
            "nothing to repair from",
            where=str(source),
            expected="a rally log with a sound header and first record",
            received=check.problems[0].what,
        )
    kept = report.usable
    if kept == 0:
        raise RallyError(
            "no sound record to keep",
            where=str(source),
            expected="at least the rally declaration",
            received="none",
        )
    end = check.ends[kept - 1]
    data = source.read_bytes()[:end]
    target = Path(output)
    write_new_file(target, data)
    dropped = len(check.records) - kept + len(check.beyond)
    return RepairReport(
        kept=kept, dropped_readable=dropped, dropped_bytes=check.size - end, output=target
    )
