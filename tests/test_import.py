"""The importer on a small hand-made article: every shape of the Dakar articles, value by value.

tests/data/test-rally-1999.txt is invented: a prologue, a liaison-only stage,
a stage cancelled for all (no award) and one cancelled for trucks with a time
awarded by a note that names no stage, a printed tie, a crew seen only in the
final standings, a note penalty without a stage, and a GC value copied from an
earlier stage.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from rally_standings.app._cli import main
from rally_standings.engine import load
from rally_standings.events import RallyError, SourceKind, StageKind, StageScheduled
from rally_standings.replays.article._editorial import parse_editorial
from rally_standings.replays.article._import import fold_name, import_article
from rally_standings.replays.article._pipeline import import_file
from rally_standings.replays.article._verify import verify

ARTICLE = Path(__file__).parent / "data" / "test-rally-1999.txt"

EDITORIAL = ARTICLE.with_suffix(".toml").read_text(encoding="utf-8")
"""The reviewed editorial file of the test article: its erratum and its note penalty."""


def _write(tmp_path: Path, editorial: str = EDITORIAL) -> Path:
    path = tmp_path / "test-1999.toml"
    path.write_text(editorial)
    return path


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """The test article imported with its editorial file; returns the log path."""
    _write(tmp_path)
    log = tmp_path / "test-1999.rallylog"
    import_file(ARTICLE, log)
    return log


def test_names_fold_accents_case_and_hyphens() -> None:
    """Spellings of one name match; different first names never do."""
    assert fold_name("Stéphane Peterhansel") == fold_name("stephane PETERHANSEL")
    assert fold_name("Jean-Pierre Fontenay") == fold_name("Jean Pierre Fontenay")
    assert fold_name("Gérard de Rooy") != fold_name("Jan de Rooy")


def test_consistency_check_catches_a_stale_copied_value() -> None:
    """Without the erratum, the copied GC value is reported three ways and nothing is written."""
    result = import_article(
        ARTICLE.read_text(), parse_editorial({"rally": {"id": "t"}}), source="t"
    )
    kinds = sorted(issue.kind for issue in result.issues)
    assert kinds == ["final-vs-gc", "gc-gap", "gc-step"]
    gap = next(i for i in result.issues if i.kind == "gc-gap")
    assert (gap.category, gap.stage, gap.line) == ("bikes", 6, 33)  # the printed 51:00


def test_import_refuses_while_inconsistent(tmp_path: Path) -> None:
    """import_file writes no log while an inconsistency is unresolved, and lists it."""
    _write(tmp_path, '[rally]\nid = "test-1999"\n')
    log = tmp_path / "test-1999.rallylog"
    with pytest.raises(RallyError, match="3 inconsistencies") as caught:
        import_file(ARTICLE, log)
    assert not log.exists()
    assert len(caught.value.issues) == 3  # type: ignore[attr-defined]


def test_stage_statuses(imported: Path) -> None:
    """Prologue, liaison and cancellations come from the table remarks, per category."""
    rally = load(imported)
    stages = {r.event.stage: r.event for r in rally.records if isinstance(r.event, StageScheduled)}
    assert stages[1].kind_for("bikes") is StageKind.PROLOGUE
    assert stages[3].kind_for("bikes") is StageKind.LIAISON
    assert stages[3].kind_for("trucks") is StageKind.SPECIAL
    assert stages[1].date == "1998-12-30"  # December dates belong to the year before
    assert stages[6].date == "1999-01-04"
    cancelled = {
        (cancel.event.stage, category): cancel
        for category in rally.categories
        for cancel in rally.fold.cancellations(category)
    }
    assert set(cancelled) == {(2, "trucks"), (5, "bikes"), (5, "trucks")}
    assert cancelled[(5, "bikes")].event.awarded_ms is None
    assert cancelled[(2, "trucks")].event.awarded_ms is None
    assert cancelled[(5, "trucks")].event.awarded_ms == 600_000  # placed by the numbers


def test_gc_after_every_stage(imported: Path) -> None:
    """The replayed GC equals the printed one, including the corrected value."""
    rally = load(imported)

    def gc(category: str, stage: int) -> list[tuple[str, str, int]]:
        return [
            (r.position_text, r.crew[0].name, r.time_ms // 1000)
            for r in rally.standings(category, stage).rows
        ]

    assert gc("bikes", 2) == [
        ("1", "Alain Ace", 1800),
        ("2", "Bruno Bée", 1810),
        ("3", "Carlo Cee", 1820),
    ]
    assert gc("bikes", 4) == [
        ("1", "Bruno Bée", 3015),
        ("2", "Alain Ace", 3030),
        ("3", "Carlo Cee", 3060),
    ]
    assert gc("bikes", 6) == [
        ("1", "Bruno Bée", 5416),
        ("2", "Alain Ace", 5430),
        ("3", "Carlo Cee", 5581),
        ("4", "Dario Dee", 5716),
    ]
    assert gc("trucks", 6) == [("1", "Tom Truck", 10770), ("2", "Uri Uno", 10800)]


def test_derived_times_carry_their_provenance(imported: Path) -> None:
    """Cee's stage-4 time is derived from two GC rows; Dee's total from the final standings."""
    rally = load(imported)
    cee = rally.standings("bikes", 4).row_for("3")
    assert cee is not None
    stage4 = next(c for c in cee.components if c.stage == 4)
    assert stage4.time_ms == 1_240_000  # 51:00 - 30:20
    assert stage4.provenance.kind is SourceKind.DERIVED
    assert "GC after stage 4 (line 29) − GC after stage 2 (line 25)" in (
        stage4.provenance.detail or ""
    )
    dee = rally.standings("bikes", 6).row_for("4")
    assert dee is not None
    assert [(c.kind, c.stage, c.first_stage, c.time_ms // 1000) for c in dee.components] == [
        ("result", 4, None, 1200),
        ("result", 6, 2, 4516),
    ]
    assert (
        dee.components[1].note == "combined result for stages 2–6 (stage 4 has a time of its own)"
    )
    assert dee.position_certain  # the final standings print 4 rows


def test_note_penalty_without_a_stage_is_placed_by_the_numbers(imported: Path) -> None:
    """The note names no stage; the GC step at stage 6 exceeds the stage time by exactly 2:00."""
    rally = load(imported)
    penalty = rally.fold.penalty("cee-speeding")
    assert penalty is not None
    assert (penalty.event.stage, penalty.event.delta_ms, not penalty.event.in_stage) == (
        6,
        120_000,
        True,
    )
    assert penalty.event.provenance.kind is SourceKind.NOTE


def test_tie_and_coverage(imported: Path) -> None:
    """A row printed without a position shares the one above; beyond the printed rows, ≥."""
    rally = load(imported)
    stage6 = rally.stage_result("bikes", 6)
    assert [(r.position_text, r.crew[0].name) for r in stage6.rows] == [
        ("1", "Alain Ace"),
        ("2", "Bruno Bée"),
        ("2", "Carlo Cee"),
    ]  # tie: lower number first
    after4 = rally.standings("bikes", 4)
    assert [r.position_certain for r in after4.rows] == [True, True, True]
    assert rally.stage_result("bikes", 4).rows[0].crew[0].name == "Dario Dee"


def test_documented_rows_are_stored_as_printed(imported: Path) -> None:
    """The documented file keeps the printed (wrong) value and the printed tie row as they are."""
    documented = json.loads((imported.parent / "test-1999.documented.json").read_text())
    bikes = documented["categories"]["bikes"]
    stale = next(r for r in bikes["gc"] if r["stage"] == 6 and r["row"] == 3)
    assert (stale["time"], stale["gap"], stale["driver"]) == ("51:00", "2:45", "Carlo Cee")
    tie = next(r for r in bikes["stage"] if r["stage"] == 6 and r["row"] == 3)
    assert (tie["position"], tie["time"]) == (None, None)
    assert bikes["stages"] == {
        "1": "prologue",
        "2": "counted",
        "3": "liaison",
        "4": "counted",
        "5": "cancelled",
        "6": "counted",
    }


def test_verify_reports_errata_and_counts(imported: Path) -> None:
    """verify reproduces every row and names the erratum it relied on."""
    report = verify(imported)
    assert report.ok
    assert report.summary == (
        "reproduced 15 of 15 GC rows, 6 of 6 final rows, 1 errata; 20 of 20 stage rows"
    )
    assert any(
        line.startswith("erratum cee-s6-gc: bikes GC after stage 6, row 3")
        and "time printed 51:00, replayed 1:33:01" in line
        for line in report.lines
    )


def test_verify_fails_on_a_tampered_log(
    imported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A replay that differs from the print (a penalty added) is a DIFFERENCE and exit 1."""
    assert (
        main(
            shlex.split(
                f"record {imported} penalty --category trucks --entry 401 --stage 6 --amount "
                "0:01:00 --reason test"
            )
        )
        == 0
    )
    capsys.readouterr()
    assert main(shlex.split(f"verify {imported}")) == 1
    out = capsys.readouterr().out
    assert (
        "DIFFERENCE trucks GC after stage 6, row 2 (line 50), Uri Uno: time: printed 3:00:00, "
        "replayed 3:01:00" in out
    )
    assert main(["verify", str(imported), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert {
        "where": "trucks GC after stage 6, row 2 (line 50), Uri Uno",
        "what": "time: printed 3:00:00, replayed 3:01:00",
    } in document["differences"]
    first = document["penalties"][0]
    assert (first["id"], first["stage"], first["inferred"]) == (
        "cee-speeding",
        6,
        False,
    )
    assert len(document["penalties"]) == 2


def test_cli_import_refuses_with_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`standings import` without the errata prints each issue and exits 2, writing nothing."""
    log = tmp_path / "x.rallylog"
    code = main(shlex.split(f"import {ARTICLE} -o {log}"))
    out, err = capsys.readouterr()
    assert code == 2
    assert len(out.splitlines()) == 3
    assert err.startswith("standings: error: 3 inconsistencies not resolved")
    assert not log.exists()


# --------------------------------------------------------------------------- files written


def _run(argv: str) -> int:
    """``standings argv`` in-process; its exit status, a usage error's included."""
    try:
        return main(shlex.split(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)


def test_rally_id_comes_from_the_title_not_the_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any output name works (x.log, Capitals.rallylog); the id is the title's, or --id's."""
    editorial = _write(tmp_path, EDITORIAL.replace('id = "test-1999"\n', ""))
    assert _run(f"import {ARTICLE} -o {tmp_path / 'x.log'} --editorial {editorial}") == 0
    assert load(tmp_path / "x.log").declaration.rally_id == "test-1999"
    assert (tmp_path / "x.log.documented.json").exists()
    assert _run(f"import {ARTICLE} -o {tmp_path / 'Y.rallylog'} --editorial {editorial}") == 0
    assert (
        _run(f"import {ARTICLE} -o {tmp_path / 'z.rallylog'} --editorial {editorial} --id my-1999")
        == 0
    )
    assert load(tmp_path / "z.rallylog").declaration.rally_id == "my-1999"
    capsys.readouterr()
    assert (
        _run(f"import {ARTICLE} -o {tmp_path / 'w.rallylog'} --editorial {editorial} --id W.1") == 2
    )
    assert "not a rally id (--id)" in capsys.readouterr().err
    assert not (tmp_path / "w.rallylog").exists()


def test_missing_editorial_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--editorial missing.toml is refused (exit 2, one line), not read as an empty file."""
    log = tmp_path / "t.rallylog"
    assert _run(f"import {ARTICLE} -o {log} --editorial {tmp_path / 'missing.toml'}") == 2
    err = capsys.readouterr().err
    assert err.startswith("standings: error: no such editorial file")
    assert len(err.splitlines()) == 1
    assert sorted(tmp_path.iterdir()) == []


def test_existing_outputs_are_refused_unless_forced(tmp_path: Path) -> None:
    """A second import over the same log, or over its documented file, needs --force."""
    editorial = _write(tmp_path)
    log = tmp_path / "test-1999.rallylog"
    import_file(ARTICLE, log, editorial=editorial)
    before = log.read_bytes()
    with pytest.raises(RallyError, match="a file already exists there"):
        import_file(ARTICLE, log, editorial=editorial)
    log.unlink()
    with pytest.raises(RallyError, match="a file already exists there") as caught:
        import_file(ARTICLE, log, editorial=editorial)
    assert caught.value.where == str(tmp_path / "test-1999.documented.json")
    assert not log.exists()
    import_file(ARTICLE, log, editorial=editorial, force=True)
    assert log.read_bytes() == before


def test_a_folder_where_an_output_goes_is_refused_first(tmp_path: Path) -> None:
    """A folder where the documented file would go is refused before anything is written."""
    editorial = _write(tmp_path)
    log = tmp_path / "test-1999.rallylog"
    (tmp_path / "test-1999.documented.json").mkdir()
    with pytest.raises(RallyError, match="not a regular file"):
        import_file(ARTICLE, log, editorial=editorial, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "test-1999.documented.json",
        "test-1999.toml",
    ]


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the log cannot be renamed into place, no output (and no temporary file) remains."""
    editorial = _write(tmp_path)
    log = tmp_path / "test-1999.rallylog"
    real_replace = os.replace

    def failing_replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        if Path(target) == log:
            raise OSError(28, "No space left on device", str(target))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(RallyError, match="cannot write the import"):
        import_file(ARTICLE, log, editorial=editorial)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test-1999.toml"]


def test_verify_finds_the_editorial_file_import_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An editorial file from elsewhere is copied beside the log, so verify applies its errata."""
    elsewhere = tmp_path / "reviewed"
    elsewhere.mkdir()
    editorial = elsewhere / "decisions.toml"
    editorial.write_text(EDITORIAL)
    out = tmp_path / "out"
    out.mkdir()
    assert _run(f"import {ARTICLE} -o {out / 'r.rallylog'} --editorial {editorial}") == 0
    assert (out / "r.toml").read_bytes() == editorial.read_bytes()
    capsys.readouterr()
    assert _run(f"verify {out / 'r.rallylog'}") == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "reproduced 15 of 15 GC rows, 6 of 6 final rows, 1 errata; 20 of 20 stage rows"
    )
    # a different file already beside the log is an existing output
    (out / "s.toml").write_text("# someone else's\n[rally]\n")
    assert _run(f"import {ARTICLE} -o {out / 's.rallylog'} --editorial {editorial}") == 2
    assert not (out / "s.rallylog").exists()


def test_article_that_is_not_utf8_or_not_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A binary article and a folder given as the article are one-line errors, exit 2."""
    binary = tmp_path / "a.txt"
    binary.write_bytes(b"= 2004 Dakar Rally =\n\xff\xfe\n")
    assert _run(f"import {binary} -o {tmp_path / 'a.rallylog'}") == 2
    assert "the article is not UTF-8 text" in capsys.readouterr().err
    assert _run(f"import {tmp_path} -o {tmp_path / 'b.rallylog'}") == 2
    assert "not a regular file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
