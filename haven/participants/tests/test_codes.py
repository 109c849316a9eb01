import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haven.participants import codes

bodies = st.text(alphabet=codes.ALPHABET, min_size=codes.BODY_LENGTH, max_size=codes.BODY_LENGTH)


def make_code(body):
    return body + codes.check_character(body)


def test_generated_codes_are_valid_and_use_no_confusable_characters():
    for _ in range(500):
        code = codes.generate()
        assert len(code) == codes.CODE_LENGTH
        assert codes.is_valid(code)
        assert not set(code) & set("0O1IL")


def test_generation_with_a_seeded_rng_repeats():
    assert codes.generate(random.Random(7)) == codes.generate(random.Random(7))


@given(bodies, st.integers(0, codes.CODE_LENGTH - 1), st.sampled_from(codes.ALPHABET))
def test_any_single_wrong_character_is_caught(body, position, replacement):
    code = make_code(body)
    if code[position] == replacement:
        return
    typo = code[:position] + replacement + code[position + 1 :]
    assert not codes.is_valid(typo)


@given(bodies, st.integers(0, codes.CODE_LENGTH - 2))
def test_any_swap_of_neighbouring_characters_is_caught(body, position):
    code = make_code(body)
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert not codes.is_valid(swapped)


def test_codes_are_read_the_way_people_type_them():
    code = codes.generate()
    typed = f" {codes.format_code(code).lower()} "
    assert codes.validate(typed) == code


def test_a_typo_says_it_is_a_typo_and_names_the_code():
    code = codes.generate()
    wrong = code[:-1] + next(c for c in codes.ALPHABET if c != code[-1])
    with pytest.raises(codes.CardCodeError) as error:
        codes.validate(wrong)
    assert "typo" in str(error.value)
    assert codes.format_code(wrong) in str(error.value)


@pytest.mark.parametrize("char", ["0", "O", "1", "I", "L"])
def test_confusable_characters_are_explained(char):
    with pytest.raises(codes.CardCodeError) as error:
        codes.validate("ABC" + char + "EFG")
    assert char in str(error.value)
    assert "never use" in str(error.value)


def test_wrong_length_says_how_long_a_code_is():
    with pytest.raises(codes.CardCodeError, match="7 characters"):
        codes.validate("ABCD")
