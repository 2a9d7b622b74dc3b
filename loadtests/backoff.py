"""Client back-off after refused or overloaded streams, as real SDK clients do.

Kept free of Locust and gevent so it can be unit-tested in any process (importing ``locust`` monkey-patches
the importing process, which breaks the test run's own threads and event loops).
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtests.record import StreamRecord
from rundir.layout import CONNECT_ERROR, HTTP_ERROR

BACKOFF_BASE = 0.2
BACKOFF_MAX = 2.0
OVERLOAD_STATUSES = (429, 502, 503, 504)


@dataclass
class Backoff:
    """Seconds to wait before the next stream: doubling from ``base`` up to ``cap`` after a refused connection
    or an overload answer (429/502/503/504), reset by any other outcome. Without it a closed-loop user hammers
    a dead pod or service thousands of times a second, and the error rate measures the retry storm instead of
    the outage."""

    base: float = BACKOFF_BASE
    cap: float = BACKOFF_MAX
    current: float = 0.0

    def after(self, record: StreamRecord) -> float:
        """The pause (seconds, 0.0 for none) to take after ``record``."""
        overloaded = record.outcome == HTTP_ERROR and record.status in OVERLOAD_STATUSES
        if record.outcome != CONNECT_ERROR and not overloaded:
            self.current = 0.0
            return 0.0
        self.current = min(self.cap, self.current * 2 if self.current else self.base)
        return self.current
