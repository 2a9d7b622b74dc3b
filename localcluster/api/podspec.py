"""API defaulting of pod specs (pods and the templates of Deployments and ReplicaSets), as upstream's
SetDefaults_* functions fill them: restart/DNS/scheduler policies, grace period, service links; per container
the image pull policy (Always for `:latest` or an untagged image), the termination message, port protocols
and the probe and lifecycle-handler defaults (timeout 1 s, period 10 s, success 1, failure 3, HTTP scheme,
path /). Applied on every write through the API, so what `kubectl describe` shows is what upstream shows."""

from __future__ import annotations

from typing import Any

__all__ = ["pod_spec_defaults"]

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _handler(handler: dict[str, Any]) -> None:
    http = handler.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _probe(probe: dict[str, Any]) -> None:
    """Zero means unset, as upstream's defaulting reads these non-pointer fields."""
    for field, default in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                           ("failureThreshold", 3)):
        if not probe.get(field):
            probe[field] = default
    _handler(probe)


def _container(c: dict[str, Any]) -> None:
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("imagePullPolicy", _pull_policy(str(c.get("image") or "")))
    c.setdefault("resources", {})
    for port in c.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for field in _PROBES:
        if isinstance(c.get(field), dict):
            _probe(c[field])
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if isinstance(lifecycle.get(hook), dict):
                _handler(lifecycle[hook])
    for env in c.get("env") or ():
        ref = ((env or {}).get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(ref, dict):
            ref.setdefault("apiVersion", "v1")


def pod_spec_defaults(spec: dict[str, Any]) -> None:
    """Fill the defaults of a PodSpec in place (idempotent)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("containers", [])
    for c in [*(spec.get("containers") or ()), *(spec.get("initContainers") or ())]:
        if isinstance(c, dict):
            _container(c)
