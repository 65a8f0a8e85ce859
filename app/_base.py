"""What every command shares: its declaration, its options' types, loading a log, one emit.

A command is a class with a ``name``, a ``help`` line, its ``arguments`` and
``run``; declaring it registers it (``COMMANDS``), and the command line is
built from the registry. Adding a command is one class in one module.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from typing import ClassVar, NoReturn

from rally_standings.engine import Rally, Standings
from rally_standings.events import RallyError, parse_time
from rally_standings.outputs import render_chunks
from rally_standings.replays import load, resolve_log

__all__ = [
    "COMMANDS",
    "EXIT_PROBLEMS_FOUND",
    "EXIT_USER_ERROR",
    "Command",
    "Parser",
    "UsageError",
    "add_plain_option",
    "add_query_options",
    "emit",
    "load_log",
    "positive_int",
    "time_arg",
    "wait_seconds",
]

EXIT_USER_ERROR = 2
EXIT_PROBLEMS_FOUND = 1


class UsageError(RallyError):
    """A command line that does not make sense."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USER_ERROR)


class Command:
    """A subcommand of ``standings``: declared by subclassing, registered by its ``name``."""

    name: ClassVar[str]
    help: ClassVar[str]
    group: ClassVar[str | None] = None
    """The parent command (``"log"`` for ``standings log check``), if any."""

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        key = f"{cls.group} {cls.name}" if cls.group else cls.name
        if key in COMMANDS:
            raise TypeError(f"command {key!r} is declared twice")
        COMMANDS[key] = cls()

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the command's options."""

    def run(self, args: argparse.Namespace) -> int:
        """Do the work; returns the exit status."""
        raise NotImplementedError


COMMANDS: dict[str, Command] = {}
"""Every command, by name (``"log check"`` for a subcommand of a group)."""


# ---------------------------------------------------------------------- option types


def time_arg(text: str) -> int:
    """An option holding a time (``h:mm:ss``)."""
    try:
        return parse_time(text, where="H:MM:SS")
    except RallyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive_int(text: str) -> int:
    """An option holding a whole number (ASCII digits only)."""
    if not re.fullmatch(r"[0-9]+", text.strip()):
        raise argparse.ArgumentTypeError(
            f"not a whole number: expected a number such as 5, received {text!r}"
        )
    return int(text)


def wait_seconds(text: str) -> float:
    """An option holding how long to wait: a finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"not a wait time: expected a number of seconds, 0 or more, received {text!r}"
        )
    return value


def add_query_options(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    """LOG, --category, --as-of and --format, as every standings question takes them."""
    parser.add_argument("log", metavar="LOG", help="a log file, or the name of a shipped log")
    parser.add_argument("--category", "-c", required=True, help="bikes, cars, trucks, …")
    parser.add_argument(
        "--as-of",
        type=positive_int,
        metavar="SEQ",
        help="answer as known when log record SEQ had been recorded",
    )
    parser.add_argument("--format", "-f", choices=formats, default=formats[0])


def add_plain_option(parser: argparse.ArgumentParser) -> None:
    """--plain: the plain text table even on a terminal."""
    parser.add_argument(
        "--plain",
        action="store_true",
        help="plain text tables even on a terminal (as when the output is piped)",
    )


# ---------------------------------------------------------------------- loading and emitting

_LARGE_LOG_BYTES = 2 * 1024 * 1024
"""A log at least this big is read with a progress bar (when stderr is a terminal)."""


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def load_log(log: str) -> Rally:
    """A log by path or shipped name, with a progress bar for a large one on a watched stderr."""
    if _isatty(sys.stderr):
        size = resolve_log(log).stat().st_size
        if size >= _LARGE_LOG_BYTES:
            from rally_standings.outputs.progress import progress

            with progress(f"replaying {log} ({size / 1_048_576:.0f} MB)"):
                return load(log)
    return load(log)


def _rich_terminal(args: argparse.Namespace) -> bool:
    """Whether to draw with rich: table format, stdout a terminal, no --plain, TERM not dumb.

    Piped or redirected output (and ``--plain``) keeps the plain text byte for
    byte, and rich is not imported at all.
    """
    if getattr(args, "format", "table") != "table" or getattr(args, "plain", False):
        return False
    return os.environ.get("TERM") != "dumb" and _isatty(sys.stdout)


def emit(result: object, args: argparse.Namespace, *, previous: Standings | None = None) -> int:
    """Write ``result`` in the format the command line asks for; returns exit status 0.

    ``previous`` (for standings): the GC before, for the moves on a terminal.
    """
    if _rich_terminal(args):
        from rally_standings.outputs.terminal import draw

        draw(result, previous=previous)
    else:
        for chunk in render_chunks(result, getattr(args, "format", "table")):
            sys.stdout.write(chunk)
    return 0
