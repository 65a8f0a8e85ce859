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
    ADJUSTMENT_TYPES,
    Adjustment,
    EntryRegistered,
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    Frame,
    PenaltyRescinded,
    RallyDeclared,
    ResultCorrected,
    ResultWithdrawn,
    RuleViolationError,
    Run,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageScheduled,
    WaypointCorrected,
    WaypointRecorded,
    WaypointWithdrawn,
    all_positive,
    as_list,
    format_time,
    single_value,
    tag_of,
)
from ._fold import Effect, Fold, Timed, handles
from ._times import Change, refusal
from ._view import View

__all__: list[str] = []


class _Check:
    """The checks of one event against the rally as it stands: each refusal names the event,
    its seq, what was wrong, what was expected and what was received."""

    __slots__ = ("event", "seq", "view")

    def __init__(self, fold: Fold, event: Event, seq: int) -> None:
        self.view = View(fold, fold.last_seq)
        self.event, self.seq = event, seq

    def refuse(self, what: str, expected: str, received: object) -> RuleViolationError:
        """The error refusing the event."""
        where = f"{tag_of(self.event)} event, seq {self.seq}"
        return RuleViolationError(what, where=where, expected=expected, received=received)

    def rally(self) -> RallyDeclared:
        rally = self.view.rally
        if rally is None:
            raise self.refuse(
                "the log must start with the rally declaration",
                "a rally-declared event first",
                tag_of(self.event),
            )
        return rally

    def category(self, category: str) -> None:
        categories = self.rally().categories
        if category not in categories:
            raise self.refuse("unknown category", "one of " + ", ".join(categories), category)

    def entry(self, entry_id: str) -> int:
        self.rally()
        try:
            return self.view.entry_index(entry_id)
        except KeyError:
            raise self.refuse("unknown entry", "a registered entry", entry_id) from None

    def result(self, event: ResultCorrected | ResultWithdrawn, *, to: str) -> tuple[int, int]:
        """The rows of the event's entry and of its result ending at the event's stage, which
        the event comes ``to`` (correct, withdraw): refused if there is none."""
        entry = self.entry(event.entry_id)
        result = self.view.result_index(event.entry_id, event.stage)
        if result is None:
            raise self.refuse(
                f"no result to {to}",
                f"an earlier result of {event.entry_id} ending at stage {event.stage}",
                "none",
            )
        return entry, result

    def stage(self, stage: int) -> StageScheduled:
        self.rally()
        scheduled = self.view.stage(stage)
        if scheduled is None:
            known = ", ".join(map(str, self.view.stage_numbers())) or "none yet"
            raise self.refuse("unscheduled stage", f"a scheduled stage ({known})", stage)
        return scheduled

    def running(self, entry: int, stage: int) -> None:
        """Refuse a time for an entry out of the rally by ``stage``."""
        retired = self.view.retirement_of(entry)
        if retired is not None and stage >= retired.event.stage:
            how = "excluded" if retired.event.excluded else "retired"
            out = retired.event.stage
            raise self.refuse(
                f"{retired.event.entry_id} {how} at stage {out} (record #{retired.seq})",
                f"a stage before {out}",
                stage,
            )

    def timed(
        self, scheduled: StageScheduled, category: str, *, cancelling: bool = False
    ) -> StageKind:
        """Refuse a stage that is a liaison for ``category``, or cancelled for it: no time is
        taken there (``cancelling``: worded for a cancellation of it)."""
        kind, stage = scheduled.kind_for(category), scheduled.stage
        if kind is StageKind.LIAISON:
            expected = "a timed stage to cancel" if cancelling else "a timed stage"
            raise self.refuse(f"stage {stage} is a liaison for {category}", expected, stage)
        if self.view.is_cancelled(stage, category):
            raise self.refuse(
                f"stage {stage} {'already ' if cancelling else 'is '}cancelled for {category}",
                "a stage that is not cancelled" if cancelling else "a stage that was run",
                stage,
            )
        return kind

    def times_stay_positive(self, entry: int, change: Change, *, lowers: bool) -> None:
        """Refuse a change that would make a stage time or a GC time zero or below.

        ``lowers``: whether the change takes time away (a bonus, a shorter corrected time, a
        rescinded penalty, a cancelled stage). Most changes are cleared at once, with no
        walk through the entry's stages: every GC time from a stage on is at least the
        entry's counted result there plus all its bonuses (every other part is positive),
        so a change that keeps that bound above zero, and the stage's own time above zero,
        cannot break the rule. The rest are weighed stage by stage (``refusal``).
        """
        view = self.view
        bonuses = view.bonuses(entry) or 0
        result = view.result_row(entry, change.stage)
        recorded = change.result_ms
        if recorded is None and result is not None:
            recorded = view.result_time(result)
        single = result is None or view.result_span(result)[0] == change.stage
        stage_time = None
        if recorded is not None and single:
            in_stage = view.penalty_sum(entry, change.stage, in_stage=True)
            stage_time = recorded + in_stage + (change.penalty_ms if change.in_stage else 0)
        if (stage_time is None or stage_time > 0) and not change.cancelled:
            if not lowers and not bonuses:
                return  # only time added, and no bonus anywhere to take it below zero
            counted = (
                change.counted
                if change.new_result
                else (result is not None and bool(view.result_cover(result)))
            )
            bound = None if recorded is None else recorded + bonuses + min(0, change.penalty_ms)
            if counted and bound is not None and bound > 0:
                return  # the bound above stays above zero
        found = refusal(view, entry, change)
        if found is not None:
            raise self.refuse(*found)


# ---------------------------------------------------------------------- handlers


@handles(RallyDeclared)
def _rally_declared(fold: Fold, event: RallyDeclared, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    if check.view.rally is not None:
        raise check.refuse(
            "the rally is already declared",
            "one rally-declared event, at seq 1",
            f"a second one for {event.rally_id}",
        )
    fold.add_declaration(event, seq)
    return Effect(event.categories, None)


@handles(EntryRegistered)
def _entry_registered(fold: Fold, event: EntryRegistered, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    check.category(event.category)
    if check.view.entry(event.entry_id) is not None:
        raise check.refuse("entry already registered", "a new entry id", event.entry_id)
    number = event.number
    holder = None if number is None else check.view.entry_by_number(event.category, number)
    if holder is not None:
        same = "" if holder.number == number else f", No. {holder.number}: numbers count as numbers"
        raise check.refuse(
            f"race number already taken in {event.category}",
            "a free number",
            f"{number} (entry {holder.entry_id}{same})",
        )
    fold.add_entry(event, seq)
    return Effect((event.category,), None)


@handles(StageScheduled)
def _stage_scheduled(fold: Fold, event: StageScheduled, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    for rule in event.rules:
        check.category(rule.category)
    if check.view.stage(event.stage) is not None:
        raise check.refuse("stage already scheduled", "a new stage number", event.stage)
    last = fold.index.last_result_stage
    if event.stage < last:
        raise check.refuse(
            f"stage {last} already has results",
            f"a stage numbered after {last} (stages are scheduled in order; a prologue "
            "numbered 0 is scheduled first)",
            event.stage,
        )
    # (A stage scheduled after every result cannot fall inside a combined time.)
    fold.add_stage(event, seq)
    return Effect(tuple(rule.category for rule in event.rules), event.stage)


def _is_span(view: View, result: int) -> bool:
    first, last = view.result_span(result)
    return first != last


@handles(StageResultRecorded)
def _result_recorded(fold: Fold, event: StageResultRecorded, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    view = check.view
    entry = check.entry(event.entry_id)
    category = view.entry_at(entry).category
    first, last = event.span
    for stage in (first, last):
        kind = check.timed(check.stage(stage), category)
        if first != last and kind is not StageKind.SPECIAL:
            raise check.refuse(
                f"a combined time cannot start or end on a {kind}",
                "a span between two counted specials",
                f"stages {first}–{last}",
            )
    check.running(entry, last)
    if first == last:
        covered, clashes = [last], [last]
    else:
        # A combined time stands for the counted stages of its range that have no result
        # of their own: a source may print one stage time inside a span.
        in_range = view.counted_stages(category, first, last)
        covered = [s for s in in_range if view.covering(event.entry_id, s) is None]
        clashes = [first, last] + [
            s
            for s in in_range
            if (held := view.covering(event.entry_id, s)) is not None and _is_span(view, held)
        ]
    for stage in clashes:
        held = view.covering(event.entry_id, stage)
        if held is not None:
            state = view.result_state(held)
            withdrawn = state.withdrawal
            out = "" if withdrawn is None else f", withdrawn at record #{withdrawn.seq}"
            raise check.refuse(
                f"{event.entry_id} already has a result for stage {stage}",
                "a correction of that result (a result-corrected event) to change it",
                f"a second result (the first is record #{state.seq}{out})",
            )
    cover = len(covered) if first != last else int(view.counts(last, category))
    new = Change(last, event.time_ms, new_result=True, single=first == last, counted=bool(cover))
    check.times_stay_positive(entry, new, lowers=False)
    fold.add_results(
        [entry], first, last, Timed.one(fold, event.time_ms, seq, event.provenance), [cover]
    )
    if first != last:  # what the standings say of the crew changes from the span's start
        return Effect((category,), first)
    return Effect((category,), last, entry, event.time_ms if cover else 0, cover)


@handles(ResultCorrected)
def _result_corrected(fold: Fold, event: ResultCorrected, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    entry, result = check.result(event, to="correct")
    view = check.view
    category = view.entry_at(entry).category
    if view.is_withdrawn(result):  # the correction gives it a time again: as a new result
        check.running(entry, event.stage)
        first, last = view.result_span(result)
        cover = view.result_cover(result)
        new = Change(
            last, event.time_ms, new_result=True, single=first == last, counted=bool(cover)
        )
        check.times_stay_positive(entry, new, lowers=False)
        fold.add_correction(result, event, seq)
        return Effect((category,), first)
    old = view.result_time(result)
    if old == event.time_ms:
        raise check.refuse(
            "the correction changes nothing",
            f"a time other than {format_time(old)}",
            format_time(event.time_ms),
        )
    delta = event.time_ms - old
    check.times_stay_positive(entry, Change(event.stage, event.time_ms), lowers=delta < 0)
    fold.add_correction(result, event, seq)
    counted = bool(view.result_cover(result))
    return Effect((category,), event.stage, entry, delta if counted else 0, 0)


@handles(ResultWithdrawn)
def _result_withdrawn(fold: Fold, event: ResultWithdrawn, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    entry, result = check.result(event, to="withdraw")
    view = check.view
    if (withdrawal := view.result_state(result).withdrawal) is not None:
        raise check.refuse(
            "result already withdrawn",
            "a result in force (a correction, a result-corrected event, gives it a time again)",
            f"{event.entry_id} stage {event.stage} (withdrawn at record #{withdrawal.seq})",
        )
    if view.bonuses(entry) != 0:  # only a bonus can leave a GC time at or below zero
        found = refusal(view, entry, Change(event.stage, withdrawn=True))
        if found is not None:
            raise check.refuse(*found)
    fold.add_correction(result, event, seq)
    return Effect((view.entry_at(entry).category,), view.result_span(result)[0])


def _adjustment(fold: Fold, event: Adjustment, seq: int) -> Effect:
    """A penalty, a bonus, or any other time added to an entry at a stage (``Adjustment``)."""
    check = _Check(fold, event, seq)
    entry = check.entry(event.entry_id)
    check.stage(event.stage)
    if check.view.penalty(event.adjustment_id) is not None:
        kind = event.component
        raise check.refuse(f"{kind} id already used", f"a new {kind} id", event.adjustment_id)
    change = Change(event.stage, penalty_ms=event.delta_ms, in_stage=event.in_stage)
    check.times_stay_positive(entry, change, lowers=event.delta_ms < 0)
    fold.add_adjustment(entry, event, seq)
    category = check.view.entry_at(entry).category
    return Effect((category,), event.stage, entry, event.delta_ms, 0)


for _type in ADJUSTMENT_TYPES:
    handles(_type)(_adjustment)


@handles(PenaltyRescinded)
def _penalty_rescinded(fold: Fold, event: PenaltyRescinded, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    view = check.view
    check.rally()
    penalty = view.penalty(event.penalty_id)
    if penalty is None:
        known = ", ".join(state.event.adjustment_id for state in view.penalty_states())
        raise check.refuse(
            "unknown penalty",
            f"an imposed penalty id ({known or 'none has been imposed'})",
            event.penalty_id,
        )
    if not penalty.in_force:
        raise check.refuse(
            "penalty already rescinded",
            "a penalty in force",
            f"{event.penalty_id} (rescinded at record #{penalty.rescinded_seq})",
        )
    imposed = penalty.event
    entry = view.entry_index(imposed.entry_id)
    change = Change(imposed.stage, penalty_ms=-imposed.delta_ms, in_stage=imposed.in_stage)
    check.times_stay_positive(entry, change, lowers=imposed.delta_ms > 0)
    fold.add_rescission(fold.index.penalty_row[event.penalty_id], event, seq)
    category = view.entry_at(entry).category
    return Effect((category,), imposed.stage, entry, -imposed.delta_ms, 0)


@handles(StageCancelled)
def _stage_cancelled(fold: Fold, event: StageCancelled, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    view = check.view
    scheduled = check.stage(event.stage)
    for category in event.categories:
        check.category(category)
        check.timed(scheduled, category, cancelling=True)
        for entry in view.members(category):
            entry_id = view.entry_at(entry).entry_id
            held = view.covering(entry_id, event.stage)
            if held is not None and _is_span(view, held):
                first, last = view.result_span(held)
                raise check.refuse(
                    f"a combined result of {entry_id} covers stage {event.stage}",
                    "a stage no combined time spans",
                    f"stages {first}–{last} (record #{view.result_state(held).seq})",
                )
            if view.bonuses(entry):  # only a bonus can leave a GC time at or below zero
                change = Change(event.stage, cancelled=True, awarded_ms=event.awarded_ms or 0)
                check.times_stay_positive(entry, change, lowers=True)
    fold.add_cancellation(event, seq)
    return Effect(event.categories, event.stage)


@handles(EntryRetired)
def _entry_retired(fold: Fold, event: EntryRetired, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    entry = check.entry(event.entry_id)
    check.stage(event.stage)
    earlier = check.view.retirement_of(entry)
    if earlier is not None:
        out = earlier.event.stage
        raise check.refuse(
            "entry already out of the rally",
            "an entry still running",
            f"{event.entry_id} (out at stage {out}, record #{earlier.seq})",
        )
    latest = check.view.latest_result(entry, after=event.stage)
    if latest is not None:
        raise check.refuse(
            f"entry has a result for stage {latest}",
            f"a retirement stage at or after {latest} (an entry leaves the rally at a stage, "
            "after any result it has on it)",
            event.stage,
        )
    fold.add_retirement(entry, event, seq)
    return Effect((check.view.entry_at(entry).category,), event.stage)


@handles(FieldCoverageDeclared)
def _coverage_declared(fold: Fold, event: FieldCoverageDeclared, seq: int) -> Effect:
    check = _Check(fold, event, seq)
    check.category(event.category)
    check.stage(event.stage)
    fold.add_coverage(event, seq)
    return Effect((event.category,), event.stage)


@handles(WaypointRecorded)
def _waypoint_recorded(fold: Fold, event: WaypointRecorded, seq: int) -> None:
    check = _Check(fold, event, seq)
    entry = check.entry(event.entry_id)
    check.timed(check.stage(event.stage), check.view.entry_at(entry).category)
    check.running(entry, event.stage)
    if fold.index.has_split(event.stage, event.waypoint, (entry,)):
        held = check.view.split_row(event.stage, event.waypoint, event.entry_id)
        assert held is not None
        withdrawal = check.view.split_state(held).withdrawal
        raise check.refuse(
            f"{event.entry_id} already has a time at waypoint {event.waypoint} of stage "
            f"{event.stage}",
            "one time per entry and waypoint"
            if withdrawal is None
            else "a correction (a waypoint-corrected event) to give the withdrawn time a new one",
            f"a second one ({format_time(event.time_ms)})",
        )
    timed = Timed.one(fold, event.time_ms, seq, event.provenance)
    fold.add_splits(event.stage, event.waypoint, [entry], timed)


def _split(check: _Check, event: WaypointCorrected | WaypointWithdrawn, verb: str) -> int:
    """The row of the split an amendment names (refused if there is none)."""
    check.entry(event.entry_id)
    split = check.view.split_row(event.stage, event.waypoint, event.entry_id)
    if split is None:
        raise check.refuse(
            f"no time to {verb}",
            f"an earlier time of {event.entry_id} at waypoint {event.waypoint} of stage "
            f"{event.stage}",
            "none",
        )
    return split


@handles(WaypointCorrected)
def _waypoint_corrected(fold: Fold, event: WaypointCorrected, seq: int) -> None:
    check = _Check(fold, event, seq)
    split = _split(check, event, "correct")
    state = check.view.split_state(split)
    if state.withdrawal is not None:  # a time again: as a new split would be
        check.running(check.view.entry_index(event.entry_id), event.stage)
    elif state.time_ms == event.time_ms:
        raise check.refuse(
            "the correction changes nothing",
            f"a time other than {format_time(state.time_ms)}",
            format_time(event.time_ms),
        )
    fold.add_split_amendment(split, event, seq)


@handles(WaypointWithdrawn)
def _waypoint_withdrawn(fold: Fold, event: WaypointWithdrawn, seq: int) -> None:
    check = _Check(fold, event, seq)
    split = _split(check, event, "withdraw")
    withdrawal = check.view.split_state(split).withdrawal
    if withdrawal is not None:
        raise check.refuse(
            "time already withdrawn",
            "a time in force (a correction, a waypoint-corrected event, gives it a time again)",
            f"{event.entry_id} stage {event.stage} waypoint {event.waypoint} "
            f"(withdrawn at record #{withdrawal.seq})",
        )
    fold.add_split_amendment(split, event, seq)


# ---------------------------------------------------------------------- whole runs


def _may_time(fold: Fold, stage: object, entries: list[int] | None) -> bool:
    """Whether every one of ``entries`` may take a time on ``stage`` now: its category runs
    the stage (timed, not cancelled) and it has not left the rally by then."""
    if type(stage) is not int or entries is None:
        return False
    return fold.index.open_at(stage).issuperset(entries) and not fold.index.retired_before(
        stage, entries
    )


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
        Timed.run(fold, run, frame, as_list(times)),
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
        Timed.run(fold, run, frame, as_list(times)),
    )
    return True
