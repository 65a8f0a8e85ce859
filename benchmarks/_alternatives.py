"""What a user might pick instead of this engine, doing the same work on the same log.

* ``dataframe_gc``: polars. Read the same events (the log's frames, column by
  column), then per category a grouped cumulative sum over the stages and a
  rank after every stage.
* ``eventsourcing_gc``: the ``eventsourcing`` library. The same events are
  stored through an aggregate; the measured part replays them from the
  library's store into the aggregate and ranks its state after every stage.
* ``msgpack_floor``: decoding the log's frames with msgpack and nothing else.

Both alternatives implement the rules the synthetic logs use: prologues do not
count, a cancelled stage counts through its awarded time, penalties in force
count (rescinded ones do not), an entry without a time for a counted stage or
retired at or before a stage is not classified, ties share a position. The
smoke test checks that they give exactly the engine's standings.
"""

from __future__ import annotations

import functools
import os
import struct
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgpack

from rally_standings.events import (
    FRAME_BYTES,
    HEADER,
    EntryRegistered,
    EntryRetired,
    Event,
    Frame,
    PenaltyImposed,
    PenaltyRescinded,
    RallyDeclared,
    Record,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageScheduled,
    WaypointRecorded,
    event_fields,
    scan_file,
)

__all__ = ["GC", "dataframe_gc", "eventsourcing_gc", "eventsourcing_store", "msgpack_floor"]

GC = dict[tuple[str, int], list[tuple[str, int, int]]]
"""(category, stage) -> [(entry id, time ms, position)] in classification order."""


def msgpack_floor(path: Path) -> int:
    """Decode every frame payload with msgpack, no checks; returns the bytes decoded."""
    data = path.read_bytes()
    offset = len(HEADER)
    size = len(data)
    view = memoryview(data)
    while offset + FRAME_BYTES <= size:
        (length,) = struct.unpack_from(">I", data, offset)
        msgpack.unpackb(view[offset + FRAME_BYTES : offset + FRAME_BYTES + length])
        offset += FRAME_BYTES + length
    return size


_NEEDED = frozenset(
    {
        "entry-registered",
        "stage-scheduled",
        "stage-cancelled",
        "stage-result-recorded",
        "penalty-imposed",
        "penalty-rescinded",
        "entry-retired",
    }
)


def _columns(frames: Sequence[Frame]) -> dict[str, dict[str, list[Any]]]:
    """The columns of the event types the standings need (splits are skipped, as a user would)."""
    columns: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for frame in frames:
        for run in frame.runs:
            if run.tag not in _NEEDED:
                continue
            table = columns[run.tag]
            for field in event_fields(run.tag):  # a field added later may have no column
                table[field].extend(run.column(field))
    return columns


def dataframe_gc(path: Path) -> GC:
    """The GC after every stage, per category, computed with polars.

    Written as a user at home with polars would: entries and categories coded as
    integers before the joins and sorts (string keys cost the route a third more),
    one eager pipeline (on one thread the streaming engine is slower here).
    """
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    import polars as pl

    cols = _columns(scan_file(path).frames)
    registered = cols["entry-registered"]
    code = {entry_id: i for i, entry_id in enumerate(registered["entry_id"])}
    category_code = {c: i for i, c in enumerate(dict.fromkeys(registered["category"]))}
    categories = list(category_code)
    entries = pl.DataFrame(
        {
            "e": range(len(code)),
            "entry_id": registered["entry_id"],
            "category": [category_code[c] for c in registered["category"]],
            "number": [int(n) for n in registered["number"]],
        },
        schema={"e": pl.Int64, "entry_id": pl.String, "category": pl.Int64, "number": pl.Int64},
    )
    kinds = [
        (stage, rule["category"], rule["kind"])
        for stage, rules in zip(
            cols["stage-scheduled"]["stage"], cols["stage-scheduled"]["rules"], strict=True
        )
        for rule in rules
        if rule["category"] in category_code
    ]
    cancelled = {
        (stage, category): awarded
        for stage, cancelled_for, awarded in zip(
            cols["stage-cancelled"]["stage"],
            cols["stage-cancelled"]["categories"],
            cols["stage-cancelled"]["awarded_ms"],
            strict=True,
        )
        for category in cancelled_for
    }
    stages = pl.DataFrame(
        {
            "stage": [k[0] for k in kinds],
            "category": [category_code[k[1]] for k in kinds],
            "counted": [k[2] == "special" and (k[0], k[1]) not in cancelled for k in kinds],
            "award": [cancelled.get((k[0], k[1])) or 0 for k in kinds],
        },
        schema={"stage": pl.Int64, "category": pl.Int64, "counted": pl.Boolean, "award": pl.Int64},
    )
    recorded = cols["stage-result-recorded"]
    results = pl.DataFrame(
        {
            "e": [code[entry_id] for entry_id in recorded["entry_id"]],
            "stage": recorded["stage"],
            "time_ms": recorded["time_ms"],
        },
        schema={"e": pl.Int64, "stage": pl.Int64, "time_ms": pl.Int64},
    )
    rescinded = set(cols["penalty-rescinded"]["penalty_id"])
    penalty = cols["penalty-imposed"]
    in_force = [i for i, pid in enumerate(penalty["penalty_id"]) if pid not in rescinded]
    penalties = (
        pl.DataFrame(
            {
                "e": [code[penalty["entry_id"][i]] for i in in_force],
                "stage": [penalty["stage"][i] for i in in_force],
                "amount": [penalty["amount_ms"][i] for i in in_force],
            },
            schema={"e": pl.Int64, "stage": pl.Int64, "amount": pl.Int64},
        )
        .group_by("e", "stage")
        .agg(pl.col("amount").sum())
    )
    retired = pl.DataFrame(
        {
            "e": [code[entry_id] for entry_id in cols["entry-retired"]["entry_id"]],
            "out_at": cols["entry-retired"]["stage"],
        },
        schema={"e": pl.Int64, "out_at": pl.Int64},
    )
    grid = (
        entries.join(stages, on="category")
        .join(results, on=["e", "stage"], how="left")
        .join(penalties, on=["e", "stage"], how="left")
        .join(retired, on="e", how="left")
        .sort("e", "stage")
        .with_columns(
            missing=(pl.col("counted") & pl.col("time_ms").is_null()).cast(pl.Int64),
            part=pl.when(pl.col("counted")).then(pl.col("time_ms")).otherwise(0).fill_null(0)
            + pl.col("amount").fill_null(0)
            + pl.col("award"),
            started=pl.col("counted").cast(pl.Int64),
        )
        .with_columns(
            total=pl.col("part").cum_sum().over("e"),
            missed=pl.col("missing").cum_sum().over("e"),
            begun=pl.col("started").cum_sum().over("e"),
        )
        .filter(
            (pl.col("begun") > 0)
            & (pl.col("missed") == 0)
            & (pl.col("out_at").is_null() | (pl.col("out_at") > pl.col("stage")))
        )
        .with_columns(position=pl.col("total").rank("min").over("category", "stage"))
        .sort("category", "stage", "total", "number")
    )
    gc: GC = {}
    for category, stage, entry_id, total, position in grid.select(
        "category", "stage", "entry_id", "total", "position"
    ).iter_rows():
        gc.setdefault((categories[category], stage), []).append((entry_id, total, int(position)))
    return gc


# ---------------------------------------------------------------------- eventsourcing


@functools.cache
def _aggregate_class() -> Any:
    """The aggregate class, defined once (eventsourcing registers each class by its topic)."""
    from eventsourcing.domain import Aggregate, event

    class RallyAggregate(Aggregate):
        """The rally as an eventsourcing aggregate: one event method per event type."""

        @event("Declared")
        def __init__(self, categories: list[str]) -> None:
            self.categories = categories
            self.entries: dict[str, tuple[str, int]] = {}
            self.kinds: dict[tuple[int, str], str] = {}
            self.results: dict[tuple[str, int], int] = {}
            self.penalties: dict[str, tuple[str, int, int]] = {}
            self.awards: dict[tuple[int, str], int] = {}
            self.cancelled: set[tuple[int, str]] = set()
            self.retired: dict[str, int] = {}
            self.splits = 0

        @event("EntryRegistered")
        def register(self, entry_id: str, category: str, number: int) -> None:
            self.entries[entry_id] = (category, number)

        @event("StageScheduled")
        def schedule(self, stage: int, kinds: dict[str, str]) -> None:
            for category, kind in kinds.items():
                self.kinds[(stage, category)] = kind

        @event("ResultRecorded")
        def result(self, entry_id: str, stage: int, time_ms: int) -> None:
            self.results[(entry_id, stage)] = time_ms

        @event("WaypointRecorded")
        def split(self, entry_id: str, stage: int, waypoint: int, time_ms: int) -> None:
            self.splits += 1

        @event("PenaltyImposed")
        def penalty(self, penalty_id: str, entry_id: str, stage: int, amount_ms: int) -> None:
            self.penalties[penalty_id] = (entry_id, stage, amount_ms)

        @event("PenaltyRescinded")
        def rescind(self, penalty_id: str) -> None:
            del self.penalties[penalty_id]

        @event("StageCancelled")
        def cancel(self, stage: int, categories: list[str], awarded_ms: int) -> None:
            for category in categories:
                self.cancelled.add((stage, category))
                self.awards[(stage, category)] = awarded_ms

        @event("EntryRetired")
        def retire(self, entry_id: str, stage: int) -> None:
            self.retired[entry_id] = stage

    return RallyAggregate


def _feed(aggregate_class: Any, records: Iterable[Record]) -> Any:
    aggregate: Any = None
    for record in records:
        event: Event = record.event
        match event:
            case RallyDeclared():
                aggregate = aggregate_class(list(event.categories))
            case EntryRegistered():
                aggregate.register(event.entry_id, event.category, int(event.number or 0))
            case StageScheduled():
                aggregate.schedule(event.stage, {r.category: str(r.kind) for r in event.rules})
            case StageResultRecorded():
                aggregate.result(event.entry_id, event.stage, event.time_ms)
            case WaypointRecorded():
                aggregate.split(event.entry_id, event.stage, event.waypoint, event.time_ms)
            case PenaltyImposed():
                aggregate.penalty(event.penalty_id, event.entry_id, event.stage, event.amount_ms)
            case PenaltyRescinded():
                aggregate.rescind(event.penalty_id)
            case StageCancelled():
                aggregate.cancel(event.stage, list(event.categories), event.awarded_ms or 0)
            case EntryRetired():
                aggregate.retire(event.entry_id, event.stage)
    return aggregate


def eventsourcing_store(path: Path) -> tuple[Any, Any]:
    """Store the log's events through the aggregate (not timed); returns (app, aggregate id)."""
    from eventsourcing.application import Application

    app: Any = Application()
    aggregate = _feed(_aggregate_class(), scan_file(path).records)
    app.save(aggregate)
    return app, aggregate.id


def eventsourcing_gc(app: Any, aggregate_id: Any) -> GC:
    """Replay the stored events into the aggregate, then rank after every stage."""
    state = app.repository.get(aggregate_id)
    gc: GC = {}
    stages = sorted({stage for stage, _ in state.kinds})
    for category in state.categories:
        members = [e for e, (c, _) in state.entries.items() if c == category]
        adds: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (entry_id, stage), time_ms in state.results.items():
            if (
                state.kinds.get((stage, category)) == StageKind.SPECIAL.value
                and (stage, category) not in state.cancelled
            ):
                adds[stage][entry_id] += time_ms
        for entry_id, stage, amount in state.penalties.values():
            adds[stage][entry_id] += amount
        total = dict.fromkeys(members, 0)
        missed = dict.fromkeys(members, False)
        begun = False
        for stage in stages:
            counted = (
                state.kinds.get((stage, category)) == StageKind.SPECIAL.value
                and (stage, category) not in state.cancelled
            )
            begun = begun or counted
            for entry_id, amount in adds[stage].items():
                if entry_id in total:
                    total[entry_id] += amount
            award = state.awards.get((stage, category), 0)
            for entry_id in members:
                total[entry_id] += award
                if counted and (entry_id, stage) not in state.results:
                    missed[entry_id] = True
            if not begun:
                continue
            ranked = sorted(
                (total[e], state.entries[e][1], e)
                for e in members
                if not missed[e] and state.retired.get(e, 1 << 30) > stage
            )
            rows: list[tuple[str, int, int]] = []
            for index, (time_ms, _, entry_id) in enumerate(ranked):
                position = rows[-1][2] if index and ranked[index - 1][0] == time_ms else index + 1
                rows.append((entry_id, time_ms, position))
            gc[(category, stage)] = rows
    return gc
