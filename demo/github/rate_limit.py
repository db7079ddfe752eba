"""GitHub's primary rate limit as the local GitHub keeps it: a budget of requests per window."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable


class RateLimit:
    """GitHub's primary ("core") rate limit: ``limit`` requests per window, which starts with
    the first request after the previous window's reset."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float]) -> None:
        self.limit, self.window_seconds, self._clock = limit, window_seconds, clock
        self._lock = threading.Lock()
        self.used = 0
        self.reset_at = 0

    def _roll(self) -> None:
        now = self._clock()
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = math.ceil(now + self.window_seconds)

    def spend(self) -> bool:
        """Count one request; False (nothing counted) when the budget is spent."""
        with self._lock:
            self._roll()
            if self.used >= self.limit:
                return False
            self.used += 1
            return True

    def exhaust(self, seconds: float) -> None:
        """Spend the whole budget until ``seconds`` from now."""
        with self._lock:
            self.used = self.limit
            self.reset_at = math.ceil(self._clock() + seconds)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            self._roll()
            return {
                "limit": self.limit,
                "remaining": max(0, self.limit - self.used),
                "reset": self.reset_at,
                "used": self.used,
            }

    def headers(self) -> dict[str, str]:
        state = self.snapshot()
        return {
            "x-ratelimit-limit": str(state["limit"]),
            "x-ratelimit-remaining": str(state["remaining"]),
            "x-ratelimit-reset": str(state["reset"]),
            "x-ratelimit-used": str(state["used"]),
            "x-ratelimit-resource": "core",
        }
