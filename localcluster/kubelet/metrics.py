"""Pod metrics from the pod processes' REAL CPU time and RSS (psutil, children included), the way
metrics-server reports them: CPU as millicores averaged over a window, memory as the latest working set.

Both are multiplied by the kubelet's declared `cpu_scale` (the unit changes, the signal stays the real work of
the process), and served `metrics_lag` seconds old when that is set: only samples taken at or before
now - lag are used, as a metrics pipeline that fell behind would serve them (their timestamps show the age).
"""

from __future__ import annotations

import collections
import http.client
import threading
import time
from collections.abc import Callable

from .config import KubeletConfig
from .pod import PodWorker

__all__ = ["PodMetrics"]

Sample = tuple[float, float, int]  # (epoch, cumulative CPU seconds, RSS bytes)


class PodMetrics:
    """`cpu_usage`, `memory_usage` and `scrape` for the controllers (HPA) and anyone else in-process."""

    def __init__(self, config: KubeletConfig, find: Callable[[str, str], PodWorker | None],
                 workers: Callable[[], list[PodWorker]], clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self._find = find
        self._workers = workers
        self._samples: dict[str, collections.deque[Sample]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pod-metrics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.config.metrics_resolution):
            self.sample_all()

    def sample_all(self) -> None:
        """Take one sample of every running pod (the sampler thread calls this periodically)."""
        keep = self.config.metrics_window * 3 + self.config.metrics_lag
        live = set()
        for worker in self._workers():
            live.add(worker.uid)
            if worker.frozen:
                continue
            got = worker.sample()
            if got is None:
                continue
            now = self.clock()
            with self._lock:
                buf = self._samples.setdefault(worker.uid, collections.deque())
                buf.append((now, got[0], got[1]))
                while buf and buf[0][0] < now - keep:
                    buf.popleft()
        with self._lock:
            for uid in [u for u in self._samples if u not in live]:
                del self._samples[uid]

    def _series(self, namespace: str, name: str) -> list[Sample]:
        """The pod's samples the metrics pipeline serves now: those taken at or before now - metrics_lag."""
        worker = self._find(namespace, name)
        if worker is None or worker.frozen:
            return []
        with self._lock:
            series = list(self._samples.get(worker.uid, ()))
        lag = self.config.metrics_lag
        if lag > 0:
            cutoff = self.clock() - lag
            series = [s for s in series if s[0] <= cutoff]
        return series

    def cpu_usage(self, namespace: str, name: str) -> tuple[float, float, float] | None:
        """(millicores averaged over the window x cpu_scale, actual window seconds, timestamp of the newest sample),
        or None when the pod has fewer than two samples (just started, not running, or on a failed node)."""
        series = self._series(namespace, name)
        if len(series) < 2:
            return None
        t1, cpu1, _ = series[-1]
        start = t1 - self.config.metrics_window
        t0, cpu0, _ = next((s for s in series if s[0] >= start - 1e-6), series[0])
        if t0 >= t1:
            t0, cpu0, _ = series[-2]
        span = t1 - t0
        if span <= 0:
            return None
        return max(0.0, (cpu1 - cpu0) / span * 1000.0) * self.config.cpu_scale, span, t1

    def memory_usage(self, namespace: str, name: str) -> tuple[int, float] | None:
        """(RSS bytes of the pod's processes x cpu_scale, timestamp of the sample), or None."""
        series = self._series(namespace, name)
        if not series:
            return None
        t, _, rss = series[-1]
        return round(rss * self.config.cpu_scale), t

    def scrape(self, namespace: str, name: str, port: str | int, path: str = "/metrics") -> str | None:
        """GET the pod's host port for container port `port` (name or number); None if unreachable."""
        worker = self._find(namespace, name)
        host_port = worker.port_of(port) if worker is not None and not worker.frozen else None
        if host_port is None:
            return None
        conn = http.client.HTTPConnection("127.0.0.1", host_port, timeout=2.0)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            return body.decode("utf-8", errors="replace") if resp.status == 200 else None
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()
