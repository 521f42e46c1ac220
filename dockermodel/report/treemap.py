"""Squarified treemap layout, in pure Python.

:func:`squarify` places weighted items in a rectangle so that each gets an
area proportional to its weight, with cells as close to squares as the
greedy row algorithm of Bruls, Huizing and van Wijk ("Squarified Treemaps",
2000) gets them: items in decreasing order fill rows along the shorter side
while adding one more does not worsen the row's worst aspect ratio.
:func:`layout` applies it recursively to a tree of weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import attrs

__all__ = ["Cell", "Rect", "layout", "squarify"]

T = TypeVar("T")


@attrs.frozen
class Rect:
    """An axis-aligned rectangle: top-left corner ``(x, y)``, width ``w``, height ``h``."""

    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h

    def inset(self, d: float) -> Rect:
        """The rectangle shrunk by ``d`` on every side (never below zero size)."""
        w, h = max(self.w - 2 * d, 0.0), max(self.h - 2 * d, 0.0)
        return Rect(self.x + d, self.y + d, w, h)


def _worst(row: Sequence[float], side: float) -> float:
    """The worst aspect ratio of the cells of ``row`` laid along a side of length ``side``."""
    total = sum(row)
    if total <= 0 or side <= 0:
        return float("inf")
    s2 = side * side
    t2 = total * total
    return max(max(row) * s2 / t2, t2 / (s2 * min(row)))


def squarify(weights: Sequence[float], rect: Rect) -> list[Rect]:
    """One rectangle per weight (same order), areas proportional to the weights.

    Non-positive weights get empty rectangles at the rectangle's corner.
    Linear in the number of weights after sorting.
    """
    out = [Rect(rect.x, rect.y, 0.0, 0.0) for _ in weights]
    order = sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: -weights[i])
    total = sum(weights[i] for i in order)
    if total <= 0 or rect.area <= 0:
        return out
    scale = rect.area / total
    areas = [weights[i] * scale for i in order]
    x, y, w, h = rect.x, rect.y, rect.w, rect.h
    k = 0
    while k < len(areas):
        side = min(w, h)
        row = [areas[k]]
        k += 1
        while k < len(areas) and _worst([*row, areas[k]], side) <= _worst(row, side):
            row.append(areas[k])
            k += 1
        row_total = sum(row)
        start = k - len(row)
        last = k == len(areas)
        if w >= h:  # a column on the left
            width = w if last else row_total / h if h > 0 else 0.0
            yy = y
            for j, a in enumerate(row):
                cell_h = a / width if width > 0 else 0.0
                out[order[start + j]] = Rect(x, yy, width, cell_h)
                yy += cell_h
            x += width
            w -= width
        else:  # a row at the top
            height = h if last else row_total / w if w > 0 else 0.0
            xx = x
            for j, a in enumerate(row):
                cell_w = a / height if height > 0 else 0.0
                out[order[start + j]] = Rect(xx, y, cell_w, height)
                xx += cell_w
            y += height
            h -= height
    return out


@attrs.frozen
class Cell(Generic[T]):
    """A placed item: the item, its rectangle and its depth (0 at the top level)."""

    item: T
    rect: Rect
    depth: int


def layout(
    roots: Sequence[T],
    weight: Callable[[T], float],
    children: Callable[[T], Sequence[T]],
    rect: Rect,
    *,
    pad: float = 2.0,
    header: float = 0.0,
    min_area: float = 0.5,
) -> list[Cell[T]]:
    """Every item of the forest ``roots``, nested: children inside their parent's rectangle.

    ``weight(item)`` is the item's whole weight (its own part plus its
    children's); an item's rectangle holds its own part and, inset by
    ``pad`` when large enough (and below a strip of ``header`` units kept
    for its label when it is more than three headers high), its children.
    Items smaller than ``min_area`` square units are left out with
    everything below them. Parents come before their children.
    """
    cells: list[Cell[T]] = []
    stack: list[tuple[Sequence[T], Rect, int]] = [(roots, rect, 0)]
    while stack:
        items, area, depth = stack.pop()
        rects = squarify([weight(i) for i in items], area)
        for item, placed in zip(items, rects, strict=True):
            if placed.area < min_area:
                continue
            cells.append(Cell(item, placed, depth))
            below = children(item)
            if below:
                inner = placed.inset(pad) if placed.w > 4 * pad and placed.h > 4 * pad else placed
                if header and inner.h > 3 * header and inner.w > 4 * header:
                    inner = Rect(inner.x, inner.y + header, inner.w, inner.h - header)
                own = weight(item) - sum(weight(c) for c in below)
                parts: list[T | None] = [None, *below]
                weights = [max(own, 0.0), *(weight(c) for c in below)]
                sub = squarify(weights, inner)
                # the children's share of the inner rectangle, as one block per child
                for part, r in zip(parts[1:], sub[1:], strict=True):
                    assert part is not None
                    stack.append(([part], r, depth + 1))
    return cells
