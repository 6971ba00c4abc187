"""Counts in the best-customer page's sentences take the noun (and verb) in the right number."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl
from journeylib.best import findings as findings_best
from journeylib.best.on_the_path import nobody_on_the_path
from journeylib.show.counts import counted, plural

NO_PATTERNS = pd.DataFrame({"productive": pd.Series([], dtype=bool)})
NOBODY = pd.DataFrame({"segment": pd.Series([], dtype=str)})


def _purchase(user: str, day: int, revenue: float) -> dict:
    return {
        "user_id": user,
        "event": "purchase",
        "event_time": pd.Timestamp(f"2024-01-{day:02} 10:00", tz="UTC"),
        "session_id": f"{user}{day}",
        "channel": "direct",
        "device": "desktop",
        "revenue": revenue,
    }


def test_counted_and_plural():
    assert counted(1, "best customer") == "1 best customer"
    assert counted(0, "best customer") == "0 best customers"
    assert counted(1234, "user") == "1,234 users"
    assert counted(2.0, "other") == "2 others"
    assert counted(1.0, "day") == "1 day"
    assert (plural(1, "is", "are"), plural(2, "is", "are")) == ("is", "are")


def test_one_best_customer_is_said_in_the_singular():
    # a 10, b 20, c 90 net revenue, one order each: the top third is c alone, 1 of 3 customers
    # (33.3 %), 90 of 120 net revenue (75.0 %), 1 of 3 orders (33.3 %)
    log = pd.DataFrame([_purchase("a", 1, 10.0), _purchase("b", 2, 20.0), _purchase("c", 3, 90.0)])
    best = jl.best_customers(log, top=1 / 3)
    assert best.user_id.tolist() == ["c"]
    who = jl.who_they_are(log, best)
    first = findings_best.best_findings(
        who, pd.DataFrame(), NO_PATTERNS, NOBODY, definition="top third by net revenue"
    )[0]
    assert first == (
        "The 1 best customer (top third by net revenue) is 33.3% of customers and brings "
        "75.0% of net revenue and 33.3% of orders."
    )


def test_several_best_customers_stay_plural():
    who = pd.DataFrame(
        {"metric": ["customers", "net revenue", "orders"], "best": [2, 50.0, 3],
         "share": [0.2, 0.5, 0.25]}
    )  # fmt: skip
    first = findings_best.best_findings(who, pd.DataFrame(), NO_PATTERNS, NOBODY, definition="x")[0]
    assert first.startswith("The 2 best customers (x) are 20.0% of customers and bring 50.0%")


def _who() -> pd.DataFrame:
    return pd.DataFrame(
        {"metric": ["customers", "net revenue", "orders"], "best": [1, 9.0, 1],
         "share": [0.5, 0.9, 0.5]}
    )  # fmt: skip


def test_channel_pattern_and_path_sentences_with_one_of_each():
    channels = pd.DataFrame(
        {"channel": ["referral", "direct"], "repeat_rate": [1.0, 0.0], "ci_low": [0.2, 0.0],
         "ci_high": [1.0, 0.8], "customers": [1, 1], "repeat_customers": [1, 0]}
    )  # fmt: skip
    patterns = pd.DataFrame(
        {"productive": [True], "pattern": ["page: reviews"], "p_best": [1.0], "users": [1],
         "p_best_without": [0.0], "lift": [2.0]}
    )  # fmt: skip
    on_path = pd.DataFrame({"segment": ["one-time customer"]})
    said = findings_best.best_findings(_who(), channels, patterns, on_path, definition="top half")
    assert "(95% CI 20.0%-100.0%, 1 customer) against 0.0% for the other channels." in said[1]
    assert "100.0% of the 1 customer showing it became best" in said[2]
    assert said[2].endswith("(lift 2.0); 1 early pattern is significant.")
    assert said[3] == "1 user is on the best customers' path now (1 one-time customer)."


def test_several_users_per_segment_are_counted_in_the_plural():
    patterns = pd.DataFrame(
        {"productive": [True, True], "pattern": ["page: reviews", "page: size_guide"],
         "p_best": [0.5, 0.4], "users": [4, 5], "p_best_without": [0.1, 0.1], "lift": [5.0, 4.0]}
    )  # fmt: skip
    # 2 visitors, 3 one-time customers, 1 repeat customer: 6 users
    segments = ["visitor, no order yet"] * 2 + ["one-time customer"] * 3
    on_path = pd.DataFrame({"segment": [*segments, "repeat customer, not best"]})
    said = findings_best.best_findings(_who(), pd.DataFrame(), patterns, on_path, definition="x")
    assert "of the 4 customers showing it" in said[1]
    assert said[1].endswith("2 early patterns are significant.")
    assert said[2] == (
        "6 users are on the best customers' path now (3 one-time customers, "
        "2 visitors, no order yet, 1 repeat customer, not best)."
    )


@pytest.mark.parametrize(
    ("n_best", "n_rest", "said"),
    [(1, 1, "(1 best customer, 1 other)"), (2, 3, "(2 best customers, 3 others)")],
)
def test_profile_table_caption_counts(n_best, n_rest, said):
    profile = pd.DataFrame(
        {"group": [1], "question": ["Which channels?"], "metric": ["first channel: email"],
         "unit": ["share"], "best": [1.0], "rest": [0.0], "difference": [1.0], "ratio": [None],
         "ci_low": [0.1], "ci_high": [1.0], "p_value": [0.3], "test": ["z"],
         "n_best": [n_best], "n_rest": [n_rest], "note": [""]}
    )  # fmt: skip
    html = findings_best.profile_table(profile, 1).to_html()
    assert f"Which channels? {said}" in html


def test_nobody_on_the_path_within_one_day():
    productive = pd.DataFrame({"rank": [1], "productive": [True], "lift": [2.0]})
    assert nobody_on_the_path(productive, active_within="1D").startswith(
        "no user active in the last 1 day, other"
    )


def test_ties_broken_down_to_one_best_customer():
    # 10 customers with one order each (u0 10.0 ... u9 19.0): all tie at 1 order; the top 10 %
    # is 1 place, which goes to the most net revenue, u9
    log = pd.DataFrame([_purchase(f"u{n}", n + 1, 10.0 + n) for n in range(10)])
    best = jl.best_customers(log, by="orders", top=0.1)
    assert best.user_id.tolist() == ["u9"]
    assert jl.best.ties_note(best).endswith("keeping 1 of them (1 best customer, 10% of all).")
