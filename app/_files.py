"""Commands that read or write whole files: import, verify, synth, report, log check/repair."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

from ..engine import CheckpointCheck, Rally, check_log, repair_log
from ..events import MAX_STAGE, RallyError
from ..events import LogCheck as LogBytes
from ..replays import resolve_log
from ._base import (
    EXIT_PROBLEMS_FOUND,
    Command,
    UsageError,
    add_force_option,
    add_format_option,
    add_log_argument,
    add_output_option,
    check_output,
    conflicting,
    input_file,
    load_log,
    no_hypothesis,
    output_file,
    positive_int,
    signed_int,
    suggesting_force,
    whole_number,
    write_output,
)

__all__: list[str] = []


class Import(Command):
    name = "import"
    help = "import a rally article into a new log (refused while inconsistent)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "article", metavar="ARTICLE", type=input_file, help="the article text file"
        )
        add_output_option(parser, "LOG", "the log to write (documented standings go beside it)")
        parser.add_argument(
            "--editorial",
            metavar="FILE",
            type=input_file,
            help="errata, penalties and retirements (default: LOG-stem.toml if it exists); "
            "copied beside the log as LOG-stem.toml",
        )
        parser.add_argument(
            "--infer",
            action="store_true",
            help="resolve what the editorial file leaves open by inference; writes the draft "
            "editorial file LOG-stem.toml (decisions marked inferred = true)",
        )
        parser.add_argument(
            "--id", dest="rally_id", metavar="ID", help="the rally's id (default: from the title)"
        )
        add_force_option(parser, "replace the log and the files beside it")

    def run(self, args: argparse.Namespace) -> int:
        from ..outputs.progress import progress
        from ..replays.article import import_file

        reads = [args.article, *([args.editorial] if args.editorial else [])]
        check_output(args.output, force=args.force, reads=reads)
        try:
            with suggesting_force(), progress(f"importing {args.article}"):
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


class Verify(Command):
    name = "verify"
    help = "compare a replayed log with the standings its source documents"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_log_argument(parser)
        add_format_option(
            parser,
            ["text", "json"],
            "json: counts, errata, penalties and differences (see docs/importing-articles.md)",
        )

    def run(self, args: argparse.Namespace) -> int:
        from ..outputs.progress import progress
        from ..replays.article import verify, verify_json

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


class Synth(Command):
    name = "synth"
    help = "write a seeded synthetic rally log"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        from ..replays.synth import MAX_ENTRIES, MAX_STAGES, MAX_WAYPOINTS

        add_output_option(parser, "LOG", "the log to write")
        parser.add_argument(
            "--entries",
            type=whole_number(1, MAX_ENTRIES, what="a number of entries"),
            default=120,
            metavar="N",
            help=f"entries, 1 to {MAX_ENTRIES} (default 120)",
        )
        parser.add_argument(
            "--stages",
            type=whole_number(1, MAX_STAGES, what="a number of stages"),
            default=12,
            metavar="S",
            help=f"stages, 1 to {MAX_STAGES} (default 12)",
        )
        parser.add_argument(
            "--categories",
            action="append",
            default=None,
            metavar="C[,C…]",
            help="categories (default: bikes,cars,trucks)",
        )
        parser.add_argument(
            "--waypoints",
            type=whole_number(0, MAX_WAYPOINTS, what="a number of waypoints"),
            default=0,
            metavar="W",
            help=f"waypoint splits recorded per entry and stage, 0 to {MAX_WAYPOINTS}",
        )
        parser.add_argument(
            "--seed",
            type=signed_int,
            default=1,
            metavar="K",
            help="the random seed: the same seed and sizes give the same log (default 1)",
        )
        add_force_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from ..outputs.progress import progress
        from ..replays.synth import SynthSpec, write_synth

        categories = tuple(
            part.strip()
            for item in (args.categories or ["bikes,cars,trucks"])
            for part in item.split(",")
            if part.strip()
        )
        try:
            spec = SynthSpec(
                entries=args.entries,
                stages=args.stages,
                categories=categories,
                waypoints=args.waypoints,
                seed=args.seed,
            )
        except RallyError as error:
            option = "--categories" if error.where == "SynthSpec.categories" else None
            raise UsageError(
                error.what,
                where=option or "--entries, --stages and --waypoints",
                expected=error.expected,
                received=error.received,
            ) from None
        check_output(args.output, force=args.force)
        with progress(f"writing {args.output}"), suggesting_force():
            count = write_synth(args.output, spec, replace=args.force)
        sys.stdout.write(
            f"wrote {args.output}: {count} events ({spec.entries} entries, "
            f"{spec.stages} stages, {spec.waypoints} waypoints a stage, seed {spec.seed})\n"
        )
        return 0


class Report(Command):
    name = "report"
    help = "a self-contained HTML page with charts (needs the report extra)"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        from ._query import _hypothesis_options

        add_log_argument(parser)
        add_output_option(parser, "FILE", "the HTML file to write (an SVG file with --chart)")
        parser.add_argument(
            "--category",
            "-c",
            action="append",
            metavar="C",
            help="a category to show (repeatable; default: every category)",
        )
        parser.add_argument(
            "--as-of",
            type=positive_int,
            metavar="SEQ",
            help="the standings as known when log record SEQ had been recorded",
        )
        parser.add_argument(
            "--what-if",
            action="store_true",
            help="a page for a hypothesis: actual and hypothetical side by side",
        )
        _hypothesis_options(parser, prefix="with --what-if: ")
        parser.add_argument(
            "--chart",
            choices=["positions", "gaps"],
            help="write only this chart of one category, as an SVG file",
        )
        parser.add_argument(
            "--relative-to",
            metavar="ENTRY",
            help="also give gaps to this crew (race number or name): a column and a chart",
        )
        parser.add_argument(
            "--class",
            dest="entry_class",
            metavar="CLASS",
            help="only this class, ranked on its own (positions 1…n, gaps to its leader)",
        )
        parser.add_argument(
            "--waypoint-stage",
            type=whole_number(0, MAX_STAGE, what="a stage number"),
            metavar="N",
            help="also chart each crew's place at every waypoint of stage N",
        )
        add_force_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        from ..outputs.report import (
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
            raise no_hypothesis("report --what-if")
        if args.what_if and (args.entry_class is not None or args.waypoint_stage is not None):
            raise conflicting("report", "--what-if, or --class / --waypoint-stage")
        if args.what_if and args.relative_to is not None:
            raise conflicting("report", "either --what-if or --relative-to")
        log = resolve_log(args.log)
        check_output(args.output, force=args.force, reads=(log,))
        rally = load_log(args.log, args)
        if args.chart is not None:
            return self._chart(args, rally)
        from ..outputs.progress import progress

        steps = report_steps(
            rally, args.category, what_if=args.what_if, relative=args.relative_to is not None
        )
        with progress(f"drawing the report of {args.log}", steps) as advance:
            page = build_report(
                rally,
                categories=args.category,
                as_of=args.as_of,
                hypothesis=hypothesis if args.what_if else None,
                relative_to=args.relative_to,
                advance=lambda done: advance(description=f"report of {args.log}: {done}"),
                entry_class=args.entry_class,
                waypoint_stage=args.waypoint_stage,
            )
        write_output(args.output, page.encode("utf-8"), force=args.force, reads=(log,))
        return 0

    def _chart(self, args: argparse.Namespace, rally: Rally) -> int:
        from ..outputs.report import chart_svg

        categories = args.category or list(rally.categories)
        if args.what_if or len(categories) != 1:
            raise UsageError(
                "--chart draws one chart of one category",
                where="report --chart",
                expected="one --category, without --what-if",
                received=_counted(len(categories), "category", "categories")
                + (" and --what-if" if args.what_if else ""),
            )
        svg = chart_svg(rally, categories[0], args.chart, as_of=args.as_of)
        write_output(args.output, svg.encode(), force=args.force, reads=(resolve_log(args.log),))
        return 0


def _counted(count: int, one: str, many: str) -> str:
    """``1 category``, ``2 categories``, ``no category``."""
    if count == 0:
        return f"no {one}"
    return f"{count} {one if count == 1 else many}"


def _sound_part(check: LogBytes) -> str:
    """What ``log check`` verified of a log: its sound records and the bytes they fill."""
    if check.count:
        sound = _counted(check.count, "sound record", "sound records")
        return (
            f"{sound} (seq 1-{check.count}) in {_bytes_of(check.valid_end, check.size)}; every "
            "frame, checksum and sequence number verified up to there"
        )
    if check.size == 0:
        return "no record: the file is empty"
    if check.problems and check.problems[0].offset == 0:
        return f"no record: the file ({_counted(check.size, 'byte', 'bytes')}) is not a rally log"
    return f"no sound record after its {check.valid_end}-byte header"


def _bytes_of(sound: int, size: int) -> str:
    """``2795 bytes``, or ``the first 2795 of 2967 bytes`` when more follows."""
    if sound == size:
        return _counted(size, "byte", "bytes")
    return f"the first {sound} of {_counted(size, 'byte', 'bytes')}"


class Log(Command):
    name = "log"
    help = "check a log file, or repair one"


class LogCheck(Command):
    name = "check"
    group = "log"
    help = "verify every record of a log"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_log_argument(parser)
        parser.add_argument(
            "--fix",
            action="store_true",
            help="remove a checkpoint beside the log that does not equal its fold (readers "
            "fold the log from its start until a recorder writes a new one)",
        )

    def run(self, args: argparse.Namespace) -> int:
        path = resolve_log(args.log)
        report = check_log(path)
        check = report.check
        kept = _remove_checkpoint(report.checkpoint) if args.fix else None
        # a wrong checkpoint left as it is, or one --fix asked to remove and could not
        wrong = (report.checkpoint.wrong and not args.fix) or kept is not None
        problems = check.damaged or report.violation is not None or wrong
        status = "DAMAGED" if check.damaged else ("PROBLEMS" if problems else "ok")
        lines = [f"{path}: {status}", f"  {_sound_part(check)}"]
        for problem in check.problems:
            record = "" if problem.seq is None else f", record seq {problem.seq}"
            lines.append(f"  damage at byte offset {problem.offset}{record}: {problem.what}")
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
                f"  torn tail: {check.torn_bytes} bytes after byte offset {start} are an append "
                "a crash interrupted; readers ignore them and the next accepted append cuts "
                "them off"
            )
        lines += self._checkpoint(report.checkpoint, fix=args.fix, log=args.log, kept=kept)
        sys.stdout.write("\n".join(lines) + "\n")
        return EXIT_PROBLEMS_FOUND if problems else 0

    @staticmethod
    def _checkpoint(found: CheckpointCheck, *, fix: bool, log: str, kept: str | None) -> list[str]:
        name = found.path.name
        if found.state == "none":
            return []
        if found.state == "sound":
            return [
                f"  checkpoint {name}: sound (equals the log's fold up to seq {found.last_seq})"
            ]
        if not fix:
            if found.state == "ignored":
                return [f"  checkpoint {name}: not used by readers ({found.why})"]
            return [
                f"  CHECKPOINT {name} IS WRONG: {found.why}; it changes answers: remove it with "
                f"'standings log check --fix {shlex.quote(log)}' (or delete the file)"
            ]
        if kept is not None:
            said = "IS WRONG" if found.wrong else "is not used by readers"
            return [f"  checkpoint {name} {said} ({found.why}), and could not be removed: {kept}"]
        return [f"  checkpoint {name}: removed ({found.why})"]


def _remove_checkpoint(found: CheckpointCheck) -> str | None:
    """Remove a checkpoint readers do not use or that is wrong (``log check --fix``): None
    once removed (or if there was nothing to remove), else why it could not be."""
    if found.state not in ("ignored", "wrong"):
        return None
    try:
        found.path.unlink()
    except IsADirectoryError:
        return "remove it by hand"
    except OSError as error:
        return f"{error.strerror or error}; remove it by hand"
    return None


class LogRepair(Command):
    name = "repair"
    group = "log"
    help = "write a new log with every event before the first damage"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_log_argument(parser)
        add_output_option(parser, "NEW", "the new log (the original is never modified)")
        add_force_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        path = resolve_log(args.log)
        check_output(args.output, force=args.force)
        if os.path.exists(args.output) and os.path.samefile(path, args.output):
            raise UsageError(
                "the repaired log cannot replace the original",
                where=args.output,
                expected="a new file (the original is never modified; move it afterwards)",
                received=f"the log being repaired, {path}",
            )
        with output_file(args.output, force=args.force) as temporary:
            report = repair_log(path, temporary)
        dropped = report.dropped_readable
        sys.stdout.write(
            f"wrote {args.output}: kept {report.kept} events (seq 1-{report.kept}); dropped "
            f"{dropped} readable event{'s' if dropped != 1 else ''} after the first problem and "
            f"{report.dropped_bytes} bytes in all; {path} is unchanged\n"
        )
        return 0
