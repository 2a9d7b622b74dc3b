"""HPA decision logic of the local cluster: pure functions with upstream Kubernetes semantics.

Entry point: `decide(spec, current_replicas, MetricsInput(...), now, state) -> Decision`; `hpa_status`
renders the autoscaling/v2 status. No I/O and no clock: time is always a parameter.
"""

from localcluster.hpa.behavior import Behavior, Recommendation, ScaleEvent, parse_behavior
from localcluster.hpa.decision import Decision, HpaConfig, HpaState, decide, rescale_failed
from localcluster.hpa.metrics import MetricsInput
from localcluster.hpa.pods import ContainerSpec, PodInfo, PodSample, pod_from_json
from localcluster.hpa.spec import HpaSpecError, parse_hpa_spec
from localcluster.hpa.status import hpa_status, merge_conditions

__all__ = [
    "Behavior",
    "ContainerSpec",
    "Decision",
    "HpaConfig",
    "HpaSpecError",
    "HpaState",
    "MetricsInput",
    "PodInfo",
    "PodSample",
    "Recommendation",
    "ScaleEvent",
    "decide",
    "hpa_status",
    "merge_conditions",
    "parse_behavior",
    "parse_hpa_spec",
    "pod_from_json",
    "rescale_failed",
]
