"""Build the shipped Dakar logs from their articles and editorial files, then verify them.

    python -m rally_standings.replays.build_dakar [--seeds DIR] [YEAR ...]
    python -m rally_standings.replays.build_dakar --docs

For each ``replays/dakar-YEAR.toml`` (all of them by default), imports the
article it names (``[rally] article``) from the seeds folder (default:
``../shared/seeds`` beside the checkout) into ``replays/dakar-YEAR.rallylog``
with its documented standings beside it, then prints what ``standings verify``
says. Exits 1 if an import is refused or a verification fails. ``--docs``
rewrites the generated tables of ``docs/dakar.md`` instead.

It writes into the checkout, so it runs from one with an editable install
(``pip install -e .``); from a regular install it refuses, rather than write
into site-packages.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Mapping
from pathlib import Path

from ..events import RallyError, format_signed
from .article._editorial import load_editorial
from .article._pipeline import import_file
from .article._verify import verify

__all__ = ["REPLAYS", "SEEDS", "build", "errata_table", "main", "rewrite_sections", "update_docs"]

REPLAYS = Path(__file__).resolve().parent
SEEDS = REPLAYS.parent.parent / "shared" / "seeds"
DOCS = REPLAYS.parent / "docs" / "dakar.md"


def build(editorial: Path, seeds: Path) -> bool:
    """Import and verify one rally; prints the outcome. True if it verifies."""
    name = editorial.name.removesuffix(".toml")
    article = tomllib.loads(editorial.read_text(encoding="utf-8"))["rally"]["article"]
    log = editorial.with_name(f"{name}.rallylog")
    try:
        result = import_file(seeds / article, log, editorial=editorial, force=True).result
    except RallyError as error:
        print(f"{name}: import refused: {error}")
        for issue in getattr(error, "issues", ()):
            print(f"  {issue}")
        return False
    for note in result.notes:
        print(f"{name}: {note}")
    report = verify(log)
    for line in report.lines:
        print(f"{name}: {line}")
    print(f"{name}: {len(result.events) + 1} events; {report.summary}")
    return report.ok


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def errata_table() -> str:
    """The errata and editorial decisions of every shipped Dakar log, as Markdown tables."""
    errata = [
        "| Rally | Id | Where | Printed | Used | Kind | Evidence |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    decisions = ["| Rally | What | Decision | Evidence |", "| --- | --- | --- | --- |"]
    for path in sorted(REPLAYS.glob("dakar-*.toml")):
        editorial = load_editorial(path)
        rally = path.name.removesuffix(".toml")
        for e in editorial.errata:
            where = (
                f"{e.category}, final standings, row {e.row}"
                if e.table == "final"
                else f"{e.category}, principal entries, line {e.row}"
                if e.table == "entries"
                else f"{e.category}, {'GC' if e.table == 'gc' else 'stage ranking'} "
                f"stage {e.stage}, row {e.row}"
            )
            used = "row dropped" if e.drops_row else f"{e.field} {e.corrected}"
            errata.append(
                f"| {rally} | {e.id} | {where} | {e.field} {_cell(e.printed)} | "
                f"{_cell(used)} | {_cell(e.kind)} | {_cell(e.evidence)} |"
            )
        for p in editorial.penalties:
            stage = f"stage {p.stage}" if p.stage is not None else "stage placed by the numbers"
            scope = "GC only" if p.gc_only else "stage and GC"
            decisions.append(
                f"| {rally} | penalty ({p.source}) | {p.category}, {_cell(p.competitor)}, "
                f"{format_signed(p.amount_ms)} at {stage}, {scope}: {_cell(p.reason)} | "
                f"{_cell(p.evidence)} |"
            )
        for r in editorial.retirements:
            decisions.append(
                f"| {rally} | retirement | {r.category}, {_cell(r.competitor)}, "
                f"stage {r.stage}: {_cell(r.reason)} | {_cell(r.evidence)} |"
            )
        for a in editorial.aliases:
            decisions.append(
                f"| {rally} | name variant | {_cell(a.printed)} = {_cell(a.name)} | "
                f"{_cell(a.reason)} |"
            )
        for u in editorial.unrecorded:
            decisions.append(
                f"| {rally} | not recorded | {u.category}: {_cell(u.statement)} | "
                f"{_cell(u.reason)} |"
            )
    return "\n".join([*errata, "", *decisions]) + "\n"


def verify_table() -> str:
    """What `standings verify` says of every shipped Dakar log, as a Markdown table."""
    rows = [
        "| log | GC rows | final rows | stage rows | errata | differences |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for path in sorted(REPLAYS.glob("dakar-*.rallylog")):
        report = verify(path)
        rows.append(
            f"| {path.name.removesuffix('.rallylog')} | {report.gc.reproduced} of "
            f"{report.gc.total} | {report.final.reproduced} of {report.final.total} | "
            f"{report.stage.reproduced} of {report.stage.total} | {report.errata} | "
            f"{report.differences} |"
        )
    return "\n".join(rows) + "\n"


def generated_sections() -> dict[str, str]:
    """The generated sections of docs/dakar.md, by name."""
    return {"errata": errata_table(), "verify": verify_table()}


def rewrite_sections(page: Path, sections: Mapping[str, str]) -> bool:
    """Put each generated section of a docs ``page`` (its content by name) between its
    markers, ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``; True if the page changed."""
    text = page.read_text(encoding="utf-8")
    updated = text
    for name, content in sections.items():
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        head, _, rest = updated.partition(begin)
        _, _, tail = rest.partition(end)
        updated = f"{head}{begin}\n{content}{end}{tail}"
    if updated != text:
        page.write_text(updated, encoding="utf-8")
    return updated != text


def update_docs(page: Path) -> bool:
    """Rewrite the generated sections of ``page``; True if it changed."""
    return rewrite_sections(page, generated_sections())


def main(argv: list[str] | None = None) -> int:
    """Build the named years (all by default)."""
    parser = argparse.ArgumentParser(prog="python -m rally_standings.replays.build_dakar")
    parser.add_argument("years", nargs="*")
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument(
        "--docs", action="store_true", help="only rewrite the generated tables of docs/dakar.md"
    )
    args = parser.parse_args(argv)
    if not (REPLAYS.parent / "pyproject.toml").is_file():
        parser.error(
            f"{REPLAYS} is not in a checkout; run this from one with an editable install "
            "(pip install -e .)"
        )
    if args.docs:
        changed = update_docs(DOCS)
        print(f"{DOCS} updated" if changed else f"{DOCS} already up to date")
        return 0
    files = sorted(REPLAYS.glob("dakar-*.toml"))
    if args.years:
        files = [f for f in files if any(f.name == f"dakar-{y}.toml" for y in args.years)]
    ok = [build(f, args.seeds) for f in files]
    return 0 if ok and all(ok) else 1


if __name__ == "__main__":
    raise SystemExit(main())
