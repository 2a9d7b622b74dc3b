"""Read a Chaos Toolkit journal into a verdict: what deviated or failed, named, for the exit code and the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ExperimentVerdict:
    experiment: str
    status: str  # completed | failed | aborted | interrupted | missing
    deviated: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "completed" and not self.deviated and not self.problems

    def line(self) -> str:
        head = "PASS" if self.ok else "FAIL"
        state = "deviated" if self.deviated else self.status
        detail = "" if self.ok else ": " + " | ".join(self.problems or [state])
        return f"{head} {self.experiment} ({state}){detail}"


def _failed_runs(runs: list[dict[str, Any]], where: str) -> list[str]:
    out = []
    for run in runs or []:
        activity = run.get("activity") or {}
        name = activity.get("name", "?")
        if run.get("status") == "failed":
            out.append(f"{where} {activity.get('type', 'activity')} '{name}' failed: {_short(run.get('exception'))}")
        elif run.get("tolerance_met") is False:
            why = _short(run.get("exception") or run.get("output"))
            out.append(f"{where} probe '{name}' did not meet its tolerance: {why}")
    return out


def _short(value: Any) -> str:
    if isinstance(value, list):
        value = next((line for line in reversed(value) if line.strip()), "")
    text = str(value).strip().splitlines()[-1] if value else ""
    return text.removeprefix("chaoslib.exceptions.ActivityFailed: ")[:600]


def read_verdict(journal_path: Path, experiment: str) -> ExperimentVerdict:
    if not journal_path.exists():
        return ExperimentVerdict(experiment, "missing", False, [f"no journal at {journal_path}"])
    journal = json.loads(journal_path.read_text())
    problems: list[str] = []
    ssh = journal.get("steady_states") or {}
    for phase in ("before", "after"):
        state = ssh.get(phase) or {}
        problems += _failed_runs(state.get("probes") or [], f"hypothesis ({phase})")
    problems += _failed_runs(journal.get("run") or [], "method")
    problems += _failed_runs(journal.get("rollbacks") or [], "rollback")
    return ExperimentVerdict(experiment, str(journal.get("status")), bool(journal.get("deviated")), problems)
