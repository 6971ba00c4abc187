"""Stage mapping, stage per user and stage reach on a hand-worked log."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine import stages
from journeylib.engine.stages import map_stages, unknown_events

ROWS = [
    # user a: blog visit, product view, cart, first purchase, page view and a second purchase
    ("a", "page_view", "blog", "2024-01-01 10:00"),
    ("a", "view_item", None, "2024-01-01 10:05"),
    ("a", "add_to_cart", None, "2024-01-01 10:10"),
    ("a", "purchase", None, "2024-01-01 10:15"),
    ("a", "purchase", None, "2024-01-01 10:15"),  # same second, later row: a repeat purchase
    ("a", "page_view", "product", "2024-01-03 09:00"),
    ("a", "write_review", None, "2024-01-04 09:00"),
    # user b: reads the help page and leaves
    ("b", "page_view", "help", "2024-01-01 11:00"),
    ("b", "session_start", None, "2024-01-01 11:00"),
]


@pytest.fixture(scope="module")
def staged() -> pd.DataFrame:
    df = pd.DataFrame(ROWS, columns=["user_id", "event", "page_type", "event_time"])
    df["order_id"] = [None, None, None, "o1", "o2", None, None, None, None]
    return jl.map_stages(df).to_pandas()


def test_event_stages_by_hand(staged):
    got = [s if isinstance(s, str) else None for s in staged.stage]
    assert got == [
        "Awareness",
        "Consideration",
        "Conversion",
        "Conversion",  # the first purchase
        "Retention",  # not the first purchase
        "Retention",  # browsing after the first order
        "Advocacy",
        "Consideration",  # help page before any order
        None,  # bookkeeping event: unmapped
    ]


def test_user_stages(staged):
    users = jl.user_stages(jl.read_events(staged.drop(columns=["row_id", "stage"])))
    a = users.set_index("user_id").loc["a"]
    assert a.stage_reached == "Advocacy"
    assert a.entered_conversion == pd.Timestamp("2024-01-01 10:10", tz="UTC")
    assert a.entered_retention == pd.Timestamp("2024-01-01 10:15", tz="UTC")
    b = users.set_index("user_id").loc["b"]
    assert b.stage_reached == "Consideration" and pd.isna(b.entered_awareness)


def test_stage_reach(staged):
    reach = jl.stage_reach(jl.read_events(staged.drop(columns=["row_id", "stage"])))
    assert reach.stage.tolist() == list(jl.STAGES)
    assert reach.users_in_stage.tolist() == [1, 2, 1, 1, 1]
    assert reach.reached.tolist() == [2, 2, 1, 1, 1]
    assert reach.share_reached.tolist() == [1.0, 1.0, 0.5, 0.5, 0.5]
    assert reach.conversion_to_next.tolist()[:2] == [1.0, 0.5]


def test_custom_map_and_validation():
    df = pd.DataFrame(ROWS, columns=["user_id", "event", "page_type", "event_time"])
    custom = {**stages.DEFAULT_STAGE_MAP, "session_start": "Awareness"}
    out = jl.map_stages(df, custom).to_pandas()
    assert out.stage.iloc[-1] == "Awareness"
    with pytest.raises(ValueError, match="unknown stage"):
        jl.map_stages(df, {"purchase": "Buying"})


def test_default_map_covers_ga4_ecommerce_events():
    ga4 = ["view_item", "add_to_cart", "begin_checkout", "add_payment_info", "purchase", "refund"]
    assert all(e in stages.DEFAULT_STAGE_MAP for e in ga4)


def test_unknown_events_lists_names_without_stage_with_counts_and_mapping_line():
    # 3 basket_add (2 users), 1 zzz (1 user); session_start is canonical (no stage, not
    # unknown); view_item, purchase have stages
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "a", "b", "b"],
            "event": [
                "view_item",
                "basket_add",
                "basket_add",
                "basket_add",
                "session_start",
                "zzz",
                "purchase",
            ],
            "event_time": pd.date_range("2024-03-04", periods=7, freq="h", tz="UTC"),
        }
    )
    log = jl.read_events(frame)
    out = unknown_events(log)
    assert out.event.tolist() == ["basket_add", "zzz"]
    assert out.events.tolist() == [3, 1]
    assert out.users.tolist() == [2, 1]
    assert out.mapping_line.tolist()[1] == '"zzz": "<a canonical name, e.g. add_to_cart>"'
    staged = map_stages(log)
    line = staged.cleaning.set_index("check").loc["event without a stage"]
    assert int(line.rows) == 5  # basket_add x3, session_start, zzz
    assert line.examples.startswith("'basket_add' (3)")


def test_unknown_events_suggests_a_close_canonical_name():
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a"],
            "event": ["add_to_crt", "Product Vieweed"],
            "event_time": pd.date_range("2024-03-04", periods=2, freq="h", tz="UTC"),
        }
    )
    out = unknown_events(jl.read_events(frame)).set_index("event")
    assert out.loc["add_to_crt", "mapping_line"] == '"add_to_crt": "add_to_cart"'
    assert out.loc["Product Vieweed", "suggestion"] == "view_item"
