"""The standings engine: fold a rally log into the general classification.

Open a log (``load``), ask it questions (``Rally.standings``, ``Rally.replay``,
``Rally.stage_result``, with ``as_of`` for the standings as known at a given log
sequence), record events (``create_log``, ``Recorder``), ask counterfactuals
(``what_if``, ``what_if_all_stages``) and trace changes
(``penalties``, ``history``). The event vocabulary lives in ``rally_standings.events``.
"""

from typing import TYPE_CHECKING

from .._lazy import on_first_use
from . import _rules  # noqa: F401 (registers the fold's handlers)
from ._checkpoint import checkpoint_path, write_checkpoint
from ._display import HtmlDisplay, register_html
from ._fold import (
    CancellationState,
    Correction,
    Effect,
    Fold,
    PenaltyState,
    ResultState,
    RetirementState,
    SplitState,
    Withdrawal,
)
from ._names import fold_name, name_key, name_matches, number_key, spelled
from ._rally import (
    CHECKPOINT_LAG,
    Rally,
    Recorder,
    create_log,
    load,
    now_iso,
)
from ._slips import (
    PLAUSIBLE_FIELD,
    PLAUSIBLE_RATIO,
    Implausible,
    OutOfOrder,
    implausible_times,
    out_of_order,
    plausible_range,
)
from ._stage import CombinedResult, StageResult, StageRow
from ._standings import Row, Standings, Unclassified, gc_stages, require_class, require_stage
from ._state import FoldState
from ._times import COMPONENT_KINDS, Component, ComponentKind
from ._view import View

if TYPE_CHECKING:  # imported on first use (``__getattr__`` below)
    from ._checkpoint import CheckpointCheck
    from ._history import Change, HistoryEntry, PenaltyListing, history, penalties
    from ._repair import CheckReport, RepairReport, check_log, repair_log
    from ._whatif import (
        HYPOTHETICAL,
        StageComparison,
        WhatIf,
        WhatIfRow,
        free_penalty_id,
        overlay,
        what_if,
        what_if_all_stages,
    )

_ON_FIRST_USE = ("._whatif", "._history", "._repair", "._checkpoint")
"""Modules imported when one of their public names (``__all__``) is first asked for:
recording an event or showing the standings does not pay for the what-if and repair code
at start-up."""


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all attribute
    __getattr__ = on_first_use(globals(), _ON_FIRST_USE)


__all__ = [
    "CHECKPOINT_LAG",
    "COMPONENT_KINDS",
    "HYPOTHETICAL",
    "PLAUSIBLE_FIELD",
    "PLAUSIBLE_RATIO",
    "CancellationState",
    "Change",
    "CheckReport",
    "CheckpointCheck",
    "CombinedResult",
    "Component",
    "ComponentKind",
    "Correction",
    "Effect",
    "Fold",
    "FoldState",
    "HistoryEntry",
    "HtmlDisplay",
    "Implausible",
    "OutOfOrder",
    "PenaltyListing",
    "PenaltyState",
    "Rally",
    "Recorder",
    "RepairReport",
    "ResultState",
    "RetirementState",
    "Row",
    "SplitState",
    "StageComparison",
    "StageResult",
    "StageRow",
    "Standings",
    "Unclassified",
    "View",
    "WhatIf",
    "WhatIfRow",
    "Withdrawal",
    "check_log",
    "checkpoint_path",
    "create_log",
    "fold_name",
    "free_penalty_id",
    "gc_stages",
    "history",
    "implausible_times",
    "load",
    "name_key",
    "name_matches",
    "now_iso",
    "number_key",
    "out_of_order",
    "overlay",
    "penalties",
    "plausible_range",
    "register_html",
    "repair_log",
    "require_class",
    "require_stage",
    "spelled",
    "what_if",
    "what_if_all_stages",
    "write_checkpoint",
]
