"""The HPA checks built on the replay and the metrics pipeline, in report order: hpa.conformance (the HPA against
upstream's algorithm with its own spec), hpa.expected_behavior (against the spec the target expects) and
hpa.metrics_freshness (were its metrics fresh). One entry point for the cluster checks' list."""

from __future__ import annotations

from typing import Any

from analysis.checks.context import Check, CheckContext
from analysis.checks.hpa_conformance import evaluate_conformance
from analysis.checks.hpa_expected import evaluate_expected
from analysis.checks.hpa_freshness import evaluate_freshness
from analysis.checks.kube import ClusterConfig
from analysis.checks.result import CheckResult
from analysis.cluster import ClusterData

__all__ = ["evaluate_hpa_replay"]


def evaluate_hpa_replay(manifest: dict[str, Any], cluster: ClusterData, config: ClusterConfig,
                        origin: float) -> list[CheckResult]:
    return [*evaluate_conformance(manifest, cluster, origin), *evaluate_expected(manifest, cluster, origin),
            evaluate_freshness(cluster, config, origin)]


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_hpa_replay(ctx.run.manifest, ctx.cluster, ctx.config, ctx.origin)


CHECKS = (Check(41, "hpa_replay", check, cluster=True, sampled=True),)
