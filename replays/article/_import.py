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
from typing import Any

import attrs

from ...engine import fold_name as _fold_name
from ...events import (
    EntryRegistered,
    EntryRetired,
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
        self,
        what: str,
        *,
        where: str | None = None,
        expected: str | None = None,
        received: object = None,
        issues: Sequence[object] = (),
    ) -> None:
        self.issues = tuple(str(issue) for issue in issues)
        super().__init__(what, where=where, expected=expected, received=received)


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


class _Importer:
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
        return self.aliases.get(fold_name(printed), printed)

    def key(self, printed: str) -> str:
        return fold_name(self.name(printed))

    def prov(self, kind: SourceKind, detail: str) -> Provenance:
        return Provenance(kind, f"{self.source}: {detail}")

    def inferred_words(self, ids: Iterable[str]) -> str:
        """``; inferred erratum X: evidence`` for each inferred erratum among ``ids``."""
        return "".join(
            f"; inferred erratum {i}: {self.inferred_errata[i].evidence}"
            for i in ids
            if i in self.inferred_errata
        )

    # ------------------------------------------------------------------ rows

    def _errata_for(self, category: str, table: str, stage: int | None, row: int) -> list[Erratum]:
        found = self.errata.get((category, table, stage, row), [])
        for erratum in found:
            self.used_errata.add(erratum.id)
        return found

    def _check_printed(self, erratum: Erratum, printed: str | None, line: int) -> None:
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
        leader_ms: int | None = None
        for index, (placing, line) in enumerate(zip(placings, lines, strict=True), start=1):
            time_text = placing.time.text if placing.time else None
            gap_text = placing.gap.text if placing.gap else None
            position = placing.position
            driver = self.name(placing.crew[0].name)
            applied: list[str] = []
            dropped = False
            for erratum in self._errata_for(category, table, stage, index):
                applied.append(erratum.id)
                if erratum.drops_row:
                    self._check_printed(erratum, time_text, line)
                    dropped = True
                elif erratum.field == "time":
                    self._check_printed(erratum, time_text, line)
                    time_text = erratum.corrected
                elif erratum.field == "gap":
                    self._check_printed(erratum, gap_text, line)
                    gap_text = erratum.corrected
                elif erratum.field == "position":
                    self._check_printed(erratum, str(position), line)
                    position = int(erratum.corrected)
                elif erratum.field == "competitor":
                    self._check_printed(erratum, driver, line)
                    driver = erratum.corrected
            self.printed.append(
                (
                    category,
                    {
                        "table": table,
                        "stage": stage,
                        "row": index,
                        "line": line,
                        "position": placing.position,
                        "driver": placing.crew[0].name,
                        "crew": [p.name for p in placing.crew],
                        "number": None,
                        "make": placing.make,
                        "time": placing.time.text if placing.time else None,
                        "gap": placing.gap.text if placing.gap else None,
                    },
                )
            )
            if dropped:
                continue
            above = rows[-1] if rows else None
            tie = position is None and time_text is None
            unprinted = [w for w, v in (("position", position), ("time", time_text)) if v is None]
            if unprinted and above is None:  # a tie row shares the values of the row above
                what = unprinted[0]
                self.issues.append(
                    Issue(f"no-{what}", category, stage, line, f"first row prints no {what}")
                )
                continue
            if position is None:
                assert above is not None
                position = above.position
            if time_text is None:
                assert above is not None
                time_ms = above.time_ms
            else:
                time_ms = self.clock(time_text, line, category, stage)
            gap_ms = self.clock(gap_text, line, category, stage) if gap_text else None
            if leader_ms is None:
                leader_ms = time_ms
            elif gap_ms is not None and time_ms - leader_ms != gap_ms:
                self.issues.append(
                    Issue(
                        f"{table}-gap",
                        category,
                        stage,
                        line,
                        f"{driver}: time {format_time(time_ms)} is "
                        f"{format_signed(time_ms - leader_ms)} behind, the printed gap says "
                        f"{format_signed(gap_ms)}",
                    )
                )
            gap_printed = gap_ms is not None
            if tie and above is not None:
                gap_ms = above.gap_ms
            rows.append(
                PrintedRow(
                    category=category,
                    table=table,
                    stage=stage,
                    row=index,
                    line=line,
                    driver=driver,
                    key=fold_name(driver),
                    crew=placing.crew,
                    make=placing.make,
                    position=position,
                    position_printed=placing.position is not None,
                    time_ms=time_ms,
                    gap_ms=None
                    if not rows
                    else (gap_ms if gap_ms is not None else time_ms - leader_ms),
                    time_text=placing.time.text if placing.time else None,
                    gap_text=placing.gap.text if placing.gap else None,
                    errata=tuple(applied),
                    time_from_above=time_text is None,
                    gap_printed=gap_printed and bool(rows),
                    inferred=tuple(i for i in applied if i in self.inferred_errata),
                )
            )
        return rows

    def clock(self, text: str, line: int, category: str, stage: int | None) -> int:
        try:
            return parse_clock(text, where=f"{self.source}, line {line}")
        except ArticleError as error:
            self.issues.append(Issue("bad-time", category, stage, line, str(error)))
            return 0

    def final_rows(self, category: str) -> list[PrintedRow]:
        try:
            standings = self.article.standings(category)
        except KeyError:
            return []
        rows: list[PrintedRow] = []
        leader_ms = 0
        for index, row in enumerate(standings.rows, start=1):
            time_text = row.time.text
            number = row.number
            position = row.position
            applied: list[str] = []
            driver = self.name(row.driver.name)
            dropped = False
            for erratum in self._errata_for(category, "final", None, index):
                applied.append(erratum.id)
                if erratum.drops_row:
                    dropped = True
                elif erratum.field == "time":
                    self._check_printed(erratum, time_text, row.line)
                    time_text = erratum.corrected
                elif erratum.field == "number":
                    self._check_printed(erratum, number, row.line)
                    number = erratum.corrected
                elif erratum.field == "position":
                    self._check_printed(erratum, str(position), row.line)
                    position = int(erratum.corrected)
                elif erratum.field == "competitor":
                    self._check_printed(erratum, driver, row.line)
                    driver = erratum.corrected
            self.printed.append(
                (
                    category,
                    {
                        "table": "final",
                        "stage": None,
                        "row": index,
                        "line": row.line,
                        "position": row.position,
                        "driver": row.driver.name,
                        "crew": [p.name for p in (row.driver, *row.co_drivers)],
                        "number": row.number,
                        "make": row.make,
                        "time": row.time.text,
                        "gap": None,
                    },
                )
            )
            if dropped:
                continue
            value = self.clock(time_text, row.line, category, None)
            is_gap = time_text.strip().startswith("+")
            if index == 1 or not rows:
                leader_ms = value
                time_ms, gap_ms = value, None
            elif is_gap:
                time_ms, gap_ms = leader_ms + value, value
            else:
                time_ms, gap_ms = value, value - leader_ms
            rows.append(
                PrintedRow(
                    category=category,
                    table="final",
                    stage=None,
                    row=index,
                    line=row.line,
                    driver=driver,
                    key=fold_name(driver),
                    crew=(row.driver, *row.co_drivers),
                    make=row.make,
                    position=position,
                    position_printed=True,
                    time_ms=time_ms,
                    gap_ms=gap_ms,
                    time_text=None if (index > 1 and is_gap) else row.time.text,
                    gap_text=row.time.text if (index > 1 and is_gap) else None,
                    number=number,
                    entrant=row.entrant,
                    errata=tuple(applied),
                    gap_printed=bool(rows) and is_gap,
                    inferred=tuple(i for i in applied if i in self.inferred_errata),
                )
            )
        return rows


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
    issues: list[Issue] = []
    results: list[tuple[int, StageResultRecorded]] = []
    counted = sorted(s for s, status in cat.stages.items() if status == "counted")
    last_stage = max(cat.stages) if cat.stages else 0
    printed: dict[str, dict[int, PrintedRow]] = defaultdict(dict)
    for stage, rows in cat.stage_rows.items():
        for row in rows:
            printed[row.key].setdefault(stage, row)
    points: dict[str, dict[int, _Point]] = defaultdict(dict)
    for stage, rows in cat.gc_rows.items():
        for row in rows:
            points[row.key][stage] = _Point(
                stage, row.time_ms, f"GC after stage {stage} (line {row.line})", row.inferred
            )
    final_stage = max(counted) if counted else last_stage
    for row in cat.final:
        known = points[row.key].get(final_stage)
        if known is not None and known.time_ms != row.time_ms:
            issues.append(
                Issue(
                    "final-vs-gc",
                    cat.name,
                    final_stage,
                    row.line,
                    f"{row.driver}: final standings {format_time(row.time_ms)}, "
                    f"GC after the last stage {format_time(known.time_ms)}",
                )
            )
        points[row.key][final_stage] = _Point(
            final_stage, row.time_ms, f"final standings (line {row.line})", row.inferred
        )
    # penalties the printed stage time already includes (noted as such by the source)
    in_stage: dict[tuple[str, int], int] = defaultdict(int)
    for decision in imp.editorial.penalties:
        if decision.category == cat.name and decision.in_stage_time and decision.stage:
            in_stage[(imp.key(decision.competitor), decision.stage)] += decision.amount_ms
    keys = sorted(set(printed) | set(points))
    for key in keys:
        own = printed.get(key, {})
        stage_ms = {s: row.time_ms - in_stage.get((key, s), 0) for s, row in own.items()}
        for stage, row in sorted(own.items()):
            if cat.stages.get(stage) in ("counted", "prologue") and record:
                results.append(
                    (
                        stage,
                        StageResultRecorded(
                            entry_id=key,
                            stage=stage,
                            time_ms=stage_ms[stage],
                            provenance=imp.prov(
                                SourceKind.INFERRED
                                if row.inferred
                                else SourceKind.ERRATUM
                                if row.errata
                                else SourceKind.PRINTED,
                                f"stage {stage} ranking, row {row.row} (line {row.line})"
                                + (f", erratum {', '.join(row.errata)}" if row.errata else "")
                                + (
                                    ", printed time less the penalty it includes"
                                    if in_stage.get((key, stage))
                                    else ""
                                )
                                + imp.inferred_words(row.inferred),
                            ),
                        ),
                    )
                )
        chain = [_Point(0, 0, "the start")] + [points[key][s] for s in sorted(points.get(key, {}))]
        for a, b in itertools.pairwise(chain):
            span = [s for s in counted if a.stage < s <= b.stage]
            awarded = sum(ms for s, ms in cat.awards.items() if a.stage < s <= b.stage)
            in_span = [p for p in penalties.get(key, []) if a.stage < p[0] <= b.stage]
            penalty = sum(ms for _, ms, _ in in_span)
            remainder = b.time_ms - a.time_ms - awarded - penalty
            timed = {s: stage_ms[s] for s in span if s in stage_ms}
            untimed = [s for s in span if s not in timed]
            extra = remainder - sum(timed.values())
            what = (
                f"{b.what} − {a.what}"
                + (f" − {format_time(awarded)} awarded" if awarded else "")
                + (f" − {format_signed(penalty)} penalties" if penalty else "")
            )
            if not untimed:
                if extra != 0:
                    issues.append(
                        Issue(
                            "gc-step",
                            cat.name,
                            b.stage,
                            None,
                            f"{key}: GC went from {format_time(a.time_ms)} (stage {a.stage}) to "
                            f"{format_time(b.time_ms)} (stage {b.stage}); printed stage times, "
                            f"awards and penalties account for {format_time(remainder - extra)}, "
                            f"unexplained {format_signed(extra)}",
                        )
                    )
                continue
            if extra <= 0:
                issues.append(
                    Issue(
                        "nonpositive",
                        cat.name,
                        b.stage,
                        None,
                        f"{key}: the time left for stages {untimed} is {format_signed(extra)} "
                        f"({what})",
                    )
                )
                continue
            if not record:
                continue
            detail = what + (
                f" − the printed time of stage {', '.join(map(str, sorted(timed)))}"
                if timed
                else ""
            )
            uses = [
                *(f"erratum {i}" for i in (*b.inferred, *a.inferred)),
                *(f"penalty {i}" for _, _, i in in_span if i is not None),
                *(
                    f"award at stage {s}"
                    for s, award in cat.award_sources.items()
                    if award.inferred and a.stage < s <= b.stage
                ),
            ]
            if uses:
                detail += f" (uses the inferred {', '.join(uses)})"
            results.append(
                (
                    max(untimed),
                    StageResultRecorded(
                        entry_id=key,
                        stage=max(untimed),
                        time_ms=extra,
                        first_stage=min(untimed) if len(untimed) > 1 else None,
                        provenance=imp.prov(
                            SourceKind.INFERRED if uses else SourceKind.DERIVED,
                            detail,
                        ),
                    ),
                )
            )
    return issues, results


def _penalty_map(imp: _Importer, cat: CategoryData, placed: dict[str, int]) -> _Penalties:
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
    return next((p.name for p in article.principal_entries if p.line == line), "")


def known_prefix(rows: Sequence[PrintedRow]) -> int:
    """How many leading rows the source vouches for: up to the first row an erratum dropped."""
    for index, row in enumerate(rows, start=1):
        if row.row != index:
            return index - 1
    return len(rows)


def _build(imp: _Importer) -> ImportResult:
    article = imp.article
    cats = _categories(imp)
    rally_id = imp.rally_id
    declaration = RallyDeclared(
        rally_id=rally_id,
        name=article.title,
        year=article.year,
        categories=tuple(c.name for c in cats),
        provenance=imp.prov(SourceKind.PRINTED, f"title (line {article.title_line})"),
    )
    notes_by_category: dict[str, list[Note]] = {
        r.category: list(r.notes) for r in article.categories
    }
    for cat in cats:
        _assign_awards(imp, cat, notes_by_category.get(cat.name, []) + list(article.stages.notes))
    # ------------------------------------------------------------- entries
    entries: dict[tuple[str, str], EntryRegistered] = {}
    numbers: dict[tuple[str, str], tuple[PrintedRow, int | None]] = {}
    conflicts: list[NumberConflict] = []
    principal = {}
    for listed in article.principal_entries:
        number_of_listed: str | None = listed.number
        for erratum in imp._errata_for(listed.category, "entries", None, listed.line):
            imp._check_printed(erratum, listed.number, listed.line)
            number_of_listed = None if erratum.corrected == "none" else erratum.corrected
        if number_of_listed is not None:
            principal[(listed.category, fold_name(imp.name(listed.name)))] = attrs.evolve(
                listed, number=number_of_listed
            )
    for cat in cats:
        seen: list[PrintedRow] = list(cat.final)
        for stage in sorted(set(cat.stage_rows) | set(cat.gc_rows)):
            seen += cat.stage_rows.get(stage, []) + cat.gc_rows.get(stage, [])
        for row in seen:
            if (cat.name, row.key) in entries:
                continue
            number = row.number
            origin = f"line {row.line}"
            listed_line: int | None = None
            if number is None and (cat.name, row.key) in principal:
                listed_entry = principal[(cat.name, row.key)]
                number = listed_entry.number
                listed_line = listed_entry.line
                origin = f"line {row.line}, number from line {listed_entry.line}"
            if number is not None and (cat.name, number) in numbers:
                first, first_listed = numbers[(cat.name, number)]
                imp.issues.append(
                    Issue(
                        "number-conflict",
                        cat.name,
                        None,
                        row.line,
                        f"No. {number} given to {row.driver} and to {first.driver}",
                    )
                )
                conflicts.append(
                    NumberConflict(cat.name, number, first, first_listed, row, listed_line)
                )
                number = None
            if number is not None:
                numbers[(cat.name, number)] = (row, listed_line)
            crew = tuple(Person(imp.name(p.name), p.nationality) for p in row.crew)
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
                and fold_name(imp.name(_listed_name(article, e.row))) == row.key
            ]
            inferred_words = "".join(
                f"; inferred alias {a.printed} = {a.name}: {a.reason}" for a in renamed
            ) + "".join(f"; inferred erratum {e.id}: {e.evidence}" for e in listed_errata)
            entries[(cat.name, row.key)] = EntryRegistered(
                entry_id=f"{cat.name}:{number}"
                if number
                else f"{cat.name}:{re.sub(r'[^a-z0-9]+', '-', row.key).strip('-')}",
                category=cat.name,
                number=number,
                crew=crew,
                make=row.make,
                entrant=row.entrant,
                provenance=imp.prov(
                    SourceKind.INFERRED if inferred_words else SourceKind.PRINTED,
                    origin + inferred_words,
                ),
            )
    # ------------------------------------------------------------- stages
    dates = _dates(article)
    all_stages = sorted({s for c in cats for s in c.stages})
    stage_events: list[Event] = []
    for stage in all_stages:
        rules = []
        for cat in cats:
            status = cat.stages.get(stage, "liaison")
            kind = {"prologue": StageKind.PROLOGUE, "liaison": StageKind.LIAISON}.get(
                status, StageKind.SPECIAL
            )
            rules.append(StageRule(cat.name, kind))
        try:
            route = article.stages.row(stage)
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
                provenance=imp.prov(SourceKind.PRINTED, "stages table and stage results"),
            )
        )
    # ------------------------------------------------------------- per stage
    timeline: dict[int, list[Event]] = defaultdict(list)
    for stage in all_stages:
        cancelled = [c for c in cats if c.stages.get(stage) == "cancelled"]
        by_award: dict[tuple[int | None, Award | None], list[CategoryData]] = defaultdict(list)
        for cat in cancelled:
            source = cat.award_sources.get(stage)
            by_award[
                (cat.awards.get(stage), source if source and source.inferred else None)
            ].append(cat)
        for (awarded, inferred_award), group in by_award.items():
            reason = next(
                (
                    b.remark
                    for r in article.categories
                    if r.category == group[0].name
                    for b in r.blocks
                    if b.stage in (stage,) and b.remark
                ),
                None,
            )
            reason = reason or next(
                (
                    b.remark
                    for r in article.categories
                    if r.category == group[0].name
                    for b in r.blocks
                    if b.stage == stage - 1 and b.remark
                ),
                "stage cancelled",
            )
            timeline[stage].append(
                StageCancelled(
                    stage=stage,
                    categories=tuple(c.name for c in group),
                    reason=reason,
                    awarded_ms=awarded,
                    provenance=imp.prov(
                        SourceKind.NOTE if awarded else SourceKind.PRINTED,
                        "stage results remark" + (" and note on awarded time" if awarded else ""),
                    )
                    if inferred_award is None
                    else imp.prov(
                        SourceKind.INFERRED,
                        f"stage results remark and note on awarded time; inferred award at "
                        f"stage {stage}: {inferred_award.evidence}",
                    ),
                )
            )
    placed_all: dict[str, int] = {}
    for cat in cats:
        placed = _place_penalties(imp, cat)
        placed_all.update(placed)
        penalties = _penalty_map(imp, cat, placed)
        issues, results = _derive(imp, cat, penalties, record=True)
        imp.issues.extend(issues)
        for stage, result in results:
            entry = entries[(cat.name, result.entry_id)]
            timeline[stage].append(attrs.evolve(result, entry_id=entry.entry_id))
        for decision in imp.editorial.penalties:
            if decision.category != cat.name:
                continue
            at_stage = decision.stage if decision.stage is not None else placed.get(decision.id)
            penalised = entries.get((cat.name, imp.key(decision.competitor)))
            if at_stage is None or penalised is None:
                if penalised is None:
                    imp.issues.append(
                        Issue(
                            "unknown-competitor",
                            cat.name,
                            stage,
                            None,
                            f"penalty {decision.id}: {decision.competitor}",
                        )
                    )
                continue
            timeline[at_stage].append(
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
        for retirement in imp.editorial.retirements:
            if retirement.category != cat.name:
                continue
            retired = entries.get((cat.name, imp.key(retirement.competitor)))
            if retired is None:
                imp.issues.append(
                    Issue(
                        "unknown-competitor",
                        cat.name,
                        retirement.stage,
                        None,
                        f"retirement: {retirement.competitor}",
                    )
                )
                continue
            timeline[retirement.stage].insert(
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
        for stage in sorted(cat.stages):
            status = cat.stages[stage]
            if status in ("liaison", "cancelled"):
                continue
            stage_known = known_prefix(cat.stage_rows.get(stage, []))
            gc_known: int | None = None
            if status == "counted":
                gc_known = known_prefix(cat.gc_rows.get(stage, []))
                if stage == max(s for s, st in cat.stages.items() if st == "counted") and cat.final:
                    gc_known = len(cat.final)
            timeline[stage].append(
                FieldCoverageDeclared(
                    category=cat.name,
                    stage=stage,
                    stage_known=stage_known,
                    gc_known=gc_known,
                    provenance=imp.prov(
                        SourceKind.PRINTED, "the source prints only these leading rows"
                    ),
                )
            )
    unused = [e.id for e in imp.editorial.errata if e.id not in imp.used_errata]
    for erratum_id in unused:
        imp.issues.append(
            Issue("unused-erratum", "-", None, None, f"erratum {erratum_id} matches no printed row")
        )
    events: list[Event] = [*stage_events, *entries.values()]
    for stage in sorted(timeline):
        events.extend(timeline[stage])
    documented: dict[str, Any] = {
        "rally": article.title,
        "rally_id": rally_id,
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
                    for p in article.principal_entries
                    if p.category == cat.name
                ],
            }
            for cat in cats
        },
    }
    return ImportResult(
        declaration=declaration,
        events=tuple(events),
        documented=documented,
        issues=tuple(imp.issues),
        notes=tuple(imp.notes),
        analysis=Analysis(
            article=article,
            editorial=imp.editorial,
            categories=tuple(cats),
            placed=placed_all,
            entries=dict(entries),
            conflicts=tuple(conflicts),
            aliases=dict(imp.aliases),
        ),
    )
