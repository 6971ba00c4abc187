"""Everything notebook 04 shows about customer lifetime value, computed once, and its findings.

:func:`analyze` runs the whole CLV study on an event log: holdout split, model comparison,
the chosen model refitted on all the data, CLV per buyer, segments and likelihood intervals
(:mod:`~journeylib.clv.intervals`; a bootstrap on request).
:func:`findings` turns the numbers into sentences; :func:`at_risk` lists valuable customers
who are likely gone; :func:`planted_check` compares the estimates with a synthetic shop's
planted parameters (``truth.json``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from ..show.display import money, whole_money
from ..show.fit_notes import collect, notes_markdown
from ..show.sections import Sections, needs_column, not_shown
from . import validation as cv
from . import value as cval
from .intervals import ClvIntervals, clv_intervals
from .models import PURCHASE_MODELS, ClvFitError, fit, rfm_summary
from .refit import refit_purchase_model

__all__ = ["ClvReport", "analyze", "at_risk", "findings", "fit_notes", "planted_check"]

SEGMENTS = ("first_channel", "first_device", "cohort")
#: Time unit of every model here: weeks, measured to the hour (``freq="h"``, 168 hours).
FREQ, PER_WEEK = "h", 168.0


@dataclass(frozen=True)
class ClvReport:
    """Tidy results of :func:`analyze` (see there)."""

    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp
    comparison: cv.ModelComparison
    tracking: pd.DataFrame
    calibration: pd.DataFrame
    holdout_errors: dict[str, float]
    summary: pd.DataFrame
    purchases: Any
    spend: Any
    clv: pd.DataFrame
    segments: pd.DataFrame
    by_segment: dict[str, pd.DataFrame]
    bootstrap: cval.Bootstrap | None
    p_alive: pd.DataFrame
    horizon_months: int
    discount_rate: float
    intervals: ClvIntervals
    #: the sections the log cannot give (``"money"``: no revenue, or no order-value model)
    sections: Sections = field(default_factory=Sections)
    #: the purchase model refitted on the whole period (the chosen one unless it failed there)
    refit_model: str = ""
    #: Warnings of the model fits (not converged, parameters at a bound), one plain line each.
    notes: tuple[str, ...] = ()

    @property
    def model_name(self) -> str:
        """The chosen purchase model in words."""
        return self.comparison.chosen_name


def _noting_fit_warnings(study):
    """``study`` whose fit warnings go to the report's ``notes``, not to stderr."""

    @functools.wraps(study)
    def run(*args: Any, **kwargs: Any) -> ClvReport:
        with collect() as lines:
            report = study(*args, **kwargs)
        return replace(report, notes=tuple(lines))

    return run


@_noting_fit_warnings
def analyze(
    events: EventLog | pd.DataFrame,
    *,
    calibration_end: Any = None,
    observation_end: Any = None,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    models: tuple[str, ...] = PURCHASE_MODELS,
    bootstrap_draws: int = 0,
    seed: int = 0,
) -> ClvReport:
    """Validate the purchase models on a holdout, pick one, and value every buyer.

    Parameters
    ----------
    events
        Event log with ``purchase`` (and ``refund``) events and ``revenue``.
    calibration_end
        End of the calibration period (default: the holdout is the last quarter of the
        period from the first purchase to the end of the log).
    observation_end
        End of the observation (default: the last event).
    horizon_months, discount_rate
        CLV horizon (months) and monthly discount rate.
    models
        Purchase models to compare (``"bgnbd"``, ``"pareto_nbd"``, ``"mbgnbd"``).
    bootstrap_draws, seed
        Bootstrap resamples of customers (0: none) and their seed. The intervals shown are
        the likelihood intervals of :func:`~journeylib.clv.intervals.clv_intervals` either
        way (their coverage is measured: docs/clv_intervals.md); a bootstrap is a second
        opinion kept in ``bootstrap`` (about 1 s a resample on the default shop).

    Warnings of the model fits are not raised: they are kept, one line each, in the report's
    ``notes`` (shown by :func:`fit_notes`).

    Notes
    -----
    Time unit: weeks, measured to the hour (``rfm_summary(freq="h", freq_multiplier=168)``);
    coarser units merge close orders and bias the estimates (weekly periods inflate alpha).
    Revenue is net of refunds of the same order (``returns="net"``).
    """
    cal = calibration_end or cv.default_calibration_end(events)
    sections = Sections()
    money = as_eventlog(events).has("revenue")
    value_column = "revenue" if money else None
    opts = {"value": value_column, "freq": FREQ, "freq_multiplier": PER_WEEK}
    split = rfm_summary(events, calibration_end=cal, observation_end=observation_end, **opts)
    comparison = cv.compare_models(split, models=tuple(models))
    chosen = comparison.models[comparison.chosen]
    preds = comparison.predictions[comparison.predictions["model"] == comparison.chosen]
    track = cv.tracking(
        chosen, events, split, calibration_end=cal, freq=FREQ, freq_multiplier=PER_WEEK
    )
    summary = rfm_summary(events, observation_end=observation_end, **opts)
    purchases, refit = refit_purchase_model(summary, comparison)
    spend = _spend_model(summary, sections) if money else None
    if not money:
        sections.missing(MONEY, needs_column("revenue", "Customer value in money") + NO_MONEY)
        summary = summary.drop(columns=["monetary_value"], errors="ignore")
    value = cval.clv_table(
        purchases,
        spend,
        summary,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
    )
    segments = cval.customer_segments(events)
    boot = None
    if bootstrap_draws > 0:
        boot = cval.bootstrap(
            summary,
            model=comparison.chosen,
            draws=bootstrap_draws,
            segments=segments,
            by=SEGMENTS,
            horizon_months=horizon_months,
            discount_rate=discount_rate,
            seed=seed,
        )
    intervals = clv_intervals(
        purchases,
        spend,
        summary,
        segments=segments,
        by=SEGMENTS,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
    )
    by_segment = {}
    for by in SEGMENTS if spend is not None else ():
        table = cval.clv_by_segment(value, segments, by=by)
        iv = intervals.segments[intervals.segments["by"] == by]
        if not iv.empty:
            table = table.merge(iv[["segment", "lower", "upper"]], on="segment", how="left")
        by_segment[by] = table
    obs = pd.Timestamp(cal) + pd.Timedelta(weeks=float(split["duration_holdout"].iloc[0]))
    return ClvReport(
        calibration_end=pd.Timestamp(cal),
        observation_end=obs,
        comparison=comparison,
        tracking=track,
        calibration=cv.calibration_by_frequency(preds),
        holdout_errors=cv.holdout_errors(preds),
        summary=summary,
        purchases=purchases,
        spend=spend,
        clv=value,
        segments=segments,
        by_segment=by_segment,
        bootstrap=boot,
        p_alive=cval.p_alive_grid(purchases, T=float(summary["T"].median())),
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        intervals=intervals,
        sections=sections,
        refit_model=refit,
    )


#: The section of the page that needs money: CLV, its deciles and segments, at-risk value.
MONEY = "money"
NO_MONEY = " The purchase models, P(alive) and expected purchases need no money and are shown."


def _spend_model(summary: pd.DataFrame, sections: Sections) -> Any | None:
    """Gamma-Gamma on the repeat buyers, or None (and the money section's sentence)."""
    try:
        return fit(summary, model="gamma_gamma")
    except ClvFitError:
        repeat = int(((summary["frequency"] > 0) & (summary["monetary_value"] > 0)).sum())
        why = (
            f"the order-value model (Gamma-Gamma) does not converge on the {repeat:,} repeat "
            "buyers of this log"
        )
        sections.missing(MONEY, not_shown("Customer value in money", why) + NO_MONEY)
        return None


def fit_notes(report: ClvReport) -> Any:
    """The report's fit warnings, one plain line each: added to the appendix for analysts
    (:func:`journeylib.show.appendix.note`) and, in JupyterLab, also shown under the model
    comparison as a short Markdown list. None in a report run or when every fit went well."""
    from ..show import appendix
    from ..show.widgets import in_report

    for line in report.notes:
        appendix.note(f"Model fit: {line}")
    if in_report():
        return None
    return notes_markdown(report.notes, title="Notes on the model fits")


def at_risk(report: ClvReport, *, n: int = 15, top: float = 0.2) -> pd.DataFrame:
    """The valuable customers most likely gone: the ``top`` share by CLV, lowest P(alive).

    Returns ``user_id`` (pseudonymous), ``orders`` (so far), ``repeat_spend`` (net value of
    the repeat orders), ``weeks_since_last_order``, ``p_alive``, ``clv``.
    """
    s, v = report.summary, report.clv
    spent = s["monetary_value"] * s["frequency"]  # repeat spend; the first order is not kept
    frame = pd.DataFrame(
        {
            "orders": s["frequency"] + 1,
            "repeat_spend": spent,
            "weeks_since_last_order": s["T"] - s["recency"],
            "p_alive": v["p_alive"],
            "clv": v["clv"],
        }
    )
    valuable = frame[frame["clv"] >= frame["clv"].quantile(1 - top)]
    out = valuable.sort_values(["p_alive", "clv"], ascending=[True, False]).head(n)
    return out.rename_axis("user_id").reset_index()


def planted_check(report: ClvReport, truth_path: str | Path) -> pd.DataFrame:
    """Estimates against the planted BG/NBD and Gamma-Gamma parameters of a synthetic shop.

    Returns ``model``, ``parameter``, ``planted``, ``estimate``, ``lower``, ``upper``,
    ``inside`` (planted value within the 95 % likelihood interval); empty without
    ``truth_path``.
    Only meaningful when the chosen model is BG/NBD (the shop plants BG/NBD).
    """
    path = Path(truth_path)
    if not path.exists():
        return pd.DataFrame()
    params = json.loads(path.read_text())["parameters"]
    bg, gg = params["bgnbd"], params["gamma_gamma"]
    planted = {
        ("bgnbd", "r"): bg["r"],
        ("bgnbd", "alpha"): bg["alpha"],
        ("bgnbd", "purchase_rate"): bg["r"] / bg["alpha"],
        ("bgnbd", "mean_dropout"): bg["a"] / (bg["a"] + bg["b"]),
        ("bgnbd", "a"): bg["a"],
        ("bgnbd", "b"): bg["b"],
        ("gamma_gamma", "mean_order_value"): gg["p"] * gg["v"] / (gg["q"] - 1),
    }
    iv = report.intervals.parameters.set_index(["model", "parameter"])
    rows = []
    for key, value in planted.items():
        if key in iv.index:
            r = iv.loc[key]
            inside = bool(r["lower"] <= value <= r["upper"])
            rows.append((*key, value, r["estimate"], r["lower"], r["upper"], inside))
    cols = ["model", "parameter", "planted", "estimate", "lower", "upper", "inside"]
    return pd.DataFrame(rows, columns=cols)


def _purchase_findings(report: ClvReport) -> list[str]:
    """Expected orders and P(alive), for a log without money, and why money is not shown."""
    v = report.clv
    gone = int((v["p_alive"] < 0.5).sum())
    return [
        f"Over the next {report.horizon_months} months the {len(v):,} buyers are expected to "
        f"place {v['expected_orders'].sum():,.0f} orders; {gone:,} of them are more likely "
        "gone than active (P(alive) < 50 %).",
        report.sections.tell(MONEY) or "",  # said here, not again where the money would be
    ]


def findings(report: ClvReport) -> list[str]:
    """3-6 sentences: chosen model and its holdout error, value concentration, best segment,
    at-risk value (without money: expected orders, P(alive) and why money is not shown)."""
    t = report.comparison.table
    err = report.holdout_errors
    v = report.clv
    holdout = (
        f"{report.model_name} predicts the holdout best among "
        f"{', '.join(t['name'])}: it expected {err['predicted_total']:,.0f} repeat purchases "
        f"from the calibration customers after {report.calibration_end:%Y-%m-%d} and "
        f"{err['actual_total']:,.0f} happened (per customer MAE {err['mae']:.2f})."
    )
    if report.refit_model and report.refit_model != report.comparison.chosen:
        names = dict(zip(t["model"], t["name"], strict=True))
        used = names.get(report.refit_model, report.refit_model)
        holdout += (
            " Refitted on the whole period it does not give every buyer a usable prediction, "
            f"so this page values customers with {used}, the best on the holdout of those "
            "that do."
        )
    if report.spend is None:
        return [holdout, *_purchase_findings(report)]
    worth = (
        f"Over the next {report.horizon_months} months the {len(v):,} buyers are expected to "
        f"place {v['expected_orders'].sum():,.0f} orders worth {whole_money(v['clv'].sum())} "
        f"(discounted at {report.discount_rate:.1%} a month); the top 10 % of buyers hold "
        f"{cval.top_share(v):.0%} of that value."
    )
    mean = report.intervals.values.set_index("quantity").reindex(["mean_clv"]).iloc[0]
    if pd.notna(mean["lower"]):
        worth += (
            f" A buyer is worth {whole_money(mean['estimate'])} on average (95 % interval "
            f"{whole_money(mean['lower'])}-{whole_money(mean['upper'])})."
        )
    out = [holdout, worth]
    ch = report.by_segment["first_channel"]
    ch = ch[ch["customers"] >= 20]
    if len(ch) > 1:
        best, rest = ch.iloc[0], ch.iloc[1:]
        rest_mean = (rest["mean_clv"] * rest["customers"]).sum() / rest["customers"].sum()
        interval = (
            f" (95 % interval {whole_money(best['lower'])}-{whole_money(best['upper'])})"
            if "lower" in ch and pd.notna(best.get("lower"))
            else ""
        )
        out.append(
            f"Buyers first acquired through {best['segment']} are worth the most: "
            f"{whole_money(best['mean_clv'])} each{interval} against {whole_money(rest_mean)} "
            "for the others."
        )
    top = v[v["clv"] >= v["clv"].quantile(0.8)]
    risky = top[top["p_alive"] < 0.5]
    out.append(
        f"{len(risky):,} of the {len(top):,} most valuable buyers (top 20 % by CLV) are more "
        f"likely gone than active (P(alive) < 50 %): candidates for a win-back."
    )
    corr = report.spend.diagnostics_.get("frequency_value_corr", float("nan"))
    out.append(
        f"Order values do not depend on how often people buy (correlation {corr:.2f}), as the "
        f"Gamma-Gamma spend model assumes; the mean order value is "
        f"{money(v['order_value'].mean())}."
        if abs(corr) <= 0.3
        else f"Order values correlate with purchase frequency ({corr:.2f}): the Gamma-Gamma "
        "spend model's independence assumption does not hold, so treat CLV with care."
    )
    return out
