"""Endpoint view of one Service, learnt by watching EndpointSlices and applied after a propagation delay.

Like kube-proxy, the data path learns of endpoint changes late: every change seen on the API is applied
only `propagation_delay` seconds after it was observed. That lag is what makes a missing preStop hook
visible as refused connections.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class Backend:
    host: str
    port: int
    pod: str


def _slice_port(ports: list[dict], port_name: str | None) -> int | None:
    for p in ports:
        if port_name is None or p.get("name") == port_name:
            return int(p["port"])
    return None


def ready_backends(slices: dict[str, dict], port_name: str | None = None) -> list[Backend]:
    """Backends of every endpoint whose `conditions.ready` is true, on the slice port named `port_name`
    (the first port when None), sorted for a stable round robin."""
    out: set[Backend] = set()
    for sl in slices.values():
        port = _slice_port(sl.get("ports") or [], port_name)
        if port is None:
            continue
        for ep in sl.get("endpoints") or []:
            if not (ep.get("conditions") or {}).get("ready", False):
                continue
            pod = ((ep.get("targetRef") or {}).get("name")) or ""
            for addr in ep.get("addresses") or []:
                out.add(Backend(addr, port, pod))
    return sorted(out, key=lambda b: (b.host, b.port))


class EndpointWatcher:
    """Watches the EndpointSlices of one Service and publishes the ready set after a delay.

    `on_change(backends)` is called from a timer thread; the watch loop runs in a daemon thread.
    """

    def __init__(
        self,
        api_url: str,
        namespace: str,
        service: str,
        propagation_delay: float,
        on_change: Callable[[list[Backend]], None],
        token: str | None = None,
        port_name: str | None = None,
    ) -> None:
        self._port_name = port_name
        self._url = f"{api_url.rstrip('/')}/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices"
        self._selector = f"kubernetes.io/service-name={service}"
        self._delay = propagation_delay
        self._on_change = on_change
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._slices: dict[str, dict] = {}
        self._observed = 0  # views published so far (their observation numbers)
        self._applied = 0  # the newest view the data path has
        self._apply_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="endpoint-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _publish(self) -> None:
        """Apply the current view after the delay. Each view waits on its own timer thread, and two timers that
        are due together may wake in either order, so every view carries its observation number and a view older
        than one already applied is dropped: the data path never goes back to an older view (it did, and kept a
        pod out of the Service until the next endpoint change)."""
        backends = ready_backends(self._slices, self._port_name)
        self._observed += 1  # only the watch thread publishes
        if self._delay <= 0:
            self._apply(self._observed, backends)
            return
        timer = threading.Timer(self._delay, self._apply, args=(self._observed, backends))
        timer.daemon = True
        timer.start()

    def _apply(self, seq: int, backends: list[Backend]) -> None:
        with self._apply_lock:
            if seq <= self._applied:
                return
            self._applied = seq
            self._on_change(backends)

    def _run(self) -> None:
        with httpx.Client(headers=self._headers, timeout=httpx.Timeout(10.0, read=None)) as client:
            while not self._stop.is_set():
                try:
                    rv = self._list(client)
                    self._watch(client, rv)
                except (httpx.HTTPError, ValueError, KeyError):
                    self._stop.wait(0.5)  # API unreachable: retry; the current view stays in force

    def _list(self, client: httpx.Client) -> str:
        resp = client.get(self._url, params={"labelSelector": self._selector})
        resp.raise_for_status()
        body = resp.json()
        self._slices = {it["metadata"]["name"]: it for it in body.get("items") or []}
        self._publish()
        return str(body["metadata"]["resourceVersion"])

    def _watch(self, client: httpx.Client, rv: str) -> None:
        params = {"labelSelector": self._selector, "watch": "true", "resourceVersion": rv,
                  "timeoutSeconds": "300"}
        with client.stream("GET", self._url, params=params) as resp:
            resp.raise_for_status()
            for line in resp.iter_lines():
                if self._stop.is_set():
                    return
                if not line.strip():
                    continue
                event = json.loads(line)
                kind, obj = event["type"], event["object"]
                if kind == "ERROR":
                    return  # expired resourceVersion: relist
                name = obj["metadata"]["name"]
                if kind == "DELETED":
                    self._slices.pop(name, None)
                else:
                    self._slices[name] = obj
                self._publish()

