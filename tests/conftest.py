"""Suite-wide guard, and the one suite-wide fixture.

Guard: Locust (and its gevent monkey-patching) runs only in Locust's own processes.

Importing ``locust`` in the pytest process patches threading and sockets; later tests' threads then become
greenlets and a test that runs an event loop in a thread blocks the whole run (a CI run once hung until its
5400 s limit this way). The guard fails the test that did it, by name, instead of letting the run hang.

Fixture: ``kube_env``, the environment a chaos process has against the local cluster of the module's ``lc``
fixture (its kubeconfig and context, no safety override, a run directory), yielding the fault plane's ``Api``.
"""

from __future__ import annotations

import sys

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    yield
    if "locust" in sys.modules or _gevent_patched():
        pytest.exit(f"{item.nodeid} imported Locust / gevent-patched the pytest process; run Locust in a "
                    "subprocess (see tests/conftest.py)", returncode=3)


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("threading"))


@pytest.fixture
def kube_env(lc, monkeypatch, tmp_path):
    from kubernetes.config import kube_config

    from experiments.afchaos import safety, wire
    from experiments.afchaos.k8s import Api

    # The kubernetes client reads KUBECONFIG once, at import; chaosk8s then loads that default file. Setting
    # the env variable here is what a chaos process has from its start, so the client's default follows it.
    monkeypatch.setenv("KUBECONFIG", lc.kubeconfig)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", lc.kubeconfig)
    monkeypatch.setenv("KUBERNETES_CONTEXT", lc.context)
    for var in ("AFSUITE_ALLOW_PRODUCTION", "AFSUITE_ALLOWED_NODES", "AFSUITE_ALLOWED_ZONES", "AFSUITE_DRY_RUN",
                "AFSUITE_MAX_PODS", "AFSUITE_MAX_NODES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AFSUITE_RUN_DIR", str(tmp_path / "run"))  # the plan of a dry run goes there
    safety.reset()
    api = Api()
    yield api
    api.close()
    wire.uninstall()
