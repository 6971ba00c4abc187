"""``make bench-scale``: 100M events, 10M users on one machine, out of core, on DuckDB.

Generates (once, deterministically, in SQL: no Python loop over rows) a GA4-style Parquet log
outside the repository (``$JOURNEYLIB_BENCH_DIR``, default ``/tmp/journeylib-bench``), then
times, each in a fresh process so that the peak resident memory is its own:

- ``journeylib``: ``read_events``, ``sessionize`` (30-minute gap), a 5-step ordered funnel with
  a 7-day window, and ``transitions`` (events within sessions);
- ``hand SQL``: the same four steps written by hand in plain DuckDB SQL, doing the same work:
  reading checks the required columns for NULLs and counts exact duplicates (hash, then exact
  comparison of the repeated hashes), numbers users and keeps the rows it can use; a window
  pass for sessions; a join per funnel step; transitions with start and end edges, users and
  time quantiles (:func:`journeylib.bench_journey.hand_sql`). Funnel counts and transition
  tables must agree.

Both run on DuckDB with ``memory_limit`` (default 6GB), ``threads`` (default 2) and a spill
folder. Targets (issue 10): the four journeylib steps together under 60 s and peak RSS under
8 GB at 100M events, and never slower than the hand SQL. ``--spark`` times the journeylib
steps on a local Spark session instead (needs ``journeylib[spark]``).

Usage: ``python -m journeylib.bench_scale [--events 100000000] [--users 10000000]
[--memory-limit 6GB] [--threads 2] [--spark]``. SQL strings live here only: the library
itself writes ibis expressions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from .bench import bench_dir, peak_rss_gb
from .bench_funnel import hand_sql as funnel_sql
from .bench_journey import hand_sql as transitions_sql

STEPS = ("session_start", "view_item", "add_to_cart", "begin_checkout", "purchase")
COLUMNS = {"user_id": "user_pseudo_id", "event": "event_name", "event_time": "event_timestamp"}
TARGET_TOTAL_S, TARGET_RSS_GB = 60.0, 8.0
# event names and their cumulative share (per mille) of events
_EVENTS = (
    ("session_start", 250),
    ("page_view", 550),
    ("view_item", 780),
    ("add_to_cart", 880),
    ("begin_checkout", 940),
    ("add_payment_info", 965),
    ("purchase", 990),
    ("email_open", 1000),
)


def generate_sql(path: Path, n_events: int, n_users: int) -> str:
    """A DuckDB ``COPY`` writing the log: users draw about three visits each over 90 days,
    events fall inside a visit's first 40 minutes; DuckDB's ``hash`` of the row number (the
    same on every run of a DuckDB version) draws every choice."""
    cases = " ".join(f"WHEN r < {cut} THEN '{name}'" for name, cut in _EVENTS)
    day_us = 86_400 * 1_000_000
    return f"""
    COPY (
      WITH base AS (
        SELECT i,
               hash(i * 4) % {n_users} AS u,
               hash(i * 4 + 1) % 3 AS visit,
               hash(i * 4 + 2) % 1000 AS r,
               hash(i * 4 + 3) % 2400000000 AS within_us
        FROM range({n_events}) t(i)
      )
      SELECT
        'u' || lpad(CAST(u AS VARCHAR), 8, '0') AS user_pseudo_id,
        CASE {cases} END AS event_name,
        CAST(1704067200000000 + hash(u * 3 + visit) % (90 * {day_us}) + within_us AS BIGINT)
          AS event_timestamp,
        CAST((u * 31 + visit) % 1000000007 AS BIGINT) AS ga_session_id,
        CASE u % 3 WHEN 0 THEN 'mobile' WHEN 1 THEN 'desktop' ELSE 'tablet' END
          AS device_category,
        CASE WHEN r >= 965 AND r < 990 THEN 40.0 + (i % 97) END AS ecommerce_purchase_revenue
      FROM base
    ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """


def ensure_log(n_events: int, n_users: int) -> Path:
    """The generated log's path (made when missing)."""
    import duckdb

    path = bench_dir() / f"ga4_{n_events}_{n_users}.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.parquet")
        con = duckdb.connect()
        con.execute("SET preserve_insertion_order = false")
        con.execute(generate_sql(tmp, n_events, n_users))
        tmp.rename(path)
    return path


def _timed(rows: list[dict], step: str, run) -> object:
    start = time.perf_counter()
    result = run()
    rows.append({"step": step, "seconds": time.perf_counter() - start, "peak_gb": peak_rss_gb()})
    print(f"  {step}: {rows[-1]['seconds']:.1f} s", file=sys.stderr, flush=True)  # progress
    return result


def run_journeylib(path: Path, backend) -> list[dict]:
    """The four steps through journeylib's public API, on ``backend``."""
    import journeylib as jl

    rows: list[dict] = []
    log = _timed(
        rows, "read_events", lambda: jl.read_events(path, columns=COLUMNS, backend=backend)
    )
    sess = _timed(rows, "sessionize (30 min)", lambda: jl.sessionize(log, recompute=True))
    funnel = _timed(
        rows, "funnel (5 steps, 7 days)", lambda: jl.funnel(sess, list(STEPS), window="7D")
    )
    edges = _timed(rows, "transitions (sessions)", lambda: jl.transitions(sess))
    rows[-1]["funnel"] = funnel["count"].tolist()
    rows[-1]["edges"] = sorted(
        [r["from"], r["to"], int(r.transitions), int(r.users)] for _, r in edges.iterrows()
    )
    return rows


def hand_read_sql(path: Path) -> tuple[str, str, str]:
    """Reading by hand: the checks (rows, NULLs in the required columns), the exact duplicate
    count (rows whose hash repeats, compared exactly), and the typed table of usable rows
    with its row number and user number."""
    src = f"read_parquet('{path}', file_row_number = true)"
    cols = "user_pseudo_id, event_name, event_timestamp, ga_session_id, device_category, "
    cols += "ecommerce_purchase_revenue"
    checks = f"""SELECT count(*), count(*) FILTER (WHERE user_pseudo_id IS NULL),
        count(*) FILTER (WHERE event_name IS NULL), count(*) FILTER (WHERE event_timestamp IS NULL)
        FROM {src}"""
    dups = f"""WITH rep AS (SELECT hash({cols}) AS h FROM {src} GROUP BY 1 HAVING count(*) > 1)
        SELECT count(*) - count(DISTINCT ({cols})) FROM {src}
        WHERE hash({cols}) IN (SELECT h FROM rep)"""
    create = f"""CREATE TABLE ev AS
        WITH ok AS (SELECT * FROM {src} WHERE user_pseudo_id IS NOT NULL
          AND event_name IS NOT NULL AND event_timestamp IS NOT NULL),
        users AS (SELECT user_pseudo_id, row_number() OVER (ORDER BY user_pseudo_id) - 1
          AS user_key FROM (SELECT DISTINCT user_pseudo_id FROM ok))
        SELECT user_pseudo_id AS user_id, event_name AS event,
          make_timestamp(event_timestamp) AS event_time,
          CAST(ga_session_id AS VARCHAR) AS source_session_id, device_category AS device,
          ecommerce_purchase_revenue AS revenue, file_row_number AS row_id, user_key
        FROM ok JOIN users USING (user_pseudo_id)"""
    return checks, dups, create


def run_sql(path: Path, memory_limit: str, threads: int) -> list[dict]:
    """The same four steps written by hand in DuckDB SQL."""
    con = _duckdb(memory_limit, threads)
    rows: list[dict] = []
    checks, dups, create = hand_read_sql(path)

    def read() -> None:
        con.execute(checks).fetchall()
        con.execute(dups).fetchall()
        con.execute(create)

    _timed(rows, "read_events", read)
    sessionize = """CREATE TABLE sess AS SELECT *, user_id || ':' || sum(new) OVER (
          PARTITION BY user_key ORDER BY event_time, row_id) AS session_id
        FROM (SELECT *, CASE WHEN lag(event_time) OVER w IS NULL OR event_time - lag(event_time)
          OVER w > INTERVAL 30 MINUTE THEN 1 ELSE 0 END AS new
          FROM ev WINDOW w AS (PARTITION BY user_key ORDER BY event_time, row_id))"""
    _timed(rows, "sessionize (30 min)", lambda: con.execute(sessionize))
    funnel = _timed(
        rows, "funnel (5 steps, 7 days)", lambda: con.execute(funnel_sql("sess")).fetchall()[0]
    )
    edges = _timed(
        rows,
        "transitions (sessions)",
        lambda: con.execute(transitions_sql("sess")).fetchall(),
    )
    rows[-1]["funnel"] = list(funnel)
    rows[-1]["edges"] = sorted([f, t, int(n), int(u)] for f, t, n, u, *_ in edges)
    return rows


def _duckdb(memory_limit: str, threads: int):
    import duckdb

    spill = bench_dir() / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        config={"memory_limit": memory_limit, "threads": threads, "temp_directory": str(spill)}
    )


def _one(args: argparse.Namespace) -> list[dict]:
    path = ensure_log(args.events, args.users)
    if args.one == "sql":
        return run_sql(path, args.memory_limit, args.threads)
    import journeylib as jl

    if args.one == "spark":
        backend = jl.connect("spark", master=f"local[{args.threads}]")
    else:
        spill = bench_dir() / "spill"
        spill.mkdir(parents=True, exist_ok=True)
        options = {"database": str(args.database)} if args.database else {}
        backend = jl.connect(
            "duckdb",
            **options,
            memory_limit=args.memory_limit,
            threads=args.threads,
            temp_directory=str(spill),
        )
    return run_journeylib(path, backend)


def _print(label: str, rows: list[dict]) -> float:
    total = sum(r["seconds"] for r in rows)
    for r in rows:
        print(f"{label:<12}{r['step']:<28}{r['seconds']:>9.1f}{r['peak_gb']:>9.2f}")
    print(f"{label:<12}{'all four':<28}{total:>9.1f}{max(r['peak_gb'] for r in rows):>9.2f}")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m journeylib.bench_scale", description=__doc__)
    parser.add_argument("--events", type=lambda s: int(float(s)), default=100_000_000)
    parser.add_argument("--users", type=lambda s: int(float(s)), default=None)
    parser.add_argument("--memory-limit", default="6GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--database", default="", help="journeylib on a DuckDB file here (default: in memory)"
    )
    parser.add_argument("--spark", action="store_true", help="journeylib on local Spark")
    parser.add_argument("--one", choices=["journeylib", "sql", "spark"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.users = args.users or max(args.events // 10, 1)
    if args.one:
        print(json.dumps(_one(args)))
        return 0
    start = time.perf_counter()
    ensure_log(args.events, args.users)
    print(
        f"log: {args.events:,} events, {args.users:,} users ({time.perf_counter() - start:.0f} s)"
    )
    print(f"{'':<12}{'step':<28}{'seconds':>9}{'peak GB':>9}")
    results = {}
    for kind in ["spark"] if args.spark else ["journeylib", "sql"]:
        cmd = [sys.executable, "-m", "journeylib.bench_scale", "--one", kind]
        cmd += ["--events", str(args.events), "--users", str(args.users)]
        cmd += ["--memory-limit", args.memory_limit, "--threads", str(args.threads)]
        cmd += ["--database", args.database] if args.database else []
        out = subprocess.run(
            cmd, check=True, stdout=subprocess.PIPE, text=True
        ).stdout  # stderr shows
        rows = json.loads(out.strip().splitlines()[-1])
        results[kind] = (_print(kind, rows), max(r["peak_gb"] for r in rows), rows[-1])
    if "sql" in results:
        (lib_s, lib_gb, lib_r), (sql_s, _, sql_r) = results["journeylib"], results["sql"]
        ok = lib_s < TARGET_TOTAL_S and lib_gb < TARGET_RSS_GB and lib_s <= sql_s
        print(f"funnel counts: journeylib {lib_r['funnel']}, hand SQL {sql_r['funnel']}")
        same = "agree" if lib_r["edges"] == sql_r["edges"] else "DIFFER"
        print(
            f"transition tables (counts and users): {same}; journeylib/hand SQL: "
            f"{lib_s / sql_s:.2f}x"
        )
        print(
            f"targets (all four < {TARGET_TOTAL_S:.0f} s, peak < {TARGET_RSS_GB:.0f} GB, "
            f"not slower than hand SQL): {'met' if ok else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
