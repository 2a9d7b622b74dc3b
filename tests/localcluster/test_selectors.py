"""Label and field selector semantics (upstream grammar and matching rules); a kind's selectable fields are
declared by its module (api/kinds/<plural>.py)."""

import pytest

from localcluster.api import kinds
from localcluster.api.resources import resolve
from localcluster.selectors import (
    match_label_selector,
    matches_label_requirements,
    parse_field_selector,
    parse_label_selector,
    selector_to_string,
)


def fields(text: str, resource: str) -> list:
    return kinds.of(resolve(resource)).parse_fields(text)


def field_match(text: str, obj: dict, resource: str) -> bool:
    kind = kinds.of(resolve(resource))
    return kind.matches_fields(kind.parse_fields(text), obj)


def sel(text: str, labels: dict) -> bool:
    return matches_label_requirements(parse_label_selector(text), labels)


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("", {"a": "1"}, True),
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app=web", {}, False),
        ("app!=web", {}, True),
        ("app!=web", {"app": "web"}, False),
        ("app!=web", {"app": "db"}, True),
        ("env in (prod, dev)", {"env": "dev"}, True),
        ("env in (prod,dev)", {"env": "qa"}, False),
        ("env in (prod,dev)", {}, False),
        ("env notin (prod,dev)", {}, True),
        ("env notin (prod,dev)", {"env": "prod"}, False),
        ("tier", {"tier": ""}, True),
        ("tier", {}, False),
        ("!tier", {}, True),
        ("!tier", {"tier": "x"}, False),
        ("app=web,tier=fe", {"app": "web", "tier": "fe"}, True),
        ("app=web,tier=fe", {"app": "web", "tier": "be"}, False),
        ("app=web, !canary, zone in (a,b)", {"app": "web", "zone": "b"}, True),
        ("n>3", {"n": "4"}, True),
        ("n>3", {"n": "3"}, False),
        ("n<3", {"n": "x"}, False),
        ("example.com/role=api", {"example.com/role": "api"}, True),
        ("k=", {"k": ""}, True),
    ],
)
def test_label_selector_strings(text, labels, expected):
    assert sel(text, labels) is expected


@pytest.mark.parametrize(
    "bad",
    ["a=b,", ",a", "(a)", "a in b", "a in (b", "a=b=c", "a b", "!", "k>x", "-bad=1", "a=-x-", "x/=1"],
)
def test_bad_label_selectors_raise_with_message(bad):
    with pytest.raises(ValueError, match=r"\S"):
        parse_label_selector(bad)


def test_label_selector_object_semantics():
    assert match_label_selector(None, {"a": "1"}) is False  # nil selects nothing
    assert match_label_selector({}, {"a": "1"}) is True  # empty selects everything
    full = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "zone", "operator": "In", "values": ["a", "b"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "tier", "operator": "Exists"},
            {"key": "env", "operator": "NotIn", "values": ["prod"]},
        ],
    }
    assert match_label_selector(full, {"app": "web", "zone": "a", "tier": "x"}) is True
    assert match_label_selector(full, {"app": "web", "zone": "c", "tier": "x"}) is False
    assert match_label_selector(full, {"app": "web", "zone": "a", "tier": "x", "canary": "1"}) is False
    assert match_label_selector(full, {"app": "web", "zone": "a"}) is False
    assert match_label_selector(full, {"app": "web", "zone": "a", "tier": "x", "env": "prod"}) is False
    bogus = {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}
    assert match_label_selector(bogus, {"a": "1"}) is False


def test_selector_to_string_round_trips():
    expr = {"key": "t", "operator": "In", "values": ["b", "a"]}
    obj = {"matchLabels": {"app": "x"}, "matchExpressions": [expr]}
    text = selector_to_string(obj)
    assert text == "app=x,t in (a,b)"
    assert sel(text, {"app": "x", "t": "a"}) and not sel(text, {"app": "x", "t": "c"})
    assert selector_to_string({"app": "x"}) == "app=x"


POD = {
    "metadata": {"name": "web-1", "namespace": "shop"},
    "spec": {"nodeName": "node-a", "restartPolicy": "Always"},
    "status": {"phase": "Running", "podIP": "10.0.0.5"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("metadata.name=web-1", True),
        ("metadata.name==web-1", True),
        ("metadata.name!=web-1", False),
        ("metadata.namespace=shop,spec.nodeName=node-a", True),
        ("spec.nodeName=node-b", False),
        ("status.phase!=Pending", True),
        ("spec.hostNetwork=false", True),
        ("status.nominatedNodeName=", True),
    ],
)
def test_pod_field_selectors(text, expected):
    assert field_match(text, POD, "pods") is expected


def test_node_unschedulable_field_reads_missing_as_false():
    assert field_match("spec.unschedulable=false", {"metadata": {"name": "n"}, "spec": {}}, "nodes")
    cordoned = {"metadata": {"name": "n"}, "spec": {"unschedulable": True}}
    assert not field_match("spec.unschedulable=false", cordoned, "nodes")


def test_event_source_selects_on_the_component_and_the_events_api_spells_fields_its_way():
    event = {"metadata": {"name": "e"}, "source": {"component": "kubelet"}, "involvedObject": {"kind": "Pod"},
             "reportingComponent": "kubelet"}
    assert field_match("source=kubelet,involvedObject.kind=Pod", event, "v1/events")
    reqs = fields("regarding.kind=Pod,reportingController=kubelet", "events.k8s.io/v1/events")
    assert [r.field for r in reqs] == ["involvedObject.kind", "reportingComponent"]
    assert kinds.of(resolve("v1/events")).matches_fields(reqs, event)
    with pytest.raises(ValueError, match=r"involvedObject\.kind \(for events\.events\.k8s\.io"):
        fields("involvedObject.kind=Pod", "events.k8s.io/v1/events")


def test_bad_selector_with_trailing_garbage():
    with pytest.raises(ValueError, match="found 'c'"):
        parse_label_selector("a=b c")


def test_escaped_values():
    reqs = parse_field_selector(r"metadata.name=a\,b", "services")
    assert fields(r"metadata.name=a\,b", "services") == reqs
    assert reqs[0].value == "a,b"


@pytest.mark.parametrize(
    ("text", "resource"),
    [
        ("spec.nodeName=x", "deployments"),
        ("status.phase=Running", "nodes"),
        ("nonsense", "pods"),
        ("=", "pods"),
    ],
)
def test_bad_field_selectors_raise(text, resource):
    with pytest.raises(ValueError, match=r"\S"):
        fields(text, resource)


def test_unknown_field_message_names_the_field():
    with pytest.raises(ValueError, match=r"field label not supported: spec\.foo"):
        fields("spec.foo=1", "pods")
