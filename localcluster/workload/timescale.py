"""Time scaling for CI, written into the objects' specs themselves (nothing is hidden in code).

`fast` divides the HPA's stabilization windows and policy periods by FACTOR (rounded, at least 1 s), so a
run shows the same step sequence in a fraction of the time. The HPA controller's own settings (sync period,
and the downscale stabilization it applies to an HPA without behavior, upstream's
--horizontal-pod-autoscaler-downscale-stabilization) are scaled in the cluster configuration, where
`afsuite cluster status` shows them. Probe timings and grace periods are left as
production sets them: they are short already and are what the graceful-shutdown checks are about.
"""

from __future__ import annotations

from localcluster.workload.manifests import find

TIME_SCALES = {"real": 1.0, "fast": 5.0}
# The declared CPU scale (`--cpu-scale`): the pods' resource metrics are their real process CPU (and RSS) times
# it. The default keeps real units (the chaos experiments' background load leaves the HPA at rest); LAPTOP is
# what `make demo` and the hpa-range campaign state, so a 2-core machine drives the production HPA (500m
# requests, 70 % target, 3..20 replicas) across its whole range (docs/hpa.md).
DEFAULT_CPU_SCALE = 1.0
LAPTOP_CPU_SCALE = 10.0
# Upstream's defaults for an HPA without behavior, made explicit when scaling so the scaled HPA still
# behaves as an unscaled default one would, at a faster pace.
_DEFAULT_DOWN_WINDOW = 300


def _scaled(value: int, factor: float) -> int:
    return max(1, round(value / factor))


def apply_time_scale(docs: list[dict], name: str) -> list[dict]:
    """Scale the HPA behavior of `docs` in place for time scale `name`; returns `docs`."""
    if name not in TIME_SCALES:
        raise ValueError(f"--time-scale: unknown time scale {name!r}; choose one of: {', '.join(TIME_SCALES)}")
    factor = TIME_SCALES[name]
    hpa = find(docs, "HorizontalPodAutoscaler")
    if factor == 1.0 or hpa is None:
        return docs
    behavior = hpa["spec"].get("behavior")
    if behavior is None:
        return docs  # an HPA without behavior keeps upstream's defaults; only the sync period is scaled
    for direction in ("scaleUp", "scaleDown"):
        rules = behavior.get(direction)
        if rules is None:
            continue
        default_window = _DEFAULT_DOWN_WINDOW if direction == "scaleDown" else 0
        window = rules.get("stabilizationWindowSeconds", default_window)
        rules["stabilizationWindowSeconds"] = 0 if window == 0 else _scaled(window, factor)
        for policy in rules.get("policies") or []:
            policy["periodSeconds"] = _scaled(policy["periodSeconds"], factor)
    return docs


def controller_seconds(name: str, base: float) -> float:
    """A controller setting of `base` seconds under time scale `name` (e.g. HPA sync 15 s, downscale 300 s)."""
    return base / TIME_SCALES[name]
