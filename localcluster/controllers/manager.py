"""ControllerManager: builds every controller of the local cluster and runs each on its own thread.

    manager = ControllerManager(store, ControllerConfig(), pod_metrics, delete_pod).start()
    ApiServer(store, eviction_handler=manager.eviction_handler, ...)   # PDB-aware evictions
    ...
    manager.stop()

One store subscription feeds every controller: a change of a kind a controller watches wakes it; each
also reconciles every `ControllerConfig.resync_interval` wall seconds, and checks its periodic work (HPA
sync, node health, PodGC) against the injectable clock. `pod_metrics` and `delete_pod` come from the
kubelet (see hpa.PodMetrics and replicaset.DeletePod).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

from ..api import Store, Subscription
from ..api.watch import WatchEvent
from ..hpa import HpaConfig
from .base import Clock, Controller
from .deployment import DeploymentController
from .disruption import DisruptionController
from .endpoints import EndpointsController
from .events import EventRecorder
from .eviction import PdbEvictionHandler
from .hpa import HpaController, PodMetrics
from .nodelifecycle import NodeLifecycleController
from .podgc import PodGcController
from .replicaset import DeletePod, ReplicaSetController
from .scheduling import SchedulingController

__all__ = ["ControllerConfig", "ControllerManager"]


@dataclass(frozen=True)
class ControllerConfig:
    """kube-controller-manager / kube-scheduler settings (upstream defaults; seconds)."""

    hpa_sync_period: float = 15.0
    hpa_downscale_stabilization: float = 300.0  # for HPAs without spec.behavior
    hpa_tolerance: float = 0.1
    hpa_cpu_initialization_period: float = 300.0
    hpa_initial_readiness_delay: float = 30.0
    node_monitor_grace_period: float = 40.0
    default_toleration_seconds: int = 300
    podgc_period: float = 20.0
    podgc_orphan_quarantine: float = 40.0
    podgc_terminated_threshold: int = 12500
    scheduler_backoff_initial: float = 1.0
    scheduler_backoff_max: float = 10.0
    scheduler_retry_period: float = 60.0
    resync_interval: float = 1.0  # wall seconds between periodic passes of every controller
    seed: int | None = None  # set: scheduler ties broken at random (as upstream) by a seeded RNG; None: by name

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "seed":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise ValueError(f"ControllerConfig.seed: must be an integer or None, got {value!r}")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"ControllerConfig.{f.name}: must be a number >= 0, got {value!r}")
        if self.resync_interval <= 0 or self.hpa_sync_period <= 0:
            raise ValueError("ControllerConfig: resync_interval and hpa_sync_period must be > 0")


class ControllerManager:
    """All controllers over one Store. `eviction_handler` is for the API server; `recorder` writes Events."""

    def __init__(self, store: Store, config: ControllerConfig | None = None, pod_metrics: PodMetrics | None = None,
                 delete_pod: DeletePod | None = None, *, clock: Clock = time.time) -> None:
        self.store = store
        self.config = config or ControllerConfig()
        self.clock = clock
        self.delete_pod = delete_pod or self._store_delete
        cfg, every = self.config, self.config.resync_interval
        self.recorder = EventRecorder(store, clock, "deployment-controller")
        rec = self.recorder.for_component
        hpa_config = HpaConfig(tolerance=cfg.hpa_tolerance, cpu_initialization_period=cfg.hpa_cpu_initialization_period,
                               initial_readiness_delay=cfg.hpa_initial_readiness_delay,
                               downscale_stabilization_window=cfg.hpa_downscale_stabilization)
        self.deployments = DeploymentController(store, self.recorder, clock, interval=every)
        self.replicasets = ReplicaSetController(store, self.delete_pod, rec("replicaset-controller"), clock,
                                                default_toleration_seconds=cfg.default_toleration_seconds,
                                                interval=every)
        self.scheduler = SchedulingController(store, rec("default-scheduler"), clock,
                                              backoff_initial=cfg.scheduler_backoff_initial,
                                              backoff_max=cfg.scheduler_backoff_max,
                                              retry_period=cfg.scheduler_retry_period, seed=cfg.seed,
                                              interval=every)
        self.endpoints = EndpointsController(store, interval=every)
        self.disruption = DisruptionController(store, clock, interval=every)
        self.hpa = HpaController(store, pod_metrics, rec("horizontal-pod-autoscaler"), clock, hpa_config,
                                 sync_period=cfg.hpa_sync_period, interval=every)
        self.nodes = NodeLifecycleController(store, self.delete_pod, rec("node-controller"), clock,
                                             grace_period=cfg.node_monitor_grace_period,
                                             default_toleration_seconds=cfg.default_toleration_seconds,
                                             interval=every)
        self.podgc = PodGcController(store, self.delete_pod, clock, period=cfg.podgc_period,
                                     quarantine=cfg.podgc_orphan_quarantine,
                                     terminated_threshold=cfg.podgc_terminated_threshold, interval=every)
        self.eviction_handler = PdbEvictionHandler(clock)
        self._subscription: Subscription | None = None

    @property
    def controllers(self) -> list[Controller]:
        return [self.deployments, self.replicasets, self.scheduler, self.endpoints, self.disruption, self.hpa,
                self.nodes, self.podgc]

    def _store_delete(self, namespace: str, name: str, grace_seconds: int | None) -> dict[str, Any] | None:
        """Fallback when no kubelet is attached: remove the pod at once."""
        self.store.delete("pods", namespace, name)
        return None

    def _on_event(self, event: WatchEvent) -> None:
        for controller in self.controllers:
            controller.notify(event.key)

    def start(self) -> ControllerManager:
        if self._subscription is None:
            keys = sorted({k for c in self.controllers for k in c.kinds})
            # copy=False: only the event's key is read, so the watcher need not deep-copy every object
            watcher = self.store.watch(keys, resource_version=self.store.resource_version, copy=False)
            self._subscription = Subscription(watcher, self._on_event)
            for controller in self.controllers:
                controller.start()
        return self

    def wake(self) -> None:
        """Make every controller run a pass now (tests call it after advancing a FakeClock)."""
        for controller in self.controllers:
            controller.wake()

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        for controller in self.controllers:
            controller.stop()

    def __enter__(self) -> ControllerManager:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
