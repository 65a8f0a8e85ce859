"""Progress bars for long work, on stderr, only where someone is watching.

A bar is drawn only when stderr is a terminal (not when it is piped, captured
or redirected to a file), so it never lands in a program's output. rich is
imported only then: quick commands and piped runs pay nothing for it. The
bar is transient: it disappears when the work is done.

Set ``STANDINGS_NO_PROGRESS=1`` (or ``TERM=dumb``) to switch bars off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO, TypeVar

__all__ = ["Advance", "enabled", "progress"]

T = TypeVar("T")


class Advance(Protocol):
    """Moves a bar on: ``steps`` done, and optionally what is being done now."""

    def __call__(self, steps: int = 1, *, description: str | None = None) -> None: ...


def _nothing(steps: int = 1, *, description: str | None = None) -> None:
    """The advance of a bar that is not drawn."""


def enabled(stream: TextIO | None = None) -> bool:
    """Whether a bar would be drawn on ``stream`` (default: stderr)."""
    if os.environ.get("STANDINGS_NO_PROGRESS") or os.environ.get("TERM") == "dumb":
        return False
    target = sys.stderr if stream is None else stream
    try:
        return target.isatty()
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


@contextmanager
def progress(
    description: str, total: int | None = None, *, stream: TextIO | None = None
) -> Iterator[Advance]:
    """A bar for work of ``total`` steps (``None``: unknown, a pulsing bar); yields ``advance``.

    Draws nothing (and imports nothing) unless ``stream`` (default: stderr) is a terminal.
    """
    target = sys.stderr if stream is None else stream
    if not enabled(target):
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        *([MofNCompleteColumn()] if total is not None else []),
        TimeElapsedColumn(),
    ]
    console = Console(file=target, highlight=False)
    # stdout is never redirected into the bar: it may be a pipe while stderr is a terminal.
    with Progress(
        *columns,
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(steps: int = 1, *, description: str | None = None) -> None:
            if description is None:
                bar.update(task, advance=steps)
            else:
                bar.update(task, advance=steps, description=description)

        yield advance
