"""How to read a shop's export: its shape, column mapping, event names and time zone.

A report run (``journeylib report --columns mapping.json``) and a notebook's ``columns_json``
parameter both take a mapping in one of two forms:

- flat, canonical name -> source column: ``{"user_id": "visitorid", "event_time":
  "timestamp"}``;
- full: ``{"columns": {...}, "event_names": {...}, "format": "events", "timezone":
  "Europe/Berlin", "currency": "€"}``, every key optional (``currency``: the symbol the
  report pages put before money; none: plain amounts).

``format`` says which reader the source goes through: ``events`` (an event log,
:func:`journeylib.read_events`), ``orders`` (order lines, :func:`journeylib.read_orders`) or
``ga4`` (a GA4 BigQuery export, :func:`journeylib.read_ga4`). :func:`read_source` reads with
the reader the spec names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from ..eventlog import EventLog

__all__ = ["FORMATS", "LogSpec", "load_spec", "parse_spec", "read_source"]

#: The source shapes a report reads: event log, order lines, GA4 BigQuery export.
FORMATS = ("events", "orders", "ga4")
_KEYS = ("columns", "currency", "event_names", "format", "timezone")
#: The longest currency symbol a mapping may give (``"EUR "``, ``"CHF "``, ``"€"``).
_CURRENCY_CHARS = 6
#: ``event_names`` not given: the reader's own default applies.
_UNSET: Any = object()


@dataclass(frozen=True)
class LogSpec:
    """What to read a source with.

    Attributes
    ----------
    columns : dict
        Canonical name -> source column (empty: canonical names and known spellings).
    format : str
        One of :data:`FORMATS`.
    timezone : str or None
        IANA zone of times written without an offset (None: UTC, and counted).
    event_names : dict, str or None
        Passed to the reader as ``event_names=`` when given (a mapping of source names to
        canonical ones, ``"auto"``, or None to turn renaming off); not given: the reader's
        default.
    currency : str or None
        Symbol the report pages put before money (``"€"``, ``"$"``, ``"EUR "``); None: plain
        amounts. Text of at most 6 characters, without markup characters.
    """

    columns: dict[str, str] = field(default_factory=dict)
    format: str = "events"
    timezone: str | None = None
    event_names: Any = _UNSET
    currency: str | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {self.format!r}")
        bad = {k: v for k, v in self.columns.items() if not isinstance(v, str)}
        if bad:
            raise ValueError(f"column mapping values must be column names (text), got {bad}")
        if self.currency is not None and not _symbol_ok(self.currency):
            raise ValueError(
                f"currency must be a symbol of at most {_CURRENCY_CHARS} characters without "
                f'<, >, & or quotes, such as "€", "$" or "EUR ", got {self.currency!r}'
            )

    def reader_options(self) -> dict[str, Any]:
        """The keyword arguments of the reader :func:`read_source` calls (besides source
        and backend)."""
        if self.format == "ga4":
            if self.timezone:
                raise ValueError(
                    "a GA4 export's times are epoch microseconds (UTC instants): "
                    "a time zone does not apply to it"
                )
            return {}
        options: dict[str, Any] = {"columns": self.columns or None}
        if self.timezone:
            options["timezone"] = self.timezone
        if self.format == "events" and self.event_names is not _UNSET:
            options["event_names"] = self.event_names
        return options

    def as_dict(self) -> dict[str, Any]:
        """The full form (JSON-ready), as :func:`parse_spec` reads it back."""
        out: dict[str, Any] = {"columns": dict(self.columns), "format": self.format}
        if self.timezone:
            out["timezone"] = self.timezone
        if self.event_names is not _UNSET:
            out["event_names"] = self.event_names
        if self.currency:
            out["currency"] = self.currency
        return out

    def to_json(self) -> str:
        """JSON text for a notebook's ``columns_json`` parameter: the flat form when the spec
        holds only columns, else :meth:`as_dict`; ``""`` for the default spec."""
        full = self.as_dict()
        if set(full) == {"columns", "format"} and self.format == "events":
            return json.dumps(self.columns) if self.columns else ""
        return json.dumps(full)


def parse_spec(mapping: Mapping[str, Any] | LogSpec | None, *, where: str = "") -> LogSpec:
    """A :class:`LogSpec` from the flat or the full form of a mapping.

    Parameters
    ----------
    mapping : mapping, LogSpec or None
        ``{canonical: source}`` (flat), or ``{"columns": ..., "event_names": ...,
        "format": ..., "timezone": ...}`` (full, recognised by any of these keys; no
        canonical column has one of these names).
    where : str
        Named in errors (the mapping file).

    Returns
    -------
    LogSpec

    Examples
    --------
    >>> parse_spec({"user_id": "visitorid"}).columns
    {'user_id': 'visitorid'}
    >>> parse_spec({"format": "orders", "timezone": "Europe/London"}).format
    'orders'
    """
    if mapping is None:
        return LogSpec()
    if isinstance(mapping, LogSpec):
        return mapping
    prefix = f"{where}: " if where else ""
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{prefix}the mapping must be a JSON object, got {type(mapping).__name__}")
    if not _is_full(mapping):
        return _spec(columns=dict(mapping), prefix=prefix)
    unknown = sorted(set(mapping) - set(_KEYS))
    if unknown:
        raise ValueError(f"{prefix}unknown keys {unknown}; a mapping file may hold {_KEYS}")
    columns = mapping.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise ValueError(f'{prefix}"columns" must be an object of canonical: source names')
    keys = ("format", "timezone", "event_names", "currency")
    options = {k: mapping[k] for k in keys if k in mapping}
    return _spec(columns=dict(columns), prefix=prefix, **options)


def _symbol_ok(symbol: object) -> bool:
    """Whether ``symbol`` is short text a page can show as it is."""
    return (
        isinstance(symbol, str)
        and 0 < len(symbol) <= _CURRENCY_CHARS
        and not any(c in symbol for c in "<>&\"'")
    )


def _is_full(mapping: Mapping[str, Any]) -> bool:
    """Whether ``mapping`` is the full form: no canonical column is called like its keys."""
    return any(key in mapping for key in _KEYS)


def _spec(*, prefix: str, **options: Any) -> LogSpec:
    try:
        return LogSpec(**options)
    except ValueError as err:
        raise ValueError(f"{prefix}{err}") from None


def load_spec(
    source: Mapping[str, Any] | LogSpec | str | os.PathLike[str] | None,
    *,
    format: str | None = None,
    timezone: str | None = None,
) -> LogSpec:
    """The spec of a mapping, a JSON file holding one, or None; ``format`` and ``timezone``
    (the command line's ``--format``, ``--timezone``) win over the file's."""
    if source is None or isinstance(source, Mapping | LogSpec):
        spec = parse_spec(source)
    else:
        path = Path(source)
        try:
            mapping = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not JSON ({err})") from None
        spec = parse_spec(mapping, where=str(path))
    changes = {k: v for k, v in (("format", format), ("timezone", timezone)) if v}
    return replace(spec, **changes) if changes else spec


def read_source(
    source: Any,
    spec: LogSpec | Mapping[str, Any] | None = None,
    *,
    backend: BaseBackend | str = "duckdb",
) -> EventLog:
    """Read ``source`` with the reader ``spec.format`` names.

    Parameters
    ----------
    source : path, DataFrame or ibis table
        As for :func:`journeylib.read_events`.
    spec : LogSpec or mapping, optional
        How to read it (flat or full form, see :func:`parse_spec`); None: an event log with
        canonical names.
    backend : str or ibis backend
        Where to read it.

    Returns
    -------
    EventLog
        Events with canonical names: order lines become purchase and refund events
        (:func:`journeylib.read_orders`), GA4 rows events (:func:`journeylib.read_ga4`).
    """
    from .events import read_events
    from .orders import read_ga4, read_orders

    spec = parse_spec(spec)
    reader = {"events": read_events, "orders": read_orders, "ga4": read_ga4}[spec.format]
    return reader(source, backend=backend, **spec.reader_options())
