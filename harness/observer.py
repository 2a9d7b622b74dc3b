"""The cluster observer: samples the Kubernetes API of the target once a second into `cluster/*.parquet`.

Read-only, with the permissions of a namespaced viewer plus `list nodes`. Each tick lists deployments,
replicasets, the workload's pods, nodes, HPAs, PDBs, EndpointSlices and events of the namespace, and the
workload's metrics.k8s.io PodMetrics (what the HPA reads; not asked again once the API answers 403 or 404:
not served, or not allowed), and appends
one row per object to a `PartWriter` per table (crash-safe part files, consolidated at stop). An API error
does not stop it: the failed tick is recorded in `cluster/gaps.parquet` and sampling goes on; so is an answer
that took longer than SLOW_ANSWER_S (a frozen API server answers late, not never), stamped when it came. Memory is
bounded: rows are flushed every few seconds and events are deduplicated by (uid, count) over a bounded set.
Raw JSON is read (`_preload_content=False`) so the sample does not depend on the client's model classes.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from harness import observer_rows as rows
from harness.alerts_recorder import recorder_for
from harness.sampler import Sampler
from harness.target import Target, kube_api_client
from rundir.parts import PartWriter

SEEN_EVENTS_MAX = 20_000
OPTIONAL_SOURCES = ("pod_metrics",)  # a cluster without metrics-server (404) or the permission (403)
SLOW_ANSWER_S = 3.0


class Observer(Sampler):
    """`start()` samples in a daemon thread until `stop()`; `sample_once()` is one tick (for tests). A tick
    records its own API errors (`cluster/gaps.parquet`), so the loop survives them all."""

    thread_name = "cluster-observer"

    def __init__(self, target: Target, run_dir: Path, *, interval: float = 1.0, flush_seconds: float = 5.0) -> None:
        directory = Path(run_dir) / "cluster"
        super().__init__(directory, {
            name: PartWriter(directory / name, schema, "obs", flush_rows=5000, flush_seconds=flush_seconds)
            for name, schema in rows.SCHEMAS.items()
        }, rows.SCHEMAS, interval)
        self.target = target
        self._api = kube_api_client(target)
        self._seen_events: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._unavailable: set[str] = set()  # optional sources the cluster does not serve or allow
        self._alerts = recorder_for(target, run_dir)  # cluster/alerts.parquet when the target has a Prometheus
        self.ticks = 0

    # -- API access ---------------------------------------------------------------------------------------
    def _get(self, path: str, **query: str) -> dict[str, Any]:
        resp = self._api.call_api(  # type: ignore[attr-defined]
            path, "GET", query_params=list(query.items()), header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
            _request_timeout=5.0,
        )
        return json.loads(resp.data)

    def _items(self, path: str, **query: str) -> list[dict[str, Any]]:
        return self._get(path, **query).get("items") or []

    # -- one tick -----------------------------------------------------------------------------------------
    def sample_once(self) -> None:
        now = time.time()
        ns, sel = self.target.namespace, self.target.selector
        sources = {
            "deployments": (f"/apis/apps/v1/namespaces/{ns}/deployments", {}),
            "replicasets": (f"/apis/apps/v1/namespaces/{ns}/replicasets", {"labelSelector": sel}),
            "pods": (f"/api/v1/namespaces/{ns}/pods", {"labelSelector": sel}),
            "nodes": ("/api/v1/nodes", {}),
            "hpa": (f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers", {}),
            "pdb": (f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", {}),
            "endpoints": (f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", {}),
            "events": (f"/api/v1/namespaces/{ns}/events", {}),
            "pod_metrics": (f"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods", {"labelSelector": sel}),
        }
        fetched: dict[str, list[dict[str, Any]]] = {}
        for name, (path, query) in sources.items():
            if name in self._unavailable:
                continue
            asked = time.monotonic()
            try:
                fetched[name] = self._items(path, **query)
            except Exception as exc:  # the observer survives any API failure and records it
                self.errors += 1
                if name in OPTIONAL_SOURCES and getattr(exc, "status", None) in (403, 404):
                    self._unavailable.add(name)
                self._writers["gaps"].add([rows.gap_row(time.time(), name, exc)])
                continue
            took = time.monotonic() - asked
            if took > SLOW_ANSWER_S:  # an answer this late says nothing about the seconds it took
                self._writers["gaps"].add([rows.slow_row(time.time(), name, took)])
        zones = {n["metadata"]["name"]: rows.zone_of(n) for n in fetched.get("nodes", [])}
        for name, items in fetched.items():
            if name == "events":
                items = self._new_events(items)
            self._writers[name].add(rows.ROW_MAKERS[name](now, items, zones))
        for writer in self._writers.values():
            writer.tick()
        self.ticks += 1

    def _new_events(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fresh = []
        for ev in items:
            key = (ev["metadata"].get("uid", ev["metadata"]["name"]), int(ev.get("count") or 1))
            if key in self._seen_events:
                continue
            self._seen_events[key] = None
            fresh.append(ev)
        while len(self._seen_events) > SEEN_EVENTS_MAX:
            self._seen_events.popitem(last=False)
        return fresh

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> Observer:
        super().start()
        if self._alerts is not None:
            self._alerts.start()
        return self

    def stop(self) -> dict[str, int]:
        """Stop sampling, flush, and consolidate every table into `cluster/<table>.parquet` (and the alert
        recorder's); row counts."""
        counts = super().stop()
        self._api.close()  # type: ignore[attr-defined]
        if self._alerts is not None:
            counts.update(self._alerts.stop())
        return counts
