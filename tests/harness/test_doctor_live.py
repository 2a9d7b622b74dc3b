"""`afsuite doctor` against the running local cluster: the good workload has no error finding and every probe
streams; `pdb-all` (PDB minAvailable = replicas) is an error and the command exits 1; the API key never appears
in the output. The full matrix of known-bad variants, one cluster each, is `slow`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from harness.doctor import doctor_command
from localcluster.handle import LocalCluster

# variant -> the finding (check id) the doctor must report on the live cluster
EXPECTED = {
    "no-prestop": "workload.prestop",
    "hpa-no-behavior": "hpa.behavior",
    "no-pdb": "pdb.missing",
    "pdb-all": "pdb.deadlock",
    "single-replica": "workload.single-replica",
    "ready-on-health": "workload.readiness-path",
    "no-anti-affinity": "workload.anti-affinity",
    "no-spread": "workload.topology-spread",
}


def target_file(lc: LocalCluster, directory: Path) -> Path:
    path = directory / "target.yaml"
    path.write_text(yaml.safe_dump({
        "name": "local-test", "kubeconfig": lc.kubeconfig, "context": lc.context, "namespace": lc.namespace,
        "service_url": lc.service_url, "api_key_env": "AFSUITE_TEST_DOCTOR_KEY"}))
    return path


def run_doctor_cli(lc: LocalCluster, directory: Path, *args: str) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(doctor_command)
    result = CliRunner().invoke(app, ["--target", str(target_file(lc, directory)), *args],
                                env={"AFSUITE_TEST_DOCTOR_KEY": lc.api_key})
    return result.exit_code, result.output


def findings(output: str) -> dict[str, dict]:
    data = json.loads(output)
    return {f["check"]: f for f in data["findings"]}


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("lc"), time_scale="fast", timeout=90) as lc:
        yield lc


def test_good_workload_no_error_and_service_streams(good, tmp_path):
    code, out = run_doctor_cli(good, tmp_path, "--json")
    assert code == 0, out
    found = findings(out)
    assert not [f for f in found.values() if f["severity"] == "error"], out
    for check in ("api.reachable", "workload.found", "workload.prestop", "hpa.behavior", "pdb.found",
                  "service.native_chat", "service.agent_run", "service.openai_chat"):
        assert found[check]["severity"] == "ok", found[check]
    assert found["rbac.allowed"]["severity"] == "ok"  # the admin identity holds every permission
    assert "rbac.denied" not in found
    assert found["metrics.names"]["severity"] == "warning" and "(local)" in found["metrics.names"]["object"]
    assert found["metrics.top-bucket"]["severity"] == "warning"
    assert found["workload.stream-budget"]["severity"] == "warning"  # grace 60 s < agent timeout 180 s
    assert good.api_key not in out


def test_text_output_and_wrong_key_is_an_error(good, tmp_path):
    code, out = run_doctor_cli(good, tmp_path)
    assert code == 0 and "0 error(s)" in out and good.api_key not in out
    app = typer.Typer()
    app.command()(doctor_command)
    result = CliRunner().invoke(app, ["--target", str(target_file(good, tmp_path)), "--json"],
                                env={"AFSUITE_TEST_DOCTOR_KEY": "wrong-key-123"})
    assert result.exit_code == 1
    assert findings(result.output)["service.native_chat"]["severity"] == "error"


def test_workload_by_selector_and_missing_workload(good, tmp_path):
    path = target_file(good, tmp_path)
    data = yaml.safe_load(path.read_text())
    app = typer.Typer()
    app.command()(doctor_command)
    env = {"AFSUITE_TEST_DOCTOR_KEY": good.api_key}
    path.write_text(yaml.safe_dump({**data, "deployment": "renamed"}))  # found by the selector instead
    result = CliRunner().invoke(app, ["--target", str(path), "--json"], env=env)
    assert result.exit_code == 0 and findings(result.output)["workload.found"]["object"] == "deployment/agentflow"
    path.write_text(yaml.safe_dump({**data, "deployment": "nope", "selector": "app=nope"}))
    result = CliRunner().invoke(app, ["--target", str(path), "--json"], env=env)
    assert result.exit_code == 1
    assert findings(result.output)["workload.missing"]["severity"] == "error"


def test_bad_target_file_exits_5(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("namespace: a\nservice_url: http://x\napi_key: nope-nope\n")
    app = typer.Typer()
    app.command()(doctor_command)
    result = CliRunner().invoke(app, ["--target", str(bad)])
    assert result.exit_code == 5 and str(bad) in result.output  # BAD INPUT


def check_variant(variant: str, directory: Path) -> None:
    with LocalCluster(directory / "lc", variant=variant, time_scale="fast", timeout=120) as lc:
        code, out = run_doctor_cli(lc, directory, "--json")
        found = findings(out)
        assert EXPECTED[variant] in found, sorted(found)
        assert found[EXPECTED[variant]]["severity"] in ("warning", "error"), found[EXPECTED[variant]]
        errors = [c for c, f in found.items() if f["severity"] == "error"]
        assert code == (1 if errors else 0), out
        assert lc.api_key not in out


def test_pdb_all_is_an_error_live(tmp_path):
    check_variant("pdb-all", tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(set(EXPECTED) - {"pdb-all"}))
def test_variant_live(variant, tmp_path):
    check_variant(variant, tmp_path)
