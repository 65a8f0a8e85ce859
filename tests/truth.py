"""What the one-truth tests share: the truth (a fresh fold of a log prefix), answers as plain
data, the rule that no time is ever zero or negative, and a command run in a child process
that must neither hang nor read without end.

The truth is never a fast path: ``fresh`` folds the records from the first one, in a new
``Rally``, with no checkpoint, no cache kept from an earlier question and no ``as_of``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from rally_standings.engine import Rally, Standings
from rally_standings.events import QueryError, RallyError, Record, read_records
from rally_standings.outputs import to_data

__all__ = [
    "ROOT",
    "Finished",
    "answered",
    "error_data",
    "fresh",
    "fresh_of",
    "nonpositive_times",
    "plain_standings",
    "run_standings",
]

ROOT = Path(__file__).resolve().parents[1]

Answer = TypeVar("Answer")


def fresh(records: Sequence[Record], seq: int | None = None, *, source: str) -> Rally:
    """The rally of the first ``seq`` records (all without ``seq``), folded from the first
    record in a new ``Rally``: the answer every fast path must give."""
    kept = list(records) if seq is None else list(records[:seq])
    return Rally(kept, source=source)


def fresh_of(path: Path) -> Rally:
    """The whole log at ``path`` folded afresh (its records read without any checkpoint)."""
    return fresh(read_records(path), source=str(path))


def plain_standings(standings: Standings) -> dict[str, Any]:
    """Everything a standings says, as plain data: its JSON shape (positions, times, gaps,
    classes, unclassified entries with their reasons, not-yet-at-waypoint crews) and the
    components of every row, each a tuple of plain values."""
    data: dict[str, Any] = to_data(standings)
    data["components"] = [
        [
            (
                part.kind,
                part.stage,
                part.first_stage,
                part.time_ms,
                part.seq,
                part.note,
                part.penalty_id,
                part.recorded_ms,
                part.provenance.kind,
                part.provenance.detail,
            )
            for part in row.components
        ]
        for row in standings.rows
    ]
    data["rows_plain"] = [
        attrs.asdict(row, filter=lambda field, _: field.name not in ("view", "crew"))
        for row in standings.rows
    ]
    data["unclassified_plain"] = [
        attrs.asdict(item, filter=lambda field, _: field.name != "crew")
        for item in standings.unclassified
    ]
    return data


def error_data(error: RallyError, *, as_of: int | None = None) -> tuple[object, ...]:
    """A refusal as plain data: its class, what, where, expected and received. The name a
    prefix of the log goes by (``LOG as of seq S``) is said as the log's, so that a question
    asked ``as_of`` S compares with the same question asked of the first S records."""
    where = error.where
    if as_of is not None and where is not None:
        where = where.replace(f" as of seq {as_of}", "")
    kind = "QueryError" if isinstance(error, QueryError) else type(error).__name__
    return (kind, error.what, where, error.expected, str(error.received))


def answered(rally: Rally, ask: Callable[[str, int], Answer]) -> Iterator[tuple[str, int, Answer]]:
    """(category, stage, answer) for every category and stage of the rally that ``ask``
    (``rally.stage_result``, ``rally.standings``) answers rather than refuses (QueryError:
    a stage not run yet, a category not in the stage)."""
    for category in rally.categories:
        for stage in rally.stages():
            try:
                answer = ask(category, stage)
            except QueryError:
                continue
            yield category, stage, answer


def nonpositive_times(rally: Rally) -> list[str]:
    """Every stage time, combined time and GC time of the rally that is zero or negative
    (the rules never allow one, in whatever order the events arrive), in words."""
    found: list[str] = []
    for category, stage, result in answered(rally, rally.stage_result):
        found += [
            f"{category} stage {stage}: No. {row.number} {row.time_ms} ms"
            for row in result.rows
            if row.time_ms <= 0
        ]
        found += [
            f"{category} stages {item.first_stage}-{item.stage}: No. {item.number} "
            f"{item.time_ms} ms"
            for item in result.combined
            if item.time_ms <= 0
        ]
        if result.awarded_ms is not None and result.awarded_ms <= 0:
            found.append(f"{category} stage {stage}: awarded {result.awarded_ms} ms")
    for category, stage, standings in answered(rally, rally.standings):
        found += [
            f"{category} GC after stage {stage}: No. {row.number} {row.time_ms} ms"
            for row in standings.rows
            if row.time_ms <= 0
        ]
    return found


@attrs.frozen
class Finished:
    """How a command run in a child process ended."""

    code: int
    out: str
    err: str
    max_rss_kb: int
    """The most memory the child held at once (its peak resident set), in KiB."""


_CHILD = """
import os, resource, sys
limit = int(os.environ["ONE_TRUTH_ADDRESS_SPACE"])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from rally_standings.app import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else 2
finally:
    # VmHWM: this process's own peak (ru_maxrss would count the parent it was forked from)
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["ONE_TRUTH_RSS_FILE"], "w") as out:
        out.write(peak)
sys.stdout.flush()
raise SystemExit(code)
"""


def run_standings(
    argv: Sequence[str], *, timeout: float = 20.0, address_space: int = 0
) -> Finished:
    """``standings argv…`` in a child process that must finish within ``timeout`` seconds
    (a command on a small log takes well under one)
    (it is killed and the test fails otherwise: a reader blocked on a FIFO), its address
    space limited to ``address_space`` bytes if given (a reader that reads without end
    stops there instead of taking the machine's memory)."""
    with tempfile.TemporaryDirectory() as folder:
        rss_file = Path(folder) / "rss"
        env = {
            **os.environ,
            "ONE_TRUTH_ADDRESS_SPACE": str(address_space),
            "ONE_TRUTH_RSS_FILE": str(rss_file),
        }
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=folder,
        )
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            raise AssertionError(
                f"standings {' '.join(argv)} did not finish within {timeout:g} s (blocked); "
                f"stdout {out[-300:]!r}, stderr {err[-300:]!r}"
            ) from None
        rss = int(rss_file.read_text()) if rss_file.exists() else -1
    return Finished(process.returncode, out, err, rss)
