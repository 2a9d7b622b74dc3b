"""SSE framings of AgentFlow's stream endpoints, built from byte templates (no JSON encoding per token).

- native chat: ``data: {chunk}`` ... ``data: [DONE]``; error: ``event: error`` + envelope, NO ``[DONE]``.
- agent run: ``event: session``, ``event: status``, [``reasoning``, ``tool_call``/``tool_result``],
  ``event: token`` ... ``data: [DONE]``; error: ``event: error`` + envelope THEN ``data: [DONE]``.
- OpenAI chat: ``data: {chat.completion.chunk}`` ... ``data: [DONE]``; error: ``data: {"error":..}`` + [DONE].
- OpenAI responses: named ``response.*`` events, then ``data: [DONE]``.
- Anthropic messages: ``message_start`` ... ``message_stop`` (no ``[DONE]``); error: ``event: error``.
"""

from __future__ import annotations

import json
import os
import time

from .envelopes import dumps, sse_error_payload

__all__ = ["FRAMERS", "VOCAB", "Framer"]

DONE = b"data: [DONE]\n\n"
_WORDS = (
    "the agent reads the request and plans a short answer with care so that every step stays "
    "observable under load while the gateway streams tokens to many clients at once and the "
    "cluster scales pods up and down as traffic grows or shrinks during the experiment"
)
VOCAB = tuple(" " + w for w in _WORDS.split())
VOCAB_JSON = tuple(json.dumps(w).encode() for w in VOCAB)


_MODEL_JSON: dict[str, str] = {}


def _hex(n: int = 12) -> str:
    return os.urandom(n).hex()


def _model_json(model: str) -> str:
    text = _MODEL_JSON.get(model)
    if text is None:
        text = json.dumps(model)
        if len(_MODEL_JSON) < 1000:
            _MODEL_JSON[model] = text
    return text


class Framer:
    """Base framing; subclasses fill the templates. ``eager`` framers send headers before the first token."""

    eager = False
    done_after_error = True

    def __init__(self, model: str, request_id: str, prompt_tokens: int) -> None:
        self.model = model
        self.request_id = request_id
        self.prompt_tokens = prompt_tokens
        self.id = "chatcmpl-" + _hex()
        mj = _model_json(model)
        self.pre_first = b""
        self.first_pre = b""
        self.pre = b""
        self.post = b""
        self.setup(mj)

    def setup(self, model_json: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def open(self) -> list[bytes]:
        return []

    def first(self, tok: bytes) -> list[bytes]:
        return [self.first_pre + tok + self.post]

    def token(self, tok: bytes) -> bytes:
        return self.pre + tok + self.post

    def finish(self, n: int) -> list[bytes]:
        return [DONE]

    def error(self, code: str, message: str) -> list[bytes]:
        frame = b"event: error\ndata: " + sse_error_payload(code, message, self.request_id) + b"\n\n"
        return [frame, DONE] if self.done_after_error else [frame]

    def usage(self, n: int) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": n,
                "total_tokens": self.prompt_tokens + n}

    def usage_json(self, n: int) -> str:
        p = self.prompt_tokens
        return f'{{"prompt_tokens":{p},"completion_tokens":{n},"total_tokens":{p + n}}}'


class NativeFramer(Framer):
    done_after_error = False

    def setup(self, model_json: str) -> None:
        head = f'data: {{"id":"{self.id}","provider":"reference","model":{model_json},"delta":'
        self.head = head
        self.first_pre = (head + '{"role":"assistant","content":').encode()
        self.pre = (head + '{"content":').encode()
        self.post = b"}}\n\n"

    def finish(self, n: int) -> list[bytes]:
        last = f'{self.head}{{"content":""}},"finish_reason":"stop","usage":{self.usage_json(n)}}}\n\n'
        return [last.encode(), DONE]


class OpenAIFramer(Framer):
    include_usage = False

    def setup(self, model_json: str) -> None:
        head = (f'data: {{"id":"{self.id}","object":"chat.completion.chunk","created":{int(time.time())},'
                f'"model":{model_json},"choices":[{{"index":0,"delta":')
        self.head = head
        self.first_pre = (head + '{"role":"assistant","content":').encode()
        self.pre = (head + '{"content":').encode()
        self.post = b'},"finish_reason":null}]}\n\n'

    def finish(self, n: int) -> list[bytes]:
        tail = f',"usage":{self.usage_json(n)}' if self.include_usage else ""
        return [f'{self.head}{{}},"finish_reason":"stop"}}]{tail}}}\n\n'.encode(), DONE]

    def error(self, code: str, message: str) -> list[bytes]:
        body = dumps({"error": {"message": message, "type": "server_error", "code": code}})
        return [b"data: " + body + b"\n\n", DONE]


class AgentFramer(Framer):
    eager = True

    def __init__(self, model: str, request_id: str, prompt_tokens: int, agent_id: str = "agent") -> None:
        self.agent_id = agent_id
        self.execution_id = "exec-" + _hex(8)
        self.iteration = 1
        super().__init__(model, request_id, prompt_tokens)

    def setup(self, model_json: str) -> None:
        self.first_pre = self.pre = b'event: token\ndata: {"content":'
        self._iter_suffix()

    def _iter_suffix(self) -> None:
        self.post = (f',"current_stage":"responding","iteration_count":{self.iteration},'
                     f'"execution_id":"{self.execution_id}"}}\n\n').encode()

    def _event(self, name: str, payload: dict[str, object], stage: str) -> bytes:
        payload.update(current_stage=stage, iteration_count=self.iteration, execution_id=self.execution_id)
        return f"event: {name}\ndata: ".encode() + dumps(payload) + b"\n\n"

    def open(self) -> list[bytes]:
        session = self._event("session", {"execution_id": self.execution_id, "agent_id": self.agent_id,
                                          "request_id": self.request_id}, "init")
        status = self._event("status", {"status": "running", "message": "agent execution started"}, "planning")
        return [session, status]

    def status_frame(self, message: str) -> bytes:
        """A ``status`` event as AgentFlow sends at each new iteration of the agent loop."""
        return self._event("status", {"status": "running", "message": message}, "planning")

    def reasoning(self) -> bytes:
        return self._event("reasoning", {"content": "Working out how to answer the request."}, "reasoning")

    def tool_call(self, call_id: str) -> bytes:
        args = json.dumps({"query": "reference lookup"})
        return self._event("tool_call", {"id": call_id, "name": "web_search", "arguments": args}, "acting")

    def tool_result(self, call_id: str, seconds: float) -> bytes:
        frame = self._event("tool_result", {"tool_call_id": call_id, "name": "web_search",
                                            "result": "3 documents found", "error": "",
                                            "duration": f"{seconds * 1000:.0f}ms"}, "observing")
        self.iteration += 1
        self._iter_suffix()
        return frame


class ResponsesFramer(Framer):
    def setup(self, model_json: str) -> None:
        self.id = "resp_" + _hex()
        self.model_json = model_json
        self.pre = self.first_pre = (b'event: response.output_text.delta\ndata: {"type":"response.output_text.'
                                     b'delta","item_id":"msg_0","output_index":0,"content_index":0,"delta":')
        self.post = b"}\n\n"

    def _resp(self, status: str) -> str:
        return f'{{"id":"{self.id}","object":"response","model":{self.model_json},"status":"{status}"}}'

    def first(self, tok: bytes) -> list[bytes]:
        created = (f'event: response.created\ndata: {{"type":"response.created","response":'
                   f'{self._resp("in_progress")}}}\n\n')
        return [created.encode(), self.pre + tok + self.post]

    def finish(self, n: int) -> list[bytes]:
        done = b'event: response.output_text.done\ndata: {"type":"response.output_text.done","item_id":"msg_0"}\n\n'
        completed = (f'event: response.completed\ndata: {{"type":"response.completed","response":'
                     f'{self._resp("completed")}}}\n\n').encode()
        return [done, completed, DONE]

    def error(self, code: str, message: str) -> list[bytes]:
        body = dumps({"type": "error", "code": code, "message": message})
        return [b"event: error\ndata: " + body + b"\n\n", DONE]


class MessagesFramer(Framer):
    done_after_error = False

    def setup(self, model_json: str) -> None:
        self.id = "msg_" + _hex()
        self.model_json = model_json
        self.pre = self.first_pre = (b'event: content_block_delta\ndata: {"type":"content_block_delta",'
                                     b'"index":0,"delta":{"type":"text_delta","text":')
        self.post = b"}}\n\n"

    def first(self, tok: bytes) -> list[bytes]:
        start = (f'event: message_start\ndata: {{"type":"message_start","message":{{"id":"{self.id}",'
                 f'"type":"message","role":"assistant","model":{self.model_json},"content":[],'
                 f'"stop_reason":null,"usage":{{"input_tokens":{self.prompt_tokens},"output_tokens":0}}}}}}\n\n')
        block = (b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
                 b'"content_block":{"type":"text","text":""}}\n\n')
        return [start.encode(), block, self.pre + tok + self.post]

    def finish(self, n: int) -> list[bytes]:
        stop = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
        delta = (f'event: message_delta\ndata: {{"type":"message_delta","delta":{{"stop_reason":"end_turn",'
                 f'"stop_sequence":null}},"usage":{{"output_tokens":{n}}}}}\n\n').encode()
        return [stop, delta, b'event: message_stop\ndata: {"type":"message_stop"}\n\n']

    def error(self, code: str, message: str) -> list[bytes]:
        body = dumps({"type": "error", "error": {"type": "api_error", "message": message, "code": code}})
        return [b"event: error\ndata: " + body + b"\n\n"]


FRAMERS: dict[str, type[Framer]] = {"native_chat": NativeFramer, "agent_run": AgentFramer,
                                    "openai_chat": OpenAIFramer, "openai_responses": ResponsesFramer,
                                    "anthropic_messages": MessagesFramer}
