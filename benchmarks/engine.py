"""``make bench``: time the engine on generated 1M- and 10M-event logs.

Each size runs in a fresh process (so peak memory is that size's own), generating its log
once into a cache folder outside the repository (``$JOURNEYLIB_BENCH_DIR``, default
``/tmp/journeylib-bench``). Every step runs ``--repeat`` times; the median is printed with the
process's peak resident memory after the step. Targets: sessionize 1M events in under
0.3 s and 10M in under 3 s, peak memory under 3 GB at 10M. For scale on a busy machine, the
same sessionization written by hand in plain DuckDB SQL (:func:`hand_sessionize_sql`) is
timed in the same process on the same table, last (its table is dropped after each run).

Usage: ``python -m benchmarks.engine [--sizes 1000000,10000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

TARGETS_S = {
    ("sessionize (30 min gap)", 1_000_000): 0.3,
    ("sessionize (30 min gap)", 10_000_000): 3.0,
}


def bench_dir() -> Path:
    """Where generated benchmark logs are kept (outside the repository)."""
    return Path(os.environ.get("JOURNEYLIB_BENCH_DIR", "/tmp/journeylib-bench"))


def ensure_log(n_events: int) -> Path:
    """The events.parquet of a generated shop with about ``n_events`` rows (made if missing)."""
    from journeylib.synth.shop import generate_shop

    folder = bench_dir() / f"shop_{n_events}"
    path = folder / "events.parquet"
    if not path.exists():
        generate_shop(n_events=n_events, seed=7, out=folder)
    return path


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _time(step: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``step`` over ``repeat`` runs, and its last result.

    ibis reuses a cached table for an identical expression, so every result but the last is
    released before the next run: each run really computes.
    """
    times, result = [], None
    for i in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
        if i < repeat - 1:
            _release(result)
    return statistics.median(times), result


def _release(result: object) -> None:
    table = getattr(result, "table", None)
    release = getattr(table, "release", None)
    if callable(release):
        release()


def hand_sessionize_sql(table: str, out: str) -> str:
    """``sessionize(recompute=True)`` as an analyst writes it in DuckDB SQL: two window passes
    over the whole table, the gap in integer microseconds (DuckDB's fastest form)."""
    w = "PARTITION BY user_key ORDER BY event_time, row_id"
    gap = f"epoch_us(event_time) - epoch_us(lag(event_time) OVER ({w}))"
    return f"""CREATE TEMP TABLE {out} AS
        SELECT * EXCLUDE (new), user_id || ':' || sum(new) OVER ({w}) AS session_id
        FROM (SELECT * RENAME (session_id AS source_session_id),
          CASE WHEN lag(event_time) OVER ({w}) IS NULL
          OR {gap} > 1800000000 THEN 1 ELSE 0 END AS new FROM {table})"""


def _hand_sessionize(log, repeat: int) -> float:
    con, times = log.backend, []
    sql = hand_sessionize_sql(log.table.get_name(), "jl_bench_hand_sessions")
    for _ in range(repeat):
        start = time.perf_counter()
        con.raw_sql(sql)
        times.append(time.perf_counter() - start)
        con.raw_sql("DROP TABLE jl_bench_hand_sessions")
    return statistics.median(times)


def run_size(n_events: int, repeat: int) -> list[dict]:
    """Time read, sessionize and stage mapping on one log; a row per step."""
    import journeylib as jl

    path = ensure_log(n_events)
    rows = []
    read_s, log = _time(lambda: jl.read_events(path), repeat)
    n = len(log)
    rows.append({"step": "read_events", "seconds": read_s, "peak_gb": peak_rss_gb()})
    sess_s, sess = _time(lambda: jl.sessionize(log, recompute=True), repeat)
    rows.append({"step": "sessionize (30 min gap)", "seconds": sess_s, "peak_gb": peak_rss_gb()})
    stage_s, _ = _time(lambda: jl.map_stages(sess), repeat)
    rows.append({"step": "map_stages", "seconds": stage_s, "peak_gb": peak_rss_gb()})
    hand_s = _hand_sessionize(log, repeat)
    rows.append({"step": "sessionize, hand SQL", "seconds": hand_s, "peak_gb": peak_rss_gb()})
    for row in rows:
        row["events"] = n
        row["size"] = n_events
    return rows


def rows_from_subprocesses(
    module: str, sizes: str, repeat: int, extra: Sequence[str] = ()
) -> list[dict]:
    """Run ``python -m <module> --one <size> [extra...]`` for each of the comma-separated
    ``sizes``.

    Each size runs in a fresh process, so the peak memory printed is that size's own; the
    module prints its rows as JSON on its last line.
    """
    rows: list[dict] = []
    for size in (int(float(s)) for s in sizes.split(",")):
        cmd = [sys.executable, "-m", module, "--one", str(size), "--repeat", str(repeat), *extra]
        rows.extend(json_from(cmd))
    return rows


def json_from(cmd: Sequence[str]) -> Any:
    """Run ``cmd`` and read the JSON on the last line it prints; a failure raises with the
    child's own error, not only its exit status."""
    run = subprocess.run(list(cmd), capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run every size in its own process and print one table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated event counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the median is shown")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_size(args.one, args.repeat)))
        return 0
    rows = rows_from_subprocesses("benchmarks.engine", args.sizes, args.repeat)
    print(f"{'step':<26}{'events':>12}{'median s':>10}{'peak GB':>9}  target")
    for r in rows:
        target = TARGETS_S.get((r["step"], r["size"]))
        verdict = (
            ""
            if target is None
            else f"< {target} s: {'met' if r['seconds'] < target else 'MISSED'}"
        )
        print(
            f"{r['step']:<26}{r['events']:>12,}{r['seconds']:>10.2f}{r['peak_gb']:>9.2f}  {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
