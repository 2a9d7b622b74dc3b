"""Run the reference server as a real child process (for tests, the harness and benchmarks).

    with ReferenceServer(api_key="k", lifecycle="graceful", args=["--ttft", "const:0.05"]) as srv:
        httpx.post(srv.url + "/api/v1/chat/completions/stream", headers={"X-API-Key": "k"}, ...)

The server binds port 0 (the OS picks free loopback ports, so there is no race between picking and binding);
the actual ports are read from the one line it prints on stdout when listening. The API key reaches the child
through the environment (``AGENTFLOW_API_KEY``), never argv; inherited ``AGENTFLOW_*`` variables are dropped
so the parent's environment cannot change the child's behaviour by accident. ``launcher`` is an argv prefix the
server is started through (the harness passes one that makes it die with afsuite).
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

__all__ = ["ReferenceServer", "ServerStartError"]

_LISTEN = re.compile(r"listening on (?P<host>[^\s:]+):(?P<port>\d+) metrics [^\s:]+:(?P<mport>\d+)")
_REPO_ROOT = str(Path(__file__).resolve().parents[2])


class ServerStartError(RuntimeError):
    """The server process did not become reachable; the message carries its stderr tail."""


class ReferenceServer:
    """Context manager running ``python -m localcluster.agentflow`` on free loopback ports."""

    url: str
    metrics_url: str
    port: int
    metrics_port: int
    pid: int

    def __init__(self, *, api_key: str | None = "test-key", lifecycle: str = "graceful",
                 pod_name: str = "ref-0", args: Sequence[str] = (), env: Mapping[str, str] | None = None,
                 ready_timeout: float = 10.0, launcher: Sequence[str] = ()) -> None:
        self.api_key = api_key
        self.lifecycle = lifecycle
        self.pod_name = pod_name
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.ready_timeout = ready_timeout
        self.launcher = list(launcher)  # argv prefix, e.g. one that makes the server die with its parent
        self.stop_timeout = 10.0
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._proc: subprocess.Popen[str] | None = None
        self._listening = threading.Event()
        self._pumps: list[threading.Thread] = []

    # -- public API -------------------------------------------------------------------------------------
    def __enter__(self) -> ReferenceServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        self._spawn()
        try:
            self._wait_listening(deadline)
            self._wait_healthz(deadline)
        except BaseException:
            self.stop(grace=0.0)
            raise

    def terminate(self) -> None:
        """Send SIGTERM to the server (it starts its shutdown; see --lifecycle)."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """Send SIGKILL to the server's process group."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` s for the process to exit; its exit code, or None if still running."""
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def stop(self, grace: float | None = None) -> int | None:
        """SIGTERM, wait up to ``grace`` (default stop_timeout) s, then SIGKILL; always reaps."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self.terminate()
            if self.wait(self.stop_timeout if grace is None else grace) is None:
                self.kill()
        code = self._proc.wait()
        for pump in self._pumps:
            pump.join(timeout=2.0)
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
        return code

    # -- internals --------------------------------------------------------------------------------------
    def _child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTFLOW_")}
        env.update(self.extra_env)
        env["POD_NAME"] = self.pod_name
        env["AGENTFLOW_LIFECYCLE"] = self.lifecycle
        if self.api_key is not None:
            env["AGENTFLOW_API_KEY"] = self.api_key
        else:
            env.pop("AGENTFLOW_API_KEY", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_REPO_ROOT, env.get("PYTHONPATH", "")) if p)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _spawn(self) -> None:
        argv = [sys.executable, "-m", "localcluster.agentflow", "--host", "127.0.0.1"]
        if "--port" not in self.args:
            argv += ["--port", "0"]
        if "--metrics-port" not in self.args:
            argv += ["--metrics-port", "0"]
        argv = [*self.launcher, *argv, *self.args]
        self._proc = subprocess.Popen(argv, env=self._child_env(), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.pid = self._proc.pid
        self._pumps = [
            threading.Thread(target=self._pump, args=(self._proc.stdout, self.stdout_lines, True), daemon=True),
            threading.Thread(target=self._pump, args=(self._proc.stderr, self.stderr_lines, False), daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream: object, sink: list[str], is_stdout: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.append(line.rstrip("\n"))
            match = _LISTEN.search(line) if is_stdout else None
            if match and not self._listening.is_set():
                self.port = int(match["port"])
                self.metrics_port = int(match["mport"])
                self.url = f"http://127.0.0.1:{self.port}"
                self.metrics_url = f"http://127.0.0.1:{self.metrics_port}"
                self._listening.set()

    def _failure(self, what: str) -> ServerStartError:
        tail = " | ".join(self.stderr_lines[-5:]) or "(no stderr)"
        return ServerStartError(f"reference server {what}; stderr: {tail}")

    def _wait_listening(self, deadline: float) -> None:
        assert self._proc is not None
        while not self._listening.wait(timeout=0.05):
            if self._proc.poll() is not None:
                self._proc.wait()
                raise self._failure(f"exited with code {self._proc.returncode} before listening")
            if time.monotonic() > deadline:
                raise self._failure(f"did not listen within {self.ready_timeout} s")

    def _wait_healthz(self, deadline: float) -> None:
        assert self._proc is not None
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1.0)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            if self._proc.poll() is not None:
                raise self._failure(f"exited with code {self._proc.returncode} before /healthz answered")
            if time.monotonic() > deadline:
                raise self._failure(f"/healthz did not answer within {self.ready_timeout} s")
            time.sleep(0.02)  # poll interval of a deadline-bounded wait, not synchronisation by sleep

    def _signal(self, sig: signal.Signals) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._proc.send_signal(sig)
            except ProcessLookupError:
                pass
