"""A stage's ranking, and the rankings and standings at one of its waypoints.

A stage's ranking orders the stage times (with the penalties in force that count in the
stage's ranking); a ranking at a waypoint orders the elapsed times there, and the
standings at a waypoint add them to the GC after the stage before. Ties share a
position, as in every ranking (``positions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..events import EntryRegistered, Person, QueryError, StageKind
from ._display import HtmlDisplay
from ._slips import OutOfOrder, disordered
from ._standings import (
    ClassPositions,
    Ranked,
    Ranking,
    Standings,
    Status,
    Unclassified,
    coverage_known,
    entry_fields,
    not_classified,
    positions,
    require_category,
    require_class,
    require_stage,
    require_waypoint,
    unclassified,
)
from ._times import Accumulator
from ._view import View

__all__ = [
    "CombinedResult",
    "StageResult",
    "StageRow",
    "stage_ranking",
    "standings_at_waypoint",
    "waypoint_ranking",
]


# ---------------------------------------------------------------------- a stage's ranking


@attrs.frozen
class StageRow(Ranked):
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
    out_of_order: tuple[OutOfOrder, ...] = ()
    """At a waypoint: the times of its rows there that contradict another time of the same
    crew on the stage (recorded with ``--out-of-order``), said as such."""
    withdrawn: tuple[Unclassified, ...] = ()
    """The crews whose time at the stage was recorded, then withdrawn (with why)."""
    known_rows: int | None = None
    """How many rows of the stage's ranking the log's source prints (None: the whole field,
    as far as the log knows)."""


def _ranked_rows(
    timed: list[tuple[int, int, EntryRegistered, int]], known: int | None
) -> tuple[StageRow, ...]:
    """Stage rows from (time, tie-break rank, entry, penalty), ranked: ties share a position."""
    timed.sort(key=lambda item: (item[0], item[1]))
    best = timed[0][0] if timed else 0
    classes = ClassPositions()
    ranks = positions(total for total, _, _, _ in timed)
    return tuple(
        StageRow(
            **entry_fields(entry),
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
    combined.sort(key=lambda span: (span.first_stage, span.time_ms))
    known = coverage_known(view, category, stage, "stage")
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
                unclassified(view.entry_at(row), how, f"{how}: {out.event.reason}", stage)
            )
    withdrawn = []
    if cancel is None:
        in_class = set(members)
        for row, result in view.withdrawn_results(category, stage).items():
            state = view.result_state(result).withdrawal
            if row in in_class and state is not None:
                item = unclassified(
                    view.entry_at(row), "no-result", f"result withdrawn: {state.reason}", stage
                )
                withdrawn.append(attrs.evolve(item, withdrawn=True))
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
        withdrawn=tuple(withdrawn),
        known_rows=known,
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
        return unclassified(
            entry, "not-yet", f"not yet at waypoint {waypoint} of stage {stage}", stage
        )
    passed = "it has finished the stage" if later == 0 else f"it has one at waypoint {later}"
    return unclassified(
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
        out_of_order=disordered(
            view,
            stage,
            waypoint,
            [r for r in _of_class(view, ranking.members, entry_class) if r in times],
        ),
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
