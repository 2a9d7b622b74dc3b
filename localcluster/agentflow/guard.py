"""Request guards as AgentFlow applies them: client IP (with trusted X-Forwarded-For), per-IP and per-tenant
token buckets (in memory, per process) and authentication (X-API-Key, or an HS256 Bearer JWT)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import time
from typing import Any

__all__ = ["Authenticator", "RateLimiter", "client_ip"]

_trusted_cache: dict[str, bool] = {}
IDLE_FORGET = 180.0  # buckets unused this long are dropped (AgentFlow: 3 minutes)


def _trusted_peer(peer: str) -> bool:
    trusted = _trusted_cache.get(peer)
    if trusted is None:
        try:
            addr = ipaddress.ip_address(peer)
            trusted = addr.is_private or addr.is_loopback
        except ValueError:
            trusted = False
        if len(_trusted_cache) > 10000:
            _trusted_cache.clear()
        _trusted_cache[peer] = trusted
    return trusted


def client_ip(peer: str, headers: dict[str, str]) -> str:
    """The client address: leftmost X-Forwarded-For entry when the TCP peer is private/loopback."""
    xff = headers.get("x-forwarded-for")
    if xff and _trusted_peer(peer):
        first = xff.split(",", 1)[0].strip()
        if first:
            return first
    return peer


class RateLimiter:
    """Token buckets keyed by a string; ``rate`` tokens/s refill up to ``burst``. rate 0 disables."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.buckets: dict[str, list[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(key)
        if bucket is None:
            self.buckets[key] = [self.burst - 1.0, now]
            return True
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return True
        bucket[0] = tokens
        return False

    def sweep(self, now: float | None = None) -> int:
        """Forget buckets idle for IDLE_FORGET seconds; returns how many were dropped."""
        now = time.monotonic() if now is None else now
        stale = [k for k, b in self.buckets.items() if now - b[1] > IDLE_FORGET]
        for key in stale:
            del self.buckets[key]
        return len(stale)


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class Authenticator:
    """Validates ``X-API-Key`` against the configured keys, or a Bearer HS256 JWT when a secret is set.

    ``check`` returns ``(ok, tenant)``: tenant is the JWT ``tenant_id`` claim, else None."""

    def __init__(self, api_keys: tuple[str, ...], jwt_secret: str | None) -> None:
        self._keys = frozenset(api_keys)
        self._secret = jwt_secret.encode() if jwt_secret else None

    @property
    def configured(self) -> bool:
        return bool(self._keys) or self._secret is not None

    def check(self, headers: dict[str, str]) -> tuple[bool, str | None]:
        key = headers.get("x-api-key")
        if key is not None and self._keys and self._key_ok(key):
            return True, None
        auth = headers.get("authorization", "")
        if self._secret is not None and auth.startswith("Bearer "):
            claims = self._verify_jwt(auth[7:].strip())
            if claims is not None:
                tenant = claims.get("tenant_id")
                return True, tenant if isinstance(tenant, str) and tenant else None
        return False, None

    def _key_ok(self, key: str) -> bool:
        return any(hmac.compare_digest(key.encode(), k.encode()) for k in self._keys)

    def _verify_jwt(self, token: str) -> dict[str, Any] | None:
        parts = token.split(".")
        if len(parts) != 3 or self._secret is None:
            return None
        try:
            header = json.loads(_b64url(parts[0]))
            if header.get("alg") != "HS256":
                return None
            expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _b64url(parts[2])):
                return None
            claims = json.loads(_b64url(parts[1]))
        except (ValueError, TypeError):
            return None
        if not isinstance(claims, dict):
            return None
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp < time.time():
            return None
        return claims
