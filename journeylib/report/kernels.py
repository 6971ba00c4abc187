"""Kernel plumbing for :mod:`journeylib.report`: waits on the kernel that cannot hang.

nbclient (under papermill) waits for a cell's reply with one blocking poll on the kernel's
zmq socket. A reply that arrives while a cell opens ipywidgets comms can be missed by that poll
(jupyter/nbclient#312): it is then seen only when the wait times out, and never when the wait
has no timeout, so the run hangs. :class:`PollingKernelManager` gives nbclient channels that
wait in short slices, each of which looks at the socket afresh.

:class:`WarmKernelManager` starts a kernel before its notebook runs (the runner starts every
notebook's kernel while it reads the log, so that kernel start-up and imports use the core the
read leaves idle); nbclient then uses it as it is and the runner shuts it down.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import DottedObjectName, List, Type

__all__ = ["PollingKernelManager", "WarmKernelManager"]

#: Longest single wait on a kernel socket, in seconds.
POLL_SECONDS = 0.5


class PollingChannel(AsyncZMQSocketChannel):
    """A kernel channel whose ``get_msg`` waits in slices of :data:`POLL_SECONDS`."""

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        """Return the next message; raise :class:`queue.Empty` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SECONDS if deadline is None else deadline - time.monotonic()
            try:
                return await super().get_msg(timeout=max(0.0, min(POLL_SECONDS, left)))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class PollingKernelClient(AsyncKernelClient):
    """An asynchronous kernel client with :class:`PollingChannel` channels."""

    shell_channel_class = Type(PollingChannel)
    iopub_channel_class = Type(PollingChannel)
    control_channel_class = Type(PollingChannel)


class PollingKernelManager(AsyncKernelManager):
    """The kernel manager nbclient uses by default, handing out :class:`PollingKernelClient`."""

    client_class = DottedObjectName("journeylib.report.kernels.PollingKernelClient")
    client_factory = Type(PollingKernelClient)


class WarmKernelManager(KernelManager):
    """A blocking kernel manager (usable from any thread) handing out
    :class:`PollingKernelClient`: for kernels started ahead of their notebook.

    It remembers the clients it hands out, so that :meth:`close_clients` closes their
    sockets: nbclient leaves open the sockets of a client of a kernel it did not start, and
    zmq then reconnects to the dead kernel's ports for as long as the process lives. When the
    system later gives such a port to another server (a Spark session's result socket), zmq's
    greeting reaches that server instead of its own client, and the query fails with
    "Connection reset by peer"."""

    client_class = DottedObjectName("journeylib.report.kernels.PollingKernelClient")
    client_factory = Type(PollingKernelClient)
    handed_out = List()

    def client(self, **kwargs: Any) -> Any:
        """A client of this kernel (remembered: see :meth:`close_clients`)."""
        kc = super().client(**kwargs)
        self.handed_out.append(kc)
        return kc

    def close_clients(self) -> None:
        """Stop every channel of the clients handed out, closing their sockets."""
        while self.handed_out:
            self.handed_out.pop().stop_channels()
