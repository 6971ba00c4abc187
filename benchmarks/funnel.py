"""Time a 5-step ordered funnel with a 7-day window: :func:`journeylib.funnel` against the same
funnel hand-written in plain DuckDB SQL, on the generated bench logs of
:func:`benchmarks.engine.ensure_log`.

Targets (issue 4): within 1.5x of the hand-written SQL, and under 0.2 s at 1M events. All run
on the same cached in-memory table (the one ``read_events`` makes), after one warm-up run
each, in turn (funnel, hand SQL, tuned SQL, funnel, ...) so that a drift in the machine's
speed hits all alike; medians are printed, and the ratio is the median of the per-round
ratios. The SQL yardsticks:

- **hand SQL**: the funnel as an analyst writes it (string filters, timestamps, one join and
  one aggregate per step); counts only, while :func:`funnel` also computes the median times.
- **tuned SQL**: the same with the tricks :func:`funnel` uses (the event names coded through
  a join with a small table, times as integer microseconds); the fastest plain SQL found.

All three must give the same counts, or the run fails. :func:`journeylib.funnel_correlation`
of the same steps (with the device and channel of step 1) runs in the same rounds, and its
ratio to the funnel is the median of the per-round ratios (target: within 2x). Each size
runs in its own process (its peak memory is its own). ``funnel`` time is split into building
the ibis expression, compiling it to SQL, and running that SQL (the rest is moving the result
into pandas).

Usage: ``python -m benchmarks.funnel [--sizes 1000000,10000000] [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence

STEPS = ("session_start", "view_item", "add_to_cart", "begin_checkout", "purchase")
TARGET_RATIO = 1.5
TARGET_1M_S = 0.2
#: funnel_correlation on the same steps and log, with these properties: within 2x the funnel.
CORRELATION_PROPERTIES = ["device", "channel"]
TARGET_CORRELATION = 2.0


def hand_sql(table: str, steps: Sequence[str] = STEPS, days: int = 7) -> str:
    """The funnel as an analyst writes it in DuckDB SQL: first step-1 per user, then each
    step's earliest event at or after the previous one, inside the window from step 1.

    Same semantics as ``funnel(steps, window=f"{days}D")`` for distinct event names: the
    user's first step-1 event starts the only attempt, ties count as in order, the window's
    end is inclusive."""
    names = ", ".join(f"'{s}'" for s in steps)
    parts = [
        f"e AS (SELECT user_key, event, event_time FROM {table} WHERE event IN ({names}))",
        (
            f"s1 AS (SELECT user_key, min(event_time) AS t1, min(event_time) AS t "
            f"FROM e WHERE event = '{steps[0]}' GROUP BY user_key)"
        ),
    ]
    for k, step in enumerate(steps[1:], 2):
        parts.append(
            f"s{k} AS (SELECT p.user_key, p.t1, min(e.event_time) AS t FROM s{k - 1} p "
            f"JOIN e ON e.user_key = p.user_key AND e.event = '{step}' "
            f"AND e.event_time >= p.t AND e.event_time <= p.t1 + INTERVAL {days} DAY "
            f"GROUP BY p.user_key, p.t1)"
        )
    return _with_counts(parts, len(steps))


def tuned_sql(table: str, steps: Sequence[str] = STEPS, days: int = 7) -> str:
    """:func:`hand_sql` with integer event codes (a join with a VALUES table) and integer
    microsecond times: the same counts, the fastest plain SQL form found."""
    codes = ", ".join(f"('{s}', {k})" for k, s in enumerate(steps, 1))
    window_us = days * 86_400_000_000
    parts = [
        f"m(name, k) AS (VALUES {codes})",
        (
            f"e AS (SELECT user_key, epoch_us(event_time) AS t, m.k FROM {table} "
            f"JOIN m ON event = m.name)"
        ),
        "s1 AS (SELECT user_key, min(t) AS t1, min(t) AS t FROM e WHERE k = 1 GROUP BY user_key)",
    ]
    for k in range(2, len(steps) + 1):
        parts.append(
            f"s{k} AS (SELECT p.user_key, p.t1, min(e.t) AS t FROM s{k - 1} p "
            f"JOIN e ON e.user_key = p.user_key AND e.k = {k} "
            f"AND e.t >= p.t AND e.t <= p.t1 + {window_us} GROUP BY p.user_key, p.t1)"
        )
    return _with_counts(parts, len(steps))


def _with_counts(ctes: list[str], k_max: int) -> str:
    counts = ", ".join(f"(SELECT count(*) FROM s{k})" for k in range(1, k_max + 1))
    return "WITH " + ",\n".join(ctes) + f"\nSELECT {counts}"


def _rounds(steps: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Each step once as a warm-up, then ``repeat`` rounds running them in turn."""
    for step in steps.values():
        step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeat):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return times


def _phases(log, repeat: int) -> dict[str, float]:
    """Median seconds to build the funnel's ibis expression, compile it, and run its SQL."""
    from journeylib.funnels import conversion as funnels
    from journeylib.funnels import match as funnel_match
    from journeylib.funnels.spec import funnel_spec

    con = log.backend

    def build():
        spec = funnel_spec(
            log, list(STEPS), "ordered", "7D", None, "users", None, None, None, False
        )
        return funnels._summary_query(funnel_match.reach_rows(log, spec), spec)

    expr = build()
    con.execute(expr)  # registers the small code table
    sql = str(con.compile(expr))
    times = _rounds(
        {
            "build_s": build,
            "compile_s": lambda: con.compile(expr),
            "query_s": lambda: con.raw_sql(sql).fetchall(),
        },
        repeat,
    )
    return {name: statistics.median(ts) for name, ts in times.items()}


def run(n_events: int, repeat: int = 7) -> dict:
    """Time funnel and both SQL forms on the ~``n_events`` bench log; return the medians."""
    import journeylib as jl
    from benchmarks.engine import ensure_log, peak_rss_gb

    log = jl.read_events(ensure_log(n_events))
    con = log.backend
    table = log.table.get_name()
    hand, tuned = hand_sql(table), tuned_sql(table)
    got = {
        "funnel": jl.funnel(log, list(STEPS), window="7D")["count"].tolist(),
        "hand SQL": list(con.raw_sql(hand).fetchall()[0]),
        "tuned SQL": list(con.raw_sql(tuned).fetchall()[0]),
    }
    if len({tuple(v) for v in got.values()}) != 1:
        raise AssertionError(f"the counts differ: {got}")
    times = _rounds(
        {
            "funnel": lambda: jl.funnel(log, list(STEPS), window="7D"),
            "hand": lambda: con.raw_sql(hand).fetchall(),
            "tuned": lambda: con.raw_sql(tuned).fetchall(),
            "correlation": lambda: jl.funnel_correlation(
                log, list(STEPS), window="7D", properties=CORRELATION_PROPERTIES
            ),
        },
        repeat,
    )
    row = {"events": len(log), "size": n_events, "counts": got["funnel"]}
    row |= {f"{name}_s": statistics.median(ts) for name, ts in times.items()}
    for base in ("hand", "tuned"):
        ratios = [a / b for a, b in zip(times["funnel"], times[base], strict=True)]
        row[f"ratio_{base}"] = statistics.median(ratios)
    ratios = [a / b for a, b in zip(times["correlation"], times["funnel"], strict=True)]
    row["ratio_correlation"] = statistics.median(ratios)
    row |= _phases(log, repeat)
    row["peak_gb"] = peak_rss_gb()
    return row


def _verdict(r: dict) -> str:
    ok = r["ratio_hand"] <= TARGET_RATIO and (r["size"] > 1_000_000 or r["funnel_s"] < TARGET_1M_S)
    return f"{'met' if ok else 'MISSED'} (<= {TARGET_RATIO}x the hand SQL; < {TARGET_1M_S} s at 1M)"


def _correlation_verdict(r: dict) -> str:
    ok = r["ratio_correlation"] <= TARGET_CORRELATION
    return f"{'met' if ok else 'MISSED'} (<= {TARGET_CORRELATION}x the 5-step funnel)"


def main(argv: list[str] | None = None) -> int:
    from benchmarks.engine import rows_from_subprocesses

    parser = argparse.ArgumentParser(prog="python -m benchmarks.funnel", description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated event counts")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds; medians are shown")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps([run(args.one, args.repeat)]))
        return 0
    for r in rows_from_subprocesses("benchmarks.funnel", args.sizes, args.repeat):
        print(
            f"{r['events']:>12,} events  funnel {r['funnel_s']:.3f} s  hand SQL {r['hand_s']:.3f} s"
            f" ({r['ratio_hand']:.2f}x)  tuned SQL {r['tuned_s']:.3f} s ({r['ratio_tuned']:.2f}x)"
            f"  peak {r['peak_gb']:.2f} GB  {_verdict(r)}\n"
            f"{'':>19}funnel = build {r['build_s'] * 1e3:.0f} ms + compile "
            f"{r['compile_s'] * 1e3:.0f} ms + query {r['query_s'] * 1e3:.0f} ms + to pandas\n"
            f"{'':>19}funnel_correlation {r['correlation_s']:.3f} s "
            f"({r['ratio_correlation']:.2f}x the funnel)  {_correlation_verdict(r)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
