"""A stand-in Docker engine on a unix socket, with the faults a real one shows.

:class:`FakeEngine` serves a payload document (the demo snapshot by default)
over HTTP/1.1 on a socket in a private temporary directory, from a thread of
the test process, exactly at the paths docker-py and the adapter ask
(``/version`` for docker-py's version negotiation, then ``/v1.41/...``). It
never is, and never talks to, a real engine. Faults:

* ``mode="hang"`` — accepts connections and reads requests, never answers;
* ``mode="close"`` — accepts each connection and closes it without a word;
* ``status=403`` (any status) — answers every request with that status and
  ``{"message": ...}``, as an authorization plugin would;
* ``die_after=PATH`` — answers ``PATH`` and then goes away as a crashed
  engine does: the listener and every open connection close, and the socket
  file stays behind (connection refused).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["FakeEngine", "routes_for"]

API = "/v1.41"


def routes_for(payloads: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's answers (path without query -> JSON body) for a payload document."""
    version = dict(payloads.get("version") or {"Version": "20.10.24"})
    version.setdefault("ApiVersion", "1.41")
    routes: dict[str, Any] = {
        "/version": version,
        f"{API}/version": version,
        f"{API}/info": payloads.get("info") or {"ID": "fake-engine"},
        f"{API}/images/json": payloads["images_all"],
        f"{API}/containers/json": payloads["containers"],
        f"{API}/system/df": payloads.get("system_df") or {"Volumes": [], "BuildCache": []},
    }
    for image_id, body in payloads["image_inspect"].items():
        routes[f"{API}/images/{image_id}/json"] = body
    for image_id, body in payloads["image_history"].items():
        routes[f"{API}/images/{image_id}/history"] = body
    return routes


class FakeEngine:
    """A fake engine listening on ``self.path`` (``self.address`` is its ``unix://`` URL)."""

    def __init__(
        self,
        routes: Mapping[str, Any],
        *,
        mode: str = "serve",
        status: int | None = None,
        message: str = "authorization denied by plugin fake-authz: access to the API is denied",
        die_after: str | None = None,
    ) -> None:
        if mode not in ("serve", "hang", "close"):
            raise ValueError(f"unknown mode {mode!r}")
        self.routes = dict(routes)
        self.mode = mode
        self.status = status
        self.message = message
        self.die_after = die_after
        self.seen: list[str] = []
        self.directory = tempfile.mkdtemp(prefix="dm-fake-engine-")
        os.chmod(self.directory, 0o755)
        self.path = os.path.join(self.directory, "docker.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(16)
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="fake-engine", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"unix://{self.path}"

    # -- serving --------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "close" or self._stopped.is_set():
                connection.close()
                continue
            with self._lock:
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        buffer = b""
        try:
            while not self._stopped.is_set():
                while b"\r\n\r\n" not in buffer:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, target, _ = request_line.split(" ", 2)
                path = target.split("?", 1)[0]
                with self._lock:
                    self.seen.append(f"{method} {path}")
                if self.mode == "hang":
                    self._stopped.wait()
                    return
                if self.die_after is not None and path == self.die_after:
                    self._stop_listening()  # no connection after this answer gets in
                    connection.sendall(self._answer(path))
                    self.die()
                    return
                connection.sendall(self._answer(path))
        except OSError:
            return
        finally:
            connection.close()

    def _answer(self, path: str) -> bytes:
        if self.status is not None:
            status, body = self.status, {"message": self.message}
        elif path in self.routes:
            status, body = 200, self.routes[path]
        else:
            status, body = 404, {"message": "page not found"}
        data = json.dumps(body).encode()
        reason = {200: "OK", 403: "Forbidden", 404: "Not Found"}.get(status, "Error")
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            "Content-Type: application/json\r\n"
            "Api-Version: 1.41\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

    # -- going away -------------------------------------------------------------

    def _stop_listening(self) -> None:
        self._stopped.set()
        # shutdown wakes the thread blocked in accept(), which close() alone does not
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def die(self) -> None:
        """Go away as a crashed engine does; the socket file stays (connection refused)."""
        self._stop_listening()
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def close(self) -> None:
        self.die()
        self._thread.join(5)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.rmdir(self.directory)

    def __enter__(self) -> FakeEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
