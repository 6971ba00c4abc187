"""The funnel page shows steps in words ("checkout started") in its tables and charts, as its
sentences do; the analyses keep the event names. What a log cannot fill (refunds without order
ids, channels of recovered carts without a channel, checkout steps no cart reached) gets one
plain line instead of an empty chart or table."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import journeylib as jl
from journeylib.funnels import page as funnel_page
from journeylib.funnels import plots as plots_funnel
from journeylib.show.labels import steps_in_words

STEPS = ["view_item", "add_to_cart", "begin_checkout", "purchase"]


def tiny_log() -> jl.EventLog:
    """a: views, adds, checks out, buys; b: views, adds, checks out; c: views, adds; d: views.
    One session each, on two devices (a, b mobile; c, d desktop)."""
    rows = []
    for user, reached, device in (("a", 4, "mobile"), ("b", 3, "mobile"), ("c", 2, "desktop"),
                                  ("d", 1, "desktop")):  # fmt: skip
        for i, step in enumerate(STEPS[:reached]):
            rows.append((user, step, f"2024-03-04 10:0{i}:00", f"{user}1", device))
    cols = ["user_id", "event", "event_time", "session_id", "device"]
    return jl.read_events(pd.DataFrame(rows, columns=cols))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_the_funnel_table_reads_in_words_and_the_analysis_keeps_event_names():
    f = jl.funnel(tiny_log(), STEPS, count="users")
    assert f.step.tolist() == STEPS  # analyst-facing: the event names
    assert f["count"].tolist() == [4, 3, 2, 1]  # by hand: a-d view, a-c add, a-b check out
    shown = steps_in_words(f)
    words = ["product viewed", "added to cart", "checkout started", "purchase"]
    assert shown.step.tolist() == words
    assert shown["count"].tolist() == [4, 3, 2, 1] and f.step.tolist() == STEPS
    nexts = pd.DataFrame({"step": ["add_to_cart"], "next_event": ["view_cart"], "count": [2]})
    assert steps_in_words(nexts, ("step", "next_event")).iloc[0].tolist() == [
        "added to cart",
        "cart viewed",
        2,
    ]


def test_the_funnel_chart_labels_its_steps_in_words():
    f = jl.funnel(tiny_log(), STEPS, count="users")
    ax = plots_funnel.funnel_chart(f)
    words = [t.get_text() for t in ax.get_yticklabels()]
    assert words == ["product viewed", "added to cart", "checkout started", "purchase"]
    # the bars keep their counts, in the steps' order
    assert [round(p.get_width()) for p in ax.patches] == [4, 3, 2, 1]


def test_the_segment_chart_labels_its_steps_in_words():
    seg = jl.funnel(tiny_log(), STEPS, by="device", count="users")
    ax = plots_funnel.segment_funnels(seg, by="device")
    words = [t.get_text().rstrip("*") for t in ax.get_xticklabels()]
    assert words == ["product viewed", "added to cart", "checkout started", "purchase"]


def test_the_cart_abandonment_chart_labels_its_steps_in_words():
    cart = jl.cart_abandonment(tiny_log())
    ax = plots_funnel.abandonment(cart)
    words = [t.get_text() for t in ax.get_xticklabels()]
    assert cart.step.tolist()[:3] == ["add_to_cart", "view_cart", "begin_checkout"]
    assert words == [
        "added to cart",
        "cart viewed",
        "checkout started",
        "shipping details added",
        "payment details added",
    ]


def test_returns_without_order_ids_show_one_plain_line(monkeypatch):
    shown = []
    monkeypatch.setattr("journeylib.show.sections.display_line", shown.append)
    assert funnel_page.returns_splits(tiny_log()) == ()
    assert funnel_page.returns_shown(()) is False
    assert shown == [
        "Refunds by order not shown: the log has no order id or revenue column, so refunds "
        "cannot be linked to orders."
    ]
    assert funnel_page.returns_shown(("category",)) is True and len(shown) == 1


def test_the_channels_of_recovered_carts_say_why_when_there_are_none(monkeypatch):
    shown = []
    monkeypatch.setattr("journeylib.show.sections.display_line", shown.append)
    log = tiny_log()  # b and c abandon their carts, nobody comes back; no channel column
    rec = jl.cart_recovery(log)
    assert rec.by_contact.abandoned.sum() == 2 and rec.by_channel.empty
    assert funnel_page.recovery_channels_shown(log, rec.by_channel) is False
    assert shown == [
        "Channel of the recovering purchase not shown: the log has no channel column (map one "
        'as "channel" in the column mapping).'
    ]
    # with channels: c comes back two days later by e-mail and buys, b never does
    rows = [
        ("b", "add_to_cart", "2024-03-04 10:00:00", "b1", "cpc"),
        ("c", "add_to_cart", "2024-03-04 11:00:00", "c1", "cpc"),
        ("c", "purchase", "2024-03-06 11:00:00", "c2", "email"),
    ]
    cols = ["user_id", "event", "event_time", "session_id", "channel"]
    back = jl.read_events(pd.DataFrame(rows, columns=cols))
    rec = jl.cart_recovery(back)
    assert rec.by_channel[["channel", "recovered"]].values.tolist() == [["email", 1]]
    assert funnel_page.recovery_channels_shown(back, rec.by_channel) is True
    never = jl.read_events(pd.DataFrame(rows[:2], columns=cols))
    assert funnel_page.recovery_channels_shown(never, jl.cart_recovery(never).by_channel) is False
    assert (
        shown[-1]
        == "Channel of the recovering purchase not shown: no abandoned cart was recovered."
    )


def test_checkout_steps_no_cart_reached_are_left_out_with_one_line(monkeypatch):
    shown = []
    monkeypatch.setattr("journeylib.show.sections.display_line", shown.append)
    cart = jl.cart_abandonment(tiny_log())
    assert len(cart) == 5  # every checkout step, zeros where nobody got there
    kept = funnel_page.reached_cart_steps(cart)
    # a, b, c put something in the cart and b, c left without buying; a and b began the
    # checkout and b left: no one viewed the cart page or added shipping or payment details
    assert kept[["step", "sessions", "abandoned"]].values.tolist() == [
        ["add_to_cart", 3, 2],
        ["begin_checkout", 2, 1],
    ]
    assert shown == [
        'Checkout steps not shown: no cart session reached "cart viewed", "shipping details '
        'added" or "payment details added" (the log may have no such events).'
    ]
    # a log reaching every step keeps every row and says nothing
    full = cart.assign(sessions=[3, 1, 2, 1, 1])
    assert len(funnel_page.reached_cart_steps(full)) == 5 and len(shown) == 1
