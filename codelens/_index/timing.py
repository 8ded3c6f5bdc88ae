"""Stage times of a run: each stage's wall time added into its report's ``seconds``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter

__all__ = ["StageClock"]


class StageClock:
    """``with clock("embed"): ...`` adds the block's seconds to ``seconds["embed"]``.

    Stages run on several threads at once (chunking ahead, writing behind), so the sums
    are taken under a lock; their total can exceed the run's.
    """

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = perf_counter()
        try:
            yield
        finally:
            elapsed = perf_counter() - start
            with self._lock:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed
