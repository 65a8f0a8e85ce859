"""What a fan reads (issue 21): every sentence about a crew is true, a tie is a tie, the
margins people look for are there, nothing is jargon, the terminal adapts to its width.

Each test names the finding of the issue it holds (F1 … F11). The sentences are checked
against the standings the engine gives, derived here independently of the report's code.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from rally_standings.app import main
from rally_standings.engine import Rally, penalties
from rally_standings.engine import history as engine_history
from rally_standings.events import format_signed, format_time
from rally_standings.outputs import (
    INTERVAL_WORDS,
    MOVE_WORDS,
    Classification,
    PenaltyList,
    Reference,
    StandingsHistory,
    plain,
)
from rally_standings.outputs import terminal as rich_tables
from rally_standings.outputs._text import moves as text_moves
from rally_standings.outputs.report import chart_series
from rally_standings.outputs.report._charts import HIGHLIGHT, PALETTE, ChartSpec, _short
from rally_standings.replays import load
from tests.helpers import Node, classes_rally, parse_html, table_records, table_rows

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dom_2004(dakar_2004_page: str) -> Node:
    """The dakar-2004 report, every category, parsed."""
    return parse_html(dakar_2004_page)


@pytest.fixture(scope="module")
def dakar_2004() -> Rally:
    """The shipped 2004 Dakar log."""
    return load("dakar-2004")


def _ranges(text: str) -> list[int]:
    """``2–4, 6, 9–10`` as the stages it names."""
    out: list[int] = []
    for part in text.split(", "):
        first, _, last = part.partition("–")
        out += list(range(int(first), int(last or first) + 1))
    return out


def _runs(stages: list[int], all_stages: list[int]) -> list[int]:
    """``stages`` as the report's ranges read them back (consecutive in the GC's stages)."""
    return [stage for stage in all_stages if stage in stages]


_GROUP = {"retired": "out", "excluded": "out", "not-documented": "unknown", "no-result": "none"}


def _missing_cases(dom: Node, rally: Rally, category: str) -> Iterator[tuple[str, str, str]]:
    """(the crew's line, the group heading above it, what the standings say of it)."""
    snapshots = rally.replay(category)
    section = dom.by_id(f"{category}-unclassified")
    heading = ""
    for node in section.iter():
        if node.tag == "h4":
            heading = node.attrs["data-group"]
        elif node.tag == "li":
            yield node.text(), heading, category
    assert snapshots


def _expected(rally: Rally, category: str, line: str) -> tuple[str, list[int], list[int]]:
    """The group, the stages missing after and the stages in the standings after, of the
    crew a line names, straight from the engine's standings."""
    snapshots = rally.replay(category)
    for entry in rally.entries(category):
        label = (f"No. {entry.number} " if entry.number else "") + " / ".join(
            p.name for p in entry.crew
        )
        if line.startswith(label + ":"):
            missing = [
                s.after_stage
                for s in snapshots
                if any(u.entry_id == entry.entry_id for u in s.unclassified)
            ]
            present = [s.after_stage for s in snapshots if s.row_for(entry.entry_id) is not None]
            last = next(
                u
                for s in reversed(snapshots)
                for u in s.unclassified
                if u.entry_id == entry.entry_id
            )
            return _GROUP[last.status], missing, present
    raise AssertionError(f"no crew matches {line!r}")


@pytest.mark.parametrize("category", ["bikes", "cars", "trucks"])
def test_f1_f2_each_missing_crew_sentence_is_the_standings(
    dom_2004: Node, dakar_2004: Rally, category: str
) -> None:
    """F1, F2: each crew missing from some standings is listed once, in its plain group
    (retired or excluded / time not in the source / no result), with exactly the stages it
    is missing after and the stages it is in the standings after (Masuoka: 4–17, not "again
    after stage 17"); the word "classified" is never used for them."""
    cases = list(_missing_cases(dom_2004, dakar_2004, category))
    assert cases
    all_stages = [s.after_stage for s in dakar_2004.replay(category)]
    for line, group, _ in cases:
        expected_group, missing, present = _expected(dakar_2004, category, line)
        assert group == expected_group, line
        assert "classified" not in line, line
        found = re.search(r"after stages? ([\d–, ]+?)(?: \(|;|$)", line)
        assert found is not None, line
        assert _ranges(found.group(1)) == _runs(missing, all_stages), line
        shown = re.search(r"in the standings after stages? ([\d–, ]+)$", line)
        if present:
            assert shown is not None, line
            assert _ranges(shown.group(1)) == present, line
        else:
            assert shown is None, line
        if group == "unknown":
            assert re.search(r"the source prints only (the top \d+|the leader)", line), line
    if category == "cars":
        masuoka = next(line for line, _, _ in cases if "Masuoka" in line)
        assert masuoka.endswith("in the standings after stages 4–17")
        assert dakar_2004.standings("cars", after=12).row_for("201") is not None


def test_f2_the_move_legend_and_the_tables_never_call_a_running_crew_unclassified(
    dom_2004: Node,
) -> None:
    """F2: the Move legend says "place before not known", the groups are three plain ones,
    and neither the report, the plain table nor the live page says "not classified"."""
    legend = dom_2004.by_id("bikes").find("p", cls="legend-move")[0].text()
    assert "– place before not known" in legend
    assert "not classified" not in dom_2004.text()
    rally = load("dakar-2004")
    missing = next(
        s
        for s in rally.replay("bikes")
        if any(u.number == "10" for u in s.unclassified)  # Alfie Cox, 4th at the finish
    )
    table = plain(Classification(missing))
    assert "not classified" not in table.lower()
    assert re.search(r"Time not in the source \(\d+\): the source prints only the top", table)
    cox = next(line for line in table.splitlines() if "Alfie Cox" in line)
    assert "time not known since stage" in cox or "only one total time in the source" in cox
    page = (ROOT / "app" / "live.html").read_text(encoding="utf-8")
    assert "not classified" not in page.lower().replace("“not classified”", "")
    terminal_words = plain(Classification(rally.standings("cars", 9), rally.standings("cars", 8)))
    assert "– place before not known" in terminal_words


def _bold_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(r"\x1b\[1m", line)]


def _rich(view: object, width: int, *, colour: bool = True) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=colour,
        color_system="standard" if colour else None,
        highlight=False,
        emoji=False,
        markup=False,
    )
    drawn = rich_tables.renderable(view, width)
    assert drawn is not None
    console.print(drawn)
    return out.getvalue()


def test_f3_a_shared_first_place_is_never_drawn_as_a_lead(dom_2004: Node) -> None:
    """F3: after 2004 trucks stage 2 (0:34:21 to every truck) no row is styled as the leader,
    in the report or on the terminal; the moves after it are "tie"; the position chart draws
    no segment into or out of that tie, only a hollow marker."""
    gc_2 = next(t for t in dom_2004.by_id("trucks-stage-2").find("table") if "General" in t.text())
    assert {r[0] for r in table_rows(gc_2)} == {"1"}
    assert not [tr for tr in gc_2.find("tr") if "leader" in tr.attrs.get("class", "")]
    rally = load("dakar-2004")
    tied = rally.standings("trucks", after=2)
    text = _rich(Classification(tied), 120)
    assert not [line for line in _bold_rows(text) if "Sugawara" in line or "Chagin" in line]
    alone = _rich(Classification(rally.standings("trucks")), 120)
    assert any("Chagin" in line for line in _bold_rows(alone))  # a sole leader still is
    figure = next(
        f
        for f in dom_2004.find("figure", cls="chart")
        if f.attrs["data-chart"] == "trucks-positions"
    )
    svg = figure.find("svg", cls="wide")[0]
    series = chart_series(rally.replay("trucks"))
    chagin = next(i for i, s in enumerate(series) if "Chagin" in s.label)
    assert series[chagin].tied[0]  # after stage 2: tied with every truck
    assert svg.find("g", id=f"trucks-positions-tie-{chagin}")
    group = svg.find("g", id=f"trucks-positions-series-{chagin}")[0]
    path = group.find("path")[0].attrs["d"]
    moves = [m for m in re.split(r"(?=[ML])", path.replace("\n", " ")) if m.strip()]
    first_x = {float(m.split()[1]) for m in moves if m.startswith("M")}
    line_from = [float(m.split()[1]) for m in moves if m.startswith("L")]
    assert min(first_x) not in line_from  # nothing drawn from the tied point at stage 2
    assert moves[0].startswith("M")
    assert len(moves) == 1 or moves[1].startswith("M")


def test_f5_the_relative_chart_reads(dakar_2004: Rally, relative_page: str) -> None:
    """F5: --relative-to: the reference crew is the dashed zero line (no line of its own,
    named at the line's end), ticks are signed both ways (-h:mm ahead, +h:mm behind), the
    caption names no "red line", and thick means the winner as in every other chart."""
    dom = parse_html(relative_page)
    figure = next(
        f for f in dom.find("figure", cls="chart") if f.attrs["data-chart"] == "cars-relative"
    )
    caption = figure.find("figcaption")[0].text()
    assert "red line" not in caption
    assert "dashed zero line" in caption
    assert "winner is drawn thick" in caption
    svg = figure.find("svg", cls="wide")[0]
    texts = [t.text() for t in svg.iter("text")]
    assert "No. 201 (zero line)" in texts
    ticks = [t for t in texts if re.fullmatch(r"[+-]?\d+:\d\d", t)]
    assert any(t.startswith("-") for t in ticks), ticks
    assert any(t.startswith("+") for t in ticks), ticks
    assert "0:00" in ticks
    series = chart_series(dakar_2004.replay("cars"))
    spec = ChartSpec(
        chart_id="x",
        kind="relative",
        stages=tuple(s.after_stage for s in dakar_2004.replay("cars")),
        series=series,
        colors={},
        leader="cars:203",
        reference="cars:201",
        reference_label="No. 201",
    )
    masuoka = next(s for s in series if s.entry_id == "cars:201")
    assert all(v is None for v in spec.values(masuoka))  # the zero line, not a line
    peterhansel = next(s for s in series if s.entry_id == "cars:203")
    assert spec.values(peterhansel)[-1] == -(49 * 60 + 24) * 1000
    thick = [
        g.attrs["id"]
        for g in svg.iter("g")
        if re.fullmatch(r"cars-relative-series-\d+", g.attrs.get("id", ""))
        and "stroke-width: 3.2" in (g.find("path")[0].attrs.get("style", ""))
    ]
    winner = next(i for i, s in enumerate(series) if s.entry_id == "cars:203")
    assert thick == [f"cars-relative-series-{winner}"]


def test_f5_nothing_touches_the_frame_of_a_relative_or_gap_chart(dakar_2004: Rally) -> None:
    """F5: the y limits lie beyond every plotted value and beyond the outermost ticks."""
    from matplotlib.figure import Figure

    from rally_standings.outputs.report._charts import _draw, _layout

    snapshots = dakar_2004.replay("cars")
    series = chart_series(snapshots)
    for kind, reference in (("relative", "cars:201"), ("gaps", None)):
        spec = ChartSpec(
            chart_id="x",
            kind=kind,  # type: ignore[arg-type]
            stages=tuple(s.after_stage for s in snapshots),
            series=series,
            colors={},
            leader="cars:203",
            reference=reference,
            reference_label="No. 201",
        )
        figure = Figure(figsize=(spec.width, spec.height), dpi=96)
        _layout(spec, figure)
        _draw(spec, figure)
        ax = figure.axes[0]
        bottom, top = ax.get_ylim()  # inverted: the larger value is at the bottom
        values = [v / 3_600_000 for s in series for v in spec.values(s) if v is not None]
        ticks = list(ax.get_yticks())
        assert top < min([*values, 0.0]), kind
        assert bottom > max(values), kind
        assert top < min(ticks), kind
        assert bottom > max(ticks), kind


def _delta_e(first: str, second: str, kind: str | None) -> float:
    """CIELAB ΔE (1976) of two colours, as seen with colour-vision deficiency ``kind``
    (Machado, Oliveira and Fernandes 2009, severity 1), or normal sight."""
    matrices = {
        "deutan": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                   (-0.011820, 0.042940, 0.968881)),
        "protan": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
        "tritan": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
    }  # fmt: skip

    def linear(hex_colour: str) -> list[float]:
        out = []
        for i in (1, 3, 5):
            c = int(hex_colour[i : i + 2], 16) / 255
            out.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
        if kind is not None:
            m = matrices[kind]
            out = [max(0.0, min(1.0, sum(m[r][k] * out[k] for k in range(3)))) for r in range(3)]
        return out

    def lab(rgb: list[float]) -> tuple[float, float, float]:
        r, g, b = rgb
        x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

        def f(t: float) -> float:
            return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

        return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))

    return math.dist(lab(linear(first)), lab(linear(second)))


def test_f8_crews_near_in_rank_get_colours_told_apart_also_with_colour_blindness() -> None:
    """F8: any two palette colours within four ranks, and each against the winner's red and
    the white page, differ by ΔE ≥ 25 for normal sight, deuteranopia, protanopia and
    tritanopia (no yellow/orange pairs such as Esteve/Despres)."""
    for kind in (None, "deutan", "protan", "tritan"):
        for i, colour in enumerate(PALETTE):
            for other in PALETTE[i + 1 : i + 4]:
                assert _delta_e(colour, other, kind) >= 25, (colour, other, kind)
            assert _delta_e(colour, HIGHLIGHT, kind) >= 20, (colour, kind)
            assert _delta_e(colour, "#ffffff", kind) >= 25, (colour, kind)


def test_f8_phone_legends_keep_name_particles(dom_2004: Node) -> None:
    """F8: a phone's legend names a crew by number and surname with its particles
    (``417 de Rooy``, ``208 de Villiers``), never a bare ``Rooy`` or ``Villiers``."""
    assert _short("417 Gérard de Rooy") == "417 de Rooy"
    assert _short("Jan de Rooy") == "de Rooy"
    assert _short("208 Giniel de Villiers") == "208 de Villiers"
    assert _short("15 Pål Anders Ullevålseter") == "15 Ullevålseter"
    assert _short("4 Nani Roma") == "4 Roma"
    for chart in ("trucks-positions", "cars-gaps"):
        figure = next(
            f for f in dom_2004.find("figure", cls="chart") if f.attrs["data-chart"] == chart
        )
        texts = [t.text() for t in figure.find("svg", cls="narrow")[0].iter("text")]
        assert not [t for t in texts if re.fullmatch(r"\d* ?(Rooy|Villiers)", t)], texts
    cars = dom_2004.by_id("cars").find("figure", cls="chart")[1].find("svg", cls="narrow")[0]
    assert "208 de Villiers" in [t.text() for t in cars.iter("text")]


def test_f6_derived_penalties_look_different_from_stated_ones(dakar_2001_page: str) -> None:
    """F6: 2001 Masuoka's +30:00 and Loprais's +5:00, which only the arithmetic reveals, carry
    a "derived from the arithmetic" tag and no red penalty styling, in the report, the plain
    and rich penalty tables; Schlesser's stated +1:00:00 stays a plain penalty."""
    rally = load("dakar-2001")
    dom = parse_html(dakar_2001_page)
    items = [
        li
        for category in ("cars", "trucks")
        for li in dom.by_id(category).find("ol", cls="timeline")[0].find("li")
    ]
    by_who = {
        name: next(li for li in items if name in li.text())
        for name in ("Hiroshi Masuoka", "Karel Loprais", "Jean-Louis Schlesser")
    }
    for name in ("Hiroshi Masuoka", "Karel Loprais"):
        li = by_who[name]
        assert li.attrs["class"].split() == ["penalty", "derived"], name
        assert [t.text() for t in li.find("span", cls="tag")] == ["derived from the arithmetic"]
    assert by_who["Jean-Louis Schlesser"].attrs["class"] == "penalty"
    assert not by_who["Jean-Louis Schlesser"].find("span", cls="tag")
    css = (ROOT / "outputs" / "report" / "report.css").read_text(encoding="utf-8")
    assert "ol.timeline li.penalty.derived::before" in css
    final = dom.by_id("cars").find("table", cls="standings")[0]
    masuoka_row = next(tr for tr in final.find("tr") if "Masuoka" in tr.text())
    notes = masuoka_row.find("span", cls="pen")
    assert [n.attrs["class"] for n in notes] == ["pen derived"]
    assert "incl. penalty +0:30:00 (stage 10) derived from the arithmetic" in notes[0].text()
    listing = PenaltyList(rally.name, penalties(rally))
    lines = plain(listing).splitlines()
    masuoka = next(line for line in lines if "2001-cars-masuoka-s10-gc" in line)
    assert masuoka.endswith("derived from the arithmetic")
    schlesser = next(line for line in lines if "2001-cars-schlesser-early-start" in line)
    assert schlesser.endswith("stated")
    coloured = _rich(listing, 220)
    amount = next(line for line in coloured.splitlines() if "masuoka-s10" in line)
    assert "\x1b[31m+0:30:00" not in amount  # not red
    assert "\x1b[33m+0:30:00" in amount  # yellow: worked out
    assert "\x1b[31m+1:00:00" in next(
        line for line in coloured.splitlines() if "schlesser-early" in line
    )


def test_f7_the_margins_people_look_for(dom_2004: Node, dakar_2004: Rally) -> None:
    """F7: the leader card gives the margin after each stage (the runner-up's gap, "tied"
    or "not known" where the source does not vouch for second place); every standings
    table has the interval to the crew ahead; the penalty sits in the row it affects; the
    JSON has gap_to_ahead_ms; every crew's stage-by-stage grid is one click away."""
    for category in ("bikes", "cars", "trucks"):
        card = dom_2004.by_id(category).find("dl", cls="facts")[0]
        rows = {r[0]: r for r in table_rows(card.find("table", cls="leaders")[0])}
        for standings in dakar_2004.replay(category):
            got = rows[str(standings.after_stage)]
            first, second = standings.rows[0], standings.rows[1]
            if second.position == first.position:
                assert got[2] == "tied"
            elif not second.position_certain:
                assert got[2] == "not known"
            else:
                assert got[2] == format_time(second.time_ms - first.time_ms)
                assert got[3].endswith(second.crew[0].name)
        final = next(
            t for t in dom_2004.by_id(category).find("table", cls="standings") if t.find("td")
        )
        records = table_records(final)
        times = [row.time_ms for row in dakar_2004.standings(category).rows]
        assert [r["Interval"] for r in records] == [""] + [
            format_signed(b - a) if b != a else "tie" for a, b in itertools.pairwise(times)
        ]
    final_cars = dom_2004.by_id("cars").find("table", cls="standings")[0]
    peterhansel = next(tr for tr in final_cars.find("tr") if "Peterhansel" in tr.text())
    assert "incl. penalty +0:05:00 (stage 5)" in peterhansel.text()
    menu = [a.attrs["href"] for a in dom_2004.by_id("cars").find("nav")[0].find("a")]
    assert "#cars-grid" in menu
    grid = dom_2004.by_id("cars-grid").find("table", cls="grid")[0]
    crew_row = next(tr for tr in grid.find("tr") if tr.find("td"))
    assert crew_row.find("th")[0].text() == "203 Stéphane Peterhansel"
    stage_5 = next(r for r in dakar_2004.stage_result("cars", 5).rows if r.number == "203")
    gc_5 = dakar_2004.standings("cars", 5).row_for("203")
    assert gc_5 is not None
    heads = [th.text() for th in grid.find("tr")[0].find("th")]
    cell = crew_row.find("td")[heads.index("5") - 1].text()
    assert cell == f"{stage_5.position} {format_time(stage_5.time_ms)} GC {gc_5.position}"
    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        assert main(shlex.split("show dakar-2004 -c cars -f json")) == 0
    data = json.loads(out.getvalue())
    times = [row.time_ms for row in dakar_2004.standings("cars").rows]
    assert [r["gap_to_ahead_ms"] for r in data["rows"]] == [None] + [
        b - a for a, b in itertools.pairwise(times)
    ]


def test_f10_words_a_fan_understands(
    dom_2004: Node, dakar_2001_page: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """F10: no "record #N" in the report, no "− the start" in a source, no footer about
    folding; `history` in words (no event tags, no entry ids); an ambiguous --relative-to
    names the crews as fans know them; the missing-crews line is a sentence; the Move
    column's tie is "tie", never "·"; a crew without a number is "—"; "MAR Smara"."""
    text = dom_2004.text()
    assert "record #" not in text
    assert "folding" not in text
    panel = dom_2004.by_id("cars-stage-9").text()
    assert "Not in these standings: 13 crews whose time the source does not print" in panel
    assert "time not in the source" not in panel.replace("Time not in the source", "")
    page_2001 = dakar_2001_page
    assert "− the start" not in page_2001
    assert "MAR/ Smara" not in page_2001
    assert "MAR Smara" in page_2001
    esteve = next(
        r for r in table_rows(dom_2004.by_id("bikes-stage-4").find("table")[0]) if "Esteve" in r[2]
    )
    assert esteve[1] == "—"
    moves = {td.text() for td in dom_2004.find("td") if "move" in td.attrs.get("class", "").split()}
    assert "·" not in moves
    assert "tie" in moves
    assert main(shlex.split("history dakar-2004 -c cars --after 12")) == 0
    history = capsys.readouterr().out
    assert "stage-result-recorded" not in history
    assert "cars:201" not in history
    assert "stage time: No. 201 Hiroshi Masuoka stage 12: 2:01:16" in history
    assert main(shlex.split("show dakar-2004 -c trucks --relative-to 'de Rooy'")) == 2
    error = capsys.readouterr().err
    assert "No. 417 Gérard de Rooy" in error
    assert "Jan de Rooy (no race number)" in error
    assert "trucks:" not in error
    assert main(shlex.split("show dakar-2004 -c trucks --relative-to 'Jan de Rooy'")) == 0
    capsys.readouterr()
    report_md = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    assert "shown as `≥N` and drawn as hollow markers" not in report_md  # they are not drawn
    assert "draws the tie as hollow markers" in report_md


def _column_widths(text: str, header: str) -> dict[str, int]:
    """Each column's width in a rich table's header line (from its rule)."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(header))
    heads = re.findall(r"\S+(?: \S+)*", lines[index])
    starts = [lines[index].index(h) for h in heads]
    ends = [*starts[1:], len(lines[index]) + 1]
    return {h: end - start for h, start, end in zip(heads, starts, ends, strict=True)}


def test_f11_the_terminal_gives_the_slack_to_the_crew_and_the_reason() -> None:
    """F11: from 60 to 200 columns nothing is wider than the terminal, a crew never wraps to
    a line beginning with "/", the crew is never narrower than the make at 80 columns with
    --relative-to, `penalties` gives its reason at least as much room at 120 columns as at
    80, and `history` draws no rule of its own width."""
    rally = load("dakar-2004")
    show = Classification(
        rally.standings("cars"),
        rally.standings("cars", 16),
        Reference("cars:201", "201", rally.find_entry("cars", "201").crew),
    )
    listing = PenaltyList(rally.name, penalties(load("dakar-2001")))
    entries = engine_history(rally, "cars", 12)
    history = StandingsHistory(rally.name, "cars", 12, entries, imported=True)
    reasons: dict[int, int] = {}
    for width in range(60, 201, 20):
        for view in (show, listing, history):
            text = _rich(view, width, colour=False)
            lines = text.splitlines()
            assert max(len(line) for line in lines) <= width, (width, type(view))
            assert not [line for line in lines if re.match(r"^\s{6,}/ ", line)], width
        text = _rich(listing, width, colour=False)
        if any(line.startswith("Id ") for line in text.splitlines()):
            reasons[width] = _column_widths(text, "Id ")["Reason"]
        history_text = _rich(history, width, colour=False)
        assert "─" not in history_text
    widths = [reasons[w] for w in sorted(reasons)]
    assert widths == sorted(widths)
    at_80 = _rich(show, 80, colour=False)
    columns = _column_widths(at_80, "Pos ")
    assert "Make" not in columns or columns["Crew"] >= columns["Make"], columns
    assert "Stéphane Peterhansel /" in at_80


def _stage_time_known(rally: Rally, category: str, entry_id: str, stage: int) -> bool:
    """Whether the stage's ranking has the crew's time, or a combined time ends there."""
    result = rally.stage_result(category, stage)
    return any(r.entry_id == entry_id for r in result.rows) or any(
        c.entry_id == entry_id for c in result.combined
    )


@pytest.mark.parametrize("category", ["bikes", "cars", "trucks"])
def test_f2_each_why_in_the_tables_is_what_the_stage_rankings_show(
    dakar_2004: Rally, category: str
) -> None:
    """F2: after every stage, each missing crew's line in the plain table (the terminal's
    words) is under its plain group and says what the stage rankings show: "time not known
    since stage S" where S is the first stage without its time (every stage before has one),
    "only one total time in the source for stages a–b" where a combined time a–b ends after the
    standings, "retired at stage S" where it left the rally."""
    snapshots = dakar_2004.replay(category)
    gc_stages = [s.after_stage for s in snapshots]
    for standings in snapshots:
        table = plain(Classification(standings)).splitlines()
        heading = ""
        for line in table:
            if re.match(r"^(Retired|Excluded|Time not in the source|No result recorded)", line):
                heading = line
            found = re.search(r"time not known since stage (\d+)$", line)
            spans = re.search(r"only one total time in the source for stages (\d+)–(\d+)", line)
            if found:
                stage = int(found.group(1))
                name = line[7:].split("  ")[0].strip()
                entry = next(
                    e
                    for e in dakar_2004.entries(category)
                    if " / ".join(p.name for p in e.crew) == name
                )
                assert heading.startswith("Time not in the source"), line
                assert not _stage_time_known(dakar_2004, category, entry.entry_id, stage), line
                covered: set[int] = set()
                for t in gc_stages:
                    result = dakar_2004.stage_result(category, t)
                    if result.cancelled_reason is not None:
                        covered.add(t)
                    if any(r.entry_id == entry.entry_id for r in result.rows):
                        covered.add(t)
                    for c in result.combined:
                        if c.entry_id == entry.entry_id:
                            covered |= set(range(c.first_stage, t + 1))
                assert {t for t in gc_stages if t < stage} <= covered, line
            elif spans:
                first, last = int(spans.group(1)), int(spans.group(2))
                assert last > standings.after_stage, line
                result = dakar_2004.stage_result(category, last)
                assert any(c.first_stage == first for c in result.combined), line
            elif "retired at stage" in line:
                assert heading.startswith("Retired ("), line
            elif "excluded at stage" in line:
                assert heading.startswith("Excluded ("), line
            assert "not classified" not in line, line


_SYMBOL_WORDS = {
    "up": "▲",
    "down": "▼",
    "same": "= the same place",
    "new": "– place before not known",
    "unknown": "? a place then or now is shown only as ≥N",
    "tied": "tie where every crew was tied before",
}
"""Each kind of move, and what says it in a Move legend."""


def _says_only(legend: str, kinds: set[str]) -> None:
    """``legend`` explains each kind of move in ``kinds`` and no other."""
    for kind, words in _SYMBOL_WORDS.items():
        assert (words in legend) == (kind in kinds), (kind, kinds, legend)


def test_the_move_legend_says_only_the_symbols_its_table_shows(
    dom_2004: Node, dakar_2004: Rally
) -> None:
    """Page fixes, finding 3: the Move legend under a table explains the symbols its Move
    column shows and no other (no "? a place then or now is shown only as ≥N" under a table
    without a ?, no "tie" where nothing was tied), in the report's final standings, the plain
    tables and the terminal's, after every stage of the 2004 cars and of the example rally;
    the live page has no words of its own for it (it carries the outputs' in its first HTML)."""
    for category in ("bikes", "cars", "trucks"):
        section = dom_2004.by_id(category)
        cells = section.find("table", cls="standings")[0].find("td")
        kinds = {c.attrs["class"].split()[1] for c in cells if "move" in c.attrs["class"]}
        _says_only(section.find("p", cls="legend-move")[0].text(), kinds)
    example = load("example-rally")
    seen: set[str] = set()
    for rally, category in ((dakar_2004, "cars"), (example, "cars"), (example, "bikes")):
        replay = list(rally.replay(category))
        for previous, current in itertools.pairwise(replay):
            kinds = {item.kind for item in text_moves(previous, current).values()}
            seen |= kinds
            table = plain(Classification(current, previous))
            legend = next(line for line in table.splitlines() if line.startswith("Move since"))
            _says_only(legend, kinds)
            if current.after_stage in (3, 9):
                drawn = " ".join(
                    _rich(Classification(current, previous), 200, colour=False).split()
                )
                _says_only(drawn[drawn.index("Move since") :], kinds)
    assert {"up", "down", "same", "new", "unknown"} <= seen  # every case was met
    for name in ("_page.py", "live.html"):
        source = (ROOT / "app" / name).read_text(encoding="utf-8")
        for words in [*MOVE_WORDS.values(), INTERVAL_WORDS]:
            assert words not in source, (name, words)


def test_every_stage_by_stage_table_has_the_legend_of_its_own_symbols(dom_2004: Node) -> None:
    """Cold user, finding 2: each stage's box in "Stage by stage" can be opened alone, so the
    GC table in it carries its own legend, explaining the symbols its Move column shows and
    no other ("tie" after the 2004 trucks' stage 3, where every truck was awarded the same
    time, is explained where it is shown)."""
    boxes = 0
    for category in ("bikes", "cars", "trucks"):
        for box in dom_2004.by_id(category).find("details", cls="stage"):
            tables = box.find("table", cls="standings")
            if not tables or not tables[0].find("td"):
                continue
            cells = tables[0].find("td")
            kinds = {c.attrs["class"].split()[1] for c in cells if "move" in c.attrs["class"]}
            legends = box.find("p", cls="legend-move")
            assert legends, (category, box.attrs["id"])
            _says_only(legends[0].text(), kinds)
            boxes += 1
    assert boxes >= 45


def test_the_source_legend_names_only_the_kinds_of_source_shown(
    dom_2004: Node, tmp_path: Path
) -> None:
    """Cold user, finding 6: the legend above "How each time is made up" explains the kinds
    of source the times below it come from and no other: a rally an official recorded says
    nothing of errata or inferences."""
    for category in ("bikes", "cars", "trucks"):
        section = dom_2004.by_id(category)
        legend = section.find("ul", cls="legend")[0]
        listed = {span.attrs["class"].split()[1] for span in legend.find("span", cls="badge")}
        shown = {
            span.attrs["class"].split()[1]
            for block in section.find("details", cls="makeup")
            for span in block.find("span", cls="badge")
        }
        assert listed == shown, category
    log = classes_rally(tmp_path / "official.rallylog")
    page = tmp_path / "official.html"
    assert main(["report", str(log), "-o", str(page)]) == 0
    said = parse_html(page.read_text(encoding="utf-8")).find("ul", cls="legend")[0].text()
    assert "recorded by an official" in said
    assert "erratum" not in said
    assert "inferred" not in said


def test_standings_as_known_earlier_do_not_blame_the_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The 2004 cars GC after stage 9 as known at record #100 (the log had reached stage 3):
    the crews whose times came later in the log are "not known at record #100", not "not in
    the source" (which prints them); a stage the log holds no time of yet says so. The
    heading ends in one colon, never two (found by a newcomer)."""
    assert main(["show", "dakar-2004", "-c", "cars", "--after", "9", "--as-of", "100"]) == 0
    out = capsys.readouterr().out
    assert "Time not known at record #100 (12): the source prints only the top 3\n" in out
    assert "Time not in the source" not in out
    assert "No result recorded (4):\n" in out
    assert "203  Stéphane Peterhansel / Jean-Paul Cottret  no time recorded for stage 4 yet" in out
    assert main(["show", "dakar-2004", "-c", "cars", "--after", "9"]) == 0
    out = capsys.readouterr().out
    assert "Time not in the source (13): the source prints only the top 3\n" in out
    assert "top 3:" not in out


def test_what_is_known_of_a_crew_counts_its_combined_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`explain` of No. 207 after stage 9 (2004): its GC after stage 5 comes from one
    combined time for stages 2–5 (record #127), which is said, not "no stage time is
    recorded"; the gap reads "0:10:57 behind", not "+0:10:57 behind" (found by a newcomer)."""
    assert main(["explain", "dakar-2004", "-c", "cars", "-e", "207", "--after", "9"]) == 0
    out = capsys.readouterr().out
    assert "position 3, 4:42:28 (0:10:57 behind the leader)." in out
    assert "One combined time for stages 2–5: 4:42:28 (no time of its own for each of them)." in out
    assert "No stage time is recorded" not in out
    command = ["explain", "dakar-2004", "-c", "cars", "-e", "207", "--after", "9", "-f", "json"]
    assert main(command) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["combined_times"] == [{"first_stage": 2, "stage": 5, "time_ms": 16_948_000}]


def test_a_stage_ranking_cut_at_the_sources_top_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """2004 bikes stage 3: the source prints its top 3, all certain; the table says no other
    crew's place is known (a fan could think three crews ran), the JSON gives known_rows,
    and the combined times are listed in order of time (found by a newcomer)."""
    assert main(["stage", "dakar-2004", "-c", "bikes", "-s", "3"]) == 0
    out = capsys.readouterr().out
    assert (
        "The source prints only the top 3 of this stage's ranking: no other crew's place in "
        "it is known." in out
    )
    assert out.index("Isidre Esteve") < out.index("Fabrizio Meoni")  # 0:30:23, then 0:31:50
    assert main(["stage", "dakar-2004", "-c", "bikes", "-s", "3", "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["known_rows"] == 3
    assert [span["time_ms"] for span in data["combined"]] == [1_823_000, 1_910_000]
