"""Load workload manifests (multi-document YAML) into plain dicts, with errors that name the file and field."""

from __future__ import annotations

from pathlib import Path

import yaml

from localcluster.api.resources import RESOURCES

# every kind the API stores (reviews and metrics are answered, not stored)
SUPPORTED = {(rt.api_version, rt.kind) for rt in RESOURCES if not rt.virtual and not rt.storage}
DEFAULT_FILE = Path(__file__).with_name("agentflow.yaml")


class ManifestError(ValueError):
    """A manifest file cannot be applied; the message names the file, document and field."""


def load_manifests(path: Path = DEFAULT_FILE) -> list[dict]:
    """Every document of `path`, checked for apiVersion/kind/metadata.name and a supported kind."""
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from None
    for i, doc in enumerate(docs):
        where = f"{path}: document {i + 1}"
        if not isinstance(doc, dict):
            raise ManifestError(f"{where}: expected a mapping, got {type(doc).__name__}")
        key = (doc.get("apiVersion"), doc.get("kind"))
        if key not in SUPPORTED:
            wanted = ", ".join(f"{a} {k}" for a, k in sorted(SUPPORTED))
            raise ManifestError(f"{where}: apiVersion/kind {key[0]} {key[1]} is not served; use one of: {wanted}")
        if not (doc.get("metadata") or {}).get("name"):
            raise ManifestError(f"{where}: metadata.name is required")
    return docs


def find(docs: list[dict], kind: str) -> dict | None:
    """The first document of `kind`, or None."""
    return next((d for d in docs if d.get("kind") == kind), None)
