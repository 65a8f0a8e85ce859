"""The rules issue 11 found missing or wrong in the engine, each pinned by a value."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from rally_standings.engine import COMPONENT_KINDS, Recorder, what_if
from rally_standings.events import (
    EntryRetired,
    InvalidEventError,
    PenaltyImposed,
    PenaltyRescinded,
    RuleViolationError,
    StageKind,
    StageResultRecorded,
    StageRule,
    StageScheduled,
    TimeCredited,
)
from rally_standings.outputs import headline, hypotheses, labels, to_data
from rally_standings.replays import load, resolve_log
from tests.helpers import cli


def _copy(name: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{name}.rallylog"
    shutil.copyfile(resolve_log(name), path)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_bonus_cannot_make_a_cumulative_time_negative(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`record penalty --amount -99:00:00` is refused, naming entry, stage and resulting time."""
    log = _copy("example-rally", tmp_path)
    before = _digest(log)
    code, _, err = cli(
        capsys,
        f"record {log} penalty -c cars --entry 200 --stage 3 --amount -99:00:00 --reason bonus",
    )
    assert code == 2
    assert err.count("\n") == 1
    assert "the stage 3 time of No. 200 Claire Morel would be -95:18:40" in err
    assert "received -99:00:00 on a stage time of 3:41:20" in err
    assert "refused: nothing was written" in err
    assert _digest(log) == before


def test_a_stage_bonus_cannot_make_a_stage_time_negative(tmp_path: Path) -> None:
    """A bonus that counts in the stage ranking may not take the stage time to zero or below."""
    log = _copy("example-rally", tmp_path)
    stage_time = load(log).stage_result("cars", 4).rows[0]
    with Recorder(log) as recorder, pytest.raises(RuleViolationError, match="stage 4 time"):
        recorder.append(
            PenaltyImposed(
                penalty_id="B1",
                entry_id=stage_time.entry_id,
                stage=4,
                amount_ms=-stage_time.time_ms,
                reason="too generous",
            )
        )


def test_whatif_refuses_a_negative_time(capsys: pytest.CaptureFixture[str]) -> None:
    """`whatif --penalty 200@3=-9:00:00` is refused like a real append would be."""
    code, _, err = cli(capsys, "whatif example-rally -c cars --penalty 200@3=-9:00:00")
    assert code == 2
    assert "the cumulative time of No. 200 Claire Morel after stage 3 would be -2:23:30" in err


def test_a_stage_numbered_below_stages_with_results_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`record stage --number 0` on a rally that has run stage 5 is refused, log unchanged."""
    log = _copy("example-rally", tmp_path)
    before = _digest(log)
    code, _, err = cli(capsys, f"record {log} stage --number 0")
    assert code == 2
    assert "stage 5 already has results" in err
    assert "a prologue numbered 0 is scheduled first" in err
    assert _digest(log) == before


def test_a_prologue_numbered_0_is_scheduled_first(rally_log: Path) -> None:
    """Before any result, a stage 0 can still be scheduled below stage 1."""
    with Recorder(rally_log) as recorder:
        recorder.append(
            StageScheduled(
                stage=0,
                rules=(
                    StageRule("cars", StageKind.PROLOGUE),
                    StageRule("bikes", StageKind.PROLOGUE),
                ),
            )
        )
        assert recorder.rally.stages()[0] == 0


def test_an_exclusion_after_the_last_stage_can_be_recorded(tmp_path: Path) -> None:
    """An entry with a time on the last stage can be excluded at it, and shows as such."""
    log = _copy("example-rally", tmp_path)
    with Recorder(log) as recorder:
        recorder.append(
            EntryRetired(entry_id="cars:200", stage=5, reason="illegal fuel tank", excluded=True)
        )
    rally = load(log)
    standings = rally.standings("cars", 5)
    assert standings.row_for("200") is None
    (excluded,) = [u for u in standings.unclassified if u.number == "200"]
    assert (excluded.status, excluded.reason) == (
        "excluded",
        "excluded at stage 5: illegal fuel tank",
    )
    assert standings.leader is not None
    assert standings.leader.number == "201"
    assert rally.standings("cars", 4).row_for("200") is not None  # classified until then
    assert [r.number for r in rally.stage_result("cars", 5).retired] == ["200"]


def test_a_batch_with_a_bad_item_leaves_the_recorder_working(rally_log: Path) -> None:
    """append_many([valid, garbage]) raises the project's error and writes nothing; later appends
    succeed (the recorder's state was rolled back)."""
    before = _digest(rally_log)
    with Recorder(rally_log) as recorder:
        last = recorder.fold.last_seq
        valid = StageResultRecorded(entry_id="cars:200", stage=2, time_ms=60_000)
        with pytest.raises(InvalidEventError, match="not an event"):
            recorder.append_many([valid, "garbage"])  # type: ignore[list-item]
        assert recorder.fold.last_seq == last
        assert _digest(rally_log) == before
        record = recorder.append(valid)
    assert record.seq == last + 1
    assert load(rally_log).stage_result("cars", 2).rows[0].number == "200"


def test_whatif_names_the_time_a_result_replaces() -> None:
    """`--result 203@5=3:00:00` says it replaces Peterhansel's real 3:14:11, not itself."""
    rally = load("dakar-2004")
    result = what_if(rally, "cars", hypotheses(rally, "cars", results=["203@5=3:00:00"]))
    assert labels(result) == ("No. 203 Stéphane Peterhansel 3:00:00 on stage 5 instead of 3:14:11",)


def test_whatif_names_a_combined_time_by_its_stages() -> None:
    """A --result replacing a combined time calls it 'stages 6–17', not 'stage 17'."""
    rally = load("dakar-2004")
    result = what_if(rally, "bikes", hypotheses(rally, "bikes", results=["3@17=47:00:00"]))
    assert labels(result) == ("No. 3 Fabrizio Meoni 47:00:00 on stages 6–17 instead of 47:08:07",)


def test_a_tie_for_the_lead_is_said_as_a_tie() -> None:
    """Two crews on the same time at the top are 'tied for the lead', never 'X still leads by 0'."""
    rally = load("dakar-2004")
    result = what_if(rally, "cars", hypotheses(rally, "cars", penalties=["201@17=-0:49:24"]))
    assert headline(result) == (
        "No. 201 Hiroshi Masuoka and No. 203 Stéphane Peterhansel would be tied for the lead "
        "after stage 17, on 53:47:37."
    )
    assert result.leader_changed
    assert to_data(result)["headline"] == headline(result)


def test_hypothetical_penalty_ids_never_collide_with_real_ones(tmp_path: Path) -> None:
    """A real penalty with id `hypothetical-1` does not make every `whatif --penalty` fail."""
    log = _copy("example-rally", tmp_path)
    with Recorder(log) as recorder:
        recorder.append(
            PenaltyImposed(
                penalty_id="hypothetical-1",
                entry_id="cars:201",
                stage=4,
                amount_ms=60_000,
                reason="a real one",
            )
        )
    rally = load(log)
    (event,) = hypotheses(rally, "cars", penalties=["200@4=+0:01:00"])
    assert isinstance(event, PenaltyImposed)
    assert event.penalty_id == "hypothetical-2"
    assert what_if(rally, "cars", [event]).hypothetical.after_stage == 5


def test_a_hypothesis_after_the_last_stage_moves_the_default(tmp_path: Path) -> None:
    """On a log whose last scheduled stage has no results, a --result on it is shown there."""
    log = _copy("example-rally", tmp_path)
    with Recorder(log) as recorder:
        recorder.append(
            StageScheduled(
                stage=6,
                rules=(StageRule("cars", StageKind.SPECIAL), StageRule("bikes", StageKind.SPECIAL)),
            )
        )
    rally = load(log)
    result = what_if(rally, "cars", hypotheses(rally, "cars", results=["200@6=3:00:00"]))
    assert result.hypothetical.after_stage == 6
    assert headline(result) == "No. 200 Claire Morel would lead after stage 6."


def test_a_hypothesis_that_cannot_change_the_stage_asked_says_why() -> None:
    """A penalty on stage 5 asked after stage 3 is said to change nothing there, and why."""
    rally = load("example-rally")
    result = what_if(
        rally, "cars", hypotheses(rally, "cars", penalties=["201@5=+1:00:00"]), after=3
    )
    assert headline(result) == (
        "The hypothesis falls on stage 5, after stage 3: the general classification after "
        "stage 3 cannot change."
    )


def _credit(credit_id: str, entry: int, minutes: int) -> TimeCredited:
    return TimeCredited(
        credit_id=credit_id,
        entry_id=f"cars:{entry}",
        stage=2,
        amount_ms=minutes * 60_000,
        reason="help",
    )


def test_a_time_credit_gives_time_back_in_the_stage_and_the_gc(rally_log: Path) -> None:
    """A time credit (a crew that stopped to help) is an adjustment like a bonus: it comes off
    the stage time and the GC, is explained as a credit, can be rescinded, and cannot take a
    stage time to zero."""
    with Recorder(rally_log) as recorder:
        recorder.append_many(
            [
                StageResultRecorded(entry_id="cars:200", stage=2, time_ms=3_600_000),
                StageResultRecorded(entry_id="cars:201", stage=2, time_ms=3_000_000),
                _credit("C1", 200, 15),
            ]
        )
        with pytest.raises(
            RuleViolationError, match=r"stage 2 time of No\. 201 Driver 201 would be"
        ):
            recorder.append(_credit("C2", 201, 50))
    rally = load(rally_log)
    ranking = [(r.number, r.time_ms) for r in rally.stage_result("cars", 2).rows]
    assert ranking == [("200", 2_700_000), ("201", 3_000_000)]
    row = rally.standings("cars", 2).rows[0]
    assert (row.number, row.time_ms) == ("200", 2_700_000)
    assert [(part.kind, part.time_ms, part.note) for part in row.components] == [
        ("result", 3_600_000, "stage 2 result"),
        ("credit", -900_000, "time credit C1: help"),
    ]
    assert COMPONENT_KINDS["credit"].signed
    with Recorder(rally_log) as recorder:
        recorder.append(PenaltyRescinded(penalty_id="C1", reason="appeal"))
    assert load(rally_log).standings("cars", 2).rows[0].number == "201"
