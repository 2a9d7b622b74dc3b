"""HPA probes: wait (bounded) for the HPA to scale the workload up under load, and back down after it."""

from __future__ import annotations

import time
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal
from experiments.afchaos.k8s import Api, namespace

__all__ = ["replicas_reach_at_least", "replicas_return_to_min"]


def _hpa(api: Api, ns: str, name: str) -> dict[str, Any]:
    return api.get(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/{name}")


def _wait(name: str, ns: str | None, configuration: Configuration, secrets: Secrets, timeout: float,
          done: Any, what: str) -> dict[str, Any]:
    api = Api(secrets)
    ns = namespace(configuration, ns)
    started = time.time()
    history: list[tuple[float, int, int]] = []
    try:
        while True:
            hpa = _hpa(api, ns, name)
            st, spec = hpa.get("status") or {}, hpa["spec"]
            sample = (time.time(), int(st.get("currentReplicas", 0)), int(st.get("desiredReplicas", 0)))
            if not history or history[-1][1:] != sample[1:]:
                history.append(sample)
            if done(sample, spec):
                result = {"what": what, "seconds": sample[0] - started, "replicas": sample[1],
                          "history": [{"time": t, "current": c, "desired": d} for t, c, d in history]}
                journal.record("hpa", result)
                return result
            if time.time() - started > timeout:
                raise ActivityFailed(f"HPA {name}: {what} did not happen within {timeout:.0f} s; "
                                     f"replicas history {[(round(t - started), c, d) for t, c, d in history]}")
            time.sleep(1.0)
    finally:
        api.close()


def replicas_reach_at_least(replicas: int, name: str = "agentflow", timeout: float = 180, ns: str | None = None,
                            configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Wait until the HPA's current replicas reach `replicas`; returns how long it took and the history."""
    return _wait(name, ns, configuration, secrets, timeout, lambda s, _spec: s[1] >= replicas,
                 f"scale-up to {replicas}")


def replicas_return_to_min(name: str = "agentflow", timeout: float = 300, ns: str | None = None,
                           configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Wait until the HPA is back at minReplicas after the load; returns how long it took and the history."""
    return _wait(name, ns, configuration, secrets, timeout,
                 lambda s, spec: s[1] <= int(spec.get("minReplicas", 1)), "scale-down to minReplicas")
