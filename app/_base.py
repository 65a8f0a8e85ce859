"""What every command shares: its declaration, its options' types, loading a log, one emit.

A command is a class with a ``name``, a ``help`` line, its ``arguments`` and
``run``; declaring it registers it (``COMMANDS``), and the command line is
built from the registry. Adding a command is one class in one module.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar, NoReturn

from ..engine import Rally, Standings
from ..events import (
    OutputExistsError,
    RallyError,
    building,
    check_new_file,
    file_kind,
    one_line,
    parse_duration,
    parse_time,
    write_new_file,
)
from ..replays import load, resolve_log

__all__ = [
    "COMMANDS",
    "EXIT_PROBLEMS_FOUND",
    "EXIT_USER_ERROR",
    "Command",
    "Parser",
    "UsageError",
    "add_force_option",
    "add_output_option",
    "add_plain_option",
    "add_query_options",
    "any_case",
    "check_output",
    "duration_arg",
    "emit",
    "existing_folder",
    "input_file",
    "load_log",
    "output_file",
    "output_path",
    "positive_int",
    "signed_int",
    "suggesting_force",
    "time_arg",
    "wait_seconds",
    "whole_number",
    "write_output",
]

EXIT_USER_ERROR = 2
EXIT_PROBLEMS_FOUND = 1


class UsageError(RallyError):
    """A command line that does not make sense."""


def conflicting(where: str, expected: str) -> UsageError:
    """Two options given together that exclude each other (``expected`` says which to keep)."""
    return UsageError("conflicting options", where=where, expected=expected, received="both")


def no_hypothesis(where: str) -> UsageError:
    """A what-if asked for without a hypothetical event to try."""
    return UsageError(
        "no hypothesis given",
        where=where,
        expected="at least one --penalty, --rescind or --result",
        received="none",
    )


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        # the command's words without the placeholders of its usage (``record LOG result``)
        name = " ".join(word for word in self.prog.split() if not word.isupper())
        sys.stderr.write(f"{name}: error: {one_line(message)} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USER_ERROR)


class Command:
    """A subcommand of ``standings``: declared by subclassing, registered by its ``name``."""

    name: ClassVar[str]
    help: ClassVar[str]
    group: ClassVar[str | None] = None
    """The parent command (``"log"`` for ``standings log check``), if any."""
    wanted: ClassVar[set[str] | None] = None
    """The words of the command line being parsed (``None``: build every option)."""

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
#
# An option's value is checked where it is read, against bounds the log can store, so that
# a mistake is one line naming the option (argparse prefixes "argument --number: ") and
# nothing is opened, let alone written, before every option checks out.

_MAX_DIGITS = 18
"""No whole-number option takes more digits than this (the log's integers are 64-bit)."""


def _ascii_digits(text: str, expected: str) -> int:
    """``text`` (surrounding spaces allowed) as an integer; only ASCII digits, no sign."""
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()):
        raise argparse.ArgumentTypeError(
            f"not a whole number: expected {expected}, received {text!r}"
        )
    if len(stripped.lstrip("0")) > _MAX_DIGITS:
        raise argparse.ArgumentTypeError(
            f"number too large: expected {expected}, received {text!r}"
        )
    return int(stripped.lstrip("0") or "0")


def whole_number(minimum: int, maximum: int, *, what: str = "") -> Callable[[str], int]:
    """An option holding a whole number from ``minimum`` to ``maximum`` (ASCII digits only);
    ``what`` names it in the message (``a stage number``)."""
    expected = f"{what + ' ' if what else 'a whole number '}from {minimum} to {maximum}"

    def read(text: str) -> int:
        value = _ascii_digits(text, expected)
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"out of range: expected {expected}, received {text!r}"
            )
        return value

    read.__name__ = "whole_number"
    return read


def positive_int(text: str) -> int:
    """An option holding a whole number, 0 or more (ASCII digits only, at most 18)."""
    return _ascii_digits(text, "a number such as 5")


def signed_int(text: str) -> int:
    """An option holding a whole number that may be negative (ASCII digits, at most 18)."""
    stripped = text.strip()
    sign = -1 if stripped.startswith("-") else 1
    digits = stripped[1:] if stripped.startswith(("-", "+")) else stripped
    return sign * _ascii_digits(digits, "a whole number such as 7 or -7")


def time_arg(text: str) -> int:
    """An option holding a time (``h:mm:ss``, at most 9999:59:59)."""
    try:
        return parse_time(text, where="H:MM:SS")
    except RallyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def duration_arg(text: str) -> int:
    """An option holding a signed duration other than zero (``+0:05:00``, ``-1:00``): a
    penalty's or a bonus's amount."""
    try:
        value = parse_duration(text, where="[+|-]H:MM:SS")
    except RallyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"an amount of zero changes nothing: expected a time to add such as +0:05:00 (or "
            f"take away: -0:05:00), received {text!r}"
        )
    return value


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


def input_file(text: str) -> str:
    """An option naming a file to read: if something is there, it must be a regular file (a
    FIFO or a device would hang or never end); a missing file is left to the reader to name."""
    try:
        mode = os.stat(text).st_mode
    except OSError:
        return text
    if not stat.S_ISREG(mode):
        raise argparse.ArgumentTypeError(
            f"not a regular file: expected a text file, received {file_kind(mode)} ({text!r})"
        )
    return text


def output_path(text: str) -> str:
    """An option naming a file to write: not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"no file name: expected the path of a file to write, received {text!r}"
        )
    return text


def add_output_option(
    parser: argparse.ArgumentParser, metavar: str, help: str | None = None
) -> None:
    """-o/--output: the file the command writes (required, not empty)."""
    parser.add_argument(
        "-o", "--output", required=True, metavar=metavar, type=output_path, help=help
    )


def add_force_option(
    parser: argparse.ArgumentParser,
    help: str = "replace the output file if it exists (never while another process writes it)",
) -> None:
    """--force: replace an existing output (without it, an existing one is refused)."""
    parser.add_argument("--force", action="store_true", help=help)


SHIPPED_OR_FILE = "a log file, or the name of a shipped log"


def add_log_argument(parser: argparse.ArgumentParser, help: str = SHIPPED_OR_FILE) -> None:
    """LOG: the log a command reads."""
    parser.add_argument("log", metavar="LOG", help=help)


def add_format_option(
    parser: argparse.ArgumentParser, formats: Sequence[str], help: str | None = None
) -> None:
    """-f/--format: one of ``formats``, the first by default."""
    parser.add_argument(
        "--format",
        "-f",
        type=any_case(formats),
        choices=list(formats),
        default=formats[0],
        help=help,
    )


def any_case(choices: Sequence[str]) -> Callable[[str], str]:
    """An option's value matched to ``choices`` whatever its case (``CSV`` is ``csv``);
    anything else as given, for argparse to refuse by its choices."""

    def read(text: str) -> str:
        lowered = text.lower()
        return lowered if lowered in choices else text

    return read


# ---------------------------------------------------------------------- writing outputs
#
# One rule for every command that writes a file: an existing file is refused unless --force
# is given; the file is written under a temporary name and renamed into place, so it appears
# whole or not at all and nothing is left behind on failure; a file another process is
# writing (a log held by its recorder) is never replaced; a directory, FIFO or device is
# refused even with --force.


def existing_folder(text: str, purpose: str) -> bool:
    """Whether the folder ``text`` a command writes into (``purpose``: "publish to") is there
    already; a file there is refused, and so is a new folder whose parent is missing."""
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            "not a folder",
            where=text,
            expected=f"a folder to {purpose} (or a new name)",
            received="a file",
        )
    if folder.exists():
        return True
    if not folder.parent.is_dir():
        raise UsageError(
            "no such directory", where=str(folder.parent), expected="an existing parent folder"
        )
    return False


def _suggest_force(error: OutputExistsError) -> UsageError:
    return UsageError(
        error.what,
        where=error.where,
        expected="a path with no file, or --force to replace it",
        received=error.received,
    )


def check_output(path: str, *, force: bool, reads: Sequence[str | Path] = ()) -> None:
    """Refuse an output file before any work is done (``write_output`` checks again): an
    existing file without ``force``, and, even with it, a file the command reads
    (``reads``: the log, an article, an editorial file)."""
    for source in reads:
        if _same_file(path, source):
            raise UsageError(
                "the output would replace a file this command reads",
                where=path,
                expected="another file to write (--force never writes over an input)",
                received=f"the same file as {source}",
            )
    try:
        check_new_file(path, replace=force)
    except OutputExistsError as error:
        raise _suggest_force(error) from None


def _same_file(one: str | Path, other: str | Path) -> bool:
    """Whether two paths name one file (by identity where both exist, else by path)."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return os.path.abspath(one) == os.path.abspath(other)


@contextlib.contextmanager
def suggesting_force() -> Iterator[None]:
    """Word a refusal to write over an existing file for the command line (``--force``)."""
    try:
        yield
    except OutputExistsError as error:
        raise _suggest_force(error) from None


@contextlib.contextmanager
def output_file(path: str, *, force: bool) -> Iterator[Path]:
    """A temporary path to build an output at; it becomes ``path`` when the block succeeds."""
    with suggesting_force(), building(path, replace=force) as temporary:
        yield temporary


def write_output(path: str, data: bytes, *, force: bool, reads: Sequence[str | Path] = ()) -> None:
    """An output file, written whole or not at all; says what it wrote."""
    check_output(path, force=force, reads=reads)
    with suggesting_force():
        write_new_file(path, data, replace=force)
    sys.stdout.write(f"wrote {path}: {len(data) // 1024} KiB\n")


def add_query_options(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    """LOG, --category, --as-of and --format, as every standings question takes them."""
    add_log_argument(parser)
    parser.add_argument("--category", "-c", required=True, help="bikes, cars, trucks, …")
    parser.add_argument(
        "--as-of",
        type=positive_int,
        metavar="SEQ",
        help="answer as known when log record SEQ had been recorded",
    )
    add_format_option(parser, formats)


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


def load_log(log: str, args: argparse.Namespace | None = None) -> Rally:
    """A log by path or shipped name, with a progress bar for a large one on a watched stderr.

    With ``args``: its ``--category`` and ``--class`` are then spelled as the log spells them
    (case and spaces do not count: ``-c Cars --class ultimate`` asks of cars, Ultimate)."""
    rally = _load(log)
    if args is not None:
        named(args, rally)
    return rally


def named(args: argparse.Namespace, rally: Rally) -> None:
    """``args.category`` (one or a list) and ``args.entry_class`` as ``rally`` spells them."""
    view = rally.view
    category = getattr(args, "category", None)
    if isinstance(category, str):
        args.category = view.category_named(category)
    elif isinstance(category, list):
        args.category = [view.category_named(item) for item in category]
    entry_class = getattr(args, "entry_class", None)
    if isinstance(entry_class, str):
        categories = args.category if isinstance(args.category, list) else [args.category]
        for item in categories or rally.categories:
            spelled = view.class_named(item, entry_class)
            if spelled != entry_class:
                args.entry_class = spelled
                break


def _load(log: str) -> Rally:
    if _isatty(sys.stderr):
        size = resolve_log(log).stat().st_size
        if size >= _LARGE_LOG_BYTES:
            from ..outputs.progress import progress

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
        from ..outputs.terminal import draw

        draw(result, previous=previous)
    else:
        from ..outputs import render_chunks  # not at start-up: record needs none

        for chunk in render_chunks(result, getattr(args, "format", "table")):
            sys.stdout.write(chunk)
    return 0
