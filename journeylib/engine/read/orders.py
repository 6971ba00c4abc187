"""Order tables and GA4 exports: adapters onto the canonical event log.

``read_orders`` turns an order-line table (one row per product line, as shop systems and the
public "Online Retail" data export them) into one ``purchase`` or ``refund`` event per order,
the input the CLV models need. ``read_ga4`` reads a GA4 BigQuery export, raw (nested) or
flattened.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from ..backend import resolve_backend
from ..cleaning import DataError, Finding, append_findings
from ..eventlog import EventLog
from ..ordered import first_in_order
from ..schema import PURCHASE, REFUND, ROW_ID
from . import accounting
from . import ga4 as ga4_nested
from .events import Source, read_source_table, with_user_key
from .timerange import MAX_AHEAD, MIN_TIME, Bound, TimeRange

_ORDER_REQUIRED = ("user_id", "order_id", "event_time")


def read_orders(
    source: Source,
    *,
    columns: Mapping[str, str] | None = None,
    strict: bool = False,
    cancel_prefix: str = "C",
    time_unit: str | None = None,
    backend=None,
    timezone: str | None = None,
    encoding: str = "utf-8",
    min_time: Bound = MIN_TIME,
    max_time: Bound = MAX_AHEAD,
) -> EventLog:
    """Read an order-line table as purchase and refund events, one per order.

    Parameters
    ----------
    source
        Order lines: order id, customer, time, and revenue or quantity and unit price (product
        and category optional). Common spellings (``InvoiceNo``, ``CustomerID``,
        ``InvoiceDate``, ``Quantity``, ``UnitPrice``, ``StockCode``) are recognised.
    columns
        Canonical name -> source name (``order_id``, ``user_id``, ``event_time``,
        ``revenue``, ``quantity``, ``unit_price``, ``product_id``, ``category``).
    strict
        Raise instead of removing or setting aside rows.
    cancel_prefix
        Order ids starting with this are cancellations (``"C536379"``); ``""`` to disable.
    time_unit, timezone
        As in :func:`~journeylib.read_events`: the unit of epoch-number times, and the IANA
        zone of times written without an offset (None: taken as UTC, and counted).
    encoding, min_time, max_time
        As in :func:`~journeylib.read_events`: the text encoding of CSV files, and the
        plausible range of times (lines outside it are removed and counted).

    Returns
    -------
    EventLog
        One event per (order, kind): ``event`` is ``purchase``, or ``refund`` for
        cancellations and lines with negative quantity or revenue; ``revenue`` is the sum of
        its lines (negative for refunds), ``quantity`` the number of items, ``lines`` the
        number of lines, ``event_time`` the earliest line time. Lines without a customer are
        set aside (not usable for customer analyses) and counted in the cleaning report, as
        are lines whose customer is a placeholder ("null", "nan", "(not set)": no customer).
    """
    lines = read_source_table(
        source,
        columns,
        strict=strict,
        time_unit=time_unit,
        backend=backend,
        required=_ORDER_REQUIRED,
        allow_missing_user=True,
        timezone=timezone,
        encoding=encoding,
        times=TimeRange.of(min_time, max_time),
    )
    t = lines.table
    has_qty, has_price = "quantity" in t.columns, "unit_price" in t.columns
    if "revenue" not in t.columns and not (has_qty and has_price):
        raise DataError(
            f"{lines.source}: an order table needs a revenue column, or quantity and unit_price; "
            f"it has {t.columns}"
        )
    line_revenue = t.revenue if "revenue" in t.columns else t.quantity * t.unit_price
    is_return = line_revenue < 0
    if has_qty:
        is_return = is_return | (t.quantity < 0)
    if cancel_prefix:
        is_return = is_return | t.order_id.startswith(cancel_prefix)
    t = t.mutate(_revenue=line_revenue.abs(), _return=is_return.fill_null(False))
    orders, findings = _orders(t, has_qty=has_qty)
    aside = sum(f.rows for f in findings if f.action == "set aside")
    report = append_findings(accounting.set_aside(lines.cleaning, aside), findings)
    # a dense integer per user, as every reader gives (the analyses partition by it)
    return lines.replace(table=with_user_key(orders).cache(), cleaning=report)


def _orders(t: ir.Table, *, has_qty: bool) -> tuple[ir.Table, list[Finding]]:
    no_customer = t.user_id.isnull()
    counts = (
        t.aggregate(
            lines=t.count(),
            set_aside=no_customer.sum(),
            no_revenue=(t._revenue.isnull() & ~no_customer).sum(),
            returns=(t._return & ~no_customer).sum(),
        )
        .to_pandas()
        .iloc[0]
        .fillna(0)
        .astype(int)
    )
    example = t.filter(no_customer).order_by(ROW_ID).limit(5)[ROW_ID].to_pandas().tolist()
    usable = t.filter(~no_customer)
    aggs = {
        "user_id": usable.user_id.min(),
        "_customers": usable.user_id.nunique(),
        "event_time": usable.event_time.min(),
        "revenue": usable._revenue.sum(),
        "lines": usable.count(),
        ROW_ID: usable[ROW_ID].min(),
    }
    if has_qty:
        aggs["quantity"] = usable.quantity.abs().sum()
    for col in ("product_id", "category"):
        if col in usable.columns:
            aggs[col] = first_in_order(usable[col], usable[ROW_ID], include_null=False)
    grouped = usable.group_by(["order_id", "_return"]).aggregate(**aggs)
    event = ibis.ifelse(grouped._return, ibis.literal(REFUND), ibis.literal(PURCHASE))
    revenue = ibis.ifelse(grouped._return, -grouped.revenue, grouped.revenue)
    orders = grouped.mutate(event=event, revenue=revenue)
    tally = (
        orders.aggregate(
            purchases=(orders.event == PURCHASE).sum(),
            refunds=(orders.event == REFUND).sum(),
            shared=(orders._customers > 1).sum(),
        )
        .to_pandas()
        .iloc[0]
        .fillna(0)
        .astype(int)
    )
    orders = orders.drop("_return", "_customers")
    findings = [
        Finding(
            "order line without customer",
            "user_id",
            int(counts.set_aside),
            "set aside",
            ", ".join(f"row {i + 1}" for i in example),
        ),
        Finding("order line without revenue", "revenue", int(counts.no_revenue), "noted"),
        Finding(
            "return/cancellation lines",
            "order_id",
            int(counts.returns),
            "noted",
            "became refund events with negative revenue",
        ),
        Finding(
            "order with several customers",
            "order_id",
            int(tally.shared),
            "noted",
            "attributed to the smallest customer id",
        ),
        Finding("orders (purchase events)", "order_id", int(tally.purchases), "kept"),
        Finding("refunds (refund events)", "order_id", int(tally.refunds), "kept"),
    ]
    return orders, findings


#: Flattened GA4 BigQuery export columns, canonical name -> candidate spellings.
GA4_COLUMNS: dict[str, tuple[str, ...]] = {
    "user_id": ("user_pseudo_id",),
    "event": ("event_name",),
    "event_time": ("event_timestamp",),
    "session_id": ("ga_session_id", "event_params.ga_session_id", "event_params_ga_session_id"),
    "device": ("device.category", "device_category"),
    "campaign": ("traffic_source.name", "traffic_source_name", "campaign"),
    "order_id": ("ecommerce.transaction_id", "ecommerce_transaction_id", "transaction_id"),
    "revenue": ("ecommerce.purchase_revenue", "ecommerce_purchase_revenue", "purchase_revenue"),
    "page_type": ("page_type", "event_params.page_type"),
    "product_id": ("item_id", "items.item_id"),
    "category": ("item_category", "items.item_category"),
}
_GA4_MEDIUM = ("traffic_source.medium", "traffic_source_medium", "medium")
_GA4_SOURCE = ("traffic_source.source", "traffic_source_source", "source")

_SEARCH_ENGINES = ("google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia")
_SOCIAL = (
    "facebook",
    "instagram",
    "tiktok",
    "twitter",
    "x",
    "linkedin",
    "pinterest",
    "reddit",
    "youtube",
    "snapchat",
    "t.co",
    "m.facebook.com",
    "l.facebook.com",
)


def ga4_channel(medium: ir.StringValue, source: ir.StringValue) -> ir.StringValue:
    """A simplified GA4 default channel grouping from traffic-source medium and source.

    direct, organic_search, paid_search, paid_social, organic_social, email, referral,
    display, other.
    """
    m = medium.lower().strip().fill_null("(none)")
    s = source.lower().strip().fill_null("(direct)")
    paid = m.re_search(r"^(.*cp.*|ppc|retargeting|paid.*)$")
    social = s.isin(_SOCIAL) | m.isin(("social", "social-network", "social-media", "sm"))
    return ibis.cases(
        ((s == "(direct)") & m.isin(("(none)", "(not set)", "")), "direct"),
        (m == "organic", "organic_search"),
        (paid & s.isin(_SEARCH_ENGINES), "paid_search"),
        (paid & social, "paid_social"),
        (social, "organic_social"),
        (m.isin(("email", "e-mail", "e_mail", "newsletter")), "email"),
        (m.isin(("display", "banner", "cpm", "interstitial")), "display"),
        (paid, "paid_search"),
        (m == "referral", "referral"),
        else_="other",
    )


def read_ga4(
    source: Source,
    *,
    strict: bool = False,
    backend=None,
    event_names: str | Mapping[str, str] | None = "auto",
    encoding: str = "utf-8",
) -> EventLog:
    """Read a GA4 BigQuery export (one row per event), raw and nested or flattened.

    Maps ``user_pseudo_id``, ``event_name``, ``event_timestamp`` (epoch microseconds),
    ``ga_session_id``, ``device.category``, the traffic source (``medium`` and ``source``
    become ``channel`` through :func:`ga4_channel`), the campaign,
    ``ecommerce.transaction_id`` and ``ecommerce.purchase_revenue`` onto the canonical names
    (underscored spellings such as ``device_category`` work too). A raw export, with
    ``event_params``, ``device``, ``traffic_source``, ``collected_traffic_source``,
    ``ecommerce`` and ``items`` nested as BigQuery writes them, is flattened first
    (:func:`journeylib.engine.read.ga4.flatten`: session id, page location and page type from
    the event parameters, the event's own traffic source before the user's first one,
    the first item's id and category); no column keeps a struct. GA4 session ids are
    unique per user only; journeylib always keys sessions by (``user_id``, ``session_id``).
    ``event_names`` and ``encoding`` (of CSV files) as in :func:`~journeylib.read_events`.
    """
    from .sources import load, peek_columns

    if isinstance(source, ir.Table) and backend is None:
        backend = source._find_backend(use_default=True)  # a warehouse table stays there
    con = resolve_backend(backend)
    present = peek_columns(source, con, encoding=encoding)
    if any(c in present for c in ga4_nested.NESTED_COLUMNS):
        raw = load(source, con, encoding=encoding)
        if ga4_nested.is_nested(raw.table):
            raw.table = ga4_nested.flatten(raw.table)
            source, present = raw, list(raw.table.columns)
    mapping = {}
    for canon, candidates in GA4_COLUMNS.items():
        hit = next((c for c in candidates if c in present), None)
        if hit is not None:
            mapping[canon] = hit
    log = read_source_table(
        source,
        mapping,
        strict=strict,
        time_unit="us",
        backend=con,
        event_names=event_names,
        encoding=encoding,
    )
    medium = next((c for c in _GA4_MEDIUM if c in log.table.columns), None)
    if medium is None or log.has("channel"):
        return log
    src = next((c for c in _GA4_SOURCE if c in log.table.columns), None)
    source_col = log.table[src].cast("string") if src else ibis.null("string")
    channel = ga4_channel(log.table[medium].cast("string"), source_col)
    return log.replace(table=log.table.mutate(channel=channel).cache())
