"""Benchmark of the AgentFlow reference server: startup, idle memory, and 500 concurrent streams on one core.

Method
------
1. Startup and idle RSS (``--starts`` runs, median reported): spawn ``python -m localcluster.agentflow`` with
   ``--port 0``; startup-to-ready = time from ``Popen`` until ``GET /healthz`` answers 200 (polled every 5 ms
   over a fresh TCP connection); idle RSS = ``VmRSS`` of the process 0.5 s after it became ready.
2. Streaming load: the server runs pinned to CPU ``--server-cpu`` (``taskset``) with ``--debug-stamps``,
   TTFT const 200 ms, ITL const 20 ms, exactly 64 output tokens, capacity above the stream count and rate
   limits off (all streams come from one IP). This process pins itself to CPU ``--client-cpu`` and runs a
   raw asyncio + uvloop client: ``--streams`` connections each POST one native chat stream; stream starts are
   spread uniformly over ``--ramp`` seconds (an open ramp, as a load generator would; starting all in the
   same millisecond would phase-align every stream's 20 ms tick into one burst). The client parses chunked
   SSE minimally and, for every event, computes client lag = receive time - the server's ``: ts=`` stamp.
   Server send lateness (actual write - scheduled deadline, measured right before ``transport.write``) comes
   from ``/debug/stats`` in two phases: while streams are still arriving (reset just before the load, read
   and reset at ramp + TTFT + 50 ms) and after every stream has started (read at the end).
   Server CPU % = (utime+stime delta from /proc/<pid>/stat) / wall time of the streaming window (first request
   to last stream end).

Run: ``.venv/bin/python benchmarks/bench_agentflow_server.py`` (``--help`` for knobs). On a shared machine the
numbers are noisy: other processes on the same cores add to lateness and lag. The script prints the load
average and the server's run-queue wait (``/proc/<pid>/schedstat``: time it was runnable but had no CPU), so a
reader can tell contention from the server's own cost. ``--nice -10`` (root) gives server and client priority
within their scheduling group; ``--rt 10`` (root) runs both SCHED_FIFO, so other load on the machine no longer
delays their wake-ups (the kernel still caps real-time tasks at 95 % of a CPU): use it to measure the server's
own lateness on a busy shared machine, and say so when reporting.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KEY = "bench-key"


def spawn(extra: list[str], cpu: int | None = None, nice: int = 0,
          rt: int = 0) -> tuple[subprocess.Popen[str], int, int]:
    argv = [sys.executable, "-m", "localcluster.agentflow", "--port", "0", "--metrics-port", "0", *extra]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    if nice:
        argv = ["nice", "-n", str(nice), *argv]
    if rt:
        argv = ["chrt", "-f", str(rt), *argv]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AGENTFLOW_")},
           "AGENTFLOW_API_KEY": KEY, "PYTHONPATH": str(ROOT), "POD_NAME": "bench"}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    parts = line.split()
    port = int(parts[3].rsplit(":", 1)[1])
    mport = int(parts[5].rsplit(":", 1)[1])
    return proc, port, mport


def healthz_ok(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runqueue_wait(pid: int) -> float:
    """Seconds the process spent runnable but waiting for a CPU (contention), from /proc/<pid>/schedstat."""
    with open(f"/proc/{pid}/schedstat") as fh:
        return int(fh.read().split()[1]) / 1e9


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bench_startup(starts: int) -> tuple[float, float]:
    times, rss = [], []
    for _ in range(starts):
        t0 = time.perf_counter()
        argv = [sys.executable, "-m", "localcluster.agentflow", "--port", "0", "--metrics-port", "0"]
        env = {**os.environ, "AGENTFLOW_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        port = int(proc.stdout.readline().split()[3].rsplit(":", 1)[1])  # type: ignore[union-attr]
        deadline = t0 + 10
        while not healthz_ok(port):
            if time.perf_counter() > deadline:
                raise SystemExit("server did not become ready within 10 s")
            time.sleep(0.005)
        times.append(time.perf_counter() - t0)
        time.sleep(0.5)
        rss.append(rss_kb(proc.pid) / 1024)
        stop(proc)
    return statistics.median(times), statistics.median(rss)


class StreamClient(asyncio.Protocol):
    """Reads one chunked SSE response; records TTFT, event count and lag from ': ts=' stamps."""

    def __init__(self, body: bytes, port: int, results: list[dict[str, float]], done: asyncio.Future) -> None:
        self.req = (f"POST /api/v1/chat/completions/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"X-API-Key: {KEY}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                    "\r\n").encode() + body
        self.buf = b""
        self.results, self.done = results, done
        self.events = 0
        self.lags: list[float] = []
        self.sent = self.first = 0.0
        self.finished = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.sent = time.time()
        transport.write(self.req)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buf += data
        while True:
            i = self.buf.find(b": ts=")
            if i < 0:
                break
            j = self.buf.index(b"\n", i)
            self.lags.append(now - float(self.buf[i + 5:j]))
            self.events += 1
            if not self.first:
                self.first = now
            self.buf = self.buf[j + 1:]
        if b"[DONE]" in self.buf or b"0\r\n\r\n" in self.buf:
            self._end(now)
        elif len(self.buf) > 65536:
            self.buf = self.buf[-4096:]

    def _end(self, now: float) -> None:
        if not self.finished:
            self.finished = True
            self.results.append({"events": self.events, "ttft": self.first - self.sent, "end": now,
                                 "lags": self.lags})  # type: ignore[dict-item]
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(time.time())


async def run_streams(port: int, streams: int, ramp: float, mport: int = 0,
                      split_at: float = 0.0) -> tuple[list[dict[str, float]], float, float, dict]:
    """Run the streams; with ``split_at`` > 0, read and reset the server's lateness window that many seconds
    after the start (returned as the first phase's stats)."""
    loop = asyncio.get_running_loop()
    first_phase: dict = {}

    async def split() -> None:
        await asyncio.sleep(split_at)
        first_phase.update(await loop.run_in_executor(None, stats_json, mport, True))

    body = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "hello"}]}).encode()
    results: list[dict[str, float]] = []
    futures = []
    t0 = time.time()

    async def one(delay: float) -> None:
        await asyncio.sleep(delay)
        done = loop.create_future()
        futures.append(done)
        await loop.create_connection(lambda: StreamClient(body, port, results, done), "127.0.0.1", port)
        await asyncio.wait_for(done, timeout=60)

    splitter = asyncio.ensure_future(split()) if split_at > 0 else None
    await asyncio.gather(*(one(ramp * i / streams) for i in range(streams)))
    if splitter is not None:
        await splitter
    return results, t0, max(r["end"] for r in results), first_phase


def stats_json(mport: int, reset: bool = False) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", mport, timeout=5)
    conn.request("GET", "/debug/stats" + ("?reset=1" if reset else ""))
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def bench_streams(args: argparse.Namespace) -> None:
    import uvloop

    server_args = ["--debug-stamps", "--ttft", "const:0.2", "--itl", "const:0.02", "--output-tokens",
                   "const:64", "--capacity", str(args.streams * 2), "--ip-rate", "0", "--tenant-rate", "0",
                   "--lifecycle", "graceful", "--drain-idle", "0"]
    proc, port, mport = spawn(server_args, cpu=args.server_cpu, nice=args.nice, rt=args.rt)
    try:
        os.sched_setaffinity(0, {args.client_cpu})
        if args.nice:
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        if args.rt:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(args.rt))
        while not healthz_ok(port):
            time.sleep(0.01)
        stats_json(mport, reset=True)
        cpu0, wait0 = cpu_seconds(proc.pid), runqueue_wait(proc.pid)
        gc.disable()  # client GC pauses would bunch up the ramp's request sends
        results, t0, t1, ramp_stats = uvloop.run(run_streams(port, args.streams, args.ramp, mport,
                                                             split_at=args.ramp + 0.2 + 0.05))
        gc.enable()
        cpu1, wait1 = cpu_seconds(proc.pid), runqueue_wait(proc.pid)
        st = stats_json(mport)
    finally:
        stop(proc)
    lags = [lag for r in results for lag in r["lags"]]  # type: ignore[attr-defined]
    events = [r["events"] for r in results]
    late = st["send_lateness_s"]
    print(f"streams: {len(results)} complete, events per stream min/median {min(events)}/"
          f"{statistics.median(events)} (64 tokens + final chunk + [DONE] = 66 expected)")
    print(f"window: {t1 - t0:.2f} s; server CPU {100 * (cpu1 - cpu0) / (t1 - t0):.1f} % of one core "
          f"(pinned to cpu {args.server_cpu}); runnable but waiting for a CPU (contention): "
          f"{wait1 - wait0:.2f} s")
    print(f"server CPU per event: {1e6 * (cpu1 - cpu0) / max(1, sum(events)):.1f} us (incl. accepting and "
          f"parsing the {len(results)} requests); RSS after the load {st['rss_bytes'] / 2**20:.1f} MiB")
    for phase, lat in (("while streams were still arriving (ramp + TTFT)", ramp_stats["send_lateness_s"]),
                       ("after every stream had started", late)):
        print(f"server send lateness {phase}, over {lat['count']} sends: p50 {1000 * lat['p50']:.2f} ms, "
              f"p99 {1000 * lat['p99']:.2f} ms, max {1000 * lat['max']:.2f} ms")
    print(f"client lag (recv - server stamp) over {len(lags)} events: p50 {1000 * pct(lags, 0.5):.2f} ms, "
          f"p99 {1000 * pct(lags, 0.99):.2f} ms, max {1000 * max(lags):.2f} ms")
    ttfts = [r["ttft"] for r in results]
    print(f"client TTFT (200 ms configured): p50 {1000 * pct(ttfts, 0.5):.1f} ms, "
          f"p99 {1000 * pct(ttfts, 0.99):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--ramp", type=float, default=1.0)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--nice", type=int, default=0, help="nice value for server and client (e.g. -10; root)")
    parser.add_argument("--rt", type=int, default=0, help="SCHED_FIFO priority for server and client (root): "
                        "shields the measurement from other processes on a shared machine")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    if not args.skip_startup:
        ready, rss = bench_startup(args.starts)
        print(f"startup to ready (median of {args.starts}): {1000 * ready:.0f} ms; idle RSS: {rss:.1f} MiB")
    bench_streams(args)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
