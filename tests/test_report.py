"""The HTML report: its content is the engine's standings, its charts have the right series."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from rally_standings.app._cli import main
from rally_standings.engine._standings import Row
from rally_standings.events import format_gap, format_time
from rally_standings.outputs import Move, move
from rally_standings.outputs.report import build_report, chart_series
from rally_standings.replays import load
from tests.helpers import Node, parse_html, python_c, table_records, table_rows

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def dakar_2004_dom(dakar_2004_page: str) -> Node:
    """The report of dakar-2004, parsed."""
    return parse_html(dakar_2004_page)


def _final_table(dom: Node, category: str) -> Node:
    heading = dom.by_id(f"{category}-final")
    section = heading.parent
    assert section is not None
    tables = section.find("table", cls="standings")
    return tables[0]


def test_final_standings_are_the_engines_top_rows(dakar_2004_dom: Node) -> None:
    """The cars standings section shows the final top 3 with the engine's names, times, gaps."""
    rows = table_rows(_final_table(dakar_2004_dom, "cars"))
    top = [(r[0], r[2], r[3], r[5], r[6]) for r in rows[:3]]
    assert top == [
        ("1", "203", "Stéphane Peterhansel / Jean-Paul Cottret", "53:47:37", ""),
        ("2", "201", "Hiroshi Masuoka / Gilles Picard", "54:37:01", "+0:49:24"),
        ("3", "200", "Jean-Louis Schlesser / Jean-Marie Lurquin", "56:48:10", "+3:00:33"),
    ]
    standings = load("dakar-2004").standings("cars")
    assert [(r[2], r[5], r[6]) for r in rows] == [
        (row.number, format_time(row.time_ms), format_gap(row.gap_ms) or "")
        for row in standings.rows
    ]


def test_leader_row_is_highlighted(dakar_2004_dom: Node) -> None:
    """Only the first row of a standings table carries the leader class."""
    table = _final_table(dakar_2004_dom, "cars")
    marked = [row for row in table.find("tr") if "leader" in row.attrs.get("class", "")]
    assert len(marked) == 1
    assert "Peterhansel" in marked[0].text()


def test_position_chart_has_one_series_per_plotted_entry(dakar_2004_page: str) -> None:
    """Each chart says how many series it draws, and its SVG holds exactly that many lines."""
    expected = {
        category: len(chart_series(load("dakar-2004").replay(category)))
        for category in ("bikes", "cars", "trucks")
    }
    assert expected["cars"] == 13
    dom = parse_html(dakar_2004_page)
    figures = dom.find("figure", cls="chart")
    assert len(figures) == 6
    for figure in figures:
        chart = figure.attrs["data-chart"]
        category = chart.split("-")[0]
        groups = [
            g
            for g in figure.iter("g")
            if re.fullmatch(rf"{chart}-series-\d+", g.attrs.get("id", ""))
        ]
        assert int(figure.attrs["data-series"]) == len(groups) == expected[category], chart
        assert all(g.find("path") for g in groups), chart


def test_chart_series_follow_the_replay() -> None:
    """A series is the entry's position after each stage, None where it is not classified."""
    snapshots = load("dakar-2004").replay("cars")
    series = {s.label: s for s in chart_series(snapshots)}
    peterhansel = series["203 Stéphane Peterhansel"]
    assert peterhansel.positions == tuple(
        next((row.position for row in s.rows if row.number == "203"), None) for s in snapshots
    )
    assert peterhansel.positions[-1] == 1
    assert peterhansel.gaps_ms[-1] == 0
    mayer = series["211 Andrea Mayer"]
    assert mayer.positions[:-1] == (None,) * (len(snapshots) - 1)
    assert mayer.positions[-1] == 5
    biasion = series["Miki Biasion"]
    stage_3 = [s.after_stage for s in snapshots].index(3)
    assert (biasion.positions[stage_3], biasion.certain[stage_3]) == (4, False)
    assert list(series)[:3] == [
        "203 Stéphane Peterhansel",
        "201 Hiroshi Masuoka",
        "200 Jean-Louis Schlesser",
    ]


def test_uncertain_positions_are_shown_as_at_least(dakar_2004_dom: Node) -> None:
    """Where the replay marks a position uncertain, the stage's GC table shows ≥N, styled."""
    rally = load("dakar-2004")
    checked = 0
    for standings in rally.replay("cars"):
        details = dakar_2004_dom.by_id(f"cars-stage-{standings.after_stage}")
        gc_table = next(
            t for t in details.find("table") if "GC" in t.text() or "General" in t.text()
        )
        shown = {r["Driver"]: r["Pos"] for r in table_records(gc_table)}
        for row in standings.rows:
            assert shown[row.crew[0].name] == row.position_text
            if not row.position_certain:
                checked += 1
        cells = [c for c in gc_table.find("td") if c.text().startswith("≥")]
        assert all("uncertain" in c.attrs["class"] for c in cells)
    assert checked == 6
    stage_3 = dakar_2004_dom.by_id("cars-stage-3")
    gc_3 = next(t for t in stage_3.find("table") if "General" in t.text())
    biasion = next(r for r in table_records(gc_3) if r["Driver"] == "Miki Biasion")
    assert biasion["Pos"] == "≥4"


def test_partial_data_is_explained(dakar_2004_dom: Node) -> None:
    """The page says the source prints only the leading rows, and what ≥N means."""
    note = dakar_2004_dom.by_id("cars").find("aside", cls="partial")[0].text()
    assert "top 3" in note
    assert "≥N" in note
    assert "6 places in the standings after the stages are shown so" in note


def test_peterhansel_penalty_is_in_the_timeline(dakar_2004_dom: Node) -> None:
    """The 2004 Peterhansel penalty appears in the cars timeline with its amount and reason."""
    timeline = dakar_2004_dom.by_id("cars").find("ol", cls="timeline")[0]
    items = [li.text() for li in timeline.find("li")]
    penalty = [text for text in items if "Peterhansel" in text]
    assert len(penalty) == 1
    assert penalty[0].startswith("Stage 5 Penalty +0:05:00 for No. 203 Stéphane Peterhansel")
    assert "illegal outside assistance: pushed by his team-mate 300 m from the finish" in penalty[0]
    assert "GC only" in penalty[0]
    cancelled = [text for text in items if " cancelled (" in text]
    assert [text.split(" ")[1] for text in cancelled] == ["10", "11"]
    assert all("no time awarded" in text for text in cancelled)


def test_awarded_time_is_in_the_timeline(dakar_2004_dom: Node) -> None:
    """A cancellation with an awarded time (2004 trucks, stage 2) shows the time awarded."""
    timeline = dakar_2004_dom.by_id("trucks").find("ol", cls="timeline")[0]
    first = timeline.find("li")[0].text()
    assert first.startswith("Stage 2 cancelled (")
    assert "0:34:21 awarded to every crew still in the rally" in first


def test_rescinded_penalty_is_struck_through() -> None:
    """A rescinded penalty keeps its place in the timeline, struck through, with the appeal."""
    dom = parse_html(build_report(load("example-rally"), categories=["cars"]))
    items = dom.by_id("cars").find("ol", cls="timeline")[0].find("li")
    rescinded = [li for li in items if "rescinded" in li.attrs["class"]]
    assert len(rescinded) == 1
    assert [d.text() for d in rescinded[0].find("del")] == ["+0:10:00"]
    assert "Rescinded: appeal upheld: the waypoint was moved" in rescinded[0].text()
    assert "record #" not in rescinded[0].text()  # record numbers are for explain and events
    retired = [li.text() for li in items if "retired" in li.attrs["class"]]
    assert retired == ["Stage 3 Out: No. 203 Pieter de Wit, retired: broken suspension"]


def test_time_make_up_has_each_component_with_its_source(dakar_2004_dom: Node) -> None:
    """Each classified crew's time is broken into its parts, with provenance, summing to it."""
    blocks = dakar_2004_dom.by_id("cars").find("details", cls="makeup")
    assert [b.attrs["data-entry"] for b in blocks][:3] == ["203", "201", "200"]
    assert len(blocks) == 10
    standings = load("dakar-2004").standings("cars")
    peterhansel = standings.row_for("203")
    assert peterhansel is not None
    rows = table_rows(blocks[0].find("table")[0])
    parts = rows[:-1]
    assert len(parts) == len(peterhansel.components)
    assert rows[-1][1:3] == ["Total", "53:47:37"]
    penalty = [r for r in parts if r[1].startswith("penalty")]
    assert penalty == [
        [
            "5",
            "penalty 2004-cars-peterhansel-assistance (GC only): illegal outside assistance: "
            "pushed by his team-mate 300 m from the finish",
            "+0:05:00",
            penalty[0][3],
        ]
    ]
    assert penalty[0][3].startswith("note")
    erratum = [r for r in parts if r[3].startswith("erratum")]
    assert [r[0] for r in erratum] == ["3"]
    assert "2004-cars-s03-stage3-gap" in erratum[0][3]
    kinds = {r[3].split(" ")[0] for r in parts}
    assert kinds == {"printed", "derived", "erratum", "note"}


def test_stage_winners_table(dakar_2004_dom: Node) -> None:
    """Stage winners: the stage ranking's first row, cancelled stages said so."""
    section = dakar_2004_dom.by_id("cars")
    table = section.find("table", cls="winners")[0]
    rows = {r[0]: r for r in table_rows(table)}
    rally = load("dakar-2004")
    stage_5 = rally.stage_result("cars", 5).rows[0]
    assert rows["5"][2] == f"No. {stage_5.number} Stéphane Peterhansel"
    assert rows["5"][3] == format_time(stage_5.time_ms)
    assert rows["10"][4] == "cancelled"
    assert "prologue" in rows["1"][4]


def test_moves_in_the_stage_by_stage_tables(dakar_2004_dom: Node) -> None:
    """The GC after a stage shows each crew's move since the stage before (▲/▼/=)."""
    rally = load("dakar-2004")
    snapshots = {s.after_stage: s for s in rally.replay("cars")}
    details = dakar_2004_dom.by_id("cars-stage-3")
    gc_table = next(t for t in details.find("table") if "General" in t.text())
    moves = {r["Driver"]: r["Move"] for r in table_records(gc_table)}
    before = {row.entry_id: row for row in snapshots[2].rows}
    for row in snapshots[3].rows:
        assert moves[row.crew[0].name] == move(before.get(row.entry_id), row).text
    assert moves["Stéphane Peterhansel"] == "▲1"
    assert moves["José Maria Servia"] == "▼1"
    assert moves["Miki Biasion"] == "–"


def _row(position: int, certain: bool = True) -> Row:
    return Row(
        position=position,
        position_certain=certain,
        entry_id="e",
        number="1",
        crew=(),
        make=None,
        time_ms=1,
        gap_ms=None,
    )


def test_move_kinds() -> None:
    """Moves: ▲ gained, ▼ lost, = same, – not classified before, ? an uncertain position."""
    assert move(_row(3), _row(1)) == Move("up", 2)
    assert move(_row(1), _row(2)).text == "▼1"
    assert move(_row(2), _row(2)).text == "="
    assert move(None, _row(2)).text == "–"
    assert move(_row(4, certain=False), _row(2)).text == "?"


def test_what_if_page_shows_masuoka_first(what_if_page: str) -> None:
    """The what-if page ranks Masuoka first in the hypothesis, beside the actual standings."""
    dom = parse_html(what_if_page)
    section = dom.by_id("cars")
    assert "The lead changes after stage 17: No. 201 Hiroshi Masuoka would lead by 0:05:36" in (
        section.text()
    )
    hypothetical = section.find("table", cls="hypothetical")[0]
    rows = table_rows(hypothetical)
    assert rows[0][:7] == ["1", "2", "▲1", "201", "Hiroshi Masuoka", "54:37:01", ""]
    assert rows[1][:7] == ["2", "1", "▼1", "203", "Stéphane Peterhansel", "54:42:37", "+0:05:36"]
    actual = next(
        t for t in section.find("table", cls="standings") if "hypothetical" not in t.attrs["class"]
    )
    assert table_rows(actual)[0][1:3] == ["203", "Stéphane Peterhansel"]
    charts = [f.attrs["data-chart"] for f in dom.find("figure", cls="chart")]
    assert charts == [
        "cars-positions-actual",
        "cars-positions-hypothetical",
        "cars-gaps-actual",
        "cars-gaps-hypothetical",
    ]
    leaders = {r[0]: r for r in table_rows(section.find("table", cls="leaders")[0])}
    assert leaders["5"][1:] == [
        "No. 203 Stéphane Peterhansel",
        "No. 201 Hiroshi Masuoka",
        "lead changes",
    ]
    assert leaders["17"][3] == "lead changes"
    timeline = [li.text() for li in section.find("ol", cls="timeline")[0].find("li")]
    assert any("Penalty +1:00:00" in t and "hypothetical" in t for t in timeline)
    assert any("Rescinded" in t and "hypothetical rescission" in t for t in timeline)


def test_report_is_deterministic_and_self_contained(
    dakar_2004_page: str, dakar_2004_dom: Node
) -> None:
    """The same log gives the same bytes, and the page fetches nothing (no CDN, no network)."""
    assert build_report(load("dakar-2004")) == dakar_2004_page
    dom = dakar_2004_dom
    assert not dom.find("link")
    assert not dom.find("img")
    assert all(not s.attrs.get("src") for s in dom.find("script"))
    assert all(a.attrs["href"].startswith("#") for a in dom.find("a"))
    assert "@import" not in dakar_2004_page
    assert not re.search(r"url\(\s*['\"]?https?:", dakar_2004_page)
    assert "<svg" in dakar_2004_page
    ids = [node.attrs["id"] for node in dom.iter() if "id" in node.attrs]
    assert len(ids) == len(set(ids)), "element ids are unique across the inline charts"


def test_as_of_report_is_the_log_as_known_then() -> None:
    """--as-of: the page is the standings as known at that sequence (before the penalty)."""
    rally = load("dakar-2004")
    penalty_seq = 129
    page = build_report(rally, categories=["cars"], as_of=penalty_seq - 1)
    dom = parse_html(page)
    assert f"as known after the log's {penalty_seq - 1}th event (of {rally.last_seq})" in dom.text()
    section = dom.by_id("cars")
    assert not section.find("ol", cls="timeline")
    assert "No penalty, cancellation or retirement is recorded for cars." in section.text()
    final = table_rows(_final_table(dom, "cars"))
    known = rally.standings("cars", as_of=penalty_seq - 1)
    assert [r[5] for r in final] == [format_time(row.time_ms) for row in known.rows]


def test_cli_report_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`standings report LOG -o FILE -c cars` writes one page for cars and says so on one line."""
    out = tmp_path / "cars.html"
    assert main(shlex.split(f"report dakar-2004 -o {out} -c cars")) == 0
    printed = capsys.readouterr()
    assert printed.out == f"wrote {out}: {out.stat().st_size // 1024} KiB\n"
    assert printed.err == ""
    dom = parse_html(out.read_text(encoding="utf-8"))
    assert [s.attrs["id"] for s in dom.find("section", cls="category")] == ["cars"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--penalty", "203@5=+1:00:00"], "hypothetical events without --what-if"),
        (["--what-if"], "no hypothesis given"),
        (["--what-if", "--penalty", "Nobody@5=+1:00:00", "-c", "cars"], "unknown entry"),
        (["-c", "boats"], "unknown category"),
        (["--chart", "positions"], "--chart draws one chart of one category"),
    ],
)
def test_cli_report_refuses_mistakes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """A report command that makes no sense prints one line, exits 2 and writes nothing."""
    out = tmp_path / "x.html"
    assert main(["report", "dakar-2004", "-o", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert not out.exists()


def test_cli_chart_writes_a_standalone_svg(tmp_path: Path) -> None:
    """`--chart positions -c cars` writes one SVG file with one series per plotted entry."""
    out = tmp_path / "cars.svg"
    assert main(shlex.split(f"report dakar-2004 -c cars --chart positions -o {out}")) == 0
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<?xml")
    assert len(re.findall(r'<g id="cars-positions-series-\d+"', svg)) == 13
    assert "2004 Dakar Rally · cars · Place after each stage" in svg


def test_missing_matplotlib_is_one_clear_line(tmp_path: Path) -> None:
    """Without matplotlib, `standings report` exits 2 with the pip command to install it."""
    out = tmp_path / "r.html"
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from rally_standings.app._cli import main\n"
        f"raise SystemExit(main(['report', 'dakar-2004', '-o', {str(out)!r}]))\n"
    )
    proc = python_c(code)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert "pip install '.[report]' in the checkout" in proc.stderr
    assert not out.exists()


def _without_svg(page: str) -> str:
    return re.sub(r"<svg.*?</svg>", "<svg/>", page, flags=re.S)


def test_docs_sample_report_is_current(dakar_2004_page: str) -> None:
    """docs/dakar-2004.html is what `standings report dakar-2004` writes today (charts aside)."""
    shipped = (DOCS / "dakar-2004.html").read_text(encoding="utf-8")
    assert _without_svg(shipped) == _without_svg(dakar_2004_page)
    assert shipped.count("<svg") == 12  # each chart wide and narrow


def test_docs_chart_image_has_the_cars_series() -> None:
    """docs/dakar-2004-cars-positions.svg (shown in the README and docs/report.md) draws
    the 13 cars series, and both pages link what they show."""
    svg = (DOCS / "dakar-2004-cars-positions.svg").read_text(encoding="utf-8")
    assert len(re.findall(r'<g id="cars-positions-series-\d+"', svg)) == 13
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/dakar-2004-cars-positions.svg)" in readme
    page = (DOCS / "report.md").read_text(encoding="utf-8")
    assert "(dakar-2004-cars-positions.svg)" in page
    assert "(dakar-2004.html)" in page


def test_trucks_stage_2_is_a_tie_not_a_lead(dakar_2004_dom: Node) -> None:
    """2004 trucks stage 2 (cancelled, 34:21 to all) is a tie: summary, winners, shading.

    Sugawara only sorts first by race number there; the page must not call him
    the leader after stage 2, nor draw moves from that artificial order.
    """
    trucks = dakar_2004_dom.by_id("trucks")
    leaders = {
        r[0]: r
        for r in table_rows(trucks.find("dl", cls="facts")[0].find("table", cls="leaders")[0])
    }
    assert leaders["2"][1:3] == ["tied (awarded time)", "tied"]
    assert leaders["3"][1] == "No. 417 Gérard de Rooy"
    assert leaders["17"][1] == "No. 414 Vladimir Chagin"
    assert "Sugawara" not in leaders["2"][1]
    winners = {r[0]: r for r in table_rows(trucks.find("table", cls="winners")[0])}
    assert winners["2"][4] == "cancelled: 0:34:21 awarded to all, a tie"
    stage_3 = dakar_2004_dom.by_id("trucks-stage-3")
    gc_3 = next(t for t in stage_3.find("table") if "General" in t.text())
    assert {r["Move"] for r in table_records(gc_3)} == {"tie"}
    assert "every crew tied" in dakar_2004_dom.by_id("trucks-stage-2").text()


def test_sources_are_named_by_the_article_and_records_in_words(dakar_2004_dom: Node) -> None:
    """Sources read "2004 Dakar Rally article, …" (the file only in a tooltip); records as #N."""
    makeup = dakar_2004_dom.by_id("cars-makeup")
    sources = makeup.find("span", cls="source")
    assert sources
    assert all(s.text().startswith("2004 Dakar Rally article") for s in sources)
    assert all(s.attrs["title"] == "file 000_ec2c8ada3c9fcad5.txt" for s in sources)
    assert "000_ec2c8ada3c9fcad5.txt" not in makeup.text()
    timeline = dakar_2004_dom.by_id("cars").find("ol", cls="timeline")[0].text()
    assert "record #" not in dakar_2004_dom.text()  # record numbers: explain and events only
    assert "log seq" not in dakar_2004_dom.text()
    numbers = [td.text() for td in dakar_2004_dom.find("td", cls="num no")]
    assert "-" not in numbers  # a crew without a number is "—", never a "-" or blank
    assert "" not in numbers
    assert "2004-cars-peterhansel-assistance" in timeline
    assert "won by No. 12 David Frétigné" in dakar_2004_dom.by_id("bikes-stage-3").text()


def test_hypothetical_events_have_no_record_number(what_if_page: str) -> None:
    """In a what-if page, hypothetical penalties and rescissions are not given real seqs."""
    timeline = parse_html(what_if_page).by_id("cars").find("ol", cls="timeline")[0]
    texts = [li.text() for li in timeline.find("li")]
    rescinded = next(t for t in texts if "Rescinded" in t)
    assert "Rescinded (hypothetically): hypothetical rescission" in rescinded
    imposed = next(t for t in texts if "+1:00:00" in t)
    assert "Penalty +1:00:00 hypothetical for No. 203" in imposed
    assert "#322" not in what_if_page
    assert "#323" not in what_if_page


def test_charts_draw_only_known_positions_with_tooltips(dakar_2004_page: str) -> None:
    """No point for an uncertain place; each line has a tooltip; gap axes read h:mm."""
    rally = load("dakar-2004")
    trucks = chart_series(rally.replay("trucks"))
    azevedo = next(s for s in trucks if "Azevedo" in s.label)
    # ≥4 after stage 16 (the source prints the top 3), 6th after stage 17: no "collapse"
    assert azevedo.positions[-2:] == (4, 6)
    assert azevedo.certain[-2:] == (False, True)
    assert azevedo.known_positions[-2:] == (None, 6)
    dom = parse_html(dakar_2004_page)
    figure = next(
        f for f in dom.find("figure", cls="chart") if f.attrs["data-chart"] == "trucks-gaps"
    )
    svg = figure.find("svg", cls="wide")[0]
    titles = [t.text() for t in svg.iter("title")]
    assert any(t.startswith("412 André de Azevedo (behind the leader after stage") for t in titles)
    ticks = [t.text() for t in svg.iter("text") if re.fullmatch(r"-?\d+:\d\d", t.text())]
    assert "0:00" in ticks
    assert not any(re.fullmatch(r"\d+\.\d", t.text()) for t in svg.iter("text"))


def test_relative_to_adds_a_column_and_a_chart() -> None:
    """`relative_to`: the final standings gain `To No. 201`, and a third chart per category."""
    page = build_report(load("dakar-2004"), categories=["cars"], relative_to="201")
    dom = parse_html(page)
    records = table_records(_final_table(dom, "cars"))
    assert records[0]["To No. 201"] == "-0:49:24"
    assert records[1]["To No. 201"] == "(ref)"
    assert records[2]["To No. 201"] == "+2:11:09"  # 56:48:10 - 54:37:01
    charts = [f.attrs["data-chart"] for f in dom.find("figure", cls="chart")]
    assert charts == ["cars-positions", "cars-gaps", "cars-relative"]


def _captions(page: str) -> list[str]:
    return [node.text() for node in parse_html(page).iter("figcaption")]


def test_chart_captions_are_true_of_the_rally_shown(tmp_path: Path, dakar_2004_page: str) -> None:
    """Page fixes, finding 8: a rally still being run (stage 2 of 4 done) has no winner: its
    captions say the leader after stage 2 is drawn thick; a log recorded by officials has no
    source printing the top N, so no caption speaks of places the source vouches for, nor of
    ties or cancelled stages it does not have. The 2004 Dakar, finished and printed only in
    part, keeps "the winner is drawn thick" and the places the source vouches for."""
    from rally_standings import events
    from rally_standings.engine import Recorder
    from rally_standings.engine import load as load_log
    from tests.helpers import start_rally

    log = start_rally(tmp_path / "running.rallylog")
    with Recorder(log) as recorder:
        recorder.append_many(
            events.StageResultRecorded(entry_id=f"cars:{n}", stage=2, time_ms=3_600_000 + n)
            for n in (200, 201, 202, 203)
        )
    running = _captions(build_report(load_log(log), categories=["cars"]))
    assert running
    for said in running:
        assert "the leader after stage 2 is drawn thick" in said, said
        for wrong in ("winner", "vouches", "tie", "Shaded"):
            assert wrong not in said, (wrong, said)
    finished = _captions(dakar_2004_page)
    assert all("the winner is drawn thick" in said for said in finished)
    assert any("Only places the source vouches for are drawn" in said for said in finished)


def test_a_corrected_time_says_what_it_replaced_without_a_record_number(
    tmp_path: Path,
) -> None:
    """Page fixes, finding 9: a stage time corrected once (3:09:00, then 3:08:40) is made up in
    the report as "(replaces 3:09:00)": no record number (those are for `standings explain`
    and `standings events`), and no "first recorded 3:09:00" repeating the same time."""
    from rally_standings import events
    from rally_standings.engine import Recorder
    from rally_standings.engine import load as load_log
    from tests.helpers import start_rally

    log = start_rally(tmp_path / "corrected.rallylog")
    with Recorder(log) as recorder:
        recorder.append(
            events.StageResultRecorded(entry_id="cars:200", stage=2, time_ms=11_340_000)
        )
        recorder.append(events.ResultCorrected(entry_id="cars:200", stage=2, time_ms=11_320_000))
        recorder.append(
            events.StageResultRecorded(entry_id="cars:201", stage=2, time_ms=11_400_000)
        )
    page = build_report(load_log(log), categories=["cars"])
    row = next(
        tr.text() for tr in parse_html(page).iter("tr") if "corrected: correction" in tr.text()
    )
    assert row.startswith("2stage 2 result, corrected: correction (replaces 3:09:00)3:08:40")
    assert "first recorded" not in page
    assert "record #" not in page
