"""Stop a run early when the service refuses the API key: the first streams all answered 401 or 403.

A run whose every stream is refused measures nothing (about 6,400 refused streams in 20 s were seen), so the
receiving process (local or master) watches the first `FIRST_STREAMS` streams it records: when every one of them
is an HTTP 401/403, the run stops at once with "the API key was refused", the manifest records
`load.aborted = {reason: api_key_refused, status, streams}` and Locust exits with code 2 (INVALID). A single
stream that gets through (or fails any other way) ends the watch: only a key refused outright stops a run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rundir import manifest as rundir_manifest

log = logging.getLogger(__name__)

FIRST_STREAMS = 5
REFUSED = (401, 403)
EXIT_CODE = 2  # analysis/exitcodes.py INVALID (this plane may not import analysis)


@dataclass
class AuthWatch:
    """Counts the first streams; `observe` returns the abort record once, when the key was refused."""

    seen: int = 0
    refused: int = 0
    status: int = 0
    done: bool = False

    def observe(self, rows: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
        if self.done:
            return None
        for row in rows:
            self.seen += 1
            if row.get("outcome") == "http_error" and row.get("status") in REFUSED:
                self.refused += 1
                self.status = int(row["status"])
            else:
                self.done = True  # something else happened: the key is not (only) the problem
                return None
            if self.seen >= FIRST_STREAMS:
                self.done = True
                return {"reason": "api_key_refused", "status": self.status, "streams": self.seen,
                        "message": f"the API key was refused: HTTP {self.status} on each of the first {self.seen} "
                                   "streams; check the key (AGENTFLOW_API_KEY, or the target's api_key_env / "
                                   "api_key_file)"}
        return None


def stop_run(environment: Any, run_dir: Path | None, info: dict[str, Any]) -> None:
    """The service refused the API key: record it, then stop the whole run now (Locust exits with EXIT_CODE)."""
    log.error("%s; stopping the run", info["message"])
    if run_dir is not None:
        load = rundir_manifest.read_manifest(run_dir).get("load", {})
        rundir_manifest.write_manifest(run_dir, load={**load, "aborted": info})
    environment.process_exit_code = EXIT_CODE
    environment.runner.quit()
