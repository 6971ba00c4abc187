"""The funnel page shows steps in words ("checkout started") in its tables and charts, as its
sentences do; the analyses keep the event names. A log that cannot link refunds to orders gets
one plain line where the returns chart would be."""

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
    monkeypatch.setattr("journeylib.show.sections._display_line", shown.append)
    assert funnel_page.returns_splits(tiny_log()) == ()
    assert funnel_page.returns_shown(()) is False
    assert shown == [
        "Refunds by order not shown: the log has no order id or revenue column, so refunds "
        "cannot be linked to orders."
    ]
    assert funnel_page.returns_shown(("category",)) is True and len(shown) == 1
