"""Columns an event log can be given from what it has: ``revenue`` from prices.

A store export often carries the price of the product on every event (``price`` on REES46's
``view``, ``cart`` and ``purchase`` rows) and no revenue column; the purchase events' prices
are then the revenue, and the report says so.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ..cleaning import Finding
from ..schema import PURCHASE


def revenue_from_prices(table: ir.Table) -> tuple[ir.Table, list[Finding]]:
    """Add ``revenue`` = ``unit_price`` x ``quantity`` (1 when absent or NULL) on purchase
    events, NULL on every other event, when the log has ``unit_price`` and no ``revenue``.

    Returns the table (unchanged when it has a ``revenue`` column, no ``unit_price`` or no
    ``event``) and the report's note: how many purchase events got a revenue this way.
    """
    cols = table.columns
    if "revenue" in cols or "unit_price" not in cols or "event" not in cols:
        return table, []
    quantity = table.quantity.fill_null(1) if "quantity" in cols else ibis.literal(1)
    amount = (table.unit_price * quantity).cast("float64")
    revenue = ibis.ifelse(table.event == PURCHASE, amount, ibis.null("float64"))
    derived = table.mutate(revenue=revenue)
    rows = int(derived.aggregate(n=derived.revenue.notnull().sum()).to_pandas().n.fillna(0)[0])
    how = "unit_price x quantity" if "quantity" in cols else "unit_price (quantity 1)"
    note = Finding(
        "revenue from prices",
        "revenue",
        rows,
        "noted",
        f"the log has no revenue column: purchase events' revenue is {how}",
    )
    return derived, [note]
