"""``standings publish LOG DIR [--watch]``: the live site as static files any web host serves.

The folder holds the live page of each category and class (``index.html``: the first
category's; ``page_path``), its first HTML already showing the standings and saying when it
was published, one JSON file per question the live API answers without ``as_of`` (each
the bytes ``LiveRally.answer`` gives, so byte for byte the server's answer), and a
``manifest.json`` written last: the last sequence number and the SHA-256 of every file.
``--watch`` follows the log as ``standings serve`` does and, after each append, asks
again only the questions whose answer the append can change (from the first stage the
fold says it can change), writing only the files whose bytes differ. Every file is
written under a temporary name and renamed into place. While the log is damaged nothing
is written: the last good site stays as it is.

The questions and their files (``site_path``): ``/api/rally`` is ``api/rally.json``;
``/api/standings?category=cars&after=3`` is ``api/standings/category-cars/after-3.json``:
the parameters in a fixed order (category, class, stage, after, waypoint), each as
``NAME-VALUE``, a value's bytes other than ASCII letters, digits and ``-`` written as
``_XX`` (hex), so every name is safe on any file system, web server and object store.
The page (``live.html``) computes the same names.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..engine import Effect, Rally
from ..events import QueryError, RallyError
from ..replays import resolve_log
from ._base import Command, UsageError, add_log_argument, existing_folder
from ._live import LiveRally
from ._page import chosen, first_questions, page, published_status

__all__ = ["ORDER", "Publisher", "Query", "Watcher", "page_path", "site_path"]

ORDER = ("category", "class", "stage", "after", "waypoint")
"""The parameters of a question, in the order its file name holds them."""
MANIFEST = "manifest.json"
MANIFEST_SCRIPT = "manifest.js"
"""The manifest's sequence number as a script: a page opened from ``file://`` cannot fetch
files, but it can load a script, and so learn that the folder changed."""
PAGE = "index.html"
POLL_SECONDS = 0.05
"""How often ``--watch`` looks at the log (one ``stat`` when nothing changed)."""

Query = tuple[str, tuple[tuple[str, str], ...]]
"""A question of the API: its endpoint and its parameters (name, value), in ``ORDER``."""


NAME_PART = 60
"""The longest a value is written in a file name (a file name holds at most 255 bytes): a
longer one is cut to ``NAME_KEPT`` characters and ``~`` and its FNV-1a hash are added."""
NAME_KEPT = 40


def _fnv1a(data: bytes) -> str:
    """The 32-bit FNV-1a hash of ``data``, in 8 hex digits (the page's script computes the
    same: a file name must be found without a table of them)."""
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def _escape(value: str) -> str:
    """A parameter's value as part of a file name: ASCII letters, digits and ``-`` as they
    are, every other UTF-8 byte as ``_XX``; past ``NAME_PART`` characters, its first
    ``NAME_KEPT`` and ``~`` and a hash of the value (``~`` is never written otherwise)."""
    data = value.encode("utf-8")
    out = []
    for byte in data:
        char = chr(byte)
        out.append(char if char.isascii() and (char.isalnum() or char == "-") else f"_{byte:02X}")
    said = "".join(out)
    return said if len(said) <= NAME_PART else f"{said[:NAME_KEPT]}~{_fnv1a(data)}"


def site_path(query: Query) -> str:
    """The file of the site that holds the answer to ``query`` (relative, ``/``-separated)."""
    endpoint, params = query
    given = dict(params)
    parts = ["api", endpoint]
    parts += [f"{name}-{_escape(given[name])}" for name in ORDER if name in given]
    return "/".join(parts) + ".json"


def page_path(first: str, category: str, entry_class: str | None) -> str:
    """The page of a category and class (None: all) on the site, beside ``index.html`` (the
    page of the first category, ``first``, with all its classes), so that the page's relative
    URLs hold: ``category-bikes.html``, ``category-cars.class-T1.html`` (the values written as
    in ``site_path``; the page's script computes the same names)."""
    if category == first and entry_class is None:
        return PAGE
    name = f"category-{_escape(category)}"
    return name + (f".class-{_escape(entry_class)}" if entry_class is not None else "") + ".html"


def pages(overview: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Every page of the site: per category, all its classes, then each class (the choices a
    page links to, so that they work without scripts, from any host and from ``file://``)."""
    return [
        (item["category"], entry_class)
        for item in overview["categories"]
        for entry_class in [None, *item["classes"]]
    ]


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _query(endpoint: str, **params: str | int | None) -> Query:
    items = tuple((name, str(params[name])) for name in ORDER if params.get(name) is not None)
    return (endpoint, items)


def _stage_of(query: Query) -> int | None:
    """The stage a question is about (None: the latest, or none)."""
    params = dict(query[1])
    value = params.get("after", params.get("stage"))
    return None if value is None else int(value)


def questions(overview: Mapping[str, Any], *, all_waypoints: bool) -> list[Query]:
    """Every question the site answers, from ``/api/rally``'s answer: the rally, the
    penalties (all, per category), and per category and class (none, then each), the
    latest standings, the standings after each stage and each stage's ranking; at each
    waypoint of a stage being run (of every stage: ``all_waypoints``), both again."""
    found = [_query("rally"), _query("penalties")]
    for item in overview["categories"]:
        category = item["category"]
        found.append(_query("penalties", category=category))
        for entry_class in [None, *item["classes"]]:
            found.append(_query("standings", category=category, **{"class": entry_class}))
            for stage in item["stages"]:
                number = stage["stage"]
                base: dict[str, str | int | None] = {"category": category, "class": entry_class}
                found.append(_query("standings", after=number, **base))
                found.append(_query("stage", stage=number, **base))
                if all_waypoints or stage["state"] == "running":
                    for waypoint in stage["waypoints"]:
                        found.append(_query("standings", after=number, waypoint=waypoint, **base))
                        found.append(_query("stage", stage=number, waypoint=waypoint, **base))
    return found


# ---------------------------------------------------------------------- what an append changes


@attrs.define
class Changes:
    """What the appends read may have changed: per category, the first stage (None: every
    stage); ``everything``: the log was read afresh."""

    everything: bool = False
    categories: dict[str, int | None] = attrs.Factory(dict)

    def mark(self, category: str, stage: int | None) -> None:
        if category in self.categories:
            before = self.categories[category]
            stage = None if before is None or stage is None else min(before, stage)
        self.categories[category] = stage

    def touches(self, query: Query) -> bool:
        """Whether ``query``'s answer may have changed."""
        if self.everything:
            return True
        endpoint, params = query
        category = dict(params).get("category")
        if endpoint == "rally":
            return True
        if category is None:  # every category's penalties
            return bool(self.categories)
        if category not in self.categories:
            return False
        first, stage = self.categories[category], _stage_of(query)
        return first is None or stage is None or stage >= first


def changes_of(rally: Rally, effects: Iterable[Effect] | None, since: int) -> Changes:
    """What the records from ``since`` on may have changed: each effect the fold reported
    (its categories, from its stage on), and the first stage each event names, in its
    entry's category (every category when it names none; every stage when it names no
    stage). The second covers what the fold's effects leave out: a waypoint time (no
    effect: the GC does not change) and a combined time over stages K to N (its effect is
    from N, where the sums change, but the standings after K to N-1 now say why the crew
    is missing: its one time is known after N)."""
    if effects is None:
        return Changes(everything=True)
    changes = Changes()
    for effect in effects:
        for category in effect.categories:
            changes.mark(category, effect.stage)
    view = rally.view
    for record in rally.iter_records(since):
        event = record.event
        named = [getattr(event, name, None) for name in ("first_stage", "stage")]
        stage = min((value for value in named if isinstance(value, int)), default=None)
        found: object = getattr(event, "category", None)
        entry_id: object = getattr(event, "entry_id", None)
        if found is None and isinstance(entry_id, str):
            entry = view.entry(entry_id)
            found = None if entry is None else entry.category
        for name in [found] if isinstance(found, str) else rally.categories:
            changes.mark(name, stage)
    return changes


def _penalty_marks(rally: Rally) -> tuple[int, int]:
    """How many penalties the log holds and how many are rescinded: the penalty listings
    (``/api/penalties``) change only when one of these does (penalties are only imposed
    and rescinded, never edited)."""
    states = rally.view.penalty_states()
    return (len(states), sum(not state.in_force for state in states))


_AFTER = re.compile(rb'\n  "after_stage": (\d+),\n')


def _same_answer(query: Query, body: bytes) -> dict[str, bytes]:
    """The question that has the same answer as ``query``: the latest standings
    (``?category=C``) are the GC after the last stage with results, the same question as
    ``?category=C&after=N`` (``Rally.standings`` with no stage is that stage's): the same
    bytes, computed once."""
    endpoint, params = query
    given = dict(params)
    if endpoint != "standings" or "after" in given:
        return {}
    found = _AFTER.search(body, 0, 400)
    if found is None:
        return {}
    return {site_path(_query("standings", after=int(found.group(1)), **given)): body}


# ---------------------------------------------------------------------- the page


# ---------------------------------------------------------------------- the publisher


@attrs.frozen
class Report:
    """What one publication did."""

    seq: int
    written: int
    removed: int
    files: int
    size: int


class Publisher:
    """The static site of a followed log, kept in a folder."""

    def __init__(
        self,
        live: LiveRally,
        folder: Path,
        *,
        all_waypoints: bool = False,
        following: bool = False,
        clock: Callable[[], datetime.datetime] = _utc_now,
    ) -> None:
        self.live, self.folder, self.all_waypoints = live, folder, all_waypoints
        self.following = following
        """Whether ``--watch`` keeps the site up to date (its pages say so, and show a live dot)."""
        self.clock = clock
        """The time a publication is made at (its pages and manifest say it, in UTC)."""
        self.bodies: dict[str, bytes] = {}
        """The answer of every question published, by file name."""
        self.digests: dict[str, str] = {}
        """The SHA-256 of every file this publisher wrote or found already written."""
        self.listed: set[str] = self._published()
        """The files of the site as it stands (its manifest's, then each publication's)."""
        self.missing: set[str] = set()
        """The files of questions asked that have no answer (a 404: the GC after a prologue)."""
        self.penalties: tuple[int, int] | None = None
        self.seq = 0

    def _published(self) -> set[str]:
        """The files a manifest already in the folder lists (a site published before)."""
        try:
            manifest = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
            return {str(name) for name in manifest["files"]}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return set()

    def publish(self, changes: Changes | None = None) -> Report:
        """Ask again every question ``changes`` can have changed (all of them: None), write
        the files whose bytes differ, the pages (one per category and class), and the manifest
        last; then remove the files of questions that no longer have an answer."""
        live = self.live
        rally = live.rally
        if rally is None or live.error is not None:
            raise live.error or RallyError("the log cannot be read", where=str(live.path))
        changes = changes or Changes(everything=True)
        overview_answer = live.answer("rally", {})
        overview = json.loads(overview_answer.body)
        wanted = questions(overview, all_waypoints=self.all_waypoints)
        penalties = _penalty_marks(rally)
        same_penalties = penalties == self.penalties
        named = [(site_path(query), query) for query in wanted]
        _one_file_each(named, overview)
        bodies: dict[str, bytes] = {}
        missing: set[str] = set()
        latest: dict[str, bytes] = {}
        written = 0
        for path, query in named:
            kept = self.bodies.get(path)
            if (kept is not None or path in self.missing) and not changes.touches(query):
                if kept is not None:
                    bodies[path] = kept
                else:
                    missing.add(path)
                continue
            if kept is not None and query[0] == "penalties" and same_penalties:
                bodies[path] = kept
                continue
            body = latest.get(path)
            if body is None:
                answer = live.answer(query[0], dict(query[1]))
                if answer.status != 200:
                    missing.add(path)
                    continue
                body = answer.body
                latest.update(_same_answer(query, body))
            bodies[path] = body
            if body != kept or path not in self.digests:
                written += self._put(path, body)
        self.bodies, self.missing, self.penalties = bodies, missing, penalties
        files = dict(bodies)
        when = self.clock().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        first = overview["categories"][0]["category"]
        for category, entry_class in pages(overview):
            path = page_path(first, category, entry_class)
            files[path] = self._page(
                overview, bodies, (category, entry_class), rally.last_seq, when
            )
            written += self._put(path, files[path])
        digests = {path: self.digests[path] for path in files}
        manifest = {
            "seq": rally.last_seq,
            "published": when,
            "rally_id": overview["rally_id"],
            "files": {
                path: {"sha256": digests[path], "bytes": len(files[path])} for path in sorted(files)
            },
        }
        self._put(MANIFEST_SCRIPT, f"publishedSeq({rally.last_seq});\n".encode())
        self._put(MANIFEST, _layout(manifest).encode("utf-8"))
        removed = self._remove(sorted(self.listed - files.keys()))
        self.listed = set(files)
        self.seq = rally.last_seq
        size = sum(len(body) for body in files.values())
        return Report(rally.last_seq, written, removed, len(files), size)

    def _put(self, path: str, body: bytes) -> int:
        """Write one file of the site unless it already holds these bytes (1 if written).

        A file is written under a temporary name beside it and renamed into place: a
        reader (a web server, a sync tool) sees the old file or the new one, never a part.
        The files are not fsync'd one by one (an append would cost tens of milliseconds):
        the site is made from the log, and after a power cut a publish rewrites what the
        files do not hold (the first time a process writes a file, it compares the bytes
        already there, not the manifest's word for them)."""
        digest = hashlib.sha256(body).hexdigest()
        target = self.folder / path
        if path not in self.digests:
            try:
                if target.read_bytes() == body:
                    self.digests[path] = digest
                    return 0
            except OSError:
                pass
        elif self.digests[path] == digest:
            return 0
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{digest[:16]}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            with open(temporary, "xb") as handle:
                handle.write(body)
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        self.digests[path] = digest
        return 1

    def _remove(self, paths: list[str]) -> int:
        """Remove the files of questions that no longer have an answer (after the manifest
        that no longer lists them)."""
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                (self.folder / path).unlink()
            self.digests.pop(path, None)
        return len(paths)

    def _page(
        self,
        overview: Mapping[str, Any],
        bodies: Mapping[str, bytes],
        view: tuple[str, str | None],
        seq: int,
        when: str,
    ) -> bytes:
        """The page of a category and class with what it first shows already in it
        (``app/_page.py``: its standings, as ``standings serve`` draws them; its links to the
        site's other pages), saying when it was published and from what, and the answers it
        first reads, for a page opened from ``file://``, which cannot fetch."""
        category, entry_class = view
        rally = site_path(_query("rally"))
        answers: dict[str, bytes] = {rally: bodies[rally]}
        item = chosen(overview, category, entry_class)
        for endpoint, params in first_questions(item, entry_class).values():
            name = site_path(_query(endpoint, **params))
            if name in bodies:
                answers[name] = bodies[name]
        data = b'{"seq": %d, "published": "%s", "following": %s, "answers": {' % (
            seq,
            when.encode("ascii"),
            b"true" if self.following else b"false",
        )
        data += b", ".join(
            json.dumps(name).encode() + b": " + body for name, body in answers.items()
        )
        data += b"}}"
        embedded = data.decode("utf-8").replace("<", "\\u003c")

        def answer(endpoint: str, params: Mapping[str, Any]) -> Any:
            body = bodies.get(site_path(_query(endpoint, **params)))
            return None if body is None else json.loads(body)

        first = overview["categories"][0]["category"]
        script = f'<script id="published" type="application/json">{embedded}</script>'
        return page(
            answer,
            category=category,
            entry_class=entry_class,
            link=lambda name, cls: page_path(first, name, cls),
            status=published_status(when, seq, following=self.following),
            published=script,
        ).encode("utf-8")


def _one_file_each(named: Iterable[tuple[str, Query]], overview: Mapping[str, Any]) -> None:
    """Refuse, before a file is written, a site in which two questions (``named``: each with
    its file) or two pages would share one file (two long names alike in their first
    characters and in their hash)."""
    seen: dict[str, object] = {}
    first = overview["categories"][0]["category"]
    places: list[tuple[str, object]] = list(named)
    places += [(page_path(first, *view), view) for view in pages(overview)]
    for path, what in places:
        other = seen.setdefault(path, what)
        if other != what:
            raise QueryError(
                "two questions of the site would share one file",
                where=path,
                expected="names that differ in their first 40 characters or in their hash",
                received=f"{other} and {what}",
            )


def _layout(value: Mapping[str, Any]) -> str:
    """The manifest as JSON: its fields one per line, one file a line."""
    files = value["files"]
    lines = ",\n".join(
        f"    {json.dumps(name, ensure_ascii=False)}: {json.dumps(item)}"
        for name, item in files.items()
    )
    head = ",\n".join(
        f"  {json.dumps(key)}: {json.dumps(item, ensure_ascii=False)}"
        for key, item in value.items()
        if key != "files"
    )
    return f'{{\n{head},\n  "files": {{\n{lines}\n  }}\n}}\n'


# ---------------------------------------------------------------------- the command


def _folder(text: str, log: Path, *, force: bool) -> Path:
    """The folder to publish to: a new one, an empty one, one published to before (its
    manifest is there), or any with ``--force``; never one that holds the log where a
    file of the site would go."""
    folder = Path(text)
    if not text.strip():
        raise UsageError(
            "no folder name", expected="the path of a folder to publish to", received=text
        )
    if not existing_folder(text, "publish to"):
        return folder
    if not force and not (folder / MANIFEST).is_file() and any(folder.iterdir()):
        raise UsageError(
            "the folder holds files of its own",
            where=text,
            expected="an empty or new folder, one published to before, or --force",
            received="a folder with no manifest.json",
        )
    site = [folder / PAGE, folder / MANIFEST, folder / MANIFEST_SCRIPT, folder / "api"]
    resolved = log.resolve()
    named = re.fullmatch(r"category-.*\.html", resolved.name)  # where a page would go
    a_page = resolved.parent == folder.resolve() and named is not None
    if a_page or any(
        resolved == place.resolve() or place.resolve() in resolved.parents for place in site
    ):
        raise UsageError(
            "the site would replace the log it is published from",
            where=text,
            expected="another folder (publish never writes over its input)",
            received=str(log),
        )
    return folder


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _told(report: Report, folder: str) -> str:
    return (
        f"published seq {report.seq} to {folder}: {report.files} files "
        f"({report.size // 1024} KiB), {report.written} written, {report.removed} removed"
    )


class Watcher:
    """A publisher following its log: each ``step`` reads what was appended and publishes
    what it changed. While the log is damaged nothing is written (the site stays at the
    last good state), and it says so once on stderr."""

    def __init__(self, publisher: Publisher, folder: str) -> None:
        self.publisher, self.folder = publisher, folder
        self.sound = True

    def step(self) -> Report | None:
        """Look at the log once; the report of what was published, if anything was."""
        publisher = self.publisher
        live = publisher.live
        before = publisher.seq
        seqs = live.refresh()
        if live.error is not None:
            if self.sound:
                self.sound = False
                sys.stderr.write(
                    f"standings: the log cannot be read ({live.error}); nothing is published "
                    f"until it is sound, the site stays at seq {publisher.seq}\n"
                )
                sys.stderr.flush()
            return None
        if not self.sound:
            self.sound = True
            _say(f"the log is sound again at seq {live.last_seq}")
        if not seqs or live.rally is None:
            return None
        report = publisher.publish(changes_of(live.rally, live.effects, before + 1))
        _say(_told(report, self.folder))
        return report


class Publish(Command):
    name = "publish"
    help = "the live site as static files: the page and every API answer (--watch: follow)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_log_argument(parser)
        parser.add_argument("folder", metavar="DIR", help="the folder to write the site to")
        parser.add_argument(
            "--watch",
            action="store_true",
            help="keep following the log, writing the files each append changes (Ctrl-C stops)",
        )
        parser.add_argument(
            "--all-waypoints",
            action="store_true",
            help="also the answers at every waypoint of the stages already run (large)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="publish into a folder that holds other files (they are left alone)",
        )

    def run(self, args: argparse.Namespace) -> int:
        path = resolve_log(args.log)
        folder = _folder(args.folder, path, force=args.force)
        live = LiveRally(path, name=args.log)
        if live.error is not None or live.rally is None:
            error = live.error or RallyError("the log cannot be read", where=str(path))
            raise RallyError(
                f"nothing was published: {error.what}",
                where=error.where,
                expected="a sound log (standings log check says what is wrong)",
                received=error.received,
            )
        folder.mkdir(exist_ok=True)
        publisher = Publisher(live, folder, all_waypoints=args.all_waypoints, following=args.watch)
        _say(_told(publisher.publish(), args.folder))
        if not args.watch:
            return 0
        _say(f"watching {args.log} (Ctrl-C to stop)")
        watcher = Watcher(publisher, args.folder)
        try:
            while True:
                time.sleep(POLL_SECONDS)
                watcher.step()
        except KeyboardInterrupt:
            return 0
