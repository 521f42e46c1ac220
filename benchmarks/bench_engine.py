"""``from_docker`` against throwaway engines, measured next to ``docker system df -v``.

For each engine asked for (``--engines``, enginekit spec labels: ``20.10``,
``28.5``, …) a private ``dockerd`` is started (tests/enginekit.py) and given
the same build host: 5 bases, then final images ``FROM`` a random earlier
final image with 1-3 ``COPY`` of 1-6 KB random files and a ``LABEL`` (the
classic builder leaves an intermediate image per step, so ``images -a`` is
about 3x the finals), 70 % tagged; ``finals // 10`` containers from random
finals, every 4th started (``busybox true``, so it exits). Then, in the same
run, each step below is timed ``--repeat`` times after one warm-up, every
timed run paired with a run of ``docker system df -v`` (CLI 28.2.2, whole
process) right after it on the same engine — the anchor. A step's figure is
the median of its runs and its ratio the median of the per-pair ratios, so
load that drifts on a shared machine slows both sides of a pair alike.
Everything the engine is given is taken down again (containers, dockerd by
PID, a managed containerd, mounts, the directory).

Steps: the anchor itself; the engine's own requests (``GET
/images/json?all=1``, ``/system/df``, ``/system/df?type=volume&type=build-cache``
from API 1.42, ``/containers/json?all=1&size=1``); ``from_docker`` cold
(empty cache) and warm (cache filled; 5 images built, 5 retagged and 5
removed before each run, or nothing changed), each with the default
``/system/df`` read and with ``system_df=False``. Targets: cold at most 2x,
warm at most 0.5x the anchor.

    python benchmarks/bench_engine.py [--images 1000] [--engines 20.10,28.5]
                                      [--repeat 5] [--seed 6]

``--images`` counts final images (bases included). Needs root, the engines
(``dockerd`` for 20.10, ``.ci/engines.sh`` for the others) and the docker CLI,
as the engine tests do.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's dockermodel
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import docker
import enginekit

from dockermodel.engine import from_docker

Timer = Callable[[], object]

#: Step labels whose ratio is checked against a target, and the target.
COLD, WARM = "from_docker cold", "from_docker warm, 5 built/retagged/removed before"
TARGETS = {COLD: 2.0, WARM: 0.5}


def _builder(engine: enginekit.Engine) -> enginekit.Engine:
    """A copy of ``engine`` with a docker client of its own (one per build thread)."""
    clone = copy.copy(engine)
    clone._client = docker.DockerClient(base_url=engine.base_url, version="1.41", timeout=300)
    return clone


def populate(engine: enginekit.Engine, finals: int, seed: int, threads: int = 2) -> None:
    """The build host: ``finals`` final images, ``finals // 10`` containers."""
    rng = random.Random(seed)
    built: list[str] = []
    for i in range(min(5, finals)):
        files = {f"base{i}.txt": rng.randbytes(2048)}
        built.append(
            engine.build(
                [f"COPY base{i}.txt /base.txt", f"LABEL base={i}"], files, f"base{i}:latest"
            )
        )
    plans: list[tuple[int, list[tuple[str, bytes]], str | None]] = []
    for k in range(len(built), finals):
        copies = [
            (f"f{k}-{j}.txt", rng.randbytes(rng.randint(1024, 6144)))
            for j in range(rng.randint(1, 3))
        ]
        tag = f"app{k}:v{k}" if rng.random() < 0.7 else None
        plans.append((k, copies, tag))
    lock = threading.Lock()
    work = iter(plans)
    errors: list[BaseException] = []

    def worker() -> None:
        local = _builder(engine)
        pick = random.Random(seed + threading.get_ident())
        try:
            while True:
                with lock:
                    item = next(work, None)
                    if item is None or errors:
                        return
                    parent = pick.choice(built)
                k, copies, tag = item
                steps = [f"COPY {name} /{name}" for name, _ in copies] + [f"LABEL final={k}"]
                image = local.build(steps, dict(copies), tag, base=parent)
                with lock:
                    built.append(image)
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)
        finally:
            local.client.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]
    for n in range(finals // 10):
        cid = engine.create(rng.choice(built), ("/bin/busybox", "true"))
        if n % 4 == 3:
            engine.start_container(cid)
            engine.api.wait(cid, timeout=60)


def change_a_few(engine: enginekit.Engine, rng: random.Random, count: int = 5) -> None:
    """Between two reads: ``count`` images built, retagged, and untagged leaves removed."""
    images = engine.api.images(all=True)
    tagged = [i for i in images if i.get("RepoTags") and i["RepoTags"] != ["<none>:<none>"]]
    parents = {i.get("ParentId") for i in images}
    used = {c["ImageID"] for c in engine.api.containers(all=True)}
    for n in range(count):
        base = rng.choice(tagged)["Id"]
        engine.build(
            [f"COPY new{n}.txt /new{n}.txt"], {f"new{n}.txt": rng.randbytes(1500)}, base=base
        )
    for n, image in enumerate(rng.sample(tagged, count)):
        engine.tag(image["Id"], f"retag{rng.randrange(10**9)}:{n}")
    leaves = [
        i["Id"]
        for i in images
        if i["Id"] not in parents
        and i["Id"] not in used
        and not (i.get("RepoTags") and i["RepoTags"] != ["<none>:<none>"])
    ]
    for image_id in rng.sample(leaves, min(count, len(leaves))):
        engine.api.remove_image(image_id, force=True)


def naive_read_set(api: docker.APIClient) -> None:
    """What ``Host.from_api`` could be fed naively: every inspect and history, one at a time."""
    ids = [i["Id"] for i in api.images(all=True)]
    for image_id in ids:
        api.inspect_image(image_id)
    for image_id in ids:
        api.history(image_id)
    api.containers(all=True, size=True)


def _typed_df(api: docker.APIClient) -> Any:
    url = api._url("/system/df")
    return api._result(api._get(url, params={"type": ["volume", "build-cache"]}), True)


def measure(
    engine: enginekit.Engine, label: str, args: argparse.Namespace, cache_home: str
) -> dict[str, tuple[float, float]]:
    """Time every step on ``engine``; ``{step: (median seconds, median ratio)}``."""
    version = engine.spec.release.api
    api = docker.APIClient(base_url=engine.base_url, version=version, timeout=300)
    client = docker.DockerClient(base_url=engine.base_url, version=version, timeout=300)
    n_all = len(api.images(all=True))
    n_top = len(api.images())
    n_containers = len(api.containers(all=True))
    banner = api.version().get("Version", "?")
    print(
        f"\nengine {label} ({banner}, API {version}): {n_all} images (all=1), "
        f"{n_top} top-level, {n_containers} containers; cores {os.cpu_count()}"
    )
    print(f"median of {args.repeat} runs after 1 warm-up; each run paired with the anchor")
    print(f"  {'step':<62} {'median':>8} {'ratio':>7}   min / max")
    env = engine.cli_env()
    cache_dir = Path(cache_home) / "dockermodel"
    results: dict[str, tuple[float, float]] = {}

    def anchor() -> None:
        subprocess.run(
            [enginekit.CLI, "system", "df", "-v"], env=env, check=True, stdout=subprocess.DEVNULL
        )

    def clear() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    def row(name: str, fn: Timer, repeat: int, before: Callable[[], None] | None = None) -> None:
        times: list[float] = []
        ratios: list[float] = []
        for run in range(repeat + 1):
            if before is not None:
                before()
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            start = time.perf_counter()
            anchor()
            yard = time.perf_counter() - start
            if run:
                times.append(elapsed)
                ratios.append(elapsed / yard)
        med, ratio = statistics.median(times), statistics.median(ratios)
        results[name] = (med, ratio)
        target = TARGETS.get(name)
        mark = "" if target is None else f"  (target <= {target:g}x: {_verdict(ratio, target)})"
        print(
            f"  {name:<62} {med:7.3f}s {ratio:6.2f}x   {min(times):.3f} / {max(times):.3f}{mark}",
            flush=True,
        )

    row("docker system df -v (the anchor)", anchor, args.repeat)
    parts: list[tuple[str, Timer]] = [
        ("GET /images/json?all=1", lambda: api.images(all=True)),
        ("GET /system/df", api.df),
        ("GET /containers/json?all=1&size=1", lambda: api.containers(all=True, size=True)),
    ]
    if int(version.partition(".")[2]) >= 42:
        parts.insert(2, ("GET /system/df?type=volume&type=build-cache", lambda: _typed_df(api)))
    for name, fn in parts:
        row(name, fn, args.repeat)
    if args.slow:
        row("naive read set (sequential docker-py)", lambda: naive_read_set(api), 2)
        row("from_docker cold, workers=1", lambda: from_docker(client, workers=1), 2, clear)
        row(
            "from_docker cold, transport=docker-py",
            lambda: from_docker(client, transport="docker-py"),
            2,
            clear,
        )
    for suffix, df in (("", True), (", system_df=False", False)):
        row(COLD + suffix, lambda df=df: from_docker(client, system_df=df), args.repeat, clear)
    rng = random.Random(args.seed)
    from_docker(client)  # fill the cache

    def changed() -> None:
        change_a_few(engine, rng)
        time.sleep(0.2)

    for suffix, df in (("", True), (", system_df=False", False)):

        def warm(df: bool = df) -> None:
            from_docker(client, system_df=df)

        row(WARM + suffix, warm, args.repeat, changed)
        row(f"from_docker warm{suffix}, nothing changed", warm, args.repeat)
    client.close()
    api.close()
    return results


def _verdict(ratio: float, target: float) -> str:
    return "met" if ratio <= target else "NOT met"


def _attach(spec: enginekit.EngineSpec, directory: str) -> enginekit.Engine:
    """An engine object for a throwaway engine already running in ``directory``."""
    engine = enginekit.Engine(spec)
    engine.directory = Path(directory)
    engine._client = docker.DockerClient(base_url=engine.base_url, version="1.41", timeout=300)
    return engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=1000, help="final images (default 1000)")
    parser.add_argument("--engines", default="20.10,28.5", help="enginekit spec labels")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--slow", action="store_true", help="also the naive read, workers=1 and docker-py reads"
    )
    parser.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="SPEC=DIR",
        help="measure a populated throwaway engine (tests/enginekit.py) already running in DIR "
        "instead of starting one (it is changed: images built, tagged, removed)",
    )
    args = parser.parse_args()
    attached = {
        str(enginekit.EngineSpec.parse(spec)): directory
        for spec, _, directory in (item.partition("=") for item in args.attach)
    }
    specs = enginekit.specs_from_environment(",".join([*attached] or [args.engines]))
    cache_home = tempfile.mkdtemp(prefix="dm-bench-cache-")
    os.environ["XDG_CACHE_HOME"] = cache_home
    os.environ.pop("DOCKERMODEL_NO_CACHE", None)
    summary: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        for spec in specs:
            label = str(spec)
            if label in attached:
                summary[label] = measure(_attach(spec, attached[label]), label, args, cache_home)
                continue
            reason = enginekit.unavailable_reason(spec)
            if reason is not None:
                print(f"\nengine {label}: skipped ({reason})")
                continue
            with enginekit.Engine(spec) as engine:
                began = time.perf_counter()
                populate(engine, args.images, args.seed)
                print(f"\nengine {label}: {args.images} finals built in "
                      f"{time.perf_counter() - began:.0f} s")
                time.sleep(3)
                summary[label] = measure(engine, label, args, cache_home)
    finally:
        shutil.rmtree(cache_home, ignore_errors=True)
    print("\nsummary (ratios to `docker system df -v` on the same engine, same run)")
    print(f"  {'engine':<8} {'anchor':>8} {'cold':>7} {'cold, no df':>12} {'warm':>7} "
          f"{'warm, no df':>12}")
    ok = True
    for label, results in summary.items():
        anchor_s = results["docker system df -v (the anchor)"][0]
        cells = [results[k][1] for k in (COLD, COLD + ", system_df=False", WARM,
                                         WARM + ", system_df=False")]
        print(f"  {label:<8} {anchor_s:7.3f}s {cells[0]:6.2f}x {cells[1]:11.2f}x "
              f"{cells[2]:6.2f}x {cells[3]:11.2f}x")
        ok = ok and cells[0] <= TARGETS[COLD] and cells[2] <= TARGETS[WARM]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
