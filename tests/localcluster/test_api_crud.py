"""CRUD of every served kind over real HTTP with the official kubernetes client's typed APIs."""

import json

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from localcluster.api import ApiServer, write_kubeconfig

NS = "crud"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with ApiServer() as server:
        kubeconfig = write_kubeconfig(tmp_path_factory.mktemp("kube") / "config", server.url)
        api = config.new_client_from_config(str(kubeconfig))
        client.CoreV1Api(api).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
        try:
            yield server, api
        finally:
            api.close()


@pytest.fixture
def core(cluster):
    return client.CoreV1Api(cluster[1])


@pytest.fixture
def apps(cluster):
    return client.AppsV1Api(cluster[1])


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


def labels_selector(app):
    return client.V1LabelSelector(match_labels={"app": app})


def pod_template(app):
    return client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels={"app": app}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="img:1")]),
    )


def make_deployment(name, replicas=2):
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(replicas=replicas, selector=labels_selector(name), template=pod_template(name)),
    )


def test_pod_crud_and_typed_fields(core):
    body = client.V1Pod(
        metadata=client.V1ObjectMeta(name="p1", labels={"app": "p"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="img:1")]),
    )
    created = core.create_namespaced_pod(NS, body)
    assert created.metadata.uid and created.status.phase == "Pending"
    assert created.spec.volumes == [] and created.status.conditions == []
    assert created.spec.termination_grace_period_seconds == 30
    got = core.read_namespaced_pod("p1", NS)
    assert got.metadata.resource_version == created.metadata.resource_version
    patched = core.patch_namespaced_pod("p1", NS, {"metadata": {"labels": {"extra": "1"}}})
    assert patched.metadata.labels == {"app": "p", "extra": "1"}
    got = core.read_namespaced_pod("p1", NS)
    got.status.phase = "Running"
    got.status.pod_ip = "10.1.0.5"
    st = core.replace_namespaced_pod_status("p1", NS, got)
    assert st.status.phase == "Running" and st.status.pod_ip == "10.1.0.5"
    assert core.read_namespaced_pod_status("p1", NS).status.phase == "Running"
    deleted = core.delete_namespaced_pod("p1", NS)
    assert isinstance(deleted, client.V1Pod) and deleted.metadata.name == "p1"
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("p1", NS)
    assert err.value.status == 404
    assert status_of(err.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "p1" not found',
        "reason": "NotFound",
        "details": {"name": "p1", "kind": "pods"},
        "code": 404,
    }


def test_lists_sorted_by_namespace_then_name(core):
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="aaa")))
    for ns, name in [(NS, "zz"), ("aaa", "mm"), (NS, "bb"), ("aaa", "aa")]:
        spec = client.V1PodSpec(containers=[client.V1Container(name="c", image="i")])
        core.create_namespaced_pod(ns, client.V1Pod(metadata=client.V1ObjectMeta(name=name), spec=spec))
    everywhere = core.list_pod_for_all_namespaces()
    assert [(p.metadata.namespace, p.metadata.name) for p in everywhere.items] == [
        ("aaa", "aa"),
        ("aaa", "mm"),
        (NS, "bb"),
        (NS, "zz"),
    ]
    assert everywhere.metadata.resource_version
    assert [p.metadata.name for p in core.list_namespaced_pod(NS).items] == ["bb", "zz"]
    page = core.list_namespaced_pod(NS, limit=1)
    assert [p.metadata.name for p in page.items] == ["bb"] and page.metadata._continue
    rest = core.list_namespaced_pod(NS, limit=1, _continue=page.metadata._continue)
    assert [p.metadata.name for p in rest.items] == ["zz"] and not rest.metadata._continue
    core.delete_namespace("aaa")
    for name in ("bb", "zz"):
        core.delete_namespaced_pod(name, NS)
    assert core.list_namespaced_pod(NS).items == []


def test_namespace_and_node_crud(core):
    ns = core.read_namespace(NS)
    assert ns.status.phase == "Active" and ns.metadata.labels["kubernetes.io/metadata.name"] == NS
    node = client.V1Node(
        metadata=client.V1ObjectMeta(name="node-a", labels={"topology.kubernetes.io/zone": "z1"}),
        status=client.V1NodeStatus(conditions=[client.V1NodeCondition(type="Ready", status="True")]),
    )
    created = core.create_node(node)
    assert created.status.conditions[0].type == "Ready"
    cordoned = core.patch_node("node-a", {"spec": {"unschedulable": True}})
    assert cordoned.spec.unschedulable is True
    assert cordoned.spec.taints[0].key == "node.kubernetes.io/unschedulable"
    assert [n.metadata.name for n in core.list_node(field_selector="spec.unschedulable=true").items] == ["node-a"]
    uncordoned = core.patch_node("node-a", {"spec": {"unschedulable": False}})
    assert uncordoned.spec.unschedulable is None and uncordoned.spec.taints is None
    result = core.delete_node("node-a")
    assert isinstance(result, client.V1Status) and result.status == "Success"
    assert core.list_node().items == []


def test_service_endpoints_and_slices(cluster, core):
    svc = client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(selector={"app": "web"}, ports=[client.V1ServicePort(port=80, target_port=8080)]),
    )
    created = core.create_namespaced_service(NS, svc)
    assert created.spec.cluster_ip.startswith("10.") and created.spec.type == "ClusterIP"
    assert created.spec.ports[0].protocol == "TCP"
    ep = client.V1Endpoints(
        metadata=client.V1ObjectMeta(name="web"),
        subsets=[
            client.V1EndpointSubset(
                addresses=[client.V1EndpointAddress(ip="10.1.0.1")], ports=[client.CoreV1EndpointPort(port=8080)]
            )
        ],
    )
    assert core.create_namespaced_endpoints(NS, ep).subsets[0].addresses[0].ip == "10.1.0.1"
    disc = client.DiscoveryV1Api(cluster[1])
    es = client.V1EndpointSlice(
        metadata=client.V1ObjectMeta(name="web-abc", labels={"kubernetes.io/service-name": "web"}),
        address_type="IPv4",
        endpoints=[
            client.V1Endpoint(
                addresses=["10.1.0.1"],
                conditions=client.V1EndpointConditions(ready=False, serving=True, terminating=True),
            )
        ],
        ports=[client.DiscoveryV1EndpointPort(port=8080, name="http", protocol="TCP")],
    )
    disc.create_namespaced_endpoint_slice(NS, es)
    listed = disc.list_namespaced_endpoint_slice(NS, label_selector="kubernetes.io/service-name=web").items
    assert listed[0].endpoints[0].conditions.terminating is True
    assert listed[0].endpoints[0].conditions.ready is False
    deleted = core.delete_namespaced_service("web", NS)
    assert isinstance(deleted, client.V1Service) and deleted.metadata.name == "web"
    assert core.delete_namespaced_endpoints("web", NS).status == "Success"
    assert disc.delete_namespaced_endpoint_slice("web-abc", NS).status == "Success"


def test_deployment_crud_status_and_scale(apps):
    created = apps.create_namespaced_deployment(NS, make_deployment("web"))
    assert created.metadata.generation == 1 and created.spec.strategy.type == "RollingUpdate"
    assert created.status is not None and created.status.available_replicas is None
    assert [d.metadata.name for d in apps.list_namespaced_deployment(NS, field_selector="metadata.name=web").items] == [
        "web"
    ]
    patched = apps.patch_namespaced_deployment("web", NS, {"spec": {"replicas": 3}})
    assert patched.metadata.generation == 2
    status = {"status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3}}
    st = apps.patch_namespaced_deployment_status("web", NS, status)
    assert st.status.available_replicas == 3 and st.metadata.generation == 2
    scale = apps.read_namespaced_deployment_scale("web", NS)
    assert (scale.spec.replicas, scale.status.replicas, scale.status.selector) == (3, 3, "app=web")
    scaled = apps.patch_namespaced_deployment_scale("web", NS, {"spec": {"replicas": 5}})
    assert scaled.spec.replicas == 5
    scale = apps.read_namespaced_deployment_scale("web", NS)
    scale.spec.replicas = 1
    assert apps.replace_namespaced_deployment_scale("web", NS, scale).spec.replicas == 1
    assert apps.read_namespaced_deployment("web", NS).spec.replicas == 1
    restart = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}}
    restarted = apps.patch_namespaced_deployment("web", NS, restart)
    assert restarted.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] == "now"
    assert restarted.spec.template.spec.containers[0].image == "img:1"
    result = apps.delete_namespaced_deployment("web", NS)
    assert isinstance(result, client.V1Status) and result.status == "Success"


def test_replicaset_crud(apps):
    rs = client.V1ReplicaSet(
        metadata=client.V1ObjectMeta(name="web-1"),
        spec=client.V1ReplicaSetSpec(replicas=2, selector=labels_selector("rs"), template=pod_template("rs")),
    )
    created = apps.create_namespaced_replica_set(NS, rs)
    assert created.status.replicas == 0
    assert apps.read_namespaced_replica_set_scale("web-1", NS).spec.replicas == 2
    assert apps.patch_namespaced_replica_set("web-1", NS, {"spec": {"replicas": 4}}).spec.replicas == 4
    assert [r.metadata.name for r in apps.list_replica_set_for_all_namespaces().items] == ["web-1"]
    assert apps.delete_namespaced_replica_set("web-1", NS).status == "Success"


def test_hpa_crud_and_status(cluster):
    hpa_api = client.AutoscalingV2Api(cluster[1])
    hpa = client.V2HorizontalPodAutoscaler(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V2HorizontalPodAutoscalerSpec(
            max_replicas=10,
            min_replicas=2,
            scale_target_ref=client.V2CrossVersionObjectReference(api_version="apps/v1", kind="Deployment", name="web"),
            metrics=[
                client.V2MetricSpec(
                    type="Resource",
                    resource=client.V2ResourceMetricSource(
                        name="cpu", target=client.V2MetricTarget(type="Utilization", average_utilization=60)
                    ),
                )
            ],
        ),
    )
    created = hpa_api.create_namespaced_horizontal_pod_autoscaler(NS, hpa)
    assert created.status.desired_replicas == 0 and created.spec.metrics[0].resource.target.average_utilization == 60
    status = {"status": {"currentReplicas": 2, "desiredReplicas": 4, "lastScaleTime": "2025-01-01T00:00:00Z"}}
    st = hpa_api.patch_namespaced_horizontal_pod_autoscaler_status("web", NS, status)
    assert (st.status.current_replicas, st.status.desired_replicas) == (2, 4)
    assert hpa_api.read_namespaced_horizontal_pod_autoscaler_status("web", NS).status.desired_replicas == 4
    patched = hpa_api.patch_namespaced_horizontal_pod_autoscaler("web", NS, {"spec": {"maxReplicas": 12}})
    assert patched.spec.max_replicas == 12 and patched.status.desired_replicas == 4
    assert len(hpa_api.list_horizontal_pod_autoscaler_for_all_namespaces().items) == 1
    assert hpa_api.delete_namespaced_horizontal_pod_autoscaler("web", NS).status == "Success"


def test_pdb_crud_and_status(cluster):
    policy = client.PolicyV1Api(cluster[1])
    pdb = client.V1PodDisruptionBudget(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1PodDisruptionBudgetSpec(min_available=2, selector=labels_selector("web")),
    )
    created = policy.create_namespaced_pod_disruption_budget(NS, pdb)
    assert created.metadata.generation == 1
    assert (created.status.disruptions_allowed, created.status.expected_pods) == (0, 0)
    st = {"status": {"observedGeneration": 1, "currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1,
                     "expectedPods": 3}}
    assert policy.patch_namespaced_pod_disruption_budget_status("web", NS, st).status.disruptions_allowed == 1
    patched = policy.patch_namespaced_pod_disruption_budget("web", NS, {"spec": {"minAvailable": "50%"}})
    assert patched.spec.min_available == "50%" and patched.metadata.generation == 2
    assert patched.status.observed_generation == 1  # status older than spec, as the eviction rule needs
    assert [p.metadata.name for p in policy.list_pod_disruption_budget_for_all_namespaces().items] == ["web"]
    assert policy.delete_namespaced_pod_disruption_budget("web", NS).status == "Success"


def test_events_core_and_events_v1_share_storage(cluster, core):
    events = client.EventsV1Api(cluster[1])
    core_event = client.CoreV1Event(
        metadata=client.V1ObjectMeta(name="web.1"),
        involved_object=client.V1ObjectReference(kind="Pod", name="web-1", namespace=NS),
        reason="Killing",
        message="Stopping container c",
        type="Normal",
        source=client.V1EventSource(component="kubelet"),
    )
    core.create_namespaced_event(NS, core_event)
    v1_event = client.EventsV1Event(
        metadata=client.V1ObjectMeta(name="web.2"),
        event_time="2025-01-01T00:00:00.000000Z",
        reporting_controller="agentflow/hpa",
        reporting_instance="hpa-0",
        action="Scale",
        reason="SuccessfulRescale",
        regarding=client.V1ObjectReference(kind="HorizontalPodAutoscaler", name="web", namespace=NS),
        note="New size: 4",
        type="Normal",
    )
    events.create_namespaced_event(NS, v1_event)
    listed = events.list_namespaced_event(NS).items
    assert [e.metadata.name for e in listed] == ["web.1", "web.2"]
    assert all(e.event_time is not None for e in listed)
    assert listed[0].note == "Stopping container c" and listed[0].regarding.name == "web-1"
    core_view = core.list_namespaced_event(NS, field_selector="involvedObject.kind=HorizontalPodAutoscaler").items
    assert [(e.reason, e.message, e.source.component) for e in core_view] == [
        ("SuccessfulRescale", "New size: 4", "agentflow/hpa")
    ]
    assert core.list_namespaced_event(NS, field_selector="reason=Killing").items[0].count == 1
    by_regarding = events.list_event_for_all_namespaces(field_selector="regarding.name=web-1,type=Normal")
    assert [e.metadata.name for e in by_regarding.items] == ["web.1"]
    by_controller = events.list_namespaced_event(NS, field_selector="reportingController=agentflow/hpa")
    assert [e.metadata.name for e in by_controller.items] == ["web.2"]
    assert events.delete_namespaced_event("web.2", NS).status == "Success"
    assert [e.metadata.name for e in core.list_event_for_all_namespaces().items] == ["web.1"]


def test_error_statuses(core, apps):
    spec = client.V1PodSpec(containers=[client.V1Container(name="c", image="i")])
    core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="dup"), spec=spec))
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="dup"), spec=spec))
    assert err.value.status == 409 and status_of(err.value)["reason"] == "AlreadyExists"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="Bad_Name"), spec=spec))
    assert err.value.status == 422 and status_of(err.value)["reason"] == "Invalid"
    bad = make_deployment("bad")
    bad.spec.template.metadata.labels = {"app": "other"}
    with pytest.raises(ApiException) as err:
        apps.create_namespaced_deployment(NS, bad)
    assert err.value.status == 422 and "selector" in status_of(err.value)["message"]
    current = core.read_namespaced_pod("dup", NS)
    core.patch_namespaced_pod("dup", NS, {"metadata": {"labels": {"v": "2"}}})
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_pod("dup", NS, current)
    assert err.value.status == 409 and status_of(err.value)["reason"] == "Conflict"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod("no-such-ns", client.V1Pod(metadata=client.V1ObjectMeta(name="x"), spec=spec))
    assert err.value.status == 404 and status_of(err.value)["details"] == {"name": "no-such-ns", "kind": "namespaces"}
    with pytest.raises(ApiException) as err:
        apps.read_namespaced_deployment("ghost", NS)
    assert status_of(err.value)["details"] == {"name": "ghost", "group": "apps", "kind": "deployments"}
    core.delete_namespaced_pod("dup", NS)


def test_resource_versions_over_http(core):
    spec = client.V1PodSpec(containers=[client.V1Container(name="c", image="i")])
    first = core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="rv-1"), spec=spec))
    second = core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="rv-2"), spec=spec))
    rv1, rv2 = int(first.metadata.resource_version), int(second.metadata.resource_version)
    assert rv2 == rv1 + 1  # one global counter
    listed = core.list_namespaced_pod(NS)
    assert int(listed.metadata.resource_version) == rv2
    same = core.patch_namespaced_pod("rv-1", NS, {"metadata": {"labels": {}}})
    assert int(same.metadata.resource_version) == rv1  # a no-op write is not a write
    changed = core.patch_namespaced_pod("rv-1", NS, {"metadata": {"labels": {"k": "v"}}})
    assert int(changed.metadata.resource_version) == rv2 + 1
    assert changed.metadata.creation_timestamp == first.metadata.creation_timestamp
    assert changed.metadata.uid == first.metadata.uid
    for name in ("rv-1", "rv-2"):
        core.delete_namespaced_pod(name, NS)
