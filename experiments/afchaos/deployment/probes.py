"""Deployment probes: Ready replicas against the PodDisruptionBudget's floor, now and over the experiment, and a
wait for a rollout to finish as `kubectl rollout status` waits (see `deployment/rollout.py`)."""

from __future__ import annotations

import logging
import time
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal
from experiments.afchaos.deployment.rollout import rollout_state
from experiments.afchaos.k8s import Api, namespace

__all__ = ["ready_replicas_at_least_pdb_floor", "ready_replicas_never_below_floor", "rollout_complete"]
logger = logging.getLogger("chaostoolkit")


def pdb_floor(api: Api, ns: str, selector_labels: dict[str, str]) -> tuple[int | None, str | None]:
    """(desiredHealthy, PDB name) of the PDB selecting `selector_labels`, or (None, None) without one."""
    for pdb in api.items(f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets"):
        match = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if match and all(selector_labels.get(k) == v for k, v in match.items()):
            return int((pdb.get("status") or {}).get("desiredHealthy", 0)), pdb["metadata"]["name"]
    return None, None


def ready_replicas_at_least_pdb_floor(name: str = "agentflow", ns: str | None = None, min_ready: int = 2,
                                      configuration: Configuration = None, secrets: Secrets = None) -> bool:
    """True when the deployment's Ready replicas are at least its PDB's desiredHealthy (or `min_ready` when
    no PDB selects it). Raises ActivityFailed naming both numbers otherwise."""
    api = Api(secrets)
    try:
        ns = namespace(configuration, ns)
        dep = api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
        ready = int((dep.get("status") or {}).get("readyReplicas", 0))
        floor, pdb = pdb_floor(api, ns, dep["spec"]["selector"].get("matchLabels") or {})
    finally:
        api.close()
    floor_value = floor if floor is not None else min_ready
    if ready < floor_value:
        source = f"PDB {pdb}" if pdb else f"min_ready {min_ready} (no PDB selects the deployment)"
        raise ActivityFailed(f"deployment {name}: {ready} Ready replica(s), below the floor {floor_value} of {source}")
    return True


def ready_replicas_never_below_floor(min_ready: int = 2, configuration: Configuration = None,
                                     secrets: Secrets = None) -> bool:
    """Judge the floor watch (control `experiments.afchaos.controls.floor`): True when Ready replicas never fell
    below the floor during the experiment; raises ActivityFailed with the lowest count and when it happened."""
    samples = journal.records("floor")
    if not samples:
        raise ActivityFailed("no floor samples: add the control experiments.afchaos.controls.floor to the experiment")
    lowest = min(samples, key=lambda s: s["ready"] - s["floor"])
    if lowest["ready"] < lowest["floor"]:
        raise ActivityFailed(f"Ready replicas fell to {lowest['ready']} at {lowest['time']:.1f}, below the floor "
                             f"{lowest['floor']} ({lowest['source']}); {len(samples)} samples")
    logger.info("Ready replicas never below the floor: lowest %s, floor %s, %s samples",
                lowest["ready"], lowest["floor"], len(samples))
    return True


def rollout_complete(name: str = "agentflow", ns: str | None = None, timeout: float = 300, interval: float = 0.5,
                     configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Wait until the deployment's rollout is finished as `kubectl rollout status` decides it (the controller has
    observed the latest generation; updated, ready and available replicas equal spec.replicas; no old
    ReplicaSet holds pods); returns how long it took and each distinct waiting message. Raises ActivityFailed
    when `timeout` seconds pass or the progress deadline is exceeded, naming what it still waited for."""
    api = Api(secrets)
    ns = namespace(configuration, ns)
    started = time.time()
    history: list[dict[str, Any]] = []
    try:
        while True:
            dep = api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
            state = rollout_state(dep, api.items(f"/apis/apps/v1/namespaces/{ns}/replicasets"))
            if not history or history[-1]["message"] != state.message:
                history.append({"time": time.time(), "message": state.message})
                logger.info("%s", state.message)
            elapsed = time.time() - started
            if state.done or state.failed or elapsed > timeout:
                break
            time.sleep(min(interval, max(0.0, timeout - elapsed)))
    finally:
        api.close()
    result = {"deployment": name, "namespace": ns, "started": started, "seconds": round(time.time() - started, 3),
              "done": state.done, "state": state.to_dict(), "history": history}
    journal.record("rollouts", result)
    if state.failed:
        raise ActivityFailed(f"deployment {name}: {state.message}")
    if not state.done:
        raise ActivityFailed(f"deployment {name}: rollout not finished after {timeout:.0f} s: {state.message}")
    return result
