"""Hypothesis properties of dockermodel.reference.

``DOCKERMODEL_HYPOTHESIS_EXAMPLES`` raises the number of examples (CI runs
these with many more than the default).
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dockermodel import _grammar, errors
from dockermodel import reference as reference_module
from dockermodel import strategies as drs
from dockermodel.reference import (
    DigestReference,
    Reference,
    familiar_match,
    familiar_name,
    familiar_string,
    parse,
    parse_any_reference,
    parse_docker_ref,
    parse_named,
    parse_normalized_named,
    sort_references,
    with_name,
)

EXAMPLES = int(os.environ.get("DOCKERMODEL_HYPOTHESIS_EXAMPLES", "150"))
MANY = settings(max_examples=EXAMPLES, deadline=None)

PARSERS = [parse, parse_normalized_named, parse_named, parse_any_reference, parse_docker_ref,
           with_name]

# Text a fuzzer would try: grammar characters, troublemakers, near-valid references.
ANY_TEXT = st.one_of(
    drs.reference_like_text(),
    drs.reference_strings(),
    drs.invalid_reference_strings(),
    drs.familiar_strings(),
)


@pytest.mark.parametrize("function", PARSERS, ids=lambda f: f.__name__)
@MANY
@given(text=ANY_TEXT)
def test_any_text_gives_a_reference_or_invalid_reference(function: object, text: str) -> None:
    assert callable(function)
    try:
        result = function(text)
    except errors.InvalidReference as error:
        rendered = str(error)
        # The message comes first (it can itself hold a newline copied from the input).
        assert rendered == error.message or rendered.startswith(error.message + "\n    ")
        assert error.source == text
        assert error.span is None or 0 <= error.span[0] <= error.span[1] <= max(len(text), 1)
    else:
        assert isinstance(result, (Reference, DigestReference))


@MANY
@given(pattern=drs.reference_like_text(20), text=drs.reference_strings())
def test_any_pattern_gives_a_bool_or_bad_pattern(pattern: str, text: str) -> None:
    try:
        result = familiar_match(pattern, parse(text))
    except errors.BadPattern as error:
        assert str(error).split("\n")[0] == "syntax error in pattern"
    else:
        assert isinstance(result, bool)


@MANY
@given(ref=drs.references())
def test_parse_round_trips(ref: Reference) -> None:
    assert parse(str(ref)) == ref


@MANY
@given(text=drs.reference_strings())
def test_parse_keeps_the_text(text: str) -> None:
    assert str(parse(text)) == text


@MANY
@given(ref=drs.normalized_references())
def test_normalization_is_idempotent(ref: Reference) -> None:
    assert parse_normalized_named(str(ref)) == ref
    assert parse(str(ref)) == ref
    assert parse_named(str(ref)) == ref
    assert parse_docker_ref(str(parse_docker_ref(str(ref)))) == parse_docker_ref(str(ref))


@MANY
@given(ref=drs.normalized_references())
def test_familiar_and_canonical_forms_round_trip(ref: Reference) -> None:
    familiar = familiar_name(ref)
    first = familiar.split("/")[0]
    # A familiar name whose first component looks like a domain (a.b/c,
    # localhost/x) or that is 64 hex means something else when parsed again;
    # that ambiguity is Go's too.
    assume("/" not in familiar or not ("." in first or ":" in first or first == "localhost"))
    assume(_grammar.IDENTIFIER.fullmatch(familiar) is None)
    assert parse_normalized_named(familiar_string(ref)) == ref
    assert familiar_match(familiar_string(ref).replace("[", "\\["), ref)


@MANY
@given(text=drs.invalid_reference_strings())
def test_invalid_strings_are_rejected(text: str) -> None:
    with pytest.raises(errors.InvalidReference):
        parse(text)


# --------------------------------------------------------------------------
# The two exact routes of the grammar agree
# --------------------------------------------------------------------------

NEAR_VALID = st.one_of(
    drs.reference_like_text(80),
    drs.reference_strings(),
    drs.invalid_reference_strings(),
    st.builds(lambda a, b: a + b, drs.reference_strings(), drs.reference_like_text(10)),
)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(text=NEAR_VALID)
def test_splitter_agrees_with_the_single_pattern(text: str) -> None:
    match = _grammar.REFERENCE.fullmatch(text)
    assert _grammar.split_reference(text) == (None if match is None else match.groups())
    name = _grammar.NAME.fullmatch(text)
    assert _grammar.match_name(text) == (None if name is None else name.groups())


LONG_PREFIXES = [
    "b" * 520 + "/",
    "B" * 520 + ".io:5000/",
    "a-" * 300 + "a/",
    "[" + "a:" * 300 + "]/",
]


@MANY
@given(
    prefix=st.sampled_from(LONG_PREFIXES),
    text=drs.reference_strings(),
    suffix=st.sampled_from(["", "!", "/", ":", "@", "-"]),
)
def test_long_inputs_take_the_splitter_with_the_same_answer(
    prefix: str, text: str, suffix: str
) -> None:
    long_text = prefix + text + suffix
    assert len(long_text) > _grammar.SHORT_INPUT
    match = _grammar.REFERENCE.fullmatch(long_text)
    assert _grammar.match_reference(long_text) == (None if match is None else match.groups())


# --------------------------------------------------------------------------
# path.Match against an independent regex translation
# --------------------------------------------------------------------------


def _translate(pattern: str) -> re.Pattern[str] | None:
    """A regex for a Go pattern without classes; None if the pattern is malformed."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\":
            if i + 1 == len(pattern):
                return None
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(
    pattern=st.text(st.sampled_from(list("ab/*?\\")), max_size=8),
    name=st.text(st.sampled_from(list("ab/*?\\")), max_size=8),
)
def test_path_match_agrees_with_a_regex(pattern: str, name: str) -> None:
    regex = _translate(pattern)
    matched, error_at = _grammar.path_match(pattern, name)
    if regex is None:
        assert matched is False
        assert error_at == len(pattern) - 1
    else:
        assert error_at is None
        assert matched is (regex.fullmatch(name) is not None)


@MANY
@given(
    strings=st.lists(st.one_of(drs.reference_strings(), drs.reference_like_text(12)), max_size=8)
)
def test_sort_is_a_normalized_permutation(strings: list[str]) -> None:
    result = sort_references(strings)
    assert len(result) == len(strings)
    assert sort_references(result) == result


# --------------------------------------------------------------------------
# The fast path of parse_normalized_named is exact where it answers
# --------------------------------------------------------------------------

NORMALIZER_INPUT = st.one_of(
    drs.reference_like_text(40),
    drs.reference_strings(),
    drs.familiar_strings(),
    drs.invalid_reference_strings(),
    st.builds(
        lambda first, rest: first + "/" + rest,
        st.sampled_from(["docker.io", "index.docker.io", "localhost", "Foo", "a.b", "x:1", "me",
                         "123", "a_b", "-x", "LOCALHOST"]),
        drs.reference_strings(),
    ),
    st.builds(lambda path, digest: f"{path}@{digest}", drs.paths(),
              st.sampled_from(["SHA256:" + "a" * 64, "sha256:" + "A" * 64, "md5:" + "a" * 32,
                               "sha512:" + "a" * 128, "sha256:" + "a" * 63])),
)


def _outcome(function: object, text: str) -> object:
    assert callable(function)
    try:
        return function(text)
    except errors.InvalidReference as error:
        return (type(error), error.message, error.source, error.span)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(text=NORMALIZER_INPUT)
def test_normalized_fast_path_is_exact(text: str) -> None:
    fast = reference_module._normalized_fast(text)
    exact = _outcome(reference_module._normalized_exact, text)
    if fast is not None:
        assert fast == exact
    assert _outcome(parse_normalized_named, text) == exact


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(text=NEAR_VALID)
def test_try_parse_is_parse_when_it_answers(text: str) -> None:
    quick = reference_module._try_parse(text)
    outcome = _outcome(parse, text)
    if quick is not None:
        assert quick == outcome
    else:
        assert isinstance(outcome, tuple)
