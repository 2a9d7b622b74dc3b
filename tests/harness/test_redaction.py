"""The API key never reaches a file or an output: a real Locust run (the suite's locustfile, key only in the
environment) against a real reference server writes a run directory in which the key appears nowhere, nor in
Locust's output; `afsuite doctor --json` streams with the key and never prints it (also when the API server is
unreachable, so the doctor's error paths are covered)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import typer
import yaml
from typer.testing import CliRunner

from harness.doctor import doctor_command, redact
from localcluster.agentflow.process import ReferenceServer
from rundir.layout import ENDPOINTS

REPO = Path(__file__).resolve().parents[2]
KEY = "afk-redaction-" + secrets.token_hex(12)


def profile(directory: Path) -> Path:
    data = {"name": "redaction", "model": "closed", "seed": 3,
            "mix": {"native_chat": 1, "agent_run": 1, "openai_chat": 1},
            "bodies": {"agent_pool": 8, "prompt_chars": {"dist": "const", "value": 40},
                       "max_tokens": {"dist": "const", "value": 6}},
            "timeouts": {"connect": "2s", "stream": "10s", "drain": "3s"},
            "stages": [{"name": "s1", "kind": "steady", "duration": "3s", "users": 3, "spawn_rate": 3}]}
    path = directory / "redaction.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def files_containing(directory: Path, needle: str) -> list[str]:
    raw = needle.encode()
    return [str(p) for p in directory.rglob("*") if p.is_file() and raw in p.read_bytes()]


def run_locust(url: str, run: Path, prof: Path, log: Path) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCUST_", "AFSUITE_"))}
    env.update({"AGENTFLOW_API_KEY": KEY, "PYTHONPATH": str(REPO)})
    argv = [sys.executable, "-m", "locust", "-f", str(REPO / "loadtests/locustfile.py"), "--headless",
            "--only-summary", "--host", url, "--profile", str(prof), "--run-dir", str(run),
            "--csv", str(run / "locust/stats"), "--html", str(run / "locust/report.html"), "-t", "30s"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
        try:
            return proc.wait(90)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def test_locust_run_directory_never_contains_the_key(tmp_path):
    run, log = tmp_path / "run", tmp_path / "locust.log"
    with ReferenceServer(api_key=KEY) as srv:
        code = run_locust(srv.url, run, profile(tmp_path), log)
    assert code in (0, 1), log.read_text()[-2000:]
    rows = pq.read_table(run / "streams.parquet").to_pandas()
    assert len(rows) > 0 and (rows.outcome == "ok").sum() > 0, "no stream succeeded: the key was not used"
    assert (run / "manifest.json").exists() and list((run / "locust").iterdir())
    assert files_containing(run, KEY) == []
    assert KEY not in log.read_text()


def _target(tmp_path: Path, url: str, **extra: str) -> Path:
    kc = tmp_path / "kubeconfig"  # an API server that is not there: the doctor's error paths run too
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": "http://127.0.0.1:9"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "u"}}], "users": [{"name": "u", "user": {}}]}))
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump({"kubeconfig": str(kc), "context": "x", "namespace": "agentflow",
                                    "service_url": url, **extra}))
    return path


def test_doctor_json_uses_the_key_and_never_prints_it(tmp_path):
    app = typer.Typer()
    app.command()(doctor_command)
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    with ReferenceServer(api_key=KEY) as srv:
        by_env = CliRunner().invoke(app, ["--target", str(_target(tmp_path, srv.url)), "--json"],
                                    env={"AGENTFLOW_API_KEY": KEY})
        by_file = CliRunner().invoke(app, ["--target", str(_target(tmp_path, srv.url, api_key_file=str(key_file))),
                                           "--json"], env={"AGENTFLOW_API_KEY": ""})
    for result in (by_env, by_file):
        assert result.exit_code == 1  # the API server is unreachable: an error finding
        found = {f["check"]: f for f in json.loads(result.output)["findings"]}
        assert found["api.reachable"]["severity"] == "error"
        for endpoint in ENDPOINTS:  # streamed with the key
            assert found[f"service.{endpoint}"]["severity"] == "ok", found[f"service.{endpoint}"]
        assert KEY not in result.output
    assert str(key_file) in by_file.output  # where the key comes from is shown, the key is not


def test_redact_scrubs_the_key():
    assert redact(f"oops {KEY} leaked", KEY) == "oops *** leaked"
    assert redact("nothing", None) == "nothing"
