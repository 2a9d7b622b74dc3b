"""Each Kubernetes kind of the local cluster is one module of `localcluster/api/kinds/`, and every registry is
derived from that package: the example module of docs/architecture.md ("add a kind"), dropped in as a new module
and nothing else, is served; and the modules that used to keep per-kind tables keep none."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from localcluster.api import kinds
from localcluster.api.resources import RESOURCES, groups, resolve
from localcluster.workload.manifests import SUPPORTED

ROOT = Path(__file__).resolve().parents[2]
# the modules that used to hold a table per kind (issue 16), and the others that dispatch on kinds
FORMER_TABLES = ("api/resources.py", "api/strategy.py", "api/tables.py", "api/views.py", "selectors.py",
                 "workload/manifests.py", "cluster.py")


def test_every_served_resource_is_a_kind_module():
    assert tuple(kind.resource for kind in kinds.KINDS) == RESOURCES
    declared = {}
    for info in pkgutil.iter_modules(kinds.__path__):
        kind = getattr(importlib.import_module(f"{kinds.__name__}.{info.name}"), "KIND", None)
        if kind is not None:
            declared[info.name] = kind.resource
    assert sorted(rt.key for rt in declared.values()) == sorted(k.resource.key for k in kinds.KINDS)
    for module, rt in declared.items():  # kinds/<plural>.py (a view or a metrics kind: <plural>_<api>, <kind>)
        assert module.startswith(rt.plural) or module == rt.kind.lower(), (module, rt.key)
    assert {(k.resource.api_version, k.resource.kind) for k in kinds.KINDS
            if not k.resource.storage and not k.resource.virtual} == SUPPORTED


def test_discovery_follows_upstream_group_and_version_priority():
    order = [g for g, _ in groups()]
    assert order[:3] == ["", "apps", "events.k8s.io"] and order[-1] == "metrics.k8s.io"
    assert groups().index(("autoscaling", "v2")) < groups().index(("autoscaling", "v1"))
    assert resolve("hpa").version == "v2" and resolve("ev").group == "" and resolve("pods").group == ""


def _names(nodes: list[ast.expr | None]) -> list[str]:
    out = []
    for node in nodes:
        if isinstance(node, ast.Tuple) and node.elts:
            node = node.elts[0]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append(node.value)
    return out


def kind_tables(source: str, served: set[str]) -> list[str]:
    """Dict or set displays keyed by two or more served plurals or kind names (a per-kind table), and
    comparisons of `.plural` with a constant (a per-kind branch)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        keys = _names(node.keys) if isinstance(node, ast.Dict) else _names(node.elts) if isinstance(
            node, ast.Set) else []
        hits = sorted(set(keys) & served)
        if len(hits) > 1:
            found.append(f"line {node.lineno}: a table keyed by {hits}")
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "plural":
            found.append(f"line {node.lineno}: a branch on rt.plural")
    return found


SERVED = {k.resource.plural for k in kinds.KINDS} | {k.resource.kind for k in kinds.KINDS}


@pytest.mark.parametrize("module", FORMER_TABLES)
def test_no_per_kind_table_is_left(module):
    assert kind_tables((ROOT / "localcluster" / module).read_text(), SERVED) == []


def test_the_table_finder_finds_the_old_tables():
    old = ('_OMIT_ZERO = {"deployments": ("replicas",), "replicasets": ()}\n'
           'order = {"Namespace": 0, "Service": 1}\n'
           'if rt.plural == "pods":\n    pass\n'
           '_DNS_LABEL_KINDS = {"namespaces", "services"}\n'
           '_SPECIAL = {("pods", "spec.hostNetwork"): 1, ("nodes", "spec.unschedulable"): 2}\n'
           'state = {"nodes": []}\n')
    assert kind_tables(old, SERVED) == ["line 1: a table keyed by ['deployments', 'replicasets']",
                                        "line 2: a table keyed by ['Namespace', 'Service']",
                                        "line 3: a branch on rt.plural",
                                        "line 5: a table keyed by ['namespaces', 'services']",
                                        "line 6: a table keyed by ['nodes', 'pods']"]


def docs_example() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    match = re.search(r"```python\n# localcluster/api/kinds/priorityclasses.py\n(.*?)```", text, re.S)
    assert match, "docs/architecture.md lost its add-a-kind example"
    return match.group(1)


_PROBE = r'''
import json

from localcluster.api import tables
from localcluster.api.errors import Invalid
from localcluster.api.resources import groups, resolve
from localcluster.api.store import Store
from localcluster.workload.manifests import SUPPORTED

store = Store()
rt = resolve("pc")
created = store.create("priorityclasses", {"metadata": {"name": "high"}, "value": 1000, "globalDefault": True})
try:
    store.create("priorityclasses", {"metadata": {"name": "bad"}, "value": "x"})
    refused = ""
except Invalid as exc:
    refused = str(exc)
table = tables.table(rt, [created], "1")
print(json.dumps({
    "key": rt.key, "namespaced": rt.namespaced, "group": ("scheduling.k8s.io", "v1") in groups(),
    "kind": created["kind"], "refused": refused,
    "columns": [c["name"] for c in table["columnDefinitions"]], "cells": table["rows"][0]["cells"][:3],
    "selected": [o["metadata"]["name"] for o in store.list(rt, field_selector="metadata.name=high")],
    "manifest": ("scheduling.k8s.io/v1", "PriorityClass") in SUPPORTED,
}))
'''


def test_a_new_kind_is_one_module(tmp_path):
    """The documented example, added to a copy of the package as its only new file, is a served kind."""
    shutil.copytree(ROOT / "localcluster", tmp_path / "localcluster", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "localcluster" / "api" / "kinds" / "priorityclasses.py").write_text(docs_example())
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                         check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout)
    assert seen == {
        "key": "scheduling.k8s.io/v1/priorityclasses", "namespaced": False, "group": True, "kind": "PriorityClass",
        "refused": seen["refused"], "columns": ["Name", "Value", "Global-Default", "Age"],
        "cells": ["high", 1000, True], "selected": ["high"], "manifest": True,
    }
    assert "value" in seen["refused"] and "PriorityClass" in seen["refused"]
