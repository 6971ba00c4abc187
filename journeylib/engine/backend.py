"""The one place where journeylib chooses an engine.

Analyses are ibis expressions; they run on whatever backend their table lives on. By default
that is an in-process DuckDB connection (nothing to start, spills larger-than-memory work to
disk). ``connect("spark", ...)`` runs the same expressions on Apache Spark (a local session, an
existing ``SparkSession`` or a Spark Connect server); pyspark is imported only then.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import ibis
import ibis.common.exceptions as ibis_errors
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
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

_defaults: dict[str, BaseBackend] = {}


def _tune_duckdb_compiler() -> None:
    """Two exact rewrites of what ibis 12 compiles for DuckDB, where its SQL is slow.

    - ``t1.delta(t0, unit="microsecond")``: ibis writes ``DATE_DIFF('microsecond', t0, t1)``,
      which DuckDB computes through the ICU calendar, row by row, on a ``TIMESTAMP WITH TIME
      ZONE`` (journeylib's ``event_time``): about five times slower than
      ``epoch_us(t1) - epoch_us(t0)``, the same number (a difference of instants, no calendar
      involved). Sessionizing and transitions spent a third of their time there.
    - ``strip()``: ``TRIM(x, ' \\t\\n\\r\\v\\f')`` (a trim with a character list) costs
      about 150 ns a value; reading a 15-column log spent most of its time trimming ids and
      names that had nothing to trim. A value whose first and last characters are above the
      space has nothing to trim and is passed as it is; any other value (empty, NULL, or
      starting or ending with a space or control character) is trimmed exactly as before. The
      test compares the one-character strings ``x[1]`` and ``x[-1]`` with ``' '`` (bytewise:
      a character is above the space exactly when its first UTF-8 byte is), several times
      cheaper than ``ORD``/``RIGHT``, which decode code points.
    - ``hash()``: ibis turns DuckDB's unsigned 64-bit hash into a signed one through a
      64-character bit string, a fifth of the time of ``read_events``' duplicate check;
      dropping the lowest bit instead (``CAST(HASH(x) >> 1 AS BIGINT)``) keeps a 63-bit hash.
      The hash of a struct built on the spot (``ibis.struct({...}).hash()``, a row's hash)
      hashes its fields directly (``HASH(a, b, ...)``), without building the struct values.
      Hash values are backend-specific in ibis anyway; journeylib only compares them.

    Other units, functions and backends compile as ibis writes them. Applied once, on import.
    """
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

    if getattr(DuckDBCompiler, "_journeylib_tuned", False):
        return
    delta, strip = DuckDBCompiler.visit_TimestampDelta, DuckDBCompiler.visit_Strip
    import sqlglot as sg
    import sqlglot.expressions as sge

    def visit_timestamp_delta(self: Any, op: Any, *, part: Any, left: Any, right: Any) -> Any:
        if str(getattr(op.part, "value", op.part)).lower() == "microsecond":
            return self.f.epoch_us(left) - self.f.epoch_us(right)
        return delta(self, op, part=part, left=left, right=right)

    def visit_strip(self: Any, op: Any, *, arg: Any) -> Any:
        space = sge.convert(" ")
        first, last = self.f.array_extract(arg, 1), self.f.array_extract(arg, -1)
        clean = sge.and_(sge.GT(this=first, expression=space), sge.GT(this=last, expression=space))
        return self.if_(clean, arg, strip(self, op, arg=arg))

    def visit_hash(self: Any, op: Any, *, arg: Any) -> Any:
        fields = arg.expressions if isinstance(arg, sge.Struct) else [arg]
        values = [f.expression if isinstance(f, sge.PropertyEQ) else f for f in fields]
        hashed = self.f.hash(*values) if values else self.f.hash(arg)
        shifted = sge.BitwiseRightShift(this=hashed, expression=sge.convert(1))
        return sg.cast(sge.paren(shifted, copy=False), to=sge.DataType.Type.BIGINT, copy=False)

    DuckDBCompiler.visit_Hash = visit_hash
    DuckDBCompiler.visit_TimestampDelta = visit_timestamp_delta
    DuckDBCompiler.visit_Strip = visit_strip
    DuckDBCompiler._journeylib_tuned = True


_tune_duckdb_compiler()
F = TypeVar("F", bound=Callable[..., Any])

BACKENDS = ("duckdb", "spark")


class UnsupportedOnBackend(NotImplementedError):
    """An analysis that cannot run on the backend its event log lives on."""

    def __init__(self, function: str, backend: str, why: str = "") -> None:
        text = f"{function}() cannot run on the {backend} backend"
        super().__init__(f"{text}: {why}" if why else text)
        self.function, self.backend = function, backend


def engine_guard(func: F) -> F:
    """Turn ibis' "cannot compile this here" into :class:`UnsupportedOnBackend` naming ``func``.

    For analyses taking an event log first: on a backend that lacks an operation they need
    (ordered string aggregation on Spark, say), the call fails at once with the function's and
    the backend's names; nothing is pulled into pandas to work around it.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ibis_errors.UnsupportedOperationError as exc:
            con = getattr(args[0], "backend", None) if args else None
            name = backend_name(con) if isinstance(con, BaseBackend) else "this"
            raise UnsupportedOnBackend(func.__name__, name, str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def connect(backend: str = "duckdb", **options: Any) -> BaseBackend:
    """Open an ibis backend for journeylib to run on.

    Parameters
    ----------
    backend
        ``"duckdb"`` (the default, in-process) or ``"spark"``.
    **options
        For DuckDB: ``database`` (path, default in memory), ``threads``, ``memory_limit``
        (e.g. ``"6GB"``), ``temp_directory`` (where to spill), any other DuckDB setting.
        ``preserve_insertion_order`` is off unless set: no journeylib result depends on the
        order rows come out of a query (every order is an explicit ``ORDER BY`` on
        ``event_time`` and ``row_id``), and off, DuckDB writes cached tables 1.4 to 2 times
        faster and with less memory.
        For Spark: ``session`` (an existing ``SparkSession``), or ``remote``
        (``"sc://host:15002"``, a Spark Connect server); with neither, a local session
        (``master``, default ``"local[*]"``); any other option is set as a Spark SQL
        configuration value (``{"spark.sql.shuffle.partitions": "8"}`` style keys).

    Returns
    -------
    ibis BaseBackend, with the session time zone set to UTC.
    """
    if backend == "duckdb":
        database = options.pop("database", ":memory:")
        options.setdefault("preserve_insertion_order", False)
        con = ibis.duckdb.connect(database, **options)
        con.raw_sql("SET TimeZone = 'UTC'")
        return con
    if backend == "spark":
        return _connect_spark(**options)
    raise ValueError(f"unknown backend {backend!r}; journeylib supports {', '.join(BACKENDS)}")


def _connect_spark(
    *, session: Any = None, remote: str | None = None, master: str = "local[*]", **conf: Any
) -> BaseBackend:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the Spark backend needs pyspark: pip install 'journeylib[spark]'"
        ) from exc
    if session is None:
        builder = SparkSession.builder
        builder = builder.remote(remote) if remote else builder.master(master)
        if not remote:
            builder = builder.appName("journeylib").config("spark.ui.enabled", "false")
        session = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    _fix_spark_strip()
    return ibis.pyspark.connect(session, **{k: str(v) for k, v in conf.items()})


def _fix_spark_strip() -> None:
    """Make ``StringValue.strip()`` trim whitespace, not the letters v and f, on Spark.

    ibis 12 compiles ``strip()`` to ``TRIM(' \\t\\n\\r\\v\\f' FROM x)``; Spark SQL knows no
    ``\\v`` or ``\\f`` escape and reads them as the letters, so ``"view_item"`` became
    ``"iew_item"``. Spark's version trims space, tab, newline and carriage return (vertical tab
    and form feed, which DuckDB also trims, are kept).
    """
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    def visit_strip(self: Any, op: Any, *, arg: Any) -> Any:
        return self.f.trim(arg, " \t\n\r")

    PySparkCompiler.visit_Strip = visit_strip


def use_bigquery_rules() -> None:
    """Teach ibis' BigQuery compiler the medians and quantiles the analyses use.

    BigQuery has no exact median or quantile aggregate (``PERCENTILE_CONT`` is a window
    function only), and ibis 12 refuses ``median()`` / ``quantile()`` there. On BigQuery
    journeylib uses ``APPROX_QUANTILES`` instead (what ``approx_median`` compiles to): the
    medians in funnel and transition tables are then approximate (BigQuery documents the
    error bound), every count and share is exact. Call before ``ibis.to_sql(...,
    dialect="bigquery")`` or before running analyses on an ibis BigQuery connection.
    """
    from ibis.backends.sql.compilers.bigquery import BigQueryCompiler

    BigQueryCompiler.visit_Median = BigQueryCompiler.visit_ApproxMedian
    BigQueryCompiler.visit_Quantile = BigQueryCompiler.visit_ApproxQuantile
    if hasattr(BigQueryCompiler, "visit_ApproxMultiQuantile"):
        BigQueryCompiler.visit_MultiQuantile = BigQueryCompiler.visit_ApproxMultiQuantile


@ibis.udf.scalar.builtin(name="make_timestamptz")
def _make_timestamptz(micros: dt.int64) -> dt.Timestamp(timezone="UTC"):  # type: ignore[valid-type]
    """DuckDB's ``make_timestamptz(micros)``: the instant ``micros`` microseconds after the
    epoch."""


def epoch_us_to_time(micros: ir.IntegerValue) -> ir.TimestampValue | None:
    """On DuckDB, the UTC instant ``micros`` (int64) microseconds after the epoch, in one call
    that does no calendar arithmetic: ten times faster than a timestamp plus an interval
    (which DuckDB adds through the ICU calendar, row by row). ``None`` elsewhere (and for an
    unbound expression): the caller builds the portable form."""
    return _make_timestamptz(micros) if backend_of(micros) == "duckdb" else None


def backend_name(con: BaseBackend) -> str:
    """``"duckdb"``, ``"spark"`` (for ibis' ``pyspark``) or the ibis name of another backend."""
    name = getattr(con, "name", type(con).__module__.split(".")[-1])
    return "spark" if name == "pyspark" else name


def backend_of(expr: Any) -> str | None:
    """:func:`backend_name` of the backend an ibis expression's tables live on; ``None`` for an
    unbound expression (one only compiled, for BigQuery say)."""
    try:
        return backend_name(expr._find_backend())
    except Exception:
        return None


def is_spark(con: BaseBackend) -> bool:
    """Whether ``con`` is a Spark backend."""
    return backend_name(con) == "spark"


def spark_session(con: BaseBackend) -> Any:
    """The ``SparkSession`` behind an ibis Spark backend."""
    return con._session


def default_backend(name: str = "duckdb") -> BaseBackend:
    """The shared connection of a kind (in-process DuckDB by default), opened on first use.

    Every ``read_events(..., backend="spark")`` shares one Spark backend, so that tables read
    separately (events and orders) can be joined.
    """
    if name not in _defaults:
        _defaults[name] = connect(name)
    return _defaults[name]


def resolve_backend(backend: BaseBackend | str | None) -> BaseBackend:
    """Turn ``None`` (default), a name or a backend object into a backend object."""
    if backend is None:
        return default_backend()
    if isinstance(backend, str):
        return default_backend(backend)
    return backend
