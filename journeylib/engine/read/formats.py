"""How the numbers written as text were read: the line the cleaning report gives a numeric
column (``revenue``, ``quantity``, ...) in which some values are not numbers.

A column is read by what most of its values are: numbers. A value that is not one (``"n/a"``,
``"-"``, ``"12 EUR"``) costs that value, not the column: it is set to NULL, counted with its
line and text among the kept rows ("unreadable revenue"), and this line says how many of the
column's values were read as numbers.
"""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from ..cleaning import Finding

_BAD, _SOURCE = "_bad_", "_source_"


def number_formats(flagged: ir.Table) -> list[Finding]:
    """One "number format" line per text column typed as numbers that had a value it could not
    read (none for a column read whole): ``rows`` is how many values were read as numbers.

    ``flagged`` is the table :func:`journeylib.read_events` types: for each such column it
    holds ``_bad_<name>`` (a value present but unreadable) and ``_source_<name>`` (the text).
    """
    names = [c[len(_BAD) :] for c in flagged.columns if c.startswith(_BAD)]
    names = [n for n in names if f"{_SOURCE}{n}" in flagged.columns]
    if not names:
        return []
    sums = {}
    for i, name in enumerate(names):
        text = flagged[f"{_SOURCE}{name}"].strip()
        sums[f"n{i}"] = (text.notnull() & (text != "")).sum()
        sums[f"b{i}"] = flagged[f"{_BAD}{name}"].fill_null(False).sum()
    got = flagged.aggregate(**sums).to_pandas().iloc[0]
    findings = []
    for i, name in enumerate(names):
        present, bad = _int(got[f"n{i}"]), _int(got[f"b{i}"])
        if bad == 0:
            continue
        how = (
            f"numbers: {present - bad:,} of {present:,} values; {bad:,} not a number "
            "(set to null, counted as unreadable)"
        )
        findings.append(Finding("number format", name, present - bad, "noted", how))
    return findings


def _int(value: object) -> int:
    return 0 if pd.isna(value) else int(value)
