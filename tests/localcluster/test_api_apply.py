"""Server-side apply and managedFields over HTTP: ownership by field manager, upstream's 409 conflict (message
and causes), force, fields an applier stops applying are removed, Update managers recorded for every write."""

import httpx
import pytest
import yaml

from localcluster.api import ApiServer

NS = "apply"
APPLY = {"Content-Type": "application/apply-patch+yaml"}
PATH = f"/apis/apps/v1/namespaces/{NS}/deployments"


@pytest.fixture(scope="module")
def http():
    with ApiServer() as srv:
        srv.store.create("namespaces", {"metadata": {"name": NS}})
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            yield client


def config(name, replicas=2, labels=None, image="img:1"):
    meta = {"name": name, "namespace": NS, **({"labels": labels} if labels else {})}
    return yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": image}]}}}})


def managers(obj):
    return {(m["manager"], m["operation"], m.get("subresource", "")): m["fieldsV1"]
            for m in obj["metadata"]["managedFields"]}


def test_apply_creates_then_owns_exactly_the_applied_fields(http):
    resp = http.patch(f"{PATH}/one?fieldManager=ci", content=config("one", labels={"team": "a"}), headers=APPLY)
    assert resp.status_code == 201, resp.text
    owned = managers(resp.json())[("ci", "Apply", "")]
    assert owned["f:spec"]["f:replicas"] == {} and owned["f:metadata"]["f:labels"] == {".": {}, "f:team": {}}
    assert owned["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"c"}']["f:image"] == {}
    again = http.patch(f"{PATH}/one?fieldManager=ci", content=config("one", labels={"team": "a"}), headers=APPLY)
    assert again.status_code == 200 and again.json()["metadata"]["resourceVersion"] == \
        resp.json()["metadata"]["resourceVersion"]  # an unchanged apply writes nothing
    dropped = http.patch(f"{PATH}/one?fieldManager=ci", content=config("one"), headers=APPLY).json()
    assert "labels" not in dropped["metadata"]  # applied before, no longer applied, nobody else owns it


def test_conflict_names_the_field_and_the_manager_and_force_takes_it_over(http):
    http.patch(f"{PATH}/two?fieldManager=ci", content=config("two"), headers=APPLY).raise_for_status()
    scaled = http.patch(f"{PATH}/two?fieldManager=ops", json={"spec": {"replicas": 5}},
                        headers={"Content-Type": "application/merge-patch+json"}).json()
    assert managers(scaled)[("ops", "Update", "")] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in managers(scaled)[("ci", "Apply", "")]["f:spec"]  # ownership moved to ops
    resp = http.patch(f"{PATH}/two?fieldManager=ci", content=config("two", replicas=3), headers=APPLY)
    assert resp.status_code == 409
    status = resp.json()
    assert status["reason"] == "Conflict"
    assert status["message"] == ('Apply failed with 1 conflict: conflict with "ops" using apps/v1: .spec.replicas')
    assert status["details"]["causes"] == [{"reason": "FieldManagerConflict", "message": 'conflict with "ops" '
                                            "using apps/v1", "field": ".spec.replicas"}]
    same = http.patch(f"{PATH}/two?fieldManager=ci", content=config("two", replicas=5), headers=APPLY)
    assert same.status_code == 200  # applying the live value is no conflict: the field becomes shared
    forced = http.patch(f"{PATH}/two?fieldManager=ci&force=true", content=config("two", replicas=3), headers=APPLY)
    assert forced.status_code == 200 and forced.json()["spec"]["replicas"] == 3
    assert ("ops", "Update", "") not in managers(forced.json())  # force took its only field


def test_dry_run_apply_changes_nothing(http):
    http.patch(f"{PATH}/three?fieldManager=ci", content=config("three"), headers=APPLY).raise_for_status()
    resp = http.patch(f"{PATH}/three?fieldManager=ci&dryRun=All", content=config("three", image="img:2"),
                      headers=APPLY)
    assert resp.status_code == 200
    assert resp.json()["spec"]["template"]["spec"]["containers"][0]["image"] == "img:2"
    assert http.get(f"{PATH}/three").json()["spec"]["template"]["spec"]["containers"][0]["image"] == "img:1"


def test_retain_keys_directive_clears_the_other_strategy_fields():
    """What `kubectl apply` sends when a Deployment's strategy changes to Recreate (regression: the directive was
    ignored and rollingUpdate stayed beside type Recreate)."""
    from localcluster.api.patch import strategic_patch

    live = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}, "replicas": 2}}
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    assert strategic_patch(live, patch) == {"spec": {"strategy": {"type": "Recreate"}, "replicas": 2}}
