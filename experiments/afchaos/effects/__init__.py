"""Proof that a fault happened: what an experiment changed in the cluster, recorded for analysis.

An experiment's method takes a baseline before its fault (`probes.record_workload`: the workload's pods with UID,
node, zone and readiness; the nodes with zone, cordon and Ready state) and, after it, waits for the fault's
effect to be complete and observes a tail (`probes.fault_took_effect`). Effects (argument `effect`):

- `pods-replaced`: the baseline pods now terminating or gone (a pod kill) must be gone, and as many new pods
  Ready.
- `all-pods-replaced`: every baseline pod (a rolling restart) gone, and spec.replicas new pods Ready.
- `long-stream-pods-terminated`: the pods `terminate_pods_serving_long_streams` deleted gone and replaced.
- `nodes-drained`: every node of this experiment's drains cordoned and its pods gone and replaced; or the drain
  was refused by a PodDisruptionBudget (nodes cordoned, evictions denied: that is the finding, not a no-op).
- `zone-drained`: every node of `zone` cordoned and its pods gone (or the drain refused by a PDB). Replacements
  are not awaited: with a zone topology spread `DoNotSchedule` they rightly stay Pending while the zone is out.
- `zone-failed`: every node of `zone` NotReady (or cordoned, the real-cluster approximation) and every workload
  pod there no longer Ready (or gone). Replacements are not awaited: they come only after the taint-eviction
  delay (300 s by default).
- `hpa-load`: the load step of an HPA experiment; only recorded (replicas before, peak): analysis judges
  whether the load raised the HPA's CPU above its target.

Both probes append to `chaos/effects.jsonl` (via `experiments.afchaos.journal`): one `baseline` and one `effect`
record per experiment, whose schema is in docs/run-directory.md. Analysis checks them against what the observer
saw (`analysis/checks/effects.py`): a fault with no effect in the observed data makes the experiment's check
`incomplete`, never a pass.
"""
