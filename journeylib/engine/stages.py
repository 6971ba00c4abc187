"""The five journey stages and the map from events to stages.

Stages (see docs/domain.md): Awareness (first contact), Consideration (comparing products),
Conversion (the first order), Retention (after the first order: kept or lost) and Advocacy
(the customer promotes the brand). An event's stage comes from its name (and, for page views,
its ``page_type``); then two rules apply: a purchase that is not the customer's first is
Retention, and every other non-Advocacy event after the first purchase is Retention.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir
import pandas as pd

from .cleaning import Finding, append_findings
from .eventlog import EventLog
from .read.events import as_eventlog
from .read.vocabulary import CANONICAL_EVENTS, VOCABULARIES, event_key
from .schema import PURCHASE, ROW_ID

AWARENESS, CONSIDERATION, CONVERSION, RETENTION, ADVOCACY = STAGES = (
    "Awareness",
    "Consideration",
    "Conversion",
    "Retention",
    "Advocacy",
)

_BY_STAGE: dict[str, tuple[str, ...]] = {
    AWARENESS: (
        "first_visit",
        "ad_impression",
        "ad_click",
        "view_promotion",
        "select_promotion",
        "page_view",
        "blog_view",
        "social_follow",
        "download_guide",
    ),
    CONSIDERATION: (
        "view_item",
        "view_item_list",
        "select_item",
        "search",
        "view_search_results",
        "add_to_wishlist",
        "view_reviews",
        "compare",
        "email_open",
        "email_click",
    ),
    CONVERSION: (
        "add_to_cart",
        "remove_from_cart",
        "view_cart",
        "begin_checkout",
        "add_shipping_info",
        "add_payment_info",
        "purchase",
        "sign_up",
        "generate_lead",
    ),
    RETENTION: ("refund", "login", "contact_support", "join_loyalty", "help"),
    ADVOCACY: ("write_review", "review", "rate", "refer_friend", "referral", "share", "join_group"),
}

#: Default event -> stage map: GA4's recommended event names and the synthetic shop's names.
DEFAULT_STAGE_MAP: dict[str, str] = {e: s for s, names in _BY_STAGE.items() for e in names}

#: Page types that decide the stage of a ``page_view`` (other page views are Awareness).
DEFAULT_PAGE_STAGES: dict[str, str] = {
    "home": AWARENESS,
    "blog": AWARENESS,
    "landing": AWARENESS,
    "category": CONSIDERATION,
    "product": CONSIDERATION,
    "reviews": CONSIDERATION,
    "size_guide": CONSIDERATION,
    "returns_policy": CONSIDERATION,
    "about": CONSIDERATION,
    "search": CONSIDERATION,
    "help": CONSIDERATION,
    "cart": CONVERSION,
    "checkout": CONVERSION,
}

_PAGE_EVENTS = ("page_view", "screen_view")


def _validate(stage_map: Mapping[str, str]) -> None:
    bad = {e: s for e, s in stage_map.items() if s not in STAGES}
    if bad:
        raise ValueError(f"unknown stage(s) in stage map: {bad}; stages are {list(STAGES)}")


def stage_expression(
    table: ir.Table,
    stage_map: Mapping[str, str] | None = None,
    *,
    page_stages: Mapping[str, str] | None = None,
) -> tuple[ir.Table, ir.StringValue]:
    """The stage of each event (NULL when unmapped), and the table it is computed on.

    Returns ``(joined, stage)``: ``joined`` is ``table`` with the user's first purchase
    joined on (``_fp_time``, ``_fp_row``); ``stage`` an expression on ``joined``.
    """
    stage_map = DEFAULT_STAGE_MAP if stage_map is None else stage_map
    page_stages = DEFAULT_PAGE_STAGES if page_stages is None else page_stages
    _validate(stage_map)
    _validate(page_stages)
    first = first_purchases(table)
    t = table.left_join(first, table.user_id == first.user_id)
    base = t.event.substitute(dict(stage_map), else_=ibis.null("string"))
    if "page_type" in t.columns and page_stages:
        by_page = t.page_type.substitute(dict(page_stages), else_=ibis.null("string"))
        base = ibis.ifelse(t.event.isin(_PAGE_EVENTS), by_page.fill_null(base), base)
    after_first = (t.event_time > t._fp_time) | (
        (t.event_time == t._fp_time) & (t[ROW_ID] > t._fp_row)
    )
    return t, ibis.cases(
        (base == ADVOCACY, base),
        (after_first.fill_null(False) & base.notnull(), ibis.literal(RETENTION)),
        else_=base,
    )


def first_purchases(table: ir.Table) -> ir.Table:
    """Per buyer: time and row of the first purchase (``user_id``, ``_fp_time``, ``_fp_row``).

    Computed on the purchase rows only (a small table), so the full log is never sorted.
    """
    p = table.filter(table.event == PURCHASE).select("user_id", "event_time", ROW_ID)
    first_time = p.group_by("user_id").aggregate(_fp_time=p.event_time.min())
    at_first = p.join(
        first_time, [p.user_id == first_time.user_id, p.event_time == first_time._fp_time]
    )
    return at_first.group_by("user_id").aggregate(
        _fp_time=at_first.event_time.min(), _fp_row=at_first[ROW_ID].min()
    )


def map_stages(
    events: EventLog | pd.DataFrame,
    stage_map: Mapping[str, str] | None = None,
    *,
    page_stages: Mapping[str, str] | None = None,
) -> EventLog:
    """Add a ``stage`` column (one of :data:`STAGES`, NULL for unmapped events).

    Parameters
    ----------
    events
        The event log.
    stage_map
        Event name -> stage; replaces :data:`DEFAULT_STAGE_MAP` (extend it with
        ``{**DEFAULT_STAGE_MAP, "my_event": "Consideration"}``).
    page_stages
        ``page_type`` -> stage for page views; replaces :data:`DEFAULT_PAGE_STAGES`.
    """
    log = as_eventlog(events)
    joined, stage = stage_expression(log.table, stage_map, page_stages=page_stages)
    staged = joined.mutate(stage=stage).select(*log.table.columns, "stage").cache()
    return log.replace(
        table=staged, cleaning=append_findings(log.cleaning, [unstaged_events(staged)])
    )


def unstaged_events(staged: ir.Table) -> Finding:
    """The cleaning-report line of the events of ``staged`` whose ``stage`` is NULL.

    Counts them and names the five most frequent event names (``noted``: nothing is removed).
    """
    t = staged.filter(staged.stage.isnull())
    top = t.group_by("event").aggregate(n=t.count()).to_pandas()
    top = top.sort_values(["n", "event"], ascending=[False, True])
    shown = ", ".join(f"{e!r} ({n:,})" for e, n in zip(top.event[:5], top.n[:5], strict=True))
    return Finding("event without a stage", "event", int(top.n.sum()), "noted", shown)


def _staged(events: EventLog | pd.DataFrame) -> EventLog:
    log = as_eventlog(events)
    return log if log.has("stage") else map_stages(log)


def user_stage_table(events: EventLog | pd.DataFrame, *, by: str = "user_id") -> ir.Table:
    """Per user: furthest stage reached and when each stage was first entered (ibis).

    ``by`` names the user column the rows are keyed by: ``user_id``, or the engine's
    ``user_key`` (one per user id; integers group and join faster).
    """
    t = _staged(events).table
    rank = t.stage.substitute({s: i for i, s in enumerate(STAGES)}, else_=ibis.null("int64"))
    aggs = {f"entered_{s.lower()}": t.event_time.min(where=t.stage == s) for s in STAGES}
    users = t.group_by(by).aggregate(_rank=rank.max(), **aggs)
    reached = users._rank.substitute(dict(enumerate(STAGES)), else_=ibis.null("string"))
    return users.mutate(stage_reached=reached).drop("_rank")


def user_stages(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """One row per user: ``stage_reached`` and ``entered_<stage>`` (first time in each stage).

    ``stage_reached`` is the furthest of the five stages the user has an event in (NULL
    when none of the user's events maps to a stage).
    """
    return user_stage_table(events).order_by("user_id").to_pandas()


def stage_reach(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """How many users reached each stage.

    Returns
    -------
    DataFrame with one row per stage, in order: ``stage``, ``users_in_stage`` (users with at
    least one event in the stage), ``reached`` (users whose furthest stage is this one or a
    later one), ``share_reached`` (``reached`` / all users) and ``conversion_to_next``
    (``reached`` of the next stage / ``reached``).
    """
    users = user_stage_table(events)
    aggs = {"all_users": users.count()}
    for i, s in enumerate(STAGES):
        aggs[f"in_{i}"] = users[f"entered_{s.lower()}"].notnull().sum()
        aggs[f"reached_{i}"] = users.stage_reached.isin(STAGES[i:]).sum()
    row = users.aggregate(**aggs).to_pandas().iloc[0].fillna(0)
    total = int(row.all_users)
    frame = pd.DataFrame(
        {
            "stage": list(STAGES),
            "users_in_stage": [int(row[f"in_{i}"]) for i in range(len(STAGES))],
            "reached": [int(row[f"reached_{i}"]) for i in range(len(STAGES))],
        }
    )
    frame["share_reached"] = frame.reached / total if total else float("nan")
    nxt = frame.reached.shift(-1)
    frame["conversion_to_next"] = (nxt / frame.reached.where(frame.reached > 0)).astype("float64")
    return frame


#: What a line of :func:`unknown_events` suggests when no canonical name is close.
NO_SUGGESTION = "<a canonical name, e.g. add_to_cart>"


def unknown_events(
    events: EventLog | pd.DataFrame,
    stage_map: Mapping[str, str] | None = None,
    *,
    page_stages: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The event names that stay unknown: no stage and not a canonical name.

    Parameters
    ----------
    events
        The event log (read with ``event_names="auto"`` or a mapping).
    stage_map, page_stages
        As in :func:`map_stages` (default: :data:`DEFAULT_STAGE_MAP`).

    Returns
    -------
    DataFrame, one row per unknown name, most events first: ``event``, ``events`` (rows),
    ``users`` (distinct users), ``suggestion`` (the closest canonical name by spelling, or
    None) and ``mapping_line``, the entry of ``event_names=`` that would place the name,
    e.g. ``"basket_add": "add_to_cart"`` (:data:`NO_SUGGESTION` as the value when no
    canonical name is close). Empty when every name is known.

    Examples
    --------
    >>> unknown_events(log)  # doctest: +SKIP
            event  events  users   suggestion              mapping_line
    0  basket_add      12      5  add_to_cart  "basket_add": "add_to_cart"
    """
    staged = map_stages(events, stage_map, page_stages=page_stages).table
    t = staged.filter(staged.stage.isnull() & ~staged.event.isin(CANONICAL_EVENTS))
    out = t.group_by("event").aggregate(events=t.count(), users=t.user_id.nunique()).to_pandas()
    out = out.sort_values(["events", "event"], ascending=[False, True], ignore_index=True)
    out["events"] = out.events.astype("int64")
    out["users"] = out.users.astype("int64")
    out["suggestion"] = [_closest(e) for e in out.event]
    out["mapping_line"] = [
        f"{json.dumps(e)}: {json.dumps(s or NO_SUGGESTION)}"
        for e, s in zip(out.event, out.suggestion, strict=True)
    ]
    return out


def _closest(name: str) -> str | None:
    """The canonical name spelled most like ``name`` (compared by their keys; a tool's name
    counts as its canonical name), or None when none is close."""
    known = {event_key(c): c for c in CANONICAL_EVENTS}
    for table in VOCABULARIES.values():
        for source, target in table.items():
            known.setdefault(event_key(source), target)
    hits = difflib.get_close_matches(event_key(name), list(known), n=1, cutoff=0.75)
    return known[hits[0]] if hits else None
