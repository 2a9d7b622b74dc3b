"""Shared helpers for the load-run tests: real Locust processes, free ports, bounded waits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
LOCUSTFILE = REPO / "loadtests" / "locustfile.py"
KEY = "loadrun-test-key-5f2c"
# fast, deterministic streams; rate limits off (all load comes from one loopback IP)
FAST_SERVER = ["--seed", "3", "--ttft", "const:0.02", "--itl", "const:0.005", "--output-tokens", "const:8",
               "--ip-rate", "0", "--tenant-rate", "0"]


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is truthy or ``timeout`` s pass; returns whether it became truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_profile(directory: Path, name: str, stages: list[dict], *, model: str = "closed",
                  mix: dict | None = None, **extra: object) -> Path:
    data = {"name": name, "model": model, "seed": 5, "mix": mix or {"native_chat": 1, "agent_run": 1,
                                                                     "openai_chat": 1},
            "bodies": {"agent_pool": 32, "prompt_chars": {"dist": "const", "value": 50},
                       "max_tokens": {"dist": "const", "value": 8}},
            "timeouts": {"connect": "2s", "stream": "10s", "drain": "5s"}, "stages": stages, **extra}
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def locust_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCUST_", "AFSUITE_"))}
    env.update({"AGENTFLOW_API_KEY": KEY, "PYTHONPATH": str(REPO)})
    env.update(extra or {})
    return env


def locust_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *args]


class Proc:
    """A subprocess in its own process group, always stopped (SIGTERM, then SIGKILL) by :meth:`stop`."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(list(argv), env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                      start_new_session=True, cwd=str(REPO))
        self.pid = self.popen.pid

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, grace: float = 10.0) -> int:
        if self.popen.poll() is None:
            self.signal(signal.SIGTERM)
            if self.wait(grace) is None:
                self.signal(signal.SIGKILL)
        code = self.popen.wait()
        self.signal(signal.SIGKILL)  # leftovers of the group (forked workers), if any
        self._out.close()
        return code

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")
