"""Node probes: did every drain of this experiment complete?"""

from __future__ import annotations

import logging

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from experiments.afchaos import journal

__all__ = ["drains_completed"]
logger = logging.getLogger("chaostoolkit")


def drains_completed(configuration: Configuration = None, secrets: Secrets = None) -> bool:
    """True when no drain of this experiment got stuck (vacuously true before any drain). A drain that was
    only slowed down by the PDB is reported as "blocked by PDB as expected"; a stuck one raises ActivityFailed
    with the budget that blocked it."""
    drains = journal.records("drains")
    stuck = [d for d in drains if d["status"] == "stuck"]
    if stuck:
        raise ActivityFailed("; ".join(d["summary"] for d in stuck))
    for d in drains:
        logger.info("%s", d["summary"])
    return True
