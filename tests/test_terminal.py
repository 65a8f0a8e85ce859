"""Terminal output: rich tables on a terminal, the exact plain text otherwise; progress bars."""

from __future__ import annotations

import io
import os
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from rally_standings import events
from rally_standings.app._cli import main
from rally_standings.engine import Recorder, create_log, penalties
from rally_standings.outputs import Classification, PenaltyList, plain
from rally_standings.outputs.progress import enabled, progress
from rally_standings.replays import load
from tests.helpers import python_c

ESC = "\x1b["
BOLD = re.compile(r"\x1b\[(?:[0-9;]*;)?1(?:;[0-9;]*)?m")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?3[0-7](?:;[0-9;]*)?m")


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _strip(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Run the command line with standard output a 160-column colour terminal; its text."""
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)

    def run(*argv: str) -> str:
        screen = FakeTerminal()
        real = sys.stdout
        sys.stdout = screen  # pytest's capture puts its own stream back between phases
        try:
            assert main(list(argv)) == 0
        finally:
            sys.stdout = real
        return screen.getvalue()

    return run


def _line(text: str, needle: str) -> str:
    return next(line for line in text.splitlines() if needle in _strip(line))


def test_piped_output_is_the_plain_table(capsys: pytest.CaptureFixture[str]) -> None:
    """When stdout is not a terminal, `show` prints exactly the plain table, byte for byte."""
    assert main(shlex.split("show dakar-2004 -c cars --after 9")) == 0
    rally = load("dakar-2004")
    expected = plain(Classification(rally.standings("cars", 9), rally.standings("cars", 8)))
    assert capsys.readouterr().out == expected
    assert "Move" in expected.splitlines()[2]  # the moves are in the piped table too


def test_piped_run_imports_neither_rich_nor_matplotlib() -> None:
    """A piped `show` never imports rich or matplotlib (the command must start fast)."""
    code = (
        "import sys, io\n"
        "from rally_standings.app._cli import main\n"
        "out = io.StringIO(); real = sys.stdout; sys.stdout = out\n"
        "status = main(['show', 'dakar-2004', '-c', 'cars'])\n"
        "sys.stdout = real\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'matplotlib'))\n"
        "print(status, heavy, out.getvalue().startswith('2004 Dakar Rally'))\n"
    )
    proc = python_c(code)
    assert proc.stdout.strip() == "0 [] True", proc.stderr


def test_terminal_show_is_a_rich_table(terminal: Callable[..., str]) -> None:
    """On a terminal `show` draws a table: leader bold, ▲ in green, moves since the last stage."""
    text = terminal("show", "dakar-2004", "-c", "cars", "--after", "9")
    plain = _strip(text)
    assert ESC in text
    assert "2004 Dakar Rally · cars · general classification after stage 9" in plain
    leader = _line(text, "Stéphane Peterhansel")
    assert BOLD.search(leader)
    assert "28:16:20" in leader
    masuoka = _line(text, "Hiroshi Masuoka")
    assert re.search(r"\x1b\[1;32m\s*▲1", masuoka), masuoka
    assert not BOLD.search(masuoka.split("▲1")[1])
    assert "since stage 8" in plain
    assert "Time not in the source (13): the source prints only the top 3" in plain
    assert "Not classified" not in plain
    header = _line(text, "Crew")
    assert [h for h in _strip(header).split() if h] == [
        "Pos",
        "Move",
        "No.",
        "Crew",
        "Make",
        "Time",
        "Gap",
    ]


def test_terminal_marks_uncertain_positions_dim(terminal: Callable[..., str]) -> None:
    """An uncertain position is shown as ≥N, dimmed, with the legend saying what it means."""
    text = terminal("show", "dakar-2004", "-c", "cars", "--after", "3")
    biasion = _line(text, "Miki Biasion")
    assert re.search(r"\x1b\[2;3m\s*≥4", biasion), biasion
    assert (
        "≥N: the source prints only the top 3, so a place shown as ≥N is N-th or lower."
        in _strip(text)
    )


def test_no_color_keeps_the_table_without_colours(
    terminal: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: no colour codes, but still the table, the bold leader and the ▲ marks."""
    monkeypatch.setenv("NO_COLOR", "1")
    text = terminal("show", "dakar-2004", "-c", "cars", "--after", "9")
    assert not COLOUR.search(text)
    assert BOLD.search(_line(text, "Stéphane Peterhansel"))
    assert "▲1" in _line(text, "Hiroshi Masuoka")


def test_plain_flag_forces_the_plain_table(terminal: Callable[..., str]) -> None:
    """`--plain` on a terminal prints the same bytes as a pipe would get."""
    text = terminal("show", "dakar-2004", "-c", "cars", "--after", "9", "--plain")
    rally = load("dakar-2004")
    assert text == plain(Classification(rally.standings("cars", 9), rally.standings("cars", 8)))


def test_json_on_a_terminal_stays_json(terminal: Callable[..., str]) -> None:
    """Only tables are drawn with rich: `-f json` on a terminal is the same JSON as ever."""
    text = terminal("show", "dakar-2004", "-c", "cars", "-f", "json")
    assert text.startswith('{\n  "rally": "2004 Dakar Rally"')
    assert ESC not in text


def test_terminal_replay_moves_between_stages(terminal: Callable[..., str]) -> None:
    """`replay` on a terminal: one table per stage, the first without a move column."""
    plain = _strip(terminal("replay", "dakar-2004", "-c", "cars"))
    assert plain.count("general classification after stage") == 16
    first = plain.split("general classification after stage 3")[0]
    assert "Move" not in first
    assert "since stage 16" in plain


def test_terminal_plain(terminal: Callable[..., str]) -> None:
    """`stage` on a terminal: the stage ranking with the winner in bold."""
    text = terminal("stage", "example-rally", "-c", "cars", "-s", "5")
    result = load("example-rally").stage_result("cars", 5)
    winner = _line(text, result.rows[0].crew[0].name)
    assert BOLD.search(winner)
    plain_rows = [line.split()[0] for line in plain(result).splitlines()[4:] if line.strip()]
    shown = [_strip(line).split()[0] for line in text.splitlines()[3:] if _strip(line).strip()]
    assert shown[: len(plain_rows)] == plain_rows


def test_terminal_penalties_strike_rescinded(terminal: Callable[..., str]) -> None:
    """`penalties` on a terminal: a rescinded penalty's amount is struck through."""
    text = terminal("penalties", "example-rally")
    rescinded = _line(text, "P3 ")
    assert re.search(r"\x1b\[2;9m\+0:10:00", rescinded), rescinded
    assert "rescinded (record #65)" in _strip(text)
    assert plain(PenaltyList("x", penalties(load("example-rally"))))  # the plain one exists too


def test_terminal_whatif_headline_and_moves(terminal: Callable[..., str]) -> None:
    """`whatif` on a terminal: the lead-change headline in red, Masuoka first with ▲1."""
    argv = [
        "whatif",
        "dakar-2004",
        "-c",
        "cars",
        "--rescind",
        "2004-cars-peterhansel-assistance",
        "--penalty",
        "Peterhansel@5=+1:00:00",
    ]
    text = terminal(*argv)
    headline = _line(text, "The lead changes after stage 17")
    assert "\x1b[1;31m" in headline
    rows = [_strip(line).split() for line in text.splitlines() if "Masuoka /" in line]
    assert rows[0][:4] == ["1", "2", "▲1", "201"]


def test_progress_draws_nothing_off_a_terminal() -> None:
    """Off a terminal the bar is a no-op: nothing written to the stream."""
    stream = io.StringIO()
    with progress("work", 3, stream=stream) as advance:
        for _ in range(3):
            advance()
    assert stream.getvalue() == ""


def test_progress_draws_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal stream the bar is drawn there (and only there)."""
    monkeypatch.delenv("STANDINGS_NO_PROGRESS", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    stream = FakeTerminal()
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    with progress("drawing charts", 2, stream=stream) as advance:
        advance(description="cars")
        advance()
    drawn = _strip(stream.getvalue())
    assert "drawing charts" in drawn
    assert "0/2" in drawn
    assert "cars" in drawn
    assert "2/2" in drawn
    assert stream.getvalue().endswith("\x1b[2K")  # transient: erased when done
    assert out.getvalue() == ""
    monkeypatch.setenv("STANDINGS_NO_PROGRESS", "1")
    assert not enabled(stream)


def test_report_progress_stays_off_piped_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With stderr captured (not a terminal), generating a report prints no progress at all."""
    assert main(shlex.split(f"report example-rally -o {tmp_path / 'r.html'}")) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("wrote ")


def test_report_progress_on_a_terminal_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With stderr a terminal and stdout piped, the bar goes to stderr, stdout gets one line."""
    monkeypatch.delenv("STANDINGS_NO_PROGRESS", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    err, out = FakeTerminal(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    target = tmp_path / "r.html"
    assert main(shlex.split(f"report example-rally -o {target}")) == 0
    assert out.getvalue() == f"wrote {target}: {os.path.getsize(target) // 1024} KiB\n"
    assert "drawing the report of example-rally" in _strip(err.getvalue())


def test_a_rally_with_classes_stays_a_table_at_80_columns(
    terminal: Callable[..., str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """At 80 columns a rally with classes is still a table, one line per crew and its make
    under it (the class and the place in it share a column: "Ultimate 2"), not a block of
    eight lines per crew (what a newcomer saw in an 80-column terminal)."""
    log = tmp_path / "desert.rallylog"
    create_log(
        log,
        events.RallyDeclared(rally_id="d", name="Desert Rally", year=2026, categories=("cars",)),
    )
    crews = [
        ("Nasser Al-Qadi", "Édouard Baumel", "Toyota", "Ultimate"),
        ("Carlos Sainz Junior", "Lucas Cruz Senra", "Ford", "Ultimate"),
        ("Mia Roux", "Léa Pons", "Mini", "Stock"),
    ]
    special = (events.StageRule("cars", events.StageKind.SPECIAL),)
    with Recorder(log) as recorder:
        recorder.append_many([events.StageScheduled(stage=n, rules=special) for n in (1, 2)])
        for offset, (driver, co, make, entry_class) in enumerate(crews):
            recorder.append(
                events.EntryRegistered(
                    entry_id=f"cars:{201 + offset}",
                    category="cars",
                    number=str(201 + offset),
                    crew=(events.Person(driver, "FRA"), events.Person(co, "ESP")),
                    make=make,
                    entry_class=entry_class,
                )
            )
        for stage in (1, 2):
            recorder.append_many(
                [
                    events.StageResultRecorded(
                        entry_id=f"cars:{201 + offset}",
                        stage=stage,
                        time_ms=(3 * 3600 + 600 * offset + 60 * stage) * 1000 + 300,
                    )
                    for offset in range(3)
                ]
            )
    monkeypatch.setenv("COLUMNS", "80")
    lines = [
        _strip(line).rstrip() for line in terminal("show", str(log), "-c", "cars").splitlines()
    ]
    assert any(
        line.split() == ["Pos", "Move", "No.", "Crew,", "make", "Class,", "pos", "Time", "Gap"]
        for line in lines
    ), lines
    row = next(line for line in lines if line.lstrip().startswith("2 "))
    assert row.split()[-3:] == ["2", "6:23:00.6", "+0:20:00"], row  # 3:11:00.3 + 3:12:00.3
    assert "Ultimate 2" in row
    assert all(len(line) <= 80 for line in lines)


def test_standings_after_a_cancelled_stage_say_it_was_cancelled(
    terminal: Callable[..., str],
) -> None:
    """Cold user, finding 9: the 2004 cars' stage 10 was cancelled with no time awarded; the
    standings after it say so, in the plain table and the terminal's, instead of reading as
    a stage run in which nobody moved; the standings after stage 9 say nothing of it."""
    rally = load("dakar-2004")
    said = "Stage 10 was cancelled (Stages cancelled due to security concerns): it adds no time."
    after_10 = Classification(rally.standings("cars", 10), rally.standings("cars", 9))
    assert said in plain(after_10).splitlines()
    shown = _strip(terminal("show", "dakar-2004", "-c", "cars", "--after", "10"))
    assert said in " ".join(shown.split())
    assert "cancelled" not in plain(Classification(rally.standings("cars", 9)))
