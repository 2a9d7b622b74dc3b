"""`afsuite doctor`: check a target before anything runs, and say what the experiments will run into.

Checks, in order: the API answers (/version); the permissions the suite needs (`harness.doctor_rbac`: one
SelfSubjectAccessReview each, a finding naming every denied one; a server without the review API makes this
"not checkable"); the workload (Deployment
by name, else by selector), its HPA and PDB and the known gaps of AgentFlow's shipped chart
(`harness.doctor_checks`); the service answers all three stream endpoints with the API key (`harness.probe`);
a pod's /metrics (local cluster: 127.0.0.1 + the host port in the pod annotation
`localcluster.agentflow.dev/ports`; elsewhere through the API server's pod proxy when allowed, else "not
checked"). Prints one line per finding (or `--json`); exits 1 when any finding is an error, 5 (BAD INPUT)
when the target cannot be loaded. The API key is never printed: it is also scrubbed from the output as a last
line of defence.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import typer
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from harness.doctor_checks import Finding, metrics_findings, selects, workload_findings
from harness.doctor_rbac import permission_findings
from harness.probe import probe_all
from harness.target import Target
from harness.targets import resolve_target_or_exit

PORTS_ANNOTATION = "localcluster.agentflow.dev/ports"
class Kube:
    """Raw JSON GET/POST on the target's API server (the official client, the target's kubeconfig and context,
    like `harness.target.kube_api_client` but with one retry)."""

    def __init__(self, target: Target) -> None:
        cfg = client.Configuration()
        config.load_kube_config(config_file=target.kubeconfig, context=target.context, client_configuration=cfg)
        cfg.retries = 1  # an unreachable API server is a finding, not a minute of urllib3 retries
        self._client: Any = client.ApiClient(configuration=cfg)

    def call(self, method: str, path: str, body: Any = None, **query: str) -> dict[str, Any]:
        resp = self._client.call_api(
            path, method, query_params=list(query.items()), body=body,
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
            _request_timeout=10.0)
        data = resp.data
        return json.loads(data) if data else {}

    def text(self, path: str) -> str:
        resp = self._client.call_api(path, "GET", header_params={"Accept": "text/plain"},
                                     auth_settings=["BearerToken"], _preload_content=False,
                                     _return_http_data_only=True, _request_timeout=10.0)
        return resp.data.decode("utf-8", "replace")

    def items(self, path: str, kind: str, **query: str) -> list[dict[str, Any]]:
        return [{**item, "kind": kind} for item in self.call("GET", path, **query).get("items") or []]

    def close(self) -> None:
        self._client.close()


def api_findings(kube: Kube) -> list[Finding]:
    try:
        version = kube.call("GET", "/version")
    except Exception as exc:  # any transport or HTTP failure means "not reachable"
        return [Finding("error", "api.reachable", f"the API server does not answer /version: {_short(exc)}; "
                        "check the kubeconfig/context in the target file")]
    return [Finding("ok", "api.reachable", f"API server {version.get('gitVersion', '?')}")]


def find_workload(kube: Kube, target: Target) -> dict[str, Any] | None:
    ns = target.namespace
    try:
        dep = kube.call("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/{target.deployment}")
        return {**dep, "kind": "Deployment"}
    except ApiException as exc:
        if exc.status != 404:
            raise
    found = kube.items(f"/apis/apps/v1/namespaces/{ns}/deployments", "Deployment", labelSelector=target.selector)
    return found[0] if found else None


def workload_live_findings(kube: Kube, target: Target) -> list[Finding]:
    ns = target.namespace
    try:
        dep = find_workload(kube, target)
        if dep is None:
            return [Finding("error", "workload.missing", f"no Deployment {target.deployment} and none with labels "
                            f"{target.selector} in namespace {ns}; fix deployment/selector in the target file")]
        name = dep["metadata"]["name"]
        hpas = kube.items(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers", "HorizontalPodAutoscaler")
        hpa = next((h for h in hpas if (h.get("spec") or {}).get("scaleTargetRef", {}).get("name") == name), None)
        labels = (dep["spec"].get("template") or {}).get("metadata", {}).get("labels") or {}
        pdbs = [p for p in kube.items(f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", "PodDisruptionBudget")
                if selects((p.get("spec") or {}).get("selector"), labels)]
    except ApiException as exc:
        return [Finding("error", "workload.read", f"cannot read the workload in namespace {ns}: HTTP {exc.status} "
                        f"{exc.reason}")]
    st = dep.get("status") or {}
    found = Finding("ok" if st.get("readyReplicas") else "warning", "workload.found",
                    f"{st.get('readyReplicas', 0)}/{dep['spec'].get('replicas', 1)} replicas Ready",
                    f"deployment/{name}")
    return [found, *workload_findings(dep, hpa, pdbs)]


def service_findings(target: Target, timeout: float = 30.0) -> list[Finding]:
    if not target.service_url:
        return [Finding("error", "service.url", "no service_url in the target")]
    try:
        key = target.api_key()
    except ValueError as exc:
        return [Finding("error", "service.api-key", str(exc))]
    if not key:
        return [Finding("error", "service.api-key", f"no API key: set {target.api_key_env} or api_key_file")]
    out = []
    for res in probe_all(target.service_url, key, timeout=timeout):
        sev = "ok" if res.outcome == "ok" else "error"
        detail = f"HTTP {res.status} {res.outcome}" + (f" ({res.error})" if res.error else "")
        ttft = f", TTFT {res.ttft * 1000:.0f} ms" if res.ttft is not None else ""
        out.append(Finding(sev, f"service.{res.endpoint}", f"{res.path}: {detail}{ttft}", target.service_url))
    return out


def scrape_metrics(kube: Kube, target: Target) -> tuple[str | None, str]:
    """(a Ready pod's /metrics text or None, where it came from or why not)."""
    try:
        pods = kube.items(f"/api/v1/namespaces/{target.namespace}/pods", "Pod", labelSelector=target.selector)
    except ApiException as exc:
        return None, f"pods not listable (HTTP {exc.status})"
    pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
    if not pods:
        return None, "no running pod"
    pod = pods[0]
    name = pod["metadata"]["name"]
    ports = (pod["metadata"].get("annotations") or {}).get(PORTS_ANNOTATION)
    if ports:
        port = json.loads(ports).get("metrics") or json.loads(ports).get("9091")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5.0).text, f"pod/{name} (local)"
        except httpx.HTTPError as exc:
            return None, f"pod/{name} 127.0.0.1:{port}: {_short(exc)}"
    try:
        return kube.text(f"/api/v1/namespaces/{target.namespace}/pods/{name}:9091/proxy/metrics"), f"pod/{name} (proxy)"
    except Exception as exc:  # any failure of the pod proxy: report "not checked"
        return None, f"pod proxy for pod/{name} not available ({_short(exc)})"


def _short(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    if status:
        return f"HTTP {status} {getattr(exc, 'reason', '')}".strip()
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def diagnose(target: Target, *, probe_timeout: float = 30.0) -> list[Finding]:
    """Every finding for `target` (never raises for a broken target: that is a finding)."""
    try:
        kube = Kube(target)
    except Exception as exc:  # kubeconfig missing/unparsable: one error finding, then the service check
        return [Finding("error", "api.kubeconfig", f"cannot load kubeconfig {target.kubeconfig or '(default)'} "
                        f"context {target.context or '(current)'}: {exc}"), *service_findings(target, probe_timeout)]
    try:
        findings = api_findings(kube)
        if findings[0].severity != "error":
            findings += permission_findings(kube, target.namespace)
            findings += workload_live_findings(kube, target)
        findings += service_findings(target, probe_timeout)
        if findings[0].severity != "error":
            text, where = scrape_metrics(kube, target)
            findings += metrics_findings(text, where)
        else:
            findings += metrics_findings(None, "API not reachable")
    finally:
        kube.close()
    return findings


def redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def render(target: Target, findings: list[Finding], as_json: bool) -> str:
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        return json.dumps({"target": target.to_dict(), "errors": errors,
                           "findings": [f.to_dict() for f in findings]}, indent=2)
    lines = [f"doctor: target {target.name} (context {target.context}, namespace {target.namespace})"]
    lines += [f.line() for f in findings]
    lines.append(f"{errors} error(s), {sum(f.severity == 'warning' for f in findings)} warning(s)")
    return "\n".join(lines)


def run_doctor(target: Target, as_json: bool = False, echo: Callable[[str], None] = print) -> int:
    """Diagnose `target`, print the findings (key scrubbed); 1 when any is an error, else 0."""
    findings = diagnose(target)
    try:
        key = target.api_key()
    except ValueError:
        key = None
    echo(redact(render(target, findings, as_json), key))
    return 1 if any(f.severity == "error" for f in findings) else 0


def doctor_command(
    target: Path | None = typer.Option(None, "--target", help="target file (YAML); default: the local cluster"),
    state_dir: Path | None = typer.Option(None, "--state-dir", help="local cluster state directory"),
    json_output: bool = typer.Option(False, "--json", help="print the findings as JSON"),
) -> None:
    """Check a target before anything runs: API, permissions, workload, HPA/PDB, service, metrics."""
    tgt = resolve_target_or_exit(target, state_dir)
    assert tgt is not None
    raise typer.Exit(run_doctor(tgt, json_output, typer.echo))
