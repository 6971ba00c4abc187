"""The one place where journeylib chooses an engine.

Analyses are ibis expressions; they run on whatever backend their table lives on. By default
that is an in-process DuckDB connection (nothing to start, spills larger-than-memory work to
disk). A later backend (Spark, a warehouse) plugs in here and nowhere else.
"""

from __future__ import annotations

import warnings
from typing import Any

import ibis
from ibis.backends import BaseBackend

# Deprecation notices raised inside ibis about its own calls into DuckDB and pandas: nothing
# journeylib (or an analyst) can act on, so they are silenced here, once, for notebooks,
# reports and scripts alike. Anything else (journeylib's own warnings, other deprecations)
# still shows.
THIRD_PARTY_NOISE = (
    (r"fetch_arrow_table\(\) is deprecated", r"ibis\."),  # duckdb >= 1.4 via ibis 12
    (r"The 'future\.infer_string' option is deprecated", r"ibis\."),  # pandas 3 via ibis 12
)
for _message, _module in THIRD_PARTY_NOISE:
    warnings.filterwarnings("ignore", message=_message, module=_module)

_default: BaseBackend | None = None


def connect(backend: str = "duckdb", **options: Any) -> BaseBackend:
    """Open an ibis backend for journeylib to run on.

    Parameters
    ----------
    backend
        ``"duckdb"`` (the default, in-process).
    **options
        For DuckDB: ``database`` (path, default in memory), ``threads``, ``memory_limit``
        (e.g. ``"6GB"``), ``temp_directory`` (where to spill).

    Returns
    -------
    ibis BaseBackend, with the session time zone set to UTC.
    """
    if backend == "duckdb":
        database = options.pop("database", ":memory:")
        con = ibis.duckdb.connect(database, **options)
        con.raw_sql("SET TimeZone = 'UTC'")
        return con
    raise ValueError(f"unknown backend {backend!r}; journeylib supports 'duckdb'")


def default_backend() -> BaseBackend:
    """The shared in-process DuckDB connection, opened on first use."""
    global _default
    if _default is None:
        _default = connect("duckdb")
    return _default


def resolve_backend(backend: BaseBackend | str | None) -> BaseBackend:
    """Turn ``None`` (default), a name or a backend object into a backend object."""
    if backend is None:
        return default_backend()
    if isinstance(backend, str):
        return default_backend() if backend == "duckdb" else connect(backend)
    return backend
