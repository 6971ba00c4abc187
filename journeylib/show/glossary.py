"""One definition per headline number: its name, what it counts, over which period.

Every page and the index name a headline metric the same way and define it in the same
sentence, so that "conversion" never means four things. A page whose figure of a metric
differs from the index's (another period, another population, another model) says why
with :func:`differs`.

=======================  ==============================================================
name                     definition
=======================  ==============================================================
session conversion       sessions with a purchase / sessions
buyer rate               users with a purchase / active users
checkout completion      sessions with a purchase / sessions that began checkout
repeat rate              buyers with two or more purchases / buyers
average order value      purchase revenue / purchases
bounce rate              sessions with at most one event besides tag bookkeeping / sessions
CLV                      expected value of a buyer over the next 12 months (models)
=======================  ==============================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from IPython.display import Markdown

from . import display
from .inert import markdown_text

__all__ = [
    "METRICS",
    "Metric",
    "against_front_page",
    "define",
    "differs",
    "glossary_markdown",
    "label",
]


@dataclass(frozen=True)
class Metric:
    """A headline metric: its name on every page, its definition, its unit, its period."""

    name: str
    definition: str
    unit: str
    period: str


METRICS: dict[str, Metric] = {
    "session conversion": Metric(
        "Session conversion",
        "the share of sessions that include a purchase",
        "share",
        "the sessions of the week (Monday to Sunday, UTC)",
    ),
    "buyer rate": Metric(
        "Buyer rate",
        "the share of active users who made at least one purchase",
        "share",
        "the users active in the period",
    ),
    "checkout completion": Metric(
        "Checkout completion",
        "the share of sessions that began checkout and ended in a purchase",
        "share",
        "the sessions of the period",
    ),
    "repeat rate": Metric(
        "Repeat rate",
        "the share of buyers with two or more purchases",
        "share",
        "every purchase up to the end of the week",
    ),
    "average order value": Metric(
        "Average order value",
        "purchase revenue divided by the number of purchases",
        "currency",
        "the purchases of the week",
    ),
    "cart abandonment": Metric(
        "Cart abandonment",
        "the share of sessions with an add-to-cart that end without a purchase",
        "share",
        "the sessions of the week",
    ),
    "bounce rate": Metric(
        "Bounce rate",
        "the share of sessions with at most one event (the landing page and nothing else), "
        "leaving out the events a tag sends by itself (session start, first visit, "
        "engagement)",
        "share",
        "the sessions of the week (Monday to Sunday, UTC)",
    ),
    "sessions": Metric("Sessions", "visits to the site", "count", "the week"),
    "buyers": Metric(
        "Buyers",
        "users with at least one purchase",
        "count",
        "every purchase up to the end of the week",
    ),
    "CLV": Metric(
        "Mean CLV",
        "the expected value of a buyer over the next 12 months, from models of how often "
        "buyers buy, when they stop and how much they spend, averaged over buyers",
        "currency",
        "every purchase up to the end of the week",
    ),
}
#: Older names of the index's KPIs, read from stored weeks.
ALIASES = {"conversion rate": "session conversion", "mean CLV": "CLV"}


def _metric(name: str) -> Metric:
    key = ALIASES.get(name, name)
    if key not in METRICS:
        raise KeyError(f"no metric {name!r} in the glossary; known: {', '.join(METRICS)}")
    return METRICS[key]


def label(name: str) -> str:
    """The metric's name as every page shows it (``"Session conversion"``)."""
    return _metric(name).name


def define(name: str) -> str:
    """One sentence defining the metric: ``"Session conversion: the share of sessions ..."``."""
    m = _metric(name)
    return f"{m.name}: {m.definition}, over {m.period}."


def differs(name: str, here: str, index_value: str, why: str) -> str:
    """A sentence saying why this page's figure of a metric is not the index's.

    Parameters
    ----------
    name : str
        The metric (a key of :data:`METRICS`).
    here : str
        This page's figure, formatted.
    index_value : str
        The index's figure, formatted.
    why : str
        The difference in period, population or method, in words.
    """
    return f"{label(name)} here is {here}; the front page shows {index_value} because {why}."


def against_front_page(
    name: str, here: float, front: float, *, why: str, currency: str | None = None
) -> Markdown:
    """One line comparing this page's figure of a metric with the front page's.

    The same when they agree once formatted; else :func:`differs` with ``why``.
    """
    kind = {"share": "share", "currency": "money"}.get(_metric(name).unit, "count")
    a = display.format_value(here, kind, currency=currency)
    b = display.format_value(front, kind, currency=currency)
    text = f"{label(name)}: {a}, as on the front page." if a == b else differs(name, a, b, why)
    return Markdown(markdown_text(text))


def glossary_markdown(names: list[str] | None = None) -> Markdown:
    """The definitions of ``names`` (default: all) as a Markdown list for a page."""
    chosen = names or list(METRICS)
    lines = [
        f"- **{markdown_text(label(n))}**: {markdown_text(_metric(n).definition)}, over "
        f"{markdown_text(_metric(n).period)}."
        for n in chosen
    ]
    return Markdown("\n".join(lines))
