"""Tests for replays._article: the faithful parser of Dakar Rally articles."""

# The inline articles reproduce article table rows verbatim; they are longer than 100 columns.
# ruff: noqa: E501

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rally_standings.events import Person
from rally_standings.replays.article._parse import (
    Article,
    ArticleError,
    Clock,
    TimeKind,
    normalise_category,
    parse_article,
    parse_clock,
    parse_crew,
)
from tests.helpers import SEEDS, fields_of

# --------------------------------------------------------------------------- helpers


def _seed(prefix: str) -> tuple[str, Article]:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"seed article {prefix}_*.txt not found in {SEEDS} (set RALLY_SEEDS)")
    text = matches[0].read_text(encoding="utf-8")
    return text, parse_article(text, source=matches[0].name)


def _ms(h: int, m: int, s: int) -> int:
    return ((h * 60 + m) * 60 + s) * 1000


def _clock(text: str, kind: TimeKind) -> Clock:
    return Clock(text, parse_clock(text), kind)


STAGES = """\
==Stages==
| Stage | Date | From | To | Total (km) | Stage winners | | |
| Bikes | Cars | Trucks | | | | | |
| 1 | 1 January | FRA Paris | FRA Lyon | 10 | FRA A. One | FRA L. Alphand | RUS C. Three |
| 2 | 2 January | FRA Lyon | ESP Madrid | Stages cancelled | | | |
| 3 | 3 January | ESP Madrid | MAR Rabat | | | | |
| | 4 January | MAR Rabat | Rest day | | | | |
| 4 | 5 January | MAR Rabat | 300 | FRA A. One ITA B. Due | FRA L. Alphand | Stage cancelled | |

Notes:
- — The event for trucks was cancelled.
- Source:
"""

RESULTS = """\
==Stage results==

===Motorcycles===
| | <big>Stage result </big> | <big>General classification</big> | | | | | | | |
| Stage | Pos | Competitor | Make | Time | Gap | Pos | Competitor | Make | Time |
| 1 | 1 | FRA Alain One | KTM | 1:24 | | Stage not counted towards overall classification | | | |
| 2 | ITA Bruno Due | Yamaha | 1:32 | 0:08 | | | | | |
| 2 | Stages cancelled due to security concerns | | | | | | | | |
| 3 | | | | | | | | | |
| 4 | 1 | FRA Alain One | KTM | 3:37 | | 1 | FRA Alain One | KTM | 3:37 |
| ITA Bruno Due | Yamaha | ITA Bruno Due | Yamaha | | | | | | |
| 3 | ESP Carlos Tres | KTM | 3:38 | 0:01 | 3 | ESP Carlos Tres | KTM | 3:38 | 0:01 |

===Cars===
| | <big>Stage result </big> | <big>General classification</big> | | | | | | | |
| Stage | Pos | Competitor | Make | Time | Gap | Pos | Competitor | Make | Time |
| 1 | 1 | FRA Luc Alphand AND Henri Magne | BMW | 1:41 | | 1 | FRA Luc Alphand AND Henri Magne | BMW | 1:41 |
| 2 | NED Jan de Rooy BEL Dany Colebunders | DAF | 1:42 | 0:01 | 2 | NED Jan de Rooy BEL Dany Colebunders | DAF | 1:42 | 0:01 |
| 4 | 1 | FRA Luc Alphand AND Henri Magne | BMW | 6:22 | | 1 | '|JPN Hiroshi Masuoka FRA Gilles Picard | Mitsubishi | 8:03 |
| NED Jan de Rooy BEL Dany Colebunders | DAF | 2 | FRA Luc Alphand AND Henri Magne | BMW | 8:10 | 0:07 | | | |
| 3 | 1 | QAT Nasser Al-Attiyah BEL Marc Bartholome | Mitsubishi | 2:00 | | 1 | FRA Luc Alphand AND Henri Magne | BMW | 3:41 |

Note:
- - A cars note.

===Trucks===
| | <big>Stage result </big> | <big>General classification</big> | | | | | | | |
| Stage | Pos | Competitor | Make | Time | Gap | Pos | Competitor | Make | Time |
| 1 | 1 | NED Hans Stacey NED Toon van Genugten BEL Eddy Chevaillier | DAF | 2:32 | | 1 | NED Hans Stacey NED Toon van Genugten BEL Eddy Chevaillier | DAF | 2:32 |
| 2 | Stage cancelled due to hazardous conditions |
"""

STANDINGS = """\
==Final standings==

===Motorcycles===
| Pos | No. | Rider | Bike | Entrant | Time |
| 1 | 4 | ESP Nani Roma | KTM | Repsol KTM | 55:56:28 |
| 2 | | FRA Richard Sainct | KTM | | +12:38 |

===Cars===
| Pos | No. | Driver | Co-Driver | Car | Entrant | Time |
| 1 | 207 | FRA Luc Alphand | AND Henri Magne | BMW | Team X-Raid | 3:41 |

===Trucks===
| Pos | No. | Driver | Co-Drivers | Truck | Time |
| 1 | 414 | RUS Vladimir Chagin | RUS Semen Yakubov RUS Sergey Savostin | Kamaz | 68:13:49 |
| 2 | 410 | RUS Firdaus Kabirov | RUS Aydar Belyaev RUS Dzhamil Kamalov | Kamaz | +53:38 |
"""


def _mini(
    *,
    title: str = "= 1999 Test Rally =",
    stages: str = STAGES,
    results: str = RESULTS,
    standings: str = STANDINGS,
) -> Article:
    return parse_article(
        f"{title}\n\nSome prose.\n\n{stages}\n{results}\n{standings}", source="mini"
    )


# --------------------------------------------------------------------------- parse_clock


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:24", 84_000),
        ("0:08", 8_000),
        ("22:47", 1_367_000),
        ("4:31:31", 16_291_000),
        ("110:14:45", 396_885_000),
        ("+12:38", 758_000),
        ("+1:28:28", 5_308_000),
        ("0:00", 0),
    ],
)
def test_parse_clock_valid(text: str, expected: int) -> None:
    """parse_clock reads h:mm:ss and m:ss (with an optional '+') as exact integer ms."""
    value = parse_clock(text)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    "text",
    [
        "1:60:00",
        "1:00:60",
        "0:60",
        "-5:00",
        "abc",
        "",
        "   ",
        "1:2:03",
        "1:02:3",
        "5",
        "1:02:03:04",
        "++5:00",
        "1.5:00",
        "1:0a",
        "２:00",
    ],
)
def test_parse_clock_invalid(text: str) -> None:
    """parse_clock rejects out-of-range fields, signs other than '+', and non-clock text."""
    with pytest.raises(ArticleError):
        parse_clock(text)


def test_parse_clock_error_says_where_and_what() -> None:
    """A clock error names the place given, the expected shape and the received text."""
    with pytest.raises(ArticleError) as caught:
        parse_clock("1:60:00", where="x.txt, line 7")
    message = str(caught.value)
    assert "minutes out of range" in message
    assert "x.txt, line 7" in message
    assert "received 1:60:00" in message
    assert isinstance(caught.value, ValueError)


@given(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
)
def test_parse_clock_round_trip(hours: int, minutes: int, seconds: int) -> None:
    """Any printed h:mm:ss (and m:ss when under an hour) reads back to the same milliseconds."""
    assert parse_clock(f"{hours}:{minutes:02d}:{seconds:02d}") == _ms(hours, minutes, seconds)
    assert parse_clock(f"+{minutes}:{seconds:02d}") == _ms(0, minutes, seconds)


# --------------------------------------------------------------------------- parse_crew


def test_parse_crew_splits_at_country_codes() -> None:
    """A competitor cell splits into people at each 3-letter uppercase code."""
    assert parse_crew("RUS Vladimir Chagin RUS Semen Yakubov RUS Sergey Savostin") == (
        Person("Vladimir Chagin", "RUS"),
        Person("Semen Yakubov", "RUS"),
        Person("Sergey Savostin", "RUS"),
    )


def test_parse_crew_and_is_andorra() -> None:
    """'AND' is Andorra's code, so 'FRA Luc Alphand AND Henri Magne' is two people."""
    assert parse_crew("FRA Luc Alphand AND Henri Magne") == (
        Person("Luc Alphand", "FRA"),
        Person("Henri Magne", "AND"),
    )


def test_parse_crew_keeps_particles_and_accents() -> None:
    """Lowercase particles, hyphens and accents stay inside the name."""
    assert parse_crew("NED Hans Stacey NED Toon van Genugten BEL Eddy Chevaillier") == (
        Person("Hans Stacey", "NED"),
        Person("Toon van Genugten", "NED"),
        Person("Eddy Chevaillier", "BEL"),
    )
    assert parse_crew("QAT Nasser Al-Attiyah BRA André de Azevedo") == (
        Person("Nasser Al-Attiyah", "QAT"),
        Person("André de Azevedo", "BRA"),
    )


def test_parse_crew_glued_and_missing_codes() -> None:
    """A code glued to the name is split off; a name printed without a code has no nationality."""
    assert parse_crew("BELJean-Marie Lurquin") == (Person("Jean-Marie Lurquin", "BEL"),)
    assert parse_crew("Nani Roma") == (Person("Nani Roma", None),)
    assert parse_crew("") == ()


_NAME_WORD = st.one_of(
    st.from_regex(r"[A-ZÉ][a-zéüöç]{1,8}(-[A-Z][a-z]{1,6})?", fullmatch=True),
    st.sampled_from(["de", "van", "der", "Al-Attiyah", "O'Neil"]),
)
_CREW = st.lists(
    st.tuples(
        st.from_regex(r"[A-Z]{3}", fullmatch=True),
        st.lists(_NAME_WORD, min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=3,
)


@given(_CREW)
def test_parse_crew_round_trip(crew: list[tuple[str, list[str]]]) -> None:
    """Any sequence of 'CODE Title-case name' printed together splits back into the same people."""
    cell = " ".join(f"{code} {' '.join(words)}" for code, words in crew)
    assert parse_crew(cell) == tuple(Person(" ".join(words), code) for code, words in crew)


def test_parse_crew_code_without_name_is_an_error() -> None:
    """A country code followed by nothing is rejected rather than guessed at."""
    with pytest.raises(ArticleError, match="country code not followed by a name"):
        parse_crew("FRA Luc Alphand AND")


def test_normalise_category() -> None:
    """Category headings normalise to bikes/cars/trucks; unknown ones are lower-cased."""
    assert normalise_category("Motorcycles") == "bikes"
    assert normalise_category(" Bikes ") == "bikes"
    assert normalise_category("Cars") == "cars"
    assert normalise_category("Trucks") == "trucks"
    assert normalise_category("Quads") == "quads"


# --------------------------------------------------------------------------- mini articles


def test_mini_title_and_year() -> None:
    """The title line gives the title text and the year as an int."""
    article = _mini(title="= 1999 Arras–Madrid–Dakar Rally =")
    assert article.title == "1999 Arras–Madrid–Dakar Rally"
    assert article.year == 1999
    assert article.title_line == 1


def test_mini_stages_table_rows() -> None:
    """Stages rows give number, date, places, distance, winners and cancellations as printed."""
    table = _mini().stages
    assert table.categories == ("bikes", "cars", "trucks")
    first = table.row(1)
    assert fields_of(first, "date from_place to_place distance_km") == (
        "1 January",
        "FRA Paris",
        "FRA Lyon",
        10,
    )
    assert first.winner("cars") is not None
    cars = first.winner("cars")
    assert cars is not None
    assert cars.crew == (Person("L. Alphand", "FRA"),)
    cancelled = table.row(2)
    assert cancelled.distance_km is None
    assert cancelled.distance_text == "Stages cancelled"
    assert [(c.category, c.text) for c in cancelled.cancellations] == [(None, "Stages cancelled")]
    spanned = table.row(3)
    assert spanned.distance_text is None
    assert all(w.text is None for w in spanned.winners)
    assert spanned.cancellations == ()


def test_mini_stages_rest_day_and_shifted_row() -> None:
    """A rest-day row has no stage number; a row without a To cell is read shifted, not guessed."""
    table = _mini().stages
    rest = table.rows[3]
    assert fields_of(rest, "stage rest_day date from_place to_place") == (
        None,
        True,
        "4 January",
        "MAR Rabat",
        None,
    )
    shifted = table.row(4)
    assert shifted.to_printed is False
    assert shifted.to_place is None
    assert shifted.distance_km == 300
    bikes = shifted.winner("bikes")
    assert bikes is not None
    assert bikes.crew == (Person("A. One", "FRA"), Person("B. Due", "ITA"))
    trucks = shifted.winner("trucks")
    assert trucks is not None
    assert trucks.remark == "Stage cancelled"
    assert [(c.category, c.text) for c in shifted.cancellations] == [("trucks", "Stage cancelled")]


def test_mini_stage_notes_with_markers() -> None:
    """Notes after the stages table are kept raw, with their footnote marker split off."""
    notes = _mini().stages.notes
    assert [(n.marker, n.text) for n in notes] == [
        ("—", "The event for trucks was cancelled."),
        (None, "Source:"),
    ]
    assert notes[0].raw == "- — The event for trucks was cancelled."


def test_mini_prologue_not_counted() -> None:
    """A 'Stage not counted towards overall classification' GC marks the stage's GC not counted."""
    bikes = _mini().results("bikes")
    assert bikes.heading == "Motorcycles"
    prologue = bikes.block(1)
    assert prologue.gc_not_counted is True
    assert prologue.gc_remark == "Stage not counted towards overall classification"
    assert prologue.gc == ()
    assert [
        (p.position, p.competitor, p.time and p.time.ms, p.gap and p.gap.ms)
        for p in prologue.results
    ] == [
        (1, "FRA Alain One", 84_000, None),
        (2, "ITA Bruno Due", 92_000, 8_000),
    ]
    assert bikes.block(4).gc_not_counted is False


def test_mini_cancelled_stage_with_second_number_row() -> None:
    """A cancellation row followed by a bare number row records both stage numbers and the text."""
    bikes = _mini().results("bikes")
    assert [(c.stages, c.text) for c in bikes.cancellations] == [
        ((2, 3), "Stages cancelled due to security concerns")
    ]
    two, three = bikes.block(2), bikes.block(3)
    assert fields_of(two, "cancelled remark spanned_by rows") == (
        True,
        "Stages cancelled due to security concerns",
        None,
        (),
    )
    assert (three.cancelled, three.remark, three.spanned_by, three.rows) == (True, None, 2, ())


def test_bare_stage_row_without_remark_above_is_not_spanned() -> None:
    """A bare stage-number row after ordinary results is an empty block, not a cancellation."""
    results = RESULTS.replace(
        "| 2 | Stages cancelled due to security concerns | | | | | | | | |\n", ""
    )
    bikes = _mini(results=results).results("bikes")
    block = bikes.block(3)
    assert (block.cancelled, block.spanned_by, block.remark, block.rows) == (False, None, None, ())
    assert bikes.cancellations == ()


def test_mini_short_cancellation_row() -> None:
    """A cancellation row printing only two cells is still read as a cancelled stage."""
    trucks = _mini().results("trucks")
    block = trucks.block(2)
    assert block.cancelled is True
    assert block.remark == "Stage cancelled due to hazardous conditions"
    assert [(c.stages, c.line) for c in trucks.cancellations] == [((2,), block.line)]


def test_mini_tie_row_both_halves() -> None:
    """A row printed without positions keeps position/time/gap None in both halves."""
    block = _mini().results("bikes").block(4)
    tie = block.rows[1]
    assert tie.stage == 4
    assert tie.stage_printed is False
    assert tie.result is not None
    assert tie.gc is not None
    for half in (tie.result, tie.gc):
        assert fields_of(half, "position position_printed time gap") == (None, False, None, None)
        assert (half.competitor, half.make) == ("ITA Bruno Due", "Yamaha")
    assert "tie row: no position printed in either half" in tie.anomalies
    third = block.rows[2]
    assert third.result is not None
    assert third.result.position == 3
    assert [p.position for p in block.gc] == [1, None, 3]


def test_mini_mangled_half_tie_row() -> None:
    """A row whose stage half lacks a position still reads its GC half's position, time and gap."""
    row = _mini().results("cars").block(4).rows[1]
    assert row.result is not None
    assert row.gc is not None
    assert fields_of(row.result, "position time") == (None, None)
    assert fields_of(row.result, "competitor make") == (
        "NED Jan de Rooy BEL Dany Colebunders",
        "DAF",
    )
    assert fields_of(row.gc, "position make time gap") == (
        2,
        "BMW",
        _clock("8:10", TimeKind.ABSOLUTE),
        _clock("0:07", TimeKind.GAP),
    )
    assert row.gc.crew == (Person("Luc Alphand", "FRA"), Person("Henri Magne", "AND"))


def test_mini_stray_quote_artefact() -> None:
    """A stray quote glued to a cell separator is stripped from the competitor and kept raw."""
    row = _mini().results("cars").block(4).rows[0]
    gc = row.gc
    assert gc is not None
    assert gc.competitor == "JPN Hiroshi Masuoka FRA Gilles Picard"
    assert gc.competitor_raw == "'|JPN Hiroshi Masuoka FRA Gilles Picard"
    assert gc.competitor_odd is True
    assert gc.crew == (Person("Hiroshi Masuoka", "JPN"), Person("Gilles Picard", "FRA"))
    assert (gc.position, gc.make, gc.time and gc.time.ms) == (1, "Mitsubishi", 483_000)
    assert any("stray" in text for text in row.anomalies)


def test_mini_and_country_code_in_results() -> None:
    """'AND' inside a results competitor cell starts the Andorran co-driver."""
    first = _mini().results("cars").block(1).results[0]
    assert first.crew == (Person("Luc Alphand", "FRA"), Person("Henri Magne", "AND"))


def test_mini_out_of_order_stage_numbers_kept_as_printed() -> None:
    """Blocks keep printed order and numbers; rows attach to the last stage number seen."""
    cars = _mini().results("cars")
    assert [b.stage for b in cars.blocks] == [1, 4, 3]
    assert [len(b.rows) for b in cars.blocks] == [2, 2, 1]
    assert [n.text for n in cars.notes] == ["A cars note."]


def test_mini_final_standings_with_entrant() -> None:
    """A standings table with an Entrant column reads entrants, empty ones as None."""
    bikes = _mini().standings("bikes")
    assert bikes.has_entrant is True
    assert bikes.columns == ("Pos", "No.", "Rider", "Bike", "Entrant", "Time")
    first, second = bikes.rows
    assert fields_of(first, "position number driver make entrant") == (
        1,
        "4",
        Person("Nani Roma", "ESP"),
        "KTM",
        "Repsol KTM",
    )
    assert (second.number, second.entrant) == (None, None)
    assert second.co_drivers == ()
    assert second.co_drivers_raw is None


def test_mini_final_standings_without_entrant() -> None:
    """A standings table without an Entrant column has entrant None and reads co-drivers."""
    trucks = _mini().standings("trucks")
    assert trucks.has_entrant is False
    first = trucks.rows[0]
    assert first.entrant is None
    assert first.co_drivers == (Person("Semen Yakubov", "RUS"), Person("Sergey Savostin", "RUS"))
    assert first.make == "Kamaz"


def test_mini_final_standings_gap_vs_absolute() -> None:
    """The winner's time is ABSOLUTE, a '+' time is a GAP; both keep the printed text."""
    rows = _mini().standings("trucks").rows
    assert fields_of(rows[0].time, "text ms kind") == (
        "68:13:49",
        _ms(68, 13, 49),
        TimeKind.ABSOLUTE,
    )
    assert fields_of(rows[1].time, "text ms kind") == ("+53:38", _ms(0, 53, 38), TimeKind.GAP)


def test_mini_final_standings_and_co_driver() -> None:
    """'AND Henri Magne' as a co-driver cell is one Andorran person."""
    row = _mini().standings("cars").rows[0]
    assert row.co_drivers == (Person("Henri Magne", "AND"),)


def test_final_standings_read_by_header_not_position() -> None:
    """Columns are found by header name, so a reordered table reads the same values."""
    standings = """\
==Final standings==

===Trucks===
| Time | Truck | Co-Drivers | Driver | No. | Pos |
| 68:13:49 | Kamaz | RUS Semen Yakubov | RUS Vladimir Chagin | 414 | 1 |
"""
    row = _mini(standings=standings).standings("trucks").rows[0]
    assert (row.position, row.number, row.driver.name, row.make, row.time.ms) == (
        1,
        "414",
        "Vladimir Chagin",
        "Kamaz",
        _ms(68, 13, 49),
    )


def test_principal_entries() -> None:
    """Principal-entry lists give (category, make, number, name) and are not notes."""
    stages = (
        STAGES
        + """\
- Motorcycles principal entry
- KTM
- 1 Richard Sainct

- 3 Fabrizio Meoni
- Trucks principal entry
- Kamaz
- 424 Vladimir Chagin
"""
    )
    article = _mini(stages=stages)
    assert [(e.category, e.make, e.number, e.name) for e in article.principal_entries] == [
        ("bikes", "KTM", "1", "Richard Sainct"),
        ("bikes", "KTM", "3", "Fabrizio Meoni"),
        ("trucks", "Kamaz", "424", "Vladimir Chagin"),
    ]
    assert [n.text for n in article.stages.notes] == [
        "The event for trucks was cancelled.",
        "Source:",
    ]


def test_every_row_keeps_line_and_raw() -> None:
    """Each parsed row's line number points at its raw text in the article."""
    stages = STAGES
    text = f"= 1999 Test Rally =\n\n{stages}\n{RESULTS}\n{STANDINGS}"
    article = parse_article(text)
    lines = text.split("\n")
    rows: list[tuple[int, str]] = [(r.line, r.raw) for r in article.stages.rows]
    for results in article.categories:
        rows.extend((r.line, r.raw) for b in results.blocks for r in b.rows)
        rows.extend((b.line, b.raw) for b in results.blocks)
    for standings in article.final_standings:
        rows.extend((r.line, r.raw) for r in standings.rows)
    assert rows
    for line, raw in rows:
        assert lines[line - 1] == raw


# --------------------------------------------------------------------------- errors


def test_error_missing_title() -> None:
    """An article without a '= ... =' title is rejected."""
    with pytest.raises(ArticleError, match="no title"):
        parse_article(f"{STAGES}\n{RESULTS}\n{STANDINGS}")


def test_error_missing_section() -> None:
    """An article without a Stage results section is rejected, naming the section."""
    with pytest.raises(ArticleError, match="Stage results"):
        parse_article(f"= 1999 Test Rally =\n{STAGES}\n{STANDINGS}")


def test_error_bad_time_reports_line() -> None:
    """A malformed time in a results row raises with the source and article line number."""
    results = RESULTS.replace("| 3:38 | 0:01 | 3 |", "| 3:61 | 0:01 | 3 |")
    with pytest.raises(ArticleError) as caught:
        _mini(results=results)
    text = f"= 1999 Test Rally =\n\nSome prose.\n\n{STAGES}\n{results}\n{STANDINGS}"
    line = next(i for i, t in enumerate(text.split("\n"), start=1) if "3:61" in t)
    assert f"mini, line {line}" in str(caught.value)
    assert "received 3:61" in str(caught.value)


def test_error_unknown_standings_column() -> None:
    """An unknown final-standings column is rejected instead of being guessed."""
    standings = "==Final standings==\n===Cars===\n| Pos | Driver | Car | Time | Points |\n"
    with pytest.raises(ArticleError, match="Points"):
        _mini(standings=standings)


def test_error_unreadable_results_row() -> None:
    """A results row that fits no known shape is rejected with its line."""
    results = RESULTS.replace("| 3 | ESP Carlos Tres | KTM | 3:38 |", "| 3 | | KTM | 3:38 |")
    with pytest.raises(ArticleError, match="line"):
        _mini(results=results)


# --------------------------------------------------------------------------- real articles


def _no_floats(value: object) -> None:
    assert not isinstance(value, float)
    cls = type(value)
    if attrs.has(cls):
        for field in attrs.fields(cls):
            _no_floats(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            _no_floats(item)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003"])
def test_seed_parses_with_provenance_and_no_floats(prefix: str) -> None:
    """Each seed article parses, every row's line points at its raw text, and no float appears."""
    text, article = _seed(prefix)
    lines = text.split("\n")
    for results in article.categories:
        for block in results.blocks:
            assert lines[block.line - 1] == block.raw
            for row in block.rows:
                assert lines[row.line - 1] == row.raw
    for standings in article.final_standings:
        for srow in standings.rows:
            assert lines[srow.line - 1] == srow.raw
    for stage_row in article.stages.rows:
        assert lines[stage_row.line - 1] == stage_row.raw
    _no_floats(article)
    assert [c.category for c in article.categories] == ["bikes", "cars", "trucks"]
    assert [f.category for f in article.final_standings] == ["bikes", "cars", "trucks"]


def test_seed_2004_values() -> None:
    """2004: title, cars stage 5 GC leader time, trucks stage 2 and stages 10-11 cancelled."""
    _, article = _seed("000")
    assert (article.title, article.year) == ("2004 Dakar Rally", 2004)
    assert [len(c.blocks) for c in article.categories] == [17, 17, 17]
    cars5 = article.results("cars").block(5)
    assert cars5.gc[0].time is not None
    assert cars5.gc[0].time.ms == 16_291_000
    assert cars5.gc[0].crew == (
        Person("Stéphane Peterhansel", "FRA"),
        Person("Jean-Paul Cottret", "FRA"),
    )
    assert cars5.gc[2].crew == (Person("Luc Alphand", "FRA"), Person("Henri Magne", "AND"))
    trucks = article.results("trucks")
    assert trucks.block(2).cancelled is True
    assert trucks.block(2).remark == "Stage cancelled due to hazardous conditions"
    assert [c.stages for c in trucks.cancellations] == [(2,), (10, 11)]
    assert trucks.block(11).spanned_by == 10
    for results in article.categories:
        assert results.block(1).gc_not_counted is True
        cancelled = [b.stage for b in results.blocks if b.cancelled]
        assert cancelled == ([2, 10, 11] if results.category == "trucks" else [10, 11])
        assert all(not b.rows for b in results.blocks if b.cancelled)
        assert {len(b.rows) for b in results.blocks if not b.cancelled} == {3}
    assert [n.marker for n in article.stages.notes] == ["—"]
    stage17 = article.stages.row(17)
    assert fields_of(stage17, "from_place to_place distance_km line") == (
        "SEN Dakar",
        None,
        106,
        111,
    )
    rest = [r for r in article.stages.rows if r.rest_day]
    assert [(r.line, r.date) for r in rest] == [(105, "12 January")]
    stage2 = article.stages.row(2)
    assert [(c.category, c.text) for c in stage2.cancellations] == [("trucks", "Stage cancelled")]


def test_seed_2004_final_standings() -> None:
    """2004: ten rows per category with the printed race numbers, winner absolute, others gaps."""
    _, article = _seed("000")
    numbers = {f.category: [r.number for r in f.rows] for f in article.final_standings}
    assert numbers == {
        "bikes": ["4", "1", "2", "10", "15", "3", "12", "8", "22", "23"],
        "cars": ["203", "201", "200", "207", "211", "224", "208", "212", "225", "259"],
        "trucks": ["414", "410", "417", "423", "400", "412", "415", "416", "442", "457"],
    }
    bikes = article.standings("bikes")
    assert bikes.rows[0].time.ms == _ms(55, 56, 28)
    assert bikes.rows[0].time.kind is TimeKind.ABSOLUTE
    assert all(r.time.kind is TimeKind.GAP for r in bikes.rows[1:])
    assert article.standings("trucks").has_entrant is False
    assert article.standings("cars").rows[3].co_drivers == (Person("Henri Magne", "AND"),)


def test_seed_2003_values() -> None:
    """2003: Motorcycles heading, 17 blocks, trucks stage 17 GC leader as printed, final numbers."""
    _, article = _seed("001")
    assert (article.title, article.year) == ("2003 Dakar Rally", 2003)
    assert article.results("bikes").heading == "Motorcycles"
    assert [len(c.blocks) for c in article.categories] == [17, 17, 17]
    leader = article.results("trucks").block(17).gc[0]
    assert leader.time is not None
    assert (leader.time.text, leader.time.ms) == ("61:12:59", _ms(61, 12, 59))
    winner = article.standings("trucks").rows[0]
    assert (winner.number, winner.time.ms, winner.time.kind) == (
        "407",
        _ms(61, 36, 40),
        TimeKind.ABSOLUTE,
    )
    assert [r.number for r in article.standings("bikes").rows] == [
        "3",
        "7",
        "1",
        "9",
        "25",
        "16",
        "12",
        "5",
        "19",
        "22",
    ]
    rest = [(r.from_place, r.to_place) for r in article.stages.rows if r.rest_day]
    assert rest == [("ESP Valencia", "TUN Tunis"), ("EGY Siwa", None)]
    assert (
        article.results("trucks").notes[0].text
        == "Vladimir Chagin's time includes a penalty of 5:30."
    )


def test_seed_2002_values() -> None:
    """2002: liaison-only stage 1, trucks stages 2 and 4 cancelled, GC-half tie at line 52."""
    _, article = _seed("002")
    assert (article.title, article.year) == ("2002 Arras–Madrid–Dakar Rally", 2002)
    assert [len(c.blocks) for c in article.categories] == [16, 16, 16]
    for results in article.categories:
        first = results.block(1)
        assert (first.remark, first.cancelled, first.rows) == ("Liaison only", False, ())
    trucks = article.results("trucks")
    assert [c.stages for c in trucks.cancellations] == [(2,), (4,)]
    row = next(r for r in article.results("bikes").block(3).rows if r.line == 52)
    assert row.result is not None
    assert row.gc is not None
    assert (row.result.position, row.result.time and row.result.time.text) == (2, "26:10")
    assert fields_of(row.gc, "position competitor time gap") == (None, "ESP Nani Roma", None, None)
    bikes = article.standings("bikes")
    assert [r.entrant for r in bikes.rows[7:]] == [None, None, None]
    assert [r.number for r in bikes.rows] == ["1", "5", "6", "3", "4", "7", "2", "12", "65", "15"]


def test_seed_2001_ties_and_artefacts() -> None:
    """2001: the bikes stage-1 tie row, the mangled rows, the stray quote and the glued code."""
    _, article = _seed("003")
    assert (article.title, article.year) == ("2001 Paris–Dakar Rally", 2001)
    assert [len(c.blocks) for c in article.categories] == [20, 20, 20]
    bikes1 = article.results("bikes").block(1)
    tie = bikes1.rows[1]
    assert tie.line == 105
    assert tie.result is not None
    assert tie.gc is not None
    assert fields_of(tie.result, "position time") == (None, None)
    assert fields_of(tie.result, "competitor make") == ("ESP Nani Roma", "BMW")
    assert (tie.gc.position, tie.gc.competitor, tie.gc.time) == (None, "ESP Nani Roma", None)
    assert [p.position for p in bikes1.results] == [1, None, 3]
    mangled = next(r for r in article.results("bikes").block(6).rows if r.line == 119)
    assert mangled.result is not None
    assert mangled.gc is not None
    assert (mangled.result.position, mangled.result.competitor) == (None, "FRA Richard Sainct")
    assert mangled.gc.position == 3
    assert mangled.gc.time is not None
    assert mangled.gc.gap is not None
    assert (mangled.gc.time.ms, mangled.gc.gap.ms) == (_ms(8, 25, 21), _ms(0, 5, 37))
    cars1 = article.results("cars").block(1)
    assert len(cars1.rows) == 4
    odd = article.results("cars").block(3).gc[0]
    assert odd.competitor_raw == "'|JPN Hiroshi Masuoka FRA Pascal Maimon"
    assert odd.crew == (Person("Hiroshi Masuoka", "JPN"), Person("Pascal Maimon", "FRA"))
    assert article.results("bikes").block(3).cancelled is True
    reif = article.results("trucks").block(20).gc[2]
    assert reif.time is not None
    assert reif.time.ms == 396_885_000
    servia = article.standings("cars").rows[3]
    assert servia.co_drivers == (Person("Jean-Marie Lurquin", "BEL"),)
    assert servia.co_drivers_raw == "BELJean-Marie Lurquin"
    assert any("glued" in text for text in servia.anomalies)


def test_seed_2001_stages_and_principal_entries() -> None:
    """2001: shared stage wins, bikes stage 3 cancelled, and 35 principal entries."""
    _, article = _seed("003")
    stage1 = article.stages.row(1)
    bikes = stage1.winner("bikes")
    assert bikes is not None
    assert bikes.crew == (Person("G. Sala", "ITA"), Person("N. Roma", "ESP"))
    stage3 = article.stages.row(3)
    assert [(c.category, c.text) for c in stage3.cancellations] == [("bikes", "Stage cancelled")]
    entries = article.principal_entries
    assert len(entries) == 35
    assert fields_of(entries[0], "category make number name") == (
        "bikes",
        "KTM",
        "1",
        "Richard Sainct",
    )
    assert [e.category for e in entries].count("cars") == 13
    assert ("trucks", "Hino", "403", "Gilbert Versino") in [
        (e.category, e.make, e.number, e.name) for e in entries
    ]
    assert [n.line for n in article.stages.notes] == [46, 47]
    assert [r.number for r in article.standings("trucks").rows] == [
        "425",
        "400",
        "406",
        "414",
        "434",
    ]
