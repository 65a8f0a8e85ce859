"""The editorial data file of one imported rally: every decision a person made, with its reason.

The importer is general; what it cannot know from the article's format alone
lives here, reviewed, one table per decision:

``[[erratum]]``
    a printed value found to be wrong, the evidence, and the value used instead.
    ``table`` is ``stage``, ``gc``, ``final`` or ``entries`` (a principal-entry
    list); ``row`` the printed row (1-based) of that table (for ``stage``/``gc``:
    of that stage's block; for ``entries``: the article line); ``field`` one of
    ``time``, ``gap``, ``position``, ``number`` or ``row`` (``corrected = "drop"``
    removes a duplicated row).
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
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from rally_standings.events import RallyError, TimeFormatError, parse_duration, parse_time

__all__ = [
    "Alias",
    "Award",
    "Editorial",
    "Erratum",
    "PenaltyDecision",
    "Retirement",
    "Unrecorded",
    "load_editorial",
]

Table = Literal["stage", "gc", "final", "entries"]
Field = Literal["time", "gap", "position", "number", "row", "competitor"]


class EditorialError(RallyError):
    """An editorial data file that does not say what it must."""


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
    source: Literal["note", "prose", "arithmetic"]
    evidence: str


@attrs.frozen
class Retirement:
    """An entry that left the rally at a stage."""

    category: str
    competitor: str
    stage: int
    reason: str
    evidence: str


@attrs.frozen
class Alias:
    """A spelling of a name that stands for another spelling of the same person."""

    printed: str
    name: str
    reason: str


@attrs.frozen
class Award:
    """The stage a time awarded to every competitor applies to."""

    category: str
    stage: int
    time_ms: int
    evidence: str


@attrs.frozen
class Unrecorded:
    """A statement of the source the log does not record, and the reason."""

    category: str
    statement: str
    reason: str


@attrs.frozen
class Editorial:
    """Every editorial decision for one rally."""

    rally_id: str
    path: str | None = None
    errata: tuple[Erratum, ...] = ()
    penalties: tuple[PenaltyDecision, ...] = ()
    retirements: tuple[Retirement, ...] = ()
    aliases: tuple[Alias, ...] = ()
    awards: tuple[Award, ...] = ()
    unrecorded: tuple[Unrecorded, ...] = ()


def _get(table: Mapping[str, Any], key: str, kind: type, where: str, *, default: Any = ...) -> Any:
    if key not in table:
        if default is not ...:
            return default
        raise EditorialError(
            "missing key", where=where, expected=f"a {kind.__name__} {key!r}", received="nothing"
        )
    value = table[key]
    if (kind is int and type(value) is not int) or (
        kind is not int and not isinstance(value, kind)
    ):
        raise EditorialError(
            "wrong type", where=f"{where}, {key}", expected=kind.__name__, received=value
        )
    return value


def _clock(text: str, where: str, *, signed: bool = False) -> int:
    try:
        return parse_duration(text, where=where) if signed else parse_time(text, where=where)
    except TimeFormatError as error:
        raise EditorialError(
            error.what, where=where, expected=error.expected, received=text
        ) from None


def load_editorial(path: str | Path) -> Editorial:
    """Read and check an editorial data file."""
    location = Path(path)
    try:
        data = tomllib.loads(location.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EditorialError("no editorial data file", where=str(location)) from None
    except tomllib.TOMLDecodeError as error:
        raise EditorialError("not valid TOML", where=str(location), received=str(error)) from None
    return parse_editorial(data, where=str(location))


def parse_editorial(data: Mapping[str, Any], *, where: str = "<editorial>") -> Editorial:
    """Check and convert the parsed TOML of an editorial data file."""
    rally = _get(data, "rally", dict, where)
    rally_id = _get(rally, "id", str, f"{where} [rally]")
    errata = []
    seen: set[str] = set()
    for index, item in enumerate(data.get("erratum", []), start=1):
        at = f"{where} [[erratum]] #{index}"
        erratum = Erratum(
            id=_get(item, "id", str, at),
            category=_get(item, "category", str, at),
            table=_get(item, "table", str, at),
            stage=_get(item, "stage", int, at, default=None),
            row=_get(item, "row", int, at),
            field=_get(item, "field", str, at),
            printed=_get(item, "printed", str, at),
            corrected=_get(item, "corrected", str, at),
            evidence=_get(item, "evidence", str, at),
            kind=_get(item, "kind", str, at, default="error"),
        )
        if erratum.table not in ("stage", "gc", "final", "entries"):
            raise EditorialError(
                "unknown table",
                where=at,
                expected="stage, gc, final or entries",
                received=erratum.table,
            )
        if erratum.field not in ("time", "gap", "position", "number", "row", "competitor"):
            raise EditorialError(
                "unknown field",
                where=at,
                expected="time, gap, position, number, row or competitor",
                received=erratum.field,
            )
        if erratum.table in ("stage", "gc") and erratum.stage is None:
            raise EditorialError(
                "missing key",
                where=at,
                expected="a stage for a stage or gc erratum",
                received="nothing",
            )
        if erratum.id in seen:
            raise EditorialError("erratum id used twice", where=at, received=erratum.id)
        seen.add(erratum.id)
        errata.append(erratum)
    penalties = []
    for index, item in enumerate(data.get("penalty", []), start=1):
        at = f"{where} [[penalty]] #{index}"
        source = _get(item, "source", str, at)
        if source not in ("note", "prose", "arithmetic"):
            raise EditorialError(
                "unknown penalty source",
                where=at,
                expected="note, prose or arithmetic",
                received=source,
            )
        penalties.append(
            PenaltyDecision(
                id=_get(item, "id", str, at),
                category=_get(item, "category", str, at),
                competitor=_get(item, "competitor", str, at),
                stage=_get(item, "stage", int, at, default=None),
                amount_ms=_clock(_get(item, "amount", str, at), f"{at}, amount", signed=True),
                gc_only=_get(item, "gc_only", bool, at, default=False),
                in_stage_time=_get(item, "in_stage_time", bool, at, default=False),
                reason=_get(item, "reason", str, at),
                source=source,
                evidence=_get(item, "evidence", str, at),
            )
        )
    retirements = [
        Retirement(
            category=_get(item, "category", str, at),
            competitor=_get(item, "competitor", str, at),
            stage=_get(item, "stage", int, at),
            reason=_get(item, "reason", str, at),
            evidence=_get(item, "evidence", str, at),
        )
        for index, item in enumerate(data.get("retirement", []), start=1)
        for at in [f"{where} [[retirement]] #{index}"]
    ]
    aliases = [
        Alias(
            printed=_get(item, "printed", str, at),
            name=_get(item, "name", str, at),
            reason=_get(item, "reason", str, at),
        )
        for index, item in enumerate(data.get("alias", []), start=1)
        for at in [f"{where} [[alias]] #{index}"]
    ]
    awards = [
        Award(
            category=_get(item, "category", str, at),
            stage=_get(item, "stage", int, at),
            time_ms=_clock(_get(item, "time", str, at), f"{at}, time"),
            evidence=_get(item, "evidence", str, at),
        )
        for index, item in enumerate(data.get("award", []), start=1)
        for at in [f"{where} [[award]] #{index}"]
    ]
    unrecorded = [
        Unrecorded(
            category=_get(item, "category", str, at),
            statement=_get(item, "statement", str, at),
            reason=_get(item, "reason", str, at),
        )
        for index, item in enumerate(data.get("unrecorded", []), start=1)
        for at in [f"{where} [[unrecorded]] #{index}"]
    ]
    return Editorial(
        rally_id=rally_id,
        path=where,
        errata=tuple(errata),
        penalties=tuple(penalties),
        retirements=tuple(retirements),
        aliases=tuple(aliases),
        awards=tuple(awards),
        unrecorded=tuple(unrecorded),
    )
