"""A funnel's specification: the options of :func:`journeylib.funnel` checked and turned into
the :class:`FunnelSpec` the matching runs on (steps parsed, windows in microseconds)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.durations import parse_duration
from .fallbacks import split_source
from .steps import Step, as_step, as_steps

ORDERS = ("ordered", "strict", "any")
COUNTS = ("users", "sessions", "totals")
Window = str | pd.Timedelta | None


@dataclass(frozen=True)
class Exclusion:
    """Attempts with a ``step`` event strictly between steps ``after`` and ``before`` (1-based)
    never reach step ``before``."""

    step: Step
    after: int
    before: int


@dataclass(frozen=True)
class FunnelSpec:
    steps: list[Step]
    order: str
    window_us: int | None
    step_windows_us: list[int | None]
    count: str
    by: list[str]
    exclude: list[Exclusion]
    hold: str | None
    open_funnel: bool


def funnel_defaults(options: Mapping[str, Any]) -> dict[str, Any]:
    base = dict.fromkeys(("window", "step_windows", "by", "exclude", "hold_constant"))
    base |= {"order": "ordered", "count": "users", "open_funnel": False}
    unknown = set(options) - set(base)
    if unknown:
        raise TypeError(f"unknown funnel options {sorted(unknown)}")
    return base | dict(options)


def _us(value: Window, name: str = "window") -> int | None:
    if value is None:
        return None
    return int(parse_duration(value, name=name).total_seconds() * 1_000_000)


def funnel_spec(
    log,
    steps,
    order,
    window,
    step_windows,
    count,
    by,
    exclude,
    hold_constant,
    open_funnel,
) -> FunnelSpec:
    parsed = as_steps(steps)
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if count not in COUNTS:
        raise ValueError(f"count must be one of {COUNTS}, got {count!r}")
    if count == "sessions" and not log.has("session_id"):
        raise ValueError("count='sessions' needs a session_id column: run sessionize first")
    sw = [None] * (len(parsed) - 1) if step_windows is None else list(step_windows)
    if len(sw) != len(parsed) - 1:
        raise ValueError(f"step_windows needs {len(parsed) - 1} values, one per step after 1")
    if order == "any" and any(w is not None for w in sw):
        raise ValueError("step_windows measure from the previous step: not with order='any'")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    for col in [*by_cols, *([hold_constant] if hold_constant else [])]:
        if (missing := split_source(log, col)) is not None:
            raise NotComputable(f"the log has no {missing!r} column to split the funnel by")
    return FunnelSpec(
        parsed,
        order,
        _us(window),
        [_us(w, "step_windows") for w in sw],
        count,
        by_cols,
        [_exclusion(x, len(parsed)) for x in exclude or []],
        hold_constant,
        bool(open_funnel),
    )


def _exclusion(x: Any, n_steps: int) -> Exclusion:
    if isinstance(x, Exclusion):
        ex = x
    else:
        step, after, before = x
        ex = Exclusion(as_step(step), int(after), int(before))
    if not 1 <= ex.after < ex.before <= n_steps:
        raise ValueError(
            f"exclusion between steps {ex.after} and {ex.before}: need "
            f"1 <= after < before <= {n_steps}"
        )
    return ex
