"""Loading cluster/ and chaos/ files, and every cluster check in report.md / html / junit / summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analysis_runs import make_streams, write_run
from cluster_runs import T0, marks, write_chaos_run

from analysis.cluster import load_cluster
from analysis.columnar import RunDirError
from analysis.report import build_report


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    run = write_chaos_run(tmp_path_factory.mktemp("chaos"), stuck=True)
    return run, build_report(run)


def test_every_cluster_check_reaches_every_report_file(built):
    _, outcome = built
    names = [c.name for c in outcome.checks]
    for expected in ("phase.fault.ttft_p99", "recovery.terminate-pod", "hpa.bounds", "pdb.floor", "pdb.drains",
                     "placement.anti_affinity", "placement.zone_skew", "survival.in_flight",
                     "readiness.after_unready", "experiment.pod-kill"):
        assert expected in names
    md = outcome.report_md.read_text()
    html = outcome.report_html.read_text()
    summary = json.loads((outcome.report_dir / "summary.json").read_text())
    cases = ET.parse(outcome.report_dir / "junit.xml").getroot().findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == names == [c["name"] for c in summary["checks"]]
    for name in names:  # per-phase SLOs are folded into one table, recovery into one row per fault
        assert f'data-check="{name}"' in html
        if name.startswith("phase."):
            assert f"| {name.split('.')[1]} |" in md
        elif name.startswith("recovery."):
            assert f"| {name.removeprefix('recovery.')} |" in md
        else:
            assert f"| {name} |" in md
    drains = next(c for c in cases if c.get("name") == "pdb.drains")
    assert drains.find("failure") is not None and "node-a1" in drains.find("failure").text
    assert outcome.overall == "fail" and outcome.exit_code == 1
    assert (outcome.report_dir / "plots" / "cluster.png").read_bytes().startswith(b"\x89PNG")
    assert md.count("](plots/") == 5  # load, cluster, the HPA plot (HPA samples) and survival by length
    for panel in ("replicas", "pdb", "ttft_itl"):
        assert f'"key":"{panel}"' in html
    assert (outcome.report_dir / "plots" / "hpa.png").read_bytes().startswith(b"\x89PNG")
    assert (outcome.report_dir / "plots" / "survival_by_length.png").read_bytes().startswith(b"\x89PNG")
    assert "survival.by_length" in names


def test_load_cluster_reads_and_skips(tmp_path):
    run = write_chaos_run(tmp_path)
    (run / "cluster" / "hpa.parquet").unlink()
    (run / "chaos" / "marks.parquet").unlink()
    (run / "chaos" / "marks.jsonl").write_text(json.dumps(
        {"experiment": "e", "activity": "kill", "kind": "action", "start": T0 + 1, "end": T0 + 2, "status": "ok"})
        + "\n{\"half\": ")  # a killed writer's half line at the end is ignored
    data = load_cluster(run)
    assert data.frame("hpa") is None and "cluster/hpa.parquet" in data.skipped
    assert data.marks["activity"].tolist() == ["kill"]
    assert data.records["drains"][0]["nodes"] == ["node-a1"] and data.records["floor"] is None
    assert set(data.journals) == {"pod-kill"} and data.streams["pod"].notna().all()



def test_cluster_streams_share_the_report_frame_instead_of_a_second_copy(tmp_path):
    """Regression (10 M-stream benchmark): the cluster checks read every stream column again, 1.2 GiB more peak
    memory. Given the report's frame they share its columns (copy-on-write) and read only the missing ones."""
    import numpy as np
    import pandas as pd

    from analysis.rundir import load_for_report

    run = write_chaos_run(tmp_path)
    alone = load_cluster(run).streams
    report = load_for_report(run)
    shared = load_cluster(run, loaded_streams=report.streams).streams
    columns = sorted(alone.columns)
    assert sorted(shared.columns) == columns
    for column in columns:  # same values; categories may be ordered differently
        pd.testing.assert_series_equal(alone[column].astype(object), shared[column].astype(object), obj=column)
    assert np.shares_memory(shared["scheduled"].to_numpy(), report.streams["scheduled"].to_numpy())


def test_bad_cluster_file_names_file_and_column(tmp_path):
    run = write_chaos_run(tmp_path)
    pq.write_table(pa.table({"time": [1.0], "name": ["x"]}), run / "cluster" / "pdb.parquet")
    with pytest.raises(RunDirError, match=r"pdb.parquet: missing column\(s\) \['desired_healthy'"):
        load_cluster(run)


def test_pure_load_run_gets_no_cluster_checks(tmp_path):
    run = write_run(tmp_path, make_streams(60))
    outcome = build_report(run)
    assert not [c for c in outcome.checks if c.kind not in ("slo", "validity")]
    assert not (outcome.report_dir / "plots" / "cluster.png").exists()


def test_marks_and_stages_reach_the_plots(built):
    from analysis.rundir import load_for_report
    from analysis.verdict import analyse

    run, _ = built
    analysis = analyse(load_for_report(run))
    assert analysis.mark_spans == [("terminate-pod", 40.0, 45.0)]
    assert [s[0] for s in analysis.stage_spans] == ["warmup", "steady"]


def test_bad_behavior_json_names_file_and_column(tmp_path):
    from analysis.checks.hpa import behavior

    with pytest.raises(RunDirError, match=r"cluster/hpa\.parquet column behavior: not valid JSON"):
        behavior("{not json")
    assert behavior(None)[1]["stabilizationWindowSeconds"] == 300  # upstream default scale-down window


def test_declared_windows_are_labelled_on_the_timeline(tmp_path):
    from analysis.rundir import load_for_report
    from analysis.verdict import analyse

    run = write_chaos_run(tmp_path / "declared")
    frame = marks(("every-pod-down", 40, 45), ("error-rate-on-every-pod", 10, 20), ("terminate-pod", 50, 51))
    frame["intended"] = ["outage", "errors", None]
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), run / "chaos" / "marks.parquet")
    spans = analyse(load_for_report(run)).mark_spans
    assert [s[0] for s in spans] == ["error-rate-on-every-pod (declared error injection)",
                                     "every-pod-down (declared outage)", "terminate-pod"]
