"""Classes and standings at a waypoint, computed by hand for a small rally.

Cars only, two classes (A: 100, 101; B: 102, 103, 104), stage 1 run, stage 2
running with three waypoints. Stage 1: 100 1:00:00, 101 1:02:00, 102 1:01:00,
103 1:05:00, 104 1:03:00. At stage 2: a +0:05:00 penalty in force for 102, a
+0:10:00 one for 100 rescinded; 102 has no time at waypoint 2 but one at 3
(it missed 2); 103 passes waypoints 1 and 2, then retires; 104 is not yet at
waypoint 2; 101 is not yet at waypoint 3.

Splits (elapsed since the stage start):
  waypoint 1: 100 0:20:00, 101 0:18:00, 102 0:19:00, 103 0:21:00, 104 0:23:00
  waypoint 2: 100 0:40:00, 101 0:39:00, 103 0:41:00
  waypoint 3: 100 1:00:00, 102 0:58:00
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rally_standings.engine import Rally, Standings, load
from rally_standings.events import (
    QueryError,
    format_gap,
    format_time,
)
from tests.helpers import classes_rally, cli


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rally of this module's docstring, as a log file."""
    return classes_rally(tmp_path_factory.mktemp("classes") / "c.rallylog")


@pytest.fixture(scope="module")
def rally(log: Path) -> Rally:
    return load(log)


def _rows(standings: Standings) -> list[tuple[int, str, str, str | None, str | None, int | None]]:
    return [
        (
            row.position,
            row.number or "",
            format_time(row.time_ms),
            format_gap(row.gap_ms),
            row.entry_class,
            row.class_position,
        )
        for row in standings.rows
    ]


def _waiting(items: object) -> list[tuple[str, str, str]]:
    return [(i.number, i.status, i.reason) for i in items]  # type: ignore[attr-defined]


def test_category_rows_carry_class_and_class_position(rally: Rally) -> None:
    """After stage 1 each row names its class and its place in it (1…n per class)."""
    assert _rows(rally.standings("cars", 1)) == [
        (1, "100", "1:00:00", None, "A", 1),
        (2, "102", "1:01:00", "+0:01:00", "B", 1),
        (3, "101", "1:02:00", "+0:02:00", "A", 2),
        (4, "104", "1:03:00", "+0:03:00", "B", 2),
        (5, "103", "1:05:00", "+0:05:00", "B", 3),
    ]


def test_a_class_is_ranked_on_its_own(rally: Rally) -> None:
    """--class B: positions 1…3 of class B and gaps to its leader, 102."""
    assert _rows(rally.standings("cars", 1).of_class("B")) == [
        (1, "102", "1:01:00", None, "B", 1),
        (2, "104", "1:03:00", "+0:02:00", "B", 2),
        (3, "103", "1:05:00", "+0:04:00", "B", 3),
    ]
    assert [
        (r.position, r.number) for r in rally.stage_result("cars", 1, entry_class="A").rows
    ] == [
        (1, "100"),
        (2, "101"),
    ]


def test_virtual_gc_at_waypoint_1(rally: Rally) -> None:
    """GC after stage 1 + penalties in force at stage 2 (102's +5:00, not 100's rescinded one)
    + the time at waypoint 1. 100 and 101 tie (1:20:00): one place, race number first. 103
    retired during the stage: not ranked, though it passed here."""
    standings = rally.waypoint_standings("cars", 2, 1)
    assert _rows(standings) == [
        (1, "100", "1:20:00", None, "A", 1),
        (1, "101", "1:20:00", "+0:00:00", "A", 1),
        (3, "102", "1:25:00", "+0:05:00", "B", 1),
        (4, "104", "1:26:00", "+0:06:00", "B", 2),
    ]
    assert standings.not_at_waypoint == ()
    assert _waiting(standings.unclassified) == [("103", "retired", "retired at stage 2: engine")]


def test_virtual_gc_at_waypoint_2(rally: Rally) -> None:
    """At waypoint 2: 102 missed it (it has a time at 3), 104 is not yet there."""
    standings = rally.waypoint_standings("cars", 2, 2)
    assert _rows(standings) == [
        (1, "100", "1:40:00", None, "A", 1),
        (2, "101", "1:41:00", "+0:01:00", "A", 2),
    ]
    assert _waiting(standings.not_at_waypoint) == [
        ("102", "no-result", "no time at waypoint 2 of stage 2 (it has one at waypoint 3)"),
        ("104", "not-yet", "not yet at waypoint 2 of stage 2"),
    ]


def test_virtual_gc_at_waypoint_3_and_by_class(rally: Rally) -> None:
    """At waypoint 3: 100 on 2:00:00; 102 on 1:01:00 + 5:00 + 58:00 = 2:04:00."""
    standings = rally.waypoint_standings("cars", 2, 3)
    assert _rows(standings) == [
        (1, "100", "2:00:00", None, "A", 1),
        (2, "102", "2:04:00", "+0:04:00", "B", 1),
    ]
    assert [i.number for i in standings.not_at_waypoint] == ["101", "104"]
    assert _rows(standings.of_class("B")) == [(1, "102", "2:04:00", None, "B", 1)]
    assert [i.number for i in standings.of_class("B").not_at_waypoint] == ["104"]


def test_stage_ranking_at_each_waypoint(rally: Rally) -> None:
    """The stage ranking at K is the elapsed time at K; 103, out later in the stage, is ranked
    where it passed, and listed as retired where it did not."""
    at_1 = rally.stage_result("cars", 2, waypoint=1)
    assert [
        (r.position, r.number, format_time(r.time_ms), r.class_position) for r in at_1.rows
    ] == [
        (1, "101", "0:18:00", 1),
        (2, "102", "0:19:00", 1),
        (3, "100", "0:20:00", 2),
        (4, "103", "0:21:00", 2),
        (5, "104", "0:23:00", 3),
    ]
    at_2 = rally.stage_result("cars", 2, waypoint=2)
    assert [(r.position, r.number, format_gap(r.gap_ms)) for r in at_2.rows] == [
        (1, "101", None),
        (2, "100", "+0:01:00"),
        (3, "103", "+0:02:00"),
    ]
    assert [(i.number, i.status) for i in at_2.not_at_waypoint] == [
        ("102", "no-result"),
        ("104", "not-yet"),
    ]
    at_3 = rally.stage_result("cars", 2, waypoint=3)
    assert [(r.position, r.number) for r in at_3.rows] == [(1, "102"), (2, "100")]
    assert [(i.number, i.status) for i in at_3.retired] == [("103", "retired")]
    assert [i.number for i in at_3.not_at_waypoint] == ["101", "104"]


def test_unknown_class_and_waypoint_are_refused(rally: Rally) -> None:
    """A class no entry has, or a waypoint with no time, is a QueryError naming what exists."""
    with pytest.raises(QueryError, match=r"unknown class.*one of A, B.*received C"):
        rally.standings("cars", 1).of_class("C")
    with pytest.raises(QueryError, match=r"unknown waypoint.*\(1, 2, 3\).*received 4"):
        rally.waypoint_standings("cars", 2, 4)


def test_show_json_at_a_waypoint(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`show --after 2 --waypoint 2 -f json`: the snapshot with "waypoint": 2, rows with
    "class" and "class_position", and the crews without a time there apart."""
    code, out, _ = cli(capsys, f"show {log} -c cars --after 2 --waypoint 2 -f json")
    data = json.loads(out)
    assert code == 0
    assert (data["after_stage"], data["waypoint"], data["class"]) == (2, 2, None)
    assert [(r["number"], r["class"], r["class_position"]) for r in data["rows"]] == [
        ("100", "A", 1),
        ("101", "A", 2),
    ]
    assert [(i["number"], i["status"]) for i in data["not_at_waypoint"]] == [
        ("102", "no-result"),
        ("104", "not-yet"),
    ]
    code, out, _ = cli(capsys, f"show {log} -c cars --after 1 -f json")
    plain = json.loads(out)
    assert (plain["waypoint"], "not_at_waypoint" in plain) == (None, False)


def test_show_table_at_a_waypoint(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table says where it stands and lists the crews not yet through apart."""
    code, out, _ = cli(capsys, f"show {log} -c cars --after 2 --waypoint 2")
    assert code == 0
    assert out.startswith("C · cars · general classification at waypoint 2 of stage 2\n")
    assert "Not yet at waypoint 2: 1\n" in out
    assert "No time there: 1\n" in out
    assert "Class pos" in out.splitlines()[2]


def test_the_report_ranks_a_class_and_charts_a_stage_waypoint_by_waypoint(log: Path) -> None:
    """report --class B --waypoint-stage 2: the category of class B only (its standings table
    holds B's crews, ranked 1…n) and a chart of the places at waypoints 1, 2 and 3 of stage 2
    drawing the crews classified there."""
    from rally_standings.outputs.report import build_report
    from tests.helpers import parse_html, table_records

    page = parse_html(build_report(load(log), entry_class="B", waypoint_stage=2))
    assert [h.text() for h in page.iter("h2")] == ["Cars · class B"]
    (final,) = [t for t in page.iter("table") if "General classification of class B" in t.text()]
    assert [(r["Pos"], r["No."]) for r in table_records(final)] == [
        ("1", "102"),
        ("2", "104"),
        ("3", "103"),
    ]
    (figure,) = page.find("figure", **{"data-chart": "cars-waypoints-2"})
    assert figure.attrs["data-series"] == "2"  # 102 (waypoints 1 and 3) and 104 (waypoint 1)
