"""journeylib.clv: the RFM summary against lifetimes and by hand, and fits against CDNOW.

Published CDNOW results (Fader, Hardie & Lee 2005, "Counting your customers the easy way";
Fader & Hardie 2013 for Gamma-Gamma) on the 1/10th sample shipped with lifetimes.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from journeylib import clv
from journeylib.clv import _lifetimes
from journeylib.clv import models as clv_models

CDNOW = {"customer": "customer_id", "time": "date"}


def test_summary_equals_lifetimes_on_cdnow_in_weeks_of_days(lifetimes, transactions):
    ours = clv.rfm_summary(
        transactions,
        **CDNOW,
        value="revenue",
        freq="D",
        freq_multiplier=7,
        observation_end="1997-09-30",
    )
    theirs = lifetimes.utils.summary_data_from_transaction_data(
        transactions,
        "customer_id",
        "date",
        monetary_value_col="revenue",
        observation_period_end="1997-09-30",
        freq="D",
        freq_multiplier=7,
    ).sort_index()
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("freq", ["W", "D"])
def test_summary_equals_lifetimes_without_monetary_column(lifetimes, transactions, freq):
    ours = clv.rfm_summary(transactions, **CDNOW, freq=freq)
    theirs = lifetimes.utils.summary_data_from_transaction_data(
        transactions, "customer_id", "date", freq=freq
    ).sort_index()
    assert list(ours.columns) == ["frequency", "recency", "T"]
    pd.testing.assert_frame_equal(ours, theirs)


def test_summary_reproduces_the_published_cdnow_summary(transactions):
    ours = clv.rfm_summary(
        transactions,
        **CDNOW,
        value="revenue",
        freq="D",
        freq_multiplier=7,
        observation_end="1997-09-30",
    )
    shipped = _lifetimes.load_cdnow_summary(monetary=True)
    diff = (ours - shipped[ours.columns]).abs().max()
    assert diff["frequency"] == 0
    assert diff[["recency", "T", "monetary_value"]].max() < 0.0051  # shipped rounded to 0.01


def test_calibration_and_holdout_equal_lifetimes(transactions):
    ours = clv.rfm_summary(
        transactions,
        **CDNOW,
        freq="D",
        freq_multiplier=7,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
    )
    theirs = _lifetimes.calibration_and_holdout(
        transactions,
        "customer_id",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="D",
        freq_multiplier=7,
    ).sort_index()
    theirs.columns = [c.removesuffix("_cal") for c in theirs.columns]
    pd.testing.assert_frame_equal(ours, theirs[ours.columns])
    assert ours["duration_holdout"].iloc[0] == 39


def test_monthly_summary_by_hand():
    tx = pd.DataFrame(
        {
            "who": ["A", "A", "A", "B"],
            "when": pd.to_datetime(["2024-01-15", "2024-01-20", "2024-03-02", "2024-04-30"]),
            "amount": [10.0, 5.0, 30.0, 8.0],
        }
    )
    s = clv.rfm_summary(
        tx,
        customer="who",
        time="when",
        value="amount",
        freq="M",
        observation_end="2024-05-10",
    )
    # A: months Jan (15 + 5 in one period), Mar -> 1 repeat, recency 2 months, T Jan->May = 4;
    #    monetary = mean of repeat periods = 30.  B: first and only purchase in April: T = 1.
    assert s.loc["A"].tolist() == [1.0, 2.0, 4.0, 30.0]
    assert s.loc["B"].tolist() == [0.0, 0.0, 1.0, 0.0]


def test_lifetimes_itself_cannot_do_months(lifetimes, transactions):
    with pytest.raises(ValueError):
        lifetimes.utils.summary_data_from_transaction_data(
            transactions, "customer_id", "date", freq="M"
        )


def _orders_log() -> pd.DataFrame:
    rows = [  # user, event, day, order, revenue
        ("u1", "purchase", "2024-01-01", "1", 100.0),
        ("u1", "purchase", "2024-01-08", "2", 50.0),
        ("u1", "refund", "2024-01-10", "2", -50.0),  # order 2 refunded in full
        ("u1", "purchase", "2024-01-15", "3", 40.0),
        ("u1", "refund", "2024-01-16", "3", -10.0),  # order 3: 10 back, 30 kept
        ("u2", "purchase", "2024-01-02", "4", 20.0),
        ("u2", "refund", "2024-01-03", "9", -5.0),  # refers to an order we never saw
        ("u2", "page_view", "2024-01-22", None, None),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "event", "event_time", "order_id", "revenue"])
    frame["event_time"] = pd.to_datetime(frame["event_time"], utc=True)
    return frame


def test_returns_net_into_their_order_and_are_counted():
    s = clv.rfm_summary(_orders_log(), value="revenue", freq="D", freq_multiplier=7)
    # u1: orders on days 0, 7, 14 -> 2 repeats; repeat values 50-50 = 0 and 40-10 = 30 -> 15.
    # observation end = last event, 2024-01-22: T = 21 days = 3 weeks.
    assert s.loc["u1"].tolist() == [2.0, 2.0, 3.0, 15.0]
    counts = s.attrs["returns"]
    assert counts["returns"] == 3
    assert counts["returns linked to their order"] == 3  # order 9 has an id, but no purchase
    assert counts["orders refunded in full"] == 1
    assert counts["returned value"] == -65.0


def test_returns_drop_removes_orders_refunded_in_full():
    s = clv.rfm_summary(_orders_log(), value="revenue", freq="D", freq_multiplier=7, returns="drop")
    # u1 keeps orders 1 and 3: one repeat, 14 days after the first, worth 30.
    assert s.loc["u1"].tolist() == [1.0, 2.0, 3.0, 30.0]
    assert s.attrs["returns"]["orders dropped as refunded"] == 1


def test_a_refund_after_the_calibration_end_does_not_reach_back():
    s = clv.rfm_summary(
        _orders_log(),
        value="revenue",
        freq="D",
        freq_multiplier=7,
        calibration_end="2024-01-09",
        returns="drop",
    )
    # by 9 January order 2 had not been refunded yet: it counts in calibration
    assert s.loc["u1", "frequency"] == 1.0
    assert s.loc["u1", "frequency_holdout"] == 1.0  # order 3 (partly refunded, kept)


def test_plain_transactions_treat_negative_values_as_returns():
    tx = pd.DataFrame(
        {
            "c": [1, 1, 1],
            "t": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-09"]),
            "v": [10.0, 20.0, -20.0],
        }
    )
    s = clv.rfm_summary(tx, customer="c", time="t", value="v", freq="D")
    assert s.loc[1].tolist() == [1.0, 7.0, 8.0, 20.0]
    assert s.attrs["returns"]["returns without an order id (excluded)"] == 1


def test_bgnbd_reproduces_fader_hardie_lee_2005():
    summary = _lifetimes.load_cdnow_summary()
    model = clv.fit(summary, model="bgnbd")
    assert model.params_.round(3).to_dict() == {
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
    }
    expected = model.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)
    assert round(float(expected), 3) == 1.226
    assert model.diagnostics_["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert model.diagnostics_["converged"] and not model.diagnostics_["warnings"]


def test_pareto_nbd_reproduces_the_published_cdnow_fit():
    # Fader, Hardie & Lee (2005): r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0
    model = clv.fit(_lifetimes.load_cdnow_summary(), model="pareto_nbd")
    assert model.params_.to_numpy() == pytest.approx([0.553, 10.578, 0.606, 11.669], rel=2e-3)
    assert model.diagnostics_["log_likelihood"] == pytest.approx(-9595.0, abs=0.05)
    assert model.diagnostics_["converged"]


def test_gamma_gamma_reproduces_cdnow_and_reports_the_correlation():
    summary = _lifetimes.load_cdnow_summary(monetary=True)
    model = clv.fit(summary, model="gamma_gamma")
    assert model.params_.to_numpy() == pytest.approx([6.25, 3.74, 15.44], abs=0.01)
    buyers = summary[summary["frequency"] > 0]
    corr = np.corrcoef(buyers["frequency"], buyers["monetary_value"])[0, 1]
    assert model.diagnostics_["frequency_value_corr"] == pytest.approx(corr)
    assert model.diagnostics_["customers"] == 946
    assert model.diagnostics_["excluded"] == 2357 - 946


def test_a_penalizer_that_moves_the_parameters_is_reported():
    summary = _lifetimes.load_cdnow_summary()
    with pytest.warns(clv.ClvFitWarning, match="penalizer"):
        model = clv.fit(summary, penalizer=0.1)
    assert model.diagnostics_["penalizer_shift"] > 0.5  # a goes 0.79 -> 0.13


def test_a_fit_that_does_not_converge_raises():
    # nobody ever drops out: every customer buys every week until the end -> a runs to 0
    n = np.arange(1, 41, dtype=float)
    summary = pd.DataFrame({"frequency": n, "recency": n, "T": n})
    with pytest.raises(RuntimeError, match="did not converge"):
        clv.fit(summary)


def test_a_parameter_at_the_edge_of_the_parameter_space_is_reported():
    data = _lifetimes.load_cdnow_summary()
    model = clv.fit_weighted(data, model="bgnbd")
    model.params_["a"] = 1e-7  # as a fit that drove the dropout towards 0 would leave it
    diagnostics = clv_models._diagnose(model, "bgnbd", data, 0.0)
    assert diagnostics["at_bound"] == ["a"]
    assert "edge" in diagnostics["warnings"][0]


def test_fit_restores_warning_filters():
    before = list(warnings.filters)
    clv.fit(_lifetimes.load_cdnow_summary(), model="mbgnbd")
    assert warnings.filters == before


def test_eventlog_and_dataframe_give_the_same_summary(shop_events_df):
    import journeylib as jl

    a = clv.rfm_summary(shop_events_df, value="revenue", freq="h", freq_multiplier=168)
    b = clv.rfm_summary(
        jl.read_events(shop_events_df), value="revenue", freq="h", freq_multiplier=168
    )
    pd.testing.assert_frame_equal(a, b)
    buyers = shop_events_df.loc[shop_events_df.event == "purchase", "user_id"].nunique()
    assert len(a) == buyers


def test_customer_value_one_row_per_buyer(shop_events_df):
    value = clv.customer_value(shop_events_df, horizon_months=6)
    assert list(value.columns) == ["user_id", "clv", "p_alive", "expected_orders"]
    assert value["user_id"].is_unique
    assert value["clv"].is_monotonic_decreasing
    assert value["p_alive"].between(0, 1).all()
    buyers = shop_events_df.loc[shop_events_df.event == "purchase", "user_id"].nunique()
    assert len(value) == buyers
