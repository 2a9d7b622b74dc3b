"""write_kubeconfig: a fresh file, and merging into an existing one without clobbering it."""

import stat

import pytest
import yaml
from kubernetes import client, config

from localcluster.api import ApiServer, write_kubeconfig

OTHER = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "prod", "cluster": {"server": "https://prod.example:6443"}}],
    "users": [{"name": "prod-admin", "user": {"token": "prod-token"}}],
    "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "prod-admin"}}],
    "current-context": "prod",
}


def test_fresh_file_works_with_the_client(tmp_path):
    with ApiServer() as server:
        path = write_kubeconfig(tmp_path / "sub" / "config", server.url, namespace="team")
        doc = yaml.safe_load(path.read_text())
        assert doc["current-context"] == "agentflow-local"
        assert doc["clusters"][0]["cluster"]["server"] == server.url
        assert doc["contexts"][0]["context"]["namespace"] == "team"
        assert doc["users"][0]["user"] == {}
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        api = config.new_client_from_config(str(path), context="agentflow-local")
        try:
            names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
        finally:
            api.close()
        assert "default" in names


def test_merge_keeps_other_contexts_and_current(tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(OTHER))
    write_kubeconfig(path, "http://127.0.0.1:1111", merge=True)
    write_kubeconfig(path, "http://127.0.0.1:2222", merge=True, token="t0k")
    doc = yaml.safe_load(path.read_text())
    assert doc["current-context"] == "prod"
    assert [c["name"] for c in doc["contexts"]] == ["prod", "agentflow-local"]
    assert [c["cluster"]["server"] for c in doc["clusters"]] == ["https://prod.example:6443", "http://127.0.0.1:2222"]
    assert doc["users"][0]["user"] == {"token": "prod-token"} and doc["users"][1]["user"] == {"token": "t0k"}
    write_kubeconfig(path, "http://127.0.0.1:2222", merge=True, set_current=True)
    assert yaml.safe_load(path.read_text())["current-context"] == "agentflow-local"


def test_without_merge_the_file_is_replaced(tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(OTHER))
    write_kubeconfig(path, "http://127.0.0.1:3333")
    assert [c["name"] for c in yaml.safe_load(path.read_text())["contexts"]] == ["agentflow-local"]


def test_bad_existing_file_is_a_clear_error(tmp_path):
    path = tmp_path / "config"
    path.write_text("clusters: {not: a list}\n")
    with pytest.raises(ValueError, match=r"config: field 'clusters' must be a list"):
        write_kubeconfig(path, "http://127.0.0.1:1", merge=True)
