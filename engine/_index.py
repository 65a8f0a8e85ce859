"""What the fold derives from its tables of facts: indexes and running sums.

``Index`` is built from a ``FoldState`` (``Index(state)``: from a checkpoint, a prefix,
or after a rollback) by the same ``add_*`` methods that index a row the moment the
fold adds it, so the two ways cannot differ. Nothing here is state of its own: drop
it and build it again from the tables, and it is the same.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..events import (
    Provenance,
    ResultCorrected,
    ResultWithdrawn,
    StageKind,
    WaypointCorrected,
    WaypointWithdrawn,
)
from ._names import number_key
from ._state import FoldState

__all__ = ["EMPTY", "Amended", "Index"]

EMPTY: Mapping[int, int] = MappingProxyType({})
_EMPTY = EMPTY

_GROUPS: dict[str, tuple[str, ...]] = {
    "entries": ("category", "entry_row", "number_row", "members"),
    "stages": ("stage_row", "order"),
    "cancellations": ("cancelled",),
    "results": ("ending", "spanned", "results_amended"),
    "penalties": ("penalty_row", "rescinded", "adjusted", "gc_sum", "stage_sum", "bonus"),
    "retirements": ("retired", "leaving"),
    "coverage": ("declared",),
    "splits": ("_at_waypoint", "_waypoints", "_split_rows", "_indexed_to", "splits_amended"),
    "provenances": ("provenance_rows",),
}
"""The index's containers, by the kind of fact that changes them: a fork shares each group
with the index it was forked from until it adds a fact of that kind (``_own``)."""


_Amendment = ResultCorrected | ResultWithdrawn | WaypointCorrected | WaypointWithdrawn
"""An event that corrects or withdraws a result or a split."""


class Amended:
    """The amendments of one table's rows (the results' corrections and withdrawals, or the
    splits'): the last one wins."""

    __slots__ = ("now", "rows", "withdrawals", "withdrawn")

    def __init__(self) -> None:
        self.now: list[int] = []
        """Each row's time in force now (its last correction's, withdrawn or not), for the
        rows brought in so far: read through ``times``."""
        self.rows: dict[int, list[int]] = {}
        """row -> the rows of its amendments, in order."""
        self.withdrawn: dict[int, int] = {}
        """row -> the withdrawal in force now (its last amendment)."""
        self.withdrawals: list[int] = []
        """The amendments that are withdrawals, ascending."""

    def times(self, recorded: Sequence[int]) -> list[int]:
        """Each row's time in force now; ``recorded`` is the table's column of times as
        recorded, whose rows added since the last call are brought in first (a table of
        hundreds of thousands of splits costs nothing until its times are asked for)."""
        now = self.now
        if len(now) < len(recorded):
            now.extend(recorded[len(now) :])
        return now

    def add(self, target: int, row: int, event: _Amendment, recorded: Sequence[int]) -> None:
        """Amendment ``row`` (``event``) of row ``target`` of the table whose recorded times
        are ``recorded``: a correction, or a withdrawal."""
        self.rows.setdefault(target, []).append(row)
        if isinstance(event, ResultWithdrawn | WaypointWithdrawn):
            self.withdrawn[target] = row
            self.withdrawals.append(row)
        else:
            self.times(recorded)[target] = event.time_ms
            self.withdrawn.pop(target, None)

    def copy(self) -> Amended:
        """An independent copy."""
        other = Amended()
        other.now, other.withdrawn = list(self.now), dict(self.withdrawn)
        other.rows = {target: list(rows) for target, rows in self.rows.items()}
        other.withdrawals = list(self.withdrawals)
        return other


def _copied(value: Any) -> Any:
    """A container copied two levels deep (the index's dicts of dicts and of lists)."""
    if isinstance(value, Amended):
        return value.copy()
    if isinstance(value, dict):
        return {
            key: item.copy() if isinstance(item, dict | list | set) else item
            for key, item in value.items()
        }
    if isinstance(value, list):
        return list(value)
    return value


class Index:
    """The fold's indexes and sums, derived from its tables (read by ``View``)."""

    def __init__(self, state: FoldState) -> None:
        self.state = state
        self._shared: set[str] = set()
        """The groups of containers this index shares with the one it was forked from."""
        self.category: list[str] = []
        """The category of each entry row."""
        self.entry_row: dict[str, int] = {}
        self.number_row: dict[tuple[str, str], int] = {}
        self.members: dict[str, list[int]] = {}
        self.stage_row: dict[int, int] = {}
        self.order: list[int] = []
        self.ending: dict[tuple[str, int], dict[int, int]] = {}
        """(category, stage) -> {entry: result row} of each result ending at that stage."""
        self.spanned: dict[int, dict[int, int]] = {}
        """stage -> {entry: result row} of combined results covering it before their end."""
        self.results_amended = Amended()
        """The results' corrections and withdrawals (rows of ``Corrections``)."""
        self.last_result_stage = -1
        self.penalty_row: dict[str, int] = {}
        self.rescinded: dict[int, int] = {}
        self.adjusted: dict[tuple[str, int], list[int]] = {}
        """(category, stage) -> the adjustment rows imposed at that stage."""
        self.gc_sum: dict[tuple[str, int], dict[int, int]] = {}
        """(category, stage) -> {entry: sum of the adjustments in force imposed there}."""
        self.stage_sum: dict[tuple[str, int], dict[int, int]] = {}
        """(category, stage) -> {entry: sum of those that count in the stage ranking too}."""
        self.bonus: dict[int, int] = {}
        """entry -> the sum, over stages, of its net adjustments below zero (its bonuses)."""
        self.cancelled: dict[tuple[int, str], int] = {}
        self.retired: dict[int, int] = {}
        self.leaving: dict[int, list[int]] = {}
        """stage -> the retirement rows of the entries that left the rally at it."""
        self.declared: dict[tuple[str, int], list[int]] = {}
        self._at_waypoint: dict[tuple[int, int], dict[int, int]] = {}
        """(stage, waypoint) -> {entry: split row}, of the rows indexed so far."""
        self._waypoints: dict[int, set[int]] = {}
        """stage -> its waypoints in ``_at_waypoint``."""
        self._split_rows: dict[int, list[tuple[int, int]]] = {}
        """stage -> the ranges of split rows at it (start, stop), in order, of the first
        ``_grouped`` rows."""
        self._grouped = 0
        self._indexed_to: dict[int, int] = {}
        """stage -> the split row up to which its ranges are in ``_at_waypoint``."""
        self.splits_amended = Amended()
        """The splits' corrections and withdrawals (rows of ``SplitAmendments``)."""
        self.provenance_rows: dict[Provenance, int] = {}
        self.open: dict[int, frozenset[int]] = {}
        state = self.state
        for index, provenance in enumerate(state.provenances):
            self.provenance_rows.setdefault(provenance, index)
        for table in _REBUILT:
            self.added(table, 0)

    def added(self, table: str, start: int) -> None:
        """Index the rows of ``table`` from row ``start`` on (just added to it, or all of
        them when the index is built from the tables)."""
        bulk = _BULK.get(table)
        if bulk is not None:
            bulk(self, start)
            return
        one = _ONE_BY_ONE.get(table)
        if one is not None:
            for row in range(start, len(getattr(self.state, table))):
                one(self, row)

    def fork(self, state: FoldState) -> Index:
        """An index of ``state`` (a fork of this one's state) sharing every container with
        this one until one of the two adds a fact of that container's kind."""
        other = Index.__new__(Index)
        other.__dict__.update(self.__dict__)
        other.state = state
        other._shared = set(_GROUPS)
        other.open = {}
        self._shared = set(_GROUPS)  # this one copies before changing them too
        return other

    def _own(self, group: str) -> None:
        """Before a change to ``group``: this index's own copy of containers it shares."""
        if group in self._shared:
            for name in _GROUPS[group]:
                setattr(self, name, _copied(getattr(self, name)))
            self._shared.discard(group)

    def add_entry(self, row: int) -> None:
        self._own("entries")
        event = self.state.entries.event[row]
        self.category.append(event.category)
        self.entry_row[event.entry_id] = row
        if event.number is not None:  # the first entry registered with the number keeps it
            self.number_row.setdefault((event.category, number_key(event.number)), row)
        self.members.setdefault(event.category, []).append(row)
        self.open.clear()

    def add_stage(self, row: int) -> None:
        self._own("stages")
        number = self.state.stages.event[row].stage
        self.stage_row[number] = row
        bisect.insort(self.order, number)
        self.open.clear()

    def add_results(self, start: int) -> None:
        """Index the results from row ``start`` on (in bulk: runs of one stage at a time)."""
        self._own("results")
        results = self.state.results
        entries, firsts, stages = results.entry, results.first, results.stage
        category = self.category
        end = len(stages)
        row = start
        while row < end:
            stage = stages[row]
            stop = row + 1
            while stop < end and stages[stop] == stage:
                stop += 1
            run = entries[row:stop]
            kinds = {category[entry] for entry in run}
            if len(kinds) == 1:
                self.ending.setdefault((kinds.pop(), stage), {}).update(
                    zip(run, range(row, stop), strict=True)
                )
            else:
                for offset, entry in enumerate(run, row):
                    self.ending.setdefault((category[entry], stage), {})[entry] = offset
            self.last_result_stage = max(self.last_result_stage, stage)
            row = stop
        for row in range(start, end):
            if firsts[row] != stages[row]:
                self.add_span(row)

    def add_span(self, row: int) -> None:
        """A combined result stands for the counted stages of its span that had no result of
        their own when it was recorded (none can be added, cancelled or scheduled inside a
        span later: the rules refuse it), so they are found again the same way."""
        results = self.state.results
        entry, first, last = results.entry[row], results.first[row], results.stage[row]
        category = self.category_of(entry)
        low, high = bisect.bisect_left(self.order, first), bisect.bisect_left(self.order, last)
        for stage in self.order[low:high]:
            row_of_stage = self.stage_row[stage]
            counted = self.state.stages.event[row_of_stage].kind_for(category) is StageKind.SPECIAL
            if (
                counted
                and (stage, category) not in self.cancelled
                and entry not in self.ending.get((category, stage), _EMPTY)
            ):
                self.spanned.setdefault(stage, {})[entry] = row

    def add_correction(self, row: int) -> None:
        """A correction or a withdrawal of a result: the last one wins."""
        self._own("results")
        table = self.state.corrections
        self.results_amended.add(table.result[row], row, table.event[row], self.state.results.time)

    def add_adjustment(self, row: int) -> None:
        self._own("penalties")
        adjustments = self.state.adjustments
        event, entry = adjustments.event[row], adjustments.entry[row]
        key = (self.category_of(entry), event.stage)
        self.penalty_row[event.adjustment_id] = row
        self.adjusted.setdefault(key, []).append(row)
        self._sum(key, entry, event.delta_ms, event.in_stage)

    def _sum(self, key: tuple[str, int], entry: int, amount: int, in_stage: bool) -> None:
        sums = self.gc_sum.setdefault(key, {})
        old = sums.get(entry, 0)
        sums[entry] = old + amount
        change = min(0, old + amount) - min(0, old)
        if change:
            self.bonus[entry] = self.bonus.get(entry, 0) + change
        if in_stage:
            stage_sums = self.stage_sum.setdefault(key, {})
            stage_sums[entry] = stage_sums.get(entry, 0) + amount

    def add_rescission(self, row: int) -> None:
        self._own("penalties")
        adjustment = self.state.rescissions.adjustment[row]
        self.rescinded[adjustment] = row
        adjustments = self.state.adjustments
        event, entry = adjustments.event[adjustment], adjustments.entry[adjustment]
        key = (self.category_of(entry), event.stage)
        self._sum(key, entry, -event.delta_ms, event.in_stage)

    def add_cancellation(self, row: int) -> None:
        self._own("cancellations")
        event = self.state.cancellations.event[row]
        for category in event.categories:
            self.cancelled[(event.stage, category)] = row
        self.open.clear()

    def add_retirement(self, row: int) -> None:
        self._own("retirements")
        retirements = self.state.retirements
        self.retired[retirements.entry[row]] = row
        self.leaving.setdefault(retirements.event[row].stage, []).append(row)

    def add_coverage(self, row: int) -> None:
        self._own("coverage")
        event = self.state.coverage.event[row]
        self.declared.setdefault((event.category, event.stage), []).append(row)

    def _group_splits(self) -> None:
        """Bring the ranges of split rows of each stage up to the splits table's length.

        Splits are indexed on the first question about their stage, never as they are
        added: a fold restored from a checkpoint, or a live one taking splits in, pays
        nothing for the hundreds of thousands of splits a rally holds until it is asked
        about them, and then only for the stage asked about (``_index_stage``)."""
        stages = self.state.splits.stage
        if self._grouped == len(stages):
            return
        self._own("splits")
        row = self._grouped
        for stage, run in itertools.groupby(stages[row:]):
            stop = row + len(list(run))
            ranges = self._split_rows.setdefault(stage, [])
            if ranges and ranges[-1][1] == row:  # one after another: one range
                ranges[-1] = (ranges[-1][0], stop)
            else:
                ranges.append((row, stop))
            row = stop
        self._grouped = row

    def _index_stage(self, stage: int) -> None:
        """Place the splits of ``stage`` not yet placed at their waypoints."""
        self._group_splits()
        ranges = self._split_rows.get(stage, ())
        done = self._indexed_to.get(stage, -1)
        if not ranges or ranges[-1][1] <= done:
            return
        self._own("splits")
        splits = self.state.splits
        waypoints, entries = splits.waypoint, splits.entry
        found = self._waypoints.setdefault(stage, set())
        for first, stop in self._split_rows[stage]:
            row = max(first, done)
            if row >= stop:
                continue
            for waypoint, run in itertools.groupby(waypoints[row:stop]):
                end = row + len(list(run))
                self._at_waypoint.setdefault((stage, waypoint), {}).update(
                    zip(entries[row:end], range(row, end), strict=True)
                )
                found.add(waypoint)
                row = end
        self._indexed_to[stage] = ranges[-1][1]

    def at_waypoint(self, stage: int, waypoint: int) -> Mapping[int, int]:
        """{entry: split row} at one waypoint of ``stage`` (the index's own, not to be
        changed)."""
        self._index_stage(stage)
        return self._at_waypoint.get((stage, waypoint), _EMPTY)

    def at_waypoints(self, stage: int) -> dict[int, Mapping[int, int]]:
        """{waypoint: {entry: split row}} of ``stage``, waypoints in order (a new dict; the
        inner ones are the index's own, not to be changed)."""
        self._index_stage(stage)
        at = self._at_waypoint
        return {
            waypoint: at[stage, waypoint] for waypoint in sorted(self._waypoints.get(stage, ()))
        }

    def add_split_amendment(self, row: int) -> None:
        """A correction or a withdrawal of a split: the last one wins."""
        self._own("splits")
        table = self.state.split_amendments
        self.splits_amended.add(table.split[row], row, table.event[row], self.state.splits.time)

    def category_of(self, entry: int) -> str:
        """The category of entry row ``entry``."""
        return self.category[entry]

    def provenance_row(self, provenance: Provenance) -> int:
        """The row of ``provenance`` in the provenance table (added if new)."""
        row = self.provenance_rows.get(provenance)
        if row is None:
            self._own("provenances")
            row = self.provenance_rows[provenance] = len(self.state.provenances)
            self.state.writable_provenances().append(provenance)
        return row

    # ------------------------------------------------------------------ for the bulk checks

    def open_at(self, stage: int) -> frozenset[int]:
        """Entries whose category runs ``stage`` now (timed, not cancelled), out or not."""
        allowed = self.open.get(stage)
        if allowed is None:
            row = self.stage_row.get(stage)
            declarations = self.state.declarations.event
            allowed = frozenset()
            if row is not None and declarations:
                scheduled = self.state.stages.event[row]
                for category in declarations[0].categories:
                    if (
                        scheduled.kind_for(category) is not StageKind.LIAISON
                        and (stage, category) not in self.cancelled
                    ):
                        allowed = allowed.union(self.members.get(category, ()))
            self.open[stage] = allowed
        return allowed

    def retired_before(self, stage: int, entries: Iterable[int]) -> bool:
        """Whether any of ``entries`` is out of the rally at or before ``stage``."""
        retired = self.retired
        if retired.keys().isdisjoint(entries):
            return False
        stages = self.state.retirements.event
        return any(stages[retired[entry]].stage <= stage for entry in entries if entry in retired)

    def entry_rows(self, entry_ids: Sequence[object]) -> list[int] | None:
        """The rows of a column of entry ids (None if one is unknown)."""
        rows = self.entry_row
        try:
            return [rows[entry_id] for entry_id in entry_ids]  # type: ignore[index]
        except (KeyError, TypeError):
            return None

    def has_result(self, category: str, stage: int, entries: Iterable[int]) -> bool:
        """Whether any of ``entries`` has a result covering ``stage`` already."""
        own = self.ending.get((category, stage), _EMPTY)
        spanned = self.spanned.get(stage, _EMPTY)
        return not (own.keys().isdisjoint(entries) and spanned.keys().isdisjoint(entries))

    def has_split(self, stage: int, waypoint: int, entries: Iterable[int]) -> bool:
        """Whether any of ``entries`` has a time at that waypoint already."""
        return not self.at_waypoint(stage, waypoint).keys().isdisjoint(entries)


_BULK: dict[str, Callable[[Index, int], None]] = {
    "results": Index.add_results,
}
"""The tables indexed in runs (from a first row on). The splits are indexed on the first
question about their stage (``Index._group_splits``)."""
_ONE_BY_ONE: dict[str, Callable[[Index, int], None]] = {
    "entries": Index.add_entry,
    "stages": Index.add_stage,
    "cancellations": Index.add_cancellation,
    "corrections": Index.add_correction,
    "adjustments": Index.add_adjustment,
    "rescissions": Index.add_rescission,
    "retirements": Index.add_retirement,
    "coverage": Index.add_coverage,
    "split_amendments": Index.add_split_amendment,
}
"""The tables indexed row by row (the rally declaration is not indexed)."""
_REBUILT = tuple(dict.fromkeys(("entries", "stages", "cancellations", *FoldState.TABLES)))
"""The order an index is built from the tables in: the state's, but the entries, the stages
and which stages are cancelled first (the results' index reads them)."""
