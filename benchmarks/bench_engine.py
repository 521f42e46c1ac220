"""``from_docker`` against a throwaway Engine 20.10.24, measured next to ``docker system df -v``.

Builds a classic-builder build host on a private ``dockerd``
(tests/enginekit.py): 5 bases, then final images ``FROM`` a random earlier
final image with 1-3 ``COPY`` of 1-6 KB random files and a ``LABEL`` (the
classic builder leaves an intermediate image per step, so ``images -a`` is
about 3x the finals), 70 % tagged; ``finals // 10`` containers from random
finals, every 4th started (``busybox true``, so it exits). Then, in one run,
each figure the median of ``--repeat`` runs after one warm-up, each run
paired with a run of ``docker system df -v`` (ratio: median of the pairs):

* ``docker system df -v`` (CLI 28.2.2, whole process) — the yardstick;
* the naive read set (list, inspect + history of every image, containers,
  docker-py, one request at a time);
* ``from_docker`` cold (empty cache) and warm (cache filled, then a few
  images built, retagged and removed), each with and without ``GET
  /system/df`` (``system_df=False``: no volumes and build cache);
* the parts: ``GET /images/json?all=1``, ``/containers/json?all=1&size=1``,
  ``/info``, ``/version``, ``/system/df`` alone.

Every time is printed with its ratio to ``docker system df -v`` measured in
the same run. Targets (``docs/engine.md``): cold at most 3x, warm at most 1x.

    python benchmarks/bench_engine.py [--images 200] [--repeat 5] [--seed 6]

``--images`` counts final images (bases included); 1000 is the size
``docs/engine.md`` reports.
Needs root, ``dockerd`` and the docker CLI (as the engine tests do).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import docker
import enginekit

from dockermodel.engine import from_docker

Timer = Callable[[], object]


def _builder(engine: enginekit.Engine) -> enginekit.Engine:
    """A copy of ``engine`` with a docker client of its own (one per build thread)."""
    clone = copy.copy(engine)
    clone._client = docker.DockerClient(base_url=engine.base_url, version="1.41")
    return clone


def populate(engine: enginekit.Engine, finals: int, seed: int, threads: int = 2) -> None:
    """The build host of the module doc: ``finals`` final images, ``finals // 10`` containers."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=200, help="final images (default 200)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--skip-naive", action="store_true", help="leave out the slow naive read")
    parser.add_argument(
        "--engine-dir",
        help="measure an already populated throwaway engine (tests/enginekit.py) in DIR "
        "instead of starting one; it is changed (images built, tagged, removed)",
    )
    args = parser.parse_args()
    reason = enginekit.unavailable_reason()
    if reason is not None:
        sys.exit(f"bench_engine: {reason}")
    cache_home = tempfile.mkdtemp(prefix="dm-bench-cache-")
    os.environ["XDG_CACHE_HOME"] = cache_home
    os.environ.pop("DOCKERMODEL_NO_CACHE", None)
    try:
        if args.engine_dir:
            engine = enginekit.Engine()
            engine.directory = Path(args.engine_dir)
            engine._client = docker.DockerClient(base_url=engine.base_url, version="1.41")
            _measure(engine, args, 0.0, cache_home)
            return
        with enginekit.Engine() as engine:
            began = time.perf_counter()
            populate(engine, args.images, args.seed)
            build_s = time.perf_counter() - began
            time.sleep(3)
            _measure(engine, args, build_s, cache_home)
    finally:
        shutil.rmtree(cache_home, ignore_errors=True)


def _measure(
    engine: enginekit.Engine, args: argparse.Namespace, build_s: float, cache_home: str
) -> None:
    api = docker.APIClient(base_url=engine.base_url, version="1.41")
    n_all = len(api.images(all=True))
    n_top = len(api.images())
    n_containers = len(api.containers(all=True))
    cache_dir = Path(cache_home) / "dockermodel"
    print(
        f"engine 20.10.24: {'existing engine' if args.engine_dir else f'{args.images} finals'}, "
        f"{n_all} images (all=1), {n_top} top-level, "
        f"{n_containers} containers; built in {build_s:.0f} s; cores {os.cpu_count()}"
    )
    print(f"median of {args.repeat} runs after 1 warm-up (slow steps: 2); seconds")
    env = engine.cli_env()

    def df_cli() -> None:
        subprocess.run(
            [enginekit.CLI, "system", "df", "-v"], env=env, check=True, stdout=subprocess.DEVNULL
        )

    def clear() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    # The load on a shared machine drifts: every timed run of a step is
    # paired with a run of `docker system df -v` right after it, and the
    # ratio printed is the median of the per-pair ratios.
    print(f"  {'step':<66} {'median':>8} {'ratio':>7}   min / max")

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
            df_cli()
            yard = time.perf_counter() - start
            if run:
                times.append(elapsed)
                ratios.append(elapsed / yard)
        med = statistics.median(times)
        ratio = statistics.median(ratios)
        print(
            f"  {name:<66} {med:7.3f}s {ratio:6.2f}x   {min(times):.3f} / {max(times):.3f}",
            flush=True,
        )

    row("docker system df -v", df_cli, args.repeat)
    parts: list[tuple[str, Timer]] = [
        ("GET /system/df", api.df),
        ("GET /images/json?all=1", lambda: api.images(all=True)),
        ("GET /containers/json?all=1&size=1", lambda: api.containers(all=True, size=True)),
        ("GET /info", api.info),
        ("GET /version", api.version),
    ]
    for name, fn in parts:
        row(name, fn, args.repeat)
    if not args.skip_naive:
        row("naive read set (sequential docker-py)", lambda: naive_read_set(api), 2)
    client = docker.DockerClient(base_url=engine.base_url, version="1.41")
    for label, df in (("", True), (", system_df=False", False)):
        row(
            f"from_docker cold{label}",
            lambda df=df: from_docker(client, system_df=df),
            args.repeat,
            clear,
        )
    row("from_docker cold, workers=1", lambda: from_docker(client, workers=1), 2, clear)
    row(
        "from_docker cold, transport=docker-py (8 docker-py clients)",
        lambda: from_docker(client, transport="docker-py"),
        2,
        clear,
    )
    rng = random.Random(args.seed)
    from_docker(client)  # fill the cache

    def changed() -> None:
        change_a_few(engine, rng)
        time.sleep(0.2)

    for label, df in (("", True), (", system_df=False", False)):

        def warm(df: bool = df) -> None:
            from_docker(client, system_df=df)

        row(f"from_docker warm{label}, 5 built/retagged/removed before", warm, args.repeat, changed)
        row(f"from_docker warm{label}, nothing changed", warm, args.repeat)
    client.close()
    api.close()


if __name__ == "__main__":
    main()
