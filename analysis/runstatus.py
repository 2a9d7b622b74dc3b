"""How a run ended, from its manifest: completed, interrupted, refused or a dry run.

The harness writes `status: running` when a run starts and the final status (with `interrupted` / `refused`
details) when it finalises the run; a run still `running`, or whose `ended` is still null, was never finalised
(the process was killed): that run is INTERRUPTED too. A run
status outranks every check verdict (a check of a run that was cut short is not a verdict on the service).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

STATES = ("running", "completed", "interrupted", "refused", "dry-run")


@dataclass(frozen=True)
class RunStatus:
    state: str  # completed | interrupted | refused | dry-run
    reason: str = ""

    @property
    def decides(self) -> bool:
        """Whether this status, not the checks, is the run's verdict."""
        return self.state != "completed"


def _when(value: Any, origin: Any) -> str:
    if isinstance(value, int | float) and isinstance(origin, int | float) and math.isfinite(value - origin):
        return f" at t+{value - origin:.0f} s"
    return ""


def run_status(manifest: dict[str, Any]) -> RunStatus:
    """The status recorded in `manifest` (see the module docstring)."""
    state = manifest.get("status")
    started = manifest.get("started")
    if state == "refused":
        refused = manifest.get("refused") or {}
        return RunStatus("refused", str(refused.get("reason") or "a safety setting refused the run"))
    if state == "interrupted":
        info = manifest.get("interrupted") or {}
        what = str(info.get("signal") or info.get("reason") or "stopped")
        during = f" during {info['phase']}" if info.get("phase") else ""
        return RunStatus("interrupted", f"the run was interrupted ({what}{_when(info.get('time'), started)}"
                                        f"{during}); its checks judge only what ran before")
    if state == "dry-run" or manifest.get("dry_run") is True:
        return RunStatus("dry-run", "dry run: nothing was changed and no traffic was sent; the plan is in "
                                    "chaos/plan.json")
    if state == "running":
        return RunStatus("interrupted", "the run never finished: afsuite did not finalise it (it was killed); "
                                        "`afsuite recover` stops what it left and cleans up after it")
    if "ended" in manifest and manifest.get("ended") is None:
        return RunStatus("interrupted", "the run never finished: manifest.json has no end time (the process was "
                                        "killed or is still running); `afsuite recover` cleans up after it")
    return RunStatus("completed")
