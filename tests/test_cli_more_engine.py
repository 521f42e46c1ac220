"""The newer commands against the docker CLI v28.2.2 itself, on each throwaway engine.

One state with volumes (named, labelled, anonymous, holding bytes) and
containers in every state; then, as in ``test_cli_engine.py``, each
prediction is made just before the real command runs on the same state:
``ps -q`` with the engine's filters, ``images -q``, ``rm [-f] [-v]``,
``volume prune``, ``system prune [-a] [--volumes]``. stdout and the exit
status must be equal byte for byte, except that the lines of a
``Deleted Images:`` or ``Deleted Volumes:`` block are compared as a
multiset (the engine walks hash maps there); stderr must be equal once our
own ``dockermodel:`` notes are left out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import enginekit
import pytest
from test_cli_engine import Run, ours, theirs

pytestmark = pytest.mark.engine

WRITE = ("/bin/busybox", "sh", "-c",
         "head -c 5000 /dev/zero > /data/f; head -c 3000 /dev/zero > /anon/g")


def build_state(engine: enginekit.Engine) -> None:
    # every image in a second of its own: the engine's order within one second is arbitrary
    base = engine.build([], tag="base:1")
    time.sleep(1.05)
    engine.build(["COPY app.js /app.js"], files={"app.js": b"a" * 4000},
                 base=base, tag="app:1")
    time.sleep(1.05)
    engine.build(["COPY old.js /old.js"], files={"old.js": b"o" * 2000}, base=base, tag="old:1")
    time.sleep(1.05)
    engine.build(["COPY old.js /old.js"], files={"old.js": b"p" * 2500}, base=base, tag="old:1")
    api = engine.api
    api.create_volume("keep", labels={"team": "a"})
    api.create_volume("scratch")
    api.create_volume("data")
    writer = api.create_container(
        "base:1", command=list(WRITE), name="writer", volumes=["/anon"],
        host_config=api.create_host_config(network_mode="none", binds=["data:/data"]))["Id"]
    api.start(writer)
    api.wait(writer, timeout=60)
    lone = api.create_container(
        "base:1", command=["/bin/busybox", "sh", "-c", "head -c 700 /dev/zero > /anon/h"],
        name="lone", volumes=["/anon"],
        host_config=api.create_host_config(network_mode="none"))["Id"]
    api.start(lone)
    api.wait(lone, timeout=60)
    engine.create("app:1", name="web", start=True, labels={"team": "b"})
    engine.create("app:1", name="fresh")
    engine.create("old:1", name="sleepy", start=True)
    engine.pause("sleepy")


@pytest.fixture(scope="module")
def state(engine: enginekit.Engine) -> Iterator[enginekit.Engine]:
    build_state(engine)
    yield engine
    engine.remove_all_containers()
    for volume in engine.api.volumes().get("Volumes") or []:
        engine.api.remove_volume(volume["Name"], force=True)


def _normalized(run: Run) -> Run:
    """Lines of ``Deleted Images:`` / ``Deleted Volumes:`` blocks sorted; our notes dropped."""
    lines = run.stdout.split("\n")
    out: list[str] = []
    block: list[str] = []
    sort = False
    for line in [*lines, ""]:
        if line in ("Deleted Images:", "Deleted Volumes:"):
            out.extend(block)
            block, sort = [], True
            out.append(line)
            continue
        if line == "" or line.startswith(("Deleted ", "Total reclaimed space:")):
            out.extend(sorted(block) if sort else block)
            block, sort = [], False
            out.append(line)
            continue
        block.append(line)
    stderr = "".join(
        line for line in run.stderr.splitlines(True) if not line.startswith("dockermodel: "))
    return Run("\n".join(out[:-1]), stderr, run.status)


LISTINGS = [
    ("ps", "-q"),
    ("ps", "-aq"),
    ("ps", "-q", "--no-trunc"),
    ("ps", "-aq", "--filter", "status=exited"),
    ("ps", "-aq", "--filter", "status=created", "--filter", "status=paused"),
    ("ps", "-aq", "--filter", "label=team"),
    ("ps", "-aq", "--filter", "label=team=b"),
    ("ps", "-aq", "--filter", "ancestor=base:1"),
    ("ps", "-aq", "--filter", "name=^/?w"),
    ("ps", "-aq", "--filter", "exited=0"),
    ("ps", "-aq", "--filter", "volume=data"),
    ("ps", "-aq", "--filter", "volume=/anon"),
    ("ps", "-aq", "--filter", "before=web"),
    ("ps", "-aq", "--filter", "since=writer"),
    ("ps", "-q", "--filter", "health=none"),
    ("ps", "-aq", "--filter", "is-task=false"),
    ("ps", "-q", "--filter", "status=bogus"),
    ("ps", "-q", "--filter", "before=nosuch"),
    ("ps", "-q", "--filter", "colour=red"),
    ("images", "-q"),
    ("images", "-aq"),
    ("images", "-q", "--no-trunc"),
    ("images", "-q", "--filter", "dangling=true"),
]


@pytest.mark.parametrize("args", LISTINGS, ids=[" ".join(a) for a in LISTINGS])
def test_listing_equals_docker_cli(state: enginekit.Engine, args: tuple[str, ...]) -> None:
    expected, _ = theirs(state, *args)
    assert ours(state, *args) == expected


#: (dockermodel args, docker args, exit status, a line the output must hold),
#: against an engine at API 1.41 (Engine 20.10): ``volume prune`` takes every
#: unused volume and the CLI refuses ``-a``.
#: In order: each real command changes the state the next case starts from.
PREDICTIONS_1_41 = [
    (("prune", "volumes", "--filter", "label=team=a"),
     ("volume", "prune", "-f", "--filter", "label=team=a"), 0, "keep"),
    (("prune", "volumes", "-a"), ("volume", "prune", "-a", "-f"), 1,
     '"--all" requires API version 1.42, but the Docker daemon API version is 1.41'),
    (("rm", "web"), ("rm", "web"), 1, "You cannot remove a running container"),
    (("rm", "sleepy"), ("rm", "sleepy"), 1, "You cannot remove a paused container"),
    (("rm", "-v", "lone"), ("rm", "-v", "lone"), 0, "lone"),
    (("rm", "-f", "nosuch", "fresh"), ("rm", "-f", "nosuch", "fresh"), 0, "fresh"),
    (("rm", "nosuch"), ("rm", "nosuch"), 1, "No such container: nosuch"),
    (("prune", "volumes"), ("volume", "prune", "-f"), 0, "scratch"),
    (("prune", "system", "--filter", "dangling=true"),
     ("system", "prune", "-f", "--filter", "dangling=true"), 1, "Invalid filter 'dangling'"),
    (("prune", "system", "--volumes", "--filter", "until=1h"),
     ("system", "prune", "-f", "--volumes", "--filter", "until=1h"), 1,
     'ERROR: The "until" filter is not supported with "--volumes"'),
    (("prune", "system", "--volumes"), ("system", "prune", "-f", "--volumes"), 0, "data"),
    (("prune", "system", "-a"), ("system", "prune", "-f", "-a"), 0, "untagged: base:1"),
    (("rm", "-f", "web", "sleepy"), ("rm", "-f", "web", "sleepy"), 0, "sleepy"),
    (("prune", "system", "-a", "--volumes"), ("system", "prune", "-f", "-a", "--volumes"), 0,
     "untagged: app:1"),
    (("prune", "system"), ("system", "prune", "-f"), 0, "Total reclaimed space: 0B"),
]

#: The same state against an engine at API 1.42 or later (Engine 23+): ``volume
#: prune`` takes only anonymous volumes unless ``-a`` (``all=true``), and
#: ``system prune --volumes`` never sends ``all``; the named volumes ``keep``,
#: ``scratch`` and ``data`` go only with ``-a``.
PREDICTIONS_1_42 = [
    (("prune", "volumes", "--filter", "label=team=a"),
     ("volume", "prune", "-f", "--filter", "label=team=a"), 0, "Total reclaimed space: 0B"),
    (("prune", "volumes", "-a", "--filter", "label=team=a"),
     ("volume", "prune", "-a", "-f", "--filter", "label=team=a"), 0, "keep"),
    (("rm", "web"), ("rm", "web"), 1,
     "container is running: stop the container before removing or force remove"),
    (("rm", "sleepy"), ("rm", "sleepy"), 1, "container is paused and must be unpaused first"),
    (("rm", "-v", "lone"), ("rm", "-v", "lone"), 0, "lone"),
    (("rm", "-f", "nosuch", "fresh"), ("rm", "-f", "nosuch", "fresh"), 0, "fresh"),
    (("rm", "nosuch"), ("rm", "nosuch"), 1, "No such container: nosuch"),
    (("prune", "volumes"), ("volume", "prune", "-f"), 0, "Total reclaimed space: 0B"),
    (("prune", "system", "--filter", "dangling=true"),
     ("system", "prune", "-f", "--filter", "dangling=true"), 1, "invalid filter 'dangling'"),
    (("prune", "system", "--volumes", "--filter", "until=1h"),
     ("system", "prune", "-f", "--volumes", "--filter", "until=1h"), 1,
     'ERROR: The "until" filter is not supported with "--volumes"'),
    (("prune", "system", "--volumes"), ("system", "prune", "-f", "--volumes"), 0,
     "Deleted Volumes:"),
    (("prune", "volumes", "-a"), ("volume", "prune", "-a", "-f"), 0, "data"),
    (("prune", "system", "-a"), ("system", "prune", "-f", "-a"), 0, "untagged: base:1"),
    (("rm", "-f", "web", "sleepy"), ("rm", "-f", "web", "sleepy"), 0, "sleepy"),
    (("prune", "system", "-a", "--volumes"), ("system", "prune", "-f", "-a", "--volumes"), 0,
     "untagged: app:1"),
    (("prune", "system"), ("system", "prune", "-f"), 0, "Total reclaimed space: 0B"),
]

#: Both sequences, each case tagged with the API generation it is written for.
PREDICTIONS = [("1.41", *p) for p in PREDICTIONS_1_41] + [
    ("1.42+", *p) for p in PREDICTIONS_1_42]


def api_generation(engine: enginekit.Engine) -> str:
    """``1.41`` or ``1.42+``: the engine's API version, which the docker CLI negotiates."""
    return "1.42+" if int(engine.version.api.split(".")[1]) >= 42 else "1.41"


@pytest.mark.parametrize(
    ("api", "args", "docker_args", "status", "shown"), PREDICTIONS,
    ids=[f"API {p[0]}: " + " ".join(p[1]) for p in PREDICTIONS])
def test_prediction_equals_what_docker_does(
    state: enginekit.Engine, api: str, args: tuple[str, ...], docker_args: tuple[str, ...],
    status: int, shown: str,
) -> None:
    if api_generation(state) != api:
        pytest.skip(f"{state.spec}: this case belongs to the sequence of API {api} engines")
    predicted = _normalized(ours(state, *args))
    actual, _ = theirs(state, *docker_args)
    assert (predicted, actual.status) == (_normalized(actual), status)
    assert shown in predicted.stdout + predicted.stderr
