"""Offline tests of the removal planners (ENGINE_SEMANTICS §5, §6.4, §7).

Scenario tables build classic-builder hosts with :class:`hostbuilder.HostBuilder`
and check the exact records, messages and resulting hosts; hypothesis
properties check the invariants over random hosts. The same rules are
checked against a real engine in ``test_removal_differential.py``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostbuilder import HostBuilder

from dockermodel import AmbiguousPrefix, Conflict, EngineError, Host, InvalidArgument, NotFound
from dockermodel.removal import (
    Plan,
    bytes_freed_by_image,
    plan_cleanup,
    plan_image_prune,
    removal_ranking,
)

# ---------------------------------------------------------------------------
# A standard world
# ---------------------------------------------------------------------------
#
#   b0 (L1 100 B) ── b1 (LABEL) = base:1
#        └─ a0 (L2 10 B) ── a1 (L3 20 B) ── a2 (LABEL) = app:1
#   o0 (L4 7 B) = other:1                       (a separate base)
#
# Ids are named; records use ``{name}`` placeholders, ``{name.12}`` for the
# 12-hex form and ``{Lk}`` for the chain id of layer k.


class World:
    def __init__(self) -> None:
        self.b = HostBuilder()
        self.ids: dict[str, str] = {}
        b0, b1 = self.b.build([100, None], tag="base:1")
        a0, a1, a2 = self.b.build([10, 20, None], base=b1, tag="app:1")
        (o0,) = self.b.build([7], tag="other:1")
        self.ids.update(b0=b0, b1=b1, a0=a0, a1=a1, a2=a2, o0=o0)
        chain = self.b.chain(a2)
        self.ids.update(L1=chain[0], L2=chain[1], L3=chain[2], L4=self.b.chain(o0)[0])

    def fmt(self, text: str) -> str:
        out = text
        for name, value in sorted(self.ids.items(), key=lambda kv: -len(kv[0])):
            out = out.replace("{" + name + ".12}", value.split(":")[-1][:12])
            out = out.replace("{" + name + ".hex}", value.split(":")[-1])
            out = out.replace("{" + name + "}", value)
        return out

    def host(self) -> Host:
        return self.b.host()


def _nothing(w: World) -> None:
    pass


def _created(w: World) -> None:
    w.ids["c"] = w.b.container("app:1", "created")


def _stopped_multi(w: World) -> None:
    w.b.tag(w.ids["a2"], "app:2")
    w.b.tag(w.ids["a2"], "zzz/app:1")
    w.b.tag(w.ids["a2"], "localhost:5000/app:1")
    w.ids["c"] = w.b.container("app:1", "exited")


def _running(w: World) -> None:
    w.b.tag(w.ids["a2"], "app:2")
    w.ids["c"] = w.b.container("app:1", "running")


def _paused_only_ref(w: World) -> None:
    w.ids["c"] = w.b.container("app:1", "paused")


def _dangling_running(w: World) -> None:
    w.b.untag("app:1")
    w.ids["c"] = w.b.container(w.ids["a2"], "running")


def _digests(w: World) -> None:
    w.b.untag("app:1")
    w.b.tag(w.ids["a2"], "app:2")
    w.ids["d"] = w.b.digest(w.ids["a2"], "app")
    w.b.tag(w.ids["a2"], "zzz/app:7")
    w.ids["c"] = w.b.container("app:2", "created")


def _hex_tag_own(w: World) -> None:
    w.ids["h"] = w.ids["a2"][7:13]
    w.b.tag(w.ids["a2"], w.ids["h"])


def _hex_tag_own_only(w: World) -> None:
    w.b.untag("app:1")
    _hex_tag_own(w)


def _hex_tag_other(w: World) -> None:
    w.ids["h"] = w.ids["o0"][7:19]
    w.b.tag(w.ids["a2"], w.ids["h"])


def _s_tag(w: World) -> None:
    w.b.tag(w.ids["a2"], "s")


def _two_containers(w: World) -> None:
    w.ids["c"] = w.b.container("app:1", "exited")
    w.ids["r"] = w.b.container("app:1", "running")


# (GIVEN setup, WHEN name/force/prune, THEN records or error class + message)
RMI_CASES: list[tuple[str, Callable[[World], None], str, bool, bool, Any]] = [
    # §5.9 #1-#2: a created container protects the only reference
    ("ref conflict, created container", _created, "app:1", False, True,
     (Conflict, 'conflict: unable to remove repository reference "app:1" (must force) - '
                "container {c.12} is using its referenced image {a2.12}")),
    ("user's spelling kept in the message", _created, "docker.io/library/app:1", False, True,
     (Conflict, 'conflict: unable to remove repository reference "docker.io/library/app:1" '
                "(must force) - container {c.12} is using its referenced image {a2.12}")),
    ("ID path, stopped container", _created, "{a2.12}", False, True,
     (Conflict, "conflict: unable to delete {a2.12} (must be forced) - "
                "image is being used by stopped container {c.12}")),
    ("ID path forced over a stopped container: deleted, no layer record", _created,
     "{a2.12}", True, True,
     ["Untagged: app:1", "Deleted: {a2}", "Deleted: {a1}", "Deleted: {a0}"]),
    ("ref path forced, stopped container: untag + delete", _created, "app:1", True, True,
     ["Untagged: app:1", "Deleted: {a2}", "Deleted: {a1}", "Deleted: {a0}"]),
    # §5.9 #3-#4: children
    ("untag a base with children", _nothing, "base:1", False, True, ["Untagged: base:1"]),
    ("ID path on a base with children (even forced)", _nothing, "{b1}", True, True,
     (Conflict, "conflict: unable to delete {b1.12} (cannot be forced) - "
                "image has dependent child images")),
    # §5.9 #5-#7: several references
    ("ID path, several repositories", _stopped_multi, "{a2.12}", False, True,
     (Conflict, "conflict: unable to delete {a2.12} (must be forced) - "
                "image is referenced in multiple repositories")),
    ("untag one of several", _stopped_multi, "app:2", False, True, ["Untagged: app:2"]),
    ("forced ID path: all refs in order, parents walked, no layer records", _stopped_multi,
     "{a2.12}", True, True,
     ["Untagged: app:1", "Untagged: app:2", "Untagged: zzz/app:1",
      "Untagged: localhost:5000/app:1", "Deleted: {a2}", "Deleted: {a1}", "Deleted: {a0}"]),
    # §5.9 #8-#9: running containers
    ("forced untag with a running container only untags", _running, "app:1", True, True,
     ["Untagged: app:1"]),
    ("forced last ref with a running container: untag, kept", _paused_only_ref, "app:1", True,
     True, ["Untagged: app:1"]),
    ("paused counts as running on the ID path", _paused_only_ref, "{a2}", True, True,
     (Conflict, "conflict: unable to delete {a2.12} (cannot be forced) - "
                "image is being used by running container {c.12}")),
    ("dangling image, running container", _dangling_running, "{a2.12}", True, True,
     (Conflict, "conflict: unable to delete {a2.12} (cannot be forced) - "
                "image is being used by running container {c.12}")),
    ("newest of several containers is named (running first: hard)", _two_containers,
     "{a2.hex}", True, True,
     (Conflict, "conflict: unable to delete {a2.12} (cannot be forced) - "
                "image is being used by running container {r.12}")),
    # §5.9 #10-#12: digest references of the same repository
    ("tag removal takes the repository's digests along", _digests, "app:2", False, True,
     ["Untagged: app:2", "Untagged: {d}"]),
    ("digest removal alone", _digests, "{d}", False, True, ["Untagged: {d}"]),
    # no container: deletes and walks up, freeing layers top-most first
    ("delete and prune parents", _nothing, "app:1", False, True,
     ["Untagged: app:1", "Deleted: {a2}", "Deleted: {a1}", "Deleted: {L3}", "Deleted: {a0}",
      "Deleted: {L2}"]),
    ("noprune stops after the image", _nothing, "app:1", False, False,
     ["Untagged: app:1", "Deleted: {a2}"]),
    ("repository name means :latest", _nothing, "app", False, True,
     (NotFound, "No such image: app:latest")),
    ("sha256: prefix takes the ID path", _nothing, "sha256:{o0.12}", False, True,
     ["Untagged: other:1", "Deleted: {o0}", "Deleted: {L4}"]),
    ("64 hex takes the ID path", _nothing, "{o0.hex}", False, True,
     ["Untagged: other:1", "Deleted: {o0}", "Deleted: {L4}"]),
    # R5.2 clarification: hex-looking tags
    ("hex tag that prefixes its own image: ID path, conflict", _hex_tag_own, "{h}", False, True,
     (Conflict, "conflict: unable to delete {a2.12} (must be forced) - "
                "image is referenced in multiple repositories")),
    ("hex tag that prefixes its own image, only ref: ID path delete", _hex_tag_own_only, "{h}",
     False, True,
     ["Untagged: {h}:latest", "Deleted: {a2}", "Deleted: {a1}", "Deleted: {L3}",
      "Deleted: {a0}", "Deleted: {L2}"]),
    ("same tag written with :latest: reference path", _hex_tag_own, "{h}:latest", False, True,
     ["Untagged: {h}:latest"]),
    ("hex tag equal to another image's short id: reference path", _hex_tag_other, "{h}",
     False, True, ["Untagged: {h}:latest"]),
    ("a tag named s: 's' prefixes 'sha256:', so the ID path", _s_tag, "s", False, True,
     (Conflict, "conflict: unable to delete {a2.12} (must be forced) - "
                "image is referenced in multiple repositories")),
    # lookup errors (R1.6)
    ("unknown name", _nothing, "nosuch", False, True, (NotFound, "No such image: nosuch:latest")),
    ("unknown digest", _nothing, "sha256:" + "f" * 64, False, True,
     (NotFound, "No such image: sha256:" + "f" * 64)),
    ("short sha256: form is repo sha256", _nothing, "sha256:ffff", False, True,
     (NotFound, "No such image: sha256:ffff")),
    ("upper case", _nothing, "Bad", False, True,
     (InvalidArgument, "invalid reference format: repository name must be lowercase")),
    ("upper case first component (v2.8.1: not a domain)", _nothing, "UPPER/x:1", False, True,
     (InvalidArgument, "invalid reference format: repository name must be lowercase")),
    ("IPv6 host (v2.8.1: not in the grammar)", _nothing, "[::1]:5000/x", False, True,
     (InvalidArgument, "invalid reference format")),
    ("name over 255 with docker.io/ (v2.8.1)", _nothing, "x/" + "a" * 244, False, True,
     (InvalidArgument, "repository name must not be more than 255 characters")),
    ("blank", _nothing, "", False, True, (InvalidArgument, "image name cannot be blank")),
]


@pytest.mark.parametrize(
    ("setup", "name", "force", "prune", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in RMI_CASES],
)
def test_rmi(setup: Callable[[World], None], name: str, force: bool, prune: bool,
             expected: Any) -> None:
    # GIVEN the standard world plus the case's changes
    w = World()
    setup(w)
    host = w.host()
    # WHEN rmi is planned
    if isinstance(expected, tuple):
        cls, message = expected
        with pytest.raises(cls) as info:
            host.plan_rmi(w.fmt(name), force=force, prune=prune)
        # THEN the engine's status and message, exactly
        assert type(info.value) is cls
        assert str(info.value) == info.value.message == w.fmt(message)
        return
    plan = host.plan_rmi(w.fmt(name), force=force, prune=prune)
    # THEN the engine's records, in order
    assert [f"{k}: {v}" for r in plan.to_api() for k, v in r.items()] == [
        w.fmt(e) for e in expected
    ]


def test_ambiguous_prefix_is_not_found() -> None:
    # GIVEN two images whose ids share the prefix "ab"
    b = HostBuilder()
    b.image(None, 1, image_id="ab" + "1" * 62)
    b.image(None, 2, image_id="ab" + "2" * 62)
    host = b.host()
    # WHEN / THEN the engine answers "No such image" with :latest (R1.6.5)
    with pytest.raises(NotFound) as info:
        host.plan_rmi("ab")
    assert info.value.message == "No such image: ab:latest"
    assert host.plan_rmi("ab1").deleted_images == ("sha256:ab" + "1" * 62,)


def test_tag_and_digest_argument_removes_the_digest_reference() -> None:
    # GIVEN app:2 and app@sha256:… on one image plus another tag
    w = World()
    _digests(w)
    host = w.host()
    digest = w.ids["d"].split("@")[1]
    # WHEN rmi app:2@<digest>
    plan = host.plan_rmi(f"app:2@{digest}")
    # THEN the record shows both parts but only the digest reference went (R5.3 step 2)
    assert plan.to_api() == [{"Untagged": f"app:2@{digest}"}]
    after = host.apply(plan)
    assert [str(r) for r in after.images[w.ids["a2"]].references] == [
        "docker.io/library/app:2", "docker.io/zzz/app:7"]


def test_apply_after_forced_delete_keeps_container_layers() -> None:
    # GIVEN app:1 used by a stopped container
    w = World()
    _created(w)
    host = w.host()
    # WHEN it is force-deleted and applied
    after = host.apply(host.plan_rmi("app:1", force=True))
    # THEN the container shows the image id, keeps its chain, and those layers stay
    c = after.containers[w.ids["c"]]
    assert after.list_containers()[0]["Image"] == w.ids["a2"]
    assert c.layers == tuple(w.b.chain(w.ids["a2"]))
    assert set(after.layers) == {w.ids[k] for k in ("L1", "L2", "L3", "L4")}
    assert after.disk_usage().layers_size == 107  # base + other; app's own layers excluded
    # AND deleting base later reports no layer (the container holds them, §5.7)
    plan = after.plan_rmi("base:1")
    assert plan.to_api() == [{"Untagged": "base:1"}, {"Deleted": w.ids["b1"]},
                             {"Deleted": w.ids["b0"]}]
    # AND removing the container frees them silently
    gone = after.apply(plan)
    rm = gone.plan_rm(w.ids["c"])
    assert rm.to_api() is None
    assert rm.silent_layers == (w.ids["L3"], w.ids["L2"], w.ids["L1"])
    assert rm.bytes_freed == 130
    assert set(gone.apply(rm).layers) == {w.ids["L4"]}


# ---------------------------------------------------------------------------
# rm (§6.4)
# ---------------------------------------------------------------------------

RM_CASES = [
    ("running", "running", False, "You cannot remove a running container {id}. Stop the "
     "container before attempting removal or force remove"),
    ("paused", "paused", False, "You cannot remove a paused container {id}. Unpause and then "
     "stop the container before attempting removal or force remove"),
    ("restarting", "restarting", False, "You cannot remove a restarting container {id}. Stop the "
     "container before attempting removal or force remove"),
    ("removing", "removing", True, "removal of container web is already in progress"),
    ("running forced", "running", True, None),
    ("paused forced", "paused", True, None),
    ("created", "created", False, None),
    ("exited", "exited", False, None),
    ("dead", "dead", False, None),
]


@pytest.mark.parametrize(("state", "force", "message"), [pytest.param(*c[1:], id=c[0])
                                                         for c in RM_CASES])
def test_rm(state: str, force: bool, message: str | None) -> None:
    b = HostBuilder()
    b.build([5], tag="app:1")
    cid = b.container("app:1", state, name="web", size_rw=42)
    host = b.host()
    if message is not None:
        with pytest.raises(Conflict) as info:
            host.plan_rm("web", force=force)
        assert info.value.message == message.format(id=cid)
        return
    plan = host.plan_rm("web", force=force)
    assert plan.to_api() is None
    assert plan.deleted_containers == (cid,)
    assert plan.space_reclaimed == plan.bytes_freed == 42
    assert list(host.apply(plan).containers) == []


def test_rm_lookup_rules() -> None:
    # GIVEN a container named like the start of another container's id
    b = HostBuilder()
    b.build([5], tag="app:1")
    first = b.container("app:1", container_id="d2" + "0" * 62, name="one")
    second = b.container("app:1", container_id="d3" + "0" * 62, name="d2")
    host = b.host()
    # THEN the name wins over the prefix, a unique prefix works, others fail as the engine does
    assert host.plan_rm("d2").deleted_containers == (second,)
    assert host.plan_rm("/one").deleted_containers == (first,)
    assert host.plan_rm("d3").deleted_containers == (second,)
    with pytest.raises(AmbiguousPrefix) as info:
        host.plan_rm("d")
    assert (info.value.status, info.value.message) == (
        500, "Multiple IDs found with provided prefix: d")
    with pytest.raises(NotFound) as nf:
        host.plan_rm("nosuch")
    assert (nf.value.status, nf.value.message) == (404, "No such container: nosuch")
    with pytest.raises(InvalidArgument) as blank:
        host.plan_rm("")
    assert blank.value.message == 'invalid name or ID supplied: ""'


def test_rm_volumes() -> None:
    # GIVEN a container with an anonymous volume, a named one, and an anonymous one shared
    anon, shared = "a" * 64, "b" * 64
    b = HostBuilder()
    b.build([5], tag="app:1")
    b.container("app:1", volumes=[shared], name="other")
    cid = b.container("app:1", volumes=[anon, "data", shared], name="web")
    host = b.host()
    # WHEN rm -v / rm
    # THEN only the unshared anonymous volume goes; named volumes never (R6.4.5)
    assert host.plan_rm("web", volumes=True).removed_volumes == (anon,)
    assert host.plan_rm("web").removed_volumes == ()
    assert host.plan_rm(cid, volumes=True).deleted_containers == (cid,)


# ---------------------------------------------------------------------------
# image prune (§7.1)
# ---------------------------------------------------------------------------


def _prune_world() -> tuple[World, Host]:
    w = World()
    b = w.b
    # a dangling head with an untagged parent chain
    d0, d1 = b.build([3, 4], base=w.ids["b1"])
    # a digest-only image (dangling in the prune sense)
    (g0,) = b.build([5])
    w.ids["g"] = b.digest(g0, "pulled")
    # an in-use image with two tags
    (u0,) = b.build([6], tag=["used:1", "used:2"])
    w.ids["c"] = b.container("used:1", "exited")
    w.ids.update(d0=d0, d1=d1, g0=g0, u0=u0)
    w.ids.update(Ld0=b.chain(d0)[-1], Ld1=b.chain(d1)[-1], Lg=b.chain(g0)[-1],
                 Lu=b.chain(u0)[-1])
    return w, w.host()


def test_image_prune_dangling() -> None:
    w, host = _prune_world()
    plan = host.plan_image_prune()
    api = plan.to_api()
    assert sorted(f"{k}: {v}" for r in api["ImagesDeleted"] for k, v in r.items()) == sorted(
        w.fmt(x) for x in [
            "Deleted: {d1}", "Deleted: {Ld1}", "Deleted: {d0}", "Deleted: {Ld0}",
            "Untagged: {g}", "Deleted: {g0}", "Deleted: {Lg}",
        ]
    )
    assert api["SpaceReclaimed"] == 3 + 4 + 5
    # a second prune finds nothing
    again = host.apply(plan).plan_image_prune().to_api()
    assert again == {"ImagesDeleted": None, "SpaceReclaimed": 0}


def test_image_prune_all() -> None:
    w, host = _prune_world()
    plan = host.plan_image_prune(all=True)
    records = sorted(f"{k}: {v}" for r in plan.to_api()["ImagesDeleted"] for k, v in r.items())
    expected = [
        # app chain (a2, a1, a0) then base chain once its children are gone
        "Untagged: app:1", "Deleted: {a2}", "Deleted: {a1}", "Deleted: {L3}", "Deleted: {a0}",
        "Deleted: {L2}",
        "Deleted: {d1}", "Deleted: {Ld1}", "Deleted: {d0}", "Deleted: {Ld0}",
        "Untagged: base:1", "Deleted: {b1}", "Deleted: {b0}", "Deleted: {L1}",
        "Untagged: other:1", "Deleted: {o0}", "Deleted: {L4}",
        "Untagged: {g}", "Deleted: {g0}", "Deleted: {Lg}",
        # the in-use image loses all but its lexically last tag (R7.1.9)
        "Untagged: used:1",
    ]
    assert records == sorted(w.fmt(x) for x in expected)
    assert plan.space_reclaimed == 100 + 10 + 20 + 7 + 3 + 4 + 5
    after = host.apply(plan)
    assert [str(r) for r in after.images[w.ids["u0"]].repo_tags] == ["docker.io/library/used:2"]


def test_image_prune_all_keeps_tagged_base_of_used_child() -> None:
    # GIVEN base:1 with a child app:1 that a container uses
    w = World()
    w.b.container("app:1", "exited")
    host = w.host()
    # WHEN prune -a
    plan = host.plan_image_prune(all=True)
    # THEN base is untagged but kept as an intermediate (R7.1.9), other:1 goes
    assert sorted(f"{k}: {v}" for r in plan.to_api()["ImagesDeleted"] for k, v in r.items()) == (
        sorted(w.fmt(x) for x in ["Untagged: base:1", "Untagged: other:1", "Deleted: {o0}",
                                  "Deleted: {L4}"]))
    after = host.apply(plan)
    assert after.is_intermediate(after.images[w.ids["b1"]])


PRUNE_FILTER_CASES = [
    ("until before everything", {"until": "1000"}, []),
    ("until after everything", {"until": "2000000000"}, ["o0", "a2"]),
    ("until as RFC 3339", {"until": "2033-05-18T03:33:20Z"}, ["o0", "a2"]),
    ("until as a duration", {"until": "1m"}, ["o0", "a2"]),
    ("until as a longer duration", {"until": "1h30m"}, []),
    ("label present", {"label": "team"}, ["o0"]),
    ("label value", {"label": "team=b"}, []),
    ("label! excludes", {"label!": "team=a"}, ["a2"]),
    ("label! of another value keeps", {"label!": "team=b"}, ["o0", "a2"]),
]


@pytest.mark.parametrize(("filters", "deleted"), [pytest.param(*c[1:], id=c[0])
                                                  for c in PRUNE_FILTER_CASES])
def test_image_prune_filters(filters: dict[str, str], deleted: list[str]) -> None:
    # GIVEN two unused tagged heads, one labelled team=a
    b = HostBuilder()
    (a2,) = b.build([5], tag="app:1")
    (o0,) = b.build([7], tag="other:1", labels={"team": "a"})
    ids = {"a2": a2, "o0": o0}
    host = b.host()
    plan = plan_image_prune(host, all=True, filters=filters, now=1_700_000_100)
    assert set(plan.deleted_images) == {ids[n] for n in deleted}


@pytest.mark.parametrize(
    ("filters", "error", "status"),
    [
        ({"foo": "1"}, "Invalid filter 'foo'", 400),
        ({"until": ["1", "2"]}, "more than one until filter specified", 500),
        ({"until": "yesterday"}, 'failed to parse value as time or duration: "yesterday"', 500),
    ],
)
def test_prune_filter_errors(filters: dict[str, Any], error: str, status: int) -> None:
    host = World().host()
    with pytest.raises(EngineError) as info:
        host.plan_image_prune(filters=filters)
    assert (info.value.message, info.value.status) == (error, status)


# ---------------------------------------------------------------------------
# container prune (§7.2)
# ---------------------------------------------------------------------------


def test_container_prune() -> None:
    # GIVEN containers in every state, with sizes and labels
    b = HostBuilder()
    b.build([5], tag="app:1")
    ids = {s: b.container("app:1", s, size_rw=10 * (k + 1), labels={"k": s})
           for k, s in enumerate(["created", "running", "paused", "restarting", "exited",
                                  "dead", "removing"])}
    host = b.host()
    # WHEN pruned
    api = host.plan_container_prune().to_api()
    # THEN created, exited and dead go, newest first; SpaceReclaimed = Σ SizeRw
    assert api == {"ContainersDeleted": [ids["dead"], ids["exited"], ids["created"]],
                   "SpaceReclaimed": 60 + 50 + 10}
    assert host.plan_container_prune(filters={"label": "k=exited"}).deleted_containers == (
        ids["exited"],)
    assert host.plan_container_prune(filters={"label!": "k=exited"}).deleted_containers == (
        ids["dead"], ids["created"])
    until = host.containers[ids["created"]].created
    assert host.plan_container_prune(filters={"until": str(until)}).deleted_containers == (
        ids["created"],)
    after = host.apply(host.plan_container_prune())
    assert after.plan_container_prune().to_api() == {"ContainersDeleted": None,
                                                     "SpaceReclaimed": 0}


# ---------------------------------------------------------------------------
# cleanup plan and bytes freed per image
# ---------------------------------------------------------------------------


def test_cleanup_plan_example() -> None:
    # GIVEN the world of docs/removal.md: app used by a stopped container, app tagged twice
    w = World()
    w.b.tag(w.ids["a2"], "app:2")
    cid = w.b.container("app:1", "exited", size_rw=5)
    host = w.host()
    # WHEN a cleanup is planned
    cleanup = plan_cleanup(host)
    # THEN containers first, then untag down to one reference, then ids, children first
    assert cleanup.commands() == [
        f"docker rm {cid}",
        f"docker rmi {w.ids['o0']}",
        "docker rmi app:1",
        f"docker rmi {w.ids['a2']}",
        f"docker rmi {w.ids['b1']}",
    ]
    assert [s.bytes_freed for s in cleanup.steps] == [5, 7, 0, 30, 100]
    assert cleanup.bytes_freed == 142
    assert host.apply(cleanup.as_plan()).images == {}


def test_bytes_freed_by_image() -> None:
    w = World()
    w.b.container("other:1", "running")
    host = w.host()
    freed = bytes_freed_by_image(host)
    ids = w.ids
    assert freed == {ids["a2"]: 30, ids["a1"]: 0, ids["a0"]: 0, ids["b1"]: 0, ids["b0"]: 0,
                     ids["o0"]: 0}
    assert removal_ranking(host)[0] == (host.images[ids["a2"]], 30)


# ---------------------------------------------------------------------------
# Properties over random hosts
# ---------------------------------------------------------------------------

REPOS = ["app", "web", "zzz/app"]
STATES = ["created", "running", "exited", "paused"]


@st.composite
def hosts(draw: st.DrawFn) -> Host:
    b = HostBuilder()
    finals: list[str] = []
    for _ in range(draw(st.integers(1, 7))):
        base = draw(st.sampled_from([None, *finals])) if finals else None
        steps = draw(st.lists(st.one_of(st.none(), st.integers(0, 50)), min_size=1, max_size=3))
        made = b.build(steps, base=base)
        finals.append(made[-1])
    every = list(b.images)
    for _ in range(draw(st.integers(0, 6))):
        image = draw(st.sampled_from(every))
        b.tag(image, f"{draw(st.sampled_from(REPOS))}:{draw(st.integers(1, 3))}")
    for _ in range(draw(st.integers(0, 2))):
        b.digest(draw(st.sampled_from(every)), draw(st.sampled_from(REPOS)), str(_))
    for _ in range(draw(st.integers(0, 4))):
        image = draw(st.sampled_from(every))
        b.container(image, draw(st.sampled_from(STATES)), size_rw=draw(st.integers(0, 9)))
    host = b.host()
    # sometimes force-delete an image first, leaving containers that hold its chain
    if draw(st.booleans()):
        target = draw(st.sampled_from(sorted(host.images)))
        with contextlib.suppress(EngineError):
            host = host.apply(host.plan_rmi(target, force=True))
    return host


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _expected_layers(host: Host, original: Host) -> set[str]:
    held = {c for image in host.images.values() for c in image.layers}
    held |= {c for container in host.containers.values() for c in container.layers}
    return held & set(original.layers)


@PROPERTY
@given(hosts(), st.booleans())
def test_prune_reports_what_it_frees_and_is_idempotent(host: Host, all_images: bool) -> None:
    plan = host.plan_image_prune(all=all_images)
    after = host.apply(plan)
    layer_records = [r.value for r in plan.records if r.kind == "Deleted" and r.value in
                     host.layers and r.value not in host.images]
    assert plan.space_reclaimed == sum(host.layers[c].size for c in layer_records)
    assert set(after.layers) == _expected_layers(after, host)
    assert not set(layer_records) & set(after.layers)
    again = after.plan_image_prune(all=all_images)
    if all_images:
        assert again.records == ()
    else:
        # the candidates are fixed up front: a digest-only parent of a deleted dangling
        # image is only a head afterwards, and the next dangling prune removes it (R7.1.5)
        assert all("@" in r.value for r in again.records if r.kind == "Untagged")


@PROPERTY
@given(hosts())
def test_bytes_freed_matches_forced_rmi(host: Host) -> None:
    freed = bytes_freed_by_image(host)
    for image_id in host.images:
        try:
            plan = host.plan_rmi(image_id, force=True)
        except Conflict:
            assert freed[image_id] == 0
            continue
        assert freed[image_id] == plan.bytes_freed == plan.space_reclaimed
        assert set(host.apply(plan).layers) == _expected_layers(host.apply(plan), host)


@PROPERTY
@given(hosts(), st.booleans())
def test_cleanup_steps_replay_without_force(host: Host, all_images: bool) -> None:
    cleanup = plan_cleanup(host, all=all_images)
    current = host
    for step in cleanup.steps:
        kind, target = step.command[1], step.command[2]
        replay: Plan = current.plan_rm(target) if kind == "rm" else current.plan_rmi(target)
        assert replay == step.plan
        current = current.apply(replay)
    assert current == host.apply(cleanup.as_plan())
    assert not [c for c in current.containers.values() if not c.running]
    if all_images:
        # the same bytes as container prune then image prune -a
        pruned = host.plan_container_prune()
        images = host.apply(pruned).plan_image_prune(all=True)
        assert cleanup.bytes_freed == pruned.bytes_freed + images.bytes_freed
        assert set(current.images) == set(host.apply(pruned).apply(images).images)


@PROPERTY
@given(hosts())
def test_planning_never_changes_the_shared_index(host: Host) -> None:
    # GIVEN one host planned on repeatedly (the planners share a per-host index)
    first = [host.plan_image_prune(all=True), host.plan_container_prune(), plan_cleanup(host)]
    for image_id in host.images:
        with contextlib.suppress(EngineError):
            host.plan_rmi(image_id, force=True)
    for cid in host.containers:
        with contextlib.suppress(EngineError):
            host.plan_rm(cid, force=True, volumes=True)
    # THEN the same questions get the same answers
    assert [host.plan_image_prune(all=True), host.plan_container_prune(),
            plan_cleanup(host)] == first
