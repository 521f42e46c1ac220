"""The engine's objects as frozen values: Layer, Image, Container, Volume, BuildCacheRecord.

These are plain immutable values; relations between them (children, which
layers are shared, what a removal frees) live in :class:`dockermodel.Host`.
Constructors that read engine JSON are named ``from_api`` and name the field at
fault on malformed input; ``__init__`` takes typed values only.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Any

import attrs

from . import _fields as f
from ._frozen import FrozenDict, freeze, thaw
from .digest import short_id
from .errors import InvalidPayload
from .reference import Reference

__all__ = [
    "RUNNING_STATES",
    "STATES",
    "BuildCacheRecord",
    "Container",
    "Image",
    "Layer",
    "Volume",
    "parse_timestamp_ns",
]

#: Container states as the engine names them
#: [moby v20.10.24 container/state.go · State.StateString].
STATES = ("created", "running", "paused", "restarting", "removing", "exited", "dead")
#: States whose Running flag is set: ``rm`` needs force, ``rmi`` sees a running
#: container, ``docker ps`` lists them without ``-a``, prune keeps them.
RUNNING_STATES = frozenset({"running", "paused", "restarting"})

_ZULU = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?Z\Z")
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d\d):(\d\d))\Z"
)


def parse_timestamp_ns(text: str, field: str = "Created") -> int:
    """An RFC 3339 time with up to nanosecond precision, as nanoseconds since the epoch.

    >>> parse_timestamp_ns("1970-01-01T00:00:01.5Z")
    1500000000
    """
    if _ZULU.match(text) is not None:
        # the engine's own form (UTC, ASCII digits): sliced, the day cached
        h, mi, sec = int(text[11:13]), int(text[14:16]), int(text[17:19])
        if h <= 23 and mi <= 59 and sec <= 60:
            date = _day_of(text[:10])
            if date is not None:
                seconds = date * 86400 + h * 3600 + mi * 60 + sec
                return seconds * 1_000_000_000 + int(text[20:-1].ljust(9, "0"))
    m = _RFC3339.match(text)
    if m is None:
        raise InvalidPayload(field, f"expected an RFC 3339 time, got {text!r}")
    year, month, day, hour, minute, second = m.group(1, 2, 3, 4, 5, 6)
    try:
        days = _days(int(year), int(month), int(day))
    except ValueError as exc:
        raise InvalidPayload(field, f"invalid time {text!r}: {exc}") from None
    if int(hour) > 23 or int(minute) > 59 or int(second) > 60:
        raise InvalidPayload(field, f"invalid time {text!r}: time of day out of range")
    seconds = days * 86400 + int(hour) * 3600 + int(minute) * 60 + int(second)
    if m.group(8):
        offset = int(m.group(9)) * 3600 + int(m.group(10)) * 60
        seconds -= offset if m.group(8) == "+" else -offset
    if not _FIRST_SECOND <= seconds <= _LAST_SECOND:
        # an offset moved it out of the years 0001-9999, which RFC 3339 (and a
        # snapshot written back) cannot hold
        raise InvalidPayload(field, f"invalid time {text!r}: outside the years 0001-9999 in UTC")
    frac = (m.group(7) or "").ljust(9, "0")
    return seconds * 1_000_000_000 + int(frac)


@functools.lru_cache(maxsize=4096)
def _day_of(text: str) -> int | None:
    """Days from 1970-01-01 to the ``YYYY-MM-DD`` date ``text``; ``None`` if it is no date."""
    try:
        return _days(int(text[:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _days(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to the given date (proleptic Gregorian); ValueError if invalid."""
    return (date(year, month, day) - _EPOCH).days


_EPOCH = date(1970, 1, 1)
#: 0001-01-01T00:00:00Z (Go's zero time) and 9999-12-31T23:59:59Z, in Unix seconds.
_FIRST_SECOND = (date(1, 1, 1) - _EPOCH).days * 86400
_LAST_SECOND = (date(9999, 12, 31) - _EPOCH).days * 86400 + 86399
_CONTAINER_ID = re.compile(r"[0-9a-f]{64}")


@attrs.frozen
class Layer:
    """A read-only layer, identified by its chain id (content plus position).

    ``size`` is the layer's own DiffSize (bytes of the files it adds or
    rewrites); ``parent`` the chain id below it (``None`` at the base).
    Identical content over a different parent is a different layer.
    """

    chain_id: str
    diff_id: str
    parent: str | None
    size: int


@attrs.frozen
class Image:
    """An image: its id, references, parent, creation time, labels and layers.

    ``repo_tags`` and ``repo_digests`` hold normalized references in the
    engine's order (byte order of the fully-qualified strings);
    ``layers`` the chain ids base first; ``size`` the sum of their DiffSizes
    (the engine's ``Size`` — shared layers not subtracted;
    [moby v20.10.24 layer/ro_layer.go · roLayer.Size]).
    """

    id: str
    repo_tags: tuple[Reference, ...]
    repo_digests: tuple[Reference, ...]
    parent: str | None
    created: int
    created_ns: int
    labels: FrozenDict[str] | None
    diff_ids: tuple[str, ...]
    layers: tuple[str, ...]
    size: int

    @property
    def short_id(self) -> str:
        """The 12-hex id ``docker images`` prints."""
        return short_id(self.id)

    @property
    def references(self) -> tuple[Reference, ...]:
        """Every reference (tags and digests) in the engine's order."""
        if not self.repo_digests and len(self.repo_tags) < 2:
            return self.repo_tags
        return tuple(sorted(self.repo_tags + self.repo_digests, key=str))

    @property
    def top_layer(self) -> str:
        """The chain id of the top layer, ``""`` for an image without layers."""
        return self.layers[-1] if self.layers else ""

    def __repr__(self) -> str:
        """A summary: id, references, layer count and size."""
        refs = [r.familiar for r in self.references]
        return (
            f"Image({self.short_id!r}, references={refs!r}, "
            f"layers={len(self.layers)}, size={self.size})"
        )


@attrs.frozen
class Container:
    """A container as ``GET /containers/json?all=1&size=1`` reports it.

    ``image`` is the string it was created with (``Config.Image``), ``image_id``
    the image it runs; ``layers`` the chain ids of the image it was created from
    (kept even after that image is force-deleted) when known.
    ``size_rw`` / ``size_root_fs`` are 0 when the engine left them out.
    Fields the model does not interpret (ports, host config, network settings,
    mounts) are kept frozen in ``extra`` so ``to_api()`` can return them.
    """

    id: str
    names: tuple[str, ...]
    image: str
    image_id: str
    command: str
    created: int
    state: str
    status: str
    size_rw: int = 0
    size_root_fs: int = 0
    labels: FrozenDict[str] = attrs.field(factory=FrozenDict)
    layers: tuple[str, ...] = ()
    extra: FrozenDict[Any] = attrs.field(factory=FrozenDict)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def __repr__(self) -> str:
        """A summary (the unmodelled fields alone can be thousands of characters)."""
        return (
            f"Container({self.short_id!r}, names={list(self.names)!r}, image={self.image!r}, "
            f"state={self.state!r}, status={self.status!r})"
        )

    @property
    def name(self) -> str:
        """The first name without its leading ``/``."""
        return self.names[0].lstrip("/") if self.names else ""

    @property
    def running(self) -> bool:
        """The engine's Running flag: running, paused and restarting."""
        return self.state in RUNNING_STATES

    _MODELED = frozenset(
        {
            "Id",
            "Names",
            "Image",
            "ImageID",
            "Command",
            "Created",
            "State",
            "Status",
            "SizeRw",
            "SizeRootFs",
            "Labels",
        }
    )

    @classmethod
    def from_api(
        cls, item: Any, path: str = "containers[?]", *, layers: tuple[str, ...] = ()
    ) -> Container:
        """One entry of ``GET /containers/json?all=1&size=1`` (API 1.41).

        ``layers``: the chain ids of the image it was created from, when known.
        """
        o = f.obj(item, path)
        state = f.string(o, "State", path)
        if state not in STATES:
            raise InvalidPayload(f"{path}.State", f"unknown container state {state!r}")
        cid = f.string(o, "Id", path)
        if not _CONTAINER_ID.fullmatch(cid):
            raise InvalidPayload(f"{path}.Id", f"expected 64 lowercase hex, got {cid!r}")
        mounts = o.get("Mounts")
        if mounts is not None:  # read by rm -v and apply: an array of objects
            for i, mount in enumerate(f.arr(mounts, f"{path}.Mounts")):
                f.obj(mount, f"{path}.Mounts[{i}]")
        ports = o.get("Ports")
        if ports is not None:  # read by ps's PORTS column: []types.Port
            for i, port in enumerate(f.arr(ports, f"{path}.Ports")):
                p = f.obj(port, f"{path}.Ports[{i}]")
                for key in ("PrivatePort", "PublicPort"):
                    number = f.integer(p, key, f"{path}.Ports[{i}]", 0)
                    if not 0 <= number <= 65535:
                        raise InvalidPayload(
                            f"{path}.Ports[{i}].{key}", f"expected a port number, got {number}"
                        )
                for key in ("Type", "IP"):
                    f.string(p, key, f"{path}.Ports[{i}]", "")
        return cls(
            id=cid,
            names=f.strings(o, "Names", path),
            image=f.string(o, "Image", path),
            image_id=f.string(o, "ImageID", path),
            command=f.string(o, "Command", path, ""),
            created=f.integer(o, "Created", path),
            state=state,
            status=f.string(o, "Status", path, ""),
            size_rw=f.integer(o, "SizeRw", path, 0),
            size_root_fs=f.integer(o, "SizeRootFs", path, 0),
            labels=FrozenDict(f.labels(o, "Labels", path) or {}),
            layers=layers,
            extra=FrozenDict(
                {k: freeze(v, f"{path}.{k}") for k, v in o.items() if k not in cls._MODELED}
            ),
        )

    def to_api(self, image: str | None = None) -> dict[str, Any]:
        """The ``/containers/json?all=1&size=1`` entry; ``image`` overrides ``Image``."""
        doc: dict[str, Any] = {
            "Id": self.id,
            "Names": list(self.names),
            "Image": self.image if image is None else image,
            "ImageID": self.image_id,
            "Command": self.command,
            "Created": self.created,
        }
        extra = thaw(self.extra)
        if "Ports" in extra:
            doc["Ports"] = extra.pop("Ports")
        if self.size_rw:
            doc["SizeRw"] = self.size_rw
        if self.size_root_fs:
            doc["SizeRootFs"] = self.size_root_fs
        doc["Labels"] = dict(self.labels)
        doc["State"] = self.state
        doc["Status"] = self.status
        doc.update(extra)
        return doc


@attrs.frozen
class Volume:
    """A volume as ``/system/df`` reports it (``Size``/``RefCount`` -1 when unknown)."""

    name: str
    driver: str
    mountpoint: str
    size: int
    ref_count: int
    labels: FrozenDict[str] = attrs.field(factory=FrozenDict)
    extra: FrozenDict[Any] = attrs.field(factory=FrozenDict)

    @classmethod
    def from_api(cls, item: Any, path: str = "system_df.Volumes[?]") -> Volume:
        o = f.obj(item, path)
        usage = o.get("UsageData")
        size, refs = -1, -1
        if usage is not None:
            u = f.obj(usage, f"{path}.UsageData")
            size = f.integer(u, "Size", f"{path}.UsageData")
            refs = f.integer(u, "RefCount", f"{path}.UsageData")
        modeled = {"Name", "Driver", "Mountpoint", "UsageData", "Labels"}
        return cls(
            name=f.string(o, "Name", path),
            driver=f.string(o, "Driver", path, ""),
            mountpoint=f.string(o, "Mountpoint", path, ""),
            size=size,
            ref_count=refs,
            labels=FrozenDict(f.labels(o, "Labels", path) or {}),
            extra=FrozenDict(
                {k: freeze(v, f"{path}.{k}") for k, v in o.items() if k not in modeled}
            ),
        )

    def to_api(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "Name": self.name,
            "Driver": self.driver,
            "Mountpoint": self.mountpoint,
            "Labels": dict(self.labels) if self.labels else None,
        }
        doc.update(thaw(self.extra))
        doc["UsageData"] = (
            None
            if self.size == -1 and self.ref_count == -1
            else {"Size": self.size, "RefCount": self.ref_count}
        )
        return doc


@attrs.frozen
class BuildCacheRecord:
    """A BuildKit cache record of ``/system/df`` (classic-builder cache is intermediate images).

    ``parents`` are the ids of the records this one was made on (API 1.42+
    lists them under the key ``" Parents"``, with a leading space, and leaves
    the key out when there are none); ``parent`` is the single ``Parent`` of
    older API versions. Whether an empty ``parents`` means "none" or "not
    reported" depends on the API version the record was read at
    (:meth:`dockermodel.profiles.Profile.cache_parents_known`).
    [moby v28.5.2 api/types/build/cache.go · CacheRecord]
    """

    id: str
    type: str
    description: str
    in_use: bool
    shared: bool
    size: int
    created_at: str
    last_used_at: str | None
    usage_count: int
    parent: str = ""
    extra: FrozenDict[Any] = attrs.field(factory=FrozenDict)
    parents: tuple[str, ...] = attrs.field(default=(), kw_only=True)

    @classmethod
    def from_api(cls, item: Any, path: str = "system_df.BuildCache[?]") -> BuildCacheRecord:
        o = f.obj(item, path)
        modeled = {
            "ID",
            "Type",
            "Description",
            "InUse",
            "Shared",
            "Size",
            "CreatedAt",
            "LastUsedAt",
            "UsageCount",
            "Parent",
            " Parents",
        }
        created_at = f.string(o, "CreatedAt", path, "")
        last_used_at = f.opt_string(o, "LastUsedAt", path)
        for key, stamp in (("CreatedAt", created_at), ("LastUsedAt", last_used_at)):
            if stamp:  # ``docker system df -v`` sorts and ages records by them
                parse_timestamp_ns(stamp, f"{path}.{key}")
        return cls(
            id=f.string(o, "ID", path),
            type=f.string(o, "Type", path, ""),
            description=f.string(o, "Description", path, ""),
            in_use=f.boolean(o, "InUse", path, False),
            shared=f.boolean(o, "Shared", path, False),
            size=f.integer(o, "Size", path, 0),
            created_at=created_at,
            last_used_at=last_used_at,
            usage_count=f.integer(o, "UsageCount", path, 0),
            parent=f.string(o, "Parent", path, ""),
            extra=FrozenDict(
                {k: freeze(v, f"{path}.{k}") for k, v in o.items() if k not in modeled}
            ),
            parents=f.strings(o, " Parents", path),
        )

    def to_api(self) -> dict[str, Any]:
        """The record with every field the model keeps (``Parent`` always, ``" Parents"`` if any).

        ``/system/df`` documents shape it per API version
        (:meth:`dockermodel.profiles.Profile.df_build_cache`).
        """
        doc: dict[str, Any] = {
            "ID": self.id,
            "Parent": self.parent,
        }
        if self.parents:
            doc[" Parents"] = list(self.parents)
        doc.update(
            {
                "Type": self.type,
                "Description": self.description,
                "InUse": self.in_use,
                "Shared": self.shared,
                "Size": self.size,
                "CreatedAt": self.created_at,
                "LastUsedAt": self.last_used_at,
                "UsageCount": self.usage_count,
            }
        )
        doc.update(thaw(self.extra))
        return doc
