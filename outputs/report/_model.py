"""What a page shows of one category, gathered from the engine's public API."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ...engine import PenaltyListing, Rally, StageResult, Standings, penalties
from ...events import QueryError, StageKind, StageScheduled
from .._text import Reference, find_crew

__all__ = ["Cancellation", "Hypothesis", "View", "make_view", "reference_in"]


@attrs.frozen
class Hypothesis:
    """A what-if question: the ``whatif`` command's options."""

    penalties: tuple[str, ...] = ()
    rescind: tuple[str, ...] = ()
    results: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.penalties or self.rescind or self.results)


@attrs.frozen
class Cancellation:
    """A stage cancelled for the category, and the time awarded to all (if any)."""

    stage: int
    seq: int
    reason: str
    awarded_ms: int | None


@attrs.frozen
class View:
    """One category of one rally (actual or hypothetical), as the page shows it."""

    rally: Rally
    category: str
    snapshots: tuple[Standings, ...]
    stage_results: tuple[StageResult, ...]
    listings: tuple[PenaltyListing, ...]
    cancelled: tuple[Cancellation, ...]
    schedule: dict[int, StageScheduled]
    real_last_seq: int
    """The last record of the real log: a seq beyond it belongs to a hypothetical event."""
    reference: Reference | None = None
    entry_class: str | None = None
    """Only this class of the category (its positions 1…n), if one was chosen."""
    waypoints: tuple[Standings, ...] = ()
    """The virtual GC at each waypoint of one stage, for the waypoint chart (if asked for)."""

    @property
    def final(self) -> Standings:
        """The GC after the last stage shown."""
        return self.snapshots[-1]

    def snapshot(self, stage: int) -> Standings | None:
        """The GC after ``stage``, if there is one."""
        return next((s for s in self.snapshots if s.after_stage == stage), None)

    @property
    def awarded_stages(self) -> tuple[int, ...]:
        """Stages cancelled with the same time awarded to every crew."""
        return tuple(c.stage for c in self.cancelled if c.awarded_ms)

    @property
    def void_stages(self) -> tuple[int, ...]:
        """Stages cancelled with no time awarded (they do not count)."""
        return tuple(c.stage for c in self.cancelled if not c.awarded_ms)

    def real(self, seq: int) -> bool:
        """Whether record ``seq`` is in the real log (not a hypothetical event)."""
        return seq <= self.real_last_seq


def make_view(
    rally: Rally,
    category: str,
    snapshots: Sequence[Standings],
    as_of: int | None,
    *,
    real_last_seq: int | None = None,
    reference: Reference | None = None,
    entry_class: str | None = None,
    waypoint_stage: int | None = None,
) -> View:
    """The view of ``category`` of ``rally`` as known at ``as_of`` (of one class, if given;
    with the virtual GC at each waypoint of ``waypoint_stage``, if given)."""
    base = rally.as_of(as_of)
    fold = base.fold  # the schedule and cancellations come from the fold, not from every record
    schedule: dict[int, StageScheduled] = {}
    for number in fold.stage_numbers():
        scheduled = fold.stage(number)
        assert scheduled is not None
        schedule[number] = scheduled
    cancelled = {
        state.event.stage: Cancellation(
            state.event.stage, state.seq, state.event.reason, state.event.awarded_ms
        )
        for state in fold.cancellations(category)
    }
    stage_results = tuple(
        base.stage_result(category, stage, entry_class=entry_class)
        for stage in base.stages()
        if stage in schedule and schedule[stage].kind_for(category) != StageKind.LIAISON
    )
    waypoints: tuple[Standings, ...] = ()
    if waypoint_stage is not None:
        numbers = fold.waypoints(waypoint_stage)
        if not numbers:
            raise QueryError(
                "no waypoint times on this stage",
                where=f"--waypoint-stage {waypoint_stage}",
                expected="a stage with waypoint splits recorded",
                received=waypoint_stage,
            )
        waypoints = tuple(
            base.waypoint_standings(category, waypoint_stage, number).of_class(entry_class)
            for number in numbers
        )
    return View(
        rally=base,
        category=category,
        snapshots=tuple(s.of_class(entry_class) for s in snapshots),
        stage_results=stage_results,
        listings=penalties(base, category),
        cancelled=tuple(cancelled[stage] for stage in sorted(cancelled)),
        schedule=schedule,
        real_last_seq=base.last_seq if real_last_seq is None else real_last_seq,
        reference=reference,
        entry_class=entry_class,
        waypoints=waypoints,
    )


def reference_in(rally: Rally, category: str, ref: str | None) -> Reference | None:
    """The crew ``ref`` names in ``category``, or None (no ``ref``, or not of this category)."""
    if ref is None:
        return None
    try:
        entry = find_crew(rally, category, ref)
    except QueryError as error:
        if error.what == "ambiguous name":
            raise  # a name two crews share is refused, naming both, not silently skipped
        return None
    return Reference(entry.entry_id, entry.number, entry.crew)
