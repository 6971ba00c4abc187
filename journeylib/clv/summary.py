"""The engine side of :func:`journeylib.clv.rfm_summary`: ibis expressions on the purchases.

Private helpers: map an event log or a transaction table onto internal columns, net returns
into their orders, number time periods, and aggregate one row per customer (calibration and
holdout). Everything here builds ibis expressions; only the final summary is executed.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..engine.backend import default_backend
from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, REFUND

_UNIT_SECONDS = {"D": 86_400, "W": 7 * 86_400, "h": 3_600}


def transaction_table(
    transactions: EventLog | pd.DataFrame, customer: str, time: str, value: str | None
) -> tuple[ir.Table, Any, str, ir.Scalar]:
    """Internal columns ``_c, _t, _v, _o, _r`` (customer, time, value, order id, is return),
    the backend, the customer column's name and the last time in the input (all events)."""
    if isinstance(transactions, pd.DataFrame) and "event" in transactions.columns:
        transactions = as_eventlog(transactions)
    null_str, null_val = ibis.null().cast("string"), ibis.null().cast("float64")
    if isinstance(transactions, EventLog):
        t = transactions.table
        if value and value not in t.columns:
            raise NotComputable(f"the log has no {value!r} column: spend cannot be measured")
        last = t[time].max()
        t = t.filter(t.event.isin([PURCHASE, REFUND]))
        t = t.select(
            _c=t[customer],
            _t=t[time],
            _v=t[value].cast("float64") if value else null_val,
            _o=t.order_id.cast("string") if "order_id" in t.columns else null_str,
            _r=t.event == REFUND,
        )
        return t, transactions.backend, customer, last
    if not isinstance(transactions, pd.DataFrame):
        raise TypeError(f"expected an EventLog or a DataFrame, got {type(transactions).__name__}")
    missing = [c for c in (customer, time, value) if c and c not in transactions.columns]
    if missing:
        raise ValueError(
            f"columns {missing} not in the transactions ({list(transactions.columns)})"
        )
    cols = [customer, time, *([value] if value else [])]
    raw = transactions[cols].copy()
    raw[time] = pd.to_datetime(raw[time]).dt.as_unit("us")  # DuckDB keeps microseconds
    t = ibis.memtable(raw.rename(columns={customer: "_c", time: "_t"}))
    v = t[value].cast("float64") if value else null_val
    t = t.select("_c", "_t", _v=v, _o=null_str, _r=(v < 0).fill_null(False))
    return t, default_backend(), customer, t._t.max()


def bounded_period(when: Any, default: Any, t: ir.Table) -> pd.Timestamp:
    """A time bound as a Timestamp with the time column's time zone (UTC or naive)."""
    ts = pd.Timestamp(default if when is None else when)
    aware = t._t.type().timezone is not None
    if aware and ts.tzinfo is None:
        return ts.tz_localize("UTC")
    if not aware and ts.tzinfo is not None:
        return ts.tz_convert("UTC").tz_localize(None)
    return ts


def summary_period(ts: ir.TimestampValue, freq: str) -> ir.IntegerValue:
    """Integer period number of ``ts``: days/hours since 1970, Monday weeks, or months."""
    if freq == "M":
        return ts.year() * 12 + ts.month() - 1
    if freq == "W":
        return (ts.epoch_seconds() // 86_400 + 3) // 7
    if freq in _UNIT_SECONDS:
        return ts.epoch_seconds() // _UNIT_SECONDS[freq]
    raise ValueError(f"freq must be one of D, W, h, M; got {freq!r}")


def period_of(ts: pd.Timestamp, freq: str) -> int:
    """:func:`summary_period` of one timestamp, in Python (naive times are taken as UTC)."""
    if freq == "M":
        return ts.year * 12 + ts.month - 1
    seconds = int((ts.tz_localize(None) if ts.tzinfo else ts).value // 1_000_000_000)
    if freq == "W":
        return (seconds // 86_400 + 3) // 7
    if freq in _UNIT_SECONDS:
        return seconds // _UNIT_SECONDS[freq]
    raise ValueError(f"freq must be one of D, W, h, M; got {freq!r}")


def net_returns(
    t: ir.Table, con: Any, cal: pd.Timestamp, obs: pd.Timestamp, how: str
) -> tuple[ir.Table, dict[str, float]]:
    """Purchases with returns netted into their order (or fully refunded ones dropped)."""
    purchases, refunds = t.filter(~t._r), t.filter(t._r & (t._t <= obs))
    linked = refunds.filter(refunds._o.notnull())
    per_order = linked.group_by(["_c", "_o"]).aggregate(
        _by_cal=linked._v.sum(where=linked._t <= cal),
        _n_cal=(linked._t <= cal).sum(),
        _by_obs=linked._v.sum(),
        _n_obs=linked.count(),
    )
    j = purchases.left_join(per_order, ["_c", "_o"])
    in_cal = j._t <= cal
    refunded = ibis.ifelse(in_cal, j._by_cal, j._by_obs).fill_null(0.0)
    n_ret = ibis.ifelse(in_cal, j._n_cal, j._n_obs).fill_null(0)
    net = j._v + refunded
    full = (n_ret > 0) & (j._v.isnull() | (net <= 1e-9 * j._v.abs()))
    j = j.select("_c", "_t", "_o", _v=net, _full=full)
    stats = con.execute(j.aggregate(purchases=j.count(), fully=j._full.sum().fill_null(0))).iloc[0]
    rstats = con.execute(
        refunds.aggregate(
            n=refunds.count(), linked=refunds._o.notnull().sum(), value=refunds._v.sum()
        )
    ).iloc[0]
    counts = {
        "purchases": int(stats.purchases),
        "returns": int(rstats.n),
        "returns linked to their order": int(rstats.linked or 0),
        "returns without an order id (excluded)": int(rstats.n) - int(rstats.linked or 0),
        "returned value": float(rstats.value) if pd.notna(rstats.value) else 0.0,
        "orders refunded in full": int(stats.fully),
        "orders dropped as refunded": int(stats.fully) if how == "drop" else 0,
    }
    if how == "drop":
        j = j.filter(~j._full)
    return j.select("_c", "_t", "_v"), counts


def customer_rows(purchases: ir.Table, p_end: int) -> ir.Table:
    """One row per customer from purchases in the (calibration) period."""
    per = purchases.group_by(["_c", "_p"]).aggregate(_v=purchases._v.sum())
    cust = per.group_by("_c").aggregate(
        _first=per._p.min(),
        _last=per._p.max(),
        _n=per.count(),
        _sum=per._v.sum(),
        _at_first=per._v.argmin(per._p),
    )
    repeats = cust._n - 1
    return cust.select(
        "_c",
        frequency=repeats.cast("float64"),
        recency=(cust._last - cust._first).cast("float64"),
        T=(ibis.literal(p_end) - cust._first).cast("float64"),
        monetary_value=ibis.ifelse(
            repeats > 0, (cust._sum - cust._at_first) / repeats, 0.0
        ).fill_null(0.0),
    )


def with_holdout(cal: ir.Table, holdout: ir.Table) -> ir.Table:
    per = holdout.group_by(["_c", "_p"]).aggregate(_v=holdout._v.sum())
    hold = per.group_by("_c").aggregate(
        frequency_holdout=per.count(), monetary_value_holdout=per._v.mean()
    )
    j = cal.left_join(hold, "_c")
    return j.select(
        *cal.columns,
        frequency_holdout=j.frequency_holdout.fill_null(0).cast("float64"),
        monetary_value_holdout=j.monetary_value_holdout.fill_null(0.0),
    )
