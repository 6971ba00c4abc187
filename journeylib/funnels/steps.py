"""Funnel steps: an event name, alternatives, or an event with a property condition.

A step is written the way an analyst says it:

- ``"purchase"``: one event name;
- ``["add_to_cart", "view_cart"]``: any of these events;
- ``("page_view", {"page_type": "reviews"})``: an event whose properties match (a list value
  means any of these values);
- ``Step("page_view", where={"page_type": ["reviews", "size_guide"]}, label="reads up")``.

:func:`as_step` turns each of these into a :class:`Step`; ``Step.matches(table)`` is the ibis
condition that picks its events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir

from ..engine.cleaning import NotComputable

StepSpec = Any  # str | Sequence[str] | tuple[str | Sequence[str], Mapping] | Step


@dataclass(frozen=True)
class Step:
    """One funnel step.

    Parameters
    ----------
    events
        Event name, or several alternative names.
    where
        Property conditions, column -> value (or a list of accepted values); all must hold.
    label
        Name shown in results; default ``"a | b"`` or ``"page_view[page_type=reviews]"``.
    """

    events: str | tuple[str, ...]
    where: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None

    def __post_init__(self) -> None:
        names = (self.events,) if isinstance(self.events, str) else tuple(self.events)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"a step needs one or more event names, got {self.events!r}")
        object.__setattr__(self, "events", names)
        object.__setattr__(self, "where", dict(self.where))

    @property
    def name(self) -> str:
        """The label shown in result frames."""
        if self.label:
            return self.label
        base = " | ".join(self.events)
        if not self.where:
            return base
        conds = ",".join(f"{k}={_show(v)}" for k, v in self.where.items())
        return f"{base}[{conds}]"

    def matches(self, t: ir.Table) -> ir.BooleanValue:
        """The condition selecting this step's events in table ``t``."""
        names = list(self.events)
        cond = t.event == names[0] if len(names) == 1 else t.event.isin(names)
        where = self.where_matches(t)
        return cond if where is None else cond & where

    def check(self, columns: Sequence[str]) -> None:
        """Fail, naming the step, when a property column is not among ``columns``."""
        for column in self.where:
            if column not in columns:
                raise NotComputable(f"step {self.name!r}: the log has no column {column!r}")

    def where_matches(self, t: ir.Table) -> ir.BooleanValue | None:
        """The property conditions alone (``None`` when the step has none)."""
        self.check(t.columns)
        cond = None
        for column, value in self.where.items():
            if isinstance(value, list | tuple | set | frozenset):
                c = t[column].isin(list(value))
            else:
                c = t[column] == value
            cond = c if cond is None else cond & c
        return cond

    def may_overlap(self, other: Step) -> bool:
        """Whether one event could match both steps (they share an event name)."""
        return bool(set(self.events) & set(other.events))


def _show(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return "|".join(str(v) for v in value)
    return str(value)


def as_step(spec: StepSpec) -> Step:
    """Turn an event name, a list of names, an ``(event, {column: value})`` pair or a
    :class:`Step` into a :class:`Step`."""
    if isinstance(spec, Step):
        return spec
    if isinstance(spec, str):
        return Step(spec)
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], Mapping):
        events = spec[0] if isinstance(spec[0], str) else tuple(spec[0])
        return Step(events, where=spec[1])
    if isinstance(spec, Sequence):
        return Step(tuple(spec))
    raise TypeError(f"cannot read {spec!r} as a funnel step")


def as_steps(specs: Sequence[StepSpec]) -> list[Step]:
    """:func:`as_step` over a list; a funnel needs at least one step."""
    if isinstance(specs, str | Step) or not specs:
        raise ValueError("steps must be a non-empty list of steps")
    return [as_step(s) for s in specs]
