"""The rules of a rally: one handler per event type, each registered beside its checks.

A handler reads the rally as it stands (a ``View`` of the fold's current record),
refuses an event the rules do not allow with a ``RuleViolationError`` naming what,
where, what was expected and what was received, and only then adds the event's
facts to the fold (``Fold.add_*``). It returns the ``Effect``: in which categories,
from which stage, the standings can differ. The recorder uses the handlers to refuse
an append, every reader to refuse a log that breaks the rules, a what-if to refuse a
hypothesis the log would refuse.

Runs of results and of waypoint splits have bulk handlers too (``bulk=True``): they
store a whole run at once when every event of it is plainly allowed by the same
conditions, and otherwise leave it to the one-by-one handlers (a property test
checks that both give the same state, on valid and invalid runs).
"""

from __future__ import annotations

from ..events import (
    EntryRegistered,
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    Frame,
    PenaltyImposed,
    PenaltyRescinded,
    RallyDeclared,
    ResultCorrected,
    RuleViolationError,
    Run,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageScheduled,
    WaypointRecorded,
    all_positive,
    as_list,
    format_time,
    single_value,
    tag_of,
)
from ._fold import Effect, Fold, handles
from ._times import Change, refusal
from ._view import View

__all__: list[str] = []


def _violation(
    event: Event, seq: int, what: str, *, expected: str, received: object
) -> RuleViolationError:
    return RuleViolationError(
        what, where=f"{tag_of(event)} event, seq {seq}", expected=expected, received=received
    )


# ---------------------------------------------------------------------- checks


def _rally(view: View, event: Event, seq: int) -> RallyDeclared:
    rally = view.rally
    if rally is None:
        raise _violation(
            event,
            seq,
            "the log must start with the rally declaration",
            expected="a rally-declared event first",
            received=tag_of(event),
        )
    return rally


def _category(view: View, event: Event, seq: int, category: str) -> None:
    rally = _rally(view, event, seq)
    if category not in rally.categories:
        raise _violation(
            event,
            seq,
            "unknown category",
            expected="one of " + ", ".join(rally.categories),
            received=category,
        )


def _entry(view: View, event: Event, seq: int, entry_id: str) -> int:
    _rally(view, event, seq)
    try:
        return view.entry_index(entry_id)
    except KeyError:
        raise _violation(
            event, seq, "unknown entry", expected="a registered entry", received=entry_id
        ) from None


def _stage(view: View, event: Event, seq: int, stage: int) -> StageScheduled:
    _rally(view, event, seq)
    scheduled = view.stage(stage)
    if scheduled is None:
        known = ", ".join(map(str, view.stage_numbers())) or "none yet"
        raise _violation(
            event, seq, "unscheduled stage", expected=f"a scheduled stage ({known})", received=stage
        )
    return scheduled


def _running(view: View, event: Event, seq: int, entry: int, stage: int) -> None:
    retired = view.retirement_of(entry)
    if retired is not None and stage >= retired.event.stage:
        how = "excluded" if retired.event.excluded else "retired"
        raise _violation(
            event,
            seq,
            f"entry {how} at stage {retired.event.stage} (seq {retired.seq})",
            expected=f"a stage before {retired.event.stage}",
            received=stage,
        )


def _timed(
    view: View,
    event: Event,
    seq: int,
    scheduled: StageScheduled,
    category: str,
    *,
    cancelling: bool = False,
) -> StageKind:
    """Refuse a stage that is a liaison for ``category``, or cancelled for it: no time is
    taken there (``cancelling``: worded for a cancellation of it)."""
    kind = scheduled.kind_for(category)
    stage = scheduled.stage
    if kind is StageKind.LIAISON:
        raise _violation(
            event,
            seq,
            f"stage {stage} is a liaison for {category}",
            expected="a timed stage to cancel" if cancelling else "a timed stage",
            received=stage,
        )
    if view.is_cancelled(stage, category):
        raise _violation(
            event,
            seq,
            f"stage {stage} {'already ' if cancelling else 'is '}cancelled for {category}",
            expected="a stage that is not cancelled" if cancelling else "a stage that was run",
            received=stage,
        )
    return kind


def _times_stay_positive(
    view: View, event: Event, seq: int, entry: int, change: Change, *, lowers: bool
) -> None:
    """Refuse a change that would make a stage time or a GC time zero or below.

    ``lowers``: whether the change takes time away (a bonus, a shorter corrected time, a
    rescinded penalty, a cancelled stage). Most changes are cleared at once, with no walk
    through the entry's stages: every GC time from a stage on is at least the entry's
    counted result there plus all its bonuses (every other part is positive), so a change
    that keeps that bound above zero, and the stage's own time above zero, cannot break
    the rule. The rest are weighed stage by stage (``refusal``).
    """
    bonuses = view.bonuses(entry) or 0
    result = view.result_row(entry, change.stage)
    stage_time = None
    if change.result_ms is not None:
        recorded = change.result_ms
    elif result is not None:
        recorded = view.result_time(result)
    else:
        recorded = None
    if recorded is not None and (result is None or view.result_span(result)[0] == change.stage):
        in_stage = view.penalty_sum(entry, change.stage, in_stage=True)
        stage_time = recorded + in_stage + (change.penalty_ms if change.in_stage else 0)
    quick = stage_time is None or stage_time > 0
    if quick and not change.cancelled:
        if not lowers and not bonuses:
            return  # only time added, and no bonus anywhere to take it below zero
        counted = (
            change.counted
            if change.new_result
            else (result is not None and bool(view.result_cover(result)))
        )
        if recorded is not None and counted and recorded + bonuses + min(0, change.penalty_ms) > 0:
            return  # the bound above stays above zero
    found = refusal(view, entry, change)
    if found is not None:
        what, expected, received = found
        raise _violation(event, seq, what, expected=expected, received=received)


# ---------------------------------------------------------------------- handlers


@handles(RallyDeclared)
def _rally_declared(fold: Fold, event: RallyDeclared, seq: int) -> Effect:
    if View(fold, fold.last_seq).rally is not None:
        raise _violation(
            event,
            seq,
            "the rally is already declared",
            expected="one rally-declared event, at seq 1",
            received=f"a second one for {event.rally_id}",
        )
    fold.add_declaration(event, seq)
    return Effect(event.categories, None)


@handles(EntryRegistered)
def _entry_registered(fold: Fold, event: EntryRegistered, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    _category(view, event, seq, event.category)
    if view.entry(event.entry_id) is not None:
        raise _violation(
            event,
            seq,
            "entry already registered",
            expected="a new entry id",
            received=event.entry_id,
        )
    holder = None if event.number is None else view.entry_by_number(event.category, event.number)
    if holder is not None:
        raise _violation(
            event,
            seq,
            f"race number already taken in {event.category}",
            expected="a free number",
            received=f"{event.number} (entry {holder.entry_id})",
        )
    fold.add_entry(event, seq)
    return Effect((event.category,), None)


@handles(StageScheduled)
def _stage_scheduled(fold: Fold, event: StageScheduled, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    for rule in event.rules:
        _category(view, event, seq, rule.category)
    if view.stage(event.stage) is not None:
        raise _violation(
            event,
            seq,
            "stage already scheduled",
            expected="a new stage number",
            received=event.stage,
        )
    last = fold.index.last_result_stage
    if event.stage < last:
        raise _violation(
            event,
            seq,
            f"stage {last} already has results",
            expected=f"a stage numbered after {last} (stages are scheduled in order; a "
            "prologue numbered 0 is scheduled first)",
            received=event.stage,
        )
    # (A stage scheduled after every result cannot fall inside a combined time.)
    fold.add_stage(event, seq)
    return Effect(tuple(rule.category for rule in event.rules), event.stage)


@handles(StageResultRecorded)
def _result_recorded(fold: Fold, event: StageResultRecorded, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    entry = _entry(view, event, seq, event.entry_id)
    category = view.entry_at(entry).category
    first, last = event.span
    for stage in (first, last):
        kind = _timed(view, event, seq, _stage(view, event, seq, stage), category)
        if first != last and kind is not StageKind.SPECIAL:
            raise _violation(
                event,
                seq,
                f"a combined time cannot start or end on a {kind}",
                expected="a span between two counted specials",
                received=f"stages {first}-{last}",
            )
    _running(view, event, seq, entry, last)
    if first == last:
        covers, clashes = [last], [last]
    else:
        # A combined time stands for the counted stages of its range that have no result
        # of their own: a source may print one stage time inside a span.
        in_range = view.counted_stages(category, first, last)
        covers = [s for s in in_range if view.covering(event.entry_id, s) is None]
        clashes = [first, last] + [
            s
            for s in in_range
            if (held := view.covering(event.entry_id, s)) is not None
            and view.result_span(held)[0] != view.result_span(held)[1]
        ]
    for stage in clashes:
        held = view.covering(event.entry_id, stage)
        if held is not None:
            raise _violation(
                event,
                seq,
                f"entry already has a result for stage {stage}",
                expected="a result-corrected event to change it",
                received=f"a second result (the first is seq {view.result_state(held).seq})",
            )
    cover = len(covers) if first != last else int(view.counts(last, category))
    _times_stay_positive(
        view,
        event,
        seq,
        entry,
        Change(last, event.time_ms, new_result=True, single=first == last, counted=bool(cover)),
        lowers=False,
    )
    fold.add_results(
        [entry],
        first,
        last,
        [event.time_ms],
        [seq],
        [fold.provenance_row(event.provenance)],
        [cover],
    )
    return Effect((category,), last, entry, event.time_ms if cover else 0, cover)


@handles(ResultCorrected)
def _result_corrected(fold: Fold, event: ResultCorrected, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    entry = _entry(view, event, seq, event.entry_id)
    category = view.entry_at(entry).category
    result = view.result_index(event.entry_id, event.stage)
    if result is None:
        raise _violation(
            event,
            seq,
            "no result to correct",
            expected=f"an earlier result of {event.entry_id} ending at stage {event.stage}",
            received="none",
        )
    old = view.result_time(result)
    if old == event.time_ms:
        raise _violation(
            event,
            seq,
            "the correction changes nothing",
            expected=f"a time other than {format_time(old)}",
            received=format_time(event.time_ms),
        )
    delta = event.time_ms - old
    change = Change(event.stage, event.time_ms)
    _times_stay_positive(view, event, seq, entry, change, lowers=delta < 0)
    fold.add_correction(result, event, seq)
    counted = bool(view.result_cover(result))
    return Effect((category,), event.stage, entry, delta if counted else 0, 0)


@handles(PenaltyImposed)
def _penalty_imposed(fold: Fold, event: PenaltyImposed, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    entry = _entry(view, event, seq, event.entry_id)
    _stage(view, event, seq, event.stage)
    if view.penalty(event.penalty_id) is not None:
        raise _violation(
            event,
            seq,
            "penalty id already used",
            expected="a new penalty id",
            received=event.penalty_id,
        )
    change = Change(event.stage, penalty_ms=event.amount_ms, in_stage=not event.gc_only)
    _times_stay_positive(view, event, seq, entry, change, lowers=event.amount_ms < 0)
    fold.add_adjustment(entry, event, seq)
    category = view.entry_at(entry).category
    return Effect((category,), event.stage, entry, event.amount_ms, 0)


@handles(PenaltyRescinded)
def _penalty_rescinded(fold: Fold, event: PenaltyRescinded, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    _rally(view, event, seq)
    penalty = view.penalty(event.penalty_id)
    if penalty is None:
        known = ", ".join(state.event.penalty_id for state in view.penalty_states())
        raise _violation(
            event,
            seq,
            "unknown penalty",
            expected=f"an imposed penalty id ({known or 'none has been imposed'})",
            received=event.penalty_id,
        )
    if not penalty.in_force:
        raise _violation(
            event,
            seq,
            "penalty already rescinded",
            expected="a penalty in force",
            received=f"{event.penalty_id} (rescinded at seq {penalty.rescinded_seq})",
        )
    imposed = penalty.event
    entry = view.entry_index(imposed.entry_id)
    change = Change(imposed.stage, penalty_ms=-imposed.amount_ms, in_stage=not imposed.gc_only)
    _times_stay_positive(view, event, seq, entry, change, lowers=imposed.amount_ms > 0)
    fold.add_rescission(fold.index.penalty_row[event.penalty_id], event, seq)
    category = view.entry_at(entry).category
    return Effect((category,), imposed.stage, entry, -imposed.amount_ms, 0)


@handles(StageCancelled)
def _stage_cancelled(fold: Fold, event: StageCancelled, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    scheduled = _stage(view, event, seq, event.stage)
    for category in event.categories:
        _category(view, event, seq, category)
        _timed(view, event, seq, scheduled, category, cancelling=True)
        for entry in view.members(category):
            entry_id = view.entry_at(entry).entry_id
            held = view.covering(entry_id, event.stage)
            if held is not None and view.result_span(held)[0] != view.result_span(held)[1]:
                first, last = view.result_span(held)
                raise _violation(
                    event,
                    seq,
                    f"a combined result of {entry_id} covers stage {event.stage}",
                    expected="a stage no combined time spans",
                    received=f"stages {first}-{last} (seq {view.result_state(held).seq})",
                )
            if view.bonuses(entry):  # only a bonus can leave a GC time at or below zero
                change = Change(event.stage, cancelled=True, awarded_ms=event.awarded_ms or 0)
                _times_stay_positive(view, event, seq, entry, change, lowers=True)
    fold.add_cancellation(event, seq)
    return Effect(event.categories, event.stage)


@handles(EntryRetired)
def _entry_retired(fold: Fold, event: EntryRetired, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    entry = _entry(view, event, seq, event.entry_id)
    _stage(view, event, seq, event.stage)
    earlier = view.retirement_of(entry)
    if earlier is not None:
        raise _violation(
            event,
            seq,
            "entry already out of the rally",
            expected="an entry still running",
            received=f"{event.entry_id} (out at stage {earlier.event.stage}, seq {earlier.seq})",
        )
    latest = view.latest_result(entry)
    if latest is not None and latest > event.stage:
        raise _violation(
            event,
            seq,
            f"entry has a result for stage {latest}",
            expected=f"a retirement stage at or after {latest} (an entry leaves the rally at "
            "a stage, after any result it has on it)",
            received=event.stage,
        )
    fold.add_retirement(entry, event, seq)
    return Effect((view.entry_at(entry).category,), event.stage)


@handles(FieldCoverageDeclared)
def _coverage_declared(fold: Fold, event: FieldCoverageDeclared, seq: int) -> Effect:
    view = View(fold, fold.last_seq)
    _category(view, event, seq, event.category)
    _stage(view, event, seq, event.stage)
    fold.add_coverage(event, seq)
    return Effect((event.category,), event.stage)


@handles(WaypointRecorded)
def _waypoint_recorded(fold: Fold, event: WaypointRecorded, seq: int) -> None:
    view = View(fold, fold.last_seq)
    entry = _entry(view, event, seq, event.entry_id)
    scheduled = _stage(view, event, seq, event.stage)
    _timed(view, event, seq, scheduled, view.entry_at(entry).category)
    _running(view, event, seq, entry, event.stage)
    if fold.index.has_split(event.stage, event.waypoint, (entry,)):
        raise _violation(
            event,
            seq,
            f"entry already has a time at waypoint {event.waypoint} of stage {event.stage}",
            expected="one time per entry and waypoint",
            received=f"a second one ({format_time(event.time_ms)})",
        )
    fold.add_splits(
        event.stage,
        event.waypoint,
        [entry],
        [event.time_ms],
        [seq],
        [fold.provenance_row(event.provenance)],
    )


# ---------------------------------------------------------------------- whole runs


def _may_time(fold: Fold, stage: object, entries: list[int] | None) -> bool:
    """Whether every one of ``entries`` may take a time on ``stage`` now: its category runs
    the stage (timed, not cancelled) and it has not left the rally by then."""
    if type(stage) is not int or entries is None:
        return False
    return fold.index.open_at(stage).issuperset(entries) and not fold.index.retired_before(
        stage, entries
    )


def _provenances(fold: Fold, run: Run, frame: Frame) -> list[int]:
    """The fold's provenance row of each event of a run (one lookup per distinct one)."""
    if isinstance(run.provenance, int):
        return [fold.provenance_row(frame.provenances[run.provenance])] * run.count
    rows = {i: fold.provenance_row(frame.provenances[i]) for i in set(run.provenance)}
    return [rows[i] for i in run.provenance]


@handles(StageResultRecorded, bulk=True)
def _results_run(fold: Fold, run: Run, frame: Frame, effects: list[Effect]) -> bool:
    """A run of single-stage results at one stage, each plainly allowed: the entry runs the
    stage, is not out, has no result there yet, has no penalty there that a bonus makes
    negative, and the time is positive. Anything else goes one by one."""
    if any(first is not None for first in run.column("first_stage")):
        return False
    stage = single_value(run.column("stage"))
    times = run.column("time_ms")
    entries = fold.index.entry_rows(run.column("entry_id"))
    if stage is None or not all_positive(times) or entries is None:
        return False
    if len(set(entries)) != run.count or not _may_time(fold, stage, entries):
        return False
    index = fold.index
    category_of = index.category
    kinds = {category_of[entry] for entry in entries}
    by_category: dict[str, list[int]] = {}
    if len(kinds) == 1:
        by_category[kinds.pop()] = entries
    else:
        for entry in entries:
            by_category.setdefault(category_of[entry], []).append(entry)
    view = View(fold, fold.last_seq)
    for category, chosen in by_category.items():
        if index.has_result(category, stage, chosen):
            return False
        if any(amount < 0 for amount in view.gc_penalties(category, stage, in_stage=True).values()):
            return False
    counts = {category: int(view.counts(stage, category)) for category in by_category}
    fold.add_results(
        entries,
        stage,
        stage,
        as_list(times),
        range(run.first_seq, run.first_seq + run.count),
        _provenances(fold, run, frame),
        [counts[category_of[entry]] for entry in entries]
        if len(counts) > 1
        else [next(iter(counts.values()))] * len(entries),
    )
    effects.extend(Effect((category,), stage) for category in by_category)
    return True


@handles(WaypointRecorded, bulk=True)
def _splits_run(fold: Fold, run: Run, frame: Frame, effects: list[Effect]) -> bool:
    """A run of splits at one stage (waypoints mixed, as they came in), each plainly
    allowed: the entry runs the stage and is not out, and has at most one time per
    waypoint. Anything else goes one by one."""
    stage = single_value(run.column("stage"))
    times, waypoints = run.column("time_ms"), run.column("waypoint")
    if stage is None or not all_positive(times) or not all_positive(waypoints):
        return False
    entries = fold.index.entry_rows(run.column("entry_id"))
    if not _may_time(fold, stage, entries):
        return False
    assert entries is not None
    single = single_value(waypoints)
    groups: dict[int, list[int]] = {}
    if single is not None:
        groups[single] = entries
    else:
        for entry, waypoint in zip(entries, waypoints, strict=True):
            groups.setdefault(waypoint, []).append(entry)
    for waypoint, chosen in groups.items():
        if len(set(chosen)) != len(chosen) or fold.index.has_split(stage, waypoint, chosen):
            return False
    fold.add_splits(
        stage,
        single if single is not None else as_list(waypoints),
        entries,
        as_list(times),
        range(run.first_seq, run.first_seq + run.count),
        _provenances(fold, run, frame),
    )
    return True
