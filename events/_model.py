"""The event vocabulary: what can happen in a rally, as immutable facts.

Each event is a frozen, slotted attrs class with typed, validated fields and
tuple collections. Events know nothing about msgpack or files: the codec
(``events._codec``) owns the wire format.

Times are integer milliseconds. Entries are referred to by ``entry_id``, a key
unique within the rally (``"cars:203"``); the race number is a separate,
optional field because historical sources do not always give it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import enum
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, TypeAlias, TypeVar

import attrs

from ._clock import MAX_TIME_MS, format_signed, format_time
from ._errors import InvalidEventError

__all__ = [
    "ADJUSTMENT_TYPES",
    "EVENT_TAGS",
    "MAX_COUNT",
    "MAX_DISTANCE_KM",
    "MAX_NUMBER_DIGITS",
    "MAX_STAGE",
    "MAX_TIME_MS",
    "MAX_WAYPOINT",
    "MAX_YEAR",
    "Adjustment",
    "EntryRegistered",
    "EntryRetired",
    "Event",
    "FieldCoverageDeclared",
    "PenaltyImposed",
    "PenaltyRescinded",
    "Person",
    "Provenance",
    "RallyDeclared",
    "ResultCorrected",
    "ResultWithdrawn",
    "SourceKind",
    "StageCancelled",
    "StageKind",
    "StageResultRecorded",
    "StageRule",
    "StageScheduled",
    "TimeCredited",
    "WaypointCorrected",
    "WaypointRecorded",
    "WaypointWithdrawn",
    "as_stored",
    "crew_text",
    "event_fields",
    "refused_character",
    "stored_events",
    "tag_of",
    "who",
]

_SLUG = re.compile(r"[a-z][a-z0-9_-]*")
_NATION = re.compile(r"[A-Z]{3}")


class StageKind(enum.StrEnum):
    """How a stage counts for one category."""

    SPECIAL = "special"
    """A timed special that counts toward the general classification."""
    PROLOGUE = "prologue"
    """Timed, ranked on its own, but not counted in the general classification."""
    LIAISON = "liaison"
    """Untimed: no results are taken."""


class SourceKind(enum.StrEnum):
    """Where a fact comes from."""

    RECORDED = "recorded"
    """Entered by a timing official as it happened."""
    PRINTED = "printed"
    """Printed as such in a source (a stage table, a general classification)."""
    DERIVED = "derived"
    """Computed from printed numbers (a difference of two printed GC times)."""
    NOTE = "note"
    """Stated in a note or the prose of a source."""
    ERRATUM = "erratum"
    """A value that replaces a printed value found to be wrong."""
    INFERRED = "inferred"
    """Decided by an importer's inference from the numbers and the text, not yet reviewed."""
    HYPOTHETICAL = "hypothetical"
    """Not a fact: injected by a what-if question."""
    SYNTHETIC = "synthetic"
    """Generated (demos, tests, benchmarks)."""


# --------------------------------------------------------------------------- bounds

MAX_STAGE = 999
"""The highest stage number (stages are numbered from 0, a prologue)."""
MAX_WAYPOINT = 999
"""The highest waypoint number of a stage (waypoints are numbered from 1)."""
MAX_YEAR = 9999
"""The latest year a rally may be declared for (years are 1 to 9999, as in ISO dates)."""
MAX_DISTANCE_KM = 100_000
"""The longest stage distance, in kilometres."""
MAX_COUNT = 1_000_000
"""The most rows a coverage declaration may say the log holds."""
MAX_NUMBER_DIGITS = 6
"""A race number is 1 to this many ASCII digits."""

# Every bound fits the log's integers (msgpack: 64 bits) with room to add them up; times
# are bounded by MAX_TIME_MS (events._clock), 9999:59:59.999.


# --------------------------------------------------------------------------- reading stored events

_STORED: contextvars.ContextVar[bool] = contextvars.ContextVar("stored_events", default=False)


@contextlib.contextmanager
def stored_events() -> Iterator[None]:
    """Build events read back from a log: the checks added after a log could have been
    written (upper bounds, control characters, ASCII race numbers) are not applied to them,
    so a log an earlier version accepted still reads whole. Every new event is checked
    in full: these checks refuse it before it can be written."""
    token = _STORED.set(True)
    try:
        yield
    finally:
        _STORED.reset(token)


def as_stored(build: Callable[..., _T], *args: Any) -> _T:
    """``build(*args)`` with events built as stored ones (see ``stored_events``), cheaply."""
    token = _STORED.set(True)
    try:
        return build(*args)
    finally:
        _STORED.reset(token)


def _new_event() -> bool:
    """Whether the event being built is a new one (not read back from a log)."""
    return not _STORED.get()


# --------------------------------------------------------------------------- validators


def _fail(instance: object, attribute: attrs.Attribute[Any], expected: str, value: object) -> None:
    raise InvalidEventError(
        "invalid field",
        where=f"{type(instance).__name__}.{attribute.name}",
        expected=expected,
        received=value,
    )


_REORDERING = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""The bidirectional formatting characters: marks, embeddings, overrides and isolates."""


def refused_character(text: str) -> str | None:
    """The first character free text may not hold, or None.

    Refused: control characters (line breaks, tabs, escapes: Unicode Cc), line and
    paragraph separators (Zl, Zp), the bidirectional formatting characters that
    reorder text on screen (U+061C, U+200E/F, U+202A-E, U+2066-9), and lone
    surrogates (not text). Other format characters (a zero-width joiner in an emoji,
    a soft hyphen) are allowed: they neither break a line nor reorder it.
    """
    if text.isprintable():
        return None  # the common case: no Other (C*) or separator (Z*) but the space
    for char in text:
        if char in _REORDERING or unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            return char
    return None


def _text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        _fail(instance, attribute, "a non-empty string", value)
    assert isinstance(value, str)
    char = refused_character(value) if _new_event() else None
    if char is not None:
        name = unicodedata.name(char, "a control character")
        _fail(
            instance,
            attribute,
            "one line of text (no line break, tab, control character or bidi override)",
            f"{value!r}, which holds U+{ord(char):04X} ({name})",
        )


def _optional_text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _text(instance, attribute, value)


def _race_number(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    _text(instance, attribute, value)
    assert isinstance(value, str)
    if _new_event() and not (
        value.isascii() and value.isdigit() and len(value) <= MAX_NUMBER_DIGITS
    ):
        _fail(
            instance,
            attribute,
            f"a race number of 1 to {MAX_NUMBER_DIGITS} ASCII digits such as 203",
            value,
        )


def _slug(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        _fail(instance, attribute, "a lowercase name such as 'cars'", value)


def _int_at_least(
    minimum: int, maximum: int | None = None, *, unit: str = "", expected: str | None = None
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An integer (not a bool) of at least ``minimum`` and, for a new event, at most
    ``maximum``."""
    if expected is None:
        expected = (
            f"an integer >= {minimum}"
            if maximum is None
            else f"an integer from {minimum} to {maximum}{unit}"
        )

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is not int or value < minimum:
            _fail(instance, attribute, expected, value)
        assert isinstance(value, int)
        if maximum is not None and value > maximum and _new_event():
            _fail(instance, attribute, expected, value)

    return check


def _optional(
    check: Callable[[object, attrs.Attribute[Any], object], None],
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def optional_check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            check(instance, attribute, value)

    return optional_check


_NONZERO_EXPECTED = (
    f"a non-zero integer number of milliseconds, from {-MAX_TIME_MS} to {MAX_TIME_MS} "
    f"(±{format_time(MAX_TIME_MS)})"
)


def _nonzero_int(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value == 0:
        _fail(instance, attribute, _NONZERO_EXPECTED, value)
    assert isinstance(value, int)
    if abs(value) > MAX_TIME_MS and _new_event():
        _fail(instance, attribute, _NONZERO_EXPECTED, value)


def _bool(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not bool:
        _fail(instance, attribute, "true or false", value)


def _member(kind: type[enum.Enum]) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            choices = ", ".join(str(m.value) for m in kind)
            _fail(instance, attribute, f"one of {choices}", value)

    return check


def _tuple_of(
    item_type: type, *, non_empty: bool = False, unique: bool = False
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        what = f"a tuple of {item_type.__name__}"
        if not isinstance(value, tuple) or not all(isinstance(i, item_type) for i in value):
            _fail(instance, attribute, what, value)
        assert isinstance(value, tuple)
        if non_empty and not value:
            _fail(instance, attribute, what + " with at least one item", value)
        if unique and len(set(value)) != len(value):
            _fail(instance, attribute, what + " without repeats", value)

    return check


def _iso_date(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    try:
        _dt.date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        _fail(instance, attribute, "an ISO date such as 2004-01-01", value)


def _nation(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not _NATION.fullmatch(value)):
        _fail(instance, attribute, "a three-letter country code such as FRA", value)


_stage_number = _int_at_least(0, MAX_STAGE)
_time = _int_at_least(
    1,
    MAX_TIME_MS,
    expected=f"a time longer than 0:00:00 and at most {format_time(MAX_TIME_MS)} "
    f"(an integer number of milliseconds, 1 to {MAX_TIME_MS})",
)
_count = _int_at_least(0, MAX_COUNT)


# --------------------------------------------------------------------------- value objects


@attrs.frozen
class Person:
    """A crew member: a name and, where known, a three-letter country code."""

    name: str = attrs.field(validator=_text)
    nationality: str | None = attrs.field(default=None, validator=_nation)


@attrs.frozen
class Provenance:
    """Where an event comes from: a kind of source and, optionally, exactly which part."""

    kind: SourceKind = attrs.field(default=SourceKind.RECORDED, validator=_member(SourceKind))
    detail: str | None = attrs.field(default=None, validator=_optional_text)


@attrs.frozen
class StageRule:
    """How one stage counts for one category."""

    category: str = attrs.field(validator=_slug)
    kind: StageKind = attrs.field(validator=_member(StageKind))


_RECORDED = Provenance()


def _provenance() -> Any:
    return attrs.field(default=_RECORDED, validator=attrs.validators.instance_of(Provenance))


# --------------------------------------------------------------------------- the registry

_T = TypeVar("_T")
_TYPES: dict[str, type] = {}
_TAGS: dict[type, str] = {}

EVENT_TAGS: Mapping[str, type] = MappingProxyType(_TYPES)
"""The stored name of every event type, filled by ``@event_type``. Never change a tag."""


def event_type(tag: str) -> Callable[[type[_T]], type[_T]]:
    """Declare an event type: its class is stored under ``tag`` in every log.

    The tag is what a log holds, so renaming the class never orphans a stored
    log; the stored fields are the class's attrs fields, in order, provenance
    apart (``event_fields``). A field added later goes at the end, with a
    default, so that what was written before it still reads.
    """

    def register(cls: type[_T]) -> type[_T]:
        if tag in _TYPES or not _SLUG.fullmatch(tag):
            raise ValueError(f"event tag {tag!r} is taken or not a lowercase-hyphen name")
        _TYPES[tag] = cls
        _TAGS[cls] = tag
        return cls

    return register


def tag_of(event: object) -> str:
    """The pinned tag of an event's type (``"penalty-imposed"``)."""
    return _TAGS[type(event)]


def event_fields(tag: str) -> tuple[str, ...]:
    """The stored fields of an event type, in their pinned order (provenance is stored apart)."""
    return _FIELDS[tag]


def crew_text(crew: Sequence[Person]) -> str:
    """Crew names, driver first, joined with slashes."""
    return " / ".join(person.name for person in crew)


def who(number: str | None, crew: Sequence[Person]) -> str:
    """A crew as a fan names it: ``No. 203 Stéphane Peterhansel``, or the driver's name alone
    when the race number is not known."""
    return f"No. {number} {crew[0].name}" if number else crew[0].name


# --------------------------------------------------------------------------- events


@event_type("rally-declared")
@attrs.frozen(kw_only=True)
class RallyDeclared:
    """The rally exists: the first event of every log."""

    rally_id: str = attrs.field(validator=_slug)
    name: str = attrs.field(validator=_text)
    year: int = attrs.field(validator=_int_at_least(1, MAX_YEAR))
    categories: tuple[str, ...] = attrs.field(validator=_tuple_of(str, non_empty=True, unique=True))
    provenance: Provenance = _provenance()

    @categories.validator
    def _check_categories(self, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        for category in value:
            _slug(self, attribute, category)

    def describe(self) -> str:
        """The event in one line of words."""
        categories = ", ".join(self.categories)
        return f"{self.name} ({self.year}), id {self.rally_id}, categories {categories}"


@event_type("entry-registered")
@attrs.frozen(kw_only=True)
class EntryRegistered:
    """A crew enters a category, with its race number where known."""

    entry_id: str = attrs.field(validator=_text)
    category: str = attrs.field(validator=_slug)
    number: str | None = attrs.field(default=None, validator=_race_number)
    crew: tuple[Person, ...] = attrs.field(validator=_tuple_of(Person, non_empty=True))
    make: str | None = attrs.field(default=None, validator=_optional_text)
    entrant: str | None = attrs.field(default=None, validator=_optional_text)
    entry_class: str | None = attrs.field(
        default=None, validator=_optional_text, metadata={"since": 2}
    )
    """The class the entry competes in within its category (the Dakar's cars: Ultimate,
    Stock, Challenger, SSV), where the rally has classes; added in schema version 2."""
    provenance: Provenance = _provenance()

    def label(self) -> str:
        """The entry as a fan names it (``who``)."""
        return who(self.number, self.crew)

    def describe(self) -> str:
        """The event in one line of words."""
        return (
            f"{self.entry_id}: No. {self.number or '?'} {crew_text(self.crew)}"
            + (f", {self.make}" if self.make else "")
            + (f", entrant {self.entrant}" if self.entrant else "")
            + (f", class {self.entry_class}" if self.entry_class else "")
        )


@event_type("stage-scheduled")
@attrs.frozen(kw_only=True)
class StageScheduled:
    """A stage of the route and, per category, how it counts.

    A category with no rule does not run the stage at all (as a liaison).
    """

    stage: int = attrs.field(validator=_stage_number)
    rules: tuple[StageRule, ...] = attrs.field(validator=_tuple_of(StageRule, non_empty=True))
    date: str | None = attrs.field(default=None, validator=_iso_date)
    start: str | None = attrs.field(default=None, validator=_optional_text)
    finish: str | None = attrs.field(default=None, validator=_optional_text)
    distance_km: int | None = attrs.field(
        default=None, validator=_optional(_int_at_least(1, MAX_DISTANCE_KM, unit=" km"))
    )
    provenance: Provenance = _provenance()

    @rules.validator
    def _check_rules(self, attribute: attrs.Attribute[Any], value: tuple[StageRule, ...]) -> None:
        categories = [rule.category for rule in value]
        if len(set(categories)) != len(categories):
            _fail(self, attribute, "at most one rule per category", value)

    def kind_for(self, category: str) -> StageKind:
        """How this stage counts for ``category`` (liaison when it has no rule)."""
        for rule in self.rules:
            if rule.category == category:
                return rule.kind
        return StageKind.LIAISON

    def describe(self) -> str:
        """The event in one line of words."""
        rules = ", ".join(f"{rule.category} {rule.kind}" for rule in self.rules)
        route = " → ".join(part for part in (self.start, self.finish) if part)
        distance = f"{self.distance_km} km" if self.distance_km else ""
        extra = "; ".join(part for part in (self.date or "", route, distance) if part)
        return f"stage {self.stage}: {rules}" + (f" ({extra})" if extra else "")


@event_type("stage-result-recorded")
@attrs.frozen(kw_only=True)
class StageResultRecorded:
    """An entry's time on a stage, or on a span of consecutive stages.

    With ``first_stage`` set, ``time_ms`` is one combined time over the counted
    stages ``first_stage`` to ``stage`` (a marathon stage, or a source that
    only gives an aggregate); the entry is classified again from ``stage`` on.
    Stages of that range for which the entry already has a result of its own
    (a stage time printed inside the span) are not part of the combined time.
    """

    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    time_ms: int = attrs.field(validator=_time)
    first_stage: int | None = attrs.field(default=None, validator=_optional(_stage_number))
    provenance: Provenance = _provenance()

    @first_stage.validator
    def _check_span(self, attribute: attrs.Attribute[Any], value: int | None) -> None:
        if value is not None and value >= self.stage:
            _fail(self, attribute, f"a stage before stage {self.stage} (or none)", value)

    @property
    def span(self) -> tuple[int, int]:
        """The first and last stage this result covers."""
        return (self.stage if self.first_stage is None else self.first_stage, self.stage)

    def describe(self) -> str:
        """The event in one line of words."""
        first, last = self.span
        span = f"stages {first}–{last} combined" if first != last else f"stage {last}"
        return f"{self.entry_id} {span}: {format_time(self.time_ms)}"


@event_type("result-corrected")
@attrs.frozen(kw_only=True)
class ResultCorrected:
    """Replaces the time of an earlier result (same entry, same last stage).

    The earlier result stays in the log; the correction wins from its sequence on.
    """

    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    time_ms: int = attrs.field(validator=_time)
    reason: str = attrs.field(default="correction", validator=_text)
    provenance: Provenance = _provenance()

    def describe(self) -> str:
        """The event in one line of words."""
        return (
            f"{self.entry_id} stage {self.stage} corrected to "
            f"{format_time(self.time_ms)}: {self.reason}"
        )


@event_type("result-withdrawn")
@attrs.frozen(kw_only=True)
class ResultWithdrawn:
    """Withdraws an earlier result (same entry, same last stage): from this record on the
    entry has no time there (a time recorded for the wrong crew, a DNF entered as a time).

    The result stays in the log; a later ``ResultCorrected`` gives it a time again.
    """

    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    reason: str = attrs.field(validator=_text)
    provenance: Provenance = _provenance()

    def describe(self) -> str:
        """The event in one line of words."""
        return f"{self.entry_id} stage {self.stage} result withdrawn: {self.reason}"


@event_type("penalty-imposed")
@attrs.frozen(kw_only=True)
class PenaltyImposed:
    """Time added to an entry at a stage (negative: a bonus).

    A GC-only penalty leaves the stage ranking as it was and changes only the
    general classification from ``stage`` on.
    """

    penalty_id: str = attrs.field(validator=_text)
    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    amount_ms: int = attrs.field(validator=_nonzero_int)
    reason: str = attrs.field(validator=_text)
    gc_only: bool = attrs.field(default=False, validator=_bool)
    provenance: Provenance = _provenance()

    component: ClassVar[str] = "penalty"
    """What the time it adds is called as a part of an entry's time (``Adjustment``)."""

    @property
    def adjustment_id(self) -> str:
        """The id a rescission names."""
        return self.penalty_id

    @property
    def delta_ms(self) -> int:
        """The time it adds to the entry's (negative: takes away)."""
        return self.amount_ms

    @property
    def in_stage(self) -> bool:
        """Whether it counts in the stage's ranking too, not only in the GC."""
        return not self.gc_only

    def component_note(self) -> str:
        """What it is, as a part of the entry's time."""
        scope = "GC only" if self.gc_only else "stage and GC"
        return f"penalty {self.penalty_id} ({scope}): {self.reason}"

    def describe(self) -> str:
        """The event in one line of words."""
        scope = "GC only" if self.gc_only else "stage and GC"
        return (
            f"{self.penalty_id}: {self.entry_id} at stage {self.stage} "
            f"{format_signed(self.amount_ms)} ({scope}): {self.reason}"
        )


@event_type("time-credited")
@attrs.frozen(kw_only=True)
class TimeCredited:
    """Time given back to an entry at a stage (to a crew that stopped to help an injured
    rider, say): it counts in the stage's ranking and the GC; a rescission withdraws it."""

    credit_id: str = attrs.field(validator=_text)
    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    amount_ms: int = attrs.field(validator=_time)
    reason: str = attrs.field(validator=_text)
    provenance: Provenance = _provenance()

    component: ClassVar[str] = "credit"
    """What the time it gives back is called as a part of an entry's time (``Adjustment``)."""

    @property
    def adjustment_id(self) -> str:
        """The id a rescission names."""
        return self.credit_id

    @property
    def delta_ms(self) -> int:
        """The time it takes from the entry's."""
        return -self.amount_ms

    @property
    def in_stage(self) -> bool:
        """It counts in the stage's ranking too."""
        return True

    def component_note(self) -> str:
        """What it is, as a part of the entry's time."""
        return f"time credit {self.credit_id}: {self.reason}"

    def describe(self) -> str:
        """The event in one line of words."""
        return (
            f"{self.credit_id}: {self.entry_id} at stage {self.stage} credited "
            f"{format_time(self.amount_ms)}: {self.reason}"
        )


@event_type("penalty-rescinded")
@attrs.frozen(kw_only=True)
class PenaltyRescinded:
    """An earlier penalty is withdrawn (on appeal, say); the penalty stays in the log."""

    penalty_id: str = attrs.field(validator=_text)
    reason: str = attrs.field(validator=_text)
    provenance: Provenance = _provenance()

    def describe(self) -> str:
        """The event in one line of words."""
        return f"{self.penalty_id} rescinded: {self.reason}"


@event_type("stage-cancelled")
@attrs.frozen(kw_only=True)
class StageCancelled:
    """A stage is cancelled for some categories, optionally with a time awarded to all.

    ``awarded_ms`` goes to every competitor of those categories still in the
    rally; without it the stage simply does not count.
    """

    stage: int = attrs.field(validator=_stage_number)
    categories: tuple[str, ...] = attrs.field(validator=_tuple_of(str, non_empty=True, unique=True))
    reason: str = attrs.field(validator=_text)
    awarded_ms: int | None = attrs.field(default=None, validator=_optional(_time))
    provenance: Provenance = _provenance()

    @categories.validator
    def _check_categories(self, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        for category in value:
            _slug(self, attribute, category)

    def describe(self) -> str:
        """The event in one line of words."""
        awarded = (
            "" if self.awarded_ms is None else f", {format_time(self.awarded_ms)} awarded to all"
        )
        return (
            f"stage {self.stage} cancelled for {', '.join(self.categories)}{awarded}: {self.reason}"
        )


@event_type("entry-retired")
@attrs.frozen(kw_only=True)
class EntryRetired:
    """An entry leaves the rally at a stage (it has no result from that stage on)."""

    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    reason: str = attrs.field(validator=_text)
    excluded: bool = attrs.field(default=False, validator=_bool)
    provenance: Provenance = _provenance()

    def describe(self) -> str:
        """The event in one line of words."""
        how = "excluded" if self.excluded else "retired"
        return f"{self.entry_id} {how} at stage {self.stage}: {self.reason}"


@event_type("field-coverage-declared")
@attrs.frozen(kw_only=True)
class FieldCoverageDeclared:
    """How much of a stage's classifications the log holds, for partial sources.

    ``stage_known`` / ``gc_known``: the log holds the first *k* rows of the
    stage ranking / of the general classification after this stage (``None``:
    the whole field). Positions beyond *k* are then marked uncertain. With no
    declaration for a stage, the log is taken to hold the whole field.
    """

    category: str = attrs.field(validator=_slug)
    stage: int = attrs.field(validator=_stage_number)
    stage_known: int | None = attrs.field(default=None, validator=_optional(_count))
    gc_known: int | None = attrs.field(default=None, validator=_optional(_count))
    provenance: Provenance = _provenance()

    def describe(self) -> str:
        """The event in one line of words."""

        def known(value: int | None) -> str:
            return "whole field" if value is None else f"top {value}"

        return (
            f"{self.category} stage {self.stage}: log holds stage ranking "
            f"{known(self.stage_known)}, GC {known(self.gc_known)}"
        )


@event_type("waypoint-recorded")
@attrs.frozen(kw_only=True)
class WaypointRecorded:
    """An entry's elapsed time at an intermediate point of a stage (a split).

    Splits are facts of the timing record; they do not count toward any
    classification (the stage result does).
    """

    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    waypoint: int = attrs.field(validator=_int_at_least(1, MAX_WAYPOINT))
    time_ms: int = attrs.field(validator=_time)
    provenance: Provenance = _provenance()

    def describe(self) -> str:
        """The event in one line of words."""
        return (
            f"{self.entry_id} stage {self.stage} waypoint {self.waypoint}: "
            f"{format_time(self.time_ms)}"
        )


@event_type("waypoint-corrected")
@attrs.frozen(kw_only=True)
class WaypointCorrected:
    """Replaces the time of an earlier split (same entry, stage and waypoint), or gives a
    withdrawn one a time again. The earlier split stays in the log; this wins from its
    sequence on."""

    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    waypoint: int = attrs.field(validator=_int_at_least(1, MAX_WAYPOINT))
    time_ms: int = attrs.field(validator=_time)
    reason: str = attrs.field(default="correction", validator=_text)
    provenance: Provenance = _provenance()

    def describe(self) -> str:
        """The event in one line of words."""
        return (
            f"{self.entry_id} stage {self.stage} waypoint {self.waypoint} corrected to "
            f"{format_time(self.time_ms)}: {self.reason}"
        )


@event_type("waypoint-withdrawn")
@attrs.frozen(kw_only=True)
class WaypointWithdrawn:
    """Withdraws an earlier split: from this record on the entry has no time at that
    waypoint. The split stays in the log; a later ``WaypointCorrected`` gives it a time
    again."""

    entry_id: str = attrs.field(validator=_text)
    stage: int = attrs.field(validator=_stage_number)
    waypoint: int = attrs.field(validator=_int_at_least(1, MAX_WAYPOINT))
    reason: str = attrs.field(validator=_text)
    provenance: Provenance = _provenance()

    def describe(self) -> str:
        """The event in one line of words."""
        return (
            f"{self.entry_id} stage {self.stage} waypoint {self.waypoint} withdrawn: {self.reason}"
        )


Event: TypeAlias = (
    RallyDeclared
    | EntryRegistered
    | StageScheduled
    | StageResultRecorded
    | ResultCorrected
    | ResultWithdrawn
    | PenaltyImposed
    | TimeCredited
    | PenaltyRescinded
    | StageCancelled
    | EntryRetired
    | FieldCoverageDeclared
    | WaypointRecorded
    | WaypointCorrected
    | WaypointWithdrawn
)
"""Any event of the vocabulary."""

Adjustment: TypeAlias = PenaltyImposed | TimeCredited
"""An event that adds time to an entry at a stage, or takes it away: it has an
``adjustment_id`` (what a rescission names), an ``entry_id`` and a ``stage``, a signed
``delta_ms``, ``in_stage`` (it counts in the stage's ranking too), a ``reason``, a
``component`` kind (``engine.COMPONENT_KINDS``) and a ``component_note()``. The fold keeps
them all alike; adding such an event type is declaring it here."""
ADJUSTMENT_TYPES: tuple[type[Adjustment], ...] = (PenaltyImposed, TimeCredited)
"""The event types that are adjustments (``Adjustment``), in the order their component kinds
are counted."""


_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        tag: tuple(field.name for field in attrs.fields(cls) if field.name != "provenance")
        for tag, cls in _TYPES.items()
    }
)
