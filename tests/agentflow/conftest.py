"""Fixtures for the reference-server tests: real server processes on free loopback ports, stopped by PID."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from agentflow_helpers import FAST, KEY

from localcluster.agentflow.process import ReferenceServer


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    """One fast graceful server shared by a test module (rate limits off)."""
    with ReferenceServer(api_key=KEY, args=FAST, pod_name="ref-shared") as srv:
        yield srv


@pytest.fixture
def make_server() -> Iterator[Callable[..., ReferenceServer]]:
    """Factory for dedicated servers; every server started is stopped (by PID) at teardown."""
    started: list[ReferenceServer] = []

    def make(*, args: list[str] | tuple[str, ...] = (), **kwargs) -> ReferenceServer:
        srv = ReferenceServer(args=list(args), **{"api_key": KEY, **kwargs})
        started.append(srv)
        srv.start()
        return srv

    try:
        yield make
    finally:
        for srv in started:
            srv.stop(grace=5.0)
