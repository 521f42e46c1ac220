"""Throwaway Docker Engines for the project's own tests.

The tests never touch an engine they did not start (DEVELOPERS.md). This
module starts a private ``dockerd`` of a given :class:`EngineSpec` (engine
version and image store) in a fresh temporary directory ``D``::

    PATH=BIN:$PATH HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
    dockerd --config-file D/daemon.json --data-root D/root --exec-root D/exec \
            -H unix://D/docker.sock --pidfile D/docker.pid \
            --bridge=none --iptables=false --ip6tables=false --ip-masq=false

with its output to ``D/dockerd.log``, stdin from ``/dev/null`` and in its own
session. Which ``dockerd``:

* ``20.10`` — the machine's own Engine 20.10.24 (``dockerd`` on PATH);
* ``26.1`` and ``28.5`` — Engines 26.1.5 and 28.5.2, unpacked (never
  installed) from Debian's newer suites by ``.ci/engines.sh`` under
  ``$DOCKERMODEL_ENGINES_DIR`` (default ``/opt/dockermodel-engines``); their
  ``bin`` directory (``dockerd``, ``containerd``, the shim, ``docker-init``,
  the machine's ``runc``) comes first on the PATH of that dockerd only.

``D/daemon.json`` is ``{}`` for the ``overlay2`` store and
``{"features":{"containerd-snapshotter":true}}`` for the ``containerd`` image
store (26.1 and 28.5); passing it also keeps any ``/etc/docker/daemon.json``
out. The dead proxy makes any registry access fail at once instead of
looking a name up: nothing here may reach out. dockerd starts its own
(managed) containerd, whose state goes under ``D/exec`` and data under
``D/root``. Everything is taken down again:

1. every container is removed (``rm -f``), so no container process outlives
   its shim;
2. ``dockerd`` gets SIGTERM by PID (SIGKILL after a timeout) and is waited for;
3. every process still belonging to this engine is ended the same way:
   processes whose command line names ``D`` (the managed containerd, which
   dockerd starts in a session of its own with ``--config
   D/exec/containerd/containerd.toml``, and the ``containerd-shim-runc-v2``
   processes, whose ``-address`` is under ``D/exec``), members of their
   sessions, and all their descendants (container processes);
4. whatever is still mounted under ``D`` is lazily unmounted, deepest first
   (read from ``/proc/self/mountinfo``);
5. ``D`` is deleted.

A ``atexit`` hook and SIGTERM/SIGHUP handlers (installed only where no other
handler is set) run the same teardown for every engine still alive, so an
interrupted pytest leaves no ``dockerd`` holding CI's output open.

Usage::

    with Engine(EngineSpec.parse("28.5-containerd")) as engine:
        base = engine.build(["COPY a.txt /a.txt"], files={"a.txt": b"a"}, tag="base:1")
        app = engine.build(["COPY b.txt /b.txt"], files={"b.txt": b"b"}, base=base)
        kit = engine.build_buildkit(["FROM base:1", "COPY c.txt /c.txt"], {"c.txt": b"c"}, "kit:1")
        cid = engine.create(app, start=True)         # busybox sleep 1000, network none
        engine.cli("images", "-a")                   # docker CLI 28.2.2 against this engine only
        engine.api.inspect_image(app)                 # docker-py low-level client, API 1.41
        engine.version.banner                         # "Docker version 28.5.2+dfsg4, build …"

In pytest use the module-scoped ``engine`` fixture of ``tests/conftest.py``,
parametrized over the specs in ``DOCKERMODEL_ENGINES``; it skips (or fails,
with ``DOCKERMODEL_REQUIRE_ENGINE=1``) when :func:`unavailable_reason` says
the engine cannot run here.
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

import attrs
import docker

__all__ = [
    "BUSYBOX",
    "CLI",
    "DEFAULT_ENGINES",
    "DOCKERD",
    "ENGINES_DIR_VARIABLE",
    "ENGINES_VARIABLE",
    "ENGINE_RELEASES",
    "REQUIRE_ENGINE_VARIABLE",
    "SLEEP",
    "Engine",
    "EngineKitError",
    "EngineRelease",
    "EngineSpec",
    "EngineVersion",
    "cgroups_of",
    "container_ids",
    "engines_dir",
    "live_engines",
    "mounts_under",
    "processes_under",
    "specs_from_environment",
    "started_engines",
    "unavailable_reason",
]

#: The machine's own engine binary (Engine 20.10.24 on these machines).
DOCKERD = "dockerd"
#: The docker CLI the tests use (v28.2.2); /usr/bin/docker is an older 20.10 client.
CLI = "/usr/local/bin/docker"
#: A static busybox, copied into every image built here as /bin/busybox.
BUSYBOX = "/usr/bin/busybox"
#: Set to ``1`` (CI does) to turn a skipped engine test into a failure.
REQUIRE_ENGINE_VARIABLE = "DOCKERMODEL_REQUIRE_ENGINE"
#: Comma list of the engine specs the engine tests run against.
ENGINES_VARIABLE = "DOCKERMODEL_ENGINES"
#: What runs when ``DOCKERMODEL_ENGINES`` is not set: the engine the model supports.
DEFAULT_ENGINES = "20.10"
#: Where ``.ci/engines.sh`` unpacks the modern engines.
ENGINES_DIR_VARIABLE = "DOCKERMODEL_ENGINES_DIR"
#: Its default.
DEFAULT_ENGINES_DIR = "/opt/dockermodel-engines"
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


# --------------------------------------------------------------------------
# Which engine: releases and specs
# --------------------------------------------------------------------------

STORES = ("overlay2", "containerd")


@attrs.frozen
class EngineRelease:
    """One engine release the tests can run.

    ``label`` is the short version (``28.5``), ``upstream`` the release
    (``28.5.2``), ``api`` its maximum API version, ``stores`` the image
    stores it offers, ``unpacked`` whether ``.ci/engines.sh`` provides it
    (``False``: the machine's own ``dockerd``).
    """

    label: str
    upstream: str
    api: str
    stores: tuple[str, ...]
    unpacked: bool


#: The releases, by label.
ENGINE_RELEASES: dict[str, EngineRelease] = {
    release.label: release
    for release in (
        EngineRelease("20.10", "20.10.24", "1.41", ("overlay2",), unpacked=False),
        EngineRelease("26.1", "26.1.5", "1.45", STORES, unpacked=True),
        EngineRelease("28.5", "28.5.2", "1.51", STORES, unpacked=True),
    )
}


def engines_dir() -> Path:
    """Where ``.ci/engines.sh`` unpacked the modern engines (``$DOCKERMODEL_ENGINES_DIR``)."""
    return Path(os.environ.get(ENGINES_DIR_VARIABLE) or DEFAULT_ENGINES_DIR)


@attrs.frozen(order=True)
class EngineSpec:
    """An engine version label (``20.10``, ``26.1``, ``28.5``) and an image store.

    ``str(spec)`` is its label: ``20.10`` (that engine has only the overlay2
    store), else ``VERSION-STORE`` (``28.5-containerd``). :meth:`parse` reads
    that form back, and also ``20.10-overlay2`` and a bare ``26.1``/``28.5``
    (the overlay2 store, the default of those engines).
    """

    version: str = "20.10"
    store: str = "overlay2"

    def __attrs_post_init__(self) -> None:
        release = ENGINE_RELEASES.get(self.version)
        if release is None:
            known = ", ".join(ENGINE_RELEASES)
            raise EngineKitError(f"unknown engine version {self.version!r} (known: {known})")
        if self.store not in release.stores:
            raise EngineKitError(
                f"engine {self.version} has no {self.store!r} image store"
                f" (it has: {', '.join(release.stores)})"
            )

    @classmethod
    def parse(cls, text: str) -> EngineSpec:
        """The spec named ``text`` (``28.5-containerd``); :class:`EngineKitError` if malformed."""
        label = text.strip()
        version, dash, store = label.partition("-")
        if dash and not store:
            raise EngineKitError(f"engine spec {text!r}: missing the store after '-'")
        return cls(version, store or "overlay2")

    def __str__(self) -> str:
        if len(self.release.stores) == 1:
            return self.version
        return f"{self.version}-{self.store}"

    @property
    def release(self) -> EngineRelease:
        return ENGINE_RELEASES[self.version]

    @property
    def containerd_store(self) -> bool:
        """Whether images live in containerd's store (``containerd-snapshotter``)."""
        return self.store == "containerd"

    @property
    def bin_dir(self) -> Path | None:
        """The unpacked engine's bin dir (first on dockerd's PATH), or ``None``."""
        if not self.release.unpacked:
            return None
        return engines_dir() / self.release.upstream / "bin"

    @property
    def dockerd(self) -> str:
        """The ``dockerd`` binary of this engine (a path, or ``dockerd`` for the PATH's)."""
        directory = self.bin_dir
        return DOCKERD if directory is None else str(directory / "dockerd")

    @property
    def proxy_environment(self) -> dict[str, str]:
        """A dead proxy in dockerd's environment: any registry access fails at once."""
        return {
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": "",
        }

    @property
    def buildkit_tar_context(self) -> bool:
        """Whether ``POST /build?version=2`` can build from a tar context.

        Not Engine 26.1 with the containerd store: its containerd worker does
        not serve the uploaded context to BuildKit (moby/moby#47717, fixed by
        28.5), which then fetches ``http://build-context-…`` for real.
        """
        return not (self.version == "26.1" and self.containerd_store)

    @property
    def daemon_config(self) -> dict[str, Any]:
        """The ``--config-file`` document."""
        if self.containerd_store:
            return {"features": {"containerd-snapshotter": True}}
        return {}


def specs_from_environment(value: str | None = None) -> list[EngineSpec]:
    """The specs of ``DOCKERMODEL_ENGINES`` (or ``value``), in order, without repeats.

    Unset or empty (blanks and commas only) means :data:`DEFAULT_ENGINES`.
    """
    text = os.environ.get(ENGINES_VARIABLE, "") if value is None else value
    if not text.replace(",", "").strip():
        text = DEFAULT_ENGINES
    specs: list[EngineSpec] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            spec = EngineSpec.parse(part)
        except EngineKitError as error:
            raise EngineKitError(f"{ENGINES_VARIABLE}={text!r}: {error}") from None
        if spec not in specs:
            specs.append(spec)
    return specs


def unavailable_reason(spec: EngineSpec | None = None) -> str | None:
    """Why no throwaway engine of ``spec`` (default 20.10) can run here, or ``None``."""
    spec = spec or EngineSpec()
    if os.geteuid() != 0:
        return "engine tests need root (dockerd must run as root)"
    if spec.bin_dir is None:
        if shutil.which(DOCKERD) is None:
            return "engine tests need dockerd on PATH"
    else:
        missing = [
            name
            for name in ("dockerd", "containerd", "containerd-shim-runc-v2", "docker-init", "runc")
            if not os.access(spec.bin_dir / name, os.X_OK)
        ]
        if missing:
            return (
                f"engine {spec} needs Engine {spec.release.upstream} unpacked in"
                f" {spec.bin_dir.parent} (run .ci/engines.sh); missing: {', '.join(missing)}"
            )
    if not os.access(BUSYBOX, os.X_OK):
        return f"engine tests need a static busybox at {BUSYBOX}"
    if not os.access(CLI, os.X_OK):
        return f"engine tests need the docker CLI at {CLI}"
    return None


@attrs.frozen
class EngineVersion:
    """What a running engine says it is.

    ``banner`` is ``dockerd --version`` of its binary (``Docker version
    28.5.2+dfsg4, build 3ef3c07…``); ``number`` (``28.5.2+dfsg4``),
    ``api`` (``1.51``) and ``min_api`` (``1.24``) are from ``GET /version``,
    whose whole body is ``body``.
    """

    banner: str
    number: str
    api: str
    min_api: str
    body: dict[str, Any] = attrs.field(eq=False, repr=False)


_BANNERS: dict[str, str] = {}


def dockerd_banner(dockerd: str) -> str:
    """``dockerd --version`` of the binary ``dockerd`` (remembered per binary)."""
    if dockerd not in _BANNERS:
        try:
            result = subprocess.run(
                [dockerd, "--version"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except OSError as error:
            raise EngineKitError(f"{dockerd} --version: {error}") from None
        if result.returncode != 0:
            raise EngineKitError(f"{dockerd} --version exited {result.returncode}: {result.stderr}")
        _BANNERS[dockerd] = result.stdout.strip()
    return _BANNERS[dockerd]


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


def container_ids(directory: str | os.PathLike[str]) -> set[str]:
    """Ids of the containers the engine in ``directory`` made (still on disk).

    Its containers (``D/root/containers/ID``, both image stores) and the
    executors of BuildKit ``RUN`` steps (``D/root/buildkit/executor/ID``).
    """
    root = Path(directory) / "root"
    found: set[str] = set()
    for sub in ("containers", "buildkit/executor"):
        with contextlib.suppress(OSError):
            found.update(entry.name for entry in (root / sub).iterdir() if entry.is_dir())
    return found


def _cgroup_names(ids: Iterable[str]) -> set[str]:
    # cgroupfs driver: .../docker/ID; systemd driver: .../docker-ID.scope
    return {name for id_ in ids for name in (id_, f"docker-{id_}.scope")}


def _cgroup_leaf(pid: int) -> set[str]:
    raw = _read(f"/proc/{pid}/cgroup") or b""
    return {line.rsplit(b"/", 1)[-1].decode(errors="replace") for line in raw.splitlines()}


def _cgroup_mounts() -> list[str]:
    """Mount points of the cgroup hierarchies (v1 and v2)."""
    points: list[str] = []
    raw = _read("/proc/self/mountinfo") or b""
    for line in raw.decode(errors="replace").splitlines():
        left, _, right = line.partition(" - ")
        fields = left.split(" ")
        if len(fields) >= 5 and right.split(" ", 1)[0] in ("cgroup", "cgroup2"):
            points.append(_unescape_mountinfo(fields[4]))
    return points


def cgroups_of(ids: Iterable[str]) -> list[str]:
    """The cgroup directories of containers ``ids`` in every hierarchy, deepest first."""
    names = _cgroup_names(ids)
    if not names:
        return []
    found: list[str] = []
    for mount in _cgroup_mounts():
        for current, dirs, _ in os.walk(mount):
            if current.count("/") - mount.count("/") >= 4:
                dirs[:] = []
                continue
            found.extend(os.path.join(current, name) for name in dirs if name in names)
    return sorted(found, key=lambda p: (p.count("/"), len(p)), reverse=True)


def _thaw(cgroups: Iterable[str]) -> None:
    """Thaw frozen (paused) cgroups, so that their processes can be ended."""
    for path in cgroups:
        for name, value in (("freezer.state", "THAWED"), ("cgroup.freeze", "0")):
            target = os.path.join(path, name)
            if os.path.exists(target):
                with contextlib.suppress(OSError), open(target, "w") as handle:
                    handle.write(value)


def processes_under(
    directory: str | os.PathLike[str], ids: Iterable[str] | None = None
) -> set[int]:
    """Live processes that belong to the engine whose files are in ``directory``.

    Those whose command line names ``directory`` (dockerd, containerd, the
    shims), those in the cgroup of one of its containers (``ids``, by
    default :func:`container_ids`: a container process whose shim was
    killed is reparented and names nothing), the members of their sessions,
    and all descendants of these.
    """
    needle = os.fsencode(os.fspath(directory)).rstrip(b"/") + b"/"
    cgroup_names = _cgroup_names(container_ids(directory) if ids is None else ids)
    me = os.getpid()
    table: dict[int, tuple[int, int]] = {}
    roots: set[int] = set()
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is None:
            continue
        table[pid] = fields
        cmdline = _read(f"/proc/{pid}/cmdline") or b""
        if needle in cmdline.replace(b"\0", b" ") + b" " or (
            cgroup_names and _cgroup_leaf(pid) & cgroup_names
        ):
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


def _in_cgroups(pids: Iterable[int], ids: Iterable[str]) -> set[int]:
    names = _cgroup_names(ids)
    return {pid for pid in pids if _cgroup_leaf(pid) & names}


def _end_processes(pids: Iterable[int], timeout: float, first: int = signal.SIGTERM) -> None:
    """Send ``first`` (SIGTERM) to ``pids``, wait up to ``timeout``, then SIGKILL and wait."""
    pending = set(pids)
    for sig, wait in ((first, timeout), (signal.SIGKILL, 10.0)):
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
_STARTED: dict[EngineSpec, tuple[str, int]] = {}


def live_engines() -> list[Engine]:
    """Engines started in this process and not yet stopped."""
    with _LIVE_LOCK:
        return list(_LIVE.values())


def started_engines() -> dict[EngineSpec, tuple[str, int]]:
    """Every spec started in this process: its ``dockerd --version`` and how many times."""
    with _LIVE_LOCK:
        return dict(_STARTED)


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
    """One private ``dockerd`` of ``spec`` (default: 20.10) in a fresh temporary directory.

    Attributes once started: ``directory`` (``D``), ``root`` (the data root
    ``D/root``), ``base_url`` (``unix://D/docker.sock``), ``client`` (a
    :class:`docker.DockerClient`, API 1.41), ``api`` (its ``APIClient``),
    ``pid`` (dockerd's), ``log_path`` and ``version`` (an
    :class:`EngineVersion`). ``startup_seconds`` and ``teardown_seconds``
    record how long start and stop took.
    """

    def __init__(
        self,
        spec: EngineSpec | None = None,
        *,
        start_timeout: float = 60.0,
        stop_timeout: float = 20.0,
    ) -> None:
        self.spec = spec or EngineSpec()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._client: docker.DockerClient | None = None
        self._busybox: bytes | None = None
        self.startup_seconds: float | None = None
        self.teardown_seconds: float | None = None
        self._command: list[str] = []
        self._version: EngineVersion | None = None

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

    @property
    def version(self) -> EngineVersion:
        """``dockerd --version`` and ``GET /version`` of this engine."""
        if self._version is None:
            body: dict[str, Any] = self.api.version(api_version=False)
            self._version = EngineVersion(
                banner=dockerd_banner(self.spec.dockerd),
                number=str(body["Version"]),
                api=str(body["ApiVersion"]),
                min_api=str(body["MinAPIVersion"]),
                body=body,
            )
        return self._version

    @property
    def containerd_store(self) -> bool:
        """Whether this engine keeps images in containerd's image store."""
        return self.spec.containerd_store

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
        reason = unavailable_reason(self.spec)
        if reason is not None:
            raise EngineKitError(reason)
        began = time.monotonic()
        _install_hooks()
        # Short path: a unix socket path is limited to ~107 bytes.
        self.directory = Path(tempfile.mkdtemp(prefix="dm-", dir="/tmp"))
        d = self.directory
        (d / "cli").mkdir()
        (d / "daemon.json").write_text(json.dumps(self.spec.daemon_config) + "\n")
        # --ip6tables: 20.10.24 and 26.1.5 accept it (default false, experimental
        # there); 28.5.2 defaults to true and would need ip6tables.
        command = [
            self.spec.dockerd,
            "--config-file", f"{d}/daemon.json",
            "--data-root", f"{d}/root",
            "--exec-root", f"{d}/exec",
            "-H", f"unix://{d}/docker.sock",
            "--pidfile", f"{d}/docker.pid",
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-masq=false",
        ]  # fmt: skip
        self._command = command
        self._spawn("wb")
        with _LIVE_LOCK:
            _LIVE[id(self)] = self
        try:
            self._wait_ready()
            banner = self.version.banner
        except BaseException:
            self.stop()
            raise
        with _LIVE_LOCK:
            _, count = _STARTED.get(self.spec, ("", 0))
            _STARTED[self.spec] = (banner, count + 1)
        self.startup_seconds = time.monotonic() - began
        return self

    def add_references(self, references: Mapping[str, str]) -> None:
        """Add references the engine cannot make offline (digests), by a restart.

        With no registry, ``repo@sha256:…`` references (what a pull or push
        records) can only be written into the reference store,
        ``image/overlay2/repositories.json``, while dockerd is stopped
        (ENGINE_SEMANTICS §0.3 did the same). ``references`` maps familiar
        references (``app@sha256:…``, ``app:1``) to image ids. The restart
        stops running containers (no live-restore). Not possible in the
        containerd image store (its names live in containerd's metadata
        database): :class:`EngineKitError` there.
        """
        if self.containerd_store:
            raise EngineKitError(
                f"engine {self.spec}: digest references cannot be written into"
                " the containerd image store"
            )
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
        path = os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        if self.spec.bin_dir is not None:
            path = f"{self.spec.bin_dir}:{path}"
        env = {"PATH": path, **self.spec.proxy_environment}
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
        ids = container_ids(directory)
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
        # containerd runs in a session of its own; shims and container processes
        # too. A paused container's processes end only once thawed.
        ids |= container_ids(directory)
        for _ in range(3):
            leftover = processes_under(directory, ids)
            if not leftover:
                break
            _thaw(cgroups_of(ids))
            # Container processes ignore SIGTERM as PID 1 (rm -f kills them too).
            in_containers = _in_cgroups(leftover, ids)
            _end_processes(in_containers, timeout=10.0, first=signal.SIGKILL)
            _end_processes(leftover - in_containers, timeout=10.0)
        else:
            problems.append(f"processes left: {sorted(processes_under(directory, ids))}")
        # runc removes a container's cgroups when it deletes the container; not
        # when its shim was killed.
        for path in cgroups_of(ids):
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError as error:
                problems.append(f"cgroup {path}: {error.strerror}")
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
        dockerfile = _dockerfile(instructions, base)
        context = self._context(dockerfile, files)
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

    def build_buildkit(
        self,
        dockerfile_lines: Sequence[str],
        files: Mapping[str, bytes] | None = None,
        tag: str | Sequence[str] | None = None,
        base: str | None = None,
        *,
        nocache: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> str:
        """Build with BuildKit through the API; return the image id ``sha256:…``.

        ``POST /build?version=2&networkmode=none&t=TAG…`` with the same tar
        context and Dockerfile conventions as :meth:`build` (what ``docker
        build`` does by default since 23.0, minus the session). Without
        ``networkmode=none`` a ``RUN`` step fails on a daemon without a bridge.
        The image id arrives in an ``aux`` message (``moby.image.id``).
        BuildKit reads ``FROM 0123456789ab`` (a short id) as a remote name and
        would look it up, so a ``FROM`` of a hex string is refused here: give
        ``scratch`` or a local tag. BuildKit leaves no intermediate images;
        its build cache holds the layers (``builder_prune``).
        """
        if not self.spec.buildkit_tar_context:
            raise EngineKitError(
                f"engine {self.spec} cannot build a tar context with BuildKit (moby/moby#47717)"
            )
        dockerfile = _dockerfile(dockerfile_lines, base)
        for line in dockerfile:
            words = line.split()
            if words and words[0].upper() == "FROM" and len(words) > 1:
                name = words[1].removeprefix("sha256:")
                if len(name) >= 4 and all(c in "0123456789abcdef" for c in name):
                    raise EngineKitError(
                        f"BuildKit would look {words[1]!r} up in a registry: FROM a local tag"
                    )
        context = self._context(dockerfile, files)
        tags = [tag] if isinstance(tag, str) else list(tag or [])
        params: dict[str, Any] = {
            "version": "2",
            "networkmode": "none",
            "rm": "1",
            "forcerm": "1",
        }
        if tags:
            params["t"] = tags
        if nocache:
            params["nocache"] = "1"
        if labels:
            params["labels"] = json.dumps(dict(labels))
        response = self.api._post(
            self.api._url("/build"),
            params=params,
            data=context.getvalue(),
            headers={"Content-Type": "application/x-tar"},
            stream=True,
            timeout=None,
        )
        self.api._raise_for_status(response)
        image_id: str | None = None
        errors: list[str] = []
        for event in self.api._stream_helper(response, decode=True):
            if "error" in event:
                errors.append(str(event["error"]))
            aux = event.get("aux")
            if event.get("id") == "moby.image.id" and isinstance(aux, dict) and "ID" in aux:
                image_id = str(aux["ID"])
        if errors:
            raise EngineKitError(f"BuildKit build failed: {'; '.join(errors)}\n{dockerfile}")
        if image_id is None:
            raise EngineKitError(f"BuildKit build reported no image id\n{dockerfile}")
        return image_id

    def builder_prune(self, all: bool = False) -> dict[str, Any]:
        """``docker builder prune [-a]`` (``POST /build/prune``): the engine's answer."""
        params = {"all": "true"} if all else {}
        response = self.api._post(self.api._url("/build/prune"), params=params, timeout=None)
        result: dict[str, Any] = self.api._result(response, True)
        return result

    def _context(self, dockerfile: Sequence[str], files: Mapping[str, bytes] | None) -> io.BytesIO:
        """The tar build context: Dockerfile, busybox (also in ``rootfs/``), ``files``."""
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
        return context

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


def _dockerfile(instructions: Sequence[str], base: str | None) -> list[str]:
    """``instructions`` as a whole Dockerfile (see :meth:`Engine.build`)."""
    steps = list(instructions)
    if steps and steps[0].split(None, 1)[0].upper() == "FROM":
        if base is not None:
            raise EngineKitError("give either base= or a FROM instruction, not both")
        return steps
    if base is not None:
        return [f"FROM {base}", *steps]
    return ["FROM scratch", "COPY rootfs/ /", *steps]


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
