"""Offline tests of BuildKit's build cache: held layers, bounded plans, ``builder prune``.

Hosts come from :class:`hostbuilder.HostBuilder`, which records BuildKit
builds with their cache records as Engine 28 lists them (one record per
layer on the record below; ``from local`` records of size 0 for a local
base; context records) and knows which layers the records really hold
(``held_layers``) and which records are ``Shared`` — the truth the model
can only bound from ``/system/df``. Scenario tables check exact values;
hypothesis properties check, over random builds and removals at API 1.51
and 1.41, that every answer of the engine lies inside the plan's bounds.
The same rules are checked against a real engine in
``test_buildkit_engine.py`` and ``test_removal_differential.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostbuilder import HostBuilder

from dockermodel import Conflict, EngineError, Host, NotModelled
from dockermodel.profiles.base import go_duration_ns
from dockermodel.removal import bytes_freed_bounds_by_image, bytes_freed_by_image, plan_cleanup

V28 = "28.5.2"
BUSYBOX = 1982256


def m54(api: str, version: str = V28) -> tuple[HostBuilder, dict[str, str]]:
    """The four images of the reference experiment (docs/removal.md)."""
    d = HostBuilder(engine_version=version, api_version=api)
    ids = {}
    ids["base"] = d.buildkit([BUSYBOX, None], tag="bkbase:1")
    ids["app"] = d.buildkit([40000, 6, None], base=ids["base"], tag="bkapp:1")
    ids["app2"] = d.buildkit([40000, 10000], base=ids["base"], tag="bkapp2:1")
    ids["solo"] = d.buildkit([BUSYBOX, 20000], tag="bksolo:1")
    return d, ids


def top(d: HostBuilder, image_id: str) -> str:
    return d.chain(image_id)[-1]


# ---------------------------------------------------------------------------
# Which layers the cache holds
# ---------------------------------------------------------------------------


def test_parents_tell_exactly_which_layers_are_held() -> None:
    d, ids = m54("1.51")
    host = d.host()
    assert host.engine.api_version == "1.51"
    assert host.maybe_held == host.certainly_held == set(host.layers) == d.held_layers()
    plan = host.plan_rmi("bkapp:1")
    assert plan.exact and plan.bounds is None
    assert plan.to_api() == [{"Untagged": "bkapp:1"}, {"Deleted": ids["app"]}]
    after = host.apply(plan)
    # the stamp layer stays on disk, held by its record only: no image has it
    assert top(d, ids["app"]) not in after.layers
    stamp = next(r for r in after.build_cache if r.size == 6)
    assert not stamp.shared and not after.cache_unsure
    assert after.disk_usage().layers_size == host.disk_usage().layers_size - 6


def test_without_parents_the_plan_is_bounded() -> None:
    d, ids = m54("1.41")
    host = d.host()
    assert host.engine.api_version == "1.41"
    assert host.maybe_held == set(host.layers) and host.certainly_held == frozenset()
    plan = host.plan_rmi("bkapp:1")
    assert plan.to_api() == [{"Untagged": "bkapp:1"}, {"Deleted": ids["app"]}]
    stamp = top(d, ids["app"])
    assert [(r.kind, r.value) for r in plan.uncertain] == [("Deleted", stamp)]
    assert plan.uncertain_layers == (stamp,)
    assert plan.bounds == (0, 6) and plan.bytes_freed_bounds == (0, 6)
    assert not plan.exact
    after = host.apply(plan)
    assert stamp not in after.layers  # freed or held outside every image: gone from the model
    # the flags may have cleared: every shared record is unsure now
    assert after.cache_unsure == {r.id for r in after.build_cache if r.shared}


@pytest.mark.parametrize(
    ("records", "cache"),
    [
        pytest.param(None, "unread", id="no-df"),
        pytest.param([], "empty", id="empty-cache"),
        pytest.param("unshared", "none-shared", id="none-shared"),
    ],
)
def test_no_shared_record_means_nothing_is_held(records: Any, cache: str) -> None:
    d, ids = m54("1.51")
    doc = d.payloads()
    if records is None:
        del doc["system_df"]
    elif records == []:
        doc["system_df"]["BuildCache"] = []
    else:
        for entry in doc["system_df"]["BuildCache"]:
            entry["Shared"] = False
    host = Host.from_api(doc)
    assert host.maybe_held == host.certainly_held == frozenset()
    plan = host.plan_rmi("bkapp:1")
    assert plan.exact
    assert plan.to_api() == [
        {"Untagged": "bkapp:1"},
        {"Deleted": ids["app"]},
        {"Deleted": top(d, ids["app"])},
    ]


@pytest.mark.parametrize("version", ["20.10.24", "28.5.2/containerd"])
def test_engines_whose_cache_holds_no_layer(version: str) -> None:
    d, _ = m54("1.41", version="20.10.24" if version == "20.10.24" else V28)
    engine = None if version == "20.10.24" else "28.5.2/containerd@1.51"
    host = Host.from_api(d.payloads(), engine=engine)
    assert host.maybe_held == frozenset()
    assert host.plan_rmi("bkapp:1").exact


def test_a_child_record_pins_down_the_base_it_was_built_on() -> None:
    # the from-local record (size 0) matches both bases' layers; its child record (30 B)
    # matches only the layer built on one:1, so the from-local record holds one:1's layer
    d = HostBuilder(engine_version=V28, api_version="1.51")
    one = d.build([500], tag="one:1")[-1]
    two = d.build([500], tag="two:1")[-1]
    child = d.buildkit([30], base=one, tag="child:1")
    host = d.host()
    truth = d.held_layers() & set(host.layers)
    assert truth == {d.chain(one)[0], d.chain(child)[-1]}
    assert host.certainly_held == host.maybe_held == truth
    assert host.plan_rmi("two:1").to_api() == [
        {"Untagged": "two:1"}, {"Deleted": two}, {"Deleted": d.chain(two)[0]}
    ]


def test_a_zero_size_record_alone_is_ambiguous() -> None:
    # built FROM one:1 with metadata steps only: the from-local record (size 0) has no
    # child to pin it down, and matches every base layer
    d = HostBuilder(engine_version=V28, api_version="1.51")
    one = d.build([500], tag="one:1")[-1]
    two = d.build([500], tag="two:1")[-1]
    d.buildkit([None], base=one, tag="child:1")
    host = d.host()
    assert d.held_layers() & set(host.layers) == {d.chain(one)[0]}
    assert host.certainly_held == frozenset()
    assert host.maybe_held == {d.chain(one)[0], d.chain(two)[0]}
    plan = host.plan_rmi("two:1")
    assert [(r.kind, r.value) for r in plan.records] == [("Untagged", "two:1"), ("Deleted", two)]
    assert [(r.kind, r.value) for r in plan.uncertain] == [("Deleted", d.chain(two)[0])]
    assert plan.bounds == (0, 500)


def test_usage_and_helpers_carry_bounds() -> None:
    d, ids = m54("1.41")
    host = d.host()
    usage = host.disk_usage()
    total = sum(layer.size for layer in host.layers.values())
    assert usage.reclaimable == 0 and usage.reclaimable_bounds == (0, total)
    assert usage.layers_size == total
    bounds = bytes_freed_bounds_by_image(host)
    assert bytes_freed_by_image(host) == {i: low for i, (low, _) in bounds.items()}
    assert bounds[ids["app"]] == (0, 6)
    assert bounds[ids["solo"]] == (0, 20000)
    cleanup = plan_cleanup(host)
    assert cleanup.bytes_freed_bounds == (0, total)
    merged = cleanup.as_plan()
    assert merged.bounds == (0, total)
    exact = m54("1.51")[0].host()
    assert exact.disk_usage().reclaimable_bounds is None
    assert plan_cleanup(exact).bytes_freed_bounds == (0, 0)


# ---------------------------------------------------------------------------
# builder prune
# ---------------------------------------------------------------------------


def _ids(d: HostBuilder, *, shared: bool | None = None, context: bool | None = None) -> set[str]:
    truth = d.shared_records()
    out = set()
    for rid, record in (d.records or {}).items():
        if shared is not None and (rid in truth) != shared:
            continue
        if context is not None and (record["chain"] is None) != context:
            continue
        out.add(rid)
    return out


@pytest.mark.parametrize("api", ["1.51", "1.41"])
def test_builder_prune_keeps_shared_records(api: str) -> None:
    d, _ = m54(api)
    host = d.host()
    plan = host.plan_builder_prune()
    contexts = _ids(d, context=True)
    assert set(plan.deleted_build_cache) == contexts and plan.exact
    assert plan.to_api() == {
        "CachesDeleted": list(plan.deleted_build_cache),
        "SpaceReclaimed": 4 * 2048,
    }
    after = host.apply(plan)
    assert {r.id for r in after.build_cache} == set(d.records or {}) - contexts
    assert after.maybe_held == host.maybe_held


@pytest.mark.parametrize("api", ["1.51", "1.41"])
def test_builder_prune_all_then_everything_is_exact(api: str) -> None:
    d, ids = m54(api)
    host = d.host()
    plan = host.plan_builder_prune(all=True)
    assert set(plan.deleted_build_cache) == set(d.records or {}) and plan.exact
    assert plan.space_reclaimed == sum(r["size"] for r in (d.records or {}).values())
    after = host.apply(plan)
    assert after.build_cache == () and after.maybe_held == frozenset()
    assert after.plan_rmi("bkapp:1").to_api() == [
        {"Untagged": "bkapp:1"},
        {"Deleted": ids["app"]},
        {"Deleted": top(d, ids["app"])},
    ]
    assert after.plan_builder_prune().to_api() == {"CachesDeleted": None, "SpaceReclaimed": 0}


def test_builder_prune_goes_leaves_first_with_parents() -> None:
    d, _ = m54("1.51")
    for image in list(d.images):
        d.remove_image(image)
    host = d.host()
    assert not any(r.shared for r in host.build_cache)
    plan = host.plan_builder_prune()
    order = {rid: k for k, rid in enumerate(plan.deleted_build_cache)}
    assert set(order) == set(d.records or {})
    for rid, record in (d.records or {}).items():
        if record["parent"] is not None:
            assert order[rid] < order[record["parent"]]


@pytest.mark.parametrize("api", ["1.51", "1.41"])
def test_an_internal_record_keeps_its_parents(api: str) -> None:
    d = HostBuilder(engine_version=V28, api_version=api)
    root = d.cache_record(100)
    middle = d.cache_record(10, parent=root)
    d.cache_record(1, parent=middle, kind="internal")
    other = d.cache_record(7)
    host = d.host()
    plan = host.plan_builder_prune()
    if api == "1.51":
        assert plan.exact and plan.deleted_build_cache == (other,)
        assert plan.space_reclaimed == 7
    else:  # the records' parents are unknown: any of them could be kept by the internal one
        assert plan.deleted_build_cache == ()
        assert set(plan.uncertain_build_cache) == {root, middle, other}
        assert plan.bounds == (0, 117)
        after = host.apply(plan)
        assert after.cache_maybe_gone == {root, middle, other}
    assert set(host.plan_builder_prune(all=True).deleted_build_cache) == set(d.records or {})


def test_in_use_records_stay() -> None:
    d = HostBuilder(engine_version=V28, api_version="1.51")
    root = d.cache_record(100)
    d.cache_record(10, parent=root, in_use=True)
    free = d.cache_record(5)
    assert d.host().plan_builder_prune(all=True).deleted_build_cache == (free,)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param({"type": ["regular"]}, {"a", "b"}, id="type"),
        pytest.param({"type": ["source.local"]}, {"c"}, id="type-other"),
        pytest.param({"description": ["alpha"]}, {"a"}, id="description"),
        pytest.param({"id": ["^a"]}, {"a"}, id="id-regexp"),
        pytest.param({"parent": ["x"]}, set(), id="parent-never"),
        pytest.param({"inuse": ["true"]}, set(), id="inuse-value-never"),
        pytest.param({"private": []}, {"a", "b", "c"}, id="private-present"),
        pytest.param({"label": ["k=v"]}, {"a", "b", "c"}, id="label-ignored"),
        pytest.param({"until": ["2023-11-14T22:13:21.5Z"]}, {"a"}, id="until"),
        pytest.param({"unused-for": ["1700000001.5"]}, {"a"}, id="unused-for"),
    ],
)
def test_builder_prune_filters(filters: dict[str, list[str]], expected: set[str]) -> None:
    d = HostBuilder(engine_version=V28, api_version="1.51")
    made = {
        "a": d.cache_record(1, description="alpha"),
        "b": d.cache_record(2, description="beta"),
        "c": d.cache_record(4, kind="source.local", description="gamma"),
    }
    doc = d.payloads()
    for entry in doc["system_df"]["BuildCache"]:
        name = next(k for k, v in made.items() if v == entry["ID"])
        entry["ID"] = name + entry["ID"][1:]
    host = Host.from_api(doc)
    plan = host.plan_builder_prune(all=True, filters=filters)
    assert {rid[0] for rid in plan.deleted_build_cache} == expected


# the engine's answers, read from Engines 20.10.24 and 28.5.2 (POST /build/prune)
@pytest.mark.parametrize(
    ("version", "filters", "status", "message"),
    [
        ("28.5.2", {"nope": ["1"]}, 400, "invalid filter 'nope'"),
        ("28.5.2", {"mutable": ["true"]}, 400, "invalid filter 'mutable'"),
        ("20.10.24", {"dangling": ["true"]}, 400, "Invalid filter 'dangling'"),
        ("28.5.2", {"until": ["1h"], "unused-for": ["2h"]}, 400,
         'conflicting filters: "until" and "unused-for"'),
        ("28.5.2", {"until": ["1h", "2h"]}, 400, "filters expect only one value"),
        ("20.10.24", {"type": ["a", "b"]}, 400, "filters expect only one value"),
        ("28.5.2", {"until": ["abc"]}, 400,
         "\"until\" filter expects a duration (e.g., '24h') or a timestamp: "
         "failed to parse value as time or duration: \"abc\""),
        ("20.10.24", {"until": ["2020-01-01"]}, 500,
         "\"until\" filter expects a duration (e.g., '24h'): "
         "time: unknown unit \"-\" in duration \"2020-01-01\""),
        ("20.10.24", {"unused-for": ["abc"]}, 500,
         "\"unused-for\" filter expects a duration (e.g., '24h'): "
         "time: invalid duration \"abc\""),
        ("23.0.6", {"until": ["2020-01-01"]}, 500,
         "\"until\" filter expects a duration (e.g., '24h'): "
         "time: unknown unit \"-\" in duration \"2020-01-01\""),
    ],
)
def test_builder_prune_bad_filters(
    version: str, filters: dict[str, list[str]], status: int, message: str
) -> None:
    api = "1.41" if version.startswith("20.") else "1.51"
    host = m54(api, version=version)[0].host()
    with pytest.raises(EngineError) as caught:
        host.plan_builder_prune(filters=filters)
    assert caught.value.status == status
    assert caught.value.message == "failed to prune build cache: " + message


@pytest.mark.parametrize("value", ["two words", "a,b", "/x/", ".x"])
def test_filter_values_the_model_cannot_read(value: str) -> None:
    host = m54("1.51")[0].host()
    with pytest.raises(NotModelled, match="BuildKit's filter syntax needs it quoted"):
        host.plan_builder_prune(filters={"description": [value]})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0), ("-0", 0), ("1h", 3600 * 10**9), ("1h30m", 5400 * 10**9),
        (".5s", 5 * 10**8), ("1.5ms", 1_500_000), ("2us", 2000), ("2\u00b5s", 2000),
        ("-10m", -600 * 10**9), ("+3ns", 3),
        ("", 'time: invalid duration ""'),
        ("abc", 'time: invalid duration "abc"'),
        ("10", 'time: missing unit in duration "10"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("2020-01-01", 'time: unknown unit "-" in duration "2020-01-01"'),
        (".s", 'time: invalid duration ".s"'),
        ("9999999999h", 'time: invalid duration "9999999999h"'),
    ],
)
def test_go_durations(text: str, expected: int | str) -> None:
    if isinstance(expected, int):
        assert go_duration_ns(text) == expected
    else:
        with pytest.raises(ValueError) as caught:
            go_duration_ns(text)
        assert str(caught.value) == expected


def test_until_keeps_records_used_after_it() -> None:
    d = HostBuilder(engine_version="20.10.24")
    old = d.cache_record(1)
    d.clock += 3600
    d.cache_record(2)
    host = d.host()
    now = d.clock + 60  # the second record was used a minute ago, the first an hour before
    assert host.plan_builder_prune(filters={"until": ["30m"]}, now=now).deleted_build_cache == (
        old,
    )
    assert host.plan_builder_prune(filters={"until": ["0s"]}, now=now).deleted_build_cache == (
        old, *[r for r in (d.records or {}) if r != old]
    )


# ---------------------------------------------------------------------------
# Properties: the truth always lies inside the plan's bounds
# ---------------------------------------------------------------------------

SIZES = st.sampled_from([0, 10, 10, 30, 500])


@st.composite
def worlds(draw: Any) -> tuple[HostBuilder, list[str]]:
    api = draw(st.sampled_from(["1.51", "1.41"]))
    d = HostBuilder(engine_version=V28, api_version=api)
    made: list[str] = []
    for k in range(draw(st.integers(1, 6))):
        base = draw(st.sampled_from([None, *made])) if made else None
        steps = draw(st.lists(st.one_of(SIZES, st.none()), min_size=1, max_size=3))
        if draw(st.booleans()):
            made.append(d.buildkit(steps, base=base, tag=f"bk{k}:1"))
        else:
            made.append(d.build(steps, base=base, tag=f"cl{k}:1")[-1])
    return d, made


def _truly_freed(d: HostBuilder, host: Host, deleted: set[str]) -> set[str]:
    """Layers the engine frees when ``deleted`` images go: in no image left, not held."""
    kept: set[str] = set()
    for image_id, image in host.images.items():
        if image_id not in deleted:
            kept.update(image.layers)
    for chain in d.held_layers():
        current: str | None = chain
        while current is not None and current in host.layers:
            kept.add(current)
            current = host.layers[current].parent
    gone = {c for i in deleted for c in host.images[i].layers}
    return gone - kept


@settings(max_examples=150, deadline=None)
@given(worlds(), st.data())
def test_the_engine_answer_lies_within_the_bounds(world: Any, data: Any) -> None:
    d, _ = world
    host = d.host()
    truth_held = d.held_layers() & set(host.layers)
    assert host.certainly_held <= truth_held <= host.maybe_held
    for _ in range(3):
        tagged = [i for i in host.images.values() if i.repo_tags]
        if not tagged:
            break
        image = data.draw(st.sampled_from(tagged))
        name = str(image.repo_tags[0]).removeprefix("docker.io/library/")
        try:
            plan = host.plan_rmi(name, force=True)
        except Conflict:  # a classic parent with children
            continue
        freed = _truly_freed(d, host, set(plan.deleted_images))
        certain = {r.value for r in plan.records if r.kind == "Deleted"} - set(plan.deleted_images)
        maybe = {r.value for r in plan.uncertain}
        assert certain <= freed <= certain | maybe
        low, high = plan.bounds or (plan.space_reclaimed, plan.space_reclaimed)
        assert low <= sum(host.layers[c].size for c in freed) <= high
        host = host.apply(plan)
        for deleted in plan.deleted_images:
            d.remove_image(deleted)
        # the predicted flags: the engine's, plus the unsure ones
        truth_shared = d.shared_records()
        model_shared = {r.id for r in host.build_cache or () if r.shared}
        assert truth_shared <= model_shared <= truth_shared | host.cache_unsure
        truth_held = d.held_layers() & set(host.layers)
        assert host.certainly_held <= truth_held <= host.maybe_held
    plan = host.plan_builder_prune()
    truth = {rid for rid in d.records or {} if rid not in d.shared_records()}
    certain, maybe = set(plan.deleted_build_cache), set(plan.uncertain_build_cache)
    assert certain <= truth <= certain | maybe


def test_a_predicted_state_keeps_what_it_does_not_know(tmp_path: Path) -> None:
    d, _ = m54("1.41")
    host = d.host()
    after = host.apply(host.plan_rmi("bkapp:1"))
    after = after.apply(after.plan_builder_prune())
    assert after.cache_unsure and after.cache_maybe_gone
    saved = tmp_path / "predicted.json"
    after.dump(saved)
    again = Host.load(saved)
    assert again.cache_unsure == after.cache_unsure
    assert again.cache_maybe_gone == after.cache_maybe_gone
    assert again.build_cache == after.build_cache
    assert again.maybe_held == after.maybe_held
    assert again.plan_builder_prune() == after.plan_builder_prune()
