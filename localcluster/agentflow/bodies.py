"""Strict JSON request bodies, as AgentFlow decodes them (Go's DisallowUnknownFields, 1 MiB limit).

Each ``parse_*`` returns a small typed request or raises :class:`BadRequest` with the message AgentFlow
sends (``invalid JSON body`` for anything the decoder rejects, else the validation message)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["AgentRequest", "BadRequest", "ChatRequest", "parse_agent", "parse_chat", "parse_json"]

INVALID_JSON = "invalid JSON body"
_MESSAGE = frozenset({"role", "content", "name", "tool_calls", "tool_call_id", "images", "metadata",
                      "reasoning_content"})
_NATIVE = frozenset({"model", "messages", "max_tokens", "temperature", "top_p", "stop", "tools", "tool_choice",
                     "provider", "route_policy", "metadata", "tags", "user_id", "trace_id", "timeout",
                     "frequency_penalty", "presence_penalty", "response_format", "reasoning_mode",
                     "parallel_tool_calls", "seed"})
_OPENAI = frozenset({"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
                     "temperature", "top_p", "n", "stop", "tools", "tool_choice", "user", "presence_penalty",
                     "frequency_penalty", "logprobs", "top_logprobs", "response_format", "seed",
                     "parallel_tool_calls", "metadata", "logit_bias", "service_tier", "store",
                     "reasoning_effort"})
_RESPONSES = frozenset({"model", "input", "instructions", "stream", "max_output_tokens", "temperature", "top_p",
                        "tools", "tool_choice", "metadata", "previous_response_id", "store", "user",
                        "reasoning", "text", "parallel_tool_calls", "truncation", "include"})
_ANTHROPIC = frozenset({"model", "messages", "system", "max_tokens", "stream", "temperature", "top_p", "top_k",
                        "stop_sequences", "tools", "tool_choice", "metadata", "thinking"})
_AGENT = frozenset({"agent_id", "content", "mode", "metadata", "context", "variables", "session_id"})
FIELDS = {"native_chat": _NATIVE, "openai_chat": _OPENAI, "openai_responses": _RESPONSES,
          "anthropic_messages": _ANTHROPIC}
AGENT_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$")


class BadRequest(ValueError):
    """400 INVALID_REQUEST with this message."""


@dataclass(frozen=True)
class ChatRequest:
    model: str
    max_tokens: int | None
    stream: bool
    prompt_chars: int
    include_usage: bool = False
    output_hint: int | None = None  # reference-only: metadata.afsuite_output_tokens (see _output_hint)


@dataclass(frozen=True)
class AgentRequest:
    agent_id: str
    content: str
    run_seconds: float | None = None  # reference-only: metadata.afsuite_run_seconds (see _run_hints)
    iterations: int | None = None  # reference-only: metadata.afsuite_iterations


def parse_json(body: bytes | bytearray, too_large: bool) -> dict[str, Any]:
    if too_large or not body:
        raise BadRequest(INVALID_JSON)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(INVALID_JSON) from None
    if not isinstance(data, dict):
        raise BadRequest(INVALID_JSON)
    return data


def _only(data: dict[str, Any], allowed: frozenset[str]) -> None:
    if not allowed.issuperset(data):
        raise BadRequest(INVALID_JSON)


def _int(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(INVALID_JSON)
    if value < 0:
        raise BadRequest(f"{name} must be non-negative")
    return value


def _str(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise BadRequest(INVALID_JSON)
    return value


def _messages(data: dict[str, Any], key: str = "messages") -> int:
    messages = data.get(key)
    if messages is None or messages == []:
        raise BadRequest(f"{key} is required")
    if not isinstance(messages, list):
        raise BadRequest(INVALID_JSON)
    chars = 0
    for msg in messages:
        if not isinstance(msg, dict):
            raise BadRequest(INVALID_JSON)
        _only(msg, _MESSAGE)
        role, content = msg.get("role"), msg.get("content")
        if not isinstance(role, str) or not role:
            raise BadRequest("message role is required")
        if isinstance(content, str):
            chars += len(content)
        elif content is not None and not isinstance(content, list):
            raise BadRequest(INVALID_JSON)
    return chars


def parse_chat(kind: str, data: dict[str, Any]) -> ChatRequest:
    """Validate a chat-style body for ``kind`` (native_chat, openai_chat, openai_responses, ...)."""
    _only(data, FIELDS[kind])
    model = _str(data, "model")
    if not model:
        raise BadRequest("model is required")
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest(INVALID_JSON)
    if kind == "openai_responses":
        prompt = data.get("input")
        if prompt in (None, "", []):
            raise BadRequest("input is required")
        chars = len(json.dumps(prompt))
        max_tokens = _int(data, "max_output_tokens")
    else:
        chars = _messages(data)
        max_tokens = _int(data, "max_tokens")
        if kind == "openai_chat":
            max_tokens = _int(data, "max_completion_tokens") or max_tokens
    if kind == "anthropic_messages" and not max_tokens:
        raise BadRequest("max_tokens is required")
    options = data.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    return ChatRequest(model=model, max_tokens=max_tokens or None, stream=stream, prompt_chars=chars,
                       include_usage=include_usage, output_hint=_output_hint(data))


def _output_hint(data: dict[str, Any]) -> int | None:
    """`metadata.afsuite_output_tokens`: how many tokens the suite wants (for long-stream shutdown tests).

    Real AgentFlow treats metadata as free-form and ignores it (its model decides the length), so a request
    carrying the hint is valid for both; only the reference server honours it, capped by max_tokens."""
    meta = data.get("metadata")
    value = meta.get("afsuite_output_tokens") if isinstance(meta, dict) else None
    try:
        hint = int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
    return hint if hint and hint > 0 else None


def parse_agent(data: dict[str, Any]) -> AgentRequest:
    _only(data, _AGENT)
    agent_id, content = _str(data, "agent_id"), _str(data, "content")
    if not agent_id or not content:
        raise BadRequest("agent_id and content are required")
    if not AGENT_ID.match(agent_id):
        raise BadRequest("invalid agent ID format")
    run_seconds, iterations = _run_hints(data)
    return AgentRequest(agent_id=agent_id, content=content, run_seconds=run_seconds, iterations=iterations)


def _run_hints(data: dict[str, Any]) -> tuple[float | None, int | None]:
    """`metadata.afsuite_run_seconds` / `metadata.afsuite_iterations`: the agent run the suite wants (length in
    seconds, iterations). Free-form metadata to real AgentFlow, so the request stays valid for both; values
    that are not positive numbers are ignored, as real AgentFlow would ignore them."""
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        return None, None
    seconds, iterations = meta.get("afsuite_run_seconds"), meta.get("afsuite_iterations")
    run_s = float(seconds) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else None
    run_n = int(iterations) if isinstance(iterations, int) and not isinstance(iterations, bool) else None
    return (run_s if run_s is not None and 0 < run_s < 86400 else None), (run_n if run_n and run_n > 0 else None)
