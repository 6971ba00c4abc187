"""The best-vs-rest profile as a page table: each row in its unit, plain headers, no unit column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeylib.best import findings as findings_best

COLUMNS = ["group", "question", "metric", "unit", "best", "rest", "difference", "ratio",
           "ci_low", "ci_high", "p_value", "test", "n_best", "n_rest", "note"]  # fmt: skip


def _profile() -> pd.DataFrame:
    q1, q5 = "Which channels do they come from?", "How often do they buy?"
    rows = [
        # 28 of 148 best customers (18.9 %) against 83 of 1,330 others (6.24 %): +12.7 points
        (1, q1, "first channel: organic_search", "share", 28 / 148, 83 / 1330, 28 / 148 - 83 / 1330,
         np.nan, 0.0700, 0.1984, 2.8e-8, "z", 148, 1330, ""),
        (1, q1, "first touchpoint: page: size_guide", "share", 0.5, 0.5, 0.0, 1.0, -0.05, 0.05,
         1.0, "z", 148, 1330, ""),
        (5, q5, "days between orders (repeat customers)", "days", 42.0, 49.32, -7.32, np.nan,
         -21.13, -0.999, 0.0531, "bootstrap", 124, 341, ""),
        (5, q5, "CLV", "currency", 497.04, 81.93, 415.11, np.nan, 368.32, 461.9, 5e-38, "t",
         148, 1330, "net revenue so far"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def test_shares_as_percents_with_plain_headers():
    shown = findings_best.profile_rows(_profile(), 1)
    assert list(shown.columns) == [
        "Measure",
        "Best customers",
        "Other customers",
        "Difference",
        "95% interval of the difference",
        "p-value",
    ]
    assert shown.iloc[0].tolist() == [
        "First channel: organic search",
        "18.9%",
        "6.24%",
        "+12.7 pts",
        "+7.0 pts to +19.8 pts",
        "< 0.001",
    ]
    assert shown.Measure[1] == "First touchpoint: size guide page"


def test_rows_in_their_own_units_with_counts_and_notes_when_they_differ():
    shown = findings_best.profile_rows(_profile(), 5)
    assert shown.iloc[0, :6].tolist() == [
        "Days between orders (repeat customers)",
        "42.0 days",
        "49.3 days",
        "-7.3 days",
        "-21.1 days to -1.0 days",
        "0.053",
    ]
    assert shown.iloc[1, 1:4].tolist() == ["497.04", "81.93", "+415.11"]
    assert shown["Customers compared"].tolist() == [
        "124 best, 341 others",
        "148 best, 1,330 others",
    ]
    assert shown["Note"].tolist() == ["", "net revenue so far"]


def test_page_table_caption_names_the_question_and_the_customers():
    html = findings_best.profile_table(_profile(), 1).to_html()
    assert "Which channels do they come from? (148 best customers, 1,330 others)" in html
    assert ">unit<" not in html.lower() and "0.189" not in html


def test_a_share_every_customer_has_is_named_under_the_table_not_shown_as_a_row():
    profile = _profile()
    # a log whose visits all start on a product page: 148 of 148 best, 1,330 of 1,330 others
    alike = (1, "Which channels do they come from?", "first touchpoint: view_item", "share",
             1.0, 1.0, 0.0, 1.0, -0.39, 0.079, 1.0, "z", 148, 1330, "")  # fmt: skip
    profile.loc[len(profile)] = alike
    html = findings_best.profile_table(profile, 1).to_html()
    assert "Left out, the same for all: first touchpoint: product viewed, for all customers" in html
    assert html.count("First touchpoint") == 1  # the size guide row
    assert "?." not in html
    profile.loc[0, "n_best"] = 100  # the rows compare different counts: the caption ends on "?"
    html = findings_best.profile_table(profile, 1).to_html()
    assert "come from? Left out, the same for all" in html
    only = profile[(profile.group != 1) | (profile.metric == "first touchpoint: view_item")]
    said = findings_best.profile_table(only, 1).data
    assert said == (
        "*Nothing to compare here: best customers and the rest are alike "
        "(first touchpoint: product viewed, for all customers).*"
    )


def test_an_amount_the_same_for_every_customer_is_left_out_too():
    q2 = "What do they look at before buying?"
    rows = [
        # an orders-only log: no product views before anyone's first order, on either side
        (2, q2, "products viewed before first order", "count", 0.0, 0.0, 0.0, np.nan, 0.0, 0.0,
         1.0, "Welch t-test", 6, 45, ""),
        (2, q2, "active days before first order", "days", 0.0, 0.0, 0.0, np.nan, 0.0, 0.0, 1.0,
         "Welch t-test", 6, 45, ""),
    ]  # fmt: skip
    said = findings_best.profile_table(pd.DataFrame(rows, columns=COLUMNS), 2).data
    assert said == (
        "*Nothing to compare here: best customers and the rest are alike (products viewed "
        "before first order, 0 for every customer; active days before first order, 0.0 days "
        "for every customer).*"
    )
    # a median equal on both sides, even with a bootstrap interval of zero width, is kept
    median = (2, q2, "days from first visit to first order", "days", 0.0, 0.0, 0.0, np.nan, 0.0,
              0.0, 1.0, "bootstrap CI, Mann-Whitney U", 6, 45, "")  # fmt: skip
    html = findings_best.profile_table(pd.DataFrame([*rows, median], columns=COLUMNS), 2)
    assert "Days from first visit to first order" in html.to_html()
