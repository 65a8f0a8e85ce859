"""Words and cells every output shares: crews, moves, times and gaps, display widths.

The plain tables, the rich terminal tables, the HTML report and the JSON all
name a crew, a move and a gap the same way because they all call these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

import attrs

from ..engine import Row, Standings, Unclassified
from ..events import Event, Person, Provenance, Record, format_signed

__all__ = [
    "STATUS_ORDER",
    "Move",
    "Reference",
    "all_tied",
    "crew_text",
    "describe",
    "display_width",
    "driver",
    "event_line",
    "gap_text",
    "move",
    "move_by",
    "moves",
    "number_cell",
    "pad",
    "record_text",
    "source_file",
    "source_text",
    "status_heading",
    "status_reason",
    "table",
    "title",
    "to_reference",
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


def number_cell(number: str | None) -> str:
    """A race number for a No. column: empty when the source gives none (never a "-")."""
    return number or ""


def record_text(seq: int) -> str:
    """A log sequence number in words: ``record #199 of the log``."""
    return f"record #{seq} of the log"


def gap_text(gap_ms: int | None) -> str:
    """A gap as ``+h:mm:ss``; nothing for the leader."""
    return "" if gap_ms is None else format_signed(gap_ms)


def title(rally: str, category: str, what: str, as_of: int | None) -> str:
    """The heading line of a table: ``2004 Dakar Rally · cars · what``."""
    known = f" (as known at {record_text(as_of)})" if as_of is not None else ""
    return f"{rally} · {category} · {what}{known}"


# ---------------------------------------------------------------------- moves


@attrs.frozen
class Move:
    """How an entry's position changed from one classification to another."""

    kind: Literal["up", "down", "same", "new", "unknown", "tied"]
    places: int = 0

    @property
    def text(self) -> str:
        """``▲2``, ``▼1``, ``=``, ``–`` (not classified before) or ``?`` (uncertain)."""
        if self.kind in ("up", "down"):
            return ("▲" if self.kind == "up" else "▼") + str(self.places)
        return {"same": "=", "new": "–", "unknown": "?", "tied": "·"}[self.kind]

    @property
    def title(self) -> str:
        """The move in words (a tooltip)."""
        if self.kind in ("up", "down"):
            verb = "gained" if self.kind == "up" else "lost"
            return f"{verb} {self.places} place{'s' if self.places != 1 else ''}"
        return {
            "same": "same position",
            "new": "not classified before",
            "unknown": "a position is uncertain (the source prints only the leading rows)",
            "tied": "every crew had the same time before (a time awarded to all, say): no order "
            "to move from",
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


def all_tied(standings: Standings | None) -> bool:
    """Whether every classified crew shares first place (a time awarded to all, say)."""
    return standings is not None and len(standings.rows) > 1 and standings.rows[-1].position == 1


def moves(previous: Standings | None, current: Standings) -> dict[str, Move]:
    """Each row's move since ``previous``; none from a GC where every crew was tied."""
    before = {row.entry_id: row for row in previous.rows} if previous is not None else {}
    tied = all_tied(previous)
    return {
        row.entry_id: Move("tied")
        if tied and row.entry_id in before
        else move(before.get(row.entry_id), row)
        for row in current.rows
    }


# ---------------------------------------------------------------------- plain columns


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (CJK) characters 2, combining marks 0."""
    if text.isascii():  # no wide, combining or format character: one column each
        return len(text)
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


# ---------------------------------------------------------------------- statuses

STATUS_ORDER = ("retired", "excluded", "no-result", "not-documented")
"""The order in which groups of unclassified crews are listed."""


def status_heading(status: str, known_rows: int | None = None) -> str:
    """A plain heading for a group of unclassified crews, in a fan's words."""
    if status == "not-documented":
        prints = f"the top {known_rows}" if known_rows else "only the leading rows"
        return f"Time not in the source (it prints {prints})"
    return {
        "retired": "Retired",
        "excluded": "Excluded",
        "no-result": "No time recorded",
    }.get(status, status)


def status_reason(item: Unclassified) -> str:
    """Why a crew is not classified, in words a fan understands.

    The engine's reason is kept for JSON; this rephrases the two reasons
    about a missing time, and keeps retirements and exclusions as they are.
    """
    if item.status not in ("no-result", "not-documented") or item.stage is None:
        return item.reason
    given = "printed" if item.status == "not-documented" else "recorded"
    if item.known_after is None:
        return f"no time {given} for stage {item.stage}"
    first, last = item.stage, item.known_after
    return f"only one total time {given} for stages {first}–{last}, known after stage {last}"


# ---------------------------------------------------------------------- sources

_FILE = re.compile(r"(?P<file>[^\s:]+\.(?:txt|md|html?|csv|json|pdf|toml)):\s*(?P<rest>.*)", re.S)
_LINE_ONLY = re.compile(r"line (\d+)")


def source_file(provenance: Provenance) -> str | None:
    """The file a provenance names (kept for tooltips and JSON), if any."""
    found = _FILE.match(provenance.detail or "")
    return found["file"] if found else None


def source_text(provenance: Provenance, rally: str) -> str:
    """Where a fact comes from, citable: ``2004 Dakar Rally article, line 179``.

    An importer names its source file (``000_ec2c8ada3c9fcad5.txt: line 179``);
    a reader knows it as the rally's article, so the file name is replaced by
    the rally's name (from the log's declaration) and kept only for a tooltip.
    """
    detail = provenance.detail or ""
    found = _FILE.match(detail)
    if not found:
        return detail
    rest = found["rest"].strip()
    article = f"{rally} article"
    if not rest:
        return article
    if _LINE_ONLY.fullmatch(rest):
        return f"{article}, {rest}"
    return f"{article}: {rest}"


# ---------------------------------------------------------------------- a reference crew


@attrs.frozen
class Reference:
    """The crew that gaps are measured to (``--relative-to``)."""

    entry_id: str
    number: str | None
    crew: tuple[Person, ...]

    @property
    def label(self) -> str:
        """``No. 203`` or the driver's name (a column heading)."""
        return f"No. {self.number}" if self.number else self.crew[0].name


def to_reference(time_ms: int, reference_ms: int | None) -> int | None:
    """A time against the reference crew's (negative: ahead of it); None if it has none."""
    return None if reference_ms is None else time_ms - reference_ms


# ---------------------------------------------------------------------- events


def _source(event: Event) -> str:
    provenance = event.provenance
    if provenance.kind == "recorded" and provenance.detail is None:
        return ""
    detail = f": {provenance.detail}" if provenance.detail else ""
    return f"  [{provenance.kind}{detail}]"


def describe(event: Event, *, source: bool = True) -> str:
    """One line saying what an event records (and, unless ``source`` is off, where from)."""
    return event.describe() + (_source(event) if source else "")


def event_line(record: Record) -> str:
    """A record as one line of ``standings events``: seq, type, what it records."""
    return f"{record.seq:>6}  {record.type:<23}  {describe(record.event)}\n"
