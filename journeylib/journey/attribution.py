"""Channel attribution: which channels the purchases owe to, by four models side by side.

Answers docs/domain.md's "acquisition channels and their effect on later behaviour" and
"communication preference" (do people buy through e-mail): a visit is a touchpoint, and every
purchase is credited to the channels of the visits on its path.

Paths (the convention): a user's visits (sessions, in (start, first row) order) are cut after
each visit with a purchase, so a *converting path* runs from the visit after the previous
purchase up to the purchase visit; the visits after the last purchase form a non-converting
path. Off-site events (NULL ``session_id``) are no touchpoints. A visit's channel is its first
non-NULL channel (``"(none)"`` when it has none). Purchases of one visit share its path.

Models: **first touch** (all credit to the path's first visit), **last touch** (the purchase
visit), **linear** (equal shares over the path's visits) and **Markov** (the removal effect of
a first-order Markov chain over start -> channels -> conversion / null, estimated from all
paths; the purchases are shared in proportion to the removal effects, as in Anderl et al.
2016 and the R ChannelAttribution package). No maintained Python package for the chain fits
the dependency policy, so the absorbing chain is solved here with numpy.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.ordered import first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, ROW_ID, USER_KEY
from ..engine.sessions import sessionize

START, CONVERSION, NULL = "start", "conversion", "null"
MODELS = ("first_touch", "last_touch", "linear", "markov")


def touchpoints(events: EventLog | pd.DataFrame) -> ir.Table:
    """One row per visit with its path (ibis).

    Columns: the user key, ``session_id``, ``channel``, ``purchases`` (in the visit),
    ``path`` (0-based path number of the user), ``position`` (1-based, in the path),
    ``path_visits``, ``path_purchases`` (purchases that end the path; 0 for a
    non-converting path), ``previous`` (the previous visit's channel in the path, or
    ``"start"``), ``is_last`` (the last visit of the path).
    """
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    t = log.table.filter(log.table.session_id.notnull())
    key = USER_KEY if USER_KEY in t.columns else "user_id"
    order = [t.event_time, t[ROW_ID]]
    if "channel" in t.columns:
        channel = first_in_order(t.channel, order, include_null=False)
    else:
        channel = ibis.null("string")
    v = t.group_by([key, "session_id"]).aggregate(
        start=t.event_time.min(),
        first_row=t[ROW_ID].min(),
        channel=channel,
        purchases=(t.event == PURCHASE).sum(),
    )
    v = v.mutate(channel=v.channel.fill_null("(none)"), _conv=(v.purchases > 0).cast("int64"))
    v = v.mutate(path=v._conv.cumsum(group_by=v[key], order_by=[v.start, v.first_row]) - v._conv)
    w = ibis.window(group_by=[v[key], v.path], order_by=[v.start, v.first_row])
    wp = ibis.window(group_by=[v[key], v.path])
    return v.mutate(
        position=ibis.row_number().over(w) + 1,
        path_visits=v.count().over(wp),
        path_purchases=v.purchases.sum().over(wp),
        previous=v.channel.lag().over(w).fill_null(START),
        is_last=v.channel.lead().over(w).isnull(),
    ).drop("_conv", "first_row")


def chain_counts(visits: ir.Table) -> pd.DataFrame:
    """Transition counts of the attribution chain (``from``, ``to``, ``count``) from
    :func:`touchpoints`: start -> channel -> ... -> ``"conversion"`` or ``"null"``."""
    return _chain(_tallies(visits))


def _tallies(visits: ir.Table) -> pd.DataFrame:
    """Everything :func:`channel_attribution` needs from the visits, in one small frame.

    One row per (``previous``, ``channel``, ``is_last``, ``bought``: a purchase in the visit)
    with ``count`` (visits) and the heuristic models' credit of those visits (``first_touch``,
    ``last_touch``, ``linear``; 0 outside converting paths): the visits are computed once.
    """
    conv = visits.path_purchases > 0
    weight = visits.path_purchases.cast("float64")
    bought = (visits.purchases > 0).fill_null(False)
    sums = visits.group_by(["previous", "channel", "is_last", bought.name("bought")]).aggregate(
        count=visits.count(),
        first_touch=weight.sum(where=conv & (visits.position == 1)),
        last_touch=visits.purchases.cast("float64").sum(where=conv & bought),
        linear=(weight / visits.path_visits).sum(where=conv),
    )
    out = sums.to_pandas()
    out["count"] = out["count"].astype("int64")
    return out


def _chain(tallies: pd.DataFrame) -> pd.DataFrame:
    """The chain's transition counts from :func:`_tallies`."""
    inner = tallies.groupby(["previous", "channel"], dropna=False)["count"].sum().reset_index()
    last = tallies[tallies.is_last.astype(bool)]
    last = last.assign(previous=last.channel, channel=np.where(last.bought, CONVERSION, NULL))
    ends = last.groupby(["previous", "channel"])["count"].sum().reset_index()
    both = pd.concat([inner, ends], ignore_index=True)
    both = both.rename(columns={"previous": "from", "channel": "to"})
    both["count"] = both["count"].astype("int64")
    return both.sort_values(["from", "to"]).reset_index(drop=True)


def removal_effects(counts: pd.DataFrame) -> pd.DataFrame:
    """Removal effects of an absorbing first-order Markov chain.

    Parameters
    ----------
    counts
        Transition counts with columns ``from``, ``to``, ``count``; states ``"start"``, the
        channels, and the absorbing ``"conversion"`` and ``"null"``. A state with no way out
        goes to ``"null"``.

    Returns
    -------
    DataFrame, one row per channel: ``channel``, ``conversion_without`` (probability of
    reaching conversion from start when the channel is removed, i.e. its visits end in
    null), ``removal_effect`` (1 - that / the chain's conversion probability) and ``share``
    (removal effect / sum of removal effects). ``attrs["conversion_probability"]`` holds the
    chain's conversion probability.

    Notes
    -----
    With ``Q`` the transient-to-transient probabilities and ``r`` the one-step probabilities
    of conversion, the absorption probabilities solve ``(I - Q) x = r``; removing a channel
    zeroes its row of ``Q`` and its ``r``. All removals are solved in one batched
    ``numpy.linalg.solve``.
    """
    channels = sorted((set(counts["from"]) | set(counts["to"])) - {START, CONVERSION, NULL})
    states = [START, *channels]
    index = {s: i for i, s in enumerate(states)}
    n = len(states)
    flow = np.zeros((n, n + 2))
    cols = {**index, CONVERSION: n, NULL: n + 1}
    rows = counts[counts["from"].isin(index) & counts["to"].isin(cols)]
    np.add.at(
        flow,
        (rows["from"].map(index).to_numpy(), rows["to"].map(cols).to_numpy()),
        rows["count"].to_numpy(dtype=float),
    )
    out = flow.sum(axis=1)
    flow[out == 0, n + 1] = 1.0  # dead ends go to null
    prob = flow / flow.sum(axis=1, keepdims=True)
    q, r = prob[:, :n], prob[:, n]
    k = len(channels)
    qs = np.broadcast_to(q, (k + 1, n, n)).copy()
    rs = np.broadcast_to(r, (k + 1, n)).copy()
    removed = np.arange(1, k + 1)
    qs[removed, removed, :] = 0.0  # scenario i removes channel i (state i); scenario 0: none
    rs[removed, removed] = 0.0
    x = np.linalg.solve(np.eye(n)[None] - qs, rs[..., None])[..., 0]
    base = x[0, 0]
    without = x[1:, 0]
    effect = 1.0 - without / base if base > 0 else np.full(k, np.nan)
    total = effect.sum()
    frame = pd.DataFrame(
        {
            "channel": channels,
            "conversion_without": without,
            "removal_effect": effect,
            "share": effect / total if total > 0 else np.nan,
        }
    )
    frame.attrs["conversion_probability"] = base
    return frame


def channel_attribution(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """Purchases credited to channels by first-touch, last-touch, linear and Markov models.

    Returns
    -------
    Tidy DataFrame: ``channel``, ``model`` (one of ``first_touch``, ``last_touch``,
    ``linear``, ``markov``), ``purchases`` (credited; each model's total is the number of
    purchases made in visits) and ``share`` (of that total). See the module docstring for the
    path convention.
    """
    tallies = _tallies(touchpoints(events))
    converting = tallies[tallies[["first_touch", "last_touch", "linear"]].notna().any(axis=1)]
    heur = converting.groupby("channel")[["first_touch", "last_touch", "linear"]].sum(min_count=1)
    wide = heur.reset_index().fillna(0.0)
    effects = removal_effects(_chain(tallies))
    total = wide.last_touch.sum()
    markov = effects.set_index("channel").share.fillna(0.0) * total
    every = markov.index.union(pd.Index(wide.channel))
    wide = wide.set_index("channel").reindex(every).fillna(0.0)
    wide["markov"] = markov.reindex(wide.index).fillna(0.0)
    long = wide.reset_index(names="channel").melt(
        id_vars="channel",
        value_vars=list(MODELS),
        var_name="model",
        value_name="purchases",
    )
    long["share"] = long.purchases / long.groupby("model").purchases.transform("sum")
    return long.sort_values(["model", "purchases"], ascending=[True, False]).reset_index(drop=True)


__all__ = ["chain_counts", "channel_attribution", "removal_effects", "touchpoints"]
