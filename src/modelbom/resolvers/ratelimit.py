"""One rate limit and one back-off shared by every worker that talks to a source.

A token bucket spaces requests out (``rate`` per second, bursts of ``burst``). When a
source answers 429, :meth:`RateLimiter.back_off` pauses *all* workers until the reset
time the source gave, instead of each worker discovering the limit on its own.
Deadlines bound every wait: a scan never sleeps longer than its budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """A thread-safe token bucket with a shared back-off deadline."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = 0.0

    def back_off(self, seconds: float) -> None:
        """Pause every worker for *seconds* from now (the longest pause wins)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    def paused_for(self) -> float:
        """Seconds until the shared back-off ends (0 when not paused)."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def acquire(self, deadline: float | None = None) -> bool:
        """Wait for a token; False if the wait would pass *deadline* (a clock value)."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                wait = max(self._paused_until - now, 0.0)
                if wait == 0.0 and self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return True
                if wait == 0.0:
                    wait = (1.0 - self._tokens) / self.rate
            if deadline is not None and self._clock() + wait > deadline:
                return False
            self._sleep(wait)
