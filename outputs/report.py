"""The HTML report: one self-contained page with charts, per category.

Everything on the page comes from the engine's API: the GC after every stage
(``Rally.replay``), each stage's ranking (``Rally.stage_result``), how each
time is made up (``Row.components``), the penalties (``penalties``) and the
cancellations of the fold; a what-if page adds ``what_if_all_stages`` and the
overlaid rally. Charts are drawn by matplotlib into static SVG, inlined in
the page: no script, font or image is fetched, so the file works offline and
prints. The same log gives the same bytes (no timestamps; the SVG ids are
salted per chart, not random).

matplotlib is an optional dependency (the ``report`` extra); it is imported
only when a chart is drawn, so this module stays cheap to import.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from rally_standings.engine import (
    Component,
    PenaltyListing,
    Rally,
    Row,
    StageComparison,
    StageResult,
    Standings,
    WhatIf,
    hypotheses,
    overlay,
    penalties,
    what_if,
    what_if_all_stages,
)
from rally_standings.events import (
    Event,
    Person,
    QueryError,
    RallyError,
    StageKind,
    StageScheduled,
    format_signed,
    format_time,
)
from rally_standings.outputs._text import Move, crew_text, driver, gap_text, move, who

if TYPE_CHECKING:
    from matplotlib.axes import Axes

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

INSTALL_HINT = "pip install '.[report]' in the checkout (the 'report' extra)"
MAX_SERIES = 20
"""At most this many entries are drawn in a chart (the best placed)."""

MS_PER_HOUR = 3_600_000

Advance = Callable[[str], None]
"""Called once per step of the work with what was just done (for a progress bar)."""


class MissingDependencyError(RallyError):
    """An optional dependency the command needs is not installed."""


def require_matplotlib() -> None:
    """Raise ``MissingDependencyError`` (one line, with the pip command) without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            f"the report draws its charts with matplotlib, which is not installed: {INSTALL_HINT}"
        ) from None


# ---------------------------------------------------------------------- chart data


@attrs.frozen
class Series:
    """One entry's line in the charts: its position and gap after each plotted stage."""

    entry_id: str
    label: str
    positions: tuple[int | None, ...]
    certain: tuple[bool, ...]
    gaps_ms: tuple[int | None, ...]


def chart_series(snapshots: Sequence[Standings], *, limit: int = MAX_SERIES) -> tuple[Series, ...]:
    """The entries the data classifies, each with its position and gap per snapshot.

    Entries classified after the last snapshot come first, in its order; then
    the others, by best position reached. ``None`` where not classified.
    """
    stages = len(snapshots)
    rows: dict[str, dict[int, Row]] = {}
    for index, standings in enumerate(snapshots):
        for row in standings.rows:
            rows.setdefault(row.entry_id, {})[index] = row
    final = [row.entry_id for row in snapshots[-1].rows] if snapshots else []
    others = sorted(
        (entry_id for entry_id in rows if entry_id not in set(final)),
        key=lambda e: (min(r.position for r in rows[e].values()), -len(rows[e]), e),
    )
    out = []
    for entry_id in [*final, *others][:limit]:
        by_stage = rows[entry_id]
        some = next(iter(by_stage.values()))
        out.append(
            Series(
                entry_id=entry_id,
                label=f"{some.number} {driver(some.crew)}" if some.number else driver(some.crew),
                positions=tuple(
                    by_stage[i].position if i in by_stage else None for i in range(stages)
                ),
                certain=tuple(
                    by_stage[i].position_certain if i in by_stage else True for i in range(stages)
                ),
                gaps_ms=tuple(
                    (by_stage[i].gap_ms or 0) if i in by_stage else None for i in range(stages)
                ),
            )
        )
    return tuple(out)


# ---------------------------------------------------------------------- charts

_PALETTE = (
    "#1f5fa8",
    "#e08a0b",
    "#2e8b57",
    "#7b4fb0",
    "#8c5a3c",
    "#d1499b",
    "#5f6b7a",
    "#9aa51a",
    "#1ba3b8",
    "#34386e",
    "#5d7a2a",
    "#b07d2b",
    "#6e2f6b",
    "#3f8fd2",
    "#f0a24a",
    "#55b07a",
    "#9e7fd0",
    "#b58b6f",
    "#e488c2",
    "#96a0ad",
)
_HIGHLIGHT = "#c8102e"


def _colors(series: Sequence[Series], highlight: str | None) -> dict[str, str]:
    colors: dict[str, str] = {}
    index = 0
    for item in series:
        if item.entry_id == highlight:
            colors[item.entry_id] = _HIGHLIGHT
        else:
            colors[item.entry_id] = _PALETTE[index % len(_PALETTE)]
            index += 1
    return colors


def _spread(
    values: list[tuple[float, int]], gap: float, low: float, high: float
) -> dict[int, float]:
    """Label heights at least ``gap`` apart within [low, high], each near its point."""
    ordered = sorted(values)
    if not ordered:
        return {}
    gap = min(gap, (high - low) / max(len(ordered) - 1, 1))
    heights = [value for value, _ in ordered]
    for index in range(1, len(heights)):  # push down what overlaps the label above
        heights[index] = max(heights[index], heights[index - 1] + gap)
    heights[-1] = min(heights[-1], high)
    for index in range(len(heights) - 2, -1, -1):  # then up what went past the bottom
        heights[index] = min(heights[index], heights[index + 1] - gap)
    heights[0] = max(heights[0], low)
    return {key: height for (_, key), height in zip(ordered, heights, strict=True)}


@attrs.frozen
class ChartSpec:
    """What one chart shows: the id (SVG ids and the page's data attributes), the data."""

    chart_id: str
    kind: Literal["positions", "gaps"]
    stages: tuple[int, ...]
    series: tuple[Series, ...]
    colors: dict[str, str]
    leader: str | None
    """The entry drawn emphasised (the leader after the last stage)."""
    cancelled: tuple[int, ...] = ()
    title: str = ""
    width: float = 11.0
    height: float = 4.6


def _draw(spec: ChartSpec, ax: Axes) -> None:
    xs = list(spec.stages)
    y_label_values: list[tuple[float, int]] = []
    curves = [
        [
            math.nan if v is None else float(v)
            for v in (
                item.positions
                if spec.kind == "positions"
                else [None if g is None else g / MS_PER_HOUR for g in item.gaps_ms]
            )
        ]
        for item in spec.series
    ]
    highest = max((y for ys in curves for y in ys if not math.isnan(y)), default=1.0)
    near = 0.6 if spec.kind == "positions" else max(highest, 0.1) * 0.05
    side_labels: list[tuple[float, float]] = []
    for index, item in enumerate(spec.series):
        ys = curves[index]
        lead = item.entry_id == spec.leader
        color = spec.colors.get(item.entry_id, "#777777")
        (line,) = ax.plot(
            xs,
            ys,
            color=color,
            linewidth=3.2 if lead else 1.5,
            marker="o",
            markersize=5.5 if lead else 4,
            alpha=1.0 if lead else 0.88,
            zorder=10 if lead else 3,
            solid_capstyle="round",
        )
        line.set_gid(f"{spec.chart_id}-series-{index}")
        if spec.kind == "positions":
            unsure = [(x, y) for x, y, ok in zip(xs, ys, item.certain, strict=True) if not ok]
            if unsure:
                (marks,) = ax.plot(
                    [x for x, _ in unsure],
                    [y for _, y in unsure],
                    linestyle="none",
                    marker="o",
                    markersize=7,
                    markerfacecolor="white",
                    markeredgecolor=color,
                    markeredgewidth=1.6,
                    zorder=11,
                )
                marks.set_gid(f"{spec.chart_id}-uncertain-{index}")
        last = max((i for i, y in enumerate(ys) if not math.isnan(y)), default=None)
        if last is None:
            continue
        if last == len(xs) - 1:
            y_label_values.append((ys[last], index))
        else:
            crowded = sum(
                1 for x, y in side_labels if abs(x - xs[last]) < 2 and abs(y - ys[last]) < near
            )
            side_labels.append((xs[last], ys[last]))
            ax.annotate(
                item.label,
                (xs[last], ys[last]),
                xytext=(4, 5 - 9 * crowded),
                textcoords="offset points",
                fontsize=7,
                color=color,
                fontstyle="italic",
                zorder=12,
            )
    for stage in spec.cancelled:
        if stage in spec.stages:
            ax.axvspan(stage - 0.45, stage + 0.45, color="#eceff3", zorder=0, linewidth=0)
            ax.text(
                stage,
                0.02,
                "cancelled",
                transform=ax.get_xaxis_transform(),
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=7,
                color="#8a93a3",
            )
    if spec.kind == "positions":
        top = max((p for s in spec.series for p in s.positions if p is not None), default=1)
        ax.set_ylim(top + 0.6, 0.4)
        ax.set_yticks(range(1, top + 1) if top <= 20 else range(1, top + 1, max(1, top // 10)))
        ax.set_ylabel("position (1 = leader)")
    else:
        ax.invert_yaxis()
        ax.set_ylabel("gap to the leader (hours)")
    low, high = sorted(ax.get_ylim())
    gap = (high - low) * 0.045
    finals = {key: value for value, key in y_label_values}
    for index, y in _spread(y_label_values, gap, low, high).items():
        item = spec.series[index]
        lead = item.entry_id == spec.leader
        final_y = finals[index]
        ax.annotate(
            item.label,
            (xs[-1], float(final_y)),
            xytext=(xs[-1] + 0.35, y),
            textcoords="data",
            fontsize=8,
            fontweight="bold" if lead else "normal",
            color=spec.colors.get(item.entry_id, "#777777"),
            va="center",
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": "#c5cbd5", "linewidth": 0.6}
            if abs(y - float(final_y)) > gap / 4
            else None,
        )
    ax.set_xticks(xs)
    ax.set_xlim(xs[0] - 0.5, xs[-1] + 0.5)
    ax.set_xlabel("after stage")
    ax.grid(axis="y", color="#e3e7ee", linewidth=0.8)
    ax.grid(axis="x", color="#f0f2f6", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#9aa3b2")
    if spec.title:
        ax.set_title(spec.title, loc="left", fontsize=10, fontweight="bold", color="#1d2330")


def render_chart(spec: ChartSpec, *, standalone: bool = False) -> str:
    """The chart as SVG markup to inline in a page, or (``standalone``) as an SVG file.

    Deterministic: no date in the metadata, and the ids matplotlib generates are
    hashes salted with the chart id (unique within a page).
    """
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(
        {
            "svg.hashsalt": spec.chart_id,
            "svg.fonttype": "none",
            "font.family": ["sans-serif"],
            "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "Liberation Sans"],
            "font.size": 9,
            "axes.labelcolor": "#4a5366",
            "xtick.color": "#4a5366",
            "ytick.color": "#4a5366",
        }
    ):
        figure = Figure(figsize=(spec.width, spec.height), dpi=96)
        FigureCanvasSVG(figure)
        ax = figure.add_subplot()
        right = 1 - 2.1 / spec.width
        figure.subplots_adjust(left=0.7 / spec.width, right=right, top=0.9, bottom=0.12)
        if not spec.series or not spec.stages:
            ax.text(0.5, 0.5, "No entry is classified.", ha="center", transform=ax.transAxes)
            ax.set_axis_off()
        else:
            _draw(spec, ax)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _scope_ids(buffer.getvalue(), spec.chart_id)
    if standalone:
        return svg
    return svg[svg.index("<svg") :].strip()


def _scope_ids(svg: str, prefix: str) -> str:
    """Prefix matplotlib's ids (``figure_1``, ``axes_1``…) so they are unique in a page."""
    ids = set(re.findall(r'\sid="([^"]+)"', svg))

    def scoped(ident: str) -> str:
        return ident if ident.startswith(f"{prefix}-") else f"{prefix}-{ident}"

    svg = re.sub(r'(\sid=")([^"]+)"', lambda m: f'{m[1]}{scoped(m[2])}"', svg)
    svg = re.sub(
        r"url\(#([^)]+)\)",
        lambda m: f"url(#{scoped(m[1])})" if m[1] in ids else m[0],
        svg,
    )
    return re.sub(
        r'(href=")#([^"]+)"',
        lambda m: f'{m[1]}#{scoped(m[2])}"' if m[2] in ids else m[0],
        svg,
    )


# ---------------------------------------------------------------------- the data of a page


@attrs.frozen
class Hypothesis:
    """A what-if question: the ``whatif`` command's options."""

    penalties: tuple[str, ...] = ()
    rescind: tuple[str, ...] = ()
    results: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.penalties or self.rescind or self.results)


@attrs.frozen
class _View:
    """One category of one rally (actual or hypothetical), as the page shows it."""

    rally: Rally
    category: str
    snapshots: tuple[Standings, ...]
    stage_results: tuple[StageResult, ...]
    listings: tuple[PenaltyListing, ...]
    cancelled: tuple[tuple[int, int, str, int | None], ...]
    """(stage, seq, reason, awarded ms) for each stage cancelled for the category."""
    schedule: dict[int, StageScheduled]

    @property
    def final(self) -> Standings:
        return self.snapshots[-1]

    def snapshot(self, stage: int) -> Standings | None:
        return next((s for s in self.snapshots if s.after_stage == stage), None)


def _view(rally: Rally, category: str, snapshots: Sequence[Standings], as_of: int | None) -> _View:
    base = rally.as_of(as_of)
    schedule = {
        record.event.stage: record.event
        for record in base.records
        if isinstance(record.event, StageScheduled)
    }
    stage_results = tuple(
        base.stage_result(category, stage)
        for stage in base.stages()
        if stage in schedule and schedule[stage].kind_for(category) != StageKind.LIAISON
    )
    cancelled = tuple(
        (state.event.stage, state.seq, state.event.reason, state.event.awarded_ms)
        for state in base.fold.cancellations(category)
    )
    return _View(
        rally=base,
        category=category,
        snapshots=tuple(snapshots),
        stage_results=stage_results,
        listings=penalties(base, category),
        cancelled=cancelled,
        schedule=schedule,
    )


# ---------------------------------------------------------------------- HTML helpers


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _pos_cell(position: int, certain: bool) -> str:
    if certain:
        return f'<td class="num pos">{position}</td>'
    return (
        f'<td class="num pos uncertain" title="at least {position}th: the source prints only '
        f'the leading rows">≥{position}</td>'
    )


def _move_cell(item: Move) -> str:
    return f'<td class="move {item.kind}" title="{_e(item.title)}">{_e(item.text)}</td>'


def _stage_route(event: StageScheduled | None) -> str:
    if event is None:
        return ""
    route = " → ".join(part for part in (event.start, event.finish) if part)
    parts = [event.date or "", route, f"{event.distance_km} km" if event.distance_km else ""]
    return " · ".join(part for part in parts if part)


def _table(
    headers: Sequence[tuple[str, str]], body: Iterable[str], *, caption: str = "", cls: str = ""
) -> str:
    head = "".join(f'<th scope="col" class="{c}">{_e(h)}</th>' for h, c in headers)
    cap = f"<caption>{caption}</caption>" if caption else ""
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<div class="table-wrap"><table{klass}>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _crew_cells(crew: tuple[Person, ...], make: str | None, *, compact: bool) -> str:
    if compact:
        return f'<td title="{_e(crew_text(crew))}">{_e(crew[0].name)}</td>'
    return f'<td>{_e(crew_text(crew))}</td><td class="make">{_e(make or "")}</td>'


def _standings_table(
    standings: Standings,
    previous: Standings | None,
    *,
    caption: str = "",
    was_label: str = "",
    compact: bool = False,
) -> str:
    """A GC table; ``previous``: the earlier GC (moves), or with ``was_label`` the actual one.

    ``compact``: the driver only (the crew in a tooltip) and no make, for two tables abreast.
    """
    before = {row.entry_id: row for row in previous.rows} if previous is not None else {}
    headers: list[tuple[str, str]] = [("Pos", "num")]
    if was_label:
        headers.append((was_label, "num"))
    moves = previous is not None
    headers += [("Move", "move")] if moves else []
    headers += [("No.", "num")]
    headers += [("Driver", "")] if compact else [("Crew", ""), ("Make", "")]
    headers += [("Time", "num"), ("Gap", "num")]
    body = []
    for index, row in enumerate(standings.rows):
        was = before.get(row.entry_id)
        cells = [_pos_cell(row.position, row.position_certain)]
        if was_label:
            cells.append(
                '<td class="num">-</td>'
                if was is None
                else _pos_cell(was.position, was.position_certain)
            )
        if moves:
            cells.append(_move_cell(move(was, row)))
        cells += [
            f'<td class="num">{_e(row.number or "-")}</td>',
            _crew_cells(row.crew, row.make, compact=compact),
            f'<td class="num">{_e(format_time(row.time_ms))}</td>',
            f'<td class="num">{_e(gap_text(row.gap_ms))}</td>',
        ]
        klass = ' class="leader"' if index == 0 else ""
        body.append(f"<tr{klass}>{''.join(cells)}</tr>")
    if not standings.rows:
        return '<p class="empty">No entry is classified.</p>'
    return _table(headers, body, caption=caption, cls="standings")


_MOVE_LEGEND = (
    '<p class="small legend-move">Move: places gained <span class="up">▲</span> or lost '
    '<span class="down">▼</span> since the stage before; = the same place; – not classified '
    "after the stage before; ? a position is uncertain (≥N), so the move is not known.</p>"
)


def _unclassified(standings: Standings) -> str:
    if not standings.unclassified:
        return ""
    items = "".join(
        f"<li><b>{_e(item.number or '-')}</b> {_e(crew_text(item.crew))}: {_e(item.reason)}</li>"
        for item in standings.unclassified
    )
    return (
        f'<details class="unclassified"><summary>Not classified after stage '
        f"{standings.after_stage} ({len(standings.unclassified)})</summary>"
        f'<ul class="compact">{items}</ul></details>'
    )


def _stage_table(result: StageResult) -> str:
    if result.cancelled_reason is not None:
        awarded = (
            "no time awarded"
            if result.awarded_ms is None
            else f"{format_time(result.awarded_ms)} awarded to every crew still in the rally"
        )
        return f'<p class="cancel">Cancelled: {_e(result.cancelled_reason)} ({_e(awarded)}).</p>'
    if not result.rows and not result.combined:
        return '<p class="empty">No result recorded for this stage.</p>'
    body = []
    for row in result.rows:
        body.append(
            "<tr>"
            + _pos_cell(row.position, row.position_certain)
            + f'<td class="num">{_e(row.number or "-")}</td>'
            + _crew_cells(row.crew, None, compact=True)
            + f'<td class="num">{_e(format_time(row.time_ms))}</td>'
            + f'<td class="num">{_e(gap_text(row.gap_ms))}</td>'
            + f'<td class="num">{_e(format_signed(row.penalty_ms) if row.penalty_ms else "")}</td>'
            + "</tr>"
        )
    out = (
        _table(
            [
                ("Pos", "num"),
                ("No.", "num"),
                ("Driver", ""),
                ("Time", "num"),
                ("Gap", "num"),
                ("Penalty", "num"),
            ],
            body,
            caption=f"Stage {result.stage} ranking",
            cls="stage",
        )
        if body
        else ""
    )
    if result.combined:
        items = "".join(
            f"<li><b>{_e(c.number or '-')}</b> {_e(crew_text(c.crew))}: "
            f"{_e(format_time(c.time_ms))} over stages {c.first_stage}–{c.stage}</li>"
            for c in result.combined
        )
        out += (
            '<p class="small">Combined times ending at this stage (the source gives only '
            f'their sum):</p><ul class="compact">{items}</ul>'
        )
    return out


_PROVENANCE = {
    "printed": "printed in the source",
    "derived": "derived from printed numbers",
    "note": "stated in a note of the source",
    "erratum": "corrected by an erratum: the printed value is proved wrong",
    "recorded": "recorded by an official",
    "hypothetical": "hypothetical: not a fact",
    "synthetic": "generated",
}


def _badge(kind: str) -> str:
    title = _e(_PROVENANCE.get(kind, kind))
    return f'<span class="badge {_e(kind)}" title="{title}">{_e(kind)}</span>'


def _component_row(part: Component) -> str:
    amount = format_signed(part.time_ms) if part.kind == "penalty" else format_time(part.time_ms)
    recorded = (
        f' <span class="small">(first recorded {_e(format_time(part.recorded_ms))})</span>'
        if part.recorded_ms is not None
        else ""
    )
    stage = f"{part.first_stage}–{part.stage}" if part.first_stage is not None else str(part.stage)
    detail = part.provenance.detail or ""
    return (
        f'<tr class="{_e(part.kind)}"><td class="num">{_e(stage)}</td>'
        f"<td>{_e(part.note)}{recorded}</td>"
        f'<td class="num">{_e(amount)}</td>'
        f'<td>{_badge(str(part.provenance.kind))} <span class="source">{_e(detail)}</span></td>'
        f'<td class="num small">{part.seq}</td></tr>'
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _makeup(standings: Standings) -> str:
    if not standings.rows:
        return ""
    blocks = []
    for row in standings.rows:
        kinds: list[str] = [part.kind for part in row.components]
        counts = ", ".join(
            _plural(kinds.count(kind), label)
            for kind, label in (
                ("result", "result"),
                ("penalty", "penalty"),
                ("awarded", "awarded time"),
            )
            if kinds.count(kind)
        )
        sources = sorted({str(part.provenance.kind) for part in row.components})
        body = [_component_row(part) for part in row.components]
        body.append(
            f'<tr class="total"><td></td><td>Total</td>'
            f'<td class="num">{_e(format_time(row.time_ms))}</td><td></td><td></td></tr>'
        )
        pos = row.position_text
        blocks.append(
            f'<details class="makeup" data-entry="{_e(row.number or row.entry_id)}">'
            f'<summary><span class="pos-chip">{_e(pos)}</span> '
            + (f"No. <b>{_e(row.number)}</b> " if row.number else "")
            + f"{_e(crew_text(row.crew))} · "
            f"{_e(format_time(row.time_ms))} "
            f'<span class="small">({_e(counts)}; {" ".join(_badge(s) for s in sources)})'
            f"</span></summary>"
            + _table(
                [("Stage", "num"), ("What", ""), ("Time", "num"), ("Source", ""), ("Seq", "num")],
                body,
            )
            + "</details>"
        )
    legend = "".join(
        f"<li>{_badge(kind)} {_e(text)}</li>"
        for kind, text in _PROVENANCE.items()
        if kind not in ("synthetic",)
    )
    return f'<ul class="legend inline">{legend}</ul>' + "".join(blocks)


def _timeline(view: _View) -> str:
    items: list[tuple[int, int, str]] = []
    for listing in view.listings:
        event = listing.state.event
        scope = "GC only" if event.gc_only else "stage and GC"
        who = f"{_e(listing.number or '-')} {_e(crew_text(listing.crew))}"
        amount = _e(format_signed(event.amount_ms))
        kind = "bonus" if event.amount_ms < 0 else "penalty"
        status = ""
        klass = "penalty"
        if not listing.state.in_force:
            klass = "penalty rescinded"
            amount = f"<del>{amount}</del>"
            status = (
                f' <span class="rescinded-note">Rescinded (log seq '
                f"{listing.state.rescinded_seq}): {_e(listing.state.rescinded_reason or '')}"
                "</span>"
            )
        hypothetical = (
            ' <span class="badge hypothetical">hypothetical</span>'
            if str(event.provenance.kind) == "hypothetical"
            else ""
        )
        items.append(
            (
                event.stage,
                listing.state.seq,
                f'<li class="{klass}"><span class="when">Stage {event.stage}</span> '
                f'<span class="what">{kind.capitalize()} {amount}</span> for <b>{who}</b> '
                f"({scope}): {_e(event.reason)}{hypothetical}{status} "
                f'<span class="small">· {_e(event.penalty_id)} · log seq {listing.state.seq}'
                "</span></li>",
            )
        )
    for stage, seq, reason, awarded in view.cancelled:
        award = (
            "no time awarded: the stage does not count"
            if awarded is None
            else f"<b>{_e(format_time(awarded))}</b> awarded to every crew still in the rally"
        )
        items.append(
            (
                stage,
                seq,
                f'<li class="cancel"><span class="when">Stage {stage}</span> '
                f'<span class="what">Cancelled</span>: {_e(reason)}; {award} '
                f'<span class="small">· log seq {seq}</span></li>',
            )
        )
    for result in view.stage_results:
        for item in result.retired:
            items.append(
                (
                    result.stage,
                    0,
                    f'<li class="retired"><span class="when">Stage {result.stage}</span> '
                    f'<span class="what">Out</span>: <b>{_e(item.number or "-")} '
                    f"{_e(crew_text(item.crew))}</b>, {_e(item.reason)}</li>",
                )
            )
    if not items:
        return (
            '<p class="empty">No penalty, cancellation or retirement is recorded for '
            f"{_e(view.category)}.</p>"
        )
    items.sort(key=lambda item: (item[0], item[1]))
    return '<ol class="timeline">' + "".join(text for _, _, text in items) + "</ol>"


def _stage_winners(view: _View) -> str:
    body = []
    for result in view.stage_results:
        route = _e(_stage_route(view.schedule.get(result.stage)))
        kind = "" if result.kind == StageKind.SPECIAL else f" ({result.kind}, not counted)"
        if result.cancelled_reason is not None:
            award = (
                ""
                if result.awarded_ms is None
                else f"; {format_time(result.awarded_ms)} awarded to all"
            )
            winner, time, note = "—", "", f"cancelled{award}"
        else:
            winners = [row for row in result.rows if row.position == 1]
            if winners:
                winner = "<br>".join(
                    f"<b>{_e(row.number or '-')}</b> {_e(crew_text(row.crew))}" for row in winners
                )
                time = _e(format_time(winners[0].time_ms))
                note = "tie" if len(winners) > 1 else ""
            else:
                winner, time, note = "—", "", "no stage time recorded"
        body.append(
            f'<tr><td class="num">{result.stage}</td><td class="small">{route}</td>'
            f'<td>{winner}</td><td class="num">{time}</td>'
            f'<td class="small">{_e(note)}{_e(kind)}</td></tr>'
        )
    return _table(
        [("Stage", "num"), ("Date · route", ""), ("Winner", ""), ("Time", "num"), ("", "")],
        body,
        cls="winners",
    )


def _stage_by_stage(view: _View, actual: _View | None) -> str:
    blocks = []
    previous: Standings | None = None
    for result in view.stage_results:
        standings = view.snapshot(result.stage)
        winners = [row for row in result.rows if row.position == 1]
        if result.cancelled_reason is not None:
            headline = "cancelled"
        elif winners:
            headline = "won by " + ", ".join(who(r.number, r.crew) for r in winners)
        else:
            headline = "no stage time"
        if standings is not None and standings.leader is not None:
            headline += f" · GC leader {who(standings.leader.number, standings.leader.crew)}"
        gc = ""
        if standings is not None:
            if actual is not None:
                real = actual.snapshot(result.stage)
                gc = _standings_table(
                    standings,
                    real,
                    caption=f"Hypothetical GC after stage {result.stage} (Was: actual)",
                    was_label="Was",
                    compact=True,
                )
            else:
                gc = _standings_table(
                    standings,
                    previous,
                    caption=f"General classification after stage {result.stage}",
                    compact=True,
                )
            gc += _unclassified(standings)
            previous = standings
        route = _stage_route(view.schedule.get(result.stage))
        blocks.append(
            f'<details class="stage" id="{_e(view.category)}-stage-{result.stage}">'
            f"<summary><b>Stage {result.stage}</b>"
            f"{' · ' + _e(route) if route else ''}"
            f'<span class="headline">{_e(headline)}</span></summary>'
            f'<div class="abreast"><div>{_stage_table(result)}</div><div>{gc}</div></div>'
            "</details>"
        )
    return "".join(blocks)


def _leaders_text(snapshots: Sequence[Standings]) -> str:
    runs: list[tuple[str, int, int]] = []
    for standings in snapshots:
        leader = standings.leader
        if leader is None:
            continue
        name = leader.crew[0].name
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1], standings.after_stage)
        else:
            runs.append((name, standings.after_stage, standings.after_stage))
    return " · ".join(
        f"{name} (stage {a})" if a == b else f"{name} (stages {a}–{b})" for name, a, b in runs
    )


def _last_stage(view: _View) -> int:
    return max((result.stage for result in view.stage_results), default=0)


def _facts(view: _View) -> str:
    final = view.final
    facts: list[tuple[str, str]] = []
    leader = final.leader
    if leader is not None:
        facts.append(
            (
                "Winner"
                if final.after_stage == _last_stage(view)
                else f"Leader after stage {final.after_stage}",
                (f"No. {_e(leader.number)} " if leader.number else "")
                + f"<b>{_e(crew_text(leader.crew))}</b>"
                + (f" · {_e(leader.make)}" if leader.make else "")
                + f" · {_e(format_time(leader.time_ms))}",
            )
        )
        if len(final.rows) > 1:
            second = final.rows[1]
            facts.append(
                (
                    "Margin",
                    f"<b>{_e(format_time(second.gap_ms or 0))}</b> over {_e(second.crew[0].name)}",
                )
            )
    facts.append(("Leader after each stage", _e(_leaders_text(view.snapshots))))
    wins: dict[str, int] = {}
    for result in view.stage_results:
        if result.cancelled_reason is None and result.kind == StageKind.SPECIAL:
            for row in result.rows:
                if row.position == 1:
                    name = row.crew[0].name
                    wins[name] = wins.get(name, 0) + 1
    if wins:
        ranked = sorted(wins.items(), key=lambda kv: (-kv[1], kv[0]))
        facts.append(("Stage wins", _e(" · ".join(f"{n} ×{c}" for n, c in ranked))))
    kinds = [result.kind for result in view.stage_results]
    cancelled = {stage for stage, _, _, _ in view.cancelled}
    specials = sum(
        1
        for result in view.stage_results
        if result.kind == StageKind.SPECIAL and result.stage not in cancelled
    )
    parts = [_plural(specials, "timed special")]
    if kinds.count(StageKind.PROLOGUE):
        parts.insert(0, _plural(kinds.count(StageKind.PROLOGUE), "prologue"))
    if cancelled:
        parts.append(f"{len(cancelled)} cancelled")
    facts.append(
        (
            "Stages",
            _e(f"{len(view.stage_results)}: {', '.join(parts)}"),
        )
    )
    return (
        '<dl class="facts">'
        + "".join(f"<div><dt>{_e(k)}</dt><dd>{v}</dd></div>" for k, v in facts)
        + "</dl>"
    )


def _partial_note(snapshots: Sequence[Standings]) -> str:
    unsure = sum(1 for s in snapshots for row in s.rows if not row.position_certain)
    partial = [s for s in snapshots if s.known_rows is not None]
    if not partial and not unsure:
        return ""
    counts: dict[int, int] = {}
    for standings in partial:
        if standings.known_rows is not None:
            counts[standings.known_rows] = counts.get(standings.known_rows, 0) + 1
    tops = ", ".join(
        f"the top {known} after {_plural(count, 'stage')}"
        for known, count in sorted(counts.items())
    )
    return (
        '<aside class="partial" role="note"><b>Partial data.</b> The source prints only the '
        f"leading rows of the general classification ({_e(tops)}). "
        "A position beyond them is a lower bound, shown as "
        '<span class="uncertain">≥N</span> (at least N-th: that many crews known to the log '
        "are ahead) and drawn as a hollow marker; a crew whose time after a stage is not known "
        "is not classified there, and the charts draw it only where it is classified "
        f"({_plural(unsure, 'uncertain position')} in all).</aside>"
    )


# ---------------------------------------------------------------------- charts of a view


def _figure(svg: str, spec: ChartSpec, caption: str) -> str:
    label = f"{spec.title or spec.kind} chart, {len(spec.series)} series"
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_e(label)}" ', 1)
    return (
        f'<figure class="chart" data-chart="{_e(spec.chart_id)}" data-kind="{spec.kind}" '
        f'data-series="{len(spec.series)}">{svg}<figcaption>{caption}</figcaption></figure>'
    )


def _charts(
    view: _View,
    series: tuple[Series, ...],
    colors: dict[str, str],
    *,
    suffix: str,
    title_prefix: str,
    width: float,
    advance: Advance,
) -> tuple[str, str]:
    plotted = len(series)
    total = len({row.entry_id for s in view.snapshots for row in s.rows})
    left_out = (
        f" The {plotted} best placed of the {total} entries the data classifies are drawn."
        if total > plotted
        else ""
    )
    out = []
    for kind, caption in (
        (
            "positions",
            "Position in the general classification after each stage; the leader after "
            "the last stage is drawn thick. Lines break where an entry is not classified "
            "(its time after that stage is not known); hollow markers: position uncertain "
            "(at least that place)." + left_out,
        ),
        (
            "gaps",
            "Time behind the leader of the general classification, in hours, after each "
            "stage." + left_out,
        ),
    ):
        spec = _chart_spec(
            view,
            series,
            colors,
            "positions" if kind == "positions" else "gaps",
            chart_id=f"{view.category}-{kind}{suffix}",
            title_prefix=title_prefix,
            width=width,
        )
        out.append(_figure(render_chart(spec), spec, _e(caption)))
        advance(f"{view.category}: {kind} chart{suffix.replace('-', ' ')}")
    return out[0], out[1]


_CHART_TITLES = {
    "positions": "Position after each stage",
    "gaps": "Gap to the leader after each stage",
}


def _chart_spec(
    view: _View,
    series: tuple[Series, ...],
    colors: dict[str, str],
    kind: Literal["positions", "gaps"],
    *,
    chart_id: str,
    title_prefix: str = "",
    width: float = 11.0,
) -> ChartSpec:
    leader = view.final.leader.entry_id if view.final.leader is not None else None
    return ChartSpec(
        chart_id=chart_id,
        kind=kind,
        stages=tuple(s.after_stage for s in view.snapshots),
        series=series,
        colors=colors,
        leader=leader,
        cancelled=tuple(stage for stage, _, _, awarded in view.cancelled if awarded is None),
        title=title_prefix + _CHART_TITLES[kind],
        width=width,
        height=4.6 if kind == "positions" else 4.0,
    )


def chart_svg(
    rally: Rally,
    category: str,
    kind: Literal["positions", "gaps"],
    *,
    as_of: int | None = None,
) -> str:
    """One chart of the report as a standalone SVG file (``standings report --chart``)."""
    view = _view(rally, category, rally.replay(category, as_of=as_of), as_of)
    series = chart_series(view.snapshots)
    leader = view.final.leader.entry_id if view.final.leader is not None else None
    spec = _chart_spec(
        view,
        series,
        _colors(series, leader),
        kind,
        chart_id=f"{category}-{kind}",
        title_prefix=f"{view.rally.name} · {category} · ",
    )
    return render_chart(spec, standalone=True)


# ---------------------------------------------------------------------- pages


def _category_section(view: _View, advance: Advance) -> str:
    series = chart_series(view.snapshots)
    leader = view.final.leader.entry_id if view.final.leader is not None else None
    colors = _colors(series, leader)
    positions, gaps = _charts(
        view, series, colors, suffix="", title_prefix="", width=11.0, advance=advance
    )
    previous = view.snapshots[-2] if len(view.snapshots) > 1 else None
    final = view.final
    name = view.category.capitalize()
    section = (
        f'<section class="category" id="{_e(view.category)}">'
        f"<h2>{_e(name)}</h2>"
        + _facts(view)
        + positions
        + gaps
        + _partial_note(view.snapshots)
        + f'<h3 id="{_e(view.category)}-final">Standings after stage {final.after_stage}</h3>'
        + _standings_table(
            final,
            previous,
            caption=f"General classification after stage {final.after_stage}; moves against "
            f"stage {previous.after_stage if previous else final.after_stage}",
        )
        + _MOVE_LEGEND
        + _unclassified(final)
        + f'<h3 id="{_e(view.category)}-stages">Stage by stage</h3>'
        + '<p class="small">Open a stage for its ranking and the general classification '
        "after it, with each crew's move since the stage before.</p>"
        + _stage_by_stage(view, None)
        + f'<h3 id="{_e(view.category)}-winners">Stage winners</h3>'
        + _stage_winners(view)
        + f'<h3 id="{_e(view.category)}-timeline">Penalties, cancellations and retirements</h3>'
        + _timeline(view)
        + f'<h3 id="{_e(view.category)}-makeup">How each time is made up</h3>'
        + '<p class="small">Every part of each classified crew\'s time after stage '
        f"{final.after_stage}, with the log record it comes from and its source.</p>"
        + _makeup(final)
        + "</section>"
    )
    advance(f"{view.category}: tables")
    return section


def _whatif_section(
    actual: _View,
    imagined: _View,
    result: WhatIf,
    comparisons: Sequence[StageComparison],
    advance: Advance,
) -> str:
    series_actual = chart_series(actual.snapshots)
    series_imagined = chart_series(imagined.snapshots)
    ids = [s.entry_id for s in series_actual] + [
        s.entry_id for s in series_imagined if s.entry_id not in {a.entry_id for a in series_actual}
    ]
    winner = actual.final.leader.entry_id if actual.final.leader is not None else None
    colors: dict[str, str] = {}
    index = 0
    for entry_id in ids:
        if entry_id == winner:
            colors[entry_id] = _HIGHLIGHT
        else:
            colors[entry_id] = _PALETTE[index % len(_PALETTE)]
            index += 1
    a_pos, a_gap = _charts(
        actual,
        series_actual,
        colors,
        suffix="-actual",
        title_prefix="Actual: ",
        width=6.4,
        advance=advance,
    )
    h_pos, h_gap = _charts(
        imagined,
        series_imagined,
        colors,
        suffix="-hypothetical",
        title_prefix="Hypothesis: ",
        width=6.4,
        advance=advance,
    )
    hypothesis = "".join(f"<li>{_e(text)}</li>" for text in result.labels)
    headline_class = "headline lead-change" if result.leader_changed else "headline"
    leaders = []
    for item in comparisons:
        real = item.comparison.actual.leader
        fancy = item.comparison.hypothetical.leader
        changed = item.comparison.leader_changed
        leaders.append(
            ('<tr class="changed">' if changed else "<tr>") + f'<td class="num">{item.stage}</td>'
            f"<td>{_e(who(real.number, real.crew) if real else '-')}</td>"
            f"<td>{_e(who(fancy.number, fancy.crew) if fancy else '-')}</td>"
            f"<td>{'lead changes' if changed else ''}</td></tr>"
        )
    category = actual.category
    final_rows = []
    for index_row, entry in enumerate(result.rows):
        row = entry.row
        was = (
            '<td class="num">-</td>'
            if entry.actual_position is None
            else f'<td class="num">{entry.actual_position}</td>'
        )
        change = entry.position_change
        mv = (
            Move("new")
            if entry.actual_position is None
            else Move("up", change)
            if change > 0
            else Move("down", -change)
            if change < 0
            else Move("same")
        )
        gap_change = entry.gap_change_ms
        final_rows.append(
            ('<tr class="leader">' if index_row == 0 else "<tr>")
            + _pos_cell(row.position, row.position_certain)
            + was
            + _move_cell(mv)
            + f'<td class="num">{_e(row.number or "-")}</td>'
            + _crew_cells(row.crew, None, compact=True)
            + f'<td class="num">{_e(format_time(row.time_ms))}</td>'
            + f'<td class="num">{_e(gap_text(row.gap_ms))}</td>'
            + f'<td class="num">{_e(format_signed(gap_change) if gap_change else "")}</td></tr>'
        )
    hyp_table = _table(
        [
            ("Pos", "num"),
            ("Was", "num"),
            ("Move", "move"),
            ("No.", "num"),
            ("Driver", ""),
            ("Time", "num"),
            ("Gap", "num"),
            ("Gap change", "num"),
        ],
        final_rows,
        caption=f"Hypothesis: GC after stage {result.hypothetical.after_stage}",
        cls="standings hypothetical",
    )
    section = (
        f'<section class="category whatif" id="{_e(category)}">'
        f"<h2>{_e(category.capitalize())}: what if</h2>"
        f'<div class="hypothesis"><h3>The hypothesis</h3><ul>{hypothesis}</ul>'
        f'<p class="{headline_class}">{_e(result.headline)}</p>'
        '<p class="small">Hypothetical events are checked by the same rules as real ones and '
        "applied in memory; the log is not changed.</p></div>"
        + _partial_note(actual.snapshots)
        + f'<div class="charts pair">{a_pos}{h_pos}</div>'
        + f'<div class="charts pair">{a_gap}{h_gap}</div>'
        + f'<h3 id="{_e(category)}-final">Standings after stage '
        f"{result.hypothetical.after_stage}: actual and hypothetical</h3>"
        + '<div class="abreast">'
        + _standings_table(
            result.actual,
            None,
            caption=f"Actual: GC after stage {result.actual.after_stage}",
            compact=True,
        )
        + hyp_table
        + "</div>"
        + f'<h3 id="{_e(category)}-leaders">Leader after every stage the hypothesis touches</h3>'
        + _table(
            [("Stage", "num"), ("Actual leader", ""), ("Hypothetical leader", ""), ("", "")],
            leaders,
            cls="leaders",
        )
        + f'<h3 id="{_e(category)}-stages">Stage by stage, in the hypothesis</h3>'
        + '<p class="small">Open a stage for its ranking and the hypothetical general '
        "classification after it; <i>Was</i> is the actual position after the same stage.</p>"
        + _stage_by_stage(imagined, actual)
        + f'<h3 id="{_e(category)}-timeline">Penalties, cancellations and retirements, in the '
        "hypothesis</h3>"
        + _timeline(imagined)
        + f'<h3 id="{_e(category)}-makeup">How each time is made up, in the hypothesis</h3>'
        + _makeup(imagined.final)
        + "</section>"
    )
    advance(f"{category}: tables")
    return section


_CSS = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#dde2ea;--soft:#f5f7fa;--accent:#c8102e;
--navy:#14213d;--up:#1a7f37;--down:#c62828;--warm:#fff4d6}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--ink);background:#fff;font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","DejaVu Sans",sans-serif}
header.page{background:var(--navy);color:#fff;padding:1.1rem 0 .9rem}
header.page .wrap,main,footer{max-width:1180px;margin:0 auto;padding:0 1.5rem}
header.page h1{margin:0;font-size:1.75rem;letter-spacing:-.01em}
header.page p{margin:.2rem 0 0;color:#c9d2e3}
header.page nav{margin-top:.6rem;display:flex;flex-wrap:wrap;gap:.4rem}
header.page nav a{color:#fff;text-decoration:none;border:1px solid #3d4b6b;border-radius:999px;
padding:.1rem .75rem;font-size:.9rem}
header.page nav a:hover{background:#26365a}
h2{font-size:1.5rem;margin:2rem 0 .6rem;padding-top:.6rem;border-top:3px solid var(--navy)}
h3{font-size:1.12rem;margin:1.6rem 0 .5rem}
a{color:#1f5fa8}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:.5rem;
margin:.4rem 0 1rem}
.facts div{background:var(--soft);border-radius:8px;padding:.5rem .8rem}
.facts dt{font-size:.75rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.facts dd{margin:0}
aside.partial{border-left:4px solid #e0a800;background:var(--warm);padding:.55rem .9rem;
border-radius:4px;font-size:.92rem;margin:.6rem 0 1rem}
figure.chart{margin:1rem 0 1.4rem}
figure.chart svg{display:block;width:100%;height:auto}
figcaption{font-size:.85rem;color:var(--muted);margin-top:.2rem}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.2rem;align-items:start}
.charts.pair figure.chart{margin:.6rem 0}
.abreast{display:flex;flex-wrap:wrap;gap:.4rem 2rem;align-items:flex-start}
.abreast table{font-size:.86rem}
.abreast th,.abreast td{padding:.2rem .45rem}
td[title]{white-space:nowrap}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.3rem 0 .8rem;
font-size:.92rem}
caption{text-align:left;font-weight:600;padding:.2rem 0;color:var(--muted);font-size:.85rem}
th,td{padding:.22rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
border-bottom:2px solid #c2c9d4}
.num{text-align:right;white-space:nowrap}
td.make{color:var(--muted)}
tr.leader td{font-weight:700;background:var(--warm)}
tr.leader td:first-child{box-shadow:inset 4px 0 0 var(--accent)}
.uncertain{color:var(--muted);font-style:italic}
td.move{white-space:nowrap;text-align:center;font-weight:600}
td.move.up,.up{color:var(--up)}
td.move.down,.down{color:var(--down)}
td.move.same,td.move.new,td.move.unknown{color:#98a1b0;font-weight:400}
tr.total td{font-weight:700;border-top:2px solid #c2c9d4}
tr.penalty td{background:#fff3f3}
tr.awarded td{background:#f1f6ff}
details{border:1px solid var(--line);border-radius:8px;margin:.35rem 0;background:#fff}
details>summary{cursor:pointer;padding:.4rem .8rem}
details[open]>summary{border-bottom:1px solid var(--line);background:var(--soft);
border-radius:8px 8px 0 0}
details>:not(summary){margin-left:.8rem;margin-right:.8rem}
details.stage .abreast{padding:.5rem 0}
summary .headline{color:var(--muted);margin-left:.6rem;font-size:.9rem}
details.unclassified{border-style:dashed;font-size:.88rem}
ul.compact{margin:.3rem 0 .6rem;padding-left:1.2rem;font-size:.88rem}
.small{font-size:.82rem;color:var(--muted)}
.empty{color:var(--muted);font-style:italic}
.cancel{color:#6b4e00}
ol.timeline{list-style:none;padding:0;margin:.4rem 0 1rem;border-left:3px solid var(--line)}
ol.timeline li{position:relative;padding:.3rem .8rem .3rem 1.1rem;margin:0}
ol.timeline li::before{content:"";position:absolute;left:-8px;top:.65rem;width:11px;height:11px;
border-radius:50%;background:#9aa3b2;border:2px solid #fff}
ol.timeline li.penalty::before{background:var(--down)}
ol.timeline li.rescinded::before{background:#fff;border-color:var(--down)}
ol.timeline li.cancel::before{background:#e0a800}
ol.timeline li.retired::before{background:#5f6b7a}
.when{display:inline-block;min-width:5.2rem;font-weight:700}
.what{font-weight:600}
.rescinded-note{color:var(--up);font-weight:600}
del{color:var(--muted)}
.badge{display:inline-block;font-size:.72rem;line-height:1.4;padding:0 .45rem;border-radius:999px;
background:#e9edf3;color:#38414f;white-space:nowrap}
.badge.printed{background:#e3f3e6;color:#1c5b2b}
.badge.derived{background:#e4eefb;color:#1f4f8f}
.badge.erratum{background:#fde9d6;color:#8a4300}
.badge.note{background:#efe6fa;color:#5b2d91}
.badge.hypothetical{background:#fde2e4;color:#9b1020}
.source{font-size:.8rem;color:var(--muted)}
.pos-chip{display:inline-block;min-width:2rem;text-align:center;font-weight:700;background:var(--navy);
color:#fff;border-radius:4px;margin-right:.25rem;font-size:.85rem}
ul.legend.inline{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;
font-size:.82rem;color:var(--muted)}
.hypothesis{background:#fff6f6;border:1px solid #f3c7cb;border-radius:8px;padding:.2rem 1rem .6rem}
.hypothesis h3{margin-top:.6rem}
p.headline{font-size:1.1rem;font-weight:600}
p.headline.lead-change{color:var(--accent)}
tr.changed td{background:#fff0f1;font-weight:600}
footer{margin:3rem auto 2rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);
padding-top:1rem}
@media (max-width:900px){.pair{grid-template-columns:minmax(0,1fr)}}
@media print{
body{font-size:10.5pt}
header.page{background:none;color:#000;padding:0}
header.page p{color:#333}
header.page nav{display:none}
h2{break-before:page}
section.category:first-of-type h2{break-before:auto}
figure.chart,details,tr,aside{break-inside:avoid}
details{border:none}
details>summary{list-style:none;background:none!important;padding-left:0}
details::details-content{content-visibility:visible;display:contents}
a{color:inherit;text-decoration:none}
tr.leader td{background:#eee}
}
"""

_SCRIPT = (
    "window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true;});});"
)


def _page(title: str, subtitle: str, nav: Sequence[tuple[str, str]], body: str, footer: str) -> str:
    links = "".join(f'<a href="#{_e(anchor)}">{_e(text)}</a>' for anchor, text in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="rally-standings">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<header class="page"><div class="wrap"><h1>{_e(title)}</h1><p>{subtitle}</p>'
        f"<nav>{links}</nav></div></header>\n"
        f"<main>\n{body}\n</main>\n"
        f"<footer>{footer}</footer>\n"
        f"<script>{_SCRIPT}</script>\n"
        "</body>\n</html>\n"
    )


def _categories(rally: Rally, wanted: Sequence[str] | None) -> list[str]:
    if not wanted:
        return list(rally.categories)
    out = []
    for category in wanted:
        if category not in rally.categories:
            raise QueryError(
                "unknown category",
                where=rally.source,
                expected="one of " + ", ".join(rally.categories),
                received=category,
            )
        if category not in out:
            out.append(category)
    return out


def _has_results(rally: Rally, category: str) -> bool:
    try:
        rally.default_stage(category)
    except QueryError:
        return False
    return True


def report_steps(rally: Rally, categories: Sequence[str] | None, *, what_if: bool) -> int:
    """How many steps ``build_report`` reports through ``advance`` (for a progress bar)."""
    if what_if:
        return 6  # the actual replay, four charts, the tables
    return 3 * len(_categories(rally, categories))


def _whatif_category(
    rally: Rally, categories: Sequence[str], hypothesis: Hypothesis
) -> tuple[str, tuple[Event, ...]]:
    """The category the hypothesis is about, and its events."""
    candidates: list[tuple[str, tuple[Event, ...]]] = []
    errors: list[RallyError] = []
    owner = {item.state.event.penalty_id: item.category for item in penalties(rally)}
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
    advance: Advance | None = None,
) -> str:
    """The report as one HTML document (a string), per category or for a what-if question."""
    step: Advance = advance or (lambda _done: None)
    base = rally.as_of(as_of)
    wanted = _categories(base, categories)
    known = f" · as known at log seq {as_of} of {rally.last_seq}" if as_of is not None else ""
    source = _e(rally.source)
    footer = (
        f"Generated by <b>rally-standings</b> from the log <code>{source}</code> "
        f"({base.last_seq} events{_e(known)}). Every time on this page comes from folding "
        "the log's events; <code>standings explain</code> gives the same make-up on the "
        'command line. Positions shown as <span class="uncertain">≥N</span> are lower '
        "bounds: the source prints only the leading rows."
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
        actual = _view(rally, category, actual_snaps, as_of)
        imagined = _view(imagined_rally, category, imagined_snaps, None)
        body = _whatif_section(actual, imagined, result, comparisons, step)
        title = f"{base.name} · {category} · what if"
        subtitle = _e(
            "Actual and hypothetical standings side by side: " + "; ".join(result.labels)
        ) + _e(known)
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
    for category in wanted:
        if not _has_results(base, category):
            skipped.append(category)
            for _ in range(3):
                step(f"{category}: no results")
            continue
        snapshots = rally.replay(category, as_of=as_of)
        view = _view(rally, category, snapshots, as_of)
        sections.append(_category_section(view, step))
    if skipped:
        sections.append(
            '<p class="empty">No results recorded yet for: ' + _e(", ".join(skipped)) + ".</p>"
        )
    title = f"{base.name} · standings"
    shown = [c for c in wanted if c not in skipped]
    subtitle = _e(
        f"General classification after every stage for {', '.join(shown) or 'no category'}, "
        f"from {base.last_seq} events{known}"
    )
    nav = [(c, c.capitalize()) for c in shown]
    return _page(title, subtitle, nav, "\n".join(sections), footer)
