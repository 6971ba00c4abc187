"""Canonical event-log columns and their types.

Every source (a shop's CSV export, GA4, an orders table, a DataFrame) is mapped onto these
names by :func:`journeylib.read_events`; every analysis reads only these names.
"""

from __future__ import annotations

import ibis.expr.datatypes as dt

#: Columns every event log must have after mapping.
REQUIRED: tuple[str, ...] = ("user_id", "event", "event_time")

#: Optional columns with their canonical types (strings unless stated).
OPTIONAL: dict[str, dt.DataType] = {
    "session_id": dt.string,
    "channel": dt.string,
    "device": dt.string,
    "campaign": dt.string,
    "variant": dt.string,
    "page_type": dt.string,
    "product_id": dt.string,
    "category": dt.string,
    "order_id": dt.string,
    "revenue": dt.float64,
    "quantity": dt.int64,
    "unit_price": dt.float64,
}

#: The timestamp type of ``event_time``: an instant, in UTC.
EVENT_TIME_TYPE = dt.Timestamp(timezone="UTC")

#: Canonical types of every canonical column.
CANONICAL: dict[str, dt.DataType] = {
    "user_id": dt.string,
    "event": dt.string,
    "event_time": EVENT_TIME_TYPE,
    **OPTIONAL,
}

#: Column the engine adds: the row's position in the source, used to break ties on
#: (user_id, event_time) so that every result is deterministic.
ROW_ID = "row_id"

#: Column the engine adds: a dense integer per user, for fast partitioning.
USER_KEY = "user_key"

#: Column :func:`journeylib.sessionize` adds with gap-rule sessions: an integer per (user,
#: session), unique in the log, for partitioning and comparing sessions as numbers.
SESSION_KEY = "session_key"

#: Text values that mean "no value" in real exports: Python's None/nan, JavaScript's
#: null/undefined/NaN, R's NA, Ruby's nil, Excel's #N/A, GA4's "(not set)", web logs' "-".
#: Compared lower-cased and trimmed. A user id spelled so is a missing user id (the rows
#: would otherwise be one giant "user"); "0" is not among them: it is a real id in many
#: systems (guests in some shop systems; map it to NULL yourself if so).
PLACEHOLDERS: tuple[str, ...] = (
    "none",
    "null",
    "nil",
    "undefined",
    "nan",
    "na",
    "n/a",
    "#n/a",
    "(not set)",
    "(none)",
    "-",
)

#: Event names that are purchases and refunds in the canonical log.
PURCHASE = "purchase"
REFUND = "refund"

#: Source names recognised without a mapping when the canonical name is absent. Keys are
#: canonical names; values are spellings seen in real exports, compared case-insensitively
#: and ignoring punctuation ("Customer ID" matches "customerid"). A match is reported in the
#: cleaning report, so a wrong guess is visible.
ALIASES: dict[str, tuple[str, ...]] = {
    "user_id": (
        "userid",
        "user",
        "userpseudoid",
        "customerid",
        "customer",
        "clientid",
        "visitorid",
    ),
    "event": ("eventname", "eventtype", "action", "eventaction"),
    "event_time": (
        "timestamp",
        "eventtimestamp",
        "eventtime",
        "time",
        "datetime",
        "invoicedate",
        "orderdate",
        "ordertime",
        "createdat",
    ),
    "session_id": ("sessionid", "gasessionid"),
    "order_id": ("orderid", "invoiceno", "invoice", "transactionid", "ordernumber"),
    "product_id": ("productid", "stockcode", "sku", "itemid"),
    "revenue": ("purchaserevenue", "amount", "sales", "ordervalue"),
    "quantity": ("qty",),
    "unit_price": ("unitprice", "price"),
    "device": ("devicecategory",),
    "page_type": ("pagetype",),
}
