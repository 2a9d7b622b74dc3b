"""The local cluster's Kubernetes-compatible API server: an in-memory object store (`Store`) that
controllers use in-process, served over HTTP on 127.0.0.1 by `ApiServer` for kubectl, the official
kubernetes client and chaosk8s. See store.py for the in-process API and server.py for the HTTP side."""

from .errors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    Expired,
    Forbidden,
    Invalid,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
    status_body,
)
from .hooks import DeleteOptions, DeletingEvictionHandler, EvictionHandler, ImmediatePodDeleter, PodDeleter
from .kubeconfig import write_kubeconfig
from .logs import LogLine, MemoryPodLogs, PodLogSource
from .resources import RESOURCES, ResourceType, resolve
from .server import ApiServer
from .store import Store, Subscription
from .watch import Watcher, WatchEvent

__all__ = [
    "RESOURCES",
    "AlreadyExists",
    "ApiError",
    "ApiServer",
    "BadRequest",
    "Conflict",
    "DeleteOptions",
    "DeletingEvictionHandler",
    "EvictionHandler",
    "Expired",
    "Forbidden",
    "ImmediatePodDeleter",
    "Invalid",
    "LogLine",
    "MemoryPodLogs",
    "MethodNotAllowed",
    "NotFound",
    "PodDeleter",
    "PodLogSource",
    "ResourceType",
    "Store",
    "Subscription",
    "TooManyRequests",
    "WatchEvent",
    "Watcher",
    "resolve",
    "status_body",
    "write_kubeconfig",
]
