"""The README's examples are real: its Python session and its shell session run as shown."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

from rally_standings.app._cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_example_runs_as_shown() -> None:
    """Every `>>>` line of the README gives the output printed under it."""
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0


def test_shell_example_prints_the_table_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's `standings record …` session ends with exactly the table it shows."""
    text = README.read_text()
    session = text.split("Record a rally from scratch at the command line:")[1]
    commands = re.search(r"```sh\n(.*?)```", session, re.S)
    shown = re.search(r"```text\n(.*?)```", session, re.S)
    assert commands is not None
    assert shown is not None
    monkeypatch.chdir(tmp_path)
    output = ""
    for line in commands.group(1).strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "standings"
        capsys.readouterr()
        assert main(argv[1:]) == 0
        output = capsys.readouterr().out
    assert output == shown.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run takes its test command from the README, so the two cannot drift apart."""
    ci = (README.parent / ".ci" / "run").read_text()
    assert "test-command" in ci
    marked = README.read_text().split("<!-- test-command -->")[1]
    assert marked.lstrip().startswith("```sh\n.venv/bin/pip install '.[test]'")


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Lines equal in order; a line "…" stands for any number of lines."""
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


def test_transcripts_match_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """Every `$ standings …` transcript in the README is what the command prints today."""
    text = README.read_text()
    checked = 0
    for block in re.findall(r"```text\n(.*?)```", text, re.S):
        if not block.startswith("$ standings "):
            continue
        for session in re.split(r"^(?=\$ standings )", block, flags=re.M):
            if not session.strip():
                continue
            command, *expected = session.rstrip("\n").split("\n")
            capsys.readouterr()
            assert main(shlex.split(command)[2:]) == 0, command
            actual = capsys.readouterr().out.rstrip("\n").split("\n")
            assert _matches(expected, actual), f"{command}\n" + "\n".join(actual[:12])
            checked += 1
    assert checked >= 3
