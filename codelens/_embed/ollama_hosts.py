"""Several Ollama servers (``OLLAMA_HOST=a:11434,b:11434``): which one takes a request.

Requests go to the least busy server that is not set aside; one that failed is set
aside for ``SET_ASIDE`` seconds (or its own ``Retry-After``) and then tried again. When
every server is set aside, the one due back first is tried: a single server is always
tried, as before there were several.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from codelens._config import ENV_OLLAMA_HOST
from codelens.errors import ConfigError

__all__ = ["SET_ASIDE", "Host", "Hosts", "parse_hosts"]

# Seconds a server that failed gets no requests while others answer.
SET_ASIDE = 10.0


def parse_hosts(text: str) -> list[str]:
    """The servers of a comma-separated ``OLLAMA_HOST``, in order, each once."""
    hosts = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not hosts:
        raise ConfigError(
            f"{ENV_OLLAMA_HOST}={text!r} names no server: set e.g."
            f" {ENV_OLLAMA_HOST}=127.0.0.1:11434,10.0.0.2:11434"
        )
    return hosts


@dataclass(eq=False)
class Host:
    """One server: its client, the requests it has in flight, and when it is back."""

    label: str
    client: Any
    busy: int = 0
    back_at: float = 0.0  # time.monotonic(); set aside before it
    served: int = field(default=0)  # requests answered, for the benchmark and tests


class Hosts:
    """The servers of one embedder."""

    def __init__(self, labels: list[str], client: Callable[[str], Any]) -> None:
        self.all = [Host(label, client(label)) for label in labels]
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.all)

    def available(self, exclude: Collection[Host] = ()) -> list[Host]:
        """The servers not set aside and not in ``exclude``."""
        now = time.monotonic()
        with self._lock:
            return [h for h in self.all if h.back_at <= now and h not in exclude]

    @contextmanager
    def take(self, exclude: Collection[Host] = ()) -> Iterator[Host]:
        """The least busy server available (not in ``exclude``), busy for the block."""
        now = time.monotonic()
        with self._lock:
            ready = [h for h in self.all if h.back_at <= now and h not in exclude]
            if ready:
                host = min(ready, key=lambda h: h.busy)
            else:
                # Every server failed or is set aside: try the one due back first again.
                fresh = [h for h in self.all if h not in exclude] or self.all
                host = min(fresh, key=lambda h: (h.back_at, h.busy))
            host.busy += 1
        try:
            yield host
        finally:
            with self._lock:
                host.busy -= 1

    def answered(self, host: Host) -> None:
        with self._lock:
            host.served += 1
            host.back_at = 0.0

    def set_aside(self, host: Host, seconds: float | None) -> None:
        with self._lock:
            host.back_at = time.monotonic() + (SET_ASIDE if seconds is None else seconds)

    def close(self) -> None:
        for host in self.all:
            host.client.close()
