"""Actions: deliberate, time-boxed breaches for the alerting campaign (campaigns/alerting.yaml, docs/alerts.md).

The reference server's fault knobs are command-line flags of its container (`--error-rate 0.2`,
`--ttft const:12`), so a fault on every pod is a rollout of the Deployment with changed args, exactly what an
operator's bad config push is. The original args are saved in an annotation on the Deployment first, so the
rollback puts back what was there (also after Ctrl-C: rollbacks always run). Every change goes through the safety
guard (the Api client); in a dry run nothing changes and nothing is held.
"""

from __future__ import annotations

import json
import logging
import time
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


@intended_errors
def set_fault_knobs(knobs: dict[str, str], hold_seconds: float = 0, name: str = "agentflow", ns: str | None = None,
                    container: str = "agentflow", timeout: float = 300, configuration: Configuration = None,
                    secrets: Secrets = None) -> dict[str, Any]:
    """Set reference-server fault flags (e.g. {"--error-rate": "0.2"}) on every pod by a rollout, wait for it as
    `kubectl rollout status` does, then hold it `hold_seconds`; returns the args before and after."""
    ns = namespace(configuration, ns)
    api = Api(secrets)
    try:
        dep = api.get(_path(ns, name))
        containers = dep["spec"]["template"]["spec"]["containers"]
        target = next((c for c in containers if c["name"] == container), None)
        if target is None:
            raise ActivityFailed(f"deployment {ns}/{name} has no container {container!r}")
        before = list(target.get("args") or [])
        saved = (dep["metadata"].get("annotations") or {}).get(ORIGINAL_ARGS) or json.dumps(before)
        target["args"] = _with_knobs(before, knobs)
        api.patch(_path(ns, name), {"metadata": {"annotations": {ORIGINAL_ARGS: saved}},
                                    "spec": {"template": {"spec": {"containers": containers}}}})
    finally:
        api.close()
    rollout_complete(name, ns, timeout, configuration=configuration, secrets=secrets)
    _hold(hold_seconds, configuration)
    return {"deployment": name, "namespace": ns, "args_before": before, "args_after": target["args"],
            "held_seconds": hold_seconds}


@intended_errors
def restore_fault_knobs(name: str = "agentflow", ns: str | None = None, container: str = "agentflow",
                        timeout: float = 300, configuration: Configuration = None,
                        secrets: Secrets = None) -> dict[str, Any]:
    """Put back the container args saved by set_fault_knobs and wait for the rollout (nothing to do when none
    were saved)."""
    ns = namespace(configuration, ns)
    api = Api(secrets)
    try:
        dep = api.get(_path(ns, name))
        saved = (dep["metadata"].get("annotations") or {}).get(ORIGINAL_ARGS)
        if saved is None:
            return {"deployment": name, "restored": False}
        containers = dep["spec"]["template"]["spec"]["containers"]
        for c in containers:
            if c["name"] == container:
                c["args"] = json.loads(saved)
        api.patch(_path(ns, name), {"metadata": {"annotations": {ORIGINAL_ARGS: None}},
                                    "spec": {"template": {"spec": {"containers": containers}}}})
    finally:
        api.close()
    rollout_complete(name, ns, timeout, configuration=configuration, secrets=secrets)
    return {"deployment": name, "restored": True, "args": json.loads(saved)}


@intended_outage
def scale_to_zero_for(seconds: float, name: str = "agentflow", ns: str | None = None, timeout: float = 300,
                      configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Every pod down: scale the Deployment to 0 for `seconds` (its replica count saved in an annotation), then
    back, waiting until every replica is Ready again (an HPA with minReplicas > 0 stands aside at 0 replicas)."""
    ns = namespace(configuration, ns)
    api = Api(secrets)
    try:
        dep = api.get(_path(ns, name))
        replicas = int(dep["spec"].get("replicas") or 1)
        api.patch(_path(ns, name), {"metadata": {"annotations": {ORIGINAL_REPLICAS: str(replicas)}},
                                    "spec": {"replicas": 0}})
    finally:
        api.close()
    _hold(seconds, configuration)
    restore_replicas(name, ns, timeout, configuration=configuration, secrets=secrets)
    return {"deployment": name, "namespace": ns, "replicas": replicas, "down_seconds": seconds}


def restore_replicas(name: str = "agentflow", ns: str | None = None, timeout: float = 300,
                     configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Scale back to the replica count scale_to_zero_for saved, and wait for the rollout (no-op when none)."""
    ns = namespace(configuration, ns)
    api = Api(secrets)
    try:
        dep = api.get(_path(ns, name))
        saved = (dep["metadata"].get("annotations") or {}).get(ORIGINAL_REPLICAS)
        if saved is None:
            return {"deployment": name, "restored": False}
        api.patch(_path(ns, name), {"metadata": {"annotations": {ORIGINAL_REPLICAS: None}},
                                    "spec": {"replicas": int(saved)}})
    finally:
        api.close()
    rollout_complete(name, ns, timeout, configuration=configuration, secrets=secrets)
    return {"deployment": name, "restored": True, "replicas": int(saved)}
