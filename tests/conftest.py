"""Shared pytest fixtures: the throwaway engines (see ``tests/enginekit.py``).

* ``engine_spec`` — module-scoped, parametrized over the engine specs of
  ``DOCKERMODEL_ENGINES`` (a comma list such as
  ``20.10,26.1-overlay2,28.5-overlay2,28.5-containerd``; default ``20.10``,
  the engine the model supports). Test ids carry the spec
  (``test_x[28.5-containerd]``).
* ``engine`` — module-scoped: every test module that asks for it gets a fresh
  private ``dockerd`` of each spec, so modules cannot disturb each other; it
  is taken down (containers removed, processes ended, mounts and directory
  deleted) when the module's tests of that spec are done.
* Tests marked ``@pytest.mark.engine`` (and every user of the fixtures) are
  skipped with a visible reason when the engine cannot run here (not root, no
  ``dockerd``, a modern engine not unpacked by ``.ci/engines.sh``, no
  busybox, no CLI). With ``DOCKERMODEL_REQUIRE_ENGINE=1`` (CI sets it) that
  skip is a failure instead.
* The terminal summary names every engine the run started, with its
  ``dockerd --version``.
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


def require_engine(spec: enginekit.EngineSpec | None = None) -> None:
    """Skip (or fail, when an engine is required) unless ``spec`` can run here."""
    reason = enginekit.unavailable_reason(spec)
    if reason is None:
        return
    if engine_required():
        pytest.fail(f"{reason} ({enginekit.REQUIRE_ENGINE_VARIABLE}=1)", pytrace=False)
    pytest.skip(reason)


def engine_specs() -> list[enginekit.EngineSpec]:
    """The specs of ``DOCKERMODEL_ENGINES`` (a malformed list stops the run, naming it)."""
    try:
        return enginekit.specs_from_environment()
    except enginekit.EngineKitError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_configure(config: pytest.Config) -> None:
    """Check ``DOCKERMODEL_ENGINES``; keep the adapter's image cache out of the user's home."""
    engine_specs()
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
    started = enginekit.started_engines()
    if started:
        terminalreporter.section("dockermodel engines")
        for spec, (banner, count) in sorted(started.items()):
            times = "once" if count == 1 else f"{count} times"
            terminalreporter.write_line(f"{spec!s:<16} {banner}  (started {times})")
    if _SUMMARY:
        terminalreporter.section("dockermodel tallies")
        for line in _SUMMARY:
            terminalreporter.write_line(line)


def _spec_of(item: pytest.Item) -> enginekit.EngineSpec | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    spec = callspec.params.get("engine_spec")
    return spec if isinstance(spec, enginekit.EngineSpec) else None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("engine") is not None:
        require_engine(_spec_of(item))


def _specs_at_import() -> list[enginekit.EngineSpec]:
    # A malformed list is reported by pytest_configure, as a usage error.
    try:
        return enginekit.specs_from_environment()
    except enginekit.EngineKitError:
        return []


@pytest.fixture(scope="module", params=_specs_at_import(), ids=str)
def engine_spec(request: pytest.FixtureRequest) -> enginekit.EngineSpec:
    """Each engine spec of ``DOCKERMODEL_ENGINES`` in turn."""
    spec: enginekit.EngineSpec = request.param
    return spec


@pytest.fixture(scope="module")
def engine(engine_spec: enginekit.EngineSpec) -> Iterator[enginekit.Engine]:
    """A fresh throwaway engine of ``engine_spec`` for this test module."""
    require_engine(engine_spec)
    with enginekit.Engine(engine_spec) as started:
        yield started
