"""The grammar of image references, digests and shell patterns (private).

The reference grammar of distribution/reference v0.6.0, in our own words
(``docs/reference.md``; character classes are ASCII only)::

    reference     := name [ ":" tag ] [ "@" digest ]
    name          := [ domain "/" ] path
    domain        := host [ ":" port ]
    host          := domain-name | "[" ipv6 "]"
    domain-name   := label ( "." label )*
    label         := [A-Za-z0-9] | [A-Za-z0-9] [A-Za-z0-9-]* [A-Za-z0-9]
    port          := [0-9]+
    ipv6          := [A-Fa-f0-9:]+
    path          := component ( "/" component )*
    component     := alnum ( separator alnum )*
    alnum         := [a-z0-9]+
    separator     := "." | "_" | "__" | "-"+          (one or more hyphens)
    tag           := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
    digest        := algorithm ":" hex
    algorithm     := acomp ( [+._-] acomp )*
    acomp         := [A-Za-z] [A-Za-z0-9]*
    hex           := [0-9A-Fa-f]{32,}
    identifier    := [a-f0-9]{64}

[distribution/reference regexp.go · referencePat, anchoredNamePat]

Every pattern is used with :meth:`re.Pattern.fullmatch`, never with a bare
``$`` (which would accept a trailing newline). The separator is written as
"one or more hyphens", so stdlib :mod:`re` matches in time linear in the
input on hostile inputs such as ``a`` followed by thousands of ``-``
(``tests/test_reference_linear.py`` measures the growth).

The domain of a name is captured by the leftmost-first rule of the Go
regexp: when a name has a ``/`` and the text before the first ``/`` matches
*domain* as a whole, that text is the domain; otherwise the name has no
domain (``test_com/foo``) [distribution/reference reference.go · Parse].

This module also holds :func:`go_lower` (Go's ``strings.ToLower``),
:func:`locate_reference_error` (which part of a rejected reference is at
fault, for the caret line of an error) and :func:`path_match` (Go's
``path.Match``).
"""

from __future__ import annotations

import re
from typing import Final

# --------------------------------------------------------------------------
# Fragments
# --------------------------------------------------------------------------

_LABEL: Final = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN_NAME: Final = _LABEL + r"(?:\." + _LABEL + r")*"
_IPV6: Final = r"\[[a-fA-F0-9:]+\]"
_HOST: Final = r"(?:" + _DOMAIN_NAME + r"|" + _IPV6 + r")"
DOMAIN_PATTERN: Final = _HOST + r"(?::[0-9]+)?"

_ALNUM: Final = r"[a-z0-9]+"
_SEPARATOR: Final = r"(?:[._]|__|-+)"
COMPONENT_PATTERN: Final = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
PATH_PATTERN: Final = COMPONENT_PATTERN + r"(?:/" + COMPONENT_PATTERN + r")*"

TAG_PATTERN: Final = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_ALGORITHM: Final = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
DIGEST_PATTERN: Final = _ALGORITHM + r":[0-9A-Fa-f]{32,}"

#: The whole reference. Groups: domain, path, tag, digest (``None`` when the
#: part is absent). Splitting the name inside the one pattern gives the same
#: domain as Go's two-step match, because the domain alternative is tried
#: first and a failure after it fails the domain-less alternative as well.
REFERENCE: Final = re.compile(
    r"(?:(" + DOMAIN_PATTERN + r")/)?(" + PATH_PATTERN + r")"
    r"(?::(" + TAG_PATTERN + r"))?"
    r"(?:@(" + DIGEST_PATTERN + r"))?"
)
#: What follows ``docker.io/`` in a normalized reference: path, tag, digest.
REMAINDER: Final = re.compile(
    r"(" + PATH_PATTERN + r")(?::(" + TAG_PATTERN + r"))?(?:@(" + DIGEST_PATTERN + r"))?"
)
#: A name only (``WithName``). Groups: domain, path.
NAME: Final = re.compile(r"(?:(" + DOMAIN_PATTERN + r")/)?(" + PATH_PATTERN + r")")
DOMAIN: Final = re.compile(DOMAIN_PATTERN)
COMPONENT: Final = re.compile(COMPONENT_PATTERN)
TAG: Final = re.compile(TAG_PATTERN)
DIGEST: Final = re.compile(DIGEST_PATTERN)
#: 64 lowercase hex: an image id without its ``sha256:`` prefix.
IDENTIFIER: Final = re.compile(r"[a-f0-9]{64}")
#: go-digest's own, looser digest shape, used to tell an unsupported
#: algorithm from a malformed digest [go-digest digest.go · DigestRegexp].
GO_DIGEST_SHAPE: Final = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
LOWER_HEX: Final = re.compile(r"[a-f0-9]+")

#: Longest path (domain, tag and digest not counted)
#: [distribution/reference reference.go · RepositoryNameTotalLengthMax].
PATH_MAX: Final = 255
DEFAULT_DOMAIN: Final = "docker.io"
LEGACY_DEFAULT_DOMAIN: Final = "index.docker.io"
OFFICIAL_REPO_PREFIX: Final = "library/"
DEFAULT_TAG: Final = "latest"
LOCALHOST: Final = "localhost"


def go_lower(text: str) -> str:
    """Go's ``strings.ToLower``: per-character simple lowercase mapping.

    Python's :meth:`str.lower` uses the full mapping, under which ``İ``
    (U+0130) becomes two characters; Go maps it to ``i``. No other
    character's mapping differs in a way that can change a grammar match.
    """
    if text.isascii():
        return text.lower()
    return text.replace("\u0130", "i").lower()


def first_changed_by_lower(text: str) -> int:
    """Index of the first character that lowercasing changes (0 if none)."""
    for index, char in enumerate(text):
        if go_lower(char) != char:
            return index
    return 0


#: Inputs longer than this are split by :func:`split_reference` instead of
#: matched by :data:`REFERENCE`: both are linear, the splitter has the
#: smaller constant on long hostile input, the single pattern is faster on
#: ordinary references. Both give the same parts (a hypothesis test checks).
SHORT_INPUT: Final = 512

_PATH_CHARS: Final = re.compile(r"[a-z0-9._/-]+")
_PATH_CHARS_PREFIX: Final = re.compile(r"[a-z0-9._/-]*")
#: Two separator characters in a row, other than ``__`` and ``--``, or
#: three underscores: the only ways a run of ``[a-z0-9._/-]`` characters can
#: fail the path grammar besides a separator at either end.
_BAD_SEPARATOR: Final = re.compile(r"[./][._/-]|[_-][./]|_-|-_|___")
_ALNUM_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")

Parts = tuple["str | None", str, "str | None", "str | None"]


def _path_error(path: str) -> tuple[int, int] | None:
    """The span in ``path`` of the first thing at fault, or None if it is a valid path."""
    if not path:
        return (0, 0)
    chars = _PATH_CHARS_PREFIX.match(path)
    end = chars.end() if chars is not None else 0
    bad = _BAD_SEPARATOR.search(path, 0, end)
    if path[0] not in _ALNUM_CHARS:
        return (0, 1)
    if bad is not None:
        return bad.span()
    if end < len(path):
        return (end, end + 1)
    if path[-1] not in _ALNUM_CHARS:
        return (len(path) - 1, len(path))
    return None


def _split(text: str) -> tuple[Parts | None, tuple[int, int]]:
    """Split and check ``text`` part by part; (parts, (0, 0)) or (None, span at fault)."""
    digest = None
    name_tag = text
    at = text.find("@")
    if at >= 0:
        digest = text[at + 1 :]
        if DIGEST.fullmatch(digest) is None:
            return None, ((at + 1, len(text)) if digest else (at, at + 1))
        name_tag = text[:at]
    slash = name_tag.rfind("/")
    colon = name_tag.find(":", slash + 1)
    tag = None
    name = name_tag
    if colon >= 0:
        tag = name_tag[colon + 1 :]
        if TAG.fullmatch(tag) is None:
            return None, ((colon + 1, len(name_tag)) if tag else (colon, colon + 1))
        name = name_tag[:colon]
    domain = None
    path = name
    first = name.find("/")
    if first >= 0 and DOMAIN.fullmatch(name, 0, first) is not None:
        domain = name[:first]
        path = name[first + 1 :]
    error = _path_error(path)
    if error is not None:
        offset = len(name) - len(path)
        return None, (offset + error[0], offset + error[1])
    return (domain, path, tag, digest), (0, 0)


def split_reference(text: str) -> Parts | None:
    """The (domain, path, tag, digest) of ``text``, or None if it is not a reference.

    Linear: ``@`` starts the digest, the first ``:`` after the last ``/``
    starts the tag, the text before the first ``/`` is the domain if it fits
    the domain grammar; then each part is checked on its own. Gives the same
    result as ``REFERENCE.fullmatch(text).groups()``.
    """
    return _split(text)[0]


def match_reference(text: str) -> Parts | None:
    """(domain, path, tag, digest) of ``text``, or None: the fastest exact route."""
    if len(text) <= SHORT_INPUT:
        match = REFERENCE.fullmatch(text)
        return None if match is None else match.groups()  # type: ignore[return-value]
    return _split(text)[0]


def match_name(text: str) -> tuple[str | None, str] | None:
    """(domain, path) of a name alone (``WithName``'s grammar), or None."""
    if "@" in text or ":" in text[text.rfind("/") + 1 :]:
        return None
    parts = match_reference(text)
    return None if parts is None else (parts[0], parts[1])


def locate_reference_error(text: str) -> tuple[int, int]:
    """The ``(start, end)`` of the first part of ``text`` that breaks the grammar.

    Only used to draw the caret of an ``invalid reference format`` error.
    Linear in ``len(text)``.
    """
    parts, span = _split(text)
    return (0, len(text)) if parts is not None else span


# --------------------------------------------------------------------------
# Go's path.Match
# --------------------------------------------------------------------------
#
#   pattern         := term*
#   term            := "*"                 any run of non-"/" characters
#                    | "?"                 one non-"/" character
#                    | "[" ["^"] range+ "]" a class (never empty)
#                    | c                   c, unless one of * ? \ [
#                    | "\" c               c
#   range           := c | "\" c | lo "-" hi      (c is not \ - ])
#
# Go matches the pattern chunk by chunk (a chunk is a run without a star,
# possibly after stars); after a mismatch it still checks the rest of the
# pattern, so a malformed class is reported whatever the name.
# [go src/path/match.go · Match, scanChunk, matchChunk, getEsc]


class _BadPatternAt(Exception):
    """Internal: the pattern is malformed at ``position``."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


def _scan_chunk(pattern: str, start: int) -> tuple[bool, int, int]:
    """Skip leading stars from ``start``; return (star, chunk start, chunk end)."""
    end = len(pattern)
    star = False
    while start < end and pattern[start] == "*":
        start += 1
        star = True
    in_range = False
    i = start
    while i < end:
        char = pattern[i]
        if char == "\\":
            if i + 1 < end:
                i += 1
        elif char == "[":
            in_range = True
        elif char == "]":
            in_range = False
        elif char == "*" and not in_range:
            return star, start, i
        i += 1
    return star, start, end


def _get_escaped(pattern: str, i: int, end: int) -> tuple[str, int]:
    """A possibly escaped character of a class at ``i``; its value and the next index."""
    if i >= end or pattern[i] in "-]":
        raise _BadPatternAt(i)
    if pattern[i] == "\\":
        i += 1
        if i >= end:
            raise _BadPatternAt(i - 1)
    if i + 1 >= end:
        raise _BadPatternAt(i)
    return pattern[i], i + 1


def _match_chunk(pattern: str, start: int, end: int, name: str, at: int) -> int | None:
    """Match the chunk ``pattern[start:end]`` at ``name[at:]``; the index after it, or None."""
    failed = False
    size = len(name)
    i = start
    while i < end:
        if not failed and at >= size:
            failed = True
        char = pattern[i]
        if char == "[":
            current = ""
            if not failed:
                current = name[at]
                at += 1
            i += 1
            negated = False
            if i < end and pattern[i] == "^":
                negated = True
                i += 1
            matched = False
            ranges = 0
            while True:
                if i < end and pattern[i] == "]" and ranges > 0:
                    i += 1
                    break
                low, i = _get_escaped(pattern, i, end)
                high = low
                if pattern[i] == "-":
                    high, i = _get_escaped(pattern, i + 1, end)
                if not failed and low <= current <= high:
                    matched = True
                ranges += 1
            if matched == negated:
                failed = True
        elif char == "?":
            if not failed:
                if name[at] == "/":
                    failed = True
                at += 1
            i += 1
        else:
            if char == "\\":
                i += 1
                if i >= end:
                    raise _BadPatternAt(i - 1)
                char = pattern[i]
            if not failed:
                if char != name[at]:
                    failed = True
                at += 1
            i += 1
    return None if failed else at


def path_match(pattern: str, name: str) -> tuple[bool, int | None]:
    """Go's ``path.Match(pattern, name)``: (matched, position of a syntax error or None).

    >>> path_match("foo/*", "foo/bar"), path_match("*", "foo/bar")
    ((True, None), (False, None))
    >>> path_match("[-x]", "anything")
    (False, 1)
    """
    try:
        return _path_match(pattern, name), None
    except _BadPatternAt as error:
        return False, error.position


def _path_match(pattern: str, name: str) -> bool:
    end = len(pattern)
    size = len(name)
    p = 0
    at = 0
    while p < end:
        star, chunk_start, p = _scan_chunk(pattern, p)
        if star and chunk_start == p:
            return name.find("/", at) < 0
        rest = _match_chunk(pattern, chunk_start, p, name, at)
        if rest is not None and (rest == size or p < end):
            at = rest
            continue
        if star:
            found = False
            i = at
            while i < size and name[i] != "/":
                rest = _match_chunk(pattern, chunk_start, p, name, i + 1)
                if rest is not None:
                    if p == end and rest < size:
                        i += 1
                        continue
                    at = rest
                    found = True
                    break
                i += 1
            if found:
                continue
        while p < end:
            _, chunk_start, p = _scan_chunk(pattern, p)
            _match_chunk(pattern, chunk_start, p, "", 0)
        return False
    return at == size
