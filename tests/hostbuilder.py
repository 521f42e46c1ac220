"""Realistic classic-builder payload documents for offline tests.

:class:`HostBuilder` records what a classic-builder engine would hold and
renders the payload document :meth:`dockermodel.Host.from_api` takes
(``images_all``, ``image_inspect``, ``image_history``, ``containers``),
with the engine's conventions:

* every build step is an image whose parent is the previous step; a step
  adds one layer (``size`` bytes) or none (a metadata step, ``None``);
  ``Size`` is the chain's sum; the history lists one entry per step, newest
  first;
* untagged images have ``RepoTags ["<none>:<none>"]`` and ``RepoDigests
  ["<none>@<none>"]`` in ``/images/json?all=1``; built images have no
  digests unless :meth:`HostBuilder.digest` adds one;
* containers are listed newest first with the string they were created from.

Ids are derived from a counter, so a builder run is deterministic; pass
``image_id=`` to pin one (for prefix-lookup cases).
"""

from __future__ import annotations

import hashlib
from typing import Any

from dockermodel import Host
from dockermodel import reference as _ref
from dockermodel.digest import chain_ids

__all__ = ["HostBuilder", "hexid"]

T0 = 1_700_000_000


def hexid(seed: str) -> str:
    """64 hex characters derived from ``seed``."""
    return hashlib.sha256(seed.encode()).hexdigest()


class HostBuilder:
    """A mutable recorder of images, references and containers."""

    def __init__(
        self, start: int = T0, engine_version: str = "20.10.24+dfsg1", api_version: str = "1.41"
    ) -> None:
        self.engine_version = engine_version
        self.api_version = api_version
        self.clock = start
        self.counter = 0
        # id -> dict(parent, diff_ids, sizes, created, labels, history)
        self.images: dict[str, dict[str, Any]] = {}
        self.refs: dict[str, str] = {}  # canonical reference -> image id
        self.containers: list[dict[str, Any]] = []
        # BuildKit cache records: id -> dict(parent, chain (chain id or None), size,
        # description, type, in_use); None: no /system/df body
        self.records: dict[str, dict[str, Any]] | None = None

    # -- images ------------------------------------------------------------

    def _tick(self) -> int:
        self.clock += 1
        return self.clock

    def image(
        self,
        parent: str | None = None,
        size: int | None = None,
        *,
        labels: dict[str, str] | None = None,
        image_id: str | None = None,
        created_by: str | None = None,
    ) -> str:
        """One build step on ``parent``: a layer of ``size`` bytes, or none when ``None``."""
        self.counter += 1
        iid = "sha256:" + (image_id or hexid(f"image-{self.counter}"))
        base = self.images[parent] if parent is not None else None
        diff_ids = list(base["diff_ids"]) if base else []
        sizes = list(base["sizes"]) if base else []
        history = list(base["history"]) if base else []
        merged = dict(base["labels"] or {}) if base else {}
        merged.update(labels or {})
        created = self._tick()
        if size is not None:
            diff_ids.append("sha256:" + hexid(f"diff-{self.counter}"))
            sizes.append(size)
        step = created_by or (
            f"/bin/sh -c #(nop) COPY file:{self.counter} in / " if size is not None
            else f"/bin/sh -c #(nop)  LABEL step={self.counter}"
        )
        history.append({"Created": created, "CreatedBy": step,
                        "Size": size if size is not None else 0})
        self.images[iid] = {
            "parent": parent,
            "diff_ids": diff_ids,
            "sizes": sizes,
            "created": created,
            "labels": merged or None,
            "history": history,
        }
        return iid

    def build(
        self,
        steps: list[int | None],
        base: str | None = None,
        tag: str | list[str] | None = None,
        *,
        labels: dict[str, str] | None = None,
    ) -> list[str]:
        """A classic build: one image per step on ``base``; the last one gets ``tag``.

        Returns every image made, the final one last.
        """
        made = []
        parent = base
        for k, size in enumerate(steps):
            last = k == len(steps) - 1
            parent = self.image(parent, size, labels=labels if last else None)
            made.append(parent)
        tags = [tag] if isinstance(tag, str) else list(tag or [])
        for t in tags:
            self.tag(made[-1], t)
        return made

    def buildkit(
        self,
        steps: list[int | None],
        base: str | None = None,
        tag: str | None = None,
        *,
        context: int | None = 2048,
    ) -> str:
        """A BuildKit build: one image (no parent, no intermediates) and its cache records.

        ``steps`` as for :meth:`build`; ``base`` an image to build ``FROM``
        (one ``from local`` record of size 0 per base layer, each on the one
        below). Each layer step adds a record of the layer's size on the
        record below; identical steps on an identical chain hit the cache
        (the record is reused). ``context`` adds a context record of that
        size (``None``: none). Returns the image id.
        """
        if self.records is None:
            self.records = {}
        self.counter += 1
        base_img = self.images[base] if base is not None else None
        diff_ids = list(base_img["diff_ids"]) if base_img else []
        sizes = list(base_img["sizes"]) if base_img else []
        history = list(base_img["history"]) if base_img else []
        parent_record: str | None = None
        chain: list[str] = []
        for k in range(len(diff_ids)):
            chain = list(chain_ids(diff_ids[: k + 1]))
            parent_record = self._record(
                ("local", chain[-1]), parent_record, chain[-1], 0, "from local " + (base or "")
            )
        created = self._tick()
        for n, size in enumerate(steps):
            if size is None:
                history.append({"Created": created, "CreatedBy": f"LABEL s{self.counter}.{n}=1",
                                "Size": 0, "Comment": "buildkit.dockerfile.v0"})
                continue
            seed = f"bkdiff-{size}-{n}-{len(diff_ids)}-{diff_ids[-1] if diff_ids else ''}"
            diff_ids.append("sha256:" + hexid(seed))
            sizes.append(size)
            top = list(chain_ids(diff_ids))[-1]
            parent_record = self._record(
                ("step", top), parent_record, top, size, f"[{n + 1}/{len(steps)}] COPY s{n} /s{n}"
            )
            history.append({"Created": created, "CreatedBy": f"COPY s{n} /s{n} # buildkit",
                            "Size": size, "Comment": "buildkit.dockerfile.v0"})
        if context is not None:
            self._record(("context", str(self.counter)), None, None, context, "copy /context /")
        iid = "sha256:" + hexid(f"bkimage-{self.counter}-{diff_ids}")
        self.images[iid] = {
            "parent": None,
            "diff_ids": diff_ids,
            "sizes": sizes,
            "created": created,
            "labels": None,
            "history": history,
        }
        if tag is not None:
            self.tag(iid, tag)
        return iid

    def _record(
        self, key: tuple[str, str], parent: str | None, chain: str | None, size: int,
        description: str, kind: str = "regular",
    ) -> str:
        assert self.records is not None
        rid = hexid("record-" + "-".join(key))[:25]
        if rid not in self.records:
            self.records[rid] = {"parent": parent, "chain": chain, "size": size,
                                 "description": description, "type": kind, "in_use": False,
                                 "created": self._tick()}
        return rid

    def cache_record(
        self, size: int, *, parent: str | None = None, kind: str = "regular",
        description: str = "", in_use: bool = False,
    ) -> str:
        """A record that holds no image layer (a context, a cache mount, an internal one)."""
        if self.records is None:
            self.records = {}
        self.counter += 1
        rid = self._record(("other", str(self.counter)), parent, None, size,
                           description or f"record {self.counter}", kind)
        self.records[rid]["in_use"] = in_use
        return rid

    def held_layers(self) -> set[str]:
        """Chain ids the cache records hold (the truth the model can only bound)."""
        held: set[str] = set()
        for record in (self.records or {}).values():
            if record["chain"] is not None:
                held.add(record["chain"])
        return held

    def shared_records(self) -> set[str]:
        """``Shared``: the record's layer chain is a prefix of an image's, or a child is shared."""
        records = self.records or {}
        prefixes = set()
        for img in self.images.values():
            prefixes.update(chain_ids(img["diff_ids"]))
        shared: set[str] = set()
        for rid, record in records.items():
            if record["chain"] in prefixes:
                current: str | None = rid
                while current is not None and current not in shared:
                    shared.add(current)
                    current = records[current]["parent"]
        return shared

    def prune_records(self, ids: set[str]) -> None:
        """Drop build-cache records (what ``builder prune`` did)."""
        assert self.records is not None
        for rid in ids:
            del self.records[rid]

    def remove_image(self, image_id: str) -> None:
        """Drop an image and its references (what ``rmi`` did)."""
        del self.images[image_id]
        for ref in [r for r, i in self.refs.items() if i == image_id]:
            del self.refs[ref]

    def tag(self, image_id: str, ref: str) -> None:
        """``docker tag``: the reference (``name`` means ``name:latest``) moves to ``image_id``."""
        self.refs[str(_ref.tag_name_only(_ref.parse_normalized_named(ref)))] = image_id

    def digest(self, image_id: str, repo: str, seed: str = "") -> str:
        """Add a digest reference ``repo@sha256:…`` (as a pull would); returns it familiar."""
        named = _ref.parse_normalized_named(repo)
        ref = f"{named.name}@sha256:{hexid('digest-' + repo + seed + image_id)}"
        self.refs[ref] = image_id
        return _ref.familiar_string(_ref.parse_normalized_named(ref))

    def untag(self, ref: str) -> None:
        del self.refs[str(_ref.tag_name_only(_ref.parse_normalized_named(ref)))]

    # -- containers ----------------------------------------------------------

    def container(
        self,
        image: str,
        state: str = "exited",
        *,
        name: str | None = None,
        size_rw: int = 0,
        labels: dict[str, str] | None = None,
        volumes: list[str] | None = None,
        container_id: str | None = None,
        image_id: str | None = None,
    ) -> str:
        """A container created from ``image`` (a reference or an id) in ``state``."""
        self.counter += 1
        cid = container_id or hexid(f"container-{self.counter}")
        if image_id is None:
            image_id = self.resolve(image)
        mounts = [
            {"Type": "volume", "Name": v, "Source": f"/var/lib/docker/volumes/{v}/_data",
             "Destination": f"/data{k}", "Driver": "local", "Mode": "", "RW": True,
             "Propagation": ""}
            for k, v in enumerate(volumes or [])
        ]
        status = {
            "created": "Created", "running": "Up 2 seconds", "paused": "Up 2 seconds (Paused)",
            "restarting": "Restarting (1) 1 second ago", "exited": "Exited (0) 2 seconds ago",
            "dead": "Dead", "removing": "Removal In Progress",
        }[state]
        self.containers.append({
            "Id": cid,
            "Names": ["/" + (name or f"c{self.counter}")],
            "Image": image,
            "ImageID": image_id,
            "Command": "/bin/busybox true",
            "Created": self._tick(),
            "Ports": [],
            **({"SizeRw": size_rw} if size_rw else {}),
            "Labels": dict(labels or {}),
            "State": state,
            "Status": status,
            "HostConfig": {"NetworkMode": "none"},
            "NetworkSettings": {"Networks": {}},
            "Mounts": mounts,
        })
        return cid

    def resolve(self, name: str) -> str:
        if name.startswith("sha256:") and name in self.images:
            return name
        key = str(_ref.tag_name_only(_ref.parse_normalized_named(name)))
        return self.refs[key]

    # -- output --------------------------------------------------------------

    def payloads(self) -> dict[str, Any]:
        by_image: dict[str, list[str]] = {}
        for ref, iid in self.refs.items():
            by_image.setdefault(iid, []).append(ref)
        summaries = []
        inspect: dict[str, Any] = {}
        history: dict[str, Any] = {}
        for iid, img in sorted(self.images.items(), key=lambda kv: -kv[1]["created"]):
            refs = sorted(by_image.get(iid, []))
            familiar = [_ref.familiar_string(_ref.parse_normalized_named(r)) for r in refs]
            tags = [f for f, r in zip(familiar, refs, strict=True) if "@" not in r]
            digests = [f for f, r in zip(familiar, refs, strict=True) if "@" in r]
            size = sum(img["sizes"])
            summaries.append({
                "Containers": -1,
                "Created": img["created"],
                "Id": iid,
                "Labels": img["labels"],
                "ParentId": img["parent"] or "",
                "RepoDigests": digests or (["<none>@<none>"] if not refs else None),
                "RepoTags": tags or (["<none>:<none>"] if not refs else None),
                "SharedSize": -1,
                "Size": size,
                "VirtualSize": size,
            })
            inspect[iid] = {
                "Id": iid,
                "RepoTags": tags,
                "RepoDigests": digests,
                "Parent": img["parent"] or "",
                "Created": _rfc3339(img["created"]),
                "Size": size,
                "VirtualSize": size,
                "RootFS": {"Type": "layers", "Layers": list(img["diff_ids"])}
                if img["diff_ids"] else {"Type": "layers"},
            }
            history[iid] = [
                {"Id": "<missing>", "Created": h["Created"], "CreatedBy": h["CreatedBy"],
                 "Tags": None, "Size": h["Size"], "Comment": h.get("Comment", "")}
                for h in reversed(img["history"])
            ]
        containers = sorted(self.containers, key=lambda c: -c["Created"])
        api = int(self.api_version.partition(".")[2])
        for entry in summaries:
            if api >= 43:
                entry["RepoTags"] = [t for t in entry["RepoTags"] or [] if t != "<none>:<none>"]
                entry["RepoDigests"] = [
                    d for d in entry["RepoDigests"] or [] if d != "<none>@<none>"
                ]
            if api >= 44:
                del entry["VirtualSize"]
        doc: dict[str, Any] = {
            "images_all": summaries,
            "image_inspect": inspect,
            "image_history": history,
            "containers": containers,
            "version": {"Version": self.engine_version, "ApiVersion": self.api_version},
        }
        if self.records is not None:
            doc["system_df"] = {"Volumes": [], "BuildCache": self.cache_payload(api)}
        return doc

    def cache_payload(self, api: int) -> list[dict[str, Any]]:
        """``/system/df`` ``BuildCache`` in the engine's shape at API ``1.<api>``."""
        shared = self.shared_records()
        out = []
        for rid, record in (self.records or {}).items():
            entry: dict[str, Any] = {"ID": rid}
            if api >= 42 and record["parent"] is not None:
                entry[" Parents"] = [record["parent"]]
            entry.update({
                "Type": record["type"],
                "Description": record["description"],
                "InUse": record["in_use"],
                "Shared": rid in shared,
                "Size": record["size"],
                "CreatedAt": _rfc3339(record["created"]),
                "LastUsedAt": _rfc3339(record["created"]),
                "UsageCount": 1,
            })
            out.append(entry)
        return out

    def host(self) -> Host:
        return Host.from_api(self.payloads())

    def chain(self, image_id: str) -> list[str]:
        """The chain ids of ``image_id``, base first."""
        return list(chain_ids(self.images[image_id]["diff_ids"]))


def _rfc3339(seconds: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + (
        ".123456789Z"
    )
