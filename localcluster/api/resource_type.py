"""`ResourceType`: one served resource (group/version/plural) and how the API treats it."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ALL_VERBS", "ResourceType", "rt"]

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_VERBS = ("get", "list", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served resource (group/version/plural) and how the API treats it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tracks_generation: bool = False  # metadata.generation bumped on spec change
    delete_returns_object: bool = False  # DELETE answers the object (pods, services) instead of Status
    storage: str = ""  # storage key of another resource this one is a view of ('' = itself)
    verbs: tuple[str, ...] = ALL_VERBS
    singular: str = field(default="")
    virtual: bool = False  # never stored: a POST is answered by the kind's rules (reviews) or a GET computed

    @property
    def api_version(self) -> str:
        """`v1` for the core group, else `group/version`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """`group/version/plural` (core: `v1/pods`): the identity used by the store."""
        return f"{self.api_version}/{self.plural}"

    @property
    def storage_key(self) -> str:
        return self.storage or self.key

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources


def rt(group: str, version: str, plural: str, kind: str, namespaced: bool = True, **kw: object) -> ResourceType:
    """A ResourceType with the singular name derived from the kind."""
    return ResourceType(group, version, plural, kind, namespaced, singular=kind.lower(), **kw)  # type: ignore[arg-type]
