"""Vector tables for dockermodel.reference.

The rows restate, in our own tables, the cases of distribution/reference
v0.6.0's tests (reference_test.go, normalize_test.go, sort_test.go) plus the
tricky cases of our own (docs/reference.md). Each row is the answer the Go
package gives, except the sha384/sha512 rows, where we follow a real
``dockerd`` (which registers them) rather than the sha256-only upstream test
binary (docs/reference.md).
"""

from __future__ import annotations

import pickle

import pytest

from dockermodel import errors
from dockermodel.digest import Digest
from dockermodel.reference import (
    DigestReference,
    Reference,
    cached_parse_any_reference,
    cached_parse_normalized_named,
    familiar_match,
    familiar_name,
    familiar_string,
    is_name_only,
    parse,
    parse_any_reference,
    parse_docker_ref,
    parse_named,
    parse_normalized_named,
    sort_references,
    tag_name_only,
    trim_named,
    with_digest,
    with_name,
    with_tag,
)

F64 = "f" * 64
D64 = "sha256:" + F64
DBCC = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
HEX64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
SHORT_DIGEST = "sha256:1234567890098765432112345667890098765"  # 37 hex: grammar only

# --------------------------------------------------------------------------
# parse (raw grammar): input -> (domain, path, tag, digest)
# --------------------------------------------------------------------------

PARSE_OK = [
    ("test_com", "", "test_com", None, None),
    ("test.com:tag", "", "test.com", "tag", None),
    ("test.com:5000", "", "test.com", "5000", None),
    ("test.com/repo:tag", "test.com", "repo", "tag", None),
    ("test:5000/repo", "test:5000", "repo", None, None),
    ("test:5000/repo:tag", "test:5000", "repo", "tag", None),
    ("test:5000/repo@" + D64, "test:5000", "repo", None, D64),
    ("test:5000/repo:tag@" + D64, "test:5000", "repo", "tag", D64),
    ("lowercase:Uppercase", "", "lowercase", "Uppercase", None),
    ("a/" * 127 + "a:tag-puts-this-over-max", "a", "a/" * 126 + "a", "tag-puts-this-over-max",
     None),
    ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", None, None),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
     "some-long-tag", None),
    ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
     "test.example.com", None),
    ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", None),
    ("xn--7o8h.com/myimage:xn--7o8h.com@" + D64, "xn--7o8h.com", "myimage", "xn--7o8h.com", D64),
    ("foo_bar.com:8080", "", "foo_bar.com", "8080", None),
    ("foo/foo_bar.com:8080", "foo", "foo_bar.com", "8080", None),
    ("192.168.1.1", "", "192.168.1.1", None, None),
    ("192.168.1.1:tag", "", "192.168.1.1", "tag", None),
    ("192.168.1.1:5000", "", "192.168.1.1", "5000", None),
    ("192.168.1.1/repo", "192.168.1.1", "repo", None, None),
    ("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", None, None),
    ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", None),
    ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None),
    ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", None),
    ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", None, None),
    ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", None),
    ("[2001:db8::1]:5000/repo@" + D64, "[2001:db8::1]:5000", "repo", None, D64),
    ("[2001:db8::1]:5000/repo:tag@" + D64, "[2001:db8::1]:5000", "repo", "tag", D64),
    ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", None, None),
    ("[::1]:5000/repo", "[::1]:5000", "repo", None, None),
    ("example.com/" + "a" * 255 + ":tag", "example.com", "a" * 255, "tag", None),
    # tricky cases: domains and paths
    ("foo/bar", "foo", "bar", None, None),
    ("a/a/a", "a", "a/a", None, None),
    ("Foo/bar", "Foo", "bar", None, None),
    ("test_com/foo", "", "test_com/foo", None, None),
    ("localhost:5000", "", "localhost", "5000", None),
    ("example.com:0/x", "example.com:0", "x", None, None),
    ("192.168.1.1:75050/x", "192.168.1.1:75050", "x", None, None),
    ("[fd00123123123]/x", "[fd00123123123]", "x", None, None),
    ("[::::]/x", "[::::]", "x", None, None),
    ("sha256:" + F64, "", "sha256", F64, None),
    ("a__b/c---d/e.f_g", "", "a__b/c---d/e.f_g", None, None),
    ("x:_tag", "", "x", "_tag", None),
    ("x:" + "T" * 128, "", "x", "T" * 128, None),
    ("UPPER.example.com/x", "UPPER.example.com", "x", None, None),
    ("1.2.3.4/x", "1.2.3.4", "x", None, None),
    ("a" * 300 + ".com/x", "a" * 300 + ".com", "x", None, None),
    ("x@sha384:" + "b" * 96, "", "x", None, "sha384:" + "b" * 96),
    ("x@sha512:" + "c" * 128, "", "x", None, "sha512:" + "c" * 128),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), PARSE_OK)
def test_parse(text: str, domain: str, path: str, tag: str | None, digest: str | None) -> None:
    ref = parse(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert ref.name == (f"{domain}/{path}" if domain else path)
    assert str(ref) == text


PARSE_ERRORS = [
    ("", errors.NameEmpty),
    (":justtag", errors.ReferenceInvalidFormat),
    ("@" + D64, errors.ReferenceInvalidFormat),
    ("repo@sha256:" + "f" * 34, errors.DigestInvalidLength),
    ("validname@invaliddigest:" + F64, errors.DigestUnsupported),
    ("Uppercase:tag", errors.NameContainsUppercase),
    ("test:5000/Uppercase/lowercase:tag", errors.NameContainsUppercase),
    ("domain/" + "a" * 256 + ":tag", errors.NameTooLong),
    ("aa/asdf$$^/aa", errors.ReferenceInvalidFormat),
    ("[2001:db8::1]", errors.ReferenceInvalidFormat),
    ("[2001:db8::1]:5000", errors.ReferenceInvalidFormat),
    ("[2001:db8::1]:tag", errors.ReferenceInvalidFormat),
    ("[fe80::1%eth0]:5000/repo", errors.ReferenceInvalidFormat),
    ("[fe80::1%@invalidzone]:5000/repo", errors.ReferenceInvalidFormat),
    # tricky cases
    ("FOO", errors.NameContainsUppercase),
    ("foo/Bar", errors.NameContainsUppercase),
    ("foo:BAR~", errors.ReferenceInvalidFormat),
    ("foo\n", errors.ReferenceInvalidFormat),
    ("a//b", errors.ReferenceInvalidFormat),
    ("a/", errors.ReferenceInvalidFormat),
    ("a..b", errors.ReferenceInvalidFormat),
    ("a._b", errors.ReferenceInvalidFormat),
    ("a-.b", errors.ReferenceInvalidFormat),
    ("a___b", errors.ReferenceInvalidFormat),
    ("-a", errors.ReferenceInvalidFormat),
    ("a-", errors.ReferenceInvalidFormat),
    ("x:.tag", errors.ReferenceInvalidFormat),
    ("x:-tag", errors.ReferenceInvalidFormat),
    ("x:" + "t" * 129, errors.ReferenceInvalidFormat),
    ("x:tág", errors.ReferenceInvalidFormat),
    ("x@sha256:" + "F" * 64, errors.DigestInvalidFormat),
    ("x@SHA256:" + F64, errors.DigestInvalidFormat),
    ("x@sha256:" + "f" * 31, errors.ReferenceInvalidFormat),
    ("x@sha256:" + "f" * 63, errors.DigestInvalidLength),
    ("x@md5:" + "f" * 32, errors.DigestUnsupported),
    ("x@sha384:" + "b" * 64, errors.DigestInvalidLength),
    ("-docker.io/x", errors.ReferenceInvalidFormat),
    ("[::ffff:1.2.3.4]/x", errors.ReferenceInvalidFormat),
    ("::1/x", errors.ReferenceInvalidFormat),
    ("a" * 256, errors.NameTooLong),
    ("aaa/" + "A" * 256, errors.NameContainsUppercase),
    ("\u0130mage", errors.NameContainsUppercase),  # Go lowercases U+0130 to "i"
    ("\u212amage", errors.NameContainsUppercase),  # KELVIN SIGN lowercases to "k"
    ("ımage", errors.ReferenceInvalidFormat),
    ("ａ", errors.ReferenceInvalidFormat),
    ("x:１", errors.ReferenceInvalidFormat),
]


@pytest.mark.parametrize(("text", "error"), PARSE_ERRORS)
def test_parse_errors(text: str, error: type[errors.InvalidReference]) -> None:
    with pytest.raises(error) as info:
        parse(text)
    assert type(info.value) is error
    assert str(info.value).split("\n")[0] == error.default_message
    assert info.value.source == text


def test_uppercase_error_is_not_invalid_format() -> None:
    with pytest.raises(errors.InvalidReference) as info:
        parse("Uppercase:tag")
    assert not isinstance(info.value, errors.ReferenceInvalidFormat)


# --------------------------------------------------------------------------
# Caret rendering
# --------------------------------------------------------------------------

CARETS = [
    (parse, "aa/asdf$$^/aa", "invalid reference format\n    aa/asdf$$^/aa\n           ^"),
    (parse, "foo/Bar:tag", "repository name must be lowercase\n    foo/Bar:tag\n        ^^^"),
    (parse, "x:.tag", "invalid reference format\n    x:.tag\n      ^^^^"),
    (parse, "a//b", "invalid reference format\n    a//b\n      ^"),
    (parse, "x@sha256:abcd", "invalid reference format\n    x@sha256:abcd\n      ^^^^^^^^^^^"),
    (
        parse,
        "x@md5:" + "f" * 32,
        "unsupported digest algorithm\n    x@md5:" + "f" * 32 + "\n      ^^^",
    ),
    (parse, "", "repository name must have at least one component\n    \n    ^"),
    (
        parse_normalized_named,
        "Foo:bar",
        "invalid reference format: repository name (library/Foo) must be lowercase\n"
        "    Foo:bar\n    ^^^",
    ),
    (
        parse_normalized_named,
        "x/" + "y!",
        "invalid reference format\n    x/y!\n       ^",
    ),
    (parse_named, "foo", "repository name must be canonical\n    foo\n    ^^^"),
]


@pytest.mark.parametrize(("function", "text", "rendered"), CARETS)
def test_caret_rendering(function: object, text: str, rendered: str) -> None:
    assert callable(function)
    with pytest.raises(errors.InvalidReference) as info:
        function(text)
    assert str(info.value) == rendered


# --------------------------------------------------------------------------
# parse_normalized_named
# --------------------------------------------------------------------------

NORMALIZED_OK = [
    # (input, canonical, domain, path, familiar name)
    ("docker/docker", "docker.io/docker/docker", "docker.io", "docker/docker", "docker/docker"),
    ("library/debian", "docker.io/library/debian", "docker.io", "library/debian", "debian"),
    ("debian", "docker.io/library/debian", "docker.io", "library/debian", "debian"),
    ("localhost/library/debian", "localhost/library/debian", "localhost", "library/debian",
     "localhost/library/debian"),
    ("localhost/debian", "localhost/debian", "localhost", "debian", "localhost/debian"),
    ("LOCALDOMAIN/library/debian", "LOCALDOMAIN/library/debian", "LOCALDOMAIN", "library/debian",
     "LOCALDOMAIN/library/debian"),
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
    ("127.0.0.1:5000/debian", "127.0.0.1:5000/debian", "127.0.0.1:5000", "debian",
     "127.0.0.1:5000/debian"),
    ("192.168.0.1", "docker.io/library/192.168.0.1", "docker.io", "library/192.168.0.1",
     "192.168.0.1"),
    ("192.168.0.1:80", "docker.io/library/192.168.0.1:80", "docker.io", "library/192.168.0.1",
     "192.168.0.1"),
    ("192.168.0.1:8/debian", "192.168.0.1:8/debian", "192.168.0.1:8", "debian",
     "192.168.0.1:8/debian"),
    ("[fc00::1]:5000/docker", "[fc00::1]:5000/docker", "[fc00::1]:5000", "docker",
     "[fc00::1]:5000/docker"),
    ("[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
     "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian"),
    ("docker.io/" + HEX64, "docker.io/library/" + HEX64, "docker.io", "library/" + HEX64, HEX64),
    ("Docker/docker", "Docker/docker", "Docker", "docker", "Docker/docker"),
    ("DOCKER/docker", "DOCKER/docker", "DOCKER", "docker", "DOCKER/docker"),
    ("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "docker.io", "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"),
    ("docker-rules/docker", "docker.io/docker-rules/docker", "docker.io", "docker-rules/docker",
     "docker-rules/docker"),
    ("docker---rules/docker", "docker.io/docker---rules/docker", "docker.io",
     "docker---rules/docker", "docker---rules/docker"),
    ("d/docker", "docker.io/d/docker", "docker.io", "d/docker", "d/docker"),
    ("jess/t", "docker.io/jess/t", "docker.io", "jess/t", "jess/t"),
    ("dock__er/docker", "docker.io/dock__er/docker", "docker.io", "dock__er/docker",
     "dock__er/docker"),
    ("test_com/foo", "docker.io/test_com/foo", "docker.io", "test_com/foo", "test_com/foo"),
    ("docker/migrator", "docker.io/docker/migrator", "docker.io", "docker/migrator",
     "docker/migrator"),
    ("test.com:8080/foo", "test.com:8080/foo", "test.com:8080", "foo", "test.com:8080/foo"),
    ("test-com:8080/foo", "test-com:8080/foo", "test-com:8080", "foo", "test-com:8080/foo"),
    ("xn--n3h.com/foo", "xn--n3h.com/foo", "xn--n3h.com", "foo", "xn--n3h.com/foo"),
    ("xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo",
     "xn--n3h.com:18080/foo"),
    ("docker.io/library/foo/bar", "docker.io/library/foo/bar", "docker.io", "library/foo/bar",
     "library/foo/bar"),
    ("nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu",
     "nonlibrary/ubuntu"),
    ("other/library", "docker.io/other/library", "docker.io", "other/library", "other/library"),
    ("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000",
     "private/moonbase", "127.0.0.1:8000/private/moonbase"),
    ("example.com/privatebase", "example.com/privatebase", "example.com", "privatebase",
     "example.com/privatebase"),
    ("example.com:8000/private/moonbase", "example.com:8000/private/moonbase", "example.com:8000",
     "private/moonbase", "example.com:8000/private/moonbase"),
    ("ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "docker.io",
     "library/ubuntu-12.04-base", "ubuntu-12.04-base"),
    ("store/foo/bar", "docker.io/store/foo/bar", "docker.io", "store/foo/bar", "store/foo/bar"),
    ("Foo/bar", "Foo/bar", "Foo", "bar", "Foo/bar"),
    ("FOO/bar", "FOO/bar", "FOO", "bar", "FOO/bar"),
    # tricky cases: tags and digests
    ("localhost", "docker.io/library/localhost", "docker.io", "library/localhost", "localhost"),
    ("example.com", "docker.io/library/example.com", "docker.io", "library/example.com",
     "example.com"),
    ("docker.io", "docker.io/library/docker.io", "docker.io", "library/docker.io", "docker.io"),
    ("localhost:5000", "docker.io/library/localhost:5000", "docker.io", "library/localhost",
     "localhost"),
    ("foo_bar.com/x", "foo_bar.com/x", "", "foo_bar.com/x", "foo_bar.com/x"),
    ("example.com/library/foo", "example.com/library/foo", "example.com", "library/foo",
     "example.com/library/foo"),
    ("registry-1.docker.io/foo", "registry-1.docker.io/foo", "registry-1.docker.io", "foo",
     "registry-1.docker.io/foo"),
    ("INDEX.DOCKER.IO/foo", "INDEX.DOCKER.IO/foo", "INDEX.DOCKER.IO", "foo",
     "INDEX.DOCKER.IO/foo"),
    ("Localhost/x", "Localhost/x", "Localhost", "x", "Localhost/x"),
    (HEX64 + ":tag", "docker.io/library/" + HEX64 + ":tag", "docker.io", "library/" + HEX64,
     HEX64),
    (HEX64[:63], "docker.io/library/" + HEX64[:63], "docker.io", "library/" + HEX64[:63],
     HEX64[:63]),
    (HEX64 + "a", "docker.io/library/" + HEX64 + "a", "docker.io", "library/" + HEX64 + "a",
     HEX64 + "a"),
    ("foo:UPPER", "docker.io/library/foo:UPPER", "docker.io", "library/foo", "foo"),
    ("gcr.io/library/busybox", "gcr.io/library/busybox", "gcr.io", "library/busybox",
     "gcr.io/library/busybox"),
]


@pytest.mark.parametrize(("text", "canonical", "domain", "path", "familiar"), NORMALIZED_OK)
def test_parse_normalized_named(
    text: str, canonical: str, domain: str, path: str, familiar: str
) -> None:
    ref = parse_normalized_named(text)
    assert (str(ref), ref.domain, ref.path) == (canonical, domain, path)
    assert familiar_name(ref) == ref.familiar_name == familiar


NORMALIZED_ERRORS = [
    # (input, error class, exact first line)
    ("https://github.com/docker/docker", errors.ReferenceInvalidFormat,
     "invalid reference format"),
    ("docker/Docker", errors.RepositoryNameNotLowercase,
     "invalid reference format: repository name (docker/Docker) must be lowercase"),
    ("-docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("-docker/docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("-docker.io/docker/docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("docker///docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("docker.io/docker/Docker", errors.RepositoryNameNotLowercase,
     "invalid reference format: repository name (docker/Docker) must be lowercase"),
    ("docker.io/docker///docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("[fc00::1]", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("[fc00::1]:5000", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("fc00::1:5000/debian", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("[fe80::1%eth0]:5000/debian", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("[2001:db8:3:4::192.0.2.33]:5000/debian", errors.ReferenceInvalidFormat,
     "invalid reference format"),
    (HEX64, errors.LooksLikeImageID,
     f"invalid repository name ({HEX64}), cannot specify 64-byte hexadecimal strings"),
    ("docker-/docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("-docker-/docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("____/____", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("_docker/_docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("dock..er/docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("dock_.er/docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("dock-.er/docker", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("docker/", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_" * 3
     + "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
     errors.NameTooLong, "repository name must not be more than 255 characters"),
    ("-foo", errors.ReferenceInvalidFormat, "invalid reference format"),
    # tricky cases: tags and digests
    ("", errors.ReferenceInvalidFormat, "invalid reference format"),
    ("Foo", errors.RepositoryNameNotLowercase,
     "invalid reference format: repository name (library/Foo) must be lowercase"),
    ("Foo:Bar", errors.RepositoryNameNotLowercase,
     "invalid reference format: repository name (library/Foo) must be lowercase"),
    ("foo@SHA256:" + F64, errors.RepositoryNameNotLowercase,
     "invalid reference format: repository name (library/foo@SHA256) must be lowercase"),
    ("UPPER_CASE/foo", errors.NameContainsUppercase, "repository name must be lowercase"),
    ("foo:bar/baz", errors.ReferenceInvalidFormat, "invalid reference format"),
    (HEX64.upper(), errors.RepositoryNameNotLowercase,
     f"invalid reference format: repository name (library/{HEX64.upper()}) must be lowercase"),
    ("busybox@sha256:" + "e" * 63, errors.DigestInvalidLength, "invalid checksum digest length"),
    ("busybox@foo:" + "e" * 64, errors.DigestUnsupported, "unsupported digest algorithm"),
]


@pytest.mark.parametrize(("text", "error", "message"), NORMALIZED_ERRORS)
def test_parse_normalized_named_errors(
    text: str, error: type[errors.InvalidReference], message: str
) -> None:
    with pytest.raises(error) as info:
        parse_normalized_named(text)
    assert type(info.value) is error
    assert info.value.message == message
    assert str(info.value).split("\n")[0] == message
    assert info.value.source == text


def test_tag_and_digest_together() -> None:
    short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
    ref = parse_normalized_named(short)
    assert str(ref) == "docker.io/library/" + short
    assert ref.tag == "latest"
    assert ref.digest == "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
    assert familiar_string(ref) == ref.familiar == short


# --------------------------------------------------------------------------
# parse_named
# --------------------------------------------------------------------------

PARSE_NAMED = [
    ("test.com/foo", "test.com", "foo", None),
    ("test:8080/foo", "test:8080", "foo", None),
    ("docker.io/library/foo", "docker.io", "library/foo", None),
    ("test_com/foo", None, None, errors.NameNotCanonical),
    ("test.com", None, None, errors.NameNotCanonical),
    ("foo", None, None, errors.NameNotCanonical),
    ("library/foo", None, None, errors.NameNotCanonical),
    ("docker.io/foo", None, None, errors.NameNotCanonical),
    ("index.docker.io/library/foo", None, None, errors.NameNotCanonical),
    ("docker.io/library/Foo", None, None, errors.RepositoryNameNotLowercase),
]


@pytest.mark.parametrize(("text", "domain", "path", "error"), PARSE_NAMED)
def test_parse_named(
    text: str, domain: str | None, path: str | None, error: type[Exception] | None
) -> None:
    if error is not None:
        with pytest.raises(error) as info:
            parse_named(text)
        assert type(info.value) is error
        return
    ref = parse_named(text)
    assert (ref.domain, ref.path, str(ref)) == (domain, path, text)


# --------------------------------------------------------------------------
# parse_any_reference
# --------------------------------------------------------------------------

ANY_REFERENCE = [
    # (input, canonical string, is digest-only)
    ("redis", "docker.io/library/redis", False),
    ("redis:latest", "docker.io/library/redis:latest", False),
    ("docker.io/library/redis:latest", "docker.io/library/redis:latest", False),
    ("redis@sha256:" + DBCC, "docker.io/library/redis@sha256:" + DBCC, False),
    ("docker.io/library/redis@sha256:" + DBCC, "docker.io/library/redis@sha256:" + DBCC, False),
    ("dmcgowan/myapp", "docker.io/dmcgowan/myapp", False),
    ("dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest", False),
    ("docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest", False),
    ("dmcgowan/myapp@sha256:" + DBCC, "docker.io/dmcgowan/myapp@sha256:" + DBCC, False),
    (DBCC, "sha256:" + DBCC, True),
    ("sha256:" + DBCC, "sha256:" + DBCC, True),
    (DBCC[:63], "docker.io/library/" + DBCC[:63], False),
    ("dbcc1", "docker.io/library/dbcc1", False),
    # Not valid digests: parsed as name + tag.
    ("sha256:" + DBCC[:63], "docker.io/library/sha256:" + DBCC[:63], False),
    ("md5:" + "a" * 32, "docker.io/library/md5:" + "a" * 32, False),
    # sha384 / sha512 are registered, as in dockerd (upstream's test binary: name + tag).
    ("sha512:" + "a" * 128, "sha512:" + "a" * 128, True),
    ("sha384:" + "a" * 96, "sha384:" + "a" * 96, True),
]


@pytest.mark.parametrize(("text", "canonical", "digest_only"), ANY_REFERENCE)
def test_parse_any_reference(text: str, canonical: str, digest_only: bool) -> None:
    ref = parse_any_reference(text)
    assert str(ref) == canonical
    assert isinstance(ref, DigestReference) is digest_only
    if digest_only:
        assert ref == DigestReference(canonical)
        assert not hasattr(ref, "name")
    else:
        assert ref == parse(canonical)


def test_parse_any_reference_uppercase_id() -> None:
    with pytest.raises(errors.RepositoryNameNotLowercase):
        parse_any_reference(DBCC.upper())


# --------------------------------------------------------------------------
# parse_docker_ref
# --------------------------------------------------------------------------

E69 = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"
DOCKER_REF = [
    ("busybox", "docker.io/library/busybox:latest"),
    ("busybox:latest", "docker.io/library/busybox:latest"),
    ("busybox@" + E69, "docker.io/library/busybox@" + E69),
    ("library/busybox", "docker.io/library/busybox:latest"),
    ("docker.io/busybox", "docker.io/library/busybox:latest"),
    ("docker.io/library/busybox", "docker.io/library/busybox:latest"),
    ("docker.io/busybox:latest", "docker.io/library/busybox:latest"),
    ("library/busybox:latest", "docker.io/library/busybox:latest"),
    ("docker.io/library/busybox:latest", "docker.io/library/busybox:latest"),
    ("gcr.io/library/busybox", "gcr.io/library/busybox:latest"),
    ("gcr.io/library/busybox:latest@" + E69, "gcr.io/library/busybox@" + E69),
    ("busybox:latest@" + E69, "docker.io/library/busybox@" + E69),
]


@pytest.mark.parametrize(("text", "expected"), DOCKER_REF)
def test_parse_docker_ref(text: str, expected: str) -> None:
    ref = parse_docker_ref(text)
    assert str(ref) == expected
    assert parse(expected) == ref


# --------------------------------------------------------------------------
# with_name / with_tag / with_digest / trim_named / tag_name_only
# --------------------------------------------------------------------------

WITH_NAME_ERRORS = [
    ("", errors.ReferenceInvalidFormat),
    (":justtag", errors.ReferenceInvalidFormat),
    ("@" + D64, errors.ReferenceInvalidFormat),
    ("validname@invaliddigest:" + F64, errors.ReferenceInvalidFormat),
    ("example.com/repo:tag", errors.ReferenceInvalidFormat),
    ("example.com/" + "a" * 256, errors.NameTooLong),
    ("aa/asdf$$^/aa", errors.ReferenceInvalidFormat),
    ("foo/Bar", errors.ReferenceInvalidFormat),
]


@pytest.mark.parametrize(("text", "error"), WITH_NAME_ERRORS)
def test_with_name_errors(text: str, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        with_name(text)
    assert type(info.value) is error


WITH_NAME = [
    ("test.com/foo", "test.com", "foo"),
    ("test_com/foo", "", "test_com/foo"),
    ("test:8080/foo", "test:8080", "foo"),
    ("test.com:8080/foo", "test.com:8080", "foo"),
    ("test-com:8080/foo", "test-com:8080", "foo"),
    ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
    ("foo", "", "foo"),
    ("example.com/" + "a" * 255, "example.com", "a" * 255),
]


@pytest.mark.parametrize(("text", "domain", "path"), WITH_NAME)
def test_with_name(text: str, domain: str, path: str) -> None:
    ref = with_name(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, None, None)


WITH_TAG = [
    # (name, digest to add first, tag, combined)
    ("test.com/foo", None, "tag", "test.com/foo:tag"),
    ("foo", None, "tag2", "foo:tag2"),
    ("test.com:8000/foo", None, "tag4", "test.com:8000/foo:tag4"),
    ("test.com:8000/foo", None, "TAG5", "test.com:8000/foo:TAG5"),
    ("test.com:8000/foo", SHORT_DIGEST, "TAG5", "test.com:8000/foo:TAG5@" + SHORT_DIGEST),
]


@pytest.mark.parametrize(("name", "digest", "tag", "combined"), WITH_TAG)
def test_with_tag(name: str, digest: str | None, tag: str, combined: str) -> None:
    ref = with_name(name)
    if digest is not None:
        ref = with_digest(ref, digest)
    assert str(with_tag(ref, tag)) == combined
    assert str(ref.with_tag(tag)) == combined


WITH_DIGEST = [
    # (name, tag to add first, digest, combined)
    ("test.com/foo", None, SHORT_DIGEST, "test.com/foo@" + SHORT_DIGEST),
    ("foo", None, SHORT_DIGEST, "foo@" + SHORT_DIGEST),
    ("test.com:8000/foo", None, SHORT_DIGEST, "test.com:8000/foo@" + SHORT_DIGEST),
    ("test.com:8000/foo", "latest", SHORT_DIGEST, "test.com:8000/foo:latest@" + SHORT_DIGEST),
    ("foo", None, "UNKNOWN:" + "A" * 32, "foo@UNKNOWN:" + "A" * 32),
]


@pytest.mark.parametrize(("name", "tag", "digest", "combined"), WITH_DIGEST)
def test_with_digest(name: str, tag: str | None, digest: str, combined: str) -> None:
    ref = with_name(name)
    if tag is not None:
        ref = with_tag(ref, tag)
    assert str(with_digest(ref, digest)) == combined
    assert str(ref.with_digest(digest)) == combined


def test_with_digest_accepts_digest_value() -> None:
    ref = with_digest(with_name("foo"), Digest.parse(D64))
    assert ref.digest == D64


BAD_TAGS = ["-foo", ".foo", "", "a/b", "a:b", "a@b", "t" * 129, "tág"]


@pytest.mark.parametrize("tag", BAD_TAGS)
def test_with_tag_rejects(tag: str) -> None:
    with pytest.raises(errors.InvalidTagFormat) as info:
        with_tag(parse_normalized_named("busybox"), tag)
    assert str(info.value).split("\n")[0] == "invalid tag format"


BAD_DIGESTS = ["foo", "sha256:" + "f" * 31, "sha256:", ":" + F64, "1sha:" + F64, "sha256:g" * 40]


@pytest.mark.parametrize("digest", BAD_DIGESTS)
def test_with_digest_rejects(digest: str) -> None:
    with pytest.raises(errors.InvalidDigestFormat) as info:
        with_digest(parse_normalized_named("busybox"), digest)
    assert str(info.value).split("\n")[0] == "invalid digest format"


def test_with_tag_needs_a_named_reference() -> None:
    with pytest.raises(TypeError):
        with_tag(parse_any_reference(F64), "x")  # type: ignore[arg-type]


TRIM = [
    ("docker.io/library/busybox:1@" + D64, "docker.io/library/busybox"),
    ("example.com:5000/a/b:tag", "example.com:5000/a/b"),
    ("foo_bar.com/x@" + D64, "foo_bar.com/x"),
]


@pytest.mark.parametrize(("text", "trimmed"), TRIM)
def test_trim_named(text: str, trimmed: str) -> None:
    ref = trim_named(parse(text))
    assert str(ref) == trimmed
    assert is_name_only(ref)


TAG_NAME_ONLY = [
    ("docker.io/library/busybox", "docker.io/library/busybox:latest"),
    ("docker.io/library/busybox:1", "docker.io/library/busybox:1"),
    ("docker.io/library/busybox@" + D64, "docker.io/library/busybox@" + D64),
    ("docker.io/library/busybox:1@" + D64, "docker.io/library/busybox:1@" + D64),
]


@pytest.mark.parametrize(("text", "expected"), TAG_NAME_ONLY)
def test_tag_name_only(text: str, expected: str) -> None:
    assert str(tag_name_only(parse(text))) == expected


# --------------------------------------------------------------------------
# Familiar forms
# --------------------------------------------------------------------------

FAMILIAR = [
    # (parsed raw, familiar name, familiar string)
    ("docker.io/library/ubuntu", "ubuntu", "ubuntu"),
    ("docker.io/library/foo/bar", "library/foo/bar", "library/foo/bar"),
    ("docker.io/dmcgowan/myapp:latest", "dmcgowan/myapp", "dmcgowan/myapp:latest"),
    ("localhost/foo", "localhost/foo", "localhost/foo"),
    ("gcr.io/library/busybox", "gcr.io/library/busybox", "gcr.io/library/busybox"),
    ("Foo/bar", "Foo/bar", "Foo/bar"),
    ("docker.io/library/busybox:latest@" + D64, "busybox", "busybox:latest@" + D64),
    ("index.docker.io/library/ubuntu", "index.docker.io/library/ubuntu",
     "index.docker.io/library/ubuntu"),
    ("busybox:1", "busybox", "busybox:1"),
    ("docker.io/library", "library", "library"),
]


@pytest.mark.parametrize(("text", "name", "string"), FAMILIAR)
def test_familiar_forms(text: str, name: str, string: str) -> None:
    ref = parse(text)
    assert familiar_name(ref) == name
    assert familiar_string(ref) == string


def test_familiar_string_of_digest_reference() -> None:
    ref = parse_any_reference(DBCC)
    assert familiar_string(ref) == ref.familiar == "sha256:" + DBCC


# --------------------------------------------------------------------------
# familiar_match (Go's path.Match)
# --------------------------------------------------------------------------

MATCH = [
    # (reference, pattern, expected)
    ("foo", "foo/**/ba[rz]", False),
    ("foo/any/bat", "foo/**/ba[rz]", False),
    ("foo/a/bar", "foo/**/ba[rz]", True),
    ("foo/b/baz", "foo/**/ba[rz]", True),
    ("foo/c/baz:tag", "foo/**/ba[rz]", True),
    ("foo/c/baz:tag", "foo/*/baz:tag", True),
    ("foo/c/baz:tag", "foo/c/baz:tag", True),
    ("example.com/foo/c/baz:tag", "*/foo/c/baz", True),
    ("example.com/foo/c/baz:tag", "example.com/foo/c/baz", True),
    # familiar forms
    ("foo/x/y/bar", "foo/**/ba[rz]", False),
    ("ubuntu", "docker.io/library/ubuntu", False),
    ("ubuntu:22.04", "ubuntu", True),
    ("foo/bar", "*", False),
    ("foo/bar", "*/*", True),
    ("ubuntu:22.04", "ubuntu:*", True),
    ("ubuntu:22.04", "ub?ntu", True),
    ("ubuntu:22.04", "[a-z]buntu", True),
    ("ubuntu:22.04", "[^u]buntu", False),
    ("ubuntu:22.04", "[!u]buntu", True),  # "!" is no negation in Go: class {!, u}
    ("ubuntu:22.04", "\\ubuntu", True),
    ("library/foo/bar", "library/*/bar", True),
    ("foo/bar", "foo?bar", False),
    ("foo", "", False),
    ("foo", "*", True),
    ("foo", "f*", True),
    ("foo", "*o", True),
    ("foo", "*x", False),
    ("foo", "f\\oo", True),
    ("foo", "f\\*", False),
    ("foo:v1-b", "foo:*-b", True),
    ("foo:x", "foo:[x]", True),
    ("sha256:" + DBCC, "sha256:*", True),
    ("sha256:" + DBCC, "*", True),
]


@pytest.mark.parametrize(("reference", "pattern", "expected"), MATCH)
def test_familiar_match(reference: str, pattern: str, expected: bool) -> None:
    ref = parse_any_reference(reference)
    assert familiar_match(pattern, ref) is expected
    assert familiar_match(pattern, reference) is expected


BAD_PATTERNS = [
    # (pattern, caret position)
    ("[-x]", 1),
    ("[]x]", 1),
    ("[", 1),
    ("[a", 1),
    ("[a-", 3),
    ("foo\\", 3),
    ("x[a-]", 4),
    ("zzz[-]", 4),  # after a mismatch the rest is still checked
    ("foo*[-]", 5),
    ("*[", 2),
    ("[\\", 1),
]


@pytest.mark.parametrize(("pattern", "position"), BAD_PATTERNS)
def test_familiar_match_bad_pattern(pattern: str, position: int) -> None:
    with pytest.raises(errors.BadPattern) as info:
        familiar_match(pattern, parse_any_reference("foo"))
    assert str(info.value).split("\n")[0] == "syntax error in pattern"
    assert info.value.span == (position, position + 1)
    assert info.value.source == pattern


def test_bad_pattern_raised_even_when_the_name_matches() -> None:
    # FamiliarString "foo:bar" hits the malformed class; FamiliarName "foo"
    # matches, but Go returns the first error with it.
    with pytest.raises(errors.BadPattern):
        familiar_match("foo*[", parse_any_reference("foo:bar"))


# --------------------------------------------------------------------------
# sort_references
# --------------------------------------------------------------------------

DIG1 = "sha256:" + "1" * 64
DIG2 = "sha256:" + "2" * 64


def _z(name: str, tag: str | None = None, digest: str | None = None) -> str:
    text = "z.containerd.io/" + name
    if tag is not None:
        text += ":" + tag
    if digest is not None:
        text += "@" + digest
    return text


SORT = [
    (
        [_z("name", "latest"), _z("name", None, DIG1), _z("name", "latest", DIG1)],
        [_z("name", "latest", DIG1), _z("name", "latest"), _z("name", None, DIG1)],
    ),
    (
        ["can't parse this:latest", _z("name", None, DIG1), _z("name", "latest")],
        [_z("name", "latest"), _z("name", None, DIG1), "can't parse this:latest"],
    ),
    ([DIG1, _z("name", None, DIG1), _z("name", "latest")],
     [_z("name", "latest"), _z("name", None, DIG1), DIG1]),
    ([_z("name", "tag2"), _z("name", "tag3"), _z("name", "tag1")],
     [_z("name", "tag1"), _z("name", "tag2"), _z("name", "tag3")]),
    ([_z("name-2", "tag"), _z("name-3", "tag"), _z("name-1", "tag")],
     [_z("name-1", "tag"), _z("name-2", "tag"), _z("name-3", "tag")]),
    (["busybox", "b!", "a!", "busybox:1", DIG2, "busybox@" + DIG1],
     ["docker.io/library/busybox:1", "docker.io/library/busybox@" + DIG1,
      "docker.io/library/busybox", DIG2, "a!", "b!"]),
    ([], []),
]


@pytest.mark.parametrize(("unsorted", "expected"), SORT)
def test_sort_references(unsorted: list[str], expected: list[str]) -> None:
    assert sort_references(unsorted) == expected


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


def test_reference_value_semantics() -> None:
    a = parse_normalized_named("ubuntu:22.04")
    b = parse("docker.io/library/ubuntu:22.04")
    assert a == b
    assert hash(a) == hash(b)
    assert a != "docker.io/library/ubuntu:22.04"  # type: ignore[comparison-overlap]
    assert a != parse("docker.io/library/ubuntu:22.10")
    assert len({a, b}) == 1
    assert repr(a) == "<Reference('docker.io/library/ubuntu:22.04')>"
    with pytest.raises(AttributeError):
        a.tag = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "ref",
    [parse("docker.io/library/ubuntu:22.04@" + D64), parse("x"), parse_any_reference(F64)],
)
def test_references_pickle(ref: Reference | DigestReference) -> None:
    copy = pickle.loads(pickle.dumps(ref))
    assert copy == ref
    assert type(copy) is type(ref)


def test_reference_parse_classmethod() -> None:
    assert str(Reference.parse("ubuntu")) == "docker.io/library/ubuntu"
    assert str(Reference.parse("ubuntu", normalize=False)) == "ubuntu"


def test_digest_reference_value() -> None:
    ref = parse_any_reference(F64)
    assert ref == DigestReference(D64)
    assert hash(ref) == hash(DigestReference(D64))
    assert ref != D64  # type: ignore[comparison-overlap]
    assert repr(ref) == f"<DigestReference({D64!r})>"


# --------------------------------------------------------------------------
# Cached helpers
# --------------------------------------------------------------------------


def test_cached_parse_returns_equal_values() -> None:
    assert cached_parse_normalized_named("ubuntu") == parse_normalized_named("ubuntu")
    assert cached_parse_normalized_named("ubuntu") is cached_parse_normalized_named("ubuntu")
    assert cached_parse_any_reference(F64) == DigestReference(D64)


def test_cached_parse_raises_fresh_errors() -> None:
    raised = []
    for _ in range(2):
        with pytest.raises(errors.RepositoryNameNotLowercase) as info:
            cached_parse_normalized_named("Foo")
        raised.append(info.value)
    first, second = raised
    assert first is not second
    assert str(first) == str(second)
    assert first.source == "Foo"
    assert first.__traceback__ is not second.__traceback__
