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
last append's frame at the end of the file, or (a power cut after the file
grew) zeros where its bytes should be: a *torn tail*, which readers ignore and
the next accepted append cuts off; a batch is all or nothing. Anything else
that does not check out, a complete last frame whose checksum fails included,
is damage, refused with the byte offset and the sequence number it was
expected to carry (``_read_frame`` states the rule; docs/log-format.md argues it).

This module frames and stores events; it does not judge them against the rules
of a rally (the engine does, before it appends).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import stat
import struct
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import attrs

from . import _errors as errors
from ._codec import CODEC, Codec, Record
from ._frames import Frame, decode_frame, encode_frame
from ._model import Event

__all__ = [
    "FORMAT_VERSION",
    "FRAME_BYTES",
    "HEADER",
    "MAX_FRAME_BYTES",
    "LogCheck",
    "LogScan",
    "LogTail",
    "LogWriter",
    "Problem",
    "TornTail",
    "Trusted",
    "building",
    "check_bytes",
    "check_file",
    "check_new_file",
    "copy_prefix",
    "create_log_file",
    "encode_log",
    "file_kind",
    "frame",
    "frames_after",
    "header",
    "read_file",
    "read_frames_from",
    "read_log_file",
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
_SPLIT_BYTES = 1 << 24
"""A new log written whole (``encode_log``) starts a new frame past 16 MiB of payload; an
append never does: one append is one frame, all or nothing."""


def header(version: int = FORMAT_VERSION) -> bytes:
    """The 12 bytes a log of this format starts with."""
    return MAGIC + struct.pack(">I", version)


HEADER = header()


def frame(payload: bytes) -> bytes:
    """A payload with its frame header."""
    if not 0 < len(payload) <= MAX_FRAME_BYTES:
        raise errors.InvalidEventError(
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


@attrs.frozen
class Trusted:
    """A prefix of a log vouched for by a checkpoint: its bytes' CRC-32 and last seq.

    Frames wholly inside it are checksum-verified but not decoded when the log
    is read (a checkpoint holds what folding them gives); if the prefix's bytes
    do not match, or no frame ends exactly at ``offset``, nothing is trusted.
    """

    offset: int
    last_seq: int
    crc: int


class LogScan:
    """What reading a log found: its sound frames, where they end, and what follows.

    Frames are decoded when first asked for; with a ``Trusted`` prefix, those
    inside it are only checksum-verified until then (``decoded_after``).
    """

    def __init__(
        self,
        path: str,
        version: int,
        frames: Sequence[Frame | None],
        ends: Sequence[int],
        size: int,
        *,
        data: bytes = b"",
        codec: Codec = CODEC,
        trusted: int = 0,
        trusted_seq: int = 0,
    ) -> None:
        self.path = path
        self.version = version
        self._frames: list[Frame | None] = list(frames)
        self.ends: tuple[int, ...] = tuple(ends)
        """Byte offset just past each frame."""
        self.size = size
        """Size of the file as read."""
        self.trusted = trusted
        """How many leading frames a trusted prefix covered (not decoded on reading)."""
        self._data = data
        self._codec = codec
        self._trusted_seq = trusted_seq
        self._records: tuple[Record, ...] | None = None

    @property
    def frames(self) -> tuple[Frame, ...]:
        """Every sound frame, decoded (those of a trusted prefix on first use)."""
        if self.trusted:
            seq = 1
            offset = len(HEADER)
            for index in range(len(self._frames)):
                decoded = self._frames[index]
                if decoded is None:
                    decoded, _ = _read_frame(
                        self._data, offset, seq, self.path, self._codec, self.version
                    )
                    self._frames[index] = decoded
                seq = decoded.last_seq + 1
                offset = self.ends[index]
            self.trusted = 0
            self._data = b""
        return tuple(frame for frame in self._frames if frame is not None)

    def decoded_after(self, index: int) -> tuple[Frame, ...]:
        """The frames from ``index`` on (decoded on reading, past any trusted prefix)."""
        found = self._frames[index:]
        if any(frame is None for frame in found):
            return self.frames[index:]
        return tuple(frame for frame in found if frame is not None)

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
        """How many events the sound frames hold (the seq of the last one)."""
        last = self._frames[-1] if self._frames else None
        if last is not None:
            return last.last_seq
        if self._trusted_seq:
            return self._trusted_seq
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
        raise errors.LogCorruptError(
            "not a rally log",
            path=path,
            offset=0,
            seq=None,
            expected=f"a file starting with {MAGIC.decode()}",
            received=data[: len(MAGIC)] if data else "an empty file",
        )
    (version,) = struct.unpack_from(">I", data, len(MAGIC))
    if version not in READABLE_FORMATS:
        raise errors.SchemaError(
            "unsupported log format version",
            where=path,
            expected="format version " + " or ".join(map(str, READABLE_FORMATS)),
            received=version,
        )
    return int(version)


def _zeros_from(data: bytes, start: int) -> bool:
    """Whether every byte from ``start`` to the end of ``data`` is zero."""
    return data.count(0, start) == len(data) - start


def _read_frame(
    data: bytes, offset: int, seq: int, path: str, codec: Codec, version: int
) -> tuple[Frame, int]:
    """The frame at ``offset`` and the offset after it.

    Raises ``_Torn`` for the unfinished tail of an interrupted append,
    ``LogCorruptError`` for damage and ``SchemaError`` for events of an unknown
    type or a newer schema. The bytes from ``offset`` to the end of the file are
    a torn tail exactly when they are

    * fewer than a frame header (a header cut short),
    * a sound frame header announcing more bytes than the file holds (a payload
      cut short), or
    * a frame whose payload part, everything from its 13th byte to the end of
      the file, is zeros (a power cut after the file grew but before its new
      blocks were written).

    Anything else that does not check out is damage, in particular a complete
    last frame whose checksum fails: no crash can leave that, and a single
    flipped byte always does (docs/log-format.md gives the reasoning).
    """
    end = _frame_end(data, offset, seq, path)
    payload = memoryview(data)[offset + FRAME_BYTES : end]
    return _decode_frame(payload, offset, seq, path, codec, version), end


def _bad_frame(
    path: str, offset: int, seq: int | None, what: str, expected: str | None, received: object
) -> errors.LogCorruptError:
    """The error for a bad frame at byte ``offset`` of ``path``, where record ``seq`` starts."""
    return errors.LogCorruptError(
        what, path=path, offset=offset, seq=seq, expected=expected, received=received
    )


def _frame_end(data: bytes, offset: int, seq: int | None, path: str) -> int:
    """Where the sound frame at ``offset`` ends (its length and checksums verified).

    Raises ``_Torn`` or ``LogCorruptError`` as ``_read_frame`` says.
    """
    size = len(data)
    view = memoryview(data)
    if size - offset < FRAME_BYTES:
        raise _Torn  # a frame header cut short
    length, payload_crc, head_crc = _FRAME.unpack_from(data, offset)
    if zlib.crc32(view[offset : offset + 8]) != head_crc:
        if _zeros_from(data, offset + FRAME_BYTES):
            raise _Torn  # zero-filled: a crash before the data reached the disk
        raise _bad_frame(
            path,
            offset,
            seq,
            "damaged frame header",
            "a frame header whose checksum matches",
            "a mismatch",
        )
    if not 0 < length <= MAX_FRAME_BYTES:
        raise _bad_frame(
            path, offset, seq, "frame length out of range", f"1 to {MAX_FRAME_BYTES} bytes", length
        )
    end = offset + FRAME_BYTES + length
    if end > size:
        raise _Torn  # payload cut short
    payload = view[offset + FRAME_BYTES : end]
    if zlib.crc32(payload) != payload_crc:
        if _zeros_from(data, offset + FRAME_BYTES):
            raise _Torn  # the header reached the disk, the payload's blocks did not
        raise _bad_frame(
            path,
            offset,
            seq,
            "frame checksum mismatch",
            f"crc32 {payload_crc:#010x}",
            f"{zlib.crc32(payload):#010x}",
        )
    return int(end)


def _decode_frame(
    payload: memoryview, offset: int, seq: int, path: str, codec: Codec, version: int
) -> Frame:
    """A sound frame's payload decoded, and checked to start at ``seq``."""
    where = f"{path}, byte offset {offset}, record seq {seq}"
    try:
        if version == 1:
            decoded = _frame_from_record(codec.decode(bytes(payload), where=where), codec)
        else:
            decoded = decode_frame(payload, where=where, codec=codec)
    except errors.SchemaError:
        raise
    except errors.RallyError as error:
        raise _bad_frame(
            path, offset, seq, f"undecodable frame: {error.what}", error.expected, error.received
        ) from error
    if decoded.first_seq != seq:
        raise _bad_frame(
            path, offset, seq, "record out of sequence", f"seq {seq}", decoded.first_seq
        )
    return decoded


def _whole_frames(
    data: bytes, offset: int, seq: int, path: str, codec: Codec, version: int
) -> Iterator[tuple[Frame, int]]:
    """Each frame from byte ``offset`` on (the first carrying record ``seq``) with the offset
    after it, up to the end of ``data`` or a torn tail (left as every reader leaves it);
    damage raises as ``_read_frame`` says."""
    while offset < len(data):
        try:
            decoded, offset = _read_frame(data, offset, seq, path, codec, version)
        except _Torn:
            return
        yield decoded, offset
        seq = decoded.last_seq + 1


def scan_bytes(
    data: bytes,
    *,
    path: str = "<bytes>",
    codec: Codec = CODEC,
    trusted: Trusted | None = None,
) -> LogScan:
    """Read every sound frame of a log held in memory.

    With ``trusted`` (a checkpoint's prefix) whose bytes match, the frames
    inside it are checksum-verified but not decoded until asked for.
    Raises ``LogCorruptError`` for a file that is not a log or is damaged
    before its end, and ``SchemaError`` for events this code cannot read.
    """
    version = _check_header(data, path)
    if trusted is not None and not (
        len(HEADER) < trusted.offset <= len(data)
        and zlib.crc32(memoryview(data)[: trusted.offset]) == trusted.crc
    ):
        trusted = None
    frames: list[Frame | None] = []
    ends: list[int] = []
    offset = len(HEADER)
    seq = 1
    while trusted is not None and offset < trusted.offset:
        try:
            offset = _frame_end(data, offset, None, path)
        except _Torn:  # it vouches for an unfinished append: trust nothing
            return scan_bytes(data, path=path, codec=codec)
        frames.append(None)
        ends.append(offset)
    if trusted is not None:
        if offset != trusted.offset or not _ends_with_seq(
            data, frames, ends, trusted.last_seq, path, codec, version
        ):  # no frame ends where the checkpoint says, after its seq: trust nothing
            return scan_bytes(data, path=path, codec=codec)
        seq = trusted.last_seq + 1
    covered = len(frames)
    for decoded, end in _whole_frames(data, offset, seq, path, codec, version):
        frames.append(decoded)
        ends.append(end)
    if not frames:
        raise _no_records(data, path)
    return LogScan(
        path,
        version,
        frames,
        ends,
        len(data),
        data=data if covered else b"",
        codec=codec,
        trusted=covered,
        trusted_seq=trusted.last_seq if trusted is not None else 0,
    )


def _ends_with_seq(
    data: bytes,
    frames: list[Frame | None],
    ends: list[int],
    last_seq: int,
    path: str,
    codec: Codec,
    version: int,
) -> bool:
    """Whether the last of the (not yet decoded) frames ending at ``ends`` ends with record
    ``last_seq``: it is decoded alone to see."""
    if not frames:
        return False
    start = ends[-2] if len(ends) > 1 else len(HEADER)
    try:
        length = _FRAME.unpack_from(data, start)[0]
        payload = memoryview(data)[start + FRAME_BYTES : start + FRAME_BYTES + length]
        if version == 1:
            return bool(codec.decode(bytes(payload), where=path).seq == last_seq)
        decoded = decode_frame(payload, where=path, codec=codec)
    except errors.RallyError:
        return False
    return decoded.last_seq == last_seq


def _no_records(data: bytes, path: str) -> errors.LogCorruptError:
    """A header and no sound record: never a log this code wrote (a new log is created
    with its first record in one atomic step), so every reader refuses it alike."""
    rest = len(data) - len(HEADER)
    return errors.LogCorruptError(
        "a log with no records",
        path=path,
        offset=len(HEADER),
        seq=None,
        expected="the rally declaration as record 1 after the header",
        received=f"{rest} bytes that are no whole record" if rest else "nothing after the header",
    )


@attrs.frozen
class Problem:
    """Something wrong in a log file, where it is, and which record it hit."""

    offset: int
    seq: int | None
    """The sequence number the damaged record should carry (None: before any record)."""
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
    except errors.RallyError as error:
        problem = Problem(0, None, error.detail())
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
        except errors.RallyError as error:
            problems.append(Problem(offset, expected_seq, error.detail()))
            if isinstance(error, errors.LogCorruptError) and error.what == "record out of sequence":
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
    if not frames and not problems:
        problems.append(Problem(len(HEADER), None, _no_records(data, path).detail()))
        torn = 0
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
    except errors.RallyError:
        return None


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words (``"a named pipe (FIFO)"``)."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def _refuse_special(path: str, mode: int, what: str) -> None:
    if stat.S_ISDIR(mode):
        raise errors.LogNotFoundError(f"a directory, not a {what}", where=path)
    if not stat.S_ISREG(mode):
        raise errors.LogNotFoundError(
            "not a regular file",
            where=path,
            expected=f"a {what} file",
            received=file_kind(mode),
        )


def _open_regular(path: str, flags: int, what: str) -> int:
    """A descriptor of the regular file at ``path``, refused (and closed) if it is anything
    else. Opening never blocks (a FIFO is opened non-blocking, then refused)."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise errors.LogNotFoundError(f"no such {what}", where=path) from None
    except IsADirectoryError:
        raise errors.LogNotFoundError(f"a directory, not a {what}", where=path) from None
    except PermissionError:
        access = "writable" if flags & (os.O_WRONLY | os.O_RDWR) else "readable"
        raise errors.LogNotFoundError(
            f"{what} not {access} (permission denied)", where=path
        ) from None
    except OSError as error:  # ENXIO: a socket; ELOOP: a symlink loop; ...
        raise errors.LogNotFoundError(
            f"cannot open the {what}", where=path, received=error.strerror or str(error)
        ) from None
    try:
        _refuse_special(path, os.fstat(fd).st_mode, what)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_fd(fd: int) -> bytes:
    """Everything from the descriptor's position on, read into one buffer sized from the
    file's size (no second copy: a log of N bytes costs N bytes to read)."""
    with io.FileIO(fd, closefd=False) as handle:
        return handle.readall()


def read_file(
    path: str | os.PathLike[str], *, what: str = "log", limit: int | None = None
) -> bytes:
    """The bytes of the regular file at ``path``.

    Anything else (a directory, a FIFO, a device such as ``/dev/zero``, a
    socket) is refused before a byte is read, so no reader can hang on a pipe
    or read without end; ``what`` names the file in messages (``"no such log"``).
    With ``limit``, a file larger than that many bytes is refused before it is
    read (and no more than that is ever read, should it grow meanwhile).
    """
    location = os.fspath(path)
    fd = _open_regular(location, os.O_RDONLY, what)
    try:
        if limit is not None:
            size = os.fstat(fd).st_size
            if size > limit:
                raise errors.RallyError(
                    f"{what} too large",
                    where=location,
                    expected=f"at most {limit} bytes",
                    received=f"{size} bytes",
                )
            data = os.read(fd, limit + 1) if limit < (1 << 20) else _read_fd_limited(fd, limit)
            if len(data) > limit:
                raise errors.RallyError(
                    f"{what} too large",
                    where=location,
                    expected=f"at most {limit} bytes",
                    received="more (it grew while read)",
                )
            return data
        return _read_fd(fd)
    finally:
        os.close(fd)


def _read_fd_limited(fd: int, limit: int) -> bytes:
    chunks, total = [], 0
    while total <= limit and (chunk := os.read(fd, min(1 << 20, limit + 1 - total))):
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_log_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the log at ``path``, as ``read_file`` reads them, once its first bytes
    show it is a log of a format this code reads (anything else is refused before the
    rest is read: a large file that is not a log costs nothing)."""
    location = os.fspath(path)
    fd = _open_regular(location, os.O_RDONLY, "log")
    try:
        _check_header(os.pread(fd, len(HEADER), 0), location)
        return _read_fd(fd)
    finally:
        os.close(fd)


def scan_file(
    path: str | os.PathLike[str], *, codec: Codec = CODEC, trusted: Trusted | None = None
) -> LogScan:
    """Read a log file; see ``scan_bytes``."""
    location = Path(path)
    return scan_bytes(read_log_file(location), path=str(location), codec=codec, trusted=trusted)


def check_file(path: str | os.PathLike[str], *, codec: Codec = CODEC) -> LogCheck:
    """Check a log file; see ``check_bytes`` (a file that is not a log is read whole too:
    the report says how many bytes it holds)."""
    location = Path(path)
    return check_bytes(read_file(location), path=str(location), codec=codec)


def read_records(path: str | os.PathLike[str], *, codec: Codec = CODEC) -> tuple[Record, ...]:
    """Every sound record of a log file, in sequence order."""
    return scan_file(path, codec=codec).records


# ---------------------------------------------------------------------- following a growing log


@attrs.frozen
class LogTail:
    """What ``read_frames_from`` found after a byte offset of a log."""

    frames: tuple[Frame, ...]
    """The whole, checksum-valid frames from the offset on, in order."""
    ends: tuple[int, ...]
    """The byte offset just past each of them."""
    end: int
    """Where reading stopped: just past the last whole frame (the offset if none)."""
    size: int
    """The file's size as read."""
    identity: tuple[int, int]
    """The file's device and inode (a different pair later: the log was replaced)."""


def read_frames_from(
    path: str | os.PathLike[str],
    offset: int,
    next_seq: int,
    *,
    version: int = FORMAT_VERSION,
    codec: Codec = CODEC,
) -> LogTail:
    """The frames appended to a log after byte ``offset``, reading only the bytes after it.

    For a reader that follows a log another process appends to: ``offset`` and
    ``next_seq`` are where the frames it has already read end. Only whole,
    checksum-valid frames are returned; bytes after them that do not (yet) form
    one (an append being written, or a torn tail) are left for the next call,
    by the same rule as every reader's (``_read_frame``). Damage raises
    ``LogCorruptError`` with the file's own byte offset; a file now shorter than
    ``offset`` (a log replaced by a shorter one) raises it too.
    """
    location = os.fspath(path)
    fd = _open_regular(location, os.O_RDONLY, "log")
    try:
        status = os.fstat(fd)
        if status.st_size < offset:
            raise errors.LogCorruptError(
                "the log is shorter than what was already read from it",
                path=location,
                offset=status.st_size,
                seq=next_seq,
                expected=f"at least {offset} bytes (a log only grows)",
                received=f"{status.st_size} bytes",
            )
        os.lseek(fd, offset, os.SEEK_SET)
        data = _read_fd(fd)
    finally:
        os.close(fd)
    tail = frames_after(data, 0, next_seq, path=location, version=version, codec=codec)
    return LogTail(
        frames=tail.frames,
        ends=tuple(offset + end for end in tail.ends),
        end=offset + tail.end,
        size=offset + len(data),
        identity=_identity(status),
    )


def frames_after(
    data: bytes,
    offset: int,
    next_seq: int,
    *,
    path: str = "<bytes>",
    version: int = FORMAT_VERSION,
    codec: Codec = CODEC,
) -> LogTail:
    """The whole, checksum-valid frames of a log's bytes ``data`` from byte ``offset`` on,
    the first carrying record ``next_seq`` (what follows them that is no whole frame yet is
    left, as every reader leaves a torn tail); damage raises ``LogCorruptError``."""
    frames: list[Frame] = []
    ends: list[int] = []
    for decoded, end in _whole_frames(data, offset, next_seq, path, codec, version):
        frames.append(decoded)
        ends.append(end)
    return LogTail(
        frames=tuple(frames),
        ends=tuple(ends),
        end=ends[-1] if ends else offset,
        size=len(data),
        identity=(0, 0),
    )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exists_error(path: str) -> errors.OutputExistsError:
    return errors.OutputExistsError(
        "a file already exists there",
        where=path,
        expected="a path with no file (replacing one must be asked for)",
        received="an existing file",
    )


def check_new_file(path: str | os.PathLike[str], *, replace: bool = False) -> Path:
    """Refuse early what ``write_new_file`` would refuse at the end: an empty name, a
    missing directory, a directory or special file there (a FIFO, a device), or an
    existing file unless ``replace``. Returns the path."""
    text = os.fspath(path)
    if not text.strip():
        raise errors.RallyError(
            "no file name", expected="the path of a file to write", received=text
        )
    location = Path(text)
    if not location.parent.is_dir():
        raise errors.LogNotFoundError("no such directory", where=str(location.parent))
    try:
        mode = os.stat(location).st_mode
    except FileNotFoundError:
        return location  # a dangling symlink is replaced like a file, if asked
    except OSError as error:
        raise errors.RallyError(
            "cannot write there", where=text, received=error.strerror or str(error)
        ) from None
    if not stat.S_ISREG(mode):
        raise errors.RallyError(
            "not a regular file",
            where=text,
            expected="a path for a new file, or a regular file to replace",
            received=file_kind(mode),
        )
    if os.path.lexists(location) and not replace:
        raise _exists_error(text)
    return location


@contextlib.contextmanager
def _held_for_replacing(path: Path) -> Iterator[None]:
    """Hold the writer's lock of the file at ``path`` (if there is one) while it is replaced,
    so that a file another process is writing (a log held by its writer) is never
    replaced under it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        yield
        return
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise errors.RallyError(
                "not a regular file",
                where=str(path),
                expected="a path for a new file, or a regular file to replace",
                received=file_kind(mode),
            )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            raise errors.LogLockedError(
                "another process is writing to the file there",
                where=str(path),
                expected="no writer holding it (replace it once the writer is done)",
                received="the file locked",
            ) from None
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def building(path: str | os.PathLike[str], *, replace: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` to build a file at, moved into place when the
    block ends without an error: the file appears whole or not at all.

    The temporary path does not exist yet; the block creates the file there (and
    may take as long as it likes: nothing is visible at ``path`` meanwhile). At
    the end it is fsync'd and linked to ``path``, which fails if a file appeared
    there, or with ``replace`` renamed over it once no writer holds the file it
    replaces. If the block raises, the temporary file is removed. A process
    killed meanwhile leaves at most a hidden ``.NAME.….tmp`` beside ``path``,
    never a file at ``path``.
    """
    target = check_new_file(path, replace=replace)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        yield temporary
        try:
            fd = os.open(temporary, os.O_RDONLY)
        except FileNotFoundError:
            raise errors.RallyError("nothing was written", where=str(target)) from None
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            with _held_for_replacing(target):
                os.replace(temporary, target)
        else:
            try:
                os.link(temporary, target)  # fails if the name appeared meanwhile
            except FileExistsError:
                raise _exists_error(str(target)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _fsync_dir(target.parent)


def write_new_file(path: str | os.PathLike[str], data: bytes, *, replace: bool = False) -> None:
    """Write a file atomically (temp file, fsync, link or rename): whole or not at all.

    Refuses to overwrite an existing file unless ``replace`` is given, in which
    case the old file is replaced in one rename (a reader sees the old or the
    new one, never a mixture), and only while no writer holds it. Refuses a
    directory or a special file (a FIFO, a device) there in any case. A failure
    leaves no temporary file behind.
    """
    with building(path, replace=replace) as temporary, open(temporary, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def copy_prefix(
    source: str | os.PathLike[str], check: LogCheck, keep: int, output: str | os.PathLike[str]
) -> int:
    """Write to ``output`` a new log holding the first ``keep`` records of ``source``.

    ``check`` is what ``check_file(source)`` found. Whole frames are copied byte
    for byte; a frame cut by ``keep`` has its leading records framed anew. The new
    log is created atomically and never over an existing file; the source is only
    read. Returns how many bytes of the source were not carried over.
    """
    original = read_log_file(source)
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


@attrs.frozen
class TornTail:
    """The unfinished last append a writer found at the end of its log."""

    offset: int
    """Byte offset where it starts (just past the last sound frame)."""
    size: int
    """How many bytes it holds."""

    def __str__(self) -> str:
        return f"{self.size} bytes of an interrupted append at offset {self.offset}"


class LogWriter:
    """The one writer of a log: holds an exclusive lock on the file until closed.

    Opening changes nothing in the file: a torn tail left by a crash (which
    readers ignore) is noted in ``torn_tail`` and cut off only by the first
    ``append``, as part of it, so a command refused after opening writes
    nothing. ``append`` encodes the batch as one frame (format 2; one frame
    per event in a format-1 file), writes it with one ``write`` and returns
    after ``fsync``; if the write fails, the file is put back as it was.

    The lock belongs to the file the writer opened: before each append the
    writer checks that its path still names that file (same device and inode)
    and refuses if it was moved, replaced or deleted meanwhile.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        wait_seconds: float = 0.0,
        codec: Codec = CODEC,
        trusted: Trusted | None = None,
    ) -> None:
        self.path = Path(path)
        self._codec = codec
        self._fd = self._open_locked(wait_seconds)
        try:
            data = _read_fd_from_start(self._fd)
            scan = scan_bytes(data, path=str(self.path), codec=codec, trusted=trusted)
        except BaseException:
            os.close(self._fd)
            raise
        self.torn_tail: TornTail | None = (
            TornTail(scan.valid_end, scan.torn_bytes) if scan.torn_bytes else None
        )
        """A torn tail found when opening, still in the file: the next append cuts it off."""
        self.cut: TornTail | None = None
        """The torn tail an append of this writer cut off (set once that append returned)."""
        self._torn_data = data[scan.valid_end :] if scan.torn_bytes else b""
        self.scan_at_open = scan
        """The log as this writer found it (it appends after its sound frames)."""
        self.version = scan.version
        """The file's format version; appends keep to it."""
        self._next_seq = scan.count + 1
        self._size = scan.valid_end
        self._closed = False

    @property
    def recovered_bytes(self) -> int:
        """Bytes of the torn tail this writer found (cut off by its first append), or 0."""
        found = self.cut or self.torn_tail
        return found.size if found else 0

    def _open_locked(self, wait_seconds: float) -> int:
        """Open and lock the file the path names, making sure it still names it once locked
        (a writer that waited may find the log replaced meanwhile: it then takes the new one)."""
        deadline = time.monotonic() + wait_seconds
        for _ in range(3):
            fd = _open_regular(str(self.path), os.O_RDWR | os.O_APPEND, "log")
            try:
                self._lock(fd, wait_seconds, deadline)
                self._identity = _identity(os.fstat(fd))
                if self._names_my_file():
                    return fd
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise self._replaced()

    def _lock(self, fd: int, wait_seconds: float, deadline: float) -> None:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            if time.monotonic() >= deadline:
                waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                raise errors.LogLockedError(
                    "another process is writing to this log" + waited,
                    where=str(self.path),
                    expected="no other writer (wait for it, or pass a wait time)",
                    received="the log locked",
                )
            time.sleep(0.02)

    def _names_my_file(self) -> bool:
        try:
            return _identity(os.stat(self.path)) == self._identity
        except OSError:
            return False

    def holds_its_path(self) -> bool:
        """Whether the log's path still names the file this writer locked."""
        return not self._closed and self._names_my_file()

    @property
    def identity(self) -> tuple[int, int]:
        """The device and inode of the file this writer locked."""
        return self._identity

    @property
    def size(self) -> int:
        """Bytes of the file this writer stands behind: its sound frames and its appends."""
        return self._size

    def prefix_crc(self, offset: int) -> int:
        """The CRC-32 of the first ``offset`` bytes of the file this writer locked, read
        through its own descriptor (whatever the path names now)."""
        crc, done = 0, 0
        while done < offset:
            chunk = os.pread(self._fd, min(1 << 22, offset - done), done)
            if not chunk:
                raise errors.RallyError(
                    "the log is shorter than its writer wrote",
                    where=str(self.path),
                    expected=f"{offset} bytes",
                    received=f"{done} bytes",
                )
            crc = zlib.crc32(chunk, crc)
            done += len(chunk)
        return crc

    def _replaced(self) -> errors.LogReplacedError:
        try:
            now = os.stat(self.path)
        except OSError:
            received = "no file there"
        else:
            received = f"another file (device {now.st_dev}, inode {now.st_ino})"
        device, inode = getattr(self, "_identity", (0, 0))
        return errors.LogReplacedError(
            "the log was moved or replaced while this writer held it; nothing was written",
            where=str(self.path),
            expected=f"the file this writer locked (device {device}, inode {inode}); "
            "open the log again",
            received=received,
        )

    @property
    def next_seq(self) -> int:
        """The sequence number the next appended event will get."""
        return self._next_seq

    def _encode(self, records: Sequence[Record]) -> bytes:
        """The bytes of the frame for ``records`` (one frame per append, whatever its size;
        one per event in a format-1 log); any failure to encode is a RallyError."""
        try:
            if self.version == 1:
                return encode_log(records, version=1, codec=self._codec)[len(HEADER) :]
            payload = encode_frame(records, codec=self._codec)
            if len(payload) > MAX_FRAME_BYTES:
                raise errors.InvalidEventError(
                    "batch too large for one append (nothing was written)",
                    where=str(self.path),
                    expected=f"at most {MAX_FRAME_BYTES} bytes in one append "
                    "(split it into several appends)",
                    received=f"{len(records)} events in {len(payload)} bytes",
                )
            return frame(payload)
        except errors.RallyError:
            raise
        except Exception as error:  # an object that is not an event, an unencodable value
            raise errors.InvalidEventError(
                "cannot encode the batch",
                where=str(self.path),
                expected="events of the vocabulary with values the log can store",
                received=f"{type(error).__name__}: {error}",
            ) from None

    def append(
        self,
        events: Sequence[Event] | Iterable[Event],
        *,
        recorded_at: str | None = None,
    ) -> tuple[Record, ...]:
        """Append events durably, in order; returns their records once fsync'd.

        Nothing is written if the batch cannot be encoded or the path no longer
        names the file this writer locked. A torn tail found when opening is cut
        off as part of this append (``cut`` says so once it returned).
        """
        if self._closed:
            raise errors.RallyError("log writer is closed", where=str(self.path))
        records = [
            Record(seq=self.next_seq + index, event=event, recorded_at=recorded_at)
            for index, event in enumerate(events)
        ]
        if not records:
            return ()
        data = self._encode(records)
        if not self._names_my_file():
            raise self._replaced()
        torn = self.torn_tail
        try:
            if torn is not None:
                os.ftruncate(self._fd, self._size)
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except BaseException:
            self._restore(torn)
            raise
        self._size += len(data)
        self._next_seq += len(records)
        if torn is not None:
            self.cut, self.torn_tail, self._torn_data = torn, None, b""
        return tuple(records)

    def _restore(self, torn: TornTail | None) -> None:
        """After a failed append: the file as it was (the torn tail too), as far as possible."""
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, self._size)
            if torn is not None:
                os.write(self._fd, self._torn_data)
            os.fsync(self._fd)

    def close(self) -> None:
        """Release the lock and the file."""
        if not self._closed:
            self._closed = True
            os.close(self._fd)  # closing drops the flock

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _identity(status: os.stat_result) -> tuple[int, int]:
    return (status.st_dev, status.st_ino)


def _read_fd_from_start(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    return _read_fd(fd)
