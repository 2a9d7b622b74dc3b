"""Start, wait for, inspect and stop a local cluster process (`python -m localcluster serve`) from tests,
the harness and `afsuite cluster`.

    with LocalCluster(time_scale="fast") as lc:      # returns once the workload is Available and Ready
        lc.kubeconfig, lc.context, lc.namespace, lc.service_url, lc.api_key
    # here every process the cluster started is gone (checked by PID; the process group is killed last)

The cluster runs in a session of its own; every pod process stays in that session, so "nothing left" is
checked by session id, and killing the group is the last resort.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from localcluster.config import LOG_FILE, read_state
from localcluster.kubelet import faults
from localcluster.kubelet.config import REPO_ROOT

__all__ = ["LocalCluster", "LocalClusterError", "session_pids", "stop_cluster", "workload_status"]


class LocalClusterError(RuntimeError):
    """The cluster did not start or become ready; the message carries the tail of its log."""


def session_pids(sid: int) -> list[int]:
    """PIDs of live processes in session `sid` (the cluster and everything it started)."""
    out = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getsid(proc.pid) == sid:
                out.append(proc.pid)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return out


def _log_tail(state_dir: Path, lines: int = 15) -> str:
    try:
        text = (state_dir / LOG_FILE).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _is_cluster(pid: int) -> bool:
    try:
        cmdline = psutil.Process(pid).cmdline()
    except psutil.Error:
        return False
    return "localcluster" in cmdline and "serve" in cmdline


def stop_cluster(state_dir: str | os.PathLike[str], pid: int | None = None, timeout: float = 20.0) -> list[int]:
    """SIGTERM the cluster (by `pid` or the state file's), wait, SIGKILL its process group as the last resort;
    returns PIDs that are STILL alive afterwards (empty when everything stopped)."""
    state = read_state(state_dir)
    pid = pid or (state or {}).get("pid")
    if not pid:
        return []
    if _alive(pid) and not _is_cluster(pid):  # a stale state file whose PID now belongs to something else
        (Path(state_dir) / "cluster.json").unlink(missing_ok=True)
        return []
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (_alive(pid) or session_pids(pid)):
        time.sleep(0.1)  # poll interval of a deadline-bounded wait
    leftover = session_pids(pid)
    if leftover:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        for other in leftover:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(other, signal.SIGKILL)
        end = time.monotonic() + 5
        while time.monotonic() < end and session_pids(pid):
            time.sleep(0.05)
    if state is not None and state.get("pid") == pid:
        (Path(state_dir) / "cluster.json").unlink(missing_ok=True)
    return session_pids(pid)


def workload_status(api_url: str, namespace: str, deployment: str) -> dict[str, Any]:
    """{replicas, ready, available, updated, available_condition} of the workload Deployment."""
    resp = httpx.get(f"{api_url}/apis/apps/v1/namespaces/{namespace}/deployments/{deployment}", timeout=5.0)
    resp.raise_for_status()
    dep = resp.json()
    st = dep.get("status") or {}
    cond: dict[str, Any] = next((c for c in st.get("conditions") or () if c.get("type") == "Available"), {})
    return {
        "replicas": int(dep.get("spec", {}).get("replicas", 0)),
        "ready": int(st.get("readyReplicas", 0)),
        "available": int(st.get("availableReplicas", 0)),
        "updated": int(st.get("updatedReplicas", 0)),
        "available_condition": cond.get("status") == "True",
    }


class LocalCluster:
    """A `python -m localcluster serve` subprocess (see the module docstring)."""

    def __init__(self, state_dir: str | os.PathLike[str] | None = None, variant: str = "good",
                 time_scale: str = "fast", topology: str = "3x7", service_port: int = 0,
                 propagation_delay: float = 1.0, manifests: str | os.PathLike[str] | None = None,
                 wait_ready: bool = True, timeout: float = 60.0, api_port: int = 0, seed: int | None = None,
                 cpu_scale: float | None = None, prometheus: bool = False,
                 alert_rules: str | os.PathLike[str] | None = None) -> None:
        self._own_dir = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="localcluster-")).expanduser().resolve()
        self.args = ["--topology", topology, "--variant", variant, "--time-scale", time_scale,
                     "--service-port", str(service_port), "--api-port", str(api_port),
                     "--propagation-delay", str(propagation_delay)]
        if manifests:
            self.args += ["--manifests", str(manifests)]
        if seed is not None:
            self.args += ["--seed", str(seed)]
        if cpu_scale is not None:
            self.args += ["--cpu-scale", str(cpu_scale)]
        if prometheus:  # Debian's Prometheus with the alerting rules (docs/alerts.md)
            self.args += ["--prometheus"] + (["--alert-rules", str(alert_rules)] if alert_rules else [])
        self.wait_ready_on_start = wait_ready
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}
        self.leftover: list[int] = []

    # ------------------------------------------------------------------------------------------ start
    def start(self) -> LocalCluster:
        deadline = time.monotonic() + self.timeout
        self.state_dir.mkdir(parents=True, exist_ok=True)
        old = read_state(self.state_dir)
        if old and _alive(int(old.get("pid", 0))) and _is_cluster(int(old["pid"])):
            raise LocalClusterError(f"a local cluster already runs from {self.state_dir} (pid {old['pid']}); "
                                    "stop it first (`afsuite cluster down`)")
        (self.state_dir / "cluster.json").unlink(missing_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p)
        with open(self.state_dir / LOG_FILE, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "localcluster", "serve", "--state-dir", str(self.state_dir), *self.args],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True,
            )
        try:
            self._wait_state(deadline)
            if self.wait_ready_on_start:
                self.wait_ready(max(1.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_state(self, deadline: float) -> None:
        assert self.proc is not None
        while True:
            state = read_state(self.state_dir)
            if state and state.get("pid") == self.proc.pid:
                self.state = state
                return
            if self.proc.poll() is not None:
                raise LocalClusterError(f"the local cluster exited with code {self.proc.returncode} while "
                                        f"starting; log {self.state_dir / LOG_FILE}:\n{_log_tail(self.state_dir)}")
            if time.monotonic() > deadline:
                raise LocalClusterError(f"the local cluster did not come up within {self.timeout:g} s; log "
                                        f"{self.state_dir / LOG_FILE}:\n{_log_tail(self.state_dir)}")
            time.sleep(0.05)  # poll interval of a deadline-bounded wait

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        """Wait until the workload Deployment is Available with every replica Ready and the service URL
        reaches every Ready pod; returns the Deployment's status."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while True:
            with contextlib.suppress(httpx.HTTPError):
                last = workload_status(self.api_url, self.namespace, str(self.state.get("deployment")))
                if last["available_condition"] and last["replicas"] > 0 and \
                        last["ready"] == last["available"] == last["updated"] == last["replicas"] and \
                        self._service_reaches_all():
                    return last
            if self.proc is not None and self.proc.poll() is not None:
                raise LocalClusterError(f"the local cluster exited (code {self.proc.returncode}); log:\n"
                                        f"{_log_tail(self.state_dir)}")
            if time.monotonic() > deadline:
                raise LocalClusterError(f"the workload was not Ready within {timeout:.0f} s (last status {last}); "
                                        f"pods:\n{self._pod_report()}\nlog {self.state_dir / LOG_FILE}:\n"
                                        f"{_log_tail(self.state_dir)}")
            time.sleep(0.2)  # poll interval of a deadline-bounded wait

    def _ready_pods(self) -> set[str]:
        resp = httpx.get(f"{self.api_url}/api/v1/namespaces/{self.namespace}/pods",
                         params={"labelSelector": self.state.get("selector", "")}, timeout=5)
        resp.raise_for_status()
        out = set()
        for pod in resp.json().get("items") or ():
            conds = {c.get("type"): c.get("status") for c in pod.get("status", {}).get("conditions") or ()}
            if conds.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp"):
                out.add(pod["metadata"]["name"])
        return out

    def _service_reaches_all(self) -> bool:
        """True when requests through the service URL reach every Ready pod (the proxy learns endpoints
        after its propagation delay, so a Ready Deployment alone does not mean the service works yet)."""
        if not self.service_url:
            return True
        wanted = self._ready_pods()
        seen: set[str] = set()
        port = int(self.service_url.rsplit(":", 1)[1])
        for _ in range(2 * len(wanted) + 1):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/health")
                resp = conn.getresponse()
                resp.read()
                seen.add(resp.getheader("X-AgentFlow-Pod") or "")
            except (OSError, http.client.HTTPException):
                return False
            finally:
                conn.close()
            if wanted <= seen:
                return True
        return False

    def _pod_report(self) -> str:
        """One line per workload pod: phase, waiting reason/message and its last log lines (why not Ready)."""
        lines = []
        base = f"{self.api_url}/api/v1/namespaces/{self.namespace}/pods"
        try:
            pods = httpx.get(base, params={"labelSelector": self.state.get("selector", "")}, timeout=5).json()
            for pod in pods.get("items") or ():
                name = pod["metadata"]["name"]
                cs = (pod.get("status", {}).get("containerStatuses") or [{}])[0]
                waiting = (cs.get("state") or {}).get("waiting") or {}
                lines.append(f"  {name}: {pod.get('status', {}).get('phase')} ready={cs.get('ready')} "
                             f"restarts={cs.get('restartCount', 0)} {waiting.get('reason', '')} "
                             f"{waiting.get('message', '')}".rstrip())
                prev = "true" if cs.get("restartCount") else "false"
                log = httpx.get(f"{base}/{name}/log", params={"tailLines": "3", "previous": prev}, timeout=5)
                lines.extend(f"    | {ln}" for ln in log.text.splitlines()[-3:])
        except (httpx.HTTPError, ValueError) as exc:
            lines.append(f"  (pods unavailable: {exc})")
        return "\n".join(lines) or "  (no pods)"

    # ------------------------------------------------------------------------------------------ accessors
    @property
    def pid(self) -> int:
        return int(self.state.get("pid") or (self.proc.pid if self.proc else 0))

    @property
    def kubeconfig(self) -> str:
        return str(self.state["kubeconfig"])

    @property
    def context(self) -> str:
        return str(self.state["context"])

    @property
    def namespace(self) -> str:
        return str(self.state["namespace"])

    @property
    def api_url(self) -> str:
        return str(self.state["api_url"])

    @property
    def service_url(self) -> str:
        return str(self.state["service_url"])

    @property
    def api_key(self) -> str:
        return Path(self.state["api_key_file"]).read_text().strip()

    def status(self) -> dict[str, Any]:
        """The state file plus `running` and the workload's replica counts (no secret)."""
        out = dict(self.state)
        out["running"] = _alive(self.pid)
        if out["running"]:
            with contextlib.suppress(httpx.HTTPError):
                out["workload"] = workload_status(self.api_url, self.namespace, str(self.state.get("deployment")))
        return out

    def pids(self) -> list[int]:
        """Every live process of the cluster's session (the cluster, the proxy, the pods)."""
        return session_pids(self.pid) if self.pid else []

    # ------------------------------------------------------------------------------------------ faults
    def fail_node(self, name: str) -> list[str]:
        return faults.fail_node(self.api_url, name)

    def fail_zone(self, zone: str) -> list[str]:
        return faults.fail_zone(self.api_url, zone)

    def recover(self, names: list[str] | None = None) -> list[str]:
        return faults.recover(self.api_url, names)

    # ------------------------------------------------------------------------------------------ stop
    def stop(self) -> list[int]:
        """Stop the cluster; returns PIDs left alive (empty on success) and keeps them in `leftover`."""
        if self.proc is None:
            return []
        self.leftover = stop_cluster(self.state_dir, pid=self.proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        if self._own_dir and not self.leftover:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        return self.leftover

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        leftover = self.stop()
        if leftover:
            raise LocalClusterError(f"processes of the local cluster still running after stop: {leftover}")
