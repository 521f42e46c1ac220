"""How ``POST /volumes/prune`` chooses its volumes, one value per API generation.

:meth:`Profile.volume_prune_rule <dockermodel.profiles.base.Profile.volume_prune_rule>`
picks the value for the engine and API version a host was read at.
"""

from __future__ import annotations

import attrs

__all__ = [
    "ANONYMOUS_VOLUME_LABEL",
    "VOLUME_PRUNE_1_41",
    "VOLUME_PRUNE_1_42",
    "VolumePruneRule",
]

#: The label Engine 23+ puts on the volumes it creates for anonymous mounts.
ANONYMOUS_VOLUME_LABEL = "com.docker.volume.anonymous"


@attrs.frozen
class VolumePruneRule:
    """How ``POST /volumes/prune`` chooses its volumes; one value per API generation.

    ``anonymous_only``: without an ``all=true`` filter only volumes labelled
    ``com.docker.volume.anonymous`` go (the engine adds that label filter);
    ``all_filter``: the engine accepts the ``all`` filter, and ``docker
    volume prune -a`` sends it.
    [moby v28.5.2 volume/service/service.go · VolumesService.Prune]
    [moby v28.5.2 volume/service/convert.go · withPrune]
    [moby v28.5.2 api/server/router/volume/volume_routes.go · postVolumesPrune];
    [moby v20.10.24 volume/service/service.go · VolumesService.Prune]
    """

    anonymous_only: bool
    all_filter: bool

    @property
    def accepted_filters(self) -> tuple[str, ...]:
        """The filter keys the engine takes (others: ``invalid filter 'KEY'``)."""
        return ("label", "label!", "all") if self.all_filter else ("label", "label!")


#: Engine 20.10 (API 1.41): every unused local volume, named and anonymous alike.
VOLUME_PRUNE_1_41 = VolumePruneRule(anonymous_only=False, all_filter=False)
#: API 1.42 and later (Engine 23+): anonymous volumes only, unless ``all=true``.
VOLUME_PRUNE_1_42 = VolumePruneRule(anonymous_only=True, all_filter=True)
