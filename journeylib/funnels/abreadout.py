"""The A/B readout by the book: every assigned user, the goal after exposure, SRM first.

The conventions of Kohavi, Tang & Xu, *Trustworthy Online Controlled Experiments* (2020):

- **Population**: every user assigned a variant, i.e. with at least one event carrying one.
  A user's variant is the first seen; users seen in two or more variants are counted,
  reported and left out (their exposure is contaminated).
- **Unit of analysis** = unit of randomisation: users (``unit``, default ``user_id``).
- **Primary metric**: conversion to the goal (``purchase``) at or after the user's first
  exposure (first event with a variant), per assigned user; **revenue per assigned user**
  beside it (users without a purchase count as 0), compared with Welch's t-test.
- **Secondary**: the share of assigned users reaching each step, and each step's rate among
  those who reached the previous step. The latter is *conditional*: when a variant changes who
  reaches a step, its conditional rate can rise while nothing changes per assigned user.
- **Sample-ratio check** (SRM) on the assignment counts against the expected split (equal
  unless given), chi-square goodness of fit, failing at p < 0.001. When it fails the test
  cannot be read and nothing is called significant.

Every count is an ibis expression on the log's backend; only one row per variant (and step)
comes back to pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from ..engine.eventlog import EventLog
from ..engine.ordered import first_in_order
from ..engine.read.events import as_eventlog
from ..show import display
from .abtest import compare_proportions

__all__ = ["ABReadout", "ab_readout", "findings"]

#: The sample-ratio check fails below this p-value (Kohavi et al. use 0.001).
SRM_ALPHA = 0.001


@dataclass(frozen=True)
class ABReadout:
    """What :func:`ab_readout` found.

    Attributes
    ----------
    primary
        One row per variant: ``variant``, ``n`` (assigned users), ``converted`` (users with the
        goal after exposure), ``conversion``, ``ci_low``, ``ci_high`` (Wilson), ``revenue``
        (after exposure), ``revenue_per_user``.
    comparison
        One row per non-control variant: ``variant``, ``control``, ``lift`` (difference in
        conversion, as a share), ``lift_low``, ``lift_high``, ``relative_lift``,
        ``relative_low``, ``relative_high``, ``p_value``, ``mde``, ``significant``;
        ``revenue_diff``, ``revenue_low``, ``revenue_high``, ``revenue_p`` (Welch).
    steps
        Secondary rates, one row per step, variant and base: ``step``, ``base``
        (``"assigned users"`` or ``"reached <previous step>"``), ``conditional``,
        ``variant``, ``n``, ``reached``, ``rate``, ``p_value`` (against the control; NaN on
        the control's row).
    srm
        ``chi2``, ``p_value``, ``mismatch`` (p < 0.001), ``expected`` (share per variant).
    both_variants
        Users seen in two or more variants, left out.
    goal, control, readable
        The goal event, the control variant, and whether the test can be read (no SRM).
    """

    primary: pd.DataFrame
    comparison: pd.DataFrame
    steps: pd.DataFrame
    srm: dict
    both_variants: int
    goal: str
    control: str
    readable: bool


def ab_readout(
    events: EventLog | pd.DataFrame,
    variant: str = "variant",
    *,
    goal: str = "purchase",
    steps: Sequence[str] = ("begin_checkout", "purchase"),
    unit: str = "user_id",
    control: str | None = None,
    expected_split: Sequence[float] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> ABReadout:
    """Read an A/B test the trustworthy way (see the module's conventions).

    Parameters
    ----------
    events : EventLog or DataFrame
        The event log; ``variant`` holds the arm on (at least) the events of exposure.
    variant : str
        Column of the arm.
    goal : str
        Event that counts as converting (after the first exposure).
    steps : sequence of str
        Steps for the secondary rates, in order (each after the previous, after exposure).
    unit : str
        Unit of randomisation and analysis (``user_id``).
    control : str, optional
        The control arm (default: the first in sort order).
    expected_split : sequence of float, optional
        Designed share of units per variant, in sorted variant order (default equal).
    alpha, power : float
        Test level and the power of the minimum detectable effect.

    Returns
    -------
    ABReadout

    Examples
    --------
    >>> r = ab_readout(events)  # doctest: +SKIP
    >>> r.readable, r.primary[["variant", "n", "conversion"]]  # doctest: +SKIP
    """
    log = as_eventlog(events)
    users = _assigned(log.table, variant, unit)
    goal_at = _first_after(log.table, users, goal, unit)
    users = users.left_join(goal_at, unit).select(users, goal_at.reached_at)
    per_user = _with_revenue(log.table, users, goal, unit)
    counts = _variant_counts(per_user).to_pandas()
    both = int(counts.loc[counts.variant.isna(), "n"].sum())
    table = counts[counts.variant.notna()].sort_values("variant", ignore_index=True)
    if len(table) < 2:
        raise ValueError(f"an A/B readout needs two variants with users in {variant!r}")
    base = compare_proportions(
        table[["variant", "n", "converted"]],
        control=control,
        expected_split=expected_split,
        alpha=alpha,
        power=power,
    )
    control = base.comparison.control.iloc[0]
    primary = base.variants.merge(table[["variant", "revenue", "revenue_sq"]], on="variant")
    primary["revenue_per_user"] = primary.revenue / primary.n
    comparison = _with_revenue_test(base.comparison, primary, control, alpha)
    readable = not base.srm["mismatch"]
    comparison["significant"] = readable & (comparison.p_value < alpha)
    split = _expected(len(table), expected_split)
    srm = base.srm | {"expected": dict(zip(table.variant, split, strict=True))}
    step_rates = _step_rates(log.table, _assigned(log.table, variant, unit), steps, unit)
    return ABReadout(
        primary=primary.drop(columns="revenue_sq"),
        comparison=comparison,
        steps=_step_tests(step_rates, steps, control),
        srm=srm,
        both_variants=both,
        goal=goal,
        control=control,
        readable=readable,
    )


# --- the population and its per-user metrics (ibis) -----------------------------------------


def _assigned(t: ibis.Table, variant: str, unit: str) -> ibis.Table:
    """One row per user with a variant: ``variant`` (first seen, NULL if two), ``exposed_at``."""
    v = t.filter(t[variant].notnull())
    per = v.group_by(unit).aggregate(
        first=first_in_order(v[variant].cast("string"), [v.event_time, v.row_id]),
        arms=v[variant].nunique(),
        exposed_at=v.event_time.min(),
    )
    return per.select(
        unit, "exposed_at", variant=ibis.ifelse(per.arms > 1, ibis.null("string"), per["first"])
    )


def _first_after(t: ibis.Table, users: ibis.Table, event: str, unit: str) -> ibis.Table:
    """Per user, the first ``event`` at or after exposure: ``unit``, ``reached_at``."""
    e = t.filter(t.event == event).select(unit, "event_time")
    j = e.join(users, unit).filter(lambda r: r.event_time >= r.exposed_at)
    return j.group_by(unit).aggregate(reached_at=j.event_time.min())


def _with_revenue(t: ibis.Table, users: ibis.Table, goal: str, unit: str) -> ibis.Table:
    """``users`` with ``revenue``: the goal events' revenue after exposure (0 without)."""
    if "revenue" not in t.columns:
        return users.mutate(revenue=ibis.literal(0.0))
    e = t.filter((t.event == goal) & t.revenue.notnull()).select(unit, "event_time", "revenue")
    j = e.join(users.select(unit, "exposed_at"), unit).filter(
        lambda r: r.event_time >= r.exposed_at
    )
    rev = j.group_by(unit).aggregate(revenue=j.revenue.cast("float64").sum())
    out = users.left_join(rev, unit).select(users, rev.revenue)
    return out.mutate(revenue=out.revenue.fill_null(0.0))


def _variant_counts(per_user: ibis.Table) -> ibis.Table:
    """Per variant (NULL: users seen in two): ``n``, ``converted``, ``revenue``, ``revenue_sq``."""
    return per_user.group_by("variant").aggregate(
        n=per_user.count(),
        converted=per_user.reached_at.notnull().cast("int64").sum(),
        revenue=per_user.revenue.sum(),
        revenue_sq=(per_user.revenue * per_user.revenue).sum(),
    )


def _step_rates(t: ibis.Table, users: ibis.Table, steps: Sequence[str], unit: str) -> pd.DataFrame:
    """Assigned users per variant reaching each step in order after exposure (long frame)."""
    users = users.filter(users.variant.notnull())
    reached = users.select(unit, "variant", at=users.exposed_at)
    frames = [
        users.group_by("variant")
        .aggregate(reached=users.count())
        .mutate(step=ibis.literal("(assigned)"))
    ]
    for step in steps:
        e = t.filter(t.event == step).select(unit, "event_time")
        j = e.join(reached, unit).filter(lambda r: r.event_time >= r.at)
        reached = j.group_by([unit, "variant"]).aggregate(at=j.event_time.min())
        frames.append(
            reached.group_by("variant")
            .aggregate(reached=reached.count())
            .mutate(step=ibis.literal(step))
        )
    return pd.concat([f.to_pandas() for f in frames], ignore_index=True)


# --- statistics on the few rows that came back ------------------------------------------------


def _expected(k: int, expected_split: Sequence[float] | None) -> list[float]:
    split = np.full(k, 1 / k) if expected_split is None else np.asarray(expected_split, float)
    return (split / split.sum()).tolist()


def _with_revenue_test(
    comparison: pd.DataFrame, primary: pd.DataFrame, control: str, alpha: float
) -> pd.DataFrame:
    """Welch's t-test of revenue per assigned user, from the sums and sums of squares."""
    p = primary.set_index("variant")
    mean = p.revenue / p.n
    var = (p.revenue_sq - p.n * mean**2) / (p.n - 1).clip(lower=1)
    out = comparison.copy()
    rows = []
    for v in out.variant:
        se2 = var[v] / p.n[v] + var[control] / p.n[control]
        diff = mean[v] - mean[control]
        if se2 <= 0:
            rows.append((diff, np.nan, np.nan, np.nan))
            continue
        df = se2**2 / (
            (var[v] / p.n[v]) ** 2 / (p.n[v] - 1)
            + (var[control] / p.n[control]) ** 2 / (p.n[control] - 1)
        )
        q = stats.t.ppf(1 - alpha / 2, df)
        pval = 2 * stats.t.sf(abs(diff) / np.sqrt(se2), df)
        rows.append((diff, diff - q * np.sqrt(se2), diff + q * np.sqrt(se2), pval))
    out[["revenue_diff", "revenue_low", "revenue_high", "revenue_p"]] = rows
    return out


def _step_tests(rates: pd.DataFrame, steps: Sequence[str], control: str) -> pd.DataFrame:
    """Each step's share of assigned users and its rate given the previous step, tested."""
    order = ["(assigned)", *steps]
    wide = rates.pivot(index="step", columns="variant", values="reached")
    wide = wide.reindex(order).fillna(0)
    rows = []
    for prev, step in zip(order, order[1:], strict=False):
        for base, conditional in (("(assigned)", False), (prev, True)):
            if conditional and prev == "(assigned)":
                continue
            table = pd.DataFrame(
                {
                    "variant": wide.columns,
                    "n": wide.loc[base].to_numpy(),
                    "converted": wide.loc[step].to_numpy(),
                }
            )
            p_values = pd.Series(np.nan, index=table.variant)
            if (table.n > 0).all():
                test = compare_proportions(table, control=control).comparison
                p_values = test.set_index("variant").p_value
            for r in table.itertuples():
                rows.append(
                    {
                        "step": step,
                        "base": f"reached {prev}" if conditional else "assigned users",
                        "conditional": conditional,
                        "variant": r.variant,
                        "n": int(r.n),
                        "reached": int(r.converted),
                        "rate": r.converted / r.n if r.n else np.nan,
                        "p_value": p_values.get(r.variant, np.nan),
                    }
                )
    return pd.DataFrame(rows)


# --- sentences ---------------------------------------------------------------------------------


def _size(p: float, alpha: float = 0.05) -> str:
    return "a real difference" if p < alpha else "within chance"


def findings(r: ABReadout, *, alpha: float = 0.05) -> list[str]:
    """Plain sentences, headline first: can the test be read, the goal per assigned user,
    revenue per assigned user, then the conditional step rates and who was left out."""
    p = r.primary.set_index("variant")
    n_text = " vs ".join(f"{display.format_value(p.n[v], 'count')} ({v})" for v in p.index)
    if not r.readable:
        split = " / ".join(f"{s:.0%}" for s in r.srm["expected"].values())
        return [
            f"This test cannot be read: users were not split between the variants as designed "
            f"({n_text} assigned users against an intended {split}; sample-ratio check "
            f"p {_p(r.srm['p_value'])}). "
            "Until the assignment is fixed no difference below is a result.",
            *_left_out(r),
        ]
    out = []
    for c in r.comparison.itertuples():
        v, ctl = c.variant, c.control
        verdict = (
            f"{'more' if c.lift > 0 else 'fewer'} of {v}'s users buy (p {_p(c.p_value)})"
            if c.significant
            else f"no detectable change in buyers per assigned user (p {_p(c.p_value)})"
        )
        out.append(
            f"Headline: {verdict}. {display.percent(p.conversion[v])} of {v}'s assigned users "
            f"made a {display.step_label(r.goal)} after first seeing the test against "
            f"{display.percent(p.conversion[ctl])} for {ctl} ({display.points(c.lift)}, 95% "
            f"interval {display.points(c.lift_low)} to {display.points(c.lift_high)}); the test "
            f"could detect {display.points(c.mde).lstrip('+')} at 80% power."
        )
        out.append(
            f"Revenue per assigned user: {display.money(p.revenue_per_user[v])} for {v} against "
            f"{display.money(p.revenue_per_user[ctl])} for {ctl} (difference "
            f"{display.money(c.revenue_diff)}, 95% interval {display.money(c.revenue_low)} to "
            f"{display.money(c.revenue_high)}; {_size(c.revenue_p, alpha)})."
        )
    out += _step_sentences(r, alpha)
    out.append(
        f"Users were split as designed ({n_text} assigned users; sample-ratio check "
        f"p {_p(r.srm['p_value'])})."
    )
    return out + _left_out(r)


def _p(value: float) -> str:
    text = display.p_value(value)
    return text if text.startswith("<") else f"= {text}"


def _step_sentences(r: ABReadout, alpha: float) -> list[str]:
    """One sentence per step: reached per assigned user, then conditional on the step before."""
    out = []
    for step, rows in r.steps.groupby("step", sort=False):
        per_user = rows[~rows.conditional].set_index("variant")
        if step == r.goal or per_user.empty:
            continue
        others = [v for v in per_user.index if v != r.control]
        for v in others:
            out.append(
                f"Secondary: {display.percent(per_user.rate[v])} of {v}'s assigned users reached "
                f"{display.step_label(step)} against "
                f"{display.percent(per_user.rate[r.control])} for {r.control} "
                f"({_size(per_user.p_value[v], alpha)}, p {_p(per_user.p_value[v])})."
            )
    goal_rows = r.steps[(r.steps.step == r.goal) & r.steps.conditional].set_index("variant")
    for v in [v for v in goal_rows.index if v != r.control]:
        base = display.step_label(goal_rows.base[v].removeprefix("reached "))
        out.append(
            f"Conditional on reaching {base}: {display.percent(goal_rows.rate[v])} of {v}'s "
            f"users went on to {display.step_label(r.goal)} against "
            f"{display.percent(goal_rows.rate[r.control])} for "
            f"{r.control} ({_size(goal_rows.p_value[v], alpha)}, p {_p(goal_rows.p_value[v])}). "
            "This rate compares different groups of users (those each variant brought to "
            f"{base}), so it is not a result on its own: the headline per assigned user is."
        )
    return out


def _left_out(r: ABReadout) -> list[str]:
    if not r.both_variants:
        return []
    total = r.both_variants + int(r.primary.n.sum())
    return [
        f"{display.format_value(r.both_variants, 'count')} users "
        f"({display.percent(r.both_variants / total)} of those who saw the test) saw both "
        "variants and are left out."
    ]
