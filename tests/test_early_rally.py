"""An early rally answers: with only the prologue run, every question has an answer.

Issue 20 (finding 5) and issue 18 (finding 10): `show`, `explain`, `whatif`, `history`,
`replay`, the report and `/api/standings` used to fail ("no stage counts toward the
general classification yet", an IndexError in the report) when only the prologue had
results. They now answer with an empty classification and a plain note, exit 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rally_standings.app import LiveRally
from rally_standings.engine import Recorder, load
from rally_standings.events import StageResultRecorded
from tests.helpers import cli, start_rally

NOTE = (
    "No stage counting toward the general classification has been run yet; the prologue "
    "sets the start order."
)


@pytest.fixture
def prologue_only(tmp_path: Path) -> Path:
    """Test Rally with the prologue (stage 1) run by two cars and nothing else."""
    log = start_rally(tmp_path / "early.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many(
            [
                StageResultRecorded(entry_id="cars:200", stage=1, time_ms=185_000),
                StageResultRecorded(entry_id="cars:201", stage=1, time_ms=181_000),
            ]
        )
    return log


def test_the_engine_gives_an_empty_classification_that_says_why(prologue_only: Path) -> None:
    """The GC after the prologue is empty, no crew is said to miss from it, and the replay
    is that one empty classification; the prologue's own ranking is there."""
    rally = load(prologue_only)
    standings = rally.standings("cars")
    assert (standings.after_stage, standings.before_gc) == (1, True)
    assert (standings.rows, standings.unclassified) == ((), ())
    assert [s.after_stage for s in rally.replay("cars")] == [1]
    ranking = rally.stage_result("cars", 1).rows
    assert [(row.number, row.time_ms) for row in ranking] == [("201", 181_000), ("200", 185_000)]
    why = standings.why_missing("cars:200")
    assert why is not None
    assert why.reason == "no stage counting toward the general classification has been run yet"


@pytest.mark.parametrize(
    "command",
    [
        "show {log} -c cars",
        "replay {log} -c cars",
        "whatif {log} -c cars --penalty 200@1=+0:01:00",
    ],
)
def test_each_question_answers_with_the_note(
    prologue_only: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """show, replay and whatif answer (exit 0) and say why the classification is empty."""
    code, out, err = cli(capsys, command.format(log=prologue_only))
    assert (code, err) == (0, "")
    assert NOTE in out


def test_explain_and_history_answer(
    prologue_only: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """explain says what is known of a crew (its prologue time); history says nothing moved
    the classification."""
    code, out, _ = cli(capsys, f"explain {prologue_only} -c cars -e 201")
    assert code == 0
    assert "no stage counting toward the general classification has been run yet" in out
    assert "0:03:01" in out
    code, out, _ = cli(capsys, f"history {prologue_only} -c cars --after 1")
    assert code == 0
    assert "Nothing recorded changes it." in out


def test_json_and_the_api_carry_the_note(
    prologue_only: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`show -f json` and /api/standings are the same empty classification with its note."""
    code, out, _ = cli(capsys, f"show {prologue_only} -c cars -f json")
    assert code == 0
    data = json.loads(out)
    assert (data["rows"], data["unclassified"], data["note"]) == ([], [], NOTE)
    answer = LiveRally(prologue_only).answer("standings", {"category": "cars"})
    assert answer.status == 200
    assert answer.body.decode() == out


def test_the_report_of_a_prologue_only_rally_says_so(
    prologue_only: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report is written (it used to end in an IndexError), says why the standings are
    empty, never claims every crew is in them, and shows the prologue's winner."""
    page = tmp_path / "early.html"
    code, _, err = cli(capsys, f"report {prologue_only} -o {page}")
    assert (code, err) == (0, "")
    html = page.read_text(encoding="utf-8")
    assert NOTE in html
    assert "Every crew is in the standings after every stage" not in html
    assert "Driver 201" in html
