"""Gamma-Gamma through journeylib's weighted fit against lifetimes' plain fit."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from journeylib import clv
from journeylib.clv import _lifetimes


def weekly_summary(seed: int, *, customers: int = 2742, catalog: int = 100) -> pd.DataFrame:
    """A weekly RFM summary of repeat buyers, recency and T measured to the hour.

    Purchase rates are gamma-distributed; an order's value is the price of one product of a
    catalogue of ``catalog`` lognormal prices, popular products (Zipf) bought most, so that
    many customers share a (frequency, value) pair, as in a real shop.
    """
    rng = np.random.default_rng(seed)
    hours = rng.integers(24, 52 * 168, customers)
    T = hours / 168
    frequency = np.maximum(rng.poisson(rng.gamma(0.3, 1 / 6, customers) * T), 1)
    prices = np.round(np.exp(rng.normal(4.5, 0.5, catalog)), 2)
    bought = prices[rng.zipf(1.5, (customers, 30)) % catalog]
    counted = np.arange(30)[None, :] < frequency[:, None]
    value = (bought * counted).sum(axis=1) / np.minimum(frequency, 30)
    recency = np.floor(hours * rng.uniform(0.2, 1.0, customers)) / 168
    return pd.DataFrame(
        {
            "frequency": frequency.astype(float),
            "recency": recency,
            "T": T,
            "monetary_value": np.round(value, 2),
        }
    )


def plain_fit(summary: pd.DataFrame) -> pd.Series:
    lifetimes = _lifetimes.import_lifetimes()
    with contextlib.redirect_stdout(io.StringIO()):
        fitted = _lifetimes.fit(
            lifetimes.GammaGammaFitter(), summary.frequency, summary.monetary_value
        )
    return fitted.params_


@pytest.mark.parametrize("seed", [4, 2, 10])
def test_weighted_fit_converges_where_the_plain_fit_does_with_the_same_parameters(seed):
    # seed 4: lifetimes' BFGS on the distinct (frequency, value) rows with counts stops with
    # "precision loss" at the optimum while the plain fit, one row per customer, converges
    summary = weekly_summary(seed)
    assert len(summary) == 2742 and (summary.frequency > 0).all()
    plain = plain_fit(summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvFitWarning)  # the correlation check
        ours = clv.fit(summary, model="gamma_gamma").params_
    assert (ours / plain - 1).abs().max() < 0.02, (ours.to_dict(), plain.to_dict())


def test_the_first_summary_is_one_where_bfgs_stops_on_the_distinct_rows():
    # what the weighted fit has to get past: lifetimes' own fit on distinct rows with counts
    lifetimes = _lifetimes.import_lifetimes()
    rows = weekly_summary(4).groupby(["frequency", "monetary_value"], sort=False).size()
    frequency, value = (rows.index.get_level_values(i).to_numpy() for i in (0, 1))
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(Exception, match="converge"):
        lifetimes.GammaGammaFitter().fit(frequency, value, weights=rows.to_numpy(dtype=float))


def test_no_optimum_is_still_an_error():
    # five price points: p and v run off to infinity together, lifetimes fails as well
    rng = np.random.default_rng(0)
    frequency = rng.integers(1, 4, 500).astype(float)
    value = rng.choice([9.99, 19.99, 49.9], 500) * 1.0
    summary = pd.DataFrame(
        {"frequency": frequency, "recency": 1.0, "T": 2.0, "monetary_value": value}
    )
    with pytest.raises(clv.ClvFitError):
        clv.fit(summary, model="gamma_gamma")
