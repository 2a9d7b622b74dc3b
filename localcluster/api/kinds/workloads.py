"""What the two pod-template workloads (Deployment, ReplicaSet) share: the template's pod-spec defaults, the
selector/template/replicas validation, and the printer's row."""

from __future__ import annotations

from typing import Any

from ...selectors import label_selector_requirements, match_label_selector, selector_to_string
from ..podspec import pod_spec_defaults
from .base import invalid
from .printing import AGE, age

__all__ = ["columns", "template_defaults", "validate_workload", "workload_defaults", "workload_row"]


def workload_defaults(obj: dict[str, Any]) -> None:
    """On every write: the pod template's pod-spec defaults."""
    template = (obj.get("spec") or {}).get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        pod_spec_defaults(template["spec"])


def template_defaults(spec: dict[str, Any]) -> None:
    """On create: the template exists, with metadata and a defaulted pod spec."""
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    pod_spec_defaults(template.setdefault("spec", {}))


def validate_workload(kind: str, obj: dict[str, Any]) -> None:
    """A selector is required, valid and matches the template's labels; replicas is a non-negative integer."""
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        raise invalid(kind, obj, "spec.selector", "Required value", "apps")
    try:
        label_selector_requirements(selector)
    except ValueError as exc:
        raise invalid(kind, obj, "spec.selector", str(exc), "apps") from None
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not match_label_selector(selector, labels):
        raise invalid(kind, obj, "spec.template.metadata.labels",
                      "Invalid value: `selector` does not match template `labels`", "apps")
    replicas = spec.get("replicas", 0)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise invalid(kind, obj, "spec.replicas", f"Invalid value: {replicas!r}: must be a non-negative integer",
                      "apps")


def columns(head: tuple[tuple[str, str, int], ...]) -> tuple[tuple[str, str, int], ...]:
    """A workload's columns: its own head, AGE, then the wide columns."""
    return (("Name", "string", 0), *head, AGE, ("Containers", "string", 1), ("Images", "string", 1),
            ("Selector", "string", 1))


def workload_row(obj: dict[str, Any], deployment: bool) -> list[Any]:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    containers = spec.get("template", {}).get("spec", {}).get("containers") or []
    names = ",".join(c.get("name", "") for c in containers)
    images = ",".join(c.get("image", "") for c in containers)
    selector = selector_to_string(spec.get("selector"))
    name = obj["metadata"]["name"]
    if deployment:
        ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}"
        head = [name, ready, status.get("updatedReplicas", 0), status.get("availableReplicas", 0)]
    else:
        head = [name, spec.get("replicas", 0), status.get("replicas", 0), status.get("readyReplicas", 0)]
    return [*head, age(obj), names, images, selector]
