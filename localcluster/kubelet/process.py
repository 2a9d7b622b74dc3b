"""Container processes: spawned from one long-lived thread, output pumped into the pod log buffers.

Every child gets PR_SET_PDEATHSIG(SIGKILL) (Linux), so pod processes die with the cluster process even if
it is SIGKILLed. The death signal fires when the *thread* that forked the child exits, hence all spawns go
through one `Spawner` thread that lives as long as the kubelet. Children stay in the cluster's process
group/session, so a harness can kill the whole group as a last resort.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import psutil

__all__ = ["ContainerProcess", "Spawner"]

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def _set() -> None:
        fn(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return _set


class Spawner:
    """Runs every Popen on one dedicated thread (see the module docstring)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[list[str], dict[str, str], Future[subprocess.Popen[bytes]]] | None]
        self._queue = queue.Queue()
        self._preexec = _prctl()
        self._thread = threading.Thread(target=self._run, name="kubelet-spawner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            argv, env, fut = item
            try:
                proc = subprocess.Popen(
                    argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    preexec_fn=self._preexec, close_fds=True,
                )
            except Exception as exc:
                fut.set_exception(exc)
            else:
                fut.set_result(proc)

    def spawn(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        fut: Future[subprocess.Popen[bytes]] = Future()
        self._queue.put((argv, env, fut))
        return fut.result(timeout=30)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(5)


class ContainerProcess:
    """One running container process. `on_line(stream, text)` gets each output line; `on_exit(code)` once."""

    def __init__(
        self,
        spawner: Spawner,
        argv: list[str],
        env: dict[str, str],
        on_line: Callable[[str, str], None],
        on_exit: Callable[[int], None],
    ) -> None:
        self.proc = spawner.spawn(argv, env)
        self.pid = self.proc.pid
        self.started = time.time()
        self._on_line = on_line
        self._on_exit = on_exit
        self._psutil: psutil.Process | None = None
        try:
            self._psutil = psutil.Process(self.pid)
        except psutil.Error:
            pass
        self.last_cpu = 0.0
        self.last_rss = 0
        self._pumps = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, "stderr"), daemon=True),
        ]
        for t in self._pumps:
            t.start()
        self._waiter = threading.Thread(target=self._wait, name=f"container-{self.pid}", daemon=True)
        self._waiter.start()

    def _pump(self, stream: Any, name: str) -> None:
        try:
            for raw in iter(stream.readline, b""):
                self._on_line(name, raw.decode("utf-8", errors="replace").rstrip("\n"))
        except (OSError, ValueError):
            pass

    def _wait(self) -> None:
        code = self.proc.wait()
        for t in self._pumps:
            t.join(2)
        for stream in (self.proc.stdout, self.proc.stderr):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self._on_exit(code)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        """Send `sig` to the process and its descendants."""
        targets: list[int] = []
        if self._psutil is not None:
            try:
                targets = [c.pid for c in self._psutil.children(recursive=True)]
            except psutil.Error:
                targets = []
        if self.proc.poll() is None:
            targets.insert(0, self.pid)
        for pid in targets:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def wait(self, timeout: float) -> bool:
        """True once the process exited (and its output was pumped) within `timeout`."""
        self._waiter.join(max(0.0, timeout))
        return not self._waiter.is_alive()

    def sample(self) -> tuple[float, int] | None:
        """(CPU seconds user+system including children, RSS bytes including children), or None if gone."""
        if self._psutil is None:
            return None
        try:
            with self._psutil.oneshot():
                t = self._psutil.cpu_times()
                cpu = t.user + t.system + t.children_user + t.children_system
                rss = self._psutil.memory_info().rss
            for child in self._psutil.children(recursive=True):
                try:
                    ct = child.cpu_times()
                    cpu += ct.user + ct.system
                    rss += child.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            return None
        self.last_cpu, self.last_rss = cpu, rss
        return cpu, rss
