"""``python -m journeylib.bench_journey``: time ``transitions`` on 1M- and 10M-event logs.

Target (issue 5): at least 5x faster than the 1.1 s a leading open path-analytics tool takes
for its transition matrix at 1M events, i.e. under 0.22 s at 1M. Each size runs in a fresh
process on the log of :func:`journeylib.bench.ensure_log` (read and sessionized once, not
timed); every step runs ``--repeat`` times and the median is printed.

Usage: ``python -m journeylib.bench_journey [--sizes 1000000,10000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json

from .bench import _time, ensure_log, peak_rss_gb, rows_from_subprocesses

TARGET_1M_S = 1.1 / 5

STEPS = {
    "transitions (event, session)": {"level": "event", "within": "session"},
    "transitions (event, user)": {"level": "event", "within": "user"},
    "transitions (stage, user)": {"level": "stage", "within": "user"},
}


def run_size(n_events: int, repeat: int) -> list[dict]:
    """Time each transitions step on one log; a row per step."""
    import journeylib as jl

    log = jl.sessionize(jl.read_events(ensure_log(n_events)))
    staged = jl.map_stages(log)
    n = len(log)
    rows = []
    for name, options in STEPS.items():
        source = staged if options["level"] == "stage" else log
        seconds, _ = _time(lambda s=source, o=options: jl.transitions(s, **o), repeat)
        rows.append({"step": name, "seconds": seconds, "peak_gb": peak_rss_gb(), "events": n})
    for row in rows:
        row["size"] = n_events
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run every size in its own process and print one table of medians."""
    parser = argparse.ArgumentParser(prog="python -m journeylib.bench_journey", description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated event counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the median is shown")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_size(args.one, args.repeat)))
        return 0
    rows = rows_from_subprocesses("journeylib.bench_journey", args.sizes, args.repeat)
    print(f"{'step':<32}{'events':>12}{'median s':>10}{'peak GB':>9}  target")
    for r in rows:
        verdict = ""
        if r["size"] == 1_000_000 and r["step"].startswith("transitions (event"):
            met = "met" if r["seconds"] < TARGET_1M_S else "MISSED"
            verdict = f"< {TARGET_1M_S:.2f} s: {met}"
        print(
            f"{r['step']:<32}{r['events']:>12,}{r['seconds']:>10.2f}{r['peak_gb']:>9.2f}  {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
