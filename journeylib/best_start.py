"""Who counts as a best customer on this log: the measure, the CLV model, and why.

Notebook 03 asks for best customers by a measure (``revenue``, ``orders``, ``tenure``,
``clv``). A log may not support the measure asked for: without a revenue column, revenue and
CLV cannot rank anyone, so customers are ranked by orders; with too few buyers for the CLV
models there is no predicted CLV, so the CLV rows show historical net revenue. :func:`choose`
decides both here, where it is tested, and says so in plain sentences for the findings; the
CLV models' fit warnings become lines for the appendix for analysts
(:func:`journeylib.fit_notes.collect`), never stderr.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .best import best_customers, customer_facts
from .cleaning import NotComputable
from .clv import customer_value
from .eventlog import EventLog
from .fit_notes import collect
from .io import as_eventlog

__all__ = ["BestStart", "choose", "fit_notes", "measure_for", "predicted_clv"]

#: Measures that need money in the log.
MONEY_MEASURES = ("revenue", "clv")


@dataclass(frozen=True)
class BestStart:
    """What :func:`choose` decided and computed.

    Attributes
    ----------
    by : str
        The measure best customers are ranked by (the one asked for, or ``"orders"``).
    best : DataFrame
        :func:`journeylib.best_customers` by that measure.
    clv : DataFrame or None
        :func:`journeylib.clv.customer_value` per buyer, or None when the models cannot run.
    facts : DataFrame
        :func:`journeylib.customer_facts` of the events.
    notes : tuple of str
        Plain sentences for the findings: the measure that replaced the one asked for, and
        why there is no predicted CLV (empty when neither happened).
    fit_notes : tuple of str
        Warnings of the CLV model fits, one line each (for the appendix for analysts).
    """

    by: str
    best: pd.DataFrame
    clv: pd.DataFrame | None
    facts: pd.DataFrame
    notes: tuple[str, ...] = ()
    fit_notes: tuple[str, ...] = ()


def measure_for(events: EventLog | pd.DataFrame, by: str) -> tuple[str, str | None]:
    """The measure the log can rank customers by, and the sentence when it is not ``by``.

    Revenue and CLV need a revenue column; without one, customers are ranked by orders.

    Examples
    --------
    A log without revenue asked for ``"clv"`` gives ``("orders", "The log has no revenue
    column: best customers are ranked by orders, not CLV.")``.
    """
    if by in MONEY_MEASURES and not as_eventlog(events).has("revenue"):
        asked = "CLV" if by == "clv" else by
        return (
            "orders",
            f"The log has no revenue column: best customers are ranked by orders, not {asked}.",
        )
    return by, None


def predicted_clv(
    events: EventLog | pd.DataFrame, *, horizon_months: int = 12
) -> tuple[pd.DataFrame | None, str | None, tuple[str, ...]]:
    """Predicted CLV per buyer, or None with the sentence saying why; and the fit warnings.

    Returns
    -------
    (DataFrame or None, str or None, tuple of str)
        :func:`journeylib.clv.customer_value` (None when the log has no revenue or the
        models cannot be fitted on its buyers); the plain sentence for the findings when
        None; the models' fit warnings and the technical reason a fit failed, as plain lines
        for the appendix for analysts (never raised).
    """
    if not as_eventlog(events).has("revenue"):
        return None, "No predicted CLV: the log has no revenue column.", ()
    with collect() as lines:
        try:
            value, why = customer_value(events, horizon_months=horizon_months), None
        except NotComputable as err:
            value, failed = None, " ".join(str(err).split())
            why = (
                "No predicted CLV: the CLV models cannot be fitted on this log's buyers (the "
                "appendix for analysts says why); CLV rows show net revenue so far."
            )
    return value, why, (*lines, f"No predicted CLV: {failed}") if why else tuple(lines)


def choose(
    events: EventLog | pd.DataFrame, *, by: str = "revenue", top: float = 0.10,
    horizon_months: int = 12,
) -> BestStart:  # fmt: skip
    """Best customers by ``by`` when the log allows it (else by orders), with predicted CLV
    when the models can run, and the sentences saying what was decided.

    Parameters
    ----------
    events : EventLog or DataFrame
        The event log of the period.
    by : str
        ``"revenue"``, ``"orders"``, ``"tenure"`` or ``"clv"``.
    top : float
        Share of customers called best.
    horizon_months : int
        CLV horizon.

    Returns
    -------
    BestStart
    """
    measure, why_measure = measure_for(events, by)
    value, why_clv, fit_lines = predicted_clv(events, horizon_months=horizon_months)
    best = best_customers(events, by=measure, top=top, clv=value)
    # without revenue, the measure's sentence already says what the CLV one would
    said = (
        why_measure,
        None if why_measure and not as_eventlog(events).has("revenue") else why_clv,
    )
    notes = tuple(n for n in said if n)
    return BestStart(measure, best, value, customer_facts(events), notes, fit_lines)


def fit_notes(start: BestStart) -> None:
    """Add the CLV models' fit warnings to the appendix for analysts, one line each."""
    from . import appendix

    for line in start.fit_notes:
        appendix.note(f"Model fit: {line}")
