"""Shopping habits of best customers: what they buy together, what first, and through email.

docs/domain.md: "products bought together (cross-sell)", "communication preference: whether people
open emails, buy through email", and question 5 of the best-customer journey ("do they buy
thanks to emails?").
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.durations import parse_duration
from ..engine.eventlog import EventLog
from ..engine.ordered import first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, ROW_ID
from .early_journeys import best_ids

EMAIL_CLICK = "email_click"


def email_driven_purchases(events: EventLog | pd.DataFrame, *, within: str = "24h") -> ir.Table:
    """Every purchase with ``email_driven``: made in an email session or after an email click.

    A purchase is e-mail-driven when its own ``channel`` is ``email`` (an email-sourced
    session; the channel is the session's) or the same user has an ``email_click`` in
    [purchase time - ``within``, purchase time]. Returns an ibis table: ``user_id``,
    ``row_id``, ``event_time``, ``revenue``, ``email_driven`` (bool).
    """
    t = as_eventlog(events).table
    pur = t.filter(t.event == PURCHASE)
    revenue = pur.revenue if "revenue" in t.columns else ibis.literal(None, "float64")
    own = (pur.channel == "email").fill_null(False) if "channel" in t.columns else False
    pur = pur.select("user_id", ROW_ID, "event_time", revenue=revenue, _own=own)
    clicks = t.filter(t.event == EMAIL_CLICK).select("user_id", _click=t.event_time)
    span = parse_duration(within, name="within")
    j = pur.join(clicks, "user_id")
    hit = j.filter((j._click <= j.event_time) & (j._click >= j.event_time - span))
    hit = hit.select(ROW_ID).distinct().mutate(_hit=ibis.literal(True))
    out = pur.left_join(hit, ROW_ID)
    return out.select(
        "user_id",
        ROW_ID,
        "event_time",
        "revenue",
        email_driven=out._own | out._hit.fill_null(False),
    )


def communication_preference(
    events: EventLog | pd.DataFrame, best: pd.DataFrame | Iterable[str], *, within: str = "24h"
) -> pd.DataFrame:
    """Share of purchases that are e-mail-driven, best customers vs the rest.

    Returns ``group`` (best, rest), ``purchases``, ``email_driven``, ``share``.
    """
    p = email_driven_purchases(events, within=within).to_pandas()
    p["group"] = p.user_id.isin(best_ids(best)).map({True: "best", False: "rest"})
    out = p.groupby("group").agg(purchases=("row_id", "size"), email_driven=("email_driven", "sum"))
    out = out.reindex(["best", "rest"]).fillna(0).reset_index()
    out["share"] = out.email_driven / out.purchases.where(out.purchases > 0)
    return out


def _baskets(events: EventLog | pd.DataFrame, level: str) -> pd.DataFrame:
    """Distinct (user_id, item) bought: the ``level`` value of purchase events."""
    t = as_eventlog(events).table
    if level not in t.columns:
        raise NotComputable(f"the log has no {level!r} column: no baskets to compare")
    pur = t.filter((t.event == PURCHASE) & t[level].notnull())
    return pur.select("user_id", item=pur[level]).distinct().to_pandas()


def bought_together(
    events: EventLog | pd.DataFrame,
    best: pd.DataFrame | Iterable[str] | None = None,
    *,
    level: str = "category",
    min_support: float = 0.01,
) -> pd.DataFrame:
    """Items bought by the same customer (association rules A -> B), best customers vs all.

    The basket is the customer (everything they bought over the period), since an order in
    many logs names only its first product. ``level`` is ``category`` or ``product_id``.

    Returns one row per group (``all``, and ``best`` when ``best`` is given) and ordered pair:
    ``group``, ``antecedent``, ``consequent``, ``customers`` (buying both), ``support`` (share
    of the group's customers buying both), ``confidence`` (P(consequent | antecedent)),
    ``lift`` (confidence / P(consequent)); pairs below ``min_support`` are left out.
    """
    baskets = _baskets(events, level)
    groups = {"all": baskets}
    if best is not None:
        groups["best"] = baskets[baskets.user_id.isin(best_ids(best))]
    frames = [_rules(b, min_support).assign(group=g) for g, b in groups.items()]
    out = pd.concat(frames, ignore_index=True)
    cols = ["group", "antecedent", "consequent", "customers", "support", "confidence", "lift"]
    return out[cols].sort_values(["group", "lift"], ascending=[True, False], ignore_index=True)


def _rules(baskets: pd.DataFrame, min_support: float) -> pd.DataFrame:
    n = baskets.user_id.nunique()
    if n == 0:
        return pd.DataFrame(columns=["antecedent", "consequent", "customers"])
    item_n = baskets.groupby("item").size()
    pairs = baskets.merge(baskets, on="user_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs.item_a != pairs.item_b]
    both = pairs.groupby(["item_a", "item_b"]).size().rename("customers").reset_index()
    both = both.rename(columns={"item_a": "antecedent", "item_b": "consequent"})
    both["support"] = both.customers / n
    # reindex, not map: mapping an empty column keeps its string dtype (pandas 3)
    both["confidence"] = both.customers / item_n.reindex(both.antecedent).to_numpy()
    both["lift"] = both.confidence / (item_n.reindex(both.consequent).to_numpy() / n)
    return both[both.support >= min_support]


def first_purchases(
    events: EventLog | pd.DataFrame,
    best: pd.DataFrame | Iterable[str],
    *,
    level: str = "category",
) -> pd.DataFrame:
    """What customers buy first: share of first orders per ``level`` value, best vs rest.

    Returns ``item``, ``group`` (best, rest), ``customers``, ``share`` (of the group).
    """
    t = as_eventlog(events).table
    pur = t.filter(t.event == PURCHASE)
    first = pur.group_by("user_id").aggregate(
        item=first_in_order(pur[level], [pur.event_time, pur[ROW_ID]], include_null=False)
    )
    f = first.to_pandas()
    f["group"] = f.user_id.isin(best_ids(best)).map({True: "best", False: "rest"})
    out = f.groupby(["group", "item"], dropna=False).size().rename("customers").reset_index()
    out["share"] = out.customers / out.groupby("group").customers.transform("sum")
    return out[["item", "group", "customers", "share"]]
