"""Small numpy helpers of the synthetic shop: percentiles, selection weights, draws, tables as
dicts of equally long arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._codes import Cols


# --------------------------------------------------------------------------- array helpers
def percentile(x: np.ndarray) -> np.ndarray:
    """Mid-rank percentile in (0, 1) of each value of ``x``."""
    out = np.empty(x.size)
    out[np.argsort(x, kind="stable")] = (np.arange(x.size) + 0.5) / max(x.size, 1)
    return out


def tilt(u: np.ndarray, k: float) -> np.ndarray:
    """Selection weight ``(k + 1) u**k``: mean 1 over uniform ``u``, favours high ``u``."""
    return (k + 1.0) * u**k


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one column index per row of a (n, k) matrix of probabilities."""
    cum = np.cumsum(probs, axis=1)
    pick = (rng.random(len(probs))[:, None] * cum[:, -1:] > cum).sum(axis=1)
    return np.minimum(pick, probs.shape[1] - 1)


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within consecutive groups of ``counts`` rows."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def concat(parts: Sequence[Cols]) -> Cols:
    """Stack tables that have the same columns."""
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def take(table: Cols, idx: np.ndarray) -> Cols:
    """Rows ``idx`` of a table."""
    return {key: col[idx] for key, col in table.items()}


def uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """``n`` whole seconds drawn uniformly in [low, high)."""
    return rng.uniform(low, high, n).astype(np.int64)
