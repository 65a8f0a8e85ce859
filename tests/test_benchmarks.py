"""The benchmark suite at its smallest scale: it runs, the alternatives agree, the JSON holds.

No timing is asserted: speed is measured by ``python -m benchmarks.run``, not tested.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import run as bench
from benchmarks._alternatives import dataframe_gc, eventsourcing_gc, eventsourcing_store


@pytest.fixture
def small_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 60-entry synthetic rally with splits, generated into a private cache."""
    monkeypatch.setattr(bench, "CACHE", tmp_path)
    from rally_standings.replays.synth import SynthSpec

    return bench._log_for("tiny", SynthSpec(entries=60, stages=6, waypoints=3, seed=4))


def test_alternatives_compute_the_engines_standings(small_log: Path) -> None:
    """polars and eventsourcing give exactly the engine's GC after every stage (same work)."""
    expected = bench.engine_gc(small_log)
    assert len(expected) == 3 * 5  # three categories, stages 2-6 (1 is the prologue)
    assert dataframe_gc(small_log) == expected
    app, aggregate_id = eventsourcing_store(small_log)
    assert eventsourcing_gc(app, aggregate_id) == expected


def test_suite_smoke_run_writes_the_json_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m benchmarks.run --scales real` prints the table and writes the JSON shape."""
    monkeypatch.setattr(bench, "CACHE", tmp_path / "cache")
    output = tmp_path / "results.json"
    assert bench.main(["--scales", "real", "--repeat", "1", "--output", str(output)]) == 0
    document = json.loads(output.read_text())
    assert set(document) == {"machine", "results"}
    assert document["machine"]["python"]
    measures = {(r["scale"], r["measure"]) for r in document["results"]}
    synthetic = "real: synthetic 400x15"
    for measure in (
        "engine: open + GC after every stage",
        "dataframe (polars): read + GC after every stage",
        "eventsourcing: replay aggregate + GC every stage",
        "msgpack floor: decode the log, nothing else",
        "engine: appends, batched (5000 a batch, validated)",
        "engine: appends, one by one, each fsync'd",
    ):
        assert (synthetic, measure) in measures
    for row in document["results"]:
        assert set(row) == {
            "scale",
            "events",
            "measure",
            "seconds",
            "events_per_s",
            "peak_rss_mb",
            "ratio_vs",
        }
        assert row["seconds"] > 0
    replay = next(
        r
        for r in document["results"]
        if r["scale"] == synthetic and r["measure"].startswith("engine: open")
    )
    assert set(replay["ratio_vs"]) == {"dataframe", "eventsourcing", "msgpack_floor"}
    assert replay["events"] == 5873
    assert replay["peak_rss_mb"] > 0
    out = capsys.readouterr().out
    assert "| scale" in out
    assert f"wrote {output}" in out


def test_readme_shows_the_committed_results() -> None:
    """The README's benchmark table is the one rendered from benchmarks/results.json."""
    root = Path(__file__).resolve().parents[1]
    document = json.loads((root / "benchmarks" / "results.json").read_text())
    readme = (root / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- bench:begin -->\n")[1].split("<!-- bench:end -->")[0]
    assert shown == bench.readme_section(document), "run python -m benchmarks.run --readme"
