"""Timing sheets into a log: entry lists, stage results and waypoint splits, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from rally_standings.engine import Recorder, create_log, load
from rally_standings.events import (
    EntryRegistered,
    EntryRetired,
    PenaltyImposed,
    Person,
    Provenance,
    RallyDeclared,
    ResultCorrected,
    SourceKind,
    StageKind,
    StageResultRecorded,
    StageRule,
    StageScheduled,
    WaypointRecorded,
    scan_file,
)
from rally_standings.replays.timing import Request, SheetError, import_sheet
from tests.helpers import cli, digest, refused

ENTRIES = (
    "category,number,class,driver,co_drivers,nationalities,make,entrant\n"
    "cars,200,Ultimate,Ann Morel,Luc Petit,FRA,Toyota,Team Dune\n"
    "cars,201,Stock,Jonas Berg,Per Lund|Ole Dahl,SWE|NOR|DEN,Mini,\n"
    "cars,202,,Mia Roux,,,,\n"
    "bikes,1,Rally GP,Rui Costa,,POR,KTM,\n"
)


def _rally(tmp_path: Path) -> Path:
    """A log: cars and bikes, a prologue (stage 0) and specials 1 and 2, no entries yet."""
    log = tmp_path / "r.rallylog"
    create_log(log, RallyDeclared(rally_id="r", name="R", year=2025, categories=("cars", "bikes")))
    with Recorder(log) as recorder:
        recorder.append_many(
            [
                StageScheduled(
                    stage=stage,
                    rules=(
                        StageRule("cars", StageKind.PROLOGUE if stage == 0 else StageKind.SPECIAL),
                        StageRule("bikes", StageKind.PROLOGUE if stage == 0 else StageKind.SPECIAL),
                    ),
                )
                for stage in (0, 1, 2)
            ]
        )
    return log


def _write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _import(log: Path, kind: str, sheet: Path, **request: object) -> list[object]:
    with Recorder(log) as recorder:
        summary = import_sheet(recorder, kind, sheet, request=Request(**request))  # type: ignore[arg-type]
    return [record.event for record in summary.records]


CLASSES = ("Ultimate", "Stock", "Rally GP")
"""The classes ENTRIES introduces (declared, as a new class must be)."""


def _with_entries(tmp_path: Path) -> Path:
    log = _rally(tmp_path)
    _import(log, "entries", _write(tmp_path, "entries.csv", ENTRIES), new_classes=CLASSES)
    return log


def _detail(line: int, name: str = "entries.csv") -> Provenance:
    return Provenance(SourceKind.RECORDED, f"{name}, line {line}")


def _entry(line: int, entry_id: str, *crew: Person, **more: str) -> EntryRegistered:
    """The entry ``entries.csv`` registers at ``line``: its id, crew, and make, entrant, class."""
    category, number = entry_id.split(":")
    return EntryRegistered(
        entry_id=entry_id,
        category=category,
        number=number,
        crew=crew,
        provenance=_detail(line),
        **more,
    )


def test_entry_list_value_by_value(tmp_path: Path) -> None:
    """Each row becomes the entry it says: crew with one code for all or one per member, class,
    make and entrant (empty cells: none), and the file and line as its provenance."""
    log = _with_entries(tmp_path)
    assert load(log).entries() == (
        _entry(
            2,
            "cars:200",
            Person("Ann Morel", "FRA"),
            Person("Luc Petit", "FRA"),
            make="Toyota",
            entrant="Team Dune",
            entry_class="Ultimate",
        ),
        _entry(
            3,
            "cars:201",
            Person("Jonas Berg", "SWE"),
            Person("Per Lund", "NOR"),
            Person("Ole Dahl", "DEN"),
            make="Mini",
            entry_class="Stock",
        ),
        _entry(4, "cars:202", Person("Mia Roux")),
        _entry(5, "bikes:1", Person("Rui Costa", "POR"), make="KTM", entry_class="Rally GP"),
    )


def test_results_value_by_value(tmp_path: Path) -> None:
    """Times (tenths kept exactly as milliseconds), a penalty with its reason, and DNF, DNS and
    DSQ as a retirement or an exclusion at the stage with the sheet's reason (or the status)."""
    log = _with_entries(tmp_path)
    sheet = _write(
        tmp_path,
        "stage1.csv",
        "category,number,time,penalty,penalty_reason,status,reason\n"
        "cars,200,2:55:10.5,+0:05:00,speeding in a village,,\n"
        "cars,201,,,,DNF,gearbox\n"
        "cars,202,,,,dsq,\n"
        "bikes,1,3:01:02,,,,\n",
    )
    events = _import(log, "results", sheet, stage=1)
    assert events == [
        StageResultRecorded(
            entry_id="cars:200", stage=1, time_ms=10_510_500, provenance=_detail(2, "stage1.csv")
        ),
        StageResultRecorded(
            entry_id="bikes:1", stage=1, time_ms=10_862_000, provenance=_detail(5, "stage1.csv")
        ),
        PenaltyImposed(
            penalty_id="P1",
            entry_id="cars:200",
            stage=1,
            amount_ms=300_000,
            reason="speeding in a village",
            provenance=_detail(2, "stage1.csv"),
        ),
        EntryRetired(
            entry_id="cars:201", stage=1, reason="gearbox", provenance=_detail(3, "stage1.csv")
        ),
        EntryRetired(
            entry_id="cars:202",
            stage=1,
            reason="DSQ",
            excluded=True,
            provenance=_detail(4, "stage1.csv"),
        ),
    ]
    dns = _write(tmp_path, "stage2.csv", "category,number,time,status\nbikes,1,,DNS\n")
    assert _import(log, "results", dns, stage=2) == [
        EntryRetired(entry_id="bikes:1", stage=2, reason="DNS", provenance=_detail(2, "stage2.csv"))
    ]


def test_waypoints_value_by_value(tmp_path: Path) -> None:
    """Each row is one elapsed time at one waypoint, tenths included."""
    log = _with_entries(tmp_path)
    sheet = _write(
        tmp_path,
        "splits.csv",
        "category,number,waypoint,time\ncars,200,1,0:45:00.3\ncars,201,1,0:46:10\ncars,200,2,1:30:00\n",
    )
    splits = [("cars:200", 1, 2_700_300), ("cars:201", 1, 2_770_000), ("cars:200", 2, 5_400_000)]
    assert _import(log, "waypoints", sheet, stage=1) == [
        WaypointRecorded(
            entry_id=entry_id,
            stage=1,
            waypoint=waypoint,
            time_ms=time_ms,
            provenance=_detail(line, "splits.csv"),
        )
        for line, (entry_id, waypoint, time_ms) in enumerate(splits, start=2)
    ]


def test_semicolons_and_a_byte_order_mark_read_as_commas(tmp_path: Path) -> None:
    """A spreadsheet's export (UTF-8 with a BOM, `;` between cells, CRLF) gives the same
    entries as the plain comma file."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = _with_entries(tmp_path / "a")
    other_dir = tmp_path / "b"
    other = _rally(other_dir)
    text = ENTRIES.replace(",", ";").replace("\n", "\r\n")
    _import(other, "entries", _write(other_dir, "entries.csv", text, bom=True), new_classes=CLASSES)
    assert load(other).entries() == load(plain).entries()


def test_one_sheet_is_one_frame(tmp_path: Path) -> None:
    """An import is one durable append: the log grows by exactly one frame."""
    log = _rally(tmp_path)
    before = len(scan_file(log).frames)
    _import(log, "entries", _write(tmp_path, "entries.csv", ENTRIES), new_classes=CLASSES)
    assert len(scan_file(log).frames) == before + 1


BAD_SHEETS = {
    "results --stage 1": [
        (
            "category,number,time\ncars,200,2:55:10\ncars,201,2:5x:00\n",
            "line 3, column time",
            "not a time",
        ),
        (
            "category,number,time\ncars,200,2:55:10\ncars,999,2:56:00\n",
            "line 3, column number",
            "unknown entry",
        ),
        ("category,number,time\nvans,200,2:55:10\n", "line 2, column category", "unknown category"),
        ("category,number,tme\ncars,200,2:55:10\n", "line 1, column tme", "unknown column"),
        (
            "category,number,time\ncars,200,2:55:10\ncars,200,2:55:11\n",
            "line 3, column number",
            "listed twice",
        ),
        (
            "category,number,time,status\ncars,200,2:55:10,DNF\n",
            "line 2, column time",
            "a time for a DNF",
        ),
        ("category,number,time,status\ncars,200,,ABD\n", "line 2, column status", "unknown status"),
        (
            "category,number,time,penalty\ncars,200,2:55:10,+0:05:00\n",
            "line 2, column penalty_reason",
            "without a reason",
        ),
        ("category,number,time\ncars,200,2:55:10,x\n", "line 2", "wrong number of cells"),
        ("category,number,time\ncars,200,0:00:00\n", "line 2, column time", "a time of zero"),
        ("category,number,status\ncars,200,DNF\n", "line 1", "category, number, time"),
        ("category,number,time\ncars,200,\n", "line 2, column time", "needs DNF, DNS or DSQ"),
    ],
    "entries": [
        (
            "category,number,driver,nationalities\ncars,300,A B,FRA|ESP\n",
            "line 2, column nationalities",
            "as many codes",
        ),
        (
            "category,number,driver,nationalities\ncars,300,A B,fr\n",
            "line 2, column nationalities",
            "not a country code",
        ),
        (
            "category,number,driver,co_drivers\ncars,300,A B,C||D\n",
            "line 2, column co_drivers",
            "an empty name",
        ),
        (
            "category,number,driver,class\ncars,300,A B,Stock\ncars,301,C D,Ult\u202eimate\n",
            "line 3, column class",
            "one line of text",
        ),
        ("category,number,make\ncars,300,Mini\n", "line 1", "missing column"),
        (
            "category,number,driver\ncars,200,Ann Morel\n",
            "line 2, column number",
            "already registered",
        ),
        ("category,number,driver\ncars,3x0,A B\n", "line 2, column number", "not a race number"),
    ],
}
"""Sheets with one bad row (a stage's results, an entry list), each with where the refusal
places it and what it says is wrong."""


@pytest.mark.parametrize(
    ("what", "text", "where", "message"),
    [(what, *case) for what, cases in BAD_SHEETS.items() for case in cases],
)
def test_a_bad_row_refuses_the_whole_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    what: str,
    text: str,
    where: str,
    message: str,
) -> None:
    """One bad row refuses the sheet (a stage's results, an entry list) at its first bad
    cell: exit 2, one line naming the file, line and column, what was expected and received;
    the log's bytes are unchanged (earlier good rows included)."""
    log = _with_entries(tmp_path)
    sheet = _write(tmp_path, "sheet.csv", text)
    err = refused(capsys, f"record {log} {what} --from {sheet}", log)
    assert f"sheet.csv, {where}; the file was refused, nothing was written" in err
    assert message in err
    assert "expected" in err


def test_a_row_the_rules_refuse_is_named_by_its_line(tmp_path: Path) -> None:
    """A row that reads but breaks a rule (a time for a crew that retired on an earlier stage)
    is refused with its line, and nothing of the sheet is written."""
    log = _with_entries(tmp_path)
    _import(
        log,
        "results",
        _write(tmp_path, "s1.csv", "category,number,time,status\ncars,201,,DNF\n"),
        stage=1,
    )
    before = digest(log)
    sheet = _write(tmp_path, "s2.csv", "category,number,time\ncars,200,1:00:00\ncars,201,1:00:01\n")
    with pytest.raises(SheetError, match=r"retired at stage 1.*s2\.csv, line 3; "):
        _import(log, "results", sheet, stage=2)
    assert digest(log) == before


def test_the_same_sheet_twice_is_refused_as_a_duplicate(tmp_path: Path) -> None:
    """Re-importing a results or splits sheet is refused (a result must be corrected instead),
    and writes nothing."""
    log = _with_entries(tmp_path)
    results = _write(tmp_path, "s1.csv", "category,number,time\ncars,200,1:00:00\n")
    splits = _write(tmp_path, "w1.csv", "category,number,waypoint,time\ncars,200,1,0:30:00\n")
    _import(log, "results", results, stage=1)
    _import(log, "waypoints", splits, stage=1)
    before = digest(log)
    with pytest.raises(
        SheetError, match=r"already has a result.*line 2, column time; .*--corrections"
    ):
        _import(log, "results", results, stage=1)
    with pytest.raises(SheetError, match=r"already has a time.*line 2, column waypoint; "):
        _import(log, "waypoints", splits, stage=1)
    assert digest(log) == before


def test_corrections_record_exactly_the_changed_times(tmp_path: Path) -> None:
    """A corrected sheet records one correction per changed time and nothing for the rest; the
    same corrected sheet again records nothing and leaves the log as it was."""
    log = _with_entries(tmp_path)
    first = (
        "category,number,time,penalty,penalty_reason\n"
        "cars,200,1:00:00,+0:01:00,jump start\n"
        "cars,201,1:01:00,,\n"
        "cars,202,1:02:00,,\n"
        "bikes,1,1:30:00,,\n"
    )
    _import(log, "results", _write(tmp_path, "s1.csv", first), stage=1)
    corrected = first.replace("1:01:00", "1:00:59.9").replace("1:30:00", "1:29:00")
    sheet = _write(tmp_path, "s1-corrected.csv", corrected)
    assert _import(log, "results", sheet, stage=1, corrections=True) == [
        ResultCorrected(
            entry_id=entry_id,
            stage=1,
            time_ms=time_ms,
            reason="corrected sheet s1-corrected.csv",
            provenance=_detail(line, "s1-corrected.csv"),
        )
        for entry_id, time_ms, line in [("cars:201", 3_659_900, 3), ("bikes:1", 5_340_000, 5)]
    ]
    before = digest(log)
    assert _import(log, "results", sheet, stage=1, corrections=True) == []
    assert digest(log) == before
    changed_penalty = _write(tmp_path, "s1-penalty.csv", first.replace("+0:01:00", "+0:02:00"))
    with pytest.raises(SheetError, match=r"penalty that differs.*line 2, column penalty; "):
        _import(log, "results", changed_penalty, stage=1, corrections=True)
    assert digest(log) == before


def test_the_command_line_says_what_it_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`record … entries|results|waypoints --from FILE` prints one line: what, from where, which
    records; `record entry --class` registers a class."""
    log = _rally(tmp_path)
    sheet = _write(tmp_path, "entries.csv", ENTRIES)
    declared = "--new-class Ultimate --new-class Stock --new-class 'Rally GP'"
    assert cli(capsys, f"record {log} entries --from {sheet} {declared}") == (
        0,
        "recorded 4 entries from entries.csv (4 rows), records #5-#8\n",
        "",
    )
    one = f"record {log} entry -c cars --number 7 --crew 'Eva Lind (SWE)' --class SSV"
    code, _, err = cli(capsys, one)
    assert (code, err) == (
        2,
        "standings: error: a new class in cars (--class; nothing was written): expected one of "
        "the classes of cars (Ultimate, Stock), or --new-class to declare it, received SSV\n",
    )
    assert cli(capsys, f"{one} --new-class")[0] == 0
    entry = load(log).fold.entry("cars:7")
    assert entry is not None
    assert entry.entry_class == "SSV"
    assert entry.provenance.detail == "a new class declared"
    splits = _write(tmp_path, "w.csv", "category;number;waypoint;time\ncars;200;1;0:30:00\n")
    assert cli(capsys, f"record {log} waypoints --stage 1 --from {splits}")[1] == (
        "recorded 1 waypoint time from w.csv (1 row), record #10\n"
    )


@pytest.mark.parametrize(
    ("row", "said"),
    [
        (
            "cars,200,Ann Morel",
            "entry already registered (a duplicate import?) (again.csv, line 2, column number; "
            "the file was refused, nothing was written): expected a race number not registered "
            "yet in cars (No. 200 is Ann Morel's), received 200",
        ),
        (
            "cars,0201,Tom Berg",
            "race number taken (again.csv, line 2, column number; the file was refused, nothing "
            "was written): expected a race number not registered yet in cars (No. 201 is Jonas "
            "Berg's), received 0201 for Tom Berg",
        ),
    ],
)
def test_a_race_number_in_use_names_its_crew(tmp_path: Path, row: str, said: str) -> None:
    """An entry sheet with a number the log has: the same crew again reads as a sheet imported
    twice; another crew is told whose number it is (found by a newcomer: "(cars:201 is)")."""
    log = _with_entries(tmp_path)
    sheet = _write(tmp_path, "again.csv", f"category,number,driver\n{row}\n")
    with pytest.raises(SheetError) as refusal:
        _import(log, "entries", sheet)
    assert str(refusal.value) == said
