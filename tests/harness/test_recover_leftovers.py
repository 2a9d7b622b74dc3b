"""`afsuite recover` finds what a killed run left running (its run directory records the PIDs) and stops it
before it touches the nodes (issue 12 row: recover said "uncordoned 3 node(s)" while the orphaned drain kept
evicting, and never saw the orphaned chaostoolkit and Locust).

The leftovers here are real processes that did not die with their parent (as if started without the
parent-death signal): a "chaos run" that, like chaostoolkit, answers SIGTERM by rolling back (it writes a marker),
and a "locust". A third entry names the PID of an unrelated live process with another create time (a reused
PID): recover must leave it alone. Then recover goes on to the nodes (here an API that does not answer).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parents[2]
CHAOS = ("import signal, sys, time\n"
         "def stop(*_):\n"
         "    open(sys.argv[1], 'w').write(str(time.time()))\n"
         "    sys.exit(0)\n"
         "signal.signal(signal.SIGTERM, stop)\n"
         "print('ready', flush=True)\n"
         "time.sleep(600)\n")


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _entry(pid: int, role: str, create_time: float | None = None) -> str:
    ident = psutil.Process(pid).create_time() if create_time is None else create_time
    return json.dumps({"pid": pid, "role": role, "create_time": ident, "cmdline": []})


def test_recover_stops_what_a_killed_run_left_before_the_nodes(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # a finished afsuite: the run is abandoned
    marker = tmp_path / "rolled-back"
    chaos = _spawn(CHAOS, str(marker))
    locust = _spawn("import time; print('ready', flush=True); time.sleep(600)")
    stranger = _spawn("import time; print('ready', flush=True); time.sleep(600)")
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"name": "run", "started": time.time() - 30, "ended": None,
                                                   "status": "running"}))
    (run / "pids.jsonl").write_text("\n".join([
        json.dumps({"pid": dead_pid, "role": "afsuite", "create_time": time.time() - 40}),
        _entry(chaos.pid, "chaos run node-drain"), _entry(locust.pid, "locust (load)"),
        _entry(stranger.pid, "locust (background load of the experiment)", create_time=1.0)]) + "\n")
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": "http://127.0.0.1:9"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "u"}}], "users": [{"name": "u", "user": {}}]}))
    target = tmp_path / "t.yaml"
    target.write_text(yaml.safe_dump({"kubeconfig": str(kubeconfig), "context": "x", "namespace": "a",
                                      "service_url": "http://127.0.0.1:9"}))
    try:
        done = subprocess.run([sys.executable, "-m", "harness", "recover", "--target", str(target), "--run-dir",
                               str(run)], capture_output=True, text=True, timeout=180, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        out = done.stdout
        assert chaos.wait(timeout=10) == 0 and marker.exists(), out  # SIGTERM: it rolled back and exited
        assert locust.wait(timeout=10) is not None
        assert stranger.poll() is None, "recover signalled a process that only reused a recorded PID"
        stopped = [line for line in out.splitlines() if "stopped" in line]
        assert any(f"chaos run node-drain (pid {chaos.pid})" in line for line in stopped), out
        assert any(f"locust (load) (pid {locust.pid})" in line for line in stopped), out
        assert not any(str(stranger.pid) in line for line in stopped), out
        assert out.index("stopped chaos run") < out.index("error: recover on target"), out  # processes first
        assert "marked INTERRUPTED" in out
        manifest = json.loads((run / "manifest.json").read_text())
        assert manifest["status"] == "interrupted"
        assert done.returncode == 1  # the nodes could not be reached: said, not hidden
    finally:
        for proc in (chaos, locust, stranger):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_a_run_whose_afsuite_still_runs_is_left_alone(tmp_path):
    busy = _spawn("import time; print('ready', flush=True); time.sleep(600)")
    run = tmp_path / "run"
    run.mkdir()
    (run / "pids.jsonl").write_text(_entry(os.getpid(), "afsuite") + "\n" + _entry(busy.pid, "locust (load)") + "\n")
    try:
        done = subprocess.run([sys.executable, "-m", "harness", "recover", "--run-dir", str(run), "--target",
                               str(tmp_path / "missing.yaml")], capture_output=True, text=True, timeout=60, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        assert busy.poll() is None
        assert done.returncode == 5  # the target file is missing; nothing was touched before that
    finally:
        os.killpg(busy.pid, signal.SIGKILL)
        busy.wait()
    from harness.leftovers import clean_up

    busy2 = _spawn("import time; print('ready', flush=True); time.sleep(600)")
    (run / "pids.jsonl").write_text(_entry(os.getpid(), "afsuite") + "\n" + _entry(busy2.pid, "locust (load)") + "\n")
    try:
        lines = clean_up([run])
        assert busy2.poll() is None and "still running" in lines[0]
    finally:
        os.killpg(busy2.pid, signal.SIGKILL)
        busy2.wait()
