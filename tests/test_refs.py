"""Element references: parsing never raises, and an index that does not fit says the shape."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpstep.tracing.refs import Ref, index_problem, parse_ref


def test_huge_and_unicode_indices_are_no_reference():
    assert parse_ref("Z2[" + "9" * 5000 + ",0]") is None  # int() would raise the digit-limit error
    assert parse_ref("W2[²,0]") is None                   # '²'.isdigit() is True; int('²') raises
    assert parse_ref("W2[1,0]") == Ref("W2", (1, 0))


@pytest.mark.parametrize(("text", "shape", "expected"), [
    ("W2[9,9]", (2, 2), "W2 is 2×2"),
    ("Z4[4,0]", (1, 2), "out of range"),
    ("W1[0]", (3, 2), "give 2 indices"),
    ("E[0]", (), "without an index"),
    ("b2[2]", (2,), "2 values"),
])
def test_index_that_does_not_fit_names_the_shape(text, shape, expected):
    problem = index_problem(parse_ref(text), shape)
    assert problem is not None and expected in problem


@given(st.lists(st.integers(1, 5), min_size=0, max_size=3).flatmap(
    lambda shape: st.tuples(st.just(tuple(shape)),
                            st.tuples(*[st.integers(-7, 7) for _ in shape]))))
def test_index_problem_agrees_with_numpy(case):
    shape, index = case
    fits = True
    try:
        np.zeros(shape)[index] if index else None
    except IndexError:
        fits = False
    assert (index_problem(Ref("A", index), shape) is None) == fits


@given(st.text(max_size=60))
def test_parse_ref_never_raises(text):
    parse_ref(text)
