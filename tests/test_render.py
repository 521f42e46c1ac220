"""dockermodel.render: go-units sizes/durations, the CLI tabwriter, and tables."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockermodel import render

H = "0123456789ab" + "c" * 52  # 64 hex
NOW = 1_700_000_000


# -- human_size ----------------------------------------------


@pytest.mark.parametrize(
    ("size", "precision", "expected"),
    [
        (0, 4, "0B"),
        (-1, 4, "-1B"),
        (-5000, 4, "-5000B"),
        (-5000, 3, "-5e+03B"),
        (999, 4, "999B"),
        (1000, 4, "1kB"),
        (4096, 4, "4.096kB"),
        (4096, 3, "4.1kB"),
        (1125, 3, "1.12kB"),
        (9995, 3, "9.99kB"),
        (99950, 3, "100kB"),
        (999500, 3, "1e+03kB"),
        (999500, 4, "999.5kB"),
        (999999, 3, "1e+03kB"),
        (999999, 4, "1000kB"),
        (2102256, 3, "2.1MB"),
        (1982256, 4, "1.982MB"),
        (1982256, 3, "1.98MB"),
        (2116352, 4, "2.116MB"),
        (130000, 4, "130kB"),
        (1986352, 4, "1.986MB"),
        (10**24, 4, "1YB"),
        (10**27, 4, "1000YB"),
        (10**28, 4, "1e+04YB"),
        (1.5, 4, "1.5B"),
    ],
)
def test_human_size_vectors(size: int, precision: int, expected: str) -> None:
    assert render.human_size(size, precision) == expected


@given(st.integers(min_value=0, max_value=10**26), st.integers(min_value=1, max_value=6))
def test_human_size_unit_is_the_number_of_divisions(size: int, precision: int) -> None:
    text = render.human_size(size, precision)
    number, unit = re.fullmatch(r"([0-9.e+]+)([kMGTPEZY]?B)", text).groups()  # type: ignore[union-attr]
    power = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"].index(unit)
    assert power == 0 if size < 1000 else 1000**power <= size * (1 + 1e-12)
    assert abs(float(number) * 1000**power - size) <= size * 10 ** (1 - precision) + 1e-9


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=3, max_value=6))
def test_human_size_below_1000_is_the_integer(size: int, precision: int) -> None:
    assert render.human_size(size, precision) == f"{size}B"


@given(st.integers(min_value=0, max_value=10**20), st.integers(min_value=0, max_value=10**20))
def test_human_size_unit_is_monotonic(a: int, b: int) -> None:
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]

    def unit(n: int) -> int:
        return units.index(re.sub(r"^[0-9.e+-]+", "", render.human_size(n)))

    lo, hi = sorted((a, b))
    assert unit(lo) <= unit(hi)


# -- human_duration -------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-5, "Less than a second"),
        (0, "Less than a second"),
        (0.999999999, "Less than a second"),
        (1, "1 second"),
        (1.9, "1 second"),
        (2, "2 seconds"),
        (59.99, "59 seconds"),
        (60, "About a minute"),
        (119.9, "About a minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (5399, "About an hour"),
        (5400, "2 hours"),
        (47 * 3600 + 1799, "47 hours"),
        (47 * 3600 + 1800, "2 days"),
        (335 * 3600 + 1799, "13 days"),
        (335 * 3600 + 1800, "2 weeks"),
        (1439 * 3600 + 1799, "8 weeks"),
        (1439 * 3600 + 1800, "2 months"),
        (17519 * 3600 + 1799, "24 months"),
        (17519 * 3600 + 1800, "1 years"),
        (17520 * 3600, "2 years"),
        (3 * 365 * 86400, "3 years"),
    ],
)
def test_human_duration_boundaries(seconds: float, expected: str) -> None:
    assert render.human_duration(seconds) == expected


def test_human_duration_ns_is_exact() -> None:
    assert render.human_duration_ns(999_999_999) == "Less than a second"
    assert render.human_duration_ns(1_000_000_000) == "1 second"
    assert render.human_duration_ns(60 * 10**9 - 1) == "59 seconds"


# -- width, ellipsis, quoting --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width"),
    [("", 0), ("abc", 3), ("…", 1), ("日本", 4), ("e\u0301", 1), ("a\u200bb", 2), ("ｱ", 1)],
)
def test_text_width(text: str, width: int) -> None:
    assert render.text_width(text) == width


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("short", 20, "short"),
        ("a" * 20, 20, "a" * 20),
        ("a" * 21, 20, "a" * 19 + "…"),
        ("/bin/busybox 日本語", 20, "/bin/busybox 日本語"),
        ("/bin/busybox 日本語テキスト", 20, "/bin/busybox 日本語…"),
        ("/bin/busybox echo 日本語", 20, "/bin/busybox echo …"),
        ("abc", 1, "a"),
        ("abc", 0, ""),
        ("é" * 21, 20, "é" * 19 + "…"),
    ],
)
def test_ellipsis(text: str, width: int, expected: str) -> None:
    assert render.ellipsis(text, width) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b", '"a b"'),
        ('say "hi"\\', '"say \\"hi\\"\\\\"'),
        ("\t\n\r\a\b\f\v", '"\\t\\n\\r\\a\\b\\f\\v"'),
        ("\x00\x1b\x7f", '"\\x00\\x1b\\x7f"'),
        ("\u00a0\u2028", '"\\u00a0\\u2028"'),
        ("日本…é", '"日本…é"'),
        ("\U000e0001", '"\\U000e0001"'),
    ],
)
def test_go_quote(text: str, expected: str) -> None:
    assert render.go_quote(text) == expected


# -- tabwriter -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A\tB\n", "A         B\n"),
        ("LONGCOLUMNHEADER\tB\nx\ty\n", "LONGCOLUMNHEADER   B\nx                  y\n"),
        ("A\t\tC\n", "A                   C\n"),
        ("A\tB\t\n", "A         B         \n"),
        ("日本語日本語\tx\n", "日本語日本語   x\n"),
        # a one-cell line ends the blocks: widths are computed per block
        ("aaaaaaaaaaaa\tb\nplain\nc\td\n", "aaaaaaaaaaaa   b\nplain\nc         d\n"),
        ("", ""),
    ],
)
def test_tabwrite(text: str, expected: str) -> None:
    assert render.tabwrite(text) == expected


@given(
    st.lists(
        st.lists(st.text("abc日é\u0301", max_size=8), min_size=3, max_size=3),
        min_size=1,
        max_size=6,
    )
)
def test_table_pads_every_column_but_the_last(rows: list[list[str]]) -> None:
    lines = [["H1", "H2", "H3"], *rows]
    widths = [max(10, max(render.text_width(line[j]) for line in lines) + 3) for j in range(2)]
    expected = "".join(
        "".join(c + " " * (w - render.text_width(c)) for c, w in zip(line[:2], widths, strict=True))
        + line[2]
        + "\n"
        for line in lines
    )
    assert render.table(lines[0], rows) == expected


# -- docker images -------------------------------------------------------


def summary(**kw: Any) -> dict[str, Any]:
    doc = {
        "Id": "sha256:" + H,
        "ParentId": "",
        "RepoTags": None,
        "RepoDigests": None,
        "Created": NOW - 7,
        "Size": 2112256,
        "VirtualSize": 2112256,
        "SharedSize": -1,
        "Containers": -1,
        "Labels": None,
    }
    doc.update(kw)
    return doc


def rows_of(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()[1:]]


@pytest.mark.parametrize(
    ("tags", "digests", "expected"),
    [
        (["<none>:<none>"], ["<none>@<none>"], [["<none>", "<none>"]]),
        (None, None, [["<none>", "<none>"]]),
        (["app:1", "app:2"], None, [["app", "1"], ["app", "2"]]),
        (
            ["app:1", "zzz/app:1", "localhost:5000/app:1"],
            None,
            [["app", "1"], ["zzz/app", "1"], ["localhost:5000/app", "1"]],
        ),
        (None, ["app@sha256:" + "a" * 64], [["app", "<none>"]]),
        (
            ["app:1"],
            ["app@sha256:" + "a" * 64, "web@sha256:" + "b" * 64],
            [["app", "1"], ["web", "<none>"]],
        ),
    ],
)
def test_images_rows(tags: Any, digests: Any, expected: list[list[str]]) -> None:
    text = render.images_table([summary(RepoTags=tags, RepoDigests=digests)], NOW)
    assert [r[:2] for r in rows_of(text)] == expected
    assert {tuple(r[2:]) for r in rows_of(text)} == {("0123456789ab", "7 seconds ago", "2.11MB")}


def test_images_table_exact() -> None:
    docs = [
        summary(RepoTags=["localhost:5000/app:1", "app:10"]),
        summary(Id="sha256:" + "f" * 64, Created=NOW - 3600, Size=999500),
    ]
    assert render.images_table(docs, NOW) == (
        "REPOSITORY           TAG       IMAGE ID       CREATED             SIZE\n"
        "localhost:5000/app   1         0123456789ab   7 seconds ago       2.11MB\n"
        "app                  10        0123456789ab   7 seconds ago       2.11MB\n"
        "<none>               <none>    ffffffffffff   About an hour ago   1e+03kB\n"
    )


def test_images_table_with_digests() -> None:
    doc = summary(RepoTags=["app:1"], RepoDigests=["app@sha256:" + "a" * 64])
    assert rows_of(render.images_table([doc], NOW, digests=True)) == [
        ["app", "1", "sha256:" + "a" * 64, "0123456789ab", "7 seconds ago", "2.11MB"]
    ]


# -- docker ps -------------------------------------------


def container(**kw: Any) -> dict[str, Any]:
    doc = {
        "Id": "c" * 64,
        "Names": ["/web"],
        "Image": "app:1",
        "ImageID": "sha256:" + H,
        "Command": "/bin/busybox sleep 1000",
        "Created": NOW - 2,
        "Ports": [],
        "State": "running",
        "Status": "Up 1 second",
        "Mounts": [],
    }
    doc.update(kw)
    return doc


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("app:1", "app:1"),
        ("docker.io/library/app:1", "app:1"),
        ("library/app", "app"),
        ("app@sha256:" + "a" * 64, "app"),
        ("sha256:" + H, "0123456789ab"),
        ("0123456789ab", "0123456789ab"),
        ("", "<no image>"),
        ("Not A Ref", "Not A Ref"),
    ],
)
def test_container_image(image: str, expected: str) -> None:
    assert render.container_image(image, "sha256:" + H) == expected


@pytest.mark.parametrize(
    ("names", "expected"),
    [(["/web"], "web"), (["/app/db", "/db"], "db"), (["/a/b"], "a/b"), ([], "")],
)
def test_container_names(names: list[str], expected: str) -> None:
    assert render.container_names(names) == expected


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        ([], ""),
        ([{"PrivatePort": 80, "Type": "tcp"}, {"PrivatePort": 81, "Type": "tcp"}], "80-81/tcp"),
        (
            [
                {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
                {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
            ],
            "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
        ),
        (
            [{"IP": "0.0.0.0", "PrivatePort": 53, "PublicPort": 53, "Type": "udp"}],
            "0.0.0.0:53->53/udp",
        ),
    ],
)
def test_displayable_ports(ports: list[dict[str, Any]], expected: str) -> None:
    assert render.displayable_ports(ports) == expected


def test_ps_table_exact() -> None:
    rows = [
        container(),
        container(
            Id="d" * 64,
            Names=["/old"],
            State="exited",
            Image="sha256:" + "e" * 64,
            ImageID="sha256:" + "e" * 64,
            Status="Exited (0) 5 seconds ago",
            Created=NOW - 70,
            SizeRw=5000,
            SizeRootFs=2102256,
        ),
    ]
    assert render.ps_table(rows, NOW, size=True) == (
        "CONTAINER ID   IMAGE          COMMAND                  CREATED              "
        "STATUS                     PORTS     NAMES     SIZE\n"
        'cccccccccccc   app:1          "/bin/busybox sleep …"   2 seconds ago        '
        "Up 1 second                          web       0B\n"
        'dddddddddddd   eeeeeeeeeeee   "/bin/busybox sleep …"   About a minute ago   '
        "Exited (0) 5 seconds ago             old       5kB (virtual 2.1MB)\n"
    )
    assert render.ps_table(rows[:1], NOW).splitlines()[1] == (
        'cccccccccccc   app:1     "/bin/busybox sleep …"   2 seconds ago   Up 1 second'
        "             web"
    )


# -- docker system df ------------------------------------------

L1, L2, L3, L4 = 1_982_256, 100_000, 30_000, 4_096


def worked_example(app_containers: int = 0, app_tags: Any = ("app:1",)) -> dict[str, Any]:
    """docs/numbers.md's example: base:1 = L1; app:1 = L1+L2+L3; other:1 = L1+L4."""

    def img(hexid: str, tag: Any, created: int, size: int, shared: int, n: int) -> dict[str, Any]:
        return {
            "Id": "sha256:" + hexid + "0" * 52,
            "ParentId": "",
            "RepoTags": list(tag) if tag else ["<none>:<none>"],
            "RepoDigests": None if tag else ["<none>@<none>"],
            "Created": created,
            "Size": size,
            "VirtualSize": size,
            "SharedSize": shared,
            "Containers": n,
            "Labels": None,
        }

    return {
        "LayersSize": L1 + L2 + L3 + L4,
        "Images": [
            img("5de8c56ab1d0", ["other:1"], NOW - 6, L1 + L4, L1, 0),
            img("ab39aba9e367", app_tags, NOW - 7, L1 + L2 + L3, L1, app_containers),
            img("5a2defe21f57", ["base:1"], NOW - 7, L1, L1, 0),
        ],
        "Containers": [],
        "Volumes": [],
        "BuildCache": None,
        "BuilderSize": 0,
    }


def test_worked_example_summary() -> None:
    assert render.system_df(worked_example()) == (
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n"
        "Images          3         0         2.116MB   2.116MB (100%)\n"
        "Containers      0         0         0B        0B\n"
        "Local Volumes   0         0         0B        0B\n"
        "Build Cache     0         0         0B        0B\n"
    )


def test_worked_example_summary_with_a_used_untagged_app() -> None:
    line = render.system_df(worked_example(1, None)).splitlines()[1]
    assert line == "Images          3         1         2.116MB   1.986MB (93%)"


def test_worked_example_verbose() -> None:
    assert render.system_df_verbose(worked_example(), NOW) == (
        "Images space usage:\n\n"
        "REPOSITORY   TAG       IMAGE ID       CREATED         SIZE      SHARED SIZE   "
        "UNIQUE SIZE   CONTAINERS\n"
        "other        1         5de8c56ab1d0   6 seconds ago   1.99MB    1.982MB       "
        "4.096kB       0\n"
        "app          1         ab39aba9e367   7 seconds ago   2.11MB    1.982MB       "
        "130kB         0\n"
        "base         1         5a2defe21f57   7 seconds ago   1.98MB    1.982MB       "
        "0B            0\n"
        "\nContainers space usage:\n\n"
        "CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      CREATED   STATUS    NAMES\n"
        "\nLocal Volumes space usage:\n\n"
        "VOLUME NAME   LINKS     SIZE\n"
        "\nBuild cache usage: 0B\n\n"
        "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n"
    )


def test_df_summary_containers_volumes_build_cache() -> None:
    df = worked_example()
    df["Containers"] = [
        container(SizeRw=5000),
        container(State="exited", SizeRw=15000),
        container(State="created"),
    ]
    df["Volumes"] = [
        {"Name": "v1", "UsageData": {"Size": 300, "RefCount": 1}},
        {"Name": "v2", "UsageData": {"Size": 100, "RefCount": 0}},
        {"Name": "v3", "UsageData": {"Size": -1, "RefCount": 0}},
    ]
    df["BuildCache"] = [
        {
            "ID": "a" * 25,
            "Type": "regular",
            "Size": 4000,
            "Shared": False,
            "InUse": True,
            "CreatedAt": "2023-11-14T22:13:00Z",
            "LastUsedAt": None,
            "UsageCount": 1,
        },
        {
            "ID": "b" * 25,
            "Type": "regular",
            "Size": 9000,
            "Shared": True,
            "InUse": True,
            "CreatedAt": "2023-11-14T22:13:00Z",
            "LastUsedAt": "2023-11-14T22:13:10.5+00:00",
            "UsageCount": 2,
        },
        {
            "ID": "c" * 25,
            "Type": "source.local",
            "Size": 1000,
            "Shared": False,
            "InUse": False,
            "CreatedAt": "2023-11-14T22:13:00Z",
            "LastUsedAt": "2023-11-14T22:13:05Z",
            "UsageCount": 3,
        },
    ]
    assert rows_of(render.system_df(df))[1:] == [
        ["Containers", "3", "1", "20kB", "15kB (75%)"],
        ["Local Volumes", "3", "1", "400B", "100B (25%)"],
        ["Build Cache", "3", "2", "5kB", "1kB"],
    ]
    verbose = render.system_df_verbose(df, NOW)
    assert "\nBuild cache usage: 5kB\n\n" in verbose
    builds = verbose.split("Build cache usage: 5kB\n\n")[1].splitlines()[1:]
    # NOW = 2023-11-14T22:13:20Z; nil LastUsedAt first, then ascending
    assert [re.split(r"\s{2,}", b.strip()) for b in builds] == [
        ["aaaaaaaaaaaa*", "regular", "4kB", "20 seconds ago", "1", "false"],
        ["cccccccccccc", "source.local", "1kB", "20 seconds ago", "15 seconds ago", "3", "false"],
        ["bbbbbbbbbbbb*", "regular", "9kB", "20 seconds ago", "9 seconds ago", "2", "true"],
    ]
    assert "v3            0         -1B\n" in verbose


def test_df_verbose_digest_only_image_is_none_none() -> None:
    df = worked_example(0, None)
    df["Images"][1]["RepoTags"] = None
    df["Images"][1]["RepoDigests"] = ["app@sha256:" + "a" * 64]
    assert rows_of(render.system_df_verbose(df, NOW).split("\n\n")[1])[1][:2] == [
        "<none>",
        "<none>",
    ]


# -- rmi, prune, errors -------------------------------------


def test_rmi_output() -> None:
    records = [
        {"Untagged": "app:1"},
        {"Untagged": "app@sha256:" + "a" * 64},
        {"Deleted": "sha256:" + H},
    ]
    assert render.rmi_output(records) == (
        f"Untagged: app:1\nUntagged: app@sha256:{'a' * 64}\nDeleted: sha256:{H}\n"
    )
    assert render.rmi_output([]) == ""


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"ImagesDeleted": None, "SpaceReclaimed": 0}, "Total reclaimed space: 0B\n"),
        ({"ImagesDeleted": [], "SpaceReclaimed": 77}, "Total reclaimed space: 0B\n"),
        (
            {
                "ImagesDeleted": [{"Untagged": "base:1"}, {"Deleted": "sha256:" + H}],
                "SpaceReclaimed": 2116352,
            },
            f"Deleted Images:\nuntagged: base:1\ndeleted: sha256:{H}\n\n"
            "Total reclaimed space: 2.116MB\n",
        ),
    ],
)
def test_image_prune_output(doc: dict[str, Any], expected: str) -> None:
    assert render.image_prune_output(doc) == expected


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"ContainersDeleted": None, "SpaceReclaimed": 0}, "Total reclaimed space: 0B\n"),
        (
            {"ContainersDeleted": ["c" * 64, "d" * 64], "SpaceReclaimed": 5000},
            f"Deleted Containers:\n{'c' * 64}\n{'d' * 64}\n\nTotal reclaimed space: 5kB\n",
        ),
    ],
)
def test_container_prune_output(doc: dict[str, Any], expected: str) -> None:
    assert render.container_prune_output(doc) == expected


def test_daemon_error() -> None:
    assert render.daemon_error("No such image: nosuch:latest") == (
        "Error response from daemon: No such image: nosuch:latest\n"
    )
