"""The profile's thresholds have one model and one parser (rundir.thresholds), used by the load plane when it
reads a profile file and by the verdict pipeline when it reads the profile back from manifest.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from analysis.checks.config import ProfileError as ReportProfileError
from analysis.checks.config import parse_cluster_config, parse_slos, parse_validity
from loadtests.profiles import ProfileError, load_profile
from rundir.layout import ENDPOINTS
from rundir.thresholds import ClusterChecks, Thresholds, parse_thresholds

PROFILE = {
    "name": "t",
    "mix": {"native_chat": 1},
    "stages": [{"name": "s", "duration": "30s", "users": 2}],
    "slos": {"ttft_p99": "1500ms", "e2e_p99": None, "per_endpoint": {"agent_run": {"error_rate": "2%"}}},
    "validity": {"max_cpu_percent": 70, "saturation_window_s": "10s"},
    "cluster_checks": {"max_recovery_s": 5, "endpoint_grace_s": 0.5},
}


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_cluster_checks_are_settable_from_the_profile_file_and_reach_the_checks(tmp_path):
    """Regression (issue 16): analysis/checks/kube.py read `profile.cluster_checks`, but the profile parser
    rejected the key, so those thresholds could never be set."""
    profile = load_profile(_write(tmp_path, PROFILE))
    assert profile.cluster_checks == ClusterChecks(max_recovery_s=5.0, endpoint_grace_s=0.5)
    manifest = json.loads(json.dumps({"profile": profile.to_dict(), "target": {"hpa_sync_period_s": 3}}))
    config = parse_cluster_config(manifest)
    assert (config.max_recovery_s, config.endpoint_grace_s, config.recovery_window_s) == (5.0, 0.5, 60.0)
    assert config.hpa_sync_period_s == 15.0  # the profile's (default) value was recorded; it wins over the target


def test_the_targets_sync_period_fills_in_when_the_profile_gives_none():
    config = parse_cluster_config({"profile": {"cluster_checks": {"max_recovery_s": 9}},
                                   "target": {"hpa_sync_period_s": 3}})
    assert (config.max_recovery_s, config.hpa_sync_period_s) == (9.0, 3.0)


@pytest.mark.parametrize(("section", "value", "message"), [
    ("cluster_checks", {"max_recovery": 5}, "cluster_checks.max_recovery: unknown key"),
    ("cluster_checks", {"max_recovery_s": -1}, "cluster_checks.max_recovery_s: must be a non-negative number"),
    ("slos", {"ttft_p90": 1}, "slos.ttft_p90: unknown key"),
    ("validity", {"max_cpu_percent": 0}, "validity.max_cpu_percent: must be a positive number"),
])
def test_both_planes_refuse_the_same_bad_threshold_with_the_same_words(tmp_path, section, value, message):
    bad = {**PROFILE, section: value}
    with pytest.raises(ProfileError) as loading:
        load_profile(_write(tmp_path, bad))
    assert message in str(loading.value) and str(loading.value).startswith(str(tmp_path))
    with pytest.raises(ReportProfileError) as judging:
        parse_cluster_config({"profile": bad})
        parse_slos(bad)
        parse_validity(bad)
    assert message in str(judging.value) and str(judging.value).startswith("manifest.json profile")


def test_round_trip_keeps_every_threshold_including_a_switched_off_default(tmp_path):
    profile = load_profile(_write(tmp_path, PROFILE))
    assert "e2e_p99" not in profile.slos.thresholds  # null switched the default off
    recorded = json.loads(json.dumps(profile.to_dict()))
    back = parse_thresholds(recorded, "manifest", ENDPOINTS)
    assert back == Thresholds(profile.slos, profile.validity, profile.cluster_checks)
    assert parse_thresholds(back.to_dict(), "again") == back
    assert back.slos.thresholds == {"error_rate": 0.01, "ttft_p99": 1.5}
    assert back.slos.for_endpoint("agent_run") == {"error_rate": 0.02, "ttft_p99": 1.5}
    assert back.validity.saturation_window_s == 10.0


def test_unknown_endpoints_are_refused_in_a_profile_but_read_back_from_another_runs_manifest(tmp_path):
    other = {**PROFILE, "slos": {"per_endpoint": {"chat_v2": {"e2e_p99": 3}}}}
    with pytest.raises(ProfileError, match=r"slos\.per_endpoint\.chat_v2: unknown key"):
        load_profile(_write(tmp_path, other))
    assert parse_slos(other).for_endpoint("chat_v2")["e2e_p99"] == 3.0
