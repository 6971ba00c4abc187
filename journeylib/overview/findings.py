"""Findings: a few plain sentences generated from the numbers a notebook computed."""

from __future__ import annotations

import pandas as pd

from ..engine.schema import PURCHASE
from ..engine.stages import DEFAULT_STAGE_MAP
from ..show.sentences import (
    as_markdown,  # noqa: F401  (notebooks call findings.as_markdown)
    pct,
)
from .summary import Overview


def overview_findings(ov: Overview) -> list[str]:
    """3-6 sentences on the data and the week: volume, cleaning, best channel, stage reach."""
    health = dict(zip(ov.health.metric, ov.health.value, strict=True))
    out = [
        f"The log holds {health['events']} events from {health['users']} users in "
        f"{health['sessions']} sessions, from {health['first event (UTC)']} to "
        f"{health['last event (UTC)']} (UTC)."
    ]
    removed = ov.cleaning[ov.cleaning.action == "removed"]
    removed = removed[removed.rows > 0]
    if removed.empty:
        out.append("Cleaning removed no rows.")
    else:
        parts = ", ".join(f"{int(r.rows):,} {r.check}" for r in removed.itertuples())
        out.append(f"Cleaning removed {int(removed.rows.sum()):,} rows: {parts}.")
    channels = ov.mix[ov.mix.attribute == "channel"] if not ov.mix.empty else ov.mix
    if len(channels) > 1:
        top = channels.iloc[0]
        best = channels.sort_values("conversion", ascending=False).iloc[0]
        converts = (
            f"{best.value} sessions convert best ({pct(best.conversion)} end in an order)"
            if best.conversion > 0  # 0 everywhere: no channel converts best
            else "no session of any channel ended in an order"
        )
        out.append(f"{top.value} brings the most sessions ({pct(top.share)}); {converts}.")
    out += _vocabulary(ov.event_names)
    reach = ov.reach.set_index("stage")
    out.append(
        f"{pct(reach.loc['Conversion', 'share_reached'])} of users reached the Conversion stage "
        f"(a cart, checkout or first order) and {pct(reach.loc['Retention', 'share_reached'])} "
        f"went on to Retention (activity after a first order)."
    )
    if not ov.kpis.empty and not ov.kpis.set_index("kpi").loc["sessions", "this_week"] > 0:
        out.append(f"The log has no sessions in {ov.week}.")
    elif not ov.kpis.empty:
        k = ov.kpis.set_index("kpi")
        conv = k.loc["conversion rate"]
        before = (
            f"against {pct(conv.previous_week)} the week before ({100 * conv.change:+.2f} points)"
            if pd.notna(conv.previous_week)
            else "(the week before has no sessions to compare with)"
        )
        out.append(
            f"In {ov.week}, {k.loc['sessions', 'this_week']:,.0f} sessions converted at "
            f"{pct(conv.this_week)} {before}."
        )
    return out


def _vocabulary(names: pd.DataFrame) -> list[str]:
    """A sentence when the log has no ``purchase`` event: its names are not GA4's."""
    if names.empty or (names.event == PURCHASE).any():
        return []
    none = f"The log has no {PURCHASE} events, so orders, conversion and revenue read as zero."
    unknown = names[~names.event.isin(list(DEFAULT_STAGE_MAP))].head(5)
    if unknown.empty:  # every name is journeylib's: the shop sold nothing in the log
        return [none]
    listed = ", ".join(f"{e} ({n:,})" for e, n in unknown.itertuples(index=False))
    return [
        f"{none} Event names journeylib does not know: {listed}; if the shop's orders are "
        f"among them, rename them to the GA4 names ({PURCHASE}, add_to_cart, view_item, ...) "
        "before reading."
    ]
