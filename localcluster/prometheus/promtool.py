"""promtool over the rules users deploy: `check rules` and the suite's alerting scenarios
(`deploy/alerts/scenarios.test.yaml`, run with `promtool test rules`).

The scenarios expect the guide's alert names and nothing else about an alert: the rules are copied with their
labels and annotations left out (they never decide whether an alert fires), in real time (no scaling).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from localcluster.prometheus import RULES_DIR
from localcluster.prometheus.process import find_binary
from localcluster.prometheus.rules import load_rule_groups, write_rules

__all__ = ["SCENARIOS", "PromtoolResult", "check_rules", "run_scenarios"]

SCENARIOS = RULES_DIR / "scenarios.test.yaml"


@dataclass(frozen=True)
class PromtoolResult:
    ok: bool
    output: str


def _run(argv: list[str]) -> PromtoolResult:
    out = subprocess.run([find_binary("promtool"), *argv], capture_output=True, text=True, timeout=120)
    return PromtoolResult(out.returncode == 0, (out.stdout + out.stderr).strip())


def check_rules(source: str | Path) -> PromtoolResult:
    """`promtool check rules` over the groups of `source` (a PrometheusRule manifest or a rules file)."""
    with tempfile.TemporaryDirectory(prefix="afsuite-rules-") as tmp:
        path = write_rules(load_rule_groups(source), Path(tmp) / "rules.yml")
        return _run(["check", "rules", str(path)])


def run_scenarios(source: str | Path, scenarios: Path = SCENARIOS) -> PromtoolResult:
    """The suite's scenarios over `source`'s rules (labels and annotations left out), with `promtool test rules`."""
    groups = load_rule_groups(source)
    for group in groups:
        for rule in group.get("rules") or []:
            rule.pop("labels", None)
            rule.pop("annotations", None)
    with tempfile.TemporaryDirectory(prefix="afsuite-rules-") as tmp:
        rules = write_rules(groups, Path(tmp) / "rules.yml")
        test = Path(tmp) / "scenarios.test.yml"
        test.write_text(scenarios.read_text().replace("RULES_FILE", str(rules)))
        return _run(["test", "rules", str(test)])
