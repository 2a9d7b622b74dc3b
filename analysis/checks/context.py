"""What every check of the verdict pipeline receives (:class:`CheckContext`) and how a check declares itself
(:class:`Check`).

A check is a plain function ``check(ctx) -> list[CheckResult]``. Its module declares it in a module-level
``CHECKS`` tuple, with its place in the report order and whether it needs the cluster's files; the pipeline
(``analysis/pipeline.py``) finds every ``CHECKS`` of ``analysis/checks/`` when it runs. So adding a check is its
module and its test: no list elsewhere to edit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis import fmt
from analysis.checks.config import ClusterConfig, SloConfig, ValidityConfig
from analysis.checks.result import CheckResult
from analysis.cluster import ClusterData
from analysis.latency import LatencyTables
from analysis.rundir import RunData


@dataclass
class CheckContext:
    """One run, loaded and derived once, with everything the checks judge with."""

    run: RunData
    slos: SloConfig
    validity: ValidityConfig
    tables: LatencyTables
    cluster: ClusterData | None = None  # None: only the load was judged (``analysis.checks.judge``)
    config: ClusterConfig = field(default_factory=ClusterConfig)
    # analysis.checks.coverage.Coverage (when the run has cluster output) and analysis.checks.hard_faults.Casualties:
    # typed Any because those modules declare checks of their own with this context (no import cycle)
    coverage: Any = None
    failed_in_outage: int = 0
    casualties: Any = None
    results: list[CheckResult] = field(default_factory=list)  # the results of the checks before this one

    @property
    def origin(self) -> float:
        return self.run.origin

    @property
    def end(self) -> float:
        """The run's end (epoch s): the manifest's ``ended``, else the last stream's end, else the start."""
        ended = self.run.manifest.get("ended")
        if isinstance(ended, int | float) and math.isfinite(ended):
            return float(ended)
        streams = self.cluster.streams if self.cluster is not None else None
        if streams is not None and len(streams) and streams["end"].notna().any():
            return float(streams["end"].max())
        return self.origin

    def excused(self, n: int) -> np.ndarray | None:
        """Per stream row, the casualties of hard faults and API outages, when the mask covers exactly ``n``
        streams and excuses any; else None."""
        return None if self.casualties is None else self.casualties.excused(n)

    @property
    def invalid_reason(self) -> str | None:
        """Why the run is INVALID (the validity gate did not hold), from the results so far; None when valid."""
        gate = [r for r in self.results if r.kind == "validity" and r.verdict == "invalid"]
        return "; ".join(invalid_reason(r) for r in gate) or None

    @property
    def has_cluster(self) -> bool:
        return self.cluster is not None and self.cluster.present


def invalid_reason(result: CheckResult) -> str:
    """A short reason for an INVALID gate, e.g. "validity.loadgen_cpu 97.0 % > limit 90.0 %"."""
    if result.name == "validity.streams":
        return "validity.streams: no streams were recorded"
    if result.name == "validity.auth":
        return "validity.auth: the API key was refused"
    measured = fmt.value(result.measured, result.unit)
    return f"{result.name} {measured} > limit {fmt.value(result.threshold, result.unit)}"


@dataclass(frozen=True)
class Check:
    """A check's declaration: its place in the report (``order``), and what it needs.

    ``cluster``: runs only when the run has cluster or chaos output (a pure load run gets no cluster check).
    ``sampled``: judged from observer samples, so it becomes INCOMPLETE where the observer was blind.
    """

    order: float
    name: str
    run: Callable[[CheckContext], list[CheckResult]]
    cluster: bool = False
    sampled: bool = False
