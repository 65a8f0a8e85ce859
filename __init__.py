"""rally-standings: an event-sourced standings engine for rally raids.

The checkout is the package: its folders are the layers, low to high, each
importing only the layers below it (``LAYERS``; ``tests/test_layers.py`` holds
every import to that order):

* ``events``: the vocabulary of events and the append-only log;
* ``engine``: the fold of a log into rally state, standings, what-if and history;
* ``outputs``: text, terminal tables, JSON and CSV, the HTML report;
* ``replays``: data sources: article and timing-sheet importers, the shipped logs;
* ``app``: the ``standings`` command line and the live server.
"""

from __future__ import annotations

LAYERS = ("events", "engine", "outputs", "replays", "app")
"""The layers, low to high: the one list the package's shape is checked against."""


def version() -> str:
    """The installed distribution's version (``standings --version``)."""
    from importlib import metadata

    try:
        return metadata.version("rally-standings")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from an uninstalled tree
        return "unknown (not installed)"


__all__ = ["LAYERS", "version"]
