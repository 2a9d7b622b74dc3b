"""`python -m localcluster serve --state-dir DIR [...]`: run the local Kubernetes-compatible cluster."""

from __future__ import annotations

import argparse
import logging
import sys

from localcluster.config import ClusterConfig


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m localcluster", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the cluster until SIGTERM/SIGINT")
    s.add_argument("--state-dir", required=True, help="where kubeconfig, cluster.json and api-key are written")
    s.add_argument("--topology", default="3x7", help="ZONESxNODES (default 3x7: zone-a..c, node-a1..c7)")
    s.add_argument("--variant", default="good", help="workload variant (see `afsuite cluster variants`)")
    s.add_argument("--manifests", default=None, help="workload manifests (default: the AgentFlow workload)")
    s.add_argument("--time-scale", default="real", help="real | fast (controllers and kubelet run 5x faster)")
    s.add_argument("--api-port", type=int, default=0, help="API server port (0 = any free port)")
    s.add_argument("--service-port", type=int, default=18080, help="service proxy port (0 = any free port)")
    s.add_argument("--propagation-delay", type=float, default=1.0,
                   help="seconds before the service proxy applies an endpoint change")
    s.add_argument("--seed", type=int, default=None, help="random seed for the controllers")
    s.add_argument("--cpu-scale", type=float, default=None,
                   help="resource metrics = real process CPU (and RSS) x this (default 1; make demo and "
                        "the hpa-range campaign use 10)")
    s.add_argument("--prometheus", action="store_true",
                   help="also run Debian's Prometheus with the alerting rules (docs/alerts.md)")
    s.add_argument("--alert-rules", default=None,
                   help="PrometheusRule manifest or rules file for --prometheus (default: the variant's set)")
    s.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING")
    return p


def main(argv: list[str] | None = None) -> int:
    ns = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=ns.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = ClusterConfig.build(
            ns.state_dir, topology=ns.topology, variant=ns.variant, manifests=ns.manifests,
            time_scale=ns.time_scale, api_port=ns.api_port, service_port=ns.service_port,
            propagation_delay=ns.propagation_delay, seed=ns.seed, cpu_scale=ns.cpu_scale,
            prometheus=ns.prometheus, alert_rules=ns.alert_rules,
        )
    except ValueError as exc:
        print(f"python -m localcluster serve: {exc}", file=sys.stderr)
        return 2
    from localcluster.cluster import serve

    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
