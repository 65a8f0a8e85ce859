"""``standings export LOG… -o DIR [--format parquet|csv]``: tidy tables for analysts' engines.

One row per fact (an entry, a stage of a category, a result, a split, a penalty, a
correction, a retirement) and one per crew and stage of the general classification, each
with its record's sequence number and provenance (``outputs/_export.py`` holds the tables'
shapes; docs/export.md the schema). Parquet (the ``export`` extra: polars) is written
partitioned by rally, ``DIR/TABLE/rally_id=ID/TABLE.parquet``, which DuckDB, polars and
Spark read as one dataset per table; CSV (no extra) is one ``DIR/TABLE.csv`` per table
with every log's rows. Every file is written under a temporary name and renamed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..events import write_new_file
from ..outputs import EXPORT_TABLES, export_csv, export_parquet, export_rows
from ..replays import load, resolve_log
from ._base import (
    Command,
    UsageError,
    add_force_option,
    add_format_option,
    existing_folder,
    output_path,
    suggesting_force,
)

__all__: list[str] = []

INSTALL_HINT = "pip install 'rally-standings[export]' (or --format csv)"


def _folder(text: str, inputs: list[Path], *, force: bool) -> Path:
    """The folder to export to: new, empty, or (``--force``) one whose tables are replaced;
    never a file, never one holding an input log."""
    folder = Path(text)
    if not existing_folder(text, "write the tables to"):
        return folder
    if not force and any(folder.iterdir()):
        raise UsageError(
            "the folder is not empty",
            where=text,
            expected="an empty or new folder, or --force to replace the tables in it",
            received="a folder with files",
        )
    resolved = folder.resolve()
    for log in inputs:
        if resolved in log.resolve().parents:
            raise UsageError(
                "the folder holds a log exported",
                where=text,
                expected="another folder (export never writes beside its inputs)",
                received=str(log),
            )
    return folder


class Export(Command):
    name = "export"
    help = "tidy tables of one or many logs (Parquet partitioned by rally, or CSV)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "logs", metavar="LOG", nargs="+", help="log files, or names of shipped logs"
        )
        parser.add_argument(
            "--output",
            "-o",
            required=True,
            type=output_path,
            metavar="DIR",
            help="the folder to write the tables to",
        )
        add_format_option(
            parser, ["parquet", "csv"], "parquet (needs the export extra; the default) or csv"
        )
        add_force_option(parser, "replace the tables of a folder exported before")

    def run(self, args: argparse.Namespace) -> int:
        paths = [resolve_log(log) for log in args.logs]
        folder = _folder(args.output, paths, force=args.force)
        if args.format == "parquet":
            try:
                import polars  # noqa: F401
            except ImportError as error:
                raise UsageError(
                    "--format parquet needs the export extra",
                    where="export",
                    expected=INSTALL_HINT,
                    received=f"{error.name} is not installed",
                ) from None
        tables: dict[str, dict[str, list[dict[str, object]]]] = {}
        for log in args.logs:
            rally = load(log)
            rally_id = rally.declaration.rally_id
            if rally_id in tables:
                raise UsageError(
                    "two logs of one rally",
                    where=log,
                    expected="logs of different rallies (each rally is a partition)",
                    received=f"rally_id {rally_id} twice",
                )
            tables[rally_id] = export_rows(rally, Path(log).name)
        folder.mkdir(exist_ok=True)
        written = 0
        with suggesting_force():
            for table in EXPORT_TABLES:
                if args.format == "csv":
                    records = [row for rally in tables.values() for row in rally[table]]
                    write_new_file(
                        folder / f"{table}.csv", export_csv(table, records), replace=True
                    )
                    written += 1
                    continue
                for rally_id, rally_tables in tables.items():
                    place = folder / table / f"rally_id={rally_id}"
                    place.mkdir(parents=True, exist_ok=True)
                    data = export_parquet(table, rally_tables[table])
                    write_new_file(place / f"{table}.parquet", data, replace=True)
                    written += 1
        counts = ", ".join(
            f"{table} {sum(len(rally[table]) for rally in tables.values())}"
            for table in EXPORT_TABLES
        )
        sys.stdout.write(
            f"exported {len(tables)} rall{'y' if len(tables) == 1 else 'ies'} to {args.output} "
            f"({args.format}, {written} files); rows by table: {counts}\n"
        )
        return 0
