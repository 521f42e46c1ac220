"""The ``dockermodel`` command line: the docker CLI's tables, offline, and predictions.

::

    dockermodel [--snapshot FILE | --demo] [--now UNIX_SECONDS] [--timeout SECONDS] COMMAND ...

    df [-v]                          docker system df [-v]
    images [-a] [-q] [--filter K=V] [REPOSITORY[:TAG]]
                                     docker images [-a] [-q]
    ps [-a] [-s] [-q] [--filter K=V] docker ps [-a] [-s] [-q]
    rmi [-f] [--no-prune] REF...     what docker rmi would print (nothing is removed)
    rm [-f] [-v] CONTAINER...        what docker rm would print (nothing is removed)
    prune images [-a] [--filter K=V] what docker image prune -f would print
    prune containers [--filter K=V]  what docker container prune -f would print
    prune builder [-a] [--filter K=V]
                                     what docker builder prune -f would print
    prune volumes [-a] [--filter K=V]
                                     what docker volume prune -f would print
    prune system [-a] [--volumes] [--filter K=V]
                                     what docker system prune -f would print
    why REF                          every holder of an image, what removing it would do
    tree [-a]                        the images as a tree of shared layers
    report -o FILE.html              a self-contained page: treemap, figures, cleanup, why
    parse REF...                     how the engine normalizes image references
    snapshot save FILE               record the state as a snapshot file ("-": stdout)

Every command takes ``--format json`` for the engine's JSON documents instead
of the table. Tables are the docker CLI v28's output for the same state, byte
for byte; relative times ("2 hours ago") are computed against ``--now``
(default: the current time for a live engine; for ``--snapshot`` and
``--demo``, the moment the snapshot was recorded, its engine's
``SystemTime``, when it has one), and container STATUS strings are the
engine's, as recorded.

Where the state comes from: ``--snapshot FILE`` (a file written by
``snapshot save``), ``--demo`` (the snapshot bundled with the package), or
else the live engine (``DOCKER_HOST`` as docker-py reads it, or the default
socket ``/var/run/docker.sock``), read with GET requests only.

Only when no engine is configured at all — ``DOCKER_HOST`` unset and no
``/var/run/docker.sock`` — do the reports (``df``, ``images``, ``ps``) show
the demo snapshot, saying so on stderr; the predictions and ``snapshot
save`` stop with exit status 3. An engine that is configured but cannot be
read is never replaced by the demo: exit status 3 and the reason — nobody
listening, permission denied on the socket (with how to get access),
no answer to one request within ``--timeout`` seconds (default 60, as
docker-py), or an engine that stopped answering in the middle of the read.

Exit status (:data:`EXIT_CODES`):

* 0 — success;
* 1 — the engine would refuse (``rmi`` conflict, no such image, invalid
  filter, …); the error is printed as docker prints it,
  ``Error response from daemon: …``;
* 2 — bad usage or input: unknown option, malformed ``--filter``, invalid
  reference given to ``parse``;
* 3 — no state to work on: the configured engine cannot be read
  (unreachable, permission denied, no answer in time, gone mid-read, an
  engine request that failed), no engine configured for a prediction, or a
  snapshot file that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import IO, Any

import attrs

from . import __version__, render
from . import reference as _ref
from . import snapshot as _snapshot
from .errors import (
    DockerModelError,
    EngineError,
    EnginePermissionDenied,
    EngineRequestError,
    EngineUnreachable,
    InvalidPayload,
    InvalidReference,
    NotFound,
    NotModelled,
    SnapshotError,
)
from .host import Host

__all__ = [
    "DEMO_RESOURCE",
    "EXIT_CODES",
    "EXIT_ENGINE_ERROR",
    "EXIT_OK",
    "EXIT_SOURCE",
    "EXIT_USAGE",
    "build_parser",
    "load_demo",
    "main",
    "reference_record",
]

#: Success.
EXIT_OK = 0
#: The engine would refuse the request; its error was printed as docker prints it.
EXIT_ENGINE_ERROR = 1
#: Bad usage or input (argparse's own status for usage errors).
EXIT_USAGE = 2
#: No state to work on: no engine reachable, a failed engine request, a bad snapshot.
EXIT_SOURCE = 3

#: Every exit status and what it means.
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ENGINE_ERROR: "the engine would refuse (printed as 'Error response from daemon: …')",
    EXIT_USAGE: "bad usage or input (unknown option, malformed --filter, invalid reference)",
    EXIT_SOURCE: "the engine cannot be read (unreachable, permission denied, no answer in "
    "time, gone mid-read) or none is configured for a prediction, or a bad snapshot file",
}

#: The bundled demo snapshot, inside the package.
DEMO_RESOURCE = "data/demo.json"

#: Commands that show the demo snapshot when no engine is configured at all.
_REPORTS = frozenset({"df", "images", "ps", "tree"})

_PROG = "dockermodel"


class _Exit(Exception):
    """Stop with ``status`` after ``message`` (if any) went to stderr (internal)."""

    def __init__(self, status: int, message: str = "") -> None:
        self.status = status
        self.message = message
        super().__init__(message)


# --------------------------------------------------------------------------
# Output streams
# --------------------------------------------------------------------------


@attrs.frozen
class _Streams:
    out: IO[str]
    err: IO[str]

    def note(self, text: str) -> None:
        """A ``dockermodel: …`` line on stderr."""
        self.err.write(f"{_PROG}: {text}\n")

    def json(self, document: Any) -> None:
        """``document`` as indented JSON on stdout."""
        self.out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------
# Where the state comes from
# --------------------------------------------------------------------------


def load_demo() -> Host:
    """The bundled demo host: a real Engine 20.10.24's state, recorded with ``snapshot save``."""
    source = "bundled demo snapshot"
    try:
        text = resources.files("dockermodel").joinpath(DEMO_RESOURCE).read_bytes()
    except OSError as error:
        raise SnapshotError(source, f"cannot read: {error.strerror or error}") from None
    return Host.from_api(_snapshot.loads(text, source))


def host_from_command_line(description: str, argv: list[str] | None = None) -> Host:
    """The host a script's command line names: ``--demo``, ``--snapshot FILE`` or the live engine.

    For users' own scripts (the examples use it): the same sources as the
    ``dockermodel`` command, without its fallback to the demo.
    """
    parser = argparse.ArgumentParser(description=description)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="use the bundled demo snapshot")
    source.add_argument("--snapshot", metavar="FILE", help="read a snapshot file")
    args = parser.parse_args(argv)
    if args.demo:
        return load_demo()
    if args.snapshot:
        return Host.load(args.snapshot)
    from .engine import from_docker

    return from_docker()


def _recorded_at(host: Host) -> float | None:
    """When a snapshot was recorded: its engine's ``SystemTime`` (``GET /info``), if kept.

    The clock of a snapshot's relative times, so that "Created 5 seconds ago"
    and the recorded status "Up 5 seconds" describe the same moment.
    """
    from .model import parse_timestamp_ns

    info = host.payloads.get("info") if host.payloads is not None else None
    stamp = info.get("SystemTime") if isinstance(info, dict) else None
    if not isinstance(stamp, str):
        return None
    try:
        return parse_timestamp_ns(stamp, "info.SystemTime") / 1e9
    except InvalidPayload:
        return None


def _demo() -> Host:
    try:
        return load_demo()
    except InvalidPayload as error:
        raise _Exit(EXIT_SOURCE, f"the {error}; reinstall dockermodel") from None


def _needs_system_df(args: argparse.Namespace) -> bool:
    """Commands that need volumes or the build cache, which only ``/system/df`` shows.

    The predictions need the build cache too: on Engine 23+ (overlay2) what
    it holds decides which layers a removal frees.
    """
    return args.command in ("df", "snapshot", "why", "report", "rmi", "rm", "prune")


def _read_engine(args: argparse.Namespace) -> Host:
    """The live engine's state, read with GET requests only.

    The adapter shows a progress line on stderr when stderr is a terminal and
    the read takes a while. ``GET /system/df`` (volumes and build cache; it
    costs what ``docker system df`` costs) is read only for the commands
    that need it (:func:`_needs_system_df`); a snapshot asks for every
    image's full inspect body and history (no cache), not only what the
    sizes need.
    """
    from .engine import read_payloads

    complete = args.command == "snapshot"
    payloads = read_payloads(
        None,
        history="all" if complete else "needed",
        cache=not complete,
        system_df=_needs_system_df(args),
        timeout=args.timeout,
    )
    return Host.from_api(payloads)


def _load_snapshot(path: str) -> Host:
    try:
        return Host.load(path)
    except InvalidPayload as error:
        raise _Exit(EXIT_SOURCE, _bad_snapshot(path, error)) from None


def _bad_snapshot(path: str, error: InvalidPayload) -> str:
    """``bad snapshot file F: field: problem`` (the field is left out when it is the file)."""
    detail = error.problem if error.field == path else str(error)
    return f"bad snapshot file {path}: {detail}"


_OFFLINE = (
    "work offline with --snapshot FILE (written by 'dockermodel snapshot save') or --demo."
)


def _unreachable_message(error: EngineUnreachable) -> str:
    return (
        f"{error}\n"
        "  Is the docker daemon running? Start the engine or point DOCKER_HOST at it, or "
        + _OFFLINE
    )


def _permission_message(error: EnginePermissionDenied) -> str:
    """docker's message, and docker's advice: join the group that owns the socket."""
    group = "docker"
    mode = ""
    if error.address.startswith("unix://"):
        try:
            info = os.stat(error.address[len("unix://") :])
        except OSError:
            pass
        else:
            import grp
            import stat

            try:
                group = grp.getgrgid(info.st_gid).gr_name
            except KeyError:
                group = str(info.st_gid)
            mode = f" ({stat.filemode(info.st_mode)})"
    return (
        f"{error}\n"
        f"  The socket belongs to the group '{group}'{mode}: add your user to it "
        f"('sudo usermod -aG {group} $USER', then log in again), as Docker's post-installation "
        "steps for Linux say, or run as a user who may use the engine; or " + _OFFLINE
    )


def _not_configured_message() -> str:
    from .engine import _DEFAULT_SOCKET

    return (
        f"no Docker engine configured (DOCKER_HOST is not set and {_DEFAULT_SOCKET} "
        "does not exist)"
    )


def _source(args: argparse.Namespace, streams: _Streams) -> Host:
    """The host the command works on: ``--snapshot``, ``--demo`` or the live engine.

    The demo stands in only when no engine is configured at all, and only
    for the reports; a configured engine that fails is exit status 3.
    """
    from .engine import configured_address

    args.recorded = True  # a snapshot: its clock is the moment it was recorded
    if args.snapshot is not None:
        return _load_snapshot(args.snapshot)
    if args.demo:
        return _demo()
    if configured_address() is None:
        if args.command not in _REPORTS:
            raise _Exit(
                EXIT_SOURCE,
                f"{_not_configured_message()}\n  Start the engine or point DOCKER_HOST at it, "
                "or " + _OFFLINE,
            )
        streams.note(
            f"{_not_configured_message()}: showing the bundled demo snapshot (as with --demo)"
        )
        return _demo()
    args.recorded = False
    try:
        return _read_engine(args)
    except EnginePermissionDenied as error:
        raise _Exit(EXIT_SOURCE, _permission_message(error)) from None
    except EngineUnreachable as error:
        raise _Exit(EXIT_SOURCE, _unreachable_message(error)) from None
    except EngineRequestError as error:
        hint = ""
        if error.status is None and error.message.startswith("no answer in time"):
            hint = (
                "\n  The engine accepted the connection but did not answer; "
                "--timeout SECONDS sets the wait."
            )
        raise _Exit(EXIT_SOURCE, f"{error}{hint}") from None
    except InvalidPayload as error:
        raise _Exit(EXIT_SOURCE, f"unexpected answer from the engine: {error}") from None


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def _filters(values: Sequence[str] | None) -> dict[str, list[str]]:
    """``--filter key=value`` options as the engine's filter arguments."""
    out: dict[str, list[str]] = {}
    for value in values or ():
        key, sep, rest = value.partition("=")
        if not sep:
            raise _Exit(
                EXIT_USAGE,
                f'invalid argument "{value}" for "--filter": '
                "bad format of filter (expected name=value)",
            )
        out.setdefault(key.strip().lower(), []).append(rest)
    return out


def _cmd_df(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    document = host.disk_usage().to_api()
    if args.format == "json":
        streams.json(document)
    elif args.verbose:
        streams.out.write(render.system_df_verbose(document, args.now))
    else:
        streams.out.write(render.system_df(document))
    return EXIT_OK


def _cmd_images(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    filters = _filters(args.filter)
    if args.repository is not None:
        filters.setdefault("reference", []).append(args.repository)
    summaries = host.list_images(all=args.all, filters=filters)
    if args.format == "json":
        streams.json(summaries)
    elif args.quiet:
        streams.out.write(render.images_quiet(summaries, no_trunc=args.no_trunc))
    else:
        streams.out.write(
            render.images_table(summaries, args.now, digests=args.digests, no_trunc=args.no_trunc)
        )
    return EXIT_OK


def _cmd_ps(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    from .container_list import list_containers

    containers = list_containers(host, all=args.all, filters=_filters(args.filter))
    if not args.size:
        # without -s the CLI asks GET /containers/json without size=1, and the
        # engine leaves both sizes out (omitempty)
        # [moby v20.10.24 daemon/list.go · Daemon.reducePsContainer]
        for container in containers:
            container.pop("SizeRw", None)
            container.pop("SizeRootFs", None)
    if args.format == "json":
        streams.json(containers)
    elif args.quiet:
        streams.out.write(render.ps_quiet(containers, no_trunc=args.no_trunc))
    else:
        streams.out.write(
            render.ps_table(containers, args.now, size=args.size, no_trunc=args.no_trunc)
        )
    return EXIT_OK


def _cmd_rmi(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    """Each REF in turn, on the state the previous ones left, as ``docker rmi`` does.

    Errors come last, one ``Error response from daemon`` line each; the exit
    status is 1 unless every error is "not found" and ``-f`` was given (CLI 28).
    """
    records: list[dict[str, Any]] = []
    errors: list[EngineError] = []
    plans = []
    for name in args.refs:
        try:
            plan = _plan_rmi(host, name, args.force, not args.no_prune)
        except EngineError as refused:
            errors.append(refused)
            continue
        plans.append(plan)
        body = plan.to_api()
        records.extend(body)
        if args.format != "json":
            streams.out.write(render.rmi_output(body))
        host = host.apply(plan)
    if args.format == "json":
        streams.json(records)
    _note_uncertain(streams, plans)
    streams.err.write("".join(render.daemon_error(e.message) for e in errors))
    fatal = any(not isinstance(e, NotFound) or not args.force for e in errors)
    return EXIT_ENGINE_ERROR if fatal else EXIT_OK


def _plan_rmi(host: Host, name: str, force: bool, prune: bool) -> Any:
    if name == "":
        # The CLI sends DELETE /images/ for an empty name: the router's 404.
        raise NotFound("page not found")
    return host.plan_rmi(name, force=force, prune=prune)


def _note_uncertain(streams: _Streams, plans: Sequence[Any]) -> None:
    """One stderr line when what the engine answers depends on what its build cache holds."""
    layers = sum(len(p.uncertain) for p in plans)
    records = sum(len(p.uncertain_build_cache) for p in plans)
    if not layers and not records:
        return
    low = sum(p.space_reclaimed for p in plans)
    high = sum(p.bounds[1] if p.bounds is not None else p.space_reclaimed for p in plans)
    if layers:
        what = (
            f"{layers} more layer{'s' if layers != 1 else ''} may be deleted "
            f"(BuildKit's build cache may hold {'it' if layers == 1 else 'them'})"
        )
    else:
        what = (
            f"{records} more build-cache record{'s' if records != 1 else ''} may be deleted "
            "(the engine's API version does not list the records' parents)"
        )
    streams.note(
        f"not exact: {what}; space reclaimed between "
        f"{render.human_size(low)} and {render.human_size(high)}"
    )


def _cmd_rm(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    """Each CONTAINER in turn, on the state the previous ones left, as ``docker rm`` does.

    The CLI strips ``/`` from both ends of each argument and refuses an empty
    one itself; it prints each removed argument as typed. With ``-f``, "No
    such container" errors are printed at once and do not fail the command;
    other errors are printed last, one line each, and the status is 1.
    [docker/cli v28.2.2 cli/command/container/rm.go · runRm]
    """
    removed: list[str] = []
    documents: list[dict[str, Any]] = []
    ignored: list[str] = []
    errors: list[str] = []
    for name in args.containers:
        target = name.strip("/")
        if target == "":
            errors.append("container name cannot be empty\n")
            continue
        try:
            plan = host.plan_rm(target, force=args.force, volumes=args.volumes)
        except EngineError as refused:
            line = render.daemon_error(refused.message)
            (ignored if args.force and isinstance(refused, NotFound) else errors).append(line)
            continue
        removed.append(name)
        documents.append(
            {
                "Name": name,
                "Id": plan.deleted_containers[0],
                "RemovedVolumes": list(plan.removed_volumes),
                "SpaceReclaimed": plan.space_reclaimed,
                "BytesFreed": plan.bytes_freed,
            }
        )
        host = host.apply(plan)
    if args.format == "json":
        streams.json(documents)
    else:
        streams.out.write(render.rm_output(removed))
    streams.err.write("".join(ignored) + "".join(errors))
    return EXIT_ENGINE_ERROR if errors else EXIT_OK


def _cmd_prune(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    from .removal import plan_builder_prune, plan_container_prune, plan_image_prune

    filters = _filters(args.filter)
    if args.what == "volumes":
        return _prune_volumes(args, host, streams, filters)
    if args.what == "system":
        return _prune_system(args, host, streams, filters)
    if args.what == "images":
        plan = plan_image_prune(host, all=args.all, filters=filters, now=args.now)
        document = plan.to_api()
        text = render.image_prune_output(document)
    elif args.what == "builder":
        plan = plan_builder_prune(host, all=args.all, filters=filters, now=args.now)
        document = plan.to_api()
        text = render.builder_prune_output(document)
    else:
        plan = plan_container_prune(host, filters=filters, now=args.now)
        document = plan.to_api()
        text = render.container_prune_output(document)
    if args.format == "json":
        streams.json(document)
    else:
        streams.out.write(text)
    _note_uncertain(streams, [plan])
    return EXIT_OK


def _prune_volumes(
    args: argparse.Namespace, host: Host, streams: _Streams, filters: dict[str, list[str]]
) -> int:
    """``docker volume prune -f [-a]``; ``-a`` needs API 1.42, the CLI says so itself."""
    from .removal import plan_volume_prune, volume_prune_rule

    rule = volume_prune_rule(host)
    if args.all and not rule.all_filter:
        version = host.engine.api_version
        streams.err.write(
            f'"--all" requires API version 1.42, but the Docker daemon API version is {version}\n'
        )
        return EXIT_ENGINE_ERROR
    document = plan_volume_prune(host, filters, all=args.all, rule=rule).to_api()
    if args.format == "json":
        streams.json(document)
    else:
        streams.out.write(render.volume_prune_output(document))
    return EXIT_OK


def _prune_system(
    args: argparse.Namespace, host: Host, streams: _Streams, filters: dict[str, list[str]]
) -> int:
    """``docker system prune -f [-a] [--volumes]``: the steps' blocks, then the total.

    A step the engine refuses stops the command after the blocks of the steps
    before it, without a total, as the CLI does. Steps the model cannot
    decide (networks; steps that depend on what BuildKit's cache holds) are
    named on stderr.
    """
    from .errors import InvalidArgument
    from .removal import plan_system_prune

    try:
        plan = plan_system_prune(
            host, all=args.all, volumes=args.volumes, filters=filters, now=args.now
        )
    except InvalidArgument as refused:  # refused by the CLI before any request
        streams.err.write(refused.message + "\n")
        return EXIT_ENGINE_ERROR
    document = plan.to_api()
    if args.format == "json":
        streams.json(document)
    else:
        text = render.system_prune_output(document)
        if plan.refusal is not None:
            text = text.rpartition("Total reclaimed space:")[0]
        streams.out.write(text)
    others = [name for name in plan.unknown if name != "networks"]
    streams.note(
        "not predicted: networks (networks are not read; "
        "docker would also remove custom networks no container uses)"
        + (
            f"; not exact: {', '.join(others)} (what BuildKit's build cache holds)"
            if others
            else ""
        )
    )
    if plan.refusal is not None:
        streams.err.write(render.daemon_error(plan.refusal.message))
        return EXIT_ENGINE_ERROR
    return EXIT_OK


def _cmd_why(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    answer = host.why(args.ref)
    if args.format == "json":
        streams.json(answer.to_json())
    else:
        streams.out.write(answer.to_text())
    return EXIT_OK


def _cmd_tree(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    from .tree import image_tree, render_tree

    roots = image_tree(host, all=args.all)
    if args.format == "json":
        streams.json([root.to_json() for root in roots])
    else:
        streams.out.write(render_tree(roots))
    return EXIT_OK


def _cmd_report(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    from .report import render_report

    page = render_report(host, now=args.now)
    try:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as error:
        raise _Exit(
            EXIT_SOURCE, f"cannot write {args.output}: {error.strerror or error}"
        ) from None
    streams.note(f"wrote {args.output} ({len(page.encode())} bytes)")
    return EXIT_OK


def reference_record(text: str) -> dict[str, Any]:
    """What ``parse`` reports for one reference; :class:`InvalidReference` if invalid.

    ``normalized`` is the reference the engine stores and looks up (a bare
    name gets ``:latest``); ``familiar`` is how ``docker images`` shows it.

    >>> reference_record("ubuntu")["normalized"]
    'docker.io/library/ubuntu:latest'
    >>> reference_record("localhost:5000/app@sha256:" + "a" * 64)["domain"]
    'localhost:5000'
    """
    ref = _ref.parse_normalized_named(text)
    stored = _ref.tag_name_only(ref)
    return {
        "input": text,
        "normalized": str(stored),
        "familiar": _ref.familiar_string(stored),
        "name": ref.name,
        "domain": ref.domain,
        "path": ref.path,
        "tag": ref.tag,
        "digest": ref.digest,
    }


def _cmd_parse(args: argparse.Namespace, streams: _Streams) -> int:
    records = []
    status = EXIT_OK
    for text in args.refs:
        try:
            records.append(reference_record(text))
        except InvalidReference as error:
            streams.note(f"invalid reference {render.go_quote(text)}: {error}")
            status = EXIT_USAGE
    if args.format == "json":
        streams.json(records)
    elif records:
        rows = [(r["input"], r["normalized"], r["familiar"]) for r in records]
        streams.out.write(render.table(("INPUT", "NORMALIZED", "FAMILIAR"), rows))
    return status


def _cmd_snapshot(args: argparse.Namespace, host: Host, streams: _Streams) -> int:
    payloads = host.to_payloads()
    if args.file == "-":
        streams.out.write(_snapshot.dumps(payloads))
    else:
        try:
            _snapshot.dump(payloads, args.file)
        except InvalidPayload as error:
            raise _Exit(EXIT_SOURCE, f"cannot save the snapshot: {error}") from None
        streams.note(
            f"saved {len(host.images)} images and {len(host.containers)} containers to {args.file}"
        )
    return EXIT_OK


_HOST_COMMANDS: dict[str, Callable[[argparse.Namespace, Host, _Streams], int]] = {
    "df": _cmd_df,
    "images": _cmd_images,
    "ps": _cmd_ps,
    "rmi": _cmd_rmi,
    "rm": _cmd_rm,
    "prune": _cmd_prune,
    "why": _cmd_why,
    "tree": _cmd_tree,
    "report": _cmd_report,
    "snapshot": _cmd_snapshot,
}


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------


def _unix_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a Unix time in seconds: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a Unix time in seconds: {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="'json' prints the engine's JSON document instead of the table",
    )


def _add_filter(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--filter",
        action="append",
        metavar="KEY=VALUE",
        help=f"filter {what} as the engine does (repeatable)",
    )


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=summary, description=summary)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dockermodel`` command."""
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Docker Engine 20.10 disk usage and removal semantics, offline.",
        epilog="exit status: "
        + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--snapshot", metavar="FILE", help="read the state from a snapshot file")
    source.add_argument("--demo", action="store_true", help="use the bundled demo snapshot")
    parser.add_argument(
        "--now",
        type=_unix_seconds,
        metavar="UNIX_SECONDS",
        help="the clock for relative times such as '2 hours ago' (default: now)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait for the engine to answer one request "
        "(default: 60, docker-py's); then exit status 3",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    df = _command(commands, "df", "Disk usage, as 'docker system df [-v]'.")
    df.add_argument("-v", "--verbose", action="store_true", help="per image and container")
    _add_format(df)

    images = _command(commands, "images", "List images, as 'docker images [-a]'.")
    images.add_argument("-a", "--all", action="store_true", help="include intermediate images")
    images.add_argument("--digests", action="store_true", help="show digests")
    images.add_argument("--no-trunc", action="store_true", help="do not truncate ids")
    images.add_argument("-q", "--quiet", action="store_true", help="only image ids")
    _add_filter(images, "images")
    images.add_argument("repository", nargs="?", metavar="REPOSITORY[:TAG]")
    _add_format(images)

    ps = _command(commands, "ps", "List containers, as 'docker ps [-a] [-s]'.")
    ps.add_argument("-a", "--all", action="store_true", help="include stopped containers")
    ps.add_argument("-s", "--size", action="store_true", help="show sizes")
    ps.add_argument("--no-trunc", action="store_true", help="do not truncate output")
    ps.add_argument("-q", "--quiet", action="store_true", help="only container ids")
    _add_filter(ps, "containers")
    _add_format(ps)

    rmi = _command(commands, "rmi", "What 'docker rmi' would print. Nothing is removed.")
    rmi.add_argument("-f", "--force", action="store_true", help="as docker rmi -f")
    rmi.add_argument("--no-prune", action="store_true", help="keep untagged parents")
    rmi.add_argument("refs", nargs="+", metavar="REF")
    _add_format(rmi)

    rm = _command(commands, "rm", "What 'docker rm' would print. Nothing is removed.")
    rm.add_argument("-f", "--force", action="store_true", help="as docker rm -f")
    rm.add_argument("-v", "--volumes", action="store_true", help="also anonymous volumes")
    rm.add_argument("containers", nargs="+", metavar="CONTAINER")
    _add_format(rm)

    prune = _command(commands, "prune", "What a prune would print. Nothing is removed.")
    targets = prune.add_subparsers(
        dest="what", metavar="{images,containers,volumes,system,builder}", required=True
    )
    prune_images = _command(targets, "images", "What 'docker image prune -f [-a]' would print.")
    prune_images.add_argument("-a", "--all", action="store_true", help="all unused images")
    _add_filter(prune_images, "images")
    _add_format(prune_images)
    prune_containers = _command(
        targets, "containers", "What 'docker container prune -f' would print."
    )
    _add_filter(prune_containers, "containers")
    _add_format(prune_containers)
    prune_volumes = _command(targets, "volumes", "What 'docker volume prune -f' would print.")
    prune_volumes.add_argument(
        "-a", "--all", action="store_true", help="named volumes too (API 1.42+)"
    )
    _add_filter(prune_volumes, "volumes")
    _add_format(prune_volumes)
    prune_system = _command(targets, "system", "What 'docker system prune -f' would print.")
    prune_system.add_argument("-a", "--all", action="store_true", help="all unused images")
    prune_system.add_argument("--volumes", action="store_true", help="prune volumes too")
    _add_filter(prune_system, "everything")
    _add_format(prune_system)

    why = _command(commands, "why", "Why an image is still here, and what removing it would do.")
    why.add_argument("ref", metavar="REF")
    _add_format(why)

    tree = _command(commands, "tree", "The images as a tree: own and shared bytes per image.")
    tree.add_argument("-a", "--all", action="store_true", help="show intermediate images")
    _add_format(tree)

    report = _command(commands, "report", "Write a self-contained HTML report of the host.")
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file")
    prune_builder = _command(
        targets, "builder", "What 'docker builder prune -f [-a]' would print."
    )
    prune_builder.add_argument(
        "-a", "--all", action="store_true", help="every unused record, not only dangling ones"
    )
    _add_filter(prune_builder, "build-cache records")
    _add_format(prune_builder)

    parse = _command(commands, "parse", "Normalize image references as the engine does.")
    parse.add_argument("refs", nargs="+", metavar="REF")
    _add_format(parse)

    snapshot = _command(commands, "snapshot", "Snapshot files of the state.")
    actions = snapshot.add_subparsers(dest="action", metavar="{save}", required=True)
    save = _command(actions, "save", "Write the state as a snapshot file.")
    save.add_argument("file", metavar="FILE", help="where to write ('-' for stdout; .gz: gzip)")
    return parser


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


@contextmanager
def _quiet_broken_pipe(streams: _Streams) -> Iterator[None]:
    """End quietly when the reader of stdout goes away (``dockermodel images | head``)."""
    try:
        yield
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, streams.out.fileno())
        except (AttributeError, OSError, ValueError):
            pass
        finally:
            os.close(devnull)


def _run(args: argparse.Namespace, streams: _Streams) -> int:
    """Run the parsed command; library errors become exit statuses."""
    if args.command == "parse":
        return _cmd_parse(args, streams)
    host = _source(args, streams)
    if args.now is None:
        args.now = _recorded_at(host) if args.recorded else None
        if args.now is None:
            args.now = time.time()
    try:
        return _HOST_COMMANDS[args.command](args, host, streams)
    except EngineError as error:
        streams.err.write(render.daemon_error(error.message))
        return EXIT_ENGINE_ERROR
    except NotModelled as error:  # a question the library does not answer by guessing
        streams.note(str(error))
        return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dockermodel`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    streams = _Streams(sys.stdout, sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    status = EXIT_OK
    with _quiet_broken_pipe(streams):
        try:
            status = _run(args, streams)
        except _Exit as stop:
            if stop.message:
                streams.note(stop.message)
            status = stop.status
        except DockerModelError as error:
            streams.note(f"{type(error).__name__}: {error}")
            status = EXIT_SOURCE
        streams.out.flush()
    return status
