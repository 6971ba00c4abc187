"""journeylib.clv.validation: holdout errors by hand, tracking against the summary, CDNOW."""

import numpy as np
import pandas as pd
import pytest

from journeylib import clv
from journeylib.clv import _lifetimes
from journeylib.clv import validation as cv


@pytest.fixture(scope="module")
def cdnow():
    tx = _lifetimes.load_cdnow_transactions()
    summary = clv.rfm_summary(
        tx,
        customer="customer_id",
        time="date",
        freq="D",
        freq_multiplier=7,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
    )
    return tx, summary


def test_holdout_errors_by_hand():
    pred = pd.DataFrame({"frequency": [0, 1, 2], "actual": [0, 2, 1], "predicted": [1, 1, 1.0]})
    pred["error"] = pred["predicted"] - pred["actual"]  # +1, -1, 0
    e = cv.holdout_errors(pred)
    assert e["mae"] == pytest.approx(2 / 3)
    assert e["rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert e["bias"] == 0
    assert (e["predicted_total"], e["actual_total"]) == (3, 3)


def test_calibration_by_frequency_pools_the_top():
    pred = pd.DataFrame({"frequency": [0, 0, 3, 9], "actual": [0, 1, 2, 4], "predicted": [0.5] * 4})
    out = cv.calibration_by_frequency(pred, max_frequency=3).set_index(["source", "frequency"])
    assert out.loc[("actual", "0"), "mean_holdout_purchases"] == 0.5
    assert out.loc[("actual", "3+"), "mean_holdout_purchases"] == 3.0  # (2 + 4) / 2
    assert out.loc[("actual", "3+"), "customers"] == 2


def test_default_calibration_end_leaves_the_last_quarter():
    tx = pd.DataFrame({"c": [1, 2], "t": pd.to_datetime(["2024-01-01", "2024-05-01"])})
    # 121 days from first to last purchase; 3/4 of that is 90.75 days -> 2024-03-31 (floored)
    assert cv.default_calibration_end(tx, customer="c", time="t") == pd.Timestamp("2024-03-31")


def test_model_comparison_on_cdnow_picks_a_fitted_model(cdnow):
    _, summary = cdnow
    comparison = cv.compare_models(summary, models=("bgnbd", "mbgnbd"))
    table = comparison.table.set_index("model")
    assert comparison.chosen in ("bgnbd", "mbgnbd")
    assert table["chosen"].sum() == 1
    assert table.loc["bgnbd", "log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert table.loc["bgnbd", "actual_total"] == summary["frequency_holdout"].sum()
    bg = comparison.models["bgnbd"]
    direct = sum(  # the published example: E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226
        bg.conditional_expected_number_of_purchases_up_to_time(39, *row)
        for row in summary[["frequency", "recency", "T"]].to_numpy()[:50]
    )
    first50 = comparison.predictions.query("model == 'bgnbd'")["predicted"].iloc[:50].sum()
    assert first50 == pytest.approx(direct)
    assert comparison.chosen_name in ("BG/NBD", "MBG/NBD")


def test_tracking_counts_match_the_summary(cdnow):
    tx, summary = cdnow
    model = clv.fit(summary)
    track = cv.tracking(
        model,
        tx,
        summary,
        calibration_end="1997-09-30",
        customer="customer_id",
        time="date",
    )
    actual = track[track["source"] == "actual"].set_index("t")["cumulative_repeat_purchases"]
    # at the calibration end all calibration repeats are in; at the end the holdout ones too
    assert actual.loc[0.0] == summary["frequency"].sum()
    assert actual.iloc[-1] == summary["frequency"].sum() + summary["frequency_holdout"].sum()
    model_curve = track[track["source"] == "model"]["cumulative_repeat_purchases"]
    assert model_curve.is_monotonic_increasing
    # the model's curve ends within 10 % of what happened (FHL 2005, figure 3)
    assert model_curve.iloc[-1] == pytest.approx(actual.iloc[-1], rel=0.1)
