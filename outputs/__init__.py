"""Presentation: every result as a plain table, JSON or CSV, and the words they share.

``render(result, format)`` is the one way a result becomes text; ``to_data``
gives its JSON shape as plain data. This module's names are cheap to import
(no rich, no matplotlib): the rich terminal tables are in
``rally_standings.outputs.terminal``, the progress bars in
``rally_standings.outputs.progress`` and the HTML report in
``rally_standings.outputs.report``; import them where they are drawn.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .._lazy import on_first_use
from ..engine import register_html
from ._text import (
    INTERVAL_WORDS,
    MOVE_ORDER,
    MOVE_WORDS,
    Move,
    Reference,
    crew_text,
    describe,
    display_width,
    driver,
    event_line,
    find_crew,
    gap_text,
    group_heading,
    legend_parts,
    move,
    move_by,
    move_legend,
    pad,
    partial_note,
    prints_text,
    table,
    title,
    who,
)

if TYPE_CHECKING:  # imported on first use (``__getattr__`` below)
    from ._data import (
        converter,
        csv_chunks,
        csv_text,
        event_data,
        json_chunks,
        json_text,
        to_data,
    )
    from ._export import (
        EXPORT_TABLES,
        ExportColumn,
        export_csv,
        export_parquet,
        export_rows,
    )
    from ._tables import plain
    from ._views import (
        Classification,
        EventLog,
        Explanation,
        Hypothetical,
        LeaderComparison,
        PenaltyList,
        RallyOverview,
        Replay,
        StageRanking,
        StandingsHistory,
        UnclassifiedExplanation,
    )
    from ._whatif import change_text, headline, hypotheses, labels, naming_hypotheses, note

_ON_FIRST_USE = (
    "._views",
    "._data",
    "._export",
    "._tables",
    "._whatif",
)
"""Modules imported when one of their public names is first asked for: a command that
prints one event line (``record``) does not pay for the views, tables and JSON at start-up."""


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all attribute
    __getattr__ = on_first_use(globals(), _ON_FIRST_USE)


FORMATS = ("table", "json", "csv", "text", "jsonl")
"""What ``render`` writes: plain tables (``text`` for the event log), JSON (``jsonl``: one
object per line, for the event log) and CSV."""


def render(result: object, format: str) -> str:
    """``result`` as text in ``format`` (one of ``FORMATS``)."""
    return "".join(render_chunks(result, format))


def render_chunks(result: object, format: str) -> Iterator[str]:
    """``result`` as text in ``format``, in pieces (a long replay is written as it is made)."""
    from ._data import csv_chunks, json_chunks
    from ._tables import plain
    from ._views import EventLog

    if format in ("table", "text"):
        if isinstance(result, EventLog):
            return map(event_line, result.records)
        return iter((plain(result),))
    if format in ("json", "jsonl"):
        return json_chunks(result)
    if format == "csv":
        return csv_chunks(result)
    raise ValueError(f"unknown format {format!r}: expected one of {', '.join(FORMATS)}")


def _notebook(answer: object) -> str:
    """An engine answer's HTML in a notebook (``_notebook.draw``, imported when first asked)."""
    from ._notebook import draw

    return draw(answer)


for _kind in ("Standings", "StageResult", "WhatIf"):  # by name: none of them is imported
    register_html(_kind, _notebook)

__all__ = [
    "EXPORT_TABLES",
    "FORMATS",
    "INTERVAL_WORDS",
    "MOVE_ORDER",
    "MOVE_WORDS",
    "Classification",
    "EventLog",
    "Explanation",
    "ExportColumn",
    "Hypothetical",
    "LeaderComparison",
    "Move",
    "PenaltyList",
    "RallyOverview",
    "Reference",
    "Replay",
    "StageRanking",
    "StandingsHistory",
    "UnclassifiedExplanation",
    "change_text",
    "converter",
    "crew_text",
    "csv_chunks",
    "csv_text",
    "describe",
    "display_width",
    "driver",
    "event_data",
    "event_line",
    "export_csv",
    "export_parquet",
    "export_rows",
    "find_crew",
    "gap_text",
    "group_heading",
    "headline",
    "hypotheses",
    "json_chunks",
    "json_text",
    "labels",
    "legend_parts",
    "move",
    "move_by",
    "move_legend",
    "naming_hypotheses",
    "note",
    "pad",
    "partial_note",
    "plain",
    "prints_text",
    "render",
    "render_chunks",
    "table",
    "title",
    "to_data",
    "who",
]
