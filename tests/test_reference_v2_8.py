"""Vector tables and properties of the v2.8.1 parser Engine 20.10 uses.

``dockermodel._reference_v2_8`` answers as docker/distribution v2.8.1's
``reference`` package, which Engine 20.10.24 vendors. The first tables restate,
in our own rows, the cases of that version's tests (reference/reference_test.go
and reference/normalize_test.go at v2.8.1; the ``ParseAnyReferenceWithSet``
cases are left out, as the engine does not call it), with the exact error
class where upstream only says "invalid". ``DIFFERENCES`` lists inputs on
which v2.8.1 and :mod:`dockermodel.reference` (distribution/reference v0.6)
answer differently, with both answers; the hypothesis properties show that
everywhere else the two agree value for value and message for message.
``tests/test_reference_v2_8_engine.py`` sends the differing inputs to a real
Engine 20.10.24.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockermodel import _grammar, errors
from dockermodel import _reference_v2_8 as v28
from dockermodel import reference as v06
from dockermodel import strategies as drs
from dockermodel.reference import DigestReference, Reference, familiar_name

EXAMPLES = int(os.environ.get("DOCKERMODEL_HYPOTHESIS_EXAMPLES", "150"))
MANY = settings(max_examples=EXAMPLES, deadline=None)

F64 = "f" * 64
D64 = "sha256:" + F64
DBCC = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
HEX64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
LOWERCASE_2_8 = "invalid reference format: repository name must be lowercase"
TOO_LONG = "repository name must not be more than 255 characters"
INVALID = "invalid reference format"

# --------------------------------------------------------------------------
# Parse (reference_test.go · TestReferenceParse, TestSerialization)
# --------------------------------------------------------------------------

PARSE_OK = [
    # (input, domain, path, tag, digest)
    ("test_com", "", "test_com", None, None),
    ("test.com:tag", "", "test.com", "tag", None),
    ("test.com:5000", "", "test.com", "5000", None),
    ("test.com/repo:tag", "test.com", "repo", "tag", None),
    ("test:5000/repo", "test:5000", "repo", None, None),
    ("test:5000/repo:tag", "test:5000", "repo", "tag", None),
    ("test:5000/repo@" + D64, "test:5000", "repo", None, D64),
    ("test:5000/repo:tag@" + D64, "test:5000", "repo", "tag", D64),
    ("lowercase:Uppercase", "", "lowercase", "Uppercase", None),
    # the name is 255 characters with its domain: the most v2.8.1 allows
    ("a/" * 127 + "a:tag-puts-this-over-max", "a", "a/" * 126 + "a", "tag-puts-this-over-max",
     None),
    ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", None, None),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
     "some-long-tag", None),
    ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
     "test.example.com", None),
    ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", None),
    ("xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + "f" * 128, "xn--7o8h.com", "myimage",
     "xn--7o8h.com", "sha512:" + "f" * 128),
    ("foo_bar.com:8080", "", "foo_bar.com", "8080", None),
    ("foo/foo_bar.com:8080", "foo", "foo_bar.com", "8080", None),
    ("example.com:8000/named", "example.com:8000", "named", None, None),
    ("example.com:8000/named:tagged", "example.com:8000", "named", "tagged", None),
    ("other.com/named@sha256:" + "1234567890098765432112345667890098765432112345667890098765432112",
     "other.com", "named", None,
     "sha256:1234567890098765432112345667890098765432112345667890098765432112"),
    # our own: the grammar v2.8.1 shares with v0.6
    ("Foo/bar", "Foo", "bar", None, None),
    ("a__b/c---d/e.f_g", "", "a__b/c---d/e.f_g", None, None),
    ("example.com/" + "a" * 243, "example.com", "a" * 243, None, None),
    ("a" * 255 + ":" + "t" * 128, "", "a" * 255, "t" * 128, None),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), PARSE_OK)
def test_parse(text: str, domain: str, path: str, tag: str | None, digest: str | None) -> None:
    ref = v28.parse(text)
    assert type(ref) is Reference
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert str(ref) == text


PARSE_ERRORS = [
    ("", errors.NameEmpty),
    (":justtag", errors.ReferenceInvalidFormat),
    ("@" + D64, errors.ReferenceInvalidFormat),
    ("repo@sha256:" + "f" * 34, errors.DigestInvalidLength),
    ("validname@invaliddigest:" + F64, errors.DigestUnsupported),
    ("Uppercase:tag", errors.NameContainsUppercase),
    ("test:5000/Uppercase/lowercase:tag", errors.NameContainsUppercase),
    ("a/" * 128 + "a:tag", errors.NameTooLong),
    ("aa/asdf$$^/aa", errors.ReferenceInvalidFormat),
    # our own
    ("[2001:db8::1]/repo", errors.ReferenceInvalidFormat),
    ("[::1]:5000/repo:tag", errors.ReferenceInvalidFormat),
    ("example.com/" + "a" * 244, errors.NameTooLong),
    ("example.com/" + "a" * 244 + "@sha256:" + "F" * 64, errors.NameTooLong),
    ("example.com/" + "a" * 243 + "@sha256:" + "F" * 64, errors.DigestInvalidFormat),
    ("foo\n", errors.ReferenceInvalidFormat),
    ("\u0130mage", errors.NameContainsUppercase),
]


@pytest.mark.parametrize(("text", "error"), PARSE_ERRORS)
def test_parse_errors(text: str, error: type[errors.InvalidReference]) -> None:
    with pytest.raises(errors.InvalidReference) as info:
        v28.parse(text)
    assert type(info.value) is error
    assert (info.value.message, info.value.source) == (error.default_message, text)


# --------------------------------------------------------------------------
# ParseNormalizedNamed (normalize_test.go · TestValidateReferenceName,
# TestValidateRemoteName, TestParseRepositoryInfo, TestNormalizedSplitHostname)
# --------------------------------------------------------------------------

NORMALIZED_OK = [
    # (input, canonical, domain, path, familiar name)
    ("docker/docker", "docker.io/docker/docker", "docker.io", "docker/docker", "docker/docker"),
    ("library/debian", "docker.io/library/debian", "docker.io", "library/debian", "debian"),
    ("debian", "docker.io/library/debian", "docker.io", "library/debian", "debian"),
    ("docker.io/docker/docker", "docker.io/docker/docker", "docker.io", "docker/docker",
     "docker/docker"),
    ("docker.io/library/debian", "docker.io/library/debian", "docker.io", "library/debian",
     "debian"),
    ("docker.io/debian", "docker.io/library/debian", "docker.io", "library/debian", "debian"),
    ("index.docker.io/docker/docker", "docker.io/docker/docker", "docker.io", "docker/docker",
     "docker/docker"),
    ("index.docker.io/library/debian", "docker.io/library/debian", "docker.io", "library/debian",
     "debian"),
    ("index.docker.io/debian", "docker.io/library/debian", "docker.io", "library/debian",
     "debian"),
    ("127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker", "127.0.0.1:5000",
     "docker/docker", "127.0.0.1:5000/docker/docker"),
    ("127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian", "127.0.0.1:5000",
     "library/debian", "127.0.0.1:5000/library/debian"),
    ("127.0.0.1:5000/debian", "127.0.0.1:5000/debian", "127.0.0.1:5000", "debian",
     "127.0.0.1:5000/debian"),
    ("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "docker.io", "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"),
    ("docker.io/" + HEX64, "docker.io/library/" + HEX64, "docker.io", "library/" + HEX64,
     HEX64),
    ("docker-rules/docker", "docker.io/docker-rules/docker", "docker.io", "docker-rules/docker",
     "docker-rules/docker"),
    ("docker---rules/docker", "docker.io/docker---rules/docker", "docker.io",
     "docker---rules/docker", "docker---rules/docker"),
    ("doc/docker", "docker.io/doc/docker", "docker.io", "doc/docker", "doc/docker"),
    ("d/docker", "docker.io/d/docker", "docker.io", "d/docker", "d/docker"),
    ("jess/t", "docker.io/jess/t", "docker.io", "jess/t", "jess/t"),
    ("dock__er/docker", "docker.io/dock__er/docker", "docker.io", "dock__er/docker",
     "dock__er/docker"),
    ("fooo/bar", "docker.io/fooo/bar", "docker.io", "fooo/bar", "fooo/bar"),
    ("nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu",
     "nonlibrary/ubuntu"),
    ("other/library", "docker.io/other/library", "docker.io", "other/library", "other/library"),
    ("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000",
     "private/moonbase", "127.0.0.1:8000/private/moonbase"),
    ("example.com/privatebase", "example.com/privatebase", "example.com", "privatebase",
     "example.com/privatebase"),
    ("example.com:8000/private/moonbase", "example.com:8000/private/moonbase",
     "example.com:8000", "private/moonbase", "example.com:8000/private/moonbase"),
    ("ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "docker.io",
     "library/ubuntu-12.04-base", "ubuntu-12.04-base"),
    ("library/foo/bar", "docker.io/library/foo/bar", "docker.io", "library/foo/bar",
     "library/foo/bar"),
    ("store/foo/bar", "docker.io/store/foo/bar", "docker.io", "store/foo/bar", "store/foo/bar"),
    ("test.com/foo", "test.com/foo", "test.com", "foo", "test.com/foo"),
    ("test_com/foo", "docker.io/test_com/foo", "docker.io", "test_com/foo", "test_com/foo"),
    ("docker/migrator", "docker.io/docker/migrator", "docker.io", "docker/migrator",
     "docker/migrator"),
    ("test.com:8080/foo", "test.com:8080/foo", "test.com:8080", "foo", "test.com:8080/foo"),
    ("test-com:8080/foo", "test-com:8080/foo", "test-com:8080", "foo", "test-com:8080/foo"),
    ("xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo",
     "xn--n3h.com:18080/foo"),
    ("busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
     "docker.io/library/busybox:latest@sha256:"
     "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
     "docker.io", "library/busybox", "busybox"),
    # our own
    ("localhost/debian", "localhost/debian", "localhost", "debian", "localhost/debian"),
    ("foo_bar.com/x", "foo_bar.com/x", "", "foo_bar.com/x", "foo_bar.com/x"),
    ("a" * 237, "docker.io/library/" + "a" * 237, "docker.io", "library/" + "a" * 237, "a" * 237),
    ("x/" + "a" * 243, "docker.io/x/" + "a" * 243, "docker.io", "x/" + "a" * 243,
     "x/" + "a" * 243),
]


@pytest.mark.parametrize(("text", "canonical", "domain", "path", "familiar"), NORMALIZED_OK)
def test_parse_normalized_named(
    text: str, canonical: str, domain: str, path: str, familiar: str
) -> None:
    ref = v28.parse_normalized_named(text)
    assert (str(ref), ref.domain, ref.path, familiar_name(ref)) == (
        canonical, domain, path, familiar)


NORMALIZED_ERRORS = [
    # (input, error class, message)
    ("https://github.com/docker/docker", errors.ReferenceInvalidFormat, INVALID),
    ("docker/Docker", errors.RepositoryNameNotLowercase, LOWERCASE_2_8),
    ("-docker", errors.ReferenceInvalidFormat, INVALID),
    ("-docker/docker", errors.ReferenceInvalidFormat, INVALID),
    ("-docker.io/docker/docker", errors.ReferenceInvalidFormat, INVALID),
    ("docker///docker", errors.ReferenceInvalidFormat, INVALID),
    ("docker.io/docker/Docker", errors.RepositoryNameNotLowercase, LOWERCASE_2_8),
    ("docker.io/docker///docker", errors.ReferenceInvalidFormat, INVALID),
    (HEX64, errors.LooksLikeImageID,
     f"invalid repository name ({HEX64}), cannot specify 64-byte hexadecimal strings"),
    ("docker-/docker", errors.ReferenceInvalidFormat, INVALID),
    ("-docker-/docker", errors.ReferenceInvalidFormat, INVALID),
    ("____/____", errors.ReferenceInvalidFormat, INVALID),
    ("_docker/_docker", errors.ReferenceInvalidFormat, INVALID),
    ("dock..er/docker", errors.ReferenceInvalidFormat, INVALID),
    ("dock_.er/docker", errors.ReferenceInvalidFormat, INVALID),
    ("dock-.er/docker", errors.ReferenceInvalidFormat, INVALID),
    ("docker/", errors.ReferenceInvalidFormat, INVALID),
    ("_".join(["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255"] * 4)
     + "/docker", errors.NameTooLong, TOO_LONG),
    ("-foo", errors.ReferenceInvalidFormat, INVALID),
    # our own
    ("", errors.ReferenceInvalidFormat, INVALID),
    ("Foo", errors.RepositoryNameNotLowercase, LOWERCASE_2_8),
    ("UPPER/x:1", errors.RepositoryNameNotLowercase, LOWERCASE_2_8),
    ("LOCALDOMAIN/library/debian", errors.RepositoryNameNotLowercase, LOWERCASE_2_8),
    ("Localhost/x", errors.RepositoryNameNotLowercase, LOWERCASE_2_8),
    ("UPPER_CASE.com/foo", errors.NameContainsUppercase, "repository name must be lowercase"),
    ("[fc00::1]:5000/docker", errors.ReferenceInvalidFormat, INVALID),
    ("[FD00]/x", errors.RepositoryNameNotLowercase, LOWERCASE_2_8),
    ("a" * 238, errors.NameTooLong, TOO_LONG),
    ("x/" + "a" * 244, errors.NameTooLong, TOO_LONG),
    ("localhost/" + "a" * 246, errors.NameTooLong, TOO_LONG),
    ("foo@sha256:" + "F" * 64, errors.DigestInvalidFormat, "invalid checksum digest format"),
    ("foo@SHA256:" + F64, errors.RepositoryNameNotLowercase, LOWERCASE_2_8),
]


@pytest.mark.parametrize(("text", "error", "message"), NORMALIZED_ERRORS)
def test_parse_normalized_named_errors(
    text: str, error: type[errors.InvalidReference], message: str
) -> None:
    with pytest.raises(errors.InvalidReference) as info:
        v28.parse_normalized_named(text)
    assert type(info.value) is error
    assert (info.value.message, info.value.source) == (message, text)
    assert str(info.value).split("\n")[0] == message


CARETS = [
    ("UPPER/x:1", f"{LOWERCASE_2_8}\n    UPPER/x:1\n    ^^^^^^^"),
    ("localhost/Foo:1", f"{LOWERCASE_2_8}\n    localhost/Foo:1\n              ^^^"),
    ("[::1]:5000/x", f"{INVALID}\n    [::1]:5000/x\n    ^"),
    ("x/[a]", f"{INVALID}\n    x/[a]\n      ^"),
    ("x/a!", f"{INVALID}\n    x/a!\n       ^"),
]


@pytest.mark.parametrize(("text", "rendered"), CARETS)
def test_caret_under_the_part_at_fault(text: str, rendered: str) -> None:
    with pytest.raises(errors.InvalidReference) as info:
        v28.parse_normalized_named(text)
    assert str(info.value) == rendered


# --------------------------------------------------------------------------
# ParseNamed (reference_test.go · TestParseNamed)
# --------------------------------------------------------------------------

PARSE_NAMED = [
    # (input, (domain, path) or the error class)
    ("test.com/foo", ("test.com", "foo")),
    ("test:8080/foo", ("test:8080", "foo")),
    ("test_com/foo", errors.NameNotCanonical),
    ("test.com", errors.NameNotCanonical),
    ("foo", errors.NameNotCanonical),
    ("library/foo", errors.NameNotCanonical),
    ("docker.io/library/foo", ("docker.io", "library/foo")),
    ("docker.io/foo", errors.NameNotCanonical),
    # our own
    ("LOCALDOMAIN/library/debian", errors.RepositoryNameNotLowercase),
    ("[::1]:5000/x", errors.ReferenceInvalidFormat),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_NAMED)
def test_parse_named(text: str, expected: Any) -> None:
    if isinstance(expected, tuple):
        ref = v28.parse_named(text)
        assert (ref.domain, ref.path, str(ref)) == (*expected, text)
    else:
        with pytest.raises(errors.InvalidReference) as info:
            v28.parse_named(text)
        assert type(info.value) is expected


# --------------------------------------------------------------------------
# ParseAnyReference (reference_test.go · TestParseAnyReference)
# --------------------------------------------------------------------------

ANY_REFERENCE = [
    # (input, canonical string, is a digest reference)
    ("redis", "docker.io/library/redis", False),
    ("redis:latest", "docker.io/library/redis:latest", False),
    ("docker.io/library/redis:latest", "docker.io/library/redis:latest", False),
    ("redis@sha256:" + DBCC, "docker.io/library/redis@sha256:" + DBCC, False),
    ("docker.io/library/redis@sha256:" + DBCC, "docker.io/library/redis@sha256:" + DBCC, False),
    ("dmcgowan/myapp", "docker.io/dmcgowan/myapp", False),
    ("dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest", False),
    ("docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest", False),
    ("dmcgowan/myapp@sha256:" + DBCC, "docker.io/dmcgowan/myapp@sha256:" + DBCC, False),
    ("docker.io/dmcgowan/myapp@sha256:" + DBCC, "docker.io/dmcgowan/myapp@sha256:" + DBCC,
     False),
    (DBCC, "sha256:" + DBCC, True),
    ("sha256:" + DBCC, "sha256:" + DBCC, True),
    (DBCC[:-1], "docker.io/library/" + DBCC[:-1], False),
    ("dbcc1", "docker.io/library/dbcc1", False),
    # our own
    ("sha256:" + DBCC[:-1], "docker.io/library/sha256:" + DBCC[:-1], False),
    ("sha512:" + "e" * 128, "sha512:" + "e" * 128, True),
]


@pytest.mark.parametrize(("text", "canonical", "is_digest"), ANY_REFERENCE)
def test_parse_any_reference(text: str, canonical: str, is_digest: bool) -> None:
    ref = v28.parse_any_reference(text)
    assert (str(ref), isinstance(ref, DigestReference)) == (canonical, is_digest)
    if not is_digest:
        assert ref == v28.parse(canonical)


# --------------------------------------------------------------------------
# Where v2.8.1 and v0.6 differ
# --------------------------------------------------------------------------

Outcome = tuple[Any, str]


def outcome(function: Callable[[str], object], text: str) -> Outcome:
    """(the value's type, its canonical string) or (the error class, its message)."""
    try:
        value = function(text)
    except errors.InvalidReference as error:
        return type(error), error.message
    return type(value), str(value)


def ok(canonical: str) -> Outcome:
    return Reference, canonical


FUNCTIONS = {
    "parse": (v06.parse, v28.parse),
    "parse_normalized_named": (v06.parse_normalized_named, v28.parse_normalized_named),
    "parse_named": (v06.parse_named, v28.parse_named),
    "parse_any_reference": (v06.parse_any_reference, v28.parse_any_reference),
}
RNNL = errors.RepositoryNameNotLowercase

#: (why, function, input, v0.6's answer, v2.8.1's answer)
DIFFERENCES: list[tuple[str, str, str, Outcome, Outcome]] = [
    # 1. no IPv6 hosts in v2.8.1
    ("ipv6", "parse", "[2001:db8::1]/repo", ok("[2001:db8::1]/repo"),
     (errors.ReferenceInvalidFormat, INVALID)),
    ("ipv6", "parse", "[::1]:5000/repo:tag@" + D64, ok("[::1]:5000/repo:tag@" + D64),
     (errors.ReferenceInvalidFormat, INVALID)),
    ("ipv6", "parse_any_reference", "[::1]:5000/x", ok("[::1]:5000/x"),
     (errors.ReferenceInvalidFormat, INVALID)),
    ("ipv6", "parse_normalized_named", "[fc00::1]:5000/docker", ok("[fc00::1]:5000/docker"),
     (errors.ReferenceInvalidFormat, INVALID)),
    ("ipv6", "parse_named", "[fc00::1]:5000/docker", ok("[fc00::1]:5000/docker"),
     (errors.ReferenceInvalidFormat, INVALID)),
    ("ipv6, then lowercase", "parse_any_reference", "[FD00]/x", ok("[FD00]/x"),
     (RNNL, LOWERCASE_2_8)),
    ("ipv6, uppercase", "parse", "[::1]/FOO",
     (errors.NameContainsUppercase, "repository name must be lowercase"),
     (errors.ReferenceInvalidFormat, INVALID)),
    ("ipv6, digest second", "parse_any_reference", "[::1]:5000/x@sha256:" + "F" * 64,
     (errors.DigestInvalidFormat, "invalid checksum digest format"),
     (errors.ReferenceInvalidFormat, INVALID)),
    # 2. the 255 limit counts the domain
    ("length", "parse", "a/" * 128 + "a:tag", ok("a/" * 128 + "a:tag"),
     (errors.NameTooLong, TOO_LONG)),
    ("length", "parse", "example.com/" + "a" * 244, ok("example.com/" + "a" * 244),
     (errors.NameTooLong, TOO_LONG)),
    ("length", "parse_any_reference", "a" * 238, ok("docker.io/library/" + "a" * 238),
     (errors.NameTooLong, TOO_LONG)),
    ("length", "parse_any_reference", "a" * 247 + ":1", ok("docker.io/library/" + "a" * 247 + ":1"),
     (errors.NameTooLong, TOO_LONG)),
    ("length", "parse_any_reference", "x/" + "a" * 244, ok("docker.io/x/" + "a" * 244),
     (errors.NameTooLong, TOO_LONG)),
    ("length", "parse_any_reference", "localhost/" + "a" * 246, ok("localhost/" + "a" * 246),
     (errors.NameTooLong, TOO_LONG)),
    ("length", "parse_named", "docker.io/library/" + "a" * 238,
     ok("docker.io/library/" + "a" * 238), (errors.NameTooLong, TOO_LONG)),
    ("length, digest second", "parse_any_reference", "a" * 238 + "@sha256:" + "F" * 64,
     (errors.DigestInvalidFormat, "invalid checksum digest format"),
     (errors.NameTooLong, TOO_LONG)),
    ("length, digest second", "parse_any_reference", "a" * 238 + "@md5:" + "f" * 32,
     (errors.DigestUnsupported, "unsupported digest algorithm"),
     (errors.NameTooLong, TOO_LONG)),
    # 3. an uppercase first component is no domain in v2.8.1
    ("uppercase domain", "parse_any_reference", "UPPER/x:1", ok("UPPER/x:1"),
     (RNNL, LOWERCASE_2_8)),
    ("uppercase domain", "parse_normalized_named", "Docker/docker", ok("Docker/docker"),
     (RNNL, LOWERCASE_2_8)),
    ("uppercase domain", "parse_named", "LOCALDOMAIN/library/debian",
     ok("LOCALDOMAIN/library/debian"), (RNNL, LOWERCASE_2_8)),
    ("uppercase domain", "parse_any_reference", "Localhost/x", ok("Localhost/x"),
     (RNNL, LOWERCASE_2_8)),
    ("uppercase domain", "parse_any_reference", "UPPER_CASE/foo",
     (errors.NameContainsUppercase, "repository name must be lowercase"),
     (RNNL, LOWERCASE_2_8)),
    ("uppercase domain", "parse_any_reference", "Foo_/x",
     (errors.ReferenceInvalidFormat, INVALID), (RNNL, LOWERCASE_2_8)),
    ("uppercase domain", "parse_any_reference", "\u0130/x",
     (errors.NameContainsUppercase, "repository name must be lowercase"),
     (RNNL, LOWERCASE_2_8)),
    # 4. the lowercase message names no repository in v2.8.1
    ("message", "parse_any_reference", "Foo",
     (RNNL, "invalid reference format: repository name (library/Foo) must be lowercase"),
     (RNNL, LOWERCASE_2_8)),
    ("message", "parse_any_reference", "docker/Docker:1",
     (RNNL, "invalid reference format: repository name (docker/Docker) must be lowercase"),
     (RNNL, LOWERCASE_2_8)),
    ("message", "parse_any_reference", "localhost/Foo:1",
     (RNNL, "invalid reference format: repository name (Foo) must be lowercase"),
     (RNNL, LOWERCASE_2_8)),
    ("message", "parse_any_reference", "foo@SHA256:" + F64,
     (RNNL, "invalid reference format: repository name (library/foo@SHA256) must be lowercase"),
     (RNNL, LOWERCASE_2_8)),
    ("message", "parse_any_reference", "F" * 64,
     (RNNL, f"invalid reference format: repository name (library/{'F' * 64}) must be lowercase"),
     (RNNL, LOWERCASE_2_8)),
    ("message", "parse_normalized_named", "[::1]/FOO",
     (RNNL, "invalid reference format: repository name (FOO) must be lowercase"),
     (RNNL, LOWERCASE_2_8)),
]


@pytest.mark.parametrize(
    ("function", "text", "old", "new"),
    [pytest.param(*row[1:], id=f"{row[0]}: {row[2][:40]}") for row in DIFFERENCES],
)
def test_where_the_versions_differ(function: str, text: str, old: Outcome, new: Outcome) -> None:
    modern, engine_20_10 = FUNCTIONS[function]
    assert old != new
    assert outcome(modern, text) == old
    assert outcome(engine_20_10, text) == new


#: Boundaries and look-alikes on which both versions answer the same.
AGREEMENTS: list[tuple[str, str, Outcome]] = [
    ("parse_any_reference", "a" * 237, ok("docker.io/library/" + "a" * 237)),
    ("parse_any_reference", "x/" + "a" * 243, ok("docker.io/x/" + "a" * 243)),
    ("parse_any_reference", "localhost/" + "a" * 245, ok("localhost/" + "a" * 245)),
    ("parse", "example.com/" + "a" * 243, ok("example.com/" + "a" * 243)),
    ("parse_any_reference", "UPPER.example.com/x", ok("UPPER.example.com/x")),
    ("parse_any_reference", "UPPER:5000/x", ok("UPPER:5000/x")),
    ("parse_any_reference", "x:UPPER", ok("docker.io/library/x:UPPER")),
    ("parse_any_reference", "UPPER_CASE.com/foo",
     (errors.NameContainsUppercase, "repository name must be lowercase")),
    ("parse_any_reference", HEX64, (DigestReference, "sha256:" + HEX64)),
    ("parse_normalized_named", HEX64,
     (errors.LooksLikeImageID,
      f"invalid repository name ({HEX64}), cannot specify 64-byte hexadecimal strings")),
    ("parse_any_reference", "sha256:" + "F" * 64,
     ok("docker.io/library/sha256:" + "F" * 64)),
    ("parse_any_reference", "x@sha256:" + F64[:-1],
     (errors.DigestInvalidLength, "invalid checksum digest length")),
    ("parse_any_reference", "a" * 300, (errors.NameTooLong, TOO_LONG)),
    ("parse_any_reference", "a." * 10, (errors.ReferenceInvalidFormat, INVALID)),
    ("parse_any_reference", "x\n", (errors.ReferenceInvalidFormat, INVALID)),
    ("parse_any_reference", "", (errors.ReferenceInvalidFormat, INVALID)),
    ("parse", "", (errors.NameEmpty, "repository name must have at least one component")),
]


@pytest.mark.parametrize(("function", "text", "expected"), AGREEMENTS)
def test_where_the_versions_agree(function: str, text: str, expected: Outcome) -> None:
    modern, engine_20_10 = FUNCTIONS[function]
    assert outcome(modern, text) == outcome(engine_20_10, text) == expected


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

ANY_TEXT = st.one_of(
    drs.reference_like_text(),
    drs.reference_strings(),
    drs.invalid_reference_strings(),
    drs.familiar_strings(),
)
PAIRS = list(FUNCTIONS.items())


def _uppercase_first_component(text: str) -> bool:
    """v0.6 takes the first component for a domain; v2.8.1 does not."""
    slash = text.find("/")
    if slash < 0:
        return False
    first = text[:slash]
    return (
        "." not in first
        and ":" not in first
        and first != "localhost"
        and _grammar.go_lower(first) != first
    )


@pytest.mark.parametrize(("name", "pair"), PAIRS, ids=[name for name, _ in PAIRS])
@MANY
@given(text=ANY_TEXT)
def test_any_text_gives_a_value_or_invalid_reference(
    name: str, pair: tuple[Callable[[str], object], Callable[[str], object]], text: str
) -> None:
    try:
        result = pair[1](text)
    except errors.InvalidReference as error:
        rendered = str(error)
        assert rendered == error.message or rendered.startswith(error.message + "\n    ")
        assert error.source == text
        assert error.span is None or 0 <= error.span[0] <= error.span[1] <= max(len(text), 1)
    else:
        assert isinstance(result, (Reference, DigestReference))


@pytest.mark.parametrize(("name", "pair"), PAIRS, ids=[name for name, _ in PAIRS])
@MANY
@given(text=ANY_TEXT)
def test_what_v2_8_accepts_v0_6_accepts_with_the_same_value(
    name: str, pair: tuple[Callable[[str], object], Callable[[str], object]], text: str
) -> None:
    try:
        new = pair[1](text)
    except errors.InvalidReference:
        return
    assert pair[0](text) == new


@pytest.mark.parametrize(("name", "pair"), PAIRS, ids=[name for name, _ in PAIRS])
@MANY
@given(text=ANY_TEXT.filter(lambda t: len(t) <= 237 and "[" not in t))
def test_off_the_differences_both_answer_the_same(
    name: str, pair: tuple[Callable[[str], object], Callable[[str], object]], text: str
) -> None:
    # Short enough that no name reaches 255 even with docker.io/library/,
    # no IPv6 host: the answers are equal, but for the lowercase message.
    old = outcome(pair[0], text)
    new = outcome(pair[1], text)
    if (name != "parse" and _uppercase_first_component(text)) or old[0] is RNNL:
        assert new == (RNNL, LOWERCASE_2_8)
    else:
        assert new == old


@pytest.mark.parametrize(("name", "pair"), PAIRS, ids=[name for name, _ in PAIRS])
@MANY
@given(text=ANY_TEXT)
def test_v0_6_lowercase_errors_are_v2_8_lowercase_errors(
    name: str, pair: tuple[Callable[[str], object], Callable[[str], object]], text: str
) -> None:
    if outcome(pair[0], text)[0] is RNNL:
        assert outcome(pair[1], text) == (RNNL, LOWERCASE_2_8)


@MANY
@given(text=drs.reference_strings().filter(lambda t: "[" in t))
def test_ipv6_hosts_are_invalid(text: str) -> None:
    assert isinstance(v06.parse(text), Reference)
    assert outcome(v28.parse, text) == (errors.ReferenceInvalidFormat, INVALID)
    for name in ("parse_normalized_named", "parse_named", "parse_any_reference"):
        # the lowercase check comes first: [FD00]/x has no ":" before its "/"
        assert outcome(FUNCTIONS[name][1], text) in [
            (errors.ReferenceInvalidFormat, INVALID),
            (RNNL, LOWERCASE_2_8),
        ]


_NO_IPV6_DOMAINS = drs.domains().filter(lambda d: "[" not in d)


@MANY
@given(domain=_NO_IPV6_DOMAINS, component=drs.path_components(), size=st.integers(0, 300))
def test_the_255_limit_counts_the_domain(domain: str, component: str, size: int) -> None:
    path = component + "a" * size
    text = f"{domain}/{path}"
    old, new = outcome(v06.parse, text), outcome(v28.parse, text)
    assert old == ((errors.NameTooLong, TOO_LONG) if len(path) > 255 else ok(text))
    assert new == ((errors.NameTooLong, TOO_LONG) if len(text) > 255 else ok(text))


@MANY
@given(component=drs.path_components(), size=st.integers(150, 300),
       tag=st.one_of(st.none(), drs.tags()))
def test_an_official_name_is_too_long_from_238(component: str, size: int, tag: str | None) -> None:
    name = component + "a" * size
    text = name if tag is None else f"{name}:{tag}"
    canonical = "docker.io/library/" + text
    # v0.6 counts library/ + name, v2.8.1 docker.io/library/ + name
    assert outcome(v06.parse_any_reference, text) == (
        (errors.NameTooLong, TOO_LONG) if len(name) > 247 else ok(canonical))
    assert outcome(v28.parse_any_reference, text) == (
        (errors.NameTooLong, TOO_LONG) if len(name) > 237 else ok(canonical))


_UPPER_LABEL = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?", fullmatch=True)


@MANY
@given(first=_UPPER_LABEL.filter(lambda f: f.lower() != f), path=drs.paths(100),
       tag=st.one_of(st.none(), drs.tags()))
def test_an_uppercase_first_component_is_no_domain(first: str, path: str, tag: str | None) -> None:
    text = f"{first}/{path}" + ("" if tag is None else f":{tag}")
    assert outcome(v06.parse_any_reference, text) == ok(text)
    for name in ("parse_normalized_named", "parse_named", "parse_any_reference"):
        assert outcome(FUNCTIONS[name][1], text) == (RNNL, LOWERCASE_2_8)
