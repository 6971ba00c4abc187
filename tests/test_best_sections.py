"""The best-customer page on a REES46-like log (no channel, no page_type): each section the log
cannot fill is left out with one plain sentence, never an empty chart or "(none)"."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

import journeylib as jl
from journeylib.best import findings as findings_best
from journeylib.best import page as best_page
from journeylib.best import plots as plots_best
from journeylib.best.on_the_path import nobody_on_the_path

# REES46's shape: view / purchase with a session, a category and a price; no channel, no
# device, no page type. Net revenue: a 50 + 70 = 120, b 20, c 10, d 5; e only looks.
# The 75th percentile of (5, 10, 20, 120) is 20 + 0.25 * 100 = 45: a alone is best.
ROWS = [
    ("a", "view_item", "2024-03-04 10:00", "a1", "shoes", 50.0),
    ("a", "purchase", "2024-03-04 10:05", "a1", "shoes", 50.0),
    ("a", "purchase", "2024-03-20 10:05", "a2", "shoes", 70.0),
    ("b", "view_item", "2024-03-05 10:00", "b1", "bags", 20.0),
    ("b", "purchase", "2024-03-05 10:05", "b1", "bags", 20.0),
    ("c", "view_item", "2024-03-06 10:00", "c1", "bags", 10.0),
    ("c", "purchase", "2024-03-06 10:05", "c1", "bags", 10.0),
    ("d", "view_item", "2024-03-07 10:00", "d1", "shoes", 5.0),
    ("d", "purchase", "2024-03-07 10:05", "d1", "shoes", 5.0),
    ("e", "view_item", "2024-03-08 10:00", "e1", "bags", 5.0),
]


def rees46_like(**extra: list) -> pd.DataFrame:
    cols = ["user_id", "event", "event_time", "session_id", "category", "unit_price"]
    df = pd.DataFrame(ROWS, columns=cols)
    df["revenue"] = df.unit_price.where(df.event == "purchase")
    return df.assign(**extra)


def test_without_channel_and_page_type_those_sections_say_why_instead_of_empty_charts():
    page = best_page.analyze(jl.read_events(rees46_like()), top=0.25)
    assert page.start.best.user_id.tolist() == ["a"]
    notes = page.sections.notes
    assert notes["channels"] == (
        "First channels of best customers and the rest not shown: the log has no channel "
        'column (map one as "channel" in the column mapping).'
    )
    assert "no page_type column" in notes["pages"]
    assert "no channel column" in notes["next_channel"]
    # the log has categories: a's first order is shoes, b and c bags, d shoes
    assert page.sections.computable("first_category")
    shoes = page.profile.set_index("metric").loc["first category bought: shoes"]
    assert (shoes.best, shoes.rest) == (1.0, 1 / 3)
    # every customer bought from one category: no pair to show
    assert page.rules is not None and page.rules.empty and not page.sections.computable("rules")
    # every customer viewed and bought in the first visit (100 % > 95 %): no early pattern,
    # so no path and nobody on it
    assert page.patterns.empty and page.on_path.empty
    assert set(notes) >= {"patterns", "path", "on_path"}
    assert "(none)" not in " ".join(notes.values())


def test_with_a_channel_the_channel_sections_are_shown():
    channels = ["email", "email", "cpc", "cpc", "cpc", "seo", "seo", "seo", "seo", "seo"]
    page = best_page.analyze(jl.read_events(rees46_like(channel=channels)), top=0.25)
    for section in ("channels", "next_channel", "first_category", "patterns"):
        assert page.sections.computable(section), page.sections.note(section)
    # first channels: a email (best); b cpc, c seo, d seo (the rest)
    email = page.profile.set_index("metric").loc["first channel: email"]
    assert (email.best, email.rest) == (1.0, 0.0)
    assert sorted(page.channels.channel) == ["cpc", "email", "seo"]
    assert "no page_type column" in page.sections.note("pages")


def test_the_findings_say_why_nobody_is_on_the_path_instead_of_none():
    page = best_page.analyze(jl.read_events(rees46_like()), top=0.25)
    said = findings_best.best_findings(
        page.who, page.channels, page.patterns, page.on_path, definition=page.definition
    )
    assert said[-1] == (
        "No user is on the best customers' path now: no early pattern is more common among "
        "best customers than among the others."
    )
    assert not any("(none)" in s or s.startswith("0 users") for s in said)
    # one channel only ("(none)" for everyone): no sentence compares channels
    assert not any("first acquired through" in s for s in said)


def test_why_nobody_is_on_the_path_when_patterns_exist():
    productive = pd.DataFrame({"rank": [1], "productive": [True], "lift": [2.0]})
    assert nobody_on_the_path(productive, active_within="30D") == (
        "no user active in the last 30 days, other than the best customers, shows their early "
        "patterns"
    )
    weaker = pd.DataFrame({"rank": [1], "productive": [False], "lift": [0.6]})
    assert nobody_on_the_path(weaker).startswith("no early pattern is more common")


def _pattern_rows() -> pd.DataFrame:
    """Two early patterns as :func:`journeylib.early_patterns` returns them (the columns the
    chart reads): 30 % of the 40 customers with both pages became best, 10 % of the rest."""
    return pd.DataFrame(
        {
            "pattern": [
                "page: reviews + page: size_guide",
                "event: view_item → event: add_to_cart",
            ],
            "p_best": [0.30, 0.20],
            "ci_low": [0.18, 0.10],
            "ci_high": [0.45, 0.35],
            "support": [0.40, 0.25],
            "lift": [3.0, 1.8],
            "p_best_without": [0.10, 0.13],
            "productive": [True, False],
        }
    )


def test_the_early_patterns_chart_and_path_list_show_patterns_in_words():
    ax = plots_best.patterns_lift(_pattern_rows())
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "reviews page + size guide page",
        "product viewed → added to cart",
    ]
    sizes = pd.DataFrame(
        {
            "segment": ["visitor, no order yet", "one-time customer"],
            "pattern": ["page: reviews + page: size_guide", "first channel: organic_search"],
            "users": [12, 3],
        }
    )
    ax = plots_best.on_path_sizes(sizes)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["reviews page + size guide page", "first channel: organic search"]
    assert sizes.pattern.iloc[0] == "page: reviews + page: size_guide"  # the frame is unchanged
    plt.close("all")


def test_the_path_to_replicate_names_channels_and_pages_in_words():
    row = {"group": 1, "unit": "share", "ratio": 2.0, "p_value": 0.01, "n_best": 10, "rest": 0.2}
    profile = pd.DataFrame(
        [
            {**row, "metric": "first channel: organic_search", "best": 0.4},
            {**row, "group": 2, "metric": "viewed before first order: size_guide", "best": 0.5},
        ]
    )
    path = findings_best.path_to_replicate(profile, _pattern_rows())
    assert path.push.tolist() == [
        "acquire through organic search",
        "early on, lead visitors to: reviews page + size guide page",
        "before the first order, show the size guide page",
    ]
