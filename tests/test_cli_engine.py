"""The ``dockermodel`` command against the real docker CLI v28.2.2, on a throwaway engine.

Both programs run as subprocesses against the same private Engine 20.10.24
(``DOCKER_HOST``); their stdout, stderr and exit status must be equal, byte
for byte:

* the tables (``df [-v]``, ``images [-a]``, ``ps [-a] [-s]``) on one state
  built with the classic builder: images sharing layers, two tags of one
  image, intermediates, a dangling image, a running and an exited container;
* the predictions (``rmi``, ``prune``), each made just before the real
  command runs on the same state (the real command then changes the state
  for the next case).

Two clocks are pinned down:

* CREATED is relative to the client's clock: ``dockermodel`` gets
  ``--now`` = each whole second the docker CLI may have rendered at (the
  time just before it ran, and every whole second up to its end);
* STATUS (``Up …``, ``Exited (0) … ago``) is computed by the daemon when it
  answers, so the tables are compared only once every container is between
  61 and 119 seconds old, where the daemon says "About a minute" throughout;
  every image is built in a second of its own, so the engine's arbitrary
  order within one second never matters.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import enginekit
import pytest

from dockermodel import snapshot

pytestmark = pytest.mark.engine

#: Seconds after the last container event before STATUS reads "About a minute".
STABLE_AFTER = 61.0


class Run(NamedTuple):
    """One program's outcome."""

    stdout: str
    stderr: str
    status: int


def ours(engine: enginekit.Engine, *args: str, now: float | None = None) -> Run:
    """``python -m dockermodel [--now NOW] ARGS`` against ``engine``."""
    env = dict(engine.cli_env(), PYTHONPATH=os.pathsep.join(sys.path))
    clock = ["--now", repr(now)] if now is not None else []
    result = subprocess.run(
        [sys.executable, "-m", "dockermodel", *clock, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(result.stdout, result.stderr, result.returncode)


def theirs(engine: enginekit.Engine, *args: str) -> tuple[Run, list[float]]:
    """``docker ARGS`` and the clock values its CREATED column may have used."""
    before = time.time()
    result = engine.cli(*args, check=False)
    after = time.time()
    seconds = range(math.floor(before) + 1, math.floor(after) + 1)
    return Run(result.stdout, result.stderr, result.returncode), [before, *map(float, seconds)]


def _pause() -> None:
    """Enough for the next image to be created in a later second."""
    time.sleep(1.05)


def build_state(engine: enginekit.Engine) -> float:
    """The compared state; returns the time of the last container event."""
    root = engine.build([])
    _pause()
    base = engine.build(["ENV APP_HOME=/app"], base=root, tag="base:1.0")
    _pause()
    app = engine.build(["COPY app.js /app/app.js"], files={"app.js": b"web " * 25_000}, base=base)
    _pause()
    engine.build(
        ["COPY style.css /app/style.css"],
        files={"style.css": b"css " * 7_500},
        base=app,
        tag=["web:1.0", "web:latest"],
    )
    _pause()
    engine.build(
        ["COPY worker.py /app/worker.py"],
        files={"worker.py": b"job " * 12_500},
        base=base,
        tag="worker:1.0",
    )
    for version in (b"v1 ", b"v2 "):
        _pause()
        engine.build(
            ["COPY api.py /app/api.py"], files={"api.py": version * 6_000}, base=base, tag="api:dev"
        )
    engine.create("web:1.0", name="web", start=True)
    engine.run("worker:1.0", ("/bin/busybox", "sh", "-c", "echo done > /app/result"), "worker-job")
    return time.time()


@pytest.fixture(scope="module")
def state(engine: enginekit.Engine) -> Iterator[enginekit.Engine]:
    """The engine with :func:`build_state` done and every STATUS at "About a minute"."""
    last_event = build_state(engine)
    time.sleep(max(0.0, last_event + STABLE_AFTER - time.time()))
    yield engine


def _same_output(
    engine: enginekit.Engine, docker_args: tuple[str, ...], args: tuple[str, ...]
) -> tuple[Run, Run]:
    """Our output for the first clock value that reproduces docker's; else for the first one."""
    expected, clocks = theirs(engine, *docker_args)
    assert expected.status == 0, expected.stderr
    for now in clocks:
        got = ours(engine, *args, now=now)
        if got == expected:
            return got, expected
    return ours(engine, *args, now=clocks[0]), expected


TABLES = [
    (("system", "df"), ("df",)),
    (("system", "df", "-v"), ("df", "-v")),
    (("images",), ("images",)),
    (("images", "-a"), ("images", "-a")),
    (("images", "--filter", "dangling=true"), ("images", "--filter", "dangling=true")),
    (("images", "web"), ("images", "web")),
    (("images", "--digests", "--no-trunc"), ("images", "--digests", "--no-trunc")),
    (("ps",), ("ps",)),
    (("ps", "-a"), ("ps", "-a")),
    (("ps", "-a", "-s"), ("ps", "-a", "-s")),
]


@pytest.mark.parametrize(("docker_args", "args"), TABLES, ids=[" ".join(t[1]) for t in TABLES])
def test_table_equals_docker_cli(
    state: enginekit.Engine, docker_args: tuple[str, ...], args: tuple[str, ...]
) -> None:
    got, expected = _same_output(state, docker_args, args)
    assert got == expected


def test_json_documents_equal_the_engines(state: enginekit.Engine) -> None:
    # dockermodel reads at the API version docker-py negotiates: the engine's newest
    import docker

    api = docker.APIClient(base_url=state.base_url, version=state.spec.release.api, timeout=120)
    images = json.loads(ours(state, "images", "-a", "--format", "json").stdout)
    assert images == api.images(all=True)
    df = json.loads(ours(state, "df", "--format", "json").stdout)
    engine_df = api.df()
    api.close()
    assert (df["LayersSize"], df["Images"]) == (engine_df["LayersSize"], engine_df["Images"])


def test_snapshot_save_records_what_the_tables_show(
    state: enginekit.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "state.json.gz"
    saved = ours(state, "snapshot", "save", str(path))
    assert (saved.stdout, saved.status) == ("", 0)
    payloads = snapshot.load(path)
    assert sorted(payloads["image_history"]) == sorted(state.image_ids())
    now = time.time()
    offline = ours(state, "--snapshot", str(path), "df", "-v", now=now)
    assert offline == ours(state, "df", "-v", now=now)


# -- predictions, each checked against the real command on the same state ----------

#: (dockermodel args, docker args, exit status, compare record lines as a multiset).
#: In order: each real command changes the state the next case starts from.
PREDICTIONS = [
    (("rmi", "worker:1.0"), ("rmi", "worker:1.0"), 1, False),  # an exited container blocks it
    (("rmi", "web:latest"), ("rmi", "web:latest"), 0, False),  # only untags: web:1.0 remains
    (("rmi", "web:1.0"), ("rmi", "web:1.0"), 1, False),  # a running container blocks it
    (("rmi", "nosuch", "api:dev"), ("rmi", "nosuch", "api:dev"), 1, False),
    (("rmi", "-f", "nosuch"), ("rmi", "-f", "nosuch"), 0, False),
    (("rmi", ""), ("rmi", ""), 1, False),
    (("prune", "images"), ("image", "prune", "-f"), 0, True),
    (("prune", "containers"), ("container", "prune", "-f"), 0, False),
    (("rmi", "--no-prune", "worker:1.0"), ("rmi", "--no-prune", "worker:1.0"), 0, False),
    (("prune", "images", "-a"), ("image", "prune", "-a", "-f"), 0, True),
    # a running container: -f only untags, the image stays as <none>
    (("rmi", "-f", "web:1.0"), ("rmi", "-f", "web:1.0"), 0, False),
    (("df",), ("system", "df"), 0, False),  # the state after all of it
]


def _records(run: Run) -> Run:
    """``run`` with the record lines of a prune sorted (the engine visits a hash map)."""
    lines = run.stdout.split("\n")
    records = [i for i, line in enumerate(lines) if line.startswith(("deleted: ", "untagged: "))]
    ordered = sorted(lines[i] for i in records)
    for i, line in zip(records, ordered, strict=True):
        lines[i] = line
    return run._replace(stdout="\n".join(lines))


@pytest.mark.parametrize(
    ("args", "docker_args", "status", "multiset"),
    PREDICTIONS,
    ids=[" ".join(p[0]) for p in PREDICTIONS],
)
def test_prediction_equals_what_docker_does(
    state: enginekit.Engine,
    args: tuple[str, ...],
    docker_args: tuple[str, ...],
    status: int,
    multiset: bool,
) -> None:
    predicted = ours(state, *args)
    actual, _ = theirs(state, *docker_args)
    if multiset:
        predicted, actual = _records(predicted), _records(actual)
    assert (predicted, actual.status) == (actual, status)
    assert predicted.stdout or predicted.stderr
