"""Shared by the alert tests: the real prometheus/promtool binaries (skip when missing, fail under CI=true),
and deadline-bounded PromQL queries over HTTP."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

HINT = "Debian's prometheus package is not installed (`make install` installs it as root: apt-get install prometheus)"


def need_binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name}: {HINT}")
        pytest.skip(f"{name}: {HINT}")
    return found


def query(url: str, promql: str) -> list[dict[str, Any]]:
    resp = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5.0)
    resp.raise_for_status()
    return resp.json()["data"]["result"]


def wait_for(what: str, fn: Callable[[], Any], timeout: float = 60.0, every: float = 0.5) -> Any:
    """fn()'s first truthy value within `timeout` seconds, else fail naming `what` and the last value."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)  # poll interval of a deadline-bounded wait
    pytest.fail(f"{what}: not within {timeout:g} s (last: {last!r})")
