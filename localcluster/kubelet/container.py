"""State of one container of a pod as the kubelet tracks it, and its ContainerStatus as upstream reports it."""

from __future__ import annotations

import time
import uuid
from typing import Any

from localcluster.api.objects import format_time

from .images import image_id
from .process import ContainerProcess

__all__ = ["Container"]


class Container:
    """Mutable runtime state; the owning PodWorker serialises access with its lock."""

    def __init__(self, spec: dict[str, Any], ports: dict[str, int]) -> None:
        self.spec = spec
        self.name = str(spec.get("name", ""))
        self.image = str(spec.get("image", ""))
        self.ports = ports
        self.proc: ContainerProcess | None = None
        self.cid = ""
        self.state: dict[str, Any] = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state: dict[str, Any] = {}
        self.restart_count = 0
        self.starts = 0
        self.started = False
        self.ready = False
        self.running_since = 0.0
        self.backoff_until = 0.0
        self.backoff_n = 0
        self.backoff_reported = 0.0
        self.exit_code: int | None = None  # set by the process waiter, consumed by the pod worker
        self.stopping = False  # a stop sequence (preStop/SIGTERM/SIGKILL) is running
        self.kill_reason = ""  # why the kubelet stopped it ("" = it exited by itself)
        self.cpu_base = 0.0  # CPU seconds of previous processes of this container
        self.want_run = True  # False once restartPolicy (or deletion) says it stays stopped

    # ------------------------------------------------------------------------------------------ probes
    def probe_target(self) -> tuple[str, float, dict[str, int], bool] | None:
        if self.proc is None or "running" not in self.state or self.exit_code is not None:
            return None
        return self.cid, self.running_since, self.ports, self.started

    @property
    def has_startup_probe(self) -> bool:
        return bool(self.spec.get("startupProbe"))

    @property
    def has_readiness_probe(self) -> bool:
        return bool(self.spec.get("readinessProbe"))

    # ------------------------------------------------------------------------------------------ transitions
    def set_running(self, proc: ContainerProcess) -> None:
        if self.starts > 0:
            self.restart_count += 1
        self.starts += 1
        self.proc = proc
        self.cid = f"containerd://{uuid.uuid4().hex}{uuid.uuid4().hex}"
        self.running_since = proc.started
        self.state = {"running": {"startedAt": format_time(proc.started)}}
        self.started = not self.has_startup_probe
        self.ready = self.started and not self.has_readiness_probe
        self.exit_code = None
        self.kill_reason = ""

    def set_exited(self, code: int) -> dict[str, Any]:
        """Record the exit of the current process; returns the terminated state."""
        proc = self.proc
        if proc is not None:
            self.cpu_base += proc.last_cpu
        reason = "Completed" if code == 0 else "Error"
        if code < 0 or code == 137:
            reason = "Error"
        exit_code = 128 - code if code < 0 else code  # killed by signal N -> 128+N, as runtimes report
        finished = time.time()
        terminated = {
            "exitCode": exit_code,
            "reason": reason,
            "startedAt": format_time(self.running_since or finished),
            "finishedAt": format_time(finished),
            "containerID": self.cid,
        }
        if code < 0:
            terminated["signal"] = -code
        self.last_state = {"terminated": terminated}
        self.state = {"terminated": dict(terminated)}
        self.proc = None
        self.started = False
        self.ready = False
        self.exit_code = None
        self.stopping = False
        return terminated

    def schedule_restart(self, now: float, base: float, cap: float, reset_after: float) -> float:
        """CrashLoopBackOff as upstream: the first restart is immediate, then base, 2*base, ... up to cap;
        a container that ran `reset_after` seconds starts over. Returns the delay."""
        if self.running_since and now - self.running_since >= reset_after:
            self.backoff_n = 0
        delay = 0.0 if self.backoff_n == 0 else min(cap, base * 2 ** (self.backoff_n - 1))
        self.backoff_n += 1
        self.backoff_until = now + delay
        return delay

    # ------------------------------------------------------------------------------------------ status
    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "state": self.state,
            "lastState": self.last_state,
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": image_id(self.image) if self.starts else "",
            "started": self.started if "running" in self.state else False,
        }
        if self.cid and self.starts:
            out["containerID"] = self.cid  # imageID is required (empty before the first start), containerID not
        return out
