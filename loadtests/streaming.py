"""The hot-path streaming client: one SSE stream per call, timed at every step, inside the gevent hub.

Design (numbers in ``benchmarks/bench_load_clients.py``): the calling greenlet connects and sends, then
parks until the stream is over. The response is read by a callback on the socket's read watcher that runs
in the hub itself (:class:`_Reader`): one non-blocking ``recv`` per wake-up, chunked decoding and SSE parsing
with ``bytes.find``-based parsers (:mod:`loadtests.http1`, :mod:`loadtests.sse`), per-stream state in one
slotted object, and no greenlet switch per event. Only the calling greenlet blocks; gevent need not be
monkey-patched. Timestamps are ``time.time()`` taken right after the ``recv`` that delivered the bytes.

Why not a greenlet per read, or a uvloop thread: measured on the 2-core dev VM (``io-floor`` mode of the
benchmark, no parsing, 300 streams), CPU per socket wake-up was 18 us with a greenlet waiting on the watcher
then reading, 13 us with a watcher callback in the hub, 13 us with a uvloop Protocol. A uvloop thread would
cost the same per event and add GIL hand-offs plus cross-thread wake-ups per stream, so the hub callback it
is. The hot path also allocates no container that outlives an event, so Python's GC does not run while
streams flow (0 collections measured over the benchmark window).

:meth:`StreamingClient.stream` never raises for a failed stream: the failure is the record's ``outcome``
(``ok | http_error | stream_error | truncated | connect_error | timeout``; see :mod:`loadtests.record`). A stream
the load generator stops while it is in flight (the run ends, Locust kills the user) still gets its record:
``timeout`` or ``truncated`` with error ``STOPPED_IN_FLIGHT``, attached to the exception that stopped it.
``connect_timeout`` bounds name resolution + TCP (+ TLS) connect; ``stream_timeout`` bounds everything from
sending the request to the end of the stream. Connections are kept alive and reused (a small LIFO pool per
client; one client per Locust user gives one connection per user); a reused connection found closed by the
server before any response byte is replaced once by a fresh one (the request is re-sent; ``sent`` is the
re-send time). The API key is sent as ``X-API-Key`` and never appears in a repr or log.

Slightly over 400 lines: the hub-side reader is the client's hot path and is kept next to the client that
drives it (connections and parsers live in their own modules).
"""

from __future__ import annotations

import itertools
import os
import ssl
import time
from urllib.parse import urlsplit

from gevent import Timeout
from gevent.hub import Waiter

from loadtests.bodies import StreamRequest
from loadtests.connection import RECV_SIZE, Conn, connect, default_ssl_context, numeric_addresses, resolve
from loadtests.http1 import BodyDecoder, CloseDecoder, HTTPProtocolError, ResponseHead, body_decoder, parse_head
from loadtests.record import GAP_RESERVOIR, GapStats, StreamRecord
from loadtests.sse import CLASSIFIERS, CONTENT, TERMINATOR, SSEParser, SSEProtocolError
from loadtests.sse import error_code_from_body as _error_code
from rundir.layout import CONNECT_ERROR, HTTP_ERROR, OK, STREAM_ERROR, TIMEOUT, TRUNCATED

MAX_ERROR_BODY = 64 * 1024
STOPPED_IN_FLIGHT = "STOPPED_IN_FLIGHT"
DRAIN_TIMEOUT = 0.5
MAX_IDLE = 1024

_time = time.time
_SEQ = itertools.count(1)
_ACTIVE = [0]
_HEAD, _BODY, _ERROR_BODY, _FINISHED = 0, 1, 2, 3


def active_streams() -> int:
    """Streams in flight in this process (all clients)."""
    return _ACTIVE[0]


class _ConnectTimeout(Exception):
    pass


class _Closed(Exception):
    """The peer closed or reset the connection before any response byte; ``args[0]`` names how."""


class _Reader:
    """Reads one response inside the hub: called by the read watcher each time the socket is readable."""

    __slots__ = ("buf", "classify", "conn", "decoder", "drain", "early", "eof", "events", "feed", "first",
                 "gaps", "head", "lag", "last", "nbytes", "parser", "parts", "phase", "rec", "recv", "usage",
                 "waiter")

    def __init__(self, conn: Conn, rec: StreamRecord, lag: list[float] | None) -> None:
        self.conn, self.rec, self.lag = conn, rec, lag
        self.recv = conn.sock.recv if type(conn) is Conn else None
        self.waiter = Waiter()
        self.classify = CLASSIFIERS[rec.endpoint]
        self.parser = SSEParser()
        self.feed = self.parser.feed
        self.gaps = GapStats()
        self.phase = _HEAD
        self.buf = b""
        self.head: ResponseHead | None = None
        self.decoder: BodyDecoder = CloseDecoder()
        self.parts: list[bytes] = []
        self.events = self.nbytes = 0
        self.first: float | None = None
        self.last: float | None = None
        self.usage: int | None = None
        self.eof = self.drain = False
        self.early: str | None = None

    def __call__(self) -> None:
        try:
            if self.recv is not None:  # plain TCP: the socket's own recv, one call frame less per event
                try:
                    data = self.recv(RECV_SIZE)
                except BlockingIOError:
                    return
            else:
                read = self.conn.read_nowait()
                if read is None:
                    return
                data = read
            now = _time()
            if self.phase == _BODY:
                self._body(data, now)
            elif self.phase == _HEAD:
                self._head(data, now)
            elif self.phase == _ERROR_BODY:
                self._error_body(data, now, not data)
        except OSError as exc:
            self._lost(type(exc).__name__)
        except Exception as exc:  # protocol errors; anything else is a client bug, kept visible in `error`
            rec = self.rec
            rec.outcome = HTTP_ERROR if rec.headers is None else STREAM_ERROR
            kind = "PROTOCOL_ERROR" if isinstance(exc, HTTPProtocolError | SSEProtocolError) else "CLIENT_BUG"
            rec.error, rec.end = f"{kind}: {type(exc).__name__}: {exc}"[:200], _time()
            self.eof = True
            self._done()

    def _done(self) -> None:
        """Stop reading and wake the stream's greenlet (exactly once)."""
        if self.phase != _FINISHED:
            self.phase = _FINISHED
            self.conn.rio.stop()
            self.waiter.switch(None)

    def _lost(self, error: str) -> None:
        """The connection was reset/closed under us."""
        if self.phase == _HEAD and not self.buf:
            self.early = error
        elif self.phase == _ERROR_BODY:
            self._finish_error(_time(), complete=False)
            return
        else:
            self.rec.outcome, self.rec.error, self.rec.end = TRUNCATED, error, _time()
        self.eof = True
        self._done()

    def _head(self, data: bytes, now: float) -> None:
        if not data:
            self._lost("ConnectionClosed")
            return
        self.buf = buf = self.buf + data if self.buf else data
        parsed = parse_head(buf)
        if parsed is None:
            return
        head, offset = parsed
        rec = self.rec
        rec.headers, rec.status = now, head.status
        rec.pod = head.headers.get("x-agentflow-pod")
        rec.request_id = head.headers.get("x-request-id") or rec.request_id
        self.head, self.buf = head, b""
        self.decoder = body_decoder(head)
        rest = buf[offset:]
        if head.status == 200 and head.headers.get("content-type", "").startswith("text/event-stream"):
            self.phase = _BODY
            if rest:
                self._body(rest, now)
            elif self.decoder.done:  # an empty event stream
                rec.outcome, rec.error, rec.end = TRUNCATED, "NO_TERMINATOR", now
                self._done()
        else:
            self.phase = _ERROR_BODY
            self._error_body(rest, now, False)

    def _body(self, data: bytes, now: float) -> None:
        """The hot path: decode, parse, classify and time every event of ``data`` (``b""`` = EOF)."""
        decoder = self.decoder
        if data:
            body = decoder.feed(data)
            self.nbytes += len(body)
            batch = self.feed(body) if body else []
            if decoder.done:  # the body is complete: a final lone CR still ends its line
                batch += self.parser.close()
        else:
            self.eof = True
            batch = self.parser.close()
        lag, classify = self.lag, self.classify
        for name, payload, stamp in batch:
            if lag is not None and stamp is not None:
                lag.append(now - stamp)
            kind, code, tokens = classify(name, payload)
            if tokens is not None:
                self.usage = tokens
            if kind == CONTENT:
                self.events += 1
                if self.last is not None:
                    gaps = self.gaps
                    if gaps.count < GAP_RESERVOIR:  # GapStats.add inlined for the common case
                        gap = now - self.last
                        gaps.count += 1
                        gaps.total += gap
                        gaps.reservoir.append(gap)
                        if gap > gaps.max:
                            gaps.max = gap
                    else:
                        gaps.add(now - self.last)
                else:
                    self.first = now
                self.last = now
            elif kind >= TERMINATOR:  # terminator or error event: the stream is over
                rec = self.rec
                rec.outcome, rec.error = (OK, None) if kind == TERMINATOR else (STREAM_ERROR, code)
                rec.end = now
                self.drain = not (decoder.done or self.eof)
                self._done()
                return
        if self.eof or decoder.done:
            rec = self.rec
            rec.outcome, rec.end = TRUNCATED, now
            rec.error = "NO_TERMINATOR" if decoder.done else "ConnectionClosed"
            self._done()

    def _error_body(self, data: bytes, now: float, eof: bool) -> None:
        if data:
            self.parts.append(self.decoder.feed(data))
            self.nbytes += len(self.parts[-1])
        if eof:
            self._finish_error(now, complete=isinstance(self.decoder, CloseDecoder))
        elif self.decoder.done or self.nbytes >= MAX_ERROR_BODY:
            self._finish_error(now, complete=self.decoder.done)

    def _finish_error(self, now: float, complete: bool) -> None:
        rec = self.rec
        rec.end, rec.outcome = now, HTTP_ERROR
        rec.error = "NOT_EVENT_STREAM" if rec.status == 200 else (
            _error_code(b"".join(self.parts)) or f"HTTP_{rec.status}")
        self.eof = not complete or isinstance(self.decoder, CloseDecoder)
        self._done()

    def flush(self) -> None:
        """Copy the per-stream counters into the record (also after a timeout)."""
        rec = self.rec
        rec.events, rec.first_token, rec.last_token = self.events, self.first, self.last
        rec.bytes, rec.usage_tokens = self.nbytes, self.usage
        rec.set_gaps(self.gaps)

    def reusable(self) -> bool:
        """Whether the connection may carry the next request (body complete, keep-alive, no EOF)."""
        return bool(self.head and self.head.keep_alive and self.decoder.done and not self.eof)


def stopped_in_flight(rec: StreamRecord) -> None:
    """End the record of a stream the load generator stopped before it ended: ``timeout`` when no response had
    arrived, ``truncated`` when it was streaming (error ``STOPPED_IN_FLIGHT``); a stream already over is kept."""
    if rec.end is not None:
        return
    rec.end = _time()
    rec.outcome = TRUNCATED if rec.headers is not None else TIMEOUT
    rec.error = STOPPED_IN_FLIGHT


def stopped_record(exc: BaseException) -> StreamRecord | None:
    """The record a stopped :meth:`StreamingClient.stream` attached to its exception, if any."""
    return getattr(exc, "stream_record", None)


class StreamingClient:
    """Streams AgentFlow SSE responses and times them; see the module docstring."""

    def __init__(self, base_url: str, api_key: str | None, *, connect_timeout: float, stream_timeout: float,
                 worker: str, ssl_context: ssl.SSLContext | None = None) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"base_url: expected http://host[:port] or https://..., got {base_url!r}")
        for name, value in (("connect_timeout", connect_timeout), ("stream_timeout", stream_timeout)):
            if not (isinstance(value, int | float) and value > 0):
                raise ValueError(f"{name}: expected seconds > 0, got {value!r}")
        self.host = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.tls = url.scheme == "https"
        self._ssl = ssl_context
        self._base_path = url.path.rstrip("/")
        self.connect_timeout = float(connect_timeout)
        self.stream_timeout = float(stream_timeout)
        self.worker = worker
        self._idle: list[Conn] = []
        self._addr = numeric_addresses(self.host, self.port)  # an IP literal: no resolver round trip
        host = f"[{self.host}]" if ":" in self.host else self.host
        hostport = host if url.port is None else f"{host}:{self.port}"
        key = f"X-API-Key: {api_key}\r\n" if api_key else ""
        self._static = (f"Host: {hostport}\r\nUser-Agent: agentflow-suite\r\nAccept: text/event-stream\r\n"
                        f"Content-Type: application/json\r\n{key}\r\n").encode("latin-1")
        self.lag_sink: list[float] | None = None
        """Benchmarks only: a list to collect (receive time - server ``: ts=`` stamp) per event."""

    def __repr__(self) -> str:
        return f"StreamingClient({'https' if self.tls else 'http'}://{self.host}:{self.port}, worker={self.worker!r})"

    def close(self) -> None:
        """Close the idle kept-alive connections."""
        while self._idle:
            self._idle.pop().close()

    def stream(self, req: StreamRequest, *, scheduled: float | None, stage: str, open_loop: bool) -> StreamRecord:
        """Run one stream to its end; return its record (never raises for a failed stream)."""
        rec = StreamRecord(stream_id=f"{self.worker}-{next(_SEQ)}", worker=self.worker, endpoint=req.endpoint,
                           stage=stage, open_loop=open_loop, scheduled=scheduled, agent_id=req.agent_id,
                           prompt_chars=req.prompt_chars, max_tokens=req.max_tokens, expected_s=req.expected_s,
                           request_id=os.urandom(16).hex())
        started = _time()
        _ACTIVE[0] += 1
        try:
            self._run(req, rec)
        except BaseException as exc:  # stopped in flight: Locust's stop kills the greenlet (GreenletExit)
            stopped_in_flight(rec)
            exc.stream_record = rec  # type: ignore[attr-defined]  # run_one records it, then re-raises
            raise
        finally:
            _ACTIVE[0] -= 1
        if rec.scheduled is None:
            rec.scheduled = rec.sent if rec.sent is not None else started
        return rec

    def _request_bytes(self, req: StreamRequest, request_id: str) -> bytes:
        extra = "".join(f"{k}: {v}\r\n" for k, v in req.headers.items())
        head = (f"POST {self._base_path}{req.path} HTTP/1.1\r\nContent-Length: {len(req.body)}\r\n"
                f"X-Request-ID: {request_id}\r\n{extra}").encode("latin-1")
        return b"".join((head, self._static, req.body))

    def _run(self, req: StreamRequest, rec: StreamRecord) -> None:
        payload = self._request_bytes(req, rec.request_id or "")
        conn = self._pooled()
        for _attempt in range(2):
            if conn is None:
                try:
                    conn = self._connect()
                except (OSError, _ConnectTimeout) as exc:
                    rec.outcome, rec.end = CONNECT_ERROR, _time()
                    rec.error = "ConnectTimeout" if isinstance(exc, _ConnectTimeout) else type(exc).__name__
                    return
            keep = False
            try:
                keep = self._exchange(conn, payload, rec)
            except _Closed as exc:
                if conn.reused:  # stale kept-alive connection: retry once on a fresh one
                    conn.close()
                    conn = None
                    continue
                rec.outcome, rec.error, rec.end = CONNECT_ERROR, str(exc), _time()
            finally:
                if conn is not None:
                    if keep and len(self._idle) < MAX_IDLE:
                        conn.reused = True
                        self._idle.append(conn)
                    else:
                        conn.close()
            return

    def _pooled(self) -> Conn | None:
        while self._idle:
            conn = self._idle.pop()
            if conn.alive():
                return conn
            conn.close()
        return None

    def _connect(self) -> Conn:
        with Timeout(self.connect_timeout, _ConnectTimeout):
            infos = self._addr or resolve(self.host, self.port)
            tls = (self._ssl or default_ssl_context()) if self.tls else None
            return connect(infos, tls, self.host)

    def _exchange(self, conn: Conn, payload: bytes, rec: StreamRecord) -> bool:
        """Send, then let a :class:`_Reader` read the response in the hub. True if ``conn`` may be reused."""
        timeout = Timeout(self.stream_timeout)
        timeout.start()
        reader = _Reader(conn, rec, self.lag_sink)
        try:
            rec.sent = _time()
            try:
                conn.sendall(payload)
            except OSError as exc:
                raise _Closed(type(exc).__name__) from exc
            conn.rio.start(reader)
            try:
                reader.waiter.get()
            finally:
                conn.rio.stop()
            if reader.early is not None:
                raise _Closed(reader.early)
            if reader.drain:
                reader.drain = False
                return self._drain(conn, reader.decoder, timeout) and reader.head is not None and \
                    reader.head.keep_alive
            return reader.reusable()
        except Timeout as exc:
            if exc is not timeout:
                raise
            rec.outcome, rec.error, rec.end = TIMEOUT, "StreamTimeout", _time()
            return False
        finally:
            reader.flush()
            timeout.close()

    def _drain(self, conn: Conn, decoder: BodyDecoder, outer: Timeout) -> bool:
        """After the terminator: read the rest of the body (briefly) so the connection can be reused."""
        if isinstance(decoder, CloseDecoder):
            return False
        inner = Timeout(DRAIN_TIMEOUT)
        inner.start()
        try:
            while not decoder.done:
                data = conn.recv()
                if not data:
                    return False
                decoder.feed(data)
            return True
        except Timeout as exc:
            if exc is not inner and exc is not outer:
                raise
            return False
        except (OSError, HTTPProtocolError):
            return False
        finally:
            inner.close()
