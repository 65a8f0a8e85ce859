"""docs/timing.md is true: every command in it runs, and prints what the page shows.

The page is run top to bottom in an empty folder (its own comment says how):
file blocks are written, `sh` lines run, `$ command` transcripts compared
(`…` stands for any lines). `standings serve` runs in its own process on a
free port, and the page's `curl` lines ask it (after it has read everything
the log holds, as the page open in a browser would have).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import starlette  # noqa: F401 (the serve extra, installed with the test extra)
import uvicorn  # noqa: F401

from benchmarks.serve import caught_up
from rally_standings.app import main
from tests.helpers import lines_match

DOC = Path(__file__).resolve().parents[1] / "docs" / "timing.md"
_BLOCK = re.compile(r"(?:<!-- file: (?P<file>\S+) -->\n)?```(?P<kind>\w+)\n(?P<body>.*?)```", re.S)


class _Page:
    """Runs the page's commands in one folder, with at most one server behind it."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder = folder
        self.capsys = capsys
        self.server: subprocess.Popen[str] | None = None
        self.port = 0
        self.log: Path | None = None
        self.ran = 0

    def run(self, command: str) -> tuple[int, str, str]:
        argv = shlex.split(command)
        self.ran += 1
        if argv[0] == "curl":
            return 0, self._curl(argv), ""
        assert argv[0] == "standings", command
        if argv[1] == "serve":
            self._serve(argv)
            return 0, "", ""
        self.capsys.readouterr()
        code = main(argv[1:])
        out, err = self.capsys.readouterr()
        return code, out, err

    def _serve(self, argv: list[str]) -> None:
        self.log = self.folder / argv[2]
        self.server = subprocess.Popen(
            [sys.executable, "-m", "rally_standings.app._cli", *argv[1:], "--port", "0"],
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.server.stdout is not None
        line = self.server.stdout.readline()
        assert line.startswith(f"serving {argv[2]} on http://127.0.0.1:"), line
        self.port = int(line.split("127.0.0.1:")[1].split("/")[0])

    def _get(self, url: str) -> str:
        local = url.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
        try:
            with urllib.request.urlopen(local, timeout=30) as response:
                text: str = response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8")
        return text

    def _curl(self, argv: list[str]) -> str:
        assert self.server is not None, "curl before standings serve"
        assert self.log is not None
        caught_up(self.port, self.log)  # the server has read every durable append
        return self._get(argv[-1])

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=20)


def test_every_command_of_the_page_runs_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each `sh` line exits 0; each transcript prints exactly what the page shows (an error
    transcript: exit 2 and that line on stderr); the server never writes the log."""
    monkeypatch.chdir(tmp_path)
    page = _Page(tmp_path, capsys)
    checked = 0
    try:
        for block in _BLOCK.finditer(DOC.read_text(encoding="utf-8")):
            body = block["body"]
            if block["file"]:
                (tmp_path / block["file"]).write_text(body, encoding="utf-8")
            elif block["kind"] == "sh":
                for line in body.strip().splitlines():
                    code, _, err = page.run(line)
                    assert code == 0, f"{line}\n{err}"
            elif block["kind"] == "text" and body.startswith("$ "):
                for session in re.split(r"^(?=\$ )", body, flags=re.M):
                    if not session.strip():
                        continue
                    command, *expected = session.rstrip("\n").split("\n")
                    code, out, err = page.run(command[2:])
                    if expected and expected[0].startswith("standings: error:"):
                        assert (code, err.rstrip("\n").split("\n")) == (2, expected), command
                    else:
                        actual = out.rstrip("\n").split("\n")
                        assert code == 0, f"{command}\n{err}"
                        assert lines_match(expected, actual), f"{command}\n" + "\n".join(actual)
                    checked += 1
    finally:
        page.close()
    assert checked >= 7
    assert page.ran >= 14
