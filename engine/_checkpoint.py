"""A checkpoint beside a log: the fold's tables up to a record, so opening need not fold
everything again. It is an optimisation that can never change an answer.

``LOG.checkpoint`` is one msgpack array ``[head, body]``. The body is the fold's state
as ``engine/_state.py`` declares it, through its converter (``checkpoint_converter()``); the head
binds it to the bytes it was folded from:

* ``checkpoint``: the state's schema fingerprint (a checkpoint of any other shape,
  from any other version, is ignored);
* ``offset`` and ``last_seq``: the log's first ``offset`` bytes, ending with a whole
  frame whose last record is ``last_seq``;
* ``crc``: the CRC-32 of those bytes, computed by the writer from the file it holds
  locked (its own descriptor, never the path: a log renamed over the path meanwhile
  does not get this checkpoint's trust);
* ``payload_crc``: the CRC-32 of the body.

A reader trusts it only when all of that holds for the log it is reading: the bytes it
read up to ``offset`` have that CRC and a frame ends there after that seq. Otherwise
(missing, damaged, stale, swapped, of another log or version, a FIFO or a device, or
larger than ``MAX_CHECKPOINT_RATIO`` times the log) it is ignored and the log is folded
from its first record. Only a writer writes one (a ``Recorder`` closing, ``synth``);
``standings log check`` folds the log and compares (``check_checkpoint``).
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Any

import attrs
import msgpack

from ..events import LogScan, LogWriter, RallyError, Trusted, read_file
from ._fold import Fold
from ._state import SCHEMA_FINGERPRINT, FoldState, checkpoint_converter

__all__ = [
    "MAX_CHECKPOINT_RATIO",
    "Checkpoint",
    "CheckpointCheck",
    "check_checkpoint",
    "checkpoint_path",
    "folded",
    "peek_checkpoint",
    "save_checkpoint",
    "write_checkpoint",
    "write_checkpoint_bytes",
]

MAX_CHECKPOINT_RATIO = 16
"""A checkpoint larger than this many times its log (plus 1 MiB) is ignored unread."""
_SLACK = 1 << 20


def checkpoint_path(log: str | os.PathLike[str]) -> Path:
    """Where the checkpoint of ``log`` is kept: beside it, ``LOG.checkpoint``."""
    return Path(f"{os.fspath(log)}.checkpoint")


def _encode(state: FoldState, offset: int, crc: int) -> bytes:
    payload: bytes = msgpack.packb(checkpoint_converter().unstructure(state), use_bin_type=True)
    head = {
        "checkpoint": SCHEMA_FINGERPRINT,
        "offset": offset,
        "crc": crc,
        "last_seq": state.last_seq,
        "payload_crc": zlib.crc32(payload),
    }
    data: bytes = msgpack.packb([head, payload], use_bin_type=True)
    return data


def save_checkpoint(writer: LogWriter, fold: Fold) -> bool:
    """Write the checkpoint of ``fold``, the fold of everything ``writer`` has written.

    Bound to the file the writer holds: its bytes' CRC is read through the writer's own
    descriptor, and nothing is written unless the path still names that file (checked
    before and after the checkpoint is put in place; if the log was replaced meanwhile,
    the checkpoint just written is removed). Written to a temporary file and renamed
    into place; a failure leaves the previous checkpoint (or none) and is not an error
    (returns False).
    """
    if fold.state.declarations.event == [] or not writer.holds_its_path():
        return False
    target = checkpoint_path(writer.path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        data = _encode(fold.state, writer.size, writer.prefix_crc(writer.size))
        temporary.write_bytes(data)
        if not writer.holds_its_path():
            temporary.unlink()
            return False
        os.replace(temporary, target)
        if not writer.holds_its_path():  # replaced in between: this checkpoint is not its
            target.unlink(missing_ok=True)
            return False
    except (OSError, RallyError):
        temporary.unlink(missing_ok=True)
        return False
    return True


def write_checkpoint(log: str | os.PathLike[str]) -> bool:
    """Fold the log at ``log`` and write its checkpoint (taking the writer's lock meanwhile,
    so the checkpoint is bound to the file as it stands); False if it could not be written."""
    checkpoint = peek_checkpoint(Path(log))
    with LogWriter(log, trusted=None if checkpoint is None else checkpoint.trusted) as writer:
        return save_checkpoint(writer, folded(checkpoint, writer.scan_at_open))


def write_checkpoint_bytes(log: Path, state: FoldState, data: bytes) -> None:
    """Write the checkpoint of a log just built whole from ``data`` (``synth``): its bytes
    are known, so its CRC is theirs."""
    checkpoint_path(log).write_bytes(_encode(state, len(data), zlib.crc32(data)))


@attrs.frozen
class Checkpoint:
    """A checkpoint as found beside a log: the prefix it vouches for, and its state."""

    trusted: Trusted
    payload: bytes = attrs.field(repr=False)

    def fold(self) -> Fold:
        """The fold it holds (of the log's first ``trusted.offset`` bytes)."""
        data: Any = msgpack.unpackb(self.payload, raw=False)
        state = checkpoint_converter().structure(data, FoldState)
        if state.last_seq != self.trusted.last_seq:
            raise ValueError("the body's last seq is not the head's")
        state.check_shape()
        return Fold(state)


def _read(log: Path) -> bytes:
    """The checkpoint file's bytes, read like a log's (a regular file only), refused when
    larger than ``MAX_CHECKPOINT_RATIO`` times the log."""
    try:
        size = os.stat(log).st_size
    except OSError:
        size = 0
    return read_file(
        checkpoint_path(log), what="checkpoint", limit=MAX_CHECKPOINT_RATIO * size + _SLACK
    )


class _Unusable(ValueError):
    """Why a checkpoint file read whole is not one readers can use (in words for
    ``standings log check``)."""


def _parse(data: bytes) -> Checkpoint:
    try:
        head, payload = msgpack.unpackb(data, raw=False)
    except Exception:
        raise _Unusable("damaged or cut short: it cannot be decoded") from None
    if not isinstance(head, dict) or not isinstance(payload, bytes):
        raise _Unusable("damaged: it is not laid out as a checkpoint")
    if head.get("checkpoint") != SCHEMA_FINGERPRINT:
        raise _Unusable("written by another version of this program, or its head damaged")
    if zlib.crc32(payload) != head.get("payload_crc"):
        raise _Unusable("damaged: its body does not match its checksum")
    fields = (head.get("offset"), head.get("last_seq"), head.get("crc"))
    if not all(type(value) is int and value >= 0 for value in fields):
        raise _Unusable("damaged: its head is malformed")
    offset, last_seq, crc = (int(value) for value in fields)  # type: ignore[arg-type]
    return Checkpoint(Trusted(offset=offset, last_seq=last_seq, crc=crc), payload)


def peek_checkpoint(log: Path) -> Checkpoint | None:
    """The checkpoint beside ``log`` if it is whole and of this version (not yet matched
    against the log: ``scan_file(log, trusted=…)`` does that)."""
    try:
        return _parse(_read(log))
    except Exception:  # a checkpoint is only ever a shortcut: anything odd means refold
        return None


def folded(checkpoint: Checkpoint | None, scan: LogScan) -> Fold:
    """The fold of the log ``scan`` read (read with ``checkpoint.trusted`` if there was one).

    From the checkpoint plus the frames after it when the log vouched for its prefix
    (``scan.trusted``), else from the first frame; the same either way.
    """
    if checkpoint is not None and scan.trusted:
        try:
            fold = checkpoint.fold()
        except Exception:  # the bytes matched but the content is unreadable: refold
            fold = None
        if fold is not None:
            return fold.apply_frames(scan.decoded_after(scan.trusted))
    return Fold().apply_frames(scan.frames)


@attrs.frozen
class CheckpointCheck:
    """What ``standings log check`` found of the checkpoint beside a log."""

    path: Path
    state: str
    """``none``, ``ignored`` (readers do not use it: ``why`` says why), ``sound`` (it
    equals a fold of the log up to its record) or ``wrong`` (readers would use it, and it
    does not equal that fold: it changes answers)."""
    why: str = ""
    last_seq: int | None = None

    @property
    def wrong(self) -> bool:
        """Whether readers would trust a checkpoint that does not equal the log's fold."""
        return self.state == "wrong"


def check_checkpoint(
    log: Path, scan_ends: tuple[int, ...], fold_of: Fold | None
) -> CheckpointCheck:
    """Check the checkpoint beside ``log`` against ``fold_of`` (the fold of the log's sound
    frames, whose ends are ``scan_ends``): would a reader use it, and is it right?"""
    path = checkpoint_path(log)
    if not os.path.lexists(path):
        return CheckpointCheck(path, "none")
    try:
        checkpoint = _parse(_read(log))
    except RallyError as error:
        return CheckpointCheck(path, "ignored", error.detail())
    except _Unusable as error:
        return CheckpointCheck(path, "ignored", str(error))
    trusted = checkpoint.trusted
    try:
        with open(log, "rb") as handle:
            prefix = handle.read(trusted.offset)
    except OSError as error:
        return CheckpointCheck(path, "ignored", f"the log cannot be read ({error.strerror})")
    if len(prefix) < trusted.offset:
        return CheckpointCheck(
            path,
            "ignored",
            "it covers more bytes than the log holds (another log's, or the log was cut or "
            "replaced)",
        )
    if zlib.crc32(prefix) != trusted.crc:
        return CheckpointCheck(
            path, "ignored", "it was taken from other bytes (another log, or an earlier one)"
        )
    if trusted.offset not in scan_ends:
        return CheckpointCheck(
            path, "ignored", "it covers bytes that are not whole frames of this log"
        )
    if fold_of is None:
        return CheckpointCheck(path, "ignored", "the log cannot be folded to compare")
    try:
        theirs = checkpoint.fold()
    except Exception as error:  # readers fold the log instead (``folded``)
        return CheckpointCheck(
            path, "ignored", f"its content is not a state a fold could build: {error}"
        )
    ours = fold_of.state.prefix(trusted.last_seq)
    if trusted.last_seq > fold_of.last_seq or theirs.state != ours:
        return CheckpointCheck(
            path,
            "wrong",
            "readers would trust it, and it does not equal the log's fold up to seq "
            f"{trusted.last_seq}",
            trusted.last_seq,
        )
    return CheckpointCheck(path, "sound", "", trusted.last_seq)
