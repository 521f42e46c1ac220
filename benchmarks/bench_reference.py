"""Parse a realistic mix of references with dockermodel and docker-image-py.

Usage::

    python benchmarks/bench_reference.py [--count N] [--repeat R] [--seed S]

The mix (seeded, so every run parses the same list) has official images
(``ubuntu``, ``nginx:1.25``), user repositories, registries with ports and
IPv4 hosts, tags, digests and about 5 % invalid input. Both parsers run in the
same process on the same list; the best of ``--repeat`` rounds is reported as
parses per second, with the ratio. docker-image-py is optional
(``pip install -e '.[bench]'``); without it only our figure is printed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's dockermodel

from dockermodel.errors import InvalidReference
from dockermodel.reference import cached_parse_normalized_named, parse_normalized_named

OFFICIAL = [
    "ubuntu",
    "nginx",
    "alpine",
    "busybox",
    "redis",
    "postgres",
    "python",
    "node",
    "golang",
    "debian",
    "mysql",
    "httpd",
    "traefik",
    "memcached",
    "rabbitmq",
]
USERS = [
    "bitnami",
    "grafana",
    "prom",
    "library",
    "jenkins",
    "hashicorp",
    "minio",
    "me",
    "my-team",
    "acme_corp",
    "ci.bot",
]
REGISTRIES = [
    "gcr.io",
    "ghcr.io",
    "quay.io",
    "registry.example.com:5000",
    "localhost:5000",
    "localhost",
    "10.0.0.12:5000",
    "docker.io",
    "index.docker.io",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    "[::1]:5000",
]
TAGS = [
    "latest",
    "1.25",
    "22.04",
    "3.19.1-alpine",
    "v2.4.0",
    "16-bookworm",
    "stable",
    "main",
    "sha-3f2a9c1",
    "2024.06.01",
]
INVALID = [
    "Ubuntu",
    "nginx:",
    "my//app",
    "-bad",
    "app@sha256:1234",
    "a" * 64,
    "UPPER/case",
    "has space",
    "tag:with:colons",
    "",
]


def build_mix(count: int, seed: int) -> list[str]:
    """``count`` references, deterministic for a given ``seed``."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.05:
            out.append(rng.choice(INVALID))
            continue
        if roll < 0.40:
            name = rng.choice(OFFICIAL)
        elif roll < 0.70:
            name = f"{rng.choice(USERS)}/{rng.choice(OFFICIAL)}"
        else:
            name = f"{rng.choice(REGISTRIES)}/{rng.choice(USERS)}/{rng.choice(OFFICIAL)}"
        kind = rng.random()
        if kind < 0.65:
            name += ":" + rng.choice(TAGS)
        elif kind < 0.80:
            name += "@sha256:" + f"{rng.getrandbits(256):064x}"
        elif kind < 0.85:
            name += ":" + rng.choice(TAGS) + "@sha256:" + f"{rng.getrandbits(256):064x}"
        out.append(name)
    return out


def _round(
    parse: Callable[[str], object], refs: list[str], errors: tuple[type[BaseException], ...]
) -> tuple[float, int]:
    """Seconds for one pass over ``refs`` and the number of inputs accepted."""
    accepted = 0
    start = time.perf_counter()
    for text in refs:
        try:
            parse(text)
        except errors:
            continue
        accepted += 1
    return time.perf_counter() - start, accepted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="references in the mix")
    parser.add_argument("--repeat", type=int, default=7, help="rounds; the best is kept")
    parser.add_argument("--seed", type=int, default=20_10_24, help="seed of the mix")
    args = parser.parse_args(argv)

    try:
        from docker_image import reference as docker_image_reference
    except ImportError:
        docker_image_reference = None

    refs = build_mix(args.count, args.seed)
    contenders: dict[str, tuple[Callable[[str], object], tuple[type[BaseException], ...]]] = {
        "dockermodel parse_normalized_named": (parse_normalized_named, (InvalidReference,)),
        "dockermodel cached_parse_normalized_named (warm)": (
            cached_parse_normalized_named,
            (InvalidReference,),
        ),
    }
    if docker_image_reference is not None:
        contenders["docker-image-py Reference.parse_normalized_named"] = (
            docker_image_reference.Reference.parse_normalized_named,
            (Exception,),
        )
    best = dict.fromkeys(contenders, float("inf"))
    accepted = dict.fromkeys(contenders, 0)
    # Rounds alternate between the parsers, so a busy machine slows them alike.
    for _ in range(args.repeat):
        for label, (parse, errors) in contenders.items():
            seconds, accepted[label] = _round(parse, refs, errors)
            best[label] = min(best[label], seconds)

    print(f"references parsed: {len(refs)} (best of {args.repeat} alternating rounds)")
    for label, seconds in best.items():
        print(f"{label:<50} {len(refs) / seconds:>12,.0f} parses/s  ({accepted[label]} accepted)")
    if docker_image_reference is None:
        print("docker-image-py is not installed; for the comparison: pip install -e '.[bench]'")
        return 0
    ours = best["dockermodel parse_normalized_named"]
    theirs = best["docker-image-py Reference.parse_normalized_named"]
    print(f"ratio dockermodel / docker-image-py (uncached): {theirs / ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
