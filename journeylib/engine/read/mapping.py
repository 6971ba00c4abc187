"""Column mapping: which source column plays which canonical role."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import ibis.expr.types as ir

from ..cleaning import DataError, Finding, missing_columns_error
from ..schema import ALIASES, CANONICAL, ROW_ID


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def resolve_mapping(
    present: Sequence[str],
    columns: Mapping[str, str] | None,
    *,
    source: str,
    required: Iterable[str],
    canonical: Iterable[str] = CANONICAL,
) -> tuple[dict[str, str], list[Finding]]:
    """Decide the source column for each canonical column.

    Parameters
    ----------
    present
        The source's column names.
    columns
        The user's mapping, canonical name -> source name (takes precedence).
    source
        Name of the source, for error messages.
    required
        Canonical names that must be found.
    canonical
        The canonical names to look for.

    Returns
    -------
    (mapping, findings): mapping canonical -> source name for every canonical column found;
    a finding for every mapping guessed from :data:`journeylib.engine.schema.ALIASES`.
    """
    canonical = list(canonical)
    given = dict(columns or {})
    unknown = sorted(set(given) - set(canonical))
    if unknown:
        raise DataError(
            f"{source}: columns= has unknown canonical name(s) {unknown}; "
            f"the canonical names are {canonical}"
        )
    absent = {k: v for k, v in given.items() if v not in present}
    if absent:
        raise DataError(
            f"{source}: columns= maps {absent} but the source has no such column; "
            f"it has {list(present)}"
        )
    mapping = dict(given)
    findings: list[Finding] = []
    used = set(mapping.values())
    for name in canonical:
        if name in mapping:
            continue
        if name in present and name not in used:
            mapping[name] = name
            used.add(name)
            continue
        guess = _guess(name, present, used)
        if guess is not None:
            mapping[name] = guess
            used.add(guess)
            findings.append(Finding("column mapping inferred", name, 0, "noted", f"from '{guess}'"))
    missing = [r for r in required if r not in mapping]
    if missing:
        raise missing_columns_error(source, missing, present)
    return mapping, findings


def _guess(name: str, present: Sequence[str], used: set[str]) -> str | None:
    spellings = {_norm(name), *ALIASES.get(name, ())}
    hits = [p for p in present if _norm(p) in spellings and p not in used]
    return hits[0] if len(hits) == 1 else None


def rename_to_canonical(table: ir.Table, mapping: Mapping[str, str]) -> ir.Table:
    """Rename source columns to canonical names; a clashing unmapped column gets ``_source``."""
    sources = set(mapping.values())
    clashes = {
        f"{name}_source": name
        for name in mapping
        if name in table.columns and name not in sources and name != ROW_ID
    }
    table = table.rename(clashes) if clashes else table
    # one source column may play two roles (an export's time as order_id too): the first
    # role renames it, the others copy it
    first = {src: src for canon, src in mapping.items() if canon == src}  # a name kept
    for canon, src in mapping.items():
        first.setdefault(src, canon)
    copies = {canon: table[src] for canon, src in mapping.items() if first[src] != canon}
    table = table.mutate(**copies) if copies else table
    renames = {canon: src for canon, src in mapping.items() if canon != src and first[src] == canon}
    return table.rename(renames) if renames else table
