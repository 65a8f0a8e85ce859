"""The append-only log file: framed, checksummed msgpack records.

Layout::

    header   b"RALLYLOG" + u32 format version (big-endian)        12 bytes
    record   u32 payload length | u32 crc32(payload) | u32 crc32(previous 8 bytes)
             payload (one msgpack record, see ``events._codec``)

The frame header carries its own checksum, so a damaged length is told apart
from a record cut short. An append writes whole frames with one ``write`` and
returns only after ``fsync``. A crash can therefore leave only a prefix of the
frames of the last append at the end of the file: a *torn tail*, which readers
ignore and the next writer cuts off. Anything else that does not check out is
damage, refused with the byte offset and the sequence number it was expected to
carry.

This module frames and stores records; it does not judge events against the
rules of a rally (the engine does, before it appends).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import struct
import time
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from events._codec import CODEC, Codec, Record
from events._errors import (
    InvalidEventError,
    LogCorruptError,
    LogLockedError,
    LogNotFoundError,
    RallyError,
    SchemaError,
)
from events._model import Event

__all__ = [
    "FORMAT_VERSION",
    "HEADER",
    "MAX_RECORD_BYTES",
    "LogCheck",
    "LogScan",
    "LogWriter",
    "Problem",
    "check_bytes",
    "check_file",
    "create_log_file",
    "frame",
    "read_records",
    "scan_bytes",
    "scan_file",
    "write_new_file",
]

MAGIC = b"RALLYLOG"
FORMAT_VERSION = 1
HEADER = MAGIC + struct.pack(">I", FORMAT_VERSION)
_FRAME = struct.Struct(">III")
FRAME_BYTES = _FRAME.size
MAX_RECORD_BYTES = 1 << 20
"""No event comes near this; a larger length field is damage, never an allocation."""


def frame(payload: bytes) -> bytes:
    """One record's payload with its frame header."""
    if not 0 < len(payload) <= MAX_RECORD_BYTES:
        raise InvalidEventError(
            "record too large", expected=f"at most {MAX_RECORD_BYTES} bytes", received=len(payload)
        )
    head = struct.pack(">II", len(payload), zlib.crc32(payload))
    return head + struct.pack(">I", zlib.crc32(head)) + payload


@attrs.frozen
class LogScan:
    """What reading a log found: the sound records and where they end."""

    path: str
    records: tuple[Record, ...]
    valid_end: int
    """Byte offset just past the last sound record."""
    size: int
    """Size of the file as read."""

    @property
    def torn_bytes(self) -> int:
        """Bytes after the last sound record, ignored as an append that never finished."""
        return self.size - self.valid_end


class _Torn(Exception):
    """The frame at this offset is the unfinished tail of an interrupted append."""


def _check_header(data: bytes, path: str) -> None:
    if data[: len(MAGIC)] != MAGIC or len(data) < len(HEADER):
        raise LogCorruptError(
            "not a rally log",
            path=path,
            offset=0,
            seq=1,
            expected=f"a file starting with {MAGIC.decode()}",
            received=f"{data[: len(MAGIC)]!r}" if data else "an empty file",
        )
    (version,) = struct.unpack_from(">I", data, len(MAGIC))
    if version != FORMAT_VERSION:
        raise SchemaError(
            "unsupported log format version",
            where=path,
            expected=f"format version {FORMAT_VERSION}",
            received=version,
        )


def _read_frame(data: bytes, offset: int, seq: int, path: str, codec: Codec) -> tuple[Record, int]:
    """The record framed at ``offset`` and the offset after it.

    Raises ``_Torn`` for an unfinished tail, ``LogCorruptError`` for damage and
    ``SchemaError`` for a record of a newer schema.
    """
    size = len(data)
    view = memoryview(data)
    if size - offset < FRAME_BYTES:
        raise _Torn  # a frame header cut short
    length, payload_crc, head_crc = _FRAME.unpack_from(data, offset)
    if zlib.crc32(view[offset : offset + 8]) != head_crc:
        if not any(view[offset:]):
            raise _Torn  # zero-filled tail: a crash before the data reached the disk
        raise LogCorruptError(
            "damaged record header",
            path=path,
            offset=offset,
            seq=seq,
            expected="a frame header whose checksum matches",
            received="a mismatch",
        )
    if not 0 < length <= MAX_RECORD_BYTES:
        raise LogCorruptError(
            "record length out of range",
            path=path,
            offset=offset,
            seq=seq,
            expected=f"1 to {MAX_RECORD_BYTES} bytes",
            received=length,
        )
    end = offset + FRAME_BYTES + length
    if end > size:
        raise _Torn  # payload cut short
    payload = view[offset + FRAME_BYTES : end]
    if zlib.crc32(payload) != payload_crc:
        if end == size:
            raise _Torn  # the last record never fully reached the disk
        raise LogCorruptError(
            "record checksum mismatch",
            path=path,
            offset=offset,
            seq=seq,
            expected=f"crc32 {payload_crc:#010x}",
            received=f"{zlib.crc32(payload):#010x}",
        )
    where = f"{path}, byte offset {offset}, record seq {seq}"
    try:
        record = codec.decode(bytes(payload), where=where)
    except SchemaError:
        raise
    except RallyError as error:
        raise LogCorruptError(
            f"undecodable record: {error.what}",
            path=path,
            offset=offset,
            seq=seq,
            expected=error.expected,
            received=error.received,
        ) from error
    if record.seq != seq:
        raise LogCorruptError(
            "record out of sequence",
            path=path,
            offset=offset,
            seq=seq,
            expected=f"seq {seq}",
            received=record.seq,
        )
    return record, end


def scan_bytes(data: bytes, *, path: str = "<bytes>", codec: Codec = CODEC) -> LogScan:
    """Read every sound record of a log held in memory.

    Raises ``LogCorruptError`` for a file that is not a log or is damaged
    before its end, and ``SchemaError`` for a record this code cannot read.
    """
    _check_header(data, path)
    records: list[Record] = []
    offset = len(HEADER)
    while offset < len(data):
        try:
            record, offset = _read_frame(data, offset, len(records) + 1, path, codec)
        except _Torn:
            break
        records.append(record)
    return LogScan(path=path, records=tuple(records), valid_end=offset, size=len(data))


@attrs.frozen
class Problem:
    """Something wrong in a log file, where it is, and which record it hit."""

    offset: int
    seq: int
    what: str


@attrs.frozen
class LogCheck:
    """Everything ``check_bytes`` could see in a log: sound records, damage, what lies beyond."""

    path: str
    size: int
    records: tuple[Record, ...]
    """The sound records before the first problem."""
    valid_end: int
    """Byte offset just past them."""
    problems: tuple[Problem, ...]
    ends: tuple[int, ...]
    """Byte offset just past each of ``records``."""
    beyond: tuple[Record, ...]
    """Records still readable after the first damage (something before them is lost)."""
    torn_bytes: int
    """Bytes of an unfinished last append at the end of the file."""

    @property
    def damaged(self) -> bool:
        """Whether anything other than a torn tail is wrong."""
        return bool(self.problems)


def _resync(data: bytes, start: int) -> int | None:
    """The next offset after ``start`` where a whole, checksum-valid frame begins."""
    view = memoryview(data)
    size = len(data)
    for offset in range(start + 1, size - FRAME_BYTES + 1):
        length, payload_crc, head_crc = _FRAME.unpack_from(data, offset)
        if not 0 < length <= MAX_RECORD_BYTES or offset + FRAME_BYTES + length > size:
            continue
        if zlib.crc32(view[offset : offset + 8]) != head_crc:
            continue
        if zlib.crc32(view[offset + FRAME_BYTES : offset + FRAME_BYTES + length]) == payload_crc:
            return offset
    return None


def check_bytes(data: bytes, *, path: str = "<bytes>", codec: Codec = CODEC) -> LogCheck:
    """Read a log as far as possible, reporting every problem instead of stopping at the first.

    After damage it looks for the next whole frame and goes on from there, so
    it can say how many records lie beyond the damage.
    """
    try:
        _check_header(data, path)
    except RallyError as error:
        problem = Problem(0, 1, error.detail())
        return LogCheck(path, len(data), (), 0, (problem,), (), (), 0)
    records: list[Record] = []
    ends: list[int] = []
    beyond: list[Record] = []
    problems: list[Problem] = []
    offset = len(HEADER)
    valid_end = offset
    torn = 0
    expected_seq = 1
    while offset < len(data):
        try:
            record, end = _read_frame(data, offset, expected_seq, path, codec)
        except _Torn:
            torn = len(data) - offset
            break
        except RallyError as error:
            problems.append(Problem(offset, expected_seq, error.detail()))
            if isinstance(error, LogCorruptError) and error.what == "record out of sequence":
                found = error.received if isinstance(error.received, int) else expected_seq
                expected_seq = found  # resume counting from what is there
                continue
            following = _resync(data, offset)
            if following is None:
                break
            offset = following
            try:
                (length,) = struct.unpack_from(">I", data, offset)
                expected_seq = codec.decode(
                    bytes(data[offset + FRAME_BYTES : offset + FRAME_BYTES + length])
                ).seq
            except RallyError:
                expected_seq += 1
            continue
        (beyond if problems else records).append(record)
        if not problems:
            valid_end = end
            ends.append(end)
        offset = end
        expected_seq = record.seq + 1
    return LogCheck(
        path=path,
        size=len(data),
        records=tuple(records),
        valid_end=valid_end,
        problems=tuple(problems),
        ends=tuple(ends),
        beyond=tuple(beyond),
        torn_bytes=torn,
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LogNotFoundError("no such log", where=str(path)) from None
    except IsADirectoryError:
        raise LogNotFoundError("a directory, not a log", where=str(path)) from None
    except PermissionError:
        raise LogNotFoundError("log not readable (permission denied)", where=str(path)) from None


def scan_file(path: str | os.PathLike[str], *, codec: Codec = CODEC) -> LogScan:
    """Read a log file; see ``scan_bytes``."""
    location = Path(path)
    return scan_bytes(_read(location), path=str(location), codec=codec)


def check_file(path: str | os.PathLike[str], *, codec: Codec = CODEC) -> LogCheck:
    """Check a log file; see ``check_bytes``."""
    location = Path(path)
    return check_bytes(_read(location), path=str(location), codec=codec)


def read_records(path: str | os.PathLike[str], *, codec: Codec = CODEC) -> tuple[Record, ...]:
    """Every sound record of a log file, in sequence order."""
    return scan_file(path, codec=codec).records


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new_file(path: Path, data: bytes) -> None:
    """Write a new file atomically (temp file, fsync, link): it appears whole or not at all.

    Refuses to overwrite an existing file.
    """
    if path.exists():
        raise RallyError(
            "a file already exists there",
            where=str(path),
            expected="a path with no file",
            received="an existing file",
        )
    if not path.parent.is_dir():
        raise LogNotFoundError("no such directory", where=str(path.parent))
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if the name appeared meanwhile
        except FileExistsError:
            raise RallyError(
                "a file already exists there",
                where=str(path),
                expected="a path with no file",
                received="an existing file",
            ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _fsync_dir(path.parent)


def create_log_file(
    path: str | os.PathLike[str],
    first: Event,
    *,
    recorded_at: str | None = None,
    codec: Codec = CODEC,
) -> Record:
    """Create a new log holding one record, atomically: the file appears whole or not at all.

    Refuses to overwrite an existing file.
    """
    record = Record(seq=1, event=first, recorded_at=recorded_at)
    write_new_file(Path(path), HEADER + frame(codec.encode(record)))
    return record


class LogWriter:
    """The one writer of a log: holds an exclusive lock until closed.

    Opening cuts off a torn tail left by a crash (readers ignore it anyway).
    ``append`` encodes every record, writes them with one ``write`` and
    returns after ``fsync``; if the write fails, the file is cut back to its
    previous length, so a refused or failed append leaves it as it was.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        wait_seconds: float = 0.0,
        codec: Codec = CODEC,
    ) -> None:
        self.path = Path(path)
        self._codec = codec
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            raise LogNotFoundError("no such log", where=str(self.path)) from None
        except IsADirectoryError:
            raise LogNotFoundError("a directory, not a log", where=str(self.path)) from None
        except PermissionError:
            raise LogNotFoundError(
                "log not writable (permission denied)", where=str(self.path)
            ) from None
        try:
            self._lock(wait_seconds)
            scan = scan_bytes(self._read_all(), path=str(self.path), codec=codec)
            if scan.torn_bytes:
                os.ftruncate(self._fd, scan.valid_end)
                os.fsync(self._fd)
        except BaseException:
            os.close(self._fd)
            raise
        self.recovered_bytes = scan.torn_bytes
        """How many bytes of a torn tail opening cut off (0 for a clean log)."""
        self.records_at_open: tuple[Record, ...] = scan.records
        """The log's sound records as this writer found them (it appends after them)."""
        self._next_seq = len(scan.records) + 1
        self._size = scan.valid_end
        self._closed = False

    def _lock(self, wait_seconds: float) -> None:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            if time.monotonic() >= deadline:
                waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                raise LogLockedError(
                    "another process is writing to this log" + waited,
                    where=str(self.path),
                    expected="no other writer (wait for it, or pass a wait time)",
                    received="the log locked",
                )
            time.sleep(0.02)

    def _read_all(self) -> bytes:
        os.lseek(self._fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(self._fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)

    @property
    def next_seq(self) -> int:
        """The sequence number the next appended event will get."""
        return self._next_seq

    def append(
        self,
        events: Sequence[Event] | Iterable[Event],
        *,
        recorded_at: str | None = None,
    ) -> tuple[Record, ...]:
        """Append events durably, in order; returns their records once fsync'd."""
        if self._closed:
            raise RallyError("log writer is closed", where=str(self.path))
        records: list[Record] = []
        frames: list[bytes] = []
        for event in events:
            record = Record(seq=self.next_seq + len(records), event=event, recorded_at=recorded_at)
            frames.append(frame(self._codec.encode(record)))
            records.append(record)
        if not records:
            return ()
        data = b"".join(frames)
        try:
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except BaseException:
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
            raise
        self._size += len(data)
        self._next_seq += len(records)
        return tuple(records)

    def close(self) -> None:
        """Release the lock and the file."""
        if not self._closed:
            self._closed = True
            os.close(self._fd)  # closing drops the flock

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
