"""The synthetic shop's three tables as Arrow: the event log, the order export and the customers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._arrays import concat, take
from ._codes import FIRST, Cols
from .params import (
    CAMPAIGNS,
    CATEGORIES,
    CHANNELS,
    DEVICES,
    EVENTS,
    FIRST_NAMES,
    LAST_NAMES,
    PAGE_TYPES,
    PRODUCTS_PER_CATEGORY,
)


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


def id_arrays(n_users: int, sess: Cols, n_orders: int, epoch: int) -> dict[str, pa.Array]:
    """String ids: users, sessions (``<user_id>-<unix seconds>``), orders, products."""
    user = _ids("u", np.arange(n_users), max(6, len(str(n_users))))
    start = pa.array(epoch + sess["t"]).cast(pa.string())
    session = pc.binary_join_element_wise(user.take(pa.array(sess["user"])), start, "-")
    order = pa.array(np.arange(100_001, 100_001 + n_orders)).cast(pa.string())
    product = _ids("P", np.arange(1, len(CATEGORIES) * PRODUCTS_PER_CATEGORY + 1), 4)
    return {"user": user, "session": session, "order": order, "product": product}


def events_table(ev: Cols, users: Cols, ids: dict[str, pa.Array], epoch: int) -> pa.Table:
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
    ev = take({key: ev[key] for key in used}, order)
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


def order_lines_table(
    rng: np.random.Generator,
    orders: Cols,
    lines: Cols,
    sess: Cols,
    ids: dict[str, pa.Array],
    epoch: int,
) -> pa.Table:
    """Order export: a row per line; cancellations ``C<order_id>`` with negative quantities.

    1.5 % of orders are guest orders: their lines have no user id (the events still do).
    """
    refunded = orders["refund_t"][lines["order"]] >= 0
    guest = rng.random(orders["session"].size) < 0.015
    both = concat([lines, take(lines, np.flatnonzero(refunded))])
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
    first = _lookup(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n))
    last = _lookup(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n))
    number = pa.array(rng.permutation(n) + 1).cast(pa.string())
    local = pc.binary_join_element_wise(first, last, ".")
    return pc.binary_join_element_wise(local, number, "@example.com", "")


def customers_table(
    rng: np.random.Generator,
    users: Cols,
    sess: Cols,
    alive: np.ndarray,
    ids: dict[str, pa.Array],
    epoch: int,
) -> pa.Table:
    """One row per user: contact data, acquisition, variant and the planted latent traits."""
    n, first = users["lam"].size, sess["src"] == FIRST
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
