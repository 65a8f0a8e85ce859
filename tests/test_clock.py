"""Times: exact integer milliseconds in, h:mm:ss / m:ss out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rally_standings.events import (
    MAX_TIME_MS,
    TimeFormatError,
    format_gap,
    format_signed,
    format_time,
    parse_duration,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("0:08", 8_000),
        ("1:24", 84_000),
        ("22:47", 1_367_000),
        ("3:44:27", 13_467_000),
        ("110:14:45", 396_885_000),
        ("0:00:00", 0),
        ("1:02:03.5", 3_723_500),
        ("1:02:03.125", 3_723_125),
        (" 4:31:31 ", 16_291_000),
    ],
)
def test_parse_time_reads_clock_text(text: str, ms: int) -> None:
    """Every accepted spelling of a time gives the exact number of milliseconds."""
    assert parse_time(text) == ms


@pytest.mark.parametrize(
    "text", ["1:60:00", "-5:00", "+5:00", "abc", "", "5", "1:2", "1:5:00", "75:00", "1:00:60"]
)
def test_parse_time_refuses_malformed_text(text: str) -> None:
    """Malformed or out-of-range times are refused with a TimeFormatError naming the input."""
    with pytest.raises(TimeFormatError) as caught:
        parse_time(text, where="--time")
    message = str(caught.value)
    assert "--time" in message
    assert "expected" in message


def test_time_error_says_what_where_expected_received() -> None:
    """The message of a bad minute count names the field, the rule and the input."""
    with pytest.raises(TimeFormatError) as caught:
        parse_time("1:60:00", where="--time")
    assert str(caught.value) == (
        "minutes out of range (--time): expected minutes 00-59 (write 75 minutes as 1:15:00), "
        "received 1:60:00"
    )


@pytest.mark.parametrize(
    ("text", "ms"), [("+0:05:00", 300_000), ("-1:00", -60_000), ("5:00", 300_000)]
)
def test_parse_duration_is_signed(text: str, ms: int) -> None:
    """Penalty amounts take a sign: negative is a bonus."""
    assert parse_duration(text) == ms


def test_format_time_and_gap() -> None:
    """Output is h:mm:ss with hours past 24, fractions only when present, gaps with a sign."""
    assert format_time(396_885_000) == "110:14:45"
    assert format_time(84_000) == "0:01:24"
    assert format_time(3_723_500) == "1:02:03.5"
    assert format_gap(None) is None
    assert format_gap(300_000) == "+0:05:00"
    assert format_signed(-60_000) == "-0:01:00"


@given(st.integers(min_value=0, max_value=MAX_TIME_MS))
def test_format_then_parse_round_trips(ms: int) -> None:
    """Any whole number of milliseconds up to the bound survives formatting and parsing."""
    assert parse_time(format_time(ms)) == ms


@given(st.integers(min_value=-MAX_TIME_MS, max_value=MAX_TIME_MS))
def test_signed_round_trip(ms: int) -> None:
    """Signed durations up to the bound survive formatting and parsing unchanged."""
    assert parse_duration(format_signed(ms)) == ms
