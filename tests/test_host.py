"""The host graph offline: payload mapping, layer sizing, lookup, listing, disk usage.

The states are small engine payload documents written the way Engine 20.10
answers (classic builder: every step an image whose parent is the previous
step). The live-engine comparison is in test_host_engine.py.
"""

from __future__ import annotations

import copy
import hashlib
import time
from typing import Any

import pytest

from dockermodel import Conflict, Host, InvalidArgument, InvalidPayload, NotFound
from dockermodel.digest import chain_ids
from dockermodel.errors import AmbiguousPrefix, EngineError


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class Doc:
    """Builds a payload document step by step, as the classic builder would."""

    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.inspect: dict[str, Any] = {}
        self.history: dict[str, Any] = {}
        self.containers: list[dict[str, Any]] = []
        self.clock = 1_700_000_000

    def step(
        self,
        name: str,
        parent: str | None = None,
        layer: int | None = None,
        created_by: str = "",
        tags: tuple[str, ...] = (),
        labels: dict[str, str] | None = None,
        id_seed: str | None = None,
    ) -> str:
        """One build step: a new image on ``parent`` adding a layer of ``layer`` bytes (or none)."""
        self.clock += 1
        image_id = sha(id_seed or name)
        if parent is not None:
            p = self.inspect[parent]
            diffs = list(p["RootFS"].get("Layers", []))
            size = p["Size"]
            hist = copy.deepcopy(self.history[parent])
        else:
            diffs, size, hist = [], 0, []
        if layer is not None:
            diffs.append(sha("diff:" + name))
            size += layer
        hist.insert(0, {
            "Id": image_id, "Created": self.clock,
            "CreatedBy": created_by or ("/bin/sh -c #(nop) COPY " + name if layer is not None
                                        else "/bin/sh -c #(nop)  ENV X=" + name),
            "Tags": None, "Size": layer or 0, "Comment": "",
        })
        self.images[image_id] = {
            "Containers": -1, "Created": self.clock, "Id": image_id, "Labels": labels,
            "ParentId": parent or "", "RepoDigests": None, "RepoTags": list(tags) or None,
            "SharedSize": -1, "Size": size, "VirtualSize": size,
        }
        self.inspect[image_id] = {
            "Id": image_id, "Parent": parent or "", "Size": size,
            "Created": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.clock)) + ".123456789Z",
            "RootFS": {"Type": "layers", "Layers": diffs} if diffs else {"Type": "layers"},
        }
        self.history[image_id] = hist
        return image_id

    def container(self, name: str, image: str, state: str = "exited", typed: str | None = None,
                  size_rw: int = 0) -> str:
        self.clock += 1
        cid = hashlib.sha256(name.encode()).hexdigest()
        doc: dict[str, Any] = {
            "Id": cid, "Names": ["/" + name], "Image": typed or image, "ImageID": image,
            "Command": "/bin/busybox true", "Created": self.clock, "Ports": [], "Labels": {},
            "State": state, "Status": "Exited (0) 1 second ago",
            "HostConfig": {"NetworkMode": "none"},
            "NetworkSettings": {"Networks": {}}, "Mounts": [],
        }
        if size_rw:
            doc["SizeRw"] = size_rw
        doc["SizeRootFs"] = self.images[image]["Size"] + size_rw
        self.containers.insert(0, doc)
        return cid

    def payloads(self) -> dict[str, Any]:
        images = []
        for s in self.images.values():
            s = dict(s)
            if not s["RepoTags"] and not s["RepoDigests"]:
                s["RepoTags"], s["RepoDigests"] = ["<none>:<none>"], ["<none>@<none>"]
            images.append(s)
        images.sort(key=lambda s: -s["Created"])
        return {"images_all": images, "image_inspect": self.inspect,
                "image_history": self.history, "containers": self.containers,
                "version": {"Version": "20.10.24", "ApiVersion": "1.41"}}


L1, L2, L3, L4 = 1_982_256, 100_000, 30_000, 4_096


def worked_example() -> tuple[Doc, dict[str, str]]:
    """ENGINE_SEMANTICS §4.7: base:1, app:1 (+L2, LABEL, empty RUN, +L3), other:1 (+L4)."""
    d = Doc()
    ids: dict[str, str] = {}
    ids["b0"] = d.step("busybox", layer=L1)
    ids["base"] = d.step("base", ids["b0"], tags=("base:1",))
    ids["a1"] = d.step("f1", ids["base"], layer=L2)
    ids["a2"] = d.step("label", ids["a1"])
    ids["a3"] = d.step("run", ids["a2"], created_by='/bin/sh -c ["/bin/busybox","true"]')
    ids["app"] = d.step("f2", ids["a3"], layer=L3, tags=("app:1",))
    ids["other"] = d.step("f3", ids["base"], layer=L4, tags=("other:1",))
    return d, ids


def test_worked_example_disk_usage() -> None:
    d, ids = worked_example()
    usage = Host.from_api(d.payloads()).disk_usage()
    doc = usage.to_api()
    assert doc["LayersSize"] == L1 + L2 + L3 + L4 == 2_116_352
    rows = {i["Id"]: (i["Size"], i["SharedSize"], i["Containers"]) for i in doc["Images"]}
    assert rows == {
        ids["other"]: (L1 + L4, L1, 0),
        ids["app"]: (L1 + L2 + L3, L1, 0),
        ids["base"]: (L1, L1, 0),
    }
    assert [i["Id"] for i in doc["Images"]] == [ids["other"], ids["app"], ids["base"]]
    assert usage.engine_reclaimable == 2_116_352
    assert usage.reclaimable == 2_116_352
    assert doc["Containers"] == [] and doc["Volumes"] == [] and doc["BuildCache"] is None


def test_worked_example_with_a_container_on_the_untagged_app() -> None:
    # GIVEN app untagged (a dangling leaf) and used by a running container
    d, ids = worked_example()
    d.images[ids["app"]]["RepoTags"] = None
    d.container("web", ids["app"], state="running")
    usage = Host.from_api(d.payloads()).disk_usage()
    # THEN the CLI's figure is 2116352 - (2112256 - 1982256) = 1986352 (93%)
    assert usage.engine_reclaimable == 1_986_352
    assert usage.engine_reclaimable_percent == 93
    assert usage.active_images == 1
    # but only other's own layer is really freed by removing every unused image
    assert usage.reclaimable == L4


def test_layer_sizes_follow_from_size_differences_without_history() -> None:
    d, ids = worked_example()
    payloads = d.payloads()
    payloads["image_history"] = {}
    host = Host.from_api(payloads)
    chain = host.images[ids["app"]].layers
    assert [host.layers[c].size for c in chain] == [L1, L2, L3]
    assert host.images[ids["app"]].diff_ids == (sha("diff:busybox"), sha("diff:f1"), sha("diff:f2"))
    assert chain == chain_ids(host.images[ids["app"]].diff_ids)


def test_a_real_zero_size_layer_is_placed_by_the_parent_rule() -> None:
    # GIVEN a RUN mkdir step: a real layer of size 0 beside empty metadata steps
    d = Doc()
    b = d.step("busybox", layer=L1)
    e = d.step("env", b)
    m = d.step("mkdir", e, layer=0, created_by="/bin/sh -c mkdir /d")
    top = d.step("f", m, layer=7, tags=("t:1",))
    payloads = d.payloads()
    # only the top image is listed with its history; its parents are gone from the document
    payloads["images_all"] = [s for s in payloads["images_all"] if s["Id"] == top]
    for key in ("image_inspect", "image_history"):
        payloads[key] = {top: payloads[key][top]}
    payloads["images_all"][0]["ParentId"] = ""
    host = Host.from_api(payloads)
    sizes = [host.layers[c].size for c in host.images[top].layers]
    assert sizes == [L1, 0, 7]


def test_sizes_that_do_not_add_up_are_taken_from_the_engine() -> None:
    """A Size off the layer store's arithmetic is read, kept, and listed in ``taken``."""
    d, ids = worked_example()
    payloads = d.payloads()
    for s in payloads["images_all"]:
        if s["Id"] == ids["a2"]:
            s["Size"] += 1
    host = Host.from_api(payloads)
    assert host.taken == frozenset({f"images[{ids['a2']}].size"})
    exact = Host.from_api(d.payloads())
    assert host.images[ids["a2"]].size == exact.images[ids["a2"]].size + 1
    # every layer is still sized exactly (from the histories)
    assert host.layers == exact.layers
    assert exact.taken == frozenset()


def test_sizes_that_cannot_be_derived_name_the_missing_history() -> None:
    d, ids = worked_example()
    payloads = d.payloads()
    payloads["image_history"] = {}
    for s in payloads["images_all"]:
        if s["Id"] == ids["a2"]:
            s["Size"] += 1
    with pytest.raises(InvalidPayload) as info:
        Host.from_api(payloads)
    assert info.value.field == "image_history"
    assert "needed to size its layer" in info.value.problem


def _break(path: str, value: Any) -> dict[str, Any]:
    d, ids = worked_example()
    doc = d.payloads()
    target: Any = doc
    parts = path.split("/")
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[ids.get(part, part)]
    last = ids.get(parts[-1], parts[-1])
    if isinstance(target, list):
        target[int(last)] = value
    elif value is KeyError:
        del target[last]
    else:
        target[last] = value
    return doc


MALFORMED = [
    ("images_all", None, "images_all", "expected an array, got null"),
    ("images_all/0", 7, "images_all[0]", "expected an object, got an integer"),
    ("images_all/0/Id", "sha256:xyz", "images_all[0].Id", "expected sha256: and 64 lowercase hex"),
    ("images_all/0/Id", KeyError, "images_all[0].Id", "missing"),
    ("images_all/1/Size", "big", "images_all[1].Size", "expected an integer, got a string"),
    ("images_all/2/RepoTags", ["Not/Valid"], "images_all[2].RepoTags[0]", "must be lowercase"),
    ("images_all/2/ParentId", 3, "images_all[2].ParentId", "expected a string, got an integer"),
    ("image_inspect/app/RootFS/Layers", ["x"], "image_inspect['sha256:", "a sha256 digest"),
    ("image_inspect/app/Created", "yesterday", "image_inspect['sha256:", "RFC 3339"),
    ("image_history/app", {"x": 1}, "image_history['sha256:", "expected an array"),
    ("containers", {"a": 1}, "containers", "expected an array, got an object"),
]


@pytest.mark.parametrize(("path", "value", "field", "problem"), MALFORMED)
def test_malformed_payloads_name_the_field(path: str, value: Any, field: str, problem: str) -> None:
    doc = _break(path, value)
    with pytest.raises(InvalidPayload) as info:
        Host.from_api(doc)
    assert info.value.field.startswith(field)
    assert problem in info.value.problem
    assert str(info.value).startswith(info.value.field + ": ")


def test_missing_inspect_is_named() -> None:
    d, ids = worked_example()
    doc = d.payloads()
    del doc["image_inspect"][ids["app"]]
    with pytest.raises(InvalidPayload, match=r"^image_inspect: no entry for sha256:"):
        Host.from_api(doc)


def test_container_payload_errors_are_named() -> None:
    d, ids = worked_example()
    d.container("web", ids["app"])
    doc = d.payloads()
    doc["containers"][0]["State"] = "sleeping"
    with pytest.raises(InvalidPayload) as info:
        Host.from_api(doc)
    assert (info.value.field, info.value.problem) == (
        "containers[0].State", "unknown container state 'sleeping'")


# ----------------------------------------------------------------------------
# lookup (R1.6, R1.7)
# ----------------------------------------------------------------------------


def lookup_host() -> tuple[Host, dict[str, str]]:
    d = Doc()
    ids: dict[str, str] = {}
    ids["a"] = d.step("a", layer=5, tags=("app:1", "app:latest"), id_seed="seed-a")
    ids["b"] = d.step("b", layer=6, tags=("zzz/app:1", "localhost:5000/app:1"), id_seed="seed-b")
    # an image whose tag is a hex prefix of the other image's id
    hex_b = ids["b"][7:]
    ids["c"] = d.step("c", layer=7, tags=(hex_b[:4] + ":latest",), id_seed="seed-c")
    d.container("web", ids["a"])
    d.container("db", ids["b"], typed="zzz/app:1")
    return Host.from_api(d.payloads()), ids


def test_find_image_rules() -> None:
    host, ids = lookup_host()
    a, b, c = ids["a"], ids["b"], ids["c"]
    assert host.find_image("app").id == a
    assert host.find_image("app:1").id == a
    assert host.find_image("docker.io/library/app:1").id == a
    assert host.find_image("zzz/app:1").id == b
    assert host.find_image("localhost:5000/app:1").id == b
    assert host.find_image(b).id == b
    assert host.find_image(b[7:]).id == b
    assert host.find_image(b[7:19]).id == b
    # a reference beats an id prefix (R1.6.3)
    assert host.find_image(b[7:11]).id == c
    assert host.find_image("sha256:" + b[7:11]).id == b


def test_find_image_unique_prefixes_of_any_length() -> None:
    host, ids = lookup_host()
    hexes = sorted(i[7:] for i in host.images)
    for image_id in host.images:
        h = image_id[7:]
        n = 1
        while sum(1 for x in hexes if x.startswith(h[:n])) > 1:
            n += 1
        assert host.find_image(h[:n]).id == image_id or host.find_image(h[:n]).id == ids["c"]


@pytest.mark.parametrize(
    ("name", "error", "status", "message"),
    [
        ("nosuch", NotFound, 404, "No such image: nosuch:latest"),
        ("nosuch:2", NotFound, 404, "No such image: nosuch:2"),
        ("app:2", NotFound, 404, "No such image: app:2"),
        ("sha256:5", NotFound, 404, "No such image: sha256:5"),
        ("f" * 64, NotFound, 404, "No such image: sha256:" + "f" * 64),
        ("sha256:" + "f" * 64, NotFound, 404, "No such image: sha256:" + "f" * 64),
        # Engine 20.10 vendors distribution v2.8.1: its message names no repository
        ("NoSuch", InvalidArgument, 400,
         "invalid reference format: repository name must be lowercase"),
        ("a@b", InvalidArgument, 400, "invalid reference format"),
        # v2.8.1: an uppercase first component is not a domain (v0.6: no such image)
        ("UPPER/x:1", InvalidArgument, 400,
         "invalid reference format: repository name must be lowercase"),
        # v2.8.1 has no IPv6 hosts (v0.6: no such image)
        ("[::1]:5000/x", InvalidArgument, 400, "invalid reference format"),
        # v2.8.1 counts docker.io/library/ in the 255 (v0.6: the path only)
        ("a" * 238, InvalidArgument, 400, "repository name must not be more than 255 characters"),
        ("a" * 237, NotFound, 404, "No such image: " + "a" * 237 + ":latest"),
    ],
)
def test_find_image_errors(name: str, error: type[EngineError], status: int, message: str) -> None:
    host, _ = lookup_host()
    with pytest.raises(error) as info:
        host.find_image(name)
    assert type(info.value) is error
    assert (info.value.status, info.value.message, str(info.value)) == (status, message, message)


def test_an_ambiguous_prefix_is_not_found() -> None:
    d = Doc()
    # find two seeds whose ids share a first hex digit
    seeds = [f"s{i}" for i in range(40)]
    first: dict[str, str] = {}
    pair = None
    for s in seeds:
        h = sha(s)[7]
        if h in first:
            pair = (first[h], s)
            break
        first[h] = s
    assert pair is not None
    d.step("x", layer=1, id_seed=pair[0])
    d.step("y", layer=2, id_seed=pair[1])
    host = Host.from_api(d.payloads())
    digit = sha(pair[0])[7]
    with pytest.raises(NotFound) as info:
        host.find_image(digit)
    assert info.value.message == f"No such image: {digit}:latest"


def test_find_container_rules() -> None:
    host, _ = lookup_host()
    web = next(c for c in host.containers.values() if c.names == ("/web",))
    assert host.find_container("web") is web
    assert host.find_container("/web") is web
    assert host.find_container(web.id) is web
    assert host.find_container(web.id[:5]) is web
    with pytest.raises(NotFound) as info:
        host.find_container("nope")
    assert (info.value.status, info.value.message) == (404, "No such container: nope")
    with pytest.raises(InvalidArgument) as bad:
        host.find_container("")
    assert bad.value.message == 'invalid name or ID supplied: ""'


def test_an_ambiguous_container_prefix_is_a_500() -> None:
    d = Doc()
    image = d.step("x", layer=1)
    names = [f"n{i}" for i in range(40)]
    seen: dict[str, str] = {}
    for n in names:
        h = hashlib.sha256(n.encode()).hexdigest()[0]
        d.container(n, image)
        if h in seen:
            break
        seen[h] = n
    host = Host.from_api(d.payloads())
    with pytest.raises(AmbiguousPrefix) as info:
        host.find_container(h)
    assert (info.value.status, info.value.message) == (
        500, f"Multiple IDs found with provided prefix: {h}")
    assert isinstance(info.value, NotFound) and not isinstance(info.value, Conflict)


# ----------------------------------------------------------------------------
# listing (§3)
# ----------------------------------------------------------------------------


def test_listing_visibility_and_markers() -> None:
    d, ids = worked_example()
    ids["dangling"] = d.step("dangling", ids["base"], layer=1)
    host = Host.from_api(d.payloads())
    default = [i["Id"] for i in host.list_images()]
    assert set(default) == {ids["base"], ids["app"], ids["other"], ids["dangling"]}
    assert len(host.list_images(all=True)) == len(host.images) == 8
    dangling = host.list_images(filters={"dangling": ["true"]})
    assert [i["Id"] for i in dangling] == [ids["dangling"]]
    assert dangling[0]["RepoTags"] == ["<none>:<none>"]
    assert dangling[0]["RepoDigests"] == ["<none>@<none>"]
    app = next(i for i in host.list_images() if i["Id"] == ids["app"])
    assert app["RepoTags"] == ["app:1"] and app["RepoDigests"] is None
    assert app["ParentId"] == ids["a3"] and app["SharedSize"] == -1 and app["Containers"] == -1
    not_dangling = host.list_images(filters={"dangling": False})
    assert {i["Id"] for i in not_dangling} == {ids["base"], ids["app"], ids["other"]}


def test_listing_filters() -> None:
    d, ids = worked_example()
    d.images[ids["other"]]["Labels"] = {"team": "x", "tier": "db"}
    host = Host.from_api(d.payloads())
    assert [i["Id"] for i in host.list_images(filters={"reference": "ap*"})] == [ids["app"]]
    assert [i["Id"] for i in host.list_images(filters={"reference": ["*/app"]})] == []
    assert [i["Id"] for i in host.list_images(filters={"label": "team"})] == [ids["other"]]
    assert host.list_images(filters={"label": ["team", "tier=web"]}) == []
    since = host.list_images(filters={"since": "app:1"})
    assert [i["Id"] for i in since] == [ids["other"]]
    before = host.list_images(filters={"before": "app:1"})
    assert [i["Id"] for i in before] == [ids["base"]]
    with pytest.raises(InvalidArgument, match=r"^Invalid filter 'nope'$"):
        host.list_images(filters={"nope": "x"})
    with pytest.raises(InvalidArgument, match=r"^Invalid filter 'dangling=\[1\]'$"):
        host.list_images(filters={"dangling": "1"})
    with pytest.raises(NotFound, match=r"^No such image: gone:latest$"):
        host.list_images(filters={"since": "gone"})
    with pytest.raises(EngineError, match=r"^syntax error in pattern$"):
        host.list_images(filters={"reference": "[-x]"})


def test_container_image_field_follows_the_tag() -> None:
    d, ids = worked_example()
    d.container("c1", ids["app"], typed="app:1")
    d.container("c2", ids["other"], typed="app:1")  # the tag moved away from its image
    host = Host.from_api(d.payloads())
    listed = {c["Names"][0]: c["Image"] for c in host.list_containers()}
    assert listed == {"/c1": "app:1", "/c2": ids["other"]}


def test_host_is_a_value() -> None:
    d, _ = worked_example()
    one, two = Host.from_api(d.payloads()), Host.from_api(d.payloads())
    assert one == two and hash(one.images) == hash(two.images)
    with pytest.raises(AttributeError):
        one.images = {}  # type: ignore[misc]


def pulled_host_doc() -> tuple[Doc, dict[str, str]]:
    """Two "pulled" images: several layers each, no parents, a shared base layer."""
    d = Doc()
    ids: dict[str, str] = {}
    b = d.step("base-layer", layer=500)
    m = d.step("middle", b, layer=70)
    e = d.step("meta", m)
    ids["py"] = d.step("py", e, layer=9, tags=("py:3",))
    ids["slim"] = d.step("slim", b, layer=33, tags=("py:slim",))
    payloads = d.payloads()
    keep = {ids["py"], ids["slim"]}
    for s in payloads["images_all"]:
        s["ParentId"] = ""
    payloads["images_all"] = [s for s in payloads["images_all"] if s["Id"] in keep]
    d.images = {k: v for k, v in d.images.items() if k in keep}
    d.inspect = {k: v for k, v in d.inspect.items() if k in keep}
    d.history = {k: v for k, v in d.history.items() if k in keep}
    for k in keep:
        d.images[k]["ParentId"] = ""
    return d, ids


def test_history_needed_only_where_differences_do_not_size() -> None:
    from dockermodel._mapping import history_needed

    d, _ = worked_example()
    assert history_needed(d.payloads()) == []
    pulled, pids = pulled_host_doc()
    assert history_needed(pulled.payloads()) == sorted([pids["py"], pids["slim"]])
    host = Host.from_api(pulled.payloads())
    assert [host.layers[c].size for c in host.images[pids["py"]].layers] == [500, 70, 9]
    assert [host.layers[c].size for c in host.images[pids["slim"]].layers] == [500, 33]
    doc = host.disk_usage().to_api()
    assert doc["LayersSize"] == 500 + 70 + 9 + 33
    assert {i["Id"]: i["SharedSize"] for i in doc["Images"]} == {pids["py"]: 500, pids["slim"]: 500}
    missing = pulled.payloads()
    del missing["image_history"][pids["slim"]]
    with pytest.raises(InvalidPayload) as info:
        Host.from_api(missing)
    assert info.value.field == "image_history"
    assert pids["slim"] in info.value.problem


def test_payloads_rebuilt_from_the_model_round_trip() -> None:
    from dockermodel._mapping import payloads_from_host

    for doc in (worked_example()[0], pulled_host_doc()[0]):
        host = Host.from_api(doc.payloads())
        again = Host.from_api(payloads_from_host(host))
        assert again == host
        assert again.disk_usage().to_api() == host.disk_usage().to_api()


DIGEST = "sha256:" + "ab" * 32


def test_digest_references() -> None:
    # GIVEN an image pulled by tag (tag + digest) and one pulled by digest only
    d, ids = worked_example()
    d.images[ids["app"]]["RepoDigests"] = [f"app@{DIGEST}"]
    d.images[ids["other"]]["RepoTags"] = None
    d.images[ids["other"]]["RepoDigests"] = [f"other@{DIGEST}"]
    host = Host.from_api(d.payloads())
    assert host.find_image(f"app@{DIGEST}").id == ids["app"]
    assert host.find_image(f"app:1@{DIGEST}").id == ids["app"]
    assert host.find_image(f"docker.io/library/other@{DIGEST}").id == ids["other"]
    with pytest.raises(NotFound, match=r"^No such image: other:latest$"):
        host.find_image("other")
    listed = {i["Id"]: i for i in host.list_images()}
    assert listed[ids["app"]]["RepoTags"] == ["app:1"]
    assert listed[ids["app"]]["RepoDigests"] == [f"app@{DIGEST}"]
    assert listed[ids["other"]]["RepoTags"] is None
    assert listed[ids["other"]]["RepoDigests"] == [f"other@{DIGEST}"]
    # a digest-only image is "dangling" for the list filter (R3.1.4)
    dangling = host.list_images(filters={"dangling": True})
    assert [i["Id"] for i in dangling] == [ids["other"]]


def test_held_layers_of_force_deleted_images_carry_over() -> None:
    # GIVEN other:1 used by a stopped container, then force-deleted
    d, ids = worked_example()
    d.container("job", ids["other"], typed="other:1")
    before = Host.from_api(d.payloads())
    after = before.apply(before.plan_rmi("other:1", force=True))
    job = next(c for c in after.containers.values() if c.name == "job")
    assert ids["other"] not in after.images
    assert job.layers == before.images[ids["other"]].layers
    # WHEN the engine is read afresh: no API shows the chain the container holds
    payloads = after.to_payloads()
    del payloads["held_layers"]
    fresh = Host.from_api(payloads)
    assert fresh.containers[job.id].layers == ()
    # THEN an earlier host lends it back, and predictions agree again
    merged = fresh.keeping_held_layers(after)
    assert merged.layers == after.layers and merged.images == after.images
    assert merged.containers[job.id].layers == job.layers
    assert merged.list_containers() == after.list_containers()
    assert merged.plan_rmi("base:1").to_api() == after.plan_rmi("base:1").to_api()
    assert fresh.keeping_held_layers(fresh) is fresh
