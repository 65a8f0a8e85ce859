"""What-ifs in words: the command line's hypotheses read, and the answers said.

``hypotheses`` reads the ``--penalty``, ``--rescind`` and ``--result`` specs of
``standings whatif`` and ``report --what-if`` into hypothetical events (the engine
checks and applies them, ``engine.what_if``); ``labels``, ``headline`` and ``note``
say what the hypothesis is and what it changes, in the words of the rally as it stood
when each event was applied; ``change_text`` says how one crew moved in ``history``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator

from ..engine import HYPOTHETICAL, Change, Rally, View, WhatIf, free_penalty_id
from ..events import (
    Event,
    PenaltyImposed,
    PenaltyRescinded,
    QueryError,
    ResultCorrected,
    RuleViolationError,
    StageResultRecorded,
    format_signed,
    format_time,
    parse_duration,
    parse_time,
)
from ._text import empty_note, who

__all__ = ["change_text", "headline", "hypotheses", "labels", "naming_hypotheses", "note"]

_SPEC = re.compile(r"\s*(?P<entry>.+?)@(?P<stage>[0-9]{1,3})=(?P<time>[+-]?[0-9:.]+)\s*")


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

    ``penalties``: ``ENTRY@STAGE=±H:MM:SS`` (a GC-only penalty; negative: a bonus);
    ``rescind``: penalty ids; ``results``: ``ENTRY@STAGE=H:MM:SS`` (a new result, or a
    correction where the entry has one for that stage). ENTRY is a race number or an
    unambiguous name. A hypothetical penalty's id never collides with one the log holds.
    """
    events: list[Event] = []
    for spec in penalties:
        ref, stage, amount = _parse_spec(spec, "--penalty")
        entry = rally.find_entry(category, ref)
        events.append(
            PenaltyImposed(
                penalty_id=free_penalty_id(rally.view, events),
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
        if rally.view.result(entry.entry_id, stage) is not None:
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


@contextlib.contextmanager
def naming_hypotheses(
    *, penalties: Iterable[str] = (), rescind: Iterable[str] = (), results: Iterable[str] = ()
) -> Iterator[None]:
    """A hypothesis the rules refuse, said as the option that gave it (``--penalty 203@5=…``),
    not as an event of a log that was never written; the specs as ``hypotheses`` took them."""
    try:
        yield
    except RuleViolationError as error:
        options = [
            *(f"--penalty {spec}" for spec in penalties),
            *(f"--rescind {penalty_id}" for penalty_id in rescind),
            *(f"--result {spec}" for spec in results),
        ]
        if error.index is None or not 0 <= error.index < len(options):
            raise
        raise RuleViolationError(
            error.what,
            where=f"{options[error.index]}: a hypothesis the rules refuse",
            expected=error.expected,
            received=error.received,
            index=error.index,
        ) from None


def _label(view: View, event: Event) -> str:
    """A hypothetical event in rally terms, against the state it is applied to."""

    def crew(entry_id: str) -> str:
        entry = view.entry(entry_id)
        return entry_id if entry is None else who(entry.number, entry.crew)

    if isinstance(event, PenaltyImposed):
        kind = "bonus" if event.amount_ms < 0 else "penalty"
        return (
            f"{format_signed(event.amount_ms)} {kind} for {crew(event.entry_id)} "
            f"at stage {event.stage}"
        )
    if isinstance(event, PenaltyRescinded):
        penalty = view.penalty(event.penalty_id)
        if penalty is None:
            return f"rescind {event.penalty_id}"
        imposed = penalty.event
        return (
            f"rescind {event.penalty_id} ({format_signed(imposed.delta_ms)} for "
            f"{crew(imposed.entry_id)} at stage {imposed.stage})"
        )
    if isinstance(event, ResultCorrected):
        old = view.result(event.entry_id, event.stage)
        where = f"stage {event.stage}"
        if old is not None and old.is_span:
            where = f"stages {old.first_stage}–{old.stage}"
        replaced = "" if old is None else f" instead of {format_time(old.time_ms)}"
        return f"{crew(event.entry_id)} {format_time(event.time_ms)} on {where}{replaced}"
    if isinstance(event, StageResultRecorded):
        first, last = event.span
        where = f"stage {last}" if first == last else f"stages {first}–{last}"
        return f"{crew(event.entry_id)} {format_time(event.time_ms)} on {where}"
    return event.describe()


def labels(whatif: WhatIf) -> tuple[str, ...]:
    """The hypothetical events in words (``+1:00:00 penalty for No. 203 … at stage 5``),
    each against the rally as it stood when it was applied."""
    return tuple(_label(whatif.before(index), event) for index, event in enumerate(whatif.events))


def note(whatif: WhatIf) -> str | None:
    """Said when the hypothesis cannot change the standings shown (and why)."""
    after = whatif.hypothetical.after_stage
    if whatif.touched is None:
        return (
            f"The hypothesis does not change the general classification of "
            f"{whatif.hypothetical.category} (it falls on no stage that counts for it)."
        )
    if whatif.touched > after:
        return (
            f"The hypothesis falls on stage {whatif.touched}, after stage {after}: "
            f"the general classification after stage {after} cannot change."
        )
    return None


def headline(whatif: WhatIf) -> str:
    """One sentence: does the lead change, by how much, or is it shared; then, for a crew the
    hypothesis names and the classification does not hold, that nothing shown changes for
    it."""
    said = _lead(whatif)
    if note(whatif) is not None or whatif.hypothetical.before_gc:
        return said
    shown = {row.entry_id for row in whatif.hypothetical.rows}
    view, after = whatif.hypothetical.view, whatif.hypothetical.after_stage
    for entry_id in dict.fromkeys(getattr(event, "entry_id", None) for event in whatif.events):
        entry = None if entry_id is None or entry_id in shown else view.entry(entry_id)
        if entry is not None:
            said += (
                f" {who(entry.number, entry.crew)} has no known time after stage {after}, so "
                "the hypothesis changes nothing shown for this crew."
            )
    return said


def _lead(whatif: WhatIf) -> str:
    after = f"after stage {whatif.hypothetical.after_stage}"
    unchanged = note(whatif)
    if unchanged is not None:
        return unchanged
    if whatif.hypothetical.before_gc:
        return empty_note(whatif.hypothetical)
    imagined = whatif.hypothetical.leaders()
    real = whatif.actual.leaders()
    if not imagined:
        return f"No entry would be classified {after}."
    if len(imagined) > 1:
        names = " and ".join(who(row.number, row.crew) for row in imagined)
        on = format_time(imagined[0].time_ms)
        return f"{names} would be tied for the lead {after}, on {on}."
    name = who(imagined[0].number, imagined[0].crew)
    if not real:
        return f"{name} would lead {after}."
    second = whatif.hypothetical.runner_up()
    margin = f" by {format_time(second.gap_ms or 0)}" if second is not None else ""
    if not whatif.leader_changed:
        return f"The leader does not change {after}: {name} still leads{margin}."
    if len(real) > 1:
        shared = " and ".join(who(row.number, row.crew) for row in real)
        return (
            f"The lead changes {after}: {name} would lead{margin}, "
            f"instead of a tie between {shared}."
        )
    return (
        f"The lead changes {after}: {name} would lead{margin}, "
        f"instead of {who(real[0].number, real[0].crew)}."
    )


def change_text(change: Change) -> str:
    """How one crew's standing moved with one event: ``No. 203 Peterhansel 1→1,
    4:26:31→4:31:31 (+0:05:00)``."""
    crew = who(change.number, change.crew)
    if change.before_position is None:
        assert change.after_ms is not None
        return f"{crew} classified {change.after_position}, {format_time(change.after_ms)}"
    if change.after_position is None:
        return f"{crew} no longer classified (was {change.before_position})"
    assert change.before_ms is not None
    assert change.after_ms is not None
    text = f"{crew} {change.before_position}→{change.after_position}"
    if change.before_ms != change.after_ms:
        text += (
            f", {format_time(change.before_ms)}→{format_time(change.after_ms)} "
            f"({format_signed(change.after_ms - change.before_ms)})"
        )
    return text
