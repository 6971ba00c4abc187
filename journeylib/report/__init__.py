"""The weekly run: every notebook for an ISO week to HTML, the index and its KPIs.

The names of ``journeylib.report`` before it became a folder are handed on from the modules
that hold them (:mod:`journeylib.report.runner` runs the weeks)."""

from .index_kpis import compute_kpis
from .kernel_life import KERNEL, start_kernel
from .mapping_file import load_columns
from .notebook_files import (
    NOTEBOOK_GLOB,
    PACKAGED_NOTEBOOKS,
    copy_notebooks,
    find_notebooks,
    notebooks_folder,
)
from .papermill_run import CELL_TIMEOUT, run_notebook
from .results import CellError, NotebookResult, ReportResult
from .runner import (
    DEFAULT_DATA,
    PARAMETERS,
    PREPARED,
    WARM_KERNELS,
    default_jobs,
    run_report,
    run_reports,
)
from .weeks import default_week, validate_week, week_range

__all__ = [
    "CELL_TIMEOUT",
    "CellError",
    "DEFAULT_DATA",
    "KERNEL",
    "NOTEBOOK_GLOB",
    "NotebookResult",
    "PACKAGED_NOTEBOOKS",
    "PARAMETERS",
    "PREPARED",
    "ReportResult",
    "WARM_KERNELS",
    "compute_kpis",
    "copy_notebooks",
    "default_jobs",
    "default_week",
    "find_notebooks",
    "load_columns",
    "notebooks_folder",
    "run_notebook",
    "run_report",
    "run_reports",
    "start_kernel",
    "validate_week",
    "week_range",
]
