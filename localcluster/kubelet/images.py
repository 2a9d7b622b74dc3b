"""Images the local kubelet can run, and how a container spec becomes a command line.

Only `agentflow-reference:*` exists locally: it runs `python -m localcluster.agentflow` with the container's
args, on host ports allocated per pod (the container's API port -> `--port`, its metrics port ->
`--metrics-port`). Any other image fails like an image that cannot be pulled (ErrImagePull).
"""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["ImageNotFound", "PortAllocator", "container_ports", "launch_spec"]

REFERENCE_IMAGE = "agentflow-reference"


class ImageNotFound(Exception):
    """The image is not available in the local cluster."""


def image_id(image: str) -> str:
    digest = hashlib.sha256(image.encode()).hexdigest()
    return f"docker.io/library/{image.split(':')[0]}@sha256:{digest}"


def is_known(image: str) -> bool:
    return image.split("@")[0].split(":")[0].rsplit("/", 1)[-1] == REFERENCE_IMAGE


class PortAllocator:
    """Free loopback ports, never handed out twice while in use by a pod of this kubelet."""

    def __init__(self) -> None:
        self._used: set[int] = set()
        self._lock = threading.Lock()

    def allocate(self) -> int:
        with self._lock:
            for _ in range(100):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind(("127.0.0.1", 0))
                    port = int(s.getsockname()[1])
                if port not in self._used:
                    self._used.add(port)
                    return port
        raise RuntimeError("no free loopback port found")

    def release(self, ports: list[int]) -> None:
        with self._lock:
            self._used.difference_update(ports)


def _flag(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _without(args: list[str], names: tuple[str, ...]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in names:
            skip = True
            continue
        if any(arg.startswith(n + "=") for n in names):
            continue
        out.append(arg)
    return out


def _env_value(container: dict[str, Any], name: str) -> str | None:
    for item in container.get("env") or ():
        if item.get("name") == name and "value" in item:
            return str(item["value"])
    return None


def container_ports(container: dict[str, Any], alloc: PortAllocator) -> dict[str, int]:
    """Host port per container port: keys are port names and containerPort numbers (as strings).
    The reference server's API and metrics ports always get one, declared or not."""
    args = [str(a) for a in container.get("args") or ()]
    api = _flag(args, "--port") or _env_value(container, "AGENTFLOW_PORT") or "8080"
    metrics = _flag(args, "--metrics-port") or _env_value(container, "AGENTFLOW_METRICS_PORT") or "9091"
    out: dict[str, int] = {}
    for number in (api, metrics):
        out.setdefault(str(number), alloc.allocate())
    for port in container.get("ports") or ():
        number = str(port.get("containerPort"))
        host = out.setdefault(number, alloc.allocate())
        if port.get("name"):
            out[str(port["name"])] = host
    return out


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    api_port: int
    metrics_port: int


def launch_spec(container: dict[str, Any], ports: dict[str, int], python: str) -> Launch:
    """The command line for a container, or ImageNotFound."""
    image = str(container.get("image") or "")
    if not is_known(image):
        raise ImageNotFound(
            f'Failed to pull image "{image}": the local cluster runs only {REFERENCE_IMAGE}:* images '
            "(the AgentFlow reference server); use image agentflow-reference:<version>"
        )
    args = [str(a) for a in container.get("args") or ()]
    api = _flag(args, "--port") or _env_value(container, "AGENTFLOW_PORT") or "8080"
    metrics = _flag(args, "--metrics-port") or _env_value(container, "AGENTFLOW_METRICS_PORT") or "9091"
    api_port, metrics_port = ports[str(api)], ports[str(metrics)]
    rest = _without(args, ("--port", "--metrics-port", "--host"))
    argv = [python, "-m", "localcluster.agentflow", "--host", "127.0.0.1", "--port", str(api_port)]
    argv += ["--metrics-port", str(metrics_port), *rest]
    return Launch(argv, api_port, metrics_port)
