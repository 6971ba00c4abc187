"""Event vocabularies: which source names are read as which canonical names, and how the
cleaning report counts them. Every log is small and written inline; the counts next to it are
worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.read import vocabulary
from journeylib.engine.stages import DEFAULT_STAGE_MAP
from journeylib.synth.shop import EVENTS as SHOP_NAMES


def log_of(names: list[str], **kwargs) -> jl.EventLog:
    """A log with one event per name, users u1/u2 alternating, one minute apart."""
    n = len(names)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i % 2 + 1}" for i in range(n)],
            "event": names,
            "event_time": pd.date_range("2024-03-04", periods=n, freq="min", tz="UTC"),
        }
    )
    return jl.read_events(frame, **kwargs)


def renames(log: jl.EventLog) -> dict[str, tuple[int, str, str]]:
    """source name -> (rows, action, reason) of the report's renaming lines."""
    r = log.cleaning[log.cleaning.check.str.startswith("event name ")]
    return {
        c.removeprefix("event name ").strip("'"): (int(n), a, e)
        for c, n, a, e in zip(r.check, r.rows, r.action, r.examples, strict=True)
    }


def event_counts(log: jl.EventLog) -> dict[str, int]:
    return log.to_pandas().event.value_counts().to_dict()


def test_rees46_view_cart_purchase_are_read_as_ga4_names():
    # 3 view, 2 cart, 1 remove_from_cart, 1 purchase: the log has view, cart and purchase
    log = log_of(["view", "view", "cart", "view", "cart", "remove_from_cart", "purchase"])
    assert event_counts(log) == {
        "view_item": 3,
        "add_to_cart": 2,
        "remove_from_cart": 1,
        "purchase": 1,
    }
    assert renames(log) == {
        "view": (3, "read as 'view_item'", "REES46-style"),
        "cart": (2, "read as 'add_to_cart'", "REES46-style"),
    }
    df = log.to_pandas()
    assert (df.source_event[df.event == "view_item"] == "view").all()
    assert (df.source_event[df.event == "purchase"] == "purchase").all()


def test_retailrocket_view_addtocart_transaction():
    log = log_of(["view", "view", "addtocart", "transaction", "view"])
    assert event_counts(log) == {"view_item": 3, "add_to_cart": 1, "purchase": 1}
    assert renames(log) == {
        "view": (3, "read as 'view_item'", "Retailrocket-style"),
        "addtocart": (1, "read as 'add_to_cart'", "Retailrocket-style"),
        "transaction": (1, "read as 'purchase'", "Retailrocket-style"),
    }


def test_segment_spec_names_and_their_spellings():
    names = [
        "Product Viewed",
        "Product Viewed",
        "Product Added",
        "Checkout Started",
        "Payment Info Entered",
        "Order Completed",
        " order completed ",  # case and spaces: the same event
        "Order Refunded",
    ]
    log = log_of(names)
    assert event_counts(log) == {
        "view_item": 2,
        "add_to_cart": 1,
        "begin_checkout": 1,
        "add_payment_info": 1,
        "purchase": 2,
        "refund": 1,
    }
    seen = renames(log)
    assert seen["Product Viewed"] == (2, "read as 'view_item'", "Segment e-commerce spec")
    assert seen[" order completed "] == (1, "read as 'purchase'", "Segment e-commerce spec")
    assert len(seen) == 7  # every distinct source spelling is one line


def test_path_analytics_demo_reads_cart_as_view_cart():
    names = ["catalog", "product_view", "add_to_cart", "cart", "shipping_details"]
    names += ["payment_details", "purchase", "cart"]
    log = log_of(names)
    assert event_counts(log) == {
        "view_item_list": 1,
        "view_item": 1,
        "add_to_cart": 1,
        "view_cart": 2,
        "add_shipping_info": 1,
        "add_payment_info": 1,
        "purchase": 1,
    }
    assert renames(log)["cart"] == (2, "read as 'view_cart'", "path-analytics demo")


def test_snowplow_actions():
    log = log_of(["list_view", "product_view", "add_to_cart", "checkout_step", "transaction"])
    assert event_counts(log) == {
        "view_item_list": 1,
        "view_item": 1,
        "add_to_cart": 1,
        "begin_checkout": 1,
        "purchase": 1,
    }


def test_cart_with_both_readings_in_use_is_left_and_reported():
    # view + cart + purchase (REES46) and add_to_cart + cart (demo): 'cart' is ambiguous
    log = log_of(["view", "cart", "cart", "add_to_cart", "purchase"])
    assert event_counts(log) == {"view_item": 1, "cart": 2, "add_to_cart": 1, "purchase": 1}
    line = log.cleaning.set_index("check").loc["ambiguous event name 'cart'"]
    assert int(line.rows) == 2
    assert "'add_to_cart' (REES46-style) or 'view_cart' (path-analytics demo)" in line.examples
    assert 'event_names={"cart": "add_to_cart"}' in line.examples


def test_a_lone_view_is_not_renamed():
    # 'view' alone is no evidence of any vocabulary
    log = log_of(["view", "view", "purchase"])
    assert event_counts(log) == {"view": 2, "purchase": 1}
    assert "source_event" not in log.table.columns


def test_case_and_spaces_never_split_one_event():
    names = ["purchase", " Purchase ", "PURCHASE", "Add To Cart", "addToCart", "add-to-cart"]
    names += ["My Event", "My Event", "my event ", "Other"]
    log = log_of(names)
    assert event_counts(log) == {"purchase": 3, "add_to_cart": 3, "My Event": 3, "Other": 1}
    seen = renames(log)
    assert seen[" Purchase "] == (1, "read as 'purchase'", vocabulary.SPELLING)
    assert seen["addToCart"] == (1, "read as 'add_to_cart'", vocabulary.SPELLING)
    assert seen["my event "][:2] == (1, "read as 'My Event'")
    assert "purchase" not in seen and "My Event" not in seen and "Other" not in seen


def test_a_mapping_reads_its_names_and_auto_the_rest():
    log = log_of(
        ["basket_add", "Basket_Add ", "Order Completed", "cart"],
        event_names={"basket_add": "add_to_cart", "cart": "view_cart"},
    )
    assert event_counts(log) == {"add_to_cart": 2, "purchase": 1, "view_cart": 1}
    assert renames(log)["Basket_Add "] == (1, "read as 'add_to_cart'", "event_names=")


def test_none_keeps_every_name():
    log = log_of(["view", "cart", "purchase", "Order Completed"], event_names=None)
    assert set(event_counts(log)) == {"view", "cart", "purchase", "Order Completed"}
    assert renames(log) == {}
    assert "source_event" not in log.table.columns


def test_bad_event_names_argument():
    with pytest.raises(ValueError, match="event_names"):
        log_of(["view"], event_names="segment")
    with pytest.raises(ValueError, match="no name"):
        log_of(["view"], event_names={"view": ""})


def test_shop_and_ga4_names_are_kept_unchanged():
    names = sorted(set(SHOP_NAMES) | set(DEFAULT_STAGE_MAP) | set(vocabulary.GA4_EVENTS))
    decided = vocabulary.plan(pd.Series(1, index=names))
    assert decided.renames == () and decided.ambiguous == ()
    assert set(names) <= set(vocabulary.CANONICAL_EVENTS)


def test_keys_are_unique_and_targets_canonical():
    keys = [vocabulary.event_key(n) for n in vocabulary.CANONICAL_EVENTS]
    assert len(keys) == len(set(keys))
    for vocab, table in vocabulary.VOCABULARIES.items():
        assert set(table.values()) <= set(vocabulary.CANONICAL_EVENTS), vocab
        assert len({vocabulary.event_key(n) for n in table}) == len(table), vocab
        for names in vocabulary.EVIDENCE[vocab]:
            assert set(names) <= set(table), vocab
            # a spelling of a canonical name is in every log's vocabulary: never alone
            assert len(names) > 1 or vocabulary.event_key(names[0]) not in keys, vocab
