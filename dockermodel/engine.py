"""The read-only adapter: a live engine's JSON bodies, GET requests only.

This is the only module that imports ``docker`` (docker-py, plus a minimal
HTTP client for the per-image GETs), and only inside functions,
so ``import dockermodel`` works without it. The rules below are explained
with measurements in ``docs/engine.md``.

What is read (API 1.41 and later)
---------------------------------
1. ``GET /info`` → ``info`` (the engine's ``ID`` keys the cache; kept in the
   payloads unless ``info=False``) and ``GET /version`` → ``version``;
2. ``GET /images/json?all=1`` → ``images_all``: tags, digests, parents and
   ``Size`` of every image, read fresh every time. It is the long pole of a
   warm read (the engine reads every image's config to answer it), so it is
   sent first, with ``/version`` and ``/system/df``, each on a thread of its
   own; meanwhile the cache is loaded on the calling thread and what its
   inspect bodies give the model (diff ids, chain ids, creation times) is
   worked out (:func:`dockermodel._mapping.prepare_inspects`), so that little
   is left to do once the list arrives;
3. per listed image, its inspect body ``GET /images/{id}/json`` →
   ``image_inspect[id]`` (``RootFS.Layers`` and ``Created`` are needed for
   every image) — from the cache when an entry for (engine ``ID``, image id)
   exists, else from the engine;
4. ``GET /images/{id}/history`` → ``image_history[id]`` only for the images
   :func:`dockermodel._mapping.history_needed` names (``history="all"``: for
   every image): those holding a layer that no ``Size`` difference sizes
   (below), again from the cache when it has the history;
5. ``GET /containers/json?all=1&size=1`` → ``containers``, asked as soon as
   the image list has arrived, while the images are read and parsed;
6. ``GET /system/df`` → ``system_df`` (volumes and build cache; unless
   ``system_df=False``), sent first on a thread of its own so the engine
   computes it while the images are read. From API 1.42 it asks
   ``?type=volume&type=build-cache``: the engine then skips the image and
   container sizes the model computes itself, and answers at once; Engine
   20.10 (API 1.41) computes the whole ``docker system df`` for it.

The images are parsed once per read (:class:`dockermodel._mapping.ParsedImages`):
the parse that finds the histories needed is the one :func:`from_docker`
builds the host from.

Nothing else is sent: no POST, no DELETE, no version negotiation beyond what
the caller's client does itself (``docker.from_env()`` asks ``/version``).

Which layers need a history
---------------------------
An image's ``Size`` is the sum of its chain's DiffSizes, and a chain
id names its whole prefix. So if layer ``c`` (below it ``p``) is the
top layer of an image ``A`` and ``p`` the top layer of an image ``B`` (any
image, not only ``A``'s parent), then ``chain(A) = chain(B) + [c]`` and
``DiffSize(c) = Size(A) − Size(B)``; a base layer that is some image's top is
that image's ``Size``. The classic builder and ``docker commit`` leave an
image at every step, so on such hosts every layer is sized this way and no
history is read at all. A layer that is the top of no image, or whose lower
neighbour is the top of no image (BuildKit and pulled images, which hold
several layers and no intermediates), falls back to a history: the history
of the image with the shortest chain holding it, plus that image's local
ancestors (needed to attribute zero-size entries exactly).

Threads and transport
---------------------
The per-image requests are spread over ``workers`` threads (default
:data:`DEFAULT_WORKERS`). docker-py spends about 1 ms of client CPU per
request (requests and urllib3), which on a small host is CPU the engine does
not get; so by default (``transport="lean"``) each thread sends them through
a minimal keep-alive HTTP/1.1 connection (:class:`_Lean`, GET only) to the
caller's address, API version, headers and timeout — for an unmodified
``docker.APIClient``/``DockerClient`` over ``unix://`` or plain ``tcp://``.
Otherwise, and with ``transport="docker-py"``, each thread gets a docker-py
``APIClient`` made from the caller's (same address, API version, timeout,
TLS settings and headers). A client that is not exactly a
``docker.APIClient``/``DockerClient`` (a subclass may override requests) or
a transport that cannot be cloned (``ssh://``, ``npipe://``) reads
everything on the caller's client, one request at a time, as does
``workers=1`` with ``transport="docker-py"``. The list, container, info,
version and ``/system/df`` requests always go through docker-py.

Consistency while the engine changes underneath
-----------------------------------------------
The reads are not atomic. An image listed in step 2 may be gone (HTTP 404)
when step 3 or 4 asks for it, because someone ran ``docker rmi`` or a prune
in between. The rule:

* such an image makes the whole read start again, from step 2, at most
  ``attempts`` times in all (default 3): a read in which nothing vanished
  describes one state the engine was really in (as far as images go). An
  image answered from the cache is not asked again: its cached facts are
  those of the listed id, so the listing alone fixes the image state;
* if the image set still moves during the last attempt, the vanished images
  are left out *consistently*: dropped from ``images_all``, and absent from
  ``image_inspect`` and ``image_history`` (and the histories that their
  ``Size`` made unnecessary are then read). Nothing else is changed: the
  engine refuses to delete an image that has children even with
  ``-f``, so no image that is still there can have a vanished parent, and a
  container whose image was force-removed is a state the engine itself
  produces, which :meth:`Host.from_api` accepts.

Images created after the listing are simply not seen; containers are listed
after the images, so a container may name an image younger than the list,
which is again a state the model accepts (as after a forced removal).
``/system/df`` runs alongside; only its ``Volumes`` and ``BuildCache`` are
used, which no image read depends on. On a read that started again, the
containers are listed after the last image list.

The cache
---------
See :mod:`dockermodel._cache`: the inspect body (less ``RepoTags``,
``RepoDigests``, ``Parent``, ``Metadata``, ``GraphDriver``) and, once read,
the history (less each entry's ``Tags``) of every image, keyed by the
engine's ``ID`` and the image id, under ``$XDG_CACHE_HOME/dockermodel``.
Payload bodies that came from the cache therefore lack those fields; nothing
:meth:`Host.from_api` reads is among them. ``cache=False`` or
``DOCKERMODEL_NO_CACHE=1`` turns it off; ``cache=PATH`` puts it elsewhere.

Errors (never a bare ``KeyError`` or a docker-py exception):

* no engine answers → :class:`~dockermodel.errors.EngineUnreachable` with the
  address (``unix:///var/run/docker.sock``, ``tcp://…``, …); the socket
  refuses this user → its subclass
  :class:`~dockermodel.errors.EnginePermissionDenied` (the docker client's
  message);
* an HTTP error (docker-py's version negotiation included), no answer within
  the client's timeout (``timeout``, :data:`DEFAULT_TIMEOUT` seconds for a
  client made here), a connection closed without an answer, or a body cut
  off in transfer → :class:`~dockermodel.errors.EngineRequestError` naming
  the request (``GET /images/sha256:…/json``) and the address; an engine
  that answered ``GET /info`` and then stops answering is one too ("the
  engine stopped answering during the read"), not an unreachable engine;
* a body that is not JSON (malformed or truncated) or has the wrong shape →
  :class:`~dockermodel.errors.InvalidPayload` naming the field
  (``images_all[3].Id``, ``image_history['sha256:…']``). Deeper validation of
  every field is :meth:`Host.from_api`'s.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextvars import ContextVar
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from . import _fields as f
from ._cache import ImageCache, cache_disabled_by_environment, default_directory
from .errors import (
    EnginePermissionDenied,
    EngineRequestError,
    EngineUnreachable,
    InvalidPayload,
)
from .profiles import detect_store

if TYPE_CHECKING:
    from ._mapping import ParsedImages
    from .host import Host

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WORKERS",
    "PROGRESS_DELAY",
    "Progress",
    "configured_address",
    "from_docker",
    "read_payloads",
]

#: How many times a read that saw an image vanish is started again (in all).
DEFAULT_ATTEMPTS = 3
#: Threads for the per-image requests (``docs/engine.md`` measures the choice).
DEFAULT_WORKERS = 8
#: Seconds a read runs before the automatic progress line appears on stderr.
PROGRESS_DELAY = 1.0

#: ``progress(done, total)``: per-image requests answered so far, and known in all.
Progress = Callable[[int, int], None]

#: Seconds to wait for the answer to one request, for a client made here
#: (``client=None``): docker-py's own default.
DEFAULT_TIMEOUT = 60.0

#: The socket docker-py uses when ``DOCKER_HOST`` is not set.
_DEFAULT_SOCKET = "/var/run/docker.sock"
_DEFAULT_ADDRESS = "unix://" + _DEFAULT_SOCKET

_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}\Z")

_T = TypeVar("_T")
_R = TypeVar("_R")


class _Vanished(Exception):
    """An image listed a moment ago answered 404 (internal signal)."""


class _ConnectionClosed(EngineRequestError):
    """The engine closed the connection instead of answering (a broken response)."""

    def __init__(
        self,
        address: str,
        request: str,
        status: int | None = None,
        message: str = "broken response (the engine closed the connection)",
    ) -> None:
        super().__init__(address, request, status, message)


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
            # ChunkedEncodingError is not a ConnectionError; this is "nobody answered"
            raise _connection_failed(self.address, request, error) from None
        except requests.exceptions.Timeout as error:
            raise EngineRequestError(
                self.address, request, None, _no_answer(self.api, error)
            ) from None
        except requests.exceptions.RequestException as error:
            # ChunkedEncodingError, ContentDecodingError, …: the body broke in transfer.
            raise EngineRequestError(
                self.address, request, None, f"broken response ({_reason(error)})"
            ) from None
        except docker.errors.DockerException as error:
            raise EngineRequestError(self.address, request, None, str(error)) from None


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the exceptions inside it (arguments, ``reason``, causes), outermost first."""
    seen: list[BaseException] = []
    todo = [error]
    while todo and len(seen) < 20:
        item = todo.pop(0)
        if any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
        for attribute in ("reason", "__cause__", "__context__"):
            inner = getattr(item, attribute, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
    return seen


def _connection_failed(address: str, request: str, error: BaseException) -> Exception:
    """The library's error for a connection that failed (requests' ``ConnectionError``).

    Permission denied on the socket is :class:`EnginePermissionDenied`; a
    connection the engine accepted and closed without answering is a broken
    response; anything else (no such socket, connection refused) is
    :class:`EngineUnreachable`.
    """
    import http.client

    chain = _chain(error)
    if any(isinstance(e, PermissionError) for e in chain):
        return EnginePermissionDenied(address, "connect: permission denied", request)
    if any(isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError)) for e in chain):
        return _ConnectionClosed(address, request)
    return EngineUnreachable(address, _reason(error), request)


def _no_answer(api: Any, error: BaseException) -> str:
    """``no answer in time (waited N s)`` for a request that timed out."""
    timeout = getattr(api, "timeout", None)
    if isinstance(timeout, (int, float)):
        return f"no answer in time (waited {timeout:g} s)"
    return f"no answer in time ({_reason(error)})"


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
        if isinstance(inner, OSError) and inner.strerror:
            text = inner.strerror  # "Connection refused", without "[Errno 111]"
        elif str(inner):
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


def configured_address() -> str | None:
    """The engine ``docker.from_env()`` would use, or ``None`` when none is configured at all.

    ``DOCKER_HOST`` when it is set (and not empty); otherwise the default
    socket ``unix:///var/run/docker.sock`` when that path exists (a socket
    left by an engine that stopped counts: an engine was configured there).
    """
    host = os.environ.get("DOCKER_HOST")
    if host:
        return host
    return _DEFAULT_ADDRESS if os.path.lexists(_DEFAULT_SOCKET) else None


def _from_env_failed(address: str, error: BaseException, timeout: float) -> Exception:
    """The library's error for ``docker.from_env()`` failing.

    docker-py asks ``GET /version`` to negotiate the API version and wraps
    whatever happens in a ``DockerException``; its cause tells which failure
    it was.
    """
    import docker
    import requests

    request = "GET /version"
    cause = error.__cause__
    if isinstance(cause, requests.exceptions.Timeout):
        waited = f"no answer in time (waited {timeout:g} s)"
        return EngineRequestError(address, request, None, waited)
    if isinstance(cause, docker.errors.APIError):
        return EngineRequestError(
            address, request, cause.status_code, str(cause.explanation or cause)
        )
    if isinstance(cause, requests.exceptions.ConnectionError):
        return _connection_failed(address, request, cause)
    if cause is not None:  # an answer docker-py could not use
        return EngineRequestError(address, request, None, _reason(error))
    return EngineUnreachable(address, _reason(error))  # e.g. a malformed DOCKER_HOST


def _connect(client: Any, timeout: float | None = None) -> tuple[_Connection, Any]:
    """The connection for ``client``; the second value is a client to close, if ours."""
    import docker

    owned = None
    if client is None:
        address = os.environ.get("DOCKER_HOST") or _DEFAULT_ADDRESS
        wait = DEFAULT_TIMEOUT if timeout is None else timeout
        try:
            # the address named here, also when it is the default socket
            environment = {**os.environ, "DOCKER_HOST": address}
            client = owned = docker.from_env(timeout=wait, environment=environment)
        except docker.errors.DockerException as error:
            raise _from_env_failed(address, error, wait) from None
    api = client if isinstance(client, docker.APIClient) else getattr(client, "api", client)
    if not all(callable(getattr(api, name, None)) for name in ("images", "inspect_image")):
        raise TypeError(
            "client must be a docker.DockerClient, a docker.APIClient or None, "
            f"not {type(client).__name__}"
        )
    return _Connection(api, _address(api)), owned


# --------------------------------------------------------------------------
# Threads: one docker-py client per thread
# --------------------------------------------------------------------------


def _clone(api: Any) -> Any | None:
    """A new ``APIClient`` to the same engine as ``api``, or ``None`` if none can be made.

    Same address, API version (no negotiation request), timeout, TLS
    verification and client certificate, and headers. Only for an unmodified
    ``docker.APIClient`` over ``unix://`` or ``tcp://``.
    """
    import docker

    if type(api) is not docker.APIClient:
        return None
    address = _address(api)
    version = getattr(api, "_version", None)
    if not address.startswith(("unix://", "tcp://")) or not isinstance(version, str):
        return None
    tls = str(api.base_url).startswith("https://")
    clone = docker.APIClient(base_url=address, version=version, timeout=api.timeout, tls=tls)
    clone.headers = api.headers.copy()
    clone.verify = api.verify
    clone.cert = api.cert
    # over a unix socket no proxy or netrc applies: skip requests' environment lookups
    clone.trust_env = api.trust_env and not address.startswith("unix://")
    return clone


class _Lean:
    """A minimal keep-alive HTTP/1.1 client for the per-image GETs (one per thread).

    docker-py spends about 1 ms of client CPU per request here (requests and
    urllib3), which on a 2-core host is CPU the engine does not get; this
    client spends about a fifth of it. It can send nothing but ``GET``, to
    the same address, API version, headers and timeout as the caller's
    ``APIClient``. Made only for ``unix://`` and plain ``tcp://`` (no TLS).
    """

    def __init__(self, api: Any, address: str) -> None:
        self.address = address
        self.prefix = f"/v{api._version}"
        self.timeout = api.timeout
        self.headers = {k: str(v) for k, v in api.headers.items() if k.lower() != "connection"}
        self._http: Any = None

    def _connect(self) -> Any:
        import http.client
        import socket

        timeout = self.timeout
        if self.address.startswith("unix://"):
            path = self.address[len("unix://") :]

            class _Unix(http.client.HTTPConnection):
                response_class = _response_class()

                def connect(self) -> None:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    sock.settimeout(timeout)
                    sock.connect(path)
                    self.sock = sock

            return _Unix("localhost", timeout=timeout)
        host, _, port = self.address[len("tcp://") :].rpartition(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
        connection.response_class = _response_class()
        return connection

    def get(self, field: str, path: str) -> Any:
        """The JSON body of ``GET path`` (no version prefix); errors as ``_Connection.call``."""
        import http.client

        request = f"GET {path}"
        for attempt in (1, 2):
            fresh = self._http is None
            if fresh:
                self._http = self._connect()
            try:
                self._http.request("GET", self.prefix + path, headers=self.headers)
                response = self._http.getresponse()
                body = response.read()
                break
            except TimeoutError as error:
                self.close()
                waited = f"waited {self.timeout:g} s" if self.timeout is not None else str(error)
                raise EngineRequestError(
                    self.address, request, None, f"no answer in time ({waited})"
                ) from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # a kept-alive connection the engine closed meanwhile: once more, afresh
                self.close()
                if fresh or attempt == 2:
                    raise _ConnectionClosed(self.address, request) from None
            except PermissionError:
                self.close()
                raise EnginePermissionDenied(
                    self.address, "connect: permission denied", request
                ) from None
            except (ConnectionRefusedError, FileNotFoundError) as error:
                # nobody listens there (any more)
                self.close()
                raise EngineUnreachable(
                    self.address, error.strerror or str(error), request
                ) from None
            except (http.client.HTTPException, ConnectionError) as error:
                self.close()
                raise EngineRequestError(
                    self.address, request, None, f"broken response ({error!r})"
                ) from None
            except OSError as error:
                self.close()
                raise EngineUnreachable(
                    self.address, error.strerror or str(error), request
                ) from None
        if response.will_close:
            self.close()
        status = response.status
        if status >= 400:
            try:
                message = str(json.loads(body)["message"])
            except (ValueError, KeyError, TypeError):
                message = body.decode(errors="replace")
            if status == 404 and field.startswith(("image_inspect", "image_history")):
                raise _Vanished(message)
            raise EngineRequestError(self.address, request, status, message)
        try:
            return json.loads(body)
        except ValueError as error:
            raise InvalidPayload(field, f"{request} did not return JSON: {error}") from None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


_RESPONSE: Any = None


def _response_class() -> Any:
    """``http.client.HTTPResponse`` with a plain reader of the engine's few header lines.

    The standard one hands them to the ``email`` package's parser, which
    costs more client CPU than the rest of the request (about 60 µs per
    response); this reads ``Name: value`` lines into the same
    ``HTTPMessage``. Everything else (status line, chunked bodies, keep-alive
    and its errors) is ``http.client``'s own.
    """
    global _RESPONSE
    if _RESPONSE is not None:
        return _RESPONSE
    import http.client

    class _Response(http.client.HTTPResponse):
        def begin(self) -> None:
            started: Any = self.headers  # None until the response is read
            if started is not None:
                return
            while True:
                version, status, reason = self._read_status()  # type: ignore[attr-defined]
                if status != http.client.CONTINUE:
                    break
                http.client._read_headers(self.fp)  # type: ignore[attr-defined]
            self.code = self.status = status
            self.reason = reason.strip()
            if version in ("HTTP/1.0", "HTTP/0.9"):
                self.version = 10
            elif version.startswith("HTTP/1."):
                self.version = 11
            else:
                raise http.client.UnknownProtocol(version)
            message = http.client.HTTPMessage()
            lines = http.client._read_headers(self.fp)  # type: ignore[attr-defined]
            for line in lines[:-1]:
                name, colon, value = line.decode("iso-8859-1").partition(":")
                if colon:
                    message[name.strip()] = value.strip()
            self.headers = self.msg = message
            encoding = message.get("transfer-encoding")
            self.chunked = encoding is not None and encoding.lower() == "chunked"
            self.chunk_left = None
            self.will_close = self._check_close()  # type: ignore[attr-defined]
            self.length = None
            length = message.get("content-length")
            if length and not self.chunked:
                try:
                    self.length = int(length)
                except ValueError:
                    self.length = None
                else:
                    if self.length < 0:
                        self.length = None
            method = self._method  # type: ignore[attr-defined]
            if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
                self.length = 0
            if not self.will_close and not self.chunked and self.length is None:
                self.will_close = True

    _RESPONSE = _Response
    return _Response


def _lean_possible(api: Any, address: str) -> bool:
    import docker

    return (
        type(api) is docker.APIClient
        and isinstance(getattr(api, "_version", None), str)
        and (address.startswith("unix://") or str(api.base_url).startswith("http://"))
    )


Transport = Literal["lean", "docker-py"]


class _Pool:
    """Runs per-item reads on up to ``workers`` threads, one client per thread.

    ``transport="lean"``: a :class:`_Lean` client per thread (also on the
    calling thread with ``workers=1``) when the caller's client allows it;
    otherwise, and with ``"docker-py"``, a docker-py ``APIClient`` clone per
    thread, or with ``workers=1`` or no clone possible, the caller's client.
    """

    def __init__(self, conn: _Connection, workers: int, transport: Transport = "lean") -> None:
        self.conn = conn
        self.workers = workers
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients: list[Any] = []
        self.lean = transport == "lean" and _lean_possible(conn.api, conn.address)
        self.can_clone = _clone(conn.api) is not None
        self.concurrent = workers > 1 and (self.lean or self.can_clone)

    def connection(self) -> _Connection:
        """This thread's docker-py connection (a clone; the caller's when none can be made)."""
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            clone = _clone(self.conn.api)
            if clone is None:
                return self.conn
            with self._lock:
                self._clients.append(clone)
            conn = self._local.conn = _Connection(clone, self.conn.address)
        return conn

    def reader(self) -> _Connection | _Lean:
        """This thread's client for the per-image GETs."""
        if not self.lean:
            return self.connection() if self.concurrent else self.conn
        lean: _Lean | None = getattr(self._local, "lean", None)
        if lean is None:
            lean = self._local.lean = _Lean(self.conn.api, self.conn.address)
            with self._lock:
                self._clients.append(lean)
        return lean

    def submit(self, fn: Callable[[_Connection], _R]) -> Future[_R]:
        """Run ``fn`` on a thread of its own (or now, without threads)."""
        future: Future[_R] = Future()
        if not self.can_clone or self.workers == 1:
            try:
                future.set_result(fn(self.conn))
            except BaseException as error:
                future.set_exception(error)
            return future

        def run() -> None:
            try:
                future.set_result(fn(self.connection()))
            except BaseException as error:
                future.set_exception(error)

        threading.Thread(target=run, name="dockermodel-read", daemon=True).start()
        return future

    def map(
        self,
        fn: Callable[[_Connection | _Lean, _T], _R],
        items: Sequence[_T],
        tick: Callable[[int], None],
    ) -> list[_R]:
        """``[fn(conn, item) for item in items]``, spread over the threads.

        ``tick(n)`` is called on the calling thread as answers come in. The
        first exception stops the other threads and is raised here.
        """
        if not items:
            return []
        results: list[Any] = [None] * len(items)
        if not self.concurrent or len(items) == 1:
            reader = self.reader()
            for i, item in enumerate(items):
                results[i] = fn(reader, item)
                tick(1)
            return results
        order = iter(range(len(items)))
        stop = threading.Event()
        counting = threading.Lock()
        done = [0]

        def loop() -> None:
            conn = self.reader()
            for i in order:  # a shared iterator: each index is taken once
                if stop.is_set():
                    return
                results[i] = fn(conn, items[i])
                with counting:
                    done[0] += 1

        reported = 0
        with ThreadPoolExecutor(min(self.workers, len(items)), "dockermodel-read") as executor:
            futures = [executor.submit(loop) for _ in range(min(self.workers, len(items)))]
            try:
                while True:
                    finished, pending = wait(futures, timeout=0.1, return_when=FIRST_EXCEPTION)
                    if done[0] > reported:
                        tick(done[0] - reported)
                        reported = done[0]
                    for future in finished:
                        error = future.exception()
                        if error is not None:
                            raise error
                    if not pending:
                        break
            finally:
                stop.set()
        if done[0] > reported:
            tick(done[0] - reported)
        return results

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------


class _StderrProgress:
    """``dockermodel: reading images 120/500`` on ``stream``, rewritten in place.

    Shown only when ``stream`` is a terminal and the read has taken
    :data:`PROGRESS_DELAY` seconds; erased by :meth:`close`.
    """

    def __init__(self, stream: IO[str], delay: float | None = None) -> None:
        self._stream = stream
        self._start = time.monotonic()
        self._delay = PROGRESS_DELAY if delay is None else delay
        try:
            self._enabled = stream.isatty()
        except (AttributeError, ValueError):
            self._enabled = False
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or time.monotonic() - self._start < self._delay:
            return
        self._stream.write(f"\rdockermodel: reading images {done}/{total}")
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False


class _Counter:
    """Counts per-image requests for the progress callback (calling thread only)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.done = 0
        self.total = 0

    def expect(self, n: int) -> None:
        self.total += n
        if self.progress is not None and n:
            self.progress(self.done, self.total)

    def tick(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total)


# --------------------------------------------------------------------------
# The reads
# --------------------------------------------------------------------------


_GONE: Any = object()


def _get_image_part(conn: _Connection | _Lean, image_id: str, part: str) -> Any:
    """``GET /images/{id}/{part}`` (``json`` or ``history``); ``_GONE`` if the image vanished."""
    field = f"image_{'inspect' if part == 'json' else part}[{image_id!r}]"
    path = f"/images/{image_id}/{part}"
    try:
        if isinstance(conn, _Lean):
            return conn.get(field, path)
        method = conn.api.inspect_image if part == "json" else conn.api.history
        return conn.call(field, f"GET {path}", method, image_id)
    except _Vanished:
        return _GONE


def _read_inspect(conn: _Connection | _Lean, image_id: str) -> dict[str, Any] | None:
    """``GET /images/{id}/json``; ``None`` if the image vanished."""
    body = _get_image_part(conn, image_id, "json")
    if body is _GONE:
        return None
    field = f"image_inspect[{image_id!r}]"
    inspect = dict(f.obj(body, field))
    if inspect.get("Id") != image_id:
        raise InvalidPayload(f"{field}.Id", f"expected {image_id}, got {inspect.get('Id')!r}")
    return inspect


def _read_history(conn: _Connection | _Lean, image_id: str) -> list[Any] | None:
    """``GET /images/{id}/history``; ``None`` if the image vanished."""
    body = _get_image_part(conn, image_id, "history")
    if body is _GONE:
        return None
    return list(f.arr(body, f"image_history[{image_id!r}]"))


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


def _read_containers(conn: _Connection) -> list[Any]:
    body = conn.call(
        "containers",
        "GET /containers/json?all=1&size=1",
        conn.api.containers,
        all=True,
        size=True,
    )
    containers = f.arr(body, "containers")
    for i, item in enumerate(containers):
        f.obj(item, f"containers[{i}]")
    return list(containers)


def _api_minor(api: Any) -> int:
    """The minor number of the API version ``api`` speaks (41 when it cannot be told)."""
    version = getattr(api, "api_version", None)
    major, _, minor = str(version).partition(".")
    return int(minor) if major == "1" and minor.isdigit() else 41


def _read_df(conn: _Connection) -> dict[str, Any]:
    """``GET /system/df``, for volumes and the build cache only.

    From API 1.42 the engine takes ``type=`` and then computes only the
    parts asked for: ``type=volume&type=build-cache`` spares it the image and
    container sizes, which the model computes itself (the answer's
    ``Images`` and ``Containers`` are ``null``, ``LayersSize`` 0). Below 1.42
    (Engine 20.10) it always computes everything.
    [moby v28.5.2 api/server/router/system/system_routes.go · getDiskUsage]
    """
    api = conn.api
    typed = _api_minor(api) >= 42 and all(
        callable(getattr(api, name, None)) for name in ("_get", "_url", "_result")
    )
    if typed:

        def df() -> Any:
            url = api._url("/system/df")
            return api._result(api._get(url, params={"type": ["volume", "build-cache"]}), True)

        body = conn.call("system_df", "GET /system/df?type=volume&type=build-cache", df)
    else:
        body = conn.call("system_df", "GET /system/df", api.df)
    return dict(f.obj(body, "system_df"))


def _read_version(conn: _Connection) -> dict[str, Any]:
    return dict(f.obj(conn.call("version", "GET /version", conn.api.version), "version"))


@attrs.define
class _Reader:
    """One :func:`read_payloads` call: what is known so far, kept across attempts."""

    pool: _Pool
    counter: _Counter
    store: ImageCache | None
    history: Literal["needed", "all"]
    inspects: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    histories: dict[str, list[Any]] = attrs.field(factory=dict)
    dirty: set[str] = attrs.field(factory=set)
    listed: set[str] = attrs.field(factory=set)
    #: the returned ``images_all`` and ``image_inspect``, parsed (``history="needed"``)
    parsed: ParsedImages | None = None
    #: what the cached inspect bodies give the model (:func:`prepare_inspects`)
    prepared: dict[str, Any] | None = None

    def load(self) -> None:
        """Take the cache's entries into ``inspects``/``histories``.

        Called on this thread while the engine works on the image list: a
        second thread parsing the cache would hold the interpreter lock
        while the list arrives, and the list's reader needs it for every
        chunk of the body.
        """
        from ._mapping import prepare_inspects

        if self.store is None:
            return
        for image_id, (inspect, history) in self.store.load_all().items():
            self.inspects.setdefault(image_id, inspect)
            if history is not None:
                self.histories.setdefault(image_id, history)
        # and what the bodies give the model, so that little is left to do
        # once the list arrives
        self.prepared = prepare_inspects(self.inspects)

    def _fetch(
        self,
        fn: Callable[[_Connection | _Lean, str], _R | None],
        ids: list[str],
        into: dict[str, _R],
    ) -> set[str]:
        """Read ``ids`` with ``fn`` into ``into``; the ids that vanished."""
        self.counter.expect(len(ids))
        results = self.pool.map(fn, ids, self.counter.tick)
        vanished = set()
        for image_id, result in zip(ids, results, strict=True):
            if result is None:
                vanished.add(image_id)
            else:
                into[image_id] = result
                self.dirty.add(image_id)
        return vanished

    def images(
        self,
        conn: _Connection,
        exclude_vanished: bool,
        listing: Future[list[dict[str, Any]]] | None = None,
        listed: Callable[[], None] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]] | None:
        """``images_all``, ``image_inspect``, ``image_history``; ``None`` to start again.

        ``listing``: the image list, asked already (else it is asked now);
        ``listed`` is called as soon as it has arrived.
        """
        from ._mapping import ParsedImages

        images_all = listing.result() if listing is not None else _image_list(conn)
        if listed is not None:
            listed()
        ids = [str(item["Id"]) for item in images_all]
        missing = [i for i in ids if i not in self.inspects]
        vanished = self._fetch(_read_inspect, missing, self.inspects)
        if vanished and not exclude_vanished:
            return None
        while True:
            if vanished:
                images_all = [item for item in images_all if item["Id"] not in vanished]
                ids = [i for i in ids if i not in vanished]
            inspects = {i: self.inspects[i] for i in ids}
            if self.history == "all":
                wanted = ids
            else:
                # parsed once: from_docker builds the host from this very parse
                self.parsed = ParsedImages(images_all, inspects, self.prepared)
                wanted = self.parsed.history_needed()
            missing = [i for i in wanted if i not in self.histories]
            if not missing:
                break
            gone = self._fetch(_read_history, missing, self.histories)
            if gone and not exclude_vanished:
                return None
            vanished |= gone
            if not gone:
                break
        histories = {i: self.histories[i] for i in wanted}
        self.listed = set(ids)
        return images_all, inspects, histories

    def save(self) -> None:
        """Write the entries of images read from the engine in this call; trim the cache."""
        store = self.store
        if store is None:
            return
        new = {
            i: (self.inspects[i], self.histories.get(i)) for i in sorted(self.dirty & self.listed)
        }
        current = {i: (self.inspects[i], self.histories.get(i)) for i in self.listed}
        store.save(new, current)
        store.trim()


def _progress_for(
    progress: Progress | bool | None,
) -> tuple[Progress | None, _StderrProgress | None]:
    if progress is None or progress is True:
        line = _StderrProgress(sys.stderr)
        return line, line
    if progress is False:
        return None, None
    if not callable(progress):
        raise TypeError(f"progress must be a callable, True, False or None, not {progress!r}")
    return progress, None


def _open_cache(cache: bool | str | os.PathLike[str], engine_id: Any) -> ImageCache | None:
    if cache is False or cache_disabled_by_environment():
        return None
    if not isinstance(engine_id, str) or not engine_id:
        return None  # an engine without an ID: nothing safe to key on
    directory = default_directory() if cache is True else Path(cache)
    return ImageCache(directory, engine_id)


def read_payloads(
    client: Any = None,
    *,
    system_df: bool = True,
    info: bool = True,
    attempts: int = DEFAULT_ATTEMPTS,
    workers: int = DEFAULT_WORKERS,
    cache: bool | str | os.PathLike[str] = True,
    history: Literal["needed", "all"] = "needed",
    progress: Progress | bool | None = None,
    transport: Transport = "lean",
    timeout: float | None = None,
) -> dict[str, Any]:
    """A live engine's payload document: its JSON bodies, as few as exact sizes allow.

    ``client`` is a ``docker.DockerClient``, a ``docker.APIClient``, or
    ``None`` for ``docker.from_env()`` (closed again afterwards). Keys:
    ``images_all``, ``image_inspect`` (every listed image), ``image_history``
    (the images whose history sizes a layer, see the module docstring; every
    image with ``history="all"``), ``containers``, ``system_df`` (unless
    ``system_df=False``), ``version`` and ``info`` (unless ``info=False``).
    Only GET requests are sent.

    ``workers``: threads for the per-image requests (1: none). ``cache``:
    ``True`` for ``$XDG_CACHE_HOME/dockermodel``, a directory, or ``False``
    (``DOCKERMODEL_NO_CACHE=1`` also turns it off). ``progress``: a callable
    ``progress(done, total)`` called on this thread as per-image requests are
    answered (``total`` grows once the needed histories are known); ``None``
    (the default) prints a line on stderr when it is a terminal and the read
    takes over :data:`PROGRESS_DELAY` seconds; ``False`` for nothing.
    ``transport``: ``"lean"`` sends the per-image GETs through a minimal
    HTTP client where the caller's client allows it (``unix://``, plain
    ``tcp://``), ``"docker-py"`` through docker-py clients. ``timeout``:
    seconds to wait for the answer to one request when ``client`` is
    ``None`` (default :data:`DEFAULT_TIMEOUT`; your own client keeps its own).

    An image that vanishes mid-read restarts the read, up to ``attempts``
    reads in all; the last one leaves vanished images out consistently (see
    the module docstring). An engine that stops answering once it has
    answered ``GET /info`` is an :class:`~dockermodel.errors.EngineRequestError`
    naming the request left unanswered, not
    :class:`~dockermodel.errors.EngineUnreachable`.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if history not in ("needed", "all"):
        raise ValueError(f"history must be 'needed' or 'all', got {history!r}")
    if transport not in ("lean", "docker-py"):
        raise ValueError(f"transport must be 'lean' or 'docker-py', got {transport!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    callback, line = _progress_for(progress)
    conn, owned = _connect(client, timeout)
    pool = _Pool(conn, workers, transport)
    answered = False
    try:
        # Once /info has answered, the image list (the long pole) and
        # /version are asked at once with /system/df, each on a thread of its
        # own; the cache is loaded while the engine works on the list, and
        # the containers are listed as soon as the images are (while they
        # are read and parsed).
        df_future = pool.submit(_read_df) if system_df else None
        info_body = dict(f.obj(conn.call("info", "GET /info", conn.api.info), "info"))
        answered = True
        listing: Future[list[dict[str, Any]]] | None = pool.submit(_image_list)
        version = pool.submit(_read_version)
        reader = _Reader(pool, _Counter(callback), _open_cache(cache, info_body.get("ID")), history)
        reader.load()
        containers: list[Future[list[Any]]] = []

        def list_containers() -> None:
            containers[:] = [pool.submit(_read_containers)]

        for attempt in range(1, attempts + 1):
            read = reader.images(
                conn, attempt == attempts, listing=listing, listed=list_containers
            )
            listing = None
            if read is not None:
                break
        else:  # pragma: no cover - the last attempt always returns
            raise AssertionError("unreachable")
        images_all, inspects, histories = read
        payloads: dict[str, Any] = {
            "images_all": images_all,
            "image_inspect": inspects,
            "image_history": histories,
            "containers": containers[0].result(),
        }
        if df_future is not None:
            payloads["system_df"] = df_future.result()
        payloads["version"] = version.result()
        # the API version the bodies were read at, and the store /info names
        payloads["api_version"] = str(conn.api.api_version)
        payloads["image_store"] = detect_store({"info": info_body})
        if info:
            payloads["info"] = info_body
        reader.save()
        sink = _PARSED.get()
        if sink is not None and reader.parsed is not None:
            sink.append(reader.parsed)
        return payloads
    except (EngineUnreachable, _ConnectionClosed) as error:
        if not answered:
            raise
        # it answered a moment ago: the engine went away in the middle of the read
        if isinstance(error, EngineUnreachable):
            request, reason = error.request or "GET", error.reason
        else:
            request, reason = error.request, "it closed the connection"
        raise EngineRequestError(
            conn.address,
            request,
            None,
            f"the engine stopped answering during the read ({reason})",
        ) from None
    finally:
        if line is not None:
            line.close()
        pool.close()
        if owned is not None:
            owned.close()


def from_docker(client: Any = None, *, previous: Host | None = None, **options: Any) -> Host:
    """A :class:`~dockermodel.host.Host` of a live engine: :func:`read_payloads` + ``from_api``.

    ``options`` are :func:`read_payloads`' keyword arguments (``workers``,
    ``cache``, ``progress``, ``system_df``, ``attempts``, …). ``previous``, an
    earlier host of the same engine (read, or produced by ``apply``), lends the
    layer chains of containers whose image was force-deleted, which no API
    shows (:meth:`Host.keeping_held_layers`).
    """
    from ._frozen import FrozenDocument
    from ._mapping import host_parts_from_api
    from .host import Host

    parsed: list[ParsedImages] = []
    token = _PARSED.set(parsed)
    try:
        payloads = read_payloads(client, **options)
        parts = host_parts_from_api(payloads, parsed=parsed[0] if parsed else None)
        # the document is this read's own: kept as it is, copied only when read
        host = Host._from_parts(parts, FrozenDocument.adopt(payloads))
    finally:
        _PARSED.reset(token)
    return host if previous is None else host.keeping_held_layers(previous)


#: Where :func:`read_payloads` leaves its parse of the images for :func:`from_docker`.
_PARSED: ContextVar[list[ParsedImages] | None] = ContextVar("dockermodel_parsed", default=None)
