"""Counterfactuals and history: hypothetical events over a log, and how standings changed.

A what-if never touches the log. Its events are checked by the same fold
rules as real appends and applied to a copy of the folded state (the waypoint
splits, which no hypothesis changes, are shared, not copied), as if they had
been appended after the last record (or after record S, with ``as_of``). The
fold says from which stage each event can change the GC; the actual standings
come from the rally's own cache, and hypothetical ones are summed only up to
the stage asked for (with ``--all-stages``: sorted only from the first stage
touched).

``history`` walks the log once, keeping the GC after one stage up to date as
each event arrives (one key out, one key in for a time added), and records
each event that moved it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence

import attrs

from ..events import (
    Event,
    Frame,
    PenaltyImposed,
    PenaltyRescinded,
    Person,
    Provenance,
    QueryError,
    Record,
    ResultCorrected,
    SourceKind,
    StageResultRecorded,
    format_signed,
    format_time,
    parse_duration,
    parse_time,
)
from ._fold import Effect, Fold, PenaltyState
from ._rally import Rally
from ._standings import (
    Ranking,
    Row,
    Running,
    Standings,
    gc_stages,
    positions,
    require_gc_stage,
)
from ._view import View

__all__ = [
    "Change",
    "HistoryEntry",
    "PenaltyListing",
    "StageComparison",
    "WhatIf",
    "WhatIfRow",
    "history",
    "hypotheses",
    "overlay",
    "penalties",
    "what_if",
    "what_if_all_stages",
]

HYPOTHETICAL = Provenance(SourceKind.HYPOTHETICAL, "what-if question")
_SPEC = re.compile(r"\s*(?P<entry>.+?)@(?P<stage>[0-9]{1,3})=(?P<time>[+-]?[0-9:.]+)\s*")


# ---------------------------------------------------------------------- building hypotheses


def _parse_spec(spec: str, option: str) -> tuple[str, int, str]:
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise QueryError(
            "malformed hypothesis",
            where=option,
            expected="ENTRY@STAGE=TIME, e.g. 203@5=+1:00:00 or Peterhansel@5=-0:05:00",
            received=spec,
        )
    return match["entry"], int(match["stage"]), match["time"]


def _free_penalty_id(fold: View, taken: set[str]) -> str:
    number = 1
    while f"hypothetical-{number}" in taken or fold.penalty(f"hypothetical-{number}"):
        number += 1
    taken.add(f"hypothetical-{number}")
    return f"hypothetical-{number}"


def hypotheses(
    rally: Rally,
    category: str,
    *,
    penalties: Iterable[str] = (),
    rescind: Iterable[str] = (),
    results: Iterable[str] = (),
) -> tuple[Event, ...]:
    """Hypothetical events from the command line's specs.

    ``penalties``: ``ENTRY@STAGE=±H:MM:SS`` (a GC-only penalty; negative: a
    bonus); ``rescind``: penalty ids; ``results``: ``ENTRY@STAGE=H:MM:SS`` (a
    new result, or a correction where the entry has one for that stage).
    ENTRY is a race number or an unambiguous name. A hypothetical penalty's id
    never collides with one the log holds.
    """
    events: list[Event] = []
    taken: set[str] = set()
    for spec in penalties:
        ref, stage, amount = _parse_spec(spec, "--penalty")
        entry = rally.find_entry(category, ref)
        events.append(
            PenaltyImposed(
                penalty_id=_free_penalty_id(rally.fold, taken),
                entry_id=entry.entry_id,
                stage=stage,
                amount_ms=parse_duration(amount, where=f"--penalty {spec}"),
                reason="hypothetical penalty",
                gc_only=True,
                provenance=HYPOTHETICAL,
            )
        )
    for penalty_id in rescind:
        events.append(
            PenaltyRescinded(
                penalty_id=penalty_id, reason="hypothetical rescission", provenance=HYPOTHETICAL
            )
        )
    for spec in results:
        ref, stage, time = _parse_spec(spec, "--result")
        entry = rally.find_entry(category, ref)
        time_ms = parse_time(time, where=f"--result {spec}")
        if rally.fold.result(entry.entry_id, stage) is not None:
            events.append(
                ResultCorrected(
                    entry_id=entry.entry_id,
                    stage=stage,
                    time_ms=time_ms,
                    reason="hypothetical time",
                    provenance=HYPOTHETICAL,
                )
            )
        else:
            events.append(
                StageResultRecorded(
                    entry_id=entry.entry_id, stage=stage, time_ms=time_ms, provenance=HYPOTHETICAL
                )
            )
    return tuple(events)


@attrs.frozen
class _Overlay:
    rally: Rally
    first: int | None
    """The first stage whose GC the hypothetical events can change (None: none)."""
    last: int | None
    """The last stage the events fall on."""
    labels: tuple[str, ...]


def _overlay(rally: Rally, category: str, events: Sequence[Event]) -> _Overlay:
    fold = Fold(rally.snapshot())  # the rally as of its record, on its own
    appended = []
    touched: list[int] = []
    labels = []
    for event in events:
        labels.append(
            label(rally, View(fold, fold.last_seq), event)
        )  # in the words of the state it changes
        record = Record(seq=fold.last_seq + 1, event=event)
        effect = fold.apply(record)  # RuleViolationError for an event the log would refuse
        appended.append(record)
        if effect is not None and category in effect.categories:
            touched.append(effect.stage if effect.stage is not None else -1)
    imagined = rally.with_appended(appended, fold, source=f"{rally.source} with hypotheses")
    first = min(touched, default=None)
    return _Overlay(
        imagined,
        None if first is None else max(first, min(rally.stages(), default=0)),
        max(touched, default=None),
        tuple(labels),
    )


def overlay(rally: Rally, events: Sequence[Event]) -> Rally:
    """The rally with ``events`` appended in memory, each checked like a real append."""
    category = rally.categories[0]
    return _overlay(rally, category, events).rally


# ---------------------------------------------------------------------- comparing


@attrs.frozen
class WhatIfRow:
    """A hypothetical row beside the entry's actual standing."""

    row: Row
    actual_position: int | None
    actual_time_ms: int | None
    actual_gap_ms: int | None

    @property
    def position_change(self) -> int:
        """Places gained (positive) or lost (negative); 0 if not classified in reality."""
        return 0 if self.actual_position is None else self.actual_position - self.row.position

    @property
    def gap_change_ms(self) -> int | None:
        """How much the gap to the leader grew (positive) or shrank."""
        if self.actual_time_ms is None:
            return None
        return (self.row.gap_ms or 0) - (self.actual_gap_ms or 0)


def _who(number: str | None, crew: tuple[Person, ...]) -> str:
    return f"No. {number} {crew[0].name}" if number else crew[0].name


@attrs.frozen
class WhatIf:
    """The standings after a stage with and without the hypothetical events."""

    actual: Standings
    hypothetical: Standings
    events: tuple[Event, ...]
    labels: tuple[str, ...] = ()
    """The hypothetical events in words (``+1:00:00 penalty for No. 203 … at stage 5``)."""
    note: str | None = None
    """Said when the hypothesis cannot change the standings shown (and why)."""

    @functools.cached_property
    def rows(self) -> tuple[WhatIfRow, ...]:
        """Each hypothetical row beside the entry's actual standing (built when first asked:
        ``--all-stages`` reads only who leads after each stage)."""
        real = {row.entry_id: row for row in self.actual.rows}
        return tuple(
            WhatIfRow(
                row=row,
                actual_position=real[row.entry_id].position if row.entry_id in real else None,
                actual_time_ms=real[row.entry_id].time_ms if row.entry_id in real else None,
                actual_gap_ms=real[row.entry_id].gap_ms if row.entry_id in real else None,
            )
            for row in self.hypothetical.rows
        )

    def of_class(self, entry_class: str | None) -> WhatIf:
        """The same comparison within one class: positions 1…n of the class, on both sides."""
        if entry_class is None:
            return self
        return _compare(
            self.actual.of_class(entry_class),
            self.hypothetical.of_class(entry_class),
            self.events,
            self.labels,
            self.note,
        )

    @property
    def leader_changed(self) -> bool:
        """Whether someone else leads (or the lead is shared differently) in the hypothesis."""
        real = [row.entry_id for row in self.actual.leaders()]
        imagined = [row.entry_id for row in self.hypothetical.leaders()]
        return real != imagined

    @property
    def headline(self) -> str:
        """One sentence: does the lead change, by how much, or is it shared."""
        after = f"after stage {self.hypothetical.after_stage}"
        if self.note is not None:
            return self.note
        imagined = self.hypothetical.leaders()
        real = self.actual.leaders()
        if not imagined:
            return f"No entry would be classified {after}."
        if len(imagined) > 1:
            names = " and ".join(_who(row.number, row.crew) for row in imagined)
            on = format_time(imagined[0].time_ms)
            return f"{names} would be tied for the lead {after}, on {on}."
        name = _who(imagined[0].number, imagined[0].crew)
        if not real:
            return f"{name} would lead {after}."
        second = self.hypothetical.runner_up()
        margin = f" by {format_time(second.gap_ms or 0)}" if second is not None else ""
        if not self.leader_changed:
            return f"The leader does not change {after}: {name} still leads{margin}."
        if len(real) > 1:
            shared = " and ".join(_who(row.number, row.crew) for row in real)
            return (
                f"The lead changes {after}: {name} would lead{margin}, "
                f"instead of a tie between {shared}."
            )
        runner = self.hypothetical.row_for(real[0].entry_id)
        margin = f" by {format_time(runner.gap_ms or 0)}" if runner is not None else margin
        return (
            f"The lead changes {after}: {name} would lead{margin}, "
            f"instead of {_who(real[0].number, real[0].crew)}."
        )


def label(rally: Rally, fold: View, event: Event) -> str:
    """A hypothetical event in rally terms, against the state it is applied to."""

    def who(entry_id: str) -> str:
        entry = fold.entry(entry_id)
        return entry_id if entry is None else _who(entry.number, entry.crew)

    if isinstance(event, PenaltyImposed):
        kind = "bonus" if event.amount_ms < 0 else "penalty"
        return (
            f"{format_signed(event.amount_ms)} {kind} for {who(event.entry_id)} "
            f"at stage {event.stage}"
        )
    if isinstance(event, PenaltyRescinded):
        penalty = fold.penalty(event.penalty_id)
        if penalty is None:
            return f"rescind {event.penalty_id}"
        imposed = penalty.event
        return (
            f"rescind {event.penalty_id} ({format_signed(imposed.amount_ms)} for "
            f"{who(imposed.entry_id)} at stage {imposed.stage})"
        )
    if isinstance(event, ResultCorrected):
        old = fold.result(event.entry_id, event.stage)
        where = f"stage {event.stage}"
        if old is not None and old.is_span:
            where = f"stages {old.first_stage}–{old.stage}"
        replaced = "" if old is None else f" instead of {format_time(old.time_ms)}"
        return f"{who(event.entry_id)} {format_time(event.time_ms)} on {where}{replaced}"
    if isinstance(event, StageResultRecorded):
        first, last = event.span
        where = f"stage {last}" if first == last else f"stages {first}–{last}"
        return f"{who(event.entry_id)} {format_time(event.time_ms)} on {where}"
    return event.describe()


def _compare(
    actual: Standings,
    hypothetical: Standings,
    events: Sequence[Event],
    labels: Sequence[str],
    note: str | None = None,
) -> WhatIf:
    return WhatIf(
        actual=actual,
        hypothetical=hypothetical,
        events=tuple(events),
        labels=tuple(labels),
        note=note,
    )


def what_if(
    rally: Rally,
    category: str,
    events: Sequence[Event],
    *,
    after: int | None = None,
    as_of: int | None = None,
) -> WhatIf:
    """The GC after stage ``after`` with the hypothetical events, beside the actual one.

    Without ``after``: the last stage with results, or, when the hypothesis
    falls after it, the last stage the hypothesis falls on.
    """
    base = rally.as_of(as_of)
    imagined = _overlay(base, category, events)
    stage = after
    note = None
    if stage is None:
        stage = base.default_stage(category)
        if imagined.last is not None and imagined.last > stage:
            stage = max(s for s in gc_stages(imagined.rally.view, category) if s <= imagined.last)
    if imagined.first is None:
        note = (
            f"The hypothesis does not change the general classification of {category} "
            "(it falls on no stage that counts for it)."
        )
    elif imagined.first > stage:
        note = (
            f"The hypothesis falls on stage {imagined.first}, after stage {stage}: "
            f"the general classification after stage {stage} cannot change."
        )
    require_gc_stage(imagined.rally.view, category, stage)
    hypothetical = imagined.rally.standings(category, stage)
    try:
        actual = base.standings(category, stage)
    except QueryError:
        actual = Standings(base.view, category, stage, [], 0, Ranking.of(base.view, category))
    if as_of is not None:
        actual, hypothetical = actual.with_as_of(as_of), hypothetical.with_as_of(as_of)
    return _compare(actual, hypothetical, events, imagined.labels, note)


@attrs.frozen
class StageComparison:
    """Who leads after one stage, in reality and in the hypothesis."""

    stage: int
    comparison: WhatIf


def what_if_all_stages(
    rally: Rally, category: str, events: Sequence[Event], *, as_of: int | None = None
) -> tuple[StageComparison, ...]:
    """The comparison after every stage from the first one the hypothesis touches.

    The actual standings are the rally's own (computed once and kept); the
    hypothetical ones are sorted only from the first stage touched.
    """
    base = rally.as_of(as_of)
    imagined = _overlay(base, category, events)
    if imagined.first is None:
        return ()
    last = max(base.default_stage(category), imagined.rally.default_stage(category))
    real = {s.after_stage: s for s in base.replay(category)}
    out = []
    for stage in gc_stages(imagined.rally.view, category):
        if stage < imagined.first or stage > last or stage not in real:
            continue
        actual, hypothetical = real[stage], imagined.rally.standings(category, stage)
        if as_of is not None:
            actual, hypothetical = actual.with_as_of(as_of), hypothetical.with_as_of(as_of)
        out.append(StageComparison(stage, _compare(actual, hypothetical, events, imagined.labels)))
    return tuple(out)


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

    def describe(self) -> str:
        """``No. 203 Peterhansel 1→1, 4:26:31→4:31:31 (+0:05:00)``."""
        who = _who(self.number, self.crew)
        if self.before_position is None:
            assert self.after_ms is not None
            return f"{who} classified {self.after_position}, {format_time(self.after_ms)}"
        if self.after_position is None:
            return f"{who} no longer classified (was {self.before_position})"
        assert self.before_ms is not None
        assert self.after_ms is not None
        text = f"{who} {self.before_position}→{self.after_position}"
        if self.before_ms != self.after_ms:
            text += (
                f", {format_time(self.before_ms)}→{format_time(self.after_ms)} "
                f"({format_signed(self.after_ms - self.before_ms)})"
            )
        return text


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
