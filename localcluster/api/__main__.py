"""Run the API server alone: `python -m localcluster.api [--port N] [--kubeconfig PATH] [--token-env VAR]`.

Serves an empty cluster (default namespaces only) on 127.0.0.1 until interrupted (Ctrl-C / SIGTERM); for
trying kubectl or the client by hand. `afsuite cluster up` runs it together with the controllers.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType

from .kubeconfig import write_kubeconfig
from .server import ApiServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcluster.api", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--kubeconfig", help="write a kubeconfig (context agentflow-local) to this path")
    parser.add_argument("--namespace", default="default", help="default namespace of the kubeconfig context")
    parser.add_argument("--token-env", help="require the bearer token held by this environment variable")
    args = parser.parse_args(argv)
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            parser.error(f"--token-env {args.token_env}: that environment variable is empty or unset")
    server = ApiServer(port=args.port, token=token)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server.start()
    try:
        if args.kubeconfig:
            path = write_kubeconfig(args.kubeconfig, server.url, namespace=args.namespace, token=token)
            print(f"kubeconfig written to {path}", file=sys.stderr)
        print(server.url, flush=True)
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
