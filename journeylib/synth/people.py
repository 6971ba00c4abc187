"""The synthetic shop's users: latent traits, acquisition, variant, first visit, and their first
and repeat (BG/NBD) purchase times."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import categorical, percentile, rank_in_group, tilt, uniform
from ._codes import CH, DAY, HOUR, WEEK, Cols
from .params import DEVICE_MIX, DEVICES, FIRST_CHANNEL_MIX, ShopParams


# --------------------------------------------------------------------------- 1. users
def _first_visits(rng: np.random.Generator, n: int, start: pd.Timestamp, n_days: int) -> np.ndarray:
    """Seconds from ``start`` of each first visit: seasonal days, evening-heavy hours."""
    days = np.datetime64(start.date()) + np.arange(n_days)
    doy = (days - days.astype("datetime64[Y]")).astype(int)
    weekend = (days.astype(int) + 3) % 7 >= 5
    weight = 1.0 + 0.8 * np.exp(-0.5 * ((doy - 332) / 12.0) ** 2) + 0.1 * weekend
    weight[-1] = 0.0  # keep a day of room before the end
    hours = 0.6 + np.sin(np.linspace(-np.pi / 2, 3 * np.pi / 2, 24, endpoint=False) - 0.9) / 2
    day = rng.choice(n_days, n, p=weight / weight.sum())
    hour = rng.choice(24, n, p=hours / hours.sum())
    return day * DAY + hour * HOUR + uniform(rng, 0, HOUR, n)


def _first_channels(rng: np.random.Generator, lam: np.ndarray, prm: ShopParams) -> np.ndarray:
    """First channel per user; ``referral`` selected on a high purchase rate ``lam``."""
    base = np.array(FIRST_CHANNEL_MIX)
    base[CH["referral"]] = 0.0
    ref = prm.referral_share * tilt(percentile(lam), prm.referral_tilt)
    probs = (1.0 - ref)[:, None] * (base / base.sum())[None, :]
    probs[:, CH["referral"]] = ref
    return categorical(rng, probs).astype(np.int8)


def draw_users(
    rng: np.random.Generator, n: int, prm: ShopParams, start: pd.Timestamp, n_days: int
) -> Cols:
    """Latent traits, acquisition, variant and the first-order plan of every user."""
    lam = rng.gamma(prm.r, 1.0 / prm.alpha, n)
    dropout = np.clip(rng.beta(prm.a, prm.b, n), 1e-9, 1.0)
    nu = rng.gamma(prm.q_spend, 1.0 / prm.v_spend, n)
    channel = _first_channels(rng, lam, prm)
    device = rng.choice(len(DEVICES), n, p=DEVICE_MIX).astype(np.int8)
    variant = (rng.random(n) < 0.5).astype(np.int8)
    pattern = rng.random(n) < prm.pattern_share * tilt(percentile(-nu), prm.pattern_tilt)
    t_first = _first_visits(rng, n, start, n_days)
    buyer = rng.random(n) < prm.buyer_rate * np.asarray(prm.device_buyer_factor)[device]
    same_session = rng.random(n) < 0.3
    delay = np.where(same_session, 0, rng.gamma(0.8, 9 * DAY, n) + 600).astype(np.int64)
    buyer &= t_first + delay < n_days * DAY - 2 * HOUR
    signup_first = rng.random(n) < 0.10
    return {
        "lam": lam,
        "dropout": dropout,
        "nu": nu,
        "channel": channel,
        "device": device,
        "variant": variant,
        "pattern": pattern,
        "t_first": t_first,
        "buyer": buyer,
        "delay": delay,
        "signup_first": signup_first,
    }


# --------------------------------------------------------------------------- 2. purchases
def draw_purchases(rng: np.random.Generator, users: Cols, horizon: int) -> tuple[Cols, np.ndarray]:
    """First and repeat (BG/NBD) purchase times sorted by user and time; who is alive at the end.

    Repeat purchases are the first ``min(N, J)`` of ``N ~ Poisson(lambda T)`` uniform times in the
    ``T`` weeks after the first order, ``J ~ Geometric(p)`` being the purchase after which the
    customer drops out: the BG/NBD process, without a loop.
    """
    buyers = np.flatnonzero(users["buyer"])
    t1 = users["t_first"][buyers] + users["delay"][buyers]
    weeks = (horizon - HOUR - t1) / WEEK
    n_arrivals = rng.poisson(users["lam"][buyers] * weeks)
    n_until_dropout = rng.geometric(users["dropout"][buyers])
    owner = np.repeat(np.arange(buyers.size), n_arrivals)
    at = rng.random(owner.size) * weeks[owner]
    at = at[np.lexsort((at, owner))]
    keep = rank_in_group(n_arrivals) < np.minimum(n_arrivals, n_until_dropout)[owner]
    user = np.concatenate([buyers, buyers[owner[keep]]])
    t = np.concatenate([t1, t1[owner[keep]] + (at[keep] * WEEK).astype(np.int64)])
    first = np.arange(user.size) < buyers.size
    order = np.lexsort((t, user))
    alive = np.zeros(users["lam"].size, dtype=bool)
    alive[buyers] = n_arrivals < n_until_dropout
    return {"user": user[order], "t": t[order], "first": first[order]}, alive
