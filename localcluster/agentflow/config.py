"""Configuration of the reference server: one typed, frozen dataclass parsed once from argv + environment.

Every flag ``--some-flag`` can also be given as the environment variable ``AGENTFLOW_SOME_FLAG`` (the pod
name comes from ``POD_NAME``); a flag on the command line wins over the environment. Errors raise
:class:`ConfigError` whose message is one line naming the flag (and its variable) and what to do.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, NoReturn

from .dists import Dist, DistError, parse_dist

__all__ = ["LIFECYCLES", "Config", "ConfigError", "parse_config"]

LIFECYCLES = ("agentflow-1.11", "graceful")
ERROR_CODES = ("INTERNAL_ERROR", "UPSTREAM_ERROR", "SERVICE_UNAVAILABLE", "MODEL_OVERLOADED",
               "PROVIDER_UNAVAILABLE", "UPSTREAM_TIMEOUT", "TIMEOUT", "RATE_LIMIT", "QUOTA_EXCEEDED")


class ConfigError(ValueError):
    """Bad configuration; the message is one line naming the flag and the fix."""


@dataclass(frozen=True)
class Config:
    host: str
    port: int
    metrics_port: int
    api_keys: tuple[str, ...]
    jwt_secret: str | None
    pod_name: str
    lifecycle: str
    seed: int | None
    model: str
    ttft: Dist
    itl: Dist
    output_tokens: Dist
    capacity: int
    queue_limit: int
    cpu_per_token_ms: float
    tool_call_prob: float
    agent_iterations: Dist | None
    tool_duration: Dist
    max_iterations: int
    agent_timeout: float
    shutdown_timeout: float
    write_timeout: float
    warmup: float
    drain_timeout: float
    drain_idle: float
    error_rate: float
    stream_error_rate: float
    error_code: str
    slow_start: float
    crash_after: float
    never_ready: bool
    hang_after: float
    memory_per_agent_kb: float
    ip_rate: float
    ip_burst: int
    tenant_rate: float
    tenant_burst: int
    debug_stamps: bool

    def __repr__(self) -> str:  # never show secrets
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["api_keys"] = f"<{len(self.api_keys)} key(s)>"
        shown["jwt_secret"] = "<set>" if self.jwt_secret else None
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):  # show only the flags: a stray value could be a key
            flags = [a for a in message[len(prefix):].split() if a.startswith("-")]
            message = prefix + (" ".join(flags) or "(values without a flag)")
        raise ConfigError(f"{message}; run with --help for the flags")


def _num(kind: type, low: float | None = None, high: float | None = None) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(f"{text!r} is not {'a whole number' if kind is int else 'a number'}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{text!r} must be finite")
        if (low is not None and value < low) or (high is not None and value > high):
            rng = f">= {low}" if high is None else f"between {low} and {high}"
            raise ValueError(f"{text!r} is out of range; give a value {rng}")
        return value

    return convert


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{text!r} is not a boolean; use 1/0, true/false")


def _choice(options: Sequence[str]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text not in options:
            raise ValueError(f"{text!r} is not one of {', '.join(options)}")
        return text

    return convert


def _dist(text: str) -> Dist:
    try:
        return parse_dist(text)
    except DistError as exc:
        raise ValueError(str(exc)) from None


def _port(text: str) -> int:
    return _num(int, 0, 65535)(text)


# name, converter, default, help. Env var: AGENTFLOW_<NAME upper>, except pod_name -> POD_NAME.
OPTIONS: list[tuple[str, Callable[[str], Any], Any, str]] = [
    ("host", str, "127.0.0.1", "address to listen on"),
    ("port", _port, 8080, "API port (0 = any free port, printed on stdout)"),
    ("metrics_port", _port, 9091, "Prometheus /metrics and /debug/stats port (0 = any free port)"),
    ("api_key", str, None, "API key(s), comma-separated (prefer the env var: argv is visible to others)"),
    ("api_key_file", str, None, "file holding API key(s), comma- or newline-separated"),
    ("jwt_secret", str, None, "HS256 secret: also accept 'Authorization: Bearer <JWT>' (tenant_id claim)"),
    ("pod_name", str, None, "pod name for the X-AgentFlow-Pod header (default: hostname)"),
    ("lifecycle", _choice(LIFECYCLES), "agentflow-1.11", "shutdown/readiness behaviour: " + "|".join(LIFECYCLES)),
    ("seed", _num(int), None, "random seed for reproducible timings and faults"),
    ("model", str, "reference-llm", "model name reported when a request names none"),
    ("ttft", _dist, "lognormal:median=0.2,sigma=0.3", "time to first token distribution (s)"),
    ("itl", _dist, "const:0.02", "inter-token interval distribution (s)"),
    ("output_tokens", _dist, "normal:mean=64,sd=16", "output tokens distribution (capped by max_tokens)"),
    ("capacity", _num(int, 1), 100, "concurrent generations per process; more requests queue FIFO"),
    ("queue_limit", _num(int, 0), 0, "max queued requests before 503 MODEL_OVERLOADED (0 = unbounded)"),
    ("cpu_per_token_ms", _num(float, 0), 0.0, "real CPU busy-work per generated token (ms)"),
    ("tool_call_prob", _num(float, 0, 1), 0.05, "probability an agent run makes a tool call"),
    ("agent_iterations", _dist, None, "iterations per agent run (capped by --max-iterations); unset = one "
     "model turn with --tool-call-prob, unless the request's metadata asks for a run length"),
    ("tool_duration", _dist, "lognormal:median=1.5,sigma=1.0", "tool call duration of an agent iteration (s)"),
    ("max_iterations", _num(int, 1), 15, "AgentFlow's agent max_iterations: cap on iterations per run"),
    ("agent_timeout", _num(float, 0), 180.0, "AgentFlow's agent timeout (s): a run still going then ends with "
     "an error event TIMEOUT and [DONE] (0 = off)"),
    ("shutdown_timeout", _num(float, 0), 15.0, "agentflow-1.11: grace for in-flight requests on SIGTERM (s)"),
    ("write_timeout", _num(float, 0), None, "cut responses running longer (s); default 30 for "
     "agentflow-1.11, 0 (off) for graceful"),
    ("warmup", _num(float, 0), 0.0, "graceful: seconds after start during which /ready and the API say 503"),
    ("drain_timeout", _num(float, 0), 45.0, "graceful: max drain after SIGTERM before exiting (s)"),
    ("drain_idle", _num(float, 0), 1.0, "graceful: exit once nothing was in flight for this long (s)"),
    ("error_rate", _num(float, 0, 1), 0.0, "fraction of API requests failing with HTTP 5xx before streaming"),
    ("stream_error_rate", _num(float, 0, 1), 0.0, "fraction of streams failing mid-stream (error event)"),
    ("error_code", _choice(ERROR_CODES), "INTERNAL_ERROR", "error code used by --error-rate"),
    ("slow_start", _num(float, 0), 0.0, "seconds before the ports open"),
    ("crash_after", _num(float, 0), 0.0, "die abruptly (exit code 2) this many seconds after start (0 = off)"),
    ("never_ready", _bool, False, "/ready always answers 503"),
    ("hang_after", _num(float, 0), 0.0, "health endpoints stop answering after this many seconds (0 = off)"),
    ("memory_per_agent_kb", _num(float, 0), 1.0, "memory kept forever per new agent_id (KiB)"),
    ("ip_rate", _num(float, 0), 100.0, "per client IP rate limit, requests/s (0 = off)"),
    ("ip_burst", _num(int, 1), 200, "per client IP burst"),
    ("tenant_rate", _num(float, 0), 50.0, "per tenant (IP when no JWT) rate limit, requests/s (0 = off)"),
    ("tenant_burst", _num(int, 1), 100, "per tenant burst"),
    ("debug_stamps", _bool, False, "prefix every SSE event with ': ts=<epoch>' stamped at the socket write"),
]
_BOOL_FLAGS = {"never_ready", "debug_stamps"}
_SECRET = {"api_key", "jwt_secret"}


def env_name(name: str) -> str:
    return "POD_NAME" if name == "pod_name" else "AGENTFLOW_" + name.upper()


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _build_parser() -> _Parser:
    epilog = "Environment (flag wins over variable):\n" + "\n".join(
        f"  {flag_name(n):22s} {env_name(n)}" for n, *_ in OPTIONS
    )
    parser = _Parser(prog="python -m localcluster.agentflow", description="AgentFlow v1.11.3 reference "
                     "server (simulated LLM) for load and chaos tests.", epilog=epilog,
                     formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    for name, _conv, default, text in OPTIONS:
        shown = "" if name in _SECRET or default is None else f" (default {default})"
        if name in _BOOL_FLAGS:
            parser.add_argument(flag_name(name), dest=name, action="store_const", const="1", default=None,
                                help=f"{text} [{env_name(name)}]")
        else:
            parser.add_argument(flag_name(name), dest=name, default=None, metavar=name.upper(),
                                help=f"{text}{shown} [{env_name(name)}]")
    return parser


def _value(name: str, raw: dict[str, str | None], env: Mapping[str, str]) -> Any:
    conv, default = next((c, d) for n, c, d, _ in OPTIONS if n == name)
    text, source = raw.get(name), flag_name(name)
    if text is None and env.get(env_name(name)) not in (None, ""):
        text, source = env[env_name(name)], f"{env_name(name)} (env)"
    if text is None:
        return conv(default) if isinstance(default, str) else default
    try:
        return conv(text)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _api_keys(raw: dict[str, Any], env: Mapping[str, str]) -> tuple[str, ...]:
    keys = [k.strip() for k in (_value("api_key", raw, env) or "").split(",")]
    path = _value("api_key_file", raw, env)
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                keys += [k.strip() for k in fh.read().replace("\n", ",").split(",")]
        except OSError as exc:
            raise ConfigError(f"--api-key-file: cannot read {path!r} ({exc.strerror}); fix the path") from None
    return tuple(dict.fromkeys(k for k in keys if k))


def parse_config(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Parse argv (default sys.argv[1:]) and env (default os.environ). Raises ConfigError."""
    env = os.environ if env is None else env
    raw = vars(_build_parser().parse_args(argv))
    values = {n: _value(n, raw, env) for n, *_ in OPTIONS if n not in ("api_key", "api_key_file")}
    lifecycle = values["lifecycle"]
    if values["write_timeout"] is None:
        values["write_timeout"] = 30.0 if lifecycle == "agentflow-1.11" else 0.0
    if values["warmup"] and lifecycle != "graceful":
        raise ConfigError("--warmup: only --lifecycle graceful has a warm-up (real AgentFlow opens its "
                          "port after init); use --slow-start instead")
    if values["pod_name"] is None:
        values["pod_name"] = socket.gethostname()
    values["api_keys"] = _api_keys(raw, env)
    return Config(**values)
