"""Properties of the host graph over random classic-builder hosts: sums that add up.

Random hosts come from :class:`hostbuilder.HostBuilder` driven by hypothesis:
builds on random earlier images (metadata steps and zero-size layers
included), tags in a few repositories, retags, and containers in every state.
"""

from __future__ import annotations

import os
from collections import Counter

from hostbuilder import HostBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from dockermodel import Host
from dockermodel._mapping import history_needed, payloads_from_host

EXAMPLES = int(os.environ.get("DOCKERMODEL_HYPOTHESIS_EXAMPLES", "150"))
STATES = ("created", "running", "paused", "restarting", "exited", "dead")


@st.composite
def hosts(draw: st.DrawFn) -> Host:
    b = HostBuilder()
    made: list[str] = []
    for _k in range(draw(st.integers(1, 8))):
        base = draw(st.sampled_from(made)) if made and draw(st.booleans()) else None
        steps = draw(st.lists(st.one_of(st.none(), st.integers(0, 5_000)), min_size=1,
                              max_size=4))
        if base is None and steps[0] is None:
            steps[0] = draw(st.integers(1, 5_000))
        tags = draw(st.lists(st.sampled_from(["app:1", "app:2", "zzz/app:1", "db:1",
                                              "localhost:5000/app:1"]), max_size=2))
        made.extend(b.build(steps, base=base, tag=tags or None))
    for _ in range(draw(st.integers(0, 4))):
        image = draw(st.sampled_from(made))
        b.container(image, draw(st.sampled_from(STATES)), size_rw=draw(st.integers(0, 50)))
    return b.host()


@settings(max_examples=EXAMPLES, deadline=None)
@given(hosts())
def test_layers_size_is_unique_plus_shared_once(host: Host) -> None:
    usage = host.disk_usage()
    doc = usage.to_api()
    refs: Counter[str] = Counter()
    for row in usage.images:
        refs.update(set(row.image.layers))
    shared_once = sum(host.layers[c].size for c, n in refs.items() if n > 1)
    assert doc["LayersSize"] == sum(r.unique_size for r in usage.images) + shared_once
    # every image's Size is its chain, and the API list agrees with the rows
    for row, summary in zip(usage.images, doc["Images"], strict=True):
        assert row.size == sum(host.layers[c].size for c in row.image.layers)
        assert (summary["Id"], summary["Size"], summary["SharedSize"]) == (
            row.image.id, row.size, row.shared_size)
        assert 0 <= row.shared_size <= row.size


@settings(max_examples=EXAMPLES, deadline=None)
@given(hosts())
def test_exact_reclaimable_never_exceeds_the_engines_figure(host: Host) -> None:
    usage = host.disk_usage()
    assert 0 <= usage.reclaimable <= usage.engine_reclaimable <= usage.layers_size
    if not host.containers:
        assert usage.reclaimable == usage.layers_size == usage.engine_reclaimable


@settings(max_examples=EXAMPLES, deadline=None)
@given(hosts())
def test_listings_partition_the_images(host: Host) -> None:
    everything = {i["Id"] for i in host.list_images(all=True)}
    default = {i["Id"] for i in host.list_images()}
    assert everything == set(host.images)
    hidden = everything - default
    assert hidden == {i for i, image in host.images.items() if host.is_intermediate(image)}
    dangling = {i["Id"] for i in host.list_images(filters={"dangling": True})}
    assert dangling <= default
    assert dangling == {i for i, image in host.images.items() if host.is_dangling(image)}


@settings(max_examples=EXAMPLES, deadline=None)
@given(hosts())
def test_no_history_needed_and_round_trip(host: Host) -> None:
    payloads = payloads_from_host(host)
    assert history_needed(payloads) == []
    assert Host.from_api({**payloads, "image_history": {}}) == host
    assert Host.from_api(payloads) == host
