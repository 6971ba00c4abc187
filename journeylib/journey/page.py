"""Everything notebook 01 (journey map) computes, and which of its sections a log can give.

:func:`analyze` runs the journey map's analyses once. Sections that need a column the log
lacks are recorded in :attr:`JourneyPage.sections` with one plain sentence and their result
is None: outcomes by first channel (``channels``) and by first device (``devices``), the
attribution of purchases to channels (``attribution``) and the channel paths to the first
order (``channel_paths``). A log without a ``channel`` column would give one channel,
``(none)``, for everyone there: nothing to compare, so the page says what is missing instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.schema import PURCHASE
from ..show.sections import Sections, needs_column, not_shown
from .acquisition import first_touch
from .attribution import channel_attribution
from .stage_view import stage_view
from .way_to_purchase import purchase_paths, time_to_first_purchase

__all__ = ["JourneyPage", "analyze"]


@dataclass(frozen=True)
class JourneyPage:
    """The journey map's results; a result is None where :attr:`sections` says why."""

    view: pd.DataFrame
    channels: pd.DataFrame | None
    devices: pd.DataFrame | None
    credit: pd.DataFrame | None
    paths: pd.DataFrame | None
    channel_paths: pd.DataFrame | None
    timing: pd.DataFrame | None
    sections: Sections = field(default_factory=Sections)


def analyze(events: EventLog) -> JourneyPage:
    """The journey map of ``events`` (with stages, as :func:`journeylib.map_stages` gives).

    Returns
    -------
    JourneyPage
        ``view`` (:func:`~journeylib.journey.stage_view`), ``channels`` and ``devices``
        (:func:`~journeylib.journey.acquisition.first_touch`), ``credit``
        (:func:`~journeylib.journey.attribution.channel_attribution`), ``paths`` and
        ``channel_paths`` (:func:`~journeylib.journey.purchase_paths` by stage and by
        channel), ``timing`` (:func:`~journeylib.journey.time_to_first_purchase`);
        ``sections`` names those the log cannot give (``channels``, ``devices``,
        ``attribution``, ``channel_paths``, ``paths``) with the sentence a page shows.
    """
    s = Sections()
    has_channel = events.has("channel")
    if not has_channel:
        s.missing("channels", needs_column("channel", "Outcomes by first channel"))
        s.missing("attribution", needs_column("channel", "Purchases credited to channels"))
        s.missing("channel_paths", needs_column("channel", "Channel paths to the first order"))
    if not events.has("device"):
        s.missing("devices", needs_column("device", "Outcomes by first device"))
    buyers = _has_purchases(events)
    if not buyers:
        why = 'the log has no purchase events (map the event that is an order to "purchase")'
        s.missing("paths", not_shown("Paths to the first order", why))
        s.missing("channel_paths", not_shown("Channel paths to the first order", why))
        s.missing("attribution", not_shown("Purchases credited to channels", why))
    return JourneyPage(
        view=stage_view(events),
        channels=s.attempt("channels", "Outcomes by first channel", first_touch, events),
        devices=s.attempt("devices", "Outcomes by first device", first_touch, events, by="device"),
        credit=s.attempt(
            "attribution", "Purchases credited to channels", channel_attribution, events
        ),
        paths=s.attempt("paths", "Paths to the first order", purchase_paths, events),
        channel_paths=s.attempt(
            "channel_paths",
            "Channel paths to the first order",
            purchase_paths,
            events,
            level="channel",
        ),
        timing=s.attempt("paths", "Time to the first order", time_to_first_purchase, events)
        if buyers
        else None,
        sections=s,
    )


def _has_purchases(events: EventLog) -> bool:
    t = events.table
    return bool(t.filter(t.event == PURCHASE).limit(1).count().to_pandas())
