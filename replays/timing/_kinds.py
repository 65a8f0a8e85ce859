"""The kinds of timing sheet: an entry list, a stage's results, a stage's waypoint splits.

Each kind names its columns and turns a sheet's rows into events, refusing the
whole sheet at the first bad cell with its line, its column, what was expected
and what was found. The events are then checked by the fold's rules and
appended as one batch by the caller (``import_sheet``): all or nothing.
"""

from __future__ import annotations

import abc
import contextlib
import re
import shlex
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import attrs

from ...engine import View, fold_name, implausible_times, number_key, out_of_order, spelled
from ...events import (
    MAX_NUMBER_DIGITS,
    MAX_WAYPOINT,
    EntryRegistered,
    EntryRetired,
    Event,
    PenaltyImposed,
    Person,
    Provenance,
    RallyError,
    ResultCorrected,
    SourceKind,
    StageResultRecorded,
    WaypointCorrected,
    WaypointRecorded,
    format_signed,
    format_time,
    parse_duration,
    parse_time,
)
from ._sheet import Row, Sheet, SheetError, refused
from ._slips import (
    CONFIRMED,
    OUT_OF_ORDER,
    allowed,
    implausible_words,
    new_class_words,
    noted,
    order_words,
)

__all__ = ["KINDS", "Placed", "Request", "SheetKind"]

_TIME = "a time h:mm:ss, m:ss or with tenths h:mm:ss.t (e.g. 3:44:27, 3:44:27.5)"
_NATION = re.compile(r"[A-Z]{3}")
_STATUSES = {"DNF": False, "DNS": False, "DSQ": True}
"""The statuses a results sheet may give, and whether each is an exclusion."""


@attrs.frozen
class Request:
    """What the command line asks of an import beyond the file itself."""

    stage: int | None = None
    corrections: bool = False
    source: str | None = None
    confirm: tuple[str, ...] = ()
    """Entries (``201``, ``cars:201``) whose implausible stage times are right (``--confirm``)."""
    out_of_order: tuple[str, ...] = ()
    """Entries whose times out of order along the stage are right (``--out-of-order``)."""
    require_reasons: bool = False
    """Refuse a DNF, DNS or DSQ without its reason (``--require-reasons``)."""
    new_classes: tuple[str, ...] = ()
    """Classes an entry list may introduce (``--new-class``)."""


@attrs.frozen
class Placed:
    """An event built from a sheet, and the line of the row it comes from."""

    event: Event
    line: int


_WHEN_EMPTY = {"time": " (a row with no time needs DNF, DNS or DSQ in column status)"}
"""What an empty cell of a column may stand for instead, where something may."""


class _Cells:
    """Reads the cells of one sheet, each mistake refused with its line and column."""

    def __init__(self, sheet: Sheet, fold: View, request: Request) -> None:
        self.sheet = sheet
        self.fold = fold
        self.request = request
        self.name = sheet.name

    def refuse(
        self, row: Row, column: str | None, what: str, expected: str, received: object
    ) -> SheetError:
        return refused(
            self.name, what, line=row.line, column=column, expected=expected, received=received
        )

    @contextlib.contextmanager
    def at(
        self, row: Row, column: str | None, fields: dict[str, str] | None = None
    ) -> Iterator[None]:
        """Word any error raised inside as one of this cell (or of the column a field is from)."""
        try:
            yield
        except SheetError:
            raise
        except RallyError as error:
            named = column
            if fields and error.where:
                named = fields.get(error.where.rsplit(".", 1)[-1], column)
            raise self.refuse(
                row, named, error.what, error.expected or "", error.received
            ) from None

    def placed(self, row: Row, event_type: Callable[..., Event], **fields: Any) -> Placed:
        """The event of ``event_type`` with ``fields`` that ``row`` gives, from this file and
        line (its provenance), placed at the row."""
        return Placed(event_type(**fields, provenance=self.provenance(row)), row.line)

    def provenance(self, row: Row) -> Provenance:
        """Where a row's facts come from: recorded by the official, from this file and line."""
        place = f"{self.name}, line {row.line}"
        detail = place if self.request.source is None else f"{self.request.source}; {place}"
        return Provenance(SourceKind.RECORDED, detail)

    def required(self, row: Row, column: str) -> str:
        value = row.get(column)
        if not value:
            expected = f"a value in column {column}" + _WHEN_EMPTY.get(column, "")
            raise self.refuse(row, column, "an empty cell", expected, "nothing")
        return value

    def optional(self, row: Row, column: str) -> str | None:
        return row.get(column) or None

    def category(self, row: Row) -> str:
        """The rally's category a row names (case and spaces do not count: ``Cars``)."""
        value = self.required(row, "category")
        rally = self.fold.rally
        categories = rally.categories if rally is not None else ()
        found = spelled(value, categories)
        if found is None:
            raise self.refuse(
                row, "category", "unknown category", "one of " + ", ".join(categories), value
            )
        return found

    def number(self, row: Row) -> str:
        value = self.required(row, "number")
        if not (value.isascii() and value.isdigit() and len(value) <= MAX_NUMBER_DIGITS):
            raise self.refuse(
                row,
                "number",
                "not a race number",
                f"1 to {MAX_NUMBER_DIGITS} ASCII digits such as 203",
                value,
            )
        return value

    def entry(self, row: Row) -> EntryRegistered:
        """The registered entry a row names by category and race number."""
        category = self.category(row)
        number = self.number(row)
        found = self.fold.entry_by_number(category, number)
        if found is None:
            raise self.refuse(
                row,
                "number",
                "unknown entry",
                f"the race number of an entry registered in {category}",
                number,
            )
        return found

    def time(self, row: Row, column: str) -> int:
        value = self.required(row, column)
        try:
            time_ms = parse_time(value, where=column)
        except RallyError as error:
            raise self.refuse(row, column, error.what, _TIME, value) from None
        if time_ms <= 0:
            raise self.refuse(row, column, "a time of zero", "a time longer than 0:00:00", value)
        return time_ms

    def whole(self, row: Row, column: str, low: int, high: int) -> int:
        value = self.required(row, column)
        if not (value.isascii() and value.isdigit() and len(value) <= 6) or not (
            low <= int(value) <= high
        ):
            raise self.refuse(
                row, column, "not a whole number in range", f"a number from {low} to {high}", value
            )
        return int(value)

    def duplicate(
        self, row: Row, column: str, seen: dict[object, int], key: object, what: str
    ) -> None:
        """Refuse a row whose ``key`` an earlier row of the sheet has (``what`` names it)."""
        earlier = seen.get(key)
        if earlier is not None:
            raise self.refuse(
                row,
                column,
                f"{what} listed twice",
                f"{what} once per sheet",
                f"also on line {earlier}",
            )
        seen[key] = row.line


class SheetKind(abc.ABC):
    """One kind of timing sheet: its columns and how its rows become events."""

    name: ClassVar[str]
    help: ClassVar[str]
    event_type: ClassVar[type]
    """The main event type its rows become."""
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]] = ()
    needs_stage: ClassVar[bool] = False
    corrects: ClassVar[bool] = False
    """Whether ``--corrections`` applies (a corrected sheet becomes correction events)."""
    options: ClassVar[frozenset[str]] = frozenset()
    """The other options the sheet takes: ``confirm`` and ``require_reasons`` (results),
    ``out_of_order`` (results, waypoints), ``new_classes`` (entries)."""

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        KINDS[cls.name] = cls()

    def check_columns(self, sheet: Sheet) -> None:
        """Refuse a sheet without a required column, or with a column no kind reads (a typo)."""
        known = (*self.required, *self.optional)
        for column in sheet.columns:
            if column not in known:
                raise refused(
                    sheet.name,
                    "unknown column",
                    line=sheet.header_line,
                    column=column,
                    expected="columns among " + ", ".join(known),
                    received=column,
                )
        for column in self.required:
            if column not in sheet.columns:
                raise refused(
                    sheet.name,
                    "missing column",
                    line=sheet.header_line,
                    expected="the columns "
                    + ", ".join(self.required)
                    + (f" (and optionally {', '.join(self.optional)})" if self.optional else ""),
                    received=", ".join(sheet.columns),
                )

    def events(self, sheet: Sheet, fold: View, request: Request) -> list[Placed]:
        """The events the sheet's rows stand for, in the order to append them."""
        self.check_columns(sheet)
        return self._events(_Cells(sheet, fold, request))

    @abc.abstractmethod
    def _events(self, cells: _Cells) -> list[Placed]: ...


KINDS: dict[str, SheetKind] = {}
"""Every kind of timing sheet, by name (``entries``, ``results``, ``waypoints``)."""


_ENTRY_FIELDS = {
    "entry_class": "class",
    "make": "make",
    "entrant": "entrant",
    "number": "number",
    "category": "category",
}


class Entries(SheetKind):
    """An entry list: one row per crew."""

    name = "entries"
    help = "register every entry of an entry list (a CSV file)"
    event_type = EntryRegistered
    required = ("category", "number", "driver")
    optional = ("class", "co_drivers", "nationalities", "make", "entrant")
    options = frozenset({"new_classes"})

    @staticmethod
    def _taken(cells: _Cells, row: Row, held: EntryRegistered, number: str) -> SheetError:
        """The refusal of a race number the log has registered already: the same crew again
        (a sheet imported twice, most likely), or another crew given a number in use."""
        owner = held.crew[0].name if held.crew else held.entry_id
        driver = row.get("driver")
        again = fold_name(driver) == fold_name(owner)
        return cells.refuse(
            row,
            "number",
            "entry already registered (a duplicate import?)" if again else "race number taken",
            f"a race number not registered yet in {held.category} "
            f"(No. {held.number or number} is {owner}'s)",
            number if again else f"{number} for {driver}",
        )

    def _events(self, cells: _Cells) -> list[Placed]:
        out: list[Placed] = []
        seen: dict[object, int] = {}
        introduced: dict[str, list[str]] = {}
        for row in cells.sheet.rows:
            category = cells.category(row)
            number = cells.number(row)
            entry_id = f"{category}:{number}"
            cells.duplicate(
                row, "number", seen, (category, number_key(number)), f"entry {category} {number}"
            )
            held = cells.fold.entry_by_number(category, number) or cells.fold.entry(entry_id)
            if held is not None:
                raise self._taken(cells, row, held, number)
            crew = self._crew(cells, row)
            with cells.at(row, None, _ENTRY_FIELDS):
                placed = cells.placed(
                    row,
                    EntryRegistered,
                    entry_id=entry_id,
                    category=category,
                    number=number,
                    crew=crew,
                    make=cells.optional(row, "make"),
                    entrant=cells.optional(row, "entrant"),
                    entry_class=cells.optional(row, "class"),
                )
            entry_class = self._class(cells, row, category, introduced.setdefault(category, []))
            event = placed.event
            assert isinstance(event, EntryRegistered)
            if entry_class != event.entry_class:  # as the category spells it
                placed = Placed(attrs.evolve(event, entry_class=entry_class), row.line)
            out.append(placed)
        return out

    @staticmethod
    def _class(cells: _Cells, row: Row, category: str, introduced: list[str]) -> str | None:
        """A row's class, spelled as the category already spells it (case and spaces do not
        count); a class the category does not have yet only if ``--new-class`` declares it
        (a typo is refused rather than made a class of its own)."""
        text = cells.optional(row, "class")
        if text is None:
            return None
        existing = cells.fold.classes(category)
        found = spelled(text, existing) or spelled(text, introduced)
        if found is not None:
            return found
        declared = spelled(text, cells.request.new_classes)
        if declared is None:
            flag = f"--new-class {shlex.quote(text)}"
            what, expected, received = new_class_words(
                category, text, [*existing, *introduced], flag
            )
            raise cells.refuse(row, "class", what, expected, received)
        introduced.append(declared)
        return declared

    @staticmethod
    def _crew(cells: _Cells, row: Row) -> tuple[Person, ...]:
        names = [cells.required(row, "driver")]
        co_drivers = row.get("co_drivers")
        if co_drivers:
            parts = [part.strip() for part in co_drivers.split("|")]
            if not all(parts):
                raise cells.refuse(
                    row,
                    "co_drivers",
                    "an empty name",
                    "names separated by | (Name|Name)",
                    co_drivers,
                )
            names += parts
        codes_text = row.get("nationalities")
        codes: list[str | None] = [None] * len(names)
        if codes_text:
            given = [part.strip() for part in codes_text.split("|")]
            for code in given:
                if not _NATION.fullmatch(code):
                    raise cells.refuse(
                        row,
                        "nationalities",
                        "not a country code",
                        "three capital letters such as FRA, separated by |",
                        code,
                    )
            if len(given) == 1:
                codes = [given[0]] * len(names)
            elif len(given) == len(names):
                codes = list(given)
            else:
                raise cells.refuse(
                    row,
                    "nationalities",
                    "as many codes as crew members",
                    f"one code for the crew, or {len(names)} (one per member, driver first)",
                    f"{len(given)} codes",
                )
        people = []
        for index, (name, nation) in enumerate(zip(names, codes, strict=True)):
            column = "driver" if index == 0 else "co_drivers"
            with cells.at(row, column, {"nationality": "nationalities"}):
                people.append(Person(name=name, nationality=nation))
        return tuple(people)


class Results(SheetKind):
    """A stage's results: a time per crew, penalties, and who did not finish."""

    name = "results"
    help = "record a stage's results from a timing sheet (a CSV file)"
    event_type = StageResultRecorded
    required = ("category", "number", "time")
    """(``time`` empty on the row of a DNF, DNS or DSQ.)"""
    optional = ("penalty", "penalty_reason", "status", "reason")
    needs_stage = True
    corrects = True
    options = frozenset({"confirm", "out_of_order", "require_reasons"})

    def _events(self, cells: _Cells) -> list[Placed]:
        """Each row's result or retirement and its penalty, results first, then penalties,
        then retirements; for a corrected sheet, each row's correction instead. The stage
        times are weighed before any is kept (``_slips``)."""
        stage = cells.request.stage
        assert stage is not None
        results: list[Placed] = []
        penalties: list[Placed] = []
        retirements: list[Placed] = []
        seen: dict[object, int] = {}
        penalty_ids = _PenaltyIds(cells.fold)
        timed: list[tuple[Row, EntryRegistered]] = []
        for row in cells.sheet.rows:
            entry = cells.entry(row)
            cells.duplicate(
                row, "number", seen, entry.entry_id, f"entry {entry.category} {entry.number}"
            )
            status, reason = self._status(cells, row)
            penalty = self._penalty(cells, row)
            if cells.request.corrections:
                corrected = self._correction(cells, row, entry, status, penalty)
                if corrected is not None:
                    results.append(corrected)
                    timed.append((row, entry))
                continue
            if status:
                retirements.append(self._retirement(cells, row, entry, status, reason))
            else:
                results.append(self._result(cells, row, entry))
                timed.append((row, entry))
            if penalty is not None:
                amount, penalty_reason = penalty
                with cells.at(row, "penalty_reason"):
                    penalties.append(
                        cells.placed(
                            row,
                            PenaltyImposed,
                            penalty_id=penalty_ids.next(),
                            entry_id=entry.entry_id,
                            stage=stage,
                            amount_ms=amount,
                            reason=penalty_reason,
                        )
                    )
        results = _with_notes(results, _slips(cells, timed, []))
        return results + penalties + retirements

    @staticmethod
    def _retirement(
        cells: _Cells, row: Row, entry: EntryRegistered, status: str, reason: str | None
    ) -> Placed:
        """A DNF, DNS or DSQ: a retirement (an exclusion for a DSQ) with its reason, the
        status itself where the sheet gives none (refused with ``--require-reasons``)."""
        if reason is None and cells.request.require_reasons:
            raise cells.refuse(
                row,
                "reason",
                f"a {status} without a reason",
                f"the reason for the {status} (a breakdown, a steward's decision): the sheet "
                "is imported with --require-reasons",
                "an empty cell",
            )
        with cells.at(row, "reason"):
            return cells.placed(
                row,
                EntryRetired,
                entry_id=entry.entry_id,
                stage=cells.request.stage,
                reason=reason or status,
                excluded=_STATUSES[status],
            )

    @staticmethod
    def _status(cells: _Cells, row: Row) -> tuple[str, str | None]:
        """A row's status (DNF, DNS, DSQ; empty for a finisher) and its reason: a status
        comes without a time, a reason only with a status."""
        status = row.get("status").upper()
        if status and status not in _STATUSES:
            raise cells.refuse(
                row, "status", "unknown status", "DNF, DNS, DSQ or nothing", row.get("status")
            )
        reason = cells.optional(row, "reason")
        if status and row.get("time"):
            raise cells.refuse(
                row,
                "time",
                f"a time for a {status}",
                f"no time where the status is {status}",
                row.get("time"),
            )
        if reason and not status:
            raise cells.refuse(
                row,
                "reason",
                "a reason without a status",
                "a reason only for a DNF, DNS or DSQ (a penalty's goes in penalty_reason)",
                reason,
            )
        return status, reason

    @staticmethod
    def _result(cells: _Cells, row: Row, entry: EntryRegistered) -> Placed:
        """A finisher's result: refused where the log holds one for the stage already."""
        fold, stage = cells.fold, cells.request.stage
        assert stage is not None
        time_ms = cells.time(row, "time")
        held = fold.result_index(entry.entry_id, stage)
        if held is not None:
            raise cells.refuse(
                row,
                "time",
                f"entry already has a result for stage {stage} (a duplicate import?)",
                "a corrected sheet imported with --corrections",
                f"{row.get('time')} (recorded: {format_time(fold.result_time(held))})",
            )
        return cells.placed(
            row,
            StageResultRecorded,
            entry_id=entry.entry_id,
            stage=stage,
            time_ms=time_ms,
        )

    @staticmethod
    def _penalty(cells: _Cells, row: Row) -> tuple[int, str] | None:
        text, reason = row.get("penalty"), row.get("penalty_reason")
        if not text:
            if reason:
                raise cells.refuse(
                    row,
                    "penalty_reason",
                    "a penalty reason without a penalty",
                    "a penalty (such as +0:05:00) beside its reason",
                    reason,
                )
            return None
        with cells.at(row, "penalty"):
            amount = parse_duration(text, where="penalty")
        if amount == 0:
            raise cells.refuse(
                row,
                "penalty",
                "a penalty of zero",
                "a penalty such as +0:02:00 (negative for a bonus), or an empty cell for none",
                text,
            )
        if not reason:
            raise cells.refuse(
                row,
                "penalty_reason",
                "a penalty without a reason",
                "the reason for the penalty (a rule, a steward's decision)",
                reason,
            )
        return amount, reason

    @staticmethod
    def _correction(
        cells: _Cells,
        row: Row,
        entry: EntryRegistered,
        status: str,
        penalty: tuple[int, str] | None,
    ) -> Placed | None:
        """The correction a row of a corrected sheet stands for (None: nothing changed).

        Only times are corrected: a row whose status or penalty differs from what the log
        holds is refused (those are recorded with ``retire``, ``penalty`` or ``rescind``).
        """
        fold, stage = cells.fold, cells.request.stage
        assert stage is not None
        if status:
            out = fold.retirement(entry.entry_id)
            if out is None or out.event.stage != stage or out.event.excluded != _STATUSES[status]:
                raise cells.refuse(
                    row,
                    "status",
                    "a status that is not in the log",
                    "only changed times in a corrected sheet (record a retirement with "
                    "standings record … retire)",
                    status,
                )
            return None
        held = fold.result_index(entry.entry_id, stage)
        if held is None:
            raise cells.refuse(
                row,
                "time",
                f"no result for stage {stage} to correct",
                "a row of the sheet imported before (import new rows without --corrections)",
                row.get("time"),
            )
        in_force = fold.stage_penalty(entry.entry_id, stage)
        given = 0 if penalty is None else penalty[0]
        if "penalty" in cells.sheet.columns and given != in_force:
            raise cells.refuse(
                row,
                "penalty",
                "a penalty that differs from the log's",
                f"the penalty in force ({format_signed(in_force) if in_force else 'none'}); "
                "record a penalty with standings record … penalty or rescind",
                row.get("penalty") or "none",
            )
        time_ms = cells.time(row, "time")
        if time_ms == fold.result_time(held) and not fold.is_withdrawn(held):
            return None
        return cells.placed(
            row,
            ResultCorrected,
            entry_id=entry.entry_id,
            stage=stage,
            time_ms=time_ms,
            reason=f"corrected sheet {cells.name}",
        )


Words = tuple[str, str, str]
"""What a refusal says: what, expected, received."""


def _slips(
    cells: _Cells,
    results: list[tuple[Row, EntryRegistered]],
    splits: list[tuple[Row, EntryRegistered, int]],
) -> dict[int, list[str]]:
    """Weigh a sheet's times before they count: each stage time against the stage's field
    (``implausible_times``), each time against the crew's others along the stage
    (``out_of_order``). The first row (by line) with a slip its flag does not allow refuses
    the sheet, and the refusal names every other such row too (one round trip fixes them
    all); the rows allowed get a note for their provenance, by line."""
    view, request, stage = cells.fold, cells.request, cells.request.stage
    assert stage is not None
    on_sheet = [entry for _, entry in results] + [entry for _, entry, _ in splits]
    for flag, refs in (("--confirm", request.confirm), ("--out-of-order", request.out_of_order)):
        for ref in refs:
            if not any(allowed((ref,), entry) for entry in on_sheet):
                raise refused(
                    cells.name,
                    f"{flag} names no crew on this sheet",
                    expected="the race number of a crew the sheet has a time for (NUM or "
                    "CATEGORY:NUM)",
                    received=ref,
                )
    rows = [row for row, _ in results] + [row for row, _, _ in splits]
    times = {row.line: cells.time(row, "time") for row in rows}
    by_result = {entry.entry_id: (row, entry) for row, entry in results}
    by_split = {(entry.entry_id, waypoint): (row, entry) for row, entry, waypoint in splits}
    found: list[tuple[int, Words, str]] = []
    notes: dict[int, list[str]] = {}

    def weigh(
        row: Row, entry: EntryRegistered, refs: tuple[str, ...], note: str, words: Words
    ) -> None:
        if allowed(refs, entry):
            notes.setdefault(row.line, []).append(note)
        else:
            found.append((row.line, words, f"line {row.line} (No. {entry.number})"))

    for category in dict.fromkeys(entry.category for _, entry in results):
        proposed = {
            entry.entry_id: times[row.line] for row, entry in results if entry.category == category
        }
        for implausible in implausible_times(view, category, stage, proposed):
            row, entry = by_result[implausible.entry_id]
            flag = f"--confirm {entry.number}"
            words = implausible_words(implausible, entry, row.get("time"), flag)
            weigh(row, entry, request.confirm, CONFIRMED, words)
    proposed_splits = {key: times[row.line] for key, (row, _) in by_split.items()}
    proposed_results = {key: times[row.line] for key, (row, _) in by_result.items()}
    for slip in out_of_order(view, stage, proposed_splits, proposed_results):
        if slip.waypoint is None:
            row, entry = by_result[slip.entry_id]
        else:
            row, entry = by_split[(slip.entry_id, slip.waypoint)]
        words = order_words(slip, entry, f"--out-of-order {entry.number}")
        weigh(row, entry, request.out_of_order, OUT_OF_ORDER, words)
    if found:
        found.sort(key=lambda item: item[0])
        line, (what, expected, received), _ = found[0]
        others = list(dict.fromkeys(where for found_line, _, where in found if found_line != line))
        if others:
            received += f" — also refused: {', '.join(others)}"
        raise refused(
            cells.name, what, line=line, column="time", expected=expected, received=received
        )
    return notes


def _with_notes(placed: list[Placed], notes: dict[int, list[str]]) -> list[Placed]:
    """The events, those of the lines noted with the notes in their provenance."""
    if not notes:
        return placed
    out = []
    for item in placed:
        note = notes.get(item.line)
        if note:
            provenance = noted(item.event.provenance, ", ".join(dict.fromkeys(note)))
            item = Placed(attrs.evolve(item.event, provenance=provenance), item.line)
        out.append(item)
    return out


class _PenaltyIds:
    """Penalty ids for new penalties: P1, P2, … skipping those taken (as ``record penalty``)."""

    def __init__(self, fold: View) -> None:
        self.fold = fold
        self.number = len(fold.penalty_states())
        self.used: set[str] = set()

    def next(self) -> str:
        while True:
            self.number += 1
            penalty_id = f"P{self.number}"
            if self.fold.penalty(penalty_id) is None and penalty_id not in self.used:
                self.used.add(penalty_id)
                return penalty_id


class Waypoints(SheetKind):
    """A stage's waypoint splits: each crew's elapsed time at each waypoint."""

    name = "waypoints"
    help = "record a stage's waypoint splits from a timing sheet (a CSV file)"
    event_type = WaypointRecorded
    required = ("category", "number", "waypoint", "time")
    needs_stage = True
    corrects = True
    options = frozenset({"out_of_order"})

    def _events(self, cells: _Cells) -> list[Placed]:
        """Each row's split; for a corrected sheet, a correction of each split whose time
        changed (or that was withdrawn) and nothing for the rest. Every time is weighed
        against the crew's others along the stage first (``_slips``)."""
        out: list[Placed] = []
        seen: dict[object, int] = {}
        timed: list[tuple[Row, EntryRegistered, int]] = []
        for row in cells.sheet.rows:
            entry = cells.entry(row)
            waypoint = cells.whole(row, "waypoint", 1, MAX_WAYPOINT)
            cells.duplicate(
                row,
                "waypoint",
                seen,
                (entry.entry_id, waypoint),
                f"a time of {entry.category} {entry.number} at waypoint {waypoint}",
            )
            time_ms = cells.time(row, "time")
            timed.append((row, entry, waypoint))
            placed = self._split(cells, row, entry, waypoint, time_ms)
            if placed is not None:
                out.append(placed)
        return _with_notes(out, _slips(cells, [], timed))

    @staticmethod
    def _split(
        cells: _Cells, row: Row, entry: EntryRegistered, waypoint: int, time_ms: int
    ) -> Placed | None:
        """A row's split, or (in a corrected sheet) its correction: None where the time is
        the one in force."""
        fold, stage = cells.fold, cells.request.stage
        assert stage is not None
        held = fold.split_row(stage, waypoint, entry.entry_id)
        if not cells.request.corrections:
            if held is not None:
                withdrawn = fold.split_state(held).withdrawal is not None
                raise cells.refuse(
                    row,
                    "waypoint",
                    f"entry already has a time at waypoint {waypoint} of stage {stage} "
                    + ("(withdrawn)" if withdrawn else "(a duplicate import?)"),
                    "a corrected sheet imported with --corrections"
                    if withdrawn
                    else "one time per entry and waypoint (a corrected sheet: --corrections)",
                    row.get("time"),
                )
            return cells.placed(
                row,
                WaypointRecorded,
                entry_id=entry.entry_id,
                stage=stage,
                waypoint=waypoint,
                time_ms=time_ms,
            )
        if held is None:
            raise cells.refuse(
                row,
                "time",
                f"no time at waypoint {waypoint} of stage {stage} to correct",
                "a row of the sheet imported before (import new rows without --corrections)",
                row.get("time"),
            )
        split = fold.split_state(held)
        if split.withdrawal is None and split.time_ms == time_ms:
            return None
        return cells.placed(
            row,
            WaypointCorrected,
            entry_id=entry.entry_id,
            stage=stage,
            waypoint=waypoint,
            time_ms=time_ms,
            reason=f"corrected sheet {cells.name}",
        )
