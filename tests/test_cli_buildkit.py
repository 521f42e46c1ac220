"""The command line on hosts with BuildKit's build cache (Engine 28, overlay2 store).

``prune builder [-a]`` prints what ``docker builder prune -f [-a]`` prints;
``rmi`` and ``prune images`` print the engine's certain records and, when
what the engine answers depends on what the build cache holds, one line on
stderr with the bounds; ``--format json`` keeps the engine's shape.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostbuilder import HostBuilder

from dockermodel import cli
from dockermodel.snapshot import dump

BUSYBOX = 1982256


def snapshot(tmp_path: Path, api: str) -> tuple[Path, HostBuilder, dict[str, str]]:
    d = HostBuilder(engine_version="28.5.2", api_version=api)
    ids = {"base": d.buildkit([BUSYBOX, None], tag="bkbase:1")}
    ids["app"] = d.buildkit([40000, 6, None], base=ids["base"], tag="bkapp:1")
    path = tmp_path / f"bk-{api}.json"
    dump(d.payloads(), path)
    return path, d, ids


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str, int]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return out, err, status


def test_rmi_exact_with_parents(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path, _, ids = snapshot(tmp_path, "1.51")
    out, err, status = run(capsys, "--snapshot", str(path), "rmi", "bkapp:1")
    assert (out, err, status) == (f"Untagged: bkapp:1\nDeleted: {ids['app']}\n", "", 0)


def test_rmi_bounded_prints_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path, _, ids = snapshot(tmp_path, "1.41")
    out, err, status = run(capsys, "--snapshot", str(path), "rmi", "bkapp:1")
    assert out == f"Untagged: bkapp:1\nDeleted: {ids['app']}\n"
    assert err == (
        "dockermodel: not exact: 2 more layers may be deleted (BuildKit's build cache may "
        "hold them); space reclaimed between 0B and 40.01kB\n"
    )
    assert status == 0
    out, err, _ = run(capsys, "--snapshot", str(path), "rmi", "--format", "json", "bkapp:1")
    assert json.loads(out) == [{"Untagged": "bkapp:1"}, {"Deleted": ids["app"]}]
    assert err.count("\n") == 1 and err.startswith("dockermodel: not exact: ")


def test_prune_images_bounded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path, _, ids = snapshot(tmp_path, "1.41")
    out, err, status = run(capsys, "--snapshot", str(path), "prune", "images", "-a")
    assert out == (
        "Deleted Images:\n"
        "untagged: bkapp:1\n"
        f"deleted: {ids['app']}\n"
        "untagged: bkbase:1\n"
        f"deleted: {ids['base']}\n"
        "\n"
        "Total reclaimed space: 0B\n"
    )
    assert err == (
        "dockermodel: not exact: 3 more layers may be deleted (BuildKit's build cache may "
        "hold them); space reclaimed between 0B and 2.022MB\n"
    )
    assert status == 0


@pytest.mark.parametrize("api", ["1.51", "1.41"])
def test_prune_builder(capsys: pytest.CaptureFixture[str], tmp_path: Path, api: str) -> None:
    path, d, _ = snapshot(tmp_path, api)
    contexts = [rid for rid, r in (d.records or {}).items() if r["chain"] is None]
    out, err, status = run(capsys, "--snapshot", str(path), "prune", "builder")
    assert out == (
        "Deleted build cache objects:\n" + "".join(f"{c}\n" for c in contexts)
        + "\nTotal reclaimed space: 4.096kB\n"
    )
    assert (err, status) == ("", 0)
    out, err, status = run(capsys, "--snapshot", str(path), "prune", "builder", "-a",
                           "--format", "json")
    doc = json.loads(out)
    assert set(doc["CachesDeleted"]) == set(d.records or {})
    assert doc["SpaceReclaimed"] == sum(r["size"] for r in (d.records or {}).values())
    assert (err, status) == ("", 0)


def test_prune_builder_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    d = HostBuilder(engine_version="28.5.2", api_version="1.51")
    d.buildkit([10], tag="x:1", context=None)
    path = tmp_path / "x.json"
    dump(d.payloads(), path)
    assert run(capsys, "--snapshot", str(path), "prune", "builder") == (
        "Total reclaimed space: 0B\n", "", 0
    )
    out, _, _ = run(capsys, "--snapshot", str(path), "prune", "builder", "--format", "json")
    assert json.loads(out) == {"CachesDeleted": None, "SpaceReclaimed": 0}


def test_prune_builder_uncertain(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    d = HostBuilder(engine_version="28.5.2", api_version="1.41")
    root = d.cache_record(100)
    d.cache_record(1, parent=root, kind="internal")
    path = tmp_path / "u.json"
    dump(d.payloads(), path)
    out, err, status = run(capsys, "--snapshot", str(path), "prune", "builder")
    assert out == "Total reclaimed space: 0B\n"
    assert err == (
        "dockermodel: not exact: 1 more build-cache record may be deleted (the engine's API "
        "version does not list the records' parents); space reclaimed between 0B and 100B\n"
    )
    assert status == 0


def test_prune_builder_bad_filter(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path, _, _ = snapshot(tmp_path, "1.51")
    out, err, status = run(capsys, "--snapshot", str(path), "prune", "builder",
                           "--filter", "nope=1")
    assert (out, status) == ("", 1)
    assert err == "Error response from daemon: failed to prune build cache: invalid filter 'nope'\n"


def test_rmi_bounded_one_layer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    d = HostBuilder(engine_version="28.5.2", api_version="1.41")
    base = d.buildkit([BUSYBOX], tag="bkbase:1")
    d.buildkit([40000, 6], base=base, tag="bkapp:1")
    d.buildkit([40000, 10000], base=base, tag="bkapp2:1")
    path = tmp_path / "one.json"
    dump(d.payloads(), path)
    _, err, status = run(capsys, "--snapshot", str(path), "rmi", "bkapp:1")
    assert (err, status) == (
        "dockermodel: not exact: 1 more layer may be deleted (BuildKit's build cache may "
        "hold it); space reclaimed between 0B and 6B\n",
        0,
    )
