"""The new-connection checks against a real reference server that is still warming up (answers 503
SERVICE_UNAVAILABLE): the failures are recorded with the serving pod and named by `new_connections_served`; once
the server is warm every check is served and the probe passes."""

from __future__ import annotations

import time

import pytest
from chaoslib.exceptions import ActivityFailed

from experiments.afchaos import journal
from experiments.afchaos.canary import probes
from localcluster.agentflow.process import ReferenceServer

KEY = "canary-test-key"
FAST = ["--ttft", "const:0.01", "--itl", "const:0.002", "--output-tokens", "const:4", "--ip-rate", "0",
        "--tenant-rate", "0", "--drain-idle", "0.1"]


def wait_for(pred, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFSUITE_RUN_DIR", raising=False)
    monkeypatch.setenv("CANARY_TEST_KEY", KEY)
    journal.reset()


def test_a_warming_pod_is_named_then_a_warm_one_passes(env):
    with ReferenceServer(api_key=KEY, args=[*FAST, "--warmup", "2"], pod_name="ref-cold") as srv:
        probes.start_new_connection_checks(workers=1, interval=0.1, url=srv.url, api_key_env="CANARY_TEST_KEY")
        wait_for(lambda: any(r["outcome"] == "ok" for r in journal.records("canary")), 15)
        with pytest.raises(ActivityFailed, match=r"new connections failed during the fault: ref-cold: http_error "
                                                  r"SERVICE_UNAVAILABLE x\d+"):
            probes.new_connections_served(min_checks=2)
        cold = [r for r in journal.records("canary") if r["outcome"] != "ok"]
        assert cold and all(r["status"] == 503 and r["pod"] == "ref-cold" for r in cold)

        journal.reset()
        probes.start_new_connection_checks(workers=2, interval=0.1, url=srv.url, api_key_env="CANARY_TEST_KEY")
        wait_for(lambda: len(journal.records("canary")) >= 10, 15)
        summary = probes.new_connections_served(min_checks=10)
    assert summary["failed"] == 0 and summary["checks"] >= 10


def test_the_verdict_needs_checks_that_ran(env):
    with pytest.raises(ActivityFailed, match="start_new_connection_checks must run before"):
        probes.new_connections_served()
