"""The timing official's slips, found before they count: times out of order along a stage,
and stage times far outside the stage's field.

Both are questions about times not yet recorded (a sheet's rows, one ``record`` command),
asked of the rally as it stands: the engine only finds them and says what it found (facts);
the command line and the sheet imports refuse them, naming the row, unless the official
confirms that the time is right. A log may hold such times (confirmed ones, or ones
recorded before these checks existed): the fold's rules do not refuse them.

* **Order** along a stage, for one crew: its elapsed time at each waypoint is no earlier
  than at the waypoints before, and no later than its stage time (the single-stage result's
  time, before penalties). Equal times are in order.
* **Plausibility** of a stage time: once ``PLAUSIBLE_FIELD`` other crews of its category
  have a time on the stage, a time under ``1/PLAUSIBLE_RATIO`` of their median, or over
  ``PLAUSIBLE_RATIO`` times it, is implausible (``3:05`` typed for 3:05:00 reads as 0:03:05).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping

import attrs

from ._view import View

__all__ = [
    "PLAUSIBLE_FIELD",
    "PLAUSIBLE_RATIO",
    "Implausible",
    "OutOfOrder",
    "disordered",
    "implausible_times",
    "out_of_order",
    "plausible_range",
]

PLAUSIBLE_FIELD = 3
"""How many other times of the stage (in the category) a stage time is weighed against: with
fewer, every time is plausible (the first crews in, a small class of its own)."""
PLAUSIBLE_RATIO = 4
"""A stage time under the median of the others divided by this, or over it multiplied by
this, is implausible: far outside any field seen on a rally-raid special (the winner and the
last finisher of a Dakar special are rarely more than 2.5 times apart), while a slip of the
unit (minutes typed for hours: a factor of 60) is always caught."""


@attrs.frozen
class OutOfOrder:
    """A crew's time that contradicts another of its times on the same stage.

    ``waypoint`` is where the time named is taken (None: the stage time), ``other_waypoint``
    where the time it contradicts is (None: the stage time). ``later`` says which way: the
    time named is later than one further along the stage (True), or earlier than one before
    it (False). ``other_seq`` is the record the other time comes from (None: it is proposed
    with this one, not recorded yet).
    """

    entry_id: str
    number: str | None
    stage: int
    waypoint: int | None
    time_ms: int
    other_waypoint: int | None
    other_ms: int
    other_seq: int | None
    later: bool


@attrs.frozen
class Implausible:
    """A stage time far outside the stage's field: under a quarter of the median of the other
    times of its category on the stage (``too_short``), or over four times it."""

    entry_id: str
    stage: int
    time_ms: int
    median_ms: int
    """The median of the other times (of two middle ones, their mean rounded down)."""
    field: int
    """How many other times the median is of."""
    too_short: bool


def plausible_range(median_ms: int) -> tuple[int, int]:
    """The shortest and the longest plausible time beside a field of median ``median_ms``."""
    return -(-median_ms // PLAUSIBLE_RATIO), median_ms * PLAUSIBLE_RATIO


@attrs.frozen
class _Time:
    waypoint: int | None
    time_ms: int
    seq: int | None
    """The record it comes from (None: proposed)."""


def _times_of(
    view: View,
    entry_id: str,
    stage: int,
    recorded: Mapping[int, int],
    splits: Mapping[int, int],
    result_ms: int | None,
) -> list[_Time]:
    """An entry's times along ``stage`` in order (waypoints, then the stage time): those in
    force (``recorded``: {waypoint: split row}), each replaced by the one proposed for it
    (``splits``: {waypoint: time}; ``result_ms``: its stage time)."""
    entry = view.entry_index(entry_id)
    times: dict[int | None, _Time] = {}
    for waypoint, row in recorded.items():
        split = view.split_state(row)
        if split.withdrawal is None:
            seq = split.corrections[-1].seq if split.corrections else split.seq
            times[waypoint] = _Time(waypoint, split.time_ms, seq)
    result = view.result_row(entry, stage)
    if result is not None and view.result_span(result)[0] == stage:
        state = view.result_state(result)
        seq = state.corrections[-1].seq if state.corrections else state.seq
        times[None] = _Time(None, state.time_ms, seq)
    for waypoint, time_ms in splits.items():
        times[waypoint] = _Time(waypoint, time_ms, None)
    if result_ms is not None:
        times[None] = _Time(None, result_ms, None)
    return sorted(times.values(), key=lambda t: (t.waypoint is None, t.waypoint or 0))


def out_of_order(
    view: View,
    stage: int,
    splits: Mapping[tuple[str, int], int],
    results: Mapping[str, int] | None = None,
) -> list[OutOfOrder]:
    """The proposed times of ``stage`` that contradict another time of the same crew there.

    ``splits`` maps (entry id, waypoint) to a proposed elapsed time, ``results`` an entry id
    to a proposed stage time (before penalties); each replaces the time in force there. A
    proposed time is named when it is earlier than a time before it on the stage, or later
    than one after it (the stage time included); a contradiction between two times already
    recorded is not this question's.
    """
    results = results or {}
    found: list[OutOfOrder] = []
    proposed: dict[str, dict[int, int]] = {}
    for (entry_id, waypoint), time_ms in splits.items():
        proposed.setdefault(entry_id, {})[waypoint] = time_ms
    recorded = view.stage_splits(stage)
    for entry_id in dict.fromkeys([*proposed, *results]):
        peak: _Time | None = None
        named: set[int | None] = set()
        own = recorded.get(view.entry_index(entry_id), {})
        times = _times_of(
            view, entry_id, stage, own, proposed.get(entry_id, {}), results.get(entry_id)
        )
        for item in times:
            if peak is not None and item.time_ms < peak.time_ms:
                if item.seq is None and item.waypoint not in named:
                    named.add(item.waypoint)
                    found.append(_conflict(view, entry_id, stage, item, peak, later=False))
                elif peak.seq is None and item.seq is not None and peak.waypoint not in named:
                    named.add(peak.waypoint)
                    found.append(_conflict(view, entry_id, stage, peak, item, later=True))
            if peak is None or item.time_ms >= peak.time_ms:
                peak = item
    return found


def _conflict(
    view: View, entry_id: str, stage: int, named: _Time, other: _Time, *, later: bool
) -> OutOfOrder:
    entry = view.entry(entry_id)
    return OutOfOrder(
        entry_id=entry_id,
        number=None if entry is None else entry.number,
        stage=stage,
        waypoint=named.waypoint,
        time_ms=named.time_ms,
        other_waypoint=other.waypoint,
        other_ms=other.time_ms,
        other_seq=other.seq,
        later=later,
    )


def disordered(
    view: View, stage: int, waypoint: int, entries: Iterable[int]
) -> tuple[OutOfOrder, ...]:
    """The times in force at waypoint ``waypoint`` of ``stage`` (of entry rows ``entries``)
    that contradict another time of the same crew there: earlier than at a waypoint before,
    or later than at one after (its stage time included). A log holds such a time only where
    it was recorded with ``--out-of-order`` (or before these checks existed); the tables at
    the waypoint say so."""
    here = view.split_times(stage, waypoint)
    others = {number: view.split_times(stage, number) for number in view.waypoints(stage)}
    found = []
    for entry in entries:
        time_ms = here.get(entry)
        if time_ms is None:
            continue
        before = [(t[entry], w) for w, t in others.items() if w < waypoint and entry in t]
        after = [(t[entry], w) for w, t in others.items() if w > waypoint and entry in t]
        result = view.result_row(entry, stage)
        if result is not None and view.result_span(result)[0] == stage:
            after.append((view.result_time(result), 0))
        latest, earliest = max(before, default=None), min(after, default=None)
        if latest is not None and latest[0] > time_ms:
            other, later = latest, False
        elif earliest is not None and earliest[0] < time_ms:
            other, later = earliest, True
        else:
            continue
        entry_id, there = view.entry_at(entry).entry_id, other[1] or None
        recorded = _Time(there, other[0], _seq_of(view, entry_id, stage, there))
        found.append(
            _conflict(view, entry_id, stage, _Time(waypoint, time_ms, None), recorded, later=later)
        )
    return tuple(found)


def _seq_of(view: View, entry_id: str, stage: int, waypoint: int | None) -> int | None:
    """The record the time in force of an entry at a waypoint (None: its stage time) comes
    from."""
    own = view.splits_of(view.entry_index(entry_id), stage)
    times = _times_of(view, entry_id, stage, own, {}, None)
    return next((t.seq for t in times if t.waypoint == waypoint), None)


def implausible_times(
    view: View, category: str, stage: int, proposed: Mapping[str, int]
) -> list[Implausible]:
    """The proposed stage times (entry id -> time, before penalties) of ``category`` at
    ``stage`` far outside the field: the other times there, those in force and those
    proposed with them (see ``PLAUSIBLE_FIELD`` and ``PLAUSIBLE_RATIO``)."""
    field: dict[str, int] = {}
    for entry, result in view.results_ending(category, stage).items():
        if view.result_span(result)[0] == stage:
            field[view.entry_at(entry).entry_id] = view.result_time(result)
    field.update(proposed)
    values = sorted(field.values())
    count = len(values) - 1  # the others of each proposed time (its own is among them)
    if count < PLAUSIBLE_FIELD:
        return []
    found = []
    for entry_id, time_ms in proposed.items():
        own = bisect.bisect_left(values, time_ms)

        def other(k: int, own: int = own) -> int:
            return values[k] if k < own else values[k + 1]

        middle = count // 2
        median = other(middle) if count % 2 else (other(middle - 1) + other(middle)) // 2
        too_short = time_ms * PLAUSIBLE_RATIO < median
        if too_short or time_ms > median * PLAUSIBLE_RATIO:
            found.append(
                Implausible(
                    entry_id=entry_id,
                    stage=stage,
                    time_ms=time_ms,
                    median_ms=median,
                    field=count,
                    too_short=too_short,
                )
            )
    return found
