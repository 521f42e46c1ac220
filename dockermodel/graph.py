"""The host graph at the bottom: one engine's images, layers and containers, and their indices.

:class:`Graph` holds the state and answers the questions every planner asks:
children and users of an image, lookups by name or id, the image listing.
Rules that differ between engines come from the graph's
:class:`~dockermodel.profiles.Profile` (``graph.profile``), chosen by
``graph.engine``. :class:`dockermodel.Host` adds construction, disk usage
and removal plans on top; nothing here imports them.

Engine sources: lookups ``daemon/images/image.go · ImageService.GetImage``
and ``daemon/container.go · Daemon.GetContainer``; listing
``daemon/images/images.go · ImageService.Images`` (moby v20.10.24, v28.5.2).
See ``docs/concepts.md``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from operator import attrgetter
from typing import Any

import attrs

from . import reference as _ref
from ._filters import match_kv_list, normalize_filters
from ._frozen import FrozenDict, bulk
from .errors import EngineError, InvalidArgument, InvalidReference, NotFound
from .model import BuildCacheRecord, Container, Image, Layer, Volume
from .profiles import DEFAULT_ENGINE, Engine, Profile, max_api_version, profile_for

__all__ = ["Graph"]

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
class Graph:
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
    #: The engine this state is of; its rules are :attr:`profile`'s.
    engine: Engine = attrs.field(default=DEFAULT_ENGINE, kw_only=True)
    #: Figures taken from the engine instead of computed, as field paths
    #: (``images[<id>].size``, ``disk_usage.LayersSize``, …): where the
    #: engine's numbers do not follow the rules the model computes with.
    taken: frozenset[str] = attrs.field(default=frozenset(), kw_only=True)
    #: Build-cache record ids whose ``Shared: true`` a predicted state is
    #: unsure of (the engine may have cleared it; see
    #: :func:`dockermodel.removal.apply_plan`). Empty for a state read.
    cache_unsure: frozenset[str] = attrs.field(default=frozenset(), kw_only=True)
    #: Build-cache record ids a build-cache prune may or may not have removed.
    cache_maybe_gone: frozenset[str] = attrs.field(default=frozenset(), kw_only=True)
    #: The engine's ``/version`` document, when known (for snapshots and reports).
    version: Mapping[str, Any] | None = attrs.field(default=None, eq=False, kw_only=True)
    #: The payload document this host was read from, kept for :meth:`dump` (a
    #: private copy: each read of it is a fresh copy, see ``Host.to_payloads``).
    payloads: Mapping[str, Any] | None = attrs.field(
        default=None, eq=False, repr=False, kw_only=True
    )

    @property
    def profile(self) -> Profile:
        """The rules of :attr:`engine`'s family (:mod:`dockermodel.profiles`)."""
        return profile_for(self.engine)

    @cached_property
    def _cache_holds(self) -> tuple[frozenset[str], frozenset[str]]:
        return self.profile.cache_holds(
            self.images.values(), self.layers, self.build_cache, self.engine.api, self.cache_unsure
        )

    @property
    def maybe_held(self) -> frozenset[str]:
        """Chain ids of image layers BuildKit's build cache may hold (overlay2 store, 23+).

        A superset of the layers the cache holds; no removal frees them for
        sure, and planners give bounds where it matters (``Plan.bounds``).
        Empty — every answer exact — when the cache holds nothing of any
        image (no ``Shared`` record, an empty or unread build cache), and on
        engines whose cache holds no layer (20.10, the containerd store).
        Decided by the profile; see :mod:`dockermodel.buildcache`.
        """
        return self._cache_holds[0]

    @property
    def certainly_held(self) -> frozenset[str]:
        """The part of :attr:`maybe_held` the cache holds for sure (a record matches it alone)."""
        return self._cache_holds[1]

    # ------------------------------------------------------------------
    # indices
    # ------------------------------------------------------------------

    @cached_property
    def _children(self) -> Mapping[str, tuple[str, ...]]:
        images = self.images
        children: dict[str, list[str]] = {}
        for image in images.values():
            parent = image.parent
            if parent is not None and parent in images:
                children.setdefault(parent, []).append(image.id)
        return {k: tuple(v) if len(v) == 1 else tuple(sorted(v)) for k, v in children.items()}

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
        """Ids of the images whose parent is ``image_id``."""
        return self._children.get(image_id, ())

    def users(self, image_id: str) -> tuple[Container, ...]:
        """Containers in any state whose image is ``image_id`` (``ImageDelete``'s ``used``)."""
        return tuple(self.containers[c] for c in self._users.get(image_id, ()))

    def is_intermediate(self, image: Image) -> bool:
        """No reference at all and at least one child."""
        return not image.repo_tags and not image.repo_digests and bool(self.children(image.id))

    def is_dangling(self, image: Image) -> bool:
        """The list filter's and image prune's "dangling": no child and no tag."""
        return not image.repo_tags and not self.children(image.id)

    # ------------------------------------------------------------------
    # lookup
    # ------------------------------------------------------------------

    def find_image(self, name_or_id: str) -> Image:
        """Resolve a name or id as the engine's ``GetImage`` does.

        A reference (``name`` means ``name:latest``) beats an id prefix; id
        prefixes of any length resolve when unique; ambiguous or unknown
        input raises :class:`~dockermodel.NotFound` with the engine's message,
        and unparsable input :class:`~dockermodel.errors.InvalidArgument`.
        """
        image, _ = self._lookup_image(name_or_id)
        return image

    def _lookup_image(self, name: str) -> tuple[Image, Any]:
        """The image and the parsed reference the lookup used."""
        ref = self.profile.parse_lookup(name)
        if _is_digest_only(ref):
            image_id = str(ref)
            image = self.images.get(image_id)
            if image is None:
                raise NotFound(f"No such image: {image_id}")
            return image, ref
        assert isinstance(ref, _ref.Reference)
        tagged = _ref.tag_name_only(ref)
        # a reference with tag and digest is stored as the digest one
        key = f"{ref.name}@{ref.digest}" if ref.digest is not None else str(tagged)
        hit = self._references.get(key)
        if hit is not None and hit in self.images:
            return self.images[hit], ref
        found = self._lookup_prefix(name)
        if found is not None:
            return self.images[found], ref
        raise NotFound(f"No such image: {_ref.familiar_string(tagged)}")

    def _lookup_prefix(self, text: str) -> str | None:
        """The digest set's ``Lookup``: a unique id prefix, else ``None``."""
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
        """Resolve a container as the engine's ``GetContainer`` does.

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
                raise self.profile.ambiguous_container(name_or_id)
            return self.containers[ids[i]]
        raise NotFound(f"No such container: {name_or_id}")

    # ------------------------------------------------------------------
    # listing
    # ------------------------------------------------------------------

    @bulk()
    def list_images(
        self,
        all: bool = False,
        filters: Mapping[str, Any] | None = None,
        *,
        api_version: str | None = None,
    ) -> list[dict[str, Any]]:
        """What ``GET /images/json`` returns: same images, fields and order.

        ``filters`` takes the engine's keys (``dangling``, ``label``,
        ``before``, ``since``, ``reference``) with a value, a list of values or
        the API's ``{"value": true}`` form. Same-second images come out in id
        order (the engine's order within one second is arbitrary).
        """
        api = self.api_minor(api_version)
        return [
            self.image_summary(image, refs, api) for image, refs in self._listing(all, filters)
        ]

    def listed_images(
        self, all: bool = False, filters: Mapping[str, Any] | None = None
    ) -> list[Image]:
        """The images :meth:`list_images` describes, as :class:`Image` values."""
        return [image for image, _ in self._listing(all, filters)]

    def _listing(
        self, all: bool, filters: Mapping[str, Any] | None
    ) -> list[tuple[Image, tuple[Any, ...]]]:
        if not filters:
            # no filter: every image, less the intermediates unless ``all``
            children = self._children
            return [
                (image, refs)
                for image in self._images_by_created
                if (refs := image.references) or all or image.id not in children
            ]
        args = normalize_filters(filters)
        for key in args:
            if key not in _IMAGE_FILTERS:
                raise self.profile.invalid_filter(key)
        dangling_only = False
        if "dangling" in args:
            values = args["dangling"]
            if "true" in values:
                dangling_only = True
            elif "false" not in values:
                raise self.profile.invalid_filter(f"dangling={_go_list(values)}")
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
            if label_values is not None and not match_kv_list(label_values, image.labels):
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
        """Newest first (``Created`` descending), then by id."""
        return tuple(newest_first(self.images.values(), "created"))

    def api_minor(self, api_version: str | None = None) -> int:
        """The minor API number to answer in: the host's own, or ``api_version``.

        Documents can be shaped for API 1.41 up to the engine's newest
        (:func:`dockermodel.profiles.max_api_version`); another version is an
        :class:`~dockermodel.InvalidArgument` naming it.
        """
        if api_version is None:
            return self.engine.api
        minor = _api_number(api_version)
        newest = int(max_api_version(self.engine.release).partition(".")[2])
        if minor is None or not 41 <= minor <= max(newest, self.engine.api):
            raise InvalidArgument(
                f"API version {api_version!r} is not one {self.engine} answers in "
                f"(the model shapes 1.41 to 1.{max(newest, self.engine.api)})"
            )
        return minor

    def image_summary(
        self, image: Image, refs: Sequence[Any] | None = None, api: int | None = None
    ) -> dict[str, Any]:
        """The ``/images/json`` entry of ``image`` at API ``1.<api>`` (default: the host's).

        Below 1.43 an image with neither tags nor digests gets the
        ``<none>:<none>`` / ``<none>@<none>`` markers and an empty list is
        ``null``; from 1.43 empty lists are ``[]``. ``VirtualSize`` (= ``Size``)
        exists below 1.44 only; ``Containers`` is a count from 1.51, ``-1``
        before. [moby v28.5.2 api/server/router/image/image_routes.go · getImagesJSON]
        """
        if api is None:
            api = self.engine.api
        if refs is None:
            refs = image.references
        tags = [_ref.familiar_string(r) for r in refs if r.digest is None]
        digests = [_ref.familiar_string(r) for r in refs if r.digest is not None]
        repo_tags: list[str] | None
        repo_digests: list[str] | None
        if api >= 43:
            repo_tags, repo_digests = tags, digests
        elif not refs:
            repo_tags, repo_digests = ["<none>:<none>"], ["<none>@<none>"]
        else:
            repo_tags, repo_digests = tags or None, digests or None
        doc: dict[str, Any] = {
            "Containers": len(self._users.get(image.id, ())) if api >= 51 else -1,
            "Created": image.created,
            "Id": image.id,
            "Labels": dict(image.labels) if image.labels is not None else None,
            "ParentId": image.parent or "",
            "RepoDigests": repo_digests,
            "RepoTags": repo_tags,
            "SharedSize": -1,
            "Size": image.size,
        }
        if api < 44:
            doc["VirtualSize"] = image.size
        return doc

    @bulk()
    def list_containers(self, all: bool = True) -> list[dict[str, Any]]:
        """``GET /containers/json?all=1&size=1``, newest first (``all=False``: running only)."""
        return [
            c.to_api(image=self.container_image_field(c))
            for c in self.containers.values()
            if all or c.running
        ]

    def container_image_field(self, container: Container) -> str:
        """The ``Image`` the engine reports: as created while it still resolves."""
        if container.image == container.image_id:
            return container.image
        try:
            image = self.find_image(container.image)
        except NotFound:
            return container.image_id
        except EngineError:
            return container.image_id
        return container.image if image.id == container.image_id else container.image_id


def newest_first(images: Iterable[Image], field: str) -> list[Image]:
    """``images`` by ``field`` (``created`` or ``created_ns``) descending, then by id.

    One sort in C on ``(field, id)`` pairs, descending, then each run of
    equal times put back in ascending id order: ids are compared only
    between images of the same time.
    """
    order = sorted(images, key=attrgetter(field, "id"), reverse=True)
    n = len(order)
    if len(set(map(attrgetter(field), order))) == n:
        return order  # no two images of one time
    i = 0
    while i < n:
        j = i + 1
        time = getattr(order[i], field)
        while j < n and getattr(order[j], field) == time:
            j += 1
        if j - i > 1:
            order[i:j] = order[i:j][::-1]
        i = j
    return order


def _api_number(text: str) -> int | None:
    major, sep, minor = text.partition(".")
    if major != "1" or not sep or not minor.isdigit():
        return None
    return int(minor)


def _is_digest_only(ref: object) -> bool:
    return isinstance(ref, _ref.DigestReference)


def _matches_any(patterns: Sequence[str], ref: Any) -> bool:
    for pattern in patterns:
        try:
            if _ref.familiar_match(pattern, ref):
                return True
        except InvalidReference as exc:
            raise EngineError(exc.message, 500) from None
    return False
