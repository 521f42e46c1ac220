"""Digest references on a real engine: listing, disk usage and lookup.

No registry is reachable, so the digest references a pull would record are
written into the engine's reference store while it is stopped
(``Engine.add_references``). Then the model is
compared with the engine: ``RepoDigests``, ``RepoTags: null`` for a
digest-only image, ``dangling=true`` listing it, df and lookups by digest.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dockermodel import NotFound
from dockermodel.engine import from_docker

pytestmark = pytest.mark.engine

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


@pytest.fixture(scope="module")
def state(engine: Any) -> dict[str, str]:
    files = {"a": b"a" * 1000, "b": b"b" * 2000, "c": b"c" * 3000}
    ids = {
        "base": engine.build(["ENV B=1"], tag="base:1"),
    }
    ids["app"] = engine.build(["COPY a /a"], files, tag=["app:1", "app:2"], base="base:1")
    ids["pulled"] = engine.build(["COPY b /b"], files, base="base:1")
    ids["both"] = engine.build(["COPY c /c"], files, tag="zzz/both:1", base="base:1")
    engine.add_references({
        f"app@{D1}": ids["app"],
        f"pulled@{D2}": ids["pulled"],
        f"zzz/both@{D1}": ids["both"],
        f"localhost:5000/both@{D2}": ids["both"],
    })
    return ids


def groups(images: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [sorted(g, key=lambda i: i["Id"])
            for _, g in itertools.groupby(images, key=lambda i: i["Created"])]


@pytest.mark.parametrize(
    ("all", "filters"),
    [(False, None), (True, None), (False, {"dangling": ["true"]}),
     (False, {"reference": ["pulled"]}), (False, {"reference": ["*/both"]})],
)
def test_listing_with_digests(engine: Any, state: dict[str, str], all: bool,
                              filters: dict[str, list[str]] | None) -> None:
    host = from_docker(engine.client)
    assert groups(host.list_images(all=all, filters=filters)) == groups(
        engine.api.images(all=all, filters=filters))


def test_df_with_digests(engine: Any, state: dict[str, str]) -> None:
    host = from_docker(engine.client)
    ours, theirs = host.disk_usage().to_api(), engine.api.df()
    assert groups(ours["Images"]) == groups(theirs["Images"])
    assert ours["LayersSize"] == theirs["LayersSize"]
    pulled = next(i for i in ours["Images"] if i["Id"] == state["pulled"])
    assert (pulled["RepoTags"], pulled["RepoDigests"]) == (None, [f"pulled@{D2}"])


def test_lookup_by_digest(engine: Any, state: dict[str, str]) -> None:
    host = from_docker(engine.client)
    for name in (f"app@{D1}", f"app:1@{D1}", f"docker.io/library/pulled@{D2}",
                 f"localhost:5000/both@{D2}", f"zzz/both@{D2}", "pulled", f"app@{D2}"):
        try:
            expected: str | None = engine.api.inspect_image(name)["Id"]
        except Exception:
            expected = None
        try:
            got: str | None = host.find_image(name).id
        except NotFound:
            got = None
        assert got == expected, name


def _records(doc: Any) -> list[str]:
    return sorted(f"{k}: {v}" for item in doc or () for k, v in item.items())


def test_removals_with_digests_are_predicted(engine: Any, state: dict[str, str]) -> None:
    # runs last in this module: it changes the engine
    steps: list[tuple[str, Any]] = [
        ("rmi", "app:1"),                   # another tag is left: untag only
        ("rmi", "app:2"),                   # last tag of the repo: its digests go too
        ("rmi", f"localhost:5000/both@{D2}"),  # removing a digest never cascades
        ("prune", None),                    # a digest-only image is dangling for prune
    ]
    for kind, name in steps:
        host = from_docker(engine.client)
        if kind == "rmi":
            predicted = _records(host.plan_rmi(name).to_api())
            actual = _records(engine.api.remove_image(name))
        else:
            plan = host.plan_image_prune().to_api()
            done = engine.api.prune_images(filters={"dangling": True})
            predicted, actual = _records(plan["ImagesDeleted"]), _records(done["ImagesDeleted"])
            assert plan["SpaceReclaimed"] == done["SpaceReclaimed"]
        assert predicted == actual, (kind, name)
        after = from_docker(engine.client)
        assert host.apply(host.plan_rmi(name) if kind == "rmi" else host.plan_image_prune()
                          ).images == after.images
