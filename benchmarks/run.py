"""Benchmark the engine on the work a user pays for, beside what a user would pick instead.

    python -m benchmarks.run [--scales small,results,live,serve] [--output FILE] [--repeat N]
    python -m benchmarks.run --docs      # write the table of --output into docs/performance.md

Workloads (generated once with ``standings synth`` into ``benchmarks/.cache``):

* ``small``: the shipped ``dakar-2004`` log, and a results-heavy 400 x 15;
* ``results``: results-heavy rallies, cars only, no waypoints: 2000 x 100 and
  5000 x 200 (a million entry-stages);
* ``live``: a Dakar-sized rally followed live: 800 entries in three categories,
  15 stages, 40 waypoint splits per entry and stage;
* ``serve``: on that rally, a timing sheet's import, the standings at a waypoint
  and ``standings serve`` under 200 clients (``benchmarks/serve.py``).

Everything but ``serve`` runs pinned to one core (polars limited to one thread);
the server and its load clients run unpinned, as separate processes. For every
synthetic workload the suite first checks that the polars and eventsourcing
routes give exactly the engine's standings, so the routes do the same work: read
the log and give the position and time of every entry after every stage.
In-process figures are the best of ``--repeat`` runs; whole-process figures and
live updates are medians (and p99) of many. No figure here is asserted by a
test: the test suite only runs the smallest scale, for the JSON's shape.
"""

from __future__ import annotations

import argparse
import contextlib
import gc as garbage
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import attrs

from benchmarks._alternatives import (
    GC,
    dataframe_gc,
    eventsourcing_gc,
    eventsourcing_store,
    msgpack_floor,
)
from benchmarks._logs import LIVE, cached_log, compiled
from rally_standings.engine import (
    Rally,
    Recorder,
    checkpoint_path,
    create_log,
    load,
    what_if,
    what_if_all_stages,
    write_checkpoint,
)
from rally_standings.events import (
    Event,
    PenaltyImposed,
    RallyDeclared,
    Record,
    StageResultRecorded,
    format_time,
)
from rally_standings.outputs.progress import progress
from rally_standings.replays import shipped_logs
from rally_standings.replays.build_dakar import rewrite_sections
from rally_standings.replays.synth import SynthSpec, write_synth

__all__ = ["SCALES", "Workload", "engine_gc", "main", "run"]

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs" / "performance.md"


@attrs.frozen
class Workload:
    """A log to measure: a shipped one by name, or a synthetic one by its spec."""

    name: str
    spec: SynthSpec | None = None
    live: bool = False
    """Measure the live operations too (updates, record, history)."""
    checks: bool = False
    """Measure ``standings log check`` and ``log repair`` beside ``show`` (whole processes)."""


SCALES: dict[str, list[Workload]] = {
    "small": [
        Workload("dakar-2004"),
        Workload("results 400x15", SynthSpec(entries=400, stages=15, categories=("cars",))),
    ],
    "results": [
        Workload("results 2000x100", SynthSpec(entries=2000, stages=100, categories=("cars",))),
        Workload(
            "results 4000x100",
            SynthSpec(entries=4000, stages=100, categories=("cars",)),
            checks=True,
        ),
        Workload("results 5000x200", SynthSpec(entries=5000, stages=200, categories=("cars",))),
    ],
    "live": [Workload("live 800x15, 40 waypoints", LIVE, live=True)],
}

_PROCESS_RUNS = 7
"""Runs of each whole-process measure (a median is taken)."""
_LIVE_UPDATES = 1000
"""Live updates measured in memory (200 of them durably)."""
_RECORD_RUNS = 15
"""`standings record` processes measured."""


def _one_core() -> None:
    os.environ["POLARS_MAX_THREADS"] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


@contextlib.contextmanager
def _every_core() -> Iterator[None]:
    """Unpinned for a while: a server and its clients are separate processes, as deployed."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    pinned = os.sched_getaffinity(0)
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    try:
        yield
    finally:
        os.sched_setaffinity(0, pinned)


def _log_for(workload: Workload) -> Path:
    """The workload's log, generated into the cache once; never with a checkpoint beside it."""
    if workload.spec is None:
        return shipped_logs()[workload.name]
    return cached_log(workload.spec)


def _best(function: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs (the least disturbed by the machine), in seconds."""
    times = []
    for _ in range(repeat):
        garbage.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def _quantiles(samples: list[float]) -> tuple[float, float]:
    """Median and 99th percentile of ``samples`` (seconds)."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def engine_gc(path: Path) -> GC:
    """Open the log and give the GC after every stage of every category (the engine's way)."""
    rally = load(path)
    out: GC = {}
    for category in rally.categories:
        for standings in rally.replay(category):
            out[(category, standings.after_stage)] = [
                (entry_id, time_ms, position)
                for entry_id, time_ms, position, _ in standings.positions()
            ]
    return out


# ---------------------------------------------------------------------- whole processes

_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _standings_script() -> str:
    return shutil.which("standings") or str(Path(sys.executable).with_name("standings"))


def _wall(command: list[str]) -> float:
    """Wall time of one run of ``command``, its output discarded."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _process(command: list[str], runs: int = _PROCESS_RUNS) -> tuple[float, float]:
    """Median wall time of ``command`` over ``runs`` runs, and its peak RSS in MB."""
    samples = [_wall(command) for _ in range(runs)]
    rss = subprocess.run(
        [sys.executable, "-c", _RSS_WRAPPER, *command], capture_output=True, text=True, check=True
    )
    return statistics.median(samples), int(rss.stdout.strip()) / 1024


def _route_rss(path: Path, route: str) -> float:
    """Peak RSS (MB) of a fresh process that only does one route's GC of every stage."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from benchmarks.run import _route\n"
        f"_route({route!r})(Path({str(path)!r}))\n"
        # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the parent's peak across exec
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=HERE.parent
    )
    return int(proc.stdout.strip().splitlines()[-1]) / 1024


def _route(name: str) -> Callable[[Path], object]:
    routes: dict[str, Callable[[Path], object]] = {
        "engine": engine_gc,
        "dataframe": dataframe_gc,
        "msgpack": msgpack_floor,
    }
    return routes[name]


# ---------------------------------------------------------------------- rows


@attrs.frozen
class _Size:
    events: int
    results: int
    entry_stages: int
    waypoints: int


def _size(rally: Rally) -> _Size:
    fold = rally.fold
    return _Size(
        events=rally.last_seq,
        results=fold.result_count,
        entry_stages=fold.entry_count * len(fold.stage_numbers()),
        waypoints=fold.split_count(),
    )


def _row(
    workload: str,
    size: _Size,
    measure: str,
    seconds: float,
    *,
    work: bool = True,
    p99: float | None = None,
    rss: float | None = None,
    ratio_vs: dict[str, float | None] | None = None,
) -> dict[str, Any]:
    """One measured figure. ``work``: it processes the whole log (so per-result rates mean
    something)."""
    return {
        "scale": workload,
        "measure": measure,
        "seconds": seconds,
        "p99_seconds": p99,
        "events": size.events,
        "results": size.results,
        "entry_stages": size.entry_stages,
        "waypoints": size.waypoints,
        "events_per_s": size.events / seconds if work and seconds > 0 else None,
        "per_result_us": seconds / size.results * 1e6 if work and size.results else None,
        "per_entry_stage_us": (
            seconds / size.entry_stages * 1e6 if work and size.entry_stages else None
        ),
        "peak_rss_mb": rss,
        "ratio_vs": ratio_vs or {},
    }


def _ratios(seconds: float, baseline: dict[str, float]) -> dict[str, float | None]:
    return {name: seconds / value for name, value in baseline.items()}


# ---------------------------------------------------------------------- the measures


def _routes(
    workload: Workload, path: Path, size: _Size, repeat: int, check: bool
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Open + GC after every stage: the engine, polars, eventsourcing and the msgpack floor."""
    name = workload.name
    times = {
        "engine": _best(partial(engine_gc, path), repeat),
        "msgpack_floor": _best(partial(msgpack_floor, path), repeat),
    }
    if workload.spec is not None:
        expected = engine_gc(path)
        app, aggregate_id = eventsourcing_store(path)
        if check:
            for other, found in (
                ("dataframe", dataframe_gc(path)),
                ("eventsourcing", eventsourcing_gc(app, aggregate_id)),
            ):
                if found != expected:
                    raise SystemExit(f"{name}: the {other} route gives other standings")
        times["dataframe"] = _best(partial(dataframe_gc, path), repeat)
        times["eventsourcing"] = _best(partial(eventsourcing_gc, app, aggregate_id), 1)
        del app
        with tempfile.TemporaryDirectory() as folder:  # as a recorder leaves a large log
            kept = Path(folder) / path.name
            shutil.copyfile(path, kept)
            write_checkpoint(kept)
            times["engine_checkpoint"] = _best(partial(engine_gc, kept), repeat)
    baseline = {k: v for k, v in times.items() if not k.startswith("engine")}
    labels = {
        "engine": "engine: open + GC after every stage",
        "engine_checkpoint": "engine: open + GC after every stage, checkpoint beside the log",
        "dataframe": "dataframe (polars): read + GC after every stage",
        "eventsourcing": "eventsourcing: replay aggregate + GC every stage",
        "msgpack_floor": "msgpack floor: decode the log, nothing else",
    }
    rss_route = {"engine": "engine", "dataframe": "dataframe", "msgpack_floor": "msgpack"}
    rows = [
        _row(
            name,
            size,
            labels[route],
            seconds,
            rss=_route_rss(path, rss_route[route]) if route in rss_route else None,
            ratio_vs=_ratios(seconds, baseline),
        )
        for route, seconds in times.items()
    ]
    return rows, times


def _leader_penalty(rally: Rally, category: str, stage: int) -> list[Event]:
    leader = rally.standings(category, stage).leader
    assert leader is not None
    return [
        PenaltyImposed(
            penalty_id="bench-what-if",
            entry_id=leader.entry_id,
            stage=stage,
            amount_ms=600_000,
            reason="benchmark",
            gc_only=True,
        )
    ]


def _what_ifs(
    name: str, rally: Rally, size: _Size, repeat: int, full: float
) -> list[dict[str, Any]]:
    """A what-if at the first and the last stage, and --all-stages from the first."""
    category = max(rally.categories, key=lambda c: len(rally.entries(c)))
    stages = [s.after_stage for s in rally.replay(category)]
    rows = []
    for which, stage in (("first", stages[0]), ("last", stages[-1])):
        events = _leader_penalty(rally, category, stage)
        seconds = _best(partial(what_if, rally, category, events, after=stages[-1]), repeat)
        rows.append(
            _row(
                name,
                size,
                f"engine: what-if, penalty at the {which} stage ({stage})",
                seconds,
                work=False,
                ratio_vs={"full_replay": seconds / full},
            )
        )
    events = _leader_penalty(rally, category, stages[0])
    seconds = _best(partial(what_if_all_stages, rally, category, events), repeat)
    rows.append(
        _row(
            name,
            size,
            "engine: whatif --all-stages, penalty at the first stage",
            seconds,
            work=False,
            ratio_vs={"full_replay": seconds / full},
        )
    )
    return rows


def _processes(
    workload: Workload, path: Path, size: _Size, rally: Rally, startup: float
) -> list[dict[str, Any]]:
    """`standings show` (last stage) and `standings replay -f json`, whole processes, on the
    log with the checkpoint a recorder leaves beside it; `show` also without one."""
    script = _standings_script()
    category = max(rally.categories, key=lambda c: len(rally.entries(c)))
    name = workload.name
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / path.name
        shutil.copyfile(path, log)
        write_checkpoint(log)
        show, show_rss = _process([script, "show", str(log), "-c", category])
        replay, replay_rss = _process(
            [script, "replay", str(log), "-c", category, "-f", "json"], max(1, _PROCESS_RUNS // 2)
        )
    cold, cold_rss = _process([script, "show", str(path), "-c", category])
    show_measure = f"standings show LOG -c {category} (whole process, checkpoint beside the log)"
    cold_measure = f"standings show LOG -c {category} (whole process, no checkpoint: a full fold)"
    replay_measure = f"standings replay LOG -c {category} -f json (whole process, checkpoint)"
    return [
        _row(
            name,
            size,
            show_measure,
            show,
            rss=show_rss,
            ratio_vs={"show dakar-2004": show / startup},
        ),
        _row(
            name,
            size,
            cold_measure,
            cold,
            rss=cold_rss,
            ratio_vs={"show dakar-2004": cold / startup},
        ),
        _row(
            name,
            size,
            replay_measure,
            replay,
            rss=replay_rss,
            ratio_vs={"show": replay_rss / show_rss},
        ),
    ]


def _open_stage_log(path: Path, folder: Path) -> tuple[Path, list[Record], int]:
    """A copy of the log without the last stage's results (the stage being run), and those."""
    records = list(load(path).iter_records())
    last = max(r.event.stage for r in records if isinstance(r.event, StageResultRecorded))
    kept = [
        r.event
        for r in records
        if not (isinstance(r.event, StageResultRecorded) and r.event.stage == last)
    ]
    pending = [
        r for r in records if isinstance(r.event, StageResultRecorded) and r.event.stage == last
    ]
    target = folder / "open.rallylog"
    first = kept[0]
    assert isinstance(first, RallyDeclared)
    create_log(target, first)
    with Recorder(target, checkpoint_lag=1) as recorder:
        recorder.append_many(kept[1:])
    return target, pending, last


def _updates(pending: list[Record], stage: int, rally: Rally) -> list[Event]:
    """The live stream: the stage's results, then penalties on it, up to 1000 updates."""
    events: list[Event] = [r.event for r in pending][:_LIVE_UPDATES]
    entries = [e.entry_id for e in rally.entries()]
    index = 0
    while len(events) < _LIVE_UPDATES:
        events.append(
            PenaltyImposed(
                penalty_id=f"live-{index}",
                entry_id=entries[index % len(entries)],
                stage=stage,
                amount_ms=1_000 * (1 + index % 30),
                reason="benchmark",
                gc_only=index % 2 == 0,
            )
        )
        index += 1
    return events


_DURABLE_UPDATES = (
    "engine: live update, durable (append one event with fsync, then that stage's GC and "
    "leader; 200 updates)"
)


def _record_command(script: str, log: Path, rally: Rally, record: Record) -> list[str]:
    """``standings record LOG result …`` recording ``record``'s stage result anew."""
    event = record.event
    assert isinstance(event, StageResultRecorded)
    entry = rally.fold.entry(event.entry_id)
    assert entry is not None
    return [
        script,
        "record",
        str(log),
        "result",
        "-c",
        entry.category,
        "--stage",
        str(event.stage),
        "--entry",
        entry.number or entry.entry_id,
        "--time",
        format_time(event.time_ms),
    ]


def _latency_row(name: str, size: _Size, measure: str, samples: list[float]) -> dict[str, Any]:
    """A figure of single operations: the median of ``samples``, and their 99th percentile."""
    median, p99 = _quantiles(samples)
    return _row(name, size, measure, median, work=False, p99=p99)


def _live(workload: Workload, path: Path, size: _Size, processes: bool) -> list[dict[str, Any]]:
    """The live operations on the stage being run: updates in process, record, history."""
    name = workload.name
    script = _standings_script()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        log, pending, stage = _open_stage_log(path, Path(folder))
        rally = load(log)
        events = _updates(pending, stage, rally)
        category_of = {e.entry_id: e.category for e in rally.entries()}

        def category_of_event(event: Event) -> str:
            entry_id: str = getattr(event, "entry_id")  # noqa: B009
            return category_of[entry_id]

        for each in rally.categories:  # a rally that is being followed has its GC at hand
            rally.standings(each, stage - 1)
        samples = []
        seq = rally.last_seq
        for event in events:
            seq += 1
            start = time.perf_counter()
            rally.extend([Record(seq, event)])
            standings = rally.standings(category_of_event(event), stage)
            assert standings.leader is not None
            samples.append(time.perf_counter() - start)
        in_memory = (
            f"engine: live update in memory (fold one of {len(events)} events on the open "
            "stage, then that stage's GC and leader)"
        )
        rows.append(_latency_row(name, size, in_memory, samples))
        durable = Path(folder) / "durable.rallylog"
        shutil.copyfile(log, durable)
        shutil.copyfile(checkpoint_path(log), checkpoint_path(durable))
        samples = []
        with Recorder(durable) as recorder:
            for each in recorder.rally.categories:
                recorder.rally.standings(each, stage - 1)
            for event in events[: max(1, _LIVE_UPDATES // 5)]:
                start = time.perf_counter()
                recorder.append(event)
                standings = recorder.rally.standings(category_of_event(event), stage)
                assert standings.leader is not None
                samples.append(time.perf_counter() - start)
        rows.append(_latency_row(name, size, _DURABLE_UPDATES, samples))
        if not processes:
            return rows
        record_samples = []
        for record in pending[:_RECORD_RUNS]:
            command = _record_command(script, log, rally, record)
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
            record_samples.append(time.perf_counter() - start)
        rows.append(
            _latency_row(
                name,
                size,
                "standings record LOG result … (whole process, checkpoint beside the log)",
                record_samples,
            )
        )
        checkpoint_path(log).unlink(missing_ok=True)
        command = _record_command(script, log, rally, pending[_RECORD_RUNS])
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        rows.append(
            _row(
                name,
                size,
                "standings record LOG result … (whole process, no checkpoint: a full fold)",
                time.perf_counter() - start,
                work=False,
            )
        )
    full = load(path)
    category = max(full.categories, key=lambda c: len(full.entries(c)))
    last = full.default_stage(category)
    runs = max(1, _PROCESS_RUNS // 2)
    history, _ = _process(
        [script, "history", str(path), "-c", category, "--after", str(last), "-f", "json"], runs
    )
    replay, _ = _process([script, "replay", str(path), "-c", category, "-f", "json"], runs)
    rows.append(
        _row(
            name,
            size,
            f"standings history LOG -c {category} --after {last} -f json (whole process)",
            history,
            ratio_vs={"replay": history / replay},
        )
    )
    return rows


def _appends(name: str, path: Path, spec: SynthSpec, size: _Size) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "batched.rallylog"
        start = time.perf_counter()
        write_synth(target, spec)
        rows.append(
            _row(
                name,
                size,
                "engine: appends, batched (5000 a batch, validated)",
                time.perf_counter() - start,
            )
        )
        copy = Path(folder) / "durable.rallylog"
        shutil.copyfile(path, copy)
        with Recorder(copy) as recorder:
            entry = recorder.fold.entries()[0].entry_id
            stage = recorder.fold.stage_numbers()[-1]
            count = 200
            start = time.perf_counter()
            for n in range(count):
                recorder.append(
                    PenaltyImposed(
                        penalty_id=f"bench-{n}",
                        entry_id=entry,
                        stage=stage,
                        amount_ms=1000,
                        reason="benchmark",
                    )
                )
            seconds = (time.perf_counter() - start) / count
        rows.append(
            _row(name, size, "engine: one append, fsync'd (mean of 200)", seconds, work=False)
        )
    return rows


def _startup() -> dict[str, Any]:
    python = sys.executable
    runs = 2 * _PROCESS_RUNS + 1
    bare = [python, "-c", "import attrs, cattrs, msgpack"]
    command = [_standings_script(), "show", "dakar-2004", "--category", "cars"]
    # The two are sampled in turn, so a drift in the machine's speed during the run
    # (caches, other work, the heavy workloads just before) weighs on both alike.
    pairs = [(_wall(bare), _wall(command)) for _ in range(runs)]
    base = statistics.median(b for b, _ in pairs)
    show = statistics.median(s for _, s in pairs)
    _, rss = _process(command, 1)
    row = _row(
        "process",
        _Size(0, 0, 0, 0),
        "standings show dakar-2004 --category cars (whole process)",
        show,
        work=False,
        rss=rss,
    )
    row["ratio_vs"] = {"import attrs, cattrs, msgpack": show / base}
    row["baseline_seconds"] = base
    return row


def _measure(
    workload: Workload, repeat: int, check: bool, startup: float, processes: bool
) -> list[dict[str, Any]]:
    path = _log_for(workload)
    rally = load(path)
    size = _size(rally)
    rows, times = _routes(workload, path, size, repeat, check)
    for each in rally.categories:
        rally.replay(each)
    rows += _what_ifs(workload.name, rally, size, repeat, times["engine"])
    if workload.spec is not None:
        if processes:
            rows += _processes(workload, path, size, rally, startup)
        rows += _appends(workload.name, path, workload.spec, size)
    if workload.live:
        rows += _live(workload, path, size, processes)
    if workload.checks and processes:
        rows += _checks(workload, path, size)
    return rows


def _checks(workload: Workload, path: Path, size: _Size) -> list[dict[str, Any]]:
    """`standings log check` and `log repair` on a log with no checkpoint beside it, beside
    `standings show` on the same log (a full fold each): whole processes."""
    script = _standings_script()
    runs = max(1, _PROCESS_RUNS // 2)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / path.name
        shutil.copyfile(path, log)
        show, show_rss = _process([script, "show", str(log), "-c", "cars"], runs)
        check, check_rss = _process([script, "log", "check", str(log)], runs)
        repaired = Path(folder) / "repaired.rallylog"
        repair: list[float] = []
        for _ in range(runs):
            repaired.unlink(missing_ok=True)
            repair.append(_wall([script, "log", "repair", str(log), "-o", str(repaired)]))
    name = workload.name
    return [
        _row(
            name,
            size,
            "standings show LOG -c cars (whole process, no checkpoint)",
            show,
            rss=show_rss,
        ),
        _row(
            name,
            size,
            "standings log check LOG (whole process)",
            check,
            rss=check_rss,
            ratio_vs={"show": check / show},
        ),
        _row(
            name,
            size,
            "standings log repair LOG -o NEW (whole process, a sound log)",
            statistics.median(repair),
            ratio_vs={"show": statistics.median(repair) / show},
        ),
    ]


def run(
    scales: list[str],
    repeat: int,
    *,
    check: bool = True,
    processes: bool = True,
    advance: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """Run the suite; returns the JSON document (machine + results).

    ``processes=False`` leaves out the measures that start whole ``standings``
    processes (the quick smoke run of the test suite).
    """
    _one_core()
    startup = _startup() if processes else None
    results: list[dict[str, Any]] = []
    for scale in scales:
        for workload in SCALES.get(scale, []):
            if advance is not None:
                advance(0, description=f"benchmarking {workload.name}")
            seconds = startup["seconds"] if startup is not None else 0.0
            results.extend(_measure(workload, repeat, check, seconds, processes))
            if advance is not None:
                advance(1)
    if "serve" in scales:
        if advance is not None:
            advance(0, description="benchmarking the live server")
        with _every_core():
            results.extend(_serve_rows(quick=not processes))
        if advance is not None:
            advance(1)
    if startup is not None:
        results.append(startup)
    return {"machine": _machine(), "results": results}


def _serve_rows(*, quick: bool) -> list[dict[str, Any]]:
    """The live rally's timing-sheet import, waypoint standings and ``standings serve``
    (benchmarks/serve.py), as rows of the table."""
    from benchmarks import serve

    document = serve.measure(quick=quick, seconds=3.0 if quick else 10.0)
    size = _size(load(serve._dakar_log()))
    name = "live 800x15, 40 waypoints"
    imported, waypoints = document["import"], document["waypoint_standings"]
    visible, closed = document["append_visible"], document["load"]["closed_loop"]
    paced = document["load"]["paced_1s"]
    published = document["publish"]
    memory = document["memory"]

    def row(measure: str, seconds: float, p99: float | None = None) -> dict[str, Any]:
        return _row(name, size, measure, seconds, work=False, p99=p99)

    return [
        row(
            "timing sheet: import one stage's 800-row results file (in process, recorder opened)",
            imported["in_process_median_s"],
        ),
        row(
            "standings record LOG results --from FILE (whole process, 800 rows)",
            imported["whole_process_median_s"],
        ),
        row(
            f"engine: standings at waypoint {waypoints['waypoint']} of stage "
            f"{waypoints['stage']} (median of many; the first after loading "
            f"{waypoints['first_query_ms']:.1f} ms)",
            waypoints["gc_median_ms"] / 1000,
            waypoints["gc_p99_ms"] / 1000,
        ),
        row("engine: stage ranking at that waypoint", waypoints["stage_ranking_median_ms"] / 1000),
        row(
            f"serve: an append visible in /api/standings after its fsync "
            f"(median of {visible['appends']})",
            visible["median_ms"] / 1000,
        ),
        row(
            f"serve: GET /api/standings, {closed['clients']} clients asking again as soon as "
            f"answered, 10 appends/s ({closed['requests_per_s']:,.0f} requests/s, "
            f"{closed['errors']} errors; median and p99)",
            closed["p50_ms"] / 1000,
            closed["p99_ms"] / 1000,
        ),
        row(
            f"serve: GET /api/standings, {paced['clients']} clients once a second each "
            f"({paced['errors']} errors; median and p99)",
            paced["p50_ms"] / 1000,
            paced["p99_ms"] / 1000,
        ),
        row(
            f"publish: the whole static site ({published['files']} files, "
            f"{published['bytes'] // 2**20} MB) into an empty folder",
            published["full_publish_s"],
        ),
        row(
            f"publish --watch: one appended result read and published (median and p99 of "
            f"{published['appends']}; {published['files_written_per_append']:g} files "
            f"written each)",
            published["append_median_ms"] / 1000,
            published["append_p99_ms"] / 1000,
        ),
        {
            **_row(
                name,
                size,
                f"serve: {memory['questions']:,} distinct questions (as_of, since, categories), "
                f"one after another; peak RSS of the server (it held "
                f"{memory['rss_after_start_mb']:.0f} MB after start-up, "
                f"{memory['rss_after_questions_mb']:.0f} MB after them)",
                memory["seconds"],
                work=False,
                rss=memory["peak_rss_mb"],
            ),
            "rss_growth_mb": memory["growth_mb"],
        },
    ]


def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "pinned_to_one_core": hasattr(os, "sched_setaffinity"),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["processor"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import msgpack
    import polars

    info["libraries"] = {
        "msgpack": ".".join(map(str, msgpack.version)),
        "polars": polars.__version__,
    }
    return info


# ---------------------------------------------------------------------- the table and targets


def _shown(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def _table(document: dict[str, Any]) -> str:
    headers = ["workload", "results", "measure", "time", "p99", "µs/result", "peak RSS", "vs"]
    rows = []
    for item in document["results"]:
        ratios = ", ".join(
            f"{value:.2f}x {key}" for key, value in item["ratio_vs"].items() if value is not None
        )
        rows.append(
            [
                item["scale"],
                f"{item['results']:,}" if item["results"] else "-",
                item["measure"],
                _shown(item["seconds"]),
                _shown(item["p99_seconds"]) if item.get("p99_seconds") else "-",
                f"{item['per_result_us']:.2f}" if item.get("per_result_us") else "-",
                f"{item['peak_rss_mb']:.0f} MB" if item["peak_rss_mb"] else "-",
                ratios or "-",
            ]
        )
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "| " + " | ".join("-" * w for w in widths) + " |",
    ]
    lines += [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
        for r in rows
    ]
    return "\n".join(lines)


def _find(document: dict[str, Any], scale: str, prefix: str) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in document["results"]
            if r["scale"].startswith(scale) and r["measure"].startswith(prefix)
        ),
        None,
    )


def _verdict(ok: bool) -> str:
    return "holds" if ok else "NOT MET"


_IMPORTS = '`python -c "import attrs, cattrs, msgpack"`'
"""The start-up the command line is measured against: its dependencies' imports alone."""


def _at_most(claim: str, ratio: float | None, most: float) -> list[str]:
    """The line of a target ``claim`` on a ratio: the ratio, and whether it is at most ``most``
    (no line where a figure of the ratio was not measured)."""
    return [] if ratio is None else [f"- {claim}: {ratio:.2f}x: {_verdict(ratio <= most)}"]


def _within(
    claim: str,
    row: dict[str, Any] | None,
    key: str,
    most: float,
    shown: Callable[[float], str] = _shown,
) -> list[str]:
    """The line of a target ``claim`` on the figure ``key`` of ``row``: the figure as ``shown``
    has it, and whether it is at most ``most`` (no line where the row was not measured)."""
    if row is None:
        return []
    value = row[key]
    return [f"- {claim}: {shown(value)}: {_verdict(value <= most)}"]


def _ratio(
    row: dict[str, Any] | None, key: str, base: dict[str, Any] | None, base_key: str
) -> float | None:
    """``row[key] / base[base_key]``, or None where either row was not measured."""
    return None if row is None or base is None else float(row[key] / base[base_key])


def targets(document: dict[str, Any]) -> list[str]:
    """Each of the speed targets (issue 13), checked against the figures of the run."""
    lines = []
    big = "results 5000x200"
    for prefix, claim in (
        ("engine: open", "open + GC after every stage at most the polars route's time"),
        (
            "engine: open + GC after every stage, checkpoint",
            "the same with the checkpoint a recorder leaves beside the log",
        ),
    ):
        found = _find(document, big, prefix)
        if found is not None and found["ratio_vs"].get("dataframe") is not None:
            ratio = found["ratio_vs"]["dataframe"]
            lines.append(
                f"- {big}: {claim}: {_shown(found['seconds'])}, {ratio:.2f}x polars: "
                f"{_verdict(ratio <= 1.0)}"
            )
    show = _find(document, big, "standings show LOG -c cars (whole process, checkpoint")
    cold = _find(document, big, "standings show LOG -c cars (whole process, no checkpoint")
    startup = _find(document, "process", "standings show dakar-2004")
    lines += _at_most(
        f"{big}: `standings show` at most 5x `standings show dakar-2004`",
        _ratio(show, "seconds", startup, "seconds"),
        5,
    )
    lines += _at_most(
        f"{big}: the same with no checkpoint beside the log (its first read, when no "
        "recorder left one) at most 5x",
        _ratio(cold, "seconds", startup, "seconds"),
        5,
    )
    if show is not None and startup is not None:
        lines.append(
            f"- {big}: peak RSS of `standings show` at most 250 MB: "
            f"{show['peak_rss_mb']:.0f} MB: {_verdict(show['peak_rss_mb'] <= 250)}"
        )
    replay_json = _find(document, big, "standings replay")
    rss_ratio = _ratio(replay_json, "peak_rss_mb", show, "peak_rss_mb")
    lines += _at_most(
        f"{big}: peak RSS of `replay -f json` at most 2x that of `show`", rss_ratio, 2
    )
    live = "live"
    update = _find(document, live, "engine: live update in memory")
    if update is not None:
        ok = update["seconds"] <= 0.0005 and update["p99_seconds"] <= 0.002
        lines.append(
            f"- live: a live update at most 0.5 ms median and 2 ms p99: "
            f"{_shown(update['seconds'])} median, {_shown(update['p99_seconds'])} p99: "
            f"{_verdict(ok)}"
        )
    record = _find(document, live, "standings record LOG result … (whole process, checkpoint")
    lines += _at_most(
        f"live: `standings record` of one result at most 2.5x {_IMPORTS}",
        _ratio(record, "seconds", startup, "baseline_seconds"),
        2.5,
    )
    history = _find(document, live, "standings history")
    lines += _at_most(
        "live: `history --after` the last stage at most 3x `replay`",
        None if history is None else history["ratio_vs"]["replay"],
        3,
    )
    whatif = _find(document, live, "engine: what-if, penalty at the last")
    if whatif is not None:
        share = whatif["ratio_vs"]["full_replay"]
        lines.append(
            f"- live: a what-if at the last stage at most 10% of a full replay: "
            f"{share * 100:.1f}%: {_verdict(share <= 0.1)}"
        )
    lines += _at_most(
        f"`standings show dakar-2004 --category cars` at most 2x {_IMPORTS}",
        None if startup is None else startup["ratio_vs"]["import attrs, cattrs, msgpack"],
        2,
    )
    for prefix, what, limit in (
        ("timing sheet: import", "importing one stage's 800-row results file", 0.2),
        ("engine: standings at waypoint", "the standings at a waypoint", 0.005),
        ("serve: an append visible", "an append visible in /api/standings (median)", 0.1),
        ("publish: the whole static site", "a full `standings publish`", 2.0),
        ("publish --watch: one appended", "publishing one appended result (median)", 0.05),
    ):
        found = _find(document, live, prefix)
        lines += _within(f"live: {what} at most {_shown(limit)}", found, "seconds", limit)
    for prefix, what in (
        ("standings log check", "`log check`"),
        ("standings log repair", "`log repair`"),
    ):
        found = _find(document, "results 4000x100", prefix)
        lines += _at_most(
            f"results 4000x100: {what} at most 3x `standings show` on the same log",
            None if found is None else found["ratio_vs"]["show"],
            3,
        )
    lines += _within(
        "live: the server's memory at most 150 MB above its start-up after 10,000 distinct "
        "questions",
        _find(document, live, "serve: 10,000 distinct questions"),
        "rss_growth_mb",
        150,
        lambda growth: f"{growth:+.0f} MB",
    )
    lines += _within(
        "live: /api/standings p99 under 200 clients at most 50 ms",
        _find(document, live, "serve: GET /api/standings, 200 clients asking"),
        "p99_seconds",
        0.05,
    )
    return lines


_WHY_MISSED = {
    "open + GC after every stage at most the polars route's time": (
        "The engine checks every event against the rules as it folds it (the entry is "
        "registered, the stage scheduled, no second result, no penalty on a stage not run) and "
        "keeps what `explain`, corrections and what-ifs need (each result's seq, provenance "
        "and time as recorded); the polars route reads only the columns it sums and ranks. "
        "The row with the checkpoint is the same answer with the fold restored rather than "
        "replayed. What it would take: results kept in packed arrays (the array module or "
        "numpy) rather than Python lists, and a bulk path for penalties, rescissions and "
        "retirements like the one results have (they are built and checked one by one)."
    ),
    "the same with no checkpoint beside the log": (
        'Its first read folds the whole log: the row "open + GC after every stage" above is '
        "that cost. A log that `standings record` or `standings synth` wrote gets a checkpoint "
        "once `CHECKPOINT_LAG` frames lie beyond its last checkpoint (or its start, with none), "
        "so the row with the checkpoint is the case users meet on a large log; a log copied "
        "without it pays the full fold on every read until an append writes one."
    ),
    "the same with the checkpoint a recorder leaves beside the log": (
        "Reading a checkpoint checks every table's shape (rows in record order, row numbers "
        "inside the tables they refer to, events of the kinds a table holds) and builds the "
        "index from the tables, so that a forged or damaged checkpoint is ignored rather than "
        "trusted. The waypoint splits stay the packed arrays the checkpoint holds until a "
        "question reads them; the results are turned into lists, a million Python integers "
        "a column here. What it would take: the results kept packed as well, and the "
        "standings arithmetic reading them without making an integer object of each value "
        "(numpy, a dependency the design card leaves out)."
    ),
    "`standings record` of one result at most": (
        "One `record` is a whole process: the package's import (the row of `standings show "
        "dakar-2004` below is most of it), the checkpoint read and checked (the row above), "
        "the splits of the result's stage indexed for the check that its times are in order "
        "along the stage, then one append with fsync. What it would take: the same as the "
        "checkpoint's row, or a process that stays open (`standings serve` keeps one fold)."
    ),
    "`standings show dakar-2004 --category cars` at most 2x": (
        "Most of the difference from the bare imports is the engine's own import, where each "
        "attrs class (events, states, rows) is built when its module loads; the rest is "
        "reading and folding the log. The ratio moves from run to run on a shared machine; "
        "the two commands are sampled in turn, so a drift in speed weighs on both alike."
    ),
}
"""What a missed target would take, printed under it (keyed by the start of its claim)."""


def _explained(lines: list[str]) -> list[str]:
    """The target lines, each miss followed by what it would take."""
    out = []
    for line in lines:
        out.append(line)
        if line.endswith("NOT MET"):
            out += [f"  {why}" for claim, why in _WHY_MISSED.items() if claim in line]
    return out


def docs_section(document: dict[str, Any]) -> str:
    """The performance page's results: the machine, the table, then the targets checked."""
    machine = document["machine"]
    libraries = ", ".join(f"{k} {v}" for k, v in sorted(machine.get("libraries", {}).items()))
    return (
        f"Machine: {machine['processor']}, {machine['cpus']} cores "
        f"({'pinned to one' if machine.get('pinned_to_one_core') else 'not pinned'}), "
        f"{machine['memory_gb']} GB; Python {machine['python']}, {libraries}.\n\n"
        + _table(document)
        + "\n\nThe targets, checked against this run (a miss says what it would take):\n\n"
        + "\n".join(_explained(targets(document)))
        + "\n"
    )


def update_docs(results: Path, page: Path = DOCS) -> bool:
    """Write the results file's table into the performance page; True if it changed."""
    document = json.loads(results.read_text())
    return rewrite_sections(page, {"bench": docs_section(document)})


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the table and write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--scales", default="small,results,live,serve")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--docs", action="store_true", help="only write the table of --output into the docs"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="leave out the measures that start whole standings processes (a quick run)",
    )
    args = parser.parse_args(argv)
    if args.docs:
        changed = update_docs(args.output)
        print(f"{DOCS} updated" if changed else f"{DOCS} already up to date")
        return 0
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    for scale in scales:
        if scale not in SCALES and scale != "serve":
            parser.error(f"unknown scale {scale!r} (expected one of {', '.join(SCALES)})")
    compiled()
    steps = sum(len(SCALES.get(scale, [None])) for scale in scales)
    with progress("benchmarking", steps) as advance:
        document = run(scales, args.repeat, processes=not args.in_process, advance=advance)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(_table(document))
    print("\n" + "\n".join(targets(document)))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
