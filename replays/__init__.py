"""The shipped rally logs, and the code that builds them.

A log is named by its file stem: ``replays/example-rally.rallylog`` is the log
``example-rally``. ``resolve_log`` turns what a user typed (a path or a name)
into a path.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..engine import Rally
from ..engine import load as load_path
from ..events import LogNotFoundError

__all__ = ["LOG_SUFFIX", "load", "resolve_log", "shipped_logs"]

LOG_SUFFIX = ".rallylog"


def _folder() -> Path:
    return Path(__file__).resolve().parent


def shipped_logs() -> dict[str, Path]:
    """Every shipped log by name, sorted."""
    return {path.stem: path for path in sorted(_folder().glob(f"*{LOG_SUFFIX}"))}


def resolve_log(log: str | os.PathLike[str]) -> Path:
    """A path to an existing file, or the shipped log of that name."""
    path = Path(log)
    if path.exists():
        return path
    shipped = shipped_logs()
    name = str(log)
    if name.endswith(LOG_SUFFIX):
        name = name[: -len(LOG_SUFFIX)]
    if name in shipped:
        return shipped[name]
    names = ", ".join(shipped) or "none"
    raise LogNotFoundError(
        "no such log",
        where=str(log),
        expected=f"a path to a log file or a shipped log ({names})",
        received=str(log),
    )


def load(log: str | os.PathLike[str]) -> Rally:
    """Read and fold a log: a path, or the name of a shipped log (``"dakar-2004"``)."""
    return load_path(resolve_log(log), source=str(log))
