"""``standings record LOG KIND …``: one event appended to a log, or a log created.

Each kind is declared once, here: its options and the event it builds,
together (``RecordKind``). The event is checked by the fold's rules before a
byte is written; a refused event writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from .. import events
from ..engine import Recorder, create_log, now_iso
from ._base import (
    Command,
    UsageError,
    add_force_option,
    add_log_argument,
    any_case,
    check_output,
    duration_arg,
    input_file,
    named,
    output_file,
    time_arg,
    wait_seconds,
    whole_number,
)

__all__ = ["KINDS", "RecordKind"]


@attrs.frozen
class _Option:
    """One option of a record kind: ``add_argument``'s flags and settings, and the event field
    it sets (``None``: the option only helps another one, as ``--category`` finds an entry).

    The field's value is the option's, or ``value(args, recorder)`` where it is computed.
    """

    flags: tuple[str, ...]
    settings: dict[str, Any]
    field: str | None = None
    value: Callable[[argparse.Namespace, Recorder], Any] | None = None

    def add(self, parser: argparse.ArgumentParser) -> None:
        """Declare the option."""
        parser.add_argument(*self.flags, **self.settings)

    def of(self, args: argparse.Namespace, recorder: Recorder) -> Any:
        """The field's value in the parsed ``args``, given the log as recorded so far."""
        if self.value is not None:
            return self.value(args, recorder)
        return getattr(args, self.settings.get("dest") or self.flags[0][2:].replace("-", "_"))

    def to(self, field: str, **settings: Any) -> _Option:
        """The same option, setting ``field`` of the event (and ``settings`` changed)."""
        return attrs.evolve(self, field=field, settings={**self.settings, **settings})


def _option(
    *flags: str,
    field: str | None = None,
    value: Callable[[argparse.Namespace, Recorder], Any] | None = None,
    **settings: Any,
) -> _Option:
    """An option: ``flags`` and ``settings`` as ``add_argument`` takes them, and its field."""
    return _Option(flags, settings, field, value)


class RecordKind:
    """One kind of ``record``: its options, and how they become an event of ``event_type``.

    Most kinds build their event from the options alone, each setting the field it names.
    """

    def __init__(self, name: str, help: str, event_type: type, *options: _Option) -> None:
        self.name = name
        self.help = help
        self.event_type = event_type
        self.options = options

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the kind's options."""
        for option in self.options:
            option.add(parser)

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        """The event the options describe, given the log as recorded so far."""
        fields = {o.field: o.of(args, recorder) for o in self.options if o.field is not None}
        event: events.Event = self.event_type(**fields, provenance=source)
        return event

    def admit(
        self, args: argparse.Namespace, recorder: Recorder, event: events.Event
    ) -> events.Event:
        """The event to append, once weighed for the official's slips (a time out of order
        along its stage, an implausible stage time: refused unless the option that confirms
        it is given, and then noted in its provenance)."""
        if not isinstance(event, _WEIGHED):
            return event
        from ..replays.timing import noted, slips_of_event  # only for the kinds weighed

        option = "--class" if isinstance(event, events.EntryRegistered) else "--time"
        notes = []
        for flag, note, words in slips_of_event(recorder.fold, event):
            if not getattr(args, flag.removeprefix("--").replace("-", "_"), False):
                what, expected, received = words
                raise UsageError(
                    what,
                    where=f"{option}; nothing was written",
                    expected=expected,
                    received=received,
                )
            notes.append(note)
        if not notes:
            return event
        return attrs.evolve(event, provenance=noted(event.provenance, ", ".join(notes)))


_WEIGHED = (
    events.EntryRegistered,
    events.StageResultRecorded,
    events.ResultCorrected,
    events.WaypointRecorded,
    events.WaypointCorrected,
)
"""The events weighed for slips before they are appended (``admit``): times out of order or
implausible, a class the category does not have."""


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


def _entry_id(args: argparse.Namespace, recorder: Recorder) -> str:
    """The id of the entry ``--entry`` names (a race number) in ``--category``."""
    return recorder.rally.find_entry(args.category, args.entry.strip()).entry_id


def _person(text: str) -> events.Person:
    match = re.fullmatch(r"\s*(.*?)\s*\(([A-Z]{3})\)\s*", text)
    if match:
        return events.Person(name=match.group(1), nationality=match.group(2))
    return events.Person(name=text.strip())


# The options several kinds share.
_CATEGORY = _option("--category", "-c", required=True)
_ENTRY = _option("--entry", field="entry_id", value=_entry_id, required=True, metavar="NUM")
_STAGE = _option(
    "--stage", field="stage", required=True, type=_stage, metavar="N", help="the stage number"
)
_REASON = _option("--reason", field="reason", required=True)
_TIME = _option("--time", field="time_ms", required=True, type=time_arg, metavar="H:MM:SS")
_WAYPOINT = _option("--waypoint", field="waypoint", required=True, type=_waypoint, metavar="K")
_SPLIT_TIME = _TIME.to("time_ms", help="the elapsed time since the stage start")
_CONFIRM = _option(
    "--confirm",
    action="store_true",
    help="record the stage time though it is implausible beside the stage's field (under a "
    "quarter of the median of the others, or over four times it)",
)
_OUT_OF_ORDER = _option(
    "--out-of-order",
    action="store_true",
    help="record the time though it is earlier than the crew's time at an earlier waypoint, "
    "or later than a time further along the stage (its stage time included)",
)


class _Rally(RecordKind):
    """``rally``: not appended, but the first event of a new log."""

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        super().arguments(parser)
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


def _checked_entry_id(args: argparse.Namespace, recorder: Recorder) -> str:
    """The new entry's id, CATEGORY:NUMBER; an ``--id`` saying otherwise is refused."""
    entry_id = f"{args.category}:{args.number}"
    if args.id is not None and args.id != entry_id:
        raise UsageError(
            "the entry id does not match the entry",
            where="--id",
            expected=f"{entry_id} (its category and race number), or no --id",
            received=args.id,
        )
    return entry_id


_STAGE_KINDS = {
    "yes": events.StageKind.SPECIAL,
    "special": events.StageKind.SPECIAL,
    "prologue": events.StageKind.PROLOGUE,
    "liaison": events.StageKind.LIAISON,
}


def _stage_rules(args: argparse.Namespace, recorder: Recorder) -> tuple[events.StageRule, ...]:
    """How the stage counts for each category of the rally, from ``--counts``."""
    categories = recorder.rally.categories
    default = events.StageKind.SPECIAL
    per_category: dict[str, events.StageKind] = {}
    for item in args.counts or []:
        category, _, kind_text = item.rpartition("=")
        category = recorder.fold.category_named(category) if category else category
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
                raise UsageError.unknown("unknown category", categories, category, where="--counts")
            per_category[category] = kind
        else:
            default = kind
    return tuple(
        events.StageRule(category=c, kind=per_category.get(c, default)) for c in categories
    )


def _penalty_id(args: argparse.Namespace, recorder: Recorder) -> str:
    """``--id``, or the first of P1, P2, … the log has not used."""
    if args.id is not None:
        return str(args.id)
    fold = recorder.fold
    number = len(fold.penalty_states()) + 1
    while fold.penalty(f"P{number}") is not None:
        number += 1
    return f"P{number}"


def _cancelled_categories(args: argparse.Namespace, recorder: Recorder) -> tuple[str, ...]:
    """The categories ``--category`` names, or all of the rally's."""
    return tuple(args.category) if args.category else recorder.rally.categories


_SHEET_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "confirm": (
        ("--confirm",),
        {
            "action": "append",
            "metavar": "NUM",
            "help": "record this crew's stage time though it is implausible beside the "
            "stage's field (under a quarter of the median, or over four times it); "
            "NUM or CATEGORY:NUM, repeatable",
        },
    ),
    "out_of_order": (
        ("--out-of-order",),
        {
            "action": "append",
            "metavar": "NUM",
            "help": "record this crew's times though one is earlier than its time at an "
            "earlier waypoint, or later than its stage time; NUM or CATEGORY:NUM, repeatable",
        },
    ),
    "require_reasons": (
        ("--require-reasons",),
        {"action": "store_true", "help": "refuse a DNF, DNS or DSQ without its reason"},
    ),
    "new_classes": (
        ("--new-class",),
        {
            "action": "append",
            "metavar": "CLASS",
            "help": "a class the entry list may introduce (any other new class is refused as "
            "a typo); repeatable",
        },
    ),
}
"""The options a kind of sheet may take beyond --from, --stage and --corrections, by the
name ``SheetKind.options`` gives them."""


class _FromSheet(RecordKind):
    """A kind recorded from a timing sheet (``--from FILE``): one batch, one frame.

    The reading is ``rally_standings.replays.timing``'s (its kind of sheet has this kind's
    name); this only declares the options.
    """

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        from ..replays.timing import FORMATS, KINDS  # only for this kind

        sheet_kind = KINDS[self.name]
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
            _STAGE.add(parser)
        if sheet_kind.corrects:
            parser.add_argument(
                "--corrections",
                action="store_true",
                help="a corrected sheet: record a correction for every time that changed, "
                "nothing for the rest",
            )
        for name in sorted(sheet_kind.options):
            flags, settings = _SHEET_OPTIONS[name]
            parser.add_argument(*flags, dest=name, **settings)
        parser.add_argument(
            "--format",
            dest="sheet_format",
            type=any_case(sorted(FORMATS)),
            choices=sorted(FORMATS),
            help="the sheet's format (default: from its name, .csv)",
        )

    def build(
        self, args: argparse.Namespace, recorder: Recorder, source: events.Provenance
    ) -> events.Event:
        raise NotImplementedError("a sheet is recorded whole, by record_sheet")

    def record_sheet(self, args: argparse.Namespace, recorder: Recorder) -> str:
        """Import the sheet into the recorder's log; the line to print."""
        from ..replays.timing import Request, import_sheet

        request = Request(
            stage=getattr(args, "stage", None),
            corrections=getattr(args, "corrections", False),
            source=args.source,
            confirm=tuple(getattr(args, "confirm", None) or ()),
            out_of_order=tuple(getattr(args, "out_of_order", None) or ()),
            require_reasons=getattr(args, "require_reasons", False),
            new_classes=tuple(getattr(args, "new_classes", None) or ()),
        )
        summary = import_sheet(
            recorder, self.name, args.sheet, request=request, format_name=args.sheet_format
        )
        return summary.describe()


KINDS: dict[str, RecordKind] = {
    kind.name: kind
    for kind in (
        _Rally(
            "rally",
            "create a log declaring a rally",
            events.RallyDeclared,
            _option("--name", required=True),
            _option("--year", required=True, type=_year),
            _option(
                "--category", required=True, action="append", help="a category (repeat for each)"
            ),
            _option(
                "--id",
                help="rally id, a lowercase name such as dakar-2025 (default: from the name)",
            ),
        ),
        RecordKind(
            "entry",
            "register an entry",
            events.EntryRegistered,
            _CATEGORY.to("category"),
            _option(
                "--number",
                field="number",
                required=True,
                type=_race_number,
                help="race number (ASCII digits)",
            ),
            _option(
                "--crew",
                field="crew",
                value=lambda args, _: tuple(_person(c) for c in args.crew),
                required=True,
                action="append",
                metavar="NAME",
                help="a crew member, driver first; 'Name (FRA)' adds a country code",
            ),
            _option("--make", field="make"),
            _option("--entrant", field="entrant"),
            _option(
                "--class",
                field="entry_class",
                dest="entry_class",
                metavar="CLASS",
                help="the class within the category (Ultimate, Stock, …), if the rally has classes",
            ),
            _option(
                "--new-class",
                action="store_true",
                help="declare --class a new class of the category (without it, a class the "
                "category does not have yet is refused as a likely typo)",
            ),
            _option(
                "--id",
                field="entry_id",
                value=_checked_entry_id,
                help="entry id: CATEGORY:NUMBER, the default (any other is refused)",
            ),
        ),
        RecordKind(
            "stage",
            "schedule a stage",
            events.StageScheduled,
            _option("--number", field="stage", required=True, type=_stage, metavar="N"),
            _option(
                "--counts",
                field="rules",
                value=_stage_rules,
                action="append",
                metavar="[CATEGORY=]KIND",
                help="yes (a special, the default), prologue or liaison; CATEGORY=KIND for one "
                "category",
            ),
            _option("--date", field="date", help="ISO date, e.g. 2004-01-05"),
            _option("--from", field="start", dest="start", metavar="PLACE"),
            _option("--to", field="finish", dest="finish", metavar="PLACE"),
            _option("--distance", field="distance_km", type=_distance, metavar="KM"),
        ),
        RecordKind(
            "result",
            "record a stage time",
            events.StageResultRecorded,
            _CATEGORY,
            _STAGE,
            _ENTRY,
            _TIME,
            _option(
                "--first-stage",
                field="first_stage",
                type=_stage,
                metavar="K",
                help="one combined time for stages K to --stage",
            ),
            _CONFIRM,
            _OUT_OF_ORDER,
        ),
        RecordKind(
            "penalty",
            "impose a penalty (negative: a bonus)",
            events.PenaltyImposed,
            _CATEGORY,
            _ENTRY,
            _STAGE,
            _option(
                "--amount",
                field="amount_ms",
                required=True,
                type=duration_arg,
                metavar="[+|-]H:MM:SS",
            ),
            _REASON,
            _option(
                "--gc-only",
                field="gc_only",
                action="store_true",
                help="change the GC only, not the stage ranking",
            ),
            _option(
                "--id",
                field="penalty_id",
                value=_penalty_id,
                help="penalty id (default: P1, P2, …)",
            ),
        ),
        RecordKind(
            "credit",
            "give time back (to a crew that stopped to help, say)",
            events.TimeCredited,
            _CATEGORY,
            _ENTRY,
            _STAGE,
            _option("--amount", field="amount_ms", required=True, type=time_arg, metavar="H:MM:SS"),
            _REASON,
            _option("--id", field="credit_id", required=True, help="credit id"),
        ),
        RecordKind(
            "rescind",
            "withdraw a penalty or a credit",
            events.PenaltyRescinded,
            _option("--penalty", field="penalty_id", required=True, metavar="ID"),
            _REASON,
        ),
        RecordKind(
            "cancel",
            "cancel a stage",
            events.StageCancelled,
            _STAGE,
            _option(
                "--category",
                "-c",
                field="categories",
                value=_cancelled_categories,
                action="append",
                help="only this category (repeatable)",
            ),
            _option(
                "--awarded-time",
                field="awarded_ms",
                type=time_arg,
                metavar="H:MM:SS",
                help="time awarded to every competitor still in the rally",
            ),
            _REASON,
        ),
        RecordKind(
            "retire",
            "an entry leaves the rally",
            events.EntryRetired,
            _CATEGORY,
            _ENTRY,
            _STAGE,
            _REASON,
            _option(
                "--excluded",
                field="excluded",
                action="store_true",
                help="excluded rather than retired",
            ),
        ),
        RecordKind(
            "correct",
            "correct a stage time",
            events.ResultCorrected,
            _CATEGORY,
            _ENTRY,
            _STAGE,
            _TIME,
            _option("--reason", field="reason", default="correction"),
            _CONFIRM,
            _OUT_OF_ORDER,
        ),
        RecordKind(
            "withdraw",
            "withdraw a stage time (it counts no more; correct gives it a time again)",
            events.ResultWithdrawn,
            _CATEGORY,
            _ENTRY,
            _STAGE,
            _REASON,
        ),
        RecordKind(
            "coverage",
            "declare how much of the field the log holds",
            events.FieldCoverageDeclared,
            _CATEGORY.to("category"),
            _STAGE,
            _option(
                "--stage-known",
                field="stage_known",
                type=_known,
                metavar="K",
                help="the log holds the stage ranking's first K rows",
            ),
            _option(
                "--gc-known",
                field="gc_known",
                type=_known,
                metavar="K",
                help="the log holds the GC's first K rows",
            ),
        ),
        RecordKind(
            "waypoint",
            "record an entry's elapsed time at a waypoint of a stage (a split)",
            events.WaypointRecorded,
            _CATEGORY,
            _ENTRY,
            _STAGE,
            _WAYPOINT,
            _SPLIT_TIME,
            _OUT_OF_ORDER,
        ),
        RecordKind(
            "correct-waypoint",
            "correct an entry's time at a waypoint (or give a withdrawn one a time again)",
            events.WaypointCorrected,
            _CATEGORY,
            _ENTRY,
            _STAGE,
            _WAYPOINT,
            _SPLIT_TIME,
            _option("--reason", field="reason", default="correction"),
            _OUT_OF_ORDER,
        ),
        RecordKind(
            "withdraw-waypoint",
            "withdraw an entry's time at a waypoint",
            events.WaypointWithdrawn,
            _CATEGORY,
            _ENTRY,
            _STAGE,
            _WAYPOINT,
            _REASON,
        ),
        _FromSheet(
            "entries",
            "register every entry of an entry list (--from FILE.csv)",
            events.EntryRegistered,
        ),
        _FromSheet(
            "results",
            "record a stage's results, penalties and DNF/DNS/DSQ (--from FILE.csv)",
            events.StageResultRecorded,
        ),
        _FromSheet(
            "waypoints",
            "record a stage's waypoint splits (--from FILE.csv)",
            events.WaypointRecorded,
        ),
    )
}
"""Every record kind by name, in the order ``record --help`` lists them; the ``rally`` kind
creates a log instead of appending."""


class Record(Command):
    name = "record"
    help = "append one event to a log"

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        add_log_argument(parser, "the log file")
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
                named(args, recorder.rally)
                event = kind.admit(args, recorder, kind.build(args, recorder, source))
                record = recorder.append(event, recorded_at=now_iso())
                cut = recorder.cut
        sys.stdout.write(_event_line(record))
        if cut is not None:
            sys.stderr.write(f"standings: cut {cut}\n")
        return 0

    def _create(self, args: argparse.Namespace, declaration: events.RallyDeclared) -> int:
        """A new log (``record LOG rally``), refused over an existing file unless --force
        (saying what that file holds: --force would throw a rally in progress away)."""
        if not args.force and os.path.lexists(args.log):
            raise UsageError(
                "a file is already there",
                where=args.log,
                expected="a path with no file: record LOG rally starts a new log (--force "
                "replaces the file, and everything recorded in it)",
                received=_held(args.log),
            )
        check_output(args.log, force=args.force)
        with output_file(args.log, force=args.force) as temporary:
            record = create_log(temporary, declaration, recorded_at=now_iso())
        sys.stdout.write(f"created {args.log}\n{_event_line(record)}")
        return 0


def _held(path: str) -> str:
    """What a file where a new log would go holds, in words."""
    from ..engine import load

    try:
        rally = load(path)
    except events.RallyError:
        return "a file that is not a readable rally log"
    declared = rally.view.rally
    name = "a log" if declared is None else f"the log of {declared.name} {declared.year}"
    return f"{name}, {rally.last_seq} records"


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
    from ..outputs import event_line

    return event_line(record)
