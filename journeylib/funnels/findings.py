"""Findings for the funnel notebook: plain sentences from the computed numbers, and the A/B
readout's tables as the page shows them (steps in words)."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from ..show import tables
from ..show.display import p_value, step_label, whole_money
from . import abreadout, abtest
from .abandonment import Recovery


def funnel_findings(
    f: pd.DataFrame,
    segments: pd.DataFrame,
    by: str,
    ab: abreadout.ABReadout | abtest.ABResult | None,
    recovery: Recovery,
    refunds: pd.DataFrame | None,
) -> list[str]:
    """3-6 sentences: the biggest drop, the weakest segment, the A/B readout, cart recovery
    with and without a contact, and the most returned ``refunds`` group.

    ``f`` is a funnel without ``by``; ``segments`` the same funnel ``by`` a column; ``refunds``
    a :func:`journeylib.returns` frame (its first column is the group), or None when the log
    cannot link refunds to orders (no ``order_id``): then a sentence says so.
    """
    out = []
    later = f[(f.step_index > 1) & f.step_conversion.notna()]
    if f["count"].iloc[0] == 0:
        out.append(f"No one reached the first step ({step_label(f.step.iloc[0])}) in the period.")
    elif len(later):
        worst = later.loc[(1 - later.step_conversion).idxmax()]
        prev = f.loc[f.step_index == worst.step_index - 1, "step"].iloc[0]
        out.append(
            f"The biggest drop is from {step_label(prev)} to {step_label(worst.step)}: "
            f"{worst.drop_off:,.0f} of {worst['count'] + worst.drop_off:,.0f} "
            f"({1 - worst.step_conversion:.1%}) go no further; {f['conversion'].iloc[-1]:.1%} "
            f"of those entering reach {step_label(f.step.iloc[-1])}."
        )
    out.append(_weakest_segment(segments, by))
    if isinstance(ab, abreadout.ABReadout):
        out.append("A/B test: " + abreadout.findings(ab)[0].removeprefix("Headline: "))
    elif ab is not None:
        out.append(abtest.findings(ab)[0])
    out.append(_recovery(recovery))
    if refunds is None:
        out.append("Returns are not measured: the log cannot link refunds to their orders.")
    elif len(refunds):
        out.append(_returns(refunds))
    return out


def _weakest_segment(seg: pd.DataFrame, by: str) -> str:
    last = seg[seg.step_index == seg.step_index.max()]
    last = last[last.conversion.notna()]
    if last[by].nunique() < 2:
        values = ", ".join(str(v) for v in last[by].unique()) or "none"
        return f"No comparison by {by}: the period has one {by} with entrants ({values})."
    first = seg[seg.step_index == 1].set_index(by)["count"]
    low = last.loc[last.conversion.idxmin()]
    others = last[last[by] != low[by]]
    rest = others["count"].sum() / first[others[by]].sum() if len(others) else float("nan")
    p = seg.groupby("step_index").p_value.first().min() if "p_value" in seg else float("nan")
    return (
        f"{low[by]} ({by}) converts least: {low.conversion:.2%} reach {step_label(low.step)} "
        "against "
        f"{rest:.2%} for the other {by} values ({_test_note(p)})."
    )


def _test_note(p: float) -> str:
    """The segment comparison's chi-square test in words: p as the pages show it."""
    if pd.isna(p):
        return "no chi-square test: too few entrants"
    shown = p_value(p)
    return "chi-square test, smallest p across steps " + (
        shown if shown.startswith("<") else f"= {shown}"
    )


def _recovery(r: Recovery) -> str:
    rates = r.by_contact.set_index("contacted").recovery_rate
    yes, no = rates.get(True, float("nan")), rates.get(False, float("nan"))
    top = r.by_channel.iloc[0] if len(r.by_channel) else None
    via = f"; {top.share:.0%} of recoveries came through {top.channel}" if top is not None else ""
    if pd.isna(yes) and pd.isna(no):
        return "No abandoned carts in the period: cart recovery is not measured."
    if pd.isna(yes):
        return (
            f"Abandoned carts were bought within {r.days} days {no:.1%} of the time; none was "
            f"followed by a contact to compare with{via}."
        )
    if pd.isna(no) or no == 0:
        without = "none without" if no == 0 else "every abandoned cart had a contact"
        return (
            f"Abandoned carts followed by a contact were bought within {r.days} days "
            f"{yes:.1%} of the time ({without}){via}."
        )
    return (
        f"Abandoned carts followed by a contact were bought within {r.days} days "
        f"{yes:.1%} of the time against {no:.1%} without ({yes / no:.1f}x){via}."
    )


def _returns(ref: pd.DataFrame) -> str:
    col = ref.columns[0]
    top = ref.iloc[0]
    rest = ref.iloc[1:]
    if ref.refunded.sum() == 0:
        return f"No order was refunded in the period ({ref.orders.sum():,} orders)."
    if rest.orders.sum() == 0:  # one group with orders: nothing to concentrate against
        return (
            f"{top.refund_rate:.1%} of the orders ({top[col]}) are refunded, "
            f"{whole_money(top.revenue_lost)} of revenue lost to refunds."
        )
    rest_rate = rest.refunded.sum() / rest.orders.sum()
    return (
        f"Returns concentrate in {top[col]}: {top.refund_rate:.1%} of its orders are refunded "
        f"against {rest_rate:.1%} elsewhere, {top.share_of_revenue_lost:.0%} of revenue lost to "
        f"refunds ({whole_money(top.revenue_lost)})."
    )


def ab_step_rows(ab: abreadout.ABReadout) -> pd.DataFrame:
    """The A/B readout's secondary step rates with steps in words, for the page's table.

    ``ab.steps`` keeps event names (``step`` ``begin_checkout``, ``base`` ``"reached
    begin_checkout"``); here ``step`` reads ``checkout started`` and ``base`` (what the rate
    is out of) ``"assigned users"`` or ``"assigned users with checkout started"``. Returns
    ``step``, ``base``, ``variant``, ``n``, ``reached``, ``rate``, ``p_value``.
    """
    out = ab.steps.drop(columns="conditional")
    out["base"] = [
        "assigned users"
        if not cond
        else f"assigned users with {step_label(base.removeprefix('reached '))}"
        for base, cond in zip(ab.steps.base, ab.steps.conditional, strict=True)
    ]
    out["step"] = out.step.map(step_label)
    return out


def ab_tables(ab: abreadout.ABReadout) -> list[Styler]:
    """The A/B readout section's three titled tables: per assigned user (the headline), the
    difference from the control, and the secondary step rates (:func:`ab_step_rows`)."""
    headline = tables.styled(
        ab.primary.drop(columns="revenue"),
        labels={
            "converted": f"Bought ({step_label(ab.goal)}) after exposure",
            "conversion": "Buyer rate",
        },
        caption="A/B test per assigned user (the headline)",
    )
    difference = tables.styled(
        ab.comparison[
            ["variant", "control", "lift", "lift_low", "lift_high", "p_value", "significant"]
            + ["revenue_diff", "revenue_low", "revenue_high", "revenue_p"]
        ],
        labels={
            "lift": "Buyer rate difference",
            "revenue_diff": "Revenue per user, difference",
            "revenue_low": "95% from",
            "revenue_high": "95% to",
            "revenue_p": "p-value (revenue)",
        },
        caption="A/B test: difference from the control",
        keep=["variant", "lift", "p_value", "significant", "revenue_diff"],
    )
    steps = tables.styled(
        ab_step_rows(ab),
        labels={"base": "Out of", "n": "Users", "reached": "Reached the step", "rate": "Rate"},
        percent=["rate"],
        caption="Secondary: each step per assigned user, and conditional on the step before",
    )
    return [headline, difference, steps]
