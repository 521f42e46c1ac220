"""Scale of the host graph: ``Host.from_api`` plus ``disk_usage().to_api()``.

Synthetic classic-builder payloads (benchmarks/synthetic.py): 10,000 images
(~120,000 layer references) and 2,000 containers, then ten times that, in the
same run. Prints the time of each size, the growth ratio (target: at most 12
for 10x the input) and the engine's own figure for scale (GET /system/df
takes ~0.7 s for ~3,000 images, as benchmarks/bench_engine.py measures).

    python benchmarks/bench_host.py [--sizes 10000,100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

from synthetic import synthetic_payloads

from dockermodel import Host


def _touch(payloads: dict[str, Any]) -> int:
    """Read every field from_api reads once, doing nothing with it: the floor."""
    n = 0
    for summary in payloads["images_all"]:
        image_id = summary["Id"]
        n += len(summary["RepoTags"] or ()) + summary["Size"]
        for diff_id in payloads["image_inspect"][image_id]["RootFS"].get("Layers", ()):
            n += len(diff_id)
        for entry in payloads["image_history"].get(image_id, ()):
            n += entry["Size"]
    for container in payloads["containers"]:
        n += len(container["Id"])
    return n


def run(images: int, repeat: int) -> tuple[float, float, int]:
    payloads = synthetic_payloads(images=images, containers=images // 5)
    refs = sum(len(v["RootFS"]["Layers"]) for v in payloads["image_inspect"].values())
    best = floor = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        host = Host.from_api(payloads)
        host.disk_usage().to_api()
        best = min(best, time.perf_counter() - start)
        start = time.perf_counter()
        _touch(payloads)
        floor = min(floor, time.perf_counter() - start)
    return best, floor, refs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for n in sizes:
        seconds, floor, refs = run(n, args.repeat)
        results.append((n, seconds, floor, refs))
        print(f"{n:>8} images, {n // 5:>6} containers, {refs:>9} layer refs: "
              f"from_api + disk_usage().to_api() {seconds:.3f} s "
              f"(floor: reading the same fields {floor:.3f} s)")
    for (n0, t0, f0, r0), (n1, t1, f1, r1) in itertools.pairwise(results):
        print(f"growth {n0} -> {n1} images ({r1 / r0:.1f}x layer refs): {t1 / t0:.2f}x time; "
              f"the floor grows {f1 / f0:.2f}x (memory hierarchy, not the algorithm)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
