"""Regenerate the pictures under docs/: the report at desktop and phone width, terminal tables.

    .venv/bin/python docs/screenshots.py

Needs headless Chromium (Debian: ``apt-get install chromium``) for the report.
The report pictures are Chromium ``--screenshot`` PNGs (the phone one through a
400-px frame, since a headless window is at least 500 px wide), reduced to a
small palette. The terminal pictures are the real output of the command line
in an 80-column pseudo-terminal, its colours kept, drawn as SVG by rich.
"""

from __future__ import annotations

import fcntl
import html
import os
import pty
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
COMMANDS = [
    "show dakar-2004 -c cars --after 9",
    "penalties dakar-2001",
    "history dakar-2004 -c cars --after 5",
]


def _chromium(*args: str, profile: Path) -> None:
    binary = next(
        (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
    )
    if binary is None:
        raise SystemExit("no Chromium on PATH (Debian: apt-get install chromium)")
    subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={profile}", *args],
        capture_output=True, check=False, timeout=180,
    )  # fmt: skip


def _small_png(path: Path, *, width: int | None = None) -> None:
    from PIL import Image

    with Image.open(path) as image:
        picture = image.convert("RGB")
        if width is not None:
            picture = picture.crop((0, 0, width, picture.height))
        picture.quantize(colors=64).save(path, optimize=True)


def report_pictures(work: Path) -> None:
    """docs/report-desktop.png (1366 px) and docs/report-phone.png (400 px)."""
    page = DOCS / "dakar-2004.html"
    desktop = DOCS / "report-desktop.png"
    _chromium(
        "--window-size=1366,1500", f"--screenshot={desktop}", page.as_uri(), profile=work / "a"
    )
    _small_png(desktop)
    frame = work / "phone.html"
    frame.write_text(
        '<!DOCTYPE html><html><body style="margin:0"><iframe style="width:400px;height:2000px;'
        f'border:0" srcdoc="{html.escape(page.read_text(encoding="utf-8"))}"></iframe>'
        "</body></html>",
        encoding="utf-8",
    )
    phone = DOCS / "report-phone.png"
    _chromium("--window-size=500,2000", f"--screenshot={phone}", frame.as_uri(), profile=work / "b")
    _small_png(phone, width=400)


def _pty_output(argv: list[str], columns: int) -> str:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rally_standings.app", *argv],
        stdin=follower, stdout=follower, stderr=subprocess.DEVNULL, env=env, cwd=ROOT,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    proc.wait(timeout=120)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def terminal_pictures(columns: int = 80) -> None:
    """docs/terminal-80.svg: the commands above as an 80-column terminal shows them."""
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=columns, file=open(os.devnull, "w"))  # noqa: SIM115
    for command in COMMANDS:
        console.print(Text(f"$ standings {command}", style="bold green"))
        console.print(Text.from_ansi(_pty_output(command.split(), columns)))
    console.save_svg(str(DOCS / f"terminal-{columns}.svg"), title=f"standings, {columns} columns")


def main() -> None:
    """Write every picture."""
    with tempfile.TemporaryDirectory() as folder:
        report_pictures(Path(folder))
    terminal_pictures()
    for name in ("report-desktop.png", "report-phone.png", "terminal-80.svg"):
        print(f"wrote docs/{name}: {(DOCS / name).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
