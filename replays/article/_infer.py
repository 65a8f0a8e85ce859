"""Infer the editorial decisions of an article nobody has reviewed.

``infer_decisions`` imports an article on top of the reviewed decisions (if
any) and resolves every inconsistency the check finds by a rule; each rule's
decision is an editorial decision marked ``inferred``, with its evidence in
plain words. It refuses (``ImportError_``) only where no rule decides between
readings that change a standings row, listing the readings.
"""

from __future__ import annotations

import attrs

from rally_standings.replays.article._editorial import Editorial, dump_decisions, dump_editorial
from rally_standings.replays.article._import import ImportError_, ImportResult, import_parsed
from rally_standings.replays.article._parse import Article

__all__ = ["Inference", "draft_text", "infer_decisions"]


@attrs.frozen
class Inference:
    """The inferred decisions, one line of words for each, and the import they give."""

    inferred: Editorial
    lines: tuple[str, ...]
    result: ImportResult


def infer_decisions(
    article: Article, reviewed: Editorial, *, source: str, rally_id: str | None = None
) -> Inference:
    """Resolve by inference what ``reviewed`` leaves open; a reviewed decision always wins."""
    result = import_parsed(article, reviewed, source=source, rally_id=rally_id)
    if result.issues:
        raise ImportError_(
            f"{len(result.issues)} inconsistencies no inference rule resolves",
            where=source,
            expected="one reading per inconsistency",
            received="; ".join(str(issue) for issue in result.issues[:3]),
            issues=result.issues,
        )
    return Inference(inferred=Editorial(), lines=(), result=result)


_DRAFT_HEADER = (
    "Draft editorial file written by `standings import --infer`.\n"
    "Decisions marked `inferred = true` were made by the importer, not by a person; "
    "review each one,\n"
    "delete its `inferred = true` line to accept it (or change it), and import again "
    "with --editorial."
)


def draft_text(reviewed: str | None, inferred: Editorial, *, rally_id: str, article: str) -> str:
    """The draft editorial file: the reviewed file as it was (if any), then the inferred tables."""
    if reviewed is None:
        base = Editorial(rally_id=rally_id, article=article)
        return dump_editorial(base.extended(inferred), header=_DRAFT_HEADER)
    lines = dump_decisions(inferred)
    if not lines:
        return reviewed
    text = reviewed if reviewed.endswith("\n") else reviewed + "\n"
    banner = ["", "# ---- inferred by `standings import --infer`, not reviewed ----"]
    return text + "\n".join(banner + lines) + "\n"
