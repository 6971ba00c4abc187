"""Likelihood intervals of the CLV models: the method by hand, against a second method, and on
simulated shops of growing size."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from journeylib import clv
from journeylib.clv import _lifetimes
from journeylib.clv import intervals as ci
from journeylib.clv.value import clv_table
from journeylib.synth.shop import generate_shop


def test_exponential_rate_interval_by_hand():
    """100 exponential waiting times summing to 50: rate 2, log-likelihood in x = log(rate)
    100 x - 50 e^x, curvature -100 at the optimum, so se(log rate) = 1/sqrt(100) = 0.1 and the
    95 % interval is 2 exp(-+1.96 * 0.1) = 1.644 to 2.433."""
    cov = ci.log_scale_covariance(lambda x: 100 * x[0] - 50 * np.exp(x[0]), np.log([2.0]))
    se = np.sqrt(cov[0, 0])
    assert se == pytest.approx(0.1, rel=1e-5)
    assert 2 * np.exp(-1.959964 * se) == pytest.approx(1.6440, abs=1e-4)
    assert 2 * np.exp(1.959964 * se) == pytest.approx(2.4331, abs=1e-4)


def test_two_independent_rates_have_no_covariance():
    """Two exponential samples (n 100, sum 50; n 400, sum 100): variances 1/100 and 1/400 on
    the log scale, covariance 0."""

    def loglik(x):
        return 100 * x[0] - 50 * np.exp(x[0]) + 400 * x[1] - 100 * np.exp(x[1])

    cov = ci.log_scale_covariance(loglik, np.log([2.0, 4.0]))
    np.testing.assert_allclose(cov, [[0.01, 0.0], [0.0, 0.0025]], atol=1e-7)


def test_a_flat_likelihood_gives_no_interval():
    cov = ci.log_scale_covariance(lambda x: -((x[0] - 1.0) ** 2), np.array([1.0, 3.0]))
    assert np.isnan(cov).all()


@pytest.fixture(scope="module")
def cdnow():
    summary = _lifetimes.load_cdnow_summary(monetary=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvFitWarning)
        return summary, clv.fit(summary, model="bgnbd"), clv.fit(summary, model="gamma_gamma")


def test_hessian_matches_autograds_exact_one_on_cdnow(cdnow):
    """Second method: autograd (lifetimes' own dependency) differentiates BG/NBD's likelihood
    exactly; the finite-difference covariance agrees to 0.1 %."""
    autograd = pytest.importorskip("autograd")
    _, bg, _ = cdnow
    grouped = bg.data_weights_
    args = [grouped[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "_w")]
    w = args[3]

    def nll(x):
        return type(bg)._negative_log_likelihood(x, *args, 0.0) * w.sum()

    x0 = np.log(bg.params_.to_numpy())
    with _lifetimes.preserved_warnings():
        exact = np.linalg.inv(autograd.hessian(nll)(x0))
    got = ci.log_scale_covariance(ci.log_likelihood_function(bg), x0)
    np.testing.assert_allclose(got, exact, rtol=1e-3)


def test_parameter_and_derived_intervals_on_cdnow(cdnow):
    """r's interval is exp(log r -+ z se); mean_dropout is on the logit scale, with
    se^2 = var(log a) + var(log b) - 2 cov(log a, log b)."""
    _, bg, _ = cdnow
    table = ci.parameter_intervals(bg).set_index("parameter")
    cov = ci.log_scale_covariance(ci.log_likelihood_function(bg), np.log(bg.params_.to_numpy()))
    r = table.loc["r"]
    assert r["estimate"] == pytest.approx(0.2426, abs=1e-3)  # Fader, Hardie & Lee (2005)
    assert r["lower"] == pytest.approx(r["estimate"] * np.exp(-1.959964 * np.sqrt(cov[0, 0])))
    se = np.sqrt(cov[2, 2] + cov[3, 3] - 2 * cov[2, 3])
    dropout = table.loc["mean_dropout"]
    assert dropout["se"] == pytest.approx(se)
    upper = 1 / (1 + np.exp(-(np.log(dropout["estimate"] / (1 - dropout["estimate"])) + 1.96 * se)))
    assert dropout["upper"] == pytest.approx(upper, rel=1e-3)
    assert set(table.index) == {"r", "alpha", "a", "b", "purchase_rate", "mean_dropout"}


def test_delta_method_matches_parameter_draws_for_mean_clv(cdnow):
    """Second method for the value intervals: draw the log-parameters from their normal
    approximation, compute the mean CLV of the same buyers for each draw; the spread of
    log(mean CLV) matches the delta method's standard error within 15 % (200 draws: the
    spread itself is known to about 5 %)."""
    summary, bg, gg = cdnow
    buyers = summary.iloc[:100]
    values, _ = ci.value_intervals(bg, gg, buyers)
    se = values.set_index("quantity").loc["mean_clv", "se"]
    rng = np.random.default_rng(0)
    draws = []
    for model in (bg, gg):
        x = np.log(model.params_.to_numpy())
        cov = ci.log_scale_covariance(ci.log_likelihood_function(model), x)
        draws.append(np.exp(rng.multivariate_normal(x, cov, 200)))
    means = [
        clv_table(ci.with_parameters(bg, p), ci.with_parameters(gg, q), buyers)["clv"].mean()
        for p, q in zip(*draws, strict=True)
    ]
    assert np.std(np.log(means)) == pytest.approx(se, rel=0.15)


def test_no_money_gives_purchase_intervals_only(cdnow):
    summary, bg, _ = cdnow
    iv = ci.clv_intervals(bg, None, summary.drop(columns="monetary_value"))
    assert set(iv.parameters["model"]) == {"bgnbd"}
    assert list(iv.values["quantity"]) == ["mean_p_alive", "mean_expected_orders"]
    assert iv.segments.empty


def _shop_intervals(tmp_path, users: int) -> pd.DataFrame:
    shop = generate_shop(n_customers=users, seed=1, out=tmp_path / str(users))
    end = json.loads(shop.truth.read_text())["generator"]["observation_end"]
    buys = pq.read_table(shop.events, filters=[("event", "=", "purchase")]).to_pandas()
    summary = clv.rfm_summary(
        buys, value="revenue", freq="h", freq_multiplier=168, observation_end=pd.Timestamp(end)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clv.ClvFitWarning)
        bg, gg = clv.fit(summary, model="bgnbd"), clv.fit(summary, model="gamma_gamma")
    iv = ci.clv_intervals(bg, gg, summary)
    table = pd.concat([iv.parameters.set_index("parameter"), iv.values.set_index("quantity")])
    return np.log(table["upper"] / table["lower"])


def test_intervals_narrow_as_the_shop_grows(tmp_path):
    """Four times the customers: intervals about half as wide (1/sqrt(4)) on the log scale;
    asserted between 1.4x and 3x narrower for the well-identified quantities."""
    small, large = _shop_intervals(tmp_path, 8_000), _shop_intervals(tmp_path, 32_000)
    for name in ("r", "alpha", "purchase_rate", "mean_order_value", "mean_clv", "mean_p_alive"):
        assert 1.4 < small[name] / large[name] < 3.0, (name, small[name], large[name])
    assert (small > 0).all() and (large > 0).all()
