"""Nothing lost, nobody confused: crashes, damage, hostile files, bad input, concurrent writers.

The crash trials fork a writer that appends and acknowledges each append
after it returns, kill it with SIGKILL at a random moment, then check that the
log opens and holds every acknowledged event. A power loss is modelled on top:
whatever follows the last acknowledged (fsync'd) record may be cut anywhere.
``--run-slow`` runs ten times more trials.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import select
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rally_standings import events
from rally_standings.app._cli import main
from rally_standings.engine import Recorder, load
from rally_standings.engine._repair import check_log, repair_log
from rally_standings.events._codec import CODEC
from rally_standings.events._frames import encode_frame
from rally_standings.events._log import (
    FRAME_BYTES,
    HEADER,
    check_bytes,
    frame,
    read_records,
    scan_bytes,
)
from tests.helpers import run_captured, start_rally

TRIALS = 20
"""SIGKILL trials in the default run; ``--run-slow`` runs 2 000."""
STANDINGS = str(Path(sys.executable).with_name("standings"))


def _penalty(n: int) -> events.PenaltyImposed:
    return events.PenaltyImposed(
        penalty_id=f"C{n}", entry_id="cars:200", stage=2, amount_ms=1_000, reason="crash test"
    )


def _writer(path: Path, ack: int, rng: random.Random) -> None:
    """Child process: append forever, acknowledging each append after it returns."""
    try:
        with Recorder(path) as recorder:
            n = recorder.fold.last_seq
            while True:
                batch = [_penalty(n + i + 1) for i in range(rng.choice([1, 1, 1, 3]))]
                records = recorder.append_many(batch)
                n = records[-1].seq
                os.write(ack, struct.pack(">I", n))
    except BaseException:  # pragma: no cover - the child's fate is checked by the parent
        os._exit(3)


def _acknowledged(read_end: int) -> int:
    data = b""
    while chunk := os.read(read_end, 65536):
        data += chunk
    seqs = [struct.unpack_from(">I", data, i)[0] for i in range(0, len(data) - len(data) % 4, 4)]
    return max(seqs, default=0)


def _ends(data: bytes) -> list[int]:
    offsets = []
    offset = len(HEADER)
    while offset + FRAME_BYTES <= len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        if offset + FRAME_BYTES + length > len(data):
            break
        offset += FRAME_BYTES + length
        offsets.append(offset)
    return offsets


def _crash_trials(path: Path, trials: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    stats = {
        "trials": 0,
        "acknowledged": 0,
        "lost": 0,
        "torn_tails_cut": 0,
        "power_cuts": 0,
        "killed_after_an_ack": 0,
    }
    for trial in range(trials):
        # counted before the fork: the child may append (and acknowledge) before the parent
        # runs again, and on a loaded machine often does
        before = len(read_records(path))
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(read_end)
            _writer(path, write_end, random.Random(seed * 1000 + trial))
        os.close(write_end)
        if trial % 2:
            # half the kills land while appends are flowing: wait for the first ack first
            select.select([read_end], [], [])
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        acked = _acknowledged(read_end)
        os.close(read_end)
        if trial % 2:
            assert acked > before, f"trial {trial}: waited for an acknowledgement, got none"
            stats["killed_after_an_ack"] += 1
        data = path.read_bytes()
        if rng.random() < 0.5:
            # power loss: anything after the last fsync'd record may be cut: the last one
            # acknowledged, or one already there before the writer started (an earlier
            # writer's, or the rally's own start, written long before)
            durable = len(HEADER)
            scan = scan_bytes(data)
            for end, decoded in zip(scan.ends, scan.frames, strict=True):
                if decoded.last_seq <= max(acked, before):
                    durable = end
            cut = rng.randint(durable, max(durable, len(data) - 1))
            path.write_bytes(data[:cut])
            stats["power_cuts"] += 1
        records = read_records(path)  # opens: no exception
        load(path)  # and every event passes the rules
        seqs = [r.seq for r in records]
        assert seqs == list(range(1, len(seqs) + 1))
        stats["lost"] += max(0, acked - len(records))
        assert len(records) >= acked, f"trial {trial}: acknowledged {acked}, found {len(records)}"
        stats["acknowledged"] = max(stats["acknowledged"], acked)
        stats["trials"] += 1
        with Recorder(path) as recorder:  # the next writer cuts a torn tail
            stats["torn_tails_cut"] += recorder.recovered_bytes > 0
    return stats


def test_sigkill_during_appends_loses_no_acknowledged_event(tmp_path: Path) -> None:
    """Writers killed mid-append (half with a power cut after): no acknowledged event lost.

    Half the writers are killed only after they acknowledged an append, so the
    kills land while appends are flowing whatever the machine's load.
    """
    path = start_rally(tmp_path / "crash.rallylog")
    stats = _crash_trials(path, TRIALS, seed=2026)
    assert stats["trials"] == TRIALS
    assert stats["lost"] == 0
    assert stats["killed_after_an_ack"] == TRIALS // 2
    assert stats["power_cuts"] > 0


@pytest.mark.slow
def test_sigkill_long_run(tmp_path: Path) -> None:
    """The same, 2 000 trials (opt-in: --run-slow)."""
    path = start_rally(tmp_path / "crash.rallylog")
    stats = _crash_trials(path, 2_000, seed=7)
    assert stats["lost"] == 0


def test_killed_cli_writers(tmp_path: Path) -> None:
    """`standings record` processes killed at random moments leave a log that opens whole."""
    path = start_rally(tmp_path / "cli.rallylog")
    rng = random.Random(5)
    done = 0
    for n in range(12):
        proc = subprocess.Popen(
            [
                STANDINGS,
                "record",
                str(path),
                "penalty",
                "--category",
                "cars",
                "--entry",
                "201",
                "--stage",
                "3",
                "--amount",
                "0:00:01",
                "--reason",
                "kill test",
                "--id",
                f"K{n}",
                "--wait",
                "5",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.0, 0.25))
        proc.kill()
        out, _ = proc.communicate()
        done += out.startswith(b" ")  # it printed the record line: the append returned
        records = read_records(path)
        assert len([r for r in records if isinstance(r.event, events.PenaltyImposed)]) >= done
        load(path)


# ---------------------------------------------------------------------- damage


@functools.cache
def _valid_log() -> bytes:
    """A sound log of 38 records in 31 frames: the rally, a batch of stages and entries, then
    29 single appends (built once; tests write damaged copies of it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = start_rally(Path(folder) / "d.rallylog")
        with Recorder(path) as recorder:
            for n in range(1, 30):
                recorder.append(_penalty(n))
        return path.read_bytes()


def _log_bytes(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "d.rallylog"
    data = _valid_log()
    path.write_bytes(data)
    return path, data


def _frame_of(data: bytes, position: int) -> tuple[int, int]:
    """(start offset, first seq) of the frame holding byte ``position``."""
    scan = scan_bytes(data)
    start = len(HEADER)
    for end, decoded in zip(scan.ends, scan.frames, strict=True):
        if position < end:
            return start, decoded.first_seq
        start = end
    raise AssertionError(position)


@settings(max_examples=150)
@given(st.data())
def test_any_flipped_byte_is_found_where_it_is(data: st.DataObject) -> None:
    """A flipped byte anywhere, the last frame included, is refused at its record's offset and
    seq: no crash leaves a complete frame whose checksum fails, so it is never a torn tail."""
    original = _valid_log()
    position = data.draw(st.integers(min_value=len(HEADER), max_value=len(original) - 1))
    damaged = bytearray(original)
    damaged[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    start, seq = _frame_of(original, position)
    with pytest.raises(events.LogCorruptError) as caught:
        scan_bytes(bytes(damaged))
    assert (caught.value.offset, caught.value.seq) == (start, seq)
    assert f"byte offset {start}, record seq {seq}" in str(caught.value)


@pytest.mark.parametrize("damage", ["truncated middle", "zeroed block", "swapped", "flipped"])
def test_damage_kinds_are_refused_checked_and_repaired(tmp_path: Path, damage: str) -> None:
    """Each kind of damage: refused on open with offset and seq, reported, repaired anew."""
    path, original = _log_bytes(tmp_path)
    ends = _ends(original)
    first = ends[9]  # damage starts at the eleventh frame
    first_seqs = [f.first_seq for f in scan_bytes(original).frames]
    seq = first_seqs[10]
    damaged = bytearray(original)
    if damage == "truncated middle":
        del damaged[first + 5 : ends[12] + 7]
    elif damage == "zeroed block":
        damaged[first : first + 300] = bytes(300)
    elif damage == "swapped":
        a, b, c = first, ends[10], ends[11]
        damaged[a:c] = damaged[b:c] + damaged[a:b]
    else:
        damaged[first + 20] ^= 0x55
    path.write_bytes(bytes(damaged))
    with pytest.raises(events.LogCorruptError) as caught:
        read_records(path)
    assert (caught.value.offset, caught.value.seq) == (first, seq)
    report = check_log(path)
    assert report.check.problems[0].offset == first
    assert report.check.count == seq - 1
    repaired = tmp_path / "repaired.rallylog"
    result = repair_log(path, repaired)
    assert path.read_bytes() == bytes(damaged)  # the original is never modified
    assert result.kept == seq - 1
    assert read_records(repaired) == scan_bytes(original).records[: seq - 1]
    assert result.dropped_readable == report.check.beyond_count > 0


def test_check_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two separate damaged frames: `log check` reports both, and what lies beyond."""
    path, original = _log_bytes(tmp_path)
    ends = _ends(original)
    seqs = [f.first_seq for f in scan_bytes(original).frames]
    damaged = bytearray(original)
    damaged[ends[5] + 30] ^= 1
    damaged[ends[20] + 30] ^= 1
    path.write_bytes(bytes(damaged))
    assert main(shlex.split(f"log check {path}")) == 1
    out = capsys.readouterr().out
    assert f"damage at byte offset {ends[5]}, record seq {seqs[6]}: frame checksum mismatch" in out
    assert (
        f"damage at byte offset {ends[20]}, record seq {seqs[21]}: frame checksum mismatch" in out
    )
    total = len(scan_bytes(original).records)
    assert (
        f"{total - seqs[6] - 1} more records are readable after the damage "
        f"(seq {seqs[7]}-{total})" in out
    )
    repaired = tmp_path / "r.rallylog"
    assert main(shlex.split(f"log repair {path} -o {repaired}")) == 0
    kept = seqs[6] - 1
    assert capsys.readouterr().out.startswith(
        f"wrote {repaired}: kept {kept} events (seq 1-{kept})"
    )
    assert main(shlex.split(f"log repair {path} -o {repaired}")) == 2  # never overwrites


def test_rule_violation_is_reported_and_repair_stops_before_it(tmp_path: Path) -> None:
    """A log whose frames are sound but whose events break the rules: checked and repaired."""
    path, original = _log_bytes(tmp_path)
    bad = events.Record(
        seq=len(scan_bytes(original).records) + 1, event=_penalty(1)
    )  # C1 used twice
    path.write_bytes(original + frame(encode_frame([bad])))
    with pytest.raises(events.RallyError, match="penalty id already used"):
        load(path)
    report = check_log(path)
    assert report.violation is not None
    assert report.usable == bad.seq - 1
    result = repair_log(path, tmp_path / "r.rallylog")
    assert result.kept == bad.seq - 1
    assert result.dropped_readable == 1


# ---------------------------------------------------------------------- hostile files


def _framed(payload: bytes) -> bytes:
    head = struct.pack(">II", len(payload), zlib.crc32(payload))
    return head + struct.pack(">I", zlib.crc32(head)) + payload


def _hostile() -> dict[str, bytes]:
    valid = _valid_log()
    seq = len(scan_bytes(valid).records) + 1
    good = msgpack.unpackb(encode_frame([events.Record(seq=seq, event=_penalty(99))]))
    nested: object = "x"
    for _ in range(500):
        nested = [nested]
    tail = _framed(b"\xc0")  # a frame after, so the bad one is not mistaken for a torn tail

    def variant(**changes: object) -> bytes:
        payload = [*good]
        run = [*payload[4][0]]
        if "tag" in changes:
            run[0] = changes["tag"]
        if "entry" in changes:
            run[2] = [changes["entry"]]
        if "amount" in changes:
            run[5] = [changes["amount"]]
        payload[4] = [run]
        if "version" in changes:
            payload[1] = changes["version"]
        return valid + _framed(msgpack.packb(payload)) + tail

    return {
        "random bytes": random.Random(1).randbytes(4096),
        "empty": b"",
        "header only, 4 GB length": HEADER
        + struct.pack(">II", 0xFFFFFFF0, 0)
        + struct.pack(">I", zlib.crc32(struct.pack(">II", 0xFFFFFFF0, 0)))
        + b"\0" * 64,
        "deeply nested msgpack": variant(entry=nested),
        "unknown type tag": variant(tag="stage-teleported"),
        "future schema version": variant(version=99),
        "float amount": variant(amount=1.5),
        "not msgpack": valid + _framed(b"\xc1\xc1\xc1") + tail,
        "a format-1 record in a format-2 log": valid
        + _framed(CODEC.encode(events.Record(seq=seq, event=_penalty(99))))
        + tail,
    }


def test_hostile_files_end_in_the_projects_error(tmp_path: Path) -> None:
    """Every hostile file raises a RallyError with a message; memory stays small."""
    for name, blob in _hostile().items():
        path = tmp_path / "hostile.rallylog"
        path.write_bytes(blob)
        tracemalloc.start()
        try:
            with pytest.raises(events.RallyError) as caught:
                load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert str(caught.value), name
        assert peak < 16 * 1024 * 1024 + 10 * len(blob), f"{name}: {peak} bytes"
        expected = (
            events.SchemaError
            if name in ("unknown type tag", "future schema version")
            else (events.RallyError)
        )
        assert isinstance(caught.value, expected), name
        report = check_log(path)  # the checker copes too
        assert not report.ok, name


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(st.data())
def test_fuzzed_logs_never_escape_the_projects_errors(data: st.DataObject) -> None:
    """Mutated logs (flips, inserts, deletes, cuts): the reader returns or raises RallyError."""
    original = _valid_log()
    blob = bytearray(original)
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        kind = data.draw(st.sampled_from(["flip", "insert", "delete", "cut", "overwrite"]))
        at = data.draw(st.integers(min_value=0, max_value=max(0, len(blob) - 1)))
        if kind == "flip" and blob:
            blob[at] ^= data.draw(st.integers(min_value=1, max_value=255))
        elif kind == "insert":
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=40))
        elif kind == "delete":
            del blob[at : at + data.draw(st.integers(min_value=1, max_value=40))]
        elif kind == "cut":
            del blob[at:]
        else:
            chunk = data.draw(st.binary(min_size=1, max_size=40))
            blob[at : at + len(chunk)] = chunk
    with contextlib.suppress(events.RallyError):
        scan_bytes(bytes(blob))
    report = check_bytes(bytes(blob))
    assert all(isinstance(p.what, str) and p.what for p in report.problems)


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("result --category cars --stage 2 --entry 200 --time 1:60:00", "minutes out of range"),
        ("result --category cars --stage 2 --entry 200 --time -5:00", "cannot carry a sign"),
        ("result --category cars --stage 2 --entry 200 --time abc", "not a time"),
        ("result --category cars --stage 2 --entry 200 --time ''", "not a time"),
        ("result --category cars --stage 2 --entry 999 --time 1:00", "unknown entry"),
        ("result --category cars --stage 99 --entry 200 --time 1:00", "unscheduled stage"),
        ("result --category quads --stage 2 --entry 200 --time 1:00", "unknown category"),
        (
            "penalty --category cars --entry 200 --stage 2 --amount 1:5 --reason x",
            "seconds must have two digits",
        ),
        (
            "result --category cars --stage 4 --entry 200 --time 9:00 --first-stage 5",
            "a stage before stage 4",
        ),
    ],
)
def test_bad_record_input(tmp_path: Path, command: str, message: str) -> None:
    """Malformed or unknown input to `record`: one line, exit 2, no traceback, log unchanged."""
    path = start_rally(tmp_path / "b.rallylog")
    before = path.read_bytes()
    code, _, err = run_captured(["record", str(path), *shlex.split(command)])
    assert code == 2
    assert err.count("\n") == 1, err
    assert message in err
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "{dir}", "-c", "cars"], "a directory, not a log"),
        (["show", "{missing}", "-c", "cars"], "no such log"),
        (["show", "{text}", "-c", "cars"], "not a rally log"),
        (["show", "dakar-2004", "-c", "cars", "--after", "99"], "unknown stage"),
        (["show", "dakar-2004", "-c", "cars", "--as-of", "0"], "no such log sequence"),
        (["stage", "dakar-2004", "-c", "quads", "-s", "3"], "unknown category"),
        (
            [
                "whatif",
                "dakar-2004",
                "-c",
                "cars",
                "--after",
                "5",
                "--all-stages",
                "--penalty",
                "203@5=+1:00",
            ],
            "conflicting options",
        ),
        (["whatif", "dakar-2004", "-c", "cars", "--penalty", "203@5=1:60"], "seconds out of range"),
        (["history", "dakar-2004", "-c", "cars", "--after", "99"], "unknown stage"),
        (["log", "check", "{missing}"], "no such log"),
        (["log", "repair", "{text}", "-o", "{out}"], "nothing to repair from"),
    ],
)
def test_bad_query_input(tmp_path: Path, argv: list[str], message: str) -> None:
    """Unknown stages and categories, missing or foreign files, conflicting options."""
    text = tmp_path / "notes.txt"
    text.write_text("not a log\n")
    args = [
        a.format(
            dir=tmp_path,
            missing=tmp_path / "nope.rallylog",
            text=text,
            out=tmp_path / "out.rallylog",
        )
        for a in argv
    ]
    code, out, err = run_captured(args)
    assert code == 2, out + err
    assert err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "out.rallylog").exists()


# ---------------------------------------------------------------------- concurrent writers


def test_second_writer_refused_at_once_or_waits(tmp_path: Path) -> None:
    """While one process writes, `standings record` is refused at once, or waits if asked."""
    path = start_rally(tmp_path / "w.rallylog")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom rally_standings.engine import Recorder\n"
            f"r = Recorder({str(path)!r})\nprint('ready', flush=True)\nsys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        before = path.read_bytes()
        command = [
            STANDINGS,
            "record",
            str(path),
            "result",
            "--category",
            "cars",
            "--stage",
            "2",
            "--entry",
            "200",
            "--time",
            "1:00:00",
        ]
        started = time.monotonic()
        refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2
        assert "another process is writing to this log" in refused.stderr
        waited = subprocess.run(
            [*command, "--wait", "0.5"], capture_output=True, text=True, timeout=60
        )
        assert waited.returncode == 2
        assert "after waiting 0.5 s" in waited.stderr
        assert time.monotonic() - started >= 0.5
        assert path.read_bytes() == before
        late = subprocess.Popen([*command, "--wait", "20"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    assert late.wait(timeout=30) == 0  # got the lock once the holder let go
    assert isinstance(read_records(path)[-1].event, events.StageResultRecorded)


def test_readers_see_a_consistent_prefix_during_appends(tmp_path: Path) -> None:
    """A reader polling while another process appends always sees a whole, valid prefix.

    The writer appends 300 events; after each of the first 30 it waits until the
    reader has seen it, so the reader certainly reads between appends, and the
    other 270 race the reader freely.
    """
    path = start_rally(tmp_path / "r.rallylog")
    initial = len(read_records(path))
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from rally_standings.engine import Recorder\n"
            "from rally_standings.events import PenaltyImposed\n"
            f"with Recorder({str(path)!r}) as r:\n"
            "    for n in range(300):\n"
            "        r.append(PenaltyImposed(penalty_id=f'R{n}', entry_id='cars:201', stage=2,"
            " amount_ms=1000, reason='reader test'))\n"
            "        if n < 30:\n"
            "            print(n, flush=True)\n"
            "            sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None
    assert writer.stdout is not None
    seen = []
    for n in range(30):
        assert writer.stdout.readline() == f"{n}\n"
        records = read_records(path)
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        seen.append(len(records))
        writer.stdin.write("go\n")
        writer.stdin.flush()
    while writer.poll() is None:
        records = read_records(path)
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        seen.append(len(records))
    assert writer.wait(timeout=60) == 0
    assert seen[:30] == [initial + n + 1 for n in range(30)]  # each handshake state, seen whole
    assert seen == sorted(seen)  # never goes backwards
    assert len(read_records(path)) == initial + 300


def test_a_large_file_that_is_not_a_log_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A 256 MiB file (sparse, zeros) given as a log: refused from its first bytes, without
    reading the rest (an adversarial run saw every command read such a file whole, twice
    over: 2.1 GB for a 1 GB file)."""
    path = tmp_path / "sparse.rallylog"
    with path.open("wb") as handle:
        handle.truncate(256 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(events.LogCorruptError, match="not a rally log"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak
