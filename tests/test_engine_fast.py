"""The fast read of ``dockermodel.engine``: minimal reads, threads, cache, progress.

Against the throwaway engine: the requests sent are exactly the minimal set
(no history on a classic-builder host; one for an image loaded without its
intermediates), the cached host equals the uncached one field by field after
images are added, retagged and removed, threads are used as the knob says
and only GETs are sent from them. Against a fake engine (no root needed):
corrupt, foreign and concurrently written cache entries, the size bound, the
switches, and the progress callback and stderr line.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import docker
import enginekit
import pytest
from test_engine_adapter import IMAGE, OTHER, _FakeEngine, _ok

from dockermodel import Host
from dockermodel import _cache as cache_module
from dockermodel import engine as adapter
from dockermodel.errors import EngineRequestError, InvalidPayload

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes its cache under its own tmp directory."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv(cache_module.NO_CACHE_VARIABLE, raising=False)
    return home / "dockermodel"


class _AllClients:
    """Records (thread name, method, path) of every HTTP request this process sends.

    Patches ``http.client.HTTPConnection.putrequest``, which docker-py
    (through urllib3) and the lean client both go through, and refuses
    anything but GET.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        original = http.client.HTTPConnection.putrequest
        recorder = self

        def putrequest(connection: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            with recorder._lock:
                recorder.requests.append((threading.current_thread().name, method, url))
            if method != "GET":
                raise AssertionError(f"{method} {url} sent by a reader")
            return original(connection, method, url, *args, **kwargs)

        monkeypatch.setattr(http.client.HTTPConnection, "putrequest", putrequest)

    def paths(self) -> list[str]:
        return sorted(path for _, _, path in self.requests)

    def clear(self) -> None:
        self.requests.clear()


def _fixed(paths: list[str]) -> list[str]:
    return sorted(
        [
            "/v1.41/info",
            "/v1.41/version",
            "/v1.41/images/json?only_ids=0&all=1",
            "/v1.41/containers/json?limit=-1&all=1&size=1&trunc_cmd=0",
            "/v1.41/system/df",
            *paths,
        ]
    )


def _id(item: dict[str, Any]) -> str:
    return str(item["Id"])


def _without_status(host: Host) -> Host:
    """``host`` with every container's ``Status`` blanked.

    The engine writes that text when it answers ("Up 3 seconds", "Exited (0)
    2 minutes ago"), so it ages between two reads of an unchanged engine;
    everything else a read gives must be equal.
    """
    containers = {cid: attrs.evolve(c, status="") for cid, c in host.containers.items()}
    return attrs.evolve(host, containers=containers, payloads=None)


def _assert_equal_hosts(cached: Host, fresh: Host) -> None:
    """Equal but for the containers' ``Status`` text, in every field and in ``/system/df``."""
    cached, fresh = _without_status(cached), _without_status(fresh)
    assert sorted(cached.images) == sorted(fresh.images)
    for image_id, image in fresh.images.items():
        for field in attrs.fields(type(image)):
            assert getattr(cached.images[image_id], field.name) == getattr(image, field.name), (
                image_id,
                field.name,
            )
    assert cached.layers == fresh.layers
    assert cached.containers == fresh.containers
    assert cached.version == fresh.version
    # same-second images are listed in no fixed order: rows in Id order
    usage = [host.disk_usage().to_api() for host in (cached, fresh)]
    for document in usage:
        for key in ("Images", "Containers"):
            document[key] = sorted(document[key] or (), key=_id)
    assert usage[0] == usage[1]


def test_equal_hosts_ignore_only_the_status_text() -> None:
    # two reads of an unchanged engine a second apart: only Status moved ("Up 5 seconds")
    from dockermodel.cli import load_demo

    first = load_demo()
    aged = {
        **first.to_payloads(),
        "containers": [
            {**c, "Status": c["Status"].replace("5 seconds", "6 seconds")}
            for c in first.to_payloads()["containers"]
        ],
    }
    later = Host.from_api(aged)
    assert [c.status for c in later.containers.values()] == [
        "Exited (0) 3 seconds ago",
        "Up 6 seconds",
    ]
    _assert_equal_hosts(first, later)
    # and a real difference is still one
    stopped = {**aged, "containers": [{**aged["containers"][0], "State": "dead"}]}
    with pytest.raises(AssertionError):
        _assert_equal_hosts(first, Host.from_api(stopped))


# --------------------------------------------------------------------------
# Against the throwaway engine
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state(engine: enginekit.Engine) -> dict[str, str]:
    base = engine.build(["COPY a.txt /a.txt"], {"a.txt": b"fast-a"}, tag="fast/base:1")
    app = engine.build(
        ["COPY b.txt /b.txt", "LABEL role=app", "COPY c.txt /c.txt"],
        {"b.txt": b"b" * 3000, "c.txt": b"c" * 700},
        tag=["fast/app:1", "fast/app:2"],
        base=base,
    )
    side = engine.build(["COPY d.txt /d.txt"], {"d.txt": b"d" * 123}, base=base)
    engine.create(app, ("/bin/busybox", "true"), name="fast-created")
    engine.run(side, name="fast-exited")
    return {"base": base, "app": app, "side": side}


def _load_without_intermediates(engine: enginekit.Engine, tag: str, tmp: Path) -> str:
    """An image of 3 layers whose lower layers are the top of no image (saved and loaded)."""
    image = engine.build(
        ["COPY x.txt /x.txt", "ENV K=v", "COPY y.txt /y.txt"],
        {"x.txt": tag.encode() * 40, "y.txt": tag.encode() * 7},
        tag=tag,
        nocache=True,
    )
    archive = tmp / "saved.tar"
    engine.cli("save", "-o", str(archive), tag)
    engine.cli("rmi", tag)
    engine.cli("load", "-i", str(archive))
    assert engine.inspect_image(tag)["Id"] == image
    assert engine.inspect_image(tag)["Parent"] == ""
    return image


@pytest.mark.engine
def test_classic_builder_host_needs_no_history(
    engine: enginekit.Engine, state: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = engine.image_ids()
    recorder = _AllClients(monkeypatch)
    payloads = adapter.read_payloads(engine.client, cache=False)
    assert recorder.paths() == _fixed([f"/v1.41/images/{i}/json" for i in ids])
    assert payloads["image_history"] == {}
    everything = adapter.read_payloads(engine.client, cache=False, history="all")
    assert Host.from_api(payloads).layers == Host.from_api(everything).layers


@pytest.mark.engine
def test_warm_read_sends_no_per_image_request(
    engine: enginekit.Engine, state: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = adapter.read_payloads(engine.client)
    recorder = _AllClients(monkeypatch)
    calls: list[tuple[int, int]] = []
    warm = adapter.read_payloads(engine.client, progress=lambda d, t: calls.append((d, t)))
    assert recorder.paths() == _fixed([])
    assert calls == []
    # same-second images come in no fixed order: compare in Id order
    assert sorted(warm["images_all"], key=_id) == sorted(cold["images_all"], key=_id)
    for image_id, body in cold["image_inspect"].items():
        assert warm["image_inspect"][image_id] == cache_module.immutable_inspect(body)


@pytest.mark.engine
def test_loaded_image_reads_exactly_its_history(
    engine: enginekit.Engine,
    state: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    loaded = _load_without_intermediates(engine, "fast/loaded:1", tmp_path)
    recorder = _AllClients(monkeypatch)
    payloads = adapter.read_payloads(engine.client)
    history_paths = [p for _, _, p in recorder.requests if p.endswith("/history")]
    assert history_paths == [f"/v1.41/images/{loaded}/history"]
    assert list(payloads["image_history"]) == [loaded]
    sizes = [entry["Size"] for entry in engine.api.history(loaded) if entry["Size"]]
    host = Host.from_api(payloads)
    assert [host.layers[c].size for c in host.images[loaded].layers] == sizes[::-1]
    # warm: the history comes from the cache too
    recorder.clear()
    again = adapter.read_payloads(engine.client)
    assert recorder.paths() == _fixed([])
    assert again["image_history"] == {
        loaded: cache_module.immutable_history(payloads["image_history"][loaded])
    }
    engine.cli("rmi", "fast/loaded:1")


@pytest.mark.engine
def test_cached_and_uncached_hosts_are_equal_after_changes(
    engine: enginekit.Engine,
    state: dict[str, str],
    tmp_path: Path,
    _private_cache: Path,
) -> None:
    first = adapter.from_docker(engine.client)
    entries = list((_private_cache / "images").glob("*/*.json"))
    assert len(entries) == len(first.images)
    # images added (one needing a history), retagged, untagged and removed
    added = engine.build(
        ["COPY e.txt /e.txt"], {"e.txt": b"added"}, tag="fast/added:1", base=state["app"]
    )
    loaded = _load_without_intermediates(engine, "fast/loaded:2", tmp_path)
    engine.tag(state["side"], "fast/side:1")
    engine.cli("rmi", "fast/app:2")  # untags (app still has fast/app:1)
    engine.tag(added, "fast/app:1")  # moves the last tag off app: dangling, still used
    gone = engine.build(
        ["COPY g.txt /g.txt"], {"g.txt": b"gone"}, tag="fast/gone:1", base=state["base"]
    )
    adapter.from_docker(engine.client)  # gone is cached now
    engine.cli("rmi", "fast/gone:1")
    cached = adapter.from_docker(engine.client)
    fresh = adapter.from_docker(engine.client, cache=False, history="all")
    assert gone not in cached.images
    assert {added, loaded, state["side"]} <= set(cached.images)
    assert cached.images[state["side"]].repo_tags == fresh.images[state["side"]].repo_tags
    assert len(cached.images[added].repo_tags) == 2
    assert cached.images[state["app"]].repo_tags == ()
    _assert_equal_hosts(cached, fresh)
    engine.cli("rmi", "fast/loaded:2")


@pytest.mark.engine
def test_workers_knob(
    engine: enginekit.Engine, state: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _AllClients(monkeypatch)
    adapter.read_payloads(engine.client, cache=False, workers=1, system_df=False)
    assert {thread for thread, _, _ in recorder.requests} == {"MainThread"}
    recorder.clear()
    adapter.read_payloads(engine.client, cache=False, workers=3)
    inspect_threads = {
        t for t, _, p in recorder.requests if p.endswith("/json") and "/images/s" in p
    }
    assert len(inspect_threads) in (1, 2, 3)
    assert all(t.startswith("dockermodel-read") for t in inspect_threads)
    assert {m for _, m, _ in recorder.requests} == {"GET"}
    df_threads = [t for t, _, p in recorder.requests if p == "/v1.41/system/df"]
    assert len(df_threads) == 1 and df_threads[0] != "MainThread"
    with pytest.raises(ValueError, match=r"^workers must be at least 1, got 0$"):
        adapter.read_payloads(engine.client, workers=0)


# --------------------------------------------------------------------------
# Against a fake engine: cache safety, switches, progress
# --------------------------------------------------------------------------

THIRD = "sha256:" + "c" * 64
LAYER = "sha256:" + "d" * 64


@pytest.fixture
def fake() -> Iterator[_FakeEngine]:
    server = _FakeEngine()
    server.routes["/v1.41/images/json"] = _ok(
        [
            {"Id": i, "ParentId": "", "Size": 5, "Created": 1, "RepoTags": None}
            for i in (IMAGE, OTHER, THIRD)
        ]
    )
    for i in (IMAGE, OTHER, THIRD):
        server.routes[f"/v1.41/images/{i}/json"] = _ok(
            {
                "Id": i,
                "RepoTags": [],
                "Created": "2020-01-01T00:00:00Z",
                "RootFS": {"Type": "layers", "Layers": [LAYER]},
                "Size": 5,
                "Config": {"Labels": {"n": i[-3:]}},
            }
        )
        server.routes[f"/v1.41/images/{i}/history"] = _ok([{"Size": 5, "CreatedBy": "x"}])
    try:
        yield server
    finally:
        server.close()


def _inspects_seen(fake: _FakeEngine) -> list[str]:
    return sorted(p for p in fake.seen if p.startswith("/v1.41/images/sha256:"))


def _entry_path(directory: Path, image_id: str) -> Path:
    (engine_dir,) = (directory / "images").iterdir()
    return engine_dir / (image_id[7:] + ".json")


def test_bad_entries_are_ignored_and_read_again(fake: _FakeEngine, _private_cache: Path) -> None:
    clean = adapter.read_payloads(fake.api())
    assert len(_inspects_seen(fake)) == 3
    good = _entry_path(_private_cache, IMAGE).read_bytes()
    _entry_path(_private_cache, IMAGE).write_bytes(good[: len(good) // 2])  # torn
    entry = json.loads(_entry_path(_private_cache, OTHER).read_bytes())
    entry["id"] = THIRD  # another image's entry in this file
    _entry_path(_private_cache, OTHER).write_text(json.dumps(entry))
    fake.seen.clear()
    again = adapter.read_payloads(fake.api())
    assert _inspects_seen(fake) == sorted(f"/v1.41/images/{i}/json" for i in (IMAGE, OTHER))
    assert again["image_inspect"][IMAGE] == clean["image_inspect"][IMAGE]
    assert again["image_inspect"][THIRD] == cache_module.immutable_inspect(
        clean["image_inspect"][THIRD]
    )
    # the bad entries were rewritten: a third read asks nothing per image
    fake.seen.clear()
    adapter.read_payloads(fake.api())
    assert _inspects_seen(fake) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: e.update(format=2),
        lambda e: e.update(engine="another"),
        lambda e: e["inspect"].update(Id=OTHER),
        lambda e: e["inspect"].update(Created=17),
        lambda e: e["inspect"].update(RootFS={"Layers": [1]}),
        lambda e: e.update(history=[{"Size": "1"}]),
        lambda e: e.clear(),
    ],
)
def test_entry_of_wrong_shape_is_a_miss(damage: Any, _private_cache: Path) -> None:
    store = cache_module.ImageCache(_private_cache, "engine-1")
    inspect = {"Id": IMAGE, "Created": "2020-01-01T00:00:00Z", "RootFS": {"Layers": [LAYER]}}
    store.put(IMAGE, {**inspect, "RepoTags": ["a:1"]}, [{"Size": 3, "Tags": ["a:1"]}])
    assert store.get(IMAGE) == (inspect, [{"Size": 3}])
    path = _entry_path(_private_cache, IMAGE)
    entry = json.loads(path.read_text())
    damage(entry)
    path.write_text(json.dumps(entry))
    assert store.get(IMAGE) is None


def test_concurrent_writers_never_show_half_an_entry(_private_cache: Path) -> None:
    store = cache_module.ImageCache(_private_cache, "engine-1")
    inspect = {"Id": IMAGE, "Created": "2020-01-01T00:00:00Z", "Config": {"x": "y" * 5000}}
    bad: list[Any] = []

    def write() -> None:
        for _ in range(200):
            store.put(IMAGE, inspect, None)

    def read() -> None:
        for _ in range(400):
            got = store.get(IMAGE)
            if got is not None and got != (inspect, None):
                bad.append(got)

    threads = [threading.Thread(target=fn) for fn in (write, write, read, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bad == []
    assert store.get(IMAGE) == (inspect, None)
    assert [p.name for p in store.directory.iterdir()] == [IMAGE[7:] + ".json"]


def test_cache_size_is_bounded_oldest_first(_private_cache: Path) -> None:
    store = cache_module.ImageCache(_private_cache, "engine-1", max_bytes=2500)
    ids = ["sha256:" + c * 64 for c in "0123456789"]
    for n, image_id in enumerate(ids):
        store.put(image_id, {"Id": image_id, "Created": "x", "Config": "z" * 400}, None)
        os.utime(store._path(image_id), (1_000_000 + n, 1_000_000 + n))
    size = store._path(ids[0]).stat().st_size
    store.trim()
    kept = sorted(p.name[:1] for p in store.directory.iterdir())
    assert kept == [c for c in "0123456789"][10 - 2500 // size :]
    assert sum(p.stat().st_size for p in store.directory.iterdir()) <= 2500


def test_switches_turn_the_cache_off(
    fake: _FakeEngine, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter.read_payloads(fake.api(), cache=False)
    assert not _private_cache.exists()
    monkeypatch.setenv("DOCKERMODEL_NO_CACHE", "1")
    adapter.read_payloads(fake.api())
    assert not _private_cache.exists()
    monkeypatch.setenv("DOCKERMODEL_NO_CACHE", "0")
    elsewhere = _private_cache.parent.parent / "elsewhere"
    adapter.read_payloads(fake.api(), cache=elsewhere)
    assert not _private_cache.exists()
    assert len(list((elsewhere / "images").glob("*/*.json"))) == 3


def test_engine_without_id_is_not_cached(fake: _FakeEngine, _private_cache: Path) -> None:
    fake.routes["/v1.41/info"] = _ok({"Name": "no id"})
    adapter.read_payloads(fake.api())
    assert not _private_cache.exists()


def test_unwritable_cache_does_not_fail_the_read(fake: _FakeEngine, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    payloads = adapter.read_payloads(fake.api(), cache=blocker)
    assert list(payloads["image_inspect"]) == [IMAGE, OTHER, THIRD]


def test_progress_callback_counts_per_image_requests(fake: _FakeEngine) -> None:
    calls: list[tuple[int, int]] = []
    adapter.read_payloads(fake.api(), workers=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    calls.clear()
    adapter.read_payloads(
        fake.api(),
        cache=False,
        history="all",
        workers=1,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3), (3, 6), (4, 6), (5, 6), (6, 6)]
    with pytest.raises(TypeError, match=r"^progress must be a callable"):
        adapter.read_payloads(fake.api(), progress="yes")  # type: ignore[arg-type]


def test_progress_callback_with_threads_ends_at_the_total(fake: _FakeEngine) -> None:
    calls: list[tuple[int, int]] = []
    adapter.read_payloads(
        fake.api(), cache=False, workers=4, progress=lambda d, t: calls.append((d, t))
    )
    assert calls[0] == (0, 3)
    assert calls[-1] == (3, 3)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stderr_line_only_on_a_terminal_and_after_the_delay() -> None:
    terminal = _Terminal()
    line = adapter._StderrProgress(terminal, delay=0)
    line(5, 10)
    line(10, 10)
    line.close()
    assert terminal.getvalue() == (
        "\rdockermodel: reading images 5/10\rdockermodel: reading images 10/10\r\x1b[K"
    )
    slow = _Terminal()
    late = adapter._StderrProgress(slow, delay=3600)
    late(5, 10)
    late.close()
    assert slow.getvalue() == ""
    pipe = io.StringIO()
    piped = adapter._StderrProgress(pipe, delay=0)
    piped(5, 10)
    piped.close()
    assert pipe.getvalue() == ""


def test_default_progress_goes_to_stderr(
    fake: _FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(adapter.sys, "stderr", terminal)
    monkeypatch.setattr(adapter, "PROGRESS_DELAY", 0.0)
    adapter.read_payloads(fake.api(), cache=False, workers=1)
    assert terminal.getvalue() == (
        "\rdockermodel: reading images 0/3\rdockermodel: reading images 1/3"
        "\rdockermodel: reading images 2/3\rdockermodel: reading images 3/3\r\x1b[K"
    )
    quiet = _Terminal()
    monkeypatch.setattr(adapter.sys, "stderr", quiet)
    adapter.read_payloads(fake.api(), cache=False, progress=False)
    assert quiet.getvalue() == ""


def test_vanishing_image_with_threads_restarts(fake: _FakeEngine) -> None:
    fake.routes[f"/v1.41/images/{OTHER}/json"] = (404, b'{"message":"No such image: x"}')
    payloads = adapter.read_payloads(fake.api(), cache=False, workers=4)
    assert fake.seen.count("/v1.41/images/json") == 3
    assert [i["Id"] for i in payloads["images_all"]] == [IMAGE, THIRD]
    assert list(payloads["image_inspect"]) == [IMAGE, THIRD]


def test_pack_files_hold_many_entries(_private_cache: Path) -> None:
    store = cache_module.ImageCache(_private_cache, "engine-1")
    ids = [f"sha256:{n:064x}" for n in range(40)]
    entries = {
        i: ({"Id": i, "Created": "2020-01-01T00:00:00Z", "RepoTags": ["x:1"]}, None) for i in ids
    }
    store.save(entries, entries)  # 40 new: one pack
    (pack,) = [p.name for p in store.directory.iterdir()]
    assert pack.startswith("pack-")
    loaded = cache_module.ImageCache(_private_cache, "engine-1").load_all()
    assert sorted(loaded) == ids
    assert loaded[ids[0]] == ({"Id": ids[0], "Created": "2020-01-01T00:00:00Z"}, None)
    # one bad entry inside the pack is a miss for that image only
    document = json.loads((store.directory / pack).read_text())
    document["entries"][ids[3]]["inspect"]["Id"] = ids[4]
    (store.directory / pack).write_text(json.dumps(document))
    assert sorted(cache_module.ImageCache(_private_cache, "engine-1").load_all()) == [
        i for i in ids if i != ids[3]
    ]
    # a torn pack is a miss for all of them
    (store.directory / pack).write_text(json.dumps(document)[:500])
    assert cache_module.ImageCache(_private_cache, "engine-1").load_all() == {}


def test_loose_files_are_compacted_and_stale_entries_dropped(_private_cache: Path) -> None:
    ids = [f"sha256:{n:064x}" for n in range(80)]
    entries = {i: ({"Id": i, "Created": "t"}, None) for i in ids}
    store = cache_module.ImageCache(_private_cache, "engine-1")
    for i in ids[:70]:
        store.put(i, entries[i][0], None)
    reader = cache_module.ImageCache(_private_cache, "engine-1")
    assert len(reader.load_all()) == 70
    live = {i: entries[i] for i in ids[10:]}  # 10 removed from the engine, 10 new
    reader.save({i: entries[i] for i in ids[70:]}, live)
    (pack,) = [p.name for p in reader.directory.iterdir()]
    assert pack.startswith("pack-")
    assert sorted(cache_module.ImageCache(_private_cache, "engine-1").load_all()) == ids[10:]
    # few new entries: loose files, and loose entries of unlisted images go
    again = cache_module.ImageCache(_private_cache, "engine-1")
    again.load_all()
    extra = "sha256:" + "e" * 64
    again.put(ids[0], entries[ids[0]][0], None)  # stale loose file
    again.loose.add(ids[0])
    again.save({extra: ({"Id": extra, "Created": "t"}, [{"Size": 1}])}, {**live, extra: ({}, None)})
    names = sorted(p.name for p in again.directory.iterdir())
    assert names == sorted([pack, extra[7:] + ".json"])


def test_lean_and_docker_py_transports_read_the_same(fake: _FakeEngine) -> None:
    lean = adapter.read_payloads(fake.api(), cache=False, history="all")
    fake.seen.clear()
    classic = adapter.read_payloads(fake.api(), cache=False, history="all", transport="docker-py")
    assert lean == classic
    with pytest.raises(ValueError, match=r"^transport must be 'lean' or 'docker-py'"):
        adapter.read_payloads(fake.api(), transport="raw")  # type: ignore[arg-type]


@pytest.mark.parametrize("transport", ["lean", "docker-py"])
def test_per_image_request_errors_are_the_librarys(fake: _FakeEngine, transport: str) -> None:
    path = f"/v1.41/images/{OTHER}/json"
    fake.routes[path] = (200, b'{"Id": "sha', {"Content-Length": "500"})
    with pytest.raises(EngineRequestError) as caught:
        adapter.read_payloads(fake.api(), cache=False, transport=transport)  # type: ignore[arg-type]
    assert (caught.value.request, caught.value.status) == (f"GET /images/{OTHER}/json", None)
    assert caught.value.message.startswith("broken response (")
    fake.routes[path] = (500, b'{"message":"the engine says no"}')
    with pytest.raises(EngineRequestError) as caught:
        adapter.read_payloads(fake.api(), cache=False, transport=transport)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"GET /images/{OTHER}/json at {fake.address} failed (HTTP 500): the engine says no"
    )
    fake.routes[path] = (200, b"<html>")
    with pytest.raises(InvalidPayload) as bad:
        adapter.read_payloads(fake.api(), cache=False, transport=transport)  # type: ignore[arg-type]
    assert bad.value.field == f"image_inspect[{OTHER!r}]"
    assert bad.value.problem.startswith(f"GET /images/{OTHER}/json did not return JSON")


def test_lean_request_that_hangs_is_a_timeout(fake: _FakeEngine) -> None:
    fake.hang.add(f"/v1.41/images/{THIRD}/json")
    api = docker.APIClient(base_url=fake.address, version="1.41", timeout=0.5)
    with pytest.raises(EngineRequestError) as caught:
        adapter.read_payloads(api, cache=False, system_df=False)
    assert (caught.value.request, caught.value.status) == (f"GET /images/{THIRD}/json", None)
    assert caught.value.message.startswith("no answer in time (")
