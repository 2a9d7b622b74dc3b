"""The capacity sweep's numbers and verdict: per concurrency level, latency, errors and CPU per pod; the knee;
and whether the HPA's CPU target comes before it (`capacity.hpa_target`).

Per level (streams started in the level's window, one pod):
  ttft_p99 = p99 of (first_token - sent) over streams that got a content event;
  e2e_p99  = p99 of (end - sent) over agent runs, each divided by its expected length when recorded
             (`e2e_p99` is then reported as seconds for chat and as stretch = actual / expected for agent runs);
  error_rate = streams not ok / streams;
  cpu_util = (process CPU seconds in the level / wall seconds) x cpu_scale / the container's CPU request,
             i.e. what the HPA's resource metric reads for this pod.
The knee is the first level at which any SLO is crossed; `streams per pod within the SLO` is the level before
it. `capacity.hpa_target` PASSES when the CPU utilization at that last level within the SLO is at least the
HPA's target times (1 + margin): the HPA asks for more pods before users suffer, with room for its reaction
time. It FAILS when the utilization there is below that (the HPA scales only once latency has already broken,
or never), and is INCOMPLETE when no level broke the SLO (the sweep never found the knee).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from analysis.checks.result import CheckResult, Evidence, Verdict

NAME = "capacity.hpa_target"


@dataclass(frozen=True)
class LevelStats:
    users: int
    streams: int
    ttft_p99: float
    e2e_p99: float  # seconds (chat) or, when every stream has an expected length, the p99 stretch
    stretch: bool
    error_rate: float
    cpu_util: float  # fraction of the CPU request (1.0 = 100 %)
    broken: tuple[str, ...]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SweepSlos:
    ttft_p99: float = 2.0
    e2e_p99: float = 10.0  # seconds for streams without an expected length
    stretch_p99: float = 1.5  # actual / expected length for agent runs
    error_rate: float = 0.01


def _p99(values: pd.Series) -> float:
    values = values.dropna()
    return float(np.quantile(values, 0.99)) if len(values) else math.nan


def level_stats(users: int, rows: pd.DataFrame, cpu_util: float, slos: SweepSlos) -> LevelStats:
    """The numbers of one level (see the module docstring) and which SLOs it broke."""
    n = len(rows)
    ok = rows["outcome"] == "ok"
    ttft = _p99(rows["first_token"] - rows["sent"])
    expected = rows["expected_s"] if "expected_s" in rows.columns else pd.Series(np.nan, index=rows.index)
    has = expected.notna() & (expected > 0)
    stretch = bool(has.all()) and n > 0
    length = rows["end"] - rows["sent"]
    e2e = _p99((length / expected)[ok & has]) if stretch else _p99(length[ok])
    errors = float((~ok).sum() / n) if n else math.nan
    broken = []
    if not n:
        broken.append("no stream")
    if ttft > slos.ttft_p99:
        broken.append(f"ttft_p99 {ttft:.2f} s > {slos.ttft_p99:g} s")
    limit = slos.stretch_p99 if stretch else slos.e2e_p99
    if e2e > limit:
        broken.append(f"e2e_p99 {e2e:.2f}{'x' if stretch else ' s'} > {limit:g}{'x' if stretch else ' s'}")
    if errors > slos.error_rate:
        broken.append(f"error_rate {errors:.1%} > {slos.error_rate:.1%}")
    return LevelStats(users, n, ttft, e2e, stretch, errors, cpu_util, tuple(broken))


def knee(levels: list[LevelStats]) -> tuple[LevelStats | None, LevelStats | None]:
    """(last level within the SLO, first level that broke it); either may be None."""
    last_ok = None
    for level in levels:
        if level.broken:
            return last_ok, level
        last_ok = level
    return last_ok, None


def hpa_target_check(levels: list[LevelStats], target: float = 0.70, margin: float = 0.10) -> CheckResult:
    """`capacity.hpa_target` (see the module docstring); measured = CPU utilization at the knee."""
    good, bad = knee(levels)
    need = target * (1 + margin)
    details = {"levels": [lv.to_dict() for lv in levels], "target": target, "margin": margin}
    if bad is None:
        sentence = (f"no level up to {levels[-1].users if levels else 0} concurrent streams broke the SLO: the "
                    "sweep did not find the knee; raise the top level")
        return CheckResult(NAME, "skipped", None, need * 100, "%", Evidence("", None, (), details),
                           "capacity").incomplete(sentence)
    if good is None:
        sentence = (f"the first level ({bad.users} streams) already broke the SLO ({'; '.join(bad.broken)}): "
                    "start the sweep lower")
        return CheckResult(NAME, "skipped", None, need * 100, "%", Evidence("", None, (), details),
                           "capacity").incomplete(sentence)
    util = good.cpu_util
    verdict: Verdict = "pass" if util >= need else "fail"
    relation = ("before the knee" if verdict == "pass" else
                "only after the knee: the HPA scales once users already suffer" if util >= target * 0.5 else
                "far after the knee: the pod saturates long before its CPU reaches the HPA target")
    sentence = (f"one pod holds {good.users} concurrent streams within the SLO (knee at {bad.users}: "
                f"{'; '.join(bad.broken)}); CPU there is {util:.0%} of the request, so the HPA's {target:.0%} "
                f"target (needed >= {need:.0%} with a {margin:.0%} margin) comes {relation}")
    return CheckResult(NAME, verdict, util * 100, need * 100, "%", Evidence(sentence, None, (f"{good.users} streams",),
                                                                          details), "capacity")
