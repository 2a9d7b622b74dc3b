"""The API port: AgentFlow's middleware chain (request id, per-IP rate limit, auth, per-tenant rate limit),
the Go ServeMux routing (plain-text 404/405), health/readiness/version, and the lifecycle state they read.

Order as in AgentFlow: the health paths skip rate limiting and auth; every other path (also unknown ones)
is rate limited and authenticated before routing, so an unauthenticated unknown path answers 401, not 404.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .envelopes import dumps, error_body, new_request_id, rfc3339, status_for, success_body
from .guard import Authenticator, RateLimiter, client_ip
from .routes import JSON_TYPE, GenerationRoutes

if TYPE_CHECKING:
    from .config import Config
    from .generation import Simulator
    from .httpconn import HttpConnection, Request
    from .metrics import Metrics

__all__ = ["VERSION", "ApiApp"]

VERSION = "v1.11.3-reference"
TEXT_TYPE = "text/plain; charset=utf-8"
Handler = Callable[["HttpConnection", "Request"], None]
_PUBLIC = frozenset({"/health", "/healthz", "/ready", "/readyz", "/version"})
_DEPS = ("database", "mongodb", "redis")


class ApiApp:
    """Application behind the API port; ``state`` is warming | ready | draining | stopping."""

    def __init__(self, cfg: Config, sim: Simulator, metrics: Metrics) -> None:
        self.cfg = cfg
        self.sim = sim
        self.metrics = metrics
        self.connections: set[HttpConnection] = set()
        self.hung: set[HttpConnection] = set()
        self.static_headers = (f"X-AgentFlow-Pod: {cfg.pod_name}\r\n"
                               "X-Content-Type-Options: nosniff\r\n").encode("latin-1")
        self.state = "warming" if cfg.warmup > 0 else "ready"
        self.hanging = False
        self.close_idle = False
        self.auth = Authenticator(cfg.api_keys, cfg.jwt_secret)
        self.ip_limit = RateLimiter(cfg.ip_rate, cfg.ip_burst)
        self.tenant_limit = RateLimiter(cfg.tenant_rate, cfg.tenant_burst)
        self.gen = GenerationRoutes(cfg, sim)
        g = self.gen
        self.table: dict[str, tuple[str, Handler]] = {
            "/health": ("GET", self.health), "/healthz": ("GET", self.health),
            "/ready": ("GET", self.ready), "/readyz": ("GET", self.ready), "/version": ("GET", self.version),
            "/api/v1/chat/completions/stream": ("POST", g.native_stream),
            "/api/v1/chat/completions": ("POST", g.native_json),
            "/api/v1/agents/execute/stream": ("POST", g.agent_stream),
            "/api/v1/agents/execute": ("POST", g.agent_json),
            "/v1/chat/completions": ("POST", g.openai_chat),
            "/v1/responses": ("POST", g.openai_responses),
            "/v1/messages": ("POST", g.anthropic_messages),
        }

    # -- App protocol ---------------------------------------------------------------------------------
    def closing(self) -> bool:
        return self.state in ("draining", "stopping")

    def request_done(self, req: Request, status: int) -> None:
        self.metrics.observe(req.method, req.path, status, time.monotonic() - req.start)

    def inflight(self) -> int:
        return sum(1 for c in self.connections if c.active is not None and c not in self.hung)

    def handle(self, conn: HttpConnection, req: Request) -> None:
        req.request_id = req.headers.get("x-request-id") or new_request_id()
        path = req.path
        if path in _PUBLIC:
            if self.hanging:
                self.hung.add(conn)  # never answered: the liveness probe times out
                req.uncounted = True
                return
            self._dispatch(conn, req)
            return
        ip = client_ip(conn.peer, req.headers)
        now = time.monotonic()
        if not self.ip_limit.allow(ip, now):
            self._error(conn, req, "RATE_LIMIT", "rate limit exceeded")
            return
        if not self.auth.configured:
            self._error(conn, req, "SERVICE_UNAVAILABLE", "authentication is not configured")
            return
        ok, tenant = self.auth.check(req.headers)
        if not ok:
            self._error(conn, req, "AUTHENTICATION", "invalid or missing API key")
            return
        if not self.tenant_limit.allow("tenant:" + tenant if tenant else "ip:" + ip, now):
            self._error(conn, req, "RATE_LIMIT", "tenant rate limit exceeded")
            return
        if self.state == "warming":
            self._error(conn, req, "SERVICE_UNAVAILABLE", "service is warming up")
            return
        self._dispatch(conn, req)

    def _dispatch(self, conn: HttpConnection, req: Request) -> None:
        entry = self.table.get(req.path)
        if entry is None:
            conn.respond(404, b"404 page not found\n", TEXT_TYPE)
            return
        method, handler = entry
        if req.method == method or (method == "GET" and req.method == "HEAD"):
            handler(conn, req)
            return
        allow = "GET, HEAD" if method == "GET" else method
        conn.respond(405, b"Method Not Allowed\n", TEXT_TYPE, [("Allow", allow)])

    def _error(self, conn: HttpConnection, req: Request, code: str, message: str) -> None:
        conn.respond(status_for(code), error_body(code, message, req.request_id), JSON_TYPE)

    # -- health ---------------------------------------------------------------------------------------
    def health(self, conn: HttpConnection, req: Request) -> None:
        body = success_body({"status": "healthy", "timestamp": rfc3339(), "version": VERSION}, req.request_id)
        conn.respond(200, body, JSON_TYPE, head_only=req.method == "HEAD")

    def ready(self, conn: HttpConnection, req: Request) -> None:
        checks = {name: {"status": "pass", "latency": "0.2ms"} for name in _DEPS}
        failure = None
        if self.cfg.never_ready:
            failure = ("database", "dial tcp: connection refused (simulated: --never-ready)")
        elif self.state == "warming":
            failure = ("warmup", "warming up")
        elif self.state != "ready" and self.cfg.lifecycle == "graceful":
            failure = ("lifecycle", "draining: shutting down")
        data: dict[str, object] = {"status": "healthy", "timestamp": rfc3339(), "checks": checks}
        if failure is not None:
            checks[failure[0]] = {"status": "fail", "message": failure[1]}
            data["status"] = "unhealthy"
            env = {"success": False, "data": data, "timestamp": rfc3339(), "request_id": req.request_id}
            conn.respond(503, dumps(env) + b"\n", JSON_TYPE, head_only=req.method == "HEAD")
            return
        conn.respond(200, success_body(data, req.request_id), JSON_TYPE, head_only=req.method == "HEAD")

    def version(self, conn: HttpConnection, req: Request) -> None:
        data = {"version": VERSION, "build_time": "reference", "git_commit": "reference"}
        conn.respond(200, success_body(data, req.request_id), JSON_TYPE, head_only=req.method == "HEAD")
