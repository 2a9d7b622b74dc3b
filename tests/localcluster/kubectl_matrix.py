"""The fidelity matrix of the local cluster: for each API area and kubectl verb, whether it is supported,
partly supported or not, and the test in test_kubectl_e2e.py that proves it. docs/local-cluster-fidelity.md
is generated from this table (`python tests/localcluster/kubectl_matrix.py` rewrites it) and a test fails when
the document differs, or when a row names a test that does not exist: the matrix is kept true by the tests."""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "local-cluster-fidelity.md"
YES, PARTLY, NO = "supported", "partly supported", "not supported"

# (area, what, status, test in test_kubectl_e2e.py, note)
MATRIX: tuple[tuple[str, str, str, str, str], ...] = (
    ("OpenAPI", "`kubectl apply -f` with default validation", YES, "test_apply_validates_on_the_server",
     "v3 lists fieldValidation, so kubectl leaves validation to the server: unknown field -> 400"),
    ("OpenAPI", "`kubectl explain` (v3 and `-o plaintext-openapiv2`)", YES, "test_explain_v3_and_v2", ""),
    ("OpenAPI", "`kubectl edit` (no-op and change)", YES, "test_edit_noop_and_change", ""),
    ("dry run", "`kubectl diff`, `--dry-run=server` on create/apply/delete/scale", YES,
     "test_diff_and_server_dry_run_change_nothing", "dryRun=All on every write verb, nothing stored"),
    ("dry run", "`kubectl drain --dry-run=server`", YES, "test_drain_dry_run_evicts_nothing",
     "evictions checked against the PDB, nothing evicted, budget untouched"),
    ("apply", "`kubectl apply --server-side`, conflicts, `--force-conflicts`", YES,
     "test_server_side_apply_and_conflict", "managedFields for writes through the API (not the in-process "
     "controllers)"),
    ("bodies", "`kubectl create namespace/deployment/service/pdb/secret/configmap/serviceaccount/role/...`", YES,
     "test_create_subcommands_send_protobuf", "Kubernetes protobuf request bodies decoded"),
    ("kinds", "ConfigMap, Secret, ServiceAccount, Lease, RBAC kinds: create/apply/edit/diff", YES,
     "test_each_served_kind_create_apply_edit_diff", ""),
    ("kinds", "the workload's `secretKeyRef` Secret", YES, "test_workload_secret_is_served",
     "values never logged"),
    ("kinds", "StatefulSet, DaemonSet, Job, CronJob, Ingress, PVC", NO, "test_unserved_kinds_are_unknown",
     "not served: `the server doesn't have a resource type`"),
    ("RBAC", "`kubectl auth can-i`, `auth can-i --list`, `auth whoami`", YES, "test_auth_can_i_and_whoami", ""),
    ("RBAC", "restricted identity (`--user agentflow-local-viewer`) gets upstream's 403", YES,
     "test_restricted_identity_is_forbidden", ""),
    ("metrics", "`kubectl top pods/nodes`", YES, "test_top_pods_and_nodes",
     "the HPA's samples; a node's usage is the sum of its pods"),
    ("autoscaling", "`kubectl autoscale` (autoscaling/v1 view of the v2 HPA)", YES, "test_autoscale_v1_view", ""),
    ("rollout", "`kubectl rollout undo` reuses the old ReplicaSet, `rollout history`", YES,
     "test_rollout_undo_reuses_the_old_replicaset", ""),
    ("rollout", "`kubectl rollout pause/resume` conditions", YES, "test_rollout_pause_condition", ""),
    ("logs", "`kubectl logs --previous` without a restart", YES, "test_logs_previous_is_bad_request", ""),
    ("describe", "`kubectl describe pod` probe defaults, `describe node` Lease", YES, "test_describe_defaults",
     ""),
    ("namespaces", "`kubectl delete namespace`: Terminating, graceful pod deletion", YES,
     "test_namespace_deletion_is_graceful", ""),
    ("names", "generated name suffixes", YES, "test_generated_names_use_upstream_alphabet", ""),
    ("streaming", "`kubectl exec`, `attach`, `cp`, `port-forward`", NO, "test_streaming_verbs_are_refused_clearly",
     "one-sentence 400: pods are local processes without a container runtime"),
    ("game day", "`drain`, `cordon`, `rollout restart/status`, `delete`, `wait`, `label`, `annotate`, patches", YES,
     "test_game_day_core", "slow test (`make test-slow`)"),
)


def render() -> str:
    lines = ["# Local cluster fidelity matrix", "",
             "Generated from `tests/localcluster/kubectl_matrix.py` (do not edit by hand: run "
             "`python tests/localcluster/kubectl_matrix.py`). Every row is proven by the named test in "
             "`tests/localcluster/test_kubectl_e2e.py`, which drives the real `kubectl` (1.32) against a running "
             "local cluster; a failing test fails `make test`. See docs/local-cluster.md for how each part works.",
             "", "| area | what | status | proven by | note |", "|---|---|---|---|---|"]
    for area, what, status, test, note in MATRIX:
        lines.append(f"| {area} | {what} | {status} | `{test}` | {note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOC.write_text(render())
    sys.stdout.write(f"wrote {DOC}\n")
