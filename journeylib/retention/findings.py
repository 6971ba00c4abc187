"""Findings of notebook 05 in plain words, and the check against a synthetic shop's truth.

:func:`findings` turns a :class:`~journeylib.retention.report.RetentionReport` into 3-6
sentences; :func:`stays_longest` compares the segment whose customers keep buying longest
with all the others (difference with Newcombe's interval, ratio with the log interval);
:func:`planted_check` sets that ratio beside the planted referral truth (``truth.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from ..engine.cleaning import NotComputable
from ..show.display import money
from .report import RetentionReport

__all__ = ["CURVE_LABELS", "findings", "planted_check", "stays_longest", "this_week", "to_appendix"]

#: Smallest number of customers a segment or cohort needs to be named best or worst.
MIN_CUSTOMERS = 20
_LABEL = {"first_channel": "channel", "first_device": "device"}
_UNITS = {"month": "month", "week": "week", "day": "day"}
#: Plain labels of the columns of :func:`journeylib.retention_curve`.
CURVE_LABELS = {
    "first_channel": "First channel",
    "first_device": "First device",
    "cohorts": "Cohorts averaged",
    "retained": "Still buying",
    "rate": "Share still buying",
    "rate_low": "95% interval from",
    "rate_high": "95% interval to",
}
DEFINITIONS = (
    "Cohort: the calendar month (or ISO week, from Monday) in UTC of a person's first start "
    "event (by default the first order). Period 0 is the cohort's own period (100 %). "
    "'On': an event in period k exactly; 'on or after': in period k or any later period "
    "(Mixpanel's default). Periods that had not ended by the last day of the data are "
    "incomplete: blank in the heatmaps and left out of the curves. Curves pool the complete "
    "cohorts, weighted by size. Intervals: Wilson for the pooled shares, Newcombe for "
    "differences of shares, log intervals for their ratios, log-log pointwise intervals for "
    "the Kaplan-Meier curve (statsmodels). Gaps between orders are counted in whole days, "
    "rounded up."
)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def this_week(report: RetentionReport) -> pd.DataFrame:
    """Buying customers of the report week and the week before, per lifecycle status.

    Returns ``status``, ``this_week``, ``previous_week``, ``change``; the last row is the
    quick ratio.
    """
    lc = report.lifecycle
    now, before = (
        lc[lc.period == report.start],
        lc[lc.period == report.start - pd.Timedelta(7, "D")],
    )
    rows = []
    for status in ("new", "returning", "resurrecting", "dormant"):
        a = now.loc[now.status == status, "users"].sum()
        b = before.loc[before.status == status, "users"].sum()
        rows.append((status if status != "dormant" else "lapsed (dormant)", a, b))
    q = [f.quick_ratio.iloc[0] if len(f) else np.nan for f in (now, before)]
    out = pd.DataFrame(rows, columns=["status", "this_week", "previous_week"])
    out["change"] = out.this_week - out.previous_week
    quick = pd.DataFrame([("quick ratio", q[0], q[1], q[0] - q[1])], columns=out.columns)
    return pd.concat([out.astype({"this_week": float, "previous_week": float}), quick])


def stays_longest(curve: pd.DataFrame, by: str, period: int) -> dict | None:
    """The ``by`` value with the highest share still buying at ``period``, against the rest.

    Only values with at least :data:`MIN_CUSTOMERS` customers in complete cohorts compete
    (all values when none has that many). Returns a dict with ``value``, ``period``,
    ``rate``, ``customers``, ``rest_rate``, ``rest_customers``, ``difference`` with
    ``low``/``high`` (Newcombe's hybrid score interval, 95 %) and ``ratio`` with
    ``ratio_low``/``ratio_high`` (log interval); None when fewer than two values.
    """
    avail = curve[(curve.period >= 1) & (curve.period <= period)]
    if avail.empty:
        return None
    k = int(avail.period.max())
    at = curve[curve.period == k].set_index(by)
    if len(at) < 2:
        return None
    big = at[at.customers >= MIN_CUSTOMERS]
    pick = (big if len(big) >= 1 else at).rate.idxmax()
    x1, n1 = int(at.retained[pick]), int(at.customers[pick])
    rest = at.drop(index=pick)
    x0, n0 = int(rest.retained.sum()), int(rest.customers.sum())
    if n0 == 0:
        return None
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
    rl, rh = (np.nan, np.nan)
    if x0 > 0 and x1 > 0:
        rl, rh = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio")
    r1, r0 = x1 / n1, x0 / n0
    return {
        "value": pick,
        "period": k,
        "rate": r1,
        "customers": n1,
        "rest_rate": r0,
        "rest_customers": n0,
        "difference": r1 - r0,
        "low": float(low),
        "high": float(high),
        "ratio": r1 / r0 if r0 else np.nan,
        "ratio_low": float(rl),
        "ratio_high": float(rh),
    }


def _lifecycle_sentence(report: RetentionReport) -> str:
    t = this_week(report).set_index("status")
    n = {s: (int(t.this_week[s]), int(t.previous_week[s])) for s in t.index[:4]}
    quick = t.this_week["quick ratio"]
    q = "no customer lapsed" if pd.isna(quick) else f"the quick ratio is {quick:.2f}"
    grows = "" if pd.isna(quick) else (" (the base grew)" if quick > 1 else " (the base shrank)")
    return (
        f"In {report.week}, {n['new'][0]:,} customers bought for the first time, "
        f"{n['returning'][0]:,} bought again after buying the week before, "
        f"{n['resurrecting'][0]:,} came back after a pause and {n['lapsed (dormant)'][0]:,} "
        f"who bought the week before did not (the week before: {n['new'][1]:,}, "
        f"{n['returning'][1]:,}, {n['resurrecting'][1]:,} and {n['lapsed (dormant)'][1]:,}); "
        f"{q}{grows}."
    )


def _cohort_sentence(report: RetentionReport) -> str | None:
    c = report.cohorts
    first = c[(c.period == 1) & c.complete]
    big = first[first.cohort_size >= MIN_CUSTOMERS]
    first = big if len(big) >= 2 else first
    if len(first) < 2:
        return None
    best, worst = first.loc[first.rate.idxmax()], first.loc[first.rate.idxmin()]
    unit = _UNITS[report.cohort]
    fmt = "%Y-%m" if unit == "month" else "%Y-%m-%d"
    who = "customers" if report.start_event == "purchase" else "users"
    again = "bought again" if report.return_event == "purchase" else "came back"
    when = "in the following" if report.mode == "on" else "in the following or a later"
    return (
        f"Of the {who} whose first {unit} was {best.cohort:{fmt}}, {best.rate:.1%} "
        f"{again} {when} {unit} (of {int(best.cohort_size):,}): the best cohort; "
        f"the worst was {worst.cohort:{fmt}} with {worst.rate:.1%} (of "
        f"{int(worst.cohort_size):,})."
    )


def _curve_sentence(report: RetentionReport) -> str | None:
    by = next((s for s in ("first_channel", "first_device") if s in report.curves), None)
    if by is None:
        return None
    cmp = stays_longest(report.curves[by], by, report.horizon)
    if cmp is None:
        return None
    unit = _UNITS[report.cohort]
    ratio = f"; {cmp['ratio']:.1f} times as often" if np.isfinite(cmp["ratio"]) else ""
    return (
        f"Customers first acquired through {_LABEL[by]} {cmp['value']} stay longest: "
        f"{cmp['rate']:.0%} of them still buy {_plural(cmp['period'], unit)} or more after "
        f"their first order's {unit}, against {cmp['rest_rate']:.0%} of the others "
        f"({cmp['difference'] * 100:+.0f} points, 95 % interval {cmp['low'] * 100:+.0f} to "
        f"{cmp['high'] * 100:+.0f}{ratio}; {cmp['customers']:,} and "
        f"{cmp['rest_customers']:,} customers)."
    )


def _gap_sentence(report: RetentionReport) -> str | None:
    if report.gaps is None:
        return None
    w = report.gaps.within
    w = w[(w.by == "(all)") & (w.days == 90)]
    s = report.gaps.summary.set_index("gap")
    if w.empty:
        return None
    r = w.iloc[0]
    median = ""
    if "first to second order" in s.index:
        median = (
            f"; those who did took a median of {s.median_days['first to second order']:.0f} days"
        )
    return (
        f"{r.share:.0%} of first-time buyers order again within 90 days (95 % interval "
        f"{r.share_low:.0%} to {r.share_high:.0%}, of {int(r.buyers):,}; buyers not yet back "
        f"count for as long as they were watched){median}."
    )


def _revenue_sentence(report: RetentionReport) -> str | None:
    if "revenue" in report.missing or report.start_event != "purchase":
        return None
    c = report.cohorts
    if not c.complete.any():  # a log shorter than one cohort period: nothing has ended yet
        return None
    k = min(report.horizon, int(c[c.complete].period.max()))
    done = c[(c.period == k) & c.complete]
    if done.empty or k < 1:
        return None
    per = done.revenue.sum() / done.cohort_size.sum()
    first = c[(c.period == 0) & c.cohort.isin(done.cohort)]
    start = first.revenue.sum() / first.cohort_size.sum()
    unit = _UNITS[report.cohort]
    return (
        f"A new customer brings {money(per)} in net revenue by the end of "
        f"{_plural(k, unit)} after the first order's {unit} ({money(start)} in that {unit}; "
        f"{int(done.cohort_size.sum()):,} customers of {len(done)} complete cohorts)."
    )


def findings(report: RetentionReport) -> list[str]:
    """3-6 sentences: this week's customers, best and worst cohort, the segment that stays
    longest (with its interval), time to the second order, revenue per customer."""
    out = [_lifecycle_sentence(report)]
    for make in (_cohort_sentence, _curve_sentence, _gap_sentence, _revenue_sentence):
        sentence = make(report)
        if sentence:
            out.append(sentence)
    if len(out) < 3:
        sizes = report.cohorts[report.cohorts.period == 0]
        out.append(
            f"{int(sizes.cohort_size.sum()):,} people form {len(sizes):,} cohorts "
            f"(one per {_UNITS[report.cohort]} of their first "
            f"{report.start_event or 'event'})."
        )
    if len(out) < 3:
        out.append(f"Retention here means: {report.mode.replace('_', ' ')} mode.")
    return out[:6]


def planted_check(report: RetentionReport, truth_path: str | Path) -> pd.DataFrame:
    """The referral customers' retention against the planted truth of a synthetic shop.

    Returns one row: ``planted`` ("referral customers repeat about twice as often"),
    ``expected_ratio`` (planted), ``realised_ratio`` (repeat rates in the generated data),
    ``ratio`` (referral against the others on the retention curve at the report's horizon),
    ``ratio_low``, ``ratio_high`` and ``inside`` (the realised ratio within the interval).
    Empty without ``truth_path`` or a ``first_channel`` curve.
    """
    path = Path(truth_path)
    if not path.exists() or "first_channel" not in report.curves:
        return pd.DataFrame()
    truth = json.loads(path.read_text())["truths"].get("referral_repeat_rate")
    curve = report.curves["first_channel"]
    if truth is None or "referral" not in set(curve.first_channel):
        return pd.DataFrame()
    k = min(report.horizon, int(curve.period.max()))
    at = curve[curve.period == k].set_index("first_channel")
    x1, n1 = int(at.retained["referral"]), int(at.customers["referral"])
    rest = at.drop(index="referral")
    x0, n0 = int(rest.retained.sum()), int(rest.customers.sum())
    try:
        low, high = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio")
    except (ZeroDivisionError, ValueError) as exc:
        raise NotComputable(f"too few referral customers for an interval: {exc}") from exc
    realised = truth["realised"]["ratio"]
    row = {
        "planted": truth["statement"],
        "period": k,
        "expected_ratio": truth["expected_ratio"],
        "realised_ratio": realised,
        "ratio": (x1 / n1) / (x0 / n0),
        "ratio_low": float(low),
        "ratio_high": float(high),
        "inside": bool(low <= realised <= high),
    }
    return pd.DataFrame([row])


def to_appendix(report: RetentionReport, truth_path: str | Path) -> None:
    """Put the definitions, the observed gaps between orders and the planted-truth check into
    the page's appendix for analysts (:mod:`journeylib.show.appendix`)."""
    from ..show import appendix, tables

    appendix.add("How retention is measured here", DEFINITIONS)
    for name, why in report.missing.items():
        appendix.note(f"Not computed ({name.replace('_', ' ')}): {why}.")
    if report.gaps is not None:
        table = tables.styled(
            report.gaps.summary,
            integer=["orders"],
            decimals=["median_days", "p25_days", "p75_days"],
            labels={
                "gap": "Gap",
                "median_days": "Median days",
                "p25_days": "25% within days",
                "p75_days": "75% within days",
            },
            caption="Days between orders (observed gaps, whole days)",
        )
        appendix.add("Days between orders", table)
    truth = planted_check(report, truth_path)
    if not truth.empty:
        r = truth.iloc[0]
        verdict = "inside" if r.inside else "outside"
        appendix.add(
            "Against the synthetic shop's planted truth",
            [
                f"Planted: {r.planted} Realised in the generated data: a repeat-rate ratio of "
                f"{r.realised_ratio:.2f} (expected about {r.expected_ratio:.1f}).",
                f"Found on the retention curve, {r.period} periods after the first order: "
                f"referral customers still buy {r.ratio:.2f} times as often as the others "
                f"(95 % interval {r.ratio_low:.2f} to {r.ratio_high:.2f}): the realised ratio "
                f"is {verdict} the interval.",
            ],
        )
