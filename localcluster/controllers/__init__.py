"""Controllers of the local cluster (kube-controller-manager + kube-scheduler's binding loop): Deployment,
ReplicaSet, scheduling, Endpoints/EndpointSlices, disruption (PDB status) and the PDB-aware eviction
handler, HPA, node lifecycle with the NoExecute taint manager, PodGC, and an Event recorder.
Build them all with `ControllerManager(store, ControllerConfig(), pod_metrics, delete_pod).start()`."""

from .base import Controller, FakeClock
from .events import EventRecorder
from .eviction import PdbEvictionHandler
from .hpa import PodMetrics
from .manager import ControllerConfig, ControllerManager
from .replicaset import DeletePod

__all__ = [
    "Controller",
    "ControllerConfig",
    "ControllerManager",
    "DeletePod",
    "EventRecorder",
    "FakeClock",
    "PdbEvictionHandler",
    "PodMetrics",
]
