"""Every parse function answers hostile input in time linear in its length.

GRAMMAR.md §9: a backtracking matcher can go quadratic (or worse) on inputs
such as ``'a.'*N``. We time each function at N and 8N characters (the best
of several runs, in CPU time) and require the ratio to stay far below the 64 a quadratic
algorithm would show. Growth, not wall-clock time, is what is asserted.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest

from dockermodel import _reference_v2_8 as v2_8
from dockermodel import errors
from dockermodel.reference import (
    parse,
    parse_any_reference,
    parse_docker_ref,
    parse_named,
    parse_normalized_named,
    with_name,
)

HOSTILE: list[tuple[str, Callable[[int], str]]] = [
    ("a.", lambda n: "a." * n),
    ("a/+!", lambda n: "a/" * n + "!"),
    ("a__", lambda n: "a__" * n),
    ("a-+/!", lambda n: "a-" * n + "/!"),
    ("a/", lambda n: "a/" * n),
    ("A.", lambda n: "A." * n),
    ("1.+/a", lambda n: "1." * n + "/a"),
    ("x@a+", lambda n: "x@" + "a+" * n),
    ("[a:", lambda n: "[" + "a:" * n),
    ("long valid domain", lambda n: "a" * (2 * n) + ".io/x"),
    ("A/+a", lambda n: "A/" * n + "a"),
]

PARSERS: list[Callable[[str], object]] = [
    parse,
    parse_normalized_named,
    parse_named,
    parse_any_reference,
    parse_docker_ref,
    with_name,
    # the docker/distribution v2.8.1 parser of Engine 20.10 lookups
    v2_8.parse,
    v2_8.parse_normalized_named,
    v2_8.parse_named,
    v2_8.parse_any_reference,
]


def _parser_id(function: Callable[[str], object]) -> str:
    prefix = "v2_8." if function.__module__ == v2_8.__name__ else ""
    return prefix + function.__name__

SMALL = 2_000  # repetitions: 4,000-6,000 characters; 8x that at the large size
RUNS = 5


def _best_time(function: Callable[[str], object], text: str) -> float:
    """The least CPU time of this thread over RUNS calls.

    CPU time, not wall time: on a busy machine a preempted run would
    otherwise look slow.
    """
    best = float("inf")
    for _ in range(RUNS):
        start = time.thread_time()
        with contextlib.suppress(errors.InvalidReference):
            function(text)
        best = min(best, time.thread_time() - start)
    return best


@pytest.mark.parametrize("function", PARSERS, ids=_parser_id)
@pytest.mark.parametrize(("label", "make"), HOSTILE, ids=[label for label, _ in HOSTILE])
def test_growth_is_linear(
    function: Callable[[str], object], label: str, make: Callable[[int], str]
) -> None:
    small = _best_time(function, make(SMALL))
    large = _best_time(function, make(8 * SMALL))
    # Below ~50 µs the answer did not depend on the length at all (rejected early).
    if large < 50e-6:
        return
    ratio = large / max(small, 1e-7)
    assert ratio < 24, f"{label}: {small * 1e3:.2f} ms -> {large * 1e3:.2f} ms (x{ratio:.1f})"


def test_a_100k_input_gets_the_engine_answer() -> None:
    with pytest.raises(errors.ReferenceInvalidFormat):
        parse_normalized_named("a." * 50_000)
    with pytest.raises(errors.NameTooLong):
        parse_normalized_named("a/" * 50_000 + "a")
    with pytest.raises(errors.NameContainsUppercase):
        parse("aa/" + "A" * 100_000)
    long_domain = "a" * 100_000 + ".io/x"
    assert parse(long_domain).domain == "a" * 100_000 + ".io"


def test_a_100k_input_gets_the_engine_20_10_answer() -> None:
    with pytest.raises(errors.ReferenceInvalidFormat):
        v2_8.parse_any_reference("a." * 50_000)
    with pytest.raises(errors.NameTooLong):
        v2_8.parse_any_reference("a/" * 50_000 + "a")
    with pytest.raises(errors.NameContainsUppercase):
        v2_8.parse("aa/" + "A" * 100_000)
    with pytest.raises(errors.ReferenceInvalidFormat):
        v2_8.parse_any_reference("[" + "a:" * 50_000 + "]/x")
    with pytest.raises(errors.RepositoryNameNotLowercase):
        v2_8.parse_any_reference("A/" * 50_000 + "a")
    # v2.8.1 counts the domain: a long valid domain is too long a name
    with pytest.raises(errors.NameTooLong):
        v2_8.parse("a" * 100_000 + ".io/x")
