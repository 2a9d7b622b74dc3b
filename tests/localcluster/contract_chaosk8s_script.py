"""Contract script: chaosk8s's actions and probes, plus typed list/get of every served kind, against a RUNNING
local cluster, under whichever kubernetes client generation this interpreter has (36.x in .venv, 37 in
.venv-k37). `tests/localcluster/test_contract_chaosk8s.py` runs it once per generation and phase:

    KUBECONFIG=... KUBERNETES_CONTEXT=... python contract_chaosk8s_script.py PHASE NAMESPACE DEPLOYMENT SELECTOR

PHASE `core`: kinds, pod/node/deployment/service/event probes, cordon/uncordon, drains (an empty node; a PDB
denial), terminate_pods and the recovery, then delete_nodes on an empty node. PHASE `disruptive`: a drain that
evicts, scale against the HPA, rollout, delete of the old ReplicaSet. Each phase first waits for the workload to
be steady and leaves it steady (every node schedulable) for the next run. It prints ONE JSON object; each
activity's outcome is recorded as {"value": ...} or {"raised": "ExceptionType", "message": ...} with its duration.
It asserts nothing (the test does) and needs only the stdlib, kubernetes and chaosk8s: nothing of this
repository. That is also why it is over 400 lines: the whole contract must be one file that both interpreters
run, with no shared helpers.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import kubernetes
from chaosk8s.deployment import actions as dep_actions
from chaosk8s.deployment import probes as dep_probes
from chaosk8s.event.probes import get_events
from chaosk8s.node import actions as node_actions
from chaosk8s.node import probes as node_probes
from chaosk8s.pod import probes as pod_probes
from chaosk8s.pod.actions import terminate_pods
from chaosk8s.replicaset.actions import delete_replica_set
from chaosk8s.service.probes import service_is_initialized
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
ZONE = "topology.kubernetes.io/zone"
KINDS = {  # kind -> (typed API class, method suffix, namespaced)
    "pods": ("CoreV1Api", "pod", True), "nodes": ("CoreV1Api", "node", False),
    "services": ("CoreV1Api", "service", True), "endpoints": ("CoreV1Api", "endpoints", True),
    "endpointslices": ("DiscoveryV1Api", "endpoint_slice", True), "events": ("CoreV1Api", "event", True),
    "events.k8s.io": ("EventsV1Api", "event", True), "namespaces": ("CoreV1Api", "namespace", False),
    "deployments": ("AppsV1Api", "deployment", True), "replicasets": ("AppsV1Api", "replica_set", True),
    "hpa": ("AutoscalingV2Api", "horizontal_pod_autoscaler", True),
    "pdb": ("PolicyV1Api", "pod_disruption_budget", True),
}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")


def jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run one activity; {"value"} or {"raised", "message"}, plus "seconds"."""
    t0 = time.monotonic()
    try:
        out: dict[str, Any] = {"value": jsonable(fn(*args, **kwargs))}
    except Exception as exc:  # recorded for the test to assert on
        out = {"raised": type(exc).__name__, "message": str(exc)[:1500]}
    out["seconds"] = round(time.monotonic() - t0, 2)
    return out


def wait_until(pred: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)  # poll interval of a deadline-bounded wait


class Ctx:
    def __init__(self, ns: str, dep: str, sel: str) -> None:
        # KUBECONFIG and KUBERNETES_CONTEXT, as chaosk8s reads them
        self.api = api = config.new_client_from_config(context=os.environ.get("KUBERNETES_CONTEXT"))
        self.v1, self.apps = client.CoreV1Api(api), client.AppsV1Api(api)
        self.policy, self.hpa = client.PolicyV1Api(api), client.AutoscalingV2Api(api)
        self.events, self.discovery = client.EventsV1Api(api), client.DiscoveryV1Api(api)
        self.ns, self.dep, self.sel = ns, dep, sel

    def pods(self) -> list[Any]:
        return list(self.v1.list_namespaced_pod(self.ns, label_selector=self.sel).items)

    def serving(self) -> dict[str, str]:
        """name -> uid of workload pods that are Ready and not terminating."""
        out = {}
        for p in self.pods():
            conds = {c.type: c.status for c in p.status.conditions or []}
            if conds.get("Ready") == "True" and p.metadata.deletion_timestamp is None:
                out[p.metadata.name] = p.metadata.uid
        return out

    def empty_nodes(self) -> list[str]:
        busy = {p.spec.node_name for p in self.v1.list_pod_for_all_namespaces().items}
        return sorted(n.metadata.name for n in self.v1.list_node().items if n.metadata.name not in busy)

    def steady(self) -> bool:
        d = self.apps.read_namespaced_deployment(self.dep, self.ns)
        st, want = d.status, d.spec.replicas
        pods = self.pods()
        cordoned = self.v1.list_node(field_selector="spec.unschedulable=true").items
        return (bool(want) and st.observed_generation == d.metadata.generation and
                st.replicas == st.ready_replicas == st.available_replicas == st.updated_replicas == want and
                len(pods) == want == len(self.serving()) and not cordoned)


# ------------------------------------------------------------------------------------------------ core phase
def kinds(ctx: Ctx) -> dict[str, Any]:
    """List (namespaced and all-namespace where served) and get one object of every served kind."""

    def one(cls: str, resource: str, namespaced: bool) -> dict[str, Any]:
        api = getattr(client, cls)(ctx.api)
        if namespaced:
            listed = getattr(api, f"list_namespaced_{resource}")(ctx.ns)
            all_ns: int | None = len(getattr(api, f"list_{resource}_for_all_namespaces")().items)
            names = [i.metadata.name for i in listed.items]
            got = getattr(api, f"read_namespaced_{resource}")(names[0], ctx.ns) if names else None
        else:
            listed, all_ns = getattr(api, f"list_{resource}")(), None
            names = [i.metadata.name for i in listed.items]
            got = getattr(api, f"read_{resource}")(names[0]) if names else None
        return {"kind": listed.kind, "names": names, "rv": listed.metadata.resource_version,
                "all_namespaces": all_ns, "get": got.metadata.name if got else None,
                "get_uid_matches": bool(got) and got.metadata.uid == listed.items[0].metadata.uid}

    out = {kind: outcome(one, *spec) for kind, spec in KINDS.items()}
    out["details"] = outcome(kind_details, ctx)
    return out


def kind_details(ctx: Ctx) -> dict[str, Any]:
    """Fields of the typed objects the suite reads (status subresources included)."""
    ns, dep = ctx.ns, ctx.dep
    hpa = ctx.hpa.read_namespaced_horizontal_pod_autoscaler_status(dep, ns)
    pdb = ctx.policy.read_namespaced_pod_disruption_budget_status(dep, ns)
    eps = ctx.v1.read_namespaced_endpoints(dep, ns)
    slices = ctx.discovery.list_namespaced_endpoint_slice(ns, label_selector=f"kubernetes.io/service-name={dep}")
    return {
        "deployment_status_ready": ctx.apps.read_namespaced_deployment_status(dep, ns).status.ready_replicas,
        "scale_replicas": ctx.apps.read_namespaced_deployment_scale(dep, ns).spec.replicas,
        "hpa": {"min": hpa.spec.min_replicas, "max": hpa.spec.max_replicas,
                "desired": hpa.status.desired_replicas, "current": hpa.status.current_replicas},
        "pdb": {"min_available": pdb.spec.min_available, "expected": pdb.status.expected_pods,
                "current_healthy": pdb.status.current_healthy, "allowed": pdb.status.disruptions_allowed},
        "endpoint_ready_addresses": sum(len(s.addresses or []) for s in eps.subsets or []),
        "slice_ready": [e.conditions.ready for s in slices.items for e in s.endpoints or []],
        "events_k8s_io_all_have_event_time": all(
            e.event_time is not None for e in ctx.events.list_event_for_all_namespaces().items),
    }


def pod_probe_calls(ctx: Ctx) -> dict[str, Any]:
    ns, sel = ctx.ns, ctx.sel

    def logs(**kw: Any) -> dict[str, Any]:
        got = pod_probes.read_pod_logs(label_selector=sel, ns=ns, container_name="agentflow", **kw)
        lines = {name: [ln for ln in text.splitlines() if ln] for name, text in got.items()}
        return {"pods": sorted(got), "lines": {n: len(v) for n, v in lines.items()},
                "all_timestamped": all(STAMP.match(ln) for v in lines.values() for ln in v)}

    return {
        "pods_in_phase_running": outcome(pod_probes.pods_in_phase, sel, "Running", ns),
        "pods_in_phase_pending": outcome(pod_probes.pods_in_phase, sel, "Pending", ns),
        "pods_not_in_phase_pending": outcome(pod_probes.pods_not_in_phase, sel, "Pending", ns),
        "pods_not_in_phase_running": outcome(pod_probes.pods_not_in_phase, sel, "Running", ns,
                                             raise_on_in_phase=False),
        "count_pods": outcome(pod_probes.count_pods, sel, ns=ns),
        "count_pods_running": outcome(pod_probes.count_pods, sel, phase="Running", ns=ns),
        "count_min_pods_3": outcome(pod_probes.count_min_pods, sel, min_count=3, ns=ns),
        "count_min_pods_4": outcome(pod_probes.count_min_pods, sel, min_count=4, ns=ns),
        "pods_in_conditions_ready": outcome(pod_probes.pods_in_conditions, sel,
                                            [{"type": "Ready", "status": "True"}], ns),
        "pods_in_conditions_not_ready": outcome(pod_probes.pods_in_conditions, sel,
                                                [{"type": "Ready", "status": "False"}], ns),
        "all_pods_healthy": outcome(pod_probes.all_pods_healthy, ns),
        "read_pod_logs": outcome(logs),
        "read_pod_logs_last": outcome(logs, last="10 minutes ago"),
        "read_pod_logs_recent": outcome(logs, last="2 seconds ago"),  # sinceSeconds=2: startup lines are older
        "typed_count": len(ctx.pods()),
    }


def node_probe_calls(ctx: Ctx) -> dict[str, Any]:
    zone_a = f"{ZONE}=zone-a"
    names = outcome(lambda **kw: [i["metadata"]["name"] for i in node_probes.get_nodes(**kw)["items"]])
    return {
        "get_nodes": names,
        "get_nodes_kind": outcome(lambda: node_probes.get_nodes()["kind"]),
        "get_nodes_zone_a": outcome(lambda: [i["metadata"]["name"] for i in
                                             node_probes.get_nodes(label_selector=zone_a)["items"]]),
        "typed_nodes": [n.metadata.name for n in ctx.v1.list_node().items],
        "typed_zone_a": [n.metadata.name for n in ctx.v1.list_node(label_selector=zone_a).items],
        "all_ready_to_schedule": outcome(node_probes.all_nodes_must_be_ready_to_schedule),
        "verify_pid_pressure_false": outcome(node_probes.verify_nodes_condition),
        "verify_ready_true": outcome(node_probes.verify_nodes_condition, "Ready", "True", zone_a),
        "verify_ready_false": outcome(node_probes.verify_nodes_condition, "Ready", "False"),
        "nodes_must_be_healthy": outcome(node_probes.nodes_must_be_healthy),
    }


def deployment_probe_calls(ctx: Ctx) -> dict[str, Any]:
    dep, ns = ctx.dep, ctx.ns
    return {
        "available_and_healthy": outcome(dep_probes.deployment_available_and_healthy, dep, ns),
        "available_and_healthy_missing": outcome(dep_probes.deployment_available_and_healthy, "no-such", ns,
                                                 raise_on_unavailable=False),
        "partially_available": outcome(dep_probes.deployment_partially_available, dep, ns),
        "fully_available": outcome(dep_probes.deployment_fully_available, dep, ns, timeout=5),
        "fully_available_label": outcome(dep_probes.deployment_fully_available, dep, ns, label_selector=ctx.sel,
                                         timeout=5),
        "not_fully_available_when_full": outcome(dep_probes.deployment_not_fully_available, dep, ns, timeout=2),
    }


def service_event_calls(ctx: Ctx) -> dict[str, Any]:
    def events(**kw: Any) -> dict[str, Any]:
        got = get_events(**kw)
        items = got["items"]
        return {"kind": got["kind"], "count": len(items), "event_time_set": all(i.get("eventTime") for i in items),
                "reasons": sorted({i.get("reason") for i in items})[:20],
                "continue": bool((got.get("metadata") or {}).get("continue"))}

    return {
        "service_is_initialized": outcome(service_is_initialized, ctx.dep, ctx.ns),
        "service_is_initialized_label": outcome(service_is_initialized, ns=ctx.ns, label_selector=ctx.sel),
        "service_missing": outcome(service_is_initialized, "no-such-service", ctx.ns),
        "get_events": outcome(events),
        "get_events_limit_2": outcome(events, limit=2),
    }


def node_state(ctx: Ctx, name: str) -> dict[str, Any]:
    n = ctx.v1.read_node(name)
    return {"unschedulable": n.spec.unschedulable,
            "taints": sorted(f"{t.key}:{t.effect}" for t in n.spec.taints or [])}


def cordon_calls(ctx: Ctx) -> dict[str, Any]:
    node, zone_c = ctx.empty_nodes()[0], f"{ZONE}=zone-c"
    out: dict[str, Any] = {"node": node}
    try:
        out["cordon"] = outcome(node_actions.cordon_node, name=node)
        out["after_cordon"] = node_state(ctx, node)
        out["ready_to_schedule_while_cordoned"] = outcome(node_probes.all_nodes_must_be_ready_to_schedule)
    finally:
        out["uncordon"] = outcome(node_actions.uncordon_node, name=node)
    out["after_uncordon"] = node_state(ctx, node)
    try:
        out["cordon_zone_c"] = outcome(node_actions.cordon_node, label_selector=zone_c)
        out["unschedulable_listed"] = sorted(
            n.metadata.name for n in ctx.v1.list_node(field_selector="spec.unschedulable=true").items)
    finally:
        out["uncordon_zone_c"] = outcome(node_actions.uncordon_node, label_selector=zone_c)
    out["typed_zone_c"] = [n.metadata.name for n in ctx.v1.list_node(label_selector=zone_c).items]
    out["unschedulable_after"] = [n.metadata.name for n in ctx.v1.list_node().items if n.spec.unschedulable]
    node = ctx.empty_nodes()[-1]
    out["empty_node"] = node
    try:
        out["drain_empty"] = outcome(node_actions.drain_nodes, name=node, timeout=10)
        out["after_drain_empty"] = node_state(ctx, node)
    finally:
        out["uncordon_empty"] = outcome(node_actions.uncordon_node, name=node)
    return out


def terminate_and_pdb(ctx: Ctx) -> dict[str, Any]:
    """terminate_pods in its modes; a PDB-denied drain while a replacement is not Ready yet; recovery."""
    before = ctx.serving()
    names = sorted(before)
    out: dict[str, Any] = {"before": before}
    out["alphabetic"] = outcome(terminate_pods, label_selector=ctx.sel, ns=ctx.ns, qty=1, order="alphabetic",
                                grace_period=0)
    out["pdb_allowed_zero_after_s"] = outcome(wait_until, lambda: ctx.policy.read_namespaced_pod_disruption_budget(
        ctx.dep, ctx.ns).status.disruptions_allowed == 0, 10, "the PDB to allow no disruption")
    victim = ctx.v1.read_namespaced_pod(names[1], ctx.ns)
    out["drain_victim"] = {"pod": names[1], "node": victim.spec.node_name}
    try:
        out["drain_pdb"] = outcome(node_actions.drain_nodes, name=victim.spec.node_name, timeout=20)
    finally:
        out["drain_pdb_uncordon"] = outcome(node_actions.uncordon_node, name=victim.spec.node_name)
    after = ctx.v1.read_namespaced_pod(names[1], ctx.ns)
    out["drain_victim_after"] = {"same_uid": after.metadata.uid == victim.metadata.uid,
                                 "terminating": after.metadata.deletion_timestamp is not None}
    out["not_fully_available"] = outcome(dep_probes.deployment_not_fully_available, ctx.dep, ctx.ns, timeout=10)
    listed = [p for p in ctx.pods() if re.search("^agentflow-", p.metadata.name)]
    listed.sort(key=lambda p: p.metadata.creation_timestamp)
    out["oldest_expected"] = listed[0].metadata.name
    out["oldest"] = outcome(terminate_pods, label_selector=ctx.sel, ns=ctx.ns, name_pattern="^agentflow-",
                            mode="percentage", qty=1, order="oldest")
    gone = (out["oldest"].get("value") or [None])[0]
    if gone:
        p = ctx.v1.read_namespaced_pod(gone, ctx.ns)
        out["oldest_state"] = {"terminating": p.metadata.deletion_timestamp is not None,
                               "grace": p.metadata.deletion_grace_period_seconds}
    rest = [n for n in names[1:] if n in {p.metadata.name for p in ctx.pods()}]
    out["rand_candidates"] = rest
    out["rand"] = outcome(terminate_pods, label_selector=ctx.sel, ns=ctx.ns, rand=True, qty=len(rest),
                          name_pattern="^(" + "|".join(re.escape(n) for n in rest) + ")$", grace_period=0)
    out["no_pod_available"] = outcome(wait_until, lambda: ctx.apps.read_namespaced_deployment_status(
        ctx.dep, ctx.ns).status.available_replicas is None, 5, "availableReplicas to be omitted (zero)")
    out["partially_available_at_zero"] = outcome(dep_probes.deployment_partially_available, ctx.dep, ctx.ns,
                                                 raise_on_not_partially_available=False)
    out["available_and_healthy_at_zero"] = outcome(dep_probes.deployment_available_and_healthy, ctx.dep, ctx.ns,
                                                   raise_on_unavailable=False)
    out["fully_available_recovery"] = outcome(dep_probes.deployment_fully_available, ctx.dep, ctx.ns, timeout=60)
    out["steady_after_s"] = outcome(wait_until, ctx.steady, 60, "the workload to be steady again")
    out["after"] = ctx.serving()
    out["available_and_healthy_after"] = outcome(dep_probes.deployment_available_and_healthy, ctx.dep, ctx.ns)
    return out


def delete_nodes_call(ctx: Ctx) -> dict[str, Any]:
    node = ctx.empty_nodes()[-1]
    out: dict[str, Any] = {"node": node, "nodes_before": len(ctx.v1.list_node().items)}
    out["delete_nodes"] = outcome(node_actions.delete_nodes, label_selector=f"kubernetes.io/hostname={node}")
    try:
        ctx.v1.read_node(node)
        out["node_after"] = "present"
    except ApiException as exc:
        out["node_after"] = exc.status
    out["nodes_after"] = len(ctx.v1.list_node().items)
    return out


def core(ctx: Ctx, res: dict[str, Any]) -> None:
    res["kinds"] = kinds(ctx)
    res["pod_probes"] = pod_probe_calls(ctx)
    res["node_probes"] = node_probe_calls(ctx)
    res["deployment_probes"] = deployment_probe_calls(ctx)
    res["service_events"] = service_event_calls(ctx)
    res["cordon"] = cordon_calls(ctx)
    res["terminate"] = terminate_and_pdb(ctx)
    res["delete_nodes"] = delete_nodes_call(ctx)


# ------------------------------------------------------------------------------------------ disruptive phase
def rescales(ctx: Ctx) -> int:
    """How often the HPA rescaled because the Deployment was below its minReplicas (events, with their counts)."""
    events = ctx.v1.list_namespaced_event(ctx.ns, field_selector=f"involvedObject.name={ctx.dep}").items
    return sum(e.count or 1 for e in events if e.reason == "SuccessfulRescale" and e.involved_object.kind ==
               "HorizontalPodAutoscaler" and "below Spec.MinReplicas" in (e.message or ""))


def scale_against_hpa(ctx: Ctx) -> dict[str, Any]:
    """scale_deployment below the HPA's minReplicas; a watch from the list's resourceVersion sees both writes."""
    listed = ctx.apps.list_namespaced_deployment(ctx.ns, field_selector=f"metadata.name={ctx.dep}")
    out: dict[str, Any] = {"before": listed.items[0].spec.replicas, "rescales_before": rescales(ctx)}
    out["scale"] = outcome(dep_actions.scale_deployment, ctx.dep, 2, ctx.ns)
    t0 = time.monotonic()
    seen: list[int] = []
    w = watch.Watch()
    for event in w.stream(ctx.apps.list_namespaced_deployment, ctx.ns, field_selector=f"metadata.name={ctx.dep}",
                          resource_version=listed.metadata.resource_version, timeout_seconds=20):
        replicas = event["object"].spec.replicas
        if not seen or seen[-1] != replicas:
            seen.append(replicas)
        if 2 in seen and replicas == 3:
            w.stop()
    out["replicas_seen"], out["restored_after_s"] = seen, round(time.monotonic() - t0, 2)
    out["rescale_event"] = outcome(wait_until, lambda: rescales(ctx) > out["rescales_before"], 10,
                                   "the HPA's SuccessfulRescale event")
    out["steady_after_s"] = outcome(wait_until, ctx.steady, 60, "the workload to be steady again")
    return out


def rollout_and_replicaset(ctx: Ctx) -> dict[str, Any]:
    before = {r.metadata.name for r in ctx.apps.list_namespaced_replica_set(ctx.ns).items}
    out: dict[str, Any] = {"replicasets_before": sorted(before)}
    out["rollout"] = outcome(dep_actions.rollout_deployment, ctx.dep, ctx.ns)

    def new_rs() -> list[Any]:
        return [r for r in ctx.apps.list_namespaced_replica_set(ctx.ns).items if r.metadata.name not in before]

    out["new_rs_after_s"] = outcome(wait_until, lambda: bool(new_rs()), 15, "a new ReplicaSet")
    fresh = new_rs()
    if fresh:
        annotations = fresh[0].spec.template.metadata.annotations or {}
        out["new_rs"] = {"name": fresh[0].metadata.name,
                         "restarted_at": annotations.get("kubectl.kubernetes.io/restartedAt")}
    out["steady_after_s"] = outcome(wait_until, ctx.steady, 90, "the rollout to complete")
    pods = ctx.pods()
    out["pod_owners"] = sorted({o.name for p in pods for o in p.metadata.owner_references or []})
    old = [r for r in ctx.apps.list_namespaced_replica_set(ctx.ns).items if r.metadata.name in before]
    out["old_replicas"] = {r.metadata.name: r.spec.replicas for r in old}
    serving = ctx.serving()
    if old:
        out["delete_replica_set"] = outcome(delete_replica_set, old[0].metadata.name, ctx.ns)
        out["deleted_rs"] = old[0].metadata.name
        out["deleted_rs_listed"] = outcome(lambda: [r.metadata.name for r in ctx.apps.list_namespaced_replica_set(
            ctx.ns, field_selector=f"metadata.name={old[0].metadata.name}").items])
    out["serving_unchanged"] = ctx.serving() == serving
    return out


def drain_with_eviction(ctx: Ctx) -> dict[str, Any]:
    """drain_nodes of a node with one workload pod while the PDB allows one disruption: evicted, waited for."""
    pod = ctx.v1.read_namespaced_pod(sorted(ctx.serving())[0], ctx.ns)
    node = pod.spec.node_name
    out: dict[str, Any] = {"pod": pod.metadata.name, "node": node, "pdb_allowed": ctx.policy.
                           read_namespaced_pod_disruption_budget(ctx.dep, ctx.ns).status.disruptions_allowed}
    try:
        out["drain"] = outcome(node_actions.drain_nodes, name=node, timeout=60)
        out["pods_left_on_node"] = [p.metadata.name for p in ctx.v1.list_namespaced_pod(
            ctx.ns, field_selector=f"spec.nodeName={node}").items]
    finally:
        out["uncordon"] = outcome(node_actions.uncordon_node, name=node)
    out["evicted_pod_listed"] = [p.metadata.name for p in ctx.v1.list_namespaced_pod(
        ctx.ns, field_selector=f"metadata.name={pod.metadata.name}").items]
    out["steady_after_s"] = outcome(wait_until, ctx.steady, 60, "the workload to be steady again")
    return out


def disruptive(ctx: Ctx, res: dict[str, Any]) -> None:
    res["drain"] = drain_with_eviction(ctx)
    res["scale"] = scale_against_hpa(ctx)
    res["rollout"] = rollout_and_replicaset(ctx)


def main(argv: list[str]) -> int:
    phase, ns, dep, sel = argv
    res: dict[str, Any] = {"client": kubernetes.__version__}
    t0 = time.monotonic()
    try:
        ctx = Ctx(ns, dep, sel)
        res["steady_before_s"] = outcome(wait_until, ctx.steady, 90, "the workload to be steady")
        {"core": core, "disruptive": disruptive}[phase](ctx, res)
        res["steady_at_end_s"] = outcome(wait_until, ctx.steady, 60, "the workload to be steady at the end")
    except Exception:  # the partial results still go out, with the reason
        res["aborted"] = traceback.format_exc()[-3000:]
    res["seconds"] = round(time.monotonic() - t0, 1)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
