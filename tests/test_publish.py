"""`standings publish`: a static site whose every file is the live server's answer, kept up to
date append by append (only what changed is rewritten, the manifest last), never touched while
the log is damaged (issue 22)."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rally_standings import events
from rally_standings.app._live import LiveRally
from rally_standings.app._publish import (
    MANIFEST,
    MANIFEST_SCRIPT,
    PAGE,
    Publisher,
    Watcher,
    page_path,
    pages,
    questions,
    site_path,
)
from rally_standings.app._server import create_app
from rally_standings.engine import Recorder, create_log, load
from rally_standings.events import RallyDeclared, StageResultRecorded
from rally_standings.replays import resolve_log
from tests.helpers import (
    classes_rally,
    cli,
    parse_html,
    record_elsewhere,
    run_captured,
    table_rows,
)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of a folder by its relative path (temporary files would show here too)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _answers(log: Path, name: str | None = None) -> dict[str, bytes]:
    """What a fresh `standings serve` of ``log`` answers to every question the site holds, by
    the site's file name (the questions it cannot answer left out)."""
    live = LiveRally(log, name=name)
    overview = json.loads(live.answer("rally", {}).body)
    found = {}
    for query in questions(overview, all_waypoints=False):
        answer = live.answer(query[0], dict(query[1]))
        if answer.status == 200:
            found[site_path(query)] = answer.body
    return found


WHEN = datetime.datetime(2026, 1, 4, 18, 2, 5, tzinfo=datetime.UTC)
"""The time the tests publish at (a page says when it was published): one fixed time, so
that two publications of the same log are the same bytes."""


def _publish(log: Path, folder: Path, name: str | None = None) -> Publisher:
    folder.mkdir(exist_ok=True)
    publisher = Publisher(LiveRally(log, name=name), folder, clock=lambda: WHEN)
    publisher.publish()
    return publisher


def _pages(log: Path) -> set[str]:
    """The site's pages: one per category and class (index.html: the first category's)."""
    overview = json.loads(LiveRally(log).answer("rally", {}).body)
    first = overview["categories"][0]["category"]
    return {page_path(first, category, cls) for category, cls in pages(overview)}


def _check_site(folder: Path, log: Path, name: str | None = None) -> dict[str, bytes]:
    """The folder is the site of ``log`` as it stands: each JSON file the server's answer, no
    other answer file, the manifest naming every file with its digest and the last seq."""
    files = _files(folder)
    expected = _answers(log, name)
    assert {path: body for path, body in files.items() if path.startswith("api/")} == expected
    manifest = json.loads(files[MANIFEST])
    assert manifest["seq"] == load(log).last_seq
    assert PAGE in _pages(log)
    assert set(manifest["files"]) == {*expected, *_pages(log)}
    for path, item in manifest["files"].items():
        assert item == {
            "sha256": hashlib.sha256(files[path]).hexdigest(),
            "bytes": len(files[path]),
        }
    assert files[MANIFEST_SCRIPT] == f"publishedSeq({manifest['seq']});\n".encode()
    assert not [path for path in files if path.endswith(".tmp")]
    return files


def _replayed(source: Path, log: Path) -> Iterator[int]:
    """``source``'s records appended one at a time to a new log at ``log``; yields each seq."""
    records = list(load(source).iter_records())
    declared = records[0].event
    assert isinstance(declared, RallyDeclared)
    create_log(log, declared, recorded_at=records[0].recorded_at)
    yield 1
    with Recorder(log, checkpoint_lag=None) as recorder:
        for record in records[1:]:
            recorder.append(record.event, recorded_at=record.recorded_at)
            yield record.seq


@pytest.fixture
def classes_log(tmp_path: Path) -> Path:
    """The two-class rally with waypoints (stage 2 being run, at waypoint 3)."""
    return classes_rally(tmp_path / "c.rallylog")


def test_every_file_is_the_servers_answer_byte_for_byte(tmp_path: Path, classes_log: Path) -> None:
    """Published once, the classes rally's site holds the rally, the penalties (all, per
    category), the latest standings and the standings after each stage and each stage's
    ranking, per category and class, and at each waypoint of the stage being run: each file the
    bytes `standings serve` answers over HTTP to the same question, found at the relative
    path the page computes."""
    _publish(classes_log, tmp_path / "site")
    files = _check_site(tmp_path / "site", classes_log)
    assert "api/rally.json" in files
    assert "api/penalties/category-cars.json" in files
    assert "api/standings/category-cars/class-B/after-2/waypoint-3.json" in files
    assert "api/stage/category-cars/class-A/stage-2/waypoint-1.json" in files
    assert "api/standings/category-cars/after-1.json" in files
    urls = {
        "api/standings/category-cars.json": "/api/standings?category=cars",
        "api/standings/category-cars/class-B/after-2/waypoint-3.json": (
            "/api/standings?category=cars&class=B&after=2&waypoint=3"
        ),
        "api/stage/category-cars/class-A/stage-1.json": "/api/stage?category=cars&stage=1&class=A",
        "api/penalties.json": "/api/penalties",
        "api/rally.json": "/api/rally",
    }
    with TestClient(create_app(classes_log)) as client:
        for path, url in urls.items():
            assert client.get(url).content == files[path], url


def test_file_names_are_safe_on_any_host() -> None:
    """A value's bytes other than ASCII letters, digits and "-" are written _XX: a class named
    "T1 / Ü?" gives a name of safe characters only, different from every other value's."""
    path = site_path(("standings", (("category", "cars"), ("class", "T1 / Ü?"), ("after", "3"))))
    assert path == "api/standings/category-cars/class-T1_20_2F_20_C3_9C_3F/after-3.json"
    assert re.fullmatch(r"[A-Za-z0-9_./-]+", path)
    other = site_path(("standings", (("category", "cars"), ("class", "T1_20"), ("after", "3"))))
    assert other != path


LONG_CLASS = "越野拉力赛特别组别名称非常长的一个班级名字用于测试文件名长度限制"
"""A class of 32 characters, 96 bytes of UTF-8: 288 characters when written _XX."""


def test_a_long_name_is_cut_and_hashed_and_the_site_is_published(tmp_path: Path) -> None:
    """Attack finding 1: a class named with 32 CJK characters (288 characters written _XX,
    past the 255 bytes a file name holds) failed the publish halfway and stopped --watch. A
    value longer than 60 characters is written as its first 40, "~" and its FNV-1a hash: the
    site is published whole, its pages and files say the class, and two long names alike in
    their first 40 characters are two files."""
    log = tmp_path / "long.rallylog"
    create_log(log, RallyDeclared(rally_id="long", name="Long", year=2026, categories=("cars",)))
    with Recorder(log) as recorder:
        recorder.append_many(
            [
                events.StageScheduled(
                    stage=1, rules=(events.StageRule("cars", events.StageKind.SPECIAL),)
                ),
                *[
                    events.EntryRegistered(
                        entry_id=f"cars:{n}",
                        category="cars",
                        number=str(n),
                        crew=(events.Person(f"Driver {n}"),),
                        entry_class=LONG_CLASS + ("" if n == 1 else "2"),
                    )
                    for n in (1, 2)
                ],
                StageResultRecorded(entry_id="cars:1", stage=1, time_ms=3_600_000),
                StageResultRecorded(entry_id="cars:2", stage=1, time_ms=3_700_000),
            ]
        )
    site = tmp_path / "site"
    assert run_captured(["publish", str(log), str(site)])[0] == 0
    names = [p.name for p in site.rglob("*")]
    assert max(len(name.encode()) for name in names) <= 100
    one = site_path(("standings", (("category", "cars"), ("class", LONG_CLASS))))
    two = site_path(("standings", (("category", "cars"), ("class", LONG_CLASS + "2"))))
    assert one != two
    assert re.fullmatch(
        r"api/standings/category-cars/class-[A-Za-z0-9_]{40}~[0-9a-f]{8}\.json", one
    )
    for path in (one, two):
        assert json.loads((site / path).read_bytes())["rows"][0]["class"].startswith(LONG_CLASS)
    manifest = json.loads((site / "manifest.json").read_bytes())
    assert one in manifest["files"]
    assert sum(name.endswith(".html") for name in manifest["files"]) == 3  # all, and each class


def test_the_first_html_already_holds_the_standings(tmp_path: Path, classes_log: Path) -> None:
    """index.html, before any script runs, names the rally and holds the GC the page shows
    first (cars at waypoint 3 of stage 2): its rows are the answer's, in order; the answers the
    page first reads are in it too (a page opened from file:// cannot fetch)."""
    _publish(classes_log, tmp_path / "site")
    page = (tmp_path / "site" / PAGE).read_text(encoding="utf-8")
    tree = parse_html(page)
    assert tree.by_id("rally").text() == "C"
    assert tree.by_id("gc-title").text() == (
        "General classification at waypoint 3 of stage 2 (live)"
    )
    gc = json.loads(
        (tmp_path / "site/api/standings/category-cars/after-2/waypoint-3.json").read_text()
    )
    rows = table_rows(tree.by_id("gc"))
    assert [row[2] for row in rows] == [row["number"] for row in gc["rows"]]
    assert [row[6] for row in rows] == [row["time"] for row in gc["rows"]]
    embedded = json.loads(tree.by_id("published").text())
    assert embedded["seq"] == load(classes_log).last_seq
    assert embedded["answers"]["api/standings/category-cars/after-2/waypoint-3.json"] == gc


def test_watch_after_every_append_equals_a_fresh_publish_rewriting_only_changes(
    tmp_path: Path,
) -> None:
    """The example rally recorded again one event at a time beside a watching publisher: after
    every append the folder is exactly what a fresh publish of the log writes (every JSON file
    the server's answer), and a file whose answer did not change keep its inode (it was not
    written again)."""
    log = tmp_path / "replay.rallylog"
    steps = _replayed(resolve_log("example-rally"), log)
    next(steps)
    site = tmp_path / "site"
    watcher = Watcher(_publish(log, site), str(site))
    unchanged = 0
    for seq in steps:
        before = {path: (site / path).stat().st_ino for path in _files(site)}
        old = _files(site)
        report = watcher.step()
        assert report is not None
        assert report.seq == seq
        fresh = tmp_path / f"fresh-{seq}"
        _publish(log, fresh)
        assert _files(site) == _files(fresh), seq
        for path, body in _files(site).items():
            if path.startswith("api/") and old.get(path) == body:
                assert (site / path).stat().st_ino == before[path], path
                unchanged += 1
        shutil.rmtree(fresh)
    _check_site(site, log)
    assert unchanged > 200  # most answers stay as they were from one append to the next


def test_the_manifest_is_written_last_and_stale_files_removed_after_it(
    tmp_path: Path, classes_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stage 2's results end it: its waypoint files leave the site. The files written go in
    this order: the answers, the pages (one per category and class), manifest.js,
    manifest.json; the waypoint files are removed only after the manifest that no longer lists
    them."""
    site = tmp_path / "site"
    watcher = Watcher(_publish(classes_log, site), str(site))
    order: list[str] = []
    real_put, real_remove = Publisher._put, Publisher._remove

    def put(self: Publisher, path: str, body: bytes) -> int:
        order.append(path)
        return real_put(self, path, body)

    def remove(self: Publisher, paths: list[str]) -> int:
        order.extend(f"removed {p}" for p in paths)
        return real_remove(self, paths)

    monkeypatch.setattr(Publisher, "_put", put)
    monkeypatch.setattr(Publisher, "_remove", remove)
    with Recorder(classes_log) as recorder:
        view = recorder.rally.view
        recorder.append_many(
            StageResultRecorded(entry_id=entry.entry_id, stage=2, time_ms=3_600_000 + n)
            for n, entry in enumerate(view.entries("cars"))
            if view.retirement(entry.entry_id) is None
        )
    report = watcher.step()
    assert report is not None
    assert report.removed > 0
    manifest = order.index(MANIFEST)
    site_pages = _pages(classes_log)
    written = len(site_pages) + 1
    assert set(order[manifest - written : manifest - 1]) == site_pages
    assert order[manifest - 1] == MANIFEST_SCRIPT
    assert all(path.startswith("api/") for path in order[: manifest - written])
    removed = order[manifest + 1 :]
    assert len(removed) == report.removed
    assert all("/waypoint-" in path for path in removed)
    assert not list(site.rglob("waypoint-*"))
    _check_site(site, classes_log)


def _damage(log: Path) -> bytes:
    """Flip a byte inside the log's last frame; the log's bytes before."""
    data = log.read_bytes()
    damaged = bytearray(data)
    damaged[-5] ^= 0xFF
    log.write_bytes(bytes(damaged))
    return data


def test_a_damaged_log_publishes_nothing_and_the_last_good_site_stays(
    tmp_path: Path, classes_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """While the log is damaged the watcher writes nothing (every byte of the site as it was)
    and says so once on stderr; once the log is sound again it publishes it."""
    site = tmp_path / "site"
    watcher = Watcher(_publish(classes_log, site), str(site))
    before = _files(site)
    good = _damage(classes_log)
    capsys.readouterr()
    assert watcher.step() is None
    assert watcher.step() is None
    assert _files(site) == before
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "nothing is published until it is sound" in err
    classes_log.write_bytes(good)
    record_elsewhere(
        classes_log, "result", "-c", "cars", "--stage", "2", "--entry", "102", "--time", "0:58:30"
    )
    assert watcher.step() is not None
    _check_site(site, classes_log)


def test_publish_refusals_are_one_line_and_write_nothing(
    tmp_path: Path, classes_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged log, a folder that is a file, a folder holding files of its own (without
    --force) are refused with one line and exit 2, and nothing is written; with --force the
    site is written beside the other files, which stay."""
    _damage(classes_log)
    code, _, err = cli(capsys, f"publish {classes_log} {tmp_path / 'site'}")
    assert (code, err.count("\n")) == (2, 1)
    assert "nothing was published" in err
    assert not (tmp_path / "site").exists()
    log = classes_rally(tmp_path / "sound.rallylog")
    code, _, err = cli(capsys, f"publish {log} {log}")
    assert (code, err.count("\n")) == (2, 1)
    own = tmp_path / "own"
    own.mkdir()
    (own / "notes.txt").write_text("mine")
    code, _, err = cli(capsys, f"publish {log} {own}")
    assert (code, err.count("\n")) == (2, 1)
    assert "--force" in err
    assert _files(own) == {"notes.txt": b"mine"}
    code, out, _ = cli(capsys, f"publish {log} {own} --force")
    assert code == 0
    assert out.startswith(f"published seq {load(log).last_seq} to {own}:")
    assert _files(own)["notes.txt"] == b"mine"
    code, _, err = cli(capsys, f"publish {log} {tmp_path}")
    assert (code, err.count("\n")) == (2, 1)  # the log's own folder holds files of its own


def test_publish_watch_beside_a_writer_matches_the_server_after_every_append(
    tmp_path: Path, classes_log: Path
) -> None:
    """`standings publish LOG DIR --watch` in its own process while `standings record` appends
    in others: after each append (once the manifest says its seq), every file is the server's
    answer to the same question; SIGINT stops it with status 0."""
    site = tmp_path / "site"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rally_standings.app._cli",
            "publish",
            str(classes_log),
            str(site),
            "--watch",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("published seq 27 to ")
        assert process.stdout.readline().startswith("watching ")
        appends = [
            ("result", "-c", "cars", "--stage", "2", "--entry", "102", "--time", "0:58:30"),
            (
                "penalty",
                "-c",
                "cars",
                "--entry",
                "102",
                "--stage",
                "2",
                "--amount",
                "+0:05:00",
                "--reason",
                "speeding",
            ),
            ("result", "-c", "cars", "--stage", "2", "--entry", "100", "--time", "1:00:30"),
        ]
        for seq, argv in enumerate(appends, start=28):
            recorded = record_elsewhere(classes_log, *argv)
            assert recorded.returncode == 0, recorded.stderr
            assert process.stdout.readline().startswith(f"published seq {seq} to ")
            _check_site(site, classes_log)
        process.send_signal(2)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dakar-2001", "dakar-2004"])
def test_watch_follows_a_dakar_append_by_append(tmp_path: Path, name: str) -> None:
    """A Dakar log recorded again one event at a time (every combined time, erratum, coverage
    and penalty of it) beside a watching publisher: after every append the folder is exactly a
    fresh publish's (opt-in: --run-slow)."""
    log = tmp_path / "replay.rallylog"
    steps = _replayed(resolve_log(name), log)
    next(steps)
    site = tmp_path / "site"
    watcher = Watcher(_publish(log, site), str(site))
    for seq in steps:
        assert watcher.step() is not None
        fresh = tmp_path / "fresh"
        _publish(log, fresh)
        assert _files(site) == _files(fresh), seq
        shutil.rmtree(fresh)
    _check_site(site, log)


def test_each_page_is_a_snapshot_of_its_category_and_class(
    tmp_path: Path, classes_log: Path
) -> None:
    """Page fixes, findings 1 and 2: a published page says it is a snapshot, when it was
    published and from what record ("published 2026-01-04 18:02 UTC from record 27", the
    manifest saying the same time), not "up to date"; written by `--watch`, it adds that the
    publisher refreshes it. Every category and class has its page (index.html: the first
    category's, all classes), drawn as the server draws `?category=…&class=…`, its links naming
    the site's pages, so the choices work without scripts and from file://; each page holds the
    answers it first reads."""
    site = tmp_path / "site"
    _publish(classes_log, site)
    manifest = json.loads((site / MANIFEST).read_text())
    assert manifest["published"] == "2026-01-04T18:02:05Z"
    index = parse_html((site / PAGE).read_text(encoding="utf-8"))
    assert index.by_id("status").text() == "published 2026-01-04 18:02 UTC from record 27"
    classes = [(a.text(), a.attrs["href"]) for a in index.by_id("classes").find("a")]
    assert classes == [
        ("All classes", "index.html"),
        ("A", "category-cars.class-A.html"),
        ("B", "category-cars.class-B.html"),
    ]
    page = (site / "category-cars.class-B.html").read_text(encoding="utf-8")
    with TestClient(create_app(classes_log)) as client:
        served = client.get("/?category=cars&class=B").text
    for part in ("gc-title", "gc", "gc-note", "gc-waiting", "stage", "penalties"):
        assert parse_html(page).by_id(part).text() == parse_html(served).by_id(part).text(), part
    embedded = json.loads(parse_html(page).by_id("published").text())
    assert "api/standings/category-cars/class-B/after-2/waypoint-3.json" in embedded["answers"]
    assert (embedded["published"], embedded["following"]) == ("2026-01-04T18:02:05Z", False)
    watched = tmp_path / "watched"
    watched.mkdir()
    Publisher(LiveRally(classes_log), watched, following=True, clock=lambda: WHEN).publish()
    status = parse_html((watched / PAGE).read_text(encoding="utf-8")).by_id("status").text()
    assert status == (
        "published 2026-01-04 18:02 UTC from record 27; refreshed by the publisher as records "
        "arrive"
    )
