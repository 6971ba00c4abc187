"""The funnel page's segment sentence quotes its test as the pages show p-values."""

import pandas as pd

from journeylib.funnels.findings import _weakest_segment


def _segments(p_at_step_2: float) -> pd.DataFrame:
    # mobile: 100 enter, 10 reach purchase; desktop: 100 enter, 30 reach purchase
    return pd.DataFrame(
        {
            "device": ["mobile", "desktop", "mobile", "desktop"],
            "step_index": [1, 1, 2, 2],
            "step": ["view_item", "view_item", "purchase", "purchase"],
            "count": [100, 100, 10, 30],
            "conversion": [1.0, 1.0, 0.10, 0.30],
            "p_value": [float("nan"), float("nan"), p_at_step_2, p_at_step_2],
        }
    )


def test_a_tiny_p_value_reads_below_one_in_a_thousand_not_in_scientific_notation():
    sentence = _weakest_segment(_segments(1.6e-9), "device")
    assert sentence == (
        "mobile (device) converts least: 10.00% reach purchase against 30.00% for the other "
        "device values (chi-square test, smallest p across steps < 0.001)."
    )


def test_a_larger_p_value_has_three_decimals():
    assert _weakest_segment(_segments(0.0234), "device").endswith("steps = 0.023).")


def test_why_people_drop_quotes_events_and_paths_in_plain_words():
    from journeylib.funnels.findings_why import paths_sentence, who

    row = pd.Series({"kind": "event", "value": "sign_up", "column": "event"})
    assert who(row) == "users with \u201csigned up\u201d among their events"
    paths = pd.DataFrame(
        {"path": ["view_item > search > (end)", "view_item > (end)"], "journeys": [40, 60]}
    ).assign(share=lambda t: t.journeys / t.journeys.sum())
    # the table is sorted by journeys: the first row is the most common, 60 of 100
    paths = paths.sort_values("journeys", ascending=False, ignore_index=True)
    assert paths_sentence(paths, left="view_item", lost="add_to_cart") == (
        "Of the 100 who reached \u201cproduct viewed\u201d and not \u201cadded to cart\u201d, "
        "the most common way on is product viewed, then left (60%)."
    )
    one = paths.tail(1).assign(share=1.0)
    assert paths_sentence(one, left="view_item", lost="add_to_cart") == (
        "All 40 who reached \u201cproduct viewed\u201d and not \u201cadded to cart\u201d "
        "did the same: product viewed, then searched, then left."
    )
