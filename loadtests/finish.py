"""The end of a load run: stop the users, collect every worker's rows, consolidate the run directory.

The shape calls :func:`finish_run` after the last stage. Local: Locust's stop (in-flight streams get
``timeouts.drain`` s unless ``--stop-timeout`` is given). Master: ``afsuite_finish`` asks each worker to stop its
users the same way; the master waits (bounded) for every final count, then consolidates; Locust's quit then ends
the workers. Ctrl-C/SIGTERM on the master takes the same path from the ``quitting`` event (:func:`on_quitting`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from locust.runners import STATE_RUNNING, STATE_SPAWNING

from loadtests import sink
from loadtests.run import RunState, state
from rundir import manifest as rundir_manifest

log = logging.getLogger("loadtests.recording")

MSG_FINISH = "afsuite_finish"
FINAL_WAIT = 30.0


def finish_run(environment: Any) -> None:
    """End of the last stage (called by the shape): stop users, collect every worker's rows, consolidate.

    A master does not use Locust's ``stop`` here: that unregisters the workers until they report ready again
    (``stop_timeout`` later), so the ``quit`` that follows would never reach them. It asks each worker to
    stop its own users instead (``afsuite_finish``), waits for their final counts, and lets Locust's ``quit``
    end them."""
    st = state(environment)
    st.finished = True
    if st.role == "master":
        _finish_workers(environment, st)
    elif environment.runner.state in (STATE_RUNNING, STATE_SPAWNING):
        log.info("stopping users (in-flight streams get up to %.0f s)", environment.stop_timeout)
        environment.runner.stop()
    finalize(st)


def _finish_workers(environment: Any, st: RunState) -> None:
    if st.accounting.complete(st.expected_workers):
        return
    log.info("stopping users on %s (in-flight streams get up to %.0f s)", st.expected_workers,
             environment.stop_timeout)
    for client_id in st.worker_clients:
        environment.runner.send_message(MSG_FINISH, None, client_id=client_id)
    wait = environment.stop_timeout + FINAL_WAIT
    deadline = time.monotonic() + wait
    while not st.accounting.complete(st.expected_workers) and time.monotonic() < deadline:
        gevent.sleep(0.1)
    missing = [w for w in st.expected_workers if not st.accounting.complete([w])]
    if missing:
        log.error("no final row count from %s within %.0f s; see load/accounting.json", missing, wait)


def on_finish(environment: Any, msg: Any) -> None:
    """Worker: the master says the run is over; stop users gracefully (test_stop then sends the final)."""
    gevent.spawn(environment.runner.stop)


def on_quitting(environment: Any) -> None:
    """quitting hook (master/local): stop a still-running test cleanly, consolidate, complete the manifest."""
    st = state(environment)
    if st.role == "worker" or st.run_dir is None:
        return
    if st.role == "master" or environment.runner.state in (STATE_RUNNING, STATE_SPAWNING):
        finish_run(environment)
    report = finalize(st)
    load = {"streams": report["rows_in_streams_parquet"], "accounting_ok": report["ok"]}
    rundir_manifest.complete_manifest(st.run_dir, load={**load, **({"aborted": st.aborted} if st.aborted else {})})
    log.info("run directory complete: %s (%d streams, accounting %s)", st.run_dir,
             report["rows_in_streams_parquet"], "ok" if report["ok"] else "NOT ok")


def finalize(st: RunState) -> dict[str, Any]:
    """Consolidate the run directory and write load/accounting.json (idempotent); returns the report."""
    if st.run_dir is None or st.streams is None or st.loadgen is None:
        return {}
    return sink.finalize_run(st.run_dir, streams=st.streams, loadgen=st.loadgen, stages=st.stages,
                             accounting=st.accounting, now=time.time(), mode=st.role,
                             expected_workers=st.expected_workers or [st.worker])
