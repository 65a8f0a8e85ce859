"""The README and docs/*.md are true: their examples run as shown, their links lead
somewhere, their contracts match the output."""

from __future__ import annotations

import doctest
import json
import re
import shlex
from pathlib import Path

import pytest

from rally_standings.app import main
from tests.helpers import ROOT, lines_match

README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_matching_allows_an_ellipsis_for_any_lines() -> None:
    """The transcript matcher: "…" skips lines, anything else must be equal and in order."""
    assert lines_match(["a", "…", "d"], ["a", "b", "c", "d"])
    assert lines_match(["a", "…"], ["a", "b"])
    assert not lines_match(["a", "c"], ["a", "b", "c"])
    assert not lines_match(["a", "…", "e"], ["a", "b", "c", "d"])
    assert not lines_match(["a"], ["a", "b"])


def test_the_readme_is_a_front_page() -> None:
    """At most 250 lines; it links every page of docs/ it leaves the details to."""
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    for page in PAGES[1:]:
        assert f"(docs/{page.name})" in text, page.name


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_python_sessions_run_as_shown(page: Path) -> None:
    """Every `>>>` line of the page gives the output printed under it."""
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_python_sessions_are_there() -> None:
    """The README and docs/standings.md each hold a Python session (so the test above
    cannot pass by finding none)."""
    parser = doctest.DocTestParser()
    for page in (README, ROOT / "docs" / "standings.md"):
        examples = parser.get_examples(page.read_text(encoding="utf-8"))
        assert len(examples) >= 5, page


def _transcripts(page: Path) -> list[tuple[str, list[str]]]:
    """The `$ standings …` sessions of a page's text blocks: (command, lines shown)."""
    sessions = []
    for block in re.findall(r"```text\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
        if not block.startswith("$ standings "):
            continue
        for session in re.split(r"^(?=\$ standings )", block, flags=re.M):
            if session.strip():
                command, *expected = session.rstrip("\n").split("\n")
                sessions.append((command, expected))
    return sessions


OWN_RUNNER = {"timing.md"}
"""Pages whose sessions build on each other, run in order by a test of their own
(docs/timing.md: tests/test_timing_doc.py)."""

TRANSCRIPTS = [
    pytest.param(command, expected, id=f"{_name(page)}: {command[2:60]}")
    for page in PAGES
    if page.name not in OWN_RUNNER
    for command, expected in _transcripts(page)
]


def test_there_are_transcripts() -> None:
    """The README and docs/standings.md show real sessions."""
    assert len(_transcripts(README)) >= 2
    assert len(_transcripts(ROOT / "docs" / "standings.md")) >= 2


@pytest.mark.parametrize(("command", "expected"), TRANSCRIPTS)
def test_transcripts_match_the_commands(
    command: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Every `$ standings …` transcript in the docs is what the command prints today."""
    capsys.readouterr()
    assert main(shlex.split(command)[2:]) == 0, command
    actual = capsys.readouterr().out.rstrip("\n").split("\n")
    assert lines_match(expected, actual), f"{command}\n" + "\n".join(actual[:12])


def test_the_readme_session_prints_the_table_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's `standings record …` session ends with exactly the table it shows."""
    session = README.read_text(encoding="utf-8").split("## Record a rally")[1]
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
        assert main(argv[1:]) == 0, line
        output = capsys.readouterr().out
    assert output == shown.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run takes its test command from the README, so the two cannot drift apart."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci
    marked = README.read_text(encoding="utf-8").split("<!-- test-command -->")[1]
    assert marked.lstrip().startswith("```sh\n.venv/bin/pip install '.[test]'")


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_links_lead_somewhere(page: Path) -> None:
    """Every relative link of a page names a file of the checkout."""
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{_name(page)}: {target}"


def _keys(value: object) -> object:
    """The shape of a JSON value: its keys, recursively (a list by its first item)."""
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_keys(value[0])] if value else []
    return None


def test_the_documented_snapshot_json_has_the_real_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/cli.md's JSON snapshot has exactly the keys `show -f json` prints."""
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = page.split("## The JSON of a standings snapshot")[1]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block is not None
    documented = json.loads(block.group(1).replace('"…"', '"x"'))
    capsys.readouterr()
    assert main(["show", "example-rally", "-c", "cars", "-f", "json"]) == 0
    actual = json.loads(capsys.readouterr().out)
    assert _keys(documented) == _keys(actual)
