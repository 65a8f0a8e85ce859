"""Issue 18, one test per finding: each fast path gave an answer a fresh fold would not give.

Every test here failed on the code the issue was filed against (the finding it names says
how), and holds the promise of the issue's "What must hold" once it is kept. The truth is
always a fresh fold of the log's records (``tests/truth.py``), never a cache, a checkpoint
or a server that follows the log. The stateful test that drives every write and read path
at random is ``tests/test_one_truth.py``.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import shutil
import sys
import tracemalloc
import zlib
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgpack
import pytest

from rally_standings import events
from rally_standings.app._live import LiveRally
from rally_standings.app._query import classification
from rally_standings.engine import (
    Fold,
    Recorder,
    check_log,
    checkpoint_path,
    create_log,
    history,
    load,
)
from rally_standings.engine._checkpoint import write_checkpoint_bytes
from rally_standings.events import (
    read_records,
    scan_file,
)
from rally_standings.events._log import MAX_FRAME_BYTES, encode_log
from rally_standings.outputs import render, to_data
from rally_standings.replays import resolve_log
from tests.helpers import MIN, car_penalty, car_result, cli, digest, run_captured
from tests.truth import fresh, fresh_of, nonpositive_times, plain_standings, run_standings

SPECIAL = events.StageKind.SPECIAL
PROLOGUE = events.StageKind.PROLOGUE
ARTICLE = Path(__file__).parent / "data" / "test-rally-1999.txt"


def _rally(
    path: Path,
    kinds: Sequence[events.StageKind] = (SPECIAL, SPECIAL, SPECIAL),
    numbers: Sequence[int] = (200, 201, 202, 203),
) -> Path:
    """A log: a rally (cars, bikes), stages 1… of ``kinds`` for both, cars ``numbers``."""
    create_log(
        path,
        events.RallyDeclared(
            rally_id="t", name="Test Rally", year=2024, categories=("cars", "bikes")
        ),
    )
    batch: list[events.Event] = [
        events.StageScheduled(
            stage=stage, rules=(events.StageRule("cars", kind), events.StageRule("bikes", kind))
        )
        for stage, kind in enumerate(kinds, 1)
    ]
    batch += [
        events.EntryRegistered(
            entry_id=f"cars:{n}",
            category="cars",
            number=str(n),
            crew=(events.Person(f"Driver {n}"),),
            entry_class="A" if n % 2 else "B",
        )
        for n in numbers
    ]
    with Recorder(path, checkpoint_lag=None) as recorder:
        recorder.append_many(batch)
    return path


def _fresh_live(log: Path, folder: Path) -> LiveRally:
    """A server started now on a copy of the log (same file name, nothing beside it)."""
    folder.mkdir(exist_ok=True)
    copy = folder / log.name
    copy.write_bytes(log.read_bytes())
    return LiveRally(copy)


_QUESTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    ("rally", {}),
    ("standings", {"category": "cars"}),
    ("standings", {"category": "cars", "after": "1"}),
    ("standings", {"category": "cars", "after": "2"}),
    ("standings", {"category": "cars", "after": "3"}),
    ("standings", {"category": "cars", "class": "A"}),
    ("standings", {"category": "cars", "as_of": "10"}),
    ("stage", {"category": "cars", "stage": "1"}),
    ("stage", {"category": "cars", "stage": "2"}),
    ("penalties", {"category": "cars"}),
    ("events", {"since": "9"}),
)


def _assert_live_is_fresh(live: LiveRally, log: Path, folder: Path) -> None:
    """Every question gets from the live server exactly the answer a server started now on
    the same bytes gives (status and body); each standings answer is also the JSON of
    ``standings show -f json`` on a fresh fold."""
    live.refresh()
    started = _fresh_live(log, folder)
    truth = fresh(read_records(log), source=log.name)
    for endpoint, params in _QUESTIONS:
        got, expected = live.answer(endpoint, params), started.answer(endpoint, params)
        assert (got.status, got.body.decode()) == (expected.status, expected.body.decode()), (
            endpoint,
            params,
        )
        if endpoint == "standings" and got.status == 200:
            view = classification(
                truth,
                params["category"],
                after=int(params["after"]) if "after" in params else None,
                entry_class=params.get("class"),
                as_of=int(params["as_of"]) if "as_of" in params else None,
            )
            assert got.body.decode() == render(view, "json")


# ---------------------------------------------------------------------- finding 1


def test_finding_1_no_checkpoint_for_a_file_renamed_over_the_log(tmp_path: Path) -> None:
    """Finding 1 (checkpoint tied to a file that replaced the log): another log renamed
    over the path between a recorder's last append and its ``close()`` used to get the
    writer's state as its checkpoint: ``load`` then answered with the old log's leader and
    last seq, and the next append was numbered after records the file does not hold.

    Must hold: the checkpoint is bound to the file it describes; ``load`` answers as a
    fresh fold of the file now at the path, and the next append takes the next seq.
    """
    log = _rally(tmp_path / "t.rallylog")
    other = tmp_path / "other.rallylog"
    shutil.copyfile(log, other)
    with Recorder(other, checkpoint_lag=None) as recorder:
        recorder.append(car_result(201, 1, 60))  # the other log: 201 leads, 9 records
    recorder = Recorder(log, checkpoint_lag=1)
    recorder.append_many([car_result(200, 1, 50), car_result(202, 1, 55)])  # 200 leads, 10 records
    os.replace(other, log)  # `mv other.rallylog t.rallylog` while the writer holds the log
    recorder.close()

    truth = fresh_of(log)
    loaded = load(log)
    assert loaded.last_seq == truth.last_seq == 9
    assert loaded.standings("cars").rows == truth.standings("cars").rows
    assert [row.number for row in loaded.standings("cars").rows] == ["201"]
    with Recorder(log) as writer:
        assert writer.rally.last_seq == 9
        record = writer.append(car_result(203, 1, 70))
    assert record.seq == 10
    assert [r.seq for r in read_records(log)] == list(range(1, 11))
    assert check_log(log).ok
    assert load(log).standings("cars").rows == fresh_of(log).standings("cars").rows


# ---------------------------------------------------------------------- finding 2


def _forge_checkpoint(log: Path) -> None:
    """Change one result time inside ``LOG.checkpoint`` and recompute its checksum, as
    someone who can write the directory can (the layout of engine/_checkpoint.py: msgpack
    ``[head, payload]``, the results' times a packed integer column of the payload)."""
    path = checkpoint_path(log)
    head, payload = msgpack.unpackb(path.read_bytes(), raw=False)
    body = msgpack.unpackb(payload, raw=False)
    code, packed = body["tables"]["results"]["time"]
    times = array(str(code))
    times.frombytes(packed)
    times[-1] = max(1, times[-1] // 3)
    body["tables"]["results"]["time"] = [code, times.tobytes()]
    forged = msgpack.packb(body, use_bin_type=True)
    head["payload_crc"] = zlib.crc32(forged)
    path.write_bytes(msgpack.packb([head, forged], use_bin_type=True))


def test_finding_2_log_check_reports_a_forged_checkpoint_and_fix_removes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding 2 (a forged checkpoint changes the standings while `log check` says ok): one
    time edited in ``LOG.checkpoint`` with its checksum recomputed changed what ``show``
    printed, and ``log check`` never looked at the checkpoint.

    Must hold: ``log check LOG`` verifies the checkpoint against a fold, exits 1 and names
    it; ``log check --fix LOG`` removes it (the log itself untouched), after which the log
    checks ok and ``show`` answers as a fresh fold.
    """
    log = tmp_path / "example.rallylog"
    shutil.copyfile(resolve_log("example-rally"), log)
    with Recorder(log, checkpoint_lag=1) as recorder:
        recorder.append(car_penalty("CK", 201, 5, 1, "late"))
    assert checkpoint_path(log).exists()
    sound = digest(log)
    _forge_checkpoint(log)

    code, out, err = cli(capsys, f"log check {log}")
    assert code == 1, out + err
    assert "checkpoint" in (out + err).lower(), out + err

    code, out, err = cli(capsys, f"log check --fix {log}")
    assert code in (0, 1), err
    assert "checkpoint" in (out + err).lower(), out + err
    assert not checkpoint_path(log).exists()
    assert digest(log) == sound  # the log itself is never modified

    code, out, err = cli(capsys, f"log check {log}")
    assert code == 0, out + err
    copy = tmp_path / "copy" / log.name
    copy.parent.mkdir()
    shutil.copyfile(log, copy)
    assert (
        cli(capsys, f"show {log} -c cars -f json")[1]
        == cli(capsys, f"show {copy} -c cars -f json")[1]
    )


# ---------------------------------------------------------------------- finding 3

_MIB = 1 << 20


def _bulky_entries(count: int, first: int) -> list[events.Event]:
    """``count`` bike entries, each with a make of a little over 1 MiB (all different)."""
    filler = "x" * _MIB
    return [
        events.EntryRegistered(
            entry_id=f"bikes:{n}",
            category="bikes",
            number=str(n),
            crew=(events.Person(f"Rider {n}"),),
            make=f"{n}{filler}",
        )
        for n in range(first, first + count)
    ]


def test_finding_3_one_append_is_one_frame_all_or_nothing(tmp_path: Path) -> None:
    """Finding 3 (an append larger than 16 MiB was split into several frames): a 20 MiB
    batch was written as two frames, so a writer killed between them left half of one
    import in the log, which readers accepted.

    Must hold: one append is one frame whatever its size up to ``MAX_FRAME_BYTES``; the log
    cut at any frame boundary (or anywhere else) inside that append reads with none of the
    batch (a torn tail); a batch past the cap is refused with a RallyError before a byte is
    written.
    """
    log = _rally(tmp_path / "t.rallylog")
    before = scan_file(log)
    before_size, before_records = log.stat().st_size, before.records
    with Recorder(log, checkpoint_lag=None) as recorder:
        recorder.append_many(_bulky_entries(20, 1))
    after = scan_file(log)
    data = log.read_bytes()
    assert len(after.frames) == len(before.frames) + 1, "a 20 MiB append became several frames"

    inside = [end for end in after.ends if before_size < end < len(data)]
    cuts = sorted(
        {*inside, before_size + 1, before_size + 12, before_size + 13, len(data) - 1}
        | {before_size + (len(data) - before_size) * k // 4 for k in (1, 2, 3)}
    )
    cut_log = tmp_path / "cut.rallylog"
    for cut in cuts:  # a writer killed (or a power cut) anywhere inside the append
        cut_log.write_bytes(data[:cut])
        scan = scan_file(cut_log)
        assert scan.records == before_records, f"cut at byte {cut}: part of the batch reads"
        assert scan.torn_bytes == cut - before_size

    size = log.stat().st_size
    with Recorder(log, checkpoint_lag=None) as recorder:
        with pytest.raises(events.RallyError):  # 65 MiB: past MAX_FRAME_BYTES (64 MiB)
            recorder.append_many(_bulky_entries(MAX_FRAME_BYTES // _MIB + 1, 100))
        assert log.stat().st_size == size  # nothing written
        record = recorder.append(car_result(200, 1, 60))
    assert record.seq == after.count + 1
    assert read_records(log)[-1].seq == record.seq


# ---------------------------------------------------------------------- finding 4


def test_finding_4_a_retirement_after_the_sums_stopped_earlier_is_seen(tmp_path: Path) -> None:
    """Finding 4 (a retirement appended after the cached sums stopped at an earlier stage
    was never seen): a recorder (and the live server) asked for the GC after stage 1, then
    given stage 2's results and a retirement at stage 2, still classified the retired crew
    after stage 2 (``Accumulator`` had taken the retirements once, when it was made).

    Must hold: the recorder's rally and the live server answer as a fresh fold.
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many([car_result(n, 1, 60 + n - 200) for n in (200, 201, 202)])
    live = LiveRally(log)
    assert live.answer("standings", {"category": "cars", "after": "1"}).status == 200
    with Recorder(log) as recorder:
        rally = recorder.rally
        assert len(rally.standings("cars", 1).rows) == 3  # the sums stop at stage 1
        recorder.append_many([car_result(n, 2, 60) for n in (200, 201, 202)])
        recorder.append(events.EntryRetired(entry_id="cars:201", stage=2, reason="gearbox"))
        truth = fresh_of(log)
        assert [row.number for row in truth.standings("cars", 2).rows] == ["200", "202"]
        assert plain_standings(rally.standings("cars", 2)) == plain_standings(
            truth.standings("cars", 2)
        )
        assert rally.replay("cars") == truth.replay("cars")
    live.refresh()
    answer = live.answer("standings", {"category": "cars", "after": "2"})
    assert answer.body.decode() == render(classification(truth, "cars", after=2), "json")


# ---------------------------------------------------------------------- finding 5


def test_finding_5_rows_handed_out_earlier_never_change(tmp_path: Path) -> None:
    """Finding 5 (a Row handed out earlier read the live fold): after a penalty was
    appended, an old row's ``time_ms`` and the sum of its ``components`` disagreed; a
    standings handed out before an append but read after it said what the log said later.

    Must hold: a row (and a standings) handed out earlier says forever what it said then:
    its time is the sum of its components, and both are as they were.
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many(
            [car_result(n, s, 60 + n - 200) for s in (1, 2) for n in (200, 201, 202)]
            + [events.StageCancelled(stage=3, categories=("cars",), reason="dunes", awarded_ms=MIN)]
        )
        rally = recorder.rally
        standings = rally.standings("cars", 3)
        row = standings.rows[0]
        said = (row.time_ms, row.components, plain_standings(standings))
        assert row.time_ms == sum(part.time_ms for part in row.components)
        unread = rally.standings("cars", 2)  # handed out, its rows not read yet
        expected = plain_standings(fresh_of(log).standings("cars", 2))

        recorder.append(car_penalty("P1", int(row.number or 0), 2, 5))
        recorder.append(events.EntryRetired(entry_id="cars:202", stage=3, reason="fire"))

        assert row.time_ms == sum(part.time_ms for part in row.components)
        assert (row.time_ms, row.components, plain_standings(standings)) == said
        assert plain_standings(unread) == expected


# ---------------------------------------------------------------------- finding 6


def test_finding_6_the_server_sees_a_log_overwritten_in_place(tmp_path: Path) -> None:
    """Finding 6a (the server kept old or mixed standings after the log was overwritten in
    place, same inode and same size, `cp OTHER LOG`): it answered with the old log, then a
    mix of both after two appends.

    Must hold: the live server follows the log by content: every answer is a fresh
    server's on the same bytes, after the overwrite and after each append.
    """
    log = _rally(tmp_path / "a.rallylog")
    other = tmp_path / "b.rallylog"
    shutil.copyfile(log, other)
    with Recorder(log) as recorder:
        recorder.append(car_result(200, 1, 60))
    with Recorder(other) as recorder:
        recorder.append(car_result(201, 1, 60))
    assert log.stat().st_size == other.stat().st_size
    live = LiveRally(log)
    first = json.loads(live.answer("standings", {"category": "cars"}).body)
    assert first["rows"][0]["number"] == "200"

    with open(log, "r+b") as handle:  # the same file (inode), the other log's bytes
        handle.write(other.read_bytes())
    _assert_live_is_fresh(live, log, tmp_path / "fresh1")
    for event in (car_result(202, 1, 59), car_result(203, 1, 58)):
        with Recorder(log) as recorder:
            recorder.append(event)
        _assert_live_is_fresh(live, log, tmp_path / "fresh2")


def test_finding_6_damage_to_a_frame_already_read_is_a_503(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding 6b (a flipped byte in a frame the server had already read still got 200
    answers while `show` refused the log).

    Must hold: damage gives 503 until the log is sound again; then the answers are a
    fresh server's.
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many([car_result(n, 1, 60 + n - 200) for n in (200, 201)])
    live = LiveRally(log)
    assert live.answer("standings", {"category": "cars"}).status == 200
    ends = scan_file(log).ends
    offset = ends[-2] + 12 + 3  # inside the payload of the last frame, already read
    sound = log.read_bytes()
    with open(log, "r+b") as handle:
        handle.seek(offset)
        handle.write(bytes([sound[offset] ^ 0x10]))
    assert cli(capsys, f"show {log} -c cars")[0] == 2  # every reader refuses it
    live.refresh()
    for endpoint, params in _QUESTIONS:
        assert live.answer(endpoint, params).status == 503, (endpoint, params)
    with open(log, "r+b") as handle:
        handle.write(sound)
    _assert_live_is_fresh(live, log, tmp_path / "fresh")


def test_finding_6_an_append_over_a_torn_tail_of_its_size_is_seen(tmp_path: Path) -> None:
    """Finding 6c (an append whose size equals a zero-filled torn tail the server skipped
    was missed until the next append): the file had the same size before and after.

    Must hold: the server sees the append.
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append(car_result(200, 1, 60))
    event, at = car_result(201, 1, 59), "2025-01-03T08:00:00+00:00"
    scratch = tmp_path / "scratch.rallylog"
    shutil.copyfile(log, scratch)
    with Recorder(scratch) as recorder:
        recorder.append(event, recorded_at=at)
    size = scratch.stat().st_size - log.stat().st_size  # the bytes that append writes

    live = LiveRally(log)
    assert live.answer("standings", {"category": "cars"}).status == 200
    with open(log, "ab") as handle:  # a power cut: the new length, zeros for the blocks
        handle.write(b"\0" * size)
    assert scan_file(log).torn_bytes == size
    live.refresh()
    torn_size = log.stat().st_size
    with Recorder(log) as recorder:
        recorder.append(event, recorded_at=at)
        assert recorder.cut is not None
    assert log.stat().st_size == torn_size
    _assert_live_is_fresh(live, log, tmp_path / "fresh")
    assert live.last_seq == len(read_records(log))


# ---------------------------------------------------------------------- finding 7


def test_finding_7_a_bonus_before_the_result_cannot_make_a_negative_stage_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding 7 (a bonus recorded before the result made a negative stage time):
    ``penalty --amount -0:30:00`` at stage 2 (stage and GC), then a 0:20:00 result at stage
    2: the crew won the stage at -0:10:00 and ``log check`` said ok.

    Must hold: the result is refused (one line, exit 2, the log unchanged).
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append(car_result(200, 1, 60))
    code, _, err = cli(
        capsys,
        f"record {log} penalty -c cars --entry 200 --stage 2 --amount -0:30:00 --reason bonus",
    )
    assert code == 0, err
    before = digest(log)
    code, out, err = cli(
        capsys, f"record {log} result -c cars --entry 200 --stage 2 --time 0:20:00"
    )
    assert (code, out, err.count("\n")) == (2, "", 1), out + err
    assert digest(log) == before
    assert nonpositive_times(fresh_of(log)) == []


_ORDERED: dict[str, events.Event] = {
    "result": car_result(200, 2, 20),
    "bonus": car_penalty("B", 200, 2, -30),
    "correction": events.ResultCorrected(entry_id="cars:200", stage=2, time_ms=25 * MIN),
    "rescission": events.PenaltyRescinded(penalty_id="P", reason="appeal upheld"),
}
"""At stage 2, with a +0:10:00 penalty P in force and a 1:00:00 result at stage 1: a
0:20:00 result, a -0:30:00 bonus, a correction to 0:25:00, P rescinded. Some orders of
these would give a stage time of zero or less."""


@pytest.mark.parametrize("order", list(itertools.permutations(_ORDERED)), ids="-".join)
def test_finding_7_in_every_order_no_time_is_ever_zero_or_negative(
    tmp_path: Path, order: tuple[str, ...]
) -> None:
    """Finding 7, every order of arrival: whichever of the bonus, result, correction and
    rescission comes first, an event that would make a stage time, a GC time or an
    awarded time zero or negative is refused (and leaves the log as it was): no such time
    exists after any of them."""
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many([car_result(200, 1, 60), car_penalty("P", 200, 2, 10)])
        for name in order:
            before = digest(log)
            try:
                recorder.append(_ORDERED[name])
            except events.RallyError:
                assert digest(log) == before
            assert nonpositive_times(fresh_of(log)) == [], f"after the {name}"
    assert check_log(log).ok


def test_finding_7_a_cancellation_cannot_leave_a_bonus_without_time(tmp_path: Path) -> None:
    """Finding 7, found by the stateful test: a GC-only bonus allowed by a stage-1 result,
    then stage 1 cancelled without an awarded time (the result no longer counts), then a
    short stage-2 result: the GC after stage 2 was -0:10:00.

    Must hold: one of these events is refused; no GC time is ever zero or negative.
    """
    log = _rally(tmp_path / "t.rallylog")
    refused = []
    with Recorder(log) as recorder:
        for event in (
            car_result(200, 1, 60),
            car_penalty("B", 200, 2, -30, gc_only=True),
            events.StageCancelled(stage=1, categories=("cars",), reason="flood"),
            car_result(200, 2, 20),
        ):
            try:
                recorder.append(event)
            except events.RallyError:
                refused.append(event)
    assert refused
    assert nonpositive_times(fresh_of(log)) == []


@pytest.mark.parametrize("bonus_first", [False, True])
def test_finding_7_a_bonus_cannot_cancel_an_awarded_time_to_zero(
    tmp_path: Path, bonus_first: bool
) -> None:
    """Found by the stateful test in this session's closing run: stage 1 cancelled with
    0:05:00 awarded to every crew still running, and a -0:05:00 bonus at stage 1 for a crew
    with no time of its own: its GC after stage 1 was 0:00:00 (an awarded time classifies a
    crew as a stage time does, and the rule counted only stage times). In either order one
    of them is refused (a bonus alone leaves a time below zero); no GC time is zero or
    negative."""
    log = _rally(tmp_path / "t.rallylog")
    cancel = events.StageCancelled(
        stage=1, categories=("cars",), reason="weather", awarded_ms=5 * MIN
    )
    bonus = car_penalty("B", 200, 1, -5)
    refused = []
    with Recorder(log) as recorder:
        for event in (bonus, cancel) if bonus_first else (cancel, bonus):
            try:
                recorder.append(event)
            except events.RuleViolationError as error:
                refused.append(str(error))
    assert len(refused) == 1
    assert ("would be -0:05:00" if bonus_first else "would be 0:00:00") in refused[0]
    assert nonpositive_times(fresh_of(log)) == []


# ---------------------------------------------------------------------- finding 8


def _busy_log(path: Path) -> Path:
    """About 430 records: ten cars, five stages, six waypoints, results and penalties."""
    numbers = range(200, 210)
    _rally(path, kinds=(SPECIAL,) * 5, numbers=numbers)
    batch: list[events.Event] = []
    for stage in range(1, 6):
        for waypoint in range(1, 7):
            batch += [_split(n, stage, waypoint, 10 * waypoint + n - 200) for n in numbers]
        batch += [car_result(n, stage, 80 + (n * stage) % 7) for n in numbers]
        batch += [car_penalty(f"P{stage}-{n}", n, stage, 1 + n % 3) for n in numbers]
        batch += [
            events.PenaltyRescinded(penalty_id=f"P{stage}-{n}", reason="x") for n in (200, 203)
        ]
    with Recorder(path, checkpoint_lag=None) as recorder:
        for start in range(0, len(batch), 7):  # many small frames, as a live log has
            recorder.append_many(batch[start : start + 7])
    return path


def _split(number: int, stage: int, waypoint: int, minutes: int) -> events.Event:
    return events.WaypointRecorded(
        entry_id=f"cars:{number}", stage=stage, waypoint=waypoint, time_ms=minutes * MIN
    )


def _retained(ask: Iterator[Any]) -> int:
    """The memory still held once every question ``ask`` puts has been answered, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in ask:
            pass
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_finding_8_read_only_requests_keep_bounded_memory(tmp_path: Path) -> None:
    """Finding 8 (the server's memory grew without bound under read-only requests): every
    distinct ``as_of`` kept a whole refolded rally, 404s included, until the next append
    (on a 6K-event log, 200 requests took it from 37 to 343 MB).

    Must hold: caches are bounded and errors are not cached. Here, a log of about 430
    records, one refold of which keeps about 70 KB: 400 distinct ``as_of`` questions (half of
    them for an unknown category: 404s) keep less than 6 MB (15 MB before the fix), so a cap
    of up to about 60 cached prefixes passes; 1000 distinct 404s keep less than 128 KB (600
    KB before the fix: they are not cached at all). Measured with tracemalloc, whatever
    holds the memory.
    """
    log = _busy_log(tmp_path / "busy.rallylog")
    live = LiveRally(log)
    last = live.last_seq
    assert last >= 400
    assert live.answer("standings", {"category": "cars"}).status == 200

    def as_of() -> Iterator[int]:
        for seq in range(last - 200, last):
            yield live.answer("standings", {"category": "cars", "as_of": str(seq)}).status
            yield live.answer("standings", {"category": "vans", "as_of": str(seq)}).status

    grown = _retained(as_of())
    assert grown < 6 * _MIB, f"{grown / _MIB:.1f} MiB kept after 400 distinct as_of questions"

    def unknown() -> Iterator[int]:
        for number in range(1000):
            answer = live.answer("standings", {"category": f"c{number}"})
            assert answer.status == 404
            yield answer.status

    grown = _retained(unknown())
    assert grown < 128 * 1024, f"{grown / 1024:.0f} KiB kept after 1000 distinct 404s"


# ---------------------------------------------------------------------- finding 9


def _expected_show(log: Path) -> str:
    """What ``show -c cars`` prints for the log with nothing beside it."""
    code, out, err = run_captured(["show", str(log), "-c", "cars", "--plain"])
    assert code == 0, err
    return out


@pytest.mark.parametrize("command", ["show", "stage", "record"])
def test_finding_9_a_fifo_checkpoint_hangs_nothing(tmp_path: Path, command: str) -> None:
    """Finding 9 (side files read without the regular-file rule): a FIFO at
    ``LOG.checkpoint`` hung ``show``, ``stage``, ``explain``, ``whatif`` and ``record``.

    Must hold: a FIFO is refused or ignored with at most one line; the command answers as it
    would without it (run in a child process: a hang is a failure after 20 s, not a stuck
    suite).
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many([car_result(n, 1, 60 + n - 200) for n in (200, 201)])
    argv = {
        "show": ["show", str(log), "-c", "cars", "--plain"],
        "stage": ["stage", str(log), "-c", "cars", "-s", "1", "--plain"],
        "record": [
            *("record", str(log), "result", "-c", "cars"),
            *("--entry", "202", "--stage", "1", "--time", "1:10:00"),
        ],
    }[command]
    code, expected, err = run_captured(argv) if command != "record" else (0, "", "")
    assert code == 0, err
    os.mkfifo(checkpoint_path(log))
    finished = run_standings(argv)
    assert finished.code == 0, finished.err
    assert finished.err.count("\n") <= 1, finished.err
    if command == "record":
        assert [r.seq for r in read_records(log)] == list(range(1, 12))  # 8 + 2 + 1
        assert read_records(log)[-1].event == car_result(202, 1, 70)
    else:
        assert finished.out == expected


@pytest.mark.parametrize("kind", ["symlink to /dev/zero", "sparse 768 MiB file"])
def test_finding_9_an_endless_or_huge_checkpoint_is_not_read(tmp_path: Path, kind: str) -> None:
    """Finding 9 (side files read without the regular-file rule): a symlink
    ``LOG.checkpoint -> /dev/zero`` was read until memory ran out, and a 3 GB sparse
    checkpoint cost 6.3 GB (here: 768 MiB, for a log of 1 KiB).

    Must hold: neither is read whole: ``show`` answers as without it and its peak memory
    stays under 256 MB (the child's address space is capped at 1 GiB, so a reader that
    reads without end stops there instead of taking the machine's memory; ``show`` alone
    peaks at about 35 MB).
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many([car_result(n, 1, 60 + n - 200) for n in (200, 201)])
    expected = _expected_show(log)
    if kind.startswith("symlink"):
        checkpoint_path(log).symlink_to("/dev/zero")
    else:
        with open(checkpoint_path(log), "wb") as handle:
            handle.truncate(768 * _MIB)
    finished = run_standings(
        ["show", str(log), "-c", "cars", "--plain"], timeout=120, address_space=1 << 30
    )
    assert (finished.code, finished.out) == (0, expected), finished.err
    assert finished.err.count("\n") <= 1, finished.err
    assert 0 < finished.max_rss_kb < 256 * 1024, f"peak memory {finished.max_rss_kb} KiB"


def _imported(folder: Path) -> Path:
    """The test article imported with its editorial file: the log, its documented JSON and
    its editorial TOML beside it."""
    folder.mkdir(exist_ok=True)
    editorial = folder / "test-1999.toml"
    editorial.write_text(ARTICLE.with_suffix(".toml").read_text(encoding="utf-8"))
    log = folder / "test-1999.rallylog"
    code, _, err = run_captured(["import", str(ARTICLE), "-o", str(log)])
    assert code == 0, err
    return log


def _no_hang_one_line(argv: list[str]) -> None:
    finished = run_standings(argv)
    assert "Traceback" not in finished.err, finished.err
    assert finished.code in (0, 1, 2), finished.err
    if finished.code == 2:
        assert finished.err.count("\n") == 1, finished.err


@pytest.mark.parametrize("side", ["test-1999.toml", "test-1999.documented.json"])
def test_finding_9_a_fifo_beside_the_log_does_not_hang_verify(tmp_path: Path, side: str) -> None:
    """Finding 9 (side files read without the regular-file rule): a FIFO at ``LOG.toml`` or
    ``LOG.documented.json`` hung ``verify``.

    Must hold: refused with one line on stderr and exit 2, or ignored; never a hang.
    """
    log = _imported(tmp_path / "imported")
    (log.parent / side).unlink()
    os.mkfifo(log.parent / side)
    _no_hang_one_line(["verify", str(log)])


def test_finding_9_a_fifo_at_the_draft_editorial_path_does_not_hang_import(
    tmp_path: Path,
) -> None:
    """Finding 9 (side files read without the regular-file rule): a FIFO where ``import
    --infer`` reads and writes the draft editorial file (``LOG-stem.toml``) hung ``import``.

    Must hold: refused with one line on stderr and exit 2, or ignored; never a hang; no log
    is written when it is refused.
    """
    os.mkfifo(tmp_path / "draft.toml")
    log = tmp_path / "draft.rallylog"
    _no_hang_one_line(["import", str(ARTICLE), "-o", str(log), "--infer"])


# ---------------------------------------------------------------------- finding 10


def test_finding_10_an_entries_sheet_of_empty_cells_is_one_line(tmp_path: Path) -> None:
    """Finding 10 (tracebacks): an entries CSV whose cells are all empty (``,,,``) ended in
    an AssertionError.

    Must hold: one line on stderr, exit 2, the log unchanged.
    """
    log = _rally(tmp_path / "t.rallylog")
    sheet = tmp_path / "entries.csv"
    sheet.write_text(",,,\n,,,\n,,,\n", encoding="utf-8")
    before = digest(log)
    try:
        code, out, err = run_captured(["record", str(log), "entries", "--from", str(sheet)])
    except Exception as error:  # the bug: a traceback instead of one line
        pytest.fail(f"a traceback: {type(error).__name__}: {error}")
    assert (code, out, err.count("\n")) == (2, "", 1), err
    assert err.startswith("standings: error: ")
    assert digest(log) == before


def test_finding_10_a_report_of_a_prologue_alone_says_so(tmp_path: Path) -> None:
    """Finding 10 (tracebacks): ``report`` on a rally where only the prologue has results
    ended in an IndexError.

    Must hold: exit 0; the page says there is only the prologue and draws what it can.
    """
    log = _rally(tmp_path / "t.rallylog", kinds=(PROLOGUE, SPECIAL, SPECIAL))
    with Recorder(log) as recorder:
        recorder.append_many([car_result(n, 1, 5 + n - 200) for n in (200, 201, 202)])
    page = tmp_path / "report.html"
    try:
        code, _, err = run_captured(["report", str(log), "-o", str(page)])
    except Exception as error:  # the bug: a traceback
        pytest.fail(f"a traceback: {type(error).__name__}: {error}")
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert "prologue" in text.lower()


def test_finding_10_a_report_never_writes_over_the_log_it_reads(tmp_path: Path) -> None:
    """Finding 10: ``report LOG -o LOG --force`` wrote HTML over the log.

    Must hold: refused (one line, exit 2) even with ``--force``; the log byte-identical.
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many([car_result(n, 1, 60 + n - 200) for n in (200, 201)])
    before = digest(log)
    code, out, err = run_captured(["report", str(log), "-o", str(log), "--force"])
    assert (code, out, err.count("\n")) == (2, "", 1), err
    assert digest(log) == before


# ---------------------------------------------------------------------- finding 11


def _frames_log(path: Path, frames: int, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A log of ``frames`` appends of one result each (fsync skipped: only its shape counts)."""
    create_log(path, events.RallyDeclared(rally_id="t", name="T", year=2024, categories=("cars",)))
    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", lambda fd: None)
        with Recorder(path, checkpoint_lag=None) as recorder:
            recorder.append_many(
                [
                    events.StageScheduled(stage=1, rules=(events.StageRule("cars", SPECIAL),)),
                    *(
                        events.EntryRegistered(
                            entry_id=f"cars:{n}",
                            category="cars",
                            number=str(n),
                            crew=(events.Person(f"D{n}"),),
                        )
                        for n in range(frames)
                    ),
                ]
            )
            for n in range(frames):
                recorder.append(car_result(n, 1, 60 + n))
    return path


def _calls(work: Any) -> int:
    """How many Python and C functions ``work()`` calls: a measure of its work that does not
    depend on the machine or its load."""
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def test_finding_11_log_check_is_linear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 11 (`log check` was quadratic): it snapshotted the whole fold before every
    frame (1.0 s at 1000 frames of 100, 4.3 s at 2000, 19 s at 4000).

    Must hold: checking four times the frames is at most about four times the work: counted
    as function calls (deterministic, no clock), 400 frames cost at most 5 times 100 frames;
    and the fold is not copied or snapshotted once per frame.
    """
    small = _frames_log(tmp_path / "small.rallylog", 100, monkeypatch)
    large = _frames_log(tmp_path / "large.rallylog", 400, monkeypatch)
    assert check_log(small).ok
    assert check_log(large).ok
    copies = {"count": 0}
    with monkeypatch.context() as patched:
        for name in ("snapshot", "copy"):
            original = getattr(Fold, name)

            def counted(self: Fold, *args: Any, _original: Any = original) -> Any:
                copies["count"] += 1
                return _original(self, *args)

            patched.setattr(Fold, name, counted)
        check_log(small)
        small_copies = copies["count"]
        copies["count"] = 0
        check_log(large)
    assert copies["count"] <= max(small_copies, 2), "the fold is copied once per frame"
    small_work, large_work = _calls(lambda: check_log(small)), _calls(lambda: check_log(large))
    assert large_work <= 5 * small_work, f"{small_work} calls for 100 frames, {large_work} for 400"


def test_finding_11_the_check_still_finds_the_first_refused_event(tmp_path: Path) -> None:
    """Finding 11's fix keeps what `log check` reports: the first event the rules refuse, in
    a frame after sound ones, and how many records before it are usable."""
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append(car_result(200, 1, 60))
    records = list(read_records(log))
    bad = events.Record(len(records) + 2, car_result(200, 1, 61))  # a second result for stage 1
    good = events.Record(len(records) + 1, car_result(201, 1, 62))
    path = tmp_path / "bad.rallylog"
    path.write_bytes(encode_log([*records, good, bad]))
    report = check_log(path)
    assert report.violation is not None
    assert "already has a result" in str(report.violation)
    assert report.usable == len(records) + 1


# ---------------------------------------------------------------------- beyond the eleven
# Found by the stateful test (tests/test_one_truth.py) while it was built.


def test_a_checkpoint_reaching_into_a_torn_tail_is_ignored(tmp_path: Path) -> None:
    """Found by the stateful test (finding 1 with a torn tail): a checkpoint whose offset
    lies past the last sound frame, inside a torn tail, made every reader and writer raise
    the internal ``_Torn`` exception (a traceback) instead of ignoring the checkpoint.

    Must hold: such a checkpoint is ignored; answers are a fresh fold's, appends go on.
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many([car_result(n, 1, 60 + n - 200) for n in (200, 201)])
    with open(log, "ab") as handle:  # a crash: zeros where an append should be
        handle.write(b"\0" * 40)
    # what a writer that folded those bytes would write (none does: only a forger)
    write_checkpoint_bytes(log, Fold().apply_all(read_records(log)).state, log.read_bytes())
    truth = fresh_of(log)
    assert load(log).standings("cars").rows == truth.standings("cars").rows
    with Recorder(log) as recorder:
        assert recorder.append(car_result(202, 1, 70)).seq == truth.last_seq + 1
    assert [r.seq for r in read_records(log)] == list(range(1, truth.last_seq + 2))


def test_history_as_of_a_record_inside_a_batch_stops_there(tmp_path: Path) -> None:
    """Found by the stateful test: ``history(rally, category, after, as_of=S)`` with S inside
    a frame of several records (a batch, a sheet import) listed the records after S of that
    frame too (``Rally.as_of`` keeps whole frames; history walked them all).

    Must hold: the history as of S is the history of the first S records.
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        first, _ = recorder.append_many([car_result(200, 1, 60), car_result(201, 1, 59)])
    records = read_records(log)
    got = history(load(log), "cars", 1, as_of=first.seq)
    expected = history(fresh(records, first.seq, source=str(log)), "cars", 1)
    assert [item.record.seq for item in got] == [item.record.seq for item in expected]
    assert to_data(got) == to_data(expected)


def test_a_combined_time_updates_the_reason_an_earlier_gc_gives(tmp_path: Path) -> None:
    """Found by the stateful test: a combined time for stages 1-2 appended after the GC
    after stage 1 was computed left the recorder's (and the server's) GC after stage 1
    saying "no result for stage 1" for that crew, where a fresh fold says "combined time
    for stages 1-2 known only after stage 2" (the span's effect starts at its last stage).

    Must hold: the recorder and the server answer as a fresh fold; the standings handed
    out before the append still say what they said.
    """
    log = _rally(tmp_path / "t.rallylog")
    with Recorder(log) as recorder:
        recorder.append(car_result(200, 1, 60))
    live = LiveRally(log)
    assert live.answer("standings", {"category": "cars", "after": "1"}).status == 200
    with Recorder(log) as recorder:
        earlier = recorder.rally.standings("cars", 1)
        said = plain_standings(earlier)
        recorder.append(car_result(201, 2, 118, first=1))
        truth = fresh_of(log)
        assert plain_standings(recorder.rally.standings("cars", 1)) == plain_standings(
            truth.standings("cars", 1)
        )
        assert plain_standings(earlier) == said
    _assert_live_is_fresh(live, log, tmp_path / "fresh")


def test_history_lists_the_event_that_ends_the_gc(tmp_path: Path) -> None:
    """Attack finding 3: stage 1 a prologue, stage 2 the only special; a result at stage 2
    puts No. 4 in the GC after stage 2, then stage 2 is cancelled and there is no GC after
    stage 2 any more. History listed only the result, so the last GC it showed was one the
    log no longer has.

    Must hold: the cancellation is listed, No. 4 leaving the standings, and the standings it
    gives are the log's after it (no crew classified)."""
    log = tmp_path / "h.rallylog"
    steps = [
        "rally --name H --year 2025 --category cars",
        "stage --number 1 --counts cars=prologue",
        "stage --number 2 --counts cars=special",
        "entry -c cars --number 4 --crew 'D Four'",
        "result -c cars --entry 4 --stage 2 --time 1:00:00",
        "cancel --stage 2 -c cars --reason weather",
    ]
    for step in steps:
        assert run_captured(f"record {log} {step}")[0] == 0
    listed = history(load(log), "cars", 2)
    assert [item.record.seq for item in listed] == [5, 6]
    gone = listed[-1]
    assert [(c.before_position, c.after_position) for c in gone.changes] == [(1, None)]
    assert gone.standings.rows == ()
    assert load(log).standings("cars", 2).rows == ()
