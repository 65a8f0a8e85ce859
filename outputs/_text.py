"""Words and cells every output shares: crews, moves, times and gaps, display widths.

The plain tables, the rich terminal tables, the HTML report and the JSON all
name a crew, a move and a gap the same way because they all call these.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Literal

import attrs

from rally_standings.engine import Row
from rally_standings.events import Person, format_signed

__all__ = [
    "Move",
    "crew_text",
    "display_width",
    "driver",
    "gap_text",
    "move",
    "move_by",
    "pad",
    "table",
    "title",
    "who",
]


def crew_text(crew: Sequence[Person]) -> str:
    """Crew names, driver first, joined with slashes."""
    return " / ".join(person.name for person in crew)


def driver(crew: Sequence[Person]) -> str:
    """The first named crew member (the driver or rider)."""
    return crew[0].name


def who(number: str | None, crew: Sequence[Person]) -> str:
    """``No. 203 Stéphane Peterhansel``, or the name alone when the number is unknown."""
    return f"No. {number} {crew[0].name}" if number else crew[0].name


def gap_text(gap_ms: int | None) -> str:
    """A gap as ``+h:mm:ss``; nothing for the leader."""
    return "" if gap_ms is None else format_signed(gap_ms)


def title(rally: str, category: str, what: str, as_of: int | None) -> str:
    """The heading line of a table: ``2004 Dakar Rally · cars · what``."""
    known = f" (as known at log seq {as_of})" if as_of is not None else ""
    return f"{rally} · {category} · {what}{known}"


# ---------------------------------------------------------------------- moves


@attrs.frozen
class Move:
    """How an entry's position changed from one classification to another."""

    kind: Literal["up", "down", "same", "new", "unknown"]
    places: int = 0

    @property
    def text(self) -> str:
        """``▲2``, ``▼1``, ``=``, ``–`` (not classified before) or ``?`` (uncertain)."""
        if self.kind == "up":
            return f"▲{self.places}"
        if self.kind == "down":
            return f"▼{self.places}"
        return {"same": "=", "new": "–", "unknown": "?"}[self.kind]

    @property
    def title(self) -> str:
        """The move in words (a tooltip)."""
        if self.kind == "up":
            return f"gained {self.places} place{'s' if self.places != 1 else ''}"
        if self.kind == "down":
            return f"lost {self.places} place{'s' if self.places != 1 else ''}"
        return {
            "same": "same position",
            "new": "not classified before",
            "unknown": "a position is uncertain (the source prints only the leading rows)",
        }[self.kind]


def move_by(places_gained: int) -> Move:
    """The move of an entry that gained ``places_gained`` places (negative: lost)."""
    if places_gained > 0:
        return Move("up", places_gained)
    if places_gained < 0:
        return Move("down", -places_gained)
    return Move("same")


def move(before: Row | None, after: Row) -> Move:
    """The move of ``after`` relative to ``before`` (the same entry, an earlier GC)."""
    if before is None:
        return Move("new")
    if not (before.position_certain and after.position_certain):
        return Move("unknown")
    return move_by(before.position - after.position)


# ---------------------------------------------------------------------- plain columns


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (CJK) characters 2, combining marks 0."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` display columns (on the left if ``right``)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: set[int]) -> list[str]:
    """Aligned plain-text columns; columns whose index is in ``right`` align right."""
    widths = [display_width(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], display_width(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [pad(cell, widths[i], right=i in right) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]
