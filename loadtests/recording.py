"""Per-process run state inside Locust: stream rows, stages, load-generator samples, distributed forwarding.

Roles. ``local`` (one process) writes the run directory itself; ``master`` writes it from what its workers
send; a ``worker`` never touches it (workers may run on other hosts).

Rows. :func:`emit` (a listener of the ``stream_recorded`` event, fired by ``users.run_one`` once per stream)
buffers the row; a batch goes out every
``BATCH_ROWS`` rows, every ``FLUSH_SECONDS`` and at test stop, numbered ``(worker, seq)`` with seq 0, 1, 2...
Workers send batches as Locust custom messages (``afsuite_rows``) and, at test stop, their own totals
(``afsuite_final``). The receiver (:class:`sink.Accounting`) refuses a repeated ``(worker, seq)``, writes rows
to ``streams/part-*.parquet`` and consolidates them into ``streams.parquet`` at test stop and quit;
``load/accounting.json`` shows per worker rows sent vs received, missing and duplicate batches, and the rows
and distinct stream_ids of ``streams.parquet``.

Plan. At test start the master (or local process) fixes ``run_start`` (epoch s) and sends each worker the
parsed profile (``Profile.to_dict()``), ``run_start``, its name ``w<index>`` and its share of the open-loop
arrivals, before Locust's spawn messages on the same connection (a worker joining later gets a plan without
share). Each process keeps its run state's ``stage`` (read by ``users.AgentFlowUser``) on the stage
of ``time.time() - run_start``: across hosts the clocks must agree to well under a second.

End of run. The shape calls :func:`finish_run` after the last stage. Local: Locust's stop (in-flight streams
get ``timeouts.drain`` s unless ``--stop-timeout`` is given). Master: ``afsuite_finish`` asks each worker to
stop its users the same way; the master waits (bounded) for every final count, then consolidates; Locust's
quit then ends the workers. Ctrl-C/SIGTERM on the master takes the same path from the ``quitting`` event.

Audit: with ``AFSUITE_WORKER_LEDGER=<dir>`` each process also appends every stream_id it emits to
``<dir>/<worker>.ids``, an independent record to check the accounting against. A refused API key stops the run
(:mod:`loadtests.authcheck`).

Slightly over 400 lines: these are the callbacks of one protocol (Locust's events and the master/worker
messages over one ``RunState``); split, each half would need the other's private state.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any

import gevent
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner

from loadtests import authcheck, sink
from loadtests.events import stream_recorded
from loadtests.loadgen import Sampler
from loadtests.profiles import ProfileError, load_profile, parse_profile
from loadtests.record import StreamRecord, arrow_schema
from loadtests.run import RunState, UserSettings, attach, find, state
from loadtests.shapes import closed_target, timeline
from loadtests.streaming import active_streams
from loadtests.urls import check_url
from rundir import layout, parts, schemas
from rundir import manifest as rundir_manifest

log = logging.getLogger(__name__)

MSG_PLAN, MSG_FINISH = "afsuite_plan", "afsuite_finish"
MSG_ROWS, MSG_FINAL, MSG_LOADGEN = "afsuite_rows", "afsuite_final", "afsuite_loadgen"
BATCH_ROWS = 200
FLUSH_SECONDS = 1.0
FINAL_WAIT = 30.0
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
        runner.register_message(MSG_FINISH, _on_finish)
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
        runner.register_message(MSG_ROWS, _on_rows)
        runner.register_message(MSG_FINAL, _on_final)
        runner.register_message(MSG_LOADGEN, _on_loadgen)
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
    st.greenlets = [gevent.spawn(_flusher, environment, st), gevent.spawn(_stage_keeper, environment, st),
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


def emit(environment: Any, record: StreamRecord, **_kwargs: Any) -> None:
    """Record one stream (the ``stream_recorded`` listener: once per stream)."""
    st = find(environment)
    if st is None:
        return
    row = record.to_row()
    st.buffer.append(row)
    st.rows += 1
    if st.role == "local":  # the key check sees every stream at once (a master sees its workers' batches)
        _watch_auth(environment, st, [row])
    if st.ledger is not None:
        st.ledger.write(record.stream_id + "\n")
    if len(st.buffer) >= BATCH_ROWS:
        _send_batch(environment, st)


def _send_batch(environment: Any, st: RunState) -> None:
    st.last_batch = time.monotonic()
    if not st.buffer:
        return
    rows, st.buffer = st.buffer, []
    seq, st.batches = st.batches, st.batches + 1
    if st.role == "worker":
        environment.runner.send_message(MSG_ROWS, {"worker": st.worker, "seq": seq, "rows": rows})
    else:
        _receive(environment, st, st.worker, seq, rows)


def _receive(environment: Any, st: RunState, worker: str, seq: int, rows: list[dict[str, Any]]) -> None:
    if st.accounting.receive(worker, seq, len(rows)) and st.streams is not None:
        st.streams.add(rows)
        st.errors += sum(row["outcome"] != "ok" for row in rows)
        if st.role == "master":
            _watch_auth(environment, st, rows)


def _watch_auth(environment: Any, st: RunState, rows: list[dict[str, Any]]) -> None:
    refused = st.auth.observe(rows)
    if refused is not None:
        st.aborted = refused
        gevent.spawn(authcheck.stop_run, environment, st.run_dir, refused)


def _on_rows(environment: Any, msg: Any) -> None:
    _receive(environment, state(environment), msg.data["worker"], msg.data["seq"], msg.data["rows"])


def _on_final(environment: Any, msg: Any) -> None:
    state(environment).accounting.finish(msg.data["worker"], msg.data["batches"], msg.data["rows"])


def _on_loadgen(environment: Any, msg: Any) -> None:
    writer = state(environment).loadgen
    assert writer is not None  # a master's writer is set in setup, before any message
    writer.add(msg.data["rows"])


def _flush_outgoing(environment: Any, st: RunState) -> None:
    _send_batch(environment, st)
    if st.loadgen_buffer and st.role == "worker":
        rows, st.loadgen_buffer = st.loadgen_buffer, []
        environment.runner.send_message(MSG_LOADGEN, {"worker": st.worker, "rows": rows})
    if st.ledger is not None:
        st.ledger.flush()


def _flusher(environment: Any, st: RunState) -> None:
    while True:
        gevent.sleep(FLUSH_SECONDS / 4)
        if time.monotonic() - st.last_batch >= FLUSH_SECONDS:
            _flush_outgoing(environment, st)
        for writer in (st.streams, st.loadgen):
            if writer is not None:
                writer.tick()


def _stage_keeper(environment: Any, st: RunState) -> None:
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


def on_test_stop(environment: Any) -> None:
    """test_stop hook: flush; a worker sends its final counts; master/local consolidate the run directory."""
    st = state(environment)
    _kill_greenlets(st)
    _flush_outgoing(environment, st)
    if st.role == "worker":
        environment.runner.send_message(MSG_FINAL, {"worker": st.worker, "batches": st.batches, "rows": st.rows})
        return
    if st.role == "local":
        st.accounting.finish(st.worker, st.batches, st.rows)
    finalize(st)


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


def _on_finish(environment: Any, msg: Any) -> None:
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


def _kill_greenlets(st: RunState) -> None:
    for greenlet in st.greenlets:
        greenlet.kill(block=False)
    st.greenlets = []
