"""``Conflict`` carries the refusal's structure beside the engine's exact message.

Every refusal of the planners names its kind, the image, every container
and child image that qualifies, and whether ``-f`` overrides it; the message
stays the engine's (``str(error)``). Scenario table on the standard world of
``test_removal.py``; properties over random hosts.
"""

from __future__ import annotations

import pickle
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_removal import PROPERTY, World, _created, _paused_only_ref, _stopped_multi, hosts

from dockermodel import Conflict, EngineError, Host
from dockermodel.errors import CONFLICT_KINDS


def _two_users(w: World) -> None:
    w.ids["c1"] = w.b.container("app:1", "exited")
    w.ids["c2"] = w.b.container("app:1", "created")
    w.ids["r"] = w.b.container("app:1", "running")
    w.ids["r2"] = w.b.container("app:1", "paused")


def _second_child(w: World) -> None:
    (w.ids["x0"],) = w.b.build([3], base=w.ids["b1"], tag="x:1")


def _removing(w: World) -> None:
    w.ids["c"] = w.b.container("app:1", "removing", name="gone")


# (id, setup, verb, name, force, kind, image, containers, children, hard, reference)
CASES: list[tuple[Any, ...]] = [
    ("reference path, created user", _created, "rmi", "app:1", False,
     "repository_reference", "a2", ["c"], [], False, "app:1"),
    ("ID path, stopped users (all of them, newest first)", _two_users, "rmi", "{a2}", False,
     "running_container", "a2", ["r2", "r"], [], True, None),
    ("ID path, only stopped users", _created, "rmi", "{a2.12}", False,
     "stopped_container", "a2", ["c"], [], False, None),
    ("ID path, several repositories", _stopped_multi, "rmi", "{a2.12}", False,
     "multiple_repositories", "a2", [], [], False, None),
    ("children, forced", _second_child, "rmi", "{b1}", True,
     "dependent_child", "b1", [], ["a0", "x0"], True, None),
    ("paused user, forced", _paused_only_ref, "rmi", "{a2}", True,
     "running_container", "a2", ["c"], [], True, None),
    ("rm of a paused container", _paused_only_ref, "rm", "{c}", False,
     "container_running", "a2", ["c"], [], False, None),
    ("rm of a container being removed", _removing, "rm", "gone", True,
     "removal_in_progress", None, ["c"], [], True, None),
]


@pytest.mark.parametrize(
    ("setup", "verb", "name", "force", "kind", "image", "containers", "children", "hard",
     "reference"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_conflict_structure(setup: Callable[[World], None], verb: str, name: str, force: bool,
                            kind: str, image: str | None, containers: list[str],
                            children: list[str], hard: bool, reference: str | None) -> None:
    # GIVEN the standard world plus the case's changes
    w = World()
    setup(w)
    host = w.host()
    # WHEN the request is planned
    with pytest.raises(Conflict) as info:
        if verb == "rmi":
            host.plan_rmi(w.fmt(name), force=force)
        else:
            host.plan_rm(w.fmt(name), force=force)
    error = info.value
    # THEN the structure names every holder of the refusal's kind
    assert error.kind == kind
    assert error.image_id == (w.ids[image] if image else None)
    assert error.containers == tuple(w.ids[c] for c in containers)
    assert error.children == tuple(sorted(w.ids[c] for c in children))
    assert error.hard is hard
    assert error.reference == reference
    assert error.status == 409
    # AND the message is still the engine's, naming one of the containers
    assert str(error) == error.message
    named = re.search(r"container ([0-9a-f]{12,64})", error.message)
    if containers and kind != "removal_in_progress":  # that message names it as given
        assert named is not None
        assert any(c.startswith(named.group(1)) for c in error.containers)


def test_conflict_pickles_with_its_structure() -> None:
    error = Conflict("conflict: x", kind="dependent_child", image_id="sha256:" + "a" * 64,
                     children=("sha256:" + "b" * 64,), hard=True)
    again = pickle.loads(pickle.dumps(error))
    assert (again.kind, again.image_id, again.children, again.hard, again.message) == (
        "dependent_child", "sha256:" + "a" * 64, ("sha256:" + "b" * 64,), True, "conflict: x")
    assert again.to_json() == error.to_json() == {
        "message": "conflict: x", "status": 409, "kind": "dependent_child",
        "image_id": "sha256:" + "a" * 64, "containers": [], "children": ["sha256:" + "b" * 64],
        "hard": True, "reference": None}


def test_a_message_only_conflict_still_works_and_kinds_are_checked() -> None:
    plain = Conflict("conflict: something")
    assert (plain.kind, plain.hard, plain.containers) == (None, None, ())
    with pytest.raises(ValueError, match="unknown conflict kind 'nonsense'"):
        Conflict("x", kind="nonsense")


_REASON = {
    "dependent_child": "image has dependent child images",
    "running_container": "image is being used by running container",
    "stopped_container": "image is being used by stopped container",
    "multiple_repositories": "image is referenced in multiple repositories",
}


@PROPERTY
@given(hosts())
def test_every_rmi_refusal_is_structured(host: Host) -> None:
    for image in host.images.values():
        names = [image.id, *(str(r) for r in image.references)]
        for name in names:
            for force in (False, True):
                try:
                    host.plan_rmi(name, force=force)
                except Conflict as error:
                    _check(host, image.id, error)
                except EngineError:
                    continue


def _check(host: Host, image_id: str, error: Conflict) -> None:
    assert error.kind in CONFLICT_KINDS
    assert error.image_id is not None
    users = host.users(error.image_id)
    if error.kind == "repository_reference":
        assert error.hard is False and error.reference is not None
        assert error.containers == tuple(c.id for c in users)
    else:
        assert _REASON[error.kind] in error.message
        assert error.hard is ("cannot be forced" in error.message)
    if error.kind == "dependent_child":
        assert error.children == host.children(error.image_id) != ()
    if error.kind == "running_container":
        assert error.containers == tuple(c.id for c in users if c.running) != ()
    if error.kind == "stopped_container":
        assert error.containers == tuple(c.id for c in users if not c.running) != ()
    named = re.search(r"container ([0-9a-f]{12})", error.message)
    if named is not None:
        assert error.containers[0].startswith(named.group(1))
