"""A timing official's slips, worded: a time out of order along a stage, an implausible stage
time, and the flags that record such a time as it is.

The engine finds them (``engine.out_of_order``, ``engine.implausible_times``: facts); this
says what was found in one refusal, with both readings of a time where there are two
(``3:05 read as 0:03:05; did you mean 3:05:00?``), and marks a time recorded in spite of it
in its provenance (``accepted out of order``, ``confirmed though implausible``), which
``standings explain`` and ``standings events`` show. Sheets and the ``record`` command line
both word their refusals here.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ...engine import (
    PLAUSIBLE_RATIO,
    Implausible,
    OutOfOrder,
    View,
    implausible_times,
    number_key,
    out_of_order,
    plausible_range,
    spelled,
)
from ...events import (
    EntryRegistered,
    Event,
    Provenance,
    ResultCorrected,
    StageResultRecorded,
    WaypointCorrected,
    WaypointRecorded,
    format_time,
)

__all__ = [
    "CONFIRMED",
    "NEW_CLASS",
    "OUT_OF_ORDER",
    "allowed",
    "implausible_words",
    "new_class_words",
    "noted",
    "order_words",
    "slips_of_event",
]

CONFIRMED = "time confirmed though implausible"
"""What the provenance of a stage time recorded with ``--confirm`` says."""
OUT_OF_ORDER = "accepted out of order"
"""What the provenance of a time recorded with ``--out-of-order`` says."""


def allowed(refs: Sequence[str], entry: EntryRegistered) -> bool:
    """Whether a flag's values (``201``, ``cars:201``; numbers compared as numbers) name
    ``entry``."""
    for ref in refs:
        category, _, number = ref.strip().rpartition(":")
        if category and category.strip().casefold() != entry.category:
            continue
        if entry.number is not None and number_key(number.strip()) == number_key(entry.number):
            return True
    return False


def noted(provenance: Provenance, note: str) -> Provenance:
    """``provenance`` with ``note`` added to its detail (the file and line stay first)."""
    detail = note if provenance.detail is None else f"{provenance.detail}; {note}"
    return attrs.evolve(provenance, detail=detail)


def _who(entry: EntryRegistered) -> str:
    return f"No. {entry.number}" if entry.number is not None else entry.entry_id


def _where(waypoint: int | None) -> str:
    return "its stage time" if waypoint is None else f"its time at waypoint {waypoint}"


def order_words(found: OutOfOrder, entry: EntryRegistered, flag: str) -> tuple[str, str, str]:
    """(what, expected, received) refusing a time out of order; ``flag`` records it anyway."""
    here = "stage time" if found.waypoint is None else f"time at waypoint {found.waypoint}"
    there = _where(found.other_waypoint)
    source = "in this sheet" if found.other_seq is None else f"record #{found.other_seq}"
    bound = "at or before" if found.later else "at or after"
    what = (
        f"a time out of order: the {here} of {_who(entry)} at stage {found.stage} is "
        f"{'later' if found.later else 'earlier'} than {there}"
    )
    expected = (
        f"a time {bound} {format_time(found.other_ms)} ({there}, {source}), or {flag} to "
        "record it as it is"
    )
    return what, expected, format_time(found.time_ms)


def _other_reading(found: Implausible) -> int | None:
    """The time the same digits would be in the other unit, if that time is plausible: minutes
    and seconds read as hours and minutes (``3:05`` as 3:05:00), or hours and minutes read as
    minutes and seconds (``12:40:00`` as 0:12:40)."""
    low, high = plausible_range(found.median_ms)
    time_ms = found.time_ms
    if found.too_short and time_ms % 1000 == 0:
        minutes, seconds = divmod(time_ms // 1000, 60)
        candidate = (minutes * 60 + seconds) * 60_000
    elif not found.too_short and time_ms % 60_000 == 0:
        hours, minutes = divmod(time_ms // 60_000, 60)
        candidate = (hours * 60 + minutes) * 1000 if hours < 60 else 0
    else:
        return None
    return candidate if low <= candidate <= high else None


def implausible_words(
    found: Implausible, entry: EntryRegistered, text: str | None, flag: str
) -> tuple[str, str, str]:
    """(what, expected, received) refusing an implausible stage time: both readings of the
    time as typed (``text``), and ``flag``, which records it anyway."""
    low, high = plausible_range(found.median_ms)
    part = "a quarter" if PLAUSIBLE_RATIO == 4 else f"1/{PLAUSIBLE_RATIO}"
    side = f"under {part} of" if found.too_short else f"over {PLAUSIBLE_RATIO} times"
    what = (
        f"an implausible stage time: {_who(entry)}'s is {side} the median of the other times in "
        f"{entry.category} at stage {found.stage}"
    )
    expected = (
        f"a time from {format_time(low)} to {format_time(high)} (the median of "
        f"{found.field} other times is {format_time(found.median_ms)}), or {flag} to record it "
        "as it is"
    )
    shown = format_time(found.time_ms)
    received = shown if text is None or text == shown else f"{text} read as {shown}"
    other = _other_reading(found)
    if other is not None:
        received += f"; did you mean {format_time(other)}?"
    return what, expected, received


NEW_CLASS = "a new class declared"
"""What the provenance of an entry whose class was declared new (``--new-class``) says."""


def new_class_words(
    category: str, text: str, known: Sequence[str], flag: str
) -> tuple[str, str, str]:
    """(what, expected, received) refusing a class ``category`` does not have yet (most often
    a typo): the classes it has, and ``flag``, which declares it."""
    expected = (
        f"one of the classes of {category} ({', '.join(known)}), or {flag} to declare it"
        if known
        else f"{flag} to declare it ({category} has no class yet)"
    )
    return f"a new class in {category}", expected, text


def slips_of_event(view: View, event: Event) -> list[tuple[str, str, tuple[str, str, str]]]:
    """The slips of one event a ``record`` command builds, as (the option that records it
    anyway, the note it then adds to the provenance, the words of the refusal)."""
    if isinstance(event, EntryRegistered):
        known = view.classes(event.category)
        if event.entry_class is None or spelled(event.entry_class, known) is not None:
            return []
        words = new_class_words(event.category, event.entry_class, known, "--new-class")
        return [("--new-class", NEW_CLASS, words)]
    if not isinstance(
        event, StageResultRecorded | ResultCorrected | WaypointRecorded | WaypointCorrected
    ):
        return []
    entry = view.entry(event.entry_id)
    if entry is None or view.stage(event.stage) is None:
        return []  # the fold's rules refuse it, and say why
    found: list[tuple[str, str, tuple[str, str, str]]] = []
    if isinstance(event, WaypointRecorded | WaypointCorrected):
        order = out_of_order(view, event.stage, {(event.entry_id, event.waypoint): event.time_ms})
    else:
        held = view.result_index(event.entry_id, event.stage)
        single = (
            event.first_stage is None
            if isinstance(event, StageResultRecorded)
            else held is not None and view.result_span(held)[0] == event.stage
        )
        if not single:
            return []
        times = {event.entry_id: event.time_ms}
        for slip in implausible_times(view, entry.category, event.stage, times):
            found.append(
                ("--confirm", CONFIRMED, implausible_words(slip, entry, None, "--confirm"))
            )
        order = out_of_order(view, event.stage, {}, times)
    for conflict in order[:1]:
        words = order_words(conflict, entry, "--out-of-order")
        found.append(("--out-of-order", OUT_OF_ORDER, words))
    return found
