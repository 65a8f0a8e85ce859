"""Matching people by name: accents, case, hyphens and spacing do not count."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold_name", "name_matches"]


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
