"""The metrics port: Prometheus ``/metrics`` and the reference-only ``/debug/stats`` JSON (in-flight streams,
queue, send lateness over the last ~30 s of sends, process CPU/RSS). ``/debug/stats?reset=1`` clears the
lateness window after reading it (benchmarks use it to measure one period)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .envelopes import dumps
from .metrics import process_cpu_seconds, process_rss_bytes

if TYPE_CHECKING:
    from .api import ApiApp
    from .httpconn import HttpConnection, Request

__all__ = ["OpsApp"]

PROM_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class OpsApp:
    def __init__(self, api: ApiApp) -> None:
        self.api = api
        self.connections: set[HttpConnection] = set()
        self.static_headers = api.static_headers
        self.started = time.time()
        self.close_idle = False

    def closing(self) -> bool:
        return False

    def request_done(self, req: Request, status: int) -> None:
        return None

    def handle(self, conn: HttpConnection, req: Request) -> None:
        if req.method not in ("GET", "HEAD"):
            conn.respond(405, b"Method Not Allowed\n", "text/plain; charset=utf-8", [("Allow", "GET, HEAD")])
        elif req.path == "/metrics":
            conn.respond(200, self.metrics_text(), PROM_TYPE, head_only=req.method == "HEAD")
        elif req.path == "/debug/stats":
            body = dumps(self.stats(reset="reset=1" in req.query)) + b"\n"
            conn.respond(200, body, "application/json; charset=utf-8")
        else:
            conn.respond(404, b"404 page not found\n", "text/plain; charset=utf-8")

    def metrics_text(self) -> bytes:
        api = self.api
        gauges = {
            "agentflow_inflight_streams": ("Streams in flight (queued or generating); reference server only.",
                                           float(api.sim.streams)),
            "agentflow_reference_queued_requests": ("Requests waiting for model capacity; reference only.",
                                                    float(api.sim.capacity.queued)),
        }
        gauges.update(api.metrics.process_gauges())
        return api.metrics.render(gauges)

    def stats(self, reset: bool = False) -> dict[str, object]:
        api, sim = self.api, self.api.sim
        ring = api.metrics.lateness
        out: dict[str, object] = {
            "pod": api.cfg.pod_name,
            "lifecycle": api.cfg.lifecycle,
            "state": api.state,
            "uptime_s": time.time() - self.started,
            "inflight_streams": sim.streams,
            "inflight_requests": api.inflight(),
            "queued_requests": sim.capacity.queued,
            "slots_in_use": sim.capacity.in_use,
            "capacity": sim.capacity.slots,
            "connections": len(api.connections),
            "events_sent": sim.events,
            "agents_cached": len(api.gen.agents),
            "send_lateness_s": ring.summary(),
            "process_cpu_seconds": process_cpu_seconds(),
            "rss_bytes": process_rss_bytes(),
            "time": time.time(),
        }
        if reset:
            ring.reset()
        return out
