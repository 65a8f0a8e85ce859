"""The report in a real browser: headless Chromium renders its charts, with no console error.

Chromium is driven with its command-line switches only (no extra Python
dependency): ``--dump-dom`` gives the DOM after the page's scripts ran,
``--enable-logging=stderr`` shows every console message, ``--screenshot``
saves what a laptop screen shows. A probe script, added to a copy of the page,
measures in the browser each chart's rendered size and the series it draws.

Screenshots go to ``$ARTIFACTS_DIR`` if set, else to the test's temporary
directory; the path is printed. Without a Chromium binary the tests skip.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from rally_standings.outputs.report import chart_series
from rally_standings.replays import load
from tests.helpers import CHROMIUM, NEEDS_CHROMIUM, parse_html, shared_text

pytestmark = NEEDS_CHROMIUM

_PROBE = """<script>
(function () {
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
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def _console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ARTIFACTS_DIR") or tmp_path / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _probed(page: Path, tmp_path: Path) -> tuple[list[dict[str, float | str]], list[str]]:
    """The probe's measures of ``page`` in a laptop-sized window, and every console message
    the page (the probe added) logged."""
    probed = page.with_name(page.stem + "-probed.html")
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8"
    )
    proc = _chromium(
        [
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1366,900",
            "--dump-dom",
            probed.as_uri(),
        ],
        tmp_path / "profile-probe",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = parse_html(proc.stdout)
    result: list[dict[str, float | str]] = json.loads(dom.by_id("probe").text())
    return result, _console_messages(proc.stderr)


def _probe(page: Path, tmp_path: Path) -> list[dict[str, float | str]]:
    return _probed(page, tmp_path)[0]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory, dakar_2004_page: str) -> Path:
    """The dakar-2004 report, every category, as a file."""
    page = tmp_path_factory.mktemp("report") / "dakar-2004.html"
    page.write_text(dakar_2004_page, encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def report_in_browser(
    report_page: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[dict[str, float | str]], list[str]]:
    """The report opened once in Chromium (once per run): the probe's chart measures and
    the console."""

    def probe() -> str:
        return json.dumps(_probed(report_page, tmp_path_factory.mktemp("browser")))

    charts, console = json.loads(shared_text(tmp_path_factory, "report-probe.json", probe))
    return charts, console


def test_console_errors_are_seen_by_this_harness(tmp_path: Path) -> None:
    """The console check works: a page with an uncaught error is caught (no false pass)."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>notDefined();</script>", encoding="utf-8")
    proc = _chromium(
        ["--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()], tmp_path / "profile"
    )
    assert any("Uncaught ReferenceError" in line for line in _console_messages(proc.stderr))


def test_report_loads_without_console_messages(
    report_in_browser: tuple[list[dict[str, float | str]], list[str]],
) -> None:
    """The report's page logs nothing to the console: no error, no warning, no failed fetch
    (its charts drawn: the probe that measures them ran after the page's own scripts)."""
    charts, console = report_in_browser
    assert charts
    assert console == []


def test_charts_render_with_every_series(
    report_in_browser: tuple[list[dict[str, float | str]], list[str]],
) -> None:
    """In the browser each chart has a size and draws as many series as it declares."""
    charts = report_in_browser[0]
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
    charts = _probe(page, tmp_path)
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
    shot = _artifacts(tmp_path) / "dakar-2004-what-if-1366x1800.png"
    _chromium(["--window-size=1366,1800", f"--screenshot={shot}", page.as_uri()], tmp_path / "p")
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


def test_screenshot_shows_the_charts(report_page: Path, tmp_path: Path) -> None:
    """A laptop-sized screenshot is saved as an artifact, and the charts' lines are in it."""
    import numpy as np
    from PIL import Image

    shot = _artifacts(tmp_path) / "dakar-2004-report-1366x1800.png"
    proc = _chromium(
        ["--window-size=1366,1800", f"--screenshot={shot}", report_page.as_uri()],
        tmp_path / "profile",
    )
    assert shot.exists(), proc.stderr[-2000:]
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


_PHONE_PROBE = """<script>
(function () {
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
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def test_phone_shows_time_and_gap_and_legible_charts(report_page: Path, tmp_path: Path) -> None:
    """At 400 px wide: each final table's Time and Gap are on screen, chart text >= 9 px.

    The page's CSS hides the make and co-drivers on a phone and swaps each chart
    for its narrow drawing; this measures the result in the browser.
    """
    probed = report_page.read_text(encoding="utf-8").replace("</body>", _PHONE_PROBE + "</body>")
    frame = tmp_path / "phone.html"
    frame.write_text(_phone_frame(probed), encoding="utf-8")
    proc = _chromium(["--window-size=600,900", "--dump-dom", frame.as_uri()], tmp_path / "p")
    result = json.loads(parse_html(proc.stdout).by_id("probe").text())
    assert result["width"] == 400
    assert len(result["tables"]) == 3
    for table in result["tables"]:
        assert table["shown"], table
        assert table["time"] <= 400, table
        assert table["gap"] <= 400, table
    assert result["texts"] > 100
    assert result["smallest"] >= 9, result["smallest"]


def _phone_frame(page: str) -> str:
    """A page showing ``page`` in a 400-px-wide frame (headless Chromium's window is wider).

    The frame's document is ``srcdoc``, of the same origin as the page around it,
    so the probe inside copies its result out, where ``--dump-dom`` sees it.
    """
    relay = page.replace(
        "document.body.appendChild(pre);",
        "document.body.appendChild(pre); parent.document.body.appendChild(pre.cloneNode(true));",
    )
    return (
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe style="width:400px;height:900px;border:0" srcdoc="{html.escape(relay)}">'
        "</iframe></body></html>"
    )


def _pages(pdf: bytes) -> int:
    """The number of pages of a PDF (its page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_summary_print_is_a_few_pages(report_page: Path, tmp_path: Path) -> None:
    """Printed as it opens, the report is its summary: a few pages, not one per stage.

    The long lists (not classified, stage by stage, make-up) are collapsed
    sections, printed only when the reader opens them (opening the first one adds
    pages).
    """
    pdf = tmp_path / "summary.pdf"
    proc = _chromium(
        ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", report_page.as_uri()], tmp_path / "p"
    )
    assert pdf.exists(), proc.stderr[-2000:]
    pages = _pages(pdf.read_bytes())
    print(f"summary print: {pages} pages")
    assert 3 <= pages <= 12, pages
    opened = tmp_path / "opened.html"
    opened.write_text(
        report_page.read_text(encoding="utf-8").replace(
            '<details class="more"', '<details open class="more"', 1
        ),
        encoding="utf-8",
    )
    whole = tmp_path / "whole.pdf"
    _chromium(
        ["--no-pdf-header-footer", f"--print-to-pdf={whole}", opened.as_uri()], tmp_path / "q"
    )
    assert _pages(whole.read_bytes()) > pages
