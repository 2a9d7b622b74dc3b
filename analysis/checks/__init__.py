"""Checks: each yields a CheckResult (verdict pass | fail | invalid | skipped, measured, threshold, evidence).

Each check module declares its checks in a `CHECKS` tuple (`analysis.checks.context.Check`); the verdict
pipeline (`analysis/pipeline.py`) runs them in order.
"""

from __future__ import annotations

from analysis.checks.config import ProfileError, SloConfig, ValidityConfig, parse_slos, parse_validity
from analysis.checks.result import EXIT_CODES, CheckResult, Evidence, Verdict, overall_verdict

__all__ = [
    "EXIT_CODES",
    "CheckResult",
    "Evidence",
    "ProfileError",
    "SloConfig",
    "ValidityConfig",
    "Verdict",
    "overall_verdict",
    "parse_slos",
    "parse_validity",
]
