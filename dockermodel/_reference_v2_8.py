"""References parsed as Engine 20.10 parses them: docker/distribution v2.8 (private).

Engine 20.10.24 resolves image names with the ``reference`` package of
docker/distribution v2.8.1, vendored as ``github.com/docker/distribution/reference``
[moby/moby vendor.conf at v20.10.24]; Engine 23 and later vendor the
standalone distribution/reference v0.6, which :mod:`dockermodel.reference`
mirrors. The functions here answer as v2.8.1 does and return the same values
(:class:`~dockermodel.reference.Reference`,
:class:`~dockermodel.reference.DigestReference`) and the same exception
classes. Where the two versions differ (docs/reference.md, *Which engine
parses with which version*):

1. **No IPv6 hosts.** v2.8's domain is ``label ("." label)* [":" port]``
   with no ``[…]`` alternative, and no other part of the grammar admits
   ``[``: any input holding ``[`` is ``invalid reference format``
   (``[::1]:5000/x``) [docker/distribution reference/regexp.go · DomainRegexp
   at v2.8.1].
2. **The 255 limit counts the whole name**, domain included, and after
   normalization the domain is always there: ``docker.io/library/`` + 238
   characters is already too long. Same message, ``repository name must not
   be more than 255 characters``; the check comes right after the grammar
   match, before the digest is validated [reference/reference.go · Parse,
   NameTotalLengthMax at v2.8.1].
3. **An uppercase first component is not a domain.** Only ``localhost`` and
   text holding ``.`` or ``:`` are; ``UPPER/x`` is ``docker.io/UPPER/x``,
   whose repository name is not lowercase [reference/normalize.go ·
   splitDockerDomain at v2.8.1].
4. **The lowercase message names nothing:** ``invalid reference format:
   repository name must be lowercase`` [reference/normalize.go ·
   ParseNormalizedNamed at v2.8.1].

Everything else is the same language with the same messages: the path,
tag, digest and identifier patterns (v2.8 writes the hyphen separator as
"zero or more", the same set of strings, so the project's linear-time
patterns of :mod:`dockermodel._grammar` serve both), anchoring at the true
end of the text, the domain capture, the 64-hex refusal,
``ParseAnyReference``'s order (64 lowercase hex, then a valid digest, then a
normalized name) and go-digest v1.0.0's validation. Inputs v2.8 accepts are
accepted by v0.6 with the same value (``tests/test_reference_v2_8.py``).

Only the functions a 20.10 lookup needs are here: ``GetImage`` parses with
``ParseAnyReference`` and ``ImageDelete`` re-parses the name with
``ParseNormalizedNamed`` [moby/moby daemon/images/image.go · GetImage,
daemon/images/image_delete.go · ImageDelete at v20.10.24]; the ``reference``
filter of ``GET /images/json`` does not parse its patterns at all
(``FamiliarMatch`` on stored references, daemon/images/images.go · Images).
"""

from __future__ import annotations

from typing import Final

from . import _grammar
from ._grammar import DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, LOCALHOST, OFFICIAL_REPO_PREFIX
from .digest import _validation_error
from .errors import (
    InvalidReference,
    LooksLikeImageID,
    NameContainsUppercase,
    NameEmpty,
    NameNotCanonical,
    NameTooLong,
    ReferenceInvalidFormat,
    RepositoryNameNotLowercase,
)
from .reference import DigestReference, Reference, _is_registered_digest, _remap

__all__ = [
    "NAME_TOTAL_LENGTH_MAX",
    "parse",
    "parse_any_reference",
    "parse_named",
    "parse_normalized_named",
]

#: Longest name, domain and ``/`` included (``NameTotalLengthMax``).
NAME_TOTAL_LENGTH_MAX: Final = 255

_IDENTIFIER_FULLMATCH = _grammar.IDENTIFIER.fullmatch


def parse(text: str) -> Reference:
    """``Parse`` of v2.8.1: the raw grammar without IPv6 hosts, the 255 limit on the name.

    Order: empty input (NameEmpty); no grammar match (NameContainsUppercase
    if the lowercased text matches, else ReferenceInvalidFormat); name over
    255 characters (NameTooLong); digest validation (go-digest's errors)
    [docker/distribution reference/reference.go · Parse at v2.8.1].

    >>> parse("a/" * 127 + "a").domain
    'a'
    >>> parse("[::1]:5000/x")
    Traceback (most recent call last):
        ...
    dockermodel.errors.ReferenceInvalidFormat: invalid reference format
        [::1]:5000/x
        ^
    """
    bracket = text.find("[")
    parts = _grammar.match_reference(text) if bracket < 0 else None
    if parts is None:
        if not text:
            raise NameEmpty(source=text, span=(0, 0))
        if bracket >= 0:
            raise ReferenceInvalidFormat(source=text, span=(bracket, bracket + 1))
        lowered = _grammar.go_lower(text)
        if lowered != text:
            upper = _grammar.match_reference(lowered)
            if upper is not None:
                start = len(upper[0]) + 1 if upper[0] is not None else 0
                raise NameContainsUppercase(source=text, span=(start, start + len(upper[1])))
        raise ReferenceInvalidFormat(source=text, span=_grammar.locate_reference_error(text))
    domain, path, tag, digest = parts
    name_length = (len(domain) + 1 if domain is not None else 0) + len(path)
    if name_length > NAME_TOTAL_LENGTH_MAX:
        raise NameTooLong(source=text, span=(0, name_length))
    if digest is not None and not _is_registered_digest(digest):
        error = _validation_error(digest)
        if error is not None:
            start = len(text) - len(digest)
            span = error.span or (0, len(digest))
            raise type(error)(source=text, span=(start + span[0], start + span[1]))
    return Reference(domain or "", path, tag, digest)


def parse_normalized_named(text: str) -> Reference:
    """``ParseNormalizedNamed`` of v2.8.1.

    1. 64 lowercase hex is refused (it looks like an image id);
    2. the text before the first ``/`` is the domain if it is ``localhost``
       or holds ``.`` or ``:`` (``index.docker.io`` becomes ``docker.io``);
       otherwise the domain is ``docker.io`` and the whole text the
       remainder; on ``docker.io`` a remainder without ``/`` gets ``library/``;
    3. the remainder up to its first ``:`` must be lowercase, else
       ``invalid reference format: repository name must be lowercase``;
    4. :func:`parse` of ``domain/remainder``

    [docker/distribution reference/normalize.go · ParseNormalizedNamed,
    splitDockerDomain at v2.8.1].

    >>> str(parse_normalized_named("index.docker.io/nginx"))
    'docker.io/library/nginx'
    >>> try:
    ...     parse_normalized_named("UPPER/x:1")
    ... except RepositoryNameNotLowercase as error:
    ...     print(error)
    invalid reference format: repository name must be lowercase
        UPPER/x:1
        ^^^^^^^
    """
    if len(text) == 64 and _IDENTIFIER_FULLMATCH(text) is not None:
        raise LooksLikeImageID(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings",
            source=text,
            span=(0, 64),
        )
    slash = text.find("/")
    first = text[:slash] if slash >= 0 else ""
    if slash < 0 or ("." not in first and ":" not in first and first != LOCALHOST):
        domain = DEFAULT_DOMAIN
        tail_start = 0
    else:
        domain = DEFAULT_DOMAIN if first == LEGACY_DEFAULT_DOMAIN else first
        tail_start = slash + 1
    tail = text[tail_start:] if tail_start else text
    prefix = OFFICIAL_REPO_PREFIX if domain == DEFAULT_DOMAIN and "/" not in tail else ""
    colon = tail.find(":")
    remote = tail if colon < 0 else tail[:colon]
    if not remote.islower() and _grammar.go_lower(remote) != remote:
        raise RepositoryNameNotLowercase(source=text, span=(tail_start, tail_start + len(remote)))
    full = f"{domain}/{prefix}{tail}"
    try:
        return parse(full)
    except InvalidReference as error:
        raise _remap(error, text, len(full) - len(tail), tail_start) from None


def parse_named(text: str) -> Reference:
    """:func:`parse_normalized_named`, and ``text`` must be canonical (``ParseNamed`` of v2.8.1).

    >>> str(parse_named("docker.io/library/foo"))
    'docker.io/library/foo'
    """
    ref = parse_normalized_named(text)
    if str(ref) != text:
        raise NameNotCanonical(source=text, span=(0, len(text)))
    return ref


def parse_any_reference(text: str) -> Reference | DigestReference:
    """``ParseAnyReference`` of v2.8.1, what ``GetImage`` parses a name or id with.

    64 lowercase hex is the digest ``sha256:<hex>``; a whole valid digest of
    a registered algorithm is a digest reference; anything else is
    :func:`parse_normalized_named` [docker/distribution reference/normalize.go ·
    ParseAnyReference at v2.8.1] [moby/moby daemon/images/image.go · GetImage
    at v20.10.24].

    >>> str(parse_any_reference("dbcc1"))
    'docker.io/library/dbcc1'
    """
    if len(text) == 64 and _IDENTIFIER_FULLMATCH(text) is not None:
        return DigestReference("sha256:" + text)
    if _is_registered_digest(text):
        return DigestReference(text)
    return parse_normalized_named(text)
