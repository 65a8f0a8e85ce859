"""What a command shows, as one value: the engine's results, bundled where a command shows several.

Each view (and each engine result shown as it is: ``Standings``,
``StageResult``, ``WhatIf``) has one plain table, one rich table, one JSON
shape and, where it has rows, one CSV shape, found by its type
(``rally_standings.outputs.render``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from .. import engine
from ..events import Record
from ._text import Reference

__all__ = [
    "Classification",
    "EventLog",
    "Explanation",
    "Hypothetical",
    "LeaderComparison",
    "PenaltyList",
    "RallyOverview",
    "Replay",
    "StageRanking",
    "StandingsHistory",
    "UnclassifiedExplanation",
]


@attrs.frozen
class Classification:
    """The GC after one stage (``standings show``), with the moves since ``previous``.

    ``reference``: the crew gaps are also measured to (``--relative-to``).
    A bare ``Standings`` is shown as a ``Classification`` without either.
    """

    standings: engine.Standings
    previous: engine.Standings | None = None
    reference: Reference | None = None


@attrs.frozen
class Replay:
    """The GC after every stage (``standings replay``), each with its moves since the one before."""

    snapshots: tuple[engine.Standings, ...]
    reference: Reference | None = None


@attrs.frozen
class StageRanking:
    """One stage's ranking (``standings stage``), optionally against a reference crew."""

    result: engine.StageResult
    reference: Reference | None = None


@attrs.frozen
class Hypothetical:
    """A what-if (``standings whatif``), optionally against a reference crew."""

    whatif: engine.WhatIf
    reference: Reference | None = None


@attrs.frozen
class Explanation:
    """How one classified entry's time is made up (``standings explain``)."""

    standings: engine.Standings
    row: engine.Row


@attrs.frozen
class UnclassifiedExplanation:
    """What is known of an entry that is not classified after a stage (``standings explain``).

    ``last_classified``: the GC after the last stage before it in which the entry
    was classified, if any; ``stage_times``: its stage times up to the stage.
    """

    standings: engine.Standings
    item: engine.Unclassified
    last_classified: engine.Standings | None
    stage_times: tuple[tuple[int, engine.StageRow], ...]
    """(stage, the entry's row in that stage's ranking), for each stage it has a time."""
    combined: tuple[engine.CombinedResult, ...] = ()
    """Its combined times (one time over several stages) ending up to the stage."""

    @property
    def last_row(self) -> engine.Row | None:
        """The entry's row in ``last_classified``."""
        if self.last_classified is None:
            return None
        return self.last_classified.row_for(self.item.entry_id)


@attrs.frozen
class PenaltyList:
    """Every penalty of a log (``standings penalties``)."""

    rally: str
    listings: tuple[engine.PenaltyListing, ...]


@attrs.frozen
class StandingsHistory:
    """The events that moved the GC after one stage (``standings history``)."""

    rally: str
    category: str
    after: int
    entries: tuple[engine.HistoryEntry, ...]
    imported: bool = False
    """The log was imported from a source after the fact: its order is the import's."""
    names: Mapping[str, str] = attrs.field(factory=dict)
    """Each entry id of the category and the crew as a fan names it (``No. 201 Hiroshi
    Masuoka``), for the events' words."""


@attrs.frozen
class LeaderComparison:
    """Who would have led after each stage, beside who did (``whatif --all-stages``)."""

    comparisons: tuple[engine.StageComparison, ...]


@attrs.frozen
class EventLog:
    """The records of a log, one per line (``standings events``); read as it is written out."""

    records: Iterable[Record]


@attrs.frozen
class RallyOverview:
    """A rally at a glance (the live site's ``/api/rally``): its categories, their classes,
    each stage's state and waypoints, and what a results page shows first."""

    rally: engine.Rally
