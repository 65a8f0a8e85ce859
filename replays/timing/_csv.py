"""Timing sheets as CSV: what timing systems and spreadsheets export.

UTF-8 with or without a byte-order mark; cells separated by commas, semicolons
(spreadsheets in many locales write ``;``) or tabs, whichever the header line
uses; quoting as the csv module reads it. The first line that is not blank is
the header.
"""

from __future__ import annotations

import csv
import io

from ._sheet import Row, Sheet, refused

__all__ = ["CsvFormat"]

_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (",", ";", "\t")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _delimiter(header: str) -> str:
    """The separator the header line uses most (commas when it uses none)."""
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvFormat:
    """Comma-, semicolon- or tab-separated values (``.csv``, ``.txt``, ``.tsv``)."""

    name = "csv"
    suffixes = (".csv", ".txt", ".tsv")

    def read(self, data: bytes, name: str) -> Sheet:
        """The sheet held in ``data`` (see the module's description)."""
        body = data[len(_BOM) :] if data.startswith(_BOM) else data
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = body[error.start : error.start + 1].hex()
            raise refused(
                name,
                "not UTF-8 text",
                line=_line_of(body, error.start),
                expected="a UTF-8 text file (with or without a byte-order mark)",
                received=f"byte 0x{byte}",
            ) from None
        lines = text.splitlines()
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is None:
            raise refused(name, "an empty sheet", expected="a header line, then rows")
        delimiter = _delimiter(lines[first])
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header: list[str] | None = None
        header_line = 0
        rows: list[Row] = []
        try:
            for cells in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue  # a blank line, or a row of empty cells a spreadsheet left
                if header is None:
                    header = self._header(cells, name, line)
                    header_line = line
                    continue
                if len(cells) != len(header):
                    raise refused(
                        name,
                        "wrong number of cells",
                        line=line,
                        expected=f"{len(header)} cells separated by {delimiter!r}, as the "
                        f"header has",
                        received=f"{len(cells)} cell{'' if len(cells) == 1 else 's'}",
                    )
                rows.append(Row(line, dict(zip(header, (c.strip() for c in cells), strict=True))))
        except csv.Error as error:
            raise refused(
                name,
                "unreadable CSV",
                line=reader.line_num,
                expected="cells quoted as CSV quotes them",
                received=str(error),
            ) from None
        if header is None:
            raise refused(
                name,
                "no header line",
                expected="a header line naming the columns, then rows",
                received="only empty cells",
            )
        return Sheet(name=name, columns=tuple(header), rows=tuple(rows), header_line=header_line)

    @staticmethod
    def _header(cells: list[str], name: str, line: int) -> list[str]:
        header = [cell.strip().lower() for cell in cells]
        for index, column in enumerate(header):
            if not column:
                raise refused(
                    name,
                    "a column without a name",
                    line=line,
                    expected="a name for every column of the header",
                    received=f"an empty name in column {index + 1}",
                )
            if column in header[:index]:
                raise refused(
                    name,
                    "a column named twice",
                    line=line,
                    column=column,
                    expected="each column once",
                    received=column,
                )
        return header
