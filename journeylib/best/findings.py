"""Plain words for notebook 03: findings, the profile tables, the path to replicate, the
planted-truth check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..show import tables
from ..show.counts import counted, plural
from ..show.display import MISSING, by_unit, p_value, step_label
from ..show.sentences import pct
from .on_the_path import SEGMENTS, nobody_on_the_path

STAGE_ORDER = ("Awareness", "Consideration", "Conversion", "Retention", "Advocacy")

#: How a sentence says several users of an on-the-path segment.
SEGMENT_PLURALS = {
    SEGMENTS[0]: "visitors, no order yet",
    SEGMENTS[1]: "one-time customers",
    SEGMENTS[2]: "repeat customers, not best",
}


def _strongest(profile: pd.DataFrame, prefix: str, groups=None) -> pd.Series | None:
    """The row starting with ``prefix`` where best customers over-index most (ratio), if any."""
    rows = profile[profile.metric.str.startswith(prefix) & (profile.ratio > 1)]
    if groups is not None:
        rows = rows[rows.group.isin(groups)]
    rows = rows[(rows.p_value < 0.05) & (rows.n_best >= 5)]
    return None if rows.empty else rows.sort_values("ratio", ascending=False).iloc[0]


def profile_rows(profile: pd.DataFrame, group: int) -> pd.DataFrame:
    """One question group of :func:`journeylib.profile` as text, each number in its row's unit.

    Parameters
    ----------
    profile : DataFrame
        :func:`journeylib.profile` (``metric``, ``unit``, ``best``, ``rest``, ``difference``,
        ``ci_low``, ``ci_high``, ``p_value``, ``n_best``, ``n_rest``, ``note``).
    group : int
        The question group, 1 to 6.

    Returns
    -------
    DataFrame
        Plain headers: ``Measure`` (event and page names in words), ``Best customers``,
        ``Other customers`` (shares as percents, durations in days or hours, money),
        ``Difference`` (percentage points for shares), ``95% interval of the difference``,
        ``p-value``; ``Customers compared`` when the rows compare different numbers of
        customers, ``Note`` when a row has one.
    """
    rows = profile[profile.group == group]
    unit = rows.unit.tolist()

    def shown(col: str, *, change: bool = False) -> list[str]:
        return [by_unit(v, u, change=change) for v, u in zip(rows[col], unit, strict=True)]

    low, high = shown("ci_low", change=True), shown("ci_high", change=True)
    out = pd.DataFrame(
        {
            "Measure": [_measure(m) for m in rows.metric],
            "Best customers": shown("best"),
            "Other customers": shown("rest"),
            "Difference": shown("difference", change=True),
            "95% interval of the difference": [
                MISSING if MISSING in (a, b) else f"{a} to {b}"
                for a, b in zip(low, high, strict=True)
            ],
            "p-value": [p_value(p) for p in rows.p_value],
        }
    )
    if rows[["n_best", "n_rest"]].drop_duplicates().shape[0] > 1:
        out["Customers compared"] = [
            f"{b:,.0f} best, {counted(r, 'other')}"
            for b, r in zip(rows.n_best, rows.n_rest, strict=True)
        ]
    if "note" in rows and rows.note.fillna("").astype(bool).any():
        out["Note"] = rows.note.fillna("").tolist()
    return out


def _measure(metric: str) -> str:
    """``first channel: organic_search`` -> ``First channel: organic search``."""
    head, sep, value = str(metric).partition(": ")
    text = f"{head}{sep}{step_label(value)}" if sep else head
    return text[:1].upper() + text[1:]


def profile_table(profile: pd.DataFrame, group: int):
    """:func:`profile_rows` as a titled page table: the group's question, and how many best
    and other customers are compared when every row compares the same. Shares every
    customer (or none) has on both sides compare nothing: they are named under the table,
    not shown as rows; when no row is left, one sentence says so instead of a table."""
    rows = profile[profile.group == group]
    question = str(rows.question.iloc[0]) if len(rows) else f"Question group {group}"
    alike = everyone_alike(rows)
    kept = rows[~alike]
    if len(rows) and kept.empty:
        from IPython.display import Markdown

        return Markdown(
            f"*Nothing to compare here: best customers and the rest are alike "
            f"({_alike_words(rows)}).*"
        )
    caption = question
    counts = kept[["n_best", "n_rest"]].drop_duplicates()
    if len(counts) == 1:
        b, r = counts.iloc[0]
        caption += f" ({counted(b, 'best customer')}, {counted(r, 'other')})"
    if alike.any():
        stop = "" if caption.endswith(("?", ".")) else "."
        caption += f"{stop} Left out, the same for all: {_alike_words(rows[alike])}"
    return tables.styled(profile_rows(kept, group), caption=caption)


def everyone_alike(rows: pd.DataFrame) -> pd.Series:
    """Whether each :func:`journeylib.profile` row compares nothing: a share every customer
    has, or none has, among best customers and the rest alike; or a mean the same for every
    customer (equal on both sides, and Welch's interval of zero width: no spread in either
    group). Medians are kept: equal medians with a bootstrap interval of zero width do not
    mean every customer is alike."""
    share = rows.unit == "share"
    same = rows.best == rows.rest
    all_or_none = share & same & rows.best.isin([0.0, 1.0])
    welch = rows.test.astype(str).str.startswith("Welch")
    no_spread = ~share & welch & same & (rows.ci_low == 0) & (rows.ci_high == 0)
    return all_or_none | no_spread


def _alike_words(rows: pd.DataFrame) -> str:
    """``first touchpoint: product viewed, for all customers; wrote a review, for no
    customer; products viewed before first order, 0 for every customer``..."""
    said = []
    for metric, unit, best in zip(rows.metric, rows.unit, rows.best, strict=True):
        measure = _measure(metric)
        measure = measure[:1].lower() + measure[1:]
        if unit == "share":
            said.append(f"{measure}, for {'all customers' if best == 1 else 'no customer'}")
        else:
            said.append(f"{measure}, {by_unit(best, unit)} for every customer")
    return "; ".join(said)


def path_to_replicate(profile: pd.DataFrame, patterns: pd.DataFrame) -> pd.DataFrame:
    """The touchpoints to push at each stage, read off where best customers differ.

    Returns ``stage``, ``push`` (the touchpoint), ``evidence`` (best vs rest, in words). A
    stage is left out when best customers show no significant (p < 0.05) over-indexing there.
    """
    rows = []

    def add(stage: str, push: str, r: pd.Series) -> None:
        evidence = f"{pct(r.best)} of best customers vs {pct(r.rest)} of the rest"
        rows.append((stage, push, evidence))

    if (r := _strongest(profile, "first channel: ")) is not None:
        add("Awareness", f"acquire through {step_label(r.metric.split(': ', 1)[1])}", r)
    good = patterns[patterns.productive] if not patterns.empty else patterns
    if not good.empty:
        top = good.iloc[0]
        rows.append((
            "Consideration",
            f"early on, lead visitors to: {step_label(top.pattern)}",
            f"{pct(top.p_best)} of customers with it became best vs "
            f"{pct(top.p_best_without)} without (lift {top.lift:.1f})",
        ))  # fmt: skip
    if (r := _strongest(profile, "viewed before first order: ")) is not None:
        page = step_label(r.metric.split(": ")[1])
        add("Consideration", f"before the first order, show the {page} page", r)
    if (r := _strongest(profile, "first category bought: ")) is not None:
        add("Conversion", f"first order in {step_label(r.metric.split(': ')[1])}", r)
    if (r := _strongest(profile, "email-driven share")) is not None:
        add("Retention", "repeat orders through email", r)
    if (r := _strongest(profile, "channel of the next visit: ")) is not None:
        add("Retention", f"bring them back via {step_label(r.metric.split(': ')[1])}", r)
    for metric, push in (("wrote a review", "ask for a review"), ("referred", "invite referrals")):
        if (r := _strongest(profile, metric)) is not None:
            add("Advocacy", push, r)
    out = pd.DataFrame(rows, columns=["stage", "push", "evidence"])
    out["stage"] = pd.Categorical(out.stage, STAGE_ORDER, ordered=True)
    return out.sort_values("stage", kind="stable", ignore_index=True)


def best_findings(
    who: pd.DataFrame,
    channels: pd.DataFrame,
    patterns: pd.DataFrame,
    on_path: pd.DataFrame,
    *,
    definition: str,
    ties: str | None = None,
    notes: Sequence[str] = (),
) -> list[str]:
    """3-6 sentences: who the best are, the loyal channel, the early pattern, who is on the path.

    ``ties``: :func:`journeylib.best.ties_note` of the best customers, said second when the
    ties at the threshold had to be broken. ``notes``: what the log could not support
    (:attr:`journeylib.best.start.BestStart.notes`: ranked by orders instead of revenue, no
    predicted CLV), said next.
    """
    w = who.set_index("metric")
    n = int(w.loc["customers", "best"])
    out = [
        f"The {counted(n, 'best customer')} ({definition}) {plural(n, 'is', 'are')} "
        f"{pct(w.loc['customers', 'share'])} of customers and {plural(n, 'brings', 'bring')} "
        f"{pct(w.loc['net revenue', 'share'])} of net revenue and "
        f"{pct(w.loc['orders', 'share'])} of orders."
    ]
    if ties:
        out.append(ties[0].upper() + ties[1:])
    out += list(notes)
    if len(channels) > 1:
        top, rest = channels.iloc[0], channels.iloc[1:]
        rate = rest.repeat_customers.sum() / max(rest.customers.sum(), 1)
        out.append(
            f"Customers first acquired through {top.channel} repeat most: {pct(top.repeat_rate)} "
            f"buy again (95% CI {pct(top.ci_low)}-{pct(top.ci_high)}, "
            f"{counted(top.customers, 'customer')}) against {pct(rate)} for the other channels."
        )
    good = patterns[patterns.productive]
    if not good.empty:
        p = good.iloc[0]
        out.append(
            f"The strongest early sign is {step_label(p.pattern)}: {pct(p.p_best)} of the "
            f"{counted(p.users, 'customer')} showing it became best against "
            f"{pct(p.p_best_without)} of the others (lift {p.lift:.1f}); "
            f"{counted(len(good), 'early pattern')} {plural(len(good), 'is', 'are')} significant."
        )
    else:
        out.append("No early-journey pattern raises the best-customer share significantly.")
    if on_path.empty:
        out.append(f"No user is on the best customers' path now: {nobody_on_the_path(patterns)}.")
        return out
    seg = on_path.segment.value_counts()
    parts = ", ".join(counted(n, s, SEGMENT_PLURALS.get(s)) for s, n in seg.items())
    users = f"{counted(len(on_path), 'user')} {plural(len(on_path), 'is', 'are')}"
    out.append(f"{users} on the best customers' path now ({parts}).")
    return out


def planted_check(
    data_path: str | Path, channels: pd.DataFrame, patterns: pd.DataFrame
) -> list[str]:
    """What the synthetic shop planted (truth.json beside the data) against what was found.

    Returns an empty list when there is no ``truth.json`` next to ``data_path``.
    """
    truth_file = Path(data_path).with_name("truth.json")
    if not truth_file.exists():
        return []
    truths = json.loads(truth_file.read_text())["truths"]
    ref = truths["referral_repeat_rate"]["realised"]
    pat = truths["early_pattern_best_customers"]["realised"]["among_buyers"]
    found = channels.set_index("channel")
    top = patterns.iloc[0] if not patterns.empty else None
    return [
        f"Planted: referral customers repeat at {pct(ref['referral'])} vs {pct(ref['others'])}. "
        f"Found: referral repeat rate {pct(found.repeat_rate.get('referral'))}, ranked "
        f"{list(found.index).index('referral') + 1 if 'referral' in found.index else 'n/a'} "
        f"of {counted(len(found), 'channel')}.",
        f"Planted: reviews + size_guide in the first session, {pct(pat['pattern'])} of those "
        f"customers best vs {pct(pat['no_pattern'])} (ratio {pat['ratio']:.2f}). Found at rank 1: "
        + ("nothing" if top is None else f"{top.pattern}, lift {top.lift:.2f}."),
    ]
