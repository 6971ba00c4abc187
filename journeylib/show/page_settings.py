"""Page-wide display settings: the currency symbol and where a table too wide for the page
is written in full as CSV (:func:`configure`, read by :mod:`journeylib.show.display` and
:mod:`journeylib.show.tables`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Settings:
    """Page-wide display settings.

    Attributes
    ----------
    currency : str or None
        Symbol put before money (``"€"``, ``"$"``, ``"EUR "``); None shows plain amounts.
    csv_dir : Path or None
        Folder where a table too wide for the page is written in full as CSV; None: nowhere.
    page : str
        Prefix of those CSV files (the page's name).
    """

    currency: str | None = None
    csv_dir: Path | None = None
    page: str = "table"


_SETTINGS = Settings()


def settings() -> Settings:
    """The current page-wide :class:`Settings`."""
    return _SETTINGS


#: ``configure``'s currency when not given: the symbol in force stays.
_KEEP: Any = object()


def configure(
    *, currency: str | None = _KEEP, csv_dir: str | Path | None = None, page: str | None = None
) -> Settings:
    """Set the page-wide currency symbol and the folder for full tables as CSV.

    Parameters
    ----------
    currency : str, optional
        Symbol for money (empty or None: none; not given: the one in force stays, so that a
        page setting its CSV folder keeps the symbol its log's mapping gave).
    csv_dir : path, optional
        Folder for the full CSV of tables too wide for the page (empty or None: none).
    page : str, optional
        Prefix of those CSV files, e.g. ``"02_funnel_dropoff"``.

    Returns
    -------
    Settings
        The settings now in force.
    """
    if currency is not _KEEP:
        _SETTINGS.currency = currency or None
    _SETTINGS.csv_dir = Path(csv_dir) if csv_dir else None
    if page:
        _SETTINGS.page = page
    return _SETTINGS


def money_unit() -> str:
    """The unit of money for an axis or a heading: the page's currency symbol (``€``,
    ``EUR``), or ``currency`` when none is set."""
    return (_SETTINGS.currency or "").strip() or "currency"
