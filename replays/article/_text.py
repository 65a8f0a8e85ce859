"""What the words of an article say about penalties: who, how much, on which stage, why.

The articles state penalties in notes and prose, in many spellings:
``a penalty of 5:30``, ``a 14-minute penalty``, ``a five minutes penalty``,
``penalised one hour``, ``a ten-hour penalty``, ``a 60-minute penalty``,
``1 hour and 6 minutes``. ``penalty_mentions`` finds every sentence that
states one and reads from it the crews it names, the amounts, the stages
(``stage 19``, ``the fifth stage``, ``the 13th stage``, ``the penultimate
stage``) and the reason (``for speeding``). Nothing here decides anything:
the mentions are evidence for the inference rules, which check them against
the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import attrs

from ...engine import fold_name
from ._parse import Article, ArticleError, parse_clock

__all__ = ["Mention", "parse_amounts", "penalty_mentions", "stage_references"]

_UNITS = {
    "zero": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
}
_MS = {"hour": 3_600_000, "minute": 60_000, "second": 1_000}

_WORD = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
_DIGIT_WORD = "|".join(k for k, v in _UNITS.items() if 0 < v < 10 and k not in ("a", "an"))
_NUMBER = rf"(?:[0-9]+|(?:{'|'.join(_TENS)})[- ](?:{_DIGIT_WORD})|{_WORD})"
_UNIT = r"(?:hours?|hrs?|minutes?|mins?|seconds?|secs?)"
_PART = re.compile(rf"\b(?P<n>{_NUMBER})[\s-]+(?P<u>{_UNIT})\b", re.IGNORECASE)
_HALF_HOUR = re.compile(r"\bhalf[\s-]an?[\s-]hour\b", re.IGNORECASE)
_AND_A_HALF = re.compile(r"\s+and\s+a\s+half\b", re.IGNORECASE)
_CLOCK = re.compile(r"(?<![0-9:])([0-9]{1,3}:[0-5][0-9](?::[0-5][0-9])?)(?![0-9:])")
_JOIN = re.compile(r"\s*(?:,\s*|\s+and\s+|\s+)$", re.IGNORECASE)


def _number(text: str) -> int:
    word = text.lower().replace("-", " ").split()
    if word[0].isdigit():
        return int(word[0])
    if len(word) == 2:
        return _TENS[word[0]] + _UNITS[word[1]]
    return _TENS.get(word[0], _UNITS.get(word[0], 0))


def _unit(text: str) -> int:
    lowered = text.lower()
    if lowered.startswith("h"):
        return _MS["hour"]
    if lowered.startswith("m"):
        return _MS["minute"]
    return _MS["second"]


def parse_amounts(text: str) -> list[tuple[int, str]]:
    """Every amount of time written in ``text``, in milliseconds, with the words that say it.

    ``5:30`` (minutes and seconds), ``1:00:00``, ``14-minute``, ``five minutes``,
    ``one hour``, ``ten-hour``, ``60-minute``, ``an hour``, ``half an hour``;
    parts joined by *and* or a comma (``1 hour and 6 minutes``) make one amount.
    """
    found: list[tuple[int, int, int, str]] = []  # start, end, ms, words
    for match in _PART.finditer(text):
        amount = _number(match.group("n")) * _unit(match.group("u"))
        if found and _JOIN.fullmatch(text[found[-1][1] : match.start()] + " "):
            start, _, total, _ = found.pop()
            found.append((start, match.end(), total + amount, text[start : match.end()]))
        else:
            found.append((match.start(), match.end(), amount, match.group(0)))
    for match in _AND_A_HALF.finditer(text):
        for index, (start, end, total, words) in enumerate(found):
            if end == match.start() and words.lower().rstrip("s").endswith("hour"):
                found[index] = (start, match.end(), total + 1_800_000, text[start : match.end()])
    found += [(m.start(), m.end(), 1_800_000, m.group(0)) for m in _HALF_HOUR.finditer(text)]
    for match in _CLOCK.finditer(text):
        try:
            found.append((match.start(), match.end(), parse_clock(match.group(1)), match.group(1)))
        except ArticleError:
            continue
    kept = [
        item
        for item in found
        if not any(
            other is not item and other[0] <= item[0] and item[1] <= other[1] for other in found
        )
    ]
    return [(ms, words) for _, _, ms, words in sorted(kept) if ms > 0]


_ORDINAL_WORD = "|".join(_ORDINALS)
_CARDINAL_WORD = "|".join(k for k in _UNITS if k not in ("a", "an", "zero"))
_LIST_ITEM = rf"(?:[0-9]+(?:st|nd|rd|th)?|{_ORDINAL_WORD}|{_CARDINAL_WORD})"
_STAGE_PATTERNS = (
    re.compile(r"\bstages?\s+(?P<list>[0-9]+(?:(?:\s*,\s*|\s+and\s+|\s*[-–]\s*)[0-9]+)*)\b", re.I),
    re.compile(
        rf"\b(?P<list>{_LIST_ITEM}(?:(?:\s*,\s*|\s+and\s+){_LIST_ITEM})*)\s+stages?\b", re.I
    ),
)
_RELATIVE = re.compile(
    r"\b(?P<which>penultimate|final|last|closing|opening)(?:\s+[a-z]+)?\s+stage\b", re.I
)


def _item(text: str) -> int | None:
    lowered = text.lower()
    digits = re.match(r"[0-9]+", lowered)
    if digits:
        return int(digits.group(0))
    return _ORDINALS.get(lowered, _UNITS.get(lowered))


def stage_references(text: str, *, first: int, last: int) -> list[tuple[int, int]]:
    """The stages ``text`` names, each with where it is named (character offset), in order.

    ``stage 19``, ``stages 10 and 11``, ``the fifth stage``, ``the 13th stage``,
    ``the ninth, thirteen and fifteen stages``, ``the penultimate stage``
    (``last`` - 1), ``the final stage`` (``last``), ``the opening stage`` (``first``).
    """
    found: list[tuple[int, int]] = []
    for pattern in _STAGE_PATTERNS:
        for match in pattern.finditer(text):
            items = re.split(r"\s*,\s*|\s+and\s+", match.group("list"), flags=re.I)
            for item in items:
                if re.fullmatch(r"[0-9]+\s*[-–]\s*[0-9]+", item):
                    low, high = (int(x) for x in re.split(r"\s*[-–]\s*", item))
                    found += [(match.start(), n) for n in range(low, high + 1)]
                    continue
                number = _item(item)
                if number is not None and first <= number <= last:
                    found.append((match.start(), number))
    for match in _RELATIVE.finditer(text):
        which = match.group("which").lower()
        number = last - 1 if which == "penultimate" else first if which == "opening" else last
        found.append((match.start(), number))
    return sorted(set(found))


@attrs.frozen
class Mention:
    """A sentence of a note or of the prose that states a penalty.

    ``crews``: the (category, crew key) pairs it names (a surname shared by
    two crews gives both); ``amounts`` in milliseconds; ``stages``: the stages
    named in the clause of the penalty, else the nearest ones named before it
    in the same paragraph (``stage_words`` says which); ``scope_words``: the
    words that say it counted only in the overall classification, if any.
    """

    line: int
    source: Literal["note", "prose"]
    quote: str
    crews: tuple[tuple[str, str], ...]
    amounts: tuple[int, ...]
    amount_words: tuple[str, ...]
    stages: tuple[int, ...]
    stage_words: Literal["clause", "paragraph", "none"]
    reason: str | None
    scope_words: str | None


_PENALTY = re.compile(r"\bpenal(?:ty|ties|ised|ized|ising|izing)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\"'’][.!?])\s+(?=[A-Z\"'‘])")
_CLAUSE_BREAK = re.compile(r",\s+(?=which\b|who\b|leaving\b|giving\b)", re.I)
_REASON = re.compile(r"\b(?:for|as a result of|after)\s+(?!the stage\b)(?P<why>[^,.;]+)", re.I)
_SCOPE = re.compile(
    r"only affected the (?:overall|general) classification"
    r"|(?:retain|kept|keep)\w*\s+(?:his|her|their|the)\s+stage win"
    r"|(?:overall|general) classification only",
    re.I,
)


def _sentences(text: str) -> list[tuple[int, str]]:
    """Sentences with their offsets (a full stop after a lowercase word or a digit ends one)."""
    out = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        out.append((start, text[start : match.start()]))
        start = match.end()
    out.append((start, text[start:]))
    return out


def _name_forms(name: str) -> list[str]:
    words = fold_name(name).split()
    forms = [" ".join(words)]
    if len(words) > 1:
        forms += [" ".join(words[1:]), words[-1]]
    if len(words) > 2:
        forms.append(" ".join(words[-2:]))
    return list(dict.fromkeys(forms))


def _crews_named(
    text: str, crews: Mapping[tuple[str, str], str], category: str | None
) -> tuple[tuple[str, str], ...]:
    """The crews a clause names: full names first, then surnames in what is left."""
    folded = f" {fold_name(text)} "
    wanted = {k: n for k, n in crews.items() if category is None or k[0] == category}
    named: list[tuple[str, str]] = []
    for crew, name in wanted.items():
        full = f" {fold_name(name)} "
        if full in folded:
            named.append(crew)
            folded = folded.replace(full, " # ")
    for crew, name in wanted.items():
        if crew in named:
            continue
        if any(f" {form} " in folded for form in _name_forms(name)[1:]):
            named.append(crew)
    return tuple(named)


def penalty_mentions(
    article: Article,
    crews: Mapping[tuple[str, str], str],
    *,
    first: int,
    last: int,
    note_categories: Mapping[int, str] | None = None,
) -> list[Mention]:
    """Every sentence of the notes and prose that states a penalty, read into a ``Mention``.

    ``crews``: the driver's name of every crew, by (category, key); a note of a
    category's table (``note_categories``: note line -> category) names only
    crews of that category.
    """
    texts: list[tuple[int, Literal["note", "prose"], str]] = [
        (note.line, "note", note.text) for note in article.notes
    ] + [(paragraph.line, "prose", paragraph.text) for paragraph in article.prose]
    mentions: list[Mention] = []
    for line, source, paragraph in sorted(texts):
        category = (note_categories or {}).get(line) if source == "note" else None
        for offset, sentence in _sentences(paragraph):
            match = _PENALTY.search(sentence)
            if match is None:
                continue
            clause_start = 0
            clause_end = len(sentence)
            for brk in _CLAUSE_BREAK.finditer(sentence):
                if brk.start() < match.start():
                    clause_start = brk.end()
                else:
                    clause_end = brk.start()
                    break
            clause = sentence[clause_start:clause_end]
            amounts = parse_amounts(clause)
            named = _crews_named(clause, crews, category)
            if not amounts or not named:
                continue
            refs = stage_references(clause, first=first, last=last)
            words: Literal["clause", "paragraph", "none"] = "clause"
            stages = [stage for _, stage in refs]
            if not stages:
                before = stage_references(
                    paragraph[: offset + clause_start], first=first, last=last
                )
                nearest = max((at for at, _ in before), default=None)
                stages = [stage for at, stage in before if at == nearest]
                words = "paragraph" if stages else "none"
            reason_match = _REASON.search(clause, match.start() - clause_start)
            scope = _SCOPE.search(paragraph)
            mentions.append(
                Mention(
                    line=line,
                    source=source,
                    quote=sentence.strip(),
                    crews=named,
                    amounts=tuple(ms for ms, _ in amounts),
                    amount_words=tuple(w for _, w in amounts),
                    stages=tuple(dict.fromkeys(stages)),
                    stage_words=words,
                    reason=reason_match.group("why").strip() if reason_match else None,
                    scope_words=scope.group(0) if scope else None,
                )
            )
    return mentions
