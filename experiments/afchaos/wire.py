"""Route every mutating request of the official kubernetes client through the safety guard.

`install()` (called by the safety control before an experiment's first activity, and by `k8s.Api`) wraps the
urllib3 pool of each `kubernetes.client.rest.RESTClientObject` created from then on. Both client generations
(<=36 and the rewritten 37) send every request through `pool_manager.request(method, url, ...)`, so one wrapper
sees every POST/PUT/PATCH/DELETE that chaosk8s, the suite's actions, its controls and `afsuite recover` make,
whatever Python API they called. Reads (GET/HEAD/OPTIONS) pass untouched. For a mutation the guard
(`safety.admit`) refuses it, lets it through, sends it with `dryRun=All`, or answers it here without sending it
(a dry run against a server without dry-run support): the stand-in answer is what such a server would return
for a change that did not happen (the object as it is now, or a Status `Success`), so the caller's client code
runs on as usual. Installing is explicit and idempotent; importing this module changes nothing.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import urlsplit

import urllib3

from experiments.afchaos import plan, safety

READS = frozenset({"GET", "HEAD", "OPTIONS"})
PROBE_TIMEOUT = 15.0


def install() -> None:
    """Guard every kubernetes client created in this process from now on (idempotent)."""
    from kubernetes.client import rest

    cls = rest.RESTClientObject
    if getattr(cls, "_afsuite_guarded", False):
        return
    original = cls.__init__

    @functools.wraps(original)
    def guarded_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.pool_manager = GuardedPool(self.pool_manager)

    cls.__init__ = guarded_init
    cls._afsuite_guarded = True


def uninstall() -> None:
    """Undo `install` (tests: the guard must not outlive the test that installed it)."""
    from kubernetes.client import rest

    cls = rest.RESTClientObject
    if getattr(cls, "_afsuite_guarded", False):
        cls.__init__ = cls.__init__.__wrapped__
        cls._afsuite_guarded = False


def installed() -> bool:
    from kubernetes.client import rest

    return bool(getattr(rest.RESTClientObject, "_afsuite_guarded", False))


class _Reader:
    """GETs on the same server with the same credentials, below the guard (node labels, stand-in answers)."""

    def __init__(self, pool: Any, server: str, headers: dict[str, str]) -> None:
        self.pool, self.server = pool, server
        self.headers = {k: v for k, v in headers.items() if k.lower() in ("authorization", "user-agent")}
        self.headers["Accept"] = "application/json"

    def raw(self, path: str) -> Any:
        return self.pool.request("GET", self.server + path, headers=self.headers, preload_content=True,
                                 timeout=urllib3.Timeout(total=PROBE_TIMEOUT))

    def get(self, path: str) -> dict[str, Any]:
        resp = self.raw(path)
        if resp.status != 200:
            raise safety.Refused(f"cannot read {path} to check it ({resp.status}): the guard refuses what it "
                                 "cannot check")
        return json.loads(resp.data or b"{}")


def _object_path(change: safety.Change) -> str | None:
    """The path of the object a change addresses (without subresource), or None for a collection."""
    if change.name is None:
        return None
    suffix = f"/{change.subresource}"
    return change.path[: -len(suffix)] if change.subresource and change.path.endswith(suffix) else change.path


def _probe(reader: _Reader, change: safety.Change) -> bool:
    """Whether the server honours dryRun=All, by a no-op: an empty merge patch sent with dryRun=All."""
    path = _object_path(change)
    if path is None:
        return False
    headers = {**reader.headers, "Content-Type": "application/merge-patch+json"}
    try:
        resp = reader.pool.request("PATCH", f"{reader.server}{path}?dryRun=All", body=b"{}", headers=headers,
                                   preload_content=True, timeout=urllib3.Timeout(total=PROBE_TIMEOUT))
    except urllib3.exceptions.HTTPError:
        return False
    return 200 <= resp.status < 300


def _with_dry_run(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "dryRun=All"


def _stand_in(change: safety.Change, reader: _Reader, body: Any) -> urllib3.HTTPResponse:
    """What a server would answer for a change that was not made."""
    status, data = 200, b""
    path = _object_path(change)
    if change.subresource == "eviction" or (change.method == "DELETE" and path is None):
        status, data = 201, json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {},
                                        "status": "Success", "code": 201}).encode()
    elif change.method == "POST" and path is None:
        status, data = 201, body if isinstance(body, bytes) else str(body or "{}").encode()
    elif path is not None:
        current = reader.raw(path)
        status, data = current.status, current.data or b"{}"
    return urllib3.HTTPResponse(body=data, status=status, reason="dry run: not sent", preload_content=False,
                                headers={"Content-Type": "application/json"})


def _answer(resp: Any) -> str:
    """Status code and (for an error) the Status message of a response, for the plan."""
    if 200 <= resp.status < 300:
        return str(resp.status)
    try:
        message = json.loads(resp.data or b"{}").get("message", "")
    except ValueError:
        message = ""
    return f"{resp.status} {message}".strip()


class GuardedPool:
    """A urllib3 pool manager whose mutating requests pass `safety.admit` first."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if method.upper() in READS:
            return self._inner.request(method, url, *args, **kwargs)
        parts = urlsplit(url)
        server = f"{parts.scheme}://{parts.netloc}"
        change = safety.parse_change(method, parts.path)
        reader = _Reader(self._inner, server, dict(kwargs.get("headers") or {}))
        decision = safety.admit(change, server=server, api=reader, probe_dry_run=lambda: _probe(reader, change))
        if not decision.send:
            return _stand_in(change, reader, kwargs.get("body"))
        resp = self._inner.request(method, _with_dry_run(url) if decision.dry_run_param else url, *args, **kwargs)
        if decision.dry_run_param:
            plan.update(decision.entry, server=_answer(resp))
        return resp
