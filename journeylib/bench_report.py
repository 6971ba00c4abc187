"""``make bench``: time the whole weekly report (every notebook -> HTML, KPIs, index).

Runs ``journeylib.report.run_report`` exactly as ``journeylib report`` does, on the default
data (``data/shop/events.parquet``, ``make data``) and on a generated 10M-event log (kept in
``$JOURNEYLIB_BENCH_DIR``, default ``/tmp/journeylib-bench``, made once by
:func:`journeylib.bench.ensure_log`). Reports go to a scratch folder beside the logs. Prints
the wall time of the suite, each notebook's seconds and the headline KPI computation.
Target (issue 8): the full suite on 10M events in under 90 s on 2 cores.

Usage: ``python -m journeylib.bench_report [--sizes default,10000000] [--repeat 1]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from .bench import bench_dir, ensure_log

TARGET_S = {10_000_000: 90.0}


def _data(size: str) -> tuple[Path, int | None]:
    if size == "default":
        from .report import DEFAULT_DATA

        return DEFAULT_DATA.resolve(), None
    n = int(float(size))
    return ensure_log(n), n


def _events(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def run_suite(size: str, repeat: int) -> dict:
    """Run the report ``repeat`` times on one log; the median suite time and the last run."""
    from .report import compute_kpis, default_week, run_report

    data, n = _data(size)
    if not data.exists():
        raise FileNotFoundError(f"{data} is missing: run `make data` first")
    out = bench_dir() / f"reports_{n or 'default'}"
    week = default_week(data)
    times, result = [], None
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        result = run_report(week, data=data, out=out, progress=False)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    compute_kpis(data, week)  # alone, for the table: in a run it overlaps the notebooks
    kpi_s = time.perf_counter() - start
    return {
        "size": n,
        "events": _events(data),
        "week": week,
        "seconds": statistics.median(times),
        "kpi_seconds": kpi_s,
        "notebooks": [(r.notebook, r.seconds, r.status) for r in result.notebooks],
        "ok": result.ok,
    }


def _print(row: dict) -> None:
    target = TARGET_S.get(row["size"])
    verdict = "" if target is None else f"  < {target:.0f} s: "
    verdict += "" if target is None else ("met" if row["seconds"] < target else "MISSED")
    label = "default data" if row["size"] is None else f"{row['size']:,} events"
    failed = "" if row["ok"] else "  (a notebook FAILED)"
    print(f"suite on {label} ({row['events']:,} rows, {row['week']}): ", end="")
    print(f"{row['seconds']:.1f} s{verdict}{failed}")
    for name, seconds, status in row["notebooks"]:
        print(f"    {name:<32}{seconds:>8.1f} s  {status}")
    print(f"    {'KPIs for the index (alone)':<32}{row['kpi_seconds']:>8.1f} s")


def main(argv: list[str] | None = None) -> int:
    """Time the suite on each size and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m journeylib.bench_report", description=__doc__)
    parser.add_argument(
        "--sizes",
        default="default,10000000",
        help="comma-separated: 'default' (data/shop) and/or event counts to generate",
    )
    parser.add_argument("--repeat", type=int, default=1, help="suite runs; the median is shown")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start")
    for size in args.sizes.split(","):
        _print(run_suite(size.strip(), args.repeat))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
