"""Where a run points: kubeconfig context, namespace, workload selector, service URL and the API key source.

Parsed once at the edge into a frozen object. The API key itself is never stored here: only where to read it
(an environment variable or a file), so a Target can be written into a manifest without leaking it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

SAFETY_KEYS = ("allow_production", "allowed_nodes", "allowed_zones", "max_pods", "max_nodes", "dry_run")


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    kubeconfig: str | None
    context: str | None
    namespace: str
    selector: str = "app.kubernetes.io/name=agentflow"
    deployment: str = "agentflow"
    service_url: str = ""
    api_key_env: str = "AGENTFLOW_API_KEY"
    api_key_file: str | None = None
    # safety (experiments/afchaos/policy.py); None = the file does not set it (the most cautious source wins:
    # harness.preflight.run_policy combines these with AFSUITE_* and --dry-run)
    allow_production: bool | None = None
    allowed_nodes: tuple[str, ...] | None = None
    allowed_zones: tuple[str, ...] | None = None
    max_pods: int | None = None
    max_nodes: int | None = None
    dry_run: bool | None = None
    prometheus_url: str | None = None  # alerts read from it during runs (harness/alerts_recorder.py), read-only
    prometheus_token_env: str | None = None  # bearer token for prometheus_url: an env var name, or
    prometheus_token_file: str | None = None  # a file holding it (never the token itself, never logged)
    # kube-controller-manager --horizontal-pod-autoscaler-sync-period (upstream default 15 s): the HPA checks'
    # reaction bound and their "seen at two syncs" rule use it; the local cluster reports its own (3 s when fast)
    hpa_sync_period_s: float = 15.0
    # the rest of the HPA controller's settings the HPA replay (analysis/hpa_replay) needs, upstream defaults:
    # --horizontal-pod-autoscaler-tolerance, -cpu-initialization-period, -initial-readiness-delay and
    # -downscale-stabilization (the window of an HPA without behavior); the local cluster reports its own
    hpa_tolerance: float = 0.1
    hpa_cpu_initialization_period_s: float = 300.0
    hpa_initial_readiness_delay_s: float = 30.0
    hpa_downscale_stabilization_s: float = 300.0
    # the HPA this target is expected to have (autoscaling/v2 spec fields minReplicas, maxReplicas, metrics,
    # behavior; hpa.expected_behavior judges the live HPA against it); None: AgentFlow's production settings
    hpa_expected: dict | None = None
    # the local cluster's declared scales (a real cluster: 1, 1): resource metrics = real CPU x cpu_scale, and
    # every HPA window and period divided by time_factor (the expected behavior is divided the same way)
    cpu_scale: float = 1.0
    time_factor: float = 1.0

    def api_key(self) -> str | None:
        """The API key from the file (if set) or the environment variable; None if neither has one."""
        if self.api_key_file:
            try:
                return Path(self.api_key_file).read_text().strip() or None
            except OSError as exc:
                raise ValueError(f"target {self.name}: api_key_file {self.api_key_file}: {exc.strerror}") from None
        return os.environ.get(self.api_key_env) or None

    def prometheus_token(self) -> str | None:
        """The bearer token for `prometheus_url` from its file or environment variable; None if neither is set."""
        if self.prometheus_token_file:
            try:
                return Path(self.prometheus_token_file).read_text().strip() or None
            except OSError as exc:
                raise ValueError(f"target {self.name}: prometheus_token_file {self.prometheus_token_file}: "
                                 f"{exc.strerror}") from None
        return os.environ.get(self.prometheus_token_env) if self.prometheus_token_env else None

    def safety_settings(self) -> dict[str, object]:
        """The safety settings this target sets (unset ones left out)."""
        return {k: getattr(self, k) for k in SAFETY_KEYS if getattr(self, k) is not None}

    def to_dict(self) -> dict[str, object]:
        """JSON-able description (no secret: only where the key comes from)."""
        return asdict(self)


def kube_api_client(target: Target) -> object:
    """A kubernetes.client.ApiClient for the target's kubeconfig and context."""
    from kubernetes import client, config

    cfg = client.Configuration()
    config.load_kube_config(config_file=target.kubeconfig, context=target.context, client_configuration=cfg)
    return client.ApiClient(configuration=cfg)
