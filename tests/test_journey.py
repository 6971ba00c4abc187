"""Journey mapping on hand-worked tiny logs, and on the small synthetic shop."""

import pandas as pd
import pytest

import journeylib as jl
from journeylib.journey import journey_map as journey

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def _tiny() -> pd.DataFrame:
    """Two users. a: visit s1 (organic), an off-site e-mail open, visit s2 (email) with a
    purchase. b: one visit (direct) with a page view and a search in the same second."""
    s = pd.Timedelta(seconds=1)
    rows = [
        # user, event, time, session, channel
        ("a", "page_view", T0, "s1", "organic_search"),
        ("a", "view_item", T0 + 10 * s, "s1", "organic_search"),
        ("a", "add_to_cart", T0 + 30 * s, "s1", "organic_search"),
        ("a", "email_open", T0 + 1800 * s, None, "email"),
        ("a", "page_view", T0 + 3600 * s, "s2", "email"),
        ("a", "purchase", T0 + 3660 * s, "s2", "email"),
        ("b", "page_view", T0, "s3", "direct"),
        ("b", "search", T0, "s3", "direct"),  # tie: the row order puts it after the page view
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event", "event_time", "session_id", "channel"])
    return df.iloc[[6, 3, 0, 5, 1, 7, 2, 4]].reset_index(drop=True)  # time order is not row order


def _edges(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {(r["from"], r["to"]): int(r.transitions) for _, r in frame.iterrows()}


def test_transitions_within_session_with_start_end():
    out = journey.transitions(_tiny(), level="event", within="session")
    # the e-mail open has no session: left out
    assert _edges(out) == {
        ("(start)", "page_view"): 3,  # s1, s2, s3
        ("page_view", "view_item"): 1,
        ("page_view", "purchase"): 1,
        ("page_view", "search"): 1,  # b's tie, broken by row order
        ("view_item", "add_to_cart"): 1,
        ("add_to_cart", "(end)"): 1,
        ("purchase", "(end)"): 1,
        ("search", "(end)"): 1,
    }
    row = out.set_index(["from", "to"])
    assert row.loc[("(start)", "page_view"), "users"] == 2
    assert row.loc[("page_view", "view_item"), "probability"] == pytest.approx(1 / 3)
    assert row.loc[("page_view", "purchase"), "median_seconds"] == 60
    assert row.loc[("page_view", "search"), "median_seconds"] == 0
    assert row.loc[("view_item", "add_to_cart"), "median_seconds"] == 20
    assert pd.isna(row.loc[("(start)", "page_view"), "median_seconds"])
    assert out.groupby("from").probability.sum().round(12).eq(1).all()


def test_transitions_within_user_includes_off_site_events():
    out = journey.transitions(_tiny(), level="event", within="user")
    edges = _edges(out)
    assert edges[("(start)", "page_view")] == 2  # one journey per user
    assert edges[("add_to_cart", "email_open")] == 1
    assert edges[("email_open", "page_view")] == 1
    assert ("add_to_cart", "(end)") not in edges
    row = out.set_index(["from", "to"])
    assert row.loc[("add_to_cart", "email_open"), "median_seconds"] == 1770
    assert sum(edges.values()) == 8 + 2  # 8 steps + 2 end edges


def test_transitions_without_start_end():
    out = journey.transitions(_tiny(), within="session", add_start_end=False)
    assert set(out["from"]) | set(out["to"]) == {
        "page_view",
        "view_item",
        "add_to_cart",
        "purchase",
        "search",
    }
    assert out.transitions.sum() == 4
    row = out.set_index(["from", "to"])
    assert row.loc[("view_item", "add_to_cart"), "probability"] == 1.0


def test_stage_and_channel_steps_are_runs():
    stages = _edges(journey.transitions(_tiny(), level="stage", within="user"))
    # a: Awareness, Consideration, Conversion, Consideration (e-mail open before the first
    # order), Awareness, Conversion (purchase); b: Awareness, Consideration
    assert stages[("Awareness", "Consideration")] == 2
    assert stages[("Conversion", "Consideration")] == 1
    assert stages[("Consideration", "Awareness")] == 1
    assert stages[("Conversion", "(end)")] == 1
    channels = _edges(journey.transitions(_tiny(), level="channel", within="user"))
    assert channels == {
        ("(start)", "organic_search"): 1,
        ("organic_search", "email"): 1,  # the e-mail open and visit s2 are one run
        ("email", "(end)"): 1,
        ("(start)", "direct"): 1,
        ("direct", "(end)"): 1,
    }


def test_step_matrix_has_ended_state():
    sm = journey.step_matrix(_tiny(), max_steps=4, level="event")
    got = {(int(r.step), r.state): int(r.users) for r in sm.itertuples()}
    assert got == {
        (1, "page_view"): 2,
        (2, "view_item"): 1,
        (2, "search"): 1,
        (3, "add_to_cart"): 1,
        (3, "ended"): 1,
        (4, "email_open"): 1,
        (4, "ended"): 1,
    }
    assert sm.groupby("step").share.sum().eq(1.0).all()


def test_step_matrix_keeps_a_real_ended_state_apart():
    # a: page_view, then a real event called "ended"; b: page_view only, so b has ended
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "event": ["page_view", "ended", "page_view"],
            "event_time": [T0, T0 + pd.Timedelta(seconds=10), T0],
        }
    )
    sm = journey.step_matrix(frame, max_steps=2, level="event")
    got = {(int(r.step), r.state): int(r.users) for r in sm.itertuples()}
    assert got == {(1, "page_view"): 2, (2, "ended"): 1, (2, "(ended)"): 1}


def test_stage_view_reach_conversion_and_times():
    view = journey.stage_view(_tiny()).set_index("stage")
    assert list(view.reached) == [2, 2, 1, 0, 0]
    assert view.loc["Awareness", "conversion_to_next"] == 1.0
    assert view.loc["Consideration", "conversion_to_next"] == 0.5
    # Awareness -> Consideration: a 10 s, b 0 s (the search in the same second): median 5 s
    assert view.loc["Awareness", "median_days_to_next"] == pytest.approx(5 / 86400)
    assert view.loc["Consideration", "median_days_to_next"] == pytest.approx(20 / 86400)
    assert view.loc["Conversion", "top_touchpoints"] == "add_to_cart (50%), purchase (50%)"
    by_month = journey.stage_view(_tiny(), by_cohort=True)
    assert set(by_month.cohort) == {"2024-03"}


def test_paths_and_time_to_first_purchase():
    stages = journey.purchase_paths(_tiny(), level="stage")
    assert stages.path.tolist() == [
        "Awareness > Consideration > Conversion > Consideration > Awareness > Conversion"
    ]
    assert stages.steps.tolist() == [6]
    channels = journey.purchase_paths(_tiny(), level="channel")
    assert channels.path.tolist() == ["organic_search > email"]
    timing = journey.time_to_first_purchase(_tiny()).set_index("measure")
    assert timing.loc["events", "median"] == 6
    assert timing.loc["sessions", "median"] == 2
    assert timing.loc["days", "median"] == pytest.approx(3660 / 86400)
    # a: organic_search, then email (the open and visit s2): two channel steps, one change
    assert timing.loc["channel steps", "median"] == 2


def test_bad_options_raise():
    with pytest.raises(ValueError, match="level"):
        journey.transitions(_tiny(), level="page")
    with pytest.raises(ValueError, match="within"):
        journey.transitions(_tiny(), within="visit")


def test_shop_transitions_match_pandas(shop_dir):
    """Event transitions within sessions on the small shop, checked with plain pandas."""
    log = jl.read_events(shop_dir / "events.parquet")
    out = journey.transitions(log, level="event", within="session")
    ev = pd.read_parquet(shop_dir / "events.parquet").reset_index(names="row")
    ev = ev[ev.session_id.notna()].sort_values(["user_id", "session_id", "event_time", "row"])
    nxt = ev.groupby(["user_id", "session_id"]).event.shift(-1).fillna("(end)")
    expected = pd.crosstab(ev.event, nxt).stack()
    expected = expected[expected > 0]
    got = out[out["from"] != "(start)"].set_index(["from", "to"]).transitions
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    assert (
        out.loc[out["from"] == "(start)", "transitions"].sum()
        == ev.groupby(["user_id", "session_id"]).ngroups
    )


def test_real_states_named_start_and_end_stay_apart_from_the_pseudo_states():
    s = pd.Timedelta(seconds=1)
    rows = [("u", "start", T0), ("u", "end", T0 + s), ("u", "start", T0 + 2 * s)]
    frame = pd.DataFrame(rows, columns=["user_id", "event", "event_time"]).assign(session_id="s")
    assert _edges(journey.transitions(frame, within="session")) == {
        ("(start)", "start"): 1,
        ("start", "end"): 1,
        ("end", "start"): 1,
        ("start", "(end)"): 1,
    }
    # an event literally called "(start)" is a step like any other
    odd = frame.assign(event=["(start)", "x", "(end)"])
    assert _edges(journey.transitions(odd, within="user", add_start_end=False)) == {
        ("(start)", "x"): 1,
        ("x", "(end)"): 1,
    }


def test_gap_sessions_use_their_integer_key_with_the_same_result(shop_dir):
    log = jl.sessionize(jl.read_events(shop_dir / "events.parquet"), recompute=True)
    assert "session_key" in log.table.columns
    by_key = journey.transitions(log, level="event", within="session")
    by_text = journey.transitions(
        log.replace(table=log.table.drop("session_key")), level="event", within="session"
    )
    pd.testing.assert_frame_equal(by_key, by_text)
    stages = jl.map_stages(log)
    pd.testing.assert_frame_equal(
        journey.transitions(stages, level="stage", within="session"),
        journey.transitions(
            stages.replace(table=stages.table.drop("session_key")), level="stage", within="session"
        ),
    )


def test_a_session_is_all_its_events_even_when_another_interleaves():
    """Sessions are keyed by (user, session_id), as in jl.sessions: a visit in a second tab
    (s2) between two events of s1 does not split s1 into two journeys."""
    s = pd.Timedelta(seconds=1)
    rows = [
        ("u", "page_view", T0, "s1"),
        ("u", "search", T0 + s, "s2"),
        ("u", "view_item", T0 + 3 * s, "s1"),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "event", "event_time", "session_id"])
    out = journey.transitions(frame, within="session")
    assert _edges(out) == {
        ("(start)", "page_view"): 1,
        ("page_view", "view_item"): 1,
        ("view_item", "(end)"): 1,
        ("(start)", "search"): 1,
        ("search", "(end)"): 1,
    }
    assert out.set_index(["from", "to"]).loc[("page_view", "view_item"), "median_seconds"] == 3
    assert len(jl.sessions(frame)) == 2


def test_shop_times_and_users_match_pandas(shop_dir):
    """Median and p90 seconds (linear interpolation) and distinct users per edge, checked
    with plain pandas on the small shop, end edges included."""
    log = jl.read_events(shop_dir / "events.parquet")
    out = journey.transitions(log, level="event", within="session").set_index(["from", "to"])
    ev = pd.read_parquet(shop_dir / "events.parquet").reset_index(names="row")
    ev = ev[ev.session_id.notna()].sort_values(["user_id", "session_id", "event_time", "row"])
    by = ev.groupby(["user_id", "session_id"])
    ev["prev"] = by.event.shift(1).fillna("(start)")
    ev["seconds"] = (ev.event_time - by.event_time.shift(1)).dt.total_seconds()
    inner = ev[ev.prev != "(start)"].groupby(["prev", "event"]).seconds
    for q, col in ((0.5, "median_seconds"), (0.9, "p90_seconds")):
        expected = inner.quantile(q)
        got = out.loc[expected.index, col]
        assert got.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    ends = ev[by.event.shift(-1).isna()].groupby("event").user_id.nunique()
    got_ends = out.xs("(end)", level="to").users
    assert got_ends.sort_index().to_dict() == ends.sort_index().to_dict()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"within": "user"},
        {"add_start_end": False},
        {"level": "stage", "within": "user"},
        {"level": "channel", "within": "session"},
    ],
)
def test_large_log_staging_gives_the_same_table(shop_dir, monkeypatch, options):
    """Above STAGED_ABOVE events the edges are stored and counted in stages: same table."""
    log = jl.map_stages(jl.sessionize(jl.read_events(shop_dir / "events.parquet")))
    one_query = journey.transitions(log, **options)
    monkeypatch.setattr(journey, "STAGED_ABOVE", 0)
    pd.testing.assert_frame_equal(journey.transitions(log, **options), one_query)
