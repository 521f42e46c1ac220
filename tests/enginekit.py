"""A throwaway Docker Engine for the project's own tests.

The tests never touch an engine they did not start (DEVELOPERS.md). This
module starts a private ``dockerd`` in a fresh temporary directory ``D``::

    dockerd --data-root D/root --exec-root D/exec -H unix://D/docker.sock \\
            --pidfile D/docker.pid --bridge=none --iptables=false --ip-masq=false

with its output to ``D/dockerd.log``, stdin from ``/dev/null`` and in its own
session, and takes all of it down again:

1. every container is removed (``rm -f``), so no container process outlives
   its shim;
2. ``dockerd`` gets SIGTERM by PID (SIGKILL after a timeout) and is waited for;
3. every process still belonging to this engine is ended the same way:
   processes whose command line names ``D`` (containerd, which dockerd starts
   in a session of its own, and the ``containerd-shim-runc-v2`` processes),
   members of their sessions, and all their descendants (container
   processes);
4. whatever is still mounted under ``D`` is lazily unmounted, deepest first
   (read from ``/proc/self/mountinfo``);
5. ``D`` is deleted.

A ``atexit`` hook and SIGTERM/SIGHUP handlers (installed only where no other
handler is set) run the same teardown for every engine still alive, so an
interrupted pytest leaves no ``dockerd`` holding CI's output open.

Usage::

    with Engine() as engine:
        base = engine.build(["COPY a.txt /a.txt"], files={"a.txt": b"a"}, tag="base:1")
        app = engine.build(["COPY b.txt /b.txt"], files={"b.txt": b"b"}, base=base)
        cid = engine.create(app, start=True)         # busybox sleep 1000, network none
        engine.cli("images", "-a")                   # docker CLI 28.2.2 against this engine only
        engine.api.inspect_image(app)                 # docker-py low-level client, API 1.41

In pytest use the module-scoped ``engine`` fixture of ``tests/conftest.py``;
it skips (or fails, with ``DOCKERMODEL_REQUIRE_ENGINE=1``) when
:func:`unavailable_reason` says the engine cannot run here.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import docker

__all__ = [
    "BUSYBOX",
    "CLI",
    "DOCKERD",
    "REQUIRE_ENGINE_VARIABLE",
    "SLEEP",
    "Engine",
    "EngineKitError",
    "live_engines",
    "mounts_under",
    "processes_under",
    "unavailable_reason",
]

#: The engine binary (Engine 20.10.24 on these machines).
DOCKERD = "dockerd"
#: The docker CLI the tests use (v28.2.2); /usr/bin/docker is an older 20.10 client.
CLI = "/usr/local/bin/docker"
#: A static busybox, copied into every image built here as /bin/busybox.
BUSYBOX = "/usr/bin/busybox"
#: Set to ``1`` (CI does) to turn a skipped engine test into a failure.
REQUIRE_ENGINE_VARIABLE = "DOCKERMODEL_REQUIRE_ENGINE"
#: The default command of :meth:`Engine.create`: a container that keeps running.
SLEEP = ("/bin/busybox", "sleep", "1000")
#: The API version the engine speaks (Engine 20.10); pinned so docker-py sends no
#: version negotiation request.
API_VERSION = "1.41"
#: mtime of every file in a build context, so COPY layers are byte-identical
#: (same DiffID) from run to run and engine to engine.
CONTEXT_MTIME = 1_600_000_000


class EngineKitError(RuntimeError):
    """The throwaway engine could not be started, used or taken down."""


def unavailable_reason() -> str | None:
    """Why no throwaway engine can run here, or ``None`` when one can."""
    if os.geteuid() != 0:
        return "engine tests need root (dockerd must run as root)"
    if shutil.which(DOCKERD) is None:
        return "engine tests need dockerd on PATH"
    if not os.access(BUSYBOX, os.X_OK):
        return f"engine tests need a static busybox at {BUSYBOX}"
    if not os.access(CLI, os.X_OK):
        return f"engine tests need the docker CLI at {CLI}"
    return None


# --------------------------------------------------------------------------
# Process and mount inspection (Linux /proc)
# --------------------------------------------------------------------------


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _stat_fields(pid: int) -> tuple[int, int] | None:
    """``(ppid, sid)`` of ``pid`` from /proc/PID/stat, or ``None`` if it is gone."""
    raw = _read(f"/proc/{pid}/stat")
    if raw is None:
        return None
    # The command name is in parentheses and may contain spaces or parentheses.
    rest = raw[raw.rfind(b")") + 2 :].split()
    try:
        state = rest[0]
        if state == b"Z":  # a zombie holds nothing; its parent reaps it
            return None
        return int(rest[1]), int(rest[3])
    except (IndexError, ValueError):
        return None


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def processes_under(directory: str | os.PathLike[str]) -> set[int]:
    """Live processes that belong to the engine whose files are in ``directory``.

    Those whose command line names ``directory`` (dockerd, containerd, the
    shims), the members of their sessions, and all descendants of these.
    """
    needle = os.fsencode(os.fspath(directory)).rstrip(b"/") + b"/"
    me = os.getpid()
    table: dict[int, tuple[int, int]] = {}
    roots: set[int] = set()
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is None:
            continue
        table[pid] = fields
        cmdline = _read(f"/proc/{pid}/cmdline") or b""
        if needle in cmdline.replace(b"\0", b" ") + b" ":
            roots.add(pid)
    sessions = {table[pid][1] for pid in roots if pid in table}
    found = set(roots) | {pid for pid, (_, sid) in table.items() if sid in sessions}
    changed = True
    while changed:
        children = {pid for pid, (ppid, _) in table.items() if ppid in found} - found
        found |= children
        changed = bool(children)
    found.discard(me)
    return found


def _unescape_mountinfo(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo.
    out: list[str] = []
    index = 0
    while index < len(field):
        if field[index] == "\\" and field[index + 1 : index + 4].isdigit():
            out.append(chr(int(field[index + 1 : index + 4], 8)))
            index += 4
        else:
            out.append(field[index])
            index += 1
    return "".join(out)


def mounts_under(directory: str | os.PathLike[str]) -> list[str]:
    """Mount points at or below ``directory``, deepest first."""
    base = os.path.realpath(os.fspath(directory)).rstrip("/")
    points: list[str] = []
    raw = _read("/proc/self/mountinfo") or b""
    for line in raw.decode(errors="replace").splitlines():
        parts = line.split(" ")
        if len(parts) < 5:
            continue
        point = _unescape_mountinfo(parts[4])
        if point == base or point.startswith(base + "/"):
            points.append(point)
    return sorted(points, key=lambda p: (p.count("/"), len(p)), reverse=True)


_MNT_DETACH = 2
_libc: Any = None


def _umount_lazy(path: str) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if _libc.umount2(os.fsencode(path), _MNT_DETACH) != 0:
        errno = ctypes.get_errno()
        if errno not in (22, 2):  # EINVAL: not a mount point any more; ENOENT: gone
            raise OSError(errno, os.strerror(errno), path)


def _end_processes(pids: Iterable[int], timeout: float) -> None:
    """SIGTERM ``pids``, wait up to ``timeout``, then SIGKILL and wait again."""
    pending = set(pids)
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        for pid in pending:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while pending and time.monotonic() < deadline:
            pending = {pid for pid in pending if _stat_fields(pid) is not None}
            if pending:
                time.sleep(0.05)
        if not pending:
            return


# --------------------------------------------------------------------------
# Safety net: no engine outlives the test process
# --------------------------------------------------------------------------

_LIVE: dict[int, Engine] = {}
_LIVE_LOCK = threading.Lock()
_HOOKS_INSTALLED = False


def live_engines() -> list[Engine]:
    """Engines started in this process and not yet stopped."""
    with _LIVE_LOCK:
        return list(_LIVE.values())


def _stop_all() -> None:
    for engine in live_engines():
        with contextlib.suppress(Exception):
            engine.stop()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_hooks() -> None:
    global _HOOKS_INSTALLED
    if _HOOKS_INSTALLED:
        return
    _HOOKS_INSTALLED = True
    atexit.register(_stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(signum) in (signal.SIG_DFL, None):
                signal.signal(signum, _on_signal)


# --------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------


def _tar_add(
    archive: tarfile.TarFile,
    name: str,
    data: bytes,
    mode: int,
    kind: bytes = tarfile.REGTYPE,
    link: str = "",
) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data)
    info.mode = mode
    info.mtime = CONTEXT_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


class Engine:
    """One private ``dockerd`` in a fresh temporary directory.

    Attributes once started: ``directory`` (``D``), ``root`` (the data root
    ``D/root``), ``base_url`` (``unix://D/docker.sock``), ``client`` (a
    :class:`docker.DockerClient`, API 1.41), ``api`` (its ``APIClient``),
    ``pid`` (dockerd's) and ``log_path``. ``startup_seconds`` and
    ``teardown_seconds`` record how long start and stop took.
    """

    def __init__(self, *, start_timeout: float = 60.0, stop_timeout: float = 20.0) -> None:
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._client: docker.DockerClient | None = None
        self._busybox: bytes | None = None
        self.startup_seconds: float | None = None
        self.teardown_seconds: float | None = None
        self._command: list[str] = []

    # -- paths ---------------------------------------------------------------

    def _dir(self) -> Path:
        if self.directory is None:
            raise EngineKitError("the engine is not started")
        return self.directory

    @property
    def root(self) -> Path:
        """The data root (``--data-root``), e.g. for ``image/overlay2/layerdb``."""
        return self._dir() / "root"

    @property
    def socket(self) -> Path:
        return self._dir() / "docker.sock"

    @property
    def base_url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log_path(self) -> Path:
        return self._dir() / "dockerd.log"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise EngineKitError("the engine is not started")
        return self._process.pid

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise EngineKitError("the engine is not started")
        return self._client

    @property
    def api(self) -> docker.APIClient:
        return self.client.api

    def log(self, tail: int = 40) -> str:
        """The last ``tail`` lines of dockerd's log."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-tail:])

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> Engine:
        """Start dockerd and wait until it answers ``/_ping``."""
        if self.directory is not None:
            raise EngineKitError("the engine was already started")
        began = time.monotonic()
        _install_hooks()
        # Short path: a unix socket path is limited to ~107 bytes.
        self.directory = Path(tempfile.mkdtemp(prefix="dm-", dir="/tmp"))
        d = self.directory
        (d / "cli").mkdir()
        command = [
            DOCKERD,
            "--data-root", f"{d}/root",
            "--exec-root", f"{d}/exec",
            "-H", f"unix://{d}/docker.sock",
            "--pidfile", f"{d}/docker.pid",
            "--bridge=none",
            "--iptables=false",
            "--ip-masq=false",
        ]  # fmt: skip
        self._command = command
        self._spawn("wb")
        with _LIVE_LOCK:
            _LIVE[id(self)] = self
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def add_references(self, references: Mapping[str, str]) -> None:
        """Add references the engine cannot make offline (digests), by a restart.

        With no registry, ``repo@sha256:…`` references (what a pull or push
        records) can only be written into the reference store,
        ``image/overlay2/repositories.json``, while dockerd is stopped
        (ENGINE_SEMANTICS §0.3 did the same). ``references`` maps familiar
        references (``app@sha256:…``, ``app:1``) to image ids. The restart
        stops running containers (no live-restore).
        """
        directory = self._dir()
        process = self._process
        assert process is not None
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
        process.terminate()
        process.wait(self.stop_timeout)
        deadline = time.monotonic() + 20
        while processes_under(directory) and time.monotonic() < deadline:
            time.sleep(0.1)
        store = self.root / "image" / "overlay2" / "repositories.json"
        document = json.loads(store.read_text()) if store.exists() else {}
        repositories = document.setdefault("Repositories", {}) or {}
        document["Repositories"] = repositories
        for ref, image_id in references.items():
            repository = ref.split("@", 1)[0]
            head, _, last = repository.rpartition("/")
            if ":" in last:
                repository = (head + "/" if head else "") + last.split(":", 1)[0]
            repositories.setdefault(repository, {})[ref] = image_id
        store.write_text(json.dumps(document))
        self._spawn("ab")
        self._wait_ready()

    def _spawn(self, log_mode: str) -> None:
        """Start dockerd in a session of its own, output to the log, stdin from /dev/null."""
        directory = self._dir()
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
        with open(directory / "dockerd.log", log_mode) as log:
            self._process = subprocess.Popen(
                self._command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                cwd=directory,
                env=env,
            )

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        client: docker.DockerClient | None = None
        while True:
            if self._process.poll() is not None:
                raise EngineKitError(
                    f"dockerd exited with status {self._process.returncode}:\n{self.log()}"
                )
            if self.socket.exists():
                if client is None:
                    client = docker.DockerClient(
                        base_url=self.base_url, version=API_VERSION, timeout=120
                    )
                try:
                    if client.api.ping():
                        self._client = client
                        return
                except Exception:
                    pass
            if time.monotonic() > deadline:
                if client is not None:
                    client.close()
                raise EngineKitError(
                    f"dockerd did not answer within {self.start_timeout} s:\n{self.log()}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Remove all containers, end every process, unmount and delete ``D``.

        Idempotent; errors of one step never prevent the next ones.
        """
        directory = self.directory
        if directory is None:
            return
        began = time.monotonic()
        problems: list[str] = []
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
            # A short timeout: a wedged dockerd must not stall the teardown.
            with contextlib.suppress(Exception):
                quick = docker.APIClient(base_url=self.base_url, version=API_VERSION, timeout=15)
                try:
                    _remove_all_containers(quick)
                finally:
                    quick.close()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(10)
        # containerd runs in a session of its own; shims and container processes too.
        for _ in range(3):
            leftover = processes_under(directory)
            if not leftover:
                break
            _end_processes(leftover, timeout=10.0)
        else:
            problems.append(f"processes left: {sorted(processes_under(directory))}")
        for point in mounts_under(directory):
            try:
                _umount_lazy(point)
            except OSError as error:
                problems.append(f"umount {point}: {error}")
        shutil.rmtree(directory, ignore_errors=True)
        if directory.exists():
            problems.append(f"{directory} could not be deleted")
        self.directory = None
        self._process = None
        with _LIVE_LOCK:
            _LIVE.pop(id(self), None)
        self.teardown_seconds = time.monotonic() - began
        if problems:
            raise EngineKitError("teardown incomplete: " + "; ".join(problems))

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the docker CLI --------------------------------------------------------

    def cli_env(self) -> dict[str, str]:
        """A clean environment that points the docker CLI at this engine only."""
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self._dir() / "cli"),
            "DOCKER_HOST": self.base_url,
            "DOCKER_CONFIG": str(self._dir() / "cli"),
            "DOCKER_BUILDKIT": "0",
            "LC_ALL": "C.UTF-8",
        }

    def cli(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``/usr/local/bin/docker ARGS`` against this engine; text output.

        With ``check`` a non-zero exit raises :class:`EngineKitError` showing
        stderr.
        """
        result = subprocess.run(
            [CLI, *args],
            env=self.cli_env(),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise EngineKitError(
                f"docker {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
            )
        return result

    # -- images ----------------------------------------------------------------

    def build(
        self,
        instructions: Sequence[str],
        files: Mapping[str, bytes] | None = None,
        tag: str | Sequence[str] | None = None,
        base: str | None = None,
        *,
        nocache: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> str:
        """Build with the classic builder; return the full image id ``sha256:…``.

        The Dockerfile is ``FROM scratch`` + ``COPY rootfs/ /`` (which puts
        busybox at ``/bin/busybox``) + ``instructions``; or ``FROM base`` +
        ``instructions`` when ``base`` is given; or ``instructions`` alone
        when they start with ``FROM``. The context always holds ``busybox``
        (also as ``rootfs/bin/busybox``) and ``files`` (fixed mtime, owner
        root, mode 0644, busybox 0755). ``COPY`` of a file to a path whose
        parent directory it must create stamps that directory with the
        current time, which is why the base layer copies a whole ``rootfs/``
        with a fixed-time ``bin`` directory: every layer built here from
        equal files has the same DiffID on every engine and every run, even
        with ``nocache``. The build cache shares equal steps (``nocache``
        turns that off).
        Every step leaves an intermediate image, as with the classic builder.
        ``tag`` may be one reference or several; all are applied.
        """
        steps = list(instructions)
        if steps and steps[0].split(None, 1)[0].upper() == "FROM":
            if base is not None:
                raise EngineKitError("give either base= or a FROM instruction, not both")
            dockerfile = steps
        elif base is not None:
            dockerfile = [f"FROM {base}", *steps]
        else:
            dockerfile = ["FROM scratch", "COPY rootfs/ /", *steps]
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as archive:
            _tar_add(archive, "Dockerfile", ("\n".join(dockerfile) + "\n").encode(), 0o644)
            _tar_add(archive, "rootfs/bin", b"", 0o755, tarfile.DIRTYPE)
            _tar_add(archive, "rootfs/bin/busybox", self._busybox_bytes(), 0o755)
            _tar_add(archive, "busybox", b"", 0o755, tarfile.LNKTYPE, "rootfs/bin/busybox")
            for name, data in sorted((files or {}).items()):
                if name in ("Dockerfile", "busybox") or name.split("/")[0] == "rootfs":
                    raise EngineKitError(f"context file name {name!r} is reserved")
                _tar_add(archive, name, data, 0o644)
        context.seek(0)
        tags = [tag] if isinstance(tag, str) else list(tag or [])
        image_id: str | None = None
        messages: list[str] = []
        for event in self.api.build(
            fileobj=context,
            custom_context=True,
            tag=tags[0] if tags else None,
            rm=True,
            forcerm=True,
            nocache=nocache,
            network_mode="none",
            labels=dict(labels) if labels else None,
            decode=True,
        ):
            if "error" in event:
                raise EngineKitError(
                    f"build failed: {event['error']}\n{''.join(messages)}\n{dockerfile}"
                )
            if "stream" in event:
                messages.append(str(event["stream"]))
            aux = event.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = str(aux["ID"])
        if image_id is None:
            raise EngineKitError(f"build reported no image id:\n{''.join(messages)}")
        for extra in tags[1:]:
            self.tag(image_id, extra)
        return image_id

    def _busybox_bytes(self) -> bytes:
        if self._busybox is None:
            self._busybox = Path(BUSYBOX).read_bytes()
        return self._busybox

    def tag(self, image: str, ref: str) -> None:
        """``docker tag IMAGE REF`` (REF ``name`` means ``name:latest``)."""
        repository, tag = _split_tag(ref)
        if not self.api.tag(image, repository, tag):
            raise EngineKitError(f"tagging {image} as {ref} failed")

    def inspect_image(self, image: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api.inspect_image(image)
        return result

    def image_ids(self, all: bool = True) -> list[str]:
        """Ids of ``GET /images/json`` (``all=1`` by default), in the engine's order."""
        return [str(entry["Id"]) for entry in self.api.images(all=all)]

    def layerdb_chain_ids(self) -> set[str]:
        """The chain ids the layer store holds (``image/overlay2/layerdb/sha256``)."""
        layerdb = self.root / "image" / "overlay2" / "layerdb" / "sha256"
        if not layerdb.is_dir():
            return set()
        return {f"sha256:{entry.name}" for entry in layerdb.iterdir() if entry.is_dir()}

    # -- containers ------------------------------------------------------------

    def create(
        self,
        image: str,
        cmd: Sequence[str] = SLEEP,
        name: str | None = None,
        start: bool = False,
        *,
        labels: Mapping[str, str] | None = None,
    ) -> str:
        """Create a container (``--network none``); return its full id.

        The default command, ``busybox sleep 1000``, keeps it running once
        started.
        """
        created = self.api.create_container(
            image,
            command=list(cmd),
            name=name,
            labels=dict(labels) if labels else None,
            host_config=self.api.create_host_config(network_mode="none"),
        )
        container_id = str(created["Id"])
        if start:
            self.api.start(container_id)
        return container_id

    def run(
        self, image: str, cmd: Sequence[str] = ("/bin/busybox", "true"), name: str | None = None
    ) -> str:
        """Create, start and wait for a container to exit; return its id."""
        container_id = self.create(image, cmd, name=name, start=True)
        self.api.wait(container_id, timeout=60)
        return container_id

    def start_container(self, container: str) -> None:
        self.api.start(container)

    def stop_container(self, container: str, timeout: int = 1) -> None:
        """``docker stop -t TIMEOUT``.

        busybox as PID 1 ignores SIGTERM, so this takes ``timeout`` seconds and
        ends with SIGKILL (``Exited (137)``); :meth:`kill` is faster.
        """
        self.api.stop(container, timeout=timeout)

    def kill(self, container: str, signal_name: str = "KILL") -> None:
        """``docker kill``; waits until the container has exited (for ``KILL``)."""
        self.api.kill(container, signal=signal_name)
        if signal_name in ("KILL", "SIGKILL", "9"):
            self.api.wait(container, timeout=60)

    def pause(self, container: str) -> None:
        self.api.pause(container)

    def unpause(self, container: str) -> None:
        self.api.unpause(container)

    def remove_container(self, container: str, force: bool = True, volumes: bool = False) -> None:
        self.api.remove_container(container, force=force, v=volumes)

    def remove_all_containers(self) -> None:
        """``docker rm -f -v`` every container (paused ones are unpaused first)."""
        _remove_all_containers(self.api)

    def reset(self) -> None:
        """Remove every container and every image: an empty engine again."""
        self.remove_all_containers()
        for _ in range(10):
            images = self.api.images(all=True)
            if not images:
                return
            for entry in images:
                with contextlib.suppress(docker.errors.APIError):
                    self.api.remove_image(entry["Id"], force=True, noprune=False)
        raise EngineKitError(f"images left after reset: {self.image_ids()}")

    def df(self) -> dict[str, Any]:
        result: dict[str, Any] = self.api.df()
        return result

    def cli_json_lines(self, *args: str) -> list[dict[str, Any]]:
        """``docker ARGS --format '{{json .}}'`` parsed, one object per line."""
        out = self.cli(*args, "--format", "{{json .}}").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def _remove_all_containers(api: docker.APIClient) -> None:
    for entry in api.containers(all=True):
        if entry.get("State") == "paused":
            with contextlib.suppress(docker.errors.APIError):
                api.unpause(entry["Id"])
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_container(entry["Id"], force=True, v=True)


def _split_tag(ref: str) -> tuple[str, str]:
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, "latest"
