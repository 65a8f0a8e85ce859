"""`standings export`: tidy tables of many logs, checked against the engine's own answers
(issue 22): the standings table is `replay -f json`, the results table `stage -f json`, a
DuckDB query across the Parquet folder answers a cross-rally question as the engine does."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from rally_standings.outputs import EXPORT_TABLES
from rally_standings.replays import load, shipped_logs
from rally_standings.replays.synth import SynthSpec, write_synth
from tests.helpers import cli, run_captured
from tests.truth import answered

SHIPPED = sorted(shipped_logs())


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every shipped log and a small synthetic one (classes of none, waypoints, penalties)."""
    synthetic = tmp_path_factory.mktemp("synth") / "synth.rallylog"
    write_synth(synthetic, SynthSpec(entries=24, stages=4, waypoints=2, seed=5))
    return [*SHIPPED, str(synthetic)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, logs: list[str]) -> Path:
    """The logs exported once as Parquet (DIR/TABLE/rally_id=ID/TABLE.parquet)."""
    folder = tmp_path_factory.mktemp("export") / "tables"
    code, out, err = run_captured(["export", *logs, "-o", str(folder)])
    assert code == 0, err
    assert out.startswith(f"exported {len(logs)} rallies to {folder} (parquet, ")
    return folder


def _table(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(folder / name / "*" / "*.parquet", hive_partitioning=True)


RANKED = ("position", "position_certain", "number", "time_ms", "gap_ms", "class", "class_position")
"""What a classified row says, both in the standings table and in `replay -f json`."""


def _ranked(row: dict[str, Any]) -> tuple[object, ...]:
    return tuple(row[name] for name in RANKED)


def _json(argv: list[str]) -> object:
    code, out, err = run_captured(argv)
    assert code == 0, (argv, err)
    return json.loads(out)


def test_every_table_has_its_documented_columns_and_every_row_its_provenance(
    exported: Path,
) -> None:
    """Each table read back has the columns EXPORT_TABLES declares, in order (rally_id from the
    partition), with their types; no row lacks its seq or provenance."""
    types = {"int": pl.Int64, "str": pl.String, "bool": pl.Boolean}
    for name, columns in EXPORT_TABLES.items():
        frame = _table(exported, name)
        expected = {c.name: types[c.type] for c in columns}
        assert dict(frame.schema) == {
            **{k: v for k, v in expected.items() if k != "rally_id"},
            "rally_id": pl.String,
        }
        for column in columns:
            if not column.nullable:
                assert frame[column.name].null_count() == 0, (name, column.name)
        assert set(frame["provenance"]) <= {
            "printed",
            "derived",
            "note",
            "erratum",
            "synthetic",
            "recorded",
            "inferred",
        }


def test_standings_and_results_tables_are_replay_and_stage_json(
    exported: Path, logs: list[str]
) -> None:
    """For every rally, category and stage: the standings table's rows are `replay -f json`'s
    (classified rows in order, then the crews missing and why), the results table's ranked
    rows are `stage -f json`'s rows and its combined rows the stage's combined times."""
    standings, results = _table(exported, "standings"), _table(exported, "results")
    for log in logs:
        rally = load(log)
        rally_id = rally.declaration.rally_id
        for category in rally.categories:
            mine = standings.filter(
                (pl.col("rally_id") == rally_id) & (pl.col("category") == category)
            )
            replay = _json(["replay", log, "-c", category, "-f", "json"])
            assert isinstance(replay, list)
            for snapshot in replay:
                rows = mine.filter(pl.col("after_stage") == snapshot["after_stage"])
                ranked = rows.filter(pl.col("status") == "classified").rows(named=True)
                assert [_ranked(r) for r in ranked] == [_ranked(r) for r in snapshot["rows"]]
                missing = rows.filter(pl.col("status") != "classified").rows(named=True)
                assert [(r["number"], r["status"], r["reason"]) for r in missing] == [
                    (u["number"], u["status"], u["reason"]) for u in snapshot["unclassified"]
                ]
            assert len(mine) == sum(len(s["rows"]) + len(s["unclassified"]) for s in replay)
            facts = results.filter(
                (pl.col("rally_id") == rally_id) & (pl.col("category") == category)
            )
            for stage in rally.stages():
                code, out, _ = run_captured(
                    ["stage", log, "-c", category, "-s", str(stage), "-f", "json"]
                )
                if code != 0:
                    continue
                answer = json.loads(out)
                here = facts.filter(pl.col("stage") == stage)
                placed = here.filter(pl.col("position").is_not_null()).sort("position", "seq")
                key = (
                    "position",
                    "position_certain",
                    "number",
                    "time_ms",
                    "gap_ms",
                    "penalty_ms",
                    "class",
                    "class_position",
                )
                mine_rows = Counter(tuple(r[k] for k in key) for r in placed.rows(named=True))
                assert mine_rows == Counter(tuple(r[k] for k in key) for r in answer["rows"]), (
                    log,
                    category,
                    stage,
                )
                combined = here.filter(
                    pl.col("position").is_null() & (pl.col("first_stage") != pl.col("stage"))
                )
                assert Counter(
                    (r["number"], r["first_stage"], r["time_ms"]) for r in combined.rows(named=True)
                ) == Counter(
                    (c["number"], c["first_stage"], c["time_ms"]) for c in answer["combined"]
                )


STAGE_WINS = """
SELECT e.driver, count(*) AS stage_wins
FROM read_parquet('{dir}/results/*/*.parquet', hive_partitioning = true) AS r
JOIN read_parquet('{dir}/entries/*/*.parquet', hive_partitioning = true) AS e
  USING (rally_id, entry_id)
JOIN read_parquet('{dir}/rallies/*/*.parquet', hive_partitioning = true) AS y
  USING (rally_id)
WHERE r.position = 1 AND y.year BETWEEN 2001 AND 2004
GROUP BY e.driver
ORDER BY stage_wins DESC, e.driver
"""


def test_a_duckdb_query_across_rallies_answers_as_the_engine(exported: Path) -> None:
    """Stage wins per driver over the 2001–2004 Dakars, in SQL over the Parquet folder, equal
    the first places of every stage ranking the engine gives for those four logs (ties
    counting for each crew sharing first place)."""
    relation = duckdb.sql(STAGE_WINS.format(dir=exported))
    assert relation is not None
    answer = dict(relation.fetchall())
    engine: Counter[str] = Counter()
    for year in (2001, 2002, 2003, 2004):
        rally = load(f"dakar-{year}")
        for _, _, ranking in answered(rally, rally.stage_result):
            engine.update(row.crew[0].name for row in ranking.rows if row.position == 1)
    assert answer == dict(engine)
    assert answer["Hiroshi Masuoka"] == 18


def test_csv_holds_the_same_rows_and_needs_no_extra(
    tmp_path: Path, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With polars unimportable, --format csv still writes one TABLE.csv per table, every
    log's rows in it, the same values as the Parquet tables (null as an empty cell)."""
    monkeypatch.setitem(sys.modules, "polars", None)
    code, _, err = run_captured(["export", *SHIPPED, "-o", str(tmp_path / "csv"), "-f", "csv"])
    assert code == 0, err
    monkeypatch.undo()
    for name, columns in EXPORT_TABLES.items():
        with open(tmp_path / "csv" / f"{name}.csv", encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
        assert reader.fieldnames == [c.name for c in columns]
        frame = _table(exported, name).filter(
            pl.col("rally_id").is_in([load(log).declaration.rally_id for log in SHIPPED])
        )
        assert len(rows) == len(frame), name

        def text(value: object) -> str:
            return (
                ""
                if value is None
                else ("true" if value is True else "false" if value is False else str(value))
            )

        parquet = Counter(tuple(text(r[c.name]) for c in columns) for r in frame.rows(named=True))
        assert Counter(tuple(r[c.name] for c in columns) for r in rows) == parquet, name


def test_export_refusals_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet without the export extra, one rally given twice, a folder that is not empty
    or is a file: one line on stderr, exit 2, nothing written."""
    out = tmp_path / "out"
    for argv, words in [
        (f"export dakar-2004 dakar-2004 -o {out}", "two logs of one rally"),
        (f"export dakar-2004 -o {tmp_path / 'file'}", "not a folder"),
    ]:
        (tmp_path / "file").write_text("x")
        code, _, err = cli(capsys, argv)
        assert (code, err.count("\n")) == (2, 1), err
        assert words in err
        assert not out.exists()
    (out / "x").mkdir(parents=True)
    code, _, err = cli(capsys, f"export dakar-2004 -o {out}")
    assert (code, err.count("\n")) == (2, 1)
    assert "--force" in err
    monkeypatch.setitem(sys.modules, "polars", None)
    code, _, err = cli(capsys, f"export dakar-2004 -o {tmp_path / 'new'}")
    assert (code, err.count("\n")) == (2, 1)
    assert "pip install 'rally-standings[export]'" in err
    assert not (tmp_path / "new").exists()


def test_docs_export_documents_every_column_with_its_type() -> None:
    """docs/export.md's table of tables names each table's columns, in order, with the type
    and nullability EXPORT_TABLES gives (seq and the provenance columns said once for all)."""
    from tests.helpers import ROOT

    text = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    documented = {}
    for name, columns in re.findall(r"^\| `(\w+)` \| [^|]+ \| (.+) \|$", text, re.M):
        documented[name] = [
            (column, kind, bool(null))
            for column, kind, null in re.findall(r"`(\w+)` \((int|str|bool)(, null)?", columns)
        ]
    fact = [("seq", "int", False), ("provenance", "str", False), ("provenance_detail", "str", True)]
    assert documented == {
        name: [(c.name, c.type, c.nullable) for c in columns][: -len(fact)]
        for name, columns in EXPORT_TABLES.items()
    }
    for columns in EXPORT_TABLES.values():
        assert [(c.name, c.type, c.nullable) for c in columns][-len(fact) :] == fact


def test_notebooks_show_the_command_lines_columns() -> None:
    """In a notebook a Standings, a StageResult and a WhatIf are HTML tables whose header
    cells and first row are the plain table's (what `show`, `stage` and `whatif` print)."""
    from rally_standings.engine import what_if
    from rally_standings.events import PenaltyImposed
    from rally_standings.outputs import plain
    from tests.helpers import parse_html, table_rows

    rally = load("example-rally")
    hypothesis = PenaltyImposed(
        penalty_id="H1", entry_id="cars:200", stage=3, amount_ms=600_000, reason="what if"
    )
    answers = [
        rally.standings("cars"),
        rally.stage_result("cars", 3),
        what_if(rally, "cars", [hypothesis]),
    ]
    for answer in answers:
        page = answer._repr_html_()
        assert page is not None
        tree = parse_html(page)
        heads = [cell.text() for cell in tree.find("th")]
        lines = plain(answer).split("\n")
        rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
        assert heads == re.split(r"\s{2,}", lines[rule - 1].strip())
        first = table_rows(tree.find("table")[0])[0]
        assert [cell for cell in first if cell] == re.split(r"\s{2,}", lines[rule + 1].strip())
