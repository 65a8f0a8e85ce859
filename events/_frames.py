"""Frames: the batched, column-wise wire form of log format 2.

One append writes one frame: every event of the batch, grouped into *runs*
of consecutive events of one type, each run stored column by column (one list
per field, in the order pinned in ``FIELD_ORDER``). Provenances and recording
times repeat from event to event, so each frame holds a table of the distinct
ones and the runs hold indexes into it. A frame is the msgpack array::

    [first_seq, schema_version, recorded_at_table, provenance_table, runs]
    run = [tag, count, column_1, ..., column_k, provenance_indexes, recorded_at_indexes]

where an index column may be a single integer when every event of the run
shares it. Decoding a frame is one msgpack call; events are built from it only
when asked for (``Frame.records``), and the fold can read the columns of the
hottest runs directly.
"""

from __future__ import annotations

import array
import enum
import functools
import sys
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs
import msgpack

from ._codec import CODEC, Codec, Record, checked_tag, invalid_event
from ._errors import InvalidEventError, RallyError
from ._model import (
    EVENT_TAGS,
    Event,
    Provenance,
    SourceKind,
    as_stored,
    event_fields,
    stored_events,
    tag_of,
)

__all__ = [
    "Frame",
    "Run",
    "all_positive",
    "as_list",
    "decode_frame",
    "distinct_values",
    "encode_frame",
    "mapped",
    "single_value",
]


# ---------------------------------------------------------------------- typed columns
#
# A column is a msgpack array, or one of three extension types that keep long runs
# compact and cheap to decode and check (the values are the same either way):
#   1  POSITIVE  integers >= 1, stored as little-endian uint32 of (value - 1)
#   2  CONSTANT  one integer repeated: msgpack [value, count]
#   3  STRINGS   dictionary-encoded strings: msgpack [table, width, indexes]; indexes are
#                little-endian unsigned integers of `width` bytes (1 or 2), and the table
#                is padded (repeating its first string) to 256 or a multiple of 256, so
#                an index is valid exactly when its high byte is below len(table) / 256.
_POSITIVE, _CONSTANT, _STRINGS = 1, 2, 3
_PACK_FROM = 8  # shorter columns stay plain arrays
_BIG_ENDIAN = sys.byteorder == "big"


class Positive(Sequence[int]):
    """A column of integers >= 1, backed by a packed array."""

    __slots__ = ("_stored",)

    def __init__(self, stored: array.array[int]) -> None:
        self._stored = stored

    def __len__(self) -> int:
        return len(self._stored)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [value + 1 for value in self._stored[index]]
        return self._stored[index] + 1

    def __iter__(self) -> Iterator[int]:
        return (value + 1 for value in self._stored)


class Constant(Sequence[int]):
    """A column holding one integer ``length`` times."""

    __slots__ = ("length", "value")

    def __init__(self, value: int, length: int) -> None:
        self.value = value
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.value] * len(range(*index.indices(self.length)))
        if not -self.length <= index < self.length:
            raise IndexError(index)
        return self.value


class Strings(Sequence[str]):
    """A dictionary-encoded column of strings: a small table and one index per value."""

    __slots__ = ("indexes", "table")

    def __init__(self, table: tuple[str, ...], indexes: array.array[int]) -> None:
        self.table = table
        self.indexes = indexes

    def __len__(self) -> int:
        return len(self.indexes)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.table[i] for i in self.indexes[index]]
        return self.table[self.indexes[index]]

    def __iter__(self) -> Iterator[str]:
        table = self.table
        return (table[i] for i in self.indexes)


def _pack_column(values: list[Any]) -> Any:
    """The compact form of a column where one fits, else the values as they are."""
    if len(values) < _PACK_FROM:
        return values
    kinds = set(map(type, values))
    if kinds == {int}:
        first = values[0]
        if values.count(first) == len(values):
            return msgpack.ExtType(_CONSTANT, msgpack.packb([first, len(values)]))
        if min(values) >= 1 and max(values) <= 1 << 32:
            stored = array.array("I", [value - 1 for value in values])
            if _BIG_ENDIAN:
                stored.byteswap()
            return msgpack.ExtType(_POSITIVE, stored.tobytes())
    if kinds == {str}:
        table = list(dict.fromkeys(values))
        if len(table) <= 1 << 16 and len(table) < len(values):
            slot = {value: index for index, value in enumerate(table)}
            width = 1 if len(table) <= 256 else 2
            size = 256 if width == 1 else -(-len(table) // 256) * 256
            table += [table[0]] * (size - len(table))
            indexes = array.array("B" if width == 1 else "H", [slot[v] for v in values])
            if _BIG_ENDIAN:
                indexes.byteswap()
            return msgpack.ExtType(_STRINGS, msgpack.packb([table, width, indexes.tobytes()]))
    return values


def _unpack_column(code: int, data: bytes) -> Any:
    """msgpack's ext hook: a typed column back to a sequence, checked; errors as ValueError."""
    if code == _POSITIVE:
        if len(data) % 4:
            raise ValueError("a packed column of uint32 with a stray byte")
        stored = array.array("I")
        stored.frombytes(data)
        if _BIG_ENDIAN:
            stored.byteswap()
        return Positive(stored)
    if code == _CONSTANT:
        value, count = msgpack.unpackb(data, use_list=False)
        if type(value) is not int or type(count) is not int or count < 0:
            raise ValueError("a constant column needs [integer, count]")
        return Constant(value, count)
    if code == _STRINGS:
        table, width, raw = msgpack.unpackb(data, raw=False, use_list=False)
        if (
            not isinstance(table, tuple)
            or not table
            or not all(type(item) is str for item in table)
            or width not in (1, 2)
            or not isinstance(raw, bytes)
            or len(raw) % width
            or len(table) % 256
            or (width == 1 and len(table) != 256)
        ):
            raise ValueError("a dictionary-encoded column of strings is malformed")
        if width == 2 and raw[1::2].translate(None, bytes(range(len(table) // 256))):
            raise ValueError("a dictionary index points past the table")
        indexes = array.array("B" if width == 1 else "H")
        indexes.frombytes(raw)
        if _BIG_ENDIAN:
            indexes.byteswap()
        return Strings(table, indexes)
    raise ValueError(f"unknown column type {code}")


def _indexes(values: Sequence[int]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else list(values)


# ---------------------------------------------------------------------- fields, generically
#
# The stored shape of an event type is its attrs fields in order (``event_fields``). A
# field whose type is plain (str, int, bool, None, a tuple of those) is stored as it is;
# a nested one (an enum, an attrs value, a tuple of attrs values) as the codec's converter
# unstructures it, and read back by a reader derived from the type. A field added later
# carries ``metadata={"since": N}`` and a default: runs written before it lack its column
# and read the default, and a run whose values are all the default is written without it,
# in the schema version of the fields it does hold.


class _Fallback(Exception):
    """A stored value not in the plain shape: the general (cattrs) path takes it."""


_Reader = Callable[[Any], Any]


class _Plain(enum.Enum):
    """A type that is neither optional nor a tuple (``_nested``'s answer for it)."""

    PLAIN = enum.auto()


def _nested(
    kind: Any,
    derive: Callable[[Any], _Reader | None],
    each: Callable[[_Reader], _Reader],
) -> _Reader | _Plain | None:
    """The converter of an optional type (``T | None``) or a tuple type (``tuple[T, ...]``),
    from ``derive`` of ``T`` (``each`` turns it into the tuple's): ``None`` where ``T`` is
    stored as it is, or for a union of several types; ``_Plain.PLAIN`` for any other ``kind``."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        convert = derive(inner[0]) if len(inner) == 1 else None
        if convert is None:
            return None
        return lambda value: None if value is None else convert(value)
    if origin is tuple:
        item = derive(typing.get_args(kind)[0])
        return None if item is None else each(item)
    return _Plain.PLAIN


def _read_each(item: _Reader) -> _Reader:
    def read_tuple(value: Any) -> Any:
        if not isinstance(value, tuple):
            raise _Fallback
        return tuple(item(element) for element in value)

    return read_tuple


def _reader(kind: Any) -> _Reader | None:
    """How to turn a stored value into a field of type ``kind`` (``None``: as it is)."""
    nested = _nested(kind, _reader, _read_each)
    if nested is not _Plain.PLAIN:
        return nested
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        members = {member.value: member for member in kind}

        def read_member(value: Any) -> Any:
            member = members.get(value) if isinstance(value, str) else None
            if member is None:
                raise _Fallback
            return member

        return read_member
    if isinstance(kind, type) and attrs.has(kind):
        attrs.resolve_types(kind)
        readers = {field.name: _reader(field.type) for field in attrs.fields(kind)}
        names = readers.keys()

        def read_value(value: Any) -> Any:
            if not isinstance(value, dict) or value.keys() != names:
                raise _Fallback
            return kind(
                **{
                    name: value[name] if read is None else read(value[name])
                    for name, read in readers.items()
                }
            )

        return read_value
    return None


def _writer(kind: Any) -> _Reader | None:
    """How to store a field of type ``kind`` as plain data (``None``: as it is).

    The mirror of ``_reader``: enums by value, attrs values as maps of their
    fields, tuples as lists; exactly what the codec's converter unstructures
    them to, without it.
    """
    nested = _nested(kind, _writer, lambda item: lambda value: [item(e) for e in value])
    if nested is not _Plain.PLAIN:
        return nested
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return lambda value: value.value
    if isinstance(kind, type) and attrs.has(kind):
        attrs.resolve_types(kind)
        writers = [(field.name, _writer(field.type)) for field in attrs.fields(kind)]

        def write_value(value: Any) -> Any:
            return {
                name: getattr(value, name) if write is None else write(getattr(value, name))
                for name, write in writers
            }

        return write_value
    return None


@attrs.frozen
class _Shape:
    """How one event type is stored: its fields, their readers, defaults and versions."""

    cls: type
    fields: tuple[str, ...]
    readers: tuple[_Reader | None, ...]
    writers: tuple[_Reader | None, ...]
    defaults: tuple[Any, ...]
    """Each field's default (``attrs.NOTHING`` where it has none)."""
    since: tuple[int, ...]
    """The schema version each field was added in."""

    @property
    def required(self) -> int:
        """How many leading columns every run of this type holds."""
        count = len(self.fields)
        while count and self.since[count - 1] > 1:
            count -= 1
        return count


@functools.cache
def _shape(tag: str) -> _Shape:
    cls = EVENT_TAGS[tag]
    attrs.resolve_types(cls)
    fields = {field.name: field for field in attrs.fields(cls)}
    names = event_fields(tag)
    return _Shape(
        cls=cls,
        fields=names,
        readers=tuple(_reader(fields[name].type) for name in names),
        writers=tuple(_writer(fields[name].type) for name in names),
        defaults=tuple(fields[name].default for name in names),
        since=tuple(int(fields[name].metadata.get("since", 1)) for name in names),
    )


def _stored_columns(shape: _Shape, columns: list[list[Any]]) -> list[list[Any]]:
    """The columns a run is written with: trailing later-added fields left out while default."""
    count = len(columns)
    while count > shape.required and all(v == shape.defaults[count - 1] for v in columns[-1]):
        columns = columns[:-1]
        count -= 1
    return columns


def encode_frame(records: Sequence[Record], *, codec: Codec = CODEC) -> bytes:
    """The msgpack payload of one frame holding ``records`` (consecutive seqs)."""
    if not records:
        raise InvalidEventError("empty frame", expected="at least one record", received=0)
    ats: dict[str | None, int] = {}
    provenances: dict[Provenance, int] = {}
    runs: list[list[Any]] = []
    version = codec.base_version
    index = 0
    while index < len(records):
        tag = tag_of(records[index].event)
        end = index
        while end < len(records) and tag_of(records[end].event) == tag:
            end += 1
        chunk = records[index:end]
        shape = _shape(tag)
        columns = []
        for field, write in zip(shape.fields, shape.writers, strict=True):
            values = [getattr(record.event, field) for record in chunk]
            if write is not None:
                values = [write(value) for value in values]
            columns.append(values)
        columns = _stored_columns(shape, columns)
        version = max(version, *shape.since[: len(columns)])
        prov = [provenances.setdefault(r.event.provenance, len(provenances)) for r in chunk]
        at = [ats.setdefault(r.recorded_at, len(ats)) for r in chunk]
        packed = [_pack_column(column) for column in columns]
        runs.append([tag, len(chunk), *packed, _indexes(prov), _indexes(at)])
        index = end
    payload = [
        records[0].seq,
        version,
        list(ats),
        [[str(p.kind), p.detail] for p in provenances],
        runs,
    ]
    packed_frame: bytes = msgpack.packb(payload, use_bin_type=True)
    return packed_frame


@attrs.frozen
class Run:
    """Consecutive events of one type in a frame, column by column."""

    tag: str
    first_seq: int
    count: int
    columns: tuple[Sequence[Any], ...]
    """One column per stored field, in ``event_fields`` order (a later field may be absent)."""
    provenance: tuple[int, ...] | int
    recorded_at: tuple[int, ...] | int

    def column(self, field: str) -> Sequence[Any]:
        """The values of one field, in seq order (its default where the run predates it)."""
        index = _shape(self.tag).fields.index(field)
        if index < len(self.columns):
            return self.columns[index]
        return (_shape(self.tag).defaults[index],) * self.count

    def provenance_index(self, offset: int) -> int:
        """Index into the frame's provenance table of the event at ``offset``."""
        return self.provenance if isinstance(self.provenance, int) else self.provenance[offset]

    def at_index(self, offset: int) -> int:
        """Index into the frame's recording-time table of the event at ``offset``."""
        return self.recorded_at if isinstance(self.recorded_at, int) else self.recorded_at[offset]


@attrs.frozen
class Frame:
    """One decoded frame: its runs, and the tables their indexes point into."""

    first_seq: int
    count: int
    schema_version: int
    recorded_at: tuple[str | None, ...]
    provenances: tuple[Provenance, ...]
    runs: tuple[Run, ...]
    codec: Codec = attrs.field(default=CODEC, eq=False, repr=False)

    @property
    def last_seq(self) -> int:
        """The sequence number of the frame's last event."""
        return self.first_seq + self.count - 1

    def records(
        self, *, where: str = "frame", limit: int | None = None, since: int = 0
    ) -> Iterator[Record]:
        """The frame's events as records (the first ``limit`` of them, from record ``since``
        on: those before it are not built), fully validated."""
        remaining = self.count if limit is None else min(limit, self.count)
        for run in self.runs:
            if remaining <= 0:
                return
            skipped = min(max(0, since - run.first_seq), run.count)
            for offset in range(skipped, min(run.count, remaining)):
                seq = run.first_seq + offset
                event = as_stored(self._event_at, run, offset, f"{where}, record seq {seq}")
                yield Record(
                    seq=seq, event=event, recorded_at=self.recorded_at[run.at_index(offset)]
                )
            remaining -= run.count

    def source_kinds(self, *, limit: int | None = None) -> Counter[SourceKind]:
        """How many of the frame's events (the first ``limit``) come from each kind of
        source, read from the provenance columns without building an event."""
        counts: Counter[SourceKind] = Counter()
        remaining = self.count if limit is None else min(limit, self.count)
        for run in self.runs:
            if remaining <= 0:
                break
            taken = min(run.count, remaining)
            if isinstance(run.provenance, int):
                counts[self.provenances[run.provenance].kind] += taken
            else:
                for index, times in Counter(run.provenance[:taken]).items():
                    counts[self.provenances[index].kind] += times
            remaining -= taken
        return counts

    def run_events(self, run: Run, *, where: str = "frame", vouched: bool = False) -> list[Event]:
        """Every event of ``run``, built and validated (as stored events), in one pass.

        The same events as ``event_at`` for each offset, built column by column
        without its per-event bookkeeping; on any trouble it falls back to
        ``event_at``, which says exactly which event is wrong. ``vouched``: the
        frame holds events this code validated before writing them, and a checksum
        over the bytes says they are those (a checkpoint): they are built without
        running their validators again.
        """
        shape = _shape(run.tag)
        if self.codec.needs_upcast(run.tag, self.schema_version):
            return [
                self.event_at(run, i, where=f"{where}, record seq {run.first_seq + i}")
                for i in range(run.count)
            ]
        table = self.provenances
        indexes = run.provenance
        provenances = (
            [table[indexes]] * run.count
            if isinstance(indexes, int)
            else [table[i] for i in indexes]
        )
        columns = [as_list(column) for column in run.columns]
        columns += [[default] * run.count for default in shape.defaults[len(columns) :]]
        cls, names, readers = shape.cls, shape.fields, shape.readers
        flat = all(read is None for read in readers)

        def build() -> list[Event]:
            if vouched:
                return [
                    _vouched(
                        cls,
                        (
                            (name, value if read is None else read(value))
                            for name, read, value in zip(names, readers, values, strict=True)
                        ),
                        provenance,
                    )
                    for values, provenance in zip(
                        zip(*columns, strict=True), provenances, strict=True
                    )
                ]
            if flat:
                return [
                    cls(**dict(zip(names, values, strict=True)), provenance=provenance)
                    for values, provenance in zip(
                        zip(*columns, strict=True), provenances, strict=True
                    )
                ]
            return [
                cls(
                    **{
                        name: value if read is None else read(value)
                        for name, read, value in zip(names, readers, values, strict=True)
                    },
                    provenance=provenance,
                )
                for values, provenance in zip(zip(*columns, strict=True), provenances, strict=True)
            ]

        try:
            return as_stored(build)
        except (_Fallback, RallyError, TypeError):
            return [
                self.event_at(run, i, where=f"{where}, record seq {run.first_seq + i}")
                for i in range(run.count)
            ]

    def event_at(self, run: Run, offset: int, *, where: str = "frame") -> Event:
        """The event at ``offset`` of ``run``, built and validated as a stored event
        (``stored_events``: what an earlier version wrote still reads)."""
        return as_stored(self._event_at, run, offset, where)

    def _event_at(self, run: Run, offset: int, where: str) -> Event:
        provenance = self.provenances[run.provenance_index(offset)]
        shape = _shape(run.tag)
        stored = [column[offset] for column in run.columns]
        values = stored + list(shape.defaults[len(stored) :])
        if not self.codec.needs_upcast(run.tag, self.schema_version):
            try:
                fields = {
                    name: value if read is None else read(value)
                    for name, read, value in zip(shape.fields, shape.readers, values, strict=True)
                }
                event: Event = shape.cls(**fields, provenance=provenance)
            except _Fallback:
                pass
            except RallyError as error:
                raise invalid_event(error, f"{where}, {error.where}") from None
            else:
                return event
        data = self.codec.upcast_fields(
            {
                "type": run.tag,
                **dict(zip(shape.fields, values, strict=True)),
                "provenance": {"kind": str(provenance.kind), "detail": provenance.detail},
            },
            self.schema_version,
            where,
        )
        return self.codec.structure(data, where=where)


# ---------------------------------------------------------------------- reading columns


def single_value(column: Sequence[object]) -> int | None:
    """The one integer every item of a column holds, or None."""
    if isinstance(column, Constant):
        return column.value
    distinct = set(column)
    if len(distinct) != 1:
        return None
    (value,) = distinct
    return value if type(value) is int else None


def distinct_values(column: Sequence[object]) -> Iterable[object]:
    """At least every value a column holds (a dictionary-encoded column: its table)."""
    return column.table if isinstance(column, Strings) else column


def as_list(column: Sequence[Any]) -> list[Any]:
    """A column's values as a list, at C speed for the packed kinds."""
    if isinstance(column, Positive):
        return list(map((1).__add__, column._stored))
    if isinstance(column, Constant):
        return [column.value] * column.length
    if isinstance(column, Strings):
        return list(map(column.table.__getitem__, column.indexes))
    return list(column)


def mapped(column: Sequence[Any], mapping: dict[Any, Any]) -> list[Any] | None:
    """Each value of a column looked up in ``mapping`` (``None`` if one is missing)."""
    if isinstance(column, Strings):
        table = [mapping.get(value) for value in column.table]
        if None in table:  # every table value is used (the padding repeats the first)
            return None
        return list(map(table.__getitem__, column.indexes))
    values = as_list(column)
    if not mapping.keys() >= set(values):
        return None
    return list(map(mapping.__getitem__, values))


def all_positive(column: Sequence[object]) -> bool:
    """Whether every item is an int (not a bool) of at least 1."""
    if isinstance(column, Positive):
        return True  # stored as value - 1 in unsigned integers
    if isinstance(column, Constant):
        return column.value >= 1
    if set(map(type, column)) != {int}:
        return not column
    return min(typing.cast("Sequence[int]", column)) >= 1


_COLUMN_TYPES = (tuple, Positive, Constant, Strings)


def _fail(where: str, what: str, expected: str, received: object) -> InvalidEventError:
    return InvalidEventError(what, where=where, expected=expected, received=received)


def _vouched(cls: Any, fields: Iterable[tuple[str, Any]], provenance: Provenance) -> Event:
    """An event of ``cls`` with ``fields``, built without running its validators (they ran
    when it was first built: see ``Frame.run_events(vouched=True)``)."""
    event: Event = object.__new__(cls)
    for name, value in fields:
        object.__setattr__(event, name, value)
    object.__setattr__(event, "provenance", provenance)
    return event


def decode_frame(
    payload: bytes | memoryview, *, where: str = "frame", codec: Codec = CODEC
) -> Frame:
    """msgpack bytes back to a frame; checks its shape, not yet its events' fields.

    Raises ``SchemaError`` for an unknown event type or a newer schema, and
    ``InvalidEventError`` for anything else that is not a frame.
    """
    try:
        raw = msgpack.unpackb(
            payload, raw=False, strict_map_key=True, use_list=False, ext_hook=_unpack_column
        )
    except Exception as error:
        raise _fail(
            where, "not a msgpack frame", "a msgpack array", f"{type(error).__name__}: {error}"
        ) from error
    if not isinstance(raw, tuple) or len(raw) != 5:
        raise _fail(
            where,
            "malformed frame",
            "an array of 5 items",
            type(raw).__name__ if not isinstance(raw, tuple) else f"{len(raw)} items",
        )
    first_seq, version, ats, provenance_table, raw_runs = raw
    if type(first_seq) is not int or first_seq < 1:
        raise _fail(where, "bad sequence number", "an integer >= 1", first_seq)
    codec.check_version(version, where)
    if not isinstance(ats, tuple) or not all(a is None or isinstance(a, str) for a in ats):
        raise _fail(where, "bad recording times", "an array of ISO-8601 strings or nil", ats)
    if not isinstance(provenance_table, tuple):
        raise _fail(where, "bad provenance table", "an array", provenance_table)
    provenances = []
    for item in provenance_table:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise _fail(where, "bad provenance", "[kind, detail]", item)
        try:
            with stored_events():
                provenances.append(Provenance(SourceKind(item[0]), item[1]))
        except (ValueError, RallyError):
            raise _fail(
                where, "bad provenance", "a known source kind and a text or nil", item
            ) from None
    if not isinstance(raw_runs, tuple) or not raw_runs:
        raise _fail(where, "bad runs", "a non-empty array of runs", raw_runs)
    runs = []
    seq = first_seq
    for raw_run in raw_runs:
        if not isinstance(raw_run, tuple) or len(raw_run) < 4:
            raise _fail(where, "malformed run", "[tag, count, columns…, provenance, at]", raw_run)
        tag, count = checked_tag(raw_run[0], where), raw_run[1]
        shape = _shape(tag)
        width = len(raw_run) - 4
        if type(count) is not int or count < 1 or not shape.required <= width <= len(shape.fields):
            columns_wanted = (
                f"{shape.required} to {len(shape.fields)}"
                if shape.required < len(shape.fields)
                else str(len(shape.fields))
            )
            raise _fail(
                where,
                f"malformed {tag} run",
                f"a count >= 1 and {columns_wanted} columns",
                raw_run[:2],
            )
        columns = raw_run[2 : 2 + width]
        if not all(isinstance(c, _COLUMN_TYPES) and len(c) == count for c in columns):
            raise _fail(
                where,
                f"malformed {tag} run",
                f"{count} values in every column",
                [len(c) if isinstance(c, _COLUMN_TYPES) else c for c in columns],
            )
        prov, at = raw_run[-2], raw_run[-1]
        for name, column, table in (("provenance", prov, provenances), ("recorded_at", at, ats)):
            values = (column,) if type(column) is int else column
            if type(column) is not int and not (isinstance(column, tuple) and len(column) == count):
                raise _fail(where, f"bad {name} indexes", f"an index or {count} of them", column)
            if not all(type(v) is int and 0 <= v < len(table) for v in values):
                raise _fail(where, f"bad {name} indexes", f"indexes below {len(table)}", values)
        runs.append(
            Run(
                tag=tag,
                first_seq=seq,
                count=count,
                columns=columns,
                provenance=prov,
                recorded_at=at,
            )
        )
        seq += count
    return Frame(
        first_seq=first_seq,
        count=seq - first_seq,
        schema_version=version,
        recorded_at=ats,
        provenances=tuple(provenances),
        runs=tuple(runs),
        codec=codec,
    )
