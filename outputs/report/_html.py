"""Small HTML pieces of the report; every value passes through ``escape`` (quotes too)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from ...events import Person, Provenance
from .._text import Move, number_cell, source_file, source_text

__all__ = [
    "PROVENANCE",
    "badge",
    "crew_cell",
    "escape",
    "move_cell",
    "number_td",
    "pos_cell",
    "source_html",
    "table",
]


def escape(text: object) -> str:
    """``text`` escaped for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def pos_cell(position: int, certain: bool) -> str:
    """A position cell; an uncertain one is ``≥N``, styled, with a tooltip saying why."""
    if certain:
        return f'<td class="num pos">{position}</td>'
    return (
        f'<td class="num pos uncertain" title="at least {position}th: the source prints only '
        f'the leading rows">≥{position}</td>'
    )


def move_cell(item: Move) -> str:
    """A Move cell, its meaning in a tooltip."""
    return (
        f'<td class="move {escape(item.kind)}" title="{escape(item.title)}">'
        f"{escape(item.text)}</td>"
    )


def number_td(number: str | None) -> str:
    """A race-number cell: ``—`` (never a "-"), with a tooltip, when the source gives none."""
    if number is None:
        no = escape(number_cell(number))
        return f'<td class="num no" title="the source prints no race number">{no}</td>'
    return f'<td class="num no">{escape(number)}</td>'


def crew_cell(crew: Sequence[Person], make: str | None, *, compact: bool, extra: str = "") -> str:
    """The crew (the driver always visible, the co-drivers hidden on a phone) and the make.

    ``compact``: the driver only, the whole crew in a tooltip, and no make column.
    ``extra``: HTML shown under the names (the penalties in the crew's time).
    """
    names = " / ".join(person.name for person in crew)
    if compact:
        return f'<td class="crew" title="{escape(names)}">{escape(crew[0].name)}{extra}</td>'
    rest = "".join(f" / {escape(person.name)}" for person in crew[1:])
    co = f'<span class="co">{rest}</span>' if rest else ""
    return (
        f'<td class="crew"><span class="driver">{escape(crew[0].name)}</span>{co}{extra}</td>'
        f'<td class="make">{escape(make or "")}</td>'
    )


def table(
    headers: Sequence[tuple[str, str]], body: Iterable[str], *, caption: str = "", cls: str = ""
) -> str:
    """A table: ``headers`` as (text, class); ``caption`` is already HTML."""
    head = "".join(f'<th scope="col" class="{escape(c)}">{escape(h)}</th>' for h, c in headers)
    cap = f"<caption>{caption}</caption>" if caption else ""
    klass = f' class="{escape(cls)}"' if cls else ""
    return (
        f'<div class="table-wrap"><table{klass}>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


PROVENANCE = {
    "printed": "printed in the source",
    "derived": "derived from the arithmetic of printed numbers",
    "note": "stated in a note of the source",
    "erratum": "corrected by an erratum: the printed value is proved wrong",
    "inferred": "inferred by the importer, not yet reviewed",
    "recorded": "recorded by an official",
    "hypothetical": "hypothetical: not a fact",
    "synthetic": "generated",
}
"""Each kind of source, in words (the legend and the badges' tooltips)."""


def badge(kind: str) -> str:
    """A small label naming the kind of a source."""
    title = escape(PROVENANCE.get(kind, kind))
    return f'<span class="badge {escape(kind)}" title="{title}">{escape(kind)}</span>'


def source_html(provenance: Provenance, rally: str) -> str:
    """Where a fact comes from, citable; the source file only in a tooltip."""
    text = source_text(provenance, rally)
    if not text:
        return ""
    found = source_file(provenance)
    tip = f' title="file {escape(found)}"' if found else ""
    return f'<span class="source"{tip}>{escape(text)}</span>'
