"""Who counts as a best customer on this log: the measure, the CLV model, and why.

Notebook 03 asks for best customers by a measure (``revenue``, ``orders``, ``tenure``,
``clv``). A log may not support the measure asked for: without a revenue column, revenue and
CLV cannot rank anyone, so customers are ranked by orders; with too few buyers for the CLV
models there is no predicted CLV, so the CLV rows show historical net revenue. :func:`choose`
decides both here, where it is tested, and says so in plain sentences for the findings; the
CLV models' fit warnings become lines for the appendix for analysts
(:func:`journeylib.show.fit_notes.collect`), never stderr.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from .customers import customer_facts
from .ranking import best_customers

__all__ = ["BestStart", "choose", "fit_notes", "measure_for"]

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


def choose(
    events: EventLog | pd.DataFrame, *, by: str = "revenue", top: float = 0.10,
    predicted: tuple[pd.DataFrame | None, str | None, tuple[str, ...]] = (None, None, ()),
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
    predicted : (DataFrame or None, str or None, tuple of str)
        What :func:`journeylib.clv.value.predicted_clv` gives for the same events: the predicted
        CLV per buyer (or None and the sentence saying why) and the fit warnings. Default:
        no predicted CLV, nothing said.

    Returns
    -------
    BestStart
    """
    measure, why_measure = measure_for(events, by)
    value, why_clv, fit_lines = predicted
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
    from ..show import appendix

    for line in start.fit_notes:
        appendix.note(f"Model fit: {line}")
