"""The read-only adapter (dockermodel.engine).

Two kinds of tests:

* against the throwaway engine (``engine`` fixture): what is read equals the
  engine's own answers, only GETs are sent, an image removed mid-read is
  handled by the documented rule, and ``from_docker`` gives the host;
* against a fake engine (a tiny HTTP server on a unix socket, no root
  needed) that answers with errors, broken bodies and wrong shapes, each of
  which must come out as the library's own error naming the request or the
  field.
"""

from __future__ import annotations

import http.server
import json
import os
import socketserver
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import enginekit
import pytest

from dockermodel import engine as adapter
from dockermodel.errors import EngineRequestError, EngineUnreachable, InvalidPayload


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The image cache goes to this test's tmp directory, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("DOCKERMODEL_NO_CACHE", raising=False)


# --------------------------------------------------------------------------
# Against the throwaway engine
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def populated(engine: enginekit.Engine) -> dict[str, str]:
    """Shared layers, tagged and untagged images, containers in three states."""
    base = engine.build(["COPY a.txt /a.txt"], {"a.txt": b"adapter-a"}, tag="adapter/base:1")
    app = engine.build(
        ["COPY b.txt /b.txt", "LABEL role=app"], {"b.txt": b"b"}, tag="adapter/app:1", base=base
    )
    loose = engine.build(["COPY c.txt /c.txt"], {"c.txt": b"c"}, base=base)
    running = engine.create(app, name="adapter-running", start=True)
    exited = engine.run(app, name="adapter-exited")
    created = engine.create(loose, name="adapter-created")
    return {
        "base": base,
        "app": app,
        "loose": loose,
        "running": running,
        "exited": exited,
        "created": created,
    }


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item["Id"]) for item in items]


def _by_id(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: str(item["Id"]))


@pytest.mark.engine
def test_payloads_are_the_engines_bodies(
    engine: enginekit.Engine, populated: dict[str, str]
) -> None:
    payloads = adapter.read_payloads(engine.client, cache=False, history="all")
    assert list(payloads) == [
        "images_all",
        "image_inspect",
        "image_history",
        "containers",
        "system_df",
        "version",
        "api_version",
        "image_store",
        "info",
    ]
    api = engine.api
    assert payloads["api_version"] == engine.client.api.api_version
    assert payloads["image_store"] == engine.spec.store
    # Images created in the same second come in no fixed order (the engine
    # sorts by Created only, and not stably): compare in Id order.
    assert _by_id(payloads["images_all"]) == _by_id(api.images(all=True))
    ids = _ids(payloads["images_all"])
    assert {populated["base"], populated["app"], populated["loose"]} <= set(ids)
    assert list(payloads["image_inspect"]) == ids
    assert list(payloads["image_history"]) == ids
    for image_id in ids:
        assert payloads["image_inspect"][image_id] == api.inspect_image(image_id)
        assert payloads["image_history"][image_id] == api.history(image_id)
    # Status ("Up 3 seconds") moves with the clock; everything else is stable.
    now = api.containers(all=True, size=True)
    strip = [{k: v for k, v in c.items() if k != "Status"} for c in payloads["containers"]]
    assert strip == [{k: v for k, v in c.items() if k != "Status"} for c in now]
    assert sorted(_ids(payloads["containers"])) == sorted(
        populated[k] for k in ("running", "exited", "created")
    )
    assert payloads["version"] == api.version()
    assert payloads["system_df"]["Volumes"] == api.df()["Volumes"]
    assert payloads["info"]["DockerRootDir"] == str(engine.root)


@pytest.mark.engine
def test_optional_reads_can_be_turned_off(
    engine: enginekit.Engine, populated: dict[str, str]
) -> None:
    payloads = adapter.read_payloads(engine.api, system_df=False, info=False)
    assert list(payloads) == [
        "images_all",
        "image_inspect",
        "image_history",
        "containers",
        "version",
        "api_version",
        "image_store",
    ]


@pytest.mark.engine
def test_client_kinds_docker_client_api_client_and_environment(
    engine: enginekit.Engine, populated: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    by_client = adapter.read_payloads(engine.client, system_df=False, info=False, cache=False)
    by_api = adapter.read_payloads(engine.api, system_df=False, info=False, cache=False)
    monkeypatch.setenv("DOCKER_HOST", engine.base_url)
    monkeypatch.delenv("DOCKER_TLS_VERIFY", raising=False)
    monkeypatch.delenv("DOCKER_CERT_PATH", raising=False)
    by_env = adapter.read_payloads(None, system_df=False, info=False, cache=False)
    assert _by_id(by_client["images_all"]) == _by_id(by_api["images_all"])
    assert by_client["image_inspect"] == by_api["image_inspect"]
    # docker.from_env() negotiates the engine's newest API version: the same
    # objects in that version's shapes
    assert by_env["api_version"] == engine.spec.release.api
    assert sorted(_ids(by_env["images_all"])) == sorted(_ids(by_api["images_all"]))
    assert sorted(by_env["image_inspect"]) == sorted(by_api["image_inspect"])
    if by_env["api_version"] == by_api["api_version"]:
        assert _by_id(by_env["images_all"]) == _by_id(by_api["images_all"])
        assert by_env["image_inspect"] == by_api["image_inspect"]
    assert _ids(by_env["containers"]) == _ids(by_api["containers"])


class _Recorder:
    """Wraps an APIClient's ``send``: records every request, refuses all but GET."""

    def __init__(self, api: Any) -> None:
        self.requests: list[tuple[str, str]] = []
        self._send = api.send
        api.send = self

    def __call__(self, request: Any, **kwargs: Any) -> Any:
        self.requests.append((request.method, request.path_url))
        if request.method != "GET":
            raise AssertionError(f"{request.method} {request.path_url} sent by a read-only reader")
        return self._send(request, **kwargs)


@pytest.mark.engine
def test_only_get_requests_are_sent(engine: enginekit.Engine, populated: dict[str, str]) -> None:
    api = docker.APIClient(base_url=engine.base_url, version="1.41")
    recorder = _Recorder(api)
    with pytest.raises(AssertionError, match=r"^POST /v1\.41/containers/"):
        api.stop(populated["running"])  # the guard does refuse writes
    recorder.requests.clear()
    # One thread and docker-py, so every request goes through the recorded
    # client (tests/test_engine_fast.py records every connection of the
    # process, threads and the lean client included). Classic-builder images
    # only: every layer is sized by Size differences, so no history is asked.
    payloads = adapter.read_payloads(api, workers=1, cache=False, transport="docker-py")
    assert {method for method, _ in recorder.requests} == {"GET"}
    ids = _ids(payloads["images_all"])
    expected = (
        ["/v1.41/info", "/v1.41/version", "/v1.41/images/json?only_ids=0&all=1"]
        + [f"/v1.41/images/{image_id}/json" for image_id in ids]
        + ["/v1.41/containers/json?limit=-1&all=1&size=1&trunc_cmd=0", "/v1.41/system/df"]
    )
    assert sorted(path for _, path in recorder.requests) == sorted(expected)
    assert len(recorder.requests) == 5 + len(ids)
    # every history, on request
    recorder.requests.clear()
    adapter.read_payloads(api, workers=1, cache=False, history="all", transport="docker-py")
    api.close()
    expected += [f"/v1.41/images/{image_id}/history" for image_id in ids]
    assert sorted(path for _, path in recorder.requests) == sorted(expected)


class _RemovingAPI(docker.APIClient):  # type: ignore[misc]
    """An APIClient that removes ``victim`` (through ``remover``) at its n-th inspect."""

    def __init__(self, remover: Any, victim: str, at: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.remover = remover
        self.victim = victim
        self.at = at
        self.inspects = 0
        self.lists = 0
        self.removed: list[dict[str, str]] = []

    def images(self, *args: Any, **kwargs: Any) -> Any:
        self.lists += 1
        return super().images(*args, **kwargs)

    def inspect_image(self, image: str) -> Any:
        self.inspects += 1
        if self.inspects == self.at:
            self.removed = self.remover.remove_image(self.victim)
        return super().inspect_image(image)


def _victim(engine: enginekit.Engine, name: str) -> tuple[str, set[str]]:
    """A tagged leaf image whose own steps nothing else shares; its id and all its ids."""
    before = set(engine.image_ids())
    files = {"v1.txt": name.encode(), "v2.txt": name.encode() * 2}
    image = engine.build(["COPY v1.txt /v1.txt", "COPY v2.txt /v2.txt"], files, tag=name)
    return image, set(engine.image_ids()) - before


@pytest.mark.engine
def test_image_removed_mid_read_restarts_the_read(
    engine: enginekit.Engine, populated: dict[str, str]
) -> None:
    image, own = _victim(engine, "adapter/victim:restart")
    assert len(own) == 2  # the image and its intermediate parent
    assert image in own
    listed = set(engine.image_ids())
    # Removed before the first inspect returns: wherever the victim is in the
    # list, its inspect answers 404.
    api = _RemovingAPI(
        engine.api, victim="adapter/victim:restart", at=1, base_url=engine.base_url, version="1.41"
    )
    payloads = adapter.read_payloads(api, system_df=False, info=False, cache=False, history="all")
    api.close()
    deleted = {record["Deleted"] for record in api.removed if "Deleted" in record}
    assert deleted & listed == own  # the other Deleted records are its layers
    assert api.lists == 2
    ids = _ids(payloads["images_all"])
    assert sorted(ids) == sorted(engine.image_ids())
    assert not own & set(ids)
    assert list(payloads["image_inspect"]) == ids == list(payloads["image_history"])


@pytest.mark.engine
def test_image_removed_in_the_last_attempt_is_left_out_consistently(
    engine: enginekit.Engine, populated: dict[str, str]
) -> None:
    before = engine.image_ids()
    _, own = _victim(engine, "adapter/victim:exclude")
    listed = engine.image_ids()
    api = _RemovingAPI(
        engine.api, victim="adapter/victim:exclude", at=1, base_url=engine.base_url, version="1.41"
    )
    payloads = adapter.read_payloads(
        api, attempts=1, system_df=False, info=False, cache=False, history="all"
    )
    api.close()
    assert api.lists == 1
    ids = _ids(payloads["images_all"])
    # The list was read before the removal; exactly the removed images are dropped.
    assert sorted(ids) == sorted(image_id for image_id in listed if image_id not in own)
    assert sorted(ids) == sorted(before) == sorted(engine.image_ids())
    assert list(payloads["image_inspect"]) == ids == list(payloads["image_history"])
    assert _by_id(payloads["images_all"]) == _by_id(engine.api.images(all=True))


@pytest.mark.engine
def test_from_docker_builds_the_host(engine: enginekit.Engine, populated: dict[str, str]) -> None:
    import dockermodel

    host = dockermodel.from_docker(engine.client)
    assert set(host.images) == set(engine.image_ids())
    assert set(host.containers) == {c["Id"] for c in engine.api.containers(all=True)}
    assert host.find_image("adapter/app:1").id == populated["app"]
    assert host.find_image("adapter/app:1").parent is not None
    assert host.containers[populated["running"]].state == "running"
    app_layers = engine.api.inspect_image(populated["app"])["RootFS"]["Layers"]
    assert host.images[populated["app"]].diff_ids == tuple(app_layers)
    assert host.images[populated["app"]].size == engine.api.inspect_image(populated["app"])["Size"]


# --------------------------------------------------------------------------
# Unreachable engines
# --------------------------------------------------------------------------


def test_unreachable_socket_is_named() -> None:
    address = "unix:///tmp/dockermodel-no-such-engine.sock"
    api = docker.APIClient(base_url=address, version="1.41", timeout=5)
    with pytest.raises(EngineUnreachable) as caught:
        adapter.read_payloads(api)
    assert caught.value.address == address
    assert "No such file or directory" in caught.value.reason


def test_unreachable_tcp_port_is_named() -> None:
    client = docker.DockerClient(base_url="tcp://127.0.0.1:9", version="1.41", timeout=5)
    with pytest.raises(EngineUnreachable) as caught:
        adapter.read_payloads(client)
    assert caught.value.address == "tcp://127.0.0.1:9"
    assert "Connection refused" in caught.value.reason


def test_unreachable_environment_engine_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/dockermodel-no-such-engine.sock")
    with pytest.raises(EngineUnreachable) as caught:
        adapter.read_payloads()
    assert caught.value.address == "unix:///tmp/dockermodel-no-such-engine.sock"
    with pytest.raises(EngineUnreachable):
        adapter.from_docker()


def test_a_client_of_another_kind_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^client must be a docker\.DockerClient"):
        adapter.read_payloads("unix:///var/run/docker.sock")
    with pytest.raises(ValueError, match=r"^attempts must be at least 1, got 0$"):
        adapter.read_payloads(
            docker.APIClient(base_url="unix:///nowhere", version="1.41"), attempts=0
        )


# --------------------------------------------------------------------------
# A fake engine: errors, broken bodies, wrong shapes
# --------------------------------------------------------------------------

IMAGE = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
Response = tuple[int, bytes] | tuple[int, bytes, dict[str, str]]


def _ok(body: Any) -> Response:
    return 200, json.dumps(body).encode()


def _summary(image_id: str) -> dict[str, Any]:
    return {"Id": image_id, "ParentId": "", "Created": 1, "Size": 0, "RepoTags": None}


def _inspect(image_id: str) -> dict[str, Any]:
    return {"Id": image_id, "Created": "2020-01-01T00:00:00Z", "RootFS": {"Layers": []}}


def _read(api: docker.APIClient, **options: Any) -> dict[str, Any]:
    """Every request kind: all histories, no cache."""
    return adapter.read_payloads(api, **{"history": "all", "cache": False, **options})


def _default_routes() -> dict[str, Response]:
    return {
        "/v1.41/version": _ok({"Version": "20.10.24", "ApiVersion": "1.41"}),
        "/v1.41/images/json": _ok([_summary(IMAGE), _summary(OTHER)]),
        f"/v1.41/images/{IMAGE}/json": _ok(_inspect(IMAGE)),
        f"/v1.41/images/{IMAGE}/history": _ok([]),
        f"/v1.41/images/{OTHER}/json": _ok(_inspect(OTHER)),
        f"/v1.41/images/{OTHER}/history": _ok([]),
        "/v1.41/containers/json": _ok([]),
        "/v1.41/system/df": _ok({"Volumes": [], "BuildCache": []}),
        "/v1.41/info": _ok({"ID": "fake"}),
    }


class _FakeEngine:
    """An HTTP server on a unix socket answering from ``routes`` (path without query)."""

    def __init__(self) -> None:
        self.routes = _default_routes()
        self.seen: list[str] = []
        self.hang: set[str] = set()
        self.release = threading.Event()
        self.directory = tempfile.mkdtemp(prefix="dm-fake-")
        self.path = os.path.join(self.directory, "s.sock")
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                fake.seen.append(path)
                if path in fake.hang:
                    fake.release.wait(10)
                status, body, *extra = fake.routes.get(path, (404, b'{"message":"page not found"}'))
                headers = extra[0] if extra else {}
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
                self.end_headers()
                self.wfile.write(body)
                if "Content-Length" in headers:
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = socketserver.ThreadingUnixStreamServer(self.path, Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"unix://{self.path}"

    def api(self) -> docker.APIClient:
        return docker.APIClient(base_url=self.address, version="1.41", timeout=5)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        Path(self.path).unlink(missing_ok=True)
        os.rmdir(self.directory)


@pytest.fixture
def fake() -> Iterator[_FakeEngine]:
    server = _FakeEngine()
    try:
        yield server
    finally:
        server.close()


def test_fake_engine_reads_cleanly(fake: _FakeEngine) -> None:
    payloads = _read(fake.api())
    assert payloads == {
        "images_all": [_summary(IMAGE), _summary(OTHER)],
        "image_inspect": {IMAGE: _inspect(IMAGE), OTHER: _inspect(OTHER)},
        "image_history": {IMAGE: [], OTHER: []},
        "containers": [],
        "system_df": {"Volumes": [], "BuildCache": []},
        "version": {"Version": "20.10.24", "ApiVersion": "1.41"},
        "info": {"ID": "fake"},
        "api_version": "1.41",
        "image_store": "overlay2",
    }


@pytest.mark.parametrize(
    ("path", "request_text", "status"),
    [
        ("/v1.41/containers/json", "GET /containers/json?all=1&size=1", 500),
        ("/v1.41/images/json", "GET /images/json?all=1", 500),
        (f"/v1.41/images/{IMAGE}/json", f"GET /images/{IMAGE}/json", 500),
        (f"/v1.41/images/{OTHER}/history", f"GET /images/{OTHER}/history", 503),
        ("/v1.41/system/df", "GET /system/df", 404),
        ("/v1.41/version", "GET /version", 500),
    ],
)
def test_http_errors_name_request_and_address(
    fake: _FakeEngine, path: str, request_text: str, status: int
) -> None:
    fake.routes[path] = (status, b'{"message":"the engine says no"}')
    with pytest.raises(EngineRequestError) as caught:
        _read(fake.api())
    error = caught.value
    assert (error.address, error.request, error.status) == (fake.address, request_text, status)
    assert error.message == "the engine says no"
    assert str(error) == (
        f"{request_text} at {fake.address} failed (HTTP {status}): the engine says no"
    )


ShapeCase = tuple[str, Response, str, str]

_SHAPES: list[ShapeCase] = [
    ("/v1.41/images/json", (200, b'[{"Id": "sha256:'), "images_all", "did not return JSON"),
    ("/v1.41/images/json", (200, b"<html>oops</html>"), "images_all", "did not return JSON"),
    ("/v1.41/images/json", _ok({"Id": IMAGE}), "images_all", "expected an array, got an object"),
    ("/v1.41/images/json", _ok([{"Id": IMAGE}, 7]), "images_all[1]", "expected an object"),
    ("/v1.41/images/json", _ok([{"Id": IMAGE}, {}]), "images_all[1].Id", "missing"),
    ("/v1.41/images/json", _ok([{"Id": "sha256:abc"}]), "images_all[0].Id", "expected sha256:"),
    ("/v1.41/images/json", _ok([{"Id": "../../containers/x"}]), "images_all[0].Id", "expected"),
    (f"/v1.41/images/{IMAGE}/json", _ok([]), f"image_inspect[{IMAGE!r}]", "expected an object"),
    (
        f"/v1.41/images/{IMAGE}/json",
        _ok({"Id": OTHER}),
        f"image_inspect[{IMAGE!r}].Id",
        f"expected {IMAGE}",
    ),
    (
        f"/v1.41/images/{IMAGE}/json",
        (200, b'{"Id": "sha'),
        f"image_inspect[{IMAGE!r}]",
        "did not return JSON",
    ),
    (
        f"/v1.41/images/{OTHER}/history",
        _ok({}),
        f"image_history[{OTHER!r}]",
        "expected an array, got an object",
    ),
    ("/v1.41/containers/json", _ok([None]), "containers[0]", "expected an object, got null"),
    ("/v1.41/containers/json", _ok({}), "containers", "expected an array"),
    ("/v1.41/system/df", _ok([]), "system_df", "expected an object, got an array"),
    ("/v1.41/info", (200, b""), "info", "did not return JSON"),
    ("/v1.41/version", _ok("20.10"), "version", "expected an object, got a string"),
]


@pytest.mark.parametrize(("path", "response", "field", "problem"), _SHAPES)
def test_malformed_bodies_name_the_field(
    fake: _FakeEngine, path: str, response: Response, field: str, problem: str
) -> None:
    fake.routes[path] = response
    with pytest.raises(InvalidPayload) as caught:
        _read(fake.api())
    assert caught.value.field == field
    assert caught.value.problem.startswith(problem) or problem in caught.value.problem


def test_body_cut_off_in_transfer_is_a_request_error(fake: _FakeEngine) -> None:
    fake.routes["/v1.41/containers/json"] = (200, b'[{"Id": "x"', {"Content-Length": "500"})
    with pytest.raises(EngineRequestError) as caught:
        _read(fake.api())
    error = caught.value
    assert (error.request, error.status) == ("GET /containers/json?all=1&size=1", None)
    assert error.message.startswith("broken response (")


def test_engine_that_does_not_answer_in_time_is_a_request_error(fake: _FakeEngine) -> None:
    fake.hang.add("/v1.41/system/df")
    api = docker.APIClient(base_url=fake.address, version="1.41", timeout=0.5)
    with pytest.raises(EngineRequestError) as caught:
        adapter.read_payloads(api)
    error = caught.value
    assert (error.address, error.request, error.status) == (fake.address, "GET /system/df", None)
    assert error.message.startswith("no answer in time (")


def test_image_that_keeps_vanishing_is_left_out_after_the_last_attempt(
    fake: _FakeEngine,
) -> None:
    fake.routes[f"/v1.41/images/{OTHER}/history"] = (404, b'{"message":"No such image: x"}')
    payloads = _read(fake.api(), attempts=3)
    assert fake.seen.count("/v1.41/images/json") == 3
    assert payloads["images_all"] == [_summary(IMAGE)]
    assert list(payloads["image_inspect"]) == [IMAGE]
    assert list(payloads["image_history"]) == [IMAGE]


def test_image_that_vanishes_once_is_read_again(fake: _FakeEngine) -> None:
    listing: Callable[[], Response] = lambda: _ok([_summary(IMAGE)])  # noqa: E731
    fake.routes[f"/v1.41/images/{OTHER}/json"] = (404, b'{"message":"No such image: x"}')
    # The second listing no longer shows the vanished image.
    original = fake.routes["/v1.41/images/json"]
    seen_before = len(fake.seen)

    class Once(dict[str, Response]):
        def get(self, key: str, default: Any = None) -> Any:
            if key == "/v1.41/images/json" and fake.seen.count(key) > 1:
                return listing()
            return super().get(key, default)

    fake.routes = Once(fake.routes)
    payloads = _read(fake.api())
    assert fake.seen[seen_before:].count("/v1.41/images/json") == 2
    assert original != listing()
    assert payloads["images_all"] == [_summary(IMAGE)]
    assert list(payloads["image_inspect"]) == [IMAGE]
