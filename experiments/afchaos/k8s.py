"""Raw JSON access to the Kubernetes API through chaosk8s' client factory (same credentials as chaosk8s)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from chaosk8s import create_k8s_api_client
from chaoslib.types import Configuration, Secrets
from kubernetes.client.rest import ApiException

from experiments.afchaos import wire

SUITE_LABEL = "afsuite.agentflow.dev/cordoned"
SUITE_NOTE = "afsuite.agentflow.dev/note"
LOCAL_FAULT = "localcluster.agentflow.dev/fault"
ZONE_LABEL = "topology.kubernetes.io/zone"


class Api:
    """A small JSON client: `get`, `items`, `patch`, `post`, `delete` returning dicts; errors as ApiException.
    Every change it sends passes the safety guard (`experiments.afchaos.wire`), like any kubernetes client of
    the process once the guard is installed."""

    def __init__(self, secrets: Secrets = None) -> None:
        wire.install()
        self._client = create_k8s_api_client(secrets)

    def call(self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None,
             content_type: str = "application/json") -> dict[str, Any]:
        resp = self._client.call_api(
            path, method, query_params=list((query or {}).items()),
            header_params={"Accept": "application/json", "Content-Type": content_type}, body=body,
            auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
            _request_timeout=15.0,
        )
        data = resp.data
        return json.loads(data) if data else {}

    def get(self, path: str, **query: str) -> dict[str, Any]:
        return self.call("GET", path, query=query)

    def items(self, path: str, **query: str) -> list[dict[str, Any]]:
        return self.get(path, **query).get("items") or []

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("PATCH", path, body=body, content_type="application/merge-patch+json")

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", path, body=body)

    def delete(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("DELETE", path, body=body or {})

    def close(self) -> None:
        self._client.close()


def namespace(configuration: Configuration = None, ns: str | None = None) -> str:
    configured = (configuration or {}).get("agentflow_namespace")
    return ns or configured or os.environ.get("AGENTFLOW_NAMESPACE") or "agentflow"


def status_message(exc: ApiException) -> str:
    """The message (and DisruptionBudget cause) of a Status error body."""
    try:
        body = json.loads(exc.body or "{}")
    except ValueError:
        return str(exc.reason)
    causes = [c.get("message", "") for c in (body.get("details") or {}).get("causes") or []]
    return "; ".join([body.get("message", str(exc.reason)), *causes])


def ready(obj: Mapping[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (obj.get("status") or {}).get("conditions") or [])


def set_local_fault(api: Api, node: str, fault: str | None) -> None:
    """Set (``"fail"``) or clear (None) the local cluster's fault annotation of ``node``: the one patch of it."""
    api.patch(f"/api/v1/nodes/{node}", {"metadata": {"annotations": {LOCAL_FAULT: fault}}})
