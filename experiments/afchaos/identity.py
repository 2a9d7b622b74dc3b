"""Which cluster a process talks to, and the production refusal: a context, cluster or API server whose name
contains one of the words prod, production, prd, live (split on anything not a letter or digit) is refused
unless the policy allows production."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from chaoslib.types import Secrets

from experiments.afchaos.policy import Refused, SafetyPolicy, production_words

__all__ = ["UnknownContext", "check_context", "kube_identity"]


class UnknownContext(Refused):
    """The kubeconfig does not say which cluster this is (no such context, unreadable file)."""


def _kubeconfig_docs(kubeconfig: str | None) -> list[dict[str, Any]]:
    paths = (kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config").split(os.pathsep)
    docs = []
    for path in paths:
        try:
            docs.append(yaml.safe_load(Path(path).expanduser().read_text()) or {})
        except (OSError, yaml.YAMLError) as exc:
            raise UnknownContext(f"kubeconfig {path}: cannot read ({exc}); set KUBECONFIG") from None
    return docs


def kube_identity(context: str | None = None, kubeconfig: str | None = None) -> dict[str, str | None]:
    """{context, cluster, server} the process will talk to: the kubeconfig context `context` (else
    KUBERNETES_CONTEXT, else current-context); in a pod (CHAOSTOOLKIT_IN_POD=true) AFSUITE_CLUSTER_NAME."""
    if os.environ.get("CHAOSTOOLKIT_IN_POD", "").lower() == "true":
        host = os.environ.get("KUBERNETES_SERVICE_HOST")
        return {"context": None, "cluster": os.environ.get("AFSUITE_CLUSTER_NAME"),
                "server": f"https://{host}" if host else None}
    docs = _kubeconfig_docs(kubeconfig)
    name = context or os.environ.get("KUBERNETES_CONTEXT") or next(
        (d.get("current-context") for d in docs if d.get("current-context")), None)
    ctx = next((c.get("context") or {} for d in docs for c in d.get("contexts") or [] if c.get("name") == name),
               None)
    if ctx is None:
        raise UnknownContext(f"kubeconfig context {name!r} not found; set KUBERNETES_CONTEXT (or `context:` in the "
                             "target file) to one of the contexts in KUBECONFIG")
    cluster = ctx.get("cluster")
    server = next(((c.get("cluster") or {}).get("server") for d in docs for c in d.get("clusters") or []
                   if c.get("name") == cluster), None)
    return {"context": name, "cluster": cluster, "server": server}


def check_context(context: Any = None, *, kubeconfig: str | None = None, policy: SafetyPolicy | None = None,
                  secrets: Secrets = None) -> dict[str, Any]:
    """Refuse (Refused) a target that looks like production unless allow_production. `context` is a kubeconfig
    context name, a kubernetes ApiClient (only its server is known) or None (the process's context: secrets or
    env KUBERNETES_CONTEXT, else the current context). Returns the identity checked."""
    policy = policy or SafetyPolicy.from_env()
    if context is not None and not isinstance(context, str):
        host = getattr(getattr(context, "configuration", None), "host", None)
        ident: dict[str, Any] = {"context": None, "cluster": None, "server": host}
    else:
        name = context or (secrets or {}).get("KUBERNETES_CONTEXT")
        ident = dict(kube_identity(name, kubeconfig))
    host = urlparse(ident.get("server") or "").hostname
    words = production_words(ident.get("context"), ident.get("cluster"), host)
    ident["looks_like_production"] = bool(words)
    if words and not policy.allow_production:
        raise Refused(
            f"refusing to run against context {ident['context']!r} (cluster {ident['cluster']!r}, server "
            f"{ident['server']!r}): it looks like production (word(s) {', '.join(words)}). If this really is a "
            "cluster you may break, set allow_production: true in the target file (AFSUITE_ALLOW_PRODUCTION=true)")
    unnamed = ident["context"] is None and ident["cluster"] is None
    if unnamed and isinstance(context, str | None) and not policy.allow_production:
        raise Refused("cannot tell which cluster this is (in a pod, no kubeconfig context): set "
                      "AFSUITE_CLUSTER_NAME to the cluster's name, or AFSUITE_ALLOW_PRODUCTION=true")
    return ident
