"""No schema, vocabulary or threshold of the run-directory contract is defined a second time outside rundir/.

Scans every tracked Python file (code, tests, benchmarks) outside ``rundir/``:
- a literal tuple/list/set of strings that equals (as a set) the outcome vocabulary, the endpoint vocabulary, the
  SLO keys, the analysed chaos records, or the columns of a contract file, restates the contract (a dict keyed by
  column names is a row, and a dict keyed by endpoints a per-endpoint table: those are uses, not definitions);
- a ``pa.schema(...)`` call outside ``tests/`` builds a schema the contract should own;
- a dict literal keyed by threshold names (``"max_recovery_s": 60`` ...) restates a default.
Import the name from ``rundir`` instead.
"""

from __future__ import annotations

import ast
import dataclasses
import subprocess
from pathlib import Path

from rundir import columns, layout, thresholds

ROOT = Path(__file__).resolve().parents[2]

VOCABULARIES: dict[str, frozenset[str]] = {
    "rundir.layout.OUTCOMES": frozenset(layout.OUTCOMES),
    "rundir.layout.ENDPOINTS": frozenset(layout.ENDPOINTS),
    "rundir.layout.ANALYSED_RECORDS": frozenset(layout.ANALYSED_RECORDS),
    "rundir.thresholds.SLO_KEYS": frozenset(thresholds.SLO_KEYS),
    "rundir.columns.STREAMS": frozenset(columns.STREAM_COLUMNS),
    "rundir.columns.STAGES": frozenset(n for n, _ in columns.STAGES),
    "rundir.columns.LOADGEN": frozenset(n for n, _ in columns.LOADGEN),
    "rundir.columns.MARKS": frozenset(n for n, _ in columns.MARKS),
    **{f"rundir.columns.CLUSTER[{t!r}]": frozenset(columns.cluster_columns(t)) for t in columns.CLUSTER},
    **{f"rundir.columns.CLUSTER[{t!r}] (core)": frozenset(columns.cluster_columns(t, columns.CORE))
       for t in columns.CLUSTER},
}
THRESHOLD_NAMES = frozenset(f.name for cls in (thresholds.Validity, thresholds.ClusterChecks)
                            for f in dataclasses.fields(cls))


def _python_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z", "*.py"], cwd=ROOT, capture_output=True, check=True).stdout
    names = [n for n in out.decode().split("\0") if n]
    return [ROOT / n for n in names if not n.startswith("rundir/") and (ROOT / n).is_file()]


def _strings(node: ast.AST) -> list[str] | None:
    """The elements of a literal tuple/list/set of strings (or the keys of a dict literal); None otherwise."""
    items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
    if not isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict) or not items:
        return None
    if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in items):
        return None
    return [e.value for e in items]  # type: ignore[union-attr]


def restatements(source: str, name: str) -> list[str]:
    """Where ``source`` (the text of file ``name``) restates part of the contract."""
    found = []
    for node in ast.walk(ast.parse(source)):
        strings = _strings(node)
        if strings and len(strings) >= 3:
            for what, vocabulary in VOCABULARIES.items():
                columns_of_a_small_table = what.startswith("rundir.columns") and len(vocabulary) < 4
                if not isinstance(node, ast.Dict) and frozenset(strings) == vocabulary and not columns_of_a_small_table:
                    found.append(f"{name}:{node.lineno}: restates {what}")
            if isinstance(node, ast.Dict) and set(strings) <= THRESHOLD_NAMES:
                found.append(f"{name}:{node.lineno}: restates threshold defaults ({sorted(strings)})")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "schema"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "pa"
                and not name.startswith("tests/")):
            found.append(f"{name}:{node.lineno}: builds a pyarrow schema (the contract's are in rundir.schemas)")
    return found


def test_nothing_outside_rundir_restates_the_contract():
    found = []
    for path in _python_files():
        found += restatements(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "import these from rundir instead:\n" + "\n".join(found)


def test_the_scan_finds_each_kind_of_restatement():
    bad = '''
import pyarrow as pa
OUTCOMES = ("ok", "http_error", "stream_error", "truncated", "connect_error", "timeout")
ENDPOINTS = ["native_chat", "agent_run", "openai_chat"]
MIX = {"native_chat": 1, "agent_run": 2, "openai_chat": 1}
DEFAULTS = {"max_recovery_s": 60.0, "recovery_window_s": 60.0, "endpoint_grace_s": 2.0}
MARKS = pa.schema([("experiment", pa.string())])
'''
    found = restatements(bad, "harness/x.py")
    assert [line.split(": ", 1)[1] for line in found] == [
        "restates rundir.layout.OUTCOMES", "restates rundir.layout.ENDPOINTS",
        "restates threshold defaults (['endpoint_grace_s', 'max_recovery_s', 'recovery_window_s'])",
        "builds a pyarrow schema (the contract's are in rundir.schemas)",
    ]
    assert restatements("from rundir.layout import OUTCOMES\nSOME = ('ok', 'fail', 'skipped')\n", "a.py") == []
