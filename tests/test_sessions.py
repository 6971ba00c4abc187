"""sessionize and sessions on hand-worked logs."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl


def log(rows: list[tuple], **extra) -> jl.EventLog:
    df = pd.DataFrame(rows, columns=["user_id", "event", "event_time", *extra])
    return jl.read_events(df)


def ids(events: jl.EventLog) -> list[str]:
    return events.to_pandas().session_id.tolist()


def test_gap_longer_than_30_minutes_starts_a_session():
    events = log(
        [
            ("a", "view", "2024-01-01 10:00:00"),
            ("a", "view", "2024-01-01 10:30:00"),  # exactly 30 min later: same session
            ("a", "view", "2024-01-01 11:00:00.000001"),  # 30 min + 1 µs: new session
            ("a", "view", "2024-01-01 11:10:00"),
            ("b", "view", "2024-01-01 10:00:00"),
        ]
    )
    assert ids(jl.sessionize(events)) == ["a:1", "a:1", "a:2", "a:2", "b:1"]


def test_custom_gap_and_ties():
    events = log(
        [
            ("a", "view", "2024-01-01 10:00"),
            ("a", "cart", "2024-01-01 10:00"),  # tie: same session
            ("a", "view", "2024-01-01 10:06"),
        ]
    )
    assert ids(jl.sessionize(events, gap="5min")) == ["a:1", "a:1", "a:2"]


def test_source_session_ids_are_kept_and_events_without_one_stay_outside():
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b"],
            "event": ["x"] * 4,
            "event_time": [
                "2024-01-01 10:00",
                "2024-01-01 10:01",
                "2024-01-01 15:00",
                "2024-01-01",
            ],
            "session_id": ["s1", "s1", None, "s1"],
        }
    )
    out = jl.sessionize(jl.read_events(df))
    got = [s if isinstance(s, str) else None for s in ids(out)]
    assert got == ["s1", "s1", None, "s1"]
    note = out.cleaning.set_index("check").loc["events outside sessions"]
    assert note.rows == 1 and note.action == "kept"
    assert len(jl.sessions(out)) == 2  # (a, s1) and (b, s1): the off-site event is no visit
    recomputed = jl.sessionize(jl.read_events(df), recompute=True).to_pandas()
    assert recomputed.session_id.tolist() == ["a:1", "a:1", "a:2", "b:1"]
    assert recomputed.source_session_id.tolist()[:2] == ["s1", "s1"]


def test_sessions_table_by_hand():
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "a", "b"],
            "event": ["page_view", "view_item", "purchase", "page_view", "page_view"],
            "event_time": [
                "2024-01-01 10:00",
                "2024-01-01 10:10",
                "2024-01-01 10:20",
                "2024-01-02 09:00",
                "2024-01-01 12:00",
            ],
            "channel": [None, "email", "direct", "direct", "social"],
            "device": ["mobile"] * 4 + ["desktop"],
            "revenue": [None, None, 30.0, None, None],
        }
    )
    s = jl.sessions(df)
    assert s.session_id.tolist() == ["a:1", "a:2", "b:1"]
    assert s.events.tolist() == [3, 1, 1]
    assert s.channel.tolist() == ["email", "direct", "social"]  # first non-null
    assert s.converted.tolist() == [True, False, False]
    assert s.revenue.tolist() == [30.0, 0.0, 0.0]
    assert s.duration_seconds.tolist() == [1200.0, 0.0, 0.0]
    assert s.session_number.tolist() == [1, 2, 1]


def test_non_positive_gap_is_rejected():
    with pytest.raises(ValueError, match="positive"):
        jl.sessionize(log([("a", "x", "2024-01-01")]), gap="0s")


def test_gap_sessions_get_an_integer_key_per_session():
    events = log(
        [
            ("a", "view", "2024-01-01 10:00:00"),
            ("a", "view", "2024-01-01 11:00:00"),
            ("b", "view", "2024-01-01 10:00:00"),
            ("b", "view", "2024-01-01 10:05:00"),
        ]
    )
    out = jl.sessionize(events).to_pandas()
    # user_key: a -> 0, b -> 1; session_key = user_key * 2**32 + session number
    assert out.session_id.tolist() == ["a:1", "a:2", "b:1", "b:1"]
    assert out.session_key.tolist() == [1, 2, 2**32 + 1, 2**32 + 1]


def test_source_sessions_have_no_key_and_a_read_back_key_is_renamed():
    events = log(
        [
            ("a", "view", "2024-01-01 10:00:00", "s1"),
            ("a", "view", "2024-01-01 12:00:00", "s1"),
        ],
        session_id=None,
    )
    kept = jl.sessionize(events)
    assert "session_key" not in kept.table.columns  # source ids are used as they are
    frame = jl.sessionize(kept, gap="3h", recompute=True).to_pandas()
    assert frame.session_key.tolist() == [1, 1]
    again = jl.read_events(frame.drop(columns=["source_session_id"]))
    assert again.to_pandas().session_key_source.tolist() == [1, 1]  # the engine's name is free
    assert "session_key" not in again.table.columns
