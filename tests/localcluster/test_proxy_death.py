"""A service proxy that dies on its own is reported in the cluster log, with its signal; the cluster's own stop
(SIGTERM) is not."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

import pytest

from localcluster.cluster import _pump_proxy

FAKE_PROXY = "import os, sys; print('localcluster.proxy listening on 127.0.0.1:1', flush=True); {end}"


def _run(end: str, stop: bool = False) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", FAKE_PROXY.format(end=end)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    listening = threading.Event()
    pump = threading.Thread(target=_pump_proxy, args=(proc, listening, []), daemon=True)
    pump.start()
    assert listening.wait(20)
    if stop:
        proc.terminate()
    pump.join(20)
    assert not pump.is_alive() and proc.poll() is not None
    return proc


def test_a_proxy_that_aborts_is_reported_with_its_signal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="localcluster.proxy")
    proc = _run("os.abort()")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"the service proxy (pid {proc.pid}) died with signal SIGABRT: new connections to the Service "
                      "are refused from now on"]


def test_a_proxy_that_exits_with_an_error_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="localcluster.proxy")
    proc = _run("sys.exit(3)")
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        f"the service proxy (pid {proc.pid}) died with exit code 3: new connections to the Service are refused "
        "from now on"]


def test_the_clusters_own_stop_is_not_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="localcluster.proxy")
    _run("import time; time.sleep(60)", stop=True)
    assert [r for r in caplog.records if r.levelno == logging.ERROR] == []
