"""Comparing a plan with the engine's answer, exact or within the plan's bounds.

Where BuildKit's build cache may hold layers the model cannot name, a plan
keeps the records it is sure of (``plan.records``), lists the ``Deleted``
layer records the engine may add (``plan.uncertain``) and bounds
``SpaceReclaimed`` (``plan.bounds``). These checks assert exactly that:

* the engine's records contain every certain record and nothing beyond the
  certain and uncertain ones, the certain ones in the plan's order;
* its ``SpaceReclaimed`` is the lowest figure plus the DiffSize of the
  uncertain layers it did report, hence within the bounds;
* with an exact plan, equality.

Each returns ``"exact"`` or ``"bounded"`` for the tallies.
"""

from __future__ import annotations

import collections
import time
from typing import Any

from dockermodel.host import Host
from dockermodel.removal import Plan

__all__ = [
    "check_builder_prune",
    "check_image_prune",
    "check_rmi",
    "layer_bytes",
    "settle_after_builder_prune",
]


def _pairs(records: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    return [next(iter(r.items())) for r in records or ()]


def layer_bytes(host: Host, pairs: set[tuple[str, str]]) -> int:
    """Σ DiffSize of the ``Deleted`` layer records among ``pairs``."""
    return sum(host.layers[v].size for k, v in pairs if k == "Deleted" and v in host.layers)


def _check_records(
    where: str, plan: Plan, actual: list[tuple[str, str]], ordered: bool
) -> set[tuple[str, str]]:
    certain = [(r.kind, r.value) for r in plan.records]
    maybe = [(r.kind, r.value) for r in plan.uncertain]
    got = collections.Counter(actual)
    assert all(n == 1 for n in got.values()), (where, actual)
    assert set(certain) <= set(got), (where, "certain records missing", certain, actual)
    extra = set(got) - set(certain)
    assert extra <= set(maybe), (where, "records beyond the plan", extra, maybe)
    if ordered:
        assert [p for p in actual if p in set(certain)] == certain, (where, certain, actual)
        assert [p for p in actual if p in extra] == [p for p in maybe if p in extra], where
    return extra


def check_rmi(where: str, host: Host, plan: Plan, actual: list[dict[str, str]]) -> str:
    """``DELETE /images/{name}``: records, in order."""
    if not plan.uncertain:
        assert plan.bounds is None, where
        assert plan.to_api() == actual, (where, plan.to_api(), actual)
        return "exact"
    _check_records(where, plan, _pairs(actual), ordered=True)
    return "bounded"


def check_image_prune(where: str, host: Host, plan: Plan, actual: dict[str, Any]) -> str:
    """``POST /images/prune``: records as a multiset (the engine walks a map), SpaceReclaimed."""
    predicted = plan.to_api()
    if not plan.uncertain:
        assert plan.bounds is None, where
        assert predicted["SpaceReclaimed"] == actual["SpaceReclaimed"], (where, predicted, actual)
        assert collections.Counter(_pairs(predicted["ImagesDeleted"])) == collections.Counter(
            _pairs(actual["ImagesDeleted"])
        ), (where, predicted, actual)
        return "exact"
    assert plan.bounds is not None, where
    extra = _check_records(where, plan, _pairs(actual["ImagesDeleted"]), ordered=False)
    low, high = plan.bounds
    assert low == predicted["SpaceReclaimed"], where
    assert actual["SpaceReclaimed"] == low + layer_bytes(host, extra), (where, plan.bounds, actual)
    assert low <= actual["SpaceReclaimed"] <= high, (where, plan.bounds, actual)
    return "bounded"


def check_builder_prune(where: str, plan: Plan, actual: dict[str, Any]) -> str:
    """``POST /build/prune``: the records removed (any order) and SpaceReclaimed."""
    got = list(actual.get("CachesDeleted") or ())
    assert len(set(got)) == len(got), (where, got)
    if not plan.uncertain_build_cache:
        assert plan.bounds is None, where
        assert set(got) == set(plan.deleted_build_cache), (where, plan.deleted_build_cache, got)
        assert actual["SpaceReclaimed"] == plan.space_reclaimed, (where, plan, actual)
        assert (plan.to_api()["CachesDeleted"] is None) == (actual.get("CachesDeleted") is None)
        return "exact"
    assert plan.bounds is not None, where
    assert set(plan.deleted_build_cache) <= set(got) <= set(plan.deleted_build_cache) | set(
        plan.uncertain_build_cache
    ), (where, plan, got)
    low, high = plan.bounds
    assert low <= actual["SpaceReclaimed"] <= high, (where, plan.bounds, actual)
    return "bounded"


def settle_after_builder_prune(engine: Any, seconds: float = 10.0) -> set[str]:
    """Wait until the layer store stops changing after ``POST /build/prune``; its chain ids.

    The engine answers once the records are gone; the snapshots behind them,
    and with them the layer-store references they held, are released by a
    garbage collection that finishes in the background a moment later. A
    removal sent before that still finds the layers held.
    """
    deadline = time.monotonic() + seconds
    last: set[str] = engine.layerdb_chain_ids()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now: set[str] = engine.layerdb_chain_ids()
        if now == last:
            return now
        last = now
    return last
