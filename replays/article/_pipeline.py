"""Import an article file into a log, with its documented standings and editorial file beside it.

``import_file`` is all or nothing: everything is read, checked and computed
in memory first; the files are then written to temporary names in the log's
folder and renamed into place. A refused import, or one that fails while
writing, leaves no file behind (and no existing file changed). An existing
output is refused unless ``force``.

Beside ``LOG`` (``NAME.rallylog``) it writes:

* ``NAME.documented.json``: the rows exactly as printed (what ``verify`` checks);
* ``NAME.toml``: the editorial file the import used, so that ``verify`` finds
  the same errata. A file given with ``editorial=`` is copied there byte for
  byte (unless it is that file). With ``infer=True`` it is the draft: the
  reviewed decisions as given, then every inferred decision, marked
  ``inferred = true``; importing again with it as ``editorial=`` gives the
  same log.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

import attrs

from ...engine import Recorder, create_log
from ...events import RallyError, check_new_file, read_file
from ._editorial import Editorial, load_editorial
from ._import import ArticleImportError, ImportResult, import_parsed
from ._parse import Article, parse_article
from ._verify import documented_path, editorial_path

__all__ = ["ImportOutcome", "import_file", "read_article"]


@attrs.frozen
class ImportOutcome:
    """What an import wrote, and what it decided on its own.

    ``inferred`` holds the decisions ``infer=True`` made (empty otherwise);
    ``lines`` says each of them in one line; ``editorial_file`` is the
    editorial file beside the log (None when the import used none).
    """

    result: ImportResult
    log: Path
    documented_file: Path
    editorial_file: Path | None
    inferred: Editorial
    lines: tuple[str, ...]

    @property
    def events(self) -> int:
        """How many events the log holds (the declaration included)."""
        return len(self.result.events) + 1


SIDE_FILE_LIMIT = 64 << 20
"""An article, an editorial file or a documented-standings file is at most this large."""


def read_side(path: Path, what: str) -> bytes:
    """The bytes of a file read beside a log (an article, an editorial or documented file):
    a regular file no larger than ``SIDE_FILE_LIMIT``; a directory, FIFO, device or larger
    file is refused with one line before it is read."""
    try:
        return read_file(path, what=what, limit=SIDE_FILE_LIMIT)
    except RallyError as error:
        raise ArticleImportError(
            error.what, where=error.where, expected=error.expected, received=error.received
        ) from None


def read_article(path: str | os.PathLike[str]) -> tuple[Article, str]:
    """Parse the article at ``path``: a regular UTF-8 text file. Returns it and its text."""
    location = Path(path)
    try:
        text = read_side(location, "article").decode("utf-8")
    except UnicodeDecodeError as error:
        raise ArticleImportError(
            "the article is not UTF-8 text",
            where=f"{location}, byte {error.start}",
            expected="UTF-8",
            received=repr(error.object[error.start : error.start + 4]),
        ) from None
    return parse_article(text, source=location.name), text


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (False where either cannot be read)."""
    try:
        return a.samefile(b)
    except OSError:
        return False


def import_file(
    article: str | os.PathLike[str],
    log: str | os.PathLike[str],
    *,
    editorial: str | os.PathLike[str] | None = None,
    infer: bool = False,
    rally_id: str | None = None,
    force: bool = False,
    overwrite: bool = False,
) -> ImportOutcome:
    """Import ``article`` into a new log at ``log``, with its companions beside it.

    ``editorial``: the reviewed decisions (an error if the file does not
    exist); by default ``LOG-stem.toml`` beside the log if there is one.
    ``infer``: resolve what the reviewed decisions leave open by inference
    (see ``_infer``). ``rally_id`` overrides the rally's id (default: the
    editorial file's, else the article title's). ``force`` (or its older
    name ``overwrite``) replaces existing files.

    Nothing is written while an inconsistency is left unresolved: the
    ``ArticleImportError`` raised then lists them (``error.issues``).
    """
    force = force or overwrite
    log_path = _log_path(log, rally_id)
    beside = editorial_path(log_path)
    documented_file = documented_path(log_path)
    given = Path(editorial) if editorial is not None else None
    source_file = given if given is not None else (beside if os.path.lexists(beside) else None)
    decisions = load_editorial(source_file) if source_file is not None else Editorial()
    for output in (log_path, documented_file):
        check_new_file(output, replace=force)
    parsed, _ = read_article(article)
    source = Path(article).name
    if infer:
        from ._infer import infer_decisions

        inference = infer_decisions(parsed, decisions, source=source, rally_id=rally_id)
        inferred, lines, result = inference.inferred, inference.lines, inference.result
        editorial_text: bytes | None = _draft(result, inferred, source, source_file)
    else:
        inferred, lines = Editorial(), ()
        result = _consistent_import(parsed, decisions, source, source_file, rally_id)
        editorial_text = (
            read_side(source_file, "editorial file")
            if source_file is not None and not _same_file(source_file, beside)
            else None
        )
    if editorial_text is not None and _already_there(beside, editorial_text, force=force):
        editorial_text = None
    _write_all(
        log_path,
        result,
        {
            documented_file: (
                json.dumps(result.documented, ensure_ascii=False, indent=1) + "\n"
            ).encode("utf-8"),
            **({beside: editorial_text} if editorial_text is not None else {}),
        },
    )
    return ImportOutcome(
        result=result,
        log=log_path,
        documented_file=documented_file,
        editorial_file=beside if (source_file is not None or infer) else None,
        inferred=inferred,
        lines=lines,
    )


def _log_path(log: str | os.PathLike[str], rally_id: str | None) -> Path:
    """The log to write, once the rally id asked for, the log's name and its folder are
    checked (each refused with one line)."""
    if rally_id is not None and not re.fullmatch(r"[a-z][a-z0-9_-]*", rally_id):
        raise ArticleImportError(
            "not a rally id",
            where="--id",
            expected="a lowercase name such as dakar-2004 (a letter first, then letters, "
            "digits, '-' or '_')",
            received=rally_id,
        )
    log_path = Path(log)
    if not log_path.name or log_path.name.startswith("."):
        raise ArticleImportError(
            "not a log file name", where=str(log), expected="a file name such as rally.rallylog"
        )
    if not log_path.parent.is_dir():
        raise ArticleImportError(
            "no such directory",
            where=str(log_path.parent),
            expected="an existing folder for the log",
            received=str(log),
        )
    return log_path


def _consistent_import(
    parsed: Article,
    decisions: Editorial,
    source: str,
    source_file: Path | None,
    rally_id: str | None,
) -> ImportResult:
    """The import without inference: refused while an inconsistency is left."""
    result = import_parsed(parsed, decisions, source=source, rally_id=rally_id)
    if result.issues:
        raise ArticleImportError(
            f"{len(result.issues)} inconsistencies not resolved by the editorial file",
            where=str(source_file) if source_file else source,
            expected="an erratum or a penalty for each (see the report), or --infer",
            received="; ".join(str(issue) for issue in result.issues[:3])
            + (" …" if len(result.issues) > 3 else ""),
            issues=result.issues,
        )
    return result


def _draft(
    result: ImportResult, inferred: Editorial, source: str, source_file: Path | None
) -> bytes:
    """The draft editorial file of an import with inference: the reviewed file (if any),
    then the inferred decisions."""
    from ._infer import draft_text

    reviewed = (
        read_side(source_file, "editorial file").decode("utf-8", errors="replace")
        if source_file
        else None
    )
    return draft_text(
        reviewed,
        inferred,
        rally_id=result.declaration.rally_id,
        article=source,
    ).encode("utf-8")


def _already_there(beside: Path, editorial_text: bytes, *, force: bool) -> bool:
    """Whether the editorial file beside the log holds ``editorial_text`` already; one that
    holds something else is refused unless ``force`` (a directory, FIFO or device always)."""
    if not os.path.lexists(beside):
        return False
    check_new_file(beside, replace=True)  # a directory, FIFO or device there: refused
    if read_side(beside, "editorial file") == editorial_text:
        return True
    check_new_file(beside, replace=force)
    return False


def _temporary(path: Path) -> Path:
    """The temporary name a file is written under before it is renamed into place."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_all(log: Path, result: ImportResult, companions: dict[Path, bytes]) -> None:
    """Write the log and its companions under temporary names, then rename them into place.

    The companions are renamed first and the log last; if anything fails,
    every temporary file and every file already renamed is removed.
    """
    temporaries: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for path, data in companions.items():
            temporary = _temporary(path)
            temporaries[path] = temporary
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        temporary_log = _temporary(log)
        temporaries[log] = temporary_log
        with contextlib.suppress(FileNotFoundError):
            temporary_log.unlink()
        create_log(temporary_log, result.declaration)
        with Recorder(temporary_log) as recorder:
            recorder.append_many(result.events)
        for path in [*companions, log]:
            os.replace(temporaries[path], path)
            placed.append(path)
    except BaseException as failure:
        for path in placed:
            with contextlib.suppress(OSError):
                path.unlink()
        for temporary in temporaries.values():
            with contextlib.suppress(OSError):
                temporary.unlink()
        if isinstance(failure, OSError):
            raise ArticleImportError(
                "cannot write the import",
                where=str(failure.filename or log),
                expected="a writable folder",
                received=failure.strerror or str(failure),
            ) from None
        raise
    with contextlib.suppress(OSError):
        directory = os.open(log.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
