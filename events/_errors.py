"""The project's exceptions: one base class, a few kinds, one message shape.

Every error says *what* was wrong, *where* (a field, an event, a byte offset,
a line), what was *expected* and what was *received*, so that one line on a
terminal is enough to fix the input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self, TypedDict, Unpack

__all__ = [
    "ErrorDetails",
    "InvalidEventError",
    "LogCorruptError",
    "LogLockedError",
    "LogNotFoundError",
    "LogReplacedError",
    "OutputExistsError",
    "QueryError",
    "RallyError",
    "RuleViolationError",
    "SchemaError",
    "TimeFormatError",
    "one_line",
]


class _Said(TypedDict, total=False):
    expected: str | None
    received: object


class ErrorDetails(_Said, total=False):
    """What a refusal says after its *what*: the keyword arguments every ``RallyError``
    takes, so that a kind with a field of its own passes them on without naming them."""

    where: str | None


_SHOWN = 200
"""At most this many characters of a received value go into a message."""


def one_line(text: str) -> str:
    """``text`` with every character that is not printable (a line break, a tab, a bidi
    override, another control or format character) written as its escape, so that a
    message built from hostile input stays one line that reads left to right."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class RallyError(Exception):
    """Base of every error this project raises on purpose.

    The message reads ``what (where): expected E, received R``; each part is
    kept as an attribute for programs that want to react to it.
    """

    def __init__(
        self,
        what: str,
        *,
        where: str | None = None,
        expected: str | None = None,
        received: object = None,
    ) -> None:
        self.what = what
        self.where = where
        self.expected = expected
        self.received = received
        super().__init__(self._compose())

    @classmethod
    def unknown(
        cls, what: str, choices: Iterable[object], received: object, *, where: str | None = None
    ) -> Self:
        """The refusal of ``received``, which is none of ``choices`` ("expected one of …")."""
        expected = "one of " + ", ".join(map(str, choices))
        return cls(what, where=where, expected=expected, received=received)

    def detail(self) -> str:
        """The message without its *where* part (for reports that say where themselves)."""
        return self._compose(with_where=False)

    def _compose(self, *, with_where: bool = True) -> str:
        text = self.what
        if self.where and with_where:
            text += f" ({self.where})"
        details = []
        if self.expected is not None:
            details.append(f"expected {self.expected}")
        if self.received is not None:
            shown = str(self.received)
            if isinstance(self.received, bytes | bytearray):  # as text, each other byte \xNN
                shown = '"' + bytes(self.received).decode("ascii", "backslashreplace") + '"'
            if isinstance(self.received, str) and (
                not shown or shown != shown.strip() or not shown.isprintable()
            ):
                shown = repr(shown)  # make an empty, padded or control character visible
            if len(shown) > _SHOWN:
                shown = shown[: _SHOWN - 1] + "…"  # a hostile value can be huge
            details.append(f"received {shown}")
        if details:
            text += ": " + ", ".join(details)
        return one_line(text)


class TimeFormatError(RallyError, ValueError):
    """A time or duration text that is not ``h:mm:ss`` / ``m:ss``."""


class InvalidEventError(RallyError, ValueError):
    """An event whose fields are malformed on their own (a bad value, a bad type)."""


class RuleViolationError(RallyError):
    """An event that is well formed but not allowed given the log so far.

    ``index`` is where the refused event stands in the batch it came in (0 for the first),
    when it came in one.
    """

    def __init__(
        self, what: str, *, index: int | None = None, **details: Unpack[ErrorDetails]
    ) -> None:
        self.index = index
        super().__init__(what, **details)

    def at(self, index: int) -> RuleViolationError:
        """The same refusal, of the event at ``index`` of the batch it came in."""
        return RuleViolationError(
            self.what,
            where=self.where,
            expected=self.expected,
            received=self.received,
            index=index,
        )


class QueryError(RallyError, LookupError):
    """A question the data cannot answer: an unknown category, entry or stage."""


class LogNotFoundError(RallyError, FileNotFoundError):
    """No log at the given path, and no shipped log of that name."""


class LogLockedError(RallyError):
    """Another process holds the log for writing."""


class OutputExistsError(RallyError, FileExistsError):
    """A file is already where a new one was to be written (replacing must be asked for)."""


class LogReplacedError(LogLockedError):
    """The path a writer opened names another file now (moved, replaced or deleted)."""


class SchemaError(RallyError):
    """A record of an unknown event type or of a schema version this code cannot read."""


class LogCorruptError(RallyError):
    """A log file damaged before its end: a bad frame, checksum, sequence or payload.

    ``offset`` is the byte offset of the first bad record and ``seq`` the
    sequence number that record should have carried (``None`` when the file is
    wrong before any record: a missing header, or no record at all).
    """

    def __init__(
        self,
        what: str,
        *,
        path: str,
        offset: int,
        seq: int | None,
        **said: Unpack[_Said],
    ) -> None:
        self.path = path
        self.offset = offset
        self.seq = seq
        record = "" if seq is None else f", record seq {seq}"
        super().__init__(what, where=f"{path}, byte offset {offset}{record}", **said)
