"""The checkpoint beside a log: used when it matches exactly, ignored otherwise, never wrong."""

from __future__ import annotations

import bisect
import itertools
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rally_standings.app import main
from rally_standings.engine import Fold, Rally, Recorder, View, create_log, load
from rally_standings.engine._checkpoint import (
    checkpoint_path,
    folded,
    peek_checkpoint,
    write_checkpoint,
)
from rally_standings.engine._state import (
    PackedSeqs,
    pack_ints,
    pack_seqs,
    unpack_ints,
    unpack_seqs,
)
from rally_standings.events import (
    LogCorruptError,
    LogWriter,
    PenaltyImposed,
    QueryError,
    RallyDeclared,
    Record,
    RuleViolationError,
    WaypointRecorded,
    encode_frame,
    scan_file,
)
from rally_standings.replays import resolve_log
from rally_standings.replays.synth import SynthSpec, write_synth
from tests.helpers import classes_rally
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
    if not scan.trusted:
        return None
    checkpoint.fold()  # raises if its content were refused (``folded`` would refold quietly)
    return folded(checkpoint, scan)


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


def _rewrite_body(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit the checkpoint's body as plain data and seal it again (its checksum recomputed,
    its head untouched): what someone who can write the folder can do."""
    head, body = msgpack.unpackb(checkpoint_path(path).read_bytes(), raw=False)
    state = msgpack.unpackb(body, raw=False)
    edit(state)
    body = msgpack.packb(state, use_bin_type=True)
    head["payload_crc"] = zlib.crc32(body)
    checkpoint_path(path).write_bytes(msgpack.packb([head, body], use_bin_type=True))


def _set_int(table: str, column: str, row: int, value: int) -> Callable[[dict[str, Any]], None]:
    """Set one value of a column (a ``seq`` column is stored as the steps between its rows)."""
    unpack, pack = (unpack_seqs, pack_seqs) if column == "seq" else (unpack_ints, pack_ints)

    def edit(state: dict[str, Any]) -> None:
        values = list(unpack(state["tables"][table][column]))
        values[row] = value
        state["tables"][table][column] = pack(values)

    return edit


def _set_raw(table: str, column: str, raw: object) -> Callable[[dict[str, Any]], None]:
    """Put ``raw`` where a packed column's bytes go (an attack: a number N there once read
    as N zero bytes, a forged checkpoint of a few bytes allocating gigabytes)."""

    def edit(state: dict[str, Any]) -> None:
        state["tables"][table][column] = [state["tables"][table][column][0], raw]

    return edit


def _declarations_in(target: str) -> Callable[[dict[str, Any]], None]:
    def edit(state: dict[str, Any]) -> None:
        rows = len(unpack_ints(state["tables"][target]["seq"]))
        declaration = load(resolve_log("example-rally")).records[0]
        records = [Record(row + 1, declaration.event) for row in range(rows)]
        state["tables"][target]["event"] = encode_frame(records)

    return edit


def _answers(rally: Rally) -> list[object]:
    """Every category's standings after every stage."""
    return [[s.rows for s in rally.replay(category)] for category in rally.categories]


def _with_splits(tmp_path: Path) -> Path:
    """A rally with waypoint splits (a table read packed from the checkpoint) and a
    checkpoint beside it."""
    path = classes_rally(tmp_path / "splits.rallylog")
    write_checkpoint(path)
    return path


@pytest.mark.parametrize(
    ("build", "edit", "why"),
    [
        (_with_splits, _set_int("splits", "entry", 0, 255), "splits.entry: a row beyond"),
        (_with_splits, _set_int("splits", "entry", 1, 5), "splits.entry: a row beyond"),
        (_with_splits, _set_int("splits", "provenance", 1, 3), "splits.provenance: a row"),
        (_with_splits, _set_int("splits", "seq", 2, 1), "splits.seq: rows not in record order"),
    ]
    + [
        (_example, edit, why)
        for edit, why in [
            (_set_int("results", "provenance", 2, 200), "results.provenance: a row beyond"),
            (_set_int("results", "entry", 0, 10_000), "results.entry: a row beyond"),
            (_set_int("adjustments", "entry", 0, 10_000), "adjustments.entry: a row beyond"),
            (_set_int("results", "seq", 0, 10_000), "results.seq: rows not in record order"),
            (_set_int("results", "seq", -1, 10_000), "results: rows not in record order up to"),
            (_declarations_in("adjustments"), "adjustments.event: an event of another"),
            (_set_raw("results", "time", 10**12), "results.time: not the bytes of a column: int"),
            (_set_raw("corrections", "result", [1, 2]), "corrections.result: not the bytes of"),
            (_set_raw("splits", "time", 3), "splits.time: not the bytes of a column"),
        ]
    ],
)
def test_a_checkpoint_no_fold_could_have_written_is_ignored_and_fix_removes_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    build: Callable[[Path], Path],
    edit: Callable[[dict[str, Any]], None],
    why: str,
) -> None:
    """A checkpoint sealed again after its content was edited into something no fold
    builds (a row number past its table, rows out of order, an event in the wrong table),
    in a table read as lists or one kept packed (the splits): readers fold the log instead,
    `log check` says it is not used and why (exit 0, no traceback), and `--fix` removes it.
    Found by an adversarial run: `log check` ended in an IndexError and readers trusted it."""
    path = build(tmp_path)
    expected = [s.rows for s in load_without_checkpoint(path).replay("cars")]
    _rewrite_body(path, edit)
    assert peek_checkpoint(path) is not None  # whole, sealed, bound to the log's bytes
    with pytest.raises(ValueError, match=why):
        _from_checkpoint(path)
    assert [s.rows for s in load(path).replay("cars")] == expected
    assert main(["log", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "not used by readers (its content is not a state a fold could build: " in out
    assert why in out
    assert main(["log", "check", "--fix", str(path)]) == 0
    assert "removed" in capsys.readouterr().out
    assert not checkpoint_path(path).exists()


def test_a_checkpoint_edited_into_another_fold_is_reported_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checkpoint whose content is well formed but not the log's fold (a time changed):
    readers would trust it, so `log check` names it WRONG and exits 1; `--fix` removes it
    and the answers are the log's again."""
    path = _example(tmp_path)
    expected = _answers(load_without_checkpoint(path))
    _rewrite_body(path, _set_int("results", "time", -1, 1))
    assert _answers(load(path)) != expected  # what a forger can do
    assert main(["log", "check", str(path)]) == 1
    assert "IS WRONG" in capsys.readouterr().out
    assert main(["log", "check", "--fix", str(path)]) == 0
    assert _answers(load(path)) == expected


def test_a_checkpoint_vouching_for_a_torn_tail_is_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checkpoint whose head covers the zero bytes of an interrupted append (forged:
    the CRC recomputed over them): readers ignore it and read the sound frames, `record`
    cuts the tail as always. Found by an adversarial run: every reader ended in a
    traceback."""
    path = _example(tmp_path)
    expected = [s.rows for s in load_without_checkpoint(path).replay("cars")]
    with path.open("ab") as handle:
        handle.write(b"\0" * 40)
    head, body = msgpack.unpackb(checkpoint_path(path).read_bytes(), raw=False)
    data = path.read_bytes()
    head["offset"], head["crc"] = len(data), zlib.crc32(data)
    checkpoint_path(path).write_bytes(msgpack.packb([head, body], use_bin_type=True))
    assert _from_checkpoint(path) is None
    assert [s.rows for s in load(path).replay("cars")] == expected
    assert main(["show", str(path), "-c", "cars", "-f", "json"]) == 0
    assert main(["log", "check", str(path)]) == 0
    assert "not used by readers" in capsys.readouterr().out


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.integers(0, 300), max_size=40),
    indexes=st.lists(st.integers(-45, 45), max_size=12),
    cut=st.integers(0, 45),
)
def test_a_packed_seq_column_reads_as_the_values_its_steps_add_up_to(
    steps: list[int], indexes: list[int], cut: int
) -> None:
    """A packed table's seq column (``PackedSeqs``, read from the checkpoint's steps without
    adding them up) answers every read as the list of the values would: its length, any
    index (negative too, out of range too), any prefix, and its iteration, in any order."""
    values = list(itertools.accumulate(steps))
    column = unpack_seqs(pack_seqs(values), keep_packed=True)
    assert isinstance(column, PackedSeqs)
    prefix = column[:cut]
    for index in indexes:
        for seqs, expected in ((column, values), (prefix, values[:cut])):
            try:
                want: int | None = expected[index]
            except IndexError:
                want = None
            if want is None:
                with pytest.raises(IndexError):
                    seqs[index]
            else:
                assert seqs[index] == want
    assert len(prefix) == len(values[:cut])
    assert list(prefix) == values[:cut]
    assert column[1:cut] == values[1:cut]
    assert len(column) == len(values)
    assert list(column) == values
    assert bisect.bisect_right(column, cut) == bisect.bisect_right(values, cut)


def _flip_middle(path: Path) -> None:
    raw = bytearray(checkpoint_path(path).read_bytes())
    raw[len(raw) // 2] ^= 0x40
    checkpoint_path(path).write_bytes(bytes(raw))


def _cut_short(path: Path) -> None:
    raw = checkpoint_path(path).read_bytes()
    checkpoint_path(path).write_bytes(raw[: len(raw) // 2])


def _of_another_log(path: Path) -> None:
    other = _with_splits(path.parent)
    shutil.copyfile(checkpoint_path(other), checkpoint_path(path))


def _another_version(path: Path) -> None:
    head, payload = msgpack.unpackb(checkpoint_path(path).read_bytes(), raw=False)
    head["checkpoint"] = "another-shape"
    checkpoint_path(path).write_bytes(msgpack.packb([head, payload], use_bin_type=True))


def _log_cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:12])  # the header alone


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        (_flip_middle, "damaged: its body does not match its checksum"),
        (_cut_short, "damaged or cut short: it cannot be decoded"),
        (_of_another_log, "it was taken from other bytes (another log, or an earlier one)"),
        (_another_version, "written by another version of this program, or its head damaged"),
        (
            _log_cut,
            "it covers more bytes than the log holds (another log's, or the log was cut or "
            "replaced)",
        ),
    ],
)
def test_log_check_says_why_a_checkpoint_is_not_used(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spoil: Callable[[Path], None],
    why: str,
) -> None:
    """`log check` names what is wrong with a checkpoint readers ignore, in words (not a
    library's error text), and `--fix` removes it (found by a newcomer: a flipped byte was
    "not a checkpoint of this version", a cut one "Unpack failed: incomplete input")."""
    path = _example(tmp_path)
    spoil(path)
    main(["log", "check", str(path)])
    assert f"checkpoint example.rallylog.checkpoint: not used by readers ({why})\n" in (
        capsys.readouterr().out
    )
    main(["log", "check", "--fix", str(path)])
    assert f"checkpoint example.rallylog.checkpoint: removed ({why})\n" in capsys.readouterr().out
    assert not checkpoint_path(path).exists()


def test_log_check_fix_says_a_checkpoint_it_cannot_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory where the checkpoint would be: readers ignore it, and `--fix` says it
    could not remove it rather than ending in an error without the report; the fix asked for
    failed, so the exit status is 1."""
    path = _example(tmp_path)
    checkpoint_path(path).unlink()
    checkpoint_path(path).mkdir()
    assert main(["log", "check", "--fix", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: PROBLEMS\n")
    assert "(a directory, not a checkpoint), and could not be removed: remove it by hand" in out
