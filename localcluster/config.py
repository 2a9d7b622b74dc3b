"""The local cluster's settings, parsed once from the command line into a frozen object, and the
`cluster.json` state file other processes (the harness, `afsuite cluster status`) read."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcluster.topology import Topology, parse_topology
from localcluster.workload.timescale import DEFAULT_CPU_SCALE, TIME_SCALES
from localcluster.workload.variants import CLUSTER_SETTINGS, VARIANTS

__all__ = ["STATE_FILE", "ClusterConfig", "default_state_dir", "read_state", "write_state"]

STATE_FILE = "cluster.json"
API_KEY_FILE = "api-key"
KUBECONFIG_FILE = "kubeconfig"
LOG_FILE = "cluster.log"


@dataclass(frozen=True)
class ClusterConfig:
    state_dir: Path
    topology: Topology
    variant: str = "good"
    manifests: Path | None = None
    time_scale: str = "real"
    api_port: int = 0
    service_port: int = 18080
    propagation_delay: float = 1.0
    seed: int | None = None
    cpu_scale: float = 1.0
    prometheus: bool = False  # run Debian's Prometheus with the alerting rules (localcluster/prometheus)
    alert_rules: Path | None = None  # PrometheusRule manifest or rules file; None: the variant's set

    @classmethod
    def build(cls, state_dir: str | os.PathLike[str], *, topology: str = "3x7", variant: str = "good",
              manifests: str | None = None, time_scale: str = "real", api_port: int = 0,
              service_port: int = 18080, propagation_delay: float = 1.0, seed: int | None = None,
              cpu_scale: float | None = None, prometheus: bool = False,
              alert_rules: str | None = None) -> ClusterConfig:
        """Validate every option; errors name the option and the allowed values. `cpu_scale` None: real units."""
        if variant not in VARIANTS:
            raise ValueError(f"--variant: unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
        if time_scale not in TIME_SCALES:
            raise ValueError(f"--time-scale: unknown time scale {time_scale!r}; choose one of: "
                             f"{', '.join(TIME_SCALES)}")
        for flag, port in (("--api-port", api_port), ("--service-port", service_port)):
            if not 0 <= port <= 65535:
                raise ValueError(f"{flag}: {port} is not a TCP port (0..65535; 0 = any free port)")
        if cpu_scale is None:
            cpu_scale = DEFAULT_CPU_SCALE
        if not 0 < cpu_scale <= 1000:
            raise ValueError(f"--cpu-scale: must be > 0 and <= 1000 (resource metrics = real CPU x this), "
                             f"got {cpu_scale}")
        if propagation_delay < 0:
            raise ValueError(f"--propagation-delay: must be >= 0 seconds, got {propagation_delay}")
        path = Path(manifests).expanduser().resolve() if manifests else None
        if path is not None and not path.is_file():
            raise ValueError(f"--manifests: {path} is not a file")
        rules = Path(alert_rules).expanduser().resolve() if alert_rules else None
        if rules is not None and not rules.is_file():
            raise ValueError(f"--alert-rules: {rules} is not a file")
        return cls(Path(state_dir).expanduser().resolve(), parse_topology(topology), variant, path, time_scale,
                   api_port, service_port, propagation_delay, seed, float(cpu_scale), prometheus, rules)

    @property
    def time_factor(self) -> float:
        return TIME_SCALES[self.time_scale]

    @property
    def metrics_lag(self) -> float:
        """Seconds the resource metrics are served late (the `stale-metrics` variant; else 0)."""
        return float(CLUSTER_SETTINGS.get(self.variant, {}).get("metrics_lag", 0.0))

    @property
    def state_file(self) -> Path:
        return self.state_dir / STATE_FILE

    @property
    def api_key_file(self) -> Path:
        return self.state_dir / API_KEY_FILE

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / KUBECONFIG_FILE


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Atomically write the state file (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cluster-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(state, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_state(state_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The state of the cluster serving from `state_dir`, or None when there is none."""
    path = Path(state_dir).expanduser() / STATE_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable cluster state ({exc}); remove it if no cluster is running") from None


def default_state_dir() -> Path:
    """`.localcluster/` in the repository when run from a checkout, else ~/.cache/afsuite/localcluster."""
    root = Path(__file__).resolve().parents[1]
    if (root / ".git").exists():
        return root / ".localcluster"
    return Path.home() / ".cache" / "afsuite" / "localcluster"
