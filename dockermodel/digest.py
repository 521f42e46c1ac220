"""Digests, image and container ids, short ids and layer chain ids.

Rules (``docs/reference.md``, ``docs/concepts.md``):

* a digest is ``algorithm:hex``; :meth:`Digest.parse` validates it as
  go-digest v1.0.0 does, in go-digest's order [go-digest digest.go ·
  Digest.Validate; algorithm.go · Algorithm.Validate];
* the registered algorithms are **sha256, sha384 and sha512**
  (:data:`ALGORITHMS`). go-digest knows all three, and a real ``dockerd``
  binary links ``crypto/sha512`` (which provides sha384 and sha512), so the
  engine accepts them; the upstream distribution/reference test binary links
  only sha256 and rejects them. We follow the engine, here and in
  :mod:`dockermodel.reference`;
* an image id is ``sha256:`` + 64 lowercase hex (the digest of its config)
  [moby v20.10.24 image/image.go · ID];
* a container id is 64 lowercase hex, without prefix
  [moby v20.10.24 pkg/stringid/stringid.go · GenerateRandomID];
* ``short_id`` is the engine's ``TruncateID``: drop everything up to the first
  ``:``, keep 12 characters [moby v20.10.24 pkg/stringid/stringid.go · TruncateID];
* ``ChainID(L1) = DiffID(L1)``; ``ChainID(Ln) = "sha256:" + sha256(ChainID(Ln-1)
  + " " + DiffID(Ln))`` over the full prefixed strings
  [moby v20.10.24 layer/layer.go · CreateChainID].

>>> d = Digest.parse("sha256:" + "ab" * 32)
>>> d.algorithm, d.short
('sha256', 'abababababab')
>>> Digest.parse("sha256:abc")
Traceback (most recent call last):
    ...
dockermodel.errors.DigestInvalidLength: invalid checksum digest length
    sha256:abc
           ^^^
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, final

import attrs

from . import _grammar
from .errors import DigestInvalidFormat, DigestInvalidLength, DigestUnsupported, InvalidReference

__all__ = [
    "ALGORITHMS",
    "Digest",
    "chain_id",
    "chain_ids",
    "is_container_id",
    "is_image_id",
    "is_valid_digest",
    "parse_image_id",
    "short_id",
]

#: Registered algorithms and the length of their hex encoding.
ALGORITHMS: Final[Mapping[str, int]] = MappingProxyType({"sha256": 64, "sha384": 96, "sha512": 128})


def __dir__() -> list[str]:
    return sorted(__all__)


def _validation_error(text: str) -> InvalidReference | None:
    """go-digest's ``Digest.Validate``: the error for ``text``, or None if valid.

    1. no ``:``, or it is first or last: invalid format;
    2. algorithm not registered: *unsupported* if the text has go-digest's
       looser digest shape, else invalid format;
    3. hex length not twice the hash size: invalid length;
    4. hex not lowercase ``[a-f0-9]``: invalid format.
    """
    colon = text.find(":")
    if colon <= 0 or colon + 1 == len(text):
        return DigestInvalidFormat(source=text, span=(0, len(text)))
    algorithm = text[:colon]
    size = ALGORITHMS.get(algorithm)
    if size is None:
        if _grammar.GO_DIGEST_SHAPE.fullmatch(text) is None:
            return DigestInvalidFormat(source=text, span=(0, len(text)))
        return DigestUnsupported(source=text, span=(0, colon))
    if len(text) - colon - 1 != size:
        return DigestInvalidLength(source=text, span=(colon + 1, len(text)))
    if _grammar.LOWER_HEX.fullmatch(text, colon + 1) is None:
        return DigestInvalidFormat(source=text, span=(colon + 1, len(text)))
    return None


@final
@attrs.frozen(repr=False)
class Digest:
    """A validated content digest, ``algorithm:hex``.

    Build one with :meth:`parse` (go-digest's ``Parse``) or
    :meth:`from_bytes`; ``str(digest)`` is ``algorithm:hex``.
    """

    algorithm: str
    hex: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Validate ``text`` as go-digest's ``Parse`` does.

        Raises :class:`~dockermodel.errors.DigestInvalidFormat`,
        :class:`~dockermodel.errors.DigestUnsupported` or
        :class:`~dockermodel.errors.DigestInvalidLength`
        [go-digest digest.go · Parse].
        """
        error = _validation_error(text)
        if error is not None:
            raise error
        algorithm, _, hex_ = text.partition(":")
        return cls(algorithm, hex_)

    @classmethod
    def from_bytes(cls, data: bytes, algorithm: str = "sha256") -> Digest:
        """The digest of ``data`` (``FromBytes``).

        >>> str(Digest.from_bytes(b""))
        'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
        """
        if algorithm not in ALGORITHMS:
            raise DigestUnsupported(source=algorithm)
        return cls(algorithm, hashlib.new(algorithm, data).hexdigest())

    @property
    def short(self) -> str:
        """The first 12 hex characters (``TruncateID``)."""
        return self.hex[:12]

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    def __repr__(self) -> str:
        return f"<Digest({str(self)!r})>"


def is_valid_digest(text: str) -> bool:
    """Whether go-digest's ``Parse`` accepts ``text``."""
    return _validation_error(text) is None


def is_image_id(text: str) -> bool:
    """Whether ``text`` is a full image id: ``sha256:`` + 64 lowercase hex.

    >>> is_image_id("sha256:" + "0" * 64), is_image_id("0" * 64)
    (True, False)
    """
    return (
        len(text) == 71
        and text.startswith("sha256:")
        and _grammar.IDENTIFIER.fullmatch(text, 7) is not None
    )


def is_container_id(text: str) -> bool:
    """Whether ``text`` is a full container id: 64 lowercase hex, no prefix.

    >>> is_container_id("0" * 64), is_container_id("sha256:" + "0" * 64)
    (True, False)
    """
    return _grammar.IDENTIFIER.fullmatch(text) is not None


def parse_image_id(text: str) -> Digest:
    """Validate a full image id (``sha256:`` + 64 lowercase hex) and return it as a Digest.

    The digest is validated as go-digest does; a valid digest of another
    algorithm is :class:`~dockermodel.errors.DigestUnsupported`, because the
    engine computes image ids with sha256 only [moby v20.10.24 image/image.go · ID].
    """
    digest = Digest.parse(text)
    if digest.algorithm != "sha256":
        raise DigestUnsupported(source=text, span=(0, len(digest.algorithm)))
    return digest


def short_id(identifier: str) -> str:
    """The engine's 12-character short form of an id (``TruncateID``).

    >>> short_id("sha256:5a2defe21f57e1b4c32f2b7cbd7d7f6a4b2e31a7a12ddf9b8b7d6f4e3a2b1c0d")
    '5a2defe21f57'
    """
    _, sep, rest = identifier.partition(":")
    return (rest if sep else identifier)[:12]


def chain_ids(diff_ids: Iterable[str]) -> tuple[str, ...]:
    """The chain id of every prefix of ``diff_ids`` (base first).

    >>> chain_ids(["sha256:" + "a" * 64])[0] == "sha256:" + "a" * 64
    True
    """
    out: list[str] = []
    previous = ""
    for diff_id in diff_ids:
        if not previous:
            previous = diff_id
        else:
            previous = "sha256:" + hashlib.sha256(f"{previous} {diff_id}".encode()).hexdigest()
        out.append(previous)
    return tuple(out)


def chain_id(diff_ids: Iterable[str]) -> str:
    """The chain id of the top layer of ``diff_ids``; ``""`` for no layers."""
    ids = chain_ids(diff_ids)
    return ids[-1] if ids else ""
