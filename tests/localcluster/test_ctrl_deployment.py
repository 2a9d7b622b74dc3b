"""Deployment and ReplicaSet controllers over a real Store, with the test kubelet running pods."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from test_ctrl_support import NS, deployment, is_ready, make_node, pods_of, start_cluster, wait_until

from localcluster.controllers import ControllerConfig
from localcluster.controllers.replicaset import deletion_order
from localcluster.controllers.rollout import fenceposts

HASH = "pod-template-hash"


@pytest.fixture
def cluster():
    store, kubelet, manager = start_cluster()
    for i in range(3):
        make_node(store, f"node-{i}", zone=f"zone-{i}")
    try:
        yield store, kubelet, manager
    finally:
        manager.stop()
        kubelet.close()


def _live(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def _settled(store, name: str, replicas: int) -> dict[str, Any] | None:
    d = store.get("deployments", NS, name)
    s = d.get("status", {})
    ok = (s.get("observedGeneration") == d["metadata"]["generation"] and s.get("updatedReplicas") == replicas
          and s.get("availableReplicas") == replicas and s.get("replicas") == replicas
          and len(_live(pods_of(store, name))) == replicas)
    return d if ok else None


class Invariants:
    """Checks, on every pod change, the rolling-update bounds on live and available pods."""

    def __init__(self, store, app: str, low: int, high: int) -> None:
        self.store, self.app, self.low, self.high = store, app, low, high
        self.violations: list[str] = []
        self.max_live = 0
        self._sub = store.subscribe(self._check, "pods", resource_version=store.resource_version)

    def _check(self, _event: Any) -> None:
        live = _live(pods_of(self.store, self.app))
        available = sum(1 for p in live if is_ready(p))
        self.max_live = max(self.max_live, len(live))
        if len(live) > self.high:
            self.violations.append(f"{len(live)} live pods > {self.high}")
        if available < self.low:
            self.violations.append(f"{available} available pods < {self.low}")

    def close(self) -> None:
        self._sub.close()


def test_fenceposts_round_as_upstream():
    d = deployment("x", 10, "25%", "25%")
    assert fenceposts(d) == (3, 2)  # surge rounds up, unavailable down
    assert fenceposts(deployment("x", 3, 0, 0)) == (0, 1)  # both zero -> unavailable 1
    assert fenceposts(deployment("x", 4, "50%", 1)) == (2, 1)


def test_create_scale_and_status(cluster):
    store, _, _ = cluster
    store.create("deployments", deployment("web", 3))
    d = wait_until(lambda: _settled(store, "web", 3), what="3 available replicas")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    conds = {c["type"]: c for c in d["status"]["conditions"]}
    assert conds["Available"]["status"] == "True" and conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert "unavailableReplicas" not in d["status"]  # zero fields omitted
    (rs,) = store.list("replicasets", NS)
    assert rs["metadata"]["name"] == f"web-{rs['metadata']['labels'][HASH]}"
    assert rs["spec"]["selector"]["matchLabels"][HASH] == rs["metadata"]["labels"][HASH]
    pod = pods_of(store, "web")[0]
    assert pod["metadata"]["generateName"] == f"{rs['metadata']['name']}-"
    assert len(pod["metadata"]["name"]) == len(rs["metadata"]["name"]) + 6
    ref = pod["metadata"]["ownerReferences"][0]
    assert ref["controller"] is True and ref["uid"] == rs["metadata"]["uid"]
    keys = {t["key"]: t["tolerationSeconds"] for t in pod["spec"]["tolerations"]}
    assert keys == {"node.kubernetes.io/not-ready": 300, "node.kubernetes.io/unreachable": 300}
    store.patch("deployments", NS, "web", {"spec": {"replicas": 5}})
    wait_until(lambda: _settled(store, "web", 5), what="scale up to 5")
    store.patch("deployments", NS, "web", {"spec": {"replicas": 2}})
    wait_until(lambda: _settled(store, "web", 2), what="scale down to 2")
    assert len(store.list("replicasets", NS)) == 1


def test_restarted_at_rolls_out_within_surge_and_unavailable(cluster):
    store, _, _ = cluster
    store.create("deployments", deployment("api", 4, surge=1, unavailable=1))
    wait_until(lambda: _settled(store, "api", 4), what="initial rollout")
    old_hash = store.list("replicasets", NS)[0]["metadata"]["labels"][HASH]
    checks = Invariants(store, "api", low=3, high=5)
    try:
        patch = {"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}}
        store.patch("deployments", NS, "api", patch)
        d = wait_until(lambda: _settled(store, "api", 4) if all(
            p["metadata"]["labels"][HASH] != old_hash for p in pods_of(store, "api")) else None,
            timeout=20, what="rollout to the new ReplicaSet")
    finally:
        checks.close()
    assert checks.violations == []
    assert checks.max_live == 5  # the surge was used
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    rss = {rs["metadata"]["labels"][HASH]: rs for rs in store.list("replicasets", NS)}
    assert len(rss) == 2 and rss[old_hash]["spec"]["replicas"] == 0
    new = next(rs for h, rs in rss.items() if h != old_hash)
    assert new["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert new["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]


def test_rollout_waits_for_new_pods_to_become_available(cluster):
    store, kubelet, manager = cluster
    store.create("deployments", deployment("slow", 4, surge=1, unavailable=1))
    wait_until(lambda: _settled(store, "slow", 4), what="initial rollout")
    old_hash = store.list("replicasets", NS)[0]["metadata"]["labels"][HASH]
    kubelet.auto_ready = False
    store.patch("deployments", NS, "slow", {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}})

    def new_pods() -> list[dict[str, Any]]:
        return [p for p in _live(pods_of(store, "slow")) if p["metadata"]["labels"][HASH] != old_hash]

    wait_until(lambda: len(new_pods()) == 2, what="surge + unavailable new pods")
    passes = manager.deployments.passes
    wait_until(lambda: manager.deployments.passes >= passes + 5, what="more deployment passes")
    live = _live(pods_of(store, "slow"))
    assert len(new_pods()) == 2 and len(live) == 5  # stalled: 3 old available + 2 new unready
    assert sum(1 for p in live if is_ready(p)) == 3
    for pod in new_pods():
        kubelet.set_ready(pod["metadata"]["name"], True)
    kubelet.auto_ready = True
    for pod in new_pods():
        if not is_ready(pod):
            kubelet.set_ready(pod["metadata"]["name"], True)
    wait_until(lambda: _settled(store, "slow", 4) and len(new_pods()) == 4, timeout=20, what="rollout completes")


def test_deleted_pod_is_replaced_at_once_and_terminating_pods_do_not_count(cluster):
    store, kubelet, _ = cluster
    kubelet.remove_terminating = False
    store.create("deployments", deployment("rep", 3))
    wait_until(lambda: _settled(store, "rep", 3), what="3 replicas")
    victim = pods_of(store, "rep")[0]["metadata"]["name"]
    kubelet.delete_pod(NS, victim, None)
    wait_until(lambda: len(_live(pods_of(store, "rep"))) == 3 and len(pods_of(store, "rep")) == 4,
               what="replacement while the old pod terminates")
    assert store.get("pods", NS, victim)["metadata"]["deletionTimestamp"]
    rs = wait_until(lambda: next((r for r in store.list("replicasets", NS)
                                  if r["status"].get("readyReplicas") == 3), None), what="rs status")
    assert rs["status"]["replicas"] == 3


def test_deletion_order_matches_upstream_ranking():
    def pod(name: str, node: str = "n1", phase: str = "Running", ready: bool = True,
            created: str = "2026-01-01T00:00:00Z", ready_since: str = "2026-01-01T00:01:00Z", restarts: int = 0
            ) -> dict[str, Any]:
        conds = [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": ready_since}]
        return {"metadata": {"name": name, "creationTimestamp": created},
                "spec": {"nodeName": node} if node else {},
                "status": {"phase": phase, "conditions": conds,
                           "containerStatuses": [{"restartCount": restarts}]}}

    pods = [
        pod("old-ready", created="2026-01-01T00:00:00Z"),
        pod("new-ready", created="2026-01-01T00:00:05Z"),
        pod("not-ready", ready=False),
        pod("pending", phase="Pending", ready=False),
        pod("unscheduled", node="", phase="Pending", ready=False),
        pod("restarts", restarts=3),
        pod("recently-ready", ready_since="2026-01-01T00:05:00Z"),
    ]
    order = [p["metadata"]["name"] for p in deletion_order(pods, [])]
    assert order == ["unscheduled", "pending", "not-ready", "recently-ready", "restarts", "new-ready", "old-ready"]


def test_failed_scheduling_event_and_pending_until_a_node_fits():
    store, kubelet, manager = start_cluster(ControllerConfig(resync_interval=0.2, scheduler_backoff_initial=0.0,
                                                             scheduler_backoff_max=0.0))
    try:
        make_node(store, "small", cpu="1")
        d = deployment("big", 1)
        d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "2"
        store.create("deployments", d)

        def failed_event() -> dict[str, Any] | None:
            return next((e for e in store.list("events", NS) if e["reason"] == "FailedScheduling"), None)

        event = wait_until(failed_event, what="FailedScheduling event")
        assert event["type"] == "Warning" and event["count"] == 1
        assert event["message"].startswith("0/1 nodes are available: 1 Insufficient cpu.")
        assert event["eventTime"] and event["reportingComponent"] == "default-scheduler"
        pod = pods_of(store, "big")[0]
        assert pod["status"]["phase"] == "Pending" and "nodeName" not in pod["spec"]
        cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
        assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", event["message"])
        store.patch("nodes", None, "small", {"metadata": {"labels": {"touched": "1"}}})
        wait_until(lambda: failed_event()["count"] >= 2, what="deduplicated retry (count++)")
        assert sum(1 for e in store.list("events", NS) if e["reason"] == "FailedScheduling") == 1
        make_node(store, "large", cpu="4")
        bound = wait_until(lambda: pods_of(store, "big")[0]["spec"].get("nodeName"), what="pod bound")
        assert bound == "large"
        pod = pods_of(store, "big")[0]
        cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
        assert cond["status"] == "True"
    finally:
        manager.stop()
        kubelet.close()


def test_concurrent_replica_changes_converge(cluster):
    store, _, _ = cluster
    store.create("deployments", deployment("flip", 2))
    wait_until(lambda: _settled(store, "flip", 2), what="2 replicas")
    done = threading.Event()

    def flip() -> None:
        for n in (6, 1, 4, 3):
            store.patch("deployments", NS, "flip", {"spec": {"replicas": n}})
        done.set()

    threading.Thread(target=flip).start()
    wait_until(done.is_set, what="patches sent")
    wait_until(lambda: _settled(store, "flip", 3), what="converged on the last value")


def test_scaling_mid_rollout_is_spread_and_converges(cluster):
    store, kubelet, _ = cluster
    store.create("deployments", deployment("mid", 4, surge=1, unavailable=1))
    wait_until(lambda: _settled(store, "mid", 4), what="initial rollout")
    kubelet.auto_ready = False
    store.patch("deployments", NS, "mid", {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}})
    wait_until(lambda: len(store.list("replicasets", NS)) == 2 and sum(
        rs["spec"]["replicas"] for rs in store.list("replicasets", NS)) == 5, what="rollout under way")
    store.patch("deployments", NS, "mid", {"spec": {"replicas": 8}})

    def sizes() -> list[int] | None:
        rss = store.list("replicasets", NS)
        notes = [rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] for rs in rss]
        return sorted(rs["spec"]["replicas"] for rs in rss) if notes == ["8", "8"] else None

    got = wait_until(sizes, what="both ReplicaSets annotated with the new size")
    assert sum(got) == 8 + 1 and min(got) > 1  # replicas + maxSurge, spread over both ReplicaSets
    kubelet.auto_ready = True
    for pod in pods_of(store, "mid"):
        if not is_ready(pod) and not pod["metadata"].get("deletionTimestamp"):
            kubelet.set_ready(pod["metadata"]["name"], True)
    wait_until(lambda: _settled(store, "mid", 8), timeout=20, what="rollout at the new size")


def test_recreate_never_runs_old_and_new_pods_together(cluster):
    store, _, _ = cluster
    d = deployment("rec", 3)
    d["spec"]["strategy"] = {"type": "Recreate"}
    store.create("deployments", d)
    wait_until(lambda: _settled(store, "rec", 3), what="initial rollout")
    old_hash = store.list("replicasets", NS)[0]["metadata"]["labels"][HASH]
    mixed: list[int] = []

    def check(_event: Any) -> None:
        hashes = {p["metadata"]["labels"][HASH] for p in pods_of(store, "rec")}
        if len(hashes) > 1:
            mixed.append(len(hashes))

    sub = store.subscribe(check, "pods", resource_version=store.resource_version)
    try:
        store.patch("deployments", NS, "rec", {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}})
        wait_until(lambda: _settled(store, "rec", 3) if all(
            p["metadata"]["labels"][HASH] != old_hash for p in pods_of(store, "rec")) else None,
            what="recreate rollout")
    finally:
        sub.close()
    assert mixed == []


def test_progress_deadline_exceeded_when_pods_never_become_ready():
    from test_ctrl_support import TestKubelet

    from localcluster.api import Store
    from localcluster.controllers import ControllerManager, FakeClock

    store = Store()
    store.create("namespaces", {"metadata": {"name": NS}})
    kubelet = TestKubelet(store, auto_ready=False)
    clock = FakeClock()
    cfg = ControllerConfig(resync_interval=0.2, node_monitor_grace_period=1e6)
    manager = ControllerManager(store, cfg, kubelet, kubelet.delete_pod, clock=clock).start()
    try:
        make_node(store, "n1")
        store.create("deployments", deployment("stuck", 2, progressDeadlineSeconds=60))

        def progressing() -> dict[str, Any] | None:
            conds = store.get("deployments", NS, "stuck").get("status", {}).get("conditions") or []
            return next((c for c in conds if c["type"] == "Progressing"), None)

        wait_until(lambda: store.get("deployments", NS, "stuck").get("status", {}).get("replicas") == 2 and all(
            p["status"].get("phase") == "Running" for p in pods_of(store, "stuck")), what="rollout started")
        passes = manager.deployments.passes
        wait_until(lambda: manager.deployments.passes > passes + 1, what="deployment status settled")
        assert progressing()["status"] == "True"
        available = next(c for c in store.get("deployments", NS, "stuck")["status"]["conditions"]
                         if c["type"] == "Available")
        assert (available["status"], available["reason"]) == ("False", "MinimumReplicasUnavailable")
        clock.advance(61)
        manager.wake()
        cond = wait_until(lambda: (lambda c: c if c and c["status"] == "False" else None)(progressing()),
                          what="progress deadline")
        assert cond["reason"] == "ProgressDeadlineExceeded"
        assert cond["message"].startswith('ReplicaSet "stuck-') and cond["message"].endswith(
            '" has timed out progressing.')
    finally:
        manager.stop()
        kubelet.close()


def test_proportional_scaling_matches_the_upstream_documentation_example():
    from localcluster.controllers.rollout import proportional_scale

    def rs(name: str, replicas: int, created: str) -> dict[str, Any]:
        return {"metadata": {"name": name, "creationTimestamp": created,
                             "annotations": {"deployment.kubernetes.io/max-replicas": "13"}},
                "spec": {"replicas": replicas}, "status": {"availableReplicas": replicas if name == "old" else 0}}

    # replicas 10, maxSurge 3, maxUnavailable 2, mid-rollout with 8 old and 5 new, scaled to 15:
    # the 5 extra (18 allowed - 13) go 3 to the old ReplicaSet and 2 to the new one
    d = deployment("doc", 15, surge=3, unavailable=2)
    sizes = proportional_scale(d, [rs("old", 8, "2026-01-01T00:00:00Z"), rs("new", 5, "2026-01-01T00:01:00Z")],
                               None)
    assert sizes == {"old": 11, "new": 7}


def _rs_of(store, name: str) -> dict[str, dict[str, Any]]:
    return {rs["metadata"]["name"]: rs for rs in store.list("replicasets", NS)
            if rs["metadata"]["name"].startswith(name)}


def test_undo_reuses_the_old_replicaset_by_semantic_equality_and_renumbers_it(cluster):
    """What `kubectl rollout undo` relies on: the old template comes back (here with `volumes: []`, which the
    stored template does not have) and the old ReplicaSet is scaled up again as revision 3, history "1"."""
    store, _, _ = cluster
    store.create("deployments", deployment("undo", 2, surge=1, unavailable=0))
    wait_until(lambda: _settled(store, "undo", 2), what="initial rollout")
    (first,) = _rs_of(store, "undo").values()
    old_template = store.get("deployments", NS, "undo")["spec"]["template"]
    store.patch("deployments", NS, "undo", {"spec": {"template": {"spec": {"containers": [
        {"name": "c", "image": "img:2"}]}}}})
    wait_until(lambda: _settled(store, "undo", 2) if len(_rs_of(store, "undo")) == 2 else None, timeout=20,
               what="rollout to revision 2")
    restored = {**old_template, "spec": {**old_template["spec"], "volumes": []}}
    store.patch("deployments", NS, "undo", [{"op": "replace", "path": "/spec/template", "value": restored}],
                "application/json-patch+json")

    def back_on_first():
        rss = _rs_of(store, "undo")
        rs = rss[first["metadata"]["name"]]
        return rss if _settled(store, "undo", 2) and rs["spec"]["replicas"] == 2 else None

    rss = wait_until(back_on_first, timeout=20, what="the first ReplicaSet scaled back up")
    assert len(rss) == 2  # no third ReplicaSet for a template that only differs by an empty list
    notes = rss[first["metadata"]["name"]]["metadata"]["annotations"]
    assert notes["deployment.kubernetes.io/revision"] == "3"
    assert notes["deployment.kubernetes.io/revision-history"] == "1"
    assert store.get("deployments", NS, "undo")["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"


def test_pause_and_resume_set_the_progressing_condition_as_upstream(cluster):
    store, _, _ = cluster
    store.create("deployments", deployment("paused", 1))
    wait_until(lambda: _settled(store, "paused", 1), what="initial rollout")

    def progressing():
        status = store.get("deployments", NS, "paused").get("status") or {}
        return next((c for c in status.get("conditions") or () if c["type"] == "Progressing"), {})

    store.patch("deployments", NS, "paused", {"spec": {"paused": True}})
    cond = wait_until(lambda: progressing() if progressing().get("reason") == "DeploymentPaused" else None,
                      what="DeploymentPaused")
    assert cond["status"] == "Unknown" and cond["message"] == "Deployment is paused"
    store.patch("deployments", NS, "paused", {"spec": {"template": {"metadata": {"annotations": {"x": "1"}}}}})
    store.patch("deployments", NS, "paused", {"spec": {"paused": False}})
    wait_until(lambda: progressing().get("reason") in ("DeploymentResumed", "ReplicaSetUpdated",
                                                       "NewReplicaSetAvailable") or None, what="resumed")
    wait_until(lambda: _settled(store, "paused", 1) if len(_rs_of(store, "paused")) == 2 else None, timeout=20,
               what="the held-back rollout after resume")
