"""BuildKit-built images against a real Engine 23+ with the overlay2 store.

BuildKit's build cache holds the layers it exported until ``builder prune``
removes its records; the model reads which layers it may and must hold from
``/system/df``'s records (``dockermodel.buildcache``). Each scenario builds
with BuildKit (``POST /build?version=2&networkmode=none``), reads the state
at the engine's own API version (records with parents) and at API 1.41 (no
parents), predicts a removal, carries it out, and checks:

* the engine's records contain the plan's certain ones and no record beyond
  its uncertain ones; ``SpaceReclaimed`` lies within the plan's bounds;
* exact equality where the plan says it is exact — always at the engine's
  own API version in these scenarios, and after ``builder prune -a``;
* ``apply(plan)`` against a fresh read: images, layers, ``LayersSize``, the
  build-cache records and their ``Shared`` flags (the model's are a superset
  of the engine's, equal where exact).

Skipped on Engine 20.10 and the containerd store, whose build caches hold no
layer of the layer store.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import docker
import pytest
from planchecks import (
    check_builder_prune,
    check_image_prune,
    check_rmi,
    settle_after_builder_prune,
)

from dockermodel.engine import from_docker
from dockermodel.host import Host
from dockermodel.removal import Plan

pytestmark = pytest.mark.engine

FILES = {"h40k": b"h" * 40000, "a10k": b"a" * 10000, "c20k": b"c" * 20000, "d5k": b"d" * 5000}
STAMP = 'RUN ["/bin/busybox", "sh", "-c", "echo built > /bk/stamp"]'


@pytest.fixture(scope="module")
def bk(engine: Any) -> Iterator[Any]:
    """The engine, when its build cache holds layers (23+, overlay2, tar contexts)."""
    spec = engine.spec
    if spec.version == "20.10" or spec.containerd_store or not spec.buildkit_tar_context:
        pytest.skip(f"engine {spec}: BuildKit's cache holds no layer-store layer there")
    yield engine


class Reader:
    """Reads the engine at one API version; resets it (images, containers, build cache)."""

    def __init__(self, engine: Any, api_version: str) -> None:
        self.engine = engine
        self.api = docker.APIClient(base_url=engine.base_url, version=api_version, timeout=120)
        self.tally: collections.Counter[str] = collections.Counter()

    def read(self) -> Host:
        return from_docker(self.api, info=False)

    def reset(self) -> None:
        self.engine.reset()
        self.engine.builder_prune(all=True)
        assert not settle_after_builder_prune(self.engine)

    def rmi(self, host: Host, name: str, **kwargs: Any) -> Host:
        plan = host.plan_rmi(name, **kwargs)
        actual = self.api.remove_image(name, force=kwargs.get("force", False),
                                       noprune=not kwargs.get("prune", True))
        self.tally["rmi " + check_rmi(f"rmi {name}", host, plan, actual)] += 1
        return self.after(f"rmi {name}", host, plan)

    def image_prune(self, host: Host, all: bool) -> Host:
        plan = host.plan_image_prune(all=all)
        actual = self.api.prune_images(filters={"dangling": not all})
        kind = "image prune -a" if all else "image prune"
        self.tally[f"{kind} " + check_image_prune(kind, host, plan, actual)] += 1
        return self.after(kind, host, plan)

    def builder_prune(self, host: Host, all: bool) -> Host:
        plan = host.plan_builder_prune(all=all)
        actual = self.engine.builder_prune(all=all)
        settle_after_builder_prune(self.engine)
        kind = "builder prune -a" if all else "builder prune"
        self.tally[f"{kind} " + check_builder_prune(kind, plan, actual)] += 1
        return self.after(kind, host, plan)

    def after(self, where: str, host: Host, plan: Plan) -> Host:
        model = host.apply(plan)
        fresh = self.read()
        compare_after(where, model, fresh, self.engine, exact=plan.exact,
                      parents=self.api.api_version != "1.41")
        return model


def compare_after(
    where: str, model: Host, fresh: Host, engine: Any, exact: bool, parents: bool
) -> None:
    """``apply(plan)`` against a fresh read of the engine.

    The model's records are the engine's plus those a prune may have
    removed (``cache_maybe_gone``); its ``Shared`` flags the engine's plus
    those it is unsure of (``cache_unsure``) — equal where the records'
    parents are known.
    """
    assert set(model.images) == set(fresh.images), where
    for image_id, image in fresh.images.items():
        assert model.images[image_id].layers == image.layers, (where, image_id)
        assert model.images[image_id].repo_tags == image.repo_tags, (where, image_id)
    assert set(fresh.layers) <= set(model.layers), where
    held = {c for container in model.containers.values() for c in container.layers}
    assert set(model.layers) - set(fresh.layers) <= held, where
    assert set(model.layers) <= engine.layerdb_chain_ids(), where
    assert model.disk_usage().layers_size == fresh.disk_usage().layers_size, where
    mine = {r.id: r for r in model.build_cache or ()}
    theirs = {r.id: r for r in fresh.build_cache or ()}
    assert set(theirs) <= set(mine) <= set(theirs) | model.cache_maybe_gone, where
    shared_mine = {i for i, r in mine.items() if r.shared and i in theirs}
    shared_theirs = {i for i, r in theirs.items() if r.shared}
    assert shared_theirs <= shared_mine <= shared_theirs | model.cache_unsure, where
    if exact and parents:
        assert set(mine) == set(theirs) and shared_mine == shared_theirs, where


def build_m54(engine: Any) -> None:
    """bkbase, two apps FROM it, a solo image FROM scratch (busybox shared by all four)."""
    engine.build_buildkit(["COPY busybox /bin/busybox", 'CMD ["/bin/busybox", "sh"]'], FILES,
                          tag="bkbase:1")
    engine.build_buildkit(["COPY h40k /bk/h40k", STAMP, "LABEL app=bkapp"], FILES,
                          tag="bkapp:1", base="bkbase:1")
    engine.build_buildkit(["COPY h40k /bk/h40k", "COPY a10k /bk/a10k"], FILES, tag="bkapp2:1",
                          base="bkbase:1")
    engine.build_buildkit(["COPY busybox /bin/busybox", "COPY c20k /c20k"], FILES,
                          tag="bksolo:1")


@pytest.mark.parametrize("api_version", ["engine", "1.41"])
def test_rmi_of_buildkit_images_one_by_one(bk: Any, api_version: str, summary: list[str]) -> None:
    """The reference experiment (docs/removal.md): rmi keeps the cache's layers, prune frees."""
    version = bk.version.api if api_version == "engine" else api_version
    r = Reader(bk, version)
    r.reset()
    build_m54(bk)
    host = r.read()
    assert host.engine.api_version == version
    # every step record is shared with an image: the cache holds all image layers
    assert host.maybe_held == set(host.layers)
    if version != "1.41":
        assert host.certainly_held == set(host.layers)
    layers_before = bk.layerdb_chain_ids()
    for name in ["bkapp:1", "bkapp2:1", "bkbase:1", "bksolo:1"]:
        host = r.rmi(host, name)
    assert bk.layerdb_chain_ids() == layers_before  # nothing left the disk
    assert not host.images and not host.layers
    assert not any(rec.shared for rec in host.build_cache or ())
    host = r.builder_prune(host, all=False)  # every record goes, the layers with them
    assert not settle_after_builder_prune(bk)
    assert host.build_cache == ()
    summary.append(f"BuildKit rmi one by one at API {version}: {dict(r.tally)}")
    if version != "1.41":
        assert set(r.tally) == {"rmi exact", "builder prune exact"}


@pytest.mark.parametrize("api_version", ["engine", "1.41"])
def test_prunes_with_buildkit_images(bk: Any, api_version: str, summary: list[str]) -> None:
    """image prune -a, builder prune (plain and -a), rmi after the cache let go."""
    version = bk.version.api if api_version == "engine" else api_version
    r = Reader(bk, version)
    r.reset()
    build_m54(bk)
    # a classic-built base under a BuildKit image: from-local records hold its chain
    bk.build(["COPY d5k /d5k"], FILES, tag="classic:1")
    bk.build_buildkit(["COPY a10k /a10k"], FILES, tag="onclassic:1", base="classic:1")
    host = r.read()
    host = r.rmi(host, "bkapp:1")
    host = r.builder_prune(host, all=False)  # the contexts and bkapp's stamp record
    host = r.image_prune(host, all=False)
    host = r.builder_prune(host, all=True)  # every record: nothing is held any more
    assert host.maybe_held == frozenset()
    assert host.build_cache == () and not host.cache_maybe_gone and not host.cache_unsure
    host = r.rmi(host, "bkapp2:1")  # now the layers go, exactly
    host = r.image_prune(host, all=True)
    assert not host.images
    assert not settle_after_builder_prune(bk)
    summary.append(f"BuildKit prunes at API {version}: {dict(r.tally)}")
    # after builder prune -a every answer is exact again, at any API version
    assert r.tally["rmi exact"] >= 1 and r.tally["image prune -a exact"] == 1
    if version != "1.41":
        assert all(kind.endswith("exact") for kind in r.tally), r.tally


def test_image_prune_all_keeps_what_the_cache_holds(bk: Any) -> None:
    """``prune images -a`` after BuildKit builds frees only what no record holds."""
    r = Reader(bk, bk.version.api)
    r.reset()
    build_m54(bk)
    host = r.read()
    plan = host.plan_image_prune(all=True)
    assert plan.exact
    # every layer is held: the image records only, nothing reclaimed
    assert plan.space_reclaimed == 0
    assert {r.kind for r in plan.records} == {"Untagged", "Deleted"}
    assert all(rec.value in host.images for rec in plan.records if rec.kind == "Deleted")
    usage = host.disk_usage()
    assert usage.reclaimable == 0 and usage.reclaimable_bounds is None
    r.image_prune(host, all=True)


@pytest.mark.parametrize("all_records", [False, True])
def test_cli_builder_prune_prints_what_docker_prints(
    bk: Any, all_records: bool, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """``dockermodel prune builder`` against ``docker builder prune -f`` (CLI 28) on one state.

    The engine lists the records of one round in the order of a map walk, so
    the ID lines are compared as a set, and children before parents.
    """
    from dockermodel import cli

    r = Reader(bk, bk.version.api)
    r.reset()
    build_m54(bk)
    bk.api.remove_image("bkapp:1")
    host = r.read()
    saved = tmp_path / "state.json"
    host.dump(saved)
    args = ["prune", "builder"] + (["-a"] if all_records else [])
    assert cli.main(["--snapshot", str(saved), *args]) == 0
    predicted = capsys.readouterr().out
    actual = bk.cli("builder", "prune", "-f", *(["-a"] if all_records else [])).stdout
    head, _, rest = actual.partition("\n")
    ids, _, total = rest.partition("\n\n")
    mine_head, _, mine_rest = predicted.partition("\n")
    mine_ids, _, mine_total = mine_rest.partition("\n\n")
    assert (head, total) == (mine_head, mine_total) == ("Deleted build cache objects:", total)
    assert total.startswith("Total reclaimed space: ")
    assert sorted(ids.split("\n")) == sorted(mine_ids.split("\n"))
    parents = {rec.id: rec.parents for rec in host.build_cache or ()}
    position = {rid: k for k, rid in enumerate(ids.split("\n"))}
    for rid in position:
        for parent in parents[rid]:
            if parent in position:
                assert position[rid] < position[parent]
