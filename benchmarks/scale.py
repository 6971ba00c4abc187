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
  time quantiles (:func:`benchmarks.journey.hand_sql`). Funnel counts and transition
  tables must agree.

Once sessionized, both drop the read copy of the log (as a report run does, which keeps only
the sessionized log), so later steps have the memory of one copy. ``--steps`` times a subset
(``read,sessionize,funnel``, say); reading always runs, and sessionizing when transitions do.

Both run on DuckDB with ``memory_limit`` (default 6GB), ``threads`` (default 2) and a spill
folder. Targets: the four journeylib steps together under 60 s and peak RSS under
8 GB at 100M events, and never slower than the hand SQL. ``--spark`` times the journeylib
steps on a local Spark session instead (needs ``journeylib[spark]``).

Usage: ``python -m benchmarks.scale [--events 100000000] [--users 10000000]
[--memory-limit 6GB] [--threads 2] [--steps read,sessionize,funnel,transitions]
[--only journeylib|sql] [--spill DIR] [--spark]``. SQL strings live here only: the library
itself writes ibis expressions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from benchmarks.engine import bench_dir, peak_rss_gb
from benchmarks.funnel import hand_sql as funnel_sql
from benchmarks.journey import hand_sql as transitions_sql

STEPS = ("session_start", "view_item", "add_to_cart", "begin_checkout", "purchase")
#: The timed steps, in order (``--steps`` times a subset; reading always runs, sessions too
#: when a later step needs them).
STAGES = ("read", "sessionize", "funnel", "transitions")
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


def run_journeylib(path: Path, backend, steps: Sequence[str] = STAGES) -> list[dict]:
    """The four steps (or ``steps`` of them) through journeylib's public API, on ``backend``."""
    import journeylib as jl

    rows: list[dict] = []
    found: dict = {}
    log = _timed(
        rows, "read_events", lambda: jl.read_events(path, columns=COLUMNS, backend=backend)
    )
    sess = log
    if {"sessionize", "transitions"} & set(steps):
        sess = _timed(rows, "sessionize (30 min)", lambda: jl.sessionize(log, recompute=True))
        log.table.release()  # as a report run does: only the sessionized copy stays
    if "funnel" in steps:
        funnel = _timed(
            rows, "funnel (5 steps, 7 days)", lambda: jl.funnel(sess, list(STEPS), window="7D")
        )
        found["funnel"] = funnel["count"].tolist()
    if "transitions" in steps:
        edges = _timed(rows, "transitions (sessions)", lambda: jl.transitions(sess))
        found["edges"] = _edges(
            [r["from"], r["to"], r.transitions, r.users] for _, r in edges.iterrows()
        )
    rows[-1].update(found)
    return rows


def _edges(rows: Iterable[Sequence]) -> list[list]:
    """Transition rows as sorted ``[from, to, transitions, users]`` lists, to compare."""
    return sorted([f, t, int(n), int(u)] for f, t, n, u, *_ in rows)


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


def run_sql(
    path: Path, memory_limit: str, threads: int, steps: Sequence[str] = STAGES, spill: str = ""
) -> list[dict]:
    """The same four steps (or ``steps`` of them) written by hand in DuckDB SQL."""
    con = _duckdb(memory_limit, threads, spill)
    rows: list[dict] = []
    found: dict = {}
    checks, dups, create = hand_read_sql(path)

    def read() -> None:
        con.execute(checks).fetchall()
        con.execute(dups).fetchall()
        con.execute(create)

    _timed(rows, "read_events", read)
    table = "ev"
    if {"sessionize", "transitions"} & set(steps):
        sessionize = """CREATE TABLE sess AS SELECT *, user_id || ':' || sum(new) OVER (
              PARTITION BY user_key ORDER BY event_time, row_id) AS session_id
            FROM (SELECT *, CASE WHEN lag(event_time) OVER w IS NULL OR event_time - lag(event_time)
              OVER w > INTERVAL 30 MINUTE THEN 1 ELSE 0 END AS new
              FROM ev WINDOW w AS (PARTITION BY user_key ORDER BY event_time, row_id))"""
        _timed(rows, "sessionize (30 min)", lambda: con.execute(sessionize))
        con.execute("DROP TABLE ev")
        table = "sess"
    if "funnel" in steps:
        funnel = _timed(
            rows, "funnel (5 steps, 7 days)", lambda: con.execute(funnel_sql(table)).fetchall()[0]
        )
        found["funnel"] = list(funnel)
    if "transitions" in steps:
        edges = _timed(
            rows,
            "transitions (sessions)",
            lambda: con.execute(transitions_sql("sess")).fetchall(),
        )
        found["edges"] = _edges(edges)
    rows[-1].update(found)
    return rows


def _duckdb(memory_limit: str, threads: int, spill: str = ""):
    import duckdb

    spill = Path(spill or bench_dir() / "spill")
    spill.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        config={"memory_limit": memory_limit, "threads": threads, "temp_directory": str(spill)}
    )


def _one(args: argparse.Namespace) -> list[dict]:
    path = ensure_log(args.events, args.users)
    if args.one == "sql":
        return run_sql(path, args.memory_limit, args.threads, args.steps, args.spill)
    import journeylib as jl

    if args.one == "spark":
        backend = jl.connect("spark", master=f"local[{args.threads}]")
    else:
        spill = Path(args.spill)
        spill.mkdir(parents=True, exist_ok=True)
        options = {"database": str(args.database)} if args.database else {}
        backend = jl.connect(
            "duckdb",
            **options,
            memory_limit=args.memory_limit,
            threads=args.threads,
            temp_directory=str(spill),
        )
    return run_journeylib(path, backend, args.steps)


def _print(label: str, rows: list[dict]) -> float:
    total = sum(r["seconds"] for r in rows)
    for r in rows:
        print(f"{label:<12}{r['step']:<28}{r['seconds']:>9.1f}{r['peak_gb']:>9.2f}")
    name = "all four" if len(rows) == len(STAGES) else "these steps"
    print(f"{label:<12}{name:<28}{total:>9.1f}{max(r['peak_gb'] for r in rows):>9.2f}")
    return total


def _steps(text: str) -> list[str]:
    steps = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STAGES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown steps {unknown}; choose from {STAGES}")
    return [s for s in STAGES if s in steps]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--events", type=lambda s: int(float(s)), default=100_000_000)
    parser.add_argument("--users", type=lambda s: int(float(s)), default=None)
    parser.add_argument("--memory-limit", default="6GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--database", default="", help="journeylib on a DuckDB file here (default: in memory)"
    )
    parser.add_argument("--spark", action="store_true", help="journeylib on local Spark")
    parser.add_argument(
        "--steps",
        type=_steps,
        default=list(STAGES),
        help="comma-separated subset of read,sessionize,funnel,transitions (reading always "
        "runs; sessions too when transitions are timed)",
    )
    parser.add_argument(
        "--only", choices=["journeylib", "sql"], help="time only journeylib or only hand SQL"
    )
    parser.add_argument("--spill", default="", help="DuckDB spill folder (default: <bench>/spill)")
    parser.add_argument("--one", choices=["journeylib", "sql", "spark"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.users = args.users or max(args.events // 10, 1)
    args.spill = args.spill or str(bench_dir() / "spill")
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
    kinds = ["spark"] if args.spark else [args.only] if args.only else ["journeylib", "sql"]
    for kind in kinds:
        cmd = [sys.executable, "-m", "benchmarks.scale", "--one", kind]
        cmd += ["--events", str(args.events), "--users", str(args.users)]
        cmd += ["--memory-limit", args.memory_limit, "--threads", str(args.threads)]
        cmd += ["--steps", ",".join(args.steps), "--spill", args.spill]
        cmd += ["--database", args.database] if args.database else []
        out = subprocess.run(
            cmd, check=True, stdout=subprocess.PIPE, text=True
        ).stdout  # stderr shows
        rows = json.loads(out.strip().splitlines()[-1])
        results[kind] = (_print(kind, rows), max(r["peak_gb"] for r in rows), rows[-1])
    if "sql" in results and "journeylib" in results:
        _compare(results["journeylib"], results["sql"], full=len(args.steps) == len(STAGES))
    return 0


def _compare(lib: tuple, sql: tuple, *, full: bool) -> None:
    """Print whether both agree, the time ratio, and (for all four steps) the targets."""
    (lib_s, lib_gb, lib_r), (sql_s, _, sql_r) = lib, sql
    if "funnel" in lib_r:
        print(f"funnel counts: journeylib {lib_r['funnel']}, hand SQL {sql_r['funnel']}")
    if "edges" in lib_r:
        same = "agree" if lib_r["edges"] == sql_r["edges"] else "DIFFER"
        print(f"transition tables (counts and users): {same}")
    print(f"journeylib/hand SQL: {lib_s / sql_s:.2f}x")
    if full:
        ok = lib_s < TARGET_TOTAL_S and lib_gb < TARGET_RSS_GB and lib_s <= sql_s
        print(
            f"targets (all four < {TARGET_TOTAL_S:.0f} s, peak < {TARGET_RSS_GB:.0f} GB, "
            f"not slower than hand SQL): {'met' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
