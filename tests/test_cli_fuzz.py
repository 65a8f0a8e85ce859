"""The command line under hostile input (issue 11): any bytes as LOG, any argv drawn from the
CLI's own options, any text in a free-text field either succeed or fail with exit 2 and one
line on stderr: never a traceback, never a changed file after a refusal.

The argv strategy walks the parser the command line is built from, so a new command or
option is fuzzed without touching this file. ``--run-slow`` runs many more examples.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rally_standings.app._cli import build_parser
from rally_standings.events import read_records
from rally_standings.replays import shipped_logs
from tests.helpers import run_captured

SKIPPED = {"import", "verify", "report", "synth", "serve"}
"""Commands the argv fuzz leaves out: import and verify read articles (their fuzzing belongs
to the importer's tests), report draws charts (seconds an example), synth writes up to two
million events (its bounds are tested in test_refusals.py), serve runs until it is stopped
(its refusals are tested in test_serve.py)."""

_EXAMPLE = shipped_logs()["example-rally"]


def _leaves() -> dict[tuple[str, ...], list[str | argparse.Action]]:
    """Every runnable command (``("record", "entry")``) as the sequence of what its command
    line holds: subcommand names and actions, in order (``record``, LOG, ``entry``, …)."""
    found: dict[tuple[str, ...], list[str | argparse.Action]] = {}

    def walk(
        parser: argparse.ArgumentParser, path: tuple[str, ...], above: list[str | argparse.Action]
    ) -> None:
        own = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
        subparsers = [a for a in own if isinstance(a, argparse._SubParsersAction)]
        plain: list[str | argparse.Action] = [
            a for a in own if not isinstance(a, argparse._SubParsersAction)
        ]
        if not subparsers:
            found[path] = above + plain
            return
        for name, sub in subparsers[0].choices.items():
            walk(sub, (*path, name), [*above, *plain, name])

    walk(build_parser(), (), [])
    return {path: actions for path, actions in found.items() if path[0] not in SKIPPED}


LEAVES = _leaves()


def _mostly(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
    """Three draws in four from values the example rally accepts, so that commands get past
    their options into the rules and the engine; the rest from hostile ones."""
    hostile = st.sampled_from(bad) | hostile_text if bad else hostile_text
    return st.integers(min_value=0, max_value=3).flatmap(
        lambda n: hostile if n == 0 else st.sampled_from(good)
    )


hostile_text = st.text(min_size=0, max_size=12) | st.sampled_from(
    ["", " ", "\n", "a\nb", "\u202e", "\udcff", "x\x00y", "-", "--", "=SUM(A1)", "١١"]
)
BAD_NUMBERS = [
    *("-1", "+1", "٢", "1e3", "18446744073709551616", "9" * 30, "0" * 40 + "1", "nan", "1.5"),
]
BAD_TIMES = [
    *("0:00", "-99:00:00", "10000:00:00", "999999999999999999999999:00:00", "١:٠٠", "1:60"),
    *("1:5", "", "abc"),
]
TIMES = ["1:00", "1:00:00", "4:12:33", "+0:05:00", "-0:05:00", "9999:59:59", "1:00.5"]
numbers = _mostly(["0", "1", "2", "3", "4", "5", "6", "200", "201", "999", " 2 "], BAD_NUMBERS)
times = _mostly(TIMES, BAD_TIMES)
hypotheses = st.builds(
    "{}@{}={}".format,
    st.sampled_from(["200", "201", "203", "204", "999", "P1", ""]),
    st.sampled_from(["1", "2", "3", "5", "6", "99", "x"]),
    times,
)
VALUES: dict[str, st.SearchStrategy[str]] = {
    "--time": times,
    "--amount": times,
    "--awarded-time": times,
    "--penalty": hypotheses | st.sampled_from(["P1", "P3", "P9", "hypothetical-1"]),
    "--result": hypotheses,
    "--rescind": _mostly(["P1", "P2", "P3"], ["P9", "hypothetical-1"]),
    "--category": _mostly(["cars", "bikes"], ["trucks", "Cars", "quads"]),
    "-c": _mostly(["cars", "bikes"], ["quads"]),
    "--entry": _mostly(["200", "201", "203", "204", " 200 ", "Morel"], ["999", "nobody"]),
    "-e": _mostly(["200", "201", "Morel"], ["nobody"]),
    "--number": numbers,
    "--counts": _mostly(["yes", "prologue", "liaison", "cars=liaison"], ["x=y", "bogus"]),
    "--date": _mostly(["2025-01-09"], ["2025-13-01", "yesterday"]),
    "--wait": _mostly(["0", "0.01"], ["nan", "-5", "inf", "x"]),
    "--id": _mostly(["P7", "cars:300", "my-rally"], ["cars:301", "Bad Id"]),
    "--name": _mostly(["New Rally"], ["2020", "Ралли"]),
    "--year": _mostly(["2025"], BAD_NUMBERS),
}
"""Values an option takes: numbers for the rest, now and then free text."""
free_text = _mostly(["A", "Ann Alpha", "appeal upheld", "bulletin 4"], [])


@st.composite
def argvs(draw: st.DrawFn, log: str, out: str) -> list[str]:
    """A command line of the CLI's own commands and options, values often wrong."""
    path = draw(st.sampled_from(sorted(LEAVES)))
    argv: list[str] = []
    options: list[str] = []
    for action in LEAVES[path]:
        if isinstance(action, str):  # a subcommand's name
            argv.append(action)
            continue
        if not action.option_strings:  # a positional: LOG
            argv.append(log)
            continue
        if not (action.required or draw(st.booleans())):
            continue
        flag = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            options.append(flag)
            continue
        if action.choices:
            value = draw(st.sampled_from(sorted(map(str, action.choices))) | hostile_text)
        elif flag in ("-o", "--output"):
            value = draw(st.sampled_from([out, "", log]))
        else:
            value = draw(VALUES.get(flag, _other(action)))
        options += [flag, value]
        if isinstance(action, argparse._AppendAction) and draw(st.booleans()):
            options += [flag, draw(VALUES.get(flag, _other(action)))]
    return argv + options


def _other(action: argparse.Action) -> st.SearchStrategy[str]:
    """Numbers for an option read as a number, free text for the others."""
    return numbers if action.type is not None else free_text


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@contextlib.contextmanager
def _folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def _check(argv: list[str], log: Path, writes: bool) -> int:
    """Run ``argv``; assert the outcome is one of the allowed ones; returns the status."""
    before = _sha(log)
    code, _, err = run_captured(argv)
    assert code in (0, 1, 2), (argv, code, err)
    if code == 2:
        assert err.count("\n") == 1, (argv, err)
        assert err.startswith("standings"), (argv, err)
        assert _sha(log) == before, argv  # a refusal writes nothing
    elif not writes:
        assert _sha(log) == before, argv  # questions never write
    assert "Traceback" not in err
    return code


def _argv_property(data: st.DataObject) -> None:
    with _folder() as folder:
        log = folder / "r.rallylog"
        shutil.copyfile(_EXAMPLE, log)
        argv = data.draw(argvs(str(log), str(folder / "out.rallylog")))
        writes = argv[0] in ("record", "log") and (argv[0] == "record" or "repair" in argv)
        _check(argv, log, writes)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_any_argv_of_the_cli_succeeds_or_is_one_line(data: st.DataObject) -> None:
    """Command lines drawn from every command's options (import, verify, report and synth
    aside), with numbers past 2^64, non-ASCII digits, control characters, lone surrogates,
    empty names: success, exit 1 (problems found) or one line and exit 2."""
    _argv_property(data)


@pytest.mark.slow
@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_any_argv_longrun_captured(data: st.DataObject) -> None:
    """The same, 1 500 command lines (opt-in: --run-slow)."""
    _argv_property(data)


# ---------------------------------------------------------------------- any bytes as LOG


@functools.cache
def _example_bytes() -> bytes:
    return _EXAMPLE.read_bytes()


@st.composite
def log_bytes(draw: st.DrawFn) -> bytes:
    """Random bytes, or the example log cut, flipped, overwritten or grown."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    blob = bytearray(_example_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(blob) - 1)) if blob else 0
        kind = draw(st.sampled_from(["cut", "flip", "overwrite", "append"]))
        if kind == "cut":
            del blob[at:]
        elif kind == "flip" and blob:
            blob[at] ^= draw(st.integers(min_value=1, max_value=255))
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            blob[at : at + len(chunk)] = chunk
        else:
            blob += draw(st.binary(min_size=1, max_size=64))
    return bytes(blob)


READERS = [
    shlex.split(command)
    for command in (
        "show {log} -c cars",
        "events {log}",
        "replay {log} -c bikes -f json",
        "stage {log} -c cars -s 2",
        "penalties {log}",
        "whatif {log} -c cars --penalty 200@2=+0:10:00",
        "log check {log}",
        "log repair {log} -o {out}",
        "record {log} stage --number 9",
        "record {log} result --category cars --stage 2 --entry 999 --time 1:00",
    )
]


def _bytes_property(blob: bytes) -> None:
    with _folder() as folder:
        log = folder / "any.rallylog"
        log.write_bytes(blob)
        for template in READERS:
            argv = [part.format(log=log, out=folder / "fixed.rallylog") for part in template]
            code = _check(argv, log, writes=argv[0] == "record")
            if code == 0 and argv[0] == "record":
                read_records(log)  # an accepted append leaves a log that reads
                log.write_bytes(blob)
            (folder / "fixed.rallylog").unlink(missing_ok=True)


@settings(max_examples=20, deadline=None)
@given(log_bytes())
def test_any_bytes_as_log_succeed_or_are_one_line(blob: bytes) -> None:
    """Any bytes given as LOG to the readers, `log check`, `log repair` and `record`: an
    answer, exit 1 from `log check`, or one line and exit 2; the file unchanged by all but an
    accepted append."""
    _bytes_property(blob)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(log_bytes())
def test_any_bytes_longrun_captured(blob: bytes) -> None:
    """The same, 1 000 files (opt-in: --run-slow)."""
    _bytes_property(blob)


# ---------------------------------------------------------------------- any free text

TEXT_OPTIONS = {
    option: shlex.split(command)
    for option, command in {
        "--crew": "entry --category cars --number 300 --crew",
        "--make": "entry --category cars --number 300 --crew A --make",
        "--entrant": "entry --category cars --number 300 --crew A --entrant",
        "--reason": "retire --category cars --entry 201 --stage 5 --reason",
        "--source": "stage --number 9 --source",
        "--from": "stage --number 9 --from",
        "--to": "stage --number 9 --to",
        "--id": "penalty --category cars --entry 200 --stage 5 --amount 1:00 --reason r --id",
    }.items()
}


def _text_property(option: str, text: str) -> None:
    with _folder() as folder:
        log = folder / "r.rallylog"
        shutil.copyfile(_EXAMPLE, log)
        count = len(read_records(log))
        code = _check(["record", str(log), *TEXT_OPTIONS[option], text], log, writes=True)
        if code == 0:
            count += 1
        code, out, _ = run_captured(["events", str(log)])
        assert code == 0
        assert len(out.splitlines()) == count  # one event, one line


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(TEXT_OPTIONS)), st.text(max_size=20))
def test_any_free_text_is_recorded_on_one_line_or_refused(option: str, text: str) -> None:
    """Any text in a free-text option: recorded (and `events` still shows one event a
    line) or refused in one line with the log unchanged."""
    _text_property(option, text)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(sorted(TEXT_OPTIONS)), st.text(max_size=40))
def test_any_free_text_longrun_captured(option: str, text: str) -> None:
    """The same, 1 500 texts (opt-in: --run-slow)."""
    _text_property(option, text)
