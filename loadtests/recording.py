"""Per-process run state inside Locust: the roles, the plan, and the hooks the locustfile wires to Locust.

Roles. ``local`` (one process) writes the run directory itself; ``master`` writes it from what its workers
send; a ``worker`` never touches it (workers may run on other hosts).

Plan. At test start the master (or local process) fixes ``run_start`` (epoch s) and sends each worker the
parsed profile (``Profile.to_dict()``), ``run_start``, its name ``w<index>`` and its share of the open-loop
arrivals, before Locust's spawn messages on the same connection (a worker joining later gets a plan without
share).

The other jobs live in their own modules: the run state (:mod:`loadtests.run`), rows on their way to the run
directory (:mod:`loadtests.rows`), the stage clock (:mod:`loadtests.stageclock`), load-generator samples
(:mod:`loadtests.loadgen`) and the end of the run (:mod:`loadtests.finish`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any

import gevent
from locust.runners import MasterRunner, WorkerRunner

from loadtests import sink
from loadtests.events import stream_recorded
from loadtests.finish import MSG_FINISH, finalize, finish_run, on_finish, on_quitting
from loadtests.loadgen import Sampler
from loadtests.profiles import ProfileError, load_profile, parse_profile
from loadtests.record import arrow_schema
from loadtests.rows import (
    MSG_FINAL,
    MSG_LOADGEN,
    MSG_ROWS,
    emit,
    flush_outgoing,
    flusher,
    on_final,
    on_loadgen,
    on_rows,
)
from loadtests.run import RunState, UserSettings, attach, state
from loadtests.shapes import timeline
from loadtests.stageclock import elapsed, keep_stage
from loadtests.streaming import active_streams
from loadtests.urls import check_url
from rundir import layout, parts, schemas
from rundir import manifest as rundir_manifest

log = logging.getLogger(__name__)

__all__ = ["elapsed", "emit", "finish_run", "on_quitting", "on_test_start", "on_test_stop", "on_worker_connect",
           "setup", "state"]

MSG_PLAN = "afsuite_plan"
PROGRESS_SECONDS = 10
LEDGER_ENV = "AFSUITE_WORKER_LEDGER"
DEFAULT_PROFILE = "smoke"


def setup(environment: Any) -> None:
    """Init hook: decide the role; on master/local load the profile and open the run directory."""
    runner = environment.runner
    role = "worker" if isinstance(runner, WorkerRunner) else "master" if isinstance(runner, MasterRunner) \
        else "local"
    st = attach(environment, RunState(role=role, worker={"local": "local", "master": "master"}.get(role, "w?")))
    hook = stream_recorded(environment)
    if emit not in hook._handlers:  # once per environment, however often the init hook runs
        hook.add_listener(emit)
    if role == "worker":
        runner.register_message(MSG_PLAN, _on_plan)
        runner.register_message(MSG_FINISH, on_finish)
        return
    opts = environment.parsed_options
    try:
        st.profile = load_profile(opts.profile or DEFAULT_PROFILE, duration=opts.duration)
    except ProfileError as exc:
        raise SystemExit(f"error: {exc}") from None
    st.windows = timeline(st.profile.stages)
    if environment.host:
        try:
            check_url(environment.host)
        except ValueError as exc:
            raise SystemExit(f"error: --host: {exc}") from None
    parts.warm_up(arrow_schema(), schemas.LOADGEN_SCHEMA, schemas.STAGES_SCHEMA)
    try:
        st.run_dir = rundir_manifest.claim_for_load(rundir_manifest.resolve_run_dir(opts.run_dir, st.profile.name))
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    st.streams = parts.PartWriter(st.run_dir / layout.STREAMS_PARTS, arrow_schema(), st.worker)
    st.loadgen = parts.PartWriter(st.run_dir / layout.LOADGEN_PARTS, schemas.LOADGEN_SCHEMA, st.worker)
    st.stages = sink.StageLog(st.run_dir / layout.STAGES_FILE)
    if not environment.stop_timeout:
        environment.stop_timeout = st.profile.timeouts.drain
    if role == "master":
        runner.register_message(MSG_ROWS, on_rows)
        runner.register_message(MSG_FINAL, on_final)
        runner.register_message(MSG_LOADGEN, on_loadgen)
    else:
        _apply_settings(environment, st)
    rundir_manifest.start_manifest(st.run_dir, profile=st.profile.to_dict(),
                          target={"host": rundir_manifest.safe_url(environment.host or "")})
    log.info("run directory: %s (profile %s, %s loop, %.0f s)", st.run_dir, st.profile.name,
             st.profile.model, st.profile.duration)


def _apply_settings(environment: Any, st: RunState) -> None:
    profile = st.profile
    assert profile is not None
    # agent ids must differ between processes: AgentFlow rejects two concurrent runs on one agent id
    body = profile.bodies
    if st.role == "worker":
        body = dataclasses.replace(body, agent_prefix=f"{body.agent_prefix}-{st.worker}")
    st.settings = UserSettings(
        mix=dict(profile.mix), body=body, connect_timeout=profile.timeouts.connect,
        stream_timeout=profile.timeouts.stream, worker=st.worker,
    )
    st.stage = profile.stages[0].name
    ledger_dir = os.environ.get(LEDGER_ENV)
    if ledger_dir and st.ledger is None:
        Path(ledger_dir).mkdir(parents=True, exist_ok=True)
        st.ledger = open(Path(ledger_dir) / f"{st.worker}.ids", "a", encoding="utf-8")  # noqa: SIM115


def _on_plan(environment: Any, msg: Any) -> None:
    st = state(environment)
    data = msg.data
    st.profile = parse_profile(data["profile"], source="plan from master")
    st.windows = timeline(st.profile.stages)
    st.run_start, st.worker = data["run_start"], data["worker"]
    st.share, st.shares = data["share"], data["shares"]
    _apply_settings(environment, st)
    st.plan_ready.set()


def on_test_start(environment: Any) -> None:
    """test_start hook: fix run_start and send plans (master/local); start the per-process greenlets."""
    st = state(environment)
    if st.role != "worker":
        st.run_start = time.time()
        if st.role == "master":
            _send_plans(environment, st)
        st.plan_ready.set()
    elif not st.plan_ready.is_set():
        log.warning("test started on %s before the master's plan arrived; waiting for it", st.worker)
    _kill_greenlets(st)
    st.greenlets = [gevent.spawn(flusher, environment, st), gevent.spawn(keep_stage, environment, st),
                    gevent.spawn(_sampler(environment, st).run)]


def _send_plans(environment: Any, st: RunState) -> None:
    runner = environment.runner
    clients = sorted(runner.clients.ready + runner.clients.spawning + runner.clients.running,
                     key=lambda c: runner.get_worker_index(c.id))
    st.expected_workers, st.worker_clients, st.shares = [], [], len(clients)
    for share, client in enumerate(clients):
        _send_plan(environment, st, client.id, share, len(clients))


def _send_plan(environment: Any, st: RunState, client_id: str, share: int, shares: int) -> None:
    name = f"w{environment.runner.get_worker_index(client_id)}"
    st.expected_workers.append(name)
    st.worker_clients.append(client_id)
    st.accounting.workers.setdefault(name, sink.WorkerLedger())
    assert st.profile is not None
    environment.runner.send_message(MSG_PLAN, {"profile": st.profile.to_dict(), "run_start": st.run_start,
                                               "worker": name, "share": share, "shares": shares},
                                    client_id=client_id)


def on_worker_connect(environment: Any, client_id: str) -> None:
    """Master: a worker that joins a running test gets the plan too (no open-loop share: shares are fixed
    at test start), before Locust rebalances users onto it."""
    st = state(environment)
    if st.role == "master" and st.run_start is not None and not st.finished \
            and client_id not in st.worker_clients:
        _send_plan(environment, st, client_id, -1, st.shares)


def _sampler(environment: Any, st: RunState) -> Sampler:
    runner = environment.runner
    def emit_row(row: dict[str, Any]) -> None:  # (the worker's buffer list is replaced at every send)
        if st.loadgen is None:
            st.loadgen_buffer.append(row)
            return
        st.loadgen.add([row])
        if st.run_start is not None and int(row["time"] - st.run_start) % PROGRESS_SECONDS == 0:
            received = sum(ledger.rows for ledger in st.accounting.workers.values())
            log.info("progress: %.0f s, stage %r, %d users, %d streams recorded (%d not ok)",
                     row["time"] - st.run_start, st.stage, runner.user_count,
                     received, st.errors)

    return Sampler(st.worker, users=lambda: runner.user_count, active=active_streams, dispatch=st.dispatch,
                   emit_row=emit_row)


def on_test_stop(environment: Any) -> None:
    """test_stop hook: flush; a worker sends its final counts; master/local consolidate the run directory."""
    st = state(environment)
    _kill_greenlets(st)
    flush_outgoing(environment, st)
    if st.role == "worker":
        environment.runner.send_message(MSG_FINAL, {"worker": st.worker, "batches": st.batches, "rows": st.rows})
        return
    if st.role == "local":
        st.accounting.finish(st.worker, st.batches, st.rows)
    finalize(st)


def _kill_greenlets(st: RunState) -> None:
    for greenlet in st.greenlets:
        greenlet.kill(block=False)
    st.greenlets = []
