"""``Host.why``: every holder of an image, and what each way of removing it would do.

The demo host (a real Engine 20.10.24's state) gives exact expected values;
the standard world of ``test_removal.py`` covers holders of every kind; the
properties check, over random hosts, that ``why`` names every holder any
refusal of the engine's rules names, and that its outcomes are exactly the
plans of the commands it lists.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_removal import PROPERTY, World, _two_containers, hosts

from dockermodel import Conflict, EngineError, Host, NotFound
from dockermodel.cli import load_demo
from dockermodel.removal import Plan

WORKER = "sha256:9228cd4dbc586d9b3d19f3989c4de44a2e8b6029b5ebc3f6b57ce57b6e1aaca6"
WORKER_PARENT = "sha256:ad73572102123752220dc5289679697c66f0123b98b5dc765cb1936d3480e733"
WORKER_JOB = "1abb7aa41cc28450532a2cab2563468524ac7dc2432b0f87e6bdc25f30a06003"
WEB_CONTAINER = "f5c7e41702218dbeee92460f11bf9b556a8f5bffaa66cdfb1c9f91883dcbda85"


@pytest.fixture(scope="module")
def demo() -> Host:
    return load_demo()


# (name asked, tags, containers by state, children, own, shared,
#  outcome -> (bytes freed, removes image, refusal kind or None))
DEMO_CASES = [
    ("worker:1.0", ["worker:1.0"], {"exited": [WORKER_JOB]}, 0, 50000, 1982256,
     {"rmi": (0, False, "repository_reference"), "rmi -f": (0, True, None),
      "rm + rmi -f": (50005, True, None), "cleanup": (50005, True, None)}),
    ("web", ["web:1.0", "web:latest"], {"running": [WEB_CONTAINER]}, 0, 130000, 1982256,
     {"rmi": (0, False, None), "rmi -f": (0, False, "running_container"),
      "rm + rmi -f": (130000, True, None), "cleanup": (0, False, "container_running")}),
    ("base:1.0", ["base:1.0"], {}, 4, 0, 1982256,
     {"rmi": (0, False, None), "rmi -f": (0, False, "dependent_child"),
      "rm + rmi -f": (0, False, "dependent_child"), "cleanup": (5, False, "container_running")}),
    ("a7eccb50c3ea", [], {}, 0, 20000, 1982256,
     {"rmi": (20000, True, None), "rmi -f": (20000, True, None),
      "rm + rmi -f": (20000, True, None), "cleanup": (20000, True, None)}),
]


@pytest.mark.parametrize(
    ("name", "tags", "containers", "children", "own", "shared", "outcomes"),
    [pytest.param(*case, id=case[0]) for case in DEMO_CASES],
)
def test_why_on_the_demo_host(demo: Host, name: str, tags: list[str],
                              containers: dict[str, list[str]], children: int, own: int,
                              shared: int, outcomes: dict[str, tuple[int, bool, str | None]]
                              ) -> None:
    # WHEN why is asked about an image of the recorded engine state
    answer = demo.why(name)
    # THEN every holder, the bytes, and each outcome's bytes and refusal
    assert list(answer.tags) == tags
    assert {s: [c.id for c in cs] for s, cs in answer.containers.items()} == containers
    assert len(answer.children) == children
    assert (answer.own_bytes, answer.shared_bytes) == (own, shared)
    assert answer.own_bytes + answer.shared_bytes == answer.image.size
    assert answer.build_cache_holds is False  # BuildCache null in the recorded /system/df
    got = {}
    for outcome in answer.outcomes:
        refusal = outcome.refusal
        kind = refusal.kind if isinstance(refusal, Conflict) else None
        got[outcome.label] = (outcome.bytes_freed, outcome.removes_image, kind)
    assert got == outcomes


def test_why_worker_lists_the_commands_and_records(demo: Host) -> None:
    answer = demo.why("worker:1.0").to_json()
    cleanup = next(o for o in answer["outcomes"] if o["label"] == "cleanup")
    assert cleanup["commands"] == [f"docker rm {WORKER_JOB}", f"docker rmi {WORKER}"]
    assert cleanup["deleted_images"] == [WORKER, WORKER_PARENT]
    assert cleanup["deleted_containers"] == [WORKER_JOB]
    assert cleanup["untagged"] == ["docker.io/library/worker:1.0"]
    assert answer["reasons"] == [
        "exited container 1abb7aa41cc2 (worker-job) uses it: rmi refuses without -f",
        "tagged worker:1.0: image prune keeps it (prune -a does not)",
    ]
    refused = answer["outcomes"][0]["refused"]
    assert refused["kind"] == "repository_reference"
    assert refused["containers"] == [WORKER_JOB]


def test_why_names_children_running_and_stopped_users() -> None:
    # GIVEN app:1 with a running and an exited container, and a child image
    w = World()
    _two_containers(w)
    (child,) = w.b.build([5], base=w.ids["a2"], tag="child:1")
    host = w.host()
    # WHEN why is asked
    answer = host.why("app:1")
    # THEN both containers (by state), the child, and the reasons strongest first
    assert [c.id for c in answer.running] == [w.ids["r"]]
    assert [c.id for c in answer.stopped] == [w.ids["c"]]
    assert answer.children == (child,)
    reasons = answer.reasons()
    assert reasons[0].startswith(f"running container {w.ids['r'][:12]}")
    assert reasons[1].startswith(f"1 child image built on it ({child[7:19]})")
    assert reasons[2].startswith(f"exited container {w.ids['c'][:12]}")
    # AND a removal of its containers first is still refused: the child
    rm_first = answer.outcome("rm + rmi -f")
    assert isinstance(rm_first.refusal, Conflict)
    assert rm_first.refusal.kind == "dependent_child"
    assert rm_first.refusal.children == (child,)
    # AND the safe cleanup removes the child with it
    cleanup = answer.outcome("cleanup")
    assert cleanup.refusal is not None and cleanup.refusal.message.startswith(
        "You cannot remove a running container")


def test_why_unknown_image_is_the_engines_error(demo: Host) -> None:
    with pytest.raises(NotFound, match="No such image: nosuch:latest"):
        demo.why("nosuch")
    with pytest.raises(KeyError):
        demo.why("web").outcome("nonsense")


def test_build_cache_holds_follows_the_engine_and_the_records() -> None:
    w = World()
    payloads = w.b.payloads()
    # Engine 20.10: BuildKit never keeps image layers
    assert Host.from_api(payloads).why("app:1").build_cache_holds is False
    # Engine 28 (overlay2): unknown without /system/df, no when no record is shared
    modern = Host.from_api(payloads, engine="28.5.2@1.41")
    assert modern.why("app:1").build_cache_holds is None
    record = {"ID": "r", "Type": "regular", "InUse": False, "Size": 9,
              "CreatedAt": "2023-01-01T00:00:00Z"}
    for shared, expected in ((False, False), (True, None)):
        with_df = {**payloads, "system_df": {"LayersSize": 0, "Images": [], "Containers": [],
                                             "Volumes": [], "BuildCache": [
                                                 {**record, "Shared": shared}]}}
        host = Host.from_api(with_df, engine="28.5.2@1.41")
        assert host.why("app:1").build_cache_holds is expected


@PROPERTY
@given(hosts())
def test_why_names_every_holder_the_refusals_name(host: Host) -> None:
    for image in host.images.values():
        answer = host.why(image.id)
        holders = answer.holders()
        names = [image.id, *(str(r) for r in image.references)]
        for name in names:
            for force in (False, True):
                try:
                    host.plan_rmi(name, force=force)
                except Conflict as refused:
                    assert set(refused.containers) <= set(holders["containers"])
                    assert set(refused.children) <= set(holders["children"])
                    if refused.kind == "multiple_repositories":
                        assert not answer.single_reference
                        assert any("rmi by id refuses" in r for r in answer.reasons())
                except EngineError:
                    continue


@PROPERTY
@given(hosts())
def test_why_outcomes_are_the_plans_of_their_commands(host: Host) -> None:
    for image in host.images.values():
        answer = host.why(image.id)
        direct: dict[str, Plan | EngineError] = {}
        for label, force in (("rmi", False), ("rmi -f", True)):
            try:
                direct[label] = host.plan_rmi(image.id, force=force)
            except EngineError as error:
                direct[label] = error
        for label in ("rmi", "rmi -f"):
            outcome = answer.outcome(label)
            expected = direct[label]
            if isinstance(expected, EngineError):
                assert outcome.refusal == expected and outcome.plan.steps == ()
            else:
                assert outcome.plan.steps[0].plan == expected
        # every outcome replays step by step with the public planners
        for outcome in answer.outcomes:
            current = host
            for step in outcome.plan.steps:
                _, verb, *flags, target = step.command
                force = "-f" in flags
                replay = (current.plan_rm(target, force=force) if verb == "rm"
                          else current.plan_rmi(target, force=force))
                assert replay == step.plan
                current = current.apply(replay)
            assert (image.id not in current.images) is outcome.removes_image
            if outcome.refused_command is not None:
                _, verb, *flags, target = outcome.refused_command
                with pytest.raises(EngineError) as info:
                    if verb == "rm":
                        current.plan_rm(target, force="-f" in flags)
                    else:
                        current.plan_rmi(target, force="-f" in flags)
                assert info.value == outcome.refusal


@PROPERTY
@given(hosts())
def test_own_bytes_are_what_goes_once_its_containers_are_gone(host: Host) -> None:
    for image in host.images.values():
        answer = host.why(image.id)
        if answer.children:
            continue
        rm_first = answer.outcome("rm + rmi -f")
        assert rm_first.refusal is None
        rw = sum(max(c.size_rw, 0) for c in host.users(image.id))
        assert rm_first.bytes_freed == answer.own_bytes + rw
        # the safe cleanup, when nothing runs, frees the same
        cleanup = answer.outcome("cleanup")
        if not answer.running:
            assert cleanup.plan.complete and cleanup.refusal is None
            assert cleanup.bytes_freed == rm_first.bytes_freed


def test_cleanup_of_a_base_takes_its_children_first() -> None:
    w = World()
    host = w.host()
    cleanup = host.why("base:1").outcome("cleanup")
    assert cleanup.commands == [f"docker rmi {w.ids['a2']}", f"docker rmi {w.ids['b1']}"]
    assert cleanup.removes_image
    # every layer of base and app goes: L1 100 + L2 10 + L3 20
    assert cleanup.bytes_freed == 130
    assert set(host.apply(cleanup.merged).images) == {w.ids["o0"]}
