"""The ``standings`` command line.

A user's mistake (a bad time, an unknown entry, a missing file, a refused
event) prints one line on stderr and exits with status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from rally_standings.engine import Rally, Recorder, create_log, now_iso
from rally_standings.events import (
    EntryRegistered,
    EntryRetired,
    Event,
    FieldCoverageDeclared,
    PenaltyImposed,
    PenaltyRescinded,
    Person,
    Provenance,
    QueryError,
    RallyDeclared,
    RallyError,
    ResultCorrected,
    SourceKind,
    StageCancelled,
    StageKind,
    StageResultRecorded,
    StageRule,
    StageScheduled,
    parse_duration,
    parse_time,
)
from rally_standings.outputs import (
    describe,
    event_json,
    explanation_json,
    explanation_table,
    history_table,
    penalties_table,
    stage_csv,
    stage_table,
    standings_csv,
    standings_table,
    to_json,
    whatif_csv,
    whatif_stages_table,
    whatif_table,
)
from rally_standings.replays import load, resolve_log

__all__ = ["main"]

EXIT_USER_ERROR = 2
EXIT_PROBLEMS_FOUND = 1


class UsageError(RallyError):
    """A command line that does not make sense."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USER_ERROR)


def _time_arg(text: str) -> int:
    try:
        return parse_time(text, where="H:MM:SS")
    except RallyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise argparse.ArgumentTypeError(
            f"not a whole number: expected a number such as 5, received {text!r}"
        )
    return int(text)


# ---------------------------------------------------------------------- output and progress

_LARGE_LOG_BYTES = 2 * 1024 * 1024
"""A log at least this big is read with a progress bar (when stderr is a terminal)."""


def _rich_terminal(args: argparse.Namespace) -> bool:
    """Whether to draw the table with rich: table format, stdout a terminal, no --plain.

    Piped or redirected output (and ``--plain``, ``TERM=dumb``) keeps the plain
    text byte for byte, and rich is not imported at all.
    """
    if getattr(args, "format", "table") != "table" or getattr(args, "plain", False):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _load(log: str) -> Rally:
    """``load``, with a progress bar on stderr for a large log when stderr is a terminal."""
    try:
        watched = sys.stderr.isatty()
    except (AttributeError, ValueError):
        watched = False
    if watched:
        path = resolve_log(log)
        size = path.stat().st_size
        if size >= _LARGE_LOG_BYTES:
            from rally_standings.outputs.progress import progress

            with progress(f"replaying {log} ({size / 1_048_576:.0f} MB)"):
                return load(log)
    return load(log)


# ---------------------------------------------------------------------- query commands


def _cmd_show(args: argparse.Namespace) -> int:
    rally = _load(args.log)
    standings = rally.standings(args.category, args.after, as_of=args.as_of)
    if args.format == "json":
        sys.stdout.write(to_json(standings.to_json()))
    elif args.format == "csv":
        sys.stdout.write(standings_csv([standings]))
    elif _rich_terminal(args):
        from rally_standings.outputs.terminal import print_standings

        earlier = [
            s
            for s in rally.replay(args.category, as_of=args.as_of)
            if s.after_stage < standings.after_stage
        ]
        print_standings(standings, earlier[-1] if earlier else None)
    else:
        sys.stdout.write(standings_table(standings))
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    rally = _load(args.log)
    snapshots = rally.replay(args.category, as_of=args.as_of)
    if args.format == "json":
        sys.stdout.write(to_json([s.to_json() for s in snapshots]))
    elif args.format == "csv":
        sys.stdout.write(standings_csv(snapshots))
    elif _rich_terminal(args):
        from rally_standings.outputs.terminal import print_replay

        print_replay(snapshots)
    else:
        sys.stdout.write("\n".join(standings_table(s) for s in snapshots))
    return 0


def _cmd_stage(args: argparse.Namespace) -> int:
    rally = _load(args.log)
    result = rally.stage_result(args.category, args.stage, as_of=args.as_of)
    if args.format == "json":
        sys.stdout.write(to_json(result.to_json()))
    elif args.format == "csv":
        sys.stdout.write(stage_csv(result))
    elif _rich_terminal(args):
        from rally_standings.outputs.terminal import print_stage

        print_stage(result)
    else:
        sys.stdout.write(stage_table(result))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    rally = _load(args.log)
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
    if args.format == "json":
        sys.stdout.write(to_json(explanation_json(standings, row)))
    else:
        sys.stdout.write(explanation_table(standings, row))
    return 0


def _cmd_whatif(args: argparse.Namespace) -> int:
    from rally_standings.engine import hypotheses, what_if, what_if_all_stages

    rally = _load(args.log)
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
        if args.format == "json":
            sys.stdout.write(
                to_json([{"stage": c.stage, **c.comparison.to_json()} for c in comparisons])
            )
        elif args.format == "csv":
            sys.stdout.write(
                "".join(
                    whatif_csv(c.comparison)
                    if i == 0
                    else whatif_csv(c.comparison).split("\n", 1)[1]
                    for i, c in enumerate(comparisons)
                )
            )
        elif _rich_terminal(args):
            from rally_standings.outputs.terminal import print_whatif_stages

            print_whatif_stages(comparisons)
        else:
            sys.stdout.write(whatif_stages_table(comparisons))
        return 0
    result = what_if(rally, args.category, events, after=args.after, as_of=args.as_of)
    if args.format == "json":
        sys.stdout.write(to_json(result.to_json()))
    elif args.format == "csv":
        sys.stdout.write(whatif_csv(result))
    elif _rich_terminal(args):
        from rally_standings.outputs.terminal import print_whatif

        print_whatif(result)
    else:
        sys.stdout.write(whatif_table(result))
    return 0


def _cmd_penalties(args: argparse.Namespace) -> int:
    from rally_standings.engine import penalties

    rally = _load(args.log)
    listings = penalties(rally, args.category, as_of=args.as_of)
    if args.format == "json":
        sys.stdout.write(to_json([item.to_json() for item in listings]))
    elif _rich_terminal(args):
        from rally_standings.outputs.terminal import print_penalties

        print_penalties(listings, rally.name)
    else:
        sys.stdout.write(penalties_table(listings, rally.name))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from rally_standings.outputs.report import (
        Hypothesis,
        build_report,
        report_steps,
        require_matplotlib,
    )

    require_matplotlib()
    hypothesis = Hypothesis(
        penalties=tuple(args.penalty or ()),
        rescind=tuple(args.rescind or ()),
        results=tuple(args.result or ()),
    )
    if hypothesis and not args.what_if:
        raise UsageError(
            "hypothetical events without --what-if",
            where="report",
            expected="--what-if with --penalty, --rescind or --result",
            received="--penalty, --rescind or --result alone",
        )
    if args.what_if and not hypothesis:
        raise UsageError(
            "no hypothesis given",
            where="report --what-if",
            expected="at least one --penalty, --rescind or --result",
            received="none",
        )
    rally = _load(args.log)
    if args.chart is not None:
        return _write_chart(args, rally)
    from rally_standings.outputs.progress import progress

    steps = report_steps(rally, args.category, what_if=args.what_if)
    with progress(f"drawing the report of {args.log}", steps) as advance:
        page = build_report(
            rally,
            categories=args.category,
            as_of=args.as_of,
            hypothesis=hypothesis if args.what_if else None,
            advance=lambda done: advance(description=f"report of {args.log}: {done}"),
        )
    data = page.encode("utf-8")
    with open(args.output, "wb") as out:
        out.write(data)
    sys.stdout.write(f"wrote {args.output}: {len(data) // 1024} KiB\n")
    return 0


def _write_chart(args: argparse.Namespace, rally: Rally) -> int:
    from rally_standings.outputs.report import chart_svg

    categories = args.category or list(rally.categories)
    if args.what_if or len(categories) != 1:
        raise UsageError(
            "--chart draws one chart of one category",
            where="report --chart",
            expected="one --category, without --what-if",
            received=f"{len(categories)} categories" + (" and --what-if" if args.what_if else ""),
        )
    data = chart_svg(rally, categories[0], args.chart, as_of=args.as_of).encode("utf-8")
    with open(args.output, "wb") as out:
        out.write(data)
    sys.stdout.write(f"wrote {args.output}: {len(data) // 1024} KiB\n")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from rally_standings.engine import history

    rally = _load(args.log)
    entries = history(rally, args.category, args.after, as_of=args.as_of)
    if args.format == "json":
        sys.stdout.write(to_json([item.to_json() for item in entries]))
    else:
        sys.stdout.write(history_table(entries, args.category, args.after, rally.name))
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from rally_standings.replays.synth import SynthSpec, write_synth

    categories = tuple(
        part.strip()
        for item in (args.categories or ["bikes,cars,trucks"])
        for part in item.split(",")
        if part.strip()
    )
    spec = SynthSpec(
        entries=args.entries,
        stages=args.stages,
        categories=categories,
        waypoints=args.waypoints,
        seed=args.seed,
    )
    from rally_standings.outputs.progress import progress

    with progress(f"writing {args.output}"):
        count = write_synth(args.output, spec)
    sys.stdout.write(
        f"wrote {args.output}: {count} events ({spec.entries} entries, "
        f"{spec.stages} stages, {spec.waypoints} waypoints a stage, seed {spec.seed})\n"
    )
    return 0


def _cmd_events(args: argparse.Namespace) -> int:
    rally = _load(args.log)
    for record in rally.records:
        if args.format == "jsonl":
            sys.stdout.write(
                json.dumps(event_json(record), ensure_ascii=False, separators=(",", ":")) + "\n"
            )
        else:
            sys.stdout.write(f"{record.seq:>6}  {record.type:<23}  {describe(record.event)}\n")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from rally_standings.outputs.progress import progress
    from rally_standings.replays.article import import_file

    try:
        with progress(f"importing {args.article}"):
            outcome = import_file(
                args.article,
                args.output,
                editorial=args.editorial,
                infer=args.infer,
                rally_id=args.rally_id,
                force=args.force,
            )
    except RallyError as error:
        for issue in getattr(error, "issues", ()):
            sys.stdout.write(f"{issue}\n")
        raise
    for note in outcome.result.notes:
        sys.stdout.write(f"note: {note}\n")
    for line in outcome.lines:
        sys.stdout.write(f"inferred: {line}\n")
    sys.stdout.write(f"wrote {args.output}: {outcome.events} events\n")
    if args.infer and outcome.editorial_file is not None:
        sys.stdout.write(
            f"draft editorial file: {outcome.editorial_file} "
            f"({outcome.inferred.decisions} inferred decisions, marked inferred = true)\n"
        )
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from rally_standings.outputs.progress import progress
    from rally_standings.replays.article import verify, verify_json

    if args.format == "json":
        with progress(f"verifying {args.log}"):
            document = verify_json(args.log)
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return 0 if not document["differences"] else EXIT_PROBLEMS_FOUND
    with progress(f"verifying {args.log}"):
        report = verify(args.log)
    for line in report.lines:
        sys.stdout.write(f"{line}\n")
    sys.stdout.write(f"{report.summary}\n")
    return 0 if report.ok else EXIT_PROBLEMS_FOUND


def _cmd_log_check(args: argparse.Namespace) -> int:
    from rally_standings.engine import check_log

    path = resolve_log(args.log)
    report = check_log(path)
    check = report.check
    last = check.count
    status = "ok" if report.ok else ("DAMAGED" if check.damaged else "PROBLEMS")
    lines = [
        f"{path}: {status}",
        f"  {check.count} sound records (seq 1-{last}) in {check.size} bytes; "
        "every frame, checksum and sequence number verified up to there",
    ]
    for problem in check.problems:
        lines.append(
            f"  damage at byte offset {problem.offset}, record seq {problem.seq}: {problem.what}"
        )
    if check.beyond:
        lines.append(
            f"  {check.beyond_count} more records are readable after the damage "
            f"(seq {check.beyond[0].first_seq}-{check.beyond[-1].last_seq}); "
            f"'standings log repair' keeps the {report.usable} before it"
        )
    if report.violation is not None:
        lines.append(f"  rule violation: {report.violation}")
    if check.torn_bytes:
        start = check.size - check.torn_bytes
        lines.append(
            f"  torn tail: {check.torn_bytes} bytes after byte offset {start} are an append a "
            "crash interrupted; readers ignore them and the next writer cuts them off"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if report.ok else EXIT_PROBLEMS_FOUND


def _cmd_log_repair(args: argparse.Namespace) -> int:
    from rally_standings.engine import repair_log

    path = resolve_log(args.log)
    report = repair_log(path, args.output)
    dropped = report.dropped_readable
    sys.stdout.write(
        f"wrote {report.output}: kept {report.kept} events (seq 1-{report.kept}); dropped "
        f"{dropped} readable event{'s' if dropped != 1 else ''} after the first problem and "
        f"{report.dropped_bytes} bytes in all; {path} is unchanged\n"
    )
    return 0


# ---------------------------------------------------------------------- record


def _person(text: str) -> Person:
    match = re.fullmatch(r"\s*(.*?)\s*\(([A-Z]{3})\)\s*", text)
    if match:
        return Person(name=match.group(1), nationality=match.group(2))
    return Person(name=text.strip())


def _provenance(args: argparse.Namespace) -> Provenance:
    return Provenance(kind=SourceKind.RECORDED, detail=args.source)


def _entry_id(recorder: Recorder, category: str, ref: str) -> str:
    rally = recorder.rally
    return rally.find_entry(category, ref).entry_id


def _stage_rules(args: argparse.Namespace, categories: Sequence[str]) -> tuple[StageRule, ...]:
    kinds = {
        "yes": StageKind.SPECIAL,
        "special": StageKind.SPECIAL,
        "prologue": StageKind.PROLOGUE,
        "liaison": StageKind.LIAISON,
    }
    default = StageKind.SPECIAL
    per_category: dict[str, StageKind] = {}
    for item in args.counts or []:
        category, _, kind_text = item.rpartition("=")
        kind = kinds.get(kind_text)
        if kind is None:
            raise UsageError(
                "unknown stage kind",
                where="--counts",
                expected="yes, prologue or liaison (optionally CATEGORY=KIND)",
                received=item,
            )
        if category:
            if category not in categories:
                raise UsageError(
                    "unknown category",
                    where="--counts",
                    expected="one of " + ", ".join(categories),
                    received=category,
                )
            per_category[category] = kind
        else:
            default = kind
    return tuple(StageRule(category=c, kind=per_category.get(c, default)) for c in categories)


def _build_event(kind: str, args: argparse.Namespace, recorder: Recorder) -> Event:
    fold = recorder.fold
    source = _provenance(args)
    rally = recorder.rally
    if kind == "entry":
        number = args.number
        entry_id = args.id or f"{args.category}:{number}"
        return EntryRegistered(
            entry_id=entry_id,
            category=args.category,
            number=number,
            crew=tuple(_person(c) for c in args.crew),
            make=args.make,
            entrant=args.entrant,
            provenance=source,
        )
    if kind == "stage":
        return StageScheduled(
            stage=args.number,
            rules=_stage_rules(args, rally.categories),
            date=args.date,
            start=args.start,
            finish=args.finish,
            distance_km=args.distance,
            provenance=source,
        )
    if kind == "result":
        return StageResultRecorded(
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            time_ms=args.time,
            first_stage=args.first_stage,
            provenance=source,
        )
    if kind == "correct":
        return ResultCorrected(
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            time_ms=args.time,
            reason=args.reason,
            provenance=source,
        )
    if kind == "penalty":
        penalty_id = args.id
        if penalty_id is None:
            number = len(fold.penalties) + 1
            while f"P{number}" in fold.penalties:
                number += 1
            penalty_id = f"P{number}"
        amount = parse_duration(args.amount, where="--amount")
        return PenaltyImposed(
            penalty_id=penalty_id,
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            amount_ms=amount,
            reason=args.reason,
            gc_only=args.gc_only,
            provenance=source,
        )
    if kind == "rescind":
        return PenaltyRescinded(penalty_id=args.penalty, reason=args.reason, provenance=source)
    if kind == "cancel":
        categories = tuple(args.category) if args.category else rally.categories
        awarded = (
            None
            if args.awarded_time is None
            else parse_time(args.awarded_time, where="--awarded-time")
        )
        return StageCancelled(
            stage=args.stage,
            categories=categories,
            reason=args.reason,
            awarded_ms=awarded,
            provenance=source,
        )
    if kind == "retire":
        return EntryRetired(
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            reason=args.reason,
            excluded=args.excluded,
            provenance=source,
        )
    if kind == "coverage":
        return FieldCoverageDeclared(
            category=args.category,
            stage=args.stage,
            stage_known=args.stage_known,
            gc_known=args.gc_known,
            provenance=source,
        )
    raise UsageError("unknown record kind", received=kind)  # pragma: no cover - argparse checks


def _cmd_record(args: argparse.Namespace) -> int:
    if args.kind == "rally":
        rally_id = args.id or re.sub(r"[^a-z0-9]+", "-", f"{args.name} {args.year}".lower()).strip(
            "-"
        )
        declared = RallyDeclared(
            rally_id=rally_id,
            name=args.name,
            year=args.year,
            categories=tuple(args.category),
            provenance=_provenance(args),
        )
        record = create_log(args.log, declared, recorded_at=now_iso())
        sys.stdout.write(
            f"created {args.log}\n{record.seq:>6}  {record.type:<23}  {describe(record.event)}\n"
        )
        return 0
    with Recorder(args.log, wait_seconds=args.wait) as recorder:
        event = _build_event(args.kind, args, recorder)
        record = recorder.append(event, recorded_at=now_iso())
    sys.stdout.write(f"{record.seq:>6}  {record.type:<23}  {describe(record.event)}\n")
    return 0


# ---------------------------------------------------------------------- parser


def _add_query_options(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    parser.add_argument("log", metavar="LOG", help="a log file, or the name of a shipped log")
    parser.add_argument("--category", "-c", required=True, help="bikes, cars, trucks, …")
    parser.add_argument(
        "--as-of",
        type=_positive_int,
        metavar="SEQ",
        help="answer as known when log record SEQ had been recorded",
    )
    parser.add_argument("--format", "-f", choices=formats, default=formats[0])


def _add_plain_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plain",
        action="store_true",
        help="plain text tables even on a terminal (as when the output is piped)",
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="standings",
        description=(
            "Replay a rally's event log into the general classification after every stage."
        ),
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    show = commands.add_parser("show", help="the GC after a stage")
    _add_query_options(show, ["table", "json", "csv"])
    show.add_argument(
        "--after",
        type=_positive_int,
        metavar="N",
        help="stage number (default: the last stage with results)",
    )
    _add_plain_option(show)
    show.set_defaults(handler=_cmd_show)

    replay = commands.add_parser("replay", help="the GC after every stage")
    _add_query_options(replay, ["table", "json", "csv"])
    _add_plain_option(replay)
    replay.set_defaults(handler=_cmd_replay)

    stage = commands.add_parser("stage", help="one stage's ranking")
    _add_query_options(stage, ["table", "json", "csv"])
    stage.add_argument("--stage", "-s", type=_positive_int, required=True, metavar="N")
    _add_plain_option(stage)
    stage.set_defaults(handler=_cmd_stage)

    explain = commands.add_parser("explain", help="how one entry's GC time is made up")
    _add_query_options(explain, ["table", "json"])
    explain.add_argument(
        "--entry",
        "-e",
        required=True,
        metavar="NUM",
        help="race number (or an unambiguous driver name)",
    )
    explain.add_argument(
        "--after",
        type=_positive_int,
        metavar="N",
        help="stage number (default: the last stage with results)",
    )
    explain.set_defaults(handler=_cmd_explain)

    whatif = commands.add_parser(
        "whatif", help="the GC with hypothetical penalties, rescissions or results"
    )
    _add_query_options(whatif, ["table", "json", "csv"])
    whatif.add_argument(
        "--after",
        type=_positive_int,
        metavar="N",
        help="stage number (default: the last stage with results)",
    )
    whatif.add_argument(
        "--penalty",
        action="append",
        metavar="ENTRY@STAGE=±H:MM:SS",
        help="a hypothetical GC penalty (negative: a bonus); repeatable",
    )
    whatif.add_argument(
        "--rescind",
        action="append",
        metavar="PENALTY_ID",
        help="a penalty to withdraw (ids: standings penalties); repeatable",
    )
    whatif.add_argument(
        "--result",
        action="append",
        metavar="ENTRY@STAGE=H:MM:SS",
        help="a hypothetical stage time; repeatable",
    )
    whatif.add_argument(
        "--all-stages",
        action="store_true",
        help="compare the leader after every stage the hypothesis touches",
    )
    _add_plain_option(whatif)
    whatif.set_defaults(handler=_cmd_whatif)

    listing = commands.add_parser("penalties", help="every penalty, with the ids --rescind takes")
    listing.add_argument("log", metavar="LOG")
    listing.add_argument("--category", "-c")
    listing.add_argument("--as-of", type=_positive_int, metavar="SEQ")
    listing.add_argument("--format", "-f", choices=["table", "json"], default="table")
    _add_plain_option(listing)
    listing.set_defaults(handler=_cmd_penalties)

    report = commands.add_parser(
        "report", help="a self-contained HTML page with charts (needs the report extra)"
    )
    report.add_argument("log", metavar="LOG", help="a log file, or the name of a shipped log")
    report.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the HTML file to write"
    )
    report.add_argument(
        "--category",
        "-c",
        action="append",
        metavar="C",
        help="a category to show (repeatable; default: every category)",
    )
    report.add_argument(
        "--as-of",
        type=_positive_int,
        metavar="SEQ",
        help="the standings as known when log record SEQ had been recorded",
    )
    report.add_argument(
        "--what-if",
        action="store_true",
        help="a page for a hypothesis: actual and hypothetical side by side",
    )
    report.add_argument(
        "--penalty",
        action="append",
        metavar="ENTRY@STAGE=±H:MM:SS",
        help="with --what-if: a hypothetical GC penalty; repeatable",
    )
    report.add_argument(
        "--rescind",
        action="append",
        metavar="PENALTY_ID",
        help="with --what-if: a penalty to withdraw; repeatable",
    )
    report.add_argument(
        "--result",
        action="append",
        metavar="ENTRY@STAGE=H:MM:SS",
        help="with --what-if: a hypothetical stage time; repeatable",
    )
    report.add_argument(
        "--chart",
        choices=["positions", "gaps"],
        help="write only this chart of one category, as an SVG file",
    )
    report.set_defaults(handler=_cmd_report)

    changes = commands.add_parser(
        "history", help="how the GC after a stage changed as events were recorded"
    )
    _add_query_options(changes, ["table", "json"])
    changes.add_argument("--after", type=_positive_int, metavar="N", required=True)
    changes.set_defaults(handler=_cmd_history)

    events = commands.add_parser("events", help="the log, one event per line")
    events.add_argument("log", metavar="LOG")
    events.add_argument("--format", "-f", choices=["text", "jsonl"], default="text")
    events.set_defaults(handler=_cmd_events)

    importer = commands.add_parser(
        "import", help="import a rally article into a new log (refused while inconsistent)"
    )
    importer.add_argument("article", metavar="ARTICLE", help="the article text file")
    importer.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="LOG",
        help="the log to write (documented standings go beside it)",
    )
    importer.add_argument(
        "--editorial",
        metavar="FILE",
        help="errata, penalties and retirements (default: LOG-stem.toml if it exists); "
        "copied beside the log as LOG-stem.toml",
    )
    importer.add_argument(
        "--infer",
        action="store_true",
        help="resolve what the editorial file leaves open by inference; writes the draft "
        "editorial file LOG-stem.toml (decisions marked inferred = true)",
    )
    importer.add_argument(
        "--id", dest="rally_id", metavar="ID", help="the rally's id (default: from the title)"
    )
    importer.add_argument(
        "--force", action="store_true", help="replace the log and the files beside it"
    )
    importer.set_defaults(handler=_cmd_import)

    verify = commands.add_parser(
        "verify", help="compare a replayed log with the standings its source documents"
    )
    verify.add_argument("log", metavar="LOG")
    verify.add_argument(
        "--format",
        "-f",
        choices=["text", "json"],
        default="text",
        help="json: counts, errata, penalties and differences (see docs/importing-articles.md)",
    )
    verify.set_defaults(handler=_cmd_verify)

    synth = commands.add_parser("synth", help="write a seeded synthetic rally log")
    synth.add_argument("-o", "--output", required=True, metavar="LOG")
    synth.add_argument("--entries", type=_positive_int, default=120, metavar="N")
    synth.add_argument("--stages", type=_positive_int, default=12, metavar="S")
    synth.add_argument(
        "--categories",
        action="append",
        default=None,
        metavar="C[,C…]",
        help="categories (default: bikes,cars,trucks)",
    )
    synth.add_argument(
        "--waypoints",
        type=int,
        default=0,
        metavar="W",
        help="waypoint splits recorded per entry and stage",
    )
    synth.add_argument("--seed", type=int, default=1, metavar="K")
    synth.set_defaults(handler=_cmd_synth)

    log = commands.add_parser("log", help="check a log file")
    log_commands = log.add_subparsers(
        dest="log_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    check = log_commands.add_parser("check", help="verify every record of a log")
    check.add_argument("log", metavar="LOG")
    check.set_defaults(handler=_cmd_log_check)
    repair = log_commands.add_parser(
        "repair", help="write a new log with every event before the first damage"
    )
    repair.add_argument("log", metavar="LOG")
    repair.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="NEW",
        help="the new log (must not exist; the original is never modified)",
    )
    repair.set_defaults(handler=_cmd_log_repair)

    record = commands.add_parser("record", help="append one event to a log")
    record.add_argument("log", metavar="LOG", help="the log file")
    kinds = record.add_subparsers(dest="kind", required=True, metavar="KIND", parser_class=_Parser)
    _add_record_kinds(kinds)
    return parser


def _record_kind(
    kinds: argparse._SubParsersAction[_Parser], name: str, help_text: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = kinds.add_parser(name, help=help_text)
    parser.add_argument(
        "--source", metavar="TEXT", help="where this comes from (a bulletin, a steward's decision)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another writer to finish (default: refuse)",
    )
    parser.set_defaults(handler=_cmd_record)
    return parser


def _add_record_kinds(kinds: argparse._SubParsersAction[_Parser]) -> None:
    rally = _record_kind(kinds, "rally", "create a log declaring a rally")
    rally.add_argument("--name", required=True)
    rally.add_argument("--year", required=True, type=_positive_int)
    rally.add_argument(
        "--category", required=True, action="append", help="a category (repeat for each)"
    )
    rally.add_argument("--id", help="rally id (default: from the name and year)")

    entry = _record_kind(kinds, "entry", "register an entry")
    entry.add_argument("--category", required=True)
    entry.add_argument("--number", required=True, help="race number")
    entry.add_argument(
        "--crew",
        required=True,
        action="append",
        metavar="NAME",
        help="a crew member, driver first; 'Name (FRA)' adds a country code",
    )
    entry.add_argument("--make")
    entry.add_argument("--entrant")
    entry.add_argument("--id", help="entry id (default: CATEGORY:NUMBER)")

    stage = _record_kind(kinds, "stage", "schedule a stage")
    stage.add_argument("--number", required=True, type=_positive_int)
    stage.add_argument(
        "--counts",
        action="append",
        metavar="[CATEGORY=]KIND",
        help="yes (a special, the default), prologue or liaison; CATEGORY=KIND for one category",
    )
    stage.add_argument("--date", help="ISO date, e.g. 2004-01-05")
    stage.add_argument("--from", dest="start", metavar="PLACE")
    stage.add_argument("--to", dest="finish", metavar="PLACE")
    stage.add_argument("--distance", type=_positive_int, metavar="KM")

    result = _record_kind(kinds, "result", "record a stage time")
    result.add_argument("--category", required=True)
    result.add_argument("--stage", required=True, type=_positive_int)
    result.add_argument("--entry", required=True, metavar="NUM")
    result.add_argument("--time", required=True, type=_time_arg, metavar="H:MM:SS")
    result.add_argument(
        "--first-stage",
        type=_positive_int,
        metavar="K",
        help="one combined time for stages K to --stage",
    )

    penalty = _record_kind(kinds, "penalty", "impose a penalty (negative: a bonus)")
    penalty.add_argument("--category", required=True)
    penalty.add_argument("--entry", required=True, metavar="NUM")
    penalty.add_argument("--stage", required=True, type=_positive_int)
    penalty.add_argument("--amount", required=True, metavar="[+|-]H:MM:SS")
    penalty.add_argument("--reason", required=True)
    penalty.add_argument(
        "--gc-only", action="store_true", help="change the GC only, not the stage ranking"
    )
    penalty.add_argument("--id", help="penalty id (default: P1, P2, …)")

    rescind = _record_kind(kinds, "rescind", "withdraw a penalty")
    rescind.add_argument("--penalty", required=True, metavar="ID")
    rescind.add_argument("--reason", required=True)

    cancel = _record_kind(kinds, "cancel", "cancel a stage")
    cancel.add_argument("--stage", required=True, type=_positive_int)
    cancel.add_argument("--category", action="append", help="only this category (repeatable)")
    cancel.add_argument(
        "--awarded-time",
        metavar="H:MM:SS",
        help="time awarded to every competitor still in the rally",
    )
    cancel.add_argument("--reason", required=True)

    retire = _record_kind(kinds, "retire", "an entry leaves the rally")
    retire.add_argument("--category", required=True)
    retire.add_argument("--entry", required=True, metavar="NUM")
    retire.add_argument("--stage", required=True, type=_positive_int)
    retire.add_argument("--reason", required=True)
    retire.add_argument("--excluded", action="store_true", help="excluded rather than retired")

    correct = _record_kind(kinds, "correct", "correct a stage time")
    correct.add_argument("--category", required=True)
    correct.add_argument("--entry", required=True, metavar="NUM")
    correct.add_argument("--stage", required=True, type=_positive_int)
    correct.add_argument("--time", required=True, type=_time_arg, metavar="H:MM:SS")
    correct.add_argument("--reason", default="correction")

    coverage = _record_kind(kinds, "coverage", "declare how much of the field the log holds")
    coverage.add_argument("--category", required=True)
    coverage.add_argument("--stage", required=True, type=_positive_int)
    coverage.add_argument(
        "--stage-known",
        type=_positive_int,
        metavar="K",
        help="the log holds the stage ranking's first K rows",
    )
    coverage.add_argument(
        "--gc-known", type=_positive_int, metavar="K", help="the log holds the GC's first K rows"
    )


_SIGNED_VALUE_OPTIONS = ("--amount", "--time", "--awarded-time")
_LOOKS_LIKE_CLOCK = re.compile(r"-[\d:.]+")


def _glue_signed_values(argv: Sequence[str]) -> list[str]:
    """Let ``--amount -0:05:00`` mean a negative amount (argparse would read an option).

    The value is glued to its option (``--amount=-0:05:00``) when it looks
    like a clock; anything else is left for argparse to judge.
    """
    glued: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if (
            token in _SIGNED_VALUE_OPTIONS
            and following is not None
            and _LOOKS_LIKE_CLOCK.fullmatch(following)
        ):
            glued.append(f"{token}={following}")
            index += 2
            continue
        glued.append(token)
        index += 1
    return glued


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(_glue_signed_values(sys.argv[1:] if argv is None else argv))
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except RallyError as error:
        sys.stderr.write(f"standings: error: {error}\n")
        return EXIT_USER_ERROR
    except BrokenPipeError:  # `standings events … | head`
        sys.stderr.close()
        return 0
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        sys.stderr.write(f"standings: error: {error.strerror or error}{where}\n")
        return EXIT_USER_ERROR


def _entry_point() -> None:  # pragma: no cover - thin wrapper
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    _entry_point()
