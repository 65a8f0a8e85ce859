"""The fold: events in, rally state out, one handler per event type.

``Fold.apply`` is deterministic and does no I/O: the same records always give
the same state. Each handler first checks the event against the state so far
and raises ``RuleViolationError`` before touching anything, so a refused event
leaves the state exactly as it was. The live indexes are private and mutable
for speed; ``Fold.snapshot`` hands out a frozen ``FoldState`` from which
``Fold(state)`` resumes, and resuming then folding the rest of a log equals
folding the whole log (a property the tests check).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from rally_standings.events import (
    EntryRegistered,
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    Frame,
    PenaltyImposed,
    PenaltyRescinded,
    Provenance,
    RallyDeclared,
    Record,
    ResultCorrected,
    RuleViolationError,
    Run,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageScheduled,
    WaypointRecorded,
    all_positive,
    distinct_values,
    format_time,
    single_value,
    tag_of,
)

__all__ = [
    "CancellationState",
    "Correction",
    "Fold",
    "FoldState",
    "PenaltyState",
    "ResultState",
    "RetirementState",
    "handled_types",
]


@attrs.frozen
class Correction:
    """One correction applied to a result."""

    seq: int
    time_ms: int
    reason: str
    provenance: Provenance


@attrs.frozen
class ResultState:
    """A result as it stands: the recorded time, then any corrections."""

    entry_id: str
    first_stage: int
    stage: int
    recorded_ms: int
    seq: int
    provenance: Provenance
    covers: tuple[int, ...]
    """The counted stages this result stands for (a span's, less those timed on their own)."""
    corrections: tuple[Correction, ...] = ()

    @property
    def time_ms(self) -> int:
        """The time in force: the last correction's, else the recorded one."""
        return self.corrections[-1].time_ms if self.corrections else self.recorded_ms

    @property
    def is_span(self) -> bool:
        """Whether this is one combined time over several stages."""
        return self.first_stage != self.stage


@attrs.frozen
class PenaltyState:
    """A penalty and, if it was withdrawn, when and why."""

    event: PenaltyImposed
    seq: int
    rescinded_seq: int | None = None
    rescinded_reason: str | None = None

    @property
    def in_force(self) -> bool:
        """Whether the penalty still counts."""
        return self.rescinded_seq is None


@attrs.frozen
class CancellationState:
    """A stage cancelled for one category."""

    category: str
    event: StageCancelled
    seq: int


@attrs.frozen
class RetirementState:
    """An entry's retirement (or exclusion)."""

    event: EntryRetired
    seq: int


@attrs.frozen
class FoldState:
    """A frozen copy of everything the fold knows after ``last_seq`` records."""

    last_seq: int = 0
    rally: RallyDeclared | None = None
    entries: tuple[EntryRegistered, ...] = ()
    stages: tuple[StageScheduled, ...] = ()
    results: tuple[ResultState, ...] = ()
    penalties: tuple[PenaltyState, ...] = ()
    cancellations: tuple[CancellationState, ...] = ()
    retirements: tuple[RetirementState, ...] = ()
    coverage: tuple[FieldCoverageDeclared, ...] = ()
    splits: tuple[tuple[int, int], ...] = ()
    """Waypoint splits recorded, per stage: (stage, count)."""


_Handler = Callable[["Fold", Any, int], None]
_HANDLERS: dict[type, _Handler] = {}
"""The fold's handler of each event type, registered beside it by ``@handles``."""

_F = TypeVar("_F", bound=Callable[..., None])


def handles(event_type: type) -> Callable[[_F], _F]:
    """Register the decorated method as the fold's handler of ``event_type``."""

    def register(handler: _F) -> _F:
        if event_type in _HANDLERS:
            raise TypeError(f"{event_type.__name__} has two handlers")
        _HANDLERS[event_type] = handler
        return handler

    return register


def handled_types() -> frozenset[type]:
    """Every event type the fold has a handler for."""
    return frozenset(_HANDLERS)


class Fold:
    """Folds records into rally state, refusing any event the rules do not allow."""

    def __init__(self, state: FoldState | None = None) -> None:
        start = state if state is not None else FoldState()
        self.last_seq = start.last_seq
        self.rally = start.rally
        self.entries: dict[str, EntryRegistered] = {e.entry_id: e for e in start.entries}
        self.numbers: dict[tuple[str, str], str] = {
            (e.category, e.number): e.entry_id for e in start.entries if e.number is not None
        }
        self.stages: dict[int, StageScheduled] = {s.stage: s for s in start.stages}
        self.cancellations: dict[tuple[int, str], CancellationState] = {
            (c.event.stage, c.category): c for c in start.cancellations
        }
        self.results: dict[tuple[str, int], ResultState] = {}
        self.covering: dict[str, dict[int, tuple[str, int]]] = {}
        self._covered_at: dict[int, set[str]] = {}  # stage -> entries with a time covering it
        for result in start.results:  # after stages and cancellations: spans depend on them
            self._store_result(result)
        self.penalties: dict[str, PenaltyState] = {p.event.penalty_id: p for p in start.penalties}
        self.retirements: dict[str, RetirementState] = {
            r.event.entry_id: r for r in start.retirements
        }
        self.coverage: dict[tuple[str, int], FieldCoverageDeclared] = {
            (c.category, c.stage): c for c in start.coverage
        }
        self.splits: dict[int, int] = dict(start.splits)
        self._split_entries: dict[int, frozenset[str]] = {}

    # ------------------------------------------------------------------ public

    def apply(self, record: Record) -> None:
        """Fold one record in; raises ``RuleViolationError`` (state unchanged) if not allowed."""
        if record.seq != self.last_seq + 1:
            raise RuleViolationError(
                "record out of sequence",
                where=f"{record.type} event",
                expected=f"seq {self.last_seq + 1}",
                received=record.seq,
            )
        handler = _HANDLERS[type(record.event)]
        handler(self, record.event, record.seq)
        self.last_seq = record.seq
        if type(record.event) in _CHANGES_WHO_MAY_SPLIT:
            self._split_entries.clear()

    def apply_frame(self, frame: Frame, *, limit: int | None = None) -> Fold:
        """Fold a decoded frame in (its first ``limit`` events); returns self.

        Runs of waypoint splits are checked in bulk when every split of the run
        is plainly allowed; otherwise, and for every other event type, each
        event is built and applied by its handler, so the rules are the same.
        """
        if frame.first_seq != self.last_seq + 1:
            raise RuleViolationError(
                "frame out of sequence",
                where="log frame",
                expected=f"seq {self.last_seq + 1}",
                received=frame.first_seq,
            )
        remaining = frame.count if limit is None else min(limit, frame.count)
        for run in frame.runs:
            if remaining <= 0:
                break
            count = min(run.count, remaining)
            bulk = _BULK.get(run.tag) if count == run.count else None
            if bulk is None or not bulk(self, run, frame):
                for offset in range(count):
                    seq = run.first_seq + offset
                    event = frame.event_at(run, offset, where=f"record seq {seq}")
                    self.apply(Record(seq=seq, event=event))
            remaining -= count
        return self

    def apply_frames(self, frames: Iterable[Frame]) -> Fold:
        """Fold frames in order; returns self."""
        for frame in frames:
            self.apply_frame(frame)
        return self

    def _running_at(self, stage: object) -> frozenset[str] | None:
        """Entries that may take a time on ``stage`` now (runs it, not cancelled, not out)."""
        if type(stage) is not int:
            return None
        allowed = self._split_entries.get(stage)
        if allowed is None:
            allowed = self._entries_that_may_split(stage)
            self._split_entries[stage] = allowed
        return allowed

    def _bulk_splits(self, run: Run, frame: Frame) -> bool:
        """Apply a run of splits at once if every one is allowed; False to go one by one."""
        entry_ids, stages, waypoints, times = run.columns
        stage = single_value(stages)
        allowed = self._running_at(stage)
        if allowed is None or not allowed.issuperset(distinct_values(entry_ids)):
            return False
        if not (all_positive(waypoints) and all_positive(times)):
            return False
        assert stage is not None
        self.splits[stage] = self.splits.get(stage, 0) + run.count
        self.last_seq += run.count
        return True

    def _bulk_results(self, run: Run, frame: Frame) -> bool:
        """Store a run of single-stage results at once if each is plainly allowed.

        The conditions are those of the handler: the entry runs the stage, the
        stage is not cancelled, the entry is not out, and it has no time for
        that stage yet; anything else goes through the handler one by one.
        """
        entry_ids, stages, times, first_stages = run.columns
        stage = single_value(stages)
        if any(first is not None for first in first_stages):
            return False
        allowed = self._running_at(stage)
        if stage is None or allowed is None or not allowed.issuperset(distinct_values(entry_ids)):
            return False
        if len(set(entry_ids)) != run.count or not all_positive(times):
            return False
        covering = self.covering
        if not self._covered_at.get(stage, _EMPTY).isdisjoint(entry_ids):
            return False
        provenances = frame.provenances
        covers = (stage,)
        for offset, (entry_id, time_ms) in enumerate(zip(entry_ids, times, strict=True)):
            key = (entry_id, stage)
            self.results[key] = ResultState(
                entry_id=entry_id,
                first_stage=stage,
                stage=stage,
                recorded_ms=time_ms,
                seq=run.first_seq + offset,
                provenance=provenances[run.provenance_index(offset)],
                covers=covers,
            )
            covering.setdefault(entry_id, {})[stage] = key
        self._covered_at.setdefault(stage, set()).update(entry_ids)
        self.last_seq += run.count
        return True

    def _entries_that_may_split(self, stage: int) -> frozenset[str]:
        scheduled = self.stages.get(stage)
        if scheduled is None:
            return frozenset()
        by_category: dict[str, list[str]] = {}
        for entry in self.entries.values():
            by_category.setdefault(entry.category, []).append(entry.entry_id)
        allowed: set[str] = set()
        for category, ids in by_category.items():
            if scheduled.kind_for(category) is not StageKind.LIAISON and not self.is_cancelled(
                stage, category
            ):
                allowed.update(ids)
        allowed.difference_update(
            entry_id
            for entry_id, retired in self.retirements.items()
            if stage >= retired.event.stage
        )
        return frozenset(allowed)

    def apply_all(self, records: Iterable[Record]) -> Fold:
        """Fold records in order; returns self for chaining."""
        for record in records:
            self.apply(record)
        return self

    def check(self, event: Event) -> None:
        """Raise ``RuleViolationError`` if ``event`` could not be appended now; change nothing."""
        probe = self.copy()
        probe.apply(Record(seq=self.last_seq + 1, event=event))

    def copy(self) -> Fold:
        """An independent copy, cheaply: the stored values are immutable, so only the
        containers the handlers change are copied (``Fold(self.snapshot())`` is the same,
        rebuilt from scratch)."""
        other = Fold.__new__(Fold)
        other.last_seq = self.last_seq
        other.rally = self.rally
        other.entries = dict(self.entries)
        other.numbers = dict(self.numbers)
        other.stages = dict(self.stages)
        other.cancellations = dict(self.cancellations)
        other.results = dict(self.results)
        other.covering = {entry: dict(stages) for entry, stages in self.covering.items()}
        other._covered_at = {stage: set(entries) for stage, entries in self._covered_at.items()}
        other.penalties = dict(self.penalties)
        other.retirements = dict(self.retirements)
        other.coverage = dict(self.coverage)
        other.splits = dict(self.splits)
        other._split_entries = dict(self._split_entries)
        return other

    def snapshot(self) -> FoldState:
        """A frozen copy of the state, from which ``Fold(state)`` resumes."""
        return FoldState(
            last_seq=self.last_seq,
            rally=self.rally,
            entries=tuple(self.entries.values()),
            stages=tuple(self.stages.values()),
            results=tuple(self.results.values()),
            penalties=tuple(self.penalties.values()),
            cancellations=tuple(self.cancellations.values()),
            retirements=tuple(self.retirements.values()),
            coverage=tuple(self.coverage.values()),
            splits=tuple(self.splits.items()),
        )

    # ------------------------------------------------------------------ lookups

    def category_of(self, entry_id: str) -> str:
        """The category an entry races in."""
        return self.entries[entry_id].category

    def is_cancelled(self, stage: int, category: str) -> bool:
        """Whether ``stage`` is cancelled for ``category``."""
        return (stage, category) in self.cancellations

    def counts(self, stage: int, category: str) -> bool:
        """Whether a result on ``stage`` counts toward the GC of ``category``."""
        scheduled = self.stages.get(stage)
        return (
            scheduled is not None
            and scheduled.kind_for(category) is StageKind.SPECIAL
            and not self.is_cancelled(stage, category)
        )

    def counted_stages(self, category: str, first: int, last: int) -> list[int]:
        """The stages from ``first`` to ``last`` that count for ``category``, in order."""
        return [s for s in sorted(self.stages) if first <= s <= last and self.counts(s, category)]

    # ------------------------------------------------------------------ helpers

    def _store_result(self, result: ResultState) -> None:
        key = (result.entry_id, result.stage)
        self.results[key] = result
        covered = self.covering.setdefault(result.entry_id, {})
        for stage in result.covers:
            covered[stage] = key
            self._covered_at.setdefault(stage, set()).add(result.entry_id)

    def _require_rally(self, event: Event, seq: int) -> RallyDeclared:
        if self.rally is None:
            raise _violation(
                event,
                seq,
                "the log must start with the rally declaration",
                expected="a rally-declared event first",
                received=tag_of(event),
            )
        return self.rally

    def _require_category(self, event: Event, seq: int, category: str) -> None:
        rally = self._require_rally(event, seq)
        if category not in rally.categories:
            raise _violation(
                event,
                seq,
                "unknown category",
                expected="one of " + ", ".join(rally.categories),
                received=category,
            )

    def _require_entry(self, event: Event, seq: int, entry_id: str) -> EntryRegistered:
        self._require_rally(event, seq)
        entry = self.entries.get(entry_id)
        if entry is None:
            raise _violation(
                event, seq, "unknown entry", expected="a registered entry", received=entry_id
            )
        return entry

    def _require_stage(self, event: Event, seq: int, stage: int) -> StageScheduled:
        self._require_rally(event, seq)
        scheduled = self.stages.get(stage)
        if scheduled is None:
            known = ", ".join(map(str, sorted(self.stages))) or "none yet"
            raise _violation(
                event,
                seq,
                "unscheduled stage",
                expected=f"a scheduled stage ({known})",
                received=stage,
            )
        return scheduled

    def _require_running(self, event: Event, seq: int, entry_id: str, stage: int) -> None:
        retired = self.retirements.get(entry_id)
        if retired is not None and stage >= retired.event.stage:
            how = "excluded" if retired.event.excluded else "retired"
            raise _violation(
                event,
                seq,
                f"entry {how} at stage {retired.event.stage} (seq {retired.seq})",
                expected=f"a stage before {retired.event.stage}",
                received=stage,
            )

    # ------------------------------------------------------------------ handlers

    @handles(RallyDeclared)
    def _on_rally_declared(self, event: RallyDeclared, seq: int) -> None:
        if self.rally is not None:
            raise _violation(
                event,
                seq,
                "the rally is already declared",
                expected="one rally-declared event, at seq 1",
                received=f"a second one for {event.rally_id}",
            )
        self.rally = event

    @handles(EntryRegistered)
    def _on_entry_registered(self, event: EntryRegistered, seq: int) -> None:
        self._require_category(event, seq, event.category)
        if event.entry_id in self.entries:
            raise _violation(
                event,
                seq,
                "entry already registered",
                expected="a new entry id",
                received=event.entry_id,
            )
        if event.number is not None and (event.category, event.number) in self.numbers:
            raise _violation(
                event,
                seq,
                f"race number already taken in {event.category}",
                expected="a free number",
                received=f"{event.number} (entry {self.numbers[(event.category, event.number)]})",
            )
        self.entries[event.entry_id] = event
        if event.number is not None:
            self.numbers[(event.category, event.number)] = event.entry_id

    @handles(StageScheduled)
    def _on_stage_scheduled(self, event: StageScheduled, seq: int) -> None:
        for rule in event.rules:
            self._require_category(event, seq, rule.category)
        if event.stage in self.stages:
            raise _violation(
                event,
                seq,
                "stage already scheduled",
                expected="a new stage number",
                received=event.stage,
            )
        for result in self.results.values():
            if result.first_stage < event.stage < result.stage:
                raise _violation(
                    event,
                    seq,
                    f"a combined result of {result.entry_id} already spans it",
                    expected="a stage number outside every combined time",
                    received=f"stage {event.stage} inside {result.first_stage}-{result.stage}",
                )
        self.stages[event.stage] = event

    @handles(StageResultRecorded)
    def _on_stage_result_recorded(self, event: StageResultRecorded, seq: int) -> None:
        entry = self._require_entry(event, seq, event.entry_id)
        category = entry.category
        first, last = event.span
        for stage in (first, last):
            scheduled = self._require_stage(event, seq, stage)
            kind = scheduled.kind_for(category)
            if kind is StageKind.LIAISON:
                raise _violation(
                    event,
                    seq,
                    f"stage {stage} is a liaison for {category}",
                    expected="a timed stage",
                    received=stage,
                )
            if self.is_cancelled(stage, category):
                raise _violation(
                    event,
                    seq,
                    f"stage {stage} is cancelled for {category}",
                    expected="a stage that was run",
                    received=stage,
                )
            if first != last and kind is not StageKind.SPECIAL:
                raise _violation(
                    event,
                    seq,
                    f"a combined time cannot start or end on a {kind}",
                    expected="a span between two counted specials",
                    received=f"stages {first}-{last}",
                )
        self._require_running(event, seq, event.entry_id, first)
        covered = self.covering.get(event.entry_id, {})
        if first == last:
            covers = [last]
            clashes = [last]
        else:
            # A combined time stands for the counted stages of its range that have no
            # result of their own: a source may print one stage time inside a span.
            in_range = self.counted_stages(category, first, last)
            covers = [stage for stage in in_range if stage not in covered]
            clashes = [first, last] + [
                stage
                for stage in in_range
                if stage in covered and self.results[covered[stage]].is_span
            ]
        for stage in clashes:
            existing = covered.get(stage)
            if existing is None and (event.entry_id, stage) in self.results:
                existing = (event.entry_id, stage)
            if existing is not None:
                held = self.results[existing]
                raise _violation(
                    event,
                    seq,
                    f"entry already has a result for stage {stage}",
                    expected="a result-corrected event to change it",
                    received=f"a second result (the first is seq {held.seq})",
                )
        self._store_result(
            ResultState(
                entry_id=event.entry_id,
                first_stage=first,
                stage=last,
                recorded_ms=event.time_ms,
                seq=seq,
                provenance=event.provenance,
                covers=tuple(covers),
            )
        )

    @handles(ResultCorrected)
    def _on_result_corrected(self, event: ResultCorrected, seq: int) -> None:
        self._require_entry(event, seq, event.entry_id)
        result = self.results.get((event.entry_id, event.stage))
        if result is None:
            raise _violation(
                event,
                seq,
                "no result to correct",
                expected=f"an earlier result of {event.entry_id} ending at stage {event.stage}",
                received="none",
            )
        if result.time_ms == event.time_ms:
            raise _violation(
                event,
                seq,
                "the correction changes nothing",
                expected=f"a time other than {format_time(result.time_ms)}",
                received=format_time(event.time_ms),
            )
        correction = Correction(
            seq=seq, time_ms=event.time_ms, reason=event.reason, provenance=event.provenance
        )
        self.results[(event.entry_id, event.stage)] = attrs.evolve(
            result, corrections=(*result.corrections, correction)
        )

    @handles(PenaltyImposed)
    def _on_penalty_imposed(self, event: PenaltyImposed, seq: int) -> None:
        self._require_entry(event, seq, event.entry_id)
        self._require_stage(event, seq, event.stage)
        if event.penalty_id in self.penalties:
            raise _violation(
                event,
                seq,
                "penalty id already used",
                expected="a new penalty id",
                received=event.penalty_id,
            )
        self.penalties[event.penalty_id] = PenaltyState(event=event, seq=seq)

    @handles(PenaltyRescinded)
    def _on_penalty_rescinded(self, event: PenaltyRescinded, seq: int) -> None:
        self._require_rally(event, seq)
        penalty = self.penalties.get(event.penalty_id)
        if penalty is None:
            known = ", ".join(self.penalties) or "none"
            raise _violation(
                event,
                seq,
                "unknown penalty",
                expected=f"an imposed penalty id ({known})",
                received=event.penalty_id,
            )
        if not penalty.in_force:
            raise _violation(
                event,
                seq,
                "penalty already rescinded",
                expected="a penalty in force",
                received=f"{event.penalty_id} (rescinded at seq {penalty.rescinded_seq})",
            )
        self.penalties[event.penalty_id] = attrs.evolve(
            penalty, rescinded_seq=seq, rescinded_reason=event.reason
        )

    @handles(StageCancelled)
    def _on_stage_cancelled(self, event: StageCancelled, seq: int) -> None:
        scheduled = self._require_stage(event, seq, event.stage)
        for category in event.categories:
            self._require_category(event, seq, category)
            if scheduled.kind_for(category) is StageKind.LIAISON:
                raise _violation(
                    event,
                    seq,
                    f"stage {event.stage} is a liaison for {category}",
                    expected="a timed stage to cancel",
                    received=event.stage,
                )
            if self.is_cancelled(event.stage, category):
                raise _violation(
                    event,
                    seq,
                    f"stage {event.stage} already cancelled for {category}",
                    expected="a stage that is not cancelled",
                    received=event.stage,
                )
            for result in self.results.values():
                if (
                    result.is_span
                    and result.first_stage <= event.stage <= result.stage
                    and self.entries[result.entry_id].category == category
                ):
                    raise _violation(
                        event,
                        seq,
                        f"a combined result of {result.entry_id} covers stage {event.stage}",
                        expected="a stage no combined time spans",
                        received=f"stages {result.first_stage}-{result.stage} (seq {result.seq})",
                    )
        for category in event.categories:
            self.cancellations[(event.stage, category)] = CancellationState(
                category=category, event=event, seq=seq
            )

    @handles(EntryRetired)
    def _on_entry_retired(self, event: EntryRetired, seq: int) -> None:
        self._require_entry(event, seq, event.entry_id)
        self._require_stage(event, seq, event.stage)
        if event.entry_id in self.retirements:
            earlier = self.retirements[event.entry_id]
            raise _violation(
                event,
                seq,
                "entry already out of the rally",
                expected="an entry still running",
                received=f"{event.entry_id} (out at stage {earlier.event.stage}, "
                f"seq {earlier.seq})",
            )
        own = set(self.covering.get(event.entry_id, {}).values())  # the entry's results
        later = [self.results[key].stage for key in own if key[1] >= event.stage]
        if later:
            raise _violation(
                event,
                seq,
                f"entry has a result for stage {max(later)}",
                expected=f"a retirement stage after {max(later)}",
                received=event.stage,
            )
        self.retirements[event.entry_id] = RetirementState(event=event, seq=seq)

    @handles(FieldCoverageDeclared)
    def _on_field_coverage_declared(self, event: FieldCoverageDeclared, seq: int) -> None:
        self._require_category(event, seq, event.category)
        self._require_stage(event, seq, event.stage)
        self.coverage[(event.category, event.stage)] = event

    @handles(WaypointRecorded)
    def _on_waypoint_recorded(self, event: WaypointRecorded, seq: int) -> None:
        entry = self._require_entry(event, seq, event.entry_id)
        scheduled = self._require_stage(event, seq, event.stage)
        if scheduled.kind_for(entry.category) is StageKind.LIAISON:
            raise _violation(
                event,
                seq,
                f"stage {event.stage} is a liaison for {entry.category}",
                expected="a timed stage",
                received=event.stage,
            )
        if self.is_cancelled(event.stage, entry.category):
            raise _violation(
                event,
                seq,
                f"stage {event.stage} is cancelled for {entry.category}",
                expected="a stage that was run",
                received=event.stage,
            )
        self._require_running(event, seq, event.entry_id, event.stage)
        self.splits[event.stage] = self.splits.get(event.stage, 0) + 1


def _violation(
    event: Event, seq: int, what: str, *, expected: str, received: object
) -> RuleViolationError:
    return RuleViolationError(
        what, where=f"{tag_of(event)} event, seq {seq}", expected=expected, received=received
    )


_EMPTY: frozenset[str] = frozenset()


_BULK: dict[str, Callable[[Fold, Run, Frame], bool]] = {
    "waypoint-recorded": Fold._bulk_splits,
    "stage-result-recorded": Fold._bulk_results,
}

_CHANGES_WHO_MAY_SPLIT = frozenset({EntryRegistered, StageScheduled, StageCancelled, EntryRetired})
