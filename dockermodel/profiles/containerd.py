"""The containerd image store (Engine 24+ with ``containerd-snapshotter``; 29's default).

Messages and API shapes are those of the overlay2 store of the same engine
(:mod:`dockermodel.profiles.overlay2`); what the store computes differently:

* ``SharedSize`` counts the listed images only, and only unpacked snapshot
  usage. [moby v28.5.2 daemon/containerd/image_list.go · computeSharedSize]
* BuildKit keeps its cache in containerd's content store and snapshotter,
  not in the layer store, so it holds no layer the model tracks.
  [moby v28.5.2 daemon/containerd/service.go · ImageService]
"""

from __future__ import annotations

from typing import ClassVar, Literal

from .overlay2 import Overlay2

__all__ = ["Containerd"]


class Containerd(Overlay2):
    """Engine 24–29 with the containerd image store."""

    family: ClassVar[str] = "Engine 24–29 (containerd store)"
    shared_size_over: ClassVar[Literal["listed", "all"]] = "listed"
    buildkit_holds_layers: ClassVar[bool] = False
