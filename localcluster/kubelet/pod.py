"""One pod on one node: a worker thread that runs its containers, probes them, writes the pod's status,
restarts containers (restartPolicy, CrashLoopBackOff) and carries out graceful deletion.

Over 300 lines because the pod lifecycle (start, restart, probe verdicts, termination, node failure) is one
state machine that must stay under one lock; process stopping lives in lifecycle.py, probing in probes.py,
the status shape in status.py.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcluster.api import MemoryPodLogs, NotFound, Store

from .config import PORTS_ANNOTATION, KubeletConfig
from .container import Container
from .env import ConfigError, container_env
from .events import EventWriter
from .images import ImageNotFound, PortAllocator, container_ports, launch_spec
from .lifecycle import stop_process
from .probes import LIVENESS, READINESS, STARTUP, ProbeResult, ProbeWorker
from .process import ContainerProcess, Spawner
from .status import pod_status

__all__ = ["PodContext", "PodWorker"]

log = logging.getLogger(__name__)
_PROBES = ((STARTUP, "startupProbe"), (READINESS, "readinessProbe"), (LIVENESS, "livenessProbe"))


class PodGone(Exception):
    """The pod object is no longer in the store (or was replaced by another with the same name)."""


@dataclass
class PodContext:
    """What every pod worker shares with its kubelet."""

    store: Store
    config: KubeletConfig
    logs: MemoryPodLogs
    events: EventWriter
    spawner: Spawner
    ports: PortAllocator
    secrets: Mapping[tuple[str, str], Mapping[str, str]]


class PodWorker(threading.Thread):
    def __init__(self, ctx: PodContext, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        super().__init__(name=f"pod-{meta['name']}", daemon=True)
        self.ctx = ctx
        self.pod = pod
        self.uid, self.namespace, self.pod_name = meta["uid"], meta["namespace"], meta["name"]
        self.node = pod["spec"]["nodeName"]
        self.grace = int(pod["spec"].get("terminationGracePeriodSeconds", 30))
        self.restart_policy = pod["spec"].get("restartPolicy", "Always")
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self.deadline: float | None = None
        self.frozen = False
        self._thaw = False
        self.gone = False
        self.shutting_down = False
        self.start_time = time.time()
        self.containers: list[Container] = []
        self.host_ports: dict[str, int] = {}
        self._probes: list[ProbeWorker] = []
        self._stoppers: list[threading.Thread] = []
        self._written: tuple[list[dict[str, Any]], float] | None = None  # (container statuses, start time)

    # ------------------------------------------------------------------------------------------ external
    def request_delete(self, grace: int) -> None:
        """Graceful deletion (or a shorter grace for one in progress)."""
        with self._lock:
            deadline = time.time() + max(0, grace)
            self.deadline = deadline if self.deadline is None else min(self.deadline, deadline)
        self._wake.set()

    def freeze(self) -> None:
        """The node failed: SIGKILL every process now, stop probing and writing status."""
        with self._lock:
            self.frozen = True
            procs = [c.proc for c in self.containers if c.proc is not None]
        for proc in procs:
            proc.signal(signal.SIGKILL)
        self._wake.set()

    def thaw(self) -> None:
        """The node recovered: restart what the failure killed (or finish a pending deletion)."""
        with self._lock:
            if self.frozen:
                self.frozen, self._thaw = False, True
        self._wake.set()

    def mark_gone(self) -> None:
        """The pod object was removed from the store."""
        self.gone = True
        self.request_delete(min(self.grace, 10))

    def processes(self) -> list[ContainerProcess]:
        with self._lock:
            return [c.proc for c in self.containers if c.proc is not None]

    def sample(self) -> tuple[float, int] | None:
        """(CPU seconds of every process this pod ran, current RSS bytes), None when nothing runs."""
        with self._lock:
            running = [(c.proc, c.cpu_base) for c in self.containers if c.proc is not None]
            base = sum(c.cpu_base for c in self.containers)
        if not running:
            return None
        cpu, rss = base, 0
        for proc, _ in running:
            got = proc.sample() if proc is not None else None
            if got is not None:
                cpu, rss = cpu + got[0], rss + got[1]
        return cpu, rss

    def port_of(self, port: str | int) -> int | None:
        return self.host_ports.get(str(port))

    # ------------------------------------------------------------------------------------------ main loop
    def run(self) -> None:
        try:
            self._setup()
            self._loop()
        except PodGone:
            self._kill_everything()
        except Exception:
            log.exception("pod worker %s/%s failed", self.namespace, self.pod_name)
            self._kill_everything()
        finally:
            self._cleanup()

    def _setup(self) -> None:
        for spec in self.pod["spec"].get("containers") or ():
            ports = container_ports(spec, self.ctx.ports)
            self.containers.append(Container(spec, ports))
            for key, value in ports.items():
                self.host_ports.setdefault(key, value)
        annotation = {PORTS_ANNOTATION: _json(self.host_ports)}
        self._patch_meta(annotation)
        for c in self.containers:
            for kind, field in _PROBES:
                if c.spec.get(field):
                    worker = ProbeWorker(kind, c.spec[field], self._probe_target(c), self._probe_reporter(c))
                    self._probes.append(worker)
                    worker.start()
        self._write_status()

    def _loop(self) -> None:
        while True:
            if self.shutting_down:
                return
            if self.frozen:
                if self.gone:
                    return
                self._wait(1.0)
                continue
            if self._thaw:
                self._after_thaw()
            self._reap()
            if self.deadline is not None:
                self._terminate()
                return
            self._start_due()
            self._write_status()
            self._wait(self._next_wake())

    def _wait(self, seconds: float) -> None:
        self._wake.wait(max(0.01, seconds))
        self._wake.clear()

    def _next_wake(self) -> float:
        now, out = time.time(), 2.0
        with self._lock:
            for c in self.containers:
                if c.proc is None and c.backoff_until > now:
                    out = min(out, c.backoff_until - now)
        return out

    # ------------------------------------------------------------------------------------------ containers
    def _reap(self) -> None:
        now = time.time()
        with self._lock:
            exited = [c for c in self.containers if c.exit_code is not None]
        for c in exited:
            with self._lock:
                killed_by = c.kill_reason
                code = c.exit_code if c.exit_code is not None else 0
                c.set_exited(code)
                restart = self.restart_policy == "Always" or (self.restart_policy == "OnFailure" and code != 0)
                restart = restart or killed_by in (LIVENESS, STARTUP, "node")
                c.want_run = restart and self.deadline is None
                if not c.want_run:
                    continue
                if killed_by == "node":
                    c.backoff_until = now
                    continue
                delay = c.schedule_restart(now, self.ctx.config.backoff_base, self.ctx.config.backoff_max,
                                           self.ctx.config.backoff_reset)
            if delay > 0:
                self._backoff(c, delay)

    def _backoff(self, c: Container, delay: float) -> None:
        msg = (f"back-off {_dur(delay)} restarting failed container={c.name} "
               f"pod={self.pod_name}_{self.namespace}({self.uid})")
        with self._lock:
            c.state = {"waiting": {"reason": "CrashLoopBackOff", "message": msg}}
        self.ctx.events.pod_event(self.pod, "BackOff", "Back-off restarting failed container "
                                  f"{c.name} in pod {self.pod_name}_{self.namespace}({self.uid})",
                                  container=c.name, warning=True)

    def _start_due(self) -> None:
        now = time.time()
        for c in self.containers:
            with self._lock:
                due = c.proc is None and not c.stopping and c.want_run and now >= c.backoff_until
            if due:
                self._start(c)

    def _start(self, c: Container) -> None:
        ev = self.ctx.events
        try:
            launch = launch_spec(c.spec, c.ports, self.ctx.config.python)
            env = container_env(self.pod, c.spec, self.ctx.secrets)
        except ImageNotFound as exc:
            self._image_failure(c, str(exc))
            return
        except ConfigError as exc:
            with self._lock:
                c.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(exc)}}
                c.backoff_until = time.time() + self.ctx.config.backoff_base
            ev.pod_event(self.pod, "Failed", f"Error: {exc}", container=c.name, warning=True)
            return
        ev.pod_event(self.pod, "Pulled", f'Container image "{c.image}" already present on machine',
                     container=c.name)
        if c.starts:
            self.ctx.logs.restart(self.namespace, self.pod_name, c.name)
        proc = ContainerProcess(self.ctx.spawner, launch.argv, env, self._log_sink(c), self._exit_sink(c))
        with self._lock:
            c.set_running(proc)
            if self.frozen:  # the node failed while this process was being spawned
                proc.signal(signal.SIGKILL)
        ev.pod_event(self.pod, "Created", f"Created container {c.name}", container=c.name)
        ev.pod_event(self.pod, "Started", f"Started container {c.name}", container=c.name)

    def _image_failure(self, c: Container, message: str) -> None:
        with self._lock:
            first = c.state.get("waiting", {}).get("reason") != "ErrImagePull"
            reason = "ErrImagePull" if first else "ImagePullBackOff"
            c.state = {"waiting": {"reason": reason, "message": message}}
            c.backoff_until = time.time() + self.ctx.config.backoff_base
            c.want_run = first
        if first:
            self.ctx.events.pod_event(self.pod, "Failed", message, container=c.name, warning=True)
            self.ctx.events.pod_event(self.pod, "Failed", "Error: ErrImagePull", container=c.name, warning=True)
        else:
            self.ctx.events.pod_event(self.pod, "BackOff", f'Back-off pulling image "{c.image}"',
                                      container=c.name)
            self.ctx.events.pod_event(self.pod, "Failed", "Error: ImagePullBackOff", container=c.name,
                                      warning=True)

    def _log_sink(self, c: Container) -> Any:
        logs, ns, name = self.ctx.logs, self.namespace, self.pod_name

        def _line(_stream: str, text: str) -> None:
            logs.append(ns, name, c.name, text)

        return _line

    def _exit_sink(self, c: Container) -> Any:
        def _exit(code: int) -> None:
            with self._lock:
                c.exit_code = code
            self._wake.set()

        return _exit

    # ------------------------------------------------------------------------------------------ probes
    def _probe_target(self, c: Container) -> Any:
        def _get() -> tuple[str, float, dict[str, int], bool] | None:
            with self._lock:
                return None if self.frozen or (c.stopping and c.kill_reason) else c.probe_target()

        return _get

    def _probe_reporter(self, c: Container) -> Any:
        def _report(kind: str, ok: bool, res: ProbeResult, cid: str) -> None:
            self._on_probe(c, kind, ok, res, cid)

        return _report

    def _on_probe(self, c: Container, kind: str, ok: bool, res: ProbeResult, cid: str) -> None:
        if kind.startswith("unhealthy:"):
            label = kind.split(":", 1)[1].capitalize()
            self.ctx.events.pod_event(self.pod, "Unhealthy", f"{label} probe failed: {res.message}",
                                      container=c.name, warning=True)
            return
        with self._lock:
            if cid != c.cid or c.proc is None:
                return
            if kind == READINESS:
                c.ready = ok and c.started
            elif kind == STARTUP and ok:
                c.started = True
                c.ready = not c.has_readiness_probe
                for w in self._probes:
                    if w.kind == READINESS:
                        w.trigger()
            elif not ok:
                self._kill_for_restart(c, kind)
        self._wake.set()

    def _kill_for_restart(self, c: Container, kind: str) -> None:
        probe = c.spec.get(f"{kind}Probe") or {}
        grace = probe.get("terminationGracePeriodSeconds", self.grace)
        c.ready = False
        c.kill_reason = kind
        self.ctx.events.pod_event(self.pod, "Killing", f"Container {c.name} failed {kind} probe, will be restarted",
                                  container=c.name)
        deadline = time.time() + float(grace)
        self._launch_stopper(c, lambda: min(deadline, self.deadline or deadline), prestop=True)

    def _launch_stopper(self, c: Container, deadline: Any, prestop: bool) -> None:
        proc = c.proc
        if proc is None or c.stopping:
            return
        c.stopping = True
        hook = ((c.spec.get("lifecycle") or {}).get("preStop")) if prestop else None

        def _err(message: str) -> None:
            self.ctx.events.pod_event(self.pod, "FailedPreStopHook", message, container=c.name, warning=True)

        t = threading.Thread(target=stop_process, args=(proc, deadline, hook, c.ports, _err),
                             name=f"stop-{self.pod_name}-{c.name}", daemon=True)
        self._stoppers.append(t)
        t.start()

    # ------------------------------------------------------------------------------------------ termination
    def _terminate(self) -> None:
        with self._lock:
            for c in self.containers:
                c.want_run = False
                if c.proc is not None and not c.stopping and not self.gone:
                    self.ctx.events.pod_event(self.pod, "Killing", f"Stopping container {c.name}", container=c.name)
                if c.proc is not None:
                    self._launch_stopper(c, lambda: self.deadline or time.time(), prestop=not self.gone)
        while True:
            self._reap()
            with self._lock:
                running = any(c.proc is not None for c in self.containers)
            if not running and not self.frozen:
                break
            if self.shutting_down or (self.gone and not running):
                return
            if not self.frozen:
                self._write_status()
            self._wait(0.5)
        if self.gone:
            return
        self._write_status()
        try:
            self.ctx.store.delete("pods", self.namespace, self.pod_name, preconditions={"uid": self.uid})
        except NotFound:
            pass
        except Exception as exc:  # a uid precondition conflict: another pod took the name
            log.debug("final delete of %s/%s: %s", self.namespace, self.pod_name, exc)

    def _after_thaw(self) -> None:
        with self._lock:
            self._thaw = False
            self._written = None
            for c in self.containers:
                if c.proc is not None and c.exit_code is None and not c.proc.alive:
                    c.exit_code = -9
                if c.exit_code is not None:
                    c.kill_reason = "node"

    def _kill_everything(self) -> None:
        for proc in self.processes():
            proc.signal(signal.SIGKILL)

    def _cleanup(self) -> None:
        for w in self._probes:
            w.stop()
        for t in self._stoppers:
            t.join(15)
        self._kill_everything()
        self.ctx.ports.release(list(set(self.host_ports.values())))
        if self.gone or self.deadline is not None:
            self.ctx.logs.forget(self.namespace, self.pod_name)

    # ------------------------------------------------------------------------------------------ API writes
    def _check(self, obj: dict[str, Any]) -> None:
        if obj["metadata"].get("uid") != self.uid:
            raise PodGone()

    def _patch_meta(self, annotations: dict[str, str]) -> None:
        def _fn(obj: dict[str, Any]) -> None:
            self._check(obj)
            obj["metadata"].setdefault("annotations", {}).update(annotations)

        try:
            self.pod = self.ctx.store.mutate("pods", self.namespace, self.pod_name, _fn)
        except NotFound:
            raise PodGone() from None

    def _write_status(self) -> None:
        with self._lock:
            statuses = [c.status() for c in self.containers]
        wanted = (statuses, self.start_time)
        if self._written == wanted:
            return
        policy = self.restart_policy

        def _fn(obj: dict[str, Any]) -> None:
            self._check(obj)
            obj["status"] = pod_status(obj, statuses, self.start_time, policy)

        try:
            self.ctx.store.mutate("pods", self.namespace, self.pod_name, _fn, subresource="status")
        except NotFound:
            raise PodGone() from None
        self._written = wanted


def _json(value: dict[str, int]) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _dur(seconds: float) -> str:
    """Go's duration string for whole or fractional seconds: 10s, 2m40s, 2.5s."""
    if seconds >= 60 and seconds == int(seconds):
        m, s = divmod(int(seconds), 60)
        return f"{m}m{s}s"
    return f"{seconds:g}s"
