"""A log followed as another process appends to it, and the answers the live site gives.

``LiveRally`` reads a log once, then folds only the frames appended after what it
has read, once it has checked that the bytes it read are still there (``refresh``):
whole, checksum-valid frames, so only appends that are durable. It never writes. A
damaged log (or one the rules refuse) puts it in an error state that every answer
reports (HTTP 503) until the file is sound again. The answers are the command line's own:
``/api/standings`` is ``standings show --format json`` byte for byte, because
both are ``render(classification(…), "json")``.

This module knows nothing of HTTP frameworks: ``_server`` wraps it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..engine import Effect, Rally, load, penalties
from ..events import (
    MAX_STAGE,
    MAX_WAYPOINT,
    QueryError,
    RallyError,
    frames_after,
    read_log_file,
)
from ..outputs import EventLog, PenaltyList, RallyOverview, render
from ._query import classification, stage_ranking

__all__ = ["Answer", "ApiError", "LiveRally"]

_MAX_SEQ = 10**15


@attrs.frozen
class Answer:
    """An HTTP answer: status, content type and body."""

    status: int
    body: bytes
    content_type: str = "application/json"


class ApiError(Exception):
    """A request the API refuses: 400 (malformed), 404 (unknown), 503 (damaged log)."""

    def __init__(self, status: int, error: RallyError) -> None:
        super().__init__(str(error))
        self.status = status
        self.error = error

    def answer(self) -> Answer:
        """The JSON error body: the message and its parts."""
        error = self.error
        received = None if error.received is None else str(error.received)
        body = {
            "error": {
                "status": self.status,
                "message": str(error),
                "what": error.what,
                "where": error.where,
                "expected": error.expected,
                "received": received,
            }
        }
        return Answer(self.status, _json(body))


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _bad(name: str, expected: str, received: object) -> ApiError:
    return ApiError(
        400,
        RallyError("malformed parameter", where=name, expected=expected, received=received),
    )


class _Params:
    """The query parameters of one request, each checked where it is read."""

    def __init__(self, params: Mapping[str, str], allowed: tuple[str, ...]) -> None:
        for name in params:
            if name not in allowed:
                raise _bad(name, "one of the parameters " + ", ".join(allowed), name)
        self.params = params

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise _bad(name, f"a value for {name}", "nothing")
            return None
        return value

    def number(self, name: str, low: int, high: int, *, required: bool = False) -> int | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not (value.isascii() and value.isdigit() and len(value) <= 18) or not (
            low <= int(value) <= high
        ):
            raise _bad(name, f"a whole number from {low} to {high}", value)
        return int(value)


class _Answers:
    """Answers kept until the log changes: at most ``entries`` of them and ``size`` bytes,
    the least recently used dropped first (an error is never kept)."""

    def __init__(self, entries: int, size: int) -> None:
        self.entries, self.size = entries, size
        self._kept: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], Answer] = OrderedDict()
        self._bytes = 0

    def get(self, key: tuple[str, tuple[tuple[str, str], ...]]) -> Answer | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: tuple[str, tuple[tuple[str, str], ...]], answer: Answer) -> None:
        if answer.status != 200 or len(answer.body) > self.size // 4:
            return
        self._kept[key] = answer
        self._bytes += len(answer.body)
        while len(self._kept) > self.entries or self._bytes > self.size:
            _, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped.body)

    def clear(self) -> None:
        self._kept.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._kept)


ANSWERS_KEPT = 256
"""At most this many answers are kept between appends…"""
ANSWER_BYTES = 16 << 20
"""…and at most this many bytes of them."""
VERIFY_SECONDS = 2.0
"""Even when the file looks unchanged (same size and times), its bytes are read and checked
again this often: a change that kept its size and times is seen within this long."""


def _signature(status: os.stat_result) -> tuple[int, ...]:
    """What a stat says of a file's identity and content: a write changes one of these."""
    return (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )


class LiveRally:
    """A log as it stands, followed by its content as it grows; never written.

    After each look it answers exactly what a fresh read of the file would: it keeps the
    CRC-32 of the bytes it has folded, and whenever the file may have changed (its
    identity, size or times differ, or ``VERIFY_SECONDS`` have passed) it reads it again,
    folds only the frames after those bytes if they are still the same, and reads the
    whole log afresh otherwise (a log replaced, overwritten in place, cut). Damage, or an
    event the rules refuse, puts it in an error state (every answer a 503) until the file
    is sound again; it never answers from a mix of two logs.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.name = name or self.path.name
        self.rally: Rally | None = None
        self.error: RallyError | None = None
        self._clock = clock
        self._seen: tuple[int, ...] | None = None
        """The file's stat signature when last read."""
        self._checked = clock()
        self._offset = 0
        """Where the frames folded end…"""
        self._crc = 0
        """…and the CRC-32 of the bytes before that."""
        self._version = 2
        self._answers = _Answers(ANSWERS_KEPT, ANSWER_BYTES)
        self.effects: list[Effect] | None = None
        """What the appends the last ``refresh`` read may have changed (the fold's effects);
        None when it read the log afresh (or could not): then anything may have."""
        self._read(force=True)

    # ------------------------------------------------------------------ following

    @property
    def last_seq(self) -> int:
        """The last record read (0 while the log cannot be read)."""
        return 0 if self.rally is None else self.rally.last_seq

    @property
    def kept_answers(self) -> int:
        """How many answers are kept (at most ``ANSWERS_KEPT``)."""
        return len(self._answers)

    def refresh(self, *, verify: bool = False) -> list[int]:
        """Read what changed since the last call; the last seq of each new append (or of the
        log read afresh). Cheap when nothing changed (one ``stat``); ``verify``: read and
        check the bytes already folded even so."""
        return self._read(force=verify)

    def _fail(self, error: RallyError) -> list[int]:
        if self.error is None or str(self.error) != str(error):
            self._answers.clear()
        self.rally, self.error, self._seen, self.effects = None, error, None, None
        return []

    def _read(self, *, force: bool) -> list[int]:
        try:
            status = os.stat(self.path)
        except OSError as error:
            return self._fail(
                RallyError("cannot read the log", where=str(self.path), received=error.strerror)
            )
        now = self._clock()
        signature = _signature(status)
        if not force and signature == self._seen and now - self._checked < VERIFY_SECONDS:
            return []
        self._checked = now
        try:
            data = read_log_file(self.path)
        except RallyError as error:
            return self._fail(error)
        before = self.last_seq
        if (
            self.rally is None
            or signature[:2] != (self._seen or (None, None))[:2]
            or len(data) < self._offset
            or zlib.crc32(memoryview(data)[: self._offset]) != self._crc
        ):
            return self._load(data, signature, before)
        try:
            tail = frames_after(
                data, self._offset, before + 1, path=str(self.path), version=self._version
            )
            self.effects = self.rally.extend(frames=tail.frames) if tail.frames else []
        except RallyError as error:
            return self._fail(error)
        self._seen = signature
        if not tail.frames:
            return []
        self._crc = zlib.crc32(memoryview(data)[self._offset : tail.end], self._crc)
        self._offset = tail.end
        self._answers.clear()
        return [frame.last_seq for frame in tail.frames]

    def _load(self, data: bytes, signature: tuple[int, ...], before: int) -> list[int]:
        """Fold the log's bytes afresh (from its checkpoint when one matches them)."""
        had_error = self.error is not None
        try:
            rally = load(self.path, source=self.name, data=data)
            end, version = rally.log_end, rally.log_version
        except RallyError as error:
            return self._fail(error)
        for category in rally.categories:  # the GC after every stage, computed once and kept
            with contextlib.suppress(QueryError):
                rally.replay(category)
        self._answers.clear()
        self.rally, self.error, self._seen, self.effects = rally, None, signature, None
        self._offset, self._version = end, version
        self._crc = zlib.crc32(memoryview(data)[:end])
        return [rally.last_seq] if had_error or rally.last_seq != before or before == 0 else []

    # ------------------------------------------------------------------ answers

    def answer(self, endpoint: str, params: Mapping[str, str]) -> Answer:
        """The answer to ``GET /api/<endpoint>?params`` (kept until the log changes)."""
        key = (endpoint, tuple(sorted(params.items())))
        found = self._answers.get(key)
        if found is not None:
            return found
        handler = _ENDPOINTS.get(endpoint)
        try:
            if handler is None:
                raise ApiError(
                    404,
                    QueryError(
                        "no such endpoint",
                        where=f"/api/{endpoint}",
                        expected="one of "
                        + ", ".join(f"/api/{name}" for name in [*_ENDPOINTS, "updates"]),
                        received=endpoint,
                    ),
                )
            rally = self._sound()
            answer = handler(self, rally, params)
        except ApiError as error:
            answer = error.answer()
        except QueryError as error:
            answer = ApiError(404, error).answer()
        except RallyError as error:
            answer = ApiError(400, error).answer()
        self._answers.put(key, answer)
        return answer

    def _sound(self) -> Rally:
        if self.rally is None or self.error is not None:
            error = self.error or RallyError("the log cannot be read", where=str(self.path))
            raise ApiError(
                503,
                RallyError(
                    f"the log is damaged or unreadable: {error.what}",
                    where=error.where,
                    expected="a sound log (standings log check says what is wrong)",
                    received=error.received,
                ),
            )
        return self.rally

    def status(self) -> dict[str, Any]:
        """The state for the page: ok, or the error that stops it."""
        if self.error is None and self.rally is not None:
            return {"state": "ok", "seq": self.last_seq}
        error = self.error or RallyError("the log cannot be read")
        return {"state": "error", "seq": self.last_seq, "message": str(error)}

    def _rally(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        _Params(params, ())
        return Answer(200, render(RallyOverview(rally), "json").encode("utf-8"))

    def _standings(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        query = _Params(params, ("category", "after", "waypoint", "class", "as_of"))
        category, entry_class = _named(rally, query)
        view = classification(
            rally,
            category,
            after=query.number("after", 0, MAX_STAGE),
            waypoint=query.number("waypoint", 1, MAX_WAYPOINT),
            entry_class=entry_class,
            as_of=query.number("as_of", 1, _MAX_SEQ),
        )
        return Answer(200, render(view, "json").encode("utf-8"))

    def _stage(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        query = _Params(params, ("category", "stage", "waypoint", "class", "as_of"))
        stage = query.number("stage", 0, MAX_STAGE, required=True)
        assert stage is not None
        category, entry_class = _named(rally, query)
        view = stage_ranking(
            rally,
            category,
            stage,
            waypoint=query.number("waypoint", 1, MAX_WAYPOINT),
            entry_class=entry_class,
            as_of=query.number("as_of", 1, _MAX_SEQ),
        )
        return Answer(200, render(view, "json").encode("utf-8"))

    def _events(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        query = _Params(params, ("since",))
        since = query.number("since", 1, _MAX_SEQ) or 1
        if since > rally.last_seq:
            raise QueryError(
                "no such log sequence",
                where="since",
                expected=f"a sequence number from 1 to {rally.last_seq}",
                received=since,
            )
        records = rally.iter_records(since)
        body = render(EventLog(records), "jsonl").encode("utf-8")
        return Answer(200, body, "application/x-ndjson")

    def _penalties(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        query = _Params(params, ("category", "as_of"))
        category = query.text("category")
        as_of = query.number("as_of", 1, _MAX_SEQ)
        if category is not None:
            category = rally.view.category_named(category)
            rally.require_category(category)
        view = PenaltyList(rally.name, penalties(rally, category, as_of=as_of))
        return Answer(200, render(view, "json").encode("utf-8"))


def _named(rally: Rally, query: _Params) -> tuple[str, str | None]:
    """The category and class a question names, as the log spells them (case and spaces do
    not count)."""
    category = rally.view.category_named(_required(query.text("category", required=True)))
    entry_class = query.text("class")
    return category, None if entry_class is None else rally.view.class_named(category, entry_class)


def _required(value: str | None) -> str:
    assert value is not None
    return value


_ENDPOINTS: dict[str, Callable[[LiveRally, Rally, Mapping[str, str]], Answer]] = {
    "rally": LiveRally._rally,
    "standings": LiveRally._standings,
    "stage": LiveRally._stage,
    "events": LiveRally._events,
    "penalties": LiveRally._penalties,
}
