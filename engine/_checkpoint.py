"""A checkpoint of the folded state beside a log, so that opening it need not fold it all.

``LOG.checkpoint`` holds the fold's columns (results and splits as arrays of
integers) and its few declarative facts (as events), tied to the log by the
byte offset and last sequence number it was taken at and the CRC-32 of every
byte of the log before that offset. A checkpoint is never needed for a right
answer: one that is missing, damaged, from another version or that does not
match the log exactly is ignored, and the log is folded from the start. Only a
writer (the ``Recorder``, when it closes after appending) writes one; readers
only read it. ``standings log check`` never looks at it.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import msgpack

from ..events import (
    SCHEMA_VERSION,
    Event,
    Frame,
    LogScan,
    Provenance,
    Record,
    SourceKind,
    Trusted,
    decode_frame,
    encode_frame,
)
from ._fold import Fold

__all__ = [
    "Checkpoint",
    "checkpoint_path",
    "folded",
    "peek_checkpoint",
    "read_checkpoint",
    "write_checkpoint",
]

FORMAT = 3
_GROUPS = ("rally", "entries", "stages", "cancellations", "penalties", "retirements", "coverage")


def checkpoint_path(log: str | os.PathLike[str]) -> Path:
    """Where the checkpoint of ``log`` is kept: beside it, ``LOG.checkpoint``."""
    return Path(f"{os.fspath(log)}.checkpoint")


def _prefix_crc(log: Path, offset: int) -> int | None:
    try:
        with open(log, "rb") as handle:
            data = handle.read(offset)
    except OSError:
        return None
    return zlib.crc32(data) if len(data) == offset else None


def _provenance(provenance: Provenance) -> list[str | None]:
    return [str(provenance.kind), provenance.detail]


def write_checkpoint(log: Path, fold: Fold, offset: int) -> bool:
    """Write the checkpoint of ``fold``, folded from ``log``'s first ``offset`` bytes.

    Written to a temporary file and renamed into place; a failure leaves the
    previous checkpoint (or none) and is not an error (returns False).
    """
    crc = _prefix_crc(log, offset)
    if crc is None or fold.rally is None:
        return False
    data = fold.export()
    groups: dict[str, list[Event]] = {
        "rally": [data["rally"]],
        "entries": data["entries"],
        "stages": data["stages"],
        "cancellations": [event for event, _, _ in data["cancellations"]],
        "penalties": [event for event, *_ in data["penalties"]],
        "retirements": [event for event, _ in data["retirements"]],
        "coverage": data["coverage"],
    }
    events = [event for name in _GROUPS for event in groups[name]]
    body = {
        "events": encode_frame([Record(i + 1, e) for i, e in enumerate(events)]),
        "counts": [len(groups[name]) for name in _GROUPS],
        "cancellations": [[seq, category] for _, seq, category in data["cancellations"]],
        "penalties": [[seq, rescinded, reason] for _, seq, rescinded, reason in data["penalties"]],
        "retirements": [seq for _, seq in data["retirements"]],
        "results": data["results"],
        "ending": data["ending"],
        "latest": data["latest"],
        "corrections": [
            [result, seq, time_ms, reason, _provenance(provenance)]
            for result, seq, time_ms, reason, provenance in data["corrections"]
        ],
        "spanned": [list(item) for item in data["spanned"]],
        "splits": data["splits"],
        "provenances": [_provenance(p) for p in data["provenances"]],
    }
    payload: bytes = msgpack.packb(body, use_bin_type=True)
    head = {
        "checkpoint": FORMAT,
        "schema": SCHEMA_VERSION,
        "byteorder": sys.byteorder,
        "offset": offset,
        "crc": crc,
        "last_seq": fold.last_seq,
        "payload_crc": zlib.crc32(payload),
    }
    target = checkpoint_path(log)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(msgpack.packb([head, payload], use_bin_type=True))
        os.replace(temporary, target)
    except OSError:
        temporary.unlink(missing_ok=True)
        return False
    return True


@attrs.frozen
class Checkpoint:
    """A checkpoint as found beside a log: the prefix it vouches for, and its fold."""

    trusted: Trusted
    payload: bytes = attrs.field(repr=False)

    def fold(self) -> Fold:
        """The fold it holds (of the log's first ``trusted.offset`` bytes)."""
        return _restore(msgpack.unpackb(self.payload, raw=False), self.trusted.last_seq)


def peek_checkpoint(log: Path) -> Checkpoint | None:
    """The checkpoint beside ``log`` if it is whole and of this version (not yet matched)."""
    try:
        head, payload = msgpack.unpackb(checkpoint_path(log).read_bytes(), raw=False)
        if (
            head.get("checkpoint") != FORMAT
            or head.get("schema") != SCHEMA_VERSION
            or head.get("byteorder") != sys.byteorder
            or zlib.crc32(payload) != head.get("payload_crc")
        ):
            return None
        trusted = Trusted(offset=head["offset"], last_seq=head["last_seq"], crc=head["crc"])
        if not all(type(v) is int for v in (trusted.offset, trusted.last_seq, trusted.crc)):
            return None
        return Checkpoint(trusted, bytes(payload))
    except Exception:  # a checkpoint is only ever a shortcut: anything odd means refold
        return None


def folded(checkpoint: Checkpoint | None, scan: LogScan) -> Fold:
    """The fold of the log ``scan`` read (read with ``checkpoint.trusted`` if there was one).

    From the checkpoint plus the frames after it when the log vouched for its
    prefix (``scan.trusted``), else from the first frame; the same either way.
    """
    if checkpoint is not None and scan.trusted:
        try:
            fold = checkpoint.fold()
        except Exception:  # the bytes matched but the content is unreadable: refold
            fold = None
        if fold is not None and fold.last_seq == checkpoint.trusted.last_seq:
            return fold.apply_frames(scan.decoded_after(scan.trusted))
    return Fold().apply_frames(scan.frames)


def read_checkpoint(
    log: Path, frames: Sequence[Frame], ends: Sequence[int]
) -> tuple[Fold, int] | None:
    """The fold a valid checkpoint holds and how many of ``frames`` it covers, or None.

    ``frames`` and ``ends`` are the log's sound frames and where each ends, as
    just read. The checkpoint must end exactly at a frame boundary, after the
    same seq, and the log's bytes before it must be the ones it was taken from.
    """
    checkpoint = peek_checkpoint(log)
    if checkpoint is None:
        return None
    trusted = checkpoint.trusted
    try:
        if trusted.offset not in ends:
            return None
        covered = ends.index(trusted.offset) + 1
        if frames[covered - 1].last_seq != trusted.last_seq:
            return None
        if _prefix_crc(log, trusted.offset) != trusted.crc:
            return None
        return checkpoint.fold(), covered
    except Exception:  # a checkpoint is only ever a shortcut: anything odd means refold
        return None


def _restore(body: dict[str, Any], last_seq: int) -> Fold:
    frame = decode_frame(body["events"])
    events = [event for run in frame.runs for event in frame.run_events(run, vouched=True)]
    grouped: dict[str, list[Any]] = {}
    start = 0
    for name, count in zip(_GROUPS, body["counts"], strict=True):
        grouped[name] = events[start : start + count]
        start += count

    def provenance(item: list[str | None]) -> Provenance:
        return Provenance(SourceKind(str(item[0])), item[1])

    data = {
        "last_seq": last_seq,
        "rally": grouped["rally"][0],
        "entries": grouped["entries"],
        "stages": grouped["stages"],
        "cancellations": [
            (event, seq, category)
            for event, (seq, category) in zip(
                grouped["cancellations"], body["cancellations"], strict=True
            )
        ],
        "penalties": [
            (event, seq, rescinded, reason)
            for event, (seq, rescinded, reason) in zip(
                grouped["penalties"], body["penalties"], strict=True
            )
        ],
        "retirements": list(zip(grouped["retirements"], body["retirements"], strict=True)),
        "coverage": grouped["coverage"],
        "results": body["results"],
        "ending": [tuple(item) for item in body["ending"]],
        "latest": body["latest"],
        "corrections": [
            (result, seq, time_ms, reason, provenance(prov))
            for result, seq, time_ms, reason, prov in body["corrections"]
        ],
        "spanned": [tuple(item) for item in body["spanned"]],
        "splits": body["splits"],
        "provenances": [provenance(item) for item in body["provenances"]],
    }
    return Fold.restore(data)
