"""Alert checks: every alert paired with what the clients measured (cluster/alerts.parquet and
cluster/alert_rules.parquet from the run's Prometheus, streams.parquet from the clients).

  alerts.fired_when_due   every client-side breach (error rate > 1 %, P99 > 10 s, every stream failing) that
                          lasted longer than its rule's range + for + two evaluation intervals has the rule's
                          alert firing between the breach start and its end + that slack (or another symptom
                          alert firing during it: "paged by"); measured = the longest delay from breach start
                          to firing. Breaches shorter than the rule's `for`
                          are listed as "no rule could have caught it" (not a failure of the rules).
  alerts.no_false_alarm   no symptom alert fired while the clients saw its SLO met: each firing interval (that
                          overlaps the clients' traffic) needs a breach of its kind within
                          [start - (range + for + slack), end].
  alerts.rule_health      every rule evaluates (health ok), every metric name in it had series during the run,
                          and no histogram_quantile is compared with a bound at or above the histogram's top
                          finite bucket (it can never report more: the alert can neither fire nor resolve).

Symptom alerts are recognised by name (SYMPTOMS: AgentFlow's guide's names); the other alerts (CPU, memory,
restarts) are causes without a client-side counterpart and are listed, not judged.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.alert_breaches import Breach, breaches
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import listed, skipped
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData

__all__ = ["SYMPTOMS", "evaluate_alerts"]

# alert name -> (client measure, threshold, the breach in words, the SLO met in words)
SYMPTOMS: dict[str, tuple[str, float, str, str]] = {
    "HighErrorRate": ("errors", 0.01, "error rate > 1 %", "an error rate <= 1 %"),
    "HighLatency": ("latency", 10.0, "P99 > 10 s", "a P99 <= 10 s"),
    "AgentFlowDown": ("down", 1.0, "every request failing (all pods down)", "requests succeeding"),
}
_QUANTILE_BOUND = re.compile(r"histogram_quantile\s*\(.*\)\s*>\s*([0-9.eE+-]+)\s*$", re.DOTALL)


def _rules(cluster: ClusterData) -> pd.DataFrame | None:
    rules = cluster.frame("alert_rules")
    if rules is None or rules.empty:
        return None
    return rules.sort_values("time", kind="stable").groupby("rule", sort=False).last()


def _firing(alerts: pd.DataFrame | None, name: str, gap: float) -> list[tuple[float, float]]:
    """Intervals in which alert `name` was sampled firing (samples further apart than `gap` split them)."""
    if alerts is None or alerts.empty:
        return []
    times = np.unique(alerts.loc[(alerts["alert"] == name) & (alerts["state"] == "firing"), "time"].to_numpy())
    if not len(times):
        return []
    cuts = np.flatnonzero(np.diff(times) > gap)
    starts, ends = np.concatenate([[0], cuts + 1]), np.concatenate([cuts, [len(times) - 1]])
    return [(float(times[s]), float(times[e])) for s, e in zip(starts, ends, strict=True)]


def _timing(rule: pd.Series) -> tuple[float, float, float]:
    interval = float(rule["interval_s"]) if "interval_s" in rule and pd.notna(rule["interval_s"]) else 15.0
    return float(rule["for_s"] or 0.0), float(rule["range_s"] or 0.0), 2 * interval


def _span(b: Breach, origin: float) -> str:
    return f"{fmt.offset(b.start - origin)}..{fmt.offset(b.end - origin)} ({b.duration:.0f} s)"


def _breaches(cluster: ClusterData, rules: pd.DataFrame) -> dict[str, list[Breach]]:
    streams = cluster.streams
    out: dict[str, list[Breach]] = {}
    for name, (kind, threshold, _, _) in SYMPTOMS.items():
        if name in rules.index and streams is not None and len(streams):
            _, rng, _ = _timing(rules.loc[name])
            out[name] = breaches(streams, kind, threshold, rng or 60.0)
    return out


def fired_when_due(cluster: ClusterData, rules: pd.DataFrame, found: dict[str, list[Breach]],
                   origin: float) -> CheckResult:
    alerts = cluster.frame("alerts")
    missed, uncatchable, delays, objects, covered = [], [], [], [], []
    every = {name: _firing(alerts, name, 2 * _timing(rules.loc[name])[2] + 2) for name in found}
    for name, items in found.items():
        hold, rng, slack = _timing(rules.loc[name])
        firing = every[name]
        slo = SYMPTOMS[name][2]
        for b in items:
            if b.duration < hold:
                uncatchable.append(f"{name} ({slo}) {_span(b, origin)}: shorter than its for: {hold:g} s, "
                                   "no rule could have caught it")
                continue
            fired = [s for s, e in firing if e >= b.start and s <= b.end + rng + hold + slack]
            others = [o for o, spans in every.items() if o != name and any(e >= b.start and s <= b.end
                                                                            for s, e in spans)]
            if fired:
                delays.append(max(0.0, fired[0] - b.start))
            elif others:  # someone was paged for it (e.g. every pod down: no server-side error rate is left)
                covered.append(f"{name} ({slo}) {_span(b, origin)}: paged by {', '.join(others)}")
            elif b.duration >= hold + rng + slack:
                missed.append(f"{name} ({slo}) {_span(b, origin)}: nobody was paged")
                objects.append(name)
    parts = [*missed, *uncatchable]
    measured = max(delays) if delays else None
    window = None
    if not found or not any(found.values()):
        sentence = "The clients saw no breach of an alerted SLO (error rate > 1 %, P99 > 10 s, all pods down)."
    elif missed:
        sentence = (f"{len(missed)} client-side breach(es) lasted longer than the rule's range + for + two "
                    f"evaluations without the alert firing: {'; '.join(parts)}.")
    else:
        sentence = (f"Every breach long enough to be caught had its alert firing (longest delay from breach start "
                    f"to firing {fmt.seconds(measured)}). " + "".join(f"{x}. " for x in [*covered, *uncatchable]))
    all_b = [b for items in found.values() for b in items]
    if all_b:
        window = (min(b.start for b in all_b) - origin, max(b.end for b in all_b) - origin)
    return CheckResult("alerts.fired_when_due", "fail" if missed else "pass", measured, None, "s",
                       Evidence(sentence.strip(), window, listed(objects),
                                {"missed": missed, "uncatchable": uncatchable, "covered": covered}),
                       "alerts")


def no_false_alarm(cluster: ClusterData, rules: pd.DataFrame, found: dict[str, list[Breach]],
                   origin: float) -> CheckResult:
    alerts = cluster.frame("alerts")
    false, judged = [], 0
    streams = cluster.streams
    assert streams is not None  # the caller judges alerts only with streams
    first, last = float(streams["scheduled"].min()), float(streams["end"].max())
    for name in found:
        hold, rng, slack = _timing(rules.loc[name])
        for start, end in _firing(alerts, name, 2 * slack + 2):
            if end < first or start > last:
                continue  # no client was there to say whether the SLO held
            judged += 1
            lead = rng + hold + slack
            if not any(b.end >= start - lead and b.start <= end for b in found[name]):
                false.append(f"{name} firing {fmt.offset(start - origin)}..{fmt.offset(end - origin)} while the "
                             f"clients saw {SYMPTOMS[name][3]}")
    others = sorted(set(alerts["alert"]) - set(SYMPTOMS)) if alerts is not None and len(alerts) else []
    note = f" Cause alerts (not paired with a client measure): {', '.join(others)}." if others else ""
    if false:
        sentence = f"{len(false)} alert(s) fired with the clients' SLO met: {'; '.join(false)}.{note}"
    else:
        sentence = f"All {judged} firing interval(s) of symptom alerts matched a client-side breach.{note}"
    return CheckResult("alerts.no_false_alarm", "fail" if false else "pass", float(len(false)), 0.0, "alerts",
                       Evidence(sentence, None, listed([f.split(" ")[0] for f in false])), "alerts")


def _rule_problems(name: str, rule: pd.Series) -> list[str]:
    out = []
    if rule.get("health") not in ("ok", None):
        out.append(f"{name}: health {rule.get('health')} ({rule.get('last_error') or 'no error given'})")
    missing = json.loads(rule["missing"] or "[]")
    if missing:
        out.append(f"{name} can never fire: {', '.join(missing)} had no series during the run")
    tops: dict[str, Any] = json.loads(rule["top_buckets"] or "{}")
    bound = _QUANTILE_BOUND.search(str(rule["expr"] or "").strip())
    if bound and tops:
        top = max(tops.values())
        if float(bound.group(1)) >= top:
            out.append(f"{name} can neither fire nor resolve: histogram_quantile cannot report above the top "
                       f"finite bucket ({top:g}) it is compared with ({bound.group(1)})")
    return out


def rule_health(rules: pd.DataFrame) -> CheckResult:
    problems = [p for name, rule in rules.iterrows() for p in _rule_problems(str(name), rule)]
    sentence = ("; ".join(problems) + ".") if problems else \
        f"All {len(rules)} rules evaluate, their series exist and every threshold is reachable."
    failed = sorted({p.split(" ")[0].rstrip(":") for p in problems})
    return CheckResult("alerts.rule_health", "fail" if problems else "pass", float(len(failed)), 0.0, "rules",
                       Evidence(sentence, None, listed(failed), {"problems": problems}), "alerts")


def evaluate_alerts(cluster: ClusterData, origin: float) -> list[CheckResult]:
    """The three alert checks; none when the run recorded no alerting rules (no Prometheus)."""
    rules = _rules(cluster)
    if rules is None:
        return []
    if cluster.streams is None or not len(cluster.streams):
        reason = "no client streams to pair the alerts with"
        return [skipped("alerts.fired_when_due", "alerts", reason), skipped("alerts.no_false_alarm", "alerts", reason),
                rule_health(rules)]
    found = _breaches(cluster, rules)
    return [fired_when_due(cluster, rules, found, origin), no_false_alarm(cluster, rules, found, origin),
            rule_health(rules)]


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_alerts(ctx.cluster, ctx.origin)


CHECKS = (Check(130, "alerts", check, cluster=True),)
