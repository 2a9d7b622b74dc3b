"""No import cycles inside a plane: for every import a -> b between two modules of one package, b must not
lead back to a (import statements anywhere in a module count, lazy ones inside functions included)."""

from __future__ import annotations

import grimp
import pytest

PLANES = ("rundir", "loadtests", "experiments", "analysis", "harness", "localcluster")


# Cycles that existed when this test was written (issue 16): not fixed yet, listed so that no new one is added.
# The fault plane's guard (safety <-> wire <-> controls.safety). The local cluster has none (a test below keeps it so).
KNOWN: dict[str, set[str]] = {
    'experiments': {
        'experiments.afchaos.controls.safety -> experiments.afchaos.safety',
        'experiments.afchaos.controls.safety -> experiments.afchaos.wire',
        'experiments.afchaos.safety -> experiments.afchaos.wire',
    },
}


def cycles(package: str) -> list[str]:
    graph = grimp.build_graph(package, include_external_packages=False, cache_dir=None)
    found = set()
    for importer in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(importer):
            if imported == importer or not imported.startswith(package):
                continue
            if graph.find_shortest_chain(importer=imported, imported=importer):
                found.add(" -> ".join(sorted({importer, imported})))
    return sorted(found)


@pytest.mark.parametrize("package", PLANES)
def test_no_import_cycle_inside(package):
    assert sorted(set(cycles(package)) - KNOWN.get(package, set())) == []


def test_a_cycle_is_found(tmp_path, monkeypatch):
    pkg = tmp_path / "cyclic"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from cyclic import b  # lazy: still a cycle\n")
    (pkg / "b.py").write_text("from cyclic import a\n")
    (pkg / "c.py").write_text("from cyclic import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cycles("cyclic") == ["cyclic.a -> cyclic.b"]


def test_the_local_cluster_has_no_import_cycle_and_no_pin():
    """Issue 16: the local cluster's cycles (the kinds registry, rest <-> its handlers, scheduler state) are gone;
    none may be allowed again (test_no_import_cycle_inside checks the graph)."""
    assert "localcluster" not in KNOWN
