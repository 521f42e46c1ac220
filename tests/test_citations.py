"""Docs and docstrings cite what a reader has: the engine's source and the project's own docs.

A reader of this repository has moby's and the docker CLI's source (cited as
``[moby v20.10.24 path · function]``, ``[docker/cli v28.2.2 path · function]``)
and ``docs/*.md``; not the notes the project was written from. So no file of
the package, the docs, the examples, the benchmarks or the tests may cite
those notes by name, by rule number (``R1.6``, ``§5.7``, ``M3.2``) or as "the
issue", nor use one-letter citation prefixes (``[M …]``, ``[C …]``) that say
nothing to a reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: What may not be cited, and why.
FORBIDDEN: list[tuple[str, re.Pattern[str]]] = [
    (
        "a note outside the repository",
        re.compile(r"\bENGINE_(?:SEMANTICS|MODERN|SCALE)\b|\bENGINES_IN_CI\b|"
                   r"\b(?:DESIGN|GRAMMAR|PEERS)\.md\b"),
    ),
    ("a rule number", re.compile(r"\b[RM]\d+(?:\.\d+)+\b|§\s?\d")),
    ("an issue", re.compile(r"\bthe issue\b|\bissue \d+\b|\bpitfall \d+\b", re.IGNORECASE)),
    ("a one-letter citation prefix", re.compile(r"\[[MCUD](?:@v[\d.]+)? ")),
]

#: Directories and files a reader sees; data files (JSON recordings) are not prose.
SCOPE = ["dockermodel", "docs", "examples", "benchmarks", "scripts", "tests", ".ci"]
FILES = ["README.md", "CHANGELOG.md"]
SUFFIXES = {".py", ".md", ".txt", ".sh", ".toml", ".cfg", ""}


def _files() -> list[Path]:
    found = [ROOT / name for name in FILES]
    for directory in SCOPE:
        for path in sorted((ROOT / directory).rglob("*")):
            if not path.is_file() or path.suffix not in SUFFIXES:
                continue
            if "_build" in path.parts or path.name == Path(__file__).name:
                continue
            found.append(path)
    return found


FILES_IN_SCOPE = _files()


def test_the_scope_is_the_repository() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in FILES_IN_SCOPE}
    assert {"README.md", "dockermodel/removal.py", "docs/removal.md", ".ci/run"} <= names
    assert len(names) > 60


@pytest.mark.parametrize(
    "path", FILES_IN_SCOPE, ids=[p.relative_to(ROOT).as_posix() for p in FILES_IN_SCOPE]
)
def test_no_citation_a_reader_cannot_follow(path: Path) -> None:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for what, pattern in FORBIDDEN:
            for match in pattern.finditer(line):
                found.append(f"{number}: {what}: {match.group(0)!r} in {line.strip()!r}")
    assert found == []


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("Sources: ENGINE_SEMANTICS.md", "a note outside the repository"),
        ("see GRAMMAR.md", "a note outside the repository"),
        ("as the engine does (R1.6.4)", "a rule number"),
        ("force-deleted (§5.7)", "a rule number"),
        ("profile rule M3.2", "a rule number"),
        ("the issue asks for 300", "an issue"),
        ("[M daemon/delete.go · ContainerRm]", "a one-letter citation prefix"),
        ("[C@v28.2.2 cli/command/image/remove.go · runRemove]", "a one-letter citation prefix"),
    ],
)
def test_the_patterns_catch_what_they_should(text: str, what: str) -> None:
    assert [w for w, pattern in FORBIDDEN if pattern.search(text)] == [what]


@pytest.mark.parametrize(
    "text",
    [
        "[moby v20.10.24 daemon/images/image_delete.go · ImageService.ImageDelete]",
        "[docker/cli v28.2.2 cli/command/formatter/image.go · imageContext]",
        "see docs/removal.md",
        "API 1.41, Engine 20.10.24, sha256:" + "a" * 64,
        "ENGINE_RELEASES and REQUIRE_ENGINE_VARIABLE",
    ],
)
def test_the_patterns_leave_proper_citations_alone(text: str) -> None:
    assert [w for w, pattern in FORBIDDEN if pattern.search(text)] == []
