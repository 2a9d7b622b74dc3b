"""Control: the safety guard for a whole `chaos run` (declare it first in `controls:`).

Before anything runs it checks the kubeconfig context (a production-looking one is refused unless allowed: the
experiment is interrupted before its first probe) and installs the guard on the kubernetes client
(`experiments.afchaos.wire`), so every change any activity makes, chaosk8s' own included, passes
`experiments.afchaos.safety`. It tells the guard which activity is running, so `chaos/plan.json` says why.

In a dry run (AFSUITE_DRY_RUN=true, configuration `afsuite_dry_run`, `afsuite ... --dry-run` or a target's
`dry_run: true`; the most cautious wins) the experiment still runs its actions, so every selector is resolved
against the live cluster, but every change is answered by the guard (sent with dryRun=All, or not sent). What
would only observe or send traffic does not run: the steady-state probes are set aside for the hypothesis (and
put back after it), method probes and actions the guard cannot see into (process/http providers, python
providers outside chaosk8s and afchaos) are replaced by a stand-in that records them in the plan, and pauses are
skipped. The background load, marks, floor and safeguard controls stand aside by themselves.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from chaoslib import substitute
from chaoslib.exceptions import InterruptExecution
from chaoslib.types import Activity, Configuration, Experiment, Journal, Secrets

from experiments.afchaos import journal, plan, safety, wire
from experiments.afchaos.policy import PolicyError, Refused, SafetyPolicy

GUARDED_MODULES = ("chaosk8s.", "experiments.afchaos.")
STAND_IN = {"type": "python", "module": "experiments.afchaos.controls.safety", "func": "not_run_in_dry_run"}
_state: dict[str, Any] = {}


def _experiment_name(context: Experiment) -> str:
    name = os.environ.get("AFSUITE_EXPERIMENT")
    return name or re.sub(r"[^a-z0-9]+", "-", str(context.get("title", "experiment")).lower()).strip("-")[:60]


def _function(activity: Activity) -> str:
    provider = activity.get("provider") or {}
    if provider.get("type") == "python":
        return f"{provider.get('module')}.{provider.get('func')}"
    return str(provider.get("type") or "?")


def _why(activity: Activity, configuration: Configuration, secrets: Secrets) -> str:
    arguments = substitute((activity.get("provider") or {}).get("arguments") or {}, configuration, secrets)
    shown = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in arguments.items())
    return f"{activity.get('type', 'activity')} '{activity.get('name', '?')}'" + (f" ({shown})" if shown else "")


def policy(configuration: Configuration = None) -> SafetyPolicy:
    return SafetyPolicy.from_env(configuration)


def before_experiment_control(context: Experiment, configuration: Configuration = None, secrets: Secrets = None,
                              **kwargs: Any) -> None:
    """Check the context and install the guard; interrupt the experiment (before anything ran) on a refusal."""
    safety.reset()
    _state.clear()
    wire.install()  # first: even the rollbacks of a refused experiment pass the guard
    name = _experiment_name(context)
    try:
        current = policy(configuration)
        plan.reset({"dry_run": current.dry_run, "policy": current.to_dict()})
        plan.set_activity(experiment=name)
        ident = safety.check_context(secrets=secrets, policy=current)
    except (Refused, PolicyError) as exc:
        plan.add(decision="refused", note="the experiment was refused before it started", server=str(exc))
        journal.record("safety", {"time": time.time(), "refused": str(exc), "experiment": name})
        raise InterruptExecution(str(exc)) from None
    _state.update(dry_run=current.dry_run, experiment=name)
    journal.record("safety", {"time": time.time(), "checked": ident, "dry_run": current.dry_run,
                              "experiment": name})
    if current.dry_run:
        plan.write()
        print(f"DRY RUN {name}: nothing will be changed and no traffic sent; the plan goes to {plan.path()}",
              flush=True)


def before_hypothesis_control(context: dict[str, Any], configuration: Configuration = None,
                              secrets: Secrets = None, **kwargs: Any) -> None:
    if not _state.get("dry_run"):
        return
    probes = context.get("probes") or []
    _state["probes"] = probes
    context["probes"] = []
    if probes and not _state.get("probes_noted"):
        _state["probes_noted"] = True
        plan.add(activity="steady-state hypothesis", decision="not run",
                 note="steady-state probes not run in a dry run (no fault, no load to judge): "
                      + ", ".join(str(p.get("name")) for p in probes))


def after_hypothesis_control(context: dict[str, Any], state: Any = None, configuration: Configuration = None,
                             secrets: Secrets = None, **kwargs: Any) -> None:
    if "probes" in _state:
        context["probes"] = _state.pop("probes")


def before_rollback_control(context: Experiment, configuration: Configuration = None, secrets: Secrets = None,
                            **kwargs: Any) -> None:
    _state["rollback"] = True


def after_rollback_control(context: Experiment, state: Any = None, configuration: Configuration = None,
                           secrets: Secrets = None, **kwargs: Any) -> None:
    _state["rollback"] = False


def before_activity_control(context: Activity, configuration: Configuration = None, secrets: Secrets = None,
                            **kwargs: Any) -> None:
    """Attribute the changes to come to this activity; in a dry run, keep it from doing what cannot be guarded."""
    function = _function(context)
    plan.set_activity(activity=str(context.get("name", "?")), function=function,
                      why=_why(context, configuration, secrets),
                      restoring=bool(_state.get("rollback")))
    if not _state.get("dry_run"):
        return
    _state["stashed"] = {k: context[k] for k in ("provider", "pauses") if k in context}
    context.pop("pauses", None)
    guarded = (context.get("provider") or {}).get("type") == "python" and function.startswith(GUARDED_MODULES)
    if context.get("type") == "probe" or not guarded:
        reason = ("a probe only observes; there is nothing to observe in a dry run" if context.get("type") == "probe"
                  else "the safety guard cannot see into this provider, so a dry run does not run it")
        context["provider"] = {**STAND_IN, "arguments": {"activity": str(context.get("name")), "reason": reason,
                                                         "function": function}}


def after_activity_control(context: Activity, state: Any = None, configuration: Configuration = None,
                           secrets: Secrets = None, **kwargs: Any) -> None:
    context.update(_state.pop("stashed", {}))
    plan.set_activity(activity="", function="", why="", restoring=bool(_state.get("rollback")))


def after_experiment_control(context: Experiment, state: Journal, configuration: Configuration = None,
                             secrets: Secrets = None, **kwargs: Any) -> None:
    if _state.get("dry_run"):
        print(f"DRY RUN {_state.get('experiment')}: plan written to {plan.write()}", flush=True)


def not_run_in_dry_run(activity: str = "", reason: str = "", function: str = "") -> dict[str, Any]:
    """Stand-in for an activity a dry run does not run; records it in the plan."""
    plan.add(decision="not run", note=reason)
    return {"dry_run": True, "not_run": activity, "function": function, "reason": reason}
