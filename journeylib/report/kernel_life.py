"""The kernels of a report run: started quiet in the notebook's folder, importing journeylib,
and shut down when their notebook has run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["KERNEL", "KERNEL_ARGS", "kernel_env", "shutdown_kernel", "start_kernel"]

KERNEL = "python3"

# JOURNEYLIB_REPORT=1: journeylib.show.widgets.explore returns None, so no widget is built (the
# page shows the static view) and no time is spent drawing it.
_QUIET_ENV = {
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "JUPYTER_PLATFORM_DIRS": "1",
    "JOURNEYLIB_REPORT": "1",
}
KERNEL_ARGS = [
    "--IPKernelApp.log_level=CRITICAL",  # no "running over TCP" start-up warning
    # every chart's PNG carries alt text from its titles and axis labels
    # (journeylib.show.figure_alt);
    # journeylib itself is imported at start-up too, which a kernel started early does while
    # the runner reads the log
    "--IPKernelApp.exec_lines=import journeylib.show.figure_alt as _jl; _jl.install(); del _jl;"
    " import journeylib",
]


def kernel_env() -> dict[str, str]:
    """Environment for kernels: quiet, and importing the journeylib that runs them."""
    source = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    return {**_QUIET_ENV, "PYTHONPATH": path}


def start_kernel(notebook: str | os.PathLike[str]) -> Any:
    """Start the kernel ``notebook`` will run on (in its folder, quiet, importing journeylib),
    without waiting for it: pass it to :func:`run_notebook` as ``kernel``."""
    from .kernels import WarmKernelManager

    km = WarmKernelManager(kernel_name=KERNEL)
    km.start_kernel(
        extra_arguments=list(KERNEL_ARGS),
        cwd=str(Path(notebook).resolve().parent),
        env={**os.environ, **kernel_env()},
    )
    return km


def shutdown_kernel(kernel: Any) -> None:
    """Shut down a kernel :func:`start_kernel` started (nothing for None)."""
    if kernel is None:
        return
    kernel.close_clients()  # their sockets would otherwise reconnect to its ports for ever
    try:
        if kernel.is_alive():
            kernel.shutdown_kernel()
    except Exception:  # a kernel that died on its own: nothing left to stop
        pass
    finally:
        kernel.cleanup_resources()
