"""What would a prune free? Every kind of prune, predicted, without removing anything.

For ``docker image prune``, ``docker image prune -a``, ``docker container
prune`` and the two in sequence (containers first, as ``docker system
prune -a`` does), print what would go and two byte counts: the
"Total reclaimed space" docker would report, and the bytes that would really
leave the disk (they differ when layers are freed as a side effect).

Usage::

    python examples/prune_preview.py [--demo | --snapshot FILE]
"""

from __future__ import annotations

import sys

import dockermodel
from dockermodel.cli import host_from_command_line
from dockermodel.removal import Plan
from dockermodel.render import human_size, table


def load_host(argv: list[str] | None = None) -> dockermodel.Host:
    """The host named on the command line: ``--demo``, ``--snapshot FILE`` or the live engine."""
    return host_from_command_line(__doc__.splitlines()[0], argv)


def describe(plans: list[Plan]) -> str:
    """How many images and containers go, e.g. ``1 container + 2 images``, or ``nothing``."""
    parts = []
    for plan in plans:
        for count, noun in (
            (len(plan.deleted_containers), "container"),
            (len(plan.deleted_images), "image"),
        ):
            if count:
                parts.append(f"{count} {noun}{'s' * (count != 1)}")
    return " + ".join(parts) or "nothing"


def previews(host: dockermodel.Host) -> list[tuple[str, Plan, Plan | None]]:
    """(command, plan, second plan) for every prune; the second runs after the first."""
    containers = host.plan_container_prune()
    after_containers = host.apply(containers)
    return [
        ("docker image prune", host.plan_image_prune(), None),
        ("docker image prune -a", host.plan_image_prune(all=True), None),
        ("docker container prune", containers, None),
        (
            "docker container prune && docker image prune -a",
            containers,
            after_containers.plan_image_prune(all=True),
        ),
    ]


def report(host: dockermodel.Host) -> str:
    rows = []
    for command, first, second in previews(host):
        plans = [first] if second is None else [first, second]
        reported = sum(p.space_reclaimed for p in plans)
        freed = sum(p.bytes_freed for p in plans)
        what = describe(plans)
        rows.append((command, what, human_size(reported), human_size(freed)))
    header = ("COMMAND", "REMOVES", "DOCKER REPORTS", "DISK FREED")
    return table(header, rows)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write(report(load_host(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
