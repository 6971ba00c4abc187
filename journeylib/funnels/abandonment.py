"""Breaks in the journey: where funnel drop-outs go, cart abandonment and recovery, returns.

Answers docs/domain.md's "Add-to-cart and cart abandonment" (how often, for whom, at which checkout
step, what brings people back, e.g. an abandoned-cart e-mail) and "Returns and cancelled
orders". Everything runs as ibis expressions; only the small summaries come back as pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.ordered import first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, REFUND, ROW_ID, SESSION_KEY, USER_KEY
from . import match as funnel_match
from .derived import with_derived
from .spec import funnel_defaults, funnel_spec
from .steps import StepSpec, as_step

#: The checkout path of GA4's recommended ecommerce events, in order.
CHECKOUT = (
    "add_to_cart",
    "view_cart",
    "begin_checkout",
    "add_shipping_info",
    "add_payment_info",
)
LEFT = "(left the site)"


# --------------------------------------------------------------------------- drop-off


def _dropped(log: EventLog, steps: Sequence[StepSpec], options: dict) -> ir.Table:
    """Attempts that reached step k but not k+1: ``a_id``, ``step_index``, ``t``, ``r``."""
    spec = funnel_spec(log, steps, **funnel_defaults(options))
    a = funnel_match.match_attempts(funnel_match.narrow_log(log, spec), spec, 1).cache()
    parts = [
        a.filter(a[f"T{k}"].notnull() & a[f"T{k + 1}"].isnull()).select(
            "a_id", step_index=ibis.literal(k, "int64"), t=a[f"T{k}"], r=a[f"R{k}"]
        )
        for k in range(1, len(spec.steps))
    ]
    return ibis.union(*parts)


def _after_drop(log: EventLog, steps: Sequence[StepSpec], options: dict) -> ir.Table:
    """Each drop-out with the next event in the same session and the session's end."""
    ev = log.table
    d = _dropped(log, steps, options)
    session = ev[SESSION_KEY] if SESSION_KEY in ev.columns else ev.session_id
    anchor = ev.select(_r=ev[ROW_ID], uk=ev[USER_KEY], sid=ev.session_id, part=session)
    d = d.join(anchor, d.r == anchor._r)
    on_site = ev.filter(ev.session_id.notnull())
    later = on_site.select(USER_KEY, "session_id", "event", "event_time", ROW_ID)
    after = (later.event_time > d.t) | ((later.event_time == d.t) & (later[ROW_ID] > d.r))
    j = d.join(later, [d.uk == later[USER_KEY], d.sid == later.session_id, after])
    nxt = j.group_by(["a_id", "step_index"]).aggregate(
        next_event=first_in_order(j.event, [j.event_time, j[ROW_ID]], include_null=False),
        end=j.event_time.max(),
    )
    out = d.left_join(nxt, [d.a_id == nxt.a_id, d.step_index == nxt.step_index])
    return out.select(
        d.a_id,
        d.step_index,
        next_event=out.next_event.fill_null(LEFT),
        seconds=out.end.delta(d.t, unit="second").fill_null(0),
        user_key=d.uk,
        session=d.part,
        step_time=d.t,
        step_row=d.r,
    )


def dropouts(
    events: EventLog | pd.DataFrame, steps: Sequence[StepSpec], **options: Any
) -> ir.Table:
    """Every funnel drop-out with what came after it, found once (held by the engine).

    Funnel options as in :func:`journeylib.funnel`. Pass the result as ``dropouts`` to
    :func:`drop_off_next` and :func:`time_before_leaving` (with the same ``steps``), which
    then only count it, and to :func:`journeylib.paths` to follow the drop-outs further.
    Columns: ``a_id`` (attempt), ``step_index`` (the last step reached), ``next_event`` (next
    event of the session, ``"(left the site)"`` when none), ``seconds`` (from the step to the
    end of the session), and the step's event: ``user_key``, ``session`` (``session_key``
    when the log has it, else ``session_id``), ``step_time``, ``step_row`` (its ``row_id``).
    """
    return _after_drop(as_eventlog(events), steps, options).cache()


def drop_off_next(
    events: EventLog | pd.DataFrame,
    steps: Sequence[StepSpec],
    *,
    top: int = 5,
    dropouts: ir.Table | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Where people go after dropping out of a funnel, per step.

    An attempt drops at step k when it reached step k but not k+1 (funnel options as in
    :func:`journeylib.funnel`). Its next event is the next one in the same session after the
    step-k event (``"(left the site)"`` when there is none).

    Returns
    -------
    DataFrame: ``step_index``, ``step``, ``next_event``, ``count``, ``share`` (of that
    step's drop-outs), the ``top`` most frequent per step. ``dropouts``: :func:`dropouts`
    of the same events, steps and options, when already found.
    """
    t = _after_drop(as_eventlog(events), steps, options) if dropouts is None else dropouts
    g = t.group_by(["step_index", "next_event"]).aggregate(count=t.count()).to_pandas()
    g["share"] = g["count"] / g.groupby("step_index")["count"].transform("sum")
    g = g.sort_values(["step_index", "count", "next_event"], ascending=[True, False, True])
    g = g.groupby("step_index").head(top).reset_index(drop=True)
    g.insert(1, "step", g.step_index.map(_labels(steps)))
    return g


def time_before_leaving(
    events: EventLog | pd.DataFrame,
    steps: Sequence[StepSpec],
    *,
    dropouts: ir.Table | None = None,
    **options: Any,
) -> pd.DataFrame:
    """How long drop-outs stay after their last funnel step (to the end of that session).

    Returns
    -------
    DataFrame: ``step_index``, ``step``, ``dropped`` (attempts), ``median_seconds``,
    ``share_left_at_once`` (no later event in the session). ``dropouts``: :func:`dropouts`
    of the same events, steps and options, when already found.
    """
    t = _after_drop(as_eventlog(events), steps, options) if dropouts is None else dropouts
    g = t.group_by("step_index").aggregate(
        dropped=t.count(),
        median_seconds=t.seconds.median(),
        share_left_at_once=(t.next_event == LEFT).mean(),
    )
    out = g.order_by("step_index").to_pandas()
    out.insert(1, "step", out.step_index.map(_labels(steps)))
    return out


def _labels(steps: Sequence[StepSpec]) -> dict[int, str]:
    return {i: as_step(s).name for i, s in enumerate(steps, 1)}


# --------------------------------------------------------------------------- carts


def _cart_sessions(log: EventLog, by: str | None) -> ir.Table:
    t = log.table.filter(log.table.session_id.notnull())
    aggs = {s: (t.event == s).any() for s in CHECKOUT}
    aggs |= {"bought": (t.event == PURCHASE).any(), "end": t.event_time.max()}
    if by:
        t = with_derived(t, [by])
        aggs["segment"] = first_in_order(t[by], [t.event_time, t[ROW_ID]], include_null=False)
    s = t.group_by([USER_KEY, "session_id"]).aggregate(**aggs)
    return s.filter(s[CHECKOUT[0]])


def cart_abandonment(events: EventLog | pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Cart abandonment overall and per checkout step (a session is the unit).

    A cart session has an ``add_to_cart``; it is abandoned when it has no ``purchase``.

    Parameters
    ----------
    by
        A session attribute (first non-null value in the session: ``channel``, ``device``,
        ``variant``...) or ``first_channel``/``first_device``/``cohort``.

    Returns
    -------
    DataFrame: [``by``], ``step`` (the checkout steps of :data:`CHECKOUT`), ``sessions``
    (cart sessions reaching the step), ``abandoned`` (of those, without a purchase),
    ``abandonment_rate``, ``left_here`` (abandoned sessions whose furthest step this is),
    ``share_of_abandoned``. The ``add_to_cart`` row is overall cart abandonment.
    """
    log = as_eventlog(events)
    s = _cart_sessions(log, by)
    keys = [s.segment.fill_null("(none)").name(by)] if by else []
    furthest = ibis.cases(*[(s[c], i) for i, c in reversed(list(enumerate(CHECKOUT)))])
    s = s.mutate(furthest=furthest)
    aggs = {}
    for i, c in enumerate(CHECKOUT):
        aggs[f"n{i}"] = s[c].sum()
        aggs[f"a{i}"] = (s[c] & ~s.bought).sum()
        aggs[f"l{i}"] = ((s.furthest == i) & ~s.bought).sum()
    wide = (s.group_by(keys) if keys else s).aggregate(**aggs).to_pandas()
    rows = []
    for i, c in enumerate(CHECKOUT):
        part = wide[[by]].copy() if by else pd.DataFrame(index=wide.index)
        part["step"] = c
        part["sessions"], part["abandoned"], part["left_here"] = (
            wide[f"{p}{i}"].fillna(0).astype("int64") for p in "nal"
        )
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["abandonment_rate"] = out.abandoned / out.sessions.where(out.sessions > 0)
    total = out.groupby(by)["left_here"].transform("sum") if by else out.left_here.sum()
    out["share_of_abandoned"] = out.left_here / total
    cols = [
        "step",
        "sessions",
        "abandoned",
        "abandonment_rate",
        "left_here",
        "share_of_abandoned",
    ]
    return out[[*([by] if by else []), *cols]]


@dataclass(frozen=True)
class Recovery:
    """What :func:`cart_recovery` found.

    ``by_contact``: ``contacted`` (bool), ``abandoned`` (sessions), ``recovered``,
    ``recovery_rate``, ``median_hours_to_recover``. ``by_channel``: ``channel`` of the
    session the recovering purchase came through, ``recovered``, ``share``.
    """

    by_contact: pd.DataFrame
    by_channel: pd.DataFrame
    days: int


def cart_recovery(
    events: EventLog | pd.DataFrame,
    *,
    days: int = 7,
    contact: StepSpec = "email_click",
) -> Recovery:
    """Abandoned carts bought later: how often, how fast, through which channel, and whether
    an e-mail contact after abandoning goes with recovery.

    An abandoned cart is a session with ``add_to_cart`` and no ``purchase``, ending at its
    last event. It is recovered when the user has a ``purchase`` in (end, end + ``days``];
    it was contacted when the user has a ``contact`` event (a funnel step, e.g.
    ``("email_click", {"campaign": "abandoned_cart"})``) in the same interval.
    """
    log = as_eventlog(events)
    ab = _cart_sessions(log, None)
    ab = ab.filter(~ab.bought).select(uk=ab[USER_KEY], sid=ab.session_id, end=ab.end)
    ev = log.table
    horizon = ibis.interval(days, unit="D")
    cols = {"channel": ev.channel} if "channel" in ev.columns else {}
    buys = ev.filter(ev.event == PURCHASE).select(USER_KEY, "event_time", ROW_ID, **cols)
    j = ab.join(
        buys,
        [
            ab.uk == buys[USER_KEY],
            buys.event_time > ab.end,
            buys.event_time <= ab.end + horizon,
        ],
    )
    order = [j.event_time, j[ROW_ID]]
    aggs = {"bought_at": j.event_time.min()}
    if cols:
        aggs["channel"] = first_in_order(j.channel, order, include_null=False)
    rec = j.group_by(["uk", "sid"]).aggregate(**aggs)
    c = as_step(contact)
    touches = ev.filter(c.matches(ev)).select(cu=ev[USER_KEY], ct=ev.event_time)
    k = ab.join(
        touches,
        [ab.uk == touches.cu, touches.ct > ab.end, touches.ct <= ab.end + horizon],
    )
    hit = k.select(_u=k.uk, _s=k.sid).distinct()
    out = ab.left_join(rec, [ab.uk == rec.uk, ab.sid == rec.sid]).select(
        ab.uk, ab.sid, ab.end, *rec.columns[2:]
    )
    out = out.left_join(hit, [out.uk == hit._u, out.sid == hit._s])
    out = out.mutate(
        contacted=out._u.notnull(),
        recovered=out.bought_at.notnull(),
        hours=out.bought_at.delta(out.end, unit="second") / 3600,
    )
    g = out.group_by("contacted").aggregate(
        abandoned=out.count(),
        recovered=out.recovered.sum(),
        median_hours_to_recover=out.hours.median(),
    )
    by_contact = g.order_by("contacted").to_pandas()
    by_contact["recovery_rate"] = by_contact.recovered / by_contact.abandoned
    by_channel = pd.DataFrame(columns=["channel", "recovered", "share"])
    if cols:
        r = out.filter(out.recovered)
        by_channel = r.group_by(ch=r.channel.fill_null("(none)")).aggregate(recovered=r.count())
        by_channel = by_channel.order_by(ibis.desc("recovered")).to_pandas()
        by_channel = by_channel.rename(columns={"ch": "channel"})
        by_channel["share"] = by_channel.recovered / by_channel.recovered.sum()
    cols_out = [
        "contacted",
        "abandoned",
        "recovered",
        "recovery_rate",
        "median_hours_to_recover",
    ]
    return Recovery(by_contact=by_contact[cols_out], by_channel=by_channel, days=days)


# --------------------------------------------------------------------------- returns


def returns(events: EventLog | pd.DataFrame, *, by: str = "category") -> pd.DataFrame:
    """Refunded (returned or cancelled) orders and revenue lost, per ``by``.

    Orders are ``purchase`` events (one per order); an order is refunded when a ``refund``
    event carries its ``order_id``; revenue lost is minus the refunds' (negative) revenue.

    Parameters
    ----------
    by
        A column of the purchase event (``category``, ``channel``, ``device``...) or
        ``first_channel``/``first_device``/``cohort`` (month of the user's first event).

    Raises
    ------
    NotComputable
        When the log has no ``order_id`` or ``revenue`` column, or ``by`` (or the column a
        ``first_`` split reads) is missing.

    Returns
    -------
    DataFrame: ``by``, ``orders``, ``refunded``, ``refund_rate``, ``revenue``,
    ``revenue_lost``, ``share_of_revenue_lost``; most refunded first.
    """
    log = as_eventlog(events)
    for col in ("order_id", "revenue"):
        if not log.has(col):
            raise NotComputable(
                f"the log has no {col!r} column: refunds cannot be matched to orders"
            )
    t = with_derived(log.table, [by])
    buys = t.filter(t.event == PURCHASE)
    refunds = t.filter(t.event == REFUND)
    lost = refunds.group_by(oid=refunds.order_id).aggregate(lost=-refunds.revenue.sum())
    j = buys.left_join(lost, buys.order_id == lost.oid)
    g = j.group_by(j[by].fill_null("(none)").name(by)).aggregate(
        orders=j.count(),
        refunded=j.oid.notnull().sum(),
        revenue=j.revenue.sum(),
        revenue_lost=j.lost.sum().fill_null(0.0),
    )
    out = g.to_pandas()
    out["refund_rate"] = out.refunded / out.orders
    out["share_of_revenue_lost"] = out.revenue_lost / out.revenue_lost.sum()
    cols = [
        by,
        "orders",
        "refunded",
        "refund_rate",
        "revenue",
        "revenue_lost",
        "share_of_revenue_lost",
    ]
    return out.sort_values("refund_rate", ascending=False, ignore_index=True)[cols]
