"""An independent statement of the standings rules, for the property tests.

Written from the records alone, stage by stage and entry by entry, without
the engine's fold or its indexes: the engine's answers (one stage, every
stage, incremental, after a what-if, from a checkpoint) must equal these.
Slow and plain on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from rally_standings.events import (
    EntryRegistered,
    EntryRetired,
    FieldCoverageDeclared,
    PenaltyImposed,
    PenaltyRescinded,
    RallyDeclared,
    Record,
    ResultCorrected,
    ResultWithdrawn,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageScheduled,
)

__all__ = ["ReferenceRow", "reference_gc", "reference_gc_stages", "reference_unclassified"]


@attrs.frozen
class ReferenceRow:
    """One classified entry: position, whether certain, entry id, time."""

    position: int
    certain: bool
    entry_id: str
    time_ms: int


@attrs.frozen
class _Result:
    entry_id: str
    first: int
    last: int
    time_ms: int
    seq: int
    withdrawn: bool = False


class _Log:
    """The facts of a log, gathered from its records."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.entries: list[EntryRegistered] = []
        self.stages: dict[int, StageScheduled] = {}
        self.cancelled: dict[tuple[int, str], StageCancelled] = {}
        self.results: list[_Result] = []
        self.penalties: dict[str, PenaltyImposed] = {}
        self.rescinded: set[str] = set()
        self.retired: dict[str, EntryRetired] = {}
        self.coverage: dict[tuple[str, int], FieldCoverageDeclared] = {}
        for record in records:
            event = record.event
            if isinstance(event, RallyDeclared):
                self.rally = event
            elif isinstance(event, EntryRegistered):
                self.entries.append(event)
            elif isinstance(event, StageScheduled):
                self.stages[event.stage] = event
            elif isinstance(event, StageCancelled):
                for category in event.categories:
                    self.cancelled[(event.stage, category)] = event
            elif isinstance(event, StageResultRecorded):
                first, last = event.span
                self.results.append(_Result(event.entry_id, first, last, event.time_ms, record.seq))
            elif isinstance(event, ResultCorrected):
                for index, result in enumerate(self.results):
                    if result.entry_id == event.entry_id and result.last == event.stage:
                        self.results[index] = attrs.evolve(
                            result, time_ms=event.time_ms, withdrawn=False
                        )
            elif isinstance(event, ResultWithdrawn):  # it counts no more, until corrected
                for index, result in enumerate(self.results):
                    if result.entry_id == event.entry_id and result.last == event.stage:
                        self.results[index] = attrs.evolve(result, withdrawn=True)
            elif isinstance(event, PenaltyImposed):
                self.penalties[event.penalty_id] = event
            elif isinstance(event, PenaltyRescinded):
                self.rescinded.add(event.penalty_id)
            elif isinstance(event, EntryRetired):
                self.retired[event.entry_id] = event
            elif isinstance(event, FieldCoverageDeclared):
                self.coverage[(event.category, event.stage)] = event

    def counts(self, stage: int, category: str) -> bool:
        scheduled = self.stages.get(stage)
        return (
            scheduled is not None
            and scheduled.kind_for(category) is StageKind.SPECIAL
            and (stage, category) not in self.cancelled
        )

    def awarded(self, stage: int, category: str) -> int:
        cancelled = self.cancelled.get((stage, category))
        return cancelled.awarded_ms or 0 if cancelled is not None else 0

    def covering(self, entry_id: str, stage: int) -> _Result | None:
        """The result standing for ``stage``: the entry's own single-stage one, else a span."""
        own = [r for r in self.results if r.entry_id == entry_id and r.first == r.last == stage]
        if own:
            return own[0]
        spans = [r for r in self.results if r.entry_id == entry_id and r.first <= stage <= r.last]
        return spans[0] if spans else None


def reference_gc_stages(records: Sequence[Record], category: str) -> list[int]:
    """The stages after which a GC exists: from the first that counts or awards time on."""
    log = _Log(records)
    stages = sorted(log.stages)
    for index, stage in enumerate(stages):
        if log.counts(stage, category) or log.awarded(stage, category):
            return stages[index:]
    return []


def _classified_times(log: _Log, category: str, after: int) -> dict[str, int]:
    counted = [s for s in sorted(log.stages) if s <= after and log.counts(s, category)]
    times: dict[str, int] = {}
    for entry in log.entries:
        if entry.category != category:
            continue
        retired = log.retired.get(entry.entry_id)
        if retired is not None and retired.stage <= after:
            continue
        covering = [log.covering(entry.entry_id, stage) for stage in counted]
        if any(result is None or result.withdrawn or result.last > after for result in covering):
            continue
        seen: set[int] = set()
        total = 0
        for result in covering:
            assert result is not None
            if result.seq not in seen:
                seen.add(result.seq)
                total += result.time_ms
        total += sum(log.awarded(s, category) for s in log.stages if s <= after)
        total += sum(
            p.amount_ms
            for pid, p in log.penalties.items()
            if p.entry_id == entry.entry_id and p.stage <= after and pid not in log.rescinded
        )
        times[entry.entry_id] = total
    return times


def _number_key(entry: EntryRegistered) -> tuple[bool, bool, int, str]:
    """Numbers before no number, numeric ones first and in numeric order (said apart from
    the engine's own key, as everything here is)."""
    number = entry.number or ""
    numeric = number.isascii() and number.isdigit()
    return (entry.number is None, not numeric, int(number) if numeric else 0, number)


def reference_gc(records: Sequence[Record], category: str, after: int) -> list[ReferenceRow]:
    """The GC of ``category`` after ``after``, by the rules, from the records."""
    log = _Log(records)
    times = _classified_times(log, category, after)
    order = {entry.entry_id: index for index, entry in enumerate(log.entries)}
    by_id = {entry.entry_id: entry for entry in log.entries}
    ranked = sorted(times, key=lambda e: (times[e], _number_key(by_id[e]), order[e]))
    declared = [
        declaration for (c, s), declaration in log.coverage.items() if c == category and s <= after
    ]
    known = max(declared, key=lambda d: d.stage).gc_known if declared else None
    rows: list[ReferenceRow] = []
    for index, entry_id in enumerate(ranked):
        tied = index and times[ranked[index - 1]] == times[entry_id]
        position = rows[-1].position if tied else index + 1
        rows.append(
            ReferenceRow(position, known is None or position <= known, entry_id, times[entry_id])
        )
    return rows


def reference_unclassified(records: Sequence[Record], category: str, after: int) -> list[str]:
    """The entries of ``category`` not classified after ``after``, in registration order."""
    log = _Log(records)
    times = _classified_times(log, category, after)
    return [e.entry_id for e in log.entries if e.category == category and e.entry_id not in times]
