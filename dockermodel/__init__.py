"""dockermodel: Docker Engine object semantics in pure Python.

References are parsed and normalized as the engine does
(:mod:`dockermodel.reference`); a :class:`Host` is one immutable snapshot of an
engine's images, layers and containers that answers what the engine would
answer — disk usage and what ``docker rmi`` / ``rm`` / prune would do —
without touching anything.

The host graph and the adapter are imported lazily, so a user who only parses
references needs neither ``docker`` nor ``hypothesis``; type checkers see the
real names (``dockermodel.from_docker()`` is a :class:`Host`, not ``Any``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AmbiguousPrefix,
    Conflict,
    DockerModelError,
    EngineError,
    EngineRequestError,
    EngineUnreachable,
    InvalidArgument,
    InvalidPayload,
    InvalidReference,
    NotFound,
    NotModelled,
    PlanMismatch,
    SnapshotError,
)

if TYPE_CHECKING:  # the names _LAZY imports on first use, for type checkers
    from .engine import from_docker
    from .host import Host
    from .model import BuildCacheRecord, Container, Image, Layer, Volume
    from .removal import Plan
    from .usage import DiskUsage

__version__ = "0.1.0"

_LAZY = {
    "Host": "dockermodel.host",
    "Graph": "dockermodel.graph",
    "Engine": "dockermodel.profiles",
    "Image": "dockermodel.model",
    "Layer": "dockermodel.model",
    "Container": "dockermodel.model",
    "Volume": "dockermodel.model",
    "BuildCacheRecord": "dockermodel.model",
    "DiskUsage": "dockermodel.usage",
    "Plan": "dockermodel.removal",
    "from_docker": "dockermodel.engine",
}

__all__ = [
    "AmbiguousPrefix",
    "BuildCacheRecord",
    "Conflict",
    "Container",
    "DiskUsage",
    "DockerModelError",
    "Engine",
    "EngineError",
    "EngineRequestError",
    "EngineUnreachable",
    "Graph",
    "Host",
    "Image",
    "InvalidArgument",
    "InvalidPayload",
    "InvalidReference",
    "Layer",
    "NotFound",
    "NotModelled",
    "Plan",
    "PlanMismatch",
    "SnapshotError",
    "Volume",
    "__version__",
    "from_docker",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dockermodel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
