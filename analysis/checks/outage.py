"""Intended outages and injected errors: the windows in which a run broke the service for clients on purpose.

An experiment action declared where it is defined (experiments/afchaos/outage.py) carries what it breaks in its
mark (chaos/marks.parquet, column `intended`):

- "outage": the whole workload taken away (the alerting campaign's `scale_to_zero_for`). Clients see connect
  errors and no ready endpoint by design. Honoured only when some cluster/deployments sample inside the mark has a
  deployment at 0 replicas (spec_replicas 0): a pod kill, a drain or a rollout never takes the spec to 0, so it
  cannot be declared away. The window runs from the mark's start to its end plus the endpoint propagation grace
  (`endpoint_grace_s`): the action ends when the pods are Ready again, the clients' routes follow that late.
- "errors": the reference server's error knob rolled out to every pod and back (`set_fault_knobs`,
  `restore_fault_knobs`). Only the injected answer is set aside: a stream that failed with `http_error` and the
  knob's error code (INTERNAL_ERROR, HTTP 500). What a rollout itself breaks (connect errors, resets, cut streams,
  a draining pod's 503) is still judged. The window runs until the last pod of an older template seen during the
  mark was last seen: the rollout's old pods keep answering kept-alive connections with the old knobs until they
  exit.

A hard fault is never honoured. The readiness checks set aside what falls inside an honoured window only, and
say how many streams, naming the experiment and the window's seconds; a refused declaration is named too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.cluster import ClusterData

__all__ = ["INJECTED_ERROR", "Declared", "declared", "inside", "set_aside"]

INJECTED_ERROR = "INTERNAL_ERROR"  # the reference server's --error-rate answer (its default --error-code)


@dataclass(frozen=True)
class Declared:
    kind: str  # "outage" or "errors"
    experiment: str
    activity: str
    start: float
    end: float

    def describe(self, origin: float) -> str:
        return (f"{self.experiment} ({self.activity}, {self.end - self.start:.0f} s at "
                f"{fmt.offset(self.start - origin)}..{fmt.offset(self.end - origin)})")

    def covers(self, streams: pd.DataFrame, times: np.ndarray) -> np.ndarray:
        """Per stream: inside this window and, for injected errors, failed with the injected answer."""
        hit = (times >= self.start) & (times <= self.end)
        if self.kind == "errors":
            error = streams["error"].astype(object) if "error" in streams.columns else pd.Series(None, streams.index)
            hit &= ((streams["outcome"].astype(object) == "http_error") & (error == INJECTED_ERROR)).to_numpy()
        return hit


def _at_zero(deployments: pd.DataFrame | None, start: float, end: float) -> bool:
    if deployments is None or not len(deployments):
        return False
    times = deployments["time"].to_numpy(np.float64)
    spec = deployments["spec_replicas"].to_numpy(np.float64)
    return bool(((times >= start) & (times <= end) & (spec == 0)).any())


def _drained(pods: pd.DataFrame | None, start: float, end: float) -> float:
    """When the last pod of an older template seen during [start, end] was last seen (`end` when none): a
    rollout's old pods keep answering their kept-alive connections, with the old knobs, until they exit."""
    if pods is None or not len(pods):
        return end
    during = pods[(pods["time"] >= start) & (pods["time"] <= end)]
    born = during[during["created"] <= end]
    if not len(born):
        return end
    newest = born.loc[born["created"].idxmax(), "template_hash"]
    older = set(during.loc[during["template_hash"] != newest, "pod"])
    seen = pods.loc[pods["pod"].isin(older), "time"]
    return max(end, float(seen.max())) if len(seen) else end


def declared(cluster: ClusterData, grace: float) -> tuple[list[Declared], list[Declared]]:
    """(honoured, refused) declared windows in time order (see the module docstring); `grace`: the endpoint
    propagation delay added to an outage's end."""
    marks = cluster.marks
    if marks is None or not len(marks) or "intended" not in marks.columns:
        return [], []
    honoured: list[Declared] = []
    refused: list[Declared] = []
    deployments = cluster.frame("deployments")
    for row in marks[marks["intended"].isin(["outage", "errors"])].itertuples():
        end = float(row.end) if np.isfinite(row.end) else float(row.start)
        kind = str(row.intended)
        until = end + grace if kind == "outage" else _drained(cluster.frame("pods"), float(row.start), end)
        window = Declared(kind, str(row.experiment), str(row.activity), float(row.start), until)
        ok = not bool(row.hard) and (kind == "errors" or _at_zero(deployments, window.start, end))
        (honoured if ok else refused).append(window)
    return honoured, refused


def inside(streams: pd.DataFrame, times: np.ndarray, windows: list[Declared]) -> np.ndarray:
    """Per stream: covered by one of the declared `windows` (see Declared.covers)."""
    hit = np.zeros(len(times), dtype=bool)
    for w in windows:
        hit |= w.covers(streams, times)
    return hit


def set_aside(what: str, streams: pd.DataFrame, times: np.ndarray, windows: list[Declared],
              refused: list[Declared], origin: float) -> str:
    """The sentence part naming how many of `streams` were set aside in which declared window, and any refused
    declaration."""
    parts = []
    for w in windows:
        n = int(w.covers(streams, times).sum())
        if n and w.kind == "outage":
            parts.append(f" {n} {what} in the declared outage of {w.describe(origin)} set aside (every pod taken "
                         "away on purpose; the window ends with the endpoint grace).")
        elif n:
            parts.append(f" {n} {what} answering the injected {INJECTED_ERROR} in the declared error injection of "
                         f"{w.describe(origin)} set aside.")
    parts += [f" The outage declared by {w.describe(origin)} is not honoured: no cluster sample shows the workload "
              "at 0 replicas in it (or it is a hard fault)." for w in refused]
    return "".join(parts)
