"""The live results site: a Starlette application over a followed log (``LiveRally``).

Routes: ``/`` the page (``?category=…&class=…``: of that category and class);
``/api/rally``, ``/api/standings``, ``/api/stage``, ``/api/events``, ``/api/penalties``
(``LiveRally.answer``); ``/api/updates``
a Server-Sent Events stream with one ``append`` message per durable append
(its seq), and ``damaged`` / ``sound`` when the log becomes damaged or sound again.
A background task looks at the log every ``poll_seconds`` (one ``stat`` when
nothing changed); every API request looks too, so an answer is never older
than the log's last durable append. Nothing answers with a traceback: an
unexpected error is a JSON 500.

Imported only by ``standings serve`` (Starlette is the optional ``serve`` extra).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from ..events import QueryError, RallyError
from ._live import Answer, ApiError, LiveRally
from ._page import not_found, template, words
from ._page import page as first_page

__all__ = ["KEEPALIVE_SECONDS", "POLL_SECONDS", "App", "create_app", "page"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
App = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]
"""An ASGI application."""

POLL_SECONDS = 0.05
"""How often the log is looked at for new appends (one stat when nothing changed)."""
KEEPALIVE_SECONDS = 15.0
"""A comment line on the update stream this often, so proxies keep it open."""
_HISTORY = 256
"""How many past update messages a stream that fell behind can still catch up on."""
_NO_STORE = {"Cache-Control": "no-store"}


def _query_text(raw: bytes) -> str:
    """A request's query string as text: UTF-8 (a client that sends a class such as
    ``Ü`` unencoded means its UTF-8 bytes), Latin-1 only for bytes that are not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def page() -> str:
    """The live page as shipped, before the standings are drawn in it (``live.html``), with
    the words of its legends (which its script reads)."""
    return template().replace("<!-- words -->", words(), 1)


class _Hub:
    """Update messages, numbered, for every open stream; a stream waits for the next."""

    def __init__(self) -> None:
        self.count = 0
        self.messages: list[tuple[int, str]] = []
        self._changed: asyncio.Event | None = None

    def changed(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        self.count += 1
        text = f"id: {self.count}\nevent: {kind}\ndata: {json.dumps(data)}\n\n"
        self.messages.append((self.count, text))
        del self.messages[:-_HISTORY]
        event = self.changed()
        self._changed = asyncio.Event()
        event.set()


def _sse_frame(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def create_app(
    path: str | os.PathLike[str], *, name: str | None = None, poll_seconds: float = POLL_SECONDS
) -> App:
    """The site of the log at ``path`` (``name``: how to call it on the page)."""
    live = LiveRally(path, name=name)
    hub = _Hub()
    state = {"ok": live.error is None}

    def look() -> None:
        """Read new appends, and tell the streams about each (and about a change of state)."""
        for seq in live.refresh():
            hub.publish("append", {"seq": seq})
        sound = live.error is None
        if sound != state["ok"]:
            state["ok"] = sound
            hub.publish("sound" if sound else "damaged", live.status())

    async def follow() -> None:
        while True:
            await asyncio.sleep(poll_seconds)
            look()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(follow())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def answers(endpoint: str, params: Mapping[str, Any]) -> Any:
        """An API answer as data, None for an error (the page draws what it can)."""
        given = {name: str(value) for name, value in params.items() if value is not None}
        answer = live.answer(endpoint, given)
        return json.loads(answer.body) if answer.status == 200 else None

    async def home(request: Request) -> Response:
        """The page of a category and class (``?category=…&class=…``; the first category and
        all its classes without them) with the current standings drawn in it
        (``app/_page.py``): a reader without scripts sees them and follows the category and
        class links; the script keeps them live. Names are matched as the API matches them
        (``ultimate`` is ``Ultimate``); an unknown category or class is a 404 page saying what
        there is; other parameters (a link shared with a tracking tag) are let be."""
        look()
        error = None if live.error is None else str(live.error)
        asked = request.query_params
        try:
            text = first_page(
                answers,
                category=asked.get("category") or None,
                entry_class=asked.get("class") or None,
                error=error,
            )
        except QueryError as refused:
            return HTMLResponse(not_found(refused), status_code=404, headers=_NO_STORE)
        return HTMLResponse(text, headers=_NO_STORE)

    def api_answer(endpoint: str, items: list[tuple[str, str]]) -> Answer:
        look()
        names = [name for name, _ in items]
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            return ApiError(
                400,
                RallyError(
                    "a parameter given twice",
                    where=twice,
                    expected="each parameter once",
                    received=twice,
                ),
            ).answer()
        return live.answer(endpoint, dict(items))

    async def api(request: Request) -> Response:
        answer = api_answer(request.path_params["endpoint"], request.query_params.multi_items())
        return Response(
            answer.body,
            status_code=answer.status,
            media_type=answer.content_type,
            headers=_NO_STORE,
        )

    async def updates(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            seen = hub.count
            yield "retry: 1000\n" + _sse_frame("hello", live.status())
            while True:
                waiting = hub.changed()
                try:
                    await asyncio.wait_for(waiting.wait(), timeout=KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                for number, text in hub.messages:
                    if number > seen:
                        yield text
                seen = hub.count

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={**_NO_STORE, "X-Accel-Buffering": "no"},
        )

    async def http_error(request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, HTTPException) else 500
        what = {404: "no such page", 405: "method not allowed"}.get(status, "internal error")
        answer = ApiError(
            status,
            RallyError(what, where=request.url.path, expected="GET / or GET /api/…"),
        ).answer()
        return Response(answer.body, status_code=status, media_type=answer.content_type)

    site = Starlette(
        routes=[
            Route("/", home),
            Route("/api/updates", updates),
            Route("/api/{endpoint}", api),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: http_error},
    )

    async def app(
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        """The API's questions answered straight from the followed rally (the same answer as
        the ``api`` route, without a request and response object each: under load that is
        most of a request's cost); everything else goes to the Starlette site."""
        path = scope.get("path", "")
        endpoint = path[len("/api/") :]
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith("/api/")
            or not endpoint
            or "/" in endpoint
            or endpoint == "updates"
        ):
            await site(scope, receive, send)
            return
        try:
            query = _query_text(scope["query_string"])
            answer = api_answer(endpoint, parse_qsl(query, keep_blank_values=True))
        except Exception:  # as the site answers an unexpected error: JSON, never a traceback
            await site(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-length", str(len(answer.body)).encode("ascii")),
                    (b"content-type", answer.content_type.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    return app
