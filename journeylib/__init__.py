"""journeylib: how customers travel from first contact to loyal advocate.

Three layers, one module per idea:

engine
    :mod:`~journeylib.schema` (canonical columns), :mod:`~journeylib.io` (``read_events``,
    ``read_ga4``, ``read_orders``), :mod:`~journeylib.sources` (file formats),
    :mod:`~journeylib.mapping`, :mod:`~journeylib.coerce`, :mod:`~journeylib.cleaning`
    (validation, the cleaning report, ``DataError``), :mod:`~journeylib.backend`
    (``connect``: the one place an engine is chosen), :mod:`~journeylib.eventlog`
    (``EventLog``), :mod:`~journeylib.sessions` (``sessionize``, ``sessions``),
    :mod:`~journeylib.stages` (the five stages), :mod:`~journeylib.periods` (ISO weeks).
analyses
    funnels, journeys, best customers, CLV (each in its own module).
presentation
    plots, widgets, findings and the report runner.

:mod:`~journeylib.synth` generates the planted-truth synthetic shop used as default data.
"""

from .backend import connect
from .cleaning import DataError
from .clv import customer_value, rfm_summary
from .eventlog import EventLog
from .io import as_eventlog, read_events
from .orders import read_ga4, read_orders
from .sessions import sessionize, sessions
from .stages import STAGES, map_stages, stage_reach, user_stages

__all__ = [
    "STAGES",
    "DataError",
    "EventLog",
    "as_eventlog",
    "connect",
    "customer_value",
    "map_stages",
    "read_events",
    "read_ga4",
    "read_orders",
    "rfm_summary",
    "sessionize",
    "sessions",
    "stage_reach",
    "user_stages",
]
__version__ = "0.1.0"
