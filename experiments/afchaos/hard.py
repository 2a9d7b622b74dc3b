"""Hard faults declare themselves where they are defined.

A hard fault kills pods with no graceful shutdown (failed machines): the streams lost with them are casualties
of the fault, judged by ``fault.collateral`` rather than by the error-rate SLOs (``analysis/checks/hard_faults.py``).
An activity says it is one with ``@hard_fault``; the fault-marks control asks :func:`declared_hard` for the
provider of each action it marks. The decorator only sets an attribute: the function, its signature and its
docstring stay what Chaos Toolkit validates and ``chaos discover`` shows. :func:`provider_flag` is the one lookup
of such declarations (``experiments/afchaos/outage.py`` uses it too).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

ATTRIBUTE = "afsuite_hard_fault"
F = TypeVar("F", bound=Callable[..., Any])


def hard_fault(func: F) -> F:
    """Mark an activity as a hard fault."""
    setattr(func, ATTRIBUTE, True)
    return func


def provider_flag(module: str | None, func: str | None, attribute: str) -> bool:
    """Whether the Python provider ``module.func`` carries ``attribute`` (set by a decorator where it is defined)."""
    if not module or not func:
        return False
    try:
        found = getattr(importlib.import_module(module), func, None)
    except ImportError:
        return False
    return bool(getattr(found, attribute, False))


def declared_hard(module: str | None, func: str | None) -> bool:
    """Whether ``module.func`` (a Python provider of an experiment) is marked with ``@hard_fault``."""
    return provider_flag(module, func, ATTRIBUTE)
