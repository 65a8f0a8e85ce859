"""The fold's state, declared once: every fact of a rally with the seq it was recorded at.

The fold keeps each kind of fact in one table below, column by column, rows in the
order they were recorded (so in ascending ``seq``), and never changes or removes a
row: a correction, a rescission or a cancellation is a row of its own. Everything
else the fold holds (who has a result where, the sums of the penalties in force, the
order of the stages) is derived from these tables (``Fold`` rebuilds it from them).

Two things follow, and every copy of the state relies on them:

* **The state as known at record S** is the prefix of each table whose rows have a
  ``seq`` of S or less (``FoldState.prefix``): an answer "as of S", a rollback to S
  and a resumed fold all read the same rows.
* **Copy, prefix, comparison and the checkpoint file** are derived from the table
  declarations here (``attrs.fields``): adding a piece of state is one column or one
  table, and nothing else lists it. The checkpoint's format (``checkpoint_converter()``,
  a cattrs converter) names tables and columns as declared here, and its version is a
  fingerprint of these declarations (``SCHEMA_FINGERPRINT``), so a checkpoint of any
  other shape is ignored rather than misread.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import operator
import sys
import typing
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

import attrs

if TYPE_CHECKING:
    import cattrs

from ..events import (
    ADJUSTMENT_TYPES,
    SCHEMA_VERSION,
    Adjustment,
    EntryRegistered,
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    PenaltyRescinded,
    Provenance,
    RallyDeclared,
    Record,
    ResultCorrected,
    ResultWithdrawn,
    SourceKind,
    StageCancelled,
    StageScheduled,
    WaypointCorrected,
    WaypointWithdrawn,
    decode_frame,
    encode_frame,
)

__all__ = [
    "SCHEMA_FINGERPRINT",
    "Adjustments",
    "Corrections",
    "Events",
    "FoldState",
    "PackedSeqs",
    "Rescissions",
    "Results",
    "Retirements",
    "SplitAmendments",
    "Splits",
    "Table",
    "checkpoint_converter",
]

_INTS = "ints"
_SEQS = "seqs"
_EVENTS = "events"


def _ints(refers: str | None = None) -> Any:
    """A column of integers (an entry's row, a stage, a time in ms, …); ``refers`` names the
    table (or ``"provenances"``) whose rows its values are."""
    return attrs.field(factory=list, metadata={"column": _INTS, "refers": refers})


def _seqs() -> Any:
    """A table's ``seq`` column: the record of each row, never decreasing (the checkpoint
    stores it as the steps between them, so that no other order can be read back)."""
    return attrs.field(factory=list, metadata={"column": _SEQS, "refers": None})


def _events(*kinds: type) -> Any:
    """A column of events of ``kinds`` (immutable; stored in the checkpoint as a frame;
    none named: the kinds the state's declaration of the table names)."""
    return attrs.field(factory=list, metadata={"column": _EVENTS, "kinds": kinds})


_COLUMNS: dict[type, tuple[attrs.Attribute[Any], ...]] = {}


def _columns(cls: type[Table]) -> tuple[attrs.Attribute[Any], ...]:
    """The declared columns of a table class (read once per class)."""
    found = _COLUMNS.get(cls)
    if found is None:
        found = _COLUMNS[cls] = attrs.fields(cls)  # type: ignore[arg-type]
    return found


class Table:
    """A table of facts, column by column, in the order recorded (``seq`` ascending)."""

    __slots__ = ()
    seq: list[int]

    def __len__(self) -> int:
        return len(self.seq)

    def rows_at(self, seq: int) -> int:
        """How many rows were recorded at or before record ``seq``."""
        return bisect.bisect_right(self.seq, seq)

    def columns(self) -> Iterator[tuple[str, list[Any]]]:
        """(name, column) of each declared column."""
        for field in _columns(type(self)):
            yield field.name, getattr(self, field.name)

    def append(self, **values: Any) -> int:
        """Add one row (a value for every column); its row number."""
        row = len(self)
        for name, column in self.columns():
            column.append(values[name])
        return row

    def extend(self, **columns: Sequence[Any]) -> int:
        """Add rows column by column (as many values in every column); the first one's row."""
        row = len(self)
        for name, column in self.columns():
            column.extend(columns[name])
        return row

    def truncate(self, rows: int) -> None:
        """Drop every row from ``rows`` on (a rollback)."""
        for _, column in self.columns():
            del column[rows:]

    def prefix(self, rows: int) -> Self:
        """A new table holding the first ``rows`` rows."""
        return type(self)(*(column[:rows] for _, column in self.columns()))

    def listed(self) -> Self:
        """A copy of its own, every column a list (a column read packed from a checkpoint is
        an ``array`` of the narrowest type, which cannot take every later value, or
        ``PackedSeqs``)."""
        return type(self)(*(list(column) for _, column in self.columns()))

    @property
    def packed(self) -> bool:
        """Whether a column is still as a checkpoint packed it (an ``array``, ``PackedSeqs``)."""
        return any(isinstance(column, array | PackedSeqs) for _, column in self.columns())

    def row(self, index: int) -> tuple[Any, ...]:
        """One row, as a tuple of its columns' values."""
        return tuple(column[index] for _, column in self.columns())


E = TypeVar("E")


@attrs.define(eq=False)
class Events(Table, Generic[E]):
    """Events of one type, each with the record it came in: the rally declaration (one
    row), registered entries (an entry is known everywhere by its row here), scheduled
    stages, cancellations, and declarations of how much of a classification the log
    holds (the later wins)."""

    event: list[E] = _events()
    seq: list[int] = _seqs()


@attrs.define(eq=False)
class Results(Table):
    """Stage results (a combined time spans ``first``..``stage``), as first recorded.

    ``cover`` is how many counted stages the result stands for when it was recorded:
    1 for a special stage, 0 for a prologue, and for a combined time the counted stages
    of its span that had no result of their own.
    """

    entry: list[int] = _ints("entries")
    first: list[int] = _ints()
    stage: list[int] = _ints()
    time: list[int] = _ints()
    seq: list[int] = _seqs()
    provenance: list[int] = _ints("provenances")
    cover: list[int] = _ints()


@attrs.define(eq=False)
class Corrections(Table):
    """Corrections and withdrawals of results (``result``: the row in ``Results``): the last
    one known wins (a correction gives the result its time, a withdrawal takes it away)."""

    result: list[int] = _ints("results")
    event: list[ResultCorrected | ResultWithdrawn] = _events(ResultCorrected, ResultWithdrawn)
    seq: list[int] = _seqs()


@attrs.define(eq=False)
class Adjustments(Table):
    """Times added to (or taken from) an entry at a stage: penalties, bonuses, and every other
    ``Adjustment`` event."""

    entry: list[int] = _ints("entries")
    event: list[Adjustment] = _events(*ADJUSTMENT_TYPES)
    seq: list[int] = _seqs()


@attrs.define(eq=False)
class Rescissions(Table):
    """Adjustments withdrawn (``adjustment``: the row in ``Adjustments``)."""

    adjustment: list[int] = _ints("adjustments")
    event: list[PenaltyRescinded] = _events(PenaltyRescinded)
    seq: list[int] = _seqs()


@attrs.define(eq=False)
class Retirements(Table):
    """Entries out of the rally (retired or excluded) from a stage on."""

    entry: list[int] = _ints("entries")
    event: list[EntryRetired] = _events(EntryRetired)
    seq: list[int] = _seqs()


@attrs.define(eq=False)
class Splits(Table):
    """Elapsed times at the waypoints of stages."""

    stage: list[int] = _ints()
    waypoint: list[int] = _ints()
    entry: list[int] = _ints("entries")
    time: list[int] = _ints()
    seq: list[int] = _seqs()
    provenance: list[int] = _ints("provenances")


@attrs.define(eq=False)
class SplitAmendments(Table):
    """Corrections and withdrawals of splits (``split``: the row in ``Splits``): the last one
    known wins, as for results."""

    split: list[int] = _ints("splits")
    event: list[WaypointCorrected | WaypointWithdrawn] = _events(
        WaypointCorrected, WaypointWithdrawn
    )
    seq: list[int] = _seqs()


def _table(cls: type[Table], *holds: type, packed: bool = False) -> Any:
    """A table of the state; ``holds``: the kinds of event an ``Events`` table holds;
    ``packed``: its integer columns stay the arrays a checkpoint packs them in until a row
    is added (a table of hundreds of thousands of rows that most questions never read)."""
    return attrs.field(factory=cls, metadata={"table": True, "holds": holds, "packed": packed})


@attrs.define(eq=False)
class FoldState:
    """Everything the fold knows after ``last_seq`` records: its tables of facts.

    ``provenances`` is the table the ``provenance`` columns of ``Results`` and
    ``Splits`` index into (each distinct provenance once, in order of first use).
    """

    last_seq: int = 0
    declarations: Events[RallyDeclared] = _table(Events, RallyDeclared)
    entries: Events[EntryRegistered] = _table(Events, EntryRegistered)
    stages: Events[StageScheduled] = _table(Events, StageScheduled)
    results: Results = _table(Results)
    corrections: Corrections = _table(Corrections)
    adjustments: Adjustments = _table(Adjustments)
    rescissions: Rescissions = _table(Rescissions)
    cancellations: Events[StageCancelled] = _table(Events, StageCancelled)
    retirements: Retirements = _table(Retirements)
    coverage: Events[FieldCoverageDeclared] = _table(Events, FieldCoverageDeclared)
    splits: Splits = _table(Splits, packed=True)
    split_amendments: SplitAmendments = _table(SplitAmendments)
    provenances: list[Provenance] = attrs.field(factory=list)
    shared: set[str] = attrs.field(factory=set, repr=False)
    """The tables (and ``"provenances"``) this state shares with the one it was forked from,
    and those still packed as a checkpoint left them: copied into lists of its own before
    the first row is added to them (``writable``)."""

    TABLES: ClassVar[tuple[str, ...]]

    def tables(self) -> Iterator[tuple[str, Table]]:
        """(name, table) of each declared table."""
        for name in self.TABLES:
            yield name, getattr(self, name)

    def prefix(self, seq: int) -> FoldState:
        """The state as it was after record ``seq``: each table's rows up to it."""
        seq = min(seq, self.last_seq)
        tables: dict[str, Any] = {
            name: table.prefix(table.rows_at(seq)) for name, table in self.tables()
        }
        packed = {name for name, table in tables.items() if table.packed}
        return FoldState(seq, provenances=list(self.provenances), shared=packed, **tables)

    def copy(self) -> FoldState:
        """An independent copy (the events in it are immutable and shared)."""
        return self.prefix(self.last_seq)

    def fork(self) -> FoldState:
        """A state equal to this one that shares its tables until rows are added to them:
        a table is copied only when one of the two first writes to it (``writable``)."""
        tables: dict[str, Any] = dict(self.tables())
        self.shared = {*self.TABLES, "provenances"}  # this one copies before writing too
        return FoldState(
            self.last_seq, provenances=self.provenances, shared=set(self.shared), **tables
        )

    def writable(self, name: str) -> Any:
        """The table ``name``, to add rows to: this state's own, of lists (copied first if
        shared, or still packed: ``shared`` names those too)."""
        table = getattr(self, name)
        if name in self.shared:
            table = table.listed()
            setattr(self, name, table)
            self.shared.discard(name)
        return table

    def writable_provenances(self) -> list[Provenance]:
        """The provenance table, to add to: this state's own (copied first if shared)."""
        if "provenances" in self.shared:
            self.provenances = list(self.provenances)
            self.shared.discard("provenances")
        return self.provenances

    def truncate(self, seq: int) -> None:
        """Forget every row recorded after record ``seq`` (a rollback)."""
        for name, table in self.tables():
            rows = table.rows_at(seq)
            if rows < len(table):
                self.writable(name).truncate(rows)
        self.last_seq = seq

    def facts(self) -> tuple[tuple[str, tuple[tuple[Any, ...], ...]], ...]:
        """The state as plain values (provenances resolved): what two states are compared by.

        Two folds of the same records have equal facts, however they were built
        (one event at a time, in bulk, resumed from a checkpoint, rolled back).
        """
        provenances = self.provenances
        out: list[tuple[str, tuple[tuple[Any, ...], ...]]] = [("last_seq", ((self.last_seq,),))]
        for name, table in self.tables():
            columns = dict(table.columns())
            if "provenance" in columns:
                columns["provenance"] = [provenances[i] for i in columns["provenance"]]
            out.append((name, tuple(zip(*columns.values(), strict=True))))
        return tuple(out)

    def check_shape(self) -> None:
        """Refuse (``ValueError``, naming the table and column) a state no fold could have
        built: rows out of ``seq`` order or after ``last_seq``, a row number pointing past
        the table it refers to, an event of a kind its table does not hold. (A checkpoint
        is read through this; what it cannot see is a state that is well formed and
        wrong, which only a fold of the log shows: ``standings log check``.)"""
        holds = {field.name: field.metadata.get("holds", ()) for field in attrs.fields(FoldState)}
        for name, table in self.tables():
            seqs = table.seq
            if seqs and not (seqs[0] >= 1 and seqs[-1] <= self.last_seq and _ascending(seqs)):
                raise ValueError(f"{name}: rows not in record order up to {self.last_seq}")
            for field in _columns(type(table)):
                column = getattr(table, field.name)
                refers = field.metadata.get("refers")
                events = field.metadata["column"] == _EVENTS
                kinds = (field.metadata["kinds"] or holds[name]) if events else ()
                if refers is not None and not _rows_of(column, len(getattr(self, refers))):
                    rows = len(getattr(self, refers))
                    raise ValueError(f"{name}.{field.name}: a row beyond {refers}'s {rows}")
                if kinds and not all(issubclass(kind, kinds) for kind in set(map(type, column))):
                    raise ValueError(f"{name}.{field.name}: an event of another kind")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FoldState):
            return NotImplemented
        return self.facts() == other.facts()

    __hash__ = None  # type: ignore[assignment]


class _Steps(list[int]):
    """A ``seq`` column read back from its steps: ascending by construction."""

    __slots__ = ()


class PackedSeqs(Sequence[int]):
    """A packed table's ``seq`` column as the checkpoint stores it, the unsigned steps
    between its rows (so ascending by construction): added up into the values the first
    time one inside it is read. Its first and last values, its length and its prefixes
    cost nothing."""

    __slots__ = ("_last", "_steps", "_values")

    def __init__(self, steps: array[int]) -> None:
        self._steps = steps
        self._values: list[int] | None = None
        self._last: int | None = None

    def __len__(self) -> int:
        return len(self._steps)

    def _all(self) -> list[int]:
        if self._values is None:
            self._values = list(itertools.accumulate(self._steps))
        return self._values

    @typing.overload
    def __getitem__(self, index: int) -> int: ...

    @typing.overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...

    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            if index.start in (None, 0) and index.step is None and self._values is None:
                return PackedSeqs(self._steps[index])  # a prefix: its steps
            return self._all()[index]
        if self._values is None and len(self._steps):
            if index == 0 or index == -len(self._steps):
                return self._steps[0]
            if index in (-1, len(self._steps) - 1):
                if self._last is None:
                    self._last = sum(self._steps)
                return self._last
        return self._all()[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())


def _ascending(seqs: Sequence[int]) -> bool:
    """Whether ``seqs`` never decreases (a column read from its steps is known to)."""
    if type(seqs) is _Steps or type(seqs) is PackedSeqs:
        return True
    return all(map(operator.le, seqs, itertools.islice(seqs, 1, None)))


def _rows_of(column: Sequence[int], rows: int) -> bool:
    """Whether every value of ``column`` is a row number of a table of ``rows`` rows (a
    packed unsigned column whose type cannot hold ``rows`` or more needs no reading)."""
    if not column:
        return True
    if isinstance(column, array) and column.typecode.isupper():
        column = typing.cast("array[int]", column)
        if 1 << (8 * column.itemsize) <= rows:
            return True
        if column.typecode == "B":  # every byte one of 0..rows-1: deleting those leaves none
            return not column.tobytes().translate(None, bytes(range(rows)))
        return max(column) < rows
    return min(column) >= 0 and max(column) < rows


_TYPES: dict[str, type[Table]] = {
    field.name: field.default.factory  # type: ignore[union-attr]
    for field in attrs.fields(FoldState)
    if field.metadata.get("table")
}
"""Each table's name and class, in declared order (read off the declaration above)."""
FoldState.TABLES = tuple(_TYPES)
_PACKED = frozenset(field.name for field in attrs.fields(FoldState) if field.metadata.get("packed"))
"""The tables whose integer columns a checkpoint is read into as arrays (``_table``)."""


# ---------------------------------------------------------------------- the checkpoint's format


def _fingerprint() -> str:
    """A digest of the declarations above and of the events' schema: a checkpoint written
    under any other declaration (a column added, renamed or retyped) has another one."""
    shape = [f"events {SCHEMA_VERSION}", f"byteorder {sys.byteorder}"]
    for name, cls in _TYPES.items():
        columns = ",".join(f"{c.name}/{c.metadata['column']}" for c in _columns(cls))
        shape.append(f"{name}: {columns}")
    return hashlib.sha256("\n".join(shape).encode()).hexdigest()[:16]


SCHEMA_FINGERPRINT = _fingerprint()
"""The version of the checkpoint's format: changes whenever a declaration above does."""


def pack_ints(values: Sequence[int]) -> list[Any]:
    """A column of integers as [array type code, bytes]: the narrowest type that holds them."""
    low, high = (min(values), max(values)) if values else (0, 0)
    for code in ("B", "H", "I", "Q") if low >= 0 else ("b", "h", "i", "q"):
        bits = 8 * array(code).itemsize
        floor = 0 if code.isupper() else -(1 << (bits - 1))
        if floor <= low and high < (1 << (bits if code.isupper() else bits - 1)):
            return [code, array(code, values).tobytes()]
    raise OverflowError(f"integers beyond 64 bits: {low}..{high}")


def unpack_ints(packed: Sequence[Any]) -> array[int]:
    """The column ``pack_ints`` packed, as an array (refused unless it is exactly that
    shape)."""
    code, data = packed
    if not isinstance(code, str) or code not in "BHIQbhiq" or len(code) != 1:
        raise ValueError(f"not an integer column type: {code!r}")
    if type(data) is not bytes:  # bytes(N) of a forged N would allocate N bytes
        raise ValueError(f"not the bytes of a column: {type(data).__name__}")
    values = array(code)
    values.frombytes(data)
    return values


def pack_seqs(seqs: Sequence[int]) -> list[Any]:
    """A ``seq`` column as the steps from 0 to each value (``pack_ints``)."""
    return pack_ints(list(map(operator.sub, seqs, itertools.chain((0,), seqs))))


def unpack_seqs(packed: Sequence[Any], *, keep_packed: bool = False) -> Sequence[int]:
    """The column ``pack_seqs`` packed (``keep_packed``: as ``PackedSeqs``): refused unless
    every step is unsigned, so that what is read back never decreases."""
    steps = unpack_ints(packed)
    if not steps.typecode.isupper():
        raise ValueError("rows not in record order (a step back)")
    return PackedSeqs(steps) if keep_packed else _Steps(itertools.accumulate(steps))


def _pack_events(events: Sequence[Event]) -> bytes:
    if not events:
        return b""
    return encode_frame([Record(index + 1, event) for index, event in enumerate(events)])


def _unpack_events(data: bytes) -> list[Event]:
    if type(data) is not bytes:
        raise ValueError(f"not the bytes of a frame: {type(data).__name__}")
    if not data:
        return []
    frame = decode_frame(data, where="checkpoint")
    return [event for run in frame.runs for event in frame.run_events(run, vouched=True)]


def _make_converter() -> cattrs.Converter:
    import cattrs

    converter = cattrs.Converter()

    packs: dict[str, Callable[[Any], Any]] = {
        _INTS: pack_ints,
        _SEQS: pack_seqs,
        _EVENTS: _pack_events,
    }

    def unstructure_table(table: Table) -> dict[str, Any]:
        return {
            field.name: packs[field.metadata["column"]](getattr(table, field.name))
            for field in _columns(type(table))
        }

    def structure_column(raw: Any, kind: str, packed: bool) -> Sequence[Any]:
        if kind == _INTS:
            return unpack_ints(raw) if packed else unpack_ints(raw).tolist()
        return unpack_seqs(raw, keep_packed=packed) if kind == _SEQS else _unpack_events(raw)

    def structure_table(name: str, data: dict[str, Any]) -> Table:
        cls, columns = _TYPES[name], []
        for field in _columns(_TYPES[name]):
            try:
                columns.append(
                    structure_column(data[field.name], field.metadata["column"], name in _PACKED)
                )
            except ValueError as error:
                raise ValueError(f"{name}.{field.name}: {error}") from None
        lengths = {len(column) for column in columns}
        if len(lengths) > 1:
            raise ValueError(f"{name}: columns of different lengths {sorted(lengths)}")
        return cls(*columns)

    converter.register_unstructure_hook_func(
        lambda cls: isinstance(cls, type) and issubclass(cls, Table), unstructure_table
    )

    def unstructure_state(state: FoldState) -> dict[str, Any]:
        return {
            "last_seq": state.last_seq,
            "tables": {name: converter.unstructure(table) for name, table in state.tables()},
            "provenances": [[str(p.kind), p.detail] for p in state.provenances],
        }

    def structure_state(data: dict[str, Any], _: type) -> FoldState:
        tables: dict[str, Any] = {
            name: structure_table(name, data["tables"][name]) for name in FoldState.TABLES
        }
        provenances = [Provenance(SourceKind(kind), detail) for kind, detail in data["provenances"]]
        last_seq = data["last_seq"]
        if type(last_seq) is not int:
            raise ValueError(f"last_seq is not an integer: {last_seq!r}")
        return FoldState(last_seq, provenances=provenances, shared=set(_PACKED), **tables)

    converter.register_unstructure_hook(FoldState, unstructure_state)
    converter.register_structure_hook(FoldState, structure_state)
    return converter


_CONVERTER: list[cattrs.Converter] = []


def checkpoint_converter() -> cattrs.Converter:
    """The converter that owns the checkpoint's body: ``FoldState`` to plain msgpack-able
    data (integer columns as packed arrays, event columns as frames) and back. Built on
    first use: a command that reads no checkpoint does not import cattrs for it."""
    if not _CONVERTER:
        _CONVERTER.append(_make_converter())
    return _CONVERTER[0]
