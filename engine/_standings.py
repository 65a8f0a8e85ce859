"""Standings: the general classification after a stage, and a stage's ranking.

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

from ..events import EntryRegistered, Person, Provenance, QueryError, StageKind
from ._display import HtmlDisplay
from ._fold import Effect, ResultState
from ._times import Accumulator, parts
from ._view import View

__all__ = [
    "COMPONENT_KINDS",
    "CombinedResult",
    "Component",
    "ComponentKind",
    "Ranking",
    "Row",
    "Running",
    "StageResult",
    "StageRow",
    "Standings",
    "Status",
    "Unclassified",
    "components",
    "gc_stages",
    "not_classified",
    "positions",
    "require_category",
    "require_class",
    "require_gc_stage",
    "require_stage",
    "require_waypoint",
    "stage_ranking",
    "standings_at_waypoint",
    "waypoint_ranking",
]


# ---------------------------------------------------------------------- what a time is made of


@attrs.frozen
class ComponentKind:
    """A kind of part of a GC time, as the outputs name and show it."""

    name: str
    label: str
    """What one such part is called (``"awarded time"``)."""
    signed: bool
    """Whether it is an amount added or taken away (shown with its sign: ``+0:05:00``)."""


COMPONENT_KINDS: Mapping[str, ComponentKind] = MappingProxyType(
    {
        kind.name: kind
        for kind in (
            ComponentKind("result", "result", signed=False),
            ComponentKind("penalty", "penalty", signed=True),
            ComponentKind("awarded", "awarded time", signed=False),
        )
    }
)
"""Every kind of ``Component``, in the order explanations count them: the outputs read
this registry (labels, signs), never a list of their own."""


@attrs.frozen
class Component:
    """One part of an entry's cumulative time, and where it comes from."""

    kind: str
    """A key of ``COMPONENT_KINDS``."""
    stage: int
    time_ms: int
    seq: int
    note: str
    provenance: Provenance
    first_stage: int | None = None
    penalty_id: str | None = None
    recorded_ms: int | None = None
    """For a corrected result: the time first recorded."""


def components(view: View, entry_id: str, after: int) -> tuple[Component, ...]:
    """The parts of an entry's cumulative time after ``after``, by stage then log order:
    the same parts ``Accumulator`` sums (``engine/_times.py``)."""
    entry = view.entry_index(entry_id)
    category = view.entry_at(entry).category
    out: list[Component] = []
    for part in parts(view, entry, after):
        if part.result is not None and part.counted:
            out.append(_result_component(view, part.result, entry_id))
        cancelled = view.cancellation(part.stage, category)
        if cancelled is not None and cancelled.event.awarded_ms:
            out.append(
                Component(
                    kind="awarded",
                    stage=part.stage,
                    time_ms=cancelled.event.awarded_ms,
                    seq=cancelled.seq,
                    note=f"stage {part.stage} cancelled ({cancelled.event.reason}): "
                    "time awarded to all",
                    provenance=cancelled.event.provenance,
                )
            )
        for penalty in view.penalties_at(category, part.stage):
            event = penalty.event
            if event.entry_id == entry_id and penalty.in_force:
                scope = "GC only" if event.gc_only else "stage and GC"
                out.append(
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
    out.sort(key=lambda part: (part.stage, part.seq))
    return tuple(out)


def _result_component(view: View, result: ResultState, entry_id: str) -> Component:
    span = f"stage {result.stage}"
    if result.is_span:
        span = f"stages {result.first_stage}-{result.stage} combined"
        apart = [
            str(stage)
            for stage in view.stage_numbers()
            if result.first_stage < stage < result.stage
            and (own := view.result_index(entry_id, stage)) is not None
            and view.result_span(own)[0] == stage
        ]
        if apart:
            span += f" (stage {', '.join(apart)} timed apart)"
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


# ---------------------------------------------------------------------- rows

Status = Literal["retired", "excluded", "no-result", "not-documented", "not-yet"]
"""Why an entry is not classified: out of the rally (``retired``, ``excluded``), or its
time is missing: ``no-result`` where the log holds the whole field, ``not-documented``
where the log's coverage says its source prints only part of the field; at a waypoint,
``not-yet``: still running and not yet through it."""


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


def _entry_fields(entry: EntryRegistered) -> dict[str, Any]:
    """The fields every row and unclassified entry takes from the entry it is about."""
    return {
        "entry_id": entry.entry_id,
        "number": entry.number,
        "crew": entry.crew,
        "make": entry.make,
        "entry_class": entry.entry_class,
    }


def _unclassified(
    entry: EntryRegistered,
    status: Status,
    reason: str,
    stage: int | None = None,
    known_after: int | None = None,
) -> Unclassified:
    return Unclassified(
        **_entry_fields(entry), reason=reason, status=status, stage=stage, known_after=known_after
    )


def not_classified(view: View, entry: EntryRegistered, after: int) -> Unclassified:
    """Why ``entry`` is not classified after stage ``after``."""
    retired = view.retirement(entry.entry_id)
    if retired is not None and retired.event.stage <= after:
        how: Status = "excluded" if retired.event.excluded else "retired"
        stage = retired.event.stage
        return _unclassified(entry, how, f"{how} at stage {stage}: {retired.event.reason}", stage)
    for stage in view.counted_stages(entry.category, min(view.stage_numbers()), after):
        missing: Status = "not-documented" if _partial(view, entry.category, stage) else "no-result"
        result = view.covering(entry.entry_id, stage)
        if result is None:
            return _unclassified(entry, missing, f"no result for stage {stage}", stage)
        first, last = view.result_span(result)
        if last > after:
            reason = f"combined time for stages {first}-{last} known only after stage {last}"
            return _unclassified(entry, missing, reason, first, last)
    return _unclassified(entry, "no-result", "not classified")  # pragma: no cover - by rule


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


class _ClassPositions:
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
        raise QueryError(
            "unknown category",
            where=view.rally.rally_id,
            expected="one of " + ", ".join(view.rally.categories),
            received=category,
        )


def require_stage(view: View, stage: int) -> None:
    """Refuse a stage the log has not scheduled."""
    if view.stage(stage) is None:
        known = ", ".join(map(str, view.stage_numbers())) or "none"
        raise QueryError(
            "unknown stage",
            where="stage query",
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


def _known(view: View, category: str, stage: int, field: Literal["stage", "gc"]) -> int | None:
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
        "_keys",
        "_pending",
        "_ranking",
        "_rows",
        "_unclassified",
        "_view",
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
        self.known_rows = None if waypoint is not None else _known(view, category, after, "gc")
        self._view = view
        self._keys = keys
        """Never changed by anyone once given here (``Running`` hands out a list it then
        leaves alone: it changes a copy)."""
        self._all_keys = keys if all_keys is None else all_keys
        self._awards = awards
        self._ranking = ranking
        self._pending: Mapping[int, Unclassified] = MappingProxyType(dict(pending or {}))
        self._rows: tuple[Row, ...] | None = None
        self._unclassified: tuple[Unclassified, ...] | None = None

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
        width, awards, known = self._ranking.width, self._awards, self.known_rows
        ids = self._ranking.ids
        times = [key // width + awards for key in self._keys]
        return [
            (ids[key % width], time_ms, position, known is None or position <= known)
            for key, time_ms, position in zip(self._keys, times, positions(times), strict=True)
        ]

    def _overall(self, key: int) -> int:
        """The position in the whole category of the row with ``key`` (ties shared)."""
        width = self._ranking.width
        return bisect.bisect_left(self._all_keys, key // width * width) + 1

    def iter_rows(self) -> Iterator[Row]:
        """The classified entries, in order, built one by one and not kept (for streaming)."""
        if self._rows is not None:
            yield from self._rows
            return
        view, known, after = self._view, self.known_rows, self.after_stage
        filtered = self._keys is not self._all_keys
        classes = _ClassPositions()
        ordered = list(self.ordered())
        leader = ordered[0][1] if ordered else 0
        ranks = positions(time_ms for _, time_ms in ordered)
        for index, ((entry_row, time_ms), position) in enumerate(zip(ordered, ranks, strict=True)):
            entry = view.entry_at(entry_row)
            overall = self._overall(self._keys[index]) if filtered else position
            yield Row(
                **_entry_fields(entry),
                position=position,
                position_certain=known is None or overall <= known,
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

    @property
    def unclassified(self) -> tuple[Unclassified, ...]:
        """The entries that are not classified, in registration order, each with why."""
        if self._unclassified is None:
            classified = {entry for entry, _ in self.ordered()}
            view = self._view
            self._unclassified = tuple(
                not_classified(view, view.entry_at(row), self.after_stage)
                for row in self._members()
                if row not in classified and row not in self._pending
            )
        return self._unclassified

    @property
    def not_at_waypoint(self) -> tuple[Unclassified, ...]:
        """At a waypoint: the crews still running without a time there (``not-yet``), or with
        a later one only (``no-result``: they missed it), in registration order."""
        return tuple(self._pending[row] for row in self._members() if row in self._pending)

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
        return Standings(
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


class Running:
    """One category's GC after one stage, kept up to date as events are folded.

    Built by summing the stages up to ``stage`` (``Accumulator``); an event whose whole
    effect is one entry's time changing at that very stage updates it in place (one key
    out, one key in). Anything else it cannot follow (``apply`` says so): build another.
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
        entry = effect.entry
        if entry is None or effect.stage != self.stage or entry not in self.ranking.rank:
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
class StageResult(HtmlDisplay):
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
    timed: list[tuple[int, int, EntryRegistered, int]], known: int | None
) -> tuple[StageRow, ...]:
    """Stage rows from (time, tie-break rank, entry, penalty), ranked: ties share a position."""
    timed.sort(key=lambda item: (item[0], item[1]))
    best = timed[0][0] if timed else 0
    classes = _ClassPositions()
    ranks = positions(total for total, _, _, _ in timed)
    return tuple(
        StageRow(
            **_entry_fields(entry),
            position=position,
            position_certain=known is None or position <= known,
            time_ms=total,
            gap_ms=None if index == 0 else total - best,
            penalty_ms=penalty_ms,
            class_position=classes.next(entry.entry_class, total),
        )
        for index, ((total, _, entry, penalty_ms), position) in enumerate(
            zip(timed, ranks, strict=True)
        )
    )


def _of_class(view: View, members: Sequence[int], entry_class: str | None) -> list[int]:
    if entry_class is None:
        return list(members)
    return [row for row in members if view.entry_at(row).entry_class == entry_class]


def _stage_result(
    view: View,
    category: str,
    stage: int,
    as_of: int | None,
    rows: tuple[StageRow, ...],
    **more: Any,
) -> StageResult:
    """The ranking ``rows`` of ``stage`` as a ``StageResult`` (``more``: the rest of what it
    holds: combined times, the cancellation, retirements, …)."""
    assert view.rally is not None
    kind = view.kind(stage, category)
    assert kind is not None
    return StageResult(
        rally_id=view.rally.rally_id,
        rally=view.rally.name,
        category=category,
        stage=stage,
        kind=kind,
        as_of=as_of,
        rows=rows,
        **more,
    )


def stage_ranking(
    view: View,
    category: str,
    stage: int,
    *,
    as_of: int | None = None,
    entry_class: str | None = None,
) -> StageResult:
    """The ranking of stage ``stage`` for ``category``: stage times with stage penalties.

    ``entry_class``: only the entries of that class, ranked 1…n among themselves.
    """
    require_category(view, category)
    require_stage(view, stage)
    if entry_class is not None:
        require_class(view, category, entry_class)
    cancel = view.cancellation(stage, category)
    ranking = Ranking.of(view, category)
    members = _of_class(view, ranking.members, entry_class)
    timed: list[tuple[int, int, EntryRegistered, int]] = []
    combined: list[CombinedResult] = []
    ending = view.results_ending(category, stage)
    penalties = view.gc_penalties(category, stage, in_stage=True)
    for row in members if cancel is None else ():
        result = ending.get(row)
        if result is None:
            continue
        entry = view.entry_at(row)
        first, last = view.result_span(result)
        time_ms = view.result_time(result)
        if first != last:
            combined.append(
                CombinedResult(
                    entry.entry_id, entry.number, entry.crew, entry.make, first, last, time_ms
                )
            )
            continue
        penalty_ms = penalties.get(row, 0)
        timed.append((time_ms + penalty_ms, ranking.rank[row], entry, penalty_ms))
    known = _known(view, category, stage, "stage")
    rows = _ranked_rows(timed, None if entry_class is not None and known is not None else known)
    if entry_class is not None and known is not None:  # certainty is of the whole field's order
        whole = stage_ranking(view, category, stage)
        certain = {row.entry_id: row.position_certain for row in whole.rows}
        rows = tuple(attrs.evolve(row, position_certain=certain[row.entry_id]) for row in rows)
    retired: list[Unclassified] = []
    for row in members:
        out = view.retirement_of(row)
        if out is not None and out.event.stage == stage:
            how: Status = "excluded" if out.event.excluded else "retired"
            retired.append(
                _unclassified(view.entry_at(row), how, f"{how}: {out.event.reason}", stage)
            )
    return _stage_result(
        view,
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


# ---------------------------------------------------------------------- at a waypoint


def _passed_later(view: View, category: str, stage: int, waypoint: int) -> dict[int, int]:
    """{entry row: the first later waypoint it has a time at, or 0 for a stage result}."""
    later: dict[int, int] = {}
    for number in reversed(view.waypoints(stage)):
        if number <= waypoint:
            break
        later.update(dict.fromkeys(view.split_times(stage, number), number))
    later.update(dict.fromkeys(view.results_ending(category, stage), 0))
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


def waypoint_ranking(
    view: View,
    category: str,
    stage: int,
    waypoint: int,
    *,
    as_of: int | None = None,
    entry_class: str | None = None,
) -> StageResult:
    """The ranking of stage ``stage`` at waypoint ``waypoint``: elapsed times there.

    Every crew with a time at the waypoint is ranked (one that left the rally later in
    the stage too: it passed there). Crews still running without a time are
    ``not_at_waypoint``; those out at this stage without one are ``retired``.
    """
    require_waypoint(view, category, stage, waypoint)
    if entry_class is not None:
        require_class(view, category, entry_class)
    ranking = Ranking.of(view, category)
    times = view.split_times(stage, waypoint)
    later = _passed_later(view, category, stage, waypoint)
    timed: list[tuple[int, int, EntryRegistered, int]] = []
    retired: list[Unclassified] = []
    pending: list[Unclassified] = []
    for row in _of_class(view, ranking.members, entry_class):
        entry = view.entry_at(row)
        out = view.retired_at(row)
        if row in times:
            timed.append((times[row], ranking.rank[row], entry, 0))
        elif out is not None and out < stage:
            continue
        elif out == stage:
            retired.append(not_classified(view, entry, stage))
        else:
            pending.append(_not_at(entry, later.get(row), stage, waypoint))
    return _stage_result(
        view,
        category,
        stage,
        as_of,
        _ranked_rows(timed, None),
        retired=tuple(retired),
        entry_class=entry_class,
        waypoint=waypoint,
        not_at_waypoint=tuple(pending),
    )


def standings_at_waypoint(
    view: View,
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
    require_waypoint(view, category, stage, waypoint)
    if not view.counts(stage, category):
        raise QueryError(
            "the stage does not count toward the general classification",
            where=category,
            expected="a special stage (for its ranking at a waypoint: standings stage --waypoint)",
            received=f"stage {stage} ({view.kind(stage, category)})",
        )
    ranking = Ranking.of(view, category)
    if before is not None:
        base = before.times()
    else:  # no GC yet: what falls on the stages before this one (penalties, retirements)
        accumulator = Accumulator(view, category, ranking.members)
        earlier = [number for number in view.stage_numbers() if number < stage]
        if earlier:
            accumulator.advance_to(earlier[-1])
        base = accumulator.times()
    penalties = view.gc_penalties(category, stage)
    times = view.split_times(stage, waypoint)
    later = _passed_later(view, category, stage, waypoint)
    found: dict[int, int] = {}
    pending: dict[int, Unclassified] = {}
    for entry, total in base.items():
        if view.retired_at(entry) == stage:
            continue
        elapsed = times.get(entry)
        if elapsed is None:
            pending[entry] = _not_at(view.entry_at(entry), later.get(entry), stage, waypoint)
            continue
        found[entry] = total + penalties.get(entry, 0) + elapsed
    return Standings(
        view,
        category,
        stage,
        ranking.keys(found),
        0,
        ranking,
        as_of=as_of,
        waypoint=waypoint,
        pending=pending,
    )
