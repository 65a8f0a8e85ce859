"""What-if and as-of on the shipped Dakar logs: the two questions, and the laws of overlays."""

from __future__ import annotations

import hashlib
import json
import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rally_standings import engine
from rally_standings.app._cli import main
from rally_standings.engine import Rally
from rally_standings.engine._standings import gc_stages
from rally_standings.events import PenaltyImposed, QueryError, Record, RuleViolationError
from rally_standings.outputs import change_text, headline, hypotheses, labels, to_data
from rally_standings.replays import load, resolve_log
from tests.helpers import SNAPSHOT_KEYS
from tests.strategies import rally_records

HOUR = 3_600_000


def _digest(name: str) -> str:
    return hashlib.sha256(resolve_log(name).read_bytes()).hexdigest()


def _rows(result: object) -> list[tuple[object, ...]]:
    return [
        (r.row.position, r.row.number, r.actual_position, r.position_change)
        for r in result.rows  # type: ignore[attr-defined]
    ]


def test_rescinded_penalty_2004() -> None:
    """Rescinding Peterhansel's 5:00 takes it off his time; he still wins; the log is untouched."""
    before = _digest("dakar-2004")
    rally = load("dakar-2004")
    events = hypotheses(rally, "cars", rescind=["2004-cars-peterhansel-assistance"])
    result = engine.what_if(rally, "cars", events)
    assert not result.leader_changed
    leader = result.rows[0]
    assert (leader.row.number, leader.row.time_ms, leader.actual_time_ms) == (
        "203",
        (53 * 3600 + 42 * 60 + 37) * 1000,
        (53 * 3600 + 47 * 60 + 37) * 1000,
    )
    assert headline(result) == (
        "The leader does not change after stage 17: No. 203 Stéphane Peterhansel still leads "
        "by 0:54:24."
    )
    assert _digest("dakar-2004") == before


@pytest.mark.parametrize(
    ("penalty", "certain"),
    [
        ("203@9=+3:00:00", [True, True, False]),  # past the last printed time (30:38:48)
        ("203@9=+1:00:00", [True, True, True]),  # 29:16:20: still ahead of every unprinted crew
        ("200@9=+0:00:01", [True, True, False]),  # 30:38:49: one second past it
    ],
)
def test_a_hypothetical_place_past_the_source_is_not_vouched_for(
    capsys: pytest.CaptureFixture[str], penalty: str, certain: list[bool]
) -> None:
    """2004 after stage 9, the source prints the top 3 only (the 3rd in 30:38:48): a crew
    whose hypothetical time passes that one may have crews the source does not print ahead
    of it, so its place is "≥3", not "3" (found by a newcomer: the what-if vouched for it).
    At or within the last printed time, the place stands."""
    result = _after_9("cars", penalty)
    assert [item.row.position_certain for item in result.rows] == certain
    data = to_data(result)
    assert [row["position_certain"] for row in data["rows"][:3]] == certain
    assert main(["whatif", "dakar-2004", "-c", "cars", "--after", "9", "--penalty", penalty]) == 0
    out = capsys.readouterr().out
    assert ("≥3" in out) is (not certain[2])
    assert ("a place shown as ≥N is N-th or lower" in out) is (not certain[2])


def _after_9(category: str, penalty: str) -> engine.WhatIf:
    """2004's GC after stage 9 of ``category`` with one hypothetical penalty."""
    rally = load("dakar-2004")
    return engine.what_if(
        rally, category, hypotheses(rally, category, penalties=[penalty]), after=9
    )


def test_an_hour_instead_of_five_minutes_changes_the_winner() -> None:
    """2004: had the push cost Peterhansel an hour, Masuoka would have won by 5:36."""
    rally = load("dakar-2004")
    events = hypotheses(
        rally,
        "cars",
        rescind=["2004-cars-peterhansel-assistance"],
        penalties=["Peterhansel@5=+1:00:00"],
    )
    result = engine.what_if(rally, "cars", events)
    assert result.leader_changed
    assert _rows(result)[:3] == [(1, "201", 2, 1), (2, "203", 1, -1), (3, "200", 3, 0)]
    assert result.rows[1].row.gap_ms == 5 * 60_000 + 36_000
    assert result.rows[0].gap_change_ms == -(49 * 60_000 + 24_000)


def test_schlesser_without_his_hour_wins_2001() -> None:
    """2001: without the one-hour penalty Schlesser wins by 36:31, from stage 19 on."""
    rally = load("dakar-2001")
    events = hypotheses(rally, "cars", rescind=["2001-cars-schlesser-early-start"])
    result = engine.what_if(rally, "cars", events)
    assert result.leader_changed
    assert _rows(result)[0] == (1, "200", 3, 2)
    assert result.rows[1].row.gap_ms == 36 * 60_000 + 31_000
    stages = engine.what_if_all_stages(rally, "cars", events)
    assert [(s.stage, s.comparison.leader_changed) for s in stages] == [(19, True), (20, True)]


def test_bonus_is_a_negative_penalty() -> None:
    """A 50-minute bonus for Masuoka at stage 9 gives him the 2004 win by 0:36."""
    rally = load("dakar-2004")
    result = engine.what_if(rally, "cars", hypotheses(rally, "cars", penalties=["201@9=-0:50:00"]))
    assert _rows(result)[:2] == [(1, "201", 2, 1), (2, "203", 1, -1)]
    assert result.rows[1].row.gap_ms == 36_000
    assert labels(result) == ("-0:50:00 bonus for No. 201 Hiroshi Masuoka at stage 9",)


def test_hypothetical_result_replaces_a_time() -> None:
    """A faster stage-16 time for Masuoka (a correction in the overlay) moves him ahead."""
    rally = load("dakar-2004")
    events = hypotheses(rally, "cars", results=["Masuoka@16=1:30:00"])
    assert type(events[0]).__name__ == "ResultCorrected"
    result = engine.what_if(rally, "cars", events)
    assert _rows(result)[0] == (1, "201", 2, 1)
    # 54:37:01 less (2:36:13 printed - 1:30:00) = 53:30:48, 16:49 ahead of 53:47:37
    assert result.rows[0].row.time_ms == (53 * 3600 + 30 * 60 + 48) * 1000
    assert result.rows[1].row.gap_ms == (16 * 60 + 49) * 1000


def test_several_hypotheses_at_once_and_after_a_stage() -> None:
    """Two penalties and a rescission together, asked after stage 9."""
    rally = load("dakar-2004")
    events = hypotheses(
        rally,
        "cars",
        penalties=["203@9=+0:30:00", "201@9=-0:30:00"],
        rescind=["2004-cars-peterhansel-assistance"],
    )
    result = engine.what_if(rally, "cars", events, after=9)
    assert result.hypothetical.after_stage == 9
    # 203: 28:16:20 + 30:00 - 5:00 (rescinded); 201: 29:20:20 - 30:00; 200 unchanged
    assert [(r.row.number, r.row.time_ms) for r in result.rows] == [
        ("203", (28 * 3600 + 41 * 60 + 20) * 1000),
        ("201", (28 * 3600 + 50 * 60 + 20) * 1000),
        ("200", (30 * 3600 + 38 * 60 + 48) * 1000),
    ]
    assert [r.position_change for r in result.rows] == [0, 0, 0]


def test_hypotheses_are_validated_like_appends() -> None:
    """Unknown entries, stages and penalty ids are refused with a clear error."""
    rally = load("dakar-2004")
    with pytest.raises(QueryError, match="unknown entry"):
        hypotheses(rally, "cars", penalties=["999@5=+1:00:00"])
    with pytest.raises(QueryError, match="malformed hypothesis"):
        hypotheses(rally, "cars", penalties=["203 at 5"])
    with pytest.raises(RuleViolationError, match="unknown penalty"):
        engine.what_if(rally, "cars", hypotheses(rally, "cars", rescind=["P404"]))
    with pytest.raises(RuleViolationError, match="unscheduled stage"):
        engine.what_if(rally, "cars", hypotheses(rally, "cars", penalties=["203@40=+1:00"]))


def test_whatif_cli_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """JSON: the snapshot schema plus hypothetical, actual_position and position_change."""
    before = _digest("dakar-2004")
    code = main(
        shlex.split(
            "whatif dakar-2004 --category cars --rescind 2004-cars-peterhansel-assistance "
            "--penalty 203@5=+1:00:00 --format json"
        )
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert {*SNAPSHOT_KEYS, "hypothetical"} <= set(data)
    assert [h["type"] for h in data["hypothetical"]] == ["penalty-imposed", "penalty-rescinded"]
    first = data["rows"][0]
    assert (first["number"], first["actual_position"], first["position_change"]) == ("201", 2, 1)
    assert data["leader_changed"] is True
    assert _digest("dakar-2004") == before


def test_whatif_cli_table_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    """The table shows arrows and the headline; a bad hypothesis is one line, exit 2."""
    assert main(shlex.split("whatif dakar-2004 -c cars --penalty 203@5=+1:00:00")) == 0
    out = capsys.readouterr().out
    # on top of the real 5:00: 53:47:37 + 1:00:00 = 54:47:37, 10:36 behind Masuoka's 54:37:01
    assert "The lead changes after stage 17: No. 201 Hiroshi Masuoka would lead by 0:10:36" in out
    assert "  1    2  ▲1    201  Hiroshi Masuoka / Gilles Picard" in out
    assert main(shlex.split("whatif dakar-2004 -c cars --penalty 999@5=+1:00:00")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown entry" in err
    assert main(shlex.split("whatif dakar-2004 -c cars")) == 2
    assert "no hypothesis given" in capsys.readouterr().err


def test_whatif_all_stages_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """--all-stages: who leads after each stage in both, and in JSON each stage's whole
    comparison (its rows built only when asked for, as here)."""
    argv = "whatif dakar-2004 -c cars --penalty 203@5=+1:00:00 --all-stages"
    assert main(shlex.split(argv)) == 0
    lines = capsys.readouterr().out.splitlines()
    changes = [line.split()[0] for line in lines if line.endswith("changes")]
    assert changes == ["5", "15", "16", "17"]
    assert "    8  No. 203 Stéphane Peterhansel  No. 203 Stéphane Peterhansel" in lines
    assert main(shlex.split(argv + " -f json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["stage"] for c in data] == list(range(5, 18))
    assert [c["stage"] for c in data if c["leader_changed"]] == [5, 15, 16, 17]
    last = data[-1]
    top = [
        (r["number"], r["position"], r["actual_position"], r["position_change"])
        for r in last["rows"][:2]
    ]
    assert top == [("201", 1, 2, 1), ("203", 2, 1, -1)]
    assert last["rows"][1]["gap_ms"] == 10 * 60_000 + 36_000


def test_penalties_listing(capsys: pytest.CaptureFixture[str]) -> None:
    """`standings penalties` lists ids, entries, stages, amounts and rescissions (JSON contract)."""
    assert main(shlex.split("penalties dakar-2001 --format json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in data] == [
        "2001-cars-masuoka-s10-gc",
        "2001-trucks-loprais-s10-gc",
        "2001-cars-schlesser-early-start",
        "2001-cars-servia-early-start",
    ]
    schlesser = data[2]
    assert {k: schlesser[k] for k in ("category", "number", "stage", "amount_ms", "rescinded")} == {
        "category": "cars",
        "number": "200",
        "stage": 19,
        "amount_ms": HOUR,
        "rescinded": False,
    }
    assert schlesser["crew"][0] == "Jean-Louis Schlesser"
    assert [
        p.state.event.adjustment_id for p in engine.penalties(load("dakar-2001"), "trucks")
    ] == ["2001-trucks-loprais-s10-gc"]


def test_history_shows_the_late_penalty() -> None:
    """How the GC after stage 5 (2004 cars) changed: the penalty is the last change."""
    entries = engine.history(load("dakar-2004"), "cars", 5)
    last = entries[-1]
    assert last.record.type == "penalty-imposed"
    assert [change_text(c) for c in last.changes] == [
        "No. 203 Stéphane Peterhansel 1→1, 4:26:31→4:31:31 (+0:05:00)"
    ]


def test_as_of_before_a_penalty_equals_the_truncated_log() -> None:
    """As of the seq just before the penalty, the standings equal a log cut there."""
    rally = load("dakar-2004")
    penalty = rally.fold.penalty("2004-cars-peterhansel-assistance")
    assert penalty is not None
    seq = penalty.seq
    assert (
        rally.standings("cars", 5, as_of=seq - 1).rows
        == Rally(rally.records[: seq - 1]).standings("cars", 5).rows
    )
    assert (
        rally.standings("cars", 5, as_of=seq - 1).rows[0].time_ms
        == (4 * 3600 + 26 * 60 + 31) * 1000
    )


def test_whatif_as_of(capsys: pytest.CaptureFixture[str]) -> None:
    """A what-if can be asked of the log as it was at an earlier sequence."""
    rally = load("dakar-2004")
    penalty = rally.fold.penalty("2004-cars-peterhansel-assistance")
    assert penalty is not None
    seq = penalty.seq
    result = engine.what_if(
        rally,
        "cars",
        hypotheses(rally.as_of(seq - 1), "cars", penalties=["201@5=-0:10:00"]),
        after=5,
        as_of=seq - 1,
    )
    assert result.hypothetical.as_of == seq - 1
    assert [r.row.number for r in result.rows][:2] == ["201", "203"]


@given(rally_records())
def test_overlay_without_events_is_the_plain_replay(records: list[Record]) -> None:
    """An empty hypothesis changes nothing, after any stage."""
    rally = Rally(records)
    imagined = engine.overlay(rally, [])
    for category in rally.categories:
        for stage in gc_stages(rally.fold, category):
            assert to_data(imagined.standings(category, stage)) == to_data(
                rally.standings(category, stage)
            )


@settings(max_examples=60)
@given(st.data())
def test_refold_from_stage_k_equals_full_replay(data: st.DataObject) -> None:
    """The incremental comparison equals replaying the log with the events appended.

    And a hypothesis the log would refuse (a bonus making a time negative) is refused alike.
    """
    records = data.draw(rally_records())
    rally = Rally(records)
    category = data.draw(st.sampled_from(rally.categories))
    entries = rally.entries(category)
    stages = rally.stages()
    event = PenaltyImposed(
        penalty_id="H",
        entry_id=data.draw(st.sampled_from(entries)).entry_id,
        stage=data.draw(st.sampled_from(stages)),
        amount_ms=data.draw(st.sampled_from([-120_000, 60_000, HOUR])),
        reason="what if",
        gc_only=data.draw(st.booleans()),
    )
    try:
        full = Rally([*records, Record(len(records) + 1, event)])
    except RuleViolationError:
        with pytest.raises(RuleViolationError):
            engine.what_if_all_stages(rally, category, [event])
        return
    try:
        comparisons = engine.what_if_all_stages(rally, category, [event])
    except QueryError:
        return  # no results in this category yet
    for item in comparisons:
        assert item.stage >= event.stage
        assert to_data(item.comparison.hypothetical) == to_data(
            full.standings(category, item.stage)
        )
        assert to_data(item.comparison.actual) == to_data(rally.standings(category, item.stage))
    for stage in gc_stages(full.fold, category):
        if stage < event.stage:
            assert to_data(full.standings(category, stage)) == to_data(
                rally.standings(category, stage)
            )


def test_penalty_amounts_are_exact() -> None:
    """Sanity: hypothesis amounts parse to exact milliseconds."""
    rally = load("dakar-2004")
    (event,) = hypotheses(rally, "cars", penalties=["203@5=+1:02:03.5"])
    assert isinstance(event, PenaltyImposed)
    assert event.amount_ms == 3_723_500


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            "--penalty Kleinschmidt@5=-1:00:00",
            "standings: error: the cumulative time of Jutta Kleinschmidt after stage 5 would be "
            "-1:00:00 (--penalty Kleinschmidt@5=-1:00:00: a hypothesis the rules refuse): "
            "expected a cumulative time above zero, received -1:00:00, with no stage time of its "
            "own recorded up to stage 5\n",
        ),
        (
            "--result 201@5=3:00:00 --rescind nope",
            "standings: error: unknown penalty (--rescind nope: a hypothesis the rules refuse): "
            "expected an imposed penalty id (2004-cars-peterhansel-assistance), received nope\n",
        ),
        (
            "--penalty Peterhansel@5=-9:00:00 --all-stages",
            "standings: error: the cumulative time of No. 203 Stéphane Peterhansel after stage 5 "
            "would be -4:28:29 (--penalty Peterhansel@5=-9:00:00: a hypothesis the rules "
            "refuse): expected a cumulative time above zero, received -9:00:00 on a cumulative "
            "time of 4:31:31\n",
        ),
    ],
)
def test_a_refused_hypothesis_is_said_as_the_option_that_gave_it(
    capsys: pytest.CaptureFixture[str], options: str, expected: str
) -> None:
    """A hypothesis the rules refuse names the option it came from and the crew as a fan knows
    it, never a log record that does not exist ("seq 322" of a log that ends at 321) or an
    entry id; a crew whose time the source does not print is not said to have 0:00:00. Found
    by a fan trying what-ifs on the 2004 Dakar."""
    code = main(shlex.split(f"whatif dakar-2004 -c cars {options}"))
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", expected)


def test_a_hypothesis_on_a_crew_with_no_known_time_says_so() -> None:
    """2004 after stage 9: a penalty for No. 207 (no time known after stage 9: the source
    prints one total for stages 6–17) changes nothing shown, and the headline says why rather
    than only "the leader does not change" (found by a newcomer)."""
    assert headline(_after_9("cars", "207@9=+1:00:00")) == (
        "The leader does not change after stage 9: No. 203 Stéphane Peterhansel still leads by "
        "1:04:00. No. 207 Luc Alphand has no known time after stage 9, so the hypothesis "
        "changes nothing shown for this crew."
    )


def test_a_what_if_never_counts_a_move_from_a_place_known_only_as_a_bound(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """2004 trucks after stage 9 (the source prints the top 3): No. 410 was ≥4 in reality;
    a penalty for No. 417 puts 410 ahead of it. The Was column says ≥4, the move is ?, with
    its legend, and the JSON says actual_position_certain false; the headline's margin is
    the new leader's lead over the new second (found by a newcomer: "4 ▲1", and a margin
    measured to the old leader when it fell to ≥3)."""
    command = "whatif dakar-2004 -c trucks --after 9 --penalty 417@9=+0:05:00"
    assert main(shlex.split(command)) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "Firdaus Kabirov" in line)
    assert row.split()[:4] == ["≥3", "≥4", "?", "410"]
    assert "Move: ? a place then or now is shown only as ≥N" in out
    assert main(shlex.split(f"{command} -f json")) == 0
    rows = {r["number"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert (rows["410"]["actual_position"], rows["410"]["actual_position_certain"]) == (4, False)
    assert headline(_after_9("cars", "203@9=+3:00:00")) == (
        "The lead changes after stage 9: No. 201 Hiroshi Masuoka would lead by 1:18:28, "
        "instead of No. 203 Stéphane Peterhansel."
    )
