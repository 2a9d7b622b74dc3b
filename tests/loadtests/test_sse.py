"""The SSE parser, the chunked decoder and the per-framing classifiers, on any split of the byte stream.

Streams are generated for the three AgentFlow framings (success and error frames), with LF, CRLF or CR line
endings, comment lines (incl. ``: ts=`` stamps), multi-byte UTF-8 content, chunked transfer encoding with
random chunk sizes and extensions; then cut at random places. The parser's events are checked against an
independent whole-stream reference parser written from the WHATWG rules, so a parser bug cannot hide.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loadtests.http1 import ChunkedDecoder
from loadtests.sse import CLASSIFIERS, CONTENT, ERROR, TERMINATOR, SSEParser, SSEProtocolError

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


def _j(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def native_frames(tokens: list[str], error: bool) -> list[tuple[str | None, str]]:
    frames: list[tuple[str | None, str]] = [
        (None, _j({"id": "c1", "provider": "ref", "model": "m", "delta": {"content": t}})) for t in tokens
    ]
    if error:
        return [*frames, ("error", _j({"error": {"code": "UPSTREAM_ERROR", "message": "boom", "retryable": True},
                                       "request_id": "req-1"}))]
    usage = {"prompt_tokens": 3, "completion_tokens": len(tokens), "total_tokens": 3 + len(tokens)}
    last = _j({"id": "c1", "delta": {"content": ""}, "finish_reason": "stop", "usage": usage})
    return [*frames, (None, last), (None, "[DONE]")]


def agent_frames(tokens: list[str], error: bool) -> list[tuple[str | None, str]]:
    frames: list[tuple[str | None, str]] = [("session", _j({"execution_id": "e1", "current_stage": "init"})),
                                            ("status", _j({"status": "running"}))]
    frames += [("token", _j({"content": t, "current_stage": "responding"})) for t in tokens]
    if error:
        frames.append(("error", _j({"error": {"code": "INTERNAL_ERROR", "message": "x"}, "request_id": "r"})))
    return [*frames, (None, "[DONE]")]


def openai_frames(tokens: list[str], error: bool) -> list[tuple[str | None, str]]:
    def chunk(delta: dict, finish: str | None = None) -> str:
        return _j({"id": "c", "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": delta, "finish_reason": finish}]})

    frames: list[tuple[str | None, str]] = [(None, chunk({"content": t})) for t in tokens]
    if error:
        frames.append((None, _j({"error": {"message": "m", "type": "server_error", "code": "MODEL_OVERLOADED"}})))
    else:
        frames.append((None, chunk({}, "stop")))
    return [*frames, (None, "[DONE]")]


FRAMERS = {"native_chat": native_frames, "agent_run": agent_frames, "openai_chat": openai_frames}


def encode(frames: list[tuple[str | None, str]], eol: str, comments: list[int], multiline: bool) -> bytes:
    """SSE bytes for ``frames``; a comment line goes before frame i for each i in ``comments``."""
    out: list[str] = []
    for i, (name, data) in enumerate(frames):
        if i in comments:
            out.append(f": ts=1700000000.{i:06d}{eol}" if i % 2 else f": keep-alive {i}{eol}")
        if name is not None:
            out.append(f"event: {name}{eol}" if i % 3 else f"event:{name}{eol}")
        if multiline and data != "[DONE]":  # the same JSON over several data lines
            data = json.dumps(json.loads(data), ensure_ascii=False, indent=1)
        lines = data.split("\n")
        out.extend(f"data:{line}{eol}" if i % 2 and not line.startswith(" ") else f"data: {line}{eol}"
                   for line in lines)
        out.append(eol)
    return "".join(out).encode()


def reference_events(raw: bytes) -> list[tuple[bytes | None, bytes]]:
    """Whole-stream SSE parse straight from the WHATWG rules (independent of loadtests.sse)."""
    events, name, data = [], None, None
    lines = re.split(rb"\r\n|\r|\n", raw)
    for line in lines[:-1]:  # the last piece has no line end: never dispatched
        if line == b"":
            if data is not None:
                events.append((name, b"\n".join(data)))
            name, data = None, None
        elif line.startswith(b":"):
            continue
        else:
            field, _, value = line.partition(b":")
            value = value[1:] if value.startswith(b" ") else value
            if field == b"data":
                data = [*(data or []), value]
            elif field == b"event":
                name = value or None
    return events


def chunked(body: bytes, sizes: list[int], ext: bool, upper: bool) -> bytes:
    out, pos, i = [], 0, 0
    while pos < len(body):
        size = max(1, sizes[i % len(sizes)])
        piece = body[pos : pos + size]
        pos, i = pos + size, i + 1
        head = (f"{len(piece):X}" if upper else f"{len(piece):x}") + (";ext=1" if ext and i % 2 else "")
        out.append(head.encode() + b"\r\n" + piece + b"\r\n")
    trailer = b"X-Trailer: 1\r\n" if ext else b""
    return b"".join(out) + b"0\r\n" + trailer + b"\r\n"


def split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(raw) + 1) for c in cuts})
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]


def run(parts: list[bytes], endpoint: str, chunk: bool) -> tuple[list, str, bool]:
    """Feed ``parts`` through (chunked decoder +) parser + classifier like the client: events, outcome, done."""
    decoder, parser, classify = ChunkedDecoder(), SSEParser(), CLASSIFIERS[endpoint]
    events, outcome = [], "truncated"
    for part in parts:
        body = decoder.feed(part) if chunk else part
        events += parser.feed(body)
    events += parser.close()
    for name, data, _stamp in events:
        kind = classify(name, data)[0]
        if kind == TERMINATOR:
            outcome = "ok"
            break
        if kind == ERROR:
            outcome = "stream_error"
            break
    return [(n, d) for n, d, _s in events], outcome, decoder.done


STREAM = st.fixed_dictionaries({
    "endpoint": st.sampled_from(sorted(FRAMERS)),
    "tokens": st.lists(TEXT, min_size=0, max_size=6),
    "error": st.booleans(),
    "eol": st.sampled_from(["\n", "\r\n", "\r"]),
    "comments": st.lists(st.integers(0, 8), max_size=4),
    "multiline": st.booleans(),
})


@SETTINGS
@given(spec=STREAM, cuts=st.lists(st.integers(0, 10_000), max_size=12), sizes=st.lists(st.integers(1, 90),
       min_size=1, max_size=5), ext=st.booleans(), upper=st.booleans())
def test_any_split_gives_the_reference_events_and_outcome(spec, cuts, sizes, ext, upper) -> None:
    frames = FRAMERS[spec["endpoint"]](spec["tokens"], spec["error"])
    sse = encode(frames, spec["eol"], spec["comments"], spec["multiline"])
    expected = reference_events(sse)
    assert [(n, json.loads(d) if d != b"[DONE]" else d) for n, d in expected] == [
        (None if n is None else n.encode(), json.loads(d) if d != "[DONE]" else b"[DONE]") for n, d in frames]
    want = "stream_error" if spec["error"] else "ok"
    for chunk in (False, True):
        wire = chunked(sse, sizes, ext, upper) if chunk else sse
        events, outcome, done = run(split(wire, cuts), spec["endpoint"], chunk)
        assert events == expected
        assert outcome == want
        assert done is chunk


@SETTINGS
@given(spec=STREAM, cut=st.integers(0, 10_000), cuts=st.lists(st.integers(0, 10_000), max_size=6))
def test_a_stream_cut_before_its_terminator_is_truncated(spec, cut, cuts) -> None:
    frames = FRAMERS[spec["endpoint"]](spec["tokens"], spec["error"])
    sse = encode(frames, spec["eol"], spec["comments"], spec["multiline"])
    wire = chunked(sse, [len(sse)], False, False)  # one chunk: SSE byte k is at wire[len(head) + k]
    head = len(f"{len(sse):x}\r\n")
    # the final event is dispatched by the first character of its blank line: cut anywhere before it
    cut_at = cut % (head + len(sse) - len(spec["eol"]))
    _events, outcome, done = run(split(wire[:cut_at], cuts), spec["endpoint"], True)
    assert not done
    if outcome != "truncated":  # only an error frame may complete before the final frame
        assert outcome == "stream_error" and spec["error"]


def test_content_events_per_framing() -> None:
    for endpoint, framer in FRAMERS.items():
        frames = framer(["héllo", "wörld 🌍"], False)
        events, outcome, _ = run([encode(frames, "\n", [], False)], endpoint, False)
        kinds = [CLASSIFIERS[endpoint](n, d) for n, d in events]
        assert outcome == "ok"
        assert sum(k[0] == CONTENT for k in kinds) == 2, endpoint


def test_error_codes_and_usage_are_extracted() -> None:
    assert CLASSIFIERS["native_chat"](b"error", b'{"error":{"code":"RATE_LIMIT"}}') == (ERROR, "RATE_LIMIT", None)
    assert CLASSIFIERS["agent_run"](b"error", b'{"error":{"code":"INTERNAL_ERROR"}}')[1] == "INTERNAL_ERROR"
    assert CLASSIFIERS["openai_chat"](None, b'{"error":{"type":"server_error","code":null}}')[1] == "server_error"
    usage = b'{"delta":{"content":""},"usage":{"completion_tokens":7}}'
    assert CLASSIFIERS["native_chat"](None, usage) == (0, None, 7)
    assert CLASSIFIERS["openai_chat"](None, b'{"choices":[],"usage":{"completion_tokens":9}}')[2] == 9
    # whitespace around JSON and non-JSON data are tolerated, not content
    assert CLASSIFIERS["native_chat"](None, b' {"delta": {"content": "x"}} ')[0] == CONTENT
    assert CLASSIFIERS["native_chat"](None, b"not json")[0] == 0


def test_stamps_attach_to_the_next_event_only() -> None:
    parser = SSEParser()
    events = parser.feed(b": ts=12.5\ndata: a\n\ndata: b\n\n:ts=13\nevent: token\ndata: c\n\n")
    assert events == [(None, b"a", 12.5), (None, b"b", None), (b"token", b"c", 13.0)]


def test_lone_cr_at_end_of_stream_ends_the_line() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: [DONE]\r\r") == []  # the last CR may still be half of a CRLF
    assert parser.close() == [(None, b"[DONE]", None)]


def test_overlong_line_is_a_protocol_error() -> None:
    parser = SSEParser()
    with pytest.raises(SSEProtocolError):
        for _ in range(1100):
            parser.feed(b"x" * 1024)
