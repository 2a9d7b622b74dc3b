"""Request bodies for AgentFlow's three stream endpoints, with realistic prompt sizes and agent ids.

A :class:`BodyConfig` holds small distribution specs, each one of::

    {"dist": "const", "value": 64}
    {"dist": "uniform", "low": 32, "high": 128}
    {"dist": "lognormal", "median": 400, "sigma": 0.8, "min": 1, "max": 8000}

(``min``/``max`` are optional clamps for every kind; a lognormal may give ``p99`` instead of ``sigma``, e.g.
``{"dist": "lognormal", "median": 20, "p99": 150}`` for agent runs of median 20 s and p99 150 s). They are
validated when the config is built; an error names the field. :func:`make_request` draws one request for an
endpoint. Prompts are made of English words (never one repeated character), so servers that count tokens or
compress see plausible text.

Agent ids: AgentFlow rejects a second concurrent run on one agent id (HTTP 500) and keeps every new id in
memory forever, so :class:`AgentPool` hands out ids from a fixed pool of ``agent_pool`` ids, never one that
is in use in this process. When every id of the pool is busy it creates a NEW id (``<prefix>-x<n>``) rather
than waiting, so the caller never blocks and never reuses a busy id; the pool then grows by that id (reused
later like the others) and ``overflow`` counts how often that happened, so a run can report it. Size the
pool at least as large as the number of concurrent agent streams per process to keep the id set fixed.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any, Protocol


class Conversation(Protocol):
    """What a chat request needs of a multi-turn session (loadtests.sessions.ChatSession)."""

    def next_messages(self, content: str) -> list[dict[str, str]]: ...

PATHS = {
    "native_chat": "/api/v1/chat/completions/stream",
    "agent_run": "/api/v1/agents/execute/stream",
    "openai_chat": "/v1/chat/completions",
}

_WORDS = (  # noqa: SIM905
    "the service agent request stream token latency cluster node pod replica scale budget deploy rollout "
    "model prompt answer summary report metric alert error retry queue worker cache memory network zone "
    "review incident customer order invoice payment account ticket policy update status please explain "
    "compare list describe why how what when which should could would analyse plan step result data "
    "table chart value trend weekly daily monthly growth drop spike recover stable region capacity limit"
).split()


Z99 = 2.3263478740408408  # the standard normal's 99th percentile: lognormal sigma = ln(p99 / median) / Z99


class ConfigError(ValueError):
    """A body configuration value is invalid; the message names the field."""


def _num(spec: dict[str, Any], key: str, where: str) -> float:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
    return float(value)


def validate_dist(spec: object, where: str) -> dict[str, Any]:
    """Check a distribution spec; return it (a lognormal's ``p99`` turned into ``sigma``). ``where`` names the
    field in errors."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a mapping like {{'dist': 'const', 'value': 64}}, got {spec!r}")
    kind = spec.get("dist")
    allowed = {"const": {"value"}, "uniform": {"low", "high"}, "lognormal": {"median", "sigma"}}
    if kind not in allowed:
        raise ConfigError(f"{where}.dist: expected one of {sorted(allowed)}, got {kind!r}")
    if kind == "lognormal" and "p99" in spec and "sigma" not in spec:
        median, p99 = _num(spec, "median", where), _num(spec, "p99", where)
        if not 0 < median < p99:
            raise ConfigError(f"{where}: lognormal needs 0 < median < p99, got median {median}, p99 {p99}")
        spec = {**spec, "sigma": math.log(p99 / median) / Z99}
        del spec["p99"]
    unknown = set(spec) - allowed[kind] - {"dist", "min", "max"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)} for dist {kind!r}")
    for key in sorted(allowed[kind]):
        _num(spec, key, where)
    for key in ("min", "max"):
        if key in spec:
            _num(spec, key, where)
    if kind == "uniform" and spec["low"] > spec["high"]:
        raise ConfigError(f"{where}: low {spec['low']} is greater than high {spec['high']}")
    if kind == "lognormal" and (spec["median"] <= 0 or spec["sigma"] < 0):
        raise ConfigError(f"{where}: lognormal needs median > 0 and sigma >= 0")
    if "min" in spec and "max" in spec and spec["min"] > spec["max"]:
        raise ConfigError(f"{where}: min {spec['min']} is greater than max {spec['max']}")
    return spec


def draw(spec: dict[str, Any], rng: random.Random) -> int:
    """One positive integer from a validated spec (rounded, clamped to min/max, at least 1)."""
    return max(1, round(draw_float(spec, rng)))


def draw_float(spec: dict[str, Any], rng: random.Random) -> float:
    """One number from a validated spec, clamped to min/max (default min 1)."""
    kind = spec["dist"]
    if kind == "const":
        value = float(spec["value"])
    elif kind == "uniform":
        value = rng.uniform(spec["low"], spec["high"])
    else:
        value = rng.lognormvariate(math.log(spec["median"]), spec["sigma"])
    return float(min(max(value, spec.get("min", 1)), spec.get("max", value)))


@dataclass
class BodyConfig:
    """What the generated requests look like. Distributions are specs as in the module docstring."""

    model: str = "gpt-4o-mini"
    prompt_chars: dict[str, Any] = field(
        default_factory=lambda: {"dist": "lognormal", "median": 400, "sigma": 0.8, "min": 1, "max": 8000}
    )
    max_tokens: dict[str, Any] = field(default_factory=lambda: {"dist": "uniform", "low": 32, "high": 128})
    agent_pool: int = 64
    agent_prefix: str = "loadtest-agent"
    forwarded_for: int = 0
    """Spread requests over this many simulated client IPs via ``X-Forwarded-For`` (0 = do not send it)."""
    agent_run_seconds: dict[str, Any] | None = None
    """Agent runs: the run length (s) to ask for, sent as ``metadata.afsuite_run_seconds`` (docs/agentflow.md)
    and recorded as ``expected_s``; None = let the server decide (short single-turn runs)."""
    agent_iterations: dict[str, Any] | None = None
    """Agent runs: iterations to ask for (``metadata.afsuite_iterations``); None = one per ~10 s of run."""
    chat_turns: dict[str, Any] | None = None
    """Chat endpoints: turns per multi-turn session, each carrying the conversation (loadtests.sessions)."""

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ConfigError(f"model: expected a non-empty string, got {self.model!r}")
        self.prompt_chars = validate_dist(self.prompt_chars, "prompt_chars")
        self.max_tokens = validate_dist(self.max_tokens, "max_tokens")
        for name in ("agent_run_seconds", "agent_iterations", "chat_turns"):
            if getattr(self, name) is not None:
                setattr(self, name, validate_dist(getattr(self, name), name))
        for name, low in (("agent_pool", 1), ("forwarded_for", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name}: expected an integer >= {low}, got {value!r}")
        if not isinstance(self.agent_prefix, str) or not self.agent_prefix:
            raise ConfigError(f"agent_prefix: expected a non-empty string, got {self.agent_prefix!r}")


class AgentPool:
    """Agent ids never used by two streams of this process at once (see the module docstring)."""

    def __init__(self, size: int, prefix: str = "loadtest-agent") -> None:
        if size < 1:
            raise ConfigError(f"agent_pool: expected an integer >= 1, got {size!r}")
        self._prefix = prefix
        self._free = [f"{prefix}-{i:04d}" for i in range(size)]
        self._busy: set[str] = set()
        self.overflow = 0

    def acquire(self, rng: random.Random | None = None) -> str:
        """A free id (random among the free ones if ``rng`` is given); a new id when all are busy."""
        if self._free:
            index = rng.randrange(len(self._free)) if rng is not None else len(self._free) - 1
            self._free[index], self._free[-1] = self._free[-1], self._free[index]
            agent_id = self._free.pop()
        else:
            self.overflow += 1
            agent_id = f"{self._prefix}-x{self.overflow:04d}"
        self._busy.add(agent_id)
        return agent_id

    def release(self, agent_id: str) -> None:
        """Give an id back; releasing an id that is not in use raises ``KeyError``."""
        self._busy.remove(agent_id)
        self._free.append(agent_id)

    @property
    def busy(self) -> int:
        """Ids in use right now."""
        return len(self._busy)


@dataclass(slots=True)
class StreamRequest:
    """One request ready to send; ``body`` is the exact JSON bytes."""

    endpoint: str
    path: str
    body: bytes
    headers: dict[str, str]
    agent_id: str | None
    prompt_chars: int
    max_tokens: int | None
    expected_s: float | None = None


_CORPUS: list[str] = []
_CORPUS_CHARS = 32 * 1024


def _corpus() -> str:
    """32 KiB of words in a fixed pseudo-random order, built once per process (prompts are slices of it)."""
    if not _CORPUS:
        rng = random.Random(20240601)
        _CORPUS.append(" ".join(rng.choice(_WORDS) for _ in range(_CORPUS_CHARS // 5))[:_CORPUS_CHARS])
    return _CORPUS[0]


def prompt_text(chars: int, rng: random.Random) -> str:
    """Words joined by spaces, exactly ``chars`` characters long, ending with a question mark.

    A slice of a fixed word corpus starting at a random word (a few microseconds, whatever the length).
    """
    if chars <= 1:
        return "?"[:chars]
    corpus = _corpus()
    start = corpus.find(" ", rng.randrange(_CORPUS_CHARS // 2)) + 1
    text = corpus[start : start + chars - 1]
    while len(text) < chars - 1:  # longer than the corpus: wrap around
        text += " " + corpus[: chars - 2 - len(text)]
    return text + "?"


def make_request(endpoint: str, cfg: BodyConfig, rng: random.Random, agents: AgentPool,
                 session: Conversation | None = None) -> StreamRequest:
    """Draw one request for ``endpoint``. For ``agent_run`` the caller must ``agents.release`` the id. With a
    ``session``, a chat request carries the session's conversation (its prompt_chars count all of it)."""
    if endpoint not in PATHS:
        raise ConfigError(f"endpoint: expected one of {sorted(PATHS)}, got {endpoint!r}")
    chars = draw(cfg.prompt_chars, rng)
    content = prompt_text(chars, rng)
    headers: dict[str, str] = {}
    if cfg.forwarded_for:
        n = rng.randrange(cfg.forwarded_for)
        headers["X-Forwarded-For"] = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    agent_id = None
    max_tokens: int | None = None
    expected: float | None = None
    if endpoint == "agent_run":
        agent_id = agents.acquire(rng)
        payload: dict[str, Any] = {"agent_id": agent_id, "content": content}
        meta: dict[str, Any] = {}
        if cfg.agent_run_seconds is not None:
            expected = round(draw_float(cfg.agent_run_seconds, rng), 3)
            meta["afsuite_run_seconds"] = expected
        if cfg.agent_iterations is not None:
            meta["afsuite_iterations"] = draw(cfg.agent_iterations, rng)
        if meta:
            payload["metadata"] = meta
    else:
        max_tokens = draw(cfg.max_tokens, rng)
        messages = [{"role": "user", "content": content}] if session is None else session.next_messages(content)
        chars = sum(len(m["content"]) for m in messages)
        payload = {"model": cfg.model, "messages": messages, "max_tokens": max_tokens}
        if endpoint == "openai_chat":
            payload["stream"] = True
    body = json.dumps(payload, separators=(",", ":")).encode()
    return StreamRequest(endpoint, PATHS[endpoint], body, headers, agent_id, chars, max_tokens, expected)
