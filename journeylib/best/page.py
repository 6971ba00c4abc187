"""Everything notebook 03 (best customers) computes, from one call, and which of its sections
a log can fill.

:func:`analyze` picks the best customers (:func:`~journeylib.best.start.choose`), compares
them with the other customers, finds the early patterns that mark them and lists who is on
that path now, reading every early journey once. A section the log cannot fill (no
``channel`` column: no first channels to compare, only one ``(none)``; no ``page_type``: no
page types viewed; nobody on the path) is recorded in :attr:`BestPage.sections` with one
plain sentence, so the page says why instead of drawing an empty chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..engine.eventlog import EventLog
from ..show.sections import Sections, needs_column, not_shown
from .crosssell import bought_together
from .customers import channel_quality, profile, who_they_are
from .early_journeys import early_items
from .findings import path_to_replicate
from .on_the_path import nobody_on_the_path, on_the_path
from .patterns import early_patterns
from .ranking import ties_note
from .start import BestStart, choose

__all__ = ["BestPage", "analyze", "definition", "horizon_of", "path_sizes", "sections_of"]

#: The sections drawn from share rows of the profile: (section, the rows' metric prefix, the
#: column they read, what the section shows, why it is empty when the column is there).
SHARE_SECTIONS = (
    ("channels", "first channel", "channel", "First channels of best customers and the rest",
     "no customer's visits carry a channel"),
    ("pages", "viewed before first order", "page_type", "Page types viewed before the first order",
     "no customer viewed a page of a known type before the first order"),
    ("first_category", "first category bought", "category", "Category of the first order",
     "no first order names its category"),
    ("next_channel", "channel of the next visit", "channel", "Channel of the next visit",
     "no customer's visit after the first order carries a channel"),
)  # fmt: skip


@dataclass(frozen=True)
class BestPage:
    """The best-customer page's results (see :func:`analyze`)."""

    start: BestStart
    definition: str
    ties: str | None
    who: pd.DataFrame
    channels: pd.DataFrame
    profile: pd.DataFrame
    rules: pd.DataFrame | None
    patterns: pd.DataFrame
    on_path: pd.DataFrame
    sizes: pd.DataFrame
    path: pd.DataFrame = field(default_factory=pd.DataFrame)
    sections: Sections = field(default_factory=Sections)


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
        together; None without a ``category`` column), ``patterns`` (early patterns),
        ``on_path`` and ``sizes`` (:func:`path_sizes`), ``path``
        (:func:`~journeylib.best.findings.path_to_replicate`) and ``sections`` (those the log
        cannot fill, with the sentence the page shows: :func:`sections_of`).
    """
    start = choose(events, by=by, top=top, predicted=predicted)
    best, value, facts = start.best, start.clv, start.facts
    early = horizon_of(horizon)
    items = early_items(events, horizon=early)  # the early journeys, read once for both below
    patterns = early_patterns(events, best, horizon=early, min_support=min_support, items=items)
    on_path = on_the_path(
        events, patterns, best=best, clv=value, out_dir=out_dir, facts=facts, items=items
    )
    compared = profile(events, best, clv=value, facts=facts)
    s = Sections()
    what = "Categories bought together"
    rules = s.attempt("rules", what, bought_together, events, best)
    if rules is not None and rules.empty:
        why = "no two categories are bought together by 1% of customers or more"
        s.missing("rules", not_shown(what, why))
    path = path_to_replicate(compared, patterns)
    return BestPage(
        start=start,
        definition=definition(best, top=top, by=start.by),
        ties=ties_note(best),
        who=who_they_are(events, best, facts=facts),
        channels=channel_quality(events, facts=facts),
        profile=compared,
        rules=rules,
        patterns=patterns,
        on_path=on_path,
        sizes=path_sizes(on_path),
        path=path,
        sections=sections_of(
            events, compared, patterns, path, on_path, min_support=min_support, sections=s
        ),
    )


def sections_of(
    events: EventLog,
    compared: pd.DataFrame,
    patterns: pd.DataFrame,
    path: pd.DataFrame,
    on_path: pd.DataFrame,
    *,
    min_support: float = 0.05,
    sections: Sections | None = None,
) -> Sections:
    """The sections of the best-customer page the log cannot fill, each with its sentence.

    ``compared`` is :func:`~journeylib.best.customers.profile`, ``patterns``
    :func:`~journeylib.best.patterns.early_patterns` (found with ``min_support``), ``path``
    :func:`~journeylib.best.findings.path_to_replicate` and ``on_path``
    :func:`~journeylib.best.on_the_path.on_the_path`. Missing (added to ``sections``, or to
    a new :class:`~journeylib.show.sections.Sections`): ``channels``, ``pages``,
    ``first_category`` and ``next_channel`` when the profile has no share row for them (the
    column is missing, or no customer has a value), ``patterns`` when no early pattern
    qualifies, ``path`` when no touchpoint stands out and ``on_path`` when nobody is on it.
    """
    s = Sections() if sections is None else sections
    metrics = compared.metric.astype(str)
    for section, prefix, column, what, why in SHARE_SECTIONS:
        if not metrics.str.startswith(f"{prefix}: ").any():
            s.missing(section, needs_column(column, what) if not events.has(column) else
                      not_shown(what, why))  # fmt: skip
    if patterns.empty:
        why = (f"no early pattern is shared by between {min_support:.0%} and "
               f"{1 - min_support:.0%} of customers")  # fmt: skip
        s.missing("patterns", not_shown("Early patterns", why))
    if path.empty:
        why = "no touchpoint is significantly more common among best customers than the rest"
        s.missing("path", not_shown("The path to replicate", why))
    if on_path.empty:
        what = "Users on the best customers' path"
        s.missing("on_path", not_shown(what, nobody_on_the_path(patterns)))
    return s
