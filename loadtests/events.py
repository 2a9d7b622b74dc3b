"""The load plane's own Locust event, ``stream_recorded``: fired by the users once per stream, consumed by
``loadtests.recording`` (which buffers the row for the run directory).

Locust's way of decoupling producers from consumers: users do not import the recorder (there was an import
cycle, and a fallback that silently dropped every row when the recorder failed to import). The hook lives on
the environment's own ``Events`` object, created when first asked for (never at import time).
Listeners are called as ``listener(environment=..., record=StreamRecord)``.
"""

from __future__ import annotations

from typing import Any

from locust.event import EventHook

NAME = "stream_recorded"


def stream_recorded(environment: Any) -> EventHook:
    """The ``stream_recorded`` hook of ``environment`` (added to its ``events`` the first time)."""
    hook = getattr(environment.events, NAME, None)
    if not isinstance(hook, EventHook):
        hook = EventHook()
        setattr(environment.events, NAME, hook)
    return hook
