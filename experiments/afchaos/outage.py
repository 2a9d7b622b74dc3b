"""Intended outages declare themselves where they are defined.

Some experiments take the whole service away on purpose: the alerting campaign scales the Deployment to 0 so that
the down alert must page (``scale_to_zero_for``). Clients then see connect errors and no ready endpoint by design,
and the client-facing readiness checks would fail the run for the very thing it set out to do. Such an action
says so with ``@intended_outage``; the fault-marks control asks :func:`declared_outage` for each action it marks
and writes ``outage: true`` into the mark (``chaos/marks.parquet``). The readiness checks then set aside only that
mark's window, and only when the cluster samples show the workload really at 0 replicas in it
(``analysis/checks/outage.py``).

The declaration lives on the Python function, not in the experiment file: an experiment cannot declare a pod kill,
a drain or a rollout an outage by naming it so, and a hard fault (``@hard_fault``, a grace-0 kill) is never one.
"""

from __future__ import annotations

from experiments.afchaos.hard import F, declared_hard, provider_flag

ATTRIBUTE = "afsuite_intended_outage"


def intended_outage(func: F) -> F:
    """Mark an activity as an intended outage of the whole workload."""
    setattr(func, ATTRIBUTE, True)
    return func


def declared_outage(module: str | None, func: str | None) -> bool:
    """Whether ``module.func`` is marked ``@intended_outage`` (and is not a hard fault)."""
    return provider_flag(module, func, ATTRIBUTE) and not declared_hard(module, func)
