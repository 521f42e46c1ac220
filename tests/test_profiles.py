"""Engine profiles: which engine a host models, and the rules that differ between engines.

Each table row is one engine's answer where engines differ; the sources are
named in ``dockermodel/profiles/*.py`` and ``docs/versions.md``. The engine
tests check the same answers against real engines.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hostbuilder import HostBuilder

from dockermodel import Conflict, Engine, EngineError, Host, InvalidArgument, InvalidPayload
from dockermodel.container_list import listed_containers
from dockermodel.errors import AmbiguousPrefix
from dockermodel.profiles import (
    EngineVersionWarning,
    StoreNotModelledWarning,
    engine_of,
    max_api_version,
    profile_for,
)
from dockermodel.profiles.containerd import Containerd
from dockermodel.profiles.engine20 import Engine20
from dockermodel.profiles.overlay2 import Overlay2
from dockermodel.profiles.volume_prune import VOLUME_PRUNE_1_41, VOLUME_PRUNE_1_42

V20 = "20.10.24+dfsg1"
V26 = "26.1.5+dfsg1"
V28 = "28.5.2+dfsg4"
BUSYBOX = 1_982_256


# ---------------------------------------------------------------------------
# the Engine value
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version", "api", "store"),
    [
        ("20.10", "20.10", "1.41", "overlay2"),
        ("26.1.5", "26.1.5", "1.45", "overlay2"),
        ("28.5/containerd", "28.5", "1.51", "containerd"),
        ("28.5.2@1.41", "28.5.2", "1.41", "overlay2"),
        ("27.3/containerd@1.44", "27.3", "1.44", "containerd"),
        ("29.0", "29.0", "1.52", "overlay2"),
    ],
)
def test_engine_parse(text: str, version: str, api: str, store: str) -> None:
    engine = Engine.parse(text)
    assert (engine.version, engine.api_version, engine.store) == (version, api, store)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", "1.41"), "Engine.version: expected a version like '28.5.2', got 'x'"),
        (("28.5.2", "2.0"), "Engine.api_version: expected an API version like '1.41', got '2.0'"),
        (
            ("28.5.2", "1.51", "btrfs"),
            "Engine.store: expected one of overlay2, containerd, got 'btrfs'",
        ),
    ],
)
def test_engine_rejects_bad_fields(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError) as info:
        Engine(*args)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_engine_parse_rejects_garbage() -> None:
    with pytest.raises(ValueError, match=r"expected VERSION\[/STORE\]\[@API\]"):
        Engine.parse("latest")


@pytest.mark.parametrize(
    ("release", "api"),
    [((20, 10, 24), "1.41"), ((23, 0, 0), "1.42"), ((24, 0, 9), "1.43"), ((25, 0, 0), "1.44"),
     ((26, 1, 5), "1.45"), ((27, 0, 3), "1.46"), ((27, 5, 1), "1.47"), ((28, 0, 0), "1.48"),
     ((28, 2, 2), "1.50"), ((28, 5, 2), "1.51"), ((29, 1, 0), "1.52")],
)
def test_max_api_version(release: tuple[int, int, int], api: str) -> None:
    assert max_api_version(release) == api


# ---------------------------------------------------------------------------
# which rules
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "store", "family"),
    [
        ("20.10.24", "overlay2", Engine20),
        ("20.10.0", "overlay2", Engine20),
        ("23.0.1", "overlay2", Overlay2),
        ("26.1.5", "overlay2", Overlay2),
        ("28.5.2", "overlay2", Overlay2),
    ],
)
def test_known_engines_have_their_family_without_warning(
    version: str, store: str, family: type
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        profile = profile_for(Engine(version, "1.41", store))  # type: ignore[arg-type]
    assert type(profile) is family


@pytest.mark.parametrize("version", ["24.0.7", "26.1.5", "28.5.2"])
def test_the_containerd_store_is_read_with_one_warning_that_its_rules_are_not_modelled(
    version: str,
) -> None:
    engine = Engine(version, "1.41", "containerd")
    with pytest.warns(StoreNotModelledWarning) as record:
        profile = profile_for(engine)
        profile_for(engine)
    assert type(profile) is Containerd
    assert len(record) == 1
    assert "rules are not modelled yet" in str(record[0].message)


@pytest.mark.parametrize(
    ("version", "store", "family", "nearest"),
    [
        ("19.3.15", "overlay2", Engine20, "20.10.24"),
        ("30.0.0", "overlay2", Overlay2, "28.5.2"),
        ("29.1.2", "overlay2", Overlay2, "28.5.2"),
        ("23.0.6", "containerd", Containerd, "24.0"),
    ],
)
def test_unknown_engines_take_the_nearest_rules_with_one_warning(
    version: str, store: str, family: type, nearest: str
) -> None:
    engine = Engine(version, "1.41", store)  # type: ignore[arg-type]
    with pytest.warns(EngineVersionWarning) as record:
        profile = profile_for(engine)
        profile_for(engine)  # the same engine again: no second warning
    assert type(profile) is family
    versions = [w for w in record if not issubclass(w.category, StoreNotModelledWarning)]
    assert len(versions) == 1
    message = str(versions[0].message)
    assert f"Engine {version} " in message
    assert f"Engine {nearest}" in message


def test_image_mounts_count_from_engine_28() -> None:
    assert not profile_for(Engine("26.1.5", "1.45")).image_mounts_are_use
    assert profile_for(Engine("28.0.0", "1.48")).image_mounts_are_use
    with pytest.warns(StoreNotModelledWarning):
        profile_for.cache_clear()
        assert profile_for(Engine("28.5.2", "1.51", "containerd")).image_mounts_are_use


# ---------------------------------------------------------------------------
# which engine a document is from
# ---------------------------------------------------------------------------


def _doc(**extra: Any) -> dict[str, Any]:
    d = HostBuilder()
    d.build([BUSYBOX], tag="base:1")
    doc = d.payloads()
    doc.update(extra)
    return doc


def test_engine_of_reads_version_and_api() -> None:
    doc = _doc(version={"Version": V28, "ApiVersion": "1.51"})
    # the builder writes 1.41-shaped bodies (VirtualSize): read at 1.41
    assert engine_of(doc) == Engine(V28, "1.41", "overlay2")
    for entry in doc["images_all"]:
        del entry["VirtualSize"]
    assert engine_of(doc) == Engine(V28, "1.51", "overlay2")
    assert engine_of({**doc, "api_version": "1.47"}) == Engine(V28, "1.47", "overlay2")


@pytest.mark.parametrize(
    "extra",
    [
        {"info": {"Driver": "overlayfs",
                  "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}},
        {"image_store": "containerd"},
    ],
)
def test_engine_of_detects_the_containerd_store(extra: dict[str, Any]) -> None:
    doc = _doc(version={"Version": V28, "ApiVersion": "1.51"}, **extra)
    assert engine_of(doc).store == "containerd"


def test_engine_of_detects_the_containerd_store_from_descriptors() -> None:
    doc = _doc(version={"Version": V28, "ApiVersion": "1.51"})
    doc["images_all"][0]["Descriptor"] = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": doc["images_all"][0]["Id"],
        "size": 481,
    }
    assert engine_of(doc).store == "containerd"


def test_a_document_without_version_is_read_with_a_warning() -> None:
    doc = _doc()
    del doc["version"]
    with pytest.warns(EngineVersionWarning, match="no 'version' body; modelling Engine 28.5.2"):
        host = Host.from_api(doc)
    assert host.engine.version == "28.5.2"


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"version": {"ApiVersion": "1.41"}}, "version.Version", "expected the engine's version"),
        ({"version": {"Version": 20, "ApiVersion": "1.41"}}, "version.Version", "expected"),
        ({"version": {"Version": V28}}, "version.ApiVersion", "expected the engine's API"),
        ({"version": {"Version": "latest", "ApiVersion": "1.41"}}, "version", "got 'latest'"),
        ({"version": []}, "version", "expected an object, got list"),
        ({"api_version": 1.41}, "api_version", "expected a string like '1.41'"),
        ({"api_version": "v1"}, "api_version", "got 'v1'"),
        ({"image_store": "zfs"}, "image_store", "expected one of overlay2, containerd"),
    ],
)
def test_bad_engine_facts_name_the_field(change: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(InvalidPayload) as info:
        Host.from_api(_doc(**change))
    assert info.value.field == field
    assert problem in info.value.problem


def test_bodies_of_different_api_versions_are_refused() -> None:
    d = HostBuilder(engine_version=V28)
    d.build([BUSYBOX], tag="base:1")
    d.build([10], tag="app:1")
    doc = d.payloads()
    doc["version"]["ApiVersion"] = "1.51"
    del doc["images_all"][1]["VirtualSize"]
    with pytest.raises(InvalidPayload) as info:
        Host.from_api(doc)
    assert info.value.field == "images_all[1].VirtualSize"
    assert "different API versions" in info.value.problem


def test_the_caller_can_name_the_engine() -> None:
    doc = _doc()
    host = Host.from_api(doc, engine="26.1/containerd@1.41")
    assert host.engine == Engine("26.1", "1.41", "containerd")
    with pytest.raises(InvalidArgument, match="expected VERSION"):
        Host.from_api(doc, engine="newest")


# ---------------------------------------------------------------------------
# rules that differ
# ---------------------------------------------------------------------------


def _classic_web(version: str) -> tuple[Host, dict[str, str]]:
    """base:1 (busybox); web:1.0 = COPY 30 kB + EXPOSE on base (classic builder)."""
    d = HostBuilder(engine_version=version)
    base = d.build([BUSYBOX], tag="base:1")[-1]
    copy, web = d.build([30_000, None], base=base, tag="web:1.0")
    d.container("web:1.0", "running", name="web")
    return d.host(), {"base": base, "copy": copy, "web": web}


@pytest.mark.parametrize(
    ("version", "shared_web"),
    [
        # 20.10: only the listed images' chains count: web shares the busybox layer
        (V20, BUSYBOX),
        # 23+: every image counts; the COPY step's intermediate holds web's top layer
        (V26, BUSYBOX + 30_000),
        (V28, BUSYBOX + 30_000),
    ],
)
def test_shared_size_scope(version: str, shared_web: int) -> None:
    host, ids = _classic_web(version)
    rows = {row.image.id: row for row in host.disk_usage().images}
    assert rows[ids["web"]].size == BUSYBOX + 30_000
    assert rows[ids["web"]].shared_size == shared_web
    assert rows[ids["base"]].shared_size == BUSYBOX
    # LayersSize is unchanged: distinct layers of the listed images
    assert host.disk_usage().layers_size == BUSYBOX + 30_000


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (V20, "You cannot remove a running container {cid}. Stop the container before "
              "attempting removal or force remove"),
        (V28, 'cannot remove container "web": container is running: stop the container '
              "before removing or force remove"),
    ],
)
def test_rm_of_a_running_container(version: str, message: str) -> None:
    host, _ = _classic_web(version)
    cid = host.find_container("web").id
    with pytest.raises(Conflict) as info:
        host.plan_rm("web")
    assert info.value.message == message.format(cid=cid)
    assert info.value.status == 409


@pytest.mark.parametrize(
    ("version", "state", "message"),
    [
        (V20, "paused", "You cannot remove a paused container {cid}. Unpause and then stop "
                        "the container before attempting removal or force remove"),
        (V28, "paused", 'cannot remove container "{name}": container is paused and must be '
                        "unpaused first"),
        (V28, "restarting", 'cannot remove container "{name}": container is restarting: stop '
                            "the container before removing or force remove"),
    ],
)
def test_rm_in_other_states(version: str, state: str, message: str) -> None:
    d = HostBuilder(engine_version=version)
    d.build([BUSYBOX], tag="base:1")
    d.container("base:1", state, name="x")
    host = d.host()
    cid = host.find_container("x").id
    for name in ("x", "/x", cid[:10]):
        with pytest.raises(Conflict) as info:
            host.plan_rm(name)
        assert info.value.message == message.format(cid=cid, name=name)


@pytest.mark.parametrize(
    ("version", "message", "status"),
    [
        (V20, "Multiple IDs found with provided prefix: ab", 500),
        (V28, "multiple IDs found with provided prefix: ab", 400),
    ],
)
def test_ambiguous_container_prefix(version: str, message: str, status: int) -> None:
    d = HostBuilder(engine_version=version)
    d.build([BUSYBOX], tag="base:1")
    d.container("base:1", container_id="ab" + "0" * 62)
    d.container("base:1", container_id="ab" + "1" * 62)
    host = d.host()
    with pytest.raises(AmbiguousPrefix) as info:
        host.find_container("ab")
    assert (info.value.message, info.value.status) == (message, status)


_LOWER_2_8 = "invalid reference format: repository name must be lowercase"
_TOO_LONG = "repository name must not be more than 255 characters"


@pytest.mark.parametrize(
    ("version", "name", "status", "message"),
    [
        # docker/distribution v2.8.1 (docs/reference.md)
        (V20, "UPPER/x:1", 400, _LOWER_2_8),
        (V20, "[::1]:5000/x", 400, "invalid reference format"),
        (V20, "a" * 238, 400, _TOO_LONG),
        (V20, "Foo", 400, _LOWER_2_8),
        # Engine 23.0-24.x vendor docker/distribution v2.8 too (moby v24.0.9 vendor.mod)
        ("24.0.9", "UPPER/x:1", 400, _LOWER_2_8),
        ("23.0.6", "a" * 238, 400, _TOO_LONG),
        # distribution/reference v0.6 (what real 26.1.5 and 28.5.2 answered)
        (V26, "UPPER/x:1", 404, "No such image: UPPER/x:1"),
        (V28, "[::1]:5000/x", 404, "No such image: [::1]:5000/x:latest"),
        (V26, "a" * 238, 404, f"No such image: {'a' * 238}:latest"),
        (V28, "Foo", 400,
         "invalid reference format: repository name (library/Foo) must be lowercase"),
    ],
)
def test_lookups_parse_names_with_the_engines_reference_version(
    version: str, name: str, status: int, message: str
) -> None:
    host, _ = _classic_web(version)
    with pytest.raises(EngineError) as info:
        host.find_image(name)
    assert (info.value.status, info.value.message) == (status, message)


@pytest.mark.parametrize(
    ("version", "message"),
    [(V20, "Invalid filter 'colour'"), (V28, "invalid filter 'colour'")],
)
def test_invalid_filter_wording(version: str, message: str) -> None:
    host, _ = _classic_web(version)
    for call in (
        lambda: host.list_images(filters={"colour": "red"}),
        lambda: host.plan_image_prune(filters={"colour": "red"}),
        lambda: host.plan_container_prune(filters={"colour": "red"}),
    ):
        with pytest.raises(InvalidArgument) as info:
            call()
        assert info.value.message == message


@pytest.mark.parametrize(("version", "conflict"), [(V26, False), (V28, True)])
def test_image_mounts_count_as_use_on_the_reference_path(version: str, conflict: bool) -> None:
    d = HostBuilder(engine_version=version)
    data = d.build([BUSYBOX], tag="data:1")[-1]
    d.build([10], tag="app:1")
    cid = d.container("app:1", "exited", name="app")
    d.containers[-1]["Mounts"] = [
        {"Type": "image", "Source": data, "Destination": "/data", "Mode": "", "RW": False,
         "Propagation": ""}
    ]
    host = d.host()
    if conflict:
        with pytest.raises(Conflict) as info:
            host.plan_rmi("data:1")
        assert info.value.message == (
            'conflict: unable to remove repository reference "data:1" (must force) - '
            f"container {cid[:12]} is using its referenced image {data[7:19]}"
        )
    else:
        records = [r.to_api() for r in host.plan_rmi("data:1").records]
        assert records[0] == {"Untagged": "data:1"}


# ---------------------------------------------------------------------------
# documents per engine and API version
# ---------------------------------------------------------------------------


def _dangling_host(version: str, api: str) -> tuple[Host, str]:
    d = HostBuilder(engine_version=version)
    base = d.build([BUSYBOX], tag="base:1")[-1]
    dangling = d.build([5], base=base)[-1]
    doc = d.payloads()
    doc["version"]["ApiVersion"] = max_api_version(Engine(version, "1.41").release)
    doc["api_version"] = api
    return Host.from_api(doc), dangling


@pytest.mark.parametrize(
    ("api", "tags", "digests", "virtual", "containers"),
    [
        ("1.41", ["<none>:<none>"], ["<none>@<none>"], True, -1),
        ("1.42", ["<none>:<none>"], ["<none>@<none>"], True, -1),
        ("1.43", [], [], True, -1),
        ("1.44", [], [], False, -1),
        ("1.50", [], [], False, -1),
        ("1.51", [], [], False, 0),
    ],
)
def test_image_list_shapes_per_api_version(
    api: str, tags: list[str], digests: list[str], virtual: bool, containers: int
) -> None:
    host, dangling = _dangling_host(V28, "1.51")
    entry = next(e for e in host.list_images(api_version=api) if e["Id"] == dangling)
    assert entry["RepoTags"] == tags
    assert entry["RepoDigests"] == digests
    assert ("VirtualSize" in entry) is virtual
    assert entry["Containers"] == containers
    tagged = next(e for e in host.list_images(api_version=api) if e["Id"] != dangling)
    assert tagged["RepoTags"] == ["base:1"]
    assert tagged["RepoDigests"] == (None if api < "1.43" else [])


@pytest.mark.parametrize("api", ["1.40", "1.52", "2.0", "latest"])
def test_api_versions_the_engine_does_not_answer_in(api: str) -> None:
    host, _ = _dangling_host(V28, "1.51")
    with pytest.raises(InvalidArgument, match=r"is not one Engine 28\.5\.2"):
        host.list_images(api_version=api)
    with pytest.raises(InvalidArgument):
        host.disk_usage().to_api(api_version=api)


def test_engine_20_answers_only_in_1_41() -> None:
    host, _ = _dangling_host(V20, "1.41")
    assert host.engine.api_version == "1.41"
    with pytest.raises(InvalidArgument, match=r"the model shapes 1.41 to 1.41"):
        host.list_images(api_version="1.44")


@pytest.mark.parametrize(
    ("version", "api", "tags", "virtual", "build_cache", "builder_size"),
    [
        (V20, "1.41", ["<none>:<none>"], True, None, True),
        # omitted when 0 (omitempty)
        (V28, "1.41", None, True, [], False),
        (V28, "1.43", None, True, [], False),
        (V28, "1.51", None, False, [], False),
    ],
)
def test_system_df_shapes(
    version: str, api: str, tags: list[str] | None, virtual: bool,
    build_cache: list[Any] | None, builder_size: bool,
) -> None:
    host, dangling = _dangling_host(version, api)
    doc = host.disk_usage().to_api()
    entry = next(e for e in doc["Images"] if e["Id"] == dangling)
    assert entry["RepoTags"] == tags
    assert entry["RepoDigests"] == (None if tags is None else ["<none>@<none>"])
    assert entry["SharedSize"] == BUSYBOX
    assert entry["Containers"] == 0
    assert ("VirtualSize" in entry) is virtual
    assert doc["BuildCache"] == build_cache
    assert ("BuilderSize" in doc) is builder_size


def test_build_cache_parents_key_per_api_version() -> None:
    d = HostBuilder(engine_version=V28)
    d.build([BUSYBOX], tag="base:1")
    doc = d.payloads()
    doc["version"]["ApiVersion"] = "1.51"
    for entry in doc["images_all"]:
        del entry["VirtualSize"]
    record = {"ID": "a" * 25, "Type": "regular", "Description": "[2/2] COPY x /x",
              "InUse": False, "Shared": True, "Size": 10, "CreatedAt": "2026-11-29T10:07:54Z",
              "LastUsedAt": "2026-11-29T10:07:58Z", "UsageCount": 1,
              " Parents": ["b" * 25]}
    root = {**record, "ID": "b" * 25, "Description": "[1/2] COPY busybox /bin/busybox",
            "Size": BUSYBOX}
    del root[" Parents"]
    doc["system_df"] = {"Volumes": [], "BuildCache": [root, record]}
    host = Host.from_api(doc)
    at_151 = host.disk_usage().to_api()["BuildCache"]
    assert at_151 == [root, record]
    at_141 = host.disk_usage().to_api(api_version="1.41")
    assert [r.get(" Parents") for r in at_141["BuildCache"]] == [None, None]
    assert all("Parent" not in r for r in at_141["BuildCache"])
    assert at_141["BuilderSize"] == BUSYBOX + 10


# ---------------------------------------------------------------------------
# volume prune, ps filters and rm refusals, per engine (each verified against
# the real engine in test_cli_more_engine.py and test_prune_differential.py)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "rule"),
    [
        ("20.10", VOLUME_PRUNE_1_41),
        ("26.1", VOLUME_PRUNE_1_42),
        ("26.1.5@1.41", VOLUME_PRUNE_1_41),
        ("28.5", VOLUME_PRUNE_1_42),
        ("28.5.2/containerd", VOLUME_PRUNE_1_42),
        ("28.5.2@1.42", VOLUME_PRUNE_1_42),
    ],
)
def test_volume_prune_rule_follows_the_request_api_version(engine: str, rule: Any) -> None:
    assert profile_for(Engine.parse(engine)).volume_prune_rule() is rule


@pytest.mark.parametrize(
    ("version", "filters", "status", "message"),
    [
        (V20, {"status": ["bogus"]}, 400, "Invalid filter 'status=bogus'"),
        (V26, {"status": ["bogus"]}, 400, "invalid filter 'status=bogus'"),
        (V28, {"status": ["bogus"]}, 400,
         "invalid filter 'status=bogus': invalid value for state (bogus): must be one of "
         "created, running, paused, restarting, removing, exited, dead"),
        (V20, {"before": ["nosuch"]}, 500, "no such container nosuch"),
        (V26, {"before": ["nosuch"]}, 404, "No such container: nosuch"),
        (V28, {"since": ["nosuch"]}, 404, "No such container: nosuch"),
    ],
)
def test_container_list_filter_errors(
    version: str, filters: dict[str, list[str]], status: int, message: str
) -> None:
    host, _ = _classic_web(version)
    with pytest.raises(EngineError) as info:
        listed_containers(host, all=True, filters=filters)
    assert (info.value.status, info.value.message) == (status, message)


@pytest.mark.parametrize(
    ("version", "name", "message"),
    [
        (V26, "web", 'cannot remove container "/web": container is running: stop the container '
         "before removing or force remove"),
        (V28, "web", 'cannot remove container "web": container is running: stop the container '
         "before removing or force remove"),
        (V28, "/web", 'cannot remove container "/web": container is running: stop the container '
         "before removing or force remove"),
    ],
)
def test_rm_refusal_names_the_container_as_the_engine_does(
    version: str, name: str, message: str
) -> None:
    host, _ = _classic_web(version)
    with pytest.raises(Conflict) as info:
        host.plan_rm(name)
    assert (info.value.status, info.value.message) == (409, message)
