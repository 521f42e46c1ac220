"""Images held only by stopped containers: why ``docker rmi`` refuses, and what removal frees.

An image that no running container uses but some stopped (exited or never
started) container does cannot be removed without ``-f``: the engine answers
with a conflict. For each such image this prints the containers that hold
it, the engine's refusal exactly as ``docker rmi`` would print it, and the
bytes that ``docker rm`` of those containers followed by ``docker rmi`` would
free — or, when the image has child images, the refusal that ``docker rmi``
would still meet after the containers are gone.

Usage::

    python examples/stopped_container_images.py [--demo | --snapshot FILE]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import dockermodel
from dockermodel.cli import host_from_command_line
from dockermodel.render import daemon_error, human_size


def load_host(argv: list[str] | None = None) -> dockermodel.Host:
    """The host named on the command line: ``--demo``, ``--snapshot FILE`` or the live engine."""
    return host_from_command_line(__doc__.splitlines()[0], argv)


def held_by_stopped_only(
    host: dockermodel.Host,
) -> Iterator[tuple[dockermodel.Image, tuple[dockermodel.Container, ...]]]:
    """Images with at least one container, none of them running."""
    for image in host.images.values():
        users = host.users(image.id)
        if users and not any(c.running for c in users):
            yield image, users


def freed_by_removing(
    host: dockermodel.Host, name: str, users: tuple[dockermodel.Container, ...]
) -> tuple[int, int, dockermodel.Conflict | None]:
    """Bytes freed by ``docker rm`` of ``users``, then by ``docker rmi NAME``.

    The third value is the engine's refusal of that ``rmi`` when it would
    still refuse once the containers are gone (the image has child images).
    """
    freed = 0
    for container in users:
        plan = host.plan_rm(container.id)
        freed += plan.bytes_freed
        host = host.apply(plan)
    try:
        return freed, host.plan_rmi(name).bytes_freed, None
    except dockermodel.Conflict as refused:
        return freed, 0, refused


def report(host: dockermodel.Host) -> str:
    lines = []
    for image, users in held_by_stopped_only(host):
        name = image.repo_tags[0].familiar if image.repo_tags else image.short_id
        lines.append(f"{name} ({image.short_id})")
        for container in users:
            lines.append(f"  held by {container.name} ({container.short_id}): {container.status}")
        try:
            host.plan_rmi(name)
        except dockermodel.Conflict as refused:
            lines.append(f"  docker rmi {name}: {daemon_error(refused.message).rstrip()}")
        rm = " ".join(c.name for c in users)
        by_rm, by_rmi, refused = freed_by_removing(host, name, users)
        if refused is None:
            freed = human_size(by_rm + by_rmi)
            lines.append(f"  docker rm {rm} && docker rmi {name} would free {freed}")
        else:
            lines.append(f"  docker rm {rm} would free {human_size(by_rm)}; then")
            lines.append(f"  docker rmi {name}: {daemon_error(refused.message).rstrip()}")
    if not lines:
        lines.append("No image is held only by stopped containers.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write(report(load_host(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
