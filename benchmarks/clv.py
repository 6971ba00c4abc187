"""``python -m benchmarks.clv``: CLV for 1M customers, journeylib against lifetimes alone.

Transactions come from a known BG/NBD + Gamma-Gamma process, generated with numpy (no loop
over customers). Both pipelines compute the RFM summary (weeks measured in days), fit BG/NBD
and Gamma-Gamma, and value every customer over 12 months: journeylib with
:func:`~journeylib.clv.rfm_summary` on DuckDB, fits on distinct (frequency, recency, T) rows
with counts as weights, and :func:`~journeylib.clv.value.clv_table`; lifetimes with
``summary_data_from_transaction_data``, plain fits and ``customer_lifetime_value``. The issue's
reference: about 25 s for lifetimes alone on 1M customers.

Usage: ``python -m benchmarks.clv [--customers 1000000] [--repeat 1] [--skip-lifetimes]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

TRUE = {"r": 0.25, "alpha": 6.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "v": 40.0}


def bgnbd_transactions(n: int, *, weeks: float = 52.0, seed: int = 0) -> pd.DataFrame:
    """Transactions of ``n`` customers from BG/NBD (:data:`TRUE`), first purchases spread over
    the first 39 weeks of 2024; columns ``customer_id``, ``date``, ``value``."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    nu = rng.gamma(TRUE["q"], 1 / TRUE["v"], n)
    birth = rng.uniform(0, 39, n)
    alive_for = rng.geometric(p)  # repeat purchases until (and including) the dropout one
    n_events = rng.poisson(lam * (weeks - birth))
    keep = np.minimum(n_events, alive_for)
    owner = np.repeat(np.arange(n), n_events)
    times = birth[owner] + rng.uniform(0, 1, owner.size) * (weeks - birth)[owner]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(n_events) - n_events, n_events)
    repeat = rank < keep[owner]
    who = np.concatenate([np.arange(n), owner[repeat]])
    when = np.concatenate([birth, times[repeat]])
    value = rng.gamma(TRUE["p"], 1 / nu[who])
    start = pd.Timestamp("2024-01-01")
    return pd.DataFrame(
        {
            "customer_id": who,
            "date": start + pd.to_timedelta(when * 7, unit="D"),
            "value": value,
        }
    )


def journeylib_clv(tx: pd.DataFrame) -> pd.DataFrame:
    from journeylib.clv import models as clv
    from journeylib.clv import value as clv_value

    s = clv.rfm_summary(
        tx,
        customer="customer_id",
        time="date",
        value="value",
        freq="D",
        freq_multiplier=7,
    )
    bg, gg = clv.fit(s), clv.fit(s, model="gamma_gamma")
    return clv_value.clv_table(bg, gg, s, units_per_month=4.345)


def lifetimes_clv(tx: pd.DataFrame) -> pd.Series:
    from journeylib.clv import _lifetimes

    lt = _lifetimes.import_lifetimes()
    s = lt.utils.summary_data_from_transaction_data(
        tx,
        "customer_id",
        "date",
        monetary_value_col="value",
        freq="D",
        freq_multiplier=7,
    )
    bg = _lifetimes.fit(lt.BetaGeoFitter(), s["frequency"], s["recency"], s["T"])
    buyers = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = _lifetimes.fit(lt.GammaGammaFitter(), buyers["frequency"], buyers["monetary_value"])
    return gg.customer_lifetime_value(
        bg, s["frequency"], s["recency"], s["T"], s["monetary_value"], freq="W"
    )


def _time(step: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    """Generate, run both pipelines, print a table (median seconds) and the agreement."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clv", description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args(argv)
    gen_s, tx = _time(lambda: bgnbd_transactions(args.customers), 1)
    print(f"generated {len(tx):,} transactions of {args.customers:,} customers in {gen_s:.1f} s")
    warm = bgnbd_transactions(2_000, seed=1)  # imports and first calls out of the timings
    journeylib_clv(warm)
    lifetimes_clv(warm)
    ours_s, ours = _time(lambda: journeylib_clv(tx), args.repeat)
    print(f"{'journeylib (summary + BG/NBD + Gamma-Gamma + CLV)':<52}{ours_s:>8.1f} s")
    if not args.skip_lifetimes:
        theirs_s, theirs = _time(lambda: lifetimes_clv(tx), args.repeat)
        print(f"{'lifetimes alone (same steps)':<52}{theirs_s:>8.1f} s")
        gap = np.abs(ours["clv"].to_numpy() - theirs.sort_index().to_numpy()).max()
        print(f"largest CLV difference between the two: {gap:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
