"""Drop-off, cart abandonment, recovery and returns: hand-worked logs and planted truths."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import journeylib as jl
from journeylib.funnels import abandonment as ab

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def log(rows: list[tuple]) -> jl.EventLog:
    """Rows (user, event, hours after T0, session, channel, order_id, revenue)."""
    cols = [
        "user_id",
        "event",
        "event_time",
        "session_id",
        "channel",
        "order_id",
        "revenue",
    ]
    frame = pd.DataFrame(
        [(r[0], r[1], T0 + pd.Timedelta(hours=r[2]), *r[3:]) for r in rows],
        columns=cols,
    )
    for c in ("session_id", "channel", "order_id"):
        frame[c] = frame[c].astype("string")
    frame["revenue"] = frame.revenue.astype("float64")
    return jl.read_events(frame)


N = None
ROWS = [
    # u1: cart, leaves at view_cart; clicks an email 1 day later, buys 2 days later by email
    ("u1", "add_to_cart", 0, "s1", "direct", N, N),
    ("u1", "view_cart", 0.1, "s1", "direct", N, N),
    ("u1", "email_click", 24, "s2", "email", N, N),
    ("u1", "purchase", 48, "s2", "email", "o1", 50.0),
    # u2: cart through checkout, abandons at begin_checkout, never back
    ("u2", "add_to_cart", 0, "s3", "direct", N, N),
    ("u2", "view_cart", 0.1, "s3", "direct", N, N),
    ("u2", "begin_checkout", 0.2, "s3", "direct", N, N),
    # u3: buys in the cart session, then refunds
    ("u3", "add_to_cart", 0, "s4", "paid_search", N, N),
    ("u3", "view_cart", 0.1, "s4", "paid_search", N, N),
    ("u3", "begin_checkout", 0.2, "s4", "paid_search", N, N),
    ("u3", "purchase", 0.3, "s4", "paid_search", "o2", 80.0),
    ("u3", "refund", 100, N, N, "o2", -80.0),
    # u4: abandons, buys 8 days later (outside a 7-day window), no contact
    ("u4", "add_to_cart", 0, "s5", "direct", N, N),
    ("u4", "purchase", 200, "s6", "direct", "o3", 20.0),
]


def test_cart_abandonment_per_step():
    out = ab.cart_abandonment(log(ROWS)).set_index("step")
    # cart sessions s1, s3, s4, s5; abandoned s1, s3, s5 -> 3 / 4
    assert out.loc["add_to_cart", "abandonment_rate"] == 0.75
    # begin_checkout reached by s3 and s4; s3 abandoned -> 1 / 2
    assert out.loc["begin_checkout", "abandonment_rate"] == 0.5
    # furthest step of abandoners: s5 add_to_cart, s1 view_cart, s3 begin_checkout
    assert out.left_here.tolist() == [1, 1, 1, 0, 0]


def test_cart_recovery_with_and_without_contact():
    r = ab.cart_recovery(log(ROWS), days=7)
    got = r.by_contact.set_index("contacted")
    assert got.loc[True, ["abandoned", "recovered"]].tolist() == [1, 1]  # s1 -> o1
    assert got.loc[False, ["abandoned", "recovered"]].tolist() == [
        2,
        0,
    ]  # s3, s5 (o3 too late)
    assert got.loc[True, "median_hours_to_recover"] == pytest.approx(47.9)
    assert r.by_channel.channel.tolist() == ["email"]
    assert ab.cart_recovery(log(ROWS), days=9).by_contact.recovered.sum() == 2


def test_returns_and_revenue_lost():
    out = ab.returns(log(ROWS), by="channel").set_index("channel")
    assert out.loc["paid_search", ["orders", "refunded", "revenue_lost"]].tolist() == [
        1,
        1,
        80,
    ]
    assert out.loc["email", "refund_rate"] == 0.0


def test_drop_off_next_and_time_before_leaving():
    ev = log(ROWS)
    steps = ["add_to_cart", "view_cart", "begin_checkout", "purchase"]
    nxt = ab.drop_off_next(ev, steps, count="sessions")
    # s5 drops at step 1 and leaves; s1 drops at step 2 and leaves; s3 drops at step 3
    assert nxt[["step_index", "next_event", "count"]].values.tolist() == [
        [1, ab.LEFT, 1],
        [2, ab.LEFT, 1],
        [3, ab.LEFT, 1],
    ]
    left = ab.time_before_leaving(ev, steps, count="sessions")
    assert left.dropped.tolist() == [1, 1, 1]


def test_planted_recovery_and_shoes(shop_dir):
    ev = jl.read_events(shop_dir / "events.parquet")
    truth = json.loads((shop_dir / "truth.json").read_text())["truths"]
    r = ab.cart_recovery(ev, days=7, contact=("email_click", {"campaign": "abandoned_cart"}))
    got = r.by_contact.set_index("contacted").recovery_rate
    real = truth["abandoned_cart_email_recovery"]["realised"]
    assert got[True] == pytest.approx(real["clicked"], abs=1e-6)
    assert got[False] == pytest.approx(real["not_clicked"], abs=1e-6)
    rates = ab.returns(ev).set_index("category").refund_rate
    assert rates.idxmax() == "shoes"
    assert rates["shoes"] == pytest.approx(
        truth["shoes_refund_rate"]["realised"]["shoes"], abs=1e-6
    )
