"""``standings record LOG KIND …``: one event appended to a log, or a log created.

Each kind is declared once, here: its options and the event it builds,
together (``RecordKind``). The event is checked by the fold's rules before a
byte is written; a refused event writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Iterator, Sequence
from typing import ClassVar

from rally_standings import events
from rally_standings.app._base import (
    Command,
    UsageError,
    add_force_option,
    check_output,
    duration_arg,
    input_file,
    output_file,
    time_arg,
    wait_seconds,
    whole_number,
)
from rally_standings.engine import Recorder, create_log, now_iso

__all__ = ["KINDS", "RecordKind"]


class RecordKind:
    """One kind of ``record``: its options, and how they become an event of ``event_type``."""

    name: ClassVar[str]
    help: ClassVar[str]
    event_type: ClassVar[type]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        if "name" in vars(cls):  # a base of several kinds declares none
            KINDS[cls.name] = cls()

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the kind's options."""

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        """The event the options describe, given the log as recorded so far."""
        raise NotImplementedError


KINDS: dict[str, RecordKind] = {}
"""Every record kind by name; the ``rally`` kind creates a log instead of appending."""


# Numbers are checked as options, against bounds the log can store: a mistake is one line
# naming the option, before the log is opened.
_stage = whole_number(0, events.MAX_STAGE, what="a stage number")
_waypoint = whole_number(1, events.MAX_WAYPOINT, what="a waypoint number")
_year = whole_number(1, events.MAX_YEAR, what="a year")
_distance = whole_number(1, events.MAX_DISTANCE_KM, what="a distance in km")
_known = whole_number(1, events.MAX_COUNT, what="a number of rows")


def _race_number(text: str) -> str:
    """An option holding a race number: ASCII digits; surrounding spaces are dropped (so
    ``' 1 '`` is No. 1, not a second entry)."""
    number, most = text.strip(), events.MAX_NUMBER_DIGITS
    if not (number.isascii() and number.isdigit() and len(number) <= most):
        raise argparse.ArgumentTypeError(
            f"not a race number: expected 1 to {most} ASCII digits such as 203, received {text!r}"
        )
    return number


def _entry_id(recorder: Recorder, category: str, ref: str) -> str:
    return recorder.rally.find_entry(category, ref.strip()).entry_id


def _person(text: str) -> events.Person:
    match = re.fullmatch(r"\s*(.*?)\s*\(([A-Z]{3})\)\s*", text)
    if match:
        return events.Person(name=match.group(1), nationality=match.group(2))
    return events.Person(name=text.strip())


def _entry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", "-c", required=True)
    parser.add_argument("--entry", required=True, metavar="NUM")


def _stage_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", required=True, type=_stage, metavar="N")


class _Rally(RecordKind):
    name = "rally"
    help = "create a log declaring a rally"
    event_type = events.RallyDeclared

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--year", required=True, type=_year)
        parser.add_argument(
            "--category", required=True, action="append", help="a category (repeat for each)"
        )
        parser.add_argument(
            "--id", help="rally id, a lowercase name such as dakar-2025 (default: from the name)"
        )
        add_force_option(parser)

    def declaration(
        self, args: argparse.Namespace, source: events.Provenance
    ) -> events.RallyDeclared:
        """The rally the options declare (the first event of a new log)."""
        rally_id = args.id
        if rally_id is None:
            rally_id = re.sub(r"[^a-z0-9]+", "-", f"{args.name} {args.year}".lower()).strip("-")
            if not re.fullmatch(r"[a-z][a-z0-9_-]*", rally_id):
                raise UsageError(
                    "no rally id can be made from the name",
                    where="--name",
                    expected="a name with ASCII letters, or --id ID with an id such as "
                    "rallye-2025 (lowercase ASCII letters, digits and hyphens)",
                    received=args.name,
                )
        return events.RallyDeclared(
            rally_id=rally_id,
            name=args.name,
            year=args.year,
            categories=tuple(args.category),
            provenance=source,
        )

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return self.declaration(args, source)


class _Entry(RecordKind):
    name = "entry"
    help = "register an entry"
    event_type = events.EntryRegistered

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--category", "-c", required=True)
        parser.add_argument(
            "--number", required=True, type=_race_number, help="race number (ASCII digits)"
        )
        parser.add_argument(
            "--crew",
            required=True,
            action="append",
            metavar="NAME",
            help="a crew member, driver first; 'Name (FRA)' adds a country code",
        )
        parser.add_argument("--make")
        parser.add_argument("--entrant")
        parser.add_argument(
            "--class",
            dest="entry_class",
            metavar="CLASS",
            help="the class within the category (Ultimate, Stock, …), if the rally has classes",
        )
        parser.add_argument(
            "--id", help="entry id: CATEGORY:NUMBER, the default (any other is refused)"
        )

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        entry_id = f"{args.category}:{args.number}"
        if args.id is not None and args.id != entry_id:
            raise UsageError(
                "the entry id does not match the entry",
                where="--id",
                expected=f"{entry_id} (its category and race number), or no --id",
                received=args.id,
            )
        return events.EntryRegistered(
            entry_id=entry_id,
            category=args.category,
            number=args.number,
            crew=tuple(_person(c) for c in args.crew),
            make=args.make,
            entrant=args.entrant,
            entry_class=args.entry_class,
            provenance=source,
        )


_STAGE_KINDS = {
    "yes": events.StageKind.SPECIAL,
    "special": events.StageKind.SPECIAL,
    "prologue": events.StageKind.PROLOGUE,
    "liaison": events.StageKind.LIAISON,
}


def _stage_rules(counts: Sequence[str], categories: Sequence[str]) -> tuple[events.StageRule, ...]:
    default = events.StageKind.SPECIAL
    per_category: dict[str, events.StageKind] = {}
    for item in counts:
        category, _, kind_text = item.rpartition("=")
        kind = _STAGE_KINDS.get(kind_text)
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
    return tuple(
        events.StageRule(category=c, kind=per_category.get(c, default)) for c in categories
    )


class _Stage(RecordKind):
    name = "stage"
    help = "schedule a stage"
    event_type = events.StageScheduled

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--number", required=True, type=_stage, metavar="N")
        parser.add_argument(
            "--counts",
            action="append",
            metavar="[CATEGORY=]KIND",
            help="yes (a special, the default), prologue or liaison; CATEGORY=KIND for one "
            "category",
        )
        parser.add_argument("--date", help="ISO date, e.g. 2004-01-05")
        parser.add_argument("--from", dest="start", metavar="PLACE")
        parser.add_argument("--to", dest="finish", metavar="PLACE")
        parser.add_argument("--distance", type=_distance, metavar="KM")

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return events.StageScheduled(
            stage=args.number,
            rules=_stage_rules(args.counts or [], recorder.rally.categories),
            date=args.date,
            start=args.start,
            finish=args.finish,
            distance_km=args.distance,
            provenance=source,
        )


class _Result(RecordKind):
    name = "result"
    help = "record a stage time"
    event_type = events.StageResultRecorded

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--category", "-c", required=True)
        _stage_option(parser)
        parser.add_argument("--entry", required=True, metavar="NUM")
        parser.add_argument("--time", required=True, type=time_arg, metavar="H:MM:SS")
        parser.add_argument(
            "--first-stage",
            type=_stage,
            metavar="K",
            help="one combined time for stages K to --stage",
        )

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return events.StageResultRecorded(
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            time_ms=args.time,
            first_stage=args.first_stage,
            provenance=source,
        )


class _Penalty(RecordKind):
    name = "penalty"
    help = "impose a penalty (negative: a bonus)"
    event_type = events.PenaltyImposed

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        _entry_options(parser)
        _stage_option(parser)
        parser.add_argument("--amount", required=True, type=duration_arg, metavar="[+|-]H:MM:SS")
        parser.add_argument("--reason", required=True)
        parser.add_argument(
            "--gc-only", action="store_true", help="change the GC only, not the stage ranking"
        )
        parser.add_argument("--id", help="penalty id (default: P1, P2, …)")

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        penalty_id = args.id
        if penalty_id is None:
            fold = recorder.fold
            number = len(fold.penalty_states()) + 1
            while fold.penalty(f"P{number}") is not None:
                number += 1
            penalty_id = f"P{number}"
        return events.PenaltyImposed(
            penalty_id=penalty_id,
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            amount_ms=args.amount,
            reason=args.reason,
            gc_only=args.gc_only,
            provenance=source,
        )


class _Rescind(RecordKind):
    name = "rescind"
    help = "withdraw a penalty"
    event_type = events.PenaltyRescinded

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--penalty", required=True, metavar="ID")
        parser.add_argument("--reason", required=True)

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return events.PenaltyRescinded(
            penalty_id=args.penalty, reason=args.reason, provenance=source
        )


class _Cancel(RecordKind):
    name = "cancel"
    help = "cancel a stage"
    event_type = events.StageCancelled

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        _stage_option(parser)
        parser.add_argument(
            "--category", "-c", action="append", help="only this category (repeatable)"
        )
        parser.add_argument(
            "--awarded-time",
            type=time_arg,
            metavar="H:MM:SS",
            help="time awarded to every competitor still in the rally",
        )
        parser.add_argument("--reason", required=True)

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return events.StageCancelled(
            stage=args.stage,
            categories=tuple(args.category) if args.category else recorder.rally.categories,
            reason=args.reason,
            awarded_ms=args.awarded_time,
            provenance=source,
        )


class _Retire(RecordKind):
    name = "retire"
    help = "an entry leaves the rally"
    event_type = events.EntryRetired

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        _entry_options(parser)
        _stage_option(parser)
        parser.add_argument("--reason", required=True)
        parser.add_argument("--excluded", action="store_true", help="excluded rather than retired")

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return events.EntryRetired(
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            reason=args.reason,
            excluded=args.excluded,
            provenance=source,
        )


class _Correct(RecordKind):
    name = "correct"
    help = "correct a stage time"
    event_type = events.ResultCorrected

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        _entry_options(parser)
        _stage_option(parser)
        parser.add_argument("--time", required=True, type=time_arg, metavar="H:MM:SS")
        parser.add_argument("--reason", default="correction")

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return events.ResultCorrected(
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            time_ms=args.time,
            reason=args.reason,
            provenance=source,
        )


class _Coverage(RecordKind):
    name = "coverage"
    help = "declare how much of the field the log holds"
    event_type = events.FieldCoverageDeclared

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--category", "-c", required=True)
        _stage_option(parser)
        parser.add_argument(
            "--stage-known",
            type=_known,
            metavar="K",
            help="the log holds the stage ranking's first K rows",
        )
        parser.add_argument(
            "--gc-known",
            type=_known,
            metavar="K",
            help="the log holds the GC's first K rows",
        )

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return events.FieldCoverageDeclared(
            category=args.category,
            stage=args.stage,
            stage_known=args.stage_known,
            gc_known=args.gc_known,
            provenance=source,
        )


class _Waypoint(RecordKind):
    name = "waypoint"
    help = "record an entry's elapsed time at a waypoint of a stage (a split)"
    event_type = events.WaypointRecorded

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        _entry_options(parser)
        _stage_option(parser)
        parser.add_argument("--waypoint", required=True, type=_waypoint, metavar="K")
        parser.add_argument(
            "--time",
            required=True,
            type=time_arg,
            metavar="H:MM:SS",
            help="elapsed time since the stage start",
        )

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        return events.WaypointRecorded(
            entry_id=_entry_id(recorder, args.category, args.entry),
            stage=args.stage,
            waypoint=args.waypoint,
            time_ms=args.time,
            provenance=source,
        )


class _FromSheet(RecordKind):
    """A kind recorded from a timing sheet (``--from FILE``): one batch, one frame.

    The reading is ``rally_standings.replays.timing``'s; this only declares the options.
    """

    sheet_kind: ClassVar[str]

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        from rally_standings.replays.timing import FORMATS, KINDS  # only for this kind

        sheet_kind = KINDS[self.sheet_kind]
        parser.add_argument(
            "--from",
            dest="sheet",
            required=True,
            type=input_file,
            metavar="FILE",
            help="the sheet: columns "
            + ", ".join(sheet_kind.required)
            + (f" and optionally {', '.join(sheet_kind.optional)}" if sheet_kind.optional else ""),
        )
        if sheet_kind.needs_stage:
            _stage_option(parser)
        if sheet_kind.corrects:
            parser.add_argument(
                "--corrections",
                action="store_true",
                help="a corrected sheet: record a correction for every time that changed, "
                "nothing for the rest",
            )
        parser.add_argument(
            "--format",
            dest="sheet_format",
            choices=sorted(FORMATS),
            help="the sheet's format (default: from its name, .csv)",
        )

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        raise NotImplementedError("a sheet is recorded whole, by record_sheet")

    def record_sheet(self, args: argparse.Namespace, recorder: Recorder) -> str:
        """Import the sheet into the recorder's log; the line to print."""
        from rally_standings.replays.timing import Request, import_sheet

        request = Request(
            stage=getattr(args, "stage", None),
            corrections=getattr(args, "corrections", False),
            source=args.source,
        )
        summary = import_sheet(
            recorder, self.sheet_kind, args.sheet, request=request, format_name=args.sheet_format
        )
        return summary.describe()


class _Entries(_FromSheet):
    name = "entries"
    help = "register every entry of an entry list (--from FILE.csv)"
    event_type = events.EntryRegistered
    sheet_kind = "entries"


class _Results(_FromSheet):
    name = "results"
    help = "record a stage's results, penalties and DNF/DNS/DSQ (--from FILE.csv)"
    event_type = events.StageResultRecorded
    sheet_kind = "results"


class _Waypoints(_FromSheet):
    name = "waypoints"
    help = "record a stage's waypoint splits (--from FILE.csv)"
    event_type = events.WaypointRecorded
    sheet_kind = "waypoints"


class Record(Command):
    name = "record"
    help = "append one event to a log"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("log", metavar="LOG", help="the log file")
        kinds = parser.add_subparsers(
            dest="kind", required=True, metavar="KIND", parser_class=type(parser)
        )
        for kind in KINDS.values():
            sub = kinds.add_parser(kind.name, help=kind.help)
            if self.wanted is not None and kind.name not in self.wanted:
                continue  # listed for --help; its options are built only when it is used
            kind.arguments(sub)
            sub.add_argument(
                "--source",
                metavar="TEXT",
                help="where this comes from (a bulletin, a steward's decision)",
            )
            sub.add_argument(
                "--wait",
                type=wait_seconds,
                default=0.0,
                metavar="SECONDS",
                help="wait this long for another writer to finish (default: refuse)",
            )

    def run(self, args: argparse.Namespace) -> int:
        kind = KINDS[args.kind]
        with _naming_the_option():
            source = events.Provenance(kind=events.SourceKind.RECORDED, detail=args.source)
            if isinstance(kind, _Rally):
                return self._create(args, kind.declaration(args, source))
            if isinstance(kind, _FromSheet):
                with Recorder(args.log, wait_seconds=args.wait) as recorder:
                    line = kind.record_sheet(args, recorder)
                    cut = recorder.cut
                sys.stdout.write(line)
                if cut is not None:
                    sys.stderr.write(f"standings: cut {cut}\n")
                return 0
            # Nothing is written until the event is built and accepted by the rules: opening
            # the recorder changes nothing, not even a torn tail (the append cuts it).
            with Recorder(args.log, wait_seconds=args.wait) as recorder:
                event = kind.build(args, recorder, source)
                record = recorder.append(event, recorded_at=now_iso())
                cut = recorder.cut
        sys.stdout.write(_event_line(record))
        if cut is not None:
            sys.stderr.write(f"standings: cut {cut}\n")
        return 0

    def _create(self, args: argparse.Namespace, declaration: events.RallyDeclared) -> int:
        """A new log (``record LOG rally``), refused over an existing file unless --force."""
        check_output(args.log, force=args.force)
        with output_file(args.log, force=args.force) as temporary:
            record = create_log(temporary, declaration, recorded_at=now_iso())
        sys.stdout.write(f"created {args.log}\n{_event_line(record)}")
        return 0


_FIELD_OPTIONS = {
    "RallyDeclared.rally_id": "--id",
    "RallyDeclared.categories": "--category",
    "EntryRegistered.entry_id": "--id",
    "EntryRegistered.entry_class": "--class",
    "Person.name": "--crew",
    "Person.nationality": "--crew",
    "Provenance.detail": "--source",
    "StageScheduled.stage": "--number",
    "StageScheduled.start": "--from",
    "StageScheduled.finish": "--to",
    "StageRule.category": "--counts",
    "PenaltyImposed.penalty_id": "--id",
    "PenaltyRescinded.penalty_id": "--penalty",
    "StageCancelled.categories": "--category",
    "StageCancelled.awarded_ms": "--awarded-time",
}
"""The option behind an event field, where it is not --FIELD (``time_ms`` is --time)."""


@contextlib.contextmanager
def _naming_the_option() -> Iterator[None]:
    """An event field refused by its validator is named by the option that set it."""
    try:
        yield
    except events.InvalidEventError as error:
        field = error.where or ""
        if not re.fullmatch(r"[A-Z][A-Za-z]+\.[a-z_]+", field):
            raise
        option = _FIELD_OPTIONS.get(field)
        if option is None:
            name = field.rsplit(".", 1)[1].removesuffix("_ms").removesuffix("_km")
            option = "--" + name.replace("_", "-")
        raise UsageError(
            error.what,
            where=f"{option}, {field}",
            expected=error.expected,
            received=error.received,
        ) from None


def _event_line(record: events.Record) -> str:
    """The record as ``standings events`` lists it (the outputs imported only now)."""
    from rally_standings.outputs import event_line

    return event_line(record)
