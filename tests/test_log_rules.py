"""The log's rules at the byte level (issue 11): torn versus damaged, a writer that changes
nothing until an append is accepted, a lock bound to the file, readers and writers that touch
regular files only, and events read back as an earlier version wrote them."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

import pytest

from rally_standings.engine import Recorder, repair_log
from rally_standings.events import (
    EntryRegistered,
    Event,
    InvalidEventError,
    LogCorruptError,
    LogLockedError,
    LogNotFoundError,
    LogReplacedError,
    LogWriter,
    PenaltyImposed,
    Person,
    RallyError,
    Record,
    StageKind,
    StageRule,
    StageScheduled,
    TornTail,
    building,
    read_file,
    read_records,
    stored_events,
    write_new_file,
)
from rally_standings.events._log import (
    FRAME_BYTES,
    HEADER,
    check_bytes,
    encode_log,
    scan_bytes,
)
from tests.helpers import deadline, start_rally


def _penalty(n: int) -> PenaltyImposed:
    return PenaltyImposed(
        penalty_id=f"T{n}", entry_id="cars:200", stage=2, amount_ms=1_000, reason="torn test"
    )


@functools.cache
def _log(version: int) -> bytes:
    """A sound log whose last frame is one append of one penalty (format 2: a rally, a batch,
    three single appends; format 1: the same events one frame each)."""
    with tempfile.TemporaryDirectory() as folder:
        path = start_rally(Path(folder) / "m.rallylog")
        with Recorder(path) as recorder:
            for n in range(3):
                recorder.append(_penalty(n))
        data = path.read_bytes()
    if version == 1:
        return encode_log(scan_bytes(data).records, version=1)
    return data


def _last_frame(data: bytes) -> tuple[int, int]:
    """(start offset, seq) of the last frame."""
    scan = scan_bytes(data)
    start = scan.ends[-2] if len(scan.ends) > 1 else len(HEADER)
    return start, scan.frames[-1].first_seq


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------- torn versus damaged


@pytest.mark.parametrize("version", [1, 2])
def test_last_frame_truncated_anywhere_is_torn(version: int) -> None:
    """Every cut inside the last frame (a prefix of the last append) is a torn tail: readers
    see every earlier event, `check` reports the torn bytes and no damage."""
    data = _log(version)
    start, seq = _last_frame(data)
    earlier = scan_bytes(data).records[: seq - 1]
    positions = range(start + 1, len(data))
    assert len(positions) > 40  # the whole frame, header and payload
    for cut in positions:
        scan = scan_bytes(data[:cut])
        assert scan.records == earlier, cut
        assert (scan.valid_end, scan.torn_bytes) == (start, cut - start), cut
        check = check_bytes(data[:cut])
        assert not check.damaged, cut
        assert check.torn_bytes == cut - start, cut
    clean = scan_bytes(data[:start])  # cut exactly at the frame boundary: no tail at all
    assert (clean.records, clean.torn_bytes) == (earlier, 0)


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("mask", [0x01, 0xFF])
def test_last_frame_flipped_anywhere_is_damage(version: int, mask: int) -> None:
    """A changed byte anywhere in the complete last frame, header or payload, is damage: every
    reader refuses it with the frame's offset and seq, `check` reports it, and nothing before
    it is lost (issue 11, item 1: it used to be read as a torn tail and dropped silently)."""
    data = _log(version)
    start, seq = _last_frame(data)
    for position in range(start, len(data)):
        damaged = bytearray(data)
        damaged[position] ^= mask
        with pytest.raises(LogCorruptError) as caught:
            scan_bytes(bytes(damaged))
        assert (caught.value.offset, caught.value.seq) == (start, seq), position
        check = check_bytes(bytes(damaged))
        assert check.damaged, position
        assert (check.problems[0].offset, check.problems[0].seq) == (start, seq), position
        assert check.count == seq - 1, position
        assert check.torn_bytes == 0, position


def test_damaged_last_frame_is_repaired_into_a_new_log(tmp_path: Path) -> None:
    """`log repair` recovers a log whose last frame is damaged: every earlier event, in a new
    file, the damaged one untouched (tried at a header byte, a first and a last payload byte)."""
    data = _log(2)
    start, seq = _last_frame(data)
    for position in (start + 3, start + FRAME_BYTES, len(data) - 1):
        damaged = bytearray(data)
        damaged[position] ^= 0x20
        source = tmp_path / f"d{position}.rallylog"
        source.write_bytes(bytes(damaged))
        report = repair_log(source, tmp_path / f"r{position}.rallylog")
        assert report.kept == seq - 1
        assert read_records(report.output) == scan_bytes(data).records[: seq - 1]
        assert source.read_bytes() == bytes(damaged)


def test_zero_filled_tails_are_torn_and_other_zeros_are_damage() -> None:
    """What a power cut leaves (the file grew, the blocks after the frame's first 12 bytes read
    as zeros) is torn; a payload partly written then zeros is damage, as no single lost block
    of a real frame can be told from a damaged one there (the rule in docs/log-format.md)."""
    data = _log(2)
    start, seq = _last_frame(data)
    earlier = scan_bytes(data).records[: seq - 1]
    length = len(data) - start
    after = scan_bytes(data + bytes(300))
    assert (after.records, after.torn_bytes) == (scan_bytes(data).records, 300)
    torn = {
        "the whole last frame zeros": data[:start] + bytes(length),
        "its payload zeros, header written": data[: start + FRAME_BYTES]
        + bytes(length - FRAME_BYTES),
        "its payload zeros and more": data[: start + FRAME_BYTES] + bytes(length + 500),
        "half its header, then zeros": data[: start + 6] + bytes(length - 6),
    }
    for name, blob in torn.items():
        scan = scan_bytes(blob)
        assert scan.records == earlier, name
        assert scan.torn_bytes == len(blob) - start, name
    damaged = {
        "half the payload, then zeros": data[: start + FRAME_BYTES + 10]
        + bytes(length - FRAME_BYTES - 10),
    }
    for name, blob in damaged.items():
        with pytest.raises(LogCorruptError) as caught:
            scan_bytes(blob)
        assert (caught.value.offset, caught.value.seq) == (start, seq), name


def test_header_only_file_is_refused_by_readers_and_check() -> None:
    """A header and no record is never a log this code wrote: reading refuses it, `check`
    reports it, and no message names a record seq that was never written (item 17)."""
    for blob in (HEADER, HEADER + b"\x00\x00\x00"):
        with pytest.raises(LogCorruptError) as caught:
            scan_bytes(blob)
        assert "a log with no records" in str(caught.value)
        assert "seq" not in str(caught.value)
        check = check_bytes(blob)
        assert check.damaged
        assert check.problems[0].seq is None
    with pytest.raises(LogCorruptError) as not_a_log:
        scan_bytes(b"hello")
    assert "seq" not in str(not_a_log.value)


# ---------------------------------------------------------------------- the writer


def test_opening_a_writer_changes_nothing(rally_log: Path) -> None:
    """A writer that opens a log with a torn tail and appends nothing leaves it byte for byte
    (item 1: opening used to cut the tail, so a refused command wrote)."""
    with open(rally_log, "ab") as handle:
        handle.write(b"\x00\x00\x00\x40\x12\x34")
    before = _sha(rally_log)
    size = rally_log.stat().st_size
    with LogWriter(rally_log) as writer:
        assert writer.torn_tail == TornTail(offset=size - 6, size=6)
        assert writer.cut is None
        assert writer.recovered_bytes == 6
    with Recorder(rally_log) as recorder:
        assert recorder.recovered_bytes == 6
    assert _sha(rally_log) == before


def test_an_accepted_append_cuts_the_torn_tail_and_says_so(rally_log: Path) -> None:
    """The first append cuts the torn tail as part of it; ``cut`` then says what was cut."""
    sound = rally_log.read_bytes()
    with open(rally_log, "ab") as handle:
        handle.write(b"\x00\x00\x00\x40\x12\x34\x56")
    with LogWriter(rally_log) as writer:
        records = writer.append([_penalty(1)])
        assert writer.cut == TornTail(offset=len(sound), size=7)
        assert str(writer.cut) == f"7 bytes of an interrupted append at offset {len(sound)}"
        assert writer.torn_tail is None
        writer.append([_penalty(2)])
        assert writer.cut == TornTail(offset=len(sound), size=7)
    data = rally_log.read_bytes()
    assert data.startswith(sound)
    assert read_records(rally_log)[-2:][0] == records[0]
    assert scan_bytes(data).torn_bytes == 0


def test_a_batch_that_cannot_be_encoded_writes_nothing(rally_log: Path) -> None:
    """Something that is not an event in a batch: a RallyError, and the file (its torn tail
    too) unchanged (item 4's writer side: it used to escape as a bare KeyError)."""
    with open(rally_log, "ab") as handle:
        handle.write(b"\x00\x00\x00")
    before = _sha(rally_log)
    with LogWriter(rally_log) as writer:
        with pytest.raises(InvalidEventError, match="cannot encode the batch"):
            writer.append([_penalty(1), "garbage"])  # type: ignore[list-item]
        assert writer.torn_tail is not None
        assert writer.next_seq == len(read_records(rally_log)) + 1
    assert _sha(rally_log) == before


@pytest.mark.parametrize("how", ["replaced", "moved away", "deleted"])
def test_writer_refuses_when_its_path_names_another_file(rally_log: Path, how: str) -> None:
    """The lock belongs to the file: if the path was replaced (a repaired log moved over it),
    moved or deleted, the writer refuses to append and neither file changes (item 15)."""
    other = rally_log.with_name("other.rallylog")
    start_rally(other)
    other_sha = _sha(other)
    with LogWriter(rally_log) as writer:
        held = _sha(rally_log)
        if how == "replaced":
            os.replace(other, rally_log)
        elif how == "moved away":
            os.rename(rally_log, rally_log.with_name("moved.rallylog"))
        else:
            os.unlink(rally_log)
        with pytest.raises(LogReplacedError, match="moved or replaced") as caught:
            writer.append([_penalty(1)])
        assert isinstance(caught.value, LogLockedError)
    if how == "replaced":
        assert _sha(rally_log) == other_sha
    elif how == "moved away":
        assert _sha(rally_log.with_name("moved.rallylog")) == held


def test_replacing_a_held_log_is_refused(rally_log: Path, tmp_path: Path) -> None:
    """A file written over an existing one (``replace``) is refused while a writer holds it,
    and the temporary file is gone (item 15: `log repair --force` never replaces a held log)."""
    before = _sha(rally_log)
    with (
        Recorder(rally_log),
        pytest.raises(LogLockedError, match="another process is writing to the file there"),
    ):
        write_new_file(rally_log, b"new", replace=True)
    assert _sha(rally_log) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".checkpoint") == ["t.rallylog"]
    write_new_file(rally_log, b"new", replace=True)  # once released
    assert rally_log.read_bytes() == b"new"


# ---------------------------------------------------------------------- regular files only


def test_special_files_are_refused_before_reading(tmp_path: Path) -> None:
    """A FIFO, /dev/zero and a directory are refused by the reader and the writer at once,
    naming what they are (item 6: a FIFO hung every reader, /dev/zero ate memory)."""
    fifo = tmp_path / "pipe.rallylog"
    os.mkfifo(fifo)
    cases = {fifo: "a named pipe (FIFO)", Path("/dev/zero"): "a character device"}
    with deadline(10):
        for path, kind in cases.items():
            with pytest.raises(LogNotFoundError) as caught:
                read_file(path)
            assert str(caught.value) == (
                f"not a regular file ({path}): expected a log file, received {kind}"
            )
            with pytest.raises(LogNotFoundError, match="not a regular file"):
                LogWriter(path)
        with pytest.raises(LogNotFoundError, match="a directory, not a log"):
            read_file(tmp_path)


def test_outputs_refuse_special_files_existing_files_and_empty_names(tmp_path: Path) -> None:
    """An output is never written into a FIFO (even when replacing is allowed), never over an
    existing file unless replacing is asked for, and an empty name is named as such."""
    fifo = tmp_path / "out.html"
    os.mkfifo(fifo)
    existing = tmp_path / "old.html"
    existing.write_text("old")
    with deadline(10):
        for replace in (False, True):
            with pytest.raises(RallyError, match=r"not a regular file .*named pipe"):
                write_new_file(fifo, b"x", replace=replace)
    with pytest.raises(RallyError, match="a file already exists there"):
        write_new_file(existing, b"new")
    assert existing.read_text() == "old"
    with pytest.raises(RallyError, match="no file name"):
        write_new_file("", b"x")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".checkpoint") == [
        "old.html",
        "out.html",
    ]


def test_building_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    """A file built through ``building`` appears whole at the end or not at all: an error
    inside the block leaves neither the file nor its temporary."""
    target = tmp_path / "built.rallylog"

    def killed_halfway() -> None:
        with building(target) as temporary:
            temporary.write_bytes(b"partial")
            raise RuntimeError("killed halfway")

    with pytest.raises(RuntimeError):
        killed_halfway()
    assert list(tmp_path.iterdir()) == []
    with building(target) as temporary:
        temporary.write_bytes(b"whole")
        assert not target.exists()
    assert target.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == ["built.rallylog"]


# ---------------------------------------------------------------------- stored events


def test_events_an_earlier_version_wrote_still_read(tmp_path: Path) -> None:
    """Checks added since a log could be written (control characters, bounds, ASCII race
    numbers) refuse new events but never make a stored log unreadable."""
    with stored_events():
        legacy: list[Event] = [
            EntryRegistered(
                entry_id="cars:١١",
                category="cars",
                number="١١",
                crew=(Person("Tab\tName"),),
            ),
            StageScheduled(stage=5000, rules=(StageRule("cars", StageKind.SPECIAL),)),
        ]
    path = start_rally(tmp_path / "legacy.rallylog")
    with open(path, "ab") as handle:
        seq = len(read_records(path)) + 1
        records = [Record(seq + i, event) for i, event in enumerate(legacy)]
        handle.write(encode_log(records)[len(HEADER) :])
    assert [r.event for r in read_records(path)[-2:]] == legacy
    v1 = tmp_path / "legacy-v1.rallylog"
    v1.write_bytes(encode_log(read_records(path), version=1))
    assert [r.event for r in read_records(v1)[-2:]] == legacy
    with pytest.raises(InvalidEventError, match=r"EntryRegistered\.number"):
        EntryRegistered(entry_id="x", category="cars", number="١١", crew=(Person("A"),))
    with pytest.raises(InvalidEventError, match=r"StageScheduled\.stage"):
        StageScheduled(stage=5000, rules=(StageRule("cars", StageKind.SPECIAL),))


def test_a_waiting_writer_takes_the_log_that_replaced_the_one_it_waited_for(
    rally_log: Path,
) -> None:
    """A writer waiting for the lock (--wait) while the log is replaced takes the new file
    once it gets the lock, not the old one it opened first (item 15)."""
    import fcntl
    import threading

    replacement = rally_log.with_name("new.rallylog")
    start_rally(replacement, stages=2)
    holder = os.open(rally_log, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    old_inode = os.fstat(holder).st_ino
    found: list[LogWriter] = []
    waiting = threading.Thread(target=lambda: found.append(LogWriter(rally_log, wait_seconds=30)))
    waiting.start()
    try:
        # once the waiting writer has the old file open (or at worst not yet: then it opens
        # the new one straight away), put the new log in its place and let go of the lock
        for _ in range(500):
            opened = [
                fd
                for fd in os.listdir("/proc/self/fd")
                if fd != str(holder)
                and os.path.exists(f"/proc/self/fd/{fd}")
                and os.stat(f"/proc/self/fd/{fd}").st_ino == old_inode
            ]
            if opened:
                break
            threading.Event().wait(0.01)
        os.replace(replacement, rally_log)
    finally:
        os.close(holder)
        waiting.join(timeout=60)
    (writer,) = found
    with writer:
        assert writer.next_seq == len(read_records(rally_log)) + 1
        assert os.fstat(writer._fd).st_ino == os.stat(rally_log).st_ino
        writer.append([_penalty(1)])
    assert read_records(rally_log)[-1].event == _penalty(1)
