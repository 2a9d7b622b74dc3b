"""Deployment controller: Deployment -> ReplicaSets labelled and selected by `pod-template-hash`.

Any template change (including the `kubectl.kubernetes.io/restartedAt` annotation) gives a new ReplicaSet
with revision max+1. The current ReplicaSet is found as upstream's FindNewReplicaSet does, by semantic
equality of the templates (hash label aside; an empty list equals an absent one), so going back to an
earlier template (`kubectl rollout undo`) scales its old ReplicaSet back up, renumbers it max+1 and records
the old number in `deployment.kubernetes.io/revision-history`.
RollingUpdate scales the new RS up within maxSurge and old ones down only as the available
count allows (rollout.py); Recreate scales old ones to 0 and waits for their pods to go. A change of
spec.replicas mid-rollout is spread proportionally over the active ReplicaSets. Old ReplicaSets beyond
revisionHistoryLimit are deleted once the rollout is complete. Status and conditions: deployment_status.py.
A paused Deployment rolls nothing out and says so: Progressing Unknown/DeploymentPaused ("Deployment is
paused"), then DeploymentResumed on resume. Not modelled: scaling while paused, hash collisions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..api import ApiError, Conflict, NotFound, Store
from ..api.objects import clone
from ..selectors import match_label_selector
from . import podutil as pu
from .base import Clock, Controller
from .deployment_status import calculate_status, set_deployment_condition
from .events import EventRecorder
from .rollout import (
    DESIRED_ANNOTATION,
    HASH_LABEL,
    MAX_ANNOTATION,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    equal_ignore_hash,
    fenceposts,
    new_rs_replicas,
    old_rs_scale_down,
    proportional_scale,
    replicas_of,
    template_hash,
)

__all__ = ["DeploymentController"]

log = logging.getLogger(__name__)
_HISTORY_LIMIT = 2000  # characters of revision-history, as upstream


def _revision(rs: Mapping[str, Any]) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, "0"))
    except ValueError:
        return 0


def _renumber(notes: dict[str, str], revision: int) -> None:
    """Give a reused ReplicaSet the new revision, keeping its earlier numbers in revision-history."""
    old = notes.get(REVISION_ANNOTATION)
    try:
        older = int(old) if old is not None else 0
    except ValueError:
        older = 0
    if older >= revision:
        return
    notes[REVISION_ANNOTATION] = str(revision)
    if old is None:
        return
    history = [h for h in notes.get(REVISION_HISTORY_ANNOTATION, "").split(",") if h]
    history.append(old)
    while len(",".join(history)) > _HISTORY_LIMIT and len(history) > 1:
        history.pop(0)
    notes[REVISION_HISTORY_ANNOTATION] = ",".join(history)


class DeploymentController(Controller):
    name = "deployment"
    kinds = ("apps/v1/deployments", "apps/v1/replicasets", "v1/pods")

    def __init__(self, store: Store, recorder: EventRecorder, clock: Clock, *, interval: float = 1.0) -> None:
        super().__init__(interval)
        self.store = store
        self.recorder = recorder
        self.clock = clock

    def reconcile(self) -> None:
        rs_by_ns: dict[str, list[dict[str, Any]]] = {}
        for rs in self.store.list("replicasets"):
            rs_by_ns.setdefault(rs["metadata"]["namespace"], []).append(rs)
        for d in self.store.list("deployments"):
            if pu.is_terminating(d):
                continue
            try:
                self.sync(d, rs_by_ns.get(d["metadata"]["namespace"], []))
            except (Conflict, NotFound):
                self.wake()
            except (ApiError, ValueError) as exc:
                log.warning("deployment %s: %s", d["metadata"]["name"], getattr(exc, "message", exc))

    def _owned(self, d: dict[str, Any], rss: list[dict[str, Any]]) -> list[dict[str, Any]]:
        uid, selector = d["metadata"]["uid"], d["spec"].get("selector")
        owned = []
        for rs in rss:
            ref = pu.controller_of(rs)
            if ref is not None and ref.get("uid") == uid:
                owned.append(rs)
            elif ref is None and not pu.is_terminating(rs) and match_label_selector(
                    selector, rs["metadata"].get("labels")):
                def _adopt(obj: dict[str, Any]) -> None:
                    obj["metadata"]["ownerReferences"] = [*(obj["metadata"].get("ownerReferences") or ()),
                                                          pu.owner_ref(d)]
                owned.append(self.store.mutate("replicasets", rs["metadata"]["namespace"],
                                               rs["metadata"]["name"], _adopt))
        return [rs for rs in owned if not pu.is_terminating(rs)]

    def sync(self, d: dict[str, Any], rss: list[dict[str, Any]]) -> None:
        owned = self._owned(d, rss)
        wanted_hash = template_hash(d["spec"]["template"], int((d.get("status") or {}).get("collisionCount") or 0))
        by_age = sorted(owned, key=lambda rs: (rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]))
        new_rs = next((rs for rs in by_age if equal_ignore_hash(rs["spec"]["template"], d["spec"]["template"])),
                      None)
        old = [rs for rs in owned if rs is not new_rs]
        status_before = clone(d.get("status") or {})
        self._paused_condition(d, status_before)
        if d["spec"].get("paused"):
            self._write_status(d, owned, new_rs, status_before)
            return
        max_old = max((_revision(rs) for rs in old), default=0)
        if new_rs is None:
            new_rs = self._create_rs(d, wanted_hash, old, max_old + 1, status_before)
        elif _revision(new_rs) < max_old + 1:
            new_rs = self._set_rs(d, new_rs, replicas_of(new_rs), revision=max_old + 1)
        all_rs = [*old, new_rs]
        active = [rs for rs in all_rs if replicas_of(rs) > 0]
        want = int(d["spec"].get("replicas", 1))
        if any((rs["metadata"].get("annotations") or {}).get(DESIRED_ANNOTATION) != str(want) for rs in active):
            sizes = proportional_scale(d, active, new_rs)
            all_rs = [self._set_rs(d, rs, sizes.get(rs["metadata"]["name"], replicas_of(rs))) if rs in active
                      else rs for rs in all_rs]
        elif (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            all_rs = self._recreate(d, old, new_rs)
        else:
            all_rs = self._rolling(d, old, new_rs)
        new_rs = all_rs[-1]
        self._ensure_revision(d, _revision(new_rs))
        status = self._write_status(d, all_rs, new_rs, status_before)
        if status.get("updatedReplicas") == want and status.get("availableReplicas") == want \
                and status.get("replicas") == want:
            self._cleanup(d, all_rs[:-1])

    def _paused_condition(self, d: dict[str, Any], status: dict[str, Any]) -> None:
        """Upstream's checkPausedConditions: Progressing Unknown with DeploymentPaused / DeploymentResumed."""
        cond = next((c for c in status.get("conditions") or () if c.get("type") == "Progressing"), None)
        if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
            return
        paused_now = cond is not None and cond.get("reason") == "DeploymentPaused"
        if d["spec"].get("paused") and not paused_now:
            set_deployment_condition(status, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused",
                                     self.clock())
        elif not d["spec"].get("paused") and paused_now:
            set_deployment_condition(status, "Progressing", "Unknown", "DeploymentResumed",
                                     "Deployment is resumed", self.clock())

    def _rolling(self, d: dict[str, Any], old: list[dict[str, Any]], new_rs: dict[str, Any]) -> list[dict[str, Any]]:
        want = int(d["spec"].get("replicas", 1))
        all_rs = [*old, new_rs]
        if replicas_of(new_rs) > want:
            new_rs = self._set_rs(d, new_rs, want)
        elif replicas_of(new_rs) < want:
            target = new_rs_replicas(d, all_rs, new_rs)
            if target != replicas_of(new_rs):
                new_rs = self._set_rs(d, new_rs, target)
        sizes = old_rs_scale_down(d, old, new_rs)
        old = [self._set_rs(d, rs, sizes[rs["metadata"]["name"]]) if rs["metadata"]["name"] in sizes else rs
               for rs in old]
        return [*old, new_rs]

    def _recreate(self, d: dict[str, Any], old: list[dict[str, Any]], new_rs: dict[str, Any]) -> list[dict[str, Any]]:
        old = [self._set_rs(d, rs, 0) if replicas_of(rs) else rs for rs in old]
        uids = {rs["metadata"]["uid"] for rs in old}
        pods = self.store.list("pods", d["metadata"]["namespace"])
        running = [p for p in pods if (pu.controller_of(p) or {}).get("uid") in uids and not pu.is_terminal(p)]
        want = int(d["spec"].get("replicas", 1))
        if not running and replicas_of(new_rs) != want:
            new_rs = self._set_rs(d, new_rs, want)
        return [*old, new_rs]

    def _create_rs(self, d: dict[str, Any], hash_: str, old: list[dict[str, Any]], revision: int,
                   status: dict[str, Any]) -> dict[str, Any]:
        template = clone(d["spec"]["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = hash_
        selector = clone(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = hash_
        surge, _ = fenceposts(d)
        want = int(d["spec"].get("replicas", 1))
        stub = {"metadata": {"name": ""}, "spec": {"replicas": 0}}
        strategy = (d["spec"].get("strategy") or {}).get("type")
        replicas = 0 if strategy == "Recreate" else new_rs_replicas(d, [*old, stub], stub)
        body = {
            "metadata": {
                "name": f"{d['metadata']['name']}-{hash_}",
                "namespace": d["metadata"]["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {DESIRED_ANNOTATION: str(want), MAX_ANNOTATION: str(want + surge),
                                REVISION_ANNOTATION: str(revision)},
                "ownerReferences": [pu.owner_ref(d)],
            },
            "spec": {"replicas": replicas, "minReadySeconds": int(d["spec"].get("minReadySeconds") or 0),
                     "selector": selector, "template": template},
        }
        rs = self.store.create("replicasets", body)
        name = rs["metadata"]["name"]
        self.recorder.event(d, "Normal", "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}")
        set_deployment_condition(status, "Progressing", "True", "NewReplicaSetCreated",
                                 f'Created new replica set "{name}"', self.clock())
        return rs

    def _set_rs(self, d: dict[str, Any], rs: dict[str, Any], replicas: int, revision: int | None = None
                ) -> dict[str, Any]:
        """Scale a ReplicaSet and stamp the desired/max (and revision) annotations; event on size change."""
        surge, _ = fenceposts(d)
        want = int(d["spec"].get("replicas", 1))
        before = replicas_of(rs)
        min_ready = int(d["spec"].get("minReadySeconds") or 0)

        def _fn(obj: dict[str, Any]) -> None:
            obj["spec"]["replicas"] = replicas
            if min_ready or "minReadySeconds" in obj["spec"]:
                obj["spec"]["minReadySeconds"] = min_ready
            notes = obj["metadata"].setdefault("annotations", {})
            notes[DESIRED_ANNOTATION], notes[MAX_ANNOTATION] = str(want), str(want + surge)
            if revision is not None:
                _renumber(notes, revision)

        updated = self.store.mutate("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"], _fn)
        if replicas != before:
            verb = "up" if replicas > before else "down"
            self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                f"Scaled {verb} replica set {rs['metadata']['name']} from {before} to {replicas}")
        return updated

    def _ensure_revision(self, d: dict[str, Any], revision: int) -> None:
        if (d["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION) == str(revision):
            return

        def _fn(obj: dict[str, Any]) -> None:
            obj["metadata"].setdefault("annotations", {})[REVISION_ANNOTATION] = str(revision)

        d.update(self.store.mutate("deployments", d["metadata"]["namespace"], d["metadata"]["name"], _fn))

    def _write_status(self, d: dict[str, Any], all_rs: list[dict[str, Any]], new_rs: dict[str, Any] | None,
                      before: dict[str, Any]) -> dict[str, Any]:
        view = {**d, "status": before}
        status = calculate_status(view, all_rs, new_rs, self.clock())
        if status != (d.get("status") or {}):
            def _fn(obj: dict[str, Any]) -> None:
                obj["status"] = clone(status)

            self.store.mutate("deployments", d["metadata"]["namespace"], d["metadata"]["name"], _fn,
                              subresource="status")
        return status

    def _cleanup(self, d: dict[str, Any], old: list[dict[str, Any]]) -> None:
        limit = int(d["spec"].get("revisionHistoryLimit", 10))
        idle = [rs for rs in old if replicas_of(rs) == 0 and not int((rs.get("status") or {}).get("replicas") or 0)]
        idle.sort(key=_revision)
        for rs in idle[:max(0, len(idle) - limit)]:
            try:
                self.store.delete("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"],
                                  preconditions={"uid": rs["metadata"]["uid"]})
            except (NotFound, Conflict):
                pass
