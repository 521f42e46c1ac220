"""Scale of the removal planners: ``plan_image_prune(all=True)`` + the bytes-freed ranking.

Same synthetic classic-builder host as the disk-usage benchmark
(benchmarks/synthetic.py): 10,000 images and 2,000 containers, then ten
times that, in one run. The host is built outside the timed region; the
timed part is ``host.plan_image_prune(all=True)`` followed by
``removal_ranking(host)`` (bytes freed for every image, sorted); the
planners' per-host index is dropped before every timed run, so each run
builds it once and the two calls share it. Targets:
under 1 s for 10,000 images, at most 12x the time for 10x the input. Also
prints the dangling prune, the cleanup plan and ``apply`` for reference.

    python benchmarks/bench_removal.py [--sizes 10000,100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's dockermodel
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_payloads

from dockermodel import Host, removal
from dockermodel.removal import plan_cleanup, removal_ranking


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        removal._LAST_INDEX.clear()  # every timed run builds the host's index once
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _touch(host: Host) -> int:
    """Read once every field the planners read, doing nothing with it: the floor."""
    n = 0
    for image in host.images.values():
        n += len(image.repo_tags) + len(image.layers) + (image.parent is None) + image.created_ns
    for layer in host.layers.values():
        n += layer.parent is None
    for container in host.containers.values():
        n += len(container.image_id) + len(container.layers)
    return n


def run(images: int, repeat: int) -> dict[str, float]:
    host = Host.from_api(synthetic_payloads(images=images, containers=images // 5))

    def main_case() -> None:
        host.plan_image_prune(all=True)
        removal_ranking(host)

    plan = host.plan_image_prune(all=True)
    return {
        "prune -a + ranking": _best(main_case, repeat),
        "prune (dangling)": _best(lambda: host.plan_image_prune(), repeat),
        "cleanup plan": _best(lambda: plan_cleanup(host), repeat),
        "apply(prune -a)": _best(lambda: host.apply(plan), repeat),
        "floor": _best(lambda: _touch(host), repeat),
        "records": float(len(plan.records)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for n in sizes:
        timings = run(n, args.repeat)
        results.append((n, timings))
        detail = ", ".join(f"{k} {v:.3f} s" for k, v in timings.items() if k != "records")
        print(f"{n:>8} images, {n // 5:>6} containers ({int(timings['records'])} prune -a "
              f"records): {detail}")
    ok = True
    if results and results[0][0] == 10_000:
        ok = results[0][1]["prune -a + ranking"] < 1.0
        print(f"10,000 images: prune -a + ranking under 1 s: {'yes' if ok else 'NO'}")
    for (n0, t0), (n1, t1) in itertools.pairwise(results):
        ratio = t1["prune -a + ranking"] / t0["prune -a + ranking"]
        floor = t1["floor"] / t0["floor"]
        good = ratio <= 12 * (n1 / n0) / 10
        ok = ok and good
        print(f"growth {n0} -> {n1} images: {ratio:.2f}x time (target <= 12x for 10x): "
              f"{'ok' if good else 'TOO SLOW'}; reading the same fields once grows "
              f"{floor:.2f}x (memory hierarchy), so per field read {ratio / floor * 10:.1f}x "
              f"for 10x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
