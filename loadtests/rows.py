"""Stream rows on their way to the run directory: buffering, batches, forwarding, receiving.

:func:`emit` (a listener of the ``stream_recorded`` event, fired by ``users.run_one`` once per stream) buffers
the row; a batch goes out every ``BATCH_ROWS`` rows, every ``FLUSH_SECONDS`` and at test stop, numbered
``(worker, seq)`` with seq 0, 1, 2... Workers send batches as Locust custom messages (``afsuite_rows``) and, at
test stop, their own totals (``afsuite_final``). The receiver (:class:`sink.Accounting`) refuses a repeated
``(worker, seq)`` and writes rows to ``streams/part-*.parquet``; ``load/accounting.json`` shows per worker rows
sent vs received. With ``AFSUITE_WORKER_LEDGER=<dir>`` each process also appends every stream_id it emits to
``<dir>/<worker>.ids``, an independent record to check the accounting against. A refused API key stops the run
(:mod:`loadtests.authcheck`).
"""

from __future__ import annotations

import time
from typing import Any

import gevent

from loadtests import authcheck
from loadtests.record import StreamRecord
from loadtests.run import RunState, find, state

MSG_ROWS, MSG_FINAL, MSG_LOADGEN = "afsuite_rows", "afsuite_final", "afsuite_loadgen"
BATCH_ROWS = 200
FLUSH_SECONDS = 1.0


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


def on_rows(environment: Any, msg: Any) -> None:
    _receive(environment, state(environment), msg.data["worker"], msg.data["seq"], msg.data["rows"])


def on_final(environment: Any, msg: Any) -> None:
    state(environment).accounting.finish(msg.data["worker"], msg.data["batches"], msg.data["rows"])


def on_loadgen(environment: Any, msg: Any) -> None:
    writer = state(environment).loadgen
    assert writer is not None  # a master's writer is set in setup, before any message
    writer.add(msg.data["rows"])


def flush_outgoing(environment: Any, st: RunState) -> None:
    _send_batch(environment, st)
    if st.loadgen_buffer and st.role == "worker":
        rows, st.loadgen_buffer = st.loadgen_buffer, []
        environment.runner.send_message(MSG_LOADGEN, {"worker": st.worker, "rows": rows})
    if st.ledger is not None:
        st.ledger.flush()


def flusher(environment: Any, st: RunState) -> None:
    while True:
        gevent.sleep(FLUSH_SECONDS / 4)
        if time.monotonic() - st.last_batch >= FLUSH_SECONDS:
            flush_outgoing(environment, st)
        for writer in (st.streams, st.loadgen):
            if writer is not None:
                writer.tick()
