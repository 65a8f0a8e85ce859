"""`import --infer` on articles nobody reviewed: the four Dakar seeds and synthetic rallies.

The seeds are imported in an empty folder with no editorial file; every
printed GC and final row must be reproduced, and the inferred decisions are
compared one by one with the reviewed files (``replays/dakar-YEAR.toml``,
which stay the shipped truth). The synthetic articles come from simulated
rallies with the full truth beside them and planted source errors: every
printed row must replay at its true position and time, every planted error
be found with its true value.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rally_standings.engine import Rally, fold_name
from rally_standings.events import PenaltyImposed, StageCancelled
from rally_standings.replays import load
from rally_standings.replays.article._editorial import Editorial, load_editorial
from rally_standings.replays.article._infer import infer_decisions
from rally_standings.replays.article._parse import parse_article, parse_clock
from rally_standings.replays.article._pipeline import import_file
from rally_standings.replays.article._verify import verify
from rally_standings.replays.build_dakar import REPLAYS
from tests.helpers import SEEDS
from tests.synthetic_articles import ERROR_KINDS, check_import, synth_article

Counts = tuple[int, int, int, int]
"""Found the same, found differently, missed, found beyond the reviewed file."""


def _compare_errata(reviewed: Editorial, inferred: Editorial) -> Counts:
    def value(field: str, text: str) -> object:
        return parse_clock(text) if field in ("time", "gap") else text

    theirs = {(e.category, e.table, e.stage, e.row): e for e in reviewed.errata}
    ours = {(e.category, e.table, e.stage, e.row): e for e in inferred.errata}
    same = sum(
        1
        for place, e in theirs.items()
        if place in ours
        and ours[place].field == e.field
        and value(e.field, ours[place].corrected) == value(e.field, e.corrected)
    )
    both = len(theirs.keys() & ours.keys())
    return same, both - same, len(theirs.keys() - ours.keys()), len(ours.keys() - theirs.keys())


def _penalties(rally: Rally) -> dict[tuple[str, str], tuple[int, int, bool]]:
    entries = {e.entry_id: e for e in rally.entries()}
    return {
        (entries[r.event.entry_id].category, fold_name(entries[r.event.entry_id].crew[0].name)): (
            r.event.stage,
            r.event.amount_ms,
            r.event.gc_only,
        )
        for r in rally.records
        if isinstance(r.event, PenaltyImposed)
    }


def _compare_values(theirs: dict[object, object], ours: dict[object, object]) -> Counts:
    both = theirs.keys() & ours.keys()
    same = sum(1 for k in both if theirs[k] == ours[k])
    return (
        same,
        len(both) - same,
        len(theirs.keys() - ours.keys()),
        len(ours.keys() - theirs.keys()),
    )


def _awards(rally: Rally) -> dict[object, object]:
    return {
        (category, r.event.stage): r.event.awarded_ms
        for r in rally.records
        if isinstance(r.event, StageCancelled) and r.event.awarded_ms is not None
        for category in r.event.categories
    }


def _names(items: object) -> dict[object, object]:
    return {fold_name(a.printed): fold_name(a.name) for a in items}  # type: ignore[attr-defined]


SEED_FILES = {
    "dakar-2004": "000_ec2c8ada3c9fcad5.txt",
    "dakar-2003": "001_0fc92a9e33b49353.txt",
    "dakar-2002": "002_411d8b9b4b66992c.txt",
    "dakar-2001": "003_586c4b139a2f0919.txt",
}

# measured by this test: (found the same, found differently, missed, found beyond the file)
EXPECTED_COMPARISON: dict[str, dict[str, Counts]] = {
    "dakar-2004": {"errata": (5, 0, 0, 0), "penalties": (1, 0, 0, 0), "awards": (1, 0, 0, 0)},
    "dakar-2003": {
        "errata": (4, 0, 0, 0),
        "penalties": (1, 0, 0, 0),
        "aliases": (1, 0, 0, 0),
        "retirements": (0, 0, 1, 0),
        "unrecorded": (1, 0, 0, 0),
    },
    "dakar-2002": {
        "errata": (2, 0, 0, 0),
        "penalties": (2, 0, 0, 0),
        "awards": (1, 0, 0, 0),
        "retirements": (0, 0, 1, 0),
    },
    "dakar-2001": {"errata": (6, 0, 0, 0), "penalties": (4, 0, 0, 0), "aliases": (2, 0, 0, 0)},
}
"""A kind not listed for a rally: none in the reviewed file, none inferred, (0, 0, 0, 0)."""

# measured by `standings verify` on the inferred logs (the shipped logs give the same)
EXPECTED_VERIFY = {
    "dakar-2004": "reproduced 123 of 123 GC rows, 30 of 30 final rows, 5 errata; "
    "132 of 132 stage rows",
    "dakar-2003": "reproduced 144 of 144 GC rows, 30 of 30 final rows, 4 errata; "
    "153 of 153 stage rows",
    "dakar-2002": "reproduced 129 of 129 GC rows, 30 of 30 final rows, 2 errata; "
    "129 of 129 stage rows",
    "dakar-2001": "reproduced 178 of 178 GC rows, 25 of 25 final rows, 6 errata; "
    "178 of 178 stage rows",
}


@pytest.fixture(scope="module")
def inferred_seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each seed article copied into an empty folder and imported there with --infer alone."""
    if not SEEDS.is_dir():
        pytest.skip(f"the seed articles are not in {SEEDS} (set RALLY_SEEDS)")
    logs = {}
    for name, file_name in SEED_FILES.items():
        folder = tmp_path_factory.mktemp(name)
        shutil.copy(SEEDS / file_name, folder / file_name)
        log = folder / file_name.replace(".txt", ".rallylog")
        import_file(folder / file_name, log, infer=True)
        logs[name] = log
    return logs


@pytest.mark.parametrize("name", sorted(SEED_FILES))
def test_seed_reproduces_every_printed_row_with_infer_alone(
    name: str, inferred_seeds: dict[str, Path]
) -> None:
    """574 of 574 GC rows and 115 of 115 final rows over the four seeds, with no reviewed file."""
    report = verify(inferred_seeds[name])
    assert [line for line in report.lines if line.startswith("DIFFERENCE")] == []
    assert report.summary == EXPECTED_VERIFY[name]


def test_seed_totals() -> None:
    """The figures above add up to every printed GC and final row of the four seeds."""
    gc = sum(int(s.split(" of ")[1].split()[0]) for s in EXPECTED_VERIFY.values())
    final = sum(
        int(s.split("GC rows, ")[1].split(" of ")[1].split()[0]) for s in EXPECTED_VERIFY.values()
    )
    assert (gc, final) == (574, 115)


@pytest.mark.parametrize("name", sorted(SEED_FILES))
def test_seed_inference_against_the_reviewed_file(
    name: str, inferred_seeds: dict[str, Path]
) -> None:
    """Every decision of the reviewed file compared with the inferred one: the same, different,
    missed or beyond it, per kind. Retirements are not inferred (no rule reads them from the
    prose, and they change no number); every other reviewed decision is found the same."""
    log = inferred_seeds[name]
    reviewed = load_editorial(REPLAYS / f"{name}.toml")
    draft = load_editorial(log.with_name(log.name.replace(".rallylog", ".toml")))
    inferred = Editorial(
        errata=tuple(e for e in draft.errata if e.inferred),
        aliases=tuple(a for a in draft.aliases if a.inferred),
        unrecorded=tuple(u for u in draft.unrecorded if u.inferred),
    )
    assert len(inferred.errata) == len(draft.errata)  # nothing reviewed in the draft
    shipped, ours = load(name), load(log)
    measured = {
        "errata": _compare_errata(reviewed, inferred),
        "penalties": _compare_values(_penalties(shipped), _penalties(ours)),  # type: ignore[arg-type]
        "awards": _compare_values(_awards(shipped), _awards(ours)),
        "aliases": _compare_values(_names(reviewed.aliases), _names(inferred.aliases)),
        "retirements": (0, 0, len(reviewed.retirements), 0),
        "unrecorded": _compare_values(
            {(u.category, u.statement.split()[0]): 1 for u in reviewed.unrecorded},
            {(u.category, u.statement.split()[0]): 1 for u in inferred.unrecorded},
        ),
    }
    expected = EXPECTED_COMPARISON[name]
    assert measured == {kind: expected.get(kind, (0, 0, 0, 0)) for kind in measured}
    assert set(expected) <= set(measured)


def test_seed_rally_ids_come_from_the_titles(inferred_seeds: dict[str, Path]) -> None:
    """The id is the title's, whatever the file is called; two titles name the route."""
    assert {name: load(log).declaration.rally_id for name, log in inferred_seeds.items()} == {
        "dakar-2004": "dakar-2004",
        "dakar-2003": "dakar-2003",
        "dakar-2002": "arras-madrid-dakar-2002",
        "dakar-2001": "paris-dakar-2001",
    }


def test_seed_draft_round_trips(inferred_seeds: dict[str, Path], tmp_path: Path) -> None:
    """Importing a seed again with its draft as --editorial gives the same log, byte for byte."""
    log = inferred_seeds["dakar-2001"]
    draft = log.with_name(log.name.replace(".rallylog", ".toml"))
    again = tmp_path / "again.rallylog"
    import_file(log.with_name(SEED_FILES["dakar-2001"]), again, editorial=draft)
    assert again.read_bytes() == log.read_bytes()
    assert (
        tomllib.loads(draft.read_text(encoding="utf-8"))["rally"]["article"]
        == (SEED_FILES["dakar-2001"])
    )


# --------------------------------------------------------------------------- synthetic


def _check(seed: int, errors: bool) -> list[str]:
    synth = synth_article(seed, errors=errors)
    inference = infer_decisions(
        parse_article(synth.text, source=f"synth-{seed}.txt"), Editorial(), source="synth"
    )
    assert inference.result.declaration.rally_id == synth.rally_id
    return check_import(synth, inference.result, inference.inferred)


@pytest.mark.parametrize("seed", [2, 3, 6, 9])
def test_synthetic_article_with_every_kind_of_error(seed: int) -> None:
    """A simulated rally printed with one source error of each kind: every printed row
    replays at its true position and time, every error is found with its true value, both
    penalties and the awarded time are at their true stage, nothing else is inferred."""
    synth = synth_article(seed, errors=True)
    assert {p.kind for p in synth.planted} == set(ERROR_KINDS)
    assert _check(seed, errors=True) == []


def test_synthetic_article_without_errors() -> None:
    """With no planted error only the penalties and the awarded time are inferred."""
    assert _check(100, errors=False) == []


@pytest.mark.slow
@pytest.mark.parametrize("block", range(10))
def test_synthetic_articles_many_seeds(block: int) -> None:
    """500 seeds (50 per block), with and without planted errors."""
    problems = {
        seed: found
        for seed in range(block * 50, block * 50 + 50)
        for found in [_check(seed, errors=seed % 5 != 0)]
        if found
    }
    assert problems == {}


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=100_000))
def test_draft_round_trip_on_synthetic_articles(seed: int) -> None:
    """For any synthetic article, importing it with its inferred draft as the editorial file
    gives exactly the log the inference gave (same events, same provenance)."""
    from rally_standings.replays.article._editorial import parse_editorial
    from rally_standings.replays.article._import import import_parsed
    from rally_standings.replays.article._infer import draft_text

    synth = synth_article(seed, errors=True)
    article = parse_article(synth.text, source="s.txt")
    inference = infer_decisions(article, Editorial(), source="s.txt")
    text = draft_text(None, inference.inferred, rally_id=synth.rally_id, article="s.txt")
    draft = parse_editorial(tomllib.loads(text), where="draft.toml")
    again = import_parsed(article, draft, source="s.txt")
    assert again.issues == ()
    assert (again.declaration, again.events) == (
        inference.result.declaration,
        inference.result.events,
    )
