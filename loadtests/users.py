"""Locust users streaming AgentFlow's three SSE endpoints through :class:`loadtests.streaming.StreamingClient`.

Closed loop: :class:`AgentFlowUser` (abstract) runs one stream after another, picking the endpoint by the
profile's mix weights. Open loop: the arrival dispatcher calls :func:`run_one` once per arrival.

Every stream is reported twice to Locust's own statistics, so its UI and ``--csv`` show them apart:
request_type ``TTFT`` (first content event - scheduled; a failure when no content event arrived) and ``E2E``
(end - scheduled; a failure unless the outcome is ``ok``), both named by endpoint. Failures carry a
:class:`StreamFailure` whose text is ``<outcome> <status> <error>`` (few distinct values, so Locust's failure
table stays readable). Every record then fires the load plane's ``stream_recorded`` event
(:mod:`loadtests.events`), which ``loadtests.recording`` listens to.

Configuration: class attributes (``mix``, ``body``, ``connect_timeout``, ``stream_timeout``) or, when the
environment carries the run's state (:class:`loadtests.run.RunState`, set up by the locustfile) with
``settings``, those (they win). The stage name of a closed-loop stream is the run state's ``stage`` (kept on
the profile's stage), else ``"default"``. The API key is ``UserSettings.api_key``, else the
``AGENTFLOW_API_KEY`` variable.
"""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Mapping
from typing import Any

import gevent
from locust import User, constant, task

from loadtests import run
from loadtests.backoff import Backoff
from loadtests.bodies import AgentPool, BodyConfig, make_request
from loadtests.events import stream_recorded
from loadtests.record import StreamRecord
from loadtests.run import UserSettings
from loadtests.sessions import ChatSession
from loadtests.streaming import StreamingClient, stopped_record
from rundir import metrics
from rundir.layout import OK

API_KEY_ENV = "AGENTFLOW_API_KEY"


class StreamFailure(Exception):
    """What Locust shows for a failed stream: ``<outcome> <status> <error>``."""


def report(environment: Any, record: StreamRecord) -> None:
    """Fire Locust's ``request`` event twice for one stream: ``TTFT`` and ``E2E``, named by endpoint."""
    fire = environment.events.request.fire
    start = record.scheduled or record.sent or record.end or 0.0
    failure = None
    if record.outcome != OK:
        failure = StreamFailure(f"{record.outcome} {record.status} {record.error or ''}".rstrip())
    e2e = metrics.e2e(record.end or start, start)
    if record.first_token is not None:
        fire(request_type="TTFT", name=record.endpoint, response_time=metrics.ttft(record.first_token, start) * 1000.0,
             response_length=0, exception=None, context={}, start_time=start)
    else:
        fire(request_type="TTFT", name=record.endpoint, response_time=e2e * 1000.0,
             response_length=0, exception=failure or StreamFailure("no content event"), context={},
             start_time=start)
    fire(request_type="E2E", name=record.endpoint, response_time=e2e * 1000.0,
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
    session: ChatSession | None = None,
) -> StreamRecord:
    """One stream: build the request, stream it, report it to Locust, fire ``stream_recorded``; return it.

    ``scheduled`` is the arrival time for open loop (``open_loop`` is then true) or ``None`` (closed loop).
    """
    req = make_request(endpoint, cfg, rng, agents, session if endpoint != "agent_run" else None)
    try:
        record = client.stream(req, scheduled=scheduled, stage=stage, open_loop=scheduled is not None)
    except BaseException as exc:  # stopped in flight: the stream still gets its row, then the stop goes on
        stopped = stopped_record(exc)
        if stopped is not None:
            report(environment, stopped)
            stream_recorded(environment).fire(environment=environment, record=stopped)
        raise
    finally:
        if req.agent_id is not None:
            agents.release(req.agent_id)
    if session is not None and endpoint != "agent_run":
        session.reply((record.usage_tokens or record.events) if record.outcome == OK else 0)
    report(environment, record)
    stream_recorded(environment).fire(environment=environment, record=record)
    return record


def worker_name(environment: Any) -> str:
    """``local`` for a standalone run, ``w<index>`` on a distributed worker."""
    runner = getattr(environment, "runner", None)
    if runner is not None and type(runner).__name__ == "WorkerRunner":
        return f"w{max(getattr(runner, 'worker_index', 0), 0)}"
    return "local"


def agent_pool(environment: Any, cfg: BodyConfig) -> AgentPool:
    """The process-wide agent id pool (one per run, so ids are never shared by two users); a bare environment
    without a run state (unit tests) gets one per user."""
    st = run.find(environment)
    if st is None:
        return AgentPool(cfg.agent_pool, cfg.agent_prefix)
    if st.agents is None:
        st.agents = AgentPool(cfg.agent_pool, cfg.agent_prefix)
    return st.agents


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
        st = run.find(environment)
        settings = st.settings if st is not None else None
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
        turns = settings.body.chat_turns
        self.session = ChatSession(turns, self.rng) if turns is not None else None

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
        st = run.find(self.environment)
        stage = st.stage if st is not None else "default"
        record = run_one(self.environment, self.client, self.settings.body, self.rng, self.agents,
                         self.pick_endpoint(), None, stage, self.session)
        pause = self.backoff_after(record)
        if pause:
            gevent.sleep(pause)

    def backoff_after(self, record: StreamRecord) -> float:
        """Seconds to wait before the next stream (see loadtests.backoff)."""
        return self._backoff.after(record)
