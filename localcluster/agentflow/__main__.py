"""``python -m localcluster.agentflow``: run the AgentFlow reference server (see ``--help``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from .config import ConfigError, parse_config

    try:
        cfg = parse_config(argv)
    except ConfigError as exc:
        print(f"agentflow-reference: error: {exc}", file=sys.stderr)
        return 2
    import uvloop

    from .server import serve

    try:
        return uvloop.run(serve(cfg))
    except ConfigError as exc:
        print(f"agentflow-reference: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
