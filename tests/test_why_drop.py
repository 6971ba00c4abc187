"""why_drop.analyze: what the "Why people drop" part of the funnel page shows, its fallbacks
on logs that cannot support a part, and the charts drawn from it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.periods import filter_period, iso_week_bounds
from journeylib.funnels import findings_why, plots_why, why_drop
from journeylib.show.labels import step_label

STEPS = ["view_item", "add_to_cart", "purchase"]


@pytest.fixture(scope="module")
def shop(shop_dir) -> jl.EventLog:
    return jl.read_events(shop_dir / "events.parquet")


def test_the_three_parts_on_the_shop(shop):
    _, end = iso_week_bounds("2024-W40")
    events = filter_period(shop, end=end)
    found = why_drop.analyze(events, STEPS, window="7D", end=end)
    assert found.notes == []
    assert {"device = tablet", "sign_up"} <= set(found.correlation.feature)
    # the biggest drop of view_item -> add_to_cart -> purchase is the first step
    f = jl.funnel(events, STEPS, window="7D")
    assert found.drop_step == ("view_item", "add_to_cart")
    assert found.dropouts.journeys.sum() == f.drop_off.iloc[1]
    assert found.dropouts.path.str.startswith("view_item").all()
    assert len(found.trend) == why_drop.WEEKS
    assert found.trend.period.iloc[-1] == pd.Timestamp("2024-09-30", tz="UTC")
    assert found.comparison["n"] == found.trend.reached_from.iloc[-1]
    assert any("this week" in s.lower() for s in findings_why.why_findings(found))
    for draw, data in [
        (plots_why.correlation_chart, found.correlation),
        (plots_why.flow_chart, found.dropouts),
        (plots_why.trend_chart, found.trend),
    ]:
        ax = draw(data)
        assert ax.get_title()
        matplotlib.pyplot.close(ax.figure)


def test_a_log_without_device_or_channel_says_so_in_one_line(shop):
    plain = shop.replace(table=shop.table.drop("device", "channel"))
    found = why_drop.analyze(plain, STEPS)
    assert found.notes == ["The log has no device or channel column: those are not compared."]
    assert not found.correlation.column.isin(["device", "channel"]).any()


def test_nothing_to_compare_and_no_drop_outs():
    t0 = pd.Timestamp("2024-03-04 10:00", tz="UTC")
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u2", "u2", "u2"],
            "event": STEPS * 2,
            "event_time": [t0 + pd.Timedelta(minutes=m) for m in range(6)],
        }
    )
    found = why_drop.analyze(jl.read_events(frame), STEPS)
    assert found.correlation is None and found.dropouts is None
    assert found.notes[1:] == [
        "What goes with finishing is not computed: everyone finished the funnel (2 entered): "
        "there is no one to compare with.",
        "No one left the funnel part-way: there are no drop-outs to follow.",
    ]
    assert found.trend.converted.tolist() == [2]


def test_page_tables_are_narrow_and_labelled(shop):
    from journeylib.show import tables

    found = why_drop.analyze(shop, STEPS, window="7D")
    html = tables.styled(**findings_why.correlation_table(found)).to_html()
    assert "Odds ratio of finishing" in html and "device: tablet" in html
    assert "sign_up" not in html and "signed up" in html
    html = tables.styled(**findings_why.paths_table(found)).to_html()
    assert "product viewed → left" in html and "Share of drop-outs" in html
    assert "&gt;" not in html and "view_item" not in html
    assert findings_why.paths_title(found).startswith("After “product viewed”, without “added")


def test_path_nodes_and_features_in_words():
    assert findings_why.path_words("view_item > page_view: size_guide > (end)") == (
        "product viewed, then size guide page, then left"
    )
    assert findings_why.path_words("(start) > search > … > purchase", joiner=" → ") == (
        "visit began → searched → … → purchase"
    )
    table = pd.DataFrame(
        {
            "kind": ["event", "user property", "event property"],
            "column": ["event", "first_channel", "page_type"],
            "value": ["begin_checkout", "paid_search", "size_guide"],
        }
    )
    assert findings_why.features_in_words(table).tolist() == [
        "checkout started",
        "first channel: paid search",
        "page type: size guide",
    ]
    rows = list(table.itertuples())
    assert [findings_why.who(r) for r in rows] == [
        "users with “checkout started” among their events",
        "users whose first channel was paid search",
        "users who viewed a size guide page",
    ]


def test_no_feature_done_by_enough_entrants_shows_no_chart():
    """Four entrants, one finishes, and nobody does anything but the funnel's own steps:
    nothing is compared, so no chart, and one sentence says so."""
    t0 = pd.Timestamp("2024-03-04 10:00", tz="UTC")
    rows = [("u1", "view_item", 0), ("u1", "add_to_cart", 1), ("u1", "purchase", 2)]
    rows += [(f"u{k}", "view_item", 10 * k) for k in (2, 3, 4)]
    frame = pd.DataFrame(rows, columns=["user_id", "event", "minute"])
    frame["event_time"] = t0 + pd.to_timedelta(frame.pop("minute"), unit="min")
    found = why_drop.analyze(jl.read_events(frame), STEPS)
    assert found.correlation is not None and found.correlation.empty
    assert not found.compared
    assert findings_why.correlation_sentences(found.correlation) == [
        "No event or property was done by enough of the entrants to be compared."
    ]


@pytest.mark.parametrize("count, within", [("sessions", "session"), ("users", "user")])
def test_drop_outs_found_once_give_the_same_paths(shop, count, within):
    """The funnel page finds the drop-outs once; paths from them equal paths found anew."""
    from journeylib.funnels import abandonment

    events = jl.sessionize(shop)
    options = {"window": "7D", "count": count}
    drops = abandonment.dropouts(events, STEPS, **options)
    for k in (1, 2):
        anew = jl.paths(events, drop_offs_of=(STEPS, k, options), within=within)
        reused = jl.paths(events, drop_offs_of=(STEPS, k, options), within=within, dropouts=drops)
        pd.testing.assert_frame_equal(reused, anew)
        assert reused.journeys.sum() > 0


def test_a_report_can_leave_the_part_out():
    left = why_drop.left_out()
    assert not left.compared and left.dropouts is None and left.trend is None
    assert findings_why.why_findings(left) == [why_drop.LEFT_OUT]


def test_the_page_table_shows_q_values_as_the_pages_show_p():
    from journeylib.show import tables

    t0 = pd.Timestamp("2024-03-04 10:00", tz="UTC")
    rows = []
    for k in range(60):  # 30 who sign up and all finish, 30 who do not and never finish
        rows += [(f"u{k}", "view_item", 0)]
        rows += [(f"u{k}", "sign_up", 1), (f"u{k}", "add_to_cart", 2), (f"u{k}", "purchase", 3)][
            : 3 if k < 30 else 0
        ]
    frame = pd.DataFrame(rows, columns=["user_id", "event", "minute"])
    frame["event_time"] = t0 + pd.to_timedelta(frame.pop("minute"), unit="min")
    found = why_drop.analyze(jl.read_events(frame), STEPS)
    assert found.correlation.q_value.iloc[0] < 0.001
    html = tables.styled(**findings_why.correlation_table(found)).to_html()
    assert "&lt; 0.001" in html and "0.000" not in html


def test_drop_outs_on_one_path_are_told_in_one_sentence_without_a_chart():
    """Three view a product and leave, one buys: every drop-out took the same path."""
    t0 = pd.Timestamp("2024-03-04 10:00", tz="UTC")
    rows = [("u1", "view_item", 0), ("u1", "add_to_cart", 1), ("u1", "purchase", 2)]
    rows += [(f"u{k}", "view_item", 10 * k) for k in (2, 3, 4)]
    rows += [("u2", "view_item", 21)]  # a repeat collapses into the same path
    frame = pd.DataFrame(rows, columns=["user_id", "event", "minute"])
    frame["event_time"] = t0 + pd.to_timedelta(frame.pop("minute"), unit="min")
    found = why_drop.analyze(jl.read_events(frame), STEPS)
    assert found.dropouts.path.tolist() == ["view_item > (end)"]
    assert not found.paths_differ
    assert (
        "All 3 who reached “product viewed” and not “added to cart” did the same: "
        "product viewed, then left." in findings_why.why_findings(found)
    )


# --- the widget ----------------------------------------------------------------------------------


def test_the_why_widget_draws_each_view_and_a_bad_step_is_one_line(
    shop_events_df, monkeypatch, capsys
):
    import matplotlib
    import matplotlib.pyplot as plt

    from journeylib.funnels.plots_why import explore_why

    matplotlib.use("Agg")
    monkeypatch.delenv("JOURNEYLIB_REPORT", raising=False)
    steps = ["view_item", "add_to_cart", "purchase"]
    widget = explore_why(shop_events_df, steps)
    plt.close("all")
    picker = widget.children[1]  # beside the steps box: the log's own event names
    assert set(shop_events_df.event) <= set(picker.options)
    for view in ("finishing", "drop-out paths", "weekly trend"):
        widget.redraw(steps=", ".join(steps), window="7D", view=view)
        assert plt.get_fignums(), f"{view}: nothing drawn"
        plt.close("all")
    # the drop-out paths are of the biggest drop, told in a sentence above the chart
    f = jl.funnel(shop_events_df, steps, window="7D", count="sessions")
    k = int((1 - f.step_conversion).iloc[1:].to_numpy().argmax()) + 1
    out = capsys.readouterr().out
    assert f"reached \u201c{step_label(steps[k - 1])}\u201d and not" in out
    widget.redraw(steps="view_item, purchse", window="7D", view="finishing")
    lines = [x for x in capsys.readouterr().out.splitlines() if "purchse" in x]
    assert len(lines) == 1 and "purchase" in lines[0].replace("purchse", "")
    assert not plt.get_fignums()
    assert explore_why(shop_events_df, steps) is not None
    monkeypatch.setenv("JOURNEYLIB_REPORT", "1")
    assert explore_why(shop_events_df, steps) is None


def test_the_drop_out_section_without_a_chart_says_the_one_path_or_why_there_is_none():
    one = pd.DataFrame(
        {
            "path": ["view_item > (end)"],
            "steps": [2],
            "journeys": [12],
            "users": [12],
            "share": [1.0],
        }
    )
    why = why_drop.WhyDrop(None, one, ("view_item", "add_to_cart"), None, None)
    assert not why.paths_differ
    assert findings_why.paths_in_one_line(why) == (
        "All 12 who reached \u201cproduct viewed\u201d and not \u201cadded to cart\u201d did the "
        "same: product viewed, then left."
    )
    nobody = why_drop.WhyDrop(None, None, None, None, None, notes=[why_drop.NO_DROPOUTS])
    assert findings_why.paths_in_one_line(nobody) == (
        "No one left the funnel part-way: there are no drop-outs to follow."
    )
    assert findings_why.paths_in_one_line(why_drop.left_out()) == (
        "Why people drop is left out of this report."
    )
