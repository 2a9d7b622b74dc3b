"""The local kubelet: pods as real processes on 127.0.0.1, probes, graceful deletion, node faults, metrics.

    kubelet = Kubelet(store, nodes=["node-a1", ...], config=KubeletConfig(time_factor=5), secrets=secrets)
    api = ApiServer(store, pod_deleter=kubelet.pod_deleter, pod_logs=kubelet.logs)
    kubelet.start()
    kubelet.metrics.cpu_usage("agentflow", "agentflow-abc")   # (millicores, window s, sample time)
    kubelet.delete_pod("agentflow", "agentflow-abc", None)     # graceful, as DELETE does
    kubelet.stop()                                             # every pod process stopped
"""

from .config import FAULT_ANNOTATION, PORTS_ANNOTATION, KubeletConfig
from .events import EventWriter
from .kubelet import Kubelet, KubeletPodDeleter
from .metrics import PodMetrics

__all__ = [
    "FAULT_ANNOTATION",
    "PORTS_ANNOTATION",
    "EventWriter",
    "Kubelet",
    "KubeletConfig",
    "KubeletPodDeleter",
    "PodMetrics",
]
