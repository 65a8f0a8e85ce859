"""The append-only log file: checksummed frames of msgpack-encoded events.

Layout::

    header   b"RALLYLOG" + u32 format version (big-endian)        12 bytes
    frame    u32 payload length | u32 crc32(payload) | u32 crc32(previous 8 bytes)
             payload

Format 2 (written by this version): one frame per append, its payload a batch
of events stored column-wise (``events._frames``). Format 1 (still read, and
appended to in its own format): one frame per event, its payload one msgpack
record (``events._codec``).

The frame header carries its own checksum, so a damaged length is told apart
from a frame cut short. An append writes its frame with one ``write`` and
returns only after ``fsync``. A crash can therefore leave only a prefix of the
last append's frame at the end of the file: a *torn tail*, which readers
ignore and the next writer cuts off; a batch is all or nothing. Anything else
that does not check out is damage, refused with the byte offset and the
sequence number it was expected to carry.

This module frames and stores events; it does not judge them against the rules
of a rally (the engine does, before it appends).
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

from rally_standings.events._codec import CODEC, Codec, Record
from rally_standings.events._errors import (
    InvalidEventError,
    LogCorruptError,
    LogLockedError,
    LogNotFoundError,
    RallyError,
    SchemaError,
)
from rally_standings.events._frames import Frame, decode_frame, encode_frame
from rally_standings.events._model import Event

__all__ = [
    "FORMAT_VERSION",
    "FRAME_BYTES",
    "HEADER",
    "MAX_FRAME_BYTES",
    "LogCheck",
    "LogScan",
    "LogWriter",
    "Problem",
    "check_bytes",
    "check_file",
    "copy_prefix",
    "create_log_file",
    "encode_log",
    "frame",
    "header",
    "read_records",
    "scan_bytes",
    "scan_file",
    "write_new_file",
]

MAGIC = b"RALLYLOG"
FORMAT_VERSION = 2
"""The format new logs are written in."""
READABLE_FORMATS = (1, 2)
_FRAME = struct.Struct(">III")
FRAME_BYTES = _FRAME.size
MAX_FRAME_BYTES = 1 << 26
"""64 MiB: a length field above it is damage. Payloads are read as views of the
file's bytes, so no untrusted length ever drives an allocation."""
_SPLIT_BYTES = 1 << 24  # a writer starts a new frame past 16 MiB of payload


def header(version: int = FORMAT_VERSION) -> bytes:
    """The 12 bytes a log of this format starts with."""
    return MAGIC + struct.pack(">I", version)


HEADER = header()


def frame(payload: bytes) -> bytes:
    """A payload with its frame header."""
    if not 0 < len(payload) <= MAX_FRAME_BYTES:
        raise InvalidEventError(
            "frame too large", expected=f"at most {MAX_FRAME_BYTES} bytes", received=len(payload)
        )
    head = struct.pack(">II", len(payload), zlib.crc32(payload))
    return head + struct.pack(">I", zlib.crc32(head)) + payload


def _batches(records: Sequence[Record], codec: Codec) -> list[bytes]:
    """Format-2 frames for ``records``: one, or several if the batch is very large."""
    out: list[bytes] = []
    start = 0
    step = len(records)
    while start < len(records):
        chunk = records[start : start + step]
        payload = encode_frame(chunk, codec=codec)
        if len(payload) > _SPLIT_BYTES and len(chunk) > 1:
            step = max(1, len(chunk) // 2)
            continue
        out.append(frame(payload))
        start += len(chunk)
    return out


def encode_log(
    records: Sequence[Record], *, version: int = FORMAT_VERSION, codec: Codec = CODEC
) -> bytes:
    """A whole log file holding ``records``: one frame for all (format 2) or one each (1)."""
    if version == 1:
        return header(1) + b"".join(frame(codec.encode(r)) for r in records)
    return header(version) + b"".join(_batches(records, codec))


def _frame_from_record(record: Record, codec: Codec) -> Frame:
    """A format-1 record seen as a one-event frame, so both formats fold alike."""
    return decode_frame(encode_frame([record], codec=codec), codec=codec)


class LogScan:
    """What reading a log found: its sound frames, where they end, and what follows."""

    def __init__(
        self, path: str, version: int, frames: Sequence[Frame], ends: Sequence[int], size: int
    ) -> None:
        self.path = path
        self.version = version
        self.frames: tuple[Frame, ...] = tuple(frames)
        self.ends: tuple[int, ...] = tuple(ends)
        """Byte offset just past each frame."""
        self.size = size
        """Size of the file as read."""
        self._records: tuple[Record, ...] | None = None

    @property
    def valid_end(self) -> int:
        """Byte offset just past the last sound frame."""
        return self.ends[-1] if self.ends else len(HEADER)

    @property
    def torn_bytes(self) -> int:
        """Bytes after the last sound frame, ignored as an append that never finished."""
        return self.size - self.valid_end

    @property
    def count(self) -> int:
        """How many events the sound frames hold."""
        return sum(f.count for f in self.frames)

    @property
    def records(self) -> tuple[Record, ...]:
        """Every event as a record (built on first use; the frames are the compact form)."""
        if self._records is None:
            self._records = tuple(
                record for f in self.frames for record in f.records(where=self.path)
            )
        return self._records


class _Torn(Exception):
    """The frame at this offset is the unfinished tail of an interrupted append."""


def _check_header(data: bytes, path: str) -> int:
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
    if version not in READABLE_FORMATS:
        raise SchemaError(
            "unsupported log format version",
            where=path,
            expected="format version " + " or ".join(map(str, READABLE_FORMATS)),
            received=version,
        )
    return int(version)


def _read_frame(
    data: bytes, offset: int, seq: int, path: str, codec: Codec, version: int
) -> tuple[Frame, int]:
    """The frame at ``offset`` and the offset after it.

    Raises ``_Torn`` for an unfinished tail, ``LogCorruptError`` for damage and
    ``SchemaError`` for events of an unknown type or a newer schema.
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
            "damaged frame header",
            path=path,
            offset=offset,
            seq=seq,
            expected="a frame header whose checksum matches",
            received="a mismatch",
        )
    if not 0 < length <= MAX_FRAME_BYTES:
        raise LogCorruptError(
            "frame length out of range",
            path=path,
            offset=offset,
            seq=seq,
            expected=f"1 to {MAX_FRAME_BYTES} bytes",
            received=length,
        )
    end = offset + FRAME_BYTES + length
    if end > size:
        raise _Torn  # payload cut short
    payload = view[offset + FRAME_BYTES : end]
    if zlib.crc32(payload) != payload_crc:
        if end == size:
            raise _Torn  # the last frame never fully reached the disk
        raise LogCorruptError(
            "frame checksum mismatch",
            path=path,
            offset=offset,
            seq=seq,
            expected=f"crc32 {payload_crc:#010x}",
            received=f"{zlib.crc32(payload):#010x}",
        )
    where = f"{path}, byte offset {offset}, record seq {seq}"
    try:
        if version == 1:
            decoded = _frame_from_record(codec.decode(bytes(payload), where=where), codec)
        else:
            decoded = decode_frame(payload, where=where, codec=codec)
    except SchemaError:
        raise
    except RallyError as error:
        raise LogCorruptError(
            f"undecodable frame: {error.what}",
            path=path,
            offset=offset,
            seq=seq,
            expected=error.expected,
            received=error.received,
        ) from error
    if decoded.first_seq != seq:
        raise LogCorruptError(
            "record out of sequence",
            path=path,
            offset=offset,
            seq=seq,
            expected=f"seq {seq}",
            received=decoded.first_seq,
        )
    return decoded, end


def scan_bytes(data: bytes, *, path: str = "<bytes>", codec: Codec = CODEC) -> LogScan:
    """Read every sound frame of a log held in memory.

    Raises ``LogCorruptError`` for a file that is not a log or is damaged
    before its end, and ``SchemaError`` for events this code cannot read.
    """
    version = _check_header(data, path)
    frames: list[Frame] = []
    ends: list[int] = []
    offset = len(HEADER)
    seq = 1
    while offset < len(data):
        try:
            decoded, offset = _read_frame(data, offset, seq, path, codec, version)
        except _Torn:
            break
        frames.append(decoded)
        ends.append(offset)
        seq = decoded.last_seq + 1
    return LogScan(path, version, frames, ends, len(data))


@attrs.frozen
class Problem:
    """Something wrong in a log file, where it is, and which record it hit."""

    offset: int
    seq: int
    what: str


@attrs.frozen
class LogCheck:
    """Everything ``check_bytes`` could see in a log: sound frames, damage, what lies beyond."""

    path: str
    size: int
    version: int
    frames: tuple[Frame, ...]
    """The sound frames before the first problem."""
    ends: tuple[int, ...]
    """Byte offset just past each of them."""
    problems: tuple[Problem, ...]
    beyond: tuple[Frame, ...]
    """Frames still readable after the first damage (something before them is lost)."""
    torn_bytes: int
    """Bytes of an unfinished last append at the end of the file."""

    @property
    def valid_end(self) -> int:
        """Byte offset just past the sound frames."""
        return self.ends[-1] if self.ends else len(HEADER)

    @property
    def records(self) -> tuple[Record, ...]:
        """The events of the sound frames, as records."""
        return tuple(r for f in self.frames for r in f.records(where=self.path))

    @property
    def count(self) -> int:
        """How many events the sound frames hold."""
        return sum(f.count for f in self.frames)

    @property
    def beyond_count(self) -> int:
        """How many events the frames readable after the damage hold."""
        return sum(f.count for f in self.beyond)

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
        if not 0 < length <= MAX_FRAME_BYTES or offset + FRAME_BYTES + length > size:
            continue
        if zlib.crc32(view[offset : offset + 8]) != head_crc:
            continue
        if zlib.crc32(view[offset + FRAME_BYTES : offset + FRAME_BYTES + length]) == payload_crc:
            return offset
    return None


def check_bytes(data: bytes, *, path: str = "<bytes>", codec: Codec = CODEC) -> LogCheck:
    """Read a log as far as possible, reporting every problem instead of stopping at the first.

    After damage it looks for the next whole frame and goes on from there, so
    it can say how many events lie beyond the damage.
    """
    try:
        version = _check_header(data, path)
    except RallyError as error:
        problem = Problem(0, 1, error.detail())
        return LogCheck(path, len(data), 0, (), (), (problem,), (), 0)
    frames: list[Frame] = []
    ends: list[int] = []
    beyond: list[Frame] = []
    problems: list[Problem] = []
    offset = len(HEADER)
    torn = 0
    expected_seq = 1
    while offset < len(data):
        try:
            decoded, end = _read_frame(data, offset, expected_seq, path, codec, version)
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
            expected_seq = _first_seq_at(data, offset, codec, version) or expected_seq + 1
            continue
        if problems:
            beyond.append(decoded)
        else:
            frames.append(decoded)
            ends.append(end)
        offset = end
        expected_seq = decoded.last_seq + 1
    return LogCheck(
        path=path,
        size=len(data),
        version=version,
        frames=tuple(frames),
        ends=tuple(ends),
        problems=tuple(problems),
        beyond=tuple(beyond),
        torn_bytes=torn,
    )


def _first_seq_at(data: bytes, offset: int, codec: Codec, version: int) -> int | None:
    (length,) = struct.unpack_from(">I", data, offset)
    payload = memoryview(data)[offset + FRAME_BYTES : offset + FRAME_BYTES + length]
    try:
        if version == 1:
            return codec.decode(bytes(payload)).seq
        return decode_frame(payload, codec=codec).first_seq
    except RallyError:
        return None


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


def write_new_file(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write a file atomically (temp file, fsync, link or rename): whole or not at all.

    Refuses to overwrite an existing file unless ``replace`` is given, in which
    case the old file is replaced in one rename (a reader sees the old or the
    new one, never a mixture). A failure leaves no temporary file behind.
    """
    if path.exists() and not replace:
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
        if replace:
            os.replace(temporary, path)
        else:
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


def copy_prefix(
    source: str | os.PathLike[str], check: LogCheck, keep: int, output: str | os.PathLike[str]
) -> int:
    """Write to ``output`` a new log holding the first ``keep`` records of ``source``.

    ``check`` is what ``check_file(source)`` found. Whole frames are copied byte
    for byte; a frame cut by ``keep`` has its leading records framed anew. The new
    log is created atomically and never over an existing file; the source is only
    read. Returns how many bytes of the source were not carried over.
    """
    original = Path(source).read_bytes()
    end = len(HEADER)
    partial: list[Record] = []
    for kept_frame, frame_end in zip(check.frames, check.ends, strict=True):
        if kept_frame.last_seq <= keep:
            end = frame_end
        elif kept_frame.first_seq <= keep:
            limit = keep - kept_frame.first_seq + 1
            partial = list(kept_frame.records(where=str(source), limit=limit))
    data = original[:end]
    if partial:
        data += encode_log(partial, version=check.version)[len(HEADER) :]
    write_new_file(Path(output), data)
    return check.size - end


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
    write_new_file(Path(path), encode_log([record], codec=codec))
    return record


class LogWriter:
    """The one writer of a log: holds an exclusive lock until closed.

    Opening cuts off a torn tail left by a crash (readers ignore it anyway).
    ``append`` encodes the batch as one frame (format 2; one frame per event
    in a format-1 file), writes it with one ``write`` and returns after
    ``fsync``; if the write fails, the file is cut back to its previous
    length, so a refused or failed append leaves it as it was.
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
        self.frames_at_open: tuple[Frame, ...] = scan.frames
        """The log's sound frames as this writer found them (it appends after them)."""
        self.ends_at_open: tuple[int, ...] = scan.ends
        """Where each of those frames ends (a byte offset)."""
        self.version = scan.version
        """The file's format version; appends keep to it."""
        self._next_seq = scan.count + 1
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
        records = [
            Record(seq=self.next_seq + index, event=event, recorded_at=recorded_at)
            for index, event in enumerate(events)
        ]
        if not records:
            return ()
        data = encode_log(records, version=self.version, codec=self._codec)[len(HEADER) :]
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
