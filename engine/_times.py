"""What a stage time and a GC time are made of: the one arithmetic of the standings.

The rules (docs/standings.md says them for readers):

* **Stage time** of an entry at a stage: its single-stage result's time in force,
  plus the penalties in force imposed at that stage that count in the stage's
  ranking (not those that are GC-only).
* **GC time** after stage N: the sum, over the stages up to N, of the results that
  count (their time in force), of every penalty in force imposed there, and of the
  time awarded to all for a cancelled stage. Prologues and liaisons do not count; a
  cancelled stage counts only through its awarded time.
* **Classified** after N: a result covers every counted stage up to N (a combined
  time over stages a..b covers them once stage b is reached), and the entry has not
  left the rally at or before N.
* **Never zero or below:** every stage time, and every GC time once a result counts,
  is above 0:00:00 (before any result counts a GC time may be zero).

Three things read these rules, and only from here: ``Accumulator`` (every entry of a
category, stage by stage: standings), ``parts`` and ``components`` (one entry, part by
part: explanations, each part of a kind in ``COMPONENT_KINDS``), and ``refusal`` (one
entry after a change, before it is made: the fold's rules refuse what would break the
last one, in whatever order events arrive).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

import attrs

from ..events import ADJUSTMENT_TYPES, Provenance, format_signed, format_time
from ._fold import ResultState
from ._view import View

__all__ = [
    "COMPONENT_KINDS",
    "Accumulator",
    "Change",
    "Component",
    "ComponentKind",
    "Part",
    "components",
    "parts",
    "refusal",
    "stage_time",
]


class Accumulator:
    """A category's running sums through its stages, in order: the standings arithmetic.

    After ``advance_to(N)``, an entry's ``total`` is the sum of its counted results up
    to N and of its penalties in force imposed up to N (``awards``, the time awarded
    for cancelled stages, adds to every entry alike), and it is ``classified`` exactly
    when ``cover`` equals the number of counted stages so far and it has not left the
    rally. ``apply`` updates it for one entry's time changing at its current stage.
    """

    def __init__(self, view: View, category: str, members: Sequence[int]) -> None:
        self.view = view
        self.category = category
        self.total: dict[int, int] = dict.fromkeys(members, 0)
        self.cover: dict[int, int] = dict.fromkeys(members, 0)
        self.counted = 0
        self.awards = 0
        self.classified: set[int] = set(members)
        self.stage: int | None = None
        """The last stage advanced through (None: none yet)."""

    def advance_to(self, stage: int) -> None:
        """Add what falls on every scheduled stage after the current one, up to ``stage``."""
        for number in self.view.stage_numbers():
            if number > stage:
                break
            if self.stage is None or number > self.stage:
                self._advance(number)

    def _advance(self, stage: int) -> None:
        view, category, total = self.view, self.category, self.total
        if view.counts(stage, category):
            self.counted += 1
            ending = view.accumulate(category, stage, total, self.cover)
            cover, needed = self.cover, self.counted
            self.classified = {entry for entry in ending if cover.get(entry) == needed}
        for entry, amount in view.gc_penalties(category, stage).items():
            if entry in total:
                total[entry] += amount
        self.awards += view.awarded(stage, category)
        leaving = view.leaving(stage)
        if leaving and self.classified:
            self.classified.difference_update(leaving)
        self.stage = stage

    def apply(self, entry: int, delta: int, cover: int) -> None:
        """One entry's time changed by ``delta`` at the current stage, and ``cover`` more
        counted stages covered by a result ending there (a live update)."""
        self.total[entry] += delta
        if cover:
            self.cover[entry] += cover
            out = self.view.retired_at(entry)
            if self.cover[entry] == self.counted and (
                out is None or self.stage is None or out > self.stage
            ):
                self.classified.add(entry)

    def sums(self) -> dict[int, int]:
        """{entry row: its sum} of the classified entries (without ``awards``)."""
        total = self.total
        return {entry: total[entry] for entry in self.classified}

    def times(self) -> dict[int, int]:
        """{entry row: GC time} of the classified entries (``awards`` included)."""
        awards, total = self.awards, self.total
        return {entry: total[entry] + awards for entry in self.classified}


class Part(NamedTuple):
    """What falls on one stage for one entry."""

    stage: int
    result: ResultState | None
    """Its result ending at this stage, if any."""
    counted: bool
    """Whether that result counts toward the GC (its stage counts and it covers a stage)."""
    stage_penalties: int
    """The penalties in force imposed here that count in the stage ranking."""
    penalties: int
    """Every penalty in force imposed here (GC-only ones included)."""
    awarded: int
    """The time awarded to all for this stage, cancelled."""


def parts(view: View, entry: int, until: int | None = None) -> list[Part]:
    """What falls on each scheduled stage (up to ``until``) for entry row ``entry``."""
    category = view.entry_at(entry).category
    out = []
    for stage in view.stage_numbers():
        if until is not None and stage > until:
            break
        row = view.result_row(entry, stage)
        counted = row is not None and bool(view.result_cover(row))
        out.append(
            Part(
                stage=stage,
                result=None if row is None else view.result_state(row),
                counted=counted,
                stage_penalties=view.penalty_sum(entry, stage, in_stage=True),
                penalties=view.penalty_sum(entry, stage),
                awarded=view.awarded(stage, category),
            )
        )
    return out


def stage_time(part: Part) -> int | None:
    """The stage time a part makes (None: no single-stage result there)."""
    if part.result is None or part.result.is_span:
        return None
    return part.result.time_ms + part.stage_penalties


@attrs.frozen
class Change:
    """A change at one stage for one entry, not yet made: what the rules weigh."""

    stage: int
    result_ms: int | None = None
    """The time the result ending at ``stage`` will have (a new one, or a correction)."""
    new_result: bool = False
    """Whether that result is new (``single`` and ``counted`` then say what it is)."""
    single: bool = True
    counted: bool = True
    penalty_ms: int = 0
    """Added to the penalties in force at ``stage`` (negative: a bonus, or a rescinded
    penalty)."""
    in_stage: bool = False
    """Whether ``penalty_ms`` counts in the stage's ranking too."""
    cancelled: bool = False
    """The stage is cancelled (its results count no more), awarding ``awarded_ms``."""
    awarded_ms: int = 0
    withdrawn: bool = False
    """The result ending at ``stage`` is withdrawn (it counts no more)."""


def refusal(view: View, entry: int, change: Change) -> tuple[str, str, str] | None:
    """Why the change would break the rule that times stay above zero (what, expected,
    received), or None if it would not. ``view`` is the state before the change."""
    who = view.entry_at(entry).label()
    total = before_total = 0
    timed = timed_before = False
    for part in parts(view, entry):
        result_ms = None if part.result is None else part.result.time_ms
        single = part.result is not None and not part.result.is_span
        counted = part.counted
        stage_penalties, penalties, awarded = part.stage_penalties, part.penalties, part.awarded
        before_total += (
            (result_ms if counted and result_ms is not None else 0) + penalties + awarded
        )
        # an awarded time classifies a crew still running as a stage time does
        timed_before = timed_before or (counted and result_ms is not None) or awarded > 0
        if part.stage == change.stage:
            before = None if result_ms is None or not single else result_ms + stage_penalties
            if change.result_ms is not None:
                result_ms = change.result_ms
                if change.new_result:
                    single, counted = change.single, change.counted
            penalties += change.penalty_ms
            stage_penalties += change.penalty_ms if change.in_stage else 0
            if change.cancelled:
                counted, awarded = False, change.awarded_ms
            if change.withdrawn:
                result_ms, counted = None, False
            if result_ms is not None and single and result_ms + stage_penalties <= 0:
                after = result_ms + stage_penalties
                received = (
                    f"{format_time(result_ms)} with {format_signed(stage_penalties)} of "
                    f"penalties and bonuses at stage {part.stage}"
                    if before is None
                    else f"{format_signed(after - before)} on a stage time of {format_time(before)}"
                )
                return (
                    f"the stage {part.stage} time of {who} would be {format_time(after)}",
                    "a stage time above zero",
                    received,
                )
        if counted and result_ms is not None:
            total += result_ms
            timed = True
        timed = timed or awarded > 0
        total += penalties + awarded
        if part.stage >= change.stage and (total < 0 or (total == 0 and timed)):
            return (
                f"the cumulative time of {who} after stage {part.stage} would be "
                f"{format_time(total)}",
                "a cumulative time above zero",
                f"{format_signed(total - before_total)} on a cumulative time of "
                f"{format_time(before_total)}"
                if timed_before
                else f"{format_signed(total - before_total)}, with no stage time of its own "
                f"recorded up to stage {part.stage}",
            )
    return None


# ---------------------------------------------------------------------- what a time is made of


@attrs.frozen
class ComponentKind:
    """A kind of part of a GC time, as the outputs name and show it."""

    name: str
    label: str
    """What one such part is called (``"awarded time"``)."""
    signed: bool
    """Whether it is an amount added or taken away (shown with its sign: ``+0:05:00``)."""


COMPONENT_KINDS: Mapping[str, ComponentKind] = MappingProxyType(
    {
        kind.name: kind
        for kind in (
            ComponentKind("result", "result", signed=False),
            *(ComponentKind(cls.component, cls.component, signed=True) for cls in ADJUSTMENT_TYPES),
            ComponentKind("awarded", "awarded time", signed=False),
        )
    }
)
"""Every kind of ``Component``, in the order explanations count them: the outputs read
this registry (labels, signs), never a list of their own."""


@attrs.frozen
class Component:
    """One part of an entry's cumulative time, and where it comes from."""

    kind: str
    """A key of ``COMPONENT_KINDS``."""
    stage: int
    time_ms: int
    seq: int
    note: str
    provenance: Provenance
    first_stage: int | None = None
    penalty_id: str | None = None
    recorded_ms: int | None = None
    """For a corrected result: the time first recorded."""
    replaced_ms: int | None = None
    """For a corrected result: the time the last correction replaced…"""
    replaced_seq: int | None = None
    """…and the record that time came from."""


def components(view: View, entry_id: str, after: int) -> tuple[Component, ...]:
    """The parts of an entry's cumulative time after ``after``, by stage then log order:
    the same parts ``Accumulator`` sums (``engine/_times.py``)."""
    entry = view.entry_index(entry_id)
    category = view.entry_at(entry).category
    out: list[Component] = []
    for part in parts(view, entry, after):
        if part.result is not None and part.counted:
            out.append(_result_component(view, part.result, entry_id))
        cancelled = view.cancellation(part.stage, category)
        if cancelled is not None and cancelled.event.awarded_ms:
            out.append(
                Component(
                    kind="awarded",
                    stage=part.stage,
                    time_ms=cancelled.event.awarded_ms,
                    seq=cancelled.seq,
                    note=f"stage {part.stage} cancelled ({cancelled.event.reason}): "
                    "time awarded to all",
                    provenance=cancelled.event.provenance,
                )
            )
        for penalty in view.penalties_at(category, part.stage):
            event = penalty.event
            if event.entry_id == entry_id and penalty.in_force:
                out.append(
                    Component(
                        kind=event.component,
                        stage=event.stage,
                        time_ms=event.delta_ms,
                        seq=penalty.seq,
                        note=event.component_note(),
                        provenance=event.provenance,
                        penalty_id=event.adjustment_id,
                    )
                )
    out.sort(key=lambda part: (part.stage, part.seq))
    return tuple(out)


def _result_component(view: View, result: ResultState, entry_id: str) -> Component:
    note = f"stage {result.stage} result"
    if result.is_span:
        note = f"combined result for stages {result.first_stage}–{result.stage}"
        apart = [
            str(stage)
            for stage in view.stage_numbers()
            if result.first_stage < stage < result.stage
            and (own := view.result_index(entry_id, stage)) is not None
            and view.result_span(own)[0] == stage
        ]
        if apart:
            stages = ", ".join(apart[:-1]) + " and " + apart[-1] if len(apart) > 1 else apart[0]
            timed = "have times of their own" if len(apart) > 1 else "has a time of its own"
            note += f" (stage{'s' if len(apart) > 1 else ''} {stages} {timed})"
    last = result.corrections[-1] if result.corrections else None
    replaced = result.replaced
    if last is not None:
        note += f", corrected: {last.reason}"
        since = replaced[1] if replaced is not None else result.seq
        lifted = [w for w in result.withdrawals if since < w.seq < last.seq]
        if lifted:
            note += f" (after it was withdrawn: {lifted[-1].reason})"
    return Component(
        kind="result",
        stage=result.stage,
        time_ms=result.time_ms,
        seq=result.seq if last is None else last.seq,
        note=note,
        provenance=result.provenance if last is None else last.provenance,
        first_stage=result.first_stage if result.is_span else None,
        recorded_ms=None if last is None else result.recorded_ms,
        replaced_ms=None if replaced is None else replaced[0],
        replaced_seq=None if replaced is None else replaced[1],
    )
