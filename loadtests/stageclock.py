"""The stage clock of one process: keeps the run state's ``stage`` (read by ``users.AgentFlowUser``) on the
profile's stage of ``time.time() - run_start``, and on master/local writes the stage rows
(``load/stages.parquet``). Across hosts the clocks must agree to well under a second.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent

from loadtests.run import RunState, state
from loadtests.shapes import closed_target

log = logging.getLogger("loadtests.recording")


def keep_stage(environment: Any, st: RunState) -> None:
    """Keep the run state's ``stage`` (and, on master/local, the stage rows) current."""
    if not st.plan_ready.wait(timeout=30.0) or st.run_start is None:
        log.error("%s: no plan from the master within 30 s; streams are labelled with the first stage", st.worker)
        return
    for window in st.windows:
        start, end = st.run_start + window.start, st.run_start + window.end
        if time.time() >= end:
            continue
        st.stage = window.stage.name
        if st.stages is not None:
            stage = window.stage
            spawn = closed_target((window,), window.start)
            st.stages.open(stage=stage.name, kind=stage.kind, start=start, planned_end=end, users=stage.users,
                           rate=stage.rate, spawn_rate=spawn[2] if spawn and stage.users is not None else None)
            log.info("stage %r (%s) started: %s", stage.name, stage.kind,
                     f"{stage.users} users" if stage.users is not None else f"{stage.rate} arrivals/s")
        gevent.sleep(max(end - time.time(), 0.0))
        if st.stages is not None:
            st.stages.close()


def elapsed(environment: Any) -> float:
    """Seconds since run_start (0 before the test started)."""
    st = state(environment)
    return 0.0 if st.run_start is None else time.time() - st.run_start
