"""Times as exact integer milliseconds, read and written as ``h:mm:ss`` / ``m:ss``.

The one parser of times in the project. No float ever takes part: text is
split into integer fields and multiplied. Only ASCII digits are read (``١:٠٠``
is refused, not read as 1:00). Hours may run past 24 (``110:14:45``), up to
``MAX_TIME_MS`` (9999:59:59.999; longer is refused as too long). A
fraction of a second may follow the seconds (``1:02:03.5`` = 1 h 2 min 3.5 s,
tenths as timing systems print them); it is printed only when non-zero. The
variants the sources need are options: a leading ``+`` (how gaps are printed)
and ``m:ss`` with minutes past 59 (``75:30``, as articles print long gaps).
"""

from __future__ import annotations

import re

from ._errors import TimeFormatError

__all__ = [
    "MAX_TIME_MS",
    "format_gap",
    "format_signed",
    "format_time",
    "parse_duration",
    "parse_time",
]

MS_PER_SECOND = 1_000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE
MAX_TIME_MS = 10_000 * MS_PER_HOUR - 1
"""The longest time or duration an event may hold: 9999:59:59.999 (a stage time, a
combined time, a penalty or bonus, an awarded time). Far beyond any rally, far within the
64-bit integers the log stores."""
_MAX_TEXT = "9999:59:59"
_DIGITS = 7
"""More significant digits than this in one field is beyond MAX_TIME_MS whatever follows
(read before ``int()``, so a number of any length is refused without converting it)."""

_CLOCK = re.compile(r"(?:([0-9]+):)?([0-9]+):([0-9]+)(?:\.([0-9]{1,3}))?")
_EXPECTED = "h:mm:ss or m:ss (e.g. 3:44:27, 110:14:45, 22:47)"


def _parse_unsigned(text: str, where: str, *, long_minutes: bool = False) -> int:
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise TimeFormatError("not a time", where=where, expected=_EXPECTED, received=text)
    hours_text, minutes_text, seconds_text, fraction = match.groups()
    if any(len(part.lstrip("0")) > _DIGITS for part in (hours_text or "", minutes_text)):
        raise _too_long(text, where)
    if len(seconds_text) != 2:
        raise TimeFormatError(
            "seconds must have two digits", where=where, expected=_EXPECTED, received=text
        )
    minutes = _int(minutes_text)
    seconds = int(seconds_text)
    if seconds > 59:
        raise TimeFormatError(
            "seconds out of range", where=where, expected="seconds 00-59", received=text
        )
    if hours_text is not None and len(minutes_text) != 2:
        raise TimeFormatError(
            "minutes must have two digits after the hours",
            where=where,
            expected=_EXPECTED,
            received=text,
        )
    if minutes > 59 and (hours_text is not None or not long_minutes):
        raise TimeFormatError(
            "minutes out of range",
            where=where,
            expected="minutes 00-59 (write 75 minutes as 1:15:00)",
            received=text,
        )
    hours = _int(hours_text) if hours_text is not None else 0
    millis = int(fraction.ljust(3, "0")) if fraction else 0
    total = hours * MS_PER_HOUR + minutes * MS_PER_MINUTE + seconds * MS_PER_SECOND + millis
    if total > MAX_TIME_MS:
        raise _too_long(text, where)
    return total


def _int(digits: str) -> int:
    """ASCII digits as an integer, leading zeros however many (checked short enough)."""
    return int(digits.lstrip("0") or "0")


def _too_long(text: str, where: str) -> TimeFormatError:
    return TimeFormatError(
        "time too long", where=where, expected=f"at most {_MAX_TEXT}", received=text
    )


def parse_time(
    text: str, *, where: str = "time", plus: bool = False, long_minutes: bool = False
) -> int:
    """Read a non-negative time such as ``3:44:27`` or ``22:47`` into milliseconds.

    ``plus``: a leading ``+`` is allowed and ignored (a printed gap). ``long_minutes``:
    ``m:ss`` may have more than 59 minutes (``75:30`` is 1:15:30).
    """
    stripped = text.strip()
    if plus and stripped.startswith("+"):
        stripped = stripped[1:]
    if stripped.startswith(("+", "-")):
        raise TimeFormatError(
            "a time cannot carry a sign", where=where, expected=_EXPECTED, received=text
        )
    return _parse_unsigned(stripped, where, long_minutes=long_minutes)


def parse_duration(text: str, *, where: str = "duration") -> int:
    """Read a signed duration such as ``+0:05:00`` or ``-1:00`` into milliseconds."""
    stripped = text.strip()
    sign = 1
    if stripped.startswith(("+", "-")):
        sign = -1 if stripped[0] == "-" else 1
        stripped = stripped[1:]
    return sign * _parse_unsigned(stripped, where)


def format_time(ms: int) -> str:
    """Write milliseconds as ``h:mm:ss`` (``.mmm`` added only when not whole seconds)."""
    if ms < 0:
        return "-" + format_time(-ms)
    hours, rest = divmod(ms, MS_PER_HOUR)
    minutes, rest = divmod(rest, MS_PER_MINUTE)
    seconds, millis = divmod(rest, MS_PER_SECOND)
    text = f"{hours}:{minutes:02d}:{seconds:02d}"
    if millis:
        text += f".{millis:03d}".rstrip("0")
    return text


def format_signed(ms: int) -> str:
    """Write a duration with its sign always shown: ``+0:05:00``, ``-0:01:00``."""
    return ("-" if ms < 0 else "+") + format_time(abs(ms))


def format_gap(ms: int | None) -> str | None:
    """Write a gap to the leader as ``+h:mm:ss``; ``None`` (the leader) stays ``None``."""
    return None if ms is None else format_signed(ms)
