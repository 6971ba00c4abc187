"""The way to the first order: the most common paths up to each buyer's first purchase
(:func:`purchase_paths`) and how long that way is (:func:`time_to_first_purchase`)."""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from ..engine.backend import engine_guard
from ..engine.eventlog import EventLog
from ..engine.schema import ROW_ID
from ..engine.sequences import RUN_LEVELS, level_log, steps, user_key_of
from ..engine.stages import first_purchases


def _before_first_purchase(s: ir.Table, log: EventLog) -> ir.Table:
    fp = first_purchases(log.table)
    j = s.join(fp, "user_id")
    keep = (j.event_time < j._fp_time) | ((j.event_time == j._fp_time) & (j[ROW_ID] <= j._fp_row))
    return j.filter(keep)


def _buyers_way(log: EventLog) -> EventLog:
    """The buyers' events up to and including their first purchase (with ``_fp_time`` and
    ``_fp_row``), as a log.

    Steps computed on it are the steps of the whole log cut at the first purchase: a step's
    previous step comes before it, so it is in the same prefix. The prefix is a small part of
    a real log, so the window that finds the steps sorts far fewer rows.
    """
    return log.replace(table=_before_first_purchase(log.table, log))


@engine_guard
def purchase_paths(
    events: EventLog | pd.DataFrame, *, level: str = "stage", top: int = 10
) -> pd.DataFrame:
    """The most common paths up to (and including the step of) each buyer's first purchase.

    A path is the buyer's sequence of steps at ``level`` (``"stage"`` or ``"channel"``; runs
    of equal values are one step) from the first event to the first purchase, across
    sessions and off-site events.

    Returns
    -------
    DataFrame of the ``top`` paths: ``path`` (steps joined by ``" > "``), ``buyers``,
    ``share`` (of all buyers), ``steps`` (path length).
    """
    if level not in RUN_LEVELS:
        raise ValueError(f"level must be one of {RUN_LEVELS}, got {level!r}")
    from ..engine.ordered import concat_in_order  # (Spark has no ordered group_concat)

    log = level_log(events, level)
    s = steps(_buyers_way(log), level=level, within="user")
    key = user_key_of(s)
    per_buyer = s.group_by(key).aggregate(
        path=concat_in_order(s.state, [s.event_time, s[ROW_ID]], " > "),
        steps=s.count(),
    )
    agg = per_buyer.group_by(["path", "steps"]).aggregate(buyers=per_buyer.count())
    out = agg.to_pandas()
    out["buyers"] = out.buyers.astype("int64")
    out["share"] = out.buyers / out.buyers.sum() if len(out) else float("nan")
    out = out.sort_values(["buyers", "path"], ascending=[False, True]).head(top)
    return out[["path", "buyers", "share", "steps"]].reset_index(drop=True)


def time_to_first_purchase(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """How long the way to the first order is: steps, events, sessions and days, per buyer.

    Returns
    -------
    DataFrame, one row per measure: ``measure`` (``"stages passed"``, ``"channel steps"``
    (runs of one channel: one more than the changes of channel), ``"events"``,
    ``"sessions"`` (visits up to and including the purchase visit), ``"days"`` (first event
    to first purchase)), ``buyers``, ``mean``, ``median``, ``p90``. All counts run up to and
    include the first purchase.
    """
    log = level_log(events, "stage")
    way = _buyers_way(log)
    t = way.table
    key = user_key_of(t)
    per = t.group_by(key).aggregate(
        events=t.count(),
        sessions=t.session_id.nunique() if log.has("session_id") else t.count(),
        days=(t._fp_time.max().delta(t.event_time.min(), unit="second") / 86400),
    )
    measures = {"events": "events", "sessions": "sessions", "days": "days"}
    names = {"stage": "stages passed", "channel": "channel steps"}
    for level, name in names.items():
        if level == "stage" or log.has(level):
            s = steps(way, level=level, within="user")
            n = s.group_by(key).aggregate(**{f"_{level}": s.count()})
            per = per.left_join(n, per[key] == n[key]).select(per, n[f"_{level}"])
            measures[name] = f"_{level}"
    aggs = {}
    for i, col in enumerate(measures.values()):
        value = per[col].fill_null(0)
        aggs |= {f"mean_{i}": value.mean(), f"median_{i}": value.median()}
        aggs[f"p90_{i}"] = value.quantile(0.9)
    row = per.aggregate(buyers=per.count(), **aggs).to_pandas().iloc[0]
    order = ["stages passed", "channel steps", "events", "sessions", "days"]
    frame = pd.DataFrame(
        {
            "measure": list(measures),
            "buyers": int(row.buyers),
            "mean": [row[f"mean_{i}"] for i in range(len(measures))],
            "median": [row[f"median_{i}"] for i in range(len(measures))],
            "p90": [row[f"p90_{i}"] for i in range(len(measures))],
        }
    )
    frame["measure"] = pd.Categorical(frame.measure, [m for m in order if m in measures])
    return frame.sort_values("measure").assign(measure=lambda f: f.measure.astype(str))
