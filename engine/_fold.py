"""The fold: events in, rally state out; and the state read as it stood at any record.

``Fold.apply`` is deterministic and does no I/O. The handler of the event's type
(``engine/_rules.py``, registered with ``@handles``) checks it against the state so
far and raises ``RuleViolationError`` before changing anything; then it adds the
event's facts through one of the ``add_*`` methods here. Each fact is a row of a
table of ``FoldState`` (``engine/_state.py``, the one declaration of the state),
and what the fold derives from the tables (indexes, the sums of the penalties in
force) is built by the same ``_index_*`` methods whether a row was just added or
the state is rebuilt (``_derive``: from a checkpoint, a prefix, after a rollback).

The fold never forgets: rows are only appended, so the state as known at record S
is each table's prefix up to S. ``View`` answers every question as of one record
(``Fold.view(seq)``): the current state fast, an earlier one by filtering rows by
their seq. Whatever the engine hands out (standings, rows, explanations) reads
through a view fixed at the record it was made at, so it never changes when more
events are folded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import attrs

from .. import events
from ..events import (
    EVENT_TAGS,
    Frame,
    InvalidEventError,
    Provenance,
    Record,
    RuleViolationError,
    Run,
)
from ._index import Index
from ._state import FoldState

__all__ = [
    "CancellationState",
    "Correction",
    "Effect",
    "Fold",
    "PenaltyState",
    "ResultState",
    "RetirementState",
    "SplitState",
    "Timed",
    "Withdrawal",
    "handled_types",
    "handles",
]


# ---------------------------------------------------------------------- what the fold hands out


@attrs.frozen
class Correction:
    """One correction applied to a result (or a split)."""

    seq: int
    time_ms: int
    reason: str
    provenance: Provenance


@attrs.frozen
class Withdrawal:
    """A result (or a split) withdrawn: from ``seq`` on it has no time, until corrected."""

    seq: int
    reason: str
    provenance: Provenance


class _Amended:
    """What a result and a split share: a time recorded at ``seq``, then the corrections and
    withdrawals known then, in order."""

    __slots__ = ()
    recorded_ms: int
    seq: int
    corrections: tuple[Correction, ...]
    withdrawals: tuple[Withdrawal, ...]

    @property
    def time_ms(self) -> int:
        """The time in force: the last correction's, else the recorded one (when withdrawn:
        the time it had)."""
        return self.corrections[-1].time_ms if self.corrections else self.recorded_ms

    @property
    def withdrawal(self) -> Withdrawal | None:
        """The withdrawal in force (the last amendment, if it is one): None unless withdrawn."""
        if not self.withdrawals:
            return None
        last = self.withdrawals[-1]
        return last if not self.corrections or self.corrections[-1].seq < last.seq else None

    @property
    def replaced(self) -> tuple[int, int] | None:
        """(time, seq) of what the last correction replaced: the correction before it, else
        the time first recorded (None: never corrected)."""
        if not self.corrections:
            return None
        if len(self.corrections) == 1:
            return self.recorded_ms, self.seq
        return self.corrections[-2].time_ms, self.corrections[-2].seq


@attrs.frozen
class ResultState(_Amended):
    """A result as it stood: the recorded time, then the corrections (and withdrawals)
    known then."""

    entry_id: str
    first_stage: int
    stage: int
    recorded_ms: int
    seq: int
    provenance: Provenance
    stages_covered: tuple[int, ...]
    """The counted stages this result stands for (a span's, less those timed on their own);
    how many of them is its ``cover``."""
    corrections: tuple[Correction, ...] = ()
    withdrawals: tuple[Withdrawal, ...] = ()
    """Its withdrawals known then, in order (the result counts only if a correction came
    after the last one)."""

    @property
    def is_span(self) -> bool:
        """Whether this is one combined time over several stages."""
        return self.first_stage != self.stage


@attrs.frozen
class SplitState(_Amended):
    """A split (an elapsed time at a waypoint) as it stood: recorded, then the corrections
    and withdrawals known then."""

    entry_id: str
    stage: int
    waypoint: int
    recorded_ms: int
    seq: int
    provenance: Provenance
    corrections: tuple[Correction, ...] = ()
    withdrawals: tuple[Withdrawal, ...] = ()


@attrs.frozen
class PenaltyState:
    """A penalty (or bonus, or any other ``Adjustment``) and, if it was withdrawn, when and why."""

    event: events.Adjustment
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
    event: events.StageCancelled
    seq: int


@attrs.frozen
class RetirementState:
    """An entry's retirement (or exclusion)."""

    event: events.EntryRetired
    seq: int


@attrs.frozen
class Effect:
    """What an applied event may have changed in a category's standings.

    ``stage`` is the first stage whose standings (or what they say of a crew) may
    differ, in ``categories`` (``None``: every stage, and the category's entries).
    When ``entry`` is set, the whole change to the sums is that entry's cumulative
    time growing by ``delta`` at ``stage`` and, with ``cover``, that many more counted
    stages covered by a result ending there: a running classification of that stage
    can be updated rather than recomputed.
    """

    categories: tuple[str, ...]
    stage: int | None
    entry: int | None = None
    delta: int = 0
    cover: int = 0


@attrs.frozen
class Timed:
    """Times, each with the record and the provenance row it came from: the columns every
    result and split row carries (one event's, or a whole run's)."""

    times: Sequence[int]
    seqs: Sequence[int]
    provenances: Sequence[int]

    @classmethod
    def one(cls, fold: Fold, time_ms: int, seq: int, provenance: events.Provenance) -> Timed:
        """The time of one event."""
        return cls([time_ms], [seq], [fold.provenance_row(provenance)])

    @classmethod
    def run(cls, fold: Fold, run: Run, frame: Frame, times: Sequence[int]) -> Timed:
        """The times of a run of events of one frame (one provenance lookup per distinct
        one)."""
        if isinstance(run.provenance, int):
            rows = [fold.provenance_row(frame.provenances[run.provenance])] * run.count
        else:
            row = {i: fold.provenance_row(frame.provenances[i]) for i in set(run.provenance)}
            rows = [row[i] for i in run.provenance]
        return cls(times, range(run.first_seq, run.first_seq + run.count), rows)

    def columns(self) -> dict[str, Sequence[int]]:
        return {"time": self.times, "seq": self.seqs, "provenance": self.provenances}


# ---------------------------------------------------------------------- handler registry

_Handler = Callable[["Fold", Any, int], Effect | None]
_BulkHandler = Callable[["Fold", Run, Frame, list[Effect]], bool]
_HANDLERS: dict[type, _Handler] = {}
"""The fold's handler of each event type, registered beside it by ``@handles``."""
_BULK: dict[type, _BulkHandler] = {}
"""Handlers of whole runs of one event type, for the common, plainly allowed case."""

_F = TypeVar("_F", bound=Callable[..., Any])


def handles(event_type: type, *, bulk: bool = False) -> Callable[[_F], _F]:
    """Register the decorated function as the fold's handler of ``event_type`` (with
    ``bulk``: of a whole run of them, returning False to leave it to the one-by-one one)."""

    def register(handler: _F) -> _F:
        registry: dict[type, Any] = _BULK if bulk else _HANDLERS
        if event_type in registry:
            raise TypeError(f"{event_type.__name__} has two handlers")
        registry[event_type] = handler
        return handler

    return register


def handled_types() -> frozenset[type]:
    """Every event type the fold has a handler for."""
    return frozenset(_HANDLERS)


class _Undo(Exception):
    """Raised inside ``Fold.tentative`` to roll back on purpose."""


# ---------------------------------------------------------------------- the fold


class Fold:
    """The rally state: its tables of facts and what is derived from them.

    Read it through ``view()``; change it only by applying records.
    """

    def __init__(self, state: FoldState | None = None) -> None:
        self.state = FoldState() if state is None else state
        """The facts (read only: every change goes through ``apply``)."""
        self.index = Index(self.state)
        """What is derived from the facts (read only)."""

    # ------------------------------------------------------------------ adding facts
    # A handler has checked the event; these append its rows and index them.

    def provenance_row(self, provenance: Provenance) -> int:
        """The row of ``provenance`` in the provenance table (added if new)."""
        return self.index.provenance_row(provenance)

    def _add(self, table: str, **values: Any) -> None:
        """Append one row to ``table`` (this state's own copy) and index it."""
        self.index.added(table, self.state.writable(table).append(**values))

    def _extend(self, table: str, count: int, **columns: int | Sequence[int]) -> None:
        """Append ``count`` rows to ``table`` column by column (a column given as one number:
        that number in every row) and index them."""
        whole = {
            name: [values] * count if isinstance(values, int) else values
            for name, values in columns.items()
        }
        self.index.added(table, self.state.writable(table).extend(**whole))

    def add_declaration(self, event: events.RallyDeclared, seq: int) -> None:
        """Record the rally declaration."""
        self._add("declarations", event=event, seq=seq)

    def add_entry(self, event: events.EntryRegistered, seq: int) -> None:
        """Register an entry."""
        self._add("entries", event=event, seq=seq)

    def add_stage(self, event: events.StageScheduled, seq: int) -> None:
        """Schedule a stage."""
        self._add("stages", event=event, seq=seq)

    def add_results(
        self,
        entries: Sequence[int],
        first: int | Sequence[int],
        stage: int,
        timed: Timed,
        cover: Sequence[int],
    ) -> None:
        """Record results at ``stage`` (``first``: where each one's span starts)."""
        columns = {"entry": entries, "first": first, "stage": stage, "cover": cover}
        self._extend("results", len(entries), **columns, **timed.columns())

    def add_correction(
        self, result: int, event: events.ResultCorrected | events.ResultWithdrawn, seq: int
    ) -> None:
        """Correct the time of result row ``result``, or withdraw it."""
        self._add("corrections", result=result, event=event, seq=seq)

    def add_adjustment(self, entry: int, event: events.Adjustment, seq: int) -> None:
        """Impose a penalty (or a bonus) on entry row ``entry``."""
        self._add("adjustments", entry=entry, event=event, seq=seq)

    def add_rescission(self, adjustment: int, event: events.PenaltyRescinded, seq: int) -> None:
        """Withdraw adjustment row ``adjustment``."""
        self._add("rescissions", adjustment=adjustment, event=event, seq=seq)

    def add_cancellation(self, event: events.StageCancelled, seq: int) -> None:
        """Cancel a stage for the categories the event names."""
        self._add("cancellations", event=event, seq=seq)

    def add_retirement(self, entry: int, event: events.EntryRetired, seq: int) -> None:
        """Take entry row ``entry`` out of the rally."""
        self._add("retirements", entry=entry, event=event, seq=seq)

    def add_coverage(self, event: events.FieldCoverageDeclared, seq: int) -> None:
        """Declare how much of a classification the log holds."""
        self._add("coverage", event=event, seq=seq)

    def add_splits(
        self, stage: int, waypoints: int | Sequence[int], entries: Sequence[int], timed: Timed
    ) -> None:
        """Record elapsed times at waypoints of ``stage``."""
        columns = {"stage": stage, "waypoint": waypoints, "entry": entries}
        self._extend("splits", len(entries), **columns, **timed.columns())

    def add_split_amendment(
        self, split: int, event: events.WaypointCorrected | events.WaypointWithdrawn, seq: int
    ) -> None:
        """Correct the time of split row ``split``, or withdraw it."""
        self._add("split_amendments", split=split, event=event, seq=seq)

    # ------------------------------------------------------------------ applying

    @property
    def last_seq(self) -> int:
        """The sequence number of the last record folded."""
        return self.state.last_seq

    def _next(self, what: str, seq: int, where: str) -> None:
        """Refuse a record, frame or run that does not start at the next seq."""
        if seq != self.state.last_seq + 1:
            raise RuleViolationError(
                f"{what} out of sequence",
                where=where,
                expected=f"seq {self.state.last_seq + 1}",
                received=seq,
            )

    def apply(self, record: Record) -> Effect | None:
        """Fold one record in; raises ``RuleViolationError`` (state unchanged) if not allowed."""
        if record.seq != self.state.last_seq + 1:  # (its type is named only then: it may be none)
            self._next("record", record.seq, f"{record.type} event")
        handler = _HANDLERS.get(type(record.event))
        if handler is None:
            raise InvalidEventError(
                "not an event",
                where=f"record seq {record.seq}",
                expected="an event of the vocabulary (rally_standings.events)",
                received=type(record.event).__name__,
            )
        effect = handler(self, record.event, record.seq)
        self.state.last_seq = record.seq
        return effect

    def apply_all(self, records: Iterable[Record]) -> Fold:
        """Fold records in order; returns self for chaining."""
        for record in records:
            self.apply(record)
        return self

    def apply_frame(self, frame: Frame, *, limit: int | None = None) -> list[Effect]:
        """Fold a decoded frame in (its first ``limit`` events); returns what changed.

        A run of one event type is handled in bulk where its type has a bulk handler and
        every event of the run is plainly allowed (by the handlers' own conditions);
        otherwise each event is built and applied by its handler: the rules are the same.
        """
        self._next("frame", frame.first_seq, "log frame")
        effects: list[Effect] = []
        remaining = frame.count if limit is None else min(limit, frame.count)
        for run in frame.runs:
            if remaining <= 0:
                break
            count = min(run.count, remaining)
            effects += self.apply_run(frame, run, count=count)
            remaining -= count
        return effects

    def apply_run(self, frame: Frame, run: Run, *, count: int | None = None) -> list[Effect]:
        """Fold one run of a frame in (its first ``count`` events; the next to fold)."""
        self._next("run", run.first_seq, "log frame")
        effects: list[Effect] = []
        count = run.count if count is None else count
        bulk = _BULK.get(EVENT_TAGS.get(run.tag, type(None))) if count == run.count else None
        if bulk is not None and bulk(self, run, frame, effects):
            self.state.last_seq = run.first_seq + run.count - 1
            return effects
        for offset, event in enumerate(frame.run_events(run)[:count]):
            effect = self.apply(Record(seq=run.first_seq + offset, event=event))
            if effect is not None:
                effects.append(effect)
        return effects

    def apply_frames(self, frames: Iterable[Frame]) -> Fold:
        """Fold frames in order; returns self."""
        for frame in frames:
            self.apply_frame(frame)
        return self

    @contextlib.contextmanager
    def tentative(self) -> Iterator[None]:
        """Apply events inside the block; if it raises, the state is as it was before it.

        The rows added in the block are dropped (each table cut back to its rows up to the
        record before the block) and what is derived is built again from the rest: the
        same state as if the block had never run. An ``_Undo`` raised inside the block
        rolls back and is swallowed.
        """
        mark = self.state.last_seq
        try:
            yield
        except BaseException as error:
            self.rollback(mark)
            if isinstance(error, _Undo):
                return
            raise

    def rollback(self, seq: int) -> None:
        """Forget every record after ``seq``: the state as it was then."""
        self.state.truncate(seq)
        self.index = Index(self.state)

    def snapshot(self) -> FoldState:
        """A copy of the state, from which ``Fold(state)`` resumes (and that compares equal
        to the state of any fold of the same records)."""
        return self.state.copy()

    def copy(self) -> Fold:
        """An independent copy (the events it holds are immutable and shared)."""
        return Fold(self.state.copy())

    def fork(self) -> Fold:
        """An independent fold equal to this one, made in no time: it shares this fold's
        tables and indexes until it folds an event of their kind (a what-if's penalty copies
        the penalties, never the waypoint splits)."""
        fork = Fold.__new__(Fold)
        fork.state = self.state.fork()
        fork.index = self.index.fork(fork.state)
        return fork

    def prefix(self, seq: int) -> Fold:
        """A new fold of the first ``seq`` records (the state as it was after record ``seq``)."""
        return Fold(self.state.prefix(seq))
