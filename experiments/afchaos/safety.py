"""Safety guards every chaos action calls before it touches the cluster, and a control that checks the
kubeconfig context once before the experiment starts.

The chaos process sees only its environment and the experiment's configuration, so the policy is read from
there (a configuration key `afsuite_<name>` wins over the environment variable `AFSUITE_<NAME>`):

| env / configuration            | meaning                                                          | default |
|--------------------------------|------------------------------------------------------------------|---------|
| AFSUITE_ALLOW_PRODUCTION       | allow a context/cluster/server that looks like production        | false   |
| AFSUITE_ALLOWED_NODES          | comma-separated node names cluster-scoped faults may touch       | none    |
| AFSUITE_ALLOWED_ZONES          | comma-separated zones whose nodes cluster-scoped faults may touch | none   |
| AFSUITE_MAX_PODS               | most pods one experiment may delete/evict in total               | no cap  |
| AFSUITE_MAX_NODES              | most nodes one experiment may cordon/drain/fail in total         | no cap  |
| AFSUITE_DRY_RUN                | actions return the plan (`would`) and change nothing             | false   |
| AFSUITE_CLUSTER_NAME           | the cluster's name when running in a pod (no kubeconfig context) | none    |

"Looks like production": one of the words prod, production, prd, live appears as a word (split on anything
not a letter or digit) in the context name, the cluster name or the API server's host name. The local
cluster's nodes (label `node.kubernetes.io/instance-type: localcluster`) are always allowed.

Use in an action (the lead wires it; see `guard`):

    plan = safety.guard("drain_nodes", nodes=names, pods=pods, api=api, configuration=configuration,
                        secrets=secrets)
    if plan is not None:
        return plan          # dry run: nothing changed
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from chaoslib.exceptions import ActivityFailed, InterruptExecution
from chaoslib.types import Configuration, Experiment, Secrets

from experiments.afchaos import journal

__all__ = ["PRODUCTION_WORDS", "SafetyPolicy", "check_blast_radius", "check_context", "check_nodes",
           "dry_run", "guard", "kube_identity", "planned", "reset", "would"]

PRODUCTION_WORDS = frozenset({"prod", "production", "prd", "live"})
LOCAL_INSTANCE_TYPE = "localcluster"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
ZONE_LABEL = "topology.kubernetes.io/zone"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}

_lock = threading.Lock()
_spent: dict[str, set[str]] = {"pods": set(), "nodes": set()}
_plans: list[dict[str, Any]] = []
_anonymous = itertools.count()


@dataclass(frozen=True, slots=True)
class SafetyPolicy:
    """What chaos actions may touch; parsed once from configuration/environment (see the module docstring)."""

    allow_production: bool = False
    allowed_nodes: tuple[str, ...] = ()
    allowed_zones: tuple[str, ...] = ()
    max_pods: int | None = None
    max_nodes: int | None = None
    dry_run: bool = False

    @classmethod
    def from_env(cls, configuration: Configuration = None, env: Mapping[str, str] | None = None) -> SafetyPolicy:
        """The policy from `configuration` keys `afsuite_<field>` or env `AFSUITE_<FIELD>`; bad values raise
        ActivityFailed naming the variable."""
        env = os.environ if env is None else env
        conf = configuration or {}
        raw: dict[str, Any] = {}
        for f in fields(cls):
            key = f"afsuite_{f.name}"
            if conf.get(key) is not None:
                raw[f.name] = (conf[key], key)
            elif env.get(key.upper()) is not None:
                raw[f.name] = (env[key.upper()], key.upper())
        return cls(**{name: _convert(name, value, where) for name, (value, where) in raw.items()})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "target") -> SafetyPolicy:
        """The policy from a target's keys (`allow_production`, `allowed_nodes`, ...); other keys ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: _convert(k, v, f"{where}: {k}") for k, v in data.items() if k in names and v is not None})

    def to_env(self) -> dict[str, str]:
        """Environment for the chaos process (what `from_env` reads back); unset values are left out."""
        out = {"AFSUITE_ALLOW_PRODUCTION": str(self.allow_production).lower(),
               "AFSUITE_DRY_RUN": str(self.dry_run).lower()}
        if self.allowed_nodes:
            out["AFSUITE_ALLOWED_NODES"] = ",".join(self.allowed_nodes)
        if self.allowed_zones:
            out["AFSUITE_ALLOWED_ZONES"] = ",".join(self.allowed_zones)
        if self.max_pods is not None:
            out["AFSUITE_MAX_PODS"] = str(self.max_pods)
        if self.max_nodes is not None:
            out["AFSUITE_MAX_NODES"] = str(self.max_nodes)
        return out


def _convert(name: str, value: Any, where: str) -> Any:
    if name in ("allow_production", "dry_run"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ActivityFailed(f"{where}: {value!r} is not a boolean (use true or false)")
    if name in ("allowed_nodes", "allowed_zones"):
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(i).strip() for i in items if str(i).strip())
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ActivityFailed(f"{where}: {value!r} is not a whole number") from None
    if number < 0:
        raise ActivityFailed(f"{where}: {number} must be >= 0")
    return number


# ------------------------------------------------------------------------------------------ context
def production_words(*names: str | None) -> list[str]:
    """The production words found as words in `names` (empty when none looks like production)."""
    found = []
    for name in names:
        for word in re.split(r"[^a-z0-9]+", (name or "").lower()):
            if word in PRODUCTION_WORDS and word not in found:
                found.append(word)
    return found


def _kubeconfig_docs(kubeconfig: str | None) -> list[dict[str, Any]]:
    paths = (kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config").split(os.pathsep)
    docs = []
    for path in paths:
        try:
            docs.append(yaml.safe_load(Path(path).expanduser().read_text()) or {})
        except (OSError, yaml.YAMLError) as exc:
            raise ActivityFailed(f"kubeconfig {path}: cannot read ({exc}); set KUBECONFIG") from None
    return docs


def kube_identity(context: str | None = None, kubeconfig: str | None = None) -> dict[str, str | None]:
    """{context, cluster, server} the chaos process will talk to: the kubeconfig context `context` (else
    KUBERNETES_CONTEXT, else current-context); in a pod (CHAOSTOOLKIT_IN_POD=true) AFSUITE_CLUSTER_NAME."""
    if os.environ.get("CHAOSTOOLKIT_IN_POD", "").lower() == "true":
        host = os.environ.get("KUBERNETES_SERVICE_HOST")
        return {"context": None, "cluster": os.environ.get("AFSUITE_CLUSTER_NAME"),
                "server": f"https://{host}" if host else None}
    docs = _kubeconfig_docs(kubeconfig)
    name = context or os.environ.get("KUBERNETES_CONTEXT") or next(
        (d.get("current-context") for d in docs if d.get("current-context")), None)
    ctx = next((c.get("context") or {} for d in docs for c in d.get("contexts") or [] if c.get("name") == name),
               None)
    if ctx is None:
        raise ActivityFailed(f"kubeconfig context {name!r} not found; set KUBERNETES_CONTEXT to one of the "
                             "contexts in KUBECONFIG")
    cluster = ctx.get("cluster")
    server = next(((c.get("cluster") or {}).get("server") for d in docs for c in d.get("clusters") or []
                   if c.get("name") == cluster), None)
    return {"context": name, "cluster": cluster, "server": server}


def check_context(context: Any = None, *, kubeconfig: str | None = None, policy: SafetyPolicy | None = None,
                  secrets: Secrets = None) -> dict[str, Any]:
    """Refuse (ActivityFailed) a target that looks like production unless allow_production. `context` is a
    kubeconfig context name, a kubernetes ApiClient (only its server is known) or None (the chaos process's
    context: secrets/env KUBERNETES_CONTEXT). Returns the identity checked."""
    policy = policy or SafetyPolicy.from_env()
    if context is not None and not isinstance(context, str):
        host = getattr(getattr(context, "configuration", None), "host", None)
        ident: dict[str, Any] = {"context": None, "cluster": None, "server": host}
    else:
        name = context or (secrets or {}).get("KUBERNETES_CONTEXT")
        ident = dict(kube_identity(name, kubeconfig))
    host = urlparse(ident.get("server") or "").hostname
    words = production_words(ident.get("context"), ident.get("cluster"), host)
    ident["looks_like_production"] = bool(words)
    if words and not policy.allow_production:
        raise ActivityFailed(
            f"refusing to run against context {ident['context']!r} (cluster {ident['cluster']!r}, server "
            f"{ident['server']!r}): it looks like production (word(s) {', '.join(words)}). If this really is a "
            "cluster you may break, set allow_production: true in the target file (AFSUITE_ALLOW_PRODUCTION=true)")
    unnamed = ident["context"] is None and ident["cluster"] is None
    if unnamed and isinstance(context, str | None) and not policy.allow_production:
        raise ActivityFailed("cannot tell which cluster this is (in a pod, no kubeconfig context): set "
                             "AFSUITE_CLUSTER_NAME to the cluster's name, or AFSUITE_ALLOW_PRODUCTION=true")
    return ident


# ------------------------------------------------------------------------------------------ nodes
def _node_objects(nodes: Sequence[Any], api: Any) -> list[dict[str, Any]]:
    out = []
    for node in nodes:
        if isinstance(node, Mapping):
            out.append(dict(node))
        elif api is None:
            raise ActivityFailed(f"check_nodes: node {node!r} given by name but no API client to read its labels")
        else:
            out.append(api.get(f"/api/v1/nodes/{node}"))
    return out


def check_nodes(nodes: Sequence[Any], *, api: Any = None, policy: SafetyPolicy | None = None) -> list[str]:
    """Refuse (ActivityFailed) a cluster-scoped fault (cordon, drain, zone) on any node that is neither in
    allowed_nodes nor in an allowed zone (local-cluster nodes are always allowed). `nodes`: node objects or
    names (names need `api`, an `experiments.afchaos.k8s.Api`). Returns the node names checked."""
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
        raise ActivityFailed(
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
    """Refuse (ActivityFailed) when the pods/nodes this action would touch, added to those the experiment
    (this process) already touched, exceed max_pods/max_nodes. Accepted ones are counted; returns the totals."""
    policy = policy or SafetyPolicy.from_env()
    with _lock:
        new = {"pods": _spent["pods"] | _names(pods, "pod"), "nodes": _spent["nodes"] | _names(nodes, "node")}
        for kind, cap, key in (("pods", policy.max_pods, "max_pods"), ("nodes", policy.max_nodes, "max_nodes")):
            if cap is not None and len(new[kind]) > cap:
                raise ActivityFailed(
                    f"refusing: this experiment would touch {len(new[kind])} {kind} ({len(_spent[kind])} already, "
                    f"this action {len(new[kind]) - len(_spent[kind])} more), over the blast radius {key}={cap}; "
                    f"raise {key} in the target file (AFSUITE_{key.upper()}) or select fewer {kind}")
        _spent.update(new)
        return {"pods": len(new["pods"]), "nodes": len(new["nodes"]),
                "max_pods": policy.max_pods, "max_nodes": policy.max_nodes}


# ------------------------------------------------------------------------------------------ dry run
def dry_run(policy: SafetyPolicy | None = None) -> bool:
    """True when actions must only say what they would do (AFSUITE_DRY_RUN)."""
    return (policy or SafetyPolicy.from_env()).dry_run


def would(action: str, objects: Any) -> dict[str, Any]:
    """Record, print and return the plan of a dry-run action: what it would touch (it changes nothing)."""
    plan = {"dry_run": True, "action": action, "would_touch": objects, "time": time.time()}
    with _lock:
        _plans.append(plan)
    journal.record("dry_run", plan)
    print(f"DRY RUN {action}: would touch {objects}", flush=True)
    return plan


def planned() -> list[dict[str, Any]]:
    with _lock:
        return list(_plans)


def reset() -> None:
    """Forget what this process counted against the blast radius and the dry-run plans (tests, new experiment)."""
    with _lock:
        _spent["pods"].clear()
        _spent["nodes"].clear()
        _plans.clear()


def guard(action: str, *, nodes: Sequence[Any] = (), pods: Sequence[Any] = (), api: Any = None,
          configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any] | None:
    """Every check in one call, for an action about to touch `nodes` (cluster-scoped) and/or `pods`: context,
    allowed nodes, blast radius. Returns the dry-run plan (the action must return it and change nothing), or
    None when the action may go ahead. Raises ActivityFailed on a refusal."""
    policy = SafetyPolicy.from_env(configuration)
    check_context(secrets=secrets, policy=policy)
    node_names = check_nodes(nodes, api=api, policy=policy) if nodes else []
    pod_names = sorted(_names(pods, "pod")) if pods else []
    check_blast_radius(pod_names, node_names, policy=policy)
    if policy.dry_run:
        return would(action, {"nodes": node_names, "pods": pod_names})
    return None


def before_experiment_control(context: Experiment, configuration: Configuration = None, secrets: Secrets = None,
                              **kwargs: Any) -> None:
    """Control: interrupt the experiment before anything runs when the context looks like production (and
    production is not allowed), so chaosk8s' own actions are covered too."""
    reset()
    try:
        ident = check_context(secrets=secrets, policy=SafetyPolicy.from_env(configuration))
    except ActivityFailed as exc:
        journal.record("safety", {"time": time.time(), "refused": str(exc)})
        raise InterruptExecution(str(exc)) from None
    journal.record("safety", {"time": time.time(), "checked": ident})
