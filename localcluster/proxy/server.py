"""A layer-4 service proxy on a fixed loopback port, like kube-proxy in front of a ClusterIP Service.

Each client connection is assigned round robin to one backend of the current (delayed) ready set and the
bytes are piped both ways unbuffered, so SSE streams pass through as they are written. When the chosen
backend refuses or resets the connect (a pod that stopped listening before the proxy learnt it left the
endpoints) the client connection is reset, as a packet to a dead pod IP would be: the client sees a
connection error before any response. With no ready backend at all, new connections are reset too.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
import threading

from localcluster.proxy.endpoints import Backend


def _reset(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


class _Pipe(asyncio.Protocol):
    """One direction's receiving side: writes what it receives into the peer transport."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: _Pipe | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream connection's transport is a Transport

    def data_received(self, data: bytes) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)

    def eof_received(self) -> bool:
        if self.peer is not None and self.peer.transport is not None and self.peer.transport.can_write_eof():
            self.peer.transport.write_eof()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            if exc is not None:
                _reset(peer.transport)  # a reset on one side is a reset on the other
            else:
                peer.transport.close()

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


class _ClientSide(_Pipe):
    def __init__(self, proxy: ServiceProxy) -> None:
        super().__init__()
        self._proxy = proxy
        self._pending: list[bytes] = []  # client bytes that arrive before the upstream connection is up

    def data_received(self, data: bytes) -> None:
        if self.peer is None:
            self._pending.append(data)  # a loop may deliver data although reading was paused at once (uvloop did)
        else:
            super().data_received(data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        backend = self._proxy.pick()
        if backend is None:
            _reset(self.transport)  # type: ignore[arg-type]
            return
        self.transport.pause_reading()  # type: ignore[union-attr]
        asyncio.get_running_loop().create_task(self._connect(backend))

    async def _connect(self, backend: Backend) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, upstream = await loop.create_connection(_Pipe, backend.host, backend.port)
        except OSError:
            if self.transport is not None:
                _reset(self.transport)
            return
        if self.transport is None or self.transport.is_closing():
            upstream.transport.close()  # type: ignore[union-attr]
            return
        upstream.peer, self.peer = self, upstream
        if self._pending:
            upstream.transport.write(b"".join(self._pending))  # type: ignore[union-attr]
            self._pending.clear()
        self.transport.resume_reading()


class ServiceProxy:
    """Balances new connections across the ready backends it was last told about."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backends: list[Backend] = []
        self._rr = itertools.count()

    def set_backends(self, backends: list[Backend]) -> None:
        with self._lock:
            self._backends = list(backends)

    @property
    def backends(self) -> list[Backend]:
        with self._lock:
            return list(self._backends)

    def pick(self) -> Backend | None:
        with self._lock:
            if not self._backends:
                return None
            return self._backends[next(self._rr) % len(self._backends)]

    async def serve(self, host: str, port: int) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: _ClientSide(self), host, port, reuse_address=True)
