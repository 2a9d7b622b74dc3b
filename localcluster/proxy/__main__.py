"""`python -m localcluster.proxy --api URL --namespace NS --service NAME --port P [--propagation-delay S]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from localcluster.proxy.endpoints import Backend, EndpointWatcher
from localcluster.proxy.server import ServiceProxy


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m localcluster.proxy", description=__doc__)
    p.add_argument("--api", required=True, help="API server URL, e.g. http://127.0.0.1:6443")
    p.add_argument("--namespace", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--port-name", default="http", help="the Service port (by name) to forward to")
    p.add_argument("--propagation-delay", type=float, default=1.0,
                   help="seconds between an endpoint change on the API and the data path using it")
    return p.parse_args(argv)


async def _amain(ns: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    proxy = ServiceProxy()

    def _on_change(backends: list[Backend]) -> None:
        loop.call_soon_threadsafe(proxy.set_backends, backends)
        # one line per view the data path takes (the cluster log keeps it): what the Service reached, and when
        print(f"localcluster.proxy backends: {len(backends)} ready ({', '.join(b.pod for b in backends) or '-'})",
              flush=True)

    watcher = EndpointWatcher(
        ns.api, ns.namespace, ns.service, ns.propagation_delay,
        on_change=_on_change,
        token=os.environ.get("LOCALCLUSTER_TOKEN"),
        port_name=ns.port_name,
    )
    try:
        server = await proxy.serve(ns.host, ns.port)
    except OSError as exc:
        print(f"localcluster.proxy: --port {ns.port}: cannot listen ({exc.strerror}); choose a free port",
              file=sys.stderr)
        raise SystemExit(2) from None
    watcher.start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"localcluster.proxy listening on {ns.host}:{ns.port} for {ns.namespace}/{ns.service}", flush=True)
    await stop.wait()
    watcher.stop()
    server.close()


def main(argv: list[str] | None = None) -> None:
    ns = _parse(sys.argv[1:] if argv is None else argv)
    # The standard library's event loop, not uvloop: under a flood of short connections (clients opening a
    # fresh connection per request as fast as they can) uvloop 0.23 aborted the process ("double free or
    # corruption") within seconds, and every new connection to the Service was refused from then on. The stdlib
    # loop carried the same flood with no failure at the same request rate (docs/local-cluster.md).
    asyncio.run(_amain(ns))


if __name__ == "__main__":
    main()
