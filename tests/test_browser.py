"""The report in a real browser: headless Chromium renders its charts, with no console error.

Chromium is driven over its DevTools protocol through a pipe (``tests.helpers.DevTools``,
no extra Python dependency): one browser per test process opens the report once and
listens to its console from the first byte; probes evaluated in the page measure each
chart's rendered size and the series it draws, at laptop and phone widths; the page is
also captured as a screenshot and printed to PDF as a reader would.

Screenshots go to ``$ARTIFACTS_DIR`` if set, else to the test's temporary
directory; the path is printed. Without a Chromium binary the tests skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rally_standings.outputs.report import chart_series
from rally_standings.replays import load
from tests.helpers import NEEDS_CHROMIUM, DevTools

pytestmark = NEEDS_CHROMIUM

_PROBE = """(function () {
  var out = [];
  document.querySelectorAll('figure.chart').forEach(function (figure) {
    var chart = figure.dataset.chart;
    var svg = figure.querySelector('svg');
    var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    var drawn = 0;
    figure.querySelectorAll('g[id^="' + chart + '-series-"]').forEach(function (g) {
      var b = g.getBBox();
      if (b.width > 0 || b.height > 0) { drawn += 1; }
    });
    out.push({chart: chart, declared: Number(figure.dataset.series), drawn: drawn,
              width: box.width, height: box.height});
  });
  return out;
})()"""
"""Each chart: its name, the series it declares and draws, its rendered size."""

_PHONE_PROBE = """(function () {
  var out = {width: window.innerWidth, tables: [], smallest: 1000, texts: 0};
  document.querySelectorAll('section.category > .table-wrap > table.standings').forEach(
    function (table) {
      var row = table.querySelector('tbody tr');
      var time = row.querySelector('td.time').getBoundingClientRect();
      var gap = row.querySelector('td.gap').getBoundingClientRect();
      out.tables.push({time: time.right, gap: gap.right, shown: time.width > 0 && gap.width > 0});
    });
  document.querySelectorAll('figure.chart svg').forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    if (box.width === 0) { return; }
    var scale = box.width / svg.viewBox.baseVal.width;
    svg.querySelectorAll('text').forEach(function (text) {
      var size = parseFloat(getComputedStyle(text).fontSize) * scale;
      out.smallest = Math.min(out.smallest, size);
      out.texts += 1;
    });
  });
  return out;
})()"""
"""At phone width: where each final table's Time and Gap end, and the smallest chart text."""


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ARTIFACTS_DIR") or tmp_path / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory, dakar_2004_page: str) -> Path:
    """The dakar-2004 report, every category, as a file."""
    page = tmp_path_factory.mktemp("report") / "dakar-2004.html"
    page.write_text(dakar_2004_page, encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, report_page: Path) -> Iterator[DevTools]:
    """The report opened in Chromium, once per test process (each test sets the viewport
    it needs and leaves the page as it found it)."""
    browser = DevTools(tmp_path_factory.mktemp("chromium") / "profile", window=(1366, 900))
    try:
        browser.open(report_page.as_uri())
        yield browser
    finally:
        browser.close()


def _laptop(browser: DevTools, height: int = 900) -> None:
    browser.viewport(1366, height)
    browser.evaluate("window.scrollTo(0, 0)")


def _on_phone(browser: DevTools, probe: str, width: int = 390) -> Any:
    """What ``probe`` finds at a phone's ``width`` (900 px high); the laptop's viewport after."""
    browser.viewport(width, 900, mobile=True)
    try:
        return browser.evaluate(probe)
    finally:
        _laptop(browser)


def test_console_errors_are_seen_by_this_harness(tmp_path: Path) -> None:
    """The console check works: a page with an uncaught error is caught (no false pass)."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>notDefined();</script>", encoding="utf-8")
    browser = DevTools(tmp_path / "profile")
    try:
        browser.open(page.as_uri())
        said = browser.console()
    finally:
        browser.close()
    assert any("ReferenceError" in line for line in said), said


def test_report_loads_without_console_messages(report: DevTools) -> None:
    """The report's page logs nothing to the console: no error, no warning, no failed fetch."""
    assert report.evaluate("document.querySelectorAll('figure.chart').length") > 0
    assert report.console() == []


def test_charts_render_with_every_series(report: DevTools) -> None:
    """In the browser each chart has a size and draws as many series as it declares."""
    _laptop(report)
    charts: list[dict[str, Any]] = report.evaluate(_PROBE)
    rally = load("dakar-2004")
    expected = {c: len(chart_series(rally.replay(c))) for c in rally.categories}
    assert [c["chart"] for c in charts] == [
        f"{category}-{kind}" for category in rally.categories for kind in ("positions", "gaps")
    ]
    for chart in charts:
        category = str(chart["chart"]).split("-")[0]
        assert chart["declared"] == chart["drawn"], chart
        # the gap chart draws every plotted crew; the position chart only crews with a
        # place the source vouches for
        if str(chart["chart"]).endswith("gaps"):
            assert chart["drawn"] == expected[category], chart
        assert 0 < int(chart["drawn"]) <= expected[category], chart
        assert float(chart["width"]) > 600, chart
        assert float(chart["height"]) > 200, chart
    assert expected["cars"] == 13


def test_what_if_page_renders_side_by_side(tmp_path: Path, what_if_page: str) -> None:
    """The what-if page renders its four charts, actual and hypothetical abreast."""
    page = tmp_path / "what-if.html"
    page.write_text(what_if_page, encoding="utf-8")
    browser = DevTools(tmp_path / "profile", window=(1366, 900))
    try:
        browser.open(page.as_uri())
        _laptop(browser)
        charts: list[dict[str, Any]] = browser.evaluate(_PROBE)
        _laptop(browser, 1800)
        shot = _artifacts(tmp_path) / "dakar-2004-what-if-1366x1800.png"
        shot.write_bytes(browser.screenshot())
        console = browser.console()
    finally:
        browser.close()
    assert [c["chart"] for c in charts] == [
        "cars-positions-actual",
        "cars-positions-hypothetical",
        "cars-gaps-actual",
        "cars-gaps-hypothetical",
    ]
    for chart in charts:
        assert chart["declared"] == chart["drawn"], chart
        assert int(chart["drawn"]) >= 13, chart
        assert 300 < float(chart["width"]) < 700, chart  # two abreast on a laptop screen
    assert console == []
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


def test_screenshot_shows_the_charts(report: DevTools, tmp_path: Path) -> None:
    """A laptop-sized screenshot is saved as an artifact, and the charts' lines are in it."""
    import numpy as np
    from PIL import Image

    _laptop(report, 1800)
    shot = _artifacts(tmp_path) / "dakar-2004-report-1366x1800.png"
    shot.write_bytes(report.screenshot())
    print(f"screenshot: {shot}")
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
    assert pixels.shape == (1800, 1366, 3)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    # The leader's line is drawn in the highlight red (#c8102e): count its pixels.
    red = int(np.count_nonzero((abs(r - 0xC8) < 24) & (g < 60) & (abs(b - 0x2E) < 40)))
    band = pixels[400:1400]
    colours = len(np.unique(band[..., 0] << 16 | band[..., 1] << 8 | band[..., 2]))
    assert red > 2500, red
    assert colours > 2000, colours


def test_phone_shows_time_and_gap_and_legible_charts(report: DevTools) -> None:
    """At 400 px wide: each final table's Time and Gap are on screen, chart text >= 9 px.

    The page's CSS hides the make and co-drivers on a phone and swaps each chart
    for its narrow drawing; this measures the result in the browser.
    """
    result = _on_phone(report, _PHONE_PROBE, 400)
    assert result["width"] == 400
    assert len(result["tables"]) == 3
    for table in result["tables"]:
        assert table["shown"], table
        assert table["time"] <= 400, table
        assert table["gap"] <= 400, table
    assert result["texts"] > 100
    assert result["smallest"] >= 9, result["smallest"]


_CUT = """(function () {
  var out = {width: window.innerWidth, cut: [], markers: [], charts: 0,
             sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth};
  document.querySelectorAll('figure.chart svg').forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    if (box.width === 0) { return; }
    out.charts += 1;
    svg.querySelectorAll('text').forEach(function (text) {
      var b = text.getBoundingClientRect();
      if (b.width > 0 && (b.left < box.left - 0.5 || b.right > box.right + 0.5)) {
        out.cut.push(svg.closest('figure').dataset.chart + ': ' + text.textContent);
      }
    });
  });
  document.querySelectorAll('details.more > summary').forEach(function (summary) {
    var style = getComputedStyle(summary), box = summary.getBoundingClientRect();
    out.markers.push([style.display, style.listStylePosition, box.left >= 0]);
  });
  return out;
})()"""
"""At the current width: the chart texts cut at a chart's left or right edge, how each
collapsed section's summary draws its disclosure marker, and the sideways scroll."""


@pytest.mark.parametrize("width", [390, 1400])
def test_no_chart_label_or_disclosure_marker_is_cut_at_the_edge(
    report: DevTools, width: int
) -> None:
    """Page fixes, finding 6: at 390 px (a phone) and 1400 px, no text of a chart (the gap
    chart's y label "behind the leader (h:mm)" beside a 12:00 tick, a title) runs past the
    chart's edge, and each collapsed section ("Who is missing", "Every crew", "Stage by stage",
    "How each time is made up") draws its disclosure triangle inside its own box (a marker
    drawn outside it falls off the page's edge on a phone); nothing scrolls sideways."""
    if width == 1400:
        report.viewport(1400, 900)
        result = report.evaluate(_CUT)
        _laptop(report)
    else:
        result = _on_phone(report, _CUT, width)
    assert result["width"] == width
    assert result["charts"] >= 6
    assert result["cut"] == []
    assert len(result["markers"]) == 12
    assert all(marker == ["list-item", "inside", True] for marker in result["markers"])
    assert result["sideways"] <= 0


def _pages(pdf: bytes) -> int:
    """The number of pages of a PDF (its page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


_OPEN_FIRST = (
    "(function () { var d = document.querySelector('details.more'); d.open = %s; "
    "return d.open; })()"
)


def test_summary_print_is_a_few_pages(report: DevTools) -> None:
    """Printed as it opens, the report is its summary: a few pages, not one per stage.

    The long lists (not classified, stage by stage, make-up) are collapsed
    sections, printed only when the reader opens them (opening the first one adds
    pages).
    """
    _laptop(report)
    pages = _pages(report.pdf())
    print(f"summary print: {pages} pages")
    assert 3 <= pages <= 12, pages
    assert report.evaluate(_OPEN_FIRST % "true") is True
    try:
        opened = _pages(report.pdf())
    finally:
        report.evaluate(_OPEN_FIRST % "false")
    assert opened > pages


_EVERY_TABLE = """(function () {
  var opened = [];
  document.querySelectorAll('details').forEach(function (d) {
    if (!d.open) { d.open = true; opened.push(d); }
  });
  var width = window.innerWidth, out = {width: width, tables: 0, cut: [], scrolled: []};
  document.querySelectorAll('table').forEach(function (table) {
    if (table.classList.contains('grid')) { return; }  // every crew, stage by stage: scrolls
    out.tables += 1;
    var wrap = table.closest('.table-wrap');
    if (wrap && wrap.scrollWidth > wrap.clientWidth + 1) {
      out.scrolled.push((table.caption ? table.caption.textContent : table.className) +
                        ' ' + wrap.scrollWidth + '>' + wrap.clientWidth);
    }
    table.querySelectorAll('td.pos, td.crew, td.time, td.gap, td.ref').forEach(function (td) {
      var box = td.getBoundingClientRect();
      if (box.width === 0 || box.right > width + 0.5 || box.left < -0.5) {
        out.cut.push(td.className + ' ' + td.textContent + ' ' + Math.round(box.right));
      }
    });
  });
  opened.forEach(function (d) { d.open = false; });
  return out;
})()"""
"""At the current width, with every section opened: each table's position, crew, time, gap
and gap-to-reference cells that are cut off or hidden, and each table that scrolls sideways."""


def test_phone_keeps_position_crew_time_and_gap_in_every_table(
    report: DevTools, tmp_path: Path, relative_page: str
) -> None:
    """F4: at 390 px, in every table of the report (final standings, each stage's ranking and
    GC, winners, penalties, make-up; all sections opened), and with --relative-to, the place,
    crew, time and gap are on screen and no table needs a sideways scroll."""
    result = _on_phone(report, _EVERY_TABLE)
    assert result["width"] == 390
    assert result["tables"] > 100
    assert result["cut"] == []
    assert result["scrolled"] == []
    page = tmp_path / "relative.html"
    page.write_text(relative_page, encoding="utf-8")
    browser = DevTools(tmp_path / "profile", window=(390, 900))
    try:
        browser.open(page.as_uri())
        browser.viewport(390, 900, mobile=True)
        relative = browser.evaluate(_EVERY_TABLE)
        refs = browser.evaluate(
            "[...document.querySelectorAll('td.ref')].filter(t => t.offsetParent).length"
        )
    finally:
        browser.close()
    assert relative["cut"] == []
    assert relative["scrolled"] == []
    assert refs >= 10  # the To No. 201 column is there, and seen


_LABELS = """(function () {
  var out = [];
  document.querySelectorAll('figure.chart svg').forEach(function (svg) {
    var frame = svg.getBoundingClientRect();
    if (frame.width === 0) { return; }
    var boxes = [];
    svg.querySelectorAll('text').forEach(function (text) {
      var b = text.getBoundingClientRect();
      if (b.width > 0 && text.textContent.trim()) {
        boxes.push({t: text.textContent.trim(), l: b.left, r: b.right,
                    top: b.top, bottom: b.bottom});
      }
    });
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        var a = boxes[i], c = boxes[j];
        var w = Math.min(a.r, c.r) - Math.max(a.l, c.l);
        var h = Math.min(a.bottom, c.bottom) - Math.max(a.top, c.top);
        if (w > 1 && h > 1.5) {
          out.push(svg.closest('figure').dataset.chart + ': "' + a.t + '" / "' + c.t + '"');
        }
      }
    }
  });
  return out;
})()"""
"""Every pair of texts of a shown chart whose boxes overlap (more than a pixel and a half)."""


def test_chart_labels_never_overlap(
    report: DevTools, tmp_path: Path, dakar_2001_page: str, relative_page: str
) -> None:
    """F8: in every chart, wide at 1,366 px and narrow at 390 px, no two texts (line labels,
    ticks, titles, legend entries) overlap: measured box by box in the browser, on the 2004
    report, the 2001 cars charts (205/203/200/202/208 finish close) and a --relative-to
    chart (its zero line labelled among the crews)."""
    _laptop(report)
    wide = report.evaluate(_LABELS)
    narrow = _on_phone(report, _LABELS)
    assert wide == []
    assert narrow == []
    pages = {"2001.html": dakar_2001_page, "relative.html": relative_page}
    browser = DevTools(tmp_path / "profile", window=(1366, 900))
    try:
        for name, text in pages.items():
            page = tmp_path / name
            page.write_text(text, encoding="utf-8")
            browser.open(page.as_uri())
            _laptop(browser)
            assert browser.evaluate(_LABELS) == [], name
            browser.viewport(390, 900, mobile=True)
            assert browser.evaluate(_LABELS) == [], name
    finally:
        browser.close()


A4 = (8.27, 11.69)
LETTER = (8.5, 11.0)

_PRINTED = """(function () {
  function shown(el) { return !!el && el.getClientRects().length > 0 &&
    getComputedStyle(el).visibility !== 'hidden'; }
  var out = {headings: [], small: [], hover: [], links: []};
  document.querySelectorAll('h2, h3, h4').forEach(function (h) {
    if (shown(h) && getComputedStyle(h).breakAfter !== 'avoid') {
      out.headings.push(h.textContent);
    }
  });
  document.querySelectorAll('table.winners tbody tr').forEach(function (tr) {
    var winner = tr.querySelector('td.winner'), route = tr.querySelector('td.route');
    var size = function (el) { return parseFloat(getComputedStyle(el).fontSize); };
    if (size(winner) < size(route)) {
      out.small.push(winner.textContent);
    }
  });
  document.querySelectorAll('figcaption').forEach(function (f) {
    if (shown(f) && f.innerText.indexOf('Hover') >= 0) { out.hover.push(f.innerText); }
  });
  document.querySelectorAll('a[href^="#"]').forEach(function (a) {
    if (shown(a) && !shown(document.getElementById(a.getAttribute('href').slice(1)))) {
      out.links.push(a.getAttribute('href'));
    }
  });
  return out;
})()"""
"""In print layout: headings that may be parted from what follows, winners in smaller type
than their route, captions that say "Hover", and links to sections that are not printed."""

_FOOTER = "document.querySelector('footer').style.display = %s"


def test_print_on_a4_and_letter_reads_as_paper(report: DevTools) -> None:
    """F9: printed on A4 and on Letter the summary is at most 12 pages, and the footer never
    takes a page of its own (hiding it prints no fewer pages); in print, no heading may be
    parted from its table, a stage winner is never in smaller type than the route, no
    caption says "Hover", and no link points at a section that is not printed."""
    _laptop(report)
    for paper in (A4, LETTER):
        pages = _pages(report.pdf(paper))
        report.evaluate(_FOOTER % "'none'")
        try:
            without = _pages(report.pdf(paper))
        finally:
            report.evaluate(_FOOTER % "''")
        print(f"summary print on {paper}: {pages} pages")
        assert pages <= 12, (paper, pages)
        assert without == pages, (paper, pages, without)
    report.media("print")
    try:
        printed = report.evaluate(_PRINTED)
    finally:
        report.media("")
    assert printed == {"headings": [], "small": [], "hover": [], "links": []}
