"""The child processes of a run: started so they cannot outlive afsuite, recorded in the run directory, stopped
by PID in a bounded time.

Every child (Locust, `chaos run`, the reference server) is started in a session of its own (a terminal's Ctrl-C
reaches only afsuite, which then stops each child the one right way) through the parent-death launcher of
`experiments.afchaos.controls.children` (the child gets SIGTERM if afsuite dies, even by SIGKILL), and is
appended to `<run dir>/pids.jsonl` with its create time, so `afsuite recover` can find and stop a leftover
without ever signalling an unrelated process that reused the PID. `spawn`, `send` and `stop` (signal the child's
group; SIGKILL after a grace period) are `children`'s, the one terminate-then-kill of the suite.
"""

from __future__ import annotations

import os
from pathlib import Path

from experiments.afchaos.controls import children
from experiments.afchaos.controls.children import send, spawn, stop

__all__ = ["record_self", "send", "spawn", "stop"]


def record_self(run_dir: Path, role: str = "afsuite") -> None:
    """Record this afsuite process: `afsuite recover` leaves a run alone while its afsuite still runs."""
    children.record(run_dir, os.getpid(), role)
