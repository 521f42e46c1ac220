"""Differential test: rm, volume prune and system prune against each real engine.

Seeded random sequences build images and create containers (running,
exited, created, paused) that mount named volumes (some labelled) and
anonymous ones, with bytes written into them; then ``rm`` (with and without
``-f`` and ``-v``), ``volume prune`` (with and without label filters) and
``system prune`` (``-a``, ``--volumes``, filters, through the docker CLI,
since the composition is the CLI's). Each prediction is made on the model's
host just before the engine acts:

* ``rm``: success or the engine's error (status and message), and the
  volumes left afterwards;
* ``volume prune``: ``VolumesDeleted`` (as a set: the engine walks a map)
  and ``SpaceReclaimed`` exactly;
* ``system prune``: the CLI's stdout, blocks compared as in
  ``test_cli_more_engine.py``.

After each, ``host.apply(plan)`` must equal a fresh read: images,
containers, and volumes with their sizes and reference counts.
"""

from __future__ import annotations

import collections
import os
import random
import sys
from pathlib import Path
from typing import Any

import attrs
import docker
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_cli_engine import Run
from test_cli_more_engine import _normalized
from test_removal_differential import Session

from dockermodel import EngineError
from dockermodel.engine import from_docker
from dockermodel.host import Host
from dockermodel.removal import plan_system_prune, plan_volume_prune
from dockermodel.render import system_prune_output

pytestmark = pytest.mark.engine

MIN_CASES = int(os.environ.get("DOCKERMODEL_DIFF_PRUNES", "48"))
SEEDS = [int(s) for s in os.environ.get("DOCKERMODEL_DIFF_PRUNE_SEEDS", "31,32").split(",")]
NAMED = ["v1", "v2", "v3", "v4"]


class PruneSession(Session):
    def read(self, previous: Host | None) -> Host:
        return from_docker(self.api, system_df=True, info=False, previous=previous)

    def volume_container(self) -> None:
        rng = self.rng
        image = self.some_image(0.6)
        if image is None:
            return
        named = rng.choice(NAMED)
        if rng.random() < 0.5 and named not in {v.name for v in self.host.volumes}:
            labels = {"team": rng.choice("ab")} if rng.random() < 0.6 else None
            self.api.create_volume(named, labels=labels)
        binds = [f"{named}:/named"] if rng.random() < 0.7 else []
        anonymous = ["/anon"] if rng.random() < 0.6 else []
        write = " ".join(
            [f"head -c {rng.randint(1, 9) * 1000} /dev/zero > /named/f;" if binds else "",
             f"head -c {rng.randint(1, 9) * 100} /dev/zero > /anon/g;" if anonymous else "",
             "true"])
        try:
            cid = self.api.create_container(
                image, command=["/bin/busybox", "sh", "-c", write], volumes=anonymous or None,
                host_config=self.api.create_host_config(network_mode="none", binds=binds))["Id"]
        except docker.errors.APIError as exc:  # an image without busybox
            self.tally["(create failed)"] += 1
            print("create failed:", exc)
            return
        if rng.random() < 0.7:
            self.api.start(cid)
            self.api.wait(cid, timeout=60)
        self.resync()

    def rm_volumes(self) -> None:
        containers = list(self.host.containers.values())
        if not containers:
            return
        c = self.rng.choice(containers)
        force, volumes = self.rng.random() < 0.4, self.rng.random() < 0.6
        try:
            plan = self.host.plan_rm(c.id, force=force, volumes=volumes)
            predicted: EngineError | None = None
        except EngineError as error:
            plan, predicted = None, error
        try:
            self.api.remove_container(c.id, force=force, v=volumes)
            actual = None
        except docker.errors.APIError as error:
            actual = error
        op = "rm" + (" -f" if force else "") + (" -v" if volumes else "")
        if predicted is not None or actual is not None:
            assert predicted is not None and actual is not None, (op, predicted, actual)
            assert (predicted.status, predicted.message) == (
                actual.response.status_code, actual.explanation)
            self.tally[f"{op}: refused"] += 1
            self.resync()
            return
        assert plan is not None
        self.tally[f"{op}: removed" + (" with volumes" if plan.removed_volumes else "")] += 1
        self.check(self.host.apply(plan), op)

    def at_engine_api(self, version: str | None = None) -> Host:
        """The host as a client at API ``version`` (default: the engine's own, what the
        docker CLI negotiates) sees it: the model picks the prune rule by that version."""
        version = version or self.engine.version.api
        return attrs.evolve(self.host, engine=attrs.evolve(self.host.engine, api_version=version))

    def volume_prune(self) -> None:
        rng = self.rng
        filters: dict[str, list[str]] | None = rng.choice(
            [None, {"label": ["team"]}, {"label": ["team=a"]}, {"label!": ["team=b"]}])
        # the API version of the request decides the rule: below 1.42 the engine
        # adds all=true itself; from 1.42 only anonymous volumes go unless all=true
        version = rng.choice(sorted({"1.41", self.engine.version.api}))
        everything = int(version.split(".")[1]) >= 42 and rng.random() < 0.35
        host = self.at_engine_api(version)
        plan = plan_volume_prune(host, filters, all=everything)
        client = docker.APIClient(base_url=self.engine.base_url, version=version, timeout=120)
        sent = {**(filters or {}), **({"all": ["true"]} if everything else {})}
        actual = client.prune_volumes(filters=sent or None)
        predicted = plan.to_api()
        assert sorted(predicted["VolumesDeleted"]) == sorted(actual["VolumesDeleted"] or [])
        assert predicted["SpaceReclaimed"] == actual["SpaceReclaimed"], (predicted, actual)
        self.tally[f"volume prune (API {version}{', all' if everything else ''}): "
                   + ("removed" if plan.removed_volumes else "nothing")] += 1
        self.check(host.apply(plan), f"volume prune {sent} at API {version}")

    def system_prune(self) -> None:
        rng = self.rng
        all_images, volumes = rng.random() < 0.4, rng.random() < 0.5
        filters = rng.choice([None, None, {"label": ["k0=v1"]}])
        host = self.at_engine_api()  # the CLI negotiates the engine's API version
        plan = plan_system_prune(host, all=all_images, volumes=volumes, filters=filters)
        args = ["system", "prune", "-f", *(["-a"] if all_images else []),
                *(["--volumes"] if volumes else []),
                *(["--filter", f"label={filters['label'][0]}"] if filters else [])]
        result = self.engine.cli(*args, check=False)
        predicted = Run(system_prune_output(plan.to_api()), "", 0)
        actual = Run(result.stdout, result.stderr, result.returncode)
        assert _normalized(predicted) == _normalized(actual), (args, predicted, actual)
        self.tally["system prune" + (" -a" if all_images else "")
                   + (" --volumes" if volumes else "")] += 1
        self.check(host.apply(plan.as_plan()), " ".join(args))

    def check(self, predicted: Host, where: str) -> None:
        fresh = self.read(predicted)
        assert set(predicted.images) == set(fresh.images), where
        assert list(predicted.containers) == list(fresh.containers), where
        mine = {v.name: (v.size, v.ref_count) for v in predicted.volumes}
        theirs = {v.name: (v.size, v.ref_count) for v in fresh.volumes}
        assert mine == theirs, (where, mine, theirs)
        self.host = fresh
        self.compared += 1


def test_rm_and_prunes_match_the_engine(engine: Any, summary: list[str]) -> None:
    tally: collections.Counter[str] = collections.Counter()
    try:
        for seed in SEEDS:
            engine.reset()
            for volume in engine.api.volumes().get("Volumes") or []:
                engine.api.remove_volume(volume["Name"], force=True)
            session = PruneSession(engine, random.Random(seed), tally)
            target = MIN_CASES // len(SEEDS) + 1
            while session.compared < target:
                roll = session.rng.random()
                if len(session.host.images) < 4 or roll < 0.12:
                    session.build()
                elif roll < 0.45:
                    session.volume_container()
                elif roll < 0.55:
                    session.container_op()
                elif roll < 0.75:
                    session.rm_volumes()
                elif roll < 0.88:
                    session.volume_prune()
                else:
                    session.system_prune()
    finally:
        engine.remove_all_containers()
        for volume in engine.api.volumes().get("Volumes") or []:
            engine.api.remove_volume(volume["Name"], force=True)
    cases = sum(n for k, n in tally.items() if not k.startswith("("))
    summary.append(f"rm / volume prune / system prune compared with Engine "
                   f"{engine.version.number} ({engine.spec}): {cases}")
    summary.extend(f"  {n:5d}  {kind}" for kind, n in sorted(tally.items()))
    assert cases >= MIN_CASES
    assert any(k.startswith("volume prune") and k.endswith(": removed") for k in tally)
    assert any("--volumes" in k for k in tally)
    assert any(k.endswith("with volumes") for k in tally)
