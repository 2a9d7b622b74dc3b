"""The one check of a service URL (`--host`, a target's `service_url`), made before anything starts.

A URL the load generator cannot use must fail in one line at parse time, not as a traceback from the HTTP
client or as thousands of failed streams: the scheme must be http or https, a host name must be there, and a
port (when given) must be a number from 1 to 65535.
"""

from __future__ import annotations

from urllib.parse import urlsplit

EXAMPLE = "e.g. http://127.0.0.1:18080 or https://agentflow.example.com"


def check_url(url: str) -> str:
    """`url` when it is a usable http(s) service URL; ValueError with one line saying what is wrong otherwise."""
    text = (url or "").strip()
    if not text:
        raise ValueError(f"no URL given; {EXAMPLE}")
    if any(c.isspace() for c in text):
        raise ValueError(f"{url!r} contains white space; {EXAMPLE}")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        scheme = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ValueError(f"{url!r} has {scheme}; use http:// or https://, {EXAMPLE}")
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host name; {EXAMPLE}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has a bad port (a number from 1 to 65535 is needed); {EXAMPLE}") from None
    if port == 0:
        raise ValueError(f"{url!r}: port 0 cannot be connected to; {EXAMPLE}")
    return text
