"""The Python API: load a log and ask it questions; record events into a log.

A ``Rally`` keeps, per category, the standings it has computed and the running
sums behind them (``Accumulator``). An event appended to a rally (by a
``Recorder``, or by following a growing log) changes only what its effect
says: a time added at the stage the sums have reached updates them and the
cached classification of that stage in place (one key out, one key in); any
other change drops what it can have changed, from its stage on, and the rest
stays. Asking for one stage sums the stages up to it and sorts only it.
"""

from __future__ import annotations

import bisect
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
    scan_file,
)
from ._checkpoint import folded, peek_checkpoint, write_checkpoint
from ._fold import Effect, Fold, FoldState
from ._names import name_matches
from ._standings import (
    Accumulator,
    Ranking,
    StageResult,
    Standings,
    classes,
    compute_stage_result,
    gc_stages,
    last_stage_with_results,
    require_gc_stage,
    require_waypoint,
    standings_at_waypoint,
    waypoint_result,
)

__all__ = ["CHECKPOINT_LAG", "Rally", "Recorder", "create_log", "load", "now_iso"]

CHECKPOINT_LAG = 32
"""A recorder refreshes the checkpoint when the log has this many frames past it (or there is
none): at most this many frames are folded on opening, and most appends write only the log."""


def now_iso() -> str:
    """The current UTC time as recorded on an event (ISO-8601, seconds)."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class _Cache:
    """What a rally has computed for one category: running sums and standings."""

    __slots__ = ("accumulator", "default", "ranking", "standings")

    def __init__(self, fold: Fold, category: str) -> None:
        self.ranking = Ranking.of(fold, category)
        self.accumulator: Accumulator | None = None
        self.standings: dict[int, Standings] = {}
        self.default: int | bool | None = False
        """The last stage with results (``False``: not looked up yet)."""


class Rally:
    """A rally log folded into state, answering standings questions.

    ``as_of`` on each query (or ``Rally.as_of``) answers from the prefix of
    the log up to that sequence number: the standings as they were known then.
    A rally read from a file does not change; the rally of a ``Recorder``
    follows its appends, and its standings are always those of the log as it
    stands (standings already handed out keep their positions and times).
    """

    def __init__(self, records: Sequence[Record] = (), *, source: str = "<records>") -> None:
        fold = Fold().apply_all(records)
        self._setup((), tuple(records), fold, source)

    def _setup(
        self, frames: Sequence[Frame] | LogScan, tail: Sequence[Record], fold: Fold, source: str
    ) -> None:
        self._frame_source: tuple[Frame, ...] | LogScan = (
            frames if isinstance(frames, LogScan) else tuple(frames)
        )
        self._tail: list[Record] = list(tail)
        self.source = source
        self._fold = fold
        self._prefixes: dict[int, Rally] = {}
        self._records: tuple[Record, ...] | None = None
        self._caches: dict[str, _Cache] = {}

    @classmethod
    def from_frames(
        cls,
        frames: Sequence[Frame],
        *,
        source: str,
        tail: Sequence[Record] = (),
        limit: int | None = None,
    ) -> Rally:
        """Fold decoded log frames (and records after them), up to seq ``limit`` if given."""
        fold = Fold()
        kept: list[Frame] = []
        for frame in frames:
            if limit is not None and frame.first_seq > limit:
                break
            fold.apply_frame(frame, limit=None if limit is None else limit - frame.first_seq + 1)
            kept.append(frame)
        kept_tail = tuple(r for r in tail if limit is None or r.seq <= limit)
        fold.apply_all(kept_tail)
        return cls.from_fold(kept, kept_tail, fold, source=source)

    @property
    def _frames(self) -> tuple[Frame, ...]:
        """The log's frames (those a checkpoint covered are decoded only now, if ever)."""
        if isinstance(self._frame_source, LogScan):
            self._frame_source = self._frame_source.frames
        return self._frame_source

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

        ``frames`` (or the scan that holds them) and then ``tail`` are what was
        folded; records are built from them only when asked for.
        """
        rally = cls.__new__(cls)
        rally._setup(frames, tail, fold, source)
        return rally

    def with_appended(self, records: Sequence[Record], fold: Fold, *, source: str) -> Rally:
        """This rally with ``records`` after it, already folded into ``fold`` (a copy)."""
        return Rally.from_fold(self._frames, (*self._tail, *records), fold, source=source)

    @property
    def records(self) -> tuple[Record, ...]:
        """Every record folded, in order (built from the log's frames on first use)."""
        if self._records is None or len(self._records) != self._fold.last_seq:
            limit = self._fold.last_seq
            built = [
                record
                for frame in self._frames
                for record in frame.records(where=self.source, limit=limit - frame.first_seq + 1)
            ]
            self._records = (*built, *self._tail)
        return self._records

    def source_kinds(self) -> Counter[SourceKind]:
        """How many records come from each kind of source (printed, recorded, …), counted
        from the frames' provenance columns without building the records."""
        limit = self._fold.last_seq
        counts: Counter[SourceKind] = Counter()
        for frame in self._frames:
            counts.update(frame.source_kinds(limit=limit - frame.first_seq + 1))
        counts.update(record.event.provenance.kind for record in self._tail)
        return counts

    def iter_records(self) -> Iterator[Record]:
        """Every record folded, in order, built one at a time (nothing is kept)."""
        limit = self._fold.last_seq
        for frame in self._frames:
            yield from frame.records(where=self.source, limit=limit - frame.first_seq + 1)
        yield from self._tail

    # ------------------------------------------------------------------ following a log

    def extend(self, records: Iterable[Record] = (), *, frames: Iterable[Frame] = ()) -> None:
        """Fold more of the log in (checked by the rules), keeping the caches up to date."""
        effects: list[Effect] = []
        for frame in frames:
            effects += self._fold.apply_frame(frame)
            self._frame_source = (*self._frames, frame)
        for record in records:
            effect = self._fold.apply(record)
            self._tail.append(record)
            if effect is not None:
                effects.append(effect)
        self._changed(effects)

    def _changed(self, effects: Sequence[Effect]) -> None:
        """Update or drop what the caches hold, for each effect in order."""
        self._prefixes.clear()
        for effect in effects:
            for category in effect.categories:
                cache = self._caches.get(category)
                if cache is None:
                    continue
                cache.default = False
                if effect.stage is None:
                    del self._caches[category]
                    continue
                if effect.entry is not None and not effect.delta and not effect.cover:
                    continue  # a time that counts nowhere (a prologue's)
                accumulator = cache.accumulator
                if (
                    effect.entry is not None
                    and accumulator is not None
                    and accumulator.stage == effect.stage
                ):
                    self._update_in_place(cache, accumulator, effect)
                    continue
                if (
                    accumulator is not None
                    and accumulator.stage is not None
                    and effect.stage <= accumulator.stage
                ):
                    cache.accumulator = None
                for stage in [s for s in cache.standings if s >= effect.stage]:
                    del cache.standings[stage]

    def _update_in_place(self, cache: _Cache, accumulator: Accumulator, effect: Effect) -> None:
        """One entry's time changed at the stage the sums stand at: one key out, one in."""
        assert effect.entry is not None
        assert effect.stage is not None
        entry = effect.entry
        ranking = cache.ranking
        if entry not in ranking.rank:
            self._caches.pop(accumulator.category, None)
            return
        width, rank = ranking.width, ranking.rank[entry]
        was = entry in accumulator.classified
        old_key = accumulator.total[entry] * width + rank
        accumulator.apply(entry, effect.delta, effect.cover)
        standing = cache.standings.get(effect.stage)
        if standing is None:
            return
        keys = list(standing._keys)
        if was:
            del keys[bisect.bisect_left(keys, old_key)]
        if entry in accumulator.classified:
            bisect.insort(keys, accumulator.total[entry] * width + rank)
        cache.standings[effect.stage] = Standings(
            self._fold, accumulator.category, effect.stage, keys, accumulator.awards, ranking
        )

    # ------------------------------------------------------------------ facts

    @property
    def declaration(self) -> RallyDeclared:
        """The rally-declared event."""
        if self._fold.rally is None:
            raise QueryError(
                "the log declares no rally",
                where=self.source,
                expected="a rally-declared event first",
                received="none",
            )
        return self._fold.rally

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
        """The sequence number of the last record folded."""
        return self._fold.last_seq

    @property
    def fold(self) -> Fold:
        """The fold behind this rally (read it through its query methods)."""
        return self._fold

    def snapshot(self) -> FoldState:
        """A frozen copy of the folded state."""
        return self._fold.snapshot()

    def entries(self, category: str | None = None) -> tuple[EntryRegistered, ...]:
        """Registered entries, in registration order, optionally of one category."""
        return self._fold.entries(category)

    def stages(self) -> tuple[int, ...]:
        """Scheduled stage numbers, in order."""
        return self._fold.stage_numbers()

    def find_entry(self, category: str, ref: str) -> EntryRegistered:
        """An entry of ``category`` by race number, entry id, or a name that is unambiguous."""
        self.require_category(category)
        return find_entry(self._fold, category, ref)

    def require_category(self, category: str) -> None:
        """Refuse a category the rally does not have (a QueryError naming those it has)."""
        if category not in self.categories:
            raise QueryError(
                "unknown category",
                where=self.source,
                expected="one of " + ", ".join(self.categories),
                received=category,
            )

    # ------------------------------------------------------------------ as-of

    def as_of(self, seq: int | None) -> Rally:
        """The rally as known when record ``seq`` had been recorded (``None``: now)."""
        if seq is None or seq == self.last_seq:
            return self
        if not 1 <= seq <= self.last_seq:
            raise QueryError(
                "no such log sequence",
                where=self.source,
                expected=f"a sequence number from 1 to {self.last_seq}",
                received=seq,
            )
        prefix = self._prefixes.get(seq)
        if prefix is None:
            prefix = Rally.from_frames(
                self._frames, tail=self._tail, limit=seq, source=f"{self.source} as of seq {seq}"
            )
            self._prefixes[seq] = prefix
        return prefix

    # ------------------------------------------------------------------ queries

    def _cache(self, category: str) -> _Cache:
        cache = self._caches.get(category)
        if cache is None:
            cache = self._caches[category] = _Cache(self._fold, category)
        return cache

    def default_stage(self, category: str) -> int:
        """The last stage with results (or an awarded time) for ``category``."""
        self.require_category(category)
        cache = self._cache(category)
        if cache.default is False:
            cache.default = last_stage_with_results(self._fold, category)
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
        require_gc_stage(rally._fold, category, stage)  # before any work
        found = rally._standings(category, stage)
        return found if as_of is None else found.with_as_of(as_of)

    def _standings(self, category: str, stage: int) -> Standings:
        cache = self._cache(category)
        found = cache.standings.get(stage)
        if found is not None:
            return found
        accumulator = cache.accumulator
        if accumulator is None or accumulator.stage is None or accumulator.stage > stage:
            accumulator = Accumulator(self._fold, category, cache.ranking)
            if cache.accumulator is None:
                cache.accumulator = accumulator
        kept = accumulator is cache.accumulator
        before = [s for s in gc_stages(self._fold, category) if s < stage]
        previous = before[-1] if before and kept and before[-1] not in cache.standings else None
        for number in self._fold.stage_numbers():
            if accumulator.stage is not None and number <= accumulator.stage:
                continue
            if number > stage:
                break
            accumulator.advance(number)
            if number == previous:  # kept on the way: the moves of ``stage`` count from it
                cache.standings[number] = Standings(
                    self._fold,
                    category,
                    number,
                    accumulator.keys(),
                    accumulator.awards,
                    cache.ranking,
                )
        standing = Standings(
            self._fold, category, stage, accumulator.keys(), accumulator.awards, cache.ranking
        )
        if accumulator is cache.accumulator:
            cache.standings[stage] = standing
        return standing

    def previous_standings(
        self, category: str, stage: int, *, as_of: int | None = None
    ) -> Standings | None:
        """The GC that the moves after stage ``stage`` are counted from: after the GC stage
        before it (at most the last stage with results), computed alone; None where there
        is none."""
        rally = self.as_of(as_of)
        try:
            last = rally.default_stage(category)
        except QueryError:  # no results yet
            return None
        earlier = [s for s in gc_stages(rally._fold, category) if s < stage and s <= last]
        return rally.standings(category, earlier[-1], as_of=as_of) if earlier else None

    def replay(self, category: str, *, as_of: int | None = None) -> tuple[Standings, ...]:
        """The GC after every stage, from the first that counts to the last with results."""
        rally = self.as_of(as_of)
        last = rally.default_stage(category)
        stages = [s for s in gc_stages(rally._fold, category) if s <= last]
        cache = rally._cache(category)
        if any(s not in cache.standings for s in stages):
            accumulator = Accumulator(rally._fold, category, cache.ranking)
            wanted = set(stages)
            for number in rally._fold.stage_numbers():
                if number > last:
                    break
                accumulator.advance(number)
                if number in wanted and number not in cache.standings:
                    cache.standings[number] = Standings(
                        rally._fold,
                        category,
                        number,
                        accumulator.keys(),
                        accumulator.awards,
                        cache.ranking,
                    )
            current = cache.accumulator
            if current is None or current.stage is None or current.stage < last:
                cache.accumulator = accumulator
                for number in [s for s in cache.standings if s > last]:
                    del cache.standings[number]
        found = tuple(cache.standings[s] for s in stages)
        return found if as_of is None else tuple(s.with_as_of(as_of) for s in found)

    def stage_result(
        self,
        category: str,
        stage: int,
        *,
        as_of: int | None = None,
        entry_class: str | None = None,
    ) -> StageResult:
        """The ranking of one stage (``entry_class``: of the entries of that class only)."""
        rally = self.as_of(as_of)
        return compute_stage_result(
            rally._fold, category, stage, as_of=as_of, entry_class=entry_class
        )

    # ------------------------------------------------------------------ classes and waypoints

    def classes(self, category: str, *, as_of: int | None = None) -> tuple[str, ...]:
        """The classes of ``category``'s entries, in order of first registration."""
        rally = self.as_of(as_of)
        rally.require_category(category)
        return classes(rally._fold, category)

    def waypoint_standings(
        self, category: str, stage: int, waypoint: int, *, as_of: int | None = None
    ) -> Standings:
        """The virtual GC at waypoint ``waypoint`` of ``stage``: the GC after the stage before
        it (the cached one), plus the penalties in force imposed at ``stage``, plus each
        crew's elapsed time at the waypoint (``standings_at_waypoint``)."""
        rally = self.as_of(as_of)
        fold = rally._fold
        require_waypoint(fold, category, stage, waypoint)
        stages = fold.stage_numbers()
        index = stages.index(stage)
        previous = stages[index - 1] if index else None
        before = None
        if previous is not None and previous in gc_stages(fold, category):
            before = rally._standings(category, previous)
        found = standings_at_waypoint(fold, category, stage, waypoint, before)
        return found if as_of is None else found.with_as_of(as_of)

    def waypoint_result(
        self,
        category: str,
        stage: int,
        waypoint: int,
        *,
        as_of: int | None = None,
        entry_class: str | None = None,
    ) -> StageResult:
        """The ranking of ``stage`` at waypoint ``waypoint``: elapsed times there."""
        rally = self.as_of(as_of)
        return waypoint_result(
            rally._fold, category, stage, waypoint, as_of=as_of, entry_class=entry_class
        )


def find_entry(fold: Fold, category: str, ref: str) -> EntryRegistered:
    """An entry of ``category`` by race number, entry id, or a name that is unambiguous."""
    by_number = fold.entry_by_number(category, ref.strip())
    if by_number is not None:
        return by_number
    entry = fold.entry(ref)
    if entry is not None and entry.category == category:
        return entry
    entries = fold.entries(category)
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
    examples = ", ".join(e.number or e.entry_id for e in entries[:12])
    expected = (
        f"a race number of {category} (e.g. {examples})"
        if examples
        else f"an entry of {category} (none is registered yet)"
    )
    raise QueryError("unknown entry", where=category, expected=expected, received=ref)


def load(path: str | os.PathLike[str], *, source: str | None = None) -> Rally:
    """Read and fold the log file at ``path`` (``source``: how to name it, default the path).

    A checkpoint beside the log (``LOG.checkpoint``) that matches it exactly
    saves decoding and folding what it covers; the answer is the same either way.
    """
    checkpoint = peek_checkpoint(Path(path))
    scan = scan_file(path, trusted=None if checkpoint is None else checkpoint.trusted)
    fold = folded(checkpoint, scan)
    return Rally.from_fold(scan, (), fold, source=str(path) if source is None else source)


def create_log(
    path: str | os.PathLike[str], declaration: RallyDeclared, *, recorded_at: str | None = None
) -> Record:
    """Create a new log whose first event declares the rally."""
    return create_log_file(path, declaration, recorded_at=recorded_at)


_BULK_BATCH = 256
"""A batch this large is folded as a frame (runs of results and splits checked in bulk)."""


def _refused_where(where: str | None) -> str:
    """Where a refused append's event is said to be: its type, and that nothing was written."""
    kind = (where or "event").split(",")[0]
    if not kind.endswith(" event"):
        kind = "event"
    return f"{kind}, refused: nothing was written"


class Recorder:
    """The writer of a log: validates every event against the rally so far, then appends.

    Holds the log's lock from construction to ``close``. A refused event
    raises and writes nothing; an append that returns has been fsync'd. Its
    ``rally`` follows the appends.
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
        self._appended = False
        try:
            scan = self._writer.scan_at_open
            fold = folded(checkpoint, scan)
            self._rally = Rally.from_fold(scan, (), fold, source=str(self.path))
            self._behind = len(scan.ends) - scan.trusted
            """How many frames the checkpoint (if any) lags behind the log."""
        except BaseException:
            self._writer.close()
            raise

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
    def fold(self) -> Fold:
        """The live fold (read it; append through the recorder)."""
        return self._rally.fold

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

        If any event is refused, or the write fails, none is written and the
        recorder's state is as it was (its changes are undone, not copied).
        """
        batch = list(events)
        if not batch:
            return ()
        fold = self._rally.fold
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
                # Say so plainly: the seq it names was never written.
                raise RuleViolationError(
                    error.what,
                    where=_refused_where(error.where),
                    expected=error.expected,
                    received=error.received,
                ) from None
            written = self._writer.append(batch, recorded_at=recorded_at)
        self._rally._tail.extend(written)
        self._rally._changed(effects)
        self._appended = True
        self._behind += 1
        return written

    def close(self) -> None:
        """Refresh the checkpoint if it lags too far behind the log, then release the lock.

        A recorder that appended writes one when there is none, or the one there is
        lags, by ``checkpoint_lag`` frames or more (default ``CHECKPOINT_LAG``; None:
        never, for a log built under a temporary name); in between, opening the log
        folds the frames after the checkpoint (a few small ones).
        """
        if self._appended and self._lag is not None and self._behind >= self._lag:
            self._appended = False
            with contextlib.suppress(OSError):
                write_checkpoint(self.path, self._rally.fold, self.path.stat().st_size)
        self._writer.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
