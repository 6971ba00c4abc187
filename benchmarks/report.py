"""``make bench``: time the whole weekly report (every notebook -> HTML, KPIs, index).

Runs ``journeylib.report.run_report`` exactly as ``journeylib report`` does, on the default
data (``data/shop/events.parquet``, ``make data``) and on a generated 10M-event log (kept in
``$JOURNEYLIB_BENCH_DIR``, default ``/tmp/journeylib-bench``, made once by
:func:`benchmarks.engine.ensure_log`). Reports go to a scratch folder beside the logs. Prints
the wall time of the suite, the one read of the log, each notebook's seconds with its
slowest cells (papermill's cell durations) and the headline KPI computation.
Target: the full suite on 10M events in under 90 s on 2 cores.

Usage: ``python -m benchmarks.report [--sizes default,10000000] [--repeat 1] [--jobs 2]
[--cells 3] [--without 05] [--keep-reports]``: ``--without`` leaves notebooks out (or, as
``02:explain_drops``, turns one section of a notebook off), so that its cost can be measured
as the suite with it against the suite without it, run in turn (paired) on the same machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from benchmarks.engine import bench_dir, ensure_log

TARGET_S = {10_000_000: 90.0}


def _data(size: str) -> tuple[Path, int | None]:
    if size == "default":
        from journeylib.report.runner import DEFAULT_DATA

        return DEFAULT_DATA.resolve(), None
    n = int(float(size))
    return ensure_log(n), n


def _events(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def slowest_cells(executed: Path, n: int) -> list[tuple[int, float, str]]:
    """The ``n`` slowest cells of an executed notebook: (source index, seconds, first line).

    papermill records each cell's duration in the cell's metadata; the index counts the
    source notebook's cells (papermill's injected parameters cell is left out).
    """
    import nbformat

    cells = nbformat.read(executed, as_version=4).cells
    cells = [c for c in cells if "injected-parameters" not in c.metadata.get("tags", [])]
    timed = [
        (i, float(c.metadata.get("papermill", {}).get("duration") or 0.0), c.source)
        for i, c in enumerate(cells)
        if c.cell_type == "code"
    ]
    timed.sort(key=lambda row: -row[1])
    return [(i, d, (src.strip().splitlines() or [""])[-1][:60]) for i, d, src in timed[:n]]


def notebooks_without(stems: list[str]) -> Path | None:
    """A folder of links to the report notebooks except ``stems`` (None when none is left out),
    so that the suite can be timed with and without a notebook in the same session.

    An entry ``"02:explain_drops"`` keeps notebook 02 but turns its boolean parameter
    ``explain_drops`` off (a copy with that default set to False): the suite with and
    without one section."""
    if not stems:
        return None
    from journeylib.report.runner import find_notebooks, notebooks_folder

    name = "_".join(sorted(s.replace(":", "-") for s in stems))
    folder = bench_dir() / ("notebooks_without_" + name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    off = dict(s.split(":", 1) for s in stems if ":" in s)
    for path in find_notebooks(notebooks_folder()):
        number = path.stem.split("_")[0]
        if path.stem in stems or number in stems:
            continue
        if number in off:
            _switched_off(path, off[number], folder / path.name)
        else:
            (folder / path.name).symlink_to(path.resolve())
    return folder


def _switched_off(notebook: Path, parameter: str, out: Path) -> None:
    """Write ``notebook`` to ``out`` with the boolean ``parameter`` of its parameters cell
    set to False; fail if the notebook has no such parameter."""
    import re

    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    pattern = rf"^{re.escape(parameter)}(: *bool)? *= *True\b"
    source, found = re.subn(pattern, f"{parameter}: bool = False", cell.source, flags=re.M)
    if not found:
        raise SystemExit(f"{notebook.name} has no boolean parameter {parameter!r} set to True")
    cell.source = source
    nbformat.write(nb, out)


def run_suite(
    size: str,
    repeat: int,
    *,
    jobs: int | None = None,
    cells: int = 0,
    without: list[str] | None = None,
    keep: bool = False,
) -> dict:
    """Run the report ``repeat`` times on one log; the median suite time and the last run.

    ``without`` leaves those notebooks out (stems or their numbers, ``05``); ``keep`` starts
    from the reports a previous call left (a weekly run's schedule) instead of none.
    """
    import json

    from journeylib.report.runner import run_report

    data, n = _data(size)
    if not data.exists():
        raise FileNotFoundError(f"{data} is missing: run `make data` first")
    suffix = "_without_" + "_".join(sorted(w.replace(":", "-") for w in without)) if without else ""
    out = bench_dir() / f"reports_{n or 'default'}{suffix}"
    notebooks = notebooks_without(without or [])
    times, result = [], None
    # as a weekly run, each run finds the last one's reports (the first finds none): notebooks
    # start in the order that ends soonest given their last seconds (report._report_schedule)
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    for _ in range(repeat):
        start = time.perf_counter()
        result = run_report(data=data, out=out, progress=False, jobs=jobs, notebooks=notebooks)
        times.append(time.perf_counter() - start)
    status = json.loads((result.folder / "status.json").read_text(encoding="utf-8"))
    return {
        "size": n,
        "events": _events(data),
        "week": result.week,
        "seconds": statistics.median(times),
        "phases": status.get("seconds", {}),
        "notebooks": [
            (r.notebook, r.seconds, r.status, slowest_cells(result.folder / r.notebook, cells))
            for r in result.notebooks
        ],
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
    phases = row["phases"]
    if "prepare" in phases:
        print(f"    {'read, sessionize, stage once':<32}{phases['prepare']:>8.1f} s")
    for name, seconds, status, slow in row["notebooks"]:
        print(f"    {name:<32}{seconds:>8.1f} s  {status}")
        for index, duration, line in slow:
            print(f"        cell {index:>2} {duration:>7.1f} s  {line}")
    if "notebooks" in phases:
        print(f"    {'notebooks (wall, side by side)':<32}{phases['notebooks']:>8.1f} s")
    if "kpis" in phases:
        print(f"    {'KPIs for the index (in a thread)':<32}{phases['kpis']:>8.1f} s")


def main(argv: list[str] | None = None) -> int:
    """Time the suite on each size and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__)
    parser.add_argument(
        "--sizes",
        default="default,10000000",
        help="comma-separated: 'default' (data/shop) and/or event counts to generate",
    )
    parser.add_argument("--repeat", type=int, default=1, help="suite runs; the median is shown")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks run at the same time")
    parser.add_argument("--cells", type=int, default=3, help="slowest cells shown per notebook")
    parser.add_argument(
        "--without",
        default="",
        help="comma-separated notebooks to leave out (stems or numbers, e.g. 05), or a "
        "notebook's boolean parameter to turn off (02:explain_drops), to time the suite with "
        "and without them",
    )
    parser.add_argument(
        "--keep-reports",
        action="store_true",
        help="start from the reports the last call left (their timings order the notebooks)",
    )
    args = parser.parse_args(argv)
    without = [w.strip() for w in args.without.split(",") if w.strip()]
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start")
    for size in args.sizes.split(","):
        row = run_suite(
            size.strip(),
            args.repeat,
            jobs=args.jobs,
            cells=args.cells,
            without=without,
            keep=args.keep_reports,
        )
        _print(row)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
