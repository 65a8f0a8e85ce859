"""One truth: every read path answers exactly what a fresh fold of the same log prefix answers.

A stateful, model-based property test (issue 18, "What must hold"). Hypothesis drives
random interleavings of every event kind (entries, new stages, results single and
combined over spans, corrections, withdrawals of results and of splits and corrections of
splits (issue 20), penalties and bonuses at earlier and later stages,
rescissions, cancellations with and without an awarded time, retirements and exclusions,
coverage declarations, splits at waypoints 1-3, timing-sheet imports) through every write
path: ``Recorder.append``; ``Recorder.append_many`` (a batch); a batch holding an event the
rules refuse (nothing written, nothing changed); ``standings record`` run in-process (the
recorder closed first: it holds the lock); ``import_sheet`` and ``record … --from`` with a
CSV sheet; the checkpoint written (a recorder with ``checkpoint_lag=1`` closing), removed,
damaged, left stale (appends by a writer that writes none), swapped (a checkpoint of an
earlier state or of another log copied beside the log); a crashed append (a torn tail, the
server polling, the append retried); a backup put back by a rename over the path under a
writer holding the log, or written over it in place; the log rewritten in place with other
events of the same size; a flipped byte, then put back.

The model is the list of events accepted so far. Every candidate event (of any kind, or
aimed at what the log holds: a result where a crew has none, a combined time, a crew
retired at the stage of its last result, a bonus before its result, the result a bonus
waits for) is first tried on a fresh fold of the log's records: the write path must accept
exactly what the fresh fold accepts, and write exactly those events. After each step, in an
order drawn at random, random questions (categories, classes, stages, waypoints, ``as_of``
values, inside batches and unknown ones included) go to every read path (the long-lived
``Recorder.rally``, ``load(path)``, rallies loaded at earlier steps, ``as_of``, a what-if
with no hypothesis, ``history``, ``stage_result``, ``waypoint_standings``,
``stage_result`` at a waypoint, ``replay``, ``penalties``, row components and unclassified reasons,
and a ``LiveRally`` following the log) and are compared, refusals and their messages
included, with the same question put to a new ``Rally`` of the first S records
(``tests/truth.py``); the server's answers with a server started afresh on the same bytes
and with the command line's JSON of a fresh fold. Standings handed out at earlier steps
(read then, or not read at all until later) must still say what the truth said then. The
recorder's fold and ``load``'s equal a fresh fold's state. No stage, combined, GC or awarded
time may ever be zero or negative. A damaged log is refused by every reader (503 from the
server) until it is sound again.

Past bugs it would have found (the numbered findings of issue 18): 1 (a backup renamed over
the log under a writer with ``checkpoint_lag=1``: ``load`` and the next recorder folded the
old file's state), 4 (a retirement appended after the recorder's sums stopped at an earlier
stage), 5 (rows and standings handed out earlier read the live fold), 6 (a flipped byte, an
overwrite in place of the same size, an append over a torn tail of its size: the server
answered as before), 7 (a bonus before its result, or a cancellation under a bonus: a time
of zero or less). Built against that code, with the fixes of the others simulated, it also
found: a checkpoint reaching into a torn tail makes readers raise the internal ``_Torn``;
``history`` as of a record inside a batch lists the records after it; a combined time over
stages 1-2 leaves the cached GC after stage 1 with a stale reason. Each of these has its own
test in ``tests/test_one_truth_findings.py``. This test does not look for 2 (a forged
checkpoint), 3 (appends over 16 MiB), 8 (memory), 9 (FIFOs), 10 (tracebacks of other
commands) or 11 (the cost of ``log check``): they have their own tests there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from rally_standings.app._live import LiveRally
from rally_standings.app._query import classification, stage_ranking
from rally_standings.engine import (
    Fold,
    Rally,
    Recorder,
    Standings,
    View,
    checkpoint_path,
    create_log,
    history,
    load,
    penalties,
    what_if,
)
from rally_standings.events import (
    EntryRegistered,
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    PenaltyImposed,
    PenaltyRescinded,
    Person,
    RallyDeclared,
    RallyError,
    Record,
    ResultCorrected,
    ResultWithdrawn,
    RuleViolationError,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageRule,
    StageScheduled,
    WaypointCorrected,
    WaypointRecorded,
    WaypointWithdrawn,
    check_file,
    encode_frame,
    format_signed,
    format_time,
    read_records,
    scan_file,
)
from rally_standings.events._log import HEADER, encode_log
from rally_standings.events._log import frame as frame_bytes
from rally_standings.outputs import render, to_data
from rally_standings.replays.timing import (
    Request,
    import_sheet,
    read_sheet,
    sheet_events,
    slips_of_event,
)
from tests import helpers
from tests.helpers import examples, run_captured
from tests.strategies import waypoint_events
from tests.truth import error_data, fresh, nonpositive_times, plain_standings

MIN = 60_000
CATEGORIES = ("cars", "bikes")
NUMBERS = ("1", "2", "3", "4")
ENTRY_IDS = tuple(f"{c}:{n}" for c in CATEGORIES for n in NUMBERS)
STAGES = (1, 2, 3, 4, 5)
ASKED_STAGES = (0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 5, 6)
WAYPOINTS = (1, 2, 3)
CLASSES = ("A", "B")
ASKED_CLASSES = (None, None, None, None, "A", "B", "Z")
PENALTY_IDS = ("P1", "P2", "P3", "P4")
TIMES = tuple(m * MIN for m in (1, 2, 5, 10, 20))
AMOUNTS = tuple(m * MIN for m in (-10, -5, -1, 1, 5))
KIND_WORDS = {
    StageKind.SPECIAL: "special",
    StageKind.PROLOGUE: "prologue",
    StageKind.LIAISON: "liaison",
}

# ---------------------------------------------------------------------- candidate events

entry_ids = st.sampled_from(ENTRY_IDS)
stages = st.sampled_from(STAGES)
times = st.sampled_from(TIMES)
split, corrected_split, withdrawn_split = waypoint_events(
    st.builds,
    entry_id=entry_ids,
    stage=stages,
    waypoint=st.sampled_from(WAYPOINTS),
    time_ms=times,
    reason=st.just("another car"),
    correction_reason=st.just("misread"),
)


@st.composite
def candidates(draw: st.DrawFn) -> Event:
    """An event of a small universe, which the rules may accept or refuse: two categories,
    five stages, four entries a category, two classes, waypoints 1-3, four penalty ids and
    times of 1 to 20 minutes, so that ties, spans, bonuses and refusals are common."""
    kind = draw(
        st.sampled_from(
            ["result"] * 6
            + ["span", "correct", "correct", "penalty", "penalty", "penalty"]
            + ["rescind", "cancel", "retire", "split", "split", "coverage"]
            + ["entry", "entry", "stage", "stage"]
            + ["withdraw", "correct split", "withdraw split"]
        )
    )
    if kind == "entry":
        category = draw(st.sampled_from(CATEGORIES))
        number = draw(st.sampled_from(NUMBERS))
        return EntryRegistered(
            entry_id=f"{category}:{number}",
            category=category,
            number=number,
            crew=(Person(f"Driver {category} {number}"),),
            entry_class=draw(st.sampled_from((*CLASSES, None))),
        )
    if kind == "stage":
        kinds = st.sampled_from([StageKind.SPECIAL] * 4 + [StageKind.PROLOGUE, StageKind.LIAISON])
        return StageScheduled(
            stage=draw(stages), rules=tuple(StageRule(c, draw(kinds)) for c in CATEGORIES)
        )
    if kind == "result":
        return StageResultRecorded(
            entry_id=draw(entry_ids), stage=draw(stages), time_ms=draw(times)
        )
    if kind == "span":
        first, last = sorted(draw(st.lists(stages, min_size=2, max_size=2, unique=True)))
        return StageResultRecorded(
            entry_id=draw(entry_ids), stage=last, first_stage=first, time_ms=draw(times)
        )
    if kind == "correct":
        return ResultCorrected(
            entry_id=draw(entry_ids), stage=draw(stages), time_ms=draw(times), reason="timing"
        )
    if kind == "penalty":
        return PenaltyImposed(
            penalty_id=draw(st.sampled_from(PENALTY_IDS)),
            entry_id=draw(entry_ids),
            stage=draw(stages),
            amount_ms=draw(st.sampled_from(AMOUNTS)),
            reason="steward",
            gc_only=draw(st.booleans()),
        )
    if kind == "rescind":
        return PenaltyRescinded(penalty_id=draw(st.sampled_from(PENALTY_IDS)), reason="appeal")
    if kind == "cancel":
        chosen = draw(st.sampled_from([("cars",), ("bikes",), CATEGORIES]))
        return StageCancelled(
            stage=draw(stages),
            categories=chosen,
            reason="weather",
            awarded_ms=draw(st.none() | times),
        )
    if kind == "retire":
        return EntryRetired(
            entry_id=draw(entry_ids),
            stage=draw(stages),
            reason="engine",
            excluded=draw(st.booleans()),
        )
    if kind == "split":
        return draw(split)
    if kind == "withdraw":
        return ResultWithdrawn(entry_id=draw(entry_ids), stage=draw(stages), reason="wrong crew")
    if kind == "correct split":
        return draw(corrected_split)
    if kind == "withdraw split":
        return draw(withdrawn_split)
    known = st.none() | st.integers(min_value=1, max_value=4)
    return FieldCoverageDeclared(
        category=draw(st.sampled_from(CATEGORIES)),
        stage=draw(stages),
        stage_known=draw(known),
        gc_known=draw(known),
    )


@st.composite
def follow_ups(draw: st.DrawFn, fold: View) -> Event:
    """An event aimed at what the log holds now (read from a fresh fold of it): a result
    where a crew has none yet, a combined time over stages it has none for, a crew retired
    or excluded at the stage of its last result, a bonus at a stage it has no result for yet,
    the result such a bonus waits for, a correction, a rescission. These are the orders of
    arrival the caches and the rules got wrong."""
    scheduled = fold.stage_numbers()
    entries = [entry.entry_id for entry in fold.entries()]
    if not scheduled or not entries:
        return draw(candidates())
    entry = draw(st.sampled_from(entries))
    found = (fold.result(entry, stage) for stage in scheduled)
    results = [result for result in found if result is not None]
    missing = [stage for stage in scheduled if fold.covering(entry, stage) is None]
    in_force = [p.event for p in fold.penalty_states() if p.in_force]
    waiting = [p for p in in_force if p.amount_ms < 0 and fold.result(p.entry_id, p.stage) is None]
    row = fold.entry_index(entry)
    splits = [(stage, w) for stage in scheduled for w in fold.splits_of(row, stage)]
    kinds = ["fill", "span", "bonus"] * bool(missing) + ["retire", "correct"] * bool(results)
    kinds += ["waiting bonus"] * 3 * bool(waiting) + ["rescind"] * bool(in_force)
    kinds += ["withdraw"] * bool(results) + ["correct split", "withdraw split"] * bool(splits)
    kind = draw(st.sampled_from(kinds or ["any"]))
    if kind == "withdraw":
        result = draw(st.sampled_from(results))
        return ResultWithdrawn(entry_id=entry, stage=result.stage, reason="a DNF")
    if kind in ("correct split", "withdraw split"):
        stage, waypoint = draw(st.sampled_from(splits))
        if kind == "withdraw split":
            return WaypointWithdrawn(
                entry_id=entry, stage=stage, waypoint=waypoint, reason="another car"
            )
        return WaypointCorrected(
            entry_id=entry, stage=stage, waypoint=waypoint, time_ms=draw(times), reason="x"
        )
    if kind == "fill":
        return StageResultRecorded(entry_id=entry, stage=missing[0], time_ms=draw(times))
    if kind == "span":
        first = draw(st.sampled_from(missing))
        later = [stage for stage in missing if stage > first]
        return StageResultRecorded(
            entry_id=entry,
            stage=draw(st.sampled_from(later)) if later else first,
            first_stage=first if later else None,
            time_ms=draw(times),
        )
    if kind == "bonus":
        return PenaltyImposed(
            penalty_id=draw(st.sampled_from(PENALTY_IDS)),
            entry_id=entry,
            stage=draw(st.sampled_from(missing)),
            amount_ms=draw(st.sampled_from([-10 * MIN, -5 * MIN])),
            reason="helped a crew",
            gc_only=draw(st.sampled_from([False, False, True])),
        )
    if kind == "retire":
        return EntryRetired(
            entry_id=entry, stage=results[-1].stage, reason="fire", excluded=draw(st.booleans())
        )
    if kind == "correct":
        result = draw(st.sampled_from(results))
        return ResultCorrected(entry_id=entry, stage=result.stage, time_ms=draw(times))
    if kind == "waiting bonus":
        bonus = draw(st.sampled_from(waiting))
        return StageResultRecorded(entry_id=bonus.entry_id, stage=bonus.stage, time_ms=draw(times))
    if kind == "rescind":
        return PenaltyRescinded(
            penalty_id=draw(st.sampled_from(in_force)).adjustment_id, reason="x"
        )
    return draw(candidates())


def accepts(records: Sequence[Record], batch: Sequence[Event]) -> bool:
    """Whether the rules accept ``batch`` after ``records``: tried on a fresh fold."""
    fold = Fold().apply_all(records)
    try:
        for event in batch:
            fold.apply(Record(fold.last_seq + 1, event))
    except RuleViolationError:
        return False
    return True


def slipped(records: Sequence[Record], event: Event) -> bool:
    """Whether ``standings record`` refuses ``event`` as an official's slip (a time out of order
    along its stage, an implausible stage time: issue 20) before the rules weigh it; the
    Python API records what it is given."""
    fold = Fold().apply_all(records)
    return bool(slips_of_event(View(fold, fold.last_seq), event))


def command_line(log: Path, event: Event) -> list[str]:
    """``standings record LOG KIND …`` for ``event``: the options that build exactly it."""
    head = ["record", str(log)]
    if isinstance(event, EntryRegistered):
        assert event.number is not None
        argv = ["entry", "-c", event.category, "--number", event.number]
        argv += ["--crew", event.crew[0].name]
        return head + argv + (["--class", event.entry_class] if event.entry_class else [])
    if isinstance(event, StageScheduled):
        argv = ["stage", "--number", str(event.stage)]
        for item in event.rules:
            argv += ["--counts", f"{item.category}={KIND_WORDS[item.kind]}"]
        return head + argv
    if isinstance(event, PenaltyRescinded):
        return [*head, "rescind", "--penalty", event.penalty_id, "--reason", event.reason]
    if isinstance(event, StageCancelled):
        argv = ["cancel", "--stage", str(event.stage), "--reason", event.reason]
        for category in event.categories:
            argv += ["-c", category]
        if event.awarded_ms is not None:
            argv += ["--awarded-time", format_time(event.awarded_ms)]
        return head + argv
    if isinstance(event, FieldCoverageDeclared):
        argv = ["coverage", "-c", event.category, "--stage", str(event.stage)]
        if event.stage_known is not None:
            argv += ["--stage-known", str(event.stage_known)]
        if event.gc_known is not None:
            argv += ["--gc-known", str(event.gc_known)]
        return head + argv
    assert isinstance(
        event,
        StageResultRecorded
        | ResultCorrected
        | ResultWithdrawn
        | PenaltyImposed
        | EntryRetired
        | WaypointRecorded
        | WaypointCorrected
        | WaypointWithdrawn,
    )
    category, number = event.entry_id.split(":")
    who = ["-c", category, "--entry", number, "--stage", str(event.stage)]
    if isinstance(event, ResultWithdrawn):
        return [*head, "withdraw", *who, "--reason", event.reason]
    if isinstance(event, WaypointWithdrawn):
        argv = ["--waypoint", str(event.waypoint), "--reason", event.reason]
        return [*head, "withdraw-waypoint", *who, *argv]
    if isinstance(event, WaypointCorrected):
        argv = ["--waypoint", str(event.waypoint), "--time", format_time(event.time_ms)]
        return [*head, "correct-waypoint", *who, *argv, "--reason", event.reason]
    if isinstance(event, StageResultRecorded):
        first = [] if event.first_stage is None else ["--first-stage", str(event.first_stage)]
        return [*head, "result", *who, "--time", format_time(event.time_ms), *first]
    if isinstance(event, ResultCorrected):
        argv = ["--time", format_time(event.time_ms), "--reason", event.reason]
        return [*head, "correct", *who, *argv]
    if isinstance(event, PenaltyImposed):
        argv = [f"--amount={format_signed(event.amount_ms)}", "--reason", event.reason]
        argv += ["--id", event.penalty_id] + (["--gc-only"] if event.gc_only else [])
        return [*head, "penalty", *who, *argv]
    if isinstance(event, EntryRetired):
        excluded = ["--excluded"] if event.excluded else []
        return [*head, "retire", *who, "--reason", event.reason, *excluded]
    argv = ["--waypoint", str(event.waypoint), "--time", format_time(event.time_ms)]
    return [*head, "waypoint", *who, *argv]


# ---------------------------------------------------------------------- questions

Question = tuple[Any, ...]

questions = st.one_of(
    st.tuples(
        st.just("standings"),
        st.sampled_from(CATEGORIES),
        st.none() | st.sampled_from(ASKED_STAGES),
        st.sampled_from(ASKED_CLASSES),
    ),
    st.tuples(st.just("replay"), st.sampled_from(CATEGORIES), st.sampled_from(ASKED_CLASSES)),
    st.tuples(
        st.just("stage"),
        st.sampled_from(CATEGORIES),
        st.sampled_from(ASKED_STAGES),
        st.sampled_from(ASKED_CLASSES),
    ),
    st.tuples(
        st.sampled_from(["waypoint standings", "waypoint result"]),
        st.sampled_from(CATEGORIES),
        st.sampled_from(ASKED_STAGES),
        st.sampled_from((*WAYPOINTS, 4)),
        st.sampled_from(ASKED_CLASSES),
    ),
    st.tuples(
        st.sampled_from(["what-if", "history", "history", "previous"]),
        st.sampled_from(CATEGORIES),
        st.none() | st.sampled_from(ASKED_STAGES),
    ),
    st.tuples(st.just("history"), st.sampled_from(CATEGORIES), st.sampled_from(STAGES)),
    st.tuples(
        st.sampled_from(["penalties", "facts"]),
        st.sampled_from((*CATEGORIES, "trucks")),
    ),
)
"""A question any rally answers (or refuses): unknown stages, waypoints, classes and
categories included."""


def _no_as_of(value: Any) -> Any:
    """Plain data without its ``as_of`` labels (a question asked ``as_of`` S is compared with
    the same question asked of the first S records, which carries none)."""
    if isinstance(value, dict):
        return {k: _no_as_of(v) for k, v in value.items() if k != "as_of"}
    if isinstance(value, list | tuple):
        return [_no_as_of(v) for v in value]
    return value


def answer(rally: Rally, question: Question, as_of: int | None) -> tuple[object, ...]:
    """What ``rally`` answers to ``question`` as of record ``as_of``, as plain data (or the
    refusal: its class, what, where, expected, received)."""
    kind, category = question[0], question[1]
    try:
        data: Any
        if kind == "standings":
            found = rally.standings(category, question[2], as_of=as_of).of_class(question[3])
            assert found.as_of == as_of
            data = plain_standings(found)
        elif kind == "replay":
            data = [
                plain_standings(s.of_class(question[2]))
                for s in rally.replay(category, as_of=as_of)
            ]
        elif kind == "stage":
            result = rally.stage_result(category, question[2], as_of=as_of, entry_class=question[3])
            assert result.as_of == as_of
            data = to_data(result)
        elif kind == "waypoint standings":
            found = rally.waypoint_standings(category, question[2], question[3], as_of=as_of)
            data = plain_standings(found.of_class(question[4]))
        elif kind == "waypoint result":
            data = to_data(
                rally.stage_result(
                    category,
                    question[2],
                    waypoint=question[3],
                    as_of=as_of,
                    entry_class=question[4],
                )
            )
        elif kind == "what-if":  # no hypothesis: the hypothetical standings are the actual
            compared = what_if(rally, category, [], after=question[2], as_of=as_of)
            actual = rally.standings(category, compared.actual.after_stage, as_of=as_of)
            assert plain_standings(compared.hypothetical) == plain_standings(actual)
            data = [to_data(compared), plain_standings(compared.actual)]
        elif kind == "history":
            stage = question[2] if question[2] is not None else 2
            listed = history(rally, category, stage, as_of=as_of)
            for item in listed:  # each GC it lists is the GC of the log up to its record
                known = rally.standings(category, stage, as_of=item.record.seq)
                assert plain_standings(item.standings) == plain_standings(known)
            data = [[to_data(item), item.standings.positions()] for item in listed]
        elif kind == "previous":
            stage = question[2] if question[2] is not None else 3
            previous = rally.previous_standings(category, stage, as_of=as_of)
            data = None if previous is None else plain_standings(previous)
        elif kind == "penalties":
            data = to_data(penalties(rally, category, as_of=as_of))
        else:
            base = rally.as_of(as_of)
            data = [
                base.last_seq,
                base.stages(),
                [to_data(e) for e in base.entries()],
                rally.classes(category, as_of=as_of),
                base.default_stage(category),
            ]
    except RallyError as error:
        return ("refused", error_data(error, as_of=as_of))
    return ("answered", _no_as_of(data))


_LIVE_CATEGORIES = st.sampled_from((*CATEGORIES * 4, "trucks"))


@st.composite
def live_questions(draw: st.DrawFn, last_seq: int) -> tuple[str, dict[str, str]]:
    """A ``GET /api/<endpoint>?params`` question, unknown values and seqs included."""
    seq = st.integers(min_value=1, max_value=last_seq + 1).map(str)
    endpoint = draw(
        st.sampled_from(["standings"] * 3 + ["stage"] * 2 + ["penalties", "events", "rally"])
    )
    params: dict[str, str | None] = {}
    if endpoint in ("standings", "stage"):
        params["category"] = draw(_LIVE_CATEGORIES)
        stage = draw(st.none() | st.sampled_from(ASKED_STAGES).map(str))
        if endpoint == "stage" and stage is None:
            stage = "1"
        params["after" if endpoint == "standings" else "stage"] = stage
        if stage is not None and draw(st.integers(0, 3)) == 0:
            params["waypoint"] = str(draw(st.sampled_from((*WAYPOINTS, 4))))
        params["class"] = draw(st.sampled_from(ASKED_CLASSES))
        params["as_of"] = draw(seq) if draw(st.booleans()) else None
    elif endpoint == "penalties":
        params["category"] = draw(st.none() | _LIVE_CATEGORIES)
        params["as_of"] = draw(seq) if draw(st.booleans()) else None
    elif endpoint == "events":
        params["since"] = draw(st.none() | seq)
    return endpoint, {k: v for k, v in params.items() if v is not None}


def cli_json(rally: Rally, endpoint: str, params: dict[str, str]) -> str | None:
    """The JSON ``standings show``/``stage -f json`` prints for the question, on ``rally``; None
    where it refuses."""
    number = {k: int(v) for k, v in params.items() if k in ("after", "stage", "waypoint", "as_of")}
    try:
        if endpoint == "standings":
            view: Any = classification(
                rally,
                params["category"],
                after=number.get("after"),
                waypoint=number.get("waypoint"),
                entry_class=params.get("class"),
                as_of=number.get("as_of"),
            )
        else:
            view = stage_ranking(
                rally,
                params["category"],
                number["stage"],
                waypoint=number.get("waypoint"),
                entry_class=params.get("class"),
                as_of=number.get("as_of"),
            )
    except RallyError:
        return None
    return render(view, "json")


# ---------------------------------------------------------------------- timing sheets


@st.composite
def sheets(
    draw: st.DrawFn, registered: Sequence[str], scheduled: Sequence[int]
) -> tuple[str, str, Request]:
    """A timing sheet (kind, CSV text, request): an entry list, a stage's results (with
    penalties, bonuses, DNF and DSQ), a corrected results sheet, or a stage's splits; mostly
    of ``registered`` entries at ``scheduled`` stages."""
    kind = draw(st.sampled_from(["results", "results", "corrections", "waypoints", "entries"]))
    known = [e for e in ENTRY_IDS if e not in registered] if kind == "entries" else registered
    mostly_known = bool(known) and draw(st.integers(0, 4)) > 0
    usual = st.sampled_from(known) if mostly_known else entry_ids
    chosen = draw(st.lists(usual, min_size=1, max_size=4, unique=True))
    mostly_scheduled = bool(scheduled) and draw(st.integers(0, 4)) > 0
    stage = draw(st.sampled_from(scheduled) if mostly_scheduled else stages)
    lines: list[str] = []
    if kind == "entries":
        lines.append("category,number,driver,class")
        for entry in chosen:
            category, number = entry.split(":")
            entry_class = draw(st.sampled_from((*CLASSES, "")))
            lines.append(f"{category},{number},Driver {category} {number},{entry_class}")
        return "entries", "\n".join(lines) + "\n", Request()
    if kind == "waypoints":
        lines.append("category,number,waypoint,time")
        for entry in chosen:
            category, number = entry.split(":")
            for waypoint in draw(st.lists(st.sampled_from(WAYPOINTS), min_size=1, unique=True)):
                lines.append(f"{category},{number},{waypoint},{format_time(draw(times))}")
        return "waypoints", "\n".join(lines) + "\n", Request(stage=stage)
    lines.append("category,number,time,penalty,penalty_reason,status,reason")
    request_corrections = kind == "corrections"
    amounts = [format_signed(amount) for amount in AMOUNTS]
    for entry in chosen:
        category, number = entry.split(":")
        status = draw(st.sampled_from(["", "", "", "DNF", "DSQ"])) if kind == "results" else ""
        time = "" if status else format_time(draw(times))
        penalty = "" if request_corrections else draw(st.sampled_from(["", "", *amounts]))
        why = "speeding" if penalty else ""
        lines.append(
            f"{category},{number},{time},{penalty},{why},{status},{'engine' if status else ''}"
        )
    request = Request(stage=stage, corrections=request_corrections)
    return "results", "\n".join(lines) + "\n", request


# ---------------------------------------------------------------------- the machine

DISTURBANCES = (
    *("reopen", "remove", "flip", "truncate", "swap", "swap", "crash", "crash", "crash"),
    *("backup", "backup", "restore under a writer", "restore under a writer"),
    *("overwrite in place", "same-size rewrite", "same-size rewrite", "damage"),
)
"""What ``disturb`` does to the files, each as often as it is listed."""

TORN_TAILS = ("zeros as long as the frame", "a few zeros", "a prefix of the frame")
"""What a crash leaves at the end of the log (docs/log-format.md)."""


def _refusal(write: Callable[[], object]) -> RallyError | None:
    """The error ``write()`` is refused with, or None when it is accepted."""
    try:
        write()
    except RallyError as error:
        return error
    return None


_MAX_KEPT = 6


class OneTruth(RuleBasedStateMachine):
    """A log written through every write path and read through every read path."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="one-truth-"))
        self.log = self.folder / "one.rallylog"
        self.events: list[Event] = []
        self.recorder: Recorder | None = None
        self.live: LiveRally | None = None
        self.loaded: list[tuple[Rally, tuple[Record, ...]]] = []
        self.kept: list[tuple[str, Standings, dict[str, Any]]] = []
        self.backups: list[tuple[bytes, list[Event]]] = []
        self.checkpoints: list[bytes] = []
        self.sheet_count = 0

    def teardown(self) -> None:
        self.close_recorder()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------------ model

    def records(self) -> tuple[Record, ...]:
        return read_records(self.log)

    def open_recorder(self, lag: int | None) -> Recorder:
        self.close_recorder()
        self.recorder = Recorder(self.log, checkpoint_lag=lag)
        return self.recorder

    def writer(self, data: st.DataObject) -> Recorder:
        if self.recorder is None:
            self.open_recorder(data.draw(st.sampled_from([None, 1, 2, 32]), label="lag"))
        assert self.recorder is not None
        return self.recorder

    def close_recorder(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None
            self.keep_checkpoint()

    def keep_checkpoint(self) -> None:
        path = checkpoint_path(self.log)
        if path.is_file() and not path.is_symlink():
            self.checkpoints = [*self.checkpoints[-5:], path.read_bytes()]

    def accepted(self, data: st.DataObject, *, tries: int = 10) -> Event | None:
        """A candidate the rules accept now, if one turns up in a few draws: one of any kind,
        or one aimed at what the log holds (``follow_ups``)."""
        records = self.records()
        fold = Fold().apply_all(records)
        for _ in range(tries):
            aimed = data.draw(st.booleans(), label="aimed")
            event = data.draw(
                follow_ups(View(fold, fold.last_seq)) if aimed else candidates(), label="candidate"
            )
            if accepts(records, [event]):
                return event
        return None

    def candidate(self, data: st.DataObject) -> Event:
        """A candidate: as often one the rules accept (when one turns up) as any at all."""
        if data.draw(st.booleans(), label="sought"):
            found = self.accepted(data)
            if found is not None:
                return found
        return data.draw(candidates(), label="event")

    def unchanged(self, before: bytes, what: str) -> None:
        assert self.log.read_bytes() == before, f"{what} changed the log"

    # ------------------------------------------------------------------ setup

    @initialize(data=st.data())
    def create(self, data: st.DataObject) -> None:
        create_log(
            self.log,
            RallyDeclared(rally_id="one", name="One Rally", year=2025, categories=CATEGORIES),
        )
        first = data.draw(st.integers(min_value=2, max_value=4), label="stages scheduled")
        batch: list[Event] = [
            StageScheduled(
                stage=n, rules=tuple(StageRule(c, StageKind.SPECIAL) for c in CATEGORIES)
            )
            for n in range(1, first + 1)
        ]
        for entry in data.draw(
            st.lists(entry_ids, min_size=5, max_size=8, unique=True), label="entries"
        ):
            category, number = entry.split(":")
            batch.append(
                EntryRegistered(
                    entry_id=entry,
                    category=category,
                    number=number,
                    crew=(Person(f"Driver {category} {number}"),),
                    entry_class=data.draw(st.sampled_from((*CLASSES, None)), label="class"),
                )
            )
        self.writer(data).append_many(batch)
        self.events = [r.event for r in self.records()]
        self.live = LiveRally(self.log)
        other = self.folder / "other.rallylog"  # another log, whose checkpoint may be swapped in
        shutil.copyfile(self.log, other)
        with Recorder(other, checkpoint_lag=1) as recorder:
            recorder.append(FieldCoverageDeclared(category="cars", stage=1, gc_known=1))
        self.checkpoints.append(checkpoint_path(other).read_bytes())
        self.check(data)

    # ------------------------------------------------------------------ writes

    @rule(data=st.data())
    def append_one(self, data: st.DataObject) -> None:
        """``Recorder.append``: accepted exactly when a fresh fold accepts; a refusal writes
        nothing."""
        recorder = self.writer(data)
        event = self.candidate(data)
        expected = accepts(self.records(), [event])
        before = self.log.read_bytes()
        refusal = _refusal(lambda: recorder.append(event))
        if refusal is not None:
            assert not expected, f"refused an event a fresh fold accepts: {refusal}"
            self.unchanged(before, "a refused append")
        else:
            assert expected, f"accepted an event a fresh fold refuses: {event}"
            self.events.append(event)
        self.check(data)

    @rule(data=st.data())
    def append_batch(self, data: st.DataObject) -> None:
        """``Recorder.append_many``: a batch is all or nothing; one event the rules refuse
        anywhere in it leaves the log byte-identical and the recorder as it was."""
        recorder = self.writer(data)
        records = self.records()
        batch: list[Event] = []
        size = data.draw(st.integers(min_value=2, max_value=5), label="size")
        fold = Fold().apply_all(records)
        for _ in range(3 * size):
            if len(batch) < size:
                aimed = data.draw(st.booleans(), label="aimed")
                event = data.draw(
                    follow_ups(View(fold, fold.last_seq)) if aimed else candidates(), label="event"
                )
                if accepts(records, [*batch, event]):
                    batch.append(event)
                    fold.apply(Record(fold.last_seq + 1, event))
        spoiled = data.draw(st.booleans(), label="spoiled")
        if spoiled:
            where = data.draw(st.integers(min_value=0, max_value=len(batch)), label="where")
            for _ in range(8):
                bad = data.draw(candidates(), label="refused event")
                if not accepts(records, [*batch[:where], bad]):
                    batch.insert(where, bad)
                    break
            else:
                spoiled = False
        if not batch:
            return
        before = self.log.read_bytes()
        refusal = _refusal(lambda: recorder.append_many(batch))
        if refusal is not None:
            assert spoiled, f"refused a batch a fresh fold accepts: {refusal}"
            self.unchanged(before, "a refused batch")
        else:
            assert not spoiled, "accepted a batch holding an event a fresh fold refuses"
            self.events += batch
        self.check(data)

    @rule(data=st.data())
    def record_command(self, data: st.DataObject) -> None:
        """``standings record LOG KIND …`` in-process (the recorder closed: it holds the
        lock): exit 0 and exactly the event, or one line, exit 2 and nothing written."""
        self.close_recorder()
        event = self.candidate(data)
        expected = accepts(self.records(), [event]) and not slipped(self.records(), event)
        before = self.log.read_bytes()
        code, out, err = run_captured(command_line(self.log, event))
        if expected:
            assert code == 0, err
            assert err == "" or err.startswith("standings: cut "), err
            assert self.records()[-1].event == event
            self.events.append(event)
        else:
            assert (code, out, err.count("\n")) == (2, "", 1), (code, out, err)
            self.unchanged(before, "a refused record command")
        self.open_recorder(data.draw(st.sampled_from([None, 1, 32]), label="lag"))
        self.check(data)

    @rule(data=st.data(), through_command=st.booleans())
    def import_timing_sheet(self, data: st.DataObject, through_command: bool) -> None:
        """A timing sheet, through ``import_sheet`` or ``record … --from``: one batch, the
        events a fresh fold makes of it, accepted exactly when a fresh fold accepts them."""
        records = self.records()
        folded = Fold().apply_all(records)
        fold = View(folded, folded.last_seq)
        registered = [entry.entry_id for entry in fold.entries()]
        kind, text, request = data.draw(sheets(registered, fold.stage_numbers()), label="sheet")
        self.sheet_count += 1
        path = self.folder / f"sheet{self.sheet_count}.csv"
        path.write_text(text, encoding="utf-8")
        try:
            placed = [item.event for item in sheet_events(fold, kind, read_sheet(path), request)]
            expected = (bool(placed) or request.corrections) and accepts(records, placed)
        except RallyError:
            placed, expected = [], False
        before = self.log.read_bytes()
        if through_command:
            self.close_recorder()
            argv = ["record", str(self.log), kind, "--from", str(path)]
            argv += [] if request.stage is None else ["--stage", str(request.stage)]
            argv += ["--corrections"] if request.corrections else []
            code, _, err = run_captured(argv)
            assert code == (0 if expected else 2), err
            if not expected:
                assert err.count("\n") == 1, err
            self.open_recorder(data.draw(st.sampled_from([None, 1, 32]), label="lag"))
        else:
            writer = self.writer(data)
            refusal = _refusal(lambda: import_sheet(writer, kind, path, request=request))
            assert (refusal is None) == expected, f"a fresh fold says {expected}: {refusal}"
        if expected:
            assert [r.event for r in self.records()[len(records) :]] == placed
            self.events += placed
        else:
            self.unchanged(before, "a refused sheet")
        self.check(data)

    @rule(data=st.data())
    def write_checkpoint(self, data: st.DataObject) -> None:
        """A recorder with ``checkpoint_lag=1`` appends and closes: it writes the checkpoint."""
        self.close_recorder()
        event = self.accepted(data)
        if event is not None:
            with Recorder(self.log, checkpoint_lag=1) as recorder:
                recorder.append(event)
            self.events.append(event)
            self.keep_checkpoint()
        self.check(data)

    @rule(
        data=st.data(),
        how=st.sampled_from(DISTURBANCES),
    )
    def disturb(self, data: st.DataObject, how: str) -> None:
        """Something done to the files rather than an event recorded: a recorder reopened,
        the checkpoint removed, damaged or swapped, a crashed append (a torn tail, the server
        polling, the append retried), a backup taken or put back (renamed over the log under
        a writer, or written over it in place), the log rewritten in place with other events
        of the same size, or damaged and repaired."""
        if how in ("restore under a writer", "overwrite in place") and not self.backups:
            how = "backup"
        if how == "reopen":
            self.reopen_recorder(data, data.draw(st.sampled_from([None, 1, 2, 32]), label="lag"))
        elif how in ("remove", "flip", "truncate", "swap"):
            self.touch_checkpoint(data, how)
        elif how == "crash":
            self.crash(data)
        elif how == "backup":
            self.backup(data)
        elif how == "restore under a writer":
            self.restore_under_a_writer(data)
        elif how == "overwrite in place":
            self.overwrite_in_place(data)
        elif how == "same-size rewrite":
            self.same_size_rewrite(data)
        else:
            self.damage(data)

    def reopen_recorder(self, data: st.DataObject, lag: int | None) -> None:
        """The recorder closes (writing a checkpoint if it lags by ``checkpoint_lag``) and
        another opens, from the checkpoint when it matches; ``None``: a writer that never
        writes one, so the checkpoint goes stale."""
        self.open_recorder(lag)
        self.check(data)

    def touch_checkpoint(self, data: st.DataObject, how: str) -> None:
        """The checkpoint removed, damaged (a flipped byte, cut short) or swapped (one of an
        earlier state of this log, or of another log, copied beside it)."""
        path = checkpoint_path(self.log)
        if how == "swap" and self.checkpoints:
            path.write_bytes(data.draw(st.sampled_from(self.checkpoints), label="checkpoint"))
        elif path.is_file():
            raw = bytearray(path.read_bytes())
            if how == "remove" or not raw:
                path.unlink()
            elif how == "flip":
                where = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="byte")
                raw[where] ^= 1 << data.draw(st.integers(min_value=0, max_value=7), label="bit")
                path.write_bytes(bytes(raw))
            else:
                path.write_bytes(bytes(raw[: data.draw(st.integers(0, len(raw) - 1), label="cut")]))
        self.check(data)

    def crash(self, data: st.DataObject) -> None:
        """A writer killed in an append leaves a torn tail (a prefix of its frame, or zeros
        as long as the frame or shorter) that every reader ignores; the server polls; then
        the append may be retried, cutting the tail off (the same event: the file has the
        same size as with the tail when it was all zeros)."""
        self.close_recorder()
        assert self.live is not None
        if not scan_file(self.log).torn_bytes:  # a crash leaves one; the next append cuts it
            event = self.candidate(data)
            frame = encode_log([Record(len(self.events) + 1, event)])[len(HEADER) :]
            shape = data.draw(st.sampled_from(TORN_TAILS), label="torn tail")
            if shape == "a prefix of the frame":
                cut = st.integers(min_value=1, max_value=len(frame) - 1)
                tail = frame[: data.draw(cut, label="cut")]
            else:
                tail = bytes(len(frame) if shape == "zeros as long as the frame" else 7)
            with open(self.log, "ab") as handle:
                handle.write(tail)
            self.live.refresh()
            if data.draw(st.booleans(), label="retried") and accepts(self.records(), [event]):
                with Recorder(self.log, checkpoint_lag=None) as retry:
                    retry.append(event)
                self.events.append(event)
        self.open_recorder(data.draw(st.sampled_from([None, 1, 32]), label="lag"))
        self.check(data)

    def damage(self, data: st.DataObject) -> None:
        """A flipped bit in the log, in a frame every reader has read: every reader refuses
        the log (the server answers 503), until the byte is put back."""
        self.close_recorder()
        assert self.live is not None
        sound = self.log.read_bytes()
        end = scan_file(self.log).valid_end
        where = data.draw(st.integers(min_value=0, max_value=end - 1), label="damaged byte")
        with open(self.log, "r+b") as handle:
            handle.seek(where)
            handle.write(bytes([sound[where] ^ (1 << data.draw(st.integers(0, 7), label="bit"))]))
        refused = [_refusal(self.records), _refusal(lambda: load(self.log))]
        refused.append(_refusal(lambda: Recorder(self.log).close()))
        assert all(refused), "a reader read a damaged log"
        self.live.refresh()
        for endpoint, params in (("rally", {}), ("standings", {"category": "cars"})):
            assert self.live.answer(endpoint, params).status == 503, "the server read damage"
        with open(self.log, "r+b") as handle:
            handle.write(sound)
        self.open_recorder(data.draw(st.sampled_from([None, 1, 32]), label="lag"))
        self.check(data)

    def same_size_rewrite(self, data: st.DataObject) -> None:
        """The log overwritten in place by another log of the same size (``cp OTHER LOG``):
        one time of one frame changed to another of the same encoded length."""
        self.close_recorder()
        scan = scan_file(self.log)
        timed = [
            (index, record)
            for index, frame in enumerate(scan.frames)
            for record in frame.records(where=str(self.log))
            if isinstance(record.event, StageResultRecorded | ResultCorrected | WaypointRecorded)
        ]
        if timed:
            index, record = data.draw(st.sampled_from(timed), label="record")
            start = scan.ends[index - 1] if index else len(HEADER)
            for time_ms in data.draw(st.permutations(TIMES), label="times"):
                timed_event: Any = record.event
                changed = attrs.evolve(record, event=attrs.evolve(timed_event, time_ms=time_ms))
                frame = scan.frames[index].records(where=str(self.log))
                rewritten = frame_bytes(
                    encode_frame([changed if r.seq == record.seq else r for r in frame])
                )
                events = list(self.events)
                events[record.seq - 1] = changed.event
                if (
                    changed != record
                    and len(rewritten) == scan.ends[index] - start
                    and accepts([Record(1, events[0])], events[1:])
                ):
                    with open(self.log, "r+b") as handle:
                        handle.seek(start)
                        handle.write(rewritten)
                    self.events = events
                    break
        self.open_recorder(data.draw(st.sampled_from([None, 1, 32]), label="lag"))
        self.check(data)

    def backup(self, data: st.DataObject) -> None:
        """A copy of the log as it stands (to be put back later)."""
        self.backups = [*self.backups[-3:], (self.log.read_bytes(), list(self.events))]
        self.loaded = [*self.loaded[-2:], (load(self.log), self.records())]
        self.check(data)

    def restore_under_a_writer(self, data: st.DataObject) -> None:
        """A backup renamed over the log while a writer that just appended holds it, then
        the writer closes (with ``checkpoint_lag=1``: it would write a checkpoint)."""
        content, events = data.draw(st.sampled_from(self.backups), label="backup")
        self.close_recorder()
        holder = Recorder(self.log, checkpoint_lag=1)
        try:
            event = self.accepted(data)
            if event is not None:
                holder.append(event)
            replacement = self.folder / ".restored.tmp"
            replacement.write_bytes(content)
            os.replace(replacement, self.log)
        finally:
            holder.close()
        self.events = list(events)
        self.open_recorder(data.draw(st.sampled_from([None, 1, 32]), label="lag"))
        self.check(data)

    def overwrite_in_place(self, data: st.DataObject) -> None:
        """A backup's bytes written over the log in place (same file, ``cp BACKUP LOG``)."""
        content, events = data.draw(st.sampled_from(self.backups), label="backup")
        self.close_recorder()
        with open(self.log, "r+b") as handle:
            handle.write(content)
            handle.truncate(len(content))
        self.events = list(events)
        self.open_recorder(data.draw(st.sampled_from([None, 1, 32]), label="lag"))
        self.check(data)

    # ------------------------------------------------------------------ reads

    def check(self, data: st.DataObject) -> None:
        """Every read path against the truth, in an order drawn at random."""
        records = self.records()
        assert [r.event for r in records] == self.events, "the log is not the events accepted"
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        truth = fresh(records, source=str(self.log))
        assert nonpositive_times(truth) == [], "a time of zero or less"
        framing = check_file(self.log)  # every frame, checksum and seq (the rules: ``fresh``)
        assert not framing.damaged, framing.problems
        state = Fold().apply_all(records).snapshot()

        paths: dict[str, tuple[Rally, Sequence[Record]]] = {"load": (load(self.log), records)}
        if self.recorder is not None:
            paths["recorder"] = (self.recorder.rally, records)
            assert self.recorder.rally.snapshot() == state, "the recorder's fold is not the log's"
        assert paths["load"][0].snapshot() == state, "load() is not a fresh fold"
        for index, earlier in enumerate(self.loaded):
            paths[f"loaded {index}"] = earlier

        steps: dict[str, Callable[[], None]] = {"kept standings": self.check_kept}
        truths: dict[tuple[object, ...], tuple[object, ...]] = {}
        inside = [f.first_seq for f in scan_file(self.log).frames if f.count > 1]
        for _ in range(data.draw(st.integers(min_value=1, max_value=5), label="questions")):
            question = data.draw(questions, label="question")
            for name in sorted(paths):
                rally, seen = paths[name]
                seqs = st.none() | st.integers(1, len(seen))
                if seen is records and inside:  # inside a batch: the first record of one
                    seqs |= st.sampled_from(inside)
                as_of = data.draw(seqs, label="as_of")
                step = f"{len(steps)}: {name} {question} as of {as_of}"
                steps[step] = self.asker(name, rally, seen, question, as_of, truths)
        steps["server"] = lambda: self.check_live(data, records)
        for step in data.draw(st.permutations(sorted(steps)), label="order"):
            steps[step]()
        self.keep(data, paths, records)

    def asker(
        self,
        name: str,
        rally: Rally,
        seen: Sequence[Record],
        question: Question,
        as_of: int | None,
        truths: dict[tuple[object, ...], tuple[object, ...]],
    ) -> Callable[[], None]:
        """Ask ``rally`` the question as of ``as_of``, and a new ``Rally`` of the first
        ``as_of`` records of ``seen`` (asked once for every path that saw the same records)."""

        def ask() -> None:
            got = answer(rally, question, as_of)
            key = (question, len(seen) if as_of is None else as_of, seen[-1].seq, id(seen))
            if key not in truths:
                truths[key] = answer(fresh(seen, as_of, source=str(self.log)), question, None)
            assert got == truths[key], f"{name} {question} as of {as_of}"

        return ask

    def check_live(self, data: st.DataObject, records: Sequence[Record]) -> None:
        """The server following the log answers exactly as one started now on its bytes, and
        each standings or stage answer is the command line's JSON of a fresh fold."""
        assert self.live is not None
        self.live.refresh()
        copy = self.folder / "fresh" / self.log.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(self.log.read_bytes())
        started = LiveRally(copy)
        truth = fresh(records, source=self.log.name)
        for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="live questions")):
            endpoint, params = data.draw(live_questions(len(records)), label="GET")
            got, expected = self.live.answer(endpoint, params), started.answer(endpoint, params)
            assert (got.status, got.body) == (expected.status, expected.body), (endpoint, params)
            if endpoint in ("standings", "stage") and got.status == 200:
                assert got.body.decode() == cli_json(truth, endpoint, params), (endpoint, params)

    def keep(
        self,
        data: st.DataObject,
        paths: dict[str, tuple[Rally, Sequence[Record]]],
        records: Sequence[Record],
    ) -> None:
        """Keep a standings handed out now (its rows read now, or not until later) with what
        the truth says now."""
        if not data.draw(st.booleans(), label="keep a standings"):
            return
        names = sorted(paths) + (["recorder", "recorder"] if "recorder" in paths else [])
        name = data.draw(st.sampled_from(names), label="from")
        rally, seen = paths[name]
        category = data.draw(st.sampled_from(CATEGORIES), label="category")
        after = data.draw(st.sampled_from([None, None, *STAGES]), label="after")
        try:
            expected = plain_standings(fresh(seen, source=str(self.log)).standings(category, after))
        except RallyError:
            return
        standings = rally.standings(category, after)
        read = data.draw(st.booleans(), label="read now")
        if read:
            assert plain_standings(standings) == expected, f"{name} {category} after {after}"
        what = f"{name} {category} after {after}, {'read' if read else 'not read'} when handed out"
        self.kept = [*self.kept[-(_MAX_KEPT - 1) :], (what, standings, expected)]

    def check_kept(self) -> None:
        """Each standings kept says what the truth said when it was handed out."""
        for what, standings, expected in self.kept:
            said = plain_standings(standings)
            assert said == expected, f"a standings handed out earlier is not the truth then: {what}"


OneTruth.TestCase.settings = settings(
    max_examples=examples(10),
    stateful_step_count=50 if helpers.THOROUGH else 25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
    phases=list(Phase) if helpers.THOROUGH else [p for p in Phase if p is not Phase.shrink],
)
"""10 examples of up to 25 steps (about 5 s on two cores); ten times the examples and 50
steps under ``--run-slow``. Shrinking a failure of this machine takes minutes, so only
``--run-slow`` shrinks: the default suite reports the failing steps as they were drawn (and
the example database replays them first on the next run)."""
TestOneTruth = OneTruth.TestCase
