"""Commands that ask a log questions: show, replay, stage, explain, whatif, penalties, history,
events. None of them writes anything."""

from __future__ import annotations

import argparse
from typing import ClassVar

from rally_standings.app._base import (
    Command,
    UsageError,
    add_plain_option,
    add_query_options,
    emit,
    load_log,
    positive_int,
)
from rally_standings.engine import history, hypotheses, penalties, what_if, what_if_all_stages
from rally_standings.events import QueryError
from rally_standings.outputs import (
    EventLog,
    Explanation,
    LeaderComparison,
    PenaltyList,
    Replay,
    StandingsHistory,
)

__all__: list[str] = []


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


class Show(Command):
    name = "show"
    help = "the GC after a stage"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json", "csv"])
        _after_option(parser)
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log)
        standings = rally.standings(args.category, args.after, as_of=args.as_of)
        earlier = [
            s
            for s in rally.replay(args.category, as_of=args.as_of)
            if s.after_stage < standings.after_stage
        ]
        return emit(standings, args, previous=earlier[-1] if earlier else None)


class ReplayCommand(Command):
    name = "replay"
    help = "the GC after every stage"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json", "csv"])
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log)
        return emit(Replay(rally.replay(args.category, as_of=args.as_of)), args)


class Stage(Command):
    name = "stage"
    help = "one stage's ranking"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json", "csv"])
        parser.add_argument("--stage", "-s", type=positive_int, required=True, metavar="N")
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log)
        return emit(rally.stage_result(args.category, args.stage, as_of=args.as_of), args)


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

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log)
        standings = rally.standings(args.category, args.after, as_of=args.as_of)
        entry = rally.as_of(args.as_of).find_entry(args.category, args.entry)
        row = standings.row_for(entry.entry_id)
        if row is None:
            reason = next(u.reason for u in standings.unclassified if u.entry_id == entry.entry_id)
            raise QueryError(
                "entry not classified",
                where=f"after stage {standings.after_stage}",
                expected="a classified entry",
                received=f"{args.entry}: {reason}",
            )
        return emit(Explanation(standings, row), args)


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
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log)
        base = rally.as_of(args.as_of)
        events = hypotheses(
            base,
            args.category,
            penalties=args.penalty or (),
            rescind=args.rescind or (),
            results=args.result or (),
        )
        if not events:
            raise UsageError(
                "no hypothesis given",
                where="whatif",
                expected="at least one --penalty, --rescind or --result",
                received="none",
            )
        if args.all_stages and args.after is not None:
            raise UsageError(
                "conflicting options",
                where="whatif",
                expected="either --after N (one stage) or --all-stages (every stage)",
                received="both",
            )
        if args.all_stages:
            comparisons = what_if_all_stages(rally, args.category, events, as_of=args.as_of)
            return emit(LeaderComparison(comparisons), args)
        return emit(what_if(rally, args.category, events, after=args.after, as_of=args.as_of), args)


class Penalties(Command):
    name = "penalties"
    help = "every penalty, with the ids --rescind takes"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("log", metavar="LOG")
        parser.add_argument("--category", "-c")
        parser.add_argument("--as-of", type=positive_int, metavar="SEQ")
        parser.add_argument("--format", "-f", choices=["table", "json"], default="table")
        add_plain_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log)
        listings = penalties(rally, args.category, as_of=args.as_of)
        return emit(PenaltyList(rally.name, listings), args)


class History(Command):
    name = "history"
    help = "how the GC after a stage changed as events were recorded"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_query_options(parser, ["table", "json"])
        _after_option(parser, required=True)

    def run(self, args: argparse.Namespace) -> int:
        rally = load_log(args.log)
        entries = history(rally, args.category, args.after, as_of=args.as_of)
        return emit(StandingsHistory(rally.name, args.category, args.after, entries), args)


class Events(Command):
    name = "events"
    help = "the log, one event per line"
    formats: ClassVar[list[str]] = ["text", "jsonl"]

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("log", metavar="LOG")
        parser.add_argument("--format", "-f", choices=self.formats, default="text")

    def run(self, args: argparse.Namespace) -> int:
        return emit(EventLog(load_log(args.log).records), args)
