"""The live page's first HTML, with the standings it shows already in it.

``standings serve`` answers ``/?category=…&class=…`` and ``standings publish`` writes a page
per category and class with what the page's script would draw first: the rally's name, its
categories and classes (links to their pages, so that the choices work without scripts), the
GC of the category (after the last stage with results, or at the latest waypoint of the
stage being run) with who is still on the stage, who retired, who was excluded and who has no
time apart, the stage's ranking and the penalties, and what the page is (the log as of its
last record, updated when scripts run; or a published snapshot). A reader without scripts, a
search engine, a page saved or printed: all see the standings at once. The script
(``live.html``) then draws the same tables from the API on load and keeps them live; the
code here draws them as it does, from the same answers (the JSON of ``/api/…``), and gives it
the words of the legends from the outputs (``words``), the one source of them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from ..engine import spelled
from ..events import QueryError
from ..outputs import (
    INTERVAL_WORDS,
    MOVE_ORDER,
    MOVE_WORDS,
    group_heading,
    move_legend,
    partial_note,
)

__all__ = [
    "Answers",
    "Link",
    "chosen",
    "first_questions",
    "gc_table",
    "page",
    "published_status",
    "query_link",
    "template",
    "words",
]

Answers = Callable[[str, Mapping[str, Any]], Any]
"""The API's answer to a question (endpoint, parameters) as JSON data, or None where it has
none (an error)."""

Link = Callable[[str, str | None], str]
"""Where the page of a category (and class, or None for all) is: ``query_link`` on the
server, a file of the folder on a published site."""


def query_link(category: str, entry_class: str | None) -> str:
    """The server's page of a category and class: ``?category=cars&class=T1`` (the script's
    ``pageLink`` without a published site)."""
    params = {"category": category, **({"class": entry_class} if entry_class else {})}
    return "?" + urlencode(params)


def words() -> str:
    """The words of the legends the page draws, from the outputs (the one source of them):
    a script element the page's script reads them from."""
    data = {"move": MOVE_WORDS, "order": MOVE_ORDER, "interval": INTERVAL_WORDS}
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script id="words" type="application/json">{text}</script>'


def served_status(seq: int) -> str:
    """What the first HTML of ``standings serve`` says of itself (scripts keep it live)."""
    return f"as of record {seq}; this page updates itself when scripts run"


def published_status(when: str, seq: int, *, following: bool) -> str:
    """What a published page says of itself: a snapshot, when and from what (``when``: an ISO
    time, ``2026-01-04T18:02:05Z``), refreshed by the publisher if ``publish --watch`` writes
    it (the script's ``publishedStatus``)."""
    said = f"published {when[:10]} {when[11:16]} UTC from record {seq}"
    return said + ("; refreshed by the publisher as records arrive" if following else "")


_NO_NUMBER = "—"
_STATED = ("printed", "note", "recorded", "erratum", "synthetic")


def template() -> str:
    """The live page as shipped: one HTML file with its script and style (``live.html``)."""
    return resources.files(__package__ or "").joinpath("live.html").read_text(encoding="utf-8")


def _once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"live.html no longer holds {old!r} once")
    return text.replace(old, new)


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _signed(ms: int) -> str:
    """A signed duration as the page writes it (``+0:05:00``, ``+0:00:02.5``)."""
    sign, rest = ("-" if ms < 0 else "+"), abs(ms)
    text = f"{sign}{rest // 3_600_000}:{rest // 60_000 % 60:02d}:{rest // 1000 % 60:02d}"
    part = rest % 1000
    return f"{text}.{part:03d}".rstrip("0") if part else text


def _who(row: Mapping[str, Any]) -> str:
    return f"{row['number'] or ''}|{'/'.join(row['crew'])}"


def _move(
    before: Mapping[str, Any] | None, now: Mapping[str, Any], tied: bool
) -> tuple[str, str, str]:
    """A crew's move since the GC before, as the page draws it: its text, its style and its
    kind (``Move.kind``, for the legend)."""
    if before is None:
        return ("–", "new", "new")
    if tied:
        return ("tie", "same", "tied")
    if not before["position_certain"] or not now["position_certain"]:
        return ("?", "same", "unknown")
    gained = before["position"] - now["position"]
    if gained:
        return (f"▲{gained}", "up", "up") if gained > 0 else (f"▼{-gained}", "down", "down")
    return ("=", "same", "same")


def _cell(text: object, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f"<td{klass}>{_e(text)}</td>"


def _head(columns: Sequence[tuple[str, str]]) -> str:
    cells = "".join(f'<th class="{c}">{n}</th>' if c else f"<th>{n}</th>" for n, c in columns)
    return f"<thead><tr>{cells}</tr></thead>"


def _position(row: Mapping[str, Any]) -> str:
    return str(row["position"]) if row["position_certain"] else f"≥{row['position']}"


def _stated(item: Mapping[str, Any]) -> bool:
    return item["provenance"]["kind"] in _STATED


def _tag(item: Mapping[str, Any]) -> str:
    kind = str(item["provenance"]["kind"])
    return {"derived": "derived from the arithmetic", "inferred": "inferred, not reviewed"}.get(
        kind, kind
    )


def _crew(
    names: Sequence[str], penalties: Sequence[Mapping[str, Any]] = (), *, at: int | None = None
) -> str:
    """A crew's cell: the driver, the others (hidden on a phone), the penalties in its time
    (``at``: those of a stage's time, said under the name only on a phone, where the Penalty
    column is hidden)."""
    out = f"<span>{_e(names[0])}</span>"
    if len(names) > 1:
        out += f'<span class="wide"> / {_e(" / ".join(names[1:]))}</span>'
    narrow = "" if at is None else " narrow"
    for item in penalties:
        what = "bonus " if item["amount_ms"] < 0 else "penalty "
        text = f"incl. {what}{item['amount']}" + (
            "" if at is not None else f" (stage {item['stage']})"
        )
        if _stated(item):
            out += f'<span class="pen{narrow}">{_e(text)}</span>'
        else:
            tag = f'<span class="tag">{_e(_tag(item))}</span>'
            out += f'<span class="pen derived{narrow}">{_e(text)} {tag}</span>'
    return f'<td class="crew">{out}</td>'


def _crews_penalties(
    items: Sequence[Mapping[str, Any]],
    row: Mapping[str, Any],
    keep: Callable[[Mapping[str, Any]], bool],
) -> list[Mapping[str, Any]]:
    """The penalties in force on the crew of ``row`` that ``keep`` keeps."""
    return [
        item
        for item in items
        if not item["rescinded"]
        and item["number"] == row["number"]
        and item["crew"] == row["crew"]
        and keep(item)
    ]


def _penalties_of(
    items: Sequence[Mapping[str, Any]], row: Mapping[str, Any], after: int
) -> list[Mapping[str, Any]]:
    """The penalties in force in a crew's GC time after stage ``after``."""
    return _crews_penalties(items, row, lambda item: item["stage"] <= after)


def _stage_penalties(
    items: Sequence[Mapping[str, Any]], row: Mapping[str, Any], stage: int
) -> list[Mapping[str, Any]]:
    """The penalties in force in a crew's time of stage ``stage`` (not those of the GC only)."""
    return _crews_penalties(items, row, lambda item: not item["gc_only"] and item["stage"] == stage)


def _rows(rows: Sequence[Mapping[str, Any]], cells: Callable[[Mapping[str, Any]], str]) -> str:
    """One ``<tr>`` per ranked crew (a sole leader marked), its cells drawn by ``cells``."""
    tied = len(rows) > 1 and rows[1]["position"] == rows[0]["position"]
    out = []
    for index, row in enumerate(rows):
        leader = ' class="leader"' if index == 0 and not tied else ""
        number = html.escape(row["number"] or "", quote=True)
        out.append(f'<tr{leader} data-number="{number}">{cells(row)}</tr>')
    return "".join(out)


def _moves(
    gc: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> dict[str, tuple[str, str, str]]:
    """Each ranked crew's move since ``previous`` (by ``_who``); none without it."""
    if not previous:
        return {}
    before = {_who(row): row for row in previous["rows"]}
    tied = len(previous["rows"]) > 1 and previous["rows"][-1]["position"] == 1
    return {
        _who(row): _move(before.get(_who(row)), row, tied and _who(row) in before)
        for row in gc["rows"]
    }


def gc_table(
    gc: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    classes: bool,
    penalties: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The GC table's head and rows as the page's script draws them."""
    columns = [("Pos", "num"), ("Move", ""), ("No.", "num"), ("Crew", "")]
    makes = any(row.get("make") for row in gc["rows"])  # wide screens only, as the terminal
    if makes:
        columns.append(("Make", "wide"))
    if classes:
        columns += [("Class", "wide"), ("Class pos", "num wide")]
    columns += [("Time", "num"), ("Gap", "num"), ("Interval", "num interval")]
    moves = _moves(gc, previous)

    def cells(row: Mapping[str, Any]) -> str:
        ahead = row["gap_to_ahead_ms"]
        interval = "" if ahead is None else (_signed(ahead) if ahead else "tie")
        gap = _e(row["gap"] or "")
        if interval:
            gap += f'<span class="iv">{_e(interval)}</span>'
        shown = _penalties_of(penalties, row, gc["after_stage"]) if gc["waypoint"] is None else []
        moved = moves.get(_who(row))
        out = [
            _cell(_position(row), "num"),
            _cell(moved[0], moved[1]) if moved else _cell(""),
            _cell(row["number"] or _NO_NUMBER, "num"),
            _crew(row["crew"], shown),
        ]
        if makes:
            out.append(_cell(row.get("make") or "", "wide"))
        if classes:
            out += [
                _cell(row["class"] or "", "wide"),
                _cell(row["class_position"] or "", "num wide"),
            ]
        out += [_cell(row["time"], "num"), f'<td class="num">{gap}</td>']
        out.append(_cell(interval, "num interval"))
        return "".join(out)

    body = _rows(gc["rows"], cells)
    if not gc["rows"]:
        body = f'<tr><td colspan="{len(columns)}">No crew is classified yet.</td></tr>'
    return f"{_head(columns)}<tbody>{body}</tbody>"


def _gc_notes(gc: Mapping[str, Any], previous: Mapping[str, Any] | None) -> str:
    """The notes under the GC: the legend of the symbols its table shows (from the outputs'
    words), and what it leaves out. Who is still on the stage has its own heading below."""
    notes = []
    if previous:
        kinds = {moved[2] for moved in _moves(gc, previous).values()}
        notes.append(move_legend(f"stage {previous['after_stage']}", kinds))
    if len(gc["rows"]) > 1:  # an interval is shown
        notes.append(INTERVAL_WORDS)
    if gc.get("out_of_order"):
        notes.append(_out_of_order(gc["out_of_order"]))
    if any(not row["position_certain"] for row in gc["rows"]):
        notes.append(partial_note(gc["known_rows"]))
    notes.append(_numbers_note(gc["rows"]))
    return " ".join(note for note in notes if note)


def _numbers_note(rows: Sequence[Mapping[str, Any]]) -> str:
    """What "—" in a table's No. column means, where one of its rows shows it."""
    if any(not row["number"] for row in rows):
        return f"No. {_NO_NUMBER}: the source prints no race number for this crew."
    return ""


def _out_of_order(items: Sequence[Mapping[str, Any]]) -> str:
    """The times at the waypoint recorded out of order, as the script says them."""
    said = [
        f"No. {item['number']} at waypoint {item['waypoint']} ("
        + ("later" if item["later"] else "earlier")
        + " than "
        + (
            "its stage time"
            if item["other_waypoint"] is None
            else f"at waypoint {item['other_waypoint']}"
        )
        + ")"
        for item in items
    ]
    return "Recorded out of order, as timed: " + "; ".join(said) + "."


def _group(title: str, items: Sequence[Mapping[str, Any]]) -> str:
    if not items:
        return ""
    rows = "".join(
        "<tr>"
        + _cell(item["number"] or _NO_NUMBER, "num")
        + _cell(" / ".join(item["crew"]), "crew")
        + _cell(item["reason"], "crew")  # the engine's words, as the command line says them
        + "</tr>"
        for item in items
    )
    return f'<h3>{_e(title)}</h3><div class="scroll"><table><tbody>{rows}</tbody></table></div>'


_OUT_GROUPS = (
    ("retired", ("retired",)),
    ("excluded", ("excluded",)),
    ("unknown", ("not-documented",)),
    ("no-result", ("no-result",)),
)
"""The groups of crews missing from the standings, apart from those still on the stage, in
the order the page lists them (the script's ``GROUPS``), each with the statuses it holds."""


def waiting(gc: Mapping[str, Any]) -> str:
    """The crews still on the stage, not yet at the waypoint the standings are at."""
    items = [item for item in gc.get("not_at_waypoint") or () if item["status"] == "not-yet"]
    title = f"Still on the stage, not yet at waypoint {gc['waypoint']} ({len(items)})"
    return _group(title, items)


def missing(gc: Mapping[str, Any]) -> tuple[int, str]:
    """How many crews are missing from the standings for another reason, and their groups:
    no time at the waypoint, retired, excluded, no result, time not in the source."""
    passed = [item for item in gc.get("not_at_waypoint") or () if item["status"] != "not-yet"]
    out = _group(f"No time at the waypoint ({len(passed)})", passed)
    for group, statuses in _OUT_GROUPS:
        items = [item for item in gc["unclassified"] if item["status"] in statuses]
        out += _group(group_heading(group, gc["known_rows"], len(items)), items)
    return len(passed) + len(gc["unclassified"]), out


def _stage(
    stage: Mapping[str, Any], classes: bool, penalties: Sequence[Mapping[str, Any]] = ()
) -> tuple[str, str, str]:
    """The stage's title, table and note, as the script draws them (the penalties in a stage
    time in their column, and on a phone, where that column is hidden, under the crew)."""
    at = f" at waypoint {stage['waypoint']}" if stage["waypoint"] is not None else ""
    title = f"Stage {stage['stage']} ({stage['kind']}){at}"
    columns = [("Pos", "num"), ("No.", "num"), ("Crew", "")]
    if classes:
        columns += [("Class", "wide"), ("Class pos", "num wide")]
    columns += [("Time", "num"), ("Gap", "num")]
    at_waypoint = stage["waypoint"] is not None
    if not at_waypoint:
        columns.append(("Penalty", "num wide"))

    def cells(row: Mapping[str, Any]) -> str:
        number = stage["stage"]
        shown = [] if at_waypoint else _stage_penalties(penalties, row, number)
        out = [
            _cell(_position(row), "num"),
            _cell(row["number"] or _NO_NUMBER, "num"),
            _crew(row["crew"], shown, at=number),
        ]
        if classes:
            out += [
                _cell(row["class"] or "", "wide"),
                _cell(row["class_position"] or "", "num wide"),
            ]
        out += [_cell(row["time"], "num"), _cell(row["gap"] or "", "num")]
        if not at_waypoint:
            penalty = row["penalty_ms"]
            out.append(_cell(_signed(penalty) if penalty else "", "num wide"))
        return "".join(out)

    notes = []
    if any(not row["position_certain"] for row in stage["rows"]):
        notes.append(partial_note(None))
    if stage["cancelled"]:
        notes.append(f"Cancelled: {stage['cancelled']['reason']}.")
    if stage.get("out_of_order"):
        notes.append(_out_of_order(stage["out_of_order"]))
    if stage["retired"]:
        out = ", ".join(f"{i['number'] or ''} {i['crew'][0]}" for i in stage["retired"])
        notes.append(f"Out at this stage: {out}.")
    notes.append(_numbers_note(stage["rows"]))
    table = f"{_head(columns)}<tbody>{_rows(stage['rows'], cells)}</tbody>"
    return title, table, " ".join(note for note in notes if note)


def _penalty_items(items: Sequence[Mapping[str, Any]]) -> str:
    """The penalties, each on a line; a rescinded one with its amount struck (never red) and
    the rescission's reason readable."""
    if not items:
        return "<li>No penalties.</li>"
    out = []
    for item in items:
        cls = ("rescinded " if item["rescinded"] else "") + ("" if _stated(item) else "derived")
        number = f"No. {item['number']} " if item["number"] else ""
        text = f"Stage {item['stage']} · {number}{item['crew'][0]} · "
        amount = _e(item["amount"] + (" (GC only)" if item["gc_only"] else ""))
        amount = (
            f'<del class="amount">{amount}</del>'
            if item["rescinded"]
            else f'<span class="amount">{amount}</span>'
        )
        tag = "" if _stated(item) else f' <span class="tag">{_e(_tag(item))}</span>'
        reason = f" · {item['reason']}"
        rescinded = (
            f' — <span class="rescission">rescinded: {_e(item["rescinded_reason"])}</span>'
            if item["rescinded"]
            else ""
        )
        ident = _e(f" · {item['id']}")
        out.append(
            f'<li class="{cls.strip()}">{_e(text)}{amount}{tag}{_e(reason)}{rescinded}{ident}</li>'
        )
    return "".join(out)


def _previous_stage(category: Mapping[str, Any], stage: int) -> int | None:
    done = [
        s["stage"] for s in category["stages"] if s["state"] == "results" and s["stage"] < stage
    ]
    return done[-1] if done else None


def first_questions(
    category: Mapping[str, Any], entry_class: str | None = None
) -> dict[str, tuple[str, dict[str, Any]]]:
    """The questions the page asks first of ``category`` (an item of ``/api/rally``'s
    ``categories``; of one class of it, if given): its GC, the GC before it, the stage's
    ranking and the penalties, by what they are for (the GC and stage ones only once a stage
    has results or splits)."""
    name = category["category"]
    found: dict[str, tuple[str, dict[str, Any]]] = {"penalties": ("penalties", {"category": name})}
    current = category["current"]
    if current is None:
        return found
    after, waypoint = current["after"], current["waypoint"]
    base = {"category": name, "class": entry_class}
    found["gc"] = ("standings", {**base, "after": after, "waypoint": waypoint})
    found["stage"] = ("stage", {**base, "stage": after, "waypoint": waypoint})
    before = _previous_stage(category, after)
    if before is not None:
        found["previous"] = ("standings", {**base, "after": before})
    return found


def chosen(
    overview: Mapping[str, Any], category: str | None, entry_class: str | None
) -> Mapping[str, Any]:
    """The item of ``overview``'s categories a page of ``category`` and ``entry_class`` shows
    (the first without one); an unknown category, or a class it does not have, is refused."""
    categories: Sequence[Mapping[str, Any]] = overview["categories"]
    found: Mapping[str, Any] | None
    if category is None:
        found = categories[0]
    else:
        name = spelled(category, [c["category"] for c in categories])  # as the API matches
        found = next((c for c in categories if c["category"] == name), None)
        if found is None:
            raise QueryError.unknown(
                "no such category",
                (c["category"] for c in categories),
                category,
                where="category",
            )
    if entry_class is not None and spelled(entry_class, found["classes"]) is None:
        expected = ", ".join(found["classes"]) or "none: this category has no classes"
        raise QueryError(
            f"no such class in {found['category']}",
            where="class",
            expected=f"one of {expected}" if found["classes"] else expected,
            received=entry_class,
        )
    return found


def _link(href: str, label: str, current: bool) -> str:
    here = ' aria-current="page"' if current else ""
    return f'<a href="{html.escape(href, quote=True)}"{here}>{_e(label)}</a>'


def _choices(
    text: str,
    overview: Mapping[str, Any],
    shown: Mapping[str, Any],
    entry_class: str | None,
    link: Link,
) -> str:
    """The category and class choices as links to their pages (they work without scripts;
    the script follows them in place), the shown one marked; the view in ``<main>``'s data."""
    name = shown["category"]
    tabs = "".join(
        _link(link(c["category"], None), c["category"], c["category"] == name)
        for c in overview["categories"]
    )
    text = _once(
        text,
        '<nav id="categories" aria-label="Categories"></nav>',
        f'<nav id="categories" aria-label="Categories">{tabs}</nav>',
    )
    classes = shown["classes"]
    links = _link(link(name, None), "All classes", entry_class is None) + "".join(
        _link(link(name, c), c, c == entry_class) for c in classes
    )
    hidden = "" if classes else ' style="display: none"'
    text = _once(
        text,
        '<nav id="classes" aria-label="Classes" style="display: none">'
        '<span class="label">Class</span></nav>',
        f'<nav id="classes" aria-label="Classes"{hidden}><span class="label">Class</span>'
        f"{links}</nav>",
    )
    view = html.escape(name, quote=True), html.escape(entry_class or "", quote=True)
    return _once(text, "<main>", f'<main data-category="{view[0]}" data-class="{view[1]}">')


def page(
    answers: Answers,
    *,
    category: str | None = None,
    entry_class: str | None = None,
    link: Link = query_link,
    status: str | None = None,
    published: str | None = None,
    error: str | None = None,
) -> str:
    """The live page of ``category`` (the first without one) and ``entry_class`` (all without
    one) with its standings drawn in it, from ``answers`` (``link``: where the page of another
    category or class is; ``status``: what the page says of itself, by default that it is the
    log as of its last record and updates itself when scripts run; ``published``: the script
    element a published site embeds; ``error``: why the log cannot be read, shown as the
    script shows it). An unknown category or class is a ``QueryError``."""
    text = _once(template(), "<!-- words -->", words())
    if published is not None:
        text = _once(text, "<!-- published -->", published)
    overview = answers("rally", {})
    if overview is None:
        return _damaged(text, error or "the log cannot be read")
    shown = chosen(overview, category, entry_class)
    if entry_class is not None:  # as the log spells it (``Ultimate`` for ``ultimate``)
        entry_class = spelled(entry_class, shown["classes"])
    name = _e(overview["rally"])
    kind = "live standings" if published is None else "standings"  # a site says when, below
    text = _once(text, "<title>Live standings</title>", f"<title>{name} · {kind}</title>")
    text = _once(text, '<h1 id="rally">Live standings</h1>', f'<h1 id="rally">{name}</h1>')
    said = status if status is not None else served_status(overview["last_seq"])
    text = _once(
        text, '<span id="status">connecting…</span>', f'<span id="status">{_e(said)}</span>'
    )
    text = _choices(text, overview, shown, entry_class, link)
    questions = first_questions(shown, entry_class)
    asked = {key: answers(*question) for key, question in questions.items()}
    penalties = asked["penalties"] or []
    text = _once(
        text,
        '<ul class="penalties" id="penalties"></ul>',
        f'<ul class="penalties" id="penalties">{_penalty_items(penalties)}</ul>',
    )
    if shown["current"] is None:
        return _once(
            text,
            '<h2 id="gc-title">General classification</h2>',
            '<h2 id="gc-title">No results yet</h2>',
        )
    gc, stage = asked.get("gc"), asked.get("stage")
    if gc is None or stage is None:
        return text
    classes = bool(shown["classes"]) and entry_class is None
    return _drawn(text, gc, asked.get("previous"), stage, penalties, classes, entry_class)


def _drawn(
    text: str,
    gc: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    stage: Mapping[str, Any],
    penalties: Sequence[Mapping[str, Any]],
    classes: bool,
    entry_class: str | None,
) -> str:
    """The page with the GC, who is not in it, and the stage drawn."""
    of = f" of class {entry_class}" if entry_class else ""
    title = (
        f"General classification{of} at waypoint {gc['waypoint']} of stage "
        f"{gc['after_stage']} (live)"
        if gc["waypoint"] is not None
        else f"General classification{of} after stage {gc['after_stage']}"
    )
    text = _once(
        text, '<h2 id="gc-title">General classification</h2>', f'<h2 id="gc-title">{_e(title)}</h2>'
    )
    text = _once(
        text,
        '<table id="gc"><thead></thead><tbody></tbody></table>',
        f'<table id="gc">{gc_table(gc, previous, classes, penalties)}</table>',
    )
    text = _once(
        text,
        '<p class="note" id="gc-note"></p>',
        f'<p class="note" id="gc-note">{_e(_gc_notes(gc, previous))}</p>',
    )
    text = _once(text, '<div id="gc-waiting"></div>', f'<div id="gc-waiting">{waiting(gc)}</div>')
    count, groups = missing(gc)
    shown = "" if count else ' style="display: none"'
    empty = '<summary></summary><div class="groups"></div>'
    text = _once(
        text,
        f'<details id="gc-out" style="display: none">{empty}</details>',
        f'<details id="gc-out"{shown}><summary>Who is missing from these standings, and why '
        f'({count})</summary><div class="groups">{groups}</div></details>',
    )
    title, table, note = _stage(stage, classes, penalties)
    text = _once(text, '<h2 id="stage-title">Stage</h2>', f'<h2 id="stage-title">{_e(title)}</h2>')
    text = _once(
        text,
        '<table id="stage"><thead></thead><tbody></tbody></table>',
        f'<table id="stage">{table}</table>',
    )
    return _once(
        text,
        '<p class="note" id="stage-note"></p>',
        f'<p class="note" id="stage-note">{_e(note)}</p>',
    )


def not_found(refused: QueryError) -> str:
    """The page of an address that names a category or class the rally does not have: what
    was asked, what there is, and a link to the standings (a reader typed or followed it)."""
    said = f"{refused.what}: expected {refused.expected}, received {refused.received}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Not found · standings</title>\n</head>\n<body>\n"
        f"<h1>No such page</h1>\n<p>{_e(said)}.</p>\n"
        '<p><a href="/">The standings</a></p>\n</body>\n</html>\n'
    )


def _damaged(text: str, message: str) -> str:
    """The page of a log that cannot be read: the error shown, as the script shows it."""
    text = _once(text, "<body>", '<body class="damaged">')
    text = _once(
        text,
        '<div id="error" role="alert"></div>',
        '<div id="error" role="alert"><strong>The log cannot be read.</strong> '
        f"<span>{_e(message)}</span></div>",
    )
    return _once(
        text,
        '<span id="status">connecting…</span>',
        '<span id="status">the log is damaged: the last good standings are shown greyed</span>',
    )
