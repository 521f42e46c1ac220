"""One self-contained HTML page about a host: where the bytes are, and what would free them.

:func:`render_report` returns the page; ``dockermodel report -o FILE.html``
writes it. The page needs nothing but itself: no script, no font, no
image and no style sheet is loaded from anywhere, and a Content Security
Policy (``default-src 'none'``) forbids every request. It holds:

* a **treemap** of the bytes on disk (drawn as inline SVG, laid out here by
  :mod:`dockermodel.report.treemap`): each image of ``docker images`` and
  each group of layers several images share (:mod:`dockermodel.tree`) is a
  rectangle whose area is its bytes, nested inside what it is built on;
  the colour says what holds its layers — a running container, only
  stopped ones, only tags, or nothing (a prune frees them);
* the **disk usage** figures and the engine's reclaimable figure beside the
  exact one, with the layers that make the difference
  (:func:`reclaimable_difference`);
* the **safe cleanup** (:func:`dockermodel.removal.plan_cleanup`): force-free
  commands with the bytes each frees;
* the **why** of every image ``docker image prune -a`` would leave.

Every figure is computed by the library's planners; the page adds nothing.
"""

from __future__ import annotations

import html
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

import attrs

from ..removal import bytes_freed_by_image, plan_cleanup
from ..tree import TreeNode, image_tree
from ..why import why
from .treemap import Rect, layout

if TYPE_CHECKING:
    from ..host import Host

__all__ = [
    "COLORS",
    "TREEMAP_BOX",
    "Difference",
    "reclaimable_difference",
    "render_report",
]

#: Where the treemap is drawn on the page, in CSS pixels: ``(left, top, width, height)``.
TREEMAP_BOX = (16, 64, 1200, 560)
_HEADER = 56

#: Fill colour of each status of a treemap rectangle (``#rrggbb``), and its legend text.
COLORS = {
    "running": ("#2f8f4e", "held by a running container"),
    "stopped": ("#d08a1e", "held only by stopped or created containers"),
    "tagged": ("#3a6fc4", "no container; kept by a tag (image prune -a frees it)"),
    "unreferenced": ("#c0392b", "no container, no tag: image prune frees it"),
    "shared": ("#7a5aa8", "layers several images share, no container holds"),
    "orphan": ("#59636e", "held only by containers of deleted images"),
}


def _human(n: int) -> str:
    from ..render import human_size

    return human_size(n)


# --------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------


@attrs.frozen
class Difference:
    """Why ``docker system df``'s reclaimable figure differs from the exact one.

    ``counted_but_held``: layers the CLI's formula counts as reclaimable
    although a container's image holds them (a used image's layers that
    another listed image shares, or layers only containers of deleted images
    hold); ``reclaimable_not_counted``: layers that removing every unused
    image would free but that the formula leaves out. Each is
    ``(chain id, bytes)``; ``engine − exact = Σ counted_but_held −
    Σ reclaimable_not_counted``.
    """

    engine: int
    exact: int
    counted_but_held: tuple[tuple[str, int], ...]
    reclaimable_not_counted: tuple[tuple[str, int], ...]


def reclaimable_difference(host: Host) -> Difference:
    """The engine's and the exact reclaimable bytes, and the layers that differ (docs/numbers.md).

    The CLI computes ``LayersSize − Σ (Size − SharedSize)`` over the listed
    images with containers, i.e. the bytes of the set ``A`` = layers of no
    used image, plus layers of used images that another listed image also
    holds; the exact figure is the set ``R`` of layers no container's chain
    holds. The difference is ``Σ(A ∖ R) − Σ(R ∖ A)``.
    """
    usage = host.disk_usage()
    listed = [row.image for row in usage.images]
    refs: Counter[str] = Counter()
    for image in listed:
        refs.update(set(image.layers))
    used: set[str] = set()
    for row in usage.images:
        if row.containers:
            used.update(row.image.layers)
    counted = {c for c in refs if c not in used or refs[c] > 1}
    held: set[str] = set()
    for container in host.containers.values():
        held.update(container.layers)
        source = host.images.get(container.image_id)
        if source is not None:
            held.update(source.layers)
    exact = {c for c in host.layers if c not in held}
    size = {c: layer.size for c, layer in host.layers.items()}
    return Difference(
        engine=usage.engine_reclaimable,
        exact=usage.reclaimable,
        counted_but_held=tuple(sorted(((c, size[c]) for c in counted - exact), key=_big)),
        reclaimable_not_counted=tuple(sorted(((c, size[c]) for c in exact - counted), key=_big)),
    )


def _big(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


# --------------------------------------------------------------------------
# The treemap
# --------------------------------------------------------------------------


@attrs.frozen
class _Box:
    """A treemap item: a tree node (or the orphan layers), its weight and status."""

    label: str
    detail: str
    weight: int
    status: str
    children: tuple[_Box, ...]


def _boxes(host: Host) -> list[_Box]:
    running: set[str] = set()
    used: set[str] = set()
    for container in host.containers.values():
        chain = container.layers
        if not chain and container.image_id in host.images:
            chain = host.images[container.image_id].layers
        used.update(chain)
        if container.running:
            running.update(chain)

    size = {c: layer.size for c, layer in host.layers.items()}

    def convert(node: TreeNode) -> tuple[_Box, bool]:
        kids = [convert(child) for child in node.children]
        tagged = any(flag for _, flag in kids) or bool(node.tags)
        layers = node.layers
        if any(c in running for c in layers):
            status = "running"
        elif any(c in used for c in layers):
            status = "stopped"
        elif tagged:
            status = "tagged"
        else:
            status = "unreferenced"
        if node.image is None:
            label = f"{len(layers)} shared layer{'s' if len(layers) != 1 else ''}"
            status = status if status in ("running", "stopped") else "shared"
            detail = (
                f"{label}, {_human(node.own_bytes)}, held by the "
                f"{node.images_below} images inside"
            )
        else:
            label = ", ".join(node.tags) or f"<none> {node.image.short_id}"
            holders = [f"{c.name} ({c.state})" for c in node.containers]
            detail = (
                f"{label} {node.image.short_id}: adds {_human(node.own_bytes)} "
                f"on {_human(node.shared_bytes)}"
                + (f"; containers: {', '.join(holders)}" if holders else "")
            )
        weight = node.own_bytes + sum(box.weight for box, _ in kids)
        children = tuple(box for box, _ in kids if box.weight > 0)
        sized = [c for c in layers if size.get(c, 0) > 0]
        if len(sized) > 1:  # one tile per layer when the node adds several
            tiles = tuple(
                _Box(c[7:19], f"layer {c} ({_human(size[c])}) of {label}", size[c], status, ())
                for c in sized
            )
            children = tiles + children
        elif len(sized) == 1:
            detail += f"; layer {sized[0]}"
        return _Box(label, detail, weight, status, children), tagged

    boxes = [convert(root)[0] for root in image_tree(host)]
    in_images = {c for image in host.images.values() for c in image.layers}
    orphans = [c for c in host.layers if c not in in_images]
    orphan_bytes = sum(host.layers[c].size for c in orphans)
    if orphan_bytes:
        boxes.append(
            _Box(
                f"{len(orphans)} layers of deleted images",
                f"{len(orphans)} layers ({_human(orphan_bytes)}) of force-deleted images, "
                "held by their containers",
                orphan_bytes,
                "orphan",
                (),
            )
        )
    return [box for box in boxes if box.weight > 0]


def _treemap_svg(host: Host) -> str:
    _, _, width, height = TREEMAP_BOX
    boxes = _boxes(host)
    cells = layout(
        boxes,
        lambda b: float(b.weight),
        lambda b: b.children,
        Rect(0.0, 0.0, float(width), float(height)),
        pad=2.0,
        header=14.0,
        min_area=1.0,
    )
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#eef1f4"/>')
    for cell in cells:
        r, box = cell.rect, cell.item
        color = COLORS[box.status][0]
        parts.append(
            f'<rect x="{r.x:.1f}" y="{r.y:.1f}" width="{r.w:.1f}" height="{r.h:.1f}" '
            f'fill="{color}"><title>{html.escape(box.detail)}</title></rect>'
        )
        if r.w >= 70 and r.h >= 16:
            text = box.label if len(box.label) * 6.5 < r.w - 6 else box.label[: int(r.w / 6.5) - 2]
            parts.append(
                f'<text x="{r.x + 3:.1f}" y="{r.y + 12:.1f}">{html.escape(text)}</text>'
            )
    if not cells:
        parts.append(
            '<text x="12" y="24" style="fill:#5b6670">no image layers on disk</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = ()
) -> str:
    cls = [' class="n"' if k in numeric else "" for k in range(len(header))]
    head = "".join(f"<th{cls[k]}>{html.escape(h)}</th>" for k, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f"<td{cls[k]}>{cell}</td>" for k, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figures(host: Host) -> str:
    usage = host.disk_usage()
    percent = usage.engine_reclaimable_percent
    engine = _human(usage.engine_reclaimable) + (f" ({percent}%)" if percent is not None else "")
    rw = sum(max(c.size_rw, 0) for c in host.containers.values())
    rows = [
        ("image layers on disk (each once)", _human(sum(x.size for x in host.layers.values()))),
        ("LayersSize (docker system df: Images SIZE)", _human(usage.layers_size)),
        ("reclaimable — docker system df", engine),
        ("reclaimable — exact (remove every image no container uses)", _human(usage.reclaimable)),
        ("containers' writable layers", _human(rw)),
        ("volumes", _human(sum(max(v.size, 0) for v in host.volumes))),
        ("build cache", _human(sum(r.size for r in host.build_cache or ()))),
    ]
    return _table(("", "bytes"), [(html.escape(a), b) for a, b in rows], numeric=(1,))


def _difference(host: Host) -> str:
    diff = reclaimable_difference(host)
    held = sum(n for _, n in diff.counted_but_held)
    missed = sum(n for _, n in diff.reclaimable_not_counted)
    text = (
        f"<p class=\"note\">docker system df says <b>{_human(diff.engine)}</b>; removing every "
        f"image that no container uses frees <b>{_human(diff.exact)}</b>. The CLI subtracts "
        "only the unique bytes of the images containers use, so a layer such an image shares "
        "with another image counts as reclaimable although the container keeps it: "
        f"{len(diff.counted_but_held)} layer(s), {_human(held)}."
    )
    if diff.reclaimable_not_counted:
        text += (
            f" Layers it leaves out although they would be freed: "
            f"{len(diff.reclaimable_not_counted)}, {_human(missed)}."
        )
    text += "</p>"
    rows = [
        (f"<code>{html.escape(c[:19])}…</code>", "counted, but held", _human(n))
        for c, n in diff.counted_but_held[:20]
    ] + [
        (f"<code>{html.escape(c[:19])}…</code>", "freed, not counted", _human(n))
        for c, n in diff.reclaimable_not_counted[:20]
    ]
    if rows:
        text += _table(("layer", "", "bytes"), rows, numeric=(2,))
    return text


def _cleanup(host: Host) -> str:
    plan = plan_cleanup(host)
    if not plan.steps:
        return "<p class=\"note\">Nothing to remove without -f.</p>"
    rows = []
    total = 0
    for step in plan.steps:
        total += step.bytes_freed
        command = " ".join(step.command)
        rows.append(
            (f"<code>{html.escape(command)}</code>", _human(step.bytes_freed), _human(total))
        )
    return (
        f"<p class=\"note\">{len(plan.steps)} commands, run in this order, free "
        f"<b>{_human(plan.bytes_freed)}</b>; none needs -f.</p>"
        + _table(("command", "frees", "total"), rows, numeric=(1, 2))
    )


def _why(host: Host) -> str:
    kept = host.apply(host.plan_image_prune(all=True))
    freed = bytes_freed_by_image(host)
    rows = []
    for image in kept.listed_images(all=False):
        answer = why(host, image.id, detail=False)
        name = ", ".join(answer.tags + answer.digests) or "&lt;none&gt;"
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in answer.reasons())
        rows.append(
            (
                f"{html.escape(name) if answer.tags or answer.digests else name}<br>"
                f"<code>{image.short_id}</code>",
                _human(image.size),
                f'<ul class="reasons">{reasons}</ul>',
                _human(freed.get(image.id, 0)),
            )
        )
    if not rows:
        return "<p class=\"note\">docker image prune -a would leave no image.</p>"
    return _table(("image", "size", "why it stays", "rmi -f frees"), rows, numeric=(1, 3))


def _legend() -> str:
    return "".join(
        f'<span style="--c:{color}">{html.escape(text)}</span>' for color, text in COLORS.values()
    )


def render_report(host: Host, *, now: float | None = None, title: str | None = None) -> str:
    """The report page for ``host``, as one HTML string (see the module)."""
    left, top, width, height = TREEMAP_BOX
    clock = now if now is not None else time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(clock))
    subtitle = (
        f"{host.engine} · {len(host.images)} images · {len(host.containers)} containers · "
        f"{len(host.layers)} layers · {len(host.volumes)} volumes · {stamp}"
    )
    page = resources.files(__package__).joinpath("template.html").read_text(encoding="utf-8")
    values: dict[str, Any] = {
        "title": html.escape(title or "Docker disk usage — dockermodel report"),
        "subtitle": html.escape(subtitle),
        "header_height": _HEADER,
        "margin": left,
        "treemap_top": top,
        "treemap_width": width,
        "treemap_height": height,
        "main_top": top + height + 8,
        "treemap": _treemap_svg(host),
        "legend": _legend(),
        "figures": _figures(host),
        "difference": _difference(host),
        "cleanup": _cleanup(host),
        "why": _why(host),
    }
    return Template(page).substitute(values)
