"""Standings: the general classification after a stage (a stage's ranking: ``_stage.py``).

The arithmetic is ``engine/_times.py``'s; this module ranks what it sums. Ties share
a position (1, 1, 3: ``positions``, the one tie rule); within a tie, rows are ordered
by race number (numerically where it is a number), then by registration order
(``Ranking``). Where the log declares that it holds only the first *k* rows of a
classification, positions beyond *k* are marked uncertain.

A ``Standings`` holds its classification as one sorted list of integer keys (time,
then tie-break rank) and a ``View`` of the rally at the record it describes; its
rows, its unclassified entries and each row's explanation are built from them when
first read, so they never change afterwards. ``Running`` keeps one category's GC
after one stage up to date as events arrive: the one incremental path that the
rally's caches, the recorder and ``history`` use.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ..events import EntryRegistered, Person, QueryError, StageKind
from ._display import HtmlDisplay
from ._fold import CancellationState, Effect
from ._slips import OutOfOrder, disordered
from ._times import Accumulator, Component, components
from ._view import View

__all__ = [
    "ClassPositions",
    "Ranked",
    "Ranking",
    "Row",
    "Running",
    "Standings",
    "Status",
    "Unclassified",
    "coverage_known",
    "entry_fields",
    "gc_stages",
    "not_classified",
    "positions",
    "require_category",
    "require_class",
    "require_gc_stage",
    "require_stage",
    "require_waypoint",
    "unclassified",
]


# ---------------------------------------------------------------------- rows

Status = Literal["retired", "excluded", "no-result", "not-documented", "not-yet"]
"""Why an entry is not classified: out of the rally (``retired``, ``excluded``), or its
time is missing: ``no-result`` where the log holds the whole field, ``not-documented``
where the log's coverage says its source prints only part of the field; at a waypoint,
``not-yet``: still running and not yet through it."""


@attrs.frozen
class Ranked:
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
class Row(Ranked):
    """One classified entry."""

    entry_class: str | None = None
    """The entry's class within its category, if it has one."""
    class_position: int | None = None
    """Its position among the rows of its class (ties shared), if it has a class."""
    view: View | None = attrs.field(default=None, eq=False, repr=False)
    """The rally as known when the row was made (its explanation is read from it)."""
    after: int = attrs.field(default=0, eq=False, repr=False)

    @property
    def components(self) -> tuple[Component, ...]:
        """What the time is made of: results, penalties, awarded times, in stage order."""
        if self.view is None:
            return ()
        return components(self.view, self.entry_id, self.after)


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
    withdrawn: bool = False
    """Whether the missing time was recorded, then withdrawn (``reason`` says why)."""


_ENTRY_FIELDS = ("entry_id", "number", "crew", "make", "entry_class")
"""The fields every row and unclassified entry takes from the entry it is about."""


def entry_fields(entry: EntryRegistered) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _ENTRY_FIELDS}


def unclassified(
    entry: EntryRegistered,
    status: Status,
    reason: str,
    stage: int | None = None,
    known_after: int | None = None,
) -> Unclassified:
    return Unclassified(
        **entry_fields(entry), reason=reason, status=status, stage=stage, known_after=known_after
    )


def not_classified(view: View, entry: EntryRegistered, after: int) -> Unclassified:
    """Why ``entry`` is not classified after stage ``after``."""
    retired = view.retirement(entry.entry_id)
    if retired is not None and retired.event.stage <= after:
        how: Status = "excluded" if retired.event.excluded else "retired"
        stage = retired.event.stage
        return unclassified(entry, how, f"{how} at stage {stage}: {retired.event.reason}", stage)
    for stage in view.counted_stages(entry.category, min(view.stage_numbers()), after):
        missing: Status = "not-documented" if _partial(view, entry.category, stage) else "no-result"
        result = view.covering(entry.entry_id, stage)
        partial = missing == "not-documented"
        if result is None:
            if partial and not view.has_results(entry.category, stage):  # none recorded yet
                reason = f"no time recorded for stage {stage} yet"
                return unclassified(entry, "no-result", reason, stage)
            reason = (
                f"time not known since stage {stage}"
                if partial
                else f"no time recorded for stage {stage}"
            )
            return unclassified(entry, missing, reason, stage)
        first, last = view.result_span(result)
        withdrawal = view.result_state(result).withdrawal if view.is_withdrawn(result) else None
        if withdrawal is not None:
            what = f"stages {first}–{last} combined" if first != last else f"stage {last}"
            reason = f"{what} result withdrawn: {withdrawal.reason}"
            return attrs.evolve(unclassified(entry, "no-result", reason, first), withdrawn=True)
        if last > after:
            given = "in the source" if partial else "recorded"
            reason = (
                f"only one total time {given} for stages {first}–{last}, known after stage {last}"
            )
            return unclassified(entry, missing, reason, first, last)
    if not view.counted_stages(entry.category, min(view.stage_numbers()), after):
        return unclassified(entry, "no-result", BEFORE_GC)
    return unclassified(entry, "no-result", "not classified")  # pragma: no cover - by rule


BEFORE_GC = "no stage counting toward the general classification has been run yet"
"""Why no one is classified after a stage before the first that counts (a prologue's)."""


def _partial(view: View, category: str, stage: int) -> bool:
    """Whether the log's coverage says its source prints only part of the field at ``stage``."""
    declaration = view.coverage(category, stage)
    return declaration is not None and (
        declaration.stage_known is not None or declaration.gc_known is not None
    )


class _Tie:
    """Positions in a classification, one time at a time, in order: equal times share the
    position of the first of them (1, 1, 3). The one tie rule of every ranking."""

    __slots__ = ("_count", "_position", "_previous")

    def __init__(self) -> None:
        self._count, self._position = 0, 0
        self._previous: int | None = None

    def next(self, time_ms: int) -> int:
        """The position of the next time (no earlier than the one before it)."""
        self._count += 1
        if time_ms != self._previous:
            self._previous, self._position = time_ms, self._count
        return self._position


def positions(times: Iterable[int]) -> Iterator[int]:
    """The position of each time of a classification, in order (ties shared: ``_Tie``)."""
    tie = _Tie()
    return (tie.next(time_ms) for time_ms in times)


class ClassPositions:
    """Positions within each class, given the rows of a classification in order."""

    def __init__(self) -> None:
        self._ties: dict[str, _Tie] = {}

    def next(self, entry_class: str | None, time_ms: int) -> int | None:
        """The class position of the next row (ties shared), None without a class."""
        if entry_class is None:
            return None
        tie = self._ties.get(entry_class)
        if tie is None:
            tie = self._ties[entry_class] = _Tie()
        return tie.next(time_ms)


# ---------------------------------------------------------------------- the ranking


@attrs.frozen
class Ranking:
    """The order of one category: its entries by (time, race number, registration).

    ``rank`` maps an entry row to its tie-break rank (0 first) and ``by_rank`` back; a
    classified entry's key is ``time * width + rank``, so sorting keys sorts by time,
    then tie-break, in one comparison of integers.
    """

    members: tuple[int, ...]
    rank: dict[int, int]
    by_rank: tuple[int, ...]
    ids: tuple[str, ...]
    """The entry id of each rank."""

    @property
    def width(self) -> int:
        """The multiplier of a time in a key (one more than the last rank)."""
        return max(1, len(self.by_rank))

    @classmethod
    def of(cls, view: View, category: str) -> Ranking:
        """The tie-break order of ``category``'s entries as registered by the view's record."""
        members = view.members(category)
        ordered = sorted(members, key=lambda row: (_number_key(view.entry_at(row)), row))
        return cls(
            members,
            {row: rank for rank, row in enumerate(ordered)},
            tuple(ordered),
            tuple(view.entry_at(row).entry_id for row in ordered),
        )

    def keys(self, times: Mapping[int, int]) -> list[int]:
        """The sorted keys of ``{entry row: time}``: the classification they make."""
        width, rank = self.width, self.rank
        return sorted([time_ms * width + rank[entry] for entry, time_ms in times.items()])


def _number_key(entry: EntryRegistered) -> tuple[int, int, str]:
    """Race numbers in numeric order where they are numbers, then other numbers, then none."""
    if entry.number is None:
        return (2, 0, "")
    if entry.number.isascii() and entry.number.isdigit():
        return (0, int(entry.number), entry.number)
    return (1, 0, entry.number)


# ---------------------------------------------------------------------- checks before work


def require_category(view: View, category: str) -> None:
    """Refuse a category the rally does not have."""
    if view.rally is None:
        raise QueryError(
            "the log declares no rally yet",
            where="category query",
            expected="a rally-declared event",
            received="none",
        )
    if category not in view.rally.categories:
        raise QueryError.unknown(
            "unknown category", view.rally.categories, category, where=view.rally.rally_id
        )


def require_stage(view: View, stage: int | None) -> None:
    """Refuse a stage the log has not scheduled (or none at all)."""
    if stage is None or view.stage(stage) is None:
        known = ", ".join(map(str, view.stage_numbers())) or "none yet"
        raise QueryError(
            "unknown stage",
            where="the log" if view.rally is None else view.rally.name,  # the rally asked
            expected=f"a scheduled stage ({known})",
            received=stage,
        )


def gc_stages(view: View, category: str) -> list[int]:
    """The stages after which a GC exists: from the first that counts or awards time on."""
    stages = view.stage_numbers()
    for index, stage in enumerate(stages):
        if view.counts(stage, category) or view.awarded(stage, category):
            return list(stages[index:])
    return []


def require_gc_stage(view: View, category: str, after: int) -> None:
    """Refuse, before any work, a GC question the log cannot answer."""
    require_category(view, category)
    require_stage(view, after)
    if after not in gc_stages(view, category):
        raise QueryError(
            "no stage counts toward the general classification yet",
            where=f"{category}",
            expected="a stage at or after the first counted one",
            received=f"stage {after} ({view.kind(after, category)})",
        )


def require_class(view: View, category: str, entry_class: str) -> None:
    """Refuse a class no entry of ``category`` carries."""
    known = view.classes(category)
    if entry_class not in known:
        raise QueryError(
            "unknown class",
            where=category,
            expected="one of " + ", ".join(known)
            if known
            else f"a class (no entry of {category} has one)",
            received=entry_class,
        )


def require_waypoint(view: View, category: str, stage: int, waypoint: int) -> None:
    """Refuse, before any work, a question about a waypoint with no time recorded."""
    require_category(view, category)
    require_stage(view, stage)
    cancelled = view.is_cancelled(stage, category)
    if view.kind(stage, category) is StageKind.LIAISON or cancelled:
        raise QueryError(
            "no waypoints on this stage",
            where=category,
            expected="a timed stage that was run",
            received=f"stage {stage} ({'cancelled' if cancelled else 'liaison'})",
        )
    known = view.waypoints(stage)
    if waypoint not in known:
        raise QueryError(
            "unknown waypoint",
            where=f"stage {stage}",
            expected="a waypoint with a recorded time "
            f"({', '.join(map(str, known)) or 'none yet'})",
            received=waypoint,
        )


# ---------------------------------------------------------------------- standings


def coverage_known(
    view: View, category: str, stage: int, field: Literal["stage", "gc"]
) -> int | None:
    """How many rows of a classification the log's coverage vouches for (None: all)."""
    declaration = view.coverage(category, stage)
    if declaration is None:
        return None
    return declaration.stage_known if field == "stage" else declaration.gc_known


class Standings(HtmlDisplay):
    """The general classification of one category after one stage.

    Built from a sorted list of keys and the rally as known at one record (``view``);
    ``rows`` and ``unclassified`` are made the first time they are read. Two standings
    are equal when they say the same (same rally, category, stage, as-of, rows and
    unclassified entries).

    ``entry_class``: only the rows of that class, ranked 1…n with gaps to the class
    leader (``of_class``). ``waypoint``: the virtual classification at waypoint K of
    stage ``after_stage`` (``standings_at_waypoint``); the crews still running without
    a time there are ``not_at_waypoint``.
    """

    __slots__ = (
        "_all_keys",
        "_awards",
        "_certain_to",
        "_keys",
        "_pending",
        "_ranking",
        "_rows",
        "_unclassified",
        "_view",
        "after_stage",
        "as_of",
        "before_gc",
        "category",
        "entry_class",
        "known_rows",
        "rally",
        "rally_id",
        "waypoint",
    )

    def __init__(
        self,
        view: View,
        category: str,
        after: int,
        keys: Sequence[int],
        awards: int,
        ranking: Ranking,
        *,
        as_of: int | None = None,
        entry_class: str | None = None,
        waypoint: int | None = None,
        pending: Mapping[int, Unclassified] | None = None,
        all_keys: Sequence[int] | None = None,
        before_gc: bool = False,
    ) -> None:
        rally = view.rally
        assert rally is not None
        self.rally_id = rally.rally_id
        self.rally = rally.name
        self.category = category
        self.after_stage = after
        self.as_of = as_of
        self.entry_class = entry_class
        self.waypoint = waypoint
        self.known_rows = (
            None if waypoint is not None else coverage_known(view, category, after, "gc")
        )
        self._view = view
        self._keys = keys
        """Never changed by anyone once given here (``Running`` hands out a list it then
        leaves alone: it changes a copy)."""
        self._all_keys = keys if all_keys is None else all_keys
        self._awards = awards
        self._ranking = ranking
        self._pending: Mapping[int, Unclassified] = MappingProxyType(dict(pending or {}))
        self._rows: tuple[Row, ...] | None = None
        self._unclassified: tuple[Unclassified, ...] | None = () if before_gc else None
        self._certain_to: int | None = None
        """On hypothetical standings: the GC time up to which a position is vouched for
        (``vouched_as``)."""
        self.before_gc = before_gc
        """Whether no stage counting toward the GC has been run by ``after_stage`` (only a
        prologue, say): the classification is empty, and no crew is said to miss from it."""

    @property
    def view(self) -> View:
        """The rally as known at the record these standings describe."""
        return self._view

    @property
    def size(self) -> int:
        """How many entries are classified."""
        return len(self._keys)

    def ordered(self) -> Iterator[tuple[int, int]]:
        """(entry row, time) of each classified entry, in classification order."""
        width, by_rank, awards = self._ranking.width, self._ranking.by_rank, self._awards
        for key in self._keys:
            total, rank = divmod(key, width)
            yield by_rank[rank], total + awards

    def times(self) -> dict[int, int]:
        """{entry row: time} of the classified entries."""
        return dict(self.ordered())

    def positions(self) -> list[tuple[str, int, int, bool]]:
        """The classification as plain tuples: (entry id, time, position, position certain).

        The same figures as ``rows``, without building a row object per entry (for
        analysis, export and comparisons over many stages).
        """
        width, awards = self._ranking.width, self._awards
        ids = self._ranking.ids
        times = [key // width + awards for key in self._keys]
        return [
            (ids[key % width], time_ms, position, self._certain(position, time_ms))
            for key, time_ms, position in zip(self._keys, times, positions(times), strict=True)
        ]

    def _certain(self, overall: int, time_ms: int) -> bool:
        """Whether a position is vouched for: within the rows the source prints, and (on
        hypothetical standings) at a time no crew it does not print can be ahead of."""
        known, limit = self.known_rows, self._certain_to
        return (known is None or overall <= known) and (limit is None or time_ms <= limit)

    def vouched_as(self, actual: Standings) -> Standings:
        """These (hypothetical) standings, their positions vouched for as the source vouches
        for ``actual``'s: a crew the source does not print stands at or after the last one it
        prints, so a hypothetical time past that one may have such crews ahead of it."""
        derived = self._derived()
        known = actual.known_rows
        if known is not None and len(actual._all_keys) >= known:
            derived._certain_to = actual._time(actual._all_keys[known - 1])
        return derived

    def _time(self, key: int) -> int:
        """The GC time of the row sorted under ``key``."""
        return key // self._ranking.width + self._awards

    def _overall(self, key: int) -> int:
        """The position in the whole category of the row with ``key`` (ties shared)."""
        width = self._ranking.width
        return bisect.bisect_left(self._all_keys, key // width * width) + 1

    def iter_rows(self) -> Iterator[Row]:
        """The classified entries, in order, built one by one and not kept (for streaming)."""
        if self._rows is not None:
            yield from self._rows
            return
        view, after = self._view, self.after_stage
        filtered = self._keys is not self._all_keys
        classes = ClassPositions()
        ordered = list(self.ordered())
        leader = ordered[0][1] if ordered else 0
        ranks = positions(time_ms for _, time_ms in ordered)
        for index, ((entry_row, time_ms), position) in enumerate(zip(ordered, ranks, strict=True)):
            entry = view.entry_at(entry_row)
            overall = self._overall(self._keys[index]) if filtered else position
            yield Row(
                **entry_fields(entry),
                position=position,
                position_certain=self._certain(overall, time_ms),
                time_ms=time_ms,
                gap_ms=None if index == 0 else time_ms - leader,
                class_position=classes.next(entry.entry_class, time_ms),
                view=view,
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
        view, wanted = self._view, self.entry_class
        return [
            row
            for row in self._ranking.members
            if wanted is None or view.entry_at(row).entry_class == wanted
        ]

    def iter_unclassified(self) -> Iterator[Unclassified]:
        """The entries that are not classified, built one by one and not kept (for
        streaming: a replay of many stages would otherwise keep every stage's list)."""
        if self._unclassified is not None:
            yield from self._unclassified
            return
        classified = {entry for entry, _ in self.ordered()}
        view = self._view
        for row in self._members():
            if row not in classified and row not in self._pending:
                yield not_classified(view, view.entry_at(row), self.after_stage)

    @property
    def unclassified(self) -> tuple[Unclassified, ...]:
        """The entries that are not classified, in registration order, each with why."""
        if self._unclassified is None:
            self._unclassified = tuple(self.iter_unclassified())
        return self._unclassified

    @property
    def out_of_order(self) -> tuple[OutOfOrder, ...]:
        """At a waypoint: the times of its rows there that contradict another time of the same
        crew on the stage (recorded with ``--out-of-order``), said as such; else none."""
        if self.waypoint is None:
            return ()
        rows = {entry for entry, _ in self.ordered()}
        return disordered(self._view, self.after_stage, self.waypoint, sorted(rows))

    def why_missing(self, entry_id: str) -> Unclassified | None:
        """Why an entry of these standings is not in them (None: it is, or it is not one of
        their entries); before the GC, the reason no one is in them."""
        found = next((item for item in self.unclassified if item.entry_id == entry_id), None)
        if found is not None or not self.before_gc:
            return found
        entry = self._view.entry(entry_id)
        members = {self._view.entry_at(row).entry_id for row in self._members()}
        if entry is None or entry_id not in members:
            return None
        return not_classified(self._view, entry, self.after_stage)

    @property
    def not_at_waypoint(self) -> tuple[Unclassified, ...]:
        """At a waypoint: the crews still running without a time there (``not-yet``), or with
        a later one only (``no-result``: they missed it), in registration order."""
        return tuple(self._pending[row] for row in self._members() if row in self._pending)

    @property
    def cancellation(self) -> CancellationState | None:
        """The cancellation of the stage these standings come after, for their category (a
        cancelled stage's standings are the earlier ones, its awarded time added to all)."""
        return self._view.cancellation(self.after_stage, self.category)

    @property
    def leader(self) -> Row | None:
        """The first row, if any entry is classified (built alone if the rows are not)."""
        if not self._keys:
            return None
        return self._rows[0] if self._rows is not None else next(self.iter_rows())

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
        require_class(self._view, self.category, entry_class)
        view, width, by_rank = self._view, self._ranking.width, self._ranking.by_rank
        keys = [
            key
            for key in self._all_keys
            if view.entry_at(by_rank[key % width]).entry_class == entry_class
        ]
        return self._derived(keys=keys, entry_class=entry_class)

    def _derived(
        self,
        *,
        keys: Sequence[int] | None = None,
        entry_class: str | None = None,
        as_of: int | None = None,
    ) -> Standings:
        derived = Standings(
            self._view,
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
            before_gc=self.before_gc,
        )
        derived._certain_to = self._certain_to
        return derived

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
            self.before_gc,
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


class Running:
    """One category's GC after one stage, kept up to date as events are folded.

    Built by summing the stages up to ``stage`` (``Accumulator``); an event whose whole
    effect is one entry's time changing at that stage or an earlier one updates it in place
    (one key out, one key in: a GC time is a sum, so it moves by the same amount). Anything
    else it cannot follow (``apply`` says so): build another.
    """

    def __init__(self, view: View, category: str, ranking: Ranking, stage: int) -> None:
        self.category = category
        self.ranking = ranking
        self.accumulator = Accumulator(view, category, ranking.members)
        self.accumulator.advance_to(stage)
        self.stage = stage
        self.keys = ranking.keys(self.accumulator.sums())
        self._handed_out = False

    def advance_to(self, view: View, stage: int) -> None:
        """Move on to the GC after ``stage`` (later than the current one), reading ``view``."""
        self.accumulator.view = view
        self.accumulator.advance_to(stage)
        self.stage = stage
        self.keys = self.ranking.keys(self.accumulator.sums())
        self._handed_out = False

    def apply(self, view: View, effect: Effect) -> bool:
        """Follow one event's effect on this category; False if it cannot be followed in
        place (the caller builds the GC again)."""
        if effect.stage is not None and effect.stage > self.stage:
            self.accumulator.view = view
            return True  # after the stage: nothing here changes
        entry = effect.entry  # at this stage or one before: its cumulative time moves alike
        if entry is None or effect.stage is None or entry not in self.ranking.rank:
            return False
        accumulator, width, rank = self.accumulator, self.ranking.width, self.ranking.rank[entry]
        if self._handed_out:  # standings made earlier hold the list: change a copy
            self.keys, self._handed_out = list(self.keys), False
        if entry in accumulator.classified:
            del self.keys[bisect.bisect_left(self.keys, accumulator.total[entry] * width + rank)]
        accumulator.view = view
        accumulator.apply(entry, effect.delta, effect.cover)
        if entry in accumulator.classified:
            bisect.insort(self.keys, accumulator.total[entry] * width + rank)
        return True

    def hand_out(self) -> list[int]:
        """The keys of the classification now, for standings to keep: never changed again
        (the next change here is made to a copy)."""
        self._handed_out = True
        return self.keys

    def standings(self, view: View, *, as_of: int | None = None) -> Standings:
        """The classification now, read through ``view``."""
        return Standings(
            view,
            self.category,
            self.stage,
            self.hand_out(),
            self.accumulator.awards,
            self.ranking,
            as_of=as_of,
        )
