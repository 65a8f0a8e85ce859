"""The published site in headless Chromium, with no `standings serve` running: opened from
file:// and from a static HTTP server, it shows the standings, and an append recorded by
another process arrives while `standings publish --watch` follows the log (issue 22)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.serve import spawn, stop_server
from rally_standings.app._publish import site_path
from tests.helpers import (
    LEADER,
    NEEDS_CHROMIUM,
    TITLE,
    DevTools,
    classes_rally,
    shows_a_new_leader,
    shows_a_new_leader_in_place,
)

pytestmark = NEEDS_CHROMIUM

STATUS = (
    "({status: document.getElementById('status').textContent,"
    " dot: getComputedStyle(document.getElementById('live')).display !== 'none'})"
)
"""What the page says of itself, and whether it shows a live dot."""


@contextmanager
def _process(argv: list[str]) -> Iterator[subprocess.Popen[str]]:
    process = spawn(argv)
    try:
        yield process
    finally:
        stop_server(process)


@contextmanager
def _watched(tmp_path: Path) -> Iterator[tuple[Path, Path, DevTools]]:
    """(the ``classes_rally`` log, the site folder, a browser): `standings publish --watch`
    follows the log into the folder (it has said it published seq 27) until the block ends;
    the browser is closed then."""
    log = classes_rally(tmp_path / "live.rallylog")
    site = tmp_path / "site"
    argv = [sys.executable, "-m", "rally_standings.app._cli", "publish", str(log), str(site)]
    with _process([*argv, "--watch"]) as publisher:
        assert publisher.stdout is not None
        assert publisher.stdout.readline().startswith("published seq 27")
        browser = DevTools(tmp_path / "profile")
        try:
            yield log, site, browser
        finally:
            browser.close()


def test_the_folder_opened_from_file_shows_an_append(tmp_path: Path) -> None:
    """Opened as files (file://, where a page can fetch nothing), the page shows the GC at
    waypoint 3 of stage 2 (No. 100 leads) from the answers in its HTML; `standings record`
    records No. 102's stage 2 time; the watching publisher rewrites the folder, the page
    sees manifest.js move and reloads: the GC after stage 2, led by No. 102. The page names
    each file as the publisher does, for any class name."""
    with _watched(tmp_path) as (log, site, browser):
        browser.open((site / "index.html").as_uri())
        assert browser.wait_for(LEADER, "100") == "100"
        assert browser.evaluate(TITLE) == "General classification at waypoint 3 of stage 2 (live)"
        shows_a_new_leader(browser, log)
        assert browser.wait_for("document.body.dataset.seq", "28") == "28"
        params = {"category": "cars", "class": "T1 / Ü?", "after": 3}
        named = browser.evaluate(f"api('standings', {params!r})".replace("'", '"'))
        query = ("standings", (("category", "cars"), ("class", "T1 / Ü?"), ("after", "3")))
        assert named == site_path(query)
        long = "越野拉力赛特别组别名称非常长的一个班级名字用于测试文件名长度限制"  # cut and hashed
        params = {"category": "cars", "class": long}
        named = browser.evaluate(f"api('standings', {params!r})".replace("'", '"'))
        assert named == site_path(("standings", (("category", "cars"), ("class", long))))


def test_the_folder_on_a_static_http_server_shows_an_append(tmp_path: Path) -> None:
    """Served by a plain static file server (python -m http.server, no standings serve), the
    page reads the JSON files by relative URL; after `standings record` and the publisher's
    rewrite it shows the new leader without reloading (a marker set in the page survives),
    having seen manifest.json move. Written by `publish --watch`, the page shows a live dot and
    says it is refreshed by the publisher, from the record it now shows (page fixes, 2)."""
    with _watched(tmp_path) as (log, site, browser):
        server_argv = [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"]
        with _process([*server_argv, "--directory", str(site)]) as server:
            assert server.stdout is not None
            line = server.stdout.readline()
            port = int(line.split(" port ")[1].split(" ")[0])
            browser.open(f"http://127.0.0.1:{port}/")
            assert browser.wait_for(LEADER, "100") == "100"
            said = browser.evaluate(STATUS)
            shows_a_new_leader_in_place(browser, log)
            after = browser.evaluate(STATUS)
    # a site `publish --watch` keeps: a live dot, and the publisher refreshes it
    assert said["dot"]
    assert re.fullmatch(
        r"published \d{4}-\d\d-\d\d \d\d:\d\d UTC from record 27; refreshed by the "
        r"publisher as records arrive",
        said["status"],
    )
    assert "from record 28; refreshed by the publisher" in after["status"]


def test_a_published_snapshot_says_so_and_its_category_links_work_without_scripts(
    tmp_path: Path,
) -> None:
    """Page fixes, findings 1 and 2: the 2004 Dakar, finished long ago, published once (no
    --watch) and opened from file://: with scripts and without, the page says it is a snapshot
    ("published <date> <time> UTC from record 321") with no live dot, not "up to date" with a
    green one; its category links work without scripts (the cars link opens the cars page the
    publisher wrote, led by No. 203) and with them (from file:// the browser opens that page)."""
    from rally_standings.app import main

    site = tmp_path / "site"
    assert main(["publish", "dakar-2004", str(site)]) == 0
    browser = DevTools(tmp_path / "profile")
    seen = {}
    try:
        for scripts in (False, True):
            browser.open((site / "index.html").as_uri(), scripts=scripts)
            assert browser.wait_for(LEADER, "4") == "4"  # bikes: Nani Roma
            seen[scripts] = browser.evaluate(STATUS)
            cars = browser.evaluate(
                "[...document.querySelectorAll('#categories a')]"
                ".filter(a => a.textContent === 'cars')[0].href"
            )
            browser.open(cars, scripts=scripts)
            assert browser.wait_for(LEADER, "203") == "203", scripts
        browser.open((site / "index.html").as_uri())
        assert browser.wait_for(LEADER, "4") == "4"
        browser.follow(
            "[...document.querySelectorAll('#categories a')]"
            ".filter(a => a.textContent === 'cars')[0].click()"
        )
        assert browser.wait_for(LEADER, "203") == "203"
        followed = browser.evaluate("location.href")
    finally:
        browser.close()
    for scripts in (False, True):
        assert re.fullmatch(
            r"published \d{4}-\d\d-\d\d \d\d:\d\d UTC from record 321", seen[scripts]["status"]
        ), scripts
        assert not seen[scripts]["dot"], scripts
    assert cars == (site / "category-cars.html").as_uri()
    assert followed == cars
