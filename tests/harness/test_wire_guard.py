"""The one guard on the kubernetes client's wire (experiments/afchaos/wire.py + safety.admit), against a small
recording API server on loopback that either honours `dryRun=All` (as a real API server does) or refuses it
(as the local cluster does today). Every mutating request any code sends through the official client passes
it: the suite's own Api, and chaosk8s' typed calls.

- dry run + server with dry-run support: the change is sent with dryRun=All, the server's answer is in the plan;
- dry run + server without: nothing but the no-op probe reaches the server, the plan says "not sent";
- a real run: the change is sent as is;
- nodes outside the allowed set, a blast radius over its cap, a production-looking server and collection
  deletes are refused before the request leaves; restoring changes (uncordon) are exempt from the node checks.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from kubernetes.client.rest import ApiException
from kubernetes.config import kube_config

from experiments.afchaos import plan, safety, wire
from experiments.afchaos.k8s import Api
from experiments.afchaos.policy import Refused

NODE = {"metadata": {"name": "ip-10-0-1-1", "labels": {"topology.kubernetes.io/zone": "eu-west-1a",
                                                       "node.kubernetes.io/instance-type": "m6i.large"}},
        "spec": {}}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "agentflow-1", "namespace": "agentflow",
                                                       "uid": "u1", "labels": {"app": "agentflow"}},
       "spec": {"nodeName": "ip-10-0-1-1", "containers": [{"name": "c", "image": "i"}]}, "status": {}}


class Recorder(BaseHTTPRequestHandler):
    supports_dry_run = True
    requests: list[tuple[str, str, dict]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _object(self, path: str) -> dict:
        if path.startswith("/api/v1/nodes"):
            return NODE if path.rstrip("/").endswith(NODE["metadata"]["name"]) else \
                {"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": [NODE]}
        if path.endswith("/pods"):
            return {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [POD]}
        return POD

    def do_GET(self) -> None:
        self._answer(200, self._object(urlsplit(self.path).path))

    def _mutation(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).requests.append((self.command, parts.path, query))
        if "dryRun" in query and not self.supports_dry_run:
            self._answer(400, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 400,
                               "reason": "BadRequest", "message": "dryRun is not supported by the local cluster"})
            return
        if parts.path.endswith("/eviction"):
            self._answer(201, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201})
            return
        self._answer(200, self._object(parts.path))

    do_PATCH = do_POST = do_DELETE = do_PUT = _mutation


@pytest.fixture
def server(tmp_path, monkeypatch):
    handler = type("Handler", (Recorder,), {"requests": [], "supports_dry_run": True})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "staging",
        "clusters": [{"name": "staging", "cluster": {"server": url}}],
        "contexts": [{"name": "staging", "context": {"cluster": "staging", "user": "u"}}],
        "users": [{"name": "u", "user": {"token": "t"}}]}))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))
    monkeypatch.setenv("AFSUITE_RUN_DIR", str(tmp_path / "run"))
    for var in ("AFSUITE_DRY_RUN", "AFSUITE_ALLOWED_NODES", "AFSUITE_ALLOWED_ZONES", "AFSUITE_MAX_PODS",
                "AFSUITE_MAX_NODES", "AFSUITE_ALLOW_PRODUCTION", "KUBERNETES_CONTEXT"):
        monkeypatch.delenv(var, raising=False)
    safety.reset()
    yield handler
    httpd.shutdown()
    wire.uninstall()
    safety.reset()


def _patch_node(api: Api | None = None) -> dict:
    api = api or Api()
    try:
        return api.patch("/api/v1/nodes/ip-10-0-1-1", {"spec": {"unschedulable": True}})
    finally:
        api.close()


def test_dry_run_uses_the_servers_dry_run_when_it_has_one(server, monkeypatch):
    monkeypatch.setenv("AFSUITE_DRY_RUN", "true")
    monkeypatch.setenv("AFSUITE_ALLOWED_ZONES", "eu-west-1a")
    _patch_node()
    assert server.requests, "nothing reached the server"
    assert all(query.get("dryRun") == ["All"] for _, _, query in server.requests), server.requests
    entry = next(e for e in plan.entries() if e.get("method") == "PATCH")
    assert entry["sent"] == "dryRun=All" and entry["server"] == "200" and entry["object"]["name"] == "ip-10-0-1-1"


def test_dry_run_sends_nothing_to_a_server_without_dry_run(server, monkeypatch):
    server.supports_dry_run = False
    monkeypatch.setenv("AFSUITE_DRY_RUN", "true")
    monkeypatch.setenv("AFSUITE_ALLOWED_ZONES", "eu-west-1a")
    answer = _patch_node()
    assert answer["metadata"]["name"] == "ip-10-0-1-1"  # the stand-in answer: the object as it is
    assert server.requests == [("PATCH", "/api/v1/nodes/ip-10-0-1-1", {"dryRun": ["All"]})]  # the no-op probe only
    entry = next(e for e in plan.entries() if e.get("method") == "PATCH")
    assert entry["sent"].startswith("not sent") and entry["decision"] == "planned"


def test_a_real_run_sends_the_change(server, monkeypatch):
    monkeypatch.setenv("AFSUITE_ALLOWED_NODES", "ip-10-0-1-1")
    _patch_node()
    assert server.requests == [("PATCH", "/api/v1/nodes/ip-10-0-1-1", {})]


def test_chaosk8s_typed_calls_pass_the_guard_too(server, monkeypatch):
    from chaosk8s.pod.actions import terminate_pods

    wire.install()  # what the safety control does before the first activity
    monkeypatch.setenv("AFSUITE_DRY_RUN", "true")
    server.supports_dry_run = False
    terminate_pods(label_selector="app=agentflow", ns="agentflow")
    assert [r for r in server.requests if r[0] == "DELETE"] == []
    assert any(e.get("method") == "DELETE" and e["object"]["name"] == "agentflow-1" for e in plan.entries())


def test_nodes_outside_the_allowed_set_are_refused_before_the_request(server, monkeypatch):
    monkeypatch.setenv("AFSUITE_ALLOWED_ZONES", "eu-west-1b")
    with pytest.raises(Refused, match=r"ip-10-0-1-1 \(zone eu-west-1a\).*AFSUITE_ALLOWED_ZONES"):
        _patch_node()
    assert server.requests == []
    assert any(e.get("decision") == "refused" for e in plan.entries())
    # restoring (a rollback: uncordon) is not held to the allowed set, and still obeys dry run
    with plan.intent("uncordon", restoring=True):
        _patch_node()
    assert server.requests == [("PATCH", "/api/v1/nodes/ip-10-0-1-1", {})]


def test_blast_radius_and_collection_deletes_are_refused(server, monkeypatch):
    monkeypatch.setenv("AFSUITE_MAX_PODS", "1")
    api = Api()
    try:
        api.delete("/api/v1/namespaces/agentflow/pods/agentflow-1")
        api.delete("/api/v1/namespaces/agentflow/pods/agentflow-1")  # the same pod again: still one
        with pytest.raises(Refused, match="max_pods=1"):
            api.post("/api/v1/namespaces/agentflow/pods/agentflow-2/eviction", {"metadata": {"name": "x"}})
        with pytest.raises(Refused, match="collection"):
            api.delete("/api/v1/namespaces/agentflow/pods")
    finally:
        api.close()
    assert [r[1] for r in server.requests] == ["/api/v1/namespaces/agentflow/pods/agentflow-1"] * 2


def test_a_production_looking_server_is_refused(server, monkeypatch, tmp_path):
    doc = yaml.safe_load(Path(kube_config.KUBE_CONFIG_DEFAULT_LOCATION).read_text())
    doc["contexts"][0]["name"] = doc["current-context"] = "eks-prod"
    (tmp_path / "kc-prod").write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kc-prod"))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(tmp_path / "kc-prod"))
    monkeypatch.setenv("AFSUITE_ALLOWED_NODES", "ip-10-0-1-1")
    with pytest.raises(Refused, match="looks like production"):
        _patch_node()
    assert server.requests == []


def test_an_error_answer_is_an_api_error_not_a_refusal(server, monkeypatch):
    server.supports_dry_run = False
    monkeypatch.setenv("AFSUITE_ALLOWED_NODES", "ip-10-0-1-1")
    api = Api()
    try:
        with pytest.raises(ApiException):  # a real run against a server refusing the query: its own error
            api.call("PATCH", "/api/v1/nodes/ip-10-0-1-1", query={"dryRun": "All"}, body={},
                     content_type="application/merge-patch+json")
    finally:
        api.close()
