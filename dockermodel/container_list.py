"""``GET /containers/json`` with the engine's filters (``docker ps --filter``).

:func:`list_containers` answers as the engine's ``reduceContainers`` does:
same containers, same order (newest first), same errors, for the filters
``ancestor``, ``before``, ``since``, ``exited``, ``health``, ``id``,
``is-task``, ``isolation``, ``label``, ``name``, ``network``, ``publish``,
``expose``, ``status`` and ``volume``.
[moby v20.10.24 daemon/list.go · Daemon.reduceContainers, foldFilter,
includeContainerInList, filterByNameIDMatches]
[moby v20.10.24 api/types/filters/parse.go · Args.Match, MatchKVList]

What the list entries do not show is taken from what they do:

* the exit code and whether a container ever started: ``Status``
  (``Exited (N) …``; a ``created`` container never started; a ``dead`` one
  shows no code, so ``exited=N`` never matches it);
* the health: ``Status`` (``(healthy)``, ``(unhealthy)``,
  ``(health: starting)``; otherwise ``none``);
* a swarm task (``is-task``): the ``com.docker.swarm.task.id`` label the
  swarm executor sets;
* ``isolation`` is a no-op on Linux, as in the engine.

``name`` and ``id`` values (and ``status``, after validation) are matched as
the engine's ``Args.Match`` does: equal, or an unanchored regular
expression (Python's ``re``, whose syntax agrees with Go's RE2 on the
patterns these filters see; a pattern that does not compile is skipped, as
there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._filters import match_kv_list, normalize_filters
from .errors import EngineError, InvalidArgument, NotFound
from .model import STATES, Container

if TYPE_CHECKING:
    from .host import Host

__all__ = ["ACCEPTED_FILTERS", "list_containers", "listed_containers"]

#: The filter keys ``GET /containers/json`` accepts (``acceptedPsFilterTags``).
ACCEPTED_FILTERS = frozenset(
    {
        "ancestor", "before", "exited", "id", "isolation", "label", "name", "status",
        "health", "since", "volume", "network", "is-task", "publish", "expose",
    }
)  # fmt: skip
_HEALTH = ("starting", "healthy", "unhealthy", "none")
_EXIT = re.compile(r"Exited \((-?\d+)\)")
_TASK_LABEL = "com.docker.swarm.task.id"


def _go_list(values: Iterable[str]) -> str:
    return "[" + " ".join(values) + "]"


def _match(values: Sequence[str] | None, source: str) -> bool:
    """``Args.Match``: no values, an equal value, or a value that matches as a regexp."""
    if not values:
        return True
    if source in values:
        return True
    for pattern in values:
        try:
            if re.search(pattern, source):
                return True
        except re.error:
            continue
    return False


def exit_code(container: Container) -> int | None:
    """The exit code ``Status`` shows (``Exited (N) …``), else ``None``."""
    m = _EXIT.match(container.status)
    return int(m.group(1)) if m else None


def health(container: Container) -> str:
    """The health status ``Status`` shows, ``none`` without a health check."""
    status = container.status
    if status.endswith("(health: starting)"):
        return "starting"
    if status.endswith("(unhealthy)"):
        return "unhealthy"
    if status.endswith("(healthy)"):
        return "healthy"
    return "none"


def _primary_name(container: Container) -> str:
    """The container's own name (a link alias has a second ``/``)."""
    for name in container.names:
        if "/" not in name[1:]:
            return name
    return container.names[0] if container.names else ""


def _port(key: str, value: str) -> set[tuple[int, str]]:
    """``portOp``: ``port[/proto]`` or ``start-end[/proto]`` as (port, proto) pairs."""
    if ":" in value:
        raise EngineError(f"filter for '{key}' should not contain ':': {value}", 500)
    parts = value.split("/")
    if not value or not parts[0]:
        proto, port = "", ""
    elif len(parts) == 1:
        proto, port = "tcp", value
    elif not parts[1]:
        proto, port = "tcp", parts[0]
    else:
        proto, port = parts[1], parts[0]
    fail = f"error while looking up for {key} {value}: "
    if port == "":
        raise EngineError(fail + "Empty string specified for ports.", 500)
    bounds = port.split("-") if "-" in port else [port, port]
    numbers = []
    for text in bounds[:2]:
        if not text.isdigit() or int(text) > 65535:
            reason = "value out of range" if text.isdigit() else "invalid syntax"
            raise EngineError(fail + f'strconv.ParseUint: parsing "{text}": {reason}', 500)
        numbers.append(int(text))
    start, end = numbers
    if end < start:
        raise EngineError(fail + f"Invalid range specified for the Port: {port}", 500)
    return {(p, proto) for p in range(start, end + 1)}


def _find_for_position(host: Host, value: str) -> Container:
    """``idOrNameFilter``: a full id, else a name (with or without ``/``) naming one container."""
    if value in host.containers:
        return host.containers[value]
    found = None
    wanted = value.removeprefix("/")
    for container in host.containers.values():
        if any(name.removeprefix("/") == wanted for name in container.names):
            if found is not None and found.id != container.id:
                found = None
                break
            found = container
    if found is None:
        raise host.profile.position_not_found(value)
    return found


def _resolve_id(host: Host, value: str) -> str | None:
    """``truncindex.Get``: a full id or a unique id prefix, else ``None``."""
    if value == "":
        return None
    if value in host.containers:
        return value
    hits = [cid for cid in host.containers if cid.startswith(value)]
    return hits[0] if len(hits) == 1 else None


def listed_containers(
    host: Host, all: bool = False, filters: Mapping[str, Any] | None = None
) -> list[Container]:
    """The containers ``GET /containers/json?all=&filters=`` lists, newest first.

    Errors are the engine's (Engine 20.10's wording here; the host's profile
    words the invalid-filter, ``status`` and ``before`` / ``since`` ones):
    an unknown key ``Invalid filter 'KEY'`` (400),
    ``Invalid filter 'status=X'`` (400), ``Invalid filter 'is-task=[X]'``
    (400), ``Unrecognised filter value for health: X`` (400), a bad ``exited``
    value ``strconv.Atoi: parsing "X": invalid syntax`` (500), a ``before`` /
    ``since`` container that does not exist ``no such container X`` (500).
    """
    args = normalize_filters(filters)
    invalid = host.profile.invalid_filter
    for key in args:
        if key not in ACCEPTED_FILTERS:
            raise invalid(key)
    exited: list[int] = []
    for value in args.get("exited", ()):
        if not re.fullmatch(r"[+-]?\d+", value):
            raise EngineError(f'strconv.Atoi: parsing "{value}": invalid syntax', 500)
        exited.append(int(value))
    for value in args.get("status", ()):
        if value not in STATES:
            raise host.profile.invalid_state_filter(value)
        all = True
    task: bool | None = None
    if "is-task" in args:
        values = args["is-task"]
        if "true" in values:
            task = True
        elif "false" in values:
            task = False
        else:
            raise invalid(f"is-task={_go_list(values)}")
    for value in args.get("health", ()):
        if value not in _HEALTH:
            raise InvalidArgument(f"Unrecognised filter value for health: {value}")
    before = since = None
    for value in args.get("before", ()):
        before = _find_for_position(host, value)
    for value in args.get("since", ()):
        since = _find_for_position(host, value)
    ancestors: set[str] | None = None
    if "ancestor" in args:
        ancestors = set()
        for value in args["ancestor"]:
            try:
                image = host.find_image(value)
            except (NotFound, InvalidArgument):
                continue  # the engine logs a warning and goes on
            _descendants(host, image.id, ancestors)
    publish: set[tuple[int, str]] = set()
    for value in args.get("publish", ()):
        publish |= _port("publish", value)
    expose: set[tuple[int, str]] = set()
    for value in args.get("expose", ()):
        expose |= _port("expose", value)

    candidates: Iterable[Container] = host.containers.values()
    names, ids = args.get("name", ()), args.get("id", ())
    if names or ids:
        chosen: set[str] = set()
        for value in ids:
            resolved = _resolve_id(host, value)
            if resolved is not None:
                chosen.add(resolved)
        if names and not ids:
            for container in host.containers.values():
                if any(_match(names, n) or _match(names, n.removeprefix("/"))
                       for n in container.names):
                    chosen.add(container.id)
        candidates = [c for c in host.containers.values() if c.id in chosen]

    out: list[Container] = []
    for container in candidates:
        if before is not None:
            if container.id == before.id:
                before = None
            continue
        if since is not None and container.id == since.id:
            break
        if not container.running and not all:
            continue
        primary = _primary_name(container)
        if not _match(names, primary) and not _match(names, primary.removeprefix("/")):
            continue
        if not _match(ids, container.id):
            continue
        if task is not None and task != (_TASK_LABEL in container.labels):
            continue
        if args.get("label") and not match_kv_list(args["label"], container.labels):
            continue
        if exited:
            code = exit_code(container)
            started = container.state != "created"
            if container.running or not started or code not in exited:
                continue
        if not _match(args.get("status"), container.state):
            continue
        if "health" in args and health(container) not in args["health"]:
            continue
        if "volume" in args and not _mounts(container, args["volume"]):
            continue
        if ancestors is not None and container.image_id not in ancestors:
            continue
        if "network" in args and not _networks(container, args["network"]):
            continue
        if (publish or expose) and not _ports(container, publish, expose):
            continue
        out.append(container)
    return out


def list_containers(
    host: Host, all: bool = False, filters: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The ``GET /containers/json?all=&size=1&filters=`` body (see :func:`listed_containers`)."""
    return [
        c.to_api(image=host.container_image_field(c)) for c in listed_containers(host, all, filters)
    ]


def _descendants(host: Host, image_id: str, into: set[str]) -> None:
    """``populateImageFilterByParents``: the image and every image built on it."""
    stack = [image_id]
    while stack:
        current = stack.pop()
        if current in into:
            continue
        into.add(current)
        stack.extend(host.children(current))


def _mounts(container: Container, values: Sequence[str]) -> bool:
    """A volume filter value names a mount's destination, or its volume name (else source)."""
    by_name: set[str] = set()
    by_destination: set[str] = set()
    for mount in container.extra.get("Mounts") or ():
        if not isinstance(mount, Mapping):
            continue
        name = mount.get("Name") or mount.get("Source") or ""
        by_name.add(str(name))
        if mount.get("Destination"):
            by_destination.add(str(mount["Destination"]))
    return any(v in by_destination or v in by_name for v in values)


def _networks(container: Container, values: Sequence[str]) -> bool:
    """A network filter value is a network's name or a prefix of its id."""
    settings = container.extra.get("NetworkSettings")
    networks = settings.get("Networks") if isinstance(settings, Mapping) else None
    if not isinstance(networks, Mapping):
        return False
    for value in values:
        if value in networks:
            return True
        for network in networks.values():
            if isinstance(network, Mapping) and str(network.get("NetworkID") or "").startswith(
                value
            ):
                return True
    return False


def _ports(
    container: Container, publish: set[tuple[int, str]], expose: set[tuple[int, str]]
) -> bool:
    for port in container.extra.get("Ports") or ():
        if not isinstance(port, Mapping):
            continue
        kind = str(port.get("Type") or "")
        if (int(port.get("PublicPort") or 0), kind) in publish:
            return True
        if (int(port.get("PrivatePort") or 0), kind) in expose:
            return True
    return False
