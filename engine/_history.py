"""What happened in a log: its penalties, and how the standings after a stage changed.

``history`` walks the log once, keeping the GC after one stage up to date as each event
arrives (a ``Running`` classification, as the rally's own caches keep theirs), and
records each event that moved it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import attrs

from ..events import Frame, Person, Record
from ._fold import Effect, Fold, PenaltyState
from ._rally import Rally
from ._standings import Ranking, Running, Standings, gc_stages, positions
from ._view import View

__all__ = ["Change", "HistoryEntry", "PenaltyListing", "history", "penalties"]


# ---------------------------------------------------------------------- penalties


@attrs.frozen
class PenaltyListing:
    """A penalty of the log with the entry it applies to."""

    state: PenaltyState
    category: str
    number: str | None
    crew: tuple[Person, ...]


def penalties(
    rally: Rally, category: str | None = None, *, as_of: int | None = None
) -> tuple[PenaltyListing, ...]:
    """Every penalty of the log (optionally of one category), in log order."""
    base = rally.as_of(as_of)
    if category is not None:
        base.require_category(category)
    out = []
    for state in base.fold.penalty_states():
        entry = base.fold.entry(state.event.entry_id)
        assert entry is not None
        if category is None or entry.category == category:
            out.append(PenaltyListing(state, entry.category, entry.number, entry.crew))
    return tuple(out)


# ---------------------------------------------------------------------- history


@attrs.frozen
class Change:
    """How one entry's standing moved with one event."""

    entry_id: str
    number: str | None
    crew: tuple[Person, ...]
    before_position: int | None
    after_position: int | None
    before_ms: int | None
    after_ms: int | None


@attrs.frozen
class HistoryEntry:
    """One event that changed the standings after the queried stage."""

    record: Record
    changes: tuple[Change, ...]
    standings: Standings


def _positions(standings: Standings) -> dict[int, tuple[int, int]]:
    """{entry row: (position, time)} of a classification (ties share a position)."""
    ordered = list(standings.ordered())
    return {
        entry: (position, time_ms)
        for (entry, time_ms), position in zip(
            ordered, positions(time_ms for _, time_ms in ordered), strict=True
        )
    }


def _changes(
    view: View, before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]]
) -> tuple[Change, ...]:
    changes = []
    for entry in [*after, *(e for e in before if e not in after)]:
        was, now = before.get(entry), after.get(entry)
        if was == now:
            continue
        row = view.entry_at(entry)
        changes.append(
            Change(
                entry_id=row.entry_id,
                number=row.number,
                crew=row.crew,
                before_position=was[0] if was else None,
                after_position=now[0] if now else None,
                before_ms=was[1] if was else None,
                after_ms=now[1] if now else None,
            )
        )
    return tuple(changes)


def _events(
    frames: Sequence[Frame], tail: Sequence[Record], fold: Fold, limit: int
) -> Iterator[tuple[Record, Effect | None]]:
    """Fold every record up to ``limit`` in; yield each (with its effect), splits folded in
    bulk unseen (they never move a GC)."""
    for frame in frames:
        if frame.first_seq > limit:
            return
        for run in frame.runs:
            if run.first_seq > limit:
                return
            if run.tag == "waypoint-recorded" and run.first_seq + run.count - 1 <= limit:
                fold.apply_run(frame, run)
                continue
            for offset in range(run.count):
                seq = run.first_seq + offset
                if seq > limit:
                    return
                record = Record(
                    seq=seq,
                    event=frame.event_at(run, offset, where=f"record seq {seq}"),
                    recorded_at=frame.recorded_at[run.at_index(offset)],
                )
                yield record, fold.apply(record)
    for record in tail:
        if record.seq <= limit:
            yield record, fold.apply(record)


def history(
    rally: Rally, category: str, after: int, *, as_of: int | None = None
) -> tuple[HistoryEntry, ...]:
    """How the GC after stage ``after`` changed as the events of the log arrived.

    One walk of the log: the GC after ``after`` is kept up to date event by event (a
    ``Running`` classification, as the rally's own caches keep theirs), and only an event
    that can change it is looked at.
    """
    base = rally.as_of(as_of)
    base.standings(category, after)  # checks the category and stage, raises QueryError
    fold = Fold()
    running: Running | None = None
    previous: dict[int, tuple[int, int]] = {}
    out = []
    for record, effect in _events(base.frames(), base.tail(), fold, base.last_seq):
        if effect is None or category not in effect.categories:
            continue
        if effect.stage is not None and effect.stage > after:
            continue
        view = View(fold, fold.last_seq)
        if view.stage(after) is None or after not in gc_stages(view, category):
            if previous:  # the GC it listed is gone (its stages cancelled): all leave it
                gone = rally.standings(category, after, as_of=record.seq)
                out.append(HistoryEntry(record, _changes(view, previous, {}), gone))
                previous, running = {}, None
            continue
        if effect.entry is not None and not effect.delta and not effect.cover:
            continue
        if running is None or not running.apply(view, effect):
            running = Running(view, category, Ranking.of(view, category), after)
        current = running.standings(view, as_of=record.seq)
        now = _positions(current)
        changes = _changes(view, previous, now)
        if changes:
            out.append(HistoryEntry(record=record, changes=changes, standings=current))
        previous = now
    return tuple(out)
