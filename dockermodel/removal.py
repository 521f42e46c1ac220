"""What ``docker rmi`` / ``rm`` / ``image prune`` / ``container prune`` would do, as plans.

Every planner runs the engine's own algorithm on a private working copy of a
:class:`~dockermodel.Graph` (references per image, children, container users,
a reference count per layer) and returns a :class:`Plan`: the records the
engine would answer plus what changed. Nothing is touched; :func:`apply_plan`
(``Host.apply``) gives the host after the engine carried the plan out.

Sources of truth, in plain words in ``docs/removal.md``:
[moby v20.10.24 daemon/images/image_delete.go · ImageService.ImageDelete,
imageDeleteHelper, checkImageDeleteConflict]
[moby v20.10.24 daemon/images/image_prune.go · ImageService.ImagesPrune]
[moby v20.10.24 daemon/delete.go · Daemon.ContainerRm, cleanupContainer]
[moby v20.10.24 daemon/prune.go · Daemon.ContainersPrune]
[moby v20.10.24 layer/layer_store.go · layerStore.releaseLayer] (who holds a layer)
[moby v20.10.24 daemon/images/image.go · ImageService.GetImage] (lookup)

Choices where the engine is nondeterministic (it walks Go maps), made once here:

* when several containers qualify for a conflict message, the **newest**
  container (``Host.containers`` order) is named — the engine names the first
  hit of a hash-map walk;
* image prune visits its candidates **newest first** (``created_ns``
  descending, then id) — the engine walks a hash map. The records' multiset,
  ``SpaceReclaimed`` and the resulting store do not depend on that order.

Beyond the engine: :func:`plan_cleanup` (an ordered, force-free sequence of
``docker rm`` / ``docker rmi`` steps with each step's bytes) and
:func:`bytes_freed_by_image` (what ``docker rmi -f <id>`` would free for
every image), both linear in the size of the host.
"""

from __future__ import annotations

import re
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from . import reference as _ref
from ._filters import match_kv_list, normalize_filters, until_ns
from ._frozen import bulk
from .digest import short_id
from .errors import (
    Conflict,
    EngineError,
    InvalidArgument,
    InvalidReference,
    NotFound,
    NotModelled,
    PlanMismatch,
)
from .graph import Graph, newest_first
from .model import Container, Image, Layer, Volume
from .profiles.volume_prune import (
    ANONYMOUS_VOLUME_LABEL,
    VOLUME_PRUNE_1_41,
    VOLUME_PRUNE_1_42,
    VolumePruneRule,
)

__all__ = [
    "VOLUME_PRUNE_1_41",
    "VOLUME_PRUNE_1_42",
    "CleanupPlan",
    "CleanupStep",
    "Plan",
    "Record",
    "SystemPrunePlan",
    "VolumePruneRule",
    "apply_plan",
    "bytes_freed_bounds_by_image",
    "bytes_freed_by_image",
    "plan_build_cache_prune",
    "plan_builder_prune",
    "plan_cleanup",
    "plan_commands",
    "plan_container_prune",
    "plan_image_cleanup",
    "plan_image_prune",
    "plan_rm",
    "plan_rmi",
    "plan_system_prune",
    "plan_volume_prune",
    "removal_ranking",
    "volume_prune_rule",
]


def __dir__() -> list[str]:
    return sorted(__all__)


#: ``ParseNormalizedNamed``'s upper-case error as Engine 20.10 words it (distribution
#: v2.8.1); distribution/reference v0.6 adds the repository name in parentheses.
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_V = TypeVar("_V")
_P = TypeVar("_P", "Plan", "CleanupPlan")
_IMAGE_PRUNE_FILTERS = ("dangling", "label", "label!", "until")
_CONTAINER_PRUNE_FILTERS = ("label", "label!", "until")


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


@attrs.frozen
class Record:
    """One item of the ``DELETE /images/{name}`` body: ``Untagged`` or ``Deleted``.

    ``value`` is a familiar reference for ``Untagged`` (``app:1``,
    ``app@sha256:…``) and ``sha256:<hex>`` for ``Deleted`` — an image id or a
    layer chain id.
    """

    kind: str
    value: str

    def to_api(self) -> dict[str, str]:
        return {self.kind: self.value}

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


@attrs.frozen
class Plan:
    """What one request would do, and what it changes.

    ``kind`` is ``"rmi"``, ``"rm"``, ``"image_prune"``, ``"container_prune"``,
    ``"volume_prune"``, ``"build_cache_prune"`` or ``"cleanup"`` (several
    steps merged, see :class:`CleanupPlan` and :class:`SystemPrunePlan`).
    ``records`` are the image records in the engine's order; ``untagged``
    the ``(image id, canonical reference)`` pairs removed; ``deleted_layers``
    the chain ids the records report freed; ``silent_layers`` chain ids freed
    without any report (held only by a removed container whose image was
    force-deleted). ``space_reclaimed`` is the engine's figure (prunes:
    ``SpaceReclaimed``; ``rmi``: the same rule, bytes of the layer records;
    ``rm``: the container's ``SizeRw``); ``bytes_freed`` counts every byte
    that leaves the disk, silent layers included.
    """

    kind: str
    target: str | None = None
    records: tuple[Record, ...] = ()
    deleted_images: tuple[str, ...] = ()
    untagged: tuple[tuple[str, str], ...] = ()
    deleted_layers: tuple[str, ...] = ()
    silent_layers: tuple[str, ...] = ()
    deleted_containers: tuple[str, ...] = ()
    removed_volumes: tuple[str, ...] = ()
    space_reclaimed: int = 0
    bytes_freed: int = 0
    #: ``Deleted`` layer records the engine may or may not emit (BuildKit's cache may hold them).
    uncertain: tuple[Record, ...] = ()
    #: Chain ids that may or may not leave the disk (reported or silent).
    uncertain_layers: tuple[str, ...] = ()
    #: Σ DiffSize of :attr:`uncertain_layers` (``bytes_freed`` + this is the highest).
    uncertain_bytes: int = 0
    #: ``None`` when exact, else the ``(lowest, highest)`` ``SpaceReclaimed`` the engine can answer.
    bounds: tuple[int, int] | None = None
    #: ids of the build cache records removed (``CachesDeleted``), in the engine's order
    deleted_build_cache: tuple[str, ...] = ()
    #: The host the plan was made for (``None``: a cleanup step, or made by hand);
    #: :meth:`Host.apply` refuses the plan on any other host.
    host: Graph | None = attrs.field(default=None, eq=False, repr=False)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{name}={len(getattr(self, name))}"
            for name in ("records", "deleted_images", "deleted_containers", "deleted_layers")
        )
        return (
            f"Plan(kind={self.kind!r}, target={self.target!r}, {counts}, "
            f"space_reclaimed={self.space_reclaimed}, bytes_freed={self.bytes_freed})"
        )

    #: ids of build cache records the engine may or may not report removed
    uncertain_build_cache: tuple[str, ...] = ()
    #: ids of build cache records certainly gone afterwards (``deleted_build_cache``
    #: and uncertain ones that are gone either way)
    gone_build_cache: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        """Whether the engine's answer and the state after it are known exactly."""
        return not (self.uncertain_layers or self.uncertain_build_cache or self.bounds)

    @property
    def bytes_freed_bounds(self) -> tuple[int, int]:
        """``(lowest, highest)`` bytes that leave the disk (equal when exact)."""
        return self.bytes_freed, self.bytes_freed + self.uncertain_bytes

    @bulk()
    def to_api(self) -> Any:
        """The engine's answer: the response body (``None`` for ``rm``'s 204).

        * ``rmi`` — ``[{"Untagged": "app:1"}, {"Deleted": "sha256:…"}, …]``;
        * ``image_prune`` — ``{"ImagesDeleted": [...] or None, "SpaceReclaimed": n}``;
        * ``container_prune`` — ``{"ContainersDeleted": [...] or None, "SpaceReclaimed": n}``;
        * ``volume_prune`` — ``{"VolumesDeleted": [...], "SpaceReclaimed": n}`` (``[]``
          when nothing was removed, as the engine answers);
        * ``build_cache_prune`` — ``{"CachesDeleted": [...] or None, "SpaceReclaimed": n}``;
        * ``rm`` — ``None`` (HTTP 204, no body);
        * ``cleanup`` — the records of every step, as for ``rmi``.

        Records the engine may or may not emit (:attr:`uncertain`,
        :attr:`uncertain_build_cache`) are left out and ``SpaceReclaimed`` is the
        lowest figure; :attr:`bounds` has the highest.
        """
        if self.kind == "image_prune":
            return {
                "ImagesDeleted": [r.to_api() for r in self.records] or None,
                "SpaceReclaimed": self.space_reclaimed,
            }
        if self.kind == "container_prune":
            return {
                "ContainersDeleted": list(self.deleted_containers) or None,
                "SpaceReclaimed": self.space_reclaimed,
            }
        if self.kind == "volume_prune":
            return {
                "VolumesDeleted": list(self.removed_volumes),
                "SpaceReclaimed": self.space_reclaimed,
            }
        if self.kind == "build_cache_prune":
            return {
                "CachesDeleted": list(self.deleted_build_cache) or None,
                "SpaceReclaimed": self.space_reclaimed,
            }
        if self.kind == "rm":
            return None
        return [r.to_api() for r in self.records]


@attrs.frozen
class CleanupStep:
    """One command of a :class:`CleanupPlan` and what it does at that point."""

    command: tuple[str, ...]
    plan: Plan

    @property
    def bytes_freed(self) -> int:
        return self.plan.bytes_freed


@attrs.frozen
class CleanupPlan:
    """An ordered list of ``docker rm`` / ``docker rmi`` commands and what each does.

    Run in order against the host they were planned for, no step conflicts
    and the steps together free :attr:`bytes_freed` bytes. When a further
    command would be refused, ``refused_command`` is that command and
    ``refusal`` the engine's error; the steps are the ones done before it.
    """

    steps: tuple[CleanupStep, ...]
    refused_command: tuple[str, ...] | None = None
    refusal: EngineError | None = attrs.field(default=None, eq=False)
    #: The host the steps were planned for (see :meth:`as_plan`).
    host: Graph | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def complete(self) -> bool:
        """No command was refused."""
        return self.refusal is None

    @property
    def bytes_freed(self) -> int:
        return sum(step.bytes_freed for step in self.steps)

    def __repr__(self) -> str:
        return f"CleanupPlan(steps={len(self.steps)}, bytes_freed={self.bytes_freed})"

    def commands(self) -> list[str]:
        """The steps as shell lines (``docker rm <id>``, ``docker rmi app:1``, …)."""
        return [" ".join(step.command) for step in self.steps]

    def as_plan(self) -> Plan:
        """All steps merged into one plan, for :meth:`Host.apply` on the host planned for."""
        plans = [step.plan for step in self.steps]
        return Plan(
            kind="cleanup",
            host=self.host,
            records=tuple(r for p in plans for r in p.records),
            deleted_images=tuple(i for p in plans for i in p.deleted_images),
            untagged=tuple(u for p in plans for u in p.untagged),
            deleted_layers=tuple(c for p in plans for c in p.deleted_layers),
            silent_layers=tuple(c for p in plans for c in p.silent_layers),
            deleted_containers=tuple(c for p in plans for c in p.deleted_containers),
            removed_volumes=tuple(v for p in plans for v in p.removed_volumes),
            space_reclaimed=sum(p.space_reclaimed for p in plans),
            bytes_freed=sum(p.bytes_freed for p in plans),
            uncertain=tuple(r for p in plans for r in p.uncertain),
            uncertain_layers=tuple(c for p in plans for c in p.uncertain_layers),
            uncertain_bytes=sum(p.uncertain_bytes for p in plans),
            bounds=_sum_bounds(plans),
            deleted_build_cache=tuple(b for p in plans for b in p.deleted_build_cache),
        )

    @property
    def bytes_freed_bounds(self) -> tuple[int, int]:
        """``(lowest, highest)`` bytes the steps free (equal when every step is exact)."""
        low = self.bytes_freed
        return low, low + sum(step.plan.uncertain_bytes for step in self.steps)


def _sum_bounds(plans: Sequence[Plan]) -> tuple[int, int] | None:
    if all(p.bounds is None for p in plans):
        return None
    low = sum(p.space_reclaimed for p in plans)
    high = sum(p.bounds[1] if p.bounds is not None else p.space_reclaimed for p in plans)
    return low, high


# --------------------------------------------------------------------------
# The working state
# --------------------------------------------------------------------------


def _is_single_reference(refs: Sequence[Any]) -> bool:
    """``isSingleReference``: the references name one thing.

    [moby v20.10.24 daemon/images/image_delete.go · isSingleReference]
    """
    if len(refs) <= 1:
        return len(refs) == 1
    single = None
    digest_repos: set[str] = set()
    for ref in refs:
        if ref.digest is not None:
            digest_repos.add(ref.name)
        elif single is None:
            single = ref
        else:
            return False
    if single is None:
        single = refs[0]
    return len(digest_repos) == 1 and single.name in digest_repos


class _Index:
    """The parts of a host the planners read, computed once per host (O(size of host)).

    Never mutated: each planner copies the dicts it changes into a
    :class:`_State`. The most recent host's index is kept (by identity,
    through a weak reference), so planning several requests on one host —
    a prune and the bytes-freed ranking, or ``rmi`` of several names —
    builds it once.
    """

    def __init__(self, host: Graph) -> None:
        self.layers: Mapping[str, Layer] = host.layers
        self.images: dict[str, Image]
        self.refs: dict[str, list[Any]] = {}
        self.store: dict[str, str] = {}
        #: number of live child images per image (absent: none)
        self.children: Counter[str]
        #: ids of the child images per image (the host's; planners filter out deleted ones)
        self.child_ids: dict[str, list[str]] = {}
        self.users: dict[str, list[str]] = {}
        self.containers: dict[str, Container] = dict(host.containers.items())
        self.held: dict[str, tuple[str, ...]] = {}
        # one pass over the images: each image object is touched once
        images = self.images = dict(host.images.items())
        refs_of, store, child_ids = self.refs, self.store, self.child_ids
        tops: list[str] = []
        for image_id, image in images.items():
            if image.repo_tags or image.repo_digests:
                refs = image.references
                refs_of[image_id] = list(refs)
                for ref in refs:
                    store[str(ref)] = image_id
            if image.parent is not None:
                child_ids.setdefault(image.parent, []).append(image_id)
            if image.layers:
                tops.append(image.layers[-1])
        self.children = Counter(
            {parent: len(ids) for parent, ids in child_ids.items() if parent in images}
        )
        for container in self.containers.values():
            self.users.setdefault(container.image_id, []).append(container.id)
            held = container.layers
            if not held:
                source = images.get(container.image_id)
                held = source.layers if source is not None else ()
            self.held[container.id] = held
        self.parent_of: dict[str, str | None] = {
            c: layer.parent for c, layer in host.layers.items()
        }
        parent_of = self.parent_of
        chains = [*(i.layers for i in images.values() if i.layers and i.layers[-1] not in
                    parent_of)] if not parent_of.keys() >= set(tops) else []
        chains += [held for held in self.held.values() if held and held[-1] not in parent_of]
        for chain in chains:  # hosts built by hand, or chains only containers hold
            for k, c in enumerate(chain):
                parent_of.setdefault(c, chain[k - 1] if k else None)
        # a chain id is never empty: filter(None, …) drops the bases' None parents
        rc: Counter[str] = Counter(filter(None, parent_of.values()))
        rc.update(tops)
        rc.update(held[-1] for held in self.held.values() if held)
        self.rc = rc
        #: image ids newest first (``created_ns`` descending, then id): prune's visiting order
        self.newest_first = [image.id for image in newest_first(images.values(), "created_ns")]
        #: image id -> containers mounting it as an ``image`` mount (Engine 28+), newest first
        self.image_mounts = _image_mounts(self.containers.values())


_LAST_INDEX: list[tuple[weakref.ref[Graph], _Index]] = []


def _forget(ref: weakref.ref[Graph]) -> None:
    """Drop the cached index once its host is gone."""
    if _LAST_INDEX and _LAST_INDEX[0][0] is ref:
        _LAST_INDEX.clear()


def _index(host: Graph) -> _Index:
    """The index of ``host``, reusing the last one built when it is the same object."""
    if _LAST_INDEX:
        ref, index = _LAST_INDEX[0]
        if ref() is host:
            return index
    index = _Index(host)
    try:
        _LAST_INDEX[:] = [(weakref.ref(host, _forget), index)]
    except TypeError:  # pragma: no cover - a host type without weak references
        _LAST_INDEX.clear()
    return index


class _State:
    """A mutable working copy of a host, built in O(size of host).

    ``rc[c]`` is the layer store's reference count of chain id ``c``
    [moby v20.10.24 layer/layer_store.go · layerStore.Register, releaseLayer]:
    one per live image whose *top* layer is ``c``, one per live
    container whose creation-image chain ends in ``c``, one per layer whose
    parent is ``c``. Releasing a top layer cascades downwards while counts
    reach zero, which frees exactly the layers in no remaining
    image's chain and no container's chain and costs only the
    layers freed.
    """

    def __init__(self, host: Graph, holds: Iterable[str] = ()) -> None:
        index = _index(host)
        self.host = host
        self.profile = host.profile
        self.layers = index.layers
        self.parent_of = index.parent_of
        # copies of the shared index; lists inside are replaced, never mutated
        self.images = dict(index.images)
        self.refs = dict(index.refs)
        self.store = dict(index.store)
        self.children = index.children.copy()
        self.child_ids = index.child_ids
        self.users = dict(index.users)
        self.containers = dict(index.containers)
        self.held = dict(index.held)
        self.image_mounts = index.image_mounts  # read only; removed containers are skipped
        self.rc = index.rc.copy()
        # the build cache's holds: one more reference on each layer it holds
        self.rc.update(holds)
        self.records: list[Record] = []
        self.deleted_images: list[str] = []
        self.untagged: list[tuple[str, str]] = []
        self.deleted_layers: list[str] = []
        self.silent_layers: list[str] = []
        self.deleted_containers: list[str] = []
        self.removed_volumes: list[str] = []
        self.space = 0
        self.bytes = 0

    # -- bookkeeping ------------------------------------------------------

    def mark(self) -> tuple[int, ...]:
        return (
            len(self.records),
            len(self.deleted_images),
            len(self.untagged),
            len(self.deleted_layers),
            len(self.silent_layers),
            len(self.deleted_containers),
            len(self.removed_volumes),
            self.space,
            self.bytes,
        )

    def plan(self, kind: str, target: str | None, since: tuple[int, ...] | None = None) -> Plan:
        m = since if since is not None else (0,) * 9
        return Plan(
            kind=kind,
            host=self.host,
            target=target,
            records=tuple(self.records[m[0] :]),
            deleted_images=tuple(self.deleted_images[m[1] :]),
            untagged=tuple(self.untagged[m[2] :]),
            deleted_layers=tuple(self.deleted_layers[m[3] :]),
            silent_layers=tuple(self.silent_layers[m[4] :]),
            deleted_containers=tuple(self.deleted_containers[m[5] :]),
            removed_volumes=tuple(self.removed_volumes[m[6] :]),
            space_reclaimed=self.space - m[7],
            bytes_freed=self.bytes - m[8],
        )

    def layer_size(self, chain_id: str) -> int:
        layer = self.layers.get(chain_id)
        return layer.size if layer is not None else 0

    # -- queries ----------------------------------------------------------

    def first_user(self, image_id: str, running: bool | None) -> Container | None:
        """``containers.First(...)``: the newest container of ``image_id`` matching."""
        for cid in self.users.get(image_id, ()):
            c = self.containers[cid]
            if running is None or c.running == running:
                return c
        return None

    def users_of(self, image_id: str, running: bool | None) -> tuple[str, ...]:
        """Ids of every container of ``image_id`` (newest first), by Running flag when given."""
        return tuple(
            cid
            for cid in self.users.get(image_id, ())
            if running is None or self.containers[cid].running == running
        )

    def live_children(self, image_id: str) -> tuple[str, ...]:
        """Ids of the child images of ``image_id`` still present, in id order."""
        return tuple(sorted(c for c in self.child_ids.get(image_id, ()) if c in self.images))

    def has_tag(self, image_id: str) -> bool:
        return any(r.digest is None for r in self.refs.get(image_id, ()))

    # -- mutations --------------------------------------------------------

    def remove_ref(self, image_id: str, ref: Any) -> None:
        key = str(ref)
        refs = self.refs[image_id]
        refs = self.refs[image_id] = [r for r in refs if r is not ref]
        if not refs:
            del self.refs[image_id]
        del self.store[key]
        self.untagged.append((image_id, key))

    def delete_image(self, image_id: str) -> None:
        """``imageStore.Delete``: drop the image, release its chain, record freed layers."""
        image = self.images.pop(image_id)
        self.deleted_images.append(image_id)
        self.records.append(Record("Deleted", image_id))
        if image.parent is not None and image.parent in self.children:
            self.children[image.parent] -= 1
            if not self.children[image.parent]:
                del self.children[image.parent]
        self.children.pop(image_id, None)
        if image.layers:
            for c in self.release(image.layers[-1]):
                size = self.layer_size(c)
                self.records.append(Record("Deleted", c))
                self.deleted_layers.append(c)
                self.space += size
                self.bytes += size

    def release(self, top: str) -> list[str]:
        """``releaseLayer``: drop one reference of ``top``; the layers freed, top-most first."""
        rc = self.rc
        freed = []
        c: str | None = top
        while c is not None:
            rc[c] -= 1
            if rc[c] > 0:
                break
            del rc[c]
            freed.append(c)
            c = self.parent_of.get(c)
        return freed

    def delete_container(self, container: Container) -> None:
        """``cleanupContainer``: release the container's layers (silently)."""
        del self.containers[container.id]
        users = self.users[container.image_id] = [
            u for u in self.users[container.image_id] if u != container.id
        ]
        if not users:
            del self.users[container.image_id]
        self.deleted_containers.append(container.id)
        self.bytes += max(container.size_rw, 0)
        held = self.held.pop(container.id)
        if held:
            for c in self.release(held[-1]):
                self.silent_layers.append(c)
                self.bytes += self.layer_size(c)


# --------------------------------------------------------------------------
# Image delete
# --------------------------------------------------------------------------


#: (hard, reason, named container id or None, "used")
_Found = tuple[bool, str, "str | None", bool]

#: :attr:`Conflict.kind` of each ``checkImageDeleteConflict`` reason.
_KIND_OF_REASON = {
    "image has dependent child images": "dependent_child",
    "image is being used by running container": "running_container",
    "image is referenced in multiple repositories": "multiple_repositories",
    "image is being used by stopped container": "stopped_container",
}


def _conflict(
    state: _State, image_id: str, hard: bool, soft: bool, referenced: bool
) -> _Found | None:
    """``checkImageDeleteConflict`` in the engine's order; no message yet."""
    if hard:
        if state.children.get(image_id):
            return True, "image has dependent child images", None, False
        running = state.first_user(image_id, running=True)
        if running is not None:
            return True, "image is being used by running container", running.id, True
    if soft:
        if referenced and image_id in state.refs:
            return False, "image is referenced in multiple repositories", None, False
        stopped = state.first_user(image_id, running=False)
        if stopped is not None:
            return False, "image is being used by stopped container", stopped.id, True
    return None


def _conflict_error(state: _State, image_id: str, found: _Found) -> Conflict:
    """``imageDeleteConflict.Error``: ``conflict: unable to delete IID (…) - reason``.

    The error carries every container (or child image) that qualifies for
    the reason, not only the one the message names.
    """
    hard, reason, container, _ = found
    forced = "cannot be forced" if hard else "must be forced"
    suffix = f" {short_id(container)}" if container is not None else ""
    image = short_id(image_id)
    kind = _KIND_OF_REASON[reason]
    containers: tuple[str, ...] = ()
    if kind == "running_container":
        containers = state.users_of(image_id, running=True)
    elif kind == "stopped_container":
        containers = state.users_of(image_id, running=False)
    children = state.live_children(image_id) if kind == "dependent_child" else ()
    return Conflict(
        f"conflict: unable to delete {image} ({forced}) - {reason}{suffix}",
        kind=kind,
        image_id=image_id,
        containers=containers,
        children=children,
        hard=hard,
    )


def _helper(state: _State, image_id: str, force: bool, prune: bool, quiet: bool) -> None:
    """``imageDeleteHelper``, iterative over the parent walk."""
    while True:
        found = _conflict(state, image_id, hard=True, soft=not force, referenced=True)
        if found is not None:
            dangling = image_id not in state.refs and not state.children.get(image_id)
            if quiet and (not dangling or found[3]):
                return
            raise _conflict_error(state, image_id, found)
        parent = state.images[image_id].parent
        for ref in list(state.refs.get(image_id, ())):
            state.remove_ref(image_id, ref)
            state.records.append(Record("Untagged", _ref.familiar_string(ref)))
        state.delete_image(image_id)
        if not prune or parent is None or parent not in state.images:
            return
        image_id, force, prune, quiet = parent, False, True, True


def _image_mount_user(state: _State, image_id: str) -> Container | None:
    """The newest container that mounts ``image_id`` as an ``image`` mount (Engine 28+).

    On the reference path Engine 28 counts a mount point of type ``image``
    whose source is the image id as use of the image.
    [moby v28.5.2 daemon/images/image_delete.go · ImageService.ImageDelete]
    """
    for cid in state.image_mounts.get(image_id, ()):
        container = state.containers.get(cid)
        if container is not None:
            return container
    return None


def _image_mounts(containers: Iterable[Container]) -> dict[str, list[str]]:
    """Image id -> ids of the containers with an ``image`` mount of it, newest first."""
    mounted: dict[str, list[str]] = {}
    for container in containers:
        mounts = container.extra.get("Mounts")
        if not mounts or not isinstance(mounts, Sequence):
            continue
        for mount in mounts:
            if isinstance(mount, Mapping) and mount.get("Type") == "image":
                source = mount.get("Source")
                if isinstance(source, str):
                    users = mounted.setdefault(source, [])
                    if not users or users[-1] != container.id:
                        users.append(container.id)
    return mounted


def _is_image_id_prefix(image_id: str, name: str) -> bool:
    """``isImageIDPrefix``: ``name`` starts ``sha256:<hex>`` or ``<hex>``."""
    return image_id.startswith(name) or image_id.partition(":")[2].startswith(name)


def _image_delete(
    state: _State,
    image_id: str,
    name: str,
    force: bool,
    prune: bool,
    parsed: _ref.Reference | None = None,
) -> None:
    """``ImageService.ImageDelete`` on an image already found by ``name``.

    Raises :class:`Conflict` before any change, as the engine does.
    ``parsed``: the stored reference ``name`` is the text of, when the caller
    holds it (saves parsing ``name`` again).
    """
    refs = state.refs.get(image_id, [])
    if not _is_image_id_prefix(image_id, name):
        # reference path
        if not force and _is_single_reference(refs):
            user = state.first_user(image_id, running=None)
            if user is None and state.profile.image_mounts_are_use:
                user = _image_mount_user(state, image_id)
            if user is not None:
                raise Conflict(
                    f'conflict: unable to remove repository reference "{name}" (must force) - '
                    f"container {short_id(user.id)} is using its referenced image "
                    f"{short_id(image_id)}",
                    kind="repository_reference",
                    image_id=image_id,
                    containers=state.users_of(image_id, running=None),
                    hard=False,
                    reference=name,
                )
        if parsed is None:
            parsed = _ref.tag_name_only(_ref.parse_normalized_named(name))
        removed = parsed
        if parsed.tag is not None and parsed.digest is not None:
            removed = _ref.Reference(parsed.domain, parsed.path, None, parsed.digest)
        key = str(removed)
        if state.store.get(key) != image_id:
            raise NotFound(f"No such image: {_ref.familiar_string(parsed)}")
        ref = next(r for r in state.refs[image_id] if str(r) == key)
        state.remove_ref(image_id, ref)
        state.records.append(Record("Untagged", _ref.familiar_string(parsed)))
        if parsed.digest is None:
            remaining = state.refs.get(image_id, [])
            if not any(r.digest is None and r.name == parsed.name for r in remaining):
                for other in list(remaining):
                    if other.digest is not None and other.name == parsed.name:
                        state.remove_ref(image_id, other)
                        state.records.append(Record("Untagged", _ref.familiar_string(other)))
        if image_id in state.refs:
            return
        _helper(state, image_id, force, prune, quiet=True)
        return
    # ID path
    if _is_single_reference(refs):
        found = _conflict(state, image_id, hard=True, soft=not force, referenced=False)
        if found is not None:
            raise _conflict_error(state, image_id, found)
        for ref in list(refs):
            state.remove_ref(image_id, ref)
            state.records.append(Record("Untagged", _ref.familiar_string(ref)))
    _helper(state, image_id, force, prune, quiet=False)


def _lookup(host: Graph, name: str) -> str:
    """``GetImage`` on the unmodified host; returns the image id.

    A blank name is the delete route's own error.
    """
    if name == "":
        raise InvalidArgument("image name cannot be blank")
    return host.find_image(name).id


@bulk()
def plan_rmi(host: Graph, name: str, force: bool = False, prune: bool = True) -> Plan:
    """What ``DELETE /images/{name}?force=&noprune=`` (``docker rmi``) would do.

    The request takes the *ID path* when ``name`` is a prefix of the found
    image's ``sha256:<hex>`` or ``<hex>``, the *reference path* otherwise
    (``isImageIDPrefix``). Conflicts raise :class:`~dockermodel.Conflict` (409) and unknown
    names :class:`~dockermodel.NotFound` (404), with the engine's messages;
    a blank or unparsable name :class:`~dockermodel.InvalidArgument` (400).
    [moby v20.10.24 daemon/images/image_delete.go · ImageService.ImageDelete]
    """
    image_id = _lookup(host, name)

    def run(state: _State) -> Plan:
        _image_delete(state, image_id, name, force=force, prune=prune)
        return state.plan("rmi", name)

    return _bounded(host, run)


# --------------------------------------------------------------------------
# Layers BuildKit's build cache may hold: plans with bounds
# --------------------------------------------------------------------------


def _bounded(host: Graph, run: Callable[[_State], _P]) -> _P:
    """``run`` once with every layer the build cache may hold held, once with only those it must.

    Holds never change a conflict or which images go (they only keep layers
    on disk), so both runs take the same steps; the first frees a subset of
    what the second frees. Where the two sets are equal (nothing held, or
    every hold known: ``host.maybe_held == host.certainly_held``) there is
    one run and the plan is exact.
    """
    maybe, certain = host.maybe_held, host.certainly_held
    if maybe == certain:
        return run(_State(host, certain))
    low = run(_State(host, maybe))
    high = run(_State(host, certain))
    merged: _P = _merge(low, high)
    return merged


def _merge(low: Any, high: Any) -> Any:
    """The plan of ``low`` (every possible hold kept) with what ``high`` frees beyond it."""
    if isinstance(low, CleanupPlan):
        steps = tuple(
            CleanupStep(a.command, _merge(a.plan, b.plan))
            for a, b in zip(low.steps, high.steps, strict=True)
        )
        return CleanupPlan(steps)
    assert isinstance(low, Plan) and isinstance(high, Plan)
    freed = set(low.deleted_layers) | set(low.silent_layers)
    maybe = tuple(c for c in (*high.deleted_layers, *high.silent_layers) if c not in freed)
    if not maybe:
        return low
    certain = set(low.records)
    uncertain = tuple(r for r in high.records if r not in certain)
    return attrs.evolve(
        low,
        uncertain=uncertain,
        uncertain_layers=maybe,
        uncertain_bytes=high.bytes_freed - low.bytes_freed,
        bounds=(low.space_reclaimed, high.space_reclaimed) if uncertain else None,
    )


# --------------------------------------------------------------------------
# Container delete
# --------------------------------------------------------------------------


def _volume_names(container: Container) -> list[tuple[str, bool]]:
    """``(name, anonymous)`` of the container's volume mounts (``Mounts`` of the list entry).

    The API does not show whether a mount had a source name
    (``MountPoint.Spec.Source``); a volume whose name is 64 lowercase hex —
    what the engine generates for anonymous volumes — is taken as anonymous.
    """
    out: list[tuple[str, bool]] = []
    mounts = container.extra.get("Mounts")
    if not isinstance(mounts, tuple):  # none, or a hand-made container's odd value
        return out
    for mount in mounts:
        if not isinstance(mount, Mapping) or mount.get("Type") != "volume":
            continue
        name = mount.get("Name")
        if isinstance(name, str) and name:
            out.append((name, bool(_HEX64.match(name))))
    return out


def _remove_container(
    state: _State, container: Container, name: str, force: bool, volumes: bool
) -> None:
    """``ContainerRm`` + ``cleanupContainer``."""
    if container.state == "removing":
        raise Conflict(
            f"removal of container {name} is already in progress",
            kind="removal_in_progress",
            containers=(container.id,),
            hard=True,
        )
    if container.running and not force:
        refused = state.profile.rm_in_state(
            name, container.id, container.state, container.names[0] if container.names else ""
        )
        raise Conflict(
            refused.message,
            refused.status,
            kind="container_running",
            image_id=container.image_id,
            containers=(container.id,),
            hard=False,
        )
    state.delete_container(container)
    if volumes:
        for volume, anonymous in _volume_names(container):
            if not anonymous:
                continue
            in_use = any(
                v == volume for other in state.containers.values() for v, _ in _volume_names(other)
            )
            if not in_use:
                state.removed_volumes.append(volume)


@bulk()
def plan_rm(host: Graph, name: str, force: bool = False, volumes: bool = False) -> Plan:
    """What ``DELETE /containers/{name}?force=&v=`` (``docker rm [-f] [-v]``) would do.

    Lookup as ``GetContainer`` (full id, exact name, unique prefix). A running, paused or
    restarting container needs ``force`` (409 otherwise, with the engine's
    message naming the full id); a container being removed answers 409
    ``removal of container NAME is already in progress``. With ``volumes``
    the container's anonymous volumes that no other container mounts are
    removed (see :func:`_volume_names` for how "anonymous" is decided).
    ``to_api()`` is ``None`` (HTTP 204). Layers of a force-deleted image that
    only this container held are freed silently (``silent_layers``).
    [moby v20.10.24 daemon/delete.go · Daemon.ContainerRm, cleanupContainer]
    [moby v20.10.24 daemon/mounts.go · Daemon.removeMountPoints]
    """
    container = host.find_container(name)

    def run(state: _State) -> Plan:
        _remove_container(state, container, name, force, volumes)
        state.space = max(container.size_rw, 0)
        return state.plan("rm", name)

    return _bounded(host, run)


# --------------------------------------------------------------------------
# Prune filters
# --------------------------------------------------------------------------

def _prune_args(
    host: Graph, filters: Mapping[str, Any] | None, accepted: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    args = normalize_filters(filters)
    for key in args:
        if key not in accepted:
            raise host.profile.invalid_filter(key)
    return args


def _until(args: Mapping[str, tuple[str, ...]], now: float | None) -> int | None:
    """``getUntilFromPruneFilters``: the cut-off in nanoseconds, or ``None``."""
    values = args.get("until")
    if not values:
        return None
    if len(values) > 1:
        raise EngineError("more than one until filter specified", 500)
    now_ns = time.time_ns() if now is None else int(Decimal(str(now)) * 10**9)
    return until_ns(values[0], now_ns)


def _match_labels(args: Mapping[str, tuple[str, ...]], labels: Mapping[str, str] | None) -> bool:
    """``matchLabels``: all ``label`` values match and not all ``label!`` values."""
    labels = labels or {}
    if args.get("label") and not match_kv_list(args["label"], labels):
        return False
    return not (args.get("label!") and match_kv_list(args["label!"], labels))


def _go_list(values: Iterable[str]) -> str:
    return "[" + " ".join(values) + "]"


# --------------------------------------------------------------------------
# Image prune
# --------------------------------------------------------------------------


@bulk()
def plan_image_prune(
    host: Graph,
    all: bool = False,
    filters: Mapping[str, Any] | None = None,
    *,
    now: float | None = None,
) -> Plan:
    """What ``docker image prune [-a] [--filter …]`` (``POST /images/prune``) would do.

    As the CLI does, ``all`` adds ``dangling=false`` (else ``dangling=true``)
    to ``filters``. Candidates are fixed first: heads (no child) in dangling
    mode, every image with ``-a``; intermediates (no reference, children) are
    skipped; then ``until`` (image ``Created`` after it: skipped) and
    ``label`` / ``label!``. Each candidate, visited newest first, is deleted
    with ``ImageDelete(…, force=false, prune=true)``: by its 64-hex id when it
    has no reference; else (dangling mode: only when it has no tag) by each
    of its references in turn, fully qualified. Conflicts and images already
    gone are skipped silently. ``SpaceReclaimed`` is the DiffSize of every
    layer named in a ``Deleted`` record. ``now`` (Unix seconds) anchors a
    duration ``until``.
    [moby v20.10.24 daemon/images/image_prune.go · ImageService.ImagesPrune]
    """
    args = _prune_args(host, filters, _IMAGE_PRUNE_FILTERS)
    args["dangling"] = (*args.get("dangling", ()), "false" if all else "true")
    values = args["dangling"]
    if "false" in values or "0" in values:
        dangling_only = False
    elif "true" in values or "1" in values:
        dangling_only = True
    else:  # pragma: no cover - the CLI's value always matches one branch
        raise host.profile.invalid_filter(f"dangling={_go_list(values)}")
    until = _until(args, now)

    def run(state: _State) -> Plan:
        _image_prune(state, host, dangling_only, until, args)
        return state.plan("image_prune", None)

    return _bounded(host, run)


def _image_prune(
    state: _State,
    host: Graph,
    dangling_only: bool,
    until: int | None,
    args: Mapping[str, tuple[str, ...]],
) -> None:
    candidates = []
    labelled = "label" in args or "label!" in args
    images, children, referenced = state.images, state.children, state.refs
    for image_id in _index(host).newest_first:
        image = images[image_id]
        has_children = bool(children.get(image_id))
        if has_children and (dangling_only or image_id not in referenced):
            continue
        if until is not None and image.created_ns > until:
            continue
        if labelled and not _match_labels(args, image.labels):
            continue
        candidates.append(image)
    for image in candidates:
        if image.id not in state.images:
            continue
        refs = state.refs.get(image.id)
        if refs:
            if dangling_only and state.has_tag(image.id):
                continue
            for ref in list(refs):
                name = str(ref)
                owner = state.store.get(name)
                if owner is None:
                    continue  # 404: gone with an earlier reference of this image
                try:
                    _image_delete(state, owner, name, force=False, prune=True, parsed=ref)
                except (Conflict, NotFound):
                    continue
        else:
            try:
                _image_delete(state, image.id, image.id.partition(":")[2], False, True)
            except (Conflict, NotFound):
                continue


# --------------------------------------------------------------------------
# Container prune
# --------------------------------------------------------------------------


@bulk()
def plan_container_prune(
    host: Graph, filters: Mapping[str, Any] | None = None, *, now: float | None = None
) -> Plan:
    """What ``docker container prune [--filter …]`` (``POST /containers/prune``) would do.

    Removes, newest first, every container whose Running flag is clear
    (created, exited, dead; ``removing`` ones fail and are skipped), as
    ``rm`` without force and without ``-v``, subject to ``until`` (created
    after it: kept; the API gives creation times in whole seconds) and
    ``label`` / ``label!``. ``SpaceReclaimed`` = Σ positive ``SizeRw``.
    [moby v20.10.24 daemon/prune.go · Daemon.ContainersPrune]
    """
    args = _prune_args(host, filters, _CONTAINER_PRUNE_FILTERS)
    until = _until(args, now)

    def run(state: _State) -> Plan:
        for _, container in host.containers.items():
            if container.running or container.state == "removing":
                continue
            if until is not None and container.created * 10**9 > until:
                continue
            if not _match_labels(args, container.labels):
                continue
            _remove_container(state, container, container.id, force=False, volumes=False)
            state.space += max(container.size_rw, 0)
        return state.plan("container_prune", None)

    return _bounded(host, run)


# --------------------------------------------------------------------------
# Build-cache prune
# --------------------------------------------------------------------------


def plan_builder_prune(
    host: Graph,
    all: bool = False,
    filters: Mapping[str, Any] | None = None,
    *,
    now: float | None = None,
) -> Plan:
    """What ``docker builder prune [-a] [--filter …]`` (``POST /build/prune``) would do.

    Without ``all`` it removes, leaves first, every build-cache record that
    is not in use, has no child record left, is not of type ``internal`` or
    ``frontend`` and is not shared with an image; with ``all``, every record
    that is not in use. ``SpaceReclaimed`` is the sum of the removed
    records' ``Size`` whether or not any byte leaves the disk (a layer an
    image still has stays). Filters: ``until`` / ``unused-for`` keep records
    used after that time; ``id`` (a regular expression), ``type``,
    ``description``, ``parent``, ``inuse``, ``shared``, ``private`` select
    records as BuildKit's filter does (see :func:`dockermodel.buildcache.record_filter`);
    ``label`` is accepted and ignored, as the engine does. ``now`` anchors a
    duration ``until``.

    Exact where the records' parents are known (API 1.42+, or Engine
    20.10's ``Parent``); below 1.42 on Engine 23+ records that an idle
    record left behind could keep as a parent are returned as
    :attr:`Plan.uncertain_build_cache`, with :attr:`Plan.bounds`. A host read
    without ``/system/df`` has no records and plans nothing.
    [moby v28.5.2 builder/builder-next/builder.go · Builder.Prune, toBuildkitPruneInfo]
    [moby v28.5.2 vendor/github.com/moby/buildkit/cache/manager.go · cacheManager.prune, pruneOnce]
    """
    from . import buildcache as _bc

    profile = host.profile

    def error(message: str, status: int = 400) -> EngineError:
        return EngineError(f"failed to prune build cache: {message}", status)

    args = normalize_filters(filters)
    for key in args:
        if key not in _bc.PRUNE_FILTERS:
            invalid = profile.invalid_filter(key)
            raise InvalidArgument(f"failed to prune build cache: {invalid.message}")
    until_values = args.get("until", ())
    unused = args.get("unused-for", ())
    if until_values and unused:
        raise InvalidArgument(
            'failed to prune build cache: conflicting filters: "until" and "unused-for"'
        )
    key = "unused-for" if unused else "until"
    values = (*until_values, *unused)
    if len(values) > 1:
        raise InvalidArgument("failed to prune build cache: filters expect only one value")
    keep: Callable[[Any], bool] = lambda r: False  # noqa: E731
    if values:
        now_ns = time.time_ns() if now is None else int(Decimal(str(now)) * 10**9)
        try:
            cutoff = profile.build_prune_cutoff(values[0], now_ns)
        except EngineError as exc:
            raise error(f'"{key}" {exc.message}', exc.status) from None

        def keep(record: Any) -> bool:
            if record.last_used_at is None:
                return False
            try:
                used = until_ns(record.last_used_at, 0)
            except EngineError:
                return False
            return used > cutoff

    def refuse(message: str) -> Exception:
        if message == "filters expect only one value":
            return InvalidArgument(f"failed to prune build cache: {message}")
        return NotModelled(message)

    match = _bc.record_filter(args, refuse)
    records = host.build_cache or ()
    api = host.engine.api
    result = _bc.prune(
        records,
        lambda r: profile.cache_parents(r, api),
        all=all,
        keep=keep,
        match=match,
        unsure=host.cache_unsure,
        maybe_gone=host.cache_maybe_gone,
    )
    return Plan(
        kind="build_cache_prune",
        deleted_build_cache=result.deleted,
        uncertain_build_cache=result.uncertain,
        gone_build_cache=result.gone,
        space_reclaimed=result.space,
        bounds=(result.space, result.space_high) if result.uncertain else None,
    )


# --------------------------------------------------------------------------
# Apply
# --------------------------------------------------------------------------


_G = TypeVar("_G", bound=Graph)


@bulk()
def apply_plan(host: _G, plan: Plan) -> _G:
    """The host after the engine carried out ``plan`` (O(size of host)).

    Deleted images and containers go, removed references leave their
    images, freed layers (reported or silent) leave the layer map, removed
    volumes leave the volume list and the volumes a removed container
    mounted lose one from their ``RefCount``. Containers whose image was
    deleted keep ``image_id`` and ``layers`` (their layers stay on disk,
    see ``docs/removal.md``), so ``Host.container_image_field`` reports ``sha256:<id>``.

    Layers the plan is uncertain about (:attr:`Plan.uncertain_layers`) leave
    the layer map too: freed, or kept by BuildKit's cache outside every
    image, no API shows them again. After images are deleted the build-cache
    records keep ``Shared`` only where they may still hold a layer of an
    image; records a build-cache prune removes leave ``build_cache``.
    """
    _check_plan_is_for(host, plan)
    deleted = set(plan.deleted_images)
    removed_refs: dict[str, set[str]] = {}
    for image_id, ref in plan.untagged:
        removed_refs.setdefault(image_id, set()).add(ref)
    images: dict[str, Image] = {}
    for image_id, image in host.images.items():
        if image_id in deleted:
            continue
        gone = removed_refs.get(image_id)
        if gone:
            image = attrs.evolve(
                image,
                repo_tags=tuple(r for r in image.repo_tags if str(r) not in gone),
                repo_digests=tuple(r for r in image.repo_digests if str(r) not in gone),
            )
        images[image_id] = image
    removed = set(plan.deleted_containers)
    containers = {cid: c for cid, c in host.containers.items() if cid not in removed}
    # layers the build cache may hold leave the images' chains either way: the
    # engine frees them or keeps them where no API shows them
    freed = set(plan.deleted_layers) | set(plan.silent_layers) | set(plan.uncertain_layers)
    layers = {c: layer for c, layer in host.layers.items() if c not in freed}
    if host.certainly_held and (deleted or removed):
        # layers only the cache holds stay on disk, outside every image's chain
        reachable = {c for image in images.values() for c in image.layers}
        reachable.update(c for container in containers.values() for c in container.layers)
        layers = {c: layer for c, layer in layers.items() if c in reachable}
    build_cache = host.build_cache
    unsure = set(host.cache_unsure)
    maybe_gone = set(host.cache_maybe_gone)
    gone_records = set(plan.deleted_build_cache) | set(plan.gone_build_cache)
    if build_cache is not None and gone_records:
        build_cache = tuple(r for r in build_cache if r.id not in gone_records)
        unsure -= gone_records
        maybe_gone -= gone_records
    maybe_gone.update(c for c in plan.uncertain_build_cache if c not in gone_records)
    if build_cache and deleted:
        build_cache, unsure_shared = host.profile.cache_after_image_removal(
            (host.images.values(), host.layers),
            (images.values(), layers),
            build_cache,
            host.engine.api,
            frozenset(unsure),
        )
        unsure = set(unsure_shared)
    volumes = host.volumes
    if removed or plan.removed_volumes:
        released: dict[str, int] = {}
        for cid in plan.deleted_containers:
            for name, _ in _volume_names(host.containers[cid]):
                released[name] = released.get(name, 0) + 1
        gone_volumes = set(plan.removed_volumes)
        kept: list[Volume] = []
        for volume in host.volumes:
            if volume.name in gone_volumes:
                continue
            n = released.get(volume.name, 0)
            if n and volume.ref_count > 0:
                volume = attrs.evolve(volume, ref_count=max(volume.ref_count - n, 0))
            kept.append(volume)
        volumes = tuple(kept)
    # a figure taken from the engine goes with the image it was taken for
    taken = frozenset(
        t for t in host.taken if not (t.startswith("images[") and t[7:78] in deleted)
    )
    return attrs.evolve(
        host,
        images=images,
        containers=containers,
        layers=layers,
        volumes=volumes,
        build_cache=build_cache,
        taken=taken,
        cache_unsure=frozenset(unsure),
        cache_maybe_gone=frozenset(maybe_gone),
        payloads=None,
    )


def _check_plan_is_for(host: Graph, plan: Plan) -> None:
    """:class:`PlanMismatch` unless ``plan`` can be carried out on ``host``.

    A planner's plan names its host: any other host (one that is not equal to
    it, such as the host the plan already produced) is refused. A plan without
    a host (a cleanup step, or one made by hand) must at least find everything
    it removes.
    """
    made_for = plan.host
    what = f"{plan.kind} {plan.target}" if plan.target is not None else plan.kind
    if made_for is not None:
        if made_for is not host and made_for != host:
            raise PlanMismatch(
                f"the {what} plan was made for another host (or was applied already): "
                "plan it on this host"
            )
        return
    missing = (
        [f"image {i}" for i in plan.deleted_images if i not in host.images]
        + [
            f"reference {r} of {i}"
            for i, r in plan.untagged
            if i not in host.images or all(str(x) != r for x in host.images[i].references)
        ]
        + [f"container {c}" for c in plan.deleted_containers if c not in host.containers]
        + [
            f"layer {c}"
            for c in (*plan.deleted_layers, *plan.silent_layers)
            if c not in host.layers
        ]
    )
    if missing:
        raise PlanMismatch(
            f"the {what} plan removes what this host does not have ({missing[0]}"
            + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
            + "): it was made for another host, or applied already"
        )


# --------------------------------------------------------------------------
# Beyond the engine: cleanup plan and bytes freed per image
# --------------------------------------------------------------------------


@bulk()
def plan_cleanup(host: Graph, *, containers: bool = True, all: bool = True) -> CleanupPlan:
    """An ordered list of force-free commands that frees every byte it can.

    1. With ``containers``: ``docker rm <id>`` for every container whose
       Running flag is clear (newest first), so the images behind them
       become removable (as ``docker system prune`` orders its steps).
    2. Images no remaining container uses, children before parents: while an
       image has references that are not "single", ``docker rmi
       <ref>`` untags one (reference path, no conflict possible: nothing uses
       it); then ``docker rmi sha256:<id>`` (ID path) removes the last
       references, deletes it and walks up its untagged parents. With
       ``all=False`` only images without a tag (and their untagged parents)
       are removed, as a dangling prune would.

    Every step is planned on the state the previous steps leave, so no step
    needs ``-f`` and each step's ``bytes_freed`` is its own. A step's plan
    therefore names no host: :meth:`Host.apply` takes the steps in order, or
    :meth:`CleanupPlan.as_plan` on the host planned for. Linear in the size of
    the host.
    """
    return _bounded(host, lambda state: _cleanup(state, host, containers, all))


def _cleanup(state: _State, host: Graph, containers: bool, all: bool) -> CleanupPlan:
    steps: list[CleanupStep] = []
    if containers:
        for container in list(state.containers.values()):
            if container.running or container.state == "removing":
                continue
            mark = state.mark()
            _remove_container(state, container, container.id, force=False, volumes=False)
            state.space += max(container.size_rw, 0)
            plan = attrs.evolve(state.plan("rm", container.id, mark), host=None)
            steps.append(CleanupStep(("docker", "rm", container.id), plan))
    order = sorted(
        (i for i in state.images.values() if not state.children.get(i.id)),
        key=lambda i: (-i.created_ns, i.id),
    )
    queue = deque(i.id for i in order)
    while queue:
        image_id = queue.popleft()
        if image_id not in state.images or state.children.get(image_id):
            continue
        if image_id in state.users:
            continue
        if not all and state.has_tag(image_id):
            continue
        while not _is_single_reference(state.refs.get(image_id, [])) and image_id in state.refs:
            ref = state.refs[image_id][0]
            name = _ref.familiar_string(ref)
            mark = state.mark()
            _image_delete(state, image_id, name, force=False, prune=True)
            plan = attrs.evolve(state.plan("rmi", name, mark), host=None)
            steps.append(CleanupStep(("docker", "rmi", name), plan))
        if image_id not in state.images:  # pragma: no cover - an untag never deletes here
            continue
        mark = state.mark()
        _image_delete(state, image_id, image_id, force=False, prune=True)
        plan = attrs.evolve(state.plan("rmi", image_id, mark), host=None)
        steps.append(CleanupStep(("docker", "rmi", image_id), plan))
        for gone in plan.deleted_images:
            parent = host.images[gone].parent
            if parent is not None and parent in state.images and not state.children.get(parent):
                queue.append(parent)
    return CleanupPlan(tuple(steps), host=host)


@bulk()
def bytes_freed_by_image(host: Graph) -> dict[str, int]:
    """For every image, the bytes ``docker rmi -f sha256:<id>`` would free (0 when it fails).

    That request deletes the image unless it has child images or a running
    container uses it (hard conflicts), then walks up its untagged
    parents that have no other child and no container (its parent walk). It
    frees the layers of those images that no other image and no container
    holds. Each image is on the parent walk of at most one other image, so
    the whole map costs O(size of host). Layers BuildKit's build cache may
    hold count as held: the figure is the lowest; see
    :func:`bytes_freed_bounds_by_image` for both ends.
    """
    return _bytes_freed(host, host.maybe_held)


def bytes_freed_bounds_by_image(host: Graph) -> dict[str, tuple[int, int]]:
    """For every image, ``(lowest, highest)`` bytes ``docker rmi -f sha256:<id>`` would free.

    The lowest keeps every layer BuildKit's build cache may hold
    (``host.maybe_held``), the highest only those it must hold
    (``host.certainly_held``); equal where the answer is exact.
    """
    low = _bytes_freed(host, host.maybe_held)
    if host.maybe_held == host.certainly_held:
        return {i: (n, n) for i, n in low.items()}
    high = _bytes_freed(host, host.certainly_held)
    return {i: (n, high[i]) for i, n in low.items()}


def _bytes_freed(host: Graph, holds: Iterable[str]) -> dict[str, int]:
    state = _State(host, holds)
    rc, parent_of = state.rc, state.parent_of
    out: dict[str, int] = {}
    for image_id, image in state.images.items():
        if state.children.get(image_id) or state.first_user(image_id, running=True):
            out[image_id] = 0
            continue
        removed = [image]
        current = image
        while True:
            parent_id = current.parent
            if parent_id is None or parent_id not in state.images:
                break
            if parent_id in state.refs or parent_id in state.users:
                break
            if state.children.get(parent_id, 0) != 1:
                break
            current = state.images[parent_id]
            removed.append(current)
        released: dict[str, int] = {}
        total = 0
        for member in removed:
            c: str | None = member.layers[-1] if member.layers else None
            while c is not None:
                n = released[c] = released.get(c, 0) + 1
                if rc[c] > n:
                    break
                total += state.layer_size(c)
                c = parent_of.get(c)
        out[image_id] = total
    return out


def removal_ranking(host: Graph) -> list[tuple[Image, int]]:
    """Images by the bytes their removal frees (:func:`bytes_freed_by_image`), most first."""
    freed = bytes_freed_by_image(host)
    return sorted(
        ((host.images[i], n) for i, n in freed.items()), key=lambda item: (-item[1], item[0].id)
    )


# --------------------------------------------------------------------------
# Beyond the engine: command sequences, and the force-free removal of one image
# --------------------------------------------------------------------------


def _parse_command(command: Sequence[str]) -> tuple[str, str, bool, bool]:
    """``("docker", "rm"|"rmi", [flags…], NAME)`` → ``(verb, name, force, option)``.

    ``option`` is ``-v`` for ``rm`` and *prune* (no ``--no-prune``) for ``rmi``.
    """
    words = list(command)
    if words[:1] == ["docker"]:
        words = words[1:]
    if len(words) < 2 or words[0] not in ("rm", "rmi"):
        raise InvalidArgument(f"not a docker rm or rmi command: {' '.join(command)!r}")
    verb, *flags, name = words
    force = volumes = False
    prune = True
    for flag in flags:
        if flag in ("-f", "--force"):
            force = True
        elif flag in ("-v", "--volumes") and verb == "rm":
            volumes = True
        elif flag == "--no-prune" and verb == "rmi":
            prune = False
        else:
            raise InvalidArgument(f"unknown option {flag!r} for docker {verb}")
    return verb, name, force, volumes if verb == "rm" else prune


def _step(state: _State, command: tuple[str, ...]) -> CleanupStep:
    """Carry out one command on ``state``; raises the engine's error before any change."""
    verb, name, force, option = _parse_command(command)
    mark = state.mark()
    if verb == "rm":
        if name == "":
            raise InvalidArgument('invalid name or ID supplied: ""')
        container = _find_live_container(state, name)
        _remove_container(state, container, name, force, option)
        state.space += max(container.size_rw, 0)
        return CleanupStep(command, attrs.evolve(state.plan("rm", name, mark), host=None))
    image_id = _find_live_image(state, name)
    _image_delete(state, image_id, name, force=force, prune=option)
    # a step's plan is for the state the earlier steps leave: it names no host
    return CleanupStep(command, attrs.evolve(state.plan("rmi", name, mark), host=None))


def _untouched(state: _State) -> bool:
    return not (state.deleted_images or state.untagged or state.deleted_containers)


def _find_live_image(state: _State, name: str) -> str:
    """``GetImage`` against the working state (the host minus what earlier steps removed).

    References and images only go away during a plan, so the host's answer
    stands when it names an image still present by id, or by a reference
    that still points at it; anything else is looked up again on the state
    as a host (a rare, linear path).
    """
    if name == "":
        raise InvalidArgument("image name cannot be blank")
    if name in state.images:
        return name
    if _untouched(state):
        return state.host.find_image(name).id
    try:
        found: str | None = state.host.find_image(name).id
    except NotFound:
        found = None  # an ambiguous prefix may have become unique
    if found is not None and found in state.images and (
        _is_image_id_prefix(found, name) or _still_names(state, found, name)
    ):
        return found
    return _live_host(state).find_image(name).id


def _still_names(state: _State, image_id: str, name: str) -> bool:
    """Whether the reference ``name`` still points at ``image_id`` in the working state."""
    try:
        parsed = _ref.tag_name_only(_ref.parse_normalized_named(name))
    except InvalidReference:
        return False
    key = f"{parsed.name}@{parsed.digest}" if parsed.digest is not None else str(parsed)
    return state.store.get(key) == image_id


def _live_host(state: _State) -> Graph:
    """The working state as a host (for a lookup the original host cannot answer)."""
    return apply_plan(state.host, state.plan("cleanup", None))


def _find_live_container(state: _State, name: str) -> Container:
    """``GetContainer`` against the working state (containers only go away)."""
    if _untouched(state):
        return state.host.find_container(name)
    try:
        container: Container | None = state.host.find_container(name)
    except NotFound:  # AmbiguousPrefix too: the prefix may have become unique
        container = None
    if container is not None and container.id in state.containers:
        return container
    return _live_host(state).find_container(name)


def plan_commands(host: Graph, commands: Iterable[Sequence[str]]) -> CleanupPlan:
    """What ``docker rm`` / ``docker rmi`` commands, run one after the other, would do.

    Each command is an argument list as typed, e.g. ``("docker", "rm", "-f",
    "web")`` or ``("docker", "rmi", "--no-prune", "app:1")`` (``docker`` may be
    left out); each is planned on the state the previous ones leave, exactly
    as :meth:`Host.plan_rm` / :meth:`Host.plan_rmi` plan it there. The first
    command the engine would refuse ends the sequence: it is returned as
    ``refused_command`` with the error as ``refusal``. One working state is
    used throughout, so the cost is linear in the size of the host plus the
    work of the steps.
    """
    state = _State(host)
    steps: list[CleanupStep] = []
    for command in commands:
        argv = tuple(command)
        try:
            steps.append(_step(state, argv))
        except EngineError as refused:
            return CleanupPlan(tuple(steps), argv, refused, host=host)
    return CleanupPlan(tuple(steps), host=host)


def plan_image_cleanup(host: Graph, name: str) -> CleanupPlan:
    """The force-free commands that remove one image, and what each frees.

    The image (found as ``docker rmi`` finds ``name``) can only go together
    with the images built on it and the containers of all of them, so:

    1. ``docker rm <id>`` for every container of the image or of a
       descendant, newest first — a running (paused, restarting) one is
       refused, since removing it needs ``-f``, and the plan stops there;
    2. the image and its descendants, children before parents (newest
       first among siblings): while an image has references that are not
       "single" (``isSingleReference``), ``docker rmi <ref>`` untags one;
       then ``docker rmi sha256:<id>``, whose parent walk may delete
       untagged parents as well.

    No step needs ``-f``; each step's bytes are its own. Linear in the size
    of the host plus the work of the steps.
    [moby v20.10.24 daemon/images/image_delete.go · ImageService.ImageDelete, imageDeleteHelper]
    """
    image_id = _lookup(host, name)
    state = _State(host)
    family: list[str] = []
    queue = deque([image_id])
    while queue:
        current = queue.popleft()
        family.append(current)
        kids = sorted(
            state.child_ids.get(current, ()), key=lambda i: (-state.images[i].created_ns, i)
        )
        queue.extend(kids)
    members = set(family)
    steps: list[CleanupStep] = []
    commands: list[tuple[str, ...]] = [
        ("docker", "rm", cid)
        for cid in state.containers
        if state.containers[cid].image_id in members
    ]
    # breadth-first order reversed: every child comes before its parent
    pending = deque(reversed(family))
    while True:
        for command in commands:
            try:
                steps.append(_step(state, command))
            except EngineError as refused:
                return CleanupPlan(tuple(steps), command, refused, host=host)
        commands = []
        while pending and pending[0] not in state.images:
            pending.popleft()
        if not pending:
            break
        member = pending[0]
        refs = state.refs.get(member)
        if refs and not _is_single_reference(refs):
            commands.append(("docker", "rmi", _ref.familiar_string(refs[0])))
        else:
            commands.append(("docker", "rmi", member))
            pending.popleft()
    return CleanupPlan(tuple(steps), host=host)


# --------------------------------------------------------------------------
# Volume prune (API 1.41 and 1.42+)
# --------------------------------------------------------------------------

def volume_prune_rule(host: Graph) -> VolumePruneRule:
    """The rule of the host's engine at the API version it was read at.

    :meth:`Profile.volume_prune_rule
    <dockermodel.profiles.base.Profile.volume_prune_rule>` decides it.
    """
    return host.profile.volume_prune_rule()


def _mounted_volumes(containers: Iterable[Container]) -> set[str]:
    return {name for c in containers for name, _ in _volume_names(c)}


def plan_volume_prune(
    host: Graph,
    filters: Mapping[str, Any] | None = None,
    *,
    all: bool = False,
    rule: VolumePruneRule | None = None,
) -> Plan:
    """What ``docker volume prune -f [-a] [--filter …]`` (``POST /volumes/prune``) would do.

    Candidates are the local volumes without driver options (those
    ``/system/df`` lists, :attr:`Host.volumes`) that no container in any
    state references (``RefCount`` 0 and mounted by no container of the
    host), then ``label`` / ``label!`` (``Args.MatchKVList``). With
    :data:`VOLUME_PRUNE_1_42` (``rule``; default :func:`volume_prune_rule`)
    only volumes labelled ``com.docker.volume.anonymous`` go unless the
    ``all`` filter is true; ``all`` (the CLI's ``-a``) adds ``all=true``,
    which Engine 20.10 refuses (``Invalid filter 'all'``).
    ``SpaceReclaimed`` is the sum of the volumes' sizes (``UsageData.Size``,
    the same directory walk). The engine visits volumes in map order; the
    plan lists them by name. Needs the volumes of ``/system/df``: a host
    read without it has none.
    [moby v20.10.24 volume/service/service.go · VolumesService.Prune]
    [docker/cli v28.2.2 cli/command/volume/prune.go · runPrune]
    """
    rule = rule if rule is not None else volume_prune_rule(host)
    args = normalize_filters(filters)
    if all:
        if "all" in args:
            raise InvalidArgument(
                "conflicting options: cannot specify both --all and --filter all=1"
            )
        args["all"] = ("true",)
    args = _prune_args(host, args, rule.accepted_filters)
    if rule.anonymous_only:
        everything = False
        values = args.get("all", ())
        if len(values) > 1:
            raise InvalidArgument(
                f"invalid filter 'all={_go_list(values)}': only one value is expected"
            )
        if values:
            everything = _parse_bool(values[0], "all")
        if not everything:
            args["label"] = (*args.get("label", ()), ANONYMOUS_VOLUME_LABEL)
    mounted = _mounted_volumes(host.containers.values())
    removed: list[str] = []
    size = 0
    for volume in sorted(host.volumes, key=lambda v: v.name):
        if volume.driver not in ("", "local"):
            continue
        if volume.ref_count > 0 or volume.name in mounted:
            continue
        if not _match_labels(args, volume.labels):
            continue
        removed.append(volume.name)
        size += max(volume.size, 0)
    return Plan(
        kind="volume_prune",
        removed_volumes=tuple(removed),
        space_reclaimed=size,
        bytes_freed=size,
    )


def _parse_bool(value: str, key: str) -> bool:
    """Go's ``strconv.ParseBool`` as the volume prune's ``all`` filter uses it."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise InvalidArgument(
        f'invalid filter \'{key}\': strconv.ParseBool: parsing "{value}": invalid syntax'
    )


# --------------------------------------------------------------------------
# Build cache prune: the name the system prune uses
# --------------------------------------------------------------------------


def plan_build_cache_prune(
    host: Graph,
    all: bool = False,
    filters: Mapping[str, Any] | None = None,
    *,
    now: float | None = None,
) -> Plan:
    """:func:`plan_builder_prune` under the name ``plan_system_prune`` uses."""
    return plan_builder_prune(host, all=all, filters=filters, now=now)


def go_quote_str(text: str) -> str:
    """Go's ``%q`` of a string of printable ASCII (what these messages quote)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------
# System prune (the docker CLI's composition of the prunes)
# --------------------------------------------------------------------------


@attrs.frozen
class SystemPrunePlan:
    """What ``docker system prune -f [-a] [--volumes] [--filter …]`` would do.

    ``steps`` are ``(name, plan)`` in the CLI's order — ``containers``,
    ``networks`` (``None``: networks are not modelled), ``volumes`` (with
    ``--volumes``), ``images``, ``build cache`` — each planned on the state
    the previous ones leave. ``space_reclaimed`` is the CLI's total: a step
    counts its ``SpaceReclaimed`` only when it removed something, except the
    build cache step, which always counts. ``unknown`` names the steps whose
    answer the host cannot decide: ``networks`` always (custom networks are
    not read), and the steps whose plan is not exact (what BuildKit's build
    cache holds: :attr:`Plan.exact`). When a step is
    refused (a filter it does not accept), ``refusal`` is the engine's error
    and the steps before it are the ones that ran.
    [docker/cli v28.2.2 cli/command/system/prune.go · runPrune]
    """

    steps: tuple[tuple[str, Plan | None], ...]
    unknown: tuple[str, ...] = ()
    refused_step: str | None = None
    refusal: EngineError | None = attrs.field(default=None, eq=False)

    @property
    def space_reclaimed(self) -> int:
        total = 0
        for name, plan in self.steps:
            if plan is None:
                continue
            removed = (
                plan.deleted_containers
                or plan.removed_volumes
                or plan.records
                or name == "build cache"
            )
            if removed:
                total += plan.space_reclaimed
        return total

    @property
    def bytes_freed(self) -> int:
        return sum(plan.bytes_freed for _, plan in self.steps if plan is not None)

    def step(self, name: str) -> Plan | None:
        for step_name, plan in self.steps:
            if step_name == name:
                return plan
        raise KeyError(name)

    def as_plan(self) -> Plan:
        """Every step merged into one plan, for :meth:`Host.apply`."""
        plans = [plan for _, plan in self.steps if plan is not None]
        return CleanupPlan(tuple(CleanupStep((), p) for p in plans)).as_plan()

    def to_api(self) -> dict[str, Any]:
        """Each step's engine answer by step name, and ``SpaceReclaimed`` (the CLI's total)."""
        doc: dict[str, Any] = {}
        for name, plan in self.steps:
            doc[name] = {"NetworksDeleted": None} if plan is None else plan.to_api()
        doc["SpaceReclaimed"] = self.space_reclaimed
        return doc


def plan_system_prune(
    host: Graph,
    all: bool = False,
    volumes: bool = False,
    filters: Mapping[str, Any] | None = None,
    *,
    now: float | None = None,
    rule: VolumePruneRule | None = None,
) -> SystemPrunePlan:
    """What ``docker system prune -f [-a] [--volumes] [--filter …]`` would do.

    The CLI refuses ``--volumes`` with an ``until`` filter before sending
    anything (:class:`~dockermodel.InvalidArgument` with its message). Then,
    in order, each with the same filters: container prune, network prune
    (not modelled: no step), volume prune (with ``volumes``; the CLI never
    sends ``all`` here), image prune (``dangling=true``, or ``false`` with
    ``all``), build cache prune (``all`` as given). A step the engine
    refuses ends the sequence, as the CLI stops at the first error.
    [docker/cli v28.2.2 cli/command/system/prune.go · runPrune]
    """
    args = normalize_filters(filters)
    if volumes and "until" in args:
        raise InvalidArgument('ERROR: The "until" filter is not supported with "--volumes"')
    steps: list[tuple[str, Plan | None]] = []
    unknown = ["networks"]
    current = host

    def refused(name: str, error: EngineError) -> SystemPrunePlan:
        return SystemPrunePlan(tuple(steps), tuple(unknown), name, error)

    planners: list[tuple[str, Any]] = [
        ("containers", lambda h: plan_container_prune(h, filters=args, now=now)),
        ("networks", None),
    ]
    if volumes:
        planners.append(("volumes", lambda h: plan_volume_prune(h, args, rule=rule)))
    planners.append(("images", lambda h: plan_image_prune(h, all=all, filters=args, now=now)))
    planners.append(("build cache", lambda h: plan_build_cache_prune(h, all=all, filters=args)))
    for name, planner in planners:
        if planner is None:
            steps.append((name, None))
            continue
        try:
            plan = planner(current)
        except EngineError as error:
            return refused(name, error)
        steps.append((name, plan))
        current = apply_plan(current, plan)
    # steps whose answer depends on what BuildKit's build cache holds
    unknown.extend(name for name, plan in steps if plan is not None and not plan.exact)
    return SystemPrunePlan(tuple(steps), tuple(unknown))
