"""The images of a host as a tree: what is built on what, and where the bytes are.

Every node stands for the layers it adds to its parent in the tree:

* an **image node**'s parent is its nearest ancestor by parent links (what
  the classic builder and ``docker commit`` record) among the images shown;
  an image without such an ancestor hangs under the shown image whose layer
  chain is the longest proper prefix of its own (built ``FROM`` it, as
  BuildKit and pulls leave images: no parent link, shared base layers);
  otherwise it is a root;
* a **layers node** stands for layers that several images below it share
  and no shown image ends with — a common base pulled once, or the layers
  of intermediate images hidden without ``all``. Siblings with the same
  layers beyond their parent get one too, so no layer is counted twice.

So each node's ``own_bytes`` are the layers it adds, ``shared_bytes`` the
rest of its chain (an image's ``Size`` = own + shared), and the own bytes of
all nodes add up to the bytes of the distinct layers of the images shown —
with ``all``, every layer an image holds. Sources: the image's ``Parent``
(docs/concepts.md), chain ids (``image.layers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from . import reference as _ref
from .model import Container, Image

if TYPE_CHECKING:
    from .host import Host

__all__ = ["TreeNode", "image_tree", "render_tree"]


@attrs.frozen
class TreeNode:
    """One node: an image (``image`` set) or layers shared below (``image`` ``None``).

    ``layers`` are the chain ids this node adds (base first), ``own_bytes``
    their bytes, ``shared_bytes`` the bytes of the chain below them.
    """

    image: Image | None
    layers: tuple[str, ...]
    own_bytes: int
    shared_bytes: int
    children: tuple[TreeNode, ...]
    tags: tuple[str, ...] = ()
    containers: tuple[Container, ...] = ()
    dangling: bool = False
    intermediate: bool = False

    @property
    def images_below(self) -> int:
        """Image nodes in this subtree, this one included."""
        return (self.image is not None) + sum(child.images_below for child in self.children)

    def walk(self) -> list[TreeNode]:
        """This node and every node below, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": "image" if self.image is not None else "layers",
            "id": self.image.id if self.image is not None else None,
            "tags": list(self.tags),
            "layers": list(self.layers),
            "own_bytes": self.own_bytes,
            "shared_bytes": self.shared_bytes,
            "containers": [{"id": c.id, "name": c.name, "state": c.state} for c in self.containers],
            "dangling": self.dangling,
            "intermediate": self.intermediate,
            "children": [child.to_json() for child in self.children],
        }
        return doc


def _common(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class _Builder:
    def __init__(self, host: Host, all: bool) -> None:
        self.host = host
        self.shown = host.listed_images(all=all)
        self.ids = {image.id for image in self.shown}
        self.sizes = {c: layer.size for c, layer in host.layers.items()}
        self.first_created: dict[str, int] = {}

    def size(self, chain: Sequence[str]) -> int:
        return sum(self.sizes.get(c, 0) for c in chain)

    def parent_of(self, image: Image, by_top: dict[str, list[Image]]) -> Image | None:
        host = self.host
        p = image.parent
        while p is not None and p in host.images and p not in self.ids:
            p = host.images[p].parent
        if p is not None and p in self.ids:
            linked = host.images[p]
            if image.layers[: len(linked.layers)] == linked.layers:
                return linked
        for k in range(len(image.layers) - 2, -1, -1):
            found = by_top.get(image.layers[k])
            if found:
                return found[0]
        return None

    def build(self) -> tuple[TreeNode, ...]:
        by_top: dict[str, list[Image]] = {}
        for image in sorted(self.shown, key=lambda i: (i.created_ns, i.id)):
            if image.layers:
                by_top.setdefault(image.layers[-1], []).append(image)
        kids: dict[str | None, list[Image]] = {}
        for image in self.shown:
            parent = self.parent_of(image, by_top)
            kids.setdefault(parent.id if parent is not None else None, []).append(image)
        self.kids = kids
        return self.group(kids.get(None, []), ())

    def image_node(self, image: Image, start: int) -> TreeNode:
        host = self.host
        below = self.group(self.kids.get(image.id, []), image.layers)
        own = image.layers[start:]
        return TreeNode(
            image=image,
            layers=own,
            own_bytes=self.size(own),
            shared_bytes=self.size(image.layers[:start]),
            children=below,
            tags=tuple(_ref.familiar_string(r) for r in image.references),
            containers=host.users(image.id),
            dangling=host.is_dangling(image),
            intermediate=host.is_intermediate(image),
        )

    def group(self, members: list[Image], base: tuple[str, ...]) -> tuple[TreeNode, ...]:
        """Children of a node whose chain is ``base``: images, and layers nodes for shared parts."""
        return self._group(members, len(base))

    def _group(self, members: list[Image], depth: int) -> tuple[TreeNode, ...]:
        buckets: dict[str | None, list[Image]] = {}
        for image in members:
            key = image.layers[depth] if len(image.layers) > depth else None
            buckets.setdefault(key, []).append(image)
        nodes: list[TreeNode] = []
        for key, bucket in buckets.items():
            if key is None or len(bucket) == 1:
                nodes.extend(self.image_node(image, depth) for image in bucket)
                continue
            end = min(len(image.layers) for image in bucket)
            first = bucket[0].layers
            for image in bucket[1:]:
                end = min(end, _common(first, image.layers))
            layers = first[depth:end]
            nodes.append(
                TreeNode(
                    image=None,
                    layers=layers,
                    own_bytes=self.size(layers),
                    shared_bytes=self.size(first[:depth]),
                    children=self._group(bucket, end),
                )
            )
        return tuple(sorted(nodes, key=_order))


def _order(node: TreeNode) -> tuple[int, str]:
    """Oldest subtree first: the earliest creation time among its images, then id."""
    best: tuple[int, str] | None = None
    for item in node.walk():
        if item.image is not None:
            key = (item.image.created_ns, item.image.id)
            if best is None or key < best:
                best = key
    return best if best is not None else (0, "")


def image_tree(host: Host, all: bool = False) -> tuple[TreeNode, ...]:
    """The roots of the tree of the images ``docker images [-a]`` lists (see the module)."""
    return _Builder(host, all).build()


def _label(node: TreeNode, root: bool) -> str:
    from .render import human_size

    if node.image is None:
        n = len(node.layers)
        return (
            f"[{n} shared layer{'s' if n != 1 else ''}]  {human_size(node.own_bytes)}  "
            f"({node.images_below} images)"
        )
    image = node.image
    names = ", ".join(node.tags) or "<none>"
    size = human_size(node.own_bytes)
    parts = [names, image.short_id, size if root else f"+{size}"]
    if node.shared_bytes:
        parts.append(f"({human_size(node.shared_bytes)} shared)")
    if node.containers:
        states: dict[str, int] = {}
        for c in node.containers:
            states[c.state] = states.get(c.state, 0) + 1
        parts.append(", ".join(f"{n} {state}" for state, n in states.items()))
    if node.dangling:
        parts.append("dangling")
    elif node.intermediate:
        parts.append("intermediate")
    return "  ".join(parts)


def render_tree(roots: Sequence[TreeNode]) -> str:
    """The tree as text: one line per node, ``├──`` / ``└──`` branches, sizes in docker's units."""
    lines: list[str] = []

    def visit(node: TreeNode, prefix: str, last: bool, root: bool) -> None:
        if root:
            lines.append(_label(node, True))
            child_prefix = ""
        else:
            lines.append(prefix + ("└── " if last else "├── ") + _label(node, False))
            child_prefix = prefix + ("    " if last else "│   ")
        for k, child in enumerate(node.children):
            visit(child, child_prefix, k == len(node.children) - 1, False)

    for root in roots:
        visit(root, "", True, True)
    return "".join(line + "\n" for line in lines)
