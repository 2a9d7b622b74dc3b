"""Loading a run directory: schema checks, dtypes, derived columns, optional files."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analysis_runs import default_loadgen, make_streams, write_run

from analysis.derive import pooled_itl
from analysis.rundir import RunDirError, load_for_report, load_run, read_streams


def test_load_run_reads_every_column_and_derives_metrics(full_run):
    run = load_run(full_run)
    s = run.streams
    assert len(s) == 600 and run.skipped == {}
    assert {"stream_id", "request_id", "max_tokens", "usage_tokens", "bytes"} <= set(s.columns)
    assert isinstance(s["endpoint"].dtype, pd.CategoricalDtype)
    assert isinstance(s["outcome"].dtype, pd.CategoricalDtype)
    np.testing.assert_array_equal(s["ttft"], s["first_token"] - s["scheduled"])
    np.testing.assert_array_equal(s["dispatch_lag"], s["sent"] - s["scheduled"])
    np.testing.assert_array_equal(s["e2e"], s["end"] - s["scheduled"])
    np.testing.assert_allclose(s["tpot"], (s["last_token"] - s["first_token"]) / (s["events"] - 1))
    assert run.gaps is not None and len(run.gaps) == 600
    assert run.origin == run.manifest["started"]
    assert len(run.stages) == 2 and len(run.loadgen) == 60


def test_tpot_is_undefined_below_two_events(tmp_path):
    frame = make_streams(6)
    frame.loc[0, "events"] = 1
    frame.loc[1, "events"] = 0
    s = load_run(write_run(tmp_path, frame)).streams
    assert np.isnan(s["tpot"][0]) and np.isnan(s["tpot"][1]) and np.isfinite(s["tpot"][2])


def test_optional_integers_keep_their_nulls(full_run):
    s = load_run(full_run).streams
    assert str(s["max_tokens"].dtype) == "Int32"  # null for agent_run: not requested, not 0
    assert s.loc[s["endpoint"] == "agent_run", "max_tokens"].isna().all()
    assert (s.loc[s["endpoint"] != "agent_run", "max_tokens"] == 256).all()
    assert s["stream_id"].dtype == "string" and s["stream_id"][0] == "w0-0"


def test_report_columns_only(full_run):
    run = load_for_report(full_run)
    assert "stream_id" not in run.streams.columns and "request_id" not in run.streams.columns
    assert "gap_sample" not in run.streams.columns and run.gaps is not None


def test_missing_optional_files_are_skipped_with_reason(tmp_path):
    run = load_run(write_run(tmp_path, make_streams(30)))
    assert run.stages is None and run.loadgen is None
    assert "not found" in run.skipped["load/stages.parquet"]
    assert "not found" in run.skipped["load/loadgen.parquet"]


def test_missing_streams_file_gives_empty_frame_and_reason(tmp_path):
    run = load_run(write_run(tmp_path, None))
    assert len(run.streams) == 0 and "ttft" in run.streams.columns
    assert "streams.parquet not found" in run.skipped["streams.parquet"]


def test_missing_manifest_names_the_file(tmp_path):
    with pytest.raises(RunDirError, match=r"manifest\.json: missing"):
        load_run(tmp_path)


def test_bad_manifest_json_names_the_file(tmp_path):
    run = write_run(tmp_path, make_streams(3))
    (run / "manifest.json").write_text("{not json")
    with pytest.raises(RunDirError, match=r"manifest\.json: not readable JSON"):
        load_run(run)
    (run / "manifest.json").write_text(json.dumps({"started": "yesterday"}))
    with pytest.raises(RunDirError, match="'started'"):
        load_run(run)


def test_missing_column_names_file_and_column(tmp_path):
    run = write_run(tmp_path, make_streams(3))
    table = pq.read_table(run / "streams.parquet").drop_columns(["first_token"])
    pq.write_table(table, run / "streams.parquet")
    with pytest.raises(RunDirError, match=r"streams\.parquet: missing column\(s\) \['first_token'\]"):
        load_run(run)


def test_wrong_type_names_the_column(tmp_path):
    run = write_run(tmp_path, make_streams(3))
    table = pq.read_table(run / "streams.parquet")
    index = table.column_names.index("scheduled")
    table = table.set_column(index, "scheduled", pa.array(["soon"] * 3))
    pq.write_table(table, run / "streams.parquet")
    with pytest.raises(RunDirError, match="column 'scheduled' has type string, expected double"):
        load_run(run)


def test_compatible_types_are_cast(tmp_path):
    run = write_run(tmp_path, make_streams(3))
    table = pq.read_table(run / "streams.parquet")
    index = table.column_names.index("events")
    table = table.set_column(index, "events", table.column("events").cast(pa.int64()))
    pq.write_table(table, run / "streams.parquet")
    frame, _ = read_streams(run, ["events"])
    assert frame["events"].dtype == np.int32


def test_pooled_itl_explodes_with_weights(tmp_path):
    frame = make_streams(4)
    frame.at[0, "gap_sample"] = [0.01, 0.02]
    frame.at[0, "gap_count"] = 10
    frame.at[1, "gap_sample"] = []
    frame.at[1, "gap_count"] = 0
    frame.at[2, "gap_sample"] = [0.5, 0.25, 0.125]
    frame.at[2, "gap_count"] = 2  # fewer gaps than samples: each sample weighs 1
    streams, _ = read_streams(write_run(tmp_path, frame))
    pooled = pooled_itl(streams["gap_sample"], streams["gap_count"])
    first = pooled[pooled["row"] == 0]
    np.testing.assert_allclose(first["gap"], [0.01, 0.02], rtol=1e-6)
    np.testing.assert_array_equal(first["weight"], [5.0, 5.0])
    assert not (pooled["row"] == 1).any()
    np.testing.assert_array_equal(pooled.loc[pooled["row"] == 2, "weight"], [1.0, 1.0, 1.0])
    assert (pooled["row"] == 3).sum() == 8


def test_chunked_reader_unifies_row_groups_and_nulls(tmp_path):
    """Row groups with different string dictionaries, null strings and null integers."""
    frame = make_streams(9)
    frame["endpoint"] = ["agent_run"] * 3 + ["openai_chat", None, "native_chat"] + ["native_chat"] * 3
    frame["outcome"] = ["ok"] * 3 + ["ok", "timeout", "ok"] + ["stream_error"] * 3
    run = write_run(tmp_path, frame)
    table = pq.read_table(run / "streams.parquet")
    index = table.column_names.index("events")
    events = pa.array([10, None, 12, 13, 14, 15, 16, 17, 18], pa.int32())
    pq.write_table(table.set_column(index, "events", events), run / "streams.parquet", row_group_size=3)
    assert pq.ParquetFile(run / "streams.parquet").num_row_groups == 3
    streams = load_for_report(run).streams
    assert streams["endpoint"].astype(object).tolist() == [
        "agent_run", "agent_run", "agent_run", "openai_chat", np.nan, "native_chat",
        "native_chat", "native_chat", "native_chat",
    ]
    assert streams["outcome"].tolist() == frame["outcome"].tolist()
    assert streams["events"].tolist() == [10, 0, 12, 13, 14, 15, 16, 17, 18]  # null events count as 0
    assert np.isnan(streams["tpot"][1])
    whole, _ = read_streams(run)  # the whole-table reader (pandas' own conversion) agrees
    np.testing.assert_array_equal(whole["ttft"], streams["ttft"])
    assert whole["endpoint"].astype(object).tolist()[3:6] == ["openai_chat", np.nan, "native_chat"]


def _split_into_parts(run, name, parts):
    """Rewrite <name>.parquet as the part files a killed (unconsolidated) run leaves: <stem>/part-*.parquet."""
    table = pq.read_table(run / name)
    folder = (run / name).with_suffix("")
    folder.mkdir()
    bounds = np.linspace(0, table.num_rows, parts + 1).astype(int)
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        pq.write_table(table.slice(lo, hi - lo), folder / f"part-local-{i:06d}.parquet")
    (folder / "_part-local-999999.parquet").write_bytes(b"unfinished")  # skipped: not renamed into place yet
    (run / name).unlink()


def test_unconsolidated_run_reads_part_files(tmp_path):
    from analysis.pipeline import judge

    frame = make_streams(90)
    frame["endpoint"] = ["agent_run"] * 30 + ["openai_chat"] * 60  # the parts have different dictionaries
    frame.loc[75, ["first_token", "last_token", "end"]] += 9.0  # one very slow stream, in the last part
    run = write_run(tmp_path, frame, profile={"slos": {"ttft_p99": 1.0}}, loadgen=default_loadgen())
    _split_into_parts(run, "streams.parquet", 3)
    _split_into_parts(run, "load/loadgen.parquet", 2)
    loaded = load_for_report(run)
    assert len(loaded.streams) == 90 and len(loaded.loadgen) == 60 and len(loaded.gaps) == 90
    assert loaded.streams["endpoint"].astype(object).tolist() == frame["endpoint"].tolist()
    assert "streams.parquet was not consolidated: read 3 part file(s) from streams/" in loaded.notes
    assert any("load/loadgen" in note for note in loaded.notes)
    ttft = judge(loaded)[0][-2]
    assert ttft.name == "slo.ttft_p99" and ttft.verdict == "fail"
    assert ttft.evidence.objects[0].startswith("stream w0-75 (request_id req-")  # named across part files


def test_consolidated_file_wins_over_leftover_parts(tmp_path):
    run = write_run(tmp_path, make_streams(30))
    (run / "streams").mkdir()
    pq.write_table(pq.read_table(run / "streams.parquet").slice(0, 5), run / "streams" / "part-w0-000000.parquet")
    loaded = load_run(run)
    assert len(loaded.streams) == 30
    assert loaded.notes == ["streams.parquet: 1 part file(s) in streams/ were not read (the consolidated file was)"]
