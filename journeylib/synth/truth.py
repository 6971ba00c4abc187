"""``truth.json`` of the synthetic shop: parameters, headline figures and the six planted truths
with their realised values."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ._codes import CART, CH, CHECKOUT, CP, DAY, SHOES, TABLET, Cols
from .params import CATEGORIES, CHANNELS, DEVICES, ShopParams

# --------------------------------------------------------------------------- 8. truth.json
# Ratios the mechanisms produce in a very large shop at the default parameters.
_EXPECTED_AT_DEFAULTS = {"referral": 2.3, "pattern": 3.6, "recovery": 5.5, "tablet": 0.5}


def meta(seed: int, n: int, t0: pd.Timestamp, n_days: int) -> dict:
    """How the shop was generated; ``observation_end`` is the exclusive end of the data."""
    end = t0 + pd.Timedelta(days=n_days)
    return {
        "seed": seed,
        "n_customers": n,
        "start": str(t0.date()),
        "end": str((end - pd.Timedelta(days=1)).date()),
        "observation_end": end.isoformat(),
    }


def parameters(prm: ShopParams) -> dict:
    """The planted parameters, grouped as lifetimes names them."""
    bgnbd = {"r": prm.r, "alpha": prm.alpha, "a": prm.a, "b": prm.b, "time_unit": "week"}
    gamma_gamma = {
        "p": prm.p_spend,
        "q": prm.q_spend,
        "v": prm.v_spend,
        "mean_order_value": prm.p_spend * prm.v_spend / (prm.q_spend - 1),
    }
    return {"bgnbd": bgnbd, "gamma_gamma": gamma_gamma, "all": dataclasses.asdict(prm)}


def _rate(hits: np.ndarray) -> float:
    """Share of True, rounded (NaN when empty)."""
    return round(float(hits.mean()), 6) if hits.size else float("nan")


def _ratio(a: float, b: float) -> float:
    """``a / b`` rounded (NaN when ``b`` is 0)."""
    return round(a / b, 4) if b else float("nan")


def _followed_within(
    user: np.ndarray, t: np.ndarray, ev_user: np.ndarray, ev_t: np.ndarray, window: int
) -> np.ndarray:
    """Whether the same user has an event in (t, t + window]."""
    keys = np.sort((ev_user.astype(np.int64) << 32) | ev_t)
    pos = np.searchsorted(keys, (user.astype(np.int64) << 32) | t, side="right")
    nxt = keys[np.minimum(pos, keys.size - 1)] if keys.size else np.zeros_like(t)
    same_user = (pos < keys.size) & ((nxt >> 32) == user)
    return same_user & ((nxt & 0xFFFFFFFF) <= t + window)


def _per_user(users: Cols, sess: Cols, orders: Cols) -> Cols:
    """Orders, net revenue, buyer / repeat / best-customer flags of every user."""
    n, o_user = users["lam"].size, sess["user"][orders["session"]]
    refund = np.where(orders["refund_t"] >= 0, orders["revenue"], 0.0)
    n_orders = np.bincount(o_user, minlength=n)
    net = np.bincount(o_user, orders["revenue"] - refund, minlength=n)
    buyer = n_orders > 0
    best = buyer & (net >= np.quantile(net[buyer], 0.9)) if buyer.any() else buyer
    return {"n_orders": n_orders, "net": net, "buyer": buyer, "repeat": n_orders > 1, "best": best}


def _compare(name_a: str, hits_a: np.ndarray, name_b: str, hits_b: np.ndarray) -> dict:
    """Two rates, their ratio and their sample sizes."""
    a, b = _rate(hits_a), _rate(hits_b)
    return {
        name_a: a,
        name_b: b,
        "ratio": _ratio(a, b),
        f"n_{name_a}": int(hits_a.size),
        f"n_{name_b}": int(hits_b.size),
    }


def _channel_truth(users: Cols, per: Cols, prm: ShopParams) -> dict:
    """Repeat rate by first channel: referral against the others."""
    buyer, channel, repeat = per["buyer"], users["channel"], per["repeat"]
    is_ref = channel == CH["referral"]
    realised = _compare("referral", repeat[buyer & is_ref], "others", repeat[buyer & ~is_ref])
    realised["by_channel"] = {
        c: _rate(repeat[buyer & (channel == i)]) for i, c in enumerate(CHANNELS)
    }
    planted = {"referral_share": prm.referral_share, "referral_tilt": prm.referral_tilt}
    return _entry("referral_repeat_rate", planted, realised, prm, expected="referral")


def _pattern_truth(users: Cols, per: Cols, prm: ShopParams) -> dict:
    """Best-customer share of users with and without the early-journey pattern."""
    pat, best, buyer = users["pattern"], per["best"], per["buyer"]
    realised = _compare("pattern", best[pat], "no_pattern", best[~pat])
    realised["among_buyers"] = _compare(
        "pattern", best[pat & buyer], "no_pattern", best[~pat & buyer]
    )
    realised["best_threshold"] = round(float(np.quantile(per["net"][buyer], 0.9)), 2)
    realised["n_best"] = int(best.sum())
    planted = {"pattern_share": prm.pattern_share, "pattern_tilt": prm.pattern_tilt}
    return _entry("early_pattern_best_customers", planted, realised, prm, expected="pattern")


def _recovery_truth(sess: Cols, end: np.ndarray, orders: Cols, prm: ShopParams) -> dict:
    """Recovery within 7 days of abandoning sessions, with and without an email click."""
    abandon = np.flatnonzero((sess["depth"] >= CART) & ~sess["purchase"])
    user, t = sess["user"][abandon], end[abandon]
    o_user = sess["user"][orders["session"]]
    recovered = _followed_within(user, t, o_user, orders["t"], 7 * DAY)
    is_click = (sess["channel"] == CH["email"]) & (sess["campaign"] == CP["abandoned_cart"])
    click = _followed_within(user, t, sess["user"][is_click], sess["t"][is_click], 7 * DAY)
    realised = _compare("clicked", recovered[click], "not_clicked", recovered[~click])
    planted = {
        "recovery_share": prm.recovery_share,
        "recovered_click": prm.recovered_click,
        "other_click": prm.other_click,
    }
    return _entry("abandoned_cart_email_recovery", planted, realised, prm, expected="recovery")


def _ab_truth(users: Cols, sess: Cols, prm: ShopParams) -> dict:
    """Checkout conversion by variant, per session and per user."""
    n, checkout, bought = users["variant"].size, sess["depth"] >= CHECKOUT, sess["purchase"]
    is_b = users["variant"][sess["user"]] == 1
    realised = _compare("A", bought[checkout & ~is_b], "B", bought[checkout & is_b])
    reached = np.bincount(sess["user"][checkout], minlength=n) > 0
    user_bought = np.bincount(sess["user"][bought], minlength=n) > 0
    user_b = users["variant"] == 1
    by_user = _compare("A", user_bought[reached & ~user_b], "B", user_bought[reached & user_b])
    for stats in (realised, by_user):
        del stats["ratio"]
        stats["relative_lift"] = _ratio(stats["B"] - stats["A"], stats["A"])
    realised["by_user"] = by_user
    conv_b = round(prm.checkout_conversion_a * (1 + prm.checkout_lift_b), 6)
    planted = {"A": prm.checkout_conversion_a, "B": conv_b, "relative_lift": prm.checkout_lift_b}
    return _entry("ab_checkout_conversion", planted, realised, prm)


def _refund_truth(orders: Cols, prm: ShopParams) -> dict:
    """Share of orders refunded, shoes against the other categories."""
    refunded, category = orders["refund_t"] >= 0, orders["category"]
    shoes = category == SHOES
    realised = _compare("shoes", refunded[shoes], "others", refunded[~shoes])
    realised["by_category"] = {c: _rate(refunded[category == i]) for i, c in enumerate(CATEGORIES)}
    planted = {"shoes": prm.refund_rate_shoes, "others": prm.refund_rate_other}
    return _entry("shoes_refund_rate", planted, realised, prm)


def _device_truth(sess: Cols, prm: ShopParams) -> dict:
    """Session conversion, tablet against desktop and mobile."""
    bought, device = sess["purchase"], sess["device"]
    realised = _compare("tablet", bought[device == TABLET], "others", bought[device != TABLET])
    realised["by_device"] = {d: _rate(bought[device == i]) for i, d in enumerate(DEVICES)}
    planted = {"device_buyer_factor": dict(zip(DEVICES, prm.device_buyer_factor, strict=True))}
    return _entry("tablet_session_conversion", planted, realised, prm, expected="tablet")


def _entry(key: str, planted: dict, realised: dict, prm: ShopParams, *, expected: str = "") -> dict:
    """One truth of ``truth.json``: statement, definition, planted and realised values."""
    statement, definition = _TRUTH_TEXT[key]
    out = {"statement": statement, "definition": definition, "planted": planted}
    if expected:
        at_defaults = prm == ShopParams()
        out["expected_ratio"] = _EXPECTED_AT_DEFAULTS[expected] if at_defaults else None
    out["realised"] = realised
    return out


def _headline(sess: Cols, orders: Cols, per: Cols, n_events: int) -> dict:
    """Shop-wide counts and rates, to hold against industry figures."""
    buyer, repeat, net, bought = per["buyer"], per["repeat"], per["net"], sess["purchase"]
    return {
        "n_users": int(buyer.size),
        "n_sessions": int(bought.size),
        "n_events": n_events,
        "n_orders": int(orders["session"].size),
        "n_buyers": int(buyer.sum()),
        "n_refunds": int((orders["refund_t"] >= 0).sum()),
        "session_conversion": _rate(bought),
        "cart_abandonment": _rate(~bought[sess["depth"] >= CART]),
        "checkout_conversion": _rate(bought[sess["depth"] >= CHECKOUT]),
        "buyer_share": _rate(buyer),
        "repeat_buyer_share": _rate(repeat[buyer]),
        "repeat_buyer_revenue_share": _ratio(net[repeat].sum(), net[buyer].sum()),
        "average_order_value": round(float(orders["revenue"].mean()), 2),
        "net_revenue": round(float(net.sum()), 2),
    }


def headline_and_truths(
    users: Cols, sess: Cols, end: np.ndarray, orders: Cols, prm: ShopParams, n_events: int
) -> dict:
    """The headline figures and the six planted truths with their realised values."""
    per = _per_user(users, sess, orders)
    truths = {
        "referral_repeat_rate": _channel_truth(users, per, prm),
        "early_pattern_best_customers": _pattern_truth(users, per, prm),
        "abandoned_cart_email_recovery": _recovery_truth(sess, end, orders, prm),
        "ab_checkout_conversion": _ab_truth(users, sess, prm),
        "shoes_refund_rate": _refund_truth(orders, prm),
        "tablet_session_conversion": _device_truth(sess, prm),
    }
    return {"headline": _headline(sess, orders, per, n_events), "truths": truths}


_TRUTH_TEXT = {
    "referral_repeat_rate": (
        "Customers first acquired through referral repeat about twice as often as the others.",
        "first channel = channel of the user's first session (customers.first_channel); buyers "
        "= users with >= 1 purchase event; repeat rate = buyers with >= 2 purchases / buyers.",
    ),
    "early_pattern_best_customers": (
        "Users who view a reviews page and the size_guide in their first session are far "
        "likelier to become best customers.",
        "pattern = the user's first session has a page_view with page_type 'reviews' and one "
        "with 'size_guide'; net revenue = sum(revenue) over purchase and refund events; best "
        "customer = buyer whose net revenue >= the 90th percentile (numpy/pandas linear) of "
        "buyers' net revenue; rate = best customers / users (among_buyers: / buyers).",
    ),
    "abandoned_cart_email_recovery": (
        "Abandoned carts are recovered far more often after an abandoned_cart email click.",
        "abandoning session = session with add_to_cart and no purchase, ending at its last "
        "event; recovered = the user has a purchase in (end, end + 7 days]; clicked = the user "
        "has an email_click with campaign 'abandoned_cart' in (end, end + 7 days].",
    ),
    "ab_checkout_conversion": (
        "Variant B converts checkouts about 15 % better (relative) than variant A.",
        "checkout conversion = sessions with begin_checkout that also have a purchase / "
        "sessions with begin_checkout, by variant; by_user = users with a begin_checkout who "
        "have any purchase / users with a begin_checkout.",
    ),
    "shoes_refund_rate": (
        "Returns concentrate in shoes: about a quarter of shoes orders are refunded, ~5 % "
        "elsewhere.",
        "refund rate = purchase events whose order_id has a refund event / purchase events, by "
        "the purchase's category (refunds after the end of the data are not seen).",
    ),
    "tablet_session_conversion": (
        "Tablet sessions convert about half as often as desktop and mobile sessions.",
        "session conversion = sessions (distinct session_id) with a purchase / sessions, by "
        "the session's device.",
    ),
}
