"""The synthetic shop's visits: every session of every user (visits, orders, recoveries, emails),
its channel, device, campaign and funnel depth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import concat, take, uniform
from ._codes import (
    BOUNCE,
    BROWSE,
    BROWSING,
    CART,
    CH,
    CHECKOUT,
    CP,
    DAY,
    EMAIL,
    FIRST,
    FOLLOWUP,
    HOUR,
    ORDER,
    PRODUCT,
    PURCHASE,
    RECOVERY,
    REVISIT,
    SHIPPING,
    WEEK,
    Cols,
)
from .params import BOUNCE_BY_CHANNEL, CHANNELS, DEVICE_MIX, DEVICES, RETURN_CHANNEL_MIX, ShopParams

# --------------------------------------------------------------------------- 3. session plan
_PLAN_DEFAULTS = {
    "purchase": (False, bool),
    "channel": (-1, np.int8),
    "campaign": (-1, np.int8),
    "cart": (False, bool),
    "signup": (False, bool),
    "purchase_row": (-1, np.int64),
}


def _block(user: np.ndarray, t: np.ndarray, src: int, **flags: np.ndarray | int | bool) -> Cols:
    """Planned sessions of one source; flags not given take their defaults."""
    out = {"user": user.astype(np.int64), "t": t.astype(np.int64)}
    out["src"] = np.full(user.size, src, np.int8)
    for key, (default, dtype) in _PLAN_DEFAULTS.items():
        value = np.asarray(flags.get(key, default), dtype)
        out[key] = np.broadcast_to(value, user.size).copy()
    return out


def _visit_sessions(rng: np.random.Generator, users: Cols) -> list[Cols]:
    """First visits, later visits of non-buyers, and visits before a first order."""
    n, t_first, delay = users["t_first"].size, users["t_first"], users["delay"]
    idx = np.arange(n)
    first = _block(idx, t_first, FIRST, signup=users["signup_first"])
    first["purchase"] = users["buyer"] & (delay == 0)
    n_revisit = np.where(users["buyer"], 0, rng.negative_binomial(1, 1 / 2.4, n))
    who = np.repeat(idx, n_revisit)
    revisits = _block(who, t_first[who] + rng.exponential(14 * DAY, who.size), REVISIT)
    n_mid = rng.poisson(np.minimum(delay, 30 * DAY) / (6 * DAY)) * users["buyer"]
    who = np.repeat(idx, n_mid)
    mids = _block(who, t_first[who] + rng.random(who.size) * delay[who], REVISIT)
    return [first, revisits, mids]


def _order_sessions(rng: np.random.Generator, users: Cols, buys: Cols) -> list[Cols]:
    """Purchase sessions (15 % of repeats from the newsletter), visits before and after them."""
    user, t, n = buys["user"], buys["t"], buys["user"].size
    own = ~(buys["first"] & (users["delay"][user] == 0))  # else the first visit is the order
    mailed = (~buys["first"] & (rng.random(n) < 0.15))[own]
    purchase = _block(
        user[own],
        t[own],
        PURCHASE,
        purchase=True,
        purchase_row=np.flatnonzero(own),
        channel=np.where(mailed, CH["email"], -1),
        campaign=np.where(mailed, CP["newsletter"], -1),
    )
    rows = np.repeat(np.arange(n), rng.poisson(0.7, n) * ~buys["first"])
    t_before = t[rows] - uniform(rng, 0, 21 * DAY, rows.size)
    before = _block(user[rows], np.maximum(t_before, users["t_first"][user[rows]] + 60), BROWSE)
    follow = rng.random(n) < 0.35
    t_follow = t[follow] + uniform(rng, 2 * DAY, 25 * DAY, int(follow.sum()))
    return [purchase, before, _block(user[follow], t_follow, FOLLOWUP)]


def _recovery_sessions(
    rng: np.random.Generator, users: Cols, buys: Cols, prm: ShopParams
) -> tuple[Cols, np.ndarray, Cols]:
    """Abandoning sessions shortly before some orders, and their ``abandoned_cart`` emails.

    Returns the sessions, the purchase rows whose session starts with an email click, and the
    opens of emails that were opened but not clicked.
    """
    user, t, n = buys["user"], buys["t"], buys["user"].size
    gap = uniform(rng, 3 * HOUR, 6.5 * DAY, n)
    chosen = (rng.random(n) < prm.recovery_share) & (t - gap > users["t_first"][user] + 2 * HOUR)
    draw = rng.random(n)
    clicked = chosen & (draw < prm.recovered_click)
    opened = chosen & ~clicked & (draw < prm.recovered_click + 0.2)
    t_open = t[opened] - (gap[opened] * rng.uniform(0.1, 0.7, int(opened.sum()))).astype(np.int64)
    sessions = _block(user[chosen], t[chosen] - gap[chosen], RECOVERY, cart=True)
    return sessions, np.flatnonzero(clicked), _opens(user[opened], t_open, "abandoned_cart")


def _after_order_browsing(rng: np.random.Generator, buys: Cols, horizon: int) -> Cols:
    """Buyers' visits without an order, about two a year after the first order."""
    user, t1 = buys["user"][buys["first"]], buys["t"][buys["first"]]
    rows = np.repeat(np.arange(user.size), rng.poisson(2.0 * (horizon - t1) / (365 * DAY)))
    return _block(user[rows], t1[rows] + rng.random(rows.size) * (horizon - t1[rows]), BROWSE)


def _opens(user: np.ndarray, t: np.ndarray, campaign: str) -> Cols:
    """Off-site ``email_open`` events of one campaign."""
    campaign_code = np.full(user.size, CP[campaign], np.int8)
    return {"user": user, "t": t.astype(np.int64), "campaign": campaign_code}


def _email_outcomes(
    rng: np.random.Generator,
    user: np.ndarray,
    t_send: np.ndarray,
    campaign: str,
    *,
    p_open: float,
    p_click: float,
) -> tuple[Cols, Cols]:
    """Emails sent -> (sessions of the clicks, opens without a click)."""
    draw = rng.random(user.size)
    clicked, opened = draw < p_click, (draw >= p_click) & (draw < p_open)
    t = t_send + np.minimum(rng.exponential(5 * HOUR, user.size), 2 * DAY).astype(np.int64) + 60
    sessions = _block(user[clicked], t[clicked], EMAIL, channel=CH["email"], campaign=CP[campaign])
    return sessions, _opens(user[opened], t[opened], campaign)


def _newsletters(
    rng: np.random.Generator, users: Cols, buys: Cols, start: pd.Timestamp, horizon: int
) -> tuple[Cols, Cols]:
    """Weekly Thursday 08:00 newsletters to users who signed up or bought; 20 % are read."""
    t_sub = np.where(users["signup_first"], users["t_first"], np.iinfo(np.int64).max)
    first_buyer, t1 = buys["user"][buys["first"]], buys["t"][buys["first"]]
    t_sub[first_buyer] = np.minimum(t_sub[first_buyer], t1)
    first_send = ((3 - start.weekday()) % 7) * DAY + 8 * HOUR
    n_sends = (horizon - first_send - 1) // WEEK + 1
    subscribed = np.flatnonzero(t_sub < horizon)
    first_issue = np.ceil((t_sub[subscribed] - first_send) / WEEK).clip(0).astype(np.int64)
    n_issues = np.maximum(n_sends - first_issue, 0)
    rows = np.repeat(np.arange(subscribed.size), rng.binomial(n_issues, 0.2))
    issue = first_issue[rows] + (rng.random(rows.size) * n_issues[rows]).astype(np.int64)
    t_send = first_send + issue * WEEK
    return _email_outcomes(rng, subscribed[rows], t_send, "newsletter", p_open=1.0, p_click=0.15)


def _winbacks(rng: np.random.Generator, buys: Cols, horizon: int) -> tuple[Cols, Cols]:
    """A ``winback`` email 60 days after an order that no other order followed by then."""
    user, t, never = buys["user"], buys["t"], np.iinfo(np.int64).max
    nxt = np.where(np.append(user[1:] == user[:-1], False), np.append(t[1:], never), never)
    due = (nxt - t > 60 * DAY) & (t + 61 * DAY < horizon)
    return _email_outcomes(rng, user[due], t[due] + 60 * DAY, "winback", p_open=0.3, p_click=0.075)


def _assign_carts(rng: np.random.Generator, plan: Cols, prm: ShopParams) -> tuple[Cols, Cols]:
    """Put carts in ordinary sessions (calibrated to the target abandonment) and email them."""
    eligible = np.isin(plan["src"], (FIRST, REVISIT, BROWSE)) & ~plan["purchase"]
    target = plan["purchase"].sum() * prm.cart_abandonment / (1 - prm.cart_abandonment)
    q = (target - plan["cart"].sum()) / max(eligible.sum(), 1)
    plan["cart"] |= eligible & (rng.random(eligible.size) < q)
    abandoned = np.flatnonzero(eligible & plan["cart"])
    t_send = plan["t"][abandoned] + uniform(rng, HOUR, 2 * DAY, abandoned.size)
    user = plan["user"][abandoned]
    return _email_outcomes(
        rng, user, t_send, "abandoned_cart", p_open=0.35, p_click=prm.other_click
    )


def _normalise_times(plan: Cols, horizon: int) -> Cols:
    """Sort sessions per user, push them >= 2 h apart (first visit first), drop past the end."""
    plan = take(plan, np.lexsort((plan["src"] != FIRST, plan["t"], plan["user"])))
    user, t = plan["user"], plan["t"]
    new_user = np.append(True, user[1:] != user[:-1])
    step = np.maximum(np.diff(t, prepend=0), 2 * HOUR)
    step[new_user] = t[new_user]
    csum = np.cumsum(step)
    plan["t"] = csum - (csum - step)[new_user][np.cumsum(new_user) - 1]
    return take(plan, np.flatnonzero(plan["t"] < horizon - HOUR))


def plan_sessions(
    rng: np.random.Generator,
    users: Cols,
    buys: Cols,
    prm: ShopParams,
    start: pd.Timestamp,
    horizon: int,
) -> tuple[Cols, Cols]:
    """Every session of every user (time-normalised) and the unclicked email opens."""
    recovery, clicked_rows, opens = _recovery_sessions(rng, users, buys, prm)
    news_sessions, news_opens = _newsletters(rng, users, buys, start, horizon)
    win_sessions, win_opens = _winbacks(rng, buys, horizon)
    parts = _visit_sessions(rng, users) + _order_sessions(rng, users, buys)
    plan = concat([*parts, recovery, _after_order_browsing(rng, buys, horizon)])
    by_email = np.isin(plan["purchase_row"], clicked_rows)
    plan["channel"][by_email] = CH["email"]
    plan["campaign"][by_email] = CP["abandoned_cart"]
    cart_sessions, cart_opens = _assign_carts(rng, plan, prm)
    plan = concat([plan, news_sessions, win_sessions, cart_sessions])
    opens = concat([opens, news_opens, win_opens, cart_opens])
    return _normalise_times(plan, horizon), opens


# --------------------------------------------------------------------------- 4. session details
def session_channels(rng: np.random.Generator, sess: Cols, users: Cols) -> None:
    """Channel (first visit: the first channel), device and campaign of each session, in place."""
    user, first, n = sess["user"], sess["src"] == FIRST, sess["user"].size
    own = users["channel"][user]
    back = rng.choice(len(CHANNELS), n, p=RETURN_CHANNEL_MIX).astype(np.int8)
    loyal = first | ((rng.random(n) < 0.3) & (own != CH["email"]))
    sess["channel"] = np.where(sess["channel"] >= 0, sess["channel"], np.where(loyal, own, back))
    other = rng.choice(len(DEVICES), n, p=DEVICE_MIX).astype(np.int8)
    sess["device"] = np.where(first | (rng.random(n) < 0.8), users["device"][user], other)
    campaign_by_channel = {
        CH["paid_search"]: np.where(first, CP["generic_search"], CP["brand_search"]),
        CH["paid_social"]: np.where(first, CP["prospecting"], CP["retargeting"]),
        CH["email"]: np.where(sess["campaign"] >= 0, sess["campaign"], CP["newsletter"]),
    }
    for code, campaign in campaign_by_channel.items():
        is_code = sess["channel"] == code
        sess["campaign"] = np.where(is_code, campaign, sess["campaign"]).astype(np.int8)


def session_depths(rng: np.random.Generator, sess: Cols, users: Cols, prm: ShopParams) -> None:
    """Funnel depth of each session, in place; checkout reach calibrated per variant (A/B)."""
    n, src, variant = sess["user"].size, sess["src"], users["variant"][sess["user"]]
    bounce = np.asarray(BOUNCE_BY_CHANNEL)[sess["channel"]]
    draw = rng.random(n)
    depth = np.where(draw < bounce, BOUNCE, np.where(draw < bounce + 0.2, BROWSING, PRODUCT))
    pattern_first = (src == FIRST) & users["pattern"][sess["user"]]
    depth[pattern_first] = np.maximum(depth[pattern_first], PRODUCT)
    depth[src == FOLLOWUP] = BROWSING
    email = src == EMAIL
    depth[email] = np.where(rng.random(int(email.sum())) < 0.5, BROWSING, PRODUCT)
    cart = sess["cart"] & ~sess["purchase"]
    conv = prm.checkout_conversion_a * np.array([1.0, 1.0 + prm.checkout_lift_b])
    orders = np.bincount(variant[sess["purchase"]], minlength=2)
    reach = orders * (1 - conv) / conv / np.maximum(np.bincount(variant[cart], minlength=2), 1)
    draw = rng.random((3, n))
    cart_depth = CART + (draw[0] < np.clip(reach, 0, 1)[variant])
    cart_depth += (cart_depth == CHECKOUT) & (draw[1] < 0.62)
    cart_depth += (cart_depth == SHIPPING) & (draw[2] < 0.55)
    depth = np.where(cart, cart_depth, depth)
    sess["depth"] = np.where(sess["purchase"], ORDER, depth).astype(np.int8)
