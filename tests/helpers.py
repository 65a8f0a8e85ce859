"""What several test modules share: small rallies, the command line, an HTML reader."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest

from rally_standings import events
from rally_standings.app import main
from rally_standings.engine import Recorder, create_log

__all__ = [
    "CHROMIUM",
    "CLASSES",
    "LEADER",
    "MIN",
    "NEEDS_CHROMIUM",
    "ROOT",
    "SEEDS",
    "TITLE",
    "Node",
    "car_penalty",
    "car_result",
    "classes_rally",
    "cli",
    "digest",
    "lines_match",
    "parse_html",
    "record_elsewhere",
    "refused",
    "run_captured",
    "shows_a_new_leader",
    "shows_a_new_leader_in_place",
    "start_rally",
    "table_records",
    "table_rows",
]

ROOT = Path(__file__).resolve().parents[1]
"""The checkout (the tests run from it, whichever way the package is installed)."""

SEEDS = Path(os.environ.get("RALLY_SEEDS") or ROOT.parent / "shared" / "seeds")
"""The Dakar articles: ``../shared/seeds`` beside the checkout, or ``$RALLY_SEEDS``."""


def cli(capsys: pytest.CaptureFixture[str], command: str) -> tuple[int, str, str]:
    """Run ``standings command`` in-process (split as a shell would); (exit code, out, err)."""
    code = main(shlex.split(command))
    out, err = capsys.readouterr()
    return code, out, err


def run_captured(argv: Sequence[str] | str) -> tuple[int, str, str]:
    """``standings argv`` in-process, its output captured without pytest's capsys (so a
    hypothesis test can call it): (exit status, stdout, stderr); a usage error's SystemExit is
    its status, as the shell sees it."""
    args = shlex.split(argv) if isinstance(argv, str) else list(argv)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def cli_json(capsys: pytest.CaptureFixture[str], command: str) -> Any:
    """Run ``standings command`` in-process, which must succeed; its output read as JSON."""
    code, out, err = cli(capsys, command)
    assert code == 0, err
    return json.loads(out)


def digest(path: Path) -> str:
    """The SHA-256 of the file's bytes: what a refused write must leave as it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(capsys: pytest.CaptureFixture[str], command: str, log: Path) -> str:
    """The one line ``standings command`` prints refusing (exit 2, nothing on stdout); the
    log's bytes are unchanged."""
    before = digest(log)
    code, out, err = cli(capsys, command)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1, err
    assert digest(log) == before
    return err


SNAPSHOT_KEYS = {"rally", "category", "after_stage", "as_of", "rows", "unclassified"}
"""What every standings snapshot has in JSON (``show``, ``replay``, ``whatif``: docs/cli.md)."""


def python_c(code: str) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in a new interpreter, from the checkout; its output captured."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging if the block blocks (a reader waiting on a FIFO, say)."""

    def expire(signum: int, frame: object) -> None:
        raise AssertionError("blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def fields_of(value: object, names: str) -> tuple[object, ...]:
    """The attributes ``names`` (space-separated) of ``value``, in that order: what a test
    compares of a parsed row or an inferred decision."""
    return tuple(getattr(value, name) for name in names.split())


MIN = 60_000
"""A minute, in the milliseconds every time is counted in."""


def car_result(
    number: int, stage: int, minutes: int, first: int | None = None
) -> events.StageResultRecorded:
    """Car ``number``'s time of ``minutes`` for ``stage`` (for stages ``first``-``stage``,
    a result over several stages, with ``first``)."""
    return events.StageResultRecorded(
        entry_id=f"cars:{number}", stage=stage, time_ms=minutes * MIN, first_stage=first
    )


def car_penalty(
    penalty_id: str,
    number: int,
    stage: int,
    minutes: int,
    reason: str | None = None,
    *,
    gc_only: bool = False,
    provenance: events.Provenance | None = None,
) -> events.PenaltyImposed:
    """A penalty of ``minutes`` (negative: a bonus) for car ``number`` at ``stage``; without a
    ``reason``, "speeding" (a bonus: "bonus"); without a ``provenance``, recorded."""
    penalty = events.PenaltyImposed(
        penalty_id=penalty_id,
        entry_id=f"cars:{number}",
        stage=stage,
        amount_ms=minutes * MIN,
        reason=("bonus" if minutes < 0 else "speeding") if reason is None else reason,
        gc_only=gc_only,
    )
    return penalty if provenance is None else attrs.evolve(penalty, provenance=provenance)


def record_elsewhere(log: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``standings record LOG ARGV…`` in another process (as a timing official's would)."""
    return subprocess.run(
        [sys.executable, "-m", "rally_standings.app._cli", "record", str(log), *argv],
        capture_output=True,
        text=True,
        check=False,
    )


CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
        if (found := shutil.which(name))
    ),
    None,
)
"""The headless browser the browser tests drive, or None when there is none on PATH."""

NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium binary on PATH (Debian: apt-get install chromium; .ci/run installs it)",
)
"""The mark (``pytestmark``) of a module whose tests need ``CHROMIUM``."""

LEADER = (
    "(function () { var row = document.querySelector('#gc tbody tr.leader');"
    " return row ? row.dataset.number : null; })()"
)
"""In a standings page (live or published): the race number of the GC's leader row, or null."""
TITLE = "document.getElementById('gc-title').textContent"
"""In a standings page: the GC's title (which stage, which waypoint, live or not)."""


class DevTools:
    """A headless Chromium and one page of it, spoken to over the DevTools protocol.

    Through a pipe (``--remote-debugging-pipe``: file descriptors 3 and 4, messages
    of JSON ended by a NUL byte), so no extra Python dependency is needed. The
    events that arrive between replies are kept in ``events`` (console messages,
    exceptions, page loads).
    """

    def __init__(self, profile: Path, *, window: tuple[int, int] = (390, 844)) -> None:
        assert CHROMIUM is not None
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def plumbing() -> None:  # in the child: its fd 3 reads commands, fd 4 writes replies
            os.dup2(commands_read, 3)
            os.dup2(replies_write, 4)

        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                f"--window-size={window[0]},{window[1]}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=plumbing,  # only dup2 before exec
        )
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next = 0
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        if "method" in message:  # an event, not a reply: kept
            self.events.append(message)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one command and wait for its reply (events in between are kept)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if self.session is not None and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                result: dict[str, Any] = reply["result"]
                return result

    def open(self, url: str, *, scripts: bool = True) -> None:
        """Open ``url`` in a new page and wait for its load event; the console is listened
        to from before the first byte of the page. ``scripts=False``: the page's scripts do
        not run (a reader with scripts off, a search engine's first look)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        if not scripts:
            self.call("Emulation.setScriptExecutionDisabled", {"value": True})
        self.events.clear()
        self.call("Page.navigate", {"url": url})
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            self._message()  # the load may come before navigate's reply: kept in events

    def follow(self, expression: str) -> None:
        """Evaluate ``expression`` (a click on a link, say), which opens another page in this
        one, and wait for that page's load event."""
        self.events.clear()
        self.call("Runtime.evaluate", {"expression": expression})
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            self._message()

    def console(self) -> list[str]:
        """Every console message, uncaught exception and browser log entry of the page so
        far, in words."""
        said = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled":
                said.append(f"console.{params['type']}: {params.get('args')}")
            elif event["method"] == "Runtime.exceptionThrown":
                said.append(f"uncaught: {params['exceptionDetails']}")
            elif event["method"] == "Log.entryAdded":
                said.append(f"{params['entry']['level']}: {params['entry']['text']}")
        return said

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return reply["result"].get("value")

    def wait_for(self, expression: str, wanted: Any, seconds: float = 60.0) -> Any:
        """Evaluate ``expression`` until it gives ``wanted`` (or ``seconds`` run out: never a
        timing claim, the machine may be loaded); its last value."""
        deadline = time.monotonic() + seconds
        value = self.evaluate(expression)
        while value != wanted and time.monotonic() < deadline:
            time.sleep(0.1)
            value = self.evaluate(expression)
        return value

    def viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        """Lay the page out as a screen of ``width`` × ``height`` CSS pixels."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def screenshot(self) -> bytes:
        """The viewport as a PNG."""
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])

    def pdf(self, paper: tuple[float, float] | None = None) -> bytes:
        """The page printed (print media, no header or footer), as a PDF; ``paper``: its
        width and height in inches (Chromium's default, Letter, without it; A4 is
        (8.27, 11.69))."""
        params: dict[str, Any] = {"displayHeaderFooter": False}
        if paper is not None:
            params |= {"paperWidth": paper[0], "paperHeight": paper[1]}
        reply = self.call("Page.printToPDF", params)
        return base64.b64decode(reply["data"])

    def media(self, media: str) -> None:
        """Lay the page out for ``media`` (``print``, ``screen``; ``""``: as it was)."""
        self.call("Emulation.setEmulatedMedia", {"media": media})

    def close(self) -> None:
        try:
            self.session = None
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)


def shows_a_new_leader(browser: DevTools, log: Path) -> None:
    """On a page of the ``classes_rally`` log: `standings record`, in another process,
    records No. 102's stage 2 time; the page then shows the GC after stage 2, led by
    No. 102."""
    recorded = record_elsewhere(
        log, "result", "-c", "cars", "--stage", "2", "--entry", "102", "--time", "0:58:30"
    )
    assert recorded.returncode == 0, recorded.stderr
    assert browser.wait_for(LEADER, "102") == "102"
    assert browser.evaluate(TITLE) == "General classification after stage 2"


def shows_a_new_leader_in_place(browser: DevTools, log: Path) -> None:
    """``shows_a_new_leader`` without a reload: a marker set in the page before the append
    survives it, and the page then says the log's new last seq, 28."""
    browser.evaluate("window.sameDocument = 'yes'")
    shows_a_new_leader(browser, log)
    assert browser.evaluate("document.body.dataset.seq") == "28"
    assert browser.evaluate("window.sameDocument") == "yes"


THOROUGH = False
"""Set by conftest under ``--run-slow``: the properties draw ten times their examples."""


def examples(default: int) -> int:
    """How many examples a costly property draws: ``default`` in the quick run (under a
    minute on two cores), ten times as many under ``--run-slow``."""
    return default * 10 if THOROUGH else default


def shared_text(factory: pytest.TempPathFactory, name: str, build: Callable[[], str]) -> str:
    """``build()``, computed once per test run and shared by every xdist worker.

    The pytest-xdist way: a worker's temporary folder (``pytest-N/popen-gwK``) has
    the run's folder as its parent; the first worker to take the lock builds the
    text and leaves it there, the others read it. Without workers, the run's own
    folder is the base itself (its parent is shared by every run: never read from).
    """
    base = factory.getbasetemp()
    folder = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    kept = folder / f"shared-{name}"
    with open(folder / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not kept.is_file():
            text = build()
            temporary = kept.with_suffix(".partial")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(kept)
            return text
        return kept.read_text(encoding="utf-8")


def start_rally(path: Path, *, stages: int = 4) -> Path:
    """A log with a rally (cars, bikes), a prologue, ``stages - 1`` specials and four cars."""
    create_log(
        path,
        events.RallyDeclared(
            rally_id="t", name="Test Rally", year=2024, categories=("cars", "bikes")
        ),
    )
    with Recorder(path) as recorder:
        recorder.append_many(
            [
                events.StageScheduled(
                    stage=n,
                    rules=(
                        events.StageRule(
                            "cars",
                            events.StageKind.PROLOGUE if n == 1 else events.StageKind.SPECIAL,
                        ),
                        events.StageRule(
                            "bikes",
                            events.StageKind.PROLOGUE if n == 1 else events.StageKind.SPECIAL,
                        ),
                    ),
                )
                for n in range(1, stages + 1)
            ]
            + [
                events.EntryRegistered(
                    entry_id=f"cars:{n}",
                    category="cars",
                    number=str(n),
                    crew=(events.Person(f"Driver {n}", "FRA"), events.Person(f"Co {n}")),
                    make="Make",
                )
                for n in (200, 201, 202, 203)
            ]
        )
    return path


CLASSES = {"100": "A", "101": "A", "102": "B", "103": "B", "104": "B"}
STAGE_1 = {"100": "1:00:00", "101": "1:02:00", "102": "1:01:00", "103": "1:05:00", "104": "1:03:00"}
SPLITS = {
    1: {"100": "0:20:00", "101": "0:18:00", "102": "0:19:00", "103": "0:21:00", "104": "0:23:00"},
    2: {"100": "0:40:00", "101": "0:39:00", "103": "0:41:00"},
    3: {"100": "1:00:00", "102": "0:58:00"},
}


def classes_rally(path: Path) -> Path:
    """A small rally with classes and waypoints (tests/test_classes_waypoints.py says it all).

    Cars only, classes A (100, 101) and B (102, 103, 104); stage 1 run; stage 2 running with
    three waypoints, a penalty in force for 102, a rescinded one for 100, 102 missing
    waypoint 2, 103 retiring after waypoint 2.
    """
    create_log(path, events.RallyDeclared(rally_id="c", name="C", year=2025, categories=("cars",)))
    batch: list[events.Event] = [
        events.StageScheduled(stage=n, rules=(events.StageRule("cars", events.StageKind.SPECIAL),))
        for n in (1, 2)
    ]
    batch += [
        events.EntryRegistered(
            entry_id=f"cars:{number}",
            category="cars",
            number=number,
            crew=(events.Person(f"Driver {number}"),),
            entry_class=entry_class,
        )
        for number, entry_class in CLASSES.items()
    ]
    batch += [
        events.StageResultRecorded(entry_id=f"cars:{n}", stage=1, time_ms=events.parse_time(t))
        for n, t in STAGE_1.items()
    ]
    batch += [
        events.PenaltyImposed(
            penalty_id="P1", entry_id="cars:102", stage=2, amount_ms=300_000, reason="speeding"
        ),
        events.PenaltyImposed(
            penalty_id="P2", entry_id="cars:100", stage=2, amount_ms=600_000, reason="refuelling"
        ),
        events.PenaltyRescinded(penalty_id="P2", reason="appeal upheld"),
    ]
    for waypoint, times in SPLITS.items():
        batch += [
            events.WaypointRecorded(
                entry_id=f"cars:{n}", stage=2, waypoint=waypoint, time_ms=events.parse_time(t)
            )
            for n, t in times.items()
        ]
        if waypoint == 2:
            batch.append(events.EntryRetired(entry_id="cars:103", stage=2, reason="engine"))
    with Recorder(path) as recorder:
        recorder.append_many(batch)
    return path


# ---------------------------------------------------------------------- reading HTML

_VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "col", "area", "base"}


class Node:
    """An element of a parsed HTML page: tag, attributes, children and text."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.content: list[Node | str] = []

    @property
    def children(self) -> list[Node]:
        """The child elements."""
        return [item for item in self.content if isinstance(item, Node)]

    def text(self, *, skip: tuple[str, ...] = ()) -> str:
        """All text inside, in document order, whitespace collapsed; ``skip``: leave out the
        text of descendants with one of these classes."""
        out: list[str] = []

        def walk(node: Node) -> None:
            for item in node.content:
                if isinstance(item, str):
                    out.append(item)
                elif not set(skip) & set(item.attrs.get("class", "").split()):
                    walk(item)

        walk(self)
        return re.sub(r"\s+", " ", "".join(out)).strip()

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """This node and every descendant (of ``tag``), in document order."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def find(self, tag: str, **attrs: str) -> list[Node]:
        """Descendants of ``tag`` whose attributes include ``attrs`` (``cls`` for class)."""
        wanted = {("class" if k == "cls" else k): v for k, v in attrs.items()}
        found = []
        for node in self.iter(tag):
            if all(
                (v in node.attrs.get(k, "").split()) if k == "class" else node.attrs.get(k) == v
                for k, v in wanted.items()
            ):
                found.append(node)
        return found

    def by_id(self, ident: str) -> Node:
        """The element with this id."""
        for node in self.iter():
            if node.attrs.get("id") == ident:
                return node
        raise KeyError(ident)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.content.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.content.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.content.append(data)


def parse_html(text: str) -> Node:
    """A small DOM of an HTML page (the standard library's parser, no dependency)."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def table_rows(table: Node) -> list[list[str]]:
    """The text of each body cell of a table, row by row (a note in a cell is not its value:
    the penalties under a crew's name, ``span.pen``, and the interval a phone shows under the
    gap, ``span.iv``, are left out)."""
    return [
        [cell.text(skip=("pen", "iv")) for cell in row.find("td")]
        for row in table.find("tr")
        if row.find("td")
    ]


def table_records(table: Node) -> list[dict[str, str]]:
    """Each body row of a table as {header: cell text}."""
    headers = [th.text() for th in table.find("th")]
    return [dict(zip(headers, row, strict=True)) for row in table_rows(table)]


def lines_match(expected: list[str], actual: list[str]) -> bool:
    """Lines equal in order; a line "…" stands for any number of lines (the docs' transcripts)."""
    position = 0
    skipping = False
    for line in expected:
        if line == "…":
            skipping = True
            continue
        if skipping:
            while position < len(actual) and actual[position] != line:
                position += 1
        if position >= len(actual) or actual[position] != line:
            return False
        position += 1
        skipping = False
    return skipping or position == len(actual)
