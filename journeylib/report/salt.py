"""The salt kernels pseudonymise customer ids with: one per reports folder, kept private."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .staging import shared_secret

__all__ = ["id_salt"]


@contextmanager
def id_salt(out: Path) -> Iterator[None]:
    """Kernels pseudonymise ids with the salt in ``out/.id_salt`` (written once, private).

    An explicit ``JOURNEYLIB_ID_SALT`` in the environment wins (see
    :mod:`journeylib.engine.privacy`).
    """
    from ..engine.privacy import SALT_ENV

    if os.environ.get(SALT_ENV):
        yield
        return
    os.environ[SALT_ENV] = shared_secret(out / ".id_salt", secrets.token_hex(32))
    try:
        yield
    finally:
        os.environ.pop(SALT_ENV, None)
