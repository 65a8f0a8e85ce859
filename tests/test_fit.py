"""Terminal tables fit a real terminal: nothing cut at 60, 80, 100 or 120 columns.

The command line runs in a pseudo-terminal of each width (so rich detects a
real terminal and its size, as it would in a shell). Every id, race number,
time and position the plain table holds must appear whole on the screen, and
no line may be wider than the terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from rally_standings.engine import penalties
from rally_standings.events import format_signed, format_time
from rally_standings.outputs import display_width
from rally_standings.replays import load

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (60, 80, 100, 120)

COMMANDS = [
    "penalties dakar-2001",
    "show dakar-2004 -c cars --after 9",
    "show dakar-2004 -c trucks --relative-to 417",
    "stage dakar-2004 -c cars -s 5",
    "explain dakar-2004 -c cars -e 203",
    "history dakar-2004 -c cars --after 5",
    "whatif dakar-2001 -c cars --rescind 2001-cars-schlesser-early-start",
]
_SEPARATOR = "=====8<====="

_RUNNER = """
import shlex, sys
from rally_standings.app import main
for command in sys.argv[1:]:
    print({separator!r}, flush=True)
    main(shlex.split(command))
    sys.stdout.flush()
"""


def _screen(columns: int) -> list[str]:
    """The text each command prints on a pseudo-terminal ``columns`` wide (colours removed)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUNNER.format(separator=_SEPARATOR), *COMMANDS],
        stdin=follower,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text)
    return text.split(_SEPARATOR + "\n")[1:]


@pytest.fixture(scope="module")
def screens() -> dict[int, list[str]]:
    """Each command's screen text at each width."""
    return {columns: _screen(columns) for columns in WIDTHS}


def _whole(value: str, screen: str) -> bool:
    """``value`` appears on the screen as a whole token (not cut, not glued to another)."""
    return re.search(rf"(?<![\w:#+-]){re.escape(value)}(?![\w:])", screen) is not None


@pytest.mark.parametrize("columns", WIDTHS)
def test_no_line_is_wider_than_the_terminal(screens: dict[int, list[str]], columns: int) -> None:
    """Every line of every table fits the terminal it is drawn on."""
    for command, screen in zip(COMMANDS, screens[columns], strict=True):
        widest = max(display_width(line.rstrip()) for line in screen.splitlines())
        assert widest <= columns, (command, widest)


@pytest.mark.parametrize("columns", WIDTHS)
def test_penalty_ids_numbers_and_amounts_are_whole(
    screens: dict[int, list[str]], columns: int
) -> None:
    """`penalties`: each id (what --rescind takes), race number, stage and amount is whole."""
    screen = screens[columns][0]
    listings = penalties(load("dakar-2001"))
    assert len(listings) == 4
    for item in listings:
        event = item.state.event
        assert _whole(event.adjustment_id, screen), (columns, event.adjustment_id)
        assert item.number is not None
        assert _whole(item.number, screen), (columns, item.number)
        assert _whole(format_signed(event.amount_ms), screen), columns
        assert _whole(f"#{item.state.seq}", screen), columns
    assert "2001-cars-schlesser-early-start" in screen


@pytest.mark.parametrize("columns", WIDTHS)
def test_standings_positions_numbers_and_times_are_whole(
    screens: dict[int, list[str]], columns: int
) -> None:
    """`show` and `stage`: every position, number, time and gap of the rows is whole."""
    rally = load("dakar-2004")
    show, stage = screens[columns][1], screens[columns][3]
    for row in rally.standings("cars", 9).rows:
        assert row.number is not None
        for value in (row.number, format_time(row.time_ms), row.position_text):
            assert _whole(value, show), (columns, value)
    for item in rally.standings("cars", 9).unclassified:
        if item.number:
            assert _whole(item.number, show), (columns, item.number)
    for stage_row in rally.stage_result("cars", 5).rows:
        assert stage_row.number is not None
        for value in (stage_row.number, format_time(stage_row.time_ms)):
            assert _whole(value, stage), (columns, value)


@pytest.mark.parametrize("columns", WIDTHS)
def test_explain_and_history_are_drawn_whole(screens: dict[int, list[str]], columns: int) -> None:
    """`explain` and `history` on a terminal: every record number and time is whole."""
    rally = load("dakar-2004")
    explain, history = screens[columns][4], screens[columns][5]
    row = rally.standings("cars").row_for("203")
    assert row is not None
    for part in row.components:
        assert _whole(f"#{part.seq}", explain), (columns, part.seq)
    assert "Total: 53:47:37" in explain
    assert "2004 Dakar Rally article" in explain
    assert "000_ec2c8ada3c9fcad5.txt" not in explain
    for seq in (125, 126, 127, 128, 129):
        assert _whole(f"#{seq}", history), (columns, seq)
    assert "order of the import" in " ".join(history.split())


def test_wide_terminal_draws_penalties_as_a_table(screens: dict[int, list[str]]) -> None:
    """`penalties` is one table (a header row) once its reasons get room to read (160
    columns), and stacked blocks, each reason whole on its line, below that (60 and 120
    columns: a table there would squeeze the reason to a few words a line)."""
    import io

    from rich.console import Console

    from rally_standings.outputs import PenaltyList
    from rally_standings.outputs.terminal import MAIN_MIN, renderable

    rally = load("dakar-2001")
    out = io.StringIO()
    drawn = renderable(PenaltyList(rally.name, penalties(rally)), 160)
    assert drawn is not None
    Console(file=out, width=160, color_system=None).print(drawn)
    wide = out.getvalue()
    assert re.search(r"^Id\s+Category\s+No\.", wide, re.M)
    header = next(line for line in wide.splitlines() if line.startswith("Id "))
    assert len(header) - header.index("Reason") >= MAIN_MIN
    for columns in (60, 120):
        narrow = screens[columns][0]
        assert re.search(r"^\s+Id 2001-cars-masuoka-s10-gc", narrow, re.M)
    assert "started stage 19 earlier than scheduled (with team-mate Servia), " in screens[120][0]
