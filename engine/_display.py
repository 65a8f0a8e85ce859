"""How the engine's answers show in a notebook: ``_repr_html_``, drawn by whoever registers.

The engine draws nothing itself: a layer above it (``rally_standings.outputs``, on import)
registers the HTML of each type of answer (``register_html``), so Jupyter shows a
``Standings``, a ``StageResult`` or a ``WhatIf`` as the table the command line prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["HtmlDisplay", "register_html"]

_DRAWERS: dict[str, Callable[[Any], str]] = {}


def register_html(kind: str, draw: Callable[[Any], str]) -> None:
    """Have ``draw(answer)`` give the notebook HTML of every answer whose type is named
    ``kind`` (by name: registering imports none of the engine's modules)."""
    _DRAWERS[kind] = draw


class HtmlDisplay:
    """An answer a notebook shows as HTML (once a drawer of its type is registered)."""

    __slots__ = ()

    def _repr_html_(self) -> str | None:
        draw = _DRAWERS.get(type(self).__name__)
        return None if draw is None else draw(self)
