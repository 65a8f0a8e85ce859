"""Import a rally article into events: what is printed, what follows from it, and nothing else.

The article prints, per category and stage, the stage top 3 and the GC top 3,
and the final top 10. From that:

* **printed stage times** become results (provenance ``printed``);
* a crew's time on a stage it is not printed for is the difference between its
  consecutive printed GC times, less awarded times and penalties (``derived``);
  where that difference spans several stages, it becomes one *combined* result
  over the stages not printed on their own;
* the final standings give totals, so crews seen nowhere else get a combined
  result over the whole rally;
* penalties come from the editorial data file (notes, prose, arithmetic), never
  folded silently into a time; stage statuses (prologue, liaison, cancelled)
  come from the table remarks, awarded times from the notes;
* printed errors are corrected only through the errata of the editorial file.

A consistency check (stage gaps vs times, GC gaps vs times, GC steps vs stage
times, final standings vs the last GC, derived times that are not positive,
race numbers given to two crews) lists every inconsistency the errata and
penalties do not resolve; the importer refuses to write a log while any is
left.
"""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Unpack

import attrs

from ...engine import fold_name as _fold_name
from ...events import (
    EntryRegistered,
    EntryRetired,
    ErrorDetails,
    Event,
    FieldCoverageDeclared,
    PenaltyImposed,
    Person,
    Provenance,
    RallyDeclared,
    RallyError,
    SourceKind,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageRule,
    StageScheduled,
    format_signed,
    format_time,
)
from ._editorial import Award, Editorial, Erratum
from ._parse import (
    Article,
    ArticleError,
    Note,
    Placing,
    PrincipalEntry,
    StandingRow,
    parse_article,
    parse_clock,
)

__all__ = [
    "Analysis",
    "ArticleImportError",
    "CategoryData",
    "ImportResult",
    "Issue",
    "NumberConflict",
    "PrintedRow",
    "fold_name",
    "import_article",
    "import_parsed",
    "known_prefix",
    "rally_id_from_title",
]


fold_name = functools.lru_cache(maxsize=8192)(_fold_name)
"""``rally_standings.engine.fold_name``, remembered (an import folds the same names often)."""


class ArticleImportError(RallyError):
    """An article that cannot be turned into a consistent log.

    ``issues`` lists, one line each, what stands in the way (the
    inconsistencies left, or the readings between which no rule decides).
    """

    def __init__(
        self, what: str, *, issues: Sequence[object] = (), **details: Unpack[ErrorDetails]
    ) -> None:
        self.issues = tuple(str(issue) for issue in issues)
        super().__init__(what, **details)


_GENERIC_TITLE_WORDS = {"rally", "rallye", "raid"}


def rally_id_from_title(title: str, year: int) -> str:
    """The rally's id from the article's title: ``2004 Dakar Rally`` -> ``dakar-2004``.

    The year and the words *rally*, *rallye* and *raid* are left out, accents
    folded, everything else lower-cased and joined by hyphens, then the year
    appended. A title with nothing else in it gives ``rally-YEAR``.
    """
    words = [
        word
        for word in re.split(r"[^a-z0-9]+", fold_name(title))
        if word and word != str(year) and word not in _GENERIC_TITLE_WORDS
    ]
    stem = "-".join(words)
    if not stem or not stem[0].isalpha():
        stem = "rally" + (f"-{stem}" if stem else "")
    return f"{stem}-{year}"


@attrs.frozen
class Issue:
    """An inconsistency in the article that no erratum or penalty resolves."""

    kind: str
    category: str
    stage: int | None
    line: int | None
    text: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        stage = f"stage {self.stage}, " if self.stage is not None else ""
        return f"{self.kind}: {where}{self.category}, {stage}{self.text}"


@attrs.frozen
class PrintedRow:
    """One documented row as printed, with its values resolved (ties, gaps, errata)."""

    category: str
    table: str
    stage: int | None
    row: int
    line: int
    driver: str
    key: str
    crew: tuple[Person, ...]
    make: str | None
    position: int
    position_printed: bool
    time_ms: int
    gap_ms: int | None
    time_text: str | None
    gap_text: str | None
    number: str | None = None
    entrant: str | None = None
    errata: tuple[str, ...] = ()
    time_from_above: bool = False
    """No time printed: the row shares the time of the row above (a tie)."""
    gap_printed: bool = False
    """``gap_ms`` is a printed gap (or an erratum's), not one computed from the times."""
    inferred: tuple[str, ...] = ()
    """The inferred errata among ``errata``."""


@attrs.frozen
class NumberConflict:
    """One race number printed for two crews of a category (the first keeps it)."""

    category: str
    number: str
    first: PrintedRow
    first_listed: int | None
    """The principal-entry line the first crew's number came from (None: its own row)."""
    second: PrintedRow
    second_listed: int | None


@attrs.frozen
class Analysis:
    """What an import built its events from: for inference, which reasons about it."""

    article: Article
    editorial: Editorial
    categories: tuple[CategoryData, ...]
    placed: dict[str, int]
    """The stage the importer gave each penalty whose decision names none (by id)."""
    entries: dict[tuple[str, str], EntryRegistered]
    """Per (category, crew key): the entry registered."""
    conflicts: tuple[NumberConflict, ...]
    aliases: dict[str, str]
    """Folded printed name -> the name used."""

    def key(self, printed: str) -> str:
        """The crew key a printed name stands for (aliases applied)."""
        return fold_name(self.aliases.get(fold_name(printed), printed))

    def category(self, name: str) -> CategoryData:
        """The category of that name."""
        return next(cat for cat in self.categories if cat.name == name)


@attrs.frozen
class ImportResult:
    """The events of the imported rally, the documented rows, and what the check found."""

    declaration: RallyDeclared
    events: tuple[Event, ...]
    documented: dict[str, Any]
    issues: tuple[Issue, ...]
    notes: tuple[str, ...]
    analysis: Analysis | None = attrs.field(default=None, eq=False, repr=False)
    """What the events were built from (resolved rows, placed penalties and awards)."""


_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_AWARD = re.compile(r"awarded a (?:stage )?time of (\d+:\d{2}(?::\d{2})?)", re.I)


def _dates(article: Article) -> dict[int, str]:
    """ISO dates of the stages; a date after the last one's month belongs to the year before."""
    parsed: list[tuple[int, int, int]] = []
    for row in article.stages.rows:
        if row.stage is None or row.date is None:
            continue
        match = re.fullmatch(r"(\d{1,2}) ([A-Za-z]+)", row.date.strip())
        if match and match.group(2).lower() in _MONTHS:
            parsed.append((row.stage, int(match.group(1)), _MONTHS[match.group(2).lower()]))
    dates: dict[int, str] = {}
    year = article.year
    previous_month = 13
    for stage, day, month in reversed(parsed):
        if month > previous_month:
            year -= 1
        previous_month = month
        try:
            dates[stage] = _dt.date(year, month, day).isoformat()
        except ValueError:
            continue
    return dates


@attrs.frozen
class _Place:
    """Where a printed row is: its category, table, stage (None: the final standings),
    1-based row within its block and article line."""

    category: str
    table: str
    stage: int | None
    row: int
    line: int

    def issue(self, kind: str, text: str) -> Issue:
        """An issue found on this row."""
        return Issue(kind, self.category, self.stage, self.line, text)


_CORRECTABLE = {
    "stage": ("time", "gap", "position", "competitor"),
    "gc": ("time", "gap", "position", "competitor"),
    "final": ("time", "number", "position", "competitor"),
}
"""The fields an erratum corrects in each kind of table (an erratum on another is ignored)."""


@attrs.define
class _RowValues:
    """The values of a printed row an erratum can correct: as printed, then as corrected."""

    time: str | None
    gap: str | None = None
    number: str | None = None
    position: int | None = None
    driver: str = ""
    applied: list[str] = attrs.Factory(list)
    """The ids of the errata applied (a dropping one included)."""
    dropped: bool = False
    """An erratum removes the row."""

    def shown(self, field: str) -> str | None:
        """The value of ``field`` as an erratum quotes it (``competitor``: the driver)."""
        if field == "position":
            return str(self.position)
        if field == "competitor":
            return self.driver
        return {"time": self.time, "gap": self.gap, "number": self.number}[field]

    def correct(self, field: str, corrected: str) -> None:
        """Take an erratum's corrected value for ``field``."""
        if field == "position":
            self.position = int(corrected)
        elif field == "competitor":
            self.driver = corrected
        elif field == "time":
            self.time = corrected
        elif field == "gap":
            self.gap = corrected
        else:
            self.number = corrected


def _documented_placing(place: _Place, placing: Placing) -> dict[str, Any]:
    """A stage or GC row exactly as printed, as the documented standings keep it."""
    return {
        "table": place.table,
        "stage": place.stage,
        "row": place.row,
        "line": place.line,
        "position": placing.position,
        "driver": placing.crew[0].name,
        "crew": [p.name for p in placing.crew],
        "number": None,
        "make": placing.make,
        "time": placing.time.text if placing.time else None,
        "gap": placing.gap.text if placing.gap else None,
    }


def _documented_standing(place: _Place, row: StandingRow) -> dict[str, Any]:
    """A final-standings row exactly as printed, as the documented standings keep it."""
    return {
        "table": "final",
        "stage": None,
        "row": place.row,
        "line": place.line,
        "position": row.position,
        "driver": row.driver.name,
        "crew": [p.name for p in (row.driver, *row.co_drivers)],
        "number": row.number,
        "make": row.make,
        "time": row.time.text,
        "gap": None,
    }


class _Importer:
    """An import under way: the article, its editorial decisions, and what was found so far
    (issues, notes, the rows as printed, the errata used). Resolves the printed tables."""

    def __init__(self, article: Article, editorial: Editorial, source: str) -> None:
        self.article = article
        self.editorial = editorial
        self.source = source
        self.rally_id = rally_id_from_title(article.title, article.year)
        self.issues: list[Issue] = []
        self.notes: list[str] = []
        self.aliases = {fold_name(a.printed): a.name for a in editorial.aliases}
        self.inferred_aliases = {fold_name(a.printed): a for a in editorial.aliases if a.inferred}
        self.inferred_errata = {e.id: e for e in editorial.errata if e.inferred}
        self.used_errata: set[str] = set()
        self.printed: list[tuple[str, dict[str, Any]]] = []
        """Every printed row as (category, JSON), in the order read: the documented standings."""
        self.errata: dict[tuple[str, str, int | None, int], list[Erratum]] = defaultdict(list)
        for erratum in editorial.errata:
            self.errata[(erratum.category, erratum.table, erratum.stage, erratum.row)].append(
                erratum
            )

    # ------------------------------------------------------------------ names

    def name(self, printed: str) -> str:
        """The name a printed name stands for (its alias, else itself)."""
        return self.aliases.get(fold_name(printed), printed)

    def key(self, printed: str) -> str:
        """The crew key a printed name stands for (aliases applied, folded)."""
        return fold_name(self.name(printed))

    def prov(self, kind: SourceKind, detail: str) -> Provenance:
        """A provenance naming the article."""
        return Provenance(kind, f"{self.source}: {detail}")

    def inferred_words(self, ids: Iterable[str]) -> str:
        """``; inferred erratum X: evidence`` for each inferred erratum among ``ids``."""
        return "".join(
            f"; inferred erratum {i}: {self.inferred_errata[i].evidence}"
            for i in ids
            if i in self.inferred_errata
        )

    # ------------------------------------------------------------------ rows

    def errata_for(self, category: str, table: str, stage: int | None, row: int) -> list[Erratum]:
        """The errata of one printed row (noted as used)."""
        found = self.errata.get((category, table, stage, row), [])
        for erratum in found:
            self.used_errata.add(erratum.id)
        return found

    def check_printed(self, erratum: Erratum, printed: str | None, line: int) -> None:
        """An erratum must quote what the article prints (else an issue)."""
        if (printed or "").strip() != erratum.printed.strip():
            self.issues.append(
                Issue(
                    "erratum-mismatch",
                    erratum.category,
                    erratum.stage,
                    line,
                    f"erratum {erratum.id} expects {erratum.field} {erratum.printed!r} printed, "
                    f"the article prints {printed!r}",
                )
            )

    def table_rows(
        self,
        category: str,
        table: str,
        stage: int,
        placings: Sequence[Placing],
        lines: Sequence[int],
    ) -> list[PrintedRow]:
        """Resolve a printed stage or GC table: ties take the row above, errata apply."""
        rows: list[PrintedRow] = []
        for index, (placing, line) in enumerate(zip(placings, lines, strict=True), start=1):
            place = _Place(category, table, stage, index, line)
            values = self.corrected(
                place,
                _RowValues(
                    time=placing.time.text if placing.time else None,
                    gap=placing.gap.text if placing.gap else None,
                    position=placing.position,
                    driver=self.name(placing.crew[0].name),
                ),
            )
            self.printed.append((category, _documented_placing(place, placing)))
            if values.dropped:
                continue
            row = self.table_row(place, placing, values, rows)
            if row is not None:
                rows.append(row)
        return rows

    def corrected(self, place: _Place, values: _RowValues) -> _RowValues:
        """``values`` with the errata of the row at ``place`` applied, each checked against
        what the row prints (a mismatch is an issue)."""
        for erratum in self.errata_for(place.category, place.table, place.stage, place.row):
            values.applied.append(erratum.id)
            if erratum.drops_row:
                if place.table != "final":  # a dropped final row's time is not checked
                    self.check_printed(erratum, values.time, place.line)
                values.dropped = True
            elif erratum.field in _CORRECTABLE[place.table]:
                self.check_printed(erratum, values.shown(erratum.field), place.line)
                values.correct(erratum.field, erratum.corrected)
        return values

    def table_row(
        self, place: _Place, placing: Placing, values: _RowValues, rows: Sequence[PrintedRow]
    ) -> PrintedRow | None:
        """One resolved stage or GC row after ``rows``: a row printing no position or no time
        shares the row above's (a tie); with no row above, it is an issue and None."""
        above = rows[-1] if rows else None
        unprinted = [
            w for w, v in (("position", values.position), ("time", values.time)) if v is None
        ]
        if unprinted and above is None:
            what = unprinted[0]
            self.issues.append(place.issue(f"no-{what}", f"first row prints no {what}"))
            return None
        tie = values.position is None and values.time is None
        position = values.position
        if position is None:
            assert above is not None
            position = above.position
        if values.time is None:
            assert above is not None
            time_ms = above.time_ms
        else:
            time_ms = self.clock(values.time, place)
        gap_ms = self.clock(values.gap, place) if values.gap else None
        if rows and gap_ms is not None:
            self.check_gap(place, values.driver, time_ms, rows[0].time_ms, gap_ms)
        gap_printed = gap_ms is not None
        if tie and above is not None:
            gap_ms = above.gap_ms
        return PrintedRow(
            category=place.category,
            table=place.table,
            stage=place.stage,
            row=place.row,
            line=place.line,
            driver=values.driver,
            key=fold_name(values.driver),
            crew=placing.crew,
            make=placing.make,
            position=position,
            position_printed=placing.position is not None,
            time_ms=time_ms,
            gap_ms=None
            if not rows
            else (gap_ms if gap_ms is not None else time_ms - rows[0].time_ms),
            time_text=placing.time.text if placing.time else None,
            gap_text=placing.gap.text if placing.gap else None,
            errata=tuple(values.applied),
            time_from_above=values.time is None,
            gap_printed=gap_printed and bool(rows),
            inferred=tuple(i for i in values.applied if i in self.inferred_errata),
        )

    def check_gap(
        self, place: _Place, driver: str, time_ms: int, leader_ms: int, gap_ms: int
    ) -> None:
        """A row's time less the first row's must be its printed gap (else an issue)."""
        if time_ms - leader_ms != gap_ms:
            self.issues.append(
                place.issue(
                    f"{place.table}-gap",
                    f"{driver}: time {format_time(time_ms)} is "
                    f"{format_signed(time_ms - leader_ms)} behind, the printed gap says "
                    f"{format_signed(gap_ms)}",
                )
            )

    def clock(self, text: str, place: _Place) -> int:
        """A printed time or gap in milliseconds; one that cannot be read is an issue, and 0."""
        try:
            return parse_clock(text, where=f"{self.source}, line {place.line}")
        except ArticleError as error:
            self.issues.append(place.issue("bad-time", str(error)))
            return 0

    def final_rows(self, category: str) -> list[PrintedRow]:
        """Resolve the printed final standings of ``category`` (none printed: no rows)."""
        try:
            standings = self.article.standings(category)
        except KeyError:
            return []
        rows: list[PrintedRow] = []
        for index, row in enumerate(standings.rows, start=1):
            place = _Place(category, "final", None, index, row.line)
            values = self.corrected(
                place,
                _RowValues(
                    time=row.time.text,
                    number=row.number,
                    position=row.position,
                    driver=self.name(row.driver.name),
                ),
            )
            self.printed.append((category, _documented_standing(place, row)))
            if not values.dropped:
                rows.append(self.final_row(place, row, values, rows))
        return rows

    def final_row(
        self, place: _Place, row: StandingRow, values: _RowValues, rows: Sequence[PrintedRow]
    ) -> PrintedRow:
        """One resolved final row after ``rows``: a time, or (printed ``+…``) a gap to the
        first row's."""
        assert values.time is not None  # a final row always prints a time
        assert values.position is not None  # and a position
        value = self.clock(values.time, place)
        is_gap = values.time.strip().startswith("+")
        if not rows:
            time_ms, gap_ms = value, None
        elif is_gap:
            time_ms, gap_ms = rows[0].time_ms + value, value
        else:
            time_ms, gap_ms = value, value - rows[0].time_ms
        gap_shown = place.row > 1 and is_gap
        return PrintedRow(
            category=place.category,
            table="final",
            stage=None,
            row=place.row,
            line=place.line,
            driver=values.driver,
            key=fold_name(values.driver),
            crew=(row.driver, *row.co_drivers),
            make=row.make,
            position=values.position,
            position_printed=True,
            time_ms=time_ms,
            gap_ms=gap_ms,
            time_text=None if gap_shown else row.time.text,
            gap_text=row.time.text if gap_shown else None,
            number=values.number,
            entrant=row.entrant,
            errata=tuple(values.applied),
            gap_printed=bool(rows) and is_gap,
            inferred=tuple(i for i in values.applied if i in self.inferred_errata),
        )


def import_article(
    text: str, editorial: Editorial, *, source: str, rally_id: str | None = None
) -> ImportResult:
    """Turn an article and its editorial decisions into events, documented rows and issues.

    The rally's id is ``rally_id`` if given, else the editorial file's, else
    the one the article's title gives (``rally_id_from_title``).
    """
    article = parse_article(text, source=source)
    return import_parsed(article, editorial, source=source, rally_id=rally_id)


def import_parsed(
    article: Article, editorial: Editorial, *, source: str, rally_id: str | None = None
) -> ImportResult:
    """``import_article`` for an article already parsed."""
    importer = _Importer(article, editorial, source)
    importer.rally_id = (
        rally_id or editorial.rally_id or rally_id_from_title(article.title, article.year)
    )
    return _build(importer)


@attrs.define
class CategoryData:
    """A category's printed tables, resolved: rows with errata applied, stage statuses, awards."""

    name: str
    stages: dict[int, str] = attrs.Factory(dict)  # stage -> counted|prologue|liaison|cancelled
    stage_rows: dict[int, list[PrintedRow]] = attrs.Factory(dict)
    gc_rows: dict[int, list[PrintedRow]] = attrs.Factory(dict)
    final: list[PrintedRow] = attrs.Factory(list)
    awards: dict[int, int] = attrs.Factory(dict)
    award_sources: dict[int, Award] = attrs.Factory(dict)
    """The editorial decision behind an award (none when a note placed it)."""
    award_placements: dict[int, str] = attrs.Factory(dict)
    """Awards the importer placed from a note naming no stage: the reason, in words."""
    award_pending: tuple[int, tuple[int, ...], int] | None = None
    """An award a note names that no stage could be given: (time, cancelled stages, line)."""


def _categories(imp: _Importer) -> list[CategoryData]:
    """Each category's stage statuses and resolved stage, GC and final rows."""
    out = []
    for results in imp.article.categories:
        cat = CategoryData(results.category)
        for block in results.blocks:
            remark = (block.remark or "").lower()
            if block.cancelled:
                cat.stages[block.stage] = "cancelled"
            elif "liaison" in remark:
                cat.stages[block.stage] = "liaison"
            elif block.gc_not_counted:
                cat.stages[block.stage] = "prologue"
            else:
                cat.stages[block.stage] = "counted"
            lines_r = [row.line for row in block.rows if row.result is not None]
            lines_g = [row.line for row in block.rows if row.gc is not None]
            if block.results:
                cat.stage_rows[block.stage] = imp.table_rows(
                    cat.name, "stage", block.stage, block.results, lines_r
                )
            if block.gc and cat.stages[block.stage] == "counted":
                cat.gc_rows[block.stage] = imp.table_rows(
                    cat.name, "gc", block.stage, block.gc, lines_g
                )
        cat.final = imp.final_rows(cat.name)
        out.append(cat)
    return out


# ---------------------------------------------------------------------- derivation


@attrs.frozen
class _Point:
    """A crew's known GC time after a stage (0: the start), and where it is printed."""

    stage: int
    time_ms: int
    what: str
    inferred: tuple[str, ...] = ()


_Penalties = dict[str, list[tuple[int, int, str | None]]]
"""Per crew key: (stage, amount, the id of the penalty if it was inferred)."""


def _derive(
    imp: _Importer, cat: CategoryData, penalties: _Penalties, record: bool
) -> tuple[list[Issue], list[tuple[int, StageResultRecorded]]]:
    """Stage results of every crew of a category, and the GC steps that do not add up."""
    return _Derivation(imp, cat, penalties, record=record).run()


@attrs.frozen
class _Step:
    """A crew's GC from one known point to the next, and what the stages between account for."""

    key: str
    a: _Point
    b: _Point
    timed: dict[int, int]
    """The printed time of each counted stage between that the crew is printed for."""
    untimed: list[int]
    """The counted stages between that the crew is not printed for."""
    awarded: int
    penalties: list[tuple[int, int, str | None]]
    """The crew's penalties between (stage, amount, id if inferred)."""

    @property
    def penalty(self) -> int:
        """The penalties between, added up."""
        return sum(ms for _, ms, _ in self.penalties)

    @property
    def remainder(self) -> int:
        """The GC difference less the awarded times and penalties: the stages' share."""
        return self.b.time_ms - self.a.time_ms - self.awarded - self.penalty

    @property
    def extra(self) -> int:
        """What the printed stage times leave unaccounted for."""
        return self.remainder - sum(self.timed.values())

    def words(self) -> str:
        """``GC after stage 5 (line 80) − GC after stage 3 (line 60) − 0:15:00 awarded …``."""
        return (
            f"{self.b.what} − {self.a.what}"
            + (f" − {format_time(self.awarded)} awarded" if self.awarded else "")
            + (f" − {format_signed(self.penalty)} penalties" if self.penalty else "")
        )


class _Derivation:
    """One category's stage results, printed and derived, and the GC steps that do not add up.

    A crew's printed stage times are results; between two consecutive known GC times
    (the start, each GC printed for it, the final standings) the stages it is not printed
    for get what the difference leaves, as one result (combined over several stages).
    With ``record`` False only the issues are wanted (placing a penalty or an award).
    """

    def __init__(
        self, imp: _Importer, cat: CategoryData, penalties: _Penalties, *, record: bool
    ) -> None:
        self.imp = imp
        self.cat = cat
        self.penalties = penalties
        self.record = record
        self.issues: list[Issue] = []
        self.results: list[tuple[int, StageResultRecorded]] = []
        self.counted = sorted(s for s, status in cat.stages.items() if status == "counted")
        self.printed = self.printed_rows()
        self.points = self.gc_points()
        self.in_stage = self.penalties_in_stage_times()

    def run(self) -> tuple[list[Issue], list[tuple[int, StageResultRecorded]]]:
        """The issues found and the results (with the stage each is recorded at), per crew."""
        for key in sorted(set(self.printed) | set(self.points)):
            own = self.printed.get(key, {})
            stage_ms = {s: row.time_ms - self.in_stage.get((key, s), 0) for s, row in own.items()}
            for stage, row in sorted(own.items()):
                if self.cat.stages.get(stage) in ("counted", "prologue") and self.record:
                    self.results.append((stage, self.printed_result(key, row, stage_ms[stage])))
            chain = [_Point(0, 0, "the start")] + [
                self.points[key][s] for s in sorted(self.points.get(key, {}))
            ]
            for a, b in itertools.pairwise(chain):
                self.step(self.step_between(key, stage_ms, a, b))
        return self.issues, self.results

    def printed_rows(self) -> dict[str, dict[int, PrintedRow]]:
        """Per crew key and stage: the crew's row in the stage ranking (the first if twice)."""
        printed: dict[str, dict[int, PrintedRow]] = defaultdict(dict)
        for stage, rows in self.cat.stage_rows.items():
            for row in rows:
                printed[row.key].setdefault(stage, row)
        return printed

    def gc_points(self) -> dict[str, dict[int, _Point]]:
        """Per crew key and stage: its known GC times, the final standings' at the last
        counted stage (one that differs from the GC printed there is an issue)."""
        points: dict[str, dict[int, _Point]] = defaultdict(dict)
        for stage, rows in self.cat.gc_rows.items():
            for row in rows:
                points[row.key][stage] = _Point(
                    stage, row.time_ms, f"GC after stage {stage} (line {row.line})", row.inferred
                )
        last_stage = max(self.cat.stages) if self.cat.stages else 0
        final_stage = max(self.counted) if self.counted else last_stage
        for row in self.cat.final:
            known = points[row.key].get(final_stage)
            if known is not None and known.time_ms != row.time_ms:
                self.issues.append(
                    Issue(
                        "final-vs-gc",
                        self.cat.name,
                        final_stage,
                        row.line,
                        f"{row.driver}: final standings {format_time(row.time_ms)}, "
                        f"GC after the last stage {format_time(known.time_ms)}",
                    )
                )
            points[row.key][final_stage] = _Point(
                final_stage, row.time_ms, f"final standings (line {row.line})", row.inferred
            )
        return points

    def penalties_in_stage_times(self) -> dict[tuple[str, int], int]:
        """Per (crew key, stage): the penalties the printed stage time already includes
        (noted as such by the source)."""
        in_stage: dict[tuple[str, int], int] = defaultdict(int)
        for decision in self.imp.editorial.penalties:
            if decision.category == self.cat.name and decision.in_stage_time and decision.stage:
                in_stage[(self.imp.key(decision.competitor), decision.stage)] += decision.amount_ms
        return in_stage

    def printed_result(self, key: str, row: PrintedRow, time_ms: int) -> StageResultRecorded:
        """The result a printed stage time gives (less a penalty it includes)."""
        stage = row.stage
        assert stage is not None
        return StageResultRecorded(
            entry_id=key,
            stage=stage,
            time_ms=time_ms,
            provenance=self.imp.prov(
                SourceKind.INFERRED
                if row.inferred
                else SourceKind.ERRATUM
                if row.errata
                else SourceKind.PRINTED,
                f"stage {stage} ranking, row {row.row} (line {row.line})"
                + (f", erratum {', '.join(row.errata)}" if row.errata else "")
                + (
                    ", printed time less the penalty it includes"
                    if self.in_stage.get((key, stage))
                    else ""
                )
                + self.imp.inferred_words(row.inferred),
            ),
        )

    def step_between(self, key: str, stage_ms: dict[int, int], a: _Point, b: _Point) -> _Step:
        """The GC step of crew ``key`` from ``a`` to ``b``."""
        span = [s for s in self.counted if a.stage < s <= b.stage]
        timed = {s: stage_ms[s] for s in span if s in stage_ms}
        return _Step(
            key=key,
            a=a,
            b=b,
            timed=timed,
            untimed=[s for s in span if s not in timed],
            awarded=sum(ms for s, ms in self.cat.awards.items() if a.stage < s <= b.stage),
            penalties=[p for p in self.penalties.get(key, []) if a.stage < p[0] <= b.stage],
        )

    def step(self, step: _Step) -> None:
        """Check a GC step, and record what it leaves for the stages not printed: a step
        over printed stages only must add up; one leaving no positive time is an issue."""
        if not step.untimed:
            if step.extra != 0:
                self.issues.append(
                    Issue(
                        "gc-step",
                        self.cat.name,
                        step.b.stage,
                        None,
                        f"{step.key}: GC went from {format_time(step.a.time_ms)} "
                        f"(stage {step.a.stage}) to {format_time(step.b.time_ms)} "
                        f"(stage {step.b.stage}); printed stage times, awards and penalties "
                        f"account for {format_time(step.remainder - step.extra)}, "
                        f"unexplained {format_signed(step.extra)}",
                    )
                )
            return
        if step.extra <= 0:
            self.issues.append(
                Issue(
                    "nonpositive",
                    self.cat.name,
                    step.b.stage,
                    None,
                    f"{step.key}: the time left for stages {step.untimed} is "
                    f"{format_signed(step.extra)} ({step.words()})",
                )
            )
            return
        if self.record:
            self.results.append((max(step.untimed), self.derived_result(step)))

    def derived_result(self, step: _Step) -> StageResultRecorded:
        """The result a GC step leaves for the stages not printed (combined over several)."""
        a, b = step.a, step.b
        detail = step.words() + (
            f" − the printed time of stage {', '.join(map(str, sorted(step.timed)))}"
            if step.timed
            else ""
        )
        uses = [
            *(f"erratum {i}" for i in (*b.inferred, *a.inferred)),
            *(f"penalty {i}" for _, _, i in step.penalties if i is not None),
            *(
                f"award at stage {s}"
                for s, award in self.cat.award_sources.items()
                if award.inferred and a.stage < s <= b.stage
            ),
        ]
        if uses:
            detail += f" (uses the inferred {', '.join(uses)})"
        return StageResultRecorded(
            entry_id=step.key,
            stage=max(step.untimed),
            time_ms=step.extra,
            first_stage=min(step.untimed) if len(step.untimed) > 1 else None,
            provenance=self.imp.prov(SourceKind.INFERRED if uses else SourceKind.DERIVED, detail),
        )


def _penalty_map(imp: _Importer, cat: CategoryData, placed: dict[str, int]) -> _Penalties:
    """The category's penalties per crew, at their stage (or the one ``placed`` gives them)."""
    out: _Penalties = defaultdict(list)
    for decision in imp.editorial.penalties:
        if decision.category != cat.name:
            continue
        stage = decision.stage if decision.stage is not None else placed.get(decision.id)
        if stage is not None:
            out[imp.key(decision.competitor)].append(
                (stage, decision.amount_ms, decision.id if decision.inferred else None)
            )
    return out


def _place_penalties(imp: _Importer, cat: CategoryData) -> dict[str, int]:
    """Stages for penalties whose source names none: where a GC step exceeds by that amount."""
    placed: dict[str, int] = {}
    for decision in imp.editorial.penalties:
        if decision.category != cat.name or decision.stage is not None:
            continue
        key = imp.key(decision.competitor)
        issues, _ = _derive(imp, cat, _penalty_map(imp, cat, placed), record=False)
        matches = [
            issue.stage
            for issue in issues
            if issue.kind == "gc-step"
            and issue.text.startswith(f"{key}:")
            and issue.text.endswith(f"unexplained {format_signed(decision.amount_ms)}")
        ]
        if len(matches) == 1 and matches[0] is not None:
            placed[decision.id] = matches[0]
            imp.notes.append(
                f"penalty {decision.id} ({decision.competitor}, "
                f"{format_signed(decision.amount_ms)}): the source names no stage; "
                f"the GC step at stage {matches[0]} exceeds the printed stage time "
                f"by exactly that amount"
            )
        else:
            imp.issues.append(
                Issue(
                    "unplaced-penalty",
                    cat.name,
                    None,
                    None,
                    f"penalty {decision.id}: no single GC step of "
                    f"{decision.competitor} exceeds by "
                    f"{format_signed(decision.amount_ms)} ({len(matches)} found)",
                )
            )
    return placed


def _assign_awards(imp: _Importer, cat: CategoryData, notes: Iterable[Note]) -> None:
    """Awarded times from the notes; where the stage is not said, the numbers choose it."""
    for award in imp.editorial.awards:
        if award.category == cat.name:
            cat.awards[award.stage] = award.time_ms
            cat.award_sources[award.stage] = award
    if cat.awards:
        return
    for note in notes:
        match = _AWARD.search(note.text)
        if not match:
            continue
        amount = parse_clock(match.group(1))
        candidates = sorted(s for s, status in cat.stages.items() if status == "cancelled")
        quoted = f"the note of line {note.line} awards {format_time(amount)} and names no stage"
        if len(candidates) == 1:
            cat.awards[candidates[0]] = amount
            cat.award_placements[candidates[0]] = (
                f"{quoted}; stage {candidates[0]} is the only stage cancelled for {cat.name}"
            )
            continue
        scores = []
        for stage in candidates:
            cat.awards = {stage: amount}
            issues, _ = _derive(imp, cat, {}, record=False)
            scores.append((sum(1 for i in issues if i.kind in ("gc-step", "nonpositive")), stage))
        cat.awards = {}
        scores.sort()
        if scores and (len(scores) == 1 or scores[0][0] < scores[1][0]):
            stage = scores[0][1]
            cat.awards[stage] = amount
            per_choice = ", ".join(f"stage {s}: {n}" for n, s in sorted(scores, key=lambda x: x[1]))
            imp.notes.append(
                f"{cat.name}: the note awarding {format_time(amount)} names no stage; of the "
                f"cancelled stages {candidates}, only stage {stage} makes the GC add up "
                f"(inconsistent GC steps per choice: {per_choice})"
            )
            cat.award_placements[stage] = (
                f"{quoted}; of the stages cancelled for {cat.name} "
                f"({', '.join(map(str, candidates))}), only stage {stage} makes every printed "
                f"GC step add up (GC steps that do not add up, per choice: {per_choice})"
            )
        else:
            cat.award_pending = (amount, tuple(candidates), note.line)
            imp.issues.append(
                Issue(
                    "unplaced-award",
                    cat.name,
                    None,
                    None,
                    f"awarded time {format_time(amount)}: cannot tell which of "
                    f"the cancelled stages {candidates} it is for",
                )
            )


def _listed_name(article: Article, line: int) -> str:
    """The name of the principal entry listed at ``line`` (empty if none)."""
    return next((p.name for p in article.principal_entries if p.line == line), "")


def known_prefix(rows: Sequence[PrintedRow]) -> int:
    """How many leading rows the source vouches for: up to the first row an erratum dropped."""
    for index, row in enumerate(rows, start=1):
        if row.row != index:
            return index - 1
    return len(rows)


def _build(imp: _Importer) -> ImportResult:
    """The import's events, documented rows and issues (see ``_EventBuilder``)."""
    return _EventBuilder(imp).build()


class _EventBuilder:
    """Turns an article's resolved tables and its editorial decisions into the log's events.

    The log holds the stages scheduled, then the entries registered, then stage by
    stage: retirements first, cancellations, results, penalties and the coverage of
    the printed tables, in that order within a category.
    """

    def __init__(self, imp: _Importer) -> None:
        self.imp = imp
        self.article = imp.article
        self.cats = _categories(imp)
        self.all_stages = sorted({s for c in self.cats for s in c.stages})
        self.entries: dict[tuple[str, str], EntryRegistered] = {}
        """Per (category, crew key): the entry registered."""
        self.numbers: dict[tuple[str, str], tuple[PrintedRow, int | None]] = {}
        """Per (category, race number): the row of the crew given it, and its listed line."""
        self.conflicts: list[NumberConflict] = []
        self.timeline: dict[int, list[Event]] = defaultdict(list)
        """The events of each stage, in recording order."""
        self.placed: dict[str, int] = {}
        self.stage_named: int | None = self.all_stages[-1] if self.all_stages else None
        """The stage an issue about a penalty's unknown competitor names: the last stage
        the build went through before it (so the importer has always reported it)."""

    def build(self) -> ImportResult:
        """Every event, the documented rows, the issues and notes, and the analysis."""
        imp, article = self.imp, self.article
        declaration = RallyDeclared(
            rally_id=imp.rally_id,
            name=article.title,
            year=article.year,
            categories=tuple(c.name for c in self.cats),
            provenance=imp.prov(SourceKind.PRINTED, f"title (line {article.title_line})"),
        )
        self.assign_awards()
        self.register_entries()
        stage_events = self.stages_scheduled()
        self.cancellations()
        for cat in self.cats:
            self.category_events(cat)
        for erratum in imp.editorial.errata:
            if erratum.id not in imp.used_errata:
                imp.issues.append(
                    Issue(
                        "unused-erratum",
                        "-",
                        None,
                        None,
                        f"erratum {erratum.id} matches no printed row",
                    )
                )
        events: list[Event] = [*stage_events, *self.entries.values()]
        for stage in sorted(self.timeline):
            events.extend(self.timeline[stage])
        return ImportResult(
            declaration=declaration,
            events=tuple(events),
            documented=_documented(imp, self.cats),
            issues=tuple(imp.issues),
            notes=tuple(imp.notes),
            analysis=Analysis(
                article=article,
                editorial=imp.editorial,
                categories=tuple(self.cats),
                placed=self.placed,
                entries=dict(self.entries),
                conflicts=tuple(self.conflicts),
                aliases=dict(imp.aliases),
            ),
        )

    def assign_awards(self) -> None:
        """Each category's awarded times, from the editorial file or its notes."""
        notes_by_category: dict[str, list[Note]] = {
            r.category: list(r.notes) for r in self.article.categories
        }
        for cat in self.cats:
            _assign_awards(
                self.imp,
                cat,
                notes_by_category.get(cat.name, []) + list(self.article.stages.notes),
            )

    # ------------------------------------------------------------- entries

    def register_entries(self) -> None:
        """An entry for every crew printed: in the final standings first, then stage by
        stage; its race number printed in its row or listed among the principal entries."""
        principal = self.principal_numbers()
        for cat in self.cats:
            seen: list[PrintedRow] = list(cat.final)
            for stage in sorted(set(cat.stage_rows) | set(cat.gc_rows)):
                seen += cat.stage_rows.get(stage, []) + cat.gc_rows.get(stage, [])
            for row in seen:
                if (cat.name, row.key) not in self.entries:
                    self.entries[(cat.name, row.key)] = self.entry(cat, row, principal)

    def principal_numbers(self) -> dict[tuple[str, str], PrincipalEntry]:
        """Per (category, crew key): the principal entry listing its race number (errata
        applied; one an erratum says lists no number is left out)."""
        imp = self.imp
        principal = {}
        for listed in self.article.principal_entries:
            number: str | None = listed.number
            for erratum in imp.errata_for(listed.category, "entries", None, listed.line):
                imp.check_printed(erratum, listed.number, listed.line)
                number = None if erratum.corrected == "none" else erratum.corrected
            if number is not None:
                principal[(listed.category, fold_name(imp.name(listed.name)))] = attrs.evolve(
                    listed, number=number
                )
        return principal

    def entry(
        self,
        cat: CategoryData,
        row: PrintedRow,
        principal: dict[tuple[str, str], PrincipalEntry],
    ) -> EntryRegistered:
        """The entry of the crew first seen in ``row``."""
        imp = self.imp
        number = row.number
        origin = f"line {row.line}"
        listed_line: int | None = None
        if number is None and (cat.name, row.key) in principal:
            listed_entry = principal[(cat.name, row.key)]
            number = listed_entry.number
            listed_line = listed_entry.line
            origin = f"line {row.line}, number from line {listed_entry.line}"
        number = self.claim_number(cat, row, number, listed_line)
        inferred_words = self.inferred_entry_words(cat, row)
        return EntryRegistered(
            entry_id=f"{cat.name}:{number}"
            if number
            else f"{cat.name}:{re.sub(r'[^a-z0-9]+', '-', row.key).strip('-')}",
            category=cat.name,
            number=number,
            crew=tuple(Person(imp.name(p.name), p.nationality) for p in row.crew),
            make=row.make,
            entrant=row.entrant,
            provenance=imp.prov(
                SourceKind.INFERRED if inferred_words else SourceKind.PRINTED,
                origin + inferred_words,
            ),
        )

    def claim_number(
        self, cat: CategoryData, row: PrintedRow, number: str | None, listed_line: int | None
    ) -> str | None:
        """``number`` for the crew of ``row``, unless another crew has it already (a conflict:
        an issue, and the crew goes without)."""
        if number is not None and (cat.name, number) in self.numbers:
            first, first_listed = self.numbers[(cat.name, number)]
            self.imp.issues.append(
                Issue(
                    "number-conflict",
                    cat.name,
                    None,
                    row.line,
                    f"No. {number} given to {row.driver} and to {first.driver}",
                )
            )
            self.conflicts.append(
                NumberConflict(cat.name, number, first, first_listed, row, listed_line)
            )
            return None
        if number is not None:
            self.numbers[(cat.name, number)] = (row, listed_line)
        return number

    def inferred_entry_words(self, cat: CategoryData, row: PrintedRow) -> str:
        """``; inferred alias …`` and ``; inferred erratum …`` for each inferred decision
        the entry of ``row`` rests on (its crew's names, its listed number)."""
        imp = self.imp
        renamed = [
            imp.inferred_aliases[fold_name(p.name)]
            for p in row.crew
            if fold_name(p.name) in imp.inferred_aliases
        ]
        listed_errata = [
            e
            for e in imp.editorial.errata
            if e.inferred
            and e.table == "entries"
            and e.category == cat.name
            and fold_name(imp.name(_listed_name(self.article, e.row))) == row.key
        ]
        return "".join(
            f"; inferred alias {a.printed} = {a.name}: {a.reason}" for a in renamed
        ) + "".join(f"; inferred erratum {e.id}: {e.evidence}" for e in listed_errata)

    # ------------------------------------------------------------- stages

    def stages_scheduled(self) -> list[Event]:
        """A ``StageScheduled`` per stage: each category's kind of stage, and the route."""
        dates = _dates(self.article)
        stage_events: list[Event] = []
        for stage in self.all_stages:
            rules = []
            for cat in self.cats:
                status = cat.stages.get(stage, "liaison")
                kind = {"prologue": StageKind.PROLOGUE, "liaison": StageKind.LIAISON}.get(
                    status, StageKind.SPECIAL
                )
                rules.append(StageRule(cat.name, kind))
            try:
                route = self.article.stages.row(stage)
                start, finish, km = route.from_place, route.to_place, route.distance_km
            except KeyError:
                start = finish = None
                km = None
            stage_events.append(
                StageScheduled(
                    stage=stage,
                    rules=tuple(rules),
                    date=dates.get(stage),
                    start=start or None,
                    finish=finish or None,
                    distance_km=km,
                    provenance=self.imp.prov(SourceKind.PRINTED, "stages table and stage results"),
                )
            )
        return stage_events

    def cancellations(self) -> None:
        """A ``StageCancelled`` per stage and awarded time: the categories that share both."""
        for stage in self.all_stages:
            cancelled = [c for c in self.cats if c.stages.get(stage) == "cancelled"]
            by_award: dict[tuple[int | None, Award | None], list[CategoryData]] = defaultdict(list)
            for cat in cancelled:
                source = cat.award_sources.get(stage)
                by_award[
                    (cat.awards.get(stage), source if source and source.inferred else None)
                ].append(cat)
            for (awarded, inferred_award), group in by_award.items():
                self.timeline[stage].append(
                    StageCancelled(
                        stage=stage,
                        categories=tuple(c.name for c in group),
                        reason=self.cancel_reason(group[0].name, stage),
                        awarded_ms=awarded,
                        provenance=self.cancel_provenance(stage, awarded, inferred_award),
                    )
                )

    def cancel_reason(self, category: str, stage: int) -> str:
        """The remark of the stage's block (or the block before it), else the plain words."""
        blocks = [b for r in self.article.categories if r.category == category for b in r.blocks]
        reason = next((b.remark for b in blocks if b.stage == stage and b.remark), None)
        return reason or next(
            (b.remark for b in blocks if b.stage == stage - 1 and b.remark), "stage cancelled"
        )

    def cancel_provenance(
        self, stage: int, awarded: int | None, inferred_award: Award | None
    ) -> Provenance:
        """Where a cancellation comes from: the remark, and the note or inference of its award."""
        if inferred_award is not None:
            return self.imp.prov(
                SourceKind.INFERRED,
                f"stage results remark and note on awarded time; inferred award at "
                f"stage {stage}: {inferred_award.evidence}",
            )
        return self.imp.prov(
            SourceKind.NOTE if awarded else SourceKind.PRINTED,
            "stage results remark" + (" and note on awarded time" if awarded else ""),
        )

    # ------------------------------------------------------------- per category

    def category_events(self, cat: CategoryData) -> None:
        """A category's results, penalties, retirements and coverage, into the timeline."""
        imp = self.imp
        placed = _place_penalties(imp, cat)
        self.placed.update(placed)
        issues, results = _derive(imp, cat, _penalty_map(imp, cat, placed), record=True)
        imp.issues.extend(issues)
        for stage, result in results:
            entry = self.entries[(cat.name, result.entry_id)]
            self.timeline[stage].append(attrs.evolve(result, entry_id=entry.entry_id))
        if results:
            self.stage_named = results[-1][0]
        self.penalties(cat, placed)
        self.retirements(cat)
        self.coverage(cat)
        if cat.stages:
            self.stage_named = max(cat.stages)

    def penalties(self, cat: CategoryData, placed: dict[str, int]) -> None:
        """A ``PenaltyImposed`` per penalty decision of the category that has a stage (its
        own or the one placed) and a known competitor."""
        imp = self.imp
        for decision in imp.editorial.penalties:
            if decision.category != cat.name:
                continue
            at_stage = decision.stage if decision.stage is not None else placed.get(decision.id)
            penalised = self.entries.get((cat.name, imp.key(decision.competitor)))
            if penalised is None:
                self.unknown_competitor(
                    cat, self.stage_named, f"penalty {decision.id}: {decision.competitor}"
                )
                continue
            if at_stage is None:
                continue
            self.timeline[at_stage].append(
                PenaltyImposed(
                    penalty_id=decision.id,
                    entry_id=penalised.entry_id,
                    stage=at_stage,
                    amount_ms=decision.amount_ms,
                    reason=decision.reason,
                    gc_only=decision.gc_only,
                    provenance=imp.prov(
                        SourceKind.INFERRED
                        if decision.inferred
                        else SourceKind.NOTE
                        if decision.source != "arithmetic"
                        else SourceKind.DERIVED,
                        f"{decision.source}: {decision.evidence}",
                    ),
                )
            )

    def retirements(self, cat: CategoryData) -> None:
        """An ``EntryRetired`` per retirement decision, first among its stage's events."""
        imp = self.imp
        for retirement in imp.editorial.retirements:
            if retirement.category != cat.name:
                continue
            retired = self.entries.get((cat.name, imp.key(retirement.competitor)))
            if retired is None:
                self.unknown_competitor(
                    cat, retirement.stage, f"retirement: {retirement.competitor}"
                )
                continue
            self.timeline[retirement.stage].insert(
                0,
                EntryRetired(
                    entry_id=retired.entry_id,
                    stage=retirement.stage,
                    reason=retirement.reason,
                    provenance=imp.prov(
                        SourceKind.INFERRED if retirement.inferred else SourceKind.NOTE,
                        retirement.evidence,
                    ),
                ),
            )

    def unknown_competitor(self, cat: CategoryData, stage: int | None, decision: str) -> None:
        """Note a decision (``penalty P1: Name``) naming a competitor the category has no
        entry for."""
        self.imp.issues.append(Issue("unknown-competitor", cat.name, stage, None, decision))

    def coverage(self, cat: CategoryData) -> None:
        """A ``FieldCoverageDeclared`` per timed stage: how many leading rows are printed."""
        last_counted = max((s for s, st in cat.stages.items() if st == "counted"), default=None)
        for stage in sorted(cat.stages):
            status = cat.stages[stage]
            if status in ("liaison", "cancelled"):
                continue
            stage_known = known_prefix(cat.stage_rows.get(stage, []))
            gc_known: int | None = None
            if status == "counted":
                gc_known = known_prefix(cat.gc_rows.get(stage, []))
                if stage == last_counted and cat.final:
                    gc_known = len(cat.final)
            self.timeline[stage].append(
                FieldCoverageDeclared(
                    category=cat.name,
                    stage=stage,
                    stage_known=stage_known,
                    gc_known=gc_known,
                    provenance=self.imp.prov(
                        SourceKind.PRINTED, "the source prints only these leading rows"
                    ),
                )
            )


def _documented(imp: _Importer, cats: Sequence[CategoryData]) -> dict[str, Any]:
    """The documented standings: every row exactly as printed, per category and table."""
    return {
        "rally": imp.article.title,
        "rally_id": imp.rally_id,
        "source": imp.source,
        "note": "Rows exactly as the source prints them; no erratum applied, nothing filled in.",
        "categories": {
            cat.name: {
                "stages": {str(s): status for s, status in sorted(cat.stages.items())},
                **{
                    table: [
                        row for c, row in imp.printed if c == cat.name and row["table"] == table
                    ]
                    for table in ("stage", "gc", "final")
                },
                "entries": [
                    {"line": p.line, "number": p.number, "name": p.name, "make": p.make}
                    for p in imp.article.principal_entries
                    if p.category == cat.name
                ],
            }
            for cat in cats
        },
    }
