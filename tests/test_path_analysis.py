"""paths: hand-worked journeys (after a start, before an end, between both, after dropping out
of a funnel), path cleaning and collapsed repeats."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def log(rows: list[tuple]) -> jl.EventLog:
    """Rows (user, event, minutes after T0, session[, page_type]) in source order."""
    rows = [(*r, None) if len(r) == 4 else r for r in rows]
    frame = pd.DataFrame(
        [(u, e, T0 + pd.Timedelta(minutes=m), s, p) for u, e, m, s, p in rows],
        columns=["user_id", "event", "event_time", "session_id", "page_type"],
    )
    return jl.read_events(frame.astype({"session_id": "string", "page_type": "string"}))


ROWS = [
    # u1, one visit: a b b c d (b repeated), then a second visit: a c
    ("u1", "a", 0, "s1"), ("u1", "b", 1, "s1"), ("u1", "b", 2, "s1"), ("u1", "c", 3, "s1"),
    ("u1", "d", 4, "s1"), ("u1", "a", 100, "s2"), ("u1", "c", 101, "s2"),
    # u2: x a b d
    ("u2", "x", 0, "t1"), ("u2", "a", 1, "t1"), ("u2", "b", 2, "t1"), ("u2", "d", 3, "t1"),
]  # fmt: skip


def as_dict(table: pd.DataFrame) -> dict[str, int]:
    return dict(zip(table.path, table.journeys, strict=True))


def test_a_path_between_two_events():
    out = jl.paths(log(ROWS), start="a", end="d")
    # s1: a b c d (the two b one node); t1: a b d; s2 has no d: left out
    assert as_dict(out) == {"a > b > c > d": 1, "a > b > d": 1}
    assert out.share.tolist() == [0.5, 0.5]
    assert out.steps.tolist() == [4, 3]
    # with room for 3 nodes: a, b, then the gap, then d (a > b > d fits whole)
    out = jl.paths(log(ROWS), start="a", end="d", steps=3)
    assert as_dict(out) == {"a > b > … > d": 1, "a > b > d": 1}


def test_after_a_start_and_before_an_end():
    out = jl.paths(log(ROWS), start="b", steps=2)
    # s1: b c (more follows); t1: b d, the visit's end
    assert as_dict(out) == {"b > c": 1, "b > d > (end)": 1}
    out = jl.paths(log(ROWS), end="c", steps=3)
    # s1: a b c, from the visit's start; s2: a c
    assert as_dict(out) == {"(start) > a > b > c": 1, "(start) > a > c": 1}
    out = jl.paths(log(ROWS), end="d", steps=2)
    assert as_dict(out) == {"c > d": 1, "b > d": 1}
    # repeats kept on request
    out = jl.paths(log(ROWS), start="a", end="d", collapse_repeats=False)
    assert as_dict(out) == {"a > b > b > c > d": 1, "a > b > d": 1}


def test_within_user_crosses_visits_and_counts_users():
    out = jl.paths(log(ROWS), start="d", within="user", steps=3)
    # u1: d, then the next visit's a c, its last events; u2: d is the last event
    assert as_dict(out) == {"d > a > c > (end)": 1, "d > (end)": 1}
    assert out.users.tolist() == [1, 1]


def test_path_cleaning_names_and_regular_expressions():
    rows = [
        ("u1", "page_view", 0, "s1", "product"), ("u1", "page_view", 1, "s1", "reviews"),
        ("u1", "add_to_cart", 2, "s1"), ("u2", "page_view", 0, "s2", "home"),
        ("u2", "page_view", 1, "s2", "product"), ("u2", "add_to_cart", 2, "s2"),
    ]  # fmt: skip
    raw = jl.paths(log(rows), end="add_to_cart")
    assert as_dict(raw) == {
        "(start) > page_view: product > page_view: reviews > add_to_cart": 1,
        "(start) > page_view: home > page_view: product > add_to_cart": 1,
    }
    clean = {r"page_view: (product|reviews)": "product pages", "add_to_cart": "cart"}
    out = jl.paths(log(rows), end="cart", clean=clean)
    # product and reviews pages become one node, and the two then collapse into one
    assert as_dict(out) == {
        "(start) > product pages > cart": 1,
        "(start) > page_view: home > product pages > cart": 1,
    }
    with pytest.raises(ValueError, match="regular expression"):
        jl.paths(log(rows), clean={"(": "x"})


def test_a_drop_off_path():
    # funnel a -> c -> d (one attempt per user): u1 finishes (a 0, c 3, d 4), u2 reaches
    # a only (no c), u3 reaches a and c and stops
    rows = ROWS + [("u3", "a", 0, "v1"), ("u3", "b", 1, "v1"), ("u3", "c", 2, "v1"),
                   ("u3", "x", 3, "v1"), ("u3", "x", 4, "v1"), ("u3", "a", 60, "v2")]  # fmt: skip
    out = jl.paths(log(rows), drop_offs_of=(["a", "c", "d"], 2))
    # from u3's c, in its visit: c x (the x twice is one node), then the visit ends
    assert as_dict(out) == {"c > x > (end)": 1}
    # stopped at step 1 (a, not c): u2, from its a to the end of its visit
    out = jl.paths(log(rows), drop_offs_of=(["a", "c", "d"], 1), steps=3)
    assert as_dict(out) == {"a > b > d > (end)": 1}
    # per session, with the funnel's options: s2 (a c) and v2 (a) stop short of d
    opts = {"count": "sessions"}
    out = jl.paths(log(rows), drop_offs_of=(["a", "c", "d"], 2, opts))
    assert as_dict(out) == {"c > (end)": 1, "c > x > (end)": 1}
    with pytest.raises(ValueError, match="k must be"):
        jl.paths(log(rows), drop_offs_of=(["a", "c"], 2))
