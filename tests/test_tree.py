"""``dockermodel.tree``: the images as a tree of what is built on what.

Exact trees on the demo host and on hand-built hosts (classic-builder parent
links; link-less images that share base layers, as BuildKit and pulls leave
them); properties over random hosts: every listed image appears once, an
image's own and shared bytes make its size, and the own bytes of all nodes
are the distinct layers' bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostbuilder import HostBuilder
from test_removal import PROPERTY, hosts

from dockermodel import Host
from dockermodel.cli import load_demo
from dockermodel.tree import TreeNode, image_tree, render_tree

DEMO_TREE = """\
base:1.0  86c2ae2ab32a  1.982MB
├── web:1.0, web:latest  3e00b616b013  +130kB  (1.982MB shared)  1 running
├── worker:1.0  9228cd4dbc58  +50kB  (1.982MB shared)  1 exited
├── <none>  a7eccb50c3ea  +20kB  (1.982MB shared)  dangling
└── api:dev  52e99ae3860e  +20kB  (1.982MB shared)
"""

DEMO_TREE_ALL = """\
<none>  2c6aee8658dd  1.982MB  intermediate
└── base:1.0  86c2ae2ab32a  +0B  (1.982MB shared)
    ├── <none>  09e418dd59c8  +100kB  (1.982MB shared)  intermediate
    │   └── <none>  24e3faecdfab  +0B  (2.082MB shared)  intermediate
    │       └── web:1.0, web:latest  3e00b616b013  +30kB  (2.082MB shared)  1 running
    ├── <none>  ad7357210212  +50kB  (1.982MB shared)  intermediate
    │   └── worker:1.0  9228cd4dbc58  +0B  (2.032MB shared)  1 exited
    ├── <none>  a7eccb50c3ea  +20kB  (1.982MB shared)  dangling
    └── api:dev  52e99ae3860e  +20kB  (1.982MB shared)
"""


@pytest.mark.parametrize(("all_images", "expected"), [(False, DEMO_TREE), (True, DEMO_TREE_ALL)])
def test_demo_tree(all_images: bool, expected: str) -> None:
    assert render_tree(image_tree(load_demo(), all=all_images)) == expected


def _strip_links(payloads: dict[str, Any]) -> dict[str, Any]:
    """The same images without parent links, as BuildKit builds and pulls leave them."""
    for summary in payloads["images_all"]:
        summary["ParentId"] = ""
    for doc in payloads["image_inspect"].values():
        doc["Parent"] = ""
    return payloads


def test_images_without_links_hang_on_shared_base_layers() -> None:
    # GIVEN two images on one base layer nobody tagged, and a third built FROM one of them
    b = HostBuilder()
    (base,) = b.build([1000])
    (a,) = b.build([10], base=base, tag="a:1")
    (c,) = b.build([20], base=base, tag="c:1")
    (d,) = b.build([5], base=a, tag="d:1")
    (lone,) = b.build([7], tag="lone:1")
    host = Host.from_api(_strip_links(b.payloads()))
    # WHEN the tree is built (the untagged base is not listed: without links it is dangling)
    roots = image_tree(host)
    text = render_tree(roots)
    # THEN the base image stays a node of its own (dangling), a and c under it by layers,
    # d under a (its chain extends a's), lone alone
    assert text == (
        f"<none>  {base[7:19]}  1kB  dangling\n"
        f"├── a:1  {a[7:19]}  +10B  (1kB shared)\n"
        f"│   └── d:1  {d[7:19]}  +5B  (1.01kB shared)\n"
        f"└── c:1  {c[7:19]}  +20B  (1kB shared)\n"
        f"lone:1  {lone[7:19]}  7B\n"
    )


def test_shared_layers_without_an_image_get_a_layers_node() -> None:
    # GIVEN two link-less images on the same two base layers, and no image ending there
    b = HostBuilder()
    base = b.build([1000, 500])[-1]
    (a,) = b.build([10], base=base, tag="a:1")
    (c,) = b.build([20], base=base, tag="c:1")
    payloads = _strip_links(b.payloads())
    del payloads["images_all"][-2:]  # drop the two base steps
    for image_id in list(payloads["image_inspect"]):
        if image_id not in (a, c):
            del payloads["image_inspect"][image_id]
            del payloads["image_history"][image_id]
    host = Host.from_api(payloads)
    roots = image_tree(host)
    # THEN one layers node holds the 1.5 kB both share; each image adds its own layer
    assert render_tree(roots) == (
        "[2 shared layers]  1.5kB  (2 images)\n"
        f"├── a:1  {a[7:19]}  +10B  (1.5kB shared)\n"
        f"└── c:1  {c[7:19]}  +20B  (1.5kB shared)\n"
    )
    assert roots[0].image is None and roots[0].layers == tuple(host.images[a].layers[:2])


def test_tree_json() -> None:
    roots = image_tree(load_demo())
    doc = roots[0].to_json()
    assert doc["tags"] == ["base:1.0"] and doc["own_bytes"] == 1982256
    assert [c["tags"] for c in doc["children"]] == [
        ["web:1.0", "web:latest"], ["worker:1.0"], [], ["api:dev"]]
    assert doc["children"][0]["containers"][0]["state"] == "running"


def _nodes(roots: tuple[TreeNode, ...]) -> list[TreeNode]:
    return [node for root in roots for node in root.walk()]


@PROPERTY
@given(hosts(), st.booleans(), st.booleans())
def test_tree_accounts_for_every_listed_image_and_byte(host: Host, all_images: bool,
                                                       links: bool) -> None:
    if not links:
        host = Host.from_api(_strip_links(host.to_payloads()))
    roots = image_tree(host, all=all_images)
    nodes = _nodes(roots)
    shown = host.listed_images(all=all_images)
    image_nodes = [n for n in nodes if n.image is not None]
    # every listed image once
    assert sorted(n.image.id for n in image_nodes if n.image) == sorted(i.id for i in shown)
    # own + shared = the image's size
    for node in image_nodes:
        assert node.image is not None
        assert node.own_bytes + node.shared_bytes == node.image.size
    # own bytes add up to the distinct layers of the shown images, each counted once
    distinct = {c for image in shown for c in image.layers}
    assert sum(n.own_bytes for n in nodes) == sum(host.layers[c].size for c in distinct)
    owned = [c for n in nodes for c in n.layers]
    assert len(owned) == len(set(owned)) and set(owned) == distinct
    # a layers node always stands for layers two or more images share
    for node in nodes:
        if node.image is None:
            assert node.images_below >= 2 and node.layers
