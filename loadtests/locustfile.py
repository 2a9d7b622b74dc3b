"""AgentFlow streaming load, as a plain Locust file.

    AGENTFLOW_API_KEY=... locust -f loadtests/locustfile.py --host http://127.0.0.1:8080 \\
        --profile demo --headless --csv RUN/locust/stats --html RUN/locust/report.html

Options: ``--profile NAME|PATH`` (default ``smoke``; see ``loadtests/profiles/``; Locust >= 2.33 has a
``--profile`` of its own that only labels the run, so the same option serves both and the profile's name
appears in Locust's report), and, added here,
``--run-dir DIR`` (else ``$AFSUITE_RUN_DIR``, else a new ``runs/<UTC stamp>-<profile>/``) and
``--duration`` (length of a soak profile's soak stage, e.g. ``8h``). The API key comes only from the
environment variable ``AGENTFLOW_API_KEY``. Locust's ``--csv``/``--html`` output is not placed by this file:
give ``--csv <run>/locust/stats --html <run>/locust/report.html`` (``afsuite load`` does).

The profile's stages drive :class:`ProfileShape` (the run stops by itself after the last stage; ``-t`` is an
extra upper bound). Closed-loop profiles run :class:`ClosedLoopUser`; open-loop profiles run one
:class:`OpenLoopDispatcher` per load-generator process, which starts every arrival of the seeded schedule at
its scheduled time. Works headless or with the web UI, in one process or distributed (``--processes N``, or
``--master`` + ``--worker``); see :mod:`loadtests.recording` for how rows reach the run directory.

The shape class lives here rather than in :mod:`loadtests.shapes` because importing ``locust`` monkey-patches
the importing process; ``shapes`` stays importable by the harness and by unit tests.
"""

from __future__ import annotations

import functools
import os
import random
import signal
import sys
import time
from typing import Any

from locust import LoadTestShape, User, constant, events, task
from locust.user.users import LOCUST_STATE_STOPPING

from loadtests import recording
from loadtests.arrivals import Arrival, Dispatcher, schedule
from loadtests.shapes import closed_target, open_target
from loadtests.streaming import StreamingClient
from loadtests.users import API_KEY_ENV, AgentFlowUser, agent_pool, run_one

_ENVIRONMENT: list[Any] = []  # set by the init hook (worker_connect does not pass the environment)


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    if "--profile" not in parser._option_string_actions:  # Locust >= 2.33 has its own --profile (a run label)
        parser.add_argument("--profile", default=None, include_in_web_ui=False,
                            help="Load profile: a name from loadtests/profiles/ or a YAML path (default: smoke)")
    parser.add_argument("--run-dir", default=None, include_in_web_ui=False,
                       help="Run directory (default: $AFSUITE_RUN_DIR, else a new runs/<UTC stamp>-<profile>/)")
    parser.add_argument("--duration", default=None, include_in_web_ui=False,
                       help="Length of the soak stage of a soak profile, e.g. 8h or 90m")


@events.init.add_listener
def _on_init(environment: Any, **_kwargs: Any) -> None:
    _ENVIRONMENT[:] = [environment]
    sys.stdout, sys.stderr = TolerantStream(sys.stdout), TolerantStream(sys.stderr)
    _graceful_sigterm()
    recording.setup(environment)
    if recording.state(environment).role == "worker":
        _cache_default_args()


def _graceful_sigterm() -> None:
    """SIGTERM ends a run like Ctrl-C: users stop, rows are flushed and consolidated, Locust writes its reports.

    Locust 2.x installs its own SIGTERM handler only after a headless *shape* run has finished (``main()`` joins
    the shape greenlet first), so until then SIGTERM killed the process outright (exit -15) and the run directory
    kept only unmerged part files. Mapping SIGTERM to KeyboardInterrupt takes the path Locust already handles
    during a shape run ("Exiting due to CTRL+C interruption": stop, quitting hooks, reports)."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _first_sigterm)


class TolerantStream:
    """stdout/stderr whose reader may be gone (a pipe to a parent that died): a failed write drops the stream
    instead of raising. Regression: gevent prints a KeyboardInterrupt raised in its hub to stderr; with stderr a
    pipe to a dead parent that print raised BrokenPipeError, the interrupt was lost, and SIGTERM (afsuite's
    parent-death signal) did not stop the run: Locust ran its profile to the end."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):
            self._stream = open(os.devnull, "w")  # noqa: SIM115 - replaces the dead stream for the process
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            self._stream = open(os.devnull, "w")  # noqa: SIM115 - as above

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _first_sigterm(signum: int, frame: Any) -> None:
    """The first SIGTERM stops the run like Ctrl-C; later ones (the harness's stop and afsuite's parent-death
    signal can both arrive) are ignored so they never cut the flush and consolidation short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _cache_default_args() -> None:
    """Worker: make Locust's per-spawn-message option filtering cheap (a measured 0.2-1 s event-loop stall).

    Locust 2.x workers rebuild a full argument parser for every option key of every spawn message
    (``WorkerRunner.handle_message`` calls ``argument_parser.default_args_dict()`` inside a dict
    comprehension), which blocks the worker's event loop, and so every stream in flight, at each change of
    the user count. The result depends only on Locust's own defaults, so it is computed once."""
    from locust import argument_parser

    if not hasattr(argument_parser.default_args_dict, "cache_info"):
        argument_parser.default_args_dict = functools.lru_cache(maxsize=1)(argument_parser.default_args_dict)


@events.worker_connect.add_listener
def _on_worker_connect(client_id: str, **_kwargs: Any) -> None:
    recording.on_worker_connect(_ENVIRONMENT[0], client_id)


@events.test_start.add_listener
def _on_test_start(environment: Any, **_kwargs: Any) -> None:
    recording.on_test_start(environment)


@events.test_stop.add_listener
def _on_test_stop(environment: Any, **_kwargs: Any) -> None:
    recording.on_test_stop(environment)


@events.quitting.add_listener
def _on_quitting(environment: Any, **_kwargs: Any) -> None:
    recording.on_quitting(environment)


class ClosedLoopUser(AgentFlowUser):
    """One closed-loop user: a stream, then the next (settings and stage come from the profile)."""


class OpenLoopDispatcher(User):
    """Runs this process's share of the open-loop arrival schedule (one per process; extras stay idle)."""

    wait_time = constant(1)

    @task
    def dispatch(self) -> None:
        st = recording.state(self.environment)
        if not st.plan_ready.wait(timeout=30.0) or st.profile is None or st.share < 0:
            return
        if st.dispatched_run == st.run_start:  # this run's schedule is (being) dispatched: idle until stopped
            return
        st.dispatched_run = st.run_start
        profile = st.profile
        if not self.host:
            raise ValueError("host: no target URL; pass --host http://...")
        settings = st.settings
        assert settings is not None  # set with the plan
        client = StreamingClient(self.host, os.environ.get(API_KEY_ENV), connect_timeout=settings.connect_timeout,
                                 stream_timeout=settings.stream_timeout, worker=st.worker)
        rng = random.Random(f"{profile.seed}/bodies/{st.share}")
        agents = agent_pool(self.environment, settings.body)
        endpoints, weights = list(profile.mix), list(profile.mix.values())

        def launch(arrival: Arrival, scheduled: float) -> None:
            endpoint = rng.choices(endpoints, weights)[0]
            run_one(self.environment, client, settings.body, rng, agents, endpoint, scheduled, arrival.stage)

        arrivals = schedule(profile.stages, seed=profile.seed, share=st.share, shares=st.shares)
        dispatcher = Dispatcher(arrivals, st.run_start or time.time(), launch, st.dispatch,
                                should_stop=lambda: self._state == LOCUST_STATE_STOPPING)
        try:
            dispatcher.run(drain_timeout=profile.timeouts.drain)
        finally:
            client.close()


class ProfileShape(LoadTestShape):
    """The profile's stages as a Locust shape; ``tick()`` returns None after the last stage (run stops)."""

    use_common_options = True  # only --run-time is read: an upper bound on top of the profile

    def tick(self) -> tuple[int, float, list[type[User]]] | None:
        assert self.runner is not None  # Locust sets it before the first tick
        environment = self.runner.environment
        st = recording.state(environment)
        elapsed = recording.elapsed(environment)
        limit = getattr(environment.parsed_options, "run_time", None)
        target: tuple[int, float, list[type[User]]] | None = None
        if not limit or elapsed < limit:
            if st.profile is not None and st.profile.model == "closed":
                closed = closed_target(st.windows, elapsed)
                target = None if closed is None else (closed[1], closed[2], [ClosedLoopUser])
            elif open_target(st.windows, elapsed) is not None:
                processes = max(getattr(self.runner, "worker_count", 1), 1)
                target = (processes, float(processes), [OpenLoopDispatcher])
        if target is None:
            recording.finish_run(environment)
        return target
