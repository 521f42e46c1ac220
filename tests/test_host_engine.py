"""The host graph against a real engine: the model's answers equal the engine's.

A throwaway Engine 20.10.24 (tests/enginekit.py) is given a state with shared
layers, the same file on different parents, intermediate images, tags in
several repositories, an untagged (dangling) image, a real zero-size layer and
containers created / exited / running; then every figure of
``from_docker(client).disk_usage().to_api()`` is compared with GET
/system/df, and ``list_images`` with GET /images/json (default, ``all``,
``dangling``, filters), field by field. Same-second images come out of the
engine in arbitrary order, so lists are compared as sequences of
same-second groups.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dockermodel import Host, NotFound
from dockermodel.engine import from_docker, read_payloads

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def state(engine: Any) -> dict[str, str]:
    ids: dict[str, str] = {}
    files = {
        "f1": b"1" * 100_000,
        "f2": b"2" * 30_000,
        "f3": b"3" * 4_096,
        "f4": b"4" * 777,
    }
    ids["base"] = engine.build(["ENV A=1"], tag="base:1")
    ids["app"] = engine.build(
        ["COPY f1 /f1", "LABEL team=web", 'RUN ["/bin/busybox", "true"]', "COPY f2 /f2"],
        files, tag=["app:1", "app:2", "app:10", "zzz/app:1", "localhost:5000/app:1"],
        base="base:1",
    )
    # the same file on a different parent is a different layer
    ids["other"] = engine.build(["COPY f3 /f3", "LABEL tier=db"], files, tag="other:1",
                                base="base:1")
    ids["same"] = engine.build(["COPY f3 /f3"], files, tag="same:1", base="app:1")
    # a real layer of size 0 and an empty RUN
    ids["mkdir"] = engine.build(['RUN ["/bin/busybox", "mkdir", "/d"]', "COPY f4 /f4"], files,
                                tag="mkdir:1", base="base:1")
    # an image that loses its tag: dangling
    ids["old"] = engine.build(["COPY f4 /old"], files, tag="moving:1", base="other:1")
    engine.tag(ids["same"], "moving:1")
    ids["created"] = engine.create("app:1", name="made")
    ids["exited"] = engine.run("other:1", ("/bin/busybox", "sh", "-c", "echo hi > /x"),
                               name="done")
    ids["running"] = engine.create("mkdir:1", name="web", start=True)
    ids["by_id"] = engine.create(ids["old"][7:19], name="byid")
    return ids


def groups(images: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Created-descending groups of same-second images, each sorted by id."""
    return [sorted(g, key=lambda i: i["Id"])
            for _, g in itertools.groupby(images, key=lambda i: i["Created"])]


def test_system_df_equals_the_engine(engine: Any, state: dict[str, str]) -> None:
    host = from_docker(engine.client)
    ours = host.disk_usage().to_api()
    theirs = engine.api.df()
    assert ours["LayersSize"] == theirs["LayersSize"]
    assert groups(ours["Images"]) == groups(theirs["Images"])
    assert ours["Containers"] == theirs["Containers"]
    assert ours["Volumes"] == theirs["Volumes"]
    assert ours["BuildCache"] == theirs["BuildCache"]
    assert ours == {**theirs, "Images": ours["Images"]}


@pytest.mark.parametrize(
    ("all", "filters"),
    [
        (False, None),
        (True, None),
        (False, {"dangling": ["true"]}),
        (True, {"dangling": ["false"]}),
        (False, {"reference": ["app"]}),
        (False, {"reference": ["*/app", "mo*"]}),
        (True, {"label": ["team"]}),
        (True, {"label": ["team=web", "tier"]}),
        (False, {"since": ["base:1"]}),
        (True, {"before": ["other:1"]}),
    ],
)
def test_list_images_equals_the_engine(
    engine: Any, state: dict[str, str], all: bool, filters: dict[str, list[str]] | None
) -> None:
    host = from_docker(engine.client)
    ours = host.list_images(all=all, filters=filters)
    theirs = engine.api.images(all=all, filters=filters)
    assert groups(ours) == groups(theirs)


def test_layer_sizes_and_chain_ids_are_the_engines(engine: Any, state: dict[str, str]) -> None:
    host = from_docker(engine.client)
    # every layer the model knows is in the layer store under its chain id
    assert set(host.layers) <= engine.layerdb_chain_ids()
    layerdb = engine.root / "image" / "overlay2" / "layerdb" / "sha256"
    for chain_id, layer in host.layers.items():
        assert int((layerdb / chain_id[7:] / "size").read_text()) == layer.size, chain_id
    app = host.images[state["app"]]
    assert [host.layers[c].size for c in app.layers] == [1_982_256, 100_000, 30_000]
    mkdir = host.images[state["mkdir"]]
    assert [host.layers[c].size for c in mkdir.layers] == [1_982_256, 0, 777]
    # f3 over base and f3 over app: one DiffID, two layers
    other, same = host.images[state["other"]], host.images[state["same"]]
    assert other.diff_ids[-1] == same.diff_ids[-1]
    assert other.layers[-1] != same.layers[-1]


def test_sizes_without_any_history_are_the_same(engine: Any, state: dict[str, str]) -> None:
    payloads = read_payloads(engine.client)
    full = Host.from_api(payloads)
    lean = Host.from_api({**payloads, "image_history": {}})
    assert lean.layers == full.layers
    assert lean.images == full.images


def test_lookup_matches_the_engine(engine: Any, state: dict[str, str]) -> None:
    host = from_docker(engine.client)
    names = ["app", "app:10", "zzz/app:1", "docker.io/library/app:2", "localhost:5000/app:1",
             state["app"], state["app"][7:], state["app"][7:12], "sha256:" + state["app"][7:15],
             state["old"][7:20], "moving:1", "nosuch", "app:3", "sha256:abc"]
    for name in names:
        try:
            expected = engine.api.inspect_image(name)["Id"]
        except Exception:  # the engine's 404
            expected = None
        try:
            got: str | None = host.find_image(name).id
        except NotFound:
            got = None
        assert got == expected, name


def test_container_lookup_and_fields(engine: Any, state: dict[str, str]) -> None:
    host = from_docker(engine.client)
    for name in ("made", "/done", "web", state["running"], state["exited"][:6]):
        assert host.find_container(name).id == engine.api.inspect_container(name)["Id"]
    made = host.find_container("made")
    assert (made.state, made.running, made.image, made.image_id) == (
        "created", False, "app:1", state["app"])
    assert host.find_container("web").running
    # created with an id prefix: the engine keeps the prefix while it resolves
    assert host.find_container("byid").image == state["old"][7:19]
    assert host.list_containers() == engine.api.containers(all=True, size=True)
