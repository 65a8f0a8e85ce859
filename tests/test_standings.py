"""The standings rules, value by value, on small rallies built through the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rally_standings.engine import Rally, Recorder, Standings
from rally_standings.engine._standings import gc_stages
from rally_standings.events import (
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    PenaltyImposed,
    PenaltyRescinded,
    QueryError,
    Record,
    ResultCorrected,
    RuleViolationError,
    StageCancelled,
    StageResultRecorded,
)
from rally_standings.outputs import to_data
from rally_standings.replays import load
from tests.helpers import MIN, car_penalty, car_result, examples
from tests.reference import (
    ReferenceRow,
    reference_gc,
    reference_gc_stages,
    reference_unclassified,
)
from tests.strategies import rally_records


def _stage(stage: int, minutes: dict[int, int]) -> list[Event]:
    """Stage ``stage``'s results, in order: each car's race number and its time in minutes."""
    return [car_result(number, stage, time) for number, time in minutes.items()]


def _build(path: Path, events: list[Event]) -> Rally:
    with Recorder(path) as recorder:
        recorder.append_many(events)
        return recorder.rally


def _table(rally: Rally, after: int, *, as_of: int | None = None) -> list[tuple[object, ...]]:
    standings = rally.standings("cars", after, as_of=as_of)
    return [(row.position_text, row.number, row.time_ms // MIN) for row in standings.rows]


def test_prologue_ranks_but_does_not_count(rally_log: Path) -> None:
    """A prologue has a stage ranking; the GC starts at the first special."""
    rally = _build(rally_log, [*_stage(1, {200: 5, 201: 4}), *_stage(2, {200: 60, 201: 62})])
    stage1 = rally.stage_result("cars", 1)
    assert [(row.number, row.position) for row in stage1.rows] == [("201", 1), ("200", 2)]
    before = rally.standings("cars", 1)  # no GC yet: empty, and no crew said to miss from it
    assert (before.before_gc, before.rows, before.unclassified) == (True, (), ())
    assert _table(rally, 2)[:2] == [("1", "200", 60), ("2", "201", 62)]


def test_ties_share_a_position_ordered_by_number(rally_log: Path) -> None:
    """Equal times share a position (1, 1, 3); within the tie the lower race number comes first."""
    rally = _build(rally_log, _stage(2, {202: 60, 200: 60, 201: 61, 203: 60}))
    assert _table(rally, 2) == [
        ("1", "200", 60),
        ("1", "202", 60),
        ("1", "203", 60),
        ("4", "201", 61),
    ]
    gaps = [row.gap_ms for row in rally.standings("cars", 2).rows]
    assert gaps == [None, 0, 0, MIN]


def test_gc_only_penalty_changes_gc_not_stage(rally_log: Path) -> None:
    """A GC-only penalty leaves the stage ranking alone; a stage penalty changes both."""
    rally = _build(
        rally_log,
        [
            *_stage(2, {200: 60, 201: 62, 202: 63}),
            car_penalty("P1", 200, 2, 5, "push", gc_only=True),
            car_penalty("P2", 201, 2, 2, "speeding"),
        ],
    )
    stage = rally.stage_result("cars", 2)
    assert [(row.number, row.time_ms // MIN, row.penalty_ms // MIN) for row in stage.rows] == [
        ("200", 60, 0),
        ("202", 63, 0),
        ("201", 64, 2),
    ]
    assert _table(rally, 2)[:3] == [("1", "202", 63), ("2", "201", 64), ("3", "200", 65)]


def test_bonus_is_a_negative_penalty(rally_log: Path) -> None:
    """A negative amount takes time off."""
    rally = _build(
        rally_log,
        [*_stage(2, {200: 60, 201: 59}), car_penalty("B", 200, 2, -2, "helped a crew")],
    )
    assert _table(rally, 2)[:2] == [("1", "200", 58), ("2", "201", 59)]


def test_rescinded_penalty_no_longer_counts_but_as_of_remembers(rally_log: Path) -> None:
    """After a rescission the penalty is gone; as of the seq before it, it still counts."""
    rally = _build(
        rally_log,
        [
            *_stage(2, {200: 60, 201: 62}),
            car_penalty("P1", 200, 2, 5, "push"),
            PenaltyRescinded(penalty_id="P1", reason="appeal upheld"),
        ],
    )
    rescinded_at = rally.last_seq
    assert _table(rally, 2)[:2] == [("1", "200", 60), ("2", "201", 62)]
    assert _table(rally, 2, as_of=rescinded_at - 1)[:2] == [("1", "201", 62), ("2", "200", 65)]


def test_cancelled_stage_counts_only_its_awarded_time(rally_log: Path) -> None:
    """A cancelled stage adds the awarded time to everyone still in; without one it adds nothing."""
    rally = _build(
        rally_log,
        [
            *_stage(2, {200: 60, 201: 61, 202: 70}),
            EntryRetired(entry_id="cars:202", stage=3, reason="fire"),
            StageCancelled(stage=3, categories=("cars",), reason="storm", awarded_ms=34 * MIN),
            StageCancelled(stage=4, categories=("cars", "bikes"), reason="security"),
        ],
    )
    assert _table(rally, 3)[:2] == [("1", "200", 94), ("2", "201", 95)]
    assert _table(rally, 4)[:2] == [("1", "200", 94), ("2", "201", 95)]
    awarded = rally.standings("cars", 3).rows[0].components[-1]
    assert (awarded.kind, awarded.stage, awarded.time_ms) == ("awarded", 3, 34 * MIN)
    assert rally.stage_result("cars", 3).cancelled_reason == "storm"
    unclassified = {u.number: u.reason for u in rally.standings("cars", 3).unclassified}
    assert unclassified["202"] == "retired at stage 3: fire"
    assert rally.default_stage("cars") == 3  # the last stage with results or an awarded time


def test_missing_result_and_retirement_are_unclassified(rally_log: Path) -> None:
    """No result for a counted stage, or a retirement, takes an entry out with a reason."""
    rally = _build(
        rally_log,
        [
            *_stage(2, {200: 60, 201: 61, 202: 62}),
            *_stage(3, {200: 60, 202: 60}),
            EntryRetired(entry_id="cars:202", stage=4, reason="gearbox", excluded=False),
            car_result(200, 4, 60),
        ],
    )
    standings = rally.standings("cars", 4)
    assert [row.number for row in standings.rows] == ["200"]
    assert [(u.number, u.reason) for u in standings.unclassified] == [
        ("201", "no time recorded for stage 3"),
        ("202", "retired at stage 4: gearbox"),
        ("203", "no time recorded for stage 2"),
    ]
    # after stage 3, 202 was still classified
    assert _table(rally, 3) == [("1", "200", 120), ("2", "202", 122)]


def test_combined_time_classifies_from_its_last_stage(rally_log: Path) -> None:
    """A combined time over stages 3-4 leaves the entry out after 3 and back in after 4."""
    rally = _build(
        rally_log,
        [
            *_stage(2, {200: 60, 201: 61}),
            car_result(200, 3, 60),
            car_result(200, 4, 60),
            car_result(201, 4, 118, first=3),
        ],
    )
    after3 = rally.standings("cars", 3)
    assert [row.number for row in after3.rows] == ["200"]
    assert after3.unclassified[0].reason == (
        "only one total time recorded for stages 3–4, known after stage 4"
    )
    assert _table(rally, 4)[:2] == [("1", "201", 179), ("2", "200", 180)]
    combined = rally.stage_result("cars", 4).combined
    assert [(c.number, c.first_stage, c.stage, c.time_ms // MIN) for c in combined] == [
        ("201", 3, 4, 118)
    ]


def test_correction_replaces_the_time_and_is_explained(rally_log: Path) -> None:
    """A correction wins over the recorded time; the explanation keeps both."""
    rally = _build(
        rally_log,
        [
            *_stage(2, {200: 60, 201: 61}),
            ResultCorrected(entry_id="cars:201", stage=2, time_ms=59 * MIN, reason="timing error"),
        ],
    )
    assert _table(rally, 2)[:2] == [("1", "201", 59), ("2", "200", 60)]
    part = rally.standings("cars", 2).rows[0].components[0]
    assert (part.time_ms, part.recorded_ms) == (59 * MIN, 61 * MIN)
    assert "timing error" in part.note


def test_coverage_marks_positions_beyond_the_known_prefix(rally_log: Path) -> None:
    """With only the GC top 2 known, positions from 3 on are uncertain (shown as ≥3)."""
    rally = _build(
        rally_log,
        [
            *_stage(2, {200: 60, 201: 61, 202: 62, 203: 62}),
            FieldCoverageDeclared(category="cars", stage=2, stage_known=3, gc_known=2),
        ],
    )
    assert _table(rally, 2) == [
        ("1", "200", 60),
        ("2", "201", 61),
        ("≥3", "202", 62),
        ("≥3", "203", 62),
    ]
    stage = rally.stage_result("cars", 2)
    assert [row.position_text for row in stage.rows] == ["1", "2", "3", "3"]
    json_rows = to_data(rally.standings("cars", 2))["rows"]
    assert [r["position_certain"] for r in json_rows] == [True, True, False, False]


def test_explanation_adds_up(rally_log: Path) -> None:
    """Each row's components (results, penalties, awarded times) sum to its time, with seqs."""
    rally = _build(
        rally_log,
        [
            car_result(200, 2, 60),
            car_result(200, 3, 61),
            car_penalty("P1", 200, 3, 1, "late", gc_only=True),
        ],
    )
    row = rally.standings("cars", 3).rows[0]
    assert [(c.kind, c.stage, c.time_ms // MIN) for c in row.components] == [
        ("result", 2, 60),
        ("result", 3, 61),
        ("penalty", 3, 1),
    ]
    assert sum(c.time_ms for c in row.components) == row.time_ms
    assert all(c.seq > 0 for c in row.components)


def test_query_errors_are_clear(rally_log: Path) -> None:
    """Unknown categories, stages and sequences raise QueryError saying what exists."""
    rally = _build(rally_log, [car_result(200, 2, 60)])
    with pytest.raises(QueryError, match=r"unknown category.*expected one of cars, bikes"):
        rally.standings("quads")
    with pytest.raises(QueryError, match="unknown stage"):
        rally.standings("cars", 12)
    with pytest.raises(QueryError, match="no such log sequence"):
        rally.standings("cars", as_of=10_000)
    with pytest.raises(QueryError, match="no results yet"):
        rally.standings("bikes")


def test_as_of_equals_a_log_truncated_there(rally_log: Path) -> None:
    """Standings as of seq S equal those of a log holding only records 1..S."""
    rally = _build(
        rally_log,
        [
            *_stage(2, {200: 60, 201: 61}),
            *_stage(3, {200: 60, 201: 58}),
            car_penalty("P1", 201, 3, 5, "late"),
        ],
    )
    for seq in range(rally.last_seq - 4, rally.last_seq + 1):
        truncated = Rally(rally.records[:seq])
        assert rally.standings("cars", as_of=seq).rows == truncated.standings("cars").rows


def test_shipped_example_replays_to_known_values() -> None:
    """The shipped example rally gives the values checked by hand in its builder."""
    rally = load("example-rally")
    cars = rally.standings("cars")
    assert [(r.number, r.time_ms) for r in cars.rows] == [
        ("200", 48_485_000),
        ("201", 48_760_000),
        ("202", 48_912_000),
        ("204", 49_046_000),
    ]
    bikes4 = rally.standings("bikes", 4)
    assert [(r.number, r.time_ms) for r in bikes4.rows][:3] == [
        ("2", 34_870_000),
        ("1", 34_955_000),
        ("5", 34_982_000),
    ]


def test_combined_time_around_a_stage_timed_on_its_own(rally_log: Path) -> None:
    """A span 2-4 recorded after a stage-3 result stands for stages 2 and 4 only.

    Historical sources print a stage time inside a stretch known only as a total.
    """
    rally = _build(
        rally_log,
        [
            car_result(200, 2, 60),
            car_result(200, 3, 60),
            car_result(200, 4, 60),
            car_result(201, 3, 58),
            car_result(201, 4, 121, first=2),
        ],
    )
    standings = rally.standings("cars", 4)
    assert [(r.number, r.time_ms // MIN) for r in standings.rows] == [("201", 179), ("200", 180)]
    notes = [c.note for c in standings.rows[0].components]
    assert notes == [
        "stage 3 result",
        "combined result for stages 2–4 (stage 3 has a time of its own)",
    ]
    assert [r.number for r in rally.stage_result("cars", 3).rows] == ["201", "200"]
    with Recorder(rally_log) as recorder, pytest.raises(RuleViolationError):
        recorder.append(car_result(201, 3, 1))  # stage 3 already has its own result


def _as_reference(standings: Standings) -> list[ReferenceRow]:
    return [
        ReferenceRow(row.position, row.position_certain, row.entry_id, row.time_ms)
        for row in standings.rows
    ]


@settings(max_examples=examples(80))
@given(rally_records())
def test_every_way_of_computing_a_gc_equals_the_reference(records: list[Record]) -> None:
    """One stage, every stage and a rally's cache all give the rules' answer, parts included.

    The reference (tests/reference.py) works from the records alone; the sum of
    each row's components is its time; the leaders and the runner-up, built alone,
    are the first rows of the whole table.
    """
    rally = Rally(records)
    for category in rally.categories:
        stages = gc_stages(rally.view, category)
        assert stages == reference_gc_stages(records, category)
        for stage in reversed(stages):  # the cache asked backwards, each stage alone forwards
            assert _as_reference(rally.standings(category, stage)) == reference_gc(
                records, category, stage
            )
        for stage in stages:
            expected = reference_gc(records, category, stage)
            every = Rally(records).standings(category, stage)
            assert _as_reference(every) == expected
            assert _as_reference(rally.standings(category, stage)) == expected
            assert [u.entry_id for u in every.unclassified] == reference_unclassified(
                records, category, stage
            )
            for row in every.rows:
                assert sum(part.time_ms for part in row.components) == row.time_ms
            fresh = Rally(records).standings(category, stage)  # its rows not yet built
            assert fresh.leaders() == tuple(r for r in every.rows if r.position == 1)
            assert fresh.runner_up() == (every.rows[1] if len(every.rows) > 1 else None)
            assert fresh.leaders() == every.leaders()
            assert fresh.runner_up() == every.runner_up()


def test_unclassified_statuses_tell_out_of_the_rally_from_not_documented() -> None:
    """A crew whose time the source does not print is `not-documented`, not out of the rally.

    Vatanen (won stage 4) and McRae (won stages 13 and 17) are missing from the
    2004 cars GC only because the article prints the top 3; Sainct (second in
    bikes) likewise after stage 2. A retirement of example-rally is `retired`.
    """
    cars = to_data(load("dakar-2004").standings("cars"))["unclassified"]
    status = {item["crew"][0]: item["status"] for item in cars}
    assert status["Ari Vatanen"] == "not-documented"
    assert status["Colin McRae"] == "not-documented"
    assert set(status.values()) == {"not-documented"}
    bikes = to_data(load("dakar-2004").standings("bikes", 2))["unclassified"]
    assert {item["crew"][0]: item["status"] for item in bikes}["Richard Sainct"] == (
        "not-documented"
    )
    example = to_data(load("example-rally").standings("cars"))["unclassified"]
    assert [(item["number"], item["status"], item["reason"]) for item in example] == [
        ("203", "retired", "retired at stage 3: broken suspension")
    ]


@settings(max_examples=examples(60))
@given(st.data())
def test_standings_kept_up_to_date_equal_the_reference_after_every_append(
    data: st.DataObject,
) -> None:
    """A rally that follows its log event by event answers as a full recompute would.

    After each event the GC after the last stage (where a new time is folded in
    place, one key out and one in) and after a random stage are compared with
    the reference; every few events the whole replay is too.
    """
    records = data.draw(rally_records())
    rally = Rally(records[:1])
    for count in range(2, len(records) + 1):
        rally.extend([records[count - 1]])
        so_far = records[:count]
        for category in rally.categories:
            stages = reference_gc_stages(so_far, category)
            if not stages:
                continue
            for stage in (stages[-1], data.draw(st.sampled_from(stages))):
                expected = reference_gc(so_far, category, stage)
                assert _as_reference(rally.standings(category, stage)) == expected
            if count % 7 == 0:
                try:
                    replay = rally.replay(category)
                except QueryError:
                    continue  # no results yet
                for standings in replay:
                    if standings.before_gc:  # only a prologue run yet: no GC, and it says so
                        assert not standings.rows
                        assert standings.after_stage not in stages
                        continue
                    expected = reference_gc(so_far, category, standings.after_stage)
                    assert _as_reference(standings) == expected


@settings(max_examples=80)
@given(st.data())
def test_times_folded_in_place_at_the_open_stage_equal_the_reference(
    data: st.DataObject,
) -> None:
    """Results, penalties, rescissions and corrections arriving on the last stage, one by one.

    This is the live case (a stage being run): each is folded into the cached
    GC of that stage in place; after each the GC equals the reference.
    """
    records = data.draw(rally_records(max_events=20))
    rally = Rally(records)
    fold = rally.fold
    stages = fold.stage_numbers()
    last = stages[-1]
    entries = [e.entry_id for e in fold.entries()]
    events = data.draw(
        st.lists(
            st.one_of(
                st.builds(
                    StageResultRecorded,
                    entry_id=st.sampled_from(entries),
                    stage=st.just(last),
                    time_ms=st.integers(min_value=1, max_value=30).map(lambda m: m * 60_000),
                ),
                st.builds(
                    PenaltyImposed,
                    penalty_id=st.sampled_from(["L1", "L2", "L3"]),
                    entry_id=st.sampled_from(entries),
                    stage=st.just(last),
                    amount_ms=st.sampled_from([-60_000, 120_000]),
                    reason=st.just("live"),
                    gc_only=st.booleans(),
                ),
                st.builds(
                    PenaltyRescinded,
                    penalty_id=st.sampled_from(["L1", "L2"]),
                    reason=st.just("appeal"),
                ),
                st.builds(
                    ResultCorrected,
                    entry_id=st.sampled_from(entries),
                    stage=st.just(last),
                    time_ms=st.integers(min_value=1, max_value=30).map(lambda m: m * 60_000),
                ),
            ),
            max_size=25,
        )
    )
    so_far = list(records)
    for event in events:
        record = Record(len(so_far) + 1, event)
        for category in rally.categories:
            if last in reference_gc_stages(so_far, category):
                rally.standings(category, last)  # the sums now stand at the last stage
        try:
            rally.extend([record])  # a refused event changes nothing
        except RuleViolationError:
            continue
        so_far.append(record)
        for category in rally.categories:
            if last in reference_gc_stages(so_far, category):
                expected = reference_gc(so_far, category, last)
                assert _as_reference(rally.standings(category, last)) == expected


@settings(max_examples=60)
@given(rally_records())
def test_positions_are_the_rows_as_tuples(records: list[Record]) -> None:
    """`Standings.positions()` says exactly what `rows` says: id, time, position, certainty."""
    rally = Rally(records)
    for category in rally.categories:
        for stage in reference_gc_stages(records, category):
            standings = rally.standings(category, stage)
            assert standings.positions() == [
                (r.entry_id, r.time_ms, r.position, r.position_certain) for r in standings.rows
            ]
