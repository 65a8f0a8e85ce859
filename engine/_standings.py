"""Standings: the general classification after a stage, and a stage's ranking.

The rules (docs/standings.md says them for readers):

* Cumulative time = the results of every counted stage up to N, plus the
  penalties in force at stages up to N, plus the time awarded for stages
  cancelled up to N. Prologues and liaisons do not count; a cancelled stage
  counts only through its awarded time.
* An entry is classified after N only if a result covers every counted stage
  up to N (a combined time over stages a..b covers them once stage b is
  reached) and it has not left the rally at or before N.
* Ties share a position (1, 1, 3). Within a tie, rows are ordered by race
  number (numerically where it is a number), then by registration order.
* Coverage: where the log declares that it holds only the first *k* rows of a
  classification, positions beyond *k* are marked uncertain.

``Accumulator`` is the one place these sums are made: it walks a category's
stages in order, adding what falls on each, and it is what the one-stage
query, the every-stage replay and the live cache all use; ``components`` lists
the same parts one by one, for explanations. A ``Standings`` holds its
classification as one sorted list of integer keys (time, then tie-break rank)
and builds its rows only when they are read.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import attrs

from ..events import (
    EntryRegistered,
    Person,
    Provenance,
    QueryError,
    StageKind,
)
from ._fold import Fold, ResultState

__all__ = [
    "Accumulator",
    "CombinedResult",
    "Component",
    "Ranking",
    "Row",
    "StageResult",
    "StageRow",
    "Standings",
    "Status",
    "Unclassified",
    "classes",
    "components",
    "compute_stage_result",
    "gc_stages",
    "last_stage_with_results",
    "replay_standings",
    "require_class",
    "require_waypoint",
    "shared_positions",
    "standings_after",
    "standings_at_waypoint",
    "waypoint_result",
]

ComponentKind = Literal["result", "penalty", "awarded"]

Status = Literal["retired", "excluded", "no-result", "not-documented", "not-yet"]
"""Why an entry is not classified: out of the rally (``retired``, ``excluded``), or its
time is missing: ``no-result`` where the log holds the whole field, ``not-documented``
where the log's coverage says its source prints only part of the field; at a waypoint,
``not-yet``: still running and not yet through it."""


@attrs.frozen
class Component:
    """One part of an entry's cumulative time, and where it comes from."""

    kind: ComponentKind
    stage: int
    time_ms: int
    seq: int
    note: str
    provenance: Provenance
    first_stage: int | None = None
    penalty_id: str | None = None
    recorded_ms: int | None = None
    """For a corrected result: the time first recorded."""


@attrs.frozen
class _Ranked:
    """An entry in a ranking: its position (and whether the data vouch for it), crew, time
    and gap to the first; the fields ``Row`` and ``StageRow`` begin with."""

    position: int
    position_certain: bool
    entry_id: str
    number: str | None
    crew: tuple[Person, ...]
    make: str | None
    time_ms: int
    gap_ms: int | None

    @property
    def position_text(self) -> str:
        """``"3"``, or ``"≥4"`` where the data cannot vouch for the position."""
        return str(self.position) if self.position_certain else f"≥{self.position}"


@attrs.frozen
class Row(_Ranked):
    """One classified entry."""

    entry_class: str | None = None
    """The entry's class within its category, if it has one."""
    class_position: int | None = None
    """Its position among the rows of its class (ties shared), if it has a class."""
    fold: Fold | None = attrs.field(default=None, eq=False, repr=False)
    after: int = attrs.field(default=0, eq=False, repr=False)

    @property
    def components(self) -> tuple[Component, ...]:
        """What the time is made of: results, penalties, awarded times, in stage order."""
        if self.fold is None:
            return ()
        return components(self.fold, self.entry_id, self.after)


@attrs.frozen
class Unclassified:
    """An entry that is not classified, and why."""

    entry_id: str
    number: str | None
    crew: tuple[Person, ...]
    make: str | None
    reason: str
    status: Status = "no-result"
    stage: int | None = None
    """The stage it concerns: where the entry left the rally, or the first counted stage
    without a time (for a combined time not yet complete: where that time begins)."""
    known_after: int | None = None
    """For a combined time not yet complete: the stage it ends at (its time is known then)."""
    entry_class: str | None = None
    """The entry's class within its category, if it has one."""


_Why = tuple[Status, str, int | None, int | None]
"""Why an entry is not classified: status, reason, stage, known_after (``Unclassified``)."""


def _unclassified(
    entry: EntryRegistered,
    status: Status,
    reason: str,
    stage: int | None = None,
    known_after: int | None = None,
) -> Unclassified:
    return Unclassified(
        entry_id=entry.entry_id,
        number=entry.number,
        crew=entry.crew,
        make=entry.make,
        reason=reason,
        status=status,
        stage=stage,
        known_after=known_after,
        entry_class=entry.entry_class,
    )


class _ClassPositions:
    """Positions within each class, given the rows of a classification in order."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, int, int]] = {}
        """class -> (rows so far, last time, last position)."""

    def next(self, entry_class: str | None, time_ms: int) -> int | None:
        """The class position of the next row (ties share one), None without a class."""
        if entry_class is None:
            return None
        count, last_time, last_position = self._seen.get(entry_class, (0, 0, 0))
        position = last_position if count and time_ms == last_time else count + 1
        self._seen[entry_class] = (count + 1, time_ms, position)
        return position


# ---------------------------------------------------------------------- the ranking


@attrs.frozen
class Ranking:
    """The order of one category: its entries by (time, race number, registration).

    ``rank`` maps an entry index to its tie-break rank (0 first) and ``by_rank``
    back; a classified entry's key is ``time * width + rank``, so sorting keys
    sorts by time, then tie-break, in one comparison of integers.
    """

    members: tuple[int, ...]
    rank: dict[int, int]
    by_rank: tuple[int, ...]
    _shared: dict[tuple[int, _Why], Unclassified] = attrs.field(
        factory=dict, eq=False, repr=False, alias="_shared"
    )
    """One ``Unclassified`` per entry and reason, shared by every stage's standings (a
    crew retired at stage 3 is not classified after each of the 197 stages that follow)."""
    _ids: list[str] = attrs.field(factory=list, eq=False, repr=False, alias="_ids")

    def entry_ids(self, fold: Fold) -> list[str]:
        """The entry id of each rank (made once: a registered entry's id never changes)."""
        if len(self._ids) != len(self.by_rank):
            self._ids[:] = [fold.entry_at(index).entry_id for index in self.by_rank]
        return self._ids

    def unclassified(self, fold: Fold, index: int, after: int) -> Unclassified:
        """Why entry ``index`` is not classified after stage ``after``, as one shared object."""
        why = _why_not_classified(fold, fold.entry_at(index), after)
        shared = self._shared.get((index, why))
        if shared is None:
            shared = self._shared[index, why] = _unclassified(fold.entry_at(index), *why)
        return shared

    @property
    def width(self) -> int:
        """The multiplier of a time in a key (one more than the last rank)."""
        return max(1, len(self.by_rank))

    @classmethod
    def of(cls, fold: Fold, category: str) -> Ranking:
        """The tie-break order of ``category``'s entries as registered now."""
        members = tuple(
            index for index in range(fold.entry_count) if fold.entry_at(index).category == category
        )
        ordered = sorted(members, key=lambda i: (_number_key(fold.entry_at(i)), i))
        return cls(members, {index: rank for rank, index in enumerate(ordered)}, tuple(ordered))


def _number_key(entry: EntryRegistered) -> tuple[int, int, str]:
    """Race numbers in numeric order where they are numbers, then other numbers, then none."""
    if entry.number is None:
        return (2, 0, "")
    if entry.number.isascii() and entry.number.isdigit():
        return (0, int(entry.number), entry.number)
    return (1, 0, entry.number)


def shared_positions(ordered: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int, int]]:
    """(entry, time, position) for each (entry, time) in classification order: equal times
    share the position of the first of them (1, 1, 3)."""
    previous = None
    position = 0
    for index, (entry, time_ms) in enumerate(ordered):
        if time_ms != previous:
            position = index + 1
        previous = time_ms
        yield entry, time_ms, position


class Accumulator:
    """A category's running sums through its stages, in order: the standings arithmetic.

    After ``advance(stage)`` for every scheduled stage up to N in order, an
    entry's ``total`` is the sum of its results at counted stages up to N and of
    its penalties in force up to N (``awards`` adds to every entry alike), and
    it is classified after N exactly when ``cover`` equals the number of
    counted stages so far and it has not left the rally.
    """

    def __init__(self, fold: Fold, category: str, ranking: Ranking) -> None:
        self.fold = fold
        self.category = category
        self.ranking = ranking
        self.total: dict[int, int] = dict.fromkeys(ranking.members, 0)
        self.cover: dict[int, int] = dict.fromkeys(ranking.members, 0)
        self.counted = 0
        self.awards = 0
        self.classified: set[int] = set(ranking.members)
        self.stage: int | None = None
        """The last stage advanced through."""
        self._leaving = fold.leaving()
        self._times, self._covers = fold.result_columns()

    def advance(self, stage: int) -> None:
        """Add what falls on ``stage`` (the next scheduled stage)."""
        fold, category = self.fold, self.category
        total, cover = self.total, self.cover
        if fold.counts(stage, category):
            self.counted += 1
            needed = self.counted
            times, covers = self._times, self._covers
            ending = fold.results_ending(category, stage)
            for entry, result in ending.items():
                covered = covers[result]
                if covered:
                    total[entry] += times[result]
                    cover[entry] += covered
            self.classified = {entry for entry in ending if cover[entry] == needed}
        for entry, amount in fold.gc_penalties(category, stage).items():
            total[entry] += amount
        self.awards += fold.awarded(stage, category)
        leaving = self._leaving.get(stage)
        if leaving and self.classified:
            self.classified.difference_update(leaving)
        self.stage = stage

    def keys(self) -> list[int]:
        """The classified entries' keys, sorted: the classification after ``stage``."""
        width, rank, total = self.ranking.width, self.ranking.rank, self.total
        return sorted([total[entry] * width + rank[entry] for entry in self.classified])

    def apply(self, entry: int, delta: int, cover: int) -> None:
        """A time added to one entry at the current stage (a live update)."""
        self.total[entry] += delta
        if cover:
            self.cover[entry] += cover
            out = self.fold.retired_at(entry)
            if self.cover[entry] == self.counted and (
                out is None or self.stage is None or out > self.stage
            ):
                self.classified.add(entry)


def gc_stages(fold: Fold, category: str) -> list[int]:
    """The stages after which a GC exists: from the first that counts or awards time on."""
    stages = fold.stage_numbers()
    for index, stage in enumerate(stages):
        if fold.counts(stage, category) or fold.awarded(stage, category):
            return list(stages[index:])
    return []


def last_stage_with_results(fold: Fold, category: str) -> int | None:
    """The last stage holding a result or an awarded time for ``category``."""
    return fold.last_result_stage(category)


def _require_category(fold: Fold, category: str) -> None:
    if fold.rally is None:
        raise QueryError(
            "the log declares no rally yet",
            where="category query",
            expected="a rally-declared event",
            received="none",
        )
    if category not in fold.rally.categories:
        raise QueryError(
            "unknown category",
            where=fold.rally.rally_id,
            expected="one of " + ", ".join(fold.rally.categories),
            received=category,
        )


def _require_stage(fold: Fold, stage: int) -> None:
    if fold.stage(stage) is None:
        known = ", ".join(map(str, fold.stage_numbers())) or "none"
        raise QueryError(
            "unknown stage",
            where="stage query",
            expected=f"a scheduled stage ({known})",
            received=stage,
        )


def require_gc_stage(fold: Fold, category: str, after: int) -> None:
    """Refuse, before any work, a GC question the log cannot answer."""
    _require_category(fold, category)
    _require_stage(fold, after)
    if after not in gc_stages(fold, category):
        scheduled = fold.stage(after)
        assert scheduled is not None
        raise QueryError(
            "no stage counts toward the general classification yet",
            where=f"{category}",
            expected="a stage at or after the first counted one",
            received=f"stage {after} ({scheduled.kind_for(category)})",
        )


def classes(fold: Fold, category: str) -> tuple[str, ...]:
    """The classes the entries of ``category`` carry, in order of first registration."""
    found: dict[str, None] = {}
    for entry in fold.entries(category):
        if entry.entry_class is not None:
            found.setdefault(entry.entry_class)
    return tuple(found)


def require_class(fold: Fold, category: str, entry_class: str) -> None:
    """Refuse a class no entry of ``category`` carries."""
    known = classes(fold, category)
    if entry_class not in known:
        raise QueryError(
            "unknown class",
            where=category,
            expected="one of " + ", ".join(known)
            if known
            else f"a class (no entry of {category} has one)",
            received=entry_class,
        )


def require_waypoint(fold: Fold, category: str, stage: int, waypoint: int) -> None:
    """Refuse, before any work, a question about a waypoint with no time recorded."""
    _require_category(fold, category)
    _require_stage(fold, stage)
    scheduled = fold.stage(stage)
    assert scheduled is not None
    cancelled = fold.is_cancelled(stage, category)
    if scheduled.kind_for(category) is StageKind.LIAISON or cancelled:
        raise QueryError(
            "no waypoints on this stage",
            where=category,
            expected="a timed stage that was run",
            received=f"stage {stage} ({'cancelled' if cancelled else 'liaison'})",
        )
    known = ", ".join(map(str, fold.waypoints(stage))) or "none yet"
    if waypoint not in fold.waypoints(stage):
        raise QueryError(
            "unknown waypoint",
            where=f"stage {stage}",
            expected=f"a waypoint with a recorded time ({known})",
            received=waypoint,
        )


# ---------------------------------------------------------------------- standings


def _known(fold: Fold, category: str, stage: int, field: Literal["stage", "gc"]) -> int | None:
    declaration = fold.coverage(category, stage)
    if declaration is None:
        return None
    return declaration.stage_known if field == "stage" else declaration.gc_known


class Standings:
    """The general classification of one category after one stage.

    Built from a sorted list of keys; ``rows`` and ``unclassified`` are made
    the first time they are read. Two standings are equal when they say the
    same (same rally, category, stage, as-of, rows and unclassified entries).

    ``entry_class``: only the rows of that class, ranked 1…n with gaps to the
    class leader (``of_class``). ``waypoint``: the virtual classification at
    waypoint K of stage ``after_stage`` (``standings_at_waypoint``); the crews
    still running without a time there are ``not_at_waypoint``.
    """

    __slots__ = (
        "_all_keys",
        "_awards",
        "_fold",
        "_keys",
        "_pending",
        "_ranking",
        "_rows",
        "_unclassified",
        "after_stage",
        "as_of",
        "category",
        "entry_class",
        "known_rows",
        "rally",
        "rally_id",
        "waypoint",
    )

    def __init__(
        self,
        fold: Fold,
        category: str,
        after: int,
        keys: Sequence[int],
        awards: int,
        ranking: Ranking,
        *,
        as_of: int | None = None,
        entry_class: str | None = None,
        waypoint: int | None = None,
        pending: dict[int, Unclassified] | None = None,
        all_keys: Sequence[int] | None = None,
    ) -> None:
        assert fold.rally is not None
        self.rally_id = fold.rally.rally_id
        self.rally = fold.rally.name
        self.category = category
        self.after_stage = after
        self.as_of = as_of
        self.entry_class = entry_class
        self.waypoint = waypoint
        self.known_rows = None if waypoint is not None else _known(fold, category, after, "gc")
        self._fold = fold
        self._keys = keys
        self._all_keys = keys if all_keys is None else all_keys
        self._awards = awards
        self._ranking = ranking
        self._pending: dict[int, Unclassified] = pending or {}
        self._rows: tuple[Row, ...] | None = None
        self._unclassified: tuple[Unclassified, ...] | None = None

    @property
    def size(self) -> int:
        """How many entries are classified."""
        return len(self._keys)

    def ordered(self) -> Iterator[tuple[int, int]]:
        """(entry index, time) of each classified entry, in classification order."""
        width, by_rank, awards = self._ranking.width, self._ranking.by_rank, self._awards
        for key in self._keys:
            total, rank = divmod(key, width)
            yield by_rank[rank], total + awards

    def positions(self) -> list[tuple[str, int, int, bool]]:
        """The classification as plain tuples: (entry id, time, position, position certain).

        The same figures as ``rows``, without building a row object per entry
        (for analysis, export and comparisons over many stages): one pass over the
        keys, equal times sharing a position as ``shared_positions`` says.
        """
        width, awards, known = self._ranking.width, self._awards, self.known_rows
        ids = self._ranking.entry_ids(self._fold)
        out: list[tuple[str, int, int, bool]] = []
        previous, position = None, 0
        for index, key in enumerate(self._keys, 1):
            total, rank = divmod(key, width)
            if total != previous:
                previous, position = total, index
            out.append((ids[rank], total + awards, position, known is None or position <= known))
        return out

    def _overall(self, key: int) -> int:
        """The position in the whole category of the row with ``key`` (ties shared)."""
        width = self._ranking.width
        return bisect.bisect_left(self._all_keys, key // width * width) + 1

    def iter_rows(self) -> Iterator[Row]:
        """The classified entries, in order, built one by one and not kept (for streaming)."""
        if self._rows is not None:
            yield from self._rows
            return
        fold, known, after = self._fold, self.known_rows, self.after_stage
        filtered = self._keys is not self._all_keys
        classes = _ClassPositions()
        leader = previous = 0
        position = 0
        for index, (entry_index, time_ms) in enumerate(self.ordered()):
            if index == 0:
                leader = time_ms
            if index == 0 or time_ms != previous:
                position = index + 1
            previous = time_ms
            entry = fold.entry_at(entry_index)
            overall = self._overall(self._keys[index]) if filtered else position
            yield Row(
                position=position,
                position_certain=known is None or overall <= known,
                entry_id=entry.entry_id,
                number=entry.number,
                crew=entry.crew,
                make=entry.make,
                time_ms=time_ms,
                gap_ms=None if index == 0 else time_ms - leader,
                entry_class=entry.entry_class,
                class_position=classes.next(entry.entry_class, time_ms),
                fold=fold,
                after=after,
            )

    @property
    def rows(self) -> tuple[Row, ...]:
        """The classified entries, in order, with positions and gaps (built once, kept)."""
        if self._rows is None:
            self._rows = tuple(self.iter_rows())
        return self._rows

    def _members(self) -> list[int]:
        """The category's entries (of the class, if one is chosen), in registration order."""
        if self.entry_class is None:
            return list(self._ranking.members)
        fold = self._fold
        return [
            i for i in self._ranking.members if fold.entry_at(i).entry_class == self.entry_class
        ]

    @property
    def unclassified(self) -> tuple[Unclassified, ...]:
        """The entries that are not classified, in registration order, each with why."""
        if self._unclassified is None:
            classified = {entry for entry, _ in self.ordered()}
            fold = self._fold
            unclassified = self._ranking.unclassified
            self._unclassified = tuple(
                unclassified(fold, index, self.after_stage)
                for index in self._members()
                if index not in classified and index not in self._pending
            )
        return self._unclassified

    @property
    def not_at_waypoint(self) -> tuple[Unclassified, ...]:
        """At a waypoint: the crews still running without a time there (``not-yet``), or with
        a later one only (``no-result``: they missed it), in registration order."""
        return tuple(self._pending[index] for index in self._members() if index in self._pending)

    @property
    def leader(self) -> Row | None:
        """The first row, if any entry is classified (built alone if the rows are not)."""
        if not self._keys:
            return None
        if self._rows is not None:
            return self._rows[0]
        return next(self.iter_rows())

    def leaders(self) -> tuple[Row, ...]:
        """The rows sharing first place (one, or several tied), built without the rest."""
        return tuple(itertools.takewhile(lambda row: row.position == 1, self.iter_rows()))

    def runner_up(self) -> Row | None:
        """The second row, if two entries are classified (built without the rest)."""
        return next(itertools.islice(self.iter_rows(), 1, 2), None)

    def row_for(self, number_or_id: str) -> Row | None:
        """The row of an entry by race number or entry id, if classified."""
        for row in self.rows:
            if number_or_id in (row.number, row.entry_id):
                return row
        return None

    def of_class(self, entry_class: str | None) -> Standings:
        """The same classification, only the rows of ``entry_class``: positions 1…n within
        it and gaps to its leader (``None``: the whole category, as it is)."""
        if entry_class is None:
            return self
        require_class(self._fold, self.category, entry_class)
        fold, width, by_rank = self._fold, self._ranking.width, self._ranking.by_rank
        keys = [
            key
            for key in self._all_keys
            if fold.entry_at(by_rank[key % width]).entry_class == entry_class
        ]
        return self._derived(keys=keys, entry_class=entry_class)

    def _derived(
        self,
        *,
        keys: Sequence[int] | None = None,
        entry_class: str | None = None,
        as_of: int | None = None,
    ) -> Standings:
        return Standings(
            self._fold,
            self.category,
            self.after_stage,
            self._keys if keys is None else keys,
            self._awards,
            self._ranking,
            as_of=self.as_of if as_of is None else as_of,
            entry_class=self.entry_class if entry_class is None else entry_class,
            waypoint=self.waypoint,
            pending=self._pending,
            all_keys=self._all_keys,
        )

    def _identity(self) -> tuple[object, ...]:
        return (
            self.rally_id,
            self.rally,
            self.category,
            self.after_stage,
            self.as_of,
            self.known_rows,
            self.entry_class,
            self.waypoint,
            self.rows,
            self.unclassified,
            self.not_at_waypoint,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Standings):
            return NotImplemented
        return self._identity() == other._identity()

    __hash__ = None  # type: ignore[assignment]

    def with_as_of(self, as_of: int | None) -> Standings:
        """The same standings, labelled as known at ``as_of``."""
        derived = self._derived()
        derived.as_of = as_of
        return derived

    def __repr__(self) -> str:
        at = "" if self.waypoint is None else f", waypoint={self.waypoint}"
        of = "" if self.entry_class is None else f", class={self.entry_class!r}"
        return (
            f"Standings({self.rally_id!r}, {self.category!r}, after={self.after_stage}{at}{of}, "
            f"classified={self.size})"
        )


def not_classified(fold: Fold, entry: EntryRegistered, after: int) -> Unclassified:
    """Why ``entry`` is not classified after stage ``after``."""
    return _unclassified(entry, *_why_not_classified(fold, entry, after))


def _why_not_classified(fold: Fold, entry: EntryRegistered, after: int) -> _Why:
    retired = fold.retirement(entry.entry_id)
    if retired is not None and retired.event.stage <= after:
        how: Status = "excluded" if retired.event.excluded else "retired"
        stage = retired.event.stage
        return how, f"{how} at stage {stage}: {retired.event.reason}", stage, None
    for stage in fold.counted_stages(entry.category, min(fold.stage_numbers()), after):
        missing: Status = "not-documented" if _partial(fold, entry.category, stage) else "no-result"
        result = fold.covering(entry.entry_id, stage)
        if result is None:
            return missing, f"no result for stage {stage}", stage, None
        first, last = fold.result_span(result)
        if last > after:
            return (
                missing,
                f"combined time for stages {first}-{last} known only after stage {last}",
                first,
                last,
            )
    return "no-result", "not classified", None, None  # pragma: no cover - by rule


def _partial(fold: Fold, category: str, stage: int) -> bool:
    """Whether the log's coverage says its source prints only part of the field at ``stage``."""
    declaration = fold.coverage(category, stage)
    return declaration is not None and (
        declaration.stage_known is not None or declaration.gc_known is not None
    )


def standings_after(
    fold: Fold, category: str, after: int, *, as_of: int | None = None
) -> Standings:
    """The GC of ``category`` after stage ``after``: only the stages up to it are summed."""
    require_gc_stage(fold, category, after)
    ranking = Ranking.of(fold, category)
    accumulator = Accumulator(fold, category, ranking)
    for stage in fold.stage_numbers():
        accumulator.advance(stage)
        if stage == after:
            break
    return Standings(
        fold, category, after, accumulator.keys(), accumulator.awards, ranking, as_of=as_of
    )


def replay_standings(
    fold: Fold, category: str, *, as_of: int | None = None, only: int | None = None
) -> dict[int, Standings]:
    """The GC after every stage of ``category`` in one pass, keyed by stage."""
    _require_category(fold, category)
    gc = set(gc_stages(fold, category))
    ranking = Ranking.of(fold, category)
    accumulator = Accumulator(fold, category, ranking)
    out: dict[int, Standings] = {}
    for stage in fold.stage_numbers():
        if only is not None and stage > only:
            break
        accumulator.advance(stage)
        if stage in gc and (only is None or stage == only):
            out[stage] = Standings(
                fold,
                category,
                stage,
                accumulator.keys(),
                accumulator.awards,
                ranking,
                as_of=as_of,
            )
    return out


def components(fold: Fold, entry_id: str, after: int) -> tuple[Component, ...]:
    """The parts of an entry's cumulative time after ``after``, by stage then log order.

    The same parts ``Accumulator`` sums: results ending at counted stages up to
    ``after``, the penalties in force imposed at stages up to it, and the times
    awarded for stages cancelled up to it.
    """
    entry = fold.entry(entry_id)
    assert entry is not None
    category = entry.category
    parts: list[Component] = []
    for stage in fold.stage_numbers():
        if stage > after:
            break
        result = fold.result_index(entry_id, stage)
        if result is not None and fold.result_cover(result):
            parts.append(_result_component(fold, fold.result_state(result), entry_id))
        cancelled = fold.cancellation(stage, category)
        if cancelled is not None and cancelled.event.awarded_ms:
            parts.append(
                Component(
                    kind="awarded",
                    stage=stage,
                    time_ms=cancelled.event.awarded_ms,
                    seq=cancelled.seq,
                    note=f"stage {stage} cancelled ({cancelled.event.reason}): time awarded to all",
                    provenance=cancelled.event.provenance,
                )
            )
    for penalty in fold.penalty_states():
        event = penalty.event
        if event.entry_id == entry_id and penalty.in_force and event.stage <= after:
            scope = "GC only" if event.gc_only else "stage and GC"
            parts.append(
                Component(
                    kind="penalty",
                    stage=event.stage,
                    time_ms=event.amount_ms,
                    seq=penalty.seq,
                    note=f"penalty {event.penalty_id} ({scope}): {event.reason}",
                    provenance=event.provenance,
                    penalty_id=event.penalty_id,
                )
            )
    parts.sort(key=lambda part: (part.stage, part.seq))
    return tuple(parts)


def _result_component(fold: Fold, result: ResultState, entry_id: str) -> Component:
    span = f"stage {result.stage}"
    if result.is_span:
        span = f"stages {result.first_stage}-{result.stage} combined"
        left_out = [
            str(stage)
            for stage in range(result.first_stage + 1, result.stage)
            if fold.stage(stage) is not None
            and (own := fold.result_index(entry_id, stage)) is not None
            and fold.result_span(own)[0] == stage
        ]
        if left_out:
            span += f" (stage {', '.join(left_out)} timed apart)"
    last = result.corrections[-1] if result.corrections else None
    return Component(
        kind="result",
        stage=result.stage,
        time_ms=result.time_ms,
        seq=result.seq if last is None else last.seq,
        note=f"{span} result" if last is None else f"{span} result, corrected: {last.reason}",
        provenance=result.provenance if last is None else last.provenance,
        first_stage=result.first_stage if result.is_span else None,
        recorded_ms=None if last is None else result.recorded_ms,
    )


# ---------------------------------------------------------------------- a stage's ranking


@attrs.frozen
class StageRow(_Ranked):
    """One entry's time on one stage."""

    penalty_ms: int = 0
    """Stage penalties included in ``time_ms`` (GC-only penalties are not)."""
    entry_class: str | None = None
    """The entry's class within its category, if it has one."""
    class_position: int | None = None
    """Its position among the rows of its class (ties shared), if it has a class."""


@attrs.frozen
class CombinedResult:
    """A combined time over several stages that ends at the queried stage."""

    entry_id: str
    number: str | None
    crew: tuple[Person, ...]
    make: str | None
    first_stage: int
    stage: int
    time_ms: int


@attrs.frozen
class StageResult:
    """The ranking of one stage for one category."""

    rally_id: str
    rally: str
    category: str
    stage: int
    kind: StageKind
    as_of: int | None
    rows: tuple[StageRow, ...]
    combined: tuple[CombinedResult, ...] = ()
    cancelled_reason: str | None = None
    awarded_ms: int | None = None
    retired: tuple[Unclassified, ...] = ()
    entry_class: str | None = None
    """Only the rows of this class (positions 1…n within it), if one was chosen."""
    waypoint: int | None = None
    """The ranking at this waypoint of the stage (elapsed times), if one was chosen."""
    not_at_waypoint: tuple[Unclassified, ...] = ()
    """At a waypoint: the crews still running without a time there."""


def _ranked_rows(
    fold: Fold,
    timed: list[tuple[int, int, EntryRegistered, int]],
    known: int | None,
) -> tuple[StageRow, ...]:
    """Stage rows from (time, tie-break rank, entry, penalty), ranked: ties share a position."""
    timed.sort(key=lambda item: (item[0], item[1]))
    rows: list[StageRow] = []
    best = timed[0][0] if timed else 0
    position = 0
    classes = _ClassPositions()
    for index, (total, _, entry, penalty_ms) in enumerate(timed):
        if index == 0 or total != timed[index - 1][0]:
            position = index + 1
        rows.append(
            StageRow(
                position=position,
                position_certain=known is None or position <= known,
                entry_id=entry.entry_id,
                number=entry.number,
                crew=entry.crew,
                make=entry.make,
                time_ms=total,
                gap_ms=None if index == 0 else total - best,
                penalty_ms=penalty_ms,
                entry_class=entry.entry_class,
                class_position=classes.next(entry.entry_class, total),
            )
        )
    return tuple(rows)


def _of_class(fold: Fold, members: Sequence[int], entry_class: str | None) -> list[int]:
    if entry_class is None:
        return list(members)
    return [index for index in members if fold.entry_at(index).entry_class == entry_class]


def compute_stage_result(
    fold: Fold,
    category: str,
    stage: int,
    *,
    as_of: int | None = None,
    entry_class: str | None = None,
) -> StageResult:
    """The ranking of stage ``stage`` for ``category``: stage times with stage penalties.

    ``entry_class``: only the entries of that class, ranked 1…n among themselves.
    """
    _require_category(fold, category)
    _require_stage(fold, stage)
    if entry_class is not None:
        require_class(fold, category, entry_class)
    cancel = fold.cancellation(stage, category)
    ranking = Ranking.of(fold, category)
    members = _of_class(fold, ranking.members, entry_class)
    timed: list[tuple[int, int, EntryRegistered, int]] = []
    combined: list[CombinedResult] = []
    ending = fold.results_ending(category, stage)
    for index in members if cancel is None else ():
        result = ending.get(index)
        if result is None:
            continue
        entry = fold.entry_at(index)
        first, last = fold.result_span(result)
        if first != last:
            combined.append(
                CombinedResult(
                    entry_id=entry.entry_id,
                    number=entry.number,
                    crew=entry.crew,
                    make=entry.make,
                    first_stage=first,
                    stage=last,
                    time_ms=fold.result_time(result),
                )
            )
            continue
        penalty_ms = fold.stage_penalty(entry.entry_id, stage)
        timed.append(
            (fold.result_time(result) + penalty_ms, ranking.rank[index], entry, penalty_ms)
        )
    known = _known(fold, category, stage, "stage")
    rows = _ranked_rows(
        fold, timed, None if entry_class is not None and known is not None else known
    )
    if entry_class is not None and known is not None:  # certainty is of the whole field's order
        whole = compute_stage_result(fold, category, stage)
        certain = {row.entry_id: row.position_certain for row in whole.rows}
        rows = tuple(attrs.evolve(row, position_certain=certain[row.entry_id]) for row in rows)
    retired: list[Unclassified] = []
    for index in members:
        entry = fold.entry_at(index)
        out = fold.retirement(entry.entry_id)
        if out is not None and out.event.stage == stage:
            how: Status = "excluded" if out.event.excluded else "retired"
            retired.append(_unclassified(entry, how, f"{how}: {out.event.reason}", stage))
    return _stage_result(
        fold,
        category,
        stage,
        as_of,
        rows,
        combined=tuple(combined),
        cancelled_reason=None if cancel is None else cancel.event.reason,
        awarded_ms=None if cancel is None else cancel.event.awarded_ms,
        retired=tuple(retired),
        entry_class=entry_class,
    )


def _stage_result(
    fold: Fold,
    category: str,
    stage: int,
    as_of: int | None,
    rows: tuple[StageRow, ...],
    **more: Any,
) -> StageResult:
    """The ranking ``rows`` of ``stage`` for ``category`` as a ``StageResult`` (``more``: the
    rest of what it holds: combined times, the cancellation, retirements, …)."""
    assert fold.rally is not None
    scheduled = fold.stage(stage)
    assert scheduled is not None
    return StageResult(
        rally_id=fold.rally.rally_id,
        rally=fold.rally.name,
        category=category,
        stage=stage,
        kind=scheduled.kind_for(category),
        as_of=as_of,
        rows=rows,
        **more,
    )


# ---------------------------------------------------------------------- at a waypoint


def _waypoint_times(fold: Fold, stage: int, waypoint: int) -> dict[int, int]:
    """{entry index: elapsed time} at one waypoint of one stage."""
    splits = fold.splits(stage, waypoint)
    if splits is None:
        return {}
    return dict(zip(splits.entries, splits.times, strict=True))


def _passed_later(fold: Fold, category: str, stage: int, waypoint: int) -> dict[int, int]:
    """{entry index: the first later waypoint it has a time at, or 0 for a stage result}."""
    later: dict[int, int] = dict.fromkeys(fold.results_ending(category, stage), 0)
    for number in reversed(fold.waypoints(stage)):
        if number <= waypoint:
            break
        splits = fold.splits(stage, number)
        if splits is not None:
            later.update(dict.fromkeys(splits.entries, number))
    for entry in fold.results_ending(category, stage):
        later[entry] = 0
    return later


def _not_at(entry: EntryRegistered, later: int | None, stage: int, waypoint: int) -> Unclassified:
    """Why a running crew has no time at the waypoint: not yet there, or it missed it."""
    if later is None:
        return _unclassified(
            entry, "not-yet", f"not yet at waypoint {waypoint} of stage {stage}", stage
        )
    passed = "it has finished the stage" if later == 0 else f"it has one at waypoint {later}"
    return _unclassified(
        entry, "no-result", f"no time at waypoint {waypoint} of stage {stage} ({passed})", stage
    )


def waypoint_result(
    fold: Fold,
    category: str,
    stage: int,
    waypoint: int,
    *,
    as_of: int | None = None,
    entry_class: str | None = None,
) -> StageResult:
    """The ranking of stage ``stage`` at waypoint ``waypoint``: elapsed times there.

    Every crew with a time at the waypoint is ranked (one that left the rally
    later in the stage too: it passed there). Crews still running without a time
    are ``not_at_waypoint``; those out at this stage without one are ``retired``.
    """
    require_waypoint(fold, category, stage, waypoint)
    if entry_class is not None:
        require_class(fold, category, entry_class)
    ranking = Ranking.of(fold, category)
    times = _waypoint_times(fold, stage, waypoint)
    later = _passed_later(fold, category, stage, waypoint)
    timed: list[tuple[int, int, EntryRegistered, int]] = []
    retired: list[Unclassified] = []
    pending: list[Unclassified] = []
    for index in _of_class(fold, ranking.members, entry_class):
        entry = fold.entry_at(index)
        out = fold.retired_at(index)
        if index in times:
            timed.append((times[index], ranking.rank[index], entry, 0))
        elif out is not None and out < stage:
            continue
        elif out == stage:
            retired.append(not_classified(fold, entry, stage))
        else:
            pending.append(_not_at(entry, later.get(index), stage, waypoint))
    return _stage_result(
        fold,
        category,
        stage,
        as_of,
        _ranked_rows(fold, timed, None),
        retired=tuple(retired),
        entry_class=entry_class,
        waypoint=waypoint,
        not_at_waypoint=tuple(pending),
    )


def standings_at_waypoint(
    fold: Fold,
    category: str,
    stage: int,
    waypoint: int,
    before: Standings | None,
    *,
    as_of: int | None = None,
) -> Standings:
    """The virtual GC at waypoint ``waypoint`` of stage ``stage``: the GC after the stage
    before it (``before``; None where no stage before it counts), plus the penalties in
    force imposed at ``stage``, plus each crew's elapsed time at the waypoint.

    Ranked: the crews classified before the stage that have a time at the waypoint and
    have not left the rally at this stage. Listed apart: those still running without a
    time there (``not_at_waypoint``); the others are unclassified, with why.
    """
    require_waypoint(fold, category, stage, waypoint)
    if not fold.counts(stage, category):
        scheduled = fold.stage(stage)
        assert scheduled is not None
        raise QueryError(
            "the stage does not count toward the general classification",
            where=category,
            expected="a special stage (for its ranking at a waypoint: standings stage --waypoint)",
            received=f"stage {stage} ({scheduled.kind_for(category)})",
        )
    ranking = Ranking.of(fold, category) if before is None else before._ranking
    if before is not None:
        base = dict(before.ordered())
    else:
        accumulator = Accumulator(fold, category, ranking)
        for number in fold.stage_numbers():
            if number >= stage:
                break
            accumulator.advance(number)
        base = {e: accumulator.total[e] + accumulator.awards for e in accumulator.classified}
    penalties = fold.gc_penalties(category, stage)
    times = _waypoint_times(fold, stage, waypoint)
    later = _passed_later(fold, category, stage, waypoint)
    width, rank = ranking.width, ranking.rank
    keys: list[int] = []
    pending: dict[int, Unclassified] = {}
    for entry, total in base.items():
        if fold.retired_at(entry) == stage:
            continue
        elapsed = times.get(entry)
        if elapsed is None:
            pending[entry] = _not_at(fold.entry_at(entry), later.get(entry), stage, waypoint)
            continue
        keys.append((total + penalties.get(entry, 0) + elapsed) * width + rank[entry])
    keys.sort()
    return Standings(
        fold, category, stage, keys, 0, ranking, as_of=as_of, waypoint=waypoint, pending=pending
    )
