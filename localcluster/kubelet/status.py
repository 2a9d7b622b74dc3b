"""PodStatus as upstream's kubelet reports it: phase from the container states, the standard conditions
(always a list; conditions written by others, e.g. DisruptionTarget, are kept), IPs, startTime, qosClass."""

from __future__ import annotations

from typing import Any

from localcluster.api.objects import format_time, now_time

__all__ = ["pod_phase", "pod_status", "qos_class"]

_OWN = ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled")
LOCAL_IP = "127.0.0.1"


def pod_phase(statuses: list[dict[str, Any]], restart_policy: str) -> str:
    """Upstream getPhase for pods without init containers."""
    running = waiting = stopped = succeeded = 0
    for st in statuses:
        state = st.get("state") or {}
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode") == 0
        elif "terminated" in (st.get("lastState") or {}):
            stopped += 1
        else:
            waiting += 1
    if waiting > 0 or not statuses:
        return "Pending"
    if running > 0:
        return "Running"
    if restart_policy == "Always":
        return "Running"
    if stopped == succeeded:
        return "Succeeded"
    return "Running" if restart_policy == "OnFailure" else "Failed"


def qos_class(spec: dict[str, Any]) -> str:
    requests_any, guaranteed = False, True
    for c in spec.get("containers") or ():
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        requests_any = requests_any or bool(req) or bool(lim)
        for name in ("cpu", "memory"):
            if name not in lim or str(req.get(name, lim[name])) != str(lim[name]):
                guaranteed = False
    if not requests_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _condition(previous: dict[str, dict[str, Any]], ctype: str, ok: bool, reason: str = "",
               message: str = "") -> dict[str, Any]:
    status = "True" if ok else "False"
    old = previous.get(ctype)
    cond: dict[str, Any] = {"type": ctype, "status": status}
    cond["lastTransitionTime"] = old["lastTransitionTime"] if old and old.get("status") == status and \
        old.get("lastTransitionTime") else now_time()
    if not ok and reason:
        cond["reason"], cond["message"] = reason, message
    return cond


def pod_status(pod: dict[str, Any], statuses: list[dict[str, Any]], start_time: float,
               restart_policy: str) -> dict[str, Any]:
    """The new status of `pod` (a copy of its current status with the kubelet's fields replaced)."""
    status = dict(pod.get("status") or {})
    previous = {c.get("type", ""): c for c in status.get("conditions") or ()}
    unready = [s["name"] for s in statuses if not s.get("ready")]
    ready = not unready and bool(statuses)
    msg = f"containers with unready status: [{' '.join(unready)}]"
    own = [
        _condition(previous, "PodReadyToStartContainers", True),
        _condition(previous, "Initialized", True),
        _condition(previous, "Ready", ready, "ContainersNotReady", msg),
        _condition(previous, "ContainersReady", ready, "ContainersNotReady", msg),
        previous.get("PodScheduled") or _condition(previous, "PodScheduled", True),
    ]
    others = [c for c in status.get("conditions") or () if c.get("type") not in _OWN]
    status.update({
        "phase": pod_phase(statuses, restart_policy),
        "conditions": own + others,
        "hostIP": LOCAL_IP,
        "hostIPs": [{"ip": LOCAL_IP}],
        "podIP": LOCAL_IP,
        "podIPs": [{"ip": LOCAL_IP}],
        "startTime": format_time(start_time),
        "containerStatuses": statuses,
        "qosClass": qos_class(pod.get("spec") or {}),
    })
    return status
