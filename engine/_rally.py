"""The Python API: load a log and ask it questions; record events into a log.

A ``Rally`` is a log folded, read as of one record: the last one, which a rally
following a log (a ``Recorder``'s, the live server's) moves on with each append, or a
fixed earlier one (``as_of``: the same fold, read as it stood then; nothing is folded
again). What it hands out reads through a ``View`` fixed at the record it was made at,
so it never changes afterwards.

It keeps, per category, what it has computed: the GC after the stages asked for, and a
``Running`` classification of the latest one that follows each append in place when
the append only changes one entry's time at that stage. Any other change drops what it
can have changed (from its stage on), and the rest stays. A test compares every answer
with a fresh fold of the same records, after random appends, in random order.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..events import (
    EntryRegistered,
    Event,
    Frame,
    LogScan,
    LogWriter,
    QueryError,
    RallyDeclared,
    Record,
    RuleViolationError,
    SourceKind,
    TornTail,
    create_log_file,
    decode_frame,
    encode_frame,
    scan_bytes,
    scan_file,
)
from ._checkpoint import folded, peek_checkpoint, save_checkpoint
from ._fold import Effect, Fold
from ._names import name_matches
from ._stage import StageResult, stage_ranking, standings_at_waypoint, waypoint_ranking
from ._standings import (
    Ranking,
    Running,
    Standings,
    gc_stages,
    require_category,
    require_stage,
    require_waypoint,
)
from ._state import FoldState
from ._view import View

__all__ = ["CHECKPOINT_LAG", "Rally", "Recorder", "create_log", "find_entry", "load", "now_iso"]

CHECKPOINT_LAG = 32
"""A recorder refreshes the checkpoint when the log has this many frames past it (or there is
none): at most this many frames are folded on opening, and most appends write only the log."""


def now_iso() -> str:
    """The current UTC time as recorded on an event (ISO-8601, seconds)."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class _Cache:
    """What a rally has computed for one category: classifications and a running one."""

    __slots__ = ("default", "known", "ranking", "running")

    def __init__(self, view: View, category: str) -> None:
        self.ranking = Ranking.of(view, category)
        self.running: Running | None = None
        """The GC after the latest stage asked for, followed in place."""
        self.known: dict[int, tuple[list[int], int]] = {}
        """stage -> (keys, awards) of a GC computed and still valid (never changed)."""
        self.default: int | bool | None = False
        """The last stage with results (``False``: not looked up yet)."""


class Rally:
    """A rally log folded into state, answering standings questions as of one record."""

    def __init__(self, records: Sequence[Record] = (), *, source: str = "<records>") -> None:
        self._setup((), tuple(records), Fold().apply_all(records), source, None)

    def _setup(
        self,
        frames: Sequence[Frame] | LogScan,
        tail: Sequence[Record],
        fold: Fold,
        source: str,
        seq: int | None,
    ) -> None:
        self._frame_source: tuple[Frame, ...] | LogScan = (
            frames if isinstance(frames, LogScan) else tuple(frames)
        )
        self._tail: list[Record] = list(tail)
        self.source = source
        self._fold = fold
        self._seq = seq
        """The record this rally is read as of (None: the fold's last, as it moves on)."""
        self._caches: dict[str, _Cache] = {}

    @classmethod
    def from_fold(
        cls,
        frames: Sequence[Frame] | LogScan,
        tail: Sequence[Record],
        fold: Fold,
        *,
        source: str,
    ) -> Rally:
        """Wrap an already folded state without folding again.

        ``frames`` (or the scan that holds them) and then ``tail`` are what was folded;
        records are built from them only when asked for.
        """
        rally = cls.__new__(cls)
        rally._setup(frames, tail, fold, source, None)
        return rally

    @classmethod
    def from_frames(cls, frames: Sequence[Frame], *, source: str) -> Rally:
        """Fold decoded log frames."""
        return cls.from_fold(frames, (), Fold().apply_frames(frames), source=source)

    def with_appended(self, records: Sequence[Record], fold: Fold, *, source: str) -> Rally:
        """This rally with ``records`` after it, already folded into ``fold`` (a copy)."""
        upto = self.last_seq
        tail = [record for record in self._tail if record.seq <= upto]
        frames = [frame for frame in self.frames() if frame.first_seq <= upto]
        return Rally.from_fold(frames, (*tail, *records), fold, source=source)

    # ------------------------------------------------------------------ the log behind it

    def frames(self) -> tuple[Frame, ...]:
        """The log's frames folded (those a checkpoint covered are decoded only now, if ever)."""
        if isinstance(self._frame_source, LogScan):
            self._frame_source = self._frame_source.frames
        return self._frame_source

    def tail(self) -> tuple[Record, ...]:
        """The records folded after the frames (appended by a recorder, or hypothetical)."""
        return tuple(record for record in self._tail if record.seq <= self.last_seq)

    @property
    def records(self) -> tuple[Record, ...]:
        """Every record, in order, up to the rally's record (built from the frames)."""
        return tuple(self.iter_records())

    def iter_records(self, since: int = 1) -> Iterator[Record]:
        """Every record from ``since`` on, in order, up to the rally's record, built one at a
        time (those before ``since`` are not built)."""
        limit = self.last_seq
        for frame in self.frames():
            if frame.first_seq > limit:
                return
            if frame.last_seq >= since:
                yield from frame.records(
                    where=self.source, limit=limit - frame.first_seq + 1, since=since
                )
        yield from (record for record in self.tail() if record.seq >= since)

    def source_kinds(self) -> Counter[SourceKind]:
        """How many records come from each kind of source (printed, recorded, …), counted
        from the frames' provenance columns without building the records."""
        limit = self.last_seq
        counts: Counter[SourceKind] = Counter()
        for frame in self.frames():
            if frame.first_seq <= limit:
                counts.update(frame.source_kinds(limit=limit - frame.first_seq + 1))
        counts.update(record.event.provenance.kind for record in self.tail())
        return counts

    @property
    def log_end(self) -> int:
        """Where the log's frames folded end (a byte offset; 0 for records not from a file)."""
        source = self._frame_source
        return source.valid_end if isinstance(source, LogScan) else 0

    @property
    def log_version(self) -> int:
        """The log file's format version (2 for records not from a file)."""
        source = self._frame_source
        return source.version if isinstance(source, LogScan) else 2

    # ------------------------------------------------------------------ following a log

    def extend(
        self, records: Iterable[Record] = (), *, frames: Iterable[Frame] = ()
    ) -> list[Effect]:
        """Fold more of the log in (checked by the rules), keeping the caches up to date;
        returns what the events may have changed (their effects, in order)."""
        if self._seq is not None:
            raise QueryError(
                "a rally read as of an earlier record does not follow the log",
                where=self.source,
                expected="the rally itself",
                received=f"as of seq {self._seq}",
            )
        effects: list[Effect] = []
        for frame in frames:
            effects += self._fold.apply_frame(frame)
            self._frame_source = (*self.frames(), frame)
        for record in records:
            effect = self._fold.apply(record)
            self._tail.append(record)
            if effect is not None:
                effects.append(effect)
        self._changed(effects)
        return effects

    def _follow(self, records: Sequence[Record], effects: Sequence[Effect]) -> None:
        """Records a recorder has folded and written: keep them, and follow their effects."""
        self._tail.extend(records)
        self._changed(effects)

    def _changed(self, effects: Sequence[Effect]) -> None:
        """Update or drop what the caches hold, for each effect in order."""
        view = self.view
        for effect in effects:
            for category in effect.categories:
                cache = self._caches.get(category)
                if cache is None:
                    continue
                cache.default = False
                if effect.stage is None:
                    del self._caches[category]
                    continue
                for stage in [s for s in cache.known if s >= effect.stage]:
                    del cache.known[stage]
                if cache.running is not None and not cache.running.apply(view, effect):
                    cache.running = None

    # ------------------------------------------------------------------ facts

    @property
    def view(self) -> View:
        """The rally's state as of its record, read-only (what every query reads)."""
        return View(self._fold, self.last_seq)

    @property
    def fold(self) -> View:
        """The fold behind this rally, as of its record (read only)."""
        return self.view

    @property
    def declaration(self) -> RallyDeclared:
        """The rally-declared event."""
        rally = self.view.rally
        if rally is None:
            raise QueryError(
                "the log declares no rally",
                where=self.source,
                expected="a rally-declared event first",
                received="none",
            )
        return rally

    @property
    def name(self) -> str:
        """The rally's name."""
        return self.declaration.name

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories, in declared order."""
        return self.declaration.categories

    @property
    def last_seq(self) -> int:
        """The sequence number of the record the rally is read as of."""
        return self._fold.last_seq if self._seq is None else self._seq

    def fold_of_hypotheses(self) -> Fold:
        """A fold of the rally as of its record, on its own, to fold hypothetical events into
        (a fork, in no time, of the rally's current state; a copy of an earlier one)."""
        if self.last_seq == self._fold.last_seq:
            return self._fold.fork()
        return self._fold.prefix(self.last_seq)

    def snapshot(self) -> FoldState:
        """A copy of the folded state as of the rally's record."""
        return self._fold.state.prefix(self.last_seq)

    def entries(self, category: str | None = None) -> tuple[EntryRegistered, ...]:
        """Registered entries, in registration order, optionally of one category."""
        return self.view.entries(category)

    def stages(self) -> tuple[int, ...]:
        """Scheduled stage numbers, in order."""
        return self.view.stage_numbers()

    def find_entry(self, category: str, ref: str) -> EntryRegistered:
        """An entry of ``category`` by race number, entry id, or a name that is unambiguous."""
        self.require_category(category)
        return find_entry(self.view, category, ref)

    def require_category(self, category: str) -> None:
        """Refuse a category the rally does not have (a QueryError naming those it has)."""
        if category not in self.categories:
            raise QueryError.unknown(
                "unknown category", self.categories, category, where=self.source
            )

    # ------------------------------------------------------------------ as-of

    def as_of(self, seq: int | None) -> Rally:
        """The rally as known when record ``seq`` had been recorded (``None``: this one).

        The same fold, read as it stood then: nothing is folded again, and nothing is
        kept once the rally returned is dropped.
        """
        if seq is None or seq == self.last_seq:
            return self
        if not 1 <= seq <= self.last_seq:
            raise QueryError(
                "no such log sequence",
                where=self.source,
                expected=f"a sequence number from 1 to {self.last_seq}",
                received=seq,
            )
        earlier = Rally.__new__(Rally)
        earlier._setup(
            self._frame_source, self._tail, self._fold, f"{self.source} as of seq {seq}", seq
        )
        return earlier

    # ------------------------------------------------------------------ queries

    def _cache(self, category: str) -> _Cache:
        cache = self._caches.get(category)
        if cache is None:
            cache = self._caches[category] = _Cache(self.view, category)
        return cache

    def default_stage(self, category: str) -> int:
        """The last stage with results (or an awarded time) for ``category``."""
        self.require_category(category)
        cache = self._cache(category)
        if cache.default is False:
            cache.default = self.view.last_result_stage(category)
        stage = cache.default
        if stage is None or stage is True:
            raise QueryError(
                "no results yet",
                where=f"{self.source}, {category}",
                expected="at least one stage result",
                received="none",
            )
        return stage

    def standings(
        self, category: str, after: int | None = None, *, as_of: int | None = None
    ) -> Standings:
        """The GC of ``category`` after stage ``after`` (default: the last with results)."""
        rally = self.as_of(as_of)
        stage = rally.default_stage(category) if after is None else after
        view = rally.view
        require_category(view, category)
        require_stage(view, stage)
        if stage not in gc_stages(view, category):  # only a prologue so far: no one yet
            ranking = rally._cache(category).ranking
            return Standings(view, category, stage, [], 0, ranking, as_of=as_of, before_gc=True)
        return rally._standings(category, stage, as_of)

    def _standings(self, category: str, stage: int, as_of: int | None = None) -> Standings:
        cache, view = self._cache(category), self.view
        known = cache.known.get(stage)
        if known is not None:
            keys, awards = known
            return Standings(view, category, stage, keys, awards, cache.ranking, as_of=as_of)
        running = cache.running
        if running is None or running.stage > stage:
            running = Running(view, category, cache.ranking, stage)
            if cache.running is None or cache.running.stage < stage:
                cache.running = running
        elif running.stage < stage:  # kept: the moves of later stages count from it
            cache.known[running.stage] = (running.hand_out(), running.accumulator.awards)
            running.advance_to(view, stage)
        cache.known[stage] = (running.hand_out(), running.accumulator.awards)
        return running.standings(view, as_of=as_of)

    def previous_standings(
        self, category: str, stage: int, *, as_of: int | None = None
    ) -> Standings | None:
        """The GC that the moves after stage ``stage`` are counted from: after the GC stage
        before it (at most the last stage with results); None where there is none."""
        rally = self.as_of(as_of)
        try:
            last = rally.default_stage(category)
        except QueryError:  # no results yet
            return None
        earlier = [s for s in gc_stages(rally.view, category) if s < stage and s <= last]
        return rally.standings(category, earlier[-1], as_of=as_of) if earlier else None

    def replay(self, category: str, *, as_of: int | None = None) -> tuple[Standings, ...]:
        """The GC after every stage, from the first that counts to the last with results (before
        the first that counts: the one, empty, standings after the last stage run)."""
        rally = self.as_of(as_of)
        last = rally.default_stage(category)
        stages = [stage for stage in gc_stages(rally.view, category) if stage <= last]
        if not stages:  # only a prologue so far: the one, empty, standings after it
            return (rally.standings(category, last, as_of=as_of),)
        return tuple(rally._standings(category, stage, as_of) for stage in stages)

    def stage_result(
        self,
        category: str,
        stage: int,
        *,
        waypoint: int | None = None,
        as_of: int | None = None,
        entry_class: str | None = None,
    ) -> StageResult:
        """The ranking of one stage, or at one of its waypoints (elapsed times there);
        ``entry_class``: of the entries of that class only."""
        view = self.as_of(as_of).view
        if waypoint is not None:
            return waypoint_ranking(
                view, category, stage, waypoint, as_of=as_of, entry_class=entry_class
            )
        return stage_ranking(view, category, stage, as_of=as_of, entry_class=entry_class)

    # ------------------------------------------------------------------ classes and waypoints

    def classes(self, category: str, *, as_of: int | None = None) -> tuple[str, ...]:
        """The classes of ``category``'s entries, in order of first registration."""
        rally = self.as_of(as_of)
        rally.require_category(category)
        return rally.view.classes(category)

    def waypoint_standings(
        self, category: str, stage: int, waypoint: int, *, as_of: int | None = None
    ) -> Standings:
        """The virtual GC at waypoint ``waypoint`` of ``stage``: the GC after the stage before
        it, plus the penalties in force imposed at ``stage``, plus each crew's elapsed time
        at the waypoint (``standings_at_waypoint``)."""
        rally = self.as_of(as_of)
        view = rally.view
        require_waypoint(view, category, stage, waypoint)
        earlier = [s for s in view.stage_numbers() if s < stage]
        before = None
        if earlier and earlier[-1] in gc_stages(view, category):
            before = rally._standings(category, earlier[-1])
        return standings_at_waypoint(view, category, stage, waypoint, before, as_of=as_of)


def find_entry(view: View, category: str, ref: str) -> EntryRegistered:
    """An entry of ``category`` by race number, entry id, or a name that is unambiguous."""
    require_category(view, category)
    by_number = view.entry_by_number(category, ref.strip())
    if by_number is not None:
        return by_number
    entry = view.entry(ref)
    if entry is not None and entry.category == category:
        return entry
    entries = view.entries(category)
    matches = [e for e in entries if name_matches(ref, e.crew[0].name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = "; ".join(f"{m.number or m.entry_id} {m.crew[0].name}" for m in matches)
        raise QueryError(
            "ambiguous entry",
            where=category,
            expected="a race number or a name matching one entry",
            received=f"{ref!r} matches {names}",
        )
    numbers = [e.number for e in entries if e.number][:10]
    drivers = [e.crew[0].name for e in entries if not e.number][:3]
    if not entries:
        expected = f"an entry of {category} (none is registered yet)"
    elif not numbers:
        expected = f"a driver's name in {category} (e.g. {', '.join(drivers)})"
    else:
        expected = f"a race number of {category} (e.g. {', '.join(numbers)})"
        if drivers:
            expected += f" or a driver's name (e.g. {', '.join(drivers)})"
        else:
            expected += " or a driver's name"
    raise QueryError("unknown entry", where=category, expected=expected, received=ref)


def load(
    path: str | os.PathLike[str], *, source: str | None = None, data: bytes | None = None
) -> Rally:
    """Read and fold the log file at ``path`` (``source``: how to name it, default the path;
    ``data``: its bytes, already read).

    A checkpoint beside the log (``LOG.checkpoint``) that matches it exactly saves
    decoding and folding what it covers; the answer is the same either way.
    """
    checkpoint = peek_checkpoint(Path(path))
    trusted = None if checkpoint is None else checkpoint.trusted
    if data is None:
        scan = scan_file(path, trusted=trusted)
    else:
        scan = scan_bytes(data, path=str(path), trusted=trusted)
    fold = folded(checkpoint, scan)
    return Rally.from_fold(scan, (), fold, source=str(path) if source is None else source)


def create_log(
    path: str | os.PathLike[str], declaration: RallyDeclared, *, recorded_at: str | None = None
) -> Record:
    """Create a new log whose first event declares the rally."""
    return create_log_file(path, declaration, recorded_at=recorded_at)


_BULK_BATCH = 256
"""A batch this large is folded as a frame (runs of results and splits checked in bulk)."""


def _refused(error: RuleViolationError, seq: int) -> RuleViolationError:
    """A refused append's error, saying plainly that nothing was written and where in the
    batch the refused event stands (the seq it names was never written)."""
    where = error.where or "event"
    kind = where.split(",")[0] if where.split(",")[0].endswith(" event") else "event"
    index = None
    if ", seq " in where:
        with contextlib.suppress(ValueError):
            index = int(where.rsplit(", seq ", 1)[1]) - seq
    return RuleViolationError(
        error.what,
        where=f"{kind}, refused: nothing was written",
        expected=error.expected,
        received=error.received,
        index=index,
    )


class Recorder:
    """The writer of a log: validates every event against the rally so far, then appends.

    Holds the log's lock from construction to ``close``. A refused event raises and writes
    nothing; an append that returns has been fsync'd. Its ``rally`` follows the appends.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        wait_seconds: float = 0.0,
        checkpoint_lag: int | None = CHECKPOINT_LAG,
    ) -> None:
        self.path = Path(path)
        self._lag = checkpoint_lag
        checkpoint = peek_checkpoint(self.path)
        self._writer = LogWriter(
            self.path,
            wait_seconds=wait_seconds,
            trusted=None if checkpoint is None else checkpoint.trusted,
        )
        self._wrote = False
        try:
            scan = self._writer.scan_at_open
            fold = folded(checkpoint, scan)
            self._rally = Rally.from_fold(scan, (), fold, source=str(self.path))
            self._behind = len(scan.ends) - scan.trusted
            """How many frames the checkpoint (if any) lags behind the log."""
        except BaseException:
            self._writer.close()
            raise
        self._fold = fold

    @property
    def recovered_bytes(self) -> int:
        """Bytes of the torn tail (an interrupted append) found at the end of the log, if any.

        Opening changes nothing; the first accepted append cuts them off (``cut``).
        """
        return self._writer.recovered_bytes

    @property
    def torn_tail(self) -> TornTail | None:
        """A torn tail still in the file: the next accepted append cuts it off."""
        return self._writer.torn_tail

    @property
    def cut(self) -> TornTail | None:
        """The torn tail an append of this recorder cut off, once that append returned."""
        return self._writer.cut

    @property
    def rally(self) -> Rally:
        """The rally as recorded so far (it follows later appends)."""
        return self._rally

    @property
    def fold(self) -> View:
        """The rally's state as recorded so far (read only)."""
        return self._rally.view

    def find_entry(self, category: str, ref: str) -> EntryRegistered:
        """An entry by race number, id or unambiguous name (see ``Rally.find_entry``)."""
        return self._rally.find_entry(category, ref)

    def append(self, event: Event, *, recorded_at: str | None = None) -> Record:
        """Validate and durably append one event."""
        return self.append_many([event], recorded_at=recorded_at)[0]

    def append_many(
        self, events: Iterable[Event], *, recorded_at: str | None = None
    ) -> tuple[Record, ...]:
        """Validate all events in order, then append them with one write and one fsync.

        If any event is refused (the error's ``index`` says which), or the write fails,
        none is written and the recorder's state is as it was.
        """
        batch = list(events)
        if not batch:
            return ()
        fold = self._fold
        seq = fold.last_seq + 1
        records = [
            Record(seq=seq + offset, event=event, recorded_at=recorded_at)
            for offset, event in enumerate(batch)
        ]
        effects: list[Effect] = []
        with fold.tentative():
            try:
                if len(records) >= _BULK_BATCH:
                    # A large batch is checked the way a log is read: runs of results and
                    # splits in bulk, under the handlers' own rules (same refusals).
                    effects = fold.apply_frame(decode_frame(encode_frame(records)))
                else:
                    for record in records:
                        effect = fold.apply(record)
                        if effect is not None:
                            effects.append(effect)
            except RuleViolationError as error:
                raise _refused(error, seq) from None
            written = self._writer.append(batch, recorded_at=recorded_at)
        self._rally._follow(written, effects)
        self._wrote = True
        self._behind += 1
        return written

    def close(self) -> None:
        """Refresh the checkpoint if it lags too far behind the log, then release the lock.

        A recorder that appended writes one when there is none, or the one there is lags,
        by ``checkpoint_lag`` frames or more (default ``CHECKPOINT_LAG``; None: never, for a
        log built under a temporary name); it is bound to the file this recorder holds
        (``save_checkpoint``). In between, opening the log folds the frames after the
        checkpoint (a few small ones).
        """
        if self._wrote and self._lag is not None and self._behind >= self._lag:
            self._wrote = False
            save_checkpoint(self._writer, self._fold)
        self._writer.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
