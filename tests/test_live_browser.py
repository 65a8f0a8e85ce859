"""The live page in headless Chromium: a result recorded by another process shows without a reload.

Chromium is driven over its DevTools protocol through a pipe
(``--remote-debugging-pipe``: file descriptors 3 and 4, messages of JSON ended
by a NUL byte), so no extra Python dependency is needed. Without Chromium or
the serve extra the test skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import starlette  # noqa: F401 (the serve extra, installed with the test extra)
import uvicorn  # noqa: F401

from benchmarks.serve import start_server, stop_server
from rally_standings.replays import resolve_log
from tests.helpers import CHROMIUM, NEEDS_CHROMIUM, classes_rally, record_elsewhere

pytestmark = NEEDS_CHROMIUM

WAIT_SECONDS = 60.0
"""How long to wait for the page to show something before failing (never a timing claim:
the machine may be loaded; the page normally redraws within a second of an append)."""


class DevTools:
    """A headless Chromium and one page of it, spoken to over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
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
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "--window-size=390,844",
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

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one command and wait for its reply (events in between are skipped)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if self.session is not None and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._replies, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply: dict[str, Any] = json.loads(raw)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                result: dict[str, Any] = reply["result"]
                return result

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return reply["result"].get("value")

    def wait_for(self, expression: str, wanted: Any) -> Any:
        """Evaluate ``expression`` until it gives ``wanted`` (or the wait runs out); its value."""
        deadline = time.monotonic() + WAIT_SECONDS
        value = self.evaluate(expression)
        while value != wanted and time.monotonic() < deadline:
            time.sleep(0.1)
            value = self.evaluate(expression)
        return value

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


LEADER = (
    "(function () { var row = document.querySelector('#gc tbody tr.leader');"
    " return row ? row.dataset.number : null; })()"
)
TITLE = "document.getElementById('gc-title').textContent"


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
        browser.evaluate("window.sameDocument = 'yes'")
        recorded = record_elsewhere(
            log, "result", "-c", "cars", "--stage", "2", "--entry", "102", "--time", "0:58:30"
        )
        assert recorded.returncode == 0, recorded.stderr
        assert browser.wait_for(LEADER, "102") == "102"
        assert browser.evaluate(TITLE) == "General classification after stage 2"
        assert browser.evaluate("window.sameDocument") == "yes"
        assert browser.evaluate("document.body.dataset.seq") == "28"
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
        browser.evaluate("document.querySelectorAll('#categories button')[1].click()")
        assert browser.wait_for(LEADER, "203") == "203"  # cars: Peterhansel
        positions = browser.evaluate(
            "[...document.querySelectorAll('#stage tbody tr')].map(r => r.cells[0].textContent)"
        )
        assert positions == ["1", "2", "3", "≥4", "≥5", "≥6"]
        assert "the position is at least N" in browser.evaluate(
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
