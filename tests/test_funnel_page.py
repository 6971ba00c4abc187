"""What notebook 02 decides before computing: steps, options, split, contact, returns splits.

Each log is built by hand; the expected choices follow from which events and columns it has.
"""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl
from journeylib.funnels.page import FunnelChoices, choose, returns_splits

DEFAULT_STEPS = "session_start,view_item,add_to_cart,begin_checkout,purchase"


def tiny_log(**extra: list) -> jl.EventLog:
    """Three users: a views, adds and buys; b views and adds; c views.

    ``extra`` adds columns (one value per event, 6 events in this order)."""
    rows = [
        ("a", "view_item", "2024-03-04 10:00:00"),
        ("a", "add_to_cart", "2024-03-04 10:01:00"),
        ("a", "purchase", "2024-03-04 10:02:00"),
        ("b", "view_item", "2024-03-04 11:00:00"),
        ("b", "add_to_cart", "2024-03-04 11:01:00"),
        ("c", "view_item", "2024-03-04 12:00:00"),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event", "event_time"])
    for name, values in extra.items():
        df[name] = values
    return jl.read_events(df)


CHANNELS = ["email", "email", "email", "cpc", "cpc", "cpc"]


def test_steps_missing_from_the_log_are_dropped_and_named():
    choice = choose(tiny_log(device=["mobile"] * 6), steps=DEFAULT_STEPS, segment="device")
    assert choice.steps == ["view_item", "add_to_cart", "purchase"]
    assert choice.notes == (
        'The log has no "visit started" or "checkout started" events: the funnel runs '
        "through product viewed, added to cart and purchase.",
    )
    # the chosen steps give the funnel worked out by hand: 3 view, 2 add, 1 buys
    f = jl.funnel(tiny_log(), choice.steps, **choice.options)
    assert f["count"].tolist() == [3, 2, 1]


def test_a_list_of_steps_all_in_the_log_needs_no_note():
    choice = choose(tiny_log(device=["mobile"] * 6), steps=["view_item", "purchase"])
    assert choice.steps == ["view_item", "purchase"] and choice.notes == ()


def test_fewer_than_two_steps_in_the_log_is_not_computable():
    with pytest.raises(jl.NotComputable, match="events for 1 of the funnel steps"):
        choose(tiny_log(), steps="session_start,begin_checkout,purchase")


def test_options_are_shared_and_an_empty_window_is_none():
    choice = choose(
        tiny_log(), steps="view_item,purchase", order="strict", window="", count="users"
    )
    assert choice.options == {"order": "strict", "window": None, "count": "users"}
    choice = choose(tiny_log(), steps="view_item,purchase", window="7D")
    assert choice.options["window"] == "7D"


def test_a_segment_column_that_cannot_split_falls_back_to_the_first_channel():
    choice = choose(tiny_log(channel=CHANNELS), steps="view_item,purchase", segment="device")
    assert choice.segment == "first_channel"
    assert choice.notes == (
        "The log has no device column: the funnel is split by first channel instead.",
    )
    # the fallback splits: email (a) 1 of 1 buys, cpc (b, c) 0 of 2
    seg = jl.funnel(tiny_log(channel=CHANNELS), choice.steps, by=choice.segment)
    assert seg["count"].tolist() == [2, 0, 1, 1]  # cpc then email, step 1 then 2


def test_without_device_or_channel_the_split_is_the_cohort():
    choice = choose(tiny_log(), steps="view_item,purchase", segment="first_device")
    assert choice.segment == "cohort"
    assert choice.notes == (
        "The log has no device column: the funnel is split by cohort (the month of the first "
        "visit) instead.",
    )


def test_a_segment_the_log_has_is_kept():
    choice = choose(tiny_log(device=["mobile"] * 6), steps="view_item,purchase", segment="device")
    assert choice.segment == "device" and choice.notes == ()


def test_the_contact_counts_every_email_click_without_a_campaign_column():
    log = tiny_log(device=["mobile"] * 6)
    choice = choose(log, steps="view_item,purchase", contact_campaign="abandoned_cart")
    assert choice.contact == "email_click"
    assert choice.notes == (
        "The log has no campaign column: every e-mail click counts as a contact.",
    )
    with_campaign = tiny_log(device=["mobile"] * 6, campaign=["abandoned_cart"] * 6)
    choice = choose(with_campaign, steps="view_item,purchase", contact_campaign="abandoned_cart")
    assert choice.contact == ("email_click", {"campaign": "abandoned_cart"})
    assert choice.notes == ()
    assert choose(log, steps="view_item,purchase", contact_campaign="").contact == "email_click"


def test_notes_come_in_the_order_steps_campaign_split(capsys, monkeypatch):
    choice = choose(
        tiny_log(channel=CHANNELS),
        steps=DEFAULT_STEPS,
        segment="device",
        contact_campaign="abandoned_cart",
    )
    assert [n.split(" ")[4] for n in choice.notes] == ['"visit', "campaign", "device"]
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    choice.show_notes()
    # one paragraph of page text (Markdown, not printed into a monospaced block)
    assert capsys.readouterr().out == ""
    assert len(shown) == 1 and type(shown[0]).__name__ == "Markdown"
    assert shown[0].data == (
        'The log has no "visit started" or "checkout started" events: the funnel runs through '
        "product viewed, added to cart and purchase. The log has no campaign column: every "
        "e-mail click counts as a contact. The log has no device column: the funnel is split "
        "by first channel instead."
    )
    assert isinstance(choice, FunnelChoices)


def test_no_notes_show_nothing(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    choose(tiny_log(device=["mobile"] * 6), steps="view_item,purchase").show_notes()
    assert shown == []


def test_returns_need_order_ids_and_revenue():
    assert returns_splits(tiny_log(channel=CHANNELS)) == ()
    assert returns_splits(tiny_log(order_id=["o1"] * 6, channel=CHANNELS)) == ()


def test_returns_split_by_category_then_channel_and_first_device():
    orders = {"order_id": ["o1"] * 6, "revenue": [None, None, 20.0, None, None, None]}
    full = tiny_log(**orders, category=["shoes"] * 6, channel=CHANNELS, device=["mobile"] * 6)
    assert returns_splits(full) == ("category", "channel", "first_device")
    # no category: the first device, then the splits the log can make
    assert returns_splits(tiny_log(**orders, device=["mobile"] * 6)) == (
        "first_device",
        "first_device",
    )
    # no category and no device: the cohort, and the channel
    assert returns_splits(tiny_log(**orders, channel=CHANNELS)) == ("cohort", "channel")
