"""Debian's Prometheus as a real child process of the local cluster: its config, rules and TSDB live in
STATE_DIR/prometheus/ (removed with the state directory), it listens on 127.0.0.1 on a free port, and it is
stopped by its PID (SIGTERM, SIGKILL after a deadline). It stays in the cluster's session, so `afsuite cluster
down` also finds it if the cluster process died first.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import yaml

__all__ = ["INSTALL_HINT", "PrometheusError", "PrometheusProcess", "find_binary"]

log = logging.getLogger("localcluster.prometheus")
INSTALL_HINT = ("install Debian's prometheus package (as root: apt-get install -y prometheus; `make install` does "
                "it when run as root), or start the cluster with --no-prometheus")


class PrometheusError(RuntimeError):
    """Prometheus could not start; the message says why and what to do."""


def find_binary(name: str = "prometheus") -> str:
    """Path of `prometheus` (or `promtool`) on PATH, else a PrometheusError with the install hint."""
    found = shutil.which(name)
    if found is None:
        raise PrometheusError(f"`{name}` is not on PATH: {INSTALL_HINT}")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrometheusProcess:
    """`start(config)` writes DIR/prometheus.yml, runs prometheus on a free loopback port and waits until it is
    ready; `url` is then its base URL; `stop()` ends it by PID."""

    def __init__(self, directory: Path, *, ready_timeout: float = 30.0) -> None:
        self.dir = Path(directory)
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def config_file(self) -> Path:
        return self.dir / "prometheus.yml"

    @property
    def log_file(self) -> Path:
        return self.dir / "prometheus.log"

    def start(self, config: dict) -> PrometheusProcess:
        binary = find_binary()
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        port = _free_port()
        argv = [binary, f"--config.file={self.config_file}", f"--storage.tsdb.path={self.dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=2d",
                "--web.enable-lifecycle", "--log.level=info"]
        with open(self.log_file, "ab") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        self._wait_ready()
        log.info("prometheus %s up (pid %d), config %s", self.url, self.proc.pid, self.config_file)
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PrometheusError(f"prometheus exited with code {self.proc.returncode} at start: "
                                      f"{self._tail()} (log {self.log_file})")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)  # poll interval of a deadline-bounded wait
        self.stop()
        raise PrometheusError(f"prometheus was not ready within {self.ready_timeout:g} s: {self._tail()} "
                              f"(log {self.log_file})")

    def _tail(self, lines: int = 3) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
