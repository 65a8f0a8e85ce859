"""The README's examples are real: its Python session and its shell session run as shown."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

from engine._cli import main

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
