"""The host graph: one immutable snapshot of an engine's images, layers and containers.

A :class:`Host` answers what the engine would answer — lookups, image
listings, disk usage and removal plans — from its own state, without I/O.
Build one with :meth:`Host.from_api` (the engine's JSON bodies), with
:func:`dockermodel.from_docker` (a live engine, read-only), or with
:meth:`Host.load` (a snapshot file).

Sources of truth: ENGINE_SEMANTICS.md §1.6-1.7 (lookup), §2 (layers and
sizes), §3 (listing); disk usage is in :mod:`dockermodel.usage`, removal in
:mod:`dockermodel.removal`.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import attrs

from . import reference as _ref
from ._filters import normalize_filters
from ._frozen import FrozenDict
from .errors import (
    AmbiguousPrefix,
    EngineError,
    InvalidArgument,
    InvalidReference,
    NotFound,
    RepositoryNameNotLowercase,
)
from .model import BuildCacheRecord, Container, Image, Layer, Volume

if TYPE_CHECKING:
    from .removal import Plan
    from .usage import DiskUsage
    from .why import Why

__all__ = ["Host"]

_LOWERCASE_2_8 = "invalid reference format: repository name must be lowercase"
_IMAGE_FILTERS = frozenset({"dangling", "label", "before", "since", "reference"})


def _go_list(values: Iterable[str]) -> str:
    """Go's ``%v`` of a ``[]string``: ``[a b]``."""
    return "[" + " ".join(values) + "]"


def _frozen_images(value: Mapping[str, Image]) -> FrozenDict[Image]:
    return value if isinstance(value, FrozenDict) else FrozenDict(value)


def _frozen_containers(value: Mapping[str, Container]) -> FrozenDict[Container]:
    return value if isinstance(value, FrozenDict) else FrozenDict(value)


def _frozen_layers(value: Mapping[str, Layer]) -> FrozenDict[Layer]:
    return value if isinstance(value, FrozenDict) else FrozenDict(value)


@attrs.frozen(eq=True)
class Host:
    """An engine's images, layers and containers at one moment.

    ``images`` maps full image ids (``sha256:…``) to :class:`Image`;
    ``containers`` maps full container ids to :class:`Container`, newest
    first; ``layers`` maps chain ids to :class:`Layer` — every layer in the
    chain of an image, or held by a container whose image is gone.
    ``volumes`` and ``build_cache`` come from ``/system/df`` when it was read.
    """

    images: Mapping[str, Image] = attrs.field(converter=_frozen_images)
    containers: Mapping[str, Container] = attrs.field(converter=_frozen_containers)
    layers: Mapping[str, Layer] = attrs.field(converter=_frozen_layers)
    volumes: tuple[Volume, ...] = ()
    build_cache: tuple[BuildCacheRecord, ...] | None = None
    #: The engine's ``/version`` document, when known (for snapshots and reports).
    version: Mapping[str, Any] | None = attrs.field(default=None, eq=False)
    #: The payload document this host was read from, kept for :meth:`dump`.
    payloads: Mapping[str, Any] | None = attrs.field(default=None, eq=False, repr=False)

    # ------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------

    @classmethod
    def from_api(cls, payloads: Mapping[str, Any]) -> Host:
        """Build a host from the engine's JSON bodies, exactly as returned (API 1.41).

        Keys: ``images_all`` (GET /images/json?all=1), ``image_inspect``
        ({id: GET /images/{id}/json}), ``image_history`` ({id: GET
        /images/{id}/history}; entries may be left out where the layer sizes
        follow from other images, see :mod:`dockermodel._mapping`),
        ``containers`` (GET /containers/json?all=1&size=1), and optionally
        ``system_df`` (volumes and build cache only; no size is copied from
        it), ``version`` and ``info``. Malformed input raises
        :class:`~dockermodel.errors.InvalidPayload` naming the field.
        """
        from ._mapping import host_parts_from_api

        parts = host_parts_from_api(payloads)
        return cls(
            images=parts.images,
            containers=parts.containers,
            layers=parts.layers,
            volumes=parts.volumes,
            build_cache=parts.build_cache,
            version=parts.version,
            payloads=payloads,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Host:
        """Read a snapshot file written by :meth:`dump` (or ``dockermodel snapshot save``)."""
        from .snapshot import load

        return cls.from_api(load(path))

    def dump(self, path: str | os.PathLike[str]) -> None:
        """Write this host's payload document as a snapshot file."""
        from .snapshot import dump

        dump(self.to_payloads(), path)

    def to_payloads(self) -> dict[str, Any]:
        """The payload document of this state (the one read, or one rebuilt from the model)."""
        if self.payloads is not None:
            return dict(self.payloads)
        from ._mapping import payloads_from_host

        return payloads_from_host(self)

    def keeping_held_layers(self, previous: Host) -> Host:
        """This host, with the layer chains ``previous`` knew for containers of deleted images.

        No API call shows the layers a container keeps after its image was
        force-deleted (§5.7), so a fresh read has them empty; a host produced
        by :meth:`apply`, or read earlier, still knows them. Carrying them over
        keeps later predictions exact (a layer such a container holds is never
        freed by a removal, R2.2.4).
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
    # indices
    # ------------------------------------------------------------------

    @cached_property
    def _children(self) -> Mapping[str, tuple[str, ...]]:
        children: dict[str, list[str]] = {}
        for image in self.images.values():
            if image.parent is not None and image.parent in self.images:
                children.setdefault(image.parent, []).append(image.id)
        return {k: tuple(sorted(v)) for k, v in children.items()}

    @cached_property
    def _references(self) -> Mapping[str, str]:
        """Fully-qualified reference string -> image id (the reference store)."""
        store: dict[str, str] = {}
        for image in self.images.values():
            for ref in image.repo_tags:
                store[str(ref)] = image.id
            for ref in image.repo_digests:
                store[str(ref)] = image.id
        return store

    @cached_property
    def _image_hexes(self) -> list[str]:
        return sorted(image_id.partition(":")[2] for image_id in self.images)

    @cached_property
    def _container_names(self) -> Mapping[str, str]:
        names: dict[str, str] = {}
        for container in self.containers.values():
            for name in container.names:
                names.setdefault(name, container.id)
        return names

    @cached_property
    def _container_ids(self) -> list[str]:
        return sorted(self.containers)

    @cached_property
    def _users(self) -> Mapping[str, tuple[str, ...]]:
        """Image id -> ids of the containers (any state) created from it."""
        users: dict[str, list[str]] = {}
        for container in self.containers.values():
            users.setdefault(container.image_id, []).append(container.id)
        return {k: tuple(v) for k, v in users.items()}

    def children(self, image_id: str) -> tuple[str, ...]:
        """Ids of the images whose parent is ``image_id`` (R2.6.2)."""
        return self._children.get(image_id, ())

    def users(self, image_id: str) -> tuple[Container, ...]:
        """Containers in any state whose image is ``image_id`` (R5.2 ``used``)."""
        return tuple(self.containers[c] for c in self._users.get(image_id, ()))

    def is_intermediate(self, image: Image) -> bool:
        """No reference at all and at least one child (R2.6.5)."""
        return not image.repo_tags and not image.repo_digests and bool(self.children(image.id))

    def is_dangling(self, image: Image) -> bool:
        """The list filter's and image prune's "dangling": no child and no tag (R3.1.6)."""
        return not image.repo_tags and not self.children(image.id)

    # ------------------------------------------------------------------
    # lookup
    # ------------------------------------------------------------------

    def find_image(self, name_or_id: str) -> Image:
        """Resolve a name or id as the engine's ``GetImage`` does (R1.6).

        A reference (``name`` means ``name:latest``) beats an id prefix; id
        prefixes of any length resolve when unique; ambiguous or unknown
        input raises :class:`~dockermodel.NotFound` with the engine's message,
        and unparsable input :class:`~dockermodel.errors.InvalidArgument`.
        """
        image, _ = self._lookup_image(name_or_id)
        return image

    def _lookup_image(self, name: str) -> tuple[Image, Any]:
        """The image and the parsed reference the lookup used (R1.6.1-R1.6.5)."""
        try:
            ref = _ref.parse_any_reference(name)
        except RepositoryNameNotLowercase:
            # Engine 20.10 vendors distribution v2.8.1, whose message does not
            # name the repository (GRAMMAR.md §8)
            raise InvalidArgument(_LOWERCASE_2_8) from None
        except InvalidReference as exc:
            raise InvalidArgument(exc.message) from None
        if _is_digest_only(ref):
            image_id = str(ref)
            image = self.images.get(image_id)
            if image is None:
                raise NotFound(f"No such image: {image_id}")
            return image, ref
        assert isinstance(ref, _ref.Reference)
        tagged = _ref.tag_name_only(ref)
        # a reference with tag and digest is stored as the digest one (R1.5.5)
        key = f"{ref.name}@{ref.digest}" if ref.digest is not None else str(tagged)
        hit = self._references.get(key)
        if hit is not None and hit in self.images:
            return self.images[hit], ref
        found = self._lookup_prefix(name)
        if found is not None:
            return self.images[found], ref
        raise NotFound(f"No such image: {_ref.familiar_string(tagged)}")

    def _lookup_prefix(self, text: str) -> str | None:
        """The digest set's ``Lookup``: a unique id prefix, else ``None`` (R1.6.4)."""
        algorithm, sep, hex_part = text.partition(":")
        if not sep or not algorithm or not hex_part:
            algorithm, hex_part = "", text
        if algorithm and algorithm != "sha256":
            return None
        hexes = self._image_hexes
        i = bisect.bisect_left(hexes, hex_part)
        if i == len(hexes) or not hexes[i].startswith(hex_part):
            return None
        if hexes[i] != hex_part and i + 1 < len(hexes) and hexes[i + 1].startswith(hex_part):
            return None
        return "sha256:" + hexes[i]

    def find_container(self, name_or_id: str) -> Container:
        """Resolve a container as the engine's ``GetContainer`` does (R1.7).

        Full id, then exact name (with or without ``/``), then a unique id
        prefix. Errors: ``invalid name or ID supplied: ""`` (400), ``No such
        container: X`` (404), ``Multiple IDs found with provided prefix: X`` (500).
        """
        if name_or_id == "":
            raise InvalidArgument('invalid name or ID supplied: ""')
        if name_or_id in self.containers:
            return self.containers[name_or_id]
        name = name_or_id if name_or_id.startswith("/") else "/" + name_or_id
        cid = self._container_names.get(name)
        if cid is not None:
            return self.containers[cid]
        ids = self._container_ids
        i = bisect.bisect_left(ids, name_or_id)
        if i < len(ids) and ids[i].startswith(name_or_id):
            if i + 1 < len(ids) and ids[i + 1].startswith(name_or_id):
                raise AmbiguousPrefix(f"Multiple IDs found with provided prefix: {name_or_id}")
            return self.containers[ids[i]]
        raise NotFound(f"No such container: {name_or_id}")

    # ------------------------------------------------------------------
    # listing
    # ------------------------------------------------------------------

    def list_images(
        self, all: bool = False, filters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """What ``GET /images/json`` returns: same images, fields and order (§3).

        ``filters`` takes the engine's keys (``dangling``, ``label``,
        ``before``, ``since``, ``reference``) with a value, a list of values or
        the API's ``{"value": true}`` form. Same-second images come out in id
        order (the engine's order within one second is arbitrary, R3.4.2).
        """
        return [self.image_summary(image, refs) for image, refs in self._listing(all, filters)]

    def listed_images(
        self, all: bool = False, filters: Mapping[str, Any] | None = None
    ) -> list[Image]:
        """The images :meth:`list_images` describes, as :class:`Image` values."""
        return [image for image, _ in self._listing(all, filters)]

    def _listing(
        self, all: bool, filters: Mapping[str, Any] | None
    ) -> list[tuple[Image, tuple[Any, ...]]]:
        args = normalize_filters(filters)
        for key in args:
            if key not in _IMAGE_FILTERS:
                raise InvalidArgument(f"Invalid filter '{key}'")
        dangling_only = False
        if "dangling" in args:
            values = args["dangling"]
            if "true" in values:
                dangling_only = True
            elif "false" not in values:
                raise InvalidArgument(f"Invalid filter 'dangling={_go_list(values)}'")
        before_ns = since_ns = None
        for value in args.get("before", ()):
            before_ns = self.find_image(value).created_ns
        for value in args.get("since", ()):
            since_ns = self.find_image(value).created_ns
        label_values = args.get("label")
        patterns = args.get("reference")

        out: list[tuple[Image, tuple[Any, ...]]] = []
        for image in self._images_by_created:
            if dangling_only and self.children(image.id):
                continue
            if before_ns is not None and not image.created_ns < before_ns:
                continue
            if since_ns is not None and not image.created_ns > since_ns:
                continue
            if label_values is not None and not _match_labels(label_values, image.labels):
                continue
            refs = image.references
            if patterns is not None:
                refs = tuple(r for r in refs if _matches_any(patterns, r))
            if not refs:
                if not all and self.children(image.id):
                    continue
                if "dangling" in args and not dangling_only:
                    continue
                if patterns is not None:
                    continue
            elif dangling_only and any(r.tag is not None and r.digest is None for r in refs):
                continue
            out.append((image, refs))
        return out

    @cached_property
    def _images_by_created(self) -> tuple[Image, ...]:
        return tuple(sorted(self.images.values(), key=lambda i: (-i.created, i.id)))

    def image_summary(self, image: Image, refs: Sequence[Any] | None = None) -> dict[str, Any]:
        """The ``/images/json`` entry of ``image`` (API 1.41 conventions, R3.2, R3.4)."""
        if refs is None:
            refs = image.references
        tags = [_ref.familiar_string(r) for r in refs if r.digest is None]
        digests = [_ref.familiar_string(r) for r in refs if r.digest is not None]
        repo_tags: list[str] | None = tags or None
        repo_digests: list[str] | None = digests or None
        if not refs:
            repo_tags, repo_digests = ["<none>:<none>"], ["<none>@<none>"]
        return {
            "Containers": -1,
            "Created": image.created,
            "Id": image.id,
            "Labels": dict(image.labels) if image.labels is not None else None,
            "ParentId": image.parent or "",
            "RepoDigests": repo_digests,
            "RepoTags": repo_tags,
            "SharedSize": -1,
            "Size": image.size,
            "VirtualSize": image.size,
        }

    def list_containers(self, all: bool = True) -> list[dict[str, Any]]:
        """``GET /containers/json?all=1&size=1``, newest first (``all=False``: running only)."""
        return [
            c.to_api(image=self.container_image_field(c))
            for c in self.containers.values()
            if all or c.running
        ]

    def container_image_field(self, container: Container) -> str:
        """The ``Image`` the engine reports: as created while it still resolves (R6.3.1)."""
        if container.image == container.image_id:
            return container.image
        try:
            image = self.find_image(container.image)
        except NotFound:
            return container.image_id
        except EngineError:
            return container.image_id
        return container.image if image.id == container.image_id else container.image_id

    # ------------------------------------------------------------------
    # disk usage and removal
    # ------------------------------------------------------------------

    def disk_usage(self) -> DiskUsage:
        """Disk usage as the engine counts it (``GET /system/df``), plus exact figures."""
        from .usage import DiskUsage

        return DiskUsage.of(self)

    def plan_rmi(self, name_or_id: str, force: bool = False, prune: bool = True) -> Plan:
        """What ``docker rmi [-f] [--no-prune] NAME`` would do (§5); raises Conflict / NotFound."""
        from .removal import plan_rmi

        return plan_rmi(self, name_or_id, force=force, prune=prune)

    def plan_rm(self, name_or_id: str, force: bool = False, volumes: bool = False) -> Plan:
        """What ``docker rm [-f] [-v] NAME`` would do (§6.4)."""
        from .removal import plan_rm

        return plan_rm(self, name_or_id, force=force, volumes=volumes)

    def plan_image_prune(
        self,
        all: bool = False,
        filters: Mapping[str, Any] | None = None,
        *,
        now: float | None = None,
    ) -> Plan:
        """What ``docker image prune [-a]`` would do (§7.1); ``now`` anchors ``until=10m``."""
        from .removal import plan_image_prune

        return plan_image_prune(self, all=all, filters=filters, now=now)

    def plan_container_prune(
        self, filters: Mapping[str, Any] | None = None, *, now: float | None = None
    ) -> Plan:
        """What ``docker container prune`` would do (§7.2); ``now`` anchors ``until=10m``."""
        from .removal import plan_container_prune

        return plan_container_prune(self, filters=filters, now=now)

    def apply(self, plan: Plan) -> Host:
        """The host after the engine carried ``plan`` out."""
        from .removal import apply_plan

        return apply_plan(self, plan)

    def why(self, name_or_id: str) -> Why:
        """Every holder of the image and what each way of removing it would do (:mod:`.why`)."""
        from .why import why

        return why(self, name_or_id)


def _is_digest_only(ref: object) -> bool:
    return isinstance(ref, _ref.DigestReference)


def _match_labels(values: Sequence[str], labels: Mapping[str, str] | None) -> bool:
    """``Args.MatchKVList``: every ``k`` or ``k=v`` must match (R3.3.4)."""
    if not labels:
        return False
    for value in values:
        key, sep, expected = value.partition("=")
        if key not in labels:
            return False
        if sep and labels[key] != expected:
            return False
    return True


def _matches_any(patterns: Sequence[str], ref: Any) -> bool:
    for pattern in patterns:
        try:
            if _ref.familiar_match(pattern, ref):
                return True
        except InvalidReference as exc:
            raise EngineError(exc.message, 500) from None
    return False
