"""Checking a log from end to end, and repairing a damaged one into a new file."""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from ..events import LogCheck, RallyError, check_file, copy_prefix
from ._checkpoint import CheckpointCheck, check_checkpoint
from ._fold import Fold

__all__ = ["CheckReport", "RepairReport", "check_log", "repair_log"]


@attrs.frozen
class CheckReport:
    """What `standings log check` found: framing problems, the first rule violation, and
    whether the checkpoint beside the log would change an answer."""

    check: LogCheck
    violation: RallyError | None
    """The first event the rules refuse, or that does not even build (a bad field)."""
    usable: int
    """How many leading records are sound and accepted by the rules."""
    checkpoint: CheckpointCheck
    """The checkpoint beside the log, held against the fold of the log."""

    @property
    def ok(self) -> bool:
        """No damage, no rule violation and no wrong checkpoint (a torn tail alone is a
        normal crash outcome; a checkpoint readers ignore is harmless)."""
        return not self.check.damaged and self.violation is None and not self.checkpoint.wrong


def check_log(path: str | os.PathLike[str]) -> CheckReport:
    """Check every frame, checksum and sequence number, then the rules, of a log file, and
    the checkpoint beside it against the fold. One pass: the fold is never copied, and a
    frame the rules refuse is rolled back once and folded again event by event to name
    the first event refused."""
    check = check_file(path)
    fold = Fold()
    violation: RallyError | None = None
    for frame in check.frames:
        mark = fold.last_seq
        try:
            fold.apply_frame(frame)
        except RallyError:
            fold.rollback(mark)
            try:
                for record in frame.records(where=str(path)):
                    fold.apply(record)
            except RallyError as error:
                violation = error
            break
    checkpoint = check_checkpoint(Path(path), check.ends, fold)
    return CheckReport(
        check=check, violation=violation, usable=fold.last_seq, checkpoint=checkpoint
    )


@attrs.frozen
class RepairReport:
    """What `standings log repair` kept and dropped."""

    kept: int
    dropped_readable: int
    """Records after the first problem that could still be read, dropped all the same."""
    dropped_bytes: int
    """Bytes of the original not carried over (damage, and what follows it)."""
    output: Path


def repair_log(path: str | os.PathLike[str], output: str | os.PathLike[str]) -> RepairReport:
    """Write to ``output`` every event before the first damage or rule violation.

    The original is only read. Whole frames are copied byte for byte; if a rule
    violation falls inside a frame, the records before it are framed anew.
    The new log is created atomically.
    """
    source = Path(path)
    report = check_log(source)
    check = report.check
    if not check.frames and check.problems and check.problems[0].offset == 0:
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
    dropped_bytes = copy_prefix(source, check, kept, output)
    dropped = check.count - kept + check.beyond_count
    return RepairReport(
        kept=kept, dropped_readable=dropped, dropped_bytes=dropped_bytes, output=Path(output)
    )
