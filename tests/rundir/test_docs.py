"""docs/run-directory.md describes exactly the contract of rundir/ (files, columns and types, vocabulary)."""

from __future__ import annotations

import re
from pathlib import Path

from rundir import columns, layout

DOC = Path(__file__).resolve().parents[2] / "docs" / "run-directory.md"


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    assert f"\n## {title}" in text, f"docs/run-directory.md has no section '## {title}'"
    return text.split(f"\n## {title}", 1)[1].split("\n## ", 1)[0]


def table_rows(text: str) -> list[tuple[str, str]]:
    """(column, type) of a markdown table whose first two cells are names (comma-separated) and a type."""
    out = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("column", "") or set(cells[0]) <= {"-"}:
            continue
        out += [(name.strip(), cells[1]) for name in cells[0].split(",")]
    return out


def inline_columns(text: str) -> list[tuple[str, str]]:
    """(column, type) of a prose list such as "`stage` string, `start` float64, ..."."""
    return re.findall(r"`(\w+)` (" + "|".join(re.escape(t) for t in columns.TYPES) + r")\b", text)


def cluster_block() -> str:
    """The '## cluster/*.parquet: the tables' listing, generated from rundir.columns.CLUSTER."""
    lines = []
    for table, cols in columns.CLUSTER.items():
        listed = ", ".join(f"{name} {kind}" + ("*" if tier == columns.LATE else "") for name, kind, tier in cols)
        lines.append(f"- `{table}`: {listed}")
    return "\n".join(lines)


def test_streams_table_is_the_contracts():
    assert table_rows(section("streams.parquet")) == list(columns.STREAMS)


def test_stages_and_loadgen_are_the_contracts():
    assert inline_columns(section("load/stages.parquet")) == list(columns.STAGES)
    assert inline_columns(section("load/loadgen.parquet")) == list(columns.LOADGEN)


def test_marks_table_is_the_contracts():
    assert table_rows(section("chaos/marks.parquet")) == list(columns.MARKS)


def test_cluster_tables_are_the_contracts():
    block = cluster_block()
    assert block in section("cluster/*.parquet: the tables"), (
        "docs/run-directory.md, section '## cluster/*.parquet: the tables', must list exactly:\n" + block)


def test_every_file_and_record_kind_is_named():
    text = DOC.read_text(encoding="utf-8")
    names = [layout.MANIFEST_FILE, layout.STREAMS_FILE, layout.STAGES_FILE, layout.LOADGEN_FILE, layout.MARKS_FILE,
             layout.MARKS_JSONL, layout.PIDS_FILE, layout.ACCOUNTING_FILE, layout.VERDICTS_FILE]
    assert [n for n in names if n not in text] == []
    records = section("chaos/<kind>.jsonl: the record kinds")
    assert [k for k in layout.CHAOS_RECORDS if f"`{k}`" not in records] == []
    assert all(f"`{o}`" in section("streams.parquet") for o in layout.OUTCOMES)
    assert all(f"`{e}`" in section("streams.parquet") for e in layout.ENDPOINTS)
