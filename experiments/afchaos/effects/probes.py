"""Effect probes: record the workload before a fault, then wait for the fault's whole effect plus a tail.

Put `record_workload` in the method before the fault and `fault_took_effect` after it (and after any rollout
wait). While `fault_took_effect` waits, the experiment goes on, so the background load and the observer keep
running: the run covers the whole effect and `tail` seconds after it (the last replacement Ready, then the tail).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal, safety
from experiments.afchaos.effects.workload import Progress, Snapshot, progress, snapshot
from experiments.afchaos.k8s import Api, namespace

__all__ = ["fault_took_effect", "record_workload"]
logger = logging.getLogger("chaostoolkit")
SELECTOR = "app.kubernetes.io/name=agentflow"
RECORDS = ("terminations", "drains", "zone_faults", "hpa")


def record_workload(label_selector: str = SELECTOR, deployment: str = "agentflow", ns: str | None = None,
                    configuration: Configuration = None, secrets: Secrets = None) -> dict[str, Any]:
    """Record the baseline a fault is judged against: the workload's pods (name, UID, node, zone, Ready,
    terminating), every node (zone, cordoned, Ready) and the Deployment's replicas; returns the record."""
    api = Api(secrets)
    try:
        base = snapshot(api, namespace(configuration, ns), label_selector, deployment or None)
    finally:
        api.close()
    if not base.pods:
        raise ActivityFailed(f"no pod matches {label_selector!r}: there is nothing for the fault to act on")
    record = {"record": "baseline", **base.to_record(), "selector": label_selector}
    journal.record("effects", record)
    return {"time": base.time, "pods": sorted(base.pods), "replicas": base.replicas}


def _baseline() -> Snapshot:
    bases = [r for r in journal.records("effects") if r.get("record") == "baseline"]
    if not bases:
        raise ActivityFailed("record_workload must run in the method before the fault (no baseline recorded)")
    return Snapshot.from_record(bases[-1])


def _records(since: float) -> dict[str, list[dict[str, Any]]]:
    """This experiment's records from its actions after the baseline (drains, terminations, zone faults)."""
    out = {}
    for kind in RECORDS:
        out[kind] = [r for r in journal.records(kind)
                     if float(r.get("time") or r.get("started") or r.get("ended") or since) >= since - 1.0]
    return out


def _save(effect: str, base: Snapshot, state: Progress | None, status: str, started: float, tail: float,
          complete_at: float | None, detail: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    record = {"record": "effect", "effect": effect, **(state.to_dict() if state is not None else {}),
              "status": status, "baseline_time": base.time, "probe_started": started, "time": time.time(),
              "complete_at": complete_at, "tail": tail, "detail": detail, **(extra or {})}
    journal.record("effects", record)
    return record


def _look(api: Api, ns: str, selector: str) -> Snapshot | None:
    """A snapshot, or None when the API failed this once (the wait goes on; its deadline bounds it)."""
    try:
        return snapshot(api, ns, selector, None)
    except Exception as exc:  # an API hiccup must not lose the effect record; the next poll tries again
        logger.warning("effect probe: reading the cluster failed (%s: %s); retrying", type(exc).__name__, exc)
        return None


def _wait(effect: str, base: Snapshot, api: Api, ns: str, selector: str, zone: str | None, settle: float,
          timeout: float, interval: float) -> tuple[Progress, str]:
    """Poll until the effect is complete ("complete"), nothing changed within `settle` s ("none"), or `timeout`
    s passed ("timeout")."""
    started = time.monotonic()
    state = progress(effect, base, base, {}, zone)
    while True:
        now = _look(api, ns, selector)
        if now is not None:
            state = progress(effect, base, now, _records(base.time), zone)
        elapsed = time.monotonic() - started
        if state.complete:
            return state, "complete"
        if not state.started and elapsed >= settle:
            return state, "none"
        if elapsed >= timeout:
            return state, "timeout"
        time.sleep(interval)


def _observe_tail(api: Api, ns: str, selector: str, replacements: list[str], tail: float,
                  interval: float) -> list[str]:
    """Keep observing for `tail` s; returns the replacement pods seen not Ready (or gone) meanwhile."""
    lost: set[str] = set()
    end = time.monotonic() + tail
    while time.monotonic() < end:
        now = _look(api, ns, selector)
        if now is not None:
            lost |= {p for p in replacements if p not in now.pods or not now.pods[p]["ready"]}
        time.sleep(max(0.0, min(interval, end - time.monotonic())))
    return sorted(lost)


def fault_took_effect(effect: str, zone: str | None = None, tail: float = 10.0, settle: float = 30.0,
                      timeout: float = 300.0, interval: float = 0.5, label_selector: str = SELECTOR,
                      ns: str | None = None, configuration: Configuration = None,
                      secrets: Secrets = None) -> dict[str, Any]:
    """Wait until the fault's whole `effect` is there (see experiments.afchaos.effects), then observe `tail`
    more seconds; returns what changed (targets, pods gone, replacements, nodes affected) and when it was
    complete. Raises ActivityFailed "the fault had no effect: ..." when nothing changed within `settle` seconds,
    or names what is still missing after `timeout` seconds."""
    base, started = _baseline(), time.time()
    if effect == "hpa-load":
        hpa = _records(base.time)["hpa"]
        seen = [int(s.get("current") or 0) for h in hpa for s in h.get("history") or ()]
        peak = max([*seen, base.replicas or 0])
        return _save(effect, base, None, "recorded", started, 0.0, None,
                     f"replicas {base.replicas} before, {peak} at the peak the HPA probes saw", {"peak": peak})
    if safety.dry_run(safety.SafetyPolicy.from_env(configuration)):
        _save(effect, base, None, "dry-run", started, tail, None, "dry run: the fault changed nothing", {"zone": zone})
        return {"effect": effect, "dry_run": True}
    api = Api(secrets)
    ns = namespace(configuration, ns)
    try:
        state, status = _wait(effect, base, api, ns, label_selector, zone, settle, timeout, interval)
        complete_at = time.time() if status == "complete" else None
        lost = _observe_tail(api, ns, label_selector, state.replacements, tail, interval) if complete_at else []
    finally:
        api.close()
    if status == "none":
        detail = f"the fault had no effect: {state.waiting_for or 'nothing changed'} within {settle:.0f} s"
    elif status == "timeout":
        detail = f"the fault's effect did not complete within {timeout:.0f} s: {state.waiting_for}"
    else:
        detail = _summary(state) + (f"; not Ready during the tail: {', '.join(lost)}" if lost else "")
    record = _save(effect, base, state, status, started, tail, complete_at, detail,
                   {"lost_in_tail": lost, "zone": zone})
    if status != "complete":
        raise ActivityFailed(detail)
    logger.info("%s", detail)
    return record


def _summary(state: Progress) -> str:
    parts = []
    if state.target_nodes:
        parts.append(f"node(s) {', '.join(state.affected_nodes)} affected")
    if state.refused:
        parts.append("evictions refused by the PodDisruptionBudget")
    if state.gone_pods:
        parts.append(f"pod(s) {', '.join(state.gone_pods)} gone")
    if state.replacements:
        parts.append(f"Ready replacements {', '.join(state.replacements)}")
    return f"{state.effect}: " + ("; ".join(parts) or "complete")
