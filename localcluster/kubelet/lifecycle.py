"""Stopping a container as upstream's kubelet does: preStop hook (sleep/exec `sleep N` as a timed wait,
httpGet as a GET), then SIGTERM, then SIGKILL at the deadline. The hook's time counts against the grace
period; when the hook used it all, SIGTERM still gets upstream's minimum of 2 s. The deadline is read
through `deadline()` on every step, so a second delete with a shorter grace takes effect at once."""

from __future__ import annotations

import http.client
import re
import signal
import time
from collections.abc import Callable
from typing import Any

from .process import ContainerProcess

__all__ = ["prestop_seconds", "run_prestop", "stop_process"]

MIN_GRACE_AFTER_HOOK = 2.0
_SLEEP = re.compile(r"^\s*(?:exec\s+)?sleep\s+(\d+(?:\.\d+)?)\s*;?\s*$")
_STEP = 0.05


def prestop_seconds(command: list[str]) -> float | None:
    """Seconds of a `sleep N` command (plain or through `sh -c`), None for anything else."""
    if len(command) == 2 and command[0].rsplit("/", 1)[-1] == "sleep":
        text = f"sleep {command[1]}"
    elif len(command) == 3 and command[0].rsplit("/", 1)[-1] in ("sh", "bash") and command[1] == "-c":
        text = command[2]
    else:
        return None
    match = _SLEEP.match(text)
    return float(match.group(1)) if match else None


def _sleep_until(end: float, deadline: Callable[[], float], alive: Callable[[], bool]) -> None:
    while alive():
        now = time.time()
        limit = min(end, deadline())
        if now >= limit:
            return
        time.sleep(min(_STEP, limit - now))  # a deadline-bounded wait in small steps (deadline may shrink)


def run_prestop(
    hook: dict[str, Any],
    ports: dict[str, int],
    deadline: Callable[[], float],
    on_error: Callable[[str], None],
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Run a preStop hook within the deadline (a timed wait ends early when `alive()` turns false: the
    container died); failures are reported with `on_error` (FailedPreStopHook)."""
    start = time.time()
    if "sleep" in hook:
        _sleep_until(start + float((hook["sleep"] or {}).get("seconds", 0)), deadline, alive)
    elif "exec" in hook:
        command = [str(c) for c in (hook["exec"] or {}).get("command") or ()]
        seconds = prestop_seconds(command)
        if seconds is None:
            on_error(f"PreStopHook exec {command!r} is not supported by the local kubelet (only `sleep N`)")
            return
        _sleep_until(start + seconds, deadline, alive)
    elif "httpGet" in hook:
        _http_hook(hook["httpGet"] or {}, ports, deadline, on_error)


def _http_hook(
    spec: dict[str, Any], ports: dict[str, int], deadline: Callable[[], float], on_error: Callable[[str], None]
) -> None:
    port = ports.get(str(spec.get("port")))
    path = spec.get("path") or "/"
    if port is None:
        on_error(f"PreStopHook httpGet: port {spec.get('port')!r} is not a port of the container")
        return
    timeout = max(0.1, deadline() - time.time())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        if resp.status >= 400:
            on_error(f"PreStopHook httpGet {path} returned HTTP {resp.status}")
    except (OSError, http.client.HTTPException) as exc:
        on_error(f'PreStopHook failed: Get "http://127.0.0.1:{port}{path}": {exc}')
    finally:
        conn.close()


def stop_process(
    proc: ContainerProcess,
    deadline: Callable[[], float],
    hook: dict[str, Any] | None,
    ports: dict[str, int],
    on_error: Callable[[str], None],
) -> None:
    """preStop, SIGTERM, SIGKILL at the deadline; returns when the process has exited."""
    if hook and proc.alive:
        run_prestop(hook, ports, deadline, on_error, lambda: proc.alive)
    term_at = time.time()
    floor = term_at + MIN_GRACE_AFTER_HOOK if hook and term_at >= deadline() else 0.0
    if proc.alive:
        proc.signal(signal.SIGTERM)
    while True:
        remaining = max(deadline(), floor) - time.time()
        if remaining <= 0:
            break
        if proc.wait(min(remaining, 0.1)):
            return
    proc.signal(signal.SIGKILL)
    proc.wait(10)
