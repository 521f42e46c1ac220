"""Disk usage, as the engine counts it and exactly.

The engine's figures (``GET /system/df`` in Engine 20.10; [moby v20.10.24
daemon/disk_usage.go · Daemon.SystemDiskUsage] [moby v20.10.24
daemon/images/images.go · ImageService.Images]):

* the **listed set** S is the default image list (every image but the
  intermediates: no reference and at least one child);
* ``Size`` of an image is its whole chain: ``Σ DiffSize``;
* ``SharedSize`` counts, over S only, the chain ids that more than one image
  of S holds: ``Σ DiffSize(c)`` for the image's chain ids ``c`` with
  ``refs[c] > 1`` — a layer shared only with intermediates is not
  shared in 20.10;
* ``Containers`` is the number of containers in any state created from the
  image;
* ``LayersSize`` is ``Σ DiffSize`` over the distinct chain ids of the images
  of S — layers held only by containers of deleted images are left
  out.

Two "reclaimable" figures:

* :attr:`DiskUsage.engine_reclaimable` is what ``docker system df`` prints
  for images: ``LayersSize − Σ (Size − SharedSize)`` over the listed images
  with ``Containers ≠ 0`` (the CLI's formula). It subtracts only the
  *unique* part of used images, so a layer that a used image shares with an
  unused one counts as reclaimable although removing every unused image would
  not free it;
* :attr:`DiskUsage.reclaimable` is exact: the bytes of every layer on disk
  that is in no chain of an image that a container (any state) uses and in no
  container's own chain — what removing every image that no container uses
  (``docker image prune -a``, parents included) frees. Where BuildKit's build
  cache may hold layers (Engine 23+, overlay2 store; ``Host.maybe_held``) it
  is the lowest figure and :attr:`DiskUsage.reclaimable_bounds` gives both
  ends.

Worked example (``docs/numbers.md``): base L1 (1 982 256 B) shared by
``app`` (L1+L2+L3) and ``other`` (L1+L4); a container uses ``app``. The CLI's
figure is ``LayersSize − (Size(app) − SharedSize(app)) = 2 116 352 − 130 000
= 1 986 352`` — it counts L1 (1 982 256 B) as reclaimable, yet ``app`` holds
it; removing every unused image frees only L4: ``reclaimable = 4 096``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._frozen import bulk
from .graph import Graph
from .model import Container, Image

__all__ = ["DiskUsage", "ImageUsage"]


@attrs.frozen
class ImageUsage:
    """One row of ``docker system df -v``'s image table."""

    image: Image
    size: int
    shared_size: int
    containers: int

    @property
    def unique_size(self) -> int:
        """``Size − SharedSize``: the CLI's UNIQUE SIZE."""
        return self.size - self.shared_size


@attrs.frozen
class DiskUsage:
    """What ``GET /system/df`` reports for a host, plus the exact reclaimable bytes."""

    layers_size: int
    images: tuple[ImageUsage, ...]
    containers: tuple[Container, ...]
    reclaimable: int
    #: ``(image, references, SharedSize, Containers)`` of each listed image, for :meth:`to_api`.
    _summaries: tuple[tuple[Image, tuple[Any, ...], int, int], ...] = attrs.field(
        eq=False, repr=False
    )
    _host: Graph = attrs.field(eq=False, repr=False)
    #: ``None`` when :attr:`reclaimable` is exact; else ``(lowest, highest)``:
    #: layers BuildKit's build cache may hold (``Host.maybe_held``) are kept
    #: in the lowest (which :attr:`reclaimable` is) and freed in the highest.
    reclaimable_bounds: tuple[int, int] | None = attrs.field(default=None, kw_only=True)

    @classmethod
    @bulk()
    def of(cls, host: Graph) -> DiskUsage:
        listing = host._listing(False, None)
        listed = [image for image, _ in listing]
        layers = host.layers
        # A chain id names its whole chain, so an image holding a layer
        # holds every layer below it: the layers of a set of images held by
        # two or more of them are, in every image, a run at the bottom of
        # its chain. Each walk below stops at the first layer already
        # decided, so every figure costs O(images + layers), not O(Σ chain).
        sizes = {c: layer.size for c, layer in layers.items()}
        owned: set[str] = set()
        shared = _shared_layers(listed, owned)
        layers_size = sum(map(sizes.__getitem__, owned))
        if host.profile.shared_size_over == "all":
            # every image in the store counts, intermediates included
            shared = _shared_layers(host.images.values(), set())
        totals: dict[str, int] = {}
        users = host._users
        rows = []
        summaries = []
        for image, refs in listing:
            chain = image.layers
            k = len(chain)
            while k and chain[k - 1] not in shared:
                k -= 1
            size = _chain_total(chain, k, sizes, totals) if k else 0
            used = len(users.get(image.id, ()))
            rows.append(ImageUsage(image=image, size=image.size, shared_size=size, containers=used))
            summaries.append((image, refs, size, used))
        held: set[str] = set()
        images = host.images
        for container in host.containers.values():
            _hold(container.layers, held)
            creation = images.get(container.image_id)
            if creation is not None:
                _hold(creation.layers, held)
        reclaimable = sum(size for c, size in sizes.items() if c not in held)
        bounds = None
        if host.maybe_held:
            low = _reclaimable(host, held, host.maybe_held)
            high = _reclaimable(host, held, host.certainly_held)
            if low != high:
                bounds = (low, high)
            reclaimable = low
        return cls(
            layers_size=layers_size,
            images=tuple(rows),
            containers=tuple(host.containers.values()),
            reclaimable=reclaimable,
            summaries=tuple(summaries),
            host=host,
            reclaimable_bounds=bounds,
        )

    def __repr__(self) -> str:
        return (
            f"DiskUsage(layers_size={self.layers_size}, images={len(self.images)} rows, "
            f"containers={len(self.containers)}, reclaimable={self.reclaimable})"
        )

    @property
    def engine_reclaimable(self) -> int:
        """The Images RECLAIMABLE figure of ``docker system df`` (CLI formula)."""
        used_unique = sum(row.unique_size for row in self.images if row.containers != 0)
        return self.layers_size - used_unique

    @property
    def engine_reclaimable_percent(self) -> int | None:
        """The percentage the CLI prints beside it (truncated toward zero), if any."""
        if self.layers_size <= 0:
            return None
        r = self.engine_reclaimable
        percent = abs(r) * 100 // self.layers_size  # Go's int64 division truncates toward zero
        return percent if r >= 0 else -percent

    @property
    def active_images(self) -> int:
        """Listed images with at least one container (the ACTIVE column)."""
        return sum(1 for row in self.images if row.containers > 0)

    @bulk()
    def to_api(self, api_version: str | None = None) -> dict[str, Any]:
        """The ``GET /system/df`` document for this state, at the host's API version.

        ``api_version`` (``"1.41"`` … the engine's newest) asks for another
        version's shape. The ``Images`` entries and the empty ``BuildCache``
        follow the engine's profile (:mod:`dockermodel.profiles`).
        [moby v28.5.2 api/server/router/system/system_routes.go · getDiskUsage]
        """
        host = self._host
        api = host.api_minor(api_version)
        profile = host.profile
        images = []
        for image, refs, shared, used in self._summaries:
            entry = host.image_summary(image, refs, api)
            entry["SharedSize"] = shared
            entry["Containers"] = used
            images.append(profile.df_image_entry(entry, api))
        doc: dict[str, Any] = {
            "LayersSize": self.layers_size,
            "Images": images,
            "Containers": host.list_containers(all=True),
            "Volumes": [v.to_api() for v in host.volumes],
        }
        doc.update(profile.df_build_cache(host.build_cache, api))
        return doc


def _reclaimable(host: Graph, held: set[str], cache_held: frozenset[str]) -> int:
    """Bytes of the layers in none of ``held`` and not kept by a layer of ``cache_held``."""
    kept = set(held)
    for c in cache_held:
        # a held layer keeps the layers below it
        current: str | None = c
        while current is not None and current not in kept and current in host.layers:
            kept.add(current)
            current = host.layers[current].parent
    return sum(layer.size for c, layer in host.layers.items() if c not in kept)


def _shared_layers(images: Iterable[Image], owned: set[str]) -> set[str]:
    """The chain ids that two or more of ``images`` hold; ``owned`` gets those any holds.

    A layer reached a second time is shared, and so is every layer below it
    (both images hold those too): the walk marks them down to the first one
    already marked. Each layer is entered at most twice.
    """
    shared: set[str] = set()
    for image in images:
        chain = image.layers
        k = len(chain)
        while k:
            k -= 1
            c = chain[k]
            if c not in owned:
                owned.add(c)
                continue
            while c not in shared:
                shared.add(c)
                if not k:
                    break
                k -= 1
                c = chain[k]
            break
    return shared


def _chain_total(
    chain: tuple[str, ...], k: int, sizes: Mapping[str, int], totals: dict[str, int]
) -> int:
    """``Σ DiffSize`` of ``chain[:k]``, remembering the total of every chain id on the way."""
    j = k
    while j and chain[j - 1] not in totals:
        j -= 1
    total = totals[chain[j - 1]] if j else 0
    for c in chain[j:k]:
        total += sizes[c]
        totals[c] = total
    return total


def _hold(chain: tuple[str, ...], held: set[str]) -> None:
    """Add ``chain`` to ``held``, from the top down to the first layer already there."""
    k = len(chain)
    while k and chain[k - 1] not in held:
        k -= 1
        held.add(chain[k])
