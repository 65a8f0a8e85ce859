"""Words and cells every output shares: crews, moves, times and gaps, display widths.

The plain tables, the rich terminal tables, the HTML report and the JSON all
name a crew, a move and a gap the same way because they all call these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

import attrs

from ..engine import (
    COMPONENT_KINDS,
    Component,
    OutOfOrder,
    Rally,
    Row,
    StageResult,
    StageRow,
    Standings,
    Unclassified,
    name_matches,
)

if TYPE_CHECKING:
    from ..engine import WhatIfRow
from ..events import (
    EntryRegistered,
    Event,
    Person,
    Provenance,
    QueryError,
    Record,
    StageKind,
    crew_text,
    format_signed,
    format_time,
    who,
)

__all__ = [
    "GROUPS",
    "INTERVAL_WORDS",
    "MOVE_ORDER",
    "MOVE_WORDS",
    "NO_NUMBER",
    "NO_NUMBER_NOTE",
    "STATUS_ORDER",
    "Move",
    "Reference",
    "all_tied",
    "as_known_text",
    "cancelled_note",
    "char_width",
    "crew_text",
    "describe",
    "display_width",
    "driver",
    "event_line",
    "find_crew",
    "gap_text",
    "group_heading",
    "group_name",
    "group_of",
    "grouped",
    "intervals",
    "legend_parts",
    "missing_summary",
    "move",
    "move_by",
    "move_legend",
    "moves",
    "number_cell",
    "pad",
    "partial_note",
    "prints_text",
    "record_text",
    "sole_leader",
    "source_file",
    "source_text",
    "stage_partial_note",
    "status_heading",
    "status_reason",
    "table",
    "tied_first",
    "title",
    "to_reference",
    "what_if_move",
    "what_if_notes",
    "who",
]


def driver(crew: Sequence[Person]) -> str:
    """The first named crew member (the driver or rider)."""
    return crew[0].name


NO_NUMBER = "—"
"""The No. cell of a crew the source names without a race number (never a "-")."""

NO_NUMBER_NOTE = f"No. {NO_NUMBER}: the source prints no race number for this crew."
"""The legend of ``NO_NUMBER``, printed under a table that shows it."""


def number_cell(number: str | None) -> str:
    """A race number for a No. column: ``NO_NUMBER`` when the source gives none."""
    return number or NO_NUMBER


def record_text(seq: int) -> str:
    """A log sequence number in words: ``record #199 of the log`` (for ``explain``,
    ``events`` and ``--as-of``, where the log's order is the point)."""
    return f"record #{seq} of the log"


def as_known_text(seq: int) -> str:
    """What ``--as-of`` means, in a fan's words: ``as known after the log's 199th event``."""
    suffix = "th" if 10 <= seq % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(seq % 10, "th")
    return f"as known after the log's {seq}{suffix} event"


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
        """``▲2``, ``▼1``, ``=``, ``–`` (place before not known), ``?`` (a place only a lower
        bound) or ``tie`` (every crew tied before: no order to move from)."""
        if self.kind in ("up", "down"):
            return ("▲" if self.kind == "up" else "▼") + str(self.places)
        return {"same": "=", "new": "–", "unknown": "?", "tied": "tie"}[self.kind]

    @property
    def title(self) -> str:
        """The move in words (a tooltip)."""
        if self.kind in ("up", "down"):
            verb = "gained" if self.kind == "up" else "lost"
            return f"{verb} {self.places} place{'s' if self.places != 1 else ''}"
        return {
            "same": "same position",
            "new": "place before not known (not in the standings then)",
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


def what_if_move(item: WhatIfRow) -> Move | None:
    """The move of a hypothetical row from its actual place (None: not classified in
    reality); unknown where either place is only known as ≥N."""
    if item.actual_position is None:
        return None
    return move_by(item.position_change) if item.move_known else Move("unknown")


def what_if_notes(rows: Sequence[WhatIfRow], known_rows: int | None) -> list[str]:
    """The legends a what-if table needs beyond its own: what ≥N means, and a Move of ?."""
    notes = []
    if any(not (item.row.position_certain and item.actual_position_certain) for item in rows):
        notes.append(partial_note(known_rows))
    moves = [what_if_move(item) for item in rows]
    if any(moved is not None and moved.kind == "unknown" for moved in moves):
        notes.append(f"Move: {MOVE_WORDS['unknown']}.")
    return notes


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


_R = TypeVar("_R", Row, StageRow)


def sole_leader(rows: Sequence[_R]) -> _R | None:
    """The first row if it leads alone; None when no one is classified or first place is
    shared (a tie is never drawn as a lead)."""
    if not rows or (len(rows) > 1 and rows[1].position == rows[0].position):
        return None
    return rows[0]


def tied_first(rows: Sequence[Row | StageRow]) -> bool:
    """Whether first place is shared by two or more crews."""
    return len(rows) > 1 and rows[1].position == rows[0].position


def intervals(rows: Sequence[Row | StageRow]) -> list[int | None]:
    """Each row's time behind the row one place ahead (None for the first row; 0 in a tie)."""
    return [
        None if index == 0 else row.time_ms - rows[index - 1].time_ms
        for index, row in enumerate(rows)
    ]


MOVE_WORDS: dict[str, str] = {
    "head": "Move since {since}: ",
    "up down": "places gained ▲ or lost ▼",
    "up": "places gained ▲",
    "down": "places lost ▼",
    "same": "= the same place",
    "new": "– place before not known (the crew was not in the standings then)",
    "unknown": "? a place then or now is shown only as ≥N (N-th or lower), so the move is not "
    "known",
    "tied": "tie where every crew was tied before (a time awarded to all), so there was no "
    "order to move from",
}
"""The words of a Move column's legend, a part per symbol (``Move.kind``; ``up down``: both
arrows): the one source of them for the plain and terminal tables, the report and the live
page (which reads them from its first HTML: ``legend_parts`` is the order they are said in)."""

INTERVAL_WORDS = "Interval: time behind the crew one place ahead."
"""The legend of an Interval column (the report's and the live page's)."""

MOVE_ORDER = ("up", "same", "new", "unknown", "tied")
"""The order of a Move legend's parts (``up`` standing for the arrows, either or both)."""


def legend_parts(kinds: Iterable[str]) -> list[str]:
    """The keys of ``MOVE_WORDS`` a legend says for a table whose moves are of ``kinds``: one
    part per symbol the table shows, none for a symbol it does not."""
    present = set(kinds)
    parts = []
    for kind in MOVE_ORDER:
        if kind == "up":
            arrows = " ".join(k for k in ("up", "down") if k in present)
            if arrows:
                parts.append(arrows)
        elif kind in present:
            parts.append(kind)
    return parts


def move_legend(since: str, kinds: Iterable[str]) -> str:
    """The legend of a Move column whose moves are of ``kinds`` (``Move.kind``): only the
    symbols it shows (``since``: ``stage 4``, ``the stage before``); nothing for no move."""
    parts = legend_parts(kinds)
    if not parts:
        return ""
    head = MOVE_WORDS["head"].format(since=since)
    return head + "; ".join(MOVE_WORDS[part] for part in parts) + "."


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


def char_width(char: str) -> int:
    """Columns one character takes on a terminal: a wide (CJK) one 2, a combining mark or a
    format character 0, any other 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: the sum of its characters' ``char_width``."""
    if text.isascii():  # no wide, combining or format character: one column each
        return len(text)
    return sum(map(char_width, text))


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
"""The engine's statuses of an unclassified crew, in the order they are listed."""

GROUPS = ("retired", "excluded", "unknown", "withdrawn", "no-result")
"""The plain groups of crews missing from a classification, in the order they are listed:
retired, excluded, time not in the source, time withdrawn, no result recorded."""

_GROUP_OF = {
    "retired": "retired",
    "excluded": "excluded",
    "not-documented": "unknown",
    "no-result": "no-result",
    "not-yet": "no-result",
}


def group_of(status: str, withdrawn: bool = False) -> str:
    """The plain group (``GROUPS``) of an engine status (of a time recorded, then
    withdrawn: ``withdrawn``)."""
    return "withdrawn" if withdrawn else _GROUP_OF.get(status, "no-result")


def prints_text(known_rows: int | None) -> str:
    """``the source prints only the top 10`` (or only the leading rows, number unknown)."""
    if known_rows == 1:
        return "the source prints only the leader"
    return (
        f"the source prints only the top {known_rows}"
        if known_rows
        else ("the source prints only the leading rows")
    )


def cancelled_note(standings: Standings) -> str:
    """What standings after a cancelled stage say of it ("" for a stage run)."""
    cancelled = standings.cancellation
    if cancelled is None:
        return ""
    event = cancelled.event
    awarded = (
        "it adds no time"
        if event.awarded_ms is None
        else f"every crew still running was given {format_time(event.awarded_ms)}"
    )
    reason = event.reason.rstrip(".")
    return f"Stage {standings.after_stage} was cancelled ({reason}): {awarded}."


def stage_partial_note(result: StageResult) -> str:
    """What a stage ranking the source gives only the top of says of it ("" for the whole
    field): what ≥N means where it shows one, else that the other crews are not listed."""
    if any(not row.position_certain for row in result.rows):
        return partial_note(result.known_rows)
    if result.known_rows is None or result.waypoint is not None or not result.rows:
        return ""
    said = prints_text(result.known_rows)
    said = f"{said[0].upper()}{said[1:]} of this stage's ranking"
    return f"{said}: no other crew's place in it is known."


def partial_note(known_rows: int | None) -> str:
    """What ≥N means, under a table the source gives only the top of: one wording for the
    plain and terminal tables and the live page."""
    return f"≥N: {prints_text(known_rows)}, so a place shown as ≥N is N-th or lower."


def group_heading(
    group: str,
    known_rows: int | None = None,
    count: int | None = None,
    *,
    as_of: int | None = None,
) -> str:
    """The heading of one group of crews missing from a classification, in a fan's words,
    with how many there are (``count``) beside the group's name: "Retired (2)", "Time not in
    the source (7): the source prints only the top 10". Of standings as known at record
    ``as_of``, a time missing then may come later in the log: "Time not known at record
    #120"."""
    said = group_name(group, as_of=as_of) + ("" if count is None else f" ({count})")
    return f"{said}: {prints_text(known_rows)}" if group == "unknown" else said


_GROUP_NAMES = {
    "retired": "Retired",
    "excluded": "Excluded",
    "unknown": "Time not in the source",
    "withdrawn": "Time withdrawn",
    "no-result": "No result recorded",
}


def group_name(group: str, *, as_of: int | None = None) -> str:
    """The name of one group of crews missing from a classification ("Retired"); of
    standings as known at record ``as_of``, "Time not known at record #120" for a time
    the source may still give later in the log."""
    if group == "unknown" and as_of is not None:
        return f"Time not known at record #{as_of}"
    return _GROUP_NAMES.get(group, group)


def status_heading(item: Unclassified, known_rows: int | None = None) -> str:
    """The heading of the group a crew missing from a classification belongs to."""
    return group_heading(group_of(item.status, item.withdrawn), known_rows)


def grouped(items: Sequence[Unclassified]) -> list[tuple[str, list[Unclassified]]]:
    """Crews missing from a classification by plain group, in ``GROUPS`` order (only the
    groups present; each group in the engine's order)."""
    out = []
    for group in GROUPS:
        members = [item for item in items if group_of(item.status, item.withdrawn) == group]
        if members:
            out.append((group, members))
    return out


def status_reason(item: Unclassified) -> str:
    """Why a crew is missing from a classification, in words a fan understands: the engine's
    reason (the same in JSON; never "not classified")."""
    return item.reason


def missing_summary(items: Sequence[Unclassified], known_rows: int | None) -> str:
    """``Not in these standings: 2 crews retired; 13 crews whose time the source does not
    print (it prints the top 10)`` (empty when every crew is in them)."""
    parts = []
    for group, members in grouped(items):
        count = len(members)
        crews = f"{count} crew{'' if count == 1 else 's'}"
        if group in ("retired", "excluded"):
            parts.append(f"{crews} {group}")
        elif group == "withdrawn":
            parts.append(f"{crews} whose time was withdrawn")
        elif group == "unknown":
            parts.append(
                f"{crews} whose time the source does not print ({prints_text(known_rows)})"
            )
        else:
            parts.append(f"{crews} with no result recorded")
    return ("Not in these standings: " + "; ".join(parts) + ".") if parts else ""


# ---------------------------------------------------------------------- sources

_FILE = re.compile(r"(?P<file>[^\s:]+\.(?:txt|md|html?|csv|json|pdf|toml)):\s*(?P<rest>.*)", re.S)
_LINE_ONLY = re.compile(r"line (\d+)")
_START = re.compile(r" − the start(?= − |$)")
"""A derived time's sum begins at the start (0:00:00): a term that says nothing to a reader."""


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
    detail = _START.sub("", provenance.detail or "")
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


def find_crew(rally: Rally, category: str, ref: str) -> EntryRegistered:
    """The crew ``ref`` names (a race number, an entry id or a name matching one crew), as
    ``Rally.find_entry``; a name matching several crews is refused naming each of them as a
    fan knows it (``No. 417 Gérard de Rooy``, ``Jan de Rooy (no race number)``) and what to
    type instead, never by an entry id."""
    try:
        return rally.find_entry(category, ref)
    except QueryError as error:
        if error.what != "ambiguous entry":
            raise
        matches = [e for e in rally.entries(category) if name_matches(ref, e.crew[0].name)]
        named = ", ".join(
            who(e.number, e.crew) if e.number else f"{e.crew[0].name} (no race number)"
            for e in matches
        )
        raise QueryError(
            "ambiguous name",
            where=category,
            expected="a race number, or a driver's name that matches one crew (a crew without "
            "a race number: its driver's full name)",
            received=f"{ref!r} matches {len(matches)} crews: {named}",
        ) from None


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


def component_amount(part: Component) -> str:
    """A part of a time as its kind shows it: an amount added or taken away with its sign
    (``+0:05:00``), a time as a time (``COMPONENT_KINDS``)."""
    if COMPONENT_KINDS[part.kind].signed:
        return format_signed(part.time_ms)
    return format_time(part.time_ms)


def component_note(part: Component) -> str:
    """What a part of a time is, in words; for a corrected result, the time its correction
    replaced and the record that time came from (``…, corrected: typed 3:05; replaces
    0:03:05 of record #20``)."""
    if part.replaced_ms is None:
        return part.note
    return f"{part.note}; replaces {format_time(part.replaced_ms)} of record #{part.replaced_seq}"


def out_of_order_text(items: Sequence[OutOfOrder]) -> str:
    """The times at a waypoint recorded out of order, said as such (empty: none)."""
    if not items:
        return ""
    said = []
    for item in items:
        there = (
            "its stage time"
            if item.other_waypoint is None
            else f"at waypoint {item.other_waypoint}"
        )
        record = "" if item.other_seq is None else f", record #{item.other_seq}"
        said.append(
            f"No. {item.number or item.entry_id}'s time at waypoint {item.waypoint}, "
            f"{format_time(item.time_ms)}, is {'later' if item.later else 'earlier'} than "
            f"{there} ({format_time(item.other_ms)}{record})"
        )
    return "Recorded out of order, as timed: " + "; ".join(said) + "."


def component_counts(parts: Sequence[Component]) -> str:
    """``2 results, 1 penalty``: how many parts of each kind, in the registry's order."""
    kinds = [part.kind for part in parts]
    counts = []
    for kind in COMPONENT_KINDS.values():
        count = kinds.count(kind.name)
        if count:
            counts.append(f"{count} {kind.label}{'' if count == 1 else 's'}")
    return ", ".join(counts)


def empty_note(standings: Standings) -> str:
    """What an empty classification says: that no one is in it yet (only a prologue has been
    run: it sets the start order), or that no entry is."""
    if not standings.before_gc:
        return "No entry is classified."
    note = "No stage counting toward the general classification has been run yet"
    if standings.view.kind(standings.after_stage, standings.category) is StageKind.PROLOGUE:
        note += "; the prologue sets the start order"
    return note + "."
