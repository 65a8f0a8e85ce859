"""The timing official's mistakes (issue 20): every wrong number can be corrected or
withdrawn, and slips are caught before they count. Each test is one finding of the issue,
tried at the command line as an official would; a hand-computed rally puts them together.

Finding 5 (an early rally answers) is tests/test_early_rally.py; the live page's (7) are
tests/test_serve.py and tests/test_live_browser.py; the update stream's frames (8) are
tests/test_serve.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rally_standings.app._server import create_app
from rally_standings.engine import load
from rally_standings.replays import resolve_log
from tests.helpers import cli, refused, run_captured

Capsys = pytest.CaptureFixture[str]


def _sheet(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _ok(capsys: Capsys, command: str) -> str:
    code, out, err = cli(capsys, command)
    assert (code, err) == (0, ""), err
    return out


def _sheet_refused(capsys: Capsys, log: Path, what: str, name: str, text: str) -> tuple[Path, str]:
    """The sheet ``name`` written beside the log, and the one line `record LOG WHAT --from
    SHEET` prints refusing it; the log's bytes are unchanged."""
    sheet = _sheet(log.parent, name, text)
    return sheet, refused(capsys, f"record {log} {what} --from {sheet}", log)


def _rally(folder: Path, capsys: Capsys) -> Path:
    """Cars 101-105 (classes Ultimate and Stock, each entry registered by `record entry`),
    two specials, no times yet."""
    log = folder / "r.rallylog"
    _ok(capsys, f"record {log} rally --name 'Hand Rally' --year 2026 --category cars")
    _ok(capsys, f"record {log} stage --number 1")
    _ok(capsys, f"record {log} stage --number 2")
    crews = {
        101: ("Ann Morel", "Ultimate"),
        102: ("Jonas Berg", "Ultimate"),
        103: ("Mia Roux", "Stock"),
        104: ("Rui Costa", "Stock"),
        105: ("Toby Price", "Stock"),
    }
    for number, (name, entry_class) in crews.items():
        _ok(
            capsys,
            f"record {log} entry -c cars --number {number} --crew '{name}' --class {entry_class}"
            + (" --new-class" if number in (101, 103) else ""),
        )
    return log


STAGE_1 = (
    "category,number,time\n"
    "cars,101,1:00:00\n"
    "cars,102,1:02:00\n"
    "cars,103,1:01:30\n"
    "cars,104,1:03:00\n"
    "cars,105,4:30:00\n"
)
"""Stage 1: No. 105 lost four and a half hours in the dunes (over four times the median of
the others, 1:01:45: implausible, and right)."""

SPLITS_2 = (
    "category,number,waypoint,time\n"
    "cars,101,1,0:20:00\n"
    "cars,102,1,0:19:00\n"
    "cars,103,1,0:21:00\n"
    "cars,104,1,0:22:00\n"
    "cars,105,1,0:25:00\n"
    "cars,101,2,0:41:00\n"
    "cars,102,2,0:45:30\n"
    "cars,103,2,0:40:00\n"
    "cars,104,2,0:39:10\n"
)
"""Stage 2's splits as first sent: No. 104's 0:39:10 at waypoint 2 is a typo for 0:43:10,
No. 102's 0:45:30 was really 0:44:30, and No. 103's time at waypoint 2 is another car's."""


def test_a_hand_computed_rally_corrected_confirmed_and_withdrawn(
    tmp_path: Path, capsys: Capsys
) -> None:
    """Issue 20, done when: a rally with corrected splits, a confirmed implausible time and a
    withdrawn split, at the command line and through /api/standings at a waypoint, against
    the arithmetic done by hand.

    GC after stage 1: 101 1:00:00, 103 1:01:30, 102 1:02:00, 104 1:03:00, 105 4:30:00 (its
    time refused as implausible, then confirmed). At waypoint 2 of stage 2, the GC before it
    plus the penalties imposed at stage 2 (101: +0:10:00) plus the time at the waypoint, the
    corrected ones (104: 0:43:10, 102: 0:44:30) in force and 103's withdrawn:
    104 1:03:00 + 0:43:10 = 1:46:10; 102 1:02:00 + 0:44:30 = 1:46:30 (+0:00:20);
    101 1:00:00 + 0:10:00 + 0:41:00 = 1:51:00 (+0:04:50); 103 and 105 not yet at waypoint 2.
    """
    log = _rally(tmp_path, capsys)
    stage_1, refusal = _sheet_refused(capsys, log, "results --stage 1", "stage1.csv", STAGE_1)
    assert "an implausible stage time: No. 105's is over 4 times the median" in refusal
    assert "stage1.csv, line 6, column time" in refusal
    assert "expected a time from 0:15:26.25 to 4:07:00 (the median of 4 other times is " in refusal
    assert refusal.endswith("1:01:45), or --confirm 105 to record it as it is, received 4:30:00\n")
    _ok(capsys, f"record {log} results --stage 1 --from {stage_1} --confirm 105")
    gc_1 = json.loads(_ok(capsys, f"show {log} -c cars --after 1 -f json"))
    assert [(row["number"], row["time"]) for row in gc_1["rows"]] == [
        ("101", "1:00:00"),
        ("103", "1:01:30"),
        ("102", "1:02:00"),
        ("104", "1:03:00"),
        ("105", "4:30:00"),
    ]
    explained = _ok(capsys, f"explain {log} -c cars -e 105 --after 1")
    assert "recorded: stage1.csv, line 6; time confirmed though implausible" in explained

    splits = _sheet(tmp_path, "splits2.csv", SPLITS_2)
    _ok(capsys, f"record {log} waypoints --stage 2 --from {splits}")
    _, refusal = _sheet_refused(
        capsys,
        log,
        "waypoints --stage 2",
        "late.csv",
        "category,number,waypoint,time\ncars,105,2,0:24:00\n",
    )
    assert "the time at waypoint 2 of No. 105 at stage 2 is earlier than its time at " in refusal
    assert "(late.csv, line 2, column time;" in refusal
    corrected = _sheet(
        tmp_path,
        "splits2-corrected.csv",
        "category,number,waypoint,time\ncars,104,2,0:43:10\ncars,102,2,0:44:30\n",
    )
    out = _ok(capsys, f"record {log} waypoints --stage 2 --from {corrected} --corrections")
    assert out == (
        "recorded 2 corrected waypoint times from splits2-corrected.csv (2 rows; 0 rows "
        "unchanged), records #23-#24\n"
    )
    _ok(
        capsys,
        f"record {log} withdraw-waypoint -c cars --entry 103 --stage 2 --waypoint 2 "
        "--reason 'the time of car 130'",
    )
    _ok(
        capsys,
        f"record {log} penalty -c cars --entry 101 --stage 2 --amount +0:10:00 --reason speeding",
    )
    shown = _ok(capsys, f"show {log} -c cars --after 2 --waypoint 2 -f json")
    data = json.loads(shown)
    assert [(row["number"], row["time"], row["gap"]) for row in data["rows"]] == [
        ("104", "1:46:10", None),
        ("102", "1:46:30", "+0:00:20"),
        ("101", "1:51:00", "+0:04:50"),
    ]
    assert [(i["number"], i["status"]) for i in data["not_at_waypoint"]] == [
        ("103", "not-yet"),
        ("105", "not-yet"),
    ]
    assert data["out_of_order"] == []
    with TestClient(create_app(log)) as client:
        answer = client.get("/api/standings?category=cars&after=2&waypoint=2")
    assert answer.status_code == 200
    assert answer.text == shown
    table = _ok(capsys, f"show {log} -c cars --after 2 --waypoint 2")
    assert "  1  ▲3    104  Rui Costa         Stock             1  1:46:10\n" in table
    assert "  3  ▼2    101  Ann Morel         Ultimate          2  1:51:00  +0:04:50\n" in table
    assert "Not yet at waypoint 2: 2\n" in table
    before = json.loads(
        _ok(capsys, f"show {log} -c cars --after 2 --waypoint 2 --as-of 22 -f json")
    )
    assert [(row["number"], row["time"]) for row in before["rows"]] == [
        ("101", "1:41:00"),
        ("103", "1:41:30"),
        ("104", "1:42:10"),
        ("102", "1:47:30"),
    ]


def test_finding_1_a_split_is_corrected_withdrawn_and_never_out_of_order(
    tmp_path: Path, capsys: Capsys
) -> None:
    """Issue 20, finding 1: a splits sheet where No. 102 reaches waypoint 2 before waypoint 1
    is refused by that row (before: accepted); `waypoints --corrections` corrects a split
    (before: no such option) and `withdraw-waypoint` withdraws one; the waypoint's ranking
    follows both, and the first time stays in the log."""
    log = _rally(tmp_path, capsys)
    _, refusal = _sheet_refused(
        capsys,
        log,
        "waypoints --stage 1",
        "splits.csv",
        "category,number,waypoint,time\ncars,102,1,1:02:10\ncars,102,2,0:58:00\n"
        "cars,101,1,1:01:00\ncars,101,2,2:01:00\n",
    )
    assert refusal == (
        "standings: error: a time out of order: the time at waypoint 2 of No. 102 at stage 1 is "
        "earlier than its time at waypoint 1 (splits.csv, line 3, column time; the file was "
        "refused, nothing was written): expected a time at or after 1:02:10 (its time at "
        "waypoint 1, in this sheet), or --out-of-order 102 to record it as it is, received "
        "0:58:00\n"
    )
    fixed = _sheet(
        tmp_path,
        "splits.csv",
        "category,number,waypoint,time\ncars,102,1,1:02:10\ncars,102,2,1:58:00\n"
        "cars,101,1,1:01:00\ncars,101,2,2:01:00\n",
    )
    _ok(capsys, f"record {log} waypoints --stage 1 --from {fixed}")
    corrected = _sheet(tmp_path, "c.csv", "category,number,waypoint,time\ncars,101,2,1:57:00\n")
    assert _ok(capsys, f"record {log} waypoints --stage 1 --from {corrected} --corrections") == (
        "recorded 1 corrected waypoint time from c.csv (1 row; 0 rows unchanged), record #13\n"
    )
    ranking = json.loads(_ok(capsys, f"stage {log} -c cars -s 1 --waypoint 2 -f json"))
    assert [(row["number"], row["time"]) for row in ranking["rows"]] == [
        ("101", "1:57:00"),
        ("102", "1:58:00"),
    ]
    _ok(
        capsys,
        f"record {log} withdraw-waypoint -c cars --entry 101 --stage 1 --waypoint 2 "
        "--reason 'another car'",
    )
    ranking = json.loads(_ok(capsys, f"stage {log} -c cars -s 1 --waypoint 2 -f json"))
    assert [row["number"] for row in ranking["rows"]] == ["102"]
    again = json.loads(_ok(capsys, f"stage {log} -c cars -s 1 --waypoint 2 --as-of 13 -f json"))
    assert [row["number"] for row in again["rows"]] == ["101", "102"]
    events = _ok(capsys, f"events {log}")
    assert "cars:101 stage 1 waypoint 2: 2:01:00" in events
    assert "cars:101 stage 1 waypoint 2 corrected to 1:57:00: corrected sheet c.csv" in events
    assert "cars:101 stage 1 waypoint 2 withdrawn: another car" in events


def test_finding_1_a_stage_time_before_a_split_and_a_result_withdrawn(
    tmp_path: Path, capsys: Capsys
) -> None:
    """Issue 20, finding 1: a stage time earlier than the crew's split is refused (naming the
    split's record) unless --out-of-order; `record withdraw` withdraws a stage time, which
    `record correct` reported as "no result to correct" being impossible to undo before."""
    log = _rally(tmp_path, capsys)
    _ok(capsys, f"record {log} waypoint -c cars --entry 101 --stage 1 --waypoint 1 --time 0:30:00")
    refusal = refused(
        capsys, f"record {log} result -c cars --entry 101 --stage 1 --time 0:25:00", log
    )
    assert "the stage time of No. 101 at stage 1 is earlier than its time at waypoint 1" in refusal
    assert "expected a time at or after 0:30:00 (its time at waypoint 1, record #9)" in refusal
    _ok(capsys, f"record {log} result -c cars --entry 101 --stage 1 --time 1:00:00")
    _ok(capsys, f"record {log} withdraw -c cars --entry 101 --stage 1 --reason 'a DNF'")
    data = json.loads(_ok(capsys, f"show {log} -c cars --after 1 -f json"))
    assert data["rows"] == []
    assert data["unclassified"][0]["reason"] == "stage 1 result withdrawn: a DNF"


def test_finding_2_an_implausible_time_is_refused_with_both_readings(
    tmp_path: Path, capsys: Capsys
) -> None:
    """Issue 20, finding 2: `3:05` typed for three hours five beside a field of 3-hour times
    is refused, saying both readings (before: stored as 0:03:05 without a word); `--confirm`
    records a time as it is; fewer than 3 other times: nothing to weigh against."""
    log = _rally(tmp_path, capsys)
    sheet, refusal = _sheet_refused(
        capsys,
        log,
        "results --stage 1",
        "s.csv",
        "category,number,time\ncars,101,3:05\ncars,102,3:09:00\ncars,103,3:20:00\n"
        "cars,104,3:06:10\n",
    )
    assert refusal.endswith(
        "expected a time from 0:47:15 to 12:36:00 (the median of 3 other times is 3:09:00), "
        "or --confirm 101 to record it as it is, received 3:05 read as 0:03:05; did you mean "
        "3:05:00?\n"
    )
    _ok(capsys, f"record {log} results --stage 1 --from {sheet} --confirm 101")
    assert load(log).view.result("cars:101", 1).time_ms == 185_000  # type: ignore[union-attr]
    refusal = refused(
        capsys, f"record {log} correct -c cars --entry 101 --stage 1 --time 0:03:06", log
    )
    assert "received 0:03:06; did you mean 3:06:00?" in refusal
    _ok(capsys, f"record {log} correct -c cars --entry 101 --stage 1 --time 3:05:00")
    few = _sheet(tmp_path, "few.csv", "category,number,time\ncars,101,0:05\ncars,102,3:00:00\n")
    _ok(capsys, f"record {log} results --stage 2 --from {few}")


def test_finding_3_one_spelling_per_name(tmp_path: Path, capsys: Capsys) -> None:
    """Issue 20, finding 3: `ultimate` is the class Ultimate (before: a third class), a
    class typo is refused unless declared, `Cars` is cars, `0201` is No. 201 and `007` and
    `7` cannot register as two crews (before: all accepted as different names)."""
    log = _rally(tmp_path, capsys)
    more, refusal = _sheet_refused(
        capsys,
        log,
        "entries",
        "more.csv",
        "category,number,class,driver\nCars,106,ultimate,Eva Lind\ncars,107,Ultimat,Ole Dahl\n",
    )
    assert "a new class in cars (more.csv, line 3, column class;" in refusal
    assert "expected one of the classes of cars (Ultimate, Stock), or --new-class Ultimat" in (
        refusal
    )
    more.write_text("category,number,class,driver\nCars,106,ultimate,Eva Lind\ncars,0201,STOCK,X\n")
    _ok(capsys, f"record {log} entries --from {more}")
    view = load(log).view
    assert view.classes("cars") == ("Ultimate", "Stock")
    assert view.entry_by_number("cars", "201") == view.entry("cars:0201")
    refusal = refused(capsys, f"record {log} entry -c CARS --number 00201 --crew Y", log)
    assert "race number already taken in cars" in refusal
    assert "received 00201 (entry cars:0201, No. 0201: numbers count as numbers)" in refusal
    _ok(capsys, f"record {log} result -c Cars --entry 201 --stage 1 --time 1:00:00")
    shown = json.loads(_ok(capsys, f"show {log} -c ' CARS ' --class ' stock' -f json"))
    assert (shown["category"], shown["class"], shown["rows"][0]["number"]) == (
        "cars",
        "Stock",
        "0201",
    )


def test_finding_4_nothing_silently_dropped(tmp_path: Path, capsys: Capsys) -> None:
    """Issue 20, finding 4: a penalty of +0:00:00 with its reason is refused (before:
    dropped without a word); `--require-reasons` refuses a DNF without one; a DSQ's reason is
    shown in the standings."""
    log = _rally(tmp_path, capsys)
    _, refusal = _sheet_refused(
        capsys,
        log,
        "results --stage 1",
        "z.csv",
        "category,number,time,penalty,penalty_reason\ncars,101,1:00:00,+0:00:00,speeding\n",
    )
    assert "a penalty of zero (z.csv, line 2, column penalty;" in refusal
    code, out, err = run_captured(
        f"record {log} penalty --category cars --entry 101 --stage 1 --amount 0:00 --reason r"
    )
    assert (code, out) == (2, "")  # in words, not "PenaltyImposed.amount_ms … milliseconds"
    assert "argument --amount: an amount of zero changes nothing: expected a time to add" in err
    status = _sheet(
        tmp_path,
        "s.csv",
        "category,number,time,status,reason\ncars,101,1:00:00,,\ncars,102,,DNF,\n"
        "cars,103,,DSQ,refuelling in the stage\n",
    )
    refusal = refused(
        capsys, f"record {log} results --stage 1 --from {status} --require-reasons", log
    )
    assert "a DNF without a reason (s.csv, line 3, column reason;" in refusal
    _ok(capsys, f"record {log} results --stage 1 --from {status}")
    reasons = {
        item["number"]: item["reason"]
        for item in json.loads(_ok(capsys, f"show {log} -c cars -f json"))["unclassified"]
    }
    assert reasons["102"] == "retired at stage 1: DNF"
    assert reasons["103"] == "excluded at stage 1: refuelling in the stage"


def test_finding_6_explain_shows_the_time_a_correction_replaced(
    tmp_path: Path, capsys: Capsys
) -> None:
    """Issue 20, finding 6: a result corrected twice is explained with the time the last
    correction replaced, by which record, and why (before: only the reason); the JSON gives
    it as replaced_ms and replaced_seq beside recorded_ms, and the report says it too, without
    the record (record numbers are for `explain` and `events`)."""
    log = _rally(tmp_path, capsys)
    _ok(capsys, f"record {log} result -c cars --entry 101 --stage 1 --time 1:00:00")
    _ok(capsys, f"record {log} correct -c cars --entry 101 --stage 1 --time 1:01:00")
    _ok(capsys, f"record {log} result -c cars --entry 102 --stage 1 --time 1:04:00")
    _ok(
        capsys,
        f"record {log} correct -c cars --entry 101 --stage 1 --time 1:00:30 --reason 'photo cell'",
    )
    table = _ok(capsys, f"explain {log} -c cars -e 101")
    assert "stage 1 result, corrected: photo cell; replaces 1:01:00 of record #10" in table
    (part,) = json.loads(_ok(capsys, f"explain {log} -c cars -e 101 -f json"))["components"]
    assert (part["time_ms"], part["recorded_ms"], part["replaced_ms"], part["replaced_seq"]) == (
        3_630_000,
        3_600_000,
        3_660_000,
        10,
    )
    from rally_standings.outputs.report import build_report

    page = build_report(load(log))
    assert "stage 1 result, corrected: photo cell" in page
    assert "(replaces 1:01:00; first recorded 1:00:00)" in page
    assert "record #" not in page


def test_finding_8_small_contract_gaps_stay_closed(tmp_path: Path, capsys: Capsys) -> None:
    """Issue 20, finding 8 (closed before this issue; kept): one row with too few cells says
    "1 cell", and `log check` states the sound bytes against the file's size."""
    log = _rally(tmp_path, capsys)
    _, refusal = _sheet_refused(
        capsys, log, "results --stage 1", "short.csv", "category,number,time\ncars\n"
    )
    assert refusal.endswith("as the header has, received 1 cell\n")
    size = log.stat().st_size
    with open(log, "ab") as handle:
        handle.write(b"\x00\x00\x01")  # a torn tail
    out = _ok(capsys, f"log check {log}")
    assert f"8 sound records (seq 1-8) in the first {size} of {size + 3} bytes" in out


def test_a_withdrawn_time_is_said_where_it_is_missing(tmp_path: Path, capsys: Capsys) -> None:
    """A stage time withdrawn does not vanish without a word: the stage ranking lists the crew
    under "Time withdrawn" with why (JSON: ``withdrawn``), and the GC's missing crews say the
    same under that heading (JSON: ``"withdrawn": true``), never "No result recorded" (a
    result was recorded). Found by an official trying the walkthrough cold."""
    log = tmp_path / "r.rallylog"
    log.write_bytes(Path(resolve_log("example-rally")).read_bytes())
    _ok(capsys, f"record {log} withdraw -c cars --entry 201 --stage 2 --reason 'beacon fault'")
    table = _ok(capsys, f"stage {log} -c cars -s 2 --plain")
    assert "Time withdrawn (1):" in table
    assert "201  Jonas Lindqvist / Mika Salo  result withdrawn: beacon fault" in table
    data = json.loads(_ok(capsys, f"stage {log} -c cars -s 2 -f json"))
    assert [(item["number"], item["reason"], item["withdrawn"]) for item in data["withdrawn"]] == [
        ("201", "result withdrawn: beacon fault", True)
    ]
    assert "201" not in [row["number"] for row in data["rows"]]
    gc = _ok(capsys, f"show {log} -c cars --after 2 --plain")
    assert "Time withdrawn (1):" in gc
    assert "No result recorded" not in gc
    assert "stage 2 result withdrawn: beacon fault" in gc
    shown = json.loads(_ok(capsys, f"show {log} -c cars --after 2 -f json"))
    assert [(u["number"], u["status"], u["withdrawn"]) for u in shown["unclassified"]] == [
        ("201", "no-result", True)
    ]
    page = tmp_path / "report.html"
    _ok(capsys, f"report {log} -o {page}")
    html = page.read_text(encoding="utf-8")
    assert '<h4 data-group="withdrawn">Time withdrawn (1)</h4>' in html
    assert "Time withdrawn</span>: <b>No. 201 Jonas Lindqvist</b>, result withdrawn: beacon" in html


def test_a_time_given_again_after_a_withdrawal_says_so(tmp_path: Path, capsys: Capsys) -> None:
    """A withdrawn time given a time again by a correction: `explain` says the correction came
    after the withdrawal, and why the time had been withdrawn, beside the time it replaces
    (an official trying the walkthrough cold saw only "replaces 3:06:10")."""
    log = tmp_path / "r.rallylog"
    log.write_bytes(Path(resolve_log("example-rally")).read_bytes())
    _ok(capsys, f"record {log} withdraw -c cars --entry 201 --stage 2 --reason 'beacon fault'")
    _ok(
        capsys,
        f"record {log} correct -c cars --entry 201 --stage 2 --time 2:57:40 --reason 'photo cell'",
    )
    data = json.loads(_ok(capsys, f"explain {log} -c cars -e 201 --after 2 -f json"))
    part = next(p for p in data["components"] if p["kind"] == "result" and p["stage"] == 2)
    assert part["note"] == (
        "stage 2 result, corrected: photo cell (after it was withdrawn: beacon fault)"
    )
    assert (part["time_ms"], part["replaced_ms"]) == ((2 * 3600 + 57 * 60 + 40) * 1000, 10665000)


def test_a_flag_naming_no_crew_on_the_sheet_is_refused(tmp_path: Path, capsys: Capsys) -> None:
    """`--confirm 999` (a typo) with a sheet that has no No. 999: refused, naming the flag,
    nothing written, rather than accepted without a word (found by a newcomer)."""
    log = _rally(tmp_path, capsys)
    sheet = _sheet(tmp_path, "s1.csv", "category,number,time\ncars,101,1:00:00\ncars,102,1:01:00\n")
    refusal = refused(capsys, f"record {log} results --stage 1 --from {sheet} --confirm 999", log)
    assert refusal.startswith("standings: error: --confirm names no crew on this sheet (s1.csv")
    assert refusal.rstrip().endswith("received 999")
    refusal = refused(
        capsys, f"record {log} results --stage 1 --from {sheet} --out-of-order cars:103", log
    )
    assert "--out-of-order names no crew on this sheet" in refusal


def test_an_import_counts_retirements_and_exclusions_apart(tmp_path: Path, capsys: Capsys) -> None:
    """A sheet with a DNF and a DSQ says "1 retirement, 1 exclusion", not "2 retirements or
    exclusions" (found by a newcomer: the tool knew which it was)."""
    log = _rally(tmp_path, capsys)
    sheet = _sheet(
        tmp_path,
        "s1.csv",
        "category,number,time,status,reason\ncars,101,1:00:00,,\ncars,102,,DNF,engine\n"
        "cars,103,,DSQ,refuelling in the stage\n",
    )
    out = _ok(capsys, f"record {log} results --stage 1 --from {sheet}")
    assert out.startswith("recorded 1 result, 1 retirement, 1 exclusion from s1.csv (3 rows)")
