"""Small network helpers with no heavy imports (the web plugin uses them at CLI registration)."""

from __future__ import annotations

import contextlib
import socket


def free_port(preferred: int | None = None) -> int:
    """A free TCP port on loopback: ``preferred`` when it is free, else any."""
    if preferred is not None:
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", preferred))
            return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
