"""Field ownership (metadata.managedFields) for writes through the API, and server-side apply.

Every create, update and patch through the API is recorded as an `Update` by its field manager (the
`fieldManager` parameter, else the client's User-Agent product, as upstream): the fields it changed become
its own and leave every other manager. An apply (`application/apply-patch+yaml`, `fieldManager` required)
merges the configuration by the kind's schema, owns exactly the applied fields (operation `Apply`), removes
fields it applied before and no longer does (unless someone else owns them), and refuses to change a field
another manager owns: 409 `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using
apps/v1: .spec.replicas`, unless `force=true` takes it over. In-process writes (the controllers and kubelet
of the local cluster) are not recorded: see docs/local-cluster.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import bodies
from .errors import BadRequest, Conflict, Invalid, NotFound
from .http import Request, Response
from .objects import now_time
from .resource_type import ResourceType
from .resources import resolve
from .routes import ResourceRoute
from .ssa import schema as sch
from .ssa.fieldset import Path, decode, encode, fields_of, path_string, value_at
from .ssa.merge import conflicts, merge
from .views import from_view

if TYPE_CHECKING:
    from .handler import Api

__all__ = ["FieldManager"]

Identity = tuple[str, str, str, str]  # (manager, operation, apiVersion ('' for Apply), subresource)
Owners = dict[Identity, tuple[dict[str, Any], set[Path]]]


def _owners(obj: dict[str, Any]) -> Owners:
    out: Owners = {}
    for entry in obj.get("metadata", {}).get("managedFields") or ():
        if not isinstance(entry, dict) or not entry.get("manager"):
            continue
        op = str(entry.get("operation", "Update"))
        ident = (str(entry["manager"]), op, "" if op == "Apply" else str(entry.get("apiVersion", "")),
                 str(entry.get("subresource", "")))
        out[ident] = (entry, decode(entry.get("fieldsV1") or {}))
    return out


def _store(obj: dict[str, Any], owners: Owners, api_version: str, touched: set[Identity]) -> None:
    entries = []
    for ident, (entry, fields) in owners.items():
        if not fields:
            continue
        manager, op, version, sub = ident
        doc = {"manager": manager, "operation": op, "apiVersion": version or entry.get("apiVersion") or api_version,
               "time": now_time() if ident in touched else entry.get("time", now_time()),
               "fieldsType": "FieldsV1", "fieldsV1": encode(fields)}
        if sub:
            doc["subresource"] = sub
        entries.append(doc)
    if entries:
        obj["metadata"]["managedFields"] = entries
    else:
        obj["metadata"].pop("managedFields", None)


def _describe(ident: Identity) -> str:
    """Upstream's printManager: `"name"`, `with subresource "status"`, `using apps/v1` for Update."""
    manager, op, version, sub = ident
    text = json.dumps(manager)
    if sub:
        text += f" with subresource {json.dumps(sub)}"
    return f"{text} using {version}" if op == "Update" else text


def _conflict(found: list[tuple[Identity, Path]]) -> Conflict:
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {_describe(m)}",
               "field": path_string(p)} for m, p in found]
    if len(found) == 1:
        message = f"Apply failed with 1 conflict: conflict with {_describe(found[0][0])}: {path_string(found[0][1])}"
    else:
        lines: list[str] = []
        for ident in sorted({m for m, _ in found}, key=lambda i: json.dumps(i)):
            lines.append(f"conflicts with {_describe(ident)}:")
            lines.extend(f"- {path_string(p)}" for m, p in found if m == ident)
        message = f"Apply failed with {len(found)} conflicts: " + "\n".join(lines)
    return Conflict(message, details={"causes": causes})


class FieldManager:
    """The API's field manager (stateless: ownership lives in each object's managedFields)."""

    @staticmethod
    def manager_of(req: Request) -> str:
        name = req.query.get("fieldManager")
        if name is None:
            name = req.headers.get("user-agent", "").split("/", 1)[0] or "unknown"
        if len(name) > 128 or not name.isprintable():
            raise BadRequest("fieldManager must be at most 128 printable characters")
        return name

    def tracker(self, req: Request, rt: ResourceType, subresource: str | None) -> Callable[[Any, Any], None]:
        """The store's on_write hook recording this request as an Update by its manager."""
        manager, sub = self.manager_of(req), subresource or ""
        stored = resolve(rt.storage) if rt.storage else rt  # objects are kept (and walked) in storage shape
        schema = sch.root(stored.group, stored.version, stored.kind)

        def _record(old: dict[str, Any] | None, new: dict[str, Any]) -> None:
            scope = "status" if sub == "status" else None
            before = fields_of(old, schema, scope) if old is not None else set()
            after = fields_of(new, schema, scope)
            changed = {p for p in after if old is None or value_at(old, p) != value_at(new, p)} | (before - after)
            if not changed:
                return
            owners = _owners(new)
            ident = (manager, "Update", rt.api_version, sub)
            for other, (entry, fields) in owners.items():
                owners[other] = (entry, fields - changed)
            entry, mine = owners.get(ident, ({}, set()))
            owners[ident] = (entry, (mine | changed) & after)
            _store(new, owners, rt.api_version, {ident})

        return _record

    def apply(self, api: Api, req: Request, route: ResourceRoute, dry_run: bool) -> Response:
        """PATCH application/apply-patch+yaml: create or merge, with ownership and conflicts."""
        rt, name = route.rt, str(route.name)
        manager = req.query.get("fieldManager")
        if not manager:
            raise Invalid('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for '
                          "apply patch", details={"kind": "PatchOptions", "group": "meta.k8s.io"})
        config = bodies.decode(req, rt)
        if not isinstance(config, dict):
            raise BadRequest("an apply patch must be a YAML or JSON object")
        if config.get("kind") != rt.kind or config.get("apiVersion") != rt.api_version:
            raise BadRequest(f"the apply configuration is a {config.get('apiVersion')}/{config.get('kind')}, this "
                             f"endpoint takes {rt.api_version}/{rt.kind}")
        meta = config.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise BadRequest(f"the name of the object ({meta.get('name')}) does not match the name on the URL")
        meta["name"] = name
        api.check_fields(req, rt, config)
        config = from_view(rt, config)
        meta = config["metadata"]
        stored = resolve(rt.storage) if rt.storage else rt
        schema = sch.root(stored.group, stored.version, stored.kind)
        sub = route.subresource or ""
        ident: Identity = (manager, "Apply", "", sub)
        applied = fields_of(config, schema, "status" if sub == "status" else None)
        force = req.flag("force")

        def _own(obj: dict[str, Any], extra: dict[Identity, set[Path]] | None = None) -> None:
            owners = _owners(obj)
            for other, taken in (extra or {}).items():
                entry, fields = owners[other]
                owners[other] = (entry, fields - taken)
            owners[ident] = (owners.get(ident, ({}, set()))[0], applied)
            _store(obj, owners, rt.api_version, {ident})

        def _apply(obj: dict[str, Any]) -> dict[str, Any]:
            owners = _owners(obj)
            others = {i: fields for i, (_, fields) in owners.items() if i != ident}
            found = conflicts(obj, config, applied, {json.dumps(i): f for i, f in others.items()})
            found_ids = [(tuple(json.loads(m)), p) for m, p in found]
            if found_ids and not force:
                raise _conflict(found_ids)
            previous = owners.get(ident, ({}, set()))[1]
            drop = {p for p in previous - applied if not any(p in f for f in others.values())}
            new = merge(obj, {k: v for k, v in config.items() if k not in ("apiVersion", "kind")}, schema, drop)
            taken: dict[Identity, set[Path]] = {}
            for other, path in found_ids:
                taken.setdefault(other, set()).add(path)
            _own(new, taken)
            return new

        try:
            obj = api.store.mutate(rt, route.namespace, name, _apply, subresource=route.subresource,
                                   dry_run=dry_run)
            return api.present(rt, obj, req)
        except NotFound:
            if route.subresource:
                raise
        created = {**config, "metadata": {**meta, "managedFields": []}}
        _own(created)
        obj = api.store.create(rt, created, namespace=route.namespace, reset_status=True, dry_run=dry_run)
        return api.present(rt, obj, req, 201)
