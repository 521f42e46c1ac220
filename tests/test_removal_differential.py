"""Differential test: the removal planners against a real Engine 20.10.24.

Seeded random sequences of classic builds (shared layers through the build
cache), tags and retags onto other images (hex-looking tags included),
container create / start / kill / pause, and removals: ``rmi`` by tag, by
repository name, by full id, by 64 hex, by short ids of several lengths, by
``sha256:`` prefix, by a name that does not exist, with and without force and
noprune; ``rm`` with and without force; image prune (dangling and ``-a``) and
container prune.

Before each removal the model predicts (a plan, or the engine's error); the
engine acts; the two are compared field by field — records in order for
``rmi`` and container prune, as a multiset for image prune (the engine walks
a hash map); for a conflict naming a container, the named container
must be one that qualifies (the engine picks one arbitrarily) and the
rest of the message must be equal. After every successful removal
``host.apply(plan)`` is compared with a fresh ``from_docker``: images (tags,
parents, layers, sizes), containers (``Image`` field included), layers and
``LayersSize``.

The read-back host cannot know the chain of a force-deleted image that a
container still holds (no API shows it); the model carries it over from the
previous state (``Container.layers``, ``Host.keeping_held_layers``).

On an engine whose BuildKit cache holds layers (Engine 23+, overlay2 store)
the operations also include BuildKit builds (``POST /build?version=2``) and
``builder prune`` with and without ``-a``, the state is read with
``/system/df`` (the build cache), alternately at the engine's own API
version and at 1.41, and a plan that says it is uncertain is checked
against its bounds (``tests/planchecks.py``): the engine's records between
the certain and the possible ones, ``SpaceReclaimed`` within the bounds.

The tally of outcomes is printed and at least ``MIN_REMOVALS`` predictions
must have been compared.
"""

from __future__ import annotations

import collections
import os
import random
import re
from typing import Any

import docker
import pytest
from planchecks import (
    check_builder_prune,
    check_image_prune,
    check_rmi,
    settle_after_builder_prune,
)

from dockermodel import Conflict, EngineError, NotFound
from dockermodel.engine import from_docker
from dockermodel.host import Host
from dockermodel.removal import Plan

pytestmark = pytest.mark.engine

#: Predicted-and-compared removals per run (at least 300).
MIN_REMOVALS = int(os.environ.get("DOCKERMODEL_DIFF_REMOVALS", "320"))
SEEDS = [int(s) for s in os.environ.get("DOCKERMODEL_DIFF_SEEDS", "11,12,13").split(",")]

FILES = {f"f{i}.txt": (f"file {i} " * (40 * i + 7)).encode() for i in range(6)}
REPOS = ["app", "web", "zzz/app", "localhost:5000/app", "team/web"]
TAGS = ["1", "2", "latest", "10"]
_CONTAINER_IN_MESSAGE = re.compile(r"container ([0-9a-f]{12})")


class Session:
    """One sequence: the engine, the model's current host, and the tally."""

    def __init__(
        self,
        engine: Any,
        rng: random.Random,
        tally: collections.Counter[str],
        api_version: str | None = None,
        widths: list[int] | None = None,
    ) -> None:
        self.engine = engine
        self.api: docker.APIClient = engine.api
        #: whether BuildKit's cache holds layers here: BuildKit builds, builder prune
        self.buildkit = holds_layers(engine)
        if api_version is not None:
            self.api = docker.APIClient(base_url=engine.base_url, version=api_version, timeout=120)
        self.rng = rng
        self.tally = tally
        #: the API version the state is read at, for the tallies
        self.at = f" at API {self.api.api_version}" if self.buildkit else ""
        #: highest − lowest SpaceReclaimed of every bounded plan
        self.widths = widths if widths is not None else []
        self.host = self.read(None)
        self.names = 0
        self.compared = 0

    # -- reading ---------------------------------------------------------------

    def read(self, previous: Host | None) -> Host:
        """A fresh host, with the chains of force-deleted images carried over."""
        return from_docker(self.api, system_df=self.buildkit, info=False, previous=previous)

    def resync(self) -> None:
        self.host = self.read(self.host)

    # -- non-removal operations --------------------------------------------------

    def some_image(self, tagged_bias: float = 0.5) -> str | None:
        images = list(self.host.images.values())
        if not images:
            return None
        tagged = [i for i in images if i.repo_tags]
        if tagged and self.rng.random() < tagged_bias:
            image = self.rng.choice(tagged)
            return str(self.rng.choice(image.repo_tags)).replace("docker.io/library/", "")
        return self.rng.choice(images).id

    def build(self) -> None:
        rng = self.rng
        steps = []
        for _ in range(rng.randint(1, 2)):
            name = rng.choice(sorted(FILES))
            steps.append(f"COPY {name} /d{rng.randint(0, 2)}/{name}")
        if rng.random() < 0.6:
            steps.append(f"LABEL k{rng.randint(0, 1)}=v{rng.randint(0, 2)}")
        base = None
        if self.host.images and rng.random() < 0.6:
            base = self.some_image(0.7)
            if base is not None and base.startswith("sha256:"):
                base = base[7:]
        tag = None
        if rng.random() < 0.6:
            tag = f"{rng.choice(REPOS)}:{rng.choice(TAGS)}"
        try:
            self.engine.build(steps, files=FILES, tag=tag, base=base)
        except Exception as exc:  # a base without a usable config, e.g. a layerless image
            self.tally["(build failed)"] += 1
            print("build failed:", exc)
        self.resync()

    def buildkit_build(self) -> None:
        """A BuildKit build ``FROM`` a local tag or from scratch (tags only: no hex ``FROM``)."""
        rng = self.rng
        steps = []
        for _ in range(rng.randint(1, 2)):
            name = rng.choice(sorted(FILES))
            steps.append(f"COPY {name} /d{rng.randint(0, 2)}/{name}")
        if rng.random() < 0.3:
            steps.append(f'RUN ["/bin/busybox", "sh", "-c", "echo {rng.randint(0, 3)} > /stamp"]')
        if rng.random() < 0.4:
            steps.append(f"LABEL k{rng.randint(0, 1)}=v{rng.randint(0, 2)}")
        base = None
        tagged = [i for i in self.host.images.values() if i.repo_tags and i.layers]
        if tagged and rng.random() < 0.6:
            image = rng.choice(tagged)
            base = str(rng.choice(image.repo_tags)).replace("docker.io/library/", "")
        tag = f"{rng.choice(REPOS)}:{rng.choice(TAGS)}" if rng.random() < 0.7 else None
        try:
            self.engine.build_buildkit(steps, files=FILES, tag=tag, base=base)
        except Exception as exc:  # e.g. a base BuildKit cannot use
            self.tally["(buildkit build failed)"] += 1
            print("buildkit build failed:", exc)
        self.resync()

    def builder_prune(self) -> None:
        all_records = self.rng.random() < 0.4
        plan = self.host.plan_builder_prune(all=all_records)
        actual = self.engine.builder_prune(all=all_records)
        settle_after_builder_prune(self.engine)
        kind = "builder prune -a" if all_records else "builder prune"
        self.compare(kind, "", plan, None, actual, None)

    def retag(self) -> None:
        rng = self.rng
        target = self.some_image(0.3)
        tagged = [i.id for i in self.host.images.values() if i.repo_tags]
        if tagged and rng.random() < 0.4:
            target = rng.choice(tagged)  # a second (third, …) reference on one image
        if target is None:
            return
        choice = rng.random()
        images = list(self.host.images)
        if choice < 0.15:
            # a tag that looks like an id: another image's short id, or the image's own prefix
            other = rng.choice(images)[7:]
            ref = other[: rng.choice([4, 8, 12])]
        else:
            ref = f"{rng.choice(REPOS)}:{rng.choice(TAGS)}"
        self.engine.tag(target, ref)
        self.resync()

    def container_op(self) -> None:
        rng = self.rng
        running = [c for c in self.host.containers.values() if c.state == "running"]
        paused = [c for c in self.host.containers.values() if c.state == "paused"]
        choice = rng.random()
        if choice < 0.55 or not self.host.containers:
            image = self.some_image(0.6)
            if image is None:
                return
            self.names += 1
            name = f"c{self.names}" if rng.random() < 0.7 else None
            try:
                self.engine.create(image, name=name, start=rng.random() < 0.4)
            except docker.errors.APIError as exc:  # e.g. an image without busybox
                self.tally["(create failed)"] += 1
                print("create failed:", exc)
        elif choice < 0.75 and running:
            self.engine.kill(rng.choice(running).id)
        elif choice < 0.85 and running:
            self.engine.pause(rng.choice(running).id)
        elif paused:
            self.engine.unpause(rng.choice(paused).id)
        self.resync()

    # -- removals ----------------------------------------------------------------

    def rmi_name(self) -> str:
        rng = self.rng
        images = list(self.host.images.values())
        if not images or rng.random() < 0.04:
            return rng.choice(["nosuch", "nosuch:1", "sha256:" + "f" * 64, "f" * 64, "Bad"])
        listed = self.host.listed_images(all=False)
        image = rng.choice(listed if listed and rng.random() < 0.75 else images)
        refs = image.references
        hexid = image.id[7:]
        kind = rng.random()
        if refs and kind < 0.45:
            ref = rng.choice(refs)
            text = str(ref).replace("docker.io/library/", "").replace("docker.io/", "")
            if text.endswith(":latest") and rng.random() < 0.5:
                return text[: -len(":latest")]  # the repository name alone
            if rng.random() < 0.1:
                return str(ref)  # fully qualified
            return text
        if kind < 0.55:
            return image.id
        if kind < 0.62:
            return hexid
        if kind < 0.8:
            return hexid[: rng.choice([1, 2, 3, 4, 6, 8, 12])]
        return "sha256:" + hexid[: rng.choice([2, 5, 12, 20])]

    def rmi(self) -> None:
        name = self.rmi_name()
        force = self.rng.random() < 0.35
        prune = self.rng.random() < 0.8
        self.rmi_exact(name, force, prune)

    def rmi_exact(self, name: str, force: bool, prune: bool) -> None:
        try:
            plan: Plan | None = self.host.plan_rmi(name, force=force, prune=prune)
            predicted_error: EngineError | None = None
        except EngineError as exc:
            plan, predicted_error = None, exc
        try:
            actual = self.api.remove_image(name, force=force, noprune=not prune)
            actual_error = None
        except docker.errors.APIError as exc:
            actual, actual_error = None, exc
        op = "rmi" + (" -f" if force else "") + ("" if prune else " --no-prune")
        self.compare(op, name, plan, predicted_error, actual, actual_error, force=force)

    def rm_exact(self, name: str, force: bool) -> None:
        try:
            plan: Plan | None = self.host.plan_rm(name, force=force)
            predicted_error: EngineError | None = None
        except EngineError as exc:
            plan, predicted_error = None, exc
        try:
            self.api.remove_container(name, force=force)
            actual_error = None
        except docker.errors.APIError as exc:
            actual_error = exc
        self.compare("rm", name, plan, predicted_error, None, actual_error, force=force)

    def image_prune_exact(self, all_images: bool, filters: dict[str, Any] | None = None) -> None:
        sent = {**(filters or {}), "dangling": [str(not all_images).lower()]}
        plan = self.host.plan_image_prune(all=all_images, filters=filters)
        actual = self.api.prune_images(filters=sent)
        self.compare("image prune -a" if all_images else "image prune", str(filters), plan,
                     None, actual, None)

    def container_prune_exact(self, filters: dict[str, Any] | None = None) -> None:
        plan = self.host.plan_container_prune(filters=filters)
        actual = self.api.prune_containers(filters=filters)
        self.compare("container prune", str(filters), plan, None, actual, None)

    def rm(self) -> None:
        rng = self.rng
        containers = list(self.host.containers.values())
        if not containers:
            return
        c = rng.choice(containers)
        kind = rng.random()
        if kind < 0.4 and c.names:
            name = c.names[0].lstrip("/")
        elif kind < 0.7:
            name = c.id
        elif kind < 0.95:
            name = c.id[: rng.choice([1, 2, 4, 12])]
        else:
            name = "nosuchcontainer"
        force = rng.random() < 0.4
        self.rm_exact(name, force)

    def image_prune(self) -> None:
        all_images = self.rng.random() < 0.4
        plan = self.host.plan_image_prune(all=all_images)
        actual = self.api.prune_images(filters={"dangling": not all_images})
        kind = "image prune -a" if all_images else "image prune"
        self.compare(kind, "", plan, None, actual, None)

    def container_prune(self) -> None:
        plan = self.host.plan_container_prune()
        actual = self.api.prune_containers()
        self.compare("container prune", "", plan, None, actual, None)

    # -- comparison ---------------------------------------------------------------

    def compare(
        self,
        op: str,
        name: str,
        plan: Plan | None,
        predicted_error: EngineError | None,
        actual: Any,
        actual_error: docker.errors.APIError | None,
        force: bool = False,
    ) -> None:
        where = f"{op} {name!r} force={force}"
        self.compared += 1
        if actual_error is not None or predicted_error is not None:
            assert predicted_error is not None, f"{where}: engine said {actual_error}, model {plan}"
            assert actual_error is not None, f"{where}: model said {predicted_error}, engine did it"
            status = actual_error.response.status_code
            message = actual_error.explanation
            assert predicted_error.status == status, (where, predicted_error, status, message)
            self.compare_messages(where, predicted_error.message, str(message))
            self.tally[f"{op}: {_error_kind(predicted_error)}"] += 1
            after = self.read(self.host)
            assert after.images == self.host.images, f"{where}: a failed request changed images"
            assert set(after.containers) == set(self.host.containers)
            self.host = after
            return
        assert plan is not None
        if op.startswith("rmi"):
            self.tally[f"({check_rmi(where, self.host, plan, actual)}{self.at})"] += 1
            kinds = {next(iter(r)) for r in actual}
            self.tally[f"{op}: {'delete' if 'Deleted' in kinds else 'untag only'}"] += 1
        elif op == "rm":
            self.tally[f"({'exact' if plan.exact else 'bounded'}{self.at})"] += 1
            self.tally["rm: removed"] += 1
        elif op.startswith("image prune"):
            self.tally[f"({check_image_prune(where, self.host, plan, actual)}{self.at})"] += 1
            self.tally[f"{op}: {'removed' if actual['ImagesDeleted'] else 'nothing'}"] += 1
        elif op.startswith("builder prune"):
            self.tally[f"({check_builder_prune(where, plan, actual)}{self.at})"] += 1
            self.tally[f"{op}: {'removed' if actual.get('CachesDeleted') else 'nothing'}"] += 1
        else:
            self.tally[f"(exact{self.at})"] += 1
            assert plan.to_api() == actual, (where, plan.to_api(), actual)
            self.tally[f"{op}: {'removed' if actual['ContainersDeleted'] else 'nothing'}"] += 1
        if plan.bounds is not None:
            self.widths.append(plan.bounds[1] - plan.bounds[0])
        predicted_host = self.host.apply(plan)
        fresh = self.read(self.host)
        compare_hosts(where, predicted_host, fresh, self.engine)
        self.host = predicted_host

    def compare_messages(self, where: str, predicted: str, actual: str) -> None:
        named = _CONTAINER_IN_MESSAGE.search(actual)
        if named is None:
            assert predicted == actual, where
            return
        cid = named.group(1)
        container = next(c for c in self.host.containers.values() if c.id.startswith(cid))
        image_id = container.image_id
        assert image_id in (i.id for i in self.host.images.values())
        if "running container" in actual:
            assert container.running, where
        elif "stopped container" in actual:
            assert not container.running, where
        mine = _CONTAINER_IN_MESSAGE.search(predicted)
        assert mine is not None, (where, predicted, actual)
        assert predicted.replace(mine.group(1), "<cid>") == actual.replace(cid, "<cid>"), where


def _multiset(records: list[dict[str, str]] | None) -> collections.Counter[tuple[str, str]]:
    return collections.Counter(next(iter(r.items())) for r in records or ())


def _error_kind(error: EngineError) -> str:
    text = error.message
    if isinstance(error, NotFound):
        return f"not found ({error.status})"
    if isinstance(error, Conflict):
        if "repository reference" in text:
            return "conflict: repository reference"
        if "cannot be forced" in text:
            return "conflict: " + text.rsplit(" - ", 1)[1].split(" container")[0]
        if "must be forced" in text:
            return "conflict: " + text.rsplit(" - ", 1)[1].split(" container")[0]
        if text.startswith("You cannot remove"):
            return "conflict: " + " ".join(text.split()[3:5])
        return "conflict: other"
    return f"error {error.status}"


def compare_hosts(where: str, model: Host, fresh: Host, engine: Any) -> None:
    """``apply(plan)`` against a fresh read, field by field."""
    assert set(model.images) == set(fresh.images), f"{where}: image sets differ"
    for image_id, image in fresh.images.items():
        mine = model.images[image_id]
        assert mine.repo_tags == image.repo_tags, (where, image_id)
        assert mine.repo_digests == image.repo_digests, (where, image_id)
        assert mine.parent == image.parent, (where, image_id)
        assert mine.layers == image.layers, (where, image_id)
        assert mine.size == image.size, (where, image_id)
    assert list(model.containers) == list(fresh.containers), f"{where}: containers differ"
    for cid, c in fresh.containers.items():
        ours = model.containers[cid]
        assert (ours.image_id, ours.state, ours.names) == (c.image_id, c.state, c.names), where
    model_list = [(c["Id"], c["Image"], c["ImageID"]) for c in model.list_containers()]
    fresh_list = [(c["Id"], c["Image"], c["ImageID"]) for c in fresh.list_containers()]
    assert model_list == fresh_list, where
    # every layer the engine still lists is in the model; the model may keep more
    # (held by containers of deleted images), and then exactly those
    assert set(fresh.layers) <= set(model.layers), where
    held = {c for container in model.containers.values() for c in container.layers}
    assert set(model.layers) - set(fresh.layers) <= held, where
    assert set(model.layers) <= set(engine.layerdb_chain_ids()), where
    assert model.disk_usage().layers_size == engine.df()["LayersSize"], where
    assert model.list_images(all=True) == fresh.list_images(all=True), where
    if fresh.build_cache is not None:
        # the records: the engine's, plus those a prune may have removed; Shared
        # flags: the engine's, plus those the model is unsure of
        mine = {r.id: r for r in model.build_cache or ()}
        theirs = {r.id: r for r in fresh.build_cache}
        # BuildKit may still be writing a build's records when the model reads
        # the engine (they appear after the build's answer): the model keeps no
        # record the engine has not, and loses none but those a prune removed
        assert set(mine) <= set(theirs) | model.cache_maybe_gone, where
        late = set(theirs) - set(mine)
        assert all(not theirs[i].in_use for i in late), where
        shared_mine = {i for i, r in mine.items() if r.shared and i in theirs}
        shared_theirs = {i for i, r in theirs.items() if r.shared and i in mine}
        assert shared_theirs <= shared_mine <= shared_theirs | model.cache_unsure, where


def holds_layers(engine: Any) -> bool:
    """Whether the engine's BuildKit cache holds layer-store layers (23+, overlay2)."""
    spec = engine.spec
    return spec.version != "20.10" and not spec.containerd_store and spec.buildkit_tar_context


def test_removals_match_the_engine(engine: Any, summary: list[str]) -> None:
    tally: collections.Counter[str] = collections.Counter()
    widths: list[int] = []
    buildkit = holds_layers(engine)
    for k, seed in enumerate(SEEDS):
        engine.reset()
        api_version = None
        if buildkit:
            engine.builder_prune(all=True)
            settle_after_builder_prune(engine)
            # every other sequence reads at 1.41, where the records' parents are not reported
            api_version = "1.41" if k % 2 else engine.version.api
        session = Session(engine, random.Random(seed), tally, api_version, widths)
        target = MIN_REMOVALS // len(SEEDS) + 1
        while session.compared < target:
            roll = session.rng.random()
            n_images = len(session.host.images)
            if n_images < 6 or (roll < 0.12 and n_images < 70):
                if buildkit and session.rng.random() < 0.5:
                    session.buildkit_build()
                else:
                    session.build()
                continue
            if buildkit and roll < 0.16:
                session.buildkit_build()
                continue
            if buildkit and roll > 0.955:
                session.builder_prune()
                continue
            if roll < 0.22:
                session.retag()
                continue
            if roll < 0.36:
                session.container_op()
                continue
            if roll < 0.80:
                session.rmi()
            elif roll < 0.92:
                session.rm()
            elif roll < 0.97:
                session.image_prune()
            else:
                session.container_prune()
    removals = sum(n for k, n in tally.items() if not k.startswith("("))
    summary.append(f"removal predictions compared with {engine.version.banner}: {removals}")
    summary.extend(f"  {n:5d}  {kind}" for kind, n in sorted(tally.items()))
    if widths:
        widths.sort()
        summary.append(
            f"  bounded SpaceReclaimed widths (bytes): min {widths[0]}, "
            f"median {widths[len(widths) // 2]}, max {widths[-1]}"
        )
    assert removals >= MIN_REMOVALS
    if MIN_REMOVALS >= 300:  # the CI run must have reached the main outcome kinds
        outcomes = {kind.split(": ", 1)[1] for kind in tally if kind.startswith("rmi")}
        assert {"delete", "untag only", "conflict: repository reference",
                "conflict: image has dependent child images"} <= outcomes
        assert any(kind.startswith("rmi -f") for kind in tally)
        assert any("--no-prune" in kind for kind in tally)


def _scenario_session(engine: Any, tally: collections.Counter[str]) -> Session:
    engine.reset()
    return Session(engine, random.Random(0), tally)


def test_targeted_scenarios(engine: Any, summary: list[str]) -> None:
    """Hand-picked cases the random walk reaches rarely, each predicted then compared."""
    tally: collections.Counter[str] = collections.Counter()

    # GIVEN an image tagged "s" and "app:1": "s" is a prefix of "sha256:", so the ID path
    s = _scenario_session(engine, tally)
    app = engine.build(["COPY f1.txt /f1"], files=FILES, tag=["app:1", "s"])
    s.resync()
    s.rmi_exact("s", force=False, prune=True)  # THEN: referenced in multiple repositories

    # GIVEN a tag that is the image's own id prefix, and one that is another image's short id
    other = engine.build(["COPY f2.txt /f2"], files=FILES, tag="other:1")
    engine.tag(app, app[7:13])
    engine.tag(app, other[7:19])
    s.resync()
    s.rmi_exact(app[7:13], force=False, prune=True)   # ID path: multiple repositories
    s.rmi_exact(other[7:19], force=False, prune=True)  # reference path: untag only
    s.rmi_exact(app[7:13] + ":latest", force=False, prune=True)  # reference path

    # GIVEN paused and running users: rm and rmi conflicts, forced untag
    paused = engine.create("app:1", name="paused", start=True)
    engine.pause(paused)
    s.resync()
    s.rm_exact("paused", force=False)
    s.rmi_exact(app, force=True, prune=True)
    s.rmi_exact("app:1", force=False, prune=True)
    engine.unpause(paused)
    engine.kill(paused)
    s.resync()
    s.rmi_exact("s:latest", force=True, prune=True)  # stopped user, forced: deleted
    s.rmi_exact("other:1", force=False, prune=False)
    s.image_prune_exact(all_images=False)
    s.rm_exact("paused", force=False)  # frees app's layers silently

    # GIVEN anonymous and named volumes: rm -v
    base = engine.build(["COPY f3.txt /f3", "VOLUME /anon"], files=FILES, tag="vol:1")
    engine.api.create_volume("named")
    cid = engine.api.create_container(
        base, command=["/bin/busybox", "true"], name="v1",
        host_config=engine.api.create_host_config(network_mode="none", binds=["named:/named"]),
    )["Id"]
    s.resync()
    anon = next(m["Name"] for m in engine.api.inspect_container(cid)["Mounts"]
                if m["Destination"] == "/anon")
    plan = s.host.plan_rm("v1", volumes=True)
    assert plan.removed_volumes == (anon,)
    engine.api.remove_container("v1", v=True)
    names = {v["Name"] for v in engine.api.volumes()["Volumes"] or []}
    assert anon not in names and "named" in names
    tally["rm -v: removed"] += 1
    s.resync()

    # GIVEN labelled and dated images: prune filters
    engine.build(["COPY f4.txt /f4", "LABEL team=a"], files=FILES, tag="la:1")
    engine.build(["COPY f5.txt /f5", "LABEL team=b"], files=FILES, tag="lb:1")
    s.resync()
    s.image_prune_exact(all_images=True, filters={"label": ["team=a"]})
    s.image_prune_exact(all_images=True, filters={"label!": ["team=a"], "until": ["10m"]})
    s.image_prune_exact(all_images=True, filters={"until": ["1970-01-02T00:00:00Z"]})
    s.container_prune_exact(filters={"until": ["1000"]})
    summary.append(f"targeted removal scenarios matched: {dict(tally)}")
    assert sum(tally.values()) >= 15
