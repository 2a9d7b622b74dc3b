"""Container logs behind GET .../pods/{name}/log.

`PodLogSource` is what the API reads; `MemoryPodLogs` (the default) is a bounded in-memory buffer per
(namespace, pod, container) that the kubelet appends process output to. Lines carry their epoch time in
nanoseconds so `timestamps=true` can prefix them RFC3339Nano and `sinceSeconds` can filter them.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator
from typing import NamedTuple, Protocol

__all__ = ["LogLine", "MemoryPodLogs", "PodLogSource"]


class LogLine(NamedTuple):
    time_ns: int
    text: str  # without the trailing newline


class PodLogSource(Protocol):
    """Where pod logs come from."""

    def read(
        self, namespace: str, pod: str, container: str, *, previous: bool = False
    ) -> list[LogLine]: ...

    def follow(
        self, namespace: str, pod: str, container: str, start: int, stop: Callable[[], bool]
    ) -> Iterator[LogLine]: ...


class MemoryPodLogs:
    """Thread-safe ring buffers of log lines; `previous` logs are kept when a container restarts."""

    def __init__(self, max_lines: int = 10_000) -> None:
        self._max = max_lines
        self._lines: dict[tuple[str, str, str], collections.deque[LogLine]] = {}
        self._previous: dict[tuple[str, str, str], list[LogLine]] = {}
        self._appended: dict[tuple[str, str, str], int] = collections.defaultdict(int)
        self._cond = threading.Condition()

    def append(self, namespace: str, pod: str, container: str, text: str, time_ns: int | None = None) -> None:
        """Add one line (a trailing newline is stripped) to a container's log."""
        key = (namespace, pod, container)
        line = LogLine(time.time_ns() if time_ns is None else time_ns, text.rstrip("\n"))
        with self._cond:
            self._lines.setdefault(key, collections.deque(maxlen=self._max)).append(line)
            self._appended[key] += 1
            self._cond.notify_all()

    def restart(self, namespace: str, pod: str, container: str) -> None:
        """The container restarted: current lines become `previous=true` lines."""
        key = (namespace, pod, container)
        with self._cond:
            self._previous[key] = list(self._lines.pop(key, ()))
            self._appended[key] = 0

    def forget(self, namespace: str, pod: str) -> None:
        """Drop every buffer of a pod (it was deleted)."""
        with self._cond:
            for table in (self._lines, self._previous, self._appended):
                for key in [k for k in table if k[0] == namespace and k[1] == pod]:
                    del table[key]
            self._cond.notify_all()

    def read(self, namespace: str, pod: str, container: str, *, previous: bool = False) -> list[LogLine]:
        key = (namespace, pod, container)
        with self._cond:
            return list(self._previous.get(key, ()) if previous else self._lines.get(key, ()))

    def follow(
        self, namespace: str, pod: str, container: str, start: int, stop: Callable[[], bool]
    ) -> Iterator[LogLine]:
        """Yield lines appended after the first `start` ones until `stop()` is true (checked every 0.5 s)."""
        key = (namespace, pod, container)
        seen = start
        while not stop():
            with self._cond:
                total = self._appended.get(key, 0)
                if total <= seen:
                    self._cond.wait(0.5)
                    continue
                buf = list(self._lines.get(key, ()))
            new = min(total - seen, len(buf))
            seen = total
            yield from buf[len(buf) - new :]
