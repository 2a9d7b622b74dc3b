"""Process wiring and lifecycle: bind the two ports, print the listening line, run the housekeeping tick,
and implement the two shutdown behaviours and the time-based fault knobs.

``agentflow-1.11`` (real AgentFlow): ready once listening; on SIGTERM the listener closes at once, idle
keep-alive connections close, in-flight requests get ``--shutdown-timeout`` and are then cut by a TCP close,
and the process exits. ``graceful``: on SIGTERM /ready turns 503 but the listener keeps serving (responses
carry ``Connection: close``); the process exits once nothing was in flight for ``--drain-idle`` seconds or at
``--drain-timeout``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time

from .api import ApiApp
from .config import Config, ConfigError, flag_name
from .generation import Simulator
from .httpconn import HttpConnection
from .metrics import Metrics
from .ops import OpsApp

__all__ = ["Lifecycle", "serve"]

IDLE_CONN_TIMEOUT = 120.0
CRASH_EXIT_CODE = 2  # what a Go panic exits with


def log(message: str) -> None:
    say(f"agentflow-reference: {message}", stderr=True)


def say(line: str, *, stderr: bool = False) -> None:
    """Write one line; a stream whose reader is gone (a pipe to a dead parent) is dropped, never an error: the
    server must keep serving and must still exit on SIGTERM whatever its stdout/stderr are."""
    name = "stderr" if stderr else "stdout"
    stream = getattr(sys, name)
    try:
        print(line, file=stream, flush=True)
    except (OSError, ValueError):  # BrokenPipeError, closed stream
        setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - replaces the dead stream for the process


class Lifecycle:
    def __init__(self, cfg: Config, api: ApiApp, servers: list[asyncio.Server], ops: OpsApp) -> None:
        self.cfg = cfg
        self.api = api
        self.ops = ops
        self.servers = servers
        self.loop = asyncio.get_running_loop()
        self.finished: asyncio.Future[int] = self.loop.create_future()
        self.shutdown_at = 0.0
        self.last_busy = 0.0
        self.last_sweep = self.last_rotate = time.monotonic()
        self.tick_handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        cfg = self.cfg
        if cfg.warmup > 0:
            self.loop.call_later(cfg.warmup, self._warm)
        if cfg.hang_after > 0:
            self.loop.call_later(cfg.hang_after, self._hang)
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.on_sigterm)
        self._schedule(1.0)

    def _warm(self) -> None:
        if self.api.state == "warming":
            self.api.state = "ready"

    def _hang(self) -> None:
        self.api.hanging = True
        log(f"health endpoints stop answering ({flag_name('hang_after')})")

    def _schedule(self, delay: float) -> None:
        self.tick_handle = self.loop.call_later(delay, self._tick)

    def on_sigterm(self) -> None:
        if self.shutdown_at:
            return
        self.shutdown_at = self.last_busy = time.monotonic()
        if self.cfg.lifecycle == "agentflow-1.11":
            self.api.state = "stopping"
            self.api.close_idle = True
            self.servers[0].close()  # new connections are refused from now on
            for conn in list(self.api.connections):
                if conn.idle:
                    conn.close()
            log(f"SIGTERM: listener closed, {self.api.inflight()} request(s) in flight, "
                f"shutdown timeout {self.cfg.shutdown_timeout:g}s")
        else:
            self.api.state = "draining"
            log(f"SIGTERM: draining ({self.api.inflight()} in flight), /ready is 503, still serving")
        if self.tick_handle is not None:
            self.tick_handle.cancel()
        self._tick()

    def _tick(self) -> None:
        now = time.monotonic()
        if now - self.last_rotate >= 1.0:
            self.last_rotate = now
            self.api.metrics.lateness.rotate()
        if now - self.last_sweep >= 60.0:
            self.last_sweep = now
            self.api.ip_limit.sweep(now)
            self.api.tenant_limit.sweep(now)
        for conn in list(self.api.connections):
            if conn.idle and now - conn.last_active > IDLE_CONN_TIMEOUT:
                conn.close()
        self.api.hung &= self.api.connections
        if not self.shutdown_at:
            self._schedule(1.0)
            return
        inflight = self.api.inflight()
        if self.cfg.lifecycle == "agentflow-1.11":
            if inflight == 0 and not self.api.hung:
                self._exit("all requests finished")
            elif now - self.shutdown_at >= self.cfg.shutdown_timeout:
                self._exit(f"shutdown timeout: cutting {inflight} request(s)")
            else:
                self._schedule(0.05)
            return
        if inflight:
            self.last_busy = now
        if now - self.last_busy >= self.cfg.drain_idle:
            self._exit(f"drained (idle {self.cfg.drain_idle:g}s)")
        elif now - self.shutdown_at >= self.cfg.drain_timeout:
            self._exit(f"drain timeout: cutting {inflight} request(s)")
        else:
            self._schedule(0.05)

    def _exit(self, reason: str) -> None:
        if not self.finished.done():
            self.finished.set_result(0)
        for server in self.servers:
            server.close()
        for conn in list(self.api.connections) + list(self.ops.connections):
            conn.close()
        log(f"exiting: {reason}")


def _crash() -> None:
    log(f"panic: simulated crash ({flag_name('crash_after')})")
    os._exit(CRASH_EXIT_CODE)


async def _listen(app: object, host: str, port: int, flag: str) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    try:
        return await loop.create_server(lambda: HttpConnection(app), host, port,  # type: ignore[arg-type]
                                        backlog=2048, reuse_address=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"{flag} {port}: cannot listen on {host}:{port} ({reason}); choose a free port "
                          "(0 = any) or stop the process using it") from None


async def serve(cfg: Config) -> int:
    """Run the server until its lifecycle ends; returns the exit code."""
    loop = asyncio.get_running_loop()
    if cfg.crash_after > 0:
        loop.call_later(cfg.crash_after, _crash)
    if cfg.slow_start > 0:
        await asyncio.sleep(cfg.slow_start)
    metrics = Metrics()
    api = ApiApp(cfg, Simulator(cfg, metrics.lateness), metrics)
    ops = OpsApp(api)
    api_server = await _listen(api, cfg.host, cfg.port, flag_name("port"))
    try:
        ops_server = await _listen(ops, cfg.host, cfg.metrics_port, flag_name("metrics_port"))
    except ConfigError:
        api_server.close()
        raise
    port = api_server.sockets[0].getsockname()[1]
    mport = ops_server.sockets[0].getsockname()[1]
    life = Lifecycle(cfg, api, [api_server, ops_server], ops)
    life.start()
    # Short cyclic-GC pauses: start-up objects never need scanning again (freeze), and the hot path frees
    # almost everything by reference counting; a young generation of 2000 objects keeps each collection
    # under ~1 ms on a slow CPU (measured; 20000 gave rarer but ~4 ms pauses).
    gc.collect()
    gc.freeze()
    gc.set_threshold(2000, 10, 10)
    say(f"agentflow-reference listening on {cfg.host}:{port} metrics {cfg.host}:{mport} "
        f"pod={cfg.pod_name} lifecycle={cfg.lifecycle}")
    code = await life.finished
    await asyncio.sleep(0)  # let transports flush their close
    return code
