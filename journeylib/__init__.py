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

from .abandonment import cart_abandonment, cart_recovery, drop_off_next, returns
from .abreadout import ab_readout
from .abtest import ab_test
from .acquisition import first_touch, first_touch_tests, select_users
from .attribution import channel_attribution, removal_effects
from .backend import connect
from .best import best_customers, channel_quality, customer_facts, profile, who_they_are
from .bounce import bounce_rate
from .cleaning import DataError, NotComputable
from .clv import customer_value, rfm_summary
from .correlation import funnel_correlation
from .crosssell import bought_together, communication_preference, first_purchases
from .eventlog import EventLog
from .funnel_trends import funnel_trend
from .funnels import funnel, funnel_times
from .io import as_eventlog, read_events
from .journey import (
    purchase_paths,
    stage_view,
    step_matrix,
    time_to_first_purchase,
    transitions,
)
from .lifecycle import lifecycle
from .onpath import on_the_path
from .order_gaps import time_between_orders
from .orders import read_ga4, read_orders
from .path_analysis import paths
from .patterns import early_patterns
from .privacy import pseudonymous
from .report_kpis import week_kpis
from .retention import retention, retention_curve
from .sessions import sessionize, sessions
from .stages import STAGES, map_stages, stage_reach, user_stages
from .steps import Step

__all__ = [
    "STAGES",
    "DataError",
    "NotComputable",
    "EventLog",
    "Step",
    "ab_readout",
    "ab_test",
    "as_eventlog",
    "cart_abandonment",
    "cart_recovery",
    "connect",
    "drop_off_next",
    "funnel",
    "funnel_times",
    "customer_value",
    "map_stages",
    "read_events",
    "read_ga4",
    "read_orders",
    "returns",
    "rfm_summary",
    "sessionize",
    "sessions",
    "stage_reach",
    "user_stages",
    # best-customer paths
    "best_customers",
    "bought_together",
    "channel_quality",
    "communication_preference",
    "customer_facts",
    "early_patterns",
    "first_purchases",
    "on_the_path",
    "profile",
    "who_they_are",
    # journey map
    "channel_attribution",
    "first_touch",
    "first_touch_tests",
    "purchase_paths",
    "removal_effects",
    "select_users",
    "stage_view",
    "step_matrix",
    "time_to_first_purchase",
    "transitions",
    # weekly reports
    "pseudonymous",
    "week_kpis",
    # why people drop out
    "funnel_correlation",
    "funnel_trend",
    "paths",
    # retention and lifecycle
    "bounce_rate",
    "lifecycle",
    "retention",
    "retention_curve",
    "time_between_orders",
]
__version__ = "0.1.0"
