"""The project's exceptions: one base class, a few kinds, one message shape.

Every error says *what* was wrong, *where* (a field, an event, a byte offset,
a line), what was *expected* and what was *received*, so that one line on a
terminal is enough to fix the input.
"""

from __future__ import annotations

__all__ = [
    "InvalidEventError",
    "LogCorruptError",
    "LogLockedError",
    "LogNotFoundError",
    "QueryError",
    "RallyError",
    "RuleViolationError",
    "SchemaError",
    "TimeFormatError",
]


_SHOWN = 200
"""At most this many characters of a received value go into a message."""


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
            if isinstance(self.received, str) and (not shown or shown != shown.strip()):
                shown = repr(shown)  # make an empty or padded input visible
            if len(shown) > _SHOWN:
                shown = shown[: _SHOWN - 1] + "…"  # a hostile value can be huge
            details.append(f"received {shown}")
        if details:
            text += ": " + ", ".join(details)
        return text


class TimeFormatError(RallyError, ValueError):
    """A time or duration text that is not ``h:mm:ss`` / ``m:ss``."""


class InvalidEventError(RallyError, ValueError):
    """An event whose fields are malformed on their own (a bad value, a bad type)."""


class RuleViolationError(RallyError):
    """An event that is well formed but not allowed given the log so far."""


class QueryError(RallyError, LookupError):
    """A question the data cannot answer: an unknown category, entry or stage."""


class LogNotFoundError(RallyError, FileNotFoundError):
    """No log at the given path, and no shipped log of that name."""


class LogLockedError(RallyError):
    """Another process holds the log for writing."""


class SchemaError(RallyError):
    """A record of an unknown event type or of a schema version this code cannot read."""


class LogCorruptError(RallyError):
    """A log file damaged before its end: a bad frame, checksum, sequence or payload.

    ``offset`` is the byte offset of the first bad record and ``seq`` the
    sequence number that record should have carried.
    """

    def __init__(
        self,
        what: str,
        *,
        path: str,
        offset: int,
        seq: int,
        expected: str | None = None,
        received: object = None,
    ) -> None:
        self.path = path
        self.offset = offset
        self.seq = seq
        super().__init__(
            what,
            where=f"{path}, byte offset {offset}, record seq {seq}",
            expected=expected,
            received=received,
        )
