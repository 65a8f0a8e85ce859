"""The ``standings`` command line: built from the declared commands, run with one error rule.

A user's mistake (a bad time, an unknown entry, a missing file, a refused
event) prints one line on stderr and exits with status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import sys
from collections.abc import Sequence

from .. import version
from ..events import QueryError, RallyError, one_line
from ._base import COMMANDS, EXIT_USER_ERROR, Command, Parser

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

COMMAND_MODULES = {
    "import": "_files",
    "verify": "_files",
    "synth": "_files",
    "report": "_files",
    "log": "_files",
    "show": "_query",
    "replay": "_query",
    "stage": "_query",
    "explain": "_query",
    "whatif": "_query",
    "penalties": "_query",
    "history": "_query",
    "events": "_query",
    "record": "_record",
    "serve": "_serve",
    "publish": "_publish",
    "export": "_export",
}
"""Which module of ``rally_standings.app`` declares each command, in the order ``--help``
lists them: a run imports only its command's module (tests/test_cli.py checks the table
against the commands the modules declare)."""


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked (reading the
    distribution's metadata costs every other command some 14 ms otherwise)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        with contextlib.suppress(AttributeError, OSError):  # no stdout: as argparse's own
            sys.stdout.write(f"{parser.prog} {version()}\n")
        parser.exit()


def _declare(argv: Sequence[str] | None) -> None:
    """Import the modules that declare the commands ``argv`` names (all, if it names none)."""
    named = {COMMAND_MODULES[word] for word in argv or () if word in COMMAND_MODULES}
    for module in sorted(named) if named else dict.fromkeys(COMMAND_MODULES.values()):
        importlib.import_module(f".{module}", __package__)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every declared command (``COMMANDS``), groups as nested subcommands.

    With ``argv``, only the commands (and record kinds) it names get a parser and
    their options: a run does not pay for building the others. Where it names
    none (``standings --help``, a misspelt command), every command is listed
    with its help line, which is all that ``--help`` shows of them.
    """
    _declare(argv)
    wanted = None if argv is None else set(argv)
    Command.wanted = wanted
    parser = Parser(
        prog="standings",
        description=(
            "Replay a rally's event log into the general classification after every stage."
        ),
    )
    parser.add_argument("--version", action=_Version, help="print the version")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    groups: dict[str, argparse._SubParsersAction[Parser]] = {}
    tops = [command for command in COMMANDS.values() if command.group is None]
    named = [command for command in tops if wanted is not None and command.name in wanted]
    for command in named or tops:  # a run names its command: no parser for the others
        sub = commands.add_parser(command.name, help=command.help)
        members = [c for c in COMMANDS.values() if c.group == command.name]
        if members:
            groups[command.name] = sub.add_subparsers(
                dest=f"{command.name}_command",
                required=True,
                metavar="ACTION",
                parser_class=Parser,
            )
            chosen = [m for m in members if wanted is not None and m.name in wanted]
            for member in chosen or members:
                leaf = groups[command.name].add_parser(member.name, help=member.help)
                if wanted is None or member.name in wanted:
                    member.arguments(leaf)
                leaf.set_defaults(handler=member.run)
        else:
            if wanted is None or command.name in wanted:
                command.arguments(sub)
            sub.set_defaults(handler=command.run)
    return parser


_SIGNED_VALUE_OPTIONS = ("--amount", "--time", "--awarded-time")
_LOOKS_LIKE_CLOCK = re.compile(r"-[0-9:.]+")


def _glue_signed_values(argv: Sequence[str]) -> list[str]:
    """Let ``--amount -0:05:00`` mean a negative amount (argparse would read an option).

    The value is glued to its option (``--amount=-0:05:00``) when it looks
    like a clock; anything else is left for argparse to judge.
    """
    glued: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if (
            token in _SIGNED_VALUE_OPTIONS
            and following is not None
            and _LOOKS_LIKE_CLOCK.fullmatch(following)
        ):
            glued.append(f"{token}={following}")
            index += 2
            continue
        glued.append(token)
        index += 1
    return glued


_OPTION_OF = {"unknown category": "--category", "unknown class": "--class"}
"""The option that gave the value a query refused, by the refusal's *what*."""


def _named_option(error: RallyError) -> RallyError:
    """A query's refusal of a category or a class, said of the option that gave it."""
    option = _OPTION_OF.get(error.what)
    if not isinstance(error, QueryError) or option is None:
        return error
    where = option if error.where is None else f"{option}, {error.where}"
    return QueryError(error.what, where=where, expected=error.expected, received=error.received)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    words = _glue_signed_values(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    try:
        args = parser.parse_args(words)
        status: int = args.handler(args)
        return status
    except RallyError as error:
        sys.stderr.write(f"standings: error: {_named_option(error)}\n")
        return EXIT_USER_ERROR
    except BrokenPipeError:  # `standings events … | head`
        sys.stderr.close()
        return 0
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        sys.stderr.write(f"standings: error: {one_line(str(error.strerror or error) + where)}\n")
        return EXIT_USER_ERROR
    except UnicodeDecodeError as error:  # a text input (an article, an editorial file)
        byte = error.object[error.start : error.start + 1].hex()
        sys.stderr.write(
            "standings: error: a file is not UTF-8 text: expected a UTF-8 text file, "
            f"received byte 0x{byte} at offset {error.start} ({error.reason})\n"
        )
        return EXIT_USER_ERROR
    except Exception as error:  # a bug: one line still, the traceback on request
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        sys.stderr.write(
            f"standings: internal error: {one_line(f'{type(error).__name__}: {error}')} "
            f"(a bug in standings, not in your input; {TRACEBACK_VARIABLE}=1 shows where)\n"
        )
        return EXIT_USER_ERROR


TRACEBACK_VARIABLE = "STANDINGS_TRACEBACK"
"""Set (to anything) in the environment, an internal error shows its traceback."""


def _entry_point() -> None:  # pragma: no cover - thin wrapper
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    _entry_point()
