"""The v2.8.1 parser against a real Engine 20.10.24: every differing input.

Each input on which docker/distribution v2.8.1 and distribution/reference
v0.6 answer differently (``DIFFERENCES`` of ``tests/test_reference_v2_8.py``),
plus the boundaries where they agree, goes to a throwaway Engine 20.10.24
(``tests/enginekit.py``) holding one image, ``base:1``, through every route
that resolves a name:

* ``GET /images/{name}/json``: ``GetImage``'s error, wrapped by
  ``LookupImage`` as ``no such image: NAME: …`` [moby/moby
  daemon/images/image_inspect.go · LookupImage at v20.10.24];
* ``DELETE /images/{name}``: ``ImageDelete``'s error, predicted by
  :meth:`Host.plan_rmi`;
* ``GET /images/json`` with the ``reference`` filter (a pattern, never
  parsed: ``FamiliarMatch`` on the stored references) and the ``before`` and
  ``since`` filters (parsed by ``GetImage``), predicted by
  :meth:`Host.list_images`.

The model's message must equal the engine's exactly, with the same status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker
import pytest
from test_reference_v2_8 import AGREEMENTS, DIFFERENCES

from dockermodel import EngineError
from dockermodel.engine import from_docker
from dockermodel.host import Host

pytestmark = pytest.mark.engine


def _routable(text: str) -> bool:
    """An image name the API routes can carry (``{name:.*}`` stops at a newline)."""
    return bool(text) and "\n" not in text and "//" not in text


NAMES = sorted(
    {row[2] for row in DIFFERENCES if _routable(row[2])}
    | {row[1] for row in AGREEMENTS if _routable(row[1])}
)


def _short(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:30]}…({len(text)})"


@pytest.fixture(scope="module")
def host(engine: Any) -> Host:
    engine.build(["ENV A=1"], tag="base:1")
    return from_docker(engine.client)


def _engine(call: Callable[[], Any]) -> tuple[int, Any]:
    """(HTTP status, body or JSON message) of a docker-py call."""
    try:
        return 200, call()
    except docker.errors.APIError as error:
        assert error.response is not None
        return error.response.status_code, error.explanation


def _model(call: Callable[[], Any]) -> tuple[int, Any]:
    try:
        return 200, call()
    except EngineError as error:
        return error.status, error.message


def test_every_differing_input_is_sent_to_a_known_state(engine: Any, host: Host) -> None:
    assert {row[2] for row in DIFFERENCES} <= set(NAMES)
    assert engine.api.images() == host.list_images()


@pytest.mark.parametrize("name", NAMES, ids=_short)
def test_inspect_error_is_the_engines(engine: Any, host: Host, name: str) -> None:
    status, message = _model(lambda: host.find_image(name))
    assert status in (400, 404)
    if engine.spec.version == "20.10":
        # 20.10's inspect route wraps the lookup error
        # [moby v20.10.24 daemon/images/image.go · ImageService.LookupImage]
        message = f"no such image: {name}: {message}"
    assert _engine(lambda: engine.api.inspect_image(name)) == (status, message)


@pytest.mark.parametrize("name", NAMES, ids=_short)
def test_delete_error_is_the_engines(engine: Any, host: Host, name: str) -> None:
    predicted = _model(lambda: host.plan_rmi(name))
    assert predicted[0] in (400, 404)
    assert _engine(lambda: engine.api.remove_image(name)) == predicted


@pytest.mark.parametrize("key", ["reference", "before", "since"])
@pytest.mark.parametrize("name", NAMES, ids=_short)
def test_image_list_filters_are_the_engines(
    engine: Any, host: Host, name: str, key: str
) -> None:
    filters = {key: [name]}
    predicted = _model(lambda: host.list_images(filters=filters))
    assert _engine(lambda: engine.api.images(filters=filters)) == predicted
    # the pattern is never parsed; before and since resolve the name
    assert (predicted[0] == 200) is (key == "reference")
