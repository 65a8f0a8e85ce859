"""The log file: framing, durability, torn tails, damage, the writer's lock."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rally_standings.engine import Recorder, create_log
from rally_standings.events import (
    LogCorruptError,
    LogLockedError,
    LogNotFoundError,
    PenaltyImposed,
    RallyDeclared,
    RallyError,
    Record,
    SchemaError,
    StageResultRecorded,
)
from rally_standings.events._frames import encode_frame
from rally_standings.events._log import (
    FRAME_BYTES,
    HEADER,
    MAX_FRAME_BYTES,
    LogWriter,
    encode_log,
    frame,
    header,
    read_records,
    scan_bytes,
    scan_file,
)
from tests.helpers import start_rally
from tests.strategies import rally_records


def _write_log(path: Path, records: list[Record]) -> bytes:
    data = encode_log(records)
    path.write_bytes(data)
    return data


def _offsets(data: bytes) -> list[int]:
    """Byte offset of every record frame."""
    offsets = []
    offset = len(HEADER)
    while offset < len(data):
        offsets.append(offset)
        (length,) = struct.unpack_from(">I", data, offset)
        offset += FRAME_BYTES + length
    return offsets


def test_create_then_read(tmp_path: Path) -> None:
    """A new log holds its declaration as record 1, behind the magic header."""
    path = tmp_path / "a.rallylog"
    declared = RallyDeclared(rally_id="a", name="A", year=2001, categories=("cars",))
    create_log(path, declared, recorded_at="2001-01-01T00:00:00+00:00")
    assert path.read_bytes().startswith(b"RALLYLOG\x00\x00\x00\x02")
    assert read_records(path) == (
        Record(seq=1, event=declared, recorded_at="2001-01-01T00:00:00+00:00"),
    )


def test_create_refuses_to_overwrite(rally_log: Path) -> None:
    """Creating a log where a file exists is refused and the file is untouched."""
    before = rally_log.read_bytes()
    with pytest.raises(RallyError, match="already exists"):
        create_log(rally_log, RallyDeclared(rally_id="b", name="B", year=1, categories=("x",)))
    assert rally_log.read_bytes() == before


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """Reading a path with no file raises LogNotFoundError naming the path."""
    with pytest.raises(LogNotFoundError, match="no such log"):
        read_records(tmp_path / "missing.rallylog")


def test_not_a_log_is_refused(tmp_path: Path) -> None:
    """A file without the magic header is refused at offset 0."""
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a rally log")
    with pytest.raises(LogCorruptError) as caught:
        read_records(path)
    assert caught.value.offset == 0
    assert "not a rally log" in str(caught.value)


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=rally_records(max_events=30))
def test_reopening_yields_the_same_events(tmp_path: Path, records: list[Record]) -> None:
    """Whatever was written reads back identical, record by record."""
    path = tmp_path / "r.rallylog"
    path.unlink(missing_ok=True)
    _write_log(path, records)
    assert list(read_records(path)) == records


def test_torn_tail_at_every_offset_keeps_earlier_events(tmp_path: Path) -> None:
    """Cutting the file at every byte inside its last record leaves every earlier event."""
    path = tmp_path / "t.rallylog"
    records = [
        Record(1, RallyDeclared(rally_id="t", name="T", year=2004, categories=("cars",))),
    ]
    start_rally(path)
    with Recorder(path) as recorder:
        recorder.append(StageResultRecorded(entry_id="cars:200", stage=2, time_ms=60_000))
    full = path.read_bytes()
    records = list(read_records(path))
    last = _offsets(full)[-1]
    for cut in range(last, len(full)):
        path.write_bytes(full[:cut])
        scan = scan_file(path)
        assert list(scan.records) == records[:-1], cut
        assert scan.valid_end == last
        assert scan.torn_bytes == cut - last


@given(st.data())
def test_torn_tail_property(data: st.DataObject) -> None:
    """For any valid log and any cut inside its last frame (its last append), reading gives
    every event of the earlier frames (a log cut inside its only frame has no record left,
    which no crash of this code can leave: it is refused)."""
    records = data.draw(rally_records(max_events=15))
    cuts = sorted(
        data.draw(st.sets(st.integers(min_value=1, max_value=len(records) - 1)))
        if len(records) > 1
        else set()
    )
    batches = [records[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True)]
    blob = header() + b"".join(frame(encode_frame(batch)) for batch in batches)
    last = _offsets(blob)[-1]
    cut = data.draw(st.integers(min_value=last, max_value=len(blob) - 1))
    if len(batches) == 1:
        with pytest.raises(LogCorruptError, match="a log with no records"):
            scan_bytes(blob[:cut])
        return
    assert list(scan_bytes(blob[:cut]).records) == records[: len(records) - len(batches[-1])]


def test_format_1_logs_are_still_read_and_appended_to(tmp_path: Path) -> None:
    """A log written in format 1 (one record a frame) reads, and appends stay in format 1."""
    path = tmp_path / "old.rallylog"
    start_rally(tmp_path / "new.rallylog")
    records = read_records(tmp_path / "new.rallylog")
    path.write_bytes(encode_log(records, version=1))
    assert read_records(path) == records
    with Recorder(path) as recorder:
        recorder.append(StageResultRecorded(entry_id="cars:200", stage=2, time_ms=60_000))
    data = path.read_bytes()
    assert data.startswith(header(1))
    assert data == encode_log(read_records(path), version=1)


def test_zero_filled_tail_is_a_torn_tail(rally_log: Path) -> None:
    """A tail of zeros (size extended, data lost in a crash) is ignored like a torn append."""
    before = read_records(rally_log)
    with open(rally_log, "ab") as handle:
        handle.write(b"\x00" * 100)
    scan = scan_file(rally_log)
    assert scan.records == before
    assert scan.torn_bytes == 100


def test_writer_cuts_off_a_torn_tail_then_appends(rally_log: Path) -> None:
    """The next writer removes a torn tail so new records follow the last sound one."""
    sound = rally_log.read_bytes()
    with open(rally_log, "ab") as handle:
        handle.write(b"\x00\x00\x00\x40\x12")  # a frame header cut short
    with Recorder(rally_log) as recorder:
        assert recorder.recovered_bytes == 5
        recorder.append(StageResultRecorded(entry_id="cars:200", stage=2, time_ms=60_000))
    data = rally_log.read_bytes()
    assert data.startswith(sound)
    assert read_records(rally_log)[-1].event == StageResultRecorded(
        entry_id="cars:200", stage=2, time_ms=60_000
    )


@pytest.fixture
def framed_log(tmp_path: Path) -> Path:
    """A log of 12 frames: the rally, one batch of stages and entries, then 10 single appends."""
    path = start_rally(tmp_path / "f.rallylog")
    with Recorder(path) as recorder:
        for n in range(10):
            recorder.append(
                StageResultRecorded(entry_id="cars:200", stage=2 + n % 3, time_ms=60_000 + n)
                if n < 3
                else PenaltyImposed(
                    penalty_id=f"P{n}", entry_id="cars:201", stage=2, amount_ms=1_000, reason="r"
                )
            )
    return path


@pytest.mark.parametrize("damage", ["flip-payload", "flip-length", "zero-header", "swap"])
def test_damage_in_the_middle_names_offset_and_seq(framed_log: Path, damage: str) -> None:
    """Damage before the end is refused with the byte offset and seq of the first bad record."""
    data = bytearray(framed_log.read_bytes())
    offsets = _offsets(bytes(data))
    first_seqs = [f.first_seq for f in scan_bytes(bytes(data)).frames]
    target = offsets[4]  # the fifth frame
    if damage == "flip-payload":
        data[target + FRAME_BYTES + 5] ^= 0x40
    elif damage == "flip-length":
        data[target + 3] ^= 0x01
    elif damage == "zero-header":
        data[target : target + FRAME_BYTES] = bytes(FRAME_BYTES)
    else:
        a, b, c = offsets[4], offsets[5], offsets[6]
        data[a:c] = data[b:c] + data[a:b]
    framed_log.write_bytes(bytes(data))
    with pytest.raises(LogCorruptError) as caught:
        read_records(framed_log)
    assert caught.value.offset == target
    assert caught.value.seq == first_seqs[4]
    assert f"byte offset {target}" in str(caught.value)


def test_huge_length_field_is_refused_without_allocating(framed_log: Path) -> None:
    """A length field claiming 4 GB is damage, reported, not a 4 GB read."""
    rally_log = framed_log
    data = bytearray(rally_log.read_bytes())
    target = _offsets(bytes(data))[2]
    head = struct.pack(">II", 0xFFFFFFF0, 0)
    import zlib

    data[target : target + FRAME_BYTES] = head + struct.pack(">I", zlib.crc32(head))
    rally_log.write_bytes(bytes(data))
    with pytest.raises(LogCorruptError, match=rf"out of range.*{MAX_FRAME_BYTES}"):
        read_records(rally_log)


def test_unknown_format_version_is_refused(rally_log: Path) -> None:
    """A log of another container format version is refused, not misread."""
    data = bytearray(rally_log.read_bytes())
    data[8:12] = struct.pack(">I", 9)
    rally_log.write_bytes(bytes(data))
    with pytest.raises(SchemaError, match="format version"):
        read_records(rally_log)


def test_second_writer_is_refused_while_one_holds_the_log(rally_log: Path) -> None:
    """Only one writer at a time: a second one is refused at once with a clear message."""
    with LogWriter(rally_log), pytest.raises(LogLockedError, match="another process"):
        LogWriter(rally_log)
    LogWriter(rally_log).close()  # released on close


def test_second_writer_in_another_process_is_refused(rally_log: Path) -> None:
    """The lock holds across processes (flock), and a waiting writer times out clearly."""
    code = (
        "import sys, time\n"
        "from rally_standings.events._log import LogWriter\n"
        f"w = LogWriter({str(rally_log)!r})\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LogLockedError, match=r"after waiting 0\.2 s"):
            LogWriter(rally_log, wait_seconds=0.2)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    LogWriter(rally_log).close()


def test_batch_append_is_one_write_and_keeps_order(rally_log: Path) -> None:
    """append_many gives consecutive sequence numbers in the order given."""
    with Recorder(rally_log) as recorder:
        start = recorder.fold.last_seq + 1
        records = recorder.append_many(
            [
                StageResultRecorded(entry_id="cars:200", stage=2, time_ms=60_000),
                StageResultRecorded(entry_id="cars:201", stage=2, time_ms=61_000),
                PenaltyImposed(
                    penalty_id="P1", entry_id="cars:201", stage=2, amount_ms=1_000, reason="r"
                ),
            ]
        )
    assert [r.seq for r in records] == [start, start + 1, start + 2]
    assert read_records(rally_log)[-3:] == records


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b"",
            "  no record: the file is empty\n"
            "  damage at byte offset 0: not a rally log: expected a file starting with "
            "RALLYLOG, received an empty file\n",
        ),
        (
            b"hello world, not a rally\x00log\n",
            "  no record: the file (29 bytes) is not a rally log\n"
            "  damage at byte offset 0: not a rally log: expected a file starting with "
            'RALLYLOG, received "hello wo"\n',
        ),
    ],
)
def test_log_check_of_a_file_that_is_no_log_says_so_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, said: str
) -> None:
    """`log check` of an empty file or of text: "no record" and why, in words; never "the
    first 12 of no byte … verified up to there", nor Python's b'…' (found by a newcomer)."""
    from rally_standings.app import main

    path = tmp_path / "not.rallylog"
    path.write_bytes(content)
    assert main(["log", "check", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}: DAMAGED\n{said}"
