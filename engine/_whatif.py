"""Counterfactuals: hypothetical events over a log, and the standings they would give.

A what-if never touches the log. Its events are checked by the same fold rules as
real appends and applied to the rally's state as of its record, copied, as if they had
been appended after it (``overlay``). The fold says from which stage each event can
change the GC; the actual standings come from the rally's own cache, and hypothetical
ones are summed only up to the stage asked for (with ``what_if_all_stages``: from the
first stage touched). The words for it (the hypothesis, the headline) and the syntax of
the command line's hypotheses are the outputs' (``outputs/_whatif.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import attrs

from ..events import (
    ADJUSTMENT_TYPES,
    Event,
    Provenance,
    QueryError,
    Record,
    RuleViolationError,
    SourceKind,
)
from ._display import HtmlDisplay
from ._rally import Rally
from ._standings import Ranking, Row, Standings, gc_stages
from ._view import View

__all__ = [
    "HYPOTHETICAL",
    "StageComparison",
    "WhatIf",
    "WhatIfRow",
    "free_penalty_id",
    "overlay",
    "what_if",
    "what_if_all_stages",
]

HYPOTHETICAL = Provenance(SourceKind.HYPOTHETICAL, "what-if question")
"""Where every hypothetical event says it comes from."""


def free_penalty_id(view: View, events: Sequence[Event] = ()) -> str:
    """A penalty id the log (and the hypothetical ``events`` before it) does not hold."""
    taken = {event.adjustment_id for event in events if isinstance(event, ADJUSTMENT_TYPES)}
    number = 1
    while f"hypothetical-{number}" in taken or view.penalty(f"hypothetical-{number}"):
        number += 1
    return f"hypothetical-{number}"


@attrs.frozen
class _Overlay:
    rally: Rally
    first: int | None
    """The first stage whose GC the hypothetical events can change (None: none)."""
    last: int | None
    """The last stage the events fall on."""


def _overlay(rally: Rally, category: str, events: Sequence[Event]) -> _Overlay:
    fold = rally.fold_of_hypotheses()
    appended = []
    touched: list[int] = []
    for index, event in enumerate(events):
        record = Record(seq=fold.last_seq + 1, event=event)
        try:
            effect = fold.apply(record)
        except RuleViolationError as error:  # an event the log would refuse: say which
            raise error.at(index) from None
        appended.append(record)
        if effect is not None and category in effect.categories:
            touched.append(effect.stage if effect.stage is not None else -1)
    imagined = rally.with_appended(appended, fold, source=f"{rally.source} with hypotheses")
    first = min(touched, default=None)
    return _Overlay(
        imagined,
        None if first is None else max(first, min(rally.stages(), default=0)),
        max(touched, default=None),
    )


def overlay(rally: Rally, events: Sequence[Event]) -> Rally:
    """The rally with ``events`` appended in memory, each checked like a real append."""
    return _overlay(rally, rally.categories[0], events).rally


@attrs.frozen
class WhatIfRow:
    """A hypothetical row beside the entry's actual row (None: not classified in reality)."""

    row: Row
    actual: Row | None

    @property
    def actual_position(self) -> int | None:
        return None if self.actual is None else self.actual.position

    @property
    def actual_time_ms(self) -> int | None:
        return None if self.actual is None else self.actual.time_ms

    @property
    def actual_gap_ms(self) -> int | None:
        return None if self.actual is None else self.actual.gap_ms

    @property
    def actual_position_certain(self) -> bool:
        """Whether the data vouch for the actual position (else it is N-th or lower)."""
        return self.actual is None or self.actual.position_certain

    @property
    def actual_position_text(self) -> str:
        """The actual position as tables show it (``≥4`` where only a lower bound), "" when
        the entry is not classified in reality."""
        return "" if self.actual is None else self.actual.position_text

    @property
    def move_known(self) -> bool:
        """Whether both places are vouched for, so that the move between them is known."""
        return self.actual_position_certain and self.row.position_certain

    @property
    def position_change(self) -> int:
        """Places gained (positive) or lost (negative); 0 if not classified in reality."""
        return 0 if self.actual_position is None else self.actual_position - self.row.position

    @property
    def gap_change_ms(self) -> int | None:
        """How much the gap to the leader grew (positive) or shrank."""
        if self.actual_time_ms is None:
            return None
        return (self.row.gap_ms or 0) - (self.actual_gap_ms or 0)


@attrs.frozen
class WhatIf(HtmlDisplay):
    """The standings after a stage with and without the hypothetical events."""

    actual: Standings
    hypothetical: Standings
    events: tuple[Event, ...]
    touched: int | None = None
    """The first stage whose GC the hypothesis can change (None: none of this category's)."""

    @functools.cached_property
    def rows(self) -> tuple[WhatIfRow, ...]:
        """Each hypothetical row beside the entry's actual standing (built when first asked:
        ``--all-stages`` reads only who leads after each stage)."""
        real = {row.entry_id: row for row in self.actual.rows}
        return tuple(WhatIfRow(row, real.get(row.entry_id)) for row in self.hypothetical.rows)

    @property
    def unchanged(self) -> bool:
        """Whether the hypothesis cannot change these standings: it falls on no stage that
        counts for the category, or after the stage shown."""
        return self.touched is None or self.touched > self.hypothetical.after_stage

    def before(self, index: int) -> View:
        """The rally as it stood when hypothetical event ``index`` (from 0) was applied."""
        view = self.hypothetical.view
        return view.at(view.seq - len(self.events) + index)

    def of_class(self, entry_class: str | None) -> WhatIf:
        """The same comparison within one class: positions 1…n of the class, on both sides."""
        if entry_class is None:
            return self
        return WhatIf(
            self.actual.of_class(entry_class),
            self.hypothetical.of_class(entry_class),
            self.events,
            self.touched,
        )

    @property
    def leader_changed(self) -> bool:
        """Whether someone else leads (or the lead is shared differently) in the hypothesis."""
        real = [row.entry_id for row in self.actual.leaders()]
        imagined = [row.entry_id for row in self.hypothetical.leaders()]
        return real != imagined


def what_if(
    rally: Rally,
    category: str,
    events: Sequence[Event],
    *,
    after: int | None = None,
    as_of: int | None = None,
) -> WhatIf:
    """The GC after stage ``after`` with the hypothetical events, beside the actual one.

    Without ``after``: the last stage with results, or, when the hypothesis falls after
    it, the last stage the hypothesis falls on.
    """
    base = rally.as_of(as_of)
    imagined = _overlay(base, category, events)
    stage = after
    if stage is None:
        stage = base.default_stage(category)
        if imagined.last is not None and imagined.last > stage:
            later = [s for s in gc_stages(imagined.rally.view, category) if s <= imagined.last]
            stage = max(later, default=stage)
    hypothetical = imagined.rally.standings(category, stage)
    try:
        actual = base.standings(category, stage)
    except QueryError:
        actual = Standings(base.view, category, stage, [], 0, Ranking.of(base.view, category))
    if as_of is not None:
        actual, hypothetical = actual.with_as_of(as_of), hypothetical.with_as_of(as_of)
    return WhatIf(actual, hypothetical.vouched_as(actual), tuple(events), imagined.first)


@attrs.frozen
class StageComparison:
    """Who leads after one stage, in reality and in the hypothesis."""

    stage: int
    comparison: WhatIf


def what_if_all_stages(
    rally: Rally, category: str, events: Sequence[Event], *, as_of: int | None = None
) -> tuple[StageComparison, ...]:
    """The comparison after every stage from the first one the hypothesis touches.

    The actual standings are the rally's own (computed once and kept); the hypothetical
    ones are sorted only from the first stage touched.
    """
    base = rally.as_of(as_of)
    imagined = _overlay(base, category, events)
    if imagined.first is None:
        return ()
    last = max(base.default_stage(category), imagined.rally.default_stage(category))
    real = {s.after_stage: s for s in base.replay(category)}
    out = []
    for stage in gc_stages(imagined.rally.view, category):
        if stage < imagined.first or stage > last or stage not in real:
            continue
        actual = real[stage]
        hypothetical = imagined.rally.standings(category, stage).vouched_as(actual)
        if as_of is not None:
            actual, hypothetical = actual.with_as_of(as_of), hypothetical.with_as_of(as_of)
        comparison = WhatIf(actual, hypothetical, tuple(events), imagined.first)
        out.append(StageComparison(stage, comparison))
    return tuple(out)
