"""A log followed as another process appends to it, and the answers the live site gives.

``LiveRally`` reads a log once, then reads only the frames appended after what
it has read (``read_frames_from``): whole, checksum-valid frames, so only
appends that are durable. It never writes. A damaged log (or one the rules
refuse) puts it in an error state that every answer reports (HTTP 503) until
the file is replaced by a sound one. The answers are the command line's own:
``/api/standings`` is ``standings show --format json`` byte for byte, because
both are ``render(classification(…), "json")``.

This module knows nothing of HTTP frameworks: ``_server`` wraps it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..engine import Rally, penalties
from ..events import (
    MAX_STAGE,
    MAX_WAYPOINT,
    Frame,
    QueryError,
    RallyError,
    Record,
    StageKind,
    read_frames_from,
    scan_file,
)
from ..outputs import EventLog, PenaltyList, render
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


class LiveRally:
    """A log as it stands, followed frame by frame as it grows; never written."""

    def __init__(self, path: str | os.PathLike[str], *, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.name
        self.rally: Rally | None = None
        self.error: RallyError | None = None
        self.frames: list[Frame] = []
        self._offset = 0
        self._size = -1
        self._version = 2
        self._identity: tuple[int, int] | None = None
        self._answers: dict[tuple[str, tuple[tuple[str, str], ...]], Answer] = {}
        self._load()

    # ------------------------------------------------------------------ following

    @property
    def last_seq(self) -> int:
        """The last record read (0 while the log cannot be read)."""
        return 0 if self.rally is None else self.rally.last_seq

    def _load(self) -> None:
        """Read the whole log afresh (at the start, or after it was replaced)."""
        self._answers.clear()
        try:
            status = os.stat(self.path)
            scan = scan_file(self.path)
            rally = Rally.from_frames(scan.frames, source=self.name)
        except RallyError as error:
            self.rally, self.error, self.frames = None, error, []
            self._identity = None
            return
        except OSError as error:
            self.rally, self.frames = None, []
            self.error = RallyError("cannot read the log", where=str(self.path), received=error)
            self._identity = None
            return
        for category in rally.categories:  # the GC after every stage, computed once and kept
            with contextlib.suppress(QueryError):
                rally.replay(category)
        self.rally, self.error = rally, None
        self.frames = list(scan.frames)
        self._offset, self._version = scan.valid_end, scan.version
        self._size = scan.size
        self._identity = (status.st_dev, status.st_ino)

    def refresh(self) -> list[int]:
        """Read what was appended since the last call; the last seq of each new append.

        Cheap when nothing changed (one ``stat``). A replaced file is read afresh; damage,
        or an event the rules refuse, puts the log in the error state.
        """
        try:
            status = os.stat(self.path)
        except OSError as error:
            if self.error is None:
                self._answers.clear()
                self.error = RallyError("cannot read the log", where=str(self.path), received=error)
            return []
        identity = (status.st_dev, status.st_ino)
        if identity != self._identity or status.st_size < self._offset:
            before = self.last_seq
            had_error = self.error is not None
            self._load()
            if self.rally is None:
                return []
            return [self.last_seq] if had_error or self.last_seq != before else []
        if self.rally is None or self.error is not None or status.st_size == self._size:
            return []
        try:
            tail = read_frames_from(
                self.path, self._offset, self.rally.last_seq + 1, version=self._version
            )
            if tail.frames:
                self.rally.extend(frames=tail.frames)
        except RallyError as error:
            self._answers.clear()
            self.error = error
            return []
        self._size = tail.size
        if not tail.frames:
            return []
        self._offset = tail.end
        self.frames += tail.frames
        self._answers.clear()
        return [frame.last_seq for frame in tail.frames]

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
                        expected="one of " + ", ".join(f"/api/{name}" for name in _ENDPOINTS),
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
        if answer.status != 503:
            self._answers[key] = answer
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
        fold = rally.fold
        categories = []
        for category in rally.categories:
            stages = []
            for number in fold.stage_numbers():
                scheduled = fold.stage(number)
                assert scheduled is not None
                kind = scheduled.kind_for(category)
                results = len(fold.results_ending(category, number))
                waypoints = _waypoints_of(rally, category, number)
                if fold.is_cancelled(number, category):
                    state = "cancelled"
                elif results:
                    state = "results"
                elif waypoints:
                    state = "running"
                else:
                    state = "liaison" if kind is StageKind.LIAISON else "scheduled"
                stages.append(
                    {
                        "stage": number,
                        "kind": str(kind),
                        "state": state,
                        "results": results,
                        "waypoints": waypoints,
                        "date": scheduled.date,
                        "start": scheduled.start,
                        "finish": scheduled.finish,
                        "distance_km": scheduled.distance_km,
                    }
                )
            categories.append(
                {
                    "category": category,
                    "entries": len(fold.entries(category)),
                    "classes": list(rally.classes(category)),
                    "current": _current(rally, category, stages),
                    "stages": stages,
                }
            )
        declaration = rally.declaration
        body = {
            "rally": declaration.name,
            "rally_id": declaration.rally_id,
            "year": declaration.year,
            "last_seq": rally.last_seq,
            "categories": categories,
        }
        return Answer(200, _json(body))

    def _standings(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        query = _Params(params, ("category", "after", "waypoint", "class", "as_of"))
        view = classification(
            rally,
            _required(query.text("category", required=True)),
            after=query.number("after", 0, MAX_STAGE),
            waypoint=query.number("waypoint", 1, MAX_WAYPOINT),
            entry_class=query.text("class"),
            as_of=query.number("as_of", 1, _MAX_SEQ),
        )
        return Answer(200, render(view, "json").encode("utf-8"))

    def _stage(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        query = _Params(params, ("category", "stage", "waypoint", "class", "as_of"))
        stage = query.number("stage", 0, MAX_STAGE, required=True)
        assert stage is not None
        view = stage_ranking(
            rally,
            _required(query.text("category", required=True)),
            stage,
            waypoint=query.number("waypoint", 1, MAX_WAYPOINT),
            entry_class=query.text("class"),
            as_of=query.number("as_of", 1, _MAX_SEQ),
        )
        return Answer(200, render(view, "json").encode("utf-8"))

    def _events(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        query = _Params(params, ("since",))
        since = query.number("since", 1, _MAX_SEQ) or 1
        records: list[Record] = []
        for frame in self.frames:
            if frame.last_seq >= since:
                records += [r for r in frame.records(where=self.name) if r.seq >= since]
        body = render(EventLog(records), "jsonl").encode("utf-8")
        return Answer(200, body, "application/x-ndjson")

    def _penalties(self, rally: Rally, params: Mapping[str, str]) -> Answer:
        query = _Params(params, ("category", "as_of"))
        category = query.text("category")
        as_of = query.number("as_of", 1, _MAX_SEQ)
        if category is not None:
            rally.require_category(category)
        view = PenaltyList(rally.name, penalties(rally, category, as_of=as_of))
        return Answer(200, render(view, "json").encode("utf-8"))


def _required(value: str | None) -> str:
    assert value is not None
    return value


def _waypoints_of(rally: Rally, category: str, stage: int) -> list[int]:
    """The waypoints of ``stage`` at which a crew of ``category`` has a time."""
    return list(rally.view.waypoints(stage, category))


def _current(rally: Rally, category: str, stages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What the page shows first: the GC at the latest waypoint of a stage being run after the
    last one with results, else the GC after the last stage with results."""
    try:
        last = rally.default_stage(category)
    except QueryError:
        last = None
    running = [
        s
        for s in stages
        if s["state"] == "running"
        and s["kind"] == "special"
        and (last is None or s["stage"] > last)
    ]
    if running:
        stage = running[-1]
        return {"after": stage["stage"], "waypoint": stage["waypoints"][-1]}
    if last is None:
        return None
    return {"after": last, "waypoint": None}


_ENDPOINTS: dict[str, Callable[[LiveRally, Rally, Mapping[str, str]], Answer]] = {
    "rally": LiveRally._rally,
    "standings": LiveRally._standings,
    "stage": LiveRally._stage,
    "events": LiveRally._events,
    "penalties": LiveRally._penalties,
}
