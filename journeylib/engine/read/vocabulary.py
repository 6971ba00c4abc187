"""Event vocabularies: the names other tools give the events journeylib's analyses know.

The analyses speak GA4's recommended event names (:data:`CANONICAL_EVENTS`: ``view_item``,
``add_to_cart``, ``begin_checkout``, ``purchase``, ...) and the synthetic shop's names.
:func:`plan` decides, from the distinct event names of a log and how often each occurs,
which source names to read as which canonical name; :func:`journeylib.read_events` applies
the plan and writes one line of the cleaning report per renamed name.

The rule of ``event_names="auto"`` (documented in docs/data.md):

1. Names are compared by their *key*: lower-cased, everything but letters and digits
   dropped, so ``"Add To Cart"``, ``"add-to-cart"``, ``"addToCart"`` and ``" ADD_TO_CART "``
   are one name.
2. A name whose key is a canonical name's key is that canonical name (GA4 itself, and its
   spelling variants).
3. A vocabulary of :data:`VOCABULARIES` is *in use* in a log when the log has every name of
   one of its evidence sets (:data:`EVIDENCE`); only vocabularies in use rename. Names that
   belong to one tool only ("Product Viewed", "list_view") are evidence on their own; short
   words several tools use differently need company: ``cart`` is ``add_to_cart`` in a
   REES46-like log (``view``, ``cart`` and ``purchase``), ``view_cart`` in the
   path-analytics demo's (``add_to_cart`` and ``cart``).
4. A name that the vocabularies in use read as different canonical names is ambiguous: it is
   left as it is, and the report says so (map it with ``event_names={...}``).
5. Names that stay unknown keep their spelling, but spellings that differ only in case and
   surrounding spaces are one name: the most frequent spelling (the first in sort order on a
   tie) names them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import ibis.expr.types as ir
import pandas as pd

from ..cleaning import Finding

#: GA4's recommended and automatically collected event names.
GA4_EVENTS: tuple[str, ...] = (
    "add_payment_info",
    "add_shipping_info",
    "add_to_cart",
    "add_to_wishlist",
    "begin_checkout",
    "generate_lead",
    "purchase",
    "refund",
    "remove_from_cart",
    "select_item",
    "select_promotion",
    "view_cart",
    "view_item",
    "view_item_list",
    "view_promotion",
    "view_search_results",
    "ad_impression",
    "earn_virtual_currency",
    "join_group",
    "login",
    "search",
    "select_content",
    "share",
    "sign_up",
    "spend_virtual_currency",
    "tutorial_begin",
    "tutorial_complete",
    "qualify_lead",
    "disqualify_lead",
    "working_lead",
    "close_convert_lead",
    "close_unconvert_lead",
    "page_view",
    "screen_view",
    "session_start",
    "first_visit",
    "first_open",
    "user_engagement",
    "scroll",
    "click",
    "file_download",
    "form_start",
    "form_submit",
    "video_start",
    "video_progress",
    "video_complete",
)

#: Names the synthetic shop and the default stage map use beyond GA4's.
SHOP_EVENTS: tuple[str, ...] = (
    "ad_click",
    "email_open",
    "email_click",
    "blog_view",
    "social_follow",
    "download_guide",
    "view_reviews",
    "compare",
    "write_review",
    "review",
    "rate",
    "refer_friend",
    "referral",
    "contact_support",
    "join_loyalty",
    "help",
)

#: Every canonical event name.
CANONICAL_EVENTS: tuple[str, ...] = GA4_EVENTS + SHOP_EVENTS

#: Source name -> canonical name, per vocabulary (names as the tool writes them; compared
#: by :func:`event_key`).
VOCABULARIES: dict[str, dict[str, str]] = {
    "Segment e-commerce spec": {
        "Products Searched": "search",
        "Product List Viewed": "view_item_list",
        "Product Clicked": "select_item",
        "Product Viewed": "view_item",
        "Product Added": "add_to_cart",
        "Product Removed": "remove_from_cart",
        "Cart Viewed": "view_cart",
        "Checkout Started": "begin_checkout",
        # the first step completed before payment: GA4's closest event is the shipping step
        "Checkout Step Completed": "add_shipping_info",
        "Payment Info Entered": "add_payment_info",
        "Order Completed": "purchase",
        "Order Refunded": "refund",
        "Promotion Viewed": "view_promotion",
        "Promotion Clicked": "select_promotion",
        "Product Added to Wishlist": "add_to_wishlist",
        "Product Shared": "share",
        "Cart Shared": "share",
        "Product Reviewed": "write_review",
        "Signed Up": "sign_up",
        "Signed In": "login",
    },
    "Snowplow e-commerce": {
        "product_view": "view_item",
        "list_view": "view_item_list",
        "list_click": "select_item",
        "add_to_cart": "add_to_cart",
        "remove_from_cart": "remove_from_cart",
        "checkout_step": "begin_checkout",
        "transaction": "purchase",
        "refund": "refund",
        "promo_view": "view_promotion",
        "promo_click": "select_promotion",
    },
    "REES46-style": {
        "view": "view_item",
        "cart": "add_to_cart",
        "remove_from_cart": "remove_from_cart",
        "purchase": "purchase",
    },
    "Retailrocket-style": {
        "view": "view_item",
        "addtocart": "add_to_cart",
        "transaction": "purchase",
    },
    "path-analytics demo": {
        "catalog": "view_item_list",
        "product_view": "view_item",
        "add_to_cart": "add_to_cart",
        "cart": "view_cart",
        "shipping_details": "add_shipping_info",
        "payment_details": "add_payment_info",
        "purchase": "purchase",
    },
}

#: When a vocabulary is in use: the log has every name of one of these sets. A Segment name
#: alone is evidence (no other tool writes "Order Completed").
EVIDENCE: dict[str, tuple[tuple[str, ...], ...]] = {
    "Segment e-commerce spec": tuple((name,) for name in VOCABULARIES["Segment e-commerce spec"]),
    "Snowplow e-commerce": (
        ("list_view",),
        ("list_click",),
        ("checkout_step",),
        ("promo_view",),
        ("promo_click",),
        ("product_view", "transaction"),
    ),
    "REES46-style": (("view", "cart", "purchase"),),
    # "addtocart" is also how "AddToCart" compares: no evidence on its own
    "Retailrocket-style": (("view", "transaction"),),
    "path-analytics demo": (
        ("shipping_details",),
        ("payment_details",),
        ("catalog", "product_view"),
        ("add_to_cart", "cart"),
    ),
}

#: Where a canonical name comes from, in the report (a spelling variant of a canonical name).
SPELLING = "spelling of a GA4/shop name"


def event_key(name: str) -> str:
    """The comparison key of an event name: lower case, letters and digits only
    (``"Add To Cart"``, ``"addToCart"``, ``"add-to-cart"`` -> ``"addtocart"``)."""
    return re.sub(r"[\W_]+", "", str(name).casefold())


def spelling_key(name: str) -> str:
    """The key under which unknown names are one name: case and surrounding spaces ignored."""
    return str(name).strip().casefold()


_CANONICAL_BY_KEY = {event_key(name): name for name in CANONICAL_EVENTS}


@dataclass(frozen=True)
class Rename:
    """One renamed source name: ``source`` is read as ``target`` in ``rows`` rows, because
    of ``reason`` (a vocabulary's name, :data:`SPELLING`, ``"event_names="`` or
    ``"same name in another case or with spaces"``)."""

    source: str
    target: str
    rows: int
    reason: str


@dataclass(frozen=True)
class Ambiguous:
    """A name the vocabularies in use read differently (``readings``: vocabulary ->
    canonical name); it is left as it is."""

    source: str
    rows: int
    readings: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Plan:
    """What :func:`plan` decided: the renames, the ambiguous names and the vocabularies in use."""

    renames: tuple[Rename, ...]
    ambiguous: tuple[Ambiguous, ...]
    vocabularies: tuple[str, ...]

    @property
    def mapping(self) -> dict[str, str]:
        """Source name -> new name, for every renamed name."""
        return {r.source: r.target for r in self.renames}


def vocabularies_in_use(keys: set[str]) -> list[str]:
    """The vocabularies of :data:`VOCABULARIES` whose evidence the set of event keys holds."""
    return [
        vocab
        for vocab, sets in EVIDENCE.items()
        if any(all(event_key(n) in keys for n in names) for names in sets)
    ]


def plan(counts: pd.Series, event_names: str | Mapping[str, str] | None = "auto") -> Plan:
    """Decide how to read a log's event names.

    Parameters
    ----------
    counts
        Rows per distinct source event name (index: the names as written; NULL excluded).
    event_names
        ``"auto"``: the rule of this module's docstring. A mapping ``{source name: name}``:
        these names are read as given (a source name matches in any case and with spaces
        around it), the others by ``"auto"``. None: names are kept as they are.

    Returns
    -------
    Plan
        The renames (only names that change), ambiguous names and vocabularies in use.
    """
    if event_names is None:
        return Plan((), (), ())
    if isinstance(event_names, str) and event_names != "auto":
        raise ValueError(f"event_names must be 'auto', a dict or None, not {event_names!r}")
    given = {} if isinstance(event_names, str) else dict(event_names)
    _check_given(given)
    counts = counts[[isinstance(n, str) and n.strip() != "" for n in counts.index]]
    keys = {event_key(n) for n in counts.index}
    in_use = vocabularies_in_use(keys)
    readings = _readings(in_use)
    by_spelling = {spelling_key(k): v for k, v in given.items()}
    targets: dict[str, tuple[str | None, str]] = {}
    ambiguous = []
    for name, rows in counts.items():
        key = event_key(name)
        if name in given or spelling_key(name) in by_spelling:
            target = given.get(name, by_spelling.get(spelling_key(name)))
            targets[name] = (target, "event_names=")
        elif key in _CANONICAL_BY_KEY:
            target = _CANONICAL_BY_KEY[key]
            agree = [v for v, t in readings.get(key, {}).items() if t == target]
            targets[name] = (target, agree[0] if agree else SPELLING)
        elif len(set(readings.get(key, {}).values())) == 1:
            vocab, target = next(iter(readings[key].items()))
            targets[name] = (target, vocab)
        else:
            if key in readings:
                ambiguous.append(Ambiguous(name, int(rows), tuple(readings[key].items())))
            targets[name] = (None, "")
    renames = _renames(counts, targets)
    return Plan(tuple(renames), tuple(ambiguous), tuple(in_use))


def _check_given(given: Mapping[str, str]) -> None:
    bad = {k: v for k, v in given.items() if not (isinstance(v, str) and v.strip())}
    if bad:
        raise ValueError(f"event_names maps {bad} to no name; give each source name a name")


def _readings(in_use: list[str]) -> dict[str, dict[str, str]]:
    """key -> {vocabulary: canonical name} over the vocabularies in use."""
    out: dict[str, dict[str, str]] = {}
    for vocab in in_use:
        for source, target in VOCABULARIES[vocab].items():
            out.setdefault(event_key(source), {})[vocab] = target
    return out


def _renames(counts: pd.Series, targets: Mapping[str, tuple[str | None, str]]) -> list[Rename]:
    """The renames of known names, then of unknown names spelled several ways (to their
    most frequent spelling)."""
    renames = [
        Rename(name, target, int(counts[name]), reason)
        for name, (target, reason) in targets.items()
        if target is not None and target != name
    ]
    unknown = pd.DataFrame(
        {"name": [n for n, (t, _) in targets.items() if t is None]},
    )
    if unknown.empty:
        return renames
    unknown["rows"] = [int(counts[n]) for n in unknown.name]
    unknown["key"] = [spelling_key(n) for n in unknown.name]
    ordered = unknown.sort_values(["key", "rows", "name"], ascending=[True, False, True])
    first = ordered.groupby("key").name.transform("first")
    for name, rows, target in zip(ordered.name, ordered.rows, first, strict=True):
        if name != target:
            renames.append(Rename(name, target, int(rows), "same name in another case or spaces"))
    return renames


#: The column that keeps the source's event name when some name was renamed.
SOURCE_EVENT = "source_event"


def read_event_names(
    table: ir.Table, event_names: str | Mapping[str, str] | None = "auto"
) -> tuple[ir.Table, list[Finding]]:
    """Rename ``table``'s ``event`` values by :func:`plan`, keeping the source's name.

    Returns the table (with ``source_event``, the name as the source wrote it, when some
    name changed; unchanged otherwise) and one cleaning-report line per renamed name (rows
    read with that name) and per ambiguous name. A log without a text ``event`` column, or
    ``event_names=None``, is returned as it is.
    """
    if event_names is None or "event" not in table.columns:
        return table, []
    if not table.event.type().is_string():
        return table, []
    counts = table.group_by("event").aggregate(_n=table.count()).to_pandas()
    counts = counts[counts.event.notnull()].set_index("event")._n.sort_index()  # any engine
    decided = plan(counts, event_names)
    findings = [_rename_finding(r) for r in decided.renames]
    findings += [_ambiguous_finding(a) for a in decided.ambiguous]
    if not decided.renames or SOURCE_EVENT in table.columns:
        return table, findings
    renamed = table.event.substitute(decided.mapping)
    return table.mutate(**{SOURCE_EVENT: table.event, "event": renamed}), findings


def _rename_finding(r: Rename) -> Finding:
    return Finding(f"event name {r.source!r}", "event", r.rows, f"read as {r.target!r}", r.reason)


def _ambiguous_finding(a: Ambiguous) -> Finding:
    readings = " or ".join(f"{target!r} ({vocab})" for vocab, target in a.readings)
    line = f'event_names={{"{a.source}": "{a.readings[0][1]}"}}'
    return Finding(
        f"ambiguous event name {a.source!r}",
        "event",
        a.rows,
        "noted",
        f"could be {readings}; left as it is: map it with {line}",
    )
