"""Attribution: a Markov chain solved by hand, and the four models on a tiny log."""

import numpy as np
import pandas as pd
import pytest

from journeylib.journey import attribution


def test_removal_effects_hand_solved_chain():
    """Paths: start>A>conv, start>B>null, start>A>B>conv.

    P(start->A) = 2/3, P(start->B) = 1/3; A: conv 1/2, B 1/2; B: conv 1/2, null 1/2.
    P(conv) = 2/3 (1/2 + 1/2 * 1/2) + 1/3 * 1/2 = 2/3.
    Without A: 1/3 * 1/2 = 1/6, effect 1 - (1/6)/(2/3) = 3/4.
    Without B: 2/3 * 1/2 = 1/3, effect 1 - (1/3)/(2/3) = 1/2. Shares 0.6 and 0.4.
    """
    counts = pd.DataFrame(
        {
            "from": ["start", "start", "A", "A", "B", "B"],
            "to": ["A", "B", "conversion", "B", "null", "conversion"],
            "count": [2, 1, 1, 1, 1, 1],
        }
    )
    out = attribution.removal_effects(counts).set_index("channel")
    assert out.attrs["conversion_probability"] == pytest.approx(2 / 3)
    assert out.conversion_without.to_dict() == pytest.approx({"A": 1 / 6, "B": 1 / 3})
    assert out.removal_effect.to_dict() == pytest.approx({"A": 0.75, "B": 0.5})
    assert out.share.to_dict() == pytest.approx({"A": 0.6, "B": 0.4})


def test_removal_effects_with_loop_matches_simulation_free_formula():
    """A loop A <-> B: P(conv from A) = x, from B = y with x = 0.5 y + 0.25, y = 0.5 x.

    So x = 1/3, y = 1/6; start always goes to A: P(conv) = 1/3. Without B: x = 1/4.
    """
    counts = pd.DataFrame(
        {
            "from": ["start", "A", "A", "A", "B", "B"],
            "to": ["A", "B", "conversion", "null", "A", "null"],
            "count": [4, 2, 1, 1, 1, 1],
        }
    )
    out = attribution.removal_effects(counts).set_index("channel")
    assert out.attrs["conversion_probability"] == pytest.approx(1 / 3)
    assert out.loc["B", "conversion_without"] == pytest.approx(1 / 4)
    assert out.loc["A", "removal_effect"] == pytest.approx(1.0)
    assert np.isclose(out.loc["B", "removal_effect"], 1 - (1 / 4) / (1 / 3))


def _log() -> pd.DataFrame:
    """a: visit organic, visit email with a purchase, visit direct (no purchase).
    b: one direct visit, no purchase."""
    t0 = pd.Timestamp("2024-02-01", tz="UTC")
    h = pd.Timedelta(hours=1)
    rows = [
        ("a", "page_view", t0, "a1", "organic_search"),
        ("a", "page_view", t0 + 2 * h, "a2", "email"),
        ("a", "purchase", t0 + 2.1 * h, "a2", "email"),
        ("a", "page_view", t0 + 9 * h, "a3", "direct"),
        ("b", "page_view", t0, "b1", "direct"),
    ]
    return pd.DataFrame(rows, columns=["user_id", "event", "event_time", "session_id", "channel"])


def test_four_models_on_tiny_log():
    credit = attribution.channel_attribution(_log())
    wide = credit.pivot(index="channel", columns="model", values="purchases")
    assert wide.first_touch.to_dict() == {"direct": 0, "email": 0, "organic_search": 1}
    assert wide.last_touch.to_dict() == {"direct": 0, "email": 1, "organic_search": 0}
    assert wide.linear.to_dict() == {"direct": 0, "email": 0.5, "organic_search": 0.5}
    # chain: start>organic>email>conv, start>direct>null (twice: a's tail and b)
    # removing organic or email kills every conversion; removing direct changes nothing
    expected = {"direct": 0, "email": 0.5, "organic_search": 0.5}
    assert wide.markov.to_dict() == pytest.approx(expected)
    assert credit.groupby("model").purchases.sum().eq(1).all()


def test_chain_counts_of_tiny_log():
    counts = attribution.chain_counts(attribution.touchpoints(_log()))
    got = {(r["from"], r["to"]): r["count"] for _, r in counts.iterrows()}
    assert got == {
        ("start", "organic_search"): 1,
        ("organic_search", "email"): 1,
        ("email", "conversion"): 1,
        ("start", "direct"): 2,
        ("direct", "null"): 2,
    }
