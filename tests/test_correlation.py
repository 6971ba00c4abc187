"""funnel_correlation: hand-worked 2 x 2 tables, the smoothing, the minimum-users cut, a
property split, a per-user loop on random logs, and the planted tablet effect of the shop."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

import journeylib as jl
from journeylib.engine.cleaning import NotComputable
from journeylib.synth.shop import generate_shop

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")
COLUMNS = ["user_id", "event", "event_time", "device", "page_type"]


def log(rows: list[tuple]) -> jl.EventLog:
    """Rows (user, event, minutes after T0[, device[, page_type]]) in source order."""
    width = max(len(r) for r in rows)
    rows = [(*r, *[None] * (width - len(r))) for r in rows]
    frame = pd.DataFrame(
        [(r[0], r[1], T0 + pd.Timedelta(minutes=r[2]), *r[3:]) for r in rows],
        columns=COLUMNS[:width],
    )
    for col in COLUMNS[3:width]:
        frame[col] = frame[col].astype("string")
    return jl.read_events(frame)


def by_feature(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("feature")


BASIC = [
    ("u1", "a", 0), ("u1", "x", 1), ("u1", "b", 2),  # success, did x
    ("u2", "a", 0), ("u2", "x", 5),  # failure, did x
    ("u3", "a", 0), ("u3", "y", 1), ("u3", "b", 2), ("u3", "z", 3),  # success; z after b
    ("u4", "a", 0),  # failure
    ("u5", "y", 0), ("u5", "a", 1),  # failure; y before entering does not count
    ("u6", "x", 0),  # never enters: not in the population
]  # fmt: skip


def test_odds_ratio_by_hand():
    out = by_feature(jl.funnel_correlation(log(BASIC), ["a", "b"]))
    assert out.attrs == {"successes": 2, "failures": 3, "min_users": pytest.approx(0.1)}
    # x: s = 1 (u1), f = 1 (u2); S = 2, F = 3: (2 * 3) / (2 * 2) = 1.5
    x = out.loc["x"]
    assert (x.successes, x.failures, x.success_share) == (1, 1, 0.5)
    assert x.odds_ratio == pytest.approx(1.5)
    se = math.sqrt(1 / 2 + 1 / 3 + 1 / 2 + 1 / 2)  # 1 / each smoothed cell
    assert x.ci_low == pytest.approx(1.5 * math.exp(-1.959964 * se), rel=1e-6)
    assert x.ci_high == pytest.approx(1.5 * math.exp(1.959964 * se), rel=1e-6)
    # hypergeometric(5 users, 2 successes, 2 draws): P(k <= 1) = 0.9, P(k >= 1) = 0.7
    assert x.p_value == pytest.approx(1.0)  # min(1, 2 * 0.7)
    assert x.side == "finishing"
    assert "z" not in out.index and "a" not in out.index and "b" not in out.index
    assert not out.few_on_one_side.any()


def test_smoothing_gives_a_finite_ratio_without_failures():
    out = by_feature(jl.funnel_correlation(log(BASIC), ["a", "b"]))
    # y: only u3 (a success) counts it, u5's y is before entering: s = 1, f = 0
    # ((1 + 1)(3 - 0 + 1)) / ((2 - 1 + 1)(0 + 1)) = 8 / 2 = 4, where the raw ratio is infinite
    y = out.loc["y"]
    assert (y.successes, y.failures) == (1, 0)
    assert y.odds_ratio == pytest.approx(4.0)
    # hypergeometric(5, 2, 1): P(k >= 1) = 0.4, P(k <= 1) = 1 -> 0.8
    assert y.p_value == pytest.approx(0.8)
    # Benjamini-Hochberg over (x: 1.0, y: 0.8): 0.8 * 2 / 1 = 1.6 -> capped by 1.0 above it
    assert out.q_value.tolist() == pytest.approx([1.0, 1.0])


def test_minimum_users_cut():
    out = jl.funnel_correlation(log(BASIC), ["a", "b"], min_users=2)
    assert out.feature.tolist() == ["x"]  # y has 1 user (s + f = 1 < 2)
    assert out.attrs["min_users"] == 2


def test_default_minimum_is_two_percent_up_to_25():
    # 1,500 entrants: 2 % is 30, so the cut is 25; a feature of 24 users is left out
    rows = [(f"u{i}", "a", 0) for i in range(1500)]
    rows += [(f"u{i}", "b", 2) for i in range(0, 1500, 3)]  # 500 successes
    rows += [(f"u{i}", "x", 1) for i in range(25)] + [(f"u{i}", "y", 1) for i in range(24)]
    out = jl.funnel_correlation(log(rows), ["a", "b"])
    assert out.attrs["min_users"] == 25
    assert out.feature.tolist() == ["x"]
    # 100 entrants: 2 % is 2; features of 2 users stay, of 1 go
    rows = [(f"u{i}", "a", 0) for i in range(100)] + [("u0", "b", 1), ("u1", "b", 1)]
    rows += [("u0", "x", 0), ("u5", "x", 0), ("u9", "y", 0)]
    out = jl.funnel_correlation(log(rows), ["a", "b"])
    assert out.attrs["min_users"] == pytest.approx(2.0)
    assert out.feature.tolist() == ["x"]


def test_property_split_user_and_event_properties():
    rows = [
        ("u1", "a", 0, "mobile"), ("u1", "p", 1, "desktop", "size_guide"), ("u1", "b", 2),
        ("u2", "a", 0, "mobile"), ("u2", "b", 1, "tablet"),
        ("u3", "a", 0, "tablet"),
        ("u4", "a", 0, "tablet"), ("u4", "p", 1, "tablet", "size_guide"),
        ("u5", "a", 0, "desktop"),
    ]  # fmt: skip
    out = jl.funnel_correlation(log(rows), ["a", "b"], properties=["device", "page_type"])
    t = by_feature(out)
    # device from the step-1 event (u1 is mobile, not desktop); S = 2, F = 3
    assert t.loc["device = mobile", ["successes", "failures"]].tolist() == [2, 0]
    assert t.loc["device = mobile"].odds_ratio == pytest.approx(12.0)  # (3 * 4) / (1 * 1)
    assert t.loc["device = tablet"].odds_ratio == pytest.approx(2 / 9)  # (1 * 2) / (3 * 3)
    assert t.loc["device = desktop"].odds_ratio == pytest.approx(0.5)  # (1 * 3) / (3 * 2)
    # page_type from the counted events: u1 (success) and u4 (failure) -> (2 * 3) / (2 * 2)
    assert t.loc["page_type = size_guide", ["successes", "failures"]].tolist() == [1, 1]
    assert t.loc["page_type = size_guide"].odds_ratio == pytest.approx(1.5)
    assert t.loc["page_type = size_guide"].kind == "event property"
    assert t.loc["device = tablet"].kind == "user property"
    top1 = jl.funnel_correlation(log(rows), ["a", "b"], properties=["device"], top=1)
    assert top1.feature.tolist() == ["device = mobile", "device = tablet"]
    assert top1.side.tolist() == ["finishing", "dropping"]


def test_window_exclude_and_the_reasons():
    rows = [("u1", "a", 0), ("u1", "x", 10), ("u2", "a", 0), ("u2", "b", 1), ("u3", "a", 0)]
    rows += [("u3", "w", 1)]
    ev = log(rows)
    # a failure's events count up to the end of the window: u1's x at 10 min is outside 5 min
    assert "x" not in jl.funnel_correlation(ev, ["a", "b"], window="5min").feature.tolist()
    assert "x" in jl.funnel_correlation(ev, ["a", "b"]).feature.tolist()
    assert "w" not in jl.funnel_correlation(ev, ["a", "b"], exclude=["w"]).feature.tolist()
    with pytest.raises(NotComputable, match="no one finished"):
        jl.funnel_correlation(ev, ["a", "nothing"])
    with pytest.raises(NotComputable, match="everyone finished"):
        jl.funnel_correlation(log([("u1", "a", 0), ("u1", "b", 1)]), ["a", "b"])
    with pytest.raises(NotComputable, match="channel"):
        jl.funnel_correlation(ev, ["a", "b"], properties=["channel"])


def test_imbalance_flag():
    rows = [(f"u{i}", "a", 0) for i in range(23)] + [("u0", "b", 1), ("u1", "b", 1)]
    rows += [("u0", "x", 0), ("u3", "x", 0)]
    out = jl.funnel_correlation(log(rows), ["a", "b"])  # F / S = 21 / 2 > 10
    assert out.few_on_one_side.all()


# ---------------------------------------------------------------- a loop on random logs


def reference(frame: pd.DataFrame, steps: list[str], window_min: float | None) -> pd.DataFrame:
    """The counts and statistics per user, one user at a time (ordered funnel, distinct step
    names): the first step-1 event starts the attempt, each later step is its earliest event
    at or after the previous step's time, within the window."""
    per_user, features = {}, {}
    for user, ev in frame.groupby("user_id"):
        ev = ev.sort_values(["event_time", "row"])
        firsts = ev[ev.event == steps[0]]
        if firsts.empty:
            continue
        t1 = firsts.event_time.iloc[0]
        limit = t1 + window_min if window_min is not None else math.inf
        t = t1
        for step in steps[1:]:
            nxt = ev[(ev.event == step) & (ev.event_time >= t) & (ev.event_time <= limit)]
            if nxt.empty:
                t = None
                break
            t = nxt.event_time.iloc[0]
        ok = t is not None
        per_user[user] = ok
        end_ok = (ev.event_time < t) if ok else (ev.event_time <= limit)
        counted = ev[(ev.event_time >= t1) & end_ok & ~ev.event.isin(steps)]
        names = set(counted.event) | {f"device = {firsts.device.iloc[0]}"}
        for name in names:
            features.setdefault(name, set()).add(user)
    big_s = sum(per_user.values())
    big_f = len(per_user) - big_s
    rows = []
    for name, users in features.items():
        s = sum(per_user[u] for u in users)
        f = len(users) - s
        ratio = ((s + 1) * (big_f - f + 1)) / ((big_s - s + 1) * (f + 1))
        table = [[s, f], [big_s - s, big_f - f]]
        less = fisher_exact(table, alternative="less")[1]
        greater = fisher_exact(table, alternative="greater")[1]
        rows.append((name, s, f, ratio, min(1.0, 2 * min(less, greater))))
    out = pd.DataFrame(rows, columns=["feature", "successes", "failures", "odds_ratio", "p"])
    out = out[~((out.successes == big_s) & (out.failures == big_f))]
    # Benjamini-Hochberg by hand: p * m / rank, made monotone from the largest p down
    order = np.argsort(out.p.to_numpy())
    ranked = out.p.to_numpy()[order] * len(out) / np.arange(1, len(out) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out["q"] = np.empty(len(out))
    out.iloc[order, out.columns.get_loc("q")] = q
    return out.set_index("feature").sort_index(), big_s, big_f


events_st = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(["a", "b", "c", "x", "y"]),
        st.integers(0, 30),
        st.sampled_from(["desktop", "mobile"]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=events_st, window=st.sampled_from([None, 10]))
def test_matches_a_per_user_loop(events, window):
    frame = pd.DataFrame(events, columns=["user", "event", "minute", "device"])
    frame["user_id"] = "u" + frame.user.astype(str)
    frame["event_time"] = T0 + pd.to_timedelta(frame.minute, unit="min")
    frame["row"] = np.arange(len(frame))
    steps = ["a", "b", "c"]
    ref, big_s, big_f = reference(
        frame.assign(event_time=frame.minute), steps, None if window is None else window
    )
    ev = jl.read_events(frame[["user_id", "event", "event_time", "device"]])
    w = None if window is None else f"{window}min"
    if big_s == 0 or big_f == 0:
        with pytest.raises(NotComputable):
            jl.funnel_correlation(ev, steps, window=w, properties=["device"])
        return
    got = jl.funnel_correlation(ev, steps, window=w, properties=["device"], min_users=0, top=99)
    assert (got.attrs["successes"], got.attrs["failures"]) == (big_s, big_f)
    # features with an odds ratio of exactly 1 are on neither side: the reference keeps them
    ref = ref[~np.isclose(ref.odds_ratio, 1.0)]
    got = got.set_index("feature").sort_index()
    assert got.index.tolist() == ref.index.tolist()
    assert got.successes.tolist() == ref.successes.tolist()
    assert got.failures.tolist() == ref.failures.tolist()
    assert np.allclose(got.odds_ratio, ref.odds_ratio)
    assert np.allclose(got.p_value, ref.p, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- the synthetic shop


@pytest.fixture(scope="module")
def default_shop(tmp_path_factory) -> Path:
    """The default shop (30,000 customers, seed 42: what ``make data`` writes)."""
    out = tmp_path_factory.mktemp("default_shop")
    generate_shop(30_000, 42, out=out)
    return out


def test_the_planted_tablet_effect_is_on_the_dropping_side(default_shop):
    from journeylib.funnels.findings_why import correlation_sentences

    steps = ["view_item", "add_to_cart", "purchase"]
    ev = jl.read_events(default_shop / "events.parquet")
    out = jl.funnel_correlation(ev, steps, properties=["device", "channel"])
    tablet = by_feature(out).loc["device = tablet"]
    assert tablet.side == "dropping"
    assert tablet.ci_high < 1 and tablet.q_value < 0.001
    # the shop makes tablet users buy at 0.35 of the desktop rate: a far lower odds ratio
    truth = json.loads((default_shop / "truth.json").read_text())
    assert truth["parameters"]["all"]["device_buyer_factor"][2] == 0.35
    assert 0.25 < tablet.odds_ratio < 0.6
    words = correlation_sentences(out)
    line = next(s for s in words if "tablet" in s)
    assert f"odds ratio {tablet.odds_ratio:.2f}" in line
    assert f"{tablet.ci_low:.2f} to {tablet.ci_high:.2f}" in line
