"""lifetimes 0.11.3 on today's stack: the known breakages, and journeylib's guards against them.

Each "fact" test records a breakage as it is today; when a pandas, matplotlib or setuptools
release changes one, the test fails and tells us the guard in journeylib/clv/_lifetimes.py can go.
"""

import json
import subprocess
import sys
import warnings
from importlib import metadata

import pandas as pd
import pytest
from packaging.version import Version

from journeylib.clv import _lifetimes

LIFETIMES_FILTER = ("ignore", None, FutureWarning, None, 0)


# One fresh interpreter (clean warning filters, nothing imported) records what happens in order:
# journeylib and the guard first, then a plain ``import lifetimes`` once the guarded one is gone.
FRESH_PROCESS = """
import json, sys, warnings
import journeylib
from journeylib.clv._lifetimes import import_lifetimes, load_cdnow_summary
import_lifetimes()
load_cdnow_summary()
facts = {"pkg_resources_after_guard": "pkg_resources" in sys.modules}
with warnings.catch_warnings(record=True) as seen:
    warnings.warn("still visible", FutureWarning)
facts["future_warnings_seen_after_guard"] = len(seen)
for name in [m for m in sys.modules if m.split(".")[0] == "lifetimes"]:
    del sys.modules[name]
import lifetimes
facts["plain_import_first_filter"] = repr(warnings.filters[0][:3])
warnings.simplefilter("ignore")
import lifetimes.datasets
facts["pkg_resources_after_datasets"] = "pkg_resources" in sys.modules
print(json.dumps(facts))
"""


@pytest.fixture(scope="module")
def fresh_process() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)


def test_lifetimes_is_the_pinned_release():
    assert metadata.version("lifetimes") == "0.11.3"


def test_fact_plain_import_hides_every_future_warning(fresh_process):
    assert fresh_process["plain_import_first_filter"] == "('ignore', None, <class 'FutureWarning'>)"


def test_future_warnings_stay_visible_after_journeylib_and_the_guard(fresh_process):
    assert fresh_process["future_warnings_seen_after_guard"] == 1


def test_fit_restores_the_filters_it_changes(lifetimes):
    summary = _lifetimes.load_cdnow_summary()
    before = list(warnings.filters)
    _lifetimes.fit(
        lifetimes.BetaGeoFitter(), summary["frequency"], summary["recency"], summary["T"]
    )
    assert warnings.filters == before


def test_fact_fit_itself_hides_future_warnings(lifetimes):
    summary = _lifetimes.load_cdnow_summary()
    with warnings.catch_warnings():
        warnings.resetwarnings()
        lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        assert warnings.filters[0] == LIFETIMES_FILTER


def test_fact_every_likelihood_evaluation_hides_future_warnings(lifetimes):
    summary = _lifetimes.load_cdnow_summary()
    weights = pd.Series(1.0, index=summary.index)
    args = (summary["frequency"], summary["recency"], summary["T"], weights, 0.0)
    with warnings.catch_warnings():
        warnings.resetwarnings()
        lifetimes.BetaGeoFitter._negative_log_likelihood([0.0, 1.0, 0.0, 1.0], *args)
        assert warnings.filters[0] == LIFETIMES_FILTER
    with _lifetimes.preserved_warnings():  # the way to call one directly
        lifetimes.BetaGeoFitter._negative_log_likelihood([0.0, 1.0, 0.0, 1.0], *args)
    assert LIFETIMES_FILTER not in warnings.filters[:1]


def test_fact_datasets_import_pkg_resources_so_setuptools_stays_below_82(fresh_process):
    assert fresh_process["pkg_resources_after_datasets"] is True
    assert Version(metadata.version("setuptools")) < Version("82")


def test_guard_loaders_do_not_need_pkg_resources(fresh_process):
    assert fresh_process["pkg_resources_after_guard"] is False


def test_fact_freq_m_fails_on_this_pandas(lifetimes, transactions):
    assert Version(pd.__version__) >= Version("2.2")
    with pytest.raises(ValueError, match="Unit M is not supported"):
        lifetimes.utils.summary_data_from_transaction_data(
            transactions, "customer_id", "date", observation_period_end="1997-09-30", freq="M"
        )


def test_check_freq_rejects_months_with_a_way_out():
    with pytest.raises(ValueError, match="freq_multiplier"):
        _lifetimes.check_freq("M")
    assert [_lifetimes.check_freq(f) for f in _lifetimes.FREQS] == list(_lifetimes.FREQS)


def test_fact_calibration_without_monetary_fails_on_pandas_3(lifetimes, transactions):
    def calibrate():
        return lifetimes.utils.calibration_and_holdout_data(
            transactions, "customer_id", "date", calibration_period_end="1997-09-30"
        )

    if Version(pd.__version__) < Version("3"):
        assert len(calibrate()) == 2357  # pandas 2 still works: the guard is harmless there
        return
    with pytest.raises(ValueError, match="No objects to concatenate"):
        calibrate()


def test_calibration_and_holdout_guard_works_without_monetary(transactions):
    result = _lifetimes.calibration_and_holdout(
        transactions,
        "customer_id",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="D",
        freq_multiplier=7,
    )
    columns = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"]
    assert list(result.columns) == columns
    assert len(result) == 2357
    assert result["duration_holdout"].iloc[0] == 39  # 1997-10-01..1998-06-30: 39 weeks


def test_fact_a_plotting_helper_fails_on_matplotlib_3_8_and_later(lifetimes):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import lifetimes.plotting
    import matplotlib.pyplot as plt

    summary = _lifetimes.load_cdnow_summary()
    model = _lifetimes.fit(
        lifetimes.BetaGeoFitter(), summary["frequency"], summary["recency"], summary["T"]
    )
    assert Version(matplotlib.__version__) >= Version("3.8")
    with pytest.raises(AttributeError, match="prop_cycler"):
        lifetimes.plotting.plot_expected_repeat_purchases(model)
    plt.close("all")


def test_cdnow_loaders_match_the_published_data():
    summary = _lifetimes.load_cdnow_summary()
    transactions = _lifetimes.load_cdnow_transactions()
    assert summary.shape == (2357, 3)
    assert list(summary.columns) == ["frequency", "recency", "T"]
    assert transactions.shape == (6919, 4)
    assert transactions["customer_id"].nunique() == 2357
    first = transactions[transactions["customer_id"] == 1]
    assert first["date"].dt.strftime("%Y-%m-%d").tolist()[:3] == [
        "1997-01-01",
        "1997-01-18",
        "1997-08-02",
    ]
    # customer 1: two repeat purchases by the end of calibration, the last 213 days = 30.43 weeks in
    assert summary.loc[1].tolist() == [2, 30.43, 38.86]


def test_summary_rebuilt_from_transactions_matches_the_shipped_summary(lifetimes, transactions):
    rebuilt = lifetimes.utils.summary_data_from_transaction_data(
        transactions,
        "customer_id",
        "date",
        observation_period_end="1997-09-30",
        freq="D",
        freq_multiplier=7,
    )
    shipped = _lifetimes.load_cdnow_summary()
    rebuilt = rebuilt.reindex(shipped.index)
    assert (rebuilt["frequency"] == shipped["frequency"]).all()
    assert (rebuilt[["recency", "T"]] - shipped[["recency", "T"]]).abs().max().max() < 0.01


def test_bgnbd_reproduces_fader_hardie_lee_2005(lifetimes):
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way", CDNOW sample:
    # r = 0.243, alpha = 4.414, a = 0.793, b = 2.426.
    summary = _lifetimes.load_cdnow_summary()
    model = _lifetimes.fit(
        lifetimes.BetaGeoFitter(), summary["frequency"], summary["recency"], summary["T"]
    )
    expected = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert model.params_.round(3).to_dict() == expected


def test_gamma_gamma_reproduces_fader_hardie_2013(lifetimes):
    # Fader & Hardie (2013), "The Gamma-Gamma model of monetary value": p = 6.25, q = 3.74,
    # gamma = 15.44 on the CDNOW repeat buyers.
    summary = _lifetimes.load_cdnow_summary(monetary=True)
    buyers = summary[summary["frequency"] > 0]
    model = _lifetimes.fit(
        lifetimes.GammaGammaFitter(), buyers["frequency"], buyers["monetary_value"]
    )
    assert model.params_["p"] == pytest.approx(6.25, abs=0.01)
    assert model.params_["q"] == pytest.approx(3.74, abs=0.01)
    assert model.params_["v"] == pytest.approx(15.44, abs=0.02)
