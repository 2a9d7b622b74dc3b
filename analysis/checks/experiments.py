"""One check per chaos experiment, from its Chaos Toolkit journal (chaos/<name>.journal.json) or, when the journal
is missing, from the campaign's chaos/verdicts.json.

`experiment.<name>` passes when the journal's status is "completed", it did not deviate, no activity failed
(no probe below its tolerance, no failed action, before/after hypothesis or rollback) AND the fault's effect is
proven by the observed data (`analysis/checks/effects.py`); a fail names each probe or activity and why. When
the method ran but its effect is missing from the observed data (the fault had no effect, the run stopped before
the effect was complete plus its tail, or no effect was recorded), the check is `incomplete` whatever the
journal says: a run that tested nothing neither passes nor fails. A run whose method never ran (its steady
state failed first) keeps the journal's verdict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analysis.checks.context import Check, CheckContext
from analysis.checks.effects import Effect, judge_effect
from analysis.checks.kube import listed, skipped
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData


def _short(value: Any) -> str:
    if isinstance(value, list):
        value = next((line for line in reversed(value) if str(line).strip()), "")
    text = str(value).strip().splitlines()[-1] if value else ""
    return text.removeprefix("chaoslib.exceptions.ActivityFailed: ")[:400]


def problems(journal: dict[str, Any]) -> list[tuple[str, str]]:
    """(activity name, what went wrong) for every failed activity or probe out of tolerance."""
    out = []
    states = journal.get("steady_states") or {}
    sections = [(f"hypothesis ({p})", (states.get(p) or {}).get("probes") or []) for p in ("before", "after")]
    sections += [("method", journal.get("run") or []), ("rollback", journal.get("rollbacks") or [])]
    for where, runs in sections:
        for run in runs:
            activity = run.get("activity") or {}
            name = str(activity.get("name", "?"))
            if run.get("status") == "failed":
                out.append((name, f"{where} {activity.get('type', 'activity')} '{name}' failed: "
                                  f"{_short(run.get('exception'))}"))
            elif run.get("tolerance_met") is False:
                out.append((name, f"{where} probe '{name}' missed its tolerance: "
                                  f"{_short(run.get('exception') or run.get('output'))}"))
    return out


def _epoch(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def from_journal(name: str, journal: dict[str, Any], origin: float, cluster: ClusterData | None = None) -> CheckResult:
    status, deviated = str(journal.get("status")), bool(journal.get("deviated"))
    found = problems(journal)
    title = (journal.get("experiment") or {}).get("title", name)
    ok = status == "completed" and not deviated and not found
    start, end = _epoch(journal.get("start")), _epoch(journal.get("end"))
    span = (start - origin, end - origin) if start is not None and end is not None else None
    effect = None
    if cluster is not None and start is not None and journal.get("run"):
        effect = judge_effect(cluster, start, end if end is not None else float("inf"), origin)
    state = "deviated" if deviated else status
    detail = " | ".join(p for _, p in found) or f"journal status {status}"
    if effect is not None and effect.state not in ("proven", "unrecovered"):
        return _incomplete(name, title, effect, found, state, span)
    note = f" {effect.sentence[:1].upper()}{effect.sentence[1:]}." if effect is not None else ""
    details = {"effect": effect.state if effect is not None else None}
    if ok:
        sentence = f"'{title}': completed, steady state held before and after, no activity failed.{note}"
        objects = effect.objects if effect is not None else ()
        return CheckResult(f"experiment.{name}", "pass", 0, 0, "problems",
                           Evidence(sentence, span, objects, details), "experiment")
    sentence = f"'{title}': {state}. {detail}.{note}"
    return CheckResult(f"experiment.{name}", "fail", len(found), 0, "problems",
                       Evidence(sentence, span, listed([a for a, _ in found]), details), "experiment")


def _incomplete(name: str, title: str, effect: Effect, found: list[tuple[str, str]], state: str,
                span: tuple[float, float] | None) -> CheckResult:
    also = f" The journal says {state}: {' | '.join(p for _, p in found)}." if found else ""
    sentence = f"'{title}': INCOMPLETE, {effect.sentence}.{also}"
    return CheckResult(f"experiment.{name}", "incomplete", len(found), 0, "problems",
                       Evidence(sentence, span, listed([*effect.objects, *(a for a, _ in found)]),
                                {"effect": effect.state}), "experiment")


def from_verdict(item: dict[str, Any]) -> CheckResult:
    name = str(item.get("experiment", "?"))
    found = [str(p) for p in item.get("problems") or []]
    state = "deviated" if item.get("deviated") else str(item.get("status"))
    if item.get("ok"):
        return CheckResult(f"experiment.{name}", "pass", 0, 0, "problems",
                           Evidence(f"{name}: {state} (chaos/verdicts.json; no journal)."), "experiment")
    sentence = f"{name}: {state} (chaos/verdicts.json; no journal). " + (" | ".join(found) or "")
    return CheckResult(f"experiment.{name}", "fail", len(found), 0, "problems", Evidence(sentence.strip()),
                       "experiment")


def evaluate_experiments(cluster: ClusterData, manifest: dict[str, Any], origin: float) -> list[CheckResult]:
    results = [from_journal(n, j, origin, cluster) for n, j in sorted(cluster.journals.items())]
    done = set(cluster.journals)
    for item in cluster.verdicts or []:
        if isinstance(item, dict) and str(item.get("experiment")) not in done:
            results.append(from_verdict(item))
            done.add(str(item.get("experiment")))
    for name in manifest.get("experiments") or []:
        if str(name) not in done:
            results.append(CheckResult(f"experiment.{name}", "fail", None, 0, "problems", Evidence(
                f"The manifest lists experiment {name} but chaos/ has no journal and no verdict for it: it did not "
                "run to the end (see chaos/*.log)."), "experiment"))
    if not results:
        return [skipped("experiment.journals", "experiment", "no chaos/*.journal.json and no chaos/verdicts.json")]
    return results


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_experiments(ctx.cluster, ctx.run.manifest, ctx.origin)


CHECKS = (Check(120, "experiments", check, cluster=True),)
