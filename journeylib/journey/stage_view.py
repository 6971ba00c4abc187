"""The journey map by stage: reach, conversion onward, time to the next stage, top
touchpoints and channels, overall or by monthly acquisition cohort (:func:`stage_view`)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.sequences import level_log, user_key_of
from ..engine.stages import STAGES, user_stage_table


def _cohorts(log: EventLog, by_cohort: bool) -> ir.Table | None:
    """Each user's acquisition month (the user key, ``cohort``); None for one cohort, "all"."""
    if not by_cohort:
        return None
    t = log.table
    key = user_key_of(t)
    first = t.group_by(key).aggregate(_first=t.event_time.min())
    return first.select(key, cohort=first._first.strftime("%Y-%m"))


def _stage_numbers(log: EventLog, cohorts: ir.Table | None) -> pd.DataFrame:
    key = user_key_of(log.table)
    users = user_stage_table(log, by=key)
    if cohorts is None:
        u = users.filter(users[key].notnull()).mutate(cohort=ibis.literal("all"))
    else:
        u = users.join(cohorts, key)
    rank = u.stage_reached.substitute({s: i for i, s in enumerate(STAGES)}, else_=-1)
    aggs: dict[str, ir.Value] = {}
    for i, s in enumerate(STAGES):
        aggs[f"reached_{i}"] = (rank >= i).sum()
        if i + 1 < len(STAGES):
            here, nxt = u[f"entered_{s.lower()}"], u[f"entered_{STAGES[i + 1].lower()}"]
            aggs[f"days_{i}"] = (nxt.delta(here, unit="second") / 86400).median()
    wide = u.group_by("cohort").aggregate(**aggs).to_pandas()
    rows = []
    for i, s in enumerate(STAGES):
        part = wide[["cohort", f"reached_{i}"]].rename(columns={f"reached_{i}": "reached"})
        part = part.assign(stage=s, order=i)
        part["median_days_to_next"] = wide.get(f"days_{i}", float("nan"))
        rows.append(part)
    out = pd.concat(rows, ignore_index=True).sort_values(["cohort", "order"])
    nxt = out.groupby("cohort").reached.shift(-1)
    out["conversion_to_next"] = (nxt / out.reached.where(out.reached > 0)).astype("float64")
    return out


def _top(frame: pd.DataFrame, what: str, top: int) -> pd.DataFrame:
    frame = frame.sort_values(["cohort", "stage", "n", what], ascending=[True, True, False, True])
    frame["share"] = frame.n / frame.groupby(["cohort", "stage"]).n.transform("sum")
    head = frame.groupby(["cohort", "stage"]).head(top)
    text = head[what].astype(str) + " (" + (100 * head.share).round().astype(int).astype(str)
    label = (text + "%)").groupby([head.cohort, head.stage]).agg(", ".join)
    return label.rename(f"top_{what}s").reset_index()


def _touch_counts(log: EventLog, cohorts: ir.Table | None) -> pd.DataFrame:
    """Events per (``cohort``, ``stage``, ``touchpoint``, ``channel``) in one pass over the log
    (small: the touchpoint and channel tallies of :func:`stage_view` are its sums).

    ``cohorts`` None: one cohort, ``"all"`` (every event of a user, as the join would keep).
    """
    t = log.table
    if cohorts is None:
        t = t.filter(t.user_id.notnull()).mutate(cohort=ibis.literal("all"))
    else:
        t = t.join(cohorts, user_key_of(t))
    t = t.filter(t.stage.notnull())
    touch = t.event
    if log.has("page_type"):
        touch = ibis.ifelse(t.page_type.notnull(), "page:" + t.page_type, t.event)
    channel = t.channel if log.has("channel") else ibis.null("string")
    keys = ["cohort", "stage", touch.name("touchpoint"), channel.name("channel")]
    return t.group_by(keys).aggregate(n=t.count()).to_pandas()


def stage_view(
    events: EventLog | pd.DataFrame, *, by_cohort: bool = False, top: int = 3
) -> pd.DataFrame:
    """The journey map: one row per stage (per monthly acquisition cohort when asked).

    Parameters
    ----------
    events
        The event log.
    by_cohort
        Split by acquisition cohort: the UTC month (``"2024-03"``) of the user's first event.
    top
        How many touchpoints and channels to list per stage.

    Returns
    -------
    DataFrame: ``cohort`` (``"all"`` unless ``by_cohort``), ``stage``, ``reached`` (users
    whose furthest stage is this one or later), ``share_reached`` (of the cohort's users),
    ``conversion_to_next`` (``reached`` of the next stage / ``reached``),
    ``median_days_to_next`` (median over users with both stages of the days from first
    entering this stage to first entering the next), ``top_touchpoints`` (events in the stage
    by count, page views named ``page:<page_type>``, with their share of the stage's events)
    and ``top_channels`` (the same for the events' channel).
    """
    log = level_log(events, "stage")
    cohorts = _cohorts(log, by_cohort)
    out = _stage_numbers(log, cohorts)
    users = out[out.order == 0].set_index("cohort").reached
    out["share_reached"] = out.reached / out.cohort.map(users).where(lambda x: x > 0)
    counts = _touch_counts(log, cohorts)
    keys = ["cohort", "stage", "touchpoint"]
    tp = counts.groupby(keys, dropna=False, sort=False).n.sum().reset_index()
    merged = out.merge(_top(tp, "touchpoint", top), on=["cohort", "stage"], how="left")
    if log.has("channel"):
        ch = counts[counts.channel.notna()]
        chan = ch.groupby(["cohort", "stage", "channel"], sort=False).n.sum().reset_index()
        merged = merged.merge(_top(chan, "channel", top), on=["cohort", "stage"], how="left")
    cols = ["cohort", "stage", "reached", "share_reached", "conversion_to_next"]
    cols += ["median_days_to_next", "top_touchpoints", "top_channels"]
    merged["reached"] = merged.reached.astype("int64")
    return merged.reindex(columns=cols).reset_index(drop=True)
