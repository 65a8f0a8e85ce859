"""`--relative-to ENTRY`: gaps to a chosen crew, checked against sums done by hand.

The expected values below were worked out from the printed times, not by the
code under test: e.g. 2004 trucks, No. 417 de Rooy 69:42:17 and No. 414
Chagin 68:13:49, so Chagin is 1:28:28 ahead of de Rooy (-5,308,000 ms).
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.helpers import cli

H, M, S = 3_600_000, 60_000, 1_000


def test_show_json_gaps_to_a_crew(capsys: pytest.CaptureFixture[str]) -> None:
    """`show --relative-to 417 -f json`: relative_to, and each row's gap to No. 417."""
    code, out, _ = cli(capsys, "show dakar-2004 -c trucks --relative-to 417 -f json")
    assert code == 0
    data = json.loads(out)
    assert data["relative_to"] == {
        "number": "417",
        "crew": ["Gérard de Rooy", "Tom Colsoul", "Arno Slaats"],
        "time_ms": 69 * H + 42 * M + 17 * S,
    }
    gaps = {row["number"]: row["gap_to_reference_ms"] for row in data["rows"]}
    assert gaps["414"] == -(1 * H + 28 * M + 28 * S)  # 68:13:49 against 69:42:17
    assert gaps["410"] == -(34 * M + 50 * S)  # 69:07:27
    assert gaps["417"] == 0
    assert gaps["423"] == 5 * H + 21 * M + 52 * S  # 75:04:09
    assert [row["gap_ms"] for row in data["rows"][:2]] == [None, 53 * M + 38 * S]  # unchanged


def test_without_the_option_the_json_is_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    """No --relative-to: no new keys (the documented JSON is extended only when asked)."""
    _, out, _ = cli(capsys, "show dakar-2004 -c trucks -f json")
    data = json.loads(out)
    assert "relative_to" not in data
    assert all("gap_to_reference_ms" not in row for row in data["rows"])


def test_plain_table_has_the_column(capsys: pytest.CaptureFixture[str]) -> None:
    """The plain table adds a `To No. 417` column: signed, `(ref)` on the crew itself."""
    _, out, _ = cli(capsys, "show dakar-2004 -c trucks --relative-to 417")
    lines = out.splitlines()
    assert lines[2].split()[-4:] == ["Gap", "To", "No.", "417"]
    chagin = next(line for line in lines if "Vladimir Chagin" in line)
    assert chagin.rstrip().endswith("-1:28:28")
    de_rooy = next(line for line in lines if "Gérard de Rooy" in line)
    assert de_rooy.rstrip().endswith("(ref)")
    assert "To No. 417: time against No. 417 Gérard de Rooy (negative: ahead of it)." in out


def test_stage_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    """`stage --relative-to Masuoka`: stage times against his 3:18:46 on stage 5."""
    code, out, _ = cli(capsys, "stage dakar-2004 -c cars -s 5 --relative-to Masuoka -f json")
    assert code == 0
    data = json.loads(out)
    assert data["relative_to"]["number"] == "201"
    gaps = {row["number"]: row["gap_to_reference_ms"] for row in data["rows"]}
    assert gaps == {
        "203": -(4 * M + 35 * S),  # 3:14:11
        "201": 0,
        "208": 8 * M + 20 * S,  # 3:27:06
    }


def test_whatif_gaps_to_a_crew(capsys: pytest.CaptureFixture[str]) -> None:
    """`whatif --relative-to 205`: hypothetical times against Kleinschmidt's 70:42:06."""
    command = (
        "whatif dakar-2001 -c cars --rescind 2001-cars-schlesser-early-start "
        "--relative-to 205 -f json"
    )
    _, out, _ = cli(capsys, command)
    data = json.loads(out)
    gaps = {row["number"]: row["gap_to_reference_ms"] for row in data["rows"]}
    assert gaps["200"] == -(36 * M + 31 * S)  # 70:05:35
    assert gaps["205"] == 0
    assert gaps["203"] == 2 * M + 39 * S  # 70:44:45
    changes = {row["number"]: row["time_change_ms"] for row in data["rows"][:3]}
    assert changes == {"200": -1 * H, "205": 0, "203": 0}


def test_replay_csv_and_an_unclassified_reference(capsys: pytest.CaptureFixture[str]) -> None:
    """Replay CSV gains the column; where the crew has no time, its gaps are empty."""
    _, out, _ = cli(capsys, "replay dakar-2004 -c cars --relative-to 207 -f csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[-1] == "gap_to_reference_ms"
    after_9 = [r for r in rows if r["after_stage"] == "9" and r["position"]]
    assert {r["gap_to_reference_ms"] for r in after_9} == {""}  # 207 is not classified then
    after_17 = {r["number"]: r["gap_to_reference_ms"] for r in rows if r["after_stage"] == "17"}
    assert after_17["203"] == str(-(3 * H + 55 * M + 58 * S))  # Alphand 57:43:35 vs 53:47:37
    _, text, _ = cli(capsys, "show dakar-2004 -c cars --after 9 --relative-to 207")
    assert "No. 207 Luc Alphand has no time after stage 9, so no gap to it can be given." in text


def test_unknown_reference_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """An entry that does not exist: one line on stderr, exit 2."""
    code, out, err = cli(capsys, "show dakar-2004 -c cars --relative-to 999")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "unknown entry" in err
