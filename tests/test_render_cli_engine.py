"""render.py against the real docker CLI v28.2.2, on a throwaway Engine 20.10.24.

The CLI talks to the engine through a recording Unix-socket proxy, so each
check renders *exactly the JSON documents the CLI itself received* (same
same-second image order, same daemon STATUS strings) and compares the text
byte for byte. The only free variable left is the CLI's clock for the CREATED
columns: the output must equal the rendering for ``now`` = the time just
before the CLI ran, or any whole second up to the time it finished (the
rendering is constant between whole seconds).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import math
import os
import re
import selectors
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import enginekit
import pytest

from dockermodel import render

pytestmark = pytest.mark.engine


# -- recording proxy ----------------------------------------------------------


class _Recorder:
    """A Unix-socket proxy in front of the engine that keeps both byte streams
    of every connection."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.dir = tempfile.mkdtemp(prefix="render-proxy.")
        self.path = os.path.join(self.dir, "proxy.sock")
        self.conns: list[tuple[bytearray, bytearray]] = []
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.path)
        self._server.listen(16)
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            streams = (bytearray(), bytearray())
            with self._lock:
                self.conns.append(streams)
            thread = threading.Thread(target=self._pump, args=(client, streams), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _pump(self, client: socket.socket, streams: tuple[bytearray, bytearray]) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(self.upstream)
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, (upstream, streams[0]))
        sel.register(upstream, selectors.EVENT_READ, (client, streams[1]))
        try:
            while True:
                for key, _ in sel.select(timeout=30):
                    peer, record = key.data
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    record += data
                    peer.sendall(data)
        except OSError:
            return
        finally:
            sel.close()
            client.close()
            upstream.close()

    def take(self) -> list[tuple[str, str, Any]]:
        """``(method, path, decoded JSON body or None)`` of every exchange so
        far, in order; clears the record."""
        for thread in self._threads:
            thread.join(timeout=10)
        with self._lock:
            conns, self.conns, self._threads = self.conns, [], []
        return [exchange for c in conns for exchange in _exchanges(bytes(c[0]), bytes(c[1]))]

    def close(self) -> None:
        self._server.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            os.rmdir(self.dir)


class _Unclosable(io.BytesIO):
    """Recorded bytes that survive ``HTTPResponse`` closing its file."""

    def close(self) -> None:
        return None


class _Replay:
    """A fake socket whose ``makefile`` replays recorded bytes (http.client)."""

    def __init__(self, data: bytes) -> None:
        self.fp = _Unclosable(data)

    def makefile(self, mode: str) -> io.BytesIO:
        return self.fp


_REQUEST_LINE = re.compile(rb"(GET|HEAD|POST|DELETE|PUT) (\S+) HTTP/1\.1\r\n")


def _exchanges(requests: bytes, responses: bytes) -> Iterator[tuple[str, str, Any]]:
    replay = _Replay(responses)
    for match in _REQUEST_LINE.finditer(requests):
        method, path = match.group(1).decode(), match.group(2).decode()
        response = http.client.HTTPResponse(replay, method=method)  # type: ignore[arg-type]
        response.begin()
        body = response.read()
        kind = response.getheader("Content-Type") or ""
        yield method, path, json.loads(body) if "json" in kind and body else None


# -- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def recorder(engine: enginekit.Engine) -> Iterator[_Recorder]:
    rec = _Recorder(str(engine.socket))
    yield rec
    rec.close()


@pytest.fixture(scope="module")
def state(engine: enginekit.Engine) -> dict[str, str]:
    """Shared layers, several tags in several repositories, a dangling image,
    intermediates, containers created / exited / running, one whose image
    reference no longer resolves, and long and non-ASCII commands."""
    ids: dict[str, str] = {}
    ids["base"] = engine.build(["ENV A=1"], tag="base:1")
    ids["app"] = engine.build(
        ["COPY f1 /f1", 'LABEL x="y"', "COPY f2 /f2"],
        files={"f1": b"1" * 100_000, "f2": b"2" * 30_000},
        base="base:1",
        tag=["app:1", "app:2", "zzz/app:1", "localhost:5000/app:1", "app:10"],
    )
    ids["other"] = engine.build(
        ["COPY f3 /f3"], files={"f3": b"3" * 4096}, base="base:1", tag="other:1"
    )
    ids["old"] = engine.build(
        ["COPY f4 /f4"], files={"f4": b"4" * 5000}, base="base:1", tag="moving:1"
    )
    ids["c_old"] = engine.create("moving:1", name="on-old-tag")
    ids["new"] = engine.build(
        ["COPY f5 /f5"], files={"f5": b"5" * 6000}, base="base:1", tag="moving:1"
    )
    ids["loose"] = engine.build(
        ["COPY f6 /f6"], files={"f6": b"6" * 7000}, base="base:1", tag="loose:1"
    )
    engine.api.remove_image("loose:1", noprune=True)  # untagged leaf: dangling, listed
    ids["c_created"] = engine.create(
        "app:1", cmd=["/bin/busybox", "echo", "a-rather-long-command-line", "x"], name="created1"
    )
    ids["c_exited"] = engine.run(
        "other:1", cmd=["/bin/busybox", "sh", "-c", 'echo "日本語テキスト" >/x'], name="exited1"
    )
    ids["c_running"] = engine.create(ids["base"][7:19], name="running1", start=True)
    ids["c_docker_io"] = engine.create("docker.io/library/app:2", name="qualified")
    # wide, cut-inside-wide and zero-width characters in COMMAND
    for i, arg in enumerate(["日本語", "日本語テキスト", "cafe\u0301\u200b-x", "tab\there"]):
        engine.create("other:1", cmd=["/bin/busybox", arg], name=f"unicode{i}")
    return ids


def _candidates(t0: float, t1: float) -> list[float]:
    """``t0`` and every whole second in ``(t0, t1 + 1]``."""
    return [t0, *range(math.floor(t0) + 1, math.ceil(t1) + 2)]


def _repo_groups_sorted(text: str) -> str:
    """Rows of one image (same IMAGE ID, contiguous) stably sorted by their
    REPOSITORY cell: the CLI emits an image's repositories in Go map order,
    tags of one repository in RepoTags order."""
    header, *rows = text.splitlines(keepends=True)
    start = header.index("IMAGE ID")
    out: list[str] = []
    run: list[str] = []
    for row in [*rows, None]:
        if run and (row is None or row[start : start + 12] != run[0][start : start + 12]):
            out.extend(sorted(run, key=lambda r: r.split(" ", 1)[0]))
            run = []
        if row is not None:
            run.append(row)
    return "".join([header, *out])


def _check(
    engine: enginekit.Engine,
    recorder: _Recorder,
    args: list[str],
    render_fn: Callable[[list[tuple[str, str, Any]], float], str],
    normalize: Callable[[str], str] = lambda text: text,
) -> None:
    env_host = engine.cli_env()
    env_host["DOCKER_HOST"] = f"unix://{recorder.path}"
    import subprocess

    recorder.take()
    t0 = time.time()
    result = subprocess.run(
        [enginekit.CLI, *args],
        env=env_host,
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    t1 = time.time()
    exchanges = recorder.take()
    renderings = [normalize(render_fn(exchanges, now)) for now in _candidates(t0, t1)]
    assert normalize(result.stdout) in renderings, (
        f"docker {' '.join(args)}:\n{result.stdout}\nrendered (now={t0}):\n{renderings[0]}"
    )


def _body(exchanges: list[tuple[str, str, Any]], prefix: str) -> Any:
    found = [body for _, path, body in exchanges if path.split("?")[0].endswith(prefix)]
    assert len(found) == 1, [path for _, path, _ in exchanges]
    return found[0]


# -- tables -------------------------------------------------------------------


@pytest.mark.parametrize("all_flag", [[], ["-a"]], ids=["images", "images-a"])
def test_images_table_matches_cli(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str], all_flag: list[str]
) -> None:
    _check(
        engine,
        recorder,
        ["images", *all_flag],
        lambda ex, now: render.images_table(_body(ex, "/images/json"), now),
        _repo_groups_sorted,
    )


def test_system_df_matches_cli(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str]
) -> None:
    _check(
        engine,
        recorder,
        ["system", "df"],
        lambda ex, now: render.system_df(_body(ex, "/system/df")),
    )


def test_system_df_verbose_matches_cli(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str]
) -> None:
    _check(
        engine,
        recorder,
        ["system", "df", "-v"],
        lambda ex, now: render.system_df_verbose(_body(ex, "/system/df"), now),
    )


@pytest.mark.parametrize("size", [False, True], ids=["ps-a", "ps-a-s"])
def test_ps_table_matches_cli(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str], size: bool
) -> None:
    args = ["ps", "-a", *(["-s"] if size else [])]
    _check(
        engine,
        recorder,
        args,
        lambda ex, now: render.ps_table(_body(ex, "/containers/json"), now, size=size),
    )


def test_ps_cells_of_the_state(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str]
) -> None:
    """The cells this state was built to exercise, checked directly."""
    rows = {c["Names"][0]: c for c in engine.api.containers(all=True)}
    image = {n: render.container_image(c["Image"], c["ImageID"]) for n, c in rows.items()}
    assert image["/on-old-tag"] == state["old"][7:19]
    assert image["/running1"] == state["base"][7:19]
    assert image["/qualified"] == "app:2"
    assert image["/created1"] == "app:1"
    assert render.container_command(rows["/created1"]["Command"]) == '"/bin/busybox echo a…"'
    assert render.container_command(rows["/unicode1"]["Command"]) == '"/bin/busybox 日本語…"'
    assert render.container_command(rows["/unicode3"]["Command"]) == '"/bin/busybox tab\\the…"'


# -- rmi, prune, errors (these change the state: keep them last) ---------------


def test_rmi_output_matches_cli(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str]
) -> None:
    _check(
        engine,
        recorder,
        ["rmi", "app:10", "zzz/app:1"],
        lambda ex, now: "".join(render.rmi_output(b) for m, _, b in ex if m == "DELETE"),
    )


def test_rmi_error_matches_cli(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str]
) -> None:
    import subprocess

    env = engine.cli_env()
    env["DOCKER_HOST"] = f"unix://{recorder.path}"
    recorder.take()
    result = subprocess.run(
        [enginekit.CLI, "rmi", "nosuch", "other:404"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    bodies = [b for m, _, b in recorder.take() if m == "DELETE"]
    assert result.returncode == 1
    assert result.stdout == ""
    assert [b["message"] for b in bodies] == [
        "No such image: nosuch:latest",
        "No such image: other:404",
    ]
    assert result.stderr == "".join(render.daemon_error(b["message"]) for b in bodies)


def test_container_prune_output_matches_cli(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str]
) -> None:
    _check(
        engine,
        recorder,
        ["container", "prune", "-f"],
        lambda ex, now: render.container_prune_output(_body(ex, "/containers/prune")),
    )


@pytest.mark.parametrize("all_flag", [[], ["-a"], []], ids=["dangling", "all", "nothing"])
def test_image_prune_output_matches_cli(
    engine: enginekit.Engine, recorder: _Recorder, state: dict[str, str], all_flag: list[str]
) -> None:
    _check(
        engine,
        recorder,
        ["image", "prune", "-f", *all_flag],
        lambda ex, now: render.image_prune_output(_body(ex, "/images/prune")),
    )
