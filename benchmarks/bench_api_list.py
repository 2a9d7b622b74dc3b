"""Benchmark: latency of listing 200 pods from the local cluster API server.

Method: start `ApiServer` in this process on a free 127.0.0.1 port, create N (default 200) realistic
pods (labels, ownerReferences, one container with ports/resources/probes/env, a status with four
conditions and a containerStatus) in one namespace, warm up, then time `repeats` sequential calls of

  * server: the server-side handler alone (RestApi.handle for the list route, no HTTP)
  * http:   CoreV1Api.list_namespaced_pod(ns, _preload_content=False) and read the whole body: the
            list's answer time as the client sees it (request, server, transfer)
  * json:   http + json.loads of the body
  * typed:  CoreV1Api.list_namespaced_pod(ns): json + the client's model building (V1Pod objects)
  * labels: typed with a labelSelector matching half the pods

and print median / p99 / mean in milliseconds. Target: the list answers (`http`) in under 20 ms median.
`typed` is dominated by the kubernetes client's own deserialisation (python-dateutil parses every
timestamp; about 7 per pod), which no server can shorten. The client runs in the server's process (as in
the tests), so both sides share one GIL; the machine's other load shows up in every number.

Run: .venv/bin/python benchmarks/bench_api_list.py [--pods 200] [--repeats 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kubernetes import client, config

from localcluster.api import ApiServer, write_kubeconfig
from localcluster.api.http import Request
from localcluster.api.routes import parse_path


def make_pod(i: int) -> dict:
    name = f"agentflow-7d9f8c6b5-{i:05d}"
    return {
        "metadata": {
            "name": name,
            "namespace": "bench",
            "labels": {"app": "agentflow", "pod-template-hash": "7d9f8c6b5", "shard": str(i % 2)},
            "annotations": {"agentflow.io/revision": "3"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "agentflow-7d9f8c6b5",
                    "uid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": f"node-{i % 6}",
            "containers": [
                {
                    "name": "server",
                    "image": "agentflow/reference:1.4",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "env": [{"name": "AGENTFLOW_MODE", "value": "reference"}, {"name": "PORT", "value": "8080"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m"}},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 2},
                    "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                }
            ],
        },
    }


def make_status(i: int) -> dict:
    ts = "2025-01-01T00:00:00Z"
    conds = [
        {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": ts}
        for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
    ]
    return {
        "phase": "Running",
        "conditions": conds,
        "hostIP": f"10.0.0.{i % 6}",
        "podIP": f"10.244.{i // 250}.{i % 250}",
        "startTime": ts,
        "containerStatuses": [
            {
                "name": "server",
                "ready": True,
                "restartCount": 0,
                "started": True,
                "image": "agentflow/reference:1.4",
                "imageID": "local://agentflow/reference:1.4",
                "state": {"running": {"startedAt": ts}},
            }
        ],
    }


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{name:<8} n={len(samples):<4} median={statistics.median(samples):7.2f} ms  "
        f"p99={p99:7.2f} ms  mean={statistics.fmean(samples):7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    with ApiServer() as server, tempfile.TemporaryDirectory() as tmp:
        store = server.store
        store.create("namespaces", {"metadata": {"name": "bench"}})
        for i in range(args.pods):
            pod = store.create("pods", make_pod(i))
            pod["status"] = make_status(i)
            store.update_status("pods", pod)
        kubeconfig = write_kubeconfig(Path(tmp) / "kubeconfig", server.url)
        api_client = config.new_client_from_config(str(kubeconfig))
        v1 = client.CoreV1Api(api_client)
        assert len(v1.list_namespaced_pod("bench").items) == args.pods
        size = len(v1.list_namespaced_pod("bench", _preload_content=False).data)
        print(f"{args.pods} pods, list body {size / 1024:.0f} KiB, {args.repeats} calls each")
        for _ in range(20):
            v1.list_namespaced_pod("bench")
        route = parse_path("/api/v1/namespaces/bench/pods")
        req = Request("GET", "/api/v1/namespaces/bench/pods", {}, {})
        report("server", timed(lambda: server.rest.handle(req, route), args.repeats))  # type: ignore[arg-type]
        report("http", timed(lambda: v1.list_namespaced_pod("bench", _preload_content=False).data, args.repeats))
        report("json", timed(lambda: json.loads(v1.list_namespaced_pod("bench", _preload_content=False).data),
                             args.repeats))
        report("typed", timed(lambda: v1.list_namespaced_pod("bench"), args.repeats))
        report("labels", timed(lambda: v1.list_namespaced_pod("bench", label_selector="shard=1"), args.repeats))
        api_client.close()


if __name__ == "__main__":
    main()
