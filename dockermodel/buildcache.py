"""BuildKit's build cache: which image layers it may hold, and what a build-cache prune removes.

In the overlay2 (graph driver) store BuildKit's snapshotter is the layer
store: when a build's result is exported, every snapshot of its chain is
registered as a layer and the snapshotter keeps one layer-store reference
per snapshot until the cache record is removed. So a layer of a
BuildKit-built image (or of the local base it was built ``FROM``) stays on
disk after ``docker rmi`` until ``docker builder prune`` removes the records
that hold it. [moby v28.5.2 builder/builder-next/adapters/snapshot/layer.go ·
snapshotter.EnsureLayer] [moby v28.5.2 builder/builder-next/adapters/snapshot/snapshot.go ·
snapshotter.remove] [moby v28.5.2 builder/builder-next/adapters/containerimage/pull.go ·
puller.getRef]

The records (``GET /system/df`` ``BuildCache``) carry no chain id, so which
layers are held cannot always be read. What the records do tell, soundly:

* a record is ``Shared`` when its layer's DiffID chain is a prefix of some
  image's, or when it is an ancestor of such a record; so no ``Shared``
  record means no layer of any image is held;
  [moby v28.5.2 vendor/github.com/moby/buildkit/cache/manager.go · cacheManager.markShared]
  [moby v28.5.2 builder/builder-next/imagerefchecker/checker.go · checker.Exists]
* the ``Size`` of a record backed by a layer is that layer's DiffSize
  (``from local`` records of a local base report 0);
  [moby v28.5.2 builder/builder-next/adapters/snapshot/snapshot.go · snapshotter.Usage]
* a record's parents (API 1.42+) mirror the layer chain: one record per
  layer, each on the record of the layer below, so a record ``d`` records
  deep holds a layer ``d`` layers deep, and its ancestors hold the layers
  below it.

:func:`holds` turns that into the image layers the cache *may* hold — every
layer it does hold is among them — and those it certainly holds (a record
whose chain matches one image layer only); :func:`still_shared` keeps
the ``Shared`` flags sound after images are removed. :func:`prune` is
``POST /build/prune``. See ``docs/removal.md`` ("BuildKit's build cache").
"""

from __future__ import annotations

import builtins
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from .model import BuildCacheRecord, Image, Layer

__all__ = ["CachePrune", "holds", "maybe_held", "prune", "record_filter", "still_shared"]

#: ``record -> its parents``, or ``None`` when the API version does not report them.
ParentsOf = Callable[[BuildCacheRecord], "tuple[str, ...] | None"]

_all_of = builtins.all  # ``all`` is the prune's parameter below

#: Record types a prune without ``all`` keeps.
#: [moby v28.5.2 vendor/github.com/moby/buildkit/cache/manager.go · cacheManager.pruneOnce]
_KEPT_TYPES = frozenset({"internal", "frontend"})


# --------------------------------------------------------------------------
# Which image layers the cache may hold
# --------------------------------------------------------------------------


def _depths(
    records: Sequence[BuildCacheRecord], parents_of: ParentsOf
) -> dict[str, tuple[int, str | None] | None]:
    """Record id -> ``(depth, parent id)`` where the record chain mirrors a layer chain.

    ``None`` where it cannot be told: parents not reported, several parents
    (merge and diff records, ``COPY --link``), or a parent not listed.
    """
    by_id = {r.id: r for r in records}
    out: dict[str, tuple[int, str | None] | None] = {}

    def depth(record: BuildCacheRecord) -> tuple[int, str | None] | None:
        # iterative: walk up to a known record or a root, then fill in downwards
        path: list[BuildCacheRecord] = []
        current: BuildCacheRecord | None = record
        base: tuple[int, str | None] | None = None
        known = True
        while current is not None:
            if current.id in out:
                base = out[current.id]
                known = base is not None
                break
            path.append(current)
            parents = parents_of(current)
            if parents is None or len(parents) > 1:
                known = False
                break
            if not parents:
                current = None
                break
            parent = by_id.get(parents[0])
            if parent is None or parent in path:
                known = False
                break
            current = parent
        if not known:
            for r in path:
                out[r.id] = None
            return None
        level = base[0] if base is not None else 0
        for r in reversed(path):
            level += 1
            parents = parents_of(r)
            out[r.id] = (level, parents[0] if parents else None)
        return out[record.id]

    for record in records:
        if record.id not in out:
            depth(record)
    return out


def _image_layers(images: Iterable[Image]) -> dict[str, tuple[str | None, int]]:
    """Chain id -> ``(parent chain id, depth)`` over every image's chain."""
    out: dict[str, tuple[str | None, int]] = {}
    for image in images:
        chain = image.layers
        for k in range(len(chain) - 1, -1, -1):
            if chain[k] in out:
                break
            out[chain[k]] = (chain[k - 1] if k else None, k + 1)
    return out


def _matches(
    images: Iterable[Image],
    layers: Mapping[str, Layer],
    shared: Sequence[BuildCacheRecord],
    parents_of: ParentsOf,
    all_records: Sequence[BuildCacheRecord],
) -> tuple[dict[str, frozenset[str]], set[int], bool, dict[str, tuple[int, str | None] | None]]:
    """Which ``Shared`` records may hold each image layer.

    Returns ``(by_layer, loose_sizes, loose_any, depths)``: ``by_layer[c]``
    are the records whose chain matches the layer chain ending in ``c``
    (same depth, each record's ``Size`` the layer's DiffSize or 0, root to
    top); ``loose_sizes`` the sizes of shared records whose chain is not
    known (they may hold a layer of that DiffSize at any depth);
    ``loose_any`` whether such a record has size 0 (it may hold any layer).
    """
    depths = _depths(all_records, parents_of)
    roots: dict[int, list[str]] = {}  # size -> shared root records
    children: dict[str, dict[int, list[str]]] = {}  # parent id -> size -> shared children
    loose_sizes: set[int] = set()
    loose_any = False
    for record in shared:
        known = depths.get(record.id)
        if known is None:
            if record.size == 0:
                loose_any = True
            loose_sizes.add(record.size)
        elif known[1] is None:
            roots.setdefault(record.size, []).append(record.id)
        else:
            children.setdefault(known[1], {}).setdefault(record.size, []).append(record.id)
    chain_of = _image_layers(images)
    by_layer: dict[str, frozenset[str]] = {}
    empty: frozenset[str] = frozenset()
    for c in sorted(chain_of, key=lambda c: chain_of[c][1]):
        parent, _ = chain_of[c]
        size = layers[c].size if c in layers else -1
        if parent is None:
            found = roots.get(size, []) + (roots.get(0, []) if size != 0 else [])
        else:
            # a record matches when its parent matched the layer below (same depth follows)
            found = []
            for below in by_layer.get(parent, empty):
                sizes = children.get(below)
                if sizes:
                    found += sizes.get(size, [])
                    if size != 0:
                        found += sizes.get(0, [])
        by_layer[c] = frozenset(found) if found else empty
    return by_layer, loose_sizes, loose_any, depths


def _by_record(
    by_layer: Mapping[str, frozenset[str]],
    layers: Mapping[str, Layer],
    depths: Mapping[str, tuple[int, str | None] | None],
    unsure: frozenset[str],
) -> dict[str, set[str]]:
    """Record id -> the image layers it may hold.

    First the layers its chain matches; then, deepest records first, a
    record's set is narrowed to the layers below those its shared children
    may hold: a child shared with an image holds a layer of that image, and
    its parent record the layer below (one record per layer). Children whose
    flag is unsure, or that match nothing, do not narrow.
    """
    out: dict[str, set[str]] = {}
    for c, held_by in by_layer.items():
        for rid in held_by:
            out.setdefault(rid, set()).add(c)
    known = sorted(
        ((d[0], rid, d[1]) for rid, d in depths.items() if d is not None and rid in out),
        reverse=True,
    )
    for _, rid, parent in known:
        if parent is None or rid in unsure or parent not in out or not out[rid]:
            continue
        below = {layers[c].parent for c in out[rid] if c in layers}
        out[parent] &= {c for c in below if c is not None}
    return out


def holds(
    images: Iterable[Image],
    layers: Mapping[str, Layer],
    records: Sequence[BuildCacheRecord] | None,
    parents_of: ParentsOf,
    unsure: frozenset[str] = frozenset(),
) -> tuple[frozenset[str], frozenset[str]]:
    """``(maybe, certain)``: chain ids of image layers the build cache may hold, and must hold.

    ``maybe`` is a superset of the layers held, ``certain`` a subset.
    Both are empty when there is no record or no ``Shared`` record (exact: a
    held layer of an image makes its record ``Shared``). Otherwise a layer
    ``c`` of depth ``d`` may be held when a ``Shared`` record ``d`` records
    deep matches its chain — each record's ``Size`` is the DiffSize of the
    layer at its depth, or 0 — or when a ``Shared`` record whose chain is
    unknown (parents not reported, merge records) has ``Size`` DiffSize(``c``)
    or 0. A held layer keeps the layers below it; they are held by the
    records below its record, so they are in the set too.

    A ``Shared`` record whose chain is known (one parent each, down to a
    root) holds a layer that is a prefix of some image, and its parent
    record the layer below: a record may hold only the layers its chain
    matches that lie below what its shared children may hold. When that
    leaves one layer, the layer is certainly held. Records in ``unsure`` (a
    predicted state's ``Shared`` flags that may have cleared) count for
    ``maybe`` only.
    """
    if not records:
        return frozenset(), frozenset()
    shared = [r for r in records if r.shared]
    if not shared:
        return frozenset(), frozenset()
    images = tuple(images)
    by_layer, loose_sizes, loose_any, depths = _matches(
        images, layers, shared, parents_of, records
    )
    by_record = _by_record(by_layer, layers, depths, unsure)
    certain = frozenset(
        next(iter(cs)) for rid, cs in by_record.items() if len(cs) == 1 and rid not in unsure
    )
    if loose_any:
        return frozenset(by_layer), certain
    maybe = set().union(*by_record.values()) if by_record else set()
    if loose_sizes:
        maybe.update(c for c in by_layer if c in layers and layers[c].size in loose_sizes)
    return frozenset(maybe), certain


def maybe_held(
    images: Iterable[Image],
    layers: Mapping[str, Layer],
    records: Sequence[BuildCacheRecord] | None,
    parents_of: ParentsOf,
) -> frozenset[str]:
    """The first of :func:`holds`: every image layer the build cache may hold."""
    return holds(images, layers, records, parents_of)[0]


def still_shared(
    before: tuple[Iterable[Image], Mapping[str, Layer]],
    after: tuple[Iterable[Image], Mapping[str, Layer]],
    records: Sequence[BuildCacheRecord],
    parents_of: ParentsOf,
    unsure: frozenset[str] = frozenset(),
) -> tuple[tuple[BuildCacheRecord, ...], frozenset[str]]:
    """The records after images were removed, and the ids whose ``Shared: true`` is unsure.

    ``before`` and ``after`` are the ``(images, layers)`` of the two states.
    Where the records' parents are known, a record whose chain matched
    exactly one image layer before (and whose flag was sure) holds that
    layer: it stays shared for sure when the layer is still an image's. A
    record whose chain matches a layer of a remaining image may still be
    shared; one that matches none is not. Ancestors of a shared record are
    shared. The flags kept are a superset of the engine's; those that may
    have cleared are returned as unsure. Where parents are not reported
    every kept flag is unsure. With no image left, no record is shared.
    """
    shared = [r for r in records if r.shared]
    if not shared:
        return tuple(records), frozenset()
    after_images = tuple(after[0])
    possible: set[str] = set()
    certain: set[str] = set()
    if not any(image.layers for image in after_images):
        pass
    elif any(parents_of(r) is None for r in records):
        return tuple(records), frozenset(r.id for r in shared)
    else:
        before_by_layer, _, _, before_depths = _matches(
            tuple(before[0]), before[1], shared, parents_of, records
        )
        remaining = {c for image in after_images for c in image.layers}
        identified = _by_record(before_by_layer, before[1], before_depths, unsure)
        for rid, cs in identified.items():
            if len(cs) == 1 and rid not in unsure and next(iter(cs)) in remaining:
                certain.add(rid)
        by_layer, _, _, depths = _matches(after_images, after[1], shared, parents_of, records)
        possible = set().union(*by_layer.values()) if by_layer else set()
        layers = after[1]
        sizes = {layers[c].size for c in by_layer if c in layers}
        for record in shared:
            if depths.get(record.id) is None and (
                (record.size == 0 and by_layer) or record.size in sizes
            ):
                possible.add(record.id)
        by_id = {r.id: r for r in records}
        certain = _with_ancestors(certain, by_id, parents_of)
        possible = _with_ancestors(possible | certain, by_id, parents_of)
    out = tuple(
        attrs.evolve(r, shared=False) if r.shared and r.id not in possible else r for r in records
    )
    return out, frozenset(possible - certain)


def _with_ancestors(
    ids: set[str], by_id: Mapping[str, BuildCacheRecord], parents_of: ParentsOf
) -> set[str]:
    """``markAllParentsShared``: ``ids`` and every record they descend from."""
    out = set(ids)
    stack = list(ids)
    while stack:
        for p in parents_of(by_id[stack.pop()]) or ():
            if p in by_id and p not in out:
                out.add(p)
                stack.append(p)
    return out


# --------------------------------------------------------------------------
# POST /build/prune
# --------------------------------------------------------------------------


@attrs.frozen
class CachePrune:
    """What ``POST /build/prune`` removes.

    ``deleted`` are the ids it reports for sure (the engine's order, as far
    as known), ``uncertain`` those it may or may not report; ``gone`` the
    records certainly absent afterwards (``deleted`` and those of
    ``uncertain`` that are gone either way). ``space`` and ``space_high``
    bound ``SpaceReclaimed``.
    """

    deleted: tuple[str, ...]
    uncertain: tuple[str, ...]
    gone: tuple[str, ...]
    space: int
    space_high: int


#: Filter keys ``POST /build/prune`` accepts. [moby v28.5.2 builder/builder-next/builder.go · Prune]
PRUNE_FILTERS = frozenset(
    {"until", "unused-for", "label", "label!", "id", "parent", "type", "description",
     "inuse", "shared", "private"}
)
_FIELD_FILTERS = ("id", "parent", "type", "description", "inuse", "shared", "private")
_PLAIN_VALUE = re.compile(r"[^\s/|\".,=!~][^\s,]*\Z")


def record_filter(
    args: Mapping[str, tuple[str, ...]], error: Callable[[str], Exception]
) -> Callable[[BuildCacheRecord], bool]:
    """The record filter of the prune's BuildKit filter expression.

    The engine joins one ``FIELD==VALUE`` term per filter key (``id~=VALUE``,
    a regular expression search, for ``id``) with ``,`` — all must match.
    The record's fields are ``id``, ``description``, ``type``; ``inuse``,
    ``shared`` and ``private`` have no value (``==VALUE`` never matches) and
    ``parent`` is not a field (never matches). A key with no value only asks
    that the field be present. ``error`` makes the engine's error for a
    value the model cannot read (one BuildKit's filter syntax needs quoted).
    [moby v28.5.2 builder/builder-next/builder.go · toBuildkitPruneInfo]
    [moby v28.5.2 vendor/github.com/moby/buildkit/cache/manager.go · adaptUsageInfo]
    """
    terms: list[Callable[[BuildCacheRecord], bool]] = []
    for key in _FIELD_FILTERS:
        if key not in args:
            continue
        values = args[key]
        if len(values) > 1:
            raise error("filters expect only one value")
        if not values:
            terms.append(functools.partial(_present, key))
            continue
        value = values[0]
        if _PLAIN_VALUE.match(value) is None:
            raise error(
                f"the model cannot read filter {key}={value!r}: BuildKit's filter syntax "
                "needs it quoted"
            )
        if key == "id":
            try:
                pattern = re.compile(value)
            except re.error:
                return _never
            terms.append(functools.partial(_id_matches, pattern))
        else:
            terms.append(functools.partial(_equals, key, value))
    return lambda r: all(term(r) for term in terms)


def _field(key: str, record: BuildCacheRecord) -> str | None:
    """``adaptUsageInfo``: the record's value of ``key``, ``None`` when absent."""
    if key == "id":
        return record.id or None
    if key == "type":
        return record.type or None
    if key == "description":
        return record.description or None
    if key == "inuse":
        return "" if record.in_use else None
    if key == "shared":
        return "" if record.shared else None
    if key == "private":
        return "" if not record.shared else None
    return None  # "parent" is no field of the adaptor


def _present(key: str, record: BuildCacheRecord) -> bool:
    return _field(key, record) is not None


def _equals(key: str, value: str, record: BuildCacheRecord) -> bool:
    return _field(key, record) == value


def _id_matches(pattern: re.Pattern[str], record: BuildCacheRecord) -> bool:
    return pattern.search(record.id) is not None


def _never(record: BuildCacheRecord) -> bool:
    return False


def prune(
    records: Sequence[BuildCacheRecord],
    parents_of: ParentsOf,
    *,
    all: bool,
    keep: Callable[[BuildCacheRecord], bool] = lambda r: False,
    match: Callable[[BuildCacheRecord], bool] = lambda r: True,
    unsure: frozenset[str] = frozenset(),
    maybe_gone: frozenset[str] = frozenset(),
) -> CachePrune:
    """``cacheManager.prune``: ``pruneOnce`` repeated until it removes nothing.

    Each round removes every record with no references — not in use and no
    child left (a child record references its parent) — that ``match``es,
    is not kept by ``keep`` (``until``), and, without ``all``, is neither of
    type ``internal``/``frontend`` nor shared with an image. ``SpaceReclaimed``
    is the sum of the removed records' ``Size``. Children go in earlier
    rounds than their parents; within a round the engine's order is that of
    a map walk — here the records' listing order.

    A predicted state may not know a record's ``Shared`` flag (``unsure``)
    or whether an earlier prune removed it (``maybe_gone``): such records
    are removed in the highest answer and kept in the lowest. Where parents
    are not reported (API < 1.42) the candidates are certain when no idle
    record that is not shared stays behind (nothing could keep one as a
    parent); otherwise they are uncertain.
    [moby v28.5.2 vendor/github.com/moby/buildkit/cache/manager.go · cacheManager.prune,
    cacheManager.pruneOnce]
    """

    def candidate(r: BuildCacheRecord, shared: bool) -> bool:
        if r.in_use or keep(r) or not match(r):
            return False
        return all or (r.type not in _KEPT_TYPES and not shared)

    def readings(r: BuildCacheRecord) -> tuple[bool, ...]:
        return (True, False) if r.id in unsure else (r.shared,)

    cand_all = {r.id for r in records if _all_of(candidate(r, s) for s in readings(r))}
    cand_any = {r.id for r in records if any(candidate(r, s) for s in readings(r))}
    by_id = {r.id: r for r in records}
    if any(parents_of(r) is None for r in records):

        def may_block(r: BuildCacheRecord) -> bool:
            # an idle record left behind that is not shared could be a child of a candidate
            return not r.in_use and False in readings(r) and not candidate(r, False)

        listing = [r.id for r in records]
        if any(may_block(r) for r in records):
            maybe = tuple(i for i in listing if i in cand_any)
            return CachePrune((), maybe, (), 0, sum(by_id[i].size for i in maybe))
        low: tuple[str, ...] = tuple(i for i in listing if i in cand_all)
        high: tuple[str, ...] = tuple(i for i in listing if i in cand_any)
    else:
        low = _rounds(records, parents_of, cand_all)
        high = _rounds(records, parents_of, cand_any | maybe_gone)
        high = tuple(i for i in high if i in cand_any)
    deleted = tuple(i for i in low if i not in maybe_gone)
    certain = set(deleted)
    uncertain = tuple(i for i in high if i not in certain)
    return CachePrune(
        deleted,
        uncertain,
        low,
        sum(by_id[i].size for i in deleted),
        sum(by_id[i].size for i in (*deleted, *uncertain)),
    )


def _rounds(
    records: Sequence[BuildCacheRecord], parents_of: ParentsOf, chosen: set[str]
) -> tuple[str, ...]:
    """The ``chosen`` records that go, leaves first: a record goes once no child is left."""
    present = {r.id for r in records}
    children: dict[str, int] = {}
    for r in records:
        for p in parents_of(r) or ():
            if p in present:
                children[p] = children.get(p, 0) + 1
    by_id = {r.id: r for r in records}
    order = {r.id: k for k, r in enumerate(records)}
    deleted: list[str] = []
    round_ = [r.id for r in records if r.id in chosen and not children.get(r.id)]
    while round_:
        round_.sort(key=order.__getitem__)
        deleted.extend(round_)
        following: list[str] = []
        for rid in round_:
            for p in parents_of(by_id[rid]) or ():
                if p in children:
                    children[p] -= 1
                    if not children[p] and p in chosen:
                        following.append(p)
        round_ = following
    return tuple(deleted)
