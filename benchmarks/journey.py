"""``python -m benchmarks.journey``: time ``transitions`` on 1M- and 10M-event logs.

Target: at least 5x faster than the 1.1 s a leading open path-analytics tool takes
for its transition matrix at 1M events, i.e. under 0.22 s at 1M. Each size runs in a fresh
process on the log of :func:`benchmarks.engine.ensure_log` (read and sessionized once, not
timed); every step runs ``--repeat`` times and the median is printed.

Beside the event-level transitions within sessions, the same table written by hand in plain
DuckDB SQL (:func:`hand_sql`: one window partitioned by user and session, the end edges from a
second scan of it, the same counts, users and quantiles) is timed in the same process, on the
source's session ids and on gap-rule sessions; the two must give the same table, or the run
fails. The Python part of the gap-session step (building the ibis expression and compiling
it to SQL) is shown on its own line. SQL strings live here only: the library writes ibis
expressions.

With ``--tool-python PYTHON`` (repeatable), the transition matrix of retentioneering (the open
path-analytics tool the target refers to) is timed on the same log, on the same machine, by that
interpreter (:mod:`benchmarks.tool`; the tool needs its own virtual environment, see
``make bench-tool``), on a copy of the log as journeylib cleaned it: its counts and users must
equal journeylib's ``within="user"`` table pair by pair, or the run fails. The ratio to the
quicker of the tool's two matrices (counts, users; journeylib's table has both, and median and
p90 times) is printed beside the fixed target.

Usage: ``python -m benchmarks.journey [--sizes 1000000,10000000] [--repeat 3]
[--tool-python .venv-tool/bin/python]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.engine import _time, ensure_log, json_from, peak_rss_gb, rows_from_subprocesses
from journeylib.engine.schema import ROW_ID

if TYPE_CHECKING:
    import pandas as pd

    from journeylib.engine.eventlog import EventLog

TOOL_SCRIPT = Path(__file__).with_name("tool.py")
#: journeylib's step that computes what the tool's matrices do (users' whole journeys).
TOOL_PEER = "transitions (event, user)"

TARGET_1M_S = 1.1 / 5

STEPS = {
    "transitions (event, session)": {"level": "event", "within": "session"},
    "transitions (event, user)": {"level": "event", "within": "user"},
    "transitions (stage, user)": {"level": "stage", "within": "user"},
}
GAP_STEP = "transitions (event, gap sessions)"


def hand_sql(table: str) -> str:
    """``transitions(level="event", within="session")`` as an analyst writes it in DuckDB SQL.

    ``table`` has ``user_key``, ``session_id``, ``event``, ``event_time`` and ``row_id``. Time
    differences use ``epoch_us`` (integer microseconds, the fastest DuckDB form).
    """
    return f"""
    WITH w AS (
      SELECT user_key, event,
        lag(event) OVER s AS prev, lead(event) OVER s AS nxt,
        (epoch_us(event_time) - epoch_us(lag(event_time) OVER s)) / 1e6 AS seconds
      FROM {table}
      WHERE session_id IS NOT NULL AND event IS NOT NULL
      WINDOW s AS (PARTITION BY user_key, session_id ORDER BY event_time, row_id)
    ), edges AS (
      SELECT user_key, coalesce(prev, '(start)') AS frm, event AS "to", seconds FROM w
      UNION ALL
      SELECT user_key, event, '(end)', NULL FROM w WHERE nxt IS NULL
    )
    SELECT frm, "to", count(*) AS transitions, count(DISTINCT user_key) AS users,
      quantile_cont(seconds, 0.5) AS median_seconds, quantile_cont(seconds, 0.9) AS p90_seconds
    FROM edges GROUP BY frm, "to"
    """


def _check_same(lib, rows: list[tuple]) -> None:
    """Counts and users equal, medians and p90s equal to 1e-9 (relative), or raise."""
    import math

    def key(f, t, n, u, med, p90):
        times = tuple(None if v is None or math.isnan(v) else float(v) for v in (med, p90))
        return (str(f), str(t), int(n), int(u)), times

    cols = ["from", "to", "transitions", "users", "median_seconds", "p90_seconds"]
    got = sorted(key(*r) for r in lib[cols].itertuples(index=False))
    want = sorted(key(*r) for r in rows)
    counts_ok = [g[0] for g in got] == [w[0] for w in want]
    times_ok = counts_ok and all(
        (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b))
        for g, w in zip(got, want, strict=True)
        for a, b in zip(g[1], w[1], strict=True)
    )
    if not times_ok:
        raise AssertionError("journeylib's transitions differ from the hand-written SQL's")


def tool_rows(tool_python: str, events: Path, repeat: int, ours: pd.DataFrame) -> list[dict]:
    """Time the tool's transition matrices (counts, users) on ``events`` (the cleaned log, see
    :func:`_cleaned_copy`) with ``tool_python``; fail unless its counts and users equal
    ``ours`` (journeylib's ``transitions(level="event", within="user")``) pair by pair."""
    out = json_from([tool_python, str(TOOL_SCRIPT), str(events), str(repeat)])
    theirs = sorted(tuple(cell) for cell in out["cells"])
    mine = sorted(
        (str(f), str(t), int(n), int(u))
        for f, t, n, u in ours[["from", "to", "transitions", "users"]].itertuples(index=False)
    )
    if theirs != mine:
        raise AssertionError(f"{out['tool']}'s transition matrix differs from journeylib's")
    return [
        {"step": f"{out['tool']}: counts", "seconds": out["counts_s"]},
        {"step": f"{out['tool']}: users", "seconds": out["users_s"]},
    ]


def _cleaned_copy(log: EventLog, n_events: int) -> Path:
    """The log's events after journeylib's cleaning (exact duplicate rows removed, say), as
    the Parquet file the tool reads: both tools then count the same events. Written once per
    size, in (user, time, ``row_id``) order, so that events of one user at the same instant
    reach the tool in the order journeylib gives them."""
    path = ensure_log(n_events).with_name("events_cleaned.parquet")
    if not path.exists():
        t = log.table
        ordered = t.order_by([t.user_id, t.event_time, t[ROW_ID]])
        ordered.select("user_id", "event", "event_time").to_parquet(path)
    return path


def run_size(n_events: int, repeat: int, tools: list[str] | None = None) -> list[dict]:
    """Time each transitions step, and the hand SQL beside the session ones; a row per step."""
    import ibis

    import journeylib as jl
    from journeylib.journey.journey_map import transition_table

    log = jl.sessionize(jl.read_events(ensure_log(n_events)))
    gap = jl.sessionize(log, recompute=True)
    staged = jl.map_stages(log)
    n = len(log)
    rows = []

    def add(name: str, seconds: float) -> None:
        rows.append({"step": name, "seconds": seconds, "peak_gb": peak_rss_gb(), "events": n})

    for name, options in STEPS.items():
        source = staged if options["level"] == "stage" else log
        seconds, _ = _time(lambda s=source, o=options: jl.transitions(s, **o), repeat)
        add(name, seconds)
    add(GAP_STEP, _time(lambda: jl.transitions(gap), repeat)[0])
    # the part of it spent in Python: building the ibis expression and compiling it to SQL
    build = _time(lambda: ibis.to_sql(transition_table(gap)), repeat)[0]
    add("  of which ibis build + compile", build)
    for name, sessions in (("transitions (event, session)", log), (GAP_STEP, gap)):
        sql = hand_sql(sessions.table.get_name())
        con = sessions.backend
        seconds, result = _time(lambda q=sql, c=con: c.raw_sql(q).fetchall(), repeat)
        _check_same(jl.transitions(sessions), result)
        add(name.replace("transitions", "hand SQL"), seconds)
    if tools:
        events, ours = _cleaned_copy(log, n_events), jl.transitions(log, within="user")
    for tool in tools or []:
        for row in tool_rows(tool, events, repeat, ours):
            add(row["step"], row["seconds"])
    for row in rows:
        row["size"] = n_events
    return rows


def _verdict(row: dict, by: dict) -> str:
    """The target (1M), the ratio to the hand SQL and to each tool timed at the same size."""
    size, step, seconds = row["size"], row["step"], row["seconds"]
    parts = []
    if size == 1_000_000 and step.startswith("transitions (event"):
        parts.append(f"< {TARGET_1M_S:.2f} s: {'met' if seconds < TARGET_1M_S else 'MISSED'}")
    sql = by.get((size, step.replace("transitions", "hand SQL")))
    if sql and step.startswith("transitions"):
        parts.append(f"{seconds / sql:.2f}x hand SQL")
    if step == TOOL_PEER:
        for tool, tool_s in _quickest_tool_matrix(by, size).items():
            parts.append(f"{tool_s / seconds:.1f}x faster than {tool} (5x: {tool_s / 5:.2f} s)")
    return "; ".join(parts)


def _quickest_tool_matrix(by: dict, size: int) -> dict[str, float]:
    """Per tool timed at ``size``, the quicker of its two matrices (counts, users): journeylib's
    one table has both, so the comparison with either one matrix is the tool's best case."""
    best: dict[str, float] = {}
    for (s, name), seconds in by.items():
        if s == size and ": " in name and not name.startswith(("transitions", "hand SQL")):
            tool = name.split(": ")[0]
            best[tool] = min(seconds, best.get(tool, seconds))
    return best


def main(argv: list[str] | None = None) -> int:
    """Run every size in its own process and print one table of medians."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.journey", description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated event counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the median is shown")
    parser.add_argument(
        "--tool-python",
        action="append",
        default=[],
        help="interpreter of a virtual environment with retentioneering, timed on the same log",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_size(args.one, args.repeat, args.tool_python)))
        return 0
    tools = [f"--tool-python={t}" for t in args.tool_python]
    rows = rows_from_subprocesses("benchmarks.journey", args.sizes, args.repeat, tools)
    print(f"{'step':<40}{'events':>12}{'median s':>10}{'peak GB':>9}  target / compared")
    by = {(r["size"], r["step"]): r["seconds"] for r in rows}
    for r in rows:
        line = f"{r['step']:<40}{r['events']:>12,}{r['seconds']:>10.2f}{r['peak_gb']:>9.2f}"
        print(f"{line}  {_verdict(r, by)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
