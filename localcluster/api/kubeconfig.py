"""Write a kubeconfig for the local cluster: cluster, user and context named `agentflow-local`, plus one
user and context per extra identity (`agentflow-local-viewer`, `agentflow-local-chaos`, ...).

    write_kubeconfig("run/kubeconfig", server.url)                       # a new file of its own
    write_kubeconfig("~/.kube/config", server.url, merge=True)          # add/replace only our entries
    write_kubeconfig(path, "https://127.0.0.1:PORT", token=admin, ca_pem=ca, identities={"viewer": t1})

Merging keeps every other cluster, user and context; `current-context` changes only when asked
(`set_current=True`) or when the file had none. Tokens are written to the file only (mode 0600).
Over `http://` kubectl (client-go) never sends a token (kubernetes/kubectl#744); the Python client does.
So identities need the https URL and the CA (`ca_pem`), which the local cluster serves on the same port.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CONTEXT", "kubeconfig_document", "write_kubeconfig"]

CONTEXT = "agentflow-local"


def kubeconfig_document(
    server: str,
    *,
    name: str = CONTEXT,
    namespace: str = "default",
    token: str | None = None,
    ca_pem: bytes | None = None,
    identities: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A complete kubeconfig (as a dict): cluster, user and context called `name`, and for each extra
    identity `who -> token` a user and a context called `name-who` on the same cluster."""
    cluster: dict[str, Any] = {"server": server}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    users = [{"name": name, "user": {"token": token} if token else {}}]
    contexts = [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}]
    for who, secret in (identities or {}).items():
        users.append({"name": f"{name}-{who}", "user": {"token": secret}})
        contexts.append({"name": f"{name}-{who}",
                         "context": {"cluster": name, "user": f"{name}-{who}", "namespace": namespace}})
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": name, "cluster": cluster}],
        "users": users,
        "contexts": contexts,
        "current-context": name,
    }


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not a valid kubeconfig (YAML error: {exc}); fix or move it away") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a valid kubeconfig (top level must be a mapping)")
    for field in ("clusters", "users", "contexts"):
        if not isinstance(doc.get(field) or [], list):
            raise ValueError(f"{path}: field {field!r} must be a list")
    return doc


def _replace(entries: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    kept = [e for e in entries if not (isinstance(e, dict) and e.get("name") == entry["name"])]
    return [*kept, entry]


def write_kubeconfig(
    path: str | os.PathLike[str],
    server: str,
    *,
    name: str = CONTEXT,
    namespace: str = "default",
    token: str | None = None,
    merge: bool = False,
    set_current: bool | None = None,
    ca_pem: bytes | None = None,
    identities: dict[str, str] | None = None,
) -> Path:
    """Write (or, with merge=True, merge into) the kubeconfig at `path`; returns the path.

    Without merge an existing file is replaced. With merge, entries named `name` are replaced and all
    others kept; `current-context` is set when `set_current` is True, or when it is None and the file
    had no current context.
    """
    target = Path(path).expanduser()
    ours = kubeconfig_document(server, name=name, namespace=namespace, token=token, ca_pem=ca_pem,
                               identities=identities)
    if merge and target.exists():
        doc = _load(target)
        doc.setdefault("apiVersion", "v1")
        doc.setdefault("kind", "Config")
        for field in ("clusters", "users", "contexts"):
            entries = list(doc.get(field) or [])
            for entry in ours[field]:
                entries = _replace(entries, entry)
            doc[field] = entries
        if set_current or (set_current is None and not doc.get("current-context")):
            doc["current-context"] = name
    else:
        doc = ours
        if set_current is False:
            doc["current-context"] = ""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kubeconfig-", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            yaml.safe_dump(doc, fh, default_flow_style=False, sort_keys=False)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
