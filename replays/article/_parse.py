"""Read a Dakar Rally article (plain text derived from Wikipedia) into typed records.

The parser is *faithful*: it records what the article prints, where it prints
it, and nothing else. It never corrects, fills in, copies down or reorders a
value; errors in the articles are somebody else's business. Every parsed row
keeps its 1-based ``line`` number and its ``raw`` text, and rows whose printed
shape departs from the regular layout carry human-readable ``anomalies``.

Article layout understood here (one edition per article, any year)::

    = 2004 Dakar Rally =                      title; the year is its 4-digit number
    ==Stages==                                the stages table, then "- " note lines
    ==Stage results== / ==Stage Results==
    ===Bikes=== / ===Motorcycles===           one table per category, then notes
    ===Cars===  ===Trucks===
    ==Final standings==
    ===Motorcycles=== ...                     one table per category (read by header)

Lines of the form ``- <Category> principal entry`` start a list of race numbers
(``- KTM`` names a make, ``- 1 Richard Sainct`` an entry) wherever they occur.
Everything else (infobox, prose, other sections) is ignored.

Conventions:

* Table rows are lines starting with ``|``; cells are separated by ``|``. A
  stray quote glued to a cell separator (``'|JPN Hiroshi Masuoka``) is merged
  back into one cell; the artefact is stripped from competitor cells and the
  raw cell is kept (``competitor_raw``) and reported as an anomaly.
* Category names are normalised: ``Bikes``/``Motorcycles`` -> ``"bikes"``,
  ``Cars`` -> ``"cars"``, ``Trucks`` -> ``"trucks"``; any other name is lower-cased.
* Times are exact integer milliseconds (see :func:`parse_clock`); no float is
  ever used.
* A missing cell value is ``None``; "not printed" is never replaced by a guess.
* Every error is an :class:`ArticleError` that says what was wrong, where
  (source and line), what was expected and what was received.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, TypeVar

import attrs

from ...events import Person, RallyError, TimeFormatError, parse_time

__all__ = [
    "Anomaly",
    "Article",
    "ArticleError",
    "CancelledStages",
    "CategoryResults",
    "Clock",
    "FinalStandings",
    "Note",
    "Paragraph",
    "Placing",
    "PrincipalEntry",
    "ResultRow",
    "StageBlock",
    "StageWinner",
    "StagesTable",
    "StagesTableRow",
    "StandingRow",
    "TimeKind",
    "WinnerCancellation",
    "normalise_category",
    "parse_article",
    "parse_clock",
    "parse_crew",
]


# --------------------------------------------------------------------------- errors


class ArticleError(RallyError, ValueError):
    """An article (or one of its cells) that cannot be read.

    The message reads ``what (where): expected E, received R``; each part is
    kept as an attribute.
    """


# --------------------------------------------------------------------------- clocks

_CLOCK_EXPECTED = "h:mm:ss or m:ss, optionally prefixed by '+' (e.g. 4:31:31, 110:14:45, 22:47)"


def parse_clock(text: str, *, where: str | None = None) -> int:
    """Read a printed time or gap (``4:31:31``, ``22:47``, ``+12:38``) as integer milliseconds.

    The project's one time parser (``parse_time``) with the variants articles
    need: a leading ``+`` and ``m:ss`` minutes past 59. A mistake raises
    :class:`ArticleError` saying ``where`` (e.g. ``"article.txt, line 12"``).
    """
    try:
        return parse_time(text, where=where or "time", plus=True, long_minutes=True)
    except TimeFormatError as error:
        raise ArticleError(
            error.what, where=where, expected=_CLOCK_EXPECTED, received=text
        ) from None


class TimeKind(enum.Enum):
    """Whether a printed time is an absolute (elapsed) time or a gap to the leader."""

    ABSOLUTE = "absolute"
    GAP = "gap"


@attrs.frozen
class Clock:
    """A time as printed (``text``, e.g. ``"+12:38"``) and its value in milliseconds.

    In stage results ``kind`` follows the column (Time -> ABSOLUTE, Gap -> GAP);
    in final standings it follows the print: a leading ``+`` is a GAP,
    otherwise the time is ABSOLUTE.
    """

    text: str
    ms: int
    kind: TimeKind


# --------------------------------------------------------------------------- people
# A competitor is the project's own ``rally_standings.events.Person`` (name as
# printed, whitespace collapsed, and the 3-letter country code or None).

_CODE_RE = re.compile(r"[A-Z]{3}")


def _glued_code(token: str) -> bool:
    """``BELJean-Marie``: a code immediately followed by a capitalised name."""
    return (
        len(token) > 4
        and _CODE_RE.fullmatch(token[:3]) is not None
        and token[3].isupper()
        and token[4].islower()
    )


def _split_crew(cell: str, where: str | None) -> tuple[tuple[Person, ...], tuple[str, ...]]:
    people: list[tuple[str | None, list[str]]] = []
    notes: list[str] = []
    for token in cell.split():
        if _CODE_RE.fullmatch(token):
            people.append((token, []))
        elif _glued_code(token):
            people.append((token[:3], [token[3:]]))
            notes.append(f"country code glued to the name: {token!r}")
        else:
            if not people:
                people.append((None, []))
                notes.append(f"name printed without a country code: {cell.strip()!r}")
            people[-1][1].append(token)
    for _code, names in people:
        if not names:
            raise ArticleError(
                "country code not followed by a name",
                where=where,
                expected="each 3-letter code followed by a name (e.g. 'FRA Luc Alphand')",
                received=cell,
            )
    return tuple(Person(" ".join(names), code) for code, names in people), tuple(notes)


def parse_crew(cell: str, *, where: str | None = None) -> tuple[Person, ...]:
    """Split a competitor cell into people, e.g. ``"FRA Luc Alphand AND Henri Magne"``.

    Rule: a new person starts at every whitespace-separated token that is
    *exactly* three uppercase ASCII letters; that token is the person's
    country code and the following tokens up to the next code are the name.
    Names are Title-case, so a standalone 3-uppercase token inside a name does
    not occur in practice; ``AND`` (Andorra) is therefore a country code, not a
    conjunction. Lowercase particles (``de Rooy``, ``van Genugten``),
    hyphens, apostrophes and accents stay in the name.

    Two printed deviations are accepted: a code glued to the name
    (``BELJean-Marie Lurquin`` -> ``Person("Jean-Marie Lurquin", "BEL")``,
    recognised as three uppercase ASCII letters followed by an uppercase and a
    lowercase letter), and a leading name with no code (nationality ``None``).
    An empty cell gives ``()``; a code with no name after it raises
    :class:`ArticleError`.
    """
    return _split_crew(cell, where)[0]


# --------------------------------------------------------------------------- categories

_CATEGORY_ALIASES = {
    "bikes": "bikes",
    "bike": "bikes",
    "motorcycles": "bikes",
    "motorcycle": "bikes",
    "motorbikes": "bikes",
    "motos": "bikes",
    "cars": "cars",
    "car": "cars",
    "autos": "cars",
    "trucks": "trucks",
    "truck": "trucks",
    "lorries": "trucks",
    "camions": "trucks",
}


_T = TypeVar("_T")


def _first(items: Iterable[_T], found: Callable[[_T], bool], key: object) -> _T:
    """The first of ``items`` that is ``found``; KeyError(``key``) if there is none."""
    for item in items:
        if found(item):
            return item
    raise KeyError(key)


def normalise_category(name: str) -> str:
    """Normalise a category heading: ``Bikes``/``Motorcycles`` -> ``"bikes"``, etc.

    ``Cars`` -> ``"cars"``, ``Trucks`` -> ``"trucks"``; any other name is
    returned lower-cased with whitespace collapsed.
    """
    key = " ".join(name.split()).lower()
    return _CATEGORY_ALIASES.get(key, key)


# --------------------------------------------------------------------------- records


@attrs.frozen
class Anomaly:
    """A printed irregularity worth a consumer's attention, with its line."""

    line: int
    text: str


@attrs.frozen
class Paragraph:
    """A line of running text (the articles print one paragraph per line)."""

    line: int
    text: str


@attrs.frozen
class Note:
    """A ``- `` note line: the raw line, its footnote marker (``-``, ``—``, ...) and text."""

    line: int
    raw: str
    marker: str | None
    text: str


@attrs.frozen
class WinnerCancellation:
    """Cancellation text in a stages-table row; ``category`` None = whole row (distance cell)."""

    category: str | None
    text: str


@attrs.frozen
class StageWinner:
    """One stage-winners cell of the stages table.

    ``text`` is the cell as printed (``None`` when empty). When the cell lists
    competitors (it starts with a country code) they are in ``crew`` (several
    for a shared win, e.g. ``"ITA G. Sala ESP N. Roma"``); otherwise the text
    is a ``remark`` such as ``"Stage cancelled"`` or ``"Liaison only"``.
    """

    category: str
    text: str | None
    crew: tuple[Person, ...]
    remark: str | None


@attrs.frozen
class StagesTableRow:
    """One row of the ``==Stages==`` table (route, date, distance, winners).

    Not a stage ranking: the rows of a ranking are ``ResultRow`` here and
    ``rally_standings.engine.StageRow`` in a replay.

    ``stage`` is None for rest-day rows. When the To cell is not printed and
    the later cells are shifted left (loop stages such as ``| 17 | 18 January
    | SEN Dakar | 106 | ...``), ``to_place`` is None and ``to_printed`` False.
    ``distance_km`` is None unless the distance cell is a plain integer;
    ``distance_text`` keeps that cell as printed (e.g. ``"Stages cancelled"``).
    """

    line: int
    raw: str
    stage: int | None
    date: str | None
    from_place: str | None
    to_place: str | None
    to_printed: bool
    distance_km: int | None
    distance_text: str | None
    rest_day: bool
    winners: tuple[StageWinner, ...]
    cancellations: tuple[WinnerCancellation, ...]
    anomalies: tuple[str, ...]

    def winner(self, category: str) -> StageWinner | None:
        """The winners cell of ``category`` (normalised name), or None if the row has none."""
        wanted = normalise_category(category)
        for cell in self.winners:
            if cell.category == wanted:
                return cell
        return None


@attrs.frozen
class StagesTable:
    """The ``==Stages==`` table: winner categories (header order), rows and notes."""

    line: int
    categories: tuple[str, ...]
    rows: tuple[StagesTableRow, ...]
    notes: tuple[Note, ...]

    def row(self, stage: int) -> StagesTableRow:
        """The first row printed for ``stage``; KeyError if there is none."""
        return _first(self.rows, lambda row: row.stage == stage, stage)


@attrs.frozen
class Placing:
    """One half (stage result or general classification) of a stage-results row.

    ``position`` is None when no position is printed (``position_printed``
    False): such a half shares the position of the half above it (a tie) -
    the consumer decides; nothing is copied down. ``time``/``gap`` are None
    when not printed (the winner's and the leader's gaps, tie rows).
    ``competitor`` is the cleaned cell, ``competitor_raw`` the cell as printed.
    """

    position: int | None
    position_printed: bool
    competitor: str
    competitor_raw: str
    crew: tuple[Person, ...]
    make: str | None
    time: Clock | None
    gap: Clock | None

    @property
    def competitor_odd(self) -> bool:
        """True when the printed competitor cell carried a stray artefact."""
        return self.competitor != self.competitor_raw


@attrs.frozen
class ResultRow:
    """One printed row of a category's stage-results table.

    ``stage`` is the stage the row belongs to: its own printed number, or the
    most recent one above it (``stage_printed`` False). ``result`` is the left
    half, ``gc`` the right half (None when empty); ``gc_remark`` holds text
    printed instead of a GC (``"Stage not counted towards overall classification"``).
    """

    line: int
    raw: str
    stage: int
    stage_printed: bool
    result: Placing | None
    gc: Placing | None
    gc_remark: str | None
    anomalies: tuple[str, ...]


@attrs.frozen
class StageBlock:
    """All rows of one stage in a category's stage-results table.

    ``line``/``raw`` are those of the row printing the stage number.
    ``remark`` is text printed in place of results (``"Stages cancelled due to
    security concerns"``, ``"Liaison only"``); ``cancelled`` is True when that
    text mentions a cancellation. A bare stage-number row (``| 11 | | | |``)
    directly under a remark row (or under another such bare row) is covered by
    that remark (a row-spanning cell): ``spanned_by`` is the stage number of the
    remark row, ``cancelled`` is copied from it and ``remark`` stays None. A
    bare row anywhere else is just an empty block. ``gc_not_counted`` is True
    when a row says the stage is not counted towards the overall
    classification (prologues).
    """

    stage: int
    line: int
    raw: str
    remark: str | None
    cancelled: bool
    spanned_by: int | None
    gc_remark: str | None
    gc_not_counted: bool
    rows: tuple[ResultRow, ...]

    @property
    def results(self) -> tuple[Placing, ...]:
        """The stage-result halves, in printed order."""
        return tuple(row.result for row in self.rows if row.result is not None)

    @property
    def gc(self) -> tuple[Placing, ...]:
        """The general-classification halves, in printed order."""
        return tuple(row.gc for row in self.rows if row.gc is not None)


@attrs.frozen
class CancelledStages:
    """Stages covered by one printed cancellation text (e.g. stages 10 and 11)."""

    stages: tuple[int, ...]
    text: str
    line: int


@attrs.frozen
class CategoryResults:
    """A category's stage-results table: its stage blocks in printed order and notes."""

    category: str
    heading: str
    line: int
    blocks: tuple[StageBlock, ...]
    cancellations: tuple[CancelledStages, ...]
    notes: tuple[Note, ...]

    def block(self, stage: int) -> StageBlock:
        """The first block printed for ``stage``; KeyError if there is none."""
        return _first(self.blocks, lambda block: block.stage == stage, stage)


@attrs.frozen
class StandingRow:
    """One row of a final-standings table (columns read by header name).

    ``number`` (race number) is None when the cell is empty; ``co_drivers`` is
    ``()`` and ``co_drivers_raw`` None when the table has no co-driver column;
    ``entrant`` is None when the cell is empty or the table has no Entrant column.
    """

    line: int
    raw: str
    position: int
    number: str | None
    driver: Person
    driver_raw: str
    co_drivers: tuple[Person, ...]
    co_drivers_raw: str | None
    make: str | None
    entrant: str | None
    time: Clock
    anomalies: tuple[str, ...]


@attrs.frozen
class FinalStandings:
    """A category's final-standings table; ``columns`` is its header as printed."""

    category: str
    heading: str
    line: int
    columns: tuple[str, ...]
    has_entrant: bool
    rows: tuple[StandingRow, ...]
    notes: tuple[Note, ...]


@attrs.frozen
class PrincipalEntry:
    """A ``- 1 Richard Sainct`` line of a principal-entry list, with its category and make."""

    line: int
    raw: str
    category: str
    make: str
    number: str
    name: str


@attrs.frozen
class Article:
    """A whole parsed article. ``notes`` gathers every note of every part, in line order."""

    source: str
    title: str
    title_line: int
    year: int
    stages: StagesTable
    categories: tuple[CategoryResults, ...]
    final_standings: tuple[FinalStandings, ...]
    principal_entries: tuple[PrincipalEntry, ...]
    notes: tuple[Note, ...]
    prose: tuple[Paragraph, ...] = ()
    """Every line of running text (not a heading, table row or ``- `` item), in order."""

    def results(self, category: str) -> CategoryResults:
        """The stage results of ``category`` (any spelling normalise_category accepts)."""
        wanted = normalise_category(category)
        return _first(self.categories, lambda results: results.category == wanted, category)

    def standings(self, category: str) -> FinalStandings:
        """The final standings of ``category``."""
        wanted = normalise_category(category)
        return _first(self.final_standings, lambda table: table.category == wanted, category)

    def anomalies(self) -> tuple[Anomaly, ...]:
        """Every row anomaly of the article, sorted by line."""
        found: list[Anomaly] = []
        rows: list[StagesTableRow | ResultRow | StandingRow] = list(self.stages.rows)
        for results in self.categories:
            for block in results.blocks:
                rows.extend(block.rows)
        for standings in self.final_standings:
            rows.extend(standings.rows)
        for row in rows:
            found.extend(Anomaly(row.line, text) for text in row.anomalies)
        return tuple(sorted(found, key=lambda a: a.line))


# --------------------------------------------------------------------------- lexing


@attrs.frozen
class _Line:
    number: int
    text: str


@attrs.frozen
class _Cell:
    text: str  # stripped content, a merged stray artefact removed
    raw: str  # stripped content as printed (including a merged stray '|')
    artefact: str | None


_STRAY_CHARS = "'`´‘’"


def _split_row(text: str) -> tuple[_Cell, ...]:
    body = text.strip()[1:]
    if body.endswith("|"):
        body = body[:-1]
    pieces = body.split("|")
    cells: list[_Cell] = []
    index = 0
    while index < len(pieces):
        piece = pieces[index]
        stripped = piece.strip()
        following = pieces[index + 1] if index + 1 < len(pieces) else ""
        if (
            stripped
            and all(ch in _STRAY_CHARS for ch in stripped)
            and following[:1].strip()  # glued: the next cell starts right after the '|'
        ):
            raw = (piece + "|" + following).strip()
            cells.append(_Cell(following.strip(), raw, stripped + "|"))
            index += 2
            continue
        cells.append(_Cell(stripped, stripped, None))
        index += 1
    return tuple(cells)


_LEADING_STRAY_RE = re.compile(rf"([{_STRAY_CHARS}]+)\s*(?=[A-Z]{{3}}(?:\s|[A-Z][a-z]))")


def _clean_competitor(cell: _Cell) -> _Cell:
    """Strip a stray quote printed before a competitor cell (``'JPN Hiroshi ...``)."""
    if cell.artefact is not None:
        return cell
    match = _LEADING_STRAY_RE.match(cell.text)
    if match is None:
        return cell
    return _Cell(cell.text[match.end() :], cell.raw, match.group(1))


_INT_RE = re.compile(r"[0-9]+")
_TIMEISH_RE = re.compile(r"[+\-−]?[0-9]+(?::[0-9]+)+")


def _is_int(text: str) -> bool:
    return _INT_RE.fullmatch(text) is not None


def _is_time(text: str) -> bool:
    # Deliberately loose: a malformed clock is classified as a time and then fails loudly.
    return _TIMEISH_RE.fullmatch(text) is not None


def _is_text(text: str) -> bool:
    return bool(text) and not _is_int(text) and not _is_time(text)


_HEADING_RE = re.compile(r"(={1,6})\s*(.*?)\s*\1\s*")


def _heading(text: str) -> tuple[int, str] | None:
    match = _HEADING_RE.fullmatch(text.strip())
    if match is None or not match.group(2):
        return None
    return len(match.group(1)), match.group(2)


def _is_table_line(text: str) -> bool:
    return text.lstrip().startswith("|")


def _is_note_line(text: str) -> bool:
    return text.startswith("- ")


_MARKER_RE = re.compile(r"([^\w\s])\s+(.*)", re.DOTALL)


def _note(line: _Line) -> Note:
    body = line.text.rstrip()[2:].strip()
    match = _MARKER_RE.fullmatch(body)
    if match is None:
        return Note(line.number, line.text, None, body)
    return Note(line.number, line.text, match.group(1), match.group(2).strip())


@attrs.frozen
class _Section:
    heading: str
    line: int
    body: tuple[_Line, ...]


def _subsections(lines: Sequence[_Line], level: int) -> tuple[tuple[_Line, ...], list[_Section]]:
    """Split ``lines`` at headings of ``level``: (lines before the first, sections)."""
    preamble: list[_Line] = []
    sections: list[tuple[str, int, list[_Line]]] = []
    for line in lines:
        heading = _heading(line.text)
        if heading is not None and heading[0] == level:
            sections.append((heading[1], line.number, []))
        elif sections:
            sections[-1][2].append(line)
        else:
            preamble.append(line)
    return tuple(preamble), [_Section(h, n, tuple(body)) for h, n, body in sections]


# --------------------------------------------------------------------------- parser


@attrs.define
class _BlockBuilder:
    stage: int
    line: int
    raw: str
    remark: str | None = None
    cancelled: bool = False
    spanned_by: int | None = None
    rows: list[ResultRow] = attrs.Factory(list)

    def build(self) -> StageBlock:
        gc_remarks = [row.gc_remark for row in self.rows if row.gc_remark is not None]
        return StageBlock(
            stage=self.stage,
            line=self.line,
            raw=self.raw,
            remark=self.remark,
            cancelled=self.cancelled,
            spanned_by=self.spanned_by,
            gc_remark=gc_remarks[0] if gc_remarks else None,
            gc_not_counted=any("not counted" in text.lower() for text in gc_remarks),
            rows=tuple(self.rows),
        )


@attrs.frozen
class _StagesColumns:
    """Where the stages table prints what: column indexes (``start`` the From column,
    ``finish`` the To column, ``winners`` the first winners column), the winner
    categories in order, and how many cells a row has."""

    stage: int
    date: int
    start: int
    finish: int
    km: int
    winners: int
    categories: tuple[str, ...]
    width: int


def _rest_day_row(
    line: _Line,
    date: str | None,
    cells: Sequence[str],
    columns: _StagesColumns,
    rest_index: int,
    anomalies: list[str],
) -> StagesTableRow:
    """A rest-day row: the places printed before ``Rest day``, nothing after it."""
    places = [c for c in cells[columns.start : rest_index] if c]
    trailing = [c for c in cells[rest_index + 1 :] if c]
    if trailing:
        anomalies.append(f"cells printed after 'Rest day': {trailing!r}")
    return StagesTableRow(
        line=line.number,
        raw=line.text,
        stage=None,
        date=date,
        from_place=places[0] if places else None,
        to_place=places[1] if len(places) > 1 else None,
        to_printed=len(places) > 1,
        distance_km=None,
        distance_text=None,
        rest_day=True,
        winners=(),
        cancellations=(),
        anomalies=tuple(anomalies),
    )


def _bare_row(texts: Sequence[str]) -> tuple[int, str | None] | None:
    """``(stage, remark)`` for a results row that prints only a stage number (remark None),
    or a stage number and a remark; None for a row that prints results."""
    if not _is_int(texts[0]):
        return None
    rest = texts[1:]
    if not any(rest):
        return int(texts[0]), None
    if _is_text(rest[0]) and not any(rest[1:]):
        return int(texts[0]), rest[0]
    return None


_Table = TypeVar("_Table", CategoryResults, FinalStandings)
"""A table printed once per category."""


class _Parser:
    """Reads one article's lines; each method reads one part of it (raising
    ``ArticleError`` with the source and line for what it cannot read)."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = tuple(
            _Line(number, raw.rstrip("\r")) for number, raw in enumerate(text.split("\n"), start=1)
        )
        self.principal_lines: set[int] = set()

    # -- errors

    def where(self, line: int, context: str | None = None) -> str:
        text = f"{self.source}, line {line}"
        return f"{text}, {context}" if context else text

    def error(
        self,
        line: int,
        what: str,
        *,
        context: str | None = None,
        expected: str | None = None,
        received: object = None,
    ) -> ArticleError:
        return ArticleError(
            what, where=self.where(line, context), expected=expected, received=received
        )

    def bad_line(self, line: _Line, what: str, context: str, expected: str) -> ArticleError:
        """The error for ``line``, which is not what ``context`` expects there."""
        return self.error(line.number, what, context=context, expected=expected, received=line.text)

    def clock(self, text: str, line: int, context: str, kind: TimeKind) -> Clock:
        return Clock(text, parse_clock(text, where=self.where(line, context)), kind)

    def crew(
        self, text: str, line: int, context: str
    ) -> tuple[tuple[Person, ...], tuple[str, ...]]:
        return _split_crew(text, self.where(line, context))

    # -- whole article

    def parse(self) -> Article:
        """The whole article: its title and year, principal entries, the stages, stage
        results and final standings sections, their notes, and the prose."""
        title_line, title, year = self.title()
        principal = self.principal_entries()
        found = self.sections()
        stages = self.stages_table(found["stages"])
        categories = self.stage_results(found["stage results"])
        standings = self.final_standings(found["final standings"])
        notes = [
            *stages.notes,
            *(note for results in categories for note in results.notes),
            *(note for table in standings for note in table.notes),
        ]
        notes.sort(key=lambda n: n.line)
        return Article(
            source=self.source,
            title=title,
            title_line=title_line.number,
            year=year,
            stages=stages,
            categories=categories,
            final_standings=standings,
            principal_entries=principal,
            notes=tuple(notes),
            prose=self.prose(title_line),
        )

    def title(self) -> tuple[_Line, str, int]:
        """The title line (the first first-level heading), the title and its year."""
        title_line = next(
            (line for line in self.lines if (_heading(line.text) or (0, ""))[0] == 1), None
        )
        if title_line is None:
            raise ArticleError(
                "article has no title line",
                where=self.source,
                expected="a first-level heading such as '= 2004 Dakar Rally ='",
                received="no line of the form '= ... ='",
            )
        title = (_heading(title_line.text) or (1, ""))[1]
        year_match = re.search(r"(?<![0-9])([0-9]{4})(?![0-9])", title)
        if year_match is None:
            raise self.error(
                title_line.number,
                "title has no year",
                expected="a 4-digit year in the title (e.g. '= 2004 Dakar Rally =')",
                received=title_line.text,
            )
        return title_line, title, int(year_match.group(1))

    _SECTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("stages", "==Stages=="),
        ("stage results", "==Stage results=="),
        ("final standings", "==Final standings=="),
    )
    """The sections read, by lower-cased heading, and how each is shown in an error."""

    def sections(self) -> dict[str, _Section]:
        """The sections read, by lower-cased heading: each must be printed, and once."""
        _, sections = _subsections(self.lines, 2)
        found: dict[str, _Section] = {}
        wanted = {key for key, _ in self._SECTIONS}
        for section in sections:
            key = " ".join(section.heading.split()).lower()
            if key in wanted:
                if key in found:
                    raise self.error(
                        section.line,
                        "section printed twice",
                        expected=f"one '=={section.heading}==' section",
                        received=f"another one after line {found[key].line}",
                    )
                found[key] = section
        for key, shown in self._SECTIONS:
            if key not in found:
                raise ArticleError(
                    "article lacks a section",
                    where=self.source,
                    expected=f"a {shown} section",
                    received="no such heading",
                )
        return found

    def prose(self, title_line: _Line) -> tuple[Paragraph, ...]:
        """Every line that is not a heading, a table row or a list item: the prose."""
        return tuple(
            Paragraph(line.number, line.text.strip())
            for line in self.lines
            if line.text.strip()
            and _heading(line.text) is None
            and not _is_table_line(line.text)
            and not line.text.lstrip().startswith("- ")
            and line.number != title_line.number
        )

    # -- principal entries

    def principal_entries(self) -> tuple[PrincipalEntry, ...]:
        header_re = re.compile(r"- (.+?) principal entr(?:y|ies)\s*", re.IGNORECASE)
        entry_re = re.compile(r"- ([0-9]+)\s+(\S.*?)\s*")
        entries: list[PrincipalEntry] = []
        category: str | None = None
        make: str | None = None
        for line in self.lines:
            text = line.text
            header = header_re.fullmatch(text)
            if header is not None:
                category = normalise_category(header.group(1))
                make = None
                self.principal_lines.add(line.number)
                continue
            if category is None:
                continue
            if not text.strip():
                continue
            if not _is_note_line(text):
                category = None
                continue
            entry = entry_re.fullmatch(text)
            if entry is not None:
                if make is None:
                    raise self.error(
                        line.number,
                        "principal entry before any make",
                        expected="a '- <make>' line before '- <number> <name>'",
                        received=text,
                    )
                entries.append(
                    PrincipalEntry(
                        line.number, text, category, make, entry.group(1), entry.group(2)
                    )
                )
                self.principal_lines.add(line.number)
                continue
            candidate = text[2:].strip()
            if not candidate or not (candidate[0].isalnum()):
                # a footnote ("- - ...") or an empty item ends the list
                category = None
                continue
            make = candidate
            self.principal_lines.add(line.number)
        return tuple(entries)

    def notes_of(self, body: Iterable[_Line]) -> tuple[Note, ...]:
        return tuple(
            _note(line)
            for line in body
            if _is_note_line(line.text) and line.number not in self.principal_lines
        )

    # -- stages table

    def stages_table(self, section: _Section) -> StagesTable:
        """The ``==Stages==`` table: a header row, a row naming the winner categories, then a
        row per stage or rest day; and the section's notes."""
        table = [line for line in section.body if _is_table_line(line.text)]
        if len(table) < 2:
            raise self.error(
                section.line,
                "stages section has no table",
                expected="a header row, a category row and stage rows",
                received=f"{len(table)} table line(s)",
            )
        columns = self.stages_columns(table[0], table[1])
        rows = tuple(self.stage_row(line, columns) for line in table[2:])
        return StagesTable(table[0].number, columns.categories, rows, self.notes_of(section.body))

    def stages_columns(self, header_line: _Line, categories_line: _Line) -> _StagesColumns:
        """Where the stages table prints what, from its header and category rows."""
        header = [cell.text.lower() for cell in _split_row(header_line.text)]

        def column(name: str, *aliases: str) -> int:
            """The index of the header's column ``name`` (or one of its ``aliases``)."""
            for index, cell in enumerate(header):
                if cell == name or cell in aliases:
                    return index
            raise self.error(
                header_line.number,
                "stages table header lacks a column",
                expected=f"a {name!r} column",
                received=header_line.text,
            )

        stage_col = column("stage")
        date_col = column("date")
        from_col = column("from")
        to_col = column("to")
        km_col = column("total (km)", "distance (km)", "km", "total")
        win_col = column("stage winners", "winners")
        category_cells = [c.text for c in _split_row(categories_line.text)]
        if not category_cells or not _is_text(category_cells[0]):
            raise self.error(
                categories_line.number,
                "stages table lacks its category row",
                expected="a row naming the winner columns (e.g. '| Bikes | Cars | Trucks |')",
                received=categories_line.text,
            )
        categories = tuple(normalise_category(c) for c in category_cells if c)
        return _StagesColumns(
            stage=stage_col,
            date=date_col,
            start=from_col,
            finish=to_col,
            km=km_col,
            winners=win_col,
            categories=categories,
            width=max(len(header), win_col + len(categories)),
        )

    def stage_row(self, line: _Line, columns: _StagesColumns) -> StagesTableRow:
        """One row of the stages table: a stage (route, distance, winners) or a rest day."""
        anomalies: list[str] = []
        cells = self.stage_cells(line, columns.width, anomalies)
        stage = self.stage_number(line, cells[columns.stage])
        date = cells[columns.date] or None
        rest_index = next(
            (i for i, c in enumerate(cells) if i > columns.date and c.lower() == "rest day"),
            None,
        )
        if stage is None and rest_index is not None:
            return _rest_day_row(line, date, cells, columns, rest_index, anomalies)
        if stage is None:
            anomalies.append("no stage number printed")
        cells, to_printed = self.unshifted(line, cells, columns, anomalies)
        distance_text = cells[columns.km] or None
        distance_km = int(distance_text) if distance_text and _is_int(distance_text) else None
        cancellations: list[WinnerCancellation] = []
        if distance_text is not None and distance_km is None:
            if "cancel" in distance_text.lower():
                cancellations.append(WinnerCancellation(None, distance_text))
            else:
                anomalies.append(f"distance cell is not an integer: {distance_text!r}")
        winners = self.stage_winners(line, cells, columns, anomalies, cancellations)
        if stage is not None and distance_text is None and all(w.text is None for w in winners):
            anomalies.append("row prints neither a distance nor stage winners")
        return StagesTableRow(
            line=line.number,
            raw=line.text,
            stage=stage,
            date=date,
            from_place=cells[columns.start] or None,
            to_place=cells[columns.finish] or None,
            to_printed=to_printed,
            distance_km=distance_km,
            distance_text=distance_text,
            rest_day=False,
            winners=winners,
            cancellations=tuple(cancellations),
            anomalies=tuple(anomalies),
        )

    def stage_cells(self, line: _Line, width: int, anomalies: list[str]) -> list[str]:
        """The row's cells, as many as the header's: empty ones past it dropped (others are an
        error), missing ones added empty (an anomaly)."""
        cells = [cell.text for cell in _split_row(line.text)]
        if len(cells) > width:
            extra = [c for c in cells[width:] if c]
            if extra:
                raise self.error(
                    line.number,
                    "stages row has more cells than the header",
                    context="stages table",
                    expected=f"at most {width} cells",
                    received=line.text,
                )
            cells = cells[:width]
        if len(cells) < width:
            anomalies.append(f"row prints {len(cells)} cells, the header {width}")
            cells = cells + [""] * (width - len(cells))
        return cells

    def stage_number(self, line: _Line, text: str) -> int | None:
        """The stage number of a stages row (None: an empty cell, as on a rest day)."""
        if _is_int(text):
            return int(text)
        if not text:
            return None
        raise self.error(
            line.number,
            "stage number is not an integer",
            context="stages table",
            expected="an integer or an empty cell (rest day)",
            received=text,
        )

    def unshifted(
        self, line: _Line, cells: list[str], columns: _StagesColumns, anomalies: list[str]
    ) -> tuple[list[str], bool]:
        """The cells with an unprinted To cell put back (everything after From is printed
        one cell to the left: a distance in the To column), and whether To is printed."""
        to_col, km_col = columns.finish, columns.km
        if not (to_col + 1 == km_col and _is_int(cells[to_col]) and not _is_int(cells[km_col])):
            return cells, True
        if cells[-1]:
            raise self.error(
                line.number,
                "stages row is ambiguous",
                context="stages table",
                expected="a distance in the Total (km) column, or a shifted row ending "
                "with an empty cell",
                received=line.text,
            )
        anomalies.append("To cell not printed; later cells shifted left by one")
        return [*cells[:to_col], "", *cells[to_col:-1]], False

    def stage_winners(
        self,
        line: _Line,
        cells: Sequence[str],
        columns: _StagesColumns,
        anomalies: list[str],
        cancellations: list[WinnerCancellation],
    ) -> tuple[StageWinner, ...]:
        """Each category's winners cell: a crew, or a remark (one saying the stage was
        cancelled for that category is a cancellation)."""
        winners: list[StageWinner] = []
        for offset, category in enumerate(columns.categories):
            text = cells[columns.winners + offset] or None
            crew: tuple[Person, ...] = ()
            remark: str | None = None
            if text is not None:
                first = text.split()[0]
                if _CODE_RE.fullmatch(first) or _glued_code(first):
                    crew, notes = self.crew(text, line.number, f"stages table, {category} winner")
                    anomalies.extend(f"{category} winner: {note}" for note in notes)
                else:
                    remark = text
                    if "cancel" in text.lower():
                        cancellations.append(WinnerCancellation(category, text))
            winners.append(StageWinner(category, text, crew, remark))
        return tuple(winners)

    # -- stage results

    def stage_results(self, section: _Section) -> tuple[CategoryResults, ...]:
        return self.per_category(section, self.category_results, "stage-results", "===Bikes===")

    def per_category(
        self, section: _Section, read: Callable[[_Section], _Table], kind: str, example: str
    ) -> tuple[_Table, ...]:
        """One ``kind`` table (``stage-results``) per category subsection of ``section``, each
        read by ``read``: a table outside a category, or a category twice, is an error."""
        preamble, subsections = _subsections(section.body, 3)
        for line in preamble:
            if _is_table_line(line.text):
                raise self.error(
                    line.number,
                    f"{kind} table outside a category",
                    expected=f"a category heading such as {example!r} before the table",
                    received=line.text,
                )
        tables = tuple(read(sub) for sub in subsections)
        seen: dict[str, int] = {}
        for table in tables:
            if table.category in seen:
                raise self.error(
                    table.line,
                    f"category printed twice in {kind.replace('-', ' ')}",
                    expected=f"one table for {table.category!r}",
                    received=f"another one after line {seen[table.category]}",
                )
            seen[table.category] = table.line
        return tables

    _RESULT_HEADER: ClassVar[tuple[str, ...]] = (
        "stage",
        "pos",
        "competitor",
        "make",
        "time",
        "gap",
        "pos",
        "competitor",
        "make",
        "time",
    )

    def category_results(self, section: _Section) -> CategoryResults:
        category = normalise_category(section.heading)
        context = f"stage results, {category}"
        table = [line for line in section.body if _is_table_line(line.text)]
        header_index = next(
            (
                i
                for i, line in enumerate(table[:3])
                if (cells := _split_row(line.text)) and cells[0].text.lower() == "stage"
            ),
            None,
        )
        if header_index is None:
            raise self.error(
                section.line,
                "stage-results table has no column header",
                context=context,
                expected="a row '| Stage | Pos | Competitor | Make | Time | Gap | Pos | ... |'",
                received=table[0].text if table else "no table",
            )
        header_line = table[header_index]
        header = tuple(c.text.lower() for c in _split_row(header_line.text))
        if header not in (self._RESULT_HEADER, (*self._RESULT_HEADER, "gap")):
            raise self.error(
                header_line.number,
                "unexpected stage-results columns",
                context=context,
                expected="Stage | Pos | Competitor | Make | Time | Gap | Pos | Competitor | "
                "Make | Time [| Gap]",
                received=header_line.text,
            )

        builders: list[_BlockBuilder] = []
        cancellations: list[CancelledStages] = []
        current_stage: int | None = None
        previous_was_bare = False  # the previous row was a remark or a bare stage-number row
        for line in table[header_index + 1 :]:
            parsed = self.result_row(line, current_stage, context)
            if isinstance(parsed, ResultRow):
                if parsed.stage_printed:
                    builders.append(_BlockBuilder(parsed.stage, line.number, line.text))
                    current_stage = parsed.stage
                builders[-1].rows.append(parsed)
                previous_was_bare = False
                continue
            stage, remark = parsed
            builder = _BlockBuilder(stage, line.number, line.text, remark=remark)
            prior = builders[-1] if builders else None
            spanning = prior is not None and (
                prior.remark is not None or prior.spanned_by is not None
            )
            if remark is None and previous_was_bare and prior is not None and spanning:
                builder.spanned_by = prior.stage if prior.spanned_by is None else prior.spanned_by
                builder.cancelled = prior.cancelled
                if prior.cancelled:
                    last = cancellations[-1]
                    cancellations[-1] = CancelledStages((*last.stages, stage), last.text, last.line)
            elif remark is not None and "cancel" in remark.lower():
                builder.cancelled = True
                cancellations.append(CancelledStages((stage,), remark, line.number))
            builders.append(builder)
            current_stage = stage
            previous_was_bare = True

        return CategoryResults(
            category=category,
            heading=section.heading,
            line=section.line,
            blocks=tuple(builder.build() for builder in builders),
            cancellations=tuple(cancellations),
            notes=self.notes_of(section.body),
        )

    def result_row(
        self, line: _Line, current_stage: int | None, context: str
    ) -> ResultRow | tuple[int, str | None]:
        """A data row: a ResultRow, or (stage, remark) for a row printing no results."""
        cells = list(_split_row(line.text))
        texts = [c.text for c in cells]
        if not texts or not texts[0]:
            raise self.bad_line(
                line,
                "stage-results row starts with an empty cell",
                context,
                "a stage number, a position or a competitor",
            )
        bare = _bare_row(texts)
        if bare is not None:
            return bare
        stage = self.leading_stage(line, texts, context)
        if stage is None and current_stage is None:
            raise self.bad_line(
                line,
                "stage-results row before any stage number",
                context,
                "a first row starting with the stage number",
            )
        anomalies: list[str] = []
        result, index = self.half(
            cells,
            1 if stage is not None else 0,
            line,
            f"{context}, stage result",
            "stage result",
            anomalies,
        )
        gc, gc_remark = self.gc_half(cells, index, line, context, anomalies)
        if result.position is None and gc is not None and gc.position is None:
            anomalies.insert(0, "tie row: no position printed in either half")
        row_stage = stage if stage is not None else current_stage
        assert row_stage is not None
        return ResultRow(
            line=line.number,
            raw=line.text,
            stage=row_stage,
            stage_printed=stage is not None,
            result=result,
            gc=gc,
            gc_remark=gc_remark,
            anomalies=tuple(anomalies),
        )

    def leading_stage(self, line: _Line, texts: Sequence[str], context: str) -> int | None:
        """The stage number a results row starts with: printed before the position (None:
        the row starts with a position and a competitor, or with a competitor)."""
        if _is_int(texts[0]):
            if _is_int(texts[1]):
                return int(texts[0])
            if not _is_text(texts[1]):
                raise self.bad_line(
                    line,
                    "cannot read stage-results row",
                    context,
                    "stage number and position, a position and a competitor, or a "
                    "stage number and a remark",
                )
        elif not _is_text(texts[0]):
            raise self.bad_line(
                line,
                "cannot read stage-results row",
                context,
                "a stage number, a position or a competitor first",
            )
        return None

    def gc_half(
        self,
        cells: Sequence[_Cell],
        index: int,
        line: _Line,
        context: str,
        anomalies: list[str],
    ) -> tuple[Placing | None, str | None]:
        """What a results row prints after the stage result from ``index``: nothing, a
        remark in place of the GC (``(None, remark)``), or the GC half (``(placing, None)``)."""
        rest_cells = cells[index:]
        non_empty = [c for c in rest_cells if c.text]
        if not non_empty:
            return None, None
        if len(non_empty) == 1 and rest_cells[0].text and _is_text(rest_cells[0].text):
            return None, rest_cells[0].text
        gc, index = self.half(
            cells, index, line, f"{context}, general classification", "GC", anomalies
        )
        leftover = [c.text for c in cells[index:] if c.text]
        if leftover:
            raise self.bad_line(
                line,
                "unexpected cells after the general classification",
                context,
                "at most Pos, Competitor, Make, Time, Gap",
            )
        return gc, None

    def half(
        self,
        cells: Sequence[_Cell],
        index: int,
        line: _Line,
        context: str,
        label: str,
        anomalies: list[str],
    ) -> tuple[Placing, int]:
        """Read ``[Pos] Competitor Make [Time [Gap]]`` from ``cells[index:]``."""

        def text_at(i: int) -> str:
            return cells[i].text if i < len(cells) else ""

        position: int | None = None
        if _is_int(text_at(index)):
            position = int(text_at(index))
            index += 1
        if index >= len(cells) or not _is_text(cells[index].text):
            raise self.bad_line(
                line, "competitor missing", context, "a competitor cell (e.g. 'FRA Cyril Despres')"
            )
        competitor = _clean_competitor(cells[index])
        index += 1
        make: str | None
        if _is_text(text_at(index)):
            make = text_at(index)
            index += 1
        elif not text_at(index) and _is_time(text_at(index + 1)):
            make = None
            index += 1
            anomalies.append(f"{label}: make not printed")
        else:
            raise self.bad_line(line, "make missing", context, "a make cell after the competitor")
        time: Clock | None = None
        gap: Clock | None = None
        if _is_time(text_at(index)):
            time = self.clock(text_at(index), line.number, context + " time", TimeKind.ABSOLUTE)
            index += 1
            if _is_time(text_at(index)):
                gap = self.clock(text_at(index), line.number, context + " gap", TimeKind.GAP)
                index += 1
            elif index < len(cells) and not text_at(index):
                index += 1  # the (empty) gap cell of the stage winner / GC leader
        crew, crew_notes = self.crew(competitor.text, line.number, context + " competitor")
        anomalies.extend(f"{label}: {note}" for note in crew_notes)
        if competitor.artefact is not None:
            anomalies.append(
                f"{label}: stray {competitor.artefact!r} before the competitor cell "
                f"(printed {competitor.raw!r})"
            )
        missing = [
            name for name, value in (("position", position), ("time", time)) if value is None
        ]
        if missing:
            anomalies.append(f"{label}: no {' or '.join(missing)} printed")
        placing = Placing(
            position=position,
            position_printed=position is not None,
            competitor=competitor.text,
            competitor_raw=competitor.raw,
            crew=crew,
            make=make,
            time=time,
            gap=gap,
        )
        return placing, index

    # -- final standings

    _STANDING_COLUMNS: ClassVar[dict[str, str]] = {
        "pos": "position",
        "pos.": "position",
        "position": "position",
        "no.": "number",
        "no": "number",
        "number": "number",
        "#": "number",
        "rider": "driver",
        "driver": "driver",
        "co-driver": "co_drivers",
        "co-drivers": "co_drivers",
        "co-driver(s)": "co_drivers",
        "codriver": "co_drivers",
        "codrivers": "co_drivers",
        "navigator": "co_drivers",
        "navigators": "co_drivers",
        "bike": "make",
        "car": "make",
        "truck": "make",
        "quad": "make",
        "vehicle": "make",
        "make": "make",
        "entrant": "entrant",
        "team": "entrant",
        "time": "time",
    }

    def final_standings(self, section: _Section) -> tuple[FinalStandings, ...]:
        return self.per_category(section, self.standings_table, "final-standings", "===Cars===")

    def standings_table(self, section: _Section) -> FinalStandings:
        category = normalise_category(section.heading)
        context = f"final standings, {category}"
        table = [line for line in section.body if _is_table_line(line.text)]
        if not table:
            raise self.error(
                section.line,
                "final-standings category has no table",
                context=context,
                expected="a header row and result rows",
                received="no table line",
            )
        header_line = table[0]
        columns = tuple(c.text for c in _split_row(header_line.text))
        roles: list[str] = []
        for name in columns:
            role = self._STANDING_COLUMNS.get(name.lower())
            if role is None or role in roles:
                raise self.error(
                    header_line.number,
                    "unknown or repeated final-standings column"
                    if role
                    else "unknown final-standings column",
                    context=context,
                    expected="Pos, No., Rider/Driver, Co-Driver(s), Bike/Car/Truck, Entrant, "
                    "Time (each at most once)",
                    received=name,
                )
            roles.append(role)
        for required in ("position", "driver", "make", "time"):
            if required not in roles:
                raise self.error(
                    header_line.number,
                    "final-standings header lacks a column",
                    context=context,
                    expected=f"a {required} column",
                    received=header_line.text,
                )
        index = {role: i for i, role in enumerate(roles)}
        rows = tuple(self.standing_row(line, index, len(columns), context) for line in table[1:])
        return FinalStandings(
            category=category,
            heading=section.heading,
            line=section.line,
            columns=columns,
            has_entrant="entrant" in index,
            rows=rows,
            notes=self.notes_of(section.body),
        )

    def standing_row(
        self, line: _Line, index: dict[str, int], width: int, context: str
    ) -> StandingRow:
        cells = _split_row(line.text)
        if len(cells) != width:
            raise self.bad_line(
                line, "final-standings row does not match the header", context, f"{width} cells"
            )
        anomalies: list[str] = []
        position_text = cells[index["position"]].text
        if not _is_int(position_text):
            raise self.error(
                line.number,
                "position is not an integer",
                context=context,
                expected="an integer position",
                received=position_text,
            )
        number: str | None = None
        if "number" in index:
            number = cells[index["number"]].text or None
            if number is None:
                anomalies.append("race number not printed")

        driver_cell = _clean_competitor(cells[index["driver"]])
        drivers, notes = self.crew(driver_cell.text, line.number, context + ", driver")
        anomalies.extend(f"driver: {note}" for note in notes)
        if len(drivers) != 1:
            raise self.error(
                line.number,
                "driver cell does not hold exactly one person",
                context=context,
                expected="one 'CODE Name' (e.g. 'ESP Nani Roma')",
                received=driver_cell.raw,
            )
        if driver_cell.artefact is not None:
            anomalies.append(f"driver: stray {driver_cell.artefact!r} before the cell")

        co_drivers: tuple[Person, ...] = ()
        co_drivers_raw: str | None = None
        if "co_drivers" in index:
            co_cell = _clean_competitor(cells[index["co_drivers"]])
            co_drivers_raw = co_cell.raw
            co_drivers, notes = self.crew(co_cell.text, line.number, context + ", co-drivers")
            anomalies.extend(f"co-drivers: {note}" for note in notes)
            if co_cell.artefact is not None:
                anomalies.append(f"co-drivers: stray {co_cell.artefact!r} before the cell")

        make = cells[index["make"]].text or None
        entrant: str | None = None
        if "entrant" in index:
            entrant = cells[index["entrant"]].text or None
            if entrant is None:
                anomalies.append("entrant not printed")

        time_text = cells[index["time"]].text
        kind = TimeKind.GAP if time_text.startswith("+") else TimeKind.ABSOLUTE
        time = self.clock(time_text, line.number, context + ", time", kind)
        return StandingRow(
            line=line.number,
            raw=line.text,
            position=int(position_text),
            number=number,
            driver=drivers[0],
            driver_raw=driver_cell.raw,
            co_drivers=co_drivers,
            co_drivers_raw=co_drivers_raw,
            make=make,
            entrant=entrant,
            time=time,
            anomalies=tuple(anomalies),
        )


def parse_article(text: str, *, source: str = "<article>") -> Article:
    """Parse a whole article; ``source`` names it in error messages.

    Raises :class:`ArticleError` (with source, line, expected and received)
    on anything it cannot read faithfully.
    """
    return _Parser(text, source).parse()
