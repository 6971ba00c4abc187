"""Files written for people to open: every CSV export goes through :func:`write_csv`.

A CSV beside a report is opened in a spreadsheet by a marketer. :func:`write_csv` writes it so
that nothing in it runs there and no person is named in it:

- text cells (and column names) starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
  return get a leading ``'`` (:func:`journeylib.show.inert.spreadsheet_cell`, OWASP's rule against
  formula injection); numbers are left as numbers;
- ids that look like e-mail addresses become pseudonyms and addresses inside text are
  replaced (:func:`journeylib.engine.privacy.redact_frame`);
- the file is written to a temporary name and renamed into place, so a reader never sees
  half a file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pandas as pd

from ..engine.privacy import redact_frame
from .inert import FORMULA_START, spreadsheet_cell

__all__ = ["spreadsheet_safe", "write_csv"]


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name a spreadsheet could run made inert.

    Parameters
    ----------
    frame : DataFrame
        Any frame; it is not modified.

    Returns
    -------
    DataFrame
        A copy where text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
        starts with ``'`` instead; other values unchanged.
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[col] = values.astype(object).where(~risky, "'" + text.astype(object))
    return out.rename(columns=spreadsheet_cell)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write ``frame`` to ``path`` as a CSV that is safe to open in a spreadsheet.

    Parameters
    ----------
    frame : DataFrame
        The table to export (not modified).
    path : path
        The CSV file to write; its folder must exist.
    index : bool
        Whether to write the index as the first column(s).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    safe = spreadsheet_safe(redact_frame(frame.reset_index() if index else frame))
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")  # the umask applies
    try:
        with tmp.open("x", encoding="utf-8", newline="") as stream:
            safe.to_csv(stream, index=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
