"""Funnels: hand-worked logs for every mode, a loop-based reference on random logs, invariants,
and the planted tablet truth of the synthetic shop."""

from __future__ import annotations

import json

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeylib as jl
from journeylib.engine.ordered import epoch_us
from journeylib.funnels.conversion import funnel, funnel_times

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def log(rows: list[tuple]) -> jl.EventLog:
    """Rows (user, event, minutes after T0[, session[, device]]) in source order."""
    frame = pd.DataFrame(
        [(r[0], r[1], T0 + pd.Timedelta(minutes=r[2]), *r[3:]) for r in rows],
        columns=["user_id", "event", "event_time", "session_id", "device"][: len(rows[0])],
    )
    for col in ("session_id", "device"):
        if col in frame:
            frame[col] = frame[col].astype("string")
    return jl.read_events(frame)


def counts(events, steps, **kw) -> list[int]:
    return funnel(events, steps, **kw)["count"].tolist()


# ---------------------------------------------------------------- hand-worked logs

ABC = ["a", "b", "c"]


def test_ordered_ties_and_repeats():
    ev = log(
        [
            ("u1", "b", 0),  # b before the first a: ignored
            ("u1", "a", 1),
            (
                "u1",
                "c",
                1,
            ),  # same minute as a: a tie counts as in order, but step 2 is b
            ("u1", "b", 2),
            ("u1", "c", 2),  # same minute as b -> completes: 1, 1, 1
            ("u2", "a", 0),
            ("u2", "a", 5),  # a repeat of step 1 does not restart the attempt
            ("u2", "b", 6),  # -> 1, 1, 0
            ("u3", "c", 0),  # never enters
        ]
    )
    out = funnel(ev, ABC)
    assert out["count"].tolist() == [2, 2, 1]
    assert out.conversion.tolist() == [1.0, 1.0, 0.5]
    assert out.drop_off.tolist()[1:] == [0, 1]
    # u1: b at +1 min after a, c at +0 after b; u2: b at +6 min
    assert out.median_time_from_previous[1] == pd.Timedelta(minutes=3.5)
    assert out.median_time_from_start[2] == pd.Timedelta(minutes=1)


def test_tie_with_lower_row_counts_and_one_event_fills_one_step():
    # b is logged before a in the same second: still in order. Steps a, a need two a's
    # (u3's two a's differ in session, so they are not duplicates).
    rows = [("u1", "b", 0, "s"), ("u1", "a", 0, "s"), ("u2", "a", 0, "s")]
    ev = log([*rows, ("u3", "a", 0, "s1"), ("u3", "a", 0, "s2")])
    assert counts(ev, ["a", "b"]) == [3, 1]
    assert counts(ev, ["a", "a"]) == [3, 1]


def test_window_edge_is_inclusive_and_first_step1_is_the_only_attempt():
    ev = log(
        [
            ("u1", "a", 0),
            ("u1", "b", 10),  # exactly at the 10 min window end: counts
            ("u2", "a", 0),
            ("u2", "a", 8),
            (
                "u2",
                "b",
                11,
            ),  # 11 min after the first a: outside, even if 3 min after the 2nd
        ]
    )
    assert counts(ev, ["a", "b"], window="10min") == [2, 1]
    assert counts(ev, ["a", "b"], window="9min") == [2, 0]
    assert counts(ev, ["a", "b"]) == [2, 2]


def test_step_windows_from_previous_step():
    ev = log(
        [
            ("u1", "a", 0),
            ("u1", "b", 5),
            ("u1", "c", 8),  # b->c 3 min
            ("u2", "a", 0),
            ("u2", "b", 1),
            ("u2", "c", 9),  # b->c 8 min
        ]
    )
    assert counts(ev, ABC, step_windows=[None, "3min"]) == [2, 2, 1]
    assert counts(ev, ABC, step_windows=["1min", None]) == [2, 1, 1]


def test_strict_any_ordered():
    ev = log(
        [
            ("u1", "a", 0),
            ("u1", "b", 1),
            ("u1", "c", 2),  # strict: all three
            ("u2", "a", 0),
            ("u2", "x", 1),
            ("u2", "b", 2),
            ("u2", "c", 3),  # x between a and b: strict stops at a; ordered completes
            ("u3", "a", 0),
            ("u3", "c", 1),
            ("u3", "b", 2),  # c before b: ordered reaches b only; any completes
        ]
    )
    assert counts(ev, ABC, order="strict") == [3, 1, 1]
    assert counts(ev, ABC, order="ordered") == [3, 3, 2]
    assert counts(ev, ABC, order="any") == [3, 3, 3]
    out = funnel(ev, ABC, order="any")
    # any order: step 3 reached when a, b and c are all done; u3 at +2 min
    assert out.median_time_from_start[2] == pd.Timedelta(minutes=2)


def test_exclusion_between_steps():
    ev = log(
        [
            ("u1", "a", 0),
            ("u1", "x", 1),
            ("u1", "b", 2),
            ("u1", "c", 3),  # x between 1 and 2: stops before step 2
            ("u2", "a", 0),
            ("u2", "b", 1),
            ("u2", "x", 2),
            ("u2", "c", 3),  # x between 2 and 3 only
            ("u3", "a", 0),
            ("u3", "b", 1),
            ("u3", "c", 2),
            ("u3", "x", 3),  # after the last step: no effect
        ]
    )
    assert counts(ev, ABC, exclude=[("x", 1, 2)]) == [3, 2, 2]
    assert counts(ev, ABC, exclude=[("x", 2, 3)]) == [3, 3, 2]
    assert counts(ev, ABC, exclude=[("x", 1, 3)]) == [3, 3, 1]


def test_sessions_totals_hold_constant():
    ev = log(
        [
            ("u1", "a", 0, "s1", "mobile"),
            ("u1", "b", 1, "s2", "desktop"),  # other session, other device
            ("u1", "a", 30, "s2", "desktop"),
            ("u1", "b", 31, "s2", "desktop"),
            ("u2", "a", 0, "s3", "mobile"),
            ("u2", "e", 1, None, None),  # off-site
            ("u2", "b", 2, "s3", "mobile"),
        ]
    )
    assert counts(ev, ["a", "b"]) == [2, 2]
    # sessions: (u1,s1) a only; (u1,s2) a->b; (u2,s3) a->b
    assert counts(ev, ["a", "b"], count="sessions") == [3, 2]
    # totals: three a events; each finds a later b
    assert counts(ev, ["a", "b"], count="totals") == [3, 3]
    # hold device: u1's first a is mobile, its later b's are desktop
    assert counts(ev, ["a", "b"], hold_constant="device") == [2, 1]


def test_open_funnel_enters_at_any_step():
    ev = log([("u1", "a", 0), ("u1", "b", 1), ("u2", "b", 0), ("u2", "c", 1), ("u3", "c", 0)])
    assert counts(ev, ABC) == [1, 1, 0]
    assert counts(ev, ABC, open_funnel=True) == [1, 2, 2]


def test_property_steps_and_alternatives():
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u2", "u3"],
            "event": ["page_view", "buy", "page_view", "buy", "view"],
            "event_time": pd.date_range("2024-01-01", periods=5, freq="min", tz="UTC"),
            "page_type": ["reviews", None, "home", None, None],
        }
    )
    ev = jl.read_events(frame)
    out = funnel(ev, [("page_view", {"page_type": "reviews"}), "buy"])
    assert out["count"].tolist() == [1, 1]
    assert out.step[0] == "page_view[page_type=reviews]"
    assert counts(ev, [["page_view", "view"], "buy"]) == [3, 2]


def test_by_segment_with_chi_square():
    rows = [(f"u{i}", "a", 0, "s", "mobile" if i < 50 else "desktop") for i in range(100)]
    rows += [(f"u{i}", "b", 1, "s", "mobile") for i in range(10)]  # 10 of 50 mobile convert
    rows += [(f"u{i}", "b", 1, "s", "desktop") for i in range(50, 90)]  # 40 of 50 desktop
    out = funnel(log(rows), ["a", "b"], by="device")
    two = out[out.step_index == 2].set_index("device")
    assert two.loc["mobile", "conversion"] == 0.2 and two.loc["desktop", "conversion"] == 0.8
    # chi-square on [[40, 10], [10, 40]] with Yates' correction: (|40-25|-0.5)^2/25 * 4 = 33.64
    assert two.chi2.iloc[0] == pytest.approx(33.64)
    assert out.loc[out.step_index == 1, "p_value"].isna().all()


def test_funnel_times_per_user():
    ev = log([("u1", "a", 0), ("u1", "b", 7), ("u2", "a", 0)])
    t = funnel_times(ev, ["a", "b"]).set_index("user_id")
    assert t.loc["u1", "time_to_convert"] == pd.Timedelta(minutes=7)
    assert t.converted.tolist() == [True, False]
    assert t.steps_reached.tolist() == [2, 1]


def test_bad_options():
    ev = log([("u1", "a", 0)])
    with pytest.raises(ValueError, match="order"):
        funnel(ev, ["a"], order="loose")
    with pytest.raises(ValueError, match="step_windows"):
        funnel(ev, ["a", "b"], step_windows=["1h", "1h"])
    with pytest.raises(ValueError, match="exclusion"):
        funnel(ev, ["a", "b"], exclude=[("x", 2, 1)])


def test_events_outside_the_funnel_only_break_strict_order():
    steps = ["a", "b"]
    rows = [("u1", "a", 0), ("u1", "page_view", 1), ("u1", "b", 2), ("u2", "a", 0), ("u2", "b", 3)]
    noise = [("u3", "page_view", m) for m in range(200)]  # a log mostly of other events
    ev = log([*rows, *noise])
    assert counts(ev, steps) == [2, 2]
    # u1's page_view sits between a and b: strict keeps only u2 (b 3 min after a)
    out = funnel(ev, steps, order="strict")
    assert out["count"].tolist() == [2, 1]
    assert out.median_time_from_start.tolist() == [pd.Timedelta(0), pd.Timedelta(minutes=3)]


def test_epoch_us_is_exact_and_compiles_for_each_backend():
    t = pd.Timestamp("2024-03-01 10:00:00.123456", tz="UTC")
    ev = log([("u1", "a", 0)])
    us = epoch_us(ev.table.event_time)
    expected = (T0 - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(microseconds=1)
    assert ev.table.select(us=us).to_pandas().us.tolist() == [expected]
    lit = epoch_us(ibis.literal(t))
    assert ev.backend.execute(lit) == 1_709_287_200_123_456  # worked out with date -d
    assert "UNIX_MICROS" in ibis.to_sql(ev.table.select(us=us), dialect="bigquery")
    assert "UNIX_MICROS" in ibis.to_sql(ev.table.select(us=us), dialect="pyspark")


# ---------------------------------------------------------------- reference implementation


def ok(ctx, j, after) -> bool:
    """Event j may fill a step: same session (sessions mode), inside the window, not earlier."""
    ev, t0, sess, w, count = ctx
    same = count != "sessions" or ev.session_id[j] == sess
    inside = w is None or ev.event_time[j] <= t0 + w
    return same and inside and ev.event_time[j] >= after


def reference(df: pd.DataFrame, steps, order, count, window) -> list[int]:
    """Deliberately simple: loop over users, attempts and steps, greedy earliest match."""
    df = df.sort_values(["event_time", "row"]).reset_index(drop=True)
    w = None if window is None else pd.Timedelta(window)
    totals = [0] * len(steps)
    for _, ev in df.groupby("user_id"):
        ev = ev.reset_index(drop=True)  # positions in (time, row) order, every event
        firsts = ev.index[ev.event == steps[0]].tolist()
        if count == "sessions":
            firsts = [i for i in firsts if pd.notna(ev.session_id[i])]
            seen, keep = set(), []
            for i in firsts:
                if ev.session_id[i] not in seen:
                    seen.add(ev.session_id[i])
                    keep.append(i)
            firsts = keep
        elif count == "users":
            firsts = firsts[:1]
        for i0 in firsts:
            t0, sess = ev.event_time[i0], ev.session_id[i0]

            reached, used, prev = 1, {i0}, i0
            ctx = (ev, t0, sess, w, count)
            for step in steps[1:]:
                if order == "strict":
                    j = prev + 1
                    hit = j if j < len(ev) and ev.event[j] == step and ok(ctx, j, t0) else None
                elif order == "ordered":
                    cands = [j for j in range(len(ev)) if ev.event[j] == step and j not in used]
                    cands = [j for j in cands if ok(ctx, j, ev.event_time[prev])]
                    hit = cands[0] if cands else None
                else:  # any
                    cands = [j for j in range(len(ev)) if ev.event[j] == step and ok(ctx, j, t0)]
                    hit = cands[0] if cands else None
                if hit is None:
                    break
                reached, prev = reached + 1, hit
                used.add(hit)
            for k in range(reached):
                totals[k] += 1
    return totals


events_st = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3"]),
        st.sampled_from(["a", "b", "c", "x"]),  # x is never a step: filtered out early
        st.integers(0, 12),
        st.sampled_from(["s1", "s2", None]),
    ),
    min_size=1,
    max_size=14,
)
steps_st = st.sampled_from([["a", "b", "c"], ["a", "a"], ["b", "a", "b"], ["c", "b", "a", "c"]])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=events_st,
    steps=steps_st,
    count=st.sampled_from(["users", "sessions", "totals"]),
    window=st.sampled_from([None, "4min"]),
)
def test_agrees_with_reference_and_invariants(rows, steps, count, window):
    ev = log(rows)
    df = ev.table.to_pandas().rename(columns={"row_id": "row"})
    got = {}
    for order in ("any", "ordered", "strict"):
        got[order] = counts(ev, steps, order=order, count=count, window=window)
        assert got[order] == reference(df, steps, order, count, window), order
        assert all(x >= y for x, y in zip(got[order], got[order][1:], strict=False))
    for a, o, s in zip(*got.values(), strict=True):
        assert a >= o >= s


# ---------------------------------------------------------------- the synthetic shop


def test_tablet_sessions_convert_less(shop_dir):
    ev = jl.read_events(shop_dir / "events.parquet")
    truth = json.loads((shop_dir / "truth.json").read_text())["truths"]
    out = funnel(ev, ["session_start", "purchase"], count="sessions", by="device")
    last = out[out.step_index == 2].set_index("device").conversion
    expected = truth["tablet_session_conversion"]["realised"]["by_device"]
    for device, value in expected.items():
        assert last[device] == pytest.approx(value, abs=5e-4)
    assert last.idxmin() == "tablet"
