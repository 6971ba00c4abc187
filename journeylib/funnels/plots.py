"""Plots for funnels, abandonment, recovery and returns (tidy frames in, Axes out).

Same rules as :mod:`journeylib.overview.plots`: draw on the given ``ax`` (or a new one), title and
axis labels with units, return the Axes.
"""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..show.display import duration
from ..show.duration_axis import duration_ticks
from ..show.figures import axes_for, label_bars, thousands_ticks
from ..show.labels import step_label


def _steps_in_words(ax: Axes, axis: str) -> None:
    """The step names on ``axis`` (``x`` or ``y``) of ``ax`` in words (:func:`step_label`)."""
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    words = [step_label(t.get_text()) for t in ticks]
    positions = ax.get_xticks() if axis == "x" else ax.get_yticks()
    (ax.set_xticks if axis == "x" else ax.set_yticks)(positions, words)


def _funnel_label(r, unit: str = "people") -> str:
    text = f" {r.count:,} ({r.conversion:.1%})"
    if r.step_index > 1 and pd.notna(r.drop_off):
        text += f"   −{r.drop_off:,.0f} {unit} ({1 - r.step_conversion:.1%} drop)"
    return text


def funnel_chart(
    f: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None, unit: str = "users"
) -> Axes:
    """Horizontal bars per step (from :func:`journeylib.funnel` without ``by``), each labelled
    with its count and conversion, and the drop from the previous step in ``unit`` and percent;
    the steps read in words (``begin_checkout`` as ``checkout started``).

    ``unit`` names what the funnel counts: ``users``, ``sessions``, or ``totals`` (shown as
    attempts), as the funnel's ``count`` option.
    """
    unit = {"totals": "attempts"}.get(unit, unit)
    ax = axes_for(ax, (9, 0.7 * len(f) + 1.5))
    sns.barplot(data=f, y="step", x="count", ax=ax, color="steelblue", orient="h")
    label_bars(ax, [_funnel_label(r, unit) for r in f.itertuples()])
    _steps_in_words(ax, "y")
    thousands_ticks(ax, "x")
    ax.set_xlim(0, max(f["count"].max() * 1.9, 1))
    ax.set(
        title=title or f"Funnel: {unit} reaching each step",
        xlabel=f"{unit} (count)",
        ylabel="step",
    )
    return ax


def segment_funnels(f: pd.DataFrame, *, by: str, ax: Axes | None = None) -> Axes:
    """Each segment's conversion (share of step 1) relative to everyone's, per step.

    A line at 1 converts like the whole funnel; 0.5 half as often. Shares of step 1 drawn
    directly would sit on top of each other wherever the funnel narrows, hiding the gap;
    steps whose segments differ significantly (chi-square p < 0.05) are starred.
    """
    ax = axes_for(ax)
    data = relative_conversion(f, by=by)
    sns.pointplot(data=data, x="step", y="relative", hue=by, ax=ax, markers="o")
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="everyone")
    steps = f.drop_duplicates("step_index").sort_values("step_index")
    labels = [
        f"{step_label(s)}*" if pd.notna(p) and p < 0.05 else step_label(s)
        for s, p in zip(steps.step, steps.get("p_value", [None] * len(steps)), strict=False)
    ]
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}×"))
    ax.set(
        title=f"Conversion by {by.replace('_', ' ')} relative to everyone (* segments differ)",
        xlabel="step",
        ylabel="conversion, relative (1 = everyone)",
    )
    return ax


def relative_conversion(f: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """``f`` (a funnel ``by`` a segment) with ``relative``: each segment's conversion divided
    by everyone's at the same step (the counts of all segments summed)."""
    totals = f.groupby("step_index")["count"].sum()
    overall = totals / totals.loc[totals.index.min()]
    out = f.copy()
    out["relative"] = out.conversion / out.step_index.map(overall).replace(0, float("nan"))
    return out


def time_to_convert(times: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Histogram of time to convert from :func:`journeylib.funnel_times`, on a log scale whose
    ticks are round durations with their units (``30 s``, ``5 min``, ``2 h``, ``3 days``) picked
    from the times' range; times under a second count as one second. The dashed line is the
    median, named in the legend."""
    ax = axes_for(ax, (8, 3.5))
    seconds = times.time_to_convert.dropna().dt.total_seconds().clip(lower=1.0)
    sns.histplot(x=seconds, ax=ax, log_scale=True, bins=40, color="slateblue")
    if len(seconds):
        median = seconds.median()
        ax.axvline(median, color="black", linestyle="--", label=f"median: {duration(median)}")
        ax.legend()
    duration_ticks(ax, "x")
    ax.set(
        title="Time from step 1 to the last step",
        xlabel="time to convert (log scale)",
        ylabel="conversions (count)",
    )
    return ax


def abandonment(a: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Abandonment rate of cart sessions reaching each checkout step (from
    :func:`journeylib.cart_abandonment`)."""
    ax = axes_for(ax, (8, 3.5))
    by = [c for c in a.columns if c not in _CART_COLS]
    sns.barplot(data=a, x="step", y="abandonment_rate", hue=by[0] if by else None, ax=ax)
    _steps_in_words(ax, "x")
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
    ax = axes_for(ax, (6, 3))
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
    ax = axes_for(ax, (7, 3.5))
    sns.barplot(data=r, y=by, x="refund_rate", ax=ax, color="indianred", orient="h")
    label_bars(
        ax, [f" {row.refund_rate:.1%}, {row.revenue_lost:,.0f} lost" for row in r.itertuples()]
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, max(r.refund_rate.max() * 1.5, 0.01))
    ax.set(title=f"Refunded orders by {by}", xlabel="orders refunded (%)", ylabel=by)
    return ax
