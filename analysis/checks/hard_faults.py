"""Streams a hard fault cuts by its nature, and the collateral damage around it.

A hard fault kills pods with no graceful shutdown: a pod deleted with grace period 0, a node or zone whose
machines fail (the mark's `hard` flag, set by the marks control from the activity). Every stream in flight on a
killed pod is lost whatever the workload's configuration, and so is every new connection the control plane
still routes to a dead pod until its endpoints are removed. Counting those losses against the error-rate SLO
would fail every hard-fault run of a correct workload; ignoring them would hide them. So they are *casualties*:
taken out of `slo.error_rate` and the per-phase error rates (each says how many it set aside) and reported by
`fault.collateral.<activity>`, which fails when anything else broke inside the fault's window (a stream cut on
a surviving pod, a 503 from an overloaded survivor, a connection error after the dead endpoints were gone).

Killed pods: Ready in the last pods sample at or before the mark's start, then absent or not Ready in a sample
within (start, end + horizon]. Casualties: non-ok streams on a killed pod that ended after the start and were
sent before `gone` (the first endpoints sample after the start listing no killed pod as Ready; the mark's end
without endpoint samples), and `connect_error` streams naming no pod scheduled in [start, gone + grace): the
data path learns of the endpoint change only after a propagation delay (`endpoint_grace_s`, 2 s by default,
as readiness.after_unready allows). Collateral is looked for in [start, max(end, gone)].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import ClusterConfig, listed
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData

HORIZON_S = 60.0


@dataclass(frozen=True)
class HardFault:
    activity: str
    start: float
    end: float
    window_end: float  # max(end, gone): the window collateral damage is looked for in
    killed: tuple[str, ...]
    gone: float  # when no killed pod was listed Ready in the endpoints any more (the mark's end if unknown)


@dataclass
class Casualties:
    """`mask`: per row of the stream frame, True for a casualty of some hard fault."""

    faults: list[HardFault] = field(default_factory=list)
    mask: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    def excused(self, n: int) -> np.ndarray | None:
        """The mask when it covers exactly `n` streams and excuses any, else None."""
        return self.mask if len(self.mask) == n and self.mask.any() else None


def hard_marks(marks: pd.DataFrame | None) -> pd.DataFrame:
    if marks is None or not len(marks) or "hard" not in marks.columns:
        return pd.DataFrame(columns=["activity", "start", "end"])
    return marks[marks["hard"].fillna(False).astype(bool)]


def killed_pods(pods: pd.DataFrame | None, start: float, end: float, horizon: float = HORIZON_S) -> tuple[str, ...]:
    if pods is None or not len(pods):
        return ()
    t = pods["time"].to_numpy(np.float64)
    before = pods[t <= start]
    if not len(before):
        return ()
    last = before[before["time"] == before["time"].max()]
    was_ready = set(last.loc[last["ready"].fillna(False).astype(bool), "pod"].astype(str))
    after = pods[(t > start) & (t <= end + horizon)]
    if not len(after):
        return ()
    down = set(after.loc[~after["ready"].fillna(False).astype(bool), "pod"].astype(str))
    present = set(after["pod"].astype(str))
    return tuple(sorted(p for p in was_ready if p in down or p not in present))


def _endpoints_gone(endpoints: pd.DataFrame | None, killed: tuple[str, ...], start: float, end: float) -> float:
    """The first endpoints sample after `start` listing no killed pod as Ready (an upper bound of when the
    control plane stopped routing to them); `end` without endpoint samples."""
    if endpoints is None or not len(endpoints) or not killed:
        return end
    later = endpoints[endpoints["time"] > start]
    for when, sample in later.groupby("time", sort=True):
        listed_ready = sample[sample["pod"].astype(str).isin(killed) & sample["ready"].fillna(False).astype(bool)]
        if not len(listed_ready):
            return float(when)
    return end


def find_casualties(cluster: ClusterData, grace: float = ClusterConfig.endpoint_grace_s) -> Casualties:
    streams = cluster.streams
    marks = hard_marks(cluster.marks)
    if streams is None or not len(streams) or not len(marks):
        return Casualties(mask=np.zeros(0 if streams is None else len(streams), dtype=bool))
    pods = cluster.frame("pods")
    endpoints = cluster.frame("endpoints")
    faults = []
    for _, mark in marks.iterrows():
        start = float(mark["start"])
        end = float(mark["end"]) if np.isfinite(mark["end"]) else start
        killed = killed_pods(pods, start, end)
        gone = _endpoints_gone(endpoints, killed, start, end)
        faults.append(HardFault(str(mark["activity"]), start, end, max(end, gone), killed, gone))
    bad = (streams["outcome"].astype(str) != "ok").to_numpy()
    pod = streams["pod"].astype(object).where(streams["pod"].notna(), None).to_numpy()
    sent = (streams["sent"] if "sent" in streams.columns else streams["scheduled"]).to_numpy(np.float64)
    sent = np.where(np.isfinite(sent), sent, streams["scheduled"].to_numpy(np.float64))
    ended = streams["end"].to_numpy(np.float64)
    scheduled = streams["scheduled"].to_numpy(np.float64)
    no_pod = np.array([p is None for p in pod], dtype=bool)
    connect = (streams["outcome"].astype(str) == "connect_error").to_numpy()
    mask = np.zeros(len(streams), dtype=bool)
    for f in faults:
        on_killed = np.isin(pod.astype(str), list(f.killed)) & ~no_pod if f.killed else np.zeros(len(pod), bool)
        with np.errstate(invalid="ignore"):
            overlaps = (sent <= f.gone) & ~(ended < f.start)
        mask |= bad & on_killed & overlaps
        mask |= bad & no_pod & connect & (scheduled >= f.start) & (scheduled < f.gone + grace)
    return Casualties(faults, mask)


def evaluate_collateral(cluster: ClusterData, casualties: Casualties, origin: float) -> list[CheckResult]:
    """`fault.collateral.<activity>` per hard fault: non-ok streams in its window that are not casualties."""
    streams = cluster.streams
    if streams is None or not casualties.faults:
        return []
    bad = (streams["outcome"].astype(str) != "ok").to_numpy()
    scheduled = streams["scheduled"].to_numpy(np.float64)
    ended = streams["end"].to_numpy(np.float64)
    results = []
    for f in casualties.faults:
        with np.errstate(invalid="ignore"):
            inside = (scheduled <= f.window_end) & ~(ended < f.start)
        lost = casualties.mask & inside
        collateral = bad & inside & ~casualties.mask
        by_pod = streams.loc[lost, "pod"].astype(object).fillna("no pod (connect error)").value_counts().to_dict()
        lost_text = ", ".join(f"{p} {n}" for p, n in by_pod.items()) or "none"
        killed = ", ".join(listed(list(f.killed), 6)) or "none seen by the observer"
        head = (
            f"{f.activity} (hard fault at {fmt.offset(f.start - origin)}, window to "
            f"{fmt.offset(f.window_end - origin)}) killed {killed}; {int(lost.sum())} stream(s) lost with them "
            f"(set aside from the error-rate SLOs): {lost_text}."
        )
        window = (float(f.start - origin), float(f.window_end - origin))
        if not collateral.any():
            sentence = head + " No other stream failed in the window: PASS."
            results.append(
                CheckResult(
                    f"fault.collateral.{f.activity}",
                    "pass",
                    0,
                    0,
                    "streams",
                    Evidence(sentence, window, tuple(f.killed), {"casualties": by_pod}),
                    "fault",
                )
            )
            continue
        rows = streams[collateral]
        outcomes = rows["outcome"].astype(str).value_counts().to_dict()
        objects = listed(
            [
                f"{r.stream_id}: {r.outcome} on {r.pod if isinstance(r.pod, str) else 'no pod'}"
                for r in rows.itertuples()
            ]
        )
        sentence = (
            head + f" {int(collateral.sum())} other stream(s) failed in the window "
            f"({', '.join(f'{k} {v}' for k, v in outcomes.items())}): FAIL."
        )
        results.append(
            CheckResult(
                f"fault.collateral.{f.activity}",
                "fail",
                int(collateral.sum()),
                0,
                "streams",
                Evidence(sentence, window, objects, {"casualties": by_pod, "collateral": outcomes}),
                "fault",
            )
        )
    return results


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_collateral(ctx.cluster, ctx.casualties or Casualties(), ctx.origin)


CHECKS = (Check(70, "collateral", check, cluster=True, sampled=True),)
