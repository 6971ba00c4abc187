"""Bought together, first purchases and e-mail-driven purchases on hand-made logs."""

import pandas as pd
import pytest

import journeylib as jl


def purchases(rows):
    f = pd.DataFrame(rows, columns=["user_id", "event", "event_time", "channel", "category"])
    f["event_time"] = pd.to_datetime(f.event_time, utc=True)
    f["revenue"] = (f.event == "purchase") * 10.0
    return f


def test_bought_together_support_confidence_lift():
    # customers: w {A, B}, x {A, B}, y {A}, z {C}
    f = purchases([
        ("w", "purchase", "2024-01-01", "direct", "A"),
        ("w", "purchase", "2024-01-02", "direct", "B"),
        ("x", "purchase", "2024-01-01", "direct", "B"),
        ("x", "purchase", "2024-01-05", "direct", "A"),
        ("y", "purchase", "2024-01-01", "direct", "A"),
        ("z", "purchase", "2024-01-01", "direct", "C"),
    ])  # fmt: skip
    rules = jl.bought_together(f, ["w"]).set_index(["group", "antecedent", "consequent"])
    ab = rules.loc[("all", "A", "B")]
    assert ab.customers == 2 and ab.support == 0.5  # 2 of 4 customers
    assert ab.confidence == pytest.approx(2 / 3)  # of the 3 buying A
    assert ab.lift == pytest.approx((2 / 3) / (2 / 4))
    assert rules.loc[("all", "B", "A")].confidence == 1.0
    assert rules.loc[("best", "A", "B")].support == 1.0
    first = jl.first_purchases(f, ["w"]).set_index(["group", "item"])
    assert first.loc[("rest", "A"), "share"] == pytest.approx(1 / 3)  # y; x bought B first


def test_email_driven_purchases():
    f = purchases([
        ("u", "email_click", "2024-01-01 08:00", "email", None),
        ("u", "purchase", "2024-01-01 20:00", "direct", "A"),  # click 12 h before: driven
        ("u", "purchase", "2024-01-03 09:00", "direct", "A"),  # last click 49 h before: not
        ("u", "purchase", "2024-01-04 09:00", "email", "A"),  # email session: driven
        ("v", "email_click", "2024-01-04 09:00", "email", None),
        ("v", "purchase", "2024-01-04 08:00", "direct", "A"),  # click after: not
    ])  # fmt: skip
    pref = jl.communication_preference(f, ["u"]).set_index("group")
    assert pref.loc["best", "purchases"] == 3 and pref.loc["best", "email_driven"] == 2
    assert pref.loc["rest", "share"] == 0.0


def test_bought_together_with_no_pair_is_an_empty_table():
    # every customer buys one category: no rule (this used to raise a dtype TypeError)
    f = purchases([
        ("w", "purchase", "2024-01-01", "direct", "A"),
        ("x", "purchase", "2024-01-02", "direct", "B"),
    ])  # fmt: skip
    rules = jl.bought_together(f, ["w"])
    assert rules.empty
    assert list(rules.columns) == [
        "group", "antecedent", "consequent", "customers", "support", "confidence", "lift"
    ]  # fmt: skip
