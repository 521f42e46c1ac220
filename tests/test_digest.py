"""Digests, ids, short ids and chain ids (dockermodel.digest).

The chain-id and short-id vectors were recorded from a real Engine 20.10.24
(overlay2): an image whose RootFS.Layers are LAYER_1, LAYER_2 had layerdb
directories CHAIN_1 (bottom) and CHAIN_2 (top).
"""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockermodel import errors
from dockermodel import strategies as drs
from dockermodel.digest import (
    ALGORITHMS,
    Digest,
    chain_id,
    chain_ids,
    is_container_id,
    is_image_id,
    is_valid_digest,
    parse_image_id,
    short_id,
)

LAYER_1 = "sha256:c5af771efe4d9b322827052b23e5eb3313250230830b1c4cd095a04efdc22de7"
LAYER_2 = "sha256:8ce259de9e5b4b428885b5dc717ddb5886f8dc7ca0772829cb53852fef202743"
CHAIN_1 = "sha256:c5af771efe4d9b322827052b23e5eb3313250230830b1c4cd095a04efdc22de7"
CHAIN_2 = "sha256:58ae75c6fb90c94712669d5191770249ccded2c8ebc3d35c12f64a559d3bbc37"
IMAGE_ID = "sha256:eb30208646b58042afcdc9021748b52983833c05e79223eb38ef599346074bbf"
F64 = "f" * 64


def test_engine_chain_ids() -> None:
    assert chain_ids([LAYER_1, LAYER_2]) == (CHAIN_1, CHAIN_2)
    assert chain_id([LAYER_1, LAYER_2]) == CHAIN_2
    assert chain_id([LAYER_1]) == CHAIN_1
    assert chain_id([]) == ""
    assert chain_ids([]) == ()


def test_chain_id_of_a_generator() -> None:
    assert chain_id(iter([LAYER_1, LAYER_2])) == CHAIN_2


SHORT_IDS = [
    (IMAGE_ID, "eb30208646b5"),
    (IMAGE_ID[7:], "eb30208646b5"),
    ("abc", "abc"),
    ("8i81b4dvw9kb3x", "8i81b4dvw9kb"),  # build-cache ids are cut the same way
    ("sha512:" + "1234567890ab" * 10, "1234567890ab"),
    ("", ""),
]


@pytest.mark.parametrize(("identifier", "expected"), SHORT_IDS)
def test_short_id(identifier: str, expected: str) -> None:
    assert short_id(identifier) == expected


DIGESTS_OK = [
    ("sha256:" + F64, "sha256", F64),
    (IMAGE_ID, "sha256", IMAGE_ID[7:]),
    ("sha384:" + "a" * 96, "sha384", "a" * 96),
    ("sha512:" + "0" * 128, "sha512", "0" * 128),
]


@pytest.mark.parametrize(("text", "algorithm", "hex_"), DIGESTS_OK)
def test_digest_parse(text: str, algorithm: str, hex_: str) -> None:
    digest = Digest.parse(text)
    assert (digest.algorithm, digest.hex, str(digest)) == (algorithm, hex_, text)
    assert digest.short == hex_[:12]
    assert is_valid_digest(text)


# go-digest's order: separator, registration (+ its loose shape), length, hex case.
DIGEST_ERRORS = [
    ("", errors.DigestInvalidFormat, (0, 0)),
    ("sha256", errors.DigestInvalidFormat, (0, 6)),
    (":" + F64, errors.DigestInvalidFormat, (0, 65)),
    ("sha256:", errors.DigestInvalidFormat, (0, 7)),
    ("md5:" + "f" * 32, errors.DigestUnsupported, (0, 3)),
    ("invaliddigest:" + F64, errors.DigestUnsupported, (0, 13)),
    ("foo.bar+baz_q-x:AZaz09=_-", errors.DigestUnsupported, (0, 15)),
    ("Sha256:" + F64, errors.DigestInvalidFormat, (0, 71)),
    ("md5:xyz!", errors.DigestInvalidFormat, (0, 8)),
    ("sha256:" + "f" * 34, errors.DigestInvalidLength, (7, 41)),
    ("sha256:" + "F" * 64, errors.DigestInvalidFormat, (7, 71)),
    ("sha256:" + "g" * 64, errors.DigestInvalidFormat, (7, 71)),
    ("sha256:" + "f" * 65, errors.DigestInvalidLength, (7, 72)),
    ("sha384:" + "f" * 64, errors.DigestInvalidLength, (7, 71)),
    ("sha256:" + "f" * 63 + ":", errors.DigestInvalidFormat, (7, 71)),
]


@pytest.mark.parametrize(("text", "error", "span"), DIGEST_ERRORS)
def test_digest_parse_errors(
    text: str, error: type[errors.InvalidReference], span: tuple[int, int]
) -> None:
    with pytest.raises(error) as info:
        Digest.parse(text)
    assert type(info.value) is error
    assert str(info.value).split("\n")[0] == error.default_message
    assert (info.value.source, info.value.span) == (text, span)
    assert not is_valid_digest(text)


def test_digest_error_rendering() -> None:
    with pytest.raises(errors.DigestInvalidLength) as info:
        Digest.parse("sha256:abc")
    assert str(info.value) == "invalid checksum digest length\n    sha256:abc\n           ^^^"


def test_digest_from_bytes() -> None:
    assert str(Digest.from_bytes(b"")) == (
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert Digest.from_bytes(b"abc", "sha512").hex.startswith("ddaf35a193617aba")
    with pytest.raises(errors.DigestUnsupported):
        Digest.from_bytes(b"", "md5")


def test_digest_value_semantics() -> None:
    a = Digest.parse(IMAGE_ID)
    assert a == Digest("sha256", IMAGE_ID[7:])
    assert hash(a) == hash(Digest("sha256", IMAGE_ID[7:]))
    assert a != IMAGE_ID  # type: ignore[comparison-overlap]
    assert pickle.loads(pickle.dumps(a)) == a
    assert repr(a) == f"<Digest({IMAGE_ID!r})>"
    with pytest.raises(AttributeError):
        a.hex = "x"  # type: ignore[misc]


def test_registered_algorithms() -> None:
    assert dict(ALGORITHMS) == {"sha256": 64, "sha384": 96, "sha512": 128}


IMAGE_IDS = [
    (IMAGE_ID, True),
    (IMAGE_ID[7:], False),
    ("sha256:" + "F" * 64, False),
    ("sha256:" + "f" * 63, False),
    ("sha512:" + "f" * 64, False),
    (IMAGE_ID + "\n", False),
    ("", False),
]


@pytest.mark.parametrize(("text", "expected"), IMAGE_IDS)
def test_is_image_id(text: str, expected: bool) -> None:
    assert is_image_id(text) is expected


CONTAINER_IDS = [
    ("4f66ad9a0b2e" + "0" * 52, True),
    (IMAGE_ID, False),
    ("A" * 64, False),
    ("f" * 63, False),
    ("f" * 65, False),
    ("f" * 64 + "\n", False),
]


@pytest.mark.parametrize(("text", "expected"), CONTAINER_IDS)
def test_is_container_id(text: str, expected: bool) -> None:
    assert is_container_id(text) is expected


def test_parse_image_id() -> None:
    assert parse_image_id(IMAGE_ID) == Digest("sha256", IMAGE_ID[7:])
    with pytest.raises(errors.DigestUnsupported):
        parse_image_id("sha512:" + "f" * 128)
    with pytest.raises(errors.DigestInvalidFormat):
        parse_image_id(IMAGE_ID[7:])


@given(data=st.binary(max_size=64), algorithm=st.sampled_from(sorted(ALGORITHMS)))
def test_from_bytes_round_trips_through_parse(data: bytes, algorithm: str) -> None:
    digest = Digest.from_bytes(data, algorithm)
    assert Digest.parse(str(digest)) == digest


@given(text=st.text(max_size=80) | drs.digests(("sha256", "sha384", "sha512")))
def test_digest_parse_never_raises_anything_else(text: str) -> None:
    try:
        digest = Digest.parse(text)
    except errors.InvalidReference as error:
        assert str(error).startswith(error.message)
        assert not is_valid_digest(text)
    else:
        assert str(digest) == text
        assert is_valid_digest(text)


@given(diff_ids=st.lists(drs.image_ids(), max_size=6))
def test_chain_ids_extend_prefixes(diff_ids: list[str]) -> None:
    ids = chain_ids(diff_ids)
    assert len(ids) == len(diff_ids)
    for n in range(len(diff_ids)):
        assert ids[: n + 1] == chain_ids(diff_ids[: n + 1])
        assert is_image_id(ids[n])
