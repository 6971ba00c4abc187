"""Findings of the journey map (notebook 01): plain sentences from the computed numbers."""

from __future__ import annotations

import pandas as pd

from ..show.sentences import pct


def _p(p: float) -> str:
    return "n/a" if pd.isna(p) else ("p < 0.001" if p < 0.001 else f"p = {p:.3f}")


def _extreme(
    outcomes: pd.DataFrame, *, by: str, metric: str, hit: str, nobs: str, highest: bool
) -> str:
    ok = outcomes[outcomes[nobs] > 0]
    if len(ok) < 2:
        return f"Too few {by} values with data to compare {metric.replace('_', ' ')}."
    row = ok.loc[ok[metric].idxmax() if highest else ok[metric].idxmin()]
    rest = ok[ok[by] != row[by]]
    rest_rate = rest[hit].sum() / rest[nobs].sum()
    p = row[f"{'repeat' if metric == 'repeat_rate' else 'conversion'}_p"]
    word = "highest" if highest else "lowest"
    verdict = "a significant difference" if p < 0.05 else "not a significant difference"
    what = "buy again" if metric == "repeat_rate" else "buy at all"
    of = "buyers" if metric == "repeat_rate" else "users"
    return (
        f"Users whose first {by} is {row[by]} have the {word} share who {what}: "
        f"{pct(row[metric])} of {int(row[nobs]):,} {of} (95% CI {pct(row[f'{metric}_low'])}"
        f"–{pct(row[f'{metric}_high'])}) against {pct(rest_rate)} for the other {by}s "
        f"({_p(p)}, {verdict})."
    )


def journey_findings(
    view: pd.DataFrame,
    channels: pd.DataFrame | None,
    devices: pd.DataFrame | None,
    credit: pd.DataFrame | None,
    paths: pd.DataFrame | None,
    timing: pd.DataFrame | None,
) -> list[str]:
    """4-6 sentences: stage reach, the first channel whose buyers repeat most, the first
    device that converts least, what attribution changes, and the usual path to a first order.

    Takes the frames of ``journey.stage_view``, ``acquisition.first_touch`` (by channel and
    by device), ``attribution.channel_attribution``, ``journey.purchase_paths`` and
    ``journey.time_to_first_purchase``; a frame the log could not give (None, see
    :mod:`journeylib.journey.page`) gives no sentence.
    """
    v = view[view.cohort == view.cohort.iloc[0]].set_index("stage")
    share = v.share_reached
    out = [
        f"Of {int(v.loc['Awareness', 'reached']):,} users, {pct(share['Consideration'])}"
        f" went on to Consideration, {pct(v.loc['Conversion', 'share_reached'])} reached "
        f"Conversion (a cart or an order), {pct(v.loc['Retention', 'share_reached'])} Retention "
        f"and {pct(v.loc['Advocacy', 'share_reached'])} Advocacy."
    ]
    if channels is not None:
        out.append(
            _extreme(
                channels,
                by="channel",
                metric="repeat_rate",
                hit="repeat_buyers",
                nobs="buyers",
                highest=True,
            )
        )
    if devices is not None and len(devices):
        out.append(
            _extreme(
                devices,
                by="device",
                metric="conversion",
                hit="buyers",
                nobs="users",
                highest=False,
            )
        )
    if credit is not None:
        out += _attribution(credit)
    if paths is not None and timing is not None and len(paths) and len(timing):
        t = timing.set_index("measure")
        top = paths.iloc[0]
        out.append(
            f"The most common way to a first order is {top.path} ({pct(top.share)} of buyers); "
            f"buyers need a median of {t.loc['sessions', 'median']:.0f} visits and "
            f"{t.loc['days', 'median']:.1f} days from first contact to first purchase."
        )
    return out


def _attribution(credit: pd.DataFrame) -> list[str]:
    """The channel that closes more than it opens, in one sentence (none without one)."""
    wide = credit.pivot_table(index="channel", columns="model", values="share", aggfunc="sum")
    gap = (wide.last_touch - wide.first_touch).sort_values() if len(wide) else pd.Series()
    # credit needs purchases, and a closer and an opener that differ
    if not (credit.purchases.sum() > 0 and len(gap) > 1 and gap.iloc[-1] > gap.iloc[0]):
        return []
    closer, opener = gap.index[-1], gap.index[0]
    return [
        f"{closer} closes more than it opens: last touch gives it "
        f"{pct(wide.loc[closer, 'last_touch'])} of purchases, first touch "
        f"{pct(wide.loc[closer, 'first_touch'])} and the Markov "
        f"removal effect {pct(wide.loc[closer, 'markov'])}; {opener} is the reverse "
        f"({pct(wide.loc[opener, 'first_touch'])} first touch, "
        f"{pct(wide.loc[opener, 'last_touch'])} last touch)."
    ]


__all__ = ["journey_findings"]
