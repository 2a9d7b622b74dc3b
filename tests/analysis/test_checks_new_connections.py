"""readiness.new_connections: new connections opened during a fault must all get a complete stream; a failure
names the cold pod (Ready, yet answering 503) with when it became Ready."""

from __future__ import annotations

from cluster_runs import T0, cluster, pod_name, pods

from analysis.checks.new_connections import evaluate_new_connections

SAMPLES = [float(t) for t in range(0, 40)]
COLD = pod_name("new")


def canary(failing: int) -> list[dict]:
    rows = [{"time": T0 + 10 + i * 0.25, "end": T0 + 10.2 + i * 0.25, "pod": pod_name(i % 3), "status": 200,
             "outcome": "ok", "error": None} for i in range(40)]
    rows += [{"time": T0 + 21 + i * 0.5, "end": T0 + 21.01 + i * 0.5, "pod": COLD, "status": 503,
              "outcome": "http_error", "error": "SERVICE_UNAVAILABLE"} for i in range(failing)]
    return rows


def frames():
    placed = {pod_name(i): ("node-a1", "zone-a") for i in range(3)} | {COLD: ("node-b1", "zone-b")}
    return pods(SAMPLES, placed, {COLD: {"ready": lambda t: t >= 20}})


def test_every_new_connection_served_passes():
    (result,) = evaluate_new_connections(cluster(records={"canary": canary(0)}, pods=frames()), T0)
    assert result.verdict == "pass" and "All 40 new connections" in result.evidence.sentence


def test_a_ready_pod_answering_503_is_named_as_cold():
    (result,) = evaluate_new_connections(cluster(records={"canary": canary(4)}, pods=frames()), T0)
    assert result.verdict == "fail" and result.measured == 4
    assert COLD in result.evidence.sentence
    (named,) = result.evidence.objects
    assert named.startswith(COLD) and "SERVICE_UNAVAILABLE x4" in named and "Ready since +20.0 s (cold)" in named


def test_without_new_connection_checks_it_is_skipped():
    (result,) = evaluate_new_connections(cluster(pods=frames()), T0)
    assert result.verdict == "skipped"
