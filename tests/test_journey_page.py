"""What notebook 01 shows beyond the stage view: cohort reach, flows, steps, outcome tests."""

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.stages import STAGES
from journeylib.journey import page as journey_page

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def _tiny() -> pd.DataFrame:
    """a: visit s1, an off-site e-mail open, visit s2 with a purchase; b: one visit."""
    s = pd.Timedelta(seconds=1)
    rows = [
        ("a", "page_view", T0, "s1", "organic_search"),
        ("a", "view_item", T0 + 10 * s, "s1", "organic_search"),
        ("a", "add_to_cart", T0 + 30 * s, "s1", "organic_search"),
        ("a", "email_open", T0 + 1800 * s, None, "email"),
        ("a", "page_view", T0 + 3600 * s, "s2", "email"),
        ("a", "purchase", T0 + 3660 * s, "s2", "email"),
        ("b", "page_view", T0 + 5 * s, "s3", "direct"),
        ("b", "search", T0 + 6 * s, "s3", "direct"),
    ]
    return pd.DataFrame(rows, columns=["user_id", "event", "event_time", "session_id", "channel"])


def test_cohort_reach_is_one_column_per_stage_in_the_stages_order():
    # rows in reverse stage order, the later cohort first
    shares = {"Advocacy": 0.1, "Retention": 0.2, "Conversion": 0.3, "Consideration": 0.6}
    shares["Awareness"] = 1.0
    rows = [(c, stage, share / k) for c, k in (("2024-02", 2), ("2024-01", 1))
            for stage, share in shares.items()]  # fmt: skip
    by_cohort = pd.DataFrame(rows, columns=["cohort", "stage", "share_reached"])
    wide = journey_page.cohort_reach(by_cohort)
    assert list(wide.columns) == ["cohort", *STAGES]
    assert wide.cohort.tolist() == ["2024-01", "2024-02"]
    assert wide.iloc[0, 1:].tolist() == [1.0, 0.6, 0.3, 0.2, 0.1]
    assert wide.iloc[1, 1:].tolist() == [0.5, 0.3, 0.15, 0.1, 0.05]


def test_outcome_tests_by_hand():
    assert journey_page.outcome_tests(None, None) is None
    channels = pd.DataFrame(
        {"channel": ["x", "y"], "users": [10, 10], "buyers": [5, 1], "repeat_buyers": [2, 0]}
    )
    out = journey_page.outcome_tests(channels, None)
    assert set(out.by) == {"channel"}
    row = out.set_index("outcome")
    # 2x2 chi-square without correction: N (ad - bc)^2 / (row and column totals)
    assert row.loc["conversion", "statistic"] == pytest.approx(20 * 40**2 / (10 * 10 * 6 * 14))
    assert row.loc["repeat_rate", "statistic"] == pytest.approx(6 * 2**2 / (5 * 1 * 2 * 4))
    both = journey_page.outcome_tests(channels, channels.rename(columns={"channel": "device"}))
    assert both.by.tolist() == ["channel", "channel", "device", "device"]


def test_analyze_maps_stages_and_follows_whole_journeys_at_the_level():
    page = journey_page.analyze(jl.read_events(_tiny()), level="event", max_steps=3)
    edges = {(r["from"], r["to"]): int(r.transitions) for _, r in page.flows.iterrows()}
    assert edges == {
        ("(start)", "page_view"): 2,
        ("page_view", "view_item"): 1,
        ("view_item", "add_to_cart"): 1,
        ("add_to_cart", "email_open"): 1,  # whole journeys: off-site events kept
        ("email_open", "page_view"): 1,
        ("page_view", "purchase"): 1,
        ("purchase", "(end)"): 1,
        ("page_view", "search"): 1,
        ("search", "(end)"): 1,
    }
    steps = page.steps.set_index(["step", "state"]).users
    assert steps[(1, "page_view")] == 2
    assert steps[(3, "add_to_cart")] == 1 and steps[(3, "ended")] == 1
    assert list(page.cohorts.columns) == ["cohort", *STAGES]
    assert page.cohorts.cohort.tolist() == ["2024-03"]
