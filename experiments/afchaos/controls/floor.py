"""Control: watch the deployment's Ready replicas against the PDB floor every `interval` seconds for the whole
experiment (a continuous probe, which Chaos Toolkit lacks), recorded as `floor` journal entries; judged by
`experiments.afchaos.deployment.probes.ready_replicas_never_below_floor`.

Arguments (control `provider.arguments`): `deployment` (default agentflow), `min_ready` (the floor when no PDB
selects the deployment, default 2), `interval` (default 0.5 s).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from chaoslib.types import Configuration, Experiment, Journal, Secrets

from experiments.afchaos import journal, safety
from experiments.afchaos.deployment.probes import pdb_floor
from experiments.afchaos.k8s import Api, namespace

_state: dict[str, Any] = {}


def _watch(stop: threading.Event, deployment: str, ns: str, min_ready: int, interval: float,
           secrets: Secrets) -> None:
    api = Api(secrets)
    try:
        while not stop.is_set():
            try:
                dep = api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{deployment}")
                floor, pdb = pdb_floor(api, ns, dep["spec"]["selector"].get("matchLabels") or {})
                ready = int((dep.get("status") or {}).get("readyReplicas", 0))
                journal.record("floor", {"time": time.time(), "ready": ready,
                                         "floor": floor if floor is not None else min_ready,
                                         "source": f"PDB {pdb}" if pdb else f"min_ready {min_ready} (no PDB)"})
            except Exception as exc:  # keep watching through API errors; they are recorded
                journal.record("floor_errors", {"time": time.time(), "error": f"{type(exc).__name__}: {exc}"})
            stop.wait(interval)
    finally:
        api.close()


def before_experiment_control(context: Experiment, configuration: Configuration = None, secrets: Secrets = None,
                              deployment: str = "agentflow", min_ready: int = 2, interval: float = 0.5,
                              **kwargs: Any) -> None:
    if safety.dry_run(configuration=configuration):
        return  # nothing changes in a dry run: no floor to watch
    stop = threading.Event()
    thread = threading.Thread(target=_watch, args=(stop, deployment, namespace(configuration), min_ready,
                                                   interval, secrets), name="floor-watch", daemon=True)
    _state.update(stop=stop, thread=thread)
    thread.start()


def after_experiment_control(context: Experiment, state: Journal, configuration: Configuration = None,
                             secrets: Secrets = None, **kwargs: Any) -> None:
    stop_watch()


def stop_watch() -> None:
    if "stop" in _state:
        _state["stop"].set()
        _state["thread"].join(timeout=5.0)
        _state.clear()
