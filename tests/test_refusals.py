"""A refused command writes nothing, ever; every failure is one line and exit 2 (issue 11).

The matrix runs every `record` kind refused in several ways, on a log with and without a torn
tail, and compares the file's sha256 before and after. The other tests each pin one finding
of the issue: each fails on the code before it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from rally_standings.engine import CHECKPOINT_LAG, Recorder
from rally_standings.engine._checkpoint import peek_checkpoint
from rally_standings.events import (
    LogReplacedError,
    PenaltyImposed,
    StageResultRecorded,
    read_records,
    scan_file,
)
from rally_standings.events._log import HEADER, MAX_FRAME_BYTES, scan_bytes
from rally_standings.outputs._text import display_width
from rally_standings.replays.synth import SynthSpec, write_synth
from tests.helpers import deadline, run_captured, start_rally

STANDINGS = str(Path(sys.executable).with_name("standings"))


def run(argv: Sequence[str] | str) -> tuple[int, str, str]:
    """``standings argv`` in-process: (exit status, stdout, stderr)."""
    return run_captured(argv)


def refused(argv: Sequence[str] | str) -> str:
    """Run a command that must be refused: exit 2, nothing on stdout, one line on stderr."""
    code, out, err = run(argv)
    assert code == 2, (argv, out, err)
    assert out == "", (argv, out)
    assert err.count("\n") == 1, (argv, err)
    assert err.endswith("\n"), (argv, err)
    return err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _log(tmp_path: Path, *, torn: bool) -> Path:
    """The test rally with a result, a penalty P1 and, if ``torn``, the first half of an
    append a crash interrupted."""
    path = start_rally(tmp_path / "r.rallylog")
    with Recorder(path) as recorder:
        recorder.append(StageResultRecorded(entry_id="cars:200", stage=2, time_ms=3_600_000))
        recorder.append(
            PenaltyImposed(
                penalty_id="P1", entry_id="cars:201", stage=2, amount_ms=60_000, reason="r"
            )
        )
    if torn:
        sound = path.read_bytes()
        with Recorder(path) as recorder:
            recorder.append(StageResultRecorded(entry_id="cars:201", stage=2, time_ms=3_700_000))
        whole = path.read_bytes()
        path.write_bytes(whole[: len(sound) + (len(whole) - len(sound)) // 2])
    return path


# ---------------------------------------------------------------------- the sha256 matrix

ACCEPTED = {
    "rally": "rally --name New --year 2024 --category cars",
    "entry": "entry --category cars --number 300 --crew A",
    "stage": "stage --number 5",
    "result": "result --category cars --stage 3 --entry 200 --time 1:00:00",
    "penalty": "penalty --category cars --entry 200 --stage 2 --amount 0:01:00 --reason r",
    "rescind": "rescind --penalty P1 --reason r",
    "cancel": "cancel --stage 4 --reason r",
    "retire": "retire --category cars --entry 202 --stage 3 --reason r",
    "correct": "correct --category cars --entry 200 --stage 2 --time 1:01:00",
    "coverage": "coverage --category cars --stage 2 --gc-known 3",
    "waypoint": "waypoint --category cars --entry 200 --stage 3 --waypoint 1 --time 0:30:00",
}
"""One command of each kind the test rally accepts (except `rally`: the log exists)."""

REFUSED = {
    "rally": [
        "--name X --year 99999999999999999999999 --category cars",
        "--name Ралли --year 2024 --category cars",
        "--name X --year ١٩٩٩ --category cars",
    ],
    "entry": [
        "--category quads --number 9 --crew A",
        "--category cars --number ' 200 ' --crew A",
        "--category cars --number ١١ --crew A",
        "--category cars --number 300 --crew A --id cars:301",
        "--category cars --number 300 --crew A --id bikes:300",
        "--category cars --number 300 --crew 'A (FRANCE)' --make $'M\\u202e'",
    ],
    "stage": [
        "--number 1000",
        "--number 99999999999999999999999",
        "--number 5 --counts bogus",
        "--number 5 --date 2024-13-01",
        "--number 5 --distance 0",
        "--number 5 --distance 99999999999999999999",
    ],
    "result": [
        "--category cars --stage 3 --entry 999 --time 1:00:00",
        "--category cars --stage 3 --entry 200 --time 999999999999999999999999:00:00",
        "--category cars --stage 3 --entry 200 --time ١:٠٠",
        "--category cars --stage 2 --entry 200 --time 1:00:00",
        "--category cars --stage 99 --entry 200 --time 1:00:00",
        "--category cars --stage 3 --entry 200 --time 1:00:00 --first-stage 9999999999999999999",
    ],
    "penalty": [
        "--category cars --entry 200 --stage 2 --amount 1:5 --reason r",
        "--category cars --entry 200 --stage 2 --amount -99999999999999999999:00:00 --reason r",
        "--category cars --entry 999 --stage 2 --amount 0:01:00 --reason r",
        "--category cars --entry 200 --stage 2 --amount 0:01:00 --reason $'two\\nlines'",
        "--category cars --entry 200 --stage 2 --amount 0:01:00 --reason r --id P1",
    ],
    "rescind": ["--penalty P9 --reason r", "--penalty P1 --reason $'\\u202eevil'"],
    "cancel": [
        "--stage 4 --reason r --awarded-time 99999999:00",
        "--stage 99 --reason r",
        "--stage 4 --reason r --category quads",
    ],
    "retire": [
        "--category cars --entry 999 --stage 3 --reason r",
        "--category cars --entry 202 --stage 3 --reason $'a\\rb'",
    ],
    "correct": [
        "--category cars --entry 200 --stage 3 --time 1:00:00",
        "--category cars --entry 200 --stage 2 --time 0:00",
        "--category cars --entry 200 --stage 2 --time 99999:00:00",
    ],
    "coverage": [
        "--category cars --stage 2 --gc-known 0",
        "--category cars --stage 2 --stage-known 0",
        "--category cars --stage 2 --gc-known 99999999999999999999",
        "--category quads --stage 2 --gc-known 3",
    ],
    "waypoint": [
        "--category cars --entry 200 --stage 3 --waypoint 0 --time 0:30:00",
        "--category cars --entry 200 --stage 3 --waypoint 1000 --time 0:30:00",
        "--category cars --entry 999 --stage 3 --waypoint 1 --time 0:30:00",
    ],
}
"""Refusals of each kind: by an option's type, by the event's validators, by the rules."""


def _shell(text: str) -> list[str]:
    """Split like bash, with $'…' strings (newlines, bidi overrides) decoded."""
    parts = []
    for token in shlex.split(text.replace("$'", "'$")):
        if token.startswith("$"):
            token = token[1:].encode("ascii").decode("unicode_escape")
        parts.append(token)
    return parts


def _matrix() -> list[tuple[str, str]]:
    cases = [(kind, f"{kind} {args}") for kind, items in REFUSED.items() for args in items]
    for kind, command in ACCEPTED.items():
        cases.append((kind, command + " --source $'bulletin\\n2'"))
        cases.append((kind, command + " --wait nan"))
        cases.append((kind, command + " --wait -5"))
    cases.append(("rally", ACCEPTED["rally"]))  # the log exists: refused without --force
    return cases


@pytest.mark.parametrize("torn", [False, True], ids=["sound", "torn-tail"])
def test_every_refused_record_leaves_the_log_byte_identical(tmp_path: Path, torn: bool) -> None:
    """Every `record` kind, refused by an option, a validator or a rule, on a sound log and on
    one ending in a torn tail: exit 2, one line, and the file's sha256 unchanged (issue 11:
    a refused command used to cut the torn tail off)."""
    path = _log(tmp_path, torn=torn)
    before = sha(path)
    cases = _matrix()
    assert len(cases) == 77
    assert {kind for kind, _ in cases} == set(ACCEPTED)
    for _, command in cases:
        refused(["record", str(path), *_shell(command)])
        assert sha(path) == before, command


@pytest.mark.parametrize("kind", sorted(ACCEPTED.keys() - {"rally"}))
def test_an_accepted_record_cuts_the_torn_tail_and_says_so(tmp_path: Path, kind: str) -> None:
    """Every kind the rules accept, on a log with a torn tail: the tail is cut as part of the
    append, stderr says where and how much, and the file is the sound log plus the event."""
    path = _log(tmp_path, torn=True)
    scan = scan_bytes(path.read_bytes())
    sound = path.read_bytes()[: scan.valid_end]
    code, out, err = run(["record", str(path), *_shell(ACCEPTED[kind])])
    assert code == 0, err
    assert err == (
        f"standings: cut {scan.torn_bytes} bytes of an interrupted append "
        f"at offset {scan.valid_end}\n"
    )
    after = path.read_bytes()
    assert after.startswith(sound)
    assert len(read_records(path)) == scan.count + 1
    assert scan_bytes(after).torn_bytes == 0
    assert out.lstrip().startswith(str(scan.count + 1))


# ---------------------------------------------------------------------- item 1: damage


def test_a_damaged_last_frame_is_refused_checked_and_never_cut(tmp_path: Path) -> None:
    """A flipped byte in the last frame: `show` refuses it with offset and seq, `log check`
    exits 1, a `record` is refused without touching it, `log repair` keeps the rest."""
    path = _log(tmp_path, torn=False)
    data = bytearray(path.read_bytes())
    scan = scan_bytes(bytes(data))
    start, seq = scan.ends[-2], scan.frames[-1].first_seq
    data[-3] ^= 0x10
    path.write_bytes(bytes(data))
    before = sha(path)
    err = refused(f"show {path} -c cars")
    assert f"frame checksum mismatch ({path}, byte offset {start}, record seq {seq})" in err
    code, out, _ = run(f"log check {path}")
    assert code == 1
    assert f"damage at byte offset {start}, record seq {seq}: frame checksum mismatch" in out
    assert "torn tail" not in out
    refused(["record", str(path), *_shell(ACCEPTED["entry"])])
    assert sha(path) == before
    code, out, _ = run(f"log repair {path} -o {tmp_path / 'fixed.rallylog'}")
    assert code == 0
    assert f"kept {seq - 1} events (seq 1-{seq - 1})" in out


# ---------------------------------------------------------------------- item 3: overflow


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "result --category cars --stage 2 --entry 201 --time 999999999999999999999999:00:00",
            "argument --time: time too long",
        ),
        (
            "penalty --category cars --entry 200 --stage 2 --reason r "
            "--amount -999999999999999999999:00:00",
            "argument --amount: time too long",
        ),
        (
            "cancel --stage 4 --reason r --awarded-time 99999999999999999999:00:00",
            "argument --awarded-time: time too long",
        ),
        (
            "rally --name X --year 18446744073709551616 --category cars",
            "argument --year: number too large",
        ),
        ("stage --number 18446744073709551616", "argument --number: number too large"),
        ("stage --number 5 --distance 18446744073709551616", "argument --distance"),
        (
            "coverage --category cars --stage 2 --gc-known 18446744073709551616",
            "argument --gc-known",
        ),
        (
            "waypoint --category cars --entry 200 --stage 3 --time 1:00 "
            "--waypoint 18446744073709551616",
            "argument --waypoint",
        ),
        ("stage --number 5 --distance " + "9" * 5000, "argument --distance: number too large"),
        ("result --category cars --stage 3 --entry 200 --time 1:" + "0" * 5000, "two digits"),
    ],
)
def test_numbers_beyond_the_log_are_one_line(tmp_path: Path, command: str, message: str) -> None:
    """Integers past 2^64 (msgpack's OverflowError) and digit strings past Python's 4300-digit
    conversion limit: one line naming the option and the bound, nothing written."""
    path = _log(tmp_path, torn=False)
    before = sha(path)
    err = refused(["record", str(path), *shlex.split(command)])
    assert message in err
    assert sha(path) == before


def test_recorder_refuses_values_the_log_cannot_store_as_a_rally_error(rally_log: Path) -> None:
    """The Python API too: an out-of-range value is an InvalidEventError when the event is
    built, before any recorder sees it (it used to be msgpack's OverflowError at append)."""
    from rally_standings.events import InvalidEventError

    with pytest.raises(InvalidEventError, match=r"StageResultRecorded\.time_ms"):
        StageResultRecorded(entry_id="cars:200", stage=2, time_ms=2**64)


def test_special_and_undecodable_inputs_are_one_line(tmp_path: Path) -> None:
    """/dev/zero and a FIFO as LOG, a FIFO as ARTICLE and a non-UTF-8 article: one line,
    exit 2, at once (they used to read until MemoryError, hang, or end in a traceback)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    article = tmp_path / "article.txt"
    article.write_bytes(b"2004 Dakar Rally\n\xff\xfe not UTF-8\n")
    with deadline(20):
        for command, message in [
            ("show /dev/zero -c cars", "received a character device"),
            (f"events {fifo}", "received a named pipe (FIFO)"),
            (f"log check {fifo}", "received a named pipe (FIFO)"),
            (f"log repair {fifo} -o {tmp_path / 'x.rallylog'}", "named pipe"),
            (f"record {fifo} stage --number 5", "named pipe"),
            (f"import {fifo} -o {tmp_path / 'i.rallylog'}", "named pipe"),
            (f"import {article} -o {tmp_path / 'i.rallylog'}", "not UTF-8 text"),
        ]:
            assert message in refused(command), command
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".checkpoint") == [
        "article.txt",
        "pipe",
    ]


# ---------------------------------------------------------------------- item 6: hangs


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "abc", "", "1e999"])
def test_wait_takes_only_a_finite_number_of_seconds(rally_log: Path, value: str) -> None:
    """--wait nan waited forever and --wait -5 was accepted: only a finite number >= 0."""
    err = refused(["record", str(rally_log), "stage", "--number", "5", "--wait", value])
    assert "argument --wait: not a wait time" in err


def test_report_into_a_fifo_is_refused(tmp_path: Path) -> None:
    """`report -o FIFO` hung on opening the pipe: refused, with or without --force."""
    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    with deadline(60):
        for force in ("", " --force"):
            err = refused(f"report example-rally -o {fifo}{force}")
            assert "not a regular file" in err
            assert "named pipe" in err


# ---------------------------------------------------------------------- item 10: outputs


def test_report_and_chart_refuse_an_existing_file_unless_forced(tmp_path: Path) -> None:
    """`report` and `report --chart` overwrote silently; now refused unless --force, and the
    refusal comes before the report is drawn."""
    for name, extra in (("page.html", ""), ("chart.svg", " --chart gaps -c cars")):
        out = tmp_path / name
        out.write_text("keep me")
        err = refused(f"report example-rally -o {out}{extra}")
        assert (
            f"a file already exists there ({out}): expected a path with no file, or --force" in err
        )
        assert out.read_text() == "keep me"
        code, stdout, _ = run(f"report example-rally -o {out}{extra} --force")
        assert code == 0
        assert stdout.startswith(f"wrote {out}")
        assert out.read_text() != "keep me"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".checkpoint") == [
        "chart.svg",
        "page.html",
    ]


def test_synth_refuses_an_existing_file_and_writes_atomically(tmp_path: Path) -> None:
    """`synth` onto an existing file is refused unless --force; a synth that fails halfway
    leaves neither a log nor a temporary file."""
    out = tmp_path / "s.rallylog"
    assert run(f"synth -o {out} --entries 6 --stages 2")[0] == 0
    before = sha(out)
    err = refused(f"synth -o {out} --entries 6 --stages 2 --seed 2")
    assert "--force" in err
    assert sha(out) == before
    assert run(f"synth -o {out} --entries 6 --stages 2 --seed 2 --force")[0] == 0
    assert sha(out) != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.rallylog"]


def test_synth_leaves_the_log_and_its_checkpoint_only(tmp_path: Path) -> None:
    """A synth written in many appends (more than a recorder's checkpoint lag) leaves the
    log and its checkpoint, which a reader uses, and nothing beside the temporary name it
    was built under."""
    out = tmp_path / "many.rallylog"
    write_synth(out, SynthSpec(entries=40, stages=3, waypoints=3), batch=10)
    assert len(scan_file(out).frames) > CHECKPOINT_LAG
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "many.rallylog",
        "many.rallylog.checkpoint",
    ]
    checkpoint = peek_checkpoint(out)
    assert checkpoint is not None
    assert scan_file(out, trusted=checkpoint.trusted).trusted == len(scan_file(out).ends)


def test_a_killed_synth_leaves_no_log(tmp_path: Path) -> None:
    """SIGKILL in the middle of `synth`: no file at the output path (it used to leave a
    valid-looking partial log there). Killed once the log is being written, whatever the
    speed of the machine."""
    out = tmp_path / "big.rallylog"
    proc = subprocess.Popen(
        [STANDINGS, "synth", "-o", str(out), "--entries", "2000", "--stages", "20"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while proc.poll() is None and not any(tmp_path.iterdir()):
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.wait()
    if proc.returncode == 0:  # it finished first: then it is whole
        pytest.skip("synth finished before it could be killed")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []


def test_log_repair_refuses_existing_outputs_and_the_original(tmp_path: Path) -> None:
    """`log repair -o EXISTING` is refused unless --force; it never replaces the log it
    repairs, nor a log another process is writing (item 15)."""
    log = _log(tmp_path, torn=False)
    other = start_rally(tmp_path / "other.rallylog")
    before = sha(other)
    assert "--force" in refused(f"log repair {log} -o {other}")
    err = refused(f"log repair {log} -o {log} --force")
    assert "the repaired log cannot replace the original" in err
    with Recorder(other):
        err = refused(f"log repair {log} -o {other} --force")
        assert "another process is writing to the file there" in err
    assert sha(other) == before
    assert run(f"log repair {log} -o {other} --force")[0] == 0
    assert read_records(other) == read_records(log)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".checkpoint") == [
        "other.rallylog",
        "r.rallylog",
    ]


def test_record_rally_replaces_a_log_only_when_forced_and_free(tmp_path: Path) -> None:
    """`record LOG rally` over an existing log: refused, or with --force replaced, never
    while a recorder holds it."""
    log = _log(tmp_path, torn=False)
    before = sha(log)
    with Recorder(log):
        err = refused(["record", str(log), *_shell(ACCEPTED["rally"]), "--force"])
        assert "another process is writing to the file there" in err
    assert sha(log) == before
    code, out, _ = run(["record", str(log), *_shell(ACCEPTED["rally"]), "--force"])
    assert code == 0
    assert out.startswith(f"created {log}\n")
    assert len(read_records(log)) == 1


# ---------------------------------------------------------------------- item 12: text


@pytest.mark.parametrize(
    ("option", "field"),
    [
        ("--crew", "Person.name"),
        ("--make", "EntryRegistered.make"),
        ("--entrant", "EntryRegistered.entrant"),
        ("--source", "Provenance.detail"),
    ],
)
@pytest.mark.parametrize("bad", ["two\nlines", "tab\there", "\u202eevil", "a\u2028b", "x\x1b[31m"])
def test_control_characters_are_refused_naming_the_option(
    rally_log: Path, option: str, field: str, bad: str
) -> None:
    """A newline, tab, escape, line separator or right-to-left override in free text broke
    every table and `events`: refused, naming the option and the field, in one line."""
    before = sha(rally_log)
    argv = ["record", str(rally_log), "entry", "--category", "cars", "--number", "300"]
    argv += ["--crew", "A", option, bad]
    err = refused(argv)
    assert f"invalid field ({option}, {field}): expected one line of text" in err
    assert sha(rally_log) == before


def test_free_text_that_is_one_line_is_accepted_and_aligned(tmp_path: Path) -> None:
    """CJK, emoji (with a zero-width joiner) and combining accents are one line of text: they
    are recorded, and the plain table aligns them by display width."""
    log = tmp_path / "w.rallylog"
    assert run(f"record {log} rally --name W --year 2024 --category cars")[0] == 0
    assert run(f"record {log} stage --number 1")[0] == 0
    crews = ["高橋 秀樹", "Jose\u0301 Pe\u0301rez", "🏁 Flag", "👩\u200d🔧 Mechanic", "Ann"]
    for number, crew in enumerate(crews, start=1):
        assert run(["record", str(log), "entry", "--category", "cars", "--number", str(number),
                    "--crew", crew, "--make", "Mini"])[0] == 0  # fmt: skip
        assert run(f"record {log} result --category cars --stage 1 --entry {number} "
                   f"--time 1:0{number}:00")[0] == 0  # fmt: skip
    code, out, _ = run(f"show {log} -c cars --plain")
    assert code == 0
    rows = [line for line in out.splitlines() if "Mini" in line]
    assert len(rows) == len(crews)
    columns = {display_width(row[: row.index("Mini")]) for row in rows}
    assert len(columns) == 1, rows  # the make column starts at one display column
    assert {display_width(row) for row in rows[1:]} == {display_width(rows[1])}


def test_csv_neutralises_spreadsheet_formulas(tmp_path: Path) -> None:
    """A crew name or make that begins with = + - @ is written to CSV with a leading ' so a
    spreadsheet shows it as text (item 16; documented in docs/guarantees.md)."""
    log = tmp_path / "f.rallylog"
    assert run(f"record {log} rally --name F --year 2024 --category cars")[0] == 0
    assert run(f"record {log} stage --number 1")[0] == 0
    names = ['=HYPERLINK("http://x","y")', "+1 Plus", "-1 Minus", "@SUM(A1)"]
    for number, name in enumerate(names, start=1):
        assert run(["record", str(log), "entry", "--category", "cars", "--number", str(number),
                    "--crew", name, "--make", name])[0] == 0  # fmt: skip
        assert run(f"record {log} result --category cars --stage 1 --entry {number} "
                   f"--time 1:0{number}:00")[0] == 0  # fmt: skip
    code, out, _ = run(f"show {log} -c cars -f csv")
    assert code == 0
    import csv

    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["crew"] for row in rows] == ["'" + name for name in names]
    assert [row["make"] for row in rows] == ["'" + name for name in names]
    assert [row["gap"] for row in rows] == ["", "+0:01:00", "+0:02:00", "+0:03:00"]


# ---------------------------------------------------------------------- item 13: numbers


def test_race_numbers_are_trimmed_ascii_digits(rally_log: Path) -> None:
    """' 1 ' registered a second "No. 1" and ١١ a second 11: a number is trimmed, ASCII
    digits only, so a padded number meets the one already registered."""
    assert run(f"record {rally_log} entry --category cars --number ' 7 ' --crew A")[0] == 0
    assert read_records(rally_log)[-1].event.number == "7"  # type: ignore[union-attr]
    err = refused(f"record {rally_log} entry --category cars --number 7 --crew B")
    assert "entry already registered" in err
    err = refused(f"record {rally_log} entry --category cars --number ٧ --crew B")
    assert "argument --number: not a race number: expected 1 to 6 ASCII digits" in err
    code, _, _ = run(
        f"record {rally_log} result --category cars --stage 2 --entry ' 7 ' --time 1:00"
    )
    assert code == 0


def test_an_explicit_entry_id_must_match_the_entry(rally_log: Path) -> None:
    """--id cars:301 on No. 300 blocked No. 301, and --id bikes:302 was taken for a car."""
    for wrong in ("cars:301", "bikes:300", "x"):
        err = refused(
            f"record {rally_log} entry --category cars --number 300 --crew A --id {wrong}"
        )
        assert "the entry id does not match the entry (--id): expected cars:300" in err
    assert (
        run(f"record {rally_log} entry --category cars --number 300 --crew A --id cars:300")[0] == 0
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--waypoints -1", "argument --waypoints: not a whole number"),
        ("--entries 0", "argument --entries: out of range: expected a number of entries from 1"),
        ("--stages 0", "argument --stages: out of range"),
        ("--entries 99999999999", "argument --entries: out of range"),
        ("--waypoints 101", "argument --waypoints: out of range"),
        ("--entries 2000 --stages 50 --waypoints 100", "synthetic rally too large"),
        ("--categories ,", "(--categories)"),
        ("--seed ٣", "argument --seed: not a whole number"),
    ],
)
def test_synth_is_bounded(tmp_path: Path, options: str, message: str) -> None:
    """`synth --entries 99999999999` ate 4.4 GB; -1, 0 and non-ASCII digits were taken: the
    documented bounds (entries 1-2000, stages 1-50, waypoints 0-100, 2 million events)."""
    err = refused(f"synth -o {tmp_path / 's.rallylog'} {options}")
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_non_ascii_digits_are_refused_in_every_number(rally_log: Path) -> None:
    """Times, stage numbers and seqs take ASCII digits only (١:٠٠ recorded 0:01:00)."""
    for command in (
        f"record {rally_log} result --category cars --stage 2 --entry 200 --time ١:٠٠",
        f"record {rally_log} result --category cars --stage ٢ --entry 200 --time 1:00",
        f"show {rally_log} -c cars --as-of ٣",
        f"stage {rally_log} -c cars -s ٢",
    ):
        assert "not a" in refused(command), command


# ---------------------------------------------------------------------- item 15: the lock


def test_a_log_moved_over_a_held_one_is_never_written_twice(tmp_path: Path) -> None:
    """While a recorder holds a log, `log repair` into a new file and `mv` over the original
    let a second writer in and the recorder's event was lost: now the holder refuses to
    append to a path that names another file, and the new file gets its own events only."""
    log = _log(tmp_path, torn=False)
    new = tmp_path / "new.rallylog"
    with Recorder(log) as holder:
        assert run(f"log repair {log} -o {new}")[0] == 0
        os.replace(new, log)
        assert run(["record", str(log), *_shell(ACCEPTED["entry"])])[0] == 0
        after = sha(log)
        with pytest.raises(LogReplacedError):
            holder.append(StageResultRecorded(entry_id="cars:201", stage=3, time_ms=60_000))
    assert sha(log) == after
    seqs = [r.seq for r in read_records(log)]
    assert seqs == list(range(1, len(seqs) + 1))


# ---------------------------------------------------------------------- item 17: messages


def test_messages_name_the_problem_and_the_fix(tmp_path: Path, rally_log: Path) -> None:
    """The messages of item 17 that live outside the engine."""
    err = refused(f"record {tmp_path / 'n.rallylog'} rally --name 2020 --year 2020 --category x")
    assert "no rally id can be made from the name (--name)" in err
    assert "or --id ID" in err
    err = refused(f"report example-rally -o {tmp_path / 'c.svg'} --chart gaps")
    assert "received 2 categories" in err
    chart = f"report example-rally -o {tmp_path / 'c.svg'} --chart gaps -c cars"
    err = refused(f"{chart} --what-if --penalty 200@2=+1:00")
    assert "received 1 category and --what-if" in err
    err = refused("report example-rally -o ''")
    assert "argument -o/--output: no file name: expected the path of a file to write" in err
    header_only = tmp_path / "h.rallylog"
    header_only.write_bytes(HEADER)
    code, out, _ = run(f"log check {header_only}")
    assert code == 1
    assert "0 sound records" not in out
    assert "seq 1-0" not in out
    assert "damage at byte offset 12: a log with no records" in out
    for command in (f"show {header_only} -c cars", f"events {header_only}"):
        err = refused(command)
        assert "a log with no records" in err
        assert "seq" not in err
    notes = tmp_path / "notes.txt"
    notes.write_text("not a log")
    assert "record seq" not in refused(f"show {notes} -c cars")


def test_a_message_stays_one_line_whatever_the_input(tmp_path: Path) -> None:
    """A path or an option value with a newline or a bidi override never breaks the one
    line of an error (the characters are shown escaped)."""
    for argv in (
        ["show", str(tmp_path / "a\nb.rallylog"), "-c", "cars"],
        ["show", "example-rally", "-c", "ca\u202ers"],
        ["show", "example-rally", "-c", "cars", "--after", "1\n2"],
        ["show", "example-rally", "-c", "cars", "--bogus\nflag"],
    ):
        err = refused(argv)
        assert "\u202e" not in err


# ---------------------------------------------------------------------- the docs


def test_the_docs_state_the_bounds_the_code_enforces() -> None:
    """docs/guarantees.md names each bound with the value the code enforces, and the
    log-format page the frame cap and the stderr line `record` prints."""
    from rally_standings import events
    from rally_standings.events import format_time
    from rally_standings.replays import synth

    docs = Path(__file__).resolve().parents[1] / "docs"
    guarantees = " ".join((docs / "guarantees.md").read_text(encoding="utf-8").split())
    for name, value in {
        "MAX_STAGE": f"0 to {events.MAX_STAGE}",
        "MAX_WAYPOINT": f"1 to {events.MAX_WAYPOINT}",
        "MAX_YEAR": f"1 to {events.MAX_YEAR}",
        "MAX_DISTANCE_KM": f"1 to {events.MAX_DISTANCE_KM} km",
        "MAX_COUNT": f"1 to {events.MAX_COUNT}",
        "MAX_NUMBER_DIGITS": f"1 to {events.MAX_NUMBER_DIGITS} ASCII digits",
        "MAX_TIME_MS": format_time(events.MAX_TIME_MS),
        "MAX_ENTRIES": f"1 to {synth.MAX_ENTRIES} entries",
        "MAX_STAGES": f"1 to {synth.MAX_STAGES} stages",
        "MAX_WAYPOINTS": f"0 to {synth.MAX_WAYPOINTS} waypoints",
        "MAX_EVENTS": f"at most {synth.MAX_EVENTS} events",
    }.items():
        assert f"{value} (`{name}`" in guarantees, name
    log_format = (docs / "log-format.md").read_text(encoding="utf-8")
    assert f"above {MAX_FRAME_BYTES >> 20} MiB (`MAX_FRAME_BYTES`)" in log_format
    assert "standings: cut 172 bytes of an interrupted append at offset 10799" in log_format


# ---------------------------------------------------------------------- the engine's findings
#
# Findings of issue 11 that live in engine/ (each was a strict xfail until the engine was
# fixed).


def test_engine_what_if_stages_are_ascii_digits_within_bounds() -> None:
    """A what-if stage is ASCII digits within bounds: `200@٣` is not read as stage 3, and
    5 000 digits are refused in one line, not with int()'s ValueError (a traceback)."""
    err = refused(["whatif", "example-rally", "-c", "cars", "--penalty", "200@٣=+1:00"])
    assert "malformed hypothesis" in err
    refused(["whatif", "example-rally", "-c", "cars", "--penalty", f"200@{'9' * 5000}=+1:00"])


def test_engine_refusals_quote_no_seq_that_was_never_written(rally_log: Path) -> None:
    """A refused append is not quoted with the seq it would have had (never written)."""
    next_seq = len(read_records(rally_log)) + 1
    err = refused(f"record {rally_log} retire --category cars --entry 200 --stage 99 --reason r")
    assert f"seq {next_seq}" not in err


def test_engine_an_empty_category_gives_no_empty_example(rally_log: Path) -> None:
    """`unknown entry` in a category with no entries does not say "(e.g. )"."""
    err = refused(f"record {rally_log} result --category bikes --stage 2 --entry 5 --time 1:00")
    assert "(e.g. )" not in err


def test_engine_hypothetical_penalty_ids_never_collide(rally_log: Path) -> None:
    """A real penalty with id hypothetical-1 does not make every `whatif --penalty` fail."""
    penalty = "penalty --category cars --entry 200 --stage 2 --amount 1:00 --reason r"
    assert run(f"record {rally_log} {penalty} --id hypothetical-1")[0] == 0
    result = "result --category cars --stage 2 --entry 200 --time 1:00:00"
    assert run(f"record {rally_log} {result}")[0] == 0
    code, _, err = run(f"whatif {rally_log} -c cars --penalty 200@2=+1:00")
    assert code == 0, err


def test_starting_a_rally_over_a_log_says_what_force_would_throw_away(rally_log: Path) -> None:
    """`record LOG rally` where a log already is: the refusal says what the file holds and
    that --force replaces it with everything recorded in it (found by a newcomer: the bare
    "or --force to replace it" invited throwing a rally in progress away); nothing written."""
    before = sha(rally_log)
    records = len(read_records(rally_log))
    err = refused(f"record {rally_log} rally --name X --year 2025 --category cars")
    assert err.startswith(f"standings: error: a file is already there ({rally_log}): ")
    assert "--force replaces the file, and everything recorded in it" in err
    assert err.endswith(f"received the log of Test Rally 2024, {records} records\n")
    assert sha(rally_log) == before


def test_a_second_result_names_the_crew_the_record_and_the_way_to_correct(
    rally_log: Path,
) -> None:
    """A second result for a crew at a stage: the refusal names the crew, says "record #N"
    as the tables do (not "seq N"), and says a correction changes it (found by a newcomer:
    "entry already has a result", "a result-corrected event", "seq 31")."""
    assert (
        run(f"record {rally_log} result --category cars --stage 2 --entry 200 --time 1:00:00")[0]
        == 0
    )
    records = len(read_records(rally_log))
    err = refused(f"record {rally_log} result --category cars --stage 2 --entry 200 --time 1:01:00")
    assert "cars:200 already has a result for stage 2" in err
    assert "expected a correction of that result (a result-corrected event) to change it" in err
    assert f"received a second result (the first is record #{records})" in err
