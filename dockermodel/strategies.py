"""Hypothesis strategies for image references, for your own tests.

Needs `hypothesis <https://hypothesis.readthedocs.io>`_ (the rest of
dockermodel does not)::

    from hypothesis import given
    from dockermodel import strategies as drs
    from dockermodel.reference import parse

    @given(drs.reference_strings())
    def test_my_tool_accepts_every_reference(text):
        assert my_tool(parse(text))

The strings follow the grammar of distribution/reference v0.6.0
(``docs/reference.md``):

* :func:`reference_strings` — text :func:`~dockermodel.reference.parse` accepts
  (domains with ports and IPv6 hosts, paths with every separator, tags,
  digests), and :func:`references` the parsed values;
* :func:`normalized_references` — values from
  :func:`~dockermodel.reference.parse_normalized_named`, and
  :func:`familiar_strings` what ``docker images`` would print for them;
* :func:`invalid_reference_strings` — text ``parse`` rejects with an
  :class:`~dockermodel.errors.InvalidReference`;
* :func:`reference_like_text` — any text built from the grammar's characters
  and a few troublemakers (uppercase, non-ASCII, newline), valid or not;
* the parts: :func:`domains`, :func:`paths`, :func:`path_components`,
  :func:`tags`, :func:`digests`, :func:`image_ids`, :func:`container_ids`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised without hypothesis only
    raise ImportError("dockermodel.strategies needs hypothesis: pip install hypothesis") from error

from . import _grammar
from .digest import ALGORITHMS
from .errors import InvalidReference
from .reference import Reference, familiar_string, parse, parse_normalized_named

__all__ = [
    "container_ids",
    "digests",
    "domains",
    "familiar_strings",
    "image_ids",
    "invalid_reference_strings",
    "normalized_references",
    "path_components",
    "paths",
    "reference_like_text",
    "reference_strings",
    "references",
    "tags",
]

_T = TypeVar("_T")

_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"
_TAG_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
_LABEL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#: Characters that appear nowhere in the reference grammar.
_NEVER_VALID = " !\"#$%&'()*,;<=>?\\^`{|}~\té\u0130\n"


def __dir__() -> list[str]:
    return sorted(__all__)


def path_components() -> st.SearchStrategy[str]:
    """One path component: lowercase alphanumeric runs joined by ``.``, ``_``, ``__`` or hyphens."""
    alnum = st.text(_LOWER_ALNUM, min_size=1, max_size=8)
    separator = st.sampled_from([".", "_", "__", "-", "--", "---"])
    return st.builds(
        lambda first, rest: first + "".join(sep + run for sep, run in rest),
        alnum,
        st.lists(st.tuples(separator, alnum), max_size=3),
    )


def paths(max_length: int = _grammar.PATH_MAX) -> st.SearchStrategy[str]:
    """A repository path (components joined by ``/``) of at most ``max_length`` characters."""
    return (
        st.lists(path_components(), min_size=1, max_size=5)
        .map("/".join)
        .filter(lambda path: len(path) <= max_length)
    )


def _hosts() -> st.SearchStrategy[str]:
    edge = st.sampled_from(_LABEL_CHARS)
    label = edge | st.builds(
        lambda a, middle, b: a + middle + b, edge, st.text(_LABEL_CHARS + "-", max_size=6), edge
    )
    names = st.lists(label, min_size=1, max_size=4).map(".".join)
    ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda q: ".".join(map(str, q)))
    ipv6 = st.ip_addresses(v=6).map(lambda address: f"[{address.exploded}]")
    odd_ipv6 = st.text("0123456789abcdefABCDEF:", min_size=1, max_size=12).map(lambda h: f"[{h}]")
    return st.one_of(names, st.just("localhost"), ipv4, ipv6, odd_ipv6)


def domains() -> st.SearchStrategy[str]:
    """A registry domain: hostname, IPv4 or bracketed IPv6 host, optional ``:port``."""
    port = st.integers(0, 99999).map(lambda n: f":{n}")
    return st.builds(lambda host, port: host + port, _hosts(), st.one_of(st.just(""), port))


def tags() -> st.SearchStrategy[str]:
    """A tag: ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``."""
    return st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(_TAG_FIRST),
        st.text(_TAG_FIRST + ".-", max_size=127),
    )


def digests(algorithms: Sequence[str] = ("sha256",)) -> st.SearchStrategy[str]:
    """A valid digest (lowercase hex of the right length) of one of ``algorithms``."""
    for algorithm in algorithms:
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unregistered digest algorithm: {algorithm!r}")

    def digest(algorithm: str) -> st.SearchStrategy[str]:
        size = ALGORITHMS[algorithm]
        return st.text(_HEX, min_size=size, max_size=size).map(lambda h: f"{algorithm}:{h}")

    return st.sampled_from(list(algorithms)).flatmap(digest)


def image_ids() -> st.SearchStrategy[str]:
    """A full image id: ``sha256:`` + 64 lowercase hex."""
    return digests(("sha256",))


def container_ids() -> st.SearchStrategy[str]:
    """A full container id: 64 lowercase hex."""
    return st.text(_HEX, min_size=64, max_size=64)


def reference_strings(
    digest_algorithms: Sequence[str] = ("sha256", "sha384", "sha512"),
) -> st.SearchStrategy[str]:
    """Text that :func:`~dockermodel.reference.parse` accepts, ``[domain/]path[:tag][@digest]``."""
    optional_domain = st.one_of(st.just(""), domains().map(lambda d: d + "/"))
    optional_tag = st.one_of(st.just(""), tags().map(lambda t: ":" + t))
    optional_digest = st.one_of(st.just(""), digests(digest_algorithms).map(lambda d: "@" + d))
    return st.builds(
        lambda domain, path, tag, digest: domain + path + tag + digest,
        optional_domain,
        paths(),
        optional_tag,
        optional_digest,
    )


def references() -> st.SearchStrategy[Reference]:
    """References from :func:`~dockermodel.reference.parse` of :func:`reference_strings`."""
    return reference_strings().map(parse)


def _accepted(function: Callable[[str], _T]) -> Callable[[str], _T | None]:
    def attempt(text: str) -> _T | None:
        try:
            return function(text)
        except InvalidReference:
            return None

    return attempt


def normalized_references() -> st.SearchStrategy[Reference]:
    """References from :func:`~dockermodel.reference.parse_normalized_named`.

    Inputs are familiar (``ubuntu``, ``me/app:1``) or full references; the
    few the normalizer rejects are skipped.
    """
    familiar = st.builds(
        lambda path, tag: path + tag,
        paths(max_length=200),
        st.one_of(st.just(""), tags().map(lambda t: ":" + t)),
    )
    normalize = _accepted(parse_normalized_named)
    return (
        st.one_of(familiar, reference_strings())
        .map(normalize)
        .filter(lambda ref: ref is not None)
        .map(_not_none)
    )


def _not_none(ref: Reference | None) -> Reference:
    assert ref is not None
    return ref


def familiar_strings() -> st.SearchStrategy[str]:
    """What ``docker images`` prints for :func:`normalized_references`."""
    return normalized_references().map(familiar_string)


def invalid_reference_strings() -> st.SearchStrategy[str]:
    """Text that :func:`~dockermodel.reference.parse` rejects.

    A valid reference with a character the grammar never allows inserted, a
    trailing or leading ``/``, an empty path component, or a path over 255
    characters.
    """
    bad_char = st.sampled_from(list(_NEVER_VALID))
    inserted = st.builds(
        lambda text, char, where: (
            text[: where % (len(text) + 1)] + char + text[where % (len(text) + 1) :]
        ),
        reference_strings(),
        bad_char,
        st.integers(min_value=0),
    )
    structural = st.one_of(
        reference_strings().map(lambda t: t + "/"),
        reference_strings().map(lambda t: "/" + t),
        st.builds(lambda a, b: f"{a}//{b}", path_components(), path_components()),
        st.integers(256, 400).map(lambda n: "a" * n),
        st.just(""),
    )
    return st.one_of(inserted, structural)


def reference_like_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Any text over the grammar's characters plus a few troublemakers (valid or not)."""
    alphabet = st.sampled_from(
        [*"abcxyz019AZ.-_:/@[]+=", "__", "--", "sha256:", "\u0130", "é", "\n"]
    )
    return st.one_of(
        st.lists(alphabet, max_size=max_size).map("".join),
        st.text(max_size=max_size),
    )
