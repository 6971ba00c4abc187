"""The A/B readout by the book, on logs built by hand with the answer worked out beside them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import journeylib as jl
from journeylib.funnels.abreadout import ab_readout, findings

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def _log(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (user, minutes after T0, event, variant, revenue)."""
    frame = pd.DataFrame(rows, columns=["user_id", "minutes", "event", "variant", "revenue"])
    frame["event_time"] = T0 + pd.to_timedelta(frame.pop("minutes"), unit="min")
    return frame


def _users(prefix: str, variant: str, n: int, *, checkout: int = 0, buy: int = 0, rev=0.0):
    """``n`` users exposed at minute 0; the first ``checkout`` reach checkout at minute 1, the
    first ``buy`` of those (or of all, when checkout is 0) buy at minute 2 for ``rev``."""
    rows = []
    for i in range(n):
        user = f"{prefix}{i}"
        rows.append((user, 0, "page_view", variant, np.nan))
        if i < checkout:
            rows.append((user, 1, "begin_checkout", variant, np.nan))
        if i < buy:
            rows.append((user, 2, "purchase", variant, rev))
    return rows


def test_user_in_both_variants_is_counted_reported_and_left_out():
    rows = _users("a", "A", 4, buy=1, rev=10.0) + _users("b", "B", 4, buy=2, rev=10.0)
    # u9 first sees B, later A, and buys: left out of both arms
    rows += [("u9", 0, "page_view", "B", np.nan), ("u9", 5, "page_view", "A", np.nan)]
    rows += [("u9", 6, "purchase", "A", 50.0)]
    # a purchase before exposure does not count: u0 buys at minute -10, exposed at 0
    rows += [("u0", -10, "purchase", None, 99.0), ("u0", 0, "page_view", "A", np.nan)]
    r = ab_readout(_log(rows), steps=["purchase"])
    p = r.primary.set_index("variant")
    assert r.both_variants == 1
    assert p.n.to_dict() == {"A": 5, "B": 4}  # a0-a3 and u0
    assert p.converted.to_dict() == {"A": 1, "B": 2}  # u0's earlier purchase not counted
    assert p.revenue.to_dict() == {"A": 10.0, "B": 20.0}
    assert p.revenue_per_user.to_dict() == {"A": 2.0, "B": 5.0}
    assert "1 users (10.0% of those who saw the test) saw both variants" in findings(r)[-1]


def test_srm_on_assignment_counts_makes_the_test_unreadable():
    # 600 vs 400 assigned users against a 50/50 design: chi2 = (100^2 + 100^2) / 500 = 40
    rows = _users("a", "A", 600, buy=30, rev=5.0) + _users("b", "B", 400, buy=40, rev=5.0)
    r = ab_readout(_log(rows), steps=["purchase"])
    assert r.srm["chi2"] == pytest.approx(40.0)
    assert r.srm["p_value"] == pytest.approx(stats.chi2.sf(40.0, 1))
    assert r.srm["mismatch"] and not r.readable
    # 10% vs 5% on these sizes would be significant (p ~ 0.004), but nothing is called so
    assert r.comparison.p_value.iloc[0] < 0.01
    assert not r.comparison.significant.any()
    said = findings(r)
    assert said[0].startswith("This test cannot be read")
    assert "600 (A) vs 400 (B)" in said[0] and "50% / 50%" in said[0]
    assert not any("a real difference" in s or "more of" in s for s in said)
    # the same counts read against the designed 60/40 split pass the check
    designed = ab_readout(_log(rows), steps=["purchase"], expected_split=[0.6, 0.4])
    assert designed.readable and designed.srm["chi2"] == pytest.approx(0.0)


def test_conditional_step_lift_without_change_per_assigned_user():
    # 1,000 users per arm; both arms: 50 buyers (5.0% per assigned user).
    # A brings 200 to checkout (50 buy: 25%), B brings 100 (50 buy: 50%).
    rows = _users("a", "A", 1000, checkout=200, buy=50, rev=20.0)
    rows += _users("b", "B", 1000, checkout=100, buy=50, rev=20.0)
    r = ab_readout(_log(rows))
    p = r.primary.set_index("variant")
    assert p.conversion.to_dict() == {"A": 0.05, "B": 0.05}
    c = r.comparison.iloc[0]
    assert c.lift == 0 and c.p_value == pytest.approx(1.0) and not c.significant
    assert c.revenue_diff == 0 and c.revenue_p == pytest.approx(1.0)
    steps = r.steps.set_index(["step", "base", "variant"])
    assert steps.rate[("begin_checkout", "assigned users", "B")] == 0.10
    assert steps.rate[("purchase", "reached begin_checkout", "A")] == 0.25
    assert steps.rate[("purchase", "reached begin_checkout", "B")] == 0.50
    assert steps.conditional[("purchase", "reached begin_checkout", "B")]
    # conditional 25% vs 50%: pooled z-test by hand, p = 2 * sf(|z|)
    pooled = 100 / 300
    z = (0.5 - 0.25) / np.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 200))
    assert steps.p_value[("purchase", "reached begin_checkout", "B")] == pytest.approx(
        2 * stats.norm.sf(z)
    )
    said = findings(r)
    assert said[0].startswith("Headline: no detectable change in buyers per assigned user")
    assert any(s.startswith("Conditional on reaching checkout started") for s in said)
    assert any("10.0% of B's assigned users reached checkout started" in s for s in said)


def test_revenue_per_user_welch_matches_scipy():
    rows = _users("a", "A", 50, buy=10, rev=30.0) + _users("b", "B", 50, buy=5, rev=80.0)
    r = ab_readout(_log(rows), steps=["purchase"])
    a = np.r_[np.full(10, 30.0), np.zeros(40)]
    b = np.r_[np.full(5, 80.0), np.zeros(45)]
    expected = stats.ttest_ind(b, a, equal_var=False)
    c = r.comparison.iloc[0]
    assert c.revenue_diff == pytest.approx(b.mean() - a.mean())
    assert c.revenue_p == pytest.approx(expected.pvalue)
    low, high = expected.confidence_interval(0.95)
    assert (c.revenue_low, c.revenue_high) == (pytest.approx(low), pytest.approx(high))


def test_default_shop_readout_tells_the_true_story(default_shop_dir):
    """B's planted lift is on checkout completion only: per assigned user no real change.

    On the default shop: 14,953 (A) vs 15,047 (B) assigned users, 5.04% vs 4.82% buy
    (p = 0.38); B reaches checkout less often (9.9% vs 11.8%) and completes it more often
    (48.7% vs 42.7%).
    """
    r = ab_readout(jl.read_events(default_shop_dir / "events.parquet"))
    assert r.primary.n.tolist() == [14_953, 15_047]
    assert r.readable and r.both_variants == 0
    c = r.comparison.iloc[0]
    assert not c.significant  # purchases per assigned user
    steps = r.steps.set_index(["step", "base", "variant"])
    completion = ("purchase", "reached begin_checkout")
    assert steps.rate[(*completion, "B")] > steps.rate[(*completion, "A")]
    reach = ("begin_checkout", "assigned users")
    assert steps.rate[(*reach, "B")] < steps.rate[(*reach, "A")]
    assert findings(r)[0].startswith("Headline: no detectable change")
