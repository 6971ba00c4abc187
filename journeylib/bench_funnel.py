"""Time a 5-step ordered funnel with a 7-day window: :func:`journeylib.funnel` against the same
funnel hand-written in plain DuckDB SQL, on the generated bench logs of
:func:`journeylib.bench.ensure_log`.

Targets (issue 4): within 1.5x of the hand-written SQL, and under 0.2 s at 1M events. Both
run on the same cached in-memory table (the one ``read_events`` makes); each is timed
``repeat`` times after one warm-up run and the median is printed. The two must agree on the
counts, or the run fails.

Usage: ``python -m journeylib.bench_funnel [--sizes 1000000,10000000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

STEPS = ("session_start", "view_item", "add_to_cart", "begin_checkout", "purchase")
TARGET_RATIO = 1.5
TARGET_1M_S = 0.2


def hand_sql(table: str, steps=STEPS, days: int = 7) -> str:
    """The funnel as an analyst writes it in DuckDB SQL: first step-1 per user, then each
    step's earliest event at or after the previous one, inside the window."""
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
    counts = ", ".join(f"(SELECT count(*) FROM s{k})" for k in range(1, len(steps) + 1))
    return "WITH " + ",\n".join(parts) + f"\nSELECT {counts}"


def _median(step, repeat: int) -> tuple[float, object]:
    result = step()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(n_events: int, repeat: int = 5) -> dict:
    """Time both on the ~``n_events`` bench log; print and return the medians and ratio."""
    import journeylib as jl
    from journeylib.bench import ensure_log

    log = jl.read_events(ensure_log(n_events))
    n = len(log)
    con = log.backend
    sql = hand_sql(log.table.get_name())
    lib_s, lib = _median(lambda: jl.funnel(log, list(STEPS), window="7D"), repeat)
    sql_s, raw = _median(lambda: con.raw_sql(sql).fetchall()[0], repeat)
    if lib["count"].tolist() != list(raw):
        raise AssertionError(f"funnel {lib['count'].tolist()} != SQL {list(raw)}")
    ratio = lib_s / sql_s
    ok = ratio <= TARGET_RATIO and (n_events > 1_000_000 or lib_s < TARGET_1M_S)
    print(
        f"{n:>12,} events  funnel {lib_s:.3f} s  hand SQL {sql_s:.3f} s  ratio {ratio:.2f}x  "
        f"{'met' if ok else 'MISSED'} (targets <= {TARGET_RATIO}x; < {TARGET_1M_S} s at 1M)"
    )
    return {"events": n, "funnel_s": lib_s, "sql_s": sql_s, "ratio": ratio, "met": ok}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m journeylib.bench_funnel", description=__doc__)
    parser.add_argument("--sizes", default="1000000", help="comma-separated event counts")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the median is shown")
    args = parser.parse_args(argv)
    for size in (int(float(s)) for s in args.sizes.split(",")):
        run(size, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
