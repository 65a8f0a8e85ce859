"""The command line end to end: build a rally with `standings record`, read it back."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rally_standings.app import _query
from rally_standings.app._cli import main
from tests.helpers import ROOT, SNAPSHOT_KEYS, cli, cli_json, python_c, run_captured

STANDINGS = shutil.which("standings") or str(Path(sys.executable).with_name("standings"))


def record(capsys: pytest.CaptureFixture[str], log: Path, command: str) -> str:
    """``standings record LOG command``, which must succeed; its output."""
    code, out, err = cli(capsys, f"record {log} {command}")
    assert code == 0, err
    return out


def gc(capsys: pytest.CaptureFixture[str], log: Path, after: int) -> list[tuple[object, ...]]:
    data = cli_json(capsys, f"show {log} --category cars --after {after} --format json")
    assert data["after_stage"] == after
    assert data["as_of"] is None
    return [(r["position"], r["number"], r["time"], r["gap"]) for r in data["rows"]] + [
        ("out", u["number"], u["reason"]) for u in data["unclassified"]
    ]


@pytest.fixture
def built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A rally recorded command by command.

    Prologue, tie, GC-only penalty, cancellation with awarded time, retirement.
    """
    log = tmp_path / "cli.rallylog"
    record(capsys, log, "rally --name 'CLI Rally' --year 2024 --category cars --category trucks")
    record(capsys, log, "stage --number 1 --counts prologue")
    for n in (2, 3, 4, 5):
        record(capsys, log, f"stage --number {n}")
    for number, crew, make in [
        ("200", "Ann Alpha (FRA)", "Toyota"),
        ("201", "Bob Bravo", "Mini"),
        ("202", "Cid Charlie", "Ford"),
    ]:
        record(
            capsys,
            log,
            f"entry --category cars --number {number} --crew '{crew}' --crew Navigator --make "
            f"{make}",
        )
    for number, time in [("200", "3:45"), ("201", "3:40"), ("202", "3:50")]:
        record(capsys, log, f"result --category cars --stage 1 --entry {number} --time {time}")
    for number, time in [("200", "2:00:00"), ("201", "2:01:00"), ("202", "2:03:30")]:
        record(capsys, log, f"result --category cars --stage 2 --entry {number} --time {time}")
    out = record(
        capsys,
        log,
        "penalty --category cars --entry 200 --stage 3 --amount +0:05:00 --reason 'outside "
        "assistance' --gc-only",
    )
    assert "P1: cars:200 at stage 3 +0:05:00 (GC only): outside assistance" in out
    for number, time in [("200", "1:30:00"), ("201", "1:34:00"), ("202", "1:32:30")]:
        record(capsys, log, f"result --category cars --stage 3 --entry {number} --time {time}")
    record(capsys, log, "retire --category cars --entry 202 --stage 4 --reason 'broken axle'")
    record(
        capsys,
        log,
        "cancel --stage 4 --category cars --awarded-time 0:45:00 --reason 'flooded river'",
    )
    for number, time in [("200", "1:10:00"), ("201", "1:09:00")]:
        record(capsys, log, f"result --category cars --stage 5 --entry {number} --time {time}")
    return log


def test_standings_after_every_stage(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`standings show` gives the right GC after each stage, value by value."""
    assert gc(capsys, built, 2) == [
        (1, "200", "2:00:00", None),
        (2, "201", "2:01:00", "+0:01:00"),
        (3, "202", "2:03:30", "+0:03:30"),
    ]
    assert gc(capsys, built, 3) == [
        (1, "200", "3:35:00", None),
        (1, "201", "3:35:00", "+0:00:00"),
        (3, "202", "3:36:00", "+0:01:00"),
    ]
    assert gc(capsys, built, 4) == [
        (1, "200", "4:20:00", None),
        (1, "201", "4:20:00", "+0:00:00"),
        ("out", "202", "retired at stage 4: broken axle"),
    ]
    assert gc(capsys, built, 5) == [
        (1, "201", "5:29:00", None),
        (2, "200", "5:30:00", "+0:01:00"),
        ("out", "202", "retired at stage 4: broken axle"),
    ]


def test_prologue_has_a_ranking_but_no_gc(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The prologue ranks on its own; the GC after it is empty, and says why (issue 20: an
    early rally answers, exit 0)."""
    rows = cli_json(capsys, f"stage {built} -c cars -s 1 -f json")["rows"]
    assert [(r["position"], r["number"], r["time"]) for r in rows] == [
        (1, "201", "0:03:40"),
        (2, "200", "0:03:45"),
        (3, "202", "0:03:50"),
    ]
    code, out, _ = cli(capsys, f"show {built} -c cars --after 1")
    assert code == 0
    assert out.splitlines()[2] == (
        "No stage counting toward the general classification has been run yet; the prologue "
        "sets the start order."
    )
    data = cli_json(capsys, f"show {built} -c cars --after 1 -f json")
    assert (data["rows"], data["unclassified"]) == ([], [])
    assert data["note"].startswith("No stage counting toward the general classification")


def test_stage_ranking_ignores_gc_only_penalty(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stage 3's ranking keeps the penalised crew's stage win."""
    data = cli_json(capsys, f"stage {built} -c cars -s 3 -f json")
    assert [(r["number"], r["time"], r["gap"]) for r in data["rows"]] == [
        ("200", "1:30:00", None),
        ("202", "1:32:30", "+0:02:30"),
        ("201", "1:34:00", "+0:04:00"),
    ]


def test_default_stage_and_table(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --after the GC is after the last stage with results, as an aligned table."""
    code, out, _ = cli(capsys, f"show {built} --category cars")
    assert code == 0
    assert out.splitlines() == [
        "CLI Rally · cars · general classification after stage 5",
        "",
        "Pos  Move  No.  Crew                   Make       Time       Gap",
        "---  ----  ---  ---------------------  ------  -------  --------",
        # after stage 4 both had 4:20:00: tied, so there is no order to move from
        "  1  tie   201  Bob Bravo / Navigator  Mini    5:29:00",
        "  2  tie   200  Ann Alpha / Navigator  Toyota  5:30:00  +0:01:00",
        "",
        # the legend says only the symbol the table shows
        "Move since stage 4: tie where every crew was tied before (a time awarded to all), so "
        "there was no order to move from.",
        "",
        "Retired (1):",
        "  No.  Crew                     Why",
        "  ---  -----------------------  -------------------------------",
        "  202  Cid Charlie / Navigator  retired at stage 4: broken axle",
    ]
    assert "202  Cid Charlie / Navigator  retired at stage 4: broken axle" in out


def test_as_of_shows_the_standings_before_a_late_event(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--as-of S answers from the first S records: the GC before a late penalty changed it."""
    out = record(
        capsys,
        built,
        "penalty --category cars --entry 201 --stage 3 --amount 0:10:00 --reason 'late "
        "decision: speeding'",
    )
    penalty_seq = int(out.split()[0])
    assert penalty_seq == 24
    now = gc(capsys, built, 5)
    assert now[:2] == [(1, "200", "5:30:00", None), (2, "201", "5:39:00", "+0:09:00")]
    _, out, _ = cli(capsys, f"show {built} -c cars --as-of {penalty_seq - 1} -f json")
    before = json.loads(out)
    assert before["as_of"] == penalty_seq - 1
    assert before["after_stage"] == 5
    assert [(r["number"], r["time"]) for r in before["rows"]] == [
        ("201", "5:29:00"),
        ("200", "5:30:00"),
    ]
    _, out, _ = cli(capsys, f"stage {built} -c cars -s 3 --as-of {penalty_seq - 1} -f json")
    assert [r["number"] for r in json.loads(out)["rows"]] == ["200", "202", "201"]


def test_replay_json_is_an_array_of_snapshots(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`standings replay` gives one snapshot per stage from the first counted one."""
    snapshots = cli_json(capsys, f"replay {built} -c cars -f json")
    assert [s["after_stage"] for s in snapshots] == [2, 3, 4, 5]
    assert snapshots[-1]["rows"][0]["time_ms"] == 19_740_000
    assert set(snapshots[0]) >= SNAPSHOT_KEYS
    assert set(snapshots[0]["rows"][0]) >= {
        "position",
        "position_certain",
        "number",
        "crew",
        "make",
        "time_ms",
        "gap_ms",
        "time",
        "gap",
    }
    assert snapshots[0]["rows"][0]["crew"] == ["Ann Alpha", "Navigator"]


def test_replay_csv(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV has a header and a row per entry per stage, unclassified with their reason."""
    _code, out, _ = cli(capsys, f"replay {built} -c cars -f csv")
    lines = out.splitlines()
    assert lines[0] == (
        "after_stage,position,position_certain,number,crew,make,time,gap,time_ms,gap_ms,reason"
    )
    assert lines[1] == "2,1,true,200,Ann Alpha / Navigator,Toyota,2:00:00,,7200000,,"
    assert lines[-1] == "5,,,202,Cid Charlie / Navigator,Ford,,,,,retired at stage 4: broken axle"


def test_events_text_and_jsonl(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`standings events` lists every event with its sequence number."""
    _, out, _ = cli(capsys, f"events {built}")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["1", "rally-declared", "CLI"]
    assert len(lines) == 23  # 1 rally, 5 stages, 3 entries, 11 results, penalty, retire, cancel
    _code, out, _ = cli(capsys, f"events {built} --format jsonl")
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["seq"] for o in objects] == list(range(1, 24))
    assert objects[-1]["type"] == "stage-result-recorded"
    assert objects[-1]["time_ms"] == 4_140_000


def test_rescind_and_correct(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rescinded penalty and a corrected time change the GC as expected."""
    record(capsys, built, "rescind --penalty P1 --reason 'appeal upheld'")
    record(
        capsys,
        built,
        "correct --category cars --entry 201 --stage 5 --time 1:11:00 --reason 'timing error'",
    )
    assert gc(capsys, built, 5)[:2] == [
        (1, "200", "5:25:00", None),
        (2, "201", "5:31:00", "+0:06:00"),
    ]


def test_log_check(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`standings log check` verifies every record and says so."""
    code, out, _ = cli(capsys, f"log check {built}")
    assert code == 0
    assert out.splitlines()[1].strip().startswith("23 sound records (seq 1-23) in 2795 bytes")
    data = built.read_bytes()
    built.write_bytes(data[:40] + bytes([data[40] ^ 1]) + data[41:])
    code, out, _ = cli(capsys, f"log check {built}")
    assert code == 1
    assert "DAMAGED" in out
    assert "byte offset 12, record seq 1" in out


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "record {log} result --category cars --stage 2 --entry 200 --time 1:60:00",
            "minutes out of range",
        ),
        (
            "record {log} result --category cars --stage 2 --entry 200 --time -5:00",
            "cannot carry a sign",
        ),
        ("record {log} result --category cars --stage 2 --entry 200 --time abc", "not a time"),
        ("record {log} result --category cars --stage 2 --entry 200 --time ''", "not a time"),
        (
            "record {log} result --category cars --stage 2 --entry 999 --time 1:00:00",
            "unknown entry",
        ),
        (
            "record {log} result --category cars --stage 2 --entry 200 --time 0:00:00",
            "expected a time longer than 0:00:00",
        ),
        (
            "record {log} result --category cars --stage 2 --entry 200 --time 2:00:00",
            "already has a result for stage 2",
        ),
        (
            "record {log} penalty --category cars --entry 200 --stage 9 --amount 5:00 --reason x",
            "unscheduled stage",
        ),
        ("record {log} rescind --penalty P9 --reason x", "unknown penalty"),
        ("record {log} result --category cars --stage 4 --entry 200 --time 1:00:00", "cancelled"),
        ("record {log} entry --category quads --number 1 --crew A", "unknown category"),
        ("show {log} --category quads", "unknown category"),
        ("show {log} --category cars --after x", "not a whole number"),
        ("show {missing} --category cars", "no such log"),
        ("show {notalog} --category cars", "not a rally log"),
        ("record {log} rally --name X --year 2000 --category cars", "a file is already there"),
        ("show {log}", "the following arguments are required: --category"),
    ],
)
def test_user_errors_one_line_exit_2_log_unchanged(
    built: Path, tmp_path: Path, command: str, message: str
) -> None:
    """A user's mistake: one line on stderr, exit code 2, no traceback, not one byte written."""
    notalog = tmp_path / "notes.txt"
    notalog.write_text("just some text\n")
    before = built.read_bytes()
    args = [
        a.format(log=built, missing=tmp_path / "missing.rallylog", notalog=notalog)
        for a in shlex.split(command)
    ]
    code, out, err = run_captured(args)  # the process itself: test_refusals_as_a_process
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("standings")
    assert message in lines[0]
    assert built.read_bytes() == before


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("record {log} result --category cars --stage 2 --entry 200 --time abc", "not a time"),
        (
            "record {log} penalty --category cars --entry 200 --stage 9 --amount 5:00 --reason x",
            "unscheduled stage",
        ),
        ("show {missing} --category cars", "no such log"),
        ("show {log}", "the following arguments are required: --category"),
    ],
)
def test_refusals_as_a_process(built: Path, tmp_path: Path, command: str, message: str) -> None:
    """The installed `standings` command itself, on a usage error, a value error, a rule and
    a missing file: one line on stderr, exit code 2, no traceback, not one byte written (the
    other refusals are run in-process, through the same main())."""
    before = built.read_bytes()
    args = [
        a.format(log=built, missing=tmp_path / "missing.rallylog") for a in shlex.split(command)
    ]
    proc = subprocess.run([STANDINGS, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("standings")
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert built.read_bytes() == before


def test_shipped_log_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    """LOG may be the name of a log shipped in replays/."""
    assert cli_json(capsys, "show example-rally --category bikes -f json")["rows"][0]["crew"] == [
        "Tomás Ferreira"
    ]


def test_explain_lists_every_component(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`standings explain` shows results, penalties and awarded times that add up to the GC time."""
    data = cli_json(capsys, f"explain {built} -c cars -e 200 -f json")
    assert data["time"] == "5:30:00"
    assert [(c["kind"], c["stage"], c["time_ms"]) for c in data["components"]] == [
        ("result", 2, 7_200_000),
        ("penalty", 3, 300_000),  # within a stage, in log order: recorded before the result
        ("result", 3, 5_400_000),
        ("awarded", 4, 2_700_000),
        ("result", 5, 4_200_000),
    ]
    assert sum(c["time_ms"] for c in data["components"]) == 19_800_000
    code, out, _ = cli(capsys, f"explain {built} -c cars -e Alpha")
    assert code == 0
    assert "penalty P1 (GC only): outside assistance" in out
    assert out.rstrip().endswith("Total: 5:30:00")
    code, out, _ = cli(capsys, f"explain {built} -c cars -e 202")
    assert code == 0  # an unclassified crew: what is known of it, not an error
    assert "is not in the standings after stage 5: retired; retired at stage 4" in out


def test_negative_amount_is_a_bonus(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--amount -0:02:00` (a bonus) is read as a negative duration, not as an option."""
    out = record(
        capsys,
        built,
        "penalty --category cars --entry 200 --stage 5 --amount -0:02:00 --reason 'stopped to "
        "help an injured rider'",
    )
    assert "P2: cars:200 at stage 5 -0:02:00" in out
    rows = gc(capsys, built, 5)
    assert rows[:2] == [(1, "200", "5:28:00", None), (2, "201", "5:29:00", "+0:01:00")]


def test_the_command_table_names_the_module_of_every_command() -> None:
    """COMMAND_MODULES (which module to import for a command) lists every top-level command
    the app's modules declare, each with the module that declares it, and nothing else."""
    import importlib

    from rally_standings.app._base import COMMANDS
    from rally_standings.app._cli import COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"rally_standings.app.{module}")
    declared = {
        command.name: command.__module__.rsplit(".", 1)[1]
        for command in COMMANDS.values()
        if command.group is None
    }
    assert declared == COMMAND_MODULES


def test_a_run_imports_only_its_commands_module() -> None:
    """`standings record …` does not import the query commands, the outputs or the what-if
    code (start-up is most of what recording one result costs)."""
    code = (
        "import sys\n"
        "from rally_standings.app import main\n"
        "main(['record', 'nowhere.rallylog', 'rescind', '--penalty', 'P', '--reason', 'r'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('rally_standings')))\n"
    )
    proc = python_c(code)
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout
    assert "rally_standings.app._record" in loaded
    for absent in ("app._query", "app._files", "outputs", "engine._whatif", "replays.timing"):
        assert f"rally_standings.{absent}" not in loaded, absent


def test_version_is_the_installed_distributions_and_read_only_when_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`standings --version` prints the installed version on stdout (exit 0, and no internal
    error with stdout closed, as argparse's own action); any other command does not read
    the distribution's metadata (some 14 ms of every start-up), and one that reads no
    checkpoint does not import cattrs for the checkpoint's converter."""
    from importlib import metadata

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"standings {metadata.version('rally-standings')}\n"
    with pytest.MonkeyPatch.context() as patch:  # stdout closed (`standings --version >&-`)
        patch.setattr(sys, "stdout", None)
        with pytest.raises(SystemExit) as exit_:
            main(["--version"])
    assert exit_.value.code == 0
    code = (
        "import sys\n"
        "before = 'importlib.metadata' in sys.modules\n"
        "from rally_standings.app import main\n"
        "main(['show', 'dakar-2004', '--category', 'cars'])\n"
        "print(before, 'importlib.metadata' in sys.modules, 'cattrs' in sys.modules,"
        " file=sys.stderr)\n"
    )
    proc = python_c(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.split() == ["False", "False", "False"]


def test_an_internal_error_is_one_line_unless_its_traceback_is_asked_for(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug (any exception the project does not raise on purpose) still ends in one line on
    stderr and exit 2, saying it is a bug and how to see where; with STANDINGS_TRACEBACK set
    the exception propagates."""

    def broken(self: object, args: object) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(_query.Show, "run", broken)
    code = main(["show", "dakar-2004", "-c", "cars"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "standings: internal error: ZeroDivisionError: division by zero (a bug in standings, "
        "not in your input; STANDINGS_TRACEBACK=1 shows where)\n"
    )
    monkeypatch.setenv("STANDINGS_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        main(["show", "dakar-2004", "-c", "cars"])


def test_a_record_kind_usage_error_names_the_command_not_its_placeholders(
    tmp_path: Path,
) -> None:
    """A usage mistake in `record LOG KIND` is one line that names the command as typed
    (`standings record result`), never the placeholder `LOG`; the help it points to is the
    kind's (a newcomer saw `standings record LOG result: error`)."""
    log = tmp_path / "r.rallylog"
    shutil.copyfile(ROOT / "replays" / "example-rally.rallylog", log)
    code, out, err = run_captured(f"record {log} result -c cars --entry 201")
    assert (code, out) == (2, "")
    assert err == (
        "standings record result: error: the following arguments are required: --stage, --time "
        "(see standings record LOG result --help)\n"
    )


def test_a_format_is_matched_whatever_its_case(capsys: pytest.CaptureFixture[str]) -> None:
    """`-f CSV` is csv, as names are matched whatever their case (found by a newcomer: it
    was refused); an unknown one is refused as typed."""
    assert main(["show", "dakar-2004", "-c", "cars", "-f", "CSV"]) == 0
    assert capsys.readouterr().out.startswith("after_stage,position,")
    code, out, err = run_captured(["show", "dakar-2004", "-c", "cars", "-f", "XML"])
    assert (code, out) == (2, "")
    assert "invalid choice: 'XML' (choose from 'table', 'json', 'csv')" in err


def test_an_unknown_category_or_class_names_its_option() -> None:
    """`-c Car`, `--class Stok`: the refusal names the option that gave the value, beside the
    rally or category it was looked up in (found by a newcomer: "(m.rallylog)" alone)."""
    code, _, err = run_captured("show dakar-2004 -c Car")
    assert (code, err) == (
        2,
        "standings: error: unknown category (--category, dakar-2004): expected one of bikes, "
        "cars, trucks, received Car\n",
    )
    code, _, err = run_captured("stage dakar-2004 -c cars -s 3 --class Stok")
    assert code == 2
    assert err.startswith("standings: error: unknown class (--class, cars): ")
