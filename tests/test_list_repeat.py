"""`[f(x)] * n`, `n * [x]`, `(x,) * n` and `row * n` holding differentiated values: the list
Python builds, and each item's adjoint the sum of its copies' (issue 11: NumPy's "setting an
array element with a sequence" inside the generated code). In-place changes through one copy
stay refused: the copies are one object."""
import inspect

import numpy as np
import pytest

import knetc
from knetc.errors import KnetcSyntaxError

X = np.array([0.3, -0.7, 1.1])


def call_item(x, n):
    xs = [np.sin(x)] * n
    return sum(np.sum(v * (k + 1.0)) for k, v in enumerate(xs))


def two_items(x, n):
    xs = [x, x * 2.0] * n
    total = 0.0
    for k in range(len(xs)):
        total = total + np.sum(xs[k] ** 2) * (k + 1.0)
    return total


def count_first(x, n):
    xs = n * [x]
    return np.sum(xs[0] * xs[-1])


def constant_count(x, n):
    xs = [np.tanh(x)] * 3
    return np.sum(xs[0] + xs[2] * 2.0 * n)


def tuple_item(x, n):
    xs = (np.exp(x * 0.5),) * (n + 1)
    return np.sum(xs[n] * xs[0])


def named_row(x, n):
    row = [x, np.cos(x)]
    rows = row * n
    return np.sum(rows[1] * rows[2])


def helper(x, n):
    return [x * 3.0] * n


def through_a_helper(x, n):
    xs = helper(x, n)
    return np.sum(xs[0] * xs[1])


CASES = [call_item, two_items, count_first, constant_count, tuple_item, named_row,
         through_a_helper]


@pytest.mark.parametrize("loss", CASES, ids=[f.__name__ for f in CASES])
def test_list_repetition(loss):
    value, _ = knetc.value_and_grad(loss)(X, 2)
    np.testing.assert_allclose(value, loss(X, 2), rtol=1e-12)
    knetc.check_grads(loss, X, 2)


def test_adjoint_sums_the_copies():
    np.testing.assert_allclose(knetc.grad(call_item)(X, 3), 6.0 * np.cos(X))


def in_place_through_a_copy(x, n):
    xs = [np.sin(x)] * n
    xs[0] += 1.0  # NumPy changes the one object every copy holds
    return np.sum(xs[1])


def test_in_place_through_a_copy_is_refused():
    with pytest.raises(KnetcSyntaxError, match="holds that element") as info:
        knetc.grad(in_place_through_a_copy)(X, 2)
    assert info.value.filename == __file__
    assert info.value.text.strip() == "xs[0] += 1.0  # NumPy changes the one object every " \
                                      "copy holds"


def parameter_repeated(w):
    ws = w * 2  # w is a list only at run time
    return np.sum(ws[2] * ws[0])


def parameters_joined(w, v):
    ws = w + v
    return ws[2] * 3.0 + ws[0]


@pytest.mark.parametrize("loss, args", [
    (parameter_repeated, ([np.array([1.0, 2.0]), np.array([0.5, 0.3])],)),
    (parameters_joined, ([1.0, 2.0], [5.0]))], ids=["repeat", "join"])
def test_list_parameter_joined_or_repeated_is_refused_at_its_line(loss, args):
    # the operands are lists only at run time: refused there, never a NumPy error or a number
    with pytest.raises(KnetcSyntaxError, match="lists it did not know were lists") as info:
        knetc.grad(loss)(*args)
    source = inspect.getsource(loss)
    assert info.value.lineno == loss.__code__.co_firstlineno + 1, source
