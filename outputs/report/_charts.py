"""The report's charts: each crew's position and gap after every stage, drawn by matplotlib.

Only what is known is drawn. A position the source cannot vouch for (``≥N``)
is no point on the position axis, and a line breaks wherever a crew's value
is unknown, so no move is ever invented between a known point and a guess.
Gaps are exact even where positions are not, so the gap chart draws them.
A stage cancelled for the category is shaded; where every crew was awarded
the same time, the chart shows the tie that it is.

Charts are static SVG (no script), each line a group with a ``<title>`` (a
tooltip naming the crew). Each chart is drawn twice: wide for a desktop and
narrow, with larger type, for a phone; the page's CSS shows one of them.
matplotlib is imported only when a chart is drawn.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from ...engine import Row, Standings
from ...events import RallyError
from .._text import driver

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "HIGHLIGHT",
    "INSTALL_HINT",
    "MAX_SERIES",
    "PALETTE",
    "ChartSpec",
    "MissingDependencyError",
    "Series",
    "chart_series",
    "clock_ticks",
    "colors_for",
    "hm",
    "render_chart",
    "require_matplotlib",
    "spread",
]

INSTALL_HINT = "pip install '.[report]' in the checkout (the 'report' extra)"
MAX_SERIES = 20
"""At most this many entries are drawn in a chart (the best placed)."""

MS_PER_MINUTE = 60_000


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
    times_ms: tuple[int | None, ...] = ()
    """The entry's GC time after each stage (for gaps to a chosen crew)."""
    tied: tuple[bool, ...] = ()
    """Whether the entry shared its place with another after each stage (a tie: no order)."""

    @property
    def known_positions(self) -> tuple[int | None, ...]:
        """The positions the data vouches for: None where uncertain or not classified."""
        return tuple(p if ok else None for p, ok in zip(self.positions, self.certain, strict=True))

    def tied_at(self, index: int) -> bool:
        """Whether the entry's place after the ``index``-th stage is shared (a tie)."""
        return bool(self.tied) and self.tied[index]


def chart_series(snapshots: Sequence[Standings], *, limit: int = MAX_SERIES) -> tuple[Series, ...]:
    """The entries the data classifies, each with its position and gap per snapshot.

    Entries classified after the last snapshot come first, in its order; then
    the others, by best position reached. ``None`` where not classified.
    """
    stages = len(snapshots)
    rows: dict[str, dict[int, Row]] = {}
    shared: set[tuple[int, int]] = set()
    """(stage index, position) held by two or more rows."""
    for index, standings in enumerate(snapshots):
        seen: set[int] = set()
        for row in standings.rows:
            rows.setdefault(row.entry_id, {})[index] = row
            if row.position in seen:
                shared.add((index, row.position))
            seen.add(row.position)
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
                times_ms=tuple(
                    by_stage[i].time_ms if i in by_stage else None for i in range(stages)
                ),
                tied=tuple(
                    i in by_stage and (i, by_stage[i].position) in shared for i in range(stages)
                ),
            )
        )
    return tuple(out)


# ---------------------------------------------------------------------- colours

PALETTE = (
    "#9aa51a",  # olive
    "#d1499b",  # magenta
    "#332288",  # indigo
    "#6fc16f",  # light green
    "#f2b701",  # amber
    "#882255",  # wine
    "#7b4fb0",  # purple
    "#88ccee",  # pale blue
    "#ddaa33",  # ochre
    "#1b7f6a",  # pine
    "#34386e",  # navy
    "#66ccee",  # sky
    "#ccbb44",  # sand
    "#2e8b57",  # green
    "#004488",  # deep blue
    "#8d99ae",  # slate
    "#e08a0b",  # orange
    "#ddcc77",  # straw
    "#5fa2e8",  # cornflower
    "#aa4499",  # orchid
)
"""Twenty colours, in the order crews get them by rank: any two within four places of each
other differ clearly (CIELAB ΔE ≥ 25) for normal sight and as seen with deuteranopia,
protanopia and tritanopia, and every one differs from the highlight red and from the
page's white (``tests/test_charts.py`` measures it)."""

HIGHLIGHT = "#c8102e"
"""The colour of the emphasised crew (the winner, or the crew gaps are measured to)."""


def colors_for(entry_ids: Sequence[str], highlight: str | None) -> dict[str, str]:
    """A colour per entry: the highlighted one red, the others the palette in order."""
    colors: dict[str, str] = {}
    index = 0
    for entry_id in entry_ids:
        if entry_id in colors:
            continue
        if entry_id == highlight:
            colors[entry_id] = HIGHLIGHT
        else:
            colors[entry_id] = PALETTE[index % len(PALETTE)]
            index += 1
    return colors


# ---------------------------------------------------------------------- labels and ticks


def spread(
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


def hm(ms: int) -> str:
    """A gap on an axis: ``h:mm`` (``-0:05`` ahead), minutes rounded."""
    minutes = round(abs(ms) / MS_PER_MINUTE)
    sign = "-" if ms < 0 and minutes else ""
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 300, 600, 1200, 3000)


def clock_ticks(low_ms: int, high_ms: int, *, most: int = 7) -> list[int]:
    """Round tick values (whole minutes) covering [low, high], at most ``most`` of them."""
    span = max(high_ms - low_ms, MS_PER_MINUTE)
    step = next(
        (s * MS_PER_MINUTE for s in _STEPS_MIN if span / (s * MS_PER_MINUTE) <= most - 1),
        _STEPS_MIN[-1] * MS_PER_MINUTE,
    )
    first = (low_ms // step) * step
    ticks = []
    value = first
    while value <= high_ms + step:
        ticks.append(value)
        value += step
    return ticks


# ---------------------------------------------------------------------- drawing


@attrs.frozen
class ChartSpec:
    """What one chart shows: the id (SVG ids and the page's data attributes), the data."""

    chart_id: str
    kind: Literal["positions", "gaps", "relative"]
    stages: tuple[int, ...]
    series: tuple[Series, ...]
    colors: dict[str, str]
    leader: str | None
    """The entry drawn thick, in every chart: the sole leader after the last stage (none when
    first place is shared)."""
    cancelled: tuple[int, ...] = ()
    """Stages cancelled for the category with no time: shaded."""
    awarded: tuple[int, ...] = ()
    """Stages cancelled with the same time awarded to all: shaded, a tie."""
    title: str = ""
    width: float = 11.0
    height: float = 4.6
    narrow: bool = False
    """Drawn for a phone: larger type, labels in a legend below."""
    reference_label: str = ""
    x_label: str = "after stage"
    """What the x values are (stages; or waypoints, for the positions through one stage)."""
    reference: str | None = None
    """The crew a relative chart measures to: its zero line, not a line of its own."""

    @property
    def drawn(self) -> tuple[Series, ...]:
        """The series with at least one point to draw."""
        return tuple(s for s in self.series if any(v is not None for v in self.values(s)))

    def values(self, series: Series) -> tuple[int | None, ...]:
        """What the chart plots for ``series`` (positions, or gaps in ms), None where unknown;
        in a relative chart, nothing for the reference crew (it is the zero line)."""
        if self.kind == "positions":
            return series.known_positions
        if self.kind == "gaps":
            return series.gaps_ms
        reference = next((s for s in self.series if s.entry_id == self.reference), None)
        if reference is None or series.entry_id == self.reference:
            return tuple(None for _ in series.times_ms)
        return tuple(
            None if t is None or r is None else t - r
            for t, r in zip(series.times_ms, reference.times_ms, strict=True)
        )

    def zoom_ms(self) -> int | None:
        """The height of the "fight for the lead" panel of a gap chart, if it helps.

        The largest gap that the final top two had at any stage (1.3 times, at
        least 5 minutes); None when that is most of the chart anyway.
        """
        if self.kind != "gaps" or len(self.series) < 3:
            return None
        top = list(self.series[:2])
        fight = max((g for s in top for g in s.gaps_ms if g is not None), default=0)
        window = max(int(fight * 1.3), 5 * MS_PER_MINUTE)
        highest = max((g for s in self.series for g in s.gaps_ms if g is not None), default=0)
        return window if window < highest * 0.5 else None


def _floats(values: Sequence[int | None], scale: float) -> list[float]:
    return [math.nan if v is None else v / scale for v in values]


def _shade(spec: ChartSpec, ax: Axes, *, words: bool) -> None:
    for stage in (*spec.cancelled, *spec.awarded):
        if stage not in spec.stages:
            continue
        ax.axvspan(stage - 0.45, stage + 0.45, color="#e6e9ef", zorder=0, linewidth=0)
        if words:
            text = "cancelled: same time to all" if stage in spec.awarded else "cancelled"
            ax.text(
                stage,
                0.02,
                text,
                transform=ax.get_xaxis_transform(),
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=8,
                color="#6b7486",
            )


def _broken(
    spec: ChartSpec, item: Series, ys: list[float]
) -> tuple[list[float], list[float], list[float], list[float]]:
    """The line's x and y values with a gap (NaN) inserted around each tied place of a
    position chart, so no move is drawn into, out of or within a tie; and the tied points
    (drawn as hollow markers)."""
    xs = [float(x) for x in spec.stages]
    if spec.kind != "positions" or not any(item.tied):
        return xs, ys, [], []
    line_x: list[float] = []
    line_y: list[float] = []
    tie_x: list[float] = []
    tie_y: list[float] = []
    for index, (x, y) in enumerate(zip(xs, ys, strict=True)):
        tied = item.tied_at(index)
        if index and (tied or item.tied_at(index - 1)):
            line_x.append(x - 0.5)
            line_y.append(math.nan)
        line_x.append(x)
        line_y.append(y)
        if tied and not math.isnan(y):
            tie_x.append(x)
            tie_y.append(y)
    return line_x, line_y, tie_x, tie_y


def _plot_lines(spec: ChartSpec, ax: Axes, scale: float, *, gid: str, labels: bool) -> None:
    lead_width = 3.2 if not spec.narrow else 2.6
    for index, item in enumerate(spec.series):
        ys = _floats(spec.values(item), scale)
        if all(math.isnan(y) for y in ys):
            continue
        lead = item.entry_id == spec.leader
        color = spec.colors.get(item.entry_id, "#777777")
        xs, line_ys, tie_x, tie_y = _broken(spec, item, ys)
        (line,) = ax.plot(
            xs,
            line_ys,
            color=color,
            linewidth=lead_width if lead else 1.5,
            marker="o",
            markersize=5.5 if lead else 3.6,
            alpha=1.0 if lead else 0.9,
            zorder=10 if lead else 3,
            solid_capstyle="round",
            label=item.label if labels else None,
        )
        line.set_gid(f"{gid}-series-{index}")
        if tie_x:
            (ties,) = ax.plot(
                tie_x,
                tie_y,
                linestyle="none",
                marker="o",
                markersize=7.0 if lead else 5.5,
                markerfacecolor="white",
                markeredgecolor=color,
                markeredgewidth=1.6,
                zorder=11 if lead else 4,
            )
            ties.set_gid(f"{gid}-tie-{index}")


def signed_hm(ms: int) -> str:
    """A time against a reference on an axis: ``+0:30`` behind, ``-0:30`` ahead, ``0:00``."""
    text = hm(ms)
    return text if text.startswith("-") or text == "0:00" else f"+{text}"


def _y_axis(spec: ChartSpec, ax: Axes, low_ms: int, high_ms: int, scale: float) -> None:
    """Round h:mm ticks covering the data, and limits a little beyond them so no line or
    label touches the frame (signed ticks on a relative chart)."""
    if spec.kind == "positions":
        return
    ticks = clock_ticks(low_ms, high_ms, most=6 if spec.narrow else 8)
    ticks = [t for t in ticks if t <= max(high_ms, ticks[0])]
    if ticks[-1] < high_ms:
        ticks.append(ticks[-1] + (ticks[1] - ticks[0] if len(ticks) > 1 else MS_PER_MINUTE))
    label = signed_hm if spec.kind == "relative" else hm
    ax.set_yticks([t / scale for t in ticks])
    ax.set_yticklabels([label(t) for t in ticks])
    pad = (ticks[-1] - ticks[0]) * 0.04 / scale
    ax.set_ylim(ticks[-1] / scale + pad, ticks[0] / scale - pad)


def _style(ax: Axes, spec: ChartSpec) -> None:
    stages = list(spec.stages)
    if spec.narrow and len(stages) > 9:
        stages = stages[:: 2 if len(stages) <= 18 else 3]
    ax.set_xticks(stages)
    ax.set_xlim(spec.stages[0] - 0.5, spec.stages[-1] + 0.5)
    ax.grid(axis="y", color="#e3e7ee", linewidth=0.8)
    ax.grid(axis="x", color="#f0f2f6", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#9aa3b2")


def _end_labels(spec: ChartSpec, ax: Axes, scale: float, fontsize: float) -> list[Series]:
    """Label each line that reaches the last stage at its end, spread so none overlap.

    The labels are spread in the figure's points (a line of text apart, however many
    there are: past the axes' ends if need be, never on each other); a relative chart's
    zero line is labelled too, with the reference crew. Returns the series that end
    earlier (their labels go in the legend).
    """
    xs = list(spec.stages)
    at_end: list[tuple[float, int]] = []
    earlier: list[Series] = []
    for index, item in enumerate(spec.series):
        ys = _floats(spec.values(item), scale)
        if all(math.isnan(y) for y in ys):
            continue
        if math.isnan(ys[-1]):
            earlier.append(item)
        else:
            at_end.append((ys[-1], index))
    low, high = sorted(ax.get_ylim())
    at_end = [(y, index) for y, index in at_end if low <= y <= high]
    texts = {index: spec.series[index].label for _, index in at_end}
    if spec.kind == "relative" and spec.reference is not None:
        at_end.append((0.0, -1))
        texts[-1] = f"{spec.reference_label} (zero line)"
    # in points from the axes' bottom: the axis is inverted (a smaller value is higher)
    figure_points = spec.height * 72.0
    box = ax.get_position()
    bottom, height = float(box.y0) * figure_points, float(box.height) * figure_points
    ylow, yhigh = (float(v) for v in ax.get_ylim())  # (bottom value, top value)

    def points(value: float) -> float:
        return bottom + (value - ylow) / (yhigh - ylow) * height

    line = fontsize * 1.5
    wanted = [(-points(y), index) for y, index in at_end]  # spread top to bottom
    room_low = -(figure_points - fontsize)
    room_high = -fontsize
    placed = spread(wanted, line, room_low, room_high)
    finals = {index: y for y, index in at_end}
    for index, where in placed.items():
        target = -where
        y = ylow + (target - bottom) / height * (yhigh - ylow)
        lead = index >= 0 and spec.series[index].entry_id == spec.leader
        color = "#1d2330" if index < 0 else spec.colors.get(spec.series[index].entry_id, "#777")
        moved = abs(target - points(finals[index])) > line / 4
        ax.annotate(
            texts[index],
            (xs[-1], finals[index]),
            xytext=(xs[-1] + 0.35, y),
            textcoords="data",
            fontsize=fontsize,
            fontweight="bold" if lead or index < 0 else "normal",
            color=color,
            va="center",
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": "#c5cbd5", "linewidth": 0.6} if moved else None,
        )
    return earlier


_PARTICLES = frozenset(
    {
        "de",
        "da",
        "das",
        "do",
        "dos",
        "di",
        "du",
        "del",
        "della",
        "der",
        "den",
        "des",
        "la",
        "le",
        "van",
        "von",
        "ten",
        "ter",
        "al",
        "el",
        "bin",
        "ben",
        "mac",
        "st",
        "st.",
    }
)
"""Words that belong to the surname after them (``de Rooy``, ``van den Brink``, ``Al Rajhi``)."""


def _short(label: str) -> str:
    """``15 Ullevålseter`` for ``15 Pål Anders Ullevålseter``, ``417 de Rooy`` for ``417
    Gérard de Rooy`` (a phone's legend): the number and the surname with its particles."""
    words = label.split()
    number = words[0] if words and words[0].isdigit() else None
    names = words[1:] if number else words
    if len(names) <= 1:
        return label
    start = len(names) - 1
    while start > 1 and names[start - 1].lower() in _PARTICLES:
        start -= 1
    surname = " ".join(names[start:])
    return f"{number} {surname}" if number else surname


def _legend(
    spec: ChartSpec, ax: Axes, items: Sequence[Series], fontsize: float, *, title: str
) -> None:
    """A legend below the chart (the lines that end early, or every line on a phone)."""
    from matplotlib.lines import Line2D

    if not items:
        return
    handles = [
        Line2D([], [], color=spec.colors.get(s.entry_id, "#777777"), marker="o", linewidth=1.5)
        for s in items
    ]
    ax.figure.legend(
        handles,
        [_short(s.label) if spec.narrow else s.label for s in items],
        loc="lower left",
        bbox_to_anchor=(0.01, 0.005),
        ncol=2 if spec.narrow else 4,
        fontsize=fontsize,
        frameon=False,
        title=title or None,
        title_fontsize=fontsize,
        alignment="left",
        handlelength=1.6,
        columnspacing=1.2,
    )


def _draw(spec: ChartSpec, figure: object) -> None:
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure)
    fontsize = 11.0 if spec.narrow else 8.5
    scale = 1.0 if spec.kind == "positions" else 3_600_000.0
    zoom = spec.zoom_ms()
    known = [v for s in spec.series for v in spec.values(s) if v is not None]
    low_ms, high_ms = (min(known, default=0), max(known, default=1))
    if zoom is not None:
        ax, detail = figure.subplots(
            2, 1, gridspec_kw={"height_ratios": [1.0, 1.0], "hspace": 0.42}, sharex=True
        )
    else:
        ax, detail = figure.add_subplot(), None
    _plot_lines(spec, ax, scale, gid=spec.chart_id, labels=False)
    _shade(spec, ax, words=not spec.narrow)
    if spec.kind == "positions":
        top = max((p for p in known), default=1)
        ax.set_ylim(top + 0.6, 0.4)
        step = 1 if top <= (12 if spec.narrow else 20) else max(1, top // 8)
        ax.set_yticks(range(1, top + 1, step))
        ax.set_ylabel("place (1 = leader)")
    else:
        _y_axis(spec, ax, min(low_ms, 0), max(high_ms, 0), scale)
        what = (
            "behind the leader (h:mm)"
            if spec.kind == "gaps"
            else f"to {spec.reference_label} (h:mm; − ahead, above)"
        )
        ax.set_ylabel(what)
        if spec.kind == "relative":
            # the reference crew is the zero line: drawn over every line, dashed, named
            ax.axhline(0, color="#1d2330", linewidth=1.6, linestyle=(0, (6, 3)), zorder=20)
    _style(ax, spec)
    if spec.title:
        ax.set_title(spec.title, loc="left", fontsize=fontsize + 1.5, fontweight="bold")
    if detail is not None and zoom is not None:
        _plot_lines(spec, detail, scale, gid=f"{spec.chart_id}-zoom", labels=False)
        _shade(spec, detail, words=False)
        _y_axis(spec, detail, 0, zoom, scale)
        detail.set_ylabel("behind (h:mm)")
        detail.set_title(
            f"Within {hm(zoom)} of the leader"
            if spec.narrow
            else f"The fight for the lead: within {hm(zoom)} of the leader (lines beyond are cut)",
            loc="left",
            fontsize=fontsize + 0.5,
            color="#1d2330",
        )
        _style(detail, spec)
        detail.set_xlabel(spec.x_label)
        if not spec.narrow:
            _end_labels(spec, detail, scale, fontsize)
        _labels(spec, ax, detail, scale, fontsize)
    else:
        ax.set_xlabel(spec.x_label)
        _labels(spec, ax, ax, scale, fontsize)


def _labels(spec: ChartSpec, ax: Axes, bottom: Axes, scale: float, fontsize: float) -> None:
    """Direct labels at the lines' ends (wide), the rest in a legend; narrow: all in a legend."""
    if spec.narrow:
        _legend(spec, bottom, spec.drawn, fontsize, title="")
        return
    earlier = _end_labels(spec, ax, scale, fontsize)
    last = "the last stage" if spec.x_label == "after stage" else "the last waypoint"
    _legend(spec, bottom, earlier, fontsize, title=f"Not in the standings at {last}:")


def _layout(spec: ChartSpec, figure: object) -> None:
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure)
    label_room = (1.9 if not spec.narrow else 0.15) / spec.width
    left = (0.75 if not spec.narrow else 0.72) / spec.width
    legend_room = 0.0
    listed = (
        len(spec.drawn) if spec.narrow else sum(1 for s in spec.drawn if spec.values(s)[-1] is None)
    )
    if listed:
        rows = math.ceil(listed / (2 if spec.narrow else 4))
        line = 0.22 if not spec.narrow else 0.24
        legend_room = (0.25 + line * rows) / spec.height
    bottom = 0.55 / spec.height + legend_room
    figure.subplots_adjust(
        left=left, right=1 - label_room, top=1 - 0.4 / spec.height, bottom=bottom
    )


_EDGE_INCHES = 0.1
"""The room kept between the axis labels and the chart's left edge (a browser's font may be a
little wider than the one matplotlib measures with)."""


def _fit_left(figure: object, *, narrow: bool) -> None:
    """Widen the left margin until every axis's tick labels and label are inside the drawing
    (a long tick, ``12:00``, with a y label in large type would otherwise be cut at the left
    edge). ``narrow`` (a phone's drawing): each title starts at the drawing's left edge, not
    the axes', so that a long one has the whole width (a browser's font may be much wider
    than the one matplotlib measures with)."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    assert isinstance(figure, Figure)
    axes = figure.get_axes()
    if not axes:
        return
    dpi = figure.get_dpi()
    width = figure.get_figwidth() * dpi
    edge = _EDGE_INCHES * dpi
    boxes = [box for box in (ax.get_tightbbox() for ax in axes) if box is not None]
    lowest = min((box.x0 for box in boxes), default=edge)
    if lowest < edge:
        figure.subplots_adjust(left=figure.subplotpars.left + (edge - lowest) / width)
    if not narrow:
        return
    for ax in axes:
        title = ax.get_title(loc="left")
        box = ax.get_window_extent()
        for text in ax.get_children():
            if title and isinstance(text, Text) and text.get_text() == title:
                text.set_x((edge - box.x0) / box.width)


def render_chart(spec: ChartSpec, *, standalone: bool = False) -> str:
    """The chart as SVG markup to inline in a page, or (``standalone``) as an SVG file.

    Deterministic: no date in the metadata, and the ids matplotlib generates are
    hashes salted with the chart id (unique within a page). Each line's group
    carries a ``<title>`` naming the crew: a tooltip in a browser.
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
            "font.size": 11 if spec.narrow else 9,
            "axes.labelcolor": "#4a5366",
            "xtick.color": "#4a5366",
            "ytick.color": "#4a5366",
        }
    ):
        figure = Figure(figsize=(spec.width, spec.height), dpi=96)
        FigureCanvasSVG(figure)
        if not spec.drawn or not spec.stages:
            ax = figure.add_subplot()
            ax.text(0.5, 0.5, "No position is known.", ha="center", transform=ax.transAxes)
            ax.set_axis_off()
        else:
            _layout(spec, figure)
            _draw(spec, figure)
            _fit_left(figure, narrow=spec.narrow)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _titled(_scope_ids(buffer.getvalue(), spec.chart_id), spec)
    if standalone:
        return svg
    return svg[svg.index("<svg") :].strip()


def _titled(svg: str, spec: ChartSpec) -> str:
    """A ``<title>`` (tooltip) in each line's group: the crew and its values."""

    def title(match: re.Match[str]) -> str:
        index = int(match["index"])
        item = spec.series[index]
        values = spec.values(item)
        known = [
            f"{stage}: {value if spec.kind == 'positions' else hm(value)}"
            for stage, value in zip(spec.stages, values, strict=True)
            if value is not None
        ]
        what = {"positions": "place", "gaps": "behind the leader", "relative": "to reference"}
        text = f"{item.label} ({what[spec.kind]} after stage {'; '.join(known)})"
        return f"{match[0]}\n   <title>{html.escape(text)}</title>"

    return re.sub(
        rf'<g id="{re.escape(spec.chart_id)}(?:-zoom)?-series-(?P<index>\d+)">', title, svg
    )


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
