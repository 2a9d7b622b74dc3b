"""Who is asking: static bearer tokens mapped to users (as kube-apiserver's --token-auth-file does), and the
anonymous user for requests without credentials. Tokens are compared in constant time and never logged."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import Unauthorized

__all__ = ["ANONYMOUS", "AUTHENTICATED", "MASTERS", "Authenticator", "User"]

AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
MASTERS = "system:masters"


@dataclass(frozen=True)
class User:
    """An authenticated (or anonymous) identity, as SelfSubjectReview reports it."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def info(self) -> dict[str, object]:
        """The authentication.k8s.io/v1 UserInfo of this user."""
        doc: dict[str, object] = {"username": self.name}
        if self.uid:
            doc["uid"] = self.uid
        if self.groups:
            doc["groups"] = list(self.groups)
        if self.extra:
            doc["extra"] = {k: list(v) for k, v in self.extra.items()}
        return doc


ANONYMOUS = User("system:anonymous", (UNAUTHENTICATED,))


class Authenticator:
    """Bearer token -> User. Without a token: the anonymous user when `anonymous` is allowed, else 401.
    A token that matches no user is always a 401 (upstream never falls back to anonymous for a bad token)."""

    def __init__(self, tokens: Mapping[str, User], *, anonymous: bool = True) -> None:
        self._tokens = [(t.encode(), u) for t, u in tokens.items()]
        self.anonymous = anonymous

    def authenticate(self, authorization: str) -> User:
        scheme, _, value = authorization.partition(" ")
        if not authorization:
            if self.anonymous:
                return ANONYMOUS
            raise Unauthorized("Unauthorized")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Unauthorized")
        given = value.strip().encode()
        found = None
        for token, user in self._tokens:
            if hmac.compare_digest(given, token):
                found = user
        if found is None:
            raise Unauthorized("Unauthorized")
        groups = found.groups if AUTHENTICATED in found.groups else (*found.groups, AUTHENTICATED)
        return User(found.name, groups, found.uid, found.extra)
