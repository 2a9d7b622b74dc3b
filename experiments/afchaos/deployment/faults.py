"""Actions: deliberate, time-boxed breaches for the alerting campaign (campaigns/alerting.yaml, docs/alerts.md).

The reference server's fault knobs are command-line flags of its container (`--error-rate 0.2`,
`--ttft const:12`), so a fault on every pod is a rollout of the Deployment with changed args, exactly what an
operator's bad config push is. The original args (or replica count) are saved in an annotation on the
Deployment in the same patch, so the rollback puts back what was there (also after Ctrl-C: rollbacks always
run); an original saved by a fault that was never rolled back is kept, not overwritten by the faulty value.
Every change goes through the safety guard (the Api client); in a dry run nothing changes and nothing is held.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import safety
from experiments.afchaos.deployment.probes import rollout_complete
from experiments.afchaos.k8s import Api, namespace
from experiments.afchaos.outage import intended_errors, intended_outage

__all__ = ["restore_fault_knobs", "restore_replicas", "scale_to_zero_for", "set_fault_knobs"]

logger = logging.getLogger("chaostoolkit")
ORIGINAL_ARGS = "afsuite.agentflow.dev/original-args"
ORIGINAL_REPLICAS = "afsuite.agentflow.dev/original-replicas"


def _path(ns: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"


def _with_knobs(args: list[str], knobs: dict[str, str]) -> list[str]:
    out = list(args)
    for flag, value in knobs.items():
        if flag in out:
            out[out.index(flag) + 1] = str(value)
        else:
            out += [flag, str(value)]
    return out


def _hold(seconds: float, configuration: Configuration) -> None:
    if seconds > 0 and not safety.dry_run(configuration=configuration):
        logger.info("holding the fault for %.0f s", seconds)
        time.sleep(seconds)  # the fault's declared duration (the experiment's own timing, bounded)


def _save_and_change(ns: str, name: str, annotation: str,
                     change: Callable[[dict[str, Any]], tuple[dict[str, Any], str]], secrets: Secrets) -> str:
    """Read the Deployment; `change(dep)` gives the spec patch and the original it replaces; patch both, the
    original saved in `annotation` (one saved before is kept). Returns what is saved."""
    api = Api(secrets)
    try:
        dep = api.get(_path(ns, name))
        spec, original = change(dep)
        saved = (dep["metadata"].get("annotations") or {}).get(annotation) or original
        api.patch(_path(ns, name), {"metadata": {"annotations": {annotation: saved}}, "spec": spec})
        return saved
    finally:
        api.close()


def _restore_saved(ns: str, name: str, annotation: str, restore: Callable[[dict[str, Any], str], dict[str, Any]],
                   timeout: float, configuration: Configuration, secrets: Secrets) -> str | None:
    """The inverse: `restore(dep, saved)` gives the spec patch that puts the saved original back; patch it with
    the annotation removed and wait for the rollout. None (and nothing done) when nothing was saved."""
    api = Api(secrets)
    try:
        dep = api.get(_path(ns, name))
        saved = (dep["metadata"].get("annotations") or {}).get(annotation)
        if saved is None:
            return None
        api.patch(_path(ns, name), {"metadata": {"annotations": {annotation: None}}, "spec": restore(dep, saved)})
    finally:
        api.close()
    rollout_complete(name, ns, timeout, configuration=configuration, secrets=secrets)
    return saved


def _containers(dep: dict[str, Any]) -> list[dict[str, Any]]:
    return dep["spec"]["template"]["spec"]["containers"]


@intended_errors
def set_fault_knobs(knobs: dict[str, str], hold_seconds: float = 0, name: str = "agentflow", ns: str | None = None,
                    container: str = "agentflow", timeout: float = 300, configuration: Configuration = None,
                    secrets: Secrets = None) -> dict[str, Any]:
    """Set reference-server fault flags (e.g. {"--error-rate": "0.2"}) on every pod by a rollout, wait for it as
    `kubectl rollout status` does, then hold it `hold_seconds`; returns the args before and after."""
    ns = namespace(configuration, ns)
    args: dict[str, list[str]] = {}

    def knobs_on(dep: dict[str, Any]) -> tuple[dict[str, Any], str]:
        containers = _containers(dep)
        target = next((c for c in containers if c["name"] == container), None)
        if target is None:
            raise ActivityFailed(f"deployment {ns}/{name} has no container {container!r}")
        args["before"] = list(target.get("args") or [])
        target["args"] = args["after"] = _with_knobs(args["before"], knobs)
        return {"template": {"spec": {"containers": containers}}}, json.dumps(args["before"])

    _save_and_change(ns, name, ORIGINAL_ARGS, knobs_on, secrets)
    rollout_complete(name, ns, timeout, configuration=configuration, secrets=secrets)
    _hold(hold_seconds, configuration)
    return {"deployment": name, "namespace": ns, "args_before": args["before"], "args_after": args["after"],
            "held_seconds": hold_seconds}


@intended_errors
def restore_fault_knobs(name: str = "agentflow", ns: str | None = None, container: str = "agentflow",
                        timeout: float = 300, configuration: Configuration = None,
                        secrets: Secrets = None) -> dict[str, Any]:
    """Put back the container args saved by set_fault_knobs and wait for the rollout (nothing to do when none
    were saved)."""
    ns = namespace(configuration, ns)

    def args_back(dep: dict[str, Any], saved: str) -> dict[str, Any]:
        containers = _containers(dep)
        for c in containers:
            if c["name"] == container:
                c["args"] = json.loads(saved)
        return {"template": {"spec": {"containers": containers}}}

    saved = _restore_saved(ns, name, ORIGINAL_ARGS, args_back, timeout, configuration, secrets)
    if saved is None:
        return {"deployment": name, "restored": False}
    return {"deployment": name, "restored": True, "args": json.loads(saved)}


@intended_outage
def scale_to_zero_for(seconds: float, name: str = "agentflow", ns: str | None = None, timeout: float = 300,
                      configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Every pod down: scale the Deployment to 0 for `seconds` (its replica count saved in an annotation), then
    back, waiting until every replica is Ready again (an HPA with minReplicas > 0 stands aside at 0 replicas)."""
    ns = namespace(configuration, ns)
    saved = _save_and_change(ns, name, ORIGINAL_REPLICAS,
                             lambda dep: ({"replicas": 0}, str(int(dep["spec"].get("replicas") or 1))), secrets)
    _hold(seconds, configuration)
    restore_replicas(name, ns, timeout, configuration=configuration, secrets=secrets)
    return {"deployment": name, "namespace": ns, "replicas": int(saved), "down_seconds": seconds}


def restore_replicas(name: str = "agentflow", ns: str | None = None, timeout: float = 300,
                     configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Scale back to the replica count scale_to_zero_for saved, and wait for the rollout (no-op when none)."""
    ns = namespace(configuration, ns)
    saved = _restore_saved(ns, name, ORIGINAL_REPLICAS, lambda dep, saved: {"replicas": int(saved)}, timeout,
                           configuration, secrets)
    if saved is None:
        return {"deployment": name, "restored": False}
    return {"deployment": name, "restored": True, "replicas": int(saved)}
