"""The ``journeylib`` command: ``journeylib report`` renders the weekly notebooks to HTML.

Examples
--------
::

    journeylib report                          # last complete week in data/shop/events.parquet
    journeylib report --week 2024-W23
    journeylib report --weeks 2024-W20..2024-W23 --data exports/events.csv --columns map.json
    journeylib report --backend spark --data s3a://shop/events/   # the analyses run on Spark
    journeylib report --data online_retail.csv --format orders --timezone Europe/London
    python -m journeylib report --week 2024-W23 --out reports/ --notebooks notebooks/
    journeylib notebooks my-notebooks/         # copy the notebooks out, for JupyterLab
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata

from .engine.backend import BACKENDS
from .engine.read.spec import FORMATS, load_spec
from .report import runner as report

__all__ = ["build_parser", "main"]


def _version() -> str:
    """The installed journeylib version, or "unknown" when run from a source tree."""
    try:
        return metadata.version("journeylib")
    except metadata.PackageNotFoundError:
        return "unknown"


def _add_report(commands: argparse._SubParsersAction) -> None:
    """Declare ``journeylib report`` and its options."""
    parser = commands.add_parser(
        "report",
        help="run every notebook for an ISO week and write reports/<week>/*.html",
        description="Run notebooks/[0-9][0-9]_*.ipynb for one ISO week (or several) with "
        "papermill and export each to HTML without code; update reports/index.html.",
    )
    weeks = parser.add_mutually_exclusive_group()
    weeks.add_argument("--week", help="ISO week, e.g. 2024-W23 (default: last complete week)")
    weeks.add_argument("--weeks", metavar="FIRST..LAST", help="backfill, e.g. 2024-W20..2024-W23")
    parser.add_argument(
        "--data", default=str(report.DEFAULT_DATA), help="event log (default: %(default)s)"
    )
    parser.add_argument(
        "--columns",
        metavar="MAPPING.json",
        help='column mapping as a JSON file: {"user_id": "visitorid", ...}, or {"columns": '
        '{...}, "event_names": {...}, "format": "...", "timezone": "..."}',
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="the source's shape: an event log, order lines or a GA4 BigQuery export "
        "(default: the mapping file's, else events)",
    )
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA zone of times written without an offset, e.g. Europe/Berlin (default: UTC)",
    )
    parser.add_argument("--out", default="reports", help="reports folder (default: %(default)s)")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="duckdb",
        help="engine that reads the log and runs the analyses (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="notebooks run at the same time (default: 2 on 2 or more cores, else 1)",
    )
    parser.add_argument(
        "--notebooks",
        metavar="FOLDER",
        help="run these notebooks instead of the ones installed with journeylib",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=report.CELL_TIMEOUT,
        help="seconds allowed per cell, 0 for no limit (default: %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def _add_notebooks(commands: argparse._SubParsersAction) -> None:
    """Declare ``journeylib notebooks DEST``."""
    parser = commands.add_parser(
        "notebooks",
        help="copy the report notebooks into a folder, to open them in JupyterLab",
        description="Copy the notebooks installed with journeylib into DEST.",
    )
    parser.add_argument("dest", metavar="DEST", help="folder (created if missing)")
    parser.add_argument("--overwrite", action="store_true", help="replace notebooks already there")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``journeylib`` command."""
    parser = argparse.ArgumentParser(prog="journeylib", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_report(commands)
    _add_notebooks(commands)
    return parser


def _notebooks(args: argparse.Namespace) -> int:
    """Run ``journeylib notebooks DEST``."""
    for path in report.copy_notebooks(args.dest, overwrite=args.overwrite):
        print(path)
    return 0


def _report(args: argparse.Namespace) -> int:
    """Run ``journeylib report``; 0 when every notebook ran, 1 when one failed."""
    weeks = report.week_range(args.weeks) if args.weeks else [args.week]
    results = report.run_reports(  # a backfill reads the log once for all its weeks
        weeks,
        data=args.data,
        columns=load_spec(args.columns, format=args.format, timezone=args.timezone),
        out=args.out,
        notebooks=args.notebooks,
        backend=args.backend,
        jobs=args.jobs,
        progress=not args.no_progress,
        timeout=args.timeout,
        on_week=lambda result: print(result.message(), flush=True),
    )
    failed = any(not result.ok for result in results)
    print(f"index: {results[-1].index}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``journeylib`` console script.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 success, 1 a notebook failed, 2 bad arguments or input, 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _notebooks(args) if args.command == "notebooks" else _report(args)
    except (
        FileNotFoundError,
        FileExistsError,
        ValueError,
    ) as exc:  # ValueError covers journeylib.DataError
        parser.exit(2, f"journeylib: error: {exc}\n")
    except KeyboardInterrupt:
        parser.exit(130, "journeylib: interrupted; the reports written before are untouched\n")


if __name__ == "__main__":
    sys.exit(main())
