"""Editorial files are read strictly, and what the importer writes reads back the same."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rally_standings.events import RallyError
from rally_standings.replays.article._editorial import (
    Alias,
    Award,
    Editorial,
    EditorialError,
    Erratum,
    PenaltyDecision,
    Retirement,
    Unrecorded,
    dump_editorial,
    load_editorial,
    parse_editorial,
)

REPLAYS = Path(__file__).resolve().parents[1] / "replays"

RALLY = '[rally]\nid = "test-1999"\n'
ERRATUM = """
[[erratum]]
id = "e1"
category = "bikes"
table = "gc"
stage = 6
row = 3
field = "time"
printed = "51:00"
corrected = "1:33:01"
evidence = "the gap says so"
"""
PENALTY = """
[[penalty]]
id = "p1"
category = "bikes"
competitor = "Carlo Cee"
amount = "0:02:00"
gc_only = true
reason = "speeding"
source = "note"
evidence = "the note says so"
"""


def _error(text: str) -> EditorialError:
    with pytest.raises(EditorialError) as caught:
        parse_editorial(tomllib.loads(text), where="f.toml")
    return caught.value


def test_a_well_formed_file_reads() -> None:
    """The tables read into their decisions, with defaults for the optional keys."""
    editorial = parse_editorial(tomllib.loads(RALLY + ERRATUM + PENALTY), where="f.toml")
    assert editorial.rally_id == "test-1999"
    assert editorial.errata[0].kind == "error"
    assert editorial.errata[0].inferred is False
    penalty = editorial.penalties[0]
    assert (penalty.stage, penalty.amount_ms, penalty.gc_only, penalty.in_stage_time) == (
        None,
        120_000,
        True,
        False,
    )


def test_unknown_table_is_refused() -> None:
    """A misspelled table name ([[erratun]]) is an error naming the file and the table."""
    error = _error(RALLY + ERRATUM.replace("[[erratum]]", "[[erratun]]"))
    assert error.what == "unknown table"
    assert error.where == "f.toml"
    assert error.received == "[[erratun]]"
    assert "[[erratum]]" in (error.expected or "")


def test_misspelled_key_is_refused() -> None:
    """gc_onyl = true is an error naming file, table, index and the key, with a suggestion."""
    error = _error(RALLY + PENALTY + PENALTY.replace("gc_only", "gc_onyl").replace("p1", "p2"))
    assert error.what == "unknown key"
    assert error.where == "f.toml [[penalty]] #2, gc_onyl"
    assert "did you mean gc_only?" in (error.expected or "")
    assert error.received == "gc_onyl = True"


def test_unknown_key_in_the_rally_table_is_refused() -> None:
    """[rally] holds only id and article."""
    error = _error('[rally]\nid = "x"\nname = "X"\n')
    assert (error.what, error.where) == ("unknown key", "f.toml [rally], name")


@pytest.mark.parametrize(
    ("text", "where", "expected", "received"),
    [
        (ERRATUM.replace("row = 3", 'row = "3"'), "[[erratum]] #1, row", "a whole number", "'3'"),
        (
            ERRATUM.replace("stage = 6", "stage = true"),
            "[[erratum]] #1, stage",
            "a whole number",
            "True",
        ),
        (
            ERRATUM.replace('table = "gc"', 'table = "gcc"'),
            "[[erratum]] #1, table",
            "one of stage, gc, final, entries",
            "'gcc'",
        ),
        (
            PENALTY.replace("gc_only = true", 'gc_only = "yes"'),
            "[[penalty]] #1, gc_only",
            "true or false",
            "'yes'",
        ),
        (PENALTY.replace('"0:02:00"', "2"), "[[penalty]] #1, amount", "a string (in quotes)", "2"),
        (
            PENALTY.replace('source = "note"', 'source = "rumour"'),
            "[[penalty]] #1, source",
            "one of note, prose, arithmetic",
            "'rumour'",
        ),
    ],
)
def test_wrong_type_is_refused(text: str, where: str, expected: str, received: str) -> None:
    """A value of the wrong type is never converted: the error names table, index and key."""
    error = _error(RALLY + text)
    assert error.what == "wrong value"
    assert error.where == f"f.toml {where}"
    assert (error.expected, error.received) == (expected, received)


def test_missing_key_and_bad_time_are_refused() -> None:
    """A required key left out, and an amount that is not a time, are named."""
    error = _error(RALLY + ERRATUM.replace('printed = "51:00"\n', ""))
    assert (error.what, error.where) == ("missing key", "f.toml [[erratum]] #1, printed")
    error = _error(RALLY + PENALTY.replace('"0:02:00"', '"two minutes"'))
    assert (error.what, error.where) == ("not a time", "f.toml [[penalty]] #1, amount")
    error = _error(RALLY + ERRATUM.replace("stage = 6\n", ""))
    assert error.expected == "a stage for a stage or gc erratum"


def test_a_single_table_where_an_array_is_expected_is_refused() -> None:
    """[erratum] (one table) instead of [[erratum]] is named as such."""
    error = _error(RALLY + ERRATUM.replace("[[erratum]]", "[erratum]"))
    assert (error.what, error.received) == ("not an array of tables", "[erratum]")


def test_missing_editorial_file_is_an_error(tmp_path: Path) -> None:
    """Naming a file that does not exist is an error, never an empty editorial."""
    with pytest.raises(RallyError, match="no such editorial file"):
        load_editorial(tmp_path / "missing.toml")


@pytest.mark.parametrize("path", sorted(REPLAYS.glob("dakar-*.toml")), ids=lambda p: p.name)
def test_reviewed_files_read_and_round_trip(path: Path) -> None:
    """Every shipped editorial file reads strictly and writes back to the same decisions."""
    editorial = load_editorial(path)
    again = parse_editorial(tomllib.loads(dump_editorial(editorial)), where=str(path))
    assert again == editorial


_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=1)
_slug = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
_ms = st.integers(min_value=1, max_value=200 * 3_600).map(lambda s: s * 1000)
_editorials = st.builds(
    Editorial,
    rally_id=st.none() | _slug,
    path=st.just("f.toml"),
    article=st.none() | _text,
    errata=st.lists(
        st.builds(
            Erratum,
            id=_slug,
            category=_slug,
            table=st.sampled_from(["stage", "gc"]),
            stage=st.integers(0, 30),
            row=st.integers(1, 99),
            field=st.sampled_from(["time", "gap", "position", "number", "row", "competitor"]),
            printed=_text,
            corrected=_text,
            evidence=_text,
            kind=_text,
            inferred=st.booleans(),
        ),
        max_size=3,
        unique_by=lambda e: e.id,
    ).map(tuple),
    penalties=st.lists(
        st.builds(
            PenaltyDecision,
            id=_slug,
            category=_slug,
            competitor=_text,
            stage=st.none() | st.integers(0, 30),
            amount_ms=_ms | _ms.map(lambda ms: -ms),
            gc_only=st.booleans(),
            in_stage_time=st.booleans(),
            reason=_text,
            source=st.sampled_from(["note", "prose", "arithmetic"]),
            evidence=_text,
            inferred=st.booleans(),
        ),
        max_size=3,
    ).map(tuple),
    retirements=st.lists(
        st.builds(Retirement, _slug, _text, st.integers(0, 30), _text, _text, st.booleans()),
        max_size=2,
    ).map(tuple),
    aliases=st.lists(st.builds(Alias, _text, _text, _text, st.booleans()), max_size=2).map(tuple),
    awards=st.lists(
        st.builds(Award, _slug, st.integers(0, 30), _ms, _text, st.booleans()), max_size=2
    ).map(tuple),
    unrecorded=st.lists(st.builds(Unrecorded, _slug, _text, _text, st.booleans()), max_size=2).map(
        tuple
    ),
)


@settings(max_examples=40)
@given(_editorials)
def test_dump_then_read_is_the_same_editorial(editorial: Editorial) -> None:
    """Any editorial written by dump_editorial reads back equal (quotes, newlines, accents)."""
    assert parse_editorial(tomllib.loads(dump_editorial(editorial)), where="f.toml") == editorial
