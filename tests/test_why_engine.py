"""``why`` against each real overlay2-store engine: every holder its refusals name, and the bytes.

Seeded random walks of classic builds, retags and container operations (the
machinery of ``test_removal_differential.py``); after each, one image is
asked about, then:

* every outcome of ``why`` whose first command is refused is sent to the
  engine: the engine must refuse too, with the same status, and every
  holder its message names (a container, "dependent child images",
  "multiple repositories") must be one ``why`` names;
* one outcome with commands is carried out on the engine, command by
  command (each ``rmi`` answer must equal the step's records); the bytes
  that really left the disk — layer directories gone from the layer store
  (their ``size`` files) plus the writable layers of the containers removed
  (their ``SizeRw``) — must equal the outcome's ``bytes_freed``.
"""

from __future__ import annotations

import collections
import os
import random
import re
import sys
from pathlib import Path
from typing import Any

import docker
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_removal_differential import Session

from dockermodel.why import Outcome, Why

pytestmark = pytest.mark.engine

#: outcomes carried out and refusals checked per run
MIN_OUTCOMES = int(os.environ.get("DOCKERMODEL_WHY_OUTCOMES", "36"))
SEEDS = [int(s) for s in os.environ.get("DOCKERMODEL_WHY_SEEDS", "21,22").split(",")]
_NAMED = re.compile(r"container ([0-9a-f]{12,64})")


def layer_sizes(engine: Any) -> dict[str, int]:
    """Chain id -> the layer store's own ``size`` file, for every layer on disk."""
    layerdb = engine.root / "image" / "overlay2" / "layerdb" / "sha256"
    return {f"sha256:{d.name}": int((d / "size").read_text()) for d in layerdb.iterdir()
            if d.is_dir()}


def rw_sizes(engine: Any) -> dict[str, int]:
    return {c["Id"]: c.get("SizeRw") or 0 for c in engine.api.containers(all=True, size=True)}


def send(api: docker.APIClient, command: tuple[str, ...]) -> Any:
    """One ``docker rm`` / ``docker rmi`` command as the API request the CLI sends."""
    _, verb, *flags, target = command
    force = "-f" in flags
    if verb == "rm":
        return api.remove_container(target, force=force, v="-v" in flags)
    return api.remove_image(target, force=force, noprune="--no-prune" in flags)


def check_named_holders(answer: Why, message: str) -> str:
    """Every holder the engine's message names is one ``why`` names; returns the kind."""
    holders = answer.holders()
    named = _NAMED.search(message)
    if named is not None:
        every = holders["containers"] + holders["descendant_containers"]
        assert any(c.startswith(named.group(1)) for c in every), (message, holders)
    if "dependent child images" in message:
        assert answer.children, message
        return "dependent child"
    if "multiple repositories" in message:
        assert not answer.single_reference, message
        return "multiple repositories"
    if "repository reference" in message:
        return "repository reference held by a container"
    if named is not None:
        which = "running" if "running" in message else "stopped"
        if any(c.startswith(named.group(1)) for c in holders["containers"]):
            return f"container {which}"
        return f"container {which} of an image built on it"
    return "other"


class WhySession(Session):
    def ask(self, tally: collections.Counter[str]) -> None:
        images = list(self.host.images.values())
        listed = self.host.listed_images()  # intermediates (children) less often
        image = self.rng.choice(listed if listed and self.rng.random() < 0.75 else images)
        names = [image.id, *(str(r).replace("docker.io/library/", "") for r in image.references)]
        answer = self.host.why(names[0] if self.rng.random() < 0.5 else self.rng.choice(names))
        # every refusal that comes first: the engine refuses it too, naming our holders
        for outcome in answer.outcomes:
            if outcome.plan.steps or outcome.refused_command is None:
                continue
            assert outcome.refusal is not None
            with pytest.raises(docker.errors.APIError) as info:
                send(self.api, outcome.refused_command)
            assert info.value.response.status_code == outcome.refusal.status
            message = str(info.value.explanation)
            kind = check_named_holders(answer, message)
            self.compare_messages(outcome.label, outcome.refusal.message, message)
            tally[f"refusal names a holder why names: {kind}"] += 1
        # one way of removing it, carried out
        doable = [o for o in answer.outcomes if o.plan.steps]
        if doable:  # the way carried out least so far, so that every way gets its turn
            done = {o.label: tally[f"outcome carried out, bytes equal: {o.label}"] for o in doable}
            fewest = min(done.values())
            self.carry_out(self.rng.choice([o for o in doable if done[o.label] == fewest]), tally)

    def carry_out(self, outcome: Outcome, tally: collections.Counter[str]) -> None:
        layers_before, rw_before = layer_sizes(self.engine), rw_sizes(self.engine)
        for step in outcome.plan.steps:
            answer = send(self.api, step.command)
            if step.command[1] == "rmi":
                assert answer == step.plan.to_api(), (step.command, answer, step.plan)
        if outcome.refused_command is not None:
            with pytest.raises(docker.errors.APIError):
                send(self.api, outcome.refused_command)
        layers_after, rw_after = layer_sizes(self.engine), rw_sizes(self.engine)
        freed = sum(n for c, n in layers_before.items() if c not in layers_after)
        freed += sum(n for c, n in rw_before.items() if c not in rw_after)
        assert freed == outcome.bytes_freed, (outcome.label, outcome.commands, freed)
        tally[f"outcome carried out, bytes equal: {outcome.label}"] += 1
        self.host = self.host.apply(outcome.merged)
        self.resync()


def test_why_against_the_engine(engine: Any, summary: list[str]) -> None:
    if engine.spec.store != "overlay2":
        pytest.skip(f"{engine.spec}: the bytes that leave the disk are read from the overlay2 "
                    "layer store's size files, which the containerd image store does not keep")
    tally: collections.Counter[str] = collections.Counter()
    carried = 0
    for seed in SEEDS:
        engine.reset()
        session = WhySession(engine, random.Random(seed), tally)
        target = MIN_OUTCOMES // len(SEEDS) + 1
        start = sum(n for k, n in tally.items() if k.startswith("outcome"))
        while sum(n for k, n in tally.items() if k.startswith("outcome")) - start < target:
            roll = session.rng.random()
            if len(session.host.images) < 8 or roll < 0.3:
                session.build()
            elif roll < 0.45:
                session.retag()
            elif roll < 0.7:
                session.container_op()
            else:
                session.ask(tally)
        carried = sum(n for k, n in tally.items() if k.startswith("outcome"))
    summary.append(f"why checked against Engine {engine.version.number} ({engine.spec}): "
                   f"{sum(tally.values())}")
    summary.extend(f"  {n:5d}  {kind}" for kind, n in sorted(tally.items()))
    assert carried >= MIN_OUTCOMES
    refusals = sum(n for k, n in tally.items() if k.startswith("refusal"))
    assert refusals >= MIN_OUTCOMES // 3
