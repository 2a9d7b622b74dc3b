"""Hard node failure with the DEFAULT workload and the time-scaled default toleration (300 s / 5 = 60 s in
`fast`): the pod is killed at once, its node goes NotReady/Unknown, and the replacement appears on another
node only after the toleration expired. Slow (about 90 s): `make test-slow`."""

from __future__ import annotations

import json
import time

import pytest
from kubernetes import client, config

from localcluster.handle import LocalCluster


def wait_until(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def ready_pods(core, ns):
    return [p for p in core.list_namespaced_pod(ns, label_selector="app.kubernetes.io/name=agentflow").items
            if p.metadata.deletion_timestamp is None
            and {c.type: c.status for c in p.status.conditions or []}.get("Ready") == "True"]


@pytest.mark.slow
def test_node_failure_replacement_waits_for_the_scaled_default_toleration():
    with LocalCluster(time_scale="fast", timeout=60) as lc:
        toleration = lc.status()["controllers"]["default_toleration_seconds"]
        assert toleration == 60
        api = config.new_client_from_config(lc.kubeconfig, context=lc.context)
        core = client.CoreV1Api(api)
        try:
            before = ready_pods(core, lc.namespace)
            victim = before[0]
            node = victim.spec.node_name
            pids = lc.pids()
            t0 = time.monotonic()
            lc.fail_node(node)
            wait_until(lambda: len(lc.pids()) == len(pids) - 1, 5, "the node's pod process killed")
            wait_until(lambda: {c.type: c.status for c in core.read_node(node).status.conditions}["Ready"]
                       in ("False", "Unknown"), 30, "the node NotReady/Unknown")
            known = {p.metadata.uid for p in before}
            fresh = wait_until(lambda: [p for p in ready_pods(core, lc.namespace) if p.metadata.uid not in known],
                               toleration + 60, "a Ready replacement")
            took = time.monotonic() - t0
            assert took >= toleration, f"replaced after {took:.1f} s, before the {toleration} s toleration"
            assert fresh[0].spec.node_name != node
            taints = {t.key for t in core.read_node(node).spec.taints or []}
            assert taints & {"node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"}
            lc.recover([node])
            wait_until(lambda: not core.list_namespaced_pod(
                lc.namespace, field_selector=f"metadata.name={victim.metadata.name}").items, 30,
                "the old pod removed after recovery")
            print(json.dumps({"replacement_after_s": round(took, 1), "toleration_s": toleration}))
        finally:
            api.close()
    assert lc.leftover == []
