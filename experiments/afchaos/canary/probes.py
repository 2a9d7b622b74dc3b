"""Probes: start the new-connection checks in the background; did every new connection get a complete stream?"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos.canary.checks import NewConnectionChecks
from experiments.afchaos.service.probes import service_url

__all__ = ["new_connections_served", "start_new_connection_checks"]
logger = logging.getLogger("chaostoolkit")
_current: dict[str, NewConnectionChecks] = {}


def start_new_connection_checks(workers: int = 2, interval: float = 0.25, timeout: float = 10.0,
                                max_seconds: float = 600.0, url: str | None = None,
                                api_key_env: str = "AGENTFLOW_API_KEY", configuration: Configuration = None,
                                secrets: Secrets = None) -> dict[str, Any]:
    """Start `workers` background threads, each opening one short stream on a fresh connection through the
    service every `interval` seconds until `new_connections_served` stops them (at most `max_seconds`);
    returns what was started. The key comes from env `api_key_env`."""
    previous = _current.pop("checks", None)
    if previous is not None:
        previous.stop()
    checks = NewConnectionChecks(service_url(configuration, url), api_key_env, max(1, workers), interval, timeout,
                                 max_seconds)
    checks.start()
    _current["checks"] = checks
    return {"workers": workers, "interval": interval, "max_seconds": max_seconds, "started": checks.started}


def take() -> NewConnectionChecks | None:
    return _current.pop("checks", None)


def new_connections_served(min_checks: int = 10, configuration: Configuration = None,
                           secrets: Secrets = None) -> dict[str, Any]:
    """Stop the new-connection checks and return their counts; raises ActivityFailed naming each pod that
    failed a new connection (and how), or when fewer than `min_checks` checks ran (nothing was measured)."""
    checks = take()
    if checks is None:
        raise ActivityFailed("start_new_connection_checks must run before new_connections_served")
    rows = checks.stop()
    failed = [r for r in rows if r["outcome"] != "ok"]
    by_pod = Counter(f"{r['pod'] or 'no pod'}: {r['outcome']} {r['error'] or r['status'] or ''}".strip()
                     for r in failed)
    summary = {"checks": len(rows), "failed": len(failed), "by_pod": dict(by_pod)}
    if len(rows) < min_checks:
        raise ActivityFailed(f"only {len(rows)} new-connection check(s) ran (need {min_checks}): nothing measured")
    if failed:
        detail = "; ".join(f"{what} x{n}" for what, n in sorted(by_pod.items()))
        raise ActivityFailed(f"{len(failed)} of {len(rows)} new connections failed during the fault: {detail}")
    logger.info("all %s new connections were served", len(rows))
    return summary
