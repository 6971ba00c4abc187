"""Per-user segment columns a funnel can be split by though the log lacks them:
``first_channel``, ``first_device`` (the user's first non-null value) and ``cohort`` (the month
of the user's first event)."""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir

from ..engine.cleaning import NotComputable
from ..engine.ordered import first_in_order
from ..engine.schema import ROW_ID, USER_KEY

DERIVED = ("first_channel", "first_device", "cohort")


def with_derived(t: ir.Table, cols: Sequence[str]) -> ir.Table:
    """Add per-user ``first_channel``/``first_device`` (first non-null) and ``cohort``."""
    wanted = [c for c in cols if c in DERIVED and c not in t.columns]
    if not wanted:
        return t
    order = [t.event_time, t[ROW_ID]]
    aggs = {}
    for c in wanted:
        if c != "cohort" and c.removeprefix("first_") not in t.columns:
            raise NotComputable(f"the log has no {c.removeprefix('first_')!r} column for {c}")
        if c == "cohort":
            aggs[c] = t.event_time.min().strftime("%Y-%m")
        else:
            aggs[c] = first_in_order(t[c.removeprefix("first_")], order, include_null=False)
    per_user = t.group_by(USER_KEY).aggregate(**aggs)
    return t.join(per_user, USER_KEY)
