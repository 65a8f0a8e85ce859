"""The live page in headless Chromium: a result recorded by another process shows without a reload.

Chromium is driven over its DevTools protocol through a pipe (``tests.helpers.DevTools``),
so no extra Python dependency is needed. Without Chromium or the serve extra the test
skips.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import starlette  # noqa: F401 (the serve extra, installed with the test extra)
import uvicorn  # noqa: F401

from benchmarks.serve import start_server, stop_server
from rally_standings.replays import resolve_log
from tests.helpers import (
    LEADER,
    NEEDS_CHROMIUM,
    TITLE,
    DevTools,
    car_penalty,
    car_result,
    classes_rally,
    shows_a_new_leader_in_place,
    start_rally,
)

pytestmark = NEEDS_CHROMIUM


def test_the_page_shows_a_new_leader_without_reloading(tmp_path: Path) -> None:
    """The page opens on the GC at waypoint 3 of stage 2 (No. 100 leads); `standings record`,
    in another process, records No. 102's stage 2 time; the same page (a marker set in it
    survives: no reload) then shows the GC after stage 2, led by No. 102."""
    log = classes_rally(tmp_path / "live.rallylog")
    server, port = start_server(log)
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(f"http://127.0.0.1:{port}/")
        assert browser.wait_for(LEADER, "100") == "100"
        assert browser.evaluate(TITLE) == ("General classification at waypoint 3 of stage 2 (live)")
        shows_a_new_leader_in_place(browser, log)
    finally:
        browser.close()
        stop_server(server)


def test_the_page_says_what_a_partial_source_does_not_know_and_fits_a_phone(
    tmp_path: Path,
) -> None:
    """On dakar-2004 (the source prints the top 3 of a stage), the page's stage ranking shows
    the rows beyond them as ≥4, ≥5 … with the note saying why, as the command line does;
    a GC move from or to an uncertain place is ?, never a count; at 390 px wide no table
    needs a sideways scroll."""
    server, port = start_server(resolve_log("dakar-2004"))
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(f"http://127.0.0.1:{port}/")
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 900, "deviceScaleFactor": 1, "mobile": True},
        )
        assert browser.wait_for(LEADER, "4") == "4"  # bikes: Nani Roma leads
        browser.evaluate("document.querySelectorAll('#categories a')[1].click()")
        assert browser.wait_for(LEADER, "203") == "203"  # cars: Peterhansel
        positions = browser.evaluate(
            "[...document.querySelectorAll('#stage tbody tr')].map(r => r.cells[0].textContent)"
        )
        assert positions == ["1", "2", "3", "≥4", "≥5", "≥6"]
        assert "so a place shown as ≥N is N-th or lower" in browser.evaluate(
            "document.getElementById('stage-note').textContent"
        )
        moves = browser.evaluate(
            "[...document.querySelectorAll('#gc tbody tr')].map(r => r.cells[1].textContent)"
        )
        assert moves[:3] == ["=", "=", "="]
        assert moves[-1] == "?"  # No. 259: its place after stage 16 is only a lower bound
        overflow = browser.evaluate(
            "[...document.querySelectorAll('.scroll')].filter(e => e.offsetParent)"
            ".map(e => e.scrollWidth - e.clientWidth)"
        )
        assert overflow
        assert max(overflow) <= 0
    finally:
        browser.close()
        stop_server(server)


_SHOWN = """(function () {
  var width = window.innerWidth, out = {width: width, cut: []};
  document.querySelectorAll('#gc tbody tr, #stage tbody tr').forEach(function (tr) {
    [0, tr.cells.length - 1].concat([].slice.call(tr.cells).map(function (c, i) {
      return /Time|Gap/.test(tr.closest('table').tHead.rows[0].cells[i].textContent) ? i : -1;
    }).filter(function (i) { return i >= 0; })).forEach(function (i) {
      var box = tr.cells[i].getBoundingClientRect();
      if (getComputedStyle(tr.cells[i]).display !== 'none' && box.right > width + 0.5) {
        out.cut.push(tr.cells[i].textContent);
      }
    });
  });
  return out;
})()"""
"""At the current width: the place, time and gap cells of the live tables that are cut off."""


def test_the_live_page_draws_a_tie_as_a_tie_and_tags_a_derived_penalty(tmp_path: Path) -> None:
    """F3, F4, F6, F7 on the live page: two cars with the same stage time share first place,
    so no row is styled as the leader and the interval is "tie"; a penalty the source does
    not state (derived) is tagged "derived from the arithmetic", in the penalties list and
    under the crew's name; "not classified" is said of no one; at 390 px the place, time and
    gap of every row are on screen."""
    from rally_standings import events
    from rally_standings.engine import Recorder

    log = start_rally(tmp_path / "tie.rallylog")
    derived = events.Provenance(events.SourceKind.DERIVED, "the GC is 5:00 more than the stage")
    with Recorder(log) as recorder:
        recorder.append_many(
            [
                car_result(200, 2, 60),
                car_result(201, 2, 55),
                car_result(202, 2, 65),
                car_penalty(
                    "P1", 201, 2, 5, "time added to the GC only", gc_only=True, provenance=derived
                ),
            ]
        )
    server, port = start_server(log)
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(f"http://127.0.0.1:{port}/")
        rows = "document.querySelectorAll('#gc tbody tr').length"
        assert browser.wait_for(rows, 3) == 3
        browser.evaluate("document.querySelectorAll('#categories a')[0].click()")
        assert browser.wait_for("document.querySelectorAll('#penalties li.derived').length", 1) == 1
        browser.viewport(390, 900, mobile=True)
        cells = browser.evaluate(
            "[...document.querySelectorAll('#gc tbody tr')].map(r => [...r.cells]"
            ".map(c => c.textContent))"
        )
        leaders = browser.evaluate("document.querySelectorAll('#gc tbody tr.leader').length")
        penalty = browser.evaluate("document.querySelector('#penalties li.derived').textContent")
        under = browser.evaluate(
            "[...document.querySelectorAll('#gc .pen.derived')].map(s => s.textContent)"
        )
        text = browser.evaluate("document.body.innerText")
        missing = browser.evaluate("document.getElementById('gc-out').textContent")
        shown = browser.evaluate(_SHOWN)
    finally:
        browser.close()
        stop_server(server)
    assert [row[0] for row in cells] == ["1", "1", "3"]
    assert [row[-1] for row in cells] == ["", "tie", "+0:05:00"]
    assert leaders == 0
    assert "derived from the arithmetic" in penalty
    assert under == ["incl. penalty +0:05:00 (stage 2) derived from the arithmetic"]
    assert "not classified" not in text.lower()
    assert "Who is missing from these standings" in text
    # No. 203 has no stage 2 time: as the command line words it, under its plain group
    assert "No result recorded (1)203Driver 203 / Co 203no time recorded for stage 2" in missing
    assert shown["width"] == 390
    assert shown["cut"] == []


_DRAWN = """(function () {
  var out = {};
  ['gc-title', 'gc', 'gc-note', 'gc-waiting', 'gc-out', 'stage-title', 'stage', 'stage-note',
   'penalties', 'categories', 'rally'].forEach(function (id) {
    out[id] = document.getElementById(id).textContent;
  });
  out.rows = [...document.querySelectorAll('#gc tbody tr')].map(
    r => [...r.cells].map(c => c.innerText));
  return out;
})()"""
"""What the live page shows: the text of each part (a closed one too), and the GC's cells."""


def test_without_scripts_the_page_shows_the_standings_the_scripts_then_draw(
    tmp_path: Path,
) -> None:
    """Issue 20, finding 7: with scripts disabled (a reader without them, a search engine) the
    page the server sends already shows the GC at waypoint 3 of stage 2 (No. 104, whose time
    there was recorded out of order and is said to be, leads No. 100 and No. 102), who is
    still on the stage (101, apart from 103 who retired), the stage's ranking and the
    penalties; with scripts, the page draws the very same text."""
    from rally_standings import events
    from rally_standings.engine import Recorder

    log = classes_rally(tmp_path / "live.rallylog")
    with Recorder(log) as recorder:  # (the Python API records what it is given)
        recorder.append(
            events.WaypointRecorded(entry_id="cars:104", stage=2, waypoint=3, time_ms=1_350_000)
        )
    server, port = start_server(log)
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(f"http://127.0.0.1:{port}/", scripts=False)
        assert browser.evaluate("typeof refresh") == "undefined"  # no script ran
        plain = browser.evaluate(_DRAWN)
        browser.open(f"http://127.0.0.1:{port}/")
        assert browser.wait_for("document.body.dataset.seq", "28") == "28"
        drawn = browser.evaluate(_DRAWN)
    finally:
        browser.close()
        stop_server(server)
    assert plain["gc-title"] == "General classification at waypoint 3 of stage 2 (live)"
    assert [row[2] for row in plain["rows"]] == ["104", "100", "102"]
    assert [row[6] for row in plain["rows"]] == ["1:25:30", "2:00:00", "2:04:00"]
    assert "Still on the stage, not yet at waypoint 3 (1)" in plain["gc-waiting"]
    assert "101" in plain["gc-waiting"]
    assert "103" not in plain["gc-waiting"]
    assert "Retired (1)" in plain["gc-out"]
    assert "No. 104 at waypoint 3 (earlier than at waypoint 1)" in plain["gc-note"]
    assert "speeding" in plain["penalties"]
    assert plain == drawn


_SHOWN_STATE = """(function () {
  var dot = document.getElementById('live');
  return {status: document.getElementById('status').textContent,
          dot: getComputedStyle(dot).display !== 'none',
          classes: [...document.querySelectorAll('#classes a')].map(a => [a.textContent, a.href])};
})()"""
"""What the page says of itself, whether it shows a live dot, and its class links."""


def test_without_scripts_the_page_says_what_it_is_and_its_class_links_work(
    tmp_path: Path,
) -> None:
    """Page fixes, finding 1: read without scripts, the page does not claim to be up to date
    and shows no live dot: it says it is the log as of record 27 and updates itself when
    scripts run; its class choices are links, and the page one leads to, still without
    scripts, is the GC of that class (the server draws it); with scripts the same address
    draws the same text, and the page is up to date with a live dot."""
    log = classes_rally(tmp_path / "live.rallylog")
    server, port = start_server(log)
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(f"http://127.0.0.1:{port}/", scripts=False)
        plain = browser.evaluate(_SHOWN_STATE)
        href = dict(plain["classes"])["B"]
        browser.open(href, scripts=False)
        of_class = browser.evaluate(_DRAWN)
        browser.open(href)
        assert browser.wait_for("document.body.dataset.seq", "27") == "27"
        drawn = browser.evaluate(_DRAWN)
        live = browser.evaluate(_SHOWN_STATE)
    finally:
        browser.close()
        stop_server(server)
    assert plain["status"] == "as of record 27; this page updates itself when scripts run"
    assert not plain["dot"]
    assert href == f"http://127.0.0.1:{port}/?category=cars&class=B"
    assert (
        of_class["gc-title"] == "General classification of class B at waypoint 3 of stage 2 (live)"
    )
    assert [row[2] for row in of_class["rows"]] == ["102"]
    assert of_class == drawn
    assert live["status"] == "up to date as of record 27"
    assert live["dot"]


_PENALTY_SHOWN = """(function () {
  var row = document.querySelector('#stage tbody tr');
  var line = row.querySelector('.pen');
  var column = [...document.querySelectorAll('#stage thead th')].filter(
    th => th.textContent === 'Penalty')[0];
  var root = document.documentElement;
  var heads = [...document.querySelector('#stage thead').rows[0].cells].map(c => c.textContent);
  return {time: row.cells[heads.indexOf('Time')].textContent,
          line: line && line.offsetParent !== null ? line.textContent : null,
          column: column && column.offsetParent !== null,
          sideways: root.scrollWidth - root.clientWidth};
})()"""
"""The stage winner's time, its penalty under its name if shown, whether the Penalty column is
shown, and how far the page scrolls sideways."""


def test_on_a_phone_a_stage_time_shows_the_penalty_in_it(tmp_path: Path) -> None:
    """Page fixes, finding 5: No. 201 wins stage 2 in a time that holds a 2-minute penalty.
    At 390 px, where the Penalty column is hidden, the penalty is said under the crew's name
    ("incl. penalty +0:02:00"), with scripts and without, and the page does not scroll
    sideways; at 1400 px the Penalty column says it and the line under the name is not
    shown."""
    from rally_standings import events
    from rally_standings.engine import Recorder, load

    log = start_rally(tmp_path / "penalty.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many(
            [
                events.StageResultRecorded(entry_id="cars:200", stage=2, time_ms=3_600_000),
                events.StageResultRecorded(entry_id="cars:201", stage=2, time_ms=3_300_000),
                events.PenaltyImposed(
                    penalty_id="P1",
                    entry_id="cars:201",
                    stage=2,
                    amount_ms=120_000,
                    reason="speeding",
                ),
            ]
        )
    last = str(load(log).last_seq)
    server, port = start_server(log)
    browser = DevTools(tmp_path / "profile")
    seen = {}
    try:
        for scripts in (False, True):
            browser.open(f"http://127.0.0.1:{port}/", scripts=scripts)
            if scripts:
                assert browser.wait_for("document.body.dataset.seq", last) == last
            for width in (390, 1400):
                browser.viewport(width, 900, mobile=width < 600)
                seen[scripts, width] = browser.evaluate(_PENALTY_SHOWN)
    finally:
        browser.close()
        stop_server(server)
    for scripts in (False, True):
        phone, desktop = seen[scripts, 390], seen[scripts, 1400]
        assert phone == {
            "time": "0:57:00",
            "line": "incl. penalty +0:02:00",
            "column": False,
            "sideways": 0,
        }, scripts
        assert (desktop["line"], desktop["column"], desktop["sideways"]) == (None, True, 0)


_RESCINDED = """(function () {
  var item = document.querySelector('#penalties li.rescinded');
  var amount = item.querySelector('.amount');
  var said = item.querySelector('.rescission');
  var struck = function (node) {
    for (; node; node = node.parentElement) {
      if (getComputedStyle(node).textDecorationLine.indexOf('line-through') >= 0) { return true; }
    }
    return false;
  };
  var inForce = document.querySelector('#penalties li:not(.rescinded) .amount');
  return {amount: [amount.textContent, struck(amount), getComputedStyle(amount).color],
          reason: said ? [said.textContent, struck(said)] : null,
          red: getComputedStyle(inForce).color};
})()"""
"""The rescinded penalty's amount (text, struck, colour), its rescission's reason (text,
struck), and the colour of a penalty in force."""


def test_a_rescinded_penalty_reads_as_rescinded(tmp_path: Path) -> None:
    """Page fixes, finding 7: P2 (+0:10:00 for No. 100) was rescinded on appeal. In the
    penalties list its amount is struck and not red (a penalty in force stays red), and the
    rescission's reason ("rescinded: appeal upheld") is not struck: neither it nor any element
    around it draws a line through it; with scripts and without."""
    log = classes_rally(tmp_path / "live.rallylog")
    server, port = start_server(log)
    browser = DevTools(tmp_path / "profile")
    seen = []
    try:
        for scripts in (False, True):
            browser.open(f"http://127.0.0.1:{port}/", scripts=scripts)
            if scripts:
                assert browser.wait_for("document.body.dataset.seq", "27") == "27"
            seen.append(browser.evaluate(_RESCINDED))
    finally:
        browser.close()
        stop_server(server)
    for shown in seen:
        text, struck, colour = shown["amount"]
        assert (text, struck) == ("+0:10:00", True)
        assert colour != shown["red"]
        assert shown["red"] == "rgb(179, 38, 30)"
        assert shown["reason"] == ["rescinded: appeal upheld", False]


def test_the_page_says_the_log_is_damaged_and_only_then(tmp_path: Path) -> None:
    """A sound log's page shows no error box; once a frame the server follows is damaged,
    the same page says "The log cannot be read." with why, and the status line says the
    last good standings are shown greyed (the box is written only then: no hidden text)."""
    log = classes_rally(tmp_path / "live.rallylog")
    server, port = start_server(log)
    browser = DevTools(tmp_path / "profile")
    box = "document.getElementById('error').textContent"
    try:
        browser.open(f"http://127.0.0.1:{port}/")
        assert browser.wait_for(LEADER, "100") == "100"
        assert browser.evaluate(box) == ""
        payload = b"\x93\x01\x02\x03"  # a whole frame whose payload checksum fails
        head = struct.pack(">II", len(payload), zlib.crc32(payload) ^ 1)
        with open(log, "ab") as handle:
            handle.write(head + struct.pack(">I", zlib.crc32(head)) + payload)
        said = browser.wait_for(f"{box}.startsWith('The log cannot be read. ')", True)
        assert said is True, browser.evaluate(box)
        assert "checksum" in browser.evaluate(box)
        assert browser.evaluate("document.getElementById('status').textContent") == (
            "the log is damaged: the last good standings are shown greyed"
        )
    finally:
        browser.close()
        stop_server(server)
