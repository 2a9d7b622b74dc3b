"""The result of one check: a verdict with the measured value, the threshold and the evidence."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from analysis import exitcodes

Verdict = Literal["pass", "fail", "invalid", "incomplete", "skipped"]
VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "invalid", "incomplete", "skipped")
# the verdict of a whole run: a check verdict, or what the run's status says (analysis/runstatus.py)
Overall = Literal["pass", "fail", "invalid", "incomplete", "interrupted", "refused", "dry-run"]
RUN_STATES: tuple[str, ...] = ("refused", "interrupted", "dry-run")  # they decide the overall verdict, in order


@dataclass(frozen=True)
class Evidence:
    """Where and on what a check looked: a time window (s since run start), the objects involved, a sentence."""

    sentence: str
    window_s: tuple[float, float] | None = None
    objects: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    name: str
    verdict: Verdict
    measured: float | None
    threshold: float | None
    unit: str
    evidence: Evidence
    kind: str = "slo"

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"check {self.name}: verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def incomplete(self, reason: str) -> CheckResult:
        """The same check judged INCOMPLETE: it lacked data it needs (e.g. the observer could not see the cluster);
        the measured value is kept for information only."""
        sentence = f"INCOMPLETE: {reason}. Measured value kept for information only. {self.evidence.sentence}"
        return replace(self, verdict="incomplete", evidence=replace(self.evidence, sentence=sentence))

    def invalidated(self, reason: str) -> CheckResult:
        """The same check judged INVALID (the measurement cannot be trusted), keeping the measured value."""
        sentence = f"INVALID run ({reason}); measured value kept for information only. {self.evidence.sentence}"
        return replace(self, verdict="invalid", evidence=replace(self.evidence, sentence=sentence))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (NaN and infinities become null)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def jsonable(value: Any) -> Any:
    return _jsonable(value)


def overall_verdict(results: list[CheckResult], status: str | None = None) -> Overall:
    """The run's verdict. A run status (refused, interrupted, dry-run) decides first; then invalid if any check is
    invalid, else fail if any failed, else incomplete if any check lacked its data, else pass (skipped checks do
    not count). A definite FAIL outranks INCOMPLETE: what was seen to fail stays a failure."""
    if status in RUN_STATES:
        return status  # type: ignore[return-value]
    verdicts = {r.verdict for r in results}
    for verdict in ("invalid", "fail", "incomplete"):
        if verdict in verdicts:
            return verdict
    return "pass"


EXIT_CODES: dict[str, int] = {**exitcodes.BY_VERDICT, "skipped": exitcodes.PASS}
