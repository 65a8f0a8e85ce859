"""The benchmark suite at its smallest: it runs, the alternatives agree, the JSON holds.

No timing is asserted: speed is measured by ``python -m benchmarks.run``, not tested.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks import _logs as bench_logs
from benchmarks import run as bench
from benchmarks import serve as bench_serve
from benchmarks._alternatives import dataframe_gc, eventsourcing_gc, eventsourcing_store
from rally_standings.replays import shipped_logs
from rally_standings.replays.synth import SynthSpec

TINY = bench.Workload(
    "tiny 60x6, 3 waypoints", SynthSpec(entries=60, stages=6, waypoints=3, seed=4), live=True
)


@pytest.fixture
def small_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 60-entry synthetic rally with splits, generated into a private cache."""
    monkeypatch.setattr(bench_logs, "CACHE", tmp_path)
    return bench._log_for(TINY)


def test_alternatives_compute_the_engines_standings(small_log: Path) -> None:
    """polars and eventsourcing give exactly the engine's GC after every stage (same work)."""
    expected = bench.engine_gc(small_log)
    assert len(expected) == 3 * 5  # three categories, stages 2-6 (1 is the prologue)
    assert dataframe_gc(small_log) == expected
    app, aggregate_id = eventsourcing_store(small_log)
    assert eventsourcing_gc(app, aggregate_id) == expected


def _smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *options: str) -> dict[str, Any]:
    monkeypatch.setattr(bench_logs, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(bench, "SCALES", {"tiny": [bench.Workload("dakar-2004"), TINY]})
    monkeypatch.setattr(bench, "_PROCESS_RUNS", 1)
    monkeypatch.setattr(bench, "_LIVE_UPDATES", 30)
    monkeypatch.setattr(bench, "_RECORD_RUNS", 2)
    output = tmp_path / "results.json"
    argv = ["--scales", "tiny", "--repeat", "1", "--output", str(output), *options]
    assert bench.main(argv) == 0
    document: dict[str, Any] = json.loads(output.read_text())
    return document


def test_in_process_smoke_run_writes_the_json_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The in-process measures on a tiny rally: every row has the JSON's fields.

    Each row has the workload, the measure, the time, the counts of events, stage
    results, entry-stages and splits, the rates per result and per entry-stage,
    and the ratios; the live updates have a p99.
    """
    document = _smoke(tmp_path, monkeypatch, "--in-process")
    _check_rows(document, processes=False)
    out = capsys.readouterr().out
    assert "| workload" in out


@pytest.mark.slow
def test_full_smoke_run_has_every_measure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every measure, whole processes included, on a tiny rally (opt-in: it starts ~20)."""
    document = _smoke(tmp_path, monkeypatch)
    _check_rows(document, processes=True)
    assert "wrote" in capsys.readouterr().out


def _check_rows(document: dict[str, Any], *, processes: bool) -> None:
    assert set(document) == {"machine", "results"}
    assert document["machine"]["python"]
    measures = {row["measure"] for row in document["results"] if row["scale"] == TINY.name}
    expected = [
        "engine: open + GC after every stage",
        "dataframe (polars): read + GC after every stage",
        "eventsourcing: replay aggregate + GC every stage",
        "msgpack floor: decode the log, nothing else",
        "engine: what-if, penalty at the last stage",
        "engine: whatif --all-stages",
        "engine: live update in memory",
        "engine: live update, durable",
    ]
    if processes:
        expected += [
            "standings show LOG",
            "standings replay LOG",
            "standings record LOG result … (whole process, checkpoint beside the log)",
            "standings history LOG",
        ]
    for prefix in expected:
        assert any(m.startswith(prefix) for m in measures), prefix
    for row in document["results"]:
        assert {
            "scale",
            "measure",
            "seconds",
            "p99_seconds",
            "events",
            "results",
            "entry_stages",
            "waypoints",
            "events_per_s",
            "per_result_us",
            "per_entry_stage_us",
            "peak_rss_mb",
            "ratio_vs",
        } <= set(row)
        assert row["seconds"] > 0
    replay = next(
        r
        for r in document["results"]
        if r["scale"] == TINY.name and r["measure"].startswith("engine: open")
    )
    assert {"dataframe", "eventsourcing", "msgpack_floor"} <= set(replay["ratio_vs"])
    assert replay["results"] > 0
    assert replay["waypoints"] == 3 * replay["results"]  # three splits per stage time
    update = next(
        r for r in document["results"] if r["measure"].startswith("engine: live update in")
    )
    assert update["p99_seconds"] >= update["seconds"]


def test_docs_show_the_committed_results() -> None:
    """docs/performance.md's table is the one rendered from benchmarks/results.json."""
    root = Path(__file__).resolve().parents[1]
    document = json.loads((root / "benchmarks" / "results.json").read_text())
    page = (root / "docs" / "performance.md").read_text(encoding="utf-8")
    shown = page.split("<!-- bench:begin -->\n")[1].split("<!-- bench:end -->")[0]
    assert shown == bench.docs_section(document), "run python -m benchmarks.run --docs"


def test_the_servers_figures_become_rows_and_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live server's document (benchmarks/serve.py) becomes rows of the table, and each
    of its targets a line saying whether it holds (a fixed document: no timing here)."""
    document = {
        "import": {"in_process_median_s": 0.12, "whole_process_median_s": 0.3},
        "waypoint_standings": {
            "stage": 15,
            "waypoint": 40,
            "first_query_ms": 3.0,
            "gc_median_ms": 0.6,
            "gc_p99_ms": 0.8,
            "stage_ranking_median_ms": 0.7,
        },
        "append_visible": {"appends": 50, "median_ms": 8.0},
        "load": {
            "closed_loop": {
                "clients": 200,
                "requests_per_s": 16000.0,
                "errors": 0,
                "p50_ms": 11.0,
                "p99_ms": 60.0,
            },
            "paced_1s": {"clients": 200, "errors": 0, "p50_ms": 0.4, "p99_ms": 9.0},
        },
        "publish": {
            "files": 102,
            "bytes": 7_392_635,
            "full_publish_s": 0.4,
            "appends": 40,
            "append_median_ms": 24.0,
            "append_p99_ms": 55.0,
            "files_written_per_append": 5,
        },
        "memory": {
            "questions": 10_000,
            "seconds": 31.0,
            "rss_after_start_mb": 131.9,
            "rss_after_questions_mb": 147.5,
            "peak_rss_mb": 148.0,
            "growth_mb": 15.6,
        },
    }
    monkeypatch.setattr(bench_serve, "measure", lambda **_: document)
    monkeypatch.setattr(bench_serve, "_dakar_log", lambda: shipped_logs()["dakar-2004"])
    rows = bench._serve_rows(quick=True)
    assert len(rows) == 10
    assert all(row["scale"] == "live 800x15, 40 waypoints" for row in rows)
    closed = next(row for row in rows if "asking again" in row["measure"])
    assert (closed["seconds"], closed["p99_seconds"]) == (0.011, 0.06)
    assert "16,000 requests/s" in closed["measure"]
    lines = bench.targets({"machine": {}, "results": rows})
    assert (
        "- live: importing one stage's 800-row results file at most 200.0 ms: 120.0 ms: holds"
        in lines
    )
    assert "- live: /api/standings p99 under 200 clients at most 50 ms: 60.0 ms: NOT MET" in lines
    assert "- live: a full `standings publish` at most 2.00 s: 400.0 ms: holds" in lines
    assert (
        "- live: publishing one appended result (median) at most 50.0 ms: 24.0 ms: holds" in lines
    )
    assert (
        "- live: the server's memory at most 150 MB above its start-up after 10,000 distinct "
        "questions: +16 MB: holds" in lines
    )
    memory = next(row for row in rows if "distinct questions" in row["measure"])
    assert (memory["peak_rss_mb"], memory["rss_growth_mb"]) == (148.0, 15.6)
    assert "it held 132 MB after start-up, 148 MB after them" in memory["measure"]


def test_the_publishing_docs_quote_the_committed_results() -> None:
    """docs/publishing.md's figures (requests a second served; files, megabytes and the cost
    of one append published) are those of benchmarks/results.json, rounded as the page
    rounds them: a run that moves them fails here until the page says the new ones."""
    root = Path(__file__).resolve().parents[1]
    rows = json.loads((root / "benchmarks" / "results.json").read_text())["results"]
    page = " ".join((root / "docs" / "publishing.md").read_text(encoding="utf-8").split())

    def measure(start: str) -> dict[str, Any]:
        return next(row for row in rows if row["measure"].startswith(start))

    served = measure("serve: GET /api/standings, 200 clients asking again")["measure"]
    rate = int(re.search(r"\(([\d,]+) requests/s", served)[1].replace(",", ""))  # type: ignore[index]
    said = re.search(r"answers about ([\d,]+) requests a second", page)
    assert said is not None
    assert int(said[1].replace(",", "")) == round(rate, -3)
    site = measure("publish: the whole static site")
    files, megabytes = re.search(r"\((\d+) files, (\d+) MB\)", site["measure"]).groups()  # type: ignore[union-attr]
    append_ms = round(measure("publish --watch: one appended result")["seconds"] * 1000)
    assert f"publish writes {files} files ({megabytes} MB)" in page
    assert f"one appended result costs about {append_ms} ms of publishing" in page
