"""Engine profiles: which engine a host models and the rules that follow from it.

:class:`Engine` is the value (version, API version, image store);
:func:`profile_for` gives its :class:`Profile`, the one place where every rule
that differs between engines is decided:

==============================  ==========================================
engine                          profile
==============================  ==========================================
20.10.x, overlay2               :class:`~dockermodel.profiles.engine20.Engine20`
23.0–28.x, overlay2             :class:`~dockermodel.profiles.overlay2.Overlay2`
24.0–28.x, containerd store     :class:`~dockermodel.profiles.containerd.Containerd`
==============================  ==========================================

An engine outside these ranges (19.03, 29.x, 30.0) is modelled with the
nearest family's rules and one :class:`EngineVersionWarning` naming both
versions; it is never an error. :func:`engine_of` reads the engine from a
payload document (``version``, ``info`` and the shapes of the bodies).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any

from .._fields import kind
from ..errors import InvalidPayload
from .base import STORES, Engine, Profile, Store
from .containerd import Containerd
from .engine20 import Engine20
from .overlay2 import Overlay2

__all__ = [
    "STORES",
    "Engine",
    "EngineVersionWarning",
    "Profile",
    "Store",
    "StoreNotModelledWarning",
    "detect_store",
    "engine_of",
    "max_api_version",
    "profile_for",
]

#: The newest engine each family was verified against (tests against real engines).
VERIFIED = {"20.10": "20.10.24", "overlay2": "28.5.2"}
#: The engine assumed for a payload document without a ``version`` body.
DEFAULT_ENGINE = Engine("28.5.2", "1.51", "overlay2")

# Maximum API version per engine release [moby api/common.go · DefaultVersion,
# at each release's tag].
_MAX_API = (
    ((20, 10), "1.41"),
    ((23, 0), "1.42"),
    ((24, 0), "1.43"),
    ((25, 0), "1.44"),
    ((26, 0), "1.45"),
    ((26, 1), "1.45"),
    ((27, 0), "1.46"),
    ((27, 1), "1.46"),
    ((27, 2), "1.47"),
    ((27, 3), "1.47"),
    ((27, 4), "1.47"),
    ((27, 5), "1.47"),
    ((28, 0), "1.48"),
    ((28, 1), "1.48"),
    ((28, 2), "1.50"),
    ((28, 3), "1.51"),
    ((28, 4), "1.51"),
    ((28, 5), "1.51"),
    ((29, 0), "1.52"),
)


class EngineVersionWarning(UserWarning):
    """The engine read is outside the versions the library has rules for."""


class StoreNotModelledWarning(EngineVersionWarning):
    """The engine's image store is read, but its own rules are not modelled yet."""


def max_api_version(release: tuple[int, ...]) -> str:
    """The newest API version an engine release serves (``"1.41"`` for 20.10)."""
    best = _MAX_API[0][1]
    for (major, minor), api in _MAX_API:
        if (major, minor) <= tuple(release[:2]):
            best = api
    return best


@functools.lru_cache(maxsize=64)
def profile_for(engine: Engine) -> Profile:
    """The rules of ``engine``'s family (nearest family, with a warning, if unknown)."""
    release = engine.release
    if engine.store == "containerd":
        if release < (24, 0, 0):
            _warn(engine, "24.0 (the first engine with the containerd store)")
        warnings.warn(
            f"Engine {engine.version} keeps images in the containerd image store: the "
            "host is read (figures the model cannot derive are the engine's, listed in "
            "host.taken), but the store's own disk-usage and removal rules are not "
            "modelled yet; predictions follow the overlay2 store's rules and may differ "
            "from the engine's (docs/versions.md)",
            StoreNotModelledWarning,
            stacklevel=3,
        )
        return Containerd(engine)
    if release < (23, 0, 0):
        if release[:2] != (20, 10):
            _warn(engine, VERIFIED["20.10"])
        return Engine20(engine)
    if release >= (29, 0, 0):
        _warn(engine, VERIFIED["overlay2"])
    return Overlay2(engine)


def _warn(engine: Engine, nearest: str) -> None:
    warnings.warn(
        f"Engine {engine.version} is not one the library has rules for; "
        f"modelling it with the rules of Engine {nearest}",
        EngineVersionWarning,
        stacklevel=4,
    )


def detect_store(payloads: Mapping[str, Any]) -> Store:
    """``containerd`` when ``info`` or the bodies say so, else ``overlay2``."""
    info = payloads.get("info")
    if isinstance(info, Mapping):
        pairs = info.get("DriverStatus")
        for pair in pairs if isinstance(pairs, list | tuple) else ():
            if (
                isinstance(pair, list | tuple)
                and len(pair) == 2
                and pair[0] == "driver-type"
                and pair[1] == "io.containerd.snapshotter.v1"
            ):
                return "containerd"
        if info.get("Driver") is not None:
            return "overlay2"
    images = payloads.get("images_all")
    if isinstance(images, list):
        for entry in images:
            if isinstance(entry, Mapping) and entry.get("Descriptor") is not None:
                return "containerd"
    system_df = payloads.get("system_df")
    if isinstance(system_df, Mapping):
        entries = system_df.get("Images")
        for entry in entries if isinstance(entries, list | tuple) else ():
            if isinstance(entry, Mapping) and entry.get("Descriptor") is not None:
                return "containerd"
    return "overlay2"


def engine_of(payloads: Mapping[str, Any]) -> Engine:
    """The engine a payload document was read from.

    ``version.Version`` gives the engine; the API version is the document's
    ``api_version`` key (written by :func:`dockermodel.from_docker`), else
    inferred from the bodies' shapes (``VirtualSize`` exists below API 1.44
    only, and a 1.41-shaped document is taken as read at 1.41), else the
    engine's own ``ApiVersion``. The store comes from ``info.DriverStatus``
    (``driver-type io.containerd.snapshotter.v1``) or ``Descriptor`` fields,
    unless the document names it (``image_store``, written for hosts that
    were not read from an engine).
    A document without ``version`` is taken as Engine 28.5.2 with a warning.
    """
    store = payloads.get("image_store")
    if store is None:
        store = detect_store(payloads)
    elif store not in STORES:
        shown = repr(store) if isinstance(store, str) else kind(store)
        raise InvalidPayload("image_store", f"expected one of {', '.join(STORES)}, got {shown}")
    version_doc = payloads.get("version")
    if version_doc is None:
        warnings.warn(
            "the payload document has no 'version' body; modelling "
            f"Engine {DEFAULT_ENGINE.version} ({store} store) — pass engine= to choose",
            EngineVersionWarning,
            stacklevel=4,
        )
        engine_version, engine_api = DEFAULT_ENGINE.version, DEFAULT_ENGINE.api_version
    else:
        if not isinstance(version_doc, Mapping):
            raise InvalidPayload("version", f"expected an object, got {type(version_doc).__name__}")
        found_version = version_doc.get("Version")
        if not isinstance(found_version, str):
            raise InvalidPayload("version.Version", "expected the engine's version string")
        found_api = version_doc.get("ApiVersion")
        if not isinstance(found_api, str):
            raise InvalidPayload("version.ApiVersion", "expected the engine's API version string")
        engine_version, engine_api = found_version, found_api
    try:
        engine = Engine(engine_version, engine_api, store)
    except ValueError as exc:
        raise InvalidPayload("version", str(exc)) from None
    api = payloads.get("api_version")
    if api is not None:
        if not isinstance(api, str):
            raise InvalidPayload("api_version", f"expected a string like '1.41', got {kind(api)}")
    else:
        api = _api_from_shapes(payloads, engine)
    try:
        return Engine(engine.version, api, store)
    except ValueError as exc:
        raise InvalidPayload("api_version", str(exc)) from None


def _api_from_shapes(payloads: Mapping[str, Any], engine: Engine) -> str:
    """The API version the bodies were read at, as far as their shapes tell."""
    if engine.api <= 41:
        return engine.api_version
    flags: list[tuple[str, bool]] = []
    images = payloads.get("images_all")
    if isinstance(images, list):
        for i, entry in enumerate(images):
            if isinstance(entry, Mapping):
                flags.append((f"images_all[{i}].VirtualSize", "VirtualSize" in entry))
    if not flags:
        return engine.api_version
    first = flags[0][1]
    for path, present in flags:
        if present != first:
            raise InvalidPayload(
                path,
                "bodies of different API versions in one document "
                f"({'has' if present else 'lacks'} VirtualSize, unlike {flags[0][0]})",
            )
    if first:
        return "1.41"
    return engine.api_version
