"""The throwaway-engine harness itself: start, build, run, tear down.

Also pins two facts the library relies on, checked against the daemon's own
files and the CLI: chain ids (``dockermodel.digest.chain_ids`` over
``RootFS.Layers``) are the layer store's directory names, and ``short_id`` is
the IMAGE ID column of ``docker images``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import conftest
import enginekit
import pytest

from dockermodel.digest import chain_ids, short_id

HERE = Path(__file__).resolve().parent


@pytest.mark.engine
def test_engine_answers_as_engine_20_10_24(engine: enginekit.Engine) -> None:
    version = engine.api.version()
    # Debian's build: "20.10.24+dfsg1".
    assert version["Version"].split("+")[0] == "20.10.24"
    assert version["ApiVersion"] == "1.41"
    cli = engine.cli("version", "--format", "{{.Client.Version}} {{.Server.Version}}")
    assert cli.stdout == f"28.2.2 {version['Version']}\n"
    info = engine.cli("info", "--format", "{{.DockerRootDir}} {{.Driver}}").stdout
    assert info == f"{engine.root} overlay2\n"
    assert engine.base_url == f"unix://{engine.directory}/docker.sock"
    assert len(engine.base_url) < 100


@pytest.mark.engine
def test_cli_environment_points_at_this_engine_only(engine: enginekit.Engine) -> None:
    env = engine.cli_env()
    assert env["DOCKER_HOST"] == engine.base_url
    assert env["DOCKER_CONFIG"] == f"{engine.directory}/cli"
    assert env["LC_ALL"] == "C.UTF-8"
    assert sorted(env) == [
        "DOCKER_BUILDKIT",
        "DOCKER_CONFIG",
        "DOCKER_HOST",
        "HOME",
        "LC_ALL",
        "PATH",
    ]


@pytest.mark.engine
def test_builds_share_layers_and_are_deterministic(engine: enginekit.Engine) -> None:
    base = engine.build(["COPY a.txt /a.txt"], {"a.txt": b"alpha\n"}, tag=["kit/base:1", "kit/b"])
    left = engine.build(["COPY l.txt /l.txt"], {"l.txt": b"left\n"}, tag="kit/left", base=base)
    right = engine.build(["COPY r.txt /r.txt"], {"r.txt": b"right\n"}, base="kit/base:1")
    assert base.startswith("sha256:") and len(base) == 71
    base_layers = engine.inspect_image(base)["RootFS"]["Layers"]
    left_layers = engine.inspect_image(left)["RootFS"]["Layers"]
    right_layers = engine.inspect_image(right)["RootFS"]["Layers"]
    assert len(base_layers) == 2
    assert left_layers[:2] == base_layers and len(left_layers) == 3
    assert right_layers[:2] == base_layers and len(right_layers) == 3
    assert left_layers[2] != right_layers[2]
    assert engine.inspect_image(left)["Parent"] == base
    assert sorted(engine.inspect_image(base)["RepoTags"]) == ["kit/b:latest", "kit/base:1"]
    # Equal files give equal DiffIDs even without the build cache: a new image
    # (the config records a new creation time) over the very same layers.
    again = engine.build(["COPY a.txt /a.txt"], {"a.txt": b"alpha\n"}, nocache=True)
    assert again != base
    assert engine.inspect_image(again)["RootFS"]["Layers"] == base_layers
    # Cached steps are reused: the same build gives the same image.
    assert engine.build(["COPY a.txt /a.txt"], {"a.txt": b"alpha\n"}) in (base, again)


@pytest.mark.engine
def test_containers_run_stop_pause_and_exit(engine: enginekit.Engine) -> None:
    image = engine.build(["LABEL kit=containers"], tag="kit/run")
    running = engine.create(image, name="kit-running", start=True)
    assert engine.api.inspect_container(running)["State"]["Status"] == "running"
    engine.pause(running)
    assert engine.api.inspect_container(running)["State"]["Status"] == "paused"
    engine.unpause(running)
    engine.kill(running)
    state = engine.api.inspect_container(running)["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 137)
    done = engine.run(image, name="kit-done")
    state = engine.api.inspect_container(done)["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 0)
    created = engine.create(image, name="kit-created")
    assert engine.api.inspect_container(created)["State"]["Status"] == "created"
    settings = engine.api.inspect_container(created)["HostConfig"]["NetworkMode"]
    assert settings == "none"
    names = engine.cli("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert sorted(names) == ["kit-created", "kit-done", "kit-running"]
    engine.remove_all_containers()
    assert engine.api.containers(all=True) == []


@pytest.mark.engine
def test_chain_ids_are_the_layer_store_directories(engine: enginekit.Engine) -> None:
    base = engine.build(["COPY a.txt /a.txt"], {"a.txt": b"chain-a\n"})
    files = {"b.txt": b"b", "c.txt": b"c"}
    engine.build(["COPY b.txt /b.txt", "COPY c.txt /c.txt"], files, base=base)
    engine.build(["COPY d.txt /d.txt"], {"d.txt": b"d"}, base=base)
    computed: set[str] = set()
    for image_id in engine.image_ids():
        layers = engine.inspect_image(image_id)["RootFS"]["Layers"]
        computed.update(chain_ids(layers))
    on_disk = engine.layerdb_chain_ids()
    assert len(on_disk) >= 5
    assert computed == on_disk


@pytest.mark.engine
def test_short_id_is_the_cli_image_id_column(engine: enginekit.Engine) -> None:
    engine.build(["COPY s.txt /s.txt"], {"s.txt": b"short"}, tag="kit/short")
    # Rows with equal creation seconds come in no fixed order, and an image
    # with two tags has two rows: compare the sets.
    short = set(engine.cli("images", "-a", "--format", "{{.ID}}").stdout.split())
    full = engine.image_ids()
    assert len(full) == len(short) >= 2
    assert {short_id(image_id) for image_id in full} == short
    assert all(len(value) == 12 for value in short)


@pytest.mark.engine
def test_teardown_leaves_no_process_mount_or_directory() -> None:
    engine = enginekit.Engine().start()
    directory = engine.directory
    assert directory is not None
    image = engine.build(["COPY t.txt /t.txt"], {"t.txt": b"teardown"})
    engine.create(image, start=True)
    engine.pause(engine.create(image, start=True))
    engine.create(image)
    processes = enginekit.processes_under(directory)
    # dockerd, containerd, two shims and two container processes at least.
    assert engine.pid in processes and len(processes) >= 6
    assert enginekit.mounts_under(directory)
    assert engine in enginekit.live_engines()
    engine.stop()
    assert enginekit.processes_under(directory) == set()
    assert all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in processes)
    assert enginekit.mounts_under(directory) == []
    assert not directory.exists()
    assert engine not in enginekit.live_engines()
    assert engine.teardown_seconds is not None and engine.teardown_seconds < 30
    engine.stop()  # idempotent


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return stat[stat.rfind(b")") + 2 :].startswith(b"Z")


_CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {here!r})
    import enginekit
    engine = enginekit.Engine().start()
    image = engine.build(["LABEL child=1"])
    engine.create(image, start=True)
    print(engine.directory, flush=True)
    if sys.argv[1] == "wait":
        time.sleep(120)
    """
)


@pytest.mark.engine
@pytest.mark.parametrize("ending", ["exit", "sigterm", "sighup"])
def test_safety_net_stops_an_abandoned_engine(ending: str) -> None:
    """A process that exits or is terminated without stopping its engine."""
    mode = "exit" if ending == "exit" else "wait"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD.format(here=str(HERE)), mode],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    directory = Path(child.stdout.readline().strip())
    assert directory.name.startswith("dm-") and directory.is_dir()
    if ending != "exit":
        child.send_signal(signal.SIGTERM if ending == "sigterm" else signal.SIGHUP)
    returncode = child.wait(60)
    child.stdout.close()
    expected = {"exit": 0, "sigterm": -signal.SIGTERM, "sighup": -signal.SIGHUP}[ending]
    assert returncode == expected
    assert enginekit.processes_under(directory) == set()
    assert enginekit.mounts_under(directory) == []
    assert not directory.exists()


def test_skip_or_fail_when_no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enginekit, "unavailable_reason", lambda: "no dockerd here")
    monkeypatch.delenv(enginekit.REQUIRE_ENGINE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^no dockerd here$"):
        conftest.require_engine()
    monkeypatch.setenv(enginekit.REQUIRE_ENGINE_VARIABLE, "0")
    with pytest.raises(pytest.skip.Exception, match=r"^no dockerd here$"):
        conftest.require_engine()
    monkeypatch.setenv(enginekit.REQUIRE_ENGINE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match=r"^no dockerd here \(DOCKERMODEL_REQUIRE"):
        conftest.require_engine()


def test_unavailable_reason_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert enginekit.unavailable_reason() == "engine tests need root (dockerd must run as root)"
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert enginekit.unavailable_reason() == "engine tests need dockerd on PATH"


def test_mountinfo_unescaping() -> None:
    assert enginekit._unescape_mountinfo(r"/tmp/a\040b\134c") == "/tmp/a b\\c"
    assert enginekit._unescape_mountinfo("/plain/path") == "/plain/path"


@pytest.mark.engine
def test_startup_time_is_recorded_and_small(engine: enginekit.Engine) -> None:
    assert engine.startup_seconds is not None
    assert 0 < engine.startup_seconds < 30
