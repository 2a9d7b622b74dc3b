"""Cluster topology: `ZxN` = Z zones (zone-a, zone-b, ...) of N nodes each (node-a1..node-aN), every node
with upstream's well-known labels, Ready conditions and allocatable cpu 4 / memory 16Gi / pods 110."""

from __future__ import annotations

import platform
import re
import string
from dataclasses import dataclass
from typing import Any

from localcluster.api.objects import now_time

__all__ = ["REGION", "Topology", "node_object", "parse_topology"]

REGION = "local"
_SPEC = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")
CAPACITY = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}
KUBELET_VERSION = "v1.31.0-agentflow-local"


@dataclass(frozen=True)
class Topology:
    zones: int
    nodes_per_zone: int

    @property
    def zone_names(self) -> list[str]:
        return [f"zone-{string.ascii_lowercase[i]}" for i in range(self.zones)]

    def nodes(self) -> list[tuple[str, str]]:
        """(node name, zone) for every node, zone by zone."""
        out: list[tuple[str, str]] = []
        for i, zone in enumerate(self.zone_names):
            letter = string.ascii_lowercase[i]
            out.extend((f"node-{letter}{n}", zone) for n in range(1, self.nodes_per_zone + 1))
        return out

    def __str__(self) -> str:
        return f"{self.zones}x{self.nodes_per_zone}"


def parse_topology(text: str) -> Topology:
    """`3x7` -> Topology(3, 7); a clear ValueError for anything else."""
    match = _SPEC.match(text or "")
    if not match:
        raise ValueError(f"--topology: {text!r} is not ZONESxNODES (e.g. 3x7 = 3 zones of 7 nodes)")
    zones, per_zone = int(match.group(1)), int(match.group(2))
    if not 1 <= zones <= 26 or not 1 <= per_zone <= 100:
        raise ValueError(f"--topology: {text!r}: zones must be 1..26 and nodes per zone 1..100")
    return Topology(zones, per_zone)


def node_object(name: str, zone: str) -> dict[str, Any]:
    """A Ready node as a real kubelet registers it (status included: created in-process)."""
    now = now_time()
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())

    def cond(ctype: str, status: str, reason: str, message: str) -> dict[str, str]:
        return {"type": ctype, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": now}

    return {
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": machine,
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": REGION,
                "node.kubernetes.io/instance-type": "localcluster",
            },
        },
        "spec": {},
        "status": {
            "capacity": dict(CAPACITY),
            "allocatable": dict(CAPACITY),
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
                     "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": name, "systemUUID": name, "bootID": name,
                "kernelVersion": platform.release(), "osImage": "localcluster",
                "containerRuntimeVersion": "localcluster://1.0", "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION, "operatingSystem": "linux", "architecture": machine,
            },
        },
    }
