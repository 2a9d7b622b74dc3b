"""Suite-wide guard: Locust (and its gevent monkey-patching) runs only in Locust's own processes.

Importing ``locust`` in the pytest process patches threading and sockets; later tests' threads then become
greenlets and a test that runs an event loop in a thread blocks the whole run (a CI run once hung until its
5400 s limit this way). The guard fails the test that did it, by name, instead of letting the run hang.
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
