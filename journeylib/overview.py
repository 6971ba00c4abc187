"""Overview and data health: what is in the log, and how the week compares.

Answers DOMAIN.md's "behaviour on site" basics: how many people and sessions, over which
period, from which channels and devices, how far they get through the five stages, and what
the cleaning removed on the way in.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from .eventlog import EventLog
from .io import as_eventlog
from .periods import iso_week_bounds
from .schema import PURCHASE
from .sessions import session_table, sessionize
from .stages import stage_reach


@dataclass(frozen=True)
class Overview:
    """Small tidy frames for the overview notebook (see :func:`summarize`)."""

    health: pd.DataFrame
    cleaning: pd.DataFrame
    daily: pd.DataFrame
    mix: pd.DataFrame
    reach: pd.DataFrame
    kpis: pd.DataFrame
    week: str | None


def data_health(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """Rows, users, sessions, event names and period of the log.

    Returns a two-column frame (``metric``, ``value``); values are text ready to show.
    """
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    t = log.table
    row = (
        t.aggregate(
            events=t.count(),
            users=t.user_id.nunique(),
            event_names=t.event.nunique(),
            first=t.event_time.min(),
            last=t.event_time.max(),
        )
        .to_pandas()
        .iloc[0]
    )
    visits = t.filter(t.session_id.notnull()).select("user_id", "session_id").distinct()
    n_sessions = int(visits.count().to_pandas())
    removed = log.cleaning.loc[log.cleaning.action == "removed", "rows"].sum()
    metrics = [
        ("events", f"{int(row.events):,}"),
        ("users", f"{int(row.users):,}"),
        ("sessions", f"{n_sessions:,}"),
        ("distinct event names", f"{int(row.event_names):,}"),
        ("first event (UTC)", f"{pd.Timestamp(row['first']):%Y-%m-%d %H:%M}"),
        ("last event (UTC)", f"{pd.Timestamp(row['last']):%Y-%m-%d %H:%M}"),
        ("rows removed by cleaning", f"{int(removed):,}"),
    ]
    return pd.DataFrame(metrics, columns=["metric", "value"])


def events_per_day(events: EventLog | pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Events and active users per UTC day (and per ``by`` value when given).

    Returns ``day``, [``by``], ``events``, ``users``.
    """
    t = as_eventlog(events).table
    keys = [t.event_time.truncate("D").name("day")]
    if by is not None:
        keys.append(t[by].fill_null("(none)").name(by))
    daily = t.group_by(keys).aggregate(events=t.count(), users=t.user_id.nunique())
    out = daily.order_by([k.get_name() for k in keys]).to_pandas()
    out["day"] = pd.to_datetime(out["day"], utc=True)
    return out


def session_mix(events: EventLog | pd.DataFrame, *, by: str = "channel") -> pd.DataFrame:
    """Sessions, share of sessions and session conversion rate per ``by`` value.

    ``by`` is a session attribute: ``channel``, ``device``, ``campaign`` or
    ``landing_page_type``. Returns ``by``, ``sessions``, ``share``, ``orders``
    (sessions with a purchase) and ``conversion`` (orders / sessions), largest first.
    """
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    s = session_table(log)
    if by not in s.columns:
        raise ValueError(f"the log has no session attribute {by!r}; it has {s.columns}")
    key = s[by].fill_null("(none)").name(by)
    mix = s.group_by(key).aggregate(sessions=s.count(), orders=s.converted.sum())
    out = mix.order_by(ibis.desc("sessions")).to_pandas()
    out["share"] = out.sessions / out.sessions.sum()
    out["conversion"] = out.orders / out.sessions
    return out[[by, "sessions", "share", "orders", "conversion"]]


def weekly_kpis(events: EventLog | pd.DataFrame, week: str) -> pd.DataFrame:
    """Headline numbers for ``week`` and the week before it.

    Returns one row per KPI: ``kpi``, ``this_week``, ``previous_week``, ``change`` (this -
    previous; for rates, in percentage points ×100 is left to the caller) and ``unit``
    (``"count"``, ``"share"`` or ``"currency"``). KPIs: sessions, users, orders, conversion
    rate (sessions with a purchase / sessions), revenue, average order value (purchase
    revenue / purchases) and cart abandonment (sessions with add_to_cart but no purchase /
    sessions with add_to_cart).
    """
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    start, end = iso_week_bounds(week)
    prev_start = start - pd.Timedelta(days=7)
    this = _week_numbers(log, start, end)
    prev = _week_numbers(log, prev_start, start)
    frame = pd.DataFrame(
        {"kpi": list(this), "this_week": this.values(), "previous_week": prev.values()}
    )
    frame["change"] = frame.this_week - frame.previous_week
    units = {
        "conversion rate": "share",
        "cart abandonment": "share",
        "revenue": "currency",
        "average order value": "currency",
    }
    frame["unit"] = frame.kpi.map(units).fillna("count")
    return frame


def _week_numbers(log: EventLog, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, float]:
    t = log.table
    t = t.filter((t.event_time >= start) & (t.event_time < end))
    on_site = t.filter(t.session_id.notnull())
    per_session = on_site.group_by(["user_id", "session_id"]).aggregate(
        carted=(on_site.event == "add_to_cart").any(), bought=(on_site.event == PURCHASE).any()
    )
    s = (
        per_session.aggregate(
            sessions=per_session.count(),
            converted=per_session.bought.sum(),
            carts=per_session.carted.sum(),
            abandoned=(per_session.carted & ~per_session.bought).sum(),
        )
        .to_pandas()
        .iloc[0]
        .fillna(0)
    )
    is_purchase = t.event == PURCHASE
    e = (
        t.aggregate(
            users=t.user_id.nunique(),
            orders=is_purchase.sum(),
            revenue=t.revenue.sum(where=is_purchase)
            if "revenue" in t.columns
            else ibis.literal(0.0),
        )
        .to_pandas()
        .iloc[0]
        .fillna(0)
    )
    sessions, orders = float(s.sessions), float(e.orders)
    return {
        "sessions": sessions,
        "users": float(e.users),
        "orders": orders,
        "conversion rate": s.converted / sessions if sessions else float("nan"),
        "revenue": float(e.revenue),
        "average order value": float(e.revenue) / orders if orders else float("nan"),
        "cart abandonment": s.abandoned / s.carts if s.carts else float("nan"),
    }


def summarize(events: EventLog | pd.DataFrame, *, week: str | None = None) -> Overview:
    """Everything the overview notebook shows, computed once."""
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    mixes = [
        session_mix(log, by=c).rename(columns={c: "value"}).assign(attribute=c)
        for c in ("channel", "device")
        if log.has(c)
    ]
    mix = pd.concat(mixes, ignore_index=True) if mixes else pd.DataFrame()
    return Overview(
        health=data_health(log),
        cleaning=log.cleaning,
        daily=events_per_day(log),
        mix=mix,
        reach=stage_reach(log),
        kpis=weekly_kpis(log, week) if week else pd.DataFrame(),
        week=week,
    )


def explore_daily(events: EventLog | pd.DataFrame):
    """A widget: events per day, split by a column the analyst picks (None in a report run)."""
    from . import plots
    from .widgets import explore

    log = as_eventlog(events)
    options = ["(all)"] + [c for c in ("channel", "device", "variant", "stage") if log.has(c)]

    def draw(by: str = "(all)"):
        if by == "(all)":
            return plots.events_per_day(events_per_day(log))
        return plots.daily_by(events_per_day(log, by=by), by=by)

    return explore(draw, by=options)
