"""Which customers are best: the top share by value, with ties at the threshold broken.

:func:`best_customers` ranks customers (users with a purchase) by net revenue, orders, tenure
or CLV and keeps the top share; :func:`customer_values` gives every customer's value and
:func:`ties_note` the sentence a page shows when ties were broken.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE
from ..show.counts import counted
from .early_journeys import column_or_null as _col
from .early_journeys import prepared_journeys

MEASURES = ("revenue", "orders", "tenure", "clv")
#: Net revenue is rounded to this many decimals before customers are ranked by it.
REVENUE_DECIMALS = 6
HISTORICAL = "historical (no CLV model given)"


def best_customers(
    events: EventLog | pd.DataFrame,
    *,
    by: str = "revenue",
    top: float = 0.10,
    clv: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The best customers: the top share of customers by value.

    Parameters
    ----------
    events
        The event log.
    by
        ``"revenue"`` (net revenue: sum of revenue, refunds negative), ``"orders"`` (purchase
        events), ``"tenure"`` (days from the first order to the last event) or ``"clv"``
        (predicted CLV from ``clv``; historical net revenue when ``clv`` is None).
    top
        Share of customers (users with at least one purchase) to call best.
    clv
        Optional frame with ``user_id`` and ``clv`` (e.g. from the CLV models).

    Returns
    -------
    DataFrame of the best customers, highest value first: ``user_id``, ``value``, ``rank``,
    ``measure`` (what ``value`` is, saying "historical" when CLV was asked for but not
    given). Raises :class:`~journeylib.engine.cleaning.NotComputable` when the log has no purchases,
    or no ``revenue`` column for ``by="revenue"`` (every customer would tie at 0 and all be
    "best"). Convention: best = value >= the (1 - ``top``) quantile of customers' values
    (linear interpolation, as numpy); ties at the threshold are all best, so the share can
    exceed ``top`` for coarse measures such as orders, up to twice ``top``. Beyond that
    (174 of 193 customers with one order, say) the tied customers are ranked by net
    revenue, then recency of the last order, then tenure (:data:`TIE_BREAKERS`) and only
    enough of them to make up ``top`` are kept; ``best.attrs["ties"]`` then records it and
    :func:`ties_note` says it in words. When nothing tells the tied customers apart and the
    group would still hold more than twice ``top``, NotComputable says so.
    """
    if by not in MEASURES:
        raise ValueError(f"by must be one of {MEASURES}, got {by!r}")
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top!r}")
    values, measure = _values(events, by=by, clv=clv)
    if values.empty:
        raise NotComputable("the log has no purchase events: there are no customers to rank")
    threshold = values.value.quantile(1 - top)
    chosen = values.value >= threshold
    ties = None
    if chosen.sum() > _most(top, len(values)):
        chosen, ties = _break_ties(values, threshold, top)
    best = values[chosen].sort_values(["value", "user_id"], ascending=[0, 1], ignore_index=True)
    best["rank"] = np.arange(1, len(best) + 1)
    best["measure"] = measure
    best = best[["user_id", "value", "rank", "measure"]]
    if ties is not None:
        best.attrs["ties"] = ties
    return best


#: What breaks ties at the threshold, in turn (larger first): net revenue, the time of the
#: last order (recency), the days from the first order to the last event (tenure).
TIE_BREAKERS = ("net", "last_order", "tenure")
_TIE_WORDS = {"net": "net revenue", "last_order": "recency", "tenure": "tenure"}


def _most(top: float, customers: int) -> float:
    """The most best customers ties may make: twice the asked share (at least one)."""
    return max(2 * top * customers, 1)


def _break_ties(values: pd.DataFrame, threshold: float, top: float) -> tuple[pd.Series, dict]:
    """Which customers are best when ties at ``threshold`` would make the group more than
    twice the asked share: those above it, then the tied ones in :data:`TIE_BREAKERS` order
    up to ``top`` of all customers (a customer equal on every key to the last one taken is
    taken too). Raises NotComputable when the group still holds more than twice the share."""
    target = max(1, round(top * len(values)))
    above = values.value > threshold
    tied = values[values.value == threshold]
    usable = [k for k in TIE_BREAKERS if tied[k].nunique(dropna=False) > 1]
    order = tied.sort_values([*TIE_BREAKERS, "user_id"], ascending=[0, 0, 0, 1])
    room = max(target - int(above.sum()), 0)
    taken = order.head(room)
    if room and usable:
        last = taken[list(TIE_BREAKERS)].iloc[-1]
        same = (order[list(TIE_BREAKERS)] == last).all(axis=1)
        taken = order[order.index.isin(taken.index) | same]
    chosen = above | values.index.isin(taken.index if usable else tied.index)
    if chosen.sum() > _most(top, len(values)):
        raise NotComputable(
            f"{len(tied):,} of the {len(values):,} customers tie at the threshold and nothing "
            "in the log (net revenue, recency, tenure) tells them apart: no group of best "
            "customers can be named"
        )
    ties = {
        "customers": len(values),
        "tied": len(tied),
        "kept": int(chosen.sum() - above.sum()),
        "best": int(chosen.sum()),
        "threshold": float(threshold),
        "broken_by": [_TIE_WORDS[k] for k in usable],
    }
    return chosen, ties


def ties_note(best: pd.DataFrame) -> str | None:
    """The sentence a page shows when :func:`best_customers` broke ties, else None.

    Examples
    --------
    "174 of 193 customers tied at the threshold (1 order); ties were broken by net revenue,
    then recency, then tenure, keeping 19 of them: 19 best customers (10 % of 193)."
    """
    ties = best.attrs.get("ties")
    if not ties:
        return None
    measure = str(best["measure"].iloc[0]) if len(best) else "value"
    by = ", then ".join(ties["broken_by"])
    return (
        f"{ties['tied']:,} of {ties['customers']:,} customers tied at the threshold "
        f"({ties['threshold']:,.4g} by {measure}): so many that all of them would be best, "
        f"so ties were broken by {by}, keeping {ties['kept']:,} of them "
        f"({counted(ties['best'], 'best customer')}, "
        f"{ties['best'] / ties['customers']:.0%} of all)."
    )


def customer_values(
    events: EventLog | pd.DataFrame, *, by: str = "revenue", clv: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, str]:
    """Every customer's value under ``by`` (``user_id``, ``value``) and what it measures."""
    values, measure = _values(events, by=by, clv=clv)
    return values[["user_id", "value"]], measure


def _values(
    events: EventLog | pd.DataFrame, *, by: str, clv: pd.DataFrame | None
) -> tuple[pd.DataFrame, str]:
    """:func:`customer_values` with the :data:`TIE_BREAKERS` columns."""
    log = as_eventlog(events)
    # prepared_journeys adds the optional columns a log lacks as NULL: ask the log itself
    if by in ("revenue", "clv") and clv is None and not log.has("revenue"):
        raise NotComputable(
            f"the log has no 'revenue' column: customers cannot be ranked by {by}; "
            "use by='orders' or by='tenure'"
        )
    t = prepared_journeys(log).table
    is_purchase = t.event == PURCHASE
    per_user = t.group_by("user_id").aggregate(
        net=_col(t, "revenue", "float64").sum().fill_null(0.0),
        orders=is_purchase.sum(),
        first_order=t.event_time.min(where=is_purchase),
        last_order=t.event_time.max(where=is_purchase),
        last=t.event_time.max(),
    )
    v = per_user.filter(per_user.orders > 0).to_pandas()
    # a floating-point sum depends on the order the engine adds in (threads): rounded, equal
    # revenues tie (then ranked by user id) in every run instead of differing in the last bit
    v["net"] = v["net"].round(REVENUE_DECIMALS)
    v["tenure"] = (v["last"] - v["first_order"]) / pd.Timedelta(days=1)
    keys = ["user_id", *TIE_BREAKERS]
    if by == "clv" and clv is not None:
        c = v[keys].merge(clv[["user_id", "clv"]], on="user_id", how="left")
        return c.rename(columns={"clv": "value"}).fillna({"value": 0.0}), "predicted CLV"
    if by == "orders":
        return v.assign(value=v.orders.astype(float))[[*keys, "value"]], "orders"
    if by == "tenure":
        return v.assign(value=v.tenure)[[*keys, "value"]], "tenure, days"
    measure = "net revenue" if by == "revenue" else f"net revenue, {HISTORICAL}"
    return v.assign(value=v.net)[[*keys, "value"]], measure
