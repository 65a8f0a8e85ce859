"""A timing sheet as a table of text cells, the formats that read one, and their errors.

A *format* turns the bytes of a file into a ``Sheet``: named columns and rows of
stripped text cells, each row with the line it came from. It knows nothing of
rallies. A *kind* (``_kinds``) turns a sheet's rows into events. A second input
format is therefore one module with one ``SheetFormat`` and one
``register_format`` call; every kind reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import attrs

from ...events import RallyError, read_file

__all__ = [
    "FORMATS",
    "Row",
    "Sheet",
    "SheetError",
    "SheetFormat",
    "format_for",
    "read_sheet",
    "register_format",
]


class SheetError(RallyError):
    """A timing sheet refused: what, at which line and column, expected and received.

    Raised before anything is written: an import is all or nothing.
    """


def refused(
    name: str,
    what: str,
    *,
    line: int | None = None,
    column: str | None = None,
    expected: str | None = None,
    received: object = None,
) -> SheetError:
    """A ``SheetError`` located in file ``name`` (at ``line`` and ``column`` where known)."""
    where = name
    if line is not None:
        where += f", line {line}"
    if column is not None:
        where += f", column {column}"
    return SheetError(
        what,
        where=f"{where}; the file was refused, nothing was written",
        expected=expected,
        received=received,
    )


@attrs.frozen
class Row:
    """One row of a sheet: its cells by column name (stripped text) and the line it is on."""

    line: int
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        """The cell of ``column`` ("" when the sheet has no such column)."""
        return self.cells.get(column, "")


@attrs.frozen
class Sheet:
    """A table read from a file: its name (for messages), columns in order, and rows."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    header_line: int = 1


class SheetFormat(Protocol):
    """A file format timing sheets come in: reads the bytes of one into a ``Sheet``.

    Column names are given lowercase; cells are stripped of surrounding spaces; rows
    with every cell empty are left out. Errors are ``SheetError`` with the line.
    """

    @property
    def name(self) -> str:
        """The format's name (``csv``), for ``--format``."""
        ...

    @property
    def suffixes(self) -> tuple[str, ...]:
        """File name suffixes (``.csv``) read in this format by default."""
        ...

    def read(self, data: bytes, name: str) -> Sheet:
        """The sheet held in ``data``; ``name`` names the file in messages."""
        ...


FORMATS: dict[str, SheetFormat] = {}
"""Every registered sheet format, by name."""


def register_format(sheet_format: SheetFormat) -> SheetFormat:
    """Make a format available to every kind of import (``--format NAME``, or by suffix)."""
    if sheet_format.name in FORMATS:
        raise ValueError(f"sheet format {sheet_format.name!r} is registered twice")
    FORMATS[sheet_format.name] = sheet_format
    return sheet_format


def format_for(path: str | os.PathLike[str], name: str | None = None) -> SheetFormat:
    """The format to read ``path`` in: the one named, else the one its suffix says."""
    if name is not None:
        found = FORMATS.get(name)
        if found is None:
            raise SheetError.unknown(
                "unknown sheet format", sorted(FORMATS), name, where="--format"
            )
        return found
    suffix = Path(path).suffix.lower()
    for sheet_format in FORMATS.values():
        if suffix in sheet_format.suffixes:
            return sheet_format
    known = sorted(s for f in FORMATS.values() for s in f.suffixes)
    raise SheetError(
        "cannot tell the sheet's format from its name",
        where=os.fspath(path),
        expected=f"a file ending in {', '.join(known)} (or --format NAME)",
        received=suffix or "no suffix",
    )


def read_sheet(path: str | os.PathLike[str], format_name: str | None = None) -> Sheet:
    """Read the timing sheet at ``path`` (a regular file) in its format."""
    sheet_format = format_for(path, format_name)
    data = read_file(path, what="timing sheet")
    return sheet_format.read(data, Path(path).name)
