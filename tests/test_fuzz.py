"""Fuzzing ``Host.from_api`` with mutated payload documents: a seeded, bounded budget.

Each case mutates a real document (the demo snapshot, a host whose layers
only histories size, a host with held layers and volumes, recordings of
Engines 28.5 (containerd store) and 26.1 (overlay2)) one to three times: a
value replaced by one of another type or sign, a key or element dropped or
duplicated, a subtree copied elsewhere, JSON nested hundreds of levels deep,
a ``ParentId`` pointed at any image (cycles included), a tag given to a
second image. Then it asks everything of the result: the host, disk usage,
listings, the CLI's tables, every kind of plan and ``apply``, and a snapshot
round trip. The only outcomes allowed are answers and the library's own
exceptions (:class:`~dockermodel.errors.DockerModelError`),
each case within :data:`CASE_SECONDS`.

``DOCKERMODEL_FUZZ_SECONDS`` sets the budget (default 4 s; CI uses the
default), ``DOCKERMODEL_FUZZ_SEED`` the seed; a failure names its case, and
``DOCKERMODEL_FUZZ_CASE=N`` replays that case alone.
"""

from __future__ import annotations

import marshal
import os
import random
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from test_hardening import _history_sized

from dockermodel import Host, cli, render, snapshot
from dockermodel.errors import DockerModelError

SEED = int(os.environ.get("DOCKERMODEL_FUZZ_SEED", "20261129"))
BUDGET = float(os.environ.get("DOCKERMODEL_FUZZ_SECONDS", "4"))
ONLY = os.environ.get("DOCKERMODEL_FUZZ_CASE")
#: The time bound of one case: building, asking and round-tripping a small host.
CASE_SECONDS = 5.0
#: Fewer cases than this in the budget means the harness, not the library, is broken.
MIN_CASES = 20

DEMO = snapshot.load(Path(cli.__file__).parent / "data" / "demo.json")
RECORDINGS = Path(__file__).resolve().parent / "data" / "engines"


def _bases() -> list[dict[str, Any]]:
    history_sized, _ = _history_sized()
    demo = Host.from_api(DEMO)
    # a forced rmi of a used image: the container keeps its chain (held_layers)
    held = demo.apply(demo.plan_rmi("worker:1.0", force=True)).to_payloads()
    held["system_df"] = {
        "Volumes": [
            {"Name": "data", "Driver": "local", "Mountpoint": "/v/data", "Labels": None,
             "Scope": "local", "UsageData": {"Size": 10, "RefCount": 1}},
        ],
        "BuildCache": [],
    }
    assert "held_layers" in held
    # recordings of modern engines, both stores (tests/data/engines)
    recorded = [
        snapshot.load(RECORDINGS / spec / f"snapshot-v{api}.json.gz")
        for spec, api in (("28.5-containerd", "1.51"), ("26.1-overlay2", "1.45"))
    ]
    return [DEMO, history_sized, held, *recorded]


BASES = _bases()

VALUES: list[Any] = [
    None, True, False, 0, 1, -1, -9, 2**63, 2**64 + 1, 1.5, -0.0, float("nan"), "", "x",
    "sha256:" + "e" * 64, "sha256:" + "E" * 64, "<none>:<none>", "UPPER:case", "a" * 300,
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    "2020-02-30T00:00:00Z", "running", "removing", [], {}, [1, "x"], {"a": {"b": None}},
]


def _copy(value: Any) -> Any:
    return marshal.loads(marshal.dumps(value))


def _nodes(doc: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, value) of every node down to 12 levels (the mutation sites)."""
    out: list[tuple[tuple[Any, ...], Any]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
    while stack:
        path, value = stack.pop()
        out.append((path, value))
        if len(path) >= 12:
            continue
        if isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _deep(levels: int, rng: random.Random) -> Any:
    value: Any = rng.choice(VALUES[:12])
    for _ in range(levels):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def _summaries(doc: Any) -> list[dict[str, Any]]:
    items = doc.get("images_all") if isinstance(doc, dict) else None
    return [s for s in items if isinstance(s, dict)] if isinstance(items, list) else []


def mutate(base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``base`` changed one to three times (a copy; ``base`` is left alone)."""
    doc = _copy(base)
    for _ in range(rng.randint(1, 3)):
        nodes = _nodes(doc)[1:]
        path, _ = rng.choice(nodes)
        parent, key = _parent(doc, path), path[-1]
        summaries = _summaries(doc)
        roll = rng.random()
        if roll < 0.35:
            parent[key] = _copy(rng.choice(VALUES))
        elif roll < 0.43:
            parent[key] = _deep(rng.choice([20, 120, 499, 990, 1600]), rng)
        elif roll < 0.53:
            del parent[key]
        elif roll < 0.58:
            if isinstance(parent, list):
                parent.insert(key, _copy(parent[key]))
        elif roll < 0.66:
            with suppress(ValueError):  # a subtree too deep for marshal: left alone
                parent[key] = _copy(rng.choice(nodes)[1])
        elif roll < 0.76 and summaries:
            target = rng.choice(summaries)
            target["ParentId"] = rng.choice([*(s.get("Id") for s in summaries), ""])
        elif roll < 0.84:
            numbers = [(p, v) for p, v in nodes if type(v) is int and v]
            if numbers:
                where, number = rng.choice(numbers)
                _parent(doc, where)[where[-1]] = -number
        elif roll < 0.92 and len(summaries) > 1:
            giver, taker = rng.sample(summaries, 2)
            taker["RepoTags"] = _copy(giver.get("RepoTags"))
        else:
            histories = doc.get("image_history")
            if isinstance(histories, dict) and histories:
                image_id = rng.choice(sorted(histories))
                entries = histories[image_id]
                if isinstance(entries, list) and entries:
                    rng.shuffle(entries)
                    entries.pop()
    return doc


# --------------------------------------------------------------------------
# Asking everything
# --------------------------------------------------------------------------


def exercise(doc: dict[str, Any]) -> str:
    """Everything a user may ask of the host the document describes; ``accepted`` or raises."""
    host = Host.from_api(doc)
    usage = host.disk_usage()
    df = usage.to_api()
    total = sum(layer.size for layer in host.layers.values())
    assert 0 <= usage.reclaimable <= total, (usage.reclaimable, total)
    assert 0 <= usage.layers_size <= total
    if not host.taken:  # the engine's own Size figures, kept as given, may not add up
        assert 0 <= usage.engine_reclaimable <= usage.layers_size
    now = 1_800_000_000.0
    render.system_df(df)
    render.system_df_verbose(df, now)
    render.images_table(host.list_images(all=True), now, digests=True, no_trunc=False)
    render.ps_table(host.list_containers(), now, size=True, no_trunc=False)
    repr(host), repr(usage)
    assert len(repr(host)) < 200
    assert Host.from_api(snapshot.loads(snapshot.dumps(host.to_payloads()))) == host
    plans = [
        host.plan_image_prune(),
        host.plan_image_prune(all=True),
        host.plan_container_prune(),
        host.plan_cleanup().as_plan(),
    ]
    for image_id in list(host.images)[:3]:
        for force in (False, True):
            with suppress(DockerModelError):
                plans.append(host.plan_rmi(image_id, force=force))
    for container_id in list(host.containers)[:3]:
        with suppress(DockerModelError):
            plans.append(host.plan_rm(container_id, force=True, volumes=True))
    for plan in plans:
        assert plan.bytes_freed >= 0 and plan.space_reclaimed >= 0
        plan.to_api()
        after = host.apply(plan)
        rebuilt = Host.from_api(after.to_payloads())
        if not host.taken:
            # figures that follow the layer store's arithmetic are rebuilt exactly; a
            # Size taken from the engine (the containerd store's) is kept, but the
            # layer sizes read back from a rebuilt document may then differ
            assert rebuilt == after
    assert all(n >= 0 for n in host.bytes_freed_by_image().values())
    host.removal_ranking()
    return "accepted"


class _Overtime(Exception):
    """A case ran past its time bound (raised by the timer signal)."""


@contextmanager
def _time_bound(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (a hang, or memory climbing in a loop)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        start = time.monotonic()
        yield
        if time.monotonic() - start > seconds:
            raise _Overtime
        return

    def overtime(*_: object) -> None:
        raise _Overtime

    previous = signal.signal(signal.SIGALRM, overtime)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_case(number: int) -> str:
    """Case ``number``: ``accepted``, or the name of the library error that refused it."""
    rng = random.Random(SEED * 1_000_003 + number)
    doc = mutate(rng.choice(BASES), rng)
    with _time_bound(CASE_SECONDS):
        try:
            return exercise(doc)
        except DockerModelError as refused:
            return type(refused).__name__


def _cases() -> Iterator[int]:
    if ONLY is not None:
        yield int(ONLY)
        return
    number = 0
    while True:
        yield number
        number += 1


def test_from_api_over_mutated_payloads(summary: list[str]) -> None:
    outcomes: dict[str, int] = {}
    start = time.monotonic()
    ran = 0
    for number in _cases():
        if ONLY is None and time.monotonic() - start > BUDGET:
            break
        try:
            outcome = run_case(number)
        except BaseException as error:  # the point: nothing foreign gets out
            detail = "".join(traceback.format_exception(error)[-6:])
            raise AssertionError(
                f"fuzz case {number} (seed {SEED}; replay with DOCKERMODEL_FUZZ_CASE={number}): "
                f"{type(error).__name__}: {error}\n{detail}"
            ) from None
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        ran += 1
    seconds = time.monotonic() - start
    summary.append(
        f"fuzz: {ran} mutated payload documents in {seconds:.1f} s (seed {SEED}): "
        + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
    )
    assert ran >= (1 if ONLY is not None else MIN_CASES)
    assert outcomes.get("accepted", 0) > 0 or ONLY is not None  # mutations that still parse


def test_mutations_are_reproducible() -> None:
    for number in (0, 1, 57):
        rng_a = random.Random(SEED * 1_000_003 + number)
        rng_b = random.Random(SEED * 1_000_003 + number)
        one, two = mutate(rng_a.choice(BASES), rng_a), mutate(rng_b.choice(BASES), rng_b)
        assert marshal.dumps(one) == marshal.dumps(two)  # == would recurse into deep nests


def _known_bad_cases() -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
    def cycle(doc: dict[str, Any]) -> None:
        for summary in doc["images_all"]:
            summary["ParentId"] = summary["Id"]

    def deep(doc: dict[str, Any]) -> None:
        doc["containers"][0]["Ports"] = _deep(700, random.Random(1))

    return [("self-parents", cycle), ("deep-ports", deep)]


def test_time_bound_stops_what_used_to_hang() -> None:
    # the bound itself works: a loop that never ends is stopped as _Overtime
    try:
        with _time_bound(0.2):
            while True:
                pass
    except _Overtime:
        pass
    else:  # pragma: no cover
        raise AssertionError("the time bound did not fire")
    for name, damage in _known_bad_cases():
        doc = _copy(BASES[1])
        damage(doc)
        with _time_bound(CASE_SECONDS):
            try:
                exercise(doc)
            except DockerModelError:
                continue
        raise AssertionError(f"{name}: accepted")
