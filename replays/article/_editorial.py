"""The editorial data file of one imported rally: every decision a person made, with its reason.

The importer is general; what it cannot know from the article's format alone
lives here, reviewed, one table per decision:

``[rally]``
    ``id`` (optional: the rally's id; by default it comes from the article's
    title) and ``article`` (optional: the article's file name).
``[[erratum]]``
    a printed value found to be wrong, the evidence, and the value used instead.
    ``table`` is ``stage``, ``gc``, ``final`` or ``entries`` (a principal-entry
    list); ``row`` the printed row (1-based) of that table (for ``stage``/``gc``:
    of that stage's block; for ``entries``: the article line); ``field`` one of
    ``time``, ``gap``, ``position``, ``number``, ``competitor`` or ``row``
    (``corrected = "drop"`` removes a duplicated row).
``[[penalty]]``
    a penalty stated in a note or the prose, or revealed by the arithmetic (a GC
    step larger than the printed stage time). ``stage`` may be left out when the
    source names none: the importer places it where the numbers require it.
    ``in_stage_time = true`` says the printed stage time already includes it.
``[[retirement]]``
    an entry that left the rally, as the source says.
``[[alias]]``
    a spelling of a competitor's name that means another spelling in the same rally.
``[[award]]``
    the stage a time awarded to all applies to, where a note does not say.
``[[unrecorded]]``
    a statement of the source the log does not record, and why.

Every table may say ``inferred = true``: the decision was made by
``standings import --infer``, not by a person, and the events it produces
carry provenance ``inferred``. A reviewer accepts one by deleting that line.

The file is read strictly (one cattrs converter, ``forbid_extra_keys``, and
hooks that never convert a value): an unknown table (``[[erratun]]``), an
unknown or misspelled key (``gc_onyl = true``), a missing key or a value of
the wrong type is an error naming the file, the table, its index and the key.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
)

from ...events import (
    RallyError,
    TimeFormatError,
    format_signed,
    format_time,
    parse_duration,
    parse_time,
    read_file,
)

__all__ = [
    "Alias",
    "Award",
    "Editorial",
    "EditorialError",
    "Erratum",
    "PenaltyDecision",
    "Retirement",
    "Unrecorded",
    "dump_editorial",
    "load_editorial",
    "parse_editorial",
]

Table = Literal["stage", "gc", "final", "entries"]
Field = Literal["time", "gap", "position", "number", "row", "competitor"]
Source = Literal["note", "prose", "arithmetic"]


class EditorialError(RallyError):
    """An editorial data file that does not say what it must."""


# --------------------------------------------------------------------------- decisions


@attrs.frozen
class Erratum:
    """A printed value that is wrong, and the value used instead."""

    id: str
    category: str
    table: Table
    stage: int | None
    row: int
    field: Field
    printed: str
    corrected: str
    evidence: str
    kind: str = "error"
    """What sort of error: copied, typo, duplicate-row, …"""
    inferred: bool = False

    @property
    def drops_row(self) -> bool:
        """Whether the erratum removes the printed row altogether."""
        return self.field == "row" and self.corrected == "drop"


@attrs.frozen
class PenaltyDecision:
    """A penalty as the source states it (or as the arithmetic reveals it)."""

    id: str
    category: str
    competitor: str
    stage: int | None
    amount_ms: int
    gc_only: bool
    in_stage_time: bool
    reason: str
    source: Source
    evidence: str
    inferred: bool = False


@attrs.frozen
class Retirement:
    """An entry that left the rally at a stage."""

    category: str
    competitor: str
    stage: int
    reason: str
    evidence: str
    inferred: bool = False


@attrs.frozen
class Alias:
    """A spelling of a name that stands for another spelling of the same person."""

    printed: str
    name: str
    reason: str
    inferred: bool = False


@attrs.frozen
class Award:
    """The stage a time awarded to every competitor applies to."""

    category: str
    stage: int
    time_ms: int
    evidence: str
    inferred: bool = False


@attrs.frozen
class Unrecorded:
    """A statement of the source the log does not record, and the reason."""

    category: str
    statement: str
    reason: str
    inferred: bool = False


_DECISION_TABLES = {
    "erratum": ("errata", "id category table stage row field printed corrected kind evidence"),
    "penalty": (
        "penalties",
        "id category competitor stage amount gc_only in_stage_time reason source evidence",
    ),
    "retirement": ("retirements", "category competitor stage reason evidence"),
    "alias": ("aliases", "printed name reason"),
    "award": ("awards", "category stage time evidence"),
    "unrecorded": ("unrecorded", "category statement reason"),
}
"""Each decision table by name: the ``Editorial`` attribute holding its decisions, and the
keys the file writes, in order, before ``inferred`` (the last key of every table)."""


@attrs.frozen
class Editorial:
    """Every editorial decision for one rally.

    ``rally_id`` None: the rally's id comes from elsewhere (``--id``, the title).
    """

    rally_id: str | None = None
    path: str | None = None
    errata: tuple[Erratum, ...] = ()
    penalties: tuple[PenaltyDecision, ...] = ()
    retirements: tuple[Retirement, ...] = ()
    aliases: tuple[Alias, ...] = ()
    awards: tuple[Award, ...] = ()
    unrecorded: tuple[Unrecorded, ...] = ()
    article: str | None = None

    @property
    def decisions(self) -> int:
        """How many decisions the file holds (of every kind)."""
        return sum(len(getattr(self, kind)) for kind, _ in _DECISION_TABLES.values())

    def extended(self, more: Editorial) -> Editorial:
        """These decisions, then ``more``'s (the id and article stay this file's if set)."""
        return attrs.evolve(
            self,
            rally_id=self.rally_id or more.rally_id,
            article=self.article or more.article,
            **{
                kind: getattr(self, kind) + getattr(more, kind)
                for kind, _ in _DECISION_TABLES.values()
            },
        )


# --------------------------------------------------------------------------- the file's shape
# One attrs class per TOML table, named and typed exactly as the file writes it: the decision's
# own class where it is that already (a retirement, an alias, an unrecorded statement).


@attrs.frozen
class _RallyTable:
    id: str | None = None
    article: str | None = None


@attrs.frozen
class _ErratumTable:
    id: str
    category: str
    table: Table
    row: int
    field: Field
    printed: str
    corrected: str
    evidence: str
    stage: int | None = None
    kind: str = "error"
    inferred: bool = False


@attrs.frozen
class _PenaltyTable:
    id: str
    category: str
    competitor: str
    amount: str
    reason: str
    source: Source
    evidence: str
    stage: int | None = None
    gc_only: bool = False
    in_stage_time: bool = False
    inferred: bool = False


@attrs.frozen
class _AwardTable:
    category: str
    stage: int
    time: str
    evidence: str
    inferred: bool = False


_TABLES: dict[str, type] = {
    "erratum": _ErratumTable,
    "penalty": _PenaltyTable,
    "retirement": Retirement,
    "alias": Alias,
    "award": _AwardTable,
    "unrecorded": Unrecorded,
}


class _WrongValue(Exception):
    """Raised by the strict hooks: what was expected, what was received."""

    def __init__(self, expected: str, received: object) -> None:
        super().__init__(expected)
        self.expected = expected
        self.received = received


_T = TypeVar("_T")


def _exactly(kind: type[_T], expected: str) -> Callable[[object, type], _T]:
    def structure(value: object, _: type) -> _T:
        if type(value) is not kind:
            raise _WrongValue(expected, value)
        return value

    return structure


_LITERAL = get_origin(Table)


def _literal(value: object, literal: type) -> object:
    choices = get_args(literal)
    if value not in choices or type(value) is not str:
        raise _WrongValue("one of " + ", ".join(str(choice) for choice in choices), value)
    return value


def _converter() -> cattrs.Converter:
    """Strict: no unknown keys, and no value converted (``"5"`` is not an integer)."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(str, _exactly(str, "a string (in quotes)"))
    converter.register_structure_hook(int, _exactly(int, "a whole number"))
    converter.register_structure_hook(bool, _exactly(bool, "true or false"))
    converter.register_structure_hook_func(lambda cls: get_origin(cls) is _LITERAL, _literal)
    return converter


_CONVERTER = _converter()


def _names(cls: type) -> list[str]:
    return [field.name for field in attrs.fields(cast("type[attrs.AttrsInstance]", cls))]


def _keys(cls: type) -> str:
    return ", ".join(_names(cls))


def _structure(item: object, cls: type[_T], where: str) -> _T:
    """One table, structured strictly; any problem named by its key."""
    if not isinstance(item, dict):
        raise EditorialError(
            "not a table", where=where, expected=f"a table with {_keys(cls)}", received=item
        )
    try:
        return _CONVERTER.structure(item, cls)
    except ClassValidationError as group:
        problem = group.exceptions[0]
        key = next(
            (
                note.name
                for note in getattr(problem, "__notes__", ())
                if isinstance(note, AttributeValidationNote)
            ),
            None,
        )
        if isinstance(problem, ForbiddenExtraKeysError):
            unknown = sorted(problem.extra_fields)
            close = difflib.get_close_matches(unknown[0], _names(cls), n=1)
            raise EditorialError(
                "unknown key",
                where=f"{where}, {', '.join(unknown)}",
                expected=f"only {_keys(cls)}" + (f" (did you mean {close[0]}?)" if close else ""),
                received=", ".join(f"{name} = {item[name]!r}" for name in unknown),
            ) from None
        at = f"{where}, {key}" if key else where
        if isinstance(problem, KeyError):
            raise EditorialError(
                "missing key", where=at, expected=f"a key {key!r}", received="nothing"
            ) from None
        if isinstance(problem, _WrongValue):
            raise EditorialError(
                "wrong value", where=at, expected=problem.expected, received=repr(problem.received)
            ) from None
        raise EditorialError("cannot read", where=at, received=str(problem)) from None


def _clock(text: str, where: str, *, signed: bool = False) -> int:
    try:
        return parse_duration(text, where=where) if signed else parse_time(text, where=where)
    except TimeFormatError as error:
        raise EditorialError(
            error.what, where=where, expected=error.expected, received=text
        ) from None


EDITORIAL_LIMIT = 64 << 20
"""An editorial file is at most this large."""


def load_editorial(path: str | Path) -> Editorial:
    """Read and check an editorial data file; a missing file is an error."""
    location = Path(path)
    if not os.path.lexists(location):
        raise EditorialError(
            "no such editorial file",
            where=str(location),
            expected="an existing TOML file (see replays/dakar-2004.toml)",
            received="no file at that path",
        )
    try:  # a regular file of at most 64 MiB: a FIFO, a device, a directory is refused
        text = read_file(location, what="editorial file", limit=EDITORIAL_LIMIT).decode("utf-8")
    except UnicodeDecodeError as error:
        raise EditorialError(
            "not UTF-8 text", where=str(location), received=f"byte {error.start}"
        ) from None
    except RallyError as error:
        raise EditorialError(
            error.what, where=error.where, expected=error.expected, received=error.received
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise EditorialError("not valid TOML", where=str(location), received=str(error)) from None
    return parse_editorial(data, where=str(location))


def parse_editorial(data: Mapping[str, Any], *, where: str = "<editorial>") -> Editorial:
    """Check and convert the parsed TOML of an editorial data file."""
    unknown = sorted(key for key in data if key != "rally" and key not in _TABLES)
    if unknown:
        shown = ", ".join(f"[[{key}]]" if isinstance(data[key], list) else key for key in unknown)
        raise EditorialError(
            "unknown table",
            where=where,
            expected="[rally], " + ", ".join(f"[[{name}]]" for name in _TABLES),
            received=shown,
        )
    if "rally" not in data:
        raise EditorialError(
            "missing table", where=where, expected="a [rally] table", received="nothing"
        )
    rally = _structure(data["rally"], _RallyTable, f"{where} [rally]")
    items: dict[str, list[Any]] = {}
    for name, cls in _TABLES.items():
        listed = data.get(name, [])
        if not isinstance(listed, list):
            raise EditorialError(
                "not an array of tables",
                where=f"{where} {name}",
                expected=f"[[{name}]] tables",
                received=f"[{name}]" if isinstance(listed, dict) else listed,
            )
        items[name] = [
            (index, _structure(item, cls, f"{where} [[{name}]] #{index}"))
            for index, item in enumerate(listed, start=1)
        ]
    errata: list[Erratum] = []
    seen: set[str] = set()
    for index, raw in items["erratum"]:
        at = f"{where} [[erratum]] #{index}"
        if raw.table in ("stage", "gc") and raw.stage is None:
            raise EditorialError(
                "missing key",
                where=at,
                expected="a stage for a stage or gc erratum",
                received="nothing",
            )
        if raw.id in seen:
            raise EditorialError("erratum id used twice", where=f"{at}, id", received=raw.id)
        seen.add(raw.id)
        errata.append(Erratum(**attrs.asdict(raw)))
    penalties = []
    for index, raw in items["penalty"]:
        at = f"{where} [[penalty]] #{index}"
        fields = attrs.asdict(raw)
        fields["amount_ms"] = _clock(fields.pop("amount"), f"{at}, amount", signed=True)
        penalties.append(PenaltyDecision(**fields))
    awards = []
    for index, raw in items["award"]:
        fields = attrs.asdict(raw)
        fields["time_ms"] = _clock(fields.pop("time"), f"{where} [[award]] #{index}, time")
        awards.append(Award(**fields))
    return Editorial(
        rally_id=rally.id,
        path=where,
        article=rally.article,
        errata=tuple(errata),
        penalties=tuple(penalties),
        retirements=tuple(raw for _, raw in items["retirement"]),
        aliases=tuple(raw for _, raw in items["alias"]),
        awards=tuple(awards),
        unrecorded=tuple(raw for _, raw in items["unrecorded"]),
    )


# --------------------------------------------------------------------------- writing


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str)
    return _toml_string(value)


def _table(name: str, pairs: list[tuple[str, object]]) -> list[str]:
    lines = ["", f"[[{name}]]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in pairs if value is not None]
    return lines


def _dumped(decision: Any, key: str) -> object:
    """The value ``key`` of a decision's table; ``None`` leaves the key out."""
    if key == "amount":
        amount: int = decision.amount_ms
        return format_time(amount) if amount > 0 else format_signed(amount)
    if key == "time":
        return format_time(decision.time_ms)
    value = getattr(decision, key)
    return (value or None) if key in ("in_stage_time", "inferred") else value


def dump_decisions(editorial: Editorial) -> list[str]:
    """The decision tables of ``editorial`` as TOML lines (no [rally] table)."""
    lines: list[str] = []
    for table, (kind, keys) in _DECISION_TABLES.items():
        for decision in getattr(editorial, kind):
            pairs = [(key, _dumped(decision, key)) for key in [*keys.split(), "inferred"]]
            lines += _table(table, pairs)
    return lines


def dump_editorial(editorial: Editorial, *, header: str = "") -> str:
    """The whole file as TOML text, in the layout of ``replays/dakar-YEAR.toml``."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    lines.append("[rally]")
    if editorial.rally_id is not None:
        lines.append(f"id = {_toml_string(editorial.rally_id)}")
    if editorial.article is not None:
        lines.append(f"article = {_toml_string(editorial.article)}")
    lines += dump_decisions(editorial)
    return "\n".join(lines) + "\n"
