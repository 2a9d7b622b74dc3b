"""Container environment: the spec's env (value, secretKeyRef from the API's Secrets, fieldRef), POD_NAME,
and a clean base (no inherited AGENTFLOW_* variables, the repo on PYTHONPATH). Secret values go into the
process environment only: never into a message, event or log line."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterator, Mapping
from typing import Any

from .config import REPO_ROOT

__all__ = ["ConfigError", "StoreSecrets", "container_env"]

Secrets = Mapping[tuple[str, str], Mapping[str, str]]
_DROP_PREFIXES = ("AGENTFLOW_", "KUBECONFIG", "LOCALCLUSTER_")


class ConfigError(Exception):
    """CreateContainerConfigError: the message says which secret/key is missing."""


class StoreSecrets(Mapping[tuple[str, str], Mapping[str, str]]):
    """The API's Secrets as {(namespace, name): {key: decoded value}}, read when a container starts."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def __getitem__(self, key: tuple[str, str]) -> Mapping[str, str]:
        secret = self.store.try_get("secrets", key[0], key[1])
        if secret is None:
            raise KeyError(key)
        out = {}
        for name, value in (secret.get("data") or {}).items():
            try:
                out[name] = base64.b64decode(value).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                continue
        return out

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter((s["metadata"]["namespace"], s["metadata"]["name"]) for s in self.store.list("secrets"))

    def __len__(self) -> int:
        return len(self.store.list("secrets"))


def _field(pod: dict[str, Any], path: str) -> str:
    meta, spec = pod["metadata"], pod.get("spec", {})
    values = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
    }
    if path.startswith("metadata.labels['") or path.startswith("metadata.annotations['"):
        kind, _, key = path.partition("['")
        return str((meta.get(kind.split(".")[1]) or {}).get(key.rstrip("']"), ""))
    return str(values.get(path, ""))


def _value(pod: dict[str, Any], item: dict[str, Any], secrets: Secrets) -> str | None:
    if "value" in item:
        return str(item["value"])
    source = item.get("valueFrom") or {}
    ns = pod["metadata"]["namespace"]
    if "secretKeyRef" in source:
        ref = source["secretKeyRef"]
        secret = secrets.get((ns, str(ref.get("name"))))
        if secret is None or str(ref.get("key")) not in secret:
            if ref.get("optional"):
                return None
            what = f'secret "{ref.get("name")}" not found' if secret is None else (
                f'couldn\'t find key {ref.get("key")} in Secret {ns}/{ref.get("name")}')
            raise ConfigError(what)
        return secret[str(ref.get("key"))]
    if "fieldRef" in source:
        return _field(pod, str(source["fieldRef"].get("fieldPath", "")))
    return ""


def container_env(pod: dict[str, Any], container: dict[str, Any], secrets: Secrets) -> dict[str, str]:
    """The process environment of `container` in `pod`; raises ConfigError."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env["HOSTNAME"] = pod["metadata"]["name"]
    env["POD_NAME"] = pod["metadata"]["name"]
    env["POD_NAMESPACE"] = pod["metadata"]["namespace"]
    for item in container.get("env") or ():
        name = item.get("name")
        if not name:
            continue
        value = _value(pod, item, secrets)
        if value is not None:
            env[str(name)] = value
    return env
