"""The checkpoint beside a log: used when it matches exactly, ignored otherwise, never wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rally_standings.engine import Fold, Rally, Recorder, View, create_log, load
from rally_standings.engine._checkpoint import checkpoint_path, folded, peek_checkpoint
from rally_standings.events import (
    LogCorruptError,
    LogWriter,
    PenaltyImposed,
    QueryError,
    RallyDeclared,
    Record,
    RuleViolationError,
    WaypointRecorded,
    scan_file,
)
from rally_standings.replays import resolve_log
from rally_standings.replays.synth import SynthSpec, write_synth
from tests.strategies import rally_records


def _write(path: Path, records: list[Record], cut: int) -> None:
    """The records as a log written in two recorder sessions (split at ``cut``)."""
    first = records[0].event
    assert isinstance(first, RallyDeclared)
    create_log(path, first)
    with Recorder(path, checkpoint_lag=1) as recorder:
        recorder.append_many([r.event for r in records[1:cut]])
    with Recorder(path, checkpoint_lag=1) as recorder:
        recorder.append_many([r.event for r in records[cut:]])


def _from_checkpoint(path: Path) -> Fold | None:
    """The fold a reader makes of the log with its checkpoint, None if it would not use it."""
    checkpoint = peek_checkpoint(path)
    if checkpoint is None:
        return None
    scan = scan_file(path, trusted=checkpoint.trusted)
    return folded(checkpoint, scan) if scan.trusted else None


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_a_checkpoint_equals_a_full_fold(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Folding from the checkpoint a recorder leaves equals folding the whole log.

    Two recorder sessions: the second opens from the first's checkpoint and leaves
    its own. Both the state and every standings answer agree with a full fold.
    """
    records = data.draw(rally_records())
    if len(records) < 2:
        return
    cut = data.draw(st.integers(min_value=1, max_value=len(records)))
    folder = tmp_path_factory.mktemp("ckpt")
    path = folder / "log.rallylog"
    _write(path, records, cut)
    fold = _from_checkpoint(path)
    assert fold is not None  # the second session left a checkpoint that matches
    full = Fold().apply_all(records)
    assert fold.snapshot() == full.snapshot()
    rally = load(path)
    for category in rally.categories:
        try:
            replay = rally.replay(category)
        except QueryError:  # no results in this category yet: nothing to compare
            continue
        expected = load_without_checkpoint(path).replay(category)
        assert [s.rows for s in replay] == [s.rows for s in expected]


def load_without_checkpoint(path: Path) -> Rally:
    """The log folded from its first frame, whatever lies beside it."""
    return Rally.from_frames(scan_file(path).frames, source=str(path))


def _example(tmp_path: Path) -> Path:
    path = tmp_path / "example.rallylog"
    shutil.copyfile(resolve_log("example-rally"), path)
    with Recorder(path, checkpoint_lag=1) as recorder:
        recorder.append(
            PenaltyImposed(
                penalty_id="CK", entry_id="cars:201", stage=5, amount_ms=60_000, reason="x"
            )
        )
    assert checkpoint_path(path).exists()
    return path


def test_a_damaged_checkpoint_is_ignored(tmp_path: Path) -> None:
    """A flipped byte in the checkpoint: it is not used, and the answer is the full fold's."""
    path = _example(tmp_path)
    expected = load(path).standings("cars").rows
    raw = bytearray(checkpoint_path(path).read_bytes())
    raw[len(raw) // 2] ^= 0x40
    checkpoint_path(path).write_bytes(bytes(raw))
    assert _from_checkpoint(path) is None
    assert load(path).standings("cars").rows == expected


def test_a_checkpoint_of_another_log_is_ignored(tmp_path: Path) -> None:
    """A log replaced by another (same length prefix or not) no longer matches its checkpoint."""
    path = _example(tmp_path)
    other = tmp_path / "other.rallylog"
    shutil.copyfile(resolve_log("dakar-2004"), other)
    shutil.copyfile(checkpoint_path(path), checkpoint_path(other))
    assert _from_checkpoint(other) is None
    assert load(other).standings("cars").leader is not None


def test_a_checkpoint_from_another_schema_is_ignored(tmp_path: Path) -> None:
    """A checkpoint that says it was written for another shape of the state is not read."""
    path = _example(tmp_path)
    head, payload = msgpack.unpackb(checkpoint_path(path).read_bytes(), raw=False)
    head["checkpoint"] = "another-shape"
    checkpoint_path(path).write_bytes(msgpack.packb([head, payload], use_bin_type=True))
    assert _from_checkpoint(path) is None


def test_appends_by_another_writer_are_folded_after_the_checkpoint(tmp_path: Path) -> None:
    """A checkpoint left behind by later appends still covers its prefix; the rest is folded."""
    path = _example(tmp_path)
    with LogWriter(path) as writer:  # appends without updating the checkpoint
        writer.append(
            [
                PenaltyImposed(
                    penalty_id="LATE", entry_id="cars:200", stage=5, amount_ms=1_000, reason="y"
                )
            ]
        )
    fold = _from_checkpoint(path)
    assert fold is not None
    assert View(fold, fold.last_seq).penalty("LATE") is not None
    assert fold.snapshot() == Fold().apply_all(load(path).records).snapshot()


def test_a_truncated_log_does_not_match_its_checkpoint(tmp_path: Path) -> None:
    """Cut the log before the checkpoint's offset: no frame ends there, so a full fold."""
    path = _example(tmp_path)
    scan = scan_file(path)
    path.write_bytes(path.read_bytes()[: scan.ends[-2]])
    assert _from_checkpoint(path) is None
    assert load(path).fold.penalty("CK") is None


def test_a_matching_checkpoint_spares_decoding_what_it_covers(tmp_path: Path) -> None:
    """Reading a log with its checkpoint decodes only the frames after it; the records
    before it are still there (decoded when asked for) and equal to a full read."""
    path = _example(tmp_path)
    checkpoint = peek_checkpoint(path)
    assert checkpoint is not None
    scan = scan_file(path, trusted=checkpoint.trusted)
    assert scan.trusted == len(scan.ends)  # the recorder's checkpoint covers every frame
    assert scan.count == load_without_checkpoint(path).last_seq
    assert scan.records == scan_file(path).records


def test_damage_inside_a_checkpointed_prefix_is_still_refused(tmp_path: Path) -> None:
    """A flipped byte before the checkpoint's offset: the prefix no longer matches, every
    frame is read, and the damage is refused as always (a checkpoint hides nothing)."""
    path = _example(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[200] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(LogCorruptError):
        load(path)


def test_splits_in_a_checkpoint_answer_and_refuse_as_a_full_folds(tmp_path: Path) -> None:
    """A checkpoint's waypoint splits answer and refuse exactly as a full fold's."""
    path = tmp_path / "splits.rallylog"
    write_synth(path, SynthSpec(entries=12, stages=3, waypoints=2, seed=4))
    with Recorder(path, checkpoint_lag=1) as recorder:
        recorder.append(
            PenaltyImposed(penalty_id="CK", entry_id="cars:200", stage=2, amount_ms=1, reason="x")
        )
    fold = _from_checkpoint(path)
    assert fold is not None
    full = Fold().apply_all(load(path).records)
    assert fold.snapshot() == full.snapshot()
    ours, theirs = View(fold, fold.last_seq), View(full, full.last_seq)
    assert ours.waypoints(2) == theirs.waypoints(2)
    assert ours.split_times(2, 1) == theirs.split_times(2, 1)
    entry = ours.entry_at(next(iter(ours.split_times(2, 1)))).entry_id
    again = Record(
        fold.last_seq + 1, WaypointRecorded(entry_id=entry, stage=2, waypoint=1, time_ms=1_000)
    )
    with pytest.raises(RuleViolationError):  # one split per entry and waypoint, as before
        fold.apply(again)
