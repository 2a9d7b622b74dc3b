"""Handlers of the generation routes: native chat (stream and JSON), agent run, OpenAI chat/responses and
Anthropic messages. Each validates its body, applies the fault knobs and the per-agent lock, then starts a
:class:`~.generation.Job` (streams) or answers with JSON when the job completes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .agentloop import AgentJob, plan_run
from .bodies import BadRequest, ChatRequest, parse_agent, parse_chat, parse_json
from .envelopes import dumps, error_body, openai_error_body, rfc3339, status_for, success_body
from .framing import FRAMERS, AgentFramer, Framer
from .generation import Job

if TYPE_CHECKING:
    from .config import Config
    from .generation import Simulator
    from .httpconn import HttpConnection, Request

__all__ = ["Agent", "GenerationRoutes"]

JSON_TYPE = "application/json; charset=utf-8"


class Agent:
    """A cached agent instance: one run at a time; ``blob`` is the memory it keeps forever."""

    __slots__ = ("blob", "busy")

    def __init__(self, kib: float) -> None:
        self.busy = False
        self.blob = bytearray(int(kib * 1024))

    def free(self) -> None:
        self.busy = False


def _content_type_ok(req: Request) -> bool:
    value = req.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower() == "application/json"


class GenerationRoutes:
    """The generation routes (chat, agent) of the API app; they need its config and simulator only."""

    def __init__(self, cfg: Config, sim: Simulator) -> None:
        self.sim = sim
        self.cfg = cfg
        self.agents: dict[str, Agent] = {}

    # -- errors ---------------------------------------------------------------------------------------
    def fail(self, conn: HttpConnection, req: Request, kind: str, code: str, message: str) -> None:
        status = status_for(code)
        if kind in ("openai_chat", "openai_responses"):
            body = openai_error_body(code, message, status)
        elif kind == "anthropic_messages":
            kind_name = "invalid_request_error" if status == 400 else "api_error"
            body = dumps({"type": "error", "error": {"type": kind_name, "message": message}}) + b"\n"
        else:
            body = error_body(code, message, req.request_id)
        conn.respond(status, body, JSON_TYPE)

    # -- chat-like routes -----------------------------------------------------------------------------
    def native_stream(self, conn: HttpConnection, req: Request) -> None:
        self._chat(conn, req, "native_chat", stream=True)

    def native_json(self, conn: HttpConnection, req: Request) -> None:
        self._chat(conn, req, "native_chat", stream=False)

    def openai_chat(self, conn: HttpConnection, req: Request) -> None:
        self._chat(conn, req, "openai_chat", stream=None)

    def openai_responses(self, conn: HttpConnection, req: Request) -> None:
        self._chat(conn, req, "openai_responses", stream=None)

    def anthropic_messages(self, conn: HttpConnection, req: Request) -> None:
        self._chat(conn, req, "anthropic_messages", stream=None)

    def _chat(self, conn: HttpConnection, req: Request, kind: str, stream: bool | None) -> None:
        if not _content_type_ok(req):
            self.fail(conn, req, kind, "INVALID_REQUEST", "Content-Type must be application/json")
            return
        try:
            body = parse_chat(kind, parse_json(req.body, req.too_large))
        except BadRequest as exc:
            self.fail(conn, req, kind, "INVALID_REQUEST", str(exc))
            return
        if self.sim.chance(self.cfg.error_rate):
            self.fail(conn, req, kind, self.cfg.error_code, "simulated provider failure")
            return
        framer = FRAMERS[kind](body.model, req.request_id, max(1, body.prompt_chars // 4))
        framer.include_usage = body.include_usage  # type: ignore[attr-defined]
        is_stream = body.stream if stream is None else stream
        n = self.sim.output_tokens(body.max_tokens, body.output_hint)

        def complete(text: str, count: int) -> None:
            conn.respond(200, self._chat_json(kind, req, framer, body, text, count), JSON_TYPE)

        job = Job(self.sim, conn, req, framer, n, stream=is_stream, on_complete=complete)
        if not job.begin():
            self.fail(conn, req, kind, "MODEL_OVERLOADED", "model capacity exhausted, retry later")

    def _chat_json(self, kind: str, req: Request, framer: Framer, body: ChatRequest, text: str,
                   n: int) -> bytes:
        usage = framer.usage(n)
        if kind == "native_chat":
            data = {"id": framer.id, "provider": "reference", "model": body.model,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": usage, "created_at": rfc3339()}
            return success_body(data, req.request_id)
        if kind == "openai_chat":
            obj: dict[str, Any] = {
                "id": framer.id, "object": "chat.completion", "created": int(time.time()), "model": body.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop"}], "usage": usage}
        elif kind == "openai_responses":
            obj = {"id": framer.id, "object": "response", "created_at": int(time.time()), "model": body.model,
                   "status": "completed", "output": [{"type": "message", "id": "msg_0", "role": "assistant",
                                                      "content": [{"type": "output_text", "text": text}]}],
                   "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": n,
                             "total_tokens": usage["total_tokens"]}}
        else:
            obj = {"id": framer.id, "type": "message", "role": "assistant", "model": body.model,
                   "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                   "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": n}}
        return dumps(obj) + b"\n"

    # -- agent runs -----------------------------------------------------------------------------------
    def agent_stream(self, conn: HttpConnection, req: Request) -> None:
        self._agent(conn, req, stream=True)

    def agent_json(self, conn: HttpConnection, req: Request) -> None:
        self._agent(conn, req, stream=False)

    def _agent(self, conn: HttpConnection, req: Request, stream: bool) -> None:
        if not _content_type_ok(req):
            self.fail(conn, req, "agent_run", "INVALID_REQUEST", "Content-Type must be application/json")
            return
        try:
            body = parse_agent(parse_json(req.body, req.too_large))
        except BadRequest as exc:
            self.fail(conn, req, "agent_run", "INVALID_REQUEST", str(exc))
            return
        agent = self.agents.get(body.agent_id)
        if agent is None:
            agent = self.agents[body.agent_id] = Agent(self.cfg.memory_per_agent_kb)
        if agent.busy:
            self.fail(conn, req, "agent_run", "INTERNAL_ERROR", "agent operation failed")
            return
        if self.sim.chance(self.cfg.error_rate):
            self.fail(conn, req, "agent_run", self.cfg.error_code, "simulated provider failure")
            return
        agent.busy = True
        framer = AgentFramer(self.cfg.model, req.request_id, max(1, len(body.content) // 4), body.agent_id)
        started = time.monotonic()

        def complete(text: str, count: int) -> None:
            data = {"trace_id": req.request_id, "content": text, "tokens_used": count,
                    "duration": f"{time.monotonic() - started:.3f}s", "finish_reason": "stop"}
            conn.respond(200, success_body(data, req.request_id), JSON_TYPE)

        def timed_out(message: str) -> None:
            self.fail(conn, req, "agent_run", "TIMEOUT", message)

        plan = plan_run(self.sim, body.run_seconds, body.iterations)
        if plan is None:
            job: Job = Job(self.sim, conn, req, framer, self.sim.output_tokens(None), stream=stream,
                           on_complete=complete, on_release=agent.free)
        else:
            job = AgentJob(self.sim, conn, req, framer, plan, stream=stream, on_complete=complete,
                           on_release=agent.free, on_timeout=timed_out)
        if not job.begin():
            self.fail(conn, req, "agent_run", "MODEL_OVERLOADED", "model capacity exhausted, retry later")
