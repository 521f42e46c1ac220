"""Image references, parsed and normalized as the Docker engine does.

A snake_case mirror of distribution/reference v0.6.0 (``docs/reference.md``),
the package moby and the docker CLI use:

* :func:`parse` — the raw grammar, no normalization (``Parse``);
* :func:`parse_normalized_named` — what ``docker pull ubuntu`` does:
  ``ubuntu`` → ``docker.io/library/ubuntu`` (``ParseNormalizedNamed``);
* :func:`parse_named` — normalized, and the input must be canonical
  (``ParseNamed``);
* :func:`parse_any_reference` — 64 hex is an image id, a full valid digest is
  a digest reference, anything else is normalized (``ParseAnyReference``);
* :func:`parse_docker_ref` — normalized, ``:latest`` added, a tag beside a
  digest dropped (``ParseDockerRef``);
* :func:`with_name`, :func:`with_tag`, :func:`with_digest`,
  :func:`trim_named`, :func:`tag_name_only`, :func:`is_name_only`;
* :func:`familiar_name`, :func:`familiar_string`, :func:`familiar_match`
  (Go's ``path.Match``, not :mod:`fnmatch`) and :func:`sort_references`.

A :class:`Reference` is an immutable, hashable value; ``str(ref)`` is its
canonical form and :attr:`Reference.familiar` what ``docker images`` prints.
A :class:`DigestReference` (only from :func:`parse_any_reference`) has a
digest and no name.

>>> ref = parse_normalized_named("ubuntu:22.04")
>>> str(ref), ref.domain, ref.path, ref.tag, ref.digest
('docker.io/library/ubuntu:22.04', 'docker.io', 'library/ubuntu', '22.04', None)
>>> familiar_string(ref)
'ubuntu:22.04'
>>> try:
...     parse_normalized_named("Foo")
... except InvalidReference as error:
...     print(error)
invalid reference format: repository name (library/Foo) must be lowercase
    Foo
    ^^^

Every failure raises a subclass of :class:`~dockermodel.errors.InvalidReference`
whose first line is the engine's message.

Registered digest algorithms are sha256, sha384 and sha512, as in a real
``dockerd`` (see :mod:`dockermodel.digest`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Final, TypeAlias, final

import attrs

from . import _grammar
from ._grammar import (
    DEFAULT_DOMAIN,
    DEFAULT_TAG,
    LEGACY_DEFAULT_DOMAIN,
    LOCALHOST,
    OFFICIAL_REPO_PREFIX,
    PATH_MAX,
)
from .digest import ALGORITHMS, Digest, _validation_error
from .errors import (
    BadPattern,
    InvalidDigestFormat,
    InvalidReference,
    InvalidTagFormat,
    LooksLikeImageID,
    NameContainsUppercase,
    NameEmpty,
    NameNotCanonical,
    NameTooLong,
    ReferenceInvalidFormat,
    RepositoryNameNotLowercase,
)

__all__ = [
    "REPOSITORY_NAME_TOTAL_LENGTH_MAX",
    "AnyReference",
    "DigestReference",
    "Reference",
    "cached_parse_any_reference",
    "cached_parse_normalized_named",
    "familiar_match",
    "familiar_name",
    "familiar_string",
    "is_name_only",
    "parse",
    "parse_any_reference",
    "parse_docker_ref",
    "parse_named",
    "parse_normalized_named",
    "sort_references",
    "tag_name_only",
    "trim_named",
    "with_digest",
    "with_name",
    "with_tag",
]

#: Longest repository path, domain not counted (``RepositoryNameTotalLengthMax``).
REPOSITORY_NAME_TOTAL_LENGTH_MAX: Final = PATH_MAX

_REFERENCE_FULLMATCH = _grammar.REFERENCE.fullmatch
_REMAINDER_FULLMATCH = _grammar.REMAINDER.fullmatch
_IDENTIFIER_FULLMATCH = _grammar.IDENTIFIER.fullmatch
_LOWER_HEX_FULLMATCH = _grammar.LOWER_HEX.fullmatch
_LIBRARY_LEN: Final = len(OFFICIAL_REPO_PREFIX)
_SHORT_INPUT: Final = _grammar.SHORT_INPUT


def __dir__() -> list[str]:
    return sorted(__all__)


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


@final
@attrs.frozen(repr=False)
class Reference:
    """A named reference: ``[domain/]path[:tag][@digest]``.

    ``domain`` is ``""`` when there is none; ``tag`` and ``digest`` are
    ``None`` when absent. ``str(ref)`` is the canonical form
    (``String()``); :attr:`familiar` is the short form ``docker images``
    prints. Build references with the module's functions or
    :meth:`parse`; the constructor does not validate.

    >>> Reference.parse("localhost:5000/app:v1")
    <Reference('localhost:5000/app:v1')>
    >>> Reference.parse("busybox").familiar_name
    'busybox'
    """

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str, *, normalize: bool = True) -> Reference:
        """Parse ``text``: :func:`parse_normalized_named`, or :func:`parse` if not ``normalize``."""
        return parse_normalized_named(text) if normalize else parse(text)

    @property
    def name(self) -> str:
        """``domain/path`` (or the path alone when there is no domain)."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def familiar_name(self) -> str:
        """The name without ``docker.io/`` and ``library/`` (``FamiliarName``)."""
        return familiar_name(self)

    @property
    def familiar(self) -> str:
        """The familiar name plus tag and digest (``FamiliarString``)."""
        return familiar_string(self)

    def with_tag(self, tag: str) -> Reference:
        """A copy with ``tag`` (see :func:`with_tag`)."""
        return with_tag(self, tag)

    def with_digest(self, digest: str | Digest) -> Reference:
        """A copy with ``digest`` (see :func:`with_digest`)."""
        return with_digest(self, digest)

    def __str__(self) -> str:
        text = f"{self.domain}/{self.path}" if self.domain else self.path
        if self.tag is not None:
            text = f"{text}:{self.tag}"
        if self.digest is not None:
            text = f"{text}@{self.digest}"
        return text

    def __repr__(self) -> str:
        return f"<Reference({str(self)!r})>"


@final
@attrs.frozen(repr=False)
class DigestReference:
    """A reference that is only a digest (``sha256:…``), with no name.

    :func:`parse_any_reference` returns one for a 64-hex image id or a valid
    digest. ``str(ref)`` and :attr:`familiar` are the digest.

    >>> parse_any_reference("0" * 64)
    <DigestReference('sha256:0000000000000000000000000000000000000000000000000000000000000000')>
    """

    digest: str

    @property
    def familiar(self) -> str:
        """The digest itself (``FamiliarString`` of a digest reference)."""
        return self.digest

    def __str__(self) -> str:
        return self.digest

    def __repr__(self) -> str:
        return f"<DigestReference({self.digest!r})>"


#: What :func:`parse_any_reference` returns.
AnyReference: TypeAlias = "Reference | DigestReference"


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def _parse(text: str) -> Reference:
    """``Parse`` proper; errors carry ``source=text``."""
    if len(text) <= _SHORT_INPUT:
        match = _REFERENCE_FULLMATCH(text)
        parts = None if match is None else match.groups()
    else:
        parts = _grammar.split_reference(text)
    if parts is None:
        if not text:
            raise NameEmpty(source=text, span=(0, 0))
        lowered = _grammar.go_lower(text)
        if lowered != text:
            upper = _grammar.match_reference(lowered)
            if upper is not None:
                start = len(upper[0]) + 1 if upper[0] is not None else 0
                raise NameContainsUppercase(source=text, span=(start, start + len(upper[1])))
        raise ReferenceInvalidFormat(source=text, span=_grammar.locate_reference_error(text))
    domain, path, tag, digest = parts
    if len(path) > PATH_MAX:
        start = len(domain) + 1 if domain is not None else 0
        raise NameTooLong(source=text, span=(start, start + len(path)))
    if digest is not None and not _is_registered_digest(digest):
        error = _validation_error(digest)
        if error is not None:
            start = len(text) - len(digest)
            span = error.span or (0, len(digest))
            raise type(error)(source=text, span=(start + span[0], start + span[1]))
    return Reference(domain or "", path, tag, digest)


def _is_registered_digest(text: str) -> bool:
    """Fast check: ``text`` is a valid digest of a registered algorithm."""
    colon = text.find(":")
    size = ALGORITHMS.get(text[:colon]) if colon > 0 else None
    return (
        size is not None
        and len(text) - colon - 1 == size
        and _LOWER_HEX_FULLMATCH(text, colon + 1) is not None
    )


def parse(text: str) -> Reference:
    """Parse ``text`` with the raw grammar, no normalization (``Parse``).

    ``foo/bar`` has domain ``foo``: the first of two or more components is
    the domain whenever it fits the domain grammar. Errors: NameEmpty,
    NameContainsUppercase, ReferenceInvalidFormat, NameTooLong (path over
    255 characters) and the digest errors
    [distribution/reference reference.go · Parse].

    >>> parse("foo/bar:1").domain, parse("test_com/foo").domain
    ('foo', '')
    """
    return _parse(text)


def parse_normalized_named(text: str) -> Reference:
    """Parse ``text`` as the docker CLI does (``ParseNormalizedNamed``).

    1. 64 lowercase hex is refused (it looks like an image id);
    2. the text before the first ``/`` is a domain if it is ``localhost``,
       ``index.docker.io`` (→ ``docker.io``), contains ``.`` or ``:``, or has
       an uppercase letter; otherwise the domain is ``docker.io``; on
       ``docker.io`` a one-component path gets ``library/``;
    3. the repository part (up to the first ``:``) must be lowercase;
    4. the result is :func:`parse` of ``domain/remainder``

    [distribution/reference normalize.go · ParseNormalizedNamed, splitDockerDomain].

    >>> str(parse_normalized_named("index.docker.io/nginx"))
    'docker.io/library/nginx'
    >>> parse_normalized_named("foo_bar.com/x").domain
    ''
    """
    if len(text) <= _SHORT_INPUT:
        ref = _normalized_fast(text)
        if ref is not None:
            return ref
    return _normalized_exact(text)


def _normalized_fast(text: str) -> Reference | None:
    """The common successes of :func:`_normalized_exact`, or None to ask it.

    Exactly equivalent where it answers (``test_reference_properties``
    checks): with the domain ``docker.io``, ``Parse("docker.io/" + r)``
    succeeds exactly when ``r`` matches :data:`~dockermodel._grammar.REMAINDER`
    (``docker.io`` is also a valid path component, so the domain-less reading
    needs the same of ``r``); a domain taken from the text leaves the text
    unchanged, so ``Parse(text)`` is the answer. A successful match has a
    lowercase path, so the lowercase check cannot fail; a tag-less digest
    with an uppercase algorithm is not registered and goes to the exact path.
    """
    slash = text.find("/")
    if slash < 0:
        if len(text) == 64:
            return None
        match = _REMAINDER_FULLMATCH(text)
        prefix = OFFICIAL_REPO_PREFIX
    else:
        first = text[:slash]
        if (
            "." in first
            or ":" in first
            or first == LOCALHOST
            or (not first.islower() and _grammar.go_lower(first) != first)
        ):
            if first in (DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN):
                return None
            return _try_parse(text)
        match = _REMAINDER_FULLMATCH(text)
        prefix = ""
    if match is None:
        return None
    path, tag, digest = match.groups()
    if prefix:
        path = prefix + path
    if len(path) > PATH_MAX or (digest is not None and not _is_registered_digest(digest)):
        return None
    return Reference(DEFAULT_DOMAIN, path, tag, digest)


def _try_parse(text: str) -> Reference | None:
    """:func:`parse` of a short text when it succeeds, else None (no error built)."""
    match = _REFERENCE_FULLMATCH(text)
    if match is None:
        return None
    domain, path, tag, digest = match.groups()
    if len(path) > PATH_MAX or (digest is not None and not _is_registered_digest(digest)):
        return None
    return Reference(domain or "", path, tag, digest)


def _normalized_exact(text: str) -> Reference:
    """``ParseNormalizedNamed`` step by step, with its exact errors."""
    if len(text) == 64 and _IDENTIFIER_FULLMATCH(text) is not None:
        raise LooksLikeImageID(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings",
            source=text,
            span=(0, 64),
        )
    slash = text.find("/")
    if slash < 0:
        domain = DEFAULT_DOMAIN
        tail_start = 0
    else:
        first = text[:slash]
        if first == LOCALHOST:
            domain = first
            tail_start = slash + 1
        elif first == LEGACY_DEFAULT_DOMAIN:
            domain = DEFAULT_DOMAIN
            tail_start = slash + 1
        elif "." in first or ":" in first or _grammar.go_lower(first) != first:
            domain = first
            tail_start = slash + 1
        else:
            domain = DEFAULT_DOMAIN
            tail_start = 0
    tail = text[tail_start:] if tail_start else text
    prefix = ""
    if domain == DEFAULT_DOMAIN and "/" not in tail:
        prefix = OFFICIAL_REPO_PREFIX
    colon = tail.find(":")
    remote_tail = tail if colon < 0 else tail[:colon]
    if not remote_tail.islower() and _grammar.go_lower(remote_tail) != remote_tail:
        remote = prefix + remote_tail
        raise RepositoryNameNotLowercase(
            f"invalid reference format: repository name ({remote}) must be lowercase",
            source=text,
            span=(tail_start, tail_start + len(remote_tail)),
        )
    full = f"{domain}/{prefix}{tail}"
    try:
        return _parse(full)
    except InvalidReference as error:
        raise _remap(error, text, len(full) - len(tail), tail_start) from None


def _remap(error: InvalidReference, text: str, head: int, tail_start: int) -> InvalidReference:
    """The same error about ``text``, its span moved from the rebuilt string."""
    span = error.span
    if span is not None:
        start = max(span[0] - head + tail_start, 0)
        end = max(span[1] - head + tail_start, start)
        span = (start, end)
    return type(error)(error.message, source=text, span=span)


def parse_named(text: str) -> Reference:
    """:func:`parse_normalized_named`, and ``text`` must already be canonical (``ParseNamed``).

    >>> str(parse_named("docker.io/library/foo"))
    'docker.io/library/foo'
    >>> parse_named("foo")
    Traceback (most recent call last):
        ...
    dockermodel.errors.NameNotCanonical: repository name must be canonical
        foo
        ^^^
    """
    ref = parse_normalized_named(text)
    if str(ref) != text:
        raise NameNotCanonical(source=text, span=(0, len(text)))
    return ref


def parse_any_reference(text: str) -> Reference | DigestReference:
    """An image id, a digest, or a normalized name (``ParseAnyReference``).

    64 lowercase hex is the digest ``sha256:<hex>``; a whole valid digest of
    a registered algorithm is a digest reference; anything else is
    :func:`parse_normalized_named` [distribution/reference normalize.go ·
    ParseAnyReference].

    >>> parse_any_reference("sha256:" + "f" * 64).digest == "sha256:" + "f" * 64
    True
    >>> str(parse_any_reference("dbcc1"))
    'docker.io/library/dbcc1'
    """
    if len(text) == 64 and _IDENTIFIER_FULLMATCH(text) is not None:
        return DigestReference("sha256:" + text)
    if _is_registered_digest(text):
        return DigestReference(text)
    return parse_normalized_named(text)


def parse_docker_ref(text: str) -> Reference:
    """Normalize as the engine stores a reference (``ParseDockerRef``).

    A reference with both tag and digest loses the tag; a name alone gets
    ``:latest``.

    >>> str(parse_docker_ref("busybox"))
    'docker.io/library/busybox:latest'
    >>> str(parse_docker_ref("busybox:1@sha256:" + "e" * 64)) == (
    ...     "docker.io/library/busybox@sha256:" + "e" * 64)
    True
    """
    ref = parse_normalized_named(text)
    if ref.tag is not None and ref.digest is not None:
        return Reference(ref.domain, ref.path, None, ref.digest)
    return tag_name_only(ref)


def with_name(name: str) -> Reference:
    """A name-only reference from ``name``, no normalization (``WithName``).

    The whole text must be a name (no tag or digest): else
    ReferenceInvalidFormat; a path over 255 characters is NameTooLong.

    >>> str(with_name("test.com:8080/foo"))
    'test.com:8080/foo'
    """
    parts = _grammar.match_name(name)
    if parts is None:
        raise ReferenceInvalidFormat(source=name, span=_grammar.locate_reference_error(name))
    domain, path = parts
    if len(path) > PATH_MAX:
        start = len(domain) + 1 if domain is not None else 0
        raise NameTooLong(source=name, span=(start, start + len(path)))
    return Reference(domain or "", path)


def _require_named(ref: object) -> Reference:
    """``ref`` if it is a :class:`Reference`, else ``TypeError``.

    The Go functions take a ``Named``; a digest-only reference is not one.
    """
    if not isinstance(ref, Reference):
        raise TypeError(f"expected a named Reference, got {type(ref).__name__} {ref!r}")
    return ref


def with_tag(ref: Reference, tag: str) -> Reference:
    """``ref`` with ``tag``, keeping its digest (``WithTag``).

    The tag must match the tag grammar, else :class:`InvalidTagFormat`.

    >>> str(with_tag(with_name("test.com:8000/foo"), "TAG5"))
    'test.com:8000/foo:TAG5'
    """
    named = _require_named(ref)
    if _grammar.TAG.fullmatch(tag) is None:
        raise InvalidTagFormat(source=tag, span=(0, len(tag)))
    return Reference(named.domain, named.path, tag, named.digest)


def with_digest(ref: Reference, digest: str | Digest) -> Reference:
    """``ref`` with ``digest``, keeping its tag (``WithDigest``).

    Only the digest *grammar* is checked (else :class:`InvalidDigestFormat`),
    not go-digest's validation, exactly as upstream: ``sha256:`` + 37 hex or
    an unknown algorithm are accepted, so the result may not parse back.

    >>> str(with_digest(with_name("foo"), "sha256:1234567890098765432112345667890098765"))
    'foo@sha256:1234567890098765432112345667890098765'
    """
    named = _require_named(ref)
    text = str(digest)
    if _grammar.DIGEST.fullmatch(text) is None:
        raise InvalidDigestFormat(source=text, span=(0, len(text)))
    return Reference(named.domain, named.path, named.tag, text)


def trim_named(ref: Reference) -> Reference:
    """The name alone, tag and digest dropped (``TrimNamed``)."""
    named = _require_named(ref)
    return Reference(named.domain, named.path)


def is_name_only(ref: Reference) -> bool:
    """Whether ``ref`` has neither tag nor digest (``IsNameOnly``)."""
    named = _require_named(ref)
    return named.tag is None and named.digest is None


def tag_name_only(ref: Reference) -> Reference:
    """``ref`` with ``:latest`` if it has neither tag nor digest (``TagNameOnly``)."""
    named = _require_named(ref)
    if named.tag is None and named.digest is None:
        return Reference(named.domain, named.path, DEFAULT_TAG)
    return named


# --------------------------------------------------------------------------
# Familiar forms
# --------------------------------------------------------------------------


def familiar_name(ref: Reference) -> str:
    """The name as ``docker`` prints it (``FamiliarName``).

    On ``docker.io`` the domain is dropped, and so is ``library/`` when no
    further ``/`` follows [distribution/reference normalize.go · familiarizeName].

    >>> familiar_name(parse_normalized_named("library/foo/bar"))
    'library/foo/bar'
    """
    named = _require_named(ref)
    if named.domain != DEFAULT_DOMAIN:
        return named.name
    path = named.path
    if path.startswith(OFFICIAL_REPO_PREFIX) and "/" not in path[_LIBRARY_LEN:]:
        return path[_LIBRARY_LEN:]
    return path


def familiar_string(ref: Reference | DigestReference) -> str:
    """The familiar name plus tag and digest; a digest reference's digest (``FamiliarString``).

    >>> familiar_string(parse_normalized_named("docker.io/dmcgowan/myapp:latest"))
    'dmcgowan/myapp:latest'
    """
    if isinstance(ref, DigestReference):
        return ref.digest
    text = familiar_name(ref)
    if ref.tag is not None:
        text = f"{text}:{ref.tag}"
    if ref.digest is not None:
        text = f"{text}@{ref.digest}"
    return text


def familiar_match(pattern: str, ref: Reference | DigestReference | str) -> bool:
    """Whether ``pattern`` matches ``ref`` as ``docker images PATTERN`` does (``FamiliarMatch``).

    The pattern is matched with Go's ``path.Match`` against
    :func:`familiar_string`, then, for a named reference, against
    :func:`familiar_name`. ``*`` and ``?`` never match ``/``; a malformed
    pattern raises :class:`~dockermodel.errors.BadPattern` (from the first
    match), even when the name would match. A ``str`` is first parsed with
    :func:`parse_any_reference`.

    >>> familiar_match("ubuntu", "ubuntu:22.04"), familiar_match("*", "foo/bar")
    (True, False)
    """
    if isinstance(ref, str):
        ref = parse_any_reference(ref)
    matched, error_at = _grammar.path_match(pattern, familiar_string(ref))
    if not matched and isinstance(ref, Reference):
        matched = _grammar.path_match(pattern, familiar_name(ref))[0]
    if error_at is not None:
        raise BadPattern(source=pattern, span=(error_at, error_at + 1))
    return matched


# --------------------------------------------------------------------------
# Sorting
# --------------------------------------------------------------------------


def _rank(ref: Reference | DigestReference) -> int:
    if isinstance(ref, DigestReference):
        return 5
    if ref.tag is not None:
        return 1 if ref.digest is not None else 2
    return 3 if ref.digest is not None else 4


def sort_references(strings: Iterable[str]) -> list[str]:
    """Sort references, most informative first (``Sort``).

    Each string is parsed with :func:`parse_any_reference`; name+tag+digest
    < name+tag < name+digest < name < digest, ties by canonical string; the
    result holds the canonical strings, then the unparsable inputs sorted
    [distribution/reference sort.go · Sort].

    >>> sort_references(["busybox", "busybox:1", "oops!"])
    ['docker.io/library/busybox:1', 'docker.io/library/busybox', 'oops!']
    """
    good: list[tuple[int, str]] = []
    bad: list[str] = []
    for text in strings:
        try:
            ref = parse_any_reference(text)
        except InvalidReference:
            bad.append(text)
        else:
            good.append((_rank(ref), str(ref)))
    good.sort()
    bad.sort()
    return [text for _, text in good] + bad


# --------------------------------------------------------------------------
# Cached parsing
# --------------------------------------------------------------------------

_Failure: TypeAlias = "tuple[type[InvalidReference], str, str | None, tuple[int, int] | None]"


@functools.lru_cache(maxsize=8192)
def _cached_outcome(any_reference: bool, text: str) -> Reference | DigestReference | _Failure:
    try:
        return parse_any_reference(text) if any_reference else parse_normalized_named(text)
    except InvalidReference as error:
        return (type(error), error.message, error.source, error.span)


def _replay(outcome: Reference | DigestReference | _Failure) -> Reference | DigestReference:
    if isinstance(outcome, tuple):
        cls, message, source, span = outcome
        raise cls(message, source=source, span=span)
    return outcome


def cached_parse_normalized_named(text: str) -> Reference:
    """:func:`parse_normalized_named` through a bounded LRU cache (8192 entries).

    References are immutable, so a cached one is shared safely; a failure is
    cached as its description and raised as a fresh exception every time.
    """
    result = _replay(_cached_outcome(False, text))
    assert isinstance(result, Reference)
    return result


def cached_parse_any_reference(text: str) -> Reference | DigestReference:
    """:func:`parse_any_reference` through the same kind of cache."""
    return _replay(_cached_outcome(True, text))
