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
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs
import msgpack

from events._codec import CODEC, EVENT_TAGS, Codec, Record, tag_of
from events._errors import InvalidEventError, RallyError, SchemaError
from events._model import (
    EntryRegistered,
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    PenaltyImposed,
    PenaltyRescinded,
    Person,
    Provenance,
    RallyDeclared,
    ResultCorrected,
    SourceKind,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageRule,
    StageScheduled,
    WaypointRecorded,
)

__all__ = ["FIELD_ORDER", "Frame", "Run", "decode_frame", "encode_frame"]

FIELD_ORDER: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "rally-declared": ("rally_id", "name", "year", "categories"),
        "entry-registered": ("entry_id", "category", "number", "crew", "make", "entrant"),
        "stage-scheduled": ("stage", "rules", "date", "start", "finish", "distance_km"),
        "stage-result-recorded": ("entry_id", "stage", "time_ms", "first_stage"),
        "result-corrected": ("entry_id", "stage", "time_ms", "reason"),
        "penalty-imposed": ("penalty_id", "entry_id", "stage", "amount_ms", "reason", "gc_only"),
        "penalty-rescinded": ("penalty_id", "reason"),
        "stage-cancelled": ("stage", "categories", "reason", "awarded_ms"),
        "entry-retired": ("entry_id", "stage", "reason", "excluded"),
        "field-coverage-declared": ("category", "stage", "stage_known", "gc_known"),
        "waypoint-recorded": ("entry_id", "stage", "waypoint", "time_ms"),
    }
)
"""The stored column order of every event type (provenance is stored apart). Never reorder."""

# Types whose fields are all plain values: built directly, their validators still run.
_FLAT: Mapping[str, type] = MappingProxyType(
    {
        "stage-result-recorded": StageResultRecorded,
        "result-corrected": ResultCorrected,
        "penalty-imposed": PenaltyImposed,
        "penalty-rescinded": PenaltyRescinded,
        "entry-retired": EntryRetired,
        "field-coverage-declared": FieldCoverageDeclared,
        "waypoint-recorded": WaypointRecorded,
    }
)


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


def encode_frame(records: Sequence[Record], *, codec: Codec = CODEC) -> bytes:
    """The msgpack payload of one frame holding ``records`` (consecutive seqs)."""
    if not records:
        raise InvalidEventError("empty frame", expected="at least one record", received=0)
    ats: dict[str | None, int] = {}
    provenances: dict[Provenance, int] = {}
    runs: list[list[Any]] = []
    index = 0
    while index < len(records):
        tag = tag_of(records[index].event)
        end = index
        while end < len(records) and tag_of(records[end].event) == tag:
            end += 1
        chunk = records[index:end]
        fields = FIELD_ORDER[tag]
        columns: list[Any] = []
        for field in fields:
            values = [getattr(record.event, field) for record in chunk]
            if tag not in _FLAT:
                values = [codec.converter.unstructure(value) for value in values]
            columns.append(_pack_column(values))
        prov = [provenances.setdefault(r.event.provenance, len(provenances)) for r in chunk]
        at = [ats.setdefault(r.recorded_at, len(ats)) for r in chunk]
        runs.append([tag, len(chunk), *columns, _indexes(prov), _indexes(at)])
        index = end
    payload = [
        records[0].seq,
        codec.schema_version,
        list(ats),
        [[str(p.kind), p.detail] for p in provenances],
        runs,
    ]
    packed: bytes = msgpack.packb(payload, use_bin_type=True)
    return packed


@attrs.frozen
class Run:
    """Consecutive events of one type in a frame, column by column."""

    tag: str
    first_seq: int
    count: int
    columns: tuple[tuple[Any, ...], ...]
    provenance: tuple[int, ...] | int
    recorded_at: tuple[int, ...] | int

    def column(self, field: str) -> tuple[Any, ...]:
        """The values of one field, in seq order."""
        return self.columns[FIELD_ORDER[self.tag].index(field)]

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

    def records(self, *, where: str = "frame", limit: int | None = None) -> Iterator[Record]:
        """The frame's events as records (the first ``limit`` of them), fully validated."""
        remaining = self.count if limit is None else min(limit, self.count)
        for run in self.runs:
            if remaining <= 0:
                return
            for offset in range(min(run.count, remaining)):
                seq = run.first_seq + offset
                event = self.event_at(run, offset, where=f"{where}, record seq {seq}")
                yield Record(
                    seq=seq, event=event, recorded_at=self.recorded_at[run.at_index(offset)]
                )
            remaining -= run.count

    def event_at(self, run: Run, offset: int, *, where: str = "frame") -> Event:
        """The event at ``offset`` of ``run``, built and validated."""
        provenance = self.provenances[run.provenance_index(offset)]
        fields = FIELD_ORDER[run.tag]
        values = {field: column[offset] for field, column in zip(fields, run.columns, strict=True)}
        current = self.schema_version == self.codec.schema_version
        builder = _NESTED.get(run.tag) if current else None
        if builder is not None:
            try:
                built = builder(values, provenance)
            except RallyError as error:
                raise InvalidEventError(
                    error.what,
                    where=f"{where}, {error.where}",
                    expected=error.expected,
                    received=error.received,
                ) from None
            if built is not None:
                return built
        flat = _FLAT.get(run.tag)
        if flat is not None and current:
            try:
                event: Event = flat(**values, provenance=provenance)
            except RallyError as error:
                raise InvalidEventError(
                    error.what,
                    where=f"{where}, {error.where}",
                    expected=error.expected,
                    received=error.received,
                ) from None
            except TypeError as error:  # pragma: no cover - columns are checked on decode
                raise InvalidEventError(
                    f"malformed {run.tag} event", where=where, received=str(error)
                ) from None
            return event
        data = self.codec.upcast_fields(
            {
                "type": run.tag,
                **values,
                "provenance": {"kind": str(provenance.kind), "detail": provenance.detail},
            },
            self.schema_version,
            where,
        )
        return self.codec.structure(data, where=where)


def _plain(value: object, keys: set[str]) -> bool:
    return isinstance(value, tuple) and all(
        isinstance(item, dict) and item.keys() == keys for item in value
    )


def _entry(values: dict[str, Any], provenance: Provenance) -> Event | None:
    crew = values["crew"]
    if not _plain(crew, {"name", "nationality"}):
        return None
    return EntryRegistered(
        entry_id=values["entry_id"],
        category=values["category"],
        number=values["number"],
        crew=tuple(Person(name=p["name"], nationality=p["nationality"]) for p in crew),
        make=values["make"],
        entrant=values["entrant"],
        provenance=provenance,
    )


def _stage(values: dict[str, Any], provenance: Provenance) -> Event | None:
    rules = values["rules"]
    if not _plain(rules, {"category", "kind"}) or not all(r["kind"] in _KINDS for r in rules):
        return None
    return StageScheduled(
        stage=values["stage"],
        rules=tuple(StageRule(category=r["category"], kind=_KINDS[r["kind"]]) for r in rules),
        date=values["date"],
        start=values["start"],
        finish=values["finish"],
        distance_km=values["distance_km"],
        provenance=provenance,
    )


def _rally(values: dict[str, Any], provenance: Provenance) -> Event | None:
    return RallyDeclared(
        rally_id=values["rally_id"],
        name=values["name"],
        year=values["year"],
        categories=values["categories"],
        provenance=provenance,
    )


def _cancelled(values: dict[str, Any], provenance: Provenance) -> Event | None:
    return StageCancelled(
        stage=values["stage"],
        categories=values["categories"],
        reason=values["reason"],
        awarded_ms=values["awarded_ms"],
        provenance=provenance,
    )


_KINDS = {kind.value: kind for kind in StageKind}

# Events with nested fields, built directly when the stored shape is the plain one
# (cattrs, the slow general path, takes anything else); validators run either way.
_NESTED: Mapping[str, Callable[[dict[str, Any], Provenance], Event | None]] = MappingProxyType(
    {
        "entry-registered": _entry,
        "stage-scheduled": _stage,
        "rally-declared": _rally,
        "stage-cancelled": _cancelled,
    }
)


_COLUMN_TYPES = (tuple, Positive, Constant, Strings)


def _fail(where: str, what: str, expected: str, received: object) -> InvalidEventError:
    return InvalidEventError(what, where=where, expected=expected, received=received)


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
    if type(version) is not int or version < 1:
        raise SchemaError(
            "bad schema version", where=where, expected="an integer >= 1", received=version
        )
    if version > codec.schema_version:
        raise SchemaError(
            "record written by a newer version of this software",
            where=where,
            expected=f"schema version <= {codec.schema_version}",
            received=version,
        )
    if not isinstance(ats, tuple) or not all(a is None or isinstance(a, str) for a in ats):
        raise _fail(where, "bad recording times", "an array of ISO-8601 strings or nil", ats)
    if not isinstance(provenance_table, tuple):
        raise _fail(where, "bad provenance table", "an array", provenance_table)
    provenances = []
    for item in provenance_table:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise _fail(where, "bad provenance", "[kind, detail]", item)
        try:
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
        tag, count = raw_run[0], raw_run[1]
        if tag not in EVENT_TAGS:
            raise SchemaError(
                "unknown event type",
                where=where,
                expected="one of " + ", ".join(EVENT_TAGS),
                received=tag,
            )
        fields = FIELD_ORDER[tag]
        if type(count) is not int or count < 1 or len(raw_run) != len(fields) + 4:
            raise _fail(
                where,
                f"malformed {tag} run",
                f"a count >= 1 and {len(fields)} columns",
                raw_run[:2],
            )
        columns = raw_run[2 : 2 + len(fields)]
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
