"""The scripts in ``examples/``, run as a user would, against the bundled demo snapshot.

Each must accept ``--demo`` and ``--snapshot FILE`` (CI runs every example
with ``--demo``); the outputs are pinned on the demo state.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostbuilder import HostBuilder

from dockermodel import snapshot
from dockermodel.cli import load_demo

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

DISK_USAGE_REPORT = """\
IMAGE                   SIZE      SHARED    UNIQUE    CONTAINERS
api:dev                 2.002MB   1.982MB   20kB      0
<none> (a7eccb50c3ea)   2.002MB   1.982MB   20kB      0
worker:1.0              2.032MB   1.982MB   50kB      1
web:1.0                 2.112MB   1.982MB   130kB     1
base:1.0                1.982MB   1.982MB   0B        0

Layers shared by several images:
LAYER          SIZE      HELD BY
08d08fba9e92   1.982MB   api:dev, <none> (a7eccb50c3ea), worker:1.0, web:1.0, base:1.0

TOTAL                          BYTES     MEANING
Sum of the image sizes         10.13MB   what the SIZE column adds up to
Disk used by image layers      2.202MB   each layer counted once
Counted more than once         7.929MB   shared layers
Reclaimable, docker's figure   2.022MB   docker system df
Reclaimable, exactly           40kB      removing every image no container uses
"""

PRUNE_PREVIEW = """\
COMMAND                                           REMOVES                  DOCKER REPORTS   DISK FREED
docker image prune                                1 image                  20kB             20kB
docker image prune -a                             2 images                 40kB             40kB
docker container prune                            1 container              5B               5B
docker container prune && docker image prune -a   1 container + 4 images   90kB             90kB
"""  # noqa: E501

STOPPED_CONTAINER_IMAGES = """\
worker:1.0 (9228cd4dbc58)
  held by worker-job (1abb7aa41cc2): Exited (0) 3 seconds ago
  docker rmi worker:1.0: Error response from daemon: conflict: unable to remove repository \
reference "worker:1.0" (must force) - container 1abb7aa41cc2 is using its referenced image \
9228cd4dbc58
  docker rm worker-job && docker rmi worker:1.0 would free 50.01kB
"""

NORMALIZED_DEMO_TAGS = [
    ("api:dev", "docker.io/library/api:dev"),
    ("worker:1.0", "docker.io/library/worker:1.0"),
    ("web:1.0", "docker.io/library/web:1.0"),
    ("web:latest", "docker.io/library/web:latest"),
    ("base:1.0", "docker.io/library/base:1.0"),
]


def run_example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    # the package of this checkout, whatever copy is installed
    path = os.pathsep.join(p for p in (str(EXAMPLES.parent), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock", PYTHONPATH=path)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo state as a snapshot file, for ``--snapshot FILE``."""
    path = tmp_path_factory.mktemp("examples") / "demo.json"
    load_demo().dump(path)
    return str(path)


PINNED = [
    ("disk_usage_report.py", DISK_USAGE_REPORT),
    ("prune_preview.py", PRUNE_PREVIEW),
    ("stopped_container_images.py", STOPPED_CONTAINER_IMAGES),
]


@pytest.mark.parametrize(("name", "expected"), PINNED, ids=[n for n, _ in PINNED])
@pytest.mark.parametrize("source", ["--demo", "--snapshot"])
def test_example_output(name: str, expected: str, source: str, demo_file: str) -> None:
    args = ["--demo"] if source == "--demo" else ["--snapshot", demo_file]
    result = run_example(name, *args)
    assert (result.stdout, result.stderr, result.returncode) == (expected, "", 0)


def test_every_example_is_tested() -> None:
    tested = {name for name, _ in PINNED} | {"normalize_references.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def _rows(stdout: str) -> list[tuple[str, str]]:
    """(as written, canonical) of each table row."""
    rows = []
    for line in stdout.splitlines()[1:]:
        cells = line.split()
        rows.append((cells[-3], cells[-2]))
    return rows


def test_normalize_references_demo() -> None:
    result = run_example("normalize_references.py", "--demo")
    assert (result.stderr, result.returncode) == ("", 0)
    digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert _rows(result.stdout) == [
        ("nginx", "docker.io/library/nginx:latest"),
        ("redis:7-alpine", "docker.io/library/redis:7-alpine"),
        ("docker.io/library/postgres:16", "docker.io/library/postgres:16"),
        (f"ghcr.io/acme/app@{digest}", f"ghcr.io/acme/app@{digest}"),
        ("localhost:5000/team/tool:v2", "localhost:5000/team/tool:v2"),
        *NORMALIZED_DEMO_TAGS,
    ]


def test_normalize_references_snapshot(demo_file: str) -> None:
    result = run_example("normalize_references.py", "--snapshot", demo_file)
    assert (_rows(result.stdout), result.stderr, result.returncode) == (
        NORMALIZED_DEMO_TAGS,
        "",
        0,
    )


def test_normalize_references_files(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  a:\n    image: 'Busybox:1'\n  b:\n    image: alpine  # x\n")
    listing = tmp_path / "images.txt"
    listing.write_text("# wanted\nquay.io/org/tool\n\n")
    result = run_example("normalize_references.py", str(compose), str(listing))
    assert _rows(result.stdout) == [
        ("alpine", "docker.io/library/alpine:latest"),
        ("quay.io/org/tool", "quay.io/org/tool:latest"),
    ]
    assert (result.stderr, result.returncode) == (
        f"{compose}: invalid reference format: repository name (library/Busybox) must be "
        "lowercase\n    Busybox:1\n    ^^^^^^^\n",
        1,
    )


def test_demo_snapshot_is_a_real_recording() -> None:
    demo = snapshot.load(EXAMPLES.parent / "dockermodel" / "data" / "demo.json")
    assert demo["version"]["Version"] == "20.10.24+dfsg1"
    assert demo["system_df"]["LayersSize"] == load_demo().disk_usage().layers_size


# -- hosts the demo does not show ------------------------------------------------------


def _snapshot_file(tmp_path: Path, payloads: dict[str, object]) -> str:
    path = tmp_path / "host.json"
    snapshot.dump(payloads, path)
    return str(path)


def test_prune_preview_of_an_empty_host(tmp_path: Path) -> None:
    empty = {"images_all": [], "image_inspect": {}, "image_history": {}, "containers": [],
             "version": {"Version": "20.10.24", "ApiVersion": "1.41"}}
    result = run_example("prune_preview.py", "--snapshot", _snapshot_file(tmp_path, empty))
    assert (result.stdout, result.stderr, result.returncode) == (
        "COMMAND                                           REMOVES   DOCKER REPORTS   DISK FREED\n"
        "docker image prune                                nothing   0B               0B\n"
        "docker image prune -a                             nothing   0B               0B\n"
        "docker container prune                            nothing   0B               0B\n"
        "docker container prune && docker image prune -a   nothing   0B               0B\n",
        "",
        0,
    )


def test_stopped_container_images_when_the_image_has_children(tmp_path: Path) -> None:
    # an untagged image that stopped containers use, with an image built on it:
    # removing the containers does not make docker rmi succeed
    b = HostBuilder()
    base = b.build([1000])[-1]
    b.build([200, 30], base=base, tag="app:1")
    job = b.container(base, "exited", name="old-job", size_rw=4)
    fresh = b.container(base, "created", name="fresh")
    payloads = {**b.payloads(), "version": {"Version": "20.10.24", "ApiVersion": "1.41"}}
    result = run_example(
        "stopped_container_images.py", "--snapshot", _snapshot_file(tmp_path, payloads)
    )
    short = base[7:19]
    refusal = (
        f"Error response from daemon: conflict: unable to delete {short} (cannot be forced) - "
        "image has dependent child images"
    )
    assert (result.stdout, result.stderr, result.returncode) == (
        f"{short} ({short})\n"
        f"  held by fresh ({fresh[:12]}): Created\n"
        f"  held by old-job ({job[:12]}): Exited (0) 2 seconds ago\n"
        f"  docker rmi {short}: {refusal}\n"
        "  docker rm fresh old-job would free 4B; then\n"
        f"  docker rmi {short}: {refusal}\n",
        "",
        0,
    )
