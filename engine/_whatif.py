"""Counterfactuals and history: hypothetical events over a log, and how standings changed.

A what-if never touches the log. Its events are checked by the same fold
rules as real appends and applied to a copy of the folded state, as if they
had been appended after the last record (or after record S, with ``as_of``).
The GC after a stage before the first stage the hypothesis touches cannot
change, so those snapshots are taken from the actual replay and only the
stages from there on are computed again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from rally_standings.engine._fold import Fold, PenaltyState
from rally_standings.engine._rally import Rally
from rally_standings.engine._standings import (
    Row,
    Standings,
    gc_stages,
    replay_standings,
    standings_after,
)
from rally_standings.events import (
    Event,
    PenaltyImposed,
    PenaltyRescinded,
    Person,
    Provenance,
    QueryError,
    Record,
    ResultCorrected,
    SourceKind,
    StageCancelled,
    StageResultRecorded,
    format_signed,
    format_time,
    parse_duration,
    parse_time,
    tag_of,
)

__all__ = [
    "Change",
    "HistoryEntry",
    "PenaltyListing",
    "StageComparison",
    "WhatIf",
    "WhatIfRow",
    "first_stage_touched",
    "history",
    "hypotheses",
    "overlay",
    "penalties",
    "what_if",
    "what_if_all_stages",
]

HYPOTHETICAL = Provenance(SourceKind.HYPOTHETICAL, "what-if question")
_SPEC = re.compile(r"\s*(?P<entry>.+?)@(?P<stage>\d+)=(?P<time>[+-]?[\d:.]+)\s*")


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
    ENTRY is a race number or an unambiguous name.
    """
    events: list[Event] = []
    for index, spec in enumerate(penalties, start=1):
        ref, stage, amount = _parse_spec(spec, "--penalty")
        entry = rally.find_entry(category, ref)
        events.append(
            PenaltyImposed(
                penalty_id=f"hypothetical-{index}",
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
        if (entry.entry_id, stage) in rally.fold.results:
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


def overlay(rally: Rally, events: Sequence[Event]) -> Rally:
    """The rally with ``events`` appended in memory, each checked like a real append."""
    fold = rally.fold.copy()
    appended = []
    for event in events:
        record = Record(seq=fold.last_seq + 1, event=event)
        fold.apply(record)  # RuleViolationError for an event the log would refuse
        appended.append(record)
    return rally.with_appended(appended, fold, source=f"{rally.source} with hypotheses")


def first_stage_touched(rally: Rally, events: Sequence[Event]) -> int:
    """The earliest stage whose GC the hypothetical events can change."""
    stages: list[int] = []
    for event in events:
        if isinstance(event, PenaltyImposed | ResultCorrected | StageCancelled):
            stages.append(event.stage)
        elif isinstance(event, StageResultRecorded):
            stages.append(event.span[0])
        elif isinstance(event, PenaltyRescinded):
            penalty = rally.fold.penalties.get(event.penalty_id)
            if penalty is not None:
                stages.append(penalty.event.stage)
        else:
            stages.append(min(rally.stages(), default=0))
    return min(stages, default=min(rally.stages(), default=0))


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


@attrs.frozen
class WhatIf:
    """The standings after a stage with and without the hypothetical events."""

    actual: Standings
    hypothetical: Standings
    rows: tuple[WhatIfRow, ...]
    events: tuple[Event, ...]
    labels: tuple[str, ...] = ()
    """The hypothetical events in words (``+1:00:00 penalty for No. 203 … at stage 5``)."""

    @property
    def leader_changed(self) -> bool:
        """Whether someone else leads in the hypothesis."""
        real, imagined = self.actual.leader, self.hypothetical.leader
        return (real and real.entry_id) != (imagined and imagined.entry_id)

    @property
    def headline(self) -> str:
        """One sentence: does the lead change, and by how much."""
        real, imagined = self.actual.leader, self.hypothetical.leader
        after = f"after stage {self.hypothetical.after_stage}"
        if imagined is None:
            return f"No entry would be classified {after}."
        name = _who(imagined.number, imagined.crew)
        if real is None:
            return f"{name} would lead {after}."
        if not self.leader_changed:
            second = self.hypothetical.rows[1] if len(self.hypothetical.rows) > 1 else None
            margin = f" by {format_time(second.gap_ms or 0)}" if second is not None else ""
            return f"The leader does not change {after}: {name} still leads{margin}."
        runner = self.hypothetical.row_for(real.entry_id)
        margin = f" by {format_time(runner.gap_ms or 0)}" if runner is not None else ""
        return (
            f"The lead changes {after}: {name} would lead{margin}, "
            f"instead of {_who(real.number, real.crew)}."
        )


def _who(number: str | None, crew: tuple[Person, ...]) -> str:
    return f"No. {number} {crew[0].name}" if number else crew[0].name


def label(rally: Rally, event: Event) -> str:
    """A hypothetical event in rally terms."""
    fold = rally.fold

    def who(entry_id: str) -> str:
        entry = fold.entries[entry_id]
        return _who(entry.number, entry.crew)

    if isinstance(event, PenaltyImposed):
        kind = "bonus" if event.amount_ms < 0 else "penalty"
        return (
            f"{format_signed(event.amount_ms)} {kind} for {who(event.entry_id)} "
            f"at stage {event.stage}"
        )
    if isinstance(event, PenaltyRescinded):
        penalty = fold.penalties[event.penalty_id].event
        return (
            f"rescind {event.penalty_id} ({format_signed(penalty.amount_ms)} for "
            f"{who(penalty.entry_id)} at stage {penalty.stage})"
        )
    if isinstance(event, ResultCorrected):
        old = fold.results[(event.entry_id, event.stage)].time_ms
        return (
            f"{who(event.entry_id)} {format_time(event.time_ms)} on stage {event.stage} "
            f"instead of {format_time(old)}"
        )
    if isinstance(event, StageResultRecorded):
        return f"{who(event.entry_id)} {format_time(event.time_ms)} on stage {event.stage}"
    return tag_of(event)


def _compare(
    actual: Standings, hypothetical: Standings, events: Sequence[Event], labels: Sequence[str]
) -> WhatIf:
    real = {row.entry_id: row for row in actual.rows}
    rows = tuple(
        WhatIfRow(
            row=row,
            actual_position=real[row.entry_id].position if row.entry_id in real else None,
            actual_time_ms=real[row.entry_id].time_ms if row.entry_id in real else None,
            actual_gap_ms=real[row.entry_id].gap_ms if row.entry_id in real else None,
        )
        for row in hypothetical.rows
    )
    return WhatIf(
        actual=actual,
        hypothetical=hypothetical,
        rows=rows,
        events=tuple(events),
        labels=tuple(labels),
    )


def what_if(
    rally: Rally,
    category: str,
    events: Sequence[Event],
    *,
    after: int | None = None,
    as_of: int | None = None,
) -> WhatIf:
    """The GC after stage ``after`` with the hypothetical events, beside the actual one."""
    base = rally.as_of(as_of)
    stage = base.default_stage(category) if after is None else after
    actual = base.standings(category, stage)
    imagined = overlay(base, events)
    hypothetical = standings_after(imagined.fold, category, stage, as_of=as_of)
    labels = [label(imagined, event) for event in events]
    return _compare(attrs.evolve(actual, as_of=as_of), hypothetical, events, labels)


@attrs.frozen
class StageComparison:
    """Who leads after one stage, in reality and in the hypothesis."""

    stage: int
    comparison: WhatIf


def what_if_all_stages(
    rally: Rally, category: str, events: Sequence[Event], *, as_of: int | None = None
) -> tuple[StageComparison, ...]:
    """The comparison after every stage from the first one the hypothesis touches.

    Stages before it are not recomputed: their GC cannot change.
    """
    base = rally.as_of(as_of)
    imagined = overlay(base, events)
    first = first_stage_touched(base, events)
    last = max(base.default_stage(category), imagined.default_stage(category))
    labels = [label(imagined, event) for event in events]
    real = replay_standings(base.fold, category, as_of=as_of)
    imagined_table = replay_standings(imagined.fold, category, as_of=as_of)
    out = []
    for stage in sorted(imagined_table):
        if stage < first or stage > last or stage not in real:
            continue
        comparison = _compare(real[stage], imagined_table[stage], events, labels)
        out.append(StageComparison(stage, comparison))
    return tuple(out)


# ---------------------------------------------------------------------- penalties, history


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
    if category is not None and category not in base.categories:
        raise QueryError(
            "unknown category",
            where=base.source,
            expected="one of " + ", ".join(base.categories),
            received=category,
        )
    out = []
    for state in base.fold.penalties.values():
        entry = base.fold.entries[state.event.entry_id]
        if category is None or entry.category == category:
            out.append(PenaltyListing(state, entry.category, entry.number, entry.crew))
    return tuple(out)


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


def _changes(before: Standings | None, after: Standings) -> tuple[Change, ...]:
    old = {row.entry_id: row for row in before.rows} if before is not None else {}
    new = {row.entry_id: row for row in after.rows}
    changes = []
    for entry_id in [*new, *(e for e in old if e not in new)]:
        was, now = old.get(entry_id), new.get(entry_id)
        if (
            was is not None
            and now is not None
            and (was.position, was.time_ms)
            == (
                now.position,
                now.time_ms,
            )
        ):
            continue
        row = now or was
        assert row is not None
        changes.append(
            Change(
                entry_id=entry_id,
                number=row.number,
                crew=row.crew,
                before_position=was.position if was else None,
                after_position=now.position if now else None,
                before_ms=was.time_ms if was else None,
                after_ms=now.time_ms if now else None,
            )
        )
    return tuple(changes)


def history(
    rally: Rally, category: str, after: int, *, as_of: int | None = None
) -> tuple[HistoryEntry, ...]:
    """How the GC after stage ``after`` changed as the events of the log arrived."""
    base = rally.as_of(as_of)
    base.standings(category, after)  # checks the category and stage, raises QueryError
    fold = Fold()
    previous: Standings | None = None
    out = []
    for record in base.records:
        fold.apply(record)
        if after not in fold.stages or after not in gc_stages(fold, category):
            continue
        current = standings_after(fold, category, after, as_of=record.seq)
        changes = _changes(previous, current)
        if changes:
            out.append(HistoryEntry(record=record, changes=changes, standings=current))
        previous = current
    return tuple(out)
