"""The ``dockermodel`` command line, offline: the bundled demo, snapshots, errors, exit codes.

The tables are pinned on the demo snapshot, a real Engine 20.10.24 state
recorded by ``scripts/make_demo.py``; ``tests/test_cli_engine.py`` checks the
same code paths against the docker CLI itself on a live throwaway engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockermodel import cli, snapshot

#: Two hours after the demo was recorded (its last container was created at 1795800693).
NOW = "1795807893"

DEMO = Path(cli.__file__).parent / "data" / "demo.json"

DF = """\
TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
Images          5         2         2.202MB   2.022MB (91%)
Containers      2         1         5B        5B (100%)
Local Volumes   0         0         0B        0B
Build Cache     0         0         0B        0B
"""

DF_V = """\
Images space usage:

REPOSITORY   TAG       IMAGE ID       CREATED       SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS
api          dev       52e99ae3860e   2 hours ago   2MB       1.982MB       20kB          0
<none>       <none>    a7eccb50c3ea   2 hours ago   2MB       1.982MB       20kB          0
worker       1.0       9228cd4dbc58   2 hours ago   2.03MB    1.982MB       50kB          1
web          1.0       3e00b616b013   2 hours ago   2.11MB    1.982MB       130kB         1
base         1.0       86c2ae2ab32a   2 hours ago   1.98MB    1.982MB       0B            0

Containers space usage:

CONTAINER ID   IMAGE        COMMAND                  LOCAL VOLUMES   SIZE      CREATED       STATUS                     NAMES
1abb7aa41cc2   worker:1.0   "/bin/busybox sh -c …"   0               5B        2 hours ago   Exited (0) 3 seconds ago   worker-job
f5c7e4170221   web:1.0      "/bin/busybox sleep …"   0               0B        2 hours ago   Up 5 seconds               web

Local Volumes space usage:

VOLUME NAME   LINKS     SIZE

Build cache usage: 0B

CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED
"""  # noqa: E501

IMAGES = """\
REPOSITORY   TAG       IMAGE ID       CREATED       SIZE
api          dev       52e99ae3860e   2 hours ago   2MB
<none>       <none>    a7eccb50c3ea   2 hours ago   2MB
worker       1.0       9228cd4dbc58   2 hours ago   2.03MB
web          1.0       3e00b616b013   2 hours ago   2.11MB
web          latest    3e00b616b013   2 hours ago   2.11MB
base         1.0       86c2ae2ab32a   2 hours ago   1.98MB
"""

IMAGES_A = """\
REPOSITORY   TAG       IMAGE ID       CREATED       SIZE
api          dev       52e99ae3860e   2 hours ago   2MB
<none>       <none>    a7eccb50c3ea   2 hours ago   2MB
worker       1.0       9228cd4dbc58   2 hours ago   2.03MB
<none>       <none>    ad7357210212   2 hours ago   2.03MB
<none>       <none>    24e3faecdfab   2 hours ago   2.08MB
web          1.0       3e00b616b013   2 hours ago   2.11MB
web          latest    3e00b616b013   2 hours ago   2.11MB
<none>       <none>    09e418dd59c8   2 hours ago   2.08MB
<none>       <none>    2c6aee8658dd   2 hours ago   1.98MB
base         1.0       86c2ae2ab32a   2 hours ago   1.98MB
"""

PS = """\
CONTAINER ID   IMAGE     COMMAND                  CREATED       STATUS         PORTS     NAMES
f5c7e4170221   web:1.0   "/bin/busybox sleep …"   2 hours ago   Up 5 seconds             web
"""

PS_AS = """\
CONTAINER ID   IMAGE        COMMAND                  CREATED       STATUS                     PORTS     NAMES        SIZE
1abb7aa41cc2   worker:1.0   "/bin/busybox sh -c …"   2 hours ago   Exited (0) 3 seconds ago             worker-job   5B (virtual 2.03MB)
f5c7e4170221   web:1.0      "/bin/busybox sleep …"   2 hours ago   Up 5 seconds                         web          0B (virtual 2.11MB)
"""  # noqa: E501

WORKER_CONFLICT = (
    "Error response from daemon: conflict: unable to remove repository reference "
    '"worker:1.0" (must force) - container 1abb7aa41cc2 is using its referenced image '
    "9228cd4dbc58\n"
)
WEB_LATEST_CONFLICT = (
    WORKER_CONFLICT.replace("worker:1.0", "web:latest")
    .replace("1abb7aa41cc2", "f5c7e4170221")
    .replace("9228cd4dbc58", "3e00b616b013")
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str, int]:
    """``dockermodel ARGV`` in this process: (stdout, stderr, exit status)."""
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return out, err, status


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point docker-py at a socket that does not exist: no test here reaches an engine."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")


# -- tables on the demo -----------------------------------------------------------

DEMO_TABLES = [
    (("df",), DF),
    (("df", "-v"), DF_V),
    (("images",), IMAGES),
    (("images", "-a"), IMAGES_A),
    (("ps",), PS),
    (("ps", "-a", "-s"), PS_AS),
    (("images", "--filter", "dangling=true"), "".join(IMAGES.splitlines(True)[i] for i in (0, 2))),
    (("images", "web:latest"), "".join(IMAGES.splitlines(True)[i] for i in (0, 5))),
]


@pytest.mark.parametrize(
    ("args", "expected"), DEMO_TABLES, ids=[" ".join(a) for a, _ in DEMO_TABLES]
)
def test_demo_tables(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    assert run(capsys, "--demo", "--now", NOW, *args) == (expected, "", 0)


# -- predictions on the demo ------------------------------------------------------

DEMO_PREDICTIONS = [
    (("rmi", "worker:1.0"), "", WORKER_CONFLICT, 1),
    (
        ("rmi", "-f", "worker:1.0"),
        "Untagged: worker:1.0\n"
        "Deleted: sha256:9228cd4dbc586d9b3d19f3989c4de44a2e8b6029b5ebc3f6b57ce57b6e1aaca6\n"
        "Deleted: sha256:ad73572102123752220dc5289679697c66f0123b98b5dc765cb1936d3480e733\n",
        "",
        0,
    ),
    # Each REF works on the state the previous ones left: the second tag is then the last.
    (("rmi", "web:1.0", "web:latest"), "Untagged: web:1.0\n", WEB_LATEST_CONFLICT, 1),
    (
        ("rmi", "nosuch", "base:1.0"),
        "Untagged: base:1.0\n",
        "Error response from daemon: No such image: nosuch:latest\n",
        1,
    ),
    # With -f, "no such image" is still printed but is not a failure (CLI 28).
    (("rmi", "-f", "nosuch"), "", "Error response from daemon: No such image: nosuch:latest\n", 0),
    (("rmi", ""), "", "Error response from daemon: page not found\n", 1),
    (
        ("prune", "images"),
        "Deleted Images:\n"
        "deleted: sha256:a7eccb50c3ea1f1e63751be354f3cdd21c45aeade2b9e978ad29cca807e93375\n"
        "deleted: sha256:2aee37d948f4598fe345bae2fb479b365eaa9e52c07dc6368383290213e69e18\n"
        "\n"
        "Total reclaimed space: 20kB\n",
        "",
        0,
    ),
    (
        ("prune", "containers"),
        "Deleted Containers:\n"
        "1abb7aa41cc28450532a2cab2563468524ac7dc2432b0f87e6bdc25f30a06003\n"
        "\n"
        "Total reclaimed space: 5B\n",
        "",
        0,
    ),
    (("prune", "containers", "--filter", "label=none"), "Total reclaimed space: 0B\n", "", 0),
    (
        ("prune", "images", "--filter", "foo=1"),
        "",
        "Error response from daemon: Invalid filter 'foo'\n",
        1,
    ),
]


@pytest.mark.parametrize(
    ("args", "out", "err", "status"),
    DEMO_PREDICTIONS,
    ids=[" ".join(p[0]) for p in DEMO_PREDICTIONS],
)
def test_demo_predictions(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], out: str, err: str, status: int
) -> None:
    assert run(capsys, "--demo", *args) == (out, err, status)


def test_predictions_change_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    saved = tmp_path / "state.json"
    assert run(capsys, "--demo", "snapshot", "save", str(saved))[2] == 0
    run(capsys, "--snapshot", str(saved), "rmi", "-f", "worker:1.0")
    run(capsys, "--snapshot", str(saved), "prune", "images", "-a")
    assert run(capsys, "--snapshot", str(saved), "--now", NOW, "images") == (IMAGES, "", 0)


# -- JSON documents -----------------------------------------------------------------


def _demo_payloads() -> dict[str, object]:
    return snapshot.load(DEMO)


def test_df_json_is_the_engines_recorded_document(capsys: pytest.CaptureFixture[str]) -> None:
    out, err, status = run(capsys, "--demo", "df", "--format", "json")
    recorded = _demo_payloads()["system_df"]
    assert isinstance(recorded, dict)
    assert (json.loads(out), err, status) == (recorded, "", 0)


def test_images_json_is_the_engines_listing(capsys: pytest.CaptureFixture[str]) -> None:
    out, _, status = run(capsys, "--demo", "images", "-a", "--format", "json")
    recorded = _demo_payloads()["images_all"]
    assert isinstance(recorded, list)

    def by_id(images: list[dict[str, object]]) -> list[dict[str, object]]:
        return sorted(images, key=lambda image: str(image["Id"]))

    assert (by_id(json.loads(out)), status) == (by_id(recorded), 0)


def test_ps_json_is_the_engines_listing(capsys: pytest.CaptureFixture[str]) -> None:
    # ps -s asks GET /containers/json?size=1: the recorded listing, sizes included
    out, _, status = run(capsys, "--demo", "ps", "-a", "-s", "--format", "json")
    recorded = _demo_payloads()["containers"]
    assert (json.loads(out), status) == (recorded, 0)
    assert [c.get("SizeRootFs") for c in recorded] == [2032261, 2112256]  # sizes to drop


def test_ps_json_without_size_has_no_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    # without -s the engine computes no size and leaves both fields out
    out, _, status = run(capsys, "--demo", "ps", "-a", "--format", "json")
    unsized = [
        {k: v for k, v in c.items() if k not in ("SizeRw", "SizeRootFs")}
        for c in _demo_payloads()["containers"]
    ]
    assert (json.loads(out), status) == (unsized, 0)


JSON_PREDICTIONS = [
    (
        ("rmi", "api:dev"),
        [
            {"Untagged": "api:dev"},
            {"Deleted": "sha256:52e99ae3860e9f93fc04ec6a4184887cd820f7cdc418aaa0a9a9d144643aeeb4"},
            {"Deleted": "sha256:c86e08861376ecdb7f5c0226c3935d6b883af3d0a3c08677b6bb0198fb0331fc"},
        ],
    ),
    (
        ("prune", "containers"),
        {
            "ContainersDeleted": [
                "1abb7aa41cc28450532a2cab2563468524ac7dc2432b0f87e6bdc25f30a06003"
            ],
            "SpaceReclaimed": 5,
        },
    ),
]


@pytest.mark.parametrize(
    ("args", "expected"), JSON_PREDICTIONS, ids=[" ".join(a) for a, _ in JSON_PREDICTIONS]
)
def test_prediction_json(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: object
) -> None:
    out, err, status = run(capsys, "--demo", *args, "--format", "json")
    assert (json.loads(out), err, status) == (expected, "", 0)


# -- parse ----------------------------------------------------------------------------

PARSE_TABLE = """\
INPUT                        NORMALIZED                        FAMILIAR
ubuntu                       docker.io/library/ubuntu:latest   ubuntu:latest
localhost:5000/team/app:v2   localhost:5000/team/app:v2        localhost:5000/team/app:v2
"""


def test_parse_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "parse", "ubuntu", "localhost:5000/team/app:v2") == (PARSE_TABLE, "", 0)


def test_parse_json(capsys: pytest.CaptureFixture[str]) -> None:
    digest = "sha256:" + "a" * 64
    out, err, status = run(capsys, "parse", "--format", "json", f"quay.io/org/tool@{digest}")
    expected = {
        "input": f"quay.io/org/tool@{digest}",
        "normalized": f"quay.io/org/tool@{digest}",
        "familiar": f"quay.io/org/tool@{digest}",
        "name": "quay.io/org/tool",
        "domain": "quay.io",
        "path": "org/tool",
        "tag": None,
        "digest": digest,
    }
    assert (json.loads(out), err, status) == ([expected], "", 0)


PARSE_ERRORS = [
    (
        "Foo",
        'dockermodel: invalid reference "Foo": invalid reference format: '
        "repository name (library/Foo) must be lowercase\n    Foo\n    ^^^\n",
    ),
    ("a" * 64, None),
    ("app:", None),
]


@pytest.mark.parametrize(
    ("text", "message"), PARSE_ERRORS, ids=["uppercase", "64-hex", "empty-tag"]
)
def test_parse_invalid_reference_exits_2(
    capsys: pytest.CaptureFixture[str], text: str, message: str | None
) -> None:
    out, err, status = run(capsys, "parse", "ubuntu", text)
    assert (out.splitlines()[1].split()[0], status) == ("ubuntu", 2)
    assert err.startswith(f"dockermodel: invalid reference {json.dumps(text)}: ")
    if message is not None:
        assert err == message


# -- sources, errors and exit codes ---------------------------------------------------


def test_unreachable_engine_is_never_replaced_by_the_demo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # DOCKER_HOST names an engine that is not there: an error, not the demo's numbers
    out, err, status = run(capsys, "--now", NOW, "df")
    assert (out, status) == ("", 3)
    assert err == (
        f"dockermodel: cannot reach the Docker engine at unix://{tmp_path}/absent.sock: "
        "No such file or directory\n"
        "  Is the docker daemon running? Start the engine or point DOCKER_HOST at it, or work "
        "offline with --snapshot FILE (written by 'dockermodel snapshot save') or --demo.\n"
    )


@pytest.mark.parametrize(
    "args",
    [("rmi", "web:1.0"), ("prune", "images"), ("prune", "containers"), ("snapshot", "save", "-")],
)
def test_no_engine_is_an_error_for_predictions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    out, err, status = run(capsys, *args)
    assert (out, status) == ("", 3)
    assert err.startswith(
        f"dockermodel: cannot reach the Docker engine at unix://{tmp_path}/absent.sock: "
    )
    assert err.endswith(
        "  Is the docker daemon running? Start the engine or point DOCKER_HOST at it, or work "
        "offline with --snapshot FILE (written by 'dockermodel snapshot save') or --demo.\n"
    )


BAD_SNAPSHOTS = [
    (None, "cannot read: No such file or directory"),
    ("not json", "not valid JSON: Expecting value: line 1 column 1 (char 0)"),
    ('{"images_all": []}', "format: missing: not a dockermodel snapshot"),
    ('{"format": "dockermodel-snapshot/1", "images_all": []}', "image_inspect: missing"),
]


@pytest.mark.parametrize(
    ("content", "message"), BAD_SNAPSHOTS, ids=["absent", "text", "no-format", "partial"]
)
def test_bad_snapshot_exits_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "snap.json"
    if content is not None:
        path.write_text(content)
    out, err, status = run(capsys, "--snapshot", str(path), "df")
    assert (out, status) == ("", 3)
    assert err.startswith(f"dockermodel: bad snapshot file {path}: {message}")


USAGE_ERRORS = [
    (),
    ("df", "--bogus"),
    ("--now", "soon", "df"),
    ("--now", "nan", "df"),
    ("--demo", "--snapshot", "x.json", "df"),
    ("--demo", "images", "--format", "yaml"),
    ("--demo", "rmi"),
    ("--demo", "prune"),
    ("snapshot",),
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=[" ".join(a) or "nothing" for a in USAGE_ERRORS])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    out, err, status = run(capsys, *args)
    assert (out, status) == ("", 2)
    assert err.startswith("usage: dockermodel")


def test_malformed_filter_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--demo", "images", "--filter", "dangling") == (
        "",
        'dockermodel: invalid argument "dangling" for "--filter": '
        "bad format of filter (expected name=value)\n",
        2,
    )


def test_engine_error_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--demo", "images", "--filter", "foo=bar") == (
        "",
        "Error response from daemon: Invalid filter 'foo'\n",
        1,
    )


def test_exit_codes_are_documented() -> None:
    assert sorted(cli.EXIT_CODES) == [0, 1, 2, 3]
    assert cli.__doc__ is not None
    for code in cli.EXIT_CODES:
        assert f"* {code} — " in cli.__doc__


# -- snapshot save ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["copy.json", "copy.json.gz"])
def test_snapshot_save_round_trip(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    out, err, status = run(capsys, "--demo", "snapshot", "save", str(path))
    assert (out, err, status) == (
        "",
        f"dockermodel: saved 9 images and 2 containers to {path}\n",
        0,
    )
    assert snapshot.load(path) == _demo_payloads()
    assert run(capsys, "--snapshot", str(path), "--now", NOW, "df", "-v") == (DF_V, "", 0)


def test_snapshot_save_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    out, err, status = run(capsys, "--demo", "snapshot", "save", "-")
    assert (snapshot.loads(out), err, status) == (_demo_payloads(), "", 0)


def test_snapshot_save_to_unwritable_place_exits_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "no" / "such" / "dir.json"
    out, err, status = run(capsys, "--demo", "snapshot", "save", str(path))
    assert (out, status) == ("", 3)
    assert err.startswith("dockermodel: cannot save the snapshot: ")


# -- entry points ---------------------------------------------------------------------------


def test_python_dash_m(tmp_path: Path) -> None:
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/absent.sock")
    result = subprocess.run(
        [sys.executable, "-m", "dockermodel", "--demo", "--now", NOW, "df"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (result.stdout, result.stderr, result.returncode) == (DF, "", 0)


UNTIL = [
    ("1795800703", "Total reclaimed space: 0B\n"),  # ten seconds after: nothing is an hour old
    (
        NOW,
        "Deleted Containers:\n"
        "1abb7aa41cc28450532a2cab2563468524ac7dc2432b0f87e6bdc25f30a06003\n"
        "\n"
        "Total reclaimed space: 5B\n",
    ),
]


@pytest.mark.parametrize(("now", "out"), UNTIL, ids=["10s-later", "2h-later"])
def test_prune_until_uses_now(capsys: pytest.CaptureFixture[str], now: str, out: str) -> None:
    args = ("--demo", "--now", now, "prune", "containers", "--filter", "until=1h")
    assert run(capsys, *args) == (out, "", 0)


# -- the README's tour is real output ---------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def _tour_commands() -> list[tuple[str, str]]:
    """Each ``$ dm ARGS`` line of the README's console blocks and the output below it."""
    text = README.read_text(encoding="utf-8")
    commands: list[tuple[str, str]] = []
    for block in text.split("```console\n")[1:]:
        body = block.split("```", 1)[0]
        for chunk in body.split("$ ")[1:]:
            command, _, output = chunk.partition("\n")
            if command.startswith("dm "):
                commands.append((command, output))
    return commands


def _pipe(text: str, stage: str) -> str:
    """``head -N`` and ``grep -c 'X'``, the two filters the tour uses."""
    verb, _, argument = stage.strip().partition(" ")
    if verb == "head":
        return "".join(text.splitlines(True)[: int(argument.lstrip("-"))])
    if verb == "grep" and argument.startswith("-c "):
        needle = argument[3:].strip("'\"")
        return f"{sum(needle in line for line in text.splitlines())}\n"
    raise AssertionError(f"unsupported filter in README: {stage}")


TOUR = _tour_commands()


def test_readme_has_a_tour() -> None:
    assert len(TOUR) >= 8


@pytest.mark.parametrize(("command", "expected"), TOUR, ids=[c for c, _ in TOUR])
def test_readme_tour_output(
    capsys: pytest.CaptureFixture[str], command: str, expected: str
) -> None:
    invocation, *stages = command.split("|")
    out, err, _ = run(capsys, "--demo", "--now", NOW, *invocation.split()[1:])
    text = out + err
    for stage in stages:
        text = _pipe(text, stage)
    assert text == expected
