"""survival.by_length: in-flight streams by length at each disruption, the length beyond which they were cut,
and the verdict against the agent timeout (FAIL with the grace arithmetic on a 60 s grace, PASS on long-grace)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from cluster_runs import T0, cluster, deployments, pod_name, pods

from analysis.checks.survival_by_length import evaluate_survival_by_length

SAMPLES = [float(t) for t in range(0, 400, 2)]
A, B = pod_name("a"), pod_name("b")
PLACED = {A: ("node-a1", "zone-a"), B: ("node-b1", "zone-b")}
T_TERM = 100.0
LENGTHS = [5.0, 20.0, 40.0, 70.0, 150.0, 170.0]  # agent runs in flight on pod a, each half done at T_TERM


def agent_streams(allowed: float, pod: str = A, timeout_last: bool = False) -> pd.DataFrame:
    """Runs on `pod` in flight at T_TERM (started length/2 before it); those needing more than `allowed` after
    T_TERM are truncated when the pod dies (T_TERM + allowed); plus completed runs on pod b."""
    rows = []
    for i, length in enumerate(LENGTHS):
        start = T0 + T_TERM - length / 2
        needed = length / 2
        cut = needed > allowed
        end = T0 + T_TERM + allowed if cut else start + length
        rows.append({"stream_id": f"a-{i}", "pod": pod, "scheduled": start, "sent": start, "headers": start + 0.01,
                     "first_token": start + 0.2, "end": end, "outcome": "truncated" if cut else "ok",
                     "error": "truncated" if cut else None, "endpoint": "agent_run", "expected_s": length})
    for i in range(3):
        start = T0 + 10 * i
        rows.append({"stream_id": f"b-{i}", "pod": B, "scheduled": start, "sent": start, "headers": start,
                     "first_token": start + 0.2, "end": start + 30, "outcome": "ok", "error": None,
                     "endpoint": "agent_run", "expected_s": 30.0})
    frame = pd.DataFrame(rows)
    if timeout_last:
        frame.loc[5, ["outcome", "error", "end"]] = ["stream_error", "stream_error TIMEOUT", T0 + T_TERM + 20]
    return frame


def workload(grace: float, drain: float, spec=3) -> pd.DataFrame:
    frame = deployments(SAMPLES, spec=spec)
    return frame.assign(grace_s=grace, prestop_s=10.0, server_drain_s=drain, agent_timeout_s=180.0)


def pod_kill_mark(hard: bool = False) -> pd.DataFrame:
    return pd.DataFrame([{"experiment": "pod-kill", "activity": "delete_pods", "kind": "action",
                          "start": T0 + T_TERM - 1, "end": T0 + T_TERM + 60, "status": "succeeded", "hard": hard}])


def data(grace: float, drain: float, **kw):
    allowed = min(grace, 10.0 + drain)
    return cluster(stream_frame=agent_streams(allowed, timeout_last=kw.pop("timeout_last", False)),
                   mark_frame=kw.pop("mark_frame", pod_kill_mark()),
                   pods=pods(SAMPLES, PLACED, {A: {"terminating": lambda t: t >= T_TERM}}),
                   deployments=kw.pop("deployments", workload(grace, drain)), **kw)


def check(c):
    (result,) = evaluate_survival_by_length(c, T0)
    return result


def test_production_grace_cuts_long_agent_runs_with_the_arithmetic():
    result = check(data(60.0, 45.0))  # allowed min(60, 10 + 45) = 55 s: runs needing 70/2, 150/2, 170/2 > 55
    assert result.verdict == "fail" and result.measured == 2  # 150 and 170 s runs; the 70 s one needed 35 s
    text = result.evidence.sentence
    assert "delete_pods" in text and A in text
    assert "grace 60 s, preStop 10 s, server drain 45 s" in text and "= 55 s" in text
    assert "< agent timeout 180 s" in text
    assert "still needed more than ~75 s" in text and "the longest that survived needed 35 s" in text
    table = result.evidence.details["by_length"]["delete_pods"]
    assert table["120-180 s"] == {"cut": 2} and table["60-120 s"] == {"completed": 1}
    assert table["<10 s"] == {"completed": 1} and table["30-60 s"] == {"completed": 1}
    assert result.evidence.details["allowed_s"] == 55.0
    assert any("length 150 s" in o for o in result.evidence.objects)


def test_long_grace_passes_the_same_check():
    result = check(data(200.0, 190.0))
    assert result.verdict == "pass" and result.measured == 0
    assert "none shorter than the agent timeout 180 s was cut" in result.evidence.sentence
    assert ">= agent timeout 180 s" in result.evidence.sentence
    assert result.evidence.details["by_length"]["delete_pods"]["120-180 s"] == {"completed": 2}


def test_agent_timeout_is_not_the_disruptions_doing():
    result = check(data(200.0, 190.0, timeout_last=True))
    assert result.verdict == "pass"
    assert result.evidence.details["by_length"]["delete_pods"]["120-180 s"] == {"completed": 1, "timed_out": 1}


def test_hard_fault_is_left_to_the_hard_fault_checks():
    assert check(data(60.0, 45.0, mark_frame=pod_kill_mark(hard=True))).verdict == "pass"


def test_hpa_scale_down_is_named_as_the_disruption():
    scaled = workload(60.0, 45.0, spec=lambda t: 3 if t < T_TERM - 10 else 2)
    result = check(data(60.0, 45.0, mark_frame=None, deployments=scaled))
    assert result.verdict == "fail" and "hpa-scale-down" in result.evidence.sentence
    assert set(result.evidence.details["by_length"]) == {"hpa-scale-down"}
    assert result.evidence.details["pods"] == {"hpa-scale-down": [A]}  # the ReplicaSet's victim and its streams
    assert "hpa-scale-down: 6 stream(s) on 1 pod(s) (completed 4, cut 2)" in result.evidence.sentence


def test_older_run_without_expected_length_uses_lower_bounds():
    c = data(60.0, 45.0)
    c.streams = c.streams.drop(columns=["expected_s"])
    result = check(c)
    assert result.verdict == "fail" and result.measured == 2
    assert result.evidence.details["by_length"]["delete_pods"]["unknown"] == {"cut": 2}
    assert "grace settings" not in result.evidence.sentence


def test_without_grace_columns_it_still_judges_by_the_default_timeout():
    c = data(60.0, 45.0, deployments=deployments(SAMPLES))
    result = check(c)
    assert result.verdict == "fail" and "grace settings not recorded" in result.evidence.sentence


def test_skips_without_terminations_or_in_flight_streams():
    quiet = cluster(stream_frame=agent_streams(55.0), pods=pods(SAMPLES, PLACED))
    assert check(quiet).verdict == "skipped"
    late = data(60.0, 45.0)
    late.streams = late.streams.assign(sent=late.streams["sent"] + 1000, scheduled=np.nan)
    assert check(late).verdict == "skipped"


def test_run_directory_without_the_late_column_still_loads(tmp_path):
    import pyarrow.parquet as pq
    from analysis_runs import make_streams, write_run

    from analysis.cluster import load_cluster
    from analysis.rundir import load_run

    run = write_run(tmp_path, make_streams(20))
    table = pq.read_table(run / "streams.parquet")
    pq.write_table(table.drop(["expected_s"]), run / "streams.parquet")  # as written before expected_s existed
    assert "expected_s" not in load_run(run).streams.columns and len(load_run(run).streams) == 20
    assert "expected_s" not in load_cluster(run).streams.columns
    pq.write_table(table, run / "streams.parquet")
    assert load_cluster(run).streams["expected_s"].isna().all()


def test_a_mark_without_activity_names_its_experiment():
    mark = pod_kill_mark().assign(activity=None)
    result = check(data(60.0, 45.0, mark_frame=mark))
    assert set(result.evidence.details["by_length"]) == {"pod-kill"}
