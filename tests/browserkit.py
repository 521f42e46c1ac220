"""Headless Chromium for the report tests: a screenshot, and the requests the page made.

Chromium runs with a fresh profile in a temporary directory, every
background service it can turn off turned off, and its network log
(``--log-net-log``) written beside the screenshot. The browser itself still
makes a few requests of its own (time, account checks); they carry the
initiator ``not an origin``. A request the *page* makes carries the page's
origin (``null`` for a ``file://`` page), so :func:`page_requests` keeps
those.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CHROMIUM", "Shot", "page_requests", "screenshot", "unavailable_reason"]

CHROMIUM = os.environ.get("DOCKERMODEL_CHROMIUM", "/usr/bin/chromium")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--force-device-scale-factor=1",
    "--hide-scrollbars",
]


def unavailable_reason() -> str | None:
    """Why Chromium cannot run here, or ``None``."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    return None


@dataclass
class Shot:
    png: bytes
    netlog: dict[str, object]
    seconds: float


def screenshot(page: Path, width: int, height: int, timeout: float = 60.0) -> Shot:
    """Open ``page`` (a file) in headless Chromium and take a ``width`` × ``height`` screenshot."""
    import time

    directory = Path(tempfile.mkdtemp(prefix="dm-chromium-"))
    try:
        png, log = directory / "shot.png", directory / "net.json"
        command = [
            CHROMIUM, *FLAGS,
            f"--user-data-dir={directory / 'profile'}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            f"--log-net-log={log}",
            page.resolve().as_uri(),
        ]  # fmt: skip
        began = time.monotonic()
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        seconds = time.monotonic() - began
        if result.returncode != 0 or not png.exists():
            raise RuntimeError(
                f"chromium failed ({result.returncode}): {result.stderr.decode()[-2000:]}"
            )
        return Shot(png.read_bytes(), json.loads(log.read_text()), seconds)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def page_requests(netlog: dict[str, object]) -> list[str]:
    """URLs of the network requests the page started (not the browser's own)."""
    constants = netlog["constants"]
    assert isinstance(constants, dict)
    names = {v: k for k, v in constants["logEventTypes"].items()}
    out = []
    events = netlog["events"]
    assert isinstance(events, list)
    for event in events:
        if names.get(event["type"]) != "URL_REQUEST_START_JOB":
            continue
        params = event.get("params") or {}
        if "url" in params and params.get("initiator") != "not an origin":
            out.append(str(params.get("url")))
    return out
