"""The one guard every change to a cluster passes through: dry run, production refusal, allowed nodes/zones and
the blast radius, applied to each mutating Kubernetes API request of the process.

Two entry points use the same checks and the same counters:
- `admit(change, ...)`: called by `experiments.afchaos.wire` for EVERY mutating request any code of the process
  sends through the official kubernetes client (chaosk8s actions, the suite's actions, controls, recover).
- `guard(action, nodes=, pods=)`: called by the suite's own actions before their first change, so a drain whose
  nodes or pod count would be refused is refused before it cordons anything.

The policy comes from the environment and the experiment's configuration, the most cautious winning
(`experiments.afchaos.policy`). In a dry run every change is sent with `dryRun=All` when the API server supports
server-side dry run (established once per server with a no-op probe: an empty merge patch with `dryRun=All` on
the object about to change; a server that refuses it, or any other answer, gets nothing), and otherwise not
sent at all; either way it is recorded in `chaos/plan.json` with the exact object and why (`plan`).

"Looks like production": one of the words prod, production, prd, live appears as a word (split on anything not a
letter or digit) in the context name, the cluster name or the API server's host name. The local cluster's nodes
(label `node.kubernetes.io/instance-type: localcluster`) are always allowed. Changes made while restoring (a
rollback, `afsuite recover`) are not held to the allowed nodes and the blast radius: they undo the suite's own.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal, plan
from experiments.afchaos.identity import UnknownContext, check_context, kube_identity
from experiments.afchaos.policy import PolicyError, Refused, SafetyPolicy, production_words

__all__ = ["Change", "Guarded", "PolicyError", "Refused", "SafetyPolicy", "UnknownContext", "admit",
           "check_blast_radius", "check_context", "check_nodes", "dry_run", "guard", "kube_identity", "parse_change",
           "reset"]

LOCAL_INSTANCE_TYPE = "localcluster"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
ZONE_LABEL = "topology.kubernetes.io/zone"

_lock = threading.RLock()
_spent: dict[str, set[str]] = {"pods": set(), "nodes": set()}
_checked: dict[str, dict[str, Any]] = {}  # identity checked once per process
_dry_support: dict[str, bool] = {}  # API server -> honours dryRun=All
_anonymous = itertools.count()




def reset() -> None:
    """Forget the blast-radius counts, the identity and dry-run checks and the plan (new experiment, tests)."""
    with _lock:
        _spent["pods"].clear()
        _spent["nodes"].clear()
        _checked.clear()
        _dry_support.clear()
    plan.reset()


def dry_run(policy: SafetyPolicy | None = None, configuration: Configuration = None) -> bool:
    """True when nothing may change (AFSUITE_DRY_RUN / configuration afsuite_dry_run)."""
    return (policy or SafetyPolicy.from_env(configuration)).dry_run


# ------------------------------------------------------------------------------------------ nodes
def _node_objects(nodes: Sequence[Any], api: Any) -> list[dict[str, Any]]:
    out = []
    for node in nodes:
        if isinstance(node, Mapping):
            out.append(dict(node))
        elif api is None:
            raise Refused(f"check_nodes: node {node!r} given by name but no API client to read its labels")
        else:
            out.append(api.get(f"/api/v1/nodes/{node}"))
    return out


def check_nodes(nodes: Sequence[Any], *, api: Any = None, policy: SafetyPolicy | None = None) -> list[str]:
    """Refuse (Refused) a cluster-scoped fault (cordon, drain, zone) on any node that is neither in
    allowed_nodes nor in an allowed zone (local-cluster nodes are always allowed). `nodes`: node objects or
    names (names need `api`, anything with `get(path) -> dict`). Returns the node names checked."""
    policy = policy or SafetyPolicy.from_env()
    refused, names = [], []
    for obj in _node_objects(nodes, api):
        md = obj.get("metadata") or {}
        labels = md.get("labels") or {}
        name, zone = md.get("name", "?"), labels.get(ZONE_LABEL)
        names.append(name)
        if labels.get(INSTANCE_TYPE_LABEL) == LOCAL_INSTANCE_TYPE:
            continue
        if name in policy.allowed_nodes or (zone is not None and zone in policy.allowed_zones):
            continue
        refused.append(f"{name} (zone {zone or 'none'})")
    if refused:
        raise Refused(
            f"refusing a cluster-scoped fault on node(s) outside the allowed set: {', '.join(refused)}; allowed "
            f"nodes: {', '.join(policy.allowed_nodes) or 'none'}, allowed zones: "
            f"{', '.join(policy.allowed_zones) or 'none'}. Add them to allowed_nodes/allowed_zones in the target "
            "file (AFSUITE_ALLOWED_NODES / AFSUITE_ALLOWED_ZONES)")
    return names


# ------------------------------------------------------------------------------------------ blast radius
def _names(items: int | Sequence[Any], kind: str) -> set[str]:
    """Names of the objects to touch; a bare count gets placeholders never seen before (always counted)."""
    if isinstance(items, int):
        return {f"<{kind} #{next(_anonymous)}>" for _ in range(items)}
    return {str(i.get("metadata", {}).get("name")) if isinstance(i, Mapping) else str(i) for i in items}


def check_blast_radius(pods: int | Sequence[Any] = (), nodes: int | Sequence[Any] = (), *,
                       policy: SafetyPolicy | None = None) -> dict[str, Any]:
    """Refuse (Refused) when the pods/nodes to touch, added to those this experiment (process) already touched,
    exceed max_pods/max_nodes. Accepted ones are counted (the same object twice counts once); returns totals."""
    policy = policy or SafetyPolicy.from_env()
    with _lock:
        new = {"pods": _spent["pods"] | _names(pods, "pod"), "nodes": _spent["nodes"] | _names(nodes, "node")}
        for kind, cap, key in (("pods", policy.max_pods, "max_pods"), ("nodes", policy.max_nodes, "max_nodes")):
            if cap is not None and len(new[kind]) > cap:
                raise Refused(
                    f"refusing: this experiment would touch {len(new[kind])} {kind} ({len(_spent[kind])} already, "
                    f"this action {len(new[kind]) - len(_spent[kind])} more), over the blast radius {key}={cap}; "
                    f"raise {key} in the target file (AFSUITE_{key.upper()}) or select fewer {kind}")
        _spent.update(new)
        return {"pods": len(new["pods"]), "nodes": len(new["nodes"]),
                "max_pods": policy.max_pods, "max_nodes": policy.max_nodes}


# ------------------------------------------------------------------------------------------ the wire
@dataclass(frozen=True)
class Change:
    """One mutating request: its method, path and the object it addresses."""

    method: str
    path: str
    kind: str = ""
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "subresource": self.subresource}


_PATH = re.compile(r"^/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/(?P<ns>[^/]+))?/(?P<kind>[^/]+)"
                   r"(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?/?$")


def parse_change(method: str, path: str) -> Change:
    """The object a request path addresses (`/api/v1/namespaces/ns/pods/p/eviction` -> pods ns/p eviction)."""
    match = _PATH.match(path)
    if not match:
        return Change(method.upper(), path)
    kind, name = match["kind"], match["name"]
    if kind == "namespaces" and match["ns"] is None and name is None:
        return Change(method.upper(), path, "namespaces")
    return Change(method.upper(), path, kind, match["ns"], name, match["sub"])


@dataclass
class Decision:
    send: bool  # send the request (with dryRun=All appended when dry_run_param)
    dry_run_param: bool
    entry: dict[str, Any]


def _check_change(change: Change, policy: SafetyPolicy, api: Any) -> None:
    """Allowed nodes and blast radius for one change (not for restoring changes, which undo the suite's own)."""
    if change.name is None and change.method == "DELETE":
        raise Refused(f"refusing DELETE on the collection {change.path}: the suite deletes objects one by one")
    if plan.current().restoring:
        return
    if change.kind == "nodes" and change.name:
        check_nodes([change.name], api=api, policy=policy)
        check_blast_radius(nodes=[change.name], policy=policy)
    elif change.kind == "pods" and change.name and (change.method == "DELETE" or change.subresource == "eviction"):
        check_blast_radius(pods=[change.name], policy=policy)


def admit(change: Change, *, server: str, api: Any, probe_dry_run: Callable[[], bool]) -> Decision:
    """Decide one mutating request (see the module docstring); raises Refused, recorded in the plan first."""
    policy = SafetyPolicy.from_env()
    try:
        with _lock:
            if server not in _checked:
                try:
                    _checked[server] = check_context(policy=policy)
                except UnknownContext:  # a client built from another kubeconfig: its server is all we know
                    _checked[server] = {"context": None, "cluster": None, "server": server}
        words = production_words(urlparse(server).hostname)
        if words and not policy.allow_production:
            raise Refused(f"refusing to change {server}: its host name looks like production (word(s) "
                          f"{', '.join(words)}); set allow_production: true in the target file "
                          "(AFSUITE_ALLOW_PRODUCTION=true) if you mean it")
        _check_change(change, policy, api)
    except Refused as exc:
        entry = plan.add(method=change.method, path=change.path, object=change.describe(), decision="refused",
                         sent="not sent", server=str(exc))
        journal.record("safety", {"time": entry["time"], "refused": str(exc), "change": change.describe()})
        raise
    if not policy.dry_run:  # a real change: logged in chaos/changes.jsonl (what recover and reports can see)
        now = plan.current()
        entry = {"time": time.time(), "experiment": now.experiment, "activity": now.activity,
                 "function": now.function, "method": change.method, "object": change.describe()}
        journal.record("changes", entry)
        return Decision(True, False, entry)
    with _lock:
        if server not in _dry_support:
            _dry_support[server] = probe_dry_run()
        supported = _dry_support[server]
    sent = "dryRun=All" if supported else "not sent (the API server does not support dryRun=All)"
    entry = plan.add(method=change.method, path=change.path, object=change.describe(), decision="planned",
                     sent=sent)
    return Decision(supported, supported, entry)


# ------------------------------------------------------------------------------------------ actions
@dataclass(frozen=True)
class Guarded:
    """What `guard` decided: the action may go on; in a dry run it must not wait for effects."""

    dry_run: bool
    nodes: tuple[str, ...] = ()
    pods: tuple[str, ...] = ()

    def planned(self, action: str, **extra: Any) -> dict[str, Any]:
        """The result a dry-run action returns (what it would have touched)."""
        return {"dry_run": True, "action": action, "would_touch": {"nodes": list(self.nodes),
                                                                 "pods": list(self.pods)}, **extra}


def guard(action: str, *, nodes: Sequence[Any] = (), pods: Sequence[Any] = (), api: Any = None,
          configuration: Configuration = None, secrets: Secrets = None) -> Guarded:
    """Every check at once for an action about to touch `nodes` (cluster-scoped) and/or `pods`: context,
    allowed nodes, blast radius. Raises Refused (recorded in the journal and the plan) before anything changed."""
    policy = SafetyPolicy.from_env(configuration)
    try:
        check_context(secrets=secrets, policy=policy)
        node_names = check_nodes(nodes, api=api, policy=policy) if nodes else []
        pod_names = sorted(_names(pods, "pod")) if pods else []
        check_blast_radius(pod_names, node_names, policy=policy)
    except Refused as exc:
        entry = plan.add(action=action, decision="refused", sent="not sent", server=str(exc))
        journal.record("safety", {"time": entry["time"], "refused": str(exc), "action": action})
        raise
    return Guarded(policy.dry_run, tuple(node_names), tuple(pod_names))


_CONTROL_HOOKS = frozenset({"before_experiment_control", "after_experiment_control", "before_hypothesis_control",
                            "after_hypothesis_control", "before_activity_control", "after_activity_control",
                            "before_rollback_control", "after_rollback_control"})


def __getattr__(name: str) -> Any:
    """Experiment files written for an earlier version declare this module as their safety control; its hooks
    now live in `experiments.afchaos.controls.safety` and are found here too (an old file stays guarded)."""
    if name in _CONTROL_HOOKS:
        from experiments.afchaos.controls import safety as control

        return getattr(control, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
