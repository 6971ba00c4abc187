"""The order a report run starts its notebooks in, from how long each took last time.

Notebooks run ``jobs`` at a time and each free slot takes the next notebook in line (list
scheduling), so the order decides when the run ends. Name order can leave a slot idle while
the longest notebook runs alone at the end: on the default data the CLV notebook (about 20 s
of model fitting, whatever the log's size) started third and ran 20 s after the others were
done. :func:`run_order` picks, from the seconds each notebook took in the last run, the order
that would end soonest; the pages and ``status.json`` keep the name order.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Up to this many notebooks every order is tried; beyond, longest first.
EXHAUSTIVE_UP_TO = 7


def makespan(seconds: Sequence[float], jobs: int) -> float:
    """When a run ends if notebooks taking ``seconds`` start in that order, ``jobs`` at a time
    (each one starts when a slot frees up)."""
    free = [0.0] * max(jobs, 1)
    for duration in seconds:
        start = heapq.heappop(free)
        heapq.heappush(free, start + duration)
    return max(free)


def run_order(paths: Sequence[Path], seconds: Mapping[str, float], jobs: int) -> list[Path]:
    """``paths`` in the order to start them so that the run would end soonest.

    Parameters
    ----------
    paths
        The notebooks, in name order.
    seconds
        Seconds each notebook (by file name) took last time; notebooks not in it count as
        the mean of those that are.
    jobs
        Notebooks run at a time.

    Returns
    -------
    list of Path
        Name order when nothing is known, when one job runs at a time, or when no order ends
        sooner. Otherwise the order that ends soonest, if every notebook takes as long as last
        time: every order is tried up to :data:`EXHAUSTIVE_UP_TO` notebooks (the first
        found, in name order, wins a tie), longest first beyond that.
    """
    known = [seconds[p.name] for p in paths if p.name in seconds]
    if jobs <= 1 or not known:
        return list(paths)
    fill = sum(known) / len(known)
    cost = {p: float(seconds.get(p.name, fill)) for p in paths}
    if len(paths) > EXHAUSTIVE_UP_TO:
        return sorted(paths, key=lambda p: -cost[p])  # stable: name order among equals
    best, best_end = list(paths), makespan([cost[p] for p in paths], jobs)
    for order in itertools.permutations(paths):
        end = makespan([cost[p] for p in order], jobs)
        if end < best_end - 1e-9:
            best, best_end = list(order), end
    return best


def last_seconds(out: Path) -> dict[str, float]:
    """Seconds per notebook in the week folder of ``out`` written last (its ``status.json``);
    empty when there is none or it cannot be read."""
    try:
        statuses = sorted(out.glob("*/status.json"), key=lambda p: p.stat().st_mtime)
        if not statuses:
            return {}
        status = json.loads(statuses[-1].read_text(encoding="utf-8"))
        return {nb["notebook"]: float(nb["seconds"]) for nb in status.get("notebooks", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
