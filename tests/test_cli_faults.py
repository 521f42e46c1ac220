"""Where the command's state comes from, and what it does when a configured engine fails.

The demo snapshot stands in only when no engine is configured at all
(``DOCKER_HOST`` unset and no default socket) or with ``--demo``; an engine
the user configured that cannot be read is exit status 3 with the reason,
never demo data printed as if it were real. The engines here are fakes on
private sockets (``tests/fakeengine.py``): one that serves the demo state,
one that never answers, one that closes every connection, one behind an
authorization plugin that refuses (403), one that dies in the middle of the
read, a stale socket, and a socket this user may not open.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeengine import FakeEngine, routes_for

from dockermodel import cli, snapshot
from dockermodel import engine as adapter

DEMO = snapshot.load(Path(cli.__file__).parent / "data" / "demo.json")
ROOT = Path(__file__).resolve().parent.parent

OFFLINE = (
    "work offline with --snapshot FILE (written by 'dockermodel snapshot save') or --demo.\n"
)
UNREACHABLE_HINT = (
    "  Is the docker daemon running? Start the engine or point DOCKER_HOST at it, or " + OFFLINE
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str, int]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return out, err, status


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real engine: the default socket is a path that does not exist; no cache."""
    absent = tmp_path / "no-default.sock"
    monkeypatch.setattr(adapter, "_DEFAULT_SOCKET", str(absent), raising=False)
    monkeypatch.setattr(adapter, "_DEFAULT_ADDRESS", f"unix://{absent}")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKERMODEL_NO_CACHE", "1")


@pytest.fixture
def serving() -> Iterator[FakeEngine]:
    with FakeEngine(routes_for(DEMO)) as engine:
        yield engine


# -- no engine configured: the demo, said so --------------------------------------------


def _demo_note(tmp_path: Path) -> str:
    return (
        f"dockermodel: no Docker engine configured (DOCKER_HOST is not set and "
        f"{tmp_path}/no-default.sock does not exist): showing the bundled demo snapshot "
        "(as with --demo)\n"
    )


@pytest.mark.parametrize(
    "args", [("df",), ("df", "-v"), ("images", "-a"), ("ps", "-a"), ("ps", "--format", "json")]
)
def test_no_engine_configured_reports_show_the_demo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    demo_out, _, _ = run(capsys, "--demo", *args)
    assert run(capsys, *args) == (demo_out, _demo_note(tmp_path), 0)


@pytest.mark.parametrize(
    "args",
    [("rmi", "web:1.0"), ("prune", "images"), ("prune", "containers"), ("snapshot", "save", "-")],
)
def test_no_engine_configured_is_an_error_for_predictions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    assert run(capsys, *args) == (
        "",
        f"dockermodel: no Docker engine configured (DOCKER_HOST is not set and "
        f"{tmp_path}/no-default.sock does not exist)\n"
        "  Start the engine or point DOCKER_HOST at it, or " + OFFLINE,
        3,
    )


def test_empty_docker_host_is_not_configured(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # docker-py ignores an empty DOCKER_HOST, and so does the choice of the demo
    monkeypatch.setenv("DOCKER_HOST", "")
    assert run(capsys, "images")[1:] == (_demo_note(tmp_path), 0)


def test_readme_first_command_shows_the_demo_without_engine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `dockermodel df -v` in a fresh process, with no DOCKER_HOST and no default socket
    absent = tmp_path / "no-default.sock"
    program = (
        "import sys; from dockermodel import engine, cli; "
        f"engine._DEFAULT_SOCKET = {str(absent)!r}; "
        "sys.exit(cli.main(['df', '-v']))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    demo_out, _, _ = run(capsys, "--demo", "df", "-v")
    assert (result.stdout, result.stderr, result.returncode) == (
        demo_out,
        _demo_note(tmp_path),
        0,
    )
    assert demo_out.startswith("Images space usage:\n")


# -- a configured engine that works ------------------------------------------------------


@pytest.mark.parametrize("args", [("df",), ("images", "-a"), ("ps", "-a", "-s")])
def test_a_working_engine_is_read(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    serving: FakeEngine,
    args: tuple[str, ...],
) -> None:
    monkeypatch.setenv("DOCKER_HOST", serving.address)
    now = "1795807893"
    demo_out, _, _ = run(capsys, "--demo", "--now", now, *args)
    assert run(capsys, "--now", now, *args) == (demo_out, "", 0)
    assert {r.split()[0] for r in serving.seen} == {"GET"}


# -- a configured engine that fails: exit status 3 and the reason, never the demo --------

#: (fault, engine options, expected stderr with {address} and {request}), every report command.
FAULTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "hang",
        {"mode": "hang"},
        "dockermodel: GET /version at {address} failed: no answer in time (waited 0.5 s)\n"
        "  The engine accepted the connection but did not answer; "
        "--timeout SECONDS sets the wait.\n",
    ),
    (
        "closes-connections",
        {"mode": "close"},
        "dockermodel: GET /version at {address} failed: broken response "
        "(the engine closed the connection)\n",
    ),
    (
        "authorization-403",
        {"status": 403},
        "dockermodel: GET /version at {address} failed (HTTP 403): authorization denied by "
        "plugin fake-authz: access to the API is denied\n",
    ),
    (
        "dies-after-info",
        {"die_after": "/v1.41/info"},
        # the next request meets a dead socket or a connection being closed: either reason
        "dockermodel: {request} at {address} failed: the engine stopped answering during "
        "the read ({reason})\n",
    ),
]

#: After a death the next request finds the socket refusing or its kept-alive connection
#: closing, depending on timing. Once /info has answered, the read asks the image list and
#: /version at once (and /system/df, sent before /info), each on a thread of its own:
#: whichever of them the read waits for first is named.
DEATH_REQUESTS = re.compile(
    r"GET (/version|/system/df|/images/json\?all=1)"
)
DEATH_REASONS = ("Connection refused", "it closed the connection")

REPORTS = [("df",), ("images", "--format", "json"), ("ps", "-a")]


@pytest.mark.parametrize("args", REPORTS, ids=[" ".join(a) for a in REPORTS])
@pytest.mark.parametrize(("fault", "options", "message"), FAULTS, ids=[f[0] for f in FAULTS])
def test_configured_engine_that_fails_is_exit_3_with_the_reason(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    options: dict[str, Any],
    message: str,
    args: tuple[str, ...],
) -> None:
    with FakeEngine(routes_for(DEMO), **options) as engine:
        monkeypatch.setenv("DOCKER_HOST", engine.address)
        start = time.monotonic()
        wait = ("--timeout", "0.5") if fault == "hang" else ()  # the others: the default
        result = run(capsys, *wait, *args)
        elapsed = time.monotonic() - start
    if "{reason}" in message:
        pattern = re.escape(message).replace(re.escape("{address}"), re.escape(engine.address))
        pattern = pattern.replace(re.escape("{request}"), DEATH_REQUESTS.pattern)
        pattern = pattern.replace(
            re.escape("{reason}"), "(?:" + "|".join(map(re.escape, DEATH_REASONS)) + ")"
        )
        assert (result[0], bool(re.fullmatch(pattern, result[1])), result[2]) == ("", True, 3), (
            result
        )
    else:
        assert result == ("", message.format(address=engine.address), 3)
    assert elapsed < 10  # bounded: the hung engine's one --timeout at most


def test_engine_dying_between_list_and_inspect_names_the_request(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # one image, so the one per-image request is the one that finds the engine gone
    image = DEMO["images_all"][3]
    one = {
        **DEMO,
        "images_all": [{**image, "ParentId": ""}],
        "containers": [],
    }
    with FakeEngine(routes_for(one), die_after="/v1.41/images/json") as engine:
        monkeypatch.setenv("DOCKER_HOST", engine.address)
        result = run(capsys, "images")
    assert result == (
        "",
        f"dockermodel: GET /images/{image['Id']}/json at {engine.address} failed: the engine "
        "stopped answering during the read (Connection refused)\n",
        3,
    )


@pytest.mark.parametrize("args", [("df",), ("rmi", "x")])
def test_unreachable_configured_engine_is_exit_3(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: tuple[str, ...],
) -> None:
    address = f"unix://{tmp_path}/absent.sock"
    monkeypatch.setenv("DOCKER_HOST", address)
    assert run(capsys, *args) == (
        "",
        f"dockermodel: cannot reach the Docker engine at {address}: No such file or directory\n"
        + UNREACHABLE_HINT,
        3,
    )


def test_stale_default_socket_counts_as_configured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # an engine that stopped left its socket: configured there, and nobody answers
    engine = FakeEngine(routes_for(DEMO))
    try:
        engine.die()
        monkeypatch.setattr(adapter, "_DEFAULT_SOCKET", engine.path)
        monkeypatch.setattr(adapter, "_DEFAULT_ADDRESS", engine.address)
        assert run(capsys, "ps") == (
            "",
            f"dockermodel: cannot reach the Docker engine at {engine.address}: "
            "Connection refused\n" + UNREACHABLE_HINT,
            3,
        )
    finally:
        engine.close()


def test_default_wait_is_documented_and_bounded() -> None:
    assert adapter.DEFAULT_TIMEOUT == 60.0
    assert cli.build_parser().parse_args(["df"]).timeout is None  # the adapter's 60 s
    assert "default 60" in (cli.__doc__ or "")
    for bad in ("0", "-1", "inf", "nan", "soon"):
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args(["--timeout", bad, "df"])


# -- permission denied on the socket ---------------------------------------------------------


def _as_nobody(argv: list[str], env: dict[str, str]) -> tuple[str, str, int]:
    """``dockermodel ARGV`` in a child process running as ``nobody`` (the parent is root).

    Forked rather than executed: ``nobody`` may not read root's Python, so
    everything the command needs is imported here first.
    """
    import grp  # noqa: F401
    import stat  # noqa: F401

    import docker  # noqa: F401

    from dockermodel import _cache, _mapping, host, removal, usage  # noqa: F401

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 99
        try:
            os.close(out_r)
            os.close(err_r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.environ.update(env)
            sys.stdout = os.fdopen(out_w, "w")
            sys.stderr = os.fdopen(err_w, "w")
            status = cli.main(argv)
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
        os._exit(status)
    os.close(out_w)
    os.close(err_w)
    with os.fdopen(out_r) as out, os.fdopen(err_r) as err:
        stdout, stderr = out.read(), err.read()
    _, code = os.waitpid(pid, 0)
    return stdout, stderr, os.waitstatus_to_exitcode(code)


def test_permission_denied_says_so_with_the_group_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeEngine(routes_for(DEMO)) as engine:
        os.chmod(engine.path, 0o660)  # root:root srw-rw----, as dockerd makes it (group docker)
        env = {"DOCKER_HOST": engine.address, "DOCKERMODEL_NO_CACHE": "1"}
        if os.geteuid() == 0:
            group = "root"
            result = _as_nobody(["images"], env)
        else:
            import grp

            group = grp.getgrgid(os.getegid()).gr_name
            os.chmod(engine.path, 0)
            monkeypatch.setenv("DOCKER_HOST", engine.address)
            result = run(capsys, "images")
            os.chmod(engine.path, 0o660)
        mode = "srw-rw----" if os.geteuid() == 0 else "s---------"
        assert result == (
            "",
            "dockermodel: Got permission denied while trying to connect to the Docker daemon "
            f"socket at {engine.address}: connect: permission denied\n"
            f"  The socket belongs to the group '{group}' ({mode}): add your user to it "
            f"('sudo usermod -aG {group} $USER', then log in again), as Docker's "
            "post-installation steps for Linux say, or run as a user who may use the engine; "
            "or " + OFFLINE,
            3,
        )
        assert engine.seen == []


def test_json_output_is_never_demo_data_for_a_failing_engine(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a script reading --format json gets nothing on stdout, not the demo's numbers
    with FakeEngine(routes_for(DEMO), status=500) as engine:
        monkeypatch.setenv("DOCKER_HOST", engine.address)
        out, err, status = run(capsys, "df", "--format", "json")
    assert (out, status) == ("", 3)
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    assert "failed (HTTP 500)" in err
