"""What each customer is worth: expected purchases, P(alive), discounted CLV, with intervals.

:func:`clv_table` values each customer with a fitted purchase model and Gamma-Gamma;
:func:`value_distribution` and :func:`top_share` describe how concentrated value is;
:func:`customer_segments` and :func:`clv_by_segment` answer "which channels and cohorts bring
the valuable ones?" (docs/domain.md: acquisition channels and their effect on later behaviour);
:func:`bootstrap` resamples customers to put intervals on the parameters and on CLV by
segment; :func:`p_alive_grid` is the P(alive) heatmap's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.ordered import first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, ROW_ID
from ..show.fit_notes import collect
from .models import fit, fit_weighted, model_input, rfm_summary

__all__ = [
    "Bootstrap",
    "bootstrap",
    "clv_by_segment",
    "clv_table",
    "customer_value",
    "predicted_clv",
    "customer_segments",
    "p_alive_grid",
    "top_share",
    "value_distribution",
]

#: Model time units (weeks) per month: 365.25 / 12 / 7.
WEEKS_PER_MONTH = 365.25 / 12 / 7


def clv_table(
    purchases: Any,
    spend: Any,
    summary: pd.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    units_per_month: float = WEEKS_PER_MONTH,
) -> pd.DataFrame:
    """Expected purchases, P(alive), expected order value and discounted CLV per customer.

    Parameters
    ----------
    purchases, spend
        A fitted purchase model (BG/NBD, Pareto/NBD, MBG/NBD) and Gamma-Gamma model;
        ``spend=None`` for a log without money: then only ``expected_orders`` and
        ``p_alive`` are returned.
    summary
        :func:`~journeylib.clv.rfm_summary` (``frequency``, ``recency``, ``T``,
        ``monetary_value``) in the models' time unit.
    horizon_months, discount_rate
        CLV horizon in months and monthly discount rate.
    units_per_month
        Model time units per month (default weeks: 4.348; lifetimes uses 4.345).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``summary``: ``expected_orders`` (over the horizon), ``p_alive``,
        ``order_value`` (Gamma-Gamma conditional mean; the population mean for customers
        without repeats), ``clv``.

    Notes
    -----
    As lifetimes' ``customer_lifetime_value``: the purchases expected in month m are
    discounted by ``(1 + discount_rate) ** m``; one loop over months, vectorised over
    customers. BG/NBD puts P(alive) = 1 for customers without a repeat purchase (the
    model lets nobody drop out before their first repeat); MBG/NBD does not.
    """
    f, r, t = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    value = (
        np.ones(len(summary))  # no money: the loop below counts discounted purchases
        if spend is None
        else np.asarray(
            spend.conditional_expected_average_profit(
                summary["frequency"], summary["monetary_value"].clip(lower=0)
            ),
            dtype=float,
        )
    )
    clv, before = np.zeros(len(summary)), np.zeros(len(summary))
    for month in range(1, horizon_months + 1):
        cum = np.asarray(
            purchases.conditional_expected_number_of_purchases_up_to_time(
                month * units_per_month, f, r, t
            ),
            dtype=float,
        )
        clv += (cum - before) * value / (1 + discount_rate) ** month
        before = cum
    alive = np.asarray(purchases.conditional_probability_alive(f, r, t), dtype=float)
    if spend is None:
        return pd.DataFrame({"expected_orders": before, "p_alive": alive}, index=summary.index)
    return pd.DataFrame(
        {"expected_orders": before, "p_alive": alive, "order_value": value, "clv": clv},
        index=summary.index,
    )


def value_distribution(clv: pd.DataFrame) -> pd.DataFrame:
    """Deciles of CLV: ``decile`` (1 = most valuable), ``customers``, ``mean_clv``,
    ``total_clv``, ``share`` (of all CLV), ``cumulative_share``. Customers the model gives
    no value (NaN) are left out of the deciles; ``attrs["unvalued"]`` counts them."""
    valued = clv["clv"].dropna()
    ranked = valued.rank(method="first", ascending=False)
    decile = np.ceil(ranked / max(len(valued), 1) * 10).astype(int).clip(1, 10)
    out = valued.groupby(decile.to_numpy()).agg(customers="size", mean_clv="mean", total_clv="sum")
    out.index.name = "decile"
    out = out.reset_index()
    out["share"] = out["total_clv"] / out["total_clv"].sum()
    out["cumulative_share"] = out["share"].cumsum()
    out.attrs["unvalued"] = len(clv) - len(valued)
    return out


def top_share(clv: pd.DataFrame, *, top: float = 0.1) -> float:
    """Share of all CLV held by the ``top`` fraction of customers (0.1: the top decile), among
    the customers the model values (NaN left out)."""
    values = np.sort(clv["clv"].dropna().to_numpy())[::-1]
    n = max(1, round(top * len(values)))
    return float(values[:n].sum() / values.sum())


def customer_segments(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """First channel, first device and monthly cohort of every buyer, from the event log.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``user_id`` (buyers only): ``first_channel`` and ``first_device`` (of the
        user's earliest event that has one; ``"(none)"`` without), ``cohort`` (month of the
        first purchase, ``"2024-03"``).
    """
    t = as_eventlog(events).table
    buys = t.filter(t.event == PURCHASE)
    cohort = buys.group_by("user_id").aggregate(_first=buys.event_time.min())
    parts = [cohort]
    for col, name in (("channel", "first_channel"), ("device", "first_device")):
        if col in t.columns:
            has = t.filter(t[col].notnull())
            first = first_in_order(has[col], [has.event_time, has[ROW_ID]])
            parts.append(has.group_by("user_id").aggregate(**{name: first}))
    expr = parts[0]
    for part in parts[1:]:
        expr = expr.left_join(part, "user_id").drop("user_id_right")
    out = expr.execute().set_index("user_id").sort_index()
    out["cohort"] = pd.to_datetime(out.pop("_first"), utc=True).dt.strftime("%Y-%m")
    for name in ("first_channel", "first_device"):
        out[name] = out[name].fillna("(none)") if name in out else "(none)"
    return out[["first_channel", "first_device", "cohort"]]


def clv_by_segment(clv: pd.DataFrame, segments: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Customers, mean and total CLV, mean P(alive) and expected orders per ``by`` value.

    Returns ``segment`` (the value), ``customers``, ``mean_clv``, ``total_clv``,
    ``share_of_clv``, ``mean_p_alive``, ``mean_expected_orders``; largest mean CLV first.
    """
    j = clv.join(segments[[by]], how="inner")
    out = j.groupby(by).agg(
        customers=("clv", "size"),
        mean_clv=("clv", "mean"),
        total_clv=("clv", "sum"),
        mean_p_alive=("p_alive", "mean"),
        mean_expected_orders=("expected_orders", "mean"),
    )
    out.insert(3, "share_of_clv", out["total_clv"] / out["total_clv"].sum())
    out = out.rename_axis("segment").reset_index()
    return out.sort_values("mean_clv", ascending=False, ignore_index=True)


def p_alive_grid(model: Any, *, max_frequency: int = 10, T: float = 52.0) -> pd.DataFrame:
    """P(alive) over a (recency, frequency) grid for customers of age ``T``.

    Returns tidy rows ``frequency``, ``recency`` (whole time units, 0..T), ``p_alive``;
    combinations that cannot happen (a repeat purchase with recency 0) are left out.
    """
    f, r = np.meshgrid(np.arange(max_frequency + 1), np.arange(int(T) + 1), indexing="ij")
    f, r = f.ravel().astype(float), r.ravel().astype(float)
    keep = (f == 0) == (r == 0)
    f, r = f[keep], r[keep]
    alive = np.asarray(model.conditional_probability_alive(f, r, np.full_like(f, T)), float)
    return pd.DataFrame({"frequency": f.astype(int), "recency": r.astype(int), "p_alive": alive})


@dataclass(frozen=True)
class Bootstrap:
    """Bootstrap draws over customers (see :func:`bootstrap`).

    Attributes
    ----------
    params
        One row per draw and parameter: ``draw``, ``model``, ``parameter``, ``value``.
    intervals
        Per ``model`` and ``parameter``: ``estimate`` (full data), ``lower``, ``upper``
        (percentile interval), ``draws``; includes the derived ``purchase_rate`` r/alpha (mean rate
        of the active), ``mean_dropout`` a/(a+b)
        (BG/NBD, MBG/NBD) and ``mean_order_value`` p v / (q - 1) (Gamma-Gamma).
    segments
        Per ``by`` (segment column) and ``segment``: ``mean_clv``, ``lower``, ``upper``.
    failed
        Draws whose fit failed (left out).
    """

    params: pd.DataFrame
    intervals: pd.DataFrame
    segments: pd.DataFrame
    failed: int


def _derived(model: str, params: pd.Series) -> pd.Series:
    extra = {}
    if {"r", "alpha"} <= set(params.index):
        extra["purchase_rate"] = params["r"] / params["alpha"]
    if {"a", "b"} <= set(params.index):
        extra["mean_dropout"] = params["a"] / (params["a"] + params["b"])
    if model == "gamma_gamma":
        extra["mean_order_value"] = params["p"] * params["v"] / (params["q"] - 1)
    return pd.concat([params, pd.Series(extra, dtype=float)])


def bootstrap(
    summary: pd.DataFrame,
    *,
    model: str = "bgnbd",
    draws: int = 50,
    segments: pd.DataFrame | None = None,
    by: tuple[str, ...] = (),
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    level: float = 0.95,
    seed: int = 0,
) -> Bootstrap:
    """Resample customers with replacement, refit, and collect parameters and CLV by segment.

    Each draw gives every customer a multinomial count (the number of times it is drawn);
    the models are refitted with those counts as weights (identical to fitting the resampled
    rows), CLV is computed with the draw's parameters, and segment means are count-weighted
    means. ``model`` is the purchase model; Gamma-Gamma is refitted in every draw too when
    ``summary`` has ``monetary_value``. Intervals are percentile intervals at ``level``.
    """
    rng = np.random.default_rng(seed)
    has_value = "monetary_value" in summary.columns
    full = {model: fit_weighted(model_input(summary, model)[0], model=model)}
    if has_value:
        full["gamma_gamma"] = fit_weighted(
            model_input(summary, "gamma_gamma")[0], model="gamma_gamma"
        )
    seg = None if segments is None else summary[[]].join(segments[list(by)], how="left")
    params, seg_rows, failed = [], [], 0
    for draw in range(draws):  # a loop over draws; each draw is vectorised over customers
        counts = rng.multinomial(len(summary), np.full(len(summary), 1 / len(summary)))
        try:
            fitted = _fit_draw(summary, counts, list(full))
        except RuntimeError:
            failed += 1
            continue
        for key, m in fitted.items():
            for name, value in _derived(key, m.params_).items():
                params.append((draw, key, name, float(value)))
        if seg is not None and has_value:
            clv = clv_table(
                fitted[model],
                fitted["gamma_gamma"],
                summary,
                horizon_months=horizon_months,
                discount_rate=discount_rate,
            )["clv"].to_numpy()
            seg_rows += _segment_means(seg, clv, counts, draw)
    params_df = pd.DataFrame(params, columns=["draw", "model", "parameter", "value"])
    intervals = _intervals(params_df, full, level)
    seg_df = _segment_intervals(pd.DataFrame(seg_rows), level) if seg_rows else pd.DataFrame()
    return Bootstrap(params_df, intervals, seg_df, failed)


def _fit_draw(summary: pd.DataFrame, counts: np.ndarray, models: list[str]) -> dict[str, Any]:
    out = {}
    for key in models:
        data, _ = model_input(summary, key)
        w = counts[summary.index.get_indexer(data.index)]
        out[key] = fit_weighted(data, model=key, weights=w)
    return out


def _segment_means(seg: pd.DataFrame, clv: np.ndarray, counts: np.ndarray, draw: int) -> list:
    rows = []
    weighted = clv * counts
    for col in seg.columns:
        codes, labels = pd.factorize(seg[col].fillna("(none)"))
        total = np.bincount(codes, weights=weighted, minlength=len(labels))
        n = np.bincount(codes, weights=counts, minlength=len(labels))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = total / n
        rows += [(draw, col, lab, m) for lab, m in zip(labels, means, strict=True)]
    return rows


def _intervals(params: pd.DataFrame, full: dict[str, Any], level: float) -> pd.DataFrame:
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    g = params.groupby(["model", "parameter"], sort=False)["value"]
    out = pd.DataFrame({"lower": g.quantile(lo), "upper": g.quantile(hi), "draws": g.size()})
    est = pd.concat({k: _derived(k, m.params_) for k, m in full.items()})
    out.insert(0, "estimate", est.reindex(out.index))
    return out.reset_index()


def _segment_intervals(rows: pd.DataFrame, level: float) -> pd.DataFrame:
    rows.columns = ["draw", "by", "segment", "mean_clv"]
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    g = rows.groupby(["by", "segment"])["mean_clv"]
    return pd.DataFrame({"lower": g.quantile(lo), "upper": g.quantile(hi)}).reset_index()


# ----------------------------------------------------------------------------- one call
def customer_value(
    events: EventLog | pd.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    model: str = "bgnbd",
    penalizer: float = 0.0,
) -> pd.DataFrame:
    """Per-buyer CLV, P(alive) and expected orders from an event log, in one call.

    Fits ``model`` (weeks, measured in days) and Gamma-Gamma on the whole log's purchases
    (revenue net of refunds) and values each buyer over ``horizon_months`` at a monthly
    ``discount_rate``. See :func:`journeylib.clv.value.clv_table` for the conventions.

    Returns
    -------
    pandas.DataFrame
        One row per buyer: ``user_id``, ``clv``, ``p_alive``, ``expected_orders`` (over the
        horizon), sorted by ``clv`` descending.
    """
    summary = rfm_summary(events, value="revenue", freq="D", freq_multiplier=7)
    purchases = fit(summary, model=model, penalizer=penalizer)
    spend = fit(summary, model="gamma_gamma", penalizer=penalizer)
    table = clv_table(
        purchases,
        spend,
        summary,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
    )
    out = table.reset_index().rename(columns={summary.index.name: "user_id"})
    out = out[["user_id", "clv", "p_alive", "expected_orders"]]
    return out.sort_values("clv", ascending=False, ignore_index=True)


def predicted_clv(
    events: EventLog | pd.DataFrame, *, horizon_months: int = 12
) -> tuple[pd.DataFrame | None, str | None, tuple[str, ...]]:
    """Predicted CLV per buyer, or None with the sentence saying why; and the fit warnings.

    Returns
    -------
    (DataFrame or None, str or None, tuple of str)
        :func:`journeylib.clv.customer_value` (None when the log has no revenue or the
        models cannot be fitted on its buyers); the plain sentence for the findings when
        None; the models' fit warnings and the technical reason a fit failed, as plain lines
        for the appendix for analysts (never raised).
    """
    if not as_eventlog(events).has("revenue"):
        return None, "No predicted CLV: the log has no revenue column.", ()
    with collect() as lines:
        try:
            value, why = customer_value(events, horizon_months=horizon_months), None
        except NotComputable as err:
            value, failed = None, " ".join(str(err).split())
            why = (
                "No predicted CLV: the CLV models cannot be fitted on this log's buyers (the "
                "appendix for analysts says why); CLV rows show net revenue so far."
            )
    return value, why, (*lines, f"No predicted CLV: {failed}") if why else tuple(lines)
