"""Hypothesis strategies: single events of every type, and whole valid rally logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from rally_standings import events
from rally_standings.engine import Fold

CATEGORIES = ("bikes", "cars", "trucks")

text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc", "Zl", "Zp"),
        exclude_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() != "")
"""Free text an event accepts: one line, no control character or bidi override."""
race_numbers = st.from_regex(r"[0-9]{1,6}", fullmatch=True)
slugs = st.sampled_from(CATEGORIES)
nations = st.none() | st.sampled_from(["FRA", "ESP", "JPN", "RUS", "AND", "NED"])
people = st.builds(events.Person, name=text, nationality=nations)
provenances = st.builds(
    events.Provenance, kind=st.sampled_from(list(events.SourceKind)), detail=st.none() | text
)
millis = st.integers(min_value=1, max_value=200 * 3_600_000)
stage_numbers = st.integers(min_value=0, max_value=30)


@st.composite
def stage_scheduled(draw: st.DrawFn) -> events.StageScheduled:
    categories = draw(st.lists(slugs, min_size=1, max_size=3, unique=True))
    rules = tuple(
        events.StageRule(c, draw(st.sampled_from(list(events.StageKind)))) for c in categories
    )
    return events.StageScheduled(
        stage=draw(stage_numbers),
        rules=rules,
        date=draw(st.none() | st.dates().map(lambda d: d.isoformat())),
        start=draw(st.none() | text),
        finish=draw(st.none() | text),
        distance_km=draw(st.none() | st.integers(min_value=1, max_value=2000)),
        provenance=draw(provenances),
    )


@st.composite
def result_recorded(draw: st.DrawFn) -> events.StageResultRecorded:
    stage = draw(st.integers(min_value=1, max_value=30))
    first = draw(st.none() | st.integers(min_value=0, max_value=stage - 1))
    return events.StageResultRecorded(
        entry_id=draw(text),
        stage=stage,
        time_ms=draw(millis),
        first_stage=first,
        provenance=draw(provenances),
    )


def _event(cls: type, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Events of type ``cls``: each field drawn from its strategy, with any provenance."""
    return st.builds(cls, **fields, provenance=provenances)


def waypoint_events(
    build: Callable[..., st.SearchStrategy[Any]],
    *,
    entry_id: st.SearchStrategy[str],
    stage: st.SearchStrategy[int],
    waypoint: st.SearchStrategy[int],
    time_ms: st.SearchStrategy[int],
    reason: st.SearchStrategy[str],
    correction_reason: st.SearchStrategy[str] | None = None,
) -> tuple[
    st.SearchStrategy[events.WaypointRecorded],
    st.SearchStrategy[events.WaypointCorrected],
    st.SearchStrategy[events.WaypointWithdrawn],
]:
    """A time at a waypoint recorded, corrected and withdrawn: the three events, each at an
    entry, stage and waypoint drawn from the strategies given and made by ``build``
    (``st.builds``, or one that adds fields). A withdrawal gives a ``reason``, a correction
    its ``correction_reason`` (without one, the event's default)."""
    at = {"entry_id": entry_id, "stage": stage, "waypoint": waypoint}
    why = {} if correction_reason is None else {"reason": correction_reason}
    return (
        build(events.WaypointRecorded, **at, time_ms=time_ms),
        build(events.WaypointCorrected, **at, time_ms=time_ms, **why),
        build(events.WaypointWithdrawn, **at, reason=reason),
    )


any_event: st.SearchStrategy[events.Event] = st.one_of(
    _event(
        events.RallyDeclared,
        rally_id=st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True),
        name=text,
        year=st.integers(min_value=1, max_value=3000),
        categories=st.lists(slugs, min_size=1, unique=True).map(tuple),
    ),
    _event(
        events.EntryRegistered,
        entry_id=text,
        category=slugs,
        number=st.none() | race_numbers,
        crew=st.lists(people, min_size=1, max_size=3).map(tuple),
        make=st.none() | text,
        entrant=st.none() | text,
        entry_class=st.none() | text,
    ),
    stage_scheduled(),
    result_recorded(),
    _event(events.ResultCorrected, entry_id=text, stage=stage_numbers, time_ms=millis, reason=text),
    _event(events.ResultWithdrawn, entry_id=text, stage=stage_numbers, reason=text),
    _event(
        events.PenaltyImposed,
        penalty_id=text,
        entry_id=text,
        stage=stage_numbers,
        amount_ms=st.integers(min_value=-36_000_000, max_value=36_000_000).filter(bool),
        reason=text,
        gc_only=st.booleans(),
    ),
    _event(events.PenaltyRescinded, penalty_id=text, reason=text),
    _event(
        events.StageCancelled,
        stage=stage_numbers,
        categories=st.lists(slugs, min_size=1, unique=True).map(tuple),
        reason=text,
        awarded_ms=st.none() | millis,
    ),
    _event(
        events.EntryRetired, entry_id=text, stage=stage_numbers, reason=text, excluded=st.booleans()
    ),
    *waypoint_events(
        _event,
        entry_id=text,
        stage=stage_numbers,
        waypoint=st.integers(min_value=1, max_value=60),
        time_ms=millis,
        reason=text,
        correction_reason=text,
    ),
    _event(
        events.FieldCoverageDeclared,
        category=slugs,
        stage=stage_numbers,
        stage_known=st.none() | st.integers(min_value=0, max_value=10),
        gc_known=st.none() | st.integers(min_value=0, max_value=10),
    ),
)


@st.composite
def rally_records(draw: st.DrawFn, *, max_events: int = 60) -> list[events.Record]:
    """A valid rally log: candidate events drawn from a small universe, kept if the fold accepts.

    The small universe (3 categories, up to 6 stages, up to 5 entries per
    category, few penalty ids) makes collisions, spans, ties, cancellations,
    rescissions and retirements common.
    """
    categories = tuple(draw(st.lists(slugs, min_size=1, max_size=3, unique=True)))
    records = [
        events.Record(
            1,
            events.RallyDeclared(
                rally_id="r", name="Random Rally", year=2024, categories=categories
            ),
        )
    ]
    fold = Fold().apply_all(records)
    n_stages = draw(st.integers(min_value=1, max_value=6))
    for stage in range(1, n_stages + 1):
        rules = tuple(
            events.StageRule(
                c, draw(st.sampled_from([events.StageKind.SPECIAL] * 4 + list(events.StageKind)))
            )
            for c in categories
        )
        record = events.Record(len(records) + 1, events.StageScheduled(stage=stage, rules=rules))
        fold.apply(record)
        records.append(record)
    entries = [
        (c, str(n)) for c in categories for n in range(draw(st.integers(min_value=1, max_value=5)))
    ]
    for category, number in entries:
        record = events.Record(
            len(records) + 1,
            events.EntryRegistered(
                entry_id=f"{category}:{number}",
                category=category,
                number=number,
                crew=(events.Person(f"Driver {category} {number}"),),
            ),
        )
        fold.apply(record)
        records.append(record)
    entry_ids = st.sampled_from([f"{c}:{n}" for c, n in entries])
    stages = st.integers(min_value=1, max_value=n_stages)
    small_times = st.integers(min_value=1, max_value=20).map(lambda m: m * 60_000)
    candidates: st.SearchStrategy[Any] = st.one_of(
        st.builds(
            events.StageResultRecorded, entry_id=entry_ids, stage=stages, time_ms=small_times
        ),
        st.builds(
            events.StageResultRecorded, entry_id=entry_ids, stage=stages, time_ms=small_times
        ),
        st.builds(
            lambda e, a, b, t: (
                events.StageResultRecorded(
                    entry_id=e, stage=max(a, b), first_stage=min(a, b), time_ms=t
                )
                if a != b
                else events.StageResultRecorded(entry_id=e, stage=a, time_ms=t)
            ),
            entry_ids,
            stages,
            stages,
            small_times,
        ),
        st.builds(events.ResultCorrected, entry_id=entry_ids, stage=stages, time_ms=small_times),
        st.builds(events.ResultWithdrawn, entry_id=entry_ids, stage=stages, reason=st.just("w")),
        st.builds(
            events.PenaltyImposed,
            penalty_id=st.sampled_from(["P1", "P2", "P3", "P4"]),
            entry_id=entry_ids,
            stage=stages,
            amount_ms=st.sampled_from([-60_000, 60_000, 300_000]),
            reason=st.just("test"),
            gc_only=st.booleans(),
        ),
        st.builds(
            events.PenaltyRescinded,
            penalty_id=st.sampled_from(["P1", "P2", "P3"]),
            reason=st.just("x"),
        ),
        st.builds(
            events.StageCancelled,
            stage=stages,
            categories=st.lists(st.sampled_from(categories), min_size=1, unique=True).map(tuple),
            reason=st.just("weather"),
            awarded_ms=st.none() | small_times,
        ),
        st.builds(events.EntryRetired, entry_id=entry_ids, stage=stages, reason=st.just("engine")),
        *waypoint_events(
            st.builds,
            entry_id=entry_ids,
            stage=stages,
            waypoint=st.integers(min_value=1, max_value=3),
            time_ms=small_times,
            reason=st.just("w"),
        ),
        st.builds(
            events.FieldCoverageDeclared,
            category=st.sampled_from(categories),
            stage=stages,
            gc_known=st.none() | st.integers(min_value=0, max_value=4),
            stage_known=st.none() | st.integers(min_value=0, max_value=4),
        ),
    )
    for event in draw(st.lists(candidates, max_size=max_events)):
        record = events.Record(len(records) + 1, event)
        try:
            fold.apply(record)
        except events.RuleViolationError:
            continue
        records.append(record)
    return records
