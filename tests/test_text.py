"""The text helpers every output shares (outputs/_text.py): widths, padding, moves, words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rally_standings.events import Person
from rally_standings.outputs._text import (
    char_width,
    crew_text,
    display_width,
    gap_text,
    move_by,
    pad,
    table,
    title,
    who,
)


@given(st.text(max_size=30))
def test_display_width_follows_the_rule_for_any_text(text: str) -> None:
    """ASCII or not (the ASCII shortcut included), the width is the per-character rule's."""
    assert display_width(text) == sum(char_width(char) for char in text)


def test_display_width_of_wide_and_combining_characters() -> None:
    """CJK characters take two columns, a combining accent none, an ASCII letter one."""
    assert display_width("日本") == 4
    assert display_width("e\u0301") == 1
    assert display_width("Peterhansel") == 11


def test_char_width_of_each_kind_of_character() -> None:
    """The per-character rule: a wide or fullwidth character 2 columns; a combining mark, an
    enclosing mark or a format character (a zero-width joiner) 0; anything else 1 (ASCII
    control characters too, which the ASCII shortcut counts as 1)."""
    chars = ["日", "\uff21", "\u0301", "\u20dd", "\u200d", "A", "é", "\t", "\x00"]
    assert [char_width(char) for char in chars] == [2, 2, 0, 0, 0, 1, 1, 1, 1]


def test_pad_fills_to_display_columns() -> None:
    """Padding counts columns, not characters, and aligns right when asked."""
    assert pad("日本", 6) == "日本  "
    assert pad("7", 3, right=True) == "  7"
    assert pad("longer", 3) == "longer"


def test_table_aligns_columns() -> None:
    """Headers, a rule, and rows; right-aligned columns line up on their last character."""
    lines = table(["No.", "Crew"], [["7", "Ann"], ["203", "Stéphane"]], right={0})
    assert lines == ["No.  Crew", "---  --------", "  7  Ann", "203  Stéphane"]


def test_words_for_a_crew_a_gap_and_a_title() -> None:
    """The shared wording: crews joined with slashes, a signed gap, the heading line."""
    crew = (Person("Ann Morel", "FRA"), Person("Paul Renaud"))
    assert crew_text(crew) == "Ann Morel / Paul Renaud"
    assert who("200", crew) == "No. 200 Ann Morel"
    assert who(None, crew) == "Ann Morel"
    assert gap_text(None) == ""
    assert gap_text(275_000) == "+0:04:35"
    assert title("My Rally", "cars", "stage 2", 7) == (
        "My Rally · cars · stage 2 (as known at record #7 of the log)"
    )


def test_moves_in_glyphs_and_words() -> None:
    """Places gained ▲, lost ▼, the same =, each with its words."""
    assert (move_by(2).text, move_by(2).title) == ("▲2", "gained 2 places")
    assert (move_by(-1).text, move_by(-1).title) == ("▼1", "lost 1 place")
    assert move_by(0).text == "="
