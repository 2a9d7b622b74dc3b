"""A bounded loop of fresh-connection requests through a local Service, as new clients make them."""

from __future__ import annotations

import collections
import http.client
import time


def probe_loop(url: str, seconds: float) -> tuple[int, int, collections.Counter[str]]:
    """GET /health on a new connection to 127.0.0.1 at `url`'s port, again and again for `seconds`:
    (served, failed, why failed: a count per exception repr)."""
    port = int(url.rsplit(":", 1)[1])
    ok = failed = 0
    why: collections.Counter[str] = collections.Counter()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/health")
            ok += conn.getresponse().status == 200
        except (OSError, http.client.HTTPException) as exc:  # refused / reset by the proxy
            failed += 1
            why[repr(exc)[:80]] += 1
        finally:
            conn.close()
    return ok, failed, why
