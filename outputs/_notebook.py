"""The engine's answers in a notebook: ``Standings``, ``StageResult`` and ``WhatIf`` as HTML.

Each is drawn from its plain table (``plain``), so the notebook shows exactly the
columns and cells the command line prints: the title as the caption, the first table's
columns split where its ``---`` rule splits them, and the notes after it as text.
Registered with the engine (``engine.register_html``, by type name) when
``rally_standings.outputs`` is imported; this module is imported on the first drawing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ._text import display_width

__all__ = ["draw", "notebook_html"]


def _spans(rule: str) -> list[tuple[int, int]]:
    """The columns of a plain table, from its rule line (``---  ----``): (start, end) widths."""
    spans, start = [], None
    for index, char in enumerate(rule + " "):
        if char == "-" and start is None:
            start = index
        elif char != "-" and start is not None:
            spans.append((start, index))
            start = None
    return spans


def _cells(line: str, spans: Sequence[tuple[int, int]]) -> list[str]:
    """A table line cut into its cells by display width (a wide character counts twice)."""
    cells = [""] * len(spans)
    column = 0
    for char in line:
        width = display_width(char)
        for index, (start, end) in enumerate(spans):
            if start <= column < end + 2:
                cells[index] += char
                break
        column += width
    return [cell.strip() for cell in cells]


def notebook_html(text: str) -> str:
    """A plain table's text as HTML: its title line as the caption, its first table as a
    table (right-aligned where the plain table aligns right), the rest as notes."""
    lines = text.rstrip("\n").split("\n")
    rule = next((i for i, line in enumerate(lines) if line.startswith("---")), None)
    if rule is None or rule < 1:
        return f"<pre>{html.escape(text)}</pre>"
    spans = _spans(lines[rule])
    end = next((i for i in range(rule + 1, len(lines)) if not lines[i].strip()), len(lines))
    heads = _cells(lines[rule - 1], spans)
    body = [_cells(line, spans) for line in lines[rule + 1 : end]]
    right = {index for index in range(len(spans)) if _right(lines, rule, end, spans, index)}

    def cell(tag: str, index: int, value: str) -> str:
        align = ' style="text-align: right"' if index in right else ' style="text-align: left"'
        return f"<{tag}{align}>{html.escape(value)}</{tag}>"

    caption = " ".join(line for line in lines[: rule - 1] if line.strip())
    rows = "".join(
        "<tr>" + "".join(cell("td", i, value) for i, value in enumerate(row)) + "</tr>"
        for row in body
    )
    notes = "\n".join(lines[end:]).strip("\n")
    return (
        '<table class="rally-standings">'
        f"<caption>{html.escape(caption)}</caption>"
        "<thead><tr>" + "".join(cell("th", i, h) for i, h in enumerate(heads)) + "</tr></thead>"
        f"<tbody>{rows}</tbody></table>" + (f"<pre>{html.escape(notes)}</pre>" if notes else "")
    )


def _right(lines: list[str], rule: int, end: int, spans: Sequence[tuple[int, int]], i: int) -> bool:
    """Whether column ``i`` is right-aligned: no cell of it is followed by padding, and some
    cell is preceded by it."""
    start, stop = spans[i]
    segments = [line[start:stop].ljust(stop - start) for line in lines[rule - 1 : end]]
    segments = [segment for segment in segments if segment.strip()]
    return not any(s.endswith(" ") for s in segments) and any(s.startswith(" ") for s in segments)


def draw(answer: object) -> str:
    """The notebook HTML of an engine answer: its plain table, as HTML."""
    from ._tables import plain

    return notebook_html(plain(answer))
