"""Parquet sink: batching by rows and time, consolidation, readability after a kill, row accounting."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from loadrun_helpers import REPO, wait_until

from loadtests.record import StreamRecord, arrow_schema
from loadtests.sink import Accounting, StageLog, stream_id_count
from rundir.parts import PartWriter, consolidate, part_files, read_table
from rundir.schemas import LOADGEN_SCHEMA, STAGES_SCHEMA


def rows(start: int, n: int) -> list[dict]:
    return [StreamRecord(stream_id=f"w0-{i}", worker="w0", endpoint="native_chat", stage="s", open_loop=False,
                         scheduled=float(i), sent=float(i), end=float(i) + 1, status=200, outcome="ok", events=3,
                         gap_sample=[0.1, 0.2]).to_row() for i in range(start, start + n)]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_part_writer_flushes_every_n_rows(tmp_path):
    writer = PartWriter(tmp_path / "streams", arrow_schema(), "local", flush_rows=10)
    writer.add(rows(0, 9))
    assert part_files(tmp_path / "streams") == [] and writer.pending == 9
    writer.add(rows(9, 1))
    assert len(part_files(tmp_path / "streams")) == 1 and writer.pending == 0
    writer.add(rows(10, 25))  # one add over the threshold writes everything buffered as one part
    parts = part_files(tmp_path / "streams")
    assert [pq.read_metadata(p).num_rows for p in parts] == [10, 25]
    assert writer.rows_written == 35


def test_part_writer_flushes_after_t_seconds_and_on_demand(tmp_path):
    clock = Clock()
    writer = PartWriter(tmp_path / "p", arrow_schema(), "w", flush_rows=1000, flush_seconds=2.0, clock=clock)
    writer.add(rows(0, 3))
    clock.now = 1.9
    writer.tick()
    assert part_files(tmp_path / "p") == []
    clock.now = 2.0
    writer.tick()
    assert len(part_files(tmp_path / "p")) == 1
    writer.tick()  # nothing buffered: no empty part
    writer.add(rows(3, 2))
    assert writer.flush() == 2 and writer.flush() == 0
    assert len(part_files(tmp_path / "p")) == 2


def test_consolidate_merges_in_order_and_is_repeatable(tmp_path):
    parts, target = tmp_path / "streams", tmp_path / "streams.parquet"
    writer = PartWriter(parts, arrow_schema(), "local", flush_rows=7)
    writer.add(rows(0, 20))
    writer.flush()
    assert consolidate(parts, target, arrow_schema()) == 20
    assert not parts.exists()  # parts removed once the target is in place
    table = pq.read_table(target)
    assert table.schema.equals(arrow_schema())
    assert table.column("stream_id").to_pylist() == [f"w0-{i}" for i in range(20)]
    assert table.column("gap_sample").to_pylist()[0] == [pa.scalar(0.1, pa.float32()).as_py(),
                                                          pa.scalar(0.2, pa.float32()).as_py()]
    writer = PartWriter(parts, arrow_schema(), "local", flush_rows=100)
    writer.add(rows(20, 5))
    writer.flush()
    assert consolidate(parts, target, arrow_schema()) == 25  # a second stop appends to the first
    assert consolidate(parts, target, arrow_schema()) == 25  # idempotent
    assert stream_id_count(target) == (25, 25)


def test_consolidate_without_rows_leaves_an_empty_file_with_the_schema(tmp_path):
    target = tmp_path / "load" / "loadgen.parquet"
    target.parent.mkdir()
    assert consolidate(tmp_path / "nothing", target, LOADGEN_SCHEMA) == 0
    table = pq.read_table(target)
    assert table.num_rows == 0 and table.schema.equals(LOADGEN_SCHEMA)


WRITER = textwrap.dedent("""
    import sys, itertools
    from pathlib import Path
    from loadtests.record import StreamRecord, arrow_schema
    from rundir.parts import PartWriter
    writer = PartWriter(Path(sys.argv[1]), arrow_schema(), "crash", flush_rows=50)
    for i in itertools.count():
        rec = StreamRecord(stream_id=f"crash-{i}", worker="crash", endpoint="agent_run", stage="s",
                           open_loop=True, scheduled=float(i), outcome="ok", gap_sample=[0.5] * 8)
        writer.add([rec.to_row()])
""")


def test_a_killed_writer_leaves_only_complete_readable_parts(tmp_path):
    parts = tmp_path / "streams"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(parts)], cwd=str(REPO))
    try:
        assert wait_until(lambda: len(part_files(parts)) >= 20, timeout=60), "the writer produced no parts"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    files = part_files(parts)
    for part in files:  # every visible part is a complete parquet file
        assert pq.read_metadata(part).num_rows == 50
    table = read_table(tmp_path / "streams.parquet", parts, arrow_schema())
    ids = table.column("stream_id").to_pylist()
    assert ids == [f"crash-{i}" for i in range(len(ids))]  # a gap-free prefix: nothing lost before the kill
    assert consolidate(parts, tmp_path / "streams.parquet", arrow_schema()) == len(ids) == 50 * len(files)


def test_accounting_detects_loss_duplicates_and_missing_finals():
    acc = Accounting()
    assert acc.receive("w0", 0, 10) and acc.receive("w0", 1, 5)
    assert not acc.receive("w0", 1, 5)  # a repeated batch is refused (not stored twice)
    acc.finish("w0", batches=2, rows=15)
    assert acc.receive("w1", 0, 4)
    report = acc.report(rows_in_file=19, unique_ids=19)
    assert not report["ok"] and not report["workers"]["w1"]["final_received"]
    assert report["workers"]["w0"]["ok"] and report["workers"]["w0"]["duplicate_batches"] == 1
    acc.finish("w1", batches=2, rows=7)  # w1 says it sent a batch the master never got
    report = acc.report(rows_in_file=19, unique_ids=19)
    assert report["workers"]["w1"]["missing_batches"] == [1] and not report["ok"]
    acc2 = Accounting()
    acc2.receive("local", 0, 3)
    acc2.finish("local", 1, 3)
    assert acc2.report(3, 3)["ok"]
    assert not acc2.report(4, 4)["ok"]  # more rows in the file than were received
    assert not acc2.report(3, 2)["ok"]  # a duplicated stream_id in the file
    assert acc2.complete(["local"]) and not acc2.complete(["local", "w9"])


def test_no_temporary_file_is_left_behind(tmp_path: Path):
    writer = PartWriter(tmp_path, arrow_schema(), "x", flush_rows=1)
    for i in range(3):
        writer.add(rows(i, 1))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["part-x-000000.parquet", "part-x-000001.parquet", "part-x-000002.parquet"]


def test_stage_log_records_actual_stage_times(tmp_path):
    log = StageLog(tmp_path / "load" / "stages.parquet")
    log.open(stage="warm", kind="steady", start=100.0, planned_end=110.0, users=2, spawn_rate=1.0)
    table = pq.read_table(log.path)
    assert table.schema.equals(STAGES_SCHEMA) and table.column("end").to_pylist() == [None]  # still running
    log.close()
    log.open(stage="peak", kind="step", start=110.0, planned_end=140.0, users=9, spawn_rate=7.0)
    log.close(now=125.5)  # stopped early: the stage ends when the run did
    log.close(now=200.0)  # closing again changes nothing
    rows = pq.read_table(log.path).to_pylist()
    assert [(r["stage"], r["start"], r["end"], r["users"]) for r in rows] == [
        ("warm", 100.0, 110.0, 2), ("peak", 110.0, 125.5, 9)]
