"""The page: the shell around the sections, its stylesheet, and ``build_report``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Literal

from ...engine import (
    Rally,
    overlay,
    penalties,
    require_class,
    what_if,
    what_if_all_stages,
)
from ...events import Event, QueryError, RallyError
from .._text import as_known_text, find_crew, sole_leader
from .._whatif import hypotheses, labels
from ._charts import chart_series, colors_for, render_chart
from ._html import escape
from ._model import Hypothesis, make_view, reference_in
from ._sections import (
    Advance,
    category_section,
    chart_spec,
    whatif_section,
)

__all__ = ["build_report", "chart_svg", "report_steps", "stylesheet"]


@cache
def stylesheet() -> str:
    """The page's CSS, a data file of the package (``report.css``)."""
    return resources.files(__package__ or "").joinpath("report.css").read_text(encoding="utf-8")


def _page(title: str, subtitle: str, nav: Sequence[tuple[str, str]], body: str, footer: str) -> str:
    links = "".join(f'<a href="#{escape(anchor)}">{escape(text)}</a>' for anchor, text in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="rally-standings">\n'
        f"<title>{escape(title)}</title>\n<style>{stylesheet()}</style>\n</head>\n<body>\n"
        f'<header class="page" id="top"><div class="wrap"><h1>{escape(title)}</h1><p>{subtitle}</p>'
        f"<nav>{links}</nav></div></header>\n"
        f"<main>\n{body}\n</main>\n"
        f"<footer>{footer}</footer>\n"
        '<a class="float-top" href="#top">↑ Top</a>\n'
        "</body>\n</html>\n"
    )


def _categories(rally: Rally, wanted: Sequence[str] | None) -> list[str]:
    if not wanted:
        return list(rally.categories)
    out = []
    for category in wanted:
        rally.require_category(category)
        if category not in out:
            out.append(category)
    return out


def _has_results(rally: Rally, category: str) -> bool:
    try:
        rally.default_stage(category)
    except QueryError:
        return False
    return True


def report_steps(
    rally: Rally, categories: Sequence[str] | None, *, what_if: bool, relative: bool = False
) -> int:
    """How many steps ``build_report`` reports through ``advance`` (for a progress bar)."""
    if what_if:
        return 6  # the actual replay, four charts, the tables
    return (4 if relative else 3) * len(_categories(rally, categories))


def _whatif_category(
    rally: Rally, categories: Sequence[str], hypothesis: Hypothesis
) -> tuple[str, tuple[Event, ...]]:
    """The category the hypothesis is about, and its events."""
    candidates: list[tuple[str, tuple[Event, ...]]] = []
    errors: list[RallyError] = []
    owner = {item.state.event.adjustment_id: item.category for item in penalties(rally)}
    for category in categories:
        if any(owner.get(penalty_id, category) != category for penalty_id in hypothesis.rescind):
            continue
        try:
            events = hypotheses(
                rally,
                category,
                penalties=hypothesis.penalties,
                rescind=hypothesis.rescind,
                results=hypothesis.results,
            )
        except RallyError as error:
            errors.append(error)
            continue
        candidates.append((category, events))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        if len(categories) == 1 and errors:
            raise errors[0]
        raise QueryError(
            "the hypothesis fits no category",
            where="report --what-if",
            expected="entries and penalties of one category (--category C)",
            received=", ".join(str(e) for e in errors) or "none",
        )
    raise QueryError(
        "the hypothesis fits several categories",
        where="report --what-if",
        expected="one --category",
        received=", ".join(c for c, _ in candidates),
    )


def build_report(
    rally: Rally,
    *,
    categories: Sequence[str] | None = None,
    as_of: int | None = None,
    hypothesis: Hypothesis | None = None,
    relative_to: str | None = None,
    advance: Advance | None = None,
    entry_class: str | None = None,
    waypoint_stage: int | None = None,
) -> str:
    """The report as one HTML document (a string), per category or for a what-if question.

    ``relative_to``: a crew (race number or name) each category it belongs to
    measures gaps to: a column in the final standings and a third chart.
    ``entry_class``: only that class, ranked on its own (in the categories that have it).
    ``waypoint_stage``: a chart of the positions at each waypoint of that stage.
    """
    step: Advance = advance or (lambda _done: None)
    base = rally.as_of(as_of)
    wanted = _categories(base, categories)
    if entry_class is not None:
        having = [c for c in wanted if entry_class in base.classes(c)]
        if not having:
            require_class(base.fold, wanted[0], entry_class)  # raises: unknown class
        wanted = having
    known = f" · {as_known_text(as_of)} (of {rally.last_seq})" if as_of is not None else ""
    source = escape(rally.source)
    partial = any(  # a source that prints only the leading rows somewhere
        base.fold.coverage(category, stage) is not None
        for category in wanted
        for stage in base.stages()
    )
    footer = (
        f"Made by <b>rally-standings</b> from <code>{source}</code>{escape(known)}. Every time on "
        "this page is the sum of the stage times, penalties and awarded times recorded "
        "there, each with its source; <code>standings explain</code> gives the same sums "
        "on the command line."
        + (
            ' A place shown as <span class="uncertain">≥N</span> is N-th or lower: the source '
            "prints only the leading rows."
            if partial
            else ""
        )
    )
    if hypothesis:
        category, events = _whatif_category(base, wanted, hypothesis)
        actual_snaps = rally.replay(category, as_of=as_of)
        step(f"{category}: actual replay")
        comparisons = what_if_all_stages(rally, category, events, as_of=as_of)
        result = what_if(rally, category, events, as_of=as_of)
        imagined_rally = overlay(base, events)
        by_stage = {s.after_stage: s for s in actual_snaps}
        for item in comparisons:
            by_stage[item.stage] = item.comparison.hypothetical
        imagined_snaps = [by_stage[stage] for stage in sorted(by_stage)]
        actual = make_view(rally, category, actual_snaps, as_of)
        imagined = make_view(
            imagined_rally, category, imagined_snaps, None, real_last_seq=base.last_seq
        )
        body = whatif_section(actual, imagined, result, comparisons, step)
        title = f"{base.name} · {category} · what if"
        subtitle = escape(
            "Actual and hypothetical standings side by side: " + "; ".join(labels(result))
        ) + escape(known)
        nav = [
            (f"{category}-final", "Final standings"),
            (f"{category}-leaders", "Leaders"),
            (f"{category}-stages", "Stage by stage"),
            (f"{category}-timeline", "Timeline"),
            (f"{category}-makeup", "Time make-up"),
        ]
        return _page(title, subtitle, nav, body, footer)
    sections = []
    skipped = []
    references = {c: reference_in(base, c, relative_to) for c in wanted}
    if relative_to is not None and not any(references.values()):
        find_crew(base, wanted[0], relative_to)  # raises: unknown entry
    for category in wanted:
        relative = references[category] is not None
        if not _has_results(base, category):
            skipped.append(category)
            for _ in range(4 if relative else 3):
                step(f"{category}: no results")
            continue
        snapshots = rally.replay(category, as_of=as_of)
        view = make_view(
            rally,
            category,
            snapshots,
            as_of,
            reference=references[category],
            entry_class=entry_class,
            waypoint_stage=waypoint_stage,
        )
        sections.append(category_section(view, step))
    if skipped:
        sections.append(
            '<p class="empty">No results recorded yet for: ' + escape(", ".join(skipped)) + ".</p>"
        )
    title = f"{base.name} · standings"
    shown = [c for c in wanted if c not in skipped]
    against = [
        f"gaps also to {ref.label} in {c}" for c, ref in references.items() if ref is not None
    ]
    subtitle = escape(
        f"General classification after every stage for {', '.join(shown) or 'no category'}"
        f"{known}" + (f"; {', '.join(against)}" if against else "")
    )
    nav = [(c, c.capitalize()) for c in shown]
    return _page(title, subtitle, nav, "\n".join(sections), footer)


def chart_svg(
    rally: Rally,
    category: str,
    kind: Literal["positions", "gaps"],
    *,
    as_of: int | None = None,
) -> str:
    """One chart of the report as a standalone SVG file (``standings report --chart``)."""
    view = make_view(rally, category, rally.replay(category, as_of=as_of), as_of)
    series = chart_series(view.snapshots)
    alone = sole_leader(view.final.rows)
    leader = alone.entry_id if alone is not None else None
    spec = chart_spec(
        view,
        series,
        colors_for([s.entry_id for s in series], leader),
        kind,
        chart_id=f"{category}-{kind}",
        title_prefix=f"{view.rally.name} · {category} · ",
    )
    return render_chart(spec, standalone=True)
