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

    def __init__(self, start: int = T0, engine_version: str = "20.10.24+dfsg1") -> None:
        self.engine_version = engine_version
        self.clock = start
        self.counter = 0
        # id -> dict(parent, diff_ids, sizes, created, labels, history)
        self.images: dict[str, dict[str, Any]] = {}
        self.refs: dict[str, str] = {}  # canonical reference -> image id
        self.containers: list[dict[str, Any]] = []

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
                 "Tags": None, "Size": h["Size"], "Comment": ""}
                for h in reversed(img["history"])
            ]
        containers = sorted(self.containers, key=lambda c: -c["Created"])
        return {
            "images_all": summaries,
            "image_inspect": inspect,
            "image_history": history,
            "containers": containers,
            "version": {"Version": self.engine_version, "ApiVersion": "1.41"},
        }

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
