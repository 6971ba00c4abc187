"""The export shapes analysts hold, made from the synthetic shop (deterministic, no download).

Each function takes the shop's canonical events (``tests/conftest.py``'s ``shop_events_df``)
and writes one file the way that tool exports, returning the path and the mapping file's
content (``None``: no mapping file) and the command line's ``--format``:

- REES46-like multi-category store: ``event_time`` text with " UTC", ``event_type`` in view /
  cart / remove_from_cart / purchase, ``product_id``, ``category_code``, ``brand``, ``price``,
  ``user_id``, ``user_session``; no channel, device, order id or revenue (only the price);
- Retailrocket-like: ``timestamp`` (epoch ms), ``visitorid``, ``event`` (view / addtocart /
  transaction), ``itemid``, ``transactionid``; no sessions;
- Segment-spec tracks: ``userId``, ``event`` ("Product Viewed", "Order Completed", ...),
  ``timestamp`` ISO 8601, flattened ``properties_*`` and ``context_*`` columns;
- order lines (Online Retail): ``InvoiceNo`` (cancellations ``C...``), ``StockCode``,
  ``Quantity``, ``InvoiceDate``, ``UnitPrice``, ``CustomerID``, ``Country``;
- a flattened GA4 BigQuery export: ``user_pseudo_id``, ``event_name``, ``event_timestamp``
  (µs), ``ga_session_id``, ``device_category``, ``traffic_source_medium``/``_source``,
  ``ecommerce_transaction_id``, ``ecommerce_purchase_revenue``;
- a bare log: ``user_id``, ``event``, ``event_time`` and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REES46 = {"view_item": "view", "add_to_cart": "cart", "purchase": "purchase"}
RETAILROCKET = {"view_item": "view", "add_to_cart": "addtocart", "purchase": "transaction"}
SEGMENT = {
    "page_view": "Page Viewed",
    "view_item": "Product Viewed",
    "add_to_cart": "Product Added",
    "view_cart": "Cart Viewed",
    "begin_checkout": "Checkout Started",
    "add_payment_info": "Payment Info Entered",
    "purchase": "Order Completed",
    "refund": "Order Refunded",
}


def _epoch(times: pd.Series, unit: str) -> pd.Series:
    """Epoch numbers in ``unit`` (whatever the resolution pandas holds the times in)."""
    return (times - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(1, unit=unit)


def rees46(events: pd.DataFrame, folder: Path) -> tuple[Path, dict, str]:
    e = events[events.event.isin(list(REES46))].copy()
    price = e.unit_price.where(e.unit_price.notna(), e.revenue)
    out = pd.DataFrame(
        {
            "event_time": e.event_time.dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "event_type": e.event.map(REES46),
            "product_id": e.product_id,
            "category_code": e.category,
            "brand": "acme",
            "price": price.round(2),
            "user_id": e.user_id,
            "user_session": e.session_id,
        }
    )
    path = folder / "rees46.csv"
    out.to_csv(path, index=False)
    columns = {"event": "event_type", "session_id": "user_session", "category": "category_code"}
    return path, {**columns, "unit_price": "price"}, "events"


def retailrocket(events: pd.DataFrame, folder: Path) -> tuple[Path, dict, str]:
    e = events[events.event.isin(list(RETAILROCKET))]
    out = pd.DataFrame(
        {
            "timestamp": _epoch(e.event_time, "ms"),
            "visitorid": e.user_id,
            "event": e.event.map(RETAILROCKET),
            "itemid": e.product_id,
            "transactionid": e.order_id,
        }
    )
    path = folder / "retailrocket.csv"
    out.to_csv(path, index=False)
    mapping = {"user_id": "visitorid", "event_time": "timestamp", "product_id": "itemid"}
    return path, {**mapping, "order_id": "transactionid"}, "events"


def segment(events: pd.DataFrame, folder: Path) -> tuple[Path, dict, str]:
    e = events[events.event.isin(list(SEGMENT))]
    out = pd.DataFrame(
        {
            "userId": e.user_id,
            "event": e.event.map(SEGMENT),
            "timestamp": e.event_time.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "properties_order_id": e.order_id,
            "properties_revenue": e.revenue.abs(),  # Segment's refunds are positive amounts
            "properties_product_id": e.product_id,
            "properties_category": e.category,
            "context_campaign_medium": e.channel,
            "context_device_type": e.device,
        }
    )
    path = folder / "segment.csv"
    out.to_csv(path, index=False)
    columns = {
        "user_id": "userId",
        "event_time": "timestamp",
        "order_id": "properties_order_id",
        "revenue": "properties_revenue",
        "product_id": "properties_product_id",
        "category": "properties_category",
        "channel": "context_campaign_medium",
        "device": "context_device_type",
    }
    return path, {"columns": columns, "format": "events"}, "events"


def order_lines(events: pd.DataFrame, folder: Path) -> tuple[Path, dict | None, str]:
    """Two lines per order (the second a 1-unit extra), refunds as cancellations (C + id)."""
    e = events[events.event.isin(["purchase", "refund"]) & events.order_id.notna()]
    rng = np.random.default_rng(0)
    total = e.revenue.abs().to_numpy()
    extra = np.round(np.minimum(total / 4, rng.uniform(1, 5, len(e))), 2)
    first = pd.DataFrame(
        {
            "InvoiceNo": np.where(e.event == "refund", "C" + e.order_id, e.order_id),
            "StockCode": e.product_id,
            "Quantity": np.where(e.event == "refund", -1, 1),
            "InvoiceDate": e.event_time.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "UnitPrice": np.round(total - extra, 2),
            "CustomerID": e.user_id,
            "Country": "United Kingdom",
        }
    )
    second = first.assign(StockCode="POST", UnitPrice=extra)
    out = pd.concat([first, second]).sort_values(["InvoiceDate", "InvoiceNo"], kind="stable")
    path = folder / "online_retail.csv"
    out.to_csv(path, index=False)
    return path, None, "orders"


def ga4_flat(events: pd.DataFrame, folder: Path) -> tuple[Path, dict | None, str]:
    e = events
    mediums = {"organic_search": "organic", "paid_search": "cpc", "email": "email"}
    medium = e.channel.map({**mediums, "referral": "referral"})
    out = pd.DataFrame(
        {
            "event_date": e.event_time.dt.strftime("%Y%m%d"),
            "event_timestamp": _epoch(e.event_time, "us"),
            "event_name": e.event,
            "user_pseudo_id": e.user_id,
            "ga_session_id": e.session_id,
            "device_category": e.device,
            "traffic_source_medium": medium.fillna("(none)"),
            "traffic_source_source": np.where(medium.isna(), "(direct)", "google"),
            "ecommerce_transaction_id": e.order_id,
            "ecommerce_purchase_revenue": e.revenue.abs(),
        }
    )
    path = folder / "ga4_flat.parquet"
    out.to_parquet(path, index=False)
    return path, None, "ga4"


def bare(events: pd.DataFrame, folder: Path) -> tuple[Path, dict | None, str]:
    path = folder / "bare.csv"
    events[["user_id", "event", "event_time"]].to_csv(path, index=False)
    return path, None, "events"


SHAPES = {
    "rees46": rees46,
    "retailrocket": retailrocket,
    "segment": segment,
    "order_lines": order_lines,
    "ga4_flat": ga4_flat,
    "bare": bare,
}
