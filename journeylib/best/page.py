"""Everything notebook 03 (best customers) computes, from one call.

:func:`analyze` picks the best customers (:func:`~journeylib.best.start.choose`), compares
them with the other customers, finds the early patterns that mark them and lists who is on
that path now, reading every early journey once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..engine.eventlog import EventLog
from .crosssell import bought_together
from .customers import channel_quality, profile, who_they_are
from .early_journeys import early_items
from .on_the_path import on_the_path
from .patterns import early_patterns
from .ranking import ties_note
from .start import BestStart, choose

__all__ = ["BestPage", "analyze", "definition", "horizon_of", "path_sizes"]


@dataclass(frozen=True)
class BestPage:
    """The best-customer page's results (see :func:`analyze`)."""

    start: BestStart
    definition: str
    ties: str | None
    who: pd.DataFrame
    channels: pd.DataFrame
    profile: pd.DataFrame
    rules: pd.DataFrame
    patterns: pd.DataFrame
    on_path: pd.DataFrame
    sizes: pd.DataFrame


def horizon_of(text: str) -> str | int:
    """A horizon as a notebook parameter gives it: digits are a number of events (``"10"``
    is 10), anything else (``"first_session"``, ``"7D"``) stays as it is."""
    return int(text) if text.isdigit() else text


def definition(best: pd.DataFrame, *, top: float, by: str) -> str:
    """Who counts as best, in words: ``"top 10% of customers by net revenue"`` (the measure
    :func:`~journeylib.best.ranking.best_customers` reports, else ``by`` when none is best)."""
    measure = best.measure.iloc[0] if len(best) else by
    return f"top {top:.0%} of customers by {measure}"


def path_sizes(on_path: pd.DataFrame) -> pd.DataFrame:
    """Users on the path per (``segment``, ``pattern``) of
    :func:`~journeylib.best.on_the_path.on_the_path`: ``segment``, ``pattern``, ``users``."""
    return on_path.groupby(["segment", "pattern"]).size().rename("users").reset_index()


def analyze(
    events: EventLog,
    *,
    by: str = "revenue",
    top: float = 0.10,
    horizon: str = "first_session",
    min_support: float = 0.05,
    predicted: tuple[pd.DataFrame | None, str | None, tuple[str, ...]] = (None, None, ()),
    out_dir: str | None = None,
) -> BestPage:
    """The best-customer page of ``events``.

    ``by``, ``top`` and ``predicted`` go to :func:`~journeylib.best.start.choose`;
    ``horizon`` (a notebook parameter: ``"first_session"``, a duration, or digits for a
    number of events) and ``min_support`` to
    :func:`~journeylib.best.patterns.early_patterns`; ``out_dir`` is where
    :func:`~journeylib.best.on_the_path.on_the_path` writes its list (None: not written).

    Returns
    -------
    BestPage
        ``start`` (what :func:`~journeylib.best.start.choose` decided), ``definition`` (who is
        best, in words), ``ties`` (:func:`~journeylib.best.ranking.ties_note`), ``who``,
        ``channels``, ``profile`` (best vs the other customers), ``rules`` (categories bought
        together), ``patterns`` (early patterns), ``on_path`` and ``sizes``
        (:func:`path_sizes`).
    """
    start = choose(events, by=by, top=top, predicted=predicted)
    best, value, facts = start.best, start.clv, start.facts
    early = horizon_of(horizon)
    items = early_items(events, horizon=early)  # the early journeys, read once for both below
    patterns = early_patterns(events, best, horizon=early, min_support=min_support, items=items)
    on_path = on_the_path(
        events, patterns, best=best, clv=value, out_dir=out_dir, facts=facts, items=items
    )
    return BestPage(
        start=start,
        definition=definition(best, top=top, by=start.by),
        ties=ties_note(best),
        who=who_they_are(events, best, facts=facts),
        channels=channel_quality(events, facts=facts),
        profile=profile(events, best, clv=value, facts=facts),
        rules=bought_together(events, best),
        patterns=patterns,
        on_path=on_path,
        sizes=path_sizes(on_path),
    )
