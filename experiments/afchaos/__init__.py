"""afchaos: the Chaos Toolkit activities chaosk8s lacks, for AgentFlow (chaosk8s style: `<area>/actions.py`,
`<area>/probes.py`, one plain typed function per activity raising `ActivityFailed` on failure).

Activities take `configuration` and `secrets` like chaosk8s: the kubeconfig comes from `KUBECONFIG`, the context
from `KUBERNETES_CONTEXT` (env or secrets); the namespace from configuration `agentflow_namespace` or env
`AGENTFLOW_NAMESPACE` (default `agentflow`). Whatever the suite cordons or marks carries the label
`afsuite.agentflow.dev/cordoned=true`, so a rollback (or `afsuite recover`) undoes exactly that and nothing else.
"""

from __future__ import annotations

from chaoslib.discovery.discover import discover_actions, discover_probes, initialize_discovery_result
from chaoslib.types import DiscoveredActivities, Discovery

__all__ = ["discover"]


def discover(discover_system: bool = True) -> Discovery:
    """What `chaos discover afchaos` shows."""
    discovery = initialize_discovery_result("agentflow-suite-afchaos", "0.1.0", "kubernetes")
    discovery["activities"].extend(_activities())
    return discovery


def _activities() -> list[DiscoveredActivities]:
    out: list[DiscoveredActivities] = []
    for area in ("node", "zone", "pod"):
        out.extend(discover_actions(f"experiments.afchaos.{area}.actions"))
    for area in ("deployment", "placement", "service", "pod", "node", "hpa", "effects", "canary"):
        out.extend(discover_probes(f"experiments.afchaos.{area}.probes"))
    return out
