"""The HTML report: treemap layout, the figures, and a page that needs nothing but itself.

``test_report_browser.py`` renders it in headless Chromium.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_removal import PROPERTY, hosts

from dockermodel import Host
from dockermodel.cli import load_demo
from dockermodel.report import reclaimable_difference, render_report
from dockermodel.report.treemap import Rect, layout, squarify

weights = st.lists(st.integers(0, 10**9), min_size=1, max_size=60)
boxes = st.builds(
    Rect, st.floats(0, 100), st.floats(0, 100), st.floats(1, 2000), st.floats(1, 2000))


def _inside(inner: Rect, outer: Rect, eps: float = 1e-6) -> bool:
    return (inner.x >= outer.x - eps and inner.y >= outer.y - eps
            and inner.x + inner.w <= outer.x + outer.w + eps
            and inner.y + inner.h <= outer.y + outer.h + eps)


def _overlap(a: Rect, b: Rect) -> float:
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(w, 0.0) * max(h, 0.0)


@PROPERTY
@given(weights, boxes)
def test_squarify_areas_are_proportional_and_tile_the_box(ws: list[int], box: Rect) -> None:
    rects = squarify(ws, box)
    total = sum(ws)
    assert len(rects) == len(ws)
    for w, r in zip(ws, rects, strict=True):
        expected = box.area * w / total if total else 0.0
        assert abs(r.area - expected) <= 1e-6 * box.area + 1e-9
        if w:
            assert _inside(r, box)
    placed = [r for w, r in zip(ws, rects, strict=True) if w]
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            assert _overlap(a, b) <= 1e-6 * box.area


def test_squarify_example() -> None:
    # the worked example of Bruls et al.: 6 6 4 3 2 2 1 in a 6 x 4 rectangle
    rects = squarify([6, 6, 4, 3, 2, 2, 1], Rect(0, 0, 6, 4))
    assert [(round(r.x, 3), round(r.y, 3), round(r.w, 3), round(r.h, 3)) for r in rects] == [
        (0, 0, 3, 2), (0, 2, 3, 2), (3, 0, 1.714, 2.333), (4.714, 0, 1.286, 2.333),
        (3, 2.333, 1.2, 1.667), (4.2, 2.333, 1.2, 1.667), (5.4, 2.333, 0.6, 1.667)]


def test_layout_nests_children_inside_their_parent() -> None:
    tree = {"root": ["a", "b"], "a": ["a1", "a2"], "b": [], "a1": [], "a2": []}
    own = {"root": 10, "a": 5, "b": 20, "a1": 7, "a2": 3}

    def weight(name: str) -> float:
        return own[name] + sum(weight(c) for c in tree[name])

    cells = layout(["root"], weight, lambda n: tree[n], Rect(0, 0, 400, 300), pad=2, header=14)
    where = {c.item: c for c in cells}
    assert cells[0].item == "root" and set(where) == set(tree)
    assert (where["a1"].depth, where["a"].depth, where["root"].depth) == (2, 1, 0)
    for parent, kids in tree.items():
        for kid in kids:
            assert _inside(where[kid].rect, where[parent].rect.inset(2))
            assert where[kid].rect.y >= where[parent].rect.y + 2 + 14 - 1e-9


@PROPERTY
@given(hosts())
def test_difference_explains_engine_minus_exact(host: Host) -> None:
    diff = reclaimable_difference(host)
    usage = host.disk_usage()
    assert (diff.engine, diff.exact) == (usage.engine_reclaimable, usage.reclaimable)
    assert diff.engine - diff.exact == (
        sum(n for _, n in diff.counted_but_held) - sum(n for _, n in diff.reclaimable_not_counted))


def test_demo_difference_is_the_shared_busybox_layer() -> None:
    diff = reclaimable_difference(load_demo())
    assert (diff.engine, diff.exact) == (2022256, 40000)
    assert diff.counted_but_held == (
        ("sha256:08d08fba9e92227b7b2d87072f51ea82ec0e79e1c2e31b366506fe3973809ec9", 1982256),)
    assert diff.reclaimable_not_counted == ()


def test_page_is_self_contained() -> None:
    page = render_report(load_demo(), now=1795807893)
    assert not re.search(r"https?://", page)
    csp = r"""<meta http-equiv="Content-Security-Policy" content="default-src 'none';"""
    assert re.search(csp, page)
    # nothing that could load: no script, no link, no src/href attribute, no url(), no @import
    assert not re.search(r"(?i)<script|<link|<iframe|<object|<embed|\bsrc=|\bhref=|url\(|@import",
                         page)
    # the figures, the cleanup and the why of what prune -a leaves
    assert "2.022MB (91%)" in page and "40kB" in page
    assert "docker rm 1abb7aa41cc28450532a2cab2563468524ac7dc2432b0f87e6bdc25f30a06003" in page
    assert "running container f5c7e4170221 (web) uses it" in page


def test_page_escapes_what_it_shows() -> None:
    host = load_demo()
    page = render_report(host, title="<b>x</b> & co")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in page and "<b>x</b>" not in page
