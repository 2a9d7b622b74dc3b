"""The one typed object the load plane keeps on Locust's ``Environment``: :class:`RunState`.

Everything this process knows about the run lives here (``environment.afsuite_run``, set by
``recording.setup``): the role and worker name, the profile and its stage windows, the users' settings, the
current stage, the agent id pool, the row and load-generator writers and the accounting. Users read it through
:func:`find` (a bare Locust environment, as in unit tests, has none); ``recording`` owns and updates it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import gevent
from gevent.event import Event

from loadtests import sink
from loadtests.arrivals import DispatchStats
from loadtests.authcheck import AuthWatch
from loadtests.bodies import AgentPool, BodyConfig
from loadtests.profiles import Profile
from loadtests.shapes import Window
from rundir import parts

RUN_ATTRIBUTE = "afsuite_run"


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


@dataclass
class RunState:
    """Everything this process knows about the run (``environment.afsuite_run``)."""

    role: str
    worker: str
    profile: Profile | None = None
    windows: tuple[Window, ...] = ()
    run_start: float | None = None
    share: int = 0
    shares: int = 1
    plan_ready: Event = field(default_factory=Event)
    run_dir: Path | None = None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0
    rows: int = 0
    last_batch: float = field(default_factory=time.monotonic)
    accounting: sink.Accounting = field(default_factory=sink.Accounting)
    streams: parts.PartWriter | None = None
    loadgen: parts.PartWriter | None = None
    loadgen_buffer: list[dict[str, Any]] = field(default_factory=list)
    expected_workers: list[str] = field(default_factory=list)
    worker_clients: list[str] = field(default_factory=list)
    stages: sink.StageLog | None = None
    dispatch: DispatchStats = field(default_factory=DispatchStats)
    dispatched_run: float | None = None
    finished: bool = False
    errors: int = 0
    greenlets: list[gevent.Greenlet] = field(default_factory=list)
    ledger: IO[str] | None = None
    auth: AuthWatch = field(default_factory=AuthWatch)
    aborted: dict[str, Any] | None = None
    settings: UserSettings | None = None  # what users stream (from the profile); None: the user class's own
    stage: str = "default"  # the stage closed-loop streams are labelled with (kept by recording's stage clock)
    agents: AgentPool | None = None  # this process's agent ids (never shared by two users)


def state(environment: Any) -> RunState:
    """This process's run state (set up by ``recording.setup`` from the locustfile's init hook)."""
    st = find(environment)
    if st is None:
        raise RuntimeError("loadtests.recording.setup(environment) was not called (use loadtests/locustfile.py)")
    return st


def find(environment: Any) -> RunState | None:
    """The run state on ``environment``, or None (users run on a bare Locust environment, e.g. in tests)."""
    st = getattr(environment, RUN_ATTRIBUTE, None)
    return st if isinstance(st, RunState) else None


def attach(environment: Any, st: RunState) -> RunState:
    """Make ``st`` the run state of ``environment`` (the one attribute the suite sets on it)."""
    setattr(environment, RUN_ATTRIBUTE, st)
    return st
