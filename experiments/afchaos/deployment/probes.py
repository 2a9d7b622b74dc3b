"""Deployment probes: Ready replicas against the PodDisruptionBudget's floor, now and over the experiment."""

from __future__ import annotations

import logging

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal
from experiments.afchaos.k8s import Api, namespace

__all__ = ["ready_replicas_at_least_pdb_floor", "ready_replicas_never_below_floor"]
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
