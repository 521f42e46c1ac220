"""Scale of the host graph: from_api, disk_usage().to_api(), plan_image_prune(all=True).to_api().

Synthetic classic-builder payloads (benchmarks/synthetic.py, one shape at
every size: about 12.4 layer references per image, one container per five
images) of 1,000, 10,000 and 100,000 images, in one run. For each size:

* the three phases, each timed ``--repeat`` times on a fresh host (the
  collector running, as in a user's program), median and fastest;
* the anchor, measured the same way in the same run: reading once every
  field of the payload document that ``from_api`` reads, doing nothing with
  it (``_touch``). Every time is printed with its ratio to the anchor of its
  size, and every growth (10x the images) with the anchor's own growth;
* the memory the three phases allocate, at their peak, while the payload
  document is held (tracemalloc, in a run of its own), next to the payload
  document's own size.

Each size is measured in a process of its own, and nothing is allocated
around the payload document before the phases are timed: a heap that held
other objects before lays the host out differently, which alone moved the
figures by a fifth to a third.

Times are the process's CPU time (``time.process_time``), the verdicts too;
the wall time is printed beside it. On a machine shared with other jobs the
wall time also counts the time the others hold the cores (on an idle one
the two agree). Targets: each phase at most 12x the time for 10x the input;
the three phases together under 0.5 s at 10,000 images and under 5 s (and
1 GB) at 100,000.

    python benchmarks/bench_host.py [--sizes 1000,10000,100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's dockermodel
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_payloads

from dockermodel import Host

ENGINE = "20.10"
PHASES = ("from_api", "disk_usage().to_api()", "plan_image_prune(all=True).to_api()")


def _touch(payloads: dict[str, Any]) -> int:
    """Read every field from_api reads once, doing nothing with it: the anchor."""
    n = 0
    inspect = payloads["image_inspect"]
    history = payloads["image_history"]
    for summary in payloads["images_all"]:
        image_id = summary["Id"]
        n += len(summary["RepoTags"] or ()) + summary["Size"] + summary["Created"]
        n += len(summary["ParentId"]) + len(summary["Labels"] or ())
        body = inspect[image_id]
        n += len(body["Created"])
        for diff_id in body["RootFS"].get("Layers", ()):
            n += len(diff_id)
        for entry in history.get(image_id, ()):
            n += entry["Size"]
    for container in payloads["containers"]:
        n += len(container["Id"]) + len(container["ImageID"]) + len(container["State"])
    return n


def _size_of(value: Any) -> int:
    """Bytes of ``value`` and everything it holds, each object counted once (``sys.getsizeof``)."""
    seen: set[int] = set()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return total


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def _phases(payloads: dict[str, Any]) -> list[tuple[float, float]]:
    """``(wall, cpu)`` seconds of each phase, on a host built afresh."""
    start = _clock()
    host = Host.from_api(payloads, engine=ENGINE)
    built = _since(start)
    start = _clock()
    host.disk_usage().to_api()
    used = _since(start)
    start = _clock()
    host.plan_image_prune(all=True).to_api()
    return [built, used, _since(start)]


def _median(runs: list[tuple[float, float]], cpu: bool = True) -> float:
    """The median CPU (else wall) seconds of ``runs``."""
    return statistics.median(run[1] if cpu else run[0] for run in runs)


def run(images: int, repeat: int) -> dict[str, Any]:
    # The payload document is made once, and nothing is measured about it
    # before the phases are timed: objects made and dropped around it (a
    # second document, tracing, a walk that counts its objects) lay the heap
    # out differently and slow every phase measured after them by a third.
    payloads = synthetic_payloads(images=images, containers=images // 5)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in (*PHASES, "anchor")}

    def phases() -> None:
        for name, seconds in zip(PHASES, _phases(payloads), strict=True):
            times[name].append(seconds)

    def anchor() -> None:
        start = _clock()
        _touch(payloads)
        times["anchor"].append(_since(start))

    steps: list[Callable[[], None]] = [phases, anchor]
    for _ in range(repeat):
        for step in steps:  # alternating, so that drifting load hits both alike
            gc.collect()
            step()
    # the memory the three phases allocate at their peak, last (tracemalloc is slow)
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    host = Host.from_api(payloads, engine=ENGINE)
    host.disk_usage().to_api()
    host.plan_image_prune(all=True).to_api()
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    refs = sum(len(v["RootFS"]["Layers"]) for v in payloads["image_inspect"].values())
    return {"refs": refs, "times": times, "peak": peak, "document": _size_of(payloads)}


def _run_apart(images: int, repeat: int) -> dict[str, Any]:
    """:func:`run` in a process of its own: every size starts from a fresh heap."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(images), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a worker: one size, JSON
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run(args.one, args.repeat)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, Any]] = {}
    ok = True
    for n in sizes:
        repeat = args.repeat if n <= 10_000 else max(1, min(args.repeat, 3))
        r = results[n] = _run_apart(n, repeat)
        anchor = _median(r["times"]["anchor"])
        print(f"\n{n:,} images, {n // 5:,} containers, {r['refs']:,} layer references "
              f"(median of {repeat}; the anchor: reading the fields once, {anchor:.4f} s)")
        print(f"  {'phase':<38} {'CPU':>8}    {'ratio':>13}   {'wall':>8}")
        total = wall = 0.0
        for name in PHASES:
            med, med_wall = _median(r["times"][name]), _median(r["times"][name], cpu=False)
            total += med
            wall += med_wall
            print(f"  {name:<38} {med:8.4f} s  {med / anchor:6.1f}x anchor   {med_wall:8.4f} s")
        print(f"  {'all three':<38} {total:8.4f} s  {total / anchor:6.1f}x anchor   "
              f"{wall:8.4f} s", end="")
        limit = {10_000: 0.5, 100_000: 5.0}.get(n)
        if limit is not None:
            met = total < limit
            ok = ok and met
            print(f"   target under {limit:g} s: {'met' if met else 'NOT met'}", end="")
        print()
        peak_mb, doc_mb = r["peak"] / 2**20, r["document"] / 2**20
        print(f"  memory at the peak of the three phases {peak_mb:8.1f} MB  "
              f"{peak_mb / doc_mb:6.2f}x the payload document ({doc_mb:.1f} MB)", end="")
        if n == 100_000:
            met = r["peak"] < 2**30
            ok = ok and met
            print(f"   target under 1 GB: {'met' if met else 'NOT met'}", end="")
        print()
    for n0, n1 in itertools.pairwise(sizes):
        r0, r1 = results[n0], results[n1]
        input_growth = r1["refs"] / r0["refs"]
        anchor_growth = _median(r1["times"]["anchor"]) / _median(r0["times"]["anchor"])
        print(f"\ngrowth {n0:,} -> {n1:,} images ({input_growth:.1f}x layer references; "
              f"the anchor grows {anchor_growth:.1f}x)")
        for name in PHASES:
            growth = _median(r1["times"][name]) / _median(r0["times"][name])
            scaled = 12 * (n1 / n0) / 10
            met = growth <= scaled
            ok = ok and met
            print(f"  {name:<38} {growth:6.1f}x   (target <= {scaled:g}x: "
                  f"{'met' if met else 'NOT met'}; {growth / anchor_growth:.2f}x the anchor's)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
