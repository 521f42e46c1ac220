"""The recorded answers of real modern engines (tests/data/engines/SPEC/) hold together.

``scripts/record_engine.py`` recorded, per engine spec, payload documents at
API 1.41 and at the engine's own API version, and a sequence of removals with
the state before and after each. These tests check the recordings themselves
(so that offline comparisons of the model with them stand on firm ground):
each file is where ``recording.json`` says, snapshots load with
:func:`dockermodel.snapshot.load`, the engine is the one the spec names, the
operations chain their states, and every answer agrees with the states
around it.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import enginekit
import pytest

from dockermodel import snapshot

DATA = Path(__file__).resolve().parent / "data" / "engines"
RECORDED = ("26.1-containerd", "26.1-overlay2", "28.5-containerd", "28.5-overlay2")


@cache
def _json(path: Path) -> Any:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return json.loads(data)


def _recording(spec: str) -> dict[str, Any]:
    document: dict[str, Any] = _json(DATA / spec / "recording.json")
    return document


def _operations(spec: str) -> dict[str, Any]:
    document: dict[str, Any] = _json(DATA / spec / "operations.json.gz")
    return document


def _image_tags(image: dict[str, Any]) -> list[str]:
    """An image's tags (without the ``<none>:<none>`` marker of API < 1.43)."""
    return [tag for tag in image.get("RepoTags") or [] if tag != "<none>:<none>"]


def _tags(state: dict[str, Any]) -> set[str]:
    return {tag for image in state["images_all"] for tag in _image_tags(image)}


def _container_ids(state: dict[str, Any]) -> set[str]:
    return {container["Id"] for container in state["containers"]}


def test_the_recorded_engines_and_their_size() -> None:
    assert sorted(path.name for path in DATA.iterdir() if path.is_dir()) == list(RECORDED)
    total = sum(path.stat().st_size for path in DATA.rglob("*") if path.is_file())
    assert total < 3_000_000


@pytest.mark.parametrize("spec", RECORDED)
def test_recording_names_its_engine_and_files(spec: str) -> None:
    recording = _recording(spec)
    parsed = enginekit.EngineSpec.parse(spec)
    release = parsed.release
    assert recording["format"] == "dockermodel-engine-recording/1"
    assert (recording["spec"], recording["store"]) == (spec, parsed.store)
    assert recording["version"].split("+")[0] == release.upstream
    assert recording["dockerd_version"].startswith(f"Docker version {recording['version']}, ")
    assert recording["api_version"] == release.api
    assert recording["daemon_json"] == parsed.daemon_config
    assert recording["buildkit"] == parsed.buildkit_tar_context
    assert recording["packages"][0].startswith(f"docker.io {release.upstream}+")
    assert sorted(recording["files"]) == sorted(
        [
            "snapshot-v1.41.json.gz",
            f"snapshot-v{release.api}.json.gz",
            "lists-v1.41.json.gz",
            f"lists-v{release.api}.json.gz",
            "operations.json.gz",
        ]
    )
    on_disk = sorted(path.name for path in (DATA / spec).iterdir())
    assert on_disk == sorted([*recording["files"], "recording.json"])


@pytest.mark.parametrize("spec", RECORDED)
@pytest.mark.parametrize("api", ["1.41", "max"])
def test_snapshots_load_and_describe_the_scenario(spec: str, api: str) -> None:
    recording = _recording(spec)
    version = recording["api_version"] if api == "max" else api
    payloads = snapshot.load(DATA / spec / f"snapshot-v{version}.json.gz")
    ids = recording["ids"]
    assert payloads["version"]["Version"] == recording["version"]
    assert payloads["version"]["ApiVersion"] == recording["api_version"]
    listed = [image["Id"] for image in payloads["images_all"]]
    assert len(set(listed)) == len(listed)
    assert set(payloads["image_inspect"]) == set(listed) == set(payloads["image_history"])
    images = {name: value for name, value in ids.items() if not name.startswith("container ")}
    assert set(images.values()) <= set(listed)
    containers = {name: value for name, value in ids.items() if name.startswith("container ")}
    assert _container_ids(payloads) == set(containers.values())
    names = {c["Names"][0].lstrip("/"): c["State"] for c in payloads["containers"]}
    expected = {"web": "running", "made": "created", "job": "exited", "byid": "created"}
    expected["frozen"] = "paused"
    if recording["buildkit"]:
        expected["bkrun"] = "running"
    assert names == expected
    assert payloads["info"]["DockerRootDir"] == "/var/lib/docker"
    driver = "overlayfs" if spec.endswith("containerd") else "overlay2"
    assert payloads["info"]["Driver"] == driver
    # Tags as the scenario made them (RepoTags of inspect: always a list here).
    inspect = payloads["image_inspect"]
    assert sorted(inspect[ids["app:1"]]["RepoTags"]) == ["app:1", "app:latest"]
    assert sorted(inspect[ids["multi:1"]]["RepoTags"]) == ["multi:1", "zzz/multi:1"]
    assert inspect[ids["api:dev (first build, dangling)"]]["RepoTags"] == []


@pytest.mark.parametrize("spec", RECORDED)
def test_operations_chain_their_states(spec: str) -> None:
    document = _operations(spec)
    recording = _recording(spec)
    operations = document["operations"]
    assert document["api"] == "1.41"
    assert [op["name"] for op in operations] == recording["operations"]
    assert [(op["before"], op["after"]) for op in operations] == [
        (index, index + 1) for index in range(len(operations))
    ]
    assert len(document["states"]) == len(operations) + 1
    first = snapshot.load(DATA / spec / "snapshot-v1.41.json.gz")
    # The same state read twice (the engine orders equal creation seconds arbitrarily).
    assert sorted(i["Id"] for i in document["states"][0]["images_all"]) == sorted(
        i["Id"] for i in first["images_all"]
    )
    for state in document["states"]:
        assert set(state) == {
            "images_all",
            "image_inspect",
            "image_history",
            "containers",
            "system_df",
            "version",
            "info",
        }
        snapshot.validate(state)
        assert state["version"]["Version"] == recording["version"]
        if spec.endswith("containerd"):
            # The containerd store counts image records: one per name, one
            # (moby-dangling@…) for an image without any.
            records = sum(max(1, len(_image_tags(image))) for image in state["images_all"])
            assert state["info"]["Images"] == records
        else:
            assert state["info"]["Images"] == len(state["images_all"])
        assert state["info"]["Containers"] == len(state["containers"])


@pytest.mark.parametrize("spec", RECORDED)
def test_answers_agree_with_the_states_around_them(spec: str) -> None:
    document = _operations(spec)
    states = document["states"]
    checked = 0
    for op in document["operations"]:
        before, after = states[op["before"]], states[op["after"]]
        status, body, where = op["status"], op["body"], op["name"]
        if status >= 400:
            # A refused request changes nothing and says why.
            assert _tags(before) == _tags(after), where
            assert _container_ids(before) == _container_ids(after), where
            assert isinstance(body["message"], str) and body["message"], where
        elif op["path"].startswith("/v1.41/containers/"):
            assert (status, body) == (204, None), where
            gone = _container_ids(before) - _container_ids(after)
            assert len(gone) == 1, where
        elif op["path"].startswith("/v1.41/images/prune") or op["method"] == "DELETE":
            records = (body["ImagesDeleted"] or []) if isinstance(body, dict) else body
            untagged = {
                r["Untagged"]
                for r in records
                if "Untagged" in r and not r["Untagged"].startswith("sha256:")
            }
            # Every tag the engine reports untagged was there and is gone.
            assert untagged <= _tags(before), where
            assert not untagged & _tags(after), where
            assert _tags(before) - _tags(after) <= untagged | {
                f"{r}:latest" for r in untagged
            }, where
        else:
            assert op["path"] == "/v1.41/build/prune", where
            assert set(body) == {"CachesDeleted", "SpaceReclaimed"}, where
            before_ids = {r["ID"] for r in before["system_df"]["BuildCache"] or []}
            after_ids = {r["ID"] for r in after["system_df"]["BuildCache"] or []}
            assert set(body["CachesDeleted"] or []) == before_ids - after_ids, where
        checked += 1
    assert checked == len(document["operations"])
