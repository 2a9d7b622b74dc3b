"""The local cluster assembled: store, API server, controllers, kubelet, nodes, the AgentFlow workload and
the service proxy, in one process (`python -m localcluster serve`).

    cluster = Cluster(ClusterConfig.build("/tmp/lc", time_scale="fast")).start()
    ...                                   # DIR/kubeconfig, DIR/cluster.json, DIR/api-key (0600) written
    cluster.stop()                        # every pod process (by PID) and the proxy stopped

`serve(config)` runs it until SIGTERM/SIGINT. The workload API key is generated here, stored as the Secret the
Deployment's secretKeyRef names (the kubelet reads it from the API like a real one) and written to
DIR/api-key; it is never logged.
"""

from __future__ import annotations

import logging
import os
import secrets as pysecrets
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from localcluster.api import ApiServer, MemoryPodLogs, Store, kinds, write_kubeconfig
from localcluster.api.auth import User
from localcluster.api.kubeconfig import CONTEXT
from localcluster.api.tls import ServingCert, serving_cert
from localcluster.config import ClusterConfig, write_state
from localcluster.kubelet import Kubelet, KubeletConfig
from localcluster.kubelet.config import REPO_ROOT
from localcluster.kubelet.process import Spawner
from localcluster.topology import node_object
from localcluster.workload.manifests import DEFAULT_FILE, find, load_manifests
from localcluster.workload.timescale import apply_time_scale, controller_seconds
from localcluster.workload.variants import apply_variant

__all__ = ["API_KEY_SECRET", "Cluster", "serve"]

log = logging.getLogger("localcluster")
API_KEY_SECRET = ("agentflow-api-key", "api-key")  # (Secret name, key) the default manifests reference
IDENTITIES = ("admin", "viewer", "chaos")  # kubeconfig users: agentflow-local, agentflow-local-viewer, -chaos
IDENTITIES_FILE = DEFAULT_FILE.with_name("identities.yaml")


class ClusterError(RuntimeError):
    """The cluster could not start; the message says what and how to fix it."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.store = Store()
        self.logs = MemoryPodLogs()
        self.nodes = config.topology.nodes()
        kubelet_config = KubeletConfig(config.time_factor, cpu_scale=config.cpu_scale,
                                       metrics_lag=config.metrics_lag)
        self.kubelet = Kubelet(self.store, [n for n, _ in self.nodes], config=kubelet_config, logs=self.logs)
        self.api: ApiServer | None = None
        self.controllers: Any = None
        self.controller_settings: dict[str, Any] = {}
        self.proxy: subprocess.Popen[bytes] | None = None
        self._spawner: Spawner | None = None
        self.docs: list[dict[str, Any]] = []
        self.namespace = "agentflow"
        self.tokens: dict[str, str] = {}
        self.service_url = ""
        self.prometheus: Any = None

    # ------------------------------------------------------------------------------------------ start
    def start(self) -> Cluster:
        cfg = self.config
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        (cfg.state_dir / ".gitignore").write_text("*\n")  # state (api-key, kubeconfig) never gets committed
        cert: list[ServingCert] = []
        tls_thread = threading.Thread(target=lambda: cert.append(serving_cert()), name="tls-cert", daemon=True)
        tls_thread.start()  # ~0.3 s of key generation and imports, in parallel with the rest of the start
        self.docs = self._manifests()
        self.tokens = {who: pysecrets.token_urlsafe(32) for who in IDENTITIES}
        users = {token: User(who, ("system:masters",) if who == "admin" else ()) for who, token in self.tokens.items()}
        self.api = ApiServer(self.store, port=cfg.api_port, pod_deleter=self.kubelet.pod_deleter, pod_logs=self.logs,
                             metrics=self.kubelet.metrics, users=users, authorization="RBAC")
        self._identities()
        for name, zone in self.nodes:
            self.store.create("nodes", node_object(name, zone))
        self.kubelet.start()
        self._start_controllers()
        self.api.start()
        self._apply()
        self._start_proxy()
        if cfg.prometheus:
            from localcluster.prometheus import start_for_cluster
            self.prometheus = start_for_cluster(cfg, self.kubelet, self.store, find(self.docs, "Service"))
        tls_thread.join(30)
        if not cert:
            raise ClusterError("could not make the API server's TLS certificate (see the log)")
        self.api.enable_tls(cert[0])
        write_kubeconfig(cfg.kubeconfig, str(self.api.https_url), namespace=self.namespace,
                         token=self.tokens["admin"], ca_pem=cert[0].ca_pem,
                         identities={who: t for who, t in self.tokens.items() if who != "admin"})
        write_state(cfg.state_file, self.state())
        log.info("local cluster up: api %s, service %s, %d nodes, variant %s, time scale %s, cpu scale %g",
                 self.api.url, self.service_url, len(self.nodes), cfg.variant, cfg.time_scale, cfg.cpu_scale)
        return self

    def _manifests(self) -> list[dict[str, Any]]:
        cfg = self.config
        docs = apply_time_scale(apply_variant(cfg.variant, load_manifests(cfg.manifests or DEFAULT_FILE)),
                                cfg.time_scale)
        dep = find(docs, "Deployment")
        if dep is not None:
            self.namespace = dep["metadata"].get("namespace", "default")
        return docs

    def _identities(self) -> None:
        """The suite's roles and the viewer/chaos bindings (workload/identities.yaml), in the workload namespace."""
        for doc in load_manifests(IDENTITIES_FILE):
            if doc["metadata"].get("namespace"):
                doc["metadata"]["namespace"] = self.namespace
            if self.store.try_get("namespaces", None, self.namespace) is None and doc["metadata"].get("namespace"):
                self.store.create("namespaces", {"metadata": {"name": self.namespace}})
            self.store.create(doc["kind"], doc)

    def _api_key(self) -> None:
        key = pysecrets.token_urlsafe(24)
        path = self.config.api_key_file
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        os.chmod(path, 0o600)
        secret = {"metadata": {"name": API_KEY_SECRET[0], "namespace": self.namespace},
                  "type": "Opaque", "stringData": {API_KEY_SECRET[1]: key}}
        if self.store.try_get("namespaces", None, self.namespace) is None:
            self.store.create("namespaces", {"metadata": {"name": self.namespace}})
        self.store.create("secrets", secret)

    def _apply(self) -> None:
        """The manifests in dependency order; the API key Secret right after the namespaces (before any pod)."""
        secret_done = False
        for doc in sorted(self.docs, key=lambda d: kinds.for_object(d).apply_order):
            if doc["kind"] != "Namespace" and not secret_done:
                self._api_key()
                secret_done = True
            if doc["kind"] == "Namespace" and self.store.try_get("namespaces", None, doc["metadata"]["name"]):
                continue
            if doc["kind"] == "Secret" and doc["metadata"]["name"] == API_KEY_SECRET[0]:
                continue  # generated here, never taken from a manifest
            self.store.create(doc["kind"], doc, reset_status=True)
        if not secret_done:
            self._api_key()

    def _start_controllers(self) -> None:
        """Wire the controller manager (localcluster.controllers) in, when it is there."""
        try:
            from localcluster import controllers
        except ImportError as exc:
            log.warning("controllers unavailable (%s): no scheduling, deployments or endpoints", exc)
            return
        manager_cls = getattr(controllers, "ControllerManager", None)
        config_cls = getattr(controllers, "ControllerConfig", None)
        if manager_cls is None or config_cls is None:
            log.warning("localcluster.controllers has no ControllerManager/ControllerConfig yet")
            return
        config = _controller_config(config_cls, self.config)
        self.controllers = manager_cls(self.store, config, self.kubelet.metrics, self.kubelet.delete_pod)
        eviction = getattr(self.controllers, "eviction_handler", None)
        if eviction is not None and self.api is not None:
            self.api.hooks.eviction = eviction
        self.controller_settings = _settings(config)
        self.controllers.start()

    def _start_proxy(self) -> None:
        cfg, assert_api = self.config, self.api
        assert assert_api is not None
        service = find(self.docs, "Service")
        if service is None:
            log.warning("the manifests have no Service: no service proxy started")
            return
        port = cfg.service_port or _free_port()
        argv = [sys.executable, "-m", "localcluster.proxy", "--api", assert_api.url, "--namespace", self.namespace,
                "--service", service["metadata"]["name"], "--port", str(port), "--port-name", "http",
                "--propagation-delay", str(cfg.propagation_delay)]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self._spawner = Spawner()
        self.proxy = self._spawner.spawn(argv, env)
        listening = threading.Event()
        tail: list[str] = []
        threading.Thread(target=_pump_proxy, args=(self.proxy, listening, tail), daemon=True).start()
        deadline = time.monotonic() + 15
        while not listening.wait(0.05):
            if self.proxy.poll() is not None or time.monotonic() > deadline:
                raise ClusterError(f"service proxy on 127.0.0.1:{port} did not start: {' | '.join(tail[-3:])}"
                                   + (" (choose a free --service-port)" if cfg.service_port else ""))
        self.service_url = f"http://127.0.0.1:{port}"

    # ------------------------------------------------------------------------------------------ state
    def state(self) -> dict[str, Any]:
        cfg = self.config
        dep, service = find(self.docs, "Deployment"), find(self.docs, "Service")
        return {
            "pid": os.getpid(),
            "state_dir": str(cfg.state_dir),
            "api_url": self.api.url if self.api else "",
            "api_https_url": (self.api.https_url or "") if self.api else "",
            "identities": {who: f"{CONTEXT}-{who}" if who != "admin" else CONTEXT for who in IDENTITIES},
            "service_url": self.service_url,
            "proxy_pid": self.proxy.pid if self.proxy else None,
            "namespace": self.namespace,
            "deployment": dep["metadata"]["name"] if dep else None,
            "service": service["metadata"]["name"] if service else None,
            "selector": "app.kubernetes.io/name=agentflow",
            "kubeconfig": str(cfg.kubeconfig),
            "context": CONTEXT,
            "variant": cfg.variant,
            "manifests": str(cfg.manifests) if cfg.manifests else None,
            "time_scale": cfg.time_scale,
            "time_factor": cfg.time_factor,
            "cpu_scale": cfg.cpu_scale,
            "topology": str(cfg.topology),
            "nodes": [{"name": n, "zone": z} for n, z in self.nodes],
            "propagation_delay": cfg.propagation_delay,
            "controllers": self.controller_settings,
            "kubelet": {"heartbeat_seconds": self.kubelet.config.heartbeat_period,
                        "backoff_base_seconds": self.kubelet.config.backoff_base,
                        "metrics_window_seconds": self.kubelet.config.metrics_window,
                        "metrics_lag_seconds": self.kubelet.config.metrics_lag},
            "api_key_file": str(cfg.api_key_file),
            "prometheus": self.prometheus.state() if self.prometheus else None,
            "log_file": str(cfg.state_dir / "cluster.log"),
            "started": time.time(),
        }

    # ------------------------------------------------------------------------------------------ stop
    def stop(self) -> None:
        """Stop everything this process started: Prometheus, proxy, controllers, pod processes, API server."""
        if self.prometheus is not None:
            self.prometheus.stop()
        if self.proxy is not None and self.proxy.poll() is None:
            self.proxy.terminate()
            try:
                self.proxy.wait(3)
            except subprocess.TimeoutExpired:
                self.proxy.kill()
                self.proxy.wait(5)
        if self.controllers is not None:
            try:
                self.controllers.stop()
            except Exception:
                log.exception("stopping the controllers failed")
        self.kubelet.stop()
        if self.api is not None:
            self.api.stop()
        if self._spawner is not None:
            self._spawner.stop()
        self.config.state_file.unlink(missing_ok=True)


def _pump_proxy(proc: subprocess.Popen[bytes], listening: threading.Event, tail: list[str]) -> None:
    plog = logging.getLogger("localcluster.proxy")
    for stream in (proc.stdout,):
        for raw in iter(stream.readline, b""):  # type: ignore[union-attr]
            line = raw.decode(errors="replace").rstrip()
            tail.append(line)
            plog.info("%s", line)
            if "listening on" in line:
                listening.set()
                threading.Thread(target=_drain, args=(proc.stderr, plog), daemon=True).start()
    _drain(proc.stderr, plog, tail)
    code = proc.wait()
    if code not in (0, -signal.SIGTERM, -signal.SIGKILL):  # not the cluster's own stop: say so, loudly
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        plog.error("the service proxy (pid %d) died with %s: new connections to the Service are refused from now on",
                   proc.pid, how)


def _drain(stream: Any, plog: logging.Logger, tail: list[str] | None = None) -> None:
    try:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            if tail is not None:
                tail.append(line)
            plog.warning("%s", line)
    except (OSError, ValueError):
        pass


def _controller_config(config_cls: Any, cfg: ClusterConfig) -> Any:
    """The controllers' settings: upstream defaults divided by the time scale (`fast` = 5x faster)."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(config_cls)} if dataclasses.is_dataclass(config_cls) else set()
    scaled = {
        "hpa_sync_period": 15.0,
        "hpa_downscale_stabilization": 300.0,
        "hpa_cpu_initialization_period": 300.0,
        "hpa_initial_readiness_delay": 30.0,
        "node_monitor_grace_period": 40.0,
        "default_toleration_seconds": 300,
        "podgc_period": 20.0,
        "podgc_orphan_quarantine": 40.0,
    }
    kwargs: dict[str, Any] = {}
    for name, base in scaled.items():
        if name in names:
            value = controller_seconds(cfg.time_scale, float(base))
            kwargs[name] = max(1, round(value)) if isinstance(base, int) else value
    if "seed" in names and cfg.seed is not None:
        kwargs["seed"] = cfg.seed
    return config_cls(**kwargs)


def _settings(config: Any) -> dict[str, Any]:
    import dataclasses

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {k: v for k, v in dataclasses.asdict(config).items()
                if isinstance(v, int | float | str | bool | type(None))}
    return {}


def serve(config: ClusterConfig) -> int:
    """Run the cluster until SIGTERM/SIGINT; returns the exit code."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    cluster = Cluster(config)
    try:
        cluster.start()
    except Exception as exc:
        log.error("local cluster failed to start: %s", exc)
        cluster.stop()
        return 1
    while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
        pass
    log.info("stopping the local cluster")
    cluster.stop()
    log.info("local cluster stopped")
    return 0
