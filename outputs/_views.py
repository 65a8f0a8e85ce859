"""What a command shows, as one value: the engine's results, bundled where a command shows several.

Each view (and each engine result shown as it is: ``Standings``,
``StageResult``, ``WhatIf``) has one plain table, one rich table, one JSON
shape and, where it has rows, one CSV shape, found by its type
(``rally_standings.outputs.render``).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from rally_standings.engine import (
    HistoryEntry,
    PenaltyListing,
    Row,
    StageComparison,
    Standings,
)
from rally_standings.events import Record

__all__ = [
    "EventLog",
    "Explanation",
    "LeaderComparison",
    "PenaltyList",
    "Replay",
    "StandingsHistory",
]


@attrs.frozen
class Replay:
    """The GC after every stage (``standings replay``)."""

    snapshots: tuple[Standings, ...]


@attrs.frozen
class Explanation:
    """How one classified entry's time is made up (``standings explain``)."""

    standings: Standings
    row: Row


@attrs.frozen
class PenaltyList:
    """Every penalty of a log (``standings penalties``)."""

    rally: str
    listings: tuple[PenaltyListing, ...]


@attrs.frozen
class StandingsHistory:
    """The events that moved the GC after one stage (``standings history``)."""

    rally: str
    category: str
    after: int
    entries: tuple[HistoryEntry, ...]


@attrs.frozen
class LeaderComparison:
    """Who would have led after each stage, beside who did (``whatif --all-stages``)."""

    comparisons: tuple[StageComparison, ...]


@attrs.frozen
class EventLog:
    """The records of a log, one per line (``standings events``); read as it is written out."""

    records: Iterable[Record]
