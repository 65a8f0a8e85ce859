"""Build the shipped Dakar logs from their articles and editorial files, then verify them.

    python -m replays.build_dakar [--seeds DIR] [YEAR ...]

For each ``replays/dakar-YEAR.toml`` (all of them by default), imports the
article it names (``[rally] article``) from the seeds folder (default:
``../shared/seeds`` beside the checkout) into ``replays/dakar-YEAR.rallylog``
with its documented standings beside it, then prints what ``standings verify``
says. Exits 1 if an import is refused or a verification fails.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from events import RallyError
from replays._pipeline import import_file
from replays._verify import verify

__all__ = ["REPLAYS", "SEEDS", "build", "main"]

REPLAYS = Path(__file__).resolve().parent
SEEDS = REPLAYS.parent.parent / "shared" / "seeds"


def build(editorial: Path, seeds: Path) -> bool:
    """Import and verify one rally; prints the outcome. True if it verifies."""
    name = editorial.name.removesuffix(".toml")
    article = tomllib.loads(editorial.read_text(encoding="utf-8"))["rally"]["article"]
    log = editorial.with_name(f"{name}.rallylog")
    try:
        result = import_file(seeds / article, log, editorial=editorial, overwrite=True)
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


def main(argv: list[str] | None = None) -> int:
    """Build the named years (all by default)."""
    parser = argparse.ArgumentParser(prog="python -m replays.build_dakar")
    parser.add_argument("years", nargs="*")
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    args = parser.parse_args(argv)
    files = sorted(REPLAYS.glob("dakar-*.toml"))
    if args.years:
        files = [f for f in files if any(f.name == f"dakar-{y}.toml" for y in args.years)]
    ok = [build(f, args.seeds) for f in files]
    return 0 if ok and all(ok) else 1


if __name__ == "__main__":
    raise SystemExit(main())
