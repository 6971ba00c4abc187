"""What notebook 02 decides before it computes anything: the funnel's steps, options, split and
contact, with the fallbacks a log that lacks an event or a column needs, and the splits of
its returns section.

:func:`choose` turns the notebook's parameters into a :class:`FunnelChoices` (one sentence
per fallback taken, in ``notes``); :func:`returns_splits` says which splits the returns
section shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from ..show.labels import step_label
from ..show.sections import Sections, needs_column, not_shown
from .fallbacks import can_split, present_steps, split_source, usable_split
from .steps import StepSpec, as_steps

__all__ = [
    "FunnelChoices",
    "choose",
    "reached_cart_steps",
    "recovery_channels_shown",
    "returns_shown",
    "returns_splits",
]

#: What counts as contacting the owner of an abandoned cart.
CONTACT_EVENT = "email_click"

#: The splits a funnel falls back to, in words.
SPLIT_WORDS = {"first_channel": "first channel", "first_device": "first device",
               "cohort": "cohort (the month of the first visit)"}  # fmt: skip


@dataclass(frozen=True)
class FunnelChoices:
    """The decisions of :func:`choose` (see there)."""

    #: the steps the log has events for, in the funnel's order
    steps: list[StepSpec]
    #: ``order``, ``window`` and ``count``: the same for every funnel of the page
    options: dict[str, Any]
    #: the step that counts as contacting an abandoned cart's owner
    contact: StepSpec
    #: the column the funnel is split by
    segment: str
    #: one sentence per fallback taken (a step or column the log lacks), in plain words
    notes: tuple[str, ...] = ()

    def show_notes(self) -> None:
        """In a notebook: the notes as one paragraph of page text (escaped), nothing without
        notes."""
        if not self.notes:
            return
        from IPython.display import Markdown, display

        from ..engine.privacy import redact
        from ..show.inert import markdown_text

        display(Markdown(" ".join(markdown_text(redact(note)) for note in self.notes)))


def choose(
    events: EventLog | pd.DataFrame,
    *,
    steps: str | Sequence[StepSpec],
    order: str = "ordered",
    window: str | None = None,
    count: str = "users",
    segment: str = "device",
    contact_campaign: str = "",
) -> FunnelChoices:
    """The funnel notebook 02 shows, fitted to what the log has.

    Parameters
    ----------
    events
        The period's event log.
    steps
        The funnel's steps, or their names separated by commas.
    order, window, count
        As in :func:`journeylib.funnel` (an empty ``window`` is none).
    segment
        The column to split by; when the log cannot split by it, the first channel (or, without
        a channel, the cohort) is used instead.
    contact_campaign
        The e-mail campaign whose clicks count as contacts (empty: any ``email_click``); a log
        without a ``campaign`` column counts every ``email_click``.

    Returns
    -------
    FunnelChoices
        The steps (those the log has events for), options, contact and split, and a note for
        each fallback taken, in this order: steps, campaign, split.

    Raises
    ------
    NotComputable
        When fewer than two steps have events in the log.

    Examples
    --------
    >>> choices = choose(events, steps="view_item,purchase", segment="device")  # doctest: +SKIP
    """
    log = as_eventlog(events)
    wanted = [s.strip() for s in steps.split(",")] if isinstance(steps, str) else list(steps)
    found, steps_note = present_steps(log, wanted)
    notes = [_steps_note(wanted, found)] if steps_note else []
    if contact_campaign and not log.has("campaign"):
        notes.append("The log has no campaign column: every e-mail click counts as a contact.")
        contact_campaign = ""
    contact = (CONTACT_EVENT, {"campaign": contact_campaign}) if contact_campaign else CONTACT_EVENT
    split, split_note = usable_split(log, segment)
    if split_note:
        missing = split_source(log, segment)
        words = SPLIT_WORDS.get(split, split.replace("_", " "))
        notes.append(f"The log has no {missing} column: the funnel is split by {words} instead.")
    options = {"order": order, "window": window or None, "count": count}
    return FunnelChoices(found, options, contact, split, tuple(notes))


def _steps_note(wanted: Sequence[StepSpec], found: Sequence[StepSpec]) -> str:
    """``The log has no "visit started" or "checkout started" events: the funnel runs through
    product viewed, added to cart and purchase.`` (steps in words, :func:`step_label`)."""
    kept = [step_label(s.name) for s in as_steps(found)]
    names = [s.name for s in as_steps(wanted)]
    for s in as_steps(found):
        names.remove(s.name)
    absent = [f'"{step_label(n)}"' for n in names]
    return (
        f"The log has no {_listed(absent, 'or')} events: the funnel runs through "
        f"{_listed(kept, 'and')}."
    )


def _listed(words: Sequence[str], last: str) -> str:
    """``a``, ``a and b``, ``a, b and c`` (``last`` is the word before the last item)."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def returns_splits(events: EventLog | pd.DataFrame) -> tuple[str, ...]:
    """The splits of the returns section, the main one first.

    Returns
    -------
    tuple of str
        Empty when the log cannot link refunds to orders (no ``order_id`` or ``revenue``
        column). Else the main split (``category``; without it ``first_device``; without a
        device the cohort), then ``channel`` and ``first_device`` where the log can split by
        them.
    """
    log = as_eventlog(events)
    if not (log.has("order_id") and log.has("revenue")):
        return ()
    main, _ = usable_split(log, "category", fallbacks=("first_device",))
    return (main, *(by for by in ("channel", "first_device") if can_split(log, by)))


def returns_shown(splits: Sequence[str]) -> bool:
    """In a notebook: True when the returns section can be drawn (``splits`` from
    :func:`returns_splits` is not empty); else show one plain line saying why and return
    False."""
    s = Sections()
    if not splits:
        why = "the log has no order id or revenue column, so refunds cannot be linked to orders"
        s.missing("returns", not_shown("Refunds by order", why))
    return s.shows("returns")


def recovery_channels_shown(events: EventLog | pd.DataFrame, by_channel: pd.DataFrame) -> bool:
    """In a notebook: True when the channels of the recovering purchases can be shown
    (``by_channel`` of :func:`journeylib.cart_recovery` has rows); else show one plain line
    saying why (the log has no ``channel`` column, or no abandoned cart was recovered) and
    return False."""
    what = "Channel of the recovering purchase"
    s = Sections()
    if not as_eventlog(events).has("channel"):
        s.missing("channels", needs_column("channel", what))
    elif by_channel.empty:
        s.missing("channels", not_shown(what, "no abandoned cart was recovered"))
    return s.shows("channels")


def reached_cart_steps(cart: pd.DataFrame) -> pd.DataFrame:
    """In a notebook: the rows of :func:`journeylib.cart_abandonment` for the add to cart and
    the checkout steps some cart session reached. A log without ``view_cart`` or
    ``begin_checkout`` events would show those steps as empty bars and rows of zeros: they are
    left out, and one plain line names them."""
    reached = cart.groupby("step", sort=False)["sessions"].transform("sum") > 0
    keep = reached | (cart.step == cart.step.iloc[0]) if len(cart) else reached
    absent = [f'"{step_label(s)}"' for s in dict.fromkeys(cart.step[~keep])]
    if absent:
        s = Sections()
        why = f"no cart session reached {_listed(absent, 'or')} (the log may have no such events)"
        s.missing("steps", not_shown("Checkout steps", why))
        s.shows("steps")
    return cart[keep].reset_index(drop=True)
