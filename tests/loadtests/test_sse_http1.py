"""HTTP/1.1 response head parsing and body framings (loadtests.http1), on any split of the bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtests.http1 import (
    ChunkedDecoder,
    CloseDecoder,
    HTTPProtocolError,
    LengthDecoder,
    body_decoder,
    parse_head,
)

HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-AgentFlow-Pod: pod-a\r\n"
        b"X-Request-ID: req-1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nTransfer-Encoding: chunked\r\n\r\n")


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(0, len(HEAD) + 10), body=st.binary(max_size=20))
def test_head_is_found_only_when_complete(cut, body) -> None:
    raw = HEAD + body
    parsed = parse_head(raw[:cut])
    if cut < len(HEAD):
        assert parsed is None
    else:
        assert parsed is not None
        head, offset = parsed
        assert (head.status, head.version, offset) == (200, "HTTP/1.1", len(HEAD))
        assert head.headers["x-agentflow-pod"] == "pod-a"
        assert head.headers["set-cookie"] == "a=1, b=2"
        assert isinstance(body_decoder(head), ChunkedDecoder)


def test_interim_responses_are_skipped_and_lf_only_heads_parse() -> None:
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nContent-Length: 5\r\n\r\nhello"
    head, offset = parse_head(raw) or (None, 0)
    assert head is not None and head.status == 429 and raw[offset:] == b"hello"
    head2, _ = parse_head(b"HTTP/1.0 200 OK\nConnection: keep-alive\n\n") or (None, 0)
    assert head2 is not None and head2.keep_alive


@pytest.mark.parametrize(("raw", "keep"), [
    (b"HTTP/1.1 200 OK\r\n\r\n", True),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", False),
    (b"HTTP/1.0 200 OK\r\n\r\n", False),
])
def test_keep_alive(raw, keep) -> None:
    parsed = parse_head(raw)
    assert parsed is not None and parsed[0].keep_alive is keep


@pytest.mark.parametrize("raw", [b"SPDY/3 200 OK\r\n\r\n", b"HTTP/1.1 abc OK\r\n\r\n",
                                 b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"])
def test_malformed_heads_raise(raw) -> None:
    with pytest.raises(HTTPProtocolError):
        parse_head(raw)


def test_body_framing_choice() -> None:
    def decoder(extra: bytes, status: int = 200) -> object:
        parsed = parse_head(b"HTTP/1.1 %d X\r\n%s\r\n" % (status, extra))
        assert parsed is not None
        return body_decoder(parsed[0])

    assert isinstance(decoder(b"Transfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n"), ChunkedDecoder)
    assert isinstance(decoder(b"Content-Length: 3\r\n"), LengthDecoder)
    assert isinstance(decoder(b""), CloseDecoder)
    assert decoder(b"", 204).done  # type: ignore[attr-defined]
    with pytest.raises(HTTPProtocolError):
        decoder(b"Content-Length: x\r\n")


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(st.binary(min_size=1, max_size=40), max_size=8), cuts=st.lists(st.integers(0, 2000),
       max_size=10))
def test_chunked_decoding_any_split(pieces, cuts) -> None:
    wire = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\nTrailer: x\r\n\r\n"
    points = sorted({c % (len(wire) + 1) for c in cuts})
    decoder, out = ChunkedDecoder(), []
    for a, b in zip([0, *points], [*points, len(wire)], strict=True):
        out.append(decoder.feed(wire[a:b]))
        assert decoder.done is (b == len(wire))
    assert b"".join(out) == b"".join(pieces)


@settings(max_examples=60, deadline=None)
@given(pieces=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=5), data=st.data())
def test_chunked_body_cut_before_its_last_chunk_is_not_done(pieces, data) -> None:
    wire = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    cut = data.draw(st.integers(0, len(wire) - 1))
    decoder = ChunkedDecoder()
    decoder.feed(wire[:cut])
    assert not decoder.done


def test_bad_chunks_raise() -> None:
    with pytest.raises(HTTPProtocolError):
        ChunkedDecoder().feed(b"zz\r\nabc\r\n")
    with pytest.raises(HTTPProtocolError):
        ChunkedDecoder().feed(b"3\r\nabcXY0\r\n\r\n")
    with pytest.raises(HTTPProtocolError):
        ChunkedDecoder().feed(b"1" * 5000)


def test_length_decoder_stops_at_the_length() -> None:
    decoder = LengthDecoder(5)
    assert decoder.feed(b"abc") == b"abc" and not decoder.done
    assert decoder.feed(b"defgh") == b"de" and decoder.done
