"""The run directory: naming, resolution order (--run-dir > $AFSUITE_RUN_DIR > new), manifest merge, no secrets."""

from __future__ import annotations

import json
import re

import pytest

from rundir import manifest as rdm


def test_new_run_dir_is_named_by_utc_time_and_never_reused(tmp_path):
    first = rdm.new_run_dir("smoke", base=tmp_path / "runs")
    second = rdm.new_run_dir("smoke", base=tmp_path / "runs")
    assert re.fullmatch(r"\d{8}T\d{6}Z-smoke", first.name)
    assert first != second and first.is_dir() and second.is_dir()
    assert rdm.run_id("x", now=0.0) == "19700101T000000Z-x"
    with pytest.raises(ValueError, match="run name"):
        rdm.new_run_dir("../escape", base=tmp_path)


def test_resolution_order(tmp_path):
    env = {rdm.RUN_DIR_ENV: str(tmp_path / "from-env")}
    assert rdm.resolve_run_dir(tmp_path / "opt", "p", tmp_path / "runs", env) == (tmp_path / "opt").resolve()
    assert rdm.resolve_run_dir(None, "p", tmp_path / "runs", env) == (tmp_path / "from-env").resolve()
    made = rdm.resolve_run_dir(None, "p", tmp_path / "runs", {})
    assert made.parent == (tmp_path / "runs").resolve() and made.name.endswith("-p")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        rdm.resolve_run_dir(tmp_path / "file", "p", tmp_path, {})


def test_manifest_is_started_then_completed_and_merged(tmp_path, monkeypatch):
    monkeypatch.setenv(rdm.API_KEY_ENV, "sk-secret-value-123")
    run = rdm.new_run_dir("demo", base=tmp_path)
    rdm.write_manifest(run, experiments=["pod-kill"])  # e.g. the harness writes first
    rdm.start_manifest(run, profile={"name": "demo", "bodies": {"max_tokens": {"dist": "const", "value": 8}},
                                        "api_key": "sk-secret-value-123"},
                          target={"host": rdm.safe_url("http://user:sk-secret-value-123@10.0.0.1:8080/x?k=v")})
    started = rdm.read_manifest(run)
    assert started["ended"] is None and started["experiments"] == ["pod-kill"] and started["name"] == "demo"
    assert started["target"]["host"] == "http://10.0.0.1:8080/x"
    assert started["profile"]["bodies"]["max_tokens"]["value"] == 8  # max_tokens is not a secret
    assert "api_key" not in started["profile"]
    assert set(started["versions"]) >= {"python", "afsuite", "locust", "kubernetes"}
    rdm.complete_manifest(run, load={"note": "key was sk-secret-value-123"})
    done = json.loads((run / "manifest.json").read_text())
    assert done["ended"] >= done["started"] and done["load"]["note"] == "key was ***"
    assert "sk-secret-value-123" not in (run / "manifest.json").read_text()
