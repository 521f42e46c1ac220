"""Disk usage with shared layers counted once: why ``docker images`` sizes add up to more.

``docker images`` prints every image's whole size, base layers included, so
the column adds up to more than the disk holds. This report splits each
image into bytes it shares with other images and bytes only it has, lists
the shared layers with the images that hold them, and compares the disk
actually used with the sum of the SIZE column.

Usage::

    python examples/disk_usage_report.py              # the live engine (read-only)
    python examples/disk_usage_report.py --demo       # the bundled demo snapshot
    python examples/disk_usage_report.py --snapshot FILE
"""

from __future__ import annotations

import sys

import dockermodel
from dockermodel.cli import host_from_command_line
from dockermodel.render import human_size, table


def load_host(argv: list[str] | None = None) -> dockermodel.Host:
    """The host named on the command line: ``--demo``, ``--snapshot FILE`` or the live engine."""
    return host_from_command_line(__doc__.splitlines()[0], argv)


def image_name(host: dockermodel.Host, image: dockermodel.Image) -> str:
    """The image's first tag, or ``<none>`` and its short id."""
    if image.repo_tags:
        return image.repo_tags[0].familiar
    return f"<none> ({image.short_id})"


def report(host: dockermodel.Host) -> str:
    usage = host.disk_usage()
    rows = [
        (
            image_name(host, row.image),
            human_size(row.size),
            human_size(row.shared_size),
            human_size(row.unique_size),
            str(row.containers),
        )
        for row in usage.images
    ]
    lines = [table(("IMAGE", "SIZE", "SHARED", "UNIQUE", "CONTAINERS"), rows)]

    holders: dict[str, list[str]] = {}
    for row in usage.images:
        for chain_id in dict.fromkeys(row.image.layers):
            holders.setdefault(chain_id, []).append(image_name(host, row.image))
    shared = [(c, names) for c, names in holders.items() if len(names) > 1]
    lines.append("\nLayers shared by several images:\n")
    lines.append(
        table(
            ("LAYER", "SIZE", "HELD BY"),
            [(c[7:19], human_size(host.layers[c].size), ", ".join(n)) for c, n in shared],
        )
    )

    column_sum = sum(row.size for row in usage.images)
    totals = [
        ("Sum of the image sizes", column_sum, "what the SIZE column adds up to"),
        ("Disk used by image layers", usage.layers_size, "each layer counted once"),
        ("Counted more than once", column_sum - usage.layers_size, "shared layers"),
        ("Reclaimable, docker's figure", usage.engine_reclaimable, "docker system df"),
        ("Reclaimable, exactly", usage.reclaimable, "removing every image no container uses"),
    ]
    total_rows = [(label, human_size(size), meaning) for label, size, meaning in totals]
    lines.append("\n")
    lines.append(table(("TOTAL", "BYTES", "MEANING"), total_rows))
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write(report(load_host(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
