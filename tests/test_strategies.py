"""The shipped hypothesis strategies generate what they promise."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from dockermodel import _grammar, errors
from dockermodel import strategies as drs
from dockermodel.digest import is_container_id, is_image_id, is_valid_digest
from dockermodel.reference import (
    Reference,
    familiar_string,
    parse,
    parse_normalized_named,
)


@given(drs.path_components())
def test_path_components(component: str) -> None:
    assert _grammar.COMPONENT.fullmatch(component) is not None


@given(drs.paths())
def test_paths(path: str) -> None:
    assert len(path) <= 255
    assert re.fullmatch(_grammar.PATH_PATTERN, path) is not None
    assert str(parse(path)) == path


@given(drs.domains())
def test_domains(domain: str) -> None:
    assert _grammar.DOMAIN.fullmatch(domain) is not None
    assert parse(domain + "/x").domain == domain


@given(drs.tags())
def test_tags(tag: str) -> None:
    assert _grammar.TAG.fullmatch(tag) is not None


@given(drs.digests(("sha256", "sha384", "sha512")))
def test_digests(digest: str) -> None:
    assert is_valid_digest(digest)


def test_digests_rejects_unregistered_algorithms() -> None:
    with pytest.raises(ValueError, match="md5"):
        drs.digests(("md5",))


@given(drs.image_ids(), drs.container_ids())
def test_ids(image_id: str, container_id: str) -> None:
    assert is_image_id(image_id)
    assert is_container_id(container_id)


@given(drs.reference_strings())
def test_reference_strings_parse(text: str) -> None:
    assert str(parse(text)) == text


@given(drs.references())
def test_references(ref: Reference) -> None:
    assert isinstance(ref, Reference)


@given(drs.normalized_references())
def test_normalized_references(ref: Reference) -> None:
    assert parse_normalized_named(str(ref)) == ref


@given(drs.familiar_strings())
def test_familiar_strings(text: str) -> None:
    assert familiar_string(parse_normalized_named(text)) == text


@given(drs.invalid_reference_strings())
def test_invalid_reference_strings(text: str) -> None:
    with pytest.raises(errors.InvalidReference):
        parse(text)


def test_reference_like_text_has_valid_and_invalid_examples() -> None:
    outcomes: set[bool] = set()

    @settings(max_examples=200, database=None)
    @given(drs.reference_like_text())
    def collect(text: str) -> None:
        try:
            parse(text)
        except errors.InvalidReference:
            outcomes.add(False)
        else:
            outcomes.add(True)

    collect()
    assert outcomes == {True, False}


def test_module_lists_its_api() -> None:
    assert dir(drs) == sorted(drs.__all__)
    for name in drs.__all__:
        assert callable(getattr(drs, name))
