"""Early patterns (support, lift, Wilson interval, no leakage) and the on-the-path list."""

import math

import pandas as pd
import pytest

import journeylib as jl
from journeylib.best.patterns import early_patterns


def journey(user, pages, *, best_revenue=10.0, channel="direct", later_pages=()):
    """A customer: a first session viewing ``pages`` then buying; ``later_pages`` a day after."""
    t0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")
    rows = []
    for i, page in enumerate(pages):
        rows.append(
            (user, "page_view", t0 + pd.Timedelta(minutes=i), f"{user}-1", channel, page, None)
        )
    rows.append(
        (user, "purchase", t0 + pd.Timedelta(minutes=30), f"{user}-1", channel, None, best_revenue)
    )
    for i, page in enumerate(later_pages):
        rows.append(
            (
                user,
                "page_view",
                t0 + pd.Timedelta(days=1, minutes=i),
                f"{user}-2",
                "email",
                page,
                None,
            )
        )
    return rows


def frame(rows):
    cols = ["user_id", "event", "event_time", "session_id", "channel", "page_type", "revenue"]
    f = pd.DataFrame(rows, columns=cols)
    f["device"] = "desktop"
    f["revenue"] = f.revenue.astype(float)
    return f


# 10 customers, best = b1..b3. "size_guide" in the first session: b1, b2, r1, r2 (4 users,
# 2 best): support 0.4, P(best | pattern) = 2/4, P(best | not) = 1/6, lift = 3.
ROWS = (
    journey("b1", ["home", "size_guide"]) + journey("b2", ["size_guide", "home"])
    + journey("b3", ["home"]) + journey("r1", ["size_guide"]) + journey("r2", ["size_guide"])
    + [r for u in ("r3", "r4", "r5", "r6", "r7") for r in journey(u, ["home", "blog"])]
)  # fmt: skip
BEST = ["b1", "b2", "b3"]


def row(patterns, label):
    """The row showing ``label``, itself or folded into a pattern covering the same users."""
    folded = patterns.same_users_as.str.split("; ").map(lambda names: label in names)
    return patterns[(patterns.pattern == label) | folded].iloc[0]


def test_support_lift_and_wilson_interval_by_hand():
    p = early_patterns(frame(ROWS), BEST, min_support=0.1)
    sg = row(p, "page: size_guide")
    assert (sg.users, sg.best_users, sg.support) == (4, 2, 0.4)
    assert sg.p_best == 0.5 and sg.p_best_without == pytest.approx(1 / 6)
    assert sg.lift == pytest.approx(3.0)
    # Wilson: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), n = 4, p = 0.5
    z, n = 1.959963984540054, 4
    centre, half = 0.5 + z * z / (2 * n), z * math.sqrt(0.25 / n + z * z / (4 * n * n))
    assert sg.ci_low == pytest.approx((centre - half) / (1 + z * z / n))
    assert sg.ci_high == pytest.approx((centre + half) / (1 + z * z / n))
    assert 0 < sg.p_adjusted <= 1 and sg.horizon == "first_session"


def test_pairs_and_ordered_sequences():
    p = early_patterns(frame(ROWS), BEST, min_support=0.1)
    # home before size_guide: b1 only; size_guide before home: b2 only (support 0.1 each)
    assert row(p, "page: home → page: size_guide").users == 1
    assert row(p, "page: size_guide → page: home").users == 1
    # home + size_guide (either order): b1, b2, both best -> P = 1, P(best | not) = 1/8
    pair = row(p, "page: home + page: size_guide")
    assert (pair.users, pair.best_users) == (2, 2) and pair.lift == pytest.approx(8.0)
    # blog is seen only after home (r3..r7): the single, the pair and the sequence cover
    # the same users and are folded into the most specific one, the sequence
    assert "page: blog" not in set(p.pattern)
    folded = row(p, "page: home → page: blog").same_users_as.split("; ")
    assert {"page: blog", "page: blog + page: home"} <= set(folded)


def test_min_support_drops_rare_and_universal_features():
    p = early_patterns(frame(ROWS), BEST, min_support=0.3)
    assert (p.support >= 0.3).all() and (p.support <= 0.7).all()
    assert "first device: desktop" not in set(p.pattern)  # everyone: nothing to compare


def test_events_after_the_horizon_do_not_change_the_counts():
    # later sessions full of size_guide views for the rest, reviews for the best
    later = [r for u in ("r3", "r4", "r5") for r in journey(u, [], later_pages=["size_guide"])]
    later = [r for r in later if r[1] == "page_view"]
    later += [
        r for r in journey("b3", [], later_pages=["size_guide", "reviews"]) if r[1] == "page_view"
    ]
    cols = ["pattern", "users", "best_users", "lift"]
    before = early_patterns(frame(ROWS), BEST, min_support=0.1)[cols].sort_values("pattern")
    after = early_patterns(frame(ROWS + later), BEST, min_support=0.1)[cols]
    after = after.sort_values("pattern")
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))
    # a 1-event horizon sees only the first page view: b2's size_guide, not b1's (second)
    one = early_patterns(frame(ROWS + later), BEST, horizon=1, min_support=0.1)
    assert row(one, "page: size_guide").users == 3  # b2, r1, r2
    week = early_patterns(frame(ROWS + later), BEST, horizon="12h", min_support=0.1)
    assert row(week, "page: size_guide").users == 4


def test_on_the_path_lists_active_non_best_matches(tmp_path):
    rows = ROWS + [
        # a visitor with the pattern, still active (last seen at the end of the data)
        (
            "v1",
            "page_view",
            pd.Timestamp("2024-06-01", tz="UTC"),
            "v1-1",
            "direct",
            "size_guide",
            None,
        ),
        # a visitor with the pattern who left long ago
        (
            "v2",
            "page_view",
            pd.Timestamp("2024-01-01", tz="UTC"),
            "v2-1",
            "direct",
            "size_guide",
            None,
        ),
    ]
    events = frame(rows)
    p = early_patterns(events, BEST, min_support=0.1)
    p["productive"] = p.pattern == "page: size_guide"  # take this one pattern as the top
    out = jl.on_the_path(events, p, best=BEST, out_dir=tmp_path, active_within="90D")
    assert out.user_id.tolist() == ["v1"]
    assert out.segment.iloc[0] == "visitor, no order yet"
    assert out.pattern.iloc[0] == "page: size_guide" and out.p_alive.iloc[0] == 1.0
    assert (tmp_path / "on_the_path.csv").exists()
    # r1 and r2 also match, but were last seen 92 days before the end: left out
    wide = jl.on_the_path(events, p, best=BEST, active_within="100D")
    assert sorted(wide.user_id) == ["r1", "r2", "v1"]
    assert set(wide.segment) == {"visitor, no order yet", "one-time customer"}
    # ranked by score, ties by patterns matched (more first) then recency (recent first)
    key = list(zip(-wide.score, -wide.patterns_matched, wide.days_since_last_seen, strict=True))
    assert key == sorted(key)
    clv = pd.DataFrame({"user_id": ["r1"], "p_alive": [0.01]})
    ranked = jl.on_the_path(events, p, best=BEST, active_within="100D", clv=clv)
    assert ranked.user_id.iloc[-1] == "r1" and ranked.alive_from.iloc[-1] == "CLV model"
    # no pattern, so no one to list, with a CLV model: an empty list, not a failure
    none = jl.on_the_path(events, p.iloc[:0], best=BEST, clv=clv)
    assert none.empty and none.p_alive.dtype == "float64"


def test_email_like_ids_are_hashed():
    ids = pd.Series(["a@example.com", "b"])
    out = jl.onpath.pseudonymous(ids)
    assert not out.str.contains("@").any() and out.nunique() == 2


def test_exports_hold_no_email(shop_dir, tmp_path):
    log = jl.sessionize(jl.read_events(shop_dir / "events.parquet"))
    best = jl.best_customers(log)
    patterns = jl.early_patterns(log, best)
    out = jl.on_the_path(log, patterns, best=best, out_dir=tmp_path)
    assert len(out) > 0
    text = (tmp_path / "on_the_path.csv").read_text()
    emails = pd.read_parquet(shop_dir / "customers.parquet", columns=["email"]).email
    assert "@" not in text
    assert not any(e in text for e in emails.head(500))
