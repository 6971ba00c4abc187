"""Overview and data health: what is in the log, and how the week compares.

Answers docs/domain.md's "behaviour on site" basics: how many people and sessions, over which
period, from which channels and devices, how far they get through the five stages, and what
the cleaning removed on the way in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..engine.bounce import bounce_rate_of, bounce_rates, counted_events
from ..engine.eventlog import EventLog
from ..engine.ordered import epoch_us
from ..engine.periods import iso_week_bounds
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, USER_KEY
from ..engine.sessions import session_table, sessionize
from ..engine.stages import stage_reach
from ..show.sections import Sections, not_shown


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
    #: ``event``, ``rows``: every event name of the log, most frequent first
    event_names: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the sections the log cannot give (``"mix"``: no channel and no device column)
    sections: Sections = field(default_factory=Sections)
    #: ``attribute``, ``value``, ``sessions``, ``bounces``, ``bounce_rate`` (+ interval)
    bounce: pd.DataFrame = field(default_factory=pd.DataFrame)


def data_health(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """Rows, users, sessions, event names and period of the log.

    Returns a two-column frame (``metric``, ``value``); values are text ready to show.
    """
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    t = log.table
    user = _user(t)
    row = (
        t.aggregate(
            events=t.count(),
            users=user.nunique(),
            event_names=t.event.nunique(),
            first=t.event_time.min(),
            last=t.event_time.max(),
        )
        .to_pandas()
        .iloc[0]
    )
    on_site = t.filter(t.session_id.notnull())
    visits = on_site.select(_user(on_site).name("user"), "session_id").distinct()
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


_US_PER_DAY = 86_400_000_000


def _user(t: ir.Table) -> ir.Value:
    """The column that tells users apart: the dense integer ``user_key`` when the log has it
    (one per ``user_id``: distinct counts of it are the same, and much cheaper), else
    ``user_id``. A NULL ``user_id`` has a NULL key, so it is never counted either."""
    return t[USER_KEY] if USER_KEY in t.columns else t.user_id


def events_per_day(events: EventLog | pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Events and active users per UTC day (and per ``by`` value when given).

    Returns ``day``, [``by``], ``events``, ``users``.
    """
    t = as_eventlog(events).table
    # the UTC day as a day number: integer arithmetic, not a time-zone-aware truncation
    keys = [(epoch_us(t.event_time) // _US_PER_DAY).name("day")]
    if by is not None:
        keys.append(t[by].fill_null("(none)").name(by))
    names = [k.get_name() for k in keys]
    # distinct users per day in two steps (per day and user, then per day): both parallel
    per_user = t.group_by([*keys, _user(t).name("_user")]).aggregate(_n=t.count())
    daily = per_user.group_by(names).aggregate(
        events=per_user._n.sum(), users=per_user._user.count()
    )
    out = daily.order_by(names).to_pandas()
    out["day"] = pd.to_datetime(out["day"] * _US_PER_DAY, unit="us", utc=True)
    out["events"] = out["events"].astype("int64")
    return out


def session_mix(events: EventLog | pd.DataFrame, *, by: str = "channel") -> pd.DataFrame:
    """Sessions, share of sessions and session conversion rate per ``by`` value.

    ``by`` is a session attribute: ``channel``, ``device``, ``campaign`` or
    ``landing_page_type``. Returns ``by``, ``sessions``, ``share``, ``orders``
    (sessions with a purchase) and ``conversion`` (orders / sessions), largest first.
    """
    return _session_mixes(events, [by])[by]


def _session_mixes(events: EventLog | pd.DataFrame, attributes: list[str]) -> dict:
    """:func:`session_mix` for each of ``attributes``, from one pass over the sessions (their
    counts per combination of the attributes, summed per attribute)."""
    if not attributes:
        return {}
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    s = session_table(log)
    for by in attributes:
        if by not in s.columns:
            raise ValueError(f"the log has no session attribute {by!r}; it has {s.columns}")
    keys = [s[by].fill_null("(none)").name(by) for by in attributes]
    combos = s.group_by(keys).aggregate(sessions=s.count(), orders=s.converted.sum()).to_pandas()
    mixes = {}
    for by in attributes:
        out = combos.groupby(by, as_index=False)[["sessions", "orders"]].sum()
        out = out.sort_values(["sessions", by], ascending=[False, True], ignore_index=True)
        out["share"] = out.sessions / out.sessions.sum()
        out["conversion"] = out.orders / out.sessions
        mixes[by] = out[[by, "sessions", "share", "orders", "conversion"]]
    return mixes


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
        "bounce rate": "share",
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
        carted=(on_site.event == "add_to_cart").any(),
        bought=(on_site.event == PURCHASE).any(),
        counted=counted_events(on_site),
    )
    s = (
        per_session.aggregate(
            sessions=per_session.count(),
            converted=per_session.bought.sum(),
            carts=per_session.carted.sum(),
            abandoned=(per_session.carted & ~per_session.bought).sum(),
            bounces=(per_session.counted <= 1).sum(),
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
        "bounce rate": s.bounces / sessions if sessions else float("nan"),
    }


#: Columns of :attr:`Overview.mix`, also when it is empty.
MIX_COLUMNS = ["value", "sessions", "share", "orders", "conversion", "attribute"]


def summarize(events: EventLog | pd.DataFrame, *, week: str | None = None) -> Overview:
    """Everything the overview notebook shows, computed once."""
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    attributes = [c for c in ("channel", "device") if log.has(c)]
    mixes = [
        mix.rename(columns={c: "value"}).assign(attribute=c)
        for c, mix in _session_mixes(log, attributes).items()
    ]
    sections = Sections()
    mix = pd.concat(mixes, ignore_index=True) if mixes else pd.DataFrame(columns=MIX_COLUMNS)
    if not mixes:
        sections.missing(
            "mix",
            not_shown(
                "Sessions by channel and device",
                'the log has neither a channel nor a device column (map one as "channel" or '
                '"device" in the column mapping)',
            ),
        )
    return Overview(
        health=data_health(log),
        cleaning=log.cleaning,
        daily=events_per_day(log),
        mix=mix,
        reach=stage_reach(log),
        kpis=weekly_kpis(log, week) if week else pd.DataFrame(),
        week=week,
        event_names=event_names(log),
        sections=sections,
        bounce=bounce_table(log),
    )


def bounce_table(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """:func:`journeylib.bounce_rate` of all sessions, then by channel, device and landing
    page type (those the log has), stacked: ``attribute``, ``value``, then the bounce
    columns."""
    log = as_eventlog(events)
    columns = {"channel": "channel", "device": "device", "landing_page_type": "page_type"}
    rates = bounce_rates(log, [by for by, column in columns.items() if log.has(column)])
    if None in rates:
        overall = rates.pop(None)
    else:
        counts = next(iter(rates.values()))[["sessions", "bounces"]].sum().to_frame().T
        overall = bounce_rate_of(counts)
    parts = [overall.assign(attribute="all sessions", value="all")]
    parts += [
        r.rename(columns={by: "value"}).assign(attribute=by.replace("_", " "))
        for by, r in rates.items()
    ]
    out = pd.concat(parts, ignore_index=True)
    return out[["attribute", "value", *[c for c in out.columns if c not in ("attribute", "value")]]]


def event_names(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """Every event name with its row count (``event``, ``rows``), most frequent first.

    A shop's own vocabulary ("Order Completed", "checkout_completed") is not the GA4 names
    journeylib reads (``purchase``...): this is how a report notices and says so.
    """
    t = as_eventlog(events).table
    counts = t.group_by("event").aggregate(rows=t.count()).to_pandas()
    return counts.sort_values(["rows", "event"], ascending=[False, True], ignore_index=True)
