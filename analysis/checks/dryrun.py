"""The verdict rows of a dry run: what each action would have changed, from `chaos/plan.json`.

A dry run changes nothing and sends no traffic, so there is nothing to judge: every row is `skipped`, one per
planned activity, naming the objects it would have touched, why, and whether the API server checked the change
itself (`dryRun=All`) or the change was not sent at all (a server without dry-run support).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from analysis.checks.kube import listed
from analysis.checks.result import CheckResult, Evidence
from analysis.columnar import RunDirError

PLAN_FILE = "chaos/plan.json"


def read_plan(run_dir: Path) -> dict[str, Any] | None:
    path = Path(run_dir) / PLAN_FILE
    if not path.is_file():
        return None
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{path}: not readable JSON ({exc}); re-run the dry run") from exc
    if not isinstance(plan, dict) or not isinstance(plan.get("entries", []), list):
        raise RunDirError(f"{path}: expected an object with a list `entries`")
    return plan


def _object(entry: dict[str, Any]) -> str:
    obj = entry.get("object") or {}
    name = "/".join(str(x) for x in (obj.get("kind"), obj.get("namespace"), obj.get("name")) if x)
    return f"{entry.get('method', '')} {name or entry.get('path', '?')}".strip()


def _sentence(key: tuple[str, str], entries: list[dict[str, Any]]) -> str:
    experiment, activity = key
    first = entries[0]
    changes = [e for e in entries if e.get("method")]
    how = sorted({str(e.get("sent")) for e in changes if e.get("sent")})
    verdicts = sorted({str(e.get("server")) for e in changes if e.get("server")})
    parts = [f"DRY RUN {experiment}: {activity}"]
    if first.get("function"):
        parts.append(f"({first['function']})")
    if changes:
        parts.append(f"would change {len(changes)} object(s)")
    if first.get("note"):
        parts.append(str(first["note"]))
    text = " ".join(parts) + "."
    if first.get("why"):
        text += f" Why: {first['why']}."
    if how:
        text += f" Sent to the API server: {', '.join(how)}."
    if verdicts:
        text += f" The server said: {'; '.join(verdicts)}."
    return text


def dry_run_checks(run_dir: Path) -> list[CheckResult]:
    """One skipped row per planned activity (in plan order); one row saying so when there is no plan."""
    plan = read_plan(run_dir)
    if plan is None:
        return [CheckResult("plan", "skipped", None, None, "", Evidence(
            f"DRY RUN: no {PLAN_FILE} was written (no experiment ran); nothing was changed."), kind="plan")]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for entry in plan.get("entries") or []:
        if isinstance(entry, dict):
            groups[(str(entry.get("experiment") or "run"), str(entry.get("activity") or "?"))].append(entry)
    if not groups:
        return [CheckResult("plan", "skipped", 0, None, "changes", Evidence(
            "DRY RUN: the plan is empty: nothing would have been changed."), kind="plan")]
    results = []
    for key, entries in groups.items():
        objects = listed([_object(e) for e in entries if e.get("method")])
        changes = sum(1 for e in entries if e.get("method"))
        results.append(CheckResult(f"plan.{key[0]}.{key[1]}", "skipped", changes, None, "changes",
                                   Evidence(_sentence(key, entries), None, objects), kind="plan"))
    return results
