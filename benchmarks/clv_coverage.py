"""Coverage of the CLV intervals: how often does a 95 % interval contain the planted truth?

Generates ``--shops`` synthetic shops (``journeylib.synth.generate_shop``, seeds ``--seed``,
``--seed`` + 1, ...) with the default planted BG/NBD (r 0.25, alpha 6, a 0.8, b 2.5, weeks) and
Gamma-Gamma (p 6, q 4, v 40) parameters. For each shop: the RFM summary of its purchases as
notebook 04 builds it (weeks measured to the hour), BG/NBD and Gamma-Gamma fits, and the
likelihood intervals of :func:`journeylib.clv.intervals.clv_intervals`. The truth of a
parameter is its planted value; the truth of the mean CLV per buyer, the mean P(alive) and the
mean expected orders is what the planted parameters give on that shop's own buyers (the
same :func:`journeylib.clv.value.clv_table`, with the true parameters instead of the fitted
ones). Revenue is gross (refunds not netted: netting changes the order values the spend model
sees, so it would no longer estimate the planted p, q, v).

Prints one row per quantity: shops, share covered with its Monte Carlo standard error
(binomial, sqrt(c (1 - c) / shops)), misses below and above, and the median relative error of
the estimate. Usage::

    nice python benchmarks/clv_coverage.py [--shops 200] [--customers 60000] [--jobs 2]
        [--seed 1000] [--csv coverage.csv]

With ``--csv`` every shop's rows are appended as soon as it is done, and a run started again
with the same file skips the shops already in it.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from journeylib.clv import models as clv
from journeylib.clv.intervals import clv_intervals, with_parameters
from journeylib.clv.value import clv_table
from journeylib.synth.shop import generate_shop

#: Notebook 04's time unit: weeks measured to the hour.
FREQ, PER_WEEK = "h", 168.0
#: Columns of a shop's rows (a shop whose fit failed has its message in ``error``).
COLUMNS = ["quantity", "estimate", "lower", "upper", "scale", "se", "truth", "seed", "buyers",
           "repeat_buyers", "error"]  # fmt: skip


def purchase_summary(events: Path, observation_end: str) -> pd.DataFrame:
    """RFM summary of a shop's purchase events (gross revenue), weeks measured to the hour."""
    table = pq.read_table(
        events,
        columns=["event", "user_id", "event_time", "revenue"],
        filters=[("event", "=", "purchase")],
    ).to_pandas()
    return clv.rfm_summary(
        table,
        customer="user_id",
        time="event_time",
        value="revenue",
        freq=FREQ,
        freq_multiplier=PER_WEEK,
        observation_end=pd.Timestamp(observation_end),
    )


def one_shop(seed: int, customers: int) -> list[dict]:
    """Fit one shop and say, for each quantity, its estimate, interval and truth."""
    with tempfile.TemporaryDirectory() as tmp:
        shop = generate_shop(n_customers=customers, seed=seed, out=tmp)
        truth = json.loads(shop.truth.read_text())
        summary = purchase_summary(shop.events, truth["generator"]["observation_end"])
    planted = truth["parameters"]
    bg, gg = planted["bgnbd"], planted["gamma_gamma"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", clv.ClvFitWarning)
            purchases = clv.fit(summary, model="bgnbd")
            spend = clv.fit(summary, model="gamma_gamma")
        iv = clv_intervals(purchases, spend, summary)
    except RuntimeError as err:  # no convergence: counted apart, not in the coverage
        return [{"seed": seed, "quantity": "(fit failed)", "error": str(err)[:200]}]
    true_value = clv_table(
        with_parameters(purchases, bg), with_parameters(spend, gg), summary
    ).mean()
    truths = {
        **{k: bg[k] for k in ("r", "alpha", "a", "b")},
        **{k: gg[k] for k in ("p", "q", "v")},
        "purchase_rate": bg["r"] / bg["alpha"],
        "mean_dropout": bg["a"] / (bg["a"] + bg["b"]),
        "mean_order_value": gg["mean_order_value"],
        "mean_clv": true_value["clv"],
        "mean_p_alive": true_value["p_alive"],
        "mean_expected_orders": true_value["expected_orders"],
    }
    rows = iv.parameters.rename(columns={"parameter": "quantity"}).drop(columns="model")
    rows = pd.concat([rows, iv.values], ignore_index=True)
    rows["truth"] = rows["quantity"].map(truths)
    rows["seed"], rows["buyers"] = seed, len(summary)
    rows["repeat_buyers"] = int((summary["frequency"] > 0).sum())
    return rows.to_dict("records")


def coverage(rows: pd.DataFrame) -> pd.DataFrame:
    """Share of shops whose interval contains the truth, per quantity, with its MC error."""
    ok = rows.dropna(subset=["truth"])
    below = ok["truth"] < ok["lower"]
    above = ok["truth"] > ok["upper"]
    frame = ok.assign(
        inside=~(below | above) & ok["lower"].notna(),
        below=below,
        above=above,
        rel_error=ok["estimate"] / ok["truth"] - 1,
        rel_width=(ok["upper"] - ok["lower"]) / ok["truth"],
    )
    g = frame.groupby("quantity", sort=False)
    out = pd.DataFrame(
        {
            "shops": g.size(),
            "coverage": g["inside"].mean(),
            "below": g["below"].sum(),
            "above": g["above"].sum(),
            "median_rel_error": g["rel_error"].median(),
            "median_rel_width": g["rel_width"].median(),
        }
    )
    out.insert(2, "mc_se", np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["shops"]))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the shops (in ``--jobs`` processes), print the coverage table, optionally a CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=200, help="synthetic shops (200)")
    parser.add_argument("--customers", type=int, default=60_000, help="users per shop (60000)")
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first shop (1000)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (1)")
    parser.add_argument(
        "--csv", type=Path, help="append every shop's rows here; shops already in it are kept"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    seeds = range(args.seed, args.seed + args.shops)
    done = pd.read_csv(args.csv) if args.csv and args.csv.exists() else pd.DataFrame()
    todo = [s for s in seeds if done.empty or s not in set(done["seed"])]
    with ProcessPoolExecutor(args.jobs) as pool:
        for i, shop in enumerate(pool.map(one_shop, todo, [args.customers] * len(todo)), 1):
            frame = pd.DataFrame(shop).reindex(columns=COLUMNS)
            if args.csv:  # one shop at a time: a stopped run resumes where it was
                frame.to_csv(args.csv, mode="a", header=not args.csv.exists(), index=False)
            done = pd.concat([done, frame], ignore_index=True)
            print(f"shop {i}/{len(todo)} (seed {frame['seed'].iloc[0]})", file=sys.stderr)
    rows = done[done["seed"].isin(list(seeds))]
    took = time.perf_counter() - began
    failed = int((rows["quantity"] == "(fit failed)").sum())
    buyers = rows.drop_duplicates("seed")["buyers"]
    print(
        f"{rows['seed'].nunique()} shops of {args.customers:,} users "
        f"(median {buyers.median():,.0f} buyers), "
        f"{failed} failed fits, {took / 60:.1f} min on {platform.node()} "
        f"({platform.processor() or platform.machine()}), {pd.Timestamp.now():%Y-%m-%d}"
    )
    table = coverage(rows[rows["quantity"] != "(fit failed)"])
    print(table.to_string(float_format=lambda x: f"{x:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
