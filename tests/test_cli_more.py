"""The newer commands on the demo host: why, tree, report, rm, prune volumes|system, -q, --filter.

``tests/test_cli_more_engine.py`` runs the docker CLI itself beside them on a
throwaway engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockermodel import cli

NOW = "1795807893"
WORKER_JOB = "1abb7aa41cc28450532a2cab2563468524ac7dc2432b0f87e6bdc25f30a06003"
WEB = "f5c7e41702218dbeee92460f11bf9b556a8f5bffaa66cdfb1c9f91883dcbda85"
RUNNING_RM = (
    f"Error response from daemon: You cannot remove a running container {WEB}. "
    "Stop the container before attempting removal or force remove\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str, int]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return out, err, status


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")


WHY_WORKER = f"""\
worker:1.0  sha256:9228cd4dbc586d9b3d19f3989c4de44a2e8b6029b5ebc3f6b57ce57b6e1aaca6
  size 2.032MB: 50kB its own, 1.982MB shared with other images
  parent sha256:ad73572102123752220dc5289679697c66f0123b98b5dc765cb1936d3480e733

Why it is still here:
  - exited container 1abb7aa41cc2 (worker-job) uses it: rmi refuses without -f
  - tagged worker:1.0: image prune keeps it (prune -a does not)

What removing it would do:
  rmi:
    docker rmi worker:1.0  # refused: conflict: unable to remove repository reference "worker:1.0" (must force) - container 1abb7aa41cc2 is using its referenced image 9228cd4dbc58
    => untags 0, deletes 0 image(s) and 0 container(s), frees 0B; the image stays
  rmi -f:
    docker rmi -f sha256:9228cd4dbc586d9b3d19f3989c4de44a2e8b6029b5ebc3f6b57ce57b6e1aaca6  # frees 0B
    => untags 1, deletes 2 image(s) and 0 container(s), frees 0B; the image is removed
  rm + rmi -f:
    docker rm {WORKER_JOB}  # frees 5B
    docker rmi -f sha256:9228cd4dbc586d9b3d19f3989c4de44a2e8b6029b5ebc3f6b57ce57b6e1aaca6  # frees 50kB
    => untags 1, deletes 2 image(s) and 1 container(s), frees 50.01kB; the image is removed
  cleanup:
    docker rm {WORKER_JOB}  # frees 5B
    docker rmi sha256:9228cd4dbc586d9b3d19f3989c4de44a2e8b6029b5ebc3f6b57ce57b6e1aaca6  # frees 50kB
    => untags 1, deletes 2 image(s) and 1 container(s), frees 50.01kB; the image is removed
"""  # noqa: E501


def test_why_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--demo", "why", "worker:1.0") == (WHY_WORKER, "", 0)


def test_why_json_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    out, err, status = run(capsys, "--demo", "why", "web", "--format", "json")
    doc = json.loads(out)
    assert (status, err) == (0, "")
    assert doc["containers"] == {"running": [{"id": WEB, "name": "web"}]}
    assert [o["bytes_freed"] for o in doc["outcomes"]] == [0, 0, 130000, 0]
    assert doc["outcomes"][1]["refused"]["kind"] == "running_container"
    assert doc["outcomes"][1]["refused"]["hard"] is True
    assert run(capsys, "--demo", "why", "nosuch") == (
        "", "Error response from daemon: No such image: nosuch:latest\n", 1)


def test_why_needs_an_engine_not_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    # a prediction about the demo would be mistaken for one about the user's engine
    out, err, status = run(capsys, "why", "web")
    assert (out, status) == ("", 3)
    assert "cannot reach the Docker engine" in err and "demo snapshot instead" not in err


def test_tree(capsys: pytest.CaptureFixture[str]) -> None:
    out, err, status = run(capsys, "--demo", "tree")
    assert (err, status) == ("", 0)
    assert out.splitlines()[0] == "base:1.0  86c2ae2ab32a  1.982MB"
    out, _, _ = run(capsys, "--demo", "tree", "-a", "--format", "json")
    assert json.loads(out)[0]["intermediate"] is True


def test_rm(capsys: pytest.CaptureFixture[str]) -> None:
    # names as typed, in order; the running one refused; exit 1
    assert run(capsys, "--demo", "rm", "/worker-job", "web") == (
        "/worker-job\n", RUNNING_RM, 1)
    # -f removes it; an unknown name is reported and ignored
    assert run(capsys, "--demo", "rm", "-f", "web", "nosuch") == (
        "web\n", "Error response from daemon: No such container: nosuch\n", 0)
    assert run(capsys, "--demo", "rm", "nosuch") == (
        "", "Error response from daemon: No such container: nosuch\n", 1)
    assert run(capsys, "--demo", "rm", "/") == ("", "container name cannot be empty\n", 1)
    # the second name is planned on the state the first leaves
    assert run(capsys, "--demo", "rm", "worker-job", "worker-job") == (
        "worker-job\n", "Error response from daemon: No such container: worker-job\n", 1)
    out, _, _ = run(capsys, "--demo", "rm", "worker-job", "--format", "json")
    assert json.loads(out) == [{"Name": "worker-job", "Id": WORKER_JOB, "RemovedVolumes": [],
                                "SpaceReclaimed": 5, "BytesFreed": 5}]


def test_prune_volumes_and_system(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--demo", "prune", "volumes") == ("Total reclaimed space: 0B\n", "", 0)
    assert run(capsys, "--demo", "prune", "volumes", "-a") == (
        "", '"--all" requires API version 1.42, but the Docker daemon API version is 1.41\n', 1)
    out, err, status = run(capsys, "--demo", "prune", "system")
    assert out == (
        f"Deleted Containers:\n{WORKER_JOB}\n\n"
        "Deleted Images:\n"
        "deleted: sha256:a7eccb50c3ea1f1e63751be354f3cdd21c45aeade2b9e978ad29cca807e93375\n"
        "deleted: sha256:2aee37d948f4598fe345bae2fb479b365eaa9e52c07dc6368383290213e69e18\n\n"
        "Total reclaimed space: 20kB\n"
    )
    assert status == 0 and err.startswith("dockermodel: not predicted: networks")
    out, err, status = run(capsys, "--demo", "prune", "system", "--filter", "dangling=true")
    assert (out, status) == ("", 1)
    assert err.endswith("Error response from daemon: Invalid filter 'dangling'\n")
    assert run(capsys, "--demo", "prune", "system", "--volumes", "--filter", "until=1h") == (
        "", 'ERROR: The "until" filter is not supported with "--volumes"\n', 1)
    out, _, _ = run(capsys, "--demo", "prune", "system", "-a", "--format", "json")
    assert json.loads(out)["SpaceReclaimed"] == 90005


def test_quiet_and_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--demo", "ps", "-aq") == ("1abb7aa41cc2\nf5c7e4170221\n", "", 0)
    assert run(capsys, "--demo", "ps", "-q", "--no-trunc") == (WEB + "\n", "", 0)
    assert run(capsys, "--demo", "ps", "-q", "--filter", "status=exited") == (
        "1abb7aa41cc2\n", "", 0)
    assert run(capsys, "--demo", "ps", "--filter", "colour=red") == (
        "", "Error response from daemon: Invalid filter 'colour'\n", 1)
    assert run(capsys, "--demo", "images", "-q") == (
        "52e99ae3860e\na7eccb50c3ea\n9228cd4dbc58\n3e00b616b013\n3e00b616b013\n86c2ae2ab32a\n",
        "", 0)


def test_report_writes_a_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    out, err, status = run(capsys, "--demo", "--now", NOW, "report", "-o", str(target))
    page = target.read_text()
    assert (out, status) == ("", 0)
    assert err == f"dockermodel: wrote {target} ({len(page.encode())} bytes)\n"
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    out, err, status = run(capsys, "--demo", "report", "-o", str(tmp_path / "no" / "x.html"))
    assert status == 3 and "cannot write" in err
