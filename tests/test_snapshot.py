"""Snapshot files (dockermodel.snapshot): exact round trip, validation naming the field."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import enginekit
import pytest

from dockermodel import snapshot
from dockermodel.errors import InvalidPayload, SnapshotError

IMAGE = "sha256:" + "c" * 64


def _payloads() -> dict[str, Any]:
    return {
        "images_all": [
            {
                "Containers": -1,
                "Created": 1700000000,
                "Id": IMAGE,
                "Labels": {"name": "café ☕"},
                "ParentId": "",
                "RepoDigests": None,
                "RepoTags": ["app:1"],
                "SharedSize": -1,
                "Size": 1982266,
                "VirtualSize": 1982266,
            }
        ],
        "image_inspect": {IMAGE: {"Id": IMAGE, "RootFS": {"Type": "layers", "Layers": []}}},
        "image_history": {IMAGE: [{"Id": IMAGE, "Size": 0, "CreatedBy": "", "Tags": None}]},
        "containers": [],
        "system_df": {"LayersSize": 0, "Volumes": None, "BuildCache": None},
        "version": {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41"},
        "info": {"ID": "x", "Containers": 0},
    }


def test_round_trip_is_exact(tmp_path: Path) -> None:
    payloads = _payloads()
    path = tmp_path / "host.json"
    snapshot.dump(payloads, path)
    loaded = snapshot.load(path)
    assert loaded == payloads
    assert list(loaded) == list(payloads)
    assert list(loaded["images_all"][0]) == list(payloads["images_all"][0])
    document = json.loads(path.read_text(encoding="utf-8"))
    assert next(iter(document)) == "format"
    assert document["format"] == "dockermodel-snapshot/1" == snapshot.FORMAT
    assert document["version"] == {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41"}
    assert "café ☕" in path.read_text(encoding="utf-8")
    assert os.listdir(tmp_path) == ["host.json"]  # no temporary file left


def test_round_trip_without_optional_keys(tmp_path: Path) -> None:
    payloads = {k: v for k, v in _payloads().items() if k not in ("system_df", "version", "info")}
    snapshot.dump(payloads, tmp_path / "min.json")
    assert snapshot.load(tmp_path / "min.json") == payloads
    assert snapshot.loads(snapshot.dumps(payloads)) == payloads


def test_gzip_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "host.json.gz"
    snapshot.dump(_payloads(), path)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert json.loads(gzip.decompress(path.read_bytes()))["format"] == snapshot.FORMAT
    assert snapshot.load(path) == _payloads()
    first = path.read_bytes()
    snapshot.dump(_payloads(), path)
    assert path.read_bytes() == first  # deterministic (no gzip timestamp)


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"format": snapshot.FORMAT, **_payloads()}
    for key, value in changes.items():
        if value is _DROP:
            del document[key]
        else:
            document[key] = value
    return document


_DROP = object()

_BAD: list[tuple[Any, str, str]] = [
    ([], "SOURCE", "expected an object, got an array"),
    (_document(format=_DROP), "format", "missing: not a dockermodel snapshot"),
    (_document(format="dockermodel-snapshot/9"), "format", "unsupported 'dockermodel-snapshot/9'"),
    (_document(images_all=_DROP), "images_all", "missing"),
    (_document(containers=_DROP), "containers", "missing"),
    (_document(images_all={}), "images_all", "expected an array, got an object"),
    (_document(images_all=[{}, "x"]), "images_all[1]", "expected an object, got a string"),
    (_document(containers=[None]), "containers[0]", "expected an object, got null"),
    (_document(image_inspect=[]), "image_inspect", "expected an object, got an array"),
    (_document(image_inspect={IMAGE: []}), f"image_inspect[{IMAGE!r}]", "expected an object"),
    (_document(image_history={IMAGE: {}}), f"image_history[{IMAGE!r}]", "expected an array"),
    (_document(system_df=[]), "system_df", "expected an object, got an array"),
    (_document(version="20.10"), "version", "expected an object, got a string"),
    (_document(info=3), "info", "expected an object, got an integer"),
    (_document(extra={}), "extra", "unknown top-level key"),
]


@pytest.mark.parametrize(("document", "field", "problem"), _BAD)
def test_load_names_the_field_at_fault(
    tmp_path: Path, document: Any, field: str, problem: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SnapshotError) as caught:
        snapshot.load(path)
    assert caught.value.field == (str(path) if field == "SOURCE" else field)
    assert caught.value.problem.startswith(problem)
    assert isinstance(caught.value, InvalidPayload)


def test_system_df_may_be_null(tmp_path: Path) -> None:
    payloads = {**_payloads(), "system_df": None}
    snapshot.dump(payloads, tmp_path / "s.json")
    assert snapshot.load(tmp_path / "s.json") == payloads


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"format": "dockermodel-snapshot/1", "images_all": [', "not valid JSON: Expecting"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"\x1f\x8b\x08\x00truncated", "broken gzip data"),
    ],
)
def test_unreadable_content_names_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(SnapshotError) as caught:
        snapshot.load(path)
    assert caught.value.field == str(path)
    assert caught.value.problem.startswith(problem)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(SnapshotError) as caught:
        snapshot.load(path)
    assert (caught.value.field, caught.value.problem) == (
        str(path),
        "cannot read: No such file or directory",
    )


def test_dump_validates_and_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError) as caught:
        snapshot.dump({**_payloads(), "images_all": {}}, tmp_path / "x.json")
    assert caught.value.field == "images_all"
    with pytest.raises(SnapshotError) as caught:
        snapshot.dump({**_payloads(), "info": {"when": {1, 2}}}, tmp_path / "x.json")
    assert caught.value.field == "payloads"
    assert caught.value.problem.startswith("not representable as JSON")
    with pytest.raises(SnapshotError) as caught:
        snapshot.dump({**_payloads(), "info": {"x": float("nan")}}, tmp_path / "x.json")
    assert caught.value.field == "payloads"
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(SnapshotError) as caught:
        snapshot.dump(_payloads(), tmp_path / "dir.json")
    assert caught.value.field == str(tmp_path / "dir.json")
    assert caught.value.problem.startswith("cannot write: ")
    assert sorted(os.listdir(tmp_path)) == ["dir.json"]


@pytest.mark.engine
def test_engine_snapshot_round_trip(engine: enginekit.Engine, tmp_path: Path) -> None:
    import dockermodel
    from dockermodel.engine import read_payloads

    base = engine.build(["COPY a.txt /a.txt"], {"a.txt": b"snap"}, tag="snap/base:1")
    engine.create(base, name="snap-created")
    payloads = read_payloads(engine.client)
    path = tmp_path / "engine.json"
    snapshot.dump(payloads, path)
    assert snapshot.load(path) == payloads
    assert json.loads(path.read_text())["version"]["ApiVersion"] == engine.spec.release.api
    host = dockermodel.Host.load(path)
    assert set(host.images) == set(engine.image_ids())
    assert host.find_image("snap/base:1").id == base
    again = tmp_path / "again.json"
    host.dump(again)
    assert snapshot.load(again) == payloads
