"""Page-wide display settings: the currency symbol and where a table too wide for the page
is written in full as CSV (:func:`configure`, read by :mod:`journeylib.show.display` and
:mod:`journeylib.show.tables`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def configure(
    *, currency: str | None = None, csv_dir: str | Path | None = None, page: str | None = None
) -> Settings:
    """Set the page-wide currency symbol and the folder for full tables as CSV.

    Parameters
    ----------
    currency : str, optional
        Symbol for money (empty or None: none).
    csv_dir : path, optional
        Folder for the full CSV of tables too wide for the page (empty or None: none).
    page : str, optional
        Prefix of those CSV files, e.g. ``"02_funnel_dropoff"``.

    Returns
    -------
    Settings
        The settings now in force.
    """
    _SETTINGS.currency = currency or None
    _SETTINGS.csv_dir = Path(csv_dir) if csv_dir else None
    if page:
        _SETTINGS.page = page
    return _SETTINGS
