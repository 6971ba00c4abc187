"""A/B readout: conversion per variant with the statistics funnel tools leave out.

Answers docs/domain.md's "Experiments: compare conversion by variant". Conversion is measured with
:func:`journeylib.funnel` (first step -> last step, ``by`` the variant column), so an A/B test
uses the same funnel conventions as everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportions_ztest,
)

from ..engine.eventlog import EventLog
from ..engine.intervals import wilson
from .conversion import funnel
from .steps import StepSpec


@dataclass(frozen=True)
class ABResult:
    """What :func:`ab_test` found.

    Attributes
    ----------
    variants
        One row per variant: ``variant``, ``n`` (units entering step 1), ``converted``
        (reaching the last step), ``conversion``, ``ci_low``, ``ci_high`` (Wilson interval).
    comparison
        One row per non-control variant: ``variant``, ``control``, ``lift`` (absolute, in
        conversion points as a share), ``lift_low``, ``lift_high`` (Wald interval),
        ``relative_lift``, ``relative_low``, ``relative_high`` (log risk-ratio interval),
        ``z``, ``p_value`` (pooled two-proportion z-test, two-sided), ``mde`` and
        ``mde_relative`` (smallest true lift detectable with ``power`` at ``alpha`` given the
        observed sizes and the control's conversion).
    srm
        Sample-ratio mismatch: ``chi2``, ``p_value`` of a chi-square goodness-of-fit test of
        the units per variant against the expected split, ``mismatch`` (p < 0.001).
    """

    variants: pd.DataFrame
    comparison: pd.DataFrame
    srm: dict[str, float | bool]


def ab_test(
    events: EventLog | pd.DataFrame,
    variant: str = "variant",
    steps: Sequence[StepSpec] = ("begin_checkout", "purchase"),
    *,
    control: str | None = None,
    expected_split: Sequence[float] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    **funnel_options: Any,
) -> ABResult:
    """Conversion from the first to the last of ``steps`` per ``variant``, compared.

    Parameters
    ----------
    events
        The event log.
    variant
        The column holding the arm (taken from each unit's step-1 event).
    steps
        Funnel steps (see :func:`journeylib.funnel`); default checkout conversion.
    control
        The control arm (default: the first in sort order).
    expected_split
        Expected share of units per variant, in sorted variant order (default equal).
    alpha, power
        Test level (confidence intervals are ``1 - alpha``) and the power of the minimum
        detectable effect.
    **funnel_options
        Passed to :func:`journeylib.funnel` (``count="sessions"``, ``window="7D"``...).

    Returns
    -------
    ABResult
    """
    f = funnel(events, list(steps), by=variant, **funnel_options)
    last = f.step_index.max()
    n = f[f.step_index == 1].set_index(variant)["count"]
    x = f[f.step_index == last].set_index(variant)["count"]
    table = pd.DataFrame({"variant": n.index, "n": n.to_numpy(), "converted": x[n.index]})
    table = table[table.variant != "(none)"].reset_index(drop=True)
    return compare_proportions(
        table, control=control, expected_split=expected_split, alpha=alpha, power=power
    )


def compare_proportions(
    table: pd.DataFrame,
    *,
    control: str | None = None,
    expected_split: Sequence[float] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> ABResult:
    """The statistics of :func:`ab_test` from counts (``variant``, ``n``, ``converted``)."""
    t = table.sort_values("variant", ignore_index=True).copy()
    if len(t) < 2:
        raise ValueError("an A/B test needs at least two variants with units")
    t["conversion"] = t.converted / t.n
    low, high = wilson(t.converted, t.n, alpha=alpha)
    t["ci_low"], t["ci_high"] = np.asarray(low), np.asarray(high)
    control = control if control is not None else t.variant.iloc[0]
    base = t.set_index("variant").loc[control]
    rows = [
        _compare(r, base, control, alpha, power) for r in t.itertuples() if r.variant != control
    ]
    return ABResult(variants=t, comparison=pd.DataFrame(rows), srm=_srm(t.n, expected_split))


def _compare(r: Any, base: pd.Series, control: str, alpha: float, power: float) -> dict:
    x1, n1, x0, n0 = int(r.converted), int(r.n), int(base.converted), int(base.n)
    z, p = proportions_ztest([x1, x0], [n1, n0])
    lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff", alpha=alpha)
    rlo, rhi = (np.nan, np.nan)
    if x0 > 0 and x1 > 0:  # the log interval needs conversions on both sides
        rlo, rhi = confint_proportions_2indep(
            x1, n1, x0, n0, method="log", compare="ratio", alpha=alpha
        )
    p0 = x0 / n0
    mde = _mde(p0, n0, n1, alpha, power)
    return {
        "variant": r.variant,
        "control": control,
        "lift": x1 / n1 - p0,
        "lift_low": lo,
        "lift_high": hi,
        "relative_lift": (x1 / n1) / p0 - 1 if p0 else np.nan,
        "relative_low": rlo - 1,
        "relative_high": rhi - 1,
        "z": float(z),
        "p_value": float(p),
        "mde": mde,
        "mde_relative": mde / p0 if p0 else np.nan,
    }


def _mde(p0: float, n0: int, n1: int, alpha: float, power: float) -> float:
    """Smallest upward lift detectable: Cohen's h from statsmodels, turned back into points."""
    if not 0 < p0 < 1:
        return np.nan
    h = NormalIndPower().solve_power(nobs1=n0, ratio=n1 / n0, alpha=alpha, power=power)
    p1 = np.sin(np.arcsin(np.sqrt(p0)) + h / 2) ** 2
    return float(p1 - p0)


def _srm(n: pd.Series, expected_split: Sequence[float] | None) -> dict[str, float | bool]:
    observed = n.to_numpy(dtype=float)
    split = (
        np.full(len(observed), 1 / len(observed))
        if expected_split is None
        else np.asarray(expected_split, dtype=float)
    )
    chi2, p = stats.chisquare(observed, split / split.sum() * observed.sum())
    return {"chi2": float(chi2), "p_value": float(p), "mismatch": bool(p < 0.001)}


def findings(result: ABResult) -> list[str]:
    """Plain sentences on the readout: the lift with its interval, significance, SRM."""
    out = []
    for c in result.comparison.itertuples():
        v = result.variants.set_index("variant")
        verdict = "significant" if c.p_value < 0.05 else "not significant"
        out.append(
            f"Variant {c.variant} converts {v.loc[c.variant, 'conversion']:.1%} against "
            f"{v.loc[c.control, 'conversion']:.1%} for {c.control}: a relative lift of "
            f"{c.relative_lift:+.1%} (95% CI {c.relative_low:+.1%} to {c.relative_high:+.1%}), "
            f"p = {c.p_value:.2g} ({verdict}); the test could detect {c.mde_relative:.1%} "
            f"relative at 80% power."
        )
    srm = result.srm
    out.append(
        "The split between variants matches the design (sample-ratio check p = "
        f"{srm['p_value']:.2g})."
        if not srm["mismatch"]
        else f"Sample-ratio mismatch (p = {srm['p_value']:.2g}): check the assignment first."
    )
    return out
