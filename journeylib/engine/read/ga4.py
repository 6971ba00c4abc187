"""The raw GA4 BigQuery export, nested as BigQuery writes it, as a flat table.

A raw export has one row per event with nested fields: ``event_params`` (a list of
``{key, value: {string_value, int_value, float_value, double_value}}``), ``device``,
``geo``, ``traffic_source``, ``collected_traffic_source`` and ``ecommerce`` (structs) and
``items`` (a list of structs). :func:`flatten` takes what the analyses use out of them as
ordinary columns and drops the nested columns, so that no column holds a struct's text.

Event parameters are read by unnesting ``event_params`` once and pivoting the wanted keys back
onto each event by ``row_id``: a join that compiles the same on DuckDB, Spark and BigQuery.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from ..schema import ROW_ID

#: Top-level columns whose nested type marks a raw (not flattened) GA4 export.
NESTED_COLUMNS = (
    "event_params",
    "user_properties",
    "device",
    "geo",
    "app_info",
    "traffic_source",
    "collected_traffic_source",
    "ecommerce",
    "items",
    "privacy_info",
    "user_ltv",
)

#: Event parameters taken out of ``event_params``: key -> output column.
PARAMS: dict[str, str] = {
    "ga_session_id": "ga_session_id",
    "ga_session_number": "ga_session_number",
    "page_location": "page_location",
    "page_referrer": "page_referrer",
    "page_title": "page_title",
    "page_type": "page_type",
    "campaign": "_param_campaign",
    "medium": "_param_medium",
    "source": "_param_source",
}

#: The event's traffic source, candidates in order (the event's own first, the user's first
#: traffic source last); ``("event_params", key)`` is an event parameter.
TRAFFIC: dict[str, tuple[tuple[str, str], ...]] = {
    "medium": (
        ("collected_traffic_source", "manual_medium"),
        ("event_params", "medium"),
        ("traffic_source", "medium"),
    ),
    "source": (
        ("collected_traffic_source", "manual_source"),
        ("event_params", "source"),
        ("traffic_source", "source"),
    ),
    "campaign": (
        ("collected_traffic_source", "manual_campaign_name"),
        ("event_params", "campaign"),
        ("traffic_source", "name"),
    ),
}

#: Struct fields taken out as columns: output column -> path.
FIELDS: dict[str, tuple[str, ...]] = {
    "device_category": ("device", "category"),
    "operating_system": ("device", "operating_system"),
    "browser": ("device", "web_info", "browser"),
    "country": ("geo", "country"),
    "ecommerce_transaction_id": ("ecommerce", "transaction_id"),
}


def is_nested(table: ir.Table) -> bool:
    """Whether ``table`` has a GA4 nested column (a struct or a list) of :data:`NESTED_COLUMNS`."""
    return any(_nested(table[c]) for c in NESTED_COLUMNS if c in table.columns)


def flatten(table: ir.Table) -> ir.Table:
    """A raw GA4 export as one flat row per event (``row_id`` kept).

    Returns
    -------
    ibis Table
        The source's scalar columns (``event_name``, ``event_timestamp``,
        ``user_pseudo_id``, ...), and: ``ga_session_id``, ``ga_session_number``,
        ``page_location``, ``page_referrer``, ``page_title``, ``page_type`` (event
        parameters, as text; NULL on events without them); ``device_category``,
        ``operating_system``, ``browser``, ``country``; ``medium``, ``source`` and
        ``campaign`` of the event (``collected_traffic_source``'s manual values, else the
        event's ``medium``/``source``/``campaign`` parameters, else the user's first
        ``traffic_source``); ``ecommerce_transaction_id``; ``revenue``
        (``ecommerce.purchase_revenue``, ``ecommerce.refund_value`` on refund events);
        ``item_id`` and ``item_category`` of the event's first item. The nested columns
        are dropped.
    """
    params = _params(table, _param_keys(table))
    out = {name: v for name, path in FIELDS.items() if (v := field(table, path)) is not None}
    for paths in TRAFFIC.values():
        out |= {_helper(p): v for p in paths if (v := field(table, p)) is not None}
    out |= {"revenue": r} if (r := _revenue(table)) is not None else {}
    out |= _first_item(table)
    scalars = [c for c in table.columns if not _nested(table[c])]
    flat = table.select(*scalars, **out)
    if params is not None:
        joined = flat.left_join(params, ROW_ID)
        flat = joined.select(*flat.columns, *(c for c in params.columns if c != ROW_ID))
    return _traffic(flat)


def field(table: ir.Table, path: Sequence[str]) -> ir.Value | None:
    """The struct field at ``path`` (``("device", "category")``), or None when absent."""
    if path[0] not in table.columns:
        return None
    value = table[path[0]]
    for name in path[1:]:
        kind = value.type()
        if not kind.is_struct() or name not in kind.names:
            return None
        value = value[name]
    return value


def _nested(col: ir.Value) -> bool:
    kind = col.type()
    return kind.is_struct() or kind.is_array() or kind.is_map()


def _param_keys(table: ir.Table) -> list[str]:
    """The keys of :data:`PARAMS` an ``event_params`` list of key/value structs can hold."""
    if "event_params" not in table.columns:
        return []
    kind = table.event_params.type()
    if not kind.is_array() or not kind.value_type.is_struct():
        return []
    names = kind.value_type.names
    return list(PARAMS) if "key" in names and "value" in names else []


def _params(table: ir.Table, keys: list[str]) -> ir.Table | None:
    """Per ``row_id``, the text of each wanted event parameter (one column per key)."""
    if not keys:
        return None
    unnested = table.select(ROW_ID, _p=table.event_params.unnest())
    p = unnested.select(ROW_ID, key=unnested._p.key, text=_value_text(unnested._p.value))
    wanted = p.filter(p.key.isin(keys))
    return wanted.group_by(ROW_ID).aggregate(
        **{PARAMS[k]: wanted.text.max(where=wanted.key == k) for k in keys}
    )


def _value_text(value: ir.Value) -> ir.StringValue:
    """A parameter's value as text: the first of string, integer, double and float values set."""
    kind = value.type()
    if not kind.is_struct():
        return value.cast("string")
    # int_value as an integer even when a reader widened it to float (pandas' None)
    types = {"string_value": "string", "int_value": "int64"}
    parts = [
        value[name].cast(types.get(name, "float64")).cast("string")
        for name in ("string_value", "int_value", "double_value", "float_value")
        if name in kind.names
    ]
    return ibis.coalesce(*parts) if len(parts) > 1 else parts[0]


def _revenue(table: ir.Table) -> ir.Value | None:
    purchase = field(table, ("ecommerce", "purchase_revenue"))
    refund = field(table, ("ecommerce", "refund_value"))
    if purchase is None or "event_name" not in table.columns:
        return purchase
    if refund is None:
        return purchase.cast("float64")
    on_refund = table.event_name == "refund"
    return ibis.ifelse(on_refund, refund.cast("float64"), purchase.cast("float64"))


def _first_item(table: ir.Table) -> dict[str, ir.Value]:
    """``item_id`` and ``item_category`` of the first element of ``items``."""
    if "items" not in table.columns:
        return {}
    kind = table["items"].type()
    if not kind.is_array() or not kind.value_type.is_struct():
        return {}
    items = table["items"]
    first = items[0]
    names = kind.value_type.names
    # guarded: Spark in ANSI mode fails on the first element of an empty list
    has_one = items.length() > 0
    return {
        name: ibis.ifelse(has_one, first[name], ibis.null(first[name].type()))
        for name in ("item_id", "item_category")
        if name in names
    }


def _traffic(flat: ir.Table) -> ir.Table:
    """``medium``, ``source`` and ``campaign``: the first of :data:`TRAFFIC`'s candidates
    set; the helper columns dropped."""
    out = {}
    for name, paths in TRAFFIC.items():
        present = [c for c in map(_helper, paths) if c in flat.columns]
        values = [flat[c].cast("string").nullif("") for c in present]
        if values:
            out[name] = ibis.coalesce(*values) if len(values) > 1 else values[0]
    helpers = [c for c in flat.columns if c.startswith(("_param_", "_carry_"))]
    flat = flat.mutate(**out)
    return flat.drop(*helpers) if helpers else flat


def _helper(path: Sequence[str]) -> str:
    """The helper column a traffic candidate is carried in."""
    if path[0] == "event_params":
        return PARAMS[path[1]]
    return "_carry_" + "_".join(path)
