"""Service probes: the service answers a real stream with the API key; the error rate of the live load."""

from __future__ import annotations

import logging
import os
import time

import httpx
import pyarrow.compute as pc
import pyarrow.dataset as ds
from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal

__all__ = ["error_rate_below", "service_answers"]
logger = logging.getLogger("chaostoolkit")

_BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping"}],"max_tokens":4}'


def service_url(configuration: Configuration = None, url: str | None = None) -> str:
    value = url or (configuration or {}).get("agentflow_url") or os.environ.get("AGENTFLOW_URL")
    if not value:
        raise ActivityFailed("no service URL: set configuration agentflow_url or env AGENTFLOW_URL")
    return value.rstrip("/")


def _one_stream(base: str, headers: dict[str, str], timeout: float) -> str | None:
    """None when one native chat stream ends with [DONE], else what went wrong."""
    try:
        with httpx.Client(timeout=timeout) as client, client.stream(
                "POST", f"{base}/api/v1/chat/completions/stream", content=_BODY, headers=headers) as resp:
            if resp.status_code != 200:
                return f"HTTP {resp.status_code}"
            body = b"".join(resp.iter_raw())
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if b"data: [DONE]" in body else "stream ended without [DONE]"


def service_answers(url: str | None = None, api_key_env: str = "AGENTFLOW_API_KEY", timeout: float = 10.0,
                    attempts: int = 3, configuration: Configuration = None, secrets: Secrets = None) -> bool:
    """True when a native chat stream through the service ends with `[DONE]` within `attempts` tries (a client
    retries a connection error, as users' clients do); the key comes from env `api_key_env`."""
    base = service_url(configuration, url)
    headers = {"Content-Type": "application/json", "X-API-Key": os.environ.get(api_key_env, "")}
    problems = []
    for _ in range(max(1, attempts)):
        problem = _one_stream(base, headers, timeout)
        if problem is None:
            return True
        problems.append(problem)
    raise ActivityFailed(f"service {base} did not answer in {len(problems)} attempt(s): {'; '.join(problems)}")


def recent_outcomes(window_seconds: float) -> dict[str, int]:
    """Outcome counts of streams that ended in the last `window_seconds`, from the run directory's
    `streams.parquet` and its part files (what the background load has recorded so far)."""
    base = journal.run_dir()
    if base is None:
        raise ActivityFailed("no run directory (env AFSUITE_RUN_DIR): the error rate needs the load's stream records")
    files = sorted(str(p) for p in (base / "streams").glob("part-*.parquet"))
    if (base / "streams.parquet").exists():
        files.append(str(base / "streams.parquet"))
    if not files:
        return {}
    table = ds.dataset(files, format="parquet").to_table(
        columns=["outcome", "end"], filter=pc.field("end") >= time.time() - window_seconds)
    counts = table.column("outcome").value_counts().to_pylist()
    return {c["values"]: int(c["counts"]) for c in counts}


def error_rate_below(limit: float = 0.01, window_seconds: float = 30.0, min_streams: int = 5,
                     wait_seconds: float = 0.0, configuration: Configuration = None, secrets: Secrets = None) -> bool:
    """The error rate (every non-ok outcome counts) of streams that ended in the last `window_seconds` is below
    `limit`; raises ActivityFailed with the breakdown by outcome otherwise. Waits up to `wait_seconds` for
    `min_streams` streams to have ended (a load still starting on a busy machine), then judges what there is."""
    deadline = time.monotonic() + wait_seconds
    counts = recent_outcomes(window_seconds)
    while sum(counts.values()) < min_streams and time.monotonic() < deadline:
        time.sleep(0.5)  # poll interval of a deadline-bounded wait for the load's first streams
        counts = recent_outcomes(window_seconds)
    total = sum(counts.values())
    if total < min_streams:
        raise ActivityFailed(f"only {total} stream(s) ended in the last {window_seconds:.0f} s (need {min_streams}): "
                             "is the load running?")
    errors = total - counts.get("ok", 0)
    rate = errors / total
    if rate >= limit:
        raise ActivityFailed(f"error rate {rate:.2%} >= {limit:.2%} over the last {window_seconds:.0f} s: "
                             f"{dict(sorted(counts.items()))}")
    logger.info("error rate %.2f%% over the last %.0f s: %s", rate * 100, window_seconds, counts)
    return True
