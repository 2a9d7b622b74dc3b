"""The local cluster's service proxy on the stdlib event loop against uvloop: CPU per streamed event, and survival
of a flood of fresh connections.

Method
------
- Two ``ReferenceServer`` backends (``--itl const:0.02``, ``--output-tokens const:<tokens>``, rate limits off:
  ``--ip-rate 0 --tenant-rate 0``) are published to a real ``ApiServer`` as ready EndpointSlices.
  ``python -m localcluster.proxy`` (``asyncio``) or the same ``_amain`` run under ``uvloop.run`` (``uvloop``)
  forwards to them with propagation delay 0.
- ``stream``: ``--streams`` concurrent SSE streams (one asyncio client process, raw sockets, counting ``data:``
  frames) go through the proxy; the proxy process's CPU seconds (user + sys from /proc) over the run divided by
  the events received = CPU per event. Every stream must end with ``[DONE]``.
- ``flood``: three client processes open a fresh connection per ``GET /health`` as fast as they can for
  ``--flood-seconds``; the row says the requests served per second and whether the proxy process was still alive.
- The loops alternate within one run (``--reps`` rounds of asyncio then uvloop), so both see the same machine.

Run: ``.venv/bin/python benchmarks/bench_proxy.py`` (defaults: 200 streams x 200 tokens, 10 s flood, 3 reps).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from localcluster.agentflow.process import ReferenceServer  # noqa: E402
from localcluster.api import ApiServer  # noqa: E402

UVLOOP_MAIN = ("import sys, uvloop; from localcluster.proxy.__main__ import _amain, _parse; "
               "uvloop.run(_amain(_parse(sys.argv[1:])))")
HAMMER = """
import http.client, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
ok = failed = 0
end = time.monotonic() + seconds
while time.monotonic() < end:  # bounded: stops by itself after `seconds`
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", "/health")
        ok += conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        failed += 1
    finally:
        conn.close()
print(ok, failed)
"""
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 400})


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_proxy(loop: str, api_url: str, port: int) -> subprocess.Popen[str]:
    """`python -m localcluster.proxy` (loop "asyncio", as the cluster runs it) or its `_amain` under uvloop, for
    Service `ns/svc` on `port`; returns once it answers /health (SystemExit when it does not within 20 s)."""
    args = ["--api", api_url, "--namespace", "ns", "--service", "svc", "--port", str(port),
            "--propagation-delay", "0"]
    head = ["-m", "localcluster.proxy"] if loop == "asyncio" else ["-c", UVLOOP_MAIN]
    proc = subprocess.Popen([sys.executable, *head, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while not _health(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bench_proxy: the {loop} proxy did not start serving on 127.0.0.1:{port}")
        time.sleep(0.05)
    return proc


def _health(port: int) -> bool:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, SIGKILL after 5 s; returns once it exited."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def _one_stream(port: int, key: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"POST /api/v1/chat/completions/stream HTTP/1.1\r\nHost: bench\r\nX-API-Key: {key}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
                  f"{BODY}").encode())
    events, tail = 0, b""
    while chunk := await reader.read(65536):
        events += chunk.count(b"data: {")
        tail = (tail + chunk)[-64:]
    writer.close()
    if b"[DONE]" not in tail:
        raise RuntimeError("a stream ended without [DONE]")
    return events


async def _streams(port: int, key: str, n: int) -> int:
    return sum(await asyncio.gather(*(_one_stream(port, key) for _ in range(n))))


def stream_row(loop: str, api_url: str, key: str, streams: int) -> dict[str, object]:
    port = _free_port()
    proxy = start_proxy(loop, api_url, port)
    try:
        cpu0, t0 = _cpu_seconds(proxy.pid), time.monotonic()
        events = asyncio.run(_streams(port, key, streams))
        cpu, wall = _cpu_seconds(proxy.pid) - cpu0, time.monotonic() - t0
    finally:
        stop(proxy)
    return {"loop": loop, "mode": "stream", "events": events, "wall_s": round(wall, 2),
            "proxy_cpu_us_per_event": round(cpu / events * 1e6, 1)}


def flood(port: int, seconds: float, clients: int = 3) -> tuple[int, int]:
    """`clients` processes each open a fresh connection per GET /health to 127.0.0.1:`port` as fast as they can
    for `seconds`; (served, failed) over all of them."""
    hammers = [subprocess.Popen([sys.executable, "-c", HAMMER, str(port), str(seconds)], stdout=subprocess.PIPE,
                                text=True) for _ in range(clients)]
    try:
        counts = [tuple(map(int, h.communicate(timeout=seconds + 60)[0].split())) for h in hammers]
    finally:
        for h in hammers:
            if h.poll() is None:
                h.kill()
                h.wait(5)
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def flood_row(loop: str, api_url: str, seconds: float) -> dict[str, object]:
    port = _free_port()
    proxy = start_proxy(loop, api_url, port)
    try:
        ok, failed = flood(port, seconds)
        alive = proxy.poll() is None
    finally:
        stop(proxy)
    return {"loop": loop, "mode": "flood", "ok_per_s": round(ok / seconds), "failed": failed,
            "proxy_alive": alive, "exit": proxy.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--flood-seconds", type=float, default=10.0)
    parser.add_argument("--reps", type=int, default=3)
    ns = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    args = ["--itl", "const:0.02", "--output-tokens", f"const:{ns.tokens}", "--ip-rate", "0", "--tenant-rate", "0"]
    rows: list[dict[str, object]] = []
    with ApiServer() as api, ReferenceServer(api_key="bench", pod_name="p-a", args=args) as a, \
            ReferenceServer(api_key="bench", pod_name="p-b", args=args) as b:
        api.store.create("namespaces", {"metadata": {"name": "ns"}})
        for name, port in (("p-a", a.port), ("p-b", b.port)):
            api.store.create("endpointslices", {
                "metadata": {"name": name, "namespace": "ns", "labels": {"kubernetes.io/service-name": "svc"}},
                "addressType": "IPv4", "ports": [{"name": "http", "port": port}],
                "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True},
                               "targetRef": {"kind": "Pod", "name": name}}]})
        for rep in range(ns.reps):
            for loop in ("asyncio", "uvloop"):
                for row in (stream_row(loop, api.url, "bench", ns.streams),
                            flood_row(loop, api.url, ns.flood_seconds)):
                    row["rep"] = rep
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    for loop in ("asyncio", "uvloop"):
        cpu = [float(r["proxy_cpu_us_per_event"]) for r in rows  # type: ignore[arg-type]
               if r["loop"] == loop and r["mode"] == "stream"]
        flood = [r for r in rows if r["loop"] == loop and r["mode"] == "flood"]
        print(f"{loop}: CPU per event median {statistics.median(cpu)} us (range {min(cpu)}-{max(cpu)}); "
              f"flood: alive {sum(bool(r['proxy_alive']) for r in flood)}/{len(flood)}, "
              f"ok/s {sorted(int(r['ok_per_s']) for r in flood)}")  # type: ignore[call-overload]


if __name__ == "__main__":
    main()
