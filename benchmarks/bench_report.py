"""How fast the HTML report opens: a 2,000-image host in headless Chromium.

The page of a synthetic classic-builder host (benchmarks/synthetic.py,
2,000 images and 400 containers) is written to a file; headless Chromium
(the flags of tests/browserkit.py) opens it and takes a screenshot. The
anchor, measured in the same run and the same way, is Chromium taking a
screenshot of an empty page: the browser's own start and shutdown. What
the report costs the browser is the difference; the target is that it
opens within about a second (the difference under 1 s). Also prints the
time to compute the page in Python and its size.

    python benchmarks/bench_report.py [--images 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's dockermodel
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import browserkit
from synthetic import synthetic_payloads

from dockermodel import Host
from dockermodel.report import render_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    reason = browserkit.unavailable_reason()
    if reason is not None:
        raise SystemExit(reason)
    host = Host.from_api(synthetic_payloads(images=args.images, containers=args.images // 5))
    renders = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        page = render_report(host, now=1.8e9)
        renders.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "report.html"
        report.write_text(page, encoding="utf-8")
        empty = Path(directory) / "empty.html"
        empty.write_text("<!DOCTYPE html><title>empty</title>", encoding="utf-8")
        anchor, opened = [], []
        for _ in range(args.repeat):  # interleaved, so that load drifts hit both alike
            anchor.append(browserkit.screenshot(empty, 1280, 900).seconds)
            opened.append(browserkit.screenshot(report, 1280, 900).seconds)
    a, o = statistics.median(anchor), statistics.median(opened)
    print(f"host: {len(host.images)} images, {len(host.containers)} containers, "
          f"{len(host.layers)} layers; page {len(page.encode()) / 1e6:.2f} MB")
    print(f"render_report (Python), median of {args.repeat}: {statistics.median(renders):.3f} s")
    print(f"anchor: Chromium screenshot of an empty page, median: {a:.3f} s")
    print(f"report: Chromium screenshot of the report, median:  {o:.3f} s")
    print(f"report - anchor (what the page costs to open): {o - a:.3f} s; ratio {o / a:.2f}x")


if __name__ == "__main__":
    main()
