"""Record a real engine's answers for offline tests: tests/data/engines/SPEC/.

Run as root from the repository root, with the engine of SPEC available
(``dockerd`` for ``20.10``; ``.ci/engines.sh`` for ``26.1-*`` and ``28.5-*``)::

    python scripts/record_engine.py SPEC [SPEC ...] [--output DIR]

For each SPEC (``28.5-overlay2``, ``28.5-containerd``, ``26.1-overlay2``,
``26.1-containerd``, ``20.10``) a throwaway engine is started
(``tests/enginekit.py``; never the system's engine), given the scenario
below, read, subjected to a sequence of removals whose answers are recorded
with the state before and after each, and taken down again. Nothing is
pulled: images are built ``FROM scratch`` with ``/bin/busybox``, children
``FROM`` a local tag, containers run with ``--network none``.

The scenario (:func:`build_scenario`):

* classic builder (every step leaves an intermediate image): ``base:1``
  (busybox + ``ENV``); ``app:1`` = ``app:latest`` (``base:1`` + 10 kB file +
  ``LABEL``); ``worker:1`` (``ENV`` + 50 kB file + ``CMD``); ``multi:1`` =
  ``zzz/multi:1`` (one image in two repositories); ``api:dev`` built twice
  (the first build is left dangling); ``mk:1`` (a ``RUN mkdir`` step and a
  file); ``lone:1`` (its own busybox root plus a file);
* BuildKit, where the engine can build a tar context (all but 26.1 with the
  containerd store): ``bk:1`` (``FROM base:1`` + file + ``RUN``), ``bk:2``
  (``FROM scratch`` + busybox + file) and ``bkchild:1`` (``FROM bk:1`` +
  file); BuildKit leaves build-cache records instead of intermediates;
* containers: ``web`` running (``app:1``), ``made`` created (``worker:1``),
  ``job`` exited after writing ``/data.txt`` (``worker:1``), ``byid``
  created from a 12-character id prefix of ``base:1``, ``frozen`` paused
  (``lone:1``) and, with BuildKit, ``bkrun`` running (``bk:1``).

Files written under ``DIR/SPEC/`` (``DIR`` defaults to tests/data/engines):

* ``recording.json`` — the spec, ``dockerd --version``, ``GET /version``'s
  numbers, the Debian packages the engine came from, the scenario's names
  and ids, and the list of operations;
* ``snapshot-v1.41.json.gz`` and ``snapshot-vMAX.json.gz`` (MAX = the
  engine's API version) — payload documents in the ``dockermodel snapshot``
  format (:func:`dockermodel.snapshot.load` reads them): ``images_all``
  (``GET /images/json?all=1``), ``image_inspect`` and ``image_history`` of
  every image, ``containers`` (``GET /containers/json?all=1&size=1``),
  ``system_df``, ``version``, ``info``, each read at that API version;
* ``lists-v1.41.json.gz`` and ``lists-vMAX.json.gz`` — other listings the
  model answers: ``GET /images/json`` without ``all``, with
  ``shared-size=1`` (API ≥ 1.42), and ``GET /containers/json?all=1``;
* ``operations.json.gz`` — ``states`` (whole payload documents at API 1.41,
  ``version`` and ``info`` included) and ``operations``: each request
  (method, path, query), the engine's HTTP status and JSON body, and the
  indexes of the states before and after it in ``states``.

Paths of the throwaway engine are rewritten as a default install would show
them: its data root as ``/var/lib/docker``, its exec root as
``/var/run/docker``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import enginekit  # noqa: E402

from dockermodel import snapshot  # noqa: E402

DEFAULT_OUTPUT = ROOT / "tests" / "data" / "engines"
#: The API version the model reads (Engine 20.10's).
BASE_API = "1.41"
#: Seconds between top-level builds, so that images differ in their creation
#: second (the engine's order within one second is arbitrary).
PAUSE = 1.1
FORMAT = "dockermodel-engine-recording/1"


def _data(size: int, fill: bytes) -> bytes:
    return (fill * size)[:size]


# --------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------


def build_scenario(engine: enginekit.Engine) -> dict[str, str]:
    """Build the images and containers; return name → image or container id."""
    ids: dict[str, str] = {}
    ids["base:1"] = engine.build(["ENV BASE=1"], tag="base:1")
    time.sleep(PAUSE)
    ids["app:1"] = engine.build(
        ["COPY a.txt /data/a.txt", "LABEL role=app"],
        {"a.txt": _data(10_000, b"app ")},
        tag=["app:1", "app:latest"],
        base="base:1",
    )
    time.sleep(PAUSE)
    ids["worker:1"] = engine.build(
        ["ENV WORKER=1", "COPY w.txt /data/w.txt", 'CMD ["/bin/busybox", "sleep", "1000"]'],
        {"w.txt": _data(50_000, b"work")},
        tag="worker:1",
        base="base:1",
    )
    time.sleep(PAUSE)
    ids["multi:1"] = engine.build(
        ["COPY m.txt /data/m.txt"],
        {"m.txt": _data(3_000, b"mul ")},
        tag=["multi:1", "zzz/multi:1"],
        base="base:1",
    )
    for version in (b"v1 ", b"v2 "):
        time.sleep(PAUSE)
        key = "api:dev" if version == b"v2 " else "api:dev (first build, dangling)"
        ids[key] = engine.build(
            ["COPY api.py /app/api.py"],
            {"api.py": _data(20_000, version)},
            tag="api:dev",
            base="base:1",
        )
    time.sleep(PAUSE)
    ids["mk:1"] = engine.build(
        ['RUN ["/bin/busybox", "mkdir", "/made"]', "COPY f.txt /made/f.txt"],
        {"f.txt": _data(4_000, b"mk  ")},
        tag="mk:1",
        base="base:1",
    )
    time.sleep(PAUSE)
    ids["lone:1"] = engine.build(
        ["COPY l.txt /l.txt"], {"l.txt": _data(7_000, b"lone")}, tag="lone:1"
    )
    if engine.spec.buildkit_tar_context:
        time.sleep(PAUSE)
        ids["bk:1"] = engine.build_buildkit(
            ["FROM base:1", "COPY b.txt /data/b.txt", 'RUN ["/bin/busybox", "mkdir", "/bk"]'],
            {"b.txt": _data(6_000, b"bk1 ")},
            tag="bk:1",
        )
        time.sleep(PAUSE)
        ids["bk:2"] = engine.build_buildkit(
            ["COPY c.txt /c.txt"], {"c.txt": _data(5_000, b"bk2 ")}, tag="bk:2"
        )
        time.sleep(PAUSE)
        ids["bkchild:1"] = engine.build_buildkit(
            ["FROM bk:1", "COPY d.txt /data/d.txt"],
            {"d.txt": _data(2_000, b"bkc ")},
            tag="bkchild:1",
        )
    time.sleep(PAUSE)
    ids["container web"] = engine.create("app:1", name="web", start=True)
    ids["container made"] = engine.create("worker:1", name="made")
    ids["container job"] = engine.run(
        "worker:1", ("/bin/busybox", "sh", "-c", "echo hello > /data.txt"), name="job"
    )
    ids["container byid"] = engine.create(ids["base:1"].removeprefix("sha256:")[:12], name="byid")
    ids["container frozen"] = engine.create("lone:1", name="frozen", start=True)
    engine.pause(ids["container frozen"])
    if engine.spec.buildkit_tar_context:
        ids["container bkrun"] = engine.create("bk:1", name="bkrun", start=True)
    time.sleep(PAUSE)
    return ids


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


class Reader:
    """GET (and the operations' DELETE/POST) requests at one API version."""

    def __init__(self, engine: enginekit.Engine, api_version: str) -> None:
        self.api = docker.APIClient(base_url=engine.base_url, version=api_version, timeout=300)
        self.api_version = api_version

    def request(
        self, method: str, path: str, params: Mapping[str, Any] | None = None
    ) -> tuple[int, Any]:
        """``METHOD /vX.Y/PATH?PARAMS``: the HTTP status and the JSON body (``None`` if empty)."""
        url = self.api._url(path)
        call: Callable[..., Any] = {
            "GET": self.api._get,
            "POST": self.api._post,
            "DELETE": self.api._delete,
        }[method]
        response = call(url, params=dict(params or {}))
        text = response.text
        body = json.loads(text) if text.strip() else None
        return response.status_code, body

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        status, body = self.request("GET", path, params)
        if status != 200:
            raise RuntimeError(f"GET {path} {params}: HTTP {status}: {body}")
        return body

    def payloads(self) -> dict[str, Any]:
        """The payload document (``dockermodel.engine.read_payloads`` shape), every history."""
        images = self.get("/images/json", {"all": "1"})
        inspect: dict[str, Any] = {}
        history: dict[str, Any] = {}
        for entry in images:
            image_id = entry["Id"]
            inspect[image_id] = self.get(f"/images/{image_id}/json")
            history[image_id] = self.get(f"/images/{image_id}/history")
        return {
            "images_all": images,
            "image_inspect": inspect,
            "image_history": history,
            "containers": self.get("/containers/json", {"all": "1", "size": "1"}),
            "system_df": self.get("/system/df"),
            "version": self.get("/version"),
            "info": self.get("/info"),
        }

    def lists(self) -> dict[str, Any]:
        """Listings beyond the payload document."""
        lists: dict[str, Any] = {
            "images": self.get("/images/json"),
            "containers_all": self.get("/containers/json", {"all": "1"}),
        }
        if tuple(int(p) for p in self.api_version.split(".")) >= (1, 42):
            lists["images_shared_size"] = self.get("/images/json", {"shared-size": "1"})
            lists["images_all_shared_size"] = self.get(
                "/images/json", {"all": "1", "shared-size": "1"}
            )
        return lists

    def close(self) -> None:
        self.api.close()


# --------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------


Operation = tuple[str, str, str, dict[str, str]]


def operations(ids: Mapping[str, str], buildkit: bool) -> list[Operation]:
    """``(name, method, path, query)`` in the order they run; later ones see earlier effects."""

    def short(name: str) -> str:
        return ids[name].removeprefix("sha256:")[:12]

    ops: list[Operation] = [
        ("rmi app:1 (another tag remains)", "DELETE", "/images/app:1", {}),
        ("rmi app:latest (last tag, running container)", "DELETE", "/images/app:latest", {}),
        ("rmi -f app:latest (last tag, running container)", "DELETE", "/images/app:latest",
         {"force": "1"}),
        ("rmi multi:1 (two repositories)", "DELETE", "/images/multi:1", {}),
        ("rmi ID of multi (one tag left)", "DELETE", f"/images/{short('multi:1')}", {}),
        ("rmi base:1 (child images, a container by id)", "DELETE", "/images/base:1", {}),
        ("rmi worker:1 (created and exited containers)", "DELETE", "/images/worker:1", {}),
        ("rmi ID of worker (stopped containers)", "DELETE", f"/images/{ids['worker:1']}", {}),
        ("rmi --no-prune mk:1", "DELETE", "/images/mk:1", {"noprune": "1"}),
        ("rmi nosuch:1", "DELETE", "/images/nosuch:1", {}),
        ("rmi -f nosuch:1", "DELETE", "/images/nosuch:1", {"force": "1"}),
    ]  # fmt: skip
    if buildkit:
        ops += [
            ("rmi bk:2 (BuildKit, no container)", "DELETE", "/images/bk:2", {}),
            ("rmi bkchild:1 (BuildKit child of bk:1)", "DELETE", "/images/bkchild:1", {}),
        ]
    ops += [
        ("rm web (running)", "DELETE", "/containers/web", {}),
        ("rm frozen (paused)", "DELETE", "/containers/frozen", {}),
        ("rm -f web (running)", "DELETE", "/containers/web", {"force": "1"}),
        ("rm -v job (exited)", "DELETE", "/containers/job", {"v": "1"}),
        ("rm made (created)", "DELETE", "/containers/made", {}),
        ("rm nosuch", "DELETE", "/containers/nosuch", {}),
        ("image prune (dangling)", "POST", "/images/prune", {}),
        ("rmi -f worker:1 (stopped container gone, none left)", "DELETE", "/images/worker:1",
         {"force": "1"}),
        ("rmi -f --no-prune ID of lone (paused container)", "DELETE",
         f"/images/{short('lone:1')}", {"force": "1", "noprune": "1"}),
        ("rm -f frozen (paused)", "DELETE", "/containers/frozen", {"force": "1"}),
        ("image prune -a (dangling=false)", "POST", "/images/prune",
         {"filters": json.dumps({"dangling": ["false"]})}),
    ]  # fmt: skip
    if buildkit:
        ops += [
            ("builder prune", "POST", "/build/prune", {}),
            ("rm -f bkrun", "DELETE", "/containers/bkrun", {"force": "1"}),
            ("image prune -a after builder prune", "POST", "/images/prune",
             {"filters": json.dumps({"dangling": ["false"]})}),
            ("builder prune -a", "POST", "/build/prune", {"all": "true"}),
        ]  # fmt: skip
    ops += [
        ("rm -f byid", "DELETE", "/containers/byid", {"force": "1"}),
        ("image prune -a (last)", "POST", "/images/prune",
         {"filters": json.dumps({"dangling": ["false"]})}),
    ]  # fmt: skip
    return ops


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _scrub(value: Any, replacements: list[tuple[str, str]]) -> Any:
    """``value`` with the throwaway engine's paths replaced in every string."""
    if isinstance(value, str):
        for old, new in replacements:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_scrub(item, replacements) for item in value]
    if isinstance(value, dict):
        return {_scrub(k, replacements): _scrub(v, replacements) for k, v in value.items()}
    return value


def _write_json(path: Path, document: Any) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    data = text.encode()
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)


def _manifest(spec: enginekit.EngineSpec) -> list[str]:
    if spec.bin_dir is None:
        return []
    manifest = spec.bin_dir.parent / "manifest.txt"
    try:
        return [" ".join(line.split()[:3]) for line in manifest.read_text().splitlines()]
    except OSError:
        return []


def record(spec: enginekit.EngineSpec, output: Path) -> Path:
    """Record ``spec`` into ``output/SPEC``; return that directory."""
    target = output / str(spec)
    target.mkdir(parents=True, exist_ok=True)
    with enginekit.Engine(spec) as engine:
        directory = str(engine.directory)
        replacements = [
            (f"{directory}/root", "/var/lib/docker"),
            (f"{directory}/exec", "/var/run/docker"),
            (directory, "/var/lib/dockermodel-engine"),
        ]
        began = time.monotonic()
        ids = build_scenario(engine)
        max_api = engine.version.api
        readers = {BASE_API: Reader(engine, BASE_API), max_api: Reader(engine, max_api)}
        try:
            files: list[str] = []
            for api_version, reader in readers.items():
                document = _scrub(reader.payloads(), replacements)
                snapshot.validate(document)
                name = f"snapshot-v{api_version}.json.gz"
                snapshot.dump(document, target / name)
                files.append(name)
                name = f"lists-v{api_version}.json.gz"
                _write_json(target / name, _scrub(reader.lists(), replacements))
                files.append(name)
            reader = readers[BASE_API]
            states = [_scrub(reader.payloads(), replacements)]
            recorded: list[dict[str, Any]] = []
            for name, method, path, query in operations(ids, engine.spec.buildkit_tar_context):
                status, body = reader.request(method, path, query)
                states.append(_scrub(reader.payloads(), replacements))
                recorded.append(
                    {
                        "name": name,
                        "method": method,
                        "path": f"/v{BASE_API}{path}",
                        "query": query,
                        "status": status,
                        "body": _scrub(body, replacements),
                        "before": len(states) - 2,
                        "after": len(states) - 1,
                    }
                )
                print(f"  {status} {name}", file=sys.stderr)
            _write_json(
                target / "operations.json.gz",
                {"format": FORMAT, "api": BASE_API, "states": states, "operations": recorded},
            )
            files.append("operations.json.gz")
        finally:
            for reader in readers.values():
                reader.close()
        version = engine.version
        _write_json(
            target / "recording.json",
            {
                "format": FORMAT,
                "spec": str(spec),
                "store": spec.store,
                "dockerd_version": version.banner,
                "version": version.number,
                "api_version": version.api,
                "min_api_version": version.min_api,
                "packages": _manifest(spec),
                "buildkit": engine.spec.buildkit_tar_context,
                "daemon_json": spec.daemon_config,
                "ids": ids,
                "operations": [name for name, *_ in operations(ids, spec.buildkit_tar_context)],
                "files": files,
                "seconds": round(time.monotonic() - began, 1),
            },
        )
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("specs", nargs="+", help="engine specs, e.g. 28.5-containerd")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        specs = [enginekit.EngineSpec.parse(text) for text in args.specs]
    except enginekit.EngineKitError as error:
        parser.error(str(error))
    for spec in specs:
        reason = enginekit.unavailable_reason(spec)
        if reason is not None:
            print(f"record_engine: {spec}: {reason}", file=sys.stderr)
            return 1
    for spec in specs:
        print(f"== {spec}", file=sys.stderr)
        target = record(spec, args.output)
        size = sum(path.stat().st_size for path in target.iterdir())
        print(f"   {target} ({size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
