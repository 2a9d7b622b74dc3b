"""Target files: the shipped examples load, bad files fail with an error naming the file and the key, and
the safety keys of a target file turn into the chaos process's AFSUITE_* environment."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from experiments.afchaos.safety import SafetyPolicy
from harness.target import Target
from harness.targets import TargetError, load_target

TARGETS = Path(__file__).resolve().parents[2] / "targets"
SAFETY_KEYS = {f.name for f in fields(SafetyPolicy)} - {"dry_run"}
NEW_TARGET_FIELDS = SAFETY_KEYS | {"prometheus_url"}
TARGET_FIELDS = {f.name for f in fields(Target)}


def write(tmp_path: Path, data: dict, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_local_target_file_loads_and_matches_the_local_cluster_defaults():
    target = load_target(TARGETS / "local.yaml")
    assert (target.name, target.context, target.namespace) == ("local", "agentflow-local", "agentflow")
    assert target.kubeconfig == ".localcluster/kubeconfig" and target.api_key_file == ".localcluster/api-key"
    assert target.service_url == "http://127.0.0.1:18080"


def test_example_eks_uses_only_known_or_proposed_keys():
    data = yaml.safe_load((TARGETS / "example-eks.yaml").read_text())
    assert set(data) <= TARGET_FIELDS | NEW_TARGET_FIELDS, set(data) - TARGET_FIELDS - NEW_TARGET_FIELDS
    assert "api_key" not in data
    assert data["allow_production"] is False
    core = {k: v for k, v in data.items() if k in TARGET_FIELDS}
    target = Target(**core)
    assert target.context == "staging-eks" and target.api_key_env == "AGENTFLOW_API_KEY"
    policy = SafetyPolicy.from_mapping(data, "targets/example-eks.yaml")
    assert policy == SafetyPolicy(allowed_zones=("eu-west-1a",), max_pods=6, max_nodes=2)
    env = policy.to_env()
    assert env["AFSUITE_ALLOW_PRODUCTION"] == "false" and env["AFSUITE_ALLOWED_ZONES"] == "eu-west-1a"
    assert env["AFSUITE_MAX_PODS"] == "6" and env["AFSUITE_MAX_NODES"] == "2"


@pytest.mark.xfail(not NEW_TARGET_FIELDS <= TARGET_FIELDS, strict=True,
                   reason="harness.target.Target lacks the proposed safety fields (lead wires them)")
def test_example_eks_loads_once_target_has_the_safety_fields():
    target = load_target(TARGETS / "example-eks.yaml")
    assert target.name == "staging-eks"


def test_unknown_key_names_the_key_and_the_file(tmp_path):
    path = write(tmp_path, {"namespace": "a", "service_url": "http://x", "servce_url": "typo"})
    with pytest.raises(TargetError) as err:
        load_target(path)
    assert str(path) in str(err.value) and "servce_url" in str(err.value)


def test_api_key_in_a_target_file_is_refused(tmp_path):
    path = write(tmp_path, {"namespace": "a", "service_url": "http://x", "api_key": "sk-secret-value"})
    with pytest.raises(TargetError) as err:
        load_target(path)
    assert str(path) in str(err.value) and "api_key_env" in str(err.value)
    assert "sk-secret-value" not in str(err.value)


@pytest.mark.parametrize("missing", ["namespace", "service_url"])
def test_required_keys(tmp_path, missing):
    data = {"namespace": "a", "service_url": "http://x"}
    del data[missing]
    with pytest.raises(TargetError, match=f"{missing}: required"):
        load_target(write(tmp_path, data))


def test_not_a_mapping_and_bad_yaml(tmp_path):
    with pytest.raises(TargetError, match="expected a mapping"):
        load_target(write(tmp_path, ["a"]))
    bad = tmp_path / "bad.yaml"
    bad.write_text("namespace: [unclosed")
    with pytest.raises(TargetError, match="not valid YAML"):
        load_target(bad)


@pytest.mark.parametrize("bad", ["0", "-3", "fast", "true"])
def test_hpa_sync_period_must_be_positive_seconds(tmp_path, bad):
    path = tmp_path / "t.yaml"
    path.write_text(f"namespace: a\nservice_url: http://127.0.0.1:1\nhpa_sync_period_s: {bad}\n")
    with pytest.raises(TargetError) as err:
        load_target(path)
    assert "hpa_sync_period_s" in str(err.value) and str(path) in str(err.value)


BASE = {"namespace": "agentflow", "service_url": "https://agentflow.example.com"}


def test_a_target_states_the_hpa_it_expects(tmp_path):
    expected = {"minReplicas": 2, "maxReplicas": 10, "behavior": {"scaleDown": {"policies": [
        {"type": "Pods", "value": 1, "periodSeconds": 60}]}}}
    target = load_target(write(tmp_path, {**BASE, "hpa_expected": expected, "hpa_tolerance": 0.05}))
    assert target.hpa_expected == expected and target.hpa_tolerance == 0.05
    assert target.cpu_scale == 1.0 and target.time_factor == 1.0  # a real cluster's units


@pytest.mark.parametrize(("extra", "needle"), [
    ({"hpa_expected": {"maxReplicas": 10, "behaviour": {}}}, "hpa_expected: unknown field(s) ['behaviour']"),
    ({"hpa_expected": {"maxReplicas": 10, "behavior": {"scaleDown": {"selectPolicy": "Most"}}}},
     "hpa_expected: behavior.scaleDown.selectPolicy"),
    ({"hpa_expected": {"minReplicas": 3}}, "hpa_expected: maxReplicas"),
    ({"hpa_tolerance": -1}, "hpa_tolerance: expected a number >= 0"),
    ({"cpu_scale": 0.5}, "cpu_scale: expected a number >= 1"),
    ({"time_factor": "fast"}, "time_factor: expected a number >= 1"),
])
def test_bad_hpa_settings_name_the_file_and_field(tmp_path, extra, needle):
    path = write(tmp_path, {**BASE, **extra})
    with pytest.raises(TargetError) as err:
        load_target(path)
    assert str(path) in str(err.value) and needle in str(err.value), str(err.value)
