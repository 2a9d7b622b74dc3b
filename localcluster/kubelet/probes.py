"""Container probes (httpGet, tcpSocket, exec) and one worker thread per configured probe, as upstream's
prober: initialDelaySeconds from container start, then every periodSeconds; a result flips only after
failureThreshold / successThreshold consecutive results; liveness and readiness wait for the startup probe;
a failed liveness/startup result holds the worker until the container is restarted."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .lifecycle import prestop_seconds

__all__ = ["ProbeResult", "ProbeWorker", "run_probe"]

STARTUP, READINESS, LIVENESS = "startup", "readiness", "liveness"


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    message: str = ""


def _port(value: Any, ports: dict[str, int]) -> int:
    key = str(value)
    if key not in ports:
        raise ValueError(f"port {value!r} is not a port of the container")
    return ports[key]


def _http(spec: dict[str, Any], ports: dict[str, int], timeout: float) -> ProbeResult:
    port = _port(spec.get("port"), ports)
    path = spec.get("path") or "/"
    url = f"http://127.0.0.1:{port}{path}"
    headers = {h.get("name", ""): h.get("value", "") for h in spec.get("httpHeaders") or ()}
    headers.setdefault("User-Agent", "kube-probe/1.31")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read(10_240)
        if 200 <= resp.status < 400:
            return ProbeResult(True)
        return ProbeResult(False, f"HTTP probe failed with statuscode: {resp.status}")
    except TimeoutError:
        return ProbeResult(
            False, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        )
    except OSError as exc:
        return ProbeResult(False, f'Get "{url}": dial tcp 127.0.0.1:{port}: connect: {exc.strerror or exc}')
    except http.client.HTTPException as exc:
        return ProbeResult(False, f'Get "{url}": {exc!r}')
    finally:
        conn.close()


def _tcp(spec: dict[str, Any], ports: dict[str, int], timeout: float) -> ProbeResult:
    port = _port(spec.get("port"), ports)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return ProbeResult(True)
    except OSError as exc:
        return ProbeResult(False, f"dial tcp 127.0.0.1:{port}: connect: {exc.strerror or exc}")


def _exec(spec: dict[str, Any], timeout: float) -> ProbeResult:
    """Exec probes are simulated, never run on the host: `true`, `false` and `sleep N` (times out when N
    exceeds timeoutSeconds); any other command fails with a message saying so."""
    command = [str(c) for c in spec.get("command") or ()]
    if command and command[0].rsplit("/", 1)[-1] in ("true", "false") and len(command) == 1:
        ok = command[0].endswith("true")
        return ProbeResult(ok, "" if ok else "command terminated with exit code 1")
    seconds = prestop_seconds(command)
    if seconds is None:
        return ProbeResult(False, f"exec probe {command!r} is not supported by the local kubelet "
                                  "(only true, false and sleep N run; use httpGet or tcpSocket)")
    time.sleep(min(seconds, timeout))  # the simulated command's own duration
    if seconds > timeout:
        return ProbeResult(False, f"command {command!r} timed out after {timeout:g}s")
    return ProbeResult(True)


def run_probe(probe: dict[str, Any], ports: dict[str, int]) -> ProbeResult:
    """Run one probe against the container's host ports."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    try:
        if "httpGet" in probe:
            return _http(probe["httpGet"], ports, timeout)
        if "tcpSocket" in probe:
            return _tcp(probe["tcpSocket"], ports, timeout)
        if "exec" in probe:
            return _exec(probe["exec"], timeout)
    except ValueError as exc:
        return ProbeResult(False, str(exc))
    return ProbeResult(False, "probe has no handler (httpGet, tcpSocket or exec)")


class ProbeWorker(threading.Thread):
    """Probes one container. `target()` returns (container id, running since epoch, ports, started) or None
    when the container is not running; `report(kind, ok, result, container_id)` is called whenever the result
    flips (and with kind "unhealthy:<kind>" for every failed probe)."""

    def __init__(
        self,
        kind: str,
        probe: dict[str, Any],
        target: Callable[[], tuple[str, float, dict[str, int], bool] | None],
        report: Callable[[str, bool, ProbeResult, str], None],
    ) -> None:
        super().__init__(name=f"probe-{kind}", daemon=True)
        self.kind, self.probe = kind, probe
        self._get_target, self._report = target, report
        self.period = float(probe.get("periodSeconds") or 10)
        self.delay = float(probe.get("initialDelaySeconds") or 0)
        self.failure_threshold = int(probe.get("failureThreshold") or 3)
        self.success_threshold = int(probe.get("successThreshold") or 1)
        self._halt = threading.Event()
        self._trigger = threading.Event()
        self._cid: str | None = None
        self._result: bool | None = None
        self._last: bool | None = None
        self._run = 0
        self._hold = False
        self._next = 0.0

    def stop(self) -> None:
        self._halt.set()
        self._trigger.set()

    def trigger(self) -> None:
        """Probe now (readiness right after the startup probe succeeded, as upstream)."""
        self._trigger.set()

    def _reset(self, cid: str, since: float) -> None:
        self._cid, self._run, self._last, self._hold = cid, 0, None, False
        self._result = {READINESS: False, LIVENESS: True}.get(self.kind)
        self._next = since + self.delay

    def run(self) -> None:
        while not self._halt.is_set():
            target = self._get_target()
            now = time.time()
            if target is None:
                self._cid = None
                self._wait(0.2)
                continue
            cid, since, ports, started = target
            if cid != self._cid:
                self._reset(cid, since)
            triggered = self._trigger.is_set()
            self._trigger.clear()
            waiting_startup = self.kind != STARTUP and not started
            done_startup = self.kind == STARTUP and started
            if self._hold or waiting_startup or done_startup or (now < self._next and not triggered):
                self._wait(max(0.05, min(self._next - now, 0.5)) if now < self._next else 0.5)
                continue
            if now < since + self.delay:
                self._wait(since + self.delay - now)
                continue
            self._next = now + self.period
            self._observe(run_probe(self.probe, ports))

    def _wait(self, seconds: float) -> None:
        self._trigger.wait(seconds)

    def _observe(self, res: ProbeResult) -> None:
        if self._halt.is_set():
            return
        self._run = self._run + 1 if res.ok == self._last else 1
        self._last = res.ok
        if not res.ok:  # every failed probe is an Unhealthy event upstream
            self._report(f"unhealthy:{self.kind}", False, res, self._cid or "")
        threshold = self.success_threshold if res.ok else self.failure_threshold
        if self._run < threshold or res.ok == self._result:
            return
        self._result = res.ok
        if not res.ok and self.kind in (LIVENESS, STARTUP):
            self._hold, self._run = True, 0
        self._report(self.kind, res.ok, res, self._cid or "")
