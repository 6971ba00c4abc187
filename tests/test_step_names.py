"""A funnel step no event matches warns, naming the step and the closest event names."""

import warnings

import pandas as pd
import pytest

import journeylib as jl
from journeylib.funnels.step_names import closest_names, event_names

LOG = pd.DataFrame(
    {
        "user_id": ["a", "a", "a", "b", "b", "c"],
        "event": [
            "session_start",
            "view_item",
            "purchase",
            "session_start",
            "page_view",
            "session_start",
        ],
        "event_time": pd.to_datetime(
            [
                "2024-01-01 10:00",
                "2024-01-01 10:01",
                "2024-01-01 10:05",
                "2024-01-01 11:00",
                "2024-01-01 11:01",
                "2024-01-02 09:00",
            ],
            utc=True,
        ),
    }
)


def test_event_names_most_frequent_first():
    # session_start x3; then one each, by name
    assert event_names(LOG) == ["session_start", "page_view", "purchase", "view_item"]


def test_closest_names_by_spelling_else_the_most_frequent():
    names = event_names(LOG)
    assert closest_names("purchse", names)[0] == "purchase"
    assert closest_names("View_Itme", names)[0] == "view_item"
    assert closest_names("zzz", names) == ["session_start", "page_view", "purchase"]


def test_a_misspelt_step_warns_with_the_closest_names():
    with pytest.warns(UserWarning, match=r"step 'purchse' matches no event.*'purchase'"):
        result = jl.funnel(LOG, ["session_start", "purchse"])
    assert result["count"].tolist() == [3, 0]  # still computed: a real 0, announced


def test_a_step_with_one_known_alternative_does_not_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = jl.funnel(LOG, ["session_start", ["purchase", "purchse"]])
    assert [str(w.message) for w in caught if "matches no event" in str(w.message)] == []
    assert result["count"].tolist() == [3, 1]


def test_funnel_times_warns_too():
    with pytest.warns(UserWarning, match="step 'add_to_cart' matches no event"):
        jl.funnel_times(LOG, ["session_start", "add_to_cart"])
