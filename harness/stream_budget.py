"""How long an in-flight stream may still run once its pod begins terminating, read from a pod template.

Once a pod is deleted (pod delete, drain, zone drain, rollout, HPA scale-down) the kubelet runs the preStop hook
(the server keeps serving), then sends SIGTERM; the server then drains for its own budget; the kubelet kills
whatever is left at terminationGracePeriodSeconds, counted from the deletion with preStop included. So a stream
in flight at the deletion has at most

    allowed = min(grace, preStop + server drain budget)

seconds left. Runs longer than that which are in flight at a disruption are cut. The server's budget: the
reference server's ``graceful`` lifecycle drains for ``--drain-timeout`` (45 s by default); AgentFlow 1.11.3 (and
the reference server's default ``agentflow-1.11`` lifecycle) gives in-flight requests ``shutdown_timeout`` (15 s).
The agent timeout (``--agent-timeout``, AgentFlow's ``timeout: 3m``) bounds how long an agent run may legally be:
a workload whose ``allowed`` is below it cuts legal runs at every disruption (docs/agentflow.md).

Pure functions of a pod spec (dicts as read from the API or a manifest); the doctor and the observer share them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

K8S_DEFAULT_GRACE = 30.0
DEFAULT_DRAIN = 45.0  # reference server, --lifecycle graceful
DEFAULT_SHUTDOWN = 15.0  # AgentFlow's server.shutdown_timeout
DEFAULT_AGENT_TIMEOUT = 180.0  # AgentFlow production guide: agent timeout 3m

_SLEEP = re.compile(r"(?:^|\s|;|&)sleep\s+([0-9]+(?:\.[0-9]+)?)")


@dataclass(frozen=True)
class StreamBudget:
    grace_s: float
    prestop_s: float | None  # None: a preStop hook whose length cannot be read (not a sleep)
    server_s: float
    agent_timeout_s: float

    @property
    def allowed_s(self) -> float:
        """Seconds a stream in flight at the deletion may still run (see the module docstring)."""
        return min(self.grace_s, (self.prestop_s or 0.0) + self.server_s)

    def arithmetic(self) -> str:
        """The budget as a sentence, e.g. ``min(grace 60 s, preStop 10 s + drain 45 s) = 55 s``."""
        pre = "?" if self.prestop_s is None else f"{self.prestop_s:g}"
        return (f"min(grace {self.grace_s:g} s, preStop {pre} s + server drain {self.server_s:g} s) = "
                f"{self.allowed_s:g} s")


def prestop_seconds(container: Mapping[str, Any]) -> float | None:
    """The preStop delay: 0 without a hook, N for ``sleep N`` (exec or the sleep action), None otherwise."""
    hook = (container.get("lifecycle") or {}).get("preStop")
    if not hook:
        return 0.0
    if isinstance(hook.get("sleep"), Mapping):
        return float(hook["sleep"].get("seconds") or 0)
    command = " ".join(str(c) for c in ((hook.get("exec") or {}).get("command") or []))
    match = _SLEEP.search(command)
    return float(match.group(1)) if match else None


def _setting(container: Mapping[str, Any], flag: str) -> str | None:
    """A reference-server setting from the container's args (``--flag value`` or ``--flag=value``) or env."""
    args: Sequence[str] = [str(a) for a in (container.get("args") or []) + (container.get("command") or [])]
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    env_name = "AGENTFLOW_" + flag.lstrip("-").replace("-", "_").upper()
    for item in container.get("env") or []:
        if item.get("name") == env_name and "value" in item:
            return str(item["value"])
    return None


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text is not None else default
    except ValueError:
        return default


def stream_budget(pod_spec: Mapping[str, Any]) -> StreamBudget:
    """The budget of the pod template's first container (AgentFlow)."""
    container = (pod_spec.get("containers") or [{}])[0]
    grace = pod_spec.get("terminationGracePeriodSeconds")
    lifecycle = _setting(container, "--lifecycle") or "agentflow-1.11"
    if lifecycle == "graceful":
        server = _number(_setting(container, "--drain-timeout"), DEFAULT_DRAIN)
    else:
        server = _number(_setting(container, "--shutdown-timeout"), DEFAULT_SHUTDOWN)
    return StreamBudget(grace_s=float(grace) if grace is not None else K8S_DEFAULT_GRACE,
                        prestop_s=prestop_seconds(container), server_s=server,
                        agent_timeout_s=_number(_setting(container, "--agent-timeout"), DEFAULT_AGENT_TIMEOUT))
