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
from ..engine.stages import STAGES, map_stages
from ..show.sections import Sections, needs_column, not_shown
from .acquisition import first_touch, first_touch_tests
from .attribution import channel_attribution
from .journey_map import step_matrix, transitions
from .stage_view import stage_view
from .way_to_purchase import purchase_paths, time_to_first_purchase

__all__ = ["JourneyPage", "analyze", "cohort_reach", "outcome_tests"]


@dataclass(frozen=True)
class JourneyPage:
    """The journey map's results; a result is None where :attr:`sections` says why."""

    view: pd.DataFrame
    cohorts: pd.DataFrame
    flows: pd.DataFrame
    steps: pd.DataFrame
    channels: pd.DataFrame | None
    devices: pd.DataFrame | None
    credit: pd.DataFrame | None
    paths: pd.DataFrame | None
    channel_paths: pd.DataFrame | None
    timing: pd.DataFrame | None
    tests: pd.DataFrame | None
    sections: Sections = field(default_factory=Sections)


def analyze(events: EventLog, *, level: str = "stage", max_steps: int = 10) -> JourneyPage:
    """The journey map of ``events`` (stages are mapped when the log has none, as
    :func:`journeylib.map_stages` does).

    ``level``: what a step of ``flows`` and ``steps`` is (event, stage, channel, page_type);
    ``max_steps``: how many steps ``steps`` follows.

    Returns
    -------
    JourneyPage
        ``view`` (:func:`~journeylib.journey.stage_view`), ``cohorts`` (the share of each
        monthly acquisition cohort reaching each stage: ``cohort`` and one column per stage),
        ``flows`` (:func:`~journeylib.journey.transitions` at ``level`` over whole journeys),
        ``steps`` (:func:`~journeylib.journey.step_matrix`), ``channels`` and ``devices``
        (:func:`~journeylib.journey.acquisition.first_touch`), ``credit``
        (:func:`~journeylib.journey.attribution.channel_attribution`), ``paths`` and
        ``channel_paths`` (:func:`~journeylib.journey.purchase_paths` by stage and by
        channel), ``timing`` (:func:`~journeylib.journey.time_to_first_purchase`), ``tests``
        (:func:`~journeylib.journey.acquisition.first_touch_tests` of the channels and the
        devices shown, with ``by``; None when neither is);
        ``sections`` names those the log cannot give (``channels``, ``devices``,
        ``attribution``, ``channel_paths``, ``paths``) with the sentence a page shows.
    """
    if not events.has("stage"):  # a report run's prepared log has them already
        events = map_stages(events)
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
    channels = s.attempt("channels", "Outcomes by first channel", first_touch, events)
    devices = s.attempt("devices", "Outcomes by first device", first_touch, events, by="device")
    return JourneyPage(
        view=stage_view(events),
        cohorts=cohort_reach(stage_view(events, by_cohort=True)),
        flows=transitions(events, level=level, within="user"),
        steps=step_matrix(events, max_steps=max_steps, level=level),
        channels=channels,
        devices=devices,
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
        tests=outcome_tests(channels, devices),
        sections=s,
    )


def cohort_reach(by_cohort: pd.DataFrame) -> pd.DataFrame:
    """The share of each cohort reaching each stage, wide: ``cohort`` and one column per stage
    in the stages' order, from :func:`~journeylib.journey.stage_view` ``by_cohort``."""
    wide = by_cohort.pivot(index="cohort", columns="stage", values="share_reached")
    return wide[list(STAGES)].reset_index()


def outcome_tests(
    channels: pd.DataFrame | None, devices: pd.DataFrame | None
) -> pd.DataFrame | None:
    """:func:`~journeylib.journey.acquisition.first_touch_tests` of the first-channel and the
    first-device outcomes given (``by`` says which), one frame; None when neither is given."""
    by_value = ((channels, "channel"), (devices, "device"))
    tests = [first_touch_tests(f).assign(by=b) for f, b in by_value if f is not None]
    return pd.concat(tests, ignore_index=True) if tests else None


def _has_purchases(events: EventLog) -> bool:
    t = events.table
    return bool(t.filter(t.event == PURCHASE).limit(1).count().to_pandas())
