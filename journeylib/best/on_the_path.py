"""Who is on the best customers' path now: the list marketing acts on (``on_the_path.csv``).

docs/domain.md: "find the path they took and lead more people down it". Users who are not (yet)
best customers, whose early journey shows the patterns that mark best customers
(:func:`~journeylib.best.patterns.early_patterns`) and who are still active, ranked, with the
touchpoint to push next.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.durations import parse_duration
from ..engine.eventlog import EventLog
from ..engine.privacy import pseudonymous
from ..engine.schema import PURCHASE
from ..show.counts import counted
from ..show.exports import write_csv
from .customers import customer_facts
from .early_journeys import EarlyItems, best_ids, prepared_journeys
from .patterns import matches
from .ranking import best_customers

SEGMENTS = {0: "visitor, no order yet", 1: "one-time customer", 2: "repeat customer, not best"}


def on_the_path(
    events: EventLog | pd.DataFrame,
    patterns: pd.DataFrame,
    *,
    best: pd.DataFrame | Iterable[str] | None = None,
    clv: pd.DataFrame | None = None,
    n_patterns: int = 5,
    active_within: str = "90D",
    include_visitors: bool = True,
    out_dir: str | Path | None = None,
    facts: pd.DataFrame | None = None,
    items: EarlyItems | None = None,
) -> pd.DataFrame:
    """Who is on the best customers' path now: not (yet) best, early journey matches, active.

    Parameters
    ----------
    events
        The event log.
    patterns
        :func:`~journeylib.best.patterns.early_patterns` output; its ``n_patterns`` best-ranked
        productive patterns (or the top ones by lift when none is productive) are matched.
    best
        The best customers, left out (default: :func:`best_customers` with its defaults).
    clv
        Optional ``user_id``, ``p_alive`` (and ``clv``) from the CLV models. Customers without
        a ``p_alive`` (and visitors) get a recency weight instead: 1 - days since last seen /
        ``active_within`` (0 beyond it).
    active_within
        Users last seen longer ago than this before the end of the data are left out.
    include_visitors
        Also list users who match but have not ordered yet.
    out_dir
        When given, the list is also written to ``<out_dir>/on_the_path.csv``.
    facts
        :func:`~journeylib.best.customer_facts` of the same events, when already computed.
    items
        :func:`~journeylib.best.early_journeys.early_items` of the same events, at the horizon the
        patterns were found with, when already computed.

    Returns
    -------
    DataFrame ranked by ``score`` = ``p_best`` of the best pattern matched x ``p_alive``
    (ties: more patterns matched first, then the most recently seen):
    ``rank``, ``user_id`` (pseudonymous; ids that look like e-mail addresses are replaced by
    a hash), ``segment``, ``pattern``, ``patterns_matched``, ``p_best``, ``lift``,
    ``orders``, ``days_since_last_seen``, ``p_alive``, ``alive_from`` (CLV model or
    recency), ``score``, ``next_touchpoint``. Nothing from outside the event log is joined.
    """
    log = prepared_journeys(events)
    best = best_customers(log) if best is None else best
    top = _top_patterns(patterns, n_patterns)
    hits = matches(log, top, items=items)
    hits = hits.merge(top[["pattern", "p_best", "lift", "rank"]], on="pattern")
    hits = hits[~hits.user_id.isin(best_ids(best))]
    hits = hits.sort_values(["user_id", "p_best", "rank"], ascending=[1, 0, 1])
    n_matched = hits.groupby("user_id").size().rename("patterns_matched")
    lst = hits.drop_duplicates("user_id").join(n_matched, on="user_id")
    lst = lst.merge(_activity(log), on="user_id")
    active_days = parse_duration(active_within, name="active_within") / pd.Timedelta(days=1)
    lst = _alive(lst, clv, active_days)
    if not include_visitors:
        lst = lst[lst.orders > 0]
    lst["segment"] = lst.orders.clip(upper=2).map(SEGMENTS)
    lst["next_touchpoint"] = lst.segment.map(next_touchpoints(log, best, facts=facts))
    lst["score"] = lst.p_best * lst.p_alive
    # ties in score (same pattern, same model odds) go to the stronger match, then the more
    # recent visitor: the top of the list is who to contact first, not an arbitrary id order
    order = ["score", "patterns_matched", "days_since_last_seen", "user_id"]
    lst = lst.sort_values(order, ascending=[0, 0, 1, 1], ignore_index=True)
    lst["rank"] = np.arange(1, len(lst) + 1)
    lst["user_id"] = pseudonymous(lst.user_id)
    cols = ["rank", "user_id", "segment", "pattern", "patterns_matched", "p_best", "lift",
            "orders", "days_since_last_seen", "p_alive", "alive_from", "score",
            "next_touchpoint"]  # fmt: skip
    lst = lst[cols]
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        write_csv(lst, Path(out_dir) / "on_the_path.csv")
    return lst


def nobody_on_the_path(patterns: pd.DataFrame, *, active_within: str = "90D") -> str:
    """Why :func:`on_the_path` lists nobody, in plain words for a page: no early pattern is
    more common among best customers (so there is no path to match), or nobody else active
    within ``active_within`` before the end of the data matches the patterns."""
    if patterns.empty or _top_patterns(patterns, 1).empty:
        return "no early pattern is more common among best customers than among the others"
    days = parse_duration(active_within, name="active_within") / pd.Timedelta(days=1)
    return (
        f"no user active in the last {counted(days, 'day')}, other than the best customers, "
        "shows their early patterns"
    )


def _top_patterns(patterns: pd.DataFrame, n: int) -> pd.DataFrame:
    good = patterns[patterns.productive]
    if good.empty:
        good = patterns[patterns.lift > 1]
    return good.sort_values("rank").head(n)


def _activity(log: EventLog) -> pd.DataFrame:
    t = log.table
    is_order = t.event == PURCHASE
    per = t.group_by("user_id").aggregate(last=t.event_time.max(), orders=is_order.sum())
    a = per.to_pandas()
    end = t.event_time.max().to_pandas()
    a["days_since_last_seen"] = (end - a["last"]) / pd.Timedelta(days=1)
    return a.drop(columns=["last"])


def _alive(lst: pd.DataFrame, clv: pd.DataFrame | None, window_days: float) -> pd.DataFrame:
    recency = (1 - lst.days_since_last_seen / window_days).clip(lower=0)
    lst = lst[lst.days_since_last_seen <= window_days].copy()
    lst["p_alive"], lst["alive_from"] = recency[lst.index], "recency"
    if clv is not None and "p_alive" in clv.columns:
        # as numbers even when no one is listed (a map over no ids keeps the ids' text type)
        model = lst.user_id.map(clv.set_index("user_id").p_alive).astype("float64")
        lst.loc[model.notna(), "alive_from"] = "CLV model"
        lst["p_alive"] = model.fillna(lst.p_alive)
    return lst


def next_touchpoints(
    events: EventLog | pd.DataFrame,
    best: pd.DataFrame | Iterable[str],
    *,
    facts: pd.DataFrame | None = None,
) -> dict[str, str]:
    """The touchpoint to push next per segment, read off best customers' own journeys.

    Visitors: a first order in best customers' most common first category; one-time
    customers: a return visit through the channel best customers most often came back by;
    repeat customers: the next order by e-mail when best customers' purchases are mostly
    e-mail-driven, else through their most common next-visit channel. ``facts``:
    :func:`~journeylib.best.customer_facts` of the same events, when already computed.
    """
    f = customer_facts(events) if facts is None else facts
    f = f[f.user_id.isin(best_ids(best))]
    if f.empty:
        return dict.fromkeys(SEGMENTS.values(), "")
    category = f.first_category.mode().iloc[0] if f.first_category.notna().any() else "any"
    back = f.next_visit_channel.dropna()
    channel = back.mode().iloc[0] if len(back) else "email"
    email_share = f.email_orders.sum() / max(f.orders.sum(), 1)
    again = "email" if email_share >= 0.5 else channel
    return {
        SEGMENTS[0]: f"first order: feature {category} (best customers' usual first category)",
        SEGMENTS[1]: f"bring back for a second visit via {channel}",
        SEGMENTS[2]: f"next order via {again} ({email_share:.0%} of best customers' orders "
        "are email-driven)",
    }
