"""Minimal HTTP/1.1 response reading for the streaming client: the head and the three body framings.

Only what an SSE client needs: the status line and headers (:func:`parse_head`), and incremental body
decoders for ``Transfer-Encoding: chunked`` (:class:`ChunkedDecoder`), ``Content-Length``
(:class:`LengthDecoder`) and read-until-close (:class:`CloseDecoder`). Every decoder takes raw bytes as they
arrive, split anywhere, and returns the body bytes they carry; ``done`` becomes true when the body is complete
(never for read-until-close, whose end is the connection's end), so a body cut before its end (a chunked
body without its last chunk) is told apart from a complete one.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_HEAD = 64 * 1024
MAX_CHUNK_LINE = 4096


class HTTPProtocolError(ValueError):
    """The response is not valid HTTP/1.x as far as this reader understands it."""


@dataclass(slots=True)
class ResponseHead:
    """Status line and headers; header names are lower-cased, repeated headers are joined with ``, ``."""

    version: str
    status: int
    reason: str
    headers: dict[str, str]

    @property
    def keep_alive(self) -> bool:
        """Whether the connection may carry another request after this response's body."""
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn


def parse_head(buf: bytes) -> tuple[ResponseHead, int] | None:
    """Parse a response head from the start of ``buf``.

    Returns ``(head, body_offset)``, or ``None`` when the head is not complete yet. Interim 1xx responses
    are skipped. Raises :class:`HTTPProtocolError` for a malformed or oversized head.
    """
    offset = 0
    while True:
        end = buf.find(b"\r\n\r\n", offset)
        sep = 4
        if end < 0:
            end = buf.find(b"\n\n", offset)
            sep = 2
        if end < 0:
            if len(buf) - offset > MAX_HEAD:
                raise HTTPProtocolError(f"response head longer than {MAX_HEAD} bytes")
            return None
        head = _parse_lines(buf[offset:end])
        offset = end + sep
        if not 100 <= head.status < 200 or head.status == 101:
            return head, offset


def _parse_lines(raw: bytes) -> ResponseHead:
    lines = raw.decode("latin-1").replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HTTPProtocolError(f"bad status line {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise HTTPProtocolError(f"bad header line {line[:80]!r}")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return ResponseHead(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers)


class ChunkedDecoder:
    """``Transfer-Encoding: chunked``; ``done`` once the last (zero) chunk and its trailers arrived."""

    __slots__ = ("_buf", "_need", "_state", "done")

    _SIZE, _DATA, _DATA_END, _TRAILER = 0, 1, 2, 3

    def __init__(self) -> None:
        self._buf = b""
        self._state = self._SIZE
        self._need = 0
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """Decode ``data``; return the body bytes it completed."""
        buf = self._buf + data if self._buf else data
        out: list[bytes] = []
        pos, end = 0, len(buf)
        while not self.done and pos < end:
            state = self._state
            if state == self._DATA:
                take = min(self._need, end - pos)
                out.append(buf[pos : pos + take])
                pos += take
                self._need -= take
                if not self._need:
                    self._state = self._DATA_END
                continue
            nl = buf.find(b"\n", pos)
            if nl < 0:
                if end - pos > MAX_CHUNK_LINE:
                    raise HTTPProtocolError("chunk-size line too long")
                break
            line = buf[pos:nl]
            pos = nl + 1
            if state == self._SIZE:
                try:
                    size = int(line, 16)  # int() ignores the surrounding whitespace, including the CR
                except ValueError:
                    size = _chunk_size(line)
                if size < 0:
                    raise HTTPProtocolError("negative chunk size")
                stop = pos + size
                if size and buf[stop : stop + 2] == b"\r\n":  # fast path: the whole chunk is here
                    out.append(buf[pos:stop])
                    pos = stop + 2
                elif size:
                    self._state, self._need = self._DATA, size
                else:
                    self._state = self._TRAILER
            elif state == self._DATA_END:
                if line not in (b"", b"\r"):
                    raise HTTPProtocolError("missing CRLF after chunk data")
                self._state = self._SIZE
            elif line in (b"", b"\r"):  # _TRAILER: a blank line ends the trailers and the body
                self.done = True
        self._buf = buf[pos:] if not self.done and pos < end else b""
        return out[0] if len(out) == 1 else b"".join(out)


def _chunk_size(line: bytes) -> int:
    """The size of a chunk-size line with chunk extensions (``1a;name=value``)."""
    text = line.split(b";", 1)[0].strip()
    try:
        return int(text, 16)
    except ValueError:
        raise HTTPProtocolError(f"bad chunk size {text[:20]!r}") from None


class LengthDecoder:
    """``Content-Length: n``; bytes beyond ``n`` are dropped (they would belong to no response)."""

    __slots__ = ("_left", "done")

    def __init__(self, length: int) -> None:
        self._left = length
        self.done = length == 0

    def feed(self, data: bytes) -> bytes:
        """Return the part of ``data`` that belongs to the body."""
        if len(data) >= self._left:
            data = data[: self._left]
            self._left = 0
            self.done = True
            return data
        self._left -= len(data)
        return data


class CloseDecoder:
    """No length and not chunked: the body runs until the server closes the connection."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """Every byte belongs to the body."""
        return data


BodyDecoder = ChunkedDecoder | LengthDecoder | CloseDecoder


def body_decoder(head: ResponseHead, request_method: str = "POST") -> BodyDecoder:
    """The decoder for this response's body (RFC 9112 section 6.3 order: chunked, then length, then close)."""
    if head.status in (204, 304) or 100 <= head.status < 200 or request_method == "HEAD":
        return LengthDecoder(0)
    te = head.headers.get("transfer-encoding", "").lower()
    if te:
        if te.rsplit(",", 1)[-1].strip() == "chunked":
            return ChunkedDecoder()
        return CloseDecoder()
    length = head.headers.get("content-length")
    if length is not None:
        try:
            value = int(length.split(",")[0].strip())
        except ValueError:
            raise HTTPProtocolError(f"bad Content-Length {length[:20]!r}") from None
        if value < 0:
            raise HTTPProtocolError("negative Content-Length")
        return LengthDecoder(value)
    return CloseDecoder()
