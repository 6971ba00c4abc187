"""Working folders of a report run: staging, the swap into place, cleaning up after kills.

Private to :mod:`journeylib.report`. A run writes into ``out/.<week>.<random>.tmp`` and holds
an exclusive ``flock`` on that folder while it works; the folder replaces ``out/<week>`` only
at the end. A run that is killed leaves its folder behind, unlocked: the next run removes it
(:func:`remove_stale`). Published weeks (``out/<week>``, no leading dot) are never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .html import readable

try:  # POSIX; elsewhere a working folder counts as abandoned after a day
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["remove_stale", "shared_secret", "staging_folder", "swap_into_place"]

_WEEK = re.compile(r"^\d{4}-W\d{2}$")
#: A working folder without a lock (an older journeylib, no flock) is abandoned after this.
STALE_SECONDS = 24 * 3600


@contextmanager
def staging_folder(out: Path, week: str | None) -> Iterator[Path]:
    """A new ``out/.<week>.*.tmp`` folder, locked while the block runs, removed after it.

    ``week`` None (not known yet) names it ``out/.report.*.tmp``.

    Whatever the block moved elsewhere (the week swapped into place) is not removed.
    """
    path = readable(
        Path(tempfile.mkdtemp(prefix=f".{week or 'report'}.", suffix=".tmp", dir=out)), 0o777
    )
    handle = os.open(path, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield path
    finally:
        os.close(handle)  # releases the lock
        shutil.rmtree(path, ignore_errors=True)


def _locked_by_a_live_run(path: Path) -> bool:
    """Whether a running report holds ``path``'s lock (or, without locks, it is recent)."""
    if fcntl is None:
        return time.time() - path.stat().st_mtime < STALE_SECONDS
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return True  # vanished or unreadable: leave it alone
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_in_progress(backup: Path, pid: str) -> bool:
    """Whether the run that moved ``backup`` aside is still swapping it.

    The swapping run holds a ``flock`` on the folder from before the move until it is
    removed (:func:`swap_into_place`); the kernel drops it when the run dies, so a process
    id reused by another process (PID 1 in a container) cannot keep a week hidden. Without
    locks (not POSIX): a live process id and a backup younger than a day.
    """
    if fcntl is not None:
        return _locked_by_a_live_run(backup)
    return _pid_alive(int(pid)) and time.time() - backup.stat().st_mtime < STALE_SECONDS


def shared_secret(path: Path, candidate: str) -> str:
    """The text of ``path``, created with ``candidate`` if missing, safely among racing runs.

    The file is written in full under a temporary name and linked into place (an exclusive
    create: exactly one run wins); the others, and every later run, read the winner's. The
    file is private (mode 600). Returns the stripped text.
    """
    if not path.exists():
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w") as stream:
                stream.write(candidate)
            with contextlib.suppress(FileExistsError):  # another run won: read its value
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def remove_stale(out: Path) -> list[str]:
    """Clean up after report runs that were killed; return the names of what was handled.

    - ``.<week>.*.tmp`` (and ``.report.*.tmp``) folders no live run holds are deleted;
    - ``.<week>.<pid>.old`` (the previous week, moved aside during a swap) that no live run
      holds (its lock, not only its process id) is deleted when ``<week>`` is in place, and
      put back as ``<week>`` when the kill came between the two moves of the swap.

    Published weeks are never touched.
    """
    handled = []
    for path in sorted(out.glob(".*.*")):
        if not path.is_dir() or path.is_symlink():
            continue
        if path.suffix == ".tmp" and not _locked_by_a_live_run(path):
            shutil.rmtree(path, ignore_errors=True)
            handled.append(path.name)
        elif path.suffix == ".old":
            week, _, pid = path.stem[1:].rpartition(".")
            if not _WEEK.match(week) or not pid.isdigit() or _swap_in_progress(path, pid):
                continue
            if (out / week).exists():
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.replace(path, out / week)
            handled.append(path.name)
    return handled


def swap_into_place(staging: Path, final: Path) -> None:
    """Replace ``final`` by ``staging``; on failure put the previous ``final`` back.

    The previous ``final`` is moved aside as ``.<week>.<pid>.old`` and locked (``flock``,
    taken before the move) until it is removed, so :func:`remove_stale` knows a live swap
    from one whose run was killed.
    """
    backup = final.with_name(f".{final.name}.{os.getpid()}.old") if final.exists() else None
    handle = os.open(final, os.O_RDONLY) if backup is not None else None
    try:
        if handle is not None and fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)  # the folder's lock moves with it
        if backup is not None:
            os.replace(final, backup)
        try:
            os.replace(staging, final)
        except BaseException:
            if backup is not None:
                os.replace(backup, final)
            raise
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    finally:
        if handle is not None:
            os.close(handle)
