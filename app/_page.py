"""The live page's first HTML, with the current standings already in it.

``standings serve`` answers ``/`` and ``standings publish`` writes ``index.html`` with what
the page's script would draw first: the rally's name, its categories and classes, the GC of
the first category (after the last stage with results, or at the latest waypoint of the
stage being run) with who is still on the stage, who retired, who was excluded and who has no
time apart, the stage's ranking and the penalties. A reader without scripts, a search
engine, a page saved or printed: all see the standings at once. The script
(``live.html``) then draws the same tables from the API on load and keeps them live; the
code here draws them as it does, from the same answers (the JSON of ``/api/…``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

__all__ = ["Answers", "gc_table", "page", "template"]

Answers = Callable[[str, Mapping[str, Any]], Any]
"""The API's answer to a question (endpoint, parameters) as JSON data, or None where it has
none (an error)."""

_NO_NUMBER = "—"
_STATED = ("printed", "note", "recorded", "erratum", "synthetic")
_PARTIAL = "≥N: the source holds only part of the field; the position is at least N."


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


def _move(before: Mapping[str, Any] | None, now: Mapping[str, Any], tied: bool) -> tuple[str, str]:
    """A crew's move since the GC before, as the page draws it."""
    if before is None:
        return ("–", "new")
    if tied:
        return ("tie", "same")
    if not before["position_certain"] or not now["position_certain"]:
        return ("?", "same")
    gained = before["position"] - now["position"]
    if gained:
        return (f"▲{gained}", "up") if gained > 0 else (f"▼{-gained}", "down")
    return ("=", "same")


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


def _crew(names: Sequence[str], penalties: Sequence[Mapping[str, Any]] = ()) -> str:
    """A crew's cell: the driver, the others (hidden on a phone), the penalties in its time."""
    out = f"<span>{_e(names[0])}</span>"
    if len(names) > 1:
        out += f'<span class="wide"> / {_e(" / ".join(names[1:]))}</span>'
    for item in penalties:
        what = "bonus " if item["amount_ms"] < 0 else "penalty "
        text = f"incl. {what}{item['amount']} (stage {item['stage']})"
        if _stated(item):
            out += f'<span class="pen">{_e(text)}</span>'
        else:
            tag = f'<span class="tag">{_e(_tag(item))}</span>'
            out += f'<span class="pen derived">{_e(text)} {tag}</span>'
    return f'<td class="crew">{out}</td>'


def _penalties_of(
    items: Sequence[Mapping[str, Any]], row: Mapping[str, Any], after: int
) -> list[Mapping[str, Any]]:
    return [
        item
        for item in items
        if not item["rescinded"]
        and item["stage"] <= after
        and item["number"] == row["number"]
        and item["crew"] == row["crew"]
    ]


def _rows(rows: Sequence[Mapping[str, Any]], cells: Callable[[Mapping[str, Any]], str]) -> str:
    """One ``<tr>`` per ranked crew (a sole leader marked), its cells drawn by ``cells``."""
    tied = len(rows) > 1 and rows[1]["position"] == rows[0]["position"]
    out = []
    for index, row in enumerate(rows):
        leader = ' class="leader"' if index == 0 and not tied else ""
        number = html.escape(row["number"] or "", quote=True)
        out.append(f'<tr{leader} data-number="{number}">{cells(row)}</tr>')
    return "".join(out)


def gc_table(
    gc: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    classes: bool,
    penalties: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The GC table's head and rows as the page's script draws them."""
    columns = [("Pos", "num"), ("Move", ""), ("No.", "num"), ("Crew", "")]
    if classes:
        columns += [("Class", "wide"), ("Class pos", "num wide")]
    columns += [("Time", "num"), ("Gap", "num"), ("Interval", "num interval")]
    before = {_who(row): row for row in previous["rows"]} if previous else {}
    tied_before = bool(
        previous and len(previous["rows"]) > 1 and previous["rows"][-1]["position"] == 1
    )

    def cells(row: Mapping[str, Any]) -> str:
        moved = _move(before.get(_who(row)), row, tied_before and _who(row) in before)
        ahead = row["gap_to_ahead_ms"]
        interval = "" if ahead is None else (_signed(ahead) if ahead else "tie")
        gap = _e(row["gap"] or "")
        if interval:
            gap += f'<span class="iv">{_e(interval)}</span>'
        shown = _penalties_of(penalties, row, gc["after_stage"]) if gc["waypoint"] is None else []
        out = [
            _cell(_position(row), "num"),
            _cell(moved[0], moved[1]) if previous else _cell(""),
            _cell(row["number"] or _NO_NUMBER, "num"),
            _crew(row["crew"], shown),
        ]
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
    notes = []
    if gc["waypoint"] is not None and gc.get("not_at_waypoint") is not None:
        waiting = sum(1 for item in gc["not_at_waypoint"] if item["status"] == "not-yet")
        notes.append(f"Not yet at waypoint {gc['waypoint']}: {waiting}.")
    if previous:
        notes.append(
            f"Move: places gained ▲ or lost ▼ since stage {previous['after_stage']}; = the same "
            "place; – place before not known (the crew was not in the standings then); ? a "
            "place is only a lower bound (≥N), so the move is not known; tie: every crew was "
            "tied before, so there was no order to move from."
        )
    notes.append("Interval: time behind the crew one place ahead.")
    if gc.get("out_of_order"):
        notes.append(_out_of_order(gc["out_of_order"]))
    if any(not row["position_certain"] for row in gc["rows"]):
        notes.append(_PARTIAL)
    if any(not row["number"] for row in [*gc["rows"], *gc["unclassified"]]):
        notes.append(f"No. {_NO_NUMBER}: the source prints no race number for this crew.")
    return " ".join(notes)


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


def _prints(known: int | None) -> str:
    if known == 1:
        return "the source prints only the leader"
    return (
        f"the source prints only the top {known}"
        if known
        else "the source prints only the leading rows"
    )


def _missing_reason(item: Mapping[str, Any]) -> str:
    """Why a crew is missing, in a fan's words (as the command line says it)."""
    status, stage = item["status"], item["stage"]
    if (
        status not in ("no-result", "not-documented")
        or stage is None
        or "withdrawn" in item["reason"]
    ):
        return str(item["reason"])
    given = "printed" if status == "not-documented" else "recorded"
    if item["known_after"] is None:
        if status == "not-documented":
            return f"time not known since stage {stage}"
        return f"no time recorded for stage {stage}"
    last = item["known_after"]
    return f"only one total time {given} for stages {stage}–{last}, known after stage {last}"


def _group(title: str, items: Sequence[Mapping[str, Any]]) -> str:
    if not items:
        return ""
    rows = "".join(
        "<tr>"
        + _cell(item["number"] or _NO_NUMBER, "num")
        + _cell(" / ".join(item["crew"]), "crew")
        + _cell(item["reason"] if item["status"] == "not-yet" else _missing_reason(item), "crew")
        + "</tr>"
        for item in items
    )
    return (
        f"<h3>{_e(title)} ({len(items)})</h3>"
        f'<div class="scroll"><table><tbody>{rows}</tbody></table></div>'
    )


_OUT_GROUPS = (
    ("Retired", ("retired",)),
    ("Excluded", ("excluded",)),
    (None, ("not-documented",)),
    ("No result recorded", ("no-result",)),
)
"""The groups of crews missing from the standings, apart from those still on the stage, in
the order the page lists them (the script's ``GROUPS``)."""


def waiting(gc: Mapping[str, Any]) -> str:
    """The crews still on the stage, not yet at the waypoint the standings are at."""
    items = [item for item in gc.get("not_at_waypoint") or () if item["status"] == "not-yet"]
    return _group(f"Still on the stage, not yet at waypoint {gc['waypoint']}", items)


def missing(gc: Mapping[str, Any]) -> tuple[int, str]:
    """How many crews are missing from the standings for another reason, and their groups:
    no time at the waypoint, retired, excluded, no result, time not in the source."""
    passed = [item for item in gc.get("not_at_waypoint") or () if item["status"] != "not-yet"]
    out = _group("No time at the waypoint", passed)
    for title, statuses in _OUT_GROUPS:
        heading = title or f"Time not in the source ({_prints(gc['known_rows'])})"
        out += _group(heading, [i for i in gc["unclassified"] if i["status"] in statuses])
    return len(passed) + len(gc["unclassified"]), out


def _stage(stage: Mapping[str, Any], classes: bool) -> tuple[str, str, str]:
    """The stage's title, table and note, as the script draws them."""
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
        out = [
            _cell(_position(row), "num"),
            _cell(row["number"] or _NO_NUMBER, "num"),
            _crew(row["crew"]),
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
        notes.append(_PARTIAL)
    if stage["cancelled"]:
        notes.append(f"Cancelled: {stage['cancelled']['reason']}.")
    if stage.get("out_of_order"):
        notes.append(_out_of_order(stage["out_of_order"]))
    if stage["retired"]:
        out = ", ".join(f"{i['number'] or ''} {i['crew'][0]}" for i in stage["retired"])
        notes.append(f"Out at this stage: {out}.")
    return title, f"{_head(columns)}<tbody>{_rows(stage['rows'], cells)}</tbody>", " ".join(notes)


def _penalty_items(items: Sequence[Mapping[str, Any]]) -> str:
    if not items:
        return "<li>No penalties.</li>"
    out = []
    for item in items:
        cls = ("rescinded " if item["rescinded"] else "") + ("" if _stated(item) else "derived")
        number = f"No. {item['number']} " if item["number"] else ""
        text = f"Stage {item['stage']} · {number}{item['crew'][0]} · "
        amount = item["amount"] + (" (GC only)" if item["gc_only"] else "")
        tag = "" if _stated(item) else f' <span class="tag">{_e(_tag(item))}</span>'
        rescinded = f" — rescinded: {item['rescinded_reason']}" if item["rescinded"] else ""
        rest = f" · {item['reason']}{rescinded} · {item['id']}"
        out.append(
            f'<li class="{cls}">{_e(text)}<span class="amount">{_e(amount)}</span>{tag}'
            f"{_e(rest)}</li>"
        )
    return "".join(out)


def _previous_stage(category: Mapping[str, Any], stage: int) -> int | None:
    done = [
        s["stage"] for s in category["stages"] if s["state"] == "results" and s["stage"] < stage
    ]
    return done[-1] if done else None


def first_questions(category: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The questions the page asks first of ``category`` (an item of ``/api/rally``'s
    ``categories``): its GC, the GC before it, the stage's ranking and the penalties, by
    what they are for (the GC and stage ones only once a stage has results or splits)."""
    name = category["category"]
    found: dict[str, tuple[str, dict[str, Any]]] = {"penalties": ("penalties", {"category": name})}
    current = category["current"]
    if current is None:
        return found
    after, waypoint = current["after"], current["waypoint"]
    found["gc"] = ("standings", {"category": name, "after": after, "waypoint": waypoint})
    found["stage"] = ("stage", {"category": name, "stage": after, "waypoint": waypoint})
    before = _previous_stage(category, after)
    if before is not None:
        found["previous"] = ("standings", {"category": name, "after": before})
    return found


def page(answers: Answers, *, published: str | None = None, error: str | None = None) -> str:
    """The live page with the standings of the first category drawn in it, from ``answers``
    (``published``: the script element a published site embeds; ``error``: why the log cannot
    be read, shown as the script shows it)."""
    text = template()
    if published is not None:
        text = _once(text, "<!-- published -->", published)
    overview = answers("rally", {})
    if overview is None:
        return _damaged(text, error or "the log cannot be read")
    name = _e(overview["rally"])
    text = _once(text, "<title>Live standings</title>", f"<title>{name} · live standings</title>")
    text = _once(text, '<h1 id="rally">Live standings</h1>', f'<h1 id="rally">{name}</h1>')
    text = _once(
        text,
        '<span id="status">connecting…</span>',
        f'<span id="status">up to date: {overview["last_seq"]} events</span>',
    )
    categories = overview["categories"]
    buttons = "".join(
        f'<button type="button" aria-pressed="{"true" if index == 0 else "false"}">'
        f"{_e(c['category'])}</button>"
        for index, c in enumerate(categories)
    )
    text = _once(
        text,
        '<nav id="categories" aria-label="Categories"></nav>',
        f'<nav id="categories" aria-label="Categories">{buttons}</nav>',
    )
    first = categories[0]
    text = _classes(text, first["classes"])
    asked = {key: answers(*question) for key, question in first_questions(first).items()}
    penalties = asked["penalties"] or []
    text = _once(
        text,
        '<ul class="penalties" id="penalties"></ul>',
        f'<ul class="penalties" id="penalties">{_penalty_items(penalties)}</ul>',
    )
    if first["current"] is None:
        return _once(
            text,
            '<h2 id="gc-title">General classification</h2>',
            '<h2 id="gc-title">No results yet</h2>',
        )
    gc, stage = asked.get("gc"), asked.get("stage")
    if gc is None or stage is None:
        return text
    return _drawn(text, gc, asked.get("previous"), stage, penalties, bool(first["classes"]))


def _classes(text: str, classes: Sequence[str]) -> str:
    options = '<option value="">All classes</option>' + "".join(
        f'<option value="{html.escape(c, quote=True)}">{_e(c)}</option>' for c in classes
    )
    hidden = "" if classes else ' style="display: none"'
    select = '<select id="class-filter"><option value="">All classes</option></select>'
    return _once(
        text,
        f"<nav><label>Class {select}</label></nav>",
        f'<nav><label{hidden}>Class <select id="class-filter">{options}</select></label></nav>',
    )


def _drawn(
    text: str,
    gc: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    stage: Mapping[str, Any],
    penalties: Sequence[Mapping[str, Any]],
    classes: bool,
) -> str:
    """The page with the GC, who is not in it, and the stage drawn."""
    title = (
        f"General classification at waypoint {gc['waypoint']} of stage {gc['after_stage']} (live)"
        if gc["waypoint"] is not None
        else f"General classification after stage {gc['after_stage']}"
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
    title, table, note = _stage(stage, classes)
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


def _damaged(text: str, message: str) -> str:
    """The page of a log that cannot be read: the error shown, as the script shows it."""
    text = _once(text, "<body>", '<body class="damaged">')
    text = _once(
        text, '<span id="error-text"></span>', f'<span id="error-text">{_e(message)}</span>'
    )
    return _once(
        text,
        '<span id="status">connecting…</span>',
        '<span id="status">the log is damaged: the last good standings are shown greyed</span>',
    )
