"""Volume prune, build cache prune and system prune, offline (the engine tests compare them).

Volumes come from ``/system/df``: the hand-built payloads add that document
as Engine 20.10 answers it (``UsageData`` with ``Size`` and ``RefCount``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostbuilder import HostBuilder, hexid
from test_removal import PROPERTY, hosts

from dockermodel import EngineError, Host, InvalidArgument
from dockermodel.removal import (
    VOLUME_PRUNE_1_41,
    VOLUME_PRUNE_1_42,
    plan_build_cache_prune,
    plan_system_prune,
    plan_volume_prune,
    volume_prune_rule,
)
from dockermodel.render import system_prune_output, volume_prune_output

ANON = hexid("anonymous-volume")
ANON_LABEL = {"com.docker.volume.anonymous": ""}


def _volume(name: str, size: int, refs: int, labels: dict[str, str] | None = None,
            driver: str = "local") -> dict[str, Any]:
    return {"Name": name, "Driver": driver,
            "Mountpoint": f"/var/lib/docker/volumes/{name}/_data", "Labels": labels,
            "Scope": "local", "Options": None, "CreatedAt": "2023-01-01T00:00:00Z",
            "UsageData": {"Size": size, "RefCount": refs}}


def volume_host(api: str = "1.41", build_cache: list[dict[str, Any]] | None = None) -> Host:
    """app:1 with an exited container mounting ``data``; volumes data, keep, cache, ANON, old."""
    b = HostBuilder()
    b.build([100], tag="app:1")
    b.container("app:1", "exited", name="user", volumes=["data"], size_rw=7)
    payloads = b.payloads()
    payloads["system_df"] = {
        "LayersSize": 100, "Images": [], "Containers": [],
        "Volumes": [
            _volume("data", 1000, 1),
            _volume("keep", 200, 0, {"team": "a"}),
            _volume("cache", 30, 0, {"team": "b"}),
            _volume(ANON, 4, 0, ANON_LABEL),
            _volume("old", -1, 0),
            _volume("nfs", 50, 0, driver="other"),
        ],
        "BuildCache": build_cache,
        "BuilderSize": 0,
    }
    payloads["version"] = {"Version": "20.10.24" if api == "1.41" else "28.5.2",
                           "ApiVersion": api}
    payloads["api_version"] = api
    return Host.from_api(payloads)


# (rule, all, filters, expected VolumesDeleted, SpaceReclaimed)
VOLUME_CASES = [
    ("1.41: every unused volume, named or not", VOLUME_PRUNE_1_41, False, None,
     [ANON, "cache", "keep", "old"], 234),
    ("1.41: label", VOLUME_PRUNE_1_41, False, {"label": ["team"]}, ["cache", "keep"], 230),
    ("1.41: label=value", VOLUME_PRUNE_1_41, False, {"label": ["team=a"]}, ["keep"], 200),
    ("1.41: label!", VOLUME_PRUNE_1_41, False, {"label!": ["team=a"]}, [ANON, "cache", "old"], 34),
    ("1.42: anonymous only", VOLUME_PRUNE_1_42, False, None, [ANON], 4),
    ("1.42: all", VOLUME_PRUNE_1_42, True, None, [ANON, "cache", "keep", "old"], 234),
    ("1.42: all=false filter", VOLUME_PRUNE_1_42, False, {"all": ["false"]}, [ANON], 4),
    ("1.42: all=1 filter and a label", VOLUME_PRUNE_1_42, False,
     {"all": ["1"], "label": ["team=b"]}, ["cache"], 30),
]


@pytest.mark.parametrize(
    ("rule", "all_volumes", "filters", "deleted", "space"),
    [pytest.param(*case[1:], id=case[0]) for case in VOLUME_CASES],
)
def test_volume_prune(rule: Any, all_volumes: bool, filters: Any, deleted: list[str],
                      space: int) -> None:
    # GIVEN volumes: one mounted by a stopped container, one on another driver
    host = volume_host()
    # WHEN the prune is planned
    plan = plan_volume_prune(host, filters, all=all_volumes, rule=rule)
    # THEN the engine's body (names in name order; the engine's own order is a map walk)
    assert plan.to_api() == {"VolumesDeleted": sorted(deleted), "SpaceReclaimed": space}
    assert plan.bytes_freed == space
    after = host.apply(plan)
    assert sorted(v.name for v in after.volumes) == sorted(
        {"data", "keep", "cache", ANON, "old", "nfs"} - set(deleted))


# (rule, all, filters, error class, message)
VOLUME_ERRORS = [
    ("1.41 refuses all", VOLUME_PRUNE_1_41, True, None, InvalidArgument, "Invalid filter 'all'"),
    ("1.41 refuses dangling", VOLUME_PRUNE_1_41, False, {"dangling": ["true"]}, InvalidArgument,
     "Invalid filter 'dangling'"),
    ("1.42 two all values", VOLUME_PRUNE_1_42, False, {"all": ["1", "0"]}, InvalidArgument,
     "invalid filter 'all=[1 0]': only one value is expected"),
    ("1.42 a bad bool", VOLUME_PRUNE_1_42, False, {"all": ["yes"]}, InvalidArgument,
     'invalid filter \'all\': strconv.ParseBool: parsing "yes": invalid syntax'),
    ("-a with an all filter", VOLUME_PRUNE_1_42, True, {"all": ["1"]}, InvalidArgument,
     "conflicting options: cannot specify both --all and --filter all=1"),
]


@pytest.mark.parametrize(
    ("rule", "all_volumes", "filters", "error", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in VOLUME_ERRORS],
)
def test_volume_prune_errors(rule: Any, all_volumes: bool, filters: Any,
                             error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        plan_volume_prune(volume_host(), filters, all=all_volumes, rule=rule)
    assert str(info.value) == message


def test_volume_rule_follows_the_api_version() -> None:
    assert volume_prune_rule(volume_host("1.41")) is VOLUME_PRUNE_1_41
    assert volume_prune_rule(volume_host("1.42")) is VOLUME_PRUNE_1_42
    assert volume_prune_rule(volume_host("1.51")) is VOLUME_PRUNE_1_42
    assert volume_prune_rule(HostBuilder().host()) is VOLUME_PRUNE_1_41


def test_removing_the_user_frees_its_volume_for_the_next_prune() -> None:
    host = volume_host()
    after = host.apply(host.plan_rm("user"))
    assert plan_volume_prune(after).removed_volumes == (ANON, "cache", "data", "keep", "old")


def test_volume_prune_output() -> None:
    plan = plan_volume_prune(volume_host(), {"label": ["team"]})
    assert volume_prune_output(plan.to_api()) == (
        "Deleted Volumes:\ncache\nkeep\n\nTotal reclaimed space: 230B\n")
    assert volume_prune_output({"VolumesDeleted": [], "SpaceReclaimed": 0}) == (
        "Total reclaimed space: 0B\n")


RECORDS = [
    {"ID": "r-shared", "Type": "regular", "Shared": True, "InUse": False, "Size": 100},
    {"ID": "r-used", "Type": "regular", "Shared": False, "InUse": True, "Size": 10},
    {"ID": "r-free", "Type": "regular", "Shared": False, "InUse": False, "Size": 1},
    {"ID": "r-front", "Type": "frontend", "Shared": False, "InUse": False, "Size": 1000},
]


@pytest.mark.parametrize(
    ("all_records", "deleted", "space"),
    [(False, ["r-free"], 1), (True, ["r-shared", "r-free", "r-front"], 1101)],
)
def test_build_cache_prune_from_records(all_records: bool, deleted: list[str], space: int) -> None:
    host = volume_host(build_cache=[{**r, "CreatedAt": "2023-01-01T00:00:00Z"} for r in RECORDS])
    plan = plan_build_cache_prune(host, all=all_records)
    assert plan.to_api() == {"CachesDeleted": deleted, "SpaceReclaimed": space}


@pytest.mark.parametrize(
    ("filters", "message"),
    [({"until": ["2020-01-01"]},
      "failed to prune build cache: \"until\" filter expects a duration (e.g., '24h'): "
      "time: unknown unit \"-\" in duration \"2020-01-01\""),
     ({"until": ["abc"]},
      "failed to prune build cache: \"until\" filter expects a duration (e.g., '24h'): "
      "time: invalid duration \"abc\""),
     ({"dangling": ["true"]}, "failed to prune build cache: Invalid filter 'dangling'")],
)
def test_build_cache_prune_filter_errors(filters: dict[str, list[str]], message: str) -> None:
    with pytest.raises(EngineError) as info:
        plan_build_cache_prune(volume_host(), filters=filters)
    assert info.value.message == message


def test_system_prune_composes_the_prunes_in_the_cli_order() -> None:
    # GIVEN the volume host (a stopped container holds app:1 and the volume data)
    host = volume_host()
    # WHEN system prune -a --volumes is planned
    plan = plan_system_prune(host, all=True, volumes=True)
    # THEN containers, then volumes (data is free once its user is gone), then images
    assert [name for name, _ in plan.steps] == [
        "containers", "networks", "volumes", "images", "build cache"]
    assert plan.step("containers") is not None
    volumes = plan.step("volumes")
    assert volumes is not None and "data" in volumes.removed_volumes
    images = plan.step("images")
    assert images is not None and images.records[0].kind == "Untagged"
    # AND the CLI's total: 7 B of the container, 1234 B of volumes, 100 B of layers
    assert plan.space_reclaimed == 7 + 1234 + 100
    assert plan.unknown == ("networks",)
    text = system_prune_output(plan.to_api())
    assert text.startswith("Deleted Containers:\n")
    assert "\n\nDeleted Volumes:\n" in text and "\n\nDeleted Images:\nuntagged: app:1\n" in text
    assert text.endswith("\nTotal reclaimed space: 1.341kB\n")


def test_system_prune_refusals() -> None:
    host = volume_host()
    with pytest.raises(InvalidArgument, match='The "until" filter is not supported with'):
        plan_system_prune(host, volumes=True, filters={"until": ["1h"]})
    # a filter the first step does not accept stops everything
    plan = plan_system_prune(host, filters={"dangling": ["true"]})
    assert plan.steps == () and plan.refused_step == "containers"
    assert plan.refusal is not None and plan.refusal.message == "Invalid filter 'dangling'"
    # a date the build cache step cannot read stops after the images
    plan = plan_system_prune(host, filters={"until": ["2000-01-01T00:00:00Z"]})
    assert [name for name, _ in plan.steps] == ["containers", "networks", "images"]
    assert plan.refused_step == "build cache"


@PROPERTY
@given(hosts(), st.booleans())
def test_system_prune_is_its_steps_in_turn(host: Host, all_images: bool) -> None:
    plan = plan_system_prune(host, all=all_images)
    containers = host.plan_container_prune()
    after = host.apply(containers)
    images = after.plan_image_prune(all=all_images)
    assert plan.step("containers") == containers
    assert plan.step("images") == images
    expected = (containers.space_reclaimed if containers.deleted_containers else 0) + (
        images.space_reclaimed if images.records else 0)
    assert plan.space_reclaimed == expected
    assert host.apply(plan.as_plan()) == after.apply(images)
