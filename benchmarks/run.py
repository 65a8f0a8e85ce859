"""Benchmark this engine against the alternatives a user would pick, at three scales.

    python -m benchmarks.run [--scales real,modern,archive] [--output FILE] [--repeat N]

Everything runs pinned to one core (and polars limited to one thread). The
logs are generated once with ``standings synth`` and cached in
``benchmarks/.cache``. For every scale the suite first checks that the
dataframe and eventsourcing routes give exactly the engine's standings, so the
ratios compare the same work. Ratios are this figure divided by the
alternative's time to read the log and give the GC after every stage (for a
query or a what-if: what the alternative would have to redo to answer it).
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._alternatives import (
    GC,
    dataframe_gc,
    eventsourcing_gc,
    eventsourcing_store,
    msgpack_floor,
)
from rally_standings.engine import Recorder, load, what_if
from rally_standings.events import PenaltyImposed
from rally_standings.outputs.progress import progress
from rally_standings.replays import shipped_logs
from rally_standings.replays.synth import SynthSpec, write_synth

__all__ = ["SCALES", "engine_gc", "main", "run"]

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("BENCH_CACHE", HERE / ".cache"))
"""Where generated logs are kept between runs (BENCH_CACHE overrides)."""

SCALES: dict[str, list[tuple[str, SynthSpec | None]]] = {
    "real": [
        ("dakar-2004", None),
        ("synthetic 400x15", SynthSpec(entries=400, stages=15, seed=1)),
    ],
    "modern": [
        ("synthetic 400x15, 47 waypoints", SynthSpec(entries=400, stages=15, waypoints=47, seed=1))
    ],
    "archive": [
        (
            "synthetic 1150x20, 50 waypoints",
            SynthSpec(entries=1150, stages=20, waypoints=50, seed=1),
        )
    ],
}


def _one_core() -> None:
    os.environ["POLARS_MAX_THREADS"] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _log_for(name: str, spec: SynthSpec | None) -> Path:
    if spec is None:
        return shipped_logs()[name]
    CACHE.mkdir(exist_ok=True)
    path = CACHE / (
        f"synth-{spec.entries}x{spec.stages}-w{spec.waypoints}-s{spec.seed}"
        f"-{'-'.join(spec.categories)}.rallylog"
    )
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        write_synth(partial, spec)
        partial.rename(path)
    return path


def _best(function: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs (the least disturbed by the machine), in seconds."""
    times = []
    for _ in range(repeat):
        garbage.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def engine_gc(path: Path) -> GC:
    """Open the log and give the GC after every stage of every category (the engine's way)."""
    rally = load(path)
    out: GC = {}
    for category in rally.categories:
        for standings in rally.replay(category):
            out[(category, standings.after_stage)] = [
                (row.entry_id, row.time_ms, row.position) for row in standings.rows
            ]
    return out


def _peak_rss_mb(path: Path, route: str) -> float:
    """Peak RSS of a fresh process that only does the given route's replay."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        f"from benchmarks.run import _route\n"
        f"_route({route!r})(Path({str(path)!r}))\n"
        # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the parent's peak across exec
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parent,
        env={**os.environ},
    )
    return int(proc.stdout.strip().splitlines()[-1]) / 1024


def _route(name: str) -> Callable[[Path], object]:
    if name == "engine":
        return engine_gc
    if name == "dataframe":
        return dataframe_gc
    if name == "msgpack":
        return msgpack_floor
    raise KeyError(name)


def _row(
    scale: str,
    events: int,
    measure: str,
    seconds: float,
    *,
    per_event: bool = True,
    rss: float | None = None,
    baseline: dict[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "scale": scale,
        "events": events,
        "measure": measure,
        "seconds": seconds,
        "events_per_s": events / seconds if per_event and seconds > 0 else None,
        "peak_rss_mb": rss,
        "ratio_vs": {
            k: (seconds / baseline[k] if baseline and k in baseline else None)
            for k in ("dataframe", "eventsourcing", "msgpack_floor")
        }
        if baseline is not None
        else {},
    }


def _leader_penalty(path: Path, stage: str) -> tuple[str, list[PenaltyImposed], int]:
    rally = load(path)
    category = max(rally.categories, key=lambda c: len(rally.entries(c)))
    stages = [s.after_stage for s in rally.replay(category)]
    at = stages[0] if stage == "first" else stages[-1]
    leader = rally.standings(category, at).rows[0]
    return (
        category,
        [
            PenaltyImposed(
                penalty_id="what-if",
                entry_id=leader.entry_id,
                stage=at,
                amount_ms=600_000,
                reason="benchmark",
            )
        ],
        at,
    )


def run(
    scales: list[str],
    repeat: int,
    *,
    check: bool = True,
    advance: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """Run the suite; returns the JSON document (machine + results)."""
    _one_core()
    results: list[dict[str, Any]] = []
    for scale in scales:
        for label, spec in SCALES[scale]:
            if advance is not None:
                advance(0, description=f"benchmarking {scale}: {label}")
            results.extend(_measure(scale, label, spec, repeat, check))
            if advance is not None:
                advance(1)
    results.append(_startup())
    return {"machine": _machine(), "results": results}


def _compare_routes(
    name: str, path: Path, events: int, repeat: int, check: bool
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    engine_result = engine_gc(path)
    app, aggregate_id = eventsourcing_store(path)
    if check:
        for other, result in (
            ("dataframe", dataframe_gc(path)),
            ("eventsourcing", eventsourcing_gc(app, aggregate_id)),
        ):
            if result != engine_result:
                raise SystemExit(f"{name}: the {other} route gives other standings")
    times = {
        "engine": _best(partial(engine_gc, path), repeat),
        "dataframe": _best(partial(dataframe_gc, path), repeat),
        "eventsourcing": _best(partial(eventsourcing_gc, app, aggregate_id), max(1, repeat // 2)),
        "msgpack_floor": _best(partial(msgpack_floor, path), repeat),
    }
    del app
    baseline = {k: times[k] for k in ("dataframe", "eventsourcing", "msgpack_floor")}
    rss = {route: _peak_rss_mb(path, route) for route in ("engine", "dataframe", "msgpack")}
    rows = [
        _row(
            name,
            events,
            "engine: open + GC after every stage",
            times["engine"],
            rss=rss["engine"],
            baseline=baseline,
        ),
        _row(
            name,
            events,
            "dataframe (polars): read + GC after every stage",
            times["dataframe"],
            rss=rss["dataframe"],
            baseline=baseline,
        ),
        _row(
            name,
            events,
            "eventsourcing: replay aggregate + GC every stage",
            times["eventsourcing"],
            baseline=baseline,
        ),
        _row(
            name,
            events,
            "msgpack floor: decode the log, nothing else",
            times["msgpack_floor"],
            rss=rss["msgpack"],
            baseline=baseline,
        ),
    ]
    return rows, baseline


def _measure(
    scale: str, label: str, spec: SynthSpec | None, repeat: int, check: bool
) -> list[dict[str, Any]]:
    path = _log_for(label, spec)
    events = load(path).last_seq
    name = f"{scale}: {label}"
    if spec is None:
        # A shipped log uses combined results, corrections and coverage, which the
        # alternatives do not implement: only the engine and the floor are measured.
        times = {
            "engine": _best(partial(engine_gc, path), repeat),
            "msgpack_floor": _best(partial(msgpack_floor, path), repeat),
        }
        baseline = {"msgpack_floor": times["msgpack_floor"]}
        rows = [
            _row(
                name,
                events,
                "engine: open + GC after every stage",
                times["engine"],
                rss=_peak_rss_mb(path, "engine"),
                baseline=baseline,
            ),
            _row(
                name,
                events,
                "msgpack floor: decode the log, nothing else",
                times["msgpack_floor"],
                baseline=baseline,
            ),
        ]
    else:
        rows, baseline = _compare_routes(name, path, events, repeat, check)
    rally = load(path)
    for each in rally.categories:  # a replayed log: the GC after every stage, every category
        rally.replay(each)
    category = rally.categories[0]
    snapshots = rally.replay(category)
    middle = snapshots[len(snapshots) // 2].after_stage

    def thousand_queries() -> None:
        for _ in range(1000):
            rally.standings(category, middle)

    query = _best(thousand_queries, repeat) / 1000
    rows.append(
        _row(
            name,
            events,
            f"engine: standings query after stage {middle}",
            query,
            per_event=False,
            baseline=baseline,
        )
    )
    for which in ("first", "last"):
        hypothesis_category, penalty, at = _leader_penalty(path, which)
        seconds = _best(partial(what_if, rally, hypothesis_category, penalty), repeat)
        rows.append(
            _row(
                name,
                events,
                f"engine: what-if, penalty at the {which} stage ({at})",
                seconds,
                per_event=False,
                baseline=baseline,
            )
        )
    rows.extend(_appends(name, path, spec, baseline))
    return rows


def _appends(
    name: str, path: Path, spec: SynthSpec | None, baseline: dict[str, float]
) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        if spec is not None:
            target = Path(folder) / "batched.rallylog"
            start = time.perf_counter()
            written = write_synth(target, spec)
            seconds = time.perf_counter() - start
            rows.append(
                _row(
                    name,
                    written,
                    "engine: appends, batched (5000 a batch, validated)",
                    seconds,
                    baseline=baseline,
                )
            )
        copy = Path(folder) / "durable.rallylog"
        shutil.copyfile(path, copy)
        with Recorder(copy) as recorder:
            entry = recorder.fold.entries()[0].entry_id
            stage = recorder.fold.stage_numbers()[0]
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
            seconds = time.perf_counter() - start
        rows.append(
            _row(name, count, "engine: appends, one by one, each fsync'd", seconds, baseline=None)
        )
    return rows


def _startup() -> dict[str, Any]:
    python = sys.executable
    script = shutil.which("standings") or str(Path(python).with_name("standings"))

    def median(command: list[str]) -> float:
        samples = []
        for _ in range(15):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    base = median([python, "-c", "import attrs, cattrs, msgpack"])
    show = median([script, "show", "dakar-2004", "--category", "cars"])
    row = _row(
        "process",
        0,
        "standings show dakar-2004 --category cars (whole process)",
        show,
        per_event=False,
    )
    row["ratio_vs"] = {"import attrs, cattrs, msgpack": show / base}
    return row


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


def _table(document: dict[str, Any]) -> str:
    headers = [
        "scale",
        "events",
        "measure",
        "time",
        "events/s",
        "peak RSS",
        "vs dataframe",
        "vs eventsourcing",
        "vs msgpack floor",
    ]
    rows = []
    for item in document["results"]:
        ratio = item["ratio_vs"]
        seconds = item["seconds"]
        if seconds < 0.001:
            shown = f"{seconds * 1e6:.1f} µs"
        elif seconds < 0.01:
            shown = f"{seconds * 1000:.3f} ms"
        else:
            shown = f"{seconds:.3f} s"
        rows.append(
            [
                item["scale"],
                f"{item['events']:,}" if item["events"] else "-",
                item["measure"],
                shown,
                f"{item['events_per_s']:,.0f}" if item["events_per_s"] else "-",
                f"{item['peak_rss_mb']:.0f} MB" if item["peak_rss_mb"] else "-",
                *(
                    f"{ratio[k]:.3f}x" if ratio.get(k) is not None else "-"
                    for k in ("dataframe", "eventsourcing", "msgpack_floor")
                ),
            ]
        )
        if "import attrs, cattrs, msgpack" in ratio:
            rows[-1][6] = (
                f"{ratio['import attrs, cattrs, msgpack']:.2f}x the import of attrs+cattrs+msgpack"
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


README_MARKERS = ("<!-- bench:begin -->", "<!-- bench:end -->")


def _targets(document: dict[str, Any]) -> list[str]:
    """Each of the issue's speed targets, checked against the figures of the run."""
    rows = document["results"]

    def find(scale: str, prefix: str) -> dict[str, Any] | None:
        return next(
            (r for r in rows if r["scale"].startswith(scale) and r["measure"].startswith(prefix)),
            None,
        )

    lines = []
    replay = find("archive", "engine: open")
    if replay is not None:
        ok = replay["seconds"] <= 0.5 and (replay["events_per_s"] or 0) >= 2_000_000
        lines.append(
            f"- 1M events to the GC after every stage in at most 0.5 s (2M events/s): "
            f"{replay['seconds']:.3f} s, {replay['events_per_s'] / 1e6:.1f}M events/s: "
            f"{'holds' if ok else 'NOT MET'}"
        )
        ratio = replay["ratio_vs"].get("dataframe")
        if ratio is not None:
            lines.append(
                f"- faster than the dataframe route in the same run: {ratio:.2f}x its "
                f"time: {'holds' if ratio < 1 else 'NOT MET'}"
            )
        if replay["peak_rss_mb"] is not None:
            lines.append(
                f"- peak memory of the 1M-event replay at most 250 MB: "
                f"{replay['peak_rss_mb']:.0f} MB: "
                f"{'holds' if replay['peak_rss_mb'] <= 250 else 'NOT MET'}"
            )
    query = find("archive", "engine: standings query")
    if query is not None:
        lines.append(
            f"- the standings query on a replayed log under 1 ms: "
            f"{query['seconds'] * 1e6:.1f} µs: "
            f"{'holds' if query['seconds'] < 0.001 else 'NOT MET'}"
        )
    for scale in ("modern", "archive"):
        whatif, full = (
            find(scale, "engine: what-if, penalty at the last"),
            find(scale, "engine: open"),
        )
        if whatif is not None and full is not None:
            share = whatif["seconds"] / full["seconds"]
            lines.append(
                f"- a what-if at the last stage at most a tenth of a full replay "
                f"({scale}): {share:.3f}: {'holds' if share <= 0.1 else 'NOT MET'}"
            )
    startup = find("process", "standings show")
    if startup is not None:
        ratio = next(iter(startup["ratio_vs"].values()))
        lines.append(
            f"- `standings show dakar-2004 --category cars` at most twice "
            f'`python -c "import attrs, cattrs, msgpack"`: {ratio:.2f}x: '
            f"{'holds' if ratio <= 2 else 'NOT MET'}"
        )
    return lines


def readme_section(document: dict[str, Any]) -> str:
    """The README's results: the machine, the table, then the targets checked."""
    machine = document["machine"]
    libraries = ", ".join(f"{k} {v}" for k, v in sorted(machine.get("libraries", {}).items()))
    return (
        f"Machine: {machine['processor']}, {machine['cpus']} cores "
        f"({'pinned to one' if machine.get('pinned_to_one_core') else 'not pinned'}), "
        f"{machine['memory_gb']} GB; Python {machine['python']}, {libraries}.\n\n"
        + _table(document)
        + "\n\nThe targets, checked against this run:\n\n"
        + "\n".join(_targets(document))
        + "\n"
    )


def update_readme(results: Path, readme: Path) -> bool:
    """Write the results file's table into the README; True if it changed."""
    document = json.loads(results.read_text())
    text = readme.read_text(encoding="utf-8")
    begin, end = README_MARKERS
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    updated = f"{head}{begin}\n{readme_section(document)}{end}{tail}"
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the table and write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--scales", default="real,modern,archive")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--readme", action="store_true", help="only write the table of --output into README.md"
    )
    args = parser.parse_args(argv)
    if args.readme:
        changed = update_readme(args.output, HERE.parent / "README.md")
        print("README.md updated" if changed else "README.md already up to date")
        return 0
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    for scale in scales:
        if scale not in SCALES:
            parser.error(f"unknown scale {scale!r} (expected one of {', '.join(SCALES)})")
    steps = sum(len(SCALES[scale]) for scale in scales)
    with progress("benchmarking", steps) as advance:
        document = run(scales, args.repeat, advance=advance)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(_table(document))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
