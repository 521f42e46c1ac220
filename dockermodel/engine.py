"""The read-only adapter: a live engine's JSON through docker-py, GET requests only.

This is the only module that imports ``docker``, and only inside functions,
so ``import dockermodel`` works without it.

What is read (API 1.41, ENGINE_SEMANTICS.md R9.1), in this order:

1. ``GET /version`` → ``version``
2. ``GET /images/json?all=1`` → ``images_all``
3. per listed image, ``GET /images/{id}/json`` and ``GET /images/{id}/history``
   → ``image_inspect[id]``, ``image_history[id]``
   (one function, :func:`_read_image`, so the per-image reads can later be
   spread over threads)
4. ``GET /containers/json?all=1&size=1`` → ``containers``
5. ``GET /system/df`` → ``system_df`` (volumes and build cache; optional)
6. ``GET /info`` → ``info`` (optional)

Nothing else is sent: no POST, no DELETE, no version negotiation beyond what
the caller's client does itself (``docker.from_env()`` asks ``/version``).

Consistency while the engine changes underneath
-----------------------------------------------
The reads are not atomic. An image listed in step 2 may be gone (HTTP 404)
when step 3 asks for it, because someone ran ``docker rmi`` or a prune in
between. The rule:

* such an image makes the whole read start again, from step 1, at most
  ``attempts`` times in all (default 3): a read in which nothing vanished
  describes one state the engine was really in (as far as images go);
* if the image set still moves during the last attempt, the vanished images
  are left out *consistently*: dropped from ``images_all``, and absent from
  ``image_inspect`` and ``image_history``. Nothing else is changed: the
  engine refuses to delete an image that has children (R5.4) even with
  ``-f``, so no image that is still there can have a vanished parent, and a
  container whose image was force-removed is a state the engine itself
  produces (R5.7), which :meth:`Host.from_api` accepts.

Images created after the listing are simply not seen; containers are listed
after the images, so a container may name an image younger than the list,
which is again a state the model accepts (as after a forced removal).

Errors (never a bare ``KeyError`` or a docker-py exception):

* no engine answers → :class:`~dockermodel.errors.EngineUnreachable` with the
  address (``unix:///var/run/docker.sock``, ``tcp://…``, …);
* an HTTP error, a timeout, or a body cut off in transfer →
  :class:`~dockermodel.errors.EngineRequestError` naming the request
  (``GET /images/sha256:…/json``) and the address;
* a body that is not JSON (malformed or truncated) or has the wrong shape →
  :class:`~dockermodel.errors.InvalidPayload` naming the field
  (``images_all[3].Id``, ``image_history['sha256:…']``). Deeper validation of
  every field is :meth:`Host.from_api`'s.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from . import _fields as f
from .errors import EngineRequestError, EngineUnreachable, InvalidPayload

if TYPE_CHECKING:
    from .host import Host

__all__ = ["DEFAULT_ATTEMPTS", "from_docker", "read_payloads"]

#: How many times a read that saw an image vanish is started again (in all).
DEFAULT_ATTEMPTS = 3

#: The address docker-py uses when ``DOCKER_HOST`` is not set.
_DEFAULT_ADDRESS = "unix:///var/run/docker.sock"

_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}\Z")


class _Vanished(Exception):
    """An image listed a moment ago answered 404 (internal signal)."""


@attrs.frozen
class _ImageRead:
    """The two per-image bodies: ``GET /images/{id}/json`` and ``/history``."""

    inspect: dict[str, Any]
    history: list[Any]


@attrs.frozen
class _Connection:
    """The docker-py low-level client and the address to name in errors."""

    api: Any
    address: str

    def call(
        self, field: str, request: str, method: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        """Run one docker-py GET, turning its failures into the library's errors.

        ``field`` names the payload value the body becomes; ``request`` is the
        HTTP request as the engine sees it (``GET /images/json?all=1``).
        """
        import docker
        import requests

        try:
            return method(*args, **kwargs)
        except (requests.exceptions.InvalidJSONError, json.JSONDecodeError) as error:
            # A malformed or truncated JSON body (requests' JSONDecodeError is
            # both a RequestException and a ValueError: caught first).
            raise InvalidPayload(field, f"{request} did not return JSON: {error}") from None
        except docker.errors.APIError as error:
            status = error.status_code
            message = str(error.explanation or error)
            if status == 404 and field.startswith(("image_inspect", "image_history")):
                raise _Vanished(message) from None
            raise EngineRequestError(self.address, request, status, message) from None
        except requests.exceptions.ConnectionError as error:
            # ChunkedEncodingError is not a ConnectionError; this is "nobody answered".
            raise EngineUnreachable(self.address, _reason(error)) from None
        except requests.exceptions.Timeout as error:
            raise EngineRequestError(
                self.address, request, None, f"no answer in time ({_reason(error)})"
            ) from None
        except requests.exceptions.RequestException as error:
            # ChunkedEncodingError, ContentDecodingError, …: the body broke in transfer.
            raise EngineRequestError(
                self.address, request, None, f"broken response ({_reason(error)})"
            ) from None
        except docker.errors.DockerException as error:
            raise EngineRequestError(self.address, request, None, str(error)) from None


def _reason(error: BaseException) -> str:
    """The innermost useful text of a requests/urllib3 exception chain."""
    text = str(error)
    inner: BaseException | None = error
    for _ in range(5):
        args = getattr(inner, "args", ())
        nested = next((a for a in args if isinstance(a, BaseException)), None)
        if nested is None:
            nested = getattr(inner, "reason", None)
            if not isinstance(nested, BaseException):
                break
        inner = nested
        if str(inner):
            text = str(inner)
    return text


def _address(api: Any) -> str:
    """The address of docker-py client ``api`` as a user would write it."""
    base = str(getattr(api, "base_url", ""))
    adapter = getattr(api, "_custom_adapter", None)
    if base.startswith("http+docker://"):
        for attribute, scheme in (
            ("socket_path", "unix://"),
            ("npipe_path", "npipe://"),
            ("ssh_host", "ssh://"),
        ):
            value = getattr(adapter, attribute, None)
            if isinstance(value, str) and value:
                return value if value.startswith(scheme) else scheme + value
    if base.startswith("https://"):
        return "tcp://" + base[len("https://") :]
    if base.startswith("http://"):
        return "tcp://" + base[len("http://") :]
    return base or _DEFAULT_ADDRESS


def _connect(client: Any) -> tuple[_Connection, Any]:
    """The connection for ``client``; the second value is a client to close, if ours."""
    import docker

    owned = None
    if client is None:
        address = os.environ.get("DOCKER_HOST") or _DEFAULT_ADDRESS
        try:
            client = owned = docker.from_env()
        except docker.errors.DockerException as error:
            raise EngineUnreachable(address, _reason(error)) from None
    api = client if isinstance(client, docker.APIClient) else getattr(client, "api", client)
    if not all(callable(getattr(api, name, None)) for name in ("images", "inspect_image")):
        raise TypeError(
            "client must be a docker.DockerClient, a docker.APIClient or None, "
            f"not {type(client).__name__}"
        )
    return _Connection(api, _address(api)), owned


# --------------------------------------------------------------------------
# The reads
# --------------------------------------------------------------------------


def _read_image(conn: _Connection, image_id: str) -> _ImageRead | None:
    """``GET /images/{id}/json`` and ``/history`` for one image; ``None`` if it vanished.

    The unit of work per image (independent of every other image).
    """
    inspect_field = f"image_inspect[{image_id!r}]"
    history_field = f"image_history[{image_id!r}]"
    try:
        inspect = conn.call(
            inspect_field, f"GET /images/{image_id}/json", conn.api.inspect_image, image_id
        )
        history = conn.call(
            history_field, f"GET /images/{image_id}/history", conn.api.history, image_id
        )
    except _Vanished:
        return None
    inspect_obj = dict(f.obj(inspect, inspect_field))
    if inspect_obj.get("Id") != image_id:
        raise InvalidPayload(
            f"{inspect_field}.Id", f"expected {image_id}, got {inspect_obj.get('Id')!r}"
        )
    return _ImageRead(inspect_obj, list(f.arr(history, history_field)))


def _read_images(
    conn: _Connection, image_ids: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[Any]], set[str]]:
    """Inspect and history of every image; and the set of those that vanished."""
    inspects: dict[str, dict[str, Any]] = {}
    histories: dict[str, list[Any]] = {}
    vanished: set[str] = set()
    for image_id in image_ids:
        result = _read_image(conn, image_id)
        if result is None:
            vanished.add(image_id)
        else:
            inspects[image_id] = result.inspect
            histories[image_id] = result.history
    return inspects, histories, vanished


def _image_list(conn: _Connection) -> list[dict[str, Any]]:
    body = conn.call("images_all", "GET /images/json?all=1", conn.api.images, all=True)
    items = [
        dict(f.obj(item, f"images_all[{i}]")) for i, item in enumerate(f.arr(body, "images_all"))
    ]
    for i, item in enumerate(items):
        image_id = f.string(item, "Id", f"images_all[{i}]")
        if not _IMAGE_ID.match(image_id):
            raise InvalidPayload(
                f"images_all[{i}].Id", f"expected sha256: and 64 lowercase hex, got {image_id!r}"
            )
    return items


def _read_once(
    conn: _Connection, *, system_df: bool, info: bool, exclude_vanished: bool
) -> tuple[dict[str, Any], set[str]]:
    version = dict(f.obj(conn.call("version", "GET /version", conn.api.version), "version"))
    images_all = _image_list(conn)
    inspects, histories, vanished = _read_images(conn, [str(item["Id"]) for item in images_all])
    if vanished and not exclude_vanished:
        return {}, vanished
    if vanished:
        images_all = [item for item in images_all if item["Id"] not in vanished]
    containers = f.arr(
        conn.call(
            "containers",
            "GET /containers/json?all=1&size=1",
            conn.api.containers,
            all=True,
            size=True,
        ),
        "containers",
    )
    for i, item in enumerate(containers):
        f.obj(item, f"containers[{i}]")
    payloads: dict[str, Any] = {
        "images_all": images_all,
        "image_inspect": inspects,
        "image_history": histories,
        "containers": list(containers),
    }
    if system_df:
        df = conn.call("system_df", "GET /system/df", conn.api.df)
        payloads["system_df"] = dict(f.obj(df, "system_df"))
    payloads["version"] = version
    if info:
        payloads["info"] = dict(f.obj(conn.call("info", "GET /info", conn.api.info), "info"))
    return payloads, vanished


def read_payloads(
    client: Any = None,
    *,
    system_df: bool = True,
    info: bool = True,
    attempts: int = DEFAULT_ATTEMPTS,
) -> dict[str, Any]:
    """The payload document of a live engine: its JSON bodies exactly as returned.

    ``client`` is a ``docker.DockerClient``, a ``docker.APIClient``, or
    ``None`` for ``docker.from_env()`` (closed again afterwards). Keys:
    ``images_all``, ``image_inspect``, ``image_history``, ``containers``,
    ``system_df`` (unless ``system_df=False``), ``version`` and ``info``
    (unless ``info=False``). Only GET requests are sent.

    An image that vanishes mid-read restarts the read, up to ``attempts``
    reads in all; the last one leaves vanished images out consistently (see
    the module docstring).
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    conn, owned = _connect(client)
    try:
        for attempt in range(1, attempts + 1):
            payloads, _ = _read_once(
                conn, system_df=system_df, info=info, exclude_vanished=attempt == attempts
            )
            if payloads:
                return payloads
        raise AssertionError("unreachable: the last attempt always returns")  # pragma: no cover
    finally:
        if owned is not None:
            owned.close()


def from_docker(client: Any = None, **options: Any) -> Host:
    """A :class:`~dockermodel.host.Host` of a live engine: :func:`read_payloads` + ``from_api``.

    ``options`` are :func:`read_payloads`' keyword arguments.
    """
    from .host import Host

    return Host.from_api(read_payloads(client, **options))
