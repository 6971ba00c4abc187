"""Best customers: who they are, how their journey differs, who is on that path now.

docs/domain.md, "the best-customer journey, to replicate": best customers are the most loyal (most
purchases, highest CLV, longest lifespan); find the path they took and lead more people down
it. :func:`~journeylib.best.ranking.best_customers` picks them, :func:`profile` answers the
six question groups best vs rest, :func:`~journeylib.best.patterns.early_patterns` finds what
they did early, and :func:`~journeylib.best.on_the_path.on_the_path` lists the customers who
look like them now.

CLV comes from the caller (a frame with ``user_id``, ``clv``, ``p_alive``,
``expected_orders``, e.g. from the CLV models); without it historical value is used and the
output says so.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import pandas as pd

from ..engine.backend import engine_guard
from ..engine.eventlog import EventLog
from ..engine.intervals import wilson
from ..engine.ordered import first_in_order
from ..engine.schema import PURCHASE, ROW_ID
from ..engine.sessions import session_table
from . import _stats as st
from .crosssell import email_driven_purchases
from .early_journeys import best_ids, prepared_journeys
from .early_journeys import column_or_null as _col
from .ranking import HISTORICAL


@engine_guard
def customer_facts(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """One row per customer (user with a purchase): everything :func:`profile` compares.

    Columns: ``user_id``, ``first_seen``, ``last_seen``, ``first_channel``, ``first_device``
    (of the first on-site event), ``first_touchpoint`` (first event that is not
    ``session_start``/``first_visit``; a page view as ``page: <type>``), ``first_purchase``,
    ``first_category``, ``orders`` (purchase events), ``purchase_revenue``, ``net_revenue``
    (sum of revenue, refunds negative), ``last_purchase``, ``products_before``,
    ``sessions_before``, ``active_days_before`` (before the first purchase event),
    ``days_to_first_order``, ``reviewed``/``referred``/``shared`` (ever), ``next_visit_days``
    and ``next_visit_channel`` (first session starting after the first order, NaN if none),
    ``email_orders`` (e-mail-driven purchases), ``tenure_days`` (first order to last event).
    """
    log = prepared_journeys(events)
    t = log.table
    order = [t.event_time, t[ROW_ID]]
    pur = t.filter(t.event == PURCHASE)
    porder = [pur.event_time, pur[ROW_ID]]
    fp = pur.group_by("user_id").aggregate(
        first_purchase=pur.event_time.min(),
        last_purchase=pur.event_time.max(),
        first_category=first_in_order(_col(pur, "category"), porder, include_null=False),
        _fp_session=first_in_order(pur.session_id, porder, include_null=False),
        orders=pur.count(),
        purchase_revenue=_col(pur, "revenue", "float64").sum(),
    )
    on = t.session_id.notnull()
    touch = ibis.cases(
        (t.event.isin(["session_start", "first_visit"]), ibis.null("string")),
        (t.event == "page_view", ibis.literal("page: ").concat(_col(t, "page_type"))),
        else_=t.event,
    )
    users = t.group_by("user_id").aggregate(
        first_seen=t.event_time.min(),
        last_seen=t.event_time.max(),
        first_channel=first_in_order(_col(t, "channel"), order, include_null=False, where=on),
        first_device=first_in_order(_col(t, "device"), order, include_null=False, where=on),
        first_touchpoint=first_in_order(touch, order, include_null=False),
        net_revenue=_col(t, "revenue", "float64").sum().fill_null(0.0),
        reviewed=(t.event == "write_review").any(),
        referred=(t.event == "refer_friend").any(),
        shared=(t.event == "share").any(),
    )
    facts = _left(fp.join(users, "user_id"), _before(t, fp))
    facts = _left(facts, _next_visit(log, fp))
    email = email_driven_purchases(log)
    facts = _left(facts, email.group_by("user_id").aggregate(email_orders=email.email_driven.sum()))
    out = facts.to_pandas().drop(columns=["_fp_session"])
    return _derived(out)


def _left(a, b):
    """``a`` left-joined with ``b`` on ``user_id``, keeping one ``user_id``."""
    j = a.left_join(b, "user_id")
    return j.select(*a.columns, *[c for c in b.columns if c != "user_id"])


def _before(t, fp):
    j = t.join(fp.select("user_id", "first_purchase"), "user_id")
    j = j.filter(j.event_time < j.first_purchase)
    return j.group_by("user_id").aggregate(
        products_before=_col(j, "product_id").nunique(),
        sessions_before=j.session_id.nunique(),
        active_days_before=j.event_time.date().nunique(),
    )


def _next_visit(log: EventLog, fp):
    # the buyers' sessions only (numbered per user, so the same as in the whole log)
    buyers = log.replace(table=log.table.semi_join(fp.select("user_id"), "user_id"))
    s = session_table(buyers)
    j = s.join(fp.select("user_id", "first_purchase", "_fp_session"), "user_id")
    j = j.filter((j.start > j.first_purchase) & (j.session_id != j._fp_session.fill_null("")))
    # session_number orders sessions by start, then first row: ties on start are broken
    channel = first_in_order(_col(j, "channel"), j.session_number, include_null=False)
    return j.group_by("user_id").aggregate(next_visit=j.start.min(), next_visit_channel=channel)


def _derived(f: pd.DataFrame) -> pd.DataFrame:
    day = pd.Timedelta(days=1)
    f["days_to_first_order"] = (f.first_purchase - f.first_seen) / day
    f["next_visit_days"] = (f.next_visit - f.first_purchase) / day
    f["tenure_days"] = (f.last_seen - f.first_purchase) / day
    repeat = f.orders > 1
    gap = (f.last_purchase - f.first_purchase) / day / (f.orders - 1).where(repeat)
    f["days_between_orders"] = gap
    for c in ("products_before", "sessions_before", "active_days_before", "email_orders"):
        f[c] = f[c].fillna(0).astype("int64")
    return f.drop(columns=["next_visit"]).sort_values("user_id", ignore_index=True)


def who_they_are(
    events: EventLog | pd.DataFrame,
    best: pd.DataFrame | Iterable[str],
    *,
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Best customers' share of customers, of net revenue and of orders.

    ``facts``: :func:`customer_facts` of the same events, when already computed.
    Returns ``metric``, ``best``, ``all``, ``share`` (best / all).
    """
    f = customer_facts(events) if facts is None else facts
    is_best = f.user_id.isin(best_ids(best))
    rows = [
        ("customers", float(is_best.sum()), float(len(f))),
        ("net revenue", f.net_revenue[is_best].sum(), f.net_revenue.sum()),
        ("orders", float(f.orders[is_best].sum()), float(f.orders.sum())),
    ]
    out = pd.DataFrame(rows, columns=["metric", "best", "all"])
    out["share"] = out.best / out["all"].where(out["all"] != 0)
    return out


def channel_quality(
    events: EventLog | pd.DataFrame, *, facts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Which first channels bring loyal customers: repeat rate and value per first channel.

    ``facts``: :func:`customer_facts` of the same events, when already computed.

    Returns one row per first channel (of the customer's first on-site event): ``channel``,
    ``customers``, ``repeat_customers`` (2+ purchases), ``repeat_rate`` with a 95 % Wilson
    interval (``ci_low``, ``ci_high``), ``net_revenue_per_customer``, highest repeat rate first.
    """

    f = customer_facts(events) if facts is None else facts.copy()
    f["channel"] = f.first_channel.fillna("(none)")
    out = f.groupby("channel").agg(
        customers=("user_id", "size"),
        repeat_customers=("orders", lambda o: int((o > 1).sum())),
        net_revenue_per_customer=("net_revenue", "mean"),
    )
    out["repeat_rate"] = out.repeat_customers / out.customers
    out["ci_low"], out["ci_high"] = wilson(out.repeat_customers, out.customers)
    out = out.reset_index().sort_values("repeat_rate", ascending=False, ignore_index=True)
    cols = ["channel", "customers", "repeat_customers", "repeat_rate", "ci_low", "ci_high"]
    return out[[*cols, "net_revenue_per_customer"]]


def profile(
    events: EventLog | pd.DataFrame,
    best: pd.DataFrame | Iterable[str],
    *,
    clv: pd.DataFrame | None = None,
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Best customers vs the other customers on docs/domain.md's six question groups.

    Parameters
    ----------
    events
        The event log.
    best
        The best customers (:func:`best_customers` or ids); the rest = the other customers.
    clv
        Optional frame with ``user_id``, ``clv``, ``p_alive``, ``expected_orders`` from a CLV
        model. Without it the CLV and lifecycle rows use historical values (net revenue so
        far, tenure so far, orders so far) and their ``note`` says so.
    facts
        :func:`customer_facts` of the same events, when already computed.

    Returns
    -------
    Tidy DataFrame, one row per question and metric: ``group`` (1-6), ``question``,
    ``metric``, ``unit`` (share, count, days, currency), ``best``, ``rest``, ``difference``
    (best - rest), ``ratio`` (best / rest), ``ci_low``/``ci_high`` (95 % interval of the
    difference), ``p_value``, ``test`` (see :mod:`journeylib.best._stats` for the test used
    per kind of metric), ``n_best``, ``n_rest``, ``note``. Categorical questions (channel,
    device, category...) give one share row per value.
    """
    f = customer_facts(events) if facts is None else facts.copy()
    f = _with_clv(f, clv)
    b = f.user_id.isin(best_ids(best))
    pages = _pages_before(events, f)
    groups = [
        (1, "Which channels do they come from? What is their first interaction?", [
            *st.share_rows(f.first_channel, b, "first channel"),
            *st.share_rows(f.first_touchpoint, b, "first touchpoint"),
            *st.share_rows(f.first_device, b, "first device"),
        ]),
        (2, "What do they look at before buying?", [
            *[st.flag_row(pages[c], b, f"viewed before first order: {c}") for c in pages],
            st.mean_row(f.products_before, b, "products viewed before first order", "count"),
            st.mean_row(f.sessions_before, b, "sessions up to the first order", "count"),
            st.mean_row(f.active_days_before, b, "active days before first order", "days"),
        ]),
        (3, "How long until the first order? What do they buy first?", [
            st.median_row(f.days_to_first_order, b, "days from first visit to first order",
                          "days"),
            *st.share_rows(f.first_category, b, "first category bought"),
        ]),
        (4, "What feedback do they give? When and how do they come back?", [
            st.flag_row(f.reviewed, b, "wrote a review"),
            st.flag_row(f.referred, b, "referred a friend"),
            st.flag_row(f.shared, b, "shared"),
            st.flag_row(f.next_visit_days.notna(), b, "came back after the first order"),
            st.median_row(f.next_visit_days, b, "days from first order to next visit", "days"),
            *st.share_rows(f.next_visit_channel, b, "channel of the next visit"),
        ]),
        (5, "How often do they buy, thanks to emails? Order value? CLV?", [
            st.mean_row(f.orders, b, "orders", "count"),
            st.median_row(f.days_between_orders, b, "days between orders (repeat customers)",
                          "days"),
            st.ratio_row(f.email_orders, f.orders, b, "email-driven share of purchases",
                         "share"),
            st.ratio_row(f.purchase_revenue, f.orders, b, "average order value", "currency"),
            {**st.mean_row(f.clv, b, "CLV", "currency"), "note": f.attrs["clv_note"]},
        ]),
        (6, "What is their expected lifecycle, and how many orders in it?", _lifecycle(f, b)),
    ]  # fmt: skip
    frames = [pd.DataFrame(rows).assign(group=g, question=q) for g, q, rows in groups if rows]
    out = pd.concat(frames, ignore_index=True)
    out["note"] = out["note"].fillna("") if "note" in out else ""
    cols = ["group", "question", "metric", "unit", "best", "rest", "difference", "ratio",
            "ci_low", "ci_high", "p_value", "test", "n_best", "n_rest", "note"]  # fmt: skip
    return out[cols]


def _with_clv(f: pd.DataFrame, clv: pd.DataFrame | None) -> pd.DataFrame:
    if clv is None:
        f["clv"] = f.net_revenue
        f.attrs["clv_note"] = f"net revenue so far: {HISTORICAL}"
        return f
    keep = [c for c in ("user_id", "clv", "p_alive", "expected_orders") if c in clv.columns]
    f = f.merge(clv[keep], on="user_id", how="left")
    f.attrs["clv_note"] = "predicted CLV (CLV model)"
    return f


def _lifecycle(f: pd.DataFrame, b: pd.Series) -> list[dict]:
    if "p_alive" in f.columns:
        rows = [st.mean_row(f.p_alive, b, "P(alive) at the end of the data", "share")]
        if "expected_orders" in f.columns:
            rows.append(st.mean_row(f.expected_orders, b, "expected future orders", "count"))
        return [{**r, "note": "CLV model"} for r in rows]
    rows = [
        st.mean_row(f.tenure_days, b, "lifetime so far: first order to last visit", "days"),
        st.flag_row(f.orders > 1, b, "repeat customer (2+ orders)"),
    ]
    return [{**r, "note": HISTORICAL} for r in rows]


def _pages_before(events: EventLog | pd.DataFrame, f: pd.DataFrame) -> pd.DataFrame:
    """One bool column per page type: viewed before the customer's first purchase."""
    t = prepared_journeys(events).table
    if "page_type" not in t.columns:
        return pd.DataFrame(index=f.index)
    fp = ibis.memtable(f[["user_id", "first_purchase"]])
    j = t.filter(t.event == "page_view").join(fp, "user_id")
    j = j.filter((j.event_time < j.first_purchase) & j.page_type.notnull())
    seen = j.select("user_id", "page_type").distinct().to_pandas()
    wide = pd.crosstab(seen.user_id, seen.page_type).astype(bool)
    return wide.reindex(f.user_id, fill_value=False).set_axis(f.index)
