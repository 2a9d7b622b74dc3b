"""The benchmarks' synthetic run directories follow the run-directory contract (a column added to the contract
broke `bench_report.py` unnoticed once: it wrote no `expected_s`). Generated small here and read back with the
contract's schema; the timing itself is the benchmark's business, not a test's."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyarrow.parquet as pq

from rundir.schemas import STREAMS_SCHEMA

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_report_generates_a_run_directory_with_the_contracts_stream_schema(tmp_path):
    load("bench_report").generate(tmp_path, 2000)
    table = pq.read_table(tmp_path / "streams.parquet")
    assert table.num_rows == 2000
    assert table.schema.equals(STREAMS_SCHEMA), table.schema
