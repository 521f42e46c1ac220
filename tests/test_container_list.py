"""``docker ps --filter``: the engine's container filters, offline (daemon/list.go at v20.10.24)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostbuilder import HostBuilder
from test_removal import PROPERTY, hosts

from dockermodel import EngineError, Host, InvalidArgument
from dockermodel.container_list import list_containers, listed_containers


class Ps:
    """app:1 built on base:1, other:1; containers of every kind (oldest first below)."""

    def __init__(self) -> None:
        b = HostBuilder()
        (base,) = b.build([10], tag="base:1")
        (app,) = b.build([5], base=base, tag="app:1")
        b.build([7], tag="other:1")
        self.ids = {}
        self.ids["created"] = b.container("app:1", "created", name="fresh")
        self.ids["exit0"] = b.container("base:1", "exited", name="ok", labels={"team": "a"})
        self.ids["exit3"] = b.container("app:1", "exited", name="failed", volumes=["data"])
        self.ids["web"] = b.container("app:1", "running", name="web", labels={"team": "b"})
        self.ids["paused"] = b.container("other:1", "paused", name="sleepy")
        self.ids["dead"] = b.container("app:1", "dead", name="gone")
        by_id = {c["Id"]: c for c in b.containers}
        by_id[self.ids["exit3"]]["Status"] = "Exited (3) 5 minutes ago"
        by_id[self.ids["web"]]["Status"] = "Up 2 minutes (healthy)"
        by_id[self.ids["web"]]["Ports"] = [
            {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
            {"PrivatePort": 53, "Type": "udp"},
        ]
        by_id[self.ids["web"]]["NetworkSettings"] = {
            "Networks": {"front": {"NetworkID": "abc123" + "0" * 58}}}
        by_id[self.ids["paused"]]["Labels"] = {"com.docker.swarm.task.id": "t1"}
        self.host = b.host()
        self.app = app

    def names(self, all: bool = False, filters: Any = None) -> list[str]:
        return [c.name for c in listed_containers(self.host, all, filters)]


@pytest.fixture(scope="module")
def ps() -> Ps:
    return Ps()


# (all, filters, names listed, newest first)
CASES = [
    ("running only by default", False, None, ["sleepy", "web"]),
    ("all", True, None, ["gone", "sleepy", "web", "failed", "ok", "fresh"]),
    ("status implies all", False, {"status": ["exited"]}, ["failed", "ok"]),
    ("two statuses", False, {"status": ["created", "dead"]}, ["gone", "fresh"]),
    ("exited=3", True, {"exited": ["3"]}, ["failed"]),
    ("exited=0 skips created and dead", True, {"exited": ["0"]}, ["ok"]),
    ("label key", True, {"label": ["team"]}, ["web", "ok"]),
    ("label key=value", True, {"label": ["team=b"]}, ["web"]),
    ("name is a regexp", True, {"name": ["^/?f"]}, ["failed", "fresh"]),
    ("name exact with slash", True, {"name": ["/web"]}, ["web"]),
    ("name unanchored", True, {"name": ["e"]}, ["gone", "sleepy", "web", "failed", "fresh"]),
    ("ancestor takes descendants", True, {"ancestor": ["base:1"]},
     ["gone", "web", "failed", "ok", "fresh"]),
    ("ancestor that does not exist lists nothing", True, {"ancestor": ["nosuch"]}, []),
    ("volume by name", True, {"volume": ["data"]}, ["failed"]),
    ("volume by destination", True, {"volume": ["/data0"]}, ["failed"]),
    ("network by name", True, {"network": ["front"]}, ["web"]),
    ("network by id prefix", True, {"network": ["abc1"]}, ["web"]),
    ("publish", True, {"publish": ["8080"]}, ["web"]),
    ("publish range and proto", True, {"publish": ["8000-8100/tcp"]}, ["web"]),
    ("expose udp", True, {"expose": ["53/udp"]}, ["web"]),
    ("expose tcp is not udp", True, {"expose": ["53"]}, []),
    ("health", True, {"health": ["healthy"]}, ["web"]),
    ("health none", True, {"health": ["none"]}, ["gone", "sleepy", "failed", "ok", "fresh"]),
    ("is-task", True, {"is-task": ["true"]}, ["sleepy"]),
    ("is-task false", False, {"is-task": ["false"]}, ["web"]),
    ("isolation is a no-op on Linux", False, {"isolation": ["default"]}, ["sleepy", "web"]),
]


@pytest.mark.parametrize(
    ("all_containers", "filters", "expected"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_ps_filter(ps: Ps, all_containers: bool, filters: Any, expected: list[str]) -> None:
    assert ps.names(all_containers, filters) == expected


def test_id_before_and_since(ps: Ps) -> None:
    web = ps.ids["web"]
    assert ps.names(True, {"id": [web[:6]]}) == ["web"]
    assert ps.names(True, {"id": [web]}) == ["web"]
    assert ps.names(True, {"id": [""]}) == []
    assert ps.names(True, {"id": [web[:6]], "name": ["nomatch"]}) == []
    assert ps.names(True, {"before": ["web"]}) == ["failed", "ok", "fresh"]
    assert ps.names(True, {"since": ["failed"]}) == ["gone", "sleepy", "web"]
    assert ps.names(True, {"since": [ps.ids["exit0"]], "before": ["sleepy"]}) == ["web", "failed"]


# (filters, error class, status, message)
ERRORS = [
    ({"color": ["red"]}, InvalidArgument, 400, "Invalid filter 'color'"),
    ({"status": ["sleeping"]}, InvalidArgument, 400, "Invalid filter 'status=sleeping'"),
    ({"is-task": ["maybe"]}, InvalidArgument, 400, "Invalid filter 'is-task=[maybe]'"),
    ({"health": ["ok"]}, InvalidArgument, 400, "Unrecognised filter value for health: ok"),
    ({"exited": ["x"]}, EngineError, 500, 'strconv.Atoi: parsing "x": invalid syntax'),
    ({"before": ["nosuch"]}, EngineError, 500, "no such container nosuch"),
    ({"publish": ["80:80"]}, EngineError, 500,
     "filter for 'publish' should not contain ':': 80:80"),
    ({"expose": ["90-80"]}, EngineError, 500,
     "error while looking up for expose 90-80: Invalid range specified for the Port: 90-80"),
    ({"expose": ["http"]}, EngineError, 500,
     'error while looking up for expose http: strconv.ParseUint: parsing "http": invalid syntax'),
]


@pytest.mark.parametrize(("filters", "error", "status", "message"), ERRORS)
def test_ps_filter_errors(ps: Ps, filters: Any, error: type[EngineError], status: int,
                          message: str) -> None:
    with pytest.raises(error) as info:
        listed_containers(ps.host, True, filters)
    assert (info.value.status, info.value.message) == (status, message)


@PROPERTY
@given(hosts(), st.booleans())
def test_no_filter_is_the_plain_listing(host: Host, all_containers: bool) -> None:
    assert list_containers(host, all_containers) == host.list_containers(all=all_containers)
    every = list_containers(host, True)
    for state in {c["State"] for c in every}:
        assert list_containers(host, False, {"status": [state]}) == [
            c for c in every if c["State"] == state]
