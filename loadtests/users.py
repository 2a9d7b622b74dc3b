"""Locust users streaming AgentFlow's three SSE endpoints through :class:`loadtests.streaming.StreamingClient`.

Closed loop: :class:`AgentFlowUser` (abstract) runs one stream after another, picking the endpoint by the
profile's mix weights. Open loop: the arrival dispatcher calls :func:`run_one` once per arrival.

Every stream is reported twice to Locust's own statistics, so its UI and ``--csv`` show them apart:
request_type ``TTFT`` (first content event - scheduled; a failure when no content event arrived) and ``E2E``
(end - scheduled; a failure unless the outcome is ``ok``), both named by endpoint. Failures carry a
:class:`StreamFailure` whose text is ``<outcome> <status> <error>`` (few distinct values, so Locust's failure
table stays readable). Every record is then handed to ``loadtests.recording.emit(environment, record)``.

Configuration: class attributes (``mix``, ``body``, ``connect_timeout``, ``stream_timeout``) or, when the
locustfile sets ``environment.agentflow_settings`` to a :class:`UserSettings`, that (it wins). The stage
name of a closed-loop stream is ``environment.agentflow_stage`` when set (the load shape keeps it current),
else ``"default"``. The API key is ``UserSettings.api_key``, else the ``AGENTFLOW_API_KEY`` variable.
"""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gevent
from locust import User, constant, task

from loadtests.backoff import Backoff
from loadtests.bodies import AgentPool, BodyConfig, make_request
from loadtests.record import StreamRecord
from loadtests.streaming import StreamingClient, stopped_record
from rundir.layout import OK

API_KEY_ENV = "AGENTFLOW_API_KEY"


class StreamFailure(Exception):
    """What Locust shows for a failed stream: ``<outcome> <status> <error>``."""


@dataclass
class UserSettings:
    """Everything a user needs that is not Locust's own (host comes from ``--host``/``User.host``)."""

    mix: Mapping[str, float] = field(default_factory=lambda: {"native_chat": 1.0})
    body: BodyConfig = field(default_factory=BodyConfig)
    connect_timeout: float = 5.0
    stream_timeout: float = 120.0
    api_key: str | None = None
    worker: str | None = None
    """Load-generator process id for ``stream_id``/``worker``; default ``local`` or ``w<worker_index>``."""

    def __post_init__(self) -> None:
        bad = [k for k, w in self.mix.items() if not isinstance(w, int | float) or w < 0]
        if not self.mix or bad or not sum(self.mix.values()) > 0:
            raise ValueError(f"mix: expected endpoint weights >= 0 with a positive sum, got {dict(self.mix)!r}")


_emit: Callable[[Any, StreamRecord], None] | None = None


def _emitter() -> Callable[[Any, StreamRecord], None]:
    """``loadtests.recording.emit`` once it exists; a no-op until then (looked up once per process)."""
    global _emit
    if _emit is None:
        try:
            from loadtests.recording import emit
        except ImportError:

            def emit(environment: Any, record: StreamRecord) -> None:
                return None

        _emit = emit
    return _emit


def report(environment: Any, record: StreamRecord) -> None:
    """Fire Locust's ``request`` event twice for one stream: ``TTFT`` and ``E2E``, named by endpoint."""
    fire = environment.events.request.fire
    start = record.scheduled or record.sent or record.end or 0.0
    failure = None
    if record.outcome != OK:
        failure = StreamFailure(f"{record.outcome} {record.status} {record.error or ''}".rstrip())
    if record.first_token is not None:
        fire(request_type="TTFT", name=record.endpoint, response_time=(record.first_token - start) * 1000.0,
             response_length=0, exception=None, context={}, start_time=start)
    else:
        fire(request_type="TTFT", name=record.endpoint, response_time=((record.end or start) - start) * 1000.0,
             response_length=0, exception=failure or StreamFailure("no content event"), context={},
             start_time=start)
    fire(request_type="E2E", name=record.endpoint, response_time=((record.end or start) - start) * 1000.0,
         response_length=record.bytes, exception=failure, context={}, start_time=start)


def run_one(
    environment: Any,
    client: StreamingClient,
    cfg: BodyConfig,
    rng: random.Random,
    agents: AgentPool,
    endpoint: str,
    scheduled: float | None,
    stage: str,
) -> StreamRecord:
    """One stream: build the request, stream it, report it to Locust, emit the record; return the record.

    ``scheduled`` is the arrival time for open loop (``open_loop`` is then true) or ``None`` (closed loop).
    """
    req = make_request(endpoint, cfg, rng, agents)
    try:
        record = client.stream(req, scheduled=scheduled, stage=stage, open_loop=scheduled is not None)
    except BaseException as exc:  # stopped in flight: the stream still gets its row, then the stop goes on
        stopped = stopped_record(exc)
        if stopped is not None:
            report(environment, stopped)
            _emitter()(environment, stopped)
        raise
    finally:
        if req.agent_id is not None:
            agents.release(req.agent_id)
    report(environment, record)
    _emitter()(environment, record)
    return record


def worker_name(environment: Any) -> str:
    """``local`` for a standalone run, ``w<index>`` on a distributed worker."""
    runner = getattr(environment, "runner", None)
    if runner is not None and type(runner).__name__ == "WorkerRunner":
        return f"w{max(getattr(runner, 'worker_index', 0), 0)}"
    return "local"


def agent_pool(environment: Any, cfg: BodyConfig) -> AgentPool:
    """The process-wide agent id pool (one per environment, so ids are never shared by two users)."""
    pool = getattr(environment, "agentflow_agents", None)
    if pool is None:
        pool = AgentPool(cfg.agent_pool, cfg.agent_prefix)
        environment.agentflow_agents = pool
    return pool


def tune_gc() -> None:
    """Collect once, move everything alive into the permanent generation and make young collections rarer.

    Locust + gevent keep many long-lived objects; a full collection over them is what pauses the process
    (tens of ms) and shows up as client lag. Called once per process by the first user that starts.
    """
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 10_000), max(gen1, 50), max(gen2, 100))


_GC_TUNED = [False]



class AgentFlowUser(User):
    """Closed-loop user: streams one request after another on its own kept-alive connection."""

    abstract = True
    wait_time = constant(0)
    mix: Mapping[str, float] = {"native_chat": 1.0}
    body: BodyConfig | None = None
    connect_timeout = 5.0
    stream_timeout = 120.0
    gc_tuning = True

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self._backoff = Backoff()
        if not self.host:
            raise ValueError("host: no target URL; pass --host http://... or set the user's host attribute")
        settings = getattr(environment, "agentflow_settings", None)
        if settings is None:
            settings = UserSettings(dict(self.mix), self.body or BodyConfig(), self.connect_timeout,
                                    self.stream_timeout)
        self.settings: UserSettings = settings
        api_key = settings.api_key if settings.api_key is not None else os.environ.get(API_KEY_ENV)
        self.client = StreamingClient(self.host, api_key, connect_timeout=settings.connect_timeout,
                                      stream_timeout=settings.stream_timeout,
                                      worker=settings.worker or worker_name(environment))
        self.rng = random.Random()
        self.agents = agent_pool(environment, settings.body)
        self._endpoints = [name for name, weight in settings.mix.items() if weight > 0]
        self._weights = [settings.mix[name] for name in self._endpoints]

    def on_start(self) -> None:
        if self.gc_tuning and not _GC_TUNED[0]:
            _GC_TUNED[0] = True
            tune_gc()

    def on_stop(self) -> None:
        self.client.close()

    def pick_endpoint(self) -> str:
        """An endpoint drawn by the mix weights."""
        if len(self._endpoints) == 1:
            return self._endpoints[0]
        return self.rng.choices(self._endpoints, self._weights)[0]

    @task
    def stream_once(self) -> None:
        stage = getattr(self.environment, "agentflow_stage", None) or "default"
        record = run_one(self.environment, self.client, self.settings.body, self.rng, self.agents,
                         self.pick_endpoint(), None, stage)
        pause = self.backoff_after(record)
        if pause:
            gevent.sleep(pause)

    def backoff_after(self, record: StreamRecord) -> float:
        """Seconds to wait before the next stream (see loadtests.backoff)."""
        return self._backoff.after(record)
