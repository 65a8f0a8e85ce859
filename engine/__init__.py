"""The standings engine: fold a rally log into the general classification.

The public Python API lives here, in one place: open a log (``load``), ask it
questions (``Rally.standings``, ``Rally.replay``, ``Rally.stage_result``, with
``as_of`` for the standings as known at a given log sequence), record events
(``create_log``, ``Recorder``), ask counterfactuals (``hypotheses``,
``what_if``, ``what_if_all_stages``) and trace changes (``penalties``,
``history``). The event vocabulary is re-exported
from ``events``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine._fold import Fold, FoldState
    from engine._rally import Rally, Recorder, create_log, load
    from engine._standings import (
        CombinedResult,
        Component,
        Row,
        StageResult,
        StageRow,
        Standings,
        Unclassified,
    )
    from engine._whatif import (
        Change,
        HistoryEntry,
        PenaltyListing,
        StageComparison,
        WhatIf,
        WhatIfRow,
        history,
        hypotheses,
        overlay,
        penalties,
        what_if,
        what_if_all_stages,
    )
    from events import (
        EntryRegistered,
        EntryRetired,
        Event,
        FieldCoverageDeclared,
        InvalidEventError,
        LogCorruptError,
        LogLockedError,
        LogNotFoundError,
        PenaltyImposed,
        PenaltyRescinded,
        Person,
        Provenance,
        QueryError,
        RallyDeclared,
        RallyError,
        Record,
        ResultCorrected,
        RuleViolationError,
        SchemaError,
        SourceKind,
        StageCancelled,
        StageKind,
        StageResultRecorded,
        StageRule,
        StageScheduled,
        TimeFormatError,
        WaypointRecorded,
        format_gap,
        format_time,
        parse_duration,
        parse_time,
    )

# name -> module: imported on first use, so a command pays only for what it uses
_WHERE = {
    "Change": "engine._whatif",
    "CombinedResult": "engine._standings",
    "Component": "engine._standings",
    "EntryRegistered": "events",
    "EntryRetired": "events",
    "Event": "events",
    "FieldCoverageDeclared": "events",
    "Fold": "engine._fold",
    "FoldState": "engine._fold",
    "HistoryEntry": "engine._whatif",
    "InvalidEventError": "events",
    "LogCorruptError": "events",
    "LogLockedError": "events",
    "LogNotFoundError": "events",
    "PenaltyImposed": "events",
    "PenaltyListing": "engine._whatif",
    "PenaltyRescinded": "events",
    "Person": "events",
    "Provenance": "events",
    "QueryError": "events",
    "Rally": "engine._rally",
    "RallyDeclared": "events",
    "RallyError": "events",
    "Record": "events",
    "Recorder": "engine._rally",
    "ResultCorrected": "events",
    "Row": "engine._standings",
    "RuleViolationError": "events",
    "SchemaError": "events",
    "SourceKind": "events",
    "StageCancelled": "events",
    "StageComparison": "engine._whatif",
    "StageKind": "events",
    "StageResult": "engine._standings",
    "StageResultRecorded": "events",
    "StageRow": "engine._standings",
    "StageRule": "events",
    "StageScheduled": "events",
    "Standings": "engine._standings",
    "TimeFormatError": "events",
    "Unclassified": "engine._standings",
    "WaypointRecorded": "events",
    "WhatIf": "engine._whatif",
    "WhatIfRow": "engine._whatif",
    "create_log": "engine._rally",
    "format_gap": "events",
    "format_time": "events",
    "history": "engine._whatif",
    "hypotheses": "engine._whatif",
    "load": "engine._rally",
    "overlay": "engine._whatif",
    "parse_duration": "events",
    "parse_time": "events",
    "penalties": "engine._whatif",
    "what_if": "engine._whatif",
    "what_if_all_stages": "engine._whatif",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Change",
    "CombinedResult",
    "Component",
    "EntryRegistered",
    "EntryRetired",
    "Event",
    "FieldCoverageDeclared",
    "Fold",
    "FoldState",
    "HistoryEntry",
    "InvalidEventError",
    "LogCorruptError",
    "LogLockedError",
    "LogNotFoundError",
    "PenaltyImposed",
    "PenaltyListing",
    "PenaltyRescinded",
    "Person",
    "Provenance",
    "QueryError",
    "Rally",
    "RallyDeclared",
    "RallyError",
    "Record",
    "Recorder",
    "ResultCorrected",
    "Row",
    "RuleViolationError",
    "SchemaError",
    "SourceKind",
    "StageCancelled",
    "StageComparison",
    "StageKind",
    "StageResult",
    "StageResultRecorded",
    "StageRow",
    "StageRule",
    "StageScheduled",
    "Standings",
    "TimeFormatError",
    "Unclassified",
    "WaypointRecorded",
    "WhatIf",
    "WhatIfRow",
    "create_log",
    "format_gap",
    "format_time",
    "history",
    "hypotheses",
    "load",
    "overlay",
    "parse_duration",
    "parse_time",
    "penalties",
    "what_if",
    "what_if_all_stages",
]
