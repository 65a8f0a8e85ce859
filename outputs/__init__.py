"""Presentation: standings, stage rankings, what-ifs and events as text, JSON and CSV.

This module's names are cheap to import (no rich, no matplotlib). The rich
terminal tables are in ``rally_standings.outputs.terminal``, the progress bars
in ``rally_standings.outputs.progress`` and the HTML report in
``rally_standings.outputs.report``: import them where they are drawn.
"""

from rally_standings.outputs._render import (
    crew_text,
    describe,
    event_json,
    explanation_json,
    explanation_table,
    history_table,
    penalties_table,
    stage_csv,
    stage_table,
    standings_csv,
    standings_table,
    table,
    to_json,
    whatif_csv,
    whatif_stages_table,
    whatif_table,
)

__all__ = [
    "crew_text",
    "describe",
    "event_json",
    "explanation_json",
    "explanation_table",
    "history_table",
    "penalties_table",
    "stage_csv",
    "stage_table",
    "standings_csv",
    "standings_table",
    "table",
    "to_json",
    "whatif_csv",
    "whatif_stages_table",
    "whatif_table",
]
