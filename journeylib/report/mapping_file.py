"""The column mapping a report run reads a shop's export with, given inline or as a JSON file."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["load_columns"]


def load_columns(columns: Mapping[str, str] | str | os.PathLike[str] | None) -> dict | None:
    """Return the column mapping given as a mapping, a path to a JSON file, or None.

    The file may hold the flat form or the full one (:mod:`journeylib.engine.read.spec`); either way
    the canonical -> source column mapping is returned.
    """
    from ..engine.read.spec import load_spec

    spec = load_spec(columns)
    return dict(spec.columns) if columns is not None else None
