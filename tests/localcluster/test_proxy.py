"""The service proxy: bytes pass both ways, a dead backend resets the client, endpoint changes on the API reach the
data path only after the propagation delay, and the proxy process survives a flood of fresh connections (it runs
on the stdlib event loop: under uvloop it aborted)."""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import socket
import threading
import time
from pathlib import Path

import pytest

from localcluster.agentflow.process import ReferenceServer
from localcluster.api import ApiServer
from localcluster.proxy.endpoints import Backend, EndpointWatcher, ready_backends
from localcluster.proxy.server import ServiceProxy


class ProxyThread:
    """A ServiceProxy on its own event loop in a thread, stopped at exit."""

    def __init__(self, loop_factory) -> None:
        self.proxy = ServiceProxy()
        self.loop = loop_factory()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            server = await self.proxy.serve("127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            while self.loop.is_running() and not getattr(self, "_stop", False):
                await asyncio.sleep(0.05)
            server.close()

        self.loop.run_until_complete(main())

    def __enter__(self) -> ProxyThread:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join(5)


def get_health(port: int) -> int | str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", "/health")
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def backends():
    with ReferenceServer(api_key="k", pod_name="p-a") as a, ReferenceServer(api_key="k", pod_name="p-b") as b:
        yield [Backend("127.0.0.1", a.port, "p-a"), Backend("127.0.0.1", b.port, "p-b")]


def test_requests_pass_on_fresh_connections_round_robin(backends):
    # Regression: under uvloop the request bytes arrived before the upstream connection and were dropped.
    with ProxyThread(asyncio.new_event_loop) as pt:
        pt.proxy.set_backends(backends)
        assert [get_health(pt.port) for _ in range(6)] == [200] * 6
        pods = set()
        for _ in range(4):
            conn = http.client.HTTPConnection("127.0.0.1", pt.port, timeout=3)
            conn.request("GET", "/version")
            resp = conn.getresponse()
            resp.read()
            pods.add(resp.getheader("X-AgentFlow-Pod"))
            conn.close()
        assert pods == {"p-a", "p-b"}


def test_dead_backend_or_no_backend_resets_the_client():
    with ProxyThread(asyncio.new_event_loop) as pt:
        pt.proxy.set_backends([Backend("127.0.0.1", free_port(), "gone")])  # nothing listens there
        assert get_health(pt.port) in ("ConnectionResetError", "RemoteDisconnected", "BrokenPipeError")
        pt.proxy.set_backends([])
        assert get_health(pt.port) in ("ConnectionResetError", "RemoteDisconnected", "BrokenPipeError")


def _slice(name: str, port: int, ready: bool) -> dict:
    return {"metadata": {"name": name, "namespace": "ns", "labels": {"kubernetes.io/service-name": "svc"}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": port}, {"name": "metrics", "port": 1}],
            "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": ready},
                           "targetRef": {"kind": "Pod", "name": name}}]}


def test_ready_backends_uses_the_named_port_and_ready_endpoints_only():
    slices = {"a": _slice("a", 1001, True), "b": _slice("b", 1002, False)}
    assert ready_backends(slices, "http") == [Backend("127.0.0.1", 1001, "a")]
    assert ready_backends(slices, "metrics") == [Backend("127.0.0.1", 1, "a")]


def test_endpoint_changes_reach_the_data_path_after_the_propagation_delay():
    seen: list[tuple[float, list[Backend]]] = []
    with ApiServer() as api:
        api.store.create("namespaces", {"metadata": {"name": "ns"}})
        api.store.create("endpointslices", _slice("a", 1001, True))
        watcher = EndpointWatcher(api.url, "ns", "svc", 0.8, lambda b: seen.append((time.monotonic(), b)),
                                  port_name="http")
        watcher.start()
        try:
            deadline = time.monotonic() + 10
            while not seen and time.monotonic() < deadline:
                time.sleep(0.02)
            assert seen and seen[-1][1] == [Backend("127.0.0.1", 1001, "a")]
            changed = time.monotonic()
            api.store.delete("endpointslices", "ns", "a")
            while len(seen) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert seen[-1][1] == []
            assert seen[-1][0] - changed >= 0.75  # not before the propagation delay
        finally:
            watcher.stop()


def _bench_proxy():
    """benchmarks/bench_proxy.py: its proxy launcher and flood client are the ones this regression test uses."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_proxy.py"
    spec = importlib.util.spec_from_file_location("bench_proxy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_proxy_process_survives_a_flood_of_fresh_connections(backends):
    # Regression: on uvloop the proxy process aborted ("double free or corruption (!prev)", or a segfault in
    # libpython) within seconds of three clients opening fresh connections as fast as they could; every new
    # connection to the Service was then refused (CI: 753 ok, 17585 refused while a pod was deleted).
    bench = _bench_proxy()
    with ApiServer() as api:
        api.store.create("namespaces", {"metadata": {"name": "ns"}})
        for b in backends:
            api.store.create("endpointslices", _slice(b.pod, b.port, True))
        port = free_port()
        proxy = bench.start_proxy("asyncio", api.url, port)  # `python -m localcluster.proxy`, as the cluster runs it
        try:
            ok, failed = bench.flood(port, 10.0)
            alive = proxy.poll() is None
        finally:
            bench.stop(proxy)
        output = proxy.stdout.read() if proxy.stdout else ""
    assert alive, f"the proxy process died under the flood (exit {proxy.returncode}): {output[-400:]}"
    assert failed == 0 and ok > 100, (ok, failed)


class _HeldTimers:
    """Stands in for threading.Timer in the endpoints module: the test fires the timers, in the order it chooses."""

    held: list[_HeldTimers] = []

    def __init__(self, interval, function, args=()) -> None:
        self.function, self.args, self.daemon = function, args, False
        _HeldTimers.held.append(self)

    def start(self) -> None:
        pass

    def fire(self) -> None:
        self.function(*self.args)


def test_a_view_whose_timer_fires_late_never_replaces_a_newer_one(monkeypatch):
    # Regression: each endpoint view waits on its own timer thread; two due together may wake in either order. The
    # older view (2 pods) applied after the newer (3 pods) kept the third pod out of the Service until the next
    # endpoint change, and the cluster never saw the service reach every Ready pod (CI: "not Ready within 89 s"
    # with 3/3 Ready).
    from localcluster.proxy import endpoints

    monkeypatch.setattr(endpoints.threading, "Timer", _HeldTimers)
    _HeldTimers.held = []
    applied: list[list[str]] = []
    watcher = EndpointWatcher("http://127.0.0.1:1", "ns", "svc", 1.0, lambda b: applied.append([x.pod for x in b]),
                              port_name="http")
    watcher._slices = {"a": _slice("a", 1001, True), "b": _slice("b", 1002, True)}
    watcher._publish()
    watcher._slices["c"] = _slice("c", 1003, True)
    watcher._publish()
    older, newer = _HeldTimers.held
    newer.fire()
    older.fire()  # late
    assert applied == [["a", "b", "c"]]
    watcher._slices.pop("a")
    watcher._publish()
    _HeldTimers.held[-1].fire()
    assert applied[-1] == ["b", "c"]  # newer views still apply
