"""The one place journeylib imports ``lifetimes``, with guards for its known breakages.

lifetimes 0.11.3 (2020) is the last release and unmaintained. On today's stack (pandas 3,
matplotlib 3.11, setuptools < 82) these facts hold; ``tests/test_lifetimes_guard.py`` checks
each one, so a release that changes them shows up as a failing test:

- ``import lifetimes`` runs ``warnings.simplefilter("ignore", FutureWarning)``, and so does every
  evaluation of the likelihood of ``BetaGeoFitter``, ``ModifiedBetaGeoFitter``,
  ``BetaGeoBetaBinomFitter`` and ``GammaGammaFitter`` (``_negative_log_likelihood``: each ``fit``,
  and any direct call, e.g. to compute a log-likelihood): every FutureWarning in the process
  would vanish. :func:`import_lifetimes` and :func:`fit` restore ``warnings.filters``; wrap any
  other call into a fitter in :func:`preserved_warnings`.
- ``import lifetimes.utils`` sets ``pd.options.mode.chained_assignment = None`` (which hides
  SettingWithCopyWarning on pandas 2; a deprecated no-op on pandas 3): restored as well.
- ``lifetimes.datasets`` imports ``pkg_resources``, removed in setuptools 82. The loaders here read
  the CSV files it ships with :mod:`importlib.resources` instead.
- ``freq="M"`` fails on pandas >= 2.2 (a month is not a fixed duration): :func:`check_freq` says
  so up front and suggests ``freq="D"`` with a ``freq_multiplier``.
- ``calibration_and_holdout_data`` without ``monetary_value_col`` fails on pandas 3 ("No objects
  to concatenate"): :func:`calibration_and_holdout` passes a dummy monetary column.
- ``lifetimes.plotting.plot_expected_repeat_purchases`` fails on matplotlib >= 3.8 and
  ``plot_history_alive`` on pandas 3; journeylib draws with seaborn and never imports
  ``lifetimes.plotting``.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from types import ModuleType
from typing import Any, TypeVar

import pandas as pd

__all__ = [
    "FREQS",
    "calibration_and_holdout",
    "check_freq",
    "fit",
    "import_lifetimes",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "preserved_warnings",
]

#: Time units that work as ``freq`` in lifetimes on pandas >= 2.2 (days, weeks, hours).
FREQS = ("D", "W", "h")

# Imported before lifetimes so that their own import-time warning filters survive the restore.
_DEPENDENCIES = ("numpy", "pandas", "scipy.optimize", "scipy.special", "scipy.stats", "autograd")

Model = TypeVar("Model")


@contextmanager
def preserved_warnings() -> Iterator[None]:
    """Undo, on exit, any change made to :data:`warnings.filters` inside the block.

    Yields
    ------
    None
    """
    with warnings.catch_warnings():
        yield


@functools.cache
def import_lifetimes() -> ModuleType:
    """Import lifetimes and ``lifetimes.utils``, keeping the warning filters and pandas options.

    Returns
    -------
    ModuleType
        The ``lifetimes`` package, with ``lifetimes.utils`` loaded.
    """
    for name in _DEPENDENCIES:
        importlib.import_module(name)
    with preserved_warnings():
        warnings.filterwarnings("ignore", message=".*chained_assignment", category=Warning)
        chained_assignment = pd.get_option("mode.chained_assignment")
        lifetimes = importlib.import_module("lifetimes")
        importlib.import_module("lifetimes.utils")  # sets the option to None
        pd.set_option("mode.chained_assignment", chained_assignment)
    return lifetimes


def fit(model: Model, *args: Any, **kwargs: Any) -> Model:
    """Call ``model.fit(*args, **kwargs)`` and restore the warning filters it changes.

    Parameters
    ----------
    model : lifetimes fitter
        For example ``import_lifetimes().BetaGeoFitter(penalizer_coef=0.0)``.
    *args, **kwargs
        Passed to ``model.fit``.

    Returns
    -------
    lifetimes fitter
        The fitted model (``fit`` returns it), with ``params_`` set.
    """
    with preserved_warnings():
        return model.fit(*args, **kwargs)


def check_freq(freq: str) -> str:
    """Return ``freq`` if lifetimes can use it on this pandas, else raise ValueError.

    Parameters
    ----------
    freq : str
        Time unit of recency, T and holdout duration: one of :data:`FREQS`.

    Returns
    -------
    str
        ``freq`` unchanged.

    Raises
    ------
    ValueError
        For months (``"M"``, ``"ME"``) and any unit pandas >= 2.2 rejects in lifetimes.
    """
    if freq not in FREQS:
        raise ValueError(
            f"freq={freq!r} does not work with lifetimes on pandas >= 2.2; use one of {FREQS}. "
            'For months use freq="D" with freq_multiplier=30.4375.'
        )
    return freq


def calibration_and_holdout(
    transactions: pd.DataFrame,
    customer_id_col: str,
    datetime_col: str,
    *,
    calibration_period_end: Any,
    observation_period_end: Any = None,
    freq: str = "D",
    monetary_value_col: str | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """``lifetimes.utils.calibration_and_holdout_data`` that works without a monetary column.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per transaction.
    customer_id_col, datetime_col : str
        Columns holding the customer and the transaction time.
    calibration_period_end, observation_period_end : date-like
        End of the calibration period and of the whole observation (default: last transaction).
    freq : str
        Time unit, one of :data:`FREQS` (checked by :func:`check_freq`).
    monetary_value_col : str, optional
        Column holding the transaction value; without it no monetary columns are returned.
    **kwargs
        Passed to lifetimes (``freq_multiplier``, ``datetime_format``, ...).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``frequency_cal``, ``recency_cal``, ``T_cal``,
        ``frequency_holdout``, ``duration_holdout`` (+ ``monetary_value_cal``,
        ``monetary_value_holdout`` when ``monetary_value_col`` is given).
    """
    utils = import_lifetimes().utils
    value_col = monetary_value_col or "_journeylib_value"
    if monetary_value_col is None:
        transactions = transactions.assign(**{value_col: 1.0})
    result = utils.calibration_and_holdout_data(
        transactions,
        customer_id_col,
        datetime_col,
        calibration_period_end,
        observation_period_end=observation_period_end,
        freq=check_freq(freq),
        monetary_value_col=value_col,
        **kwargs,
    )
    if monetary_value_col is None:
        result = result.drop(columns=["monetary_value_cal", "monetary_value_holdout"])
    return result


def _read_dataset(name: str, **kwargs: Any) -> pd.DataFrame:
    """Read a file shipped in ``lifetimes/datasets`` with :func:`pandas.read_csv`."""
    import_lifetimes()  # importing the package for files() must not touch the warning filters
    with files("lifetimes").joinpath("datasets", name).open("rb") as handle:
        return pd.read_csv(handle, **kwargs)


def load_cdnow_summary(*, monetary: bool = False) -> pd.DataFrame:
    """Load the CDNOW 1/10th sample summary used by Fader, Hardie and Lee (2005).

    2,357 customers who first bought at CDNOW in the first quarter of 1997, observed for
    39 weeks (calibration period ending 1997-09-30), time in weeks.

    Parameters
    ----------
    monetary : bool
        Add ``monetary_value``, the mean value of each customer's repeat purchases.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``ID`` (1..2357): ``frequency`` (repeat purchases), ``recency`` and ``T``
        (weeks), and ``monetary_value`` (dollars) when asked for.
    """
    if not monetary:
        return _read_dataset("cdnow_customers_summary.csv", index_col="ID")
    frame = _read_dataset("cdnow_customers_summary_with_transactions.csv", index_col="ID")
    names = {"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    return frame.rename(columns=names)


def load_cdnow_transactions(*, sample: bool = True) -> pd.DataFrame:
    """Load the CDNOW purchase records (January 1997 to June 1998).

    Parameters
    ----------
    sample : bool
        The 1/10th sample of 2,357 customers (6,919 rows) behind :func:`load_cdnow_summary`;
        ``False`` loads the full 23,570 customers (69,659 rows).

    Returns
    -------
    pandas.DataFrame
        One row per purchase record: ``customer_id`` (int; the summary's ``ID`` in the sample),
        ``date`` (datetime64), ``quantity`` (CDs, int) and ``revenue`` (dollars, float).
    """
    columns = ["customer_id", "date", "quantity", "revenue"]
    if sample:
        names, source = ["master_id", *columns], "CDNOW_sample.txt"
    else:
        names, source = columns, "CDNOW_master.txt"
    frame = _read_dataset(source, sep=r"\s+", header=None, names=names, skiprows=0 if sample else 1)
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return frame[columns]
