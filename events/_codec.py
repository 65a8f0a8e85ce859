"""The wire format: one cattrs converter, pinned type tags, versioned records.

A record is a msgpack map ``{"seq": int, "v": int, "at": str | None, "event":
{"type": tag, ...fields}}``. The tag of each event class is pinned in
``EVENT_TAGS`` (renaming a class never orphans a stored log) and ``v`` is the
schema version the record was written with. Records of an older version are
upcast on read, one version step at a time, by the functions registered in
the codec; records of a newer version are refused.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import msgpack

from ._errors import InvalidEventError, RallyError, SchemaError

if TYPE_CHECKING:
    import cattrs
from ._model import (
    EVENT_TAGS,
    Event,
    SourceKind,
    StageKind,
    stored_events,
    tag_of,
)

__all__ = [
    "CODEC",
    "SCHEMA_VERSION",
    "Codec",
    "Record",
    "Upcaster",
    "checked_tag",
    "invalid_event",
]

SCHEMA_VERSION = 2
"""The newest schema version this code reads and writes.

Version 2 added ``EntryRegistered.entry_class``. A record or frame is written in the
oldest version that holds it: one whose version-2 fields are all at their defaults is
written as version 1, byte for byte as before, so a log without classes stays readable by
a version-1 reader, which refuses (as "written by a newer version") only what it would
misread."""


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the raw fields of one event type from schema version v into v + 1."""


@attrs.frozen
class Record:
    """One entry of the log: the event, its sequence number and when it was recorded."""

    seq: int
    event: Event
    recorded_at: str | None = None

    @property
    def type(self) -> str:
        """The event's pinned tag."""
        return tag_of(self.event)


def _strict(kind: type) -> Callable[[object, type], object]:
    """cattrs converts by default (``int("5")``, ``str(5)``); stored data must already match.

    Registered by class, so the str hook also receives the ``StrEnum`` kinds
    (subclasses of str); those are looked up by value.
    """

    def structure(value: object, cl: type) -> object:
        if type(value) is not kind:
            raise InvalidEventError(
                "wrong type", expected=f"a value of type {kind.__name__}", received=value
            )
        if cl is not kind and issubclass(cl, enum.Enum):
            try:
                return cl(value)
            except ValueError:
                choices = ", ".join(str(member.value) for member in cl)
                raise InvalidEventError(
                    "unknown value", expected=f"one of {choices}", received=value
                ) from None
        return value

    return structure


def _enum_value(member: enum.Enum) -> object:
    return member.value


def _make_converter() -> cattrs.Converter:
    import cattrs  # imported on first use: reading a log mostly does without it
    from cattrs.strategies import configure_tagged_union

    converter = cattrs.Converter(forbid_extra_keys=True)
    for kind in (str, int, bool):
        converter.register_structure_hook(kind, _strict(kind))
    for kind_enum in (StageKind, SourceKind):
        converter.register_unstructure_hook(kind_enum, _enum_value)
    tags = {cls: tag for tag, cls in EVENT_TAGS.items()}
    configure_tagged_union(Event, converter, tag_generator=tags.__getitem__, tag_name="type")
    return converter


def _first_rally_error(error: BaseException, path: str = "") -> tuple[RallyError, str] | None:
    """The first of our own errors inside cattrs' exception groups, with its field path."""
    if isinstance(error, RallyError):
        return error, path
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            step = ""
            for note in getattr(inner, "__notes__", ()):
                name = getattr(note, "name", None)
                index = getattr(note, "index", None)
                if name is not None:
                    step = f".{name}"
                elif index is not None:
                    step = f"[{index}]"
            found = _first_rally_error(inner, path + step)
            if found is not None:
                return found
    return None


class Codec:
    """Encodes events and records to msgpack and back, upcasting old records.

    ``upcasters`` maps ``(tag, version)`` to the function that lifts that
    event type's fields from ``version`` to ``version + 1``; a type with no
    entry for a step is unchanged by it.
    """

    def __init__(
        self,
        *,
        schema_version: int = SCHEMA_VERSION,
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> None:
        self.schema_version = schema_version
        self._upcasters = dict(upcasters or {})
        self._converter: cattrs.Converter | None = None

    @property
    def converter(self) -> cattrs.Converter:
        """The one cattrs converter that owns the event wire format (built on first use)."""
        if self._converter is None:
            self._converter = _make_converter()
        return self._converter

    # ---------------------------------------------------------------- events

    def unstructure(self, event: Event) -> dict[str, Any]:
        """An event as plain data: ``{"type": tag, field: value, ...}``."""
        data: dict[str, Any] = self.converter.unstructure(event, Event)
        return data

    def structure(self, data: Mapping[str, Any], *, where: str = "event") -> Event:
        """Plain data back to an event, validated; the tag must be a known one."""
        if not isinstance(data, Mapping):
            raise _not_a_map(data, where)
        tag = checked_tag(data.get("type"), where)
        try:
            event: Event = self.converter.structure(dict(data), Event)  # type: ignore[arg-type]
        except Exception as error:
            found = _first_rally_error(error)
            if found is not None:
                inner, path = found
                raise invalid_event(inner, f"{where}, {inner.where or f'{tag}{path}'}") from error
            import cattrs

            detail = (
                "; ".join(cattrs.transform_error(error))
                if isinstance(error, cattrs.BaseValidationError)
                else str(error)
            )
            raise InvalidEventError(
                f"malformed {tag} event",
                where=where,
                expected="the fields of " + str(tag),
                received=detail,
            ) from error
        return event

    # ---------------------------------------------------------------- records

    def encode(self, record: Record) -> bytes:
        """A record as msgpack bytes, in the oldest schema version that holds it.

        A field added in a later version (``metadata={"since": N}``) is left out while it
        holds its default, and the record is then written in the version before it.
        """
        event = self.unstructure(record.event)
        version = self.base_version
        for field in attrs.fields(type(record.event)):
            since = int(field.metadata.get("since", 1))
            if since > 1:
                if getattr(record.event, field.name) == field.default:
                    event.pop(field.name, None)
                else:
                    version = max(version, since)
        payload = {
            "seq": record.seq,
            "v": version,
            "at": record.recorded_at,
            "event": event,
        }
        packed: bytes = msgpack.packb(payload, use_bin_type=True)
        return packed

    def decode(self, payload: bytes, *, where: str = "record") -> Record:
        """msgpack bytes back to a record, upcast to the current schema version.

        Raises ``SchemaError`` for a version newer than this code and
        ``InvalidEventError`` for anything else that is not a valid record.
        """
        try:
            raw = msgpack.unpackb(payload, raw=False, strict_map_key=True, use_list=False)
        except Exception as error:
            raise InvalidEventError(
                "not a msgpack record",
                where=where,
                expected="a msgpack map",
                received=f"{type(error).__name__}: {error}",
            ) from error
        if not isinstance(raw, dict) or set(raw) != {"seq", "v", "at", "event"}:
            shown = sorted(map(str, raw)) if isinstance(raw, dict) else type(raw).__name__
            raise InvalidEventError(
                "malformed record envelope",
                where=where,
                expected="a map with keys at, event, seq, v",
                received=shown,
            )
        seq, version, recorded_at, event_data = raw["seq"], raw["v"], raw["at"], raw["event"]
        if type(seq) is not int or seq < 1:
            raise InvalidEventError(
                "bad sequence number", where=where, expected="an integer >= 1", received=seq
            )
        if recorded_at is not None and not isinstance(recorded_at, str):
            raise InvalidEventError(
                "bad recording time",
                where=where,
                expected="an ISO-8601 string or nil",
                received=recorded_at,
            )
        self.check_version(version, where)
        event_dict = self._upcast(event_data, version, where)
        with stored_events():
            event = self.structure(event_dict, where=where)
        return Record(seq=seq, event=event, recorded_at=recorded_at)

    def check_version(self, version: object, where: str) -> int:
        """A record's or frame's schema version: a whole number this codec can read."""
        if type(version) is not int or version < 1:
            raise SchemaError(
                "bad schema version", where=where, expected="an integer >= 1", received=version
            )
        if version > self.schema_version:
            raise SchemaError(
                "record written by a newer version of this software",
                where=where,
                expected=f"schema version <= {self.schema_version}",
                received=version,
            )
        return version

    @property
    def base_version(self) -> int:
        """The oldest schema version any event can still be written in.

        One after the last version step an upcaster changes: records written
        before it would read differently. A frame is written in this version,
        or in the version of the newest field it holds (``events._frames``).
        """
        return max((step + 1 for _, step in self._upcasters), default=1)

    def needs_upcast(self, tag: str, version: int) -> bool:
        """Whether an event of type ``tag`` written at ``version`` changes on its way up."""
        if not self._upcasters or version >= self.schema_version:
            return False
        return any((tag, step) in self._upcasters for step in range(version, self.schema_version))

    def upcast_fields(self, data: object, version: int, where: str) -> dict[str, Any]:
        """An event's raw fields (with ``"type"``) lifted from ``version`` to the current one."""
        return self._upcast(data, version, where)

    def _upcast(self, data: object, version: int, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise _not_a_map(data, where)
        try:
            event: dict[str, Any] = _thaw(data)
        except InvalidEventError as error:
            raise invalid_event(error, where) from None
        tag = event.get("type")
        for step in range(version, self.schema_version):
            upcaster = self._upcasters.get((str(tag), step))
            if upcaster is not None:
                event = upcaster(event)
        return event


def checked_tag(tag: object, where: str) -> str:
    """A record's event type tag, refused unless an event type has it."""
    if tag not in EVENT_TAGS:
        raise SchemaError.unknown("unknown event type", EVENT_TAGS, tag, where=where)
    return str(tag)


def invalid_event(error: RallyError, where: str) -> InvalidEventError:
    """``error`` (a field's validator's, say) as an invalid event found at ``where``."""
    return InvalidEventError(
        error.what, where=where, expected=error.expected, received=error.received
    )


def _not_a_map(data: object, where: str) -> InvalidEventError:
    """The error for event data that is not a map (``data`` names its type)."""
    return InvalidEventError(
        "an event must be a map", where=where, expected="a map", received=type(data).__name__
    )


MAX_NESTING = 8
"""Events nest a few levels (event, crew, person); anything deeper is not an event."""


def _thaw(value: Any, depth: int = 0) -> Any:
    """msgpack with ``use_list=False`` gives tuples; events want tuples, dicts stay dicts.

    Refuses nesting deeper than any event has, before recursion could run deep.
    """
    if depth > MAX_NESTING:
        raise InvalidEventError(
            "record nested too deeply",
            expected=f"at most {MAX_NESTING} levels",
            received="more",
        )
    if isinstance(value, dict):
        return {key: _thaw(item, depth + 1) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_thaw(item, depth + 1) for item in value)
    return value


CODEC = Codec()
"""The codec every log of this version reads and writes with."""
