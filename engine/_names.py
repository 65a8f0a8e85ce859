"""Matching people by name: accents, case, hyphens and spacing do not count."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["fold_name", "name_key", "name_matches", "number_key", "spelled"]


def fold_name(name: str) -> str:
    """A name folded for matching: accents and case removed, hyphens and spaces collapsed.

    ``"Stéphane Peterhansel"``, ``"stephane PETERHANSEL"`` fold alike;
    ``"Jean-Pierre"`` and ``"Jean Pierre"`` too.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[-‐‑–.']", " ", plain).casefold().split())


def name_matches(query: str, name: str) -> bool:
    """Whether every word of ``query`` is a word of ``name`` (after folding).

    ``"Peterhansel"`` matches ``"Stéphane Peterhansel"``; ``"de Rooy"`` matches
    both Jan and Gérard de Rooy (so it is ambiguous); ``"Sal"`` matches no one.
    """
    wanted = fold_name(query).split()
    words = set(fold_name(name).split())
    return bool(wanted) and all(word in words for word in wanted)


def name_key(text: str) -> str:
    """A category's or a class's name as it is matched: case and spaces do not count
    (``"Rally GP"``, ``"rally gp"`` and ``"RallyGP"`` are one class)."""
    return "".join(text.casefold().split())


def spelled(text: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` that ``text`` names, case and spaces aside (the same spelling
    first), or None."""
    names = tuple(names)
    if text in names:
        return text
    key = name_key(text)
    return next((name for name in names if name_key(name) == key), None)


def number_key(number: str) -> str:
    """A race number as it is compared: as a number where it is one (``007`` is ``7``,
    ``0201`` is ``201``), else as it is written."""
    return str(int(number)) if number.isascii() and number.isdigit() else number
