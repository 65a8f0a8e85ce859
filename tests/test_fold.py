"""The fold: every rule that refuses an event, and the laws of replay."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rally_standings import events
from rally_standings.engine import Fold, Rally, Recorder
from rally_standings.engine._standings import gc_stages
from rally_standings.outputs import to_data
from tests.helpers import examples
from tests.strategies import rally_records

MIN = 60_000


def _result(number: int, stage: int, minutes: int = 10, first: int | None = None) -> events.Event:
    return events.StageResultRecorded(
        entry_id=f"cars:{number}", stage=stage, time_ms=minutes * MIN, first_stage=first
    )


# Each case: events appended first (accepted), then the refused event and the message.
REFUSALS: dict[str, tuple[list[events.Event], events.Event, str]] = {
    "result for an unknown entry": ([], _result(999, 2), "unknown entry"),
    "result for an unscheduled stage": ([], _result(200, 9), "unscheduled stage"),
    "second result for the same stage": (
        [_result(200, 2)],
        _result(200, 2, 11),
        "already has a result for stage 2",
    ),
    "result inside an earlier combined time": (
        [_result(200, 4, 30, first=2)],
        _result(200, 3),
        "already has a result for stage 3",
    ),
    "combined time starting on a timed stage": (
        [_result(200, 2)],
        _result(200, 4, 30, first=2),
        "already has a result for stage 2",
    ),
    "combined time overlapping another": (
        [_result(200, 3, 30, first=2)],
        _result(200, 4, 30, first=3),
        "already has a result for stage 3",
    ),
    "combined time starting on the prologue": (
        [],
        _result(200, 3, 30, first=1),
        "cannot start or end on a prologue",
    ),
    "result for a cancelled stage": (
        [events.StageCancelled(stage=2, categories=("cars",), reason="storm")],
        _result(200, 2),
        "stage 2 is cancelled for cars",
    ),
    "result after the entry retired": (
        [events.EntryRetired(entry_id="cars:200", stage=3, reason="engine")],
        _result(200, 4),
        "cars:200 retired at stage 3",
    ),
    "result on the retirement stage": (
        [events.EntryRetired(entry_id="cars:200", stage=3, reason="engine")],
        _result(200, 3),
        "cars:200 retired at stage 3",
    ),
    "penalty for an unknown entry": (
        [],
        events.PenaltyImposed(
            penalty_id="P1", entry_id="cars:9", stage=2, amount_ms=MIN, reason="r"
        ),
        "unknown entry",
    ),
    "penalty at an unscheduled stage": (
        [],
        events.PenaltyImposed(
            penalty_id="P1", entry_id="cars:200", stage=8, amount_ms=MIN, reason="r"
        ),
        "unscheduled stage",
    ),
    "penalty id used twice": (
        [
            events.PenaltyImposed(
                penalty_id="P1", entry_id="cars:200", stage=2, amount_ms=MIN, reason="r"
            )
        ],
        events.PenaltyImposed(
            penalty_id="P1", entry_id="cars:201", stage=2, amount_ms=MIN, reason="r"
        ),
        "penalty id already used",
    ),
    "rescission of an unknown penalty": (
        [],
        events.PenaltyRescinded(penalty_id="P7", reason="appeal"),
        "unknown penalty",
    ),
    "rescission twice": (
        [
            events.PenaltyImposed(
                penalty_id="P1", entry_id="cars:200", stage=2, amount_ms=MIN, reason="r"
            ),
            events.PenaltyRescinded(penalty_id="P1", reason="appeal"),
        ],
        events.PenaltyRescinded(penalty_id="P1", reason="again"),
        "already rescinded",
    ),
    "correction without a result": (
        [],
        events.ResultCorrected(entry_id="cars:200", stage=2, time_ms=MIN),
        "no result to correct",
    ),
    "correction to the same time": (
        [_result(200, 2, 10)],
        events.ResultCorrected(entry_id="cars:200", stage=2, time_ms=10 * MIN),
        "changes nothing",
    ),
    "cancelling a stage twice": (
        [events.StageCancelled(stage=2, categories=("cars",), reason="storm")],
        events.StageCancelled(stage=2, categories=("cars", "bikes"), reason="storm"),
        "already cancelled for cars",
    ),
    "cancelling a stage a combined time spans": (
        [_result(200, 4, 30, first=2)],
        events.StageCancelled(stage=3, categories=("cars",), reason="storm"),
        "combined result of cars:200 covers stage 3",
    ),
    "retiring twice": (
        [events.EntryRetired(entry_id="cars:200", stage=3, reason="engine")],
        events.EntryRetired(entry_id="cars:200", stage=4, reason="again"),
        "already out of the rally",
    ),
    "retiring before a recorded result": (
        [_result(200, 3)],
        events.EntryRetired(entry_id="cars:200", stage=2, reason="engine"),
        "entry has a result for stage 3",
    ),
    "entry in an unknown category": (
        [],
        events.EntryRegistered(entry_id="quads:1", category="quads", crew=(events.Person("A"),)),
        "unknown category",
    ),
    "race number taken": (
        [],
        events.EntryRegistered(
            entry_id="x", category="cars", number="200", crew=(events.Person("A"),)
        ),
        "race number already taken",
    ),
    "stage scheduled twice": (
        [],
        events.StageScheduled(stage=2, rules=(events.StageRule("cars", events.StageKind.SPECIAL),)),
        "stage already scheduled",
    ),
    "second rally declaration": (
        [],
        events.RallyDeclared(rally_id="u", name="U", year=2024, categories=("cars",)),
        "already declared",
    ),
    "coverage for an unknown category": (
        [],
        events.FieldCoverageDeclared(category="quads", stage=2, gc_known=3),
        "unknown category",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_append_leaves_the_log_byte_identical(rally_log: Path, case: str) -> None:
    """Each rule refuses its event with a clear message; the file does not change by one byte."""
    accepted, refused, message = REFUSALS[case]
    with Recorder(rally_log) as recorder:
        recorder.append_many(accepted)
        before = rally_log.read_bytes()
        with pytest.raises(events.RuleViolationError, match=message) as caught:
            recorder.append(refused)
        assert rally_log.read_bytes() == before
        assert "expected" in str(caught.value)
        assert "received" in str(caught.value)
        # the recorder's state is untouched too: a valid append still gets the next seq
        record = recorder.append(_result(203, 4))
        assert record.seq == recorder.fold.last_seq
    assert Rally(list(_read(rally_log))).last_seq == record.seq


def _read(path: Path) -> tuple[events.Record, ...]:
    from rally_standings.events._log import read_records

    return read_records(path)


def test_refused_event_in_a_batch_writes_none_of_it(rally_log: Path) -> None:
    """A batch with one bad event is refused whole: nothing of it reaches the file."""
    before = rally_log.read_bytes()
    with Recorder(rally_log) as recorder:
        with pytest.raises(events.RuleViolationError):
            recorder.append_many([_result(200, 2), _result(999, 2)])
        assert rally_log.read_bytes() == before
        recorder.append(_result(200, 2))  # the first event was rolled back, not half-applied


def test_log_must_start_with_the_rally() -> None:
    """The first event of a log must declare the rally."""
    with pytest.raises(events.RuleViolationError, match="must start with the rally declaration"):
        Fold().apply(events.Record(1, events.PenaltyRescinded(penalty_id="P", reason="r")))


def test_records_must_be_in_sequence() -> None:
    """The fold refuses a record whose seq is not the next one."""
    fold = Fold()
    with pytest.raises(events.RuleViolationError, match="out of sequence"):
        fold.apply(
            events.Record(
                2, events.RallyDeclared(rally_id="r", name="R", year=1, categories=("c",))
            )
        )


def _all_standings(records: list[events.Record]) -> list[object]:
    rally = Rally(records)
    out: list[object] = []
    for category in rally.categories:
        for stage in gc_stages(rally.fold, category):
            out.append(to_data(rally.standings(category, stage)))
            out.append(to_data(rally.stage_result(category, stage)))
    return out


@pytest.mark.parametrize("log", ["dakar-2001", "example-rally"])
def test_replay_is_deterministic_across_processes(log: str, tmp_path: Path) -> None:
    """Two processes with different hash seeds replay a log to byte-identical JSON.

    Set and dict orders that depend on string hashing (PYTHONHASHSEED) are the
    way a fold could differ from run to run; every category's replay and the
    event log must come out the same.
    """
    outputs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        text = ""
        for argv in (["events", log, "-f", "jsonl"], ["replay", log, "-c", "cars", "-f", "json"]):
            done = subprocess.run(
                [sys.executable, "-m", "rally_standings.app", *argv],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=120,
            )
            text += done.stdout
        outputs.append(text)
    assert outputs[0] == outputs[1]
    assert '"after_stage"' in outputs[0]


@given(st.data())
def test_replay_from_a_snapshot_equals_full_replay(data: st.DataObject) -> None:
    """Resuming from a snapshot taken at any point and folding the rest equals a full replay."""
    records = data.draw(rally_records())
    cut = data.draw(st.integers(min_value=0, max_value=len(records)))
    snapshot = Fold().apply_all(records[:cut]).snapshot()
    resumed = Fold(snapshot).apply_all(records[cut:])
    full = Fold().apply_all(records)
    assert resumed.snapshot() == full.snapshot()
    resumed_rally = Rally.from_fold((), records, resumed, source="resumed")
    full_rally = Rally(records)
    for category in full_rally.categories:
        for stage in gc_stages(full_rally.view, category):
            assert to_data(resumed_rally.standings(category, stage)) == to_data(
                full_rally.standings(category, stage)
            )


@given(rally_records())
def test_generated_logs_exercise_the_rules(records: list[events.Record]) -> None:
    """Sanity of the generator: logs are valid and the standings never break a basic law.

    Law: rows are sorted by time, positions follow competition ranking, the
    leader has no gap and every gap is time minus the leader's time.
    """
    rally = Rally(records)
    for category in rally.categories:
        for stage in gc_stages(rally.fold, category):
            standings = rally.standings(category, stage)
            times = [row.time_ms for row in standings.rows]
            assert times == sorted(times)
            for index, row in enumerate(standings.rows):
                expected_position = (
                    standings.rows[index - 1].position
                    if index and times[index - 1] == row.time_ms
                    else index + 1
                )
                assert row.position == expected_position
                assert row.gap_ms == (None if index == 0 else row.time_ms - times[0])
                assert sum(part.time_ms for part in row.components) == row.time_ms


@given(st.data())
def test_copy_is_independent_and_equal(data: st.DataObject) -> None:
    """Fold.copy() equals the fold, and folding more into the copy leaves the original as it
    was, and the other way round (splits, shared until one side records one, included)."""
    records = data.draw(rally_records())
    cut = data.draw(st.integers(min_value=1, max_value=len(records)))
    fold = Fold().apply_all(records[:cut])
    before = fold.snapshot()
    copy = fold.copy()
    assert copy.snapshot() == before
    copy.apply_all(records[cut:])
    assert fold.snapshot() == before
    assert copy.snapshot() == Fold().apply_all(records).snapshot()
    other = fold.copy()
    fold.apply_all(records[cut:])
    assert other.snapshot() == before
    assert fold.snapshot() == copy.snapshot()


# ---------------------------------------------------------------------- bulk = per event


@st.composite
def _runs(draw: st.DrawFn) -> list[events.Record]:
    """A rally (from rally_records) then one run of results or splits, maybe invalid ones.

    The run's items come from all entries (some retired, some of a category that
    does not run the stage), repeat entries at times, and may fall on a stage
    cancelled for some category: the bulk path must refuse exactly what the
    handlers refuse.
    """
    records = draw(rally_records(max_events=25))
    fold = Rally(records).view
    entries = [e.entry_id for e in fold.entries()]
    stages = list(fold.stage_numbers())
    if not entries:
        return records
    stage = draw(st.sampled_from(stages))
    kind = draw(st.sampled_from(["results", "splits"]))
    chosen = draw(st.lists(st.sampled_from(entries), min_size=1, max_size=12))
    times = st.integers(min_value=1, max_value=5_000_000)
    batch: list[events.Event] = []
    for entry_id in chosen:
        if kind == "results":
            batch.append(
                events.StageResultRecorded(entry_id=entry_id, stage=stage, time_ms=draw(times))
            )
        else:
            waypoint = draw(st.integers(min_value=1, max_value=3))
            batch.append(
                events.WaypointRecorded(
                    entry_id=entry_id, stage=stage, waypoint=waypoint, time_ms=draw(times)
                )
            )
    return records + [events.Record(len(records) + 1 + i, e) for i, e in enumerate(batch)]


@settings(max_examples=examples(100))
@given(_runs())
def test_bulk_frame_fold_equals_the_handlers(records: list[events.Record]) -> None:
    """Folding a frame (runs of results and splits in bulk) equals applying each record.

    Both accept the same runs with the same state after, and refuse the same
    runs at the same record with the same message, the state before it kept.
    """
    frame = events.decode_frame(events.encode_frame(records))
    bulk, single = Fold(), Fold()
    bulk_error = single_error = None
    try:
        bulk.apply_frame(frame)
    except events.RuleViolationError as error:
        bulk_error = str(error)
    for record in records:
        try:
            single.apply(record)
        except events.RuleViolationError as error:
            single_error = str(error)
            break
    assert bulk_error == single_error
    assert bulk.snapshot() == single.snapshot()


@settings(max_examples=examples(50))
@given(st.data())
def test_a_refused_batch_leaves_the_fold_as_it_was(data: st.DataObject) -> None:
    """A batch refused part-way (a rule, a malformed item) is undone whole: same snapshot."""
    records = data.draw(rally_records(max_events=30))
    fold = Fold().apply_all(records)
    before = fold.snapshot()
    extra = data.draw(rally_records(max_events=10))[1:]
    batch = [events.Record(fold.last_seq + 1 + i, r.event) for i, r in enumerate(extra)]

    def apply_all_then_garbage() -> None:
        with fold.tentative():
            for record in batch:
                fold.apply(record)
            fold.apply(events.Record(fold.last_seq + 1, "not an event"))  # type: ignore[arg-type]

    with pytest.raises(events.RallyError):
        apply_all_then_garbage()
    assert fold.snapshot() == before
