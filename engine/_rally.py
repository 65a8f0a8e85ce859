"""The Python API: load a log and ask it questions; record events into a log."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from rally_standings.engine._fold import Fold, FoldState
from rally_standings.engine._names import name_matches
from rally_standings.engine._standings import (
    StageResult,
    Standings,
    compute_stage_result,
    compute_standings,
    last_stage_with_results,
    replay_standings,
)
from rally_standings.events import (
    EntryRegistered,
    Event,
    Frame,
    LogWriter,
    QueryError,
    RallyDeclared,
    Record,
    RuleViolationError,
    create_log_file,
    scan_file,
)

__all__ = ["Rally", "Recorder", "create_log", "load", "now_iso"]


def now_iso() -> str:
    """The current UTC time as recorded on an event (ISO-8601, seconds)."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class Rally:
    """A rally log folded into state: read-only, answers standings questions.

    ``as_of`` on each query (or ``Rally.as_of``) answers from the prefix of
    the log up to that sequence number: the standings as they were known then.
    """

    def __init__(self, records: Sequence[Record] = (), *, source: str = "<records>") -> None:
        self._frames: tuple[Frame, ...] = ()
        self._tail: tuple[Record, ...] = tuple(records)
        self.source = source
        self._fold = Fold().apply_all(self._tail)
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._prefixes: dict[int, Rally] = {}
        self._records: tuple[Record, ...] | None = None
        self._tables: dict[tuple[str, int | None], dict[int, Standings]] = {}
        self._defaults: dict[str, int | None] = {}

    def _table(self, category: str, as_of: int | None) -> dict[int, Standings]:
        """The GC after every stage of ``category``, computed once in one pass."""
        table = self._tables.get((category, as_of))
        if table is None:
            table = replay_standings(self._fold, category, as_of=as_of)
            self._tables[(category, as_of)] = table
        return table

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

    @classmethod
    def from_fold(
        cls, frames: Sequence[Frame], tail: Sequence[Record], fold: Fold, *, source: str
    ) -> Rally:
        """Wrap an already folded state without folding again.

        ``frames`` and then ``tail`` are what was folded; records are built
        from them only when asked for (``Rally.records``).
        """
        rally = cls.__new__(cls)
        rally._frames = tuple(frames)
        rally._tail = tuple(tail)
        rally.source = source
        rally._fold = fold
        rally._reset_caches()
        return rally

    def with_appended(self, records: Sequence[Record], fold: Fold, *, source: str) -> Rally:
        """This rally with ``records`` after it, already folded into ``fold``."""
        return Rally.from_fold(self._frames, (*self._tail, *records), fold, source=source)

    @property
    def records(self) -> tuple[Record, ...]:
        """Every record folded, in order (built from the log's frames on first use)."""
        if self._records is None:
            limit = self._fold.last_seq
            built = [
                record
                for frame in self._frames
                for record in frame.records(where=self.source, limit=limit - frame.first_seq + 1)
            ]
            self._records = (*built, *self._tail)
        return self._records

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
        """The fold behind this rally (treat as read-only)."""
        return self._fold

    def snapshot(self) -> FoldState:
        """A frozen copy of the folded state."""
        return self._fold.snapshot()

    def entries(self, category: str | None = None) -> tuple[EntryRegistered, ...]:
        """Registered entries, in registration order, optionally of one category."""
        return tuple(
            e for e in self._fold.entries.values() if category is None or e.category == category
        )

    def stages(self) -> tuple[int, ...]:
        """Scheduled stage numbers, in order."""
        return tuple(sorted(self._fold.stages))

    def find_entry(self, category: str, ref: str) -> EntryRegistered:
        """An entry of ``category`` by race number, entry id, or a name that is unambiguous."""
        self._check_category(category)
        fold = self._fold
        by_number = fold.numbers.get((category, ref))
        if by_number is not None:
            return fold.entries[by_number]
        entry = fold.entries.get(ref)
        if entry is not None and entry.category == category:
            return entry
        matches = [e for e in self.entries(category) if name_matches(ref, e.crew[0].name)]
        if len(matches) == 1:
            return matches[0]
        numbers = ", ".join(e.number or e.entry_id for e in self.entries(category)[:12])
        if matches:
            names = "; ".join(f"{m.number or m.entry_id} {m.crew[0].name}" for m in matches)
            raise QueryError(
                "ambiguous entry",
                where=category,
                expected="a race number or a name matching one entry",
                received=f"{ref!r} matches {names}",
            )
        raise QueryError(
            "unknown entry",
            where=category,
            expected=f"a race number of {category} (e.g. {numbers})",
            received=ref,
        )

    def _check_category(self, category: str) -> None:
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

    def default_stage(self, category: str) -> int:
        """The last stage with results (or an awarded time) for ``category``."""
        self._check_category(category)
        if category not in self._defaults:
            self._defaults[category] = last_stage_with_results(self._fold, category)
        stage = self._defaults[category]
        if stage is None:
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
        found = rally._table(category, as_of).get(stage)
        if found is not None:
            return found
        return compute_standings(rally._fold, category, stage, as_of=as_of)  # explains why not

    def replay(self, category: str, *, as_of: int | None = None) -> tuple[Standings, ...]:
        """The GC after every stage, from the first that counts to the last with results."""
        rally = self.as_of(as_of)
        last = rally.default_stage(category)
        table = rally._table(category, as_of)
        return tuple(table[stage] for stage in sorted(table) if stage <= last)

    def stage_result(self, category: str, stage: int, *, as_of: int | None = None) -> StageResult:
        """The ranking of one stage."""
        rally = self.as_of(as_of)
        return compute_stage_result(rally._fold, category, stage, as_of=as_of)


def load(path: str | os.PathLike[str], *, source: str | None = None) -> Rally:
    """Read and fold the log file at ``path`` (``source``: how to name it, default the path)."""
    return Rally.from_frames(scan_file(path).frames, source=str(path) if source is None else source)


def create_log(
    path: str | os.PathLike[str], declaration: RallyDeclared, *, recorded_at: str | None = None
) -> Record:
    """Create a new log whose first event declares the rally."""
    return create_log_file(path, declaration, recorded_at=recorded_at)


class Recorder:
    """The writer of a log: validates every event against the rally so far, then appends.

    Holds the log's lock from construction to ``close``. A refused event
    raises and writes nothing; an append that returns has been fsync'd.
    """

    def __init__(self, path: str | os.PathLike[str], *, wait_seconds: float = 0.0) -> None:
        self.path = Path(path)
        self._writer = LogWriter(self.path, wait_seconds=wait_seconds)
        try:
            self._frames = self._writer.frames_at_open
            self._tail: list[Record] = []
            self._fold = Fold().apply_frames(self._frames)
        except BaseException:
            self._writer.close()
            raise

    @property
    def recovered_bytes(self) -> int:
        """Bytes of a torn tail (an interrupted append) cut off when the log was opened."""
        return self._writer.recovered_bytes

    @property
    def rally(self) -> Rally:
        """The rally as recorded so far."""
        return Rally.from_fold(self._frames, self._tail, self._fold.copy(), source=str(self.path))

    @property
    def fold(self) -> Fold:
        """The live fold (read-only use: checking, looking up entries)."""
        return self._fold

    def append(self, event: Event, *, recorded_at: str | None = None) -> Record:
        """Validate and durably append one event."""
        return self.append_many([event], recorded_at=recorded_at)[0]

    def append_many(
        self, events: Iterable[Event], *, recorded_at: str | None = None
    ) -> tuple[Record, ...]:
        """Validate all events in order, then append them with one write and one fsync.

        If any event is refused, none is written.
        """
        batch = list(events)
        if not batch:
            return ()
        before = self._fold.copy()
        seq = self._writer.next_seq
        try:
            for offset, event in enumerate(batch):
                self._fold.apply(Record(seq=seq + offset, event=event, recorded_at=recorded_at))
        except RuleViolationError:
            self._fold = before
            raise
        try:
            records = self._writer.append(batch, recorded_at=recorded_at)
        except BaseException:
            self._fold = before
            raise
        self._tail.extend(records)
        return records

    def close(self) -> None:
        """Release the lock."""
        self._writer.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
