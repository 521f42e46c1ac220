"""From the engine's JSON bodies to the host graph's values (pure, no I/O).

Layer sizes
-----------
The API never states a layer's own size (its DiffSize). Two exact sources
give it:

1. **Size differences.** An image's ``Size`` is the sum of the DiffSizes of
   its whole chain. So when chain ``c`` (parent chain ``p``) is the
   top layer of some image and ``p`` is the top of another (or ``c`` is a base
   layer), ``DiffSize(c) = Size(top c) − Size(top p)``. Classic-builder and
   ``docker commit`` hosts make every layer the top of some (possibly
   intermediate) image, so this sizes them all without any history.
2. **History.** ``/images/{id}/history`` lists one entry per step, newest
   first, with the DiffSize of the step's layer, or 0 for a step that made no
   layer — which the API does not flag. Entries are attributed to
   ``RootFS.Layers`` (base first) as follows, first rule that applies:

   a. the image has a parent whose attribution is known, one history entry
      more than it, and the parent's layers plus zero or one: the parent's
      attribution, plus "layer" for the new entry iff the list grew (exact:
      a build step adds one history entry and at most one layer);
   b. entries with ``Size > 0`` are layers; if that accounts for every layer,
      the zero-size entries are empty steps; if the zero-size entries are
      exactly the missing layers, they all are layers (exact);
   c. otherwise the missing layers are the zero-size entries of steps that
      always make one (BuildKit's ``# buildkit`` steps, the classic
      builder's ``#(nop) COPY``/``ADD``), then of steps that may (``RUN``,
      ``WORKDIR``, anything else), then of metadata steps, earliest first.
      Only this rule can misplace a zero: it never changes an image's ``Size``.

Source 1 wins where both apply; a layer neither can size makes
:class:`~dockermodel.errors.InvalidPayload` name the missing history.

Reading never fails on a number. Where the engine's figures do not follow
the layer store's arithmetic — two images with one chain and different
sizes, a size below the image beneath it (source 1 is then not used for that
layer), or an image whose layers do not add up to its ``Size`` — the image
keeps the engine's ``Size`` and the host lists the field in ``taken``
(``images[<id>].size``): a figure taken from the engine, not computed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from . import _fields as f
from . import reference as _ref
from ._frozen import FrozenDict, bulk, freeze, thaw
from .digest import chain_id, short_id
from .errors import InvalidPayload, InvalidReference
from .graph import Graph
from .model import (
    BuildCacheRecord,
    Container,
    Image,
    Layer,
    Volume,
    parse_timestamp_ns,
)
from .profiles import Engine, engine_of

__all__ = ["HostParts", "history_needed", "host_parts_from_api", "payloads_from_host"]

_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}\Z")
_NONE_TAG = "<none>:<none>"
_NONE_DIGEST = "<none>@<none>"


@attrs.frozen
class HostParts:
    images: dict[str, Image]
    containers: dict[str, Container]
    layers: dict[str, Layer]
    volumes: tuple[Volume, ...]
    build_cache: tuple[BuildCacheRecord, ...] | None
    version: Mapping[str, Any] | None
    engine: Engine
    taken: frozenset[str]
    cache_unsure: frozenset[str] = frozenset()
    cache_maybe_gone: frozenset[str] = frozenset()


class _ChainCache:
    """Chain ids of many images, each (parent chain, diff id) step hashed once.

    Images of one host share most of their chains (every build step is an
    image), so memoising the step keeps ``from_api`` linear in the number of
    layer references with one SHA-256 per distinct layer.
    """

    def __init__(self) -> None:
        self._steps: dict[tuple[str, str], str] = {}

    def of(self, diff_ids: Sequence[str]) -> tuple[str, ...]:
        out: list[str] = []
        previous = ""
        steps = self._steps
        for d in diff_ids:
            key = (previous, d)
            c = steps.get(key)
            if c is None:
                c = chain_id([previous, d]) if previous else d
                steps[key] = c
            out.append(c)
            previous = c
        return tuple(out)


@attrs.define
class _Raw:
    """One image's raw facts while the graph is assembled."""

    index: int
    id: str
    parent: str | None
    created: int
    created_ns: int
    size: int
    labels: dict[str, str] | None
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    diff_ids: tuple[str, ...]
    chain: tuple[str, ...]
    history: list[Mapping[str, Any]] | None  # oldest first
    mask: list[bool] | None = None
    mask_done: bool = False


def _references(values: Sequence[str], path: str, digest: bool) -> tuple[_ref.Reference, ...]:
    refs = []
    for i, text in enumerate(values):
        if text in (_NONE_TAG, _NONE_DIGEST):
            continue
        try:
            ref = _ref.cached_parse_normalized_named(text)
        except InvalidReference as exc:
            raise InvalidPayload(f"{path}[{i}]", f"{exc.message}: {text!r}") from None
        if (ref.digest is not None) != digest:
            kind = "a digest reference" if digest else "a tag reference"
            raise InvalidPayload(f"{path}[{i}]", f"expected {kind}, got {text!r}")
        refs.append(ref)
    return tuple(sorted(refs, key=str))


def host_parts_from_api(payloads: Mapping[str, Any], engine: Engine | None = None) -> HostParts:
    """Validate the payload document and assemble images, layers and containers.

    ``engine`` is the engine the bodies come from; by default
    :func:`dockermodel.profiles.engine_of` reads it from the document.
    """
    doc = f.obj(payloads, "payloads")
    if engine is None:
        engine = engine_of(doc)
    container_items = f.arr(doc.get("containers", []), "containers")
    with bulk():
        raws = _parse_images(doc)
        sizes = _layer_sizes(raws)
        return _assemble(doc, raws, sizes, container_items, engine)


def history_needed(payloads: Mapping[str, Any]) -> list[str]:
    """Ids of the images whose ``/history`` is needed to size every layer.

    Needs only ``images_all`` and ``image_inspect``. A layer that the size
    differences of the module doc do not give is sized from the history of
    the image with the shortest chain that holds it, plus that image's local
    ancestors (rule a). Classic-builder and commit hosts need none.
    """
    doc = f.obj(payloads, "payloads")
    raws = _parse_images({**doc, "image_history": {}})
    _, unknown = _difference_sizes(raws)
    needed: set[str] = set()
    for holders in unknown.values():
        best = min(holders, key=lambda r: (len(r.chain), r.id))
        image_id: str | None = best.id
        while image_id is not None and image_id in raws and image_id not in needed:
            needed.add(image_id)
            image_id = raws[image_id].parent
    return sorted(needed)


def _parse_images(doc: Mapping[str, Any]) -> dict[str, _Raw]:
    """Validate ``images_all``, ``image_inspect`` and ``image_history`` into raw image facts."""
    summaries = f.arr(doc.get("images_all"), "images_all")
    inspects = f.obj(doc.get("image_inspect", {}), "image_inspect")
    histories = f.obj(doc.get("image_history", {}), "image_history")
    raws: dict[str, _Raw] = {}
    valid_diff_ids: set[str] = set()
    chains = _ChainCache()
    for i, item in enumerate(summaries):
        path = f"images_all[{i}]"
        s = f.obj(item, path)
        image_id = f.string(s, "Id", path)
        if not _IMAGE_ID.match(image_id):
            raise InvalidPayload(
                f"{path}.Id", f"expected sha256: and 64 lowercase hex, got {image_id!r}"
            )
        if image_id in raws:
            raise InvalidPayload(f"{path}.Id", f"duplicate image {image_id}")
        parent = f.string(s, "ParentId", path, "") or None
        if parent is not None and not _IMAGE_ID.match(parent):
            raise InvalidPayload(f"{path}.ParentId", f"expected an image id, got {parent!r}")
        ipath = f"image_inspect[{image_id!r}]"
        if image_id not in inspects:
            raise InvalidPayload("image_inspect", f"no entry for {image_id}")
        ins = f.obj(inspects[image_id], ipath)
        rootfs = ins.get("RootFS")
        diff_ids: tuple[str, ...] = ()
        if rootfs is not None:
            diff_ids = f.strings(f.obj(rootfs, f"{ipath}.RootFS"), "Layers", f"{ipath}.RootFS")
        for k, d in enumerate(diff_ids):
            if d not in valid_diff_ids:
                if not _IMAGE_ID.match(d):
                    raise InvalidPayload(
                        f"{ipath}.RootFS.Layers[{k}]", f"expected a sha256 digest, got {d!r}"
                    )
                valid_diff_ids.add(d)
        created_text = f.string(ins, "Created", ipath)
        created_ns = parse_timestamp_ns(created_text, f"{ipath}.Created")
        history: list[Mapping[str, Any]] | None = None
        if image_id in histories:
            hpath = f"image_history[{image_id!r}]"
            entries = f.arr(histories[image_id], hpath)
            history = list(reversed(entries))
            for k, entry in enumerate(entries):
                size = entry.get("Size") if type(entry) is dict else None
                if type(size) is not int:
                    size = f.integer(f.obj(entry, f"{hpath}[{k}]"), "Size", f"{hpath}[{k}]")
                if size < 0:
                    raise InvalidPayload(f"{hpath}[{k}].Size", f"negative size {size}")
        size = f.integer(s, "Size", path)
        if size < 0:
            raise InvalidPayload(f"{path}.Size", f"negative size {size}")
        raws[image_id] = _Raw(
            index=i,
            id=image_id,
            parent=parent,
            created=f.integer(s, "Created", path),
            created_ns=created_ns,
            size=size,
            labels=f.labels(s, "Labels", path),
            repo_tags=f.strings(s, "RepoTags", path),
            repo_digests=f.strings(s, "RepoDigests", path),
            diff_ids=diff_ids,
            chain=chains.of(diff_ids),
            history=history,
        )

    # Parent links end at a base image: the engine sets a parent when it
    # creates the child, so no image is its own ancestor.
    # [moby v20.10.24 image/store.go · store.SetParent]
    done: set[str] = set()
    for raw in raws.values():
        walk: list[str] = []
        on_walk: set[str] = set()
        current: str | None = raw.id
        while current is not None and current in raws and current not in done:
            if current in on_walk:
                loop = [*walk[walk.index(current) :], current]
                raise InvalidPayload(
                    f"images_all[{raws[current].index}].ParentId",
                    "parent cycle: " + " -> ".join(short_id(i) for i in loop),
                )
            on_walk.add(current)
            walk.append(current)
            current = raws[current].parent
        done.update(walk)
    return raws


def _assemble(
    doc: Mapping[str, Any],
    raws: Mapping[str, _Raw],
    sizes: Mapping[str, int],
    container_items: Sequence[Any],
    engine: Engine,
) -> HostParts:
    layers: dict[str, Layer] = {}
    images: dict[str, Image] = {}
    owners: dict[str, tuple[str, str]] = {}  # reference -> (image id, field)
    taken: set[str] = set()
    for raw in raws.values():
        path = f"images_all[{raw.index}]"
        parent_chain: str | None = None
        for d, c in zip(raw.diff_ids, raw.chain, strict=True):
            if c not in layers:
                layers[c] = Layer(chain_id=c, diff_id=d, parent=parent_chain, size=sizes[c])
            parent_chain = c
        total = sum(sizes[c] for c in raw.chain)
        if total != raw.size:
            # not the layer store's arithmetic: keep the engine's figure, say so
            taken.add(f"images[{raw.id}].size")
        repo_tags = _references(raw.repo_tags, f"{path}.RepoTags", digest=False)
        repo_digests = _references(raw.repo_digests, f"{path}.RepoDigests", digest=True)
        # The reference store maps each reference to one image.
        # [moby v20.10.24 reference/store.go · store.addReference]
        for refs, key in ((repo_tags, "RepoTags"), (repo_digests, "RepoDigests")):
            for ref in refs:
                name = str(ref)
                if name in owners:
                    owner, where = owners[name]
                    what = "twice" if owner == raw.id else f"also by {owner} ({where})"
                    raise InvalidPayload(
                        f"{path}.{key}", f"{_ref.familiar_string(ref)} is listed {what}"
                    )
                owners[name] = (raw.id, f"{path}.{key}")
        images[raw.id] = Image(
            id=raw.id,
            repo_tags=repo_tags,
            repo_digests=repo_digests,
            parent=raw.parent,
            created=raw.created,
            created_ns=raw.created_ns,
            labels=FrozenDict(raw.labels) if raw.labels is not None else None,
            diff_ids=raw.diff_ids,
            layers=raw.chain,
            size=raw.size,
        )

    containers: dict[str, Container] = {}
    for i, item in enumerate(container_items):
        container = Container.from_api(item, f"containers[{i}]")
        used = images.get(container.image_id)
        if used is not None:
            container = attrs.evolve(container, layers=used.layers)
        containers[container.id] = container
    _held_layers(doc, containers, layers)

    volumes: tuple[Volume, ...] = ()
    build_cache: tuple[BuildCacheRecord, ...] | None = None
    if doc.get("system_df") is not None:
        df = f.obj(doc["system_df"], "system_df")
        vols = df.get("Volumes")
        if vols is not None:
            volumes = tuple(
                Volume.from_api(v, f"system_df.Volumes[{i}]")
                for i, v in enumerate(f.arr(vols, "system_df.Volumes"))
            )
        cache = df.get("BuildCache")
        if cache is not None:
            build_cache = tuple(
                BuildCacheRecord.from_api(r, f"system_df.BuildCache[{i}]")
                for i, r in enumerate(f.arr(cache, "system_df.BuildCache"))
            )
    version = doc.get("version")
    if version is not None:
        version = freeze(f.obj(version, "version"), "version")
    unsure, maybe_gone = _cache_unsure(doc)
    return HostParts(
        images,
        containers,
        layers,
        volumes,
        build_cache,
        version,
        engine,
        frozenset(taken),
        unsure,
        maybe_gone,
    )


def _cache_unsure(doc: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """Read the optional ``build_cache_unsure`` extension (not an engine body).

    ``{"shared": [record id, …], "maybe_gone": [record id, …]}``: what a
    predicted state (``Host.apply``) did not know of the build-cache records
    (``Host.cache_unsure``, ``Host.cache_maybe_gone``), kept by ``dump``.
    """
    value = doc.get("build_cache_unsure")
    if value is None:
        return frozenset(), frozenset()
    o = f.obj(value, "build_cache_unsure")
    return (
        frozenset(f.strings(o, "shared", "build_cache_unsure")),
        frozenset(f.strings(o, "maybe_gone", "build_cache_unsure")),
    )


def _held_layers(
    doc: Mapping[str, Any], containers: dict[str, Container], layers: dict[str, Layer]
) -> None:
    """Read the optional ``held_layers`` extension (not an engine body).

    ``{container id: [{"ChainID", "DiffID", "Size"}, …]}`` (base first) records
    the layer chain of a container whose image was force-deleted: the
    engine keeps those layers for the container but no API call lists them.
    :func:`payloads_from_host` writes it for hosts produced by
    :meth:`Host.apply`, so a snapshot of such a state loses nothing.
    """
    held = doc.get("held_layers")
    if held is None:
        return
    for cid, entries in f.obj(held, "held_layers").items():
        path = f"held_layers[{cid!r}]"
        if cid not in containers:
            raise InvalidPayload(path, "no such container in containers")
        if containers[cid].layers:
            raise InvalidPayload(path, "the container's image is listed: it holds that chain")
        chain: list[str] = []
        parent: str | None = None
        for k, entry in enumerate(f.arr(entries, path)):
            at = f"{path}[{k}]"
            e = f.obj(entry, at)
            c = f.string(e, "ChainID", at)
            d = f.string(e, "DiffID", at)
            size = f.integer(e, "Size", at)
            for key, value in (("ChainID", c), ("DiffID", d)):
                if not _IMAGE_ID.match(value):
                    raise InvalidPayload(f"{at}.{key}", f"expected a sha256 digest, got {value!r}")
            expected = chain_id([parent, d]) if parent is not None else d
            if c != expected:
                raise InvalidPayload(
                    f"{at}.ChainID", f"{c} is not the chain id of the layers so far ({expected})"
                )
            if size < 0:
                raise InvalidPayload(f"{at}.Size", f"negative size {size}")
            known = layers.get(c)
            if known is None:
                layers[c] = Layer(chain_id=c, diff_id=d, parent=parent, size=size)
            elif known.size != size:
                raise InvalidPayload(
                    f"{at}.Size", f"{size} differs from the size of that layer ({known.size})"
                )
            chain.append(c)
            parent = c
        containers[cid] = attrs.evolve(containers[cid], layers=tuple(chain))


def _layer_sizes(raws: Mapping[str, _Raw]) -> dict[str, int]:
    """DiffSize of every chain id, by size differences, then histories (module doc)."""
    sizes, unknown = _difference_sizes(raws)
    for c, holders in unknown.items():
        if c in sizes:
            continue
        for raw in holders:
            mask = _mask(raw, raws)
            if mask is None:
                continue
            k = raw.chain.index(c)
            layer_entries = [
                e for e, is_layer in zip(raw.history or (), mask, strict=True) if is_layer
            ]
            sizes[c] = int(layer_entries[k]["Size"])
            # every other layer of this image is sized by the same attribution
            for j, cj in enumerate(raw.chain):
                sizes.setdefault(cj, int(layer_entries[j]["Size"]))
            break
        else:
            owner = holders[0]
            raise InvalidPayload(
                "image_history",
                f"no usable entry for {owner.id}, needed to size its layer {c}",
            )
    return sizes


def _difference_sizes(raws: Mapping[str, _Raw]) -> tuple[dict[str, int], dict[str, list[_Raw]]]:
    """Sizes given by ``Size`` differences, and the images holding each layer still unknown."""
    top_size: dict[str, int] = {}
    top_owner: dict[str, _Raw] = {}
    conflicting: set[str] = set()
    for raw in raws.values():
        if not raw.chain:
            continue
        top = raw.chain[-1]
        if top in top_size:
            # two images with one chain and different sizes: not the layer
            # store's arithmetic (the containerd store); sizes come from history
            if top_size[top] != raw.size:
                conflicting.add(top)
            continue
        top_size[top] = raw.size
        top_owner[top] = raw
    for top in conflicting:
        del top_size[top]
    sizes: dict[str, int] = {}
    unknown: dict[str, list[_Raw]] = {}
    for raw in raws.values():
        for k, c in enumerate(raw.chain):
            if c in sizes:
                continue
            below = raw.chain[k - 1] if k else None
            if c in top_size and (below is None or below in top_size):
                diff = top_size[c] - (top_size[below] if below is not None else 0)
                if diff >= 0:
                    sizes[c] = diff
                    unknown.pop(c, None)
                    continue
                # a negative difference is no layer size: size it from history
            unknown.setdefault(c, []).append(raw)
    return sizes, unknown


def _mask(raw: _Raw, raws: Mapping[str, _Raw]) -> list[bool] | None:
    """For each history entry (oldest first): did it make a layer? (module doc, rules a-c)."""
    if raw.mask_done:
        return raw.mask
    # iterative over the parent chain to avoid deep recursion
    stack = [raw]
    while True:
        top = stack[-1]
        parent = raws.get(top.parent) if top.parent else None
        if parent is None or parent.mask_done or parent.history is None:
            break
        stack.append(parent)
    for item in reversed(stack):
        item.mask = _own_mask(item, raws)
        item.mask_done = True
    return raw.mask


def _own_mask(raw: _Raw, raws: Mapping[str, _Raw]) -> list[bool] | None:
    history = raw.history
    if history is None:
        return None
    n = len(raw.chain)
    parent = raws.get(raw.parent) if raw.parent else None
    if (
        parent is not None
        and parent.mask_done
        and parent.mask is not None
        and parent.history is not None
        and len(history) == len(parent.history) + 1
        and raw.chain[: len(parent.chain)] == parent.chain
        and n - len(parent.chain) in (0, 1)
    ):
        return [*parent.mask, n == len(parent.chain) + 1]
    sizes = [int(e["Size"]) for e in history]
    positives = sum(1 for s in sizes if s > 0)
    zeros = len(sizes) - positives
    need = n - positives
    if need < 0 or need > zeros:
        return None
    if need == 0:
        return [s > 0 for s in sizes]
    if need == zeros:
        return [True] * len(sizes)
    mask = [s > 0 for s in sizes]
    hints = [_zero_entry_hint(e) for e in history]
    candidates = [
        i
        for hint in ("layer", "maybe", "empty")
        for i in range(len(sizes))
        if sizes[i] == 0 and hints[i] == hint
    ]
    for i in candidates[:need]:
        mask[i] = True
    return mask


#: A classic ``COPY``/``ADD`` step: ``/bin/sh -c #(nop) COPY file:… in /dest``.
_CLASSIC_COPY = re.compile(r"#\(nop\) (?:COPY|ADD) ")
#: The ``Comment`` BuildKit's Dockerfile frontend gives every history entry.
_BUILDKIT_COMMENT = "buildkit.dockerfile.v0"


def _zero_entry_hint(entry: Mapping[str, Any]) -> str:
    """Whether a zero-size history entry made a layer: ``layer``, ``maybe`` or ``empty``.

    BuildKit's Dockerfile frontend suffixes ``# buildkit`` to the steps that
    made a layer (``COPY``, ``ADD``, ``RUN``); its other steps made none,
    except ``WORKDIR``, which may. The classic builder's ``#(nop)`` steps
    made none, except ``COPY`` and ``ADD`` (rule c above).
    [moby v28.5.2 vendor/github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb/convert.go ·
    commitToHistory]
    """
    created = str(entry.get("CreatedBy", ""))
    if entry.get("Comment") == _BUILDKIT_COMMENT:
        if created.endswith(" # buildkit"):
            return "layer"
        return "maybe" if created.startswith("WORKDIR ") else "empty"
    if "#(nop)" in created:
        return "layer" if _CLASSIC_COPY.search(created) else "empty"
    return "maybe"


def payloads_from_host(host: Graph) -> dict[str, Any]:
    """A payload document for a host that was not read from one (e.g. after ``apply``).

    Holds what :meth:`Host.from_api` needs to rebuild an equal host: the image
    list, minimal inspect bodies (``Id``, ``RepoTags``, ``RepoDigests``,
    ``Parent``, ``Created``, ``RootFS``, ``Size``), histories rebuilt with
    one entry per layer (its exact size; the build steps themselves are not
    part of the model), the container list (``Image`` as each container was
    created, which :meth:`Host.list_containers` turns into what the engine
    shows), and ``held_layers`` for containers whose image was force-deleted.
    """
    images_all = host.list_images(all=True)
    inspect: dict[str, Any] = {}
    history: dict[str, Any] = {}
    for image in host.images.values():
        inspect[image.id] = {
            "Id": image.id,
            "RepoTags": [_ref.familiar_string(r) for r in image.repo_tags],
            "RepoDigests": [_ref.familiar_string(r) for r in image.repo_digests],
            "Parent": image.parent or "",
            "Created": _format_ns(image.created_ns),
            "Size": image.size,
            "VirtualSize": image.size,
            "RootFS": {"Type": "layers", "Layers": list(image.diff_ids)}
            if image.diff_ids
            else {"Type": "layers"},
        }
        # one entry per layer: exact sizes for from_api (rule b); the steps'
        # commands are not part of the model
        history[image.id] = [
            {
                "Id": "<missing>",
                "Created": image.created,
                "CreatedBy": "",
                "Tags": None,
                "Size": host.layers[c].size,
                "Comment": "rebuilt by dockermodel from the layer sizes",
            }
            for c in reversed(image.layers)
        ]
    held = {
        c.id: [
            {"ChainID": k, "DiffID": host.layers[k].diff_id, "Size": host.layers[k].size}
            for k in c.layers
        ]
        for c in host.containers.values()
        if c.layers and c.image_id not in host.images
    }
    doc: dict[str, Any] = {
        "images_all": images_all,
        "image_inspect": inspect,
        "image_history": history,
        # ``Image`` as each container was created (the engine keeps it; it
        # shows the image id while that reference resolves elsewhere or not at
        # all), so the rebuilt host equals this one
        "containers": [c.to_api() for c in host.containers.values()],
    }
    if held:
        doc["held_layers"] = held
    if host.cache_unsure or host.cache_maybe_gone:
        doc["build_cache_unsure"] = {
            "shared": sorted(host.cache_unsure),
            "maybe_gone": sorted(host.cache_maybe_gone),
        }
    if host.volumes or host.build_cache is not None:
        doc["system_df"] = {
            "Volumes": [v.to_api() for v in host.volumes],
            "BuildCache": host.profile.df_build_cache(host.build_cache, host.engine.api)[
                "BuildCache"
            ]
            if host.build_cache is not None
            else None,
        }
    doc["version"] = (
        thaw(host.version)  # plain, nested values included
        if host.version is not None
        else {"Version": host.engine.version, "ApiVersion": host.engine.api_version}
    )
    doc["api_version"] = host.engine.api_version
    doc["image_store"] = host.engine.store
    return doc


def _format_ns(ns: int) -> str:
    from datetime import datetime, timezone

    seconds, frac = divmod(ns, 1_000_000_000)
    t = datetime.fromtimestamp(seconds, tz=timezone.utc)
    # strftime's %Y does not pad years before 1000 (Go's zero time is year 1)
    stamp = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if frac:
        stamp += "." + f"{frac:09d}".rstrip("0")
    return stamp + "Z"
