"""The HTTP/1.1 API server on 127.0.0.1: stdlib ThreadingHTTPServer, one thread per connection.

    store = Store()
    with ApiServer(store) as server:          # listens on a free port
        write_kubeconfig(path, server.url)    # kubectl / kubernetes client / chaosk8s can now connect

Watches and `follow=true` logs are chunked responses held by their connection's thread; `stop()` ends
them. Lists are served from per-object cached JSON, so a list is one sort, one filter and one join.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import discovery
from .auth import ANONYMOUS, AllowAll, Authenticator, RBACAuthorizer, User, forbidden, request_attributes
from .auth.bootstrap import bootstrap_policy
from .errors import ApiError, NotFound, status_body
from .gc import GarbageCollector
from .hooks import EvictionHandler, MetricsSource, PodDeleter
from .http import Request, Response, error_response, json_response
from .logs import PodLogSource
from .namespaces import NamespaceController
from .objects import now_time
from .openapi.serve import openapi_response
from .rest import Hooks, RestApi
from .routes import DiscoveryRoute, parse_path
from .store import Store
from .tls import ServingCert

__all__ = ["DEFAULT_NAMESPACES", "ApiServer"]

log = logging.getLogger(__name__)

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_HEALTH = ("/healthz", "/livez", "/readyz")
_PUBLIC = (*_HEALTH, "/version")


class _App:
    """Request -> Response for everything the server answers (never raises): authenticate, authorize, route."""

    def __init__(self, rest: RestApi, authn: Authenticator, address: str) -> None:
        self.rest = rest
        self.authn = authn
        self.address = address

    def _user(self, req: Request) -> User:
        header = req.headers.get("authorization", "")
        if not header and not self.authn.anonymous and req.path.startswith(_PUBLIC):
            return ANONYMOUS  # health and version stay open to probes when anonymous requests are refused
        return self.authn.authenticate(header)

    def handle(self, req: Request) -> Response:
        try:
            req.user = self._user(req)
            resp = self._route(req)
        except ApiError as err:
            resp = error_response(err)
        except Exception as exc:  # a bug must still answer a Status, not drop the connection
            log.exception("internal error serving %s %s", req.method, req.path)
            return json_response(500, status_body(500, "InternalError", f"internal error: {exc!r}"))
        if req.warnings:
            resp.headers["Warning"] = ", ".join('299 - "{}"'.format(w.replace('"', '\\"')) for w in req.warnings)
        return resp

    def _authorize(self, req: Request, route: object | None) -> None:
        attrs = request_attributes(req.user, req.method, req.path.rstrip("/") or "/", req.query, route)
        decision = self.rest.authorizer.authorize(attrs)
        if not decision.allowed:
            log.info("forbidden: user %s %s %s", attrs.user.name, attrs.verb,
                     attrs.path or f"{attrs.group}/{attrs.resource}/{attrs.subresource}")
            raise forbidden(attrs, decision.reason)

    def _route(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        if path.startswith(_HEALTH):
            self._authorize(req, None)
            body = b"ok" if "verbose" not in req.query else b"[+]ping ok\nhealthz check passed\n"
            return Response(200, body, content_type="text/plain; charset=utf-8")
        if path == "/version":
            self._authorize(req, None)
            return json_response(200, discovery.version())
        if path.startswith("/openapi/"):
            self._authorize(req, None)
            return openapi_response(req, path)
        route = parse_path(path)
        if route is None:
            self._authorize(req, None)
            raise NotFound(f"the server could not find the requested resource ({req.path})", details={})
        if isinstance(route, DiscoveryRoute):
            self._authorize(req, None)
            if req.method != "GET":
                raise NotFound(f"the server could not find the requested resource ({req.path})", details={})
            return self.rest.discovery(route, self.address)
        self._authorize(req, route)
        return self.rest.handle(req, route)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 600  # an idle keep-alive connection is closed after 10 minutes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, url.path, query, headers, self._read_body())
        resp = self.server.app.handle(req)
        if resp.stream is None:
            self._send(resp)
        else:
            self._send_stream(resp)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def _head(self, resp: Response, extra: dict[str, str]) -> bytes:
        phrase = HTTPStatus(resp.code).phrase if resp.code in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {resp.code} {phrase}", f"Content-Type: {resp.content_type}"]
        lines.append("Cache-Control: no-cache, private")
        lines.extend(f"{k}: {v}" for k, v in {**resp.headers, **extra}.items())
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, resp: Response) -> None:
        head = self._head(resp, {"Content-Length": str(len(resp.body))})
        self.wfile.write(head + resp.body)  # one write: no Nagle stall between headers and body
        self.log_request(resp.code, len(resp.body))

    def _alive(self) -> bool:
        if self.server.closing:
            return False
        conn = self.connection
        try:
            if isinstance(conn, ssl.SSLSocket):
                if conn.pending():
                    return True
                readable, _, _ = select.select([conn], [], [], 0)
                if not readable:
                    return True
                conn.setblocking(False)
                try:
                    return bool(conn.recv(1))  # a TLS record arrived: b"" is the close, data means alive
                except ssl.SSLWantReadError:
                    return True
                finally:
                    conn.setblocking(True)
            readable, _, _ = select.select([conn], [], [], 0)
            return not readable or bool(conn.recv(1, socket.MSG_PEEK))
        except OSError:
            return False

    def _send_stream(self, resp: Response) -> None:
        assert resp.stream is not None
        self.wfile.write(self._head(resp, {"Transfer-Encoding": "chunked"}))
        self.log_request(resp.code, "-")

        def write(data: bytes) -> None:
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        try:
            resp.stream(write, self._alive)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True
    app: _App
    closing = False

    def __init__(self, address: tuple[str, int], tls: ServingCert | None = None) -> None:
        super().__init__(address, _Handler)
        self.tls = tls
        self.connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        raw = request
        with self._conn_lock:
            self.connections.add(raw)
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                request = self._maybe_tls(raw, self.tls)
                if request is None:
                    return
            super().process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self.connections.discard(raw)

    def _maybe_tls(self, request: socket.socket, tls: ServingCert) -> Any:
        """TLS when the client starts a TLS handshake (first byte 0x16), plain HTTP otherwise; one port for both."""
        request.settimeout(30)
        try:
            first = request.recv(1, socket.MSG_PEEK)
            if first != b"\x16":
                request.settimeout(None)
                return request
            wrapped = tls.context.wrap_socket(request, server_side=True)
            wrapped.settimeout(None)
            return wrapped
        except (OSError, ssl.SSLError):
            try:
                request.close()
            except OSError:
                pass
            return None

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ApiServer:
    """The API server: an HTTP front for a Store, plus the hooks the kubelet and PDB code plug in.

    Authentication: `users` maps bearer tokens to users; requests without a token are `system:anonymous`
    unless `anonymous=False` (then 401). `token` (legacy) = one token for a system:masters user and no
    anonymous access. Authorization: `authorization="RBAC"` enforces the stored Roles/ClusterRoles/bindings
    on every request (the bootstrap policy is created at start); the default `"AlwaysAllow"` allows all.
    `garbage_collector`: run the background cascading deletion of dependents (api.gc) while serving.
    `namespace_controller`: finalize Terminating namespaces and give new ones their default ServiceAccount.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        pod_deleter: PodDeleter | None = None,
        eviction_handler: EvictionHandler | None = None,
        pod_logs: PodLogSource | None = None,
        metrics: MetricsSource | None = None,
        bookmark_interval: float = 60.0,
        create_namespaces: tuple[str, ...] = DEFAULT_NAMESPACES,
        garbage_collector: bool = True,
        namespace_controller: bool = True,
        users: dict[str, User] | None = None,
        anonymous: bool = True,
        authorization: str = "AlwaysAllow",
        tls: ServingCert | None = None,
    ) -> None:
        self.store = store if store is not None else Store()
        self.hooks = Hooks()
        if pod_deleter is not None:
            self.hooks.pod_deleter = pod_deleter
        if eviction_handler is not None:
            self.hooks.eviction = eviction_handler
        if pod_logs is not None:
            self.hooks.logs = pod_logs
        if metrics is not None:
            self.hooks.metrics = metrics
        self.rest = RestApi(self.store, self.hooks, bookmark_interval=bookmark_interval)
        if authorization not in ("AlwaysAllow", "RBAC"):
            raise ValueError(f"authorization must be AlwaysAllow or RBAC, not {authorization!r}")
        self.rest.authorizer = RBACAuthorizer(self.store) if authorization == "RBAC" else AllowAll()
        tokens = dict(users or {})
        if token is not None:
            tokens[token] = User("admin", ("system:masters",))
            anonymous = False
        self._httpd = _Server((host, port), tls)
        bound, self.port = self._httpd.server_address[:2]
        self.host = bound if isinstance(bound, str) else bytes(bound).decode()
        self._httpd.app = _App(self.rest, Authenticator(tokens, anonymous=anonymous), f"{self.host}:{self.port}")
        self._thread: threading.Thread | None = None
        self._serving = False
        self.gc = GarbageCollector(self.store, self.rest.delete_object) if garbage_collector else None
        self.namespaces = NamespaceController(self.store, self.rest.delete_object) if namespace_controller else None
        for name in create_namespaces:
            if self.store.try_get("namespaces", None, name) is None:
                self.store.create("namespaces", {"metadata": {"name": name}})
        if authorization == "RBAC":
            for obj in bootstrap_policy():
                if self.store.try_get(obj["kind"], None, obj["metadata"]["name"]) is None:
                    self.store.create(obj["kind"], obj)

    @property
    def url(self) -> str:
        """The plain-HTTP URL (always served)."""
        return f"http://{self.host}:{self.port}"

    def enable_tls(self, cert: ServingCert) -> None:
        """Start answering TLS on the same port (connections already open stay as they are)."""
        self._httpd.tls = cert

    @property
    def https_url(self) -> str | None:
        """The same port over TLS, when the server was given a certificate."""
        return f"https://{self.host}:{self.port}" if self._httpd.tls is not None else None

    def _start_controllers(self) -> None:
        if self.gc is not None:
            self.gc.start()
        if self.namespaces is not None:
            self.namespaces.start()

    def start(self) -> ApiServer:
        """Serve on a background thread; returns self."""
        self._start_controllers()
        if self._thread is None:
            self._serving = True
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="api-server", daemon=True)
            self._thread.start()
            log.info("API server listening on %s (started %s)", self.url, now_time())
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until stop() is called from another thread."""
        self._start_controllers()
        self._serving = True
        self._httpd.serve_forever()

    def stop(self) -> None:
        """Stop accepting, end open watches/log streams, close connections."""
        self.rest.closing = True
        self._httpd.closing = True
        if self._serving:
            self._httpd.shutdown()
            self._serving = False
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self.gc is not None:
            self.gc.stop()
        if self.namespaces is not None:
            self.namespaces.stop()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
