"""Intended outages: the windows in which a run took the whole workload away on purpose.

An experiment action declared ``@intended_outage`` where it is defined (experiments/afchaos/outage.py; the
alerting campaign's ``scale_to_zero_for``) gets ``outage: true`` in its mark (chaos/marks.parquet). Clients then
see connect errors and no ready endpoint by design: the readiness checks set aside what falls inside such a window
and say how much, naming the experiment.

A declaration is honoured only when the run's own data confirm it: the mark is not a hard fault, and some
cluster/deployments sample inside its [start, end] has a deployment at 0 replicas (spec_replicas 0). A pod kill,
a drain or a rollout never takes the spec to 0, so it cannot be declared away; a declaration without that
evidence is refused, and the checks say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.cluster import ClusterData

__all__ = ["Outage", "declared_outages", "inside", "set_aside"]


@dataclass(frozen=True)
class Outage:
    experiment: str
    activity: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def describe(self, origin: float) -> str:
        return (f"{self.experiment} ({self.activity}, {self.seconds:.0f} s at {fmt.offset(self.start - origin)}.."
                f"{fmt.offset(self.end - origin)})")


def _at_zero(deployments: pd.DataFrame | None, start: float, end: float) -> bool:
    if deployments is None or not len(deployments):
        return False
    times = deployments["time"].to_numpy(np.float64)
    spec = deployments["spec_replicas"].to_numpy(np.float64)
    return bool(((times >= start) & (times <= end) & (spec == 0)).any())


def declared_outages(cluster: ClusterData) -> tuple[list[Outage], list[Outage]]:
    """(honoured, refused) declared outage windows, in time order (see the module docstring)."""
    marks = cluster.marks
    if marks is None or not len(marks) or "outage" not in marks.columns:
        return [], []
    honoured: list[Outage] = []
    refused: list[Outage] = []
    deployments = cluster.frame("deployments")
    for row in marks[marks["outage"]].itertuples():
        end = float(row.end) if np.isfinite(row.end) else float(row.start)
        outage = Outage(str(row.experiment), str(row.activity), float(row.start), end)
        ok = not bool(row.hard) and _at_zero(deployments, outage.start, outage.end)
        (honoured if ok else refused).append(outage)
    return honoured, refused


def inside(times: np.ndarray | pd.Series, outages: list[Outage]) -> np.ndarray:
    """Per time: True when it falls in one of the `outages` windows (bounds included)."""
    values = np.asarray(times, dtype=np.float64)
    hit = np.zeros(len(values), dtype=bool)
    for o in outages:
        hit |= (values >= o.start) & (values <= o.end)
    return hit


def set_aside(what: str, counts: list[int], outages: list[Outage], refused: list[Outage], origin: float) -> str:
    """The sentence part naming what was set aside in which declared outage, and any refused declaration."""
    parts = [f" {n} {what} in the declared outage of {o.describe(origin)} set aside (the experiment took every "
             "pod away on purpose)." for n, o in zip(counts, outages, strict=True) if n]
    parts += [f" The outage declared by {o.describe(origin)} is not honoured: no cluster sample shows the workload "
              "at 0 replicas in it (or it is a hard fault)." for o in refused]
    return "".join(parts)
