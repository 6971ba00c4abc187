"""Findings on why people drop out: plain sentences from the correlation table, the paths of
drop-outs and the funnel trend (numbers from :mod:`journeylib.funnels.correlation`,
:mod:`journeylib.funnels.paths` and :mod:`journeylib.funnels.trends`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..engine.sequences import END, START
from ..show.display import step_label
from .paths import GAP, SEP
from .why_drop import LEFT_OUT, NO_DROPOUTS, WhyDrop

#: Features whose Benjamini-Hochberg q-value is below this are told as findings.
Q_LEVEL = 0.05


def who(row) -> str:
    """The users a feature describes, in words: 'users with "signed up" among their events',
    "users whose device was tablet", "users who viewed a size guide page", 'users with
    category "shoes" on an event'."""
    value = step_label(row.value)
    if row.kind == "event":
        return f"users with “{value}” among their events"
    if row.kind == "user property":
        return f"users whose {row.column.replace('_', ' ')} was {value}"
    if row.column == "page_type":
        return f"users who viewed a {value} page"
    return f"users with {row.column.replace('_', ' ')} “{value}” on an event"


def correlation_sentence(row, big_s: int, big_f: int) -> str:
    """One feature in words: how often its users finished against the others, the odds
    ratio and its 95 % interval."""
    s, f = int(row.successes), int(row.failures)
    others = (big_s - s) / (big_s - s + big_f - f) if big_s - s + big_f - f else float("nan")
    times = row.success_share / others if others else float("nan")
    how = f"{times:.1f}x as often" if times >= 1 else f"only {times:.2f}x as often"
    return (
        f"{who(row).capitalize()} finished {how} as the others: {row.success_share:.1%} of "
        f"{s + f:,} against {others:.1%} (odds ratio {row.odds_ratio:.2f}, 95 % interval "
        f"{row.ci_low:.2f} to {row.ci_high:.2f})."
    )


def correlation_sentences(table: pd.DataFrame, *, most: int = 2) -> list[str]:
    """Up to ``most`` sentences per side for features with q < :data:`Q_LEVEL` (finishing
    side first), and a warning when one side has few users. ``table`` is a
    :func:`journeylib.funnel_correlation` result (its ``attrs`` hold S and F)."""
    big_s, big_f = table.attrs["successes"], table.attrs["failures"]
    if table.empty:
        return ["No event or property was done by enough of the entrants to be compared."]
    sure = table[table.q_value < Q_LEVEL]
    out = []
    for side in ("finishing", "dropping"):
        rows = sure[sure.side == side].head(most)
        out += [correlation_sentence(r, big_s, big_f) for r in rows.itertuples()]
    if not out:
        out.append(
            f"No event or property goes with finishing or dropping beyond chance (of "
            f"{len(table):,} compared, none has q < {Q_LEVEL})."
        )
    if len(table) and bool(table.few_on_one_side.iloc[0]):
        out.append(
            f"Only {min(big_s, big_f):,} of {big_s + big_f:,} entrants "
            f"{'finished' if big_s < big_f else 'dropped out'}: the ratios rest on few users."
        )
    return out


def paths_sentence(table: pd.DataFrame, *, left: str, lost: str) -> str:
    """Where drop-outs go, from a :func:`journeylib.paths` table of their paths: how many
    there are and their most common path. ``left`` and ``lost`` name the steps."""
    left, lost = f"“{step_label(left)}”", f"“{step_label(lost)}”"
    if table.empty:
        return f"No one reached {left} without going on to {lost}."
    top = table.iloc[0]
    if len(table) == 1:
        return (
            f"All {table.journeys.sum():,} who reached {left} and not {lost} did the same: "
            f"{path_words(top.path)}."
        )
    return (
        f"Of the {table.journeys.sum():,} who reached {left} and not {lost}, the most common "
        f"way on is {path_words(top.path)} ({top.share:.0%})."
    )


def path_words(path: str, *, joiner: str = ", then ") -> str:
    """A path of :func:`journeylib.paths` in words: ``view_item > search > (end)`` ->
    ``product viewed, then searched, then left`` (``joiner=" → "`` for a table cell:
    ``product viewed → searched → left``)."""
    return joiner.join(node_words(s) for s in str(path).split(SEP))


def features_in_words(table: pd.DataFrame) -> pd.Series:
    """The ``feature`` column of a :func:`journeylib.funnel_correlation` table in words:
    events as what happened (``sign_up`` -> ``signed up``), properties as ``column: value``
    (``device = tablet`` -> ``device: tablet``, ``page_type = size_guide`` -> ``page type:
    size guide``)."""
    column = table.column.astype(str).str.replace("_", " ")
    value = table.value.map(step_label)
    return value.where(table.kind == "event", column + ": " + value)


def node_words(node: str) -> str:
    """One node of a path in words: an event or page (:func:`step_label`), ``"left"`` for
    the end of the visit, ``"visit began"`` for its start; other markers as they are."""
    if node == END:
        return "left"
    if node == START:
        return "visit began"
    if node.startswith("(") or node == GAP:
        return node
    return step_label(node)


def trend_sentence(c: dict | None, *, every: str = "week") -> str:
    """This period against the ones before, from :func:`journeylib.funnels.trends.compare_last`."""
    if c is None:
        return f"This {every}'s conversion cannot be compared: a side has no entrants."
    differs = c["p_value"] < 0.05
    verdict = "differs from" if differs else "is in line with"
    return (
        f"This {every}'s conversion ({c['conversion']:.1%} of {c['n']:,}) {verdict} the "
        f"{c['periods_before']} {every}s before ({c['before_conversion']:.1%} of "
        f"{c['before_n']:,}): {100 * c['difference']:+.1f} points, 95 % interval "
        f"{100 * c['low']:+.1f} to {100 * c['high']:+.1f}."
    )


def why_findings(why: WhyDrop) -> list[str]:
    """The findings of the "Why people drop" part: what goes with finishing and dropping,
    where drop-outs go, this week against the ones before, then the notes (one line per
    part not computed, saying why)."""
    out = []
    if why.correlation is not None:
        out += correlation_sentences(why.correlation)
    if why.dropouts is not None and why.drop_step is not None:
        out.append(paths_sentence(why.dropouts, left=why.drop_step[0], lost=why.drop_step[1]))
    if why.trend is not None:
        out.append(trend_sentence(why.comparison))
    return out + list(why.notes)


def correlation_table(why: WhyDrop) -> dict[str, Any]:
    """The correlation table as the page shows it: the arguments of
    :func:`journeylib.show.tables.styled` (narrow; the full table goes to the appendix)."""
    cols = ["feature", "side", "successes", "failures", "success_share", "odds_ratio"]
    cols += ["ci_low", "ci_high", "q_value"]
    return {
        "frame": why.correlation[cols].assign(feature=features_in_words(why.correlation)),
        "labels": {
            "feature": "Did or had",
            "side": "Goes with",
            "successes": "Finished",
            "failures": "Dropped out",
            "success_share": "Share who finished",
            "odds_ratio": "Odds ratio of finishing",
            "ci_low": "95% interval from",
            "ci_high": "95% interval to",
            "q_value": "q-value (false discovery)",
        },
        "integer": ["successes", "failures"],
        "percent": ["success_share"],
        "decimals": ["odds_ratio", "ci_low", "ci_high"],
        "caption": "What goes with finishing the funnel and what with dropping out",
        "keep": ["feature", "side", "success_share", "odds_ratio"],
    }


def paths_in_one_line(why: WhyDrop) -> str:
    """What the drop-outs' section says when a chart of their paths would say nothing: the
    one path all of them took, or why there are none to follow."""
    if why.dropouts is not None and why.drop_step is not None:
        return paths_sentence(why.dropouts, left=why.drop_step[0], lost=why.drop_step[1])
    return LEFT_OUT if LEFT_OUT in why.notes else NO_DROPOUTS


def paths_title(why: WhyDrop) -> str:
    """The title of the drop-outs' flow chart."""
    left, lost = _step_pair(why)
    return f"After {left}, without {lost}: what drop-outs did next (share of drop-outs)"


def paths_table(why: WhyDrop, *, top: int = 10) -> dict[str, Any]:
    """The drop-outs' ``top`` paths as the page shows them (arguments of
    :func:`journeylib.show.tables.styled`)."""
    left, lost = _step_pair(why)
    frame = why.dropouts.head(top)[["path", "journeys", "share"]]
    return {
        "frame": frame.assign(path=frame.path.map(lambda p: path_words(p, joiner=" → "))),
        "labels": {"path": "Path", "journeys": "Drop-outs", "share": "Share of drop-outs"},
        "integer": ["journeys"],
        "percent": ["share"],
        "caption": f"The {top} most common paths after {left} without {lost}",
    }


def _step_pair(why: WhyDrop) -> tuple[str, str]:
    """The two steps of the biggest drop in words and quotes, for titles and captions."""
    if why.drop_step is None:
        return "the step", "the next"
    left, lost = why.drop_step
    return f"“{step_label(left)}”", f"“{step_label(lost)}”"


__all__ = [
    "correlation_sentence",
    "correlation_sentences",
    "correlation_table",
    "features_in_words",
    "node_words",
    "path_words",
    "paths_in_one_line",
    "paths_sentence",
    "paths_table",
    "paths_title",
    "trend_sentence",
    "who",
    "why_findings",
]
