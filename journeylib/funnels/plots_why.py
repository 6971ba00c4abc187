"""Plots for why people drop out: the correlation chart, the flow of paths and the funnel
trend (tidy frames in, Axes out; static PNGs that survive the HTML export).
"""

from __future__ import annotations

import matplotlib.patches as mpatches
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..engine.sequences import END, START
from ..show.figures import axes_for
from .findings_why import features_in_words, node_words
from .paths import SEP

_SIDE_COLOURS = {"finishing": "seagreen", "dropping": "indianred"}
_OTHER = "(other)"
_MARKERS = (START, END)


def correlation_chart(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Odds ratio of finishing per feature (from :func:`journeylib.funnel_correlation`), on a
    log scale with its 95 % interval: right of 1 goes with finishing, left with dropping."""
    t = table.iloc[::-1].reset_index(drop=True)  # first row at the top
    # a feature everyone (or no one) who finished has gives an odds ratio of 0 or infinity:
    # the axis spans the finite values and such bars run to its edge
    values = t[["ci_low", "odds_ratio", "ci_high"]].to_numpy(dtype=float)
    finite = values[np.isfinite(values) & (values > 0)]
    low = min([*finite, 0.5]) / 1.25
    high = max([*finite, 2.0]) * 1.25
    t = t.assign(
        **{c: t[c].astype(float).clip(low, high) for c in ("ci_low", "odds_ratio", "ci_high")}
    )
    ax = axes_for(ax, (8, 0.35 * len(t) + 1.6))
    y = np.arange(len(t))
    colours = t.side.map(_SIDE_COLOURS).fillna("grey")
    err = np.vstack([t.odds_ratio - t.ci_low, t.ci_high - t.odds_ratio])
    ax.barh(y, t.odds_ratio - 1, left=1, color=colours, alpha=0.75, height=0.6)
    ax.errorbar(t.odds_ratio, y, xerr=err, fmt="none", ecolor="black", elinewidth=1, capsize=2)
    ax.axvline(1, color="black", linewidth=1)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlim(low, high)
    ax.set_yticks(y, features_in_words(t))
    ax.set(
        title="What goes with finishing (right) and with dropping out (left)",
        xlabel="odds ratio of finishing, with its 95 % interval (log scale)",
        ylabel="event done, or property of the visit",
    )
    ax.grid(axis="y", visible=False)
    return ax


def _columns(paths: pd.DataFrame, top_nodes: int) -> list[pd.Series]:
    """Per position, each journey's node (the ``top_nodes`` most frequent kept, the rest
    ``"(other)"``; positions past a path's end are NaN), as weighted series."""
    nodes = paths.path.str.split(SEP, regex=False, expand=True)
    cols = []
    for i in nodes.columns:
        col = nodes[i]
        weight = paths.journeys.groupby(col).sum().sort_values(ascending=False)
        keep = set(weight.index[:top_nodes]) | set(_MARKERS)
        cols.append(col.where(col.isin(keep) | col.isna(), _OTHER))
    return cols


def flow_chart(
    paths: pd.DataFrame, *, top_nodes: int = 6, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """A static flow (Sankey) diagram of a :func:`journeylib.paths` table: one column per
    step, one box per node sized by the journeys passing it, bands between boxes for the
    journeys going from one node to the next. Rare nodes are one ``"(other)"`` box."""
    cols = _columns(paths, top_nodes) if len(paths) else []
    ax = axes_for(ax, (max(8, 2.3 * len(cols)), 5))
    if not cols:
        ax.text(0.5, 0.5, "No paths to show", ha="center", va="center")
        ax.set(title=title or "The most common paths", xlabel="step of the path", ylabel="share")
        return ax
    total = float(paths.journeys.sum()) or 1.0
    gap = 0.02
    boxes: list[dict[str, tuple[float, float]]] = []
    for i, col in enumerate(cols):
        weight = paths.journeys.groupby(col).sum() / total
        weight = weight.sort_values(ascending=False)
        top, placed = 1.0, {}
        for node, w in weight.items():
            placed[node] = (top - w, top)
            colour = "lightgrey" if node in (*_MARKERS, _OTHER) else "steelblue"
            ax.add_patch(mpatches.Rectangle((i, top - w), 0.12, w, color=colour))
            if w > 0.03:
                label = f"{node_words(node)} ({w:.0%})"
                ax.annotate(label, (i + 0.15, top - w / 2), va="center", fontsize=8)
            top -= w + gap
        boxes.append(placed)
    for i in range(len(cols) - 1):
        _bands(ax, cols[i], cols[i + 1], paths.journeys / total, boxes[i], boxes[i + 1], i)
    ax.set_xlim(-0.1, len(cols) - 0.2)
    ax.set_ylim(min(lo for b in boxes for lo, _ in b.values()) - 0.02, 1.02)
    ax.set_xticks(np.arange(len(cols)) + 0.06, [f"step {i + 1}" for i in range(len(cols))])
    ax.set_yticks([])
    ax.grid(False)
    ax.set(
        title=title or "The most common paths, step by step (box height: share of journeys)",
        xlabel="step of the path",
        ylabel="share of journeys (box height)",
    )
    return ax


def _bands(ax: Axes, a: pd.Series, b: pd.Series, w: pd.Series, box_a, box_b, x: int) -> None:
    """Bands from the boxes of column ``x`` to those of ``x + 1``, stacked inside each box."""
    links = pd.DataFrame({"a": a, "b": b, "w": w}).dropna().groupby(["a", "b"]).w.sum()
    out_used = {n: box_a[n][1] for n in box_a}
    in_used = {n: box_b[n][1] for n in box_b}
    for (na, nb), weight in links.sort_values(ascending=False).items():
        y0, y1 = out_used[na], in_used[nb]
        out_used[na] -= weight
        in_used[nb] -= weight
        x0, x1 = x + 0.12, x + 1
        verts = [
            (x0, y0), ((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1), (x1, y1),
            (x1, y1 - weight), ((x0 + x1) / 2, y1 - weight), ((x0 + x1) / 2, y0 - weight),
            (x0, y0 - weight), (x0, y0),
        ]  # fmt: skip
        codes = [MplPath.MOVETO, *[MplPath.CURVE4] * 3, MplPath.LINETO]
        codes += [*[MplPath.CURVE4] * 3, MplPath.CLOSEPOLY]
        ax.add_patch(mpatches.PathPatch(MplPath(verts, codes), color="steelblue", alpha=0.25, lw=0))


def trend_chart(
    trend: pd.DataFrame, *, last: int = 12, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """Conversion per entry period (from :func:`journeylib.funnel_trend`), the last ``last``
    periods, with 95 % Wilson intervals; the latest period in orange."""
    t = trend.tail(last).reset_index(drop=True)
    ax = axes_for(ax, (9, 3.5))
    x = np.arange(len(t))
    err = np.vstack([t.conversion - t.ci_low, t.ci_high - t.conversion])
    colours = ["steelblue"] * (len(t) - 1) + ["darkorange"]
    for i in x:
        ax.errorbar(x[i], t.conversion[i], yerr=err[:, i : i + 1], fmt="o", color=colours[i])
    labels = [f"{p:%d %b}" for p in t.period]
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.set(
        title=title or "Conversion by week of entry (latest in orange)",
        xlabel="week of entry (starting Monday)",
        ylabel="entrants converting (%)",
    )
    return ax


def explore_why(events, steps: list, *, window: str = "7D", count: str = "sessions"):
    """A widget: the steps (typed, or picked from the log's event names), the window and a
    view (what goes with finishing, where drop-outs go, the weekly trend); the chart redraws.
    A blank box, a step no event has, a window without a unit or a funnel no one finished
    shows one line. None in a report run."""
    from ..engine.read.events import as_eventlog
    from ..show.widgets import explore, in_report, with_step_picker
    from .step_names import event_names

    if in_report():
        return None
    import ipywidgets

    log = as_eventlog(events)
    names = event_names(log)
    widget = explore(
        _why_redraw(log, names, count),
        steps=ipywidgets.Text(value=", ".join(map(str, steps)), description="steps"),
        window=ipywidgets.Text(value=window or "", description="window"),
        view=["finishing", "drop-out paths", "weekly trend"],
    )
    return with_step_picker(widget, names)


def _why_redraw(events, names: list[str], count: str):
    """The draw function of :func:`explore_why` over ``events``: the checks, then the chart
    the page draws for the view (the same properties compared, the same biggest drop
    followed)."""
    import matplotlib.pyplot as plt

    from ..show.widgets import show_line
    from .controls import checked_steps, checked_window
    from .conversion import funnel
    from .findings_why import paths_sentence
    from .paths import paths
    from .trends import funnel_trend
    from .why_drop import biggest_drop, correlate

    def draw(steps: str = "", window: str = "7D", view: str = "finishing") -> None:
        chosen, span = checked_steps(steps, names), checked_window(window)
        if view == "finishing":
            correlation_chart(correlate(events, chosen, window=span))
        elif view == "drop-out paths":
            options = {"window": span, "count": count}
            k = biggest_drop(funnel(events, chosen, **options))
            if k is None:
                show_line("No one left the funnel part-way: there are no drop-outs to follow.")
                return
            table = paths(events, drop_offs_of=(chosen, k, options))
            show_line(paths_sentence(table, left=chosen[k - 1], lost=chosen[k]))
            if len(table) < 2:  # the sentence has said it all
                return
            flow_chart(table)
        else:
            trend_chart(funnel_trend(events, chosen, window=span))
        plt.show()

    return draw


__all__ = ["correlation_chart", "explore_why", "flow_chart", "trend_chart"]
