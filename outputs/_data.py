"""The JSON and CSV shapes of every result: one cattrs converter owns them.

``to_data`` turns a result (a ``Standings``, a ``WhatIf``, a view such as
``Replay``) into plain data, the JSON contract documented in
``docs/cli.md``; the CSV writers take their cells from that same data, so a
value reads the same in both. The engine's types know nothing of either.
Times appear twice, as exact integer milliseconds (``time_ms``) and as text
(``time``, ``h:mm:ss``).
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import cattrs

from .. import engine
from ..engine import (
    Change,
    CombinedResult,
    Component,
    HistoryEntry,
    OutOfOrder,
    PenaltyListing,
    Row,
    StageComparison,
    StageResult,
    StageRow,
    Standings,
    Unclassified,
    WhatIf,
)
from ..events import (
    CODEC,
    Event,
    Person,
    Provenance,
    QueryError,
    Record,
    StageKind,
    format_gap,
    format_signed,
    format_time,
    tag_of,
)
from . import _views as views
from ._text import Reference, empty_note, source_text, to_reference
from ._whatif import change_text, headline, labels

__all__ = [
    "converter",
    "csv_chunks",
    "csv_text",
    "event_data",
    "json_chunks",
    "json_layout",
    "json_text",
    "stage_state",
    "to_data",
]


def _names(crew: tuple[Person, ...]) -> list[str]:
    return [person.name for person in crew]


def _provenance(provenance: Provenance) -> dict[str, Any]:
    return {"kind": str(provenance.kind), "detail": provenance.detail}


def _shaped(
    converter: cattrs.Converter,
    cls: type,
    *,
    omit: Sequence[str] = (),
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """Register ``cls`` as its fields (crews as plain names), less ``omit``, plus ``extra``."""
    from cattrs.gen import make_dict_unstructure_fn, override

    overrides: dict[str, Any] = {name: override(omit=True) for name in omit}
    overrides["crew"] = override(unstruct_hook=_names)
    base: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, converter, **overrides)
    if extra is None:
        converter.register_unstructure_hook(cls, base)
        return
    add = extra

    def shaped(value: Any) -> dict[str, Any]:
        return base(value) | add(value)

    converter.register_unstructure_hook(cls, shaped)


def _times(row: Row | StageRow) -> dict[str, Any]:
    return {"time": format_time(row.time_ms), "gap": format_gap(row.gap_ms)}


def _row_data(row: Row | StageRow) -> dict[str, Any]:
    return {
        "position": row.position,
        "position_certain": row.position_certain,
        "number": row.number,
        "crew": _names(row.crew),
        "make": row.make,
        "time_ms": row.time_ms,
        "gap_ms": row.gap_ms,
        **_times(row),
        "class": row.entry_class,
        "class_position": row.class_position,
    }


def _unclassified(converter: cattrs.Converter, item: Unclassified) -> dict[str, Any]:
    return {
        "number": item.number,
        "crew": _names(item.crew),
        "make": item.make,
        "reason": item.reason,
        "status": item.status,
        "stage": item.stage,
        "known_after": item.known_after,
        "class": item.entry_class,
        "withdrawn": item.withdrawn,
    }


def _component(part: Component) -> dict[str, Any]:
    return {
        "kind": part.kind,
        "stage": part.stage,
        "first_stage": part.first_stage,
        "time_ms": part.time_ms,
        "seq": part.seq,
        "note": part.note,
        "penalty_id": part.penalty_id,
        "recorded_ms": part.recorded_ms,
        "replaced_ms": part.replaced_ms,
        "replaced_seq": part.replaced_seq,
        "provenance": _provenance(part.provenance),
    }


def _with_intervals(
    converter: cattrs.Converter, rows: Iterable[Row | StageRow]
) -> list[dict[str, Any]]:
    """Each row's data with ``gap_to_ahead_ms``: its time behind the row one place ahead
    (null for the first row, 0 in a tie), as results sites give it beside the gap."""
    out: list[dict[str, Any]] = []
    previous: int | None = None
    for row in rows:
        data = converter.unstructure(row)
        data["gap_to_ahead_ms"] = None if previous is None else row.time_ms - previous
        previous = row.time_ms
        out.append(data)
    return out


def _standings(converter: cattrs.Converter, standings: Standings) -> dict[str, Any]:
    return {
        "rally": standings.rally,
        "rally_id": standings.rally_id,
        "category": standings.category,
        "after_stage": standings.after_stage,
        "as_of": standings.as_of,
        "rows": _with_intervals(converter, standings.iter_rows()),
        "unclassified": [converter.unstructure(item) for item in standings.iter_unclassified()],
        "class": standings.entry_class,
        "waypoint": standings.waypoint,
        **_not_at_waypoint(converter, standings.waypoint, standings.not_at_waypoint),
        **_out_of_order(standings.waypoint, standings.out_of_order),
        "known_rows": standings.known_rows,
        **({"note": empty_note(standings)} if standings.before_gc else {}),
    }


def _not_at_waypoint(
    converter: cattrs.Converter, waypoint: int | None, items: Sequence[Unclassified]
) -> dict[str, Any]:
    """At a waypoint, the crews still running without a time there (nothing otherwise)."""
    if waypoint is None:
        return {}
    return {"not_at_waypoint": [converter.unstructure(item) for item in items]}


def _out_of_order(waypoint: int | None, items: Sequence[OutOfOrder]) -> dict[str, Any]:
    """At a waypoint, the times there recorded out of order (nothing otherwise)."""
    if waypoint is None:
        return {}
    return {
        "out_of_order": [
            {
                "number": item.number,
                "waypoint": item.waypoint,
                "time_ms": item.time_ms,
                "later": item.later,
                "other_waypoint": item.other_waypoint,
                "other_ms": item.other_ms,
                "other_seq": item.other_seq,
            }
            for item in items
        ]
    }


def _stage_result(converter: cattrs.Converter, result: StageResult) -> dict[str, Any]:
    cancelled = None
    if result.cancelled_reason is not None:
        awarded = result.awarded_ms
        cancelled = {
            "reason": result.cancelled_reason,
            "awarded_ms": awarded,
            "awarded_time": None if awarded is None else format_time(awarded),
        }
    return {
        "rally": result.rally,
        "rally_id": result.rally_id,
        "category": result.category,
        "stage": result.stage,
        "kind": str(result.kind),
        "as_of": result.as_of,
        "cancelled": cancelled,
        "rows": _with_intervals(converter, result.rows),
        "known_rows": result.known_rows,
        "combined": [converter.unstructure(item) for item in result.combined],
        "retired": [converter.unstructure(item) for item in result.retired],
        "withdrawn": [converter.unstructure(item) for item in result.withdrawn],
        "class": result.entry_class,
        "waypoint": result.waypoint,
        **_not_at_waypoint(converter, result.waypoint, result.not_at_waypoint),
        **_out_of_order(result.waypoint, result.out_of_order),
    }


def event_data(event: Event) -> dict[str, Any]:
    """An event's fields as the log stores them, tagged with its type."""
    fields = CODEC.unstructure(event)
    fields.pop("type")
    return {"type": tag_of(event), **fields}


def _record(record: Record) -> dict[str, Any]:
    data = event_data(record.event)
    return {"seq": record.seq, "type": data.pop("type"), "recorded_at": record.recorded_at, **data}


def _what_if(converter: cattrs.Converter, whatif: WhatIf) -> dict[str, Any]:
    data = _standings(converter, whatif.hypothetical)
    for row_data, row in zip(data["rows"], whatif.rows, strict=True):
        row_data["actual_position"] = row.actual_position
        row_data["actual_position_certain"] = row.actual_position_certain
        row_data["position_change"] = row.position_change
        row_data["actual_time_ms"] = row.actual_time_ms
        row_data["gap_change_ms"] = row.gap_change_ms
        row_data["time_change_ms"] = (
            None if row.actual_time_ms is None else row.row.time_ms - row.actual_time_ms
        )
    data["hypothetical"] = [
        {**event_data(event), "label": text}
        for event, text in zip(whatif.events, labels(whatif), strict=True)
    ]
    data["leader_changed"] = whatif.leader_changed
    data["headline"] = headline(whatif)
    return data


def _penalty(listing: PenaltyListing) -> dict[str, Any]:
    event = listing.state.event
    return {
        "id": event.adjustment_id,
        "kind": event.component,
        "category": listing.category,
        "number": listing.number,
        "crew": _names(listing.crew),
        "stage": event.stage,
        "amount_ms": event.delta_ms,
        "amount": format_signed(event.delta_ms),
        "gc_only": not event.in_stage,
        "reason": event.reason,
        "seq": listing.state.seq,
        "rescinded": not listing.state.in_force,
        "rescinded_seq": listing.state.rescinded_seq,
        "rescinded_reason": listing.state.rescinded_reason,
        "provenance": _provenance(event.provenance),
    }


def _history_entry(converter: cattrs.Converter, item: HistoryEntry) -> dict[str, Any]:
    leader = item.standings.leader
    return {
        "seq": item.record.seq,
        "type": item.record.type,
        "changes": [converter.unstructure(change) for change in item.changes],
        "leader": None
        if leader is None
        else {"number": leader.number, "crew": _names(leader.crew), "time_ms": leader.time_ms},
    }


def _explanation(converter: cattrs.Converter, explanation: views.Explanation) -> dict[str, Any]:
    standings, row = explanation.standings, explanation.row
    components = []
    for part in row.components:
        data = converter.unstructure(part)
        data["source"] = source_text(part.provenance, standings.rally)
        components.append(data)
    return {
        "rally": standings.rally,
        "category": standings.category,
        "after_stage": standings.after_stage,
        "as_of": standings.as_of,
        "number": row.number,
        "crew": _names(row.crew),
        "classified": True,
        "position": row.position,
        "position_certain": row.position_certain,
        "time_ms": row.time_ms,
        "time": format_time(row.time_ms),
        "components": components,
    }


def _unclassified_explanation(
    converter: cattrs.Converter, view: views.UnclassifiedExplanation
) -> dict[str, Any]:
    standings, item = view.standings, view.item
    last, row = view.last_classified, view.last_row
    return {
        "rally": standings.rally,
        "category": standings.category,
        "after_stage": standings.after_stage,
        "as_of": standings.as_of,
        "number": item.number,
        "crew": _names(item.crew),
        "classified": False,
        "status": item.status,
        "reason": item.reason,
        "last_classified": None
        if last is None or row is None
        else {"after_stage": last.after_stage, **converter.unstructure(row)},
        "stage_times": [
            {"stage": stage, **converter.unstructure(stage_row)}
            for stage, stage_row in view.stage_times
        ],
        "combined_times": [
            {"first_stage": span.first_stage, "stage": span.stage, "time_ms": span.time_ms}
            for span in view.combined
        ],
    }


def _rebased(
    data: dict[str, Any], reference: Reference | None, times: dict[str, int], rows: list[str]
) -> dict[str, Any]:
    """``data`` with ``relative_to`` and each row's ``gap_to_reference_ms`` (``rows``: ids)."""
    if reference is None:
        return data
    reference_ms = times.get(reference.entry_id)
    data["relative_to"] = {
        "number": reference.number,
        "crew": _names(reference.crew),
        "time_ms": reference_ms,
    }
    for row_data, entry_id in zip(data["rows"], rows, strict=True):
        row_data["gap_to_reference_ms"] = to_reference(times[entry_id], reference_ms)
    return data


def _classification(
    converter: cattrs.Converter, standings: Standings, reference: Reference | None
) -> dict[str, Any]:
    data = _standings(converter, standings)
    times = {row.entry_id: row.time_ms for row in standings.rows}
    return _rebased(data, reference, times, [row.entry_id for row in standings.rows])


def _stage_ranking(converter: cattrs.Converter, view: views.StageRanking) -> dict[str, Any]:
    data = _stage_result(converter, view.result)
    times = {row.entry_id: row.time_ms for row in view.result.rows}
    return _rebased(data, view.reference, times, [row.entry_id for row in view.result.rows])


def _hypothetical(converter: cattrs.Converter, view: views.Hypothetical) -> dict[str, Any]:
    data = _what_if(converter, view.whatif)
    rows = view.whatif.hypothetical.rows
    times = {row.entry_id: row.time_ms for row in rows}
    return _rebased(data, view.reference, times, [row.entry_id for row in rows])


def stage_state(view: engine.View, category: str, number: int) -> dict[str, Any]:
    """One stage of a category in ``/api/rally``: its kind, state, results and waypoints."""
    scheduled = view.stage(number)
    assert scheduled is not None
    kind = scheduled.kind_for(category)
    results = len(view.results_ending(category, number))
    waypoints = list(view.waypoints(number, category))
    if view.is_cancelled(number, category):
        state = "cancelled"
    elif results:
        state = "results"
    elif waypoints:
        state = "running"
    else:
        state = "liaison" if kind is StageKind.LIAISON else "scheduled"
    return {
        "stage": number,
        "kind": str(kind),
        "state": state,
        "results": results,
        "waypoints": waypoints,
        "date": scheduled.date,
        "start": scheduled.start,
        "finish": scheduled.finish,
        "distance_km": scheduled.distance_km,
    }


def _current(
    rally: engine.Rally, category: str, stages: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """What a results page shows first: the GC at the latest waypoint of a stage being run
    after the last one with results, else the GC after the last stage with results."""
    try:
        last: int | None = rally.default_stage(category)
    except QueryError:
        last = None
    running = [
        s
        for s in stages
        if s["state"] == "running"
        and s["kind"] == "special"
        and (last is None or s["stage"] > last)
    ]
    if running:
        return {"after": running[-1]["stage"], "waypoint": running[-1]["waypoints"][-1]}
    return None if last is None else {"after": last, "waypoint": None}


def _rally_overview(overview: views.RallyOverview) -> dict[str, Any]:
    rally = overview.rally
    view = rally.view
    categories = []
    for category in rally.categories:
        stages = [stage_state(view, category, number) for number in view.stage_numbers()]
        categories.append(
            {
                "category": category,
                "entries": len(view.entries(category)),
                "classes": list(view.classes(category)),
                "current": _current(rally, category, stages),
                "stages": stages,
            }
        )
    declaration = rally.declaration
    return {
        "rally": declaration.name,
        "rally_id": declaration.rally_id,
        "year": declaration.year,
        "last_seq": rally.last_seq,
        "categories": categories,
    }


def _make_converter() -> cattrs.Converter:
    import cattrs  # on first use: the plain tables do without it

    converter = cattrs.Converter()
    converter.register_unstructure_hook(Provenance, _provenance)
    converter.register_unstructure_hook(Row, _row_data)
    converter.register_unstructure_hook(
        StageRow, lambda row: _row_data(row) | {"penalty_ms": row.penalty_ms}
    )
    converter.register_unstructure_hook(Unclassified, lambda u: _unclassified(converter, u))
    _shaped(
        converter,
        CombinedResult,
        omit=("entry_id", "make"),
        extra=lambda c: {"time": format_time(c.time_ms)},
    )
    _shaped(converter, Change, omit=("entry_id",), extra=lambda c: {"text": change_text(c)})
    converter.register_unstructure_hook(Component, _component)
    converter.register_unstructure_hook(Standings, lambda s: _standings(converter, s))
    converter.register_unstructure_hook(StageResult, lambda r: _stage_result(converter, r))
    converter.register_unstructure_hook(WhatIf, lambda w: _what_if(converter, w))
    converter.register_unstructure_hook(PenaltyListing, _penalty)
    converter.register_unstructure_hook(HistoryEntry, lambda h: _history_entry(converter, h))
    converter.register_unstructure_hook(Record, _record)
    converter.register_unstructure_hook(views.RallyOverview, _rally_overview)
    converter.register_unstructure_hook(views.Explanation, lambda e: _explanation(converter, e))
    converter.register_unstructure_hook(
        views.UnclassifiedExplanation, lambda e: _unclassified_explanation(converter, e)
    )
    converter.register_unstructure_hook(
        views.Classification, lambda c: _classification(converter, c.standings, c.reference)
    )
    converter.register_unstructure_hook(views.StageRanking, lambda v: _stage_ranking(converter, v))
    converter.register_unstructure_hook(views.Hypothetical, lambda v: _hypothetical(converter, v))
    converter.register_unstructure_hook(
        views.Replay, lambda r: [_classification(converter, s, r.reference) for s in r.snapshots]
    )
    converter.register_unstructure_hook(
        views.PenaltyList, lambda p: [converter.unstructure(item) for item in p.listings]
    )
    converter.register_unstructure_hook(
        views.StandingsHistory, lambda h: [converter.unstructure(item) for item in h.entries]
    )
    converter.register_unstructure_hook(
        StageComparison, lambda c: {"stage": c.stage, **_what_if(converter, c.comparison)}
    )
    converter.register_unstructure_hook(
        views.LeaderComparison, lambda c: [converter.unstructure(item) for item in c.comparisons]
    )
    return converter


@functools.cache
def converter() -> cattrs.Converter:
    """The one converter of every output shape (built on first use)."""
    return _make_converter()


def to_data(result: object) -> Any:
    """A result as plain data (dicts, lists, strings, integers): its JSON shape."""
    return converter().unstructure(result)


def json_text(result: object) -> str:
    """A result as stable JSON (UTF-8 text, not ASCII-escaped), laid out by ``json_layout``."""
    return "".join(json_chunks(result))


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
"""The C encoder (used only without ``indent``): a record's line costs one call."""


def json_layout(value: Any, indent: str = "") -> str:
    """JSON laid out for reading and for line tools: an object's keys one per line, and
    each record (an object in a list) on one line of its own.

    ``json.dumps(indent=2)`` would put every field of every row on a line and
    run in pure Python: a replay of 5000 entries over 200 stages then takes
    minutes to write. This layout stays readable and is written by the C
    encoder a record at a time; ``json.loads`` reads the same data back.
    """
    inner = indent + "  "
    if isinstance(value, dict) and value:
        fields = ",\n".join(f"{inner}{_ENCODE(k)}: {_laid_out(v, inner)}" for k, v in value.items())
        return f"{{\n{fields}\n{indent}}}"
    if isinstance(value, list) and value and isinstance(value[0], dict | list):
        items = ",\n".join(inner + json_layout(item, inner) for item in value)
        return f"[\n{items}\n{indent}]"
    return _ENCODE(value)


def _records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _laid_out(value: Any, indent: str) -> str:
    """A field's value: a list of records one per line, an object holding such a list laid
    out in turn, anything else on the field's line."""
    if _records(value):
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + _ENCODE(item) for item in value) + f"\n{indent}]"
    if isinstance(value, dict) and any(_records(item) for item in value.values()):
        return json_layout(value, indent)
    return _ENCODE(value)


def json_chunks(result: object) -> Iterator[str]:
    """A result as JSON, in pieces: a replay snapshot by snapshot, an event log line by line.

    The pieces join to exactly ``json_layout(to_data(result))`` (and a newline);
    a long replay is never held in memory whole.
    """
    if isinstance(result, views.EventLog):
        for record in result.records:
            yield _json_line(record)
        return
    if isinstance(result, views.Replay) and result.reference is None:
        if not result.snapshots:
            yield "[]\n"
            return
        yield "["
        for index, snapshot in enumerate(result.snapshots):
            yield ("," if index else "") + "\n  " + json_layout(to_data(snapshot), "  ")
        yield "\n]\n"
        return
    yield json_layout(to_data(result)) + "\n"


def _json_line(record: Record) -> str:
    return json.dumps(to_data(record), ensure_ascii=False, separators=(",", ":")) + "\n"


# ---------------------------------------------------------------------- CSV

_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_FREE_TEXT = frozenset({"number", "crew", "make", "reason", "class"})
"""Columns that hold text a person typed (the others are the engine's numbers and times)."""

_RANKED = ["position", "position_certain", "number", "crew", "make", "time", "gap", "time_ms"]
_STANDINGS_COLUMNS = ["after_stage", *_RANKED, "gap_ms", "reason"]
_STAGE_COLUMNS = ["stage", *_RANKED, "gap_ms", "penalty_ms"]
_WHATIF_COLUMNS = [
    "after_stage",
    *_RANKED,
    "gap_ms",
    "actual_position",
    "position_change",
    "gap_change_ms",
]


def _cell(value: Any) -> str:
    """One CSV cell: crews joined with slashes, booleans lowercase, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return " / ".join(map(str, value))
    return str(value)


def _unwrapped(result: object) -> object:
    """A view's engine result, for the CSV shapes that do not depend on the view."""
    if isinstance(result, views.Classification):
        return result.standings
    if isinstance(result, views.StageRanking):
        return result.result
    if isinstance(result, views.Hypothetical):
        return result.whatif
    return result


def _rows(result: object) -> Iterator[dict[str, Any]]:
    """The data of every CSV row of a result."""
    if isinstance(result, Standings | views.Replay | views.Classification):
        if isinstance(result, views.Replay) and result.reference is None:
            snapshots: Iterable[dict[str, Any]] = map(to_data, result.snapshots)
        else:
            data = to_data(result)
            snapshots = data if isinstance(data, list) else [data]
        for snapshot in snapshots:
            after = {"after_stage": snapshot["after_stage"]}
            for row in snapshot["rows"]:
                yield after | row
            for item in snapshot["unclassified"]:
                yield after | item
    elif isinstance(result, StageResult | views.StageRanking):
        data = to_data(result)
        for row in data["rows"]:
            yield {"stage": data["stage"], **row}
    elif isinstance(result, WhatIf | views.Hypothetical | views.LeaderComparison):
        if isinstance(result, views.LeaderComparison):
            shapes = [to_data(item.comparison) for item in result.comparisons]
        else:
            shapes = [to_data(result)]
        for data in shapes:
            for row in data["rows"]:
                yield {"after_stage": data["after_stage"], **row}
    else:
        raise TypeError(f"no CSV shape for {type(result).__name__}")


def _classed(result: object) -> bool:
    """Whether a result's crews carry classes (and no one class is chosen): its CSV then ends
    with their class and class position."""
    inner = _unwrapped(result)
    if isinstance(inner, views.Replay):
        if not inner.snapshots:
            return False
        inner = inner.snapshots[0]
    if isinstance(inner, WhatIf):
        inner = inner.hypothetical
    if isinstance(inner, views.LeaderComparison):
        if not inner.comparisons:
            return False
        inner = inner.comparisons[0].comparison.hypothetical
    if isinstance(inner, Standings):
        items: list[Row | StageRow | Unclassified] = [*inner.rows, *inner.unclassified]
        chosen = inner.entry_class
    elif isinstance(inner, StageResult):
        items = [*inner.rows, *inner.retired]
        chosen = inner.entry_class
    else:
        return False
    return chosen is None and any(item.entry_class is not None for item in items)


def _columns_of(result: object) -> list[str]:
    reference = getattr(result, "reference", None)
    inner = _unwrapped(result)
    if isinstance(inner, Standings | views.Replay):
        columns = _STANDINGS_COLUMNS
    elif isinstance(inner, StageResult):
        columns = _STAGE_COLUMNS
    else:
        columns = _WHATIF_COLUMNS
    columns = [*columns, "class", "class_position"] if _classed(result) else columns
    return [*columns, "gap_to_reference_ms"] if reference is not None else columns


def csv_text(result: object) -> str:
    """A result's rows as CSV, one header line first.

    A free-text cell (number, crew, make, reason) that begins with ``=``, ``+``,
    ``-`` or ``@`` (or a tab or carriage return) is prefixed with ``'``, as
    spreadsheet programs expect, so that a crew name such as ``=HYPERLINK(…)`` is
    shown as text and never run as a formula. Times and gaps are the engine's
    own (``+0:05:00``) and are written as they are.
    """
    return "".join(csv_chunks(result))


def csv_chunks(result: object) -> Iterator[str]:
    """A result's CSV (see ``csv_text``), one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = _columns_of(result)
    writer.writerow(columns)
    for data in _rows(result):
        writer.writerow([_safe(_cell(data.get(column)), column) for column in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _safe(text: str, column: str) -> str:
    if column in _FREE_TEXT and text.startswith(_SPREADSHEET_TRIGGERS):
        return "'" + text
    return text
