"""Every recorded number can be corrected or withdrawn by an event of its own (issue 20,
finding 1): a split corrected or withdrawn, a result withdrawn and given a time again; the
first time stays in the log, and every answer as of any record is a fresh fold's."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rally_standings import events
from rally_standings.engine import Fold, Rally, Recorder, View, create_log
from rally_standings.events import QueryError, Record, RuleViolationError
from tests.helpers import examples


def _rally(path: Path) -> Path:
    """Cars 1-4, two specials; stage 1 timed; splits of stage 2 at waypoints 1 and 2."""
    create_log(path, events.RallyDeclared(rally_id="a", name="A", year=2026, categories=("cars",)))
    special = (events.StageRule("cars", events.StageKind.SPECIAL),)
    batch: list[events.Event] = [events.StageScheduled(stage=n, rules=special) for n in (1, 2)]
    batch += [
        events.EntryRegistered(
            entry_id=f"cars:{n}", category="cars", number=str(n), crew=(events.Person(f"D{n}"),)
        )
        for n in (1, 2, 3, 4)
    ]
    batch += [
        events.StageResultRecorded(entry_id=f"cars:{n}", stage=1, time_ms=t * 60_000)
        for n, t in {1: 100, 2: 101, 3: 102, 4: 103}.items()
    ]
    batch += [
        events.WaypointRecorded(entry_id=f"cars:{n}", stage=2, waypoint=w, time_ms=t * 60_000)
        for (n, w), t in {(1, 1): 30, (2, 1): 29, (1, 2): 60, (2, 2): 20}.items()
    ]
    with Recorder(path) as recorder:
        recorder.append_many(batch)
    return path


def test_a_split_is_corrected_and_withdrawn_and_read_as_of_any_record(tmp_path: Path) -> None:
    """Car 2's time at waypoint 2 (0:20:00, before its 0:29:00 at waypoint 1) is corrected to
    1:05:00, then withdrawn: the waypoint's ranking follows each step, and as of each earlier
    record it is as it was; the split's history keeps the first time."""
    log = _rally(tmp_path / "a.rallylog")
    with Recorder(log) as recorder:
        corrected = recorder.append(
            events.WaypointCorrected(
                entry_id="cars:2", stage=2, waypoint=2, time_ms=65 * 60_000, reason="misread"
            )
        )
        withdrawn = recorder.append(
            events.WaypointWithdrawn(entry_id="cars:2", stage=2, waypoint=2, reason="wrong car")
        )
        rally = recorder.rally

    def at_2(seq: int | None) -> list[tuple[str | None, int]]:
        result = rally.stage_result("cars", 2, waypoint=2, as_of=seq)
        return [(row.number, row.time_ms // 60_000) for row in result.rows]

    assert at_2(corrected.seq - 1) == [("2", 20), ("1", 60)]
    assert at_2(corrected.seq) == [("1", 60), ("2", 65)]
    assert at_2(withdrawn.seq) == [("1", 60)]
    view = rally.view
    split = view.split_row(2, 2, "cars:2")
    assert split is not None
    state = view.split_state(split)
    assert (state.recorded_ms, state.time_ms, state.replaced) == (
        20 * 60_000,
        65 * 60_000,
        (20 * 60_000, state.seq),
    )
    assert state.withdrawal is not None
    assert state.withdrawal.reason == "wrong car"
    assert view.at(corrected.seq).split_time(split) == 65 * 60_000
    assert view.split_time(split) is None


def test_a_result_is_withdrawn_then_given_a_time_again(tmp_path: Path) -> None:
    """Car 1's stage 1 time withdrawn: it leaves the GC, listed with the withdrawal and its
    reason; a second result there is refused (the correction gives it a time again, and it is
    back in the GC); before the withdrawal, as of then, it led."""
    log = _rally(tmp_path / "a.rallylog")
    with Recorder(log) as recorder:
        withdrawn = recorder.append(
            events.ResultWithdrawn(entry_id="cars:1", stage=1, reason="time of car 11")
        )
        with pytest.raises(RuleViolationError, match="already has a result for stage 1"):
            recorder.append(
                events.StageResultRecorded(entry_id="cars:1", stage=1, time_ms=99 * 60_000)
            )
        with pytest.raises(RuleViolationError, match="result already withdrawn"):
            recorder.append(events.ResultWithdrawn(entry_id="cars:1", stage=1, reason="again"))
        gone = recorder.rally.standings("cars", 1)
        back = recorder.append(
            events.ResultCorrected(entry_id="cars:1", stage=1, time_ms=104 * 60_000)
        )
        rally = recorder.rally
    assert [row.number for row in gone.rows] == ["2", "3", "4"]
    (missing,) = gone.unclassified
    assert missing.reason == "stage 1 result withdrawn: time of car 11"
    assert [row.number for row in rally.standings("cars", 1).rows] == ["2", "3", "4", "1"]
    before = rally.standings("cars", 1, as_of=withdrawn.seq - 1)
    assert [row.number for row in before.rows] == ["1", "2", "3", "4"]
    assert rally.stage_result("cars", 1, as_of=withdrawn.seq).rows[0].number == "2"
    state = rally.view.result("cars:1", 1)
    assert state is not None
    assert (state.withdrawal, state.time_ms, state.replaced) == (
        None,
        104 * 60_000,
        (100 * 60_000, state.seq),
    )
    assert back.seq == rally.last_seq


def test_a_withdrawn_result_no_longer_holds_a_retirement_back(tmp_path: Path) -> None:
    """A stage 2 time recorded for a crew that had in fact retired at stage 1: its retirement
    there is refused while the time stands, accepted once it is withdrawn, and giving the time
    back is then refused."""
    log = _rally(tmp_path / "a.rallylog")
    with Recorder(log) as recorder:
        recorder.append(events.StageResultRecorded(entry_id="cars:4", stage=2, time_ms=60_000))
        with pytest.raises(RuleViolationError, match="has a result for stage 2"):
            recorder.append(events.EntryRetired(entry_id="cars:4", stage=1, reason="gearbox"))
        recorder.append(events.ResultWithdrawn(entry_id="cars:4", stage=2, reason="was a DNF"))
        recorder.append(events.EntryRetired(entry_id="cars:4", stage=1, reason="gearbox"))
        with pytest.raises(RuleViolationError, match="retired at stage 1"):
            recorder.append(events.ResultCorrected(entry_id="cars:4", stage=2, time_ms=60_000))


def test_amendments_of_what_is_not_there_are_refused(tmp_path: Path) -> None:
    """A correction or withdrawal of a split never recorded, or one already withdrawn, and a
    correction that changes nothing: refused, naming what was expected."""
    log = _rally(tmp_path / "a.rallylog")
    with Recorder(log) as recorder:
        cases: list[tuple[events.Event, str]] = [
            (
                events.WaypointCorrected(entry_id="cars:3", stage=2, waypoint=1, time_ms=1000),
                "no time to correct",
            ),
            (
                events.WaypointWithdrawn(entry_id="cars:3", stage=2, waypoint=1, reason="x"),
                "no time to withdraw",
            ),
            (
                events.WaypointCorrected(
                    entry_id="cars:1", stage=2, waypoint=1, time_ms=30 * 60_000
                ),
                "the correction changes nothing",
            ),
            (events.ResultWithdrawn(entry_id="cars:1", stage=2, reason="x"), "no result to"),
        ]
        for event, message in cases:
            with pytest.raises(RuleViolationError, match=message):
                recorder.append(event)
        recorder.append(
            events.WaypointWithdrawn(entry_id="cars:1", stage=2, waypoint=1, reason="x")
        )
        with pytest.raises(RuleViolationError, match="time already withdrawn"):
            recorder.append(
                events.WaypointWithdrawn(entry_id="cars:1", stage=2, waypoint=1, reason="y")
            )
        with pytest.raises(RuleViolationError, match="waypoint-corrected event"):
            recorder.append(
                events.WaypointRecorded(entry_id="cars:1", stage=2, waypoint=1, time_ms=1000)
            )


def _answers(view: View, rally: Rally, seq: int) -> list[object]:
    """Every read of times as of ``seq``: each GC, stage ranking and waypoint's times."""
    found: list[object] = []
    for category in rally.categories:
        for stage in view.stage_numbers():
            for read in (rally.standings, rally.stage_result):
                try:
                    answer = read(category, stage, as_of=seq)
                except QueryError as error:
                    found.append(error.what)
                    continue
                rows = [(r.entry_id, r.time_ms, r.position) for r in answer.rows]
                found.append(rows)
            for waypoint in view.waypoints(stage, category):
                found.append(sorted(view.split_times(stage, waypoint).items()))
    return found


@st.composite
def amended_records(draw: st.DrawFn) -> list[Record]:
    """A rally of 4 cars over stages 1-3 whose results and splits are recorded, corrected and
    withdrawn in a drawn order (what the fold refuses is left out), among retirements and
    penalties."""
    records = list(_base_records())
    fold = Fold().apply_all(records)
    entry = st.sampled_from([f"cars:{n}" for n in (1, 2, 3, 4)])
    stage = st.integers(min_value=1, max_value=3)
    waypoint = st.integers(min_value=1, max_value=2)
    minutes = st.integers(min_value=1, max_value=9).map(lambda m: m * 60_000)
    candidates = st.one_of(
        st.builds(events.StageResultRecorded, entry_id=entry, stage=stage, time_ms=minutes),
        st.builds(events.ResultCorrected, entry_id=entry, stage=stage, time_ms=minutes),
        st.builds(events.ResultWithdrawn, entry_id=entry, stage=stage, reason=st.just("w")),
        st.builds(
            events.WaypointRecorded, entry_id=entry, stage=stage, waypoint=waypoint, time_ms=minutes
        ),
        st.builds(
            events.WaypointCorrected,
            entry_id=entry,
            stage=stage,
            waypoint=waypoint,
            time_ms=minutes,
        ),
        st.builds(
            events.WaypointWithdrawn,
            entry_id=entry,
            stage=stage,
            waypoint=waypoint,
            reason=st.just("w"),
        ),
        st.builds(events.EntryRetired, entry_id=entry, stage=stage, reason=st.just("r")),
        st.builds(
            events.PenaltyImposed,
            penalty_id=st.sampled_from(["P1", "P2"]),
            entry_id=entry,
            stage=stage,
            amount_ms=st.sampled_from([-60_000, 120_000]),
            reason=st.just("p"),
        ),
    )
    for event in draw(st.lists(candidates, min_size=5, max_size=40)):
        record = Record(len(records) + 1, event)
        try:
            fold.apply(record)
        except RuleViolationError:
            continue
        records.append(record)
    return records


def _base_records() -> list[Record]:
    special = (events.StageRule("cars", events.StageKind.SPECIAL),)
    batch: list[events.Event] = [
        events.RallyDeclared(rally_id="a", name="A", year=2026, categories=("cars",)),
        *(events.StageScheduled(stage=n, rules=special) for n in (1, 2, 3)),
        *(
            events.EntryRegistered(
                entry_id=f"cars:{n}", category="cars", number=str(n), crew=(events.Person("D"),)
            )
            for n in (1, 2, 3, 4)
        ),
    ]
    return [Record(seq, event) for seq, event in enumerate(batch, start=1)]


@settings(max_examples=examples(60))
@given(amended_records())
def test_every_answer_as_of_a_record_is_a_fresh_fold_of_the_log_to_there(
    records: list[Record],
) -> None:
    """Results and splits recorded, corrected and withdrawn in any order: as of each record,
    every GC, stage ranking and waypoint's times equal those of a fold of the records up to
    it, and the rally followed append by append (its caches) answers as a fresh one does."""
    rally = Rally(records)
    followed = Rally(records[:8])
    for seq in range(8, len(records) + 1):
        fresh = Rally(records[:seq])
        assert _answers(rally.view.at(seq), rally, seq) == _answers(fresh.view, fresh, seq)
        if seq > 8:
            followed.extend([records[seq - 1]])
        assert _answers(followed.view, followed, seq) == _answers(fresh.view, fresh, seq)


def test_corrections_and_withdrawals_are_exported_one_row_each(tmp_path: Path) -> None:
    """`standings export`: a corrected split is a row of `corrections` with its waypoint, a
    withdrawn split and a withdrawn stage time rows of `withdrawals` (waypoint null for the
    stage time), each with its record."""
    from rally_standings.outputs import export_rows

    log = _rally(tmp_path / "a.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many(
            [
                events.WaypointCorrected(entry_id="cars:2", stage=2, waypoint=2, time_ms=3_900_000),
                events.WaypointWithdrawn(entry_id="cars:2", stage=2, waypoint=1, reason="car 12"),
                events.ResultWithdrawn(entry_id="cars:3", stage=1, reason="a DNF"),
            ]
        )
        rally = recorder.rally
    tables = export_rows(rally, "a.rallylog")
    assert [
        (r["number"], r["stage"], r["waypoint"], r["time_ms"]) for r in tables["corrections"]
    ] == [("2", 2, 2, 3_900_000)]
    assert [(r["number"], r["waypoint"], r["reason"], r["seq"]) for r in tables["withdrawals"]] == [
        ("2", 1, "car 12", 17),
        ("3", None, "a DNF", 18),
    ]
