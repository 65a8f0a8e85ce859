"""Check a replayed log against the standings its source documents, row by row.

The documented rows are kept beside the log exactly as printed
(``NAME.documented.json``); the errata in the editorial file beside it
(``NAME.toml``) say which printed values are wrong and what stands instead.
For every documented GC row, final-standings row and stage row, the replay
must give the printed position, competitor, time and gap, or else the
corrected value of a catalogued erratum. A row printed without a position
shares the row above's. Where the article prints equal times with distinct
positions, the engine's tie rule (equal times share a position) stands, and
verify says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from ...engine import Rally, StageResult, Standings, penalties
from ...events import (
    LogNotFoundError,
    QueryError,
    RallyError,
    SourceKind,
    format_gap,
    format_time,
    read_file,
)
from .. import load, resolve_log
from ._editorial import Editorial, Erratum, load_editorial
from ._import import fold_name
from ._parse import parse_clock

__all__ = [
    "Difference",
    "VerifyReport",
    "check_replay",
    "documented_path",
    "editorial_path",
    "verify",
    "verify_json",
]


def documented_path(log: Path) -> Path:
    """Where the documented standings of a log are kept: beside it."""
    return log.with_name(log.name.removesuffix(".rallylog") + ".documented.json")


def editorial_path(log: Path) -> Path:
    """Where the editorial decisions (errata, penalties) of a log are kept: beside it."""
    return log.with_name(log.name.removesuffix(".rallylog") + ".toml")


@attrs.frozen
class Tally:
    """Rows checked and rows reproduced for one kind of table."""

    total: int = 0
    reproduced: int = 0


@attrs.frozen
class Difference:
    """A documented row (or an erratum) the replay does not reproduce: where, and how."""

    where: str
    what: str


@attrs.frozen
class VerifyReport:
    """What verify found: one line per difference, erratum or tie note, and the counts."""

    lines: tuple[str, ...]
    gc: Tally
    final: Tally
    stage: Tally
    errata: int
    differences: int
    found: tuple[Difference, ...] = ()
    """The differences, one item each (``differences`` counts them)."""

    @property
    def ok(self) -> bool:
        """Whether every documented row is reproduced (or is a catalogued erratum)."""
        return self.differences == 0

    @property
    def summary(self) -> str:
        """``reproduced X of Y GC rows, A of B final rows, E errata; S of T stage rows``."""
        return (
            f"reproduced {self.gc.reproduced} of {self.gc.total} GC rows, "
            f"{self.final.reproduced} of {self.final.total} final rows, "
            f"{self.errata} errata; {self.stage.reproduced} of {self.stage.total} stage rows"
        )


def _ms(text: str | None) -> int | None:
    return None if text is None else parse_clock(text)


@attrs.frozen
class _RowCheck:
    """A documented row being checked: where it is (in words), its table, the replayed
    ranking or standings, the replayed row of its crew, and that row's values."""

    where: str
    table: str
    replay: Standings | StageResult
    found: Any
    actual: dict[str, Any]


def _expected(table: str, row: dict[str, Any], above: dict[str, Any] | None) -> dict[str, Any]:
    """The values a documented row prints: a position and a time not printed are the row
    above's; a final row prints a time (the first row, or no ``+``) or a gap."""
    expected: dict[str, Any] = {
        "position": row["position"]
        if row["position"] is not None
        else (above or {}).get("_position"),
        "time": _ms(row["time"]) if row["time"] is not None else (above or {}).get("_time"),
        "gap": _ms(row["gap"]) if row["gap"] is not None else None,
        "number": row["number"],
    }
    if table == "final":
        if row["row"] == 1 or not str(row["time"]).startswith("+"):
            expected["time"], expected["gap"] = _ms(row["time"]), None
        else:
            expected["time"], expected["gap"] = None, _ms(row["time"])
    return expected


def _actual(
    table: str, replay: Standings | StageResult, found: Any, expected: dict[str, Any]
) -> dict[str, Any]:
    """The replayed row's values, as ``_expected`` gives the printed ones (no time where a
    final row prints only its gap)."""
    leader = replay.rows[0].time_ms
    actual = {
        "position": found.position,
        "time": found.time_ms,
        "gap": found.time_ms - leader if found is not replay.rows[0] else None,
        "number": found.number,
    }
    if table == "final" and expected["time"] is None:
        actual["time"] = None
    return actual


class _Checker:
    """A replay checked against documented rows: the lines said, the rows counted, the
    errata matched and the differences found so far."""

    def __init__(self, rally: Rally, documented: dict[str, Any], editorial: Editorial) -> None:
        self.rally = rally
        self.documented = documented
        self.errata: dict[tuple[str, str, int | None, int], list[Erratum]] = {}
        for erratum in editorial.errata:
            self.errata.setdefault(
                (erratum.category, erratum.table, erratum.stage, erratum.row), []
            ).append(erratum)
        self.aliases = {fold_name(a.printed): fold_name(a.name) for a in editorial.aliases}
        self.lines: list[str] = []
        self.counts = {"gc": [0, 0], "final": [0, 0], "stage": [0, 0]}
        self.errata_matched: set[str] = set()
        self.differences = 0
        self.found: list[Difference] = []

    def key(self, name: str) -> str:
        """The crew key of a printed name (aliases applied)."""
        folded = fold_name(name)
        return self.aliases.get(folded, folded)

    def entry_id(self, category: str, driver: str) -> str | None:
        """The entry whose driver is ``driver`` (None: no such entry)."""
        wanted = self.key(driver)
        for entry in self.rally.entries(category):
            if fold_name(entry.crew[0].name) == wanted:
                return entry.entry_id
        return None

    def check(self) -> None:
        """Check every documented row and listed number, category by category."""
        for category, tables in self.documented["categories"].items():
            last_counted = max(
                (int(s) for s, status in tables["stages"].items() if status == "counted"),
                default=None,
            )
            for table in ("gc", "stage", "final"):
                above: dict[str, Any] | None = None
                for row in tables[table]:
                    if above is not None and (above["stage"] != row["stage"]):
                        above = None
                    self.check_row(category, table, row, above, last_counted)
                    above = row
            for listed in tables.get("entries", []):
                self.check_listed_number(category, listed)

    def check_listed_number(self, category: str, listed: dict[str, Any]) -> None:
        """A race number from a principal-entry list: the entry carries it, or an erratum says."""
        where = f"{category} principal entries (line {listed['line']}), {listed['name']}"
        entry_id = self.entry_id(category, listed["name"])
        replayed = next(
            (e.number for e in self.rally.entries(category) if e.entry_id == entry_id), None
        )
        errata = self.errata.get((category, "entries", None, listed["line"]), [])
        if entry_id is None or replayed == listed["number"]:
            return  # an entrant the tables never print, or the number as listed
        for erratum in errata:
            expected = None if erratum.corrected == "none" else erratum.corrected
            if replayed == expected:
                self.errata_matched.add(erratum.id)
                self.lines.append(
                    f"erratum {erratum.id}: {where}: number printed {erratum.printed}, "
                    f"replayed {replayed or 'unknown'} ({erratum.kind})"
                )
                return
        self.fail(where, f"number: printed {listed['number']}, replayed {replayed or 'unknown'}")

    def _replayed(
        self, category: str, table: str, stage: int | None, last: int | None
    ) -> Standings | StageResult:
        """The replayed stage ranking, or the GC after the stage (``last``: the final)."""
        if table == "stage":
            assert stage is not None
            return self.rally.stage_result(category, stage)
        assert last is not None
        return self.rally.standings(category, stage if stage is not None else last)

    def check_row(
        self,
        category: str,
        table: str,
        row: dict[str, Any],
        above: dict[str, Any] | None,
        last: int | None,
    ) -> None:
        """Check one documented row against the replay: its position, time, gap and (final
        standings) number must be as printed, or as a catalogued erratum corrects them.

        A row printed without a position or a time takes the row above's (``above``,
        which this call has annotated); ``last`` is the category's last counted stage.
        """
        stage = row["stage"]
        what = (
            "final standings"
            if table == "final"
            else f"{'GC after' if table == 'gc' else 'ranking of'} stage {stage}"
        )
        where = f"{category} {what}, row {row['row']} (line {row['line']}), {row['driver']}"
        errata: dict[str, Erratum] = {
            e.field: e for e in self.errata.get((category, table, stage, row["row"]), [])
        }
        self.counts[table][0] += 1
        if "row" in errata:
            erratum = errata["row"]
            self.errata_matched.add(erratum.id)
            self.counts[table][1] += 1
            self.lines.append(
                f"erratum {erratum.id}: {where}: printed row dropped ({erratum.kind})"
            )
            return
        expected = _expected(table, row, above)
        row["_position"], row["_time"] = expected["position"], expected["time"]
        try:
            replay = self._replayed(category, table, stage, last)
        except QueryError as error:
            self.fail(where, f"no replay: {error}")
            return
        driver = errata["competitor"].corrected if "competitor" in errata else row["driver"]
        entry_id = self.entry_id(category, driver)
        found = next((r for r in replay.rows if r.entry_id == entry_id), None)
        if found is None:
            reason = ""
            if isinstance(replay, Standings):
                reason = next(
                    (f": {u.reason}" for u in replay.unclassified if u.entry_id == entry_id), ""
                )
            self.fail(where, f"not in the replay{reason}")
            return
        check = _RowCheck(where, table, replay, found, _actual(table, replay, found, expected))
        notes: list[str] = []
        ok = True
        for field, value in expected.items():
            if not self.check_field(check, field, value, errata.get(field), notes):
                ok = False
        self.lines.extend(notes)
        if ok:
            self.counts[table][1] += 1

    def check_field(
        self,
        check: _RowCheck,
        field: str,
        value: Any,
        erratum: Erratum | None,
        notes: list[str],
    ) -> bool:
        """Whether one field of a row is reproduced: as printed (None: nothing to check),
        as its ``erratum`` corrects it, or differing only where the replay cannot tell (an
        uncertain position, a tie: added to ``notes``). A difference is noted as one."""
        actual = check.actual[field]
        if value is None or (field == "number" and check.table != "final"):
            return True
        if field == "gap" and actual is None and value == 0:
            return True
        if erratum is not None:
            return self.check_erratum(check.where, field, actual, erratum)
        if actual == value:
            return True
        found = check.found
        if field == "position" and not found.position_certain and value >= found.position:
            notes.append(
                f"uncertain: {check.where}: printed position {value}, replayed "
                f"{found.position_text} (the log does not hold every row above it)"
            )
            return True
        if field == "position" and self.is_tie(check.replay, found, value):
            notes.append(
                f"tie: {check.where}: printed position {value}, replayed "
                f"{found.position} (equal times share a position)"
            )
            return True
        self.fail(
            check.where,
            f"{field}: printed {self.show(field, value)}, replayed {self.show(field, actual)}",
        )
        return False

    def check_erratum(self, where: str, field: str, actual: Any, erratum: Erratum) -> bool:
        """Whether the replay shows the erratum's corrected value (a line says so either way)."""
        corrected: Any = erratum.corrected
        if field in ("time", "gap"):
            corrected = parse_clock(corrected)
        elif field == "position":
            corrected = int(corrected)
        if actual == corrected:
            self.errata_matched.add(erratum.id)
            self.lines.append(
                f"erratum {erratum.id}: {where}: {field} printed {erratum.printed}, "
                f"replayed {self.show(field, actual)} ({erratum.kind})"
            )
            return True
        self.fail(
            where,
            f"{field}: erratum says {erratum.corrected}, replayed {self.show(field, actual)}",
        )
        return False

    @staticmethod
    def is_tie(replay: Standings | StageResult, found: Any, printed: int) -> bool:
        """Whether ``printed`` is a position the replayed row shares by a tie."""
        tied = [r for r in replay.rows if r.time_ms == found.time_ms]
        return len(tied) > 1 and found.position <= printed < found.position + len(tied)

    @staticmethod
    def show(field: str, value: Any) -> str:
        """A field's value in words (a time as ``h:mm:ss``)."""
        if field == "time":
            return format_time(value) if value is not None else "-"
        if field == "gap":
            return format_gap(value) or "none (leader)"
        return str(value)

    def fail(self, where: str, text: str) -> None:
        """Note a difference."""
        self.differences += 1
        self.found.append(Difference(where, text))
        self.lines.append(f"DIFFERENCE {where}: {text}")


def _documented_and_editorial(path: Path) -> tuple[dict[str, Any], Editorial]:
    documented_file = documented_path(path)
    if not os.path.lexists(documented_file):
        raise LogNotFoundError(
            "no documented standings beside the log",
            where=str(path),
            expected=f"a file {documented_file.name}",
            received="none",
        )
    raw = read_file(documented_file, what="documented standings file", limit=64 << 20)
    try:
        documented = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RallyError(
            "not a documented standings file",
            where=str(documented_file),
            expected="UTF-8 JSON written by standings import",
            received=str(error),
        ) from None
    if not isinstance(documented, dict):
        raise RallyError(
            "not a documented standings file",
            where=str(documented_file),
            expected="a JSON object written by standings import",
            received=type(documented).__name__,
        )
    editorial_file = editorial_path(path)
    editorial = (
        load_editorial(editorial_file)
        if os.path.lexists(editorial_file)
        else Editorial(rally_id=documented.get("rally_id", "rally"))
    )
    return documented, editorial


def verify(log: str | os.PathLike[str]) -> VerifyReport:
    """Replay a log and compare it with the standings documented beside it.

    The errata come from the editorial file beside the log (``LOG-stem.toml``:
    ``import`` puts the file it used there).
    """
    path = resolve_log(log)
    documented, editorial = _documented_and_editorial(path)
    return check_replay(load(path), documented, editorial)


def check_replay(rally: Rally, documented: dict[str, Any], editorial: Editorial) -> VerifyReport:
    """Compare a replayed rally with documented rows, applying ``editorial``'s errata."""
    checker = _Checker(rally, documented, editorial)
    checker.check()
    unmatched = [e.id for e in editorial.errata if e.id not in checker.errata_matched]
    lines = list(checker.lines)
    lines += [
        f"unrecorded: {item.category}: {item.statement} ({item.reason})"
        for item in editorial.unrecorded
    ]
    for erratum_id in unmatched:
        checker.differences += 1
        what = "the replay does not show its corrected value on any documented row"
        checker.found.append(Difference(f"erratum {erratum_id}", what))
        lines.append(f"DIFFERENCE erratum {erratum_id}: {what}")

    def tally(name: str) -> Tally:
        total, reproduced = checker.counts[name]
        return Tally(total=total, reproduced=reproduced)

    return VerifyReport(
        lines=tuple(lines),
        gc=tally("gc"),
        final=tally("final"),
        stage=tally("stage"),
        errata=len(checker.errata_matched),
        differences=checker.differences,
        found=tuple(checker.found),
    )


def _as_time(text: str) -> str:
    """A printed time or gap as ``h:mm:ss`` (text that is not a time stays as it is)."""
    try:
        return format_time(parse_clock(text))
    except RallyError:
        return text


def verify_json(log: str | os.PathLike[str]) -> dict[str, Any]:
    """``verify`` as the JSON contract of ``standings verify LOG --format json``.

    ``{"log", "gc": {"reproduced", "total"}, "final", "stage", "errata": [{"id",
    "category", "table", "stage", "row", "field", "printed", "used", "inferred",
    "evidence"}], "penalties": [{"id", "category", "number", "crew", "stage",
    "amount_ms", "inferred"}], "differences": [{"where", "what"}]}``; times as
    ``h:mm:ss``, ``row`` the 1-based printed row within that stage's block (the
    article line for ``entries``).
    """
    path = resolve_log(log)
    documented, editorial = _documented_and_editorial(path)
    rally = load(path)
    report = check_replay(rally, documented, editorial)

    def shown(erratum: Erratum, text: str) -> str:
        return _as_time(text) if erratum.field in ("time", "gap") else text

    return {
        "log": str(path),
        **{
            name: {"reproduced": tally.reproduced, "total": tally.total}
            for name, tally in (("gc", report.gc), ("final", report.final), ("stage", report.stage))
        },
        "errata": [
            {
                "id": e.id,
                "category": e.category,
                "table": e.table,
                "stage": e.stage,
                "row": e.row,
                "field": e.field,
                "printed": shown(e, e.printed),
                "used": e.corrected if e.drops_row else shown(e, e.corrected),
                "inferred": e.inferred,
                "evidence": e.evidence,
            }
            for e in editorial.errata
        ],
        "penalties": [
            {
                "id": listing.state.event.adjustment_id,
                "category": listing.category,
                "number": listing.number,
                "crew": [person.name for person in listing.crew],
                "stage": listing.state.event.stage,
                "amount_ms": listing.state.event.delta_ms,
                "inferred": listing.state.event.provenance.kind is SourceKind.INFERRED,
            }
            for listing in penalties(rally)
        ],
        "differences": [{"where": d.where, "what": d.what} for d in report.found],
    }
