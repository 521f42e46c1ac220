"""Shared pytest fixtures: the throwaway engine (see ``tests/enginekit.py``).

* ``engine`` — module-scoped: every test module that asks for it gets a fresh
  private ``dockerd`` of its own, so modules cannot disturb each other; it is
  taken down (containers removed, processes ended, mounts and directory
  deleted) when the module's tests are done.
* Tests marked ``@pytest.mark.engine`` (and every user of the fixture) are
  skipped with a visible reason when no engine can run here (not root, no
  ``dockerd``, no busybox, no CLI). With ``DOCKERMODEL_REQUIRE_ENGINE=1`` (CI
  sets it) that skip is a failure instead.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import enginekit


def engine_required() -> bool:
    """Whether an engine test may not skip (``DOCKERMODEL_REQUIRE_ENGINE=1``)."""
    return os.environ.get(enginekit.REQUIRE_ENGINE_VARIABLE, "") not in ("", "0")


def require_engine() -> None:
    """Skip (or fail, when an engine is required) unless an engine can run here."""
    reason = enginekit.unavailable_reason()
    if reason is None:
        return
    if engine_required():
        pytest.fail(f"{reason} ({enginekit.REQUIRE_ENGINE_VARIABLE}=1)", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    """Keep the adapter's image cache out of the user's home during tests."""
    if "DOCKERMODEL_TEST_CACHE" not in os.environ:
        directory = tempfile.mkdtemp(prefix="dm-cache-")
        os.environ["DOCKERMODEL_TEST_CACHE"] = directory
        os.environ["XDG_CACHE_HOME"] = directory
        atexit.register(shutil.rmtree, directory, True)


_SUMMARY: list[str] = []


@pytest.fixture(scope="session")
def summary() -> list[str]:
    """Lines a test wants shown after the run (tallies), even when output is captured."""
    return _SUMMARY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SUMMARY:
        terminalreporter.section("dockermodel tallies")
        for line in _SUMMARY:
            terminalreporter.write_line(line)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("engine") is not None:
        require_engine()


@pytest.fixture(scope="module")
def engine() -> Iterator[enginekit.Engine]:
    """A fresh throwaway engine for this test module."""
    require_engine()
    with enginekit.Engine() as started:
        yield started
