"""The events of the synthetic shop's visits: catalogue, orders and their lines, refunds, and the
on-site and off-site event rows."""

from __future__ import annotations

import numpy as np

from ._arrays import categorical, concat, rank_in_group, take, uniform
from ._codes import (
    BOUNCE,
    BROWSING,
    CART,
    CH,
    CHECKOUT,
    DAY,
    EV,
    FIRST,
    FOLLOWUP,
    ORDER,
    PAYMENT,
    PG,
    PRODUCT,
    SEARCH,
    SHIPPING,
    SHOES,
    Cols,
)
from .params import (
    CATEGORIES,
    CATEGORY_MIX,
    LANDING_BY_CHANNEL,
    PRICE_RANGE,
    PRODUCTS_PER_CATEGORY,
    UNIT_MIX,
    ShopParams,
)


# --------------------------------------------------------------------------- 5. orders
def catalogue(rng: np.random.Generator) -> Cols:
    """Products sorted by (category, list price), with a browsing popularity."""
    k = PRODUCTS_PER_CATEGORY
    low, high = np.log(np.array(PRICE_RANGE, dtype=float)).T
    price = np.exp(rng.uniform(low[:, None], high[:, None], (len(CATEGORIES), k)))
    price = np.sort(np.round(price) - 0.01, axis=1).ravel()
    popularity = 1.0 / rng.permuted(np.tile(np.arange(1, k + 1), (len(CATEGORIES), 1)), axis=1)
    popularity = popularity.ravel() * np.repeat(CATEGORY_MIX, k)
    category = np.repeat(np.arange(len(CATEGORIES)), k).astype(np.int8)
    return {"price": price, "category": category, "weight": popularity / popularity.sum()}


def _nearest_product(cat: Cols, category: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Index of the product of ``category`` whose list price is nearest ``target``."""
    k, big = PRODUCTS_PER_CATEGORY, 1e6
    pos = np.searchsorted(cat["category"] * big + cat["price"], category * big + target)
    low = category.astype(np.int64) * k
    right, left = np.clip(pos, low, low + k - 1), np.clip(pos - 1, low, low + k - 1)
    closer_left = np.abs(cat["price"][left] - target) <= np.abs(cat["price"][right] - target)
    return np.where(closer_left, left, right)


def draw_orders(
    rng: np.random.Generator, sess: Cols, users: Cols, cat: Cols, prm: ShopParams
) -> tuple[Cols, Cols]:
    """Orders of the purchase sessions (numbered by time) and their lines.

    Order values are Gamma-Gamma draws (to the cent), split over 1-4 lines; each line's product
    is the one of the order's category whose list price is nearest the price paid.
    """
    s = np.flatnonzero(sess["purchase"])
    s = s[np.argsort(sess["t"][s], kind="stable")]
    n = s.size
    category = rng.choice(len(CATEGORIES), n, p=CATEGORY_MIX).astype(np.int8)
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


def refunds(
    rng: np.random.Generator, orders: Cols, sess: Cols, prm: ShopParams, horizon: int
) -> np.ndarray:
    """Refund time of each order, 3-30 days later (-1: not refunded, or after the end)."""
    rate = np.where(orders["category"] == SHOES, prm.refund_rate_shoes, prm.refund_rate_other)
    t = sess["t"][orders["session"]] + uniform(rng, 3 * DAY, 30 * DAY, rate.size)
    return np.where((rng.random(rate.size) < rate) & (t < horizon), t, -1)


def mark_carts(
    rng: np.random.Generator, sess: Cols, users: Cols, orders: Cols, lines: Cols, cat: Cols
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


def _rows(sess: np.ndarray, code: int | np.ndarray, seq: float | np.ndarray, **cols) -> Cols:
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


def _fixed_rows(rng: np.random.Generator, sess: Cols) -> list[Cols]:
    """Entry clicks, session_start, first_visit, sign_up and after-order engagement rows."""
    channel, src = sess["channel"], sess["src"]
    paid = np.flatnonzero(np.isin(channel, (CH["paid_search"], CH["paid_social"])))
    follow = np.flatnonzero(src == FOLLOWUP)
    draw = rng.random((4, follow.size))
    return [
        _rows(paid, EV["ad_click"], 0.0),
        _rows(np.flatnonzero(channel == CH["email"]), EV["email_click"], 0.0),
        _rows(np.arange(channel.size), EV["session_start"], 1.0, zero=True),
        _rows(np.flatnonzero(src == FIRST), EV["first_visit"], 2.0, zero=True),
        _rows(np.flatnonzero(sess["signup"]), EV["sign_up"], 90.0),
        _rows(follow[draw[0] < 0.5], EV["page_view"], 91.0, page=PG["help"]),
        _rows(follow[draw[1] < 0.45], EV["write_review"], 92.0),
        _rows(follow[draw[2] < 0.12], EV["share"], 93.0),
        _rows(follow[draw[3] < 0.10], EV["refer_friend"], 94.0),
    ]


def _browse_units(rng: np.random.Generator, sess: Cols, users: Cols, cat: Cols) -> Cols:
    """Landing page, then browsing units (a page type, or a search) with their products.

    Sessions of depth >= product end browsing on a product page (the cart's first product);
    the ``size_guide`` appears in a first session only for users with the planted pattern, who
    also get a ``reviews`` and a ``size_guide`` page at random places of it.
    """
    depth, first = sess["depth"], sess["src"] == FIRST
    n = depth.size
    n_extra = np.where(depth >= PRODUCT, 1 + rng.poisson(2.5, n), 1 + rng.poisson(1.2, n))
    n_extra = np.where(depth == BOUNCE, 0, np.minimum(n_extra, 15))
    s = np.repeat(np.arange(depth.size), 1 + n_extra)
    k = rank_in_group(1 + n_extra)
    landing = categorical(rng, LANDING_BY_CHANNEL[sess["channel"]])
    unit = np.where(k == 0, landing[s], rng.choice(len(UNIT_MIX), s.size, p=UNIT_MIX))
    pattern_first = first & users["pattern"][sess["user"]]
    unit[(depth[s] == BROWSING) & (unit == PG["product"])] = PG["category"]
    unit[(unit == PG["size_guide"]) & first[s] & ~pattern_first[s]] = PG["category"]
    last = (k == n_extra[s]) & (depth[s] >= PRODUCT)
    unit[last] = PG["product"]
    product = rng.choice(cat["price"].size, s.size, p=cat["weight"])
    product = np.where(last & (depth[s] >= CART), sess["cart_product"][s], product)
    pat = np.repeat(np.flatnonzero(pattern_first), 2)
    pat_seq = 10.0 + rng.random(pat.size) * (1 + n_extra[pat])
    return {
        "sess": np.append(s, pat),
        "unit": np.append(unit, np.tile([PG["reviews"], PG["size_guide"]], pat.size // 2)),
        "seq": np.append(np.where(k == 0, 3.0, 10.0 + k), pat_seq),
        "zero": np.append(k == 0, np.zeros(pat.size, bool)),
        "product": np.append(product, np.full(pat.size, -1)),
    }


def _unit_rows(rng: np.random.Generator, sess: Cols, users: Cols, cat: Cols) -> list[Cols]:
    """Browsing units as events: page_view or search; a product page also logs view_item."""
    u = _browse_units(rng, sess, users, cat)
    is_product = u["unit"] == PG["product"]
    code = np.where(u["unit"] == SEARCH, EV["search"], EV["page_view"])
    page = np.where(u["unit"] == SEARCH, -1, u["unit"])
    product = np.where(is_product, u["product"], -1)
    pages = _rows(u["sess"], code, u["seq"], zero=u["zero"], page=page, product=product)
    v = np.flatnonzero(is_product)
    items = _rows(
        u["sess"][v],
        EV["view_item"],
        u["seq"][v] + 0.5,
        zero=True,
        product=product[v],
        price=cat["price"][product[v]],
    )
    return [pages, items]


def _cart_rows(
    rng: np.random.Generator, sess: Cols, orders: Cols, lines: Cols, cat: Cols
) -> list[Cols]:
    """add_to_cart ... purchase: one add per order line, 1-3 adds per abandoned cart."""
    depth = sess["depth"]
    line_sess = orders["session"][lines["order"]]
    ordered = _rows(
        line_sess,
        EV["add_to_cart"],
        100.0 + rank_in_group(orders["n_lines"]),
        product=lines["product"],
        qty=lines["qty"],
        price=lines["price"],
    )
    n_add = 1 + rng.binomial(2, 0.25, int(((depth >= CART) & (depth < ORDER)).sum()))
    s = np.repeat(np.flatnonzero((depth >= CART) & (depth < ORDER)), n_add)
    rank = rank_in_group(n_add)
    more = rng.choice(cat["price"].size, s.size, p=cat["weight"])
    product = np.where(rank == 0, sess["cart_product"][s], more)
    qty = 1 + (rng.random(s.size) < 0.1)
    abandoned = _rows(
        s, EV["add_to_cart"], 100.0 + rank, product=product, qty=qty, price=cat["price"][product]
    )
    out = [ordered, abandoned]
    steps = (
        (CART, "view_cart", 150.0),
        (CHECKOUT, "begin_checkout", 200.0),
        (SHIPPING, "add_shipping_info", 201.0),
        (PAYMENT, "add_payment_info", 202.0),
    )
    for min_depth, name, seq in steps:
        s = np.flatnonzero(depth >= min_depth)
        zero = (name == "begin_checkout") & (rng.random(s.size) < 0.35)  # a tie with view_cart
        out.append(_rows(s, EV[name], seq, zero=zero))
    out.append(
        _rows(
            orders["session"],
            EV["purchase"],
            203.0,
            qty=orders["qty"],
            product=lines["product"][orders["first_line"]],
            order=np.arange(orders["session"].size),
            revenue=orders["revenue"],
        )
    )
    return out


def _timed(rng: np.random.Generator, rows: Cols, sess: Cols) -> np.ndarray:
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


def onsite_events(
    rng: np.random.Generator, sess: Cols, users: Cols, orders: Cols, lines: Cols, cat: Cols
) -> tuple[Cols, np.ndarray]:
    """Every event logged in a session, timed, with session attributes; and session ends."""
    parts = _fixed_rows(rng, sess) + _unit_rows(rng, sess, users, cat)
    rows = concat(parts + _cart_rows(rng, sess, orders, lines, cat))
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


def offsite_events(
    rng: np.random.Generator,
    sess: Cols,
    opens: Cols,
    orders: Cols,
    lines: Cols,
    horizon: int,
) -> Cols:
    """email_open rows (1-90 min before each email session, plus unclicked opens), refunds."""
    email = np.flatnonzero(sess["channel"] == CH["email"])
    t = sess["t"][email] - uniform(rng, 60, 90 * 60, email.size)
    before_click = {"user": sess["user"][email], "t": t, "campaign": sess["campaign"][email]}
    opens = concat([before_click, opens])
    opens = take(opens, np.flatnonzero((opens["t"] >= 0) & (opens["t"] < horizon)))
    refunded = np.flatnonzero(orders["refund_t"] >= 0)
    n_open, n_ref = opens["user"].size, refunded.size
    out = _rows(np.full(n_open + n_ref, -1), EV["email_open"], 0.0)
    out["code"][n_open:] = EV["refund"]
    out["order"][n_open:] = refunded
    out["revenue"][n_open:] = -orders["revenue"][refunded]
    out["product"][n_open:] = lines["product"][orders["first_line"][refunded]]
    out["t"] = np.append(opens["t"], orders["refund_t"][refunded])
    out["rank"] = np.zeros(n_open + n_ref, np.int64)
    user = np.append(opens["user"], sess["user"][orders["session"][refunded]])
    out["user"] = user.astype(np.int32)
    none = np.full(n_ref, -1, np.int8)
    out["cat"] = np.append(np.full(n_open, -1, np.int8), orders["category"][refunded])
    out["channel"] = np.append(np.full(n_open, CH["email"], np.int8), none)
    out["campaign"] = np.append(opens["campaign"], none)
    out["device"] = np.full(n_open + n_ref, -1, np.int8)
    return out
