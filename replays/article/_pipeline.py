"""Import an article file into a log and its documented standings, beside each other."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rally_standings.engine import Recorder, create_log
from rally_standings.replays.article._editorial import Editorial, load_editorial
from rally_standings.replays.article._import import ImportError_, ImportResult, import_article
from rally_standings.replays.article._verify import documented_path, editorial_path

__all__ = ["import_file"]


def import_file(
    article: str | os.PathLike[str],
    log: str | os.PathLike[str],
    *,
    editorial: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> ImportResult:
    """Import ``article`` into a new log at ``log``, with the documented rows beside it.

    The editorial file defaults to ``LOG-stem.toml`` beside the log. Nothing is
    written while the consistency check leaves an issue unresolved: the
    ``ImportError_`` raised then lists them (``error.issues``).
    """
    article_path = Path(article)
    log_path = Path(log)
    editorial_file = Path(editorial) if editorial is not None else editorial_path(log_path)
    decisions = (
        load_editorial(editorial_file)
        if editorial_file.exists()
        else Editorial(rally_id=log_path.name.removesuffix(".rallylog"))
    )
    try:
        text = article_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportError_("no such article", where=str(article_path)) from None
    result = import_article(text, decisions, source=article_path.name)
    if result.issues:
        error = ImportError_(
            f"{len(result.issues)} inconsistencies not resolved by the editorial file",
            where=str(editorial_file),
            expected="an erratum or a penalty for each (see the report)",
            received="; ".join(str(issue) for issue in result.issues[:3])
            + (" …" if len(result.issues) > 3 else ""),
        )
        error.issues = result.issues  # type: ignore[attr-defined]
        raise error
    if overwrite:
        log_path.unlink(missing_ok=True)
    create_log(log_path, result.declaration)
    with Recorder(log_path) as recorder:
        recorder.append_many(result.events)
    documented_path(log_path).write_text(
        json.dumps(result.documented, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return result
