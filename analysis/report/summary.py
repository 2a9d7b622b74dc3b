"""summary.json: run identity, overall verdict and exit code, every check, key metrics.

Only selected manifest fields are copied, and any key that looks like a credential is dropped recursively,
so the summary can be published as a CI artifact.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from analysis.checks.result import jsonable
from analysis.report.model import Analysis, error_rate

RUN_FIELDS = ("name", "run_id", "started", "ended", "git_revision", "host", "versions", "target", "experiments")
_SECRET = re.compile(r"(key|token|secret|password|passwd|credential|authorization|auth)", re.IGNORECASE)


def redact(value: Any) -> Any:
    """Copy of a JSON value without keys that look like credentials."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if not _SECRET.search(str(k))}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _records(frame: pd.DataFrame) -> Any:
    return jsonable(frame.reset_index().to_dict(orient="records")) if len(frame) else []


def summary_dict(analysis: Analysis) -> dict[str, Any]:
    m = analysis.run.manifest
    run = redact({k: m.get(k) for k in RUN_FIELDS if k in m})
    run["profile"] = redact({k: v for k, v in analysis.run.profile.items() if k in ("name", "slos", "validity")})
    run["run_dir"] = analysis.run.run_dir.name
    verdicts = {v: sum(c.verdict == v for c in analysis.checks)
                for v in ("pass", "fail", "invalid", "incomplete", "skipped")}
    return jsonable(
        {
            "run": run,
            "overall_verdict": analysis.overall,
            "exit_code": analysis.exit_code,
            "run_status": {"state": analysis.status.state, "reason": analysis.status.reason},
            "verdict_counts": verdicts,
            "checks": [c.to_dict() for c in analysis.checks],
            "metrics": {
                "streams": sum(analysis.outcomes.values()),
                "outcomes": analysis.outcomes,
                "error_rate": error_rate(analysis),
                "goodput": analysis.goodput,
                "latency_s": _records(analysis.latency),
                "latency_by_endpoint_s": _records(analysis.latency_by_endpoint),
                "stages": _records(analysis.stages),
                "window_s": analysis.window_s,
            },
            "inputs_skipped": analysis.run.skipped,
            "input_notes": analysis.run.notes,
        }
    )


def render_summary(analysis: Analysis) -> str:
    return json.dumps(summary_dict(analysis), indent=2, allow_nan=False) + "\n"
