"""Pluggable behaviour the rest of the local cluster provides to the API server.

- `PodDeleter`: what DELETE of a pod does. The default removes the pod at once; the kubelet plugs in
  graceful deletion (`Store.mark_deleting`, then `Store.delete` when the process has exited).
- `EvictionHandler`: what POST .../pods/{name}/eviction does. The default deletes the pod through the
  PodDeleter and answers 201; the PDB-aware handler replaces it (raise `TooManyRequests` with a
  `Retry-After` header or `Forbidden`, as upstream).
Both receive the `Store` so they can read and write objects in-process.
- `MetricsSource`: per-pod usage samples for metrics.k8s.io (`kubectl top`); `NoMetrics` knows none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .errors import BadRequest, status_body

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "DeleteOptions",
    "DeletingEvictionHandler",
    "EvictionHandler",
    "ImmediatePodDeleter",
    "MetricsSource",
    "NoMetrics",
    "PodDeleter",
    "dry_run_requested",
]


@dataclass(frozen=True)
class DeleteOptions:
    """The parsed DeleteOptions of a DELETE (body and/or query) or of an Eviction's deleteOptions."""

    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    preconditions: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False

    @classmethod
    def from_body(cls, body: Any, query: dict[str, str] | None = None) -> DeleteOptions:
        """Parse a DeleteOptions JSON body merged with query parameters (the body wins)."""
        body = body or {}
        query = query or {}
        if not isinstance(body, dict):
            raise BadRequest("DeleteOptions body must be a JSON object")
        grace = body.get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
        policy = body.get("propagationPolicy", query.get("propagationPolicy"))
        if body.get("orphanDependents") is True or query.get("orphanDependents") in ("true", "True", "1"):
            policy = policy or "Orphan"
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise BadRequest(f"propagationPolicy {policy!r} is not one of Orphan, Background, Foreground")
        try:
            grace_int = None if grace is None else int(grace)
        except (TypeError, ValueError):
            raise BadRequest(f"gracePeriodSeconds must be an integer, got {grace!r}") from None
        if grace_int is not None and grace_int < 0:
            grace_int = 0
        dry = dry_run_requested(body.get("dryRun") or query.get("dryRun"))
        preconditions = body.get("preconditions") or {}
        if not isinstance(preconditions, dict):
            raise BadRequest("preconditions must be an object")
        return cls(grace_int, policy, dict(preconditions), dry)


def dry_run_requested(value: Any) -> bool:
    """The `dryRun` of a request (query string or DeleteOptions list): only `All` exists upstream."""
    if value in (None, "", []):
        return False
    values = value if isinstance(value, list) else [value]
    for item in values:
        if item != "All":
            raise BadRequest(f'dryRun: Unsupported value: "{item}": supported values: "All"')
    return True


class PodDeleter(Protocol):
    """Deletes a pod for DELETE .../pods/{name} and evictions; returns the pod as the response shows it
    (the removed object, or the pod now carrying deletionTimestamp while it terminates)."""

    def delete_pod(self, store: Store, namespace: str, name: str, options: DeleteOptions) -> dict[str, Any]: ...


class ImmediatePodDeleter:
    """Default PodDeleter: the pod is removed at once, whatever the grace period."""

    def delete_pod(self, store: Store, namespace: str, name: str, options: DeleteOptions) -> dict[str, Any]:
        return store.delete(
            "pods",
            namespace,
            name,
            preconditions=options.preconditions,
            propagation_policy=options.propagation_policy,
        )


class EvictionHandler(Protocol):
    """Decides POST .../pods/{name}/eviction. Returns the response body (a Status with code 201 when the
    eviction was accepted) or raises an ApiError (TooManyRequests with a Retry-After header, ...)."""

    def evict(
        self, store: Store, namespace: str, name: str, eviction: dict[str, Any], deleter: PodDeleter
    ) -> dict[str, Any]: ...


class DeletingEvictionHandler:
    """Default EvictionHandler: no disruption budgets; the pod is deleted with the eviction's options."""

    def evict(
        self, store: Store, namespace: str, name: str, eviction: dict[str, Any], deleter: PodDeleter
    ) -> dict[str, Any]:
        store.get("pods", namespace, name)  # 404 when absent
        options = DeleteOptions.from_body(eviction.get("deleteOptions"))
        if not options.dry_run:
            deleter.delete_pod(store, namespace, name, options)
        return status_body(201, "", "")


class MetricsSource(Protocol):
    """Per-pod usage samples (the kubelet's PodMetrics is one)."""

    def cpu_usage(self, namespace: str, name: str) -> tuple[float, float, float] | None: ...

    def memory_usage(self, namespace: str, name: str) -> tuple[int, float] | None: ...


class NoMetrics:
    """No metrics pipeline: every pod's usage is unknown (`kubectl top` says metrics are not available)."""

    def cpu_usage(self, namespace: str, name: str) -> tuple[float, float, float] | None:
        return None

    def memory_usage(self, namespace: str, name: str) -> tuple[int, float] | None:
        return None
