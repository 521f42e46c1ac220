"""The throwaway-engine harness itself: specs, start, build, run, tear down.

Every engine test here runs for each spec of ``DOCKERMODEL_ENGINES``. Also
pins two facts the library relies on, checked against the daemon's own files
and the CLI: chain ids (``dockermodel.digest.chain_ids`` over
``RootFS.Layers``) are the overlay2 layer store's directory names, and
``short_id`` is the IMAGE ID column of ``docker images``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import conftest
import enginekit
import pytest

from dockermodel.digest import chain_ids, short_id

HERE = Path(__file__).resolve().parent


#: What each spec's engine answers: ``Version`` (Debian builds), ``ApiVersion``,
#: ``MinAPIVersion``, and ``docker info``'s Driver and DriverStatus.
EXPECTED_ENGINE = {
    "20.10": ("20.10.24+dfsg1", "1.41", "1.12", "overlay2", None),
    "26.1-overlay2": ("26.1.5+dfsg1", "1.45", "1.24", "overlay2", None),
    "26.1-containerd": (
        "26.1.5+dfsg1", "1.45", "1.24", "overlayfs",
        [["driver-type", "io.containerd.snapshotter.v1"]],
    ),
    "28.5-overlay2": ("28.5.2+dfsg4", "1.51", "1.24", "overlay2", None),
    "28.5-containerd": (
        "28.5.2+dfsg4", "1.51", "1.24", "overlayfs",
        [["driver-type", "io.containerd.snapshotter.v1"]],
    ),
}  # fmt: skip


@pytest.mark.engine
def test_engine_answers_as_its_spec(engine: enginekit.Engine) -> None:
    number, api, min_api, driver, driver_status = EXPECTED_ENGINE[str(engine.spec)]
    version = engine.api.version()
    upstream = engine.spec.release.upstream
    # Debian's builds ("28.5.2+dfsg4"): sid may move to a newer Debian revision.
    assert version["Version"].split("+")[0] == upstream
    assert version["Version"] == number or upstream == "28.5.2"
    assert (version["ApiVersion"], version["MinAPIVersion"]) == (api, min_api)
    assert engine.version.number == version["Version"]
    assert (engine.version.api, engine.version.min_api) == (api, min_api)
    assert engine.version.banner.startswith(f"Docker version {version['Version']}, build ")
    assert engine.version.body["Version"] == version["Version"]
    cli = engine.cli("version", "--format", "{{.Client.Version}} {{.Server.Version}}")
    assert cli.stdout == f"28.2.2 {version['Version']}\n"
    info = engine.api.info()
    assert (info["DockerRootDir"], info["Driver"]) == (str(engine.root), driver)
    if driver_status is not None:
        assert info["DriverStatus"] == driver_status
    assert engine.cli("info", "--format", "{{.DockerRootDir}} {{.Driver}}").stdout == (
        f"{engine.root} {driver}\n"
    )
    assert engine.base_url == f"unix://{engine.directory}/docker.sock"
    assert len(engine.base_url) < 100
    assert enginekit.started_engines()[engine.spec][0] == engine.version.banner


@pytest.mark.engine
def test_dockerd_runs_with_its_own_binaries_config_and_environment(
    engine: enginekit.Engine,
) -> None:
    directory = engine.directory
    assert directory is not None
    command = Path(f"/proc/{engine.pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    assert command == [
        engine.spec.dockerd,
        "--config-file", f"{directory}/daemon.json",
        "--data-root", f"{directory}/root",
        "--exec-root", f"{directory}/exec",
        "-H", f"unix://{directory}/docker.sock",
        "--pidfile", f"{directory}/docker.pid",
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-masq=false",
    ]  # fmt: skip
    config = json.loads((directory / "daemon.json").read_text())
    expected_config = (
        {"features": {"containerd-snapshotter": True}} if engine.containerd_store else {}
    )
    assert config == expected_config
    environ = dict(
        entry.split("=", 1)
        for entry in Path(f"/proc/{engine.pid}/environ").read_bytes().decode().split("\0")
        if "=" in entry
    )
    assert environ["HTTP_PROXY"] == environ["HTTPS_PROXY"] == "http://127.0.0.1:9"
    assert environ["NO_PROXY"] == ""
    bin_dir = engine.spec.bin_dir
    if bin_dir is None:
        assert environ["PATH"] == os.environ["PATH"]
    else:
        assert environ["PATH"] == f"{bin_dir}:{os.environ['PATH']}"
    assert Path(f"/proc/{engine.pid}/fd/0").resolve() == Path("/dev/null")
    assert Path(f"/proc/{engine.pid}/fd/1").resolve() == engine.log_path
    assert os.getsid(engine.pid) == engine.pid
    # The managed containerd: the engine's own binary, state under the exec-root.
    containerd = [
        pid
        for pid in enginekit.processes_under(directory)
        if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"containerd")
    ]
    assert len(containerd) == 1
    argv = Path(f"/proc/{containerd[0]}/cmdline").read_bytes().decode().split("\0")
    assert argv[1:3] == ["--config", f"{directory}/exec/containerd/containerd.toml"]
    expected_binary = Path(shutil.which("containerd") or "") if bin_dir is None else (
        (bin_dir / "containerd").resolve()
    )
    assert Path(f"/proc/{containerd[0]}/exe").resolve() == expected_binary.resolve()


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
def test_buildkit_builds_a_tar_context_and_builder_prune_empties_its_cache(
    engine: enginekit.Engine,
) -> None:
    if not engine.spec.buildkit_tar_context:
        with pytest.raises(enginekit.EngineKitError, match=r"moby/moby#47717"):
            engine.build_buildkit(["COPY k.txt /k.txt"], {"k.txt": b"k"})
        return
    base = engine.build(["COPY a.txt /a.txt"], {"a.txt": b"kit-base\n"}, tag="kit/bkbase:1")
    kit = engine.build_buildkit(
        ["FROM kit/bkbase:1", "COPY k.txt /k.txt", 'RUN ["/bin/busybox", "mkdir", "/made"]'],
        {"k.txt": b"buildkit\n"},
        tag=["kit/bk:1", "kit/bk:2"],
        labels={"via": "buildkit"},
    )
    inspect = engine.inspect_image(kit)
    assert inspect["Id"] == kit
    assert sorted(inspect["RepoTags"]) == ["kit/bk:1", "kit/bk:2"]
    assert inspect["Config"]["Labels"] == {"via": "buildkit"}
    base_layers = engine.inspect_image(base)["RootFS"]["Layers"]
    layers = inspect["RootFS"]["Layers"]
    assert layers[:2] == base_layers and len(layers) == 4
    created_by = [entry["CreatedBy"] for entry in engine.api.history(kit)[:2]]
    assert created_by == [
        "RUN /bin/busybox mkdir /made # buildkit",
        "COPY k.txt /k.txt # buildkit",
    ]
    # BuildKit leaves no intermediate images: the new image's parent is none.
    assert inspect["Parent"] == ""
    records = engine.df()["BuildCache"]
    assert records
    pruned = engine.builder_prune(all=True)
    assert sorted(pruned["CachesDeleted"]) == sorted(record["ID"] for record in records)
    assert pruned["SpaceReclaimed"] > 0
    assert engine.df()["BuildCache"] in ([], None)  # 20.10 answers null
    assert engine.builder_prune() == {"CachesDeleted": None, "SpaceReclaimed": 0}


@pytest.mark.engine
@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_nothing_is_pulled(engine: enginekit.Engine, builder: str) -> None:
    """A missing base fails at once on the dead proxy instead of reaching a registry."""
    if builder == "buildkit" and not engine.spec.buildkit_tar_context:
        pytest.skip(f"engine {engine.spec} cannot build a tar context with BuildKit")
    build = engine.build if builder == "classic" else engine.build_buildkit
    began = time.monotonic()
    with pytest.raises(enginekit.EngineKitError) as caught:
        build(["FROM kit/nosuch:1"])
    assert "proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused" in str(
        caught.value
    )
    assert time.monotonic() - began < 20
    if builder == "buildkit":
        with pytest.raises(enginekit.EngineKitError, match=r"would look '0123456789ab' up"):
            engine.build_buildkit(["FROM 0123456789ab"])


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
    if engine.containerd_store:
        pytest.skip("the containerd image store keeps no overlay2 layer store (layerdb)")
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


def _kinds(pids: set[int]) -> dict[str, int]:
    """How many of ``pids`` run each program (by the basename of argv[0])."""
    counts: dict[str, int] = {}
    for pid in pids:
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        name = os.path.basename(argv0.decode())
        counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.mark.engine
@pytest.mark.parametrize("kill_dockerd", [False, True], ids=["stop", "dockerd-killed"])
def test_teardown_leaves_no_process_mount_or_directory(
    engine_spec: enginekit.EngineSpec, kill_dockerd: bool
) -> None:
    engine = enginekit.Engine(engine_spec).start()
    directory = engine.directory
    assert directory is not None
    image = engine.build(["COPY t.txt /t.txt"], {"t.txt": b"teardown"})
    engine.create(image, start=True)
    engine.pause(engine.create(image, start=True))
    engine.create(image)
    if engine.spec.buildkit_tar_context:
        engine.build_buildkit(["FROM scratch", "COPY t.txt /t.txt"], {"t.txt": b"kit"})
    processes = enginekit.processes_under(directory)
    # dockerd, its managed containerd, two shims and two container processes.
    assert engine.pid in processes
    assert _kinds(processes) == {
        os.path.basename(engine.spec.dockerd): 1,
        "containerd": 1,
        "containerd-shim-runc-v2": 2,
        "busybox": 2,
    }
    assert enginekit.mounts_under(directory)
    assert engine in enginekit.live_engines()
    if kill_dockerd:
        # dockerd dies without cleaning up: containerd, shims and containers stay.
        os.kill(engine.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not _zombie(engine.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _kinds(enginekit.processes_under(directory))["containerd-shim-runc-v2"] == 2
    ids = enginekit.container_ids(directory)
    assert len(ids) == 3
    # The running and the paused container have a cgroup in every hierarchy.
    cgroups = enginekit.cgroups_of(ids)
    assert cgroups and {os.path.basename(path).removeprefix("docker-") for path in cgroups} <= {
        name for id_ in ids for name in (id_, f"{id_}.scope")
    }
    engine.stop()
    assert enginekit.processes_under(directory) == set()
    assert enginekit.processes_under(directory, ids) == set()
    assert all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in processes)
    assert enginekit.cgroups_of(ids) == []
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
def test_safety_net_stops_an_abandoned_engine(
    engine_spec: enginekit.EngineSpec, ending: str
) -> None:
    """A process that exits or is terminated without stopping its engine."""
    mode = "exit" if ending == "exit" else "wait"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD.format(here=str(HERE)), mode, str(engine_spec)],
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
    monkeypatch.setattr(enginekit, "unavailable_reason", lambda spec=None: "no dockerd here")
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
    assert enginekit.unavailable_reason(enginekit.EngineSpec("20.10")) == (
        "engine tests need dockerd on PATH"
    )


@pytest.mark.parametrize("spec", ["26.1-overlay2", "28.5-containerd"])
def test_unavailable_reason_names_a_missing_unpacked_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spec: str
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setenv(enginekit.ENGINES_DIR_VARIABLE, str(tmp_path))
    parsed = enginekit.EngineSpec.parse(spec)
    upstream = parsed.release.upstream
    assert enginekit.unavailable_reason(parsed) == (
        f"engine {spec} needs Engine {upstream} unpacked in {tmp_path}/{upstream}"
        " (run .ci/engines.sh); missing: dockerd, containerd, containerd-shim-runc-v2,"
        " docker-init, runc"
    )
    bin_dir = tmp_path / upstream / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("dockerd", "containerd", "docker-init", "runc"):
        (bin_dir / name).symlink_to("/bin/true")
    assert enginekit.unavailable_reason(parsed) == (
        f"engine {spec} needs Engine {upstream} unpacked in {tmp_path}/{upstream}"
        " (run .ci/engines.sh); missing: containerd-shim-runc-v2"
    )
    (bin_dir / "containerd-shim-runc-v2").symlink_to("/bin/true")
    monkeypatch.setattr(enginekit, "BUSYBOX", "/bin/true")
    monkeypatch.setattr(enginekit, "CLI", "/bin/true")
    assert enginekit.unavailable_reason(parsed) is None
    monkeypatch.setattr(enginekit, "CLI", str(tmp_path / "no-cli"))
    assert enginekit.unavailable_reason(parsed) == (
        f"engine tests need the docker CLI at {tmp_path}/no-cli"
    )
    monkeypatch.setenv(enginekit.ENGINES_DIR_VARIABLE, str(tmp_path / "none"))
    with pytest.raises(enginekit.EngineKitError, match=rf"^engine {spec} needs Engine {upstream}"):
        enginekit.Engine(parsed).start()


@pytest.mark.parametrize(
    ("text", "version", "store", "label"),
    [
        ("20.10", "20.10", "overlay2", "20.10"),
        ("20.10-overlay2", "20.10", "overlay2", "20.10"),
        (" 26.1-overlay2 ", "26.1", "overlay2", "26.1-overlay2"),
        ("26.1", "26.1", "overlay2", "26.1-overlay2"),
        ("26.1-containerd", "26.1", "containerd", "26.1-containerd"),
        ("28.5", "28.5", "overlay2", "28.5-overlay2"),
        ("28.5-overlay2", "28.5", "overlay2", "28.5-overlay2"),
        ("28.5-containerd", "28.5", "containerd", "28.5-containerd"),
    ],
)
def test_engine_spec_parse(text: str, version: str, store: str, label: str) -> None:
    spec = enginekit.EngineSpec.parse(text)
    assert (spec.version, spec.store, str(spec)) == (version, store, label)
    assert enginekit.EngineSpec.parse(str(spec)) == spec
    assert spec.containerd_store == (store == "containerd")
    config = {"features": {"containerd-snapshotter": True}} if store == "containerd" else {}
    assert spec.daemon_config == config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("19.03", "unknown engine version '19.03' (known: 20.10, 26.1, 28.5)"),
        ("28.5.2", "unknown engine version '28.5.2' (known: 20.10, 26.1, 28.5)"),
        ("20.10-containerd", "engine 20.10 has no 'containerd' image store (it has: overlay2)"),
        ("28.5-zfs", "engine 28.5 has no 'zfs' image store (it has: overlay2, containerd)"),
        ("28.5-", "engine spec '28.5-': missing the store after '-'"),
        ("", "unknown engine version '' (known: 20.10, 26.1, 28.5)"),
    ],
)
def test_engine_spec_errors_name_the_part(text: str, message: str) -> None:
    with pytest.raises(enginekit.EngineKitError) as caught:
        enginekit.EngineSpec.parse(text)
    assert str(caught.value) == message


def test_engine_spec_is_a_frozen_ordered_value() -> None:
    spec = enginekit.EngineSpec.parse("28.5-containerd")
    with pytest.raises(AttributeError):
        spec.store = "overlay2"  # type: ignore[misc]
    assert hash(spec) == hash(enginekit.EngineSpec("28.5", "containerd"))
    assert enginekit.EngineSpec() == enginekit.EngineSpec("20.10", "overlay2")
    assert sorted(
        enginekit.EngineSpec.parse(text) for text in ("28.5-overlay2", "20.10", "26.1-containerd")
    ) == [
        enginekit.EngineSpec("20.10"),
        enginekit.EngineSpec("26.1", "containerd"),
        enginekit.EngineSpec("28.5", "overlay2"),
    ]


def test_unpacked_engines_live_under_the_engines_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(enginekit.ENGINES_DIR_VARIABLE, raising=False)
    assert enginekit.engines_dir() == Path("/opt/dockermodel-engines")
    assert enginekit.EngineSpec.parse("26.1-containerd").bin_dir == Path(
        "/opt/dockermodel-engines/26.1.5/bin"
    )
    monkeypatch.setenv(enginekit.ENGINES_DIR_VARIABLE, str(tmp_path))
    assert enginekit.EngineSpec.parse("28.5").bin_dir == tmp_path / "28.5.2" / "bin"
    assert enginekit.EngineSpec.parse("28.5").dockerd == str(tmp_path / "28.5.2/bin/dockerd")
    assert enginekit.EngineSpec.parse("20.10").bin_dir is None
    assert enginekit.EngineSpec.parse("20.10").dockerd == "dockerd"


@pytest.mark.parametrize(
    ("value", "labels"),
    [
        (None, ["20.10"]),
        ("", ["20.10"]),
        (" , ", ["20.10"]),
        ("28.5-containerd", ["28.5-containerd"]),
        (
            "20.10,26.1-overlay2,28.5-overlay2,28.5-containerd",
            ["20.10", "26.1-overlay2", "28.5-overlay2", "28.5-containerd"],
        ),
        ("28.5,28.5-overlay2,20.10-overlay2,20.10,", ["28.5-overlay2", "20.10"]),
    ],
)
def test_specs_from_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, labels: list[str]
) -> None:
    if value is None:
        monkeypatch.delenv(enginekit.ENGINES_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(enginekit.ENGINES_VARIABLE, value)
    assert [str(spec) for spec in enginekit.specs_from_environment()] == labels
    assert [str(spec) for spec in conftest.engine_specs()] == labels


def test_a_malformed_engine_list_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(enginekit.ENGINES_VARIABLE, "20.10,28.5-btrfs")
    with pytest.raises(pytest.UsageError) as caught:
        conftest.engine_specs()
    assert str(caught.value) == (
        "DOCKERMODEL_ENGINES='20.10,28.5-btrfs': engine 28.5 has no 'btrfs' image store"
        " (it has: overlay2, containerd)"
    )


def test_mountinfo_unescaping() -> None:
    assert enginekit._unescape_mountinfo(r"/tmp/a\040b\134c") == "/tmp/a b\\c"
    assert enginekit._unescape_mountinfo("/plain/path") == "/plain/path"


@pytest.mark.engine
def test_startup_time_is_recorded_and_small(engine: enginekit.Engine) -> None:
    assert engine.startup_seconds is not None
    assert 0 < engine.startup_seconds < 30
