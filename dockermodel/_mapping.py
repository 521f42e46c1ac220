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
from operator import attrgetter
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

__all__ = [
    "HostParts",
    "ParsedImages",
    "history_needed",
    "host_parts_from_api",
    "payloads_from_host",
    "prepare_inspects",
]

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
    """Chain ids of many images, each distinct ``RootFS.Layers`` list worked out once.

    Images of one host share most of their chains (every build step is an
    image, and its layers are its parent's plus at most one), so the chain
    of a layer list is memoised by the list, and a new list whose list minus
    its last entry is known costs one step. Fed parents before children
    (oldest first), that is one SHA-256 per distinct layer and, per image, a
    few dictionary look-ups done in C over the tuple. Equal chains share one
    tuple. The diff ids must have been validated.
    """

    def __init__(self) -> None:
        self._steps: dict[tuple[str, str], str] = {}
        self._chains: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}

    def of(self, diff_ids: tuple[str, ...]) -> tuple[str, ...]:
        """The chain ids of ``diff_ids`` (base first)."""
        chains = self._chains
        chain = chains.get(diff_ids)
        if chain is not None:
            return chain
        below = chains.get(diff_ids[:-1])
        if below is not None:
            chain = (*below, self._step(below[-1] if below else "", diff_ids[-1]))
        else:
            out: list[str] = []
            previous = ""
            for d in diff_ids:
                previous = self._step(previous, d)
                out.append(previous)
            chain = tuple(out)
        chains[diff_ids] = chain
        return chain

    def _step(self, previous: str, d: str) -> str:
        key = (previous, d)
        c = self._steps.get(key)
        if c is None:
            c = self._steps[key] = chain_id([previous, d]) if previous else d
        return c


class _Raw:
    """One image's raw facts while the graph is assembled."""

    __slots__ = (
        "_history",
        "chain",
        "created",
        "created_ns",
        "diff_ids",
        "entries",
        "id",
        "index",
        "labels",
        "mask",
        "mask_done",
        "parent",
        "pending",
        "repo_digests",
        "repo_tags",
        "size",
    )

    def __init__(
        self,
        index: int,
        id: str,
        parent: str | None,
        created: int,
        created_ns: int,
        size: int,
        labels: Mapping[str, str] | None,
        repo_tags: tuple[str, ...],
        repo_digests: tuple[str, ...],
        diff_ids: tuple[str, ...],
        entries: Sequence[Mapping[str, Any]] | None,
        chain: tuple[str, ...] | None = None,
    ) -> None:
        self.index = index
        self.id = id
        self.parent = parent
        self.created = created
        self.created_ns = created_ns
        self.size = size
        self.labels = labels
        self.repo_tags = repo_tags
        self.repo_digests = repo_digests
        self.diff_ids = diff_ids
        #: the chain ids of ``diff_ids`` (worked out once every image is read,
        #: unless they were given)
        self.chain: tuple[str, ...] = chain if chain is not None else ()
        self.pending = chain is None
        #: the history as the engine lists it (newest first), if given
        self.entries = entries
        self._history: list[Mapping[str, Any]] | None = None
        self.mask: list[bool] | None = None
        self.mask_done = False

    @property
    def depth(self) -> int:
        """The number of layers."""
        return len(self.diff_ids)

    @property
    def history(self) -> list[Mapping[str, Any]] | None:
        """The history oldest first (reversed once, when first needed), or ``None``."""
        if self.entries is None:
            return None
        if self._history is None:
            self._history = list(reversed(self.entries))
        return self._history


def _references(
    values: Sequence[str], index: int, field: str, digest: bool
) -> tuple[_ref.Reference, ...]:
    """``images_all[index].<field>`` (tags or digests) as normalized references, sorted."""
    if not values:
        return ()
    refs = []
    for i, text in enumerate(values):
        if text in (_NONE_TAG, _NONE_DIGEST):
            continue
        path = f"images_all[{index}].{field}[{i}]"
        try:
            ref = _ref.cached_parse_normalized_named(text)
        except InvalidReference as exc:
            raise InvalidPayload(path, f"{exc.message}: {text!r}") from None
        if (ref.digest is not None) != digest:
            kind = "a digest reference" if digest else "a tag reference"
            raise InvalidPayload(path, f"expected {kind}, got {text!r}")
        refs.append(ref)
    if len(refs) < 2:
        return tuple(refs)
    return tuple(sorted(refs, key=str))


def host_parts_from_api(
    payloads: Mapping[str, Any],
    engine: Engine | None = None,
    *,
    parsed: ParsedImages | None = None,
) -> HostParts:
    """Validate the payload document and assemble images, layers and containers.

    ``engine`` is the engine the bodies come from; by default
    :func:`dockermodel.profiles.engine_of` reads it from the document.
    ``parsed``: the document's ``images_all`` and ``image_inspect`` parsed
    already (:class:`ParsedImages`, the adapter's); used only if it holds
    those very objects.
    """
    doc = f.obj(payloads, "payloads")
    if engine is None:
        engine = engine_of(doc)
    container_items = f.arr(doc.get("containers", []), "containers")
    with bulk():
        raws = parsed._take(doc) if parsed is not None else None
        if raws is None:
            raws = _parse_images(doc)
        else:
            _attach_histories(raws, f.obj(doc.get("image_history", {}), "image_history"))
        sizes = _layer_sizes(raws)
        return _assemble(doc, raws, sizes, container_items, engine)


class ParsedImages:
    """An image list and its inspect bodies, parsed once for a read of a live engine.

    The adapter asks :meth:`history_needed` which histories the layer sizes
    need, reads them, and hands this object to :func:`host_parts_from_api`
    with the payload document made of the same ``images_all`` and
    ``image_inspect`` objects: they are not parsed a second time.
    """

    def __init__(
        self,
        images_all: Any,
        image_inspect: Any,
        prepared: Mapping[str, _Prepared] | None = None,
    ) -> None:
        self.images_all = images_all
        self.image_inspect = image_inspect
        self._raws: dict[str, _Raw] | None = _parse_images(
            {"images_all": images_all, "image_inspect": image_inspect}, prepared
        )

    def history_needed(self) -> list[str]:
        """Ids of the images whose ``/history`` is needed (see :func:`history_needed`)."""
        assert self._raws is not None, "already used"
        return _history_needed(self._raws)

    def _take(self, doc: Mapping[str, Any]) -> dict[str, _Raw] | None:
        """The parsed images if ``doc`` holds the same two objects (once; then ``None``)."""
        raws = self._raws
        if (
            raws is None
            or doc.get("images_all") is not self.images_all
            or doc.get("image_inspect") is not self.image_inspect
        ):
            return None
        self._raws = None
        return raws


def _attach_histories(raws: Mapping[str, _Raw], histories: Mapping[str, Any]) -> None:
    """Give each parsed image its ``image_history`` entry, checked as :func:`_parse_images` does."""
    if not histories:
        return
    for raw in raws.values():
        entries = histories.get(raw.id, _ABSENT)
        if entries is _ABSENT:
            continue
        if not _quick_history(entries):
            entries = _checked_history(raw.id, histories)
        raw.entries = entries


def history_needed(payloads: Mapping[str, Any]) -> list[str]:
    """Ids of the images whose ``/history`` is needed to size every layer.

    Needs only ``images_all`` and ``image_inspect``. A layer that the size
    differences of the module doc do not give is sized from the history of
    the image with the shortest chain that holds it, plus that image's local
    ancestors (rule a). Classic-builder and commit hosts need none.
    """
    doc = f.obj(payloads, "payloads")
    return _history_needed(_parse_images({**doc, "image_history": {}}))


def _history_needed(raws: Mapping[str, _Raw]) -> list[str]:
    _, unknown = _difference_sizes(raws)
    needed: set[str] = set()
    for holders in unknown.values():
        best = min(holders, key=lambda r: (len(r.chain), r.id))
        image_id: str | None = best.id
        while image_id is not None and image_id in raws and image_id not in needed:
            needed.add(image_id)
            image_id = raws[image_id].parent
    return sorted(needed)


def _parse_images(
    doc: Mapping[str, Any], prepared: Mapping[str, _Prepared] | None = None
) -> dict[str, _Raw]:
    """Validate ``images_all``, ``image_inspect`` and ``image_history`` into raw image facts.

    Each image is read by :func:`_quick_raw`, which accepts only values of
    exactly the expected types; anything else is read again by
    :func:`_checked_raw`, field by field, which names the value at fault.
    """
    summaries = f.arr(doc.get("images_all"), "images_all")
    inspects = f.obj(doc.get("image_inspect", {}), "image_inspect")
    histories = f.obj(doc.get("image_history", {}), "image_history")
    raws: dict[str, _Raw] = {}
    valid: set[str] = set()  # diff ids seen and valid
    pending: list[_Raw] = []  # chain ids still to work out
    for i, item in enumerate(summaries):
        raw = _quick_raw(i, item, inspects, histories, valid, prepared)
        if raw is None or raw.id in raws:
            raw = _checked_raw(i, item, inspects, histories, valid, raws)
        raws[raw.id] = raw
        if raw.pending:
            pending.append(raw)
    # shortest layer lists first, so that an image's parent (whose list is
    # its own less the top) has been worked out before it
    pending.sort(key=attrgetter("depth"))
    chains = _ChainCache()
    for raw in pending:
        raw.chain = chains.of(raw.diff_ids)
        raw.pending = False
    _refuse_parent_cycles(raws)
    return raws


def _refuse_parent_cycles(raws: Mapping[str, _Raw]) -> None:
    """Parent links end at a base image: the engine sets a parent when it
    creates the child, so no image is its own ancestor.
    [moby v20.10.24 image/store.go · store.SetParent]

    Each image's walk up its parents stops at the first image an earlier
    walk reached, so every image is entered once.
    """
    reached: dict[str, int] = {}  # image id -> the walk that reached it
    for n, raw in enumerate(raws.values()):
        current: str | None = raw.id
        while current is not None and current not in reached:
            node = raws.get(current)
            if node is None:
                break
            reached[current] = n
            current = node.parent
        if current is not None and reached.get(current) == n:
            loop = [current]
            step = raws[current].parent
            while step != current:
                assert step is not None
                loop.append(step)
                step = raws[step].parent
            loop.append(current)
            raise InvalidPayload(
                f"images_all[{raws[current].index}].ParentId",
                "parent cycle: " + " -> ".join(short_id(i) for i in loop),
            )


_ABSENT: Any = object()


def _quick_raw(
    i: int,
    s: Any,
    inspects: Mapping[str, Any],
    histories: Mapping[str, Any],
    valid: set[str],
    prepared: Mapping[str, _Prepared] | None,
) -> _Raw | None:
    """One image's facts if every value read has exactly its JSON type, else ``None``."""
    if type(s) is not dict:
        return None
    image_id = s.get("Id")
    if type(image_id) is not str or _IMAGE_ID.match(image_id) is None:
        return None
    parent = s.get("ParentId", "")
    if type(parent) is not str:
        return None
    if not parent:
        parent = None
    elif _IMAGE_ID.match(parent) is None:
        return None
    created = s.get("Created")
    size = s.get("Size")
    if type(created) is not int or type(size) is not int or size < 0:
        return None
    labels = s.get("Labels")
    if labels is not None:
        if type(labels) is not dict:
            return None
        for value in labels.values():
            if type(value) is not str:
                return None
    tags = _quick_strings(s.get("RepoTags"))
    digests = _quick_strings(s.get("RepoDigests"))
    if tags is None or digests is None:
        return None
    ins = inspects.get(image_id)
    fact = prepared.get(image_id) if prepared else None
    if fact is not None and fact.body is ins:
        diff_ids, created_ns, chain = fact.diff_ids, fact.created_ns, fact.chain
    else:
        read = _quick_inspect(ins, valid)
        if read is None:
            return None
        diff_ids, created_ns = read
        chain = None
    entries = histories.get(image_id, _ABSENT)
    if entries is _ABSENT:
        entries = None
    elif not _quick_history(entries):
        return None
    return _Raw(
        i, image_id, parent, created, created_ns, size, labels, tags, digests, diff_ids, entries,
        chain,
    )  # fmt: skip


def _quick_inspect(ins: Any, valid: set[str]) -> tuple[tuple[str, ...], int] | None:
    """The diff ids and creation time of an inspect body of exactly the expected types.

    ``valid`` holds diff ids known to be valid, and gets the new ones.
    """
    if type(ins) is not dict:
        return None
    rootfs = ins.get("RootFS")
    diff_ids: tuple[str, ...] = ()
    if rootfs is not None:
        if type(rootfs) is not dict:
            return None
        layers = rootfs.get("Layers")
        if layers is not None:
            if type(layers) is not list:
                return None
            diff_ids = tuple(layers)
    try:
        known = valid.issuperset(diff_ids)
    except TypeError:  # an unhashable entry
        return None
    if not known:
        for d in diff_ids:
            if type(d) is not str:
                return None
            if d not in valid:
                if _IMAGE_ID.match(d) is None:
                    return None
                valid.add(d)
    text = ins.get("Created")
    if type(text) is not str:
        return None
    try:
        return diff_ids, parse_timestamp_ns(text)
    except InvalidPayload:
        return None


class _Prepared:
    """What one inspect body gives the model, worked out before the image list is known."""

    __slots__ = ("body", "chain", "created_ns", "diff_ids")

    def __init__(
        self, body: Any, diff_ids: tuple[str, ...], created_ns: int, chain: tuple[str, ...]
    ) -> None:
        self.body = body
        self.diff_ids = diff_ids
        self.created_ns = created_ns
        self.chain = chain


def prepare_inspects(bodies: Mapping[str, Any]) -> dict[str, _Prepared]:
    """Diff ids, creation time and chain ids of inspect bodies, by image id.

    The adapter works these out for the bodies in its cache while the
    engine computes the image list; :class:`ParsedImages` then takes them
    for a body that is the very object given here. A body of unexpected
    shape is left out (and read, and reported, as usual).
    """
    valid: set[str] = set()
    read: list[tuple[str, Any, tuple[str, ...], int]] = []
    for image_id, body in bodies.items():
        got = _quick_inspect(body, valid)
        if got is not None:
            read.append((image_id, body, *got))
    read.sort(key=lambda item: len(item[2]))  # parents' layer lists first
    chains = _ChainCache()
    return {
        image_id: _Prepared(body, diff_ids, created_ns, chains.of(diff_ids))
        for image_id, body, diff_ids, created_ns in read
    }


def _quick_history(entries: Any) -> bool:
    """Whether ``entries`` is a JSON array of objects with an integer ``Size``."""
    if type(entries) is not list:
        return False
    for entry in entries:
        if type(entry) is not dict:
            return False
        size = entry.get("Size")
        if type(size) is not int or size < 0:
            return False
    return True


def _checked_history(image_id: str, histories: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``image_history[image_id]``, read entry by entry; a bad one raises naming its path."""
    hpath = f"image_history[{image_id!r}]"
    entries = list(f.arr(histories[image_id], hpath))
    for k, entry in enumerate(entries):
        size = entry.get("Size") if type(entry) is dict else None
        if type(size) is not int:
            size = f.integer(f.obj(entry, f"{hpath}[{k}]"), "Size", f"{hpath}[{k}]")
        if size < 0:
            raise InvalidPayload(f"{hpath}[{k}].Size", f"negative size {size}")
    return entries


def _quick_strings(value: Any) -> tuple[str, ...] | None:
    """A JSON array of strings (``null`` or absent: empty) as a tuple; ``None`` if not one."""
    if value is None:
        return ()
    if type(value) is not list:
        return None
    for item in value:
        if type(item) is not str:
            return None
    return tuple(value)


def _checked_raw(
    i: int,
    item: Any,
    inspects: Mapping[str, Any],
    histories: Mapping[str, Any],
    valid: set[str],
    raws: Mapping[str, _Raw],
) -> _Raw:
    """One image's facts, read field by field; a bad value raises naming its path."""
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
        if d not in valid:
            if not _IMAGE_ID.match(d):
                raise InvalidPayload(
                    f"{ipath}.RootFS.Layers[{k}]", f"expected a sha256 digest, got {d!r}"
                )
            valid.add(d)
    created_text = f.string(ins, "Created", ipath)
    created_ns = parse_timestamp_ns(created_text, f"{ipath}.Created")
    entries = _checked_history(image_id, histories) if image_id in histories else None
    size = f.integer(s, "Size", path)
    if size < 0:
        raise InvalidPayload(f"{path}.Size", f"negative size {size}")
    return _Raw(
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
        entries=entries,
    )


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
    #: Σ DiffSize of each chain id's whole chain, worked out once per layer
    totals: dict[str, int] = {"": 0}
    for raw in raws.values():
        chain = raw.chain
        top = chain[-1] if chain else ""
        if top not in totals:
            # the layers not made yet are a run at the top of the chain
            k = len(chain) - 1
            while k and chain[k - 1] not in totals:
                k -= 1
            below: str | None = chain[k - 1] if k else None
            total = totals[below or ""]
            for j in range(k, len(chain)):
                c = chain[j]
                size = sizes[c]
                layers[c] = Layer(chain_id=c, diff_id=raw.diff_ids[j], parent=below, size=size)
                total += size
                totals[c] = total
                below = c
        if totals[top] != raw.size:
            # not the layer store's arithmetic: keep the engine's figure, say so
            taken.add(f"images[{raw.id}].size")
        repo_tags = (
            _references(raw.repo_tags, raw.index, "RepoTags", digest=False)
            if raw.repo_tags
            else ()
        )
        repo_digests = (
            _references(raw.repo_digests, raw.index, "RepoDigests", digest=True)
            if raw.repo_digests
            else ()
        )
        if repo_tags or repo_digests:
            # The reference store maps each reference to one image.
            # [moby v20.10.24 reference/store.go · store.addReference]
            path = f"images_all[{raw.index}]"
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
            layers=chain,
            size=raw.size,
        )

    containers: dict[str, Container] = {}
    for i, item in enumerate(container_items):
        # a container holds the chain of the image it was created from
        image_id = item.get("ImageID") if type(item) is dict else None
        used = images.get(image_id) if type(image_id) is str else None
        container = Container.from_api(
            item, f"containers[{i}]", layers=used.layers if used is not None else ()
        )
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
    """Sizes given by ``Size`` differences, and the images holding each layer still unknown.

    A chain id names its whole prefix, so a layer's size (or that it has
    none from differences) is the same in every image holding it: each image
    is walked from its top layer down to the first layer already decided,
    which makes the pass linear in the number of images plus layers. The
    holders of the layers left unknown are listed in a second pass, only
    when there are any.
    """
    top_size: dict[str, int] = {}
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
    for top in conflicting:
        del top_size[top]
    sizes: dict[str, int] = {}
    unsized: set[str] = set()
    for raw in raws.values():
        chain = raw.chain
        k = len(chain)
        while k:
            k -= 1
            c = chain[k]
            if c in sizes or c in unsized:
                break  # decided, and with it every layer below
            size = top_size.get(c)
            if size is not None:
                below = top_size.get(chain[k - 1]) if k else 0
                # a negative difference is no layer size: size it from history
                if below is not None and size >= below:
                    sizes[c] = size - below
                    continue
            unsized.add(c)
    unknown: dict[str, list[_Raw]] = {}
    if unsized:
        for raw in raws.values():
            if unsized.isdisjoint(raw.chain):
                continue
            for c in raw.chain:
                if c in unsized:
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
