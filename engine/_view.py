"""The rally read as it stood at one record: every question the fold answers, read-only.

The fold never forgets (``engine/_state.py``): the state as known at record S is each
table's rows up to S. A ``View`` of the current record reads the fold's indexes
directly; a view of an earlier one reads only the rows recorded by then. What it
returns is immutable or a copy, and a view stays at its record when more is folded,
so whatever the engine hands out through one never changes afterwards.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from ..events import (
    EntryRegistered,
    FieldCoverageDeclared,
    QueryError,
    RallyDeclared,
    ResultCorrected,
    ResultWithdrawn,
    StageKind,
    StageScheduled,
    WaypointCorrected,
    WaypointWithdrawn,
)
from ._fold import (
    CancellationState,
    Correction,
    Fold,
    PenaltyState,
    ResultState,
    RetirementState,
    SplitState,
    Withdrawal,
)
from ._index import EMPTY, Amended
from ._names import number_key, spelled
from ._state import Corrections, SplitAmendments

__all__ = ["View"]


class View:
    """The rally as known at one record: every query of the fold, read-only.

    A view of the current record reads the fold's indexes directly; a view of an
    earlier one reads only the rows recorded up to it (each table's prefix). Either way
    what it returns is immutable or a copy: nothing handed out reads the fold later.
    """

    __slots__ = ("_fold", "_limits", "seq")

    def __init__(self, fold: Fold, seq: int, *, upto: int | None = None) -> None:
        last = fold.last_seq if upto is None else upto
        if not 0 <= seq <= last:
            raise QueryError(
                "no such log sequence",
                where="view",
                expected=f"a sequence number from 0 to {last}",
                received=seq,
            )
        self._fold = fold
        self.seq = seq
        """The record the view reads the rally as of."""
        self._limits: dict[str, int] = {}

    def _rows(self, table: str) -> int:
        """How many rows of ``table`` were recorded by this view's record."""
        rows = self._limits.get(table)
        if rows is None:
            found = getattr(self._fold.state, table)
            # (while the view's record is the fold's last, every row is one of its)
            rows = len(found) if self.seq == self._fold.last_seq else found.rows_at(self.seq)
            self._limits[table] = rows
        return rows

    def at(self, seq: int) -> View:
        """The same rally read as of record ``seq`` (an earlier one, or this one)."""
        return self if seq == self.seq else View(self._fold, seq, upto=self.seq)

    # ------------------------------------------------------------------ the rally

    @property
    def rally(self) -> RallyDeclared | None:
        """The rally declaration, once folded."""
        declarations = self._fold.state.declarations
        return declarations.event[0] if self._rows("declarations") else None

    @property
    def last_seq(self) -> int:
        """The record this view reads as of (the same as ``seq``)."""
        return self.seq

    # ------------------------------------------------------------------ entries

    @property
    def entry_count(self) -> int:
        """How many entries were registered."""
        return self._rows("entries")

    def entries(self, category: str | None = None) -> tuple[EntryRegistered, ...]:
        """Registered entries in registration order, optionally of one category."""
        events = self._fold.state.entries.event
        return tuple(events[row] for row in self.members(category))

    def members(self, category: str | None = None) -> tuple[int, ...]:
        """The rows of the entries (of ``category``), in registration order."""
        count = self._rows("entries")
        if category is None:
            return tuple(range(count))
        rows = self._fold.index.members.get(category, ())
        return tuple(rows if count == len(self._fold.state.entries) else _below(rows, count))

    def entry(self, entry_id: str) -> EntryRegistered | None:
        """An entry by id."""
        row = self._fold.index.entry_row.get(entry_id)
        return None if row is None or row >= self._rows("entries") else self.entry_at(row)

    def entry_index(self, entry_id: str) -> int:
        """The row of an entry (its position in registration order)."""
        row = self._fold.index.entry_row.get(entry_id)
        if row is None or row >= self._rows("entries"):
            raise KeyError(entry_id)
        return row

    def entry_at(self, row: int) -> EntryRegistered:
        """The entry registered ``row``-th (from 0)."""
        return self._fold.state.entries.event[row]

    def entry_by_number(self, category: str, number: str) -> EntryRegistered | None:
        """The entry of ``category`` racing with ``number``, compared as a number where it is
        one (``007`` finds No. 7): the first registered with it."""
        row = self._fold.index.number_row.get((category, number_key(number)))
        return None if row is None or row >= self._rows("entries") else self.entry_at(row)

    def category_named(self, text: str) -> str:
        """The rally's category ``text`` names, case and spaces aside (``Cars`` is ``cars``);
        ``text`` itself if none (for a refusal to name)."""
        rally = self.rally
        found = None if rally is None else spelled(text, rally.categories)
        return text if found is None else found

    def class_named(self, category: str, text: str) -> str:
        """The class of ``category`` ``text`` names, case and spaces aside (``ultimate`` is
        ``Ultimate``); ``text`` itself if none."""
        found = spelled(text, self.classes(category))
        return text if found is None else found

    def classes(self, category: str) -> tuple[str, ...]:
        """The classes the entries of ``category`` carry, in order of first registration."""
        found = dict.fromkeys(
            entry.entry_class for entry in self.entries(category) if entry.entry_class is not None
        )
        return tuple(found)

    # ------------------------------------------------------------------ stages

    def stage_numbers(self) -> tuple[int, ...]:
        """Scheduled stage numbers, in order."""
        if self._rows("stages") == len(self._fold.state.stages):
            return tuple(self._fold.index.order)
        rows = self._fold.index.stage_row
        count = self._rows("stages")
        return tuple(number for number in self._fold.index.order if rows[number] < count)

    def stage(self, number: int) -> StageScheduled | None:
        """A scheduled stage."""
        row = self._fold.index.stage_row.get(number)
        return (
            None
            if row is None or row >= self._rows("stages")
            else (self._fold.state.stages.event[row])
        )

    def cancellation(self, stage: int, category: str) -> CancellationState | None:
        """The cancellation of ``stage`` for ``category``, if any."""
        row = self._fold.index.cancelled.get((stage, category))
        if row is None or row >= self._rows("cancellations"):
            return None
        cancellations = self._fold.state.cancellations
        return CancellationState(category, cancellations.event[row], cancellations.seq[row])

    def is_cancelled(self, stage: int, category: str) -> bool:
        """Whether ``stage`` is cancelled for ``category``."""
        row = self._fold.index.cancelled.get((stage, category))
        return row is not None and row < self._rows("cancellations")

    def cancellations(self, category: str) -> tuple[CancellationState, ...]:
        """The stages cancelled for ``category``, in stage order."""
        found = (self.cancellation(stage, category) for stage in self.stage_numbers())
        return tuple(state for state in found if state is not None)

    def kind(self, stage: int, category: str) -> StageKind | None:
        """What ``stage`` is for ``category`` (None: not scheduled)."""
        scheduled = self.stage(stage)
        return None if scheduled is None else scheduled.kind_for(category)

    def counts(self, stage: int, category: str) -> bool:
        """Whether a result on ``stage`` counts toward the GC of ``category``."""
        return self.kind(stage, category) is StageKind.SPECIAL and not self.is_cancelled(
            stage, category
        )

    def counted_stages(self, category: str, first: int, last: int) -> list[int]:
        """The stages from ``first`` to ``last`` that count for ``category``, in order."""
        return [s for s in self.stage_numbers() if first <= s <= last and self.counts(s, category)]

    def awarded(self, stage: int, category: str) -> int:
        """The time awarded to all at a cancelled stage (0 where none is)."""
        cancelled = self.cancellation(stage, category)
        return 0 if cancelled is None else cancelled.event.awarded_ms or 0

    # ------------------------------------------------------------------ results

    def _amended(self, table: str, target: int, recorded: int) -> tuple[int, bool]:
        """Row ``target`` of the results or the splits, as of this view, given the amendments
        in ``table`` (``corrections``, ``split_amendments``): its time (its last correction's
        known then, else ``recorded``) and whether its last amendment then is a withdrawal."""
        fold = self._fold
        results = table == "corrections"
        amended: Amended = fold.index.results_amended if results else fold.index.splits_amended
        count = self._rows(table)
        amendments: Corrections | SplitAmendments = getattr(fold.state, table)
        if count == len(amendments):
            now = amended.times(fold.state.results.time if results else fold.state.splits.time)
            return now[target], target in amended.withdrawn
        withdrawn = False  # the last amendment known then is a withdrawal
        for row in reversed(amended.rows.get(target, ())):
            if row >= count:
                continue
            event = amendments.event[row]
            if isinstance(event, ResultCorrected | WaypointCorrected):
                return event.time_ms, withdrawn
            withdrawn = True
        return recorded, withdrawn

    def _any_withdrawn(self) -> bool:
        """Whether a result may be withdrawn as of this view (a withdrawal is known then)."""
        rows = self._fold.index.results_amended.withdrawals
        return bool(rows) and rows[0] < self._rows("corrections")

    def is_withdrawn(self, result: int) -> bool:
        """Whether result row ``result`` is withdrawn as of this view (its last amendment
        known then is a withdrawal)."""
        return self._amended("corrections", result, 0)[1]

    def results_ending(self, category: str, stage: int) -> dict[int, int]:
        """{entry row: result row} of the results of ``category`` ending at ``stage`` that
        are in force (recorded by then, not withdrawn; a copy)."""
        ending = self._fold.index.ending.get((category, stage), EMPTY)
        count = self._rows("results")
        if self._any_withdrawn():
            return {e: r for e, r in ending.items() if r < count and not self.is_withdrawn(r)}
        if count == len(self._fold.state.results):
            return dict(ending)
        return {e: r for e, r in ending.items() if r < count}

    def withdrawn_results(self, category: str, stage: int) -> dict[int, int]:
        """{entry row: result row} of the results of ``category`` ending at ``stage`` that are
        withdrawn as of this view."""
        if not self._any_withdrawn():
            return {}
        ending = self._fold.index.ending.get((category, stage), EMPTY)
        count = self._rows("results")
        return {e: r for e, r in ending.items() if r < count and self.is_withdrawn(r)}

    def accumulate(
        self, category: str, stage: int, total: dict[int, int], cover: dict[int, int]
    ) -> list[int]:
        """Add each result of ``category`` ending at ``stage`` (its time in force, and the
        counted stages it covers) to ``total`` and ``cover``; the entry rows it added to.

        The inner loop of the standings arithmetic (``engine/_times.py``), here because it
        reads the fold's columns directly when the view is current.
        """
        fold = self._fold
        ending = fold.index.ending.get((category, stage), EMPTY)
        if self.is_cancelled(stage, category):
            return []
        cover_of = fold.state.results.cover
        if (
            self._rows("results") == len(fold.state.results)
            and self._rows("corrections") == len(fold.state.corrections)
            and not fold.index.results_amended.withdrawn
        ):
            times = fold.index.results_amended.times(fold.state.results.time)
            for entry, result in ending.items():
                covered = cover_of[result]
                if covered:
                    total[entry] += times[result]
                    cover[entry] += covered
            return list(ending)
        added = []
        for entry, result in self.results_ending(category, stage).items():
            added.append(entry)
            covered = cover_of[result]
            if covered:
                total[entry] += self.result_time(result)
                cover[entry] += covered
        return added

    def result_time(self, result: int) -> int:
        """The time of a result row as of this view: its last correction's known then, else
        the time recorded (for a withdrawn result: the time it had)."""
        return self._amended("corrections", result, self._fold.state.results.time[result])[0]

    def result_cover(self, result: int) -> int:
        """How many counted stages a result row stands for (0 once its stage is cancelled)."""
        results = self._fold.state.results
        stage = results.stage[result]
        category = self._fold.index.category_of(results.entry[result])
        return 0 if self.is_cancelled(stage, category) else results.cover[result]

    def result_span(self, result: int) -> tuple[int, int]:
        """The first and last stage of a result row."""
        results = self._fold.state.results
        return results.first[result], results.stage[result]

    def result_index(self, entry_id: str, stage: int) -> int | None:
        """The row of ``entry_id``'s result ending at ``stage``, withdrawn or not."""
        entry = self._fold.index.entry_row.get(entry_id)
        if entry is None or entry >= self._rows("entries"):
            return None
        row = self._fold.index.ending.get((self._fold.index.category_of(entry), stage), EMPTY).get(
            entry
        )
        return None if row is None or row >= self._rows("results") else row

    def covering(self, entry_id: str, stage: int) -> int | None:
        """The row of the result that covers ``stage`` for an entry (its own, or a span),
        withdrawn or not: a withdrawn result still holds its place (a correction gives it a
        time again; no second result is recorded there)."""
        own = self.result_index(entry_id, stage)
        if own is not None:
            return own
        entry = self._fold.index.entry_row.get(entry_id)
        row = self._fold.index.spanned.get(stage, EMPTY).get(entry) if entry is not None else None
        return None if row is None or row >= self._rows("results") else row

    def result_state(self, result: int) -> ResultState:
        """A result row as an object (the corrections known then, the stages it covers)."""
        fold = self._fold
        results = fold.state.results
        entry, first, last = results.entry[result], results.first[result], results.stage[result]
        if first == last:
            stages: tuple[int, ...] = (last,)
        else:
            stages = (
                *(
                    s
                    for s in fold.index.order
                    if first <= s < last and fold.index.spanned.get(s, EMPTY).get(entry) == result
                ),
                last,
            )
        found, withdrawals = self._amendments(
            fold.index.results_amended.rows.get(result, ()), fold.state.corrections, "corrections"
        )
        return ResultState(
            entry_id=self.entry_at(entry).entry_id,
            first_stage=first,
            stage=last,
            recorded_ms=results.time[result],
            seq=results.seq[result],
            provenance=fold.state.provenances[results.provenance[result]],
            stages_covered=stages,
            corrections=found,
            withdrawals=withdrawals,
        )

    def _amendments(
        self, rows: Sequence[int], table: Corrections | SplitAmendments, name: str
    ) -> tuple[tuple[Correction, ...], tuple[Withdrawal, ...]]:
        """The corrections and the withdrawals among amendment ``rows`` known then."""
        count = self._rows(name)
        corrections: list[Correction] = []
        withdrawals: list[Withdrawal] = []
        for row in rows:
            if row >= count:
                break
            event, seq = table.event[row], table.seq[row]
            if isinstance(event, ResultWithdrawn | WaypointWithdrawn):
                withdrawals.append(Withdrawal(seq, event.reason, event.provenance))
            else:
                corrections.append(Correction(seq, event.time_ms, event.reason, event.provenance))
        return tuple(corrections), tuple(withdrawals)

    def result(self, entry_id: str, stage: int) -> ResultState | None:
        """``entry_id``'s result ending at ``stage``, if any (withdrawn or not: see its
        ``withdrawal``)."""
        row = self.result_index(entry_id, stage)
        return None if row is None else self.result_state(row)

    @property
    def result_count(self) -> int:
        """How many results were recorded."""
        return self._rows("results")

    def has_results(self, category: str, stage: int) -> bool:
        """Whether a result in force of a crew of ``category`` ends at ``stage``."""
        ending = self._fold.index.ending.get((category, stage), EMPTY)
        count = self._rows("results")
        if self._any_withdrawn():
            return any(row < count and not self.is_withdrawn(row) for row in ending.values())
        if count == len(self._fold.state.results):
            return bool(ending)
        return any(row < count for row in ending.values())

    def last_result_stage(self, category: str) -> int | None:
        """The last stage holding a result or an awarded time for ``category``."""
        for stage in reversed(self.stage_numbers()):
            if self.has_results(category, stage) or self.awarded(stage, category):
                return stage
        return None

    def result_row(self, entry: int, stage: int) -> int | None:
        """The row of entry row ``entry``'s result ending at ``stage``, if one is in force
        (recorded by then and not withdrawn)."""
        category = self._fold.index.category_of(entry)
        row = self._fold.index.ending.get((category, stage), EMPTY).get(entry)
        if row is None or row >= self._rows("results"):
            return None
        return None if self._any_withdrawn() and self.is_withdrawn(row) else row

    def latest_result(self, entry: int, *, after: int = -1) -> int | None:
        """The last stage after ``after`` one of entry row ``entry``'s results in force ends
        at (None: none after it)."""
        ending, category = self._fold.index.ending, self._fold.index.category_of(entry)
        for stage in reversed(self.stage_numbers()):
            if stage <= after:
                break
            held = entry in ending.get((category, stage), EMPTY)  # then: is it in force?
            if held and self.result_row(entry, stage) is not None:
                return stage
        return None

    # ------------------------------------------------------------------ penalties

    def penalty_state(self, row: int) -> PenaltyState:
        """An adjustment row as it stood (rescinded only if that was known then)."""
        fold = self._fold
        adjustments = fold.state.adjustments
        rescission = fold.index.rescinded.get(row)
        if rescission is not None and rescission >= self._rows("rescissions"):
            rescission = None
        rescissions = fold.state.rescissions
        return PenaltyState(
            event=adjustments.event[row],
            seq=adjustments.seq[row],
            rescinded_seq=None if rescission is None else rescissions.seq[rescission],
            rescinded_reason=None if rescission is None else rescissions.event[rescission].reason,
        )

    def penalty(self, penalty_id: str) -> PenaltyState | None:
        """A penalty by id."""
        row = self._fold.index.penalty_row.get(penalty_id)
        return None if row is None or row >= self._rows("adjustments") else self.penalty_state(row)

    def penalty_states(self) -> tuple[PenaltyState, ...]:
        """Every penalty, in log order."""
        return tuple(self.penalty_state(row) for row in range(self._rows("adjustments")))

    def penalties_at(self, category: str, stage: int) -> tuple[PenaltyState, ...]:
        """The penalties imposed on ``category``'s entries at ``stage``, in log order."""
        count = self._rows("adjustments")
        rows = self._fold.index.adjusted.get((category, stage), ())
        return tuple(self.penalty_state(row) for row in rows if row < count)

    def gc_penalties(
        self, category: str, stage: int, *, in_stage: bool = False
    ) -> Mapping[int, int]:
        """{entry row: sum of the penalties in force imposed at ``stage``} (``in_stage``: of
        those that count in the stage's ranking too), read only."""
        fold = self._fold
        key = (category, stage)
        if self._rows("adjustments") == len(fold.state.adjustments) and self._rows(
            "rescissions"
        ) == len(fold.state.rescissions):
            sums = (fold.index.stage_sum if in_stage else fold.index.gc_sum).get(key, EMPTY)
            return MappingProxyType(dict(sums)) if sums else EMPTY
        found: dict[int, int] = {}
        count = self._rows("adjustments")
        entries = fold.state.adjustments.entry
        for row in fold.index.adjusted.get(key, ()):
            if row >= count:
                break
            state = self.penalty_state(row)
            if state.in_force and (state.event.in_stage or not in_stage):
                entry = entries[row]
                found[entry] = found.get(entry, 0) + state.event.delta_ms
        return MappingProxyType(found)

    def penalty_sum(self, entry: int, stage: int, *, in_stage: bool = False) -> int:
        """The sum of entry row ``entry``'s penalties in force imposed at ``stage`` (``in_stage``:
        of those that count in the stage's ranking too)."""
        fold = self._fold
        key = (fold.index.category_of(entry), stage)
        if self._rows("adjustments") == len(fold.state.adjustments) and self._rows(
            "rescissions"
        ) == len(fold.state.rescissions):
            return (
                (fold.index.stage_sum if in_stage else fold.index.gc_sum)
                .get(key, EMPTY)
                .get(entry, 0)
            )
        return self.gc_penalties(key[0], stage, in_stage=in_stage).get(entry, 0)

    def stage_penalty(self, entry_id: str, stage: int) -> int:
        """The sum of an entry's penalties in force that count in ``stage``'s ranking."""
        return self.penalty_sum(self.entry_index(entry_id), stage, in_stage=True)

    def bonuses(self, entry: int) -> int | None:
        """The sum of entry row ``entry``'s net bonuses over stages (None: not known cheaply
        as of an earlier record)."""
        if self._rows("adjustments") != len(self._fold.state.adjustments):
            return None
        return self._fold.index.bonus.get(entry, 0)

    # ------------------------------------------------------------------ out of the rally

    def retirement(self, entry_id: str) -> RetirementState | None:
        """An entry's retirement or exclusion, if any."""
        entry = self._fold.index.entry_row.get(entry_id)
        return None if entry is None else self.retirement_of(entry)

    def retirement_of(self, entry: int) -> RetirementState | None:
        """The retirement of entry row ``entry``, if any."""
        row = self._fold.index.retired.get(entry)
        if row is None or row >= self._rows("retirements"):
            return None
        retirements = self._fold.state.retirements
        return RetirementState(retirements.event[row], retirements.seq[row])

    def retired_at(self, entry: int) -> int | None:
        """The stage entry row ``entry`` left the rally at."""
        state = self.retirement_of(entry)
        return None if state is None else state.event.stage

    def leaving(self, stage: int) -> tuple[int, ...]:
        """The entry rows that left the rally at ``stage``."""
        entries = self._fold.state.retirements.entry
        count = self._rows("retirements")
        return tuple(entries[row] for row in self._fold.index.leaving.get(stage, ()) if row < count)

    # ------------------------------------------------------------------ coverage

    def coverage(self, category: str, stage: int) -> FieldCoverageDeclared | None:
        """The coverage declaration in force at ``stage``: the latest at or before it."""
        count = self._rows("coverage")
        events = self._fold.state.coverage.event
        best: FieldCoverageDeclared | None = None
        for (c, declared), rows in self._fold.index.declared.items():
            known = [row for row in rows if row < count]
            if (
                c == category
                and declared <= stage
                and known
                and (best is None or declared > best.stage)
            ):
                best = events[known[-1]]
        return best

    # ------------------------------------------------------------------ splits

    def _split_current(self) -> bool:
        """Whether every split and amendment of splits is known to this view."""
        state = self._fold.state
        return self._rows("splits") == len(state.splits) and self._rows("split_amendments") == len(
            state.split_amendments
        )

    def split_time(self, split: int) -> int | None:
        """The time in force of split row ``split`` as of this view (None: not recorded by
        then, or withdrawn)."""
        fold = self._fold
        if split >= self._rows("splits"):
            return None
        time_ms, withdrawn = self._amended("split_amendments", split, fold.state.splits.time[split])
        return None if withdrawn else time_ms

    def waypoints(self, stage: int, category: str | None = None) -> tuple[int, ...]:
        """The waypoints of ``stage`` with a time in force (of a crew of ``category``), in
        order."""
        fold = self._fold
        members = None if category is None else set(self.members(category))
        plain = self._split_current() and not fold.index.splits_amended.withdrawn
        found = []
        for waypoint, rows in fold.index.at_waypoints(stage).items():
            if any(
                (members is None or entry in members)
                and (plain or self.split_time(row) is not None)
                for entry, row in rows.items()
            ):
                found.append(waypoint)
        return tuple(sorted(found))

    def split_times(self, stage: int, waypoint: int) -> dict[int, int]:
        """{entry row: elapsed time in force} at one waypoint of one stage (a copy; withdrawn
        splits left out)."""
        fold = self._fold
        rows = fold.index.at_waypoint(stage, waypoint)
        if self._split_current():
            amended = fold.index.splits_amended
            times, withdrawn = amended.times(fold.state.splits.time), amended.withdrawn
            if not withdrawn:
                return {entry: times[row] for entry, row in rows.items()}
            return {entry: times[row] for entry, row in rows.items() if row not in withdrawn}
        found = {}
        for entry, row in rows.items():
            time_ms = self.split_time(row)
            if time_ms is not None:
                found[entry] = time_ms
        return found

    def split_row(self, stage: int, waypoint: int, entry_id: str) -> int | None:
        """The row of an entry's split at one waypoint of one stage, withdrawn or not (a
        withdrawn split still holds its place: a correction gives it a time again)."""
        entry = self._fold.index.entry_row.get(entry_id)
        if entry is None:
            return None
        row = self._fold.index.at_waypoint(stage, waypoint).get(entry)
        return None if row is None or row >= self._rows("splits") else row

    def has_split(self, stage: int, waypoint: int, entry_id: str) -> bool:
        """Whether an entry has a split at one waypoint of one stage (withdrawn or not)."""
        return self.split_row(stage, waypoint, entry_id) is not None

    def split_state(self, split: int) -> SplitState:
        """A split row as an object: its time recorded, the corrections and withdrawals
        known then."""
        fold = self._fold
        splits = fold.state.splits
        corrections, withdrawals = self._amendments(
            fold.index.splits_amended.rows.get(split, ()),
            fold.state.split_amendments,
            "split_amendments",
        )
        return SplitState(
            entry_id=self.entry_at(splits.entry[split]).entry_id,
            stage=splits.stage[split],
            waypoint=splits.waypoint[split],
            recorded_ms=splits.time[split],
            seq=splits.seq[split],
            provenance=fold.state.provenances[splits.provenance[split]],
            corrections=corrections,
            withdrawals=withdrawals,
        )

    def splits_of(self, entry: int, stage: int) -> dict[int, int]:
        """{waypoint: split row} of entry row ``entry`` at ``stage`` (withdrawn or not)."""
        count = self._rows("splits")
        found = {}
        for waypoint, rows in self._fold.index.at_waypoints(stage).items():
            row = rows.get(entry)
            if row is not None and row < count:
                found[waypoint] = row
        return dict(sorted(found.items()))

    def stage_splits(self, stage: int) -> dict[int, dict[int, int]]:
        """{entry row: {waypoint: split row}} of every crew with a split at ``stage``
        (withdrawn or not; ``splits_of`` for all the crews at once)."""
        count = self._rows("splits")
        found: dict[int, dict[int, int]] = {}
        for waypoint, rows in self._fold.index.at_waypoints(stage).items():
            for entry, row in rows.items():
                if row < count:
                    found.setdefault(entry, {})[waypoint] = row
        return found

    def split_count(self, stage: int | None = None) -> int:
        """How many splits were recorded (at ``stage``, or in all)."""
        if stage is None:
            return self._rows("splits")
        count = self._rows("splits")
        return sum(
            sum(1 for row in rows.values() if row < count)
            for rows in self._fold.index.at_waypoints(stage).values()
        )


def _below(rows: Sequence[int], count: int) -> list[int]:
    """The rows (ascending) below ``count``."""
    return list(rows[: bisect.bisect_left(rows, count)])
