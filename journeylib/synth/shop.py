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
import pyarrow.parquet as pq

from ._arrays import concat
from ._codes import DAY
from .events import catalogue, draw_orders, mark_carts, offsite_events, onsite_events, refunds
from .params import CAMPAIGNS, CATEGORIES, CHANNELS, DEVICES, EVENTS, PAGE_TYPES, ShopParams
from .people import draw_purchases, draw_users
from .sessions import plan_sessions, session_channels, session_depths
from .tables import customers_table, events_table, id_arrays, order_lines_table
from .truth import headline_and_truths, meta, parameters

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


_EVENTS_PER_CUSTOMER = 18.2  # measured at the default parameters, for ``n_events`` targets


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
    ids = id_arrays(n, sess, orders["session"].size, epoch)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.parquet" for name in ("events", "order_lines", "customers")}
    events = events_table(sim.pop("events"), sim["users"], ids, epoch)  # frees the arrays
    _write(events, paths["events"])
    _write(order_lines_table(rng, orders, sim["lines"], sess, ids, epoch), paths["order_lines"])
    _write(customers_table(rng, sim["users"], sess, sim["alive"], ids, epoch), paths["customers"])
    truth = {
        "generator": meta(seed, n, t0, n_days),
        "parameters": parameters(prm),
        **headline_and_truths(sim["users"], sess, sim["end"], orders, prm, events.num_rows),
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
    rng, horizon = np.random.default_rng(seed), n_days * DAY
    users = draw_users(rng, n, prm, t0, n_days)
    buys, alive = draw_purchases(rng, users, horizon)
    sess, opens = plan_sessions(rng, users, buys, prm, t0, horizon)
    session_channels(rng, sess, users)
    session_depths(rng, sess, users, prm)
    cat = catalogue(rng)
    orders, lines = draw_orders(rng, sess, users, cat, prm)
    orders["refund_t"] = refunds(rng, orders, sess, prm, horizon)
    mark_carts(rng, sess, users, orders, lines, cat)
    onsite, end = onsite_events(rng, sess, users, orders, lines, cat)
    orders["t"] = np.empty(orders["session"].size, np.int64)
    is_order = onsite["order"] >= 0
    orders["t"][onsite["order"][is_order]] = onsite["t"][is_order]
    offsite = offsite_events(rng, sess, opens, orders, lines, horizon)
    events = concat([onsite, offsite])
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


def _write(table: pa.Table, path: Path) -> None:
    """Write parquet (zstd); id columns are neither dictionary-encoded nor given statistics."""
    rest = [c for c in table.column_names if c not in ("user_id", "session_id", "email")]
    pq.write_table(table, path, compression="zstd", use_dictionary=rest, write_statistics=rest)


if __name__ == "__main__":
    sys.exit(main())
