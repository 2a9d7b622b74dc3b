"""How many concurrent SSE streams can one Locust process hold with client lag p99 <= 10 ms, per client?

Method
------
- Server (``--server reference``, the default): the suite's ``ReferenceServer`` with ``--debug-stamps`` (every
  event is preceded by ``: ts=<epoch>`` stamped immediately before the bytes go to the socket, so
  ``lag = client receive time - stamp`` on one host clock), ``--itl const:0.02``, ``--output-tokens const:64``,
  TTFT uniform 190-210 ms, rate limits off, capacity unbounded, pinned to the last CPU core. The TTFT spread
  of +-ITL/2 spreads the streams' token phases as real ones are spread (with a constant TTFT and a spawn rate
  of 100/s every stream would tick on two phases 10 ms apart and every client would see bursts of hundreds
  of events at once). ``--server bench`` uses this script's own uvloop SSE server (``serve`` mode, same
  frames, same stamps, same TTFT spread) for when the reference server is not at hand.
- Clients, each in its own process pinned to core 0, at each concurrency (closed loop, zero think time):
  ``ours`` (``loadtests.users.AgentFlowUser`` = StreamingClient, gc tuned, 2 Locust stats entries per stream,
  recording.emit), ``ours_nogc`` (same without the gc tuning), ``fasthttp`` (stock ``FastHttpUser``,
  ``stream=True`` and ``response.stream.readline(b"\\n")``), ``httpuser`` (stock ``HttpUser``, requests
  ``iter_lines``), ``asyncio`` (a plain asyncio+uvloop streams client, not Locust). Every client parses each
  event's JSON (as a real user must, to know whether it carries content) and measures the same things.
  Locust runs ``--headless -u N -r 100`` for ramp + settle + window seconds.
- Measured over the window only (after all users spawned and ``--settle`` s passed): lag p50/p99/max over all
  events, client process CPU seconds (getrusage: user+sys, all threads) / events received = CPU per event,
  TTFT p50 (first content event - request start), and the server processes' CPU % (psutil) to show the
  server was not the limit, and (Locust clients) Python's GC over the window: collections/s, the longest
  pause (ms) and the share of wall time spent collecting. ``ok`` in the table = lag p99 <= 10 ms.
- On a shared machine use ``--rt 10`` (server and clients SCHED_FIFO; every client alike): without it the
  lag tail measures the neighbours, not the client.

Measured (2-core dev VM shared with other work, ``--rt 10 --window 15``, reference server, two repetitions):
highest concurrency with lag p99 <= 10 ms: ``ours`` 500 and 550 (fails at 550 / 600; 25-35 us CPU per event,
0 GC collections), ``fasthttp`` 140 and 140 (fails at 160; 90-106 us per event), ``httpuser`` below 50
(p99 11-12 ms at 50; 102-127 us per event, GC pauses up to 94 ms), ``asyncio`` 400 in one run of two.

``--streams agentic`` (``ours``/``ours_nogc`` against the reference server only): the ``agentic`` profile's mix
and bodies (agent runs of median 20 s through the server's agent loop: model turns, tool pauses, status and tool
frames; multi-turn chat sessions), everything else as above. Measured (same machine, ``--rt 10 --window 15``, 3
repetitions): lag p99 0.2 ms and 2-4 % of a core at 20 and 40 streams (the demos' user counts), 1.6 ms at 600,
within 10 ms at 700, the edge at 800 (1 run of 3 within); 31-37 us per event at 400-600 streams (chat: 23-27 us).

``io-floor`` mode (``bench_load_clients.py --nice -10 io-floor --streams 300``) measures why the client reads
inside the hub: CPU per socket wake-up of a greenlet-per-read reader, a read-watcher callback and a uvloop
Protocol, none parsing anything (see :func:`io_floor`).

This file is over 400 lines because it is self-contained on purpose: its own server, the locustfile of the
Locust clients, the asyncio client and the io-floor probes travel together with the method they implement.

Run: ``.venv/bin/python benchmarks/bench_load_clients.py --rt 10`` (defaults: all clients, 100..500 streams;
``--clients ours,fasthttp --levels 300,400,500 --window 15``; agentic: ``--streams agentic --clients ours --levels
20,40,100,200,400,600``). The script prints the load average first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/v1/chat/completions/stream"


# ----------------------------------------------------------------------------------------------- server
def serve(port: int, ttft: float, itl: float, events: int) -> None:
    """The benchmark SSE server (runs until SIGTERM)."""
    import asyncio

    import uvloop

    payload = json.dumps({"id": "chatcmpl-bench", "provider": "bench", "model": "bench-llm",
                          "delta": {"content": "token "}}, separators=(",", ":")).encode()
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            b"X-Accel-Buffering: no\r\nX-AgentFlow-Pod: bench-0\r\nTransfer-Encoding: chunked\r\n\r\n")

    class Proto(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.t = transport
            self.buf = b""
            self.busy = False

        def data_received(self, data: bytes) -> None:
            self.buf += data
            if self.busy:
                return
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in self.buf[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length:]
            self.busy = True
            self.t.write(head)
            self.n = 0
            self.t0 = loop.time() + ttft + random.uniform(-itl / 2, itl / 2)
            loop.call_at(self.t0, self.tick)

        def tick(self) -> None:
            if self.t.is_closing():
                return
            if self.n < events:
                body = b": ts=%.6f\ndata: %s\n\n" % (time.time(), payload)
                self.t.write(b"%x\r\n%s\r\n" % (len(body), body))
                self.n += 1
                loop.call_at(self.t0 + self.n * itl, self.tick)
                return
            body = b": ts=%.6f\ndata: [DONE]\n\n" % time.time()
            self.t.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            self.busy = False
            if self.buf:
                self.data_received(b"")

    async def main() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        server = await loop.create_server(Proto, sock=sock, backlog=4096)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        server.close()

    loop = uvloop.new_event_loop()
    loop.run_until_complete(main())


# ----------------------------------------------------------------------------------------- locustfile
LOCUSTFILE = r'''
import gc, json, os, resource, time
import gevent
from locust import FastHttpUser, HttpUser, constant, events, task

KIND = os.environ["BENCH_CLIENT"]
OUT = os.environ["BENCH_OUT"]
WIN = (float(os.environ["BENCH_WIN_START"]), float(os.environ["BENCH_WIN_END"]))
LAGS, TTFTS = [], []
PATH = "%(path)s"
BODY = json.dumps({"model": "bench-llm", "messages": [{"role": "user", "content": "say something " * 20}],
                   "max_tokens": 64}).encode()
HEADERS = {"Content-Type": "application/json", "Accept": "text/event-stream", "X-API-Key": "bench"}


def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


GC = {"n": 0, "total": 0.0, "max": 0.0, "t": 0.0}


def _gc_pause(phase, _info):
    if phase == "start":
        GC["t"] = time.perf_counter()
    else:
        d = time.perf_counter() - GC["t"]
        GC["n"] += 1
        GC["total"] += d
        GC["max"] = max(GC["max"], d)


gc.callbacks.append(_gc_pause)


def _pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _window():
    gevent.sleep(max(0.0, WIN[0] - time.time()))
    LAGS.clear(); TTFTS.clear(); GC.update(n=0, total=0.0, max=0.0)
    cpu0, t0 = _cpu(), time.time()
    gevent.sleep(max(0.0, WIN[1] - time.time()))
    cpu1, t1 = _cpu(), time.time()
    lags, ttfts = list(LAGS), list(TTFTS)
    with open(OUT, "w") as f:
        json.dump({"events": len(lags), "cpu_s": cpu1 - cpu0, "wall_s": t1 - t0,
                   "lag_p50": _pct(lags, 0.5), "lag_p99": _pct(lags, 0.99), "lag_max": max(lags, default=None),
                   "ttft_p50": _pct(ttfts, 0.5), "streams": len(ttfts), "gc_n": GC["n"],
                   "gc_max": GC["max"], "gc_total": GC["total"]}, f)


@events.init.add_listener
def _init(environment, **_kw):
    gevent.spawn(_window)
    if KIND.startswith("ours"):
        def on_request(request_type, response_time, exception=None, **_k):
            if request_type == "TTFT" and exception is None:
                TTFTS.append(response_time / 1000.0)
        environment.events.request.add_listener(on_request)


def _consume(lines, t0):
    """Shared per-line work of the stock clients: stamps, JSON of each data line, TTFT."""
    stamp = None
    first = True
    for line in lines:
        if not line:
            continue
        now = time.time()
        if line.startswith(b": ts="):
            stamp = float(line[5:])
        elif line.startswith(b"data:"):
            if stamp is not None:
                LAGS.append(now - stamp)
            data = line[5:].strip()
            if data == b"[DONE]":
                return
            obj = json.loads(data)
            if first and obj.get("delta", {}).get("content"):
                TTFTS.append(now - t0)
                first = False


if KIND.startswith("ours"):
    from loadtests.bodies import BodyConfig
    from loadtests.users import AgentFlowUser

    if os.environ.get("BENCH_STREAMS") == "agentic":
        from loadtests.profiles import load_profile

        AGENTIC = load_profile("agentic")

    class Ours(AgentFlowUser):
        gc_tuning = KIND == "ours"
        if os.environ.get("BENCH_STREAMS") == "agentic":  # the agentic profile's mix and bodies
            mix = dict(AGENTIC.mix)
            body = AGENTIC.bodies
        else:
            body = BodyConfig(prompt_chars={"dist": "const", "value": 240}, max_tokens={"dist": "const", "value": 64})

        def on_start(self):
            super().on_start()
            self.client.lag_sink = LAGS

elif KIND == "fasthttp":
    class Fast(FastHttpUser):
        wait_time = constant(0)

        @task
        def t(self):
            t0 = time.time()
            with self.client.post(PATH, data=BODY, headers=HEADERS, stream=True, catch_response=True) as r:
                stream = r.stream
                _consume(iter(lambda: stream.readline(b"\n"), b""), t0)

elif KIND == "httpuser":
    class Http(HttpUser):
        wait_time = constant(0)

        @task
        def t(self):
            t0 = time.time()
            with self.client.post(PATH, data=BODY, headers=HEADERS, stream=True, catch_response=True) as r:
                _consume(r.iter_lines(), t0)
'''


# ------------------------------------------------------------------------------------- asyncio client
def asyncio_client(url: str, users: int, spawn: float, win_start: float, win_end: float, out: str) -> None:
    """Plain asyncio + uvloop streams client (no Locust): the ceiling for a Python client on one core."""
    import asyncio
    import resource

    import uvloop

    host, port = url.split("//")[1].split(":")
    body = json.dumps({"model": "bench-llm", "messages": [{"role": "user", "content": "say something " * 20}],
                       "max_tokens": 64}).encode()
    req = (f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nX-API-Key: bench\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    lags: list[float] = []
    ttfts: list[float] = []

    async def user() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.time() < win_end:
            t0 = time.time()
            writer.write(req)
            while (await reader.readline()) not in (b"\r\n", b"\n"):
                pass
            stamp, first = None, True
            while True:
                line = await reader.readline()
                now = time.time()
                if line.startswith(b": ts="):
                    stamp = float(line[5:])
                elif line.startswith(b"data:"):
                    if stamp is not None:
                        lags.append(now - stamp)
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        break
                    obj = json.loads(data)
                    if first and obj.get("delta", {}).get("content"):
                        ttfts.append(now - t0)
                        first = False
            while (await reader.readline()) != b"0\r\n":
                pass
            await reader.readline()
        writer.close()

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    async def main() -> None:
        tasks = []
        for _ in range(users):
            tasks.append(asyncio.ensure_future(user()))
            await asyncio.sleep(1.0 / spawn)
        await asyncio.sleep(max(0.0, win_start - time.time()))
        lags.clear()
        ttfts.clear()
        cpu0, t0 = cpu(), time.time()
        await asyncio.sleep(max(0.0, win_end - time.time()))
        cpu1, t1 = cpu(), time.time()
        result = _summary(list(lags), list(ttfts), cpu1 - cpu0, t1 - t0)
        Path(out).write_text(json.dumps(result))
        for task in tasks:
            task.cancel()

    uvloop.new_event_loop().run_until_complete(main())


def _summary(lags: list[float], ttfts: list[float], cpu_s: float, wall_s: float) -> dict:
    def pct(values: list[float], q: float) -> float | None:
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))] if values else None

    return {"events": len(lags), "cpu_s": cpu_s, "wall_s": wall_s, "lag_p50": pct(lags, 0.5),
            "lag_p99": pct(lags, 0.99), "lag_max": max(lags, default=None), "ttft_p50": pct(ttfts, 0.5),
            "streams": len(ttfts)}


# ---------------------------------------------------------------------------------------------- io floor
def io_floor(variant: str, port: int, users: int, seconds: float) -> None:
    """The I/O floor of three ways to read SSE in Python: no parsing, count events, CPU per wake-up.

    ``greenlet``: each stream's greenlet waits on the read watcher, then recv (a switch per event, like any
    blocking-style gevent client); ``callback``: a read-watcher callback reads inside the hub (what
    StreamingClient does); ``uvloop``: an asyncio Protocol on uvloop (what a dedicated uvloop thread would do).
    """
    import resource

    req = (b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" % PATH.encode())
    counts = {"events": 0, "recvs": 0}

    def on_data(data: bytes) -> bool:
        counts["recvs"] += 1
        time.time()
        counts["events"] += data.count(b"data:")
        return data.endswith(b"0\r\n\r\n")

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def measure(sleep: object) -> None:
        sleep(3.0)  # type: ignore[operator]
        counts.update(events=0, recvs=0)
        c0, t0 = cpu(), time.time()
        sleep(seconds)  # type: ignore[operator]
        used = cpu() - c0
        print(f"{variant:9s} streams {users:4d} recvs/s {counts['recvs'] / (time.time() - t0):8.0f} "
              f"us/recv {1e6 * used / max(counts['recvs'], 1):6.1f} cpu% {100 * used / (time.time() - t0):5.1f}")

    if variant == "uvloop":
        import asyncio

        import uvloop

        class Proto(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.t = transport
                transport.write(req)  # type: ignore[attr-defined]

            def data_received(self, data: bytes) -> None:
                if on_data(data):
                    self.t.write(req)  # type: ignore[attr-defined]

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for _ in range(users):
                await loop.create_connection(Proto, "127.0.0.1", port)
            await loop.run_in_executor(None, measure, time.sleep)

        uvloop.run(main())
        return
    import gevent
    from gevent.event import Event
    from gevent.hub import get_hub

    def user() -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        hub = get_hub()
        io = hub.loop.io(sock.fileno(), 1)
        while True:
            sock.send(req)
            if variant == "greenlet":
                while True:
                    hub.wait(io)
                    if on_data(sock.recv(65536)):
                        break
            else:
                done = Event()

                def callback(done: Event = done) -> None:
                    if on_data(sock.recv(65536)):
                        io.stop()
                        done.set()

                io.start(callback)
                done.wait()

    for _ in range(users):
        gevent.spawn(user)
    measure(gevent.sleep)


# ------------------------------------------------------------------------------------------------ driver
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nice(args: argparse.Namespace) -> list[str]:
    if args.rt:
        return ["chrt", "-f", str(args.rt)]
    return ["nice", "-n", str(args.nice)] if args.nice else []


def _cores() -> tuple[str, str]:
    cores = sorted(os.sched_getaffinity(0))
    return str(cores[0]), str(cores[-1])


def _start_servers(args: argparse.Namespace, server_core: str) -> tuple[str, list[subprocess.Popen]]:
    port = _free_port()
    procs = []
    for _ in range(args.servers):
        cmd = [*_nice(args), "taskset", "-c", server_core, sys.executable, __file__, "serve", "--port", str(port),
               "--ttft", str(args.ttft), "--itl", str(args.itl), "--events", str(args.events)]
        procs.append(subprocess.Popen(cmd, start_new_session=True))
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.time() > deadline:
                raise RuntimeError("benchmark server did not start") from None
            time.sleep(0.05)  # deadline-bounded poll for the port
    return f"http://127.0.0.1:{port}", procs


def _client_cmd(kind: str, url: str, users: int, args: argparse.Namespace, locustfile: Path, out: Path,
                win: tuple[float, float], run_s: float, core: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, BENCH_CLIENT=kind, BENCH_OUT=str(out), BENCH_WIN_START=str(win[0]),
               BENCH_WIN_END=str(win[1]), PYTHONPATH=str(ROOT), AGENTFLOW_API_KEY="bench", BENCH_STREAMS=args.streams)
    pin = [*_nice(args), "taskset", "-c", core]
    if kind == "asyncio":
        cmd = [*pin, sys.executable, __file__, "asyncio-client", "--url", url, "--users", str(users),
               "--spawn", str(args.spawn), "--win-start", str(win[0]), "--win-end", str(win[1]), "--out", str(out)]
        return cmd, env
    locust = str(Path(sys.executable).with_name("locust"))
    cmd = [*pin, locust, "-f", str(locustfile), "--headless", "-u", str(users), "-r", str(args.spawn),
           "-t", f"{int(run_s)}s", "--host", url, "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "0"]
    return cmd, env


def _start_reference(args: argparse.Namespace, server_core: str) -> tuple[str, list[int], object]:
    """The suite's reference server (``--debug-stamps``, rate limits off), pinned to the server core."""
    from localcluster.agentflow.process import ReferenceServer

    low, high = args.ttft - args.itl / 2, args.ttft + args.itl / 2
    shape = ["--output-tokens", f"const:{args.events}", "--tool-call-prob", "0"] if args.streams == "chat" else []
    srv = ReferenceServer(api_key="bench", pod_name="bench-0", args=[
        "--debug-stamps", "--ttft", f"uniform:min={low},max={high}", "--itl", f"const:{args.itl}",
        "--ip-rate", "0", "--tenant-rate", "0", "--capacity", "100000", "--lifecycle", "graceful", *shape])
    srv.start()
    os.sched_setaffinity(srv.pid, {int(server_core)})
    if args.rt:
        os.sched_setscheduler(srv.pid, os.SCHED_FIFO, os.sched_param(args.rt))
    elif args.nice:
        os.setpriority(os.PRIO_PROCESS, srv.pid, args.nice)
    return srv.url, [srv.pid], srv


def _run_point(kind: str, users: int, url: str, servers: list[int], args: argparse.Namespace,
               tmp: Path, core: str) -> dict:
    import psutil

    locustfile = tmp / "bench_locustfile.py"
    out = tmp / f"{kind}-{users}.json"
    out.unlink(missing_ok=True)
    start = time.time() + 2.0  # process start-up
    win = (start + users / args.spawn + args.settle, start + users / args.spawn + args.settle + args.window)
    run_s = win[1] - time.time() + 2.0
    cmd, env = _client_cmd(kind, url, users, args, locustfile, out, win, run_s, core)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    srv = [psutil.Process(pid) for pid in servers]
    try:
        time.sleep(max(0.0, win[0] - time.time()))  # benchmark pacing, not test synchronisation
        s0 = sum(p.cpu_times().user + p.cpu_times().system for p in srv)
        time.sleep(max(0.0, win[1] - time.time()))
        s1 = sum(p.cpu_times().user + p.cpu_times().system for p in srv)
        proc.wait(timeout=run_s + 30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if not out.exists():
        err = (proc.stderr.read().decode() if proc.stderr else "")[-800:]
        return {"kind": kind, "users": users, "error": f"no result (exit {proc.returncode}): {err}"}
    result = json.loads(out.read_text())
    result.update(kind=kind, users=users, server_cpu_pct=100.0 * (s1 - s0) / args.window)
    return result


def _io_floor(args: argparse.Namespace) -> None:
    """Run each io-floor variant in its own process pinned to the client core, against the bench server."""
    client_core, server_core = _cores()
    args.servers = 1
    url, procs = _start_servers(args, server_core)
    port = url.rsplit(":", 1)[1]
    try:
        for variant in args.variant.split(","):
            subprocess.run([*_nice(args), "taskset", "-c", client_core, sys.executable, __file__, "io-floor-run",
                            variant, port, str(args.streams), str(args.seconds)], check=True, timeout=120)
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)


def _row(r: dict) -> str:
    if "error" in r:
        return f"{r['kind']:10s} {r['users']:5d}  ERROR {r['error']}"

    def ms(v: float | None) -> str:
        return "   n/a" if v is None else f"{v * 1000:6.1f}"

    per_event = 1e6 * r["cpu_s"] / r["events"] if r["events"] else float("nan")
    gc_text = (f"{r['gc_n'] / r['wall_s']:5.1f} {ms(r['gc_max'])} {100 * r['gc_total'] / r['wall_s']:5.1f}"
               if "gc_n" in r else "    -      -     -")
    ok = "ok" if r["lag_p99"] is not None and r["lag_p99"] <= 0.010 else "--"
    return (f"{r['kind']:10s} {r['users']:5d} {ms(r['lag_p50'])} {ms(r['lag_p99'])} {ms(r['lag_max'])} "
            f"{per_event:8.1f} {100 * r['cpu_s'] / r['wall_s']:6.1f} {ms(r['ttft_p50'])} {r['events']:8d} "
            f"{r['server_cpu_pct']:6.1f} {gc_text}  {ok}")


def main() -> None:
    if sys.argv[1:2] == ["io-floor-run"]:
        io_floor(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode")
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    for p in (parser, s):
        p.add_argument("--ttft", type=float, default=0.2)
        p.add_argument("--itl", type=float, default=0.02)
        p.add_argument("--events", type=int, default=64)
    f = sub.add_parser("io-floor", help="CPU per wake-up of greenlet / callback / uvloop readers (no parsing)")
    f.add_argument("--streams", type=int, default=300)
    f.add_argument("--seconds", type=float, default=8.0)
    f.add_argument("--variant", default="greenlet,callback,uvloop")
    a = sub.add_parser("asyncio-client")
    for name, kind in (("--url", str), ("--users", int), ("--spawn", float), ("--win-start", float),
                       ("--win-end", float), ("--out", str)):
        a.add_argument(name, type=kind, required=True)
    parser.add_argument("--clients", default="ours,ours_nogc,fasthttp,httpuser,asyncio")
    parser.add_argument("--levels", default="100,200,300,400,500")
    parser.add_argument("--streams", choices=("chat", "agentic"), default="chat",
                        help="chat: 64-event chat streams (the table in the README); agentic: the `agentic` "
                        "profile's mix and bodies (agent runs of median 20 s with tool pauses and status frames, "
                        "multi-turn chat sessions), `ours`/`ours_nogc` clients and the reference server only")
    parser.add_argument("--spawn", type=float, default=100.0, help="users started per second")
    parser.add_argument("--settle", type=float, default=4.0, help="seconds after the ramp before measuring")
    parser.add_argument("--window", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--servers", type=int, default=1, help="benchmark server processes")
    parser.add_argument("--server", choices=("bench", "reference"), default="reference",
                        help="bench: this script's uvloop SSE server; reference: localcluster's ReferenceServer")
    parser.add_argument("--nice", type=int, default=0,
                        help="run server and clients under `nice -n N` (negative needs root): less noise from "
                        "other work on a shared machine; applies to every client alike")
    parser.add_argument("--rt", type=int, default=0,
                        help="run server and clients SCHED_FIFO at this priority (`chrt -f`, needs root; the "
                        "kernel's RT throttling still leaves 5%% of each core to others): removes most scheduling "
                        "noise of a shared machine; applies to every client alike")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.port, args.ttft, args.itl, args.events)
        return
    if args.mode == "io-floor":
        _io_floor(args)
        return
    if args.mode == "asyncio-client":
        asyncio_client(args.url, args.users, args.spawn, args.win_start, args.win_end, args.out)
        return
    stock = set(args.clients.split(",")) - {"ours", "ours_nogc"}
    if args.streams == "agentic" and (args.server != "reference" or stock):
        parser.error("--streams agentic: only the suite's clients (--clients ours,ours_nogc) speak the agent "
                     "endpoints, and only the reference server (--server reference) runs the agent loop")
    client_core, server_core = _cores()
    print(f"streams: {args.streams}; load average before: {os.getloadavg()}; client core {client_core}, "
          f"server core {server_core}; "
          f"nice {args.nice}; rt {args.rt}; "
          f"{args.events} events every {args.itl * 1000:.0f} ms after {args.ttft * 1000:.0f} ms", flush=True)
    if args.server == "reference":
        url, pids, reference = _start_reference(args, server_core)
        procs: list[subprocess.Popen] = []
    else:
        url, procs = _start_servers(args, server_core)
        pids, reference = [p.pid for p in procs], None
    print(f"server: {args.server} ({len(pids)} process(es)) at {url}", flush=True)
    print("client      conc  lag50  lag99 lagmax us/event   cpu%  ttft50   events srvcpu%  gc/s gcmax  gc%  p99<=10ms",
          flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            (tmp / "bench_locustfile.py").write_text(LOCUSTFILE % {"path": PATH})
            for kind in args.clients.split(","):
                for users in (int(x) for x in args.levels.split(",")):
                    print(_row(_run_point(kind, users, url, pids, args, tmp, client_core)), flush=True)
    finally:
        if reference is not None:
            reference.stop()  # type: ignore[attr-defined]
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
