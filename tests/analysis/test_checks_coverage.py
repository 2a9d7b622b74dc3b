"""What the observer did not see (issue 12): observer gaps make the checks that need those samples INCOMPLETE,
an API outage is the cluster's and not the service's, and no sample over a fault window is a gap too."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from analysis_runs import T0 as RUN_T0
from cluster_runs import T0, write_chaos_run

from analysis.report import build_report

SOURCES = ("deployments", "replicasets", "pods", "nodes", "hpa", "pdb", "endpoints", "events")


def _checks(outcome):
    return {c.name: c for c in outcome.checks}


def _fail_streams_ending_in(run, start, end):
    frame = pq.read_table(run / "streams.parquet").to_pandas()
    inside = (frame["end"] >= RUN_T0 + start) & (frame["end"] <= RUN_T0 + end)
    frame.loc[inside, "outcome"] = "timeout"
    frame.loc[inside, "error"] = "StreamTimeout"
    pq.write_table(pa.Table.from_pandas(frame, schema=pq.read_schema(run / "streams.parquet"),
                                        preserve_index=False), run / "streams.parquet")
    return int(inside.sum())


def _drop_samples(run, start, end):
    for path in (run / "cluster").glob("*.parquet"):
        frame = pq.read_table(path).to_pandas()
        keep = ~((frame["time"] > T0 + start) & (frame["time"] < T0 + end))
        pq.write_table(pa.Table.from_pandas(frame[keep], preserve_index=False), path)


def _gaps(run, times, sources=SOURCES, error="MaxRetryError: connection refused (API server down)"):
    rows = [{"time": T0 + t, "source": s, "error": error} for t in times for s in sources]
    pq.write_table(pa.Table.from_pandas(pd.DataFrame(rows, columns=["time", "source", "error"]),
                                        preserve_index=False), run / "cluster" / "gaps.parquet")


def test_an_api_outage_is_the_clusters_and_its_checks_are_incomplete(tmp_path):
    """Regression: the cluster API stopped during a pod kill; 63 % errors and survival.in_flight were blamed on
    AgentFlow while cluster/gaps.parquet was never read."""
    assert RUN_T0 == T0
    control = write_chaos_run(tmp_path / "control")
    failed = _fail_streams_ending_in(control, 31, 41)
    seen = _checks(build_report(control))
    assert failed > 40 and seen["slo.error_rate"].verdict == "fail"  # without the gaps: blamed on the service

    run = write_chaos_run(tmp_path / "outage")
    _fail_streams_ending_in(run, 31, 41)
    _drop_samples(run, 30, 42)
    _gaps(run, range(31, 42))
    outcome = build_report(run)
    checks = _checks(outcome)
    coverage = checks["cluster.coverage"]
    assert coverage.verdict == "incomplete"
    # failed samples at +31..+41 s (2 s sampling) and no sample between +30 and +42 s: blind +29 .. +43 s
    assert "+29.0 s .. +43.0 s" in coverage.evidence.sentence
    assert "cluster API did not answer" in coverage.evidence.sentence
    assert f"{failed} stream(s) that failed in it" in coverage.evidence.sentence
    assert "connection refused" in coverage.evidence.sentence
    assert checks["slo.error_rate"].verdict == "pass"  # the outage's failures are set aside, and said so
    for name in ("pdb.floor.agentflow", "survival.in_flight"):
        if name in checks:
            assert checks[name].verdict in ("incomplete", "skipped"), (name, checks[name].evidence.sentence)
    incomplete = [c for c in outcome.checks if c.verdict == "incomplete"]
    assert len(incomplete) >= 2 and all("observer did not see" in c.evidence.sentence or c.name == "cluster.coverage"
                                        for c in incomplete)
    assert outcome.overall == "incomplete" and outcome.exit_code == 3
    junit = (run / "report" / "junit.xml").read_text()
    assert 'type="Incomplete"' in junit and 'name="afsuite.exit_code" value="3"' in junit


def test_no_sample_over_a_fault_window_is_a_gap(tmp_path):
    """The observer stopped before the fault (it stopped at +30 s, the fault at +40 s): the checks of the fault
    cannot pass on samples that do not exist."""
    run = write_chaos_run(tmp_path / "stopped")
    _drop_samples(run, 30, 61)
    outcome = build_report(run)
    coverage = _checks(outcome)["cluster.coverage"]
    assert coverage.verdict == "incomplete" and "+30.0 s .. +60.0 s" in coverage.evidence.sentence
    assert outcome.overall in ("incomplete", "fail") and outcome.exit_code in (1, 3)
    assert not any(c.verdict == "pass" and c.kind in ("pdb", "survival") and c.evidence.window_s
                   and c.evidence.window_s[1] > 30 for c in outcome.checks)


def test_a_gap_no_check_needs_is_reported_not_judged(tmp_path):
    run = write_chaos_run(tmp_path / "events")
    _gaps(run, [20.0], sources=("events",), error="ReadTimeoutError")
    checks = _checks(build_report(run))
    assert checks["cluster.coverage"].verdict == "pass" and "events" in checks["cluster.coverage"].evidence.sentence


def test_a_full_observer_passes_coverage(tmp_path):
    checks = _checks(build_report(write_chaos_run(tmp_path / "fine")))
    assert checks["cluster.coverage"].verdict == "pass"


def _slow_streams_during(run, start, end, extra):
    frame = pq.read_table(run / "streams.parquet").to_pandas()
    inside = (frame["scheduled"] >= RUN_T0 + start) & (frame["scheduled"] <= RUN_T0 + end)
    frame.loc[inside, ["last_token", "end"]] += extra
    pq.write_table(pa.Table.from_pandas(frame, schema=pq.read_schema(run / "streams.parquet"),
                                        preserve_index=False), run / "streams.parquet")


def test_streams_slowed_by_an_api_outage_are_not_an_slo_failure_of_the_service(tmp_path):
    """The frozen cluster held streams for 15 s: E2E p99 fails, but on streams in flight during the outage."""
    control = write_chaos_run(tmp_path / "control")
    _slow_streams_during(control, 28, 40, 15.0)
    assert _checks(build_report(control))["slo.e2e_p99"].verdict == "fail"
    run = write_chaos_run(tmp_path / "outage")
    _slow_streams_during(run, 28, 40, 15.0)
    _drop_samples(run, 30, 42)
    _gaps(run, [41.0], sources=("deployments",), error="SlowAnswer: the API server took 11.0 s to answer")
    checks = _checks(build_report(run))
    assert checks["slo.e2e_p99"].verdict == "incomplete", checks["slo.e2e_p99"].evidence.sentence
    assert "cluster API did not answer" in checks["slo.e2e_p99"].evidence.sentence
    assert "cluster API did not answer" in checks["cluster.coverage"].evidence.sentence
