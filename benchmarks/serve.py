"""Benchmarks of issue 14: timing-sheet imports, standings at a waypoint, the live server.

    python -m benchmarks.serve [--output FILE] [--clients N] [--seconds S] [--quick]

On a Dakar-sized log (800 entries in three categories, 15 stages, 40
waypoints: about 490,000 events, generated once with ``standings synth`` and
cached in ``benchmarks/.cache``), it measures:

* importing one stage's results sheet of 800 rows, in-process (open the
  recorder, read, check, append, fsync; and the import alone) and as a whole
  ``standings record`` process (target: 0.2 s);
* the standings at a waypoint in-process, the first query after loading and
  again (target: 5 ms);
* how long after an append's fsync it is visible in ``/api/standings`` of a
  running ``standings serve`` (target: 100 ms median);
* ``/api/standings`` under load: N concurrent keep-alive clients for S seconds
  on loopback while another process appends 10 results a second (target: p99
  50 ms), both closed-loop (each client asks again as soon as it is answered:
  the most a machine can be asked) and paced (each client once a second, as
  a page open in a browser would poll without server-sent events).

It writes ``benchmarks/serve.json`` (or ``--output``); ``measure()`` returns
the same document for a runner that collects results. Nothing here is a test:
the figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._logs import LIVE, cached_log, compiled
from rally_standings.engine import Recorder, load
from rally_standings.events import (
    StageKind,
    StageResultRecorded,
    StageRule,
    StageScheduled,
    format_time,
    scan_file,
)
from rally_standings.replays.timing import Request, import_sheet

__all__ = ["DAKAR", "load_test", "main", "measure", "spawn", "start_server", "stop_server"]

HERE = Path(__file__).resolve().parent
DAKAR = LIVE
"""The Dakar-sized live log: 800 entries, 15 stages, 40 waypoints (the runner's ``live``)."""
TARGETS = {
    "import_800_rows_s": 0.2,
    "waypoint_standings_ms": 5.0,
    "append_visible_median_ms": 100.0,
    "standings_p99_under_load_ms": 50.0,
    "memory_growth_10000_questions_mb": 150.0,
    "publish_append_median_ms": 50.0,
    "full_publish_s": 2.0,
}


def _dakar_log() -> Path:
    """The cached Dakar-sized log (written once, about a minute)."""
    return cached_log(DAKAR)


def _open_stage(source: Path, folder: Path) -> tuple[Path, int]:
    """A copy of ``source`` with one more stage scheduled and no result on it yet."""
    copy = folder / "live.rallylog"
    copy.write_bytes(source.read_bytes())
    with Recorder(copy) as recorder:
        rally = recorder.rally
        stage = max(rally.stages()) + 1
        recorder.append(
            StageScheduled(
                stage=stage,
                rules=tuple(StageRule(c, StageKind.SPECIAL) for c in rally.categories),
            )
        )
    return copy, stage


def _running(log: Path, stage: int) -> list[tuple[str, str, str]]:
    """(category, number, entry id) of every entry still in the rally at ``stage``."""
    rally = load(log)
    fold = rally.fold
    return [
        (e.category, e.number or "", e.entry_id)
        for e in rally.entries()
        if fold.retired_at(fold.entry_index(e.entry_id)) is None
    ]


def _median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 3)


def _quantile_ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


# ---------------------------------------------------------------------- imports


def _top_up(log: Path, stage: int, rows: int) -> None:
    """Register crews until ``rows`` are still running at ``stage`` (an entry-list import)."""
    running = _running(log, stage)
    missing = rows - len(running)
    if missing <= 0:
        return
    category = running[0][0]
    sheet = log.with_name("more-entries.csv")
    sheet.write_text(
        "category,number,driver\n"
        + "".join(f"{category},{90000 + i},Driver {i}\n" for i in range(missing)),
        encoding="utf-8",
    )
    with Recorder(log) as recorder:
        import_sheet(recorder, "entries", sheet)


def measure_import(source: Path, repeat: int = 5, rows: int = 800) -> dict[str, Any]:
    """Import a results sheet of ``rows`` rows (crews topped up to that many, untimed, where
    retirements left fewer): in-process and as a whole `standings record`."""
    inside: list[float] = []
    sheet_only: list[float] = []
    whole: list[float] = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            log, stage = _open_stage(source, Path(folder))
            _top_up(log, stage, rows)
            running = _running(log, stage)[:rows]
            sheet = Path(folder) / "results.csv"
            sheet.write_text(
                "category,number,time\n"
                + "".join(
                    f"{c},{n},{format_time(3 * 3_600_000 + i * 1_700)}\n"
                    for i, (c, n, _) in enumerate(running)
                ),
                encoding="utf-8",
            )
            process_log = Path(folder) / "process.rallylog"
            process_log.write_bytes(log.read_bytes())
            checkpoint = Path(f"{log}.checkpoint")  # as an official's log has, from its writer
            if checkpoint.exists():
                Path(f"{process_log}.checkpoint").write_bytes(checkpoint.read_bytes())
            started = time.perf_counter()
            with Recorder(log) as recorder:
                opened = time.perf_counter()
                import_sheet(recorder, "results", sheet, request=Request(stage=stage))
                sheet_only.append(time.perf_counter() - opened)
            inside.append(time.perf_counter() - started)
            command = [
                sys.executable,
                "-m",
                "rally_standings.app._cli",
                "record",
                str(process_log),
                "results",
                "--stage",
                str(stage),
                "--from",
                str(sheet),
            ]
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            whole.append(time.perf_counter() - started)
    return {
        "rows": rows,
        "in_process_median_s": round(statistics.median(inside), 4),
        "of_which_reading_checking_appending_s": round(statistics.median(sheet_only), 4),
        "whole_process_median_s": round(statistics.median(whole), 4),
    }


# ---------------------------------------------------------------------- waypoint standings


def measure_waypoints(source: Path, repeat: int = 200) -> dict[str, Any]:
    """The GC at the last waypoint of the last stage, and that stage's ranking there."""
    rally = load(source)
    category = rally.categories[0]
    stage = max(rally.stages())
    waypoint = max(rally.fold.waypoints(stage))
    started = time.perf_counter()
    rally.waypoint_standings(category, stage, waypoint).rows  # noqa: B018 (rows are built)
    first = time.perf_counter() - started
    gc: list[float] = []
    ranking: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        rally.waypoint_standings(category, stage, waypoint).rows  # noqa: B018
        gc.append(time.perf_counter() - started)
        started = time.perf_counter()
        rally.stage_result(category, stage, waypoint=waypoint)
        ranking.append(time.perf_counter() - started)
    return {
        "category": category,
        "entries_in_category": len(rally.entries(category)),
        "stage": stage,
        "waypoint": waypoint,
        "first_query_ms": round(first * 1000, 3),
        "gc_median_ms": _median_ms(gc),
        "gc_p99_ms": _quantile_ms(gc, 0.99),
        "stage_ranking_median_ms": _median_ms(ranking),
    }


# ---------------------------------------------------------------------- publishing


def measure_publish(source: Path, appends: int = 40) -> dict[str, Any]:
    """``standings publish``: a full publish of the log into an empty folder (the log read
    beforehand, as ``publish`` reads it before writing), then ``appends`` results appended
    one at a time to a new stage, each followed by what ``--watch`` does: read the append,
    ask again what it changed, write the files whose bytes differ and the manifest."""
    from rally_standings.app import LiveRally, Publisher, Watcher

    with tempfile.TemporaryDirectory() as folder:
        log, stage = _open_stage(source, Path(folder))
        live = LiveRally(log)
        site = Path(folder) / "site"
        site.mkdir()
        publisher = Publisher(live, site)
        started = time.perf_counter()
        report = publisher.publish()
        full = time.perf_counter() - started
        watcher = Watcher(publisher, str(site))
        running = _running(log, stage)[:appends]
        costs: list[float] = []
        written: list[int] = []
        with Recorder(log) as recorder, contextlib.redirect_stdout(io.StringIO()):
            for index, (_, _, entry_id) in enumerate(running):
                recorder.append(
                    StageResultRecorded(entry_id=entry_id, stage=stage, time_ms=3_600_000 + index)
                )
                started = time.perf_counter()
                step = watcher.step()
                costs.append(time.perf_counter() - started)
                assert step is not None
                written.append(step.written)
    return {
        "files": report.files,
        "bytes": report.size,
        "full_publish_s": round(full, 4),
        "appends": len(costs),
        "append_median_ms": _median_ms(costs),
        "append_p99_ms": _quantile_ms(costs, 0.99),
        "files_written_per_append": statistics.median(written),
    }


# ---------------------------------------------------------------------- the server


def spawn(argv: list[str]) -> subprocess.Popen[str]:
    """``argv`` in its own process, unbuffered, its stdout a pipe to read line by line (where
    a server says where it listens), its stderr dropped; ``stop_server`` ends it.

    Also the published site's browser tests' way to run `standings publish --watch` and a
    static file server (tests/test_publish_browser.py).
    """
    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def start_server(log: Path) -> tuple[subprocess.Popen[str], int]:
    """``standings serve LOG --port 0`` in its own process; (the process, the port it took).

    Also the live server's tests' way to start one (tests/test_serve.py,
    tests/test_live_browser.py): a server that does not say where it listens is an error.
    """
    process = spawn(
        [sys.executable, "-m", "rally_standings.app._cli", "serve", str(log), "--port", "0"]
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith(f"serving {log} on http://127.0.0.1:"):
        process.kill()
        raise RuntimeError(f"standings serve did not start: {line!r}")
    return process, int(line.split("127.0.0.1:")[1].split("/")[0])


def stop_server(process: subprocess.Popen[str]) -> None:
    """Ask a process started by ``start_server`` or ``spawn`` to stop (SIGTERM), and kill it
    after 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure_visibility(source: Path, appends: int = 50) -> dict[str, Any]:
    """From an append's return (after its fsync) to its result in /api/standings."""
    import http.client

    with tempfile.TemporaryDirectory() as folder:
        log, stage = _open_stage(source, Path(folder))
        running = [r for r in _running(log, stage) if r[0] == load(log).categories[0]]
        server, port = start_server(log)
        delays: list[float] = []
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            path = f"/api/standings?category={running[0][0]}&after={stage}"
            with Recorder(log) as recorder:
                for index, (_, number, entry_id) in enumerate(running[:appends]):
                    recorder.append(
                        StageResultRecorded(
                            entry_id=entry_id, stage=stage, time_ms=3_600_000 + index * 1000
                        )
                    )
                    done = time.perf_counter()
                    wanted = f'"number": "{number}"'.encode()
                    while True:
                        connection.request("GET", path)
                        body = connection.getresponse().read()
                        if wanted in body:
                            break
                    delays.append(time.perf_counter() - done)
            connection.close()
        finally:
            stop_server(server)
    return {
        "appends": len(delays),
        "median_ms": _median_ms(delays),
        "p95_ms": _quantile_ms(delays, 0.95),
        "max_ms": round(max(delays) * 1000, 3),
    }


async def _client(
    port: int, path: str, stop_at: float, pace: float, latencies: list[float], errors: list[str]
) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as error:
        errors.append(f"connect: {error}")
        return
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    length_header = re.compile(rb"content-length:\s*(\d+)", re.I)
    if pace:  # pages opened at different moments: not all in step
        await asyncio.sleep(random.uniform(0.0, pace))
    try:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            found = length_header.search(head)
            if found is None:
                errors.append("no content-length")
                return
            await reader.readexactly(int(found[1]))
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(head.split(b"\r\n", 1)[0].decode())
            if pace:
                await asyncio.sleep(max(0.0, pace - (time.perf_counter() - started)))
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        errors.append(f"{type(error).__name__}: {error}")
    finally:
        writer.close()


async def _clients(
    port: int, path: str, clients: int, seconds: float, pace: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    await asyncio.gather(
        *(_client(port, path, stop_at, pace, latencies, errors) for _ in range(clients))
    )
    return {"latencies": latencies, "errors": errors}


def _writer(log: str, stage: int, rate: float, seconds: float) -> int:
    """Append ``rate`` results a second to ``log`` for ``seconds`` (one append each)."""
    running = _running(Path(log), stage)
    count = 0
    with Recorder(log) as recorder:
        start = time.monotonic()
        while time.monotonic() - start < seconds and count < len(running):
            _, _, entry_id = running[count]
            recorder.append(
                StageResultRecorded(entry_id=entry_id, stage=stage, time_ms=3_600_000 + count)
            )
            count += 1
            time.sleep(max(0.0, start + count / rate - time.monotonic()))
    return count


def caught_up(port: int, log: Path, patience: float = 60.0) -> int:
    """The server's last seq once it has read every durable append of ``log`` (it follows the
    log a moment after each append; on a loaded machine that moment can be long), or after
    ``patience`` seconds, whatever it has then."""
    last_seq = scan_file(log).count
    deadline = time.monotonic() + patience
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/rally", timeout=30) as answer:
            seen: int = json.loads(answer.read())["last_seq"]
        if seen >= last_seq or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def load_test(
    log: Path,
    stage: int,
    *,
    clients: int = 200,
    seconds: float = 10.0,
    rate: float = 10.0,
    pace: float = 0.0,
) -> dict[str, Any]:
    """``clients`` keep-alive clients ask /api/standings for ``seconds`` on loopback while
    another process appends ``rate`` results a second; latencies and errors (nothing asserted).

    ``pace``: each client asks at most once per that many seconds (0: again at once).
    """
    category = load(log).categories[0]
    server, port = start_server(log)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.serve",
            "--writer",
            str(log),
            str(stage),
            str(rate),
            str(seconds),
        ],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        result = asyncio.run(
            _clients(port, f"/api/standings?category={category}", clients, seconds, pace)
        )
        out, _ = writer.communicate(timeout=seconds + 60)
        seen = caught_up(port, log)
    finally:
        if writer.poll() is None:
            writer.kill()
        stop_server(server)
    latencies = result["latencies"]
    return {
        "clients": clients,
        "seconds": seconds,
        "pace_s": pace,
        "appends_per_s": rate,
        "appended": int(out.strip() or 0),
        "server_last_seq": seen,
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "errors": len(result["errors"]),
        "error_samples": sorted(set(result["errors"]))[:5],
        "p50_ms": _quantile_ms(latencies, 0.50) if latencies else None,
        "p99_ms": _quantile_ms(latencies, 0.99) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 3) if latencies else None,
    }


def measure_load(source: Path, *, clients: int, seconds: float) -> dict[str, Any]:
    """The load test, closed-loop and paced (once a second per client)."""
    out = {}
    for name, pace in (("closed_loop", 0.0), ("paced_1s", 1.0)):
        with tempfile.TemporaryDirectory() as folder:
            log, stage = _open_stage(source, Path(folder))
            out[name] = load_test(log, stage, clients=clients, seconds=seconds, pace=pace)
    return out


# ---------------------------------------------------------------------- memory under questions


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory (``VmRSS``, or its peak ``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no {field} for process {pid}")


def _questions(rally_last: int, categories: list[str], count: int, seed: int = 7) -> list[str]:
    """``count`` distinct questions: standings and stage rankings as of many records, events
    since many records, in real and unknown categories (a quarter of them 404s)."""
    chooser = random.Random(seed)
    asked: set[str] = set()
    kinds = ["standings", "standings", "events", "stage"]
    while len(asked) < count:
        kind = chooser.choice(kinds)
        category = chooser.choice([*categories, f"nope{chooser.randrange(10**6)}"])
        seq = chooser.randint(max(1, rally_last // 2), rally_last)
        if kind == "events":
            asked.add(f"/api/events?since={chooser.randint(rally_last - 5000, rally_last + 50)}")
        elif kind == "stage":
            asked.add(f"/api/stage?category={category}&stage={chooser.randint(1, 16)}&as_of={seq}")
        else:
            asked.add(f"/api/standings?category={category}&as_of={seq}")
    return sorted(asked, key=lambda _: chooser.random())


def measure_memory(source: Path, questions: int = 10_000) -> dict[str, Any]:
    """The server's resident memory after start-up and after ``questions`` distinct questions
    (as_of, since, categories, unknown ones among them), asked one after another."""
    import http.client

    rally = load(source)
    asked = _questions(rally.last_seq, list(rally.categories), questions)
    statuses: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "live.rallylog"
        log.write_bytes(source.read_bytes())
        server, port = start_server(log)
        try:
            caught_up(port, log)
            start = _rss_mb(server.pid)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            started = time.perf_counter()
            for path in asked:
                connection.request("GET", path)
                answer = connection.getresponse()
                answer.read()
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
            elapsed = time.perf_counter() - started
            connection.close()
            end, peak = _rss_mb(server.pid), _rss_mb(server.pid, "VmHWM")
        finally:
            stop_server(server)
    return {
        "questions": len(asked),
        "answers_by_status": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(elapsed, 1),
        "rss_after_start_mb": start,
        "rss_after_questions_mb": end,
        "peak_rss_mb": peak,
        "growth_mb": round(end - start, 1),
    }


# ---------------------------------------------------------------------- the document


def measure(
    *,
    clients: int = 200,
    seconds: float = 10.0,
    quick: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every figure of this module, as one JSON-ready document."""
    source = _dakar_log()
    progress("import")
    imports = measure_import(source, repeat=2 if quick else 5)
    progress("waypoints")
    waypoints = measure_waypoints(source, repeat=20 if quick else 200)
    progress("visibility")
    visibility = measure_visibility(source, appends=10 if quick else 50)
    progress("load")
    loads = measure_load(source, clients=clients, seconds=seconds)
    progress("memory")
    memory = measure_memory(source, questions=1_000 if quick else 10_000)
    progress("publish")
    published = measure_publish(source, appends=10 if quick else 40)
    figures = {
        "import_800_rows_s": imports["in_process_median_s"],
        "waypoint_standings_ms": waypoints["gc_median_ms"],
        "append_visible_median_ms": visibility["median_ms"],
        "standings_p99_under_load_ms": loads["closed_loop"]["p99_ms"],
        "memory_growth_10000_questions_mb": memory["growth_mb"],
        "publish_append_median_ms": published["append_median_ms"],
        "full_publish_s": published["full_publish_s"],
    }
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "log": {
            "entries": DAKAR.entries,
            "stages": DAKAR.stages,
            "waypoints": DAKAR.waypoints,
            "events": load(source).last_seq,
        },
        "import": imports,
        "waypoint_standings": waypoints,
        "append_visible": visibility,
        "load": loads,
        "memory": memory,
        "publish": published,
        "targets": {
            name: {"target": TARGETS[name], "measured": value, "met": value <= TARGETS[name]}
            for name, value in figures.items()
            if value is not None
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write their JSON; ``--writer`` is the load test's writer."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--writer"]:
        log, stage, rate, seconds = args[1:5]
        print(_writer(log, int(stage), float(rate), float(seconds)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve")
    parser.add_argument("--output", type=Path, default=HERE / "serve.json")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    options = parser.parse_args(args)
    compiled()
    document = measure(
        clients=options.clients,
        seconds=options.seconds,
        quick=options.quick,
        progress=lambda what: print(f"measuring {what}…", file=sys.stderr),
    )
    text = json.dumps(document, indent=2) + "\n"
    options.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
