"""Refusals happen before anything starts (issue 12).

A production-named context: `campaign`, `chaos`, `soak` and `load` against that target exit 4 (REFUSED) with
one line naming the setting, and send no request at all: both the "API server" and the "service" of the target
are counting TCP servers on loopback, so any request (a load stream, an observer sample, a dry run) is seen.
Regression for the table row where the experiments were refused but the load ran its full 60 s (527 streams).
The same target with `allow_production: true` does reach them (the test can fail). Also: a used run directory
is refused untouched, a bad service URL is one line, and usage errors exit 5 (not 2 = INVALID).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


class Counter:
    """Counts TCP connections (and closes them at once)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def servers() -> Iterator[tuple[Counter, Counter]]:
    api, service = Counter(), Counter()
    yield api, service
    api.close()
    service.close()


def write_target(tmp_path: Path, api: Counter, service: Counter, context: str = "eks-prod-eu",
                 **extra: object) -> Path:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": api.url}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": "u"}}],
        "users": [{"name": "u", "user": {"token": "t"}}]}))
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump({"kubeconfig": str(kubeconfig), "context": context, "namespace": "agentflow",
                                      "service_url": service.url, "api_key_env": "TEST_KEY", **extra}))
    return target


def afsuite(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFSUITE_")}
    env.update({"PYTHONPATH": str(REPO), "TEST_KEY": "k"})
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=REPO)


COMMANDS = {
    "campaign": ("campaign", "pre-release"),
    "chaos": ("chaos", "pod-kill"),
    "soak": ("soak", "--duration", "1m"),
    "load": ("load", "smoke"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_production_named_context_is_refused_before_any_request(tmp_path, servers, command):
    api, service = servers
    target = write_target(tmp_path, api, service)
    run = tmp_path / "run"
    done = afsuite(*COMMANDS[command], "--target", str(target), "--run-dir", str(run))
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]  # REFUSED
    assert "REFUSED" in done.stderr and "eks-prod-eu" in done.stderr and "allow_production" in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.startswith("REFUSED")]) == 1
    assert api.connections == 0 and service.connections == 0, "a request reached the target"
    assert not run.exists(), "a refused run created its run directory"
    assert "Traceback" not in done.stderr


def test_the_same_target_allowed_does_reach_the_service(tmp_path, servers):
    api, service = servers
    target = write_target(tmp_path, api, service, allow_production=True)
    profile = tmp_path / "tiny.yaml"
    profile.write_text(yaml.safe_dump({"name": "tiny", "model": "closed", "mix": {"native_chat": 1},
                                       "stages": [{"name": "s", "duration": "2s", "users": 1}],
                                       "timeouts": {"connect": "1s", "stream": "2s", "drain": "1s"}}))
    done = afsuite("load", str(profile), "--target", str(target), "--run-dir", str(tmp_path / "run"))
    assert service.connections > 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.returncode != 4


def test_a_production_looking_service_host_is_refused_for_a_bare_host(tmp_path):
    done = afsuite("load", "smoke", "--host", "https://agentflow.prod.example.com", "--run-dir", str(tmp_path / "r"))
    assert done.returncode == 4 and "looks like production" in done.stderr and "AFSUITE_ALLOW_PRODUCTION" in done.stderr


def test_a_used_run_directory_is_refused_untouched(tmp_path, servers):
    """Regression: `afsuite load smoke --run-dir <an existing run>` exited 0 and merged two runs."""
    api, service = servers
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text('{"name": "earlier"}')
    (run / "streams.parquet").write_bytes(b"earlier rows")
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    for args in (("load", "smoke", "--host", service.url), ("chaos", "pod-kill", "--target",
                                                            str(write_target(tmp_path, api, service, "staging")))):
        done = afsuite(*args, "--run-dir", str(run))
        assert done.returncode == 5, done.stderr  # BAD INPUT
        assert "already holds a run" in done.stderr and "written once" in done.stderr
        assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert service.connections == 0 and api.connections == 0


def test_a_bad_service_url_is_one_line_before_anything_starts(tmp_path, servers):
    """Regression: `service_url: htp:/x` gave a 30-frame traceback in doctor, started load and the observer in
    chaos, and 20 s of greenlet tracebacks in load."""
    api, service = servers
    target = write_target(tmp_path, api, service, "staging")
    target.write_text(yaml.safe_dump({**yaml.safe_load(target.read_text()), "service_url": "htp:/x"}))
    runs = [("doctor", "--target", str(target)), ("chaos", "pod-kill", "--target", str(target)),
            ("load", "smoke", "--target", str(target))]
    runs += [("load", "smoke", "--host", url) for url in ("htp:/x", "http://", "http://127.0.0.1:99999")]
    for args in runs:
        done = afsuite(*args, "--run-dir", str(tmp_path / "run")) if args[0] != "doctor" else afsuite(*args)
        assert done.returncode == 5, (args, done.stdout[-1500:], done.stderr[-1500:])
        assert "Traceback" not in done.stdout + done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and ("service_url" in errors[0] or "--host" in errors[0]), done.stderr
    assert api.connections == 0 and service.connections == 0
    assert not (tmp_path / "run").exists()


def test_usage_errors_exit_5_and_help_lists_the_exit_codes():
    bad = afsuite("chaos", "--no-such-option")
    assert bad.returncode == 5
    helped = afsuite("--help")
    assert helped.returncode == 0
    for text in ("0 PASS", "1 FAIL", "2 INVALID", "3 INTERRUPTED", "4 REFUSED", "5 BAD INPUT"):
        assert text in helped.stdout
    assert "4 REFUSED" in afsuite("chaos", "--help").stdout
