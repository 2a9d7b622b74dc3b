"""The local cluster's HPA on REAL CPU: load through the service proxy makes the pods' processes burn CPU
(`--cpu-per-token-ms`), the HPA scales up no faster than its policy allows, holds through the scale-down
stabilization window after the load stops, then scales down at the configured rate back to minReplicas.

The workload is the production manifest with a small CPU request and an HPA whose behavior is explicit (under
the `fast` time scale every window and period in the spec is divided by 5: scale-up 1 pod / 3 s; scale-down
window 20 s, then 1 pod / 10 s). The CPU scale is 1 (real units, as the test's name says). Traffic goes only
to 127.0.0.1 and the load loop is bounded in time."""

from __future__ import annotations

import itertools
import threading
import time

import httpx
import pytest
import yaml

from localcluster.handle import LocalCluster
from localcluster.workload.manifests import DEFAULT_FILE

UP_PERIOD, DOWN_WINDOW, DOWN_PERIOD = 3.0, 20.0, 10.0  # the spec's values after the fast time scale (/5)
BODY = {"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "burn some cpu please"}]}


def manifests(tmp_path):
    docs = list(yaml.safe_load_all(DEFAULT_FILE.read_text()))
    for doc in docs:
        if doc["kind"] == "Deployment":
            doc["spec"]["replicas"] = 2
            c = doc["spec"]["template"]["spec"]["containers"][0]
            c["resources"]["requests"]["cpu"] = "100m"
            args = c["args"]
            args[args.index("--cpu-per-token-ms") + 1] = "3"
        if doc["kind"] == "HorizontalPodAutoscaler":
            doc["spec"].update({"minReplicas": 2, "maxReplicas": 5, "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                            "averageUtilization": 50}}}]})
            doc["spec"]["behavior"] = {
                "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Pods", "value": 1,
                                                                           "periodSeconds": 15}]},
                "scaleDown": {"stabilizationWindowSeconds": 100, "policies": [{"type": "Pods", "value": 1,
                                                                               "periodSeconds": 50}]}}
        if doc["kind"] == "PodDisruptionBudget":
            doc["spec"]["minAvailable"] = 1
    path = tmp_path / "hpa.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return path


def load(url: str, key: str, streams: int, seconds: float, stop: threading.Event) -> None:
    def worker() -> None:
        end = time.monotonic() + seconds
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < end and not stop.is_set():
                try:
                    headers = {"X-API-Key": key, "X-Forwarded-For": f"10.0.0.{threading.get_ident() % 250}"}
                    with client.stream("POST", url + "/api/v1/chat/completions/stream", json=BODY,
                                       headers=headers) as r:
                        for _ in r.iter_raw():
                            pass
                except httpx.HTTPError:
                    pass
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 40)


def replicas(lc: LocalCluster) -> int:
    dep = httpx.get(f"{lc.api_url}/apis/apps/v1/namespaces/{lc.namespace}/deployments/agentflow", timeout=10).json()
    return int(dep["spec"]["replicas"])


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_hpa_scales_on_real_cpu_within_policy_and_after_the_window(tmp_path):
    with LocalCluster(state_dir=tmp_path / "c", time_scale="fast", manifests=manifests(tmp_path), cpu_scale=1) as lc:
        history: list[tuple[float, int]] = [(time.monotonic(), replicas(lc))]
        stop = threading.Event()
        loader = threading.Thread(target=load, args=(lc.service_url, lc.api_key, 6, 60.0, stop), daemon=True)
        loader.start()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and history[-1][1] < 4:
            time.sleep(0.5)  # sampling the deployment's replicas, bounded by the deadline
            history.append((time.monotonic(), replicas(lc)))
        stop.set()
        loader.join(60)
        load_end = time.monotonic()
        assert history[-1][1] >= 4, f"no scale-up on real CPU: {history[-5:]}"
        ups = [(t, n) for (t, n), (_, prev) in zip(history[1:], history, strict=False) if n > prev]
        for (t1, _n1), (t2, _n2) in itertools.pairwise(ups):
            assert t2 - t1 >= UP_PERIOD - 1.0, f"scale-up faster than 1 pod / {UP_PERIOD} s: {ups}"
        assert all(n - prev <= 1 for (_, n), (_, prev) in zip(history[1:], history, strict=False))
        peak = history[-1][1]
        down: list[tuple[float, int]] = []
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            time.sleep(0.5)
            n = replicas(lc)
            if n < (down[-1][1] if down else peak):
                down.append((time.monotonic(), n))
            if n == 2:
                break
        assert down and down[-1][1] == 2, f"never scaled back to minReplicas: {down}"
        assert down[0][0] - load_end >= DOWN_WINDOW - 3.0, f"scaled down before the window: {down}"
        for (t1, _), (t2, _) in itertools.pairwise(down):
            assert t2 - t1 >= DOWN_PERIOD - 1.5, f"scale-down faster than 1 pod / {DOWN_PERIOD} s: {down}"
