"""The fold: events in, rally state out, one handler per event type.

``Fold.apply`` is deterministic and does no I/O: the same records always give
the same state. Each handler first checks its event against the state so far
and raises ``RuleViolationError`` before touching anything, so a refused event
leaves the state exactly as it was; a batch that fails part-way is rolled back
with an undo journal (``Fold.tentative``), never by copying the state.

Results and waypoint splits are held column by column (entry index, stage,
time, seq, provenance), indexed per category and stage; the few objects a
query needs (a result's corrections, a penalty) are built on demand. Each
handler returns an ``Effect``: from which stage, in which categories, the
general classification may have changed, and for the common case (a time
added to one entry at one stage) exactly how, so cached standings can be kept
up to date instead of recomputed. ``Fold.snapshot`` hands out a frozen
``FoldState`` from which ``Fold(state)`` resumes; resuming then folding the
rest equals folding everything (a property the tests check).
"""

from __future__ import annotations

import bisect
import functools
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import attrs

from ..events import (
    EntryRegistered,
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    Frame,
    InvalidEventError,
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
    as_list,
    format_signed,
    format_time,
    mapped,
    single_value,
    tag_of,
)

__all__ = [
    "CancellationState",
    "Correction",
    "Effect",
    "Fold",
    "FoldState",
    "PenaltyState",
    "ResultState",
    "RetirementState",
    "Splits",
    "handled_types",
    "handles",
]


# ---------------------------------------------------------------------- what the fold hands out


@attrs.frozen
class Correction:
    """One correction applied to a result."""

    seq: int
    time_ms: int
    reason: str
    provenance: Provenance


@attrs.frozen
class ResultState:
    """A result as it stands: the recorded time, then any corrections (built on demand)."""

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
class Effect:
    """What an applied event may have changed in the general classification.

    ``stage`` is the first stage whose GC may differ, in ``categories``
    (``None``: every stage). When ``entry`` is set, the whole change is that
    entry's cumulative time growing by ``delta`` at ``stage`` and, with
    ``cover``, that many more counted stages covered by a result ending there;
    nothing else moved, so a cached GC can be updated rather than recomputed.
    """

    categories: tuple[str, ...]
    stage: int | None
    entry: int | None = None
    delta: int = 0
    cover: int = 0


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
    splits: tuple[tuple[int, int, tuple[tuple[str, int, int, Provenance], ...]], ...] = ()
    """(stage, waypoint, ((entry id, time ms, seq, provenance), …)) per waypoint recorded."""


def pack_ints(values: Sequence[int]) -> tuple[str, bytes]:
    """A column of integers as the narrowest array type that holds them all, and its bytes
    in this machine's order (a checkpoint says which order it was written in)."""
    low, high = (min(values), max(values)) if values else (0, 0)
    for code in ("B", "H", "I", "Q") if low >= 0 else ("b", "h", "i", "q"):
        bits = 8 * array(code).itemsize
        if (0 if code.isupper() else -(1 << (bits - 1))) <= low and high < (
            1 << (bits if code.isupper() else bits - 1)
        ):
            return code, array(code, values).tobytes()
    return "q", array("q", values).tobytes()  # pragma: no cover - wider than 64 bits: refused


def unpack_ints(packed: Sequence[Any]) -> list[int]:
    """The column ``pack_ints`` packed."""
    code, data = packed
    values = array(str(code))
    values.frombytes(data)
    return values.tolist()


class Splits:
    """The elapsed times recorded at one waypoint of one stage, column by column."""

    __slots__ = ("_seen", "entries", "provenance", "seqs", "times")

    def __init__(self) -> None:
        self.entries: list[int] = []
        self.times: list[int] = []
        self.seqs: list[int] = []
        self.provenance: list[int] = []
        self._seen: set[int] | None = set()

    @property
    def seen(self) -> set[int]:
        """The entries with a time here (built from the column when first needed)."""
        if self._seen is None:
            self._seen = set(self.entries)
        return self._seen

    @seen.setter
    def seen(self, value: set[int]) -> None:
        self._seen = value

    def copy(self) -> Splits:
        """An independent copy."""
        other = Splits()
        other.entries = self.entries[:]
        other.times = self.times[:]
        other.seqs = self.seqs[:]
        other.provenance = self.provenance[:]
        other._seen = None if self._seen is None else set(self._seen)
        return other


# ---------------------------------------------------------------------- handler registry

_Handler = Callable[["Fold", Any, int], Effect | None]
_HANDLERS: dict[type, _Handler] = {}
"""The fold's handler of each event type, registered beside it by ``@handles``."""

_F = TypeVar("_F", bound=Callable[..., Effect | None])


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


_MISSING = object()
_NEVER = 1 << 62


def _violation(
    event: Event, seq: int, what: str, *, expected: str, received: object
) -> RuleViolationError:
    return RuleViolationError(
        what, where=f"{tag_of(event)} event, seq {seq}", expected=expected, received=received
    )


class Fold:
    """Folds records into rally state, refusing any event the rules do not allow.

    The state is private; read it through the query methods below.
    """

    def __init__(self, state: FoldState | None = None) -> None:
        self._last_seq = 0
        self._rally: RallyDeclared | None = None
        self._entries: list[EntryRegistered] = []
        self._index: dict[str, int] = {}
        self._numbers: dict[tuple[str, str], int] = {}
        self._stages: dict[int, StageScheduled] = {}
        self._order: list[int] = []
        self._cancellations: dict[tuple[int, str], CancellationState] = {}
        self._penalties: dict[str, PenaltyState] = {}
        self._retirements: dict[int, RetirementState] = {}
        self._coverage: dict[tuple[str, int], FieldCoverageDeclared] = {}
        # results, column by column
        self._r_entry: list[int] = []
        self._r_first: list[int] = []
        self._r_stage: list[int] = []
        self._r_time: list[int] = []
        self._r_recorded: list[int] = []
        self._r_seq: list[int] = []
        self._r_prov: list[int] = []
        self._r_cover: list[int] = []
        self._corrections: dict[int, tuple[Correction, ...]] = {}
        self._ending: dict[tuple[str, int], dict[int, int]] = {}
        """(category, stage) -> {entry: result} for each result ending at that stage."""
        self._spanned: dict[int, dict[int, int]] = {}
        """stage -> {entry: result} for combined results covering the stage before their end."""
        self._gc_penalties: dict[tuple[str, int], dict[int, int]] = {}
        """(category, stage) -> {entry: sum of the penalties in force imposed at that stage}."""
        self._stage_penalties: dict[tuple[str, int], dict[int, int]] = {}
        """(category, stage) -> {entry: sum of those that count in the stage ranking too}."""
        self._bonuses: dict[int, int] = {}
        """entry -> the sum, over stages, of its net penalty sums below zero (its bonuses)."""
        self._last_result_stage = -1
        self._latest: dict[int, int] = {}
        """entry -> the last stage one of its results ends at."""
        self._split_store: dict[tuple[int, int], Splits] = {}
        self._unread_splits: dict[str, Any] | None = None
        """A checkpoint's splits, read into ``_splits`` only when something asks for them."""
        self._splits_shared = False
        """The splits are shared with a copy (no hypothesis records a split): whichever of
        the two records one first copies them (``_own_splits``)."""
        self._provenances: list[Provenance] = []
        self._provenance_index: dict[Provenance, int] = {}
        self._running: dict[int, frozenset[int]] = {}
        self._by_category: dict[str, frozenset[int]] | None = None
        self._journal: list[Callable[[], None]] | None = None
        if state is not None:
            self._restore(state)

    @property
    def _splits(self) -> dict[tuple[int, int], Splits]:
        """(stage, waypoint) -> the splits recorded there (a checkpoint's read on first use)."""
        if self._unread_splits is not None:
            self._read_splits()
        return self._split_store

    @_splits.setter
    def _splits(self, value: dict[tuple[int, int], Splits]) -> None:
        self._split_store = value
        self._unread_splits = None

    def _own_splits(self) -> None:
        """Before recording a split: this fold's own copy of splits it shares with another."""
        if self._splits_shared:
            self._split_store = {key: value.copy() for key, value in self._splits.items()}
            self._splits_shared = False

    def _read_splits(self) -> None:
        data, self._unread_splits = self._unread_splits, None
        assert data is not None
        columns = {}
        for column in ("entries", "times", "seqs", "provenance"):
            columns[column] = unpack_ints(data[column])
        start = 0
        for stage, waypoint, count in data["keys"]:
            splits = self._split_store[(stage, waypoint)] = Splits()
            end = start + count
            splits.entries = columns["entries"][start:end]
            splits.times = columns["times"][start:end]
            splits.seqs = columns["seqs"][start:end]
            splits.provenance = columns["provenance"][start:end]
            splits._seen = None
            start = end

    # ================================================================== applying

    def apply(self, record: Record) -> Effect | None:
        """Fold one record in; raises ``RuleViolationError`` (state unchanged) if not allowed."""
        if record.seq != self._last_seq + 1:
            raise RuleViolationError(
                "record out of sequence",
                where=f"{record.type} event",
                expected=f"seq {self._last_seq + 1}",
                received=record.seq,
            )
        handler = _HANDLERS.get(type(record.event))
        if handler is None:
            raise InvalidEventError(
                "not an event",
                where=f"record seq {record.seq}",
                expected="an event of the vocabulary (rally_standings.events)",
                received=type(record.event).__name__,
            )
        effect = handler(self, record.event, record.seq)
        self._set_seq(record.seq)
        return effect

    def apply_all(self, records: Iterable[Record]) -> Fold:
        """Fold records in order; returns self for chaining."""
        for record in records:
            self.apply(record)
        return self

    def apply_frame(self, frame: Frame, *, limit: int | None = None) -> list[Effect]:
        """Fold a decoded frame in (its first ``limit`` events); returns what changed.

        Runs of single-stage results and of waypoint splits are checked and
        stored in bulk when every event of the run is plainly allowed (the
        handlers' own conditions); otherwise, and for every other event type,
        each event is built and applied by its handler, so the rules are the same.
        """
        if frame.first_seq != self._last_seq + 1:
            raise RuleViolationError(
                "frame out of sequence",
                where="log frame",
                expected=f"seq {self._last_seq + 1}",
                received=frame.first_seq,
            )
        effects: list[Effect] = []
        remaining = frame.count if limit is None else min(limit, frame.count)
        for run in frame.runs:
            if remaining <= 0:
                break
            count = min(run.count, remaining)
            bulk = _BULK.get(run.tag) if count == run.count else None
            done = bulk(self, run, frame, effects) if bulk is not None else False
            if not done:
                events = frame.run_events(run)[:count]
                for offset, event in enumerate(events):
                    effect = self.apply(Record(seq=run.first_seq + offset, event=event))
                    if effect is not None:
                        effects.append(effect)
            remaining -= count
        return effects

    def apply_run(self, frame: Frame, run: Run) -> list[Effect]:
        """Fold one run of a frame in (in bulk where its events allow); returns what changed."""
        if run.first_seq != self._last_seq + 1:
            raise RuleViolationError(
                "run out of sequence",
                where="log frame",
                expected=f"seq {self._last_seq + 1}",
                received=run.first_seq,
            )
        effects: list[Effect] = []
        bulk = _BULK.get(run.tag)
        if bulk is None or not bulk(self, run, frame, effects):
            for offset, event in enumerate(frame.run_events(run)):
                effect = self.apply(Record(seq=run.first_seq + offset, event=event))
                if effect is not None:
                    effects.append(effect)
        return effects

    def apply_frames(self, frames: Iterable[Frame]) -> Fold:
        """Fold frames in order; returns self."""
        for frame in frames:
            self.apply_frame(frame)
        return self

    def check(self, event: Event) -> None:
        """Raise ``RuleViolationError`` if ``event`` could not be appended now; change nothing."""
        with self.tentative():
            self.apply(Record(seq=self._last_seq + 1, event=event))
            raise _Undo

    @contextmanager
    def tentative(self) -> Iterator[None]:
        """Apply events inside the block; if it raises, every change made in it is undone.

        The undo journal records each change as it is made; nothing is copied.
        An ``_Undo`` raised inside the block rolls back and is swallowed.
        """
        outer = self._journal
        journal: list[Callable[[], None]] = []
        self._journal = journal
        try:
            yield
        except BaseException as error:
            for undo in reversed(journal):
                undo()
            self._running.clear()
            self._by_category = None
            self._journal = outer
            if isinstance(error, _Undo):
                return
            raise
        self._journal = outer
        if outer is not None:
            outer.extend(journal)

    # ================================================================== queries

    @property
    def last_seq(self) -> int:
        """The sequence number of the last record folded."""
        return self._last_seq

    @property
    def rally(self) -> RallyDeclared | None:
        """The rally declaration, once folded."""
        return self._rally

    def entries(self, category: str | None = None) -> tuple[EntryRegistered, ...]:
        """Registered entries in registration order, optionally of one category."""
        return tuple(e for e in self._entries if category is None or e.category == category)

    def entry(self, entry_id: str) -> EntryRegistered | None:
        """An entry by id."""
        index = self._index.get(entry_id)
        return None if index is None else self._entries[index]

    def entry_index(self, entry_id: str) -> int:
        """The position of an entry in registration order."""
        return self._index[entry_id]

    def entry_at(self, index: int) -> EntryRegistered:
        """The entry registered ``index``-th (from 0)."""
        return self._entries[index]

    @property
    def entry_count(self) -> int:
        """How many entries are registered."""
        return len(self._entries)

    def entry_by_number(self, category: str, number: str) -> EntryRegistered | None:
        """The entry of ``category`` racing with ``number``."""
        index = self._numbers.get((category, number))
        return None if index is None else self._entries[index]

    def stage_numbers(self) -> tuple[int, ...]:
        """Scheduled stage numbers, in order."""
        return tuple(self._order)

    def stage(self, number: int) -> StageScheduled | None:
        """A scheduled stage."""
        return self._stages.get(number)

    def is_cancelled(self, stage: int, category: str) -> bool:
        """Whether ``stage`` is cancelled for ``category``."""
        return (stage, category) in self._cancellations

    def cancellation(self, stage: int, category: str) -> CancellationState | None:
        """The cancellation of ``stage`` for ``category``, if any."""
        return self._cancellations.get((stage, category))

    def cancellations(self, category: str) -> tuple[CancellationState, ...]:
        """The stages cancelled for ``category``, in stage order."""
        return tuple(
            state for (stage, c), state in sorted(self._cancellations.items()) if c == category
        )

    def counts(self, stage: int, category: str) -> bool:
        """Whether a result on ``stage`` counts toward the GC of ``category``."""
        scheduled = self._stages.get(stage)
        return (
            scheduled is not None
            and scheduled.kind_for(category) is StageKind.SPECIAL
            and (stage, category) not in self._cancellations
        )

    def counted_stages(self, category: str, first: int, last: int) -> list[int]:
        """The stages from ``first`` to ``last`` that count for ``category``, in order."""
        low = bisect.bisect_left(self._order, first)
        high = bisect.bisect_right(self._order, last)
        return [s for s in self._order[low:high] if self.counts(s, category)]

    def awarded(self, stage: int, category: str) -> int:
        """The time awarded to all at a cancelled stage (0 where none is)."""
        cancelled = self._cancellations.get((stage, category))
        return (
            0 if cancelled is None or not cancelled.event.awarded_ms else cancelled.event.awarded_ms
        )

    def penalty(self, penalty_id: str) -> PenaltyState | None:
        """A penalty by id."""
        return self._penalties.get(penalty_id)

    def penalty_states(self) -> tuple[PenaltyState, ...]:
        """Every penalty, in log order."""
        return tuple(self._penalties.values())

    def retirement(self, entry_id: str) -> RetirementState | None:
        """An entry's retirement or exclusion, if any."""
        index = self._index.get(entry_id)
        return None if index is None else self._retirements.get(index)

    def retired_at(self, index: int) -> int | None:
        """The stage an entry left the rally at, by entry index."""
        state = self._retirements.get(index)
        return None if state is None else state.event.stage

    def leaving(self) -> dict[int, list[int]]:
        """stage -> the entry indexes that left the rally at it."""
        out: dict[int, list[int]] = {}
        for entry, state in self._retirements.items():
            out.setdefault(state.event.stage, []).append(entry)
        return out

    def result_columns(self) -> tuple[Sequence[int], Sequence[int]]:
        """The time in force and the counted stages covered, of every result by index.

        The fold's own columns, for summing in bulk: read them, never change them.
        """
        return self._r_time, self._r_cover

    def coverage(self, category: str, stage: int) -> FieldCoverageDeclared | None:
        """The coverage declaration in force at ``stage``: the latest at or before it."""
        best: FieldCoverageDeclared | None = None
        for (c, declared), declaration in self._coverage.items():
            if c == category and declared <= stage and (best is None or declared > best.stage):
                best = declaration
        return best

    def coverage_declarations(self) -> tuple[FieldCoverageDeclared, ...]:
        """Every coverage declaration in force (the latest per category and stage)."""
        return tuple(self._coverage.values())

    # ------------------------------------------------------------------ results

    def results_ending(self, category: str, stage: int) -> dict[int, int]:
        """{entry index: result index} for every result of ``category`` ending at ``stage``.

        The mapping is the fold's own: read it, never change it.
        """
        return self._ending.get((category, stage), _EMPTY_DICT)

    def gc_penalties(self, category: str, stage: int) -> dict[int, int]:
        """{entry index: sum of the penalties in force imposed at ``stage``} (read only)."""
        return self._gc_penalties.get((category, stage), _EMPTY_DICT)

    def result_time(self, result: int) -> int:
        """The time in force of a result, by result index."""
        return self._r_time[result]

    def result_cover(self, result: int) -> int:
        """How many counted stages a result stands for, by result index."""
        return self._r_cover[result]

    def result_span(self, result: int) -> tuple[int, int]:
        """The first and last stage of a result, by result index."""
        return self._r_first[result], self._r_stage[result]

    def result_index(self, entry_id: str, stage: int) -> int | None:
        """The index of ``entry_id``'s result ending at ``stage``."""
        index = self._index.get(entry_id)
        if index is None:
            return None
        return self._ending.get((self._entries[index].category, stage), _EMPTY_DICT).get(index)

    def result_state(self, result: int) -> ResultState:
        """A result as an object (corrections and the stages it stands for included)."""
        entry = self._r_entry[result]
        first, last = self._r_first[result], self._r_stage[result]
        if first == last:
            covers: tuple[int, ...] = (last,)
        else:
            category = self._entries[entry].category
            covers = tuple(
                s
                for s in self.counted_stages(category, first, last)
                if self._spanned.get(s, _EMPTY_DICT).get(entry) == result or s == last
            )
        return ResultState(
            entry_id=self._entries[entry].entry_id,
            first_stage=first,
            stage=last,
            recorded_ms=self._r_recorded[result],
            seq=self._r_seq[result],
            provenance=self._provenances[self._r_prov[result]],
            covers=covers,
            corrections=self._corrections.get(result, ()),
        )

    def result(self, entry_id: str, stage: int) -> ResultState | None:
        """``entry_id``'s result ending at ``stage``, if any."""
        result = self.result_index(entry_id, stage)
        return None if result is None else self.result_state(result)

    def results_of(self, entry_id: str) -> tuple[ResultState, ...]:
        """Every result of an entry, in stage order."""
        index = self._index[entry_id]
        category = self._entries[index].category
        found = [
            ending[index]
            for stage in self._order
            if index in (ending := self._ending.get((category, stage), _EMPTY_DICT))
        ]
        return tuple(self.result_state(result) for result in found)

    def covering(self, entry_id: str, stage: int) -> int | None:
        """The index of the result that covers ``stage`` for an entry (its own, or a span)."""
        index = self._index[entry_id]
        own = self._ending.get((self._entries[index].category, stage), _EMPTY_DICT).get(index)
        if own is not None:
            return own
        return self._spanned.get(stage, _EMPTY_DICT).get(index)

    @property
    def result_count(self) -> int:
        """How many results are recorded."""
        return len(self._r_entry)

    def last_result_stage(self, category: str) -> int | None:
        """The last stage holding a result or an awarded time for ``category``."""
        stages = [s for (c, s), ending in self._ending.items() if c == category and ending]
        stages += [s for (s, c) in self._cancellations if c == category and self.awarded(s, c)]
        return max(stages, default=None)

    # ------------------------------------------------------------------ splits

    def splits(self, stage: int, waypoint: int) -> Splits | None:
        """The times recorded at one waypoint of one stage (read only)."""
        return self._splits.get((stage, waypoint))

    def waypoints(self, stage: int) -> tuple[int, ...]:
        """The waypoints of ``stage`` that have a recorded time, in order."""
        return tuple(sorted(w for (s, w) in self._splits if s == stage))

    def split_count(self, stage: int | None = None) -> int:
        """How many splits are recorded (at ``stage``, or in all)."""
        return sum(
            len(splits.entries)
            for (s, _), splits in self._splits.items()
            if stage is None or s == stage
        )

    def provenance_at(self, index: int) -> Provenance:
        """A provenance by its index in the fold's table."""
        return self._provenances[index]

    # ================================================================== copies

    def copy(self) -> Fold:
        """An independent copy (its columns and indexes copied; the events they hold are
        immutable and shared)."""
        other = Fold.__new__(Fold)
        other._last_seq = self._last_seq
        other._rally = self._rally
        other._entries = list(self._entries)
        other._index = dict(self._index)
        other._numbers = dict(self._numbers)
        other._stages = dict(self._stages)
        other._order = list(self._order)
        other._cancellations = dict(self._cancellations)
        other._penalties = dict(self._penalties)
        other._retirements = dict(self._retirements)
        other._coverage = dict(self._coverage)
        for name in _COLUMNS:
            setattr(other, name, getattr(self, name)[:])
        other._corrections = dict(self._corrections)
        other._ending = {key: dict(value) for key, value in self._ending.items()}
        other._spanned = {key: dict(value) for key, value in self._spanned.items()}
        other._gc_penalties = {key: dict(value) for key, value in self._gc_penalties.items()}
        other._stage_penalties = {key: dict(value) for key, value in self._stage_penalties.items()}
        other._bonuses = dict(self._bonuses)
        other._last_result_stage = self._last_result_stage
        other._latest = dict(self._latest)
        if self._unread_splits is not None:  # not read yet: the copy reads them if it must
            other._split_store, other._unread_splits = {}, self._unread_splits
            other._splits_shared = False
        else:  # shared until one of the two records a split (a what-if never does)
            other._split_store, other._unread_splits = self._split_store, None
            other._splits_shared = self._splits_shared = True
        other._provenances = list(self._provenances)
        other._provenance_index = dict(self._provenance_index)
        other._running = dict(self._running)
        other._by_category = self._by_category
        other._journal = None
        return other

    def snapshot(self) -> FoldState:
        """A frozen copy of the state, from which ``Fold(state)`` resumes."""
        return FoldState(
            last_seq=self._last_seq,
            rally=self._rally,
            entries=tuple(self._entries),
            stages=tuple(self._stages[s] for s in self._order),
            results=tuple(self.result_state(r) for r in range(len(self._r_entry))),
            penalties=tuple(self._penalties.values()),
            cancellations=tuple(self._cancellations.values()),
            retirements=tuple(self._retirements[e] for e in sorted(self._retirements)),
            coverage=tuple(self._coverage.values()),
            splits=tuple(
                (
                    stage,
                    waypoint,
                    tuple(
                        (
                            self._entries[entry].entry_id,
                            time_ms,
                            seq,
                            self._provenances[prov],
                        )
                        for entry, time_ms, seq, prov in zip(
                            splits.entries,
                            splits.times,
                            splits.seqs,
                            splits.provenance,
                            strict=True,
                        )
                    ),
                )
                for (stage, waypoint), splits in sorted(self._splits.items())
            ),
        )

    def _restore(self, state: FoldState) -> None:
        self._last_seq = state.last_seq
        self._rally = state.rally
        for registered in state.entries:
            self._store_entry(registered)
        for scheduled in state.stages:
            self._stages[scheduled.stage] = scheduled
            bisect.insort(self._order, scheduled.stage)
        for cancelled in state.cancellations:
            self._cancellations[(cancelled.event.stage, cancelled.category)] = cancelled
        for result in state.results:
            entry = self._index[result.entry_id]
            category = self._entries[entry].category
            index = self._store_result(
                entry,
                category,
                result.first_stage,
                result.stage,
                result.recorded_ms,
                result.seq,
                result.provenance,
                len(result.covers) if result.is_span else int(self.counts(result.stage, category)),
            )
            for stage in result.covers:
                if result.is_span and stage != result.stage:
                    self._spanned.setdefault(stage, {})[entry] = index
            if result.corrections:
                self._corrections[index] = result.corrections
                self._r_time[index] = result.time_ms
        for penalty in state.penalties:
            self._penalties[penalty.event.penalty_id] = penalty
            if penalty.in_force:
                self._add_gc_penalty(penalty.event, penalty.event.amount_ms)
        for retired in state.retirements:
            self._retirements[self._index[retired.event.entry_id]] = retired
        for declaration in state.coverage:
            self._coverage[(declaration.category, declaration.stage)] = declaration
        for stage, waypoint, rows in state.splits:
            splits = self._splits.setdefault((stage, waypoint), Splits())
            for entry_id, time_ms, seq, provenance in rows:
                member = self._index[entry_id]
                splits.entries.append(member)
                splits.times.append(time_ms)
                splits.seqs.append(seq)
                splits.provenance.append(self._provenance_of(provenance))
                splits.seen.add(member)

    # ================================================================== checkpoints

    def export(self) -> dict[str, Any]:
        """The state as columns and events, for a checkpoint (``Fold.restore`` reads it back).

        Results and splits are arrays of integers; the few declarative facts
        (rally, entries, stages, cancellations, penalties, retirements, coverage)
        are events with the seq they were folded at.
        """
        unread = self._unread_splits
        items = [] if unread is not None else list(self._splits.items())
        return {
            "ending": [
                [category, stage, pack_ints(list(results)), pack_ints(list(results.values()))]
                for (category, stage), results in self._ending.items()
            ],
            "latest": [pack_ints(list(self._latest)), pack_ints(list(self._latest.values()))],
            "last_seq": self._last_seq,
            "rally": self._rally,
            "entries": list(self._entries),
            "stages": [self._stages[s] for s in self._order],
            "cancellations": [(c.event, c.seq, c.category) for c in self._cancellations.values()],
            "penalties": [
                (p.event, p.seq, p.rescinded_seq, p.rescinded_reason)
                for p in self._penalties.values()
            ],
            "retirements": [(r.event, r.seq) for r in self._retirements.values()],
            "coverage": list(self._coverage.values()),
            "results": {name: pack_ints(getattr(self, name)) for name in _COLUMNS},
            "corrections": [
                (result, c.seq, c.time_ms, c.reason, c.provenance)
                for result, corrections in self._corrections.items()
                for c in corrections
            ],
            "spanned": [
                (stage, entry, result)
                for stage, spans in self._spanned.items()
                for entry, result in spans.items()
            ],
            "splits": unread
            if unread is not None
            else {
                "keys": [
                    [stage, waypoint, len(splits.entries)] for (stage, waypoint), splits in items
                ],
                **{
                    column: pack_ints([v for _, split in items for v in getattr(split, column)])
                    for column in ("entries", "times", "seqs", "provenance")
                },
            },
            "provenances": list(self._provenances),
        }

    @classmethod
    def restore(cls, data: dict[str, Any]) -> Fold:
        """A fold from ``export``'s data, its indexes rebuilt from the columns."""
        fold = cls()
        fold._last_seq = data["last_seq"]
        fold._rally = data["rally"]
        for provenance in data["provenances"]:
            fold._provenance_of(provenance)
        for entry in data["entries"]:
            fold._store_entry(entry)
        for scheduled in data["stages"]:
            fold._stages[scheduled.stage] = scheduled
            fold._order.append(scheduled.stage)
        for event, seq, category in data["cancellations"]:
            fold._cancellations[(event.stage, category)] = CancellationState(category, event, seq)
        for name in _COLUMNS:
            getattr(fold, name).extend(unpack_ints(data["results"][name]))
        for category, stage, entries, results in data["ending"]:  # the indexes, as they were
            fold._ending[(category, stage)] = dict(
                zip(unpack_ints(entries), unpack_ints(results), strict=True)
            )
        fold._latest = dict(zip(*map(unpack_ints, data["latest"]), strict=True))
        fold._last_result_stage = max(fold._r_stage, default=-1)
        for result, seq, time_ms, reason, provenance in data["corrections"]:
            fold._corrections[result] = (
                *fold._corrections.get(result, ()),
                Correction(seq, time_ms, reason, provenance),
            )
        for stage, entry, result in data["spanned"]:
            fold._spanned.setdefault(stage, {})[entry] = result
        for event, seq, rescinded_seq, rescinded_reason in data["penalties"]:
            state = PenaltyState(event, seq, rescinded_seq, rescinded_reason)
            fold._penalties[event.penalty_id] = state
            if state.in_force:
                fold._add_gc_penalty(event, event.amount_ms)
        for event, seq in data["retirements"]:
            fold._retirements[fold._index[event.entry_id]] = RetirementState(event, seq)
        for declaration in data["coverage"]:
            fold._coverage[(declaration.category, declaration.stage)] = declaration
        if data["splits"]["keys"]:
            fold._unread_splits = data["splits"]
        return fold

    # ================================================================== changing state
    # Every change goes through these, so a journal can undo it.

    def _set_seq(self, seq: int) -> None:
        if self._journal is not None:
            previous = self._last_seq
            self._journal.append(lambda: setattr(self, "_last_seq", previous))
        self._last_seq = seq

    def _put(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        if self._journal is not None:
            old = mapping.get(key, _MISSING)
            if old is _MISSING:
                self._journal.append(functools.partial(_drop_key, mapping, key))
            else:
                self._journal.append(functools.partial(mapping.__setitem__, key, old))
        mapping[key] = value

    def _provenance_of(self, provenance: Provenance) -> int:
        index = self._provenance_index.get(provenance)
        if index is None:
            index = len(self._provenances)
            self._provenances.append(provenance)
            self._provenance_index[provenance] = index
            if self._journal is not None:
                self._journal.append(self._drop_last_provenance)
        return index

    def _drop_last_provenance(self) -> None:
        del self._provenance_index[self._provenances.pop()]

    def _store_entry(self, entry: EntryRegistered) -> None:
        index = len(self._entries)
        self._entries.append(entry)
        self._index[entry.entry_id] = index
        if entry.number is not None:
            self._numbers[(entry.category, entry.number)] = index
        self._running.clear()
        self._by_category = None
        if self._journal is not None:
            self._journal.append(lambda: self._forget_entry(entry))

    def _forget_entry(self, entry: EntryRegistered) -> None:
        self._entries.pop()
        del self._index[entry.entry_id]
        if entry.number is not None:
            del self._numbers[(entry.category, entry.number)]

    def _store_result(
        self,
        entry: int,
        category: str,
        first: int,
        last: int,
        time_ms: int,
        seq: int,
        provenance: Provenance,
        cover: int,
    ) -> int:
        index = len(self._r_entry)
        self._r_entry.append(entry)
        self._r_first.append(first)
        self._r_stage.append(last)
        self._r_time.append(time_ms)
        self._r_recorded.append(time_ms)
        self._r_seq.append(seq)
        self._r_prov.append(self._provenance_of(provenance))
        self._r_cover.append(cover)
        ending = self._ending.get((category, last))
        if ending is None:
            ending = self._ending[(category, last)] = {}
        ending[entry] = index
        previous_last = self._last_result_stage
        self._last_result_stage = max(previous_last, last)
        self._put(self._latest, entry, max(last, self._latest.get(entry, -1)))
        if self._journal is not None:
            self._journal.append(lambda: self._forget_result(entry, last, previous_last, ending))
        return index

    def _forget_result(
        self, entry: int, last: int, previous_last: int, ending: dict[int, int]
    ) -> None:
        for name in _COLUMNS:
            getattr(self, name).pop()
        del ending[entry]
        self._last_result_stage = previous_last

    def _add_gc_penalty(self, event: PenaltyImposed, amount: int) -> None:
        entry = self._index[event.entry_id]
        key = (self._entries[entry].category, event.stage)
        sums = self._gc_penalties.get(key)
        if sums is None:
            sums = self._gc_penalties[key] = {}
        old = sums.get(entry, 0)
        self._put(sums, entry, old + amount)
        change = min(0, old + amount) - min(0, old)
        if change:
            self._put(self._bonuses, entry, self._bonuses.get(entry, 0) + change)
        if not event.gc_only:
            stage_sums = self._stage_penalties.get(key)
            if stage_sums is None:
                stage_sums = self._stage_penalties[key] = {}
            self._put(stage_sums, entry, stage_sums.get(entry, 0) + amount)

    # ================================================================== bulk runs

    def _open_at(self, stage: object) -> frozenset[int] | None:
        """Entries whose category runs ``stage`` (timed, not cancelled), out or not."""
        if type(stage) is not int:
            return None
        allowed = self._running.get(stage)
        if allowed is None:
            scheduled = self._stages.get(stage)
            if scheduled is None:
                return frozenset()
            open_categories = {
                c
                for c in (self._rally.categories if self._rally else ())
                if scheduled.kind_for(c) is not StageKind.LIAISON
                and (stage, c) not in self._cancellations
            }
            members = self._members()
            if len(open_categories) == 1:
                allowed = members.get(open_categories.pop(), frozenset())
            else:
                allowed = frozenset().union(*(members.get(c, ()) for c in open_categories))
            self._running[stage] = allowed
        return allowed

    def _members(self) -> dict[str, frozenset[int]]:
        """Each category's entries (kept until an entry is registered)."""
        if self._by_category is None:
            grouped: dict[str, list[int]] = {}
            for index, entry in enumerate(self._entries):
                grouped.setdefault(entry.category, []).append(index)
            self._by_category = {c: frozenset(v) for c, v in grouped.items()}
        return self._by_category

    def _may_time(self, stage: object, entries: list[int]) -> bool:
        """Whether every one of ``entries`` may take a time on ``stage`` now."""
        allowed = self._open_at(stage)
        if allowed is None or not allowed.issuperset(entries):
            return False
        retirements = self._retirements
        if retirements.keys().isdisjoint(entries):
            return True
        assert isinstance(stage, int)
        return all(
            stage < retirements[entry].event.stage for entry in entries if entry in retirements
        )

    def _entry_indexes(self, column: Sequence[object]) -> list[int] | None:
        """The entry indexes of a column of entry ids (None if one is unknown)."""
        return mapped(column, self._index)

    def _provenance_column(self, run: Run, frame: Frame) -> list[int]:
        """The fold's provenance index of each event of a run (one lookup per distinct one)."""
        if isinstance(run.provenance, int):
            return [self._provenance_of(frame.provenances[run.provenance])] * run.count
        mapping = {i: self._provenance_of(frame.provenances[i]) for i in set(run.provenance)}
        return [mapping[i] for i in run.provenance]

    def _bulk_splits(self, run: Run, frame: Frame, effects: list[Effect]) -> bool:
        """Store a run of splits at once if each one is plainly allowed; False to go one by one.

        A run may mix waypoints (a stage's splits in the order they came in); it is
        stored waypoint by waypoint, each entry at most once per waypoint.
        """
        stage = single_value(run.column("stage"))
        times_column = run.column("time_ms")
        waypoints = run.column("waypoint")
        if stage is None or not all_positive(times_column) or not all_positive(waypoints):
            return False
        self._own_splits()
        entries = self._entry_indexes(run.column("entry_id"))
        if entries is None or not self._may_time(stage, entries):
            return False
        times = as_list(times_column)
        single = single_value(waypoints)
        if single is not None:
            groups = {single: range(run.count)}
        else:
            grouped: dict[int, list[int]] = {}
            for offset, waypoint in enumerate(waypoints):
                grouped.setdefault(waypoint, []).append(offset)
            groups = dict(grouped)  # type: ignore[arg-type]
        for waypoint, offsets in groups.items():
            chosen = entries if single is not None else [entries[o] for o in offsets]
            existing = self._splits.get((stage, waypoint))
            if len(set(chosen)) != len(chosen):
                return False
            if existing is not None and not existing.seen.isdisjoint(chosen):
                return False
        provenances = self._provenance_column(run, frame)
        seqs = range(run.first_seq, run.first_seq + run.count)
        for waypoint, offsets in groups.items():
            key = (stage, waypoint)
            splits = self._splits.get(key)
            if splits is None:
                splits = self._splits[key] = Splits()
            start = len(splits.entries)
            if single is not None:
                splits.entries.extend(entries)
                splits.times.extend(times)
                splits.seqs.extend(seqs)
                splits.provenance.extend(provenances)
                splits.seen.update(entries)
            else:
                splits.entries.extend(entries[o] for o in offsets)
                splits.times.extend(times[o] for o in offsets)
                splits.seqs.extend(seqs[o] for o in offsets)
                splits.provenance.extend(provenances[o] for o in offsets)
                splits.seen.update(entries[o] for o in offsets)
            if self._journal is not None:
                self._journal.append(functools.partial(self._forget_splits, stage, waypoint, start))
        self._set_seq(run.first_seq + run.count - 1)
        return True

    def _forget_splits(self, stage: int, waypoint: int, start: int) -> None:
        splits = self._splits[(stage, waypoint)]
        for column in (splits.entries, splits.times, splits.seqs, splits.provenance):
            del column[start:]
        splits.seen = set(splits.entries)
        if not splits.entries:
            del self._splits[(stage, waypoint)]

    def _bulk_results(self, run: Run, frame: Frame, effects: list[Effect]) -> bool:
        """Store a run of single-stage results at once if each is plainly allowed.

        The conditions are those of the handler: the entry runs the stage, the
        stage is not cancelled, the entry is not out, it has no time for that
        stage yet and the time is positive; anything else goes one by one.
        """
        if any(first is not None for first in run.column("first_stage")):
            return False
        stage = single_value(run.column("stage"))
        times_column = run.column("time_ms")
        if stage is None or not all_positive(times_column):
            return False
        entries = self._entry_indexes(run.column("entry_id"))
        if entries is None or len(set(entries)) != run.count or not self._may_time(stage, entries):
            return False
        times = as_list(times_column)
        categories: dict[str, list[int]] = {}
        kinds = {self._entries[entry].category for entry in set(entries)}
        if len(kinds) == 1:
            categories[kinds.pop()] = list(range(run.count))
        else:
            for offset, entry in enumerate(entries):
                categories.setdefault(self._entries[entry].category, []).append(offset)
        spanned = self._spanned.get(stage, _EMPTY_DICT)
        for category in categories:
            ending = self._ending.get((category, stage), _EMPTY_DICT)
            if not ending.keys().isdisjoint(entries) or not spanned.keys().isdisjoint(entries):
                return False
        counts = {category: int(self.counts(stage, category)) for category in categories}
        provenances = self._provenance_column(run, frame)
        start = len(self._r_entry)
        self._r_entry.extend(entries)
        self._r_first.extend([stage] * run.count)
        self._r_stage.extend([stage] * run.count)
        self._r_time.extend(times)
        self._r_recorded.extend(times)
        self._r_seq.extend(range(run.first_seq, run.first_seq + run.count))
        self._r_prov.extend(provenances)
        if len(counts) == 1:
            self._r_cover.extend([next(iter(counts.values()))] * run.count)
        else:
            self._r_cover.extend([counts[self._entries[entry].category] for entry in entries])
        stored: list[tuple[str, list[int]]] = []
        for category, offsets in categories.items():
            stage_ending = self._ending.get((category, stage))
            if stage_ending is None:
                stage_ending = self._ending[(category, stage)] = {}
            added = [entries[offset] for offset in offsets]
            stage_ending.update(zip(added, (start + offset for offset in offsets), strict=True))
            stored.append((category, added))
            effects.append(Effect((category,), stage))
        previous_last = self._last_result_stage
        self._last_result_stage = max(previous_last, stage)
        latest = self._latest
        previous_latest = {entry: latest[entry] for entry in entries if entry in latest}
        if stage >= previous_last:
            latest.update(dict.fromkeys(entries, stage))
        else:
            for entry in entries:
                if latest.get(entry, -1) < stage:
                    latest[entry] = stage
        if self._journal is not None:
            self._journal.append(
                lambda: self._forget_results(start, stage, stored, previous_last, previous_latest)
            )
        self._set_seq(run.first_seq + run.count - 1)
        return True

    def _forget_results(
        self,
        start: int,
        stage: int,
        stored: list[tuple[str, list[int]]],
        previous_last: int,
        previous_latest: dict[int, int],
    ) -> None:
        for name in _COLUMNS:
            del getattr(self, name)[start:]
        for category, added in stored:
            ending = self._ending[(category, stage)]
            for entry in added:
                del ending[entry]
                self._latest.pop(entry, None)
        self._latest.update(previous_latest)
        self._last_result_stage = previous_last

    # ================================================================== checks

    def _require_rally(self, event: Event, seq: int) -> RallyDeclared:
        if self._rally is None:
            raise _violation(
                event,
                seq,
                "the log must start with the rally declaration",
                expected="a rally-declared event first",
                received=tag_of(event),
            )
        return self._rally

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

    def _require_entry(self, event: Event, seq: int, entry_id: str) -> int:
        self._require_rally(event, seq)
        index = self._index.get(entry_id)
        if index is None:
            raise _violation(
                event, seq, "unknown entry", expected="a registered entry", received=entry_id
            )
        return index

    def _require_stage(self, event: Event, seq: int, stage: int) -> StageScheduled:
        self._require_rally(event, seq)
        scheduled = self._stages.get(stage)
        if scheduled is None:
            known = ", ".join(map(str, self._order)) or "none yet"
            raise _violation(
                event,
                seq,
                "unscheduled stage",
                expected=f"a scheduled stage ({known})",
                received=stage,
            )
        return scheduled

    def _require_running(self, event: Event, seq: int, entry: int, stage: int) -> None:
        retired = self._retirements.get(entry)
        if retired is not None and stage >= retired.event.stage:
            how = "excluded" if retired.event.excluded else "retired"
            raise _violation(
                event,
                seq,
                f"entry {how} at stage {retired.event.stage} (seq {retired.seq})",
                expected=f"a stage before {retired.event.stage}",
                received=stage,
            )

    def _require_timed(
        self, event: Event, seq: int, scheduled: StageScheduled, category: str
    ) -> StageKind:
        kind = scheduled.kind_for(category)
        if kind is StageKind.LIAISON:
            raise _violation(
                event,
                seq,
                f"stage {scheduled.stage} is a liaison for {category}",
                expected="a timed stage",
                received=scheduled.stage,
            )
        if (scheduled.stage, category) in self._cancellations:
            raise _violation(
                event,
                seq,
                f"stage {scheduled.stage} is cancelled for {category}",
                expected="a stage that was run",
                received=scheduled.stage,
            )
        return kind

    def _stage_time(self, entry: int, stage: int) -> int | None:
        """An entry's time on ``stage`` with the stage penalties in force, if it has one."""
        category = self._entries[entry].category
        result = self._ending.get((category, stage), _EMPTY_DICT).get(entry)
        if result is None or self._r_first[result] != stage:
            return None
        extra = self._stage_penalties.get((category, stage), _EMPTY_DICT).get(entry, 0)
        return self._r_time[result] + extra

    def stage_penalty(self, entry_id: str, stage: int) -> int:
        """The sum of an entry's penalties in force that count in ``stage``'s ranking."""
        index = self._index[entry_id]
        key = (self._entries[index].category, stage)
        return self._stage_penalties.get(key, _EMPTY_DICT).get(index, 0)

    def _require_positive(
        self,
        event: Event,
        seq: int,
        entry: int,
        stage: int,
        delta: int,
        *,
        in_stage: bool,
        cumulative: bool = True,
    ) -> None:
        """Refuse a change that would make a stage time or a cumulative time zero or negative.

        A cumulative time may be zero only before any result of the entry counts
        (a penalty on the prologue, rescinded, leaves nothing). Most changes are
        cleared at once: the entry's counted time on ``stage`` plus all its
        bonuses is a lower bound of every cumulative time from ``stage`` on.
        """
        if delta >= 0:
            return
        who = self._entries[entry].entry_id
        if in_stage:
            stage_time = self._stage_time(entry, stage)
            if stage_time is not None and stage_time + delta <= 0:
                raise _violation(
                    event,
                    seq,
                    f"the stage {stage} time of {who} would be {format_time(stage_time + delta)}",
                    expected="a stage time above zero",
                    received=f"{format_signed(delta)} on a stage time of {format_time(stage_time)}",
                )
        if not cumulative:
            return
        category = self._entries[entry].category
        own = self._ending.get((category, stage), _EMPTY_DICT).get(entry)
        bonuses = self._bonuses.get(entry, 0)
        if own is not None and self._r_cover[own] and self._r_time[own] + bonuses + delta > 0:
            return
        total, timed = 0, False
        for later in self._order:
            result = self._ending.get((category, later), _EMPTY_DICT).get(entry)
            if result is not None and self._r_cover[result]:
                total += self._r_time[result]
                timed = True
            total += self._gc_penalties.get((category, later), _EMPTY_DICT).get(entry, 0)
            total += self.awarded(later, category)
            if later < stage:
                continue
            if total + delta < 0 or (total + delta == 0 and timed):
                raise _violation(
                    event,
                    seq,
                    f"the cumulative time of {who} after stage {later} would be "
                    f"{format_time(total + delta)}",
                    expected="a cumulative time above zero",
                    received=(
                        f"{format_signed(delta)} on a cumulative time of {format_time(total)}"
                    ),
                )

    # ================================================================== handlers

    @handles(RallyDeclared)
    def _on_rally_declared(self, event: RallyDeclared, seq: int) -> Effect:
        if self._rally is not None:
            raise _violation(
                event,
                seq,
                "the rally is already declared",
                expected="one rally-declared event, at seq 1",
                received=f"a second one for {event.rally_id}",
            )
        if self._journal is not None:
            self._journal.append(lambda: setattr(self, "_rally", None))
        self._rally = event
        return Effect(event.categories, None)

    @handles(EntryRegistered)
    def _on_entry_registered(self, event: EntryRegistered, seq: int) -> Effect:
        self._require_category(event, seq, event.category)
        if event.entry_id in self._index:
            raise _violation(
                event,
                seq,
                "entry already registered",
                expected="a new entry id",
                received=event.entry_id,
            )
        if event.number is not None and (event.category, event.number) in self._numbers:
            holder = self._entries[self._numbers[(event.category, event.number)]].entry_id
            raise _violation(
                event,
                seq,
                f"race number already taken in {event.category}",
                expected="a free number",
                received=f"{event.number} (entry {holder})",
            )
        self._store_entry(event)
        return Effect((event.category,), None)

    @handles(StageScheduled)
    def _on_stage_scheduled(self, event: StageScheduled, seq: int) -> Effect:
        for rule in event.rules:
            self._require_category(event, seq, rule.category)
        if event.stage in self._stages:
            raise _violation(
                event,
                seq,
                "stage already scheduled",
                expected="a new stage number",
                received=event.stage,
            )
        if event.stage < self._last_result_stage:
            raise _violation(
                event,
                seq,
                f"stage {self._last_result_stage} already has results",
                expected=f"a stage numbered after {self._last_result_stage} (stages are "
                "scheduled in order; a prologue numbered 0 is scheduled first)",
                received=event.stage,
            )
        # (A stage scheduled after every result cannot fall inside a combined time.)
        self._put(self._stages, event.stage, event)
        position = bisect.bisect_left(self._order, event.stage)
        self._order.insert(position, event.stage)
        if self._journal is not None:
            self._journal.append(functools.partial(self._order.__delitem__, position))
        self._running.clear()
        return Effect(tuple(rule.category for rule in event.rules), event.stage)

    @handles(StageResultRecorded)
    def _on_stage_result_recorded(self, event: StageResultRecorded, seq: int) -> Effect:
        entry = self._require_entry(event, seq, event.entry_id)
        category = self._entries[entry].category
        first, last = event.span
        for stage in (first, last):
            scheduled = self._require_stage(event, seq, stage)
            kind = self._require_timed(event, seq, scheduled, category)
            if first != last and kind is not StageKind.SPECIAL:
                raise _violation(
                    event,
                    seq,
                    f"a combined time cannot start or end on a {kind}",
                    expected="a span between two counted specials",
                    received=f"stages {first}-{last}",
                )
        self._require_running(event, seq, entry, last)
        if first == last:
            covers = [last]
            clashes = [last]
        else:
            # A combined time stands for the counted stages of its range that have no
            # result of their own: a source may print one stage time inside a span.
            in_range = self.counted_stages(category, first, last)
            covers = [s for s in in_range if self._covering(entry, category, s) is None]
            clashes = [first, last] + [
                s for s in in_range if entry in self._spanned.get(s, _EMPTY_DICT)
            ]
        for stage in clashes:
            held = self._covering(entry, category, stage)
            if held is not None:
                raise _violation(
                    event,
                    seq,
                    f"entry already has a result for stage {stage}",
                    expected="a result-corrected event to change it",
                    received=f"a second result (the first is seq {self._r_seq[held]})",
                )
        cover = len(covers) if first != last else int(self.counts(last, category))
        index = self._store_result(
            entry, category, first, last, event.time_ms, seq, event.provenance, cover
        )
        for stage in covers:
            if stage != last:
                spanned = self._spanned.get(stage)
                if spanned is None:
                    spanned = self._spanned[stage] = {}
                self._put(spanned, entry, index)
        if not cover:
            return Effect((category,), last, entry, 0, 0)  # a prologue time: no GC change
        return Effect((category,), last, entry, event.time_ms, cover)

    def _covering(self, entry: int, category: str, stage: int) -> int | None:
        own = self._ending.get((category, stage), _EMPTY_DICT).get(entry)
        return own if own is not None else self._spanned.get(stage, _EMPTY_DICT).get(entry)

    @handles(ResultCorrected)
    def _on_result_corrected(self, event: ResultCorrected, seq: int) -> Effect:
        entry = self._require_entry(event, seq, event.entry_id)
        category = self._entries[entry].category
        result = self._ending.get((category, event.stage), _EMPTY_DICT).get(entry)
        if result is None:
            raise _violation(
                event,
                seq,
                "no result to correct",
                expected=f"an earlier result of {event.entry_id} ending at stage {event.stage}",
                received="none",
            )
        old = self._r_time[result]
        if old == event.time_ms:
            raise _violation(
                event,
                seq,
                "the correction changes nothing",
                expected=f"a time other than {format_time(old)}",
                received=format_time(event.time_ms),
            )
        counted = bool(self._r_cover[result])
        delta = event.time_ms - old
        self._require_positive(
            event, seq, entry, event.stage, delta, in_stage=True, cumulative=counted
        )
        correction = Correction(
            seq=seq, time_ms=event.time_ms, reason=event.reason, provenance=event.provenance
        )
        self._put(self._corrections, result, (*self._corrections.get(result, ()), correction))
        if self._journal is not None:
            self._journal.append(functools.partial(self._r_time.__setitem__, result, old))
        self._r_time[result] = event.time_ms
        return Effect((category,), event.stage, entry, delta if counted else 0, 0)

    @handles(PenaltyImposed)
    def _on_penalty_imposed(self, event: PenaltyImposed, seq: int) -> Effect:
        entry = self._require_entry(event, seq, event.entry_id)
        self._require_stage(event, seq, event.stage)
        if event.penalty_id in self._penalties:
            raise _violation(
                event,
                seq,
                "penalty id already used",
                expected="a new penalty id",
                received=event.penalty_id,
            )
        self._require_positive(
            event, seq, entry, event.stage, event.amount_ms, in_stage=not event.gc_only
        )
        self._put(self._penalties, event.penalty_id, PenaltyState(event=event, seq=seq))
        self._add_gc_penalty(event, event.amount_ms)
        category = self._entries[entry].category
        return Effect((category,), event.stage, entry, event.amount_ms, 0)

    @handles(PenaltyRescinded)
    def _on_penalty_rescinded(self, event: PenaltyRescinded, seq: int) -> Effect:
        self._require_rally(event, seq)
        penalty = self._penalties.get(event.penalty_id)
        if penalty is None:
            known = ", ".join(self._penalties) or "none has been imposed"
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
        imposed = penalty.event
        entry = self._index[imposed.entry_id]
        self._require_positive(
            event, seq, entry, imposed.stage, -imposed.amount_ms, in_stage=not imposed.gc_only
        )
        self._put(
            self._penalties,
            event.penalty_id,
            attrs.evolve(penalty, rescinded_seq=seq, rescinded_reason=event.reason),
        )
        self._add_gc_penalty(imposed, -imposed.amount_ms)
        category = self._entries[entry].category
        return Effect((category,), imposed.stage, entry, -imposed.amount_ms, 0)

    @handles(StageCancelled)
    def _on_stage_cancelled(self, event: StageCancelled, seq: int) -> Effect:
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
            if (event.stage, category) in self._cancellations:
                raise _violation(
                    event,
                    seq,
                    f"stage {event.stage} already cancelled for {category}",
                    expected="a stage that is not cancelled",
                    received=event.stage,
                )
            spanning = (  # combined results over the stage: through it, or ending at it
                *self._spanned.get(event.stage, _EMPTY_DICT).values(),
                *self._ending.get((category, event.stage), _EMPTY_DICT).values(),
            )
            for result in spanning:
                first, last = self._r_first[result], self._r_stage[result]
                if (
                    first != last
                    and first <= event.stage <= last
                    and self._entries[self._r_entry[result]].category == category
                ):
                    who = self._entries[self._r_entry[result]].entry_id
                    raise _violation(
                        event,
                        seq,
                        f"a combined result of {who} covers stage {event.stage}",
                        expected="a stage no combined time spans",
                        received=f"stages {first}-{last} (seq {self._r_seq[result]})",
                    )
        for category in event.categories:
            self._put(
                self._cancellations,
                (event.stage, category),
                CancellationState(category=category, event=event, seq=seq),
            )
            ending = self._ending.get((category, event.stage), _EMPTY_DICT)
            for result in ending.values():  # a cancelled stage's times no longer count
                if self._journal is not None:
                    self._journal.append(
                        functools.partial(self._r_cover.__setitem__, result, self._r_cover[result])
                    )
                self._r_cover[result] = 0
        self._running.clear()
        return Effect(event.categories, event.stage)

    @handles(EntryRetired)
    def _on_entry_retired(self, event: EntryRetired, seq: int) -> Effect:
        entry = self._require_entry(event, seq, event.entry_id)
        self._require_stage(event, seq, event.stage)
        earlier = self._retirements.get(entry)
        if earlier is not None:
            raise _violation(
                event,
                seq,
                "entry already out of the rally",
                expected="an entry still running",
                received=f"{event.entry_id} (out at stage {earlier.event.stage}, "
                f"seq {earlier.seq})",
            )
        category = self._entries[entry].category
        latest = self._latest.get(entry, -1)
        if latest > event.stage:
            raise _violation(
                event,
                seq,
                f"entry has a result for stage {latest}",
                expected=f"a retirement stage at or after {latest} (an entry leaves the "
                "rally at a stage, after any result it has on it)",
                received=event.stage,
            )
        self._put(self._retirements, entry, RetirementState(event=event, seq=seq))
        return Effect((category,), event.stage)

    @handles(FieldCoverageDeclared)
    def _on_field_coverage_declared(self, event: FieldCoverageDeclared, seq: int) -> Effect:
        self._require_category(event, seq, event.category)
        self._require_stage(event, seq, event.stage)
        self._put(self._coverage, (event.category, event.stage), event)
        return Effect((event.category,), event.stage)

    @handles(WaypointRecorded)
    def _on_waypoint_recorded(self, event: WaypointRecorded, seq: int) -> None:
        entry = self._require_entry(event, seq, event.entry_id)
        scheduled = self._require_stage(event, seq, event.stage)
        self._require_timed(event, seq, scheduled, self._entries[entry].category)
        self._require_running(event, seq, entry, event.stage)
        self._own_splits()
        splits = self._splits.get((event.stage, event.waypoint))
        if splits is not None and entry in splits.seen:
            raise _violation(
                event,
                seq,
                f"entry already has a time at waypoint {event.waypoint} of stage {event.stage}",
                expected="one time per entry and waypoint",
                received=f"a second one ({format_time(event.time_ms)})",
            )
        key = (event.stage, event.waypoint)
        if splits is None:
            splits = self._splits[key] = Splits()
            if self._journal is not None:
                self._journal.append(functools.partial(_drop_key, self._splits, key))
        start = len(splits.entries)
        splits.entries.append(entry)
        splits.times.append(event.time_ms)
        splits.seqs.append(seq)
        splits.provenance.append(self._provenance_of(event.provenance))
        splits.seen.add(entry)
        if self._journal is not None:
            self._journal.append(lambda: self._forget_splits(*key, start))
        return


class _Undo(Exception):
    """Raised inside ``Fold.tentative`` to roll back on purpose."""


_EMPTY_DICT: dict[int, int] = {}


def _drop_key(mapping: dict[Any, Any], key: object) -> None:
    mapping.pop(key, None)


_COLUMNS = (
    "_r_entry",
    "_r_first",
    "_r_stage",
    "_r_time",
    "_r_recorded",
    "_r_seq",
    "_r_prov",
    "_r_cover",
)

_BULK: dict[str, Callable[[Fold, Run, Frame, list[Effect]], bool]] = {
    "waypoint-recorded": Fold._bulk_splits,
    "stage-result-recorded": Fold._bulk_results,
}
