"""The node Lease the kubelet renews with every heartbeat, as upstream's node lease controller does: one
coordination.k8s.io/v1 Lease per node in `kube-node-lease`, named after the node, held by it, owned by the
Node (so it goes with the node), renewTime = now, leaseDurationSeconds 40 (scaled with the time scale)."""

from __future__ import annotations

from typing import Any

from localcluster.api import AlreadyExists, NotFound, Store
from localcluster.api.objects import format_micro_time

__all__ = ["LEASE_NAMESPACE", "renew_lease"]

LEASE_NAMESPACE = "kube-node-lease"


def renew_lease(store: Store, node: str, duration_seconds: int) -> None:
    """Create or renew the node's Lease; a cluster without the kube-node-lease namespace has none."""
    now = format_micro_time()

    def _renew(lease: dict[str, Any]) -> None:
        spec = lease.setdefault("spec", {})
        spec.update(holderIdentity=node, leaseDurationSeconds=duration_seconds, renewTime=now)

    try:
        store.mutate("leases", LEASE_NAMESPACE, node, _renew)
        return
    except NotFound:
        pass
    node_obj = store.try_get("nodes", None, node)
    if node_obj is None:
        return
    owner = {"apiVersion": "v1", "kind": "Node", "name": node, "uid": node_obj["metadata"]["uid"]}
    lease = {"metadata": {"name": node, "namespace": LEASE_NAMESPACE, "ownerReferences": [owner]},
             "spec": {"holderIdentity": node, "leaseDurationSeconds": duration_seconds, "renewTime": now}}
    try:
        store.create("leases", lease)
    except (AlreadyExists, NotFound):  # a concurrent renew, or no kube-node-lease namespace
        pass
