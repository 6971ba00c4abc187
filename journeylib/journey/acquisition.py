"""Acquisition: what the way people arrive says about what they do later.

Answers docs/domain.md's "acquisition channels and their effect on later behaviour" (which channels
bring loyal, high-value customers) and "first device of contact" (whether journeys that start
there go on), as tested claims with confidence intervals, not bar heights.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.intervals import wilson
from ..engine.ordered import first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, ROW_ID, USER_KEY

#: Resamples of the bootstrap interval of the median days to first purchase.
BOOTSTRAP_RESAMPLES = 2000
_SEED = 20240101


def user_table(events: EventLog | pd.DataFrame, *, by: str = "channel") -> ir.Table:
    """One row per user (ibis): ``value`` (first non-NULL ``by`` in (event_time, row_id)
    order), ``purchases``, ``revenue`` (net: purchases minus refunds), ``days_to_first_purchase``.
    """
    log = as_eventlog(events)
    if not log.has(by):
        raise NotComputable(f"the log has no {by!r} column (it has {list(log.table.columns)})")
    t = log.table
    key = USER_KEY if USER_KEY in t.columns else "user_id"
    is_purchase = t.event == PURCHASE
    revenue = t.revenue.sum().fill_null(0.0) if log.has("revenue") else ibis.literal(0.0)
    users = t.group_by(key).aggregate(
        value=first_in_order(t[by].cast("string"), [t.event_time, t[ROW_ID]], include_null=False),
        purchases=is_purchase.sum(),
        revenue=revenue,
        _first=t.event_time.min(),
        _fp=t.event_time.min(where=is_purchase),
    )
    days = users._fp.delta(users._first, unit="second") / 86400
    return users.mutate(value=users.value.fill_null("(none)"), days_to_first_purchase=days)


def _vs_rest(count: pd.Series, nobs: pd.Series) -> np.ndarray:
    """Two-sided p-value of a two-proportion z-test of each value against all the others."""
    c, n = count.to_numpy(dtype=float), nobs.to_numpy(dtype=float)
    rest_c, rest_n = c.sum() - c, n.sum() - n
    out = np.full(len(c), np.nan)
    ok = (n > 0) & (rest_n > 0) & ((c + rest_c) > 0) & ((c + rest_c) < (n + rest_n))
    for i in np.flatnonzero(ok):  # one test per value (a handful), not per row
        out[i] = proportions_ztest([c[i], rest_c[i]], [n[i], rest_n[i]])[1]
    return out


def _bootstrap_median(days: pd.DataFrame, *, max_draws: int = 4_000_000) -> pd.DataFrame:
    """Median days to first purchase per value with a 95 % percentile-bootstrap interval.

    The resamples are drawn in blocks of at most ``max_draws`` values (32 MB), so memory
    stays flat however many buyers a value has (one block of all 2,000 resamples of a
    million buyers would take 16 GB); the generator's stream, and so every draw, is the same
    as in one block.
    """
    rng = np.random.default_rng(_SEED)
    rows = []
    for value, d in days.groupby("value").days_to_first_purchase:  # one pass per value
        x = np.sort(d.to_numpy(dtype=float))  # the engine's row order must not move the draws
        block = max(1, max_draws // max(len(x), 1))
        meds = np.concatenate(
            [
                np.median(rng.choice(x, size=(min(block, BOOTSTRAP_RESAMPLES - i), len(x))), axis=1)
                for i in range(0, BOOTSTRAP_RESAMPLES, block)
            ]
        )
        low, high = np.percentile(meds, [2.5, 97.5])
        rows.append((value, float(np.median(x)), low, high))
    cols = ["value", "days_to_first_purchase", "days_low", "days_high"]
    return pd.DataFrame(rows, columns=cols)


def first_touch(events: EventLog | pd.DataFrame, *, by: str = "channel") -> pd.DataFrame:
    """Outcomes of users by how they first arrived, with 95 % confidence intervals.

    Parameters
    ----------
    events
        The event log.
    by
        ``"channel"`` or ``"device"``: the value on the user's first event (the first non-NULL
        one in (``event_time``, ``row_id``) order), or any other column (``"variant"``,
        ``"campaign"``...), taken the same way. Users without a value are ``"(none)"``.

    Returns
    -------
    DataFrame, one row per value, most users first: ``by`` (named after it), ``users``,
    ``buyers`` (users with a purchase), ``conversion`` (buyers / users), ``repeat_buyers``
    (2+ purchases), ``repeat_rate`` (repeat buyers / buyers), ``revenue_per_user`` (net
    revenue: purchases minus refunds, over all users), ``days_to_first_purchase`` (median,
    buyers), each with ``*_low`` and ``*_high`` bounds, and ``conversion_p``, ``repeat_p``,
    ``revenue_p``: the p-value of the value against all the others.

    Notes
    -----
    Intervals: Wilson score for the two proportions (``statsmodels``), Student t for the mean
    revenue per user, a percentile bootstrap (2,000 resamples, fixed seed) for the median days.
    Tests against the rest: two-proportion z-tests, Welch's t-test for revenue.
    :func:`first_touch_tests` gives one omnibus test across all values.
    """
    u = user_table(events, by=by).cache()  # read twice: the counts, then the buyers' days
    buyer = u.purchases >= 1
    agg = u.group_by("value").aggregate(
        users=u.count(),
        buyers=buyer.sum(),
        repeat_buyers=(u.purchases >= 2).sum(),
        revenue_per_user=u.revenue.mean(),
        _sd=u.revenue.std(),
    )
    out = agg.to_pandas().sort_values(["users", "value"], ascending=[False, True])
    out = out.reset_index(drop=True)
    for col in ("users", "buyers", "repeat_buyers"):
        out[col] = out[col].astype("int64")
    out["conversion"] = out.buyers / out.users
    out["conversion_low"], out["conversion_high"] = wilson(out.buyers, out.users)
    out["conversion_p"] = _vs_rest(out.buyers, out.users)
    out["repeat_rate"] = out.repeat_buyers / out.buyers.where(out.buyers > 0)
    out["repeat_rate_low"], out["repeat_rate_high"] = wilson(out.repeat_buyers, out.buyers)
    out["repeat_p"] = _vs_rest(out.repeat_buyers, out.buyers)
    out = out.join(_revenue_stats(out))
    days = u.filter(buyer).select("value", "days_to_first_purchase").to_pandas()
    out = out.merge(_bootstrap_median(days), on="value", how="left")
    cols = [
        "value",
        "users",
        "buyers",
        "conversion",
        "conversion_low",
        "conversion_high",
    ]
    cols += ["conversion_p", "repeat_buyers", "repeat_rate", "repeat_rate_low"]
    cols += ["repeat_rate_high", "repeat_p", "revenue_per_user", "revenue_per_user_low"]
    cols += ["revenue_per_user_high", "revenue_p", "days_to_first_purchase"]
    cols += ["days_low", "days_high"]
    return out[cols].rename(columns={"value": by})


def _revenue_stats(out: pd.DataFrame) -> pd.DataFrame:
    """t interval of the mean revenue per user; Welch's test against the pooled rest."""
    n = out.users.to_numpy(dtype=float)
    mean = out.revenue_per_user.to_numpy(dtype=float)
    sd = out._sd.fillna(0.0).to_numpy(dtype=float)
    half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    ss = (n - 1) * sd**2 + n * mean**2  # sum of squares of each group
    rest_n = n.sum() - n
    with np.errstate(invalid="ignore", divide="ignore"):
        rest_mean = ((mean * n).sum() - mean * n) / rest_n
        rest_var = (ss.sum() - ss - rest_n * rest_mean**2) / (rest_n - 1)
        p = stats.ttest_ind_from_stats(
            mean,
            sd,
            n,
            rest_mean,
            np.sqrt(np.clip(rest_var, 0, None)),
            rest_n,
            equal_var=False,
        ).pvalue
    return pd.DataFrame(
        {
            "revenue_per_user_low": mean - half,
            "revenue_per_user_high": mean + half,
            "revenue_p": p,
        },
        index=out.index,
    )


def first_touch_tests(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Omnibus tests that an outcome differs between first-touch values.

    Takes the frame of :func:`first_touch` and returns one row per outcome (``outcome``,
    ``test``, ``statistic``, ``dof``, ``p_value``): chi-square tests of independence for
    conversion (buyers / users) and repeat rate (repeat buyers / buyers).
    """
    rows = []
    for outcome, hit, nobs in (
        ("conversion", "buyers", "users"),
        ("repeat_rate", "repeat_buyers", "buyers"),
    ):
        ok = outcomes[outcomes[nobs] > 0]
        table = np.column_stack([ok[hit], ok[nobs] - ok[hit]])
        if len(ok) < 2 or (table.sum(axis=0) == 0).any():
            rows.append((outcome, "chi-square", np.nan, np.nan, np.nan))
            continue
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        rows.append((outcome, "chi-square", chi2, dof, p))
    return pd.DataFrame(rows, columns=["outcome", "test", "statistic", "dof", "p_value"])


def select_users(
    events: EventLog | pd.DataFrame,
    *,
    segment: str = "",
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> EventLog:
    """The whole journeys of the users in a segment and acquisition period.

    ``segment`` is ``"column:value"`` (e.g. ``"device:mobile"``, ``"channel:referral"``,
    ``"variant:B"``), matched on the user's first non-NULL value of the column, as in
    :func:`first_touch`; empty keeps everyone. ``start``/``end`` keep users whose first event
    is in [start, end). All events of the kept users stay, so journeys are not cut.
    """
    log = as_eventlog(events)
    t = log.table
    if start is None and end is None and not segment.strip():  # everyone: nothing to join
        return log.replace(table=t.filter(t.user_id.notnull()))
    users = t.group_by("user_id").aggregate(_first=t.event_time.min())
    keep = ibis.literal(True)
    if start is not None:
        keep &= users._first >= start
    if end is not None:
        keep &= users._first < end
    if segment.strip():
        column, _, value = segment.partition(":")
        if not log.has(column.strip()):
            raise ValueError(f"segment column {column!r} is not in the log: {t.columns}")
        col = t[column.strip()].cast("string")
        vals = t.group_by("user_id").aggregate(
            _v=first_in_order(col, [t.event_time, t[ROW_ID]], include_null=False)
        )
        users = users.join(vals, "user_id")
        keep &= users._v == value.strip()
    chosen = users.filter(keep).select("user_id")
    return log.replace(table=t.semi_join(chosen, "user_id"))


__all__ = ["first_touch", "first_touch_tests", "select_users", "user_table"]
