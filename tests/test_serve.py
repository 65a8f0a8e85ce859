"""The live site: its API answers as the command line does, follows appends, refuses clearly."""

from __future__ import annotations

import asyncio
import json
import re
import struct
import time
import zlib
from collections.abc import Awaitable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from benchmarks.serve import start_server, stop_server
from rally_standings import events
from rally_standings.app._server import create_app
from rally_standings.engine import Recorder
from rally_standings.events import StageResultRecorded
from tests.helpers import classes_rally, cli, parse_html, record_elsewhere, table_rows


@pytest.fixture(scope="module")
def classes_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two-class rally of test_classes_waypoints, as a log file."""
    return classes_rally(tmp_path_factory.mktemp("serve") / "c.rallylog")


@pytest.fixture
def client(classes_log: Path) -> Iterator[TestClient]:
    """The site of that rally."""
    with TestClient(create_app(classes_log)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("api", "command"),
    [
        ("standings?category=cars", "show {log} -c cars -f json"),
        ("standings?category=cars&after=1", "show {log} -c cars --after 1 -f json"),
        (
            "standings?category=cars&after=1&class=B",
            "show {log} -c cars --after 1 --class B -f json",
        ),
        (
            "standings?category=cars&after=2&waypoint=2",
            "show {log} -c cars --after 2 --waypoint 2 -f json",
        ),
        (
            "standings?category=cars&after=2&waypoint=3&class=B",
            "show {log} -c cars --after 2 --waypoint 3 --class B -f json",
        ),
        ("standings?category=cars&as_of=12", "show {log} -c cars --as-of 12 -f json"),
        ("stage?category=cars&stage=1", "stage {log} -c cars -s 1 -f json"),
        ("stage?category=cars&stage=1&class=A", "stage {log} -c cars -s 1 --class A -f json"),
        ("stage?category=cars&stage=2&waypoint=1", "stage {log} -c cars -s 2 --waypoint 1 -f json"),
        ("penalties?category=cars", "penalties {log} -c cars -f json"),
    ],
)
def test_the_api_answers_as_the_command_line(
    client: TestClient,
    classes_log: Path,
    capsys: pytest.CaptureFixture[str],
    api: str,
    command: str,
) -> None:
    """Each API answer is the JSON the same question gets from the command line, byte for byte."""
    response = client.get(f"/api/{api}")
    code, out, _ = cli(capsys, command.format(log=classes_log))
    assert (response.status_code, code) == (200, 0)
    assert response.headers["content-type"].startswith("application/json")
    assert response.text == out


def test_the_rally_endpoint_lists_categories_classes_and_stage_states(client: TestClient) -> None:
    """/api/rally: the classes, each stage's state, and what the page shows first (the GC at the
    latest waypoint of the stage being run)."""
    data = client.get("/api/rally").json()
    (cars,) = data["categories"]
    assert (data["rally"], data["last_seq"]) == ("C", 27)
    assert cars["classes"] == ["A", "B"]
    assert [(s["stage"], s["state"], s["results"], s["waypoints"]) for s in cars["stages"]] == [
        (1, "results", 5, []),
        (2, "running", 0, [1, 2, 3]),
    ]
    assert cars["current"] == {"after": 2, "waypoint": 3}


def test_the_events_endpoint_is_the_log_as_json_lines(
    client: TestClient,
    classes_log: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """/api/events?since=S: the records from S on, one JSON object a line, as `events -f jsonl`."""
    response = client.get("/api/events?since=25")
    _, out, _ = cli(capsys, f"events {classes_log} -f jsonl")
    assert response.status_code == 200
    assert response.text == "".join(out.splitlines(keepends=True)[24:])
    assert [json.loads(line)["seq"] for line in response.text.splitlines()] == [25, 26, 27]


@pytest.mark.parametrize(
    ("url", "status", "what"),
    [
        ("/api/standings?category=vans", 404, "unknown category"),
        ("/api/standings?category=cars&after=7", 404, "unknown stage"),
        ("/api/standings?category=cars&class=Z", 404, "unknown class"),
        ("/api/standings?category=cars&after=2&waypoint=9", 404, "unknown waypoint"),
        ("/api/stage?category=cars&stage=9", 404, "unknown stage"),
        ("/api/standings?category=cars&as_of=999", 404, "no such log sequence"),
        ("/api/nothing", 404, "no such endpoint"),
        ("/nothing", 404, "no such page"),
        ("/api/standings", 400, "malformed parameter"),
        ("/api/standings?category=cars&after=two", 400, "malformed parameter"),
        ("/api/standings?category=cars&after=-1", 400, "malformed parameter"),
        ("/api/standings?category=cars&colour=red", 400, "malformed parameter"),
        ("/api/standings?category=cars&category=bikes", 400, "a parameter given twice"),
        ("/api/standings?category=cars&waypoint=1", 400, "a waypoint without its stage"),
        ("/api/stage?category=cars", 400, "malformed parameter"),
        ("/api/events?since=0", 400, "malformed parameter"),
        ("/api/events?since=28", 404, "no such log sequence"),
    ],
)
def test_refusals_are_json_with_the_right_status(
    client: TestClient, url: str, status: int, what: str
) -> None:
    """A bad question is a JSON error (what, where, expected, received) with 400 or 404, never
    a traceback."""
    response = client.get(url)
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["status"], error["what"]) == (status, what)
    assert "Traceback" not in response.text


def _damage(path: Path) -> None:
    """Append a whole frame whose payload checksum fails: damage, not a torn tail."""
    payload = b"\x93\x01\x02\x03"
    head = struct.pack(">II", len(payload), zlib.crc32(payload) ^ 1)
    with open(path, "ab") as handle:
        handle.write(head + struct.pack(">I", zlib.crc32(head)) + payload)


def test_a_damaged_log_is_a_503_and_the_page_still_loads(tmp_path: Path, classes_log: Path) -> None:
    """Damage found while following: every API answer is a 503 naming it; the page itself loads
    (and shows the error). A log damaged before the server started is the same."""
    log = tmp_path / "d.rallylog"
    log.write_bytes(classes_log.read_bytes())
    with TestClient(create_app(log)) as client:
        assert client.get("/api/standings?category=cars").status_code == 200
        _damage(log)
        response = client.get("/api/standings?category=cars")
        assert response.status_code == 503
        assert "frame checksum mismatch" in response.json()["error"]["message"]
        assert client.get("/api/rally").status_code == 503
        page = client.get("/")
        assert page.status_code == 200
        assert 'id="error"' in page.text
    with TestClient(create_app(log)) as client:
        assert client.get("/api/rally").status_code == 503


def test_the_site_follows_appends_without_restarting(tmp_path: Path, classes_log: Path) -> None:
    """A result appended after the server started is in the next answer; a torn (unfinished)
    append is not read until it is whole."""
    log = tmp_path / "f.rallylog"
    log.write_bytes(classes_log.read_bytes())
    with TestClient(create_app(log)) as client:
        assert client.get("/api/rally").json()["categories"][0]["current"]["after"] == 2
        with Recorder(log) as recorder:
            recorder.append(StageResultRecorded(entry_id="cars:102", stage=2, time_ms=3_000_000))
        data = client.get("/api/standings?category=cars").json()
        assert (data["after_stage"], data["rows"][0]["number"]) == (2, "102")
        size = log.stat().st_size
        with open(log, "ab") as handle:
            handle.write(b"\x00\x00\x01\x00\x12")  # the start of a frame header: torn
        assert client.get("/api/rally").json()["last_seq"] == 28
        assert log.stat().st_size == size + 5


def test_serve_streams_one_message_per_append_from_another_process(
    tmp_path: Path,
    classes_log: Path,
) -> None:
    """The server in one process, `standings record` in another: the update stream says
    `append` with the new seq, and the API has the result."""
    import http.client

    log = tmp_path / "s.rallylog"
    log.write_bytes(classes_log.read_bytes())
    process, port = start_server(log)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/updates")
        stream = connection.getresponse()
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.readline() == b"retry: 1000\n"
        assert stream.readline() == b"event: hello\n"
        assert json.loads(stream.readline().removeprefix(b"data: ")) == {"state": "ok", "seq": 27}
        recorded = record_elsewhere(
            log, "result", "-c", "cars", "--stage", "2", "--entry", "101", "--time", "0:59:00"
        )
        assert recorded.returncode == 0, recorded.stderr
        lines = []
        deadline = time.monotonic() + 30
        while b"event: append\n" not in lines and time.monotonic() < deadline:
            lines.append(stream.readline())
        data = stream.readline()
        assert json.loads(data.removeprefix(b"data: ")) == {"seq": 28}
        connection.close()
        api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        api.request("GET", "/api/standings?category=cars")
        answer = json.loads(api.getresponse().read())
        assert answer["rows"][0]["number"] == "101"
        api.close()
    finally:
        stop_server(process)
    assert process.returncode in (0, -15)
    assert log.read_bytes().startswith(classes_log.read_bytes())  # the server wrote nothing


def test_serve_refuses_a_missing_log_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No log there: exit 2 and one line, before listening."""
    code, out, err = cli(capsys, f"serve {tmp_path / 'none.rallylog'} --port 0")
    assert (code, out) == (2, "")
    assert err.startswith("standings: error: no such log")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--host '\ufff9'", "not an address"),
        ("--host 256.0.0.1", "cannot listen there"),
        ("--port 70000", "out of range"),
    ],
)
def test_serve_refuses_where_it_cannot_listen_in_one_line(
    classes_log: Path, capsys: pytest.CaptureFixture[str], options: str, message: str
) -> None:
    """A bad address or port: exit 2 and one line naming it, nothing served."""
    try:
        code, out, err = cli(capsys, f"serve {classes_log} {options}")
    except SystemExit as stopped:  # refused by the option's type, as argparse does
        out, err = capsys.readouterr()
        code = stopped.code if isinstance(stopped.code, int) else 2
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert message in err


def test_an_unknown_endpoint_lists_every_endpoint_the_updates_stream_included(
    client: TestClient,
) -> None:
    """/api/nope is a 404 whose expected lists every endpoint, /api/updates too (issue 20,
    finding 8: done before this issue, kept)."""
    error = client.get("/api/nope").json()["error"]
    assert error["expected"] == (
        "one of /api/rally, /api/standings, /api/stage, /api/events, /api/penalties, /api/updates"
    )


def _sse(stream: object) -> tuple[list[str], dict[str, object]]:
    """The lines of one Server-Sent Events message (up to its blank line): its fields, and its
    data as JSON."""
    lines = []
    while True:
        line = stream.readline().decode("utf-8")  # type: ignore[attr-defined]
        if line in ("\n", ""):
            break
        lines.append(line.rstrip("\n"))
    data = next((line.removeprefix("data: ") for line in lines if line.startswith("data: ")), "{}")
    return [line for line in lines if not line.startswith("data: ")], json.loads(data)


def test_the_update_stream_says_hello_then_damaged_then_sound(
    tmp_path: Path, classes_log: Path
) -> None:
    """The frames docs/timing.md documents, as they come: `retry: 1000` and `hello` (the state)
    first; a frame whose checksum fails appended by hand makes a numbered `damaged` message
    naming it; the damage cut away, the log read afresh is an `append` of its last seq and a
    `sound` message with the state again (issue 20, finding 8)."""
    import http.client

    log = tmp_path / "d.rallylog"
    good = classes_log.read_bytes()
    log.write_bytes(good)
    process, port = start_server(log)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/updates")
        stream = connection.getresponse()
        assert _sse(stream) == (["retry: 1000", "event: hello"], {"state": "ok", "seq": 27})
        _damage(log)
        fields, data = _sse(stream)
        assert fields == ["id: 1", "event: damaged"]
        assert data["state"] == "error"
        assert "frame checksum mismatch" in str(data["message"])
        log.write_bytes(good)  # read afresh: an append of what it holds, then sound
        assert _sse(stream) == (["id: 2", "event: append"], {"seq": 27})
        assert _sse(stream) == (["id: 3", "event: sound"], {"state": "ok", "seq": 27})
        connection.close()
    finally:
        stop_server(process)


def test_the_timing_page_documents_every_frame_of_the_update_stream() -> None:
    """docs/timing.md names each frame the stream sends (retry, hello, append, damaged, sound)
    and what its data holds (issue 20, finding 8)."""
    text = (Path(__file__).parents[1] / "docs" / "timing.md").read_text(encoding="utf-8")
    section = text[text.index("### The update stream") :]
    for frame in ("retry: 1000", "event: hello", "event: append", "event: damaged", "event: sound"):
        assert frame in section, frame
    assert '{"state": "ok", "seq": 27}' in section


def test_the_first_html_holds_the_standings_with_each_group_apart(
    tmp_path: Path, classes_log: Path
) -> None:
    """The page `/` answers is drawn with the standings in it (issue 20, finding 7): the GC at
    waypoint 3 of stage 2, and apart from one another, the crews still on the stage (104), one
    retired (103), one excluded (101) and one not classified (105, no stage 1 time)."""
    log = tmp_path / "g.rallylog"
    log.write_bytes(classes_log.read_bytes())
    with Recorder(log) as recorder:
        recorder.append_many(
            [
                events.EntryRetired(entry_id="cars:101", stage=2, reason="speeding", excluded=True),
                events.EntryRegistered(
                    entry_id="cars:105", category="cars", number="105", crew=(events.Person("E"),)
                ),
            ]
        )
    with TestClient(create_app(log)) as client:
        page = client.get("/").text
    tree = parse_html(page)
    assert tree.by_id("gc-title").text() == "General classification at waypoint 3 of stage 2 (live)"
    assert [row[2] for row in table_rows(tree.by_id("gc"))] == ["100", "102"]
    assert tree.by_id("status").text() == (
        "as of record 29; this page updates itself when scripts run"
    )
    groups = {
        part: [node.text() for node in tree.by_id(part).find("h3")]
        for part in ("gc-waiting", "gc-out")
    }
    assert groups == {
        "gc-waiting": ["Still on the stage, not yet at waypoint 3 (1)"],
        "gc-out": ["Retired (1)", "Excluded (1)", "No result recorded (1)"],
    }
    cells = [row[:1] for row in table_rows(tree.by_id("gc-out"))]
    assert cells == [["103"], ["101"], ["105"]]
    assert [row[0] for row in table_rows(tree.by_id("gc-waiting"))] == ["104"]


async def _call(request: Awaitable[None]) -> None:
    await request


def test_a_query_sent_as_raw_utf8_bytes_reads_as_the_text_it_is(classes_log: Path) -> None:
    """A client that sends ``Ü`` unencoded in the query (its UTF-8 bytes) is answered about
    ``Ü``, as the command line would be, not about the Latin-1 reading ``Ã\x9c``. Found by
    an adversarial read of the server."""
    app = create_app(classes_log)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/standings",
        "raw_path": b"/api/standings",
        "root_path": "",
        "query_string": "category=cars&class=Ü".encode(),
        "headers": [],
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
    }
    asyncio.run(_call(app(scope, receive, send)))
    assert sent[0]["status"] == 404
    body = json.loads(sent[1]["body"])
    assert body["error"]["received"] == "Ü"


def _links(node: Any) -> list[tuple[str, str, bool]]:
    """A nav's links: (text, href, whether it is the page shown)."""
    return [(a.text(), a.attrs["href"], "aria-current" in a.attrs) for a in node.find("a")]


def test_without_scripts_the_page_says_what_it_is_and_links_its_choices(
    client: TestClient,
) -> None:
    """Page fixes, finding 1: the first HTML, read without scripts, says it is the log as of
    its last record and updates itself only when scripts run (not "up to date"), and its
    category and class choices are links to pages the server draws (`?category=…&class=…`):
    the page of class B is the GC of class B alone, the choice shown marked, also asked as
    `?category=CARS&class=b` (names matched as the API matches them); an unknown category or
    class is a 404 page saying what there is (cold user, finding 1)."""
    tree = parse_html(client.get("/").text)
    assert tree.by_id("status").text() == (
        "as of record 27; this page updates itself when scripts run"
    )
    assert _links(tree.by_id("categories")) == [("cars", "?category=cars", True)]
    assert _links(tree.by_id("classes")) == [
        ("All classes", "?category=cars", True),
        ("A", "?category=cars&class=A", False),
        ("B", "?category=cars&class=B", False),
    ]
    answer = client.get("/?category=cars&class=B")
    assert answer.status_code == 200
    page = parse_html(answer.text)
    assert page.by_id("gc-title").text() == (
        "General classification of class B at waypoint 3 of stage 2 (live)"
    )
    rows = table_rows(page.by_id("gc"))
    api = client.get("/api/standings?category=cars&after=2&waypoint=3&class=B").json()
    assert [row[2] for row in rows] == [row["number"] for row in api["rows"]] == ["102"]
    assert [text for text, _, shown in _links(page.by_id("classes")) if shown] == ["B"]
    assert page.find("main")[0].attrs["data-class"] == "B"
    for asked, what in (("?category=boats", "No such page"), ("?class=Z", "No such page")):
        refused = client.get("/" + asked)
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("text/html")
        assert parse_html(refused.text).find("h1")[0].text() == what
    said = parse_html(client.get("/?category=boats").text).find("p")[0].text()
    assert said == "no such category: expected one of cars, received boats."
    # names are matched as the API matches them: case and spaces aside
    spelled = parse_html(client.get("/?category=CARS&class=b").text)
    assert spelled.by_id("gc-title").text() == page.by_id("gc-title").text()
    assert [text for text, _, shown in _links(spelled.by_id("classes")) if shown] == ["B"]


def test_the_crews_still_on_the_stage_are_counted_once(client: TestClient) -> None:
    """Page fixes, finding 4: at waypoint 3 the crews not yet there are counted once, in the
    heading of their list ("Still on the stage, not yet at waypoint 3 (2)"); the note under the
    GC does not say it again ("Not yet at waypoint 3: 2."); it says only the symbols the Move
    column shows."""
    tree = parse_html(client.get("/").text)
    note = tree.by_id("gc-note").text()
    assert "Not yet at waypoint" not in note
    assert note == (
        "Move since stage 1: = the same place. Interval: time behind the crew one place ahead."
    )
    headings = [node.text() for node in tree.by_id("gc-waiting").find("h3")]
    assert headings == ["Still on the stage, not yet at waypoint 3 (2)"]


def test_each_table_explains_the_symbols_it_shows_and_no_other(tmp_path: Path) -> None:
    """Cold user, finding 3: on the 2004 Dakar's cars page, "No. —" is explained under the
    stage table whose rows show it (McRae and Servia, whom the source names without a number),
    not under the GC, none of whose rows shows it; a table of one crew has no interval, so
    its note does not explain one."""
    from rally_standings.replays import resolve_log

    with TestClient(create_app(resolve_log("dakar-2004"))) as served:
        tree = parse_html(served.get("/?category=cars").text)
        numbers = [row[1] for row in table_rows(tree.by_id("stage"))]
        assert "—" in numbers
        assert "No. —" in tree.by_id("stage-note").text()
        assert "—" not in [row[2] for row in table_rows(tree.by_id("gc"))]
        assert "No. —" not in tree.by_id("gc-note").text()
        assert "Interval" in tree.by_id("gc-note").text()
    log = classes_rally(tmp_path / "one.rallylog")
    with TestClient(create_app(log)) as served:
        tree = parse_html(served.get("/?category=cars&class=B").text)
        assert len(table_rows(tree.by_id("gc"))) == 1
        assert "Interval" not in tree.by_id("gc-note").text()


def test_the_gc_shows_each_crews_make_on_a_wide_screen() -> None:
    """Cold user, finding 13: the terminal gives each crew's make and the page did not; the
    page's GC has a Make column (hidden on a phone, like the class columns) where the log
    knows makes, and none where it knows none."""
    from rally_standings.replays import resolve_log

    with TestClient(create_app(resolve_log("dakar-2004"))) as served:
        tree = parse_html(served.get("/?category=cars").text)
        heads = [th.text() for th in tree.by_id("gc").find("th")]
        assert "Make" in heads
        rows = table_rows(tree.by_id("gc"))
        assert rows[0][heads.index("Make")] == "Mitsubishi"
        makes = [th for th in tree.by_id("gc").find("th") if th.text() == "Make"]
        assert "wide" in makes[0].attrs["class"]


def test_a_sound_logs_page_holds_no_hidden_error_text(classes_log: Path) -> None:
    """The first HTML of a sound log says nothing of damage, hidden or not (a text browser or
    a search engine shows hidden text: found by a newcomer reading "The log cannot be
    read." in every page); a damaged log's page says it, as the script would."""
    with TestClient(create_app(classes_log)) as client:
        page = client.get("/").text
    shown = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)  # what a text browser shows
    assert "cannot be read" not in shown
    assert '<div id="error" role="alert"></div>' in shown
