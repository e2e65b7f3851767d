"""A per-upstream circuit breaker: after repeated failures, fail fast instead of piling up waits.

closed -> (threshold consecutive failures) -> open -> (reset timeout) -> half-open: a trial call
(or `half_open_trials` at once); a success closes it, a failure opens it again. State is per process
on purpose: each replica judges the upstream from its own calls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import Gauge

logger = logging.getLogger(__name__)

BREAKER_OPEN = Gauge("circuit_breaker_open", "1 while the circuit to an upstream is open (failing fast)", ["upstream"])


class CircuitBreaker:
    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
        name: str = "",
        half_open_trials: int = 1,
    ):
        self.name = name
        self.half_open_trials = half_open_trials
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trials_in_flight = 0

    @property
    def state(self) -> str:
        with self._lock:
            return self._state_locked()

    def _state_locked(self) -> str:
        if self._opened_at is None:
            return self.CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout_s:
            return self.HALF_OPEN
        return self.OPEN

    def retry_after_s(self) -> float:
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.reset_timeout_s - (self._clock() - self._opened_at))

    def allow(self) -> bool:
        """Whether a call may go out now; in half-open state only `half_open_trials` at a time."""
        with self._lock:
            state = self._state_locked()
            if state == self.CLOSED:
                return True
            if state == self.HALF_OPEN and self._trials_in_flight < self.half_open_trials:
                self._trials_in_flight += 1
                return True
            return False

    # The transitions are logged, once each; the calls refused while open are not (the gateway's
    # access log and request metrics count them): a storm meets thousands a second.
    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            closing = self._opened_at is not None
            if closing and self.name:
                BREAKER_OPEN.labels(self.name).set(0)
            self._opened_at = None
            self._trials_in_flight = 0
        if closing:
            logger.info("circuit closed", extra={"upstream": self.name})

    def record_failure(self) -> None:
        opening, failures = False, 0
        with self._lock:
            self._failures += 1
            was_trial = self._trials_in_flight > 0
            self._trials_in_flight = 0
            if was_trial or self._failures >= self.failure_threshold:
                opening, failures = was_trial or self._opened_at is None, self._failures
                self._opened_at = self._clock()
                if self.name:
                    BREAKER_OPEN.labels(self.name).set(1)
        if opening:
            logger.warning(
                "circuit opened",
                extra={"upstream": self.name, "failures": failures, "retry_in_s": self.reset_timeout_s},
            )
