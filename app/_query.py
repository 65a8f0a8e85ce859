"""Commands that ask a log questions: show, replay, stage, explain, whatif, penalties, history,
events. None of them writes anything."""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from .. import outputs
from ..engine import (
    CombinedResult,
    Rally,
    StageComparison,
    StageRow,
    Standings,
    Unclassified,
    history,
    penalties,
    require_class,
    what_if,
    what_if_all_stages,
)
from ..events import MAX_WAYPOINT, QueryError, SourceKind
from ..outputs import hypotheses, naming_hypotheses
from ._base import (
    Command,
    UsageError,
    add_format_option,
    add_log_argument,
    add_plain_option,
    add_query_options,
    conflicting,
    emit,
    load_log,
    no_hypothesis,
    positive_int,
    whole_number,
)

__all__ = ["classification", "stage_ranking"]


def _after_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--after",
        type=positive_int,
        metavar="N",
        required=required,
        help=None if required else "stage number (default: the last stage with results)",
    )


def _hypothesis_options(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    parser.add_argument(
        "--penalty",
        action="append",
        metavar="ENTRY@STAGE=±H:MM:SS",
        help=f"{prefix}a hypothetical GC penalty (negative: a bonus); repeatable",
    )
    parser.add_argument(
        "--rescind",
        action="append",
        metavar="PENALTY_ID",
        help=f"{prefix}a penalty to withdraw (ids: standings penalties); repeatable",
    )
    parser.add_argument(
        "--result",
        action="append",
        metavar="ENTRY@STAGE=H:MM:SS",
        help=f"{prefix}a hypothetical stage time; repeatable",
    )


def _relative_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--relative-to",
        metavar="ENTRY",
        help="also give each crew's time against this one's: a race number or a driver's name "
        "(negative: ahead of it)",
    )


def _class_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--class",
        dest="entry_class",
        metavar="CLASS",
        help="rank within this class of the category: positions 1…n, gaps to the class leader",
    )


def _ranking_options(parser: argparse.ArgumentParser) -> None:
    """--class, --relative-to and --plain: how a ranking is shown."""
    _class_option(parser)
    _relative_option(parser)
    add_plain_option(parser)


def _ranking_args(args: argparse.Namespace) -> dict[str, Any]:
    """What ``classification`` and ``stage_ranking`` take from the options, by name."""
    return {
        "waypoint": args.waypoint,
        "entry_class": args.entry_class,
        "as_of": args.as_of,
        "relative_to": args.relative_to,
    }


def _waypoint_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--waypoint",
        type=whole_number(1, MAX_WAYPOINT, what="a waypoint number"),
        metavar="K",
        help=what,
    )


def classification(
    rally: Rally,
    category: str,
    *,
    after: int | None = None,
    waypoint: int | None = None,
    entry_class: str | None = None,
    as_of: int | None = None,
    relative_to: str | None = None,
) -> outputs.Classification:
    """What ``standings show`` shows (and ``GET /api/standings`` answers): the GC after a
    stage, or at a waypoint of it, of the category or one class, with the GC before it."""
    if waypoint is not None:
        if after is None:
            raise UsageError(
                "a waypoint without its stage",
                where="--waypoint",
                expected="--after N with --waypoint K (waypoint K of stage N)",
                received=f"--waypoint {waypoint} alone",
            )
        standings = rally.waypoint_standings(category, after, waypoint, as_of=as_of)
    else:
        standings = rally.standings(category, after, as_of=as_of)
    standings = standings.of_class(entry_class)
    previous = rally.previous_standings(category, standings.after_stage, as_of=as_of)
    if previous is not None:
        previous = previous.of_class(entry_class)
    reference = _reference(rally.as_of(as_of), category, relative_to)
    return outputs.Classification(standings, previous, reference)


def stage_ranking(
    rally: Rally,
    category: str,
    stage: int,
    *,
    waypoint: int | None = None,
    entry_class: str | None = None,
    as_of: int | None = None,
    relative_to: str | None = None,
) -> outputs.StageRanking:
    """What ``standings stage`` shows (and ``GET /api/stage`` answers): a stage's ranking, or
    its ranking at a waypoint, of the category or one class."""
    result = rally.stage_result(
        category, stage, waypoint=waypoint, as_of=as_of, entry_class=entry_class
    )
    return outputs.StageRanking(result, _reference(rally.as_of(as_of), category, relative_to))


def _reference(rally: Rally, category: str, ref: str | None) -> outputs.Reference | None:
    """The crew ``--relative-to`` names (a race number, an entry id or an unambiguous name)."""
    if ref is None:
        return None
    entry = outputs.find_crew(rally, category, ref)
    return outputs.Reference(entry.entry_id, entry.number, entry.crew)


class Show(Command):
    name = "show"
    help = "the GC after a stage"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json", "csv"])
        _after_option(parser)
        _waypoint_option(
            parser,
            "the virtual GC at waypoint K of stage --after N: the GC before the stage, its "
            "penalties in force, and the elapsed time at K",
        )
        _ranking_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log, args)
        view = classification(rally, args.category, after=args.after, **_ranking_args(args))
        return emit(view, args)


class ReplayCommand(Command):
    name = "replay"
    help = "the GC after every stage"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json", "csv"])
        _ranking_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log, args)
        reference = _reference(rally.as_of(args.as_of), args.category, args.relative_to)
        snapshots = rally.replay(args.category, as_of=args.as_of)
        if args.entry_class is not None:
            snapshots = tuple(s.of_class(args.entry_class) for s in snapshots)
        return emit(outputs.Replay(snapshots, reference), args)


class Stage(Command):
    name = "stage"
    help = "one stage's ranking"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json", "csv"])
        parser.add_argument("--stage", "-s", type=positive_int, required=True, metavar="N")
        _waypoint_option(parser, "the ranking at waypoint K of the stage (elapsed times there)")
        _ranking_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log, args)
        return emit(stage_ranking(rally, args.category, args.stage, **_ranking_args(args)), args)


class Explain(Command):
    name = "explain"
    help = "how one entry's GC time is made up"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json"])
        parser.add_argument(
            "--entry",
            "-e",
            required=True,
            metavar="NUM",
            help="race number (or an unambiguous driver name)",
        )
        _after_option(parser)
        _class_option(parser)
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log, args)
        standings = rally.standings(args.category, args.after, as_of=args.as_of)
        standings = standings.of_class(args.entry_class)
        entry = rally.as_of(args.as_of).find_entry(args.category, args.entry)
        if args.entry_class is not None and entry.entry_class != args.entry_class:
            raise QueryError(
                "entry not of that class",
                where=f"--class {args.entry_class}",
                expected=f"an entry of class {args.entry_class}",
                received=f"{args.entry} (class {entry.entry_class or 'none'})",
            )
        row = standings.row_for(entry.entry_id)
        if row is not None:
            return emit(outputs.Explanation(standings, row), args)
        item = standings.why_missing(entry.entry_id)
        if item is None:  # not expected: every entry is either classified or not
            raise QueryError(
                "entry not in the classification",
                where=f"after stage {standings.after_stage}",
                expected="an entry of the category",
                received=args.entry,
            )
        return emit(_what_is_known(rally, standings, item, args.as_of), args)


def _what_is_known(
    rally: Rally, standings: Standings, item: Unclassified, as_of: int | None
) -> outputs.UnclassifiedExplanation:
    """What is known of an unclassified entry: its last GC and its stage times so far."""
    category, after = standings.category, standings.after_stage
    last = None
    for snapshot in rally.replay(category, as_of=as_of):
        snapshot = snapshot.of_class(standings.entry_class)
        if snapshot.after_stage < after and snapshot.row_for(item.entry_id) is not None:
            last = snapshot
    times: list[tuple[int, StageRow]] = []
    combined: list[CombinedResult] = []
    for stage in rally.as_of(as_of).stages():
        if stage > after:
            break
        try:
            result = rally.stage_result(
                category, stage, as_of=as_of, entry_class=standings.entry_class
            )
        except QueryError:
            continue
        found = next((r for r in result.rows if r.entry_id == item.entry_id), None)
        if found is not None:
            times.append((stage, found))
        combined += [span for span in result.combined if span.entry_id == item.entry_id]
    return outputs.UnclassifiedExplanation(standings, item, last, tuple(times), tuple(combined))


class WhatIfCommand(Command):
    name = "whatif"
    help = "the GC with hypothetical penalties, rescissions or results"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json", "csv"])
        _after_option(parser)
        _hypothesis_options(parser)
        parser.add_argument(
            "--all-stages",
            action="store_true",
            help="compare the leader after every stage the hypothesis touches",
        )
        _ranking_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log, args)
        base = rally.as_of(args.as_of)
        specs = {
            "penalties": args.penalty or (),
            "rescind": args.rescind or (),
            "results": args.result or (),
        }
        events = hypotheses(base, args.category, **specs)
        if not events:
            raise no_hypothesis("whatif")
        if args.all_stages and args.after is not None:
            raise conflicting(
                "whatif", "either --after N (one stage) or --all-stages (every stage)"
            )
        if args.entry_class is not None:
            require_class(base.fold, args.category, args.entry_class)
        if args.all_stages:
            with naming_hypotheses(**specs):
                comparisons = what_if_all_stages(rally, args.category, events, as_of=args.as_of)
            comparisons = tuple(
                StageComparison(item.stage, item.comparison.of_class(args.entry_class))
                for item in comparisons
            )
            return emit(outputs.LeaderComparison(comparisons), args)
        with naming_hypotheses(**specs):
            result = what_if(rally, args.category, events, after=args.after, as_of=args.as_of)
        result = result.of_class(args.entry_class)
        reference = _reference(base, args.category, args.relative_to)
        return emit(outputs.Hypothetical(result, reference), args)


class Penalties(Command):
    name = "penalties"
    help = "every penalty, with the ids --rescind takes"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_log_argument(parser)
        parser.add_argument("--category", "-c")
        parser.add_argument("--as-of", type=positive_int, metavar="SEQ")
        add_format_option(parser, ["table", "json"])
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log, args)
        listings = penalties(rally, args.category, as_of=args.as_of)
        return emit(outputs.PenaltyList(rally.name, listings), args)


class History(Command):
    name = "history"
    help = "how the GC after a stage changed as events were recorded"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json"])
        _after_option(parser, required=True)
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log, args)
        entries = history(rally, args.category, args.after, as_of=args.as_of)
        names = {
            entry.entry_id: outputs.who(entry.number, entry.crew)
            for entry in rally.as_of(args.as_of).entries(args.category)
        }
        view = outputs.StandingsHistory(
            rally.name, args.category, args.after, entries, imported=_imported(rally), names=names
        )
        return emit(view, args)


_FROM_A_SOURCE = frozenset(
    {
        SourceKind.PRINTED,
        SourceKind.DERIVED,
        SourceKind.NOTE,
        SourceKind.ERRATUM,
        SourceKind.INFERRED,
    }
)


def _imported(rally: Rally) -> bool:
    """Whether the log was imported from a source after the fact (its order is the import's).

    A live log is recorded by officials (``recorded``); an imported one says
    its facts were printed, derived, noted or inferred from a source.
    """
    kinds = rally.source_kinds()
    return sum(kinds[kind] for kind in _FROM_A_SOURCE) * 2 > sum(kinds.values())


class Events(Command):
    name = "events"
    help = "the log, one event per line"
    formats: ClassVar[list[str]] = ["text", "jsonl"]

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_log_argument(parser)
        add_format_option(parser, self.formats)
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        return emit(outputs.EventLog(load_log(args.log, args).iter_records()), args)
