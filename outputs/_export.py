"""Tidy tables of a rally for analysts' engines (``standings export``): one row per fact.

``EXPORT_TABLES`` declares each table's columns with their types (``int`` integer milliseconds
or counts, ``str``, ``bool``) and whether they may be null; ``export_rows(rally, log)`` gives a
rally's rows of every table; ``export_csv`` and ``export_parquet`` are the one writer of each
format. Every row carries ``rally_id``, the ``seq`` of the record it comes from and that
record's ``provenance`` (kind and detail); the ``standings`` rows, which no one record
makes, carry the last record of the log and ``derived``. docs/export.md documents the
schema (a test checks it against ``EXPORT_TABLES``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from ..engine import Rally, StageRow, fold_name
from ..events import (
    EntryRegistered,
    EntryRetired,
    PenaltyImposed,
    QueryError,
    ResultCorrected,
    ResultWithdrawn,
    StageResultRecorded,
    StageScheduled,
    WaypointCorrected,
    WaypointRecorded,
    WaypointWithdrawn,
    crew_text,
)
from ._data import stage_state

__all__ = ["EXPORT_TABLES", "ExportColumn", "export_csv", "export_parquet", "export_rows"]


@attrs.frozen
class ExportColumn:
    """A column: its name, its type (``int``, ``str``, ``bool``), whether it may be null."""

    name: str
    type: str
    nullable: bool = False


def _columns(spec: str) -> tuple[ExportColumn, ...]:
    """``"name:int name:str? …"``: a ``?`` marks a column that may be null."""
    found = []
    for item in spec.split():
        name, kind = item.split(":")
        found.append(ExportColumn(name, kind.rstrip("?"), kind.endswith("?")))
    return tuple(found)


_FACT = "seq:int provenance:str provenance_detail:str?"
_ENTRY = "entry_id:str number:str?"

EXPORT_TABLES: dict[str, tuple[ExportColumn, ...]] = {
    "rallies": _columns(
        "rally_id:str name:str year:int categories:str entries:int stages:int last_seq:int "
        f"log:str {_FACT}"
    ),
    "entries": _columns(
        f"rally_id:str category:str class:str? {_ENTRY} crew:str driver:str "
        f"nationality:str? make:str? entrant:str? driver_key:str {_FACT}"
    ),
    "stages": _columns(
        "rally_id:str category:str stage:int kind:str date:str? start:str? finish:str? "
        "distance_km:int? status:str awarded_ms:int? cancelled_reason:str? cancelled_seq:int? "
        f"{_FACT}"
    ),
    "results": _columns(
        f"rally_id:str category:str stage:int first_stage:int {_ENTRY} class:str? "
        "recorded_ms:int time_ms:int? position:int? position_certain:bool? gap_ms:int? "
        f"penalty_ms:int? class_position:int? {_FACT}"
    ),
    "splits": _columns(
        f"rally_id:str category:str stage:int waypoint:int {_ENTRY} time_ms:int {_FACT}"
    ),
    "penalties": _columns(
        f"rally_id:str category:str penalty_id:str {_ENTRY} stage:int amount_ms:int "
        f"gc_only:bool reason:str rescinded:bool rescinded_seq:int? rescinded_reason:str? {_FACT}"
    ),
    "corrections": _columns(
        f"rally_id:str category:str {_ENTRY} stage:int time_ms:int reason:str waypoint:int? {_FACT}"
    ),
    "withdrawals": _columns(
        f"rally_id:str category:str {_ENTRY} stage:int waypoint:int? reason:str {_FACT}"
    ),
    "retirements": _columns(
        f"rally_id:str category:str {_ENTRY} stage:int excluded:bool reason:str {_FACT}"
    ),
    "standings": _columns(
        f"rally_id:str category:str after_stage:int {_ENTRY} class:str? position:int? "
        "position_certain:bool? time_ms:int? gap_ms:int? class_position:int? status:str "
        f"reason:str? {_FACT}"
    ),
}
"""Every table and its columns, in order."""

Row = dict[str, Any]

_RANKING = ("position", "position_certain", "time_ms", "gap_ms", "class_position")
"""The ``standings`` columns a classified row takes from its ranking (null in the others)."""


def _fact(record_seq: int, provenance: Any) -> Row:
    return {
        "seq": record_seq,
        "provenance": str(provenance.kind),
        "provenance_detail": provenance.detail,
    }


class _Rows:
    """A rally's rows, table by table, from one pass over its records and its rankings."""

    def __init__(self, rally: Rally, log: str) -> None:
        self.rally, self.log, self.view = rally, log, rally.view
        self.rally_id = rally.declaration.rally_id
        self.tables: dict[str, list[Row]] = {name: [] for name in EXPORT_TABLES}
        self.entries: dict[str, EntryRegistered] = {e.entry_id: e for e in self.view.entries()}
        self.ranked = self._rankings()

    def row(self, table: str, **values: Any) -> None:
        self.tables[table].append({"rally_id": self.rally_id, **values})

    def entry(self, entry_id: str) -> Row:
        entry = self.entries[entry_id]
        return {"category": entry.category, "entry_id": entry_id, "number": entry.number}

    def _rankings(self) -> dict[tuple[str, int, str], tuple[StageRow | None, int]]:
        """(category, stage, entry id) -> (the entry's row in that stage's ranking, or None
        for a combined time ending there; the time the ranking shows)."""
        found: dict[tuple[str, int, str], tuple[StageRow | None, int]] = {}
        for category in self.rally.categories:
            for stage in self.view.stage_numbers():
                try:
                    ranking = self.rally.stage_result(category, stage)
                except QueryError:
                    continue
                for row in ranking.rows:
                    found[(category, stage, row.entry_id)] = (row, row.time_ms)
                for combined in ranking.combined:
                    found[(category, stage, combined.entry_id)] = (None, combined.time_ms)
        return found

    def build(self) -> dict[str, list[Row]]:
        handlers: dict[type, Callable[[Any, int, Any], None]] = {
            EntryRegistered: self._entry,
            StageResultRecorded: self._result,
            WaypointRecorded: self._split,
            PenaltyImposed: self._penalty,
            ResultCorrected: self._correction,
            WaypointCorrected: self._correction,
            ResultWithdrawn: self._withdrawal,
            WaypointWithdrawn: self._withdrawal,
            EntryRetired: self._retirement,
        }
        first = None
        for record in self.rally.iter_records():
            first = first or record
            handler = handlers.get(type(record.event))
            if handler is not None:
                handler(record.event, record.seq, record.event.provenance)
        declaration = self.rally.declaration
        assert first is not None
        self.row(
            "rallies",
            name=declaration.name,
            year=declaration.year,
            categories=",".join(declaration.categories),
            entries=len(self.entries),
            stages=len(self.view.stage_numbers()),
            last_seq=self.rally.last_seq,
            log=self.log,
            **_fact(first.seq, declaration.provenance),
        )
        self._stages()
        self._standings()
        return self.tables

    def _entry(self, event: EntryRegistered, seq: int, provenance: Any) -> None:
        codes = [person.nationality for person in event.crew]
        self.row(
            "entries",
            **self.entry(event.entry_id),
            **{"class": event.entry_class},
            crew=crew_text(event.crew),
            driver=event.crew[0].name,
            nationality="/".join(code or "" for code in codes) if any(codes) else None,
            make=event.make,
            entrant=event.entrant,
            driver_key=fold_name(event.crew[0].name),
            **_fact(seq, provenance),
        )

    def _result(self, event: StageResultRecorded, seq: int, provenance: Any) -> None:
        who = self.entry(event.entry_id)
        row, shown = self.ranked.get((who["category"], event.stage, event.entry_id), (None, None))
        self.row(
            "results",
            **who,
            stage=event.stage,
            first_stage=event.stage if event.first_stage is None else event.first_stage,
            **{"class": self.entries[event.entry_id].entry_class},
            recorded_ms=event.time_ms,
            time_ms=shown,
            position=None if row is None else row.position,
            position_certain=None if row is None else row.position_certain,
            gap_ms=None if row is None else row.gap_ms,
            penalty_ms=None if row is None else row.penalty_ms,
            class_position=None if row is None else row.class_position,
            **_fact(seq, provenance),
        )

    def _split(self, event: WaypointRecorded, seq: int, provenance: Any) -> None:
        self.row(
            "splits",
            **self.entry(event.entry_id),
            stage=event.stage,
            waypoint=event.waypoint,
            time_ms=event.time_ms,
            **_fact(seq, provenance),
        )

    def _penalty(self, event: PenaltyImposed, seq: int, provenance: Any) -> None:
        state = self.view.penalty(event.penalty_id)
        rescinded = state is not None and not state.in_force
        self.row(
            "penalties",
            **self.entry(event.entry_id),
            penalty_id=event.penalty_id,
            stage=event.stage,
            amount_ms=event.amount_ms,
            gc_only=event.gc_only,
            reason=event.reason,
            rescinded=rescinded,
            rescinded_seq=state.rescinded_seq if state is not None else None,
            rescinded_reason=state.rescinded_reason if state is not None else None,
            **_fact(seq, provenance),
        )

    def _correction(
        self, event: ResultCorrected | WaypointCorrected, seq: int, provenance: Any
    ) -> None:
        self.row(
            "corrections",
            **self.entry(event.entry_id),
            stage=event.stage,
            time_ms=event.time_ms,
            reason=event.reason,
            waypoint=event.waypoint if isinstance(event, WaypointCorrected) else None,
            **_fact(seq, provenance),
        )

    def _withdrawal(
        self, event: ResultWithdrawn | WaypointWithdrawn, seq: int, provenance: Any
    ) -> None:
        self.row(
            "withdrawals",
            **self.entry(event.entry_id),
            stage=event.stage,
            waypoint=event.waypoint if isinstance(event, WaypointWithdrawn) else None,
            reason=event.reason,
            **_fact(seq, provenance),
        )

    def _retirement(self, event: EntryRetired, seq: int, provenance: Any) -> None:
        self.row(
            "retirements",
            **self.entry(event.entry_id),
            stage=event.stage,
            excluded=event.excluded,
            reason=event.reason,
            **_fact(seq, provenance),
        )

    def _stages(self) -> None:
        view = self.view
        scheduled_at = {
            record.event.stage: record
            for record in self.rally.iter_records()
            if isinstance(record.event, StageScheduled)
        }
        for number in view.stage_numbers():
            record = scheduled_at[number]
            scheduled = view.stage(number)
            assert scheduled is not None
            for rule in scheduled.rules:
                state = stage_state(view, rule.category, number)
                cancelled = view.cancellation(number, rule.category)
                self.row(
                    "stages",
                    category=rule.category,
                    stage=number,
                    kind=str(rule.kind),
                    date=scheduled.date,
                    start=scheduled.start,
                    finish=scheduled.finish,
                    distance_km=scheduled.distance_km,
                    status=state["state"],
                    awarded_ms=None if cancelled is None else cancelled.event.awarded_ms,
                    cancelled_reason=None if cancelled is None else cancelled.event.reason,
                    cancelled_seq=None if cancelled is None else cancelled.seq,
                    **_fact(record.seq, scheduled.provenance),
                )

    def _standings(self) -> None:
        derived = {"seq": self.rally.last_seq, "provenance": "derived"}
        derived["provenance_detail"] = "the general classification the engine folds from the log"
        for category in self.rally.categories:
            try:
                snapshots = self.rally.replay(category)
            except QueryError:  # no results yet
                continue
            for standings in snapshots:
                after = {"category": category, "after_stage": standings.after_stage}
                classified = [
                    (row, {name: getattr(row, name) for name in _RANKING}, "classified", None)
                    for row in standings.rows
                ]
                unclassified = [
                    (item, dict.fromkeys(_RANKING), item.status, item.reason)
                    for item in standings.unclassified
                ]
                for who, ranking, status, reason in classified + unclassified:
                    self.row(
                        "standings",
                        **after,
                        entry_id=who.entry_id,
                        number=who.number,
                        **{"class": who.entry_class},
                        **ranking,
                        status=status,
                        reason=reason,
                        **derived,
                    )


def export_rows(rally: Rally, log: str) -> dict[str, list[Row]]:
    """Every table's rows of one rally (``log``: the log's name, kept in ``rallies``)."""
    return _Rows(rally, log).build()


# ---------------------------------------------------------------------- the two formats

_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any, column: ExportColumn) -> str:
    """A CSV cell: empty for null, booleans lowercase, free text starting like a formula
    prefixed with ``'`` (as every CSV of this package: a spreadsheet shows it as text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if column.type == "str" and text.startswith(_SPREADSHEET_TRIGGERS):
        return "'" + text
    return text


def export_csv(table: str, records: Iterator[Row] | list[Row]) -> bytes:
    """One table as CSV (UTF-8, a header line, ``\\n`` line ends), ``rally_id`` included."""
    columns = EXPORT_TABLES[table]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.name for column in columns])
    for record in records:
        writer.writerow([_cell(record[column.name], column) for column in columns])
    return buffer.getvalue().encode("utf-8")


def export_parquet(table: str, records: list[Row]) -> bytes:
    """One rally's table as Parquet (polars, the ``export`` extra), without ``rally_id``:
    the folder it is written in (``rally_id=…``) holds it, as hive partitioning has it."""
    import polars as pl

    types = {"int": pl.Int64, "str": pl.String, "bool": pl.Boolean}
    columns = [column for column in EXPORT_TABLES[table] if column.name != "rally_id"]
    frame = pl.DataFrame(
        {column.name: [record[column.name] for record in records] for column in columns},
        schema={column.name: types[column.type] for column in columns},
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()
