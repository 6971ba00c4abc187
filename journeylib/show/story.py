"""This week's story: what changed against the week before and the 4-week average.

Each page opens with it, before the standing facts of the whole period. One query counts the
headline numbers of the last weeks (:func:`weekly_numbers`, the same conventions as
:func:`journeylib.overview.weekly_kpis`: what happened in the ISO week, Monday to Sunday,
UTC); :func:`week_story` turns them into sentences with a plain size or significance note,
and names holiday weeks and partial weeks (the log starts or ends inside them).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd
from IPython.display import Markdown
from scipy import stats

from ..engine.bounce import counted_events
from ..engine.eventlog import EventLog
from ..engine.ordered import epoch_us
from ..engine.periods import iso_week_bounds
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE
from ..engine.sessions import sessionize
from . import display, glossary
from .sentences import as_markdown

__all__ = [
    "HOLIDAYS",
    "holiday",
    "lifecycle_story",
    "retention_week",
    "this_week",
    "week_heading",
    "week_story",
    "weekly_numbers",
]

_WEEK_US = 7 * 86_400 * 1_000_000
#: Named days a week is called after (month, day); Black Friday (the day after the fourth
#: Thursday of November) and Cyber Monday (the Monday after) are computed.
HOLIDAYS = {(12, 24): "Christmas", (12, 25): "Christmas", (12, 26): "Christmas",
            (12, 31): "New Year", (1, 1): "New Year", (2, 14): "Valentine's Day"}  # fmt: skip
#: Numbers of :func:`weekly_numbers` a page can tell, by glossary name.
STORY_METRICS = ("sessions", "bounce rate", "session conversion", "checkout completion",
                 "cart abandonment", "average order value", "buyers", "revenue")  # fmt: skip

#: Numbers that need a revenue column.
MONEY_METRICS = ("average order value", "revenue")


def weekly_numbers(events: EventLog | pd.DataFrame, week: str, *, weeks: int = 8) -> pd.DataFrame:
    """Headline numbers of the ``weeks`` ISO weeks ending with ``week``, in one query.

    Parameters
    ----------
    events : EventLog or DataFrame
        The event log (sessionized here if it is not yet).
    week : str
        The last ISO week, e.g. ``"2024-W52"``.
    weeks : int
        How many weeks, oldest first.

    Returns
    -------
    DataFrame
        One row per week: ``week``, ``start``, ``sessions``, ``bounces`` (sessions with at
        most one event besides tag bookkeeping, as :func:`journeylib.bounce_rate`),
        ``converted`` (sessions with a purchase), ``checkouts`` (sessions with
        ``begin_checkout``), ``completed`` (of those, with a purchase), ``carts``,
        ``abandoned``, ``orders``, ``buyers``, ``revenue``, ``days`` (days with events), and
        the rates ``bounce rate``, ``session conversion``, ``checkout completion``,
        ``cart abandonment``, ``average order value``.
    """
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    first, end = iso_week_bounds(week)
    first = first - pd.Timedelta(weeks=weeks - 1)
    t = log.table
    t = t.filter((t.event_time >= first) & (t.event_time < end))
    origin = int(first.value // 1_000)  # ns -> us
    t = t.mutate(w=((epoch_us(t.event_time) - origin) // _WEEK_US).cast("int64"))
    grid = pd.DataFrame({"w": range(weeks)})
    for part in (_session_counts(t), _order_counts(t), _days(t)):  # a few rows each
        grid = grid.merge(part.to_pandas(), on="w", how="left")
    out = grid.fillna(0)
    starts = [first + pd.Timedelta(weeks=int(i)) for i in out.pop("w")]
    out.insert(0, "start", starts)
    out.insert(0, "week", [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in starts])
    return _rates(out)


def _session_counts(t: ibis.Table) -> ibis.Table:
    on_site = t.filter(t.session_id.notnull())
    per = on_site.group_by(["w", "user_id", "session_id"]).aggregate(
        bought=(on_site.event == PURCHASE).any(),
        carted=(on_site.event == "add_to_cart").any(),
        checkout=(on_site.event == "begin_checkout").any(),
        counted=counted_events(on_site),
    )
    return per.group_by("w").aggregate(
        sessions=per.count(),
        bounces=(per.counted <= 1).cast("int64").sum(),
        converted=per.bought.cast("int64").sum(),
        checkouts=per.checkout.cast("int64").sum(),
        completed=(per.checkout & per.bought).cast("int64").sum(),
        carts=per.carted.cast("int64").sum(),
        abandoned=(per.carted & ~per.bought).cast("int64").sum(),
    )


def _days(t: ibis.Table) -> ibis.Table:
    return t.group_by("w").aggregate(days=t.event_time.date().nunique())


def _order_counts(t: ibis.Table) -> ibis.Table:
    buys = t.filter(t.event == PURCHASE)
    revenue = buys.revenue.sum() if "revenue" in buys.columns else ibis.literal(0.0)
    return buys.group_by("w").aggregate(
        orders=buys.count(), buyers=buys.user_id.nunique(), revenue=revenue
    )


def _rates(out: pd.DataFrame) -> pd.DataFrame:
    def ratio(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a / b.where(b > 0)).astype(float)

    out["bounce rate"] = ratio(out.bounces, out.sessions)
    out["session conversion"] = ratio(out.converted, out.sessions)
    out["checkout completion"] = ratio(out.completed, out.checkouts)
    out["cart abandonment"] = ratio(out.abandoned, out.carts)
    out["average order value"] = ratio(out.revenue, out.orders)
    return out


def holiday(start: pd.Timestamp) -> str | None:
    """The holiday a week starting ``start`` (a Monday) contains, or None."""
    days = [(start + pd.Timedelta(days=i)).date() for i in range(7)]
    for day in days:
        if (day.month, day.day) in HOLIDAYS:
            return HOLIDAYS[(day.month, day.day)]
        if day.month == 11 and day.weekday() == 4 and 23 <= day.day <= 29:
            return "Black Friday"
        if day.month in (11, 12) and day.weekday() == 0 and _after_black_friday(day):
            return "Cyber Monday"
    return None


def _after_black_friday(day: dt.date) -> bool:
    friday = day - dt.timedelta(days=3)
    return friday.month == 11 and 23 <= friday.day <= 29


def _week_name(row: pd.Series) -> str:
    notes = []
    if name := holiday(row.start):
        notes.append(f"a {name} week")
    if 0 < row.days < 7:
        notes.append(f"a partial week with data on {int(row.days)} of its 7 days")
    return f"{row.week}" + (f" ({', '.join(notes)})" if notes else "")


def _pvalue(x1: float, n1: float, x0: float, n0: float) -> float:
    """Two-sided pooled z-test of two proportions (NaN when undefined)."""
    if min(n1, n0) <= 0:
        return math.nan
    pooled = (x1 + x0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    return float(2 * stats.norm.sf(abs(x1 / n1 - x0 / n0) / se)) if se > 0 else math.nan


def _change_note(value: float, before: float) -> str:
    if not before or math.isnan(before) or math.isnan(value):
        return "no comparison"
    rel = value / before - 1
    size = (
        "about the same"
        if abs(rel) < 0.05
        else ("a large change" if abs(rel) >= 0.2 else "a modest change")
    )
    return f"{rel:+.1%}, {size}"


def _rate_sentence(name: str, this: pd.Series, prev: pd.Series, avg4: float, counts: tuple) -> str:
    x, n = counts
    p = _pvalue(this[x], this[n], prev[x], prev[n])
    sure = (
        "no comparison"
        if math.isnan(p)
        else f"a real change, p {_p(p)}"
        if p < 0.05
        else f"within normal week-to-week variation, p {_p(p)}"
    )
    change = display.points(this[name] - prev[name])
    return (
        f"{glossary.label(name)} was {display.percent(this[name])} against "
        f"{display.percent(prev[name])} the week before ({change}; {sure}) and "
        f"{display.percent(avg4)} on average over the 4 weeks before."
    )


def _count(value: float) -> str:
    return f"{value:,.1f}" if abs(value) < 10 else f"{value:,.0f}"


def _p(value: float) -> str:
    text = display.p_value(value)
    return text if text.startswith("<") else f"= {text}"


def week_story(
    events: EventLog | pd.DataFrame,
    week: str,
    *,
    metrics: Sequence[str] = ("sessions", "session conversion", "average order value"),
    numbers: pd.DataFrame | None = None,
) -> list[str]:
    """Sentences on ``week`` against the week before and the average of the 4 weeks before.

    Parameters
    ----------
    events : EventLog or DataFrame
        The event log.
    week : str
        The report week.
    metrics : sequence of str
        Which numbers to tell, among :data:`STORY_METRICS` (glossary names).
    numbers : DataFrame, optional
        :func:`weekly_numbers` already computed (at least 5 weeks: this one and 4 before).

    Returns
    -------
    list of str
        One sentence per metric (:func:`week_heading` names the week); none for a rate whose
        denominator is zero in all 5 weeks (a log without checkout steps has no checkout
        completion).
    """
    nums = numbers if numbers is not None else weekly_numbers(events, week, weeks=5)
    nums = nums.reset_index(drop=True)
    this, prev = nums.iloc[-1], nums.iloc[-2]
    base = nums.iloc[-5:-1]  # the 4 weeks before this one
    out = []
    counts = {"bounce rate": ("bounces", "sessions"),
              "session conversion": ("converted", "sessions"),
              "checkout completion": ("completed", "checkouts"),
              "cart abandonment": ("abandoned", "carts")}  # fmt: skip
    for name in metrics:
        if name in counts and not nums[counts[name][1]].sum():
            continue  # no checkouts (or carts, sessions) in any of the 5 weeks: nothing to tell
        if name in counts:
            avg4 = (
                base[counts[name][0]].sum() / base[counts[name][1]].sum()
                if base[counts[name][1]].sum()
                else np.nan
            )
            out.append(_rate_sentence(name, this, prev, avg4, counts[name]))
        elif name in ("average order value", "revenue"):
            label = glossary.label(name) if name in glossary.METRICS else "Revenue"
            out.append(
                f"{label} was {display.money(this[name])} against {display.money(prev[name])} "
                f"the week before ({_change_note(this[name], prev[name])}) and "
                f"{display.money(base[name].mean())} on average over the 4 weeks before."
            )
        else:
            label = glossary.label(name)
            out.append(
                f"{label}: {this[name]:,.0f} against {prev[name]:,.0f} the week before "
                f"({_change_note(this[name], prev[name])}) and {_count(base[name].mean())} a week "
                "on average over the 4 weeks before."
            )
    return out


def week_heading(numbers: pd.DataFrame) -> str:
    """``"This week, 2024-W52 (a Christmas week), against the week before and the 4 before"``."""
    this, prev = numbers.iloc[-1], numbers.iloc[-2]
    return f"This week, {_week_name(this)}, against {_week_name(prev)} and the 4 weeks before"


def this_week(
    events: EventLog | pd.DataFrame,
    week: str,
    *,
    metrics: Sequence[str] = ("sessions", "session conversion", "average order value"),
) -> Markdown:
    """The opening of a page: this week's story as a titled list (see :func:`week_story`).

    On a log without revenue the money metrics (revenue, average order value) are left out
    rather than told as zeros.
    """
    if not as_eventlog(events).has("revenue"):
        metrics = [m for m in metrics if m not in MONEY_METRICS]
    numbers = weekly_numbers(events, week, weeks=5)
    sentences = week_story(events, week, metrics=metrics, numbers=numbers)
    return as_markdown(sentences, title=week_heading(numbers))


def lifecycle_story(lifecycle: pd.DataFrame, week: str) -> list[str]:
    """Sentences on the buying customers' lifecycle in ``week``, against the week before and
    the 4 weeks before.

    Parameters
    ----------
    lifecycle : DataFrame
        :func:`journeylib.lifecycle` of buying customers per ISO week (``period``, ``status``,
        ``users``).
    week : str
        The report week.

    Returns
    -------
    list of str
        Two sentences: the share of the week's buying customers who had bought before
        (returning or resurrecting), with a two-proportion test against the week before; the
        customers lapsed (bought the week before, not this week). Empty
        when the lifecycle does not reach back one week before ``week``.
    """
    wide = _lifecycle_weeks(lifecycle, week)
    if len(wide) < 2 or wide.iloc[-2:].isna().any(axis=None):
        return []
    wide["buying"] = wide[["new", "returning", "resurrecting"]].sum(axis=1)
    wide["came_back"] = wide["returning"] + wide["resurrecting"]
    wide["back_share"] = wide.came_back / wide.buying.where(wide.buying > 0)
    this, prev, base = wide.iloc[-1], wide.iloc[-2], wide.iloc[:-1].tail(4)
    avg4 = base.came_back.sum() / base.buying.sum() if base.buying.sum() else np.nan
    sure = _sure(_pvalue(this.came_back, this.buying, prev.came_back, prev.buying))
    back = (
        f"{display.percent(this.back_share)} of this week's {this.buying:,.0f} buying customers "
        f"had bought before ({this.came_back:,.0f} returning or back after a break) against "
        f"{display.percent(prev.back_share)} the week before "
        f"({display.points(this.back_share - prev.back_share)}; {sure}) and "
        f"{display.percent(avg4)} on average over the 4 weeks before."
    )
    lapsed = (
        f"{this.dormant:,.0f} customers who bought the week before did not buy this week, "
        f"against {prev.dormant:,.0f} a week earlier ({_change_note(this.dormant, prev.dormant)})"
        f" and {_count(base.dormant.mean())} a week on average over the 4 weeks before."
    )
    return [back, lapsed]


def _lifecycle_weeks(lifecycle: pd.DataFrame, week: str) -> pd.DataFrame:
    """Users per status (columns) for up to the 6 weeks ending with ``week`` (rows)."""
    start, _ = iso_week_bounds(week)
    lc = lifecycle.assign(period=pd.to_datetime(lifecycle["period"], utc=True))
    lc = lc[(lc.period <= start) & (lc.period > start - pd.Timedelta(weeks=6))]
    wide = lc.pivot_table(index="period", columns="status", values="users", aggfunc="sum")
    wide = wide.reindex(columns=["new", "returning", "resurrecting", "dormant"])
    return wide.sort_index()


def _sure(p: float) -> str:
    if math.isnan(p):
        return "no comparison"
    if p < 0.05:
        return f"a real change, p {_p(p)}"
    return f"within normal week-to-week variation, p {_p(p)}"


def retention_week(events: EventLog | pd.DataFrame, week: str, lifecycle: pd.DataFrame) -> Markdown:
    """The opening of the retention page: buyers this week (:func:`week_story`) and the
    lifecycle sentences of :func:`lifecycle_story`, under :func:`week_heading`."""
    numbers = weekly_numbers(events, week, weeks=5)
    sentences = week_story(events, week, metrics=["buyers"], numbers=numbers)
    sentences += lifecycle_story(lifecycle, week)
    return as_markdown(sentences, title=week_heading(numbers))
