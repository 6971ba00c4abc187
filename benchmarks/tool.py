"""Time the transition matrix of retentioneering, the open path-analytics tool issue 5 measures
journeylib against, on the cleaned copy of a bench log (bench_journey._cleaned_copy).

Run by :mod:`benchmarks.journey` with the tool's own interpreter (``--tool-python``): the
tool needs versions of pandas and numpy other than journeylib's, so it lives in a virtual
environment of its own, and this file imports nothing from journeylib. Usage::

    <tool python> _bench_tool.py EVENTS.parquet REPEAT

It prints one JSON line: the tool's version, the seconds to build its event stream (not part of
the comparison, as reading and sessionizing are not for journeylib), the median seconds of its
transition matrix of counts and of users, and every (from, to) pair with its counts and users
(to check that both tools computed the same table). Paths are users' whole journeys, with start
and end states (retentioneering's defaults), i.e. ``transitions(level="event", within="user")``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

# the tool reports usage to its makers unless told not to (3.x and 5.x spell it differently)
os.environ.setdefault("RETE_TRACKER_ENABLED", "false")
os.environ.setdefault("RETENTIONEERING_NO_TRACK", "1")


def _median_seconds(step, repeat: int) -> tuple[float, object]:
    result = step()  # warm-up, as journeylib's steps get one
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(path: str, repeat: int) -> dict:
    """Build the tool's event stream from ``path`` and time its transition matrices."""
    import pandas as pd
    import retentioneering

    frame = pd.read_parquet(path, columns=["user_id", "event", "event_time"])
    frame = frame.rename(columns={"event_time": "timestamp"})
    frame["timestamp"] = frame.timestamp.dt.tz_localize(None)
    version = retentioneering.__version__
    start = time.perf_counter()
    if version.startswith("3."):
        from retentioneering.eventstream import Eventstream, RawDataSchema

        stream = Eventstream(frame, raw_data_schema=RawDataSchema())
        build = time.perf_counter() - start

        def counts():
            return stream.transition_matrix(weight_col="event_id")

        def users():
            return stream.transition_matrix(weight_col="user_id")
    else:
        from retentioneering.eventstream import Eventstream

        stream = Eventstream(frame, schema={"path_cols": ["user_id"]})
        build = time.perf_counter() - start

        def counts():
            return stream.transition_graph_data(edge_weight="count")

        def users():
            return stream.transition_graph_data(edge_weight="unique_paths")

    counts_s, count_matrix = _median_seconds(counts, repeat)
    users_s, user_matrix = _median_seconds(users, repeat)
    return {
        "tool": f"retentioneering {version}",
        "events": len(frame),
        "build_s": build,
        "counts_s": counts_s,
        "users_s": users_s,
        "cells": _cells(count_matrix, user_matrix),
    }


def _cells(count_matrix, user_matrix) -> list[list]:
    """``[from, to, transitions, users]`` for every pair with a transition; the tool's
    ``path_start`` and ``path_end`` named as journeylib names them."""
    names = {"path_start": "(start)", "path_end": "(end)"}
    long = count_matrix.stack().rename("transitions").to_frame()
    long["users"] = user_matrix.stack()
    long = long[long.transitions > 0].reset_index()
    return [
        [names.get(str(f), str(f)), names.get(str(t), str(t)), int(n), int(u)]
        for f, t, n, u in long.itertuples(index=False)
    ]


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
