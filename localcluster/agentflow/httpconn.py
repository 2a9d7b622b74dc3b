"""HTTP/1.1 server connections on raw asyncio Protocols + httptools (no web framework, for low CPU per event).

One :class:`HttpConnection` per TCP connection: it parses requests with httptools, hands each complete
request to the application (``app.handle(conn, req)``) one at a time (pipelined requests wait), and offers
the application two ways to answer: :meth:`respond` (a whole body with Content-Length) or a chunked stream
(:meth:`start_chunked`, :meth:`write_chunk`, :meth:`end_chunked`), which is what Go's net/http sends when a
handler flushes. :meth:`cut` ends a response with a bare TCP close (a truncated stream).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any, Protocol

import httptools

__all__ = ["MAX_BODY", "App", "HttpConnection", "Request"]

MAX_BODY = 1 << 20
REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 413: "Request Entity Too Large",
           422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
           501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
_STATUS_LINES = {code: b"HTTP/1.1 %d %s\r\n" % (code, text.encode()) for code, text in REASONS.items()}
_date_cache: list[Any] = [0, b""]


def http_date() -> bytes:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now)).encode()
    return _date_cache[1]


class Request:
    __slots__ = ("body", "headers", "keep_alive", "method", "path", "query", "request_id", "start",
                 "too_large", "uncounted", "url")

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.url = b""
        self.method = "GET"
        self.path = "/"
        self.query = ""
        self.keep_alive = True
        self.too_large = False
        self.start = time.monotonic()
        self.request_id = ""
        self.uncounted = False  # never answered (a hung health probe): not in the request metrics


class App(Protocol):
    connections: set[HttpConnection]
    static_headers: bytes
    close_idle: bool  # close each connection once its response is complete (Go's Shutdown)

    def handle(self, conn: HttpConnection, req: Request) -> None: ...
    def request_done(self, req: Request, status: int) -> None: ...
    def closing(self) -> bool: ...


class HttpConnection(asyncio.Protocol):
    """One client connection; see the module docstring."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer = ""
        self.cur: Request | None = None
        self.pending: deque[Request] = deque()
        self.active: Request | None = None  # request being answered
        self.job: Any = None  # the application's per-request state (gets on_disconnect())
        self.status = 0
        self.close_after = False
        self.closed = False
        self.last_active = time.monotonic()

    # -- asyncio.Protocol -----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else ""
        self.app.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass
        except httptools.HttpParserError:
            self._bad_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.app.connections.discard(self)
        job, self.job = self.job, None
        if job is not None:
            job.on_disconnect()
        elif self.active is not None:
            self._finish_metrics()

    # -- httptools callbacks ----------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.cur = Request()

    def on_url(self, url: bytes) -> None:
        self.cur.url += url  # type: ignore[union-attr]

    def on_header(self, name: bytes, value: bytes) -> None:
        self.cur.headers[name.decode("latin-1").lower()] = value.decode("latin-1")  # type: ignore[union-attr]

    def on_headers_complete(self) -> None:
        req = self.cur
        assert req is not None
        req.method = self.parser.get_method().decode()
        req.keep_alive = self.parser.should_keep_alive()
        path, _, query = req.url.decode("latin-1").partition("?")
        req.path, req.query = path or "/", query
        if req.headers.get("expect", "").lower() == "100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # as Go does when the body is read

    def on_body(self, body: bytes) -> None:
        req = self.cur
        assert req is not None
        if not req.too_large:
            if len(req.body) + len(body) > MAX_BODY:
                req.too_large = True
                req.body = bytearray()
            else:
                req.body += body

    def on_message_complete(self) -> None:
        req, self.cur = self.cur, None
        assert req is not None
        self.pending.append(req)
        if len(self.pending) > 4 and self.transport is not None:
            self.transport.pause_reading()
        if self.active is None:
            self._next()

    # -- responses ------------------------------------------------------------------------------------
    def _next(self) -> None:
        if self.closed or not self.pending:
            return
        req = self.pending.popleft()
        if self.transport is not None and len(self.pending) <= 4:
            self.transport.resume_reading()
        self.active, self.status, self.close_after = req, 0, not req.keep_alive or req.too_large
        try:
            self.app.handle(self, req)
        except Exception as exc:  # like Go's Recovery middleware: log, answer 500 (or cut a started stream)
            asyncio.get_running_loop().call_exception_handler({"message": "handler failed", "exception": exc})
            if self.active is req and self.status == 0:
                self.close_after = True
                self.respond(500, b'{"success":false,"error":{"code":"INTERNAL_ERROR",'
                                  b'"message":"internal server error"}}\n', "application/json; charset=utf-8")
            elif self.active is req:
                self.cut()

    def _head(self, status: int, block: bytes, keep_alive_header: bool = False) -> bytes:
        """Status line and headers up to (not including) the blank line. ``block``: pre-encoded headers."""
        if self.app.closing():
            self.close_after = True
        req = self.active
        rid = b"X-Request-Id: %s\r\n" % req.request_id.encode("latin-1") if req is not None and req.request_id \
            else b""
        if self.close_after:  # like Go: replaces a handler's "Connection: keep-alive"
            block += b"Connection: close\r\n"
        elif keep_alive_header:
            block += b"Connection: keep-alive\r\n"
        line = _STATUS_LINES.get(status) or b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "Status").encode())
        return b"%sDate: %s\r\n%s%s%s" % (line, http_date(), self.app.static_headers, rid, block)

    def respond(self, status: int, body: bytes, content_type: str,
                headers: list[tuple[str, str]] | None = None, head_only: bool = False) -> None:
        """Send a complete response with Content-Length and finish the request."""
        block = b"Content-Type: %s\r\n" % content_type.encode("latin-1")
        for name, value in headers or ():
            block += f"{name}: {value}\r\n".encode("latin-1")
        out = b"%sContent-Length: %d\r\n\r\n%s" % (self._head(status, block), len(body),
                                                    b"" if head_only else body)
        self.status = status
        if not self.closed:
            self.transport.write(out)  # type: ignore[union-attr]
        self.finish()

    def start_chunked(self, status: int, block: bytes, first: bytes = b"") -> None:
        """Send the status line and headers (``block``: pre-encoded, without Connection) of a chunked
        response with ``Connection: keep-alive`` as Go's SSE handlers set it, optionally with a first chunk."""
        out = self._head(status, block, keep_alive_header=True) + b"Transfer-Encoding: chunked\r\n\r\n"
        if first:
            out += b"%x\r\n%s\r\n" % (len(first), first)
        self.status = status
        if not self.closed:
            self.transport.write(out)  # type: ignore[union-attr]

    def write_chunk(self, data: bytes) -> None:
        if not self.closed:
            self.transport.write(b"%x\r\n%s\r\n" % (len(data), data))  # type: ignore[union-attr]

    def end_chunked(self, last: bytes = b"") -> None:
        """Write a last data chunk (optional) plus the terminating zero chunk, and finish the request."""
        if not self.closed:
            tail = b"%x\r\n%s\r\n0\r\n\r\n" % (len(last), last) if last else b"0\r\n\r\n"
            self.transport.write(tail)  # type: ignore[union-attr]
        self.finish()

    def cut(self) -> None:
        """End the current response without a terminator: close the TCP connection (truncation)."""
        self.close_after = True
        self.finish()

    def finish(self) -> None:
        """The current request is complete: record it, then close or serve the next pipelined one."""
        self.job = None
        self._finish_metrics()
        self.last_active = time.monotonic()
        if self.close_after or self.closed or self.app.close_idle:
            self.close()
        else:
            self._next()

    def _finish_metrics(self) -> None:
        req, self.active = self.active, None
        if req is not None and not req.uncounted:
            self.app.request_done(req, self.status or 200)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    @property
    def idle(self) -> bool:
        return self.active is None and not self.pending

    def _bad_request(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                 + self.app.static_headers + b"Connection: close\r\n\r\n400 Bad Request")
        self.close()
