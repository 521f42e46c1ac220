"""Python ergonomics: real types for type checkers, summary reprs, plans bound to their host.

* ``import dockermodel`` stays lazy (parsing references needs neither the host
  graph nor docker-py), yet ``mypy --strict`` sees the real names: a user
  script's ``dockermodel.from_docker()`` is a ``Host``, not ``Any``;
* reprs are summaries: a 2,000-image host, its disk usage, a container with
  network settings and a prune of hundreds of images print in one line;
* ``Host.apply`` refuses a plan made for another host, or applied already;
* the cleanup plan and the bytes-freed ranking are ``Host`` methods.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from synthetic import synthetic_payloads

import dockermodel
from dockermodel import Host, cli, errors
from dockermodel.removal import bytes_freed_by_image, plan_cleanup, removal_ranking

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = Path(cli.__file__).parent / "data" / "demo.json"

# --------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------

USER_SCRIPT = """\
import dockermodel
from dockermodel.reference import parse_normalized_named

host = dockermodel.from_docker()
reveal_type(host)
reveal_type(dockermodel.Host.load("snapshot.json"))
usage = host.disk_usage()
reveal_type(usage)
reveal_type(usage.reclaimable)
reveal_type(usage.images[0].image)
plan = host.plan_rmi("web:1.0")
reveal_type(plan)
reveal_type(plan.to_api())
reveal_type(host.apply(plan))
reveal_type(host.images)
reveal_type(host.containers["x"])
reveal_type(host.layers["x"].size)
reveal_type(host.plan_cleanup())
reveal_type(host.removal_ranking())
reveal_type(host.bytes_freed_by_image())
reveal_type(parse_normalized_named("ubuntu"))
try:
    host.plan_rmi("x")
except dockermodel.Conflict as refused:
    reveal_type(refused.message)
"""

#: What mypy reveals (``builtins.`` left out: mypy 1 writes it, mypy 2 does not).
REVEALED = [
    "dockermodel.host.Host",
    "dockermodel.host.Host",
    "dockermodel.usage.DiskUsage",
    "int",
    "dockermodel.model.Image",
    "dockermodel.removal.Plan",
    "Any",  # Plan.to_api: the engine's JSON body, a list, an object or None
    "dockermodel.host.Host",
    "typing.Mapping[str, dockermodel.model.Image]",
    "dockermodel.model.Container",
    "int",
    "dockermodel.removal.CleanupPlan",
    "list[tuple[dockermodel.model.Image, int]]",
    "dict[str, int]",
    "dockermodel.reference.Reference",
    "str",
]

#: An installed package's own modules are checked by its authors, not in a user's run.
MYPY_INI = """\
[mypy]
strict = True

[mypy-dockermodel.*]
follow_imports = silent
"""


def test_type_checkers_see_the_real_names(tmp_path: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(USER_SCRIPT)
    (tmp_path / "mypy.ini").write_text(MYPY_INI)
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--config-file", str(tmp_path / "mypy.ini"),
            "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), str(script),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(ROOT)},
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    notes = [
        note.replace("builtins.", "")
        for note in re.findall(r'note: Revealed type is "(.*)"', result.stdout)
    ]
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert (notes, errors, result.stderr) == (REVEALED, [], "")


def test_import_stays_lazy() -> None:
    program = (
        "import sys, dockermodel; from dockermodel.reference import parse_normalized_named; "
        "parse_normalized_named('ubuntu'); "
        "print(sorted(m for m in ('docker', 'dockermodel.host', 'dockermodel.engine', "
        "'hypothesis') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout == "[]\n"
    assert dockermodel.Host is Host  # and the lazy names still resolve


# --------------------------------------------------------------------------
# Reprs are summaries
# --------------------------------------------------------------------------


def test_demo_reprs() -> None:
    host = Host.load(DEMO_FILE)
    web = next(c for c in host.containers.values() if c.name == "web")
    image = host.find_image("web:1.0")
    assert repr(host) == (
        "<Host: 9 images, 6 layers, 2 containers, 0 volumes; "
        "Engine 20.10.24+dfsg1 (overlay2 store, API 1.41)>"
    )
    assert repr(host.disk_usage()) == (
        "DiskUsage(layers_size=2202256, images=5 rows, containers=2, reclaimable=40000)"
    )
    assert repr(web) == (
        "Container('f5c7e4170221', names=['/web'], image='web:1.0', state='running', "
        "status='Up 5 seconds')"
    )
    assert repr(image) == (
        "Image('3e00b616b013', references=['web:1.0', 'web:latest'], layers=3, size=2112256)"
    )
    assert repr(host.plan_rmi("api:dev")) == (
        "Plan(kind='rmi', target='api:dev', records=3, deleted_images=1, deleted_containers=0, "
        "deleted_layers=1, space_reclaimed=20000, bytes_freed=20000)"
    )
    assert repr(host.plan_cleanup()) == "CleanupPlan(steps=4, bytes_freed=90005)"


def test_reprs_of_a_large_host_stay_short() -> None:
    host = Host.from_api(synthetic_payloads(images=2000, containers=400))
    prune = host.plan_image_prune(all=True)
    container = next(iter(host.containers.values()))
    lengths = {
        "host": len(repr(host)),
        "usage": len(repr(host.disk_usage())),
        "container": len(repr(container)),
        "prune": len(repr(prune)),
    }
    assert max(lengths.values()) < 200, lengths
    assert len(prune.records) > 100  # a plan whose full repr would be long


# --------------------------------------------------------------------------
# Plans are for the host they were made on
# --------------------------------------------------------------------------


def test_a_plan_applied_twice_is_refused() -> None:
    host = Host.load(DEMO_FILE)
    plan = host.plan_rmi("api:dev")
    after = host.apply(plan)
    with pytest.raises(errors.PlanMismatch) as caught:
        after.apply(plan)
    assert str(caught.value) == (
        "the rmi api:dev plan was made for another host (or was applied already): "
        "plan it on this host"
    )


def test_a_plan_for_another_host_is_refused_and_an_equal_host_accepted() -> None:
    host = Host.load(DEMO_FILE)
    other = host.apply(host.plan_container_prune())
    plan = other.plan_image_prune(all=True)
    with pytest.raises(errors.PlanMismatch):
        host.apply(plan)
    same = Host.load(DEMO_FILE).apply(Host.load(DEMO_FILE).plan_container_prune())
    assert same is not other and same == other
    assert same.apply(plan) == other.apply(plan)


def test_cleanup_steps_apply_in_order_and_not_out_of_it() -> None:
    host = Host.load(DEMO_FILE)
    cleanup = host.plan_cleanup()
    current = host
    for step in cleanup.steps:
        current = current.apply(step.plan)
    assert current == host.apply(cleanup.as_plan())
    last = cleanup.steps[-1].plan
    with pytest.raises(errors.PlanMismatch) as caught:
        current.apply(last)  # already carried out: what it removes is gone
    # two images, the reference worker:1.0 and one layer are missing: the first named
    assert (len(last.deleted_images), len(last.untagged), len(last.deleted_layers)) == (2, 1, 1)
    assert str(caught.value) == (
        f"the rmi {last.target} plan removes what this host does not have "
        f"(image {last.deleted_images[0]} and 3 more): "
        "it was made for another host, or applied already"
    )


# --------------------------------------------------------------------------
# Host methods
# --------------------------------------------------------------------------


def test_cleanup_and_ranking_are_host_methods() -> None:
    host = Host.load(DEMO_FILE)
    assert host.plan_cleanup(all=False) == plan_cleanup(host, all=False)
    assert host.plan_cleanup().commands() == plan_cleanup(host).commands()
    assert host.bytes_freed_by_image() == bytes_freed_by_image(host)
    assert host.removal_ranking() == removal_ranking(host)
    top, freed = host.removal_ranking()[0]
    assert (top.repo_tags[0].familiar, freed) == ("api:dev", 20000)
