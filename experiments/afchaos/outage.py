"""Intended outages and intended errors declare themselves where they are defined.

Some experiments break the service for clients on purpose: the alerting campaign scales the Deployment to 0 so
that the down alert must page (``scale_to_zero_for``), and rolls the reference server's error knob out to every
pod so that the error-rate alert must page (``set_fault_knobs`` / ``restore_fault_knobs``). Clients then see
connect errors, no ready endpoint, or the injected error answers by design, and the client-facing readiness checks
would fail the run for the very thing it set out to do. Such an action says so where it is defined:

- ``@intended_outage``: the whole workload is taken away (mark ``intended: "outage"``);
- ``@intended_errors``: every pod answers a share of requests with the injected error (``intended: "errors"``).

The fault-marks control asks :func:`declared_intent` for each action it marks and writes it into the mark
(``chaos/marks.parquet``). What the readiness checks then set aside, and only inside that mark's window, is
decided by analysis/checks/outage.py from the run's own data. The declaration lives on the Python function, not in
the experiment file: an experiment cannot declare a pod kill, a drain or a rollout an outage by naming it so, and
a hard fault (``@hard_fault``, a grace-0 kill) is never one.
"""

from __future__ import annotations

from experiments.afchaos.hard import F, declared_hard, provider_flag

OUTAGE, ERRORS = "outage", "errors"
ATTRIBUTES = {OUTAGE: "afsuite_intended_outage", ERRORS: "afsuite_intended_errors"}


def intended_outage(func: F) -> F:
    """Mark an activity as an intended outage of the whole workload."""
    setattr(func, ATTRIBUTES[OUTAGE], True)
    return func


def intended_errors(func: F) -> F:
    """Mark an activity as injecting errors into every pod's answers on purpose."""
    setattr(func, ATTRIBUTES[ERRORS], True)
    return func


def declared_intent(module: str | None, func: str | None) -> str | None:
    """``"outage"`` / ``"errors"`` when ``module.func`` is declared so (and is not a hard fault), else None."""
    if declared_hard(module, func):
        return None
    return next((kind for kind, attribute in ATTRIBUTES.items() if provider_flag(module, func, attribute)), None)
