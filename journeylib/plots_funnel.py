"""Plots for funnels, abandonment, recovery and returns (tidy frames in, Axes out).

Same rules as :mod:`journeylib.plots`: draw on the given ``ax`` (or a new one), title and
axis labels with units, return the Axes.
"""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .plots import _axes, _thousands, label_bars


def _funnel_label(r) -> str:
    text = f" {r.count:,} ({r.conversion:.1%})"
    if r.step_index > 1 and pd.notna(r.drop_off):
        text += f"   −{r.drop_off:,.0f} people ({1 - r.step_conversion:.1%} drop)"
    return text


def funnel_chart(f: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Horizontal bars per step (from :func:`journeylib.funnel` without ``by``), each labelled
    with its count and conversion, and the drop from the previous step in people and percent."""
    ax = _axes(ax, (9, 0.7 * len(f) + 1.5))
    sns.barplot(data=f, y="step", x="count", ax=ax, color="steelblue", orient="h")
    label_bars(ax, [_funnel_label(r) for r in f.itertuples()])
    _thousands(ax, "x")
    ax.set_xlim(0, max(f["count"].max() * 1.9, 1))
    ax.set(
        title=title or "Funnel: people reaching each step",
        xlabel="count",
        ylabel="step",
    )
    return ax


def segment_funnels(f: pd.DataFrame, *, by: str, ax: Axes | None = None) -> Axes:
    """Conversion (share of step 1) per step, one line per segment; steps whose segments
    differ significantly (chi-square p < 0.05) are starred."""
    ax = _axes(ax)
    sns.pointplot(data=f, x="step", y="conversion", hue=by, ax=ax, markers="o")
    steps = f.drop_duplicates("step_index").sort_values("step_index")
    labels = [
        f"{s}*" if pd.notna(p) and p < 0.05 else s
        for s, p in zip(steps.step, steps.get("p_value", [None] * len(steps)), strict=False)
    ]
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(
        title=f"Funnel by {by} (* segments differ, p < 0.05)",
        xlabel="step",
        ylabel="share of step 1 (%)",
    )
    return ax


def time_to_convert(times: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Histogram of time to convert in hours (log scale) from :func:`journeylib.funnel_times`."""
    ax = _axes(ax, (8, 3.5))
    hours = times.time_to_convert.dropna().dt.total_seconds() / 3600
    hours = hours.clip(lower=1 / 60)
    sns.histplot(x=hours, ax=ax, log_scale=True, bins=40, color="slateblue")
    if len(hours):
        ax.axvline(hours.median(), color="black", linestyle="--", label="median")
        ax.legend()
    ax.set(
        title="Time from step 1 to the last step",
        xlabel="hours (log scale)",
        ylabel="count",
    )
    return ax


def abandonment(a: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Abandonment rate of cart sessions reaching each checkout step (from
    :func:`journeylib.cart_abandonment`)."""
    ax = _axes(ax, (8, 3.5))
    by = [c for c in a.columns if c not in _CART_COLS]
    sns.barplot(data=a, x="step", y="abandonment_rate", hue=by[0] if by else None, ax=ax)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(
        title="Cart sessions that end without a purchase, by furthest checkout step reached",
        xlabel="checkout step reached",
        ylabel="abandoned (%)",
    )
    ax.tick_params(axis="x", rotation=15)
    return ax


_CART_COLS = {"step", "sessions", "abandoned", "abandonment_rate", "left_here"}
_CART_COLS |= {"share_of_abandoned"}


def recovery(by_contact: pd.DataFrame, *, days: int, ax: Axes | None = None) -> Axes:
    """Recovery rate of abandoned carts with and without a contact (from
    ``cart_recovery(...).by_contact``)."""
    ax = _axes(ax, (6, 3))
    data = by_contact.assign(
        group=by_contact.contacted.map({True: "contacted", False: "not contacted"})
    )
    sns.barplot(data=data, y="group", x="recovery_rate", ax=ax, color="seagreen", orient="h")
    label_bars(ax, [f" {r.recovery_rate:.1%} of {r.abandoned:,}" for r in data.itertuples()])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, max(data.recovery_rate.max() * 1.4, 0.01))
    ax.set(
        title=f"Abandoned carts bought within {days} days",
        xlabel="recovered (%)",
        ylabel="contact after abandoning",
    )
    return ax


def returns(r: pd.DataFrame, *, by: str, ax: Axes | None = None) -> Axes:
    """Refund rate per ``by`` value (from :func:`journeylib.returns`), labelled with the
    revenue lost."""
    ax = _axes(ax, (7, 3.5))
    sns.barplot(data=r, y=by, x="refund_rate", ax=ax, color="indianred", orient="h")
    label_bars(
        ax, [f" {row.refund_rate:.1%}, {row.revenue_lost:,.0f} lost" for row in r.itertuples()]
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, max(r.refund_rate.max() * 1.5, 0.01))
    ax.set(title=f"Refunded orders by {by}", xlabel="orders refunded (%)", ylabel=by)
    return ax


def explore_funnel(events, steps: list, *, segments: list[str]):
    """A widget: pick steps (comma-separated, or from the log's event names), window, order
    and segment; the funnel redraws; a bad value shows one line. None in a report run
    (:func:`journeylib.funnel_controls.explore_funnel`)."""
    from .funnel_controls import explore_funnel as explorer

    return explorer(events, steps, segments=segments)
