"""Queries on a folded rally: the GC after a stage, a stage's ranking.

Rules (the README repeats them):

* Cumulative time = the results of every counted stage up to N, plus the
  penalties in force at stages up to N, plus the time awarded for stages
  cancelled up to N. Prologues and liaisons do not count; a cancelled stage
  counts only through its awarded time.
* An entry is classified after N only if a result covers every counted stage
  up to N (a combined time over stages a..b covers them once stage b is
  reached) and it has not retired at or before N.
* Ties share a position (1, 1, 3). Within a tie, rows are ordered by race
  number (numerically where it is a number), then by registration order.
* Coverage: where the log declares that it holds only the first *k* rows of a
  classification, positions beyond *k* are marked uncertain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Literal

import attrs

from rally_standings.engine._fold import Fold, ResultState
from rally_standings.events import (
    EntryRegistered,
    Person,
    Provenance,
    QueryError,
    StageKind,
)

__all__ = [
    "CombinedResult",
    "Component",
    "Row",
    "StageResult",
    "StageRow",
    "Standings",
    "Unclassified",
    "compute_stage_result",
    "compute_standings",
    "gc_stages",
    "last_stage_with_results",
    "replay_standings",
    "standings_after",
]

ComponentKind = Literal["result", "penalty", "awarded"]


@attrs.frozen
class Component:
    """One part of an entry's cumulative time, and where it comes from."""

    kind: ComponentKind
    stage: int
    time_ms: int
    seq: int
    note: str
    provenance: Provenance
    first_stage: int | None = None
    penalty_id: str | None = None
    recorded_ms: int | None = None
    """For a corrected result: the time first recorded."""


@attrs.frozen
class Row:
    """One classified entry."""

    position: int
    position_certain: bool
    entry_id: str
    number: str | None
    crew: tuple[Person, ...]
    make: str | None
    time_ms: int
    gap_ms: int | None
    explanation: Callable[[], tuple[Component, ...]] = attrs.field(
        default=tuple, eq=False, repr=False
    )
    """Builds the components on demand (most rows are never explained)."""

    @property
    def components(self) -> tuple[Component, ...]:
        """What the time is made of: results, penalties, awarded times, in stage order."""
        return self.explanation()

    @property
    def position_text(self) -> str:
        """``"3"``, or ``"≥4"`` where the data cannot vouch for the position."""
        return str(self.position) if self.position_certain else f"≥{self.position}"


Status = Literal["retired", "excluded", "no-result", "not-documented"]
"""Why an entry is not classified: out of the rally (``retired``, ``excluded``), or its
time is missing: ``no-result`` where the log holds the whole field, ``not-documented``
where the log's coverage says its source prints only part of the field."""


@attrs.frozen
class Unclassified:
    """An entry that is not classified, and why."""

    entry_id: str
    number: str | None
    crew: tuple[Person, ...]
    make: str | None
    reason: str
    status: Status = "no-result"


def _unclassified(entry: EntryRegistered, status: Status, reason: str) -> Unclassified:
    return Unclassified(
        entry_id=entry.entry_id,
        number=entry.number,
        crew=entry.crew,
        make=entry.make,
        reason=reason,
        status=status,
    )


@attrs.frozen
class Standings:
    """The general classification of one category after one stage."""

    rally_id: str
    rally: str
    category: str
    after_stage: int
    as_of: int | None
    rows: tuple[Row, ...]
    unclassified: tuple[Unclassified, ...]
    known_rows: int | None = None
    """How many leading rows the log vouches for (``None``: the whole field)."""

    @property
    def leader(self) -> Row | None:
        """The first row, if any entry is classified."""
        return self.rows[0] if self.rows else None

    def row_for(self, number_or_id: str) -> Row | None:
        """The row of an entry by race number or entry id, if classified."""
        for row in self.rows:
            if number_or_id in (row.number, row.entry_id):
                return row
        return None


@attrs.frozen
class StageRow:
    """One entry's time on one stage."""

    position: int
    position_certain: bool
    entry_id: str
    number: str | None
    crew: tuple[Person, ...]
    make: str | None
    time_ms: int
    gap_ms: int | None
    penalty_ms: int = 0
    """Stage penalties included in ``time_ms`` (GC-only penalties are not)."""

    @property
    def position_text(self) -> str:
        """``"3"``, or ``"≥4"`` where the data cannot vouch for the position."""
        return str(self.position) if self.position_certain else f"≥{self.position}"


@attrs.frozen
class CombinedResult:
    """A combined time over several stages that ends at the queried stage."""

    entry_id: str
    number: str | None
    crew: tuple[Person, ...]
    make: str | None
    first_stage: int
    stage: int
    time_ms: int


@attrs.frozen
class StageResult:
    """The ranking of one stage for one category."""

    rally_id: str
    rally: str
    category: str
    stage: int
    kind: StageKind
    as_of: int | None
    rows: tuple[StageRow, ...]
    combined: tuple[CombinedResult, ...] = ()
    cancelled_reason: str | None = None
    awarded_ms: int | None = None
    retired: tuple[Unclassified, ...] = ()


# ---------------------------------------------------------------------- helpers


def _number_key(entry: EntryRegistered) -> tuple[int, int, str]:
    if entry.number is None:
        return (2, 0, "")
    if entry.number.isdigit():
        return (0, int(entry.number), entry.number)
    return (1, 0, entry.number)


def _rank(times: Sequence[int], known: int | None) -> list[tuple[int, bool]]:
    """Competition ranking of times already sorted: (position, certain) per item."""
    ranked: list[tuple[int, bool]] = []
    for index, time_ms in enumerate(times):
        position = ranked[-1][0] if index and times[index - 1] == time_ms else index + 1
        ranked.append((position, known is None or position <= known))
    return ranked


def _known(fold: Fold, category: str, stage: int, field: Literal["stage", "gc"]) -> int | None:
    """The coverage in force at ``stage``: the latest declaration at or before it."""
    for declared_stage in sorted((s for (c, s) in fold.coverage if c == category), reverse=True):
        if declared_stage <= stage:
            declaration = fold.coverage[(category, declared_stage)]
            return declaration.stage_known if field == "stage" else declaration.gc_known
    return None


def _require_category(fold: Fold, category: str) -> None:
    if fold.rally is None:
        raise QueryError(
            "the log declares no rally yet",
            where="category query",
            expected="a rally-declared event",
            received="none",
        )
    if category not in fold.rally.categories:
        raise QueryError(
            "unknown category",
            where=fold.rally.rally_id,
            expected="one of " + ", ".join(fold.rally.categories),
            received=category,
        )


def _require_stage(fold: Fold, stage: int) -> None:
    if stage not in fold.stages:
        known = ", ".join(map(str, sorted(fold.stages))) or "none"
        raise QueryError(
            "unknown stage",
            where="stage query",
            expected=f"a scheduled stage ({known})",
            received=stage,
        )


def gc_stages(fold: Fold, category: str) -> list[int]:
    """The stages after which a GC exists: from the first that counts or awards time on."""
    stages = sorted(fold.stages)
    for index, stage in enumerate(stages):
        cancelled = fold.cancellations.get((stage, category))
        if fold.counts(stage, category) or (cancelled and cancelled.event.awarded_ms):
            return stages[index:]
    return []


def last_stage_with_results(fold: Fold, category: str) -> int | None:
    """The last stage holding a result or an awarded time for ``category``."""
    candidates = [
        r.stage for r in fold.results.values() if fold.entries[r.entry_id].category == category
    ]
    candidates += [
        stage
        for (stage, c), cancel in fold.cancellations.items()
        if c == category and cancel.event.awarded_ms
    ]
    return max(candidates, default=None)


def _entries(fold: Fold, category: str) -> list[EntryRegistered]:
    return [entry for entry in fold.entries.values() if entry.category == category]


def _result_component(result: ResultState, covering: dict[int, tuple[str, int]]) -> Component:
    span = f"stage {result.stage}"
    if result.is_span:
        span = f"stages {result.first_stage}-{result.stage} combined"
        key = (result.entry_id, result.stage)
        left_out = [
            str(stage)
            for stage in range(result.first_stage + 1, result.stage)
            if stage in covering and covering[stage] != key
        ]
        if left_out:
            span += f" (stage {', '.join(left_out)} timed apart)"
    if result.corrections:
        last = result.corrections[-1]
        return Component(
            kind="result",
            stage=result.stage,
            time_ms=result.time_ms,
            seq=last.seq,
            note=f"{span} result, corrected: {last.reason}",
            provenance=last.provenance,
            first_stage=result.first_stage if result.is_span else None,
            recorded_ms=result.recorded_ms,
        )
    return Component(
        kind="result",
        stage=result.stage,
        time_ms=result.time_ms,
        seq=result.seq,
        note=f"{span} result",
        provenance=result.provenance,
        first_stage=result.first_stage if result.is_span else None,
    )


# ---------------------------------------------------------------------- queries


def compute_standings(
    fold: Fold, category: str, after: int, *, as_of: int | None = None
) -> Standings:
    """The GC of ``category`` after stage ``after``: the reference definition.

    Written for clarity, stage by stage and entry by entry, with every
    explanation built. The fast paths (``replay_standings``,
    ``standings_after``) must give the same rows; the tests check they do.
    """
    _require_category(fold, category)
    _require_stage(fold, after)
    assert fold.rally is not None
    if after not in gc_stages(fold, category):
        raise QueryError(
            "no stage counts toward the general classification yet",
            where=f"{category}",
            expected="a stage at or after the first counted one",
            received=f"stage {after} ({fold.stages[after].kind_for(category)})",
        )
    counted = fold.counted_stages(category, min(fold.stages), after)
    awarded = [
        (stage, cancel)
        for (stage, c), cancel in sorted(fold.cancellations.items())
        if c == category and stage <= after and cancel.event.awarded_ms
    ]
    penalties: dict[str, list[Component]] = {}
    for penalty in fold.penalties.values():
        if penalty.in_force and penalty.event.stage <= after:
            event = penalty.event
            scope = "GC only" if event.gc_only else "stage and GC"
            penalties.setdefault(event.entry_id, []).append(
                Component(
                    kind="penalty",
                    stage=event.stage,
                    time_ms=event.amount_ms,
                    seq=penalty.seq,
                    note=f"penalty {event.penalty_id} ({scope}): {event.reason}",
                    provenance=event.provenance,
                    penalty_id=event.penalty_id,
                )
            )
    classified: list[tuple[int, tuple[int, int, str], int, EntryRegistered, list[Component]]] = []
    unclassified: list[Unclassified] = []
    for order, entry in enumerate(_entries(fold, category)):
        out = _not_classified(fold, entry, counted, after)
        if out is not None:
            unclassified.append(out)
            continue
        covering = fold.covering.get(entry.entry_id, {})
        seen: set[tuple[str, int]] = set()
        parts: list[Component] = []
        for stage in counted:
            key = covering[stage]
            if key not in seen:
                seen.add(key)
                parts.append(_result_component(fold.results[key], covering))
        for stage, cancel in awarded:
            assert cancel.event.awarded_ms is not None
            parts.append(
                Component(
                    kind="awarded",
                    stage=stage,
                    time_ms=cancel.event.awarded_ms,
                    seq=cancel.seq,
                    note=f"stage {stage} cancelled ({cancel.event.reason}): time awarded to all",
                    provenance=cancel.event.provenance,
                )
            )
        parts.extend(penalties.get(entry.entry_id, ()))
        parts.sort(key=lambda part: (part.stage, part.seq))
        total = sum(part.time_ms for part in parts)
        classified.append((total, _number_key(entry), order, entry, parts))
    classified.sort(key=lambda item: (item[0], item[1], item[2]))
    known = _known(fold, category, after, "gc")
    rows = _ranked_rows(
        [(total, entry, _constant(tuple(parts))) for total, _, _, entry, parts in classified],
        known,
    )
    return _standings(fold, category, after, as_of, rows, unclassified, known)


def _ranked_rows(
    ordered: Sequence[tuple[int, EntryRegistered, Callable[[], tuple[Component, ...]]]],
    known: int | None,
) -> tuple[Row, ...]:
    """Rows for entries already in classification order: positions, certainty, gaps."""
    ranks = _rank([time_ms for time_ms, _, _ in ordered], known)
    leader_ms = ordered[0][0] if ordered else 0
    return tuple(
        Row(
            position=position,
            position_certain=certain,
            entry_id=entry.entry_id,
            number=entry.number,
            crew=entry.crew,
            make=entry.make,
            time_ms=time_ms,
            gap_ms=None if index == 0 else time_ms - leader_ms,
            explanation=explanation,
        )
        for index, ((time_ms, entry, explanation), (position, certain)) in enumerate(
            zip(ordered, ranks, strict=True)
        )
    )


def _standings(
    fold: Fold,
    category: str,
    after: int,
    as_of: int | None,
    rows: tuple[Row, ...],
    unclassified: list[Unclassified],
    known: int | None,
) -> Standings:
    assert fold.rally is not None
    return Standings(
        rally_id=fold.rally.rally_id,
        rally=fold.rally.name,
        category=category,
        after_stage=after,
        as_of=as_of,
        rows=rows,
        unclassified=tuple(unclassified),
        known_rows=known,
    )


def standings_after(
    fold: Fold, category: str, after: int, *, as_of: int | None = None
) -> Standings:
    """The GC after one stage, the fast way (see ``replay_standings``).

    ``compute_standings`` is the reference definition it must equal.
    """
    found = replay_standings(fold, category, as_of=as_of, only=after).get(after)
    return found if found is not None else compute_standings(fold, category, after, as_of=as_of)


def _constant(parts: tuple[Component, ...]) -> Callable[[], tuple[Component, ...]]:
    return lambda: parts


def _parts_for(fold: Fold, category: str, entry_id: str, after: int) -> tuple[Component, ...]:
    """The components of a classified entry's time after ``after`` (as compute_standings)."""
    counted = fold.counted_stages(category, min(fold.stages), after)
    covering = fold.covering.get(entry_id, {})
    seen: set[tuple[str, int]] = set()
    parts: list[Component] = []
    for stage in counted:
        key = covering[stage]
        if key not in seen:
            seen.add(key)
            parts.append(_result_component(fold.results[key], covering))
    for (stage, c), cancel in sorted(fold.cancellations.items()):
        if c == category and stage <= after and cancel.event.awarded_ms:
            parts.append(
                Component(
                    kind="awarded",
                    stage=stage,
                    time_ms=cancel.event.awarded_ms,
                    seq=cancel.seq,
                    note=f"stage {stage} cancelled ({cancel.event.reason}): time awarded to all",
                    provenance=cancel.event.provenance,
                )
            )
    for penalty in fold.penalties.values():
        event = penalty.event
        if event.entry_id == entry_id and penalty.in_force and event.stage <= after:
            scope = "GC only" if event.gc_only else "stage and GC"
            parts.append(
                Component(
                    kind="penalty",
                    stage=event.stage,
                    time_ms=event.amount_ms,
                    seq=penalty.seq,
                    note=f"penalty {event.penalty_id} ({scope}): {event.reason}",
                    provenance=event.provenance,
                    penalty_id=event.penalty_id,
                )
            )
    parts.sort(key=lambda part: (part.stage, part.seq))
    return tuple(parts)


_NEVER = 1 << 62  # "no stage": a result that never comes


def replay_standings(
    fold: Fold, category: str, *, as_of: int | None = None, only: int | None = None
) -> dict[int, Standings]:
    """The GC after every stage of ``category`` in one pass, keyed by stage.

    Equal, row for row, to ``compute_standings`` after each stage (a property
    test checks it), but linear in stages × entries: running totals are kept
    per entry and each stage only adds what falls on it; explanations are built
    only when a row's ``components`` are asked for. With ``only``, it stops at
    that stage and returns the GC after it alone.
    """
    _require_category(fold, category)
    assert fold.rally is not None
    gc = set(gc_stages(fold, category))
    if not gc:
        return {}
    entries = _entries(fold, category)
    ids = {entry.entry_id for entry in entries}
    counted = {stage for stage in fold.stages if fold.counts(stage, category)}
    adds: dict[int, dict[str, int]] = {}
    for result in fold.results.values():
        if result.entry_id in ids and any(stage in counted for stage in result.covers):
            bucket = adds.setdefault(result.stage, {})
            bucket[result.entry_id] = bucket.get(result.entry_id, 0) + result.time_ms
    for penalty in fold.penalties.values():
        event = penalty.event
        if penalty.in_force and event.entry_id in ids:
            bucket = adds.setdefault(event.stage, {})
            bucket[event.entry_id] = bucket.get(event.entry_id, 0) + event.amount_ms
    awards = {
        stage: cancel.event.awarded_ms
        for (stage, c), cancel in fold.cancellations.items()
        if c == category and cancel.event.awarded_ms
    }
    retired_at = {
        entry_id: state.event.stage
        for entry_id, state in fold.retirements.items()
        if entry_id in ids
    }
    total = dict.fromkeys(ids, 0)
    worst = dict.fromkeys(ids, 0)  # latest end of a result covering a counted stage so far
    order = {entry.entry_id: index for index, entry in enumerate(entries)}
    # for each counted stage, when the result covering it ends (absent: never)
    ends: dict[int, dict[str, int]] = {stage: {} for stage in counted}
    for entry_id in ids:
        for stage, key in fold.covering.get(entry_id, {}).items():
            if stage in counted:
                ends[stage][entry_id] = fold.results[key].stage
    sort_keys = {entry.entry_id: (_number_key(entry), order[entry.entry_id]) for entry in entries}
    out: dict[int, Standings] = {}
    for stage in sorted(fold.stages):
        if only is not None and stage > only:
            break
        for entry_id, amount in adds.get(stage, {}).items():
            total[entry_id] += amount
        award = awards.get(stage)
        if award:
            for entry_id in ids:
                total[entry_id] += award
        if stage in counted:
            stage_ends = ends[stage]
            for entry_id in ids:
                end = stage_ends.get(entry_id, _NEVER)
                if end > worst[entry_id]:
                    worst[entry_id] = end
        if stage in gc and (only is None or stage == only):
            out[stage] = _snapshot(
                fold, category, stage, entries, total, worst, retired_at, sort_keys, as_of
            )
    return out


def _snapshot(
    fold: Fold,
    category: str,
    after: int,
    entries: list[EntryRegistered],
    total: dict[str, int],
    worst: dict[str, int],
    retired_at: dict[str, int],
    sort_keys: dict[str, tuple[tuple[int, int, str], int]],
    as_of: int | None,
) -> Standings:
    assert fold.rally is not None
    counted: list[int] | None = None  # only needed to say why an entry is not classified
    classified: list[tuple[int, tuple[tuple[int, int, str], int], EntryRegistered]] = []
    unclassified: list[Unclassified] = []
    for entry in entries:
        entry_id = entry.entry_id
        out_at = retired_at.get(entry_id)
        if (out_at is not None and out_at <= after) or worst[entry_id] > after:
            if counted is None:
                counted = fold.counted_stages(category, min(fold.stages), after)
            out = _not_classified(fold, entry, counted, after)
            assert out is not None
            unclassified.append(out)
            continue
        classified.append((total[entry_id], sort_keys[entry_id], entry))
    classified.sort(key=_by_time_then_number)
    known = _known(fold, category, after, "gc")
    rows = _ranked_rows(
        [
            (time_ms, entry, partial(_parts_for, fold, category, entry.entry_id, after))
            for time_ms, _, entry in classified
        ],
        known,
    )
    return _standings(fold, category, after, as_of, rows, unclassified, known)


def _by_time_then_number(
    item: tuple[int, tuple[tuple[int, int, str], int], EntryRegistered],
) -> tuple[int, tuple[tuple[int, int, str], int]]:
    return item[0], item[1]


def _not_classified(
    fold: Fold, entry: EntryRegistered, counted: list[int], after: int
) -> Unclassified | None:
    """Why ``entry`` is not classified after stage ``after`` (``None``: it is)."""
    retired = fold.retirements.get(entry.entry_id)
    if retired is not None and retired.event.stage <= after:
        how: Status = "excluded" if retired.event.excluded else "retired"
        return _unclassified(
            entry, how, f"{how} at stage {retired.event.stage}: {retired.event.reason}"
        )
    covering = fold.covering.get(entry.entry_id, {})
    for stage in counted:
        key = covering.get(stage)
        missing: Status = "no-result"
        if _partial(fold, entry.category, stage):
            missing = "not-documented"
        if key is None:
            return _unclassified(entry, missing, f"no result for stage {stage}")
        result = fold.results[key]
        if result.stage > after:
            return _unclassified(
                entry,
                missing,
                f"combined time for stages {result.first_stage}-{result.stage} "
                f"known only after stage {result.stage}",
            )
    return None


def _partial(fold: Fold, category: str, stage: int) -> bool:
    """Whether the log's coverage says its source prints only part of the field at ``stage``."""
    return (
        _known(fold, category, stage, "stage") is not None
        or _known(fold, category, stage, "gc") is not None
    )


def compute_stage_result(
    fold: Fold, category: str, stage: int, *, as_of: int | None = None
) -> StageResult:
    """The ranking of stage ``stage`` for ``category``: stage times with stage penalties."""
    _require_category(fold, category)
    _require_stage(fold, stage)
    assert fold.rally is not None
    kind = fold.stages[stage].kind_for(category)
    cancel = fold.cancellations.get((stage, category))
    stage_penalties: dict[str, int] = {}
    for penalty in fold.penalties.values():
        event = penalty.event
        if penalty.in_force and event.stage == stage and not event.gc_only:
            stage_penalties[event.entry_id] = (
                stage_penalties.get(event.entry_id, 0) + event.amount_ms
            )
    timed: list[tuple[int, tuple[int, int, str], int, EntryRegistered, int]] = []
    combined: list[CombinedResult] = []
    retired: list[Unclassified] = []
    for order, entry in enumerate(_entries(fold, category)):
        out = fold.retirements.get(entry.entry_id)
        if out is not None and out.event.stage == stage:
            how: Status = "excluded" if out.event.excluded else "retired"
            retired.append(_unclassified(entry, how, f"{how}: {out.event.reason}"))
        result = fold.results.get((entry.entry_id, stage))
        if result is None or cancel is not None:
            continue
        if result.is_span:
            combined.append(
                CombinedResult(
                    entry_id=entry.entry_id,
                    number=entry.number,
                    crew=entry.crew,
                    make=entry.make,
                    first_stage=result.first_stage,
                    stage=result.stage,
                    time_ms=result.time_ms,
                )
            )
            continue
        penalty_ms = stage_penalties.get(entry.entry_id, 0)
        timed.append((result.time_ms + penalty_ms, _number_key(entry), order, entry, penalty_ms))
    timed.sort(key=lambda item: (item[0], item[1], item[2]))
    ranks = _rank([item[0] for item in timed], _known(fold, category, stage, "stage"))
    best = timed[0][0] if timed else 0
    rows = tuple(
        StageRow(
            position=position,
            position_certain=certain,
            entry_id=entry.entry_id,
            number=entry.number,
            crew=entry.crew,
            make=entry.make,
            time_ms=total,
            gap_ms=None if index == 0 else total - best,
            penalty_ms=penalty_ms,
        )
        for index, ((total, _, _, entry, penalty_ms), (position, certain)) in enumerate(
            zip(timed, ranks, strict=True)
        )
    )
    return StageResult(
        rally_id=fold.rally.rally_id,
        rally=fold.rally.name,
        category=category,
        stage=stage,
        kind=kind,
        as_of=as_of,
        rows=rows,
        combined=tuple(combined),
        cancelled_reason=None if cancel is None else cancel.event.reason,
        awarded_ms=None if cancel is None else cancel.event.awarded_ms,
        retired=tuple(retired),
    )
