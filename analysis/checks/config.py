"""The thresholds of the profile recorded in manifest.json, parsed once with the contract's parser.

The model and its one parser are :mod:`rundir.thresholds` (the same the load plane validates a profile file
with): ``slos``, ``validity`` and ``cluster_checks``, all optional, unknown keys an error naming the key. Here
they are read back from ``manifest.json``, where ``per_endpoint`` may name endpoints this version does not
know (their checks are then skipped), and an error is a :class:`ProfileError` of the analysis plane (a
``RunDirError``: the report says which file and field to fix).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from analysis.rundir import RunDirError
from rundir import thresholds
from rundir.thresholds import SLO_KEYS, ClusterChecks, Slos, Validity

__all__ = ["SLO_KEYS", "SOURCE", "ClusterConfig", "ProfileError", "SloConfig", "ValidityConfig",
           "parse_cluster_config", "parse_slos", "parse_validity"]

SOURCE = "manifest.json profile"
SloConfig = Slos
ValidityConfig = Validity
ClusterConfig = ClusterChecks
T = TypeVar("T")


class ProfileError(RunDirError):
    """The profile recorded in manifest.json has an unknown key or an unusable threshold."""


def _parsed(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except thresholds.ProfileError as exc:
        raise ProfileError(str(exc)) from exc


def _profile(manifest_or_profile: dict[str, Any]) -> dict[str, Any]:
    return manifest_or_profile if isinstance(manifest_or_profile, dict) else {}


def parse_slos(profile: dict[str, Any]) -> Slos:
    """The ``slos`` of a profile mapping (defaults when absent)."""
    return _parsed(lambda: thresholds.parse_slos(_profile(profile).get("slos"), SOURCE))


def parse_validity(profile: dict[str, Any]) -> Validity:
    """The ``validity`` of a profile mapping (defaults when absent)."""
    return _parsed(lambda: thresholds.parse_validity(_profile(profile).get("validity"), SOURCE))


def parse_cluster_config(manifest: dict[str, Any]) -> ClusterChecks:
    """The profile's ``cluster_checks``; the target's own ``hpa_sync_period_s`` when the profile gives none."""
    profile = profile_raw if isinstance(profile_raw := manifest.get("profile"), dict) else {}
    target = target_raw if isinstance(target_raw := manifest.get("target"), dict) else {}
    sync = target.get("hpa_sync_period_s")
    defaults = {"hpa_sync_period_s": sync} if isinstance(sync, int | float) and not isinstance(sync, bool) else {}
    return _parsed(lambda: thresholds.parse_cluster_checks(profile.get("cluster_checks"), SOURCE, defaults))
