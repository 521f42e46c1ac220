"""Synthetic engine payloads shaped like a classic-builder build host.

``synthetic_payloads(images, containers, seed)`` returns the payload document
:meth:`dockermodel.Host.from_api` takes (``images_all``, ``image_inspect``,
``image_history``, ``containers``), with the engine's own conventions: every
build step is an image whose parent is the previous step, a step adds one
layer or none (metadata steps), ``Size`` is the chain's sum, histories list
one entry per step newest first, ~70% of the leaf images are tagged, and
containers (created, exited, running) use random images.

The shape does not depend on the size: each image is built ``FROM`` a recent
image of a depth drawn uniformly (chains 1 to ``max_depth`` steps, about 12.4
layers on average), so 10 times the images is 10 times the layer references,
the layers and the containers. 10,000 images hold about 124,000 layer
references.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

__all__ = ["synthetic_payloads"]


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _chain_id(parent: str, diff: str) -> str:
    if not parent:
        return diff
    return "sha256:" + hashlib.sha256(f"{parent} {diff}".encode()).hexdigest()


def synthetic_payloads(
    images: int = 10_000, containers: int = 2_000, seed: int = 1, max_depth: int = 31
) -> dict[str, Any]:
    """A payload document with ``images`` images and ``containers`` containers."""
    rng = random.Random(seed)
    t0 = 1_700_000_000
    summaries: list[dict[str, Any]] = []
    inspect: dict[str, Any] = {}
    history: dict[str, Any] = {}
    # per image: (id, diff_ids, size, history entries oldest first, depth)
    built: list[tuple[str, list[str], int, list[dict[str, Any]], int]] = []
    # the images of each depth (steps), most recent last
    by_depth: list[list[tuple[str, list[str], int, list[dict[str, Any]], int]]] = [
        [] for _ in range(max_depth + 1)
    ]
    leaves: set[str] = set()
    for i in range(images):
        created = t0 + i
        # the depth this image gets; its parent is a recent image one step
        # shallower (the deepest there is, while the host is young)
        below = rng.randint(0, max_depth - 1) if rng.random() >= 0.01 else 0
        while below and not by_depth[below]:
            below -= 1
        if below == 0:
            parent = None
            diffs: list[str] = []
            size = 0
            hist: list[dict[str, Any]] = []
            depth = 0
        else:
            p = rng.choice(by_depth[below][-40:])
            parent = p[0]
            diffs, size, hist, depth = list(p[1]), p[2], list(p[3]), p[4]
            leaves.discard(parent)
        image_id = "sha256:" + _hex(rng)
        if parent is None or rng.random() < 0.8:
            layer_size = rng.randrange(1, 5_000_000) if rng.random() < 0.95 else 0
            diffs.append("sha256:" + _hex(rng))
            size += layer_size
            hist.append({"Created": created, "CreatedBy": f"/bin/sh -c #(nop) COPY file:{i}",
                         "Size": layer_size})
        else:
            hist.append({"Created": created, "CreatedBy": f"/bin/sh -c #(nop)  LABEL step={i}",
                         "Size": 0})
        depth += 1
        entry = (image_id, diffs, size, hist, depth)
        built.append(entry)
        by_depth[depth].append(entry)
        leaves.add(image_id)
        summaries.append({
            "Containers": -1,
            "Created": created,
            "Id": image_id,
            "Labels": {"step": str(i)} if i % 3 else None,
            "ParentId": parent or "",
            "RepoDigests": None,
            "RepoTags": None,
            "SharedSize": -1,
            "Size": size,
            "VirtualSize": size,
        })
        stamp = f"2023-11-14T22:{(i // 60) % 60:02d}:{i % 60:02d}.{i:09d}Z"
        inspect[image_id] = {
            "Id": image_id,
            "Parent": parent or "",
            "Created": stamp,
            "Size": size,
            "RootFS": {"Type": "layers", "Layers": diffs},
        }
        history[image_id] = [
            {"Id": "<missing>", "Created": h["Created"], "CreatedBy": h["CreatedBy"],
             "Tags": None, "Size": h["Size"], "Comment": ""}
            for h in reversed(hist)
        ]
    # tag ~70% of the leaves, in a few repositories
    by_id = {s["Id"]: s for s in summaries}
    for n, leaf in enumerate(sorted(leaves)):
        if rng.random() < 0.7:
            by_id[leaf]["RepoTags"] = [f"app{n % 97}:v{n}"]
    # untagged images (intermediates and dangling leaves) carry the 20.10 markers
    for s in summaries:
        if s["RepoTags"] is None:
            s["RepoTags"] = ["<none>:<none>"]
            s["RepoDigests"] = ["<none>@<none>"]
    ids = [b[0] for b in built]
    sizes = {b[0]: b[2] for b in built}
    container_docs: list[dict[str, Any]] = []
    states = ["created", "exited", "running"]
    for j in range(containers):
        image_id = rng.choice(ids)
        state = states[j % 3]
        status = {"created": "Created", "exited": "Exited (0) 2 hours ago", "running": "Up 2 hours"}
        rw = rng.randrange(0, 20_000) if state != "created" else 0
        doc: dict[str, Any] = {
            "Id": _hex(rng),
            "Names": [f"/c{j}"],
            "Image": image_id,
            "ImageID": image_id,
            "Command": "/bin/busybox sleep 1000",
            "Created": t0 + images + j,
            "Ports": [],
            "Labels": {},
            "State": state,
            "Status": status[state],
            "HostConfig": {"NetworkMode": "none"},
            "NetworkSettings": {"Networks": {}},
            "Mounts": [],
        }
        if rw:
            doc["SizeRw"] = rw
        if sizes[image_id] + rw:
            doc["SizeRootFs"] = sizes[image_id] + rw
        container_docs.append(doc)
    container_docs.reverse()  # newest first, as the engine lists them
    return {
        "images_all": list(reversed(summaries)),
        "image_inspect": inspect,
        "image_history": history,
        "containers": container_docs,
    }
