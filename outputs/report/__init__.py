"""The HTML report: one self-contained page with charts, per category.

Everything on the page comes from the engine's public API: the GC after
every stage (``Rally.replay``), each stage's ranking (``Rally.stage_result``),
how each time is made up (``Row.components``), the penalties (``penalties``)
and the log's cancellations; a what-if page adds ``what_if_all_stages`` and
the overlaid rally. Charts are drawn by matplotlib into static SVG, inlined in
the page: no script, font or image is fetched, so the file works offline and
prints. The same log gives the same bytes (no timestamps; the SVG ids are
salted per chart, not random).

The package: ``_charts`` (the chart data and drawing), ``_model`` (what a page
shows of a category), ``_html`` (escaped HTML pieces), ``_sections`` (the
sections) and ``_page`` (the page, its stylesheet ``report.css``).
matplotlib is an optional dependency (the ``report`` extra), imported only
when a chart is drawn, so this package stays cheap to import.
"""

from ._charts import (
    INSTALL_HINT,
    MAX_SERIES,
    MissingDependencyError,
    Series,
    chart_series,
    require_matplotlib,
)
from ._model import Hypothesis
from ._page import build_report, chart_svg, report_steps

__all__ = [
    "INSTALL_HINT",
    "MAX_SERIES",
    "Hypothesis",
    "MissingDependencyError",
    "Series",
    "build_report",
    "chart_series",
    "chart_svg",
    "report_steps",
    "require_matplotlib",
]
