"""The report in headless Chromium: it draws the treemap, and asks the network for nothing.

The screenshot is decoded with the stdlib (``tests/pngread.py``) and the
treemap's box is checked pixel by pixel: nearly all of it is painted in the
report's status colours, and each status the host has shows. The network
log must hold no request from the page; a control page that does make one
proves the check sees requests.

Without Chromium the tests skip, saying so; with
``DOCKERMODEL_REQUIRE_ENGINE=1`` (CI) that is a failure.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browserkit
import enginekit
from pngread import read_png

from dockermodel import Host
from dockermodel.cli import load_demo
from dockermodel.report import COLORS, TREEMAP_BOX, render_report

WIDTH, HEIGHT = 1280, 900


@pytest.fixture(autouse=True)
def _chromium() -> None:
    reason = browserkit.unavailable_reason()
    if reason is None:
        return
    if os.environ.get(enginekit.REQUIRE_ENGINE_VARIABLE, "") not in ("", "0"):
        pytest.fail(f"{reason} ({enginekit.REQUIRE_ENGINE_VARIABLE}=1)", pytrace=False)
    pytest.skip(reason)


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _shoot(host: Host, tmp_path: Path) -> browserkit.Shot:
    page = tmp_path / "report.html"
    page.write_text(render_report(host, now=1795807893), encoding="utf-8")
    return browserkit.screenshot(page, WIDTH, HEIGHT)


def test_demo_report_draws_the_treemap_offline(tmp_path: Path) -> None:
    # GIVEN the demo host: a running container (web), a stopped one (worker),
    # an unused tagged image (api:dev) and a dangling one
    shot = _shoot(load_demo(), tmp_path)
    image = read_png(shot.png)
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    left, top, width, height = TREEMAP_BOX
    pixels = Counter(image.region(left, top, width, height))
    palette = {status: _hex(color) for status, (color, _) in COLORS.items()}
    painted = sum(pixels[c] for c in palette.values())
    # THEN the box is painted in the status colours (borders and labels excepted)
    assert painted >= 0.85 * width * height, pixels.most_common(5)
    for status in ("running", "stopped", "tagged", "unreferenced"):
        assert pixels[palette[status]] > 200, status
    # AND the page asked the network for nothing
    assert browserkit.page_requests(shot.netlog) == []


def test_the_request_check_sees_a_page_request(tmp_path: Path) -> None:
    # GIVEN a control page that loads an image from a dead local port
    page = tmp_path / "leak.html"
    page.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png">')
    shot = browserkit.screenshot(page, 400, 300)
    # THEN the check reports that request
    assert browserkit.page_requests(shot.netlog) == ["http://127.0.0.1:9/x.png"]


def test_report_of_a_host_with_nothing(tmp_path: Path) -> None:
    empty = Host.from_api({"images_all": [], "image_inspect": {}, "image_history": {},
                           "containers": []}, engine="20.10.24")
    shot = _shoot(empty, tmp_path)
    image = read_png(shot.png)
    left, top, width, height = TREEMAP_BOX
    assert image.pixel(left + width // 2, top + height // 2) == (0xEE, 0xF1, 0xF4)
    assert browserkit.page_requests(shot.netlog) == []
