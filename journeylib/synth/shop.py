"""A deterministic synthetic shop with planted truths: journeylib's default data.

The generative story, one calendar year of a fashion web shop:

1. **Visitors arrive.** Each user gets a first visit (seasonal: busier around Black Friday and in
   the evening), a first channel, a primary device and an A/B ``variant`` (user level). Every user
   also carries latent traits: a BG/NBD purchase rate ``lambda ~ Gamma(r, alpha)`` (per week), a
   dropout probability ``p ~ Beta(a, b)`` and a Gamma-Gamma spend rate ``nu ~ Gamma(q, v)``.
2. **Some become buyers.** A visitor buys with a probability set by the device (tablet users buy
   far less). The first order follows the first visit after a delay (often in the same session).
3. **Buyers come back.** After the first order, repeat orders arrive as a Poisson process with rate
   ``lambda``; after each repeat order the customer drops out with probability ``p`` (BG/NBD).
   Order values are ``Gamma(p, nu)`` draws (Gamma-Gamma), split over 1-4 order lines.
4. **Sessions around them.** Browsing sessions are placed before, between and after orders; a
   session is a bounce, a browse, a product visit, an abandoned cart, an abandoned checkout or a
   purchase (``add_to_cart -> view_cart -> begin_checkout -> add_shipping_info ->
   add_payment_info -> purchase``). Emails (``newsletter``, ``abandoned_cart``, ``winback``) are
   opened off-site and clicked into email sessions. Sessions of a user are >= 2 hours apart.
5. **Events.** Each session expands into GA4-like events with ``session_id`` =
   ``"<user_id>-<unix seconds of its first event>"``; channel, device and campaign are constant
   within a session. Off-site events (``email_open``, ``refund``) have no session.

The six planted truths are made by selection on the latent traits (or by calibrated funnel
probabilities), so the BG/NBD and Gamma-Gamma populations keep their stated parameters:

1. users first acquired through ``referral`` are selected on a high ``lambda``: ~2x repeat rate;
2. users whose first session views a ``reviews`` page and the ``size_guide`` are selected on a
   high spend (low ``nu``): far likelier to become best customers (top 10 % of buyers by net
   revenue);
3. abandoned carts are recovered (purchase within 7 days) far more often after an
   ``abandoned_cart`` email click than without;
4. variant ``B`` converts checkouts (``begin_checkout -> purchase``, per session) 15 % better;
5. ``shoes`` orders are refunded ~25 % of the time, other categories ~5 %;
6. ``tablet`` sessions convert far less than desktop and mobile ones.

``truth.json`` holds the parameters and, for each truth, its definition and realised value;
``data/README.md`` explains how to check each one. Everything is vectorised numpy driven by one
``np.random.default_rng(seed)``: the same seed gives byte-identical files.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = [
    "CAMPAIGNS",
    "CATEGORIES",
    "CHANNELS",
    "DEVICES",
    "EVENTS",
    "PAGE_TYPES",
    "ShopParams",
    "SynthShop",
    "customers_for_events",
    "generate_shop",
    "main",
]

CHANNELS = ("organic_search", "paid_search", "paid_social", "email", "referral", "direct")
DEVICES = ("desktop", "mobile", "tablet")
PAGE_TYPES = (
    "home",
    "blog",
    "category",
    "product",
    "reviews",
    "size_guide",
    "returns_policy",
    "about",
    "help",
)
CATEGORIES = ("clothing", "shoes", "accessories", "bags", "sportswear")
CAMPAIGNS = (
    "abandoned_cart",
    "newsletter",
    "winback",
    "generic_search",
    "brand_search",
    "prospecting",
    "retargeting",
)
EVENTS = (
    "ad_click",
    "email_click",
    "session_start",
    "first_visit",
    "page_view",
    "view_item",
    "search",
    "sign_up",
    "write_review",
    "share",
    "refer_friend",
    "add_to_cart",
    "view_cart",
    "begin_checkout",
    "add_shipping_info",
    "add_payment_info",
    "purchase",
    "email_open",
    "refund",
)

_Cols = dict[str, np.ndarray]  # a table as named, equally long numpy arrays
_HOUR, _DAY, _WEEK = 3600, 86400, 7 * 86400
_EVENTS_PER_CUSTOMER = 18.2  # measured at the default parameters, for ``n_events`` targets
_EV = {name: code for code, name in enumerate(EVENTS)}
_PG = {name: code for code, name in enumerate(PAGE_TYPES)}
_CH = {name: code for code, name in enumerate(CHANNELS)}
_CP = {name: code for code, name in enumerate(CAMPAIGNS)}
_SEARCH = len(PAGE_TYPES)  # browsing "unit" code of a search; units 0..8 are page types
_SHOES = CATEGORIES.index("shoes")
_TABLET = DEVICES.index("tablet")

# Why a session exists, and how far down the funnel it goes.
_FIRST, _REVISIT, _PURCHASE, _BROWSE, _FOLLOWUP, _RECOVERY, _EMAIL = range(7)
_BOUNCE, _BROWSING, _PRODUCT, _CART, _CHECKOUT, _SHIPPING, _PAYMENT, _ORDER = range(8)

# Realism knobs that are not planted truths (channel order as in CHANNELS).
_FIRST_CHANNEL_MIX = (0.30, 0.18, 0.18, 0.03, 0.08, 0.23)  # referral share: ShopParams
_RETURN_CHANNEL_MIX = (0.25, 0.12, 0.10, 0.0, 0.05, 0.48)  # email sessions come from clicks
_DEVICE_MIX = (0.42, 0.48, 0.10)
_BOUNCE_BY_CHANNEL = (0.36, 0.34, 0.55, 0.30, 0.30, 0.40)
_LANDING_BY_CHANNEL = np.array(  # columns: home, blog, category, product
    [[0.1, 0.4, 0.2, 0.3], [0.1, 0.0, 0.3, 0.6], [0.2, 0.3, 0.0, 0.5],
     [0.3, 0.0, 0.2, 0.5], [0.4, 0.2, 0.0, 0.4], [0.8, 0.0, 0.1, 0.1]]
)  # fmt: skip
_UNIT_MIX = (0.04, 0.05, 0.22, 0.38, 0.08, 0.03, 0.04, 0.03, 0.04, 0.09)  # PAGE_TYPES + search
_CATEGORY_MIX = (0.34, 0.22, 0.18, 0.10, 0.16)
_PRICE_RANGE = ((15, 180), (45, 260), (8, 90), (25, 320), (15, 150))
_PRODUCTS_PER_CATEGORY = 60
# fmt: off
_FIRST_NAMES = ("jane", "anna", "maria", "sofia", "emma", "lea", "julia", "nina", "eva", "lucas",
                "noah", "leon", "paul", "ben", "elias", "tom", "felix", "omar", "chen", "raj")
_LAST_NAMES = ("doe", "smith", "jones", "garcia", "miller", "martin", "dubois", "muller", "rossi",
               "novak", "kowalski", "jansen", "silva", "costa", "nguyen", "kim", "patel", "khan")
# fmt: on


@dataclasses.dataclass(frozen=True)
class ShopParams:
    """The planted parameters of the synthetic shop (all written to ``truth.json``).

    Attributes
    ----------
    r, alpha, a, b : float
        BG/NBD: purchase rate ``lambda ~ Gamma(shape=r, rate=alpha)`` per week, dropout
        ``p ~ Beta(a, b)`` after each repeat purchase (lifetimes' ``BetaGeoFitter`` names).
    p_spend, q_spend, v_spend : float
        Gamma-Gamma (lifetimes' ``GammaGammaFitter`` ``p, q, v``): order value
        ``~ Gamma(p_spend, rate=nu)``, ``nu ~ Gamma(q_spend, rate=v_spend)``; the mean order value
        is ``p * v / (q - 1)``.
    buyer_rate : float
        Probability that a desktop visitor ever buys.
    device_buyer_factor : tuple of float
        Multiplier of ``buyer_rate`` per device, in ``DEVICES`` order (the device truth).
    referral_share, referral_tilt : float
        Share of users first acquired by referral, and the power ``k`` of the selection weight
        ``(k + 1) * u**k`` on the percentile ``u`` of ``lambda`` (the channel truth).
    pattern_share, pattern_tilt : float
        Share of users showing the early-journey pattern, and the power of the same selection on
        the percentile of spend (low ``nu``) (the best-customer truth).
    recovery_share : float
        Share of orders preceded by an abandoning session 3 hours to 6.5 days earlier.
    recovered_click, other_click : float
        Probability of an ``abandoned_cart`` email click after a cart that is later recovered,
        and after any other abandoned cart (the recovery truth).
    cart_abandonment : float
        Target share of cart sessions without a purchase.
    checkout_conversion_a, checkout_lift_b : float
        ``begin_checkout -> purchase`` session conversion of variant A, relative lift of B.
    refund_rate_shoes, refund_rate_other : float
        Share of orders refunded, for ``shoes`` and for every other category.
    """

    r: float = 0.25
    alpha: float = 6.0
    a: float = 0.8
    b: float = 2.5
    p_spend: float = 6.0
    q_spend: float = 4.0
    v_spend: float = 40.0
    buyer_rate: float = 0.055
    device_buyer_factor: tuple[float, float, float] = (1.0, 0.9, 0.35)
    referral_share: float = 0.08
    referral_tilt: float = 2.5
    pattern_share: float = 0.10
    pattern_tilt: float = 6.0
    recovery_share: float = 0.30
    recovered_click: float = 0.45
    other_click: float = 0.07
    cart_abandonment: float = 0.70
    checkout_conversion_a: float = 0.50
    checkout_lift_b: float = 0.15
    refund_rate_shoes: float = 0.25
    refund_rate_other: float = 0.05

    def __post_init__(self) -> None:
        shares = ("buyer_rate", "referral_share", "pattern_share", "recovery_share",
                  "recovered_click", "other_click", "cart_abandonment", "refund_rate_shoes",
                  "refund_rate_other", "checkout_conversion_a")  # fmt: skip
        bad = {name: getattr(self, name) for name in shares if not 0 < getattr(self, name) < 1}
        if not 0 < self.checkout_conversion_a * (1 + self.checkout_lift_b) < 1:
            bad["checkout_conversion_a * (1 + checkout_lift_b)"] = self.checkout_lift_b
        if bad:
            raise ValueError(f"ShopParams: these must lie strictly between 0 and 1: {bad}")


@dataclasses.dataclass(frozen=True)
class SynthShop:
    """Where a generated shop was written, and how big it is.

    Attributes
    ----------
    out : Path
        The shop directory.
    events, order_lines, customers, truth : Path
        ``events.parquet``, ``order_lines.parquet``, ``customers.parquet``, ``truth.json``.
    n_customers, n_events : int
        Number of users and of event rows.
    """

    out: Path
    events: Path
    order_lines: Path
    customers: Path
    truth: Path
    n_customers: int
    n_events: int


# --------------------------------------------------------------------------- public API
def generate_shop(
    n_customers: int = 30_000,
    seed: int = 42,
    *,
    out: str | Path = "data/shop",
    start: str | pd.Timestamp = "2024-01-01",
    end: str | pd.Timestamp = "2024-12-31",
    n_events: int | None = None,
    params: ShopParams | None = None,
) -> SynthShop:
    """Generate the synthetic shop and write its four files.

    Parameters
    ----------
    n_customers : int, default 30_000
        Number of users (visitors); about 18 events each. Ignored when ``n_events`` is given.
    seed : int, default 42
        Seed of ``np.random.default_rng``; the same seed gives byte-identical files.
    out : str or Path, default "data/shop"
        Directory to write (created if missing; existing files are overwritten).
    start, end : str or Timestamp, default "2024-01-01", "2024-12-31"
        First and last calendar day (UTC, inclusive) of the data; at least 28 days.
    n_events : int, optional
        Approximate number of event rows wanted; sets ``n_customers`` (see
        :func:`customers_for_events`). Time and memory grow linearly.
    params : ShopParams, optional
        Planted parameters; the defaults are documented in ``data/README.md``.

    Returns
    -------
    SynthShop
        Paths of ``events.parquet`` (the canonical event log), ``order_lines.parquet`` (order
        export with cancellations and guest lines), ``customers.parquet`` (one row per user, with
        emails and latent traits) and ``truth.json`` (parameters, headline rates, planted truths
        with their realised values), plus the sizes.
    """
    prm = params or ShopParams()
    n = customers_for_events(n_events) if n_events is not None else int(n_customers)
    if n < 100:
        raise ValueError(f"the shop needs at least 100 customers, got {n}")
    t0, n_days = _window(start, end)
    epoch = int(t0.timestamp())
    sim = _simulate(n, seed, prm, t0, n_days)
    sess, orders, rng = sim["sess"], sim["orders"], sim["rng"]
    ids = _id_arrays(n, sess, orders["session"].size, epoch)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.parquet" for name in ("events", "order_lines", "customers")}
    events = _events_table(sim.pop("events"), sim["users"], ids, epoch)  # frees the arrays
    _write(events, paths["events"])
    _write(_order_lines_table(rng, orders, sim["lines"], sess, ids, epoch), paths["order_lines"])
    _write(_customers_table(rng, sim["users"], sess, sim["alive"], ids, epoch), paths["customers"])
    truth = {
        "generator": _meta(seed, n, t0, n_days),
        "parameters": _parameters(prm),
        **_truth(sim["users"], sess, sim["end"], orders, prm, events.num_rows),
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return SynthShop(
        folder, *paths.values(), folder / "truth.json", n_customers=n, n_events=events.num_rows
    )


def customers_for_events(n_events: int) -> int:
    """Number of users that gives about ``n_events`` event rows at the default parameters.

    Parameters
    ----------
    n_events : int
        Target number of event rows.

    Returns
    -------
    int
        Users to generate (at least 100); events grow linearly with users.
    """
    return max(100, round(n_events / _EVENTS_PER_CUSTOMER))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m journeylib.synth [--customers N] [--seed S] [--out DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m journeylib.synth", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--customers", type=int, default=30_000, help="users (default 30000)")
    parser.add_argument("--events", type=int, help="approximate event rows (overrides customers)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", default="data/shop", help="output directory (default data/shop)")
    parser.add_argument("--start", default="2024-01-01", help="first day, UTC (2024-01-01)")
    parser.add_argument("--end", default="2024-12-31", help="last day, UTC, inclusive (2024-12-31)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    shop = generate_shop(
        args.customers,
        args.seed,
        out=args.out,
        start=args.start,
        end=args.end,
        n_events=args.events,
    )
    took = time.perf_counter() - began
    print(f"wrote {shop.out}: {shop.n_customers:,} users, {shop.n_events:,} events in {took:.1f} s")
    return 0


# --------------------------------------------------------------------------- orchestration
def _window(start: str | pd.Timestamp, end: str | pd.Timestamp) -> tuple[pd.Timestamp, int]:
    """UTC midnight of ``start`` and the number of days up to and including ``end``."""
    t0, t1 = (pd.Timestamp(x) for x in (start, end))
    t0, t1 = (t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC") for t in (t0, t1))
    n_days = (t1.normalize() - t0.normalize()).days + 1
    if n_days < 28:
        raise ValueError(f"the shop needs at least 28 days, got {start!r} .. {end!r}")
    return t0.normalize(), n_days


def _simulate(n: int, seed: int, prm: ShopParams, t0: pd.Timestamp, n_days: int) -> dict:
    """Run the generative story; return the arrays every table is built from."""
    rng, horizon = np.random.default_rng(seed), n_days * _DAY
    users = _draw_users(rng, n, prm, t0, n_days)
    buys, alive = _draw_purchases(rng, users, horizon)
    sess, opens = _plan_sessions(rng, users, buys, prm, t0, horizon)
    _session_channels(rng, sess, users)
    _session_depths(rng, sess, users, prm)
    cat = _catalogue(rng)
    orders, lines = _orders(rng, sess, users, cat, prm)
    orders["refund_t"] = _refunds(rng, orders, sess, prm, horizon)
    _mark_carts(rng, sess, users, orders, lines, cat)
    onsite, end = _onsite_events(rng, sess, users, orders, lines, cat)
    orders["t"] = np.empty(orders["session"].size, np.int64)
    is_order = onsite["order"] >= 0
    orders["t"][onsite["order"][is_order]] = onsite["t"][is_order]
    offsite = _offsite_events(rng, sess, opens, orders, lines, horizon)
    events = _concat([onsite, offsite])
    return {
        "rng": rng,
        "users": users,
        "alive": alive,
        "sess": sess,
        "end": end,
        "orders": orders,
        "lines": lines,
        "events": events,
    }


# --------------------------------------------------------------------------- array helpers
def _percentile(x: np.ndarray) -> np.ndarray:
    """Mid-rank percentile in (0, 1) of each value of ``x``."""
    out = np.empty(x.size)
    out[np.argsort(x, kind="stable")] = (np.arange(x.size) + 0.5) / max(x.size, 1)
    return out


def _tilt(u: np.ndarray, k: float) -> np.ndarray:
    """Selection weight ``(k + 1) u**k``: mean 1 over uniform ``u``, favours high ``u``."""
    return (k + 1.0) * u**k


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one column index per row of a (n, k) matrix of probabilities."""
    cum = np.cumsum(probs, axis=1)
    pick = (rng.random(len(probs))[:, None] * cum[:, -1:] > cum).sum(axis=1)
    return np.minimum(pick, probs.shape[1] - 1)


def _rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within consecutive groups of ``counts`` rows."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _concat(parts: Sequence[_Cols]) -> _Cols:
    """Stack tables that have the same columns."""
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _take(table: _Cols, idx: np.ndarray) -> _Cols:
    """Rows ``idx`` of a table."""
    return {key: col[idx] for key, col in table.items()}


def _uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """``n`` whole seconds drawn uniformly in [low, high)."""
    return rng.uniform(low, high, n).astype(np.int64)


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
    return day * _DAY + hour * _HOUR + _uniform(rng, 0, _HOUR, n)


def _first_channels(rng: np.random.Generator, lam: np.ndarray, prm: ShopParams) -> np.ndarray:
    """First channel per user; ``referral`` selected on a high purchase rate ``lam``."""
    base = np.array(_FIRST_CHANNEL_MIX)
    base[_CH["referral"]] = 0.0
    ref = prm.referral_share * _tilt(_percentile(lam), prm.referral_tilt)
    probs = (1.0 - ref)[:, None] * (base / base.sum())[None, :]
    probs[:, _CH["referral"]] = ref
    return _categorical(rng, probs).astype(np.int8)


def _draw_users(
    rng: np.random.Generator, n: int, prm: ShopParams, start: pd.Timestamp, n_days: int
) -> _Cols:
    """Latent traits, acquisition, variant and the first-order plan of every user."""
    lam = rng.gamma(prm.r, 1.0 / prm.alpha, n)
    dropout = np.clip(rng.beta(prm.a, prm.b, n), 1e-9, 1.0)
    nu = rng.gamma(prm.q_spend, 1.0 / prm.v_spend, n)
    channel = _first_channels(rng, lam, prm)
    device = rng.choice(len(DEVICES), n, p=_DEVICE_MIX).astype(np.int8)
    variant = (rng.random(n) < 0.5).astype(np.int8)
    pattern = rng.random(n) < prm.pattern_share * _tilt(_percentile(-nu), prm.pattern_tilt)
    t_first = _first_visits(rng, n, start, n_days)
    buyer = rng.random(n) < prm.buyer_rate * np.asarray(prm.device_buyer_factor)[device]
    same_session = rng.random(n) < 0.3
    delay = np.where(same_session, 0, rng.gamma(0.8, 9 * _DAY, n) + 600).astype(np.int64)
    buyer &= t_first + delay < n_days * _DAY - 2 * _HOUR
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
def _draw_purchases(
    rng: np.random.Generator, users: _Cols, horizon: int
) -> tuple[_Cols, np.ndarray]:
    """First and repeat (BG/NBD) purchase times sorted by user and time; who is alive at the end.

    Repeat purchases are the first ``min(N, J)`` of ``N ~ Poisson(lambda T)`` uniform times in the
    ``T`` weeks after the first order, ``J ~ Geometric(p)`` being the purchase after which the
    customer drops out: the BG/NBD process, without a loop.
    """
    buyers = np.flatnonzero(users["buyer"])
    t1 = users["t_first"][buyers] + users["delay"][buyers]
    weeks = (horizon - _HOUR - t1) / _WEEK
    n_arrivals = rng.poisson(users["lam"][buyers] * weeks)
    n_until_dropout = rng.geometric(users["dropout"][buyers])
    owner = np.repeat(np.arange(buyers.size), n_arrivals)
    at = rng.random(owner.size) * weeks[owner]
    at = at[np.lexsort((at, owner))]
    keep = _rank_in_group(n_arrivals) < np.minimum(n_arrivals, n_until_dropout)[owner]
    user = np.concatenate([buyers, buyers[owner[keep]]])
    t = np.concatenate([t1, t1[owner[keep]] + (at[keep] * _WEEK).astype(np.int64)])
    first = np.arange(user.size) < buyers.size
    order = np.lexsort((t, user))
    alive = np.zeros(users["lam"].size, dtype=bool)
    alive[buyers] = n_arrivals < n_until_dropout
    return {"user": user[order], "t": t[order], "first": first[order]}, alive


# --------------------------------------------------------------------------- 3. session plan
_PLAN_DEFAULTS = {
    "purchase": (False, bool),
    "channel": (-1, np.int8),
    "campaign": (-1, np.int8),
    "cart": (False, bool),
    "signup": (False, bool),
    "purchase_row": (-1, np.int64),
}


def _block(user: np.ndarray, t: np.ndarray, src: int, **flags: np.ndarray | int | bool) -> _Cols:
    """Planned sessions of one source; flags not given take their defaults."""
    out = {"user": user.astype(np.int64), "t": t.astype(np.int64)}
    out["src"] = np.full(user.size, src, np.int8)
    for key, (default, dtype) in _PLAN_DEFAULTS.items():
        value = np.asarray(flags.get(key, default), dtype)
        out[key] = np.broadcast_to(value, user.size).copy()
    return out


def _visit_sessions(rng: np.random.Generator, users: _Cols) -> list[_Cols]:
    """First visits, later visits of non-buyers, and visits before a first order."""
    n, t_first, delay = users["t_first"].size, users["t_first"], users["delay"]
    idx = np.arange(n)
    first = _block(idx, t_first, _FIRST, signup=users["signup_first"])
    first["purchase"] = users["buyer"] & (delay == 0)
    n_revisit = np.where(users["buyer"], 0, rng.negative_binomial(1, 1 / 2.4, n))
    who = np.repeat(idx, n_revisit)
    revisits = _block(who, t_first[who] + rng.exponential(14 * _DAY, who.size), _REVISIT)
    n_mid = rng.poisson(np.minimum(delay, 30 * _DAY) / (6 * _DAY)) * users["buyer"]
    who = np.repeat(idx, n_mid)
    mids = _block(who, t_first[who] + rng.random(who.size) * delay[who], _REVISIT)
    return [first, revisits, mids]


def _order_sessions(rng: np.random.Generator, users: _Cols, buys: _Cols) -> list[_Cols]:
    """Purchase sessions (15 % of repeats from the newsletter), visits before and after them."""
    user, t, n = buys["user"], buys["t"], buys["user"].size
    own = ~(buys["first"] & (users["delay"][user] == 0))  # else the first visit is the order
    mailed = (~buys["first"] & (rng.random(n) < 0.15))[own]
    purchase = _block(
        user[own],
        t[own],
        _PURCHASE,
        purchase=True,
        purchase_row=np.flatnonzero(own),
        channel=np.where(mailed, _CH["email"], -1),
        campaign=np.where(mailed, _CP["newsletter"], -1),
    )
    rows = np.repeat(np.arange(n), rng.poisson(0.7, n) * ~buys["first"])
    t_before = t[rows] - _uniform(rng, 0, 21 * _DAY, rows.size)
    before = _block(user[rows], np.maximum(t_before, users["t_first"][user[rows]] + 60), _BROWSE)
    follow = rng.random(n) < 0.35
    t_follow = t[follow] + _uniform(rng, 2 * _DAY, 25 * _DAY, int(follow.sum()))
    return [purchase, before, _block(user[follow], t_follow, _FOLLOWUP)]


def _recovery_sessions(
    rng: np.random.Generator, users: _Cols, buys: _Cols, prm: ShopParams
) -> tuple[_Cols, np.ndarray, _Cols]:
    """Abandoning sessions shortly before some orders, and their ``abandoned_cart`` emails.

    Returns the sessions, the purchase rows whose session starts with an email click, and the
    opens of emails that were opened but not clicked.
    """
    user, t, n = buys["user"], buys["t"], buys["user"].size
    gap = _uniform(rng, 3 * _HOUR, 6.5 * _DAY, n)
    chosen = (rng.random(n) < prm.recovery_share) & (t - gap > users["t_first"][user] + 2 * _HOUR)
    draw = rng.random(n)
    clicked = chosen & (draw < prm.recovered_click)
    opened = chosen & ~clicked & (draw < prm.recovered_click + 0.2)
    t_open = t[opened] - (gap[opened] * rng.uniform(0.1, 0.7, int(opened.sum()))).astype(np.int64)
    sessions = _block(user[chosen], t[chosen] - gap[chosen], _RECOVERY, cart=True)
    return sessions, np.flatnonzero(clicked), _opens(user[opened], t_open, "abandoned_cart")


def _after_order_browsing(rng: np.random.Generator, buys: _Cols, horizon: int) -> _Cols:
    """Buyers' visits without an order, about two a year after the first order."""
    user, t1 = buys["user"][buys["first"]], buys["t"][buys["first"]]
    rows = np.repeat(np.arange(user.size), rng.poisson(2.0 * (horizon - t1) / (365 * _DAY)))
    return _block(user[rows], t1[rows] + rng.random(rows.size) * (horizon - t1[rows]), _BROWSE)


def _opens(user: np.ndarray, t: np.ndarray, campaign: str) -> _Cols:
    """Off-site ``email_open`` events of one campaign."""
    campaign_code = np.full(user.size, _CP[campaign], np.int8)
    return {"user": user, "t": t.astype(np.int64), "campaign": campaign_code}


def _email_outcomes(
    rng: np.random.Generator,
    user: np.ndarray,
    t_send: np.ndarray,
    campaign: str,
    *,
    p_open: float,
    p_click: float,
) -> tuple[_Cols, _Cols]:
    """Emails sent -> (sessions of the clicks, opens without a click)."""
    draw = rng.random(user.size)
    clicked, opened = draw < p_click, (draw >= p_click) & (draw < p_open)
    t = t_send + np.minimum(rng.exponential(5 * _HOUR, user.size), 2 * _DAY).astype(np.int64) + 60
    sessions = _block(
        user[clicked], t[clicked], _EMAIL, channel=_CH["email"], campaign=_CP[campaign]
    )
    return sessions, _opens(user[opened], t[opened], campaign)


def _newsletters(
    rng: np.random.Generator, users: _Cols, buys: _Cols, start: pd.Timestamp, horizon: int
) -> tuple[_Cols, _Cols]:
    """Weekly Thursday 08:00 newsletters to users who signed up or bought; 20 % are read."""
    t_sub = np.where(users["signup_first"], users["t_first"], np.iinfo(np.int64).max)
    first_buyer, t1 = buys["user"][buys["first"]], buys["t"][buys["first"]]
    t_sub[first_buyer] = np.minimum(t_sub[first_buyer], t1)
    first_send = ((3 - start.weekday()) % 7) * _DAY + 8 * _HOUR
    n_sends = (horizon - first_send - 1) // _WEEK + 1
    subscribed = np.flatnonzero(t_sub < horizon)
    first_issue = np.ceil((t_sub[subscribed] - first_send) / _WEEK).clip(0).astype(np.int64)
    n_issues = np.maximum(n_sends - first_issue, 0)
    rows = np.repeat(np.arange(subscribed.size), rng.binomial(n_issues, 0.2))
    issue = first_issue[rows] + (rng.random(rows.size) * n_issues[rows]).astype(np.int64)
    t_send = first_send + issue * _WEEK
    return _email_outcomes(rng, subscribed[rows], t_send, "newsletter", p_open=1.0, p_click=0.15)


def _winbacks(rng: np.random.Generator, buys: _Cols, horizon: int) -> tuple[_Cols, _Cols]:
    """A ``winback`` email 60 days after an order that no other order followed by then."""
    user, t, never = buys["user"], buys["t"], np.iinfo(np.int64).max
    nxt = np.where(np.append(user[1:] == user[:-1], False), np.append(t[1:], never), never)
    due = (nxt - t > 60 * _DAY) & (t + 61 * _DAY < horizon)
    return _email_outcomes(rng, user[due], t[due] + 60 * _DAY, "winback", p_open=0.3, p_click=0.075)


def _assign_carts(rng: np.random.Generator, plan: _Cols, prm: ShopParams) -> tuple[_Cols, _Cols]:
    """Put carts in ordinary sessions (calibrated to the target abandonment) and email them."""
    eligible = np.isin(plan["src"], (_FIRST, _REVISIT, _BROWSE)) & ~plan["purchase"]
    target = plan["purchase"].sum() * prm.cart_abandonment / (1 - prm.cart_abandonment)
    q = (target - plan["cart"].sum()) / max(eligible.sum(), 1)
    plan["cart"] |= eligible & (rng.random(eligible.size) < q)
    abandoned = np.flatnonzero(eligible & plan["cart"])
    t_send = plan["t"][abandoned] + _uniform(rng, _HOUR, 2 * _DAY, abandoned.size)
    user = plan["user"][abandoned]
    return _email_outcomes(
        rng, user, t_send, "abandoned_cart", p_open=0.35, p_click=prm.other_click
    )


def _normalise_times(plan: _Cols, horizon: int) -> _Cols:
    """Sort sessions per user, push them >= 2 h apart (first visit first), drop past the end."""
    plan = _take(plan, np.lexsort((plan["src"] != _FIRST, plan["t"], plan["user"])))
    user, t = plan["user"], plan["t"]
    new_user = np.append(True, user[1:] != user[:-1])
    step = np.maximum(np.diff(t, prepend=0), 2 * _HOUR)
    step[new_user] = t[new_user]
    csum = np.cumsum(step)
    plan["t"] = csum - (csum - step)[new_user][np.cumsum(new_user) - 1]
    return _take(plan, np.flatnonzero(plan["t"] < horizon - _HOUR))


def _plan_sessions(
    rng: np.random.Generator,
    users: _Cols,
    buys: _Cols,
    prm: ShopParams,
    start: pd.Timestamp,
    horizon: int,
) -> tuple[_Cols, _Cols]:
    """Every session of every user (time-normalised) and the unclicked email opens."""
    recovery, clicked_rows, opens = _recovery_sessions(rng, users, buys, prm)
    news_sessions, news_opens = _newsletters(rng, users, buys, start, horizon)
    win_sessions, win_opens = _winbacks(rng, buys, horizon)
    parts = _visit_sessions(rng, users) + _order_sessions(rng, users, buys)
    plan = _concat([*parts, recovery, _after_order_browsing(rng, buys, horizon)])
    by_email = np.isin(plan["purchase_row"], clicked_rows)
    plan["channel"][by_email] = _CH["email"]
    plan["campaign"][by_email] = _CP["abandoned_cart"]
    cart_sessions, cart_opens = _assign_carts(rng, plan, prm)
    plan = _concat([plan, news_sessions, win_sessions, cart_sessions])
    opens = _concat([opens, news_opens, win_opens, cart_opens])
    return _normalise_times(plan, horizon), opens


# --------------------------------------------------------------------------- 4. session details
def _session_channels(rng: np.random.Generator, sess: _Cols, users: _Cols) -> None:
    """Channel (first visit: the first channel), device and campaign of each session, in place."""
    user, first, n = sess["user"], sess["src"] == _FIRST, sess["user"].size
    own = users["channel"][user]
    back = rng.choice(len(CHANNELS), n, p=_RETURN_CHANNEL_MIX).astype(np.int8)
    loyal = first | ((rng.random(n) < 0.3) & (own != _CH["email"]))
    sess["channel"] = np.where(sess["channel"] >= 0, sess["channel"], np.where(loyal, own, back))
    other = rng.choice(len(DEVICES), n, p=_DEVICE_MIX).astype(np.int8)
    sess["device"] = np.where(first | (rng.random(n) < 0.8), users["device"][user], other)
    campaign_by_channel = {
        _CH["paid_search"]: np.where(first, _CP["generic_search"], _CP["brand_search"]),
        _CH["paid_social"]: np.where(first, _CP["prospecting"], _CP["retargeting"]),
        _CH["email"]: np.where(sess["campaign"] >= 0, sess["campaign"], _CP["newsletter"]),
    }
    for code, campaign in campaign_by_channel.items():
        is_code = sess["channel"] == code
        sess["campaign"] = np.where(is_code, campaign, sess["campaign"]).astype(np.int8)


def _session_depths(rng: np.random.Generator, sess: _Cols, users: _Cols, prm: ShopParams) -> None:
    """Funnel depth of each session, in place; checkout reach calibrated per variant (A/B)."""
    n, src, variant = sess["user"].size, sess["src"], users["variant"][sess["user"]]
    bounce = np.asarray(_BOUNCE_BY_CHANNEL)[sess["channel"]]
    draw = rng.random(n)
    depth = np.where(draw < bounce, _BOUNCE, np.where(draw < bounce + 0.2, _BROWSING, _PRODUCT))
    pattern_first = (src == _FIRST) & users["pattern"][sess["user"]]
    depth[pattern_first] = np.maximum(depth[pattern_first], _PRODUCT)
    depth[src == _FOLLOWUP] = _BROWSING
    email = src == _EMAIL
    depth[email] = np.where(rng.random(int(email.sum())) < 0.5, _BROWSING, _PRODUCT)
    cart = sess["cart"] & ~sess["purchase"]
    conv = prm.checkout_conversion_a * np.array([1.0, 1.0 + prm.checkout_lift_b])
    orders = np.bincount(variant[sess["purchase"]], minlength=2)
    reach = orders * (1 - conv) / conv / np.maximum(np.bincount(variant[cart], minlength=2), 1)
    draw = rng.random((3, n))
    cart_depth = _CART + (draw[0] < np.clip(reach, 0, 1)[variant])
    cart_depth += (cart_depth == _CHECKOUT) & (draw[1] < 0.62)
    cart_depth += (cart_depth == _SHIPPING) & (draw[2] < 0.55)
    depth = np.where(cart, cart_depth, depth)
    sess["depth"] = np.where(sess["purchase"], _ORDER, depth).astype(np.int8)


# --------------------------------------------------------------------------- 5. orders
def _catalogue(rng: np.random.Generator) -> _Cols:
    """Products sorted by (category, list price), with a browsing popularity."""
    k = _PRODUCTS_PER_CATEGORY
    low, high = np.log(np.array(_PRICE_RANGE, dtype=float)).T
    price = np.exp(rng.uniform(low[:, None], high[:, None], (len(CATEGORIES), k)))
    price = np.sort(np.round(price) - 0.01, axis=1).ravel()
    popularity = 1.0 / rng.permuted(np.tile(np.arange(1, k + 1), (len(CATEGORIES), 1)), axis=1)
    popularity = popularity.ravel() * np.repeat(_CATEGORY_MIX, k)
    category = np.repeat(np.arange(len(CATEGORIES)), k).astype(np.int8)
    return {"price": price, "category": category, "weight": popularity / popularity.sum()}


def _nearest_product(cat: _Cols, category: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Index of the product of ``category`` whose list price is nearest ``target``."""
    k, big = _PRODUCTS_PER_CATEGORY, 1e6
    pos = np.searchsorted(cat["category"] * big + cat["price"], category * big + target)
    low = category.astype(np.int64) * k
    right, left = np.clip(pos, low, low + k - 1), np.clip(pos - 1, low, low + k - 1)
    closer_left = np.abs(cat["price"][left] - target) <= np.abs(cat["price"][right] - target)
    return np.where(closer_left, left, right)


def _orders(
    rng: np.random.Generator, sess: _Cols, users: _Cols, cat: _Cols, prm: ShopParams
) -> tuple[_Cols, _Cols]:
    """Orders of the purchase sessions (numbered by time) and their lines.

    Order values are Gamma-Gamma draws (to the cent), split over 1-4 lines; each line's product
    is the one of the order's category whose list price is nearest the price paid.
    """
    s = np.flatnonzero(sess["purchase"])
    s = s[np.argsort(sess["t"][s], kind="stable")]
    n = s.size
    category = rng.choice(len(CATEGORIES), n, p=_CATEGORY_MIX).astype(np.int8)
    value = rng.gamma(prm.p_spend, 1.0 / users["nu"][sess["user"][s]])
    n_lines = 1 + rng.binomial(3, 0.2, n)
    order = np.repeat(np.arange(n), n_lines)
    share = rng.gamma(1.0, 1.0, order.size)
    share /= np.bincount(order, share)[order]
    qty = 1 + (rng.random(order.size) < 0.2).astype(np.int64)
    price = np.maximum(np.round(value[order] * share / qty, 2), 0.5)
    product = _nearest_product(cat, category[order], price)
    lines = {"order": order, "product": product, "qty": qty, "price": price}
    revenue = np.round(np.bincount(order, qty * price, minlength=n), 2)
    first_line = np.cumsum(n_lines) - n_lines
    total_qty = np.bincount(order, qty, minlength=n).astype(np.int64)
    orders = {
        "session": s,
        "category": category,
        "revenue": revenue,
        "n_lines": n_lines,
        "first_line": first_line,
        "qty": total_qty,
    }
    return orders, lines


def _refunds(
    rng: np.random.Generator, orders: _Cols, sess: _Cols, prm: ShopParams, horizon: int
) -> np.ndarray:
    """Refund time of each order, 3-30 days later (-1: not refunded, or after the end)."""
    rate = np.where(orders["category"] == _SHOES, prm.refund_rate_shoes, prm.refund_rate_other)
    t = sess["t"][orders["session"]] + _uniform(rng, 3 * _DAY, 30 * _DAY, rate.size)
    return np.where((rng.random(rate.size) < rate) & (t < horizon), t, -1)


def _mark_carts(
    rng: np.random.Generator, sess: _Cols, users: _Cols, orders: _Cols, lines: _Cols, cat: _Cols
) -> None:
    """The product put first in each cart, and sign-ups during 45 % of first orders, in place."""
    sess["cart_product"] = rng.choice(cat["price"].size, sess["t"].size, p=cat["weight"])
    sess["cart_product"][orders["session"]] = lines["product"][orders["first_line"]]
    o_user = sess["user"][orders["session"]]
    _, first_order = np.unique(o_user, return_index=True)
    chosen = ~users["signup_first"][o_user[first_order]] & (rng.random(first_order.size) < 0.45)
    sess["signup"][orders["session"][first_order[chosen]]] = True


# --------------------------------------------------------------------------- 6. events
_ROW_DEFAULTS = {
    "zero": (False, bool),
    "page": (-1, np.int8),
    "product": (-1, np.int32),
    "order": (-1, np.int32),
    "qty": (-1, np.int32),
    "price": (np.nan, float),
    "revenue": (np.nan, float),
}


def _rows(sess: np.ndarray, code: int | np.ndarray, seq: float | np.ndarray, **cols) -> _Cols:
    """Event rows of sessions ``sess`` placed at ``seq`` in them; columns not given are null.

    ``zero`` marks a row logged in the same second as the previous one (a tie).
    """
    n = sess.size
    out = {"sess": sess.astype(np.int32)}
    out["code"] = np.broadcast_to(np.asarray(code, np.int8), n).copy()
    out["seq"] = np.broadcast_to(np.asarray(seq, np.float32), n).copy()
    for key, (default, dtype) in _ROW_DEFAULTS.items():
        out[key] = np.broadcast_to(np.asarray(cols.get(key, default), dtype), n).copy()
    return out


def _fixed_rows(rng: np.random.Generator, sess: _Cols) -> list[_Cols]:
    """Entry clicks, session_start, first_visit, sign_up and after-order engagement rows."""
    channel, src = sess["channel"], sess["src"]
    paid = np.flatnonzero(np.isin(channel, (_CH["paid_search"], _CH["paid_social"])))
    follow = np.flatnonzero(src == _FOLLOWUP)
    draw = rng.random((4, follow.size))
    return [
        _rows(paid, _EV["ad_click"], 0.0),
        _rows(np.flatnonzero(channel == _CH["email"]), _EV["email_click"], 0.0),
        _rows(np.arange(channel.size), _EV["session_start"], 1.0, zero=True),
        _rows(np.flatnonzero(src == _FIRST), _EV["first_visit"], 2.0, zero=True),
        _rows(np.flatnonzero(sess["signup"]), _EV["sign_up"], 90.0),
        _rows(follow[draw[0] < 0.5], _EV["page_view"], 91.0, page=_PG["help"]),
        _rows(follow[draw[1] < 0.45], _EV["write_review"], 92.0),
        _rows(follow[draw[2] < 0.12], _EV["share"], 93.0),
        _rows(follow[draw[3] < 0.10], _EV["refer_friend"], 94.0),
    ]


def _browse_units(rng: np.random.Generator, sess: _Cols, users: _Cols, cat: _Cols) -> _Cols:
    """Landing page, then browsing units (a page type, or a search) with their products.

    Sessions of depth >= product end browsing on a product page (the cart's first product);
    the ``size_guide`` appears in a first session only for users with the planted pattern, who
    also get a ``reviews`` and a ``size_guide`` page at random places of it.
    """
    depth, first = sess["depth"], sess["src"] == _FIRST
    n = depth.size
    n_extra = np.where(depth >= _PRODUCT, 1 + rng.poisson(2.5, n), 1 + rng.poisson(1.2, n))
    n_extra = np.where(depth == _BOUNCE, 0, np.minimum(n_extra, 15))
    s = np.repeat(np.arange(depth.size), 1 + n_extra)
    k = _rank_in_group(1 + n_extra)
    landing = _categorical(rng, _LANDING_BY_CHANNEL[sess["channel"]])
    unit = np.where(k == 0, landing[s], rng.choice(len(_UNIT_MIX), s.size, p=_UNIT_MIX))
    pattern_first = first & users["pattern"][sess["user"]]
    unit[(depth[s] == _BROWSING) & (unit == _PG["product"])] = _PG["category"]
    unit[(unit == _PG["size_guide"]) & first[s] & ~pattern_first[s]] = _PG["category"]
    last = (k == n_extra[s]) & (depth[s] >= _PRODUCT)
    unit[last] = _PG["product"]
    product = rng.choice(cat["price"].size, s.size, p=cat["weight"])
    product = np.where(last & (depth[s] >= _CART), sess["cart_product"][s], product)
    pat = np.repeat(np.flatnonzero(pattern_first), 2)
    pat_seq = 10.0 + rng.random(pat.size) * (1 + n_extra[pat])
    return {
        "sess": np.append(s, pat),
        "unit": np.append(unit, np.tile([_PG["reviews"], _PG["size_guide"]], pat.size // 2)),
        "seq": np.append(np.where(k == 0, 3.0, 10.0 + k), pat_seq),
        "zero": np.append(k == 0, np.zeros(pat.size, bool)),
        "product": np.append(product, np.full(pat.size, -1)),
    }


def _unit_rows(rng: np.random.Generator, sess: _Cols, users: _Cols, cat: _Cols) -> list[_Cols]:
    """Browsing units as events: page_view or search; a product page also logs view_item."""
    u = _browse_units(rng, sess, users, cat)
    is_product = u["unit"] == _PG["product"]
    code = np.where(u["unit"] == _SEARCH, _EV["search"], _EV["page_view"])
    page = np.where(u["unit"] == _SEARCH, -1, u["unit"])
    product = np.where(is_product, u["product"], -1)
    pages = _rows(u["sess"], code, u["seq"], zero=u["zero"], page=page, product=product)
    v = np.flatnonzero(is_product)
    items = _rows(
        u["sess"][v],
        _EV["view_item"],
        u["seq"][v] + 0.5,
        zero=True,
        product=product[v],
        price=cat["price"][product[v]],
    )
    return [pages, items]


def _cart_rows(
    rng: np.random.Generator, sess: _Cols, orders: _Cols, lines: _Cols, cat: _Cols
) -> list[_Cols]:
    """add_to_cart ... purchase: one add per order line, 1-3 adds per abandoned cart."""
    depth = sess["depth"]
    line_sess = orders["session"][lines["order"]]
    ordered = _rows(
        line_sess,
        _EV["add_to_cart"],
        100.0 + _rank_in_group(orders["n_lines"]),
        product=lines["product"],
        qty=lines["qty"],
        price=lines["price"],
    )
    n_add = 1 + rng.binomial(2, 0.25, int(((depth >= _CART) & (depth < _ORDER)).sum()))
    s = np.repeat(np.flatnonzero((depth >= _CART) & (depth < _ORDER)), n_add)
    rank = _rank_in_group(n_add)
    more = rng.choice(cat["price"].size, s.size, p=cat["weight"])
    product = np.where(rank == 0, sess["cart_product"][s], more)
    qty = 1 + (rng.random(s.size) < 0.1)
    abandoned = _rows(
        s, _EV["add_to_cart"], 100.0 + rank, product=product, qty=qty, price=cat["price"][product]
    )
    out = [ordered, abandoned]
    steps = (
        (_CART, "view_cart", 150.0),
        (_CHECKOUT, "begin_checkout", 200.0),
        (_SHIPPING, "add_shipping_info", 201.0),
        (_PAYMENT, "add_payment_info", 202.0),
    )
    for min_depth, name, seq in steps:
        s = np.flatnonzero(depth >= min_depth)
        zero = (name == "begin_checkout") & (rng.random(s.size) < 0.35)  # a tie with view_cart
        out.append(_rows(s, _EV[name], seq, zero=zero))
    out.append(
        _rows(
            orders["session"],
            _EV["purchase"],
            203.0,
            qty=orders["qty"],
            product=lines["product"][orders["first_line"]],
            order=np.arange(orders["session"].size),
            revenue=orders["revenue"],
        )
    )
    return out


def _timed(rng: np.random.Generator, rows: _Cols, sess: _Cols) -> np.ndarray:
    """Give rows times and ranks within their session (in place, by ``seq``); return ends."""
    order = np.lexsort((rows["seq"], rows["sess"]))
    s = rows["sess"][order]
    gap = np.minimum(1 + rng.exponential(35.0, s.size), 240).astype(np.int64)
    gap[rows["zero"][order]] = 0
    new = np.append(True, s[1:] != s[:-1])
    gap[new] = 0
    csum = np.cumsum(gap)
    group = np.cumsum(new) - 1
    t = sess["t"][s] + csum - csum[new][group]
    rows["t"], rows["rank"] = np.empty_like(t), np.empty(t.size, np.int64)
    rows["t"][order] = t
    rows["rank"][order] = np.arange(t.size) - np.flatnonzero(new)[group]
    end = np.empty(sess["t"].size, np.int64)
    end[s[::-1]] = t[::-1]  # the last write wins: each session's last row
    return end


def _onsite_events(
    rng: np.random.Generator, sess: _Cols, users: _Cols, orders: _Cols, lines: _Cols, cat: _Cols
) -> tuple[_Cols, np.ndarray]:
    """Every event logged in a session, timed, with session attributes; and session ends."""
    parts = _fixed_rows(rng, sess) + _unit_rows(rng, sess, users, cat)
    rows = _concat(parts + _cart_rows(rng, sess, orders, lines, cat))
    end = _timed(rng, rows, sess)
    is_order = rows["order"] >= 0
    rows["cat"] = np.where(rows["product"] >= 0, cat["category"][rows["product"]], -1)
    rows["cat"][is_order] = orders["category"][rows["order"][is_order]]
    rows["cat"] = rows["cat"].astype(np.int8)
    s = rows["sess"]
    rows["user"] = sess["user"][s].astype(np.int32)
    for key in ("channel", "campaign", "device"):
        rows[key] = sess[key][s].astype(np.int8)
    return rows, end


def _offsite_events(
    rng: np.random.Generator,
    sess: _Cols,
    opens: _Cols,
    orders: _Cols,
    lines: _Cols,
    horizon: int,
) -> _Cols:
    """email_open rows (1-90 min before each email session, plus unclicked opens), refunds."""
    email = np.flatnonzero(sess["channel"] == _CH["email"])
    t = sess["t"][email] - _uniform(rng, 60, 90 * 60, email.size)
    before_click = {"user": sess["user"][email], "t": t, "campaign": sess["campaign"][email]}
    opens = _concat([before_click, opens])
    opens = _take(opens, np.flatnonzero((opens["t"] >= 0) & (opens["t"] < horizon)))
    refunded = np.flatnonzero(orders["refund_t"] >= 0)
    n_open, n_ref = opens["user"].size, refunded.size
    out = _rows(np.full(n_open + n_ref, -1), _EV["email_open"], 0.0)
    out["code"][n_open:] = _EV["refund"]
    out["order"][n_open:] = refunded
    out["revenue"][n_open:] = -orders["revenue"][refunded]
    out["product"][n_open:] = lines["product"][orders["first_line"][refunded]]
    out["t"] = np.append(opens["t"], orders["refund_t"][refunded])
    out["rank"] = np.zeros(n_open + n_ref, np.int64)
    user = np.append(opens["user"], sess["user"][orders["session"][refunded]])
    out["user"] = user.astype(np.int32)
    none = np.full(n_ref, -1, np.int8)
    out["cat"] = np.append(np.full(n_open, -1, np.int8), orders["category"][refunded])
    out["channel"] = np.append(np.full(n_open, _CH["email"], np.int8), none)
    out["campaign"] = np.append(opens["campaign"], none)
    out["device"] = np.full(n_open + n_ref, -1, np.int8)
    return out


# --------------------------------------------------------------------------- 7. tables
def _lookup(values: Sequence[str] | pa.Array, codes: np.ndarray) -> pa.Array:
    """Strings ``values[codes]``, null where ``codes < 0``."""
    values = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    return values.take(pa.array(codes, type=pa.int64(), mask=codes < 0))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``numbers``."""
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _timestamps(epoch: int, seconds: np.ndarray) -> pa.Array:
    """UTC microsecond timestamps ``epoch + seconds``."""
    return pa.array((epoch + seconds) * 1_000_000, type=pa.timestamp("us", tz="UTC"))


def _id_arrays(n_users: int, sess: _Cols, n_orders: int, epoch: int) -> dict[str, pa.Array]:
    """String ids: users, sessions (``<user_id>-<unix seconds>``), orders, products."""
    user = _ids("u", np.arange(n_users), max(6, len(str(n_users))))
    start = pa.array(epoch + sess["t"]).cast(pa.string())
    session = pc.binary_join_element_wise(user.take(pa.array(sess["user"])), start, "-")
    order = pa.array(np.arange(100_001, 100_001 + n_orders)).cast(pa.string())
    product = _ids("P", np.arange(1, len(CATEGORIES) * _PRODUCTS_PER_CATEGORY + 1), 4)
    return {"user": user, "session": session, "order": order, "product": product}


def _events_table(ev: _Cols, users: _Cols, ids: dict[str, pa.Array], epoch: int) -> pa.Table:
    """The canonical event log, sorted by time, then user, then order within the session."""
    if ev["rank"].max() >= 256:
        raise RuntimeError("a session has more than 255 events; the sort key would overflow")
    order = np.argsort((ev["t"] * users["lam"].size + ev["user"]) * 256 + ev["rank"])
    used = (
        "user",
        "code",
        "t",
        "sess",
        "channel",
        "device",
        "campaign",
        "page",
        "product",
        "cat",
        "order",
        "revenue",
        "qty",
        "price",
    )
    ev = _take({key: ev[key] for key in used}, order)
    cols = {
        "user_id": ids["user"].take(pa.array(ev["user"])),
        "event": _lookup(EVENTS, ev["code"]),
        "event_time": _timestamps(epoch, ev["t"]),
        "session_id": _lookup(ids["session"], ev["sess"]),
        "channel": _lookup(CHANNELS, ev["channel"]),
        "device": _lookup(DEVICES, ev["device"]),
        "campaign": _lookup(CAMPAIGNS, ev["campaign"]),
        "variant": _lookup(("A", "B"), users["variant"][ev["user"]]),
        "page_type": _lookup(PAGE_TYPES, ev["page"]),
        "product_id": _lookup(ids["product"], ev["product"]),
        "category": _lookup(CATEGORIES, ev["cat"]),
        "order_id": _lookup(ids["order"], ev["order"]),
        "revenue": pa.array(ev["revenue"], pa.float64(), mask=np.isnan(ev["revenue"])),
        "quantity": pa.array(ev["qty"], pa.int64(), mask=ev["qty"] < 0),
        "unit_price": pa.array(ev["price"], pa.float64(), mask=np.isnan(ev["price"])),
    }
    return pa.table(cols)


def _order_lines_table(
    rng: np.random.Generator,
    orders: _Cols,
    lines: _Cols,
    sess: _Cols,
    ids: dict[str, pa.Array],
    epoch: int,
) -> pa.Table:
    """Order export: a row per line; cancellations ``C<order_id>`` with negative quantities.

    1.5 % of orders are guest orders: their lines have no user id (the events still do).
    """
    refunded = orders["refund_t"][lines["order"]] >= 0
    guest = rng.random(orders["session"].size) < 0.015
    both = _concat([lines, _take(lines, np.flatnonzero(refunded))])
    o, cancel = both["order"], np.arange(both["order"].size) >= lines["order"].size
    t = np.where(cancel, orders["refund_t"][o], orders["t"][o])
    user = np.where(guest[o], -1, sess["user"][orders["session"][o]])
    keys = np.lexsort((np.arange(o.size), cancel, o, t))
    order_id = ids["order"].take(pa.array(o[keys]))
    cols = {
        "order_id": pc.if_else(
            pa.array(cancel[keys]), pc.binary_join_element_wise("C", order_id, ""), order_id
        ),
        "user_id": _lookup(ids["user"], user[keys]),
        "order_time": _timestamps(epoch, t[keys]),
        "product_id": ids["product"].take(pa.array(both["product"][keys])),
        "category": _lookup(CATEGORIES, orders["category"][o[keys]]),
        "quantity": pa.array(np.where(cancel, -both["qty"], both["qty"])[keys], pa.int64()),
        "unit_price": pa.array(both["price"][keys], pa.float64()),
    }
    return pa.table(cols)


def _emails(rng: np.random.Generator, n: int) -> pa.Array:
    """Fake unique emails ``first.last<number>@example.com`` (personal data)."""
    first = _lookup(_FIRST_NAMES, rng.integers(0, len(_FIRST_NAMES), n))
    last = _lookup(_LAST_NAMES, rng.integers(0, len(_LAST_NAMES), n))
    number = pa.array(rng.permutation(n) + 1).cast(pa.string())
    local = pc.binary_join_element_wise(first, last, ".")
    return pc.binary_join_element_wise(local, number, "@example.com", "")


def _customers_table(
    rng: np.random.Generator,
    users: _Cols,
    sess: _Cols,
    alive: np.ndarray,
    ids: dict[str, pa.Array],
    epoch: int,
) -> pa.Table:
    """One row per user: contact data, acquisition, variant and the planted latent traits."""
    n, first = users["lam"].size, sess["src"] == _FIRST
    buyer = np.bincount(sess["user"][sess["purchase"]], minlength=n) > 0
    signed = np.bincount(sess["user"][sess["signup"]], minlength=n) > 0
    first_seen = np.empty(n, np.int64)
    first_seen[sess["user"][first]] = sess["t"][first]
    cols = {
        "user_id": ids["user"],
        "email": _emails(rng, n),
        "first_seen": _timestamps(epoch, first_seen),
        "first_channel": _lookup(CHANNELS, users["channel"]),
        "first_device": _lookup(DEVICES, users["device"]),
        "variant": _lookup(("A", "B"), users["variant"]),
        "signed_up": pa.array(signed),
        "bgnbd_lambda": pa.array(users["lam"]),
        "bgnbd_p": pa.array(users["dropout"]),
        "gg_nu": pa.array(users["nu"]),
        "planted_pattern": pa.array(users["pattern"]),
        "alive_at_end": pa.array(alive & buyer),
    }
    return pa.table(cols)


def _write(table: pa.Table, path: Path) -> None:
    """Write parquet (zstd); id columns are neither dictionary-encoded nor given statistics."""
    rest = [c for c in table.column_names if c not in ("user_id", "session_id", "email")]
    pq.write_table(table, path, compression="zstd", use_dictionary=rest, write_statistics=rest)


# --------------------------------------------------------------------------- 8. truth.json
# Ratios the mechanisms produce in a very large shop at the default parameters.
_EXPECTED_AT_DEFAULTS = {"referral": 2.3, "pattern": 3.6, "recovery": 5.5, "tablet": 0.5}


def _meta(seed: int, n: int, t0: pd.Timestamp, n_days: int) -> dict:
    """How the shop was generated; ``observation_end`` is the exclusive end of the data."""
    end = t0 + pd.Timedelta(days=n_days)
    return {
        "seed": seed,
        "n_customers": n,
        "start": str(t0.date()),
        "end": str((end - pd.Timedelta(days=1)).date()),
        "observation_end": end.isoformat(),
    }


def _parameters(prm: ShopParams) -> dict:
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


def _per_user(users: _Cols, sess: _Cols, orders: _Cols) -> _Cols:
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


def _channel_truth(users: _Cols, per: _Cols, prm: ShopParams) -> dict:
    """Repeat rate by first channel: referral against the others."""
    buyer, channel, repeat = per["buyer"], users["channel"], per["repeat"]
    is_ref = channel == _CH["referral"]
    realised = _compare("referral", repeat[buyer & is_ref], "others", repeat[buyer & ~is_ref])
    realised["by_channel"] = {
        c: _rate(repeat[buyer & (channel == i)]) for i, c in enumerate(CHANNELS)
    }
    planted = {"referral_share": prm.referral_share, "referral_tilt": prm.referral_tilt}
    return _entry("referral_repeat_rate", planted, realised, prm, expected="referral")


def _pattern_truth(users: _Cols, per: _Cols, prm: ShopParams) -> dict:
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


def _recovery_truth(sess: _Cols, end: np.ndarray, orders: _Cols, prm: ShopParams) -> dict:
    """Recovery within 7 days of abandoning sessions, with and without an email click."""
    abandon = np.flatnonzero((sess["depth"] >= _CART) & ~sess["purchase"])
    user, t = sess["user"][abandon], end[abandon]
    o_user = sess["user"][orders["session"]]
    recovered = _followed_within(user, t, o_user, orders["t"], 7 * _DAY)
    is_click = (sess["channel"] == _CH["email"]) & (sess["campaign"] == _CP["abandoned_cart"])
    click = _followed_within(user, t, sess["user"][is_click], sess["t"][is_click], 7 * _DAY)
    realised = _compare("clicked", recovered[click], "not_clicked", recovered[~click])
    planted = {
        "recovery_share": prm.recovery_share,
        "recovered_click": prm.recovered_click,
        "other_click": prm.other_click,
    }
    return _entry("abandoned_cart_email_recovery", planted, realised, prm, expected="recovery")


def _ab_truth(users: _Cols, sess: _Cols, prm: ShopParams) -> dict:
    """Checkout conversion by variant, per session and per user."""
    n, checkout, bought = users["variant"].size, sess["depth"] >= _CHECKOUT, sess["purchase"]
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


def _refund_truth(orders: _Cols, prm: ShopParams) -> dict:
    """Share of orders refunded, shoes against the other categories."""
    refunded, category = orders["refund_t"] >= 0, orders["category"]
    shoes = category == _SHOES
    realised = _compare("shoes", refunded[shoes], "others", refunded[~shoes])
    realised["by_category"] = {c: _rate(refunded[category == i]) for i, c in enumerate(CATEGORIES)}
    planted = {"shoes": prm.refund_rate_shoes, "others": prm.refund_rate_other}
    return _entry("shoes_refund_rate", planted, realised, prm)


def _device_truth(sess: _Cols, prm: ShopParams) -> dict:
    """Session conversion, tablet against desktop and mobile."""
    bought, device = sess["purchase"], sess["device"]
    realised = _compare("tablet", bought[device == _TABLET], "others", bought[device != _TABLET])
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


def _headline(sess: _Cols, orders: _Cols, per: _Cols, n_events: int) -> dict:
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
        "cart_abandonment": _rate(~bought[sess["depth"] >= _CART]),
        "checkout_conversion": _rate(bought[sess["depth"] >= _CHECKOUT]),
        "buyer_share": _rate(buyer),
        "repeat_buyer_share": _rate(repeat[buyer]),
        "repeat_buyer_revenue_share": _ratio(net[repeat].sum(), net[buyer].sum()),
        "average_order_value": round(float(orders["revenue"].mean()), 2),
        "net_revenue": round(float(net.sum()), 2),
    }


def _truth(
    users: _Cols, sess: _Cols, end: np.ndarray, orders: _Cols, prm: ShopParams, n_events: int
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


if __name__ == "__main__":
    sys.exit(main())
