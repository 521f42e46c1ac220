"""The host: the graph of one engine's state, with everything it can answer.

A :class:`Host` is a :class:`~dockermodel.graph.Graph` (images, layers,
containers and their indices) that also builds itself from the engine's
bodies, measures disk usage and plans removals — without I/O. Build one with
:meth:`Host.from_api` (the engine's JSON bodies), with
:func:`dockermodel.from_docker` (a live engine, read-only), or with
:meth:`Host.load` (a snapshot file).

The layers of the package, bottom up: values (:mod:`dockermodel.model`),
the graph (:mod:`dockermodel.graph`) and the engine profiles
(:mod:`dockermodel.profiles`); reading bodies (:mod:`dockermodel._mapping`),
disk usage (:mod:`dockermodel.usage`) and removal
(:mod:`dockermodel.removal`) above them; this module on top of those, and the
adapter and the command above it. No import runs back up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._frozen import FrozenDocument
from ._mapping import HostParts, host_parts_from_api, payloads_from_host
from .errors import InvalidArgument
from .graph import Graph
from .model import Container, Image
from .profiles import Engine
from .removal import (
    CleanupPlan,
    Plan,
    apply_plan,
    bytes_freed_by_image,
    plan_builder_prune,
    plan_cleanup,
    plan_container_prune,
    plan_image_prune,
    plan_rm,
    plan_rmi,
    removal_ranking,
)
from .snapshot import dump, load
from .usage import DiskUsage

if TYPE_CHECKING:
    from .why import Why

__all__ = ["Host"]


@attrs.frozen(eq=True)
class Host(Graph):
    """An engine's images, layers and containers at one moment, and what it would answer.

    ``images`` maps full image ids (``sha256:…``) to :class:`Image`;
    ``containers`` maps full container ids to :class:`Container`, newest
    first; ``layers`` maps chain ids to :class:`Layer` — every layer in the
    chain of an image, or held by a container whose image is gone.
    ``volumes`` and ``build_cache`` come from ``/system/df`` when it was read;
    ``engine`` is the engine modelled (:mod:`dockermodel.profiles`).
    """

    # ------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------

    @classmethod
    def from_api(cls, payloads: Mapping[str, Any], engine: Engine | str | None = None) -> Host:
        """Build a host from the engine's JSON bodies, exactly as returned (API 1.41–1.51).

        Keys: ``images_all`` (GET /images/json?all=1), ``image_inspect``
        ({id: GET /images/{id}/json}), ``image_history`` ({id: GET
        /images/{id}/history}; entries may be left out where the layer sizes
        follow from other images, see :mod:`dockermodel._mapping`),
        ``containers`` (GET /containers/json?all=1&size=1), and optionally
        ``system_df`` (volumes and build cache only; no size is copied from
        it), ``version`` and ``info``. Malformed input raises
        :class:`~dockermodel.errors.InvalidPayload` naming the field.

        ``engine`` says which engine the bodies come from (an
        :class:`~dockermodel.profiles.Engine` or text such as ``"26.1/containerd"``);
        by default it is read from the document (:func:`dockermodel.profiles.engine_of`).
        """
        if isinstance(engine, str):
            try:
                engine = Engine.parse(engine)
            except ValueError as exc:
                raise InvalidArgument(str(exc)) from None
        # a private copy: the caller's dict may change afterwards, this host not
        return cls._from_parts(host_parts_from_api(payloads, engine), FrozenDocument(payloads))

    @classmethod
    def _from_parts(cls, parts: HostParts, document: Mapping[str, Any]) -> Host:
        """The host of ``parts``, read from ``document`` (a private, read-only copy)."""
        return cls(
            images=parts.images,
            containers=parts.containers,
            layers=parts.layers,
            volumes=parts.volumes,
            build_cache=parts.build_cache,
            engine=parts.engine,
            taken=parts.taken,
            cache_unsure=parts.cache_unsure,
            cache_maybe_gone=parts.cache_maybe_gone,
            version=parts.version,
            payloads=document,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Host:
        """Read a snapshot file written by :meth:`dump` (or ``dockermodel snapshot save``)."""
        return cls.from_api(load(path))

    def dump(self, path: str | os.PathLike[str]) -> None:
        """Write this host's payload document as a snapshot file."""
        dump(self.to_payloads(), path)

    def to_payloads(self) -> dict[str, Any]:
        """The payload document of this state (the one read, or one rebuilt from the model).

        A new document on every call, which the caller may change freely.
        """
        if self.payloads is not None:
            return dict(self.payloads)
        return payloads_from_host(self)

    def keeping_held_layers(self, previous: Host) -> Host:
        """This host, with the layer chains ``previous`` knew for containers of deleted images.

        No API call shows the layers a container keeps after its image was
        force-deleted, so a fresh read has them empty; a host produced
        by :meth:`apply`, or read earlier, still knows them. Carrying them over
        keeps later predictions exact (a layer such a container holds is never
        freed by a removal).
        """
        containers: dict[str, Container] = {}
        layers = dict(self.layers)
        changed = False
        for cid, container in self.containers.items():
            old = previous.containers.get(cid)
            if not container.layers and old is not None and old.layers and (
                container.image_id not in self.images
            ):
                container = attrs.evolve(container, layers=old.layers)
                changed = True
                for chain in old.layers:
                    if chain not in layers and chain in previous.layers:
                        layers[chain] = previous.layers[chain]
            containers[cid] = container
        if not changed:
            return self
        return attrs.evolve(self, containers=containers, layers=layers, payloads=None)

    # ------------------------------------------------------------------
    # disk usage and removal
    # ------------------------------------------------------------------

    def disk_usage(self) -> DiskUsage:
        """Disk usage as the engine counts it (``GET /system/df``), plus exact figures."""
        return DiskUsage.of(self)

    def plan_rmi(self, name_or_id: str, force: bool = False, prune: bool = True) -> Plan:
        """What ``docker rmi [-f] [--no-prune] NAME`` would do; raises Conflict / NotFound."""
        return plan_rmi(self, name_or_id, force=force, prune=prune)

    def plan_rm(self, name_or_id: str, force: bool = False, volumes: bool = False) -> Plan:
        """What ``docker rm [-f] [-v] NAME`` would do."""
        return plan_rm(self, name_or_id, force=force, volumes=volumes)

    def plan_image_prune(
        self,
        all: bool = False,
        filters: Mapping[str, Any] | None = None,
        *,
        now: float | None = None,
    ) -> Plan:
        """What ``docker image prune [-a]`` would do; ``now`` anchors ``until=10m``."""
        return plan_image_prune(self, all=all, filters=filters, now=now)

    def plan_container_prune(
        self, filters: Mapping[str, Any] | None = None, *, now: float | None = None
    ) -> Plan:
        """What ``docker container prune`` would do; ``now`` anchors ``until=10m``."""
        return plan_container_prune(self, filters=filters, now=now)

    def plan_builder_prune(
        self,
        all: bool = False,
        filters: Mapping[str, Any] | None = None,
        *,
        now: float | None = None,
    ) -> Plan:
        """What ``docker builder prune [-a]`` would do (``POST /build/prune``); see
        :func:`dockermodel.removal.plan_builder_prune`."""
        return plan_builder_prune(self, all=all, filters=filters, now=now)

    def apply(self, plan: Plan) -> Host:
        """The host after the engine carried ``plan`` out.

        :class:`~dockermodel.errors.PlanMismatch` if ``plan`` was made for
        another host, or was applied already (see :func:`dockermodel.removal.apply_plan`).
        """
        return apply_plan(self, plan)

    def why(self, name_or_id: str) -> Why:
        """Every holder of the image and what each way of removing it would do (:mod:`.why`)."""
        from .why import why

        return why(self, name_or_id)

    def plan_cleanup(self, *, containers: bool = True, all: bool = True) -> CleanupPlan:
        """Force-free ``docker rm`` / ``docker rmi`` steps that free every byte they can.

        See :func:`dockermodel.removal.plan_cleanup`.
        """
        return plan_cleanup(self, containers=containers, all=all)

    def bytes_freed_by_image(self) -> dict[str, int]:
        """For every image id, the bytes ``docker rmi -f <id>`` would free (0 when refused).

        See :func:`dockermodel.removal.bytes_freed_by_image`.
        """
        return bytes_freed_by_image(self)

    def removal_ranking(self) -> list[tuple[Image, int]]:
        """Images by the bytes their removal frees, most first (:meth:`bytes_freed_by_image`)."""
        return removal_ranking(self)

    def __repr__(self) -> str:
        """A summary: the counts and the engine (the contents can be millions of characters)."""
        return (
            f"<Host: {len(self.images)} images, {len(self.layers)} layers, "
            f"{len(self.containers)} containers, {len(self.volumes)} volumes; {self.engine}>"
        )
