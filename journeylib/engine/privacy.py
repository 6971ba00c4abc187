"""Pseudonymous ids and no e-mail addresses in what journeylib shows or exports.

The one place where journeylib decides what of a person may reach a report: tables
(:func:`journeylib.show.tables.styled`), findings
(:func:`journeylib.overview.findings.as_markdown`) and
exports (``on_the_path.csv``) pass ids and text through here.

- Ids are shown as they are when none of them looks like an e-mail address (shops usually
  export pseudonymous ids, e.g. GA4's ``user_pseudo_id``); if any does, all ids of the column
  are replaced by a salted hash, ``h`` + 16 hex digits, so that one id keeps one pseudonym.
- E-mail addresses inside free text (a campaign called ``"promo-jane@shop.com"``) are
  replaced by the same kind of pseudonym.

The salt is read from the environment variable ``JOURNEYLIB_ID_SALT``. The report runner sets
it from ``<reports>/.id_salt`` (a random value written on the first run), so pseudonyms stay
the same from week to week and cannot be recomputed from a known address without the file.
Without it a fixed default salt is used (interactive work only).
"""

from __future__ import annotations

import hashlib
import os
import re

import pandas as pd

__all__ = [
    "EMAIL",
    "SALT_ENV",
    "looks_like_email",
    "pseudonym",
    "pseudonymous",
    "redact",
    "redact_frame",
]

SALT_ENV = "JOURNEYLIB_ID_SALT"
_DEFAULT_SALT = "journeylib-default-salt"
#: An e-mail address anywhere in a text (deliberately loose: better one false alarm).
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _salt() -> bytes:
    return (os.environ.get(SALT_ENV) or _DEFAULT_SALT).encode()


def pseudonym(value: object) -> str:
    """The salted pseudonym of one value: ``"h"`` + 16 hex digits of BLAKE2b(salt, value)."""
    digest = hashlib.blake2b(str(value).encode(), digest_size=8, key=_salt()[:64])
    return f"h{digest.hexdigest()}"


def looks_like_email(ids: pd.Series) -> bool:
    """Whether any value of ``ids`` contains an e-mail address."""
    return bool(ids.astype("string").str.contains(EMAIL, na=False).any())


def pseudonymous(ids: pd.Series) -> pd.Series:
    """``ids`` as they are, unless any looks like an e-mail address: then all are hashed.

    Parameters
    ----------
    ids : Series
        User ids (any dtype; missing values stay missing).

    Returns
    -------
    Series
        Same index; the original values, or :func:`pseudonym` of each (as text).
    """
    if not looks_like_email(ids):
        return ids
    unique = pd.unique(ids.dropna())
    mapping = dict(zip(unique, map(pseudonym, unique), strict=True))
    return ids.map(mapping).astype(object).where(ids.notna(), None)


def redact(text: str) -> str:
    """``text`` with every e-mail address in it replaced by its :func:`pseudonym`."""
    return EMAIL.sub(lambda m: pseudonym(m.group(0)), text)


def redact_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with id columns pseudonymised and e-mail addresses in text cells redacted.

    Id columns are ``user_id`` and any column whose name ends in ``_id`` or is ``customer``
    or ``user``; other text columns keep their values with addresses replaced. Returns a
    copy only when something changed.
    """
    out = frame
    for col in frame.columns:
        values = frame[col]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        if not looks_like_email(values):
            continue
        if out is frame:
            out = frame.copy()
        name = str(col).lower()
        if name in {"user", "customer"} or name.endswith("_id"):
            out[col] = pseudonymous(values)
        else:
            out[col] = _redact_series(values)
    index = out.index
    if isinstance(index, pd.MultiIndex) or not looks_like_email(index.to_series()):
        return out
    return out.set_axis(pd.Index(_redact_series(index.to_series()), name=index.name))


def _redact_series(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.replace(EMAIL, lambda m: pseudonym(m.group(0)), regex=True)
    return text.astype(object).where(values.notna(), values)
