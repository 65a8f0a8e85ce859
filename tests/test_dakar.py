"""The four Dakar rallies: the shipped logs reproduce their documented standings, row by row."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from rally_standings.app._cli import main
from rally_standings.replays import load, shipped_logs
from rally_standings.replays.article._verify import verify, verify_json
from rally_standings.replays.build_dakar import REPLAYS, build, generated_sections
from tests.helpers import ROOT, SEEDS

EXPECTED = {
    "dakar-2001": "reproduced 178 of 178 GC rows, 25 of 25 final rows, 6 errata; "
    "178 of 178 stage rows",
    "dakar-2002": "reproduced 129 of 129 GC rows, 30 of 30 final rows, 2 errata; "
    "129 of 129 stage rows",
    "dakar-2003": "reproduced 144 of 144 GC rows, 30 of 30 final rows, 4 errata; "
    "153 of 153 stage rows",
    "dakar-2004": "reproduced 123 of 123 GC rows, 30 of 30 final rows, 5 errata; "
    "132 of 132 stage rows",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verify_reproduces_every_documented_row(name: str) -> None:
    """verify passes: every GC, final and stage row reproduced, or a catalogued erratum."""
    report = verify(name)
    assert [line for line in report.lines if line.startswith("DIFFERENCE")] == []
    assert report.ok
    assert report.summary == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verify_command_exits_0(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line prints the summary last and exits 0."""
    assert main(shlex.split(f"verify {name}")) == 0
    assert capsys.readouterr().out.splitlines()[-1] == EXPECTED[name]


def test_every_shipped_dakar_is_expected() -> None:
    """No Dakar log ships without its verification being asserted here."""
    assert sorted(n for n in shipped_logs() if n.startswith("dakar-")) == sorted(EXPECTED)


def test_documented_winners_2004() -> None:
    """Spot check against the article: the 2004 winners and their printed times."""
    rally = load("dakar-2004")
    winners = {c: rally.standings(c).rows[0] for c in rally.categories}
    assert (winners["bikes"].crew[0].name, winners["bikes"].number) == ("Nani Roma", "4")
    assert winners["cars"].crew[0].name == "Stéphane Peterhansel"
    assert winners["cars"].time_ms == (53 * 3600 + 47 * 60 + 37) * 1000
    assert winners["trucks"].crew[0].name == "Vladimir Chagin"
    state = rally.fold.penalty("2004-cars-peterhansel-assistance")
    assert state is not None
    penalty = state.event
    assert (penalty.stage, penalty.delta_ms, penalty.in_stage) == (5, 300_000, False)
    assert rally.stage_result("cars", 5).rows[0].crew[0].name == "Stéphane Peterhansel"


def test_docs_tables_are_generated() -> None:
    """docs/dakar.md's errata and verification tables are what the data generates today."""
    page = (ROOT / "docs" / "dakar.md").read_text(encoding="utf-8")
    for name, content in generated_sections().items():
        generated = page.split(f"<!-- {name}:begin -->\n")[1].split(f"<!-- {name}:end -->")[0]
        assert generated == content, (
            f"run python -m rally_standings.replays.build_dakar --docs ({name})"
        )


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the articles (../shared/seeds) are not here")
def test_shipped_logs_are_what_the_importer_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rebuilding each log from its article and editorial file gives the shipped bytes."""
    for editorial in sorted(REPLAYS.glob("dakar-*.toml")):
        name = editorial.name.removesuffix(".toml")
        copy = tmp_path / editorial.name
        copy.write_bytes(editorial.read_bytes())
        assert build(copy, SEEDS), name
        assert (tmp_path / f"{name}.rallylog").read_bytes() == (
            REPLAYS / f"{name}.rallylog"
        ).read_bytes(), name
        assert (tmp_path / f"{name}.documented.json").read_bytes() == (
            REPLAYS / f"{name}.documented.json"
        ).read_bytes(), name
    capsys.readouterr()


def test_verify_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """`verify --format json` has exactly the documented keys, types and values (dakar-2004)."""
    assert main(["verify", "dakar-2004", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert sorted(document) == [
        "differences", "errata", "final", "gc", "log", "penalties", "stage"
    ]  # fmt: skip
    assert document["log"].endswith("dakar-2004.rallylog")
    assert (document["gc"], document["final"], document["stage"]) == (
        {"reproduced": 123, "total": 123},
        {"reproduced": 30, "total": 30},
        {"reproduced": 132, "total": 132},
    )
    assert document["differences"] == []
    assert len(document["errata"]) == 5
    assert document["errata"][1] == {
        "id": "2004-cars-s03-stage3-gap",
        "category": "cars",
        "table": "stage",
        "stage": 3,
        "row": 3,
        "field": "gap",
        "printed": "0:00:27",
        "used": "0:00:05",
        "inferred": False,
        "evidence": document["errata"][1]["evidence"],
    }
    assert document["errata"][4]["used"] == "drop"
    assert document["penalties"] == [
        {
            "id": "2004-cars-peterhansel-assistance",
            "category": "cars",
            "number": "203",
            "crew": ["Stéphane Peterhansel", "Jean-Paul Cottret"],
            "stage": 5,
            "amount_ms": 300_000,
            "inferred": False,
        }
    ]
    entries = json.loads(
        json.dumps(next(e for e in verify_json("dakar-2001")["errata"] if e["table"] == "entries"))
    )
    assert (entries["stage"], entries["row"], entries["printed"], entries["used"]) == (
        None,
        71,
        "203",
        "none",
    )
